/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "fq-context.h"

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

/* Signals: "close" (void): the user dismissed the pane. */

G_END_DECLS
