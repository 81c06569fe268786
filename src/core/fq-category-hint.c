/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao"

#include "config.h"

#include <math.h>
#include <string.h>

#include "fq-category-hint.h"
#include "fq-error.h"

/* Additive (Laplace) smoothing of the n-gram counts, and the weight of a
 * keyword or a category's name, which count as that many examples: they
 * are curated and short, and give every category its typical words. Both
 * were chosen by 5-fold cross-validation on the training split (top-1 over
 * α ∈ {0.03 … 4}, weight ∈ {1 … 16}, n ∈ {2, 1–2, 1–3, 1–4}, counts or
 * presence), never on the held-out split: α = 2, weight 8, n-grams up to 3,
 * presence. Strong smoothing suits summaries of 15–30 characters, whose
 * few n-grams must not be drowned by a class that never saw one of them. */
#define SMOOTHING 2.0
#define KEYWORD_WEIGHT 8.0
/* Longest n-gram used as a feature. */
#define MAX_GRAM 3
/* Folds of the cross-validation that fits the temperature. */
#define N_FOLDS 5
/* A danger pattern "A*B" matches A followed by B with at most this many
 * characters between them (持刀, 持一把刀, 拿着菜刀). */
#define DANGER_MAX_GAP 6

/* A trained model: for each feature id, the classes that saw it and
 * log (1 + count / α), in compressed rows (CSR); a feature no class saw in
 * training has an empty row and is ignored, as naive Bayes ignores words
 * outside its vocabulary. */
typedef struct
{
  guint    n_classes;
  guint    n_features;
  guint   *row_start;  /* n_features + 1 */
  guint16 *classes;
  float   *weights;
  double  *base;       /* per class: log (α / (N_c + α·V)) */
} Model;

typedef struct
{
  char   *text;       /* as written in the file, for display */
  GArray *segments;   /* of GArray * of gunichar */
  guint   category;   /* class index */
} DangerWord;

struct _FqCategoryHint
{
  /* The categories, by class index (the order of the reference data). */
  GPtrArray  *codes;        /* char * */
  gboolean   *police_only;
  guint       n_classes;

  /* Every n-gram seen in training (packed, see add_features()) → its id + 1. */
  GHashTable *feature_ids;
  Model      *model;
  double      temperature;
  guint       n_trained;

  GPtrArray  *danger_words; /* DangerWord * */
  /* A word's first character → the indexes of the words that begin with
   * it (GArray of guint, in file order): a text is read once, and at each
   * character only the words that can start there are tried. */
  GHashTable *danger_starts;
};

G_DEFINE_BOXED_TYPE (FqCategoryHint, fq_category_hint,
                     fq_category_hint_ref, fq_category_hint_unref)

typedef struct
{
  guint       cls;
  const char *text;
  double      weight;
  guint       fold;   /* the cross-validation fold, or G_MAXUINT: always trains */
  GArray     *ids;    /* guint feature ids of its n-grams, sorted, each once */
} Document;

/* NFKC folds full-width forms, casefold makes Latin letters (KTV, ktv)
 * compare equal; whitespace and punctuation (and symbols, as GLib counts
 * them) carry nothing. Digits carry nothing for the category (house numbers,
 * times) but they do for danger ("100多人"), hence @keep_digits. */
static GArray *
clean_chars (const char *text,
             gboolean    keep_digits)
{
  GArray *chars = g_array_new (FALSE, FALSE, sizeof (gunichar));
  g_autofree char *nfkc = NULL;
  g_autofree char *folded = NULL;

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return chars;

  nfkc = g_utf8_normalize (text, -1, G_NORMALIZE_NFKC);
  folded = g_utf8_casefold (nfkc, -1);

  for (const char *p = folded; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c) || g_unichar_ispunct (c))
        continue;
      if (!keep_digits && g_unichar_isdigit (c))
        continue;
      g_array_append_val (chars, c);
    }

  return chars;
}

/* The n-grams (n = 1 … MAX_GRAM) of @text, each packed into 64 bits: the
 * order in the top two bits, then up to three 21-bit code points. */
static void
add_features (GArray     *features,
              const char *text)
{
  g_autoptr(GArray) chars = clean_chars (text, FALSE);

  for (guint n = 1; n <= MAX_GRAM; n++)
    {
      for (guint i = 0; i + n <= chars->len; i++)
        {
          /* Packed unsigned: shifting into the sign bit of a gint64 is
           * undefined. The array holds the same 64 bits as gint64. */
          guint64 key = (guint64)n << 62;

          for (guint k = 0; k < n; k++)
            key |= (guint64)g_array_index (chars, gunichar, i + k) << (21 * (2 - k));
          g_array_append_val (features, key);
        }
    }
}

