/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao"

#include "config.h"

#include "fq-enum-types.h"
#include "fq-error.h"
#include "fq-json.h"
#include "fq-model-codec.h"
#include "fq-incident.h"

struct _FqIncident
{
  GObject           parent_instance;

  char             *id;
  FqSource          source;
  gint64            received_at;
  char             *caller_name;
  char             *caller_phone;
  char             *address;
  char             *grid;
  char             *summary;
  char             *description;
  char             *category;
  char             *external_id;
  FqIncidentStatus  status;
  FqDecision        decision;
  gboolean          has_decision;
  char             *ticket;
  char             *repeat_of;
  GPtrArray        *repeat_candidates;
  char             *suggested_category;
  double            suggested_confidence;
  char             *created_by;
  gint64            rev;
};

enum
{
  PROP_0,
  PROP_ID,
  PROP_SOURCE,
  PROP_RECEIVED_AT,
  PROP_CALLER_NAME,
  PROP_CALLER_PHONE,
  PROP_ADDRESS,
  PROP_GRID,
  PROP_SUMMARY,
  PROP_DESCRIPTION,
  PROP_CATEGORY,
  PROP_EXTERNAL_ID,
  PROP_STATUS,
  PROP_DECISION,
  PROP_HAS_DECISION,
  PROP_TICKET,
  PROP_REPEAT_OF,
  PROP_REPEAT_CANDIDATES,
  PROP_SUGGESTED_CATEGORY,
  PROP_SUGGESTED_CONFIDENCE,
  PROP_CREATED_BY,
  PROP_REV,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FqIncident, fq_incident, G_TYPE_OBJECT)

G_DEFINE_BOXED_TYPE (FqRepeatCandidate, fq_repeat_candidate,
                     fq_repeat_candidate_copy, fq_repeat_candidate_free)

static GPtrArray *
new_candidates (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)fq_repeat_candidate_free);
}

static gboolean
candidates_equal (GPtrArray *a,
                  GPtrArray *b)
{
  guint len_a = a != NULL ? a->len : 0;
  guint len_b = b != NULL ? b->len : 0;

  if (len_a != len_b)
    return FALSE;

  for (guint i = 0; i < len_a; i++)
    {
      const FqRepeatCandidate *ca = g_ptr_array_index (a, i);
      const FqRepeatCandidate *cb = g_ptr_array_index (b, i);

      if (g_strcmp0 (ca->incident, cb->incident) != 0 ||
          g_strcmp0 (ca->ticket, cb->ticket) != 0 ||
          ca->score != cb->score)
        return FALSE;
    }

  return TRUE;
}

/* Keeps a copy, so that the caller's array may change afterwards and the
 * array handed out by the getter never does. */
