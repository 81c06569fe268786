/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Test"

#include "config.h"

#include <glib/gstdio.h>

#include "fq-cache-private.h"
#include "fq-json.h"
#include "fq-sync.h"
#include "fq-test-data-util.h"

/*
 * The console's cache against a server whose data is not the cache's: a
 * new data directory behind the same address (a reset, or a restored
 * backup, both of which have a new epoch in GET /health) makes the sync
 * empty the cache and fill it again, and the rows of the old data leave
 * the models; a restart on the same data keeps the cache; a damaged cache
 * file is replaced and filled. And a console whose clock is two hours
 * wrong (FQ_TEST_CLOCK_SKEW) still reads the server's time.
 */

#define SKEW_SECONDS      (-7200)
#define SKEW_SECONDS_TEXT "-7200"

typedef struct
{
  char          *dir;
  char          *session_dir;
  char          *cache_path;
  FqLocalServer *server;
  FqClient      *client;
  FqCache       *cache;
  FqSync        *sync;
  guint          resets;
} Fixture;

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  f->dir = g_dir_make_tmp ("fq-test-resync-XXXXXX", NULL);
  f->session_dir = g_build_filename (f->dir, "sessions", NULL);
  f->cache_path = g_build_filename (f->dir, "cache", "operator.db", NULL);
}

static void
stop_sync (Fixture *f)
{
  if (f->sync != NULL)
    {
      fq_sync_stop (f->sync);
      g_clear_object (&f->sync);
    }
  if (f->cache != NULL)
    {
      fq_cache_close (f->cache);
      g_clear_object (&f->cache);
    }
  g_clear_object (&f->client);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  stop_sync (f);
  if (f->server != NULL)
    {
      fq_local_server_stop (f->server);
      g_clear_object (&f->server);
    }
  fq_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->session_dir);
  g_free (f->cache_path);
}

static gboolean
online_cond (gpointer data)
{
  return fq_sync_get_state (data) == FQ_SYNC_STATE_ONLINE && !fq_sync_get_catching_up (data);
}

static void
cache_reset_cb (FqSync  *sync,
                Fixture *f)
{
  f->resets++;
}

/* Signs in on the server at hand and syncs the cache at f->cache_path. */
static void
start_sync (Fixture *f)
{
  f->client = fq_test_login (fq_local_server_get_url (f->server), f->session_dir, "operator");
  f->cache = fq_test_open_cache (f->cache_path);
  f->sync = fq_sync_new (f->client, f->cache);
  g_signal_connect (f->sync, "cache-reset", G_CALLBACK (cache_reset_cb), f);
  fq_sync_start (f->sync);
  g_assert_true (fq_test_wait (online_cond, f->sync, 60000));
}

static char *
server_dir (Fixture    *f,
            const char *name)
{
  return g_build_filename (f->dir, name, NULL);
}

static JsonObject *
health (FqClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = fq_test_call (client, "GET", "/health", NULL, NULL, &error);

  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (node));
}

static char *
post_incident (FqClient   *client,
               const char *summary)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *body = g_strdup_printf ("{\"source\":\"12345\",\"grid\":\"420202005001\","
                                           "\"summary\":\"%s\"}", summary);
  g_autoptr(JsonNode) node = fq_test_call (client, "POST", "/incidents", body, NULL, &error);

  g_assert_no_error (error);
  return g_strdup (json_object_get_string_member (json_node_get_object (node), "id"));
}

typedef struct
{
  gboolean    done;
  JsonObject *record;
  GError     *error;
} RecordWait;

static void
record_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  RecordWait *w = user_data;

  w->record = fq_cache_get_record_finish (FQ_CACHE (object), result, &w->error);
  w->done = TRUE;
}

