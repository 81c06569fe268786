/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Health, sign-in, tokens, roles, users administration, reference data and
 * audit, over real HTTP against a demo server (API.md "Health and auth",
 * "Reference data", "Administration").
 */

#include "config.h"

#include <string.h>
#include <sqlite3.h>

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

static void
assert_user_object (JsonObject *user)
{
  g_assert_nonnull (user);
  g_assert_nonnull (fq_test_obj_str (user, "username"));
  g_assert_nonnull (fq_test_obj_str (user, "display_name"));
  g_assert_nonnull (fq_test_obj_str (user, "role"));
  g_assert_nonnull (fq_test_obj_str (user, "scope"));
  g_assert_true (json_object_has_member (user, "unit"));
  g_assert_false (json_object_has_member (user, "password"));
  g_assert_false (json_object_has_member (user, "password_hash"));
}

static void
test_health (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(FqTestResponse) resp = fq_test_get (f->w->anonymous, "/health");
  JsonObject *root;

  fq_test_assert_status (resp, 200);
  g_assert_true (g_str_has_prefix (resp->content_type, "application/json"));
  root = fq_test_response_object (resp);
  g_assert_cmpstr (fq_test_obj_str (root, "status"), ==, "ok");
  g_assert_nonnull (fq_test_obj_str (root, "version"));
  g_assert_true (json_object_has_member (root, "last_seq"));
  g_assert_cmpint (fq_test_obj_int (root, "last_seq"), >=, 0);
  /* The default acceptance limit, two hours (test-sla.c: a set one). */
  g_assert_cmpint (fq_test_obj_int (root, "accept_limit_seconds"), ==, 2 * 3600);
}

static void
test_login (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(FqTestClient) c = fq_test_client_new (fq_test_server_get_url (f->w->server));
  g_autoptr(FqTestResponse) resp = fq_test_client_login (c, "operator", FQ_TEST_DEMO_PASSWORD);
  g_autoptr(FqTestResponse) me = NULL;
  JsonObject *root, *user;
  gint64 expires = 0;

  fq_test_assert_status (resp, 200);
  root = fq_test_response_object (resp);
  g_assert_nonnull (fq_test_obj_str (root, "token"));
  g_assert_cmpuint (strlen (fq_test_obj_str (root, "token")), >=, 16);
  g_assert_nonnull (fq_test_obj_str (root, "expires_at"));
  {
    g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (fq_test_obj_str (root, "expires_at"), NULL);

    g_assert_nonnull (dt);
    expires = g_date_time_to_unix (dt);
  }
  g_assert_cmpint (expires, >, g_get_real_time () / G_USEC_PER_SEC);
  user = fq_test_obj_obj (root, "user");
  assert_user_object (user);
  g_assert_cmpstr (fq_test_obj_str (user, "username"), ==, "operator");
  g_assert_cmpstr (fq_test_obj_str (user, "role"), ==, "operator");

  me = fq_test_get (c, "/me");
  fq_test_assert_status (me, 200);
  g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (me), "username"), ==, "operator");
}

static void
test_me_demo_users (Fixture       *f,
                    gconstpointer  data)
{
  static const struct { const char *user, *role, *scope, *unit; } expected[] = {
    { "admin", "admin", FQ_TEST_CITY, NULL },
    { "operator", "operator", FQ_TEST_CITY, NULL },
    { "coordinator", "coordinator", FQ_TEST_CITY, NULL },
    { "leader", "leader", FQ_TEST_CITY, NULL },
    { "unit", "unit", NULL, FQ_TEST_UNIT_STREET },
    { "grid", "grid_worker", FQ_TEST_GUANGZHOULU, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      FqTestClient *c = fq_test_world_client_for_role (f->w, expected[i].role);
      g_autoptr(FqTestResponse) resp = fq_test_get (c, "/me");
      JsonObject *user;

      fq_test_assert_status (resp, 200);
      user = fq_test_response_object (resp);
      assert_user_object (user);
      g_assert_cmpstr (fq_test_obj_str (user, "username"), ==, expected[i].user);
      g_assert_cmpstr (fq_test_obj_str (user, "role"), ==, expected[i].role);
      if (expected[i].scope != NULL)
        g_assert_cmpstr (fq_test_obj_str (user, "scope"), ==, expected[i].scope);
      if (expected[i].unit != NULL)
        g_assert_cmpstr (fq_test_obj_str (user, "unit"), ==, expected[i].unit);
      else
        g_assert_true (fq_test_obj_is_null (user, "unit"));
    }
}

static void
test_login_wrong (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(FqTestClient) c = fq_test_client_new (fq_test_server_get_url (f->w->server));
  g_autoptr(FqTestResponse) wrong_pw = NULL;
  g_autoptr(FqTestResponse) no_user = NULL;
  g_autoptr(FqTestResponse) me = NULL;

  /* The coordinator's password, wrong once: far from the lock-out. */
  wrong_pw = fq_test_client_login (c, "coordinator", "not-the-password");
  fq_test_assert_error (wrong_pw, 401, "unauthenticated");
  no_user = fq_test_client_login (c, "nobody-such", "not-the-password");
  fq_test_assert_error (no_user, 401, "unauthenticated");
  /* Alike: nothing tells a missing user from a wrong password. */
  g_assert_cmpstr (fq_test_obj_str (fq_test_obj_obj (fq_test_response_object (wrong_pw), "error"), "message"),
                   ==,
                   fq_test_obj_str (fq_test_obj_obj (fq_test_response_object (no_user), "error"), "message"));
  g_assert_null (fq_test_client_get_token (c));

  me = fq_test_get (c, "/me");
  fq_test_assert_error (me, 401, "unauthenticated");
}

static void
test_unauthenticated (Fixture       *f,
                      gconstpointer  data)
{
  static const char *paths[] = {
    "/me", "/incidents", "/tickets", "/grid", "/categories", "/units",
    "/changes?since=0", "/users", "/audit",
  };
  static const char *tokens[] = { NULL, "not-a-token", "", "Zm9vYmFy" };
  g_autoptr(FqTestClient) c = fq_test_client_new (fq_test_server_get_url (f->w->server));

  for (guint t = 0; t < G_N_ELEMENTS (tokens); t++)
    {
      fq_test_client_set_token (c, tokens[t]);
      for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
        {
          g_autoptr(FqTestResponse) resp = fq_test_get (c, "%s", paths[i]);

          fq_test_assert_error (resp, 401, "unauthenticated");
        }
      {
        g_autoptr(FqTestResponse) resp = fq_test_postf (c, "/incidents",
                                                        "{'source':'110','grid':'%s','summary':'x'}",
                                                        FQ_TEST_GUANGZHOULU);

        fq_test_assert_error (resp, 401, "unauthenticated");
      }
    }

  /* Another scheme than Bearer. */
  {
    g_autoptr(SoupMessage) msg = NULL;
    g_autofree char *uri = g_strconcat (fq_test_server_get_url (f->w->server), "/api/v1/me", NULL);
    g_autoptr(GBytes) body = NULL;

    msg = soup_message_new ("GET", uri);
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                  "Basic b3BlcmF0b3I6ZGVtbw==");
    body = soup_session_send_and_read (fq_test_client_get_session (c), msg, NULL, NULL);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 401);
  }
}

