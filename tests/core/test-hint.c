/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <locale.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "fq-category-hint.h"
#include "fq-error.h"
#include "fq-refdata.h"

/* Accuracy floors on the held-out split of data/category-examples.json, set
 * well below what was measured when they were written (729 training and 243
 * test examples: top-1 0.786, top-3 0.942, right group 0.893), so that a
 * small change in the data does not fail the build but a broken model does. */
#define TOP1_FLOOR 0.65
#define TOP3_FLOOR 0.85
/* The best category's group (family, neighbour, …) is right more often than
 * the category: a wrong hint usually still points at the right desk. */
#define GROUP_FLOOR 0.80

static FqRefData *refdata;

static const char *
datadir (void)
{
  const char *dir = g_getenv ("FQ_SOURCE_DATADIR");

  g_assert_nonnull (dir);
  return dir;
}

static char *
data_path (const char *name)
{
  return g_build_filename (datadir (), name, NULL);
}

static gboolean
police_only (const char *code)
{
  return fq_refdata_get_category (refdata, code)->police_only;
}

static guint
n_danger_words (JsonObject *object)
{
  return json_array_get_length (json_object_get_array_member (object, "danger_words"));
}

static FqCategoryHint *
load_hint (FqCategoryHintFlags flags)
{
  g_autofree char *examples = data_path ("category-examples.json");
  g_autofree char *danger = data_path ("danger-words.txt");
  g_autoptr(GError) error = NULL;
  FqCategoryHint *hint;

  hint = fq_category_hint_new (refdata, examples, danger, flags, &error);
  g_assert_no_error (error);
  g_assert_nonnull (hint);

  return hint;
}

typedef struct
{
  char *category;
  char *text;
  gboolean test;
} Example;

static void
example_free (gpointer data)
{
  Example *example = data;

  g_free (example->category);
  g_free (example->text);
  g_free (example);
}

static GPtrArray *
load_examples (void)
{
  g_autofree char *path = data_path ("category-examples.json");
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) error = NULL;
  GPtrArray *examples = g_ptr_array_new_with_free_func (example_free);
  JsonArray *array;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  array = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                        "examples");
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);
      Example *example = g_new0 (Example, 1);

      example->category = g_strdup (json_object_get_string_member (object, "category"));
      example->text = g_strdup (json_object_get_string_member (object, "text"));
      example->test = g_strcmp0 (json_object_get_string_member (object, "split"), "test") == 0;
      g_ptr_array_add (examples, example);
    }

  return examples;
}

static void
test_load (void)
{
  g_autoptr(FqCategoryHint) hint = NULL;
  g_autoptr(FqCategoryHint) all = NULL;
  g_autoptr(GError) error = NULL;
  clock_t start;
  double ms;

  /* The server trains at start: it must stay cheap. CPU time, not wall
   * time, so that a busy machine does not fail the test. */
  start = clock ();
  all = fq_category_hint_new_from_dir (refdata, datadir (), &error);
  ms = (clock () - start) * 1000.0 / CLOCKS_PER_SEC;
  g_assert_no_error (error);
  g_assert_nonnull (all);
  g_test_message ("training on all %u examples took %.1f ms of CPU (temperature %.2f)",
                  fq_category_hint_get_n_trained (all), ms,
                  fq_category_hint_get_temperature (all));
  /* The target is 100 ms (-m perf checks it); the bound that always
   * applies leaves room for slow CI machines and for valgrind, and still
   * catches a training that has gone quadratic. */
  if (g_test_perf ())
    g_assert_cmpfloat (ms, <, 100.0);
  g_assert_cmpfloat (ms, <, 20000.0);

  hint = load_hint (FQ_CATEGORY_HINT_TRAIN_ONLY);
  g_assert_cmpuint (fq_category_hint_get_n_trained (hint), <, fq_category_hint_get_n_trained (all));
  g_assert_cmpuint (fq_category_hint_get_n_trained (all), >=, 81 * 8);
  g_assert_cmpfloat (fq_category_hint_get_temperature (hint), >, 1.0);
}

