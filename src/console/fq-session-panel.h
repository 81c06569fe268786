/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "fq-context.h"
#include "fq-report.h"

G_BEGIN_DECLS

/*
 * FqSessionPanel: one convening session as it runs, built for a meeting
 * table and a projector: a large roster where each invited unit is a tile
 * (invited, reported at 09:07 (3 min late), absent, excused), checked in
 * with one click or Alt+1…9; the elapsed time; minutes that save as they are
 * typed and wait in the outbox while the console is offline; decisions;
 * action items with owner unit and due time; start, conclude, cancel;
 * export and print of the minutes. It follows the cached session, so every
 * console showing it updates as the change feed brings changes.
 *
 * What the signed-in user may do follows the server's rules (fq-sessions.c):
 * coordinators and the convener unit manage; an invited unit's staff report
 * their own unit in; an action item's owner unit completes it.
 */

#define FQ_TYPE_SESSION_PANEL (fq_session_panel_get_type ())

G_DECLARE_FINAL_TYPE (FqSessionPanel, fq_session_panel, FQ, SESSION_PANEL, GtkWidget)

GtkWidget  *fq_session_panel_new            (FqContext      *context);
/* Shows session @id (from the cache, or from the server if the cache does
 * not hold it yet). */
void        fq_session_panel_set_session    (FqSessionPanel *self,
                                             const char     *id);
/* (nullable) */
const char *fq_session_panel_get_session_id (FqSessionPanel *self);

/* Signals:
 * "back" (void): the person wants the list of sessions again. */

/* Shared with the sessions view and the tests. */

/* An RFC 3339 member of @object as Unix seconds, 0 when null or absent. */
gint64      fq_session_get_time             (JsonObject     *object,
                                             const char     *member);
/* "Scheduled", "In Progress", "Concluded", "Cancelled". */
const char *fq_session_state_label          (const char     *state);
/* "4 of 5 units reported". (transfer full) */
char       *fq_session_roster_summary       (JsonObject     *session);
/* "Reported at 09:07 (3 min late)", "Not reported yet", "Absent", …
 * for one invitee object. (transfer full) */
char       *fq_session_invitee_status       (JsonObject     *invitee);
/* The minutes as a printable record: the session's facts, attendance,
 * external participants, agenda, minutes, decisions and action items.
 * @context (nullable) names the units; without it their ids are printed. */
FqReport   *fq_session_minutes_report_new   (FqContext      *context,
                                             JsonObject     *session);

G_END_DECLS