static void
test_logout (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(FqTestClient) c = fq_test_client_new_login (fq_test_server_get_url (f->w->server),
                                                       "operator", FQ_TEST_DEMO_PASSWORD);
  g_autoptr(FqTestResponse) me = fq_test_get (c, "/me");
  g_autoptr(FqTestResponse) out = NULL;
  g_autoptr(FqTestResponse) me2 = NULL;
  g_autoptr(FqTestResponse) other = NULL;
  g_autoptr(FqTestResponse) again = NULL;

  fq_test_assert_status (me, 200);
  out = fq_test_post (c, "/auth/logout", NULL);
  fq_test_assert_status (out, 204);
  g_assert_cmpuint (g_bytes_get_size (out->body), ==, 0);

  me2 = fq_test_get (c, "/me");
  fq_test_assert_error (me2, 401, "unauthenticated");
  again = fq_test_post (c, "/auth/logout", NULL);
  fq_test_assert_error (again, 401, "unauthenticated");

  /* Only that token: the shared operator session still works. */
  other = fq_test_get (f->w->operator, "/me");
  fq_test_assert_status (other, 200);
}

static void
test_lockout (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *username = NULL;
  g_autoptr(FqTestClient) user = fq_test_create_user (f->w->admin, "operator", FQ_TEST_XIALU, NULL, &username);
  g_autoptr(FqTestClient) c = fq_test_client_new (fq_test_server_get_url (f->w->server));
  g_autofree char *password = g_strdup_printf ("password-%s", username);
  g_autoptr(FqTestResponse) locked = NULL;
  g_autoptr(FqTestResponse) locked_right = NULL;
  g_autoptr(FqTestResponse) other = NULL;
  g_autoptr(FqTestResponse) still = NULL;

  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(FqTestResponse) resp = fq_test_client_login (c, username, "wrong-password");

      fq_test_assert_error (resp, 401, "unauthenticated");
    }

  locked = fq_test_client_login (c, username, "wrong-password");
  fq_test_assert_error (locked, 429, "rate_limited");
  /* Locked out: even the right password is refused for now. */
  locked_right = fq_test_client_login (c, username, password);
  fq_test_assert_error (locked_right, 429, "rate_limited");
  g_assert_null (fq_test_client_get_token (c));

  /* Per username: others sign in as before, and a session that existed
   * keeps working. */
  {
    g_autoptr(FqTestClient) c2 = fq_test_client_new (fq_test_server_get_url (f->w->server));

    other = fq_test_client_login (c2, "coordinator", FQ_TEST_DEMO_PASSWORD);
    fq_test_assert_status (other, 200);
  }
  still = fq_test_get (user, "/me");
  fq_test_assert_status (still, 200);
}

static void
test_forbidden (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(FqTestResponse) leader_post = NULL;
  g_autoptr(FqTestResponse) unit_post = NULL;
  g_autoptr(FqTestResponse) coordinator_post = NULL;
  g_autoptr(FqTestResponse) op_user = NULL;
  g_autoptr(FqTestResponse) op_users = NULL;
  g_autoptr(FqTestResponse) leader_audit = NULL;
  g_autoptr(FqTestResponse) coordinator_audit = NULL;
  g_autoptr(FqTestResponse) op_action = NULL;

  leader_post = fq_test_postf (f->w->leader, "/incidents",
                               "{'source':'110','grid':'%s','summary':'领导不能报警情'}", FQ_TEST_GUANGZHOULU);
  fq_test_assert_error (leader_post, 403, "forbidden");
  unit_post = fq_test_postf (f->w->unit, "/incidents",
                             "{'source':'110','grid':'%s','summary':'单位不能报警情'}", FQ_TEST_GUANGZHOULU);
  fq_test_assert_error (unit_post, 403, "forbidden");
  coordinator_post = fq_test_postf (f->w->coordinator, "/incidents",
                                    "{'source':'110','grid':'%s','summary':'协调员不能报警情'}", FQ_TEST_GUANGZHOULU);
  fq_test_assert_error (coordinator_post, 403, "forbidden");

  op_user = fq_test_postf (f->w->operator, "/users",
                           "{'username':'sneaky','display_name':'x','password':'password-1234',"
                           "'role':'admin','scope':'%s'}", FQ_TEST_CITY);
  fq_test_assert_error (op_user, 403, "forbidden");
  op_users = fq_test_get (f->w->operator, "/users");
  fq_test_assert_error (op_users, 403, "forbidden");
  op_action = fq_test_post (f->w->operator, "/users/operator/actions",
                            "{\"action\":\"set_role\",\"role\":\"admin\"}");
  fq_test_assert_error (op_action, 403, "forbidden");
  leader_audit = fq_test_get (f->w->leader, "/audit");
  fq_test_assert_error (leader_audit, 403, "forbidden");
  coordinator_audit = fq_test_get (f->w->coordinator, "/audit");
  fq_test_assert_error (coordinator_audit, 403, "forbidden");

  /* Nothing of that was created. */
  {
    g_autoptr(FqTestClient) c = fq_test_client_new (fq_test_server_get_url (f->w->server));
    g_autoptr(FqTestResponse) login = fq_test_client_login (c, "sneaky", "password-1234");

    fq_test_assert_error (login, 401, "unauthenticated");
  }
}

