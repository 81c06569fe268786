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

/* The demo city's sessions (fq-demo.c, once, when none exist): on recent
 * open tickets of 团城山街道, one concluded yesterday, one in progress, one
 * later today and one tomorrow. Runs in a write job as a coordinator. */
gboolean   fq_sessions_demo_seed         (FqJob       *job,
                                          FqDb        *db,
                                          GError     **error);

G_END_DECLS
