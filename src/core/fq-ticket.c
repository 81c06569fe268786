/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao"

#include "config.h"

#include "fq-enum-types.h"
#include "fq-json.h"
#include "fq-model-codec.h"
#include "fq-ticket.h"

struct _FqTicket
{
  GObject        parent_instance;

  char          *id;
  char          *title;
  char          *category;
  char          *grid;
  FqTier         tier;
  char          *lead_unit;
  GStrv          assisting_units;
  FqTicketState  state;
  GStrv          incidents;
  gint64         created_at;
  gint64         dispatched_at;
  gint64         accepted_at;
  gint64         resolved_at;
  gint64         closed_at;
  gint64         deadline;
  gboolean       overdue;
  int            satisfaction;
  guint          returned_count;
  guint          reopened_count;
  guint          repeat_count;
  gint64         rev;
};

enum
{
  PROP_0,
  PROP_ID,
  PROP_TITLE,
  PROP_CATEGORY,
  PROP_GRID,
  PROP_TIER,
  PROP_LEAD_UNIT,
  PROP_ASSISTING_UNITS,
  PROP_STATE,
  PROP_INCIDENTS,
  PROP_CREATED_AT,
  PROP_DISPATCHED_AT,
  PROP_ACCEPTED_AT,
  PROP_RESOLVED_AT,
  PROP_CLOSED_AT,
  PROP_DEADLINE,
  PROP_OVERDUE,
  PROP_SATISFACTION,
  PROP_RETURNED_COUNT,
  PROP_REOPENED_COUNT,
  PROP_REPEAT_COUNT,
  PROP_REV,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FqTicket, fq_ticket, G_TYPE_OBJECT)

/* The JSON object of API.md, member by member. */
static const FqModelField fields[] = {
  { "id", "id", FQ_MODEL_STRING, TRUE, FQ_MAX_ID_CHARS },
  { "title", "title", FQ_MODEL_STRING, TRUE, FQ_MAX_NAME_CHARS },
  { "category", "category", FQ_MODEL_STRING, TRUE, FQ_MAX_CODE_CHARS },
  { "grid", "grid", FQ_MODEL_STRING, TRUE, FQ_MAX_CODE_CHARS },
  { "tier", "tier", FQ_MODEL_ENUM, TRUE },
  { "lead_unit", "lead-unit", FQ_MODEL_STRING, TRUE, FQ_MAX_ID_CHARS },
  { "assisting_units", "assisting-units", FQ_MODEL_STRV, FALSE, FQ_MAX_LIST_ITEMS },
  { "state", "state", FQ_MODEL_ENUM, TRUE },
  { "incidents", "incidents", FQ_MODEL_STRV, FALSE, FQ_MAX_TICKET_INCIDENTS },
  { "created_at", "created-at", FQ_MODEL_TIME, TRUE },
  { "dispatched_at", "dispatched-at", FQ_MODEL_TIME, FALSE },
  { "accepted_at", "accepted-at", FQ_MODEL_TIME, FALSE },
  { "resolved_at", "resolved-at", FQ_MODEL_TIME, FALSE },
  { "closed_at", "closed-at", FQ_MODEL_TIME, FALSE },
  { "deadline", "deadline", FQ_MODEL_TIME, FALSE },
  { "overdue", "overdue", FQ_MODEL_BOOL, TRUE },
  { "satisfaction", "satisfaction", FQ_MODEL_INT, FALSE, 0, 1, 5, TRUE },
  { "returned_count", "returned-count", FQ_MODEL_INT, TRUE, 0, 0, G_MAXUINT, FALSE },
  { "reopened_count", "reopened-count", FQ_MODEL_INT, TRUE, 0, 0, G_MAXUINT, FALSE },
  { "repeat_count", "repeat-count", FQ_MODEL_INT, TRUE, 0, 0, G_MAXUINT, FALSE },
  { "rev", "rev", FQ_MODEL_INT, TRUE, 0, 0, G_MAXINT64, FALSE },
};

static void
fq_ticket_finalize (GObject *object)
{
  FqTicket *self = (FqTicket *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->category, g_free);
  g_clear_pointer (&self->grid, g_free);
  g_clear_pointer (&self->lead_unit, g_free);
  g_clear_pointer (&self->assisting_units, g_strfreev);
  g_clear_pointer (&self->incidents, g_strfreev);

  G_OBJECT_CLASS (fq_ticket_parent_class)->finalize (object);
}

