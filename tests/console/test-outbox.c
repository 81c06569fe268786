/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Test"

#include "config.h"

#include "fq-cache-private.h"
#include "fq-error.h"
#include "fq-outbox.h"
#include "fq-sync.h"
#include "fq-test-data-util.h"

/*
 * The outbox against a real server: writes kept across a restart of the
 * console while the server is away, sent in order once it is back, and a
 * refused write reported as a conflict with the server's current object.
 */

#define GRID "420202005001"

typedef struct
{
  char          *dir;
  char          *data_dir;
  char          *session_dir;
  char          *cache_path;
  char          *listen;
  FqLocalServer *server;
  FqClient      *client;
  FqCache       *cache;
  FqSync        *sync;
  FqOutbox      *outbox;
} Fixture;

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  f->dir = g_dir_make_tmp ("fq-test-outbox-XXXXXX", NULL);
  f->data_dir = g_build_filename (f->dir, "server", NULL);
  f->session_dir = g_build_filename (f->dir, "sessions", NULL);
  f->cache_path = g_build_filename (f->dir, "cache.db", NULL);
}

static void
close_console (Fixture *f)
{
  g_clear_object (&f->outbox);
  if (f->sync != NULL)
    fq_sync_stop (f->sync);
  g_clear_object (&f->sync);
  if (f->cache != NULL)
    fq_cache_close (f->cache);
  g_clear_object (&f->cache);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  close_console (f);
  g_clear_object (&f->client);
  if (f->server != NULL)
    fq_local_server_stop (f->server);
  g_clear_object (&f->server);
  fq_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->data_dir);
  g_free (f->session_dir);
  g_free (f->cache_path);
  g_free (f->listen);
}

static gboolean
online_cond (gpointer data)
{
  return fq_sync_get_state (data) == FQ_SYNC_STATE_ONLINE && !fq_sync_get_catching_up (data);
}

static gboolean
offline_cond (gpointer data)
{
  return fq_sync_get_state (data) == FQ_SYNC_STATE_OFFLINE;
}

static gboolean
pending_zero_cond (gpointer data)
{
  return fq_outbox_get_n_pending (data) == 0;
}

static void
open_console (Fixture *f)
{
  f->cache = fq_test_open_cache (f->cache_path);
  f->sync = fq_sync_new (f->client, f->cache);
  f->outbox = fq_outbox_new (f->client, f->cache, f->sync);
  fq_sync_start (f->sync);
}

static void
start_server (Fixture *f)
{
  f->server = fq_test_start_server (f->data_dir, f->listen);
  if (f->listen == NULL)
    {
      g_autoptr(GUri) uri = g_uri_parse (fq_local_server_get_url (f->server), G_URI_FLAGS_NONE, NULL);

      f->listen = g_strdup_printf ("127.0.0.1:%d", g_uri_get_port (uri));
    }
}

static JsonObject *
incident_body (const char *summary)
{
  JsonObject *body = json_object_new ();

  json_object_set_string_member (body, "source", "12345");
  json_object_set_string_member (body, "grid", GRID);
  json_object_set_string_member (body, "summary", summary);
  return body;
}

static void
load_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_assert_true (fq_outbox_load_finish (FQ_OUTBOX (object), result, NULL));
  *(gboolean *)user_data = TRUE;
}

