/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Incidents over HTTP (API.md "Incidents", DOMAIN.md "Incidents" and
 * "Repeat calls"): intake, lists and filters, scope, (source, external_id)
 * dedup, Idempotency-Key replay, triage and its decisions, police-only
 * categories, lead-unit lookup and each repeat-detection rule with its
 * negatives just outside the window or threshold.
 */

#include "config.h"

#include <string.h>

#include "fq-repeat.h"
#include "fq-test-server.h"

typedef struct
{
  FqTestWorld *w;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->w = fq_test_world_get ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
}

#define DAY (24 * 3600)

static char *
unique_phone (void)
{
  return g_strdup_printf ("13%09u", (guint)g_random_int_range (0, 999999999));
}

/* A community of the demo grid whose code starts with @prefix. */
static char *
find_community (FqTestClient *client,
                const char   *prefix,
                const char   *not_this)
{
  g_autoptr(FqTestResponse) resp = fq_test_get (client, "/grid");
  JsonArray *nodes = fq_test_obj_array (fq_test_response_object (resp), "nodes");

  fq_test_assert_status (resp, 200);
  for (guint i = 0; nodes != NULL && i < json_array_get_length (nodes); i++)
    {
      JsonObject *n = json_array_get_object_element (nodes, i);
      const char *code = fq_test_obj_str (n, "code");

      if (g_strcmp0 (fq_test_obj_str (n, "level"), "community") == 0
          && g_str_has_prefix (code, prefix) && g_strcmp0 (code, not_this) != 0)
        return g_strdup (code);
    }

  return NULL;
}

static JsonObject *
post_incident (FqTestClient *client,
               const char   *json)
{
  g_autoptr(FqTestResponse) resp = fq_test_post (client, "/incidents", json);

  fq_test_assert_status (resp, 201);
  return json_object_ref (fq_test_response_object (resp));
}

/* POST /incidents with the members a repeat scenario varies. */
static JsonObject *
post_call (FqTestClient *client,
           const char   *grid,
           const char   *phone,
           const char   *address,
           const char   *category,
           const char   *summary,
           gint64        days_ago)
{
  g_autofree char *received = fq_test_time_from_now (-days_ago * DAY - 60);
  g_autofree char *q_address = fq_test_json_quote (address);
  g_autofree char *q_summary = fq_test_json_quote (summary);
  g_autofree char *body = NULL;

  body = fq_test_jsonf ("{'source':'110','received_at':'%s','caller_name':'张三','caller_phone':'%s',"
                        "'address':%s,'grid':'%s','summary':%s,'category':'%s'}",
                        received, phone, q_address, grid, q_summary, category);
  return post_incident (client, body);
}

static const char *
cat_code (Fixture *f,
          guint    nth)
{
  return fq_test_obj_str (fq_test_pick_category (f->w->operator, FALSE, nth), "code");
}

static void
test_create (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *token = fq_test_unique ("create");
  g_autofree char *received = fq_test_time_from_now (-600);
  g_autofree char *body = NULL;
  g_autoptr(JsonObject) inc = NULL;
  g_autoptr(FqTestResponse) got = NULL;
  static const char *members[] = {
    "id", "source", "received_at", "caller_name", "caller_phone", "address", "grid",
    "summary", "description", "category", "external_id", "status", "decision", "ticket",
    "repeat_of", "repeat_candidates", "suggested_category", "created_by", "rev",
  };

  body = fq_test_jsonf ("{'source':'12345','received_at':'%s','caller_name':'李四','caller_phone':'13900000001',"
                        "'address':'团城山街道广州路 1 号','grid':'%s','summary':'楼上装修噪音 %s',"
                        "'description':'每天早上七点开始电钻','category':'%s','external_id':'ext-%s'}",
                        received, FQ_TEST_GUANGZHOULU, token, cat_code (f, 0), token);
  inc = post_incident (f->w->operator, body);

  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    if (!json_object_has_member (inc, members[i]))
      g_error ("incident lacks \"%s\"", members[i]);

  g_assert_cmpstr (fq_test_obj_str (inc, "source"), ==, "12345");
  g_assert_cmpstr (fq_test_obj_str (inc, "received_at"), ==, received);
  g_assert_cmpstr (fq_test_obj_str (inc, "grid"), ==, FQ_TEST_GUANGZHOULU);
  g_assert_cmpstr (fq_test_obj_str (inc, "category"), ==, cat_code (f, 0));
  g_assert_cmpstr (fq_test_obj_str (inc, "status"), ==, "new");
  g_assert_true (fq_test_obj_is_null (inc, "decision"));
  g_assert_true (fq_test_obj_is_null (inc, "ticket"));
  g_assert_nonnull (fq_test_obj_array (inc, "repeat_candidates"));
  g_assert_cmpstr (fq_test_obj_str (inc, "created_by"), ==, "operator");
  g_assert_cmpint (fq_test_obj_int (inc, "rev"), >=, 1);

  got = fq_test_get (f->w->operator, "/incidents/%s", fq_test_obj_str (inc, "id"));
  fq_test_assert_status (got, 200);
  g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (got), "summary"), ==,
                   fq_test_obj_str (inc, "summary"));
  g_assert_cmpint (fq_test_obj_int (fq_test_response_object (got), "rev"), ==, fq_test_obj_int (inc, "rev"));

  /* A number typed in full-width mode is stored as digits; a letter is
   * still refused. */
  {
    g_autofree char *fbody = fq_test_jsonf ("{'source':'110','grid':'%s','summary':'全角号码 %s',"
                                            "'caller_phone':'＋８６　１３９－０００１－２２３３'}",
                                            FQ_TEST_GUANGZHOULU, token);
    g_autoptr(JsonObject) full = post_incident (f->w->operator, fbody);
    g_autoptr(FqTestResponse) bad = NULL;

    g_assert_cmpstr (fq_test_obj_str (full, "caller_phone"), ==, "+86 139-0001-2233");
    g_free (fbody);
    fbody = fq_test_jsonf ("{'source':'110','grid':'%s','summary':'号码有字母','caller_phone':'１３９Ａ'}",
                           FQ_TEST_GUANGZHOULU);
    bad = fq_test_post (f->w->operator, "/incidents", fbody);
    fq_test_assert_error (bad, 422, "invalid_field");
  }

  /* A grid worker reports in its own community (未报先处). */
  {
    g_autofree char *gbody = fq_test_jsonf ("{'source':'grid','grid':'%s','summary':'网格员巡查发现 %s'}",
                                            FQ_TEST_GUANGZHOULU, token);
    g_autoptr(JsonObject) ginc = post_incident (f->w->grid, gbody);

    g_assert_cmpstr (fq_test_obj_str (ginc, "created_by"), ==, "grid");
  }

  /* Missing incident. */
  {
    g_autoptr(FqTestResponse) missing = fq_test_get (f->w->operator, "/incidents/I000000-999999");

    fq_test_assert_error (missing, 404, "not_found");
  }
}

