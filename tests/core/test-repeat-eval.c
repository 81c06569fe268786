/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <locale.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "fq-repeat.h"
#include "fq-repeat-address.h"
#include "fq-repeat-reason.h"

/*
 * Measures the repeat rules of fq-repeat.h on data/repeat-cases.json, a
 * labelled set of pairs (earlier incident, later incident, same matter or
 * not) across the 110, 12345 and grid channels, and sweeps the summary
 * threshold. The figures are printed as TAP comments (`meson test -v`).
 */

#define DAY (24 * 3600)

/* Floors, set below what was measured when they were written (see the
 * report in the TAP output), so that a rule that breaks fails the test. */
#define PRECISION_FLOOR 0.75
#define RECALL_FLOOR_PLAIN 0.45
#define RECALL_FLOOR_KEY 0.60

typedef enum
{
  ADDRESS_PLAIN,  /* fq_repeat_normalize_address () */
  ADDRESS_KEY,    /* fq_repeat_address_key () */
} AddressMode;

static const char *mode_names[] = { "fq_repeat_normalize_address", "fq_repeat_address_key" };

typedef struct
{
  char          *id;
  char          *kind;
  gboolean       same;
  char          *sources;   /* "110→12345" */
  FqRepeatProbe  probes[2]; /* earlier, later; strings owned by the case */
  char          *addresses[2][2]; /* [mode][probe] */
} Case;

static void
case_free (gpointer data)
{
  Case *c = data;

  g_free (c->id);
  g_free (c->kind);
  g_free (c->sources);
  for (guint i = 0; i < 2; i++)
    {
      g_free ((char *)c->probes[i].phone);
      g_free ((char *)c->probes[i].community);
      g_free ((char *)c->probes[i].category);
      g_free ((char *)c->probes[i].summary);
      g_free (c->addresses[ADDRESS_PLAIN][i]);
      g_free (c->addresses[ADDRESS_KEY][i]);
    }
  g_free (c);
}

static const char *
string_member (JsonObject *object,
               const char *name)
{
  if (!json_object_has_member (object, name))
    return NULL;
  return json_object_get_string_member (object, name);
}

static GPtrArray *
load_cases (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("FQ_SOURCE_DATADIR"), "repeat-cases.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) error = NULL;
  GPtrArray *cases = g_ptr_array_new_with_free_func (case_free);
  JsonArray *array;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  array = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "cases");

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);
      const char *names[] = { "earlier", "later" };
      const char *sources[2];
      Case *c = g_new0 (Case, 1);

      c->id = g_strdup (json_object_get_string_member (object, "id"));
      c->kind = g_strdup (json_object_get_string_member (object, "kind"));
      c->same = json_object_get_boolean_member (object, "same");

      for (guint k = 0; k < 2; k++)
        {
          JsonObject *incident = json_object_get_object_member (object, names[k]);
          g_autoptr(GDateTime) received = NULL;
          const char *address;

          sources[k] = json_object_get_string_member (incident, "source");
          c->probes[k].phone = fq_repeat_normalize_phone (string_member (incident, "phone"));
          c->probes[k].community = fq_repeat_community_of (string_member (incident, "grid"));
          c->probes[k].category = g_strdup (string_member (incident, "category"));
          c->probes[k].summary = g_strdup (string_member (incident, "summary"));
          address = string_member (incident, "address");
          c->addresses[ADDRESS_PLAIN][k] = fq_repeat_normalize_address (address);
          c->addresses[ADDRESS_KEY][k] = fq_repeat_address_key (address);

          received = g_date_time_new_from_iso8601 (string_member (incident, "received_at"), NULL);
          g_assert_nonnull (received);
          c->probes[k].received_at = g_date_time_to_unix (received);
          g_assert_nonnull (c->probes[k].community);
        }
      g_assert_cmpint (c->probes[0].received_at, <=, c->probes[1].received_at);
      c->sources = g_strdup_printf ("%s→%s", sources[0], sources[1]);
      g_ptr_array_add (cases, c);
    }

  return cases;
}

static guint
match_case (Case        *c,
            AddressMode  mode,
            double      *score)
{
  c->probes[0].address = c->addresses[mode][0];
  c->probes[1].address = c->addresses[mode][1];

  return fq_repeat_match (&c->probes[1], &c->probes[0], score);
}

