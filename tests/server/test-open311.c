/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Open311 GeoReport v2 under /open311/v2, as a client that follows the
 * published specification uses it: discovery, the service list and
 * definitions, requests posted form-encoded (and as JSON) with an api_key,
 * their status read back as the ticket moves, tokens and the update feed;
 * the specification's error array for a missing or revoked key, an unknown
 * service and the rest; and the administrator's keys under /api/v1.
 */

#include "config.h"

#include <string.h>

#include "fq-test-server.h"

#define CATEGORY      "K04"   /* 道路设施损坏纠纷: not police-only */
#define FORM          "application/x-www-form-urlencoded"

/* A fresh key issued by the demo administrator. */
static char *
issue_key (FqTestWorld *world,
           char       **out_id)
{
  g_autoptr(FqTestResponse) resp = NULL;
  g_autofree char *name = fq_test_unique ("平台");
  g_autofree char *body = g_strdup_printf ("{\"name\":\"%s\"}", name);
  JsonObject *object;

  resp = fq_test_post (world->admin, "/api/v1/open311_keys", body);
  fq_test_assert_status (resp, 201);
  object = fq_test_response_object (resp);
  g_assert_cmpstr (fq_test_obj_str (object, "name"), ==, name);
  g_assert_nonnull (fq_test_obj_str (object, "id"));
  g_assert_cmpuint (strlen (fq_test_obj_str (object, "api_key")), >=, 24);
  if (out_id != NULL)
    *out_id = g_strdup (fq_test_obj_str (object, "id"));
  return g_strdup (fq_test_obj_str (object, "api_key"));
}

/* POST requests.json form-encoded with the given pairs (NULL-terminated
 * name, value, …). */
static FqTestResponse *
post_form (FqTestClient *client,
           const char   *first_name,
           ...)
{
  g_autoptr(GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *body = NULL;
  const char *name = first_name;
  va_list args;

  va_start (args, first_name);
  while (name != NULL)
    {
      g_hash_table_insert (form, (char *)name, va_arg (args, char *));
      name = va_arg (args, const char *);
    }
  va_end (args);

  body = soup_form_encode_hash (form);
  return fq_test_client_request (client, "POST", "/open311/v2/requests.json", FORM, body, -1,
                                 NULL);
}

static void
assert_spec_error (FqTestResponse *resp,
                   guint           status,
                   const char     *needle)
{
  JsonArray *array;
  JsonObject *error;

  fq_test_assert_status (resp, status);
  g_assert_nonnull (resp->root);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (resp->root));
  array = json_node_get_array (resp->root);
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  error = json_array_get_object_element (array, 0);
  g_assert_cmpint (fq_test_obj_int (error, "code"), ==, status);
  g_assert_nonnull (strstr (fq_test_obj_str (error, "description"), needle));
}

/* Submits a valid request and returns its service_request_id. */
static char *
submit (FqTestWorld *world,
        const char  *api_key,
        const char  *description)
{
  g_autoptr(FqTestResponse) resp = NULL;
  JsonObject *answer;

  resp = post_form (world->anonymous, "api_key", api_key, "service_code", CATEGORY,
                    "description", description, "address_string", "广州路28号",
                    "attribute[grid]", FQ_TEST_GUANGZHOULU, "first_name", "明",
                    "last_name", "王", "phone", "13800001111", "account_id", "acc-7", NULL);
  fq_test_assert_status (resp, 200);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (resp->root));
  answer = json_array_get_object_element (json_node_get_array (resp->root), 0);
  g_assert_nonnull (fq_test_obj_str (answer, "service_notice"));
  g_assert_cmpstr (fq_test_obj_str (answer, "account_id"), ==, "acc-7");
  g_assert_nonnull (fq_test_obj_str (answer, "token"));
  return g_strdup (fq_test_obj_str (answer, "service_request_id"));
}