static void
test_examples_file (void)
{
  g_autoptr(GPtrArray) examples = load_examples ();
  g_autoptr(GPtrArray) categories = fq_refdata_get_categories (refdata);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint n_test = 0;

  /* Every category has at least 8 examples, and at least one of them held
   * out; the texts read like call summaries (10–60 characters) and none is
   * repeated. */
  for (guint c = 0; c < categories->len; c++)
    {
      const FqCategoryInfo *info = g_ptr_array_index (categories, c);
      guint n = 0, held = 0;

      for (guint i = 0; i < examples->len; i++)
        {
          const Example *example = g_ptr_array_index (examples, i);

          if (g_strcmp0 (example->category, info->code) != 0)
            continue;
          n++;
          held += example->test;
        }
      if (n < 8 || held < 1)
        g_error ("%s has %u examples, %u held out", info->code, n, held);
    }

  for (guint i = 0; i < examples->len; i++)
    {
      const Example *example = g_ptr_array_index (examples, i);
      glong len = g_utf8_strlen (example->text, -1);

      g_assert_nonnull (fq_refdata_get_category (refdata, example->category));
      g_assert_cmpint (len, >=, 10);
      g_assert_cmpint (len, <=, 60);
      g_assert_false (g_hash_table_contains (seen, example->text));
      g_hash_table_add (seen, example->text);
      n_test += example->test;
    }

  /* About a quarter held out. */
  g_assert_cmpfloat ((double)n_test / examples->len, >, 0.2);
  g_assert_cmpfloat ((double)n_test / examples->len, <, 0.3);
}

static void
test_accuracy (void)
{
  g_autoptr(FqCategoryHint) hint = load_hint (FQ_CATEGORY_HINT_TRAIN_ONLY);
  g_autoptr(GPtrArray) examples = load_examples ();
  g_autoptr(GString) misses = g_string_new (NULL);
  guint n = 0, top1 = 0, top3 = 0, group1 = 0;
  double confidence = 0.0, log_loss = 0.0;
  /* Reliability: accuracy of the best suggestion by confidence band. */
  guint band_n[5] = { 0 }, band_ok[5] = { 0 };
  double band_conf[5] = { 0 };

  for (guint i = 0; i < examples->len; i++)
    {
      const Example *example = g_ptr_array_index (examples, i);
      FqCategorySuggestion results[81];
      const FqCategoryInfo *truth, *guess;
      gboolean danger;
      guint got, band;

      if (!example->test)
        continue;

      got = fq_category_hint_suggest (hint, example->text, NULL, G_N_ELEMENTS (results),
                                      results, &danger, NULL);
      g_assert_cmpuint (got, >, 3);
      n++;

      truth = fq_refdata_get_category (refdata, example->category);
      guess = fq_refdata_get_category (refdata, results[0].code);
      confidence += results[0].confidence;
      band = MIN ((guint)(results[0].confidence * 5), 4);
      band_n[band]++;
      band_conf[band] += results[0].confidence;

      if (g_strcmp0 (guess->group, truth->group) == 0)
        group1++;
      if (g_strcmp0 (results[0].code, example->category) == 0)
        {
          top1++;
          band_ok[band]++;
        }
      else
        {
          g_string_append_printf (misses, "\n  %s %s → %s (%.2f)", example->category,
                                  example->text, results[0].code, results[0].confidence);
        }

      for (guint k = 0; k < got; k++)
        {
          if (g_strcmp0 (results[k].code, example->category) == 0)
            {
              if (k < 3)
                top3++;
              if (!danger || k > 0)
                log_loss -= log (MAX (results[k].confidence, 1e-9));
              break;
            }
        }
    }

  g_test_message ("category hint, held-out split: %u examples, top-1 %.3f (%u), top-3 %.3f (%u), "
                  "right group %.3f; mean confidence of the first %.3f, log loss %.3f",
                  n, (double)top1 / n, top1, (double)top3 / n, top3, (double)group1 / n,
                  confidence / n, log_loss / n);
  for (guint b = 0; b < G_N_ELEMENTS (band_n); b++)
    {
      if (band_n[b] > 0)
        g_test_message ("  confidence %.1f–%.1f: %u suggestions, mean confidence %.2f, accuracy %.2f",
                        b / 5.0, (b + 1) / 5.0, band_n[b], band_conf[b] / band_n[b],
                        (double)band_ok[b] / band_n[b]);
    }
  g_test_message ("misses:%s", misses->str);

  g_assert_cmpuint (n, >=, 81 * 2);
  g_assert_cmpfloat ((double)top1 / n, >=, TOP1_FLOOR);
  g_assert_cmpfloat ((double)top3 / n, >=, TOP3_FLOOR);
  g_assert_cmpfloat ((double)group1 / n, >=, GROUP_FLOOR);
}

