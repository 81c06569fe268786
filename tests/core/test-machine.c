/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <string.h>

#include "fq-core.h"

/*
 * The expectation, written independently of fq-ticket-machine.c: one line per
 * action, in words, as the design states it. "who" lists roles; a role
 * "unit:lead" or "unit:lead+assist" names the unit relations that qualify.
 */
static const struct
{
  FqTicketAction  action;
  const char     *from;
  const char     *to;
  const char     *who;
  const char     *required;
  const char     *optional;
  const char     *event;
} spec[] = {
  { FQ_TICKET_ACTION_ACCEPT, "dispatched", "accepted",
    "unit:lead", "", "note", "accepted" },
  { FQ_TICKET_ACTION_RETURN, "dispatched accepted", "returned",
    "unit:lead", "reason note", "", "returned" },
  { FQ_TICKET_ACTION_REDISPATCH, "returned dispatched", "dispatched",
    "coordinator", "unit", "note", "redispatched" },
  { FQ_TICKET_ACTION_PROGRESS, "accepted", "same",
    "unit:lead+assist", "note", "", "progress" },
  { FQ_TICKET_ACTION_RESOLVE, "accepted", "resolved",
    "unit:lead", "note", "", "resolved" },
  { FQ_TICKET_ACTION_REJECT_RESOLUTION, "resolved", "accepted",
    "coordinator", "note", "", "resolution_rejected" },
  { FQ_TICKET_ACTION_CLOSE, "resolved", "closed",
    "coordinator", "satisfaction", "note", "closed" },
  { FQ_TICKET_ACTION_REOPEN, "closed", "accepted",
    "coordinator", "", "note", "reopened" },
  { FQ_TICKET_ACTION_ESCALATE, "dispatched accepted returned", "same",
    "coordinator unit:lead", "", "tier unit note", "escalated" },
  { FQ_TICKET_ACTION_COMMENT, "dispatched accepted resolved closed returned", "same",
    "operator coordinator unit:lead+assist", "note", "", "comment" },
  { FQ_TICKET_ACTION_ASSIST, "dispatched accepted returned", "same",
    "coordinator unit:lead", "units", "note", "assisting" },
};

static const char *state_names[] = { "dispatched", "accepted", "resolved", "closed", "returned" };
static const char *role_names[] = {
  "operator", "coordinator", "unit", "grid_worker", "leader", "admin",
};
/* The unit relations a user can have: none, lead, assisting, and both (a
 * lead unit that was also added as assisting). */
static const guint relations[] = {
  0, FQ_UNIT_RELATION_LEAD, FQ_UNIT_RELATION_ASSIST,
  FQ_UNIT_RELATION_LEAD | FQ_UNIT_RELATION_ASSIST,
};

typedef enum
{
  OUTCOME_OK,
  OUTCOME_INVALID,
  OUTCOME_FORBIDDEN,
} Outcome;

static gboolean
word_in (const char *word,
         const char *words)
{
  g_auto(GStrv) list = g_strsplit (words, " ", -1);

  return g_strv_contains ((const char * const *)list, word);
}

static Outcome
expected_outcome (FqTicketState  state,
                  FqTicketAction action,
                  FqRole         role,
                  guint          relation)
{
  for (guint i = 0; i < G_N_ELEMENTS (spec); i++)
    {
      g_auto(GStrv) who = NULL;

      if (spec[i].action != action)
        continue;
      if (!word_in (state_names[state], spec[i].from))
        return OUTCOME_INVALID;

      who = g_strsplit (spec[i].who, " ", -1);
      for (guint w = 0; who[w] != NULL; w++)
        {
          if (role == FQ_ROLE_UNIT && g_str_has_prefix (who[w], "unit:"))
            {
              if ((relation & FQ_UNIT_RELATION_LEAD) && strstr (who[w], "lead"))
                return OUTCOME_OK;
              if ((relation & FQ_UNIT_RELATION_ASSIST) && strstr (who[w], "assist"))
                return OUTCOME_OK;
            }
          else if (strcmp (who[w], role_names[role]) == 0)
            return OUTCOME_OK;
        }

      return OUTCOME_FORBIDDEN;
    }

  g_assert_not_reached ();
}

