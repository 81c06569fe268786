/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Test"

#include "config.h"

#include <sys/stat.h>

#include "fq-cache-private.h"
#include "fq-error.h"
#include "fq-outbox.h"
#include "fq-sync.h"
#include "fq-test-data-util.h"

/*
 * The data layer against a real server: login and session file, catch-up
 * into the cache, a live incident over the WebSocket, going offline, an
 * offline write replayed exactly once after the server comes back on the
 * same data, and the cache read again without any server.
 */

typedef struct
{
  char          *dir;
  char          *data_dir;
  char          *session_dir;
  char          *cache_path;
  FqLocalServer *server;
  FqClient      *client;
  FqCache       *cache;
  FqSync        *sync;
} Fixture;

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  f->dir = g_dir_make_tmp ("fq-test-sync-XXXXXX", NULL);
  f->data_dir = g_build_filename (f->dir, "server", NULL);
  f->session_dir = g_build_filename (f->dir, "sessions", NULL);
  f->cache_path = g_build_filename (f->dir, "cache", "operator.db", NULL);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
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
  if (f->server != NULL)
    {
      fq_local_server_stop (f->server);
      g_clear_object (&f->server);
    }
  fq_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->data_dir);
  g_free (f->session_dir);
  g_free (f->cache_path);
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

static gint64
server_last_seq (FqClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) health = fq_test_call (client, "GET", "/health", NULL, NULL, &error);

  g_assert_no_error (error);
  return json_object_get_int_member (json_node_get_object (health), "last_seq");
}

typedef struct
{
  const char *id;
  gboolean    seen;
} Watch;

static void
record_changed_cb (FqCache    *cache,
                   const char *entity,
                   const char *id,
                   Watch      *w)
{
  if (w->id != NULL && g_strcmp0 (id, w->id) == 0)
    w->seen = TRUE;
}

/* Batches applied while the cache fills, and after. */
typedef struct
{
  guint filling;
  guint live;
} Batches;

static void
records_changed_cb (FqCache      *cache,
                    FqCacheBatch *batch,
                    Batches      *b)
{
  if (batch->others->len == 0)
    return;
  if (batch->filling)
    b->filling++;
  else
    b->live++;
}

/* What "progress" said while catching up: -1 or a share of the way. */
typedef struct
{
  guint  n_between; /* values strictly between 0 and 1 */
  double last;
  guint  n_backwards;
  guint  n_out_of_range;
} Progress;

static void
progress_cb (FqSync     *sync,
             GParamSpec *pspec,
             Progress   *p)
{
  double value = fq_sync_get_progress (sync);

  if (value == -1.0)
    return;
  if (value < 0.0 || value > 1.0)
    {
      p->n_out_of_range++;
      return;
    }
  if (value < p->last)
    p->n_backwards++;
  p->last = value;
  if (value > 0.0 && value < 1.0)
    p->n_between++;
}

static char *
post_incident (FqClient   *client,
               const char *summary,
               const char *key)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *body = g_strdup_printf ("{\"source\":\"12345\",\"grid\":\"420202005001\","
                                           "\"summary\":\"%s\",\"address\":\"广州路1号\"}", summary);
  g_autoptr(JsonNode) node = fq_test_call (client, "POST", "/incidents", body, key, &error);

  g_assert_no_error (error);
  return g_strdup (json_object_get_string_member (json_node_get_object (node), "id"));
}

static guint
count_incidents (FqClient   *client,
                 const char *q)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *escaped = g_uri_escape_string (q, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/incidents?q=%s&limit=1000", escaped);
  g_autoptr(JsonNode) node = fq_test_call (client, "GET", path, NULL, NULL, &error);
  JsonObject *obj;

  g_assert_no_error (error);
  obj = json_node_get_object (node);
  if (json_object_has_member (obj, "incidents"))
    return json_array_get_length (json_object_get_array_member (obj, "incidents"));
  return json_array_get_length (json_object_get_array_member (obj, "items"));
}

