/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "fq-context.h"
#include "fq-timeline-event.h"

G_BEGIN_DECLS

/*
 * FqTimelineView: a ticket's timeline, oldest first, grouped by local day,
 * each event with its icon, actor, unit, time and note, and the time each
 * step took written on the milestone that ends it ("Dispatch → accepted
 * 40 min"). Kept current from the cache's "record-changed::event": new
 * events are appended as rows, the rest stays.
 *
 * The arithmetic (day grouping, which events are milestones, the step
 * texts, span formatting) is in the plain functions below, so that it is
 * tested without a display.
 */

#define FQ_TYPE_TIMELINE_VIEW (fq_timeline_view_get_type ())

G_DECLARE_FINAL_TYPE (FqTimelineView, fq_timeline_view, FQ, TIMELINE_VIEW, AdwBin)

GtkWidget  *fq_timeline_view_new               (void);
/* Property "context" (FqContext). */
void        fq_timeline_view_set_context       (FqTimelineView *self,
                                                FqContext      *context);
/* Shows the timeline of ticket @id (NULL: none). */
void        fq_timeline_view_set_ticket        (FqTimelineView *self,
                                                const char     *id);
/* Property "milestones-only": hide progress notes, comments, check-ins and
 * other small steps. */
void        fq_timeline_view_set_milestones_only (FqTimelineView *self,
                                                  gboolean        milestones_only);
gboolean    fq_timeline_view_get_milestones_only (FqTimelineView *self);
/* (transfer none) (element-type FqTimelineEvent): the events shown now,
 * oldest first (for the export). */
GPtrArray  *fq_timeline_view_get_events        (FqTimelineView *self);

/* Signals: "events-changed" (void): the list of events changed. */

/* ---- the arithmetic, display-free ---- */

/* A span of time as a person reads it: "under a minute", "40 min" (under an
 * hour), "5 h" (under two days, to the nearest hour), "4 d". (transfer full) */
char       *fq_format_span                     (gint64          seconds);
/* Milestones: the steps whose spacing is measured (dispatch, acceptance,
 * return, resolution, …, whistle and consensus). */
gboolean    fq_timeline_kind_is_milestone      (FqEventKind     kind);
/* Shown with the "milestones" filter: milestones and the events that stand
 * out (repeat calls, escalations, breaches, sessions). */
gboolean    fq_timeline_kind_is_shown_in_milestones (FqEventKind kind);
/* Events that stand out in the list. */
gboolean    fq_timeline_kind_is_notable        (FqEventKind     kind);
/* The local day of @unix_seconds in @tz as yyyymmdd (20261129). */
guint       fq_timeline_day_key                (gint64          unix_seconds,
                                                GTimeZone      *tz);
/* "2026年11月29日 星期日" — the locale's heading for that day. (transfer full) */
char       *fq_timeline_day_heading            (gint64          unix_seconds,
                                                GTimeZone      *tz);
/* For @events (FqTimelineEvent, oldest first): one string per event, NULL
 * except on a milestone that follows another, where it is the step:
 * "Dispatch → accepted 40 min"; a resolution or a closing after several
 * steps adds the time since the first dispatch. (transfer full) (element-type utf8) */
GPtrArray  *fq_timeline_compute_steps          (GPtrArray      *events);
/* Same for one milestone given the previous one. (transfer full) */
char       *fq_timeline_step_text              (FqEventKind     from_kind,
                                                gint64          from_at,
                                                FqEventKind     to_kind,
                                                gint64          to_at);
/* The symbolic icon name of an event kind. */
const char *fq_timeline_kind_icon              (FqEventKind     kind);

G_END_DECLS
