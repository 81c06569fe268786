/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "fq-repeat.h"

G_BEGIN_DECLS

/*
 * Why an earlier incident was offered as a repeat: the facts behind the
 * matched rules and the time between the two, for the operator ("同一来电人、
 * 同一社区，2 天前"). The core hands out the facts and the elapsed time, not a
 * sentence: the console builds the sentence in its own language.
 *
 * Facts, in the order they are shown, and the rules they support:
 *
 *  | fact              | shown as   | rules            |
 *  | same_phone        | 同一来电人 | phone            |
 *  | same_address      | 同一地址   | address          |
 *  | same_community    | 同一社区   | phone, summary   |
 *  | same_category     | 同一类别   | address, summary |
 *  | similar_summary   | 内容相近   | summary          |
 */

typedef enum
{
  FQ_REPEAT_FACT_NONE            = 0,
  FQ_REPEAT_FACT_SAME_PHONE      = 1 << 0,
  FQ_REPEAT_FACT_SAME_ADDRESS    = 1 << 1,
  FQ_REPEAT_FACT_SAME_COMMUNITY  = 1 << 2,
  FQ_REPEAT_FACT_SAME_CATEGORY   = 1 << 3,
  FQ_REPEAT_FACT_SIMILAR_SUMMARY = 1 << 4,
} FqRepeatFact;

typedef enum
{
  FQ_REPEAT_ELAPSED_MINUTES,
  FQ_REPEAT_ELAPSED_HOURS,
  FQ_REPEAT_ELAPSED_DAYS,
} FqRepeatElapsedUnit;

typedef struct
{
  guint  rules;       /* FqRepeatRule mask, as fq_repeat_match() returns it */
  guint  facts;       /* FqRepeatFact mask: the facts behind those rules */
  double score;       /* fq_repeat_match()'s ranking score */
  double similarity;  /* the summaries' similarity, 0 … 1 */
  gint64 elapsed;     /* seconds from the earlier incident to the incoming one */
} FqRepeatReason;

/* fq_repeat_match() with its reason. Returns TRUE if a rule matches. */
gboolean  fq_repeat_explain              (const FqRepeatProbe  *incoming,
                                          const FqRepeatProbe  *earlier,
                                          FqRepeatReason       *reason);
/* @seconds as a count of one unit, rounded down: below an hour minutes (at
 * least 1), below a day hours, else days. */
guint     fq_repeat_elapsed_split        (gint64                seconds,
                                          FqRepeatElapsedUnit  *unit);
/* The fact's machine name ("same_phone", …) and its Chinese label. */
const char *fq_repeat_fact_to_string     (FqRepeatFact          fact);
const char *fq_repeat_fact_label_zh      (FqRepeatFact          fact);
/* `{"rules": ["phone"], "facts": ["same_phone", "same_community"],
 *   "score": 0.93, "similarity": 0.62, "elapsed_seconds": 172800}` */
JsonNode *fq_repeat_reason_to_json       (const FqRepeatReason *reason);
/* The sentence in Chinese, "同一来电人、同一社区，2 天前": the reference
 * form for logs, tests and the API documentation. */
char     *fq_repeat_reason_to_string_zh  (const FqRepeatReason *reason);

G_END_DECLS
