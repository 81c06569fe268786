/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Callers' phone numbers reach only operators and coordinators. Every other
 * role — unit staff, grid workers, leaders, administrators — reads them
 * masked (138****5678) in REST answers, in /changes and on the WebSocket,
 * and cannot find a call by searching its number. /privacy/scan reads every
 * GET endpoint of the permission matrix (lists and single records, the
 * feed, the WebSocket's frames, the metrics and their records) as a unit,
 * a grid-worker and a leader account and finds no unmasked number at all;
 * /privacy/reveal checks the one way to the full number.
 */

#include "config.h"

#include <string.h>

#include "fq-permissions.h"
#include "fq-test-server.h"

#define PHONE        "13812345678"
#define PHONE_MASKED "138****5678"

typedef struct
{
  FqTestServer *server;
  FqTestClient *operator;
  char         *incident;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(FqTestResponse) created = NULL;
  g_autoptr(FqTestResponse) triaged = NULL;
  g_autofree char *triage = NULL;
  JsonObject *incident;

  f->server = fq_test_server_new_demo ();
  f->operator = fq_test_client_new_login (fq_test_server_get_url (f->server), "operator",
                                          FQ_TEST_DEMO_PASSWORD);

  created = fq_test_post (f->operator, "/api/v1/incidents",
                          "{\"source\":\"12345\",\"grid\":\"" FQ_TEST_GUANGZHOULU "\","
                          "\"summary\":\"楼上装修噪音扰民\",\"caller_name\":\"王女士\","
                          "\"caller_phone\":\"" PHONE "\",\"address\":\"广州路28号3栋\"}");
  g_assert_cmpuint (created->status, ==, 201);
  incident = fq_test_response_object (created);
  f->incident = g_strdup (json_object_get_string_member (incident, "id"));

  /* Divert it to the demo unit's street office, so that the unit user
   * sees the incident through its ticket. */
  triage = g_strdup_printf ("/api/v1/incidents/%s/triage", f->incident);
  triaged = fq_test_post (f->operator, triage,
                          "{\"decision\":\"divert\",\"category\":\"B01\",\"grid\":\""
                          FQ_TEST_GUANGZHOULU "\",\"rev\":1,\"lead_unit\":\""
                          FQ_TEST_UNIT_STREET "\"}");
  g_assert_cmpuint (triaged->status, ==, 200);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_pointer (&f->operator, fq_test_client_free);
  g_clear_pointer (&f->server, fq_test_server_free);
  g_clear_pointer (&f->incident, g_free);
}

static FqTestClient *
login (Fixture    *f,
       const char *username)
{
  return fq_test_client_new_login (fq_test_server_get_url (f->server), username,
                                   FQ_TEST_DEMO_PASSWORD);
}

/* The whole change feed as @client sees it, page after page, as one text. */
static char *
read_feed (FqTestClient *client)
{
  GString *all = g_string_new (NULL);
  gint64 since = 0;
  gboolean more = TRUE;

  for (guint page = 0; more && page < 100; page++)
    {
      g_autoptr(FqTestResponse) resp = fq_test_get (client, "/api/v1/changes?since=%"
                                                    G_GINT64_FORMAT "&limit=1000", since);
      JsonObject *root;
      JsonArray *changes;
      guint n;

      g_assert_cmpuint (resp->status, ==, 200);
      root = fq_test_response_object (resp);
      changes = json_object_get_array_member (root, "changes");
      n = json_array_get_length (changes);
      more = json_object_get_boolean_member (root, "more");
      since = more ? json_object_get_int_member (json_array_get_object_element (changes, n - 1),
                                                 "seq")
                   : json_object_get_int_member (root, "last_seq");
      g_string_append (all, resp->text);
    }
  g_assert_false (more);
  return g_string_free (all, FALSE);
}

/* Reads the incident, its list, and the whole change feed as @username and
 * checks that the full number appears exactly when @sees_phone. */
static void
check_role (Fixture    *f,
            const char *username,
            gboolean    sees_phone)
{
  g_autoptr(FqTestClient) client = login (f, username);
  g_autoptr(FqTestResponse) one = fq_test_get (client, "/api/v1/incidents/%s", f->incident);
  g_autoptr(FqTestResponse) list = fq_test_get (client, "/api/v1/incidents?limit=1000");
  g_autofree char *feed = read_feed (client);
  const char *phone;

  g_test_message ("role %s", username);
  g_assert_cmpuint (one->status, ==, 200);
  phone = json_object_get_string_member (fq_test_response_object (one), "caller_phone");
  g_assert_cmpstr (phone, ==, sees_phone ? PHONE : PHONE_MASKED);

  g_assert_cmpuint (list->status, ==, 200);
  if (sees_phone)
    {
      g_assert_nonnull (strstr (list->text, PHONE));
      g_assert_nonnull (strstr (feed, PHONE));
    }
  else
    {
      g_assert_null (strstr (one->text, PHONE));
      g_assert_null (strstr (list->text, PHONE));
      g_assert_null (strstr (feed, PHONE));
      g_assert_nonnull (strstr (feed, PHONE_MASKED));
    }
}

static void
test_roles (Fixture       *f,
            gconstpointer  data)
{
  check_role (f, "operator", TRUE);
  check_role (f, "coordinator", TRUE);
  check_role (f, "leader", FALSE);
  check_role (f, "unit", FALSE);
  check_role (f, "grid", FALSE);
  check_role (f, "admin", FALSE);
}

static void
test_search (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(FqTestClient) leader = login (f, "leader");
  g_autoptr(FqTestResponse) by_leader = fq_test_get (leader, "/api/v1/incidents?q=" PHONE);
  g_autoptr(FqTestResponse) by_operator = fq_test_get (f->operator,
                                                       "/api/v1/incidents?q=" PHONE);
  JsonArray *found;

  g_assert_cmpuint (by_operator->status, ==, 200);
  found = json_object_get_array_member (fq_test_response_object (by_operator), "incidents");
  g_assert_cmpuint (json_array_get_length (found), ==, 1);

  g_assert_cmpuint (by_leader->status, ==, 200);
  found = json_object_get_array_member (fq_test_response_object (by_leader), "incidents");
  g_assert_cmpuint (json_array_get_length (found), ==, 0);
}

typedef struct
{
  SoupWebsocketConnection *ws;
  GError                  *error;
  GPtrArray               *frames;
} Listener;

static void
message_cb (SoupWebsocketConnection *ws,
            gint                     type,
            GBytes                  *message,
            gpointer                 user_data)
{
  Listener *l = user_data;
  gsize length;
  const char *data = g_bytes_get_data (message, &length);

  g_ptr_array_add (l->frames, g_strndup (data, length));
}

static void
connect_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Listener *l = user_data;

  l->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &l->error);
  if (l->ws != NULL)
    g_signal_connect (l->ws, "message", G_CALLBACK (message_cb), l);
}

