/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Callers' phone numbers are personal data. Only the roles that call people
 * back (operators and coordinators, within their scope) read them; everyone
 * else — unit staff, grid workers, leaders, administrators — gets them masked
 * as 138****5678 in every answer: REST bodies (fq_job_respond,
 * fq_job_respond_json_text, fq_request_respond), the change feed (/changes)
 * and the WebSocket (/events). Open311's public answers are masked as for
 * them (fq_privacy_mask_public_node). Masking is done here, at the edge, so
 * no handler can forget it. The reference data (/categories, /units, /grid)
 * is written by the server from its data files and holds no free text.
 *
 * Two rules, applied to every JSON string value of an answer to such a role:
 *
 *  - the member "caller_phone" is masked whole (fq_privacy_mask_phone());
 *  - every other string value is searched for phone numbers typed into free
 *    text (summaries, descriptions, notes, minutes, imported records, …),
 *    and each number found is masked by the same rule. The finder
 *    (fq_privacy_find_phone()) knows three shapes:
 *      mobile    11 digits 1[3-9]xxxxxxxxx, alone or grouped 3-4-4 by
 *                spaces or hyphens, with an optional +86 / 86 prefix (the
 *                prefix stays readable, the number is masked);
 *      landline  an area code 0[1-9] plus 1–2 digits, optionally in ASCII or
 *                full-width parentheses, then an optional space or hyphen and
 *                7–8 digits (not starting with 0); or 10–12 digits in one run
 *                starting with 0[1-9];
 *      local     7–8 digits in one run, only within four characters after a
 *                phone keyword (电话, 手机, 联系方式, 号码, 来电, 座机, 传真,
 *                tel, phone, telephone, mobile, fax; the Latin ones in
 *                any case, not as the end of a longer word).
 *    A match is never part of a longer run of digits: 12-digit grid codes,
 *    timestamps, ids and amounts stay intact. Full-width forms, which a
 *    Chinese input method types in full-width mode (digits ０–９, ＋, －,
 *    （, ） and the ideographic space), count as their ASCII forms, alone or
 *    mixed with ASCII; their masked digits read ＊.
 *
 * Identifiers are left alone: values of the members id, seq, rev, code,
 * key, token, username and of any member ending in _id, _ids, _code, _codes,
 * _seq, _key, _token or _hash (and the strings of arrays held by such
 * members; an import's external_id is one). They name records, accounts
 * and keys rather than describe them, and rewriting one would break the
 * client that sends it back. Everything else is searched, member names
 * never, numbers and booleans never: when in doubt, a number is masked.
 *
 * POST /incidents/{id}/reveal answers one incident's full number to a role
 * that may read it (the permission matrix: operator, coordinator) within
 * its scope. It runs as a write so that the audit row (who, which incident,
 * from where) is committed before the number leaves the server.
 */

#include "config.h"

#include <string.h>

#include "fq-entities.h"
#include "fq-server-infra.h"

#define PHONE_MEMBER "caller_phone"

/* Nesting deeper than this is still scanned, with no identifier names. */
#define MAX_DEPTH 64

gboolean
fq_user_sees_phones (const FqUser *user)
{
  /* A write with no user behind it (the demo feed, the SLA watch) answers
   * nobody, so nothing is masked for it. */
  if (user == NULL)
    return TRUE;
  return user->role == FQ_ROLE_OPERATOR || user->role == FQ_ROLE_COORDINATOR;
}

/* The ASCII form of the full-width form at @i, or 0. All are three bytes. */
static char
fullwidth_form_at (const char *text,
                   gsize       length,
                   gsize       i)
{
  guchar last;

  if (i + 3 > length)
    return 0;
  if ((guchar)text[i] == 0xE3 && (guchar)text[i + 1] == 0x80 && (guchar)text[i + 2] == 0x80)
    return ' ';   /* U+3000 */
  if ((guchar)text[i] != 0xEF || (guchar)text[i + 1] != 0xBC)
    return 0;
  last = text[i + 2];
  if (last >= 0x90 && last <= 0x99)
    return '0' + (last - 0x90);   /* U+FF10–FF19 */
  switch (last)
    {
    case 0x88: return '(';   /* U+FF08 */
    case 0x89: return ')';   /* U+FF09 */
    case 0x8B: return '+';   /* U+FF0B */
    case 0x8D: return '-';   /* U+FF0D */
    default:   return 0;
    }
}

/* Whether a full-width digit (U+FF10–FF19, three bytes) starts at @i. */
static inline gboolean
fullwidth_digit_at (const char *text,
                    gsize       length,
                    gsize       i)
{
  return g_ascii_isdigit (fullwidth_form_at (text, length, i));
}

/* How many full-width digits @text (@length bytes) holds. */
static guint
count_fullwidth_digits (const char *text,
                        gsize       length)
{
  const char *p = text, *end = text + length;
  guint n = 0;

  while ((p = memchr (p, 0xEF, end - p)) != NULL)
    {
      if (fullwidth_digit_at (p, end - p, 0))
        n++;
      p++;
    }
  return n;
}

/* Appends @phone (@length bytes) to @out, masked: 13812345678 →
 * 138****5678; short numbers keep less, so that at least half of the
 * digits are always hidden. Full-width digits are masked as ＊; other
 * characters are kept. */
static void
append_masked_phone (GString    *out,
                     const char *phone,
                     gsize       length)
{
  guint n_digits = 0, seen = 0, keep_head, keep_tail;

  for (gsize i = 0; i < length; i++)
    if (g_ascii_isdigit (phone[i]) || fullwidth_digit_at (phone, length, i))
      n_digits++;
  if (n_digits >= 11)
    keep_head = 3, keep_tail = 4;
  else if (n_digits >= 7)
    keep_head = 2, keep_tail = 2;
  else
    keep_head = 0, keep_tail = n_digits >= 4 ? 1 : 0;

  for (gsize i = 0; i < length; i++)
    {
      gboolean keep = seen < keep_head || seen >= n_digits - keep_tail;

      if (fullwidth_digit_at (phone, length, i))
        {
          if (keep)
            g_string_append_len (out, phone + i, 3);
          else
            g_string_append (out, "＊");
          seen++;
          i += 2;
        }
      else if (!g_ascii_isdigit (phone[i]))
        g_string_append_c (out, phone[i]);
      else
        {
          g_string_append_c (out, keep ? phone[i] : '*');
          seen++;
        }
    }
}

char *
fq_privacy_mask_phone (const char *phone)
{
  GString *out;

  g_return_val_if_fail (phone != NULL, NULL);

  out = g_string_sized_new (strlen (phone));
  append_masked_phone (out, phone, strlen (phone));
  return g_string_free (out, FALSE);
}

/* ---- the finder ---- */

static inline gboolean
digit_at (const char *text,
          gsize       length,
          gsize       i)
{
  return i < length && g_ascii_isdigit (text[i]);
}

static inline gboolean
separator_at (const char *text,
              gsize       length,
              gsize       i)
{
  return i < length && (text[i] == ' ' || text[i] == '-');
}

/* The length of the run of digits at @i. */
static gsize
digit_run (const char *text,
           gsize       length,
           gsize       i)
{
  gsize n = 0;

  while (digit_at (text, length, i + n))
    n++;
  return n;
}

static inline gboolean
bytes_at (const char *text,
          gsize       length,
          gsize       i,
          const char *bytes)
{
  gsize n = strlen (bytes);

  return i + n <= length && memcmp (text + i, bytes, n) == 0;
}

/* A mobile number whose first digit (after any prefix) is at @i. */
static gboolean
match_mobile_body (const char *text,
                   gsize       length,
                   gsize       i,
                   gsize      *end)
{
  gsize run = digit_run (text, length, i);

  if (run < 3 || text[i] != '1' || text[i + 1] < '3' || text[i + 1] > '9')
    return FALSE;
  if (run == 11)
    {
      *end = i + 11;
      return TRUE;
    }
  if (run == 3 && separator_at (text, length, i + 3) &&
      digit_run (text, length, i + 4) == 4 && separator_at (text, length, i + 8) &&
      digit_run (text, length, i + 9) == 4)
    {
      *end = i + 13;
      return TRUE;
    }
  return FALSE;
}

/* A mobile number starting at @i (a digit or '+'), with its optional
 * +86 / 86 prefix; *@start is where the number proper starts. */
static gboolean
match_mobile (const char *text,
              gsize       length,
              gsize       i,
              gsize      *start,
              gsize      *end)
{
  gsize body = i;

  if (text[i] == '+')
    {
      if (!bytes_at (text, length, i + 1, "86"))
        return FALSE;
      body = i + 3;
      if (separator_at (text, length, body))
        body++;
    }
  else if (bytes_at (text, length, i, "86"))
    {
      gsize run = digit_run (text, length, i);

      if (run == 13)
        body = i + 2;
      else if (run == 2 && separator_at (text, length, i + 2))
        body = i + 3;
    }
  if (!match_mobile_body (text, length, body, end))
    return FALSE;
  *start = body;
  return TRUE;
}

/* A landline number with its area code, starting at @i. */
static gboolean
match_landline (const char *text,
                gsize       length,
                gsize       i,
                gsize      *end)
{
  gboolean paren = FALSE;
  gsize p = i, run, local;

  if (text[p] == '(')
    paren = TRUE, p++;
  else if (bytes_at (text, length, p, "（"))
    paren = TRUE, p += strlen ("（");
  if (!digit_at (text, length, p) || text[p] != '0' || !digit_at (text, length, p + 1) ||
      text[p + 1] == '0')
    return FALSE;

  run = digit_run (text, length, p);
  if (!paren && run >= 10 && run <= 12)
    {
      *end = p + run;
      return TRUE;
    }
  if (run < 3 || run > 4)
    return FALSE;
  p += run;
  if (paren)
    {
      if (bytes_at (text, length, p, ")"))
        p++;
      else if (bytes_at (text, length, p, "）"))
        p += strlen ("）");
      else
        return FALSE;
      if (separator_at (text, length, p))
        p++;
    }
  else if (separator_at (text, length, p))
    p++;
  else
    return FALSE;

  local = digit_run (text, length, p);
  if (local < 7 || local > 8 || text[p] == '0')
    return FALSE;
  *end = p + local;
  return TRUE;
}

static const char *const keywords[] = {
  "电话", "手机", "联系方式", "号码", "来电", "座机", "传真",
};

static const char *const latin_keywords[] = {
  "tel", "phone", "telephone", "mobile", "fax",
};

/* Whether a phone keyword ends at @i of @text. */
static gboolean
keyword_ends_at (const char *text,
                 gsize       i)
{
  for (guint k = 0; k < G_N_ELEMENTS (keywords); k++)
    {
      gsize n = strlen (keywords[k]);

      if (i >= n && memcmp (text + i - n, keywords[k], n) == 0)
        return TRUE;
    }
  for (guint k = 0; k < G_N_ELEMENTS (latin_keywords); k++)
    {
      gsize n = strlen (latin_keywords[k]);

      if (i >= n && g_ascii_strncasecmp (text + i - n, latin_keywords[k], n) == 0 &&
          (i == n || !g_ascii_isalpha (text[i - n - 1])))
        return TRUE;
    }
  return FALSE;
}

/* Whether a phone keyword ends at most four characters (none a digit)
 * before @i. */
static gboolean
after_keyword (const char *text,
               gsize       i)
{
  gsize q = i;

  for (guint n_chars = 0; ; n_chars++)
    {
      if (keyword_ends_at (text, q))
        return TRUE;
      if (n_chars == 4 || q == 0)
        return FALSE;
      q--;
      while (q > 0 && ((guchar)text[q] & 0xC0) == 0x80)
        q--;
      if (g_ascii_isdigit (text[q]))
        return FALSE;
    }
}

/* The finder proper, on ASCII forms (see Folded). */
static gboolean
find_phone (const char *text,
            gsize       length,
            gsize       from,
            gsize      *start,
            gsize      *end)
{
  for (gsize i = from; i < length; i++)
    {
      char c = text[i];

      /* A match starts where a run of digits (or a prefix) starts. */
      if (i > 0 && g_ascii_isdigit (text[i - 1]))
        continue;
      if (g_ascii_isdigit (c) || c == '+')
        {
          if (match_mobile (text, length, i, start, end))
            return TRUE;
        }
      if (c == '0' || c == '(' || (guchar)c == 0xEF)
        {
          if (match_landline (text, length, i, end))
            {
              *start = i;
              return TRUE;
            }
        }
      if (g_ascii_isdigit (c))
        {
          gsize run = digit_run (text, length, i);

          if (run >= 7 && run <= 8 && after_keyword (text, i))
            {
              *start = i;
              *end = i + run;
              return TRUE;
            }
          /* Nothing starts inside this run. */
          i += run - 1;
        }
    }
  return FALSE;
}

/* Text with its full-width forms folded to ASCII for the finder, and where
 * each byte of it came from: offsets[k] is the offset in the original text
 * of byte k of @text, offsets[text->len] the original length. */
typedef struct
{
  GString *text;
  gsize   *offsets;
} Folded;

/* Whether @text (@length bytes) holds a form that fullwidth_form_at()
 * folds. Not only digits: an input method in Chinese punctuation mode
 * types ASCII digits between full-width hyphens (138－1234－5678). */
static gboolean
has_fullwidth_form (const char *text,
                    gsize       length)
{
  for (gsize i = 0; i + 3 <= length; i++)
    if (fullwidth_form_at (text, length, i) != 0)
      return TRUE;
  return FALSE;
}

/* Folds @text (@length bytes) into @folded if it holds a full-width form;
 * FALSE (and nothing to free) if it holds none, so that the finder can
 * read it as it is. */
static gboolean
folded_init (Folded     *folded,
             const char *text,
             gsize       length)
{
  gsize i = 0;

  if (!has_fullwidth_form (text, length))
    return FALSE;
  folded->text = g_string_sized_new (length);
  folded->offsets = g_new (gsize, length + 1);
  while (i < length)
    {
      char ascii = fullwidth_form_at (text, length, i);

      folded->offsets[folded->text->len] = i;
      if (ascii != 0)
        {
          g_string_append_c (folded->text, ascii);
          i += 3;
        }
      else
        g_string_append_c (folded->text, text[i++]);
    }
  folded->offsets[folded->text->len] = length;
  return TRUE;
}

static void
folded_clear (Folded *folded)
{
  g_string_free (folded->text, TRUE);
  g_free (folded->offsets);
}

gboolean
fq_privacy_find_phone (const char *text,
                       gsize       length,
                       gsize       from,
                       gsize      *start,
                       gsize      *end)
{
  Folded folded;
  gsize k = 0, s, e;
  gboolean found;

  g_return_val_if_fail (text != NULL || length == 0, FALSE);
  g_return_val_if_fail (start != NULL && end != NULL, FALSE);

  if (!folded_init (&folded, text, length))
    return find_phone (text, length, from, start, end);
  while (k < folded.text->len && folded.offsets[k] < from)
    k++;
  found = find_phone (folded.text->str, folded.text->len, k, &s, &e);
  if (found)
    {
      *start = folded.offsets[s];
      *end = folded.offsets[e];
    }
  folded_clear (&folded);
  return found;
}

/* Masks the phones found in @raw (@length bytes) as they are, appending to
 * @out (if not NULL) from *@copied on; see mask_string_text(). */
static gboolean
mask_raw_text (GString     *out,
               const char **copied,
               const char  *raw,
               gsize        length)
{
  Folded folded;
  gboolean is_folded = folded_init (&folded, raw, length);
  const char *text = is_folded ? folded.text->str : raw;
  gsize text_length = is_folded ? folded.text->len : length;
  gsize from = 0, start, end;
  gboolean found = FALSE;

  /* Found on the folded text, masked on the original. */
  while (find_phone (text, text_length, from, &start, &end))
    {
      gsize raw_start = is_folded ? folded.offsets[start] : start;
      gsize raw_end = is_folded ? folded.offsets[end] : end;

      found = TRUE;
      if (out == NULL)
        break;
      g_string_append_len (out, *copied, raw + raw_start - *copied);
      append_masked_phone (out, raw + raw_start, raw_end - raw_start);
      *copied = raw + raw_end;
      from = end;
    }
  if (is_folded)
    folded_clear (&folded);
  return found;
}

/* Appends @text (@length bytes) to @out, if not NULL, with every phone
 * number in it masked; returns whether one was found. */
static gboolean
append_masked_free_text (GString    *out,
                         const char *text,
                         gsize       length)
{
  const char *copied = text;
  gboolean found = mask_raw_text (out, &copied, text, length);

  if (out != NULL)
    g_string_append_len (out, copied, text + length - copied);
  return found;
}

char *
fq_privacy_mask_free_text (const char *text)
{
  GString *out;
  gsize length;
  guint n_digits = 0;

  g_return_val_if_fail (text != NULL, NULL);

  for (length = 0; text[length] != '\0'; length++)
    n_digits += g_ascii_isdigit (text[length]) ? 1 : 0;
  if (n_digits < 7)
    n_digits += count_fullwidth_digits (text, length);
  /* Every shape has seven digits at least. */
  if (n_digits < 7 || !append_masked_free_text (NULL, text, length))
    return NULL;
  out = g_string_sized_new (length);
  append_masked_free_text (out, text, length);
  return g_string_free (out, FALSE);
}

gboolean
fq_privacy_masked_text_matches (const char *text,
                                const char *q)
{
  g_autofree char *masked = NULL;
  g_autofree char *folded_text = NULL;
  g_autofree char *folded_q = NULL;

  if (text == NULL || q == NULL)
    return FALSE;
  masked = fq_privacy_mask_free_text (text);
  folded_text = g_ascii_strdown (masked != NULL ? masked : text, -1);
  folded_q = g_ascii_strdown (q, -1);
  return strstr (folded_text, folded_q) != NULL;
}

/* Whether the member @name (@length bytes) holds an identifier, which is
 * never masked (see the top of this file). */
static gboolean
is_identifier_member (const char *name,
                      gsize       length)
{
#define WORD(s) { s, sizeof s - 1 }
  static const struct { const char *text; gsize length; } names[] = {
    WORD ("id"), WORD ("seq"), WORD ("rev"), WORD ("code"), WORD ("key"), WORD ("token"),
    WORD ("username"),
  }, suffixes[] = {
    WORD ("_id"), WORD ("_ids"), WORD ("_code"), WORD ("_codes"), WORD ("_seq"), WORD ("_key"),
    WORD ("_token"), WORD ("_hash"),
  };
#undef WORD

  if (name == NULL)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (length == names[i].length && memcmp (name, names[i].text, length) == 0)
      return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      gsize n = suffixes[i].length;

      if (length > n && memcmp (name + length - n, suffixes[i].text, n) == 0)
        return TRUE;
    }
  return FALSE;
}

