/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "fq-enums.h"

G_BEGIN_DECLS

/* The default time a unit has to accept a dispatched ticket. */
#define FQ_SLA_DEFAULT_ACCEPT_SECONDS (2 * 3600)

typedef enum
{
  FQ_SLA_OK           = 0,
  FQ_SLA_ACCEPT_LATE  = 1 << 0, /* not accepted within the acceptance limit */
  FQ_SLA_RESOLVE_LATE = 1 << 1, /* not resolved by the deadline */
} FqSlaBreach;

/* dispatched_at + deadline_hours. */
gint64 fq_sla_deadline (gint64 dispatched_at,
                        guint  deadline_hours);

/* The breaches in force at @now for a ticket. @accepted_at and @resolved_at
 * are 0 when not yet. A closed or resolved ticket that was resolved late
 * stays FQ_SLA_RESOLVE_LATE (it was resolved, but not on time).
 *
 * Both are facts about the ticket, decided the same way:
 *  - FQ_SLA_ACCEPT_LATE: acceptance came more than @accept_limit_seconds
 *    after dispatch; while the ticket waits for acceptance (dispatched, or
 *    returned without having been accepted) @now stands for it. A ticket
 *    accepted late keeps the breach, so that it is recorded once and the
 *    assessment counts it.
 *  - FQ_SLA_RESOLVE_LATE: resolution came after @deadline; while the ticket
 *    is open (dispatched, accepted, returned) @now stands for it, whatever an
 *    earlier @resolved_at says (a reopened ticket is unresolved again).
 * Exactly at the limit is still on time. A @dispatched_at or @deadline of 0
 * (unknown) never breaches, nor does a missing time that the state says
 * exists. */
guint  fq_sla_breaches (FqTicketState state,
                        gint64        dispatched_at,
                        gint64        accepted_at,
                        gint64        resolved_at,
                        gint64        deadline,
                        gint64        accept_limit_seconds,
                        gint64        now);

/* Overdue, as the API's `overdue` flag: an open ticket (dispatched, accepted,
 * returned) with a breach in force. */
gboolean fq_sla_is_overdue (FqTicketState state,
                            guint         breaches);

G_END_DECLS