static void
fq_ticket_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  FqTicket *self = FQ_TICKET (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;

    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;

    case PROP_CATEGORY:
      g_value_set_string (value, self->category);
      break;

    case PROP_GRID:
      g_value_set_string (value, self->grid);
      break;

    case PROP_TIER:
      g_value_set_enum (value, self->tier);
      break;

    case PROP_LEAD_UNIT:
      g_value_set_string (value, self->lead_unit);
      break;

    case PROP_ASSISTING_UNITS:
      g_value_set_boxed (value, self->assisting_units);
      break;

    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_INCIDENTS:
      g_value_set_boxed (value, self->incidents);
      break;

    case PROP_CREATED_AT:
      g_value_set_int64 (value, self->created_at);
      break;

    case PROP_DISPATCHED_AT:
      g_value_set_int64 (value, self->dispatched_at);
      break;

    case PROP_ACCEPTED_AT:
      g_value_set_int64 (value, self->accepted_at);
      break;

    case PROP_RESOLVED_AT:
      g_value_set_int64 (value, self->resolved_at);
      break;

    case PROP_CLOSED_AT:
      g_value_set_int64 (value, self->closed_at);
      break;

    case PROP_DEADLINE:
      g_value_set_int64 (value, self->deadline);
      break;

    case PROP_OVERDUE:
      g_value_set_boolean (value, self->overdue);
      break;

    case PROP_SATISFACTION:
      g_value_set_int (value, self->satisfaction);
      break;

    case PROP_RETURNED_COUNT:
      g_value_set_uint (value, self->returned_count);
      break;

    case PROP_REOPENED_COUNT:
      g_value_set_uint (value, self->reopened_count);
      break;

    case PROP_REPEAT_COUNT:
      g_value_set_uint (value, self->repeat_count);
      break;

    case PROP_REV:
      g_value_set_int64 (value, self->rev);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_ticket_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  FqTicket *self = FQ_TICKET (object);

  switch (prop_id)
    {
    case PROP_ID:
      fq_model_set_string (object, &self->id, g_value_get_string (value), pspec);
      break;

    case PROP_TITLE:
      fq_model_set_string (object, &self->title, g_value_get_string (value), pspec);
      break;

    case PROP_CATEGORY:
      fq_model_set_string (object, &self->category, g_value_get_string (value), pspec);
      break;

    case PROP_GRID:
      fq_model_set_string (object, &self->grid, g_value_get_string (value), pspec);
      break;

    case PROP_TIER:
      fq_model_set_int (object, (int *)&self->tier, g_value_get_enum (value), pspec);
      break;

    case PROP_LEAD_UNIT:
      fq_model_set_string (object, &self->lead_unit, g_value_get_string (value), pspec);
      break;

    case PROP_ASSISTING_UNITS:
      fq_model_set_strv (object, &self->assisting_units, g_value_get_boxed (value), pspec);
      break;

    case PROP_STATE:
      fq_model_set_int (object, (int *)&self->state, g_value_get_enum (value), pspec);
      break;

    case PROP_INCIDENTS:
      fq_model_set_strv (object, &self->incidents, g_value_get_boxed (value), pspec);
      break;

    case PROP_CREATED_AT:
      fq_model_set_int64 (object, &self->created_at, g_value_get_int64 (value), pspec);
      break;

    case PROP_DISPATCHED_AT:
      fq_model_set_int64 (object, &self->dispatched_at, g_value_get_int64 (value), pspec);
      break;

    case PROP_ACCEPTED_AT:
      fq_model_set_int64 (object, &self->accepted_at, g_value_get_int64 (value), pspec);
      break;

    case PROP_RESOLVED_AT:
      fq_model_set_int64 (object, &self->resolved_at, g_value_get_int64 (value), pspec);
      break;

    case PROP_CLOSED_AT:
      fq_model_set_int64 (object, &self->closed_at, g_value_get_int64 (value), pspec);
      break;

    case PROP_DEADLINE:
      fq_model_set_int64 (object, &self->deadline, g_value_get_int64 (value), pspec);
      break;

    case PROP_OVERDUE:
      fq_model_set_boolean (object, &self->overdue, g_value_get_boolean (value), pspec);
      break;

    case PROP_SATISFACTION:
      fq_model_set_int (object, &self->satisfaction, g_value_get_int (value), pspec);
      break;

    case PROP_RETURNED_COUNT:
      fq_model_set_uint (object, &self->returned_count, g_value_get_uint (value), pspec);
      break;

    case PROP_REOPENED_COUNT:
      fq_model_set_uint (object, &self->reopened_count, g_value_get_uint (value), pspec);
      break;

    case PROP_REPEAT_COUNT:
      fq_model_set_uint (object, &self->repeat_count, g_value_get_uint (value), pspec);
      break;

    case PROP_REV:
      fq_model_set_int64 (object, &self->rev, g_value_get_int64 (value), pspec);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_ticket_class_init (FqTicketClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fq_ticket_finalize;
  object_class->get_property = fq_ticket_get_property;
  object_class->set_property = fq_ticket_set_property;

  /**
   * FqTicket:id:
   *
   * The ticket's identifier.
   */
  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTicket:title:
   *
   * A one-line title.
   */
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTicket:category:
   *
   * The category code.
   */
  properties[PROP_CATEGORY] =
    g_param_spec_string ("category", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTicket:grid:
   *
   * The grid code of the place.
   */
  properties[PROP_GRID] =
    g_param_spec_string ("grid", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTicket:tier:
   *
   * The handling tier.
   */
  properties[PROP_TIER] =
    g_param_spec_enum ("tier", NULL, NULL,
                       FQ_TYPE_TIER, FQ_TIER_COMMUNITY,
                       FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTicket:lead-unit:
   *
   * The id of the lead unit.
   */
  properties[PROP_LEAD_UNIT] =
    g_param_spec_string ("lead-unit", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTicket:assisting-units:
   *
   * The ids of the assisting units.
   */
  properties[PROP_ASSISTING_UNITS] =
    g_param_spec_boxed ("assisting-units", NULL, NULL,
                        G_TYPE_STRV,
                        FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTicket:state:
   *
   * The state.
   */
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL,
                       FQ_TYPE_TICKET_STATE, FQ_TICKET_STATE_DISPATCHED,
                       FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTicket:incidents:
   *
   * The ids of its incidents, the first one and the repeats merged into it.
   */
  properties[PROP_INCIDENTS] =
    g_param_spec_boxed ("incidents", NULL, NULL,
                        G_TYPE_STRV,
                        FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTicket:created-at:
   *
   * When it was created.
   */
  properties[PROP_CREATED_AT] =
    g_param_spec_int64 ("created-at", NULL, NULL,
                        G_MININT64, G_MAXINT64, 0,
                        FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTicket:dispatched-at:
   *
   * When it was (last) dispatched, or 0.
   */
  properties[PROP_DISPATCHED_AT] =
    g_param_spec_int64 ("dispatched-at", NULL, NULL,
                        G_MININT64, G_MAXINT64, 0,
                        FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTicket:accepted-at:
   *
   * When it was accepted, or 0.
   */
  properties[PROP_ACCEPTED_AT] =
    g_param_spec_int64 ("accepted-at", NULL, NULL,
                        G_MININT64, G_MAXINT64, 0,
                        FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTicket:resolved-at:
   *
   * When it was resolved, or 0.
   */
  properties[PROP_RESOLVED_AT] =
    g_param_spec_int64 ("resolved-at", NULL, NULL,
                        G_MININT64, G_MAXINT64, 0,
                        FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTicket:closed-at:
   *
   * When it was closed, or 0.
   */
  properties[PROP_CLOSED_AT] =
    g_param_spec_int64 ("closed-at", NULL, NULL,
                        G_MININT64, G_MAXINT64, 0,
                        FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTicket:deadline:
   *
   * When it must be resolved by, or 0.
   */
  properties[PROP_DEADLINE] =
    g_param_spec_int64 ("deadline", NULL, NULL,
                        G_MININT64, G_MAXINT64, 0,
                        FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTicket:overdue:
   *
   * Whether it is open with an SLA breach in force.
   */
  properties[PROP_OVERDUE] =
    g_param_spec_boolean ("overdue", NULL, NULL,
                          FALSE,
                          FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTicket:satisfaction:
   *
   * The caller's satisfaction from 1 to 5, or 0 if not rated.
   */
  properties[PROP_SATISFACTION] =
    g_param_spec_int ("satisfaction", NULL, NULL,
                      0, 5, 0,
                      FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTicket:returned-count:
   *
   * How often it was returned.
   */
  properties[PROP_RETURNED_COUNT] =
    g_param_spec_uint ("returned-count", NULL, NULL,
                       0, G_MAXUINT, 0,
                       FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTicket:reopened-count:
   *
   * How often it was reopened or its resolution rejected.
   */
  properties[PROP_REOPENED_COUNT] =
    g_param_spec_uint ("reopened-count", NULL, NULL,
                       0, G_MAXUINT, 0,
                       FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTicket:repeat-count:
   *
   * How many repeat calls were merged into it.
   */
  properties[PROP_REPEAT_COUNT] =
    g_param_spec_uint ("repeat-count", NULL, NULL,
                       0, G_MAXUINT, 0,
                       FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTicket:rev:
   *
   * The revision, which grows with each change.
   */
  properties[PROP_REV] =
    g_param_spec_int64 ("rev", NULL, NULL,
                        0, G_MAXINT64, 0,
                        FQ_MODEL_PARAM_FLAGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fq_ticket_init (FqTicket *self)
{
}

/**
 * fq_ticket_new_from_json:
 * @object: a ticket object as the API writes it
 * @error: return location for an error
 *
 * Every member is checked strictly (see fq-json.h); members the type does
 * not know are ignored.
 *
 * Returns: (transfer full) (nullable): the ticket, or %NULL with @error set
 */
FqTicket *
fq_ticket_new_from_json (JsonObject  *object,
                         GError     **error)
{
  g_autoptr(FqTicket) self = NULL;

  g_return_val_if_fail (object != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (FQ_TYPE_TICKET, NULL);
  if (!fq_model_read_fields (G_OBJECT (self), fields, G_N_ELEMENTS (fields), object, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * fq_ticket_to_json:
 * @self: a #FqTicket
 *
 * Returns: (transfer full): @self as the API's ticket object
 */
JsonNode *
fq_ticket_to_json (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), NULL);

  return fq_model_write_fields (G_OBJECT (self), fields, G_N_ELEMENTS (fields));
}

/**
 * fq_ticket_update_from_json:
 * @self: a #FqTicket
 * @object: the same ticket (same `id`) as the API now writes it
 * @changed: (out) (optional): whether any property changed
 * @error: return location for an error
 *
 * Updates @self in place, notifying exactly the properties that changed, so
 * that a list row showing it redraws only what it must. @object is checked
 * as strictly as by fq_ticket_new_from_json(); if it is refused, or names
 * another ticket, @self is left as it was.
 *
 * Returns: %FALSE with @error set if @object was refused
 */
gboolean
fq_ticket_update_from_json (FqTicket    *self,
                            JsonObject  *object,
                            gboolean    *changed,
                            GError     **error)
{
  g_autoptr(FqTicket) from = NULL;

  g_return_val_if_fail (FQ_IS_TICKET (self), FALSE);
  g_return_val_if_fail (object != NULL, FALSE);

  if (changed != NULL)
    *changed = FALSE;

  if (!(from = fq_ticket_new_from_json (object, error)))
    return FALSE;

  return fq_model_update_checked (G_OBJECT (self), G_OBJECT (from), "id", changed, error);
}

/**
 * fq_ticket_get_id:
 * @self: a #FqTicket
 *
 * Returns: (transfer none): The ticket's identifier.
 */
const char *
fq_ticket_get_id (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), NULL);

  return self->id;
}

/**
 * fq_ticket_get_title:
 * @self: a #FqTicket
 *
 * Returns: (transfer none): A one-line title.
 */
const char *
fq_ticket_get_title (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), NULL);

  return self->title;
}

/**
 * fq_ticket_get_category:
 * @self: a #FqTicket
 *
 * Returns: (transfer none): The category code.
 */
const char *
fq_ticket_get_category (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), NULL);

  return self->category;
}

/**
 * fq_ticket_get_grid:
 * @self: a #FqTicket
 *
 * Returns: (transfer none): The grid code of the place.
 */
const char *
fq_ticket_get_grid (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), NULL);

  return self->grid;
}

/**
 * fq_ticket_get_tier:
 * @self: a #FqTicket
 *
 * Returns: The handling tier.
 */
FqTier
fq_ticket_get_tier (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), 0);

  return self->tier;
}

/**
 * fq_ticket_get_lead_unit:
 * @self: a #FqTicket
 *
 * Returns: (transfer none): The id of the lead unit.
 */
const char *
fq_ticket_get_lead_unit (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), NULL);

  return self->lead_unit;
}

/**
 * fq_ticket_get_assisting_units:
 * @self: a #FqTicket
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): The ids of
 *    the assisting units.
 */
const char * const *
fq_ticket_get_assisting_units (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), NULL);

  return (const char * const *)self->assisting_units;
}

/**
 * fq_ticket_get_state:
 * @self: a #FqTicket
 *
 * Returns: The state.
 */
FqTicketState
fq_ticket_get_state (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), 0);

  return self->state;
}

/**
 * fq_ticket_get_incidents:
 * @self: a #FqTicket
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): The ids of
 *    its incidents, the first one and the repeats merged into it.
 */
const char * const *
fq_ticket_get_incidents (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), NULL);

  return (const char * const *)self->incidents;
}

/**
 * fq_ticket_get_created_at:
 * @self: a #FqTicket
 *
 * Returns: When it was created.
 */
gint64
fq_ticket_get_created_at (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), 0);

  return self->created_at;
}

/**
 * fq_ticket_get_dispatched_at:
 * @self: a #FqTicket
 *
 * Returns: When it was (last) dispatched, or 0.
 */
gint64
fq_ticket_get_dispatched_at (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), 0);

  return self->dispatched_at;
}

/**
 * fq_ticket_get_accepted_at:
 * @self: a #FqTicket
 *
 * Returns: When it was accepted, or 0.
 */
gint64
fq_ticket_get_accepted_at (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), 0);

  return self->accepted_at;
}

