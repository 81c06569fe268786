/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <string.h>

#include "fq-core.h"

/* Objects as the server writes them: every member present, times in UTC. */
static const char grid_node_json[] =
  "{\"code\":\"420204004011\",\"name\":\"广州路社区\",\"level\":\"community\","
  "\"parent\":\"420204004000\",\"path\":\"黄石市 / 下陆区 / 团城山街道 / 广州路社区\"}";

static const char category_json[] =
  "{\"code\":\"noise_renovation\",\"name\":\"装修噪音\",\"name_en\":\"Renovation noise\","
  "\"group\":\"neighbour\",\"lead_unit_kind\":\"community\",\"police_only\":false,"
  "\"tier\":\"community\",\"deadline_hours\":72}";

static const char unit_json[] =
  "{\"id\":\"U420204004000-so\",\"name\":\"团城山街道办事处\",\"name_en\":\"Tuanchengshan Street Office\","
  "\"kind\":\"street_office\",\"grid\":\"420204004000\"}";

static const char ticket_json[] =
  "{\"id\":\"T1\",\"title\":\"楼上装修噪音扰民\",\"category\":\"noise_renovation\","
  "\"grid\":\"420204004011\",\"tier\":\"street\",\"lead_unit\":\"U1\","
  "\"assisting_units\":[\"U2\",\"U3\"],\"state\":\"accepted\",\"incidents\":[\"I1\",\"I2\"],"
  "\"created_at\":\"2026-11-29T08:00:00Z\",\"dispatched_at\":\"2026-11-29T08:00:00Z\","
  "\"accepted_at\":\"2026-11-29T09:30:00Z\",\"resolved_at\":null,\"closed_at\":null,"
  "\"deadline\":\"2026-12-02T08:00:00Z\",\"overdue\":false,\"satisfaction\":null,"
  "\"returned_count\":1,\"reopened_count\":0,\"repeat_count\":1,\"rev\":7}";

static const char incident_json[] =
  "{\"id\":\"I2\",\"source\":\"12345\",\"received_at\":\"2026-11-29T08:00:00Z\","
  "\"caller_name\":\"王女士\",\"caller_phone\":\"13800138000\",\"address\":\"广州路12号\","
  "\"grid\":\"42020400401101\",\"summary\":\"楼上装修噪音扰民\","
  "\"description\":\"晚上十点后\\n仍在施工\",\"category\":\"noise_renovation\","
  "\"external_id\":\"12345-2026-000123\",\"status\":\"triaged\",\"decision\":\"merge\","
  "\"ticket\":\"T1\",\"repeat_of\":\"I1\","
  "\"repeat_candidates\":[{\"incident\":\"I1\",\"ticket\":\"T1\",\"score\":0.975},"
  "{\"incident\":\"I0\",\"ticket\":null,\"score\":0.5}],"
  "\"suggested_category\":{\"code\":\"noise_renovation\",\"confidence\":0.82},"
  "\"created_by\":\"operator\",\"rev\":3}";

static const char new_incident_json[] =
  "{\"id\":\"I3\",\"source\":\"110\",\"received_at\":\"2026-11-29T08:00:00Z\","
  "\"caller_name\":null,\"caller_phone\":null,\"address\":null,"
  "\"grid\":\"420204004011\",\"summary\":\"邻里纠纷\",\"description\":null,\"category\":null,"
  "\"external_id\":null,\"status\":\"new\",\"decision\":null,\"ticket\":null,\"repeat_of\":null,"
  "\"repeat_candidates\":[],\"suggested_category\":null,\"created_by\":null,\"rev\":1}";

static const char event_json[] =
  "{\"id\":\"E9\",\"ticket\":\"T1\",\"at\":\"2026-11-29T09:30:00Z\",\"kind\":\"returned\","
  "\"actor\":\"unit\",\"actor_name\":\"刘秀英\",\"unit\":\"U1\",\"note\":\"不属于本单位职责\","
  "\"data\":{\"reason\":\"not_responsible\",\"units\":[\"U2\"]}}";

static const char system_event_json[] =
  "{\"id\":\"E10\",\"ticket\":\"T1\",\"at\":\"2026-11-29T10:00:01Z\",\"kind\":\"sla_breached\","
  "\"actor\":null,\"actor_name\":null,\"unit\":null,\"note\":null,\"data\":null}";

typedef GObject *(*NewFromJson) (JsonObject *object,
                                 GError    **error);
typedef JsonNode *(*ToJson) (gpointer self);

typedef struct
{
  const char  *name;
  const char  *json;
  NewFromJson  new_from_json;
  ToJson       to_json;
} ModelType;

static const ModelType model_types[] = {
#define TYPE(name, json, prefix) \
  { name, json, (NewFromJson)prefix##_new_from_json, (ToJson)prefix##_to_json }
  TYPE ("grid-node", grid_node_json, fq_grid_node),
  TYPE ("category", category_json, fq_category),
  TYPE ("unit", unit_json, fq_unit),
  TYPE ("ticket", ticket_json, fq_ticket),
  TYPE ("incident", incident_json, fq_incident),
  TYPE ("new-incident", new_incident_json, fq_incident),
  TYPE ("event", event_json, fq_timeline_event),
  TYPE ("system-event", system_event_json, fq_timeline_event),
#undef TYPE
};

static JsonObject *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonObject *object = fq_json_parse_object (text, strlen (text), &error);

  g_assert_no_error (error);
  return object;
}