/* @pattern with each `*` filled by a few characters, as a caller would
 * write it: 拿*刀 → 拿了一把刀. */
static char *
instantiate (const char *pattern)
{
  g_auto(GStrv) parts = g_strsplit (pattern, "*", -1);

  return g_strjoinv ("了一把", parts);
}

static void
test_danger_words (void)
{
  g_autoptr(FqCategoryHint) hint = load_hint (FQ_CATEGORY_HINT_NONE);
  /* Otherwise benign calls of several groups, which the model alone would
   * send elsewhere (checked below). */
  static const char *frames[][2] = {
    { "楼上装修噪音很大，", "，要求社区处理" },
    { "", "，物业一直不管" },
    { "为停车位的事，", "" },
    { "广州路12号二楼邻居", "，来电人要求调解" },
    { "工地拖欠工钱，包工头说", "，工人来电" },
  };
  guint n_words = fq_category_hint_get_n_danger_words (hint);

  g_assert_cmpuint (n_words, >=, 50);

  for (guint f = 0; f < G_N_ELEMENTS (frames); f++)
    {
      g_autofree char *text = g_strconcat (frames[f][0], "一切正常", frames[f][1], NULL);
      FqCategorySuggestion best;
      gboolean danger = TRUE;
      g_auto(GStrv) words = NULL;

      g_assert_cmpuint (fq_category_hint_suggest (hint, text, NULL, 1, &best, &danger, &words), ==, 1);
      g_assert_false (danger);
      g_assert_cmpuint (g_strv_length (words), ==, 0);
      g_assert_false (police_only (best.code));
    }

  for (guint i = 0; i < n_words; i++)
    {
      const char *category = NULL;
      const char *pattern = fq_category_hint_get_danger_word (hint, i, &category);
      g_autofree char *word = instantiate (pattern);

      g_assert_true (police_only (category));

      for (guint f = 0; f < G_N_ELEMENTS (frames); f++)
        {
          g_autofree char *text = g_strconcat (frames[f][0], word, frames[f][1], NULL);
          FqCategorySuggestion results[3];
          gboolean danger = FALSE;
          g_auto(GStrv) words = NULL;
          g_autoptr(JsonNode) json = NULL;
          JsonObject *object;

          /* In the summary. */
          g_assert_cmpuint (fq_category_hint_suggest (hint, text, NULL, 3, results,
                                                      &danger, &words), ==, 3);
          if (!danger || !g_strv_contains ((const char * const *)words, pattern))
            g_error ("\"%s\" in \"%s\" was not flagged", pattern, text);
          g_assert_true (police_only (results[0].code));
          g_assert_cmpfloat (results[0].confidence, ==, 1.0);
          g_assert_cmpstr (results[1].code, !=, results[0].code);
          g_assert_cmpstr (results[2].code, !=, results[0].code);
          /* A word that is the only danger word routes to its own category. */
          if (g_strv_length (words) == 1)
            g_assert_cmpstr (results[0].code, ==, category);

          /* In the description only, with a benign summary. */
          g_clear_pointer (&words, g_strfreev);
          g_assert_cmpuint (fq_category_hint_suggest (hint, frames[f][0][0] ? frames[f][0] : "邻里纠纷",
                                                      text, 1, results, &danger, &words), ==, 1);
          g_assert_true (danger);
          g_assert_true (police_only (results[0].code));

          /* And through the JSON the server sends. */
          json = fq_category_hint_suggest_json (hint, text, NULL);
          object = json_node_get_object (json);
          g_assert_true (json_object_get_boolean_member (object, "danger"));
          g_assert_cmpuint (n_danger_words (object), >=, 1);
          g_assert_true (police_only (json_object_get_string_member (object, "code")));
        }
    }

  /* Full-width forms, spaces and punctuation between the characters do not
   * hide a word. */
  {
    g_auto(GStrv) found = fq_category_hint_find_danger (hint, "他说要 跳，楼！");
    g_auto(GStrv) wide = fq_category_hint_find_danger (hint, "ＫＴＶ门口有人持 刀");

    g_assert_true (g_strv_contains ((const char * const *)found, "跳楼"));
    g_assert_true (g_strv_contains ((const char * const *)wide, "持刀"));
  }

  /* The gap of a pattern is bounded. */
  {
    g_auto(GStrv) near = fq_category_hint_find_danger (hint, "拿着一把菜刀");
    g_auto(GStrv) far = fq_category_hint_find_danger (hint, "拿快递的时候看见门口有一把新的菜刀");

    g_assert_true (g_strv_contains ((const char * const *)near, "拿*刀"));
    g_assert_false (g_strv_contains ((const char * const *)far, "拿*刀"));
  }
}