typedef struct
{
  guint tp, fp, fn, tn;
} Counts;

static double
precision (const Counts *n)
{
  return n->tp + n->fp > 0 ? (double)n->tp / (n->tp + n->fp) : 1.0;
}

static double
recall (const Counts *n)
{
  return n->tp + n->fn > 0 ? (double)n->tp / (n->tp + n->fn) : 1.0;
}

static double
f1 (const Counts *n)
{
  double p = precision (n), r = recall (n);

  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

static void
count (Counts   *n,
       gboolean  predicted,
       gboolean  truth)
{
  if (predicted && truth)
    n->tp++;
  else if (predicted)
    n->fp++;
  else if (truth)
    n->fn++;
  else
    n->tn++;
}

static void
test_data (void)
{
  g_autoptr(GPtrArray) cases = load_cases ();
  g_autoptr(GHashTable) kinds = g_hash_table_new (g_str_hash, g_str_equal);
  guint positives = 0, no_phone = 0, cross = 0;

  g_assert_cmpuint (cases->len, >=, 150);
  for (guint i = 0; i < cases->len; i++)
    {
      Case *c = g_ptr_array_index (cases, i);
      g_auto(GStrv) sources = g_strsplit (c->sources, "→", 2);

      positives += c->same;
      no_phone += c->probes[0].phone == NULL || c->probes[1].phone == NULL;
      cross += c->same && g_strcmp0 (sources[0], sources[1]) != 0;
      g_hash_table_add (kinds, c->kind);
    }

  g_test_message ("repeat cases: %u pairs, %u of the same matter (%u across channels), "
                  "%u with a phone missing, %u kinds",
                  cases->len, positives, cross, no_phone, g_hash_table_size (kinds));
  g_assert_cmpuint (positives, >=, 50);
  g_assert_cmpuint (cases->len - positives, >=, 50);
  g_assert_cmpuint (cross, >=, 30);
  g_assert_cmpuint (no_phone, >=, 30);
}

static void
report_mode (GPtrArray   *cases,
             AddressMode  mode,
             Counts      *overall_out)
{
  static const struct
  {
    FqRepeatRule rule;
    const char  *name;
  } rules[] = {
    { FQ_REPEAT_RULE_PHONE, "phone" },
    { FQ_REPEAT_RULE_ADDRESS, "address" },
    { FQ_REPEAT_RULE_SUMMARY, "summary" },
  };
  const char *mode_name = mode_names[mode];
  Counts overall = { 0 };
  g_autoptr(GHashTable) by_kind = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autoptr(GHashTable) by_channels = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autoptr(GList) keys = NULL;
  g_autoptr(GString) misses = g_string_new (NULL);

  for (guint i = 0; i < cases->len; i++)
    {
      Case *c = g_ptr_array_index (cases, i);
      guint rules_found = match_case (c, mode, NULL);
      Counts *kind = g_hash_table_lookup (by_kind, c->kind);

      count (&overall, rules_found != 0, c->same);
      if (kind == NULL)
        g_hash_table_insert (by_kind, c->kind, kind = g_new0 (Counts, 1));
      count (kind, rules_found != 0, c->same);

      if (c->same)
        {
          Counts *channels = g_hash_table_lookup (by_channels, c->sources);

          if (channels == NULL)
            g_hash_table_insert (by_channels, c->sources, channels = g_new0 (Counts, 1));
          count (channels, rules_found != 0, TRUE);
        }

      if ((rules_found != 0) != c->same)
        g_string_append_printf (misses, "\n    %s %s (%s, rules 0x%x, similarity %.2f)",
                                c->same ? "missed" : "wrongly linked", c->id, c->sources, rules_found,
                                fq_repeat_similarity (c->probes[0].summary, c->probes[1].summary));
    }

  g_test_message ("addresses by %s, threshold %.2f: overall precision %.3f recall %.3f F1 %.3f "
                  "(tp %u, fp %u, fn %u, tn %u)",
                  mode_name, FQ_REPEAT_SIMILARITY_THRESHOLD, precision (&overall), recall (&overall),
                  f1 (&overall), overall.tp, overall.fp, overall.fn, overall.tn);

  /* Per rule: precision of what the rule links; recall of the same-matter
   * pairs it links on its own account (rules overlap). */
  for (guint r = 0; r < G_N_ELEMENTS (rules); r++)
    {
      Counts n = { 0 };

      for (guint i = 0; i < cases->len; i++)
        {
          Case *c = g_ptr_array_index (cases, i);

          count (&n, (match_case (c, mode, NULL) & rules[r].rule) != 0, c->same);
        }
      g_test_message ("  rule %-7s precision %.3f recall %.3f (links %u pairs, %u wrongly)",
                      rules[r].name, precision (&n), recall (&n), n.tp + n.fp, n.fp);
    }

  keys = g_list_sort (g_hash_table_get_keys (by_kind), (GCompareFunc)strcmp);
  for (const GList *l = keys; l != NULL; l = l->next)
    {
      const Counts *n = g_hash_table_lookup (by_kind, l->data);

      g_test_message ("  kind %-28s %3u pairs, linked %u", (const char *)l->data,
                      n->tp + n->fp + n->fn + n->tn, n->tp + n->fp);
    }
  g_clear_pointer (&keys, g_list_free);
  keys = g_list_sort (g_hash_table_get_keys (by_channels), (GCompareFunc)strcmp);
  for (const GList *l = keys; l != NULL; l = l->next)
    {
      const Counts *n = g_hash_table_lookup (by_channels, l->data);

      g_test_message ("  same matter %-12s recall %.3f (%u of %u)", (const char *)l->data,
                      recall (n), n->tp, n->tp + n->fn);
    }
  g_test_message ("  errors:%s", misses->str);

  *overall_out = overall;
}

static void
test_rules (void)
{
  g_autoptr(GPtrArray) cases = load_cases ();
  Counts plain, key;

  report_mode (cases, ADDRESS_PLAIN, &plain);
  report_mode (cases, ADDRESS_KEY, &key);

  g_assert_cmpfloat (precision (&plain), >=, PRECISION_FLOOR);
  g_assert_cmpfloat (recall (&plain), >=, RECALL_FLOOR_PLAIN);
  g_assert_cmpfloat (precision (&key), >=, PRECISION_FLOOR);
  g_assert_cmpfloat (recall (&key), >=, RECALL_FLOOR_KEY);
  /* The address key finds what the plain normalisation misses, and links
   * nothing wrongly that the plain one does not. */
  g_assert_cmpuint (key.tp, >, plain.tp);
  g_assert_cmpuint (key.fp, <=, plain.fp + 1);
}

/* Recomputes the summary rule at @threshold (the other rules do not depend
 * on it): the same conditions as fq_repeat_match(). */
static gboolean
summary_rule_at (const Case *c,
                 double      threshold)
{
  const FqRepeatProbe *a = &c->probes[0], *b = &c->probes[1];
  gint64 age = b->received_at - a->received_at;

  return age >= 0 && age <= FQ_REPEAT_SUMMARY_WINDOW_SECONDS &&
         a->community != NULL && b->community != NULL && strcmp (a->community, b->community) == 0 &&
         a->category != NULL && b->category != NULL && strcmp (a->category, b->category) == 0 &&
         fq_repeat_similarity (a->summary, b->summary) >= threshold;
}

static void
test_threshold_sweep (void)
{
  g_autoptr(GPtrArray) cases = load_cases ();

  for (AddressMode mode = ADDRESS_PLAIN; mode <= ADDRESS_KEY; mode++)
    {
      double best_f1 = -1.0, best_threshold = 0.0;
      Counts at_current = { 0 }, summary_at_current = { 0 };

      g_test_message ("threshold sweep, addresses by %s:",
                      mode_names[mode]);
      for (guint step = 0; step <= 14; step++)
        {
          double threshold = 0.10 + 0.05 * step;
          Counts all = { 0 }, summary = { 0 };

          for (guint i = 0; i < cases->len; i++)
            {
              Case *c = g_ptr_array_index (cases, i);
              guint others = match_case (c, mode, NULL) & ~FQ_REPEAT_RULE_SUMMARY;
              gboolean by_summary = summary_rule_at (c, threshold);

              count (&all, others != 0 || by_summary, c->same);
              count (&summary, by_summary, c->same);
            }

          g_test_message ("  %.2f: precision %.3f recall %.3f F1 %.3f; summary rule alone "
                          "precision %.3f recall %.3f",
                          threshold, precision (&all), recall (&all), f1 (&all),
                          precision (&summary), recall (&summary));
          /* Ties go to the higher threshold: fewer wrong merges for an
           * operator to undo. */
          if (f1 (&all) >= best_f1 - 1e-9)
            {
              best_f1 = f1 (&all);
              best_threshold = threshold;
            }
          if (G_APPROX_VALUE (threshold, FQ_REPEAT_SIMILARITY_THRESHOLD, 1e-9))
            {
              at_current = all;
              summary_at_current = summary;
            }
        }

      g_test_message ("  best F1 %.3f at %.2f; at the documented %.2f: F1 %.3f, "
                      "the summary rule links %u pairs, %u wrongly",
                      best_f1, best_threshold, FQ_REPEAT_SIMILARITY_THRESHOLD, f1 (&at_current),
                      summary_at_current.tp + summary_at_current.fp, summary_at_current.fp);
      /* Why the documented threshold is not the best F1 here (see
       * fq-repeat.h): below about 0.3 the rule is "same community, same
       * category, within a week", which this set rewards because it holds
       * few different matters of one category in one community, while a
       * real community has many a week. The threshold must keep the rule
       * from linking the set's hard negatives. */
      g_assert_cmpuint (summary_at_current.fp, <=, 1);
      g_assert_cmpfloat (f1 (&at_current), >=, 0.6);
    }
}

/* One incident of the cross-channel example: a 110 call, then the same
 * caller on 12345, then a grid worker with no phone. */
static void
test_cross_channel (void)
{
  g_autofree char *phone_110 = fq_repeat_normalize_phone ("138-0714-2231");
  g_autofree char *phone_12345 = fq_repeat_normalize_phone ("+86 138 0714 2231");
  g_autofree char *address_110 = fq_repeat_address_key ("团城山街道广州路28号3栋");
  g_autofree char *address_12345 = fq_repeat_address_key ("广州路28号三栋");
  g_autofree char *address_grid = fq_repeat_address_key ("广州路28号3幢楼下");
  g_autofree char *community_grid = fq_repeat_community_of ("42020400401101");
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) json = NULL;
  FqRepeatProbe call = {
    .phone = phone_110, .community = "420204004011", .address = address_110,
    .category = "B01", .summary = "报警称楼上住户深夜拖动家具，噪音扰民",
    .received_at = 1772377200,
  };
  FqRepeatProbe hotline = {
    .phone = phone_12345, .community = "420204004011", .address = address_12345,
    .category = "B01", .summary = "市民反映楼上每天深夜拖家具，噪音很大，要求处理",
    .received_at = call.received_at + 2 * DAY + 3600,
  };
  FqRepeatProbe grid = {
    .phone = NULL, .community = community_grid, .address = address_grid,
    .category = "B01", .summary = "网格员走访：3栋住户反映楼上深夜噪音，双方已有口角",
    .received_at = call.received_at + 3 * DAY,
  };
  FqRepeatReason reason;

  /* 12345 after 110: the same caller in the same community, and the same
   * building once written alike. */
  g_assert_true (fq_repeat_explain (&hotline, &call, &reason));
  g_assert_cmpuint (reason.rules, ==, FQ_REPEAT_RULE_PHONE | FQ_REPEAT_RULE_ADDRESS);
  g_assert_cmpint (reason.elapsed, ==, 2 * DAY + 3600);
  text = fq_repeat_reason_to_string_zh (&reason);
  g_assert_cmpstr (text, ==, "同一来电人、同一地址、同一社区、同一类别，2 天前");
  g_clear_pointer (&text, g_free);

  /* The grid worker has no phone, writes the building another way and
   * words the matter his own way: the address links it. */
  g_assert_true (fq_repeat_explain (&grid, &call, &reason));
  g_assert_cmpuint (reason.rules & FQ_REPEAT_RULE_ADDRESS, !=, 0);
  g_assert_cmpuint (reason.rules & FQ_REPEAT_RULE_PHONE, ==, 0);
  g_assert_true (fq_repeat_explain (&grid, &hotline, &reason));

  /* Without the address key, only the phone links 110 and 12345. */
  {
    g_autofree char *plain_110 = fq_repeat_normalize_address ("团城山街道广州路28号3栋");
    g_autofree char *plain_12345 = fq_repeat_normalize_address ("广州路28号三栋");

    call.address = plain_110;
    hotline.address = plain_12345;
    g_assert_true (fq_repeat_explain (&hotline, &call, &reason));
    g_assert_cmpuint (reason.rules, ==, FQ_REPEAT_RULE_PHONE);
    g_assert_cmpuint (reason.facts, ==, FQ_REPEAT_FACT_SAME_PHONE | FQ_REPEAT_FACT_SAME_COMMUNITY);
    text = fq_repeat_reason_to_string_zh (&reason);
    g_assert_cmpstr (text, ==, "同一来电人、同一社区，2 天前");

    json = fq_repeat_reason_to_json (&reason);
    g_clear_pointer (&text, g_free);
    text = json_to_string (json, FALSE);
    g_test_message ("reason: %s", text);
    g_assert_nonnull (strstr (text, "\"rules\":[\"phone\"]"));
    g_assert_nonnull (strstr (text, "\"facts\":[\"same_phone\",\"same_community\"]"));
    g_assert_nonnull (strstr (text, "\"elapsed_seconds\":176400"));
  }
}