/* The one request of requests/{id}.json. */
static JsonObject *
read_request (FqTestWorld    *world,
              const char     *id,
              FqTestResponse **out)
{
  *out = fq_test_get (world->anonymous, "/open311/v2/requests/%s.json", id);
  fq_test_assert_status (*out, 200);
  g_assert_true (JSON_NODE_HOLDS_ARRAY ((*out)->root));
  g_assert_cmpuint (json_array_get_length (json_node_get_array ((*out)->root)), ==, 1);
  return json_array_get_object_element (json_node_get_array ((*out)->root), 0);
}

static gboolean
array_has_request (JsonNode   *root,
                   const char *id)
{
  JsonArray *array = json_node_get_array (root);

  for (guint i = 0; i < json_array_get_length (array); i++)
    if (g_strcmp0 (fq_test_obj_str (json_array_get_object_element (array, i),
                                    "service_request_id"), id) == 0)
      return TRUE;
  return FALSE;
}

static void
test_discovery (void)
{
  FqTestWorld *world = fq_test_world_get ();
  g_autoptr(FqTestResponse) resp = NULL;
  JsonObject *endpoint;

  resp = fq_test_get (world->anonymous, "/open311/v2/discovery.json");
  fq_test_assert_status (resp, 200);
  g_assert_cmpstr (resp->content_type, ==, "application/json");
  endpoint = json_array_get_object_element (fq_test_obj_array (fq_test_response_object (resp),
                                                               "endpoints"), 0);
  g_assert_true (g_str_has_suffix (fq_test_obj_str (endpoint, "url"), "/open311/v2"));
  g_assert_true (fq_test_array_has_string (fq_test_obj_array (endpoint, "formats"),
                                           "application/json"));
  g_assert_nonnull (fq_test_obj_str (endpoint, "specification"));
}

static void
test_services (void)
{
  FqTestWorld *world = fq_test_world_get ();
  g_autoptr(FqTestResponse) categories = NULL;
  g_autoptr(FqTestResponse) resp = NULL;
  g_autoptr(FqTestResponse) definition = NULL;
  g_autoptr(FqTestResponse) police = NULL;
  g_autoptr(FqTestResponse) unknown = NULL;
  g_autoptr(FqTestResponse) xml = NULL;
  g_autoptr(GHashTable) police_codes = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *all, *services, *attributes;
  const char *police_code = NULL;
  guint offered = 0;

  categories = fq_test_get (world->operator, "/categories");
  fq_test_assert_status (categories, 200);
  all = fq_test_obj_array (fq_test_response_object (categories), "categories");
  for (guint i = 0; i < json_array_get_length (all); i++)
    {
      JsonObject *category = json_array_get_object_element (all, i);

      if (fq_test_obj_bool (category, "police_only"))
        {
          police_code = fq_test_obj_str (category, "code");
          g_hash_table_add (police_codes, (char *)police_code);
        }
      else
        offered++;
    }
  g_assert_nonnull (police_code);

  resp = fq_test_get (world->anonymous, "/open311/v2/services.json");
  fq_test_assert_status (resp, 200);
  services = json_node_get_array (resp->root);
  g_assert_cmpuint (json_array_get_length (services), ==, offered);
  for (guint i = 0; i < json_array_get_length (services); i++)
    {
      JsonObject *service = json_array_get_object_element (services, i);

      g_assert_false (g_hash_table_contains (police_codes, fq_test_obj_str (service, "service_code")));
      g_assert_nonnull (fq_test_obj_str (service, "service_name"));
      g_assert_nonnull (fq_test_obj_str (service, "group"));
      g_assert_cmpstr (fq_test_obj_str (service, "type"), ==, "realtime");
      g_assert_true (fq_test_obj_bool (service, "metadata"));
    }

  definition = fq_test_get (world->anonymous, "/open311/v2/services/%s.json", CATEGORY);
  fq_test_assert_status (definition, 200);
  g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (definition), "service_code"), ==,
                   CATEGORY);
  attributes = fq_test_obj_array (fq_test_response_object (definition), "attributes");
  g_assert_cmpstr (fq_test_obj_str (json_array_get_object_element (attributes, 0), "code"), ==,
                   "grid");

  police = fq_test_get (world->anonymous, "/open311/v2/services/%s.json", police_code);
  assert_spec_error (police, 404, "not found");
  unknown = fq_test_get (world->anonymous, "/open311/v2/services/ZZ99.json");
  assert_spec_error (unknown, 404, "ZZ99");
  xml = fq_test_get (world->anonymous, "/open311/v2/services.xml");
  assert_spec_error (xml, 400, "JSON");
}