static JsonObject *
find_user (FqTestClient *admin,
           const char   *username)
{
  g_autoptr(FqTestResponse) resp = fq_test_get (admin, "/users");
  JsonArray *users;

  fq_test_assert_status (resp, 200);
  users = fq_test_obj_array (fq_test_response_object (resp), "users");
  g_assert_nonnull (users);
  for (guint i = 0; i < json_array_get_length (users); i++)
    {
      JsonObject *u = json_array_get_object_element (users, i);

      if (g_strcmp0 (fq_test_obj_str (u, "username"), username) == 0)
        return json_object_ref (u);
    }

  return NULL;
}

static FqTestResponse *
user_action (FqTestClient *admin,
             const char   *username,
             const char   *json)
{
  g_autofree char *path = g_strdup_printf ("/users/%s/actions", username);

  return fq_test_post (admin, path, json);
}

static void
test_users_admin (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *username = fq_test_unique ("adm");
  g_autofree char *password = g_strdup_printf ("secret-%s", username);
  g_autoptr(FqTestResponse) created = NULL;
  g_autoptr(FqTestResponse) dup = NULL;
  g_autoptr(JsonObject) listed = NULL;
  g_autoptr(FqTestClient) c = fq_test_client_new (fq_test_server_get_url (f->w->server));
  g_autoptr(FqTestClient) c2 = fq_test_client_new (fq_test_server_get_url (f->w->server));
  JsonObject *user;

  created = fq_test_postf (f->w->admin, "/users",
                           "{'username':'%s','display_name':'值班员 %s','password':'%s',"
                           "'role':'operator','scope':'%s'}",
                           username, username, password, FQ_TEST_XIALU);
  fq_test_assert_status (created, 201);
  user = fq_test_response_object (created);
  assert_user_object (user);
  g_assert_cmpstr (fq_test_obj_str (user, "username"), ==, username);
  g_assert_cmpstr (fq_test_obj_str (user, "role"), ==, "operator");
  g_assert_cmpstr (fq_test_obj_str (user, "scope"), ==, FQ_TEST_XIALU);

  dup = fq_test_postf (f->w->admin, "/users",
                       "{'username':'%s','display_name':'x','password':'%s','role':'operator','scope':'%s'}",
                       username, password, FQ_TEST_XIALU);
  fq_test_assert_error (dup, 409, "conflict");

  listed = find_user (f->w->admin, username);
  g_assert_nonnull (listed);
  assert_user_object (listed);

  /* A session, then disable: the session dies and sign-in fails. */
  {
    g_autoptr(FqTestResponse) login = fq_test_client_login (c, username, password);
    g_autoptr(FqTestResponse) disable = NULL;
    g_autoptr(FqTestResponse) me = NULL;
    g_autoptr(FqTestResponse) login2 = NULL;

    fq_test_assert_status (login, 200);
    disable = user_action (f->w->admin, username, "{\"action\":\"disable\"}");
    fq_test_assert_status (disable, 200);
    me = fq_test_get (c, "/me");
    fq_test_assert_error (me, 401, "unauthenticated");
    login2 = fq_test_client_login (c2, username, password);
    fq_test_assert_error (login2, 401, "unauthenticated");
  }

  /* Enable again. */
  {
    g_autoptr(FqTestResponse) enable = user_action (f->w->admin, username, "{\"action\":\"enable\"}");
    g_autoptr(FqTestResponse) login = NULL;

    fq_test_assert_status (enable, 200);
    login = fq_test_client_login (c2, username, password);
    fq_test_assert_status (login, 200);
  }

  /* A new password: the old one fails, the new one works. */
  {
    g_autofree char *body = fq_test_jsonf ("{'action':'set_password','password':'new-%s'}", password);
    g_autofree char *new_password = g_strdup_printf ("new-%s", password);
    g_autoptr(FqTestResponse) set = user_action (f->w->admin, username, body);
    g_autoptr(FqTestResponse) old = NULL;
    g_autoptr(FqTestResponse) fresh = NULL;
    g_autoptr(FqTestResponse) too_short = NULL;

    fq_test_assert_status (set, 200);
    old = fq_test_client_login (c, username, password);
    fq_test_assert_error (old, 401, "unauthenticated");
    fresh = fq_test_client_login (c, username, new_password);
    fq_test_assert_status (fresh, 200);

    too_short = user_action (f->w->admin, username, "{\"action\":\"set_password\",\"password\":\"short\"}");
    fq_test_assert_error (too_short, 422, "invalid_field");
    g_assert_cmpstr (fq_test_response_error_field (too_short), ==, "password");
  }

  /* Another role. */
  {
    g_autoptr(FqTestResponse) set = user_action (f->w->admin, username,
                                                 "{\"action\":\"set_role\",\"role\":\"coordinator\"}");
    g_autoptr(FqTestResponse) me = NULL;
    g_autoptr(FqTestResponse) bad = NULL;

    fq_test_assert_status (set, 200);
    me = fq_test_get (c, "/me");
    fq_test_assert_status (me, 200);
    g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (me), "role"), ==, "coordinator");

    bad = user_action (f->w->admin, username, "{\"action\":\"set_role\",\"role\":\"emperor\"}");
    fq_test_assert_error (bad, 422, "invalid_field");
  }

  /* Unknown action, unknown user. */
  {
    g_autoptr(FqTestResponse) unknown = user_action (f->w->admin, username, "{\"action\":\"promote\"}");
    g_autoptr(FqTestResponse) nobody = user_action (f->w->admin, "no-such-user-xyz", "{\"action\":\"disable\"}");

    fq_test_assert_error (unknown, 422, "invalid_field");
    g_assert_cmpstr (fq_test_response_error_field (unknown), ==, "action");
    fq_test_assert_error (nobody, 404, "not_found");
  }
}