gboolean
fq_privacy_is_identifier_member (const char *name)
{
  return name != NULL && is_identifier_member (name, strlen (name));
}

/* ---- JSON trees ---- */

static JsonNode *
string_node (const char *value)
{
  JsonNode *node = json_node_alloc ();

  return json_node_init_string (node, value);
}

/* A masked copy of @node, the value of member @name (or an element of
 * the array that member holds; NULL for none), or NULL when nothing in it
 * needs masking. @node is never changed: answers may be sealed or shared. */
static JsonNode *
mask_node (JsonNode   *node,
           const char *name)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      JsonObject *copy = NULL;
      JsonObjectIter iter;
      const char *member_name;
      JsonNode *member;
      GList *done = NULL;

      json_object_iter_init_ordered (&iter, object);
      while (json_object_iter_next_ordered (&iter, &member_name, &member))
        {
          JsonNode *masked = mask_node (member, member_name);

          if (masked != NULL && copy == NULL)
            {
              /* The first change: copy what came before it. */
              copy = json_object_new ();
              done = g_list_reverse (done);
              for (GList *l = done; l != NULL; l = l->next)
                json_object_set_member (copy, l->data,
                                        json_node_ref (json_object_get_member (object, l->data)));
              g_clear_pointer (&done, g_list_free);
            }
          if (copy != NULL)
            json_object_set_member (copy, member_name,
                                    masked != NULL ? masked : json_node_ref (member));
          else
            done = g_list_prepend (done, (gpointer)member_name);
        }
      g_list_free (done);
      if (copy == NULL)
        return NULL;
      node = json_node_init_object (json_node_alloc (), copy);
      json_object_unref (copy);
      return node;
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      guint n = json_array_get_length (array);
      JsonArray *copy = NULL;

      for (guint i = 0; i < n; i++)
        {
          JsonNode *element = json_array_get_element (array, i);
          /* The member's name covers its array's strings, not those of
           * arrays inside it (as in mask_json_text()). */
          JsonNode *masked = mask_node (element, JSON_NODE_HOLDS_ARRAY (element) ? NULL : name);

          if (masked != NULL && copy == NULL)
            {
              copy = json_array_sized_new (n);
              for (guint k = 0; k < i; k++)
                json_array_add_element (copy, json_node_ref (json_array_get_element (array, k)));
            }
          if (copy != NULL)
            json_array_add_element (copy, masked != NULL ? masked : json_node_ref (element));
        }
      if (copy == NULL)
        return NULL;
      node = json_node_init_array (json_node_alloc (), copy);
      json_array_unref (copy);
      return node;
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      const char *value = json_node_get_string (node);
      g_autofree char *masked = NULL;

      if (name != NULL && strcmp (name, PHONE_MEMBER) == 0)
        {
          masked = fq_privacy_mask_phone (value);
          if (strcmp (masked, value) == 0)
            return NULL;
        }
      else if (!fq_privacy_is_identifier_member (name))
        masked = fq_privacy_mask_free_text (value);
      return masked != NULL ? string_node (masked) : NULL;
    }
  return NULL;
}

