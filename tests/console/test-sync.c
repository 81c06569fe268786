/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Test"

#include "config.h"

#include <string.h>
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
 * same data, the cache read again without any server, and a live feed
 * that goes silent without closing.
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

/* ---- a relay whose live feeds can go silent ----------------------------- */

/* Between the console and the server, a TCP relay: it passes every byte
 * both ways, counts the WebSocket upgrades to /events and the quiet checks
 * (/changes with limit=1), and, once told, drops what the server sends on
 * the feeds open at that moment without closing anything, as a link that
 * died without a FIN would. */
typedef struct
{
  GSocketService *service;
  guint16         port;
  guint16         target_port;
  GPtrArray      *links;
  guint           n_feeds;
  guint           n_checks;
  guint           n_checks_alone; /* on a connection of their own */
  gint64          last_check_since;
} Relay;

typedef struct _Link Link;

/* One direction of a link. */
typedef struct
{
  Link          *link;
  GInputStream  *from;
  GOutputStream *to;
  gboolean       up;      /* from the console to the server */
  guint8         buf[16384];
} Pump;

struct _Link
{
  Relay        *relay;
  GIOStream    *near;   /* the console's */
  GIOStream    *far;    /* the server's */
  gboolean      feed;
  gboolean      check;
  guint         n_requests;
  gboolean      silenced;
  gboolean      done;
  GCancellable *cancellable;
  Pump          up;
  Pump          down;
};

static void pump (Pump *p);

static void
link_close (Link *link)
{
  if (link->done)
    return;
  link->done = TRUE;
  g_cancellable_cancel (link->cancellable);
  g_io_stream_close (link->near, NULL, NULL);
  g_io_stream_close (link->far, NULL, NULL);
}

static void
link_free (Link *link)
{
  link_close (link);
  g_object_unref (link->near);
  g_object_unref (link->far);
  g_object_unref (link->cancellable);
  g_free (link);
}

/* Requests start a chunk; that is enough to tell them apart here. */
static void
link_look_at_request (Link       *link,
                      const char *data,
                      gsize       n)
{
  g_autofree char *line = NULL;
  char *end;

  if (n <= 4 || memcmp (data, "GET ", 4) != 0)
    return;

  line = g_strndup (data, MIN (n, 200));
  if ((end = strstr (line, "\r\n")) != NULL)
    *end = '\0';
  link->n_requests++;
  if (strstr (line, "/events") != NULL)
    {
      link->feed = TRUE;
      link->relay->n_feeds++;
    }
  else if (strstr (line, "/changes?") != NULL && g_str_has_suffix (line, "&limit=1 HTTP/1.1"))
    {
      const char *since = strstr (line, "since=");

      link->check = TRUE;
      link->relay->n_checks++;
      if (since != NULL)
        link->relay->last_check_since = g_ascii_strtoll (since + 6, NULL, 10);
      if (link->n_requests == 1)
        link->relay->n_checks_alone++;
    }
}

static void
written_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Pump *p = user_data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, NULL))
    link_close (p->link);
  else
    pump (p);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Pump *p = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, NULL);

  if (n <= 0)
    {
      link_close (p->link);
      return;
    }
  if (p->up)
    link_look_at_request (p->link, (const char *)p->buf, n);
  else if (p->link->silenced)
    {
      pump (p);
      return;
    }
  g_output_stream_write_all_async (p->to, p->buf, n, G_PRIORITY_DEFAULT, p->link->cancellable,
                                   written_cb, p);
}

static void
pump (Pump *p)
{
  g_input_stream_read_async (p->from, p->buf, sizeof p->buf, G_PRIORITY_DEFAULT,
                             p->link->cancellable, read_cb, p);
}

static void
pump_start (Pump      *p,
            Link      *link,
            GIOStream *from,
            GIOStream *to,
            gboolean   up)
{
  p->link = link;
  p->from = g_io_stream_get_input_stream (from);
  p->to = g_io_stream_get_output_stream (to);
  p->up = up;
  pump (p);
}

static gboolean
relay_incoming_cb (GSocketService    *service,
                   GSocketConnection *connection,
                   GObject           *source,
                   Relay             *relay)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *far;
  Link *link;

  far = g_socket_client_connect_to_host (client, "127.0.0.1", relay->target_port, NULL, &error);
  g_assert_no_error (error);

  link = g_new0 (Link, 1);
  link->relay = relay;
  link->near = G_IO_STREAM (g_object_ref (connection));
  link->far = G_IO_STREAM (far);
  link->cancellable = g_cancellable_new ();
  g_ptr_array_add (relay->links, link);
  pump_start (&link->up, link, link->near, link->far, TRUE);
  pump_start (&link->down, link, link->far, link->near, FALSE);
  return TRUE;
}