static void
test_keys (void)
{
  FqTestWorld *world = fq_test_world_get ();
  g_autoptr(FqTestResponse) denied = NULL;
  g_autoptr(FqTestResponse) denied_list = NULL;
  g_autoptr(FqTestResponse) empty_name = NULL;
  g_autoptr(FqTestResponse) list = NULL;
  g_autoptr(FqTestResponse) revoked = NULL;
  g_autoptr(FqTestResponse) again = NULL;
  g_autoptr(FqTestResponse) missing = NULL;
  g_autoptr(FqTestResponse) after = NULL;
  g_autofree char *id = NULL;
  g_autofree char *key = issue_key (world, &id);
  g_autofree char *path = g_strdup_printf ("/api/v1/open311_keys/%s/revoke", id);
  g_autofree char *request = submit (world, key, "井盖丢失，行人容易掉下去");
  JsonArray *keys;
  gboolean listed = FALSE;

  denied = fq_test_post (world->coordinator, "/api/v1/open311_keys", "{\"name\":\"x\"}");
  fq_test_assert_error (denied, 403, "forbidden");
  denied_list = fq_test_get (world->operator, "/api/v1/open311_keys");
  fq_test_assert_error (denied_list, 403, "forbidden");
  empty_name = fq_test_post (world->admin, "/api/v1/open311_keys", "{\"name\":\"  \"}");
  fq_test_assert_error (empty_name, 422, "invalid_field");

  list = fq_test_get (world->admin, "/api/v1/open311_keys");
  fq_test_assert_status (list, 200);
  keys = fq_test_obj_array (fq_test_response_object (list), "keys");
  for (guint i = 0; i < json_array_get_length (keys); i++)
    {
      JsonObject *object = json_array_get_object_element (keys, i);

      /* The key itself is shown once, at issue, and never listed. */
      g_assert_false (json_object_has_member (object, "api_key"));
      g_assert_null (strstr (list->text, key));
      if (g_strcmp0 (fq_test_obj_str (object, "id"), id) == 0)
        {
          listed = TRUE;
          g_assert_nonnull (fq_test_obj_str (object, "created_at"));
          g_assert_true (fq_test_obj_is_null (object, "revoked_at"));
        }
    }
  g_assert_true (listed);

  revoked = fq_test_post (world->admin, path, NULL);
  fq_test_assert_status (revoked, 200);
  g_assert_nonnull (fq_test_obj_str (fq_test_response_object (revoked), "revoked_at"));
  again = fq_test_post (world->admin, path, NULL);
  fq_test_assert_status (again, 200);
  missing = fq_test_post (world->admin, "/api/v1/open311_keys/999999/revoke", NULL);
  fq_test_assert_error (missing, 404, "not_found");

  /* A revoked key submits nothing more; what it submitted stays readable. */
  after = post_form (world->anonymous, "api_key", key, "service_code", CATEGORY,
                     "description", "路面塌陷", "lat", "30.2", "long", "115.0", NULL);
  assert_spec_error (after, 403, "api_key");
  g_assert_nonnull (request);

  g_assert_cmpuint (fq_test_count_audit (world->admin, "open311_key"), >=, 2);
}