/**
 * fq_ticket_get_resolved_at:
 * @self: a #FqTicket
 *
 * Returns: When it was resolved, or 0.
 */
gint64
fq_ticket_get_resolved_at (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), 0);

  return self->resolved_at;
}

/**
 * fq_ticket_get_closed_at:
 * @self: a #FqTicket
 *
 * Returns: When it was closed, or 0.
 */
gint64
fq_ticket_get_closed_at (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), 0);

  return self->closed_at;
}

/**
 * fq_ticket_get_deadline:
 * @self: a #FqTicket
 *
 * Returns: When it must be resolved by, or 0.
 */
gint64
fq_ticket_get_deadline (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), 0);

  return self->deadline;
}

/**
 * fq_ticket_get_overdue:
 * @self: a #FqTicket
 *
 * Returns: Whether it is open with an SLA breach in force.
 */
gboolean
fq_ticket_get_overdue (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), FALSE);

  return self->overdue;
}

/**
 * fq_ticket_get_satisfaction:
 * @self: a #FqTicket
 *
 * Returns: The caller's satisfaction from 1 to 5, or 0 if not rated.
 */
int
fq_ticket_get_satisfaction (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), 0);

  return self->satisfaction;
}

/**
 * fq_ticket_get_returned_count:
 * @self: a #FqTicket
 *
 * Returns: How often it was returned.
 */
guint
fq_ticket_get_returned_count (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), 0);

  return self->returned_count;
}

/**
 * fq_ticket_get_reopened_count:
 * @self: a #FqTicket
 *
 * Returns: How often it was reopened or its resolution rejected.
 */
guint
fq_ticket_get_reopened_count (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), 0);

  return self->reopened_count;
}

/**
 * fq_ticket_get_repeat_count:
 * @self: a #FqTicket
 *
 * Returns: How many repeat calls were merged into it.
 */
guint
fq_ticket_get_repeat_count (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), 0);

  return self->repeat_count;
}

/**
 * fq_ticket_get_rev:
 * @self: a #FqTicket
 *
 * Returns: The revision, which grows with each change.
 */
gint64
fq_ticket_get_rev (FqTicket *self)
{
  g_return_val_if_fail (FQ_IS_TICKET (self), 0);

  return self->rev;
}
