/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "fq-context.h"

G_BEGIN_DECLS

#define FQ_TYPE_TRIAGE_PANE (fq_triage_pane_get_type ())

G_DECLARE_FINAL_TYPE (FqTriagePane, fq_triage_pane, FQ, TRIAGE_PANE, AdwBin)

GtkWidget  *fq_triage_pane_new          (void);
/* Property "context" (FqContext). */
void        fq_triage_pane_set_context  (FqTriagePane *self,
                                         FqContext    *context);
/* Shows incident @id (from the cache, kept current). */
void        fq_triage_pane_set_incident (FqTriagePane *self,
                                         const char   *id);
const char *fq_triage_pane_get_incident (FqTriagePane *self);
/* Moves the focus into the pane once its incident is shown. */
void        fq_triage_pane_focus_when_shown (FqTriagePane *self);

/* Signals:
 * "open-ticket" (const char *id): the user asked to see a ticket.
 * "submitted" (const char *incident_id): a triage went to the outbox.
 * "close" (void): the user dismissed the pane. */

G_END_DECLS