static void
test_post_errors (void)
{
  FqTestWorld *world = fq_test_world_get ();
  g_autofree char *key = issue_key (world, NULL);
  g_autofree char *police_code = g_strdup (fq_test_obj_str (fq_test_pick_category (world->operator,
                                                                                     TRUE, 0),
                                                            "code"));
  gint64 before = fq_test_last_seq (world->operator);
  struct {
    FqTestResponse *resp;
    guint           status;
    const char     *needle;
  } cases[] = {
    { post_form (world->anonymous, "service_code", CATEGORY, "description", "路灯坏了",
                 "lat", "30.2", "long", "115.0", NULL), 400, "api_key" },
    { post_form (world->anonymous, "api_key", "not-a-key", "service_code", CATEGORY,
                 "description", "路灯坏了", "lat", "30.2", "long", "115.0", NULL), 403, "api_key" },
    { post_form (world->anonymous, "api_key", key, "description", "路灯坏了",
                 "lat", "30.2", "long", "115.0", NULL), 400, "service_code" },
    { post_form (world->anonymous, "api_key", key, "service_code", "ZZ99",
                 "description", "路灯坏了", "lat", "30.2", "long", "115.0", NULL), 404, "ZZ99" },
    { post_form (world->anonymous, "api_key", key, "service_code", police_code,
                 "description", "有人打架", "lat", "30.2", "long", "115.0", NULL), 404, police_code },
    { post_form (world->anonymous, "api_key", key, "service_code", CATEGORY,
                 "description", "路灯坏了", NULL), 400, "location" },
    { post_form (world->anonymous, "api_key", key, "service_code", CATEGORY,
                 "description", "路灯坏了", "lat", "91", "long", "115.0", NULL), 400, "lat" },
    { post_form (world->anonymous, "api_key", key, "service_code", CATEGORY,
                 "description", "路灯坏了", "address_string", "广州路",
                 "attribute[grid]", "999999999999", NULL), 400, "grid" },
    { post_form (world->anonymous, "api_key", key, "service_code", CATEGORY,
                 "description", "路灯坏了", "address_string", "广州路", "phone", "call me",
                 NULL), 400, "phone" },
    { fq_test_client_request (world->anonymous, "POST", "/open311/v2/requests.json", "text/plain",
                              "api_key=x", -1, NULL), 415, "form" },
    { fq_test_client_request (world->anonymous, "PUT", "/open311/v2/requests.json", FORM,
                              "api_key=x", -1, NULL), 405, "method" },
    { fq_test_get (world->anonymous, "/open311/v2/nothing.json"), 404, "no such" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      assert_spec_error (cases[i].resp, cases[i].status, cases[i].needle);
      fq_test_response_free (cases[i].resp);
    }
  /* None of them wrote anything. */
  g_assert_cmpint (fq_test_last_seq (world->operator), ==, before);
}

/* A body over FQ_SERVER_INLINE_BODY_MAX, which a reader parses before the
 * request is handled, is answered as a small one: accepted when valid,
 * with the specification's error when not. */
static void
test_large_body (void)
{
  FqTestWorld *world = fq_test_world_get ();
  g_autofree char *key = issue_key (world, NULL);
  const int pad = 64 * 1024;
  g_autofree char *json = g_strdup_printf ("%*s{\"api_key\":\"%s\",\"service_code\":\"%s\","
                                           "\"description\":\"楼道里堆满杂物\",\"lat\":30.2,"
                                           "\"long\":115.0}", pad, "", key, CATEGORY);
  g_autofree char *broken = g_strdup_printf ("%*s{\"api_key\":", pad, "");
  g_autofree char *filler = g_strnfill (pad, 'a');
  g_autofree char *form = g_strdup_printf ("service_code=%s&description=x&lat=30.2&long=115.0&note=%s",
                                           CATEGORY, filler);
  g_autofree char *huge_filler = g_strnfill (2 * 1024 * 1024, 'a');
  g_autofree char *huge = g_strdup_printf ("api_key=%s&service_code=%s&description=x&note=%s",
                                           key, CATEGORY, huge_filler);

  /* With the size announced, then chunked (collected as it comes). */
  for (guint chunked = 0; chunked < 2; chunked++)
    {
      g_autoptr(FqTestResponse) ok = NULL;
      g_autoptr(FqTestResponse) bad_json = NULL;
      g_autoptr(FqTestResponse) no_key = NULL;
      g_autoptr(FqTestResponse) incident = NULL;
      g_autoptr(FqTestResponse) too_large = NULL;
      gint64 before;
      const char *id;

      fq_test_client_set_chunked (world->anonymous, chunked);
      ok = fq_test_post (world->anonymous, "/open311/v2/requests.json", json);
      fq_test_assert_status (ok, 200);
      id = fq_test_obj_str (json_array_get_object_element (json_node_get_array (ok->root), 0),
                            "service_request_id");
      incident = fq_test_get (world->operator, "/incidents/%s", id);
      fq_test_assert_status (incident, 200);
      g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (incident), "summary"), ==, "楼道里堆满杂物");

      before = fq_test_last_seq (world->operator);
      bad_json = fq_test_post (world->anonymous, "/open311/v2/requests.json", broken);
      assert_spec_error (bad_json, 400, "JSON");
      no_key = fq_test_client_request (world->anonymous, "POST", "/open311/v2/requests.json", FORM,
                                       form, -1, NULL);
      assert_spec_error (no_key, 400, "api_key");
      /* Announced, it is refused before it is read; chunked, once read:
       * with the specification's error array either way. */
      too_large = fq_test_client_request (world->anonymous, "POST", "/open311/v2/requests.json", FORM,
                                          huge, -1, NULL);
      assert_spec_error (too_large, 413, "1 MiB");
      g_assert_cmpint (fq_test_last_seq (world->operator), ==, before);
      fq_test_client_set_chunked (world->anonymous, FALSE);
    }
}