static void
test_danger_not_in_divertible (void)
{
  g_autoptr(FqCategoryHint) hint = load_hint (FQ_CATEGORY_HINT_NONE);
  g_autoptr(GPtrArray) examples = load_examples ();
  guint police = 0, flagged = 0;

  /* The words are specific enough not to fire on the ordinary disputes of
   * the example set, and general enough to catch its police calls. */
  for (guint i = 0; i < examples->len; i++)
    {
      const Example *example = g_ptr_array_index (examples, i);
      g_auto(GStrv) words = fq_category_hint_find_danger (hint, example->text);
      gboolean is_police = police_only (example->category);

      if (!is_police && words[0] != NULL)
        g_error ("danger word \"%s\" in %s example \"%s\"",
                 words[0], example->category, example->text);
      if (is_police)
        {
          police++;
          flagged += words[0] != NULL;
        }
    }

  g_test_message ("danger words flag %u of %u police examples and none of the %u others",
                  flagged, police, examples->len - police);
  g_assert_cmpuint (flagged, ==, police);
}

typedef struct
{
  FqCategoryHint *hint;
  GPtrArray      *examples;
  GPtrArray      *expected;   /* char *: "code confidence" per example */
  guint           failures;
} ThreadData;

static char *
describe (FqCategoryHint *hint,
          const char     *text)
{
  FqCategorySuggestion results[3];
  guint n = fq_category_hint_suggest (hint, text, NULL, 3, results, NULL, NULL);
  GString *out = g_string_new (NULL);

  for (guint k = 0; k < n; k++)
    g_string_append_printf (out, "%s %.17g ", results[k].code, results[k].confidence);

  return g_string_free (out, FALSE);
}

static gpointer
suggest_thread (gpointer data)
{
  ThreadData *td = data;

  for (guint round = 0; round < 3; round++)
    {
      for (guint i = 0; i < td->examples->len; i++)
        {
          const Example *example = g_ptr_array_index (td->examples, i);
          g_autofree char *got = describe (td->hint, example->text);

          if (g_strcmp0 (got, g_ptr_array_index (td->expected, i)) != 0)
            g_atomic_int_inc (&td->failures);
        }
    }

  return NULL;
}