static guint
count_listed (FqTestClient *client,
              const char   *query)
{
  g_autoptr(FqTestResponse) resp = fq_test_get (client, "/incidents?%s", query);
  JsonArray *items;

  fq_test_assert_status (resp, 200);
  items = fq_test_obj_array (fq_test_response_object (resp), "incidents");
  g_assert_nonnull (items);
  return json_array_get_length (items);
}

static void
test_external_id_dedup (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *token = fq_test_unique ("dedup");
  g_autofree char *body = fq_test_jsonf ("{'source':'12345','grid':'%s','summary':'重复推送 %s','external_id':'%s'}",
                                         FQ_TEST_GUANGZHOULU, token, token);
  g_autoptr(FqTestResponse) first = fq_test_post (f->w->operator, "/incidents", body);
  g_autoptr(FqTestResponse) second = NULL;
  g_autoptr(FqTestResponse) other_source = NULL;
  g_autofree char *q = g_strdup_printf ("q=%s", token);
  gint64 seq;

  fq_test_assert_status (first, 201);
  seq = fq_test_last_seq (f->w->operator);
  second = fq_test_post (f->w->operator, "/incidents", body);
  fq_test_assert_status (second, 200);
  g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (second), "id"), ==,
                   fq_test_obj_str (fq_test_response_object (first), "id"));
  g_assert_cmpint (fq_test_last_seq (f->w->operator), ==, seq);
  g_assert_cmpuint (count_listed (f->w->operator, q), ==, 1);

  /* The same external id from another source is another incident. */
  {
    g_autofree char *body2 = fq_test_jsonf ("{'source':'110','grid':'%s','summary':'重复推送 %s','external_id':'%s'}",
                                            FQ_TEST_GUANGZHOULU, token, token);

    other_source = fq_test_post (f->w->operator, "/incidents", body2);
    fq_test_assert_status (other_source, 201);
    g_assert_cmpuint (count_listed (f->w->operator, q), ==, 2);
  }
}

static void
test_idempotency (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *token = fq_test_unique ("idem");
  g_autofree char *key = fq_test_unique ("key-");
  g_autofree char *body = fq_test_jsonf ("{'source':'110','grid':'%s','summary':'离线补发 %s'}",
                                         FQ_TEST_GUANGZHOULU, token);
  g_autofree char *q = g_strdup_printf ("q=%s", token);
  g_autoptr(FqTestResponse) first = NULL;
  g_autoptr(FqTestResponse) again = NULL;
  g_autoptr(FqTestResponse) third = NULL;
  const char *id;
  gint64 seq;

  first = fq_test_client_request (f->w->operator, "POST", "/incidents", NULL, body, -1, key);
  fq_test_assert_status (first, 201);
  id = fq_test_obj_str (fq_test_response_object (first), "id");
  g_assert_nonnull (id);
  seq = fq_test_last_seq (f->w->operator);

  again = fq_test_client_request (f->w->operator, "POST", "/incidents", NULL, body, -1, key);
  fq_test_assert_status (again, 201);
  g_assert_cmpstr (again->text, ==, first->text);
  third = fq_test_client_request (f->w->operator, "POST", "/incidents", NULL, body, -1, key);
  g_assert_cmpstr (third->text, ==, first->text);

  g_assert_cmpint (fq_test_last_seq (f->w->operator), ==, seq);
  g_assert_cmpuint (count_listed (f->w->operator, q), ==, 1);
  g_assert_cmpuint (fq_test_count_audit (f->w->admin, id), ==, 1);

  /* The same key from another user is that user's own request. */
  {
    g_autoptr(FqTestResponse) other = fq_test_client_request (f->w->admin, "POST", "/incidents", NULL,
                                                              body, -1, key);

    fq_test_assert_status (other, 201);
    g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (other), "id"), !=, id);
    g_assert_cmpuint (count_listed (f->w->operator, q), ==, 2);
  }

  /* An action replayed: the second answer is the first, and the rev moved
   * only once. */
  {
    g_autofree char *tkey = fq_test_unique ("tkey-");
    g_autofree char *path = g_strdup_printf ("/incidents/%s/triage", id);
    g_autofree char *tbody = fq_test_jsonf ("{'decision':'mediate','category':'%s','grid':'%s','rev':%" G_GINT64_FORMAT ",'note':'调解'}",
                                            cat_code (f, 1), FQ_TEST_GUANGZHOULU,
                                            fq_test_obj_int (fq_test_response_object (first), "rev"));
    g_autoptr(FqTestResponse) t1 = fq_test_client_request (f->w->operator, "POST", path, NULL, tbody, -1, tkey);
    g_autoptr(FqTestResponse) t2 = NULL;
    g_autoptr(FqTestResponse) got = NULL;

    fq_test_assert_status (t1, 200);
    t2 = fq_test_client_request (f->w->operator, "POST", path, NULL, tbody, -1, tkey);
    fq_test_assert_status (t2, 200);
    g_assert_cmpstr (t2->text, ==, t1->text);
    got = fq_test_get (f->w->operator, "/incidents/%s", id);
    g_assert_cmpint (fq_test_obj_int (fq_test_response_object (got), "rev"), ==,
                     fq_test_obj_int (fq_test_obj_obj (fq_test_response_object (t1), "incident"), "rev"));
    g_assert_cmpuint (fq_test_count_audit (f->w->admin, id), ==, 2);
  }
}