/* g_int64_hash() folds the two halves together, which collides a lot on
 * packed code points; the finaliser of MurmurHash3 spreads every bit. */
static guint
feature_hash (gconstpointer key)
{
  guint64 h = *(const guint64 *)key;

  h ^= h >> 33;
  h *= G_GUINT64_CONSTANT (0xff51afd7ed558ccd);
  h ^= h >> 33;
  h *= G_GUINT64_CONSTANT (0xc4ceb9fe1a85ec53);
  h ^= h >> 33;

  return (guint)h;
}

static void
model_free (Model *model)
{
  if (model == NULL)
    return;
  g_free (model->row_start);
  g_free (model->classes);
  g_free (model->weights);
  g_free (model->base);
  g_free (model);
}

typedef struct
{
  guint  feature;
  guint  cls;
  double weight;
} Occurrence;

static int
compare_ids (gconstpointer a,
             gconstpointer b)
{
  guint x = *(const guint *)a, y = *(const guint *)b;

  return x < y ? -1 : x > y;
}

static int
compare_occurrences (gconstpointer a,
                     gconstpointer b)
{
  const Occurrence *x = a, *y = b;

  if (x->feature != y->feature)
    return x->feature < y->feature ? -1 : 1;
  if (x->cls != y->cls)
    return x->cls < y->cls ? -1 : 1;
  return 0;
}

/* Sorts @ids and drops repeats: a feature counts once per text (binary
 * naive Bayes), which suits short texts where a repeated character says
 * little more. */
static void
unique_ids (GArray *ids)
{
  guint n = 0;

  g_array_sort (ids, compare_ids);
  for (guint i = 0; i < ids->len; i++)
    {
      if (n == 0 || g_array_index (ids, guint, i) != g_array_index (ids, guint, n - 1))
        g_array_index (ids, guint, n++) = g_array_index (ids, guint, i);
    }
  g_array_set_size (ids, n);
}

/* Trains on the documents whose fold is not @held_out (G_MAXUINT: all):
 * sorts every (feature, class) occurrence and sums the runs, which is much
 * cheaper than a hash table per feature. */
static Model *
model_train (GArray *documents,
             guint   n_classes,
             guint   n_features,
             guint   held_out)
{
  g_autoptr(GArray) occurrences = g_array_new (FALSE, FALSE, sizeof (Occurrence));
  g_autofree double *totals = g_new0 (double, n_classes);
  g_autoptr(GArray) classes = g_array_new (FALSE, FALSE, sizeof (guint16));
  g_autoptr(GArray) weights = g_array_new (FALSE, FALSE, sizeof (float));
  Model *model = g_new0 (Model, 1);
  guint vocabulary = 0;
  guint i = 0;

  for (guint d = 0; d < documents->len; d++)
    {
      const Document *doc = &g_array_index (documents, Document, d);

      if (held_out != G_MAXUINT && doc->fold == held_out)
        continue;

      for (guint k = 0; k < doc->ids->len; k++)
        {
          Occurrence occurrence = { g_array_index (doc->ids, guint, k), doc->cls, doc->weight };

          g_array_append_val (occurrences, occurrence);
        }
      totals[doc->cls] += doc->weight * doc->ids->len;
    }
  g_array_sort (occurrences, compare_occurrences);

  model->n_classes = n_classes;
  model->n_features = n_features;
  model->row_start = g_new0 (guint, n_features + 1);
  model->base = g_new0 (double, n_classes);

  for (guint f = 0; f < n_features; f++)
    {
      model->row_start[f] = classes->len;
      if (i < occurrences->len && g_array_index (occurrences, Occurrence, i).feature == f)
        vocabulary++;

      while (i < occurrences->len && g_array_index (occurrences, Occurrence, i).feature == f)
        {
          guint16 cls = g_array_index (occurrences, Occurrence, i).cls;
          double count = 0.0;
          float weight;

          for (; i < occurrences->len &&
                 g_array_index (occurrences, Occurrence, i).feature == f &&
                 g_array_index (occurrences, Occurrence, i).cls == cls; i++)
            count += g_array_index (occurrences, Occurrence, i).weight;

          /* log P(f|c) = base_c + log (1 + n_fc / α): only the classes
           * that saw f need an entry, the others take base_c alone. */
          weight = log1p (count / SMOOTHING);
          g_array_append_val (classes, cls);
          g_array_append_val (weights, weight);
        }
    }
  model->row_start[n_features] = classes->len;
  model->classes = (guint16 *)(gpointer)g_array_free (g_steal_pointer (&classes), FALSE);
  model->weights = (float *)(gpointer)g_array_free (g_steal_pointer (&weights), FALSE);

  for (guint c = 0; c < n_classes; c++)
    model->base[c] = log (SMOOTHING / (totals[c] + SMOOTHING * MAX (vocabulary, 1)));

  return model;
}