static guint
fields_from_words (const char *words)
{
  static const struct
  {
    const char *word;
    guint       field;
  } names[] = {
    { "note", FQ_ACTION_FIELD_NOTE },
    { "reason", FQ_ACTION_FIELD_REASON },
    { "unit", FQ_ACTION_FIELD_UNIT },
    { "units", FQ_ACTION_FIELD_UNITS },
    { "satisfaction", FQ_ACTION_FIELD_SATISFACTION },
    { "tier", FQ_ACTION_FIELD_TIER },
  };
  guint mask = 0;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      if (word_in (names[i].word, words))
        mask |= names[i].field;
    }

  return mask;
}

static void
test_machine_rows (void)
{
  const FqTicketTransition *table;
  guint n_rows = 0;
  guint n_expected = 0;

  /* Every expected transition is a row with the expected details. */
  for (guint i = 0; i < G_N_ELEMENTS (spec); i++)
    {
      for (guint state = 0; state < FQ_TICKET_N_STATES; state++)
        {
          const FqTicketTransition *row;
          FqTicketState to = FQ_TICKET_STATE_SAME;
          int value = -1;

          row = fq_ticket_machine_lookup (state, spec[i].action);
          if (!word_in (state_names[state], spec[i].from))
            {
              g_assert_null (row);
              continue;
            }

          n_expected++;
          g_assert_nonnull (row);
          g_assert_cmpint (row->from, ==, state);
          g_assert_cmpint (row->action, ==, spec[i].action);

          if (strcmp (spec[i].to, "same") != 0)
            {
              g_assert_true (fq_enum_from_string (FQ_TYPE_TICKET_STATE, spec[i].to, &value));
              to = value;
            }
          g_assert_true (row->to == to);

          g_assert_true (fq_enum_from_string (FQ_TYPE_EVENT_KIND, spec[i].event, &value));
          g_assert_cmpint (row->event, ==, value);

          g_assert_cmphex (row->required, ==, fields_from_words (spec[i].required));
          g_assert_cmphex (row->optional, ==, fields_from_words (spec[i].optional));
          g_assert_cmphex (row->required & row->optional, ==, 0);
        }
    }

  /* And there are no others, nor duplicates. */
  table = fq_ticket_machine_table (&n_rows);
  g_assert_cmpuint (n_rows, ==, n_expected);
  for (guint i = 0; i < n_rows; i++)
    {
      g_assert_true (fq_ticket_machine_lookup (table[i].from, table[i].action) == &table[i]);
      for (guint j = i + 1; j < n_rows; j++)
        g_assert_false (table[i].from == table[j].from && table[i].action == table[j].action);
    }
}

static void
test_machine_check (void)
{
  guint n_checked = 0;

  for (guint state = 0; state < FQ_TICKET_N_STATES; state++)
    for (guint action = 0; action < FQ_TICKET_N_ACTIONS; action++)
      for (guint role = 0; role < G_N_ELEMENTS (role_names); role++)
        for (guint r = 0; r < G_N_ELEMENTS (relations); r++)
          {
            g_autoptr(GError) error = NULL;
            Outcome outcome = expected_outcome (state, action, role, relations[r]);
            gboolean ok = fq_ticket_machine_check (state, action, role, relations[r], &error);
            guint allowed = fq_ticket_machine_allowed (state, role, relations[r]);

            if (outcome == OUTCOME_OK)
              {
                if (!ok)
                  g_error ("%s %s by %s (relation %u): %s", state_names[state],
                           fq_enum_to_string (FQ_TYPE_TICKET_ACTION, action), role_names[role],
                           relations[r], error->message);
                g_assert_no_error (error);
                g_assert_true (allowed & (1u << action));
              }
            else
              {
                int code = outcome == OUTCOME_INVALID ? FQ_ERROR_INVALID_TRANSITION
                                                      : FQ_ERROR_FORBIDDEN;
                g_autofree char *field = NULL;

                if (ok)
                  g_error ("%s %s by %s (relation %u) was allowed", state_names[state],
                           fq_enum_to_string (FQ_TYPE_TICKET_ACTION, action), role_names[role],
                           relations[r]);
                g_assert_error (error, FQ_ERROR, code);
                field = fq_error_get_field (error);
                g_assert_cmpstr (field, ==, "action");
                g_assert_false (allowed & (1u << action));
              }

            n_checked++;
          }

  g_assert_cmpuint (n_checked, ==, 5 * 11 * 6 * 4);
}