static void
test_deterministic (void)
{
  g_autoptr(FqCategoryHint) a = load_hint (FQ_CATEGORY_HINT_TRAIN_ONLY);
  g_autoptr(FqCategoryHint) b = load_hint (FQ_CATEGORY_HINT_TRAIN_ONLY);
  g_autoptr(GPtrArray) examples = load_examples ();
  g_autoptr(GPtrArray) expected = g_ptr_array_new_with_free_func (g_free);
  ThreadData td = { a, examples, expected, 0 };
  GThread *threads[4];

  g_assert_cmpfloat (fq_category_hint_get_temperature (a), ==, fq_category_hint_get_temperature (b));

  /* Two models trained from the same files answer exactly alike... */
  for (guint i = 0; i < examples->len; i++)
    {
      const Example *example = g_ptr_array_index (examples, i);
      char *got_a = describe (a, example->text);
      g_autofree char *got_b = describe (b, example->text);

      g_assert_cmpstr (got_a, ==, got_b);
      g_ptr_array_add (expected, got_a);
    }

  /* ...and one model answers alike from several threads at once. */
  for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
    threads[t] = g_thread_new ("suggest", suggest_thread, &td);
  for (guint t = 0; t < G_N_ELEMENTS (threads); t++)
    g_thread_join (threads[t]);
  g_assert_cmpuint (td.failures, ==, 0);

  /* Posteriors sum to one over all categories. */
  {
    FqCategorySuggestion results[81];
    guint n = fq_category_hint_suggest (a, "楼上深夜噪音扰民", "邻居拖动家具", 81, results, NULL, NULL);
    double sum = 0.0;

    g_assert_cmpuint (n, ==, 81);
    for (guint k = 0; k < n; k++)
      {
        sum += results[k].confidence;
        if (k > 0)
          g_assert_cmpfloat (results[k].confidence, <=, results[k - 1].confidence);
      }
    g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-9);
    g_assert_cmpstr (results[0].code, ==, "B01");
  }
}

static void
test_json (void)
{
  g_autoptr(FqCategoryHint) hint = load_hint (FQ_CATEGORY_HINT_NONE);
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(JsonNode) none = NULL;
  g_autoptr(JsonNode) digits = NULL;
  g_autofree char *text = NULL;
  JsonObject *object;

  json = fq_category_hint_suggest_json (hint, "小区物业费一年涨了两次，业主不愿意交",
                                        "业主称物业服务没变好，物业费却从每平米一元涨到一元五");
  object = json_node_get_object (json);
  g_assert_cmpstr (json_object_get_string_member (object, "code"), ==, "D02");
  g_assert_cmpfloat (json_object_get_double_member (object, "confidence"), >, 0.0);
  g_assert_cmpfloat (json_object_get_double_member (object, "confidence"), <=, 1.0);
  g_assert_false (json_object_get_boolean_member (object, "danger"));
  g_assert_cmpuint (n_danger_words (object), ==, 0);
  g_assert_cmpuint (json_object_get_size (object), ==, 4);

  /* Nothing to go on: no suggestion (the incident's suggested_category is
   * null). Digits and punctuation carry nothing for the category. */
  none = fq_category_hint_suggest_json (hint, NULL, "");
  g_assert_null (none);
  digits = fq_category_hint_suggest_json (hint, "１２３，456。", NULL);
  g_assert_null (digits);

  /* Invalid UTF-8 is treated as empty rather than read past. */
  g_assert_null (fq_category_hint_suggest_json (hint, "\xff\xfe", "\xc3"));

  text = json_to_string (json, FALSE);
  g_test_message ("suggested_category: %s", text);
}