JsonNode *
fq_privacy_mask_node (const FqUser *user,
                      JsonNode     *node)
{
  JsonNode *masked;

  if (node == NULL || fq_user_sees_phones (user))
    return node;
  masked = mask_node (node, NULL);
  if (masked == NULL)
    return node;
  json_node_unref (node);
  return masked;
}

JsonNode *
fq_privacy_mask_public_node (JsonNode *node)
{
  JsonNode *masked;

  if (node == NULL)
    return NULL;
  masked = mask_node (node, NULL);
  if (masked == NULL)
    return node;
  json_node_unref (node);
  return masked;
}

/* ---- JSON text ---- */

/* Decodes the JSON string content @raw (@length bytes, with escapes) into
 * UTF-8, or NULL if it holds U+0000 or a malformed escape. */
static char *
decode_json_string (const char *raw,
                    gsize       length)
{
  GString *out = g_string_sized_new (length);

  for (gsize i = 0; i < length; i++)
    {
      gunichar c;

      if (raw[i] != '\\')
        {
          g_string_append_c (out, raw[i]);
          continue;
        }
      if (++i >= length)
        goto fail;
      switch (raw[i])
        {
        case 'b': g_string_append_c (out, '\b'); break;
        case 'f': g_string_append_c (out, '\f'); break;
        case 'n': g_string_append_c (out, '\n'); break;
        case 'r': g_string_append_c (out, '\r'); break;
        case 't': g_string_append_c (out, '\t'); break;
        case 'u':
          {
            g_autofree char *hex = NULL;

            if (i + 4 >= length)
              goto fail;
            hex = g_strndup (raw + i + 1, 4);
            for (guint k = 0; k < 4; k++)
              if (!g_ascii_isxdigit (hex[k]))
                goto fail;
            c = g_ascii_strtoull (hex, NULL, 16);
            i += 4;
            if (c >= 0xD800 && c < 0xDC00 && i + 6 < length && raw[i + 1] == '\\' &&
                raw[i + 2] == 'u')
              {
                g_autofree char *low_hex = g_strndup (raw + i + 3, 4);
                gunichar low = g_ascii_strtoull (low_hex, NULL, 16);

                if (low >= 0xDC00 && low < 0xE000)
                  {
                    c = 0x10000 + ((c - 0xD800) << 10) + (low - 0xDC00);
                    i += 6;
                  }
              }
            if (c == 0)
              goto fail;
            g_string_append_unichar (out, c);
          }
          break;
        default:
          /* \" \\ \/ */
          g_string_append_c (out, raw[i]);
        }
    }
  return g_string_free (out, FALSE);

fail:
  g_string_free (out, TRUE);
  return NULL;
}

