/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao"

#include "config.h"

#include <string.h>

#include "fq-repeat.h"

/* NFKC folds full-width forms (common in Chinese input: "１２号", "（东门）")
 * to their plain forms, casefold makes Latin letters compare equal, and
 * whitespace and punctuation (which GLib's g_unichar_ispunct() takes to
 * include symbols) carry no meaning for matching. Returns the characters
 * left, possibly none. */
static GArray *
clean_chars (const char *text)
{
  g_autofree char *nfkc = NULL;
  g_autofree char *folded = NULL;
  GArray *chars = g_array_new (FALSE, FALSE, sizeof (gunichar));

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return chars;

  nfkc = g_utf8_normalize (text, -1, G_NORMALIZE_NFKC);
  folded = g_utf8_casefold (nfkc, -1);

  for (const char *p = folded; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c) || g_unichar_ispunct (c))
        continue;
      g_array_append_val (chars, c);
    }

  return chars;
}

/**
 * fq_repeat_normalize_phone:
 * @phone: (nullable): a phone number as typed
 *
 * Returns: (transfer full) (nullable): its digits without a leading +86 or
 *   0086, or %NULL if fewer than 5 digits remain
 */
char *
fq_repeat_normalize_phone (const char *phone)
{
  g_autofree char *nfkc = NULL;
  GString *digits;
  const char *p;

  if (phone == NULL || !g_utf8_validate (phone, -1, NULL))
    return NULL;

  /* NFKC turns full-width digits and plus signs into ASCII ones. */
  nfkc = g_utf8_normalize (phone, -1, G_NORMALIZE_NFKC);
  p = nfkc;
  while (g_ascii_isspace (*p))
    p++;
  if (g_str_has_prefix (p, "+86"))
    p += 3;

  digits = g_string_new (NULL);
  for (; *p != '\0'; p++)
    {
      if (g_ascii_isdigit (*p))
        g_string_append_c (digits, *p);
    }

  if (g_str_has_prefix (digits->str, "0086"))
    g_string_erase (digits, 0, 4);

  if (digits->len < 5)
    {
      g_string_free (digits, TRUE);
      return NULL;
    }

  return g_string_free (digits, FALSE);
}

/**
 * fq_repeat_normalize_address:
 * @address: (nullable): an address as typed
 *
 * Returns: (transfer full) (nullable): the address in NFKC, case-folded,
 *   without whitespace and punctuation; %NULL if nothing is left
 */
char *
fq_repeat_normalize_address (const char *address)
{
  g_autoptr(GArray) chars = clean_chars (address);

  if (chars->len == 0)
    return NULL;

  return g_ucs4_to_utf8 ((const gunichar *)(gpointer)chars->data, chars->len, NULL, NULL, NULL);
}

/* The multiset of n-grams (n = 1 or 2) of @chars, as counts keyed by the
 * n-gram packed into 64 bits (code points have 21 bits). */
static GHashTable *
count_grams (GArray *chars,
             guint   n)
{
  GHashTable *counts = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);

  for (guint i = 0; i + n <= chars->len; i++)
    {
      gint64 key = g_array_index (chars, gunichar, i);
      guint count;

      if (n == 2)
        key = (key << 32) | g_array_index (chars, gunichar, i + 1);

      count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, &key));
      g_hash_table_insert (counts, g_memdup2 (&key, sizeof key), GUINT_TO_POINTER (count + 1));
    }

  return counts;
}

/**
 * fq_repeat_similarity:
 * @a: (nullable): a text
 * @b: (nullable): another text
 *
 * The Dice coefficient 2·|A ∩ B| / (|A| + |B|) of the multisets of character
 * bigrams of the two texts, after NFKC, case folding and removing whitespace
 * and punctuation. When either text is left with a single character there
 * are no bigrams to compare, and single characters (unigrams) of both are
 * compared instead. Empty texts share nothing: 0.
 *
 * Returns: the similarity, from 0 to 1
 */
double
fq_repeat_similarity (const char *a,
                      const char *b)
{
  g_autoptr(GArray) chars_a = clean_chars (a);
  g_autoptr(GArray) chars_b = clean_chars (b);
  g_autoptr(GHashTable) grams_a = NULL;
  g_autoptr(GHashTable) grams_b = NULL;
  GHashTableIter iter;
  gpointer key, value;
  guint n, total_a, total_b, shared = 0;

  if (chars_a->len == 0 || chars_b->len == 0)
    return 0.0;

  n = (chars_a->len < 2 || chars_b->len < 2) ? 1 : 2;
  grams_a = count_grams (chars_a, n);
  grams_b = count_grams (chars_b, n);
  total_a = chars_a->len - (n - 1);
  total_b = chars_b->len - (n - 1);

  g_hash_table_iter_init (&iter, grams_a);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      guint count_b = GPOINTER_TO_UINT (g_hash_table_lookup (grams_b, key));

      shared += MIN (GPOINTER_TO_UINT (value), count_b);
    }

  return 2.0 * shared / (double)(total_a + total_b);
}