static void
test_submit_and_follow (void)
{
  FqTestWorld *world = fq_test_world_get ();
  g_autofree char *key = issue_key (world, NULL);
  g_autofree char *id = submit (world, key, "广州路28号路灯坏了一个星期，晚上很黑");
  g_autoptr(FqTestResponse) incident = NULL;
  g_autoptr(FqTestResponse) first = NULL;
  g_autoptr(FqTestResponse) triaged = NULL;
  g_autoptr(FqTestResponse) second = NULL;
  g_autoptr(FqTestResponse) ticket = NULL;
  g_autoptr(FqTestResponse) json_post = NULL;
  g_autoptr(FqTestResponse) closed_req = NULL;
  g_autoptr(FqTestResponse) closing = NULL;
  g_autofree char *triage = g_strdup_printf ("/incidents/%s/triage", id);
  g_autofree char *json_body = NULL;
  g_autofree char *closing_path = NULL;
  const char *json_id;
  JsonObject *object, *request;

  /* It is an incident like any other, for the desk. */
  incident = fq_test_get (world->operator, "/incidents/%s", id);
  fq_test_assert_status (incident, 200);
  object = fq_test_response_object (incident);
  g_assert_cmpstr (fq_test_obj_str (object, "source"), ==, "open311");
  g_assert_cmpstr (fq_test_obj_str (object, "grid"), ==, FQ_TEST_GUANGZHOULU);
  g_assert_cmpstr (fq_test_obj_str (object, "category"), ==, CATEGORY);
  g_assert_cmpstr (fq_test_obj_str (object, "caller_name"), ==, "王明");
  g_assert_cmpstr (fq_test_obj_str (object, "status"), ==, "new");

  request = read_request (world, id, &first);
  g_assert_cmpstr (fq_test_obj_str (request, "status"), ==, "open");
  g_assert_cmpstr (fq_test_obj_str (request, "service_code"), ==, CATEGORY);
  g_assert_nonnull (fq_test_obj_str (request, "service_name"));
  g_assert_nonnull (fq_test_obj_str (request, "status_notes"));
  g_assert_cmpstr (fq_test_obj_str (request, "address"), ==, "广州路28号");
  g_assert_nonnull (fq_test_obj_str (request, "requested_datetime"));
  g_assert_true (fq_test_obj_is_null (request, "agency_responsible"));
  g_assert_true (fq_test_obj_is_null (request, "expected_datetime"));
  /* Callers' details never go out through Open311. */
  g_assert_null (strstr (first->text, "13800001111"));
  g_assert_null (strstr (first->text, "王明"));

  triaged = fq_test_post (world->coordinator, triage,
                          "{\"decision\":\"divert\",\"category\":\"" CATEGORY "\",\"grid\":\""
                          FQ_TEST_GUANGZHOULU "\",\"rev\":1}");
  fq_test_assert_status (triaged, 200);
  ticket = fq_test_get (world->coordinator, "/tickets/%s",
                        fq_test_obj_str (fq_test_obj_obj (fq_test_response_object (triaged),
                                                          "ticket"), "id"));
  fq_test_assert_status (ticket, 200);

  request = read_request (world, id, &second);
  g_assert_cmpstr (fq_test_obj_str (request, "status"), ==, "open");
  g_assert_nonnull (fq_test_obj_str (request, "agency_responsible"));
  g_assert_cmpstr (fq_test_obj_str (request, "expected_datetime"), ==,
                   fq_test_obj_str (fq_test_response_object (ticket), "deadline"));
  g_assert_cmpstr (fq_test_obj_str (request, "status_notes"), !=,
                   fq_test_obj_str (json_array_get_object_element (json_node_get_array (first->root),
                                                                   0), "status_notes"));

  /* A JSON body is accepted too; a request closed at triage reads closed. */
  json_body = g_strdup_printf ("{\"api_key\":\"%s\",\"service_code\":\"%s\",\"description\":"
                               "\"小区门口垃圾堆放\",\"lat\":30.21,\"long\":115.05,"
                               "\"attribute\":{\"grid\":\"%s\"}}", key, CATEGORY,
                               FQ_TEST_GUANGZHOULU);
  json_post = fq_test_post (world->anonymous, "/open311/v2/requests.json", json_body);
  fq_test_assert_status (json_post, 200);
  json_id = fq_test_obj_str (json_array_get_object_element (json_node_get_array (json_post->root), 0),
                             "service_request_id");
  closing_path = g_strdup_printf ("/incidents/%s/triage", json_id);
  closing = fq_test_post (world->coordinator, closing_path,
                          "{\"decision\":\"on_scene\",\"category\":\"" CATEGORY "\",\"rev\":1}");
  fq_test_assert_status (closing, 200);
  request = read_request (world, json_id, &closed_req);
  g_assert_cmpstr (fq_test_obj_str (request, "status"), ==, "closed");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (request, "lat"), 30.21, 1e-9);
}