/* The log-likelihood of the features @ids under each class, into @scores.
 * Returns the number of features the model knows (0: it can say nothing). */
static guint
model_score (const Model *model,
             GArray      *ids,
             double      *scores)
{
  guint known = 0;

  memset (scores, 0, sizeof (double) * model->n_classes);

  for (guint i = 0; i < ids->len; i++)
    {
      guint f = g_array_index (ids, guint, i);
      guint start = model->row_start[f], end = model->row_start[f + 1];

      if (start == end)
        continue;
      known++;
      for (guint k = start; k < end; k++)
        scores[model->classes[k]] += model->weights[k];
    }

  for (guint c = 0; c < model->n_classes; c++)
    scores[c] += known * model->base[c];

  return known;
}

/* The ids of the n-grams of @text that @feature_ids knows; with @add, new
 * n-grams are given the next ids. */
static GArray *
feature_ids_of (GHashTable *feature_ids,
                const char *text,
                gboolean    add)
{
  g_autoptr(GArray) features = g_array_new (FALSE, FALSE, sizeof (gint64));
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (guint));

  add_features (features, text);
  for (guint i = 0; i < features->len; i++)
    {
      gint64 *feature = &g_array_index (features, gint64, i);
      guint id = GPOINTER_TO_UINT (g_hash_table_lookup (feature_ids, feature));

      if (id == 0 && add)
        {
          id = g_hash_table_size (feature_ids) + 1;
          g_hash_table_insert (feature_ids, g_memdup2 (feature, sizeof *feature),
                               GUINT_TO_POINTER (id));
        }
      if (id != 0)
        {
          id--;
          g_array_append_val (ids, id);
        }
    }

  return ids;
}

/* Softmax of @scores / @temperature, in place. */
static void
to_posterior (double *scores,
              guint   n,
              double  temperature)
{
  double max = -INFINITY;
  double sum = 0.0;

  for (guint c = 0; c < n; c++)
    max = MAX (max, scores[c]);
  for (guint c = 0; c < n; c++)
    {
      scores[c] = exp ((scores[c] - max) / temperature);
      sum += scores[c];
    }
  for (guint c = 0; c < n; c++)
    scores[c] /= sum;
}

static double
log_loss (const double *scores,
          const guint  *truth,
          guint         n_docs,
          guint         n_classes,
          double        temperature)
{
  double loss = 0.0;

  for (guint d = 0; d < n_docs; d++)
    {
      const double *s = scores + (gsize)d * n_classes;
      double max = -INFINITY;
      double sum = 0.0;

      for (guint c = 0; c < n_classes; c++)
        max = MAX (max, s[c]);
      for (guint c = 0; c < n_classes; c++)
        sum += exp ((s[c] - max) / temperature);
      loss += log (sum) - (s[truth[d]] - max) / temperature;
    }

  return loss;
}

/* The temperature that minimises the log loss of the held-out folds, by a
 * golden-section search over its logarithm (the loss is unimodal in it).
 * Returns 1 if there is nothing to fit on. */