static void
test_users_invalid (Fixture       *f,
                    gconstpointer  data)
{
  static const struct { const char *body; const char *field; } cases[] = {
    { "{'username':'%s','display_name':'x','password':'short','role':'operator','scope':'420204000000'}", "password" },
    { "{'username':'%s','display_name':'x','password':'long-enough','role':'emperor','scope':'420204000000'}", "role" },
    { "{'username':'%s','display_name':'x','password':'long-enough','role':'operator','scope':'999999999999'}", "scope" },
    { "{'username':'%s','display_name':'x','password':'long-enough','role':'unit','scope':'420204004000'}", "unit" },
    { "{'username':'%s','display_name':'x','password':'long-enough','role':'unit','scope':'420204004000','unit':'no-such-unit'}", "unit" },
    { "{'username':'%s','display_name':'x','password':'long-enough','role':'operator'}", "scope" },
    { "{'display_name':'x','password':'long-enough','role':'operator','scope':'420204000000'}", "username" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *username = fq_test_unique ("bad");
      g_autofree char *fmt = g_strdup (cases[i].body);
      g_autofree char *body = NULL;
      g_autoptr(FqTestResponse) resp = NULL;

      g_auto(GStrv) parts = NULL;

      g_strdelimit (fmt, "'", '"');
      parts = g_strsplit (fmt, "%s", -1);
      body = g_strjoinv (username, parts);
      resp = fq_test_post (f->w->admin, "/users", body);
      fq_test_assert_error (resp, 422, "invalid_field");
      g_assert_cmpstr (fq_test_response_error_field (resp), ==, cases[i].field);
    }
}

static void
test_unit_user (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *username = NULL;
  g_autoptr(FqTestClient) c = fq_test_create_user (f->w->admin, "unit", FQ_TEST_TUANCHENGSHAN,
                                                   FQ_TEST_UNIT_STREET, &username);
  g_autoptr(FqTestResponse) me = fq_test_get (c, "/me");

  fq_test_assert_status (me, 200);
  g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (me), "role"), ==, "unit");
  g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (me), "unit"), ==, FQ_TEST_UNIT_STREET);
}

static void
test_grid (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(FqTestResponse) all = fq_test_get (f->w->leader, "/grid");
  g_autoptr(FqTestResponse) node = NULL;
  g_autoptr(FqTestResponse) missing = NULL;
  g_autoptr(FqTestClient) xialu = NULL;
  JsonArray *nodes;
  gboolean seen_community = FALSE, seen_district = FALSE;

  fq_test_assert_status (all, 200);
  nodes = fq_test_obj_array (fq_test_response_object (all), "nodes");
  g_assert_nonnull (nodes);
  g_assert_cmpuint (json_array_get_length (nodes), >, 50);
  for (guint i = 0; i < json_array_get_length (nodes); i++)
    {
      JsonObject *n = json_array_get_object_element (nodes, i);
      const char *code = fq_test_obj_str (n, "code");
      const char *level = fq_test_obj_str (n, "level");

      g_assert_nonnull (code);
      g_assert_nonnull (fq_test_obj_str (n, "name"));
      g_assert_nonnull (fq_test_obj_str (n, "path"));
      g_assert_true (g_strv_contains ((const char *[]) { "city", "district", "street", "community", "grid", NULL }, level));
      g_assert_true (json_object_has_member (n, "parent"));
      if (g_strcmp0 (code, FQ_TEST_GUANGZHOULU) == 0)
        {
          seen_community = TRUE;
          g_assert_cmpstr (level, ==, "community");
          g_assert_cmpstr (fq_test_obj_str (n, "parent"), ==, FQ_TEST_TUANCHENGSHAN);
        }
      if (g_strcmp0 (code, FQ_TEST_XIALU) == 0)
        {
          seen_district = TRUE;
          g_assert_cmpstr (level, ==, "district");
        }
    }
  g_assert_true (seen_community);
  g_assert_true (seen_district);

  node = fq_test_get (f->w->leader, "/grid/%s", FQ_TEST_TUANCHENGSHAN);
  fq_test_assert_status (node, 200);
  g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (node), "level"), ==, "street");
  {
    JsonArray *children = fq_test_obj_array (fq_test_response_object (node), "children");
    gboolean found = FALSE;

    g_assert_nonnull (children);
    for (guint i = 0; i < json_array_get_length (children); i++)
      {
        JsonNode *child = json_array_get_element (children, i);
        const char *code = JSON_NODE_HOLDS_OBJECT (child)
                           ? fq_test_obj_str (json_node_get_object (child), "code")
                           : json_node_get_string (child);

        found |= g_strcmp0 (code, FQ_TEST_GUANGZHOULU) == 0;
      }
    g_assert_true (found);
  }

  missing = fq_test_get (f->w->leader, "/grid/999999999999");
  fq_test_assert_error (missing, 404, "not_found");

  /* A 下陆区 user sees nothing of 黄石港区. */
  xialu = fq_test_create_user (f->w->admin, "operator", FQ_TEST_XIALU, NULL, NULL);
  {
    g_autoptr(FqTestResponse) scoped = fq_test_get (xialu, "/grid");
    g_autoptr(FqTestResponse) other = fq_test_get (xialu, "/grid/%s", FQ_TEST_HUANGSHIGANG);
    g_autoptr(FqTestResponse) own = fq_test_get (xialu, "/grid/%s", FQ_TEST_GUANGZHOULU);
    JsonArray *scoped_nodes;

    fq_test_assert_status (scoped, 200);
    scoped_nodes = fq_test_obj_array (fq_test_response_object (scoped), "nodes");
    g_assert_nonnull (scoped_nodes);
    g_assert_cmpuint (json_array_get_length (scoped_nodes), >, 0);
    g_assert_cmpuint (json_array_get_length (scoped_nodes), <, json_array_get_length (nodes));
    for (guint i = 0; i < json_array_get_length (scoped_nodes); i++)
      g_assert_false (g_str_has_prefix (fq_test_obj_str (json_array_get_object_element (scoped_nodes, i), "code"),
                                        "420202"));
    fq_test_assert_error (other, 404, "not_found");
    fq_test_assert_status (own, 200);
  }
}