static gboolean
pending_zero_cond (gpointer data)
{
  return fq_outbox_get_n_pending (data) == 0;
}

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(FqClient) other = NULL;
  g_autoptr(FqOutbox) outbox = NULL;
  g_autofree char *session_file = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *id = NULL;
  g_autofree char *key = NULL;
  g_autoptr(JsonObject) body = NULL;
  GStatBuf st;
  Watch watch = { 0 };
  Batches batches = { 0 };
  Progress progress = { 0 };
  guint n_filling;
  g_autoptr(GUri) uri = NULL;
  gint64 t0;

  if (!fq_test_have_server ())
    return;

  f->server = fq_test_start_server (f->data_dir, NULL);
  f->client = fq_test_login (fq_local_server_get_url (f->server), f->session_dir, "operator");
  g_assert_true (fq_client_get_signed_in (f->client));

  /* The token is the user's alone. */
  session_file = g_strdup_printf ("%s/%s-operator.json", f->session_dir,
                                  fq_client_get_server_id (f->client));
  g_assert_cmpint (g_stat (session_file, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);

  /* Catch-up fills the cache; its batches say they fill it (the board
   * shows none of their rows as arrivals). */
  f->cache = fq_test_open_cache (f->cache_path);
  g_signal_connect (f->cache, "records-changed", G_CALLBACK (records_changed_cb), &batches);
  f->sync = fq_sync_new (f->client, f->cache);
  g_signal_connect (f->sync, "notify::progress", G_CALLBACK (progress_cb), &progress);
  fq_sync_start (f->sync);
  g_assert_true (fq_sync_get_filling (f->sync));
  g_assert_true (fq_test_wait (online_cond, f->sync, 60000));
  g_assert_false (fq_sync_get_filling (f->sync));
  /* The reference data alone is more than one page of /changes: the
   * progress of the fill went through the pages, forward only, and ended
   * whole. */
  g_assert_cmpint (server_last_seq (f->client), >, 2000);
  g_assert_cmpuint (progress.n_out_of_range, ==, 0);
  g_assert_cmpuint (progress.n_backwards, ==, 0);
  g_assert_cmpuint (progress.n_between, >=, 2);
  g_assert_cmpfloat (progress.last, ==, 1.0);
  g_assert_cmpfloat (fq_sync_get_progress (f->sync), ==, 1.0);
  g_signal_handlers_disconnect_by_func (f->sync, progress_cb, &progress);
  g_assert_cmpuint (batches.filling, >, 0);
  g_assert_cmpuint (batches.live, ==, 0);
  n_filling = batches.filling;
  g_assert_cmpint (fq_cache_get_last_seq (f->cache), >=, server_last_seq (f->client) - 0);
  g_assert_nonnull (fq_cache_lookup_ref (f->cache, "grid", "420200000000"));
  g_assert_cmpuint (g_hash_table_size (fq_cache_get_ref_table (f->cache, "category")), >, 10);

  /* An incident posted by someone else arrives live within a second. */
  other = fq_test_login (fq_local_server_get_url (f->server), f->session_dir, "admin");
  g_signal_connect (f->cache, "record-changed::incident", G_CALLBACK (record_changed_cb), &watch);
  t0 = g_get_monotonic_time ();
  id = post_incident (other, "邻居深夜装修噪音扰民", NULL);
  watch.id = id;
  g_assert_true (fq_test_wait (fq_test_flag_cond, &watch.seen, 1000));
  g_test_message ("live incident arrived after %.0f ms", (g_get_monotonic_time () - t0) / 1000.0);
  /* What comes once caught up is not filling. */
  g_assert_cmpuint (batches.live, >=, 1);
  g_assert_cmpuint (batches.filling, ==, n_filling);

  /* The server goes away: offline. */
  uri = g_uri_parse (fq_local_server_get_url (f->server), G_URI_FLAGS_NONE, NULL);
  listen = g_strdup_printf ("127.0.0.1:%d", g_uri_get_port (uri));
  fq_local_server_stop (f->server);
  g_clear_object (&f->server);
  g_assert_true (fq_test_wait (offline_cond, f->sync, 10000));
  g_assert_cmpint (fq_sync_get_offline_since (f->sync), >, 0);

  /* A write made offline is pending. */
  outbox = fq_outbox_new (f->client, f->cache, f->sync);
  body = json_object_new ();
  json_object_set_string_member (body, "source", "110");
  json_object_set_string_member (body, "grid", "420202005001");
  json_object_set_string_member (body, "summary", "离线录入的纠纷甲乙丙");
  key = fq_outbox_create_incident (outbox, body);
  g_assert_nonnull (key);
  g_assert_cmpuint (fq_outbox_get_n_pending (outbox), ==, 1);

  /* The server is back on the same data and port: the write reaches it
   * exactly once and the pending mark clears. */
  f->server = fq_test_start_server (f->data_dir, listen);
  fq_sync_reconnect_now (f->sync);
  g_assert_true (fq_test_wait (online_cond, f->sync, 30000));
  g_assert_true (fq_test_wait (pending_zero_cond, outbox, 30000));
  g_assert_cmpuint (count_incidents (other, "离线录入的纠纷甲乙丙"), ==, 1);

  /* Replaying with the same key (same user) changes nothing. */
  {
    g_autofree char *again = post_incident (f->client, "离线录入的纠纷甲乙丙", key);
    (void)again;
  }
  g_assert_cmpuint (count_incidents (other, "离线录入的纠纷甲乙丙"), ==, 1);
}