static void
set_candidates (FqIncident *self,
                GPtrArray  *candidates,
                GParamSpec *pspec)
{
  GPtrArray *copy = new_candidates ();

  if (candidates_equal (self->repeat_candidates, candidates))
    {
      g_ptr_array_unref (copy);
      return;
    }

  for (guint i = 0; candidates != NULL && i < candidates->len; i++)
    g_ptr_array_add (copy, fq_repeat_candidate_copy (g_ptr_array_index (candidates, i)));

  g_clear_pointer (&self->repeat_candidates, g_ptr_array_unref);
  self->repeat_candidates = copy;
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

static gboolean
read_decision (GObject     *object,
               JsonObject  *json,
               GError     **error)
{
  int decision = FQ_DECISION_POLICE;
  gboolean present = FALSE;

  if (!fq_json_get_enum (json, "decision", FALSE, FQ_TYPE_DECISION, &decision, &present, error))
    return FALSE;

  g_object_set (object, "decision", decision, "has-decision", present, NULL);
  return TRUE;
}

static void
write_decision (GObject     *object,
                JsonBuilder *builder)
{
  FqIncident *self = FQ_INCIDENT (object);

  if (self->has_decision)
    fq_json_builder_add_enum (builder, "decision", FQ_TYPE_DECISION, self->decision);
  else
    fq_json_builder_add_string (builder, "decision", NULL);
}

static gboolean
read_candidates (GObject     *object,
                 JsonObject  *json,
                 GError     **error)
{
  g_autoptr(GPtrArray) candidates = new_candidates ();
  JsonArray *array;
  guint len;

  if (!fq_json_get_array (json, "repeat_candidates", FALSE, &array, error))
    return FALSE;

  len = array != NULL ? json_array_get_length (array) : 0;
  if (len > FQ_MAX_LIST_ITEMS)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "repeat_candidates",
                          "must have at most %u items", FQ_MAX_LIST_ITEMS);
      return FALSE;
    }

  for (guint i = 0; i < len; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      g_autoptr(FqRepeatCandidate) candidate = g_new0 (FqRepeatCandidate, 1);
      JsonObject *item;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "repeat_candidates",
                              "item %u must be an object", i + 1);
          return FALSE;
        }
      item = json_node_get_object (node);

      /* Errors name the inner member after the array, which stays the field. */
      if (!fq_json_get_string (item, "incident", TRUE, FQ_MAX_ID_CHARS,
                               &candidate->incident, error) ||
          !fq_json_get_string (item, "ticket", FALSE, FQ_MAX_ID_CHARS,
                               &candidate->ticket, error) ||
          !fq_json_get_double (item, "score", TRUE, 0.0, 1.0,
                               &candidate->score, NULL, error))
        {
          g_prefix_error (error, "repeat_candidates: item %u: ", i + 1);
          return FALSE;
        }

      g_ptr_array_add (candidates, g_steal_pointer (&candidate));
    }

  g_object_set (object, "repeat-candidates", candidates, NULL);
  return TRUE;
}

