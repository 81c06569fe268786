/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * libFuzzer target: the core's JSON codec. Each input goes through
 * fq_json_parse_object(); a parsed object is then read with every strict
 * getter of fq-json.h (for each of its members, and for members it lacks)
 * and with each model type's fq_X_new_from_json(). A model object that was
 * read must write JSON that reads back to the same object: that round trip
 * is what the console relies on when it stores a record and shows it later.
 */

#define G_LOG_DOMAIN "Fengqiao-Fuzz"

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fq-core.h"

#include "fq-fuzz-common.h"

/* Member names every model type reads, so that objects without them still
 * exercise the "missing" branches. */
static const char * const fixed_members[] = {
  "id", "code", "name", "rev", "at", "received_at", "deadline", "state",
  "source", "level", "tier", "incidents", "data", "score", "overdue",
};

/* Every enum of fq-enums.h, filled in at start. */
static GType enum_types[11];

typedef JsonNode *(*ToJsonFunc) (gpointer object);
typedef gpointer (*FromJsonFunc) (JsonObject *object,
                                  GError    **error);

static void
read_strict (JsonObject *object,
             guint       depth);

static void
read_member (JsonObject *object,
             const char *member,
             guint       depth)
{
  for (guint required = 0; required < 2; required++)
    {
      g_autofree char *string = NULL;
      g_autofree char *short_string = NULL;
      g_auto(GStrv) strv = NULL;
      g_auto(GStrv) short_strv = NULL;
      gint64 int_value = 0;
      gint64 time_value = 0;
      double double_value = 0;
      gboolean bool_value = FALSE;
      gboolean present = FALSE;
      JsonObject *child_object = NULL;
      JsonArray *child_array = NULL;
      int enum_value = 0;

      if (FQ_FUZZ_CALL (fq_json_get_string (object, member, required, 0, &string, FQ_FUZZ_ERR)) &&
          string != NULL)
        {
          gint64 t = 0;

          g_assert (g_utf8_validate (string, -1, NULL));
          if (fq_time_parse (string, &t))
            {
              g_autofree char *again = fq_time_format (t);
              gint64 t2 = 0;

              /* Whatever offset it was written with, the UTC form of the
               * same moment must parse to the same second. */
              g_assert_nonnull (again);
              g_assert_true (fq_time_parse (again, &t2));
              g_assert_cmpint (t, ==, t2);
            }
        }
      if (FQ_FUZZ_CALL (fq_json_get_string (object, member, required, 8, &short_string,
                                            FQ_FUZZ_ERR)) &&
          short_string != NULL)
        g_assert_cmpint (g_utf8_strlen (short_string, -1), <=, 8);

      if (FQ_FUZZ_CALL (fq_json_get_int (object, member, required, G_MININT64, G_MAXINT64,
                                         &int_value, &present, FQ_FUZZ_ERR)) &&
          present)
        g_free (fq_time_format (int_value));
      present = FALSE;
      if (FQ_FUZZ_CALL (fq_json_get_int (object, member, required, 1, 5, &int_value, &present,
                                         FQ_FUZZ_ERR)) &&
          present)
        g_assert (int_value >= 1 && int_value <= 5);
      FQ_FUZZ_CALL (fq_json_get_double (object, member, required, -G_MAXDOUBLE, G_MAXDOUBLE,
                                        &double_value, &present, FQ_FUZZ_ERR));
      present = FALSE;
      if (FQ_FUZZ_CALL (fq_json_get_double (object, member, required, 0, 1, &double_value,
                                            &present, FQ_FUZZ_ERR)) &&
          present)
        g_assert (double_value >= 0 && double_value <= 1);
      FQ_FUZZ_CALL (fq_json_get_bool (object, member, required, &bool_value, &present,
                                      FQ_FUZZ_ERR));
      FQ_FUZZ_CALL (fq_json_get_time (object, member, required, &time_value, &present,
                                      FQ_FUZZ_ERR));
      for (guint i = 0; i < G_N_ELEMENTS (enum_types); i++)
        {
          present = FALSE;
          if (FQ_FUZZ_CALL (fq_json_get_enum (object, member, required, enum_types[i],
                                              &enum_value, &present, FQ_FUZZ_ERR)) &&
              present)
            g_assert_nonnull (fq_enum_to_string (enum_types[i], enum_value));
        }
      FQ_FUZZ_CALL (fq_json_get_string_array (object, member, required, 0, 0, &strv,
                                              FQ_FUZZ_ERR));
      if (FQ_FUZZ_CALL (fq_json_get_string_array (object, member, required, 3, 8, &short_strv,
                                                  FQ_FUZZ_ERR)) &&
          short_strv != NULL)
        g_assert_cmpuint (g_strv_length (short_strv), <=, 3);
      if (!FQ_FUZZ_CALL (fq_json_get_array (object, member, required, &child_array,
                                            FQ_FUZZ_ERR)))
        child_array = NULL;
      if (!FQ_FUZZ_CALL (fq_json_get_object (object, member, required, &child_object,
                                             FQ_FUZZ_ERR)))
        child_object = NULL;

      /* Nested objects, and objects inside arrays, are read the same way
       * (the console reads "data" of events and "repeat_candidates"). */
      if (required && child_object != NULL)
        read_strict (child_object, depth + 1);
      if (required && child_array != NULL && depth < 4)
        {
          guint n = MIN (json_array_get_length (child_array), 8);

          for (guint i = 0; i < n; i++)
            {
              JsonNode *element = json_array_get_element (child_array, i);

              if (JSON_NODE_HOLDS_OBJECT (element))
                read_strict (json_node_get_object (element), depth + 1);
            }
        }
    }
}