static void
test_categories (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(FqTestResponse) resp = fq_test_get (f->w->operator, "/categories");
  JsonArray *cats;
  guint police_only = 0;

  fq_test_assert_status (resp, 200);
  cats = fq_test_obj_array (fq_test_response_object (resp), "categories");
  g_assert_nonnull (cats);
  g_assert_cmpuint (json_array_get_length (cats), ==, 81);
  for (guint i = 0; i < json_array_get_length (cats); i++)
    {
      JsonObject *c = json_array_get_object_element (cats, i);

      g_assert_nonnull (fq_test_obj_str (c, "code"));
      g_assert_nonnull (fq_test_obj_str (c, "name"));
      g_assert_nonnull (fq_test_obj_str (c, "name_en"));
      g_assert_nonnull (fq_test_obj_str (c, "group"));
      g_assert_nonnull (fq_test_obj_str (c, "lead_unit_kind"));
      g_assert_nonnull (fq_test_obj_str (c, "tier"));
      g_assert_cmpint (fq_test_obj_int (c, "deadline_hours"), >, 0);
      police_only += fq_test_obj_bool (c, "police_only");
    }
  g_assert_cmpuint (police_only, >, 0);
}

static void
test_units (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(FqTestResponse) resp = fq_test_get (f->w->leader, "/units");
  JsonArray *units;
  gboolean found = FALSE;

  fq_test_assert_status (resp, 200);
  units = fq_test_obj_array (fq_test_response_object (resp), "units");
  g_assert_nonnull (units);
  for (guint i = 0; i < json_array_get_length (units); i++)
    {
      JsonObject *u = json_array_get_object_element (units, i);

      g_assert_nonnull (fq_test_obj_str (u, "id"));
      g_assert_nonnull (fq_test_obj_str (u, "name"));
      g_assert_nonnull (fq_test_obj_str (u, "kind"));
      g_assert_nonnull (fq_test_obj_str (u, "grid"));
      g_assert_true (json_object_has_member (u, "name_en"));
      if (g_strcmp0 (fq_test_obj_str (u, "id"), FQ_TEST_UNIT_STREET) == 0)
        {
          found = TRUE;
          g_assert_cmpstr (fq_test_obj_str (u, "kind"), ==, "street_office");
          g_assert_cmpstr (fq_test_obj_str (u, "grid"), ==, FQ_TEST_TUANCHENGSHAN);
        }
    }
  g_assert_true (found);
}

static void
test_audit (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(JsonObject) incident = fq_test_create_incident (f->w->operator, FQ_TEST_GUANGZHOULU, NULL);
  const char *id = fq_test_obj_str (incident, "id");
  g_autoptr(FqTestResponse) resp = fq_test_get (f->w->admin, "/audit?limit=5");
  JsonArray *rows;

  fq_test_assert_status (resp, 200);
  rows = fq_test_list_items (resp);
  g_assert_nonnull (rows);
  g_assert_cmpuint (json_array_get_length (rows), >, 0);
  g_assert_cmpuint (json_array_get_length (rows), <=, 5);
  g_assert_true (json_object_has_member (fq_test_response_object (resp), "next_cursor"));
  g_assert_cmpuint (fq_test_count_audit (f->w->admin, id), ==, 1);

  /* Who did it. */
  {
    g_autoptr(FqTestResponse) all = fq_test_get (f->w->admin, "/audit?limit=1000");
    JsonArray *all_rows = fq_test_list_items (all);
    gboolean found = FALSE;

    for (guint i = 0; all_rows != NULL && i < json_array_get_length (all_rows); i++)
      {
        g_autofree char *text = json_to_string (json_array_get_element (all_rows, i), FALSE);

        if (strstr (text, id) != NULL)
          {
            found = TRUE;
            g_assert_nonnull (strstr (text, "\"operator\""));
            g_assert_nonnull (strstr (text, "127.0.0.1"));
          }
      }
    g_assert_true (found);
  }
}

/* The password rules of the administrator's guide, on create and on reset. */
static void
test_password_rules (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *username = fq_test_unique ("pwrules");
  g_autofree char *other = fq_test_unique ("pwother");
  const char *weak[] = {
    "Short1-",            /* fewer than 10 characters */
    "abcdefghijkl",       /* one class only */
    "123456789012",       /* one class only */
    "调解中心枫桥经验好的",    /* one class only (other), 10 characters */
  };
  g_autoptr(FqTestResponse) ok = NULL;
  g_autoptr(FqTestResponse) chinese = NULL;
  g_autofree char *chinese_name = fq_test_unique ("pwcn");

  ok = fq_test_postf (f->w->admin, "/users",
                      "{'username':'%s','password':'Tenletters','role':'operator','scope':'%s'}",
                      username, FQ_TEST_XIALU);
  fq_test_assert_status (ok, 201);

  for (guint i = 0; i < G_N_ELEMENTS (weak); i++)
    {
      g_autoptr(FqTestResponse) resp = NULL;
      g_autoptr(FqTestResponse) reset = NULL;
      g_autofree char *body = NULL;

      resp = fq_test_postf (f->w->admin, "/users",
                            "{'username':'%s','password':'%s','role':'operator','scope':'%s'}",
                            other, weak[i], FQ_TEST_XIALU);
      fq_test_assert_error (resp, 422, "invalid_field");
      g_assert_cmpstr (fq_test_response_error_field (resp), ==, "password");

      body = fq_test_jsonf ("{'action':'set_password','password':'%s'}", weak[i]);
      reset = user_action (f->w->admin, username, body);
      fq_test_assert_error (reset, 422, "invalid_field");
      g_assert_cmpstr (fq_test_response_error_field (reset), ==, "password");
    }

  /* Not the username, in any case. */
  {
    g_autofree char *upper = g_ascii_strup (other, -1);
    g_autofree char *body = fq_test_jsonf ("{'action':'set_password','password':'%s'}", username);
    g_autoptr(FqTestResponse) same = NULL;
    g_autoptr(FqTestResponse) cased = NULL;
    g_autoptr(FqTestResponse) reset = NULL;

    same = fq_test_postf (f->w->admin, "/users",
                          "{'username':'%s','password':'%s','role':'operator','scope':'%s'}",
                          other, other, FQ_TEST_XIALU);
    fq_test_assert_error (same, 422, "invalid_field");
    cased = fq_test_postf (f->w->admin, "/users",
                           "{'username':'%s','password':'%s','role':'operator','scope':'%s'}",
                           other, upper, FQ_TEST_XIALU);
    fq_test_assert_error (cased, 422, "invalid_field");
    reset = user_action (f->w->admin, username, body);
    fq_test_assert_error (reset, 422, "invalid_field");
  }

  /* The old password still works: nothing was changed. */
  {
    g_autoptr(FqTestClient) c = fq_test_client_new (fq_test_server_get_url (f->w->server));
    g_autoptr(FqTestResponse) login = fq_test_client_login (c, username, "Tenletters");

    fq_test_assert_status (login, 200);
  }

  chinese = fq_test_postf (f->w->admin, "/users",
                           "{'username':'%s','password':'枫桥调解中心2026','role':'operator','scope':'%s'}",
                           chinese_name, FQ_TEST_XIALU);
  fq_test_assert_status (chinese, 201);
  {
    g_autoptr(FqTestClient) c = fq_test_client_new (fq_test_server_get_url (f->w->server));
    g_autoptr(FqTestResponse) login = fq_test_client_login (c, chinese_name, "枫桥调解中心2026");

    fq_test_assert_status (login, 200);
  }
}