static void
write_candidates (GObject     *object,
                  JsonBuilder *builder)
{
  FqIncident *self = FQ_INCIDENT (object);

  json_builder_set_member_name (builder, "repeat_candidates");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->repeat_candidates->len; i++)
    {
      const FqRepeatCandidate *candidate = g_ptr_array_index (self->repeat_candidates, i);

      json_builder_begin_object (builder);
      fq_json_builder_add_string (builder, "incident", candidate->incident);
      fq_json_builder_add_string (builder, "ticket", candidate->ticket);
      json_builder_set_member_name (builder, "score");
      json_builder_add_double_value (builder, candidate->score);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static gboolean
read_suggestion (GObject     *object,
                 JsonObject  *json,
                 GError     **error)
{
  g_autofree char *code = NULL;
  double confidence = 0.0;
  JsonObject *suggestion;

  if (!fq_json_get_object (json, "suggested_category", FALSE, &suggestion, error))
    return FALSE;

  if (suggestion != NULL &&
      (!fq_json_get_string (suggestion, "code", TRUE, FQ_MAX_CODE_CHARS, &code, error) ||
       !fq_json_get_double (suggestion, "confidence", TRUE, 0.0, 1.0, &confidence, NULL, error)))
    {
      g_prefix_error (error, "suggested_category: ");
      return FALSE;
    }

  g_object_set (object,
                "suggested-category", code,
                "suggested-confidence", confidence,
                NULL);
  return TRUE;
}

static void
write_suggestion (GObject     *object,
                  JsonBuilder *builder)
{
  FqIncident *self = FQ_INCIDENT (object);

  json_builder_set_member_name (builder, "suggested_category");
  if (self->suggested_category == NULL)
    {
      json_builder_add_null_value (builder);
      return;
    }

  json_builder_begin_object (builder);
  fq_json_builder_add_string (builder, "code", self->suggested_category);
  json_builder_set_member_name (builder, "confidence");
  json_builder_add_double_value (builder, self->suggested_confidence);
  json_builder_end_object (builder);
}

/* The JSON object of API.md, member by member. */
static const FqModelField fields[] = {
  { "id", "id", FQ_MODEL_STRING, TRUE, FQ_MAX_ID_CHARS },
  { "source", "source", FQ_MODEL_ENUM, TRUE },
  { "received_at", "received-at", FQ_MODEL_TIME, TRUE },
  { "caller_name", "caller-name", FQ_MODEL_STRING, FALSE, FQ_MAX_NAME_CHARS },
  { "caller_phone", "caller-phone", FQ_MODEL_STRING, FALSE, FQ_MAX_PHONE_CHARS },
  { "address", "address", FQ_MODEL_STRING, FALSE, FQ_MAX_NAME_CHARS },
  { "grid", "grid", FQ_MODEL_STRING, TRUE, FQ_MAX_CODE_CHARS },
  { "summary", "summary", FQ_MODEL_STRING, TRUE, FQ_MAX_SUMMARY_CHARS },
  { "description", "description", FQ_MODEL_STRING, FALSE, FQ_MAX_TEXT_CHARS },
  { "category", "category", FQ_MODEL_STRING, FALSE, FQ_MAX_CODE_CHARS },
  { "external_id", "external-id", FQ_MODEL_STRING, FALSE, FQ_MAX_NAME_CHARS },
  { "status", "status", FQ_MODEL_ENUM, TRUE },
  { "decision", NULL, FQ_MODEL_CUSTOM, .read = read_decision, .write = write_decision },
  { "ticket", "ticket", FQ_MODEL_STRING, FALSE, FQ_MAX_ID_CHARS },
  { "repeat_of", "repeat-of", FQ_MODEL_STRING, FALSE, FQ_MAX_ID_CHARS },
  { "repeat_candidates", NULL, FQ_MODEL_CUSTOM,
    .read = read_candidates, .write = write_candidates },
  { "suggested_category", NULL, FQ_MODEL_CUSTOM,
    .read = read_suggestion, .write = write_suggestion },
  { "created_by", "created-by", FQ_MODEL_STRING, FALSE, FQ_MAX_ID_CHARS },
  { "rev", "rev", FQ_MODEL_INT, TRUE, 0, 0, G_MAXINT64, FALSE },
};

static void
fq_incident_finalize (GObject *object)
{
  FqIncident *self = (FqIncident *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->caller_name, g_free);
  g_clear_pointer (&self->caller_phone, g_free);
  g_clear_pointer (&self->address, g_free);
  g_clear_pointer (&self->grid, g_free);
  g_clear_pointer (&self->summary, g_free);
  g_clear_pointer (&self->description, g_free);
  g_clear_pointer (&self->category, g_free);
  g_clear_pointer (&self->external_id, g_free);
  g_clear_pointer (&self->ticket, g_free);
  g_clear_pointer (&self->repeat_of, g_free);
  g_clear_pointer (&self->repeat_candidates, g_ptr_array_unref);
  g_clear_pointer (&self->suggested_category, g_free);
  g_clear_pointer (&self->created_by, g_free);

  G_OBJECT_CLASS (fq_incident_parent_class)->finalize (object);
}

static void
fq_incident_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  FqIncident *self = FQ_INCIDENT (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;

    case PROP_SOURCE:
      g_value_set_enum (value, self->source);
      break;

    case PROP_RECEIVED_AT:
      g_value_set_int64 (value, self->received_at);
      break;

    case PROP_CALLER_NAME:
      g_value_set_string (value, self->caller_name);
      break;

    case PROP_CALLER_PHONE:
      g_value_set_string (value, self->caller_phone);
      break;

    case PROP_ADDRESS:
      g_value_set_string (value, self->address);
      break;

    case PROP_GRID:
      g_value_set_string (value, self->grid);
      break;

    case PROP_SUMMARY:
      g_value_set_string (value, self->summary);
      break;

    case PROP_DESCRIPTION:
      g_value_set_string (value, self->description);
      break;

    case PROP_CATEGORY:
      g_value_set_string (value, self->category);
      break;

    case PROP_EXTERNAL_ID:
      g_value_set_string (value, self->external_id);
      break;

    case PROP_STATUS:
      g_value_set_enum (value, self->status);
      break;

    case PROP_DECISION:
      g_value_set_enum (value, self->decision);
      break;

    case PROP_HAS_DECISION:
      g_value_set_boolean (value, self->has_decision);
      break;

    case PROP_TICKET:
      g_value_set_string (value, self->ticket);
      break;

    case PROP_REPEAT_OF:
      g_value_set_string (value, self->repeat_of);
      break;

    case PROP_REPEAT_CANDIDATES:
      g_value_set_boxed (value, self->repeat_candidates);
      break;

    case PROP_SUGGESTED_CATEGORY:
      g_value_set_string (value, self->suggested_category);
      break;

    case PROP_SUGGESTED_CONFIDENCE:
      g_value_set_double (value, self->suggested_confidence);
      break;

    case PROP_CREATED_BY:
      g_value_set_string (value, self->created_by);
      break;

    case PROP_REV:
      g_value_set_int64 (value, self->rev);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_incident_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  FqIncident *self = FQ_INCIDENT (object);

  switch (prop_id)
    {
    case PROP_ID:
      fq_model_set_string (object, &self->id, g_value_get_string (value), pspec);
      break;

    case PROP_SOURCE:
      fq_model_set_int (object, (int *)&self->source, g_value_get_enum (value), pspec);
      break;

    case PROP_RECEIVED_AT:
      fq_model_set_int64 (object, &self->received_at, g_value_get_int64 (value), pspec);
      break;

    case PROP_CALLER_NAME:
      fq_model_set_string (object, &self->caller_name, g_value_get_string (value), pspec);
      break;

    case PROP_CALLER_PHONE:
      fq_model_set_string (object, &self->caller_phone, g_value_get_string (value), pspec);
      break;

    case PROP_ADDRESS:
      fq_model_set_string (object, &self->address, g_value_get_string (value), pspec);
      break;

    case PROP_GRID:
      fq_model_set_string (object, &self->grid, g_value_get_string (value), pspec);
      break;

    case PROP_SUMMARY:
      fq_model_set_string (object, &self->summary, g_value_get_string (value), pspec);
      break;

    case PROP_DESCRIPTION:
      fq_model_set_string (object, &self->description, g_value_get_string (value), pspec);
      break;

    case PROP_CATEGORY:
      fq_model_set_string (object, &self->category, g_value_get_string (value), pspec);
      break;

    case PROP_EXTERNAL_ID:
      fq_model_set_string (object, &self->external_id, g_value_get_string (value), pspec);
      break;

    case PROP_STATUS:
      fq_model_set_int (object, (int *)&self->status, g_value_get_enum (value), pspec);
      break;

    case PROP_DECISION:
      fq_model_set_int (object, (int *)&self->decision, g_value_get_enum (value), pspec);
      break;

    case PROP_HAS_DECISION:
      fq_model_set_boolean (object, &self->has_decision, g_value_get_boolean (value), pspec);
      break;

    case PROP_TICKET:
      fq_model_set_string (object, &self->ticket, g_value_get_string (value), pspec);
      break;

    case PROP_REPEAT_OF:
      fq_model_set_string (object, &self->repeat_of, g_value_get_string (value), pspec);
      break;

    case PROP_REPEAT_CANDIDATES:
      set_candidates (self, g_value_get_boxed (value), pspec);
      break;

    case PROP_SUGGESTED_CATEGORY:
      fq_model_set_string (object, &self->suggested_category, g_value_get_string (value), pspec);
      break;

    case PROP_SUGGESTED_CONFIDENCE:
      fq_model_set_double (object, &self->suggested_confidence, g_value_get_double (value), pspec);
      break;

    case PROP_CREATED_BY:
      fq_model_set_string (object, &self->created_by, g_value_get_string (value), pspec);
      break;

    case PROP_REV:
      fq_model_set_int64 (object, &self->rev, g_value_get_int64 (value), pspec);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_incident_class_init (FqIncidentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fq_incident_finalize;
  object_class->get_property = fq_incident_get_property;
  object_class->set_property = fq_incident_set_property;

  /**
   * FqIncident:id:
   *
   * The incident's identifier.
   */
  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqIncident:source:
   *
   * Where it came from.
   */
  properties[PROP_SOURCE] =
    g_param_spec_enum ("source", NULL, NULL,
                       FQ_TYPE_SOURCE, FQ_SOURCE_110,
                       FQ_MODEL_PARAM_FLAGS);

  /**
   * FqIncident:received-at:
   *
   * When it was received.
   */
  properties[PROP_RECEIVED_AT] =
    g_param_spec_int64 ("received-at", NULL, NULL,
                        G_MININT64, G_MAXINT64, 0,
                        FQ_MODEL_PARAM_FLAGS);

  /**
   * FqIncident:caller-name:
   *
   * The caller's name, or %NULL.
   */
  properties[PROP_CALLER_NAME] =
    g_param_spec_string ("caller-name", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqIncident:caller-phone:
   *
   * The caller's phone number, or %NULL.
   */
  properties[PROP_CALLER_PHONE] =
    g_param_spec_string ("caller-phone", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqIncident:address:
   *
   * The address as given, or %NULL.
   */
  properties[PROP_ADDRESS] =
    g_param_spec_string ("address", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqIncident:grid:
   *
   * The grid code of the place.
   */
  properties[PROP_GRID] =
    g_param_spec_string ("grid", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqIncident:summary:
   *
   * A one-line summary.
   */
  properties[PROP_SUMMARY] =
    g_param_spec_string ("summary", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqIncident:description:
   *
   * The full description, or %NULL.
   */
  properties[PROP_DESCRIPTION] =
    g_param_spec_string ("description", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqIncident:category:
   *
   * The category code, or %NULL before triage.
   */
  properties[PROP_CATEGORY] =
    g_param_spec_string ("category", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqIncident:external-id:
   *
   * The identifier in the system it came from, or %NULL.
   */
  properties[PROP_EXTERNAL_ID] =
    g_param_spec_string ("external-id", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqIncident:status:
   *
   * Whether it was triaged.
   */
  properties[PROP_STATUS] =
    g_param_spec_enum ("status", NULL, NULL,
                       FQ_TYPE_INCIDENT_STATUS, FQ_INCIDENT_STATUS_NEW,
                       FQ_MODEL_PARAM_FLAGS);

  /**
   * FqIncident:decision:
   *
   * The triage decision; meaningful only when FqIncident:has-decision is
   * %TRUE.
   */
  properties[PROP_DECISION] =
    g_param_spec_enum ("decision", NULL, NULL,
                       FQ_TYPE_DECISION, FQ_DECISION_POLICE,
                       FQ_MODEL_PARAM_FLAGS);

  /**
   * FqIncident:has-decision:
   *
   * Whether a decision was recorded (the API writes null otherwise).
   */
  properties[PROP_HAS_DECISION] =
    g_param_spec_boolean ("has-decision", NULL, NULL,
                          FALSE,
                          FQ_MODEL_PARAM_FLAGS);

  /**
   * FqIncident:ticket:
   *
   * The id of its ticket, or %NULL.
   */
  properties[PROP_TICKET] =
    g_param_spec_string ("ticket", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqIncident:repeat-of:
   *
   * The id of the first incident of the chain it repeats, or %NULL.
   */
  properties[PROP_REPEAT_OF] =
    g_param_spec_string ("repeat-of", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqIncident:repeat-candidates:
   *
   * Earlier incidents that may be the same matter, best first.
   */
  properties[PROP_REPEAT_CANDIDATES] =
    g_param_spec_boxed ("repeat-candidates", NULL, NULL,
                        G_TYPE_PTR_ARRAY,
                        FQ_MODEL_PARAM_FLAGS);

  /**
   * FqIncident:suggested-category:
   *
   * The category the triage hint suggests, or %NULL.
   */
  properties[PROP_SUGGESTED_CATEGORY] =
    g_param_spec_string ("suggested-category", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqIncident:suggested-confidence:
   *
   * The confidence of the suggestion, from 0 to 1.
   */
  properties[PROP_SUGGESTED_CONFIDENCE] =
    g_param_spec_double ("suggested-confidence", NULL, NULL,
                         0.0, 1.0, 0.0,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqIncident:created-by:
   *
   * The username of who entered it, or %NULL for the system.
   */
  properties[PROP_CREATED_BY] =
    g_param_spec_string ("created-by", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqIncident:rev:
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
fq_incident_init (FqIncident *self)
{
  self->repeat_candidates = new_candidates ();
}

/**
 * fq_incident_new_from_json:
 * @object: a incident object as the API writes it
 * @error: return location for an error
 *
 * Every member is checked strictly (see fq-json.h); members the type does
 * not know are ignored.
 *
 * Returns: (transfer full) (nullable): the incident, or %NULL with @error set
 */
FqIncident *
fq_incident_new_from_json (JsonObject  *object,
                           GError     **error)
{
  g_autoptr(FqIncident) self = NULL;

  g_return_val_if_fail (object != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (FQ_TYPE_INCIDENT, NULL);
  if (!fq_model_read_fields (G_OBJECT (self), fields, G_N_ELEMENTS (fields), object, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * fq_incident_to_json:
 * @self: a #FqIncident
 *
 * Returns: (transfer full): @self as the API's incident object
 */
JsonNode *
fq_incident_to_json (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), NULL);

  return fq_model_write_fields (G_OBJECT (self), fields, G_N_ELEMENTS (fields));
}

/**
 * fq_incident_update_from_json:
 * @self: a #FqIncident
 * @object: the same incident (same `id`) as the API now writes it
 * @changed: (out) (optional): whether any property changed
 * @error: return location for an error
 *
 * Updates @self in place, notifying exactly the properties that changed, so
 * that a list row showing it redraws only what it must. @object is checked
 * as strictly as by fq_incident_new_from_json(); if it is refused, or names
 * another incident, @self is left as it was.
 *
 * Returns: %FALSE with @error set if @object was refused
 */
gboolean
fq_incident_update_from_json (FqIncident    *self,
                              JsonObject  *object,
                              gboolean    *changed,
                              GError     **error)
{
  g_autoptr(FqIncident) from = NULL;

  g_return_val_if_fail (FQ_IS_INCIDENT (self), FALSE);
  g_return_val_if_fail (object != NULL, FALSE);

  if (changed != NULL)
    *changed = FALSE;

  if (!(from = fq_incident_new_from_json (object, error)))
    return FALSE;

  return fq_model_update_checked (G_OBJECT (self), G_OBJECT (from), "id", changed, error);
}

/**
 * fq_incident_get_id:
 * @self: a #FqIncident
 *
 * Returns: (transfer none): The incident's identifier.
 */
const char *
fq_incident_get_id (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), NULL);

  return self->id;
}

/**
 * fq_incident_get_source:
 * @self: a #FqIncident
 *
 * Returns: Where it came from.
 */
FqSource
fq_incident_get_source (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), 0);

  return self->source;
}

/**
 * fq_incident_get_received_at:
 * @self: a #FqIncident
 *
 * Returns: When it was received.
 */
gint64
fq_incident_get_received_at (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), 0);

  return self->received_at;
}

/**
 * fq_incident_get_caller_name:
 * @self: a #FqIncident
 *
 * Returns: (transfer none) (nullable): The caller's name, or %NULL.
 */
const char *
fq_incident_get_caller_name (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), NULL);

  return self->caller_name;
}

/**
 * fq_incident_get_caller_phone:
 * @self: a #FqIncident
 *
 * Returns: (transfer none) (nullable): The caller's phone number, or %NULL.
 */
const char *
fq_incident_get_caller_phone (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), NULL);

  return self->caller_phone;
}

/**
 * fq_incident_get_address:
 * @self: a #FqIncident
 *
 * Returns: (transfer none) (nullable): The address as given, or %NULL.
 */
const char *
fq_incident_get_address (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), NULL);

  return self->address;
}

/**
 * fq_incident_get_grid:
 * @self: a #FqIncident
 *
 * Returns: (transfer none): The grid code of the place.
 */
const char *
fq_incident_get_grid (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), NULL);

  return self->grid;
}

/**
 * fq_incident_get_summary:
 * @self: a #FqIncident
 *
 * Returns: (transfer none): A one-line summary.
 */
const char *
fq_incident_get_summary (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), NULL);

  return self->summary;
}

/**
 * fq_incident_get_description:
 * @self: a #FqIncident
 *
 * Returns: (transfer none) (nullable): The full description, or %NULL.
 */
const char *
fq_incident_get_description (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), NULL);

  return self->description;
}

/**
 * fq_incident_get_category:
 * @self: a #FqIncident
 *
 * Returns: (transfer none) (nullable): The category code, or %NULL before
 *    triage.
 */
const char *
fq_incident_get_category (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), NULL);

  return self->category;
}

