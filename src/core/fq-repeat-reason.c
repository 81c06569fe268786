/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao"

#include "config.h"

#include <math.h>
#include <string.h>

#include "fq-repeat-reason.h"

static const struct
{
  FqRepeatFact  fact;
  const char   *name;
  const char   *label;
} facts[] = {
  { FQ_REPEAT_FACT_SAME_PHONE, "same_phone", "同一来电人" },
  { FQ_REPEAT_FACT_SAME_ADDRESS, "same_address", "同一地址" },
  { FQ_REPEAT_FACT_SAME_COMMUNITY, "same_community", "同一社区" },
  { FQ_REPEAT_FACT_SAME_CATEGORY, "same_category", "同一类别" },
  { FQ_REPEAT_FACT_SIMILAR_SUMMARY, "similar_summary", "内容相近" },
};

static const struct
{
  FqRepeatRule  rule;
  const char   *name;
  guint         facts;
} rules[] = {
  { FQ_REPEAT_RULE_PHONE, "phone", FQ_REPEAT_FACT_SAME_PHONE | FQ_REPEAT_FACT_SAME_COMMUNITY },
  { FQ_REPEAT_RULE_ADDRESS, "address", FQ_REPEAT_FACT_SAME_ADDRESS | FQ_REPEAT_FACT_SAME_CATEGORY },
  { FQ_REPEAT_RULE_SUMMARY, "summary",
    FQ_REPEAT_FACT_SAME_COMMUNITY | FQ_REPEAT_FACT_SAME_CATEGORY | FQ_REPEAT_FACT_SIMILAR_SUMMARY },
};

/**
 * fq_repeat_explain:
 * @incoming: the new incident
 * @earlier: an earlier incident
 * @reason: (out caller-allocates): the rules, the facts behind them, the
 *   score, the similarity and the elapsed time
 *
 * Returns: %TRUE if @earlier repeats @incoming by at least one rule
 */
gboolean
fq_repeat_explain (const FqRepeatProbe *incoming,
                   const FqRepeatProbe *earlier,
                   FqRepeatReason      *reason)
{
  g_return_val_if_fail (incoming != NULL, FALSE);
  g_return_val_if_fail (earlier != NULL, FALSE);
  g_return_val_if_fail (reason != NULL, FALSE);

  memset (reason, 0, sizeof *reason);
  reason->rules = fq_repeat_match (incoming, earlier, &reason->score);
  reason->similarity = fq_repeat_similarity (incoming->summary, earlier->summary);
  reason->elapsed = incoming->received_at - earlier->received_at;

  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    {
      if ((reason->rules & rules[i].rule) != 0)
        reason->facts |= rules[i].facts;
    }

  return reason->rules != FQ_REPEAT_RULE_NONE;
}

/**
 * fq_repeat_elapsed_split:
 * @seconds: a duration
 * @unit: (out): the unit of the count returned
 *
 * Returns: @seconds in whole minutes (at least 1) below an hour, in whole
 *   hours below a day, else in whole days
 */
guint
fq_repeat_elapsed_split (gint64               seconds,
                         FqRepeatElapsedUnit *unit)
{
  g_return_val_if_fail (unit != NULL, 0);

  seconds = MAX (seconds, 0);
  if (seconds < 3600)
    {
      *unit = FQ_REPEAT_ELAPSED_MINUTES;
      return MAX (seconds / 60, 1);
    }
  if (seconds < 24 * 3600)
    {
      *unit = FQ_REPEAT_ELAPSED_HOURS;
      return seconds / 3600;
    }

  *unit = FQ_REPEAT_ELAPSED_DAYS;
  return seconds / (24 * 3600);
}

const char *
fq_repeat_fact_to_string (FqRepeatFact fact)
{
  for (guint i = 0; i < G_N_ELEMENTS (facts); i++)
    {
      if (facts[i].fact == fact)
        return facts[i].name;
    }

  g_return_val_if_reached (NULL);
}

const char *
fq_repeat_fact_label_zh (FqRepeatFact fact)
{
  for (guint i = 0; i < G_N_ELEMENTS (facts); i++)
    {
      if (facts[i].fact == fact)
        return facts[i].label;
    }

  g_return_val_if_reached (NULL);
}

/**
 * fq_repeat_reason_to_json:
 * @reason: a reason
 *
 * Returns: (transfer full): `{"rules", "facts", "score", "similarity",
 *   "elapsed_seconds"}`, rules and facts by name in their display order,
 *   score and similarity rounded to three decimals
 */
JsonNode *
fq_repeat_reason_to_json (const FqRepeatReason *reason)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();

  g_return_val_if_fail (reason != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "rules");
  json_builder_begin_array (builder);
  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    {
      if ((reason->rules & rules[i].rule) != 0)
        json_builder_add_string_value (builder, rules[i].name);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "facts");
  json_builder_begin_array (builder);
  for (guint i = 0; i < G_N_ELEMENTS (facts); i++)
    {
      if ((reason->facts & facts[i].fact) != 0)
        json_builder_add_string_value (builder, facts[i].name);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "score");
  json_builder_add_double_value (builder, round (reason->score * 1000.0) / 1000.0);
  json_builder_set_member_name (builder, "similarity");
  json_builder_add_double_value (builder, round (reason->similarity * 1000.0) / 1000.0);
  json_builder_set_member_name (builder, "elapsed_seconds");
  json_builder_add_int_value (builder, reason->elapsed);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/**
 * fq_repeat_reason_to_string_zh:
 * @reason: a reason
 *
 * Returns: (transfer full): "同一来电人、同一社区，2 天前"; the facts are
 *   left out when there are none
 */
char *
fq_repeat_reason_to_string_zh (const FqRepeatReason *reason)
{
  static const char *unit_labels[] = { "分钟前", "小时前", "天前" };
  GString *out = g_string_new (NULL);
  FqRepeatElapsedUnit unit;
  guint count;

  g_return_val_if_fail (reason != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (facts); i++)
    {
      if ((reason->facts & facts[i].fact) == 0)
        continue;
      if (out->len > 0)
        g_string_append (out, "、");
      g_string_append (out, facts[i].label);
    }
  if (out->len > 0)
    g_string_append (out, "，");

  count = fq_repeat_elapsed_split (reason->elapsed, &unit);
  g_string_append_printf (out, "%u %s", count, unit_labels[unit]);

  return g_string_free (out, FALSE);
}