typedef struct
{
  const char *name;   /* the member holding this array, or NULL */
  gsize       length;
} Level;

/* Masks the string content @raw (@length bytes, between the quotes at
 * @raw - 1 and @raw + @length) held by member @name; appends to @out, if not
 * NULL, everything from *@copied up to the end of the string and moves
 * *@copied there. Returns whether anything was masked. */
static gboolean
mask_string_text (GString     *out,
                  const char **copied,
                  const char  *raw,
                  gsize        length,
                  guint        n_digits,
                  gboolean     escaped,
                  const char  *name,
                  gsize        name_length)
{
  if (name != NULL && name_length == strlen (PHONE_MEMBER) &&
      memcmp (name, PHONE_MEMBER, name_length) == 0)
    {
      g_autofree char *decoded = NULL;

      /* Our serialisers write validated phone text here (digits, +, -,
       * spaces), with nothing to unescape; anything else is decoded first
       * so that an escape's hex digits are not taken for the number's. */
      if (length == 0)
        return FALSE;
      if (out == NULL)
        return TRUE;
      if (escaped && (decoded = decode_json_string (raw, length)) != NULL)
        {
          g_autofree char *masked = fq_privacy_mask_phone (decoded);

          g_string_append_len (out, *copied, raw - 1 - *copied);
          fq_json_escape_append (out, masked);
          *copied = raw + length + 1;
        }
      else
        {
          g_string_append_len (out, *copied, raw - *copied);
          append_masked_phone (out, raw, length);
          *copied = raw + length;
        }
      return TRUE;
    }
  /* Every shape has seven digits at least: most strings (names, places,
   * Chinese text) end here. */
  if ((n_digits < 7 && !escaped) || is_identifier_member (name, name_length))
    return FALSE;

  if (!escaped)
    return mask_raw_text (out, copied, raw, length);
  else
    {
      /* Escapes: the finder reads the decoded text, and a changed string
       * is written again whole. */
      g_autofree char *decoded = decode_json_string (raw, length);
      g_autofree char *masked = NULL;

      if (decoded == NULL)
        return mask_raw_text (out, copied, raw, length);
      masked = fq_privacy_mask_free_text (decoded);
      if (masked == NULL)
        return FALSE;
      if (out != NULL)
        {
          g_string_append_len (out, *copied, raw - 1 - *copied);
          fq_json_escape_append (out, masked);
          *copied = raw + length + 1;
        }
      return TRUE;
    }
}