/**
 * fq_incident_get_external_id:
 * @self: a #FqIncident
 *
 * Returns: (transfer none) (nullable): The identifier in the system it came
 *    from, or %NULL.
 */
const char *
fq_incident_get_external_id (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), NULL);

  return self->external_id;
}

/**
 * fq_incident_get_status:
 * @self: a #FqIncident
 *
 * Returns: Whether it was triaged.
 */
FqIncidentStatus
fq_incident_get_status (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), 0);

  return self->status;
}

/**
 * fq_incident_get_decision:
 * @self: a #FqIncident
 *
 * Returns: The triage decision; meaningful only when FqIncident:has-decision
 *    is %TRUE.
 */
FqDecision
fq_incident_get_decision (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), 0);

  return self->decision;
}

/**
 * fq_incident_get_has_decision:
 * @self: a #FqIncident
 *
 * Returns: Whether a decision was recorded (the API writes null otherwise).
 */
gboolean
fq_incident_get_has_decision (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), FALSE);

  return self->has_decision;
}

/**
 * fq_incident_get_ticket:
 * @self: a #FqIncident
 *
 * Returns: (transfer none) (nullable): The id of its ticket, or %NULL.
 */
const char *
fq_incident_get_ticket (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), NULL);

  return self->ticket;
}

