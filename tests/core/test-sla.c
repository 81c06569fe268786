/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "fq-core.h"

#define HOUR  3600
#define LIMIT FQ_SLA_DEFAULT_ACCEPT_SECONDS

/* A ticket dispatched at T0 with a 24-hour deadline. */
#define T0       G_GINT64_CONSTANT (1795939200)
#define DEADLINE (T0 + 24 * HOUR)

static guint
breaches (FqTicketState state,
          gint64        accepted_at,
          gint64        resolved_at,
          gint64        now)
{
  return fq_sla_breaches (state, T0, accepted_at, resolved_at, DEADLINE, LIMIT, now);
}

static void
test_sla_deadline (void)
{
  g_assert_cmpint (fq_sla_deadline (T0, 24), ==, DEADLINE);
  g_assert_cmpint (fq_sla_deadline (T0, 0), ==, T0);
  /* No overflow of 32-bit arithmetic with large hours. */
  g_assert_cmpint (fq_sla_deadline (T0, G_MAXUINT), ==, T0 + (gint64)G_MAXUINT * HOUR);
  g_assert_cmpint (FQ_SLA_DEFAULT_ACCEPT_SECONDS, ==, 2 * HOUR);
}

static void
test_sla_accept (void)
{
  /* Waiting for acceptance: late only after the limit, not at it. */
  g_assert_cmpuint (breaches (FQ_TICKET_STATE_DISPATCHED, 0, 0, T0), ==, FQ_SLA_OK);
  g_assert_cmpuint (breaches (FQ_TICKET_STATE_DISPATCHED, 0, 0, T0 + LIMIT), ==, FQ_SLA_OK);
  g_assert_cmpuint (breaches (FQ_TICKET_STATE_DISPATCHED, 0, 0, T0 + LIMIT + 1), ==,
                    FQ_SLA_ACCEPT_LATE);

  /* Accepted in time, judged much later: still fine. */
  g_assert_cmpuint (breaches (FQ_TICKET_STATE_ACCEPTED, T0 + LIMIT, 0, T0 + 10 * HOUR), ==,
                    FQ_SLA_OK);

  /* Accepted late: the breach stays after acceptance. */
  g_assert_cmpuint (breaches (FQ_TICKET_STATE_ACCEPTED, T0 + LIMIT + 1, 0, T0 + 10 * HOUR), ==,
                    FQ_SLA_ACCEPT_LATE);
  g_assert_cmpuint (breaches (FQ_TICKET_STATE_CLOSED, T0 + 3 * HOUR, T0 + 4 * HOUR,
                              T0 + 100 * HOUR),
                    ==, FQ_SLA_ACCEPT_LATE);

  /* Returned without acceptance: still waiting for a unit to take it. */
  g_assert_cmpuint (breaches (FQ_TICKET_STATE_RETURNED, 0, 0, T0 + HOUR), ==, FQ_SLA_OK);
  g_assert_cmpuint (breaches (FQ_TICKET_STATE_RETURNED, 0, 0, T0 + 3 * HOUR), ==,
                    FQ_SLA_ACCEPT_LATE);
  /* Returned after a timely acceptance. */
  g_assert_cmpuint (breaches (FQ_TICKET_STATE_RETURNED, T0 + HOUR, 0, T0 + 3 * HOUR), ==,
                    FQ_SLA_OK);

  /* A dispatched ticket waits for acceptance whatever an old accepted_at says. */
  g_assert_cmpuint (breaches (FQ_TICKET_STATE_DISPATCHED, T0 - HOUR, 0, T0 + 3 * HOUR), ==,
                    FQ_SLA_ACCEPT_LATE);

  /* Another limit. */
  g_assert_cmpuint (fq_sla_breaches (FQ_TICKET_STATE_DISPATCHED, T0, 0, 0, DEADLINE, HOUR / 2,
                                     T0 + HOUR),
                    ==, FQ_SLA_ACCEPT_LATE);

  /* Unknown dispatch time: no judgement. */
  g_assert_cmpuint (fq_sla_breaches (FQ_TICKET_STATE_DISPATCHED, 0, 0, 0, 0, LIMIT, T0), ==,
                    FQ_SLA_OK);

  /* A closed ticket without an acceptance time is not judged on it. */
  g_assert_cmpuint (breaches (FQ_TICKET_STATE_CLOSED, 0, T0 + HOUR, T0 + 100 * HOUR), ==,
                    FQ_SLA_OK);
}