/* TRUE if the cache holds the incident @id. */
static gboolean
cache_has_incident (FqCache    *cache,
                    const char *id)
{
  RecordWait w = { 0 };
  gboolean found;

  fq_cache_get_record_async (cache, "incident", id, NULL, record_cb, &w);
  g_assert_true (fq_test_wait (fq_test_flag_cond, &w.done, 10000));
  found = w.record != NULL;
  if (!found)
    g_assert_error (w.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_pointer (&w.record, json_object_unref);
  g_clear_error (&w.error);
  return found;
}

typedef struct
{
  const char *id;
  gboolean    deleted;
} DeleteWatch;

static void
records_changed_cb (FqCache      *cache,
                    FqCacheBatch *batch,
                    DeleteWatch  *w)
{
  for (guint i = 0; i < batch->incidents->len; i++)
    {
      FqIncidentRec *rec = g_ptr_array_index (batch->incidents, i);

      if (rec->deleted && g_strcmp0 (rec->id, w->id) == 0)
        w->deleted = TRUE;
    }
}

static void
test_data_replaced (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *first = server_dir (f, "first");
  g_autofree char *second = server_dir (f, "second");
  g_autofree char *listen = NULL;
  g_autofree char *id = NULL;
  g_autoptr(JsonObject) h1 = NULL;
  g_autoptr(JsonObject) h2 = NULL;
  DeleteWatch watch = { 0 };

  if (!fq_test_have_server ())
    return;

  /* The cache is filled from the first server's data. */
  f->server = fq_test_start_server (first, NULL);
  listen = fq_test_server_listen (f->server);
  start_sync (f);
  h1 = health (f->client);
  id = post_incident (f->client, "重置前的旧纠纷");
  g_assert_true (fq_test_wait (online_cond, f->sync, 10000));
  while (!cache_has_incident (f->cache, id))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (f->resets, ==, 0);
  stop_sync (f);
  fq_local_server_stop (f->server);
  g_clear_object (&f->server);

  /* Another data directory behind the same address: what a reset or a
   * restored backup looks like from the console. */
  f->server = fq_test_start_server (second, listen);
  f->client = fq_test_login (fq_local_server_get_url (f->server), f->session_dir, "operator");
  h2 = health (f->client);
  g_assert_cmpstr (json_object_get_string_member (h1, "epoch"), !=,
                   json_object_get_string_member (h2, "epoch"));

  f->cache = fq_test_open_cache (f->cache_path);
  g_assert_true (cache_has_incident (f->cache, id));
  watch.id = id;
  g_signal_connect (f->cache, "records-changed", G_CALLBACK (records_changed_cb), &watch);
  f->sync = fq_sync_new (f->client, f->cache);
  g_signal_connect (f->sync, "cache-reset", G_CALLBACK (cache_reset_cb), f);
  fq_sync_start (f->sync);
  g_assert_true (fq_test_wait (online_cond, f->sync, 60000));

  /* Emptied (the models were told, row by row) and filled again. */
  g_assert_cmpuint (f->resets, ==, 1);
  g_assert_true (watch.deleted);
  g_assert_false (cache_has_incident (f->cache, id));
  g_assert_cmpint (fq_cache_get_last_seq (f->cache), ==,
                   json_object_get_int_member (health (f->client), "last_seq"));
  g_assert_nonnull (fq_cache_lookup_ref (f->cache, "grid", "420200000000"));
  g_signal_handlers_disconnect_by_data (f->cache, &watch);

  /* The next start on the same server keeps the rebuilt cache. */
  stop_sync (f);
  start_sync (f);
  g_assert_cmpuint (f->resets, ==, 1);
}

static void
test_same_server_kept (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *dir = server_dir (f, "server");
  g_autofree char *listen = NULL;
  g_autofree char *id = NULL;
  gint64 seq;

  if (!fq_test_have_server ())
    return;

  f->server = fq_test_start_server (dir, NULL);
  listen = fq_test_server_listen (f->server);
  start_sync (f);
  id = post_incident (f->client, "重启后仍在的纠纷");
  while (!cache_has_incident (f->cache, id))
    g_main_context_iteration (NULL, TRUE);
  seq = fq_cache_get_last_seq (f->cache);
  stop_sync (f);
  fq_local_server_stop (f->server);
  g_clear_object (&f->server);

  /* The same data, restarted: nothing is thrown away. */
  f->server = fq_test_start_server (dir, listen);
  start_sync (f);
  g_assert_cmpuint (f->resets, ==, 0);
  g_assert_true (cache_has_incident (f->cache, id));
  g_assert_cmpint (fq_cache_get_last_seq (f->cache), >=, seq);
}

static void
test_corrupt_cache (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *dir = server_dir (f, "server");
  g_autofree char *cache_dir = g_path_get_dirname (f->cache_path);
  g_autofree char *junk = g_strnfill (64 * 1024, 'x');

  if (!fq_test_have_server ())
    return;

  /* Not a database at all. */
  g_assert_cmpint (g_mkdir_with_parents (cache_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (f->cache_path, junk, -1, NULL));

  f->server = fq_test_start_server (dir, NULL);
  start_sync (f);
  g_assert_true (fq_cache_get_recreated (f->cache));
  g_assert_cmpint (fq_cache_get_last_seq (f->cache), ==,
                   json_object_get_int_member (health (f->client), "last_seq"));
  g_assert_nonnull (fq_cache_lookup_ref (f->cache, "grid", "420200000000"));
}

static void
test_clock_skew (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *dir = server_dir (f, "server");
  gint64 offset, server_now, real_now;

  if (!fq_test_have_server ())
    return;

  f->server = fq_test_start_server (dir, NULL);
  start_sync (f);

  /* The console's clock is two hours behind; the server's answers (Date,
   * /health "now") give the offset, and the server's time is right. The
   * bound is seconds against a skew of hours: no timing is measured. */
  offset = fq_client_get_clock_offset ();
  server_now = fq_client_get_server_time ();
  real_now = g_get_real_time ();
  g_test_message ("clock offset %.1f s", offset / 1e6);
  g_assert_cmpint (ABS (offset + (gint64)SKEW_SECONDS * G_USEC_PER_SEC), <, 5 * G_USEC_PER_SEC);
  g_assert_cmpint (ABS (server_now - real_now), <, 5 * G_USEC_PER_SEC);

  /* A deadline the server set counts down from the server's now: an
   * incident received "now" by the server is not two hours old here. */
  {
    g_autofree char *id = post_incident (f->client, "时钟偏差下的纠纷");
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_strdup_printf ("/incidents/%s", id);
    g_autoptr(JsonNode) node = fq_test_call (f->client, "GET", path, NULL, NULL, &error);
    gint64 received;

    g_assert_no_error (error);
    g_assert_true (fq_time_parse (json_object_get_string_member (json_node_get_object (node),
                                                                 "received_at"), &received));
    g_assert_cmpint (ABS (fq_client_get_server_time () / G_USEC_PER_SEC - received), <, 5);
  }
}

int
main (int   argc,
      char *argv[])
{
  /* Read once, at the first look at the clock: before anything else. */
  g_setenv ("FQ_TEST_CLOCK_SKEW", SKEW_SECONDS_TEXT, TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/resync/data-replaced", Fixture, NULL, setup, test_data_replaced, teardown);
  g_test_add ("/resync/same-server-kept", Fixture, NULL, setup, test_same_server_kept, teardown);
  g_test_add ("/resync/corrupt-cache", Fixture, NULL, setup, test_corrupt_cache, teardown);
  g_test_add ("/resync/clock-skew", Fixture, NULL, setup, test_clock_skew, teardown);

  return g_test_run ();
}
