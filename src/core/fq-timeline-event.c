/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao"

#include "config.h"

#include "fq-enum-types.h"
#include "fq-json.h"
#include "fq-model-codec.h"
#include "fq-timeline-event.h"

struct _FqTimelineEvent
{
  GObject      parent_instance;

  char        *id;
  char        *ticket;
  gint64       at;
  FqEventKind  kind;
  char        *actor;
  char        *actor_name;
  char        *unit;
  char        *note;
  JsonNode    *data;
};

enum
{
  PROP_0,
  PROP_ID,
  PROP_TICKET,
  PROP_AT,
  PROP_KIND,
  PROP_ACTOR,
  PROP_ACTOR_NAME,
  PROP_UNIT,
  PROP_NOTE,
  PROP_DATA,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FqTimelineEvent, fq_timeline_event, G_TYPE_OBJECT)

static gboolean
read_data (GObject     *object,
           JsonObject  *json,
           GError     **error)
{
  JsonObject *data;

  if (!fq_json_get_object (json, "data", FALSE, &data, error))
    return FALSE;

  g_object_set (object, "data", data != NULL ? json_object_get_member (json, "data") : NULL, NULL);
  return TRUE;
}

static void
write_data (GObject     *object,
            JsonBuilder *builder)
{
  FqTimelineEvent *self = FQ_TIMELINE_EVENT (object);

  json_builder_set_member_name (builder, "data");
  if (self->data != NULL)
    json_builder_add_value (builder, json_node_copy (self->data));
  else
    json_builder_add_null_value (builder);
}

/* The JSON object of API.md, member by member. */
static const FqModelField fields[] = {
  { "id", "id", FQ_MODEL_STRING, TRUE, FQ_MAX_ID_CHARS },
  { "ticket", "ticket", FQ_MODEL_STRING, TRUE, FQ_MAX_ID_CHARS },
  { "at", "at", FQ_MODEL_TIME, TRUE },
  { "kind", "kind", FQ_MODEL_ENUM, TRUE },
  { "actor", "actor", FQ_MODEL_STRING, FALSE, FQ_MAX_ID_CHARS },
  { "actor_name", "actor-name", FQ_MODEL_STRING, FALSE, FQ_MAX_NAME_CHARS },
  { "unit", "unit", FQ_MODEL_STRING, FALSE, FQ_MAX_ID_CHARS },
  { "note", "note", FQ_MODEL_STRING, FALSE, FQ_MAX_TEXT_CHARS },
  { "data", NULL, FQ_MODEL_CUSTOM, .read = read_data, .write = write_data },
};

static void
fq_timeline_event_finalize (GObject *object)
{
  FqTimelineEvent *self = (FqTimelineEvent *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->ticket, g_free);
  g_clear_pointer (&self->actor, g_free);
  g_clear_pointer (&self->actor_name, g_free);
  g_clear_pointer (&self->unit, g_free);
  g_clear_pointer (&self->note, g_free);
  g_clear_pointer (&self->data, json_node_unref);

  G_OBJECT_CLASS (fq_timeline_event_parent_class)->finalize (object);
}