/* A mutable copy of @text as an object, to be edited by the test. */
static JsonObject *
parse_mutable (const char *text)
{
  g_autoptr(JsonNode) node = json_from_string (text, NULL);

  g_assert_nonnull (node);
  return json_object_ref (json_node_get_object (node));
}

static char *
object_to_text (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  return json_to_string (node, FALSE);
}

static gpointer
new_from_text (NewFromJson  new_from_json,
               const char  *text)
{
  g_autoptr(JsonObject) object = parse (text);
  g_autoptr(GError) error = NULL;
  GObject *model = new_from_json (object, &error);

  g_assert_no_error (error);
  g_assert_nonnull (model);
  return model;
}

static void
assert_json_equal (JsonNode   *node,
                   const char *text)
{
  g_autoptr(JsonObject) expected_object = parse (text);
  g_autoptr(JsonNode) expected = json_node_init_object (json_node_alloc (), expected_object);

  if (!json_node_equal (node, expected))
    {
      g_autofree char *actual = fq_json_to_string (node, NULL);

      g_error ("JSON differs:\n  expected %s\n  actual   %s", text, actual);
    }
}

static void
test_round_trip (gconstpointer data)
{
  const ModelType *type = data;
  g_autoptr(GObject) model = new_from_text (type->new_from_json, type->json);
  g_autoptr(JsonNode) node = type->to_json (model);
  g_autoptr(GObject) again = NULL;
  g_autoptr(GError) error = NULL;

  assert_json_equal (node, type->json);
  g_assert_true (json_node_is_immutable (node));

  /* And back once more, from what we wrote. */
  again = type->new_from_json (json_node_get_object (node), &error);
  g_assert_no_error (error);
  g_clear_pointer (&node, json_node_unref);
  node = type->to_json (again);
  assert_json_equal (node, type->json);
}