static void
test_list_filters (void)
{
  FqTestWorld *world = fq_test_world_get ();
  g_autofree char *key = issue_key (world, NULL);
  g_autofree char *a = submit (world, key, "路边树木倒伏挡路");
  g_autofree char *b = submit (world, key, "人行道地砖松动");
  g_autofree char *other_triage = g_strdup_printf ("/incidents/%s/triage", b);
  g_autoptr(FqTestResponse) closing = NULL;
  g_autoptr(FqTestResponse) both = NULL;
  g_autoptr(FqTestResponse) open_only = NULL;
  g_autoptr(FqTestResponse) closed_only = NULL;
  g_autoptr(FqTestResponse) by_code = NULL;
  g_autoptr(FqTestResponse) other_code = NULL;
  g_autoptr(FqTestResponse) future = NULL;
  g_autoptr(FqTestResponse) page1 = NULL;
  g_autoptr(FqTestResponse) page2 = NULL;
  g_autoptr(FqTestResponse) bad_size = NULL;
  g_autoptr(FqTestResponse) bad_date = NULL;
  g_autoptr(FqTestResponse) bad_status = NULL;
  g_autoptr(FqTestResponse) desk = NULL;
  g_autoptr(FqTestResponse) desk_read = NULL;
  g_autofree char *tomorrow = fq_test_time_from_now (24 * 3600);
  JsonObject *desk_incident;

  closing = fq_test_post (world->coordinator, other_triage,
                          "{\"decision\":\"mediate\",\"category\":\"" CATEGORY "\",\"rev\":1}");
  fq_test_assert_status (closing, 200);

  both = fq_test_get (world->anonymous, "/open311/v2/requests.json?service_request_id=%s,%s", a, b);
  fq_test_assert_status (both, 200);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (both->root)), ==, 2);

  open_only = fq_test_get (world->anonymous, "/open311/v2/requests.json?status=open&page_size=1000");
  g_assert_true (array_has_request (open_only->root, a));
  g_assert_false (array_has_request (open_only->root, b));
  closed_only = fq_test_get (world->anonymous,
                             "/open311/v2/requests.json?status=closed&page_size=1000");
  g_assert_true (array_has_request (closed_only->root, b));
  g_assert_false (array_has_request (closed_only->root, a));

  by_code = fq_test_get (world->anonymous, "/open311/v2/requests.json?service_code=%s&page_size=1000",
                         CATEGORY);
  g_assert_true (array_has_request (by_code->root, a));
  other_code = fq_test_get (world->anonymous, "/open311/v2/requests.json?service_code=A01");
  g_assert_false (array_has_request (other_code->root, a));

  future = fq_test_get (world->anonymous, "/open311/v2/requests.json?start_date=%s", tomorrow);
  fq_test_assert_status (future, 200);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (future->root)), ==, 0);

  /* Paging: newest first, one a page, the pages do not overlap. */
  page1 = fq_test_get (world->anonymous, "/open311/v2/requests.json?page_size=1&page=1");
  page2 = fq_test_get (world->anonymous, "/open311/v2/requests.json?page_size=1&page=2");
  g_assert_cmpuint (json_array_get_length (json_node_get_array (page1->root)), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (page2->root)), ==, 1);
  g_assert_cmpstr (fq_test_obj_str (json_array_get_object_element (json_node_get_array (page1->root), 0),
                                    "service_request_id"), !=,
                   fq_test_obj_str (json_array_get_object_element (json_node_get_array (page2->root), 0),
                                    "service_request_id"));

  bad_size = fq_test_get (world->anonymous, "/open311/v2/requests.json?page_size=5000");
  assert_spec_error (bad_size, 400, "page_size");
  bad_date = fq_test_get (world->anonymous, "/open311/v2/requests.json?start_date=yesterday");
  assert_spec_error (bad_date, 400, "start_date");
  bad_status = fq_test_get (world->anonymous, "/open311/v2/requests.json?status=pending");
  assert_spec_error (bad_status, 400, "status");

  /* What came in by phone is not published through Open311. */
  desk_incident = fq_test_create_incident (world->operator, FQ_TEST_GUANGZHOULU, NULL);
  desk_read = fq_test_get (world->anonymous, "/open311/v2/requests/%s.json",
                           fq_test_obj_str (desk_incident, "id"));
  assert_spec_error (desk_read, 404, "not found");
  json_object_unref (desk_incident);
  desk = fq_test_get (world->anonymous, "/open311/v2/requests/NOPE.json");
  assert_spec_error (desk, 404, "NOPE");
}

