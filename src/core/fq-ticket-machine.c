/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao"

#include "config.h"

#include "fq-enum-types.h"
#include "fq-error.h"
#include "fq-ticket-machine.h"

/* Shorthands for the table below. */
#define SAME         FQ_TICKET_STATE_SAME
#define DISPATCHED   FQ_TICKET_STATE_DISPATCHED
#define ACCEPTED     FQ_TICKET_STATE_ACCEPTED
#define RESOLVED     FQ_TICKET_STATE_RESOLVED
#define CLOSED       FQ_TICKET_STATE_CLOSED
#define RETURNED     FQ_TICKET_STATE_RETURNED
#define OPERATOR     FQ_ROLE_BIT (FQ_ROLE_OPERATOR)
#define COORDINATOR  FQ_ROLE_BIT (FQ_ROLE_COORDINATOR)
#define UNIT         FQ_ROLE_BIT (FQ_ROLE_UNIT)
#define LEAD         FQ_UNIT_RELATION_LEAD
#define ASSIST       FQ_UNIT_RELATION_ASSIST
#define NOTE         FQ_ACTION_FIELD_NOTE
#define REASON       FQ_ACTION_FIELD_REASON
#define ONE_UNIT     FQ_ACTION_FIELD_UNIT
#define UNITS        FQ_ACTION_FIELD_UNITS
#define SATISFACTION FQ_ACTION_FIELD_SATISFACTION
#define TIER         FQ_ACTION_FIELD_TIER

/* The whole state machine; each (from, action) pair appears at most once.
 * A row reads: from, action, to,
 *              roles, unit relation (for role unit), required, optional, event. */
static const FqTicketTransition table[] = {
  { DISPATCHED, FQ_TICKET_ACTION_ACCEPT, ACCEPTED,
    UNIT, LEAD, 0, NOTE, FQ_EVENT_KIND_ACCEPTED },

  { DISPATCHED, FQ_TICKET_ACTION_RETURN, RETURNED,
    UNIT, LEAD, REASON | NOTE, 0, FQ_EVENT_KIND_RETURNED },
  { ACCEPTED, FQ_TICKET_ACTION_RETURN, RETURNED,
    UNIT, LEAD, REASON | NOTE, 0, FQ_EVENT_KIND_RETURNED },

  { RETURNED, FQ_TICKET_ACTION_REDISPATCH, DISPATCHED,
    COORDINATOR, 0, ONE_UNIT, NOTE, FQ_EVENT_KIND_REDISPATCHED },
  { DISPATCHED, FQ_TICKET_ACTION_REDISPATCH, DISPATCHED,
    COORDINATOR, 0, ONE_UNIT, NOTE, FQ_EVENT_KIND_REDISPATCHED },

  { ACCEPTED, FQ_TICKET_ACTION_PROGRESS, SAME,
    UNIT, LEAD | ASSIST, NOTE, 0, FQ_EVENT_KIND_PROGRESS },

  { ACCEPTED, FQ_TICKET_ACTION_RESOLVE, RESOLVED,
    UNIT, LEAD, NOTE, 0, FQ_EVENT_KIND_RESOLVED },

  { RESOLVED, FQ_TICKET_ACTION_REJECT_RESOLUTION, ACCEPTED,
    COORDINATOR, 0, NOTE, 0, FQ_EVENT_KIND_RESOLUTION_REJECTED },

  { RESOLVED, FQ_TICKET_ACTION_CLOSE, CLOSED,
    COORDINATOR, 0, SATISFACTION, NOTE, FQ_EVENT_KIND_CLOSED },

  { CLOSED, FQ_TICKET_ACTION_REOPEN, ACCEPTED,
    COORDINATOR, 0, 0, NOTE, FQ_EVENT_KIND_REOPENED },

  /* The server sends the ticket back to dispatched when a new unit is given. */
  { DISPATCHED, FQ_TICKET_ACTION_ESCALATE, SAME,
    COORDINATOR | UNIT, LEAD, 0, TIER | ONE_UNIT | NOTE, FQ_EVENT_KIND_ESCALATED },
  { ACCEPTED, FQ_TICKET_ACTION_ESCALATE, SAME,
    COORDINATOR | UNIT, LEAD, 0, TIER | ONE_UNIT | NOTE, FQ_EVENT_KIND_ESCALATED },
  { RETURNED, FQ_TICKET_ACTION_ESCALATE, SAME,
    COORDINATOR | UNIT, LEAD, 0, TIER | ONE_UNIT | NOTE, FQ_EVENT_KIND_ESCALATED },

  { DISPATCHED, FQ_TICKET_ACTION_COMMENT, SAME,
    OPERATOR | COORDINATOR | UNIT, LEAD | ASSIST, NOTE, 0, FQ_EVENT_KIND_COMMENT },
  { ACCEPTED, FQ_TICKET_ACTION_COMMENT, SAME,
    OPERATOR | COORDINATOR | UNIT, LEAD | ASSIST, NOTE, 0, FQ_EVENT_KIND_COMMENT },
  { RESOLVED, FQ_TICKET_ACTION_COMMENT, SAME,
    OPERATOR | COORDINATOR | UNIT, LEAD | ASSIST, NOTE, 0, FQ_EVENT_KIND_COMMENT },
  { CLOSED, FQ_TICKET_ACTION_COMMENT, SAME,
    OPERATOR | COORDINATOR | UNIT, LEAD | ASSIST, NOTE, 0, FQ_EVENT_KIND_COMMENT },
  { RETURNED, FQ_TICKET_ACTION_COMMENT, SAME,
    OPERATOR | COORDINATOR | UNIT, LEAD | ASSIST, NOTE, 0, FQ_EVENT_KIND_COMMENT },

  { DISPATCHED, FQ_TICKET_ACTION_ASSIST, SAME,
    COORDINATOR | UNIT, LEAD, UNITS, NOTE, FQ_EVENT_KIND_ASSISTING },
  { ACCEPTED, FQ_TICKET_ACTION_ASSIST, SAME,
    COORDINATOR | UNIT, LEAD, UNITS, NOTE, FQ_EVENT_KIND_ASSISTING },
  { RETURNED, FQ_TICKET_ACTION_ASSIST, SAME,
    COORDINATOR | UNIT, LEAD, UNITS, NOTE, FQ_EVENT_KIND_ASSISTING },
};