static double
fit_temperature (GArray *documents,
                 guint   n_classes,
                 guint   n_features)
{
  g_autofree double *scores = NULL;
  g_autofree guint *truth = NULL;
  guint n_docs = 0, n_held = 0;
  const double phi = (sqrt (5.0) - 1.0) / 2.0;
  double lo = log (0.5), hi = log (200.0);
  double a, b, fa, fb;

  for (guint d = 0; d < documents->len; d++)
    {
      if (g_array_index (documents, Document, d).fold != G_MAXUINT)
        n_docs++;
    }
  if (n_docs < N_FOLDS * 2)
    return 1.0;

  scores = g_new (double, (gsize)n_docs * n_classes);
  truth = g_new (guint, n_docs);

  for (guint fold = 0; fold < N_FOLDS; fold++)
    {
      Model *model = model_train (documents, n_classes, n_features, fold);

      for (guint d = 0; d < documents->len; d++)
        {
          const Document *doc = &g_array_index (documents, Document, d);

          if (doc->fold != fold)
            continue;
          model_score (model, doc->ids, scores + (gsize)n_held * n_classes);
          truth[n_held++] = doc->cls;
        }
      model_free (model);
    }
  g_assert (n_held == n_docs);

  a = hi - phi * (hi - lo);
  b = lo + phi * (hi - lo);
  fa = log_loss (scores, truth, n_held, n_classes, exp (a));
  fb = log_loss (scores, truth, n_held, n_classes, exp (b));
  for (guint i = 0; i < 32; i++)
    {
      if (fa < fb)
        {
          hi = b;
          b = a;
          fb = fa;
          a = hi - phi * (hi - lo);
          fa = log_loss (scores, truth, n_held, n_classes, exp (a));
        }
      else
        {
          lo = a;
          a = b;
          fa = fb;
          b = lo + phi * (hi - lo);
          fb = log_loss (scores, truth, n_held, n_classes, exp (b));
        }
    }

  return exp ((lo + hi) / 2.0);
}

static gint
class_index (FqCategoryHint *self,
             const char     *code)
{
  for (guint c = 0; c < self->n_classes; c++)
    {
      if (g_strcmp0 (g_ptr_array_index (self->codes, c), code) == 0)
        return c;
    }

  return -1;
}

/* Reads data/category-examples.json into @documents (texts borrowed from
 * @parser's tree, which the caller keeps alive). Examples of categories the
 * reference data does not have are skipped: a server whose administrator
 * removed a category still starts. */
static gboolean
load_examples (FqCategoryHint       *self,
               JsonParser           *parser,
               const char           *path,
               FqCategoryHintFlags   flags,
               GArray               *documents,
               GError              **error)
{
  JsonNode *root;
  JsonArray *examples;
  guint n_trained = 0;

  if (!json_parser_load_from_file (parser, path, error))
    return FALSE;

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
      !json_object_has_member (json_node_get_object (root), "examples") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (json_node_get_object (root), "examples")))
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "examples",
                          "%s: expected an object with an array \"examples\"", path);
      return FALSE;
    }

  examples = json_object_get_array_member (json_node_get_object (root), "examples");
  for (guint i = 0; i < json_array_get_length (examples); i++)
    {
      JsonNode *node = json_array_get_element (examples, i);
      JsonObject *object;
      const char *fields[] = { "category", "text", "split", NULL };
      const char *values[G_N_ELEMENTS (fields) - 1];
      g_autoptr(GList) members = NULL;
      Document doc;
      gint cls;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, NULL,
                              "examples[%u]: expected an object", i);
          return FALSE;
        }
      object = json_node_get_object (node);

      members = json_object_get_members (object);
      for (const GList *l = members; l != NULL; l = l->next)
        {
          if (!g_strv_contains (fields, l->data) && g_strcmp0 (l->data, "note") != 0)
            {
              g_set_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD,
                           "examples[%u].%s: unknown member", i, (const char *)l->data);
              return FALSE;
            }
        }

      for (guint f = 0; fields[f] != NULL; f++)
        {
          JsonNode *member = json_object_get_member (object, fields[f]);

          if (member == NULL || !JSON_NODE_HOLDS_VALUE (member) ||
              json_node_get_value_type (member) != G_TYPE_STRING ||
              *json_node_get_string (member) == '\0')
            {
              g_set_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD,
                           "examples[%u].%s: expected a non-empty string", i, fields[f]);
              return FALSE;
            }
          values[f] = json_node_get_string (member);
        }

      if (g_strcmp0 (values[2], "train") != 0 && g_strcmp0 (values[2], "test") != 0)
        {
          g_set_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD,
                       "examples[%u].split: expected \"train\" or \"test\", not \"%s\"",
                       i, values[2]);
          return FALSE;
        }

      cls = class_index (self, values[0]);
      if (cls < 0)
        {
          g_debug ("%s: examples[%u]: category %s is not in the reference data, skipped",
                   path, i, values[0]);
          continue;
        }

      if ((flags & FQ_CATEGORY_HINT_TRAIN_ONLY) != 0 && strcmp (values[2], "test") == 0)
        continue;

      doc.cls = cls;
      doc.text = values[1];
      doc.weight = 1.0;
      doc.fold = n_trained % N_FOLDS;
      doc.ids = NULL;
      g_array_append_val (documents, doc);
      n_trained++;
    }

  self->n_trained = n_trained;

  return TRUE;
}