static void
test_survives_restart (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(JsonObject) a = incident_body ("先录入的离线事件ALPHA");
  g_autoptr(JsonObject) b = incident_body ("后录入的离线事件BETA");
  g_autoptr(JsonNode) list = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key_a = NULL;
  g_autofree char *key_b = NULL;
  JsonArray *incidents;
  gboolean loaded = FALSE;
  int pos_a = -1, pos_b = -1;

  if (!fq_test_have_server ())
    return;

  start_server (f);
  f->client = fq_test_login (fq_local_server_get_url (f->server), f->session_dir, "operator");
  open_console (f);
  g_assert_true (fq_test_wait (online_cond, f->sync, 60000));

  fq_local_server_stop (f->server);
  g_clear_object (&f->server);
  g_assert_true (fq_test_wait (offline_cond, f->sync, 10000));

  key_a = fq_outbox_create_incident (f->outbox, a);
  key_b = fq_outbox_create_incident (f->outbox, b);
  g_assert_cmpuint (fq_outbox_get_n_pending (f->outbox), ==, 2);

  /* The console quits and starts again, still without a server. */
  close_console (f);
  open_console (f);
  fq_outbox_load_async (f->outbox, NULL, load_cb, &loaded);
  g_assert_true (fq_test_wait (fq_test_flag_cond, &loaded, 10000));
  g_assert_cmpuint (fq_outbox_get_n_pending (f->outbox), ==, 2);

  start_server (f);
  fq_sync_reconnect_now (f->sync);
  g_assert_true (fq_test_wait (pending_zero_cond, f->outbox, 30000));

  /* Both arrived once, in the order written (the list is newest first). */
  list = fq_test_call (f->client, "GET", "/incidents?limit=1000", NULL, NULL, &error);
  g_assert_no_error (error);
  incidents = json_object_get_array_member (json_node_get_object (list), "incidents");
  for (guint i = 0; i < json_array_get_length (incidents); i++)
    {
      JsonObject *inc = json_array_get_object_element (incidents, i);
      const char *summary = json_object_get_string_member (inc, "summary");

      if (g_strcmp0 (summary, "先录入的离线事件ALPHA") == 0)
        {
          g_assert_cmpint (pos_a, ==, -1);
          pos_a = i;
        }
      else if (g_strcmp0 (summary, "后录入的离线事件BETA") == 0)
        {
          g_assert_cmpint (pos_b, ==, -1);
          pos_b = i;
        }
    }
  g_assert_cmpint (pos_a, >=, 0);
  g_assert_cmpint (pos_b, >=, 0);
  g_assert_cmpint (pos_b, <, pos_a);
}

typedef struct
{
  gboolean    seen;
  char       *entity_id;
  JsonObject *current;
  GError     *error;
} Conflict;

static void
conflict_cb (FqOutbox   *outbox,
             const char *key,
             const char *entity,
             const char *entity_id,
             JsonObject *current,
             JsonObject *error_object,
             GError     *error,
             Conflict   *c)
{
  c->seen = TRUE;
  c->entity_id = g_strdup (entity_id);
  c->current = current ? json_object_ref (current) : NULL;
  c->error = g_error_copy (error);
}

static void
test_conflict (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(JsonNode) created = NULL;
  g_autoptr(JsonObject) triage = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  Conflict c = { 0 };
  GHashTableIter iter;
  gpointer category = NULL;
  const char *id;

  if (!fq_test_have_server ())
    return;

  start_server (f);
  f->client = fq_test_login (fq_local_server_get_url (f->server), f->session_dir, "operator");
  open_console (f);
  g_assert_true (fq_test_wait (online_cond, f->sync, 60000));

  created = fq_test_call (f->client, "POST", "/incidents",
                          "{\"source\":\"110\",\"grid\":\"" GRID "\",\"summary\":\"冲突测试\"}",
                          NULL, &error);
  g_assert_no_error (error);
  id = json_object_get_string_member (json_node_get_object (created), "id");

  g_hash_table_iter_init (&iter, fq_cache_get_ref_table (f->cache, "category"));
  g_assert_true (g_hash_table_iter_next (&iter, &category, NULL));

  /* A triage made against an old revision. */
  triage = json_object_new ();
  json_object_set_string_member (triage, "decision", "police");
  json_object_set_string_member (triage, "category", category);
  json_object_set_string_member (triage, "grid", GRID);
  json_object_set_int_member (triage, "rev", 9999);
  json_object_set_string_member (triage, "note", "");

  g_signal_connect (f->outbox, "conflict", G_CALLBACK (conflict_cb), &c);
  key = fq_outbox_triage (f->outbox, id, triage);
  g_assert_true (fq_outbox_is_pending (f->outbox, id));
  g_assert_true (fq_test_wait (fq_test_flag_cond, &c.seen, 30000));

  g_assert_cmpstr (c.entity_id, ==, id);
  g_assert_error (c.error, FQ_ERROR, FQ_ERROR_STALE_REV);
  g_assert_nonnull (c.current);
  g_assert_cmpstr (json_object_get_string_member (c.current, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (c.current, "status"), ==, "new");
  g_assert_false (fq_outbox_is_pending (f->outbox, id));
  g_assert_cmpuint (fq_outbox_get_n_pending (f->outbox), ==, 0);

  g_free (c.entity_id);
  g_clear_pointer (&c.current, json_object_unref);
  g_clear_error (&c.error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/outbox/survives-restart", Fixture, NULL, setup, test_survives_restart, teardown);
  g_test_add ("/outbox/conflict", Fixture, NULL, setup, test_conflict, teardown);

  return g_test_run ();
}