/* A token dies on logout, on a new password and when disabled; a token
 * altered by one character is refused. */
static void
test_token_lifecycle (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *username = NULL;
  g_autoptr(FqTestClient) c = fq_test_create_user (f->w->admin, "operator", FQ_TEST_XIALU, NULL,
                                                   &username);
  g_autofree char *password = g_strdup_printf ("password-%s", username);
  g_autoptr(FqTestClient) other = fq_test_client_new_login (fq_test_server_get_url (f->w->server),
                                                            username, password);
  g_autoptr(FqTestClient) forged = fq_test_client_new (fq_test_server_get_url (f->w->server));
  g_autofree char *token = g_strdup (fq_test_client_get_token (c));
  gsize n = strlen (token);

  /* The same hash prefix, another ending: still refused. */
  token[n - 1] = token[n - 1] == 'A' ? 'B' : 'A';
  fq_test_client_set_token (forged, token);
  {
    g_autoptr(FqTestResponse) me = fq_test_get (forged, "/me");

    fq_test_assert_error (me, 401, "unauthenticated");
  }

  /* A new password ends every session of the user. */
  {
    g_autoptr(FqTestResponse) before = fq_test_get (c, "/me");
    g_autoptr(FqTestResponse) set = NULL;
    g_autoptr(FqTestResponse) after = NULL;
    g_autoptr(FqTestResponse) after_other = NULL;

    fq_test_assert_status (before, 200);
    set = user_action (f->w->admin, username,
                       "{\"action\":\"set_password\",\"password\":\"Another-password-1\"}");
    fq_test_assert_status (set, 200);
    after = fq_test_get (c, "/me");
    fq_test_assert_error (after, 401, "unauthenticated");
    after_other = fq_test_get (other, "/me");
    fq_test_assert_error (after_other, 401, "unauthenticated");
  }

  /* Logout ends that token only. */
  {
    g_autoptr(FqTestClient) a = fq_test_client_new_login (fq_test_server_get_url (f->w->server),
                                                          username, "Another-password-1");
    g_autoptr(FqTestClient) b = fq_test_client_new_login (fq_test_server_get_url (f->w->server),
                                                          username, "Another-password-1");
    g_autoptr(FqTestResponse) out = fq_test_post (a, "/auth/logout", NULL);
    g_autoptr(FqTestResponse) a_me = NULL;
    g_autoptr(FqTestResponse) b_me = NULL;

    fq_test_assert_status (out, 204);
    a_me = fq_test_get (a, "/me");
    fq_test_assert_error (a_me, 401, "unauthenticated");
    b_me = fq_test_get (b, "/me");
    fq_test_assert_status (b_me, 200);
  }
}

/* Tokens expire: a server whose tokens last two seconds. */
static void
test_token_expiry (void)
{
  const char * const args[] = { "--demo", "--demo-history-months", "0", "--demo-feed-rate", "0",
                                "--token-hours", "0.0006", NULL };
  g_autoptr(FqTestServer) server = fq_test_server_new (args);
  g_autoptr(GError) error = NULL;
  g_autoptr(FqTestClient) c = NULL;
  g_autoptr(FqTestResponse) login = NULL;
  g_autoptr(FqTestResponse) me = NULL;
  gint64 expires;
  guint status = 200;

  g_assert_true (fq_test_server_start (server, 60, &error));
  g_assert_no_error (error);
  c = fq_test_client_new (fq_test_server_get_url (server));
  login = fq_test_client_login (c, "operator", FQ_TEST_DEMO_PASSWORD);
  fq_test_assert_status (login, 200);
  {
    g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (
      fq_test_obj_str (fq_test_response_object (login), "expires_at"), NULL);

    g_assert_nonnull (dt);
    expires = g_date_time_to_unix (dt);
  }
  g_assert_cmpint (expires - g_get_real_time () / G_USEC_PER_SEC, <=, 3);
  me = fq_test_get (c, "/me");
  fq_test_assert_status (me, 200);

  /* Waits for the expiry itself (bounded), not for a guessed duration. */
  for (guint i = 0; i < 100 && status == 200; i++)
    {
      g_autoptr(FqTestResponse) again = NULL;

      g_usleep (G_USEC_PER_SEC / 10);
      if (g_get_real_time () / G_USEC_PER_SEC <= expires)
        continue;
      again = fq_test_get (c, "/me");
      status = again->status;
      if (status != 200)
        fq_test_assert_error (again, 401, "unauthenticated");
    }
  g_assert_cmpuint (status, ==, 401);
}