static void
test_reason_each_rule (void)
{
  FqRepeatProbe earlier = {
    .phone = "13807142231", .community = "420204004011", .address = "广州路28号3栋",
    .category = "B01", .summary = "楼上装修噪音扰民", .received_at = 1772377200,
  };
  FqRepeatProbe incoming = earlier;
  FqRepeatReason reason;
  g_autofree char *text = NULL;

  /* Phone only. */
  incoming.address = "武汉路3号";
  incoming.category = "C01";
  incoming.summary = "车位被占";
  incoming.received_at = earlier.received_at + 5 * 3600 + 120;
  g_assert_true (fq_repeat_explain (&incoming, &earlier, &reason));
  g_assert_cmpuint (reason.rules, ==, FQ_REPEAT_RULE_PHONE);
  text = fq_repeat_reason_to_string_zh (&reason);
  g_assert_cmpstr (text, ==, "同一来电人、同一社区，5 小时前");
  g_clear_pointer (&text, g_free);

  /* Address only. */
  incoming = earlier;
  incoming.phone = NULL;
  incoming.summary = "有人在拆墙";
  incoming.received_at = earlier.received_at + 10 * DAY;
  g_assert_true (fq_repeat_explain (&incoming, &earlier, &reason));
  g_assert_cmpuint (reason.rules, ==, FQ_REPEAT_RULE_ADDRESS);
  g_assert_cmpuint (reason.facts, ==, FQ_REPEAT_FACT_SAME_ADDRESS | FQ_REPEAT_FACT_SAME_CATEGORY);
  text = fq_repeat_reason_to_string_zh (&reason);
  g_assert_cmpstr (text, ==, "同一地址、同一类别，10 天前");
  g_clear_pointer (&text, g_free);

  /* Summary only. */
  incoming = earlier;
  incoming.phone = "13900000000";
  incoming.address = NULL;
  incoming.summary = "楼上装修噪音很大";
  incoming.received_at = earlier.received_at + 40 * 60;
  g_assert_true (fq_repeat_explain (&incoming, &earlier, &reason));
  g_assert_cmpuint (reason.rules, ==, FQ_REPEAT_RULE_SUMMARY);
  g_assert_cmpfloat_with_epsilon (reason.similarity, 10.0 / 14.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (reason.score, 0.7 * 10.0 / 14.0, 1e-9);
  text = fq_repeat_reason_to_string_zh (&reason);
  g_assert_cmpstr (text, ==, "同一社区、同一类别、内容相近，40 分钟前");
  g_clear_pointer (&text, g_free);

  /* Nothing. */
  incoming.community = "420204004012";
  g_assert_false (fq_repeat_explain (&incoming, &earlier, &reason));
  g_assert_cmpuint (reason.rules, ==, 0);
  g_assert_cmpuint (reason.facts, ==, 0);
  text = fq_repeat_reason_to_string_zh (&reason);
  g_assert_cmpstr (text, ==, "40 分钟前");

  /* Elapsed time in whole units. */
  {
    FqRepeatElapsedUnit unit;

    g_assert_cmpuint (fq_repeat_elapsed_split (0, &unit), ==, 1);
    g_assert_cmpint (unit, ==, FQ_REPEAT_ELAPSED_MINUTES);
    g_assert_cmpuint (fq_repeat_elapsed_split (3599, &unit), ==, 59);
    g_assert_cmpint (unit, ==, FQ_REPEAT_ELAPSED_MINUTES);
    g_assert_cmpuint (fq_repeat_elapsed_split (3600, &unit), ==, 1);
    g_assert_cmpint (unit, ==, FQ_REPEAT_ELAPSED_HOURS);
    g_assert_cmpuint (fq_repeat_elapsed_split (DAY - 1, &unit), ==, 23);
    g_assert_cmpint (unit, ==, FQ_REPEAT_ELAPSED_HOURS);
    g_assert_cmpuint (fq_repeat_elapsed_split (2 * DAY + 7200, &unit), ==, 2);
    g_assert_cmpint (unit, ==, FQ_REPEAT_ELAPSED_DAYS);
    g_assert_cmpuint (fq_repeat_elapsed_split (-5, &unit), ==, 1);
    g_assert_cmpint (unit, ==, FQ_REPEAT_ELAPSED_MINUTES);
  }

  g_assert_cmpstr (fq_repeat_fact_to_string (FQ_REPEAT_FACT_SIMILAR_SUMMARY), ==, "similar_summary");
  g_assert_cmpstr (fq_repeat_fact_label_zh (FQ_REPEAT_FACT_SAME_PHONE), ==, "同一来电人");
}

static void
assert_key (const char *address,
            const char *expected)
{
  g_autofree char *key = fq_repeat_address_key (address);

  g_assert_cmpstr (key, ==, expected);
}

static void
test_address_key (void)
{
  assert_key ("团城山街道广州路28号3栋", "广州路28号3栋");
  assert_key ("广州路28号三栋", "广州路28号3栋");
  assert_key ("黄石市下陆区团城山街道广州路 28 号 3 栋", "广州路28号3栋");
  assert_key ("广州路社区广州路12号二栋一单元", "广州路12号2栋1单元");
  assert_key ("黄石港区交通路八号", "交通路8号");
  assert_key ("交通路８号", "交通路8号");
  assert_key ("湖滨路9号5号楼", "湖滨路9号5栋");
  assert_key ("湖滨路9号5幢", "湖滨路9号5栋");
  assert_key ("广州路小区10栋楼下", "广州路小区10栋");
  assert_key ("章山村三组", "章山村3组");
  assert_key ("下陆区章山村二十一组", "章山村21组");
  assert_key ("沿江路十二号一〇三室", "沿江路12号103室");
  assert_key ("石榴园小区东门", "石榴园小区东门");
  /* 小区 and 园区 are not divisions; 十五冶 is a name, not a number. */
  assert_key ("湖景花园小区3栋", "湖景花园小区3栋");
  assert_key ("长乐山工业园区8号", "长乐山工业园区8号");
  assert_key ("十五冶社区十五冶路2号", "十五冶路2号");
  /* A bare division stays what it is. */
  assert_key ("南湖社区", "南湖社区");
  assert_key ("", NULL);
  assert_key (NULL, NULL);
  assert_key (" ，。", NULL);
}

int
main (int   argc,
      char *argv[])
{
  /* The messages quote Chinese texts. */
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/repeat-eval/data", test_data);
  g_test_add_func ("/core/repeat-eval/rules", test_rules);
  g_test_add_func ("/core/repeat-eval/threshold-sweep", test_threshold_sweep);
  g_test_add_func ("/core/repeat-eval/cross-channel", test_cross_channel);
  g_test_add_func ("/core/repeat-eval/reason", test_reason_each_rule);
  g_test_add_func ("/core/repeat-eval/address-key", test_address_key);

  return g_test_run ();
}