static void
danger_word_free (gpointer data)
{
  DangerWord *word = data;

  g_free (word->text);
  g_ptr_array_unref ((GPtrArray *)word->segments);
  g_free (word);
}

/* data/danger-words.txt: `# comment` lines, `[CODE]` section lines naming
 * a police-only category, and one pattern per line: characters, where `*`
 * stands for up to DANGER_MAX_GAP characters. */
static gboolean
load_danger_words (FqCategoryHint  *self,
                   const char      *path,
                   GError         **error)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  gint section = -1;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return FALSE;
  if (!g_utf8_validate (contents, -1, NULL))
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD, "%s: not UTF-8", path);
      return FALSE;
    }

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = g_strstrip (lines[i]);
      g_auto(GStrv) parts = NULL;
      DangerWord *word;
      GPtrArray *segments;

      if (*line == '\0' || *line == '#')
        continue;

      if (*line == '[')
        {
          gsize len = strlen (line);
          g_autofree char *code = NULL;

          if (len < 3 || line[len - 1] != ']')
            {
              g_set_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD,
                           "%s:%u: bad section line", path, i + 1);
              return FALSE;
            }
          code = g_strndup (line + 1, len - 2);
          section = class_index (self, code);
          if (section < 0 || !self->police_only[section])
            {
              g_set_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD,
                           "%s:%u: %s is not a police-only category", path, i + 1, code);
              return FALSE;
            }
          continue;
        }

      if (section < 0)
        {
          g_set_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD,
                       "%s:%u: a word before the first [CATEGORY] line", path, i + 1);
          return FALSE;
        }

      parts = g_strsplit (line, "*", -1);
      segments = g_ptr_array_new_with_free_func ((GDestroyNotify)g_array_unref);
      for (guint k = 0; parts[k] != NULL; k++)
        {
          GArray *chars = clean_chars (parts[k], TRUE);

          if (chars->len == 0)
            {
              g_array_unref (chars);
              g_ptr_array_unref (segments);
              g_set_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD,
                           "%s:%u: empty part in \"%s\"", path, i + 1, line);
              return FALSE;
            }
          g_ptr_array_add (segments, chars);
        }

      word = g_new0 (DangerWord, 1);
      word->text = g_strdup (line);
      word->segments = (GArray *)segments;
      word->category = section;
      g_ptr_array_add (self->danger_words, word);
    }

  for (guint i = 0; i < self->danger_words->len; i++)
    {
      const DangerWord *word = g_ptr_array_index (self->danger_words, i);
      GArray *first = g_ptr_array_index ((GPtrArray *)word->segments, 0);
      gpointer c = GUINT_TO_POINTER (g_array_index (first, gunichar, 0));
      GArray *starting = g_hash_table_lookup (self->danger_starts, c);

      if (starting == NULL)
        {
          starting = g_array_new (FALSE, FALSE, sizeof (guint));
          g_hash_table_insert (self->danger_starts, c, starting);
        }
      g_array_append_val (starting, i);
    }

  return TRUE;
}

static gboolean
segment_at (GArray *text,
            guint   pos,
            GArray *segment)
{
  if (pos + segment->len > text->len)
    return FALSE;

  for (guint k = 0; k < segment->len; k++)
    {
      if (g_array_index (text, gunichar, pos + k) != g_array_index (segment, gunichar, k))
        return FALSE;
    }

  return TRUE;
}

/* Whether @word occurs in @text from @start. After the first segment,
 * the earliest occurrence of each next one within the gap is taken: no
 * later choice could leave more room for the segments after it. */
static gboolean
danger_word_matches_at (const DangerWord *word,
                        GArray           *text,
                        guint             start)
{
  GPtrArray *segments = (GPtrArray *)word->segments;
  GArray *first = g_ptr_array_index (segments, 0);
  guint end;

  if (!segment_at (text, start, first))
    return FALSE;

  end = start + first->len;
  for (guint s = 1; s < segments->len; s++)
    {
      GArray *segment = g_ptr_array_index (segments, s);
      gboolean found = FALSE;

      for (guint pos = end; pos <= end + DANGER_MAX_GAP && !found; pos++)
        {
          if (segment_at (text, pos, segment))
            {
              found = TRUE;
              end = pos + segment->len;
            }
        }
      if (!found)
        return FALSE;
    }

  return TRUE;
}