static void
test_list_filters (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *token = fq_test_unique ("list");
  g_autofree char *other_community = find_community (f->w->operator, "420202", NULL);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *cursor = NULL;
  guint pages = 0;

  g_assert_nonnull (other_community);

  /* Five incidents an hour apart, the oldest five hours ago. */
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *received = fq_test_time_from_now (-(gint64)(5 - i) * 3600);
      g_autofree char *body = fq_test_jsonf ("{'source':'%s','received_at':'%s','grid':'%s','summary':'列表 %s %u',"
                                             "'category':'%s'}",
                                             i % 2 ? "12345" : "110", received,
                                             i == 4 ? other_community : FQ_TEST_GUANGZHOULU,
                                             token, i, cat_code (f, i == 0 ? 2 : 3));
      g_autoptr(JsonObject) inc = post_incident (f->w->operator, body);

      g_ptr_array_add (ids, g_strdup (fq_test_obj_str (inc, "id")));
    }

  /* Paging, newest first, no repeats, ends with a null cursor. */
  for (;;)
    {
      g_autoptr(FqTestResponse) resp = NULL;
      JsonArray *items;
      const char *next;

      if (cursor != NULL)
        resp = fq_test_get (f->w->operator, "/incidents?q=%s&limit=2&cursor=%s", token, cursor);
      else
        resp = fq_test_get (f->w->operator, "/incidents?q=%s&limit=2", token);
      fq_test_assert_status (resp, 200);
      items = fq_test_obj_array (fq_test_response_object (resp), "incidents");
      g_assert_nonnull (items);
      g_assert_true (json_object_has_member (fq_test_response_object (resp), "next_cursor"));
      g_assert_cmpuint (json_array_get_length (items), <=, 2);
      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          const char *id = fq_test_obj_str (json_array_get_object_element (items, i), "id");
          guint expected_index = 4 - g_hash_table_size (seen);

          g_assert_false (g_hash_table_contains (seen, id));
          g_assert_cmpstr (id, ==, g_ptr_array_index (ids, expected_index));
          g_hash_table_add (seen, g_strdup (id));
        }
      next = fq_test_obj_str (fq_test_response_object (resp), "next_cursor");
      if (next == NULL)
        break;
      g_free (cursor);
      cursor = g_uri_escape_string (next, NULL, TRUE);
      g_assert_cmpuint (++pages, <, 10);
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, 5);

  /* Filters. */
  {
    g_autofree char *q_source = g_strdup_printf ("q=%s&source=12345", token);
    g_autofree char *q_grid = g_strdup_printf ("q=%s&grid=%s", token, FQ_TEST_TUANCHENGSHAN);
    g_autofree char *q_grid_other = g_strdup_printf ("q=%s&grid=%s", token, FQ_TEST_HUANGSHIGANG);
    g_autofree char *q_category = g_strdup_printf ("q=%s&category=%s", token, cat_code (f, 2));
    g_autofree char *q_status = g_strdup_printf ("q=%s&status=new", token);
    g_autofree char *q_status2 = g_strdup_printf ("q=%s&status=triaged", token);
    g_autofree char *from = fq_test_time_from_now (-4 * 3600 - 1800);
    g_autofree char *to = fq_test_time_from_now (-2 * 3600 + 1800);
    g_autofree char *from_e = g_uri_escape_string (from, NULL, TRUE);
    g_autofree char *to_e = g_uri_escape_string (to, NULL, TRUE);
    g_autofree char *q_time = g_strdup_printf ("q=%s&from=%s&to=%s", token, from_e, to_e);

    g_assert_cmpuint (count_listed (f->w->operator, q_source), ==, 2);
    g_assert_cmpuint (count_listed (f->w->operator, q_grid), ==, 4);
    g_assert_cmpuint (count_listed (f->w->operator, q_grid_other), ==, 1);
    g_assert_cmpuint (count_listed (f->w->operator, q_category), ==, 1);
    g_assert_cmpuint (count_listed (f->w->operator, q_status), ==, 5);
    g_assert_cmpuint (count_listed (f->w->operator, q_status2), ==, 0);
    g_assert_cmpuint (count_listed (f->w->operator, q_time), ==, 3);
  }
}