static void
test_getters (void)
{
  {
    g_autoptr(FqGridNode) node = new_from_text ((NewFromJson)fq_grid_node_new_from_json,
                                                grid_node_json);

    g_assert_cmpstr (fq_grid_node_get_code (node), ==, "420204004011");
    g_assert_cmpstr (fq_grid_node_get_name (node), ==, "广州路社区");
    g_assert_cmpint (fq_grid_node_get_level (node), ==, FQ_GRID_LEVEL_COMMUNITY);
    g_assert_cmpstr (fq_grid_node_get_parent (node), ==, "420204004000");
    g_assert_cmpstr (fq_grid_node_get_path (node), ==, "黄石市 / 下陆区 / 团城山街道 / 广州路社区");
  }

  {
    g_autoptr(FqCategory) category = new_from_text ((NewFromJson)fq_category_new_from_json,
                                                    category_json);

    g_assert_cmpstr (fq_category_get_code (category), ==, "noise_renovation");
    g_assert_cmpstr (fq_category_get_name (category), ==, "装修噪音");
    g_assert_cmpstr (fq_category_get_name_en (category), ==, "Renovation noise");
    g_assert_cmpstr (fq_category_get_group (category), ==, "neighbour");
    g_assert_cmpstr (fq_category_get_lead_unit_kind (category), ==, "community");
    g_assert_false (fq_category_get_police_only (category));
    g_assert_cmpint (fq_category_get_tier (category), ==, FQ_TIER_COMMUNITY);
    g_assert_cmpuint (fq_category_get_deadline_hours (category), ==, 72);
  }

  {
    g_autoptr(FqUnit) unit = new_from_text ((NewFromJson)fq_unit_new_from_json, unit_json);

    g_assert_cmpstr (fq_unit_get_id (unit), ==, "U420204004000-so");
    g_assert_cmpstr (fq_unit_get_name (unit), ==, "团城山街道办事处");
    g_assert_cmpstr (fq_unit_get_name_en (unit), ==, "Tuanchengshan Street Office");
    g_assert_cmpint (fq_unit_get_kind (unit), ==, FQ_UNIT_KIND_STREET_OFFICE);
    g_assert_cmpstr (fq_unit_get_grid (unit), ==, "420204004000");
  }

  {
    g_autoptr(FqTicket) ticket = new_from_text ((NewFromJson)fq_ticket_new_from_json, ticket_json);

    g_assert_cmpstr (fq_ticket_get_id (ticket), ==, "T1");
    g_assert_cmpstr (fq_ticket_get_title (ticket), ==, "楼上装修噪音扰民");
    g_assert_cmpstr (fq_ticket_get_category (ticket), ==, "noise_renovation");
    g_assert_cmpstr (fq_ticket_get_grid (ticket), ==, "420204004011");
    g_assert_cmpint (fq_ticket_get_tier (ticket), ==, FQ_TIER_STREET);
    g_assert_cmpstr (fq_ticket_get_lead_unit (ticket), ==, "U1");
    g_assert_cmpstrv (fq_ticket_get_assisting_units (ticket),
                      ((const char * const[]){ "U2", "U3", NULL }));
    g_assert_cmpint (fq_ticket_get_state (ticket), ==, FQ_TICKET_STATE_ACCEPTED);
    g_assert_cmpstrv (fq_ticket_get_incidents (ticket),
                      ((const char * const[]){ "I1", "I2", NULL }));
    g_assert_cmpint (fq_ticket_get_created_at (ticket), ==, 1795939200);
    g_assert_cmpint (fq_ticket_get_dispatched_at (ticket), ==, 1795939200);
    g_assert_cmpint (fq_ticket_get_accepted_at (ticket), ==, 1795939200 + 5400);
    g_assert_cmpint (fq_ticket_get_resolved_at (ticket), ==, 0);
    g_assert_cmpint (fq_ticket_get_closed_at (ticket), ==, 0);
    g_assert_cmpint (fq_ticket_get_deadline (ticket), ==, 1795939200 + 72 * 3600);
    g_assert_false (fq_ticket_get_overdue (ticket));
    g_assert_cmpint (fq_ticket_get_satisfaction (ticket), ==, 0);
    g_assert_cmpuint (fq_ticket_get_returned_count (ticket), ==, 1);
    g_assert_cmpuint (fq_ticket_get_reopened_count (ticket), ==, 0);
    g_assert_cmpuint (fq_ticket_get_repeat_count (ticket), ==, 1);
    g_assert_cmpint (fq_ticket_get_rev (ticket), ==, 7);
  }

  {
    g_autoptr(FqIncident) incident = new_from_text ((NewFromJson)fq_incident_new_from_json,
                                                    incident_json);
    GPtrArray *candidates = fq_incident_get_repeat_candidates (incident);
    const FqRepeatCandidate *c;

    g_assert_cmpstr (fq_incident_get_id (incident), ==, "I2");
    g_assert_cmpint (fq_incident_get_source (incident), ==, FQ_SOURCE_12345);
    g_assert_cmpint (fq_incident_get_received_at (incident), ==, 1795939200);
    g_assert_cmpstr (fq_incident_get_caller_name (incident), ==, "王女士");
    g_assert_cmpstr (fq_incident_get_caller_phone (incident), ==, "13800138000");
    g_assert_cmpstr (fq_incident_get_address (incident), ==, "广州路12号");
    g_assert_cmpstr (fq_incident_get_grid (incident), ==, "42020400401101");
    g_assert_cmpstr (fq_incident_get_summary (incident), ==, "楼上装修噪音扰民");
    g_assert_cmpstr (fq_incident_get_description (incident), ==, "晚上十点后\n仍在施工");
    g_assert_cmpstr (fq_incident_get_category (incident), ==, "noise_renovation");
    g_assert_cmpstr (fq_incident_get_external_id (incident), ==, "12345-2026-000123");
    g_assert_cmpint (fq_incident_get_status (incident), ==, FQ_INCIDENT_STATUS_TRIAGED);
    g_assert_true (fq_incident_get_has_decision (incident));
    g_assert_cmpint (fq_incident_get_decision (incident), ==, FQ_DECISION_MERGE);
    g_assert_cmpstr (fq_incident_get_ticket (incident), ==, "T1");
    g_assert_cmpstr (fq_incident_get_repeat_of (incident), ==, "I1");
    g_assert_cmpstr (fq_incident_get_suggested_category (incident), ==, "noise_renovation");
    g_assert_cmpfloat (fq_incident_get_suggested_confidence (incident), ==, 0.82);
    g_assert_cmpstr (fq_incident_get_created_by (incident), ==, "operator");
    g_assert_cmpint (fq_incident_get_rev (incident), ==, 3);

    g_assert_cmpuint (candidates->len, ==, 2);
    c = g_ptr_array_index (candidates, 0);
    g_assert_cmpstr (c->incident, ==, "I1");
    g_assert_cmpstr (c->ticket, ==, "T1");
    g_assert_cmpfloat (c->score, ==, 0.975);
    c = g_ptr_array_index (candidates, 1);
    g_assert_cmpstr (c->incident, ==, "I0");
    g_assert_null (c->ticket);
  }

  {
    g_autoptr(FqIncident) incident = new_from_text ((NewFromJson)fq_incident_new_from_json,
                                                    new_incident_json);

    g_assert_false (fq_incident_get_has_decision (incident));
    g_assert_null (fq_incident_get_caller_name (incident));
    g_assert_null (fq_incident_get_ticket (incident));
    g_assert_null (fq_incident_get_suggested_category (incident));
    g_assert_cmpuint (fq_incident_get_repeat_candidates (incident)->len, ==, 0);
    g_assert_cmpint (fq_incident_get_status (incident), ==, FQ_INCIDENT_STATUS_NEW);
  }

  {
    g_autoptr(FqTimelineEvent) event = new_from_text ((NewFromJson)fq_timeline_event_new_from_json,
                                                      event_json);
    JsonNode *data = fq_timeline_event_get_data (event);

    g_assert_cmpstr (fq_timeline_event_get_id (event), ==, "E9");
    g_assert_cmpstr (fq_timeline_event_get_ticket (event), ==, "T1");
    g_assert_cmpint (fq_timeline_event_get_at (event), ==, 1795939200 + 5400);
    g_assert_cmpint (fq_timeline_event_get_kind (event), ==, FQ_EVENT_KIND_RETURNED);
    g_assert_cmpstr (fq_timeline_event_get_actor (event), ==, "unit");
    g_assert_cmpstr (fq_timeline_event_get_actor_name (event), ==, "刘秀英");
    g_assert_cmpstr (fq_timeline_event_get_unit (event), ==, "U1");
    g_assert_cmpstr (fq_timeline_event_get_note (event), ==, "不属于本单位职责");
    g_assert_nonnull (data);
    g_assert_true (json_node_is_immutable (data));
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (data), "reason"), ==,
                     "not_responsible");
  }

  {
    g_autoptr(FqTimelineEvent) event = new_from_text ((NewFromJson)fq_timeline_event_new_from_json,
                                                      system_event_json);

    g_assert_null (fq_timeline_event_get_actor (event));
    g_assert_null (fq_timeline_event_get_actor_name (event));
    g_assert_null (fq_timeline_event_get_data (event));
  }
}

