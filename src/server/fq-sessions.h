/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * Convening sessions (fq-sessions.c): what the ticket code needs of them.
 */

#include "fq-entities.h"

G_BEGIN_DECLS

/* The tickets whose sessions a unit convenes or is invited to: a
 * subquery with two parameters, both the unit id. */
#define FQ_SESSIONS_TICKETS_OF_UNIT_SQL                                              \
  "SELECT ticket FROM sessions WHERE convener_unit = ? UNION SELECT s.ticket FROM " \
  "session_invitees i JOIN sessions s ON s.id = i.session WHERE i.unit = ?"

/* Fills ticket->session_units with the conveners and the invited units of
 * @ticket's sessions. */
gboolean   fq_sessions_load_ticket_units (FqDb        *db,
                                          FqTicket    *ticket,
                                          GError     **error);
/* The sessions of a ticket, oldest first, as the API's session objects
 * (`overdue` of action items decided at @now). @until receives the first
 * second at which the same sessions read otherwise, because an
 * open action item falls overdue; G_MAXINT64 if none will. */
JsonArray *fq_sessions_ticket_json       (FqDb        *db,
                                          const char  *ticket_id,
                                          gint64       now,
                                          gint64      *until,
                                          GError     **error);

/* The demo city's current sessions (fq-demo.c, when none is scheduled
 * from two days ago on; the history's are over by then): on recent open
 * tickets of 团城山街道, one concluded yesterday, one in progress, one
 * later today and one tomorrow. Runs in a write job as a coordinator. */
gboolean   fq_sessions_demo_seed         (FqJob       *job,
                                          FqDb        *db,
                                          GError     **error);

/*
 * Sessions of the demo's history (fq-demo.c): a convening session as it
 * happened months ago, built in time order with the steps its actions
 * would have taken, by whom and when. The steps the ticket's timeline shows
 * return the data of their event (naming the session), which the history
 * numbers with the ticket's other events; the caller owns it. Items and
 * decisions take their ids from the history, which writes a new database.
 */
typedef struct _FqHistorySession FqHistorySession;

FqHistorySession *fq_history_session_new             (const FqTicket    *ticket,
                                                      const char        *id,
                                                      const char        *title,
                                                      const char        *agenda,
                                                      const char        *location,
                                                      const char        *convener_unit,
                                                      const char        *called_by,
                                                      gint64             called_at,
                                                      gint64             scheduled_at);
void              fq_history_session_invite          (FqHistorySession  *history,
                                                      const char        *unit);
void              fq_history_session_add_person      (FqHistorySession  *history,
                                                      const char        *name,
                                                      const char        *organisation);
/* The whistle event's, once the invitations are made. */
JsonObject       *fq_history_session_called          (FqHistorySession  *history);
JsonObject       *fq_history_session_check_in        (FqHistorySession  *history,
                                                      const char        *unit,
                                                      const char        *by,
                                                      gint64             at);
void              fq_history_session_excuse          (FqHistorySession  *history,
                                                      const char        *unit,
                                                      const char        *by,
                                                      gint64             at);
JsonObject       *fq_history_session_start           (FqHistorySession  *history,
                                                      gint64             at);
void              fq_history_session_set_minutes     (FqHistorySession  *history,
                                                      const char        *minutes,
                                                      gint64             at);
void              fq_history_session_decide          (FqHistorySession  *history,
                                                      gint64             id,
                                                      const char        *text,
                                                      const char        *by,
                                                      gint64             at);
void              fq_history_session_add_item        (FqHistorySession  *history,
                                                      gint64             id,
                                                      const char        *text,
                                                      const char        *owner_unit,
                                                      gint64             due,
                                                      const char        *by,
                                                      gint64             at);
/* Marks the invited units that have not come absent. */
JsonObject       *fq_history_session_conclude        (FqHistorySession  *history,
                                                      const char        *by,
                                                      gint64             at);
/* Item @id ran past its due time (the sla_breached event's data, at its
 * due time), before or without being done. */
JsonObject       *fq_history_session_item_overdue    (FqHistorySession  *history,
                                                      gint64             id);
JsonObject       *fq_history_session_complete_item   (FqHistorySession  *history,
                                                      gint64             id,
                                                      const char        *by,
                                                      gint64             at);
gint64            fq_history_session_get_updated_at  (FqHistorySession  *history);
/* Stores the session, its decisions and items, and appends its JSON (as
 * the API gives it at @now) to @json, for its change. */
gboolean          fq_history_session_store           (FqDb              *db,
                                                      FqHistorySession  *history,
                                                      gint64             now,
                                                      GString           *json,
                                                      GError           **error);
void              fq_history_session_free            (FqHistorySession  *history);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FqHistorySession, fq_history_session_free)

G_END_DECLS