static void
test_scope (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *token = fq_test_unique ("scope");
  g_autofree char *hsg = find_community (f->w->operator, "420202", NULL);
  g_autoptr(FqTestClient) xialu = fq_test_create_user (f->w->admin, "operator", FQ_TEST_XIALU, NULL, NULL);
  g_autofree char *body = NULL;
  g_autoptr(JsonObject) outside = NULL;
  g_autoptr(JsonObject) inside = NULL;
  g_autofree char *q = g_strdup_printf ("q=%s", token);

  g_assert_nonnull (hsg);
  body = fq_test_jsonf ("{'source':'110','grid':'%s','summary':'黄石港区 %s'}", hsg, token);
  outside = post_incident (f->w->operator, body);
  g_free (body);
  body = fq_test_jsonf ("{'source':'110','grid':'%s','summary':'下陆区 %s'}", FQ_TEST_GUANGZHOULU, token);
  inside = post_incident (f->w->operator, body);

  {
    g_autoptr(FqTestResponse) get_out = fq_test_get (xialu, "/incidents/%s", fq_test_obj_str (outside, "id"));
    g_autoptr(FqTestResponse) get_in = fq_test_get (xialu, "/incidents/%s", fq_test_obj_str (inside, "id"));
    g_autoptr(FqTestResponse) missing = fq_test_get (xialu, "/incidents/I000000-999998");
    g_autofree char *path = g_strdup_printf ("/incidents/%s/triage", fq_test_obj_str (outside, "id"));
    g_autoptr(FqTestResponse) triage_out = NULL;

    fq_test_assert_error (get_out, 404, "not_found");
    /* Exactly as a missing one. */
    g_assert_cmpuint (get_out->status, ==, missing->status);
    fq_test_assert_status (get_in, 200);
    g_assert_cmpuint (count_listed (xialu, q), ==, 1);
    g_assert_cmpuint (count_listed (f->w->operator, q), ==, 2);

    triage_out = fq_test_postf (xialu, path, "{'decision':'police','category':'%s','grid':'%s','rev':%" G_GINT64_FORMAT ",'note':'x'}",
                                cat_code (f, 0), hsg, fq_test_obj_int (outside, "rev"));
    fq_test_assert_error (triage_out, 404, "not_found");
  }

  /* The 下陆区 operator cannot put an incident outside its scope; the answer
   * is the one for an unknown place. */
  {
    g_autofree char *b1 = fq_test_jsonf ("{'source':'110','grid':'%s','summary':'越界 %s'}", hsg, token);
    g_autofree char *b2 = fq_test_jsonf ("{'source':'110','grid':'420299999999','summary':'越界 %s'}", token);
    g_autoptr(FqTestResponse) r1 = fq_test_post (xialu, "/incidents", b1);
    g_autoptr(FqTestResponse) r2 = fq_test_post (xialu, "/incidents", b2);

    fq_test_assert_error (r1, 422, "invalid_field");
    g_assert_cmpstr (fq_test_response_error_field (r1), ==, "grid");
    fq_test_assert_error (r2, 422, "invalid_field");
    g_assert_cmpstr (fq_test_response_error_field (r2), ==, "grid");
  }

  /* A grid worker's scope is one community. */
  {
    g_autofree char *neighbour = find_community (f->w->operator, "420204004", FQ_TEST_GUANGZHOULU);
    g_autofree char *b = NULL;
    g_autoptr(FqTestResponse) r = NULL;
    g_autoptr(FqTestResponse) get_out = fq_test_get (f->w->grid, "/incidents/%s", fq_test_obj_str (outside, "id"));

    g_assert_nonnull (neighbour);
    b = fq_test_jsonf ("{'source':'grid','grid':'%s','summary':'隔壁社区 %s'}", neighbour, token);
    r = fq_test_post (f->w->grid, "/incidents", b);
    fq_test_assert_error (r, 422, "invalid_field");
    fq_test_assert_error (get_out, 404, "not_found");
  }
}

static FqTestResponse *
triage (FqTestClient *client,
        JsonObject   *incident,
        const char   *format,
        ...) G_GNUC_PRINTF (3, 4);

static FqTestResponse *
triage (FqTestClient *client,
        JsonObject   *incident,
        const char   *format,
        ...)
{
  g_autofree char *body = NULL;
  g_autofree char *path = g_strdup_printf ("/incidents/%s/triage", fq_test_obj_str (incident, "id"));
  va_list args;

  va_start (args, format);
  body = fq_test_jsonv (format, args);
  va_end (args);

  return fq_test_post (client, path, body);
}