static void
test_tolerant (void)
{
  /* Times with an offset are read, and written back in UTC. */
  {
    g_autoptr(JsonObject) object = parse_mutable (ticket_json);
    g_autoptr(FqTicket) ticket = NULL;
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(GError) error = NULL;

    json_object_set_string_member (object, "created_at", "2026-11-29T16:00:00+08:00");
    ticket = fq_ticket_new_from_json (object, &error);
    g_assert_no_error (error);
    g_assert_cmpint (fq_ticket_get_created_at (ticket), ==, 1795939200);
    node = fq_ticket_to_json (ticket);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "created_at"), ==,
                     "2026-11-29T08:00:00Z");
  }

  /* Members the type does not know (the API grows by adding) are ignored,
   * and nullable members may be left out. */
  {
    g_autoptr(JsonObject) object = parse_mutable (grid_node_json);
    g_autoptr(FqGridNode) node = NULL;
    g_autoptr(JsonNode) json = NULL;
    g_autoptr(GError) error = NULL;

    json_object_set_array_member (object, "children", json_array_new ());
    json_object_remove_member (object, "parent");
    node = fq_grid_node_new_from_json (object, &error);
    g_assert_no_error (error);
    g_assert_null (fq_grid_node_get_parent (node));
    json = fq_grid_node_to_json (node);
    g_assert_false (json_object_has_member (json_node_get_object (json), "children"));
    g_assert_true (json_object_get_null_member (json_node_get_object (json), "parent"));
  }

  /* A ticket with no assisting units and no incidents writes []. */
  {
    g_autoptr(JsonObject) object = parse_mutable (ticket_json);
    g_autoptr(FqTicket) ticket = NULL;
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(GError) error = NULL;
    JsonObject *written;

    json_object_remove_member (object, "assisting_units");
    json_object_set_array_member (object, "incidents", json_array_new ());
    ticket = fq_ticket_new_from_json (object, &error);
    g_assert_no_error (error);
    node = fq_ticket_to_json (ticket);
    written = json_node_get_object (node);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (written,
                                                                           "assisting_units")),
                      ==, 0);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (written, "incidents")),
                      ==, 0);
  }
}

/* One way to spoil a valid object, and the field the error must name. */
typedef struct
{
  const char *member;
  const char *value; /* JSON text, or NULL to remove the member */
  const char *field;
} Spoiler;

static void
assert_spoilers_fail (NewFromJson    new_from_json,
                      const char    *json,
                      const Spoiler *spoilers,
                      guint          n_spoilers)
{
  for (guint i = 0; i < n_spoilers; i++)
    {
      g_autoptr(JsonObject) object = parse_mutable (json);
      g_autoptr(GError) error = NULL;
      g_autoptr(GObject) model = NULL;
      g_autofree char *field = NULL;

      if (spoilers[i].value != NULL)
        json_object_set_member (object, spoilers[i].member,
                                json_from_string (spoilers[i].value, NULL));
      else
        json_object_remove_member (object, spoilers[i].member);

      model = new_from_json (object, &error);
      if (model != NULL)
        g_error ("accepted %s = %s", spoilers[i].member, spoilers[i].value);
      g_assert_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD);
      field = fq_error_get_field (error);
      if (g_strcmp0 (field, spoilers[i].field) != 0)
        g_error ("%s = %s: expected field %s, got \"%s\"", spoilers[i].member, spoilers[i].value,
                 spoilers[i].field, error->message);
    }
}

#define SPOIL(new_from_json, json, spoilers) \
  assert_spoilers_fail ((NewFromJson)new_from_json, json, spoilers, G_N_ELEMENTS (spoilers))