/* The indexes of the danger words found in @texts, in file order. */
static GArray *
find_danger (FqCategoryHint  *self,
             const char     **texts,
             guint            n_texts)
{
  GArray *found = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autofree gboolean *matched = g_new0 (gboolean, MAX (self->danger_words->len, 1));

  for (guint t = 0; t < n_texts; t++)
    {
      g_autoptr(GArray) cleaned = clean_chars (texts[t], TRUE);

      for (guint pos = 0; pos < cleaned->len; pos++)
        {
          gpointer c = GUINT_TO_POINTER (g_array_index (cleaned, gunichar, pos));
          GArray *starting = g_hash_table_lookup (self->danger_starts, c);

          for (guint k = 0; starting != NULL && k < starting->len; k++)
            {
              guint i = g_array_index (starting, guint, k);

              if (!matched[i])
                matched[i] = danger_word_matches_at (g_ptr_array_index (self->danger_words, i),
                                                     cleaned, pos);
            }
        }
    }

  for (guint i = 0; i < self->danger_words->len; i++)
    {
      if (matched[i])
        g_array_append_val (found, i);
    }

  return found;
}

static void
clear_document (gpointer data)
{
  Document *doc = data;

  g_clear_pointer (&doc->ids, g_array_unref);
}

static void
fq_category_hint_free (FqCategoryHint *self)
{
  g_clear_pointer (&self->codes, g_ptr_array_unref);
  g_clear_pointer (&self->police_only, g_free);
  g_clear_pointer (&self->feature_ids, g_hash_table_unref);
  g_clear_pointer (&self->model, model_free);
  g_clear_pointer (&self->danger_words, g_ptr_array_unref);
  g_clear_pointer (&self->danger_starts, g_hash_table_unref);
}

/**
 * fq_category_hint_new:
 * @refdata: the reference data, with its categories
 * @examples_path: data/category-examples.json
 * @danger_words_path: data/danger-words.txt
 * @flags: #FqCategoryHintFlags
 * @error: return location for a #GError
 *
 * Trains the model (see fq-category-hint.h). The categories are those of
 * @refdata, each of which also learns from its name and keywords.
 *
 * Returns: (transfer full) (nullable): the hint, or %NULL if a file cannot
 *   be read or is malformed
 */
FqCategoryHint *
fq_category_hint_new (FqRefData            *refdata,
                      const char           *examples_path,
                      const char           *danger_words_path,
                      FqCategoryHintFlags   flags,
                      GError              **error)
{
  g_autoptr(FqCategoryHint) self = NULL;
  g_autoptr(GPtrArray) categories = NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GArray) documents = g_array_new (FALSE, FALSE, sizeof (Document));
  guint n_features;

  g_return_val_if_fail (refdata != NULL, NULL);
  g_return_val_if_fail (examples_path != NULL, NULL);
  g_return_val_if_fail (danger_words_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_atomic_rc_box_new0 (FqCategoryHint);
  self->codes = g_ptr_array_new_with_free_func (g_free);
  self->danger_words = g_ptr_array_new_with_free_func (danger_word_free);
  self->danger_starts = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify)g_array_unref);

  categories = fq_refdata_get_categories (refdata);
  if (categories->len == 0 || categories->len > G_MAXUINT16)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL,
                   "the reference data has %u categories", categories->len);
      return NULL;
    }
  self->n_classes = categories->len;
  self->police_only = g_new0 (gboolean, self->n_classes);
  for (guint c = 0; c < categories->len; c++)
    {
      const FqCategoryInfo *info = g_ptr_array_index (categories, c);

      g_ptr_array_add (self->codes, g_strdup (info->code));
      self->police_only[c] = info->police_only;
    }

  if (!load_examples (self, parser, examples_path, flags, documents, error))
    return NULL;
  if (!load_danger_words (self, danger_words_path, error))
    return NULL;

  /* The names and keywords train every model, cross-validated or not. */
  for (guint c = 0; c < categories->len; c++)
    {
      const FqCategoryInfo *info = g_ptr_array_index (categories, c);
      Document doc = { c, info->name, KEYWORD_WEIGHT, G_MAXUINT, NULL };

      g_array_append_val (documents, doc);
      for (guint k = 0; info->keywords[k] != NULL; k++)
        {
          doc.text = info->keywords[k];
          g_array_append_val (documents, doc);
        }
    }

  g_array_set_clear_func (documents, clear_document);
  self->feature_ids = g_hash_table_new_full (feature_hash, g_int64_equal, g_free, NULL);
  for (guint d = 0; d < documents->len; d++)
    {
      Document *doc = &g_array_index (documents, Document, d);

      doc->ids = feature_ids_of (self->feature_ids, doc->text, TRUE);
      unique_ids (doc->ids);
    }
  n_features = g_hash_table_size (self->feature_ids);

  self->temperature = fit_temperature (documents, self->n_classes, n_features);
  self->model = model_train (documents, self->n_classes, n_features, G_MAXUINT);

  g_debug ("category hint: %u examples, %u n-grams, temperature %.2f",
           self->n_trained, n_features, self->temperature);

  return g_steal_pointer (&self);
}