/* How many ASCII digits @text (@length bytes) holds, eight bytes at a time:
 * a byte b with 0x2F < b < 0x3A sets its top bit in the mask (the
 * "hasbetween" bit trick; bytes of 0x80 and above never count). */
static guint
count_digits (const char *text,
              gsize       length)
{
  const guint64 ones = G_GUINT64_CONSTANT (0x0101010101010101);
  guint n = 0;
  gsize i = 0;

  for (; i + 8 <= length; i += 8)
    {
      guint64 x, low, mask;

      memcpy (&x, text + i, 8);
      low = x & (ones * 127);
      mask = ((ones * (127 + 0x3A) - low) & ~x & (low + ones * (127 - 0x2F))) & (ones * 128);
      n += __builtin_popcountll (mask);
    }
  for (; i < length; i++)
    n += (guchar)(text[i] - '0') < 10;
  return n;
}

/* Walks serialised JSON @json (@length bytes) and masks its string values;
 * appends the result to @out, or with @out NULL only tells whether
 * anything would be masked. */
static gboolean
mask_json_text (GString    *out,
                const char *json,
                gsize       length)
{
  Level levels[MAX_DEPTH];
  guint depth = 0;
  const char *pending = NULL;  /* the member name whose value comes next */
  gsize pending_length = 0;
  const char *copied = json;
  gboolean found = FALSE;
  gsize i = 0;

  while (i < length)
    {
      switch (json[i])
        {
        case '"':
          {
            gsize j = i + 1, k;
            guint n_digits = 0;
            gboolean escaped;

            /* The closing quote: the next one not escaped by an odd number
             * of backslashes (memchr is much faster than a loop here). */
            for (;;)
              {
                const char *quote = memchr (json + j, '"', length - j);
                gsize n_backslashes = 0;

                if (quote == NULL)
                  {
                    j = length;
                    break;
                  }
                j = quote - json;
                while (j - n_backslashes > i + 1 && json[j - n_backslashes - 1] == '\\')
                  n_backslashes++;
                if (n_backslashes % 2 == 0)
                  break;
                j++;
              }
            escaped = j < length && memchr (json + i + 1, '\\', j - i - 1) != NULL;
            n_digits = count_digits (json + i + 1, j - i - 1);
            if (n_digits < 7)
              n_digits += count_fullwidth_digits (json + i + 1, j - i - 1);
            if (j >= length)
              {
                i = length;  /* not JSON: left as it is */
                break;
              }
            for (k = j + 1; k < length && g_ascii_isspace (json[k]); k++)
              ;
            if (k < length && json[k] == ':')
              {
                pending = json + i + 1;
                pending_length = j - i - 1;
              }
            else
              {
                const char *name = pending;
                gsize name_length = pending_length;

                if (name == NULL && depth > 0 && depth <= MAX_DEPTH)
                  {
                    name = levels[depth - 1].name;
                    name_length = levels[depth - 1].length;
                  }
                pending = NULL;
                if (mask_string_text (out, &copied, json + i + 1, j - i - 1, n_digits, escaped,
                                      name, name_length))
                  {
                    found = TRUE;
                    if (out == NULL)
                      return TRUE;
                  }
              }
            i = j + 1;
          }
          break;
        case '[':
        case '{':
          if (depth < MAX_DEPTH)
            {
              levels[depth].name = json[i] == '[' ? pending : NULL;
              levels[depth].length = json[i] == '[' ? pending_length : 0;
            }
          depth++;
          pending = NULL;
          i++;
          break;
        case ']':
        case '}':
          if (depth > 0)
            depth--;
          pending = NULL;
          i++;
          break;
        case ',':
          pending = NULL;
          i++;
          break;
        default:
          i++;
        }
    }
  if (out != NULL)
    g_string_append_len (out, copied, json + length - copied);
  return found;
}