static void
test_tokens (void)
{
  FqTestWorld *world = fq_test_world_get ();
  g_autofree char *key = issue_key (world, NULL);
  g_autoptr(FqTestResponse) posted = NULL;
  g_autoptr(FqTestResponse) resp = NULL;
  g_autoptr(FqTestResponse) missing = NULL;
  JsonObject *answer, *found;

  posted = post_form (world->anonymous, "api_key", key, "service_code", CATEGORY,
                      "description", "下水道堵塞", "address_id", "addr-42", NULL);
  fq_test_assert_status (posted, 200);
  answer = json_array_get_object_element (json_node_get_array (posted->root), 0);

  resp = fq_test_get (world->anonymous, "/open311/v2/tokens/%s.json",
                      fq_test_obj_str (answer, "token"));
  fq_test_assert_status (resp, 200);
  found = json_array_get_object_element (json_node_get_array (resp->root), 0);
  g_assert_cmpstr (fq_test_obj_str (found, "service_request_id"), ==,
                   fq_test_obj_str (answer, "service_request_id"));
  g_assert_cmpstr (fq_test_obj_str (found, "token"), ==, fq_test_obj_str (answer, "token"));

  missing = fq_test_get (world->anonymous, "/open311/v2/tokens/nothing-here.json");
  assert_spec_error (missing, 404, "token");
}