/* set_role changes role, scope and unit together, within the rules. */
static void
test_set_role_scope_unit (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *username = NULL;
  g_autoptr(FqTestClient) c = fq_test_create_user (f->w->admin, "operator", FQ_TEST_XIALU, NULL,
                                                   &username);
  g_autoptr(FqTestResponse) to_unit = NULL;
  g_autoptr(FqTestResponse) no_unit = NULL;
  g_autoptr(FqTestResponse) bad_scope = NULL;
  g_autoptr(FqTestResponse) me = NULL;
  g_autoptr(FqTestResponse) back = NULL;
  JsonObject *user;

  no_unit = user_action (f->w->admin, username,
                         "{\"action\":\"set_role\",\"role\":\"unit\",\"scope\":\"" FQ_TEST_TUANCHENGSHAN "\"}");
  fq_test_assert_error (no_unit, 422, "invalid_field");
  g_assert_cmpstr (fq_test_response_error_field (no_unit), ==, "unit");
  bad_scope = user_action (f->w->admin, username,
                           "{\"action\":\"set_role\",\"role\":\"operator\",\"scope\":\"999999999999\"}");
  fq_test_assert_error (bad_scope, 422, "invalid_field");
  g_assert_cmpstr (fq_test_response_error_field (bad_scope), ==, "scope");

  to_unit = user_action (f->w->admin, username,
                         "{\"action\":\"set_role\",\"role\":\"unit\",\"scope\":\"" FQ_TEST_TUANCHENGSHAN
                         "\",\"unit\":\"" FQ_TEST_UNIT_STREET "\"}");
  fq_test_assert_status (to_unit, 200);
  me = fq_test_get (c, "/me");
  fq_test_assert_status (me, 200);
  user = fq_test_response_object (me);
  g_assert_cmpstr (fq_test_obj_str (user, "role"), ==, "unit");
  g_assert_cmpstr (fq_test_obj_str (user, "scope"), ==, FQ_TEST_TUANCHENGSHAN);
  g_assert_cmpstr (fq_test_obj_str (user, "unit"), ==, FQ_TEST_UNIT_STREET);

  /* Back to an operator: the unit goes. */
  back = user_action (f->w->admin, username,
                      "{\"action\":\"set_role\",\"role\":\"operator\"}");
  fq_test_assert_status (back, 200);
  g_assert_true (fq_test_obj_is_null (fq_test_response_object (back), "unit"));
  g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (back), "scope"), ==,
                   FQ_TEST_TUANCHENGSHAN);
}

static JsonArray *
audit_rows (FqTestResponse *resp)
{
  fq_test_assert_status (resp, 200);
  return fq_test_obj_array (fq_test_response_object (resp), "entries");
}

/* GET /audit's filters and paging, and the reveal rows. */
static void
test_audit_filters (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) incident = fq_test_create_incident (f->w->operator, FQ_TEST_GUANGZHOULU,
                                                             "\"caller_phone\":\"13912345678\"");
  const char *id = fq_test_obj_str (incident, "id");
  g_autofree char *reveal_path = g_strdup_printf ("/incidents/%s/reveal", id);
  g_autoptr(FqTestResponse) revealed = fq_test_post (f->w->operator, reveal_path, NULL);
  g_autoptr(FqTestResponse) refused = fq_test_post (f->w->leader, reveal_path, NULL);
  g_autoptr(FqTestResponse) by_action = NULL;
  g_autoptr(FqTestResponse) by_path = NULL;
  g_autoptr(FqTestResponse) by_method = NULL;
  g_autoptr(FqTestResponse) future = NULL;
  g_autofree char *from = fq_test_time_from_now (3600);
  JsonArray *rows;

  fq_test_assert_status (revealed, 200);
  g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (revealed), "caller_phone"), ==,
                   "13912345678");
  fq_test_assert_error (refused, 403, "forbidden");

  /* Exactly one reveal of this incident, by the operator; none by the leader. */
  by_action = fq_test_get (f->w->admin, "/audit?action=reveal&entity_id=%s", id);
  rows = audit_rows (by_action);
  g_assert_cmpuint (json_array_get_length (rows), ==, 1);
  {
    JsonObject *row = json_array_get_object_element (rows, 0);

    g_assert_cmpstr (fq_test_obj_str (row, "username"), ==, "operator");
    g_assert_cmpstr (fq_test_obj_str (row, "method"), ==, "POST");
    g_assert_true (g_str_has_suffix (fq_test_obj_str (row, "path"), "/reveal"));
    g_assert_cmpstr (fq_test_obj_str (row, "entity"), ==, "incident");
    /* From which address: the test's own, over loopback. */
    g_assert_cmpstr (fq_test_obj_str (row, "remote_address"), ==, "127.0.0.1");
  }
  {
    g_autoptr(FqTestResponse) by_leader = fq_test_get (f->w->admin, "/audit?actor=leader&action=reveal");

    g_assert_cmpuint (json_array_get_length (audit_rows (by_leader)), ==, 0);
  }

  /* A path prefix and a method: every row matches both. */
  by_path = fq_test_get (f->w->admin, "/audit?path=/api/v1/incidents&limit=1000");
  rows = audit_rows (by_path);
  g_assert_cmpuint (json_array_get_length (rows), >=, 2);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    g_assert_true (g_str_has_prefix (fq_test_obj_str (json_array_get_object_element (rows, i), "path"),
                                     "/api/v1/incidents"));
  by_method = fq_test_get (f->w->admin, "/audit?method=post&actor=operator&limit=1000");
  rows = audit_rows (by_method);
  g_assert_cmpuint (json_array_get_length (rows), >=, 2);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      g_assert_cmpstr (fq_test_obj_str (row, "method"), ==, "POST");
      g_assert_cmpstr (fq_test_obj_str (row, "username"), ==, "operator");
    }

  /* A period in the future holds nothing. */
  future = fq_test_get (f->w->admin, "/audit?from=%s", from);
  g_assert_cmpuint (json_array_get_length (audit_rows (future)), ==, 0);

  /* Paging: one row a page, newest first, no row twice. */
  {
    g_autofree char *cursor = NULL;
    gint64 last = G_MAXINT64;

    for (guint page = 0; page < 4; page++)
      {
        g_autoptr(FqTestResponse) resp = NULL;
        JsonObject *row;
        gint64 row_id;

        if (cursor == NULL)
          resp = fq_test_get (f->w->admin, "/audit?limit=1");
        else
          resp = fq_test_get (f->w->admin, "/audit?limit=1&cursor=%s", cursor);
        rows = audit_rows (resp);
        g_assert_cmpuint (json_array_get_length (rows), ==, 1);
        row = json_array_get_object_element (rows, 0);
        row_id = g_ascii_strtoll (fq_test_obj_str (row, "id"), NULL, 10);
        g_assert_cmpint (row_id, <, last);
        last = row_id;
        g_free (cursor);
        cursor = g_strdup (fq_test_obj_str (fq_test_response_object (resp), "next_cursor"));
        g_assert_nonnull (cursor);
      }
  }
}