/**
 * fq_ticket_machine_table:
 * @n_rows: (out): the number of rows
 *
 * Returns: (transfer none) (array length=n_rows): the whole table
 */
const FqTicketTransition *
fq_ticket_machine_table (guint *n_rows)
{
  g_return_val_if_fail (n_rows != NULL, NULL);

  *n_rows = G_N_ELEMENTS (table);
  return table;
}

/**
 * fq_ticket_machine_lookup:
 * @from: the current state
 * @action: the action
 *
 * Returns: (transfer none) (nullable): the row for (@from, @action), or %NULL
 *   if the state does not allow the action at all
 */
const FqTicketTransition *
fq_ticket_machine_lookup (FqTicketState  from,
                          FqTicketAction action)
{
  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      if (table[i].from == from && table[i].action == action)
        return &table[i];
    }

  return NULL;
}

static gboolean
row_permits (const FqTicketTransition *row,
             FqRole                    role,
             guint                     relation)
{
  if ((row->roles & FQ_ROLE_BIT (role)) == 0)
    return FALSE;

  /* Only unit staff are bound to the ticket through their unit. */
  if (role == FQ_ROLE_UNIT && row->unit_relation != FQ_UNIT_RELATION_NONE)
    return (row->unit_relation & relation) != 0;

  return TRUE;
}

/**
 * fq_ticket_machine_allowed:
 * @state: the ticket's state
 * @role: the acting user's role
 * @relation: an #FqUnitRelation mask: how the user's unit stands to the ticket
 *
 * Returns: the actions that may be taken now, a mask of 1 << #FqTicketAction
 */
guint
fq_ticket_machine_allowed (FqTicketState state,
                           FqRole        role,
                           guint         relation)
{
  guint mask = 0;

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      if (table[i].from == state && row_permits (&table[i], role, relation))
        mask |= 1u << table[i].action;
    }

  return mask;
}

/**
 * fq_ticket_machine_check:
 * @state: the ticket's state
 * @action: the action asked for
 * @role: the acting user's role
 * @relation: an #FqUnitRelation mask: how the user's unit stands to the ticket
 * @error: return location for an error
 *
 * Returns: %TRUE if the action may be taken; otherwise %FALSE with
 *   %FQ_ERROR_INVALID_TRANSITION (no such transition from @state) or
 *   %FQ_ERROR_FORBIDDEN (not for this user), naming the field `action`
 */
gboolean
fq_ticket_machine_check (FqTicketState   state,
                         FqTicketAction  action,
                         FqRole          role,
                         guint           relation,
                         GError        **error)
{
  const FqTicketTransition *row = fq_ticket_machine_lookup (state, action);
  const char *action_name = fq_enum_to_string (FQ_TYPE_TICKET_ACTION, action);
  const char *state_name = fq_enum_to_string (FQ_TYPE_TICKET_STATE, state);

  if (row == NULL)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_TRANSITION, "action",
                          "a ticket that is %s cannot be given %s",
                          state_name ? state_name : "in an unknown state",
                          action_name ? action_name : "an unknown action");
      return FALSE;
    }

  if (!row_permits (row, role, relation))
    {
      const char *role_name = fq_enum_to_string (FQ_TYPE_ROLE, role);

      if (role == FQ_ROLE_UNIT && (row->roles & FQ_ROLE_BIT (FQ_ROLE_UNIT)) != 0)
        fq_set_field_error (error, FQ_ERROR_FORBIDDEN, "action",
                            "only %s may %s this ticket",
                            (row->unit_relation & FQ_UNIT_RELATION_ASSIST) != 0
                              ? "the lead or an assisting unit"
                              : "the lead unit",
                            action_name);
      else
        fq_set_field_error (error, FQ_ERROR_FORBIDDEN, "action",
                            "the role %s may not %s a ticket",
                            role_name ? role_name : "(unknown)", action_name);
      return FALSE;
    }

  return TRUE;
}

/**
 * fq_ticket_actions_to_strv:
 * @actions: a mask of 1 << #FqTicketAction
 *
 * Returns: (transfer full): the wire names of the actions, in enum order
 */
GStrv
fq_ticket_actions_to_strv (guint actions)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint action = 0; action < FQ_TICKET_N_ACTIONS; action++)
    {
      if (actions & (1u << action))
        g_strv_builder_add (builder, fq_enum_to_string (FQ_TYPE_TICKET_ACTION, action));
    }

  return g_strv_builder_end (builder);
}

/**
 * fq_tier_next:
 * @tier: a tier
 * @next: (out): the tier one level up
 *
 * Returns: %FALSE if @tier is already the top (%FQ_TIER_CITY)
 */
gboolean
fq_tier_next (FqTier  tier,
              FqTier *next)
{
  g_return_val_if_fail (next != NULL, FALSE);

  if (tier >= FQ_TIER_CITY)
    return FALSE;

  *next = tier + 1;
  return TRUE;
}