static void
test_sla_resolve (void)
{
  const gint64 accepted = T0 + HOUR;

  /* Open: late only after the deadline. */
  g_assert_cmpuint (breaches (FQ_TICKET_STATE_ACCEPTED, accepted, 0, DEADLINE), ==, FQ_SLA_OK);
  g_assert_cmpuint (breaches (FQ_TICKET_STATE_ACCEPTED, accepted, 0, DEADLINE + 1), ==,
                    FQ_SLA_RESOLVE_LATE);

  /* Never accepted, deadline passed: both. */
  g_assert_cmpuint (breaches (FQ_TICKET_STATE_DISPATCHED, 0, 0, DEADLINE + 1), ==,
                    FQ_SLA_ACCEPT_LATE | FQ_SLA_RESOLVE_LATE);

  /* Resolved on time and judged later: fine, resolved or closed. */
  g_assert_cmpuint (breaches (FQ_TICKET_STATE_RESOLVED, accepted, DEADLINE, DEADLINE + 100), ==,
                    FQ_SLA_OK);
  g_assert_cmpuint (breaches (FQ_TICKET_STATE_CLOSED, accepted, DEADLINE - 1, DEADLINE + 100), ==,
                    FQ_SLA_OK);

  /* Resolved late: stays late once resolved and once closed. */
  g_assert_cmpuint (breaches (FQ_TICKET_STATE_RESOLVED, accepted, DEADLINE + 1, DEADLINE + 2), ==,
                    FQ_SLA_RESOLVE_LATE);
  g_assert_cmpuint (breaches (FQ_TICKET_STATE_CLOSED, accepted, DEADLINE + 1, DEADLINE + 100), ==,
                    FQ_SLA_RESOLVE_LATE);

  /* Reopened after a timely resolution: open again, so judged at now. */
  g_assert_cmpuint (breaches (FQ_TICKET_STATE_ACCEPTED, accepted, T0 + 2 * HOUR, DEADLINE - 1), ==,
                    FQ_SLA_OK);
  g_assert_cmpuint (breaches (FQ_TICKET_STATE_ACCEPTED, accepted, T0 + 2 * HOUR, DEADLINE + 1), ==,
                    FQ_SLA_RESOLVE_LATE);

  /* Resolved without a resolution time: not judged. */
  g_assert_cmpuint (breaches (FQ_TICKET_STATE_RESOLVED, accepted, 0, DEADLINE + 100), ==,
                    FQ_SLA_OK);

  /* No deadline: never late. */
  g_assert_cmpuint (fq_sla_breaches (FQ_TICKET_STATE_ACCEPTED, T0, accepted, 0, 0, LIMIT,
                                     DEADLINE * 2),
                    ==, FQ_SLA_OK);
}

static void
test_sla_overdue (void)
{
  const guint masks[] = {
    FQ_SLA_OK, FQ_SLA_ACCEPT_LATE, FQ_SLA_RESOLVE_LATE, FQ_SLA_ACCEPT_LATE | FQ_SLA_RESOLVE_LATE,
  };

  for (guint i = 0; i < G_N_ELEMENTS (masks); i++)
    {
      gboolean any = masks[i] != FQ_SLA_OK;

      g_assert_cmpint (fq_sla_is_overdue (FQ_TICKET_STATE_DISPATCHED, masks[i]), ==, any);
      g_assert_cmpint (fq_sla_is_overdue (FQ_TICKET_STATE_ACCEPTED, masks[i]), ==, any);
      g_assert_cmpint (fq_sla_is_overdue (FQ_TICKET_STATE_RETURNED, masks[i]), ==, any);
      g_assert_false (fq_sla_is_overdue (FQ_TICKET_STATE_RESOLVED, masks[i]));
      g_assert_false (fq_sla_is_overdue (FQ_TICKET_STATE_CLOSED, masks[i]));
    }

  /* Together: a ticket resolved late is no longer overdue, but stays late. */
  {
    guint b = breaches (FQ_TICKET_STATE_RESOLVED, T0 + HOUR, DEADLINE + 1, DEADLINE + 2);

    g_assert_cmpuint (b, ==, FQ_SLA_RESOLVE_LATE);
    g_assert_false (fq_sla_is_overdue (FQ_TICKET_STATE_RESOLVED, b));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/sla/deadline", test_sla_deadline);
  g_test_add_func ("/core/sla/accept", test_sla_accept);
  g_test_add_func ("/core/sla/resolve", test_sla_resolve);
  g_test_add_func ("/core/sla/overdue", test_sla_overdue);

  return g_test_run ();
}