static void
test_triage_decisions (Fixture       *f,
                       gconstpointer  data)
{
  static const char *closing[] = { "police", "on_scene", "mediate" };
  const char *cat = cat_code (f, 4);

  for (guint i = 0; i < G_N_ELEMENTS (closing); i++)
    {
      g_autoptr(JsonObject) inc = fq_test_create_incident (f->w->operator, FQ_TEST_GUANGZHOULU, NULL);
      g_autoptr(FqTestResponse) resp = triage (i == 1 ? f->w->coordinator : f->w->operator, inc,
                                               "{'decision':'%s','category':'%s','grid':'%s','rev':%" G_GINT64_FORMAT ",'note':'处置'}",
                                               closing[i], cat, FQ_TEST_GUANGZHOULU, fq_test_obj_int (inc, "rev"));
      JsonObject *out;

      fq_test_assert_status (resp, 200);
      out = fq_test_obj_obj (fq_test_response_object (resp), "incident");
      g_assert_nonnull (out);
      g_assert_true (json_object_has_member (fq_test_response_object (resp), "ticket"));
      g_assert_true (fq_test_obj_is_null (fq_test_response_object (resp), "ticket"));
      g_assert_cmpstr (fq_test_obj_str (out, "status"), ==, "triaged");
      g_assert_cmpstr (fq_test_obj_str (out, "decision"), ==, closing[i]);
      g_assert_cmpstr (fq_test_obj_str (out, "category"), ==, cat);
      g_assert_true (fq_test_obj_is_null (out, "ticket"));
      g_assert_cmpint (fq_test_obj_int (out, "rev"), >, fq_test_obj_int (inc, "rev"));
    }

  /* Divert: a dispatched ticket. */
  {
    g_autoptr(JsonObject) inc = fq_test_create_incident (f->w->operator, FQ_TEST_GUANGZHOULU, NULL);
    g_autoptr(FqTestResponse) resp = triage (f->w->operator, inc,
                                             "{'decision':'divert','category':'%s','grid':'%s','rev':%" G_GINT64_FORMAT ",'note':'分流'}",
                                             cat, FQ_TEST_GUANGZHOULU, fq_test_obj_int (inc, "rev"));
    JsonObject *out, *ticket;
    static const char *ticket_members[] = {
      "id", "title", "category", "grid", "tier", "lead_unit", "assisting_units", "state", "incidents",
      "created_at", "dispatched_at", "accepted_at", "resolved_at", "closed_at", "deadline", "overdue",
      "satisfaction", "returned_count", "reopened_count", "repeat_count", "rev",
    };

    fq_test_assert_status (resp, 200);
    out = fq_test_obj_obj (fq_test_response_object (resp), "incident");
    ticket = fq_test_obj_obj (fq_test_response_object (resp), "ticket");
    g_assert_nonnull (ticket);
    for (guint i = 0; i < G_N_ELEMENTS (ticket_members); i++)
      if (!json_object_has_member (ticket, ticket_members[i]))
        g_error ("ticket lacks \"%s\"", ticket_members[i]);
    g_assert_cmpstr (fq_test_obj_str (out, "decision"), ==, "divert");
    g_assert_cmpstr (fq_test_obj_str (out, "status"), ==, "triaged");
    g_assert_cmpstr (fq_test_obj_str (out, "ticket"), ==, fq_test_obj_str (ticket, "id"));
    g_assert_cmpstr (fq_test_obj_str (ticket, "state"), ==, "dispatched");
    g_assert_true (fq_test_array_has_string (fq_test_obj_array (ticket, "incidents"), fq_test_obj_str (inc, "id")));
    g_assert_nonnull (fq_test_obj_str (ticket, "lead_unit"));
    g_assert_nonnull (fq_test_obj_str (ticket, "deadline"));
    g_assert_false (fq_test_obj_bool (ticket, "overdue"));
    g_assert_cmpstr (fq_test_obj_str (ticket, "category"), ==, cat);

    /* Deadline = dispatch + the category's hours. */
    {
      JsonObject *c = fq_test_pick_category (f->w->operator, FALSE, 4);
      g_autoptr(GDateTime) d = g_date_time_new_from_iso8601 (fq_test_obj_str (ticket, "dispatched_at"), NULL);
      g_autoptr(GDateTime) dl = g_date_time_new_from_iso8601 (fq_test_obj_str (ticket, "deadline"), NULL);

      g_assert_nonnull (d);
      g_assert_nonnull (dl);
      g_assert_cmpint (g_date_time_to_unix (dl) - g_date_time_to_unix (d), ==,
                       fq_test_obj_int (c, "deadline_hours") * 3600);
      g_assert_cmpstr (fq_test_obj_str (ticket, "tier"), ==, fq_test_obj_str (c, "tier"));
    }

    /* Triaged once: a second triage is refused. */
    {
      g_autoptr(FqTestResponse) again = triage (f->w->operator, out,
                                                "{'decision':'police','category':'%s','grid':'%s','rev':%" G_GINT64_FORMAT ",'note':'x'}",
                                                cat, FQ_TEST_GUANGZHOULU, fq_test_obj_int (out, "rev"));

      g_assert_cmpuint (again->status, ==, 409);
    }
  }

  /* Merge needs a ticket; then attaches. */
  {
    g_autoptr(JsonObject) ticket = fq_test_create_ticket (f->w->operator, f->w->operator, FQ_TEST_GUANGZHOULU, cat, NULL);
    /* Received before the ticket's own call (a call logged late): it
     * comes first among the ticket's incidents, which are oldest first. */
    g_autofree char *earlier = fq_test_time_from_now (-3600);
    g_autofree char *received = g_strdup_printf ("\"received_at\":\"%s\"", earlier);
    g_autoptr(JsonObject) inc = fq_test_create_incident (f->w->operator, FQ_TEST_GUANGZHOULU, received);
    g_autoptr(FqTestResponse) no_ticket = triage (f->w->operator, inc,
                                                  "{'decision':'merge','category':'%s','grid':'%s','rev':%" G_GINT64_FORMAT ",'note':'x'}",
                                                  cat, FQ_TEST_GUANGZHOULU, fq_test_obj_int (inc, "rev"));
    g_autoptr(FqTestResponse) bad_ticket = triage (f->w->operator, inc,
                                                   "{'decision':'merge','category':'%s','grid':'%s','rev':%" G_GINT64_FORMAT ",'note':'x','ticket':'T000000-999999'}",
                                                   cat, FQ_TEST_GUANGZHOULU, fq_test_obj_int (inc, "rev"));
    g_autoptr(FqTestResponse) merged = NULL;
    JsonObject *t;

    fq_test_assert_error (no_ticket, 422, "invalid_field");
    g_assert_cmpstr (fq_test_response_error_field (no_ticket), ==, "ticket");
    g_assert_cmpuint (bad_ticket->status, ==, 422);
    g_assert_cmpstr (fq_test_response_error_field (bad_ticket), ==, "ticket");

    merged = triage (f->w->operator, inc,
                     "{'decision':'merge','category':'%s','grid':'%s','rev':%" G_GINT64_FORMAT ",'note':'同一事项','ticket':'%s'}",
                     cat, FQ_TEST_GUANGZHOULU, fq_test_obj_int (inc, "rev"), fq_test_obj_str (ticket, "id"));
    fq_test_assert_status (merged, 200);
    t = fq_test_obj_obj (fq_test_response_object (merged), "ticket");
    g_assert_cmpstr (fq_test_obj_str (t, "id"), ==, fq_test_obj_str (ticket, "id"));
    g_assert_true (fq_test_array_has_string (fq_test_obj_array (t, "incidents"), fq_test_obj_str (inc, "id")));
    g_assert_cmpuint (json_array_get_length (fq_test_obj_array (t, "incidents")), ==, 2);
    g_assert_cmpint (fq_test_obj_int (t, "repeat_count"), ==, 1);
    /* In the answer and in a read from the database. */
    {
      g_autoptr(FqTestResponse) read = fq_test_get (f->w->operator, "/tickets/%s", fq_test_obj_str (ticket, "id"));
      const char *original = json_array_get_string_element (fq_test_obj_array (ticket, "incidents"), 0);
      JsonArray *answered = fq_test_obj_array (t, "incidents");
      JsonArray *stored;

      fq_test_assert_status (read, 200);
      stored = fq_test_obj_array (fq_test_response_object (read), "incidents");
      g_assert_cmpstr (json_array_get_string_element (answered, 0), ==, fq_test_obj_str (inc, "id"));
      g_assert_cmpstr (json_array_get_string_element (answered, 1), ==, original);
      g_assert_cmpuint (json_array_get_length (stored), ==, 2);
      g_assert_cmpstr (json_array_get_string_element (stored, 0), ==, fq_test_obj_str (inc, "id"));
      g_assert_cmpstr (json_array_get_string_element (stored, 1), ==, original);
    }
    g_assert_cmpstr (fq_test_obj_str (fq_test_obj_obj (fq_test_response_object (merged), "incident"), "ticket"), ==,
                     fq_test_obj_str (ticket, "id"));
  }
}