/**
 * fq_incident_get_repeat_of:
 * @self: a #FqIncident
 *
 * Returns: (transfer none) (nullable): The id of the first incident of the
 *    chain it repeats, or %NULL.
 */
const char *
fq_incident_get_repeat_of (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), NULL);

  return self->repeat_of;
}

/**
 * fq_incident_get_repeat_candidates:
 * @self: a #FqIncident
 *
 * Returns: (transfer none) (element-type FqRepeatCandidate): Earlier
 *    incidents that may be the same matter, best first.
 */
GPtrArray *
fq_incident_get_repeat_candidates (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), NULL);

  return self->repeat_candidates;
}

/**
 * fq_incident_get_suggested_category:
 * @self: a #FqIncident
 *
 * Returns: (transfer none) (nullable): The category the triage hint
 *    suggests, or %NULL.
 */
const char *
fq_incident_get_suggested_category (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), NULL);

  return self->suggested_category;
}

/**
 * fq_incident_get_suggested_confidence:
 * @self: a #FqIncident
 *
 * Returns: The confidence of the suggestion, from 0 to 1.
 */
double
fq_incident_get_suggested_confidence (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), 0.0);

  return self->suggested_confidence;
}

/**
 * fq_incident_get_created_by:
 * @self: a #FqIncident
 *
 * Returns: (transfer none) (nullable): The username of who entered it, or
 *    %NULL for the system.
 */
