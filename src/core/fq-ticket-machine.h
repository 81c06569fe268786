/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "fq-enums.h"

G_BEGIN_DECLS

/*
 * The ticket state machine of DOMAIN.md as one table: each row is
 * (state, action) → next state, the roles that may take it, the fields it
 * requires and accepts, and the timeline event it appends. The server
 * enforces it; the console offers exactly the actions it allows.
 *
 *   action             from                          to          who
 *   accept             dispatched                    accepted    unit (lead)
 *   return             dispatched, accepted          returned    unit (lead)
 *   redispatch         returned, dispatched          dispatched  coordinator
 *   progress           accepted                      (same)      unit (lead or assisting)
 *   resolve            accepted                      resolved    unit (lead)
 *   reject_resolution  resolved                      accepted    coordinator
 *   close              resolved                      closed      coordinator
 *   reopen             closed                        accepted    coordinator
 *   escalate           dispatched, accepted, returned (same)     coordinator, unit (lead)
 *   comment            every state                   (same)      operator, coordinator,
 *                                                                unit (lead or assisting)
 *   assist             dispatched, accepted, returned (same)     coordinator, unit (lead)
 *
 * Escalation keeps the state here; when it names a new lead unit the server
 * sends the ticket back to dispatched itself. Leaders, administrators and
 * grid workers take no ticket actions.
 */

typedef enum
{
  FQ_ACTION_FIELD_NOTE         = 1 << 0,
  FQ_ACTION_FIELD_REASON       = 1 << 1, /* FqReturnReason */
  FQ_ACTION_FIELD_UNIT         = 1 << 2, /* a unit id */
  FQ_ACTION_FIELD_UNITS        = 1 << 3, /* an array of unit ids */
  FQ_ACTION_FIELD_SATISFACTION = 1 << 4, /* 1–5 */
  FQ_ACTION_FIELD_TIER         = 1 << 5, /* FqTier */
} FqActionField;

/* Which relation the acting user's unit must have to the ticket when the
 * role is FQ_ROLE_UNIT. Other roles are not bound to a unit. */
typedef enum
{
  FQ_UNIT_RELATION_NONE     = 0,      /* the role bit is enough */
  FQ_UNIT_RELATION_LEAD     = 1 << 0, /* the user's unit is the lead unit */
  FQ_UNIT_RELATION_ASSIST   = 1 << 1, /* the user's unit is assisting */
} FqUnitRelation;

/* A special value of `to`: the state does not change. */
#define FQ_TICKET_STATE_SAME ((FqTicketState) -1)

typedef struct
{
  FqTicketState  from;
  FqTicketAction action;
  FqTicketState  to;            /* or FQ_TICKET_STATE_SAME */
  guint          roles;         /* FQ_ROLE_BIT () mask */
  guint          unit_relation; /* FqUnitRelation mask, for FQ_ROLE_UNIT */
  guint          required;      /* FqActionField mask */
  guint          optional;      /* FqActionField mask */
  FqEventKind    event;
} FqTicketTransition;

const FqTicketTransition *fq_ticket_machine_table   (guint          *n_rows);
const FqTicketTransition *fq_ticket_machine_lookup  (FqTicketState   from,
                                                     FqTicketAction  action);

/* The actions (a mask of 1 << FqTicketAction) that a user of @role whose
 * unit stands in @relation (FqUnitRelation mask) to a ticket in @state may
 * take now. */
guint                     fq_ticket_machine_allowed (FqTicketState   state,
                                                     FqRole          role,
                                                     guint           relation);

/* Checks one action: FQ_ERROR_INVALID_TRANSITION if the state does not allow
 * it, FQ_ERROR_FORBIDDEN if the role or unit relation does not. */
gboolean                  fq_ticket_machine_check   (FqTicketState   state,
                                                     FqTicketAction  action,
                                                     FqRole          role,
                                                     guint           relation,
                                                     GError        **error);

/* The wire names of the actions in @actions (a mask of 1 << FqTicketAction),
 * in FqTicketAction order: the API's `allowed` and `allowed_actions`. */
GStrv                     fq_ticket_actions_to_strv (guint           actions);

/* Escalation raises the tier by one; FQ_TIER_CITY cannot be escalated. */
gboolean                  fq_tier_next              (FqTier          tier,
                                                     FqTier         *next);

G_END_DECLS