/**
 * fq_category_hint_new_from_dir:
 * @refdata: the reference data, with its categories
 * @datadir: the folder of category-examples.json and danger-words.txt
 * @error: return location for a #GError
 *
 * The hint the server uses: trained on every example.
 *
 * Returns: (transfer full) (nullable): the hint, or %NULL on error
 */
FqCategoryHint *
fq_category_hint_new_from_dir (FqRefData   *refdata,
                               const char  *datadir,
                               GError     **error)
{
  g_autofree char *examples = NULL;
  g_autofree char *danger = NULL;

  g_return_val_if_fail (datadir != NULL, NULL);

  examples = g_build_filename (datadir, "category-examples.json", NULL);
  danger = g_build_filename (datadir, "danger-words.txt", NULL);

  return fq_category_hint_new (refdata, examples, danger, FQ_CATEGORY_HINT_NONE, error);
}

FqCategoryHint *
fq_category_hint_ref (FqCategoryHint *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_atomic_rc_box_acquire (self);
}

void
fq_category_hint_unref (FqCategoryHint *self)
{
  g_return_if_fail (self != NULL);

  g_atomic_rc_box_release_full (self, (GDestroyNotify)fq_category_hint_free);
}

/**
 * fq_category_hint_suggest:
 * @self: a #FqCategoryHint
 * @summary: (nullable): the incident's summary
 * @description: (nullable): its description
 * @n: the number of suggestions wanted
 * @results: (out caller-allocates) (array length=n): the suggestions, most
 *   likely first
 * @danger: (out) (optional): whether a danger word occurs
 * @danger_words: (out) (optional) (transfer full): the danger words found,
 *   as written in the word file; an empty array if none
 *
 * Suggests the @n most likely categories with their posterior probability.
 * When a danger word occurs, the first suggestion is a police-only category
 * with confidence 1, whatever the model says: the model's best category if
 * it is police-only, else the most likely category the matched words are
 * filed under; the others follow in the model's order.
 *
 * Returns: the number of suggestions written: @n, or fewer if there are
 *   fewer categories, or 0 when the texts have nothing the model knows and
 *   no danger word
 */
guint
fq_category_hint_suggest (FqCategoryHint       *self,
                          const char           *summary,
                          const char           *description,
                          guint                 n,
                          FqCategorySuggestion *results,
                          gboolean             *danger,
                          GStrv                *danger_words)
{
  const char *texts[] = { summary, description };
  g_autoptr(GArray) ids = NULL;
  g_autoptr(GArray) description_ids = NULL;
  g_autoptr(GArray) found = NULL;
  g_autofree double *posterior = NULL;
  g_autofree guint *order = NULL;
  guint known, n_out = 0;
  gint forced = -1;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (n == 0 || results != NULL, 0);

  ids = feature_ids_of (self->feature_ids, summary, FALSE);
  description_ids = feature_ids_of (self->feature_ids, description, FALSE);
  g_array_append_vals (ids, description_ids->data, description_ids->len);
  unique_ids (ids);

  posterior = g_new (double, self->n_classes);
  known = model_score (self->model, ids, posterior);
  to_posterior (posterior, self->n_classes, self->temperature);

  /* Most likely first; ties in class order, so that results never depend
   * on anything but the input. */
  order = g_new (guint, self->n_classes);
  for (guint c = 0; c < self->n_classes; c++)
    {
      guint k = c;

      while (k > 0 && posterior[order[k - 1]] < posterior[c])
        {
          order[k] = order[k - 1];
          k--;
        }
      order[k] = c;
    }

  /* With a danger word, the first suggestion is a police category: the
   * model's best if it is one (it weighs the whole text: "儿子动手打他" is
   * family violence even though 动手打 is filed under fights), else the
   * most likely of the matched words' categories. */
  found = find_danger (self, texts, G_N_ELEMENTS (texts));
  if (found->len > 0 && known > 0 && self->police_only[order[0]])
    forced = order[0];
  for (guint i = 0; i < found->len && forced != (gint)order[0]; i++)
    {
      const DangerWord *word = g_ptr_array_index (self->danger_words,
                                                  g_array_index (found, guint, i));

      if (forced < 0 || posterior[word->category] > posterior[forced])
        forced = word->category;
    }

  if (danger != NULL)
    *danger = found->len > 0;
  if (danger_words != NULL)
    {
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

      for (guint i = 0; i < found->len; i++)
        {
          const DangerWord *word = g_ptr_array_index (self->danger_words,
                                                      g_array_index (found, guint, i));

          g_strv_builder_add (builder, word->text);
        }
      *danger_words = g_strv_builder_end (builder);
    }

  if (known == 0 && forced < 0)
    return 0;

  if (forced >= 0 && n > 0)
    {
      results[n_out].code = g_ptr_array_index (self->codes, forced);
      results[n_out].confidence = 1.0;
      n_out++;
    }

  for (guint k = 0; k < self->n_classes && n_out < n; k++)
    {
      if ((gint)order[k] == forced)
        continue;
      results[n_out].code = g_ptr_array_index (self->codes, order[k]);
      results[n_out].confidence = posterior[order[k]];
      n_out++;
    }

  return n_out;
}

