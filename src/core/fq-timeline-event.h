/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "fq-enums.h"

G_BEGIN_DECLS

/*
 * One event of a ticket's timeline (API.md: `{"id","ticket","at","kind",
 * "actor","unit","note","data"}`, and the actor's display name,
 * `actor_name`). Events are never changed once written.
 */

#define FQ_TYPE_TIMELINE_EVENT (fq_timeline_event_get_type ())

G_DECLARE_FINAL_TYPE (FqTimelineEvent, fq_timeline_event, FQ, TIMELINE_EVENT, GObject)

FqTimelineEvent *fq_timeline_event_new_from_json (JsonObject  *object,
                                                  GError     **error);
JsonNode        *fq_timeline_event_to_json       (FqTimelineEvent *self);
const char      *fq_timeline_event_get_id        (FqTimelineEvent *self);
const char      *fq_timeline_event_get_ticket    (FqTimelineEvent *self);
gint64           fq_timeline_event_get_at        (FqTimelineEvent *self);
FqEventKind      fq_timeline_event_get_kind      (FqTimelineEvent *self);
const char      *fq_timeline_event_get_actor     (FqTimelineEvent *self);
const char      *fq_timeline_event_get_actor_name (FqTimelineEvent *self);
char            *fq_timeline_event_dup_who       (FqTimelineEvent *self,
                                                  const char      *unit_name);
const char      *fq_timeline_event_get_unit      (FqTimelineEvent *self);
const char      *fq_timeline_event_get_note      (FqTimelineEvent *self);
JsonNode        *fq_timeline_event_get_data      (FqTimelineEvent *self);

G_END_DECLS