static void
test_websocket (Fixture       *f,
                gconstpointer  data)
{
  const char *url = fq_test_server_get_url (f->server);
  g_autoptr(FqTestClient) leader = login (f, "leader");
  g_autofree char *ws_url = g_strdup_printf ("ws%s/api/v1/events", url + strlen ("http"));
  g_autofree char *auth = g_strdup_printf ("Bearer %s", fq_test_client_get_token (leader));
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", ws_url);
  g_autoptr(FqTestResponse) created = NULL;
  Listener l = { NULL, NULL, g_ptr_array_new_with_free_func (g_free) };
  gboolean seen = FALSE;
  gint64 deadline;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_session_websocket_connect_async (fq_test_client_get_session (leader), msg, NULL, NULL,
                                        G_PRIORITY_DEFAULT, NULL, connect_cb, &l);
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (l.ws == NULL && l.error == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (l.error);
  g_assert_nonnull (l.ws);

  created = fq_test_post (f->operator, "/api/v1/incidents",
                          "{\"source\":\"110\",\"grid\":\"" FQ_TEST_GUANGZHOULU "\","
                          "\"summary\":\"邻居养狗夜间吠叫\",\"caller_phone\":\"13900001234\"}");
  g_assert_cmpuint (created->status, ==, 201);

  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (!seen && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      for (guint i = 0; i < l.frames->len; i++)
        {
          const char *frame = g_ptr_array_index (l.frames, i);

          g_assert_null (strstr (frame, "13900001234"));
          if (strstr (frame, "139****1234") != NULL)
            seen = TRUE;
        }
      if (!seen)
        g_usleep (10 * 1000);
    }
  g_assert_true (seen);

  soup_websocket_connection_close (l.ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&l.ws);
  g_ptr_array_unref (l.frames);
}

/* ---- every answer, scanned ---- */

#define PHONE2        "15987654321"
#define PHONE2_MASKED "159****4321"

static Listener *
listen_as (Fixture      *f,
           FqTestClient *client)
{
  const char *url = fq_test_server_get_url (f->server);
  g_autofree char *ws_url = g_strdup_printf ("ws%s/api/v1/events", url + strlen ("http"));
  g_autofree char *auth = g_strdup_printf ("Bearer %s", fq_test_client_get_token (client));
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", ws_url);
  Listener *l = g_new0 (Listener, 1);
  gint64 deadline;

  l->frames = g_ptr_array_new_with_free_func (g_free);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_session_websocket_connect_async (fq_test_client_get_session (client), msg, NULL, NULL,
                                        G_PRIORITY_DEFAULT, NULL, connect_cb, l);
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (l->ws == NULL && l->error == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (l->error);
  g_assert_nonnull (l->ws);
  return l;
}

static void
listener_free (Listener *l)
{
  if (l->ws != NULL)
    soup_websocket_connection_close (l->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&l->ws);
  g_ptr_array_unref (l->frames);
  g_free (l);
}

/* Fails if @text holds a full mobile number (11 digits, 1[3-9]…) or one of
 * the callers' numbers of this test. */
static void
assert_no_phone (const char *what,
                 const char *text)
{
  static GRegex *mobile;
  g_autoptr(GMatchInfo) match = NULL;

  if (mobile == NULL)
    mobile = g_regex_new ("(?<![0-9])1[3-9][0-9]{9}(?![0-9])", G_REGEX_OPTIMIZE, 0, NULL);
  if (g_regex_match (mobile, text, 0, &match))
    {
      g_autofree char *found = g_match_info_fetch (match, 0);

      g_error ("%s holds the full number %s", what, found);
    }
  g_assert_null (strstr (text, PHONE));
  g_assert_null (strstr (text, PHONE2));
}

/* A GET path for a row of the matrix: "*" becomes a record of this test. */
static char *
path_for_row (const FqPermission *row,
              const char         *incident,
              const char         *ticket,
              const char         *session)
{
  g_autofree char *from = fq_test_time_from_now (-400 * 24 * 3600);
  g_autofree char *to = fq_test_time_from_now (24 * 3600);
  g_autoptr(GString) path = g_string_new ("/api/v1");
  g_auto(GStrv) segments = g_strsplit (row->pattern + 1, "/", -1);

  for (guint i = 0; segments[i] != NULL; i++)
    {
      const char *segment = segments[i];

      if (g_str_equal (segment, "*"))
        {
          const char *first = segments[0];

          segment = g_str_equal (first, "incidents") ? incident :
                    g_str_equal (first, "tickets") ? ticket :
                    g_str_equal (first, "sessions") ? session : FQ_TEST_GUANGZHOULU;
        }
      g_string_append_printf (path, "/%s", segment);
    }
  g_string_append_printf (path, "?limit=1000&from=%s&to=%s&grid=%s&bucket=day"
                          "&metric=incidents_total", from, to, FQ_TEST_GUANGZHOULU);
  return g_string_free (g_steal_pointer (&path), FALSE);
}

static char *
post_ok (FqTestClient *client,
         const char   *path,
         const char   *body,
         guint         status)
{
  g_autoptr(FqTestResponse) resp = fq_test_post (client, path, body);

  g_assert_cmpuint (resp->status, ==, status);
  return g_strdup (fq_test_obj_str (fq_test_response_object (resp), "id"));
}

static void
test_scan (Fixture       *f,
           gconstpointer  data)
{
  const char *usernames[] = { "unit", "grid", "leader" };
  FqTestClient *clients[G_N_ELEMENTS (usernames)];
  Listener *listeners[G_N_ELEMENTS (usernames)];
  g_autoptr(FqTestClient) coordinator = login (f, "coordinator");
  g_autoptr(FqTestResponse) incident = NULL;
  g_autofree char *ticket = NULL;
  g_autofree char *second = NULL;
  g_autofree char *session = NULL;
  g_autofree char *path = NULL;
  g_autofree char *when = fq_test_time_from_now (3600);
  g_autofree char *body = NULL;
  const FqPermission *rows;
  guint n_rows;

  for (guint i = 0; i < G_N_ELEMENTS (usernames); i++)
    {
      clients[i] = login (f, usernames[i]);
      listeners[i] = listen_as (f, clients[i]);
    }

  /* Writes while they listen: a second call with a number, diverted to the
   * unit's office; a session on the first call's ticket; a comment. */
  incident = fq_test_get (f->operator, "/api/v1/incidents/%s", f->incident);
  ticket = g_strdup (fq_test_obj_str (fq_test_response_object (incident), "ticket"));
  g_assert_nonnull (ticket);
  second = post_ok (f->operator, "/api/v1/incidents",
                    "{\"source\":\"110\",\"grid\":\"" FQ_TEST_GUANGZHOULU "\","
                    "\"summary\":\"邻居装修噪音\",\"caller_name\":\"李先生\","
                    "\"caller_phone\":\"" PHONE2 "\",\"address\":\"广州路30号\"}", 201);
  path = g_strdup_printf ("/api/v1/incidents/%s/triage", second);
  {
    g_autoptr(FqTestResponse) resp = NULL;

    body = g_strdup_printf ("{\"decision\":\"merge\",\"category\":\"B01\",\"grid\":\""
                            FQ_TEST_GUANGZHOULU "\",\"rev\":1,\"ticket\":\"%s\"}", ticket);
    resp = fq_test_post (f->operator, path, body);
    g_assert_cmpuint (resp->status, ==, 200);
  }
  g_free (path);
  path = g_strdup_printf ("/api/v1/tickets/%s/sessions", ticket);
  g_free (body);
  body = g_strdup_printf ("{\"title\":\"噪音会商\",\"scheduled_at\":\"%s\",\"location\":\"社区\","
                          "\"agenda\":\"议程\",\"invitees\":[\"" FQ_TEST_UNIT_STREET "\"]}", when);
  session = post_ok (coordinator, path, body, 201);

  rows = fq_permissions_table (&n_rows);
  for (guint i = 0; i < G_N_ELEMENTS (usernames); i++)
    {
      g_autofree char *feed = read_feed (clients[i]);
      gint64 deadline;
      gboolean seen = FALSE;
      guint n_scanned = 0;

      assert_no_phone ("/changes", feed);
      for (guint r = 0; r < n_rows; r++)
        {
          const char *ids[][2] = { { f->incident, ticket }, { second, ticket } };

          if (!g_str_equal (rows[r].method, "GET") ||
              (rows[r].flags & FQ_PERMISSION_FLAG_OWN_HANDLER))
            continue;
          for (guint k = 0; k < G_N_ELEMENTS (ids); k++)
            {
              g_autofree char *get = path_for_row (&rows[r], ids[k][0], ids[k][1], session);
              g_autoptr(FqTestResponse) resp = fq_test_get (clients[i], "%s", get);
              g_autofree char *what = g_strdup_printf ("GET %s as %s (%u)", get, usernames[i],
                                                       resp->status);

              g_test_message ("%s", what);
              g_assert_cmpuint (resp->status, <, 500);
              assert_no_phone (what, resp->text);
              n_scanned += resp->status == 200;
            }
        }
      /* Every role reads something of it: the scan is not of errors only. */
      g_assert_cmpuint (n_scanned, >=, 20);

      /* The WebSocket had the second call (masked) and nothing in full. */
      deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
      while (!seen && g_get_monotonic_time () < deadline)
        {
          g_main_context_iteration (NULL, FALSE);
          for (guint k = 0; k < listeners[i]->frames->len && !seen; k++)
            seen = strstr (g_ptr_array_index (listeners[i]->frames, k), PHONE2_MASKED) != NULL;
          if (!seen)
            g_usleep (10 * 1000);
        }
      g_assert_true (seen);
      for (guint k = 0; k < listeners[i]->frames->len; k++)
        assert_no_phone ("an /events frame", g_ptr_array_index (listeners[i]->frames, k));
    }

  for (guint i = 0; i < G_N_ELEMENTS (usernames); i++)
    {
      listener_free (listeners[i]);
      fq_test_client_free (clients[i]);
    }
}

/* The full number on request, to the roles that may read it, written to
 * the audit; refused to the others, who leave no row. */
static void
test_reveal (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(FqTestClient) admin = login (f, "admin");
  g_autofree char *path = g_strdup_printf ("/api/v1/incidents/%s/reveal", f->incident);
  const char *refused[] = { "unit", "grid", "leader", "admin" };
  const char *allowed[] = { "operator", "coordinator" };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(FqTestClient) c = login (f, refused[i]);
      g_autoptr(FqTestResponse) resp = fq_test_post (c, path, NULL);

      fq_test_assert_error (resp, 403, "forbidden");
      assert_no_phone (path, resp->text);
    }
  for (guint i = 0; i < G_N_ELEMENTS (allowed); i++)
    {
      g_autoptr(FqTestClient) c = login (f, allowed[i]);
      g_autoptr(FqTestResponse) resp = fq_test_post (c, path, NULL);
      g_autoptr(FqTestResponse) audit = NULL;
      JsonArray *entries;

      fq_test_assert_status (resp, 200);
      g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (resp), "caller_phone"), ==, PHONE);
      audit = fq_test_get (admin, "/api/v1/audit?action=reveal&entity_id=%s&actor=%s",
                           f->incident, allowed[i]);
      fq_test_assert_status (audit, 200);
      entries = fq_test_obj_array (fq_test_response_object (audit), "entries");
      g_assert_cmpuint (json_array_get_length (entries), ==, 1);
      /* The audit row names the incident, never the number. */
      assert_no_phone ("the audit", audit->text);
    }
  {
    g_autoptr(FqTestResponse) audit = fq_test_get (admin, "/api/v1/audit?action=reveal&entity_id=%s",
                                                   f->incident);

    g_assert_cmpuint (json_array_get_length (fq_test_obj_array (fq_test_response_object (audit),
                                                                "entries")), ==, 2);
  }
  /* An incident that does not exist answers 404, as one outside scope. */
  {
    g_autoptr(FqTestResponse) missing = fq_test_post (f->operator,
                                                      "/api/v1/incidents/I000000-000000/reveal", NULL);

    fq_test_assert_error (missing, 404, "not_found");
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/privacy/roles", Fixture, NULL, fixture_set_up, test_roles, fixture_tear_down);
  g_test_add ("/privacy/search", Fixture, NULL, fixture_set_up, test_search, fixture_tear_down);
  g_test_add ("/privacy/websocket", Fixture, NULL, fixture_set_up, test_websocket,
              fixture_tear_down);
  g_test_add ("/privacy/scan", Fixture, NULL, fixture_set_up, test_scan, fixture_tear_down);
  g_test_add ("/privacy/reveal", Fixture, NULL, fixture_set_up, test_reveal, fixture_tear_down);

  return g_test_run ();
}