/**
 * fq_category_hint_find_danger:
 * @self: a #FqCategoryHint
 * @text: (nullable): a text
 *
 * Returns: (transfer full): the danger words (as written in the word file)
 *   that occur in @text, in file order; an empty array if none
 */
GStrv
fq_category_hint_find_danger (FqCategoryHint *self,
                              const char     *text)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GArray) found = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  found = find_danger (self, &text, 1);
  for (guint i = 0; i < found->len; i++)
    {
      const DangerWord *word = g_ptr_array_index (self->danger_words,
                                                  g_array_index (found, guint, i));

      g_strv_builder_add (builder, word->text);
    }

  return g_strv_builder_end (builder);
}

/**
 * fq_category_hint_suggest_json:
 * @self: a #FqCategoryHint
 * @summary: (nullable): the incident's summary
 * @description: (nullable): its description
 *
 * The incident's `suggested_category`:
 * `{"code": "B01", "confidence": 0.83, "danger": false, "danger_words": []}`.
 * The confidence is rounded to three decimals.
 *
 * Returns: (transfer full) (nullable): the object, or %NULL when there is
 *   nothing to suggest
 */
JsonNode *
fq_category_hint_suggest_json (FqCategoryHint *self,
                               const char     *summary,
                               const char     *description)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_auto(GStrv) words = NULL;
  FqCategorySuggestion best;
  gboolean danger = FALSE;

  g_return_val_if_fail (self != NULL, NULL);

  if (fq_category_hint_suggest (self, summary, description, 1, &best, &danger, &words) == 0)
    return NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, best.code);
  json_builder_set_member_name (builder, "confidence");
  json_builder_add_double_value (builder, round (best.confidence * 1000.0) / 1000.0);
  json_builder_set_member_name (builder, "danger");
  json_builder_add_boolean_value (builder, danger);
  json_builder_set_member_name (builder, "danger_words");
  json_builder_begin_array (builder);
  for (guint i = 0; words[i] != NULL; i++)
    json_builder_add_string_value (builder, words[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

guint
fq_category_hint_get_n_danger_words (FqCategoryHint *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->danger_words->len;
}

/**
 * fq_category_hint_get_danger_word:
 * @self: a #FqCategoryHint
 * @i: an index below fq_category_hint_get_n_danger_words()
 * @category: (out) (optional) (transfer none): the police category it
 *   routes to
 *
 * Returns: (transfer none): the pattern as written in the word file
 */
const char *
fq_category_hint_get_danger_word (FqCategoryHint  *self,
                                  guint            i,
                                  const char     **category)
{
  const DangerWord *word;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (i < self->danger_words->len, NULL);

  word = g_ptr_array_index (self->danger_words, i);
  if (category != NULL)
    *category = g_ptr_array_index (self->codes, word->category);

  return word->text;
}

double
fq_category_hint_get_temperature (FqCategoryHint *self)
{
  g_return_val_if_fail (self != NULL, 1.0);

  return self->temperature;
}

guint
fq_category_hint_get_n_trained (FqCategoryHint *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_trained;
}