static void
test_triage_roles_and_rev (Fixture       *f,
                           gconstpointer  data)
{
  const char *cat = cat_code (f, 5);
  g_autoptr(JsonObject) inc = fq_test_create_incident (f->w->operator, FQ_TEST_GUANGZHOULU, NULL);
  FqTestClient *not_allowed[] = { f->w->leader, f->w->unit, f->w->grid };
  gint64 rev = fq_test_obj_int (inc, "rev");
  gint64 seq;

  for (guint i = 0; i < G_N_ELEMENTS (not_allowed); i++)
    {
      g_autoptr(FqTestResponse) resp = triage (not_allowed[i], inc,
                                               "{'decision':'mediate','category':'%s','grid':'%s','rev':%" G_GINT64_FORMAT ",'note':'x'}",
                                               cat, FQ_TEST_GUANGZHOULU, rev);

      fq_test_assert_error (resp, 403, "forbidden");
    }

  seq = fq_test_last_seq (f->w->operator);
  {
    g_autoptr(FqTestResponse) stale = triage (f->w->operator, inc,
                                              "{'decision':'mediate','category':'%s','grid':'%s','rev':%" G_GINT64_FORMAT ",'note':'x'}",
                                              cat, FQ_TEST_GUANGZHOULU, rev + 7);
    g_autoptr(FqTestResponse) got = fq_test_get (f->w->operator, "/incidents/%s", fq_test_obj_str (inc, "id"));

    fq_test_assert_error (stale, 409, "stale_rev");
    g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (got), "status"), ==, "new");
    g_assert_cmpint (fq_test_obj_int (fq_test_response_object (got), "rev"), ==, rev);
    g_assert_cmpint (fq_test_last_seq (f->w->operator), ==, seq);
  }
}

static void
test_police_only (Fixture       *f,
                  gconstpointer  data)
{
  const char *police = fq_test_obj_str (fq_test_pick_category (f->w->operator, TRUE, 0), "code");
  static const char *refused[] = { "divert", "on_scene", "mediate" };
  g_autoptr(JsonObject) inc = fq_test_create_incident (f->w->operator, FQ_TEST_GUANGZHOULU, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(FqTestResponse) resp = triage (f->w->operator, inc,
                                               "{'decision':'%s','category':'%s','grid':'%s','rev':%" G_GINT64_FORMAT ",'note':'x'}",
                                               refused[i], police, FQ_TEST_GUANGZHOULU, fq_test_obj_int (inc, "rev"));

      fq_test_assert_error (resp, 422, "police_only_category");
    }

  {
    g_autoptr(FqTestResponse) ok = triage (f->w->operator, inc,
                                           "{'decision':'police','category':'%s','grid':'%s','rev':%" G_GINT64_FORMAT ",'note':'警务'}",
                                           police, FQ_TEST_GUANGZHOULU, fq_test_obj_int (inc, "rev"));

    fq_test_assert_status (ok, 200);
    g_assert_cmpstr (fq_test_obj_str (fq_test_obj_obj (fq_test_response_object (ok), "incident"), "decision"), ==, "police");
  }
}

/* The unit the data's rule gives: the lead unit kind's unit covering the
 * place itself or its nearest ancestor. */
static char *
expected_lead_unit (FqTestClient *client,
                    const char   *kind,
                    const char   *grid)
{
  g_autoptr(FqTestResponse) nodes_resp = fq_test_get (client, "/grid");
  g_autoptr(FqTestResponse) units_resp = fq_test_get (client, "/units");
  g_autoptr(GHashTable) parents = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) units = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *nodes = fq_test_obj_array (fq_test_response_object (nodes_resp), "nodes");
  JsonArray *us = fq_test_obj_array (fq_test_response_object (units_resp), "units");
  const char *code = grid;

  for (guint i = 0; i < json_array_get_length (nodes); i++)
    {
      JsonObject *n = json_array_get_object_element (nodes, i);

      g_hash_table_insert (parents, (char *)fq_test_obj_str (n, "code"), (char *)fq_test_obj_str (n, "parent"));
    }
  for (guint i = 0; i < json_array_get_length (us); i++)
    g_hash_table_add (units, (char *)fq_test_obj_str (json_array_get_object_element (us, i), "id"));

  for (guint depth = 0; code != NULL && depth < 8; depth++)
    {
      g_autofree char *id = g_strdup_printf ("%s-%s", kind, code);

      if (g_hash_table_contains (units, id))
        return g_steal_pointer (&id);
      code = g_hash_table_lookup (parents, code);
    }

  return NULL;
}

static void
test_lead_unit (Fixture       *f,
                gconstpointer  data)
{
  static const char *kinds[] = { "street_office", "community", "urban_management", "housing", "mediation" };
  guint tested = 0;

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      JsonObject *cat = fq_test_find_category_by_lead (f->w->operator, kinds[i], 0);
      g_autofree char *expected = NULL;
      g_autoptr(JsonObject) ticket = NULL;

      if (cat == NULL)
        continue;
      expected = expected_lead_unit (f->w->operator, kinds[i], FQ_TEST_GUANGZHOULU);
      g_assert_nonnull (expected);
      ticket = fq_test_create_ticket (f->w->operator, f->w->operator, FQ_TEST_GUANGZHOULU,
                                      fq_test_obj_str (cat, "code"), NULL);
      g_assert_cmpstr (fq_test_obj_str (ticket, "lead_unit"), ==, expected);
      tested++;
    }
  g_assert_cmpuint (tested, >=, 3);

  /* Given explicitly, it wins. */
  {
    JsonObject *cat = fq_test_find_category_by_lead (f->w->operator, "community", 0);
    g_autoptr(JsonObject) ticket = fq_test_create_ticket (f->w->operator, f->w->operator, FQ_TEST_GUANGZHOULU,
                                                          fq_test_obj_str (cat, "code"), FQ_TEST_UNIT_STREET);

    g_assert_cmpstr (fq_test_obj_str (ticket, "lead_unit"), ==, FQ_TEST_UNIT_STREET);
  }
}