static void
test_strict (void)
{
  g_autofree char *long_id = g_strnfill (FQ_MAX_ID_CHARS + 1, 'x');
  g_autofree char *long_id_json = g_strdup_printf ("\"%s\"", long_id);
  g_autofree char *long_summary = g_strnfill (FQ_MAX_SUMMARY_CHARS + 1, 'x');
  g_autofree char *long_summary_json = g_strdup_printf ("\"%s\"", long_summary);
  const Spoiler grid_node_spoilers[] = {
    { "code", NULL, "code" },
    { "code", "\"\"", "code" },
    { "code", "420204004011", "code" },
    { "name", NULL, "name" },
    { "level", "\"village\"", "level" },
    { "level", NULL, "level" },
    { "parent", "5", "parent" },
    { "path", "[\"黄石市\"]", "path" },
  };
  const Spoiler category_spoilers[] = {
    { "code", NULL, "code" },
    { "group", NULL, "group" },
    { "lead_unit_kind", "null", "lead_unit_kind" },
    { "police_only", "\"yes\"", "police_only" },
    { "police_only", "0", "police_only" },
    { "police_only", NULL, "police_only" },
    { "tier", "\"village\"", "tier" },
    { "deadline_hours", "-1", "deadline_hours" },
    { "deadline_hours", "72.5", "deadline_hours" },
    { "deadline_hours", "\"72\"", "deadline_hours" },
    { "deadline_hours", "4294967296", "deadline_hours" },
  };
  const Spoiler unit_spoilers[] = {
    { "id", NULL, "id" },
    { "id", long_id_json, "id" },
    { "kind", "\"army\"", "kind" },
    { "grid", NULL, "grid" },
    { "name_en", "{}", "name_en" },
  };
  const Spoiler ticket_spoilers[] = {
    { "id", NULL, "id" },
    { "id", "1", "id" },
    { "title", "\"\"", "title" },
    { "tier", "\"village\"", "tier" },
    { "state", "\"open\"", "state" },
    { "state", NULL, "state" },
    { "lead_unit", long_id_json, "lead_unit" },
    { "assisting_units", "\"U2\"", "assisting_units" },
    { "assisting_units", "[1]", "assisting_units" },
    { "incidents", "[null]", "incidents" },
    { "created_at", NULL, "created_at" },
    { "created_at", "\"yesterday\"", "created_at" },
    { "created_at", "1795939200", "created_at" },
    { "deadline", "\"2026-12-02\"", "deadline" },
    { "accepted_at", "\"2026-11-29T09:30:00\"", "accepted_at" },
    { "overdue", "\"no\"", "overdue" },
    { "overdue", NULL, "overdue" },
    { "satisfaction", "0", "satisfaction" },
    { "satisfaction", "6", "satisfaction" },
    { "satisfaction", "3.5", "satisfaction" },
    { "satisfaction", "\"5\"", "satisfaction" },
    { "returned_count", "-1", "returned_count" },
    { "repeat_count", NULL, "repeat_count" },
    { "rev", "-1", "rev" },
    { "rev", "\"7\"", "rev" },
    { "rev", "7.0", "rev" },
    { "rev", NULL, "rev" },
  };
  const Spoiler incident_spoilers[] = {
    { "source", "\"phone\"", "source" },
    { "source", "110", "source" },
    { "received_at", NULL, "received_at" },
    { "grid", NULL, "grid" },
    { "summary", NULL, "summary" },
    { "summary", long_summary_json, "summary" },
    { "caller_phone", "\"138\\u0007\"", "caller_phone" },
    { "caller_phone", "\"138\\r\\n\"", "caller_phone" },
    { "status", "\"closed\"", "status" },
    { "decision", "\"transfer\"", "decision" },
    { "decision", "true", "decision" },
    { "repeat_candidates", "\"I1\"", "repeat_candidates" },
    { "repeat_candidates", "[5]", "repeat_candidates" },
    { "repeat_candidates", "[{\"ticket\":\"T1\",\"score\":0.5}]", "repeat_candidates" },
    { "repeat_candidates", "[{\"incident\":\"I1\",\"score\":1.5}]", "repeat_candidates" },
    { "repeat_candidates", "[{\"incident\":\"I1\",\"score\":\"high\"}]", "repeat_candidates" },
    { "repeat_candidates", "[{\"incident\":\"I1\",\"ticket\":5,\"score\":0.5}]",
      "repeat_candidates" },
    { "suggested_category", "\"noise\"", "suggested_category" },
    { "suggested_category", "{\"code\":\"noise\"}", "suggested_category" },
    { "suggested_category", "{\"confidence\":0.5}", "suggested_category" },
    { "suggested_category", "{\"code\":\"noise\",\"confidence\":2}", "suggested_category" },
    { "rev", NULL, "rev" },
  };
  const Spoiler event_spoilers[] = {
    { "id", NULL, "id" },
    { "ticket", NULL, "ticket" },
    { "at", NULL, "at" },
    { "kind", "\"unknown\"", "kind" },
    { "kind", NULL, "kind" },
    { "actor", "[]", "actor" },
    { "data", "[1]", "data" },
    { "data", "\"x\"", "data" },
    { "data", "1", "data" },
  };

  SPOIL (fq_grid_node_new_from_json, grid_node_json, grid_node_spoilers);
  SPOIL (fq_category_new_from_json, category_json, category_spoilers);
  SPOIL (fq_unit_new_from_json, unit_json, unit_spoilers);
  SPOIL (fq_ticket_new_from_json, ticket_json, ticket_spoilers);
  SPOIL (fq_incident_new_from_json, incident_json, incident_spoilers);
  SPOIL (fq_timeline_event_new_from_json, event_json, event_spoilers);

  /* The message of a nested error says where inside the member. */
  {
    g_autoptr(JsonObject) object = parse_mutable (incident_json);
    g_autoptr(GError) error = NULL;
    g_autoptr(FqIncident) incident = NULL;

    json_object_set_member (object, "repeat_candidates",
                            json_from_string ("[{\"incident\":\"I1\",\"score\":0.5},"
                                              "{\"score\":0.5}]", NULL));
    incident = fq_incident_new_from_json (object, &error);
    g_assert_null (incident);
    g_assert_cmpstr (error->message, ==, "repeat_candidates: item 2: incident: is required");
  }
}