static void
test_updates (void)
{
  FqTestWorld *world = fq_test_world_get ();
  g_autofree char *key = issue_key (world, NULL);
  g_autofree char *id = submit (world, key, "消防通道被占用");
  g_autofree char *triage = g_strdup_printf ("/incidents/%s/triage", id);
  g_autofree char *tomorrow = fq_test_time_from_now (24 * 3600);
  g_autofree char *hour_ago = fq_test_time_from_now (-3600);
  g_autoptr(FqTestResponse) triaged = NULL;
  g_autoptr(FqTestResponse) feed = NULL;
  g_autoptr(FqTestResponse) later = NULL;
  g_autoptr(FqTestResponse) bad = NULL;
  JsonArray *updates;
  gboolean dispatched = FALSE;

  triaged = fq_test_post (world->coordinator, triage,
                          "{\"decision\":\"divert\",\"category\":\"" CATEGORY "\",\"grid\":\""
                          FQ_TEST_GUANGZHOULU "\",\"rev\":1}");
  fq_test_assert_status (triaged, 200);

  feed = fq_test_get (world->anonymous,
                      "/open311/v2/servicerequestupdates.json?start_date=%s&page_size=1000",
                      hour_ago);
  fq_test_assert_status (feed, 200);
  updates = json_node_get_array (feed->root);
  for (guint i = 0; i < json_array_get_length (updates); i++)
    {
      JsonObject *update = json_array_get_object_element (updates, i);

      g_assert_nonnull (fq_test_obj_str (update, "update_id"));
      g_assert_nonnull (fq_test_obj_str (update, "updated_datetime"));
      if (g_strcmp0 (fq_test_obj_str (update, "service_request_id"), id) == 0)
        {
          dispatched = TRUE;
          g_assert_cmpstr (fq_test_obj_str (update, "status"), ==, "open");
          g_assert_nonnull (fq_test_obj_str (update, "description"));
        }
    }
  g_assert_true (dispatched);

  later = fq_test_get (world->anonymous, "/open311/v2/servicerequestupdates.json?start_date=%s",
                       tomorrow);
  fq_test_assert_status (later, 200);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (later->root)), ==, 0);
  bad = fq_test_get (world->anonymous, "/open311/v2/servicerequestupdates.json?end_date=soon");
  assert_spec_error (bad, 400, "end_date");
}

int
main (int   argc,
      char *argv[])
{
  int result;

  g_test_init (&argc, &argv, NULL);
  fq_test_require_server_binary ();

  g_test_add_func ("/open311/discovery", test_discovery);
  g_test_add_func ("/open311/services", test_services);
  g_test_add_func ("/open311/keys", test_keys);
  g_test_add_func ("/open311/post-errors", test_post_errors);
  g_test_add_func ("/open311/large-body", test_large_body);
  g_test_add_func ("/open311/submit-and-follow", test_submit_and_follow);
  g_test_add_func ("/open311/list-filters", test_list_filters);
  g_test_add_func ("/open311/tokens", test_tokens);
  g_test_add_func ("/open311/updates", test_updates);

  result = g_test_run ();
  fq_test_world_free ();
  return result;
}