/* The score a second and third matching rule add: half of what is left to 1,
 * so that more evidence ranks higher and the score stays within [0, 1]. */
static double
combine (double best,
         guint  n_rules)
{
  for (guint i = 1; i < n_rules; i++)
    best += (1.0 - best) / 2.0;

  return best;
}

static gboolean
same_string (const char *a,
             const char *b)
{
  return a != NULL && b != NULL && a[0] != '\0' && strcmp (a, b) == 0;
}

/**
 * fq_repeat_match:
 * @incoming: the new incident
 * @earlier: an earlier incident
 * @score: (out) (optional): a score for ranking, 0 if nothing matches
 *
 * @earlier must have been received no later than @incoming, and at most
 * %FQ_REPEAT_WINDOW_SECONDS before it (both inclusive). The score of a
 * single rule is 0.9 + 0.05·s for the phone rule, 0.8 + 0.05·s for the
 * address rule and 0.7·s for the summary rule, where s is the summaries'
 * similarity (so that among several matches of one rule the closer text
 * wins, and similar wording alone, the weakest evidence, never outranks a
 * known caller or address); with several rules, the best of them gains half of what is left to
 * 1 for each further rule.
 *
 * Returns: the #FqRepeatRule mask of the rules that match
 */
guint
fq_repeat_match (const FqRepeatProbe *incoming,
                 const FqRepeatProbe *earlier,
                 double              *score)
{
  gint64 age;
  guint rules = FQ_REPEAT_RULE_NONE;
  guint n_rules = 0;
  double similarity;
  double best = 0.0;

  g_return_val_if_fail (incoming != NULL, FQ_REPEAT_RULE_NONE);
  g_return_val_if_fail (earlier != NULL, FQ_REPEAT_RULE_NONE);

  if (score != NULL)
    *score = 0.0;

  age = incoming->received_at - earlier->received_at;
  if (age < 0 || age > FQ_REPEAT_WINDOW_SECONDS)
    return FQ_REPEAT_RULE_NONE;

  similarity = fq_repeat_similarity (incoming->summary, earlier->summary);

  if (same_string (incoming->phone, earlier->phone) &&
      same_string (incoming->community, earlier->community))
    {
      rules |= FQ_REPEAT_RULE_PHONE;
      best = MAX (best, 0.9 + 0.05 * similarity);
      n_rules++;
    }

  if (same_string (incoming->address, earlier->address) &&
      same_string (incoming->category, earlier->category))
    {
      rules |= FQ_REPEAT_RULE_ADDRESS;
      best = MAX (best, 0.8 + 0.05 * similarity);
      n_rules++;
    }

  if (age <= FQ_REPEAT_SUMMARY_WINDOW_SECONDS &&
      same_string (incoming->community, earlier->community) &&
      same_string (incoming->category, earlier->category) &&
      similarity >= FQ_REPEAT_SIMILARITY_THRESHOLD)
    {
      rules |= FQ_REPEAT_RULE_SUMMARY;
      best = MAX (best, 0.7 * similarity);
      n_rules++;
    }

  if (score != NULL && n_rules > 0)
    *score = combine (best, n_rules);

  return rules;
}

/**
 * fq_repeat_community_of:
 * @grid_code: (nullable): a grid code
 *
 * Returns: (transfer full) (nullable): the community @grid_code lies in:
 *   itself for a community (12 digits, the last three not all zero), its
 *   first 12 digits for a grid cell (14 digits); %NULL above community level
 *   or for anything that is not such a code
 */
char *
fq_repeat_community_of (const char *grid_code)
{
  gsize len;

  if (grid_code == NULL)
    return NULL;

  len = strlen (grid_code);
  if (len != 12 && len != 14)
    return NULL;

  for (gsize i = 0; i < len; i++)
    {
      if (!g_ascii_isdigit (grid_code[i]))
        return NULL;
    }

  if (strncmp (grid_code + 9, "000", 3) == 0)
    return NULL;

  return g_strndup (grid_code, 12);
}
