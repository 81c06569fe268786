/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Callers' phone numbers reach only operators and coordinators. Every other
 * role — unit staff, grid workers, leaders, administrators — reads them
 * masked (138****5678) in REST answers, in /changes and on the WebSocket,
 * and cannot find a call by searching its number.
 */

#include "config.h"

#include <string.h>

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

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/privacy/roles", Fixture, NULL, fixture_set_up, test_roles, fixture_tear_down);
  g_test_add ("/privacy/search", Fixture, NULL, fixture_set_up, test_search, fixture_tear_down);
  g_test_add ("/privacy/websocket", Fixture, NULL, fixture_set_up, test_websocket,
              fixture_tear_down);

  return g_test_run ();
}