typedef struct
{
  GPtrArray *names;
} NotifyLog;

static void
log_notify_cb (GObject    *object,
               GParamSpec *pspec,
               NotifyLog  *log)
{
  g_ptr_array_add (log->names, g_strdup (pspec->name));
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *)a, *(const char * const *)b);
}

static char *
joined_names (NotifyLog *log)
{
  g_ptr_array_sort (log->names, compare_names);
  g_ptr_array_add (log->names, NULL);
  {
    char *joined = g_strjoinv (" ", (char **)log->names->pdata);

    g_ptr_array_set_size (log->names, log->names->len - 1);
    return joined;
  }
}

/* Updates @model from @json (with @member set to @value unless NULL) and
 * asserts what changed. */
static void
assert_update (GObject    *model,
               const char *json,
               const char *member,
               const char *value,
               const char *expected_notified)
{
  g_autoptr(JsonObject) object = parse_mutable (json);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *notified = NULL;
  NotifyLog log = { names };
  gboolean changed = -1;
  gboolean ok;
  gulong handler;

  if (member != NULL)
    json_object_set_member (object, member, json_from_string (value, NULL));

  handler = g_signal_connect (model, "notify", G_CALLBACK (log_notify_cb), &log);
  if (FQ_IS_TICKET (model))
    ok = fq_ticket_update_from_json (FQ_TICKET (model), object, &changed, &error);
  else
    ok = fq_incident_update_from_json (FQ_INCIDENT (model), object, &changed, &error);
  g_signal_handler_disconnect (model, handler);

  g_assert_no_error (error);
  g_assert_true (ok);
  notified = joined_names (&log);
  g_assert_cmpstr (notified, ==, expected_notified);
  g_assert_cmpint (changed, ==, expected_notified[0] != '\0');
}

static void
test_update_ticket (void)
{
  g_autoptr(FqTicket) ticket = new_from_text ((NewFromJson)fq_ticket_new_from_json, ticket_json);
  GObject *model = G_OBJECT (ticket);

  /* The same object again changes nothing and notifies nothing. */
  assert_update (model, ticket_json, NULL, NULL, "");

  /* One member, one notification. */
  assert_update (model, ticket_json, "state", "\"resolved\"", "state");
  g_assert_cmpint (fq_ticket_get_state (ticket), ==, FQ_TICKET_STATE_RESOLVED);
  assert_update (model, ticket_json, NULL, NULL, "state");

  assert_update (model, ticket_json, "assisting_units", "[\"U3\",\"U2\"]", "assisting-units");
  assert_update (model, ticket_json, "assisting_units", "[\"U2\",\"U3\"]", "assisting-units");
  assert_update (model, ticket_json, "assisting_units", "[\"U2\",\"U3\"]", "");
  assert_update (model, ticket_json, "satisfaction", "4", "satisfaction");
  g_assert_cmpint (fq_ticket_get_satisfaction (ticket), ==, 4);
  assert_update (model, ticket_json, "satisfaction", "null", "satisfaction");
  assert_update (model, ticket_json, "resolved_at", "\"2026-11-30T08:00:00Z\"", "resolved-at");
  assert_update (model, ticket_json, "resolved_at", "\"2026-11-30T16:00:00+08:00\"", "");
  /* Each update starts from the base object: resolved_at goes back to null. */
  assert_update (model, ticket_json, "overdue", "true", "overdue resolved-at");
  assert_update (model, ticket_json, NULL, NULL, "overdue");

  /* Several at once, as an action does. */
  {
    g_autoptr(JsonObject) object = parse_mutable (ticket_json);
    g_autofree char *text = NULL;

    json_object_set_string_member (object, "state", "closed");
    json_object_set_string_member (object, "closed_at", "2026-12-01T08:00:00Z");
    json_object_set_int_member (object, "satisfaction", 5);
    json_object_set_int_member (object, "rev", 9);
    text = object_to_text (object);
    assert_update (model, text, NULL, NULL, "closed-at rev satisfaction state");
    g_assert_cmpint (fq_ticket_get_rev (ticket), ==, 9);
  }
}