static void
test_repeat_phone (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *phone = unique_phone ();
  g_autofree char *phone2 = unique_phone ();
  g_autofree char *phone3 = unique_phone ();
  g_autofree char *t = fq_test_unique ("");
  g_autofree char *a1 = g_strdup_printf ("广州路 %s 号", t);
  g_autofree char *a2 = g_strdup_printf ("团城山 %s 栋", t);
  g_autofree char *a3 = g_strdup_printf ("新下陆 %s 室", t);
  g_autofree char *a4 = g_strdup_printf ("老下陆 %s 室", t);
  g_autofree char *neighbour = find_community (f->w->operator, "420204004", FQ_TEST_GUANGZHOULU);
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autoptr(JsonObject) third = NULL;

  /* Same phone, same community, 29 days apart, nothing else alike. */
  first = post_call (f->w->operator, FQ_TEST_GUANGZHOULU, phone, a1, cat_code (f, 10), "家里漏水找不到物业", 29);
  g_assert_true (fq_test_obj_is_null (first, "repeat_of"));
  second = post_call (f->w->operator, FQ_TEST_GUANGZHOULU, phone, a2, cat_code (f, 11), "邻居养狗夜里吵", 0);
  g_assert_cmpstr (fq_test_obj_str (second, "repeat_of"), ==, fq_test_obj_str (first, "id"));
  g_assert_cmpuint (json_array_get_length (fq_test_obj_array (second, "repeat_candidates")), >=, 1);

  /* The chain: a third call points at the first, not at the second. */
  third = post_call (f->w->operator, FQ_TEST_GUANGZHOULU, phone, a3, cat_code (f, 12), "还是没人管", 0);
  g_assert_cmpstr (fq_test_obj_str (third, "repeat_of"), ==, fq_test_obj_str (first, "id"));

  /* Just outside the window: 31 days. */
  {
    g_autoptr(JsonObject) old = post_call (f->w->operator, FQ_TEST_GUANGZHOULU, phone2, a4, cat_code (f, 13), "路灯坏了", 31);
    g_autoptr(JsonObject) now = post_call (f->w->operator, FQ_TEST_GUANGZHOULU, phone2, a1, cat_code (f, 14), "垃圾没人清", 0);

    g_assert_true (fq_test_obj_is_null (now, "repeat_of"));
    (void)old;
  }

  /* Same phone in another community. */
  {
    g_autoptr(JsonObject) here = NULL;
    g_autoptr(JsonObject) there = NULL;
    g_autofree char *b1 = g_strdup_printf ("甲 %s", t);
    g_autofree char *b2 = g_strdup_printf ("乙 %s", t);

    g_assert_nonnull (neighbour);
    here = post_call (f->w->operator, FQ_TEST_GUANGZHOULU, phone3, b1, cat_code (f, 15), "树枝挡住窗户", 3);
    there = post_call (f->w->operator, neighbour, phone3, b2, cat_code (f, 16), "小区停车乱收费", 0);
    g_assert_true (fq_test_obj_is_null (there, "repeat_of"));
  }
}

static void
test_repeat_address (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *t = fq_test_unique ("");
  g_autofree char *address = g_strdup_printf ("黄石市下陆区团城山街道广州路 %s 号 3 栋 2 单元", t);
  g_autofree char *same_normalised = g_strdup_printf ("黄石市 下陆区，团城山街道广州路%s号3栋2单元。", t);
  g_autofree char *old_address = g_strdup_printf ("杭州西路 %s 号", t);
  const char *cat = cat_code (f, 20);
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autofree char *p1 = unique_phone ();
  g_autofree char *p2 = unique_phone ();
  g_autofree char *p3 = unique_phone ();
  g_autofree char *p4 = unique_phone ();
  g_autofree char *p5 = unique_phone ();

  /* 20 days apart (outside the summary rule's 7 days), other phones. */
  first = post_call (f->w->operator, FQ_TEST_GUANGZHOULU, p1, address, cat, "楼道堆满杂物", 20);
  second = post_call (f->w->operator, FQ_TEST_GUANGZHOULU, p2, same_normalised, cat, "消防通道又被堵", 0);
  g_assert_cmpstr (fq_test_obj_str (second, "repeat_of"), ==, fq_test_obj_str (first, "id"));

  /* Same address, another category. */
  {
    g_autoptr(JsonObject) other = post_call (f->w->operator, FQ_TEST_GUANGZHOULU, p3, address, cat_code (f, 21),
                                             "家里老人走失", 0);

    g_assert_true (fq_test_obj_is_null (other, "repeat_of"));
  }

  /* Same address and category, 31 days ago. */
  {
    g_autoptr(JsonObject) old = post_call (f->w->operator, FQ_TEST_GUANGZHOULU, p4, old_address, cat_code (f, 22),
                                           "下水道堵塞", 31);
    g_autoptr(JsonObject) now = post_call (f->w->operator, FQ_TEST_GUANGZHOULU, p5, old_address, cat_code (f, 22),
                                           "门口积水严重", 0);

    g_assert_true (fq_test_obj_is_null (now, "repeat_of"));
    (void)old;
  }
}

