/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao"

#include "config.h"

#include "fq-sla.h"

static gboolean
is_open (FqTicketState state)
{
  return state == FQ_TICKET_STATE_DISPATCHED ||
         state == FQ_TICKET_STATE_ACCEPTED ||
         state == FQ_TICKET_STATE_RETURNED;
}

/**
 * fq_sla_deadline:
 * @dispatched_at: when the ticket was dispatched, Unix seconds
 * @deadline_hours: the category's deadline
 *
 * Returns: the time the ticket must be resolved by
 */
gint64
fq_sla_deadline (gint64 dispatched_at,
                 guint  deadline_hours)
{
  return dispatched_at + (gint64)deadline_hours * 3600;
}

/**
 * fq_sla_breaches:
 * @state: the ticket's state
 * @dispatched_at: when it was dispatched
 * @accepted_at: when it was accepted, or 0
 * @resolved_at: when it was resolved, or 0
 * @deadline: its deadline, or 0
 * @accept_limit_seconds: the acceptance limit
 * @now: the time to judge at
 *
 * Returns: an #FqSlaBreach mask (see fq-sla.h for the rules)
 */
guint
fq_sla_breaches (FqTicketState state,
                 gint64        dispatched_at,
                 gint64        accepted_at,
                 gint64        resolved_at,
                 gint64        deadline,
                 gint64        accept_limit_seconds,
                 gint64        now)
{
  gboolean open = is_open (state);
  guint breaches = FQ_SLA_OK;

  if (dispatched_at != 0)
    {
      gint64 accepted = 0;

      if (state == FQ_TICKET_STATE_DISPATCHED)
        accepted = now;
      else if (accepted_at != 0)
        accepted = accepted_at;
      else if (state == FQ_TICKET_STATE_RETURNED)
        accepted = now;

      if (accepted != 0 && accepted - dispatched_at > accept_limit_seconds)
        breaches |= FQ_SLA_ACCEPT_LATE;
    }

  if (deadline != 0)
    {
      gint64 resolved = open ? now : resolved_at;

      if (resolved != 0 && resolved > deadline)
        breaches |= FQ_SLA_RESOLVE_LATE;
    }

  return breaches;
}

/**
 * fq_sla_is_overdue:
 * @state: the ticket's state
 * @breaches: its #FqSlaBreach mask
 *
 * Returns: the API's `overdue` flag
 */
gboolean
fq_sla_is_overdue (FqTicketState state,
                   guint         breaches)
{
  return is_open (state) && breaches != FQ_SLA_OK;
}