static void
test_machine_allowed (void)
{
  const guint lead = FQ_UNIT_RELATION_LEAD;
  const guint assist = FQ_UNIT_RELATION_ASSIST;
#define A(x) (1u << FQ_TICKET_ACTION_##x)

  /* A few masks spelled out, as the console shows them. */
  g_assert_cmphex (fq_ticket_machine_allowed (FQ_TICKET_STATE_DISPATCHED, FQ_ROLE_UNIT, lead), ==,
                   A (ACCEPT) | A (RETURN) | A (ESCALATE) | A (COMMENT) | A (ASSIST));
  g_assert_cmphex (fq_ticket_machine_allowed (FQ_TICKET_STATE_DISPATCHED, FQ_ROLE_UNIT, assist), ==,
                   A (COMMENT));
  g_assert_cmphex (fq_ticket_machine_allowed (FQ_TICKET_STATE_DISPATCHED, FQ_ROLE_UNIT, 0), ==, 0);
  g_assert_cmphex (fq_ticket_machine_allowed (FQ_TICKET_STATE_ACCEPTED, FQ_ROLE_UNIT, lead), ==,
                   A (RETURN) | A (PROGRESS) | A (RESOLVE) | A (ESCALATE) | A (COMMENT) |
                   A (ASSIST));
  g_assert_cmphex (fq_ticket_machine_allowed (FQ_TICKET_STATE_ACCEPTED, FQ_ROLE_UNIT, assist), ==,
                   A (PROGRESS) | A (COMMENT));
  g_assert_cmphex (fq_ticket_machine_allowed (FQ_TICKET_STATE_RESOLVED, FQ_ROLE_COORDINATOR, 0), ==,
                   A (REJECT_RESOLUTION) | A (CLOSE) | A (COMMENT));
  g_assert_cmphex (fq_ticket_machine_allowed (FQ_TICKET_STATE_CLOSED, FQ_ROLE_COORDINATOR, 0), ==,
                   A (REOPEN) | A (COMMENT));
  g_assert_cmphex (fq_ticket_machine_allowed (FQ_TICKET_STATE_RETURNED, FQ_ROLE_COORDINATOR, 0), ==,
                   A (REDISPATCH) | A (ESCALATE) | A (COMMENT) | A (ASSIST));
  g_assert_cmphex (fq_ticket_machine_allowed (FQ_TICKET_STATE_CLOSED, FQ_ROLE_OPERATOR, 0), ==,
                   A (COMMENT));

  /* The relation means nothing for roles other than unit. */
  g_assert_cmphex (fq_ticket_machine_allowed (FQ_TICKET_STATE_DISPATCHED, FQ_ROLE_COORDINATOR, 0),
                   ==,
                   fq_ticket_machine_allowed (FQ_TICKET_STATE_DISPATCHED, FQ_ROLE_COORDINATOR,
                                              lead));

  /* Leaders, administrators and grid workers take no ticket actions at all. */
  for (guint state = 0; state < FQ_TICKET_N_STATES; state++)
    for (guint r = 0; r < G_N_ELEMENTS (relations); r++)
      {
        g_assert_cmphex (fq_ticket_machine_allowed (state, FQ_ROLE_LEADER, relations[r]), ==, 0);
        g_assert_cmphex (fq_ticket_machine_allowed (state, FQ_ROLE_ADMIN, relations[r]), ==, 0);
        g_assert_cmphex (fq_ticket_machine_allowed (state, FQ_ROLE_GRID_WORKER, relations[r]),
                         ==, 0);
      }

#undef A
}

