/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "fq-context.h"
#include "fq-report.h"

G_BEGIN_DECLS

#define FQ_TYPE_TICKET_PANE (fq_ticket_pane_get_type ())

G_DECLARE_FINAL_TYPE (FqTicketPane, fq_ticket_pane, FQ, TICKET_PANE, AdwBin)

GtkWidget  *fq_ticket_pane_new         (void);
/* Property "context" (FqContext). */
void        fq_ticket_pane_set_context (FqTicketPane *self,
                                        FqContext    *context);
/* Shows ticket @id (from the cache, kept current). */
void        fq_ticket_pane_set_ticket  (FqTicketPane *self,
                                        const char   *id);
const char *fq_ticket_pane_get_ticket  (FqTicketPane *self);
/* The actions offered now (a mask of 1 << FqTicketAction): the server's
 * allowed_actions for the rev on screen, else the core table's. */
guint       fq_ticket_pane_get_offered_actions (FqTicketPane *self);
/* The ticket's record for export, or NULL before the ticket is loaded.
 * (transfer full) */
FqReport   *fq_ticket_pane_build_report (FqTicketPane *self);

/* The record of a ticket as a report: its fields, the calls merged into it
 * (@incidents: JsonObject, as the API gives them) and its timeline
 * (@events: FqTimelineEvent, oldest first). @context (nullable) names the
 * units, categories and places; without it the codes are written.
 * (transfer full) */
FqReport   *fq_ticket_report_new       (FqContext    *context,
                                        JsonObject   *ticket,
                                        GPtrArray    *incidents,
                                        GPtrArray    *events);

/* Signals: "close" (void): the user dismissed the pane. */

G_END_DECLS