const char *
fq_incident_get_created_by (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), NULL);

  return self->created_by;
}

/**
 * fq_incident_get_rev:
 * @self: a #FqIncident
 *
 * Returns: The revision, which grows with each change.
 */
gint64
fq_incident_get_rev (FqIncident *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT (self), 0);

  return self->rev;
}

/**
 * fq_repeat_candidate_new:
 * @incident: the earlier incident's id
 * @ticket: (nullable): its ticket's id
 * @score: the match score
 *
 * Returns: (transfer full): a new candidate
 */
FqRepeatCandidate *
fq_repeat_candidate_new (const char *incident,
                         const char *ticket,
                         double      score)
{
  FqRepeatCandidate *candidate = g_new0 (FqRepeatCandidate, 1);

  candidate->incident = g_strdup (incident);
  candidate->ticket = g_strdup (ticket);
  candidate->score = score;

  return candidate;
}

/**
 * fq_repeat_candidate_copy:
 * @candidate: a candidate
 *
 * Returns: (transfer full): a copy of @candidate
 */
FqRepeatCandidate *
fq_repeat_candidate_copy (const FqRepeatCandidate *candidate)
{
  g_return_val_if_fail (candidate != NULL, NULL);

  return fq_repeat_candidate_new (candidate->incident, candidate->ticket, candidate->score);
}

/**
 * fq_repeat_candidate_free:
 * @candidate: (nullable): a candidate
 */
void
fq_repeat_candidate_free (FqRepeatCandidate *candidate)
{
  if (candidate == NULL)
    return;

  g_free (candidate->incident);
  g_free (candidate->ticket);
  g_free (candidate);
}