static void
test_machine_strings (void)
{
  g_auto(GStrv) none = fq_ticket_actions_to_strv (0);
  g_auto(GStrv) some = fq_ticket_actions_to_strv ((1u << FQ_TICKET_ACTION_ASSIST) |
                                                  (1u << FQ_TICKET_ACTION_ACCEPT) |
                                                  (1u << FQ_TICKET_ACTION_REJECT_RESOLUTION));
  g_auto(GStrv) all = fq_ticket_actions_to_strv ((1u << FQ_TICKET_N_ACTIONS) - 1);

  g_assert_nonnull (none);
  g_assert_cmpuint (g_strv_length (none), ==, 0);
  g_assert_cmpstrv (some,
                    ((const char * const[]){ "accept", "reject_resolution", "assist", NULL }));
  g_assert_cmpstrv (all, ((const char * const[]){
                      "accept", "return", "redispatch", "progress", "resolve",
                      "reject_resolution", "close", "reopen", "escalate", "comment", "assist",
                      NULL }));
}

static void
test_machine_messages (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (fq_ticket_machine_check (FQ_TICKET_STATE_CLOSED, FQ_TICKET_ACTION_ACCEPT,
                                           FQ_ROLE_UNIT, FQ_UNIT_RELATION_LEAD, &error));
  g_assert_cmpstr (error->message, ==, "action: a ticket that is closed cannot be given accept");
  g_clear_error (&error);

  g_assert_false (fq_ticket_machine_check (FQ_TICKET_STATE_DISPATCHED, FQ_TICKET_ACTION_ACCEPT,
                                           FQ_ROLE_UNIT, FQ_UNIT_RELATION_ASSIST, &error));
  g_assert_cmpstr (error->message, ==, "action: only the lead unit may accept this ticket");
  g_clear_error (&error);

  g_assert_false (fq_ticket_machine_check (FQ_TICKET_STATE_ACCEPTED, FQ_TICKET_ACTION_PROGRESS,
                                           FQ_ROLE_UNIT, 0, &error));
  g_assert_cmpstr (error->message, ==,
                   "action: only the lead or an assisting unit may progress this ticket");
  g_clear_error (&error);

  g_assert_false (fq_ticket_machine_check (FQ_TICKET_STATE_DISPATCHED, FQ_TICKET_ACTION_REDISPATCH,
                                           FQ_ROLE_LEADER, 0, &error));
  g_assert_cmpstr (error->message, ==, "action: the role leader may not redispatch a ticket");
  g_clear_error (&error);

  /* Without an error location. */
  g_assert_false (fq_ticket_machine_check (FQ_TICKET_STATE_CLOSED, FQ_TICKET_ACTION_ACCEPT,
                                           FQ_ROLE_UNIT, FQ_UNIT_RELATION_LEAD, NULL));
}

static void
test_tier_next (void)
{
  FqTier next = FQ_TIER_COMMUNITY;

  g_assert_true (fq_tier_next (FQ_TIER_COMMUNITY, &next));
  g_assert_cmpint (next, ==, FQ_TIER_STREET);
  g_assert_true (fq_tier_next (FQ_TIER_STREET, &next));
  g_assert_cmpint (next, ==, FQ_TIER_DISTRICT);
  g_assert_true (fq_tier_next (FQ_TIER_DISTRICT, &next));
  g_assert_cmpint (next, ==, FQ_TIER_CITY);
  next = FQ_TIER_STREET;
  g_assert_false (fq_tier_next (FQ_TIER_CITY, &next));
  g_assert_cmpint (next, ==, FQ_TIER_STREET);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/machine/rows", test_machine_rows);
  g_test_add_func ("/core/machine/check", test_machine_check);
  g_test_add_func ("/core/machine/allowed", test_machine_allowed);
  g_test_add_func ("/core/machine/strings", test_machine_strings);
  g_test_add_func ("/core/machine/messages", test_machine_messages);
  g_test_add_func ("/core/machine/tier-next", test_tier_next);

  return g_test_run ();
}