static void
test_update_incident (void)
{
  g_autoptr(FqIncident) incident = new_from_text ((NewFromJson)fq_incident_new_from_json,
                                                  new_incident_json);
  GObject *model = G_OBJECT (incident);
  GPtrArray *before;

  assert_update (model, new_incident_json, NULL, NULL, "");

  /* A decision appears: "police" is the default value of the enum, so only
   * has-decision changes; "divert" changes both. */
  assert_update (model, new_incident_json, "decision", "\"police\"", "has-decision");
  g_assert_cmpint (fq_incident_get_decision (incident), ==, FQ_DECISION_POLICE);
  assert_update (model, new_incident_json, "decision", "\"divert\"", "decision");
  assert_update (model, new_incident_json, NULL, NULL, "decision has-decision");
  g_assert_false (fq_incident_get_has_decision (incident));

  /* Repeat candidates: compared by content, not by identity. */
  before = fq_incident_get_repeat_candidates (incident);
  assert_update (model, new_incident_json, "repeat_candidates", "[]", "");
  g_assert_true (fq_incident_get_repeat_candidates (incident) == before);
  assert_update (model, new_incident_json, "repeat_candidates",
                 "[{\"incident\":\"I1\",\"ticket\":\"T1\",\"score\":0.9}]", "repeat-candidates");
  assert_update (model, new_incident_json, "repeat_candidates",
                 "[{\"incident\":\"I1\",\"ticket\":\"T1\",\"score\":0.9}]", "");
  assert_update (model, new_incident_json, "repeat_candidates",
                 "[{\"incident\":\"I1\",\"ticket\":\"T1\",\"score\":0.95}]", "repeat-candidates");
  assert_update (model, new_incident_json, "repeat_candidates",
                 "[{\"incident\":\"I1\",\"ticket\":null,\"score\":0.95}]", "repeat-candidates");

  /* The suggestion is two properties. */
  assert_update (model, new_incident_json, "suggested_category",
                 "{\"code\":\"noise\",\"confidence\":0.5}",
                 "repeat-candidates suggested-category suggested-confidence");
  assert_update (model, new_incident_json, "suggested_category",
                 "{\"code\":\"noise\",\"confidence\":0.6}", "suggested-confidence");
  assert_update (model, new_incident_json, "suggested_category",
                 "{\"code\":\"parking\",\"confidence\":0.6}", "suggested-category");
  assert_update (model, new_incident_json, NULL, NULL, "suggested-category suggested-confidence");

  /* The whole triaged incident (a different id is refused, below). */
  {
    g_autoptr(JsonObject) object = parse_mutable (incident_json);
    g_autofree char *text = NULL;

    json_object_set_string_member (object, "id", "I3");
    text = object_to_text (object);
    assert_update (model, text, NULL, NULL,
                   "address caller-name caller-phone category created-by decision description "
                   "external-id grid has-decision repeat-candidates repeat-of rev source "
                   "status suggested-category suggested-confidence summary ticket");
  }
}

static void
test_update_refused (void)
{
  g_autoptr(FqTicket) ticket = new_from_text ((NewFromJson)fq_ticket_new_from_json, ticket_json);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  NotifyLog log = { names };
  gboolean changed = TRUE;
  gulong handler;

  handler = g_signal_connect (ticket, "notify", G_CALLBACK (log_notify_cb), &log);

  /* Another ticket. */
  {
    g_autoptr(JsonObject) object = parse_mutable (ticket_json);
    g_autoptr(GError) error = NULL;
    g_autofree char *field = NULL;

    json_object_set_string_member (object, "id", "T2");
    json_object_set_string_member (object, "state", "closed");
    g_assert_false (fq_ticket_update_from_json (ticket, object, &changed, &error));
    g_assert_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD);
    field = fq_error_get_field (error);
    g_assert_cmpstr (field, ==, "id");
    g_assert_false (changed);
  }

  /* A change together with a bad member: nothing is applied. */
  {
    g_autoptr(JsonObject) object = parse_mutable (ticket_json);
    g_autoptr(GError) error = NULL;

    changed = TRUE;
    json_object_set_string_member (object, "state", "closed");
    json_object_set_int_member (object, "satisfaction", 9);
    g_assert_false (fq_ticket_update_from_json (ticket, object, &changed, &error));
    g_assert_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD);
    g_assert_false (changed);
  }

  g_signal_handler_disconnect (ticket, handler);
  g_assert_cmpuint (names->len, ==, 0);
  g_assert_cmpint (fq_ticket_get_state (ticket), ==, FQ_TICKET_STATE_ACCEPTED);
}

/* For every property of every type: setting the value it has notifies
 * nothing; the properties are all explicit-notify. */
static void
test_notify_only_on_change (gconstpointer data)
{
  const ModelType *type = data;
  g_autoptr(GObject) model = new_from_text (type->new_from_json, type->json);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree GParamSpec **pspecs = NULL;
  NotifyLog log = { names };
  guint n_pspecs;
  gulong handler;

  pspecs = g_object_class_list_properties (G_OBJECT_GET_CLASS (model), &n_pspecs);
  handler = g_signal_connect (model, "notify", G_CALLBACK (log_notify_cb), &log);

  for (guint i = 0; i < n_pspecs; i++)
    {
      g_auto(GValue) value = G_VALUE_INIT;

      g_assert_true (pspecs[i]->flags & G_PARAM_EXPLICIT_NOTIFY);
      g_assert_true (pspecs[i]->flags & G_PARAM_STATIC_NAME);

      g_value_init (&value, pspecs[i]->value_type);
      g_object_get_property (model, pspecs[i]->name, &value);
      g_object_set_property (model, pspecs[i]->name, &value);
    }
  g_assert_cmpuint (names->len, ==, 0);

  /* And a different value notifies once. */
  if (FQ_IS_TICKET (model))
    {
      g_object_set (model, "title", "另一个标题", NULL);
      g_object_set (model, "title", "另一个标题", NULL);
      g_assert_cmpuint (names->len, ==, 1);
    }

  g_signal_handler_disconnect (model, handler);
}