static void
fq_timeline_event_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  FqTimelineEvent *self = FQ_TIMELINE_EVENT (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;

    case PROP_TICKET:
      g_value_set_string (value, self->ticket);
      break;

    case PROP_AT:
      g_value_set_int64 (value, self->at);
      break;

    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;

    case PROP_ACTOR:
      g_value_set_string (value, self->actor);
      break;

    case PROP_ACTOR_NAME:
      g_value_set_string (value, self->actor_name);
      break;

    case PROP_UNIT:
      g_value_set_string (value, self->unit);
      break;

    case PROP_NOTE:
      g_value_set_string (value, self->note);
      break;

    case PROP_DATA:
      g_value_set_boxed (value, self->data);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_timeline_event_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  FqTimelineEvent *self = FQ_TIMELINE_EVENT (object);

  switch (prop_id)
    {
    case PROP_ID:
      fq_model_set_string (object, &self->id, g_value_get_string (value), pspec);
      break;

    case PROP_TICKET:
      fq_model_set_string (object, &self->ticket, g_value_get_string (value), pspec);
      break;

    case PROP_AT:
      fq_model_set_int64 (object, &self->at, g_value_get_int64 (value), pspec);
      break;

    case PROP_KIND:
      fq_model_set_int (object, (int *)&self->kind, g_value_get_enum (value), pspec);
      break;

    case PROP_ACTOR:
      fq_model_set_string (object, &self->actor, g_value_get_string (value), pspec);
      break;

    case PROP_ACTOR_NAME:
      fq_model_set_string (object, &self->actor_name, g_value_get_string (value), pspec);
      break;

    case PROP_UNIT:
      fq_model_set_string (object, &self->unit, g_value_get_string (value), pspec);
      break;

    case PROP_NOTE:
      fq_model_set_string (object, &self->note, g_value_get_string (value), pspec);
      break;

    case PROP_DATA:
      fq_model_set_json (object, &self->data, g_value_get_boxed (value), pspec);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_timeline_event_class_init (FqTimelineEventClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fq_timeline_event_finalize;
  object_class->get_property = fq_timeline_event_get_property;
  object_class->set_property = fq_timeline_event_set_property;

  /**
   * FqTimelineEvent:id:
   *
   * The event's identifier.
   */
  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTimelineEvent:ticket:
   *
   * The id of its ticket.
   */
  properties[PROP_TICKET] =
    g_param_spec_string ("ticket", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTimelineEvent:at:
   *
   * When it happened.
   */
  properties[PROP_AT] =
    g_param_spec_int64 ("at", NULL, NULL,
                        G_MININT64, G_MAXINT64, 0,
                        FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTimelineEvent:kind:
   *
   * What happened.
   */
  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL,
                       FQ_TYPE_EVENT_KIND, FQ_EVENT_KIND_DISPATCHED,
                       FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTimelineEvent:actor:
   *
   * The username of who did it, %NULL for the system.
   */
  properties[PROP_ACTOR] =
    g_param_spec_string ("actor", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTimelineEvent:actor-name:
   *
   * The name the actor went by when the event was written (their display
   * name), or %NULL: for the system, and for events written before the
   * server kept it.
   */
  properties[PROP_ACTOR_NAME] =
    g_param_spec_string ("actor-name", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTimelineEvent:unit:
   *
   * The id of the unit concerned, or %NULL.
   */
  properties[PROP_UNIT] =
    g_param_spec_string ("unit", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTimelineEvent:note:
   *
   * The note, or %NULL.
   */
  properties[PROP_NOTE] =
    g_param_spec_string ("note", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqTimelineEvent:data:
   *
   * Details that depend on the kind (a JSON object, sealed), or %NULL.
   */
  properties[PROP_DATA] =
    g_param_spec_boxed ("data", NULL, NULL,
                        JSON_TYPE_NODE,
                        FQ_MODEL_PARAM_FLAGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fq_timeline_event_init (FqTimelineEvent *self)
{
}

/**
 * fq_timeline_event_new_from_json:
 * @object: a timeline event object as the API writes it
 * @error: return location for an error
 *
 * Every member is checked strictly (see fq-json.h); members the type does
 * not know are ignored.
 *
 * Returns: (transfer full) (nullable): the timeline event, or %NULL with @error set
 */
FqTimelineEvent *
fq_timeline_event_new_from_json (JsonObject  *object,
                                 GError     **error)
{
  g_autoptr(FqTimelineEvent) self = NULL;

  g_return_val_if_fail (object != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (FQ_TYPE_TIMELINE_EVENT, NULL);
  if (!fq_model_read_fields (G_OBJECT (self), fields, G_N_ELEMENTS (fields), object, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * fq_timeline_event_to_json:
 * @self: a #FqTimelineEvent
 *
 * Returns: (transfer full): @self as the API's timeline event object
 */
JsonNode *
fq_timeline_event_to_json (FqTimelineEvent *self)
{
  g_return_val_if_fail (FQ_IS_TIMELINE_EVENT (self), NULL);

  return fq_model_write_fields (G_OBJECT (self), fields, G_N_ELEMENTS (fields));
}

/**
 * fq_timeline_event_get_id:
 * @self: a #FqTimelineEvent
 *
 * Returns: (transfer none): The event's identifier.
 */
const char *
fq_timeline_event_get_id (FqTimelineEvent *self)
{
  g_return_val_if_fail (FQ_IS_TIMELINE_EVENT (self), NULL);

  return self->id;
}

/**
 * fq_timeline_event_get_ticket:
 * @self: a #FqTimelineEvent
 *
 * Returns: (transfer none): The id of its ticket.
 */
const char *
fq_timeline_event_get_ticket (FqTimelineEvent *self)
{
  g_return_val_if_fail (FQ_IS_TIMELINE_EVENT (self), NULL);

  return self->ticket;
}

/**
 * fq_timeline_event_get_at:
 * @self: a #FqTimelineEvent
 *
 * Returns: When it happened.
 */
gint64
fq_timeline_event_get_at (FqTimelineEvent *self)
{
  g_return_val_if_fail (FQ_IS_TIMELINE_EVENT (self), 0);

  return self->at;
}

/**
 * fq_timeline_event_get_kind:
 * @self: a #FqTimelineEvent
 *
 * Returns: What happened.
 */
FqEventKind
fq_timeline_event_get_kind (FqTimelineEvent *self)
{
  g_return_val_if_fail (FQ_IS_TIMELINE_EVENT (self), 0);

  return self->kind;
}

/**
 * fq_timeline_event_get_actor:
 * @self: a #FqTimelineEvent
 *
 * Returns: (transfer none) (nullable): The username of who did it, %NULL for
 *    the system.
 */
const char *
fq_timeline_event_get_actor (FqTimelineEvent *self)
{
  g_return_val_if_fail (FQ_IS_TIMELINE_EVENT (self), NULL);

  return self->actor;
}

/**
 * fq_timeline_event_get_actor_name:
 * @self: a #FqTimelineEvent
 *
 * Returns: (transfer none) (nullable): The name the actor went by when the
 *    event was written, or %NULL if the server did not say.
 */
const char *
fq_timeline_event_get_actor_name (FqTimelineEvent *self)
{
  g_return_val_if_fail (FQ_IS_TIMELINE_EVENT (self), NULL);

  return self->actor_name;
}

/**
 * fq_timeline_event_dup_who:
 * @self: a #FqTimelineEvent
 * @unit_name: (nullable): the name of the event's unit, or %NULL
 *
 * Says who acted, for a person to read: "unit · name", where the name is
 * the actor's display name, or their username when the server did not
 * give one.
 *
 * Returns: (transfer full) (nullable): the text, or %NULL if the event
 *    names neither a unit nor an actor.
 */
char *
fq_timeline_event_dup_who (FqTimelineEvent *self,
                           const char      *unit_name)
{
  const char *actor;

  g_return_val_if_fail (FQ_IS_TIMELINE_EVENT (self), NULL);

  actor = self->actor_name != NULL && self->actor_name[0] != '\0' ? self->actor_name : self->actor;
  if (actor != NULL && actor[0] == '\0')
    actor = NULL;
  if (unit_name != NULL && unit_name[0] == '\0')
    unit_name = NULL;
  if (unit_name != NULL && actor != NULL)
    return g_strdup_printf ("%s · %s", unit_name, actor);
  return g_strdup (unit_name != NULL ? unit_name : actor);
}

/**
 * fq_timeline_event_get_unit:
 * @self: a #FqTimelineEvent
 *
 * Returns: (transfer none) (nullable): The id of the unit concerned, or
 *    %NULL.
 */
const char *
fq_timeline_event_get_unit (FqTimelineEvent *self)
{
  g_return_val_if_fail (FQ_IS_TIMELINE_EVENT (self), NULL);

  return self->unit;
}

/**
 * fq_timeline_event_get_note:
 * @self: a #FqTimelineEvent
 *
 * Returns: (transfer none) (nullable): The note, or %NULL.
 */
const char *
fq_timeline_event_get_note (FqTimelineEvent *self)
{
  g_return_val_if_fail (FQ_IS_TIMELINE_EVENT (self), NULL);

  return self->note;
}

/**
 * fq_timeline_event_get_data:
 * @self: a #FqTimelineEvent
 *
 * Returns: (transfer none) (nullable): Details that depend on the kind (a
 *    JSON object, sealed), or %NULL.
 */
JsonNode *
fq_timeline_event_get_data (FqTimelineEvent *self)
{
  g_return_val_if_fail (FQ_IS_TIMELINE_EVENT (self), NULL);

  return self->data;
}