/* No UPDATE or DELETE of the audit trail gets through, even from inside. */
static void
test_audit_append_only (Fixture       *f,
                        gconstpointer  data)
{
  g_auto(GStrv) databases = fq_test_server_find_databases (f->w->server);
  sqlite3 *db = NULL;
  char *message = NULL;
  int rc;

  g_assert_nonnull (databases);
  g_assert_nonnull (databases[0]);
  g_assert_cmpint (sqlite3_open_v2 (databases[0], &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);

  rc = sqlite3_exec (db, "UPDATE audit SET username = 'nobody'", NULL, NULL, &message);
  g_assert_cmpint (rc, ==, SQLITE_CONSTRAINT);
  g_assert_nonnull (strstr (message, "append-only"));
  sqlite3_free (message);
  message = NULL;

  rc = sqlite3_exec (db, "DELETE FROM audit", NULL, NULL, &message);
  g_assert_cmpint (rc, ==, SQLITE_CONSTRAINT);
  g_assert_nonnull (strstr (message, "append-only"));
  sqlite3_free (message);
  sqlite3_close (db);

  {
    g_autoptr(FqTestResponse) resp = fq_test_get (f->w->admin, "/audit?limit=1");

    g_assert_cmpuint (json_array_get_length (audit_rows (resp)), ==, 1);
  }
}

static void
test_not_found_and_method (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(FqTestResponse) unknown = fq_test_get (f->w->operator, "/no-such-resource");
  g_autoptr(FqTestResponse) unknown_anon = fq_test_get (f->w->anonymous, "/api/v2/health");
  g_autoptr(FqTestResponse) method = NULL;

  fq_test_assert_error (unknown, 404, "not_found");
  g_assert_cmpuint (unknown_anon->status, ==, 404);
  method = fq_test_client_request (f->w->operator, "DELETE", "/incidents", NULL, NULL, 0, NULL);
  fq_test_assert_error (method, 405, "method_not_allowed");
}

static int
run_create_admin (const char *data_dir,
                  const char *username,
                  const char *password)
{
  const char *args[] = { "--create-admin", username, NULL };
  g_autofree char *input = g_strdup_printf ("%s\n", password);

  return fq_test_run_server_command (data_dir, args, input, 60, NULL, NULL);
}

static void
test_create_admin (void)
{
  g_autoptr(FqTestServer) server = fq_test_server_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(FqTestClient) c = NULL;
  g_autoptr(FqTestResponse) login = NULL;
  g_autoptr(FqTestResponse) demo = NULL;
  g_autoptr(FqTestResponse) me = NULL;

  /* A new directory without --demo: the first administrator comes from
   * standard input; a second one is refused. */
  g_assert_cmpint (run_create_admin (fq_test_server_get_data_dir (server), "root", "first-admin-password"), ==, 0);
  g_assert_cmpint (run_create_admin (fq_test_server_get_data_dir (server), "root2", "other-password"), !=, 0);

  g_assert_true (fq_test_server_start (server, 60, &error));
  g_assert_no_error (error);
  c = fq_test_client_new (fq_test_server_get_url (server));
  demo = fq_test_client_login (c, "operator", FQ_TEST_DEMO_PASSWORD);
  fq_test_assert_error (demo, 401, "unauthenticated");
  login = fq_test_client_login (c, "root", "first-admin-password");
  fq_test_assert_status (login, 200);
  me = fq_test_get (c, "/me");
  fq_test_assert_status (me, 200);
  g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (me), "role"), ==, "admin");
  g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (me), "scope"), ==, FQ_TEST_CITY);
  {
    g_autoptr(FqTestClient) c2 = fq_test_client_new (fq_test_server_get_url (server));
    g_autoptr(FqTestResponse) other = fq_test_client_login (c2, "root2", "other-password");

    fq_test_assert_error (other, 401, "unauthenticated");
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

  ADD ("/server/auth/health", test_health);
  ADD ("/server/auth/login", test_login);
  ADD ("/server/auth/me-demo-users", test_me_demo_users);
  ADD ("/server/auth/login-wrong", test_login_wrong);
  ADD ("/server/auth/unauthenticated", test_unauthenticated);
  ADD ("/server/auth/logout", test_logout);
  ADD ("/server/auth/lockout", test_lockout);
  ADD ("/server/auth/forbidden", test_forbidden);
  ADD ("/server/auth/not-found-and-method", test_not_found_and_method);
  ADD ("/server/users/admin-actions", test_users_admin);
  ADD ("/server/users/invalid", test_users_invalid);
  ADD ("/server/users/unit-user", test_unit_user);
  ADD ("/server/reference/grid", test_grid);
  ADD ("/server/reference/categories", test_categories);
  ADD ("/server/reference/units", test_units);
  ADD ("/server/audit/rows", test_audit);
  ADD ("/server/audit/filters", test_audit_filters);
  ADD ("/server/audit/append-only", test_audit_append_only);
  ADD ("/server/users/password-rules", test_password_rules);
  ADD ("/server/users/set-role-scope-unit", test_set_role_scope_unit);
  ADD ("/server/auth/token-lifecycle", test_token_lifecycle);
  g_test_add_func ("/server/auth/token-expiry", test_token_expiry);
  g_test_add_func ("/server/auth/create-admin", test_create_admin);

  ret = g_test_run ();
  fq_test_world_free ();

  return ret;
}