static void
assert_load_fails (const char *examples,
                   const char *danger,
                   const char *message_part)
{
  g_autofree char *dir = g_dir_make_tmp ("fq-hint-XXXXXX", NULL);
  g_autofree char *examples_path = g_build_filename (dir, "category-examples.json", NULL);
  g_autofree char *danger_path = g_build_filename (dir, "danger-words.txt", NULL);
  g_autoptr(FqCategoryHint) hint = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (examples_path, examples, -1, NULL));
  g_assert_true (g_file_set_contents (danger_path, danger, -1, NULL));

  hint = fq_category_hint_new_from_dir (refdata, dir, &error);
  g_assert_null (hint);
  g_assert_nonnull (error);
  if (strstr (error->message, message_part) == NULL)
    g_error ("expected \"%s\" in \"%s\"", message_part, error->message);

  g_unlink (examples_path);
  g_unlink (danger_path);
  g_rmdir (dir);
}

static void
test_errors (void)
{
  const char *good_examples =
    "{\"examples\": [{\"category\": \"B01\", \"split\": \"train\", \"text\": \"楼上噪音\"}]}";
  const char *good_danger = "[P03]\n持刀\n";

  assert_load_fails ("[]", good_danger, "examples");
  assert_load_fails ("{\"examples\": [{\"category\": \"B01\", \"split\": \"dev\", \"text\": \"噪音\"}]}",
                     good_danger, "examples[0].split");
  assert_load_fails ("{\"examples\": [{\"category\": \"B01\", \"split\": \"train\"}]}",
                     good_danger, "examples[0].text");
  assert_load_fails ("{\"examples\": [{\"category\": \"B01\", \"split\": \"train\","
                     " \"text\": \"噪音\", \"lang\": \"zh\"}]}",
                     good_danger, "examples[0].lang");
  assert_load_fails ("{\"examples\": [", good_danger, "");
  assert_load_fails (good_examples, "持刀\n", "before the first");
  assert_load_fails (good_examples, "[B01]\n噪音\n", "B01 is not a police-only category");
  assert_load_fails (good_examples, "[P03]\n持**刀\n", "empty part");
  assert_load_fails (good_examples, "[P03\n持刀\n", "section");

  /* A category unknown to the reference data is skipped, not an error: the
   * server may have removed it. */
  {
    g_autofree char *dir = g_dir_make_tmp ("fq-hint-XXXXXX", NULL);
    g_autofree char *examples_path = g_build_filename (dir, "category-examples.json", NULL);
    g_autofree char *danger_path = g_build_filename (dir, "danger-words.txt", NULL);
    g_autoptr(FqCategoryHint) hint = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_true (g_file_set_contents (examples_path,
                                        "{\"examples\": ["
                                        "{\"category\": \"Z99\", \"split\": \"train\", \"text\": \"外星人\"},"
                                        "{\"category\": \"B01\", \"split\": \"test\", \"text\": \"楼上噪音\"}]}",
                                        -1, NULL));
    g_assert_true (g_file_set_contents (danger_path, good_danger, -1, NULL));
    hint = fq_category_hint_new_from_dir (refdata, dir, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (fq_category_hint_get_n_trained (hint), ==, 1);
    g_unlink (examples_path);
    g_unlink (danger_path);
    g_rmdir (dir);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *categories = NULL;
  g_autoptr(GError) error = NULL;
  int ret;

  /* The test messages quote Chinese texts. */
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  refdata = fq_refdata_new ();
  categories = data_path ("categories.json");
  fq_refdata_load_categories (refdata, categories, &error);
  g_assert_no_error (error);

  g_test_add_func ("/core/hint/load", test_load);
  g_test_add_func ("/core/hint/examples-file", test_examples_file);
  g_test_add_func ("/core/hint/accuracy", test_accuracy);
  g_test_add_func ("/core/hint/danger-words", test_danger_words);
  g_test_add_func ("/core/hint/danger-not-in-divertible", test_danger_not_in_divertible);
  g_test_add_func ("/core/hint/deterministic", test_deterministic);
  g_test_add_func ("/core/hint/json", test_json);
  g_test_add_func ("/core/hint/errors", test_errors);

  ret = g_test_run ();
  fq_refdata_unref (refdata);

  return ret;
}