void
fq_privacy_mask_text_append (GString    *out,
                             const char *json,
                             gsize       length)
{
  /* The /changes page splices every row: masked straight into the page,
   * with no copy of the row in between. */
  mask_json_text (out, json, length);
}

char *
fq_privacy_mask_text (const char *json)
{
  gsize length;
  GString *out;

  g_return_val_if_fail (json != NULL, NULL);

  length = strlen (json);
  if (!mask_json_text (NULL, json, length))
    return NULL;
  out = g_string_sized_new (length + 16);
  mask_json_text (out, json, length);
  return g_string_free (out, FALSE);
}

/* ---- POST /incidents/{id}/reveal ---- */

static gboolean
reveal_job (FqJob    *job,
            gpointer  user_data,
            GError  **error)
{
  g_autoptr(FqDb) db = fq_db_new_for_job (job);
  const char *id = fq_request_get_segment (fq_job_get_request (job), 1);
  g_autoptr(FqIncident) incident = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  GError *local_error = NULL;
  gboolean visible = FALSE;

  incident = fq_incident_load (db, id, &local_error);
  if (incident != NULL)
    visible = fq_incident_visible (db, fq_job_get_user (job), incident, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (incident == NULL || !visible)
    {
      /* Out of scope answers exactly as missing does. */
      g_set_error (error, FQ_ERROR, FQ_ERROR_NOT_FOUND, "incident %s not found", id);
      return FALSE;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, incident->id);
  json_builder_set_member_name (builder, "caller_phone");
  if (incident->caller_phone != NULL)
    json_builder_add_string_value (builder, incident->caller_phone);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);

  fq_job_set_audit (job, "incident", incident->id, "reveal");
  fq_job_respond (job, SOUP_STATUS_OK, json_builder_get_root (builder));
  return TRUE;
}

static void
post_reveal (FqRequest *request)
{
  /* The router has checked the role against the permission matrix. */
  fq_request_run (request, FQ_JOB_WRITE, reveal_job, NULL, NULL);
}

void
fq_privacy_register (FqServer *server)
{
  fq_server_add_route (server, "POST", "/incidents/*/reveal", FQ_ROUTE_DEFAULT, post_reveal);
}