static void
read_strict (JsonObject *object,
             guint       depth)
{
  g_autoptr(GList) members = NULL;
  guint n = 0;

  if (depth > 4)
    return;

  members = json_object_get_members (object);
  for (GList *l = members; l != NULL && n < 32; l = l->next, n++)
    read_member (object, l->data, depth);

  if (depth == 0)
    for (guint i = 0; i < G_N_ELEMENTS (fixed_members); i++)
      if (!json_object_has_member (object, fixed_members[i]))
        read_member (object, fixed_members[i], depth);
}

/* Reads @object as a model type; if it reads, its JSON must read back to
 * an object that writes the same JSON. */
static void
round_trip (JsonObject   *object,
            FromJsonFunc  from_json,
            ToJsonFunc    to_json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GObject) model = from_json (object, &error);
  g_autoptr(GObject) again = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) node2 = NULL;
  g_autoptr(JsonObject) reparsed = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text2 = NULL;
  gsize length = 0;

  if (model == NULL)
    {
      g_assert_nonnull (error);
      g_assert (error->domain == FQ_ERROR);
      return;
    }
  g_assert_no_error (error);

  node = to_json (model);
  g_assert_nonnull (node);
  text = fq_json_to_string (node, &length);
  reparsed = fq_json_parse_object (text, length, &error);
  if (reparsed == NULL)
    g_error ("The JSON written by %s does not parse: %s\n%s",
             G_OBJECT_TYPE_NAME (model), error->message, text);

  again = from_json (reparsed, &error);
  if (again == NULL)
    g_error ("The JSON written by %s does not read back: %s\n%s",
             G_OBJECT_TYPE_NAME (model), error->message, text);
  node2 = to_json (again);
  text2 = fq_json_to_string (node2, NULL);
  if (strcmp (text, text2) != 0)
    g_error ("%s does not survive a round trip:\n%s\n%s", G_OBJECT_TYPE_NAME (model), text,
             text2);
}

static void
update_in_place (JsonObject *object)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FqIncident) incident = fq_incident_new_from_json (object, NULL);
  g_autoptr(FqTicket) ticket = fq_ticket_new_from_json (object, NULL);
  gboolean changed = TRUE;

  /* Updating an object from the JSON it was read from changes nothing. */
  if (incident != NULL)
    {
      g_assert_true (fq_incident_update_from_json (incident, object, &changed, &error));
      g_assert_no_error (error);
      g_assert_false (changed);
    }
  changed = TRUE;
  if (ticket != NULL)
    {
      g_assert_true (fq_ticket_update_from_json (ticket, object, &changed, &error));
      g_assert_no_error (error);
      g_assert_false (changed);
    }
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  GType types[] = {
    FQ_TYPE_GRID_LEVEL, FQ_TYPE_ROLE, FQ_TYPE_SOURCE, FQ_TYPE_INCIDENT_STATUS,
    FQ_TYPE_DECISION, FQ_TYPE_TIER, FQ_TYPE_TICKET_STATE, FQ_TYPE_TICKET_ACTION,
    FQ_TYPE_RETURN_REASON, FQ_TYPE_EVENT_KIND, FQ_TYPE_UNIT_KIND,
  };

  G_STATIC_ASSERT (G_N_ELEMENTS (types) == G_N_ELEMENTS (enum_types));
  fq_fuzz_init ();
  memcpy (enum_types, types, sizeof enum_types);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = NULL;

  if (size > FQ_JSON_MAX_BODY)
    return -1;

  object = fq_json_parse_object ((const char *)data, size, &error);
  if (object == NULL)
    {
      /* A refusal is an FQ_ERROR with a message, never a crash. */
      g_assert_nonnull (error);
      g_assert (error->domain == FQ_ERROR);
      g_assert (error->code == FQ_ERROR_BAD_JSON || error->code == FQ_ERROR_INVALID_FIELD);
      g_assert_nonnull (error->message);
      g_free (fq_error_get_field (error));
      return 0;
    }
  g_assert_no_error (error);

  read_strict (object, 0);

  round_trip (object, (FromJsonFunc)fq_incident_new_from_json, (ToJsonFunc)fq_incident_to_json);
  round_trip (object, (FromJsonFunc)fq_ticket_new_from_json, (ToJsonFunc)fq_ticket_to_json);
  round_trip (object, (FromJsonFunc)fq_timeline_event_new_from_json,
              (ToJsonFunc)fq_timeline_event_to_json);
  round_trip (object, (FromJsonFunc)fq_grid_node_new_from_json, (ToJsonFunc)fq_grid_node_to_json);
  round_trip (object, (FromJsonFunc)fq_category_new_from_json, (ToJsonFunc)fq_category_to_json);
  round_trip (object, (FromJsonFunc)fq_unit_new_from_json, (ToJsonFunc)fq_unit_to_json);
  update_in_place (object);

  /* The data of a change object is an object of one of these types too. */
  {
    JsonObject *inner = NULL;

    if (fq_json_get_object (object, "data", FALSE, &inner, NULL) && inner != NULL)
      {
        round_trip (inner, (FromJsonFunc)fq_incident_new_from_json,
                    (ToJsonFunc)fq_incident_to_json);
        round_trip (inner, (FromJsonFunc)fq_ticket_new_from_json, (ToJsonFunc)fq_ticket_to_json);
      }
  }

  return 0;
}