static Relay *
relay_new (const char *target_url)
{
  g_autoptr(GUri) uri = g_uri_parse (target_url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  Relay *relay = g_new0 (Relay, 1);

  relay->target_port = g_uri_get_port (uri);
  relay->links = g_ptr_array_new_with_free_func ((GDestroyNotify)link_free);
  relay->service = g_socket_service_new ();
  /* On loopback only, on a port the system picks. */
  g_socket_listener_add_address (G_SOCKET_LISTENER (relay->service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound,
                                 &error);
  g_assert_no_error (error);
  relay->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_signal_connect (relay->service, "incoming", G_CALLBACK (relay_incoming_cb), relay);
  g_socket_service_start (relay->service);
  return relay;
}

static char *
relay_url (Relay *relay)
{
  return g_strdup_printf ("http://127.0.0.1:%u", relay->port);
}

/* Connections that carried a quiet check and are still open. */
static guint
relay_count_open_checks (Relay *relay)
{
  guint n = 0;

  for (guint i = 0; i < relay->links->len; i++)
    {
      Link *link = g_ptr_array_index (relay->links, i);

      n += link->check && !link->done;
    }
  return n;
}

static void
relay_silence_feeds (Relay *relay)
{
  for (guint i = 0; i < relay->links->len; i++)
    {
      Link *link = g_ptr_array_index (relay->links, i);

      if (link->feed)
        link->silenced = TRUE;
    }
}

static void
relay_free (Relay *relay)
{
  g_socket_service_stop (relay->service);
  g_socket_listener_close (G_SOCKET_LISTENER (relay->service));
  g_object_unref (relay->service);
  /* Their pending reads end, cancelled, before the links go. */
  for (guint i = 0; i < relay->links->len; i++)
    link_close (g_ptr_array_index (relay->links, i));
  fq_test_run_for (100);
  g_ptr_array_unref (relay->links);
  g_free (relay);
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

/* A server, and @username's console behind a relay, online with a quiet
 * check every 300 ms; *@admin is signed in to the server directly. */
static Relay *
start_behind_relay (Fixture     *f,
                    const char  *username,
                    FqClient   **admin)
{
  g_autofree char *url = NULL;
  Relay *relay;

  f->server = fq_test_start_server (f->data_dir, NULL);
  relay = relay_new (fq_local_server_get_url (f->server));
  url = relay_url (relay);
  f->client = fq_test_login (url, f->session_dir, username);
  *admin = fq_test_login (fq_local_server_get_url (f->server), f->session_dir, "admin");

  f->cache = fq_test_open_cache (f->cache_path);
  f->sync = fq_sync_new (f->client, f->cache);
  fq_sync_set_quiet_check (f->sync, 300);
  fq_sync_start (f->sync);
  g_assert_true (fq_test_wait (online_cond, f->sync, 60000));
  return relay;
}

/* A feed that stops delivering without closing is noticed and connected
 * again; a feed that is quiet because nothing happened is left alone. */
static void
test_silent_feed (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(FqClient) other = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  Watch watch = { 0 };
  Relay *relay;
  guint checks;

  if (!fq_test_have_server ())
    return;

  relay = start_behind_relay (f, "operator", &other);
  g_assert_cmpuint (relay->n_feeds, ==, 1);

  /* Quiet with nothing to say: checked, and kept. Each check came on a
   * connection of its own, which did not stay open. */
  fq_test_run_for (2000);
  g_assert_cmpuint (relay->n_checks, >=, 2);
  g_assert_cmpuint (relay->n_checks_alone, ==, relay->n_checks);
  g_assert_cmpuint (relay_count_open_checks (relay), <=, 1);
  g_assert_cmpuint (relay->n_feeds, ==, 1);
  g_assert_cmpint (fq_sync_get_state (f->sync), ==, FQ_SYNC_STATE_ONLINE);

  /* A change on a working feed: heard over it, nothing made again. */
  g_signal_connect (f->cache, "record-changed::incident", G_CALLBACK (record_changed_cb), &watch);
  first = post_incident (other, "楼上漏水殃及楼下住户", NULL);
  watch.id = first;
  g_assert_true (fq_test_wait (fq_test_flag_cond, &watch.seen, 2000));
  g_assert_cmpuint (relay->n_feeds, ==, 1);

  /* The feed goes silent without closing: the next change is still found,
   * through a new connection, and the console is online. */
  relay_silence_feeds (relay);
  checks = relay->n_checks;
  watch.seen = FALSE;
  second = post_incident (other, "小区消防通道被私家车占用", NULL);
  watch.id = second;
  g_assert_true (fq_test_wait (fq_test_flag_cond, &watch.seen, 10000));
  g_assert_cmpuint (relay->n_checks, >, checks);
  g_assert_true (fq_test_wait (online_cond, f->sync, 10000));
  g_assert_cmpuint (relay->n_feeds, ==, 2);

  fq_sync_stop (f->sync);
  relay_free (relay);
}

/* A user who sees little (a unit sees its own tickets) hears nothing of
 * most changes: the quiet check finds nothing for it, leaves its feed
 * alone, and starts its next check from the server's last seq instead of
 * walking the same changes again. */
static void
test_quiet_narrow_scope (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(FqClient) other = NULL;
  g_autofree char *id = NULL;
  Relay *relay;
  gint64 last_seq;

  if (!fq_test_have_server ())
    return;

  relay = start_behind_relay (f, "unit", &other);

  /* A new incident is not the unit's. */
  id = post_incident (other, "广场舞音响扰民多次协商未果", NULL);
  last_seq = server_last_seq (other);
  fq_test_run_for (2500);
  g_assert_cmpuint (relay->n_checks, >=, 2);
  g_assert_cmpint (relay->last_check_since, ==, last_seq);
  g_assert_cmpuint (relay->n_feeds, ==, 1);
  g_assert_cmpint (fq_sync_get_state (f->sync), ==, FQ_SYNC_STATE_ONLINE);

  fq_sync_stop (f->sync);
  relay_free (relay);
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
  g_test_add ("/sync/silent-feed", Fixture, NULL, setup, test_silent_feed, teardown);
  g_test_add ("/sync/quiet-narrow-scope", Fixture, NULL, setup, test_quiet_narrow_scope, teardown);
  g_test_add ("/sync/errors", Fixture, NULL, setup, test_errors, teardown);

  return g_test_run ();
}