static void
test_repeat_summary (Fixture       *f,
                     gconstpointer  data)
{
  const char *similar_a = "广州路小区楼上邻居每天深夜噪音扰民";
  const char *similar_b = "广州路小区楼上邻居深夜噪音扰民严重";
  const char *dissimilar = "广州路小区门口摊贩占道经营影响通行";
  const char *cat = cat_code (f, 30);
  const char *cat_old = cat_code (f, 31);
  g_autofree char *t = fq_test_unique ("");
  g_autoptr(JsonObject) first = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autoptr(GPtrArray) phones = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) addresses = g_ptr_array_new_with_free_func (g_free);
  char **p, **a;

  for (guint i = 0; i < 6; i++)
    {
      g_ptr_array_add (phones, unique_phone ());
      g_ptr_array_add (addresses, g_strdup_printf ("地址 %s-%u", t, i));
    }
  p = (char **)phones->pdata;
  a = (char **)addresses->pdata;

  /* The pairs really are on either side of the documented threshold. */
  g_assert_cmpfloat (fq_repeat_similarity (similar_a, similar_b), >=, FQ_REPEAT_SIMILARITY_THRESHOLD);
  g_assert_cmpfloat (fq_repeat_similarity (similar_a, dissimilar), <, FQ_REPEAT_SIMILARITY_THRESHOLD);

  first = post_call (f->w->operator, FQ_TEST_GUANGZHOULU, p[0], a[0], cat, similar_a, 6);
  second = post_call (f->w->operator, FQ_TEST_GUANGZHOULU, p[1], a[1], cat, similar_b, 0);
  g_assert_cmpstr (fq_test_obj_str (second, "repeat_of"), ==, fq_test_obj_str (first, "id"));

  /* Below the threshold, same community and category, within 7 days. */
  {
    g_autoptr(JsonObject) other = post_call (f->w->operator, FQ_TEST_GUANGZHOULU, p[2], a[2], cat, dissimilar, 0);

    g_assert_true (fq_test_obj_is_null (other, "repeat_of"));
  }

  /* Identical summaries 8 days apart. */
  {
    g_autoptr(JsonObject) old = post_call (f->w->operator, FQ_TEST_GUANGZHOULU, p[3], a[3], cat_old, similar_a, 8);
    g_autoptr(JsonObject) now = post_call (f->w->operator, FQ_TEST_GUANGZHOULU, p[4], a[4], cat_old, similar_a, 0);

    g_assert_true (fq_test_obj_is_null (now, "repeat_of"));
    (void)old;
  }
}

static void
test_repeat_candidates_and_not_repeat (Fixture       *f,
                                       gconstpointer  data)
{
  g_autofree char *phone = unique_phone ();
  g_autofree char *t = fq_test_unique ("");
  g_autofree char *a1 = g_strdup_printf ("候选 %s 一", t);
  g_autofree char *a2 = g_strdup_printf ("候选 %s 二", t);
  const char *cat = cat_code (f, 40);
  g_autoptr(JsonObject) first = post_call (f->w->operator, FQ_TEST_GUANGZHOULU, phone, a1, cat, "隔壁装修砸墙", 2);
  g_autoptr(FqTestResponse) div = triage (f->w->operator, first,
                                          "{'decision':'divert','category':'%s','grid':'%s','rev':%" G_GINT64_FORMAT ",'note':'分流'}",
                                          cat, FQ_TEST_GUANGZHOULU, fq_test_obj_int (first, "rev"));
  const char *ticket_id;
  g_autoptr(JsonObject) second = NULL;
  JsonArray *cands;
  gboolean offered = FALSE;

  fq_test_assert_status (div, 200);
  ticket_id = fq_test_obj_str (fq_test_obj_obj (fq_test_response_object (div), "ticket"), "id");
  g_assert_nonnull (ticket_id);

  second = post_call (f->w->operator, FQ_TEST_GUANGZHOULU, phone, a2, cat_code (f, 41), "又在砸墙了", 0);
  g_assert_cmpstr (fq_test_obj_str (second, "repeat_of"), ==, fq_test_obj_str (first, "id"));
  cands = fq_test_obj_array (second, "repeat_candidates");
  g_assert_nonnull (cands);
  for (guint i = 0; i < json_array_get_length (cands); i++)
    {
      JsonObject *c = json_array_get_object_element (cands, i);

      g_assert_true (json_object_has_member (c, "score"));
      if (g_strcmp0 (fq_test_obj_str (c, "incident"), fq_test_obj_str (first, "id")) == 0)
        {
          offered = TRUE;
          g_assert_cmpstr (fq_test_obj_str (c, "ticket"), ==, ticket_id);
          g_assert_cmpfloat (json_object_get_double_member (c, "score"), >, 0.0);
          g_assert_cmpfloat (json_object_get_double_member (c, "score"), <=, 1.0);
        }
    }
  g_assert_true (offered);

  /* An operator clears the wrong match. */
  {
    g_autofree char *path = g_strdup_printf ("/incidents/%s/not_repeat", fq_test_obj_str (second, "id"));
    g_autofree char *body = fq_test_jsonf ("{'rev':%" G_GINT64_FORMAT "}", fq_test_obj_int (second, "rev"));
    g_autoptr(FqTestResponse) resp = fq_test_post (f->w->operator, path, body);
    g_autoptr(FqTestResponse) got = fq_test_get (f->w->operator, "/incidents/%s", fq_test_obj_str (second, "id"));
    g_autoptr(FqTestResponse) leader = fq_test_post (f->w->leader, path, body);

    fq_test_assert_status (resp, 200);
    g_assert_true (fq_test_obj_is_null (fq_test_response_object (resp), "repeat_of"));
    g_assert_true (fq_test_obj_is_null (fq_test_response_object (got), "repeat_of"));
    g_assert_cmpint (fq_test_obj_int (fq_test_response_object (got), "rev"), >, fq_test_obj_int (second, "rev"));
    fq_test_assert_error (leader, 403, "forbidden");
  }
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  fq_test_require_server_binary ();

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/server/incidents/create", test_create);
  ADD ("/server/incidents/external-id-dedup", test_external_id_dedup);
  ADD ("/server/incidents/idempotency", test_idempotency);
  ADD ("/server/incidents/list-filters", test_list_filters);
  ADD ("/server/incidents/scope", test_scope);
  ADD ("/server/incidents/triage-decisions", test_triage_decisions);
  ADD ("/server/incidents/triage-roles-and-rev", test_triage_roles_and_rev);
  ADD ("/server/incidents/police-only", test_police_only);
  ADD ("/server/incidents/lead-unit", test_lead_unit);
  ADD ("/server/incidents/repeat-phone", test_repeat_phone);
  ADD ("/server/incidents/repeat-address", test_repeat_address);
  ADD ("/server/incidents/repeat-summary", test_repeat_summary);
  ADD ("/server/incidents/repeat-candidates-not-repeat", test_repeat_candidates_and_not_repeat);

  ret = g_test_run ();
  fq_test_world_free ();

  return ret;
}