static void
test_event_data (void)
{
  g_autoptr(FqTimelineEvent) event = new_from_text ((NewFromJson)fq_timeline_event_new_from_json,
                                                    event_json);
  g_autoptr(JsonNode) same = json_from_string ("{\"units\":[\"U2\"],"
                                               "\"reason\":\"not_responsible\"}", NULL);
  g_autoptr(JsonNode) other = json_from_string ("{\"reason\":\"other\"}", NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  NotifyLog log = { names };
  gulong handler;
  JsonNode *stored;

  handler = g_signal_connect (event, "notify", G_CALLBACK (log_notify_cb), &log);

  /* Equal content, other member order, mutable node: no change. */
  g_object_set (event, "data", same, NULL);
  g_assert_cmpuint (names->len, ==, 0);

  /* A mutable node is copied and sealed: changing it later changes nothing. */
  g_object_set (event, "data", other, NULL);
  g_assert_cmpuint (names->len, ==, 1);
  stored = fq_timeline_event_get_data (event);
  g_assert_true (stored != other);
  g_assert_true (json_node_is_immutable (stored));
  g_assert_false (json_node_is_immutable (other));
  json_object_set_string_member (json_node_get_object (other), "reason", "changed");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (stored), "reason"), ==,
                   "other");

  g_object_set (event, "data", NULL, NULL);
  g_assert_cmpuint (names->len, ==, 2);
  g_assert_null (fq_timeline_event_get_data (event));

  g_signal_handler_disconnect (event, handler);
}

/* Who acted, as a timeline shows it: the display name when the server gave
 * one, the account when it did not (events written before it kept names),
 * and the unit before either. */
static void
test_event_who (void)
{
  g_autoptr(FqTimelineEvent) event = new_from_text ((NewFromJson)fq_timeline_event_new_from_json,
                                                    event_json);
  g_autoptr(FqTimelineEvent) system = new_from_text ((NewFromJson)fq_timeline_event_new_from_json,
                                                     system_event_json);
  char *who;

  who = fq_timeline_event_dup_who (event, "团城山街道办事处");
  g_assert_cmpstr (who, ==, "团城山街道办事处 · 刘秀英");
  g_free (who);
  who = fq_timeline_event_dup_who (event, NULL);
  g_assert_cmpstr (who, ==, "刘秀英");
  g_free (who);

  g_object_set (event, "actor-name", NULL, NULL);
  who = fq_timeline_event_dup_who (event, "");
  g_assert_cmpstr (who, ==, "unit");
  g_free (who);
  g_object_set (event, "actor-name", "", NULL);
  who = fq_timeline_event_dup_who (event, "团城山街道办事处");
  g_assert_cmpstr (who, ==, "团城山街道办事处 · unit");
  g_free (who);

  who = fq_timeline_event_dup_who (system, "团城山街道办事处");
  g_assert_cmpstr (who, ==, "团城山街道办事处");
  g_free (who);
  g_assert_null (fq_timeline_event_dup_who (system, NULL));
}

static void
test_repeat_candidate_boxed (void)
{
  g_autoptr(FqRepeatCandidate) candidate = fq_repeat_candidate_new ("I1", NULL, 0.5);
  FqRepeatCandidate *copy = g_boxed_copy (FQ_TYPE_REPEAT_CANDIDATE, candidate);

  g_assert_true (copy != candidate);
  g_assert_cmpstr (copy->incident, ==, "I1");
  g_assert_null (copy->ticket);
  g_assert_cmpfloat (copy->score, ==, 0.5);
  g_boxed_free (FQ_TYPE_REPEAT_CANDIDATE, copy);
  fq_repeat_candidate_free (NULL);

  /* The incident keeps its own copy of what it is given. */
  {
    g_autoptr(FqIncident) incident = g_object_new (FQ_TYPE_INCIDENT, NULL);
    g_autoptr(GPtrArray) array = NULL;
    GPtrArray *stored;

    array = g_ptr_array_new_with_free_func ((GDestroyNotify)fq_repeat_candidate_free);
    g_assert_cmpuint (fq_incident_get_repeat_candidates (incident)->len, ==, 0);
    g_ptr_array_add (array, fq_repeat_candidate_new ("I1", "T1", 0.9));
    g_object_set (incident, "repeat-candidates", array, NULL);
    g_ptr_array_add (array, fq_repeat_candidate_new ("I2", NULL, 0.5));
    stored = fq_incident_get_repeat_candidates (incident);
    g_assert_cmpuint (stored->len, ==, 1);

    /* NULL means none. */
    g_object_set (incident, "repeat-candidates", NULL, NULL);
    g_assert_cmpuint (fq_incident_get_repeat_candidates (incident)->len, ==, 0);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (model_types); i++)
    {
      g_autofree char *round_trip = g_strdup_printf ("/core/model/round-trip/%s",
                                                     model_types[i].name);
      g_autofree char *notify = g_strdup_printf ("/core/model/notify/%s", model_types[i].name);

      g_test_add_data_func (round_trip, &model_types[i], test_round_trip);
      g_test_add_data_func (notify, &model_types[i], test_notify_only_on_change);
    }
  g_test_add_func ("/core/model/getters", test_getters);
  g_test_add_func ("/core/model/tolerant", test_tolerant);
  g_test_add_func ("/core/model/strict", test_strict);
  g_test_add_func ("/core/model/update/ticket", test_update_ticket);
  g_test_add_func ("/core/model/update/incident", test_update_incident);
  g_test_add_func ("/core/model/update/refused", test_update_refused);
  g_test_add_func ("/core/model/event-data", test_event_data);
  g_test_add_func ("/core/model/event-who", test_event_who);
  g_test_add_func ("/core/model/repeat-candidate", test_repeat_candidate_boxed);

  return g_test_run ();
}