static void
test_cache_without_server (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(FqClient) offline = NULL;
  gint64 seq;

  if (!fq_test_have_server ())
    return;

  f->server = fq_test_start_server (f->data_dir, NULL);
  f->client = fq_test_login (fq_local_server_get_url (f->server), f->session_dir, "operator");
  f->cache = fq_test_open_cache (f->cache_path);
  f->sync = fq_sync_new (f->client, f->cache);
  fq_sync_start (f->sync);
  g_assert_true (fq_test_wait (online_cond, f->sync, 60000));
  seq = fq_cache_get_last_seq (f->cache);
  g_assert_cmpint (seq, >, 0);

  fq_sync_stop (f->sync);
  g_clear_object (&f->sync);
  fq_cache_close (f->cache);
  g_clear_object (&f->cache);
  fq_local_server_stop (f->server);
  g_clear_object (&f->server);

  /* A new start with no server at all: the session and the data are there. */
  offline = fq_client_new (fq_client_get_base_url (f->client));
  fq_client_set_session_dir (offline, f->session_dir);
  g_assert_true (fq_client_restore_session (offline, NULL, NULL));
  g_assert_cmpstr (fq_client_get_username (offline), ==, "operator");

  f->cache = fq_test_open_cache (f->cache_path);
  g_assert_false (fq_cache_get_recreated (f->cache));
  g_assert_cmpint (fq_cache_get_last_seq (f->cache), ==, seq);
  g_assert_nonnull (fq_cache_lookup_ref (f->cache, "grid", "420200000000"));

  f->sync = fq_sync_new (offline, f->cache);
  fq_sync_start (f->sync);
  g_assert_true (fq_test_wait (offline_cond, f->sync, 10000));
  g_assert_cmpuint (fq_sync_get_retry_in (f->sync), >=, 1);
}

static void
test_errors (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(FqClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;

  if (!fq_test_have_server ())
    return;

  f->server = fq_test_start_server (f->data_dir, NULL);
  client = fq_test_login (fq_local_server_get_url (f->server), f->session_dir, "leader");

  /* A leader may not create incidents: forbidden, explained. */
  node = fq_test_call (client, "POST", "/incidents",
                       "{\"source\":\"110\",\"grid\":\"420202005001\",\"summary\":\"x\"}",
                       NULL, &error);
  g_assert_null (node);
  g_assert_true (error->domain == FQ_ERROR);
  text = fq_client_describe_error (error);
  g_assert_nonnull (text);
  g_assert_cmpstr (text, !=, "");
  g_clear_error (&error);
  g_clear_pointer (&text, g_free);

  node = fq_test_call (client, "GET", "/incidents/does-not-exist", NULL, NULL, &error);
  g_assert_error (error, FQ_ERROR, FQ_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Unreachable: a network error, told as such. */
  fq_local_server_stop (f->server);
  g_clear_object (&f->server);
  node = fq_test_call (client, "GET", "/me", NULL, NULL, &error);
  g_assert_null (node);
  g_assert_true (fq_client_error_is_network (error));
  text = fq_client_describe_error (error);
  g_assert_nonnull (text);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/sync/round-trip", Fixture, NULL, setup, test_round_trip, teardown);
  g_test_add ("/sync/cache-without-server", Fixture, NULL, setup, test_cache_without_server, teardown);
  g_test_add ("/sync/errors", Fixture, NULL, setup, test_errors, teardown);

  return g_test_run ();
}
