/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Soak: the real server on loopback under a steady mixed load for a bounded
 * time, watching its memory. FQ_SOAK_SECONDS long (default 300 as a
 * benchmark; the test suite runs a short one):
 *
 *   - FQ_SOAK_CLIENTS clients (default 50), each a thread with a think time
 *     of about 25 ms: half keep one keep-alive connection, half open a new
 *     connection for every request and close it themselves (the churn
 *     libsoup 3.2.3 leaked on, see fq-server.c);
 *   - of every ten requests (FQ_SOAK_WRITE_EVERY; 0: none) one writes
 *     (POST /incidents) and nine read
 *     (the incident and ticket lists, one incident, /changes anywhere in
 *     the history, /health), on FQ_SOAK_HISTORY_MONTHS of demo history
 *     (default 1: a database larger than SQLite's caches, so that they are
 *     full after the warm-up and what grows after it is not a cache);
 *   - FQ_SOAK_LISTENERS live listeners on the WebSocket /events, which must
 *     receive every change, in seq order, without a gap.
 *
 * Then a churn phase measures what one connection closed by its client
 * costs the server for good: thousands of one-request connections to
 * /health, which writes nothing, and the RSS before and after.
 *
 * Reports requests, errors, p50/p99/max latency, connections opened, the
 * server's RSS after a warm-up and at the end, and the bytes kept per
 * churned connection. Fails on any error, on a listener that missed a
 * change, on more than CHURN_MAX_BYTES kept per connection (libsoup 3.2.3
 * without the workarounds in fq-server.c: about 2 KiB for a keep-alive
 * connection closed by its client, 343 bytes for any other, its GSocket;
 * only reported with FQ_SOAK_CHECK_CHURN=0, as in a sanitizer build, where
 * freed memory waits in AddressSanitizer's quarantine and RSS does not
 * show what the server keeps), and, with FQ_SOAK_CHECK_FLAT=1, on RSS
 * growth above 10 % after the warm-up (otherwise a target row, as the
 * other benchmarks report targets); never on latency.
 *
 * The writer's page cache takes in the new rows until it holds its 16 MB
 * (fq-store.c): at one write in ten (about 60 a second here) that takes
 * 200–220 s, longer than the warm-up, and RSS then grew 9–17 % after it
 * (all before 220 s, flat from there to the end). So during the warm-up
 * one request in FQ_SOAK_WARMUP_WRITE_EVERY (default 2) writes, which
 * fills the writer's cache before the measured half, which runs the mix
 * above: a leak per request, write or connection still shows in it. The
 * server logs its memory (RSS, SQLite's, malloc's) at the end of the
 * warm-up and of the run (SIGUSR1, fq_store_log_memory()).
 */

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fq-test-server.h"

#define THINK_MS        25
#define RSS_GROWTH_MAX  0.10
#define CHURN_THREADS   4
#define CHURN_PER_THREAD 1500
#define CHURN_MAX_BYTES 200

typedef struct
{
  const char *url;
  const char *token;
  guint       index;
  gboolean    churn;
  gint64      deadline;      /* monotonic µs */
  GArray     *latencies;     /* guint32 µs */
  guint       requests;
  guint       writes;
  guint       errors;
  guint       connections;
  char       *last_error;
  GPtrArray  *ids;
  gint64      history_seq;   /* /changes reads anywhere up to here */
  guint       write_every;   /* one request in this many writes; 0: none */
  guint       warm_write_every; /* the same during the warm-up */
  gint64      warm_until;    /* monotonic µs */
} Client;

typedef struct
{
  SoupWebsocketConnection *ws;
  gint64                   first_seq;
  gint64                   last_seq;
  guint                    frames;
  guint                    gaps;
  gboolean                 closed;
} Listener;

typedef struct
{
  const char   *url;
  const char   *token;
  gint64        since;
  guint         n;
  Listener     *listeners;
  GMainContext *context;
  gint          stop;
  gint          ready;
  GThread      *thread;
} Listeners;

static guint
env_uint (const char *name,
          guint       fallback)
{
  const char *value = g_getenv (name);
  guint64 parsed;

  if (value != NULL && g_ascii_string_to_unsigned (value, 10, 0, 100000, &parsed, NULL))
    return (guint)parsed;
  return fallback;
}

static FqTestResponse *
client_request (Client       *c,
                FqTestClient *http,
                guint         n)
{
  guint write_every = g_get_monotonic_time () < c->warm_until ? c->warm_write_every
                                                               : c->write_every;

  if (write_every > 0 && n % write_every == 0)
    {
      g_autofree char *body = g_strdup_printf ("{\"source\":\"12345\",\"grid\":\"%s\","
                                               "\"summary\":\"浸泡 %u-%u 邻里噪音\","
                                               "\"caller_phone\":\"139%08u\"}",
                                               FQ_TEST_GUANGZHOULU, c->index, n,
                                               (c->index * 100000 + n) % 100000000);

      c->writes++;
      return fq_test_post (http, "/incidents", body);
    }
  switch (n % 5)
    {
    case 1:
      return fq_test_get (http, "/incidents?grid=%s&limit=20", FQ_TEST_TUANCHENGSHAN);
    case 2:
      if (c->ids->len > 0)
        return fq_test_get (http, "/incidents/%s",
                            (char *)g_ptr_array_index (c->ids, n % c->ids->len));
      return fq_test_get (http, "/tickets?limit=20");
    case 3:
      return fq_test_get (http, "/changes?since=%" G_GINT64_FORMAT "&limit=50",
                          (gint64)(((guint64)n * 7919 + c->index * 104729) %
                                   (guint64)MAX (c->history_seq, 1)));
    default:
      return fq_test_get (http, "/health");
    }
}

static gpointer
client_thread (gpointer data)
{
  Client *c = data;
  FqTestClient *http = NULL;
  GRand *rand = g_rand_new_with_seed (c->index);

  for (guint n = 0; g_get_monotonic_time () < c->deadline; n++)
    {
      g_autoptr(FqTestResponse) resp = NULL;
      gint64 start;
      guint32 micros;

      if (http == NULL)
        {
          http = fq_test_client_new (c->url);
          fq_test_client_set_token (http, c->token);
          c->connections++;
        }

      start = g_get_monotonic_time ();
      resp = client_request (c, http, n + c->index);
      micros = (guint32)MIN (g_get_monotonic_time () - start, G_MAXUINT32);
      /* Latency is that of the measured half, with its own mix of writes. */
      if (start >= c->warm_until)
        g_array_append_val (c->latencies, micros);
      c->requests++;

      if (resp->status < 200 || resp->status >= 300)
        {
          c->errors++;
          if (c->last_error == NULL)
            c->last_error = g_strdup_printf ("%s %s: %u %s", resp->method, resp->path,
                                             resp->status,
                                             resp->transport_error ? resp->transport_error
                                                                   : resp->text);
        }
      else if (resp->status == 201 && c->ids->len < 200)
        g_ptr_array_add (c->ids, g_strdup (fq_test_obj_str (fq_test_response_object (resp),
                                                            "id")));

      /* The churning half closes its connection itself, every time. */
      if (c->churn)
        g_clear_pointer (&http, fq_test_client_free);

      g_usleep (g_rand_int_range (rand, THINK_MS / 2, THINK_MS * 3 / 2) * 1000);
    }

  g_clear_pointer (&http, fq_test_client_free);
  g_rand_free (rand);
  return NULL;
}

static void
listener_message_cb (SoupWebsocketConnection *ws,
                     int                      type,
                     GBytes                  *message,
                     Listener                *l)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  gint64 seq;

  if (!json_parser_load_from_data (parser, g_bytes_get_data (message, NULL),
                                   g_bytes_get_size (message), NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      l->gaps++;
      return;
    }
  seq = json_object_get_int_member_with_default (
    json_node_get_object (json_parser_get_root (parser)), "seq", 0);
  /* The leader sees the whole city: every seq, one by one. */
  if (l->last_seq != 0 && seq != l->last_seq + 1)
    l->gaps++;
  if (l->first_seq == 0)
    l->first_seq = seq;
  l->last_seq = seq;
  l->frames++;
}

static void
listener_closed_cb (SoupWebsocketConnection *ws,
                    Listener                *l)
{
  l->closed = TRUE;
}

typedef struct
{
  Listeners *all;
  Listener  *l;
} Connecting;

static void
listener_connected_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  Connecting *connecting = user_data;
  g_autoptr(GError) error = NULL;
  Listener *l = connecting->l;

  l->ws = soup_session_websocket_connect_finish (SOUP_SESSION (object), result, &error);
  if (l->ws == NULL)
    g_error ("a listener could not connect: %s", error->message);
  l->last_seq = connecting->all->since;
  /* All the listeners share one thread, which a sanitizer build makes too
   * slow for the load: it reads one socket until it would block (seconds,
   * thousands of frames) while the others wait with a full receive window.
   * On loopback the server's segments are near 64 KB, so when such a
   * socket is read at last, the window it last advertised can be smaller
   * than one segment, and the server then waits for its next zero-window
   * probe, which backs off to tens of seconds, with the client's queue
   * empty. A ping every second carries a fresh window to the server. */
  soup_websocket_connection_set_keepalive_interval (l->ws, 1);
  g_signal_connect (l->ws, "message", G_CALLBACK (listener_message_cb), l);
  g_signal_connect (l->ws, "closed", G_CALLBACK (listener_closed_cb), l);
  g_atomic_int_inc (&connecting->all->ready);
  g_free (connecting);
}

static gpointer
listeners_thread (gpointer data)
{
  Listeners *all = data;
  g_autoptr(SoupSession) session = NULL;

  g_main_context_push_thread_default (all->context);
  session = soup_session_new_with_options ("max-conns", 100, "max-conns-per-host", 100, NULL);

  for (guint i = 0; i < all->n; i++)
    {
      g_autofree char *url = g_strdup_printf ("%s/api/v1/events?since=%" G_GINT64_FORMAT,
                                              all->url, all->since);
      g_autofree char *auth = g_strconcat ("Bearer ", all->token, NULL);
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
      Connecting *connecting = g_new0 (Connecting, 1);

      connecting->all = all;
      connecting->l = &all->listeners[i];
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
      soup_session_websocket_connect_async (session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL,
                                            listener_connected_cb, connecting);
    }

  while (!g_atomic_int_get (&all->stop))
    g_main_context_iteration (all->context, TRUE);

  for (guint i = 0; i < all->n; i++)
    if (all->listeners[i].ws != NULL)
      {
        g_signal_handlers_disconnect_by_data (all->listeners[i].ws, &all->listeners[i]);
        if (soup_websocket_connection_get_state (all->listeners[i].ws) == SOUP_WEBSOCKET_STATE_OPEN)
          soup_websocket_connection_close (all->listeners[i].ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
        g_clear_object (&all->listeners[i].ws);
      }
  while (g_main_context_iteration (all->context, FALSE))
    ;
  g_main_context_pop_thread_default (all->context);
  return NULL;
}

/* GTest prints every debug message of libsoup and GIO; fifty clients make
 * enough of them to slow the client side down. */
static GLogWriterOutput
quiet_writer (GLogLevelFlags   level,
              const GLogField *fields,
              gsize            n_fields,
              gpointer         user_data)
{
  if (level & G_LOG_LEVEL_DEBUG)
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static gboolean
wake_cb (gpointer data)
{
  return G_SOURCE_REMOVE;
}

typedef struct
{
  const char *url;
  guint       errors;
} Churner;

static gpointer
churn_thread (gpointer data)
{
  Churner *ch = data;

  for (guint i = 0; i < CHURN_PER_THREAD; i++)
    {
      FqTestClient *http = fq_test_client_new (ch->url);
      g_autoptr(FqTestResponse) resp = fq_test_get (http, "/health");

      if (resp->status != 200)
        ch->errors++;
      /* Closed by the client, after one request: the case libsoup leaked. */
      fq_test_client_free (http);
    }
  return NULL;
}

/* The server's RSS growth, in bytes per connection, over @rounds rounds of
 * CHURN_THREADS × CHURN_PER_THREAD connections. */
static double
churn_phase (FqTestServer *server,
             guint         rounds,
             guint        *errors)
{
  guint64 before = 0, after;

  for (guint round = 0; round <= rounds; round++)
    {
      Churner churners[CHURN_THREADS];
      GThread *threads[CHURN_THREADS];

      /* Round 0 warms the allocator up; it is not counted. */
      if (round == 1)
        before = fq_test_server_get_rss_kib (server);
      for (guint i = 0; i < CHURN_THREADS; i++)
        {
          churners[i] = (Churner) { fq_test_server_get_url (server), 0 };
          threads[i] = g_thread_new ("churn", churn_thread, &churners[i]);
        }
      for (guint i = 0; i < CHURN_THREADS; i++)
        {
          g_thread_join (threads[i]);
          *errors += churners[i].errors;
        }
    }
  g_usleep (500 * 1000);
  after = fq_test_server_get_rss_kib (server);
  printf ("# churn: %u connections closed by the client, server RSS %" G_GUINT64_FORMAT
          " → %" G_GUINT64_FORMAT " KiB\n", rounds * CHURN_THREADS * CHURN_PER_THREAD, before,
          after);
  return ((double)after - (double)before) * 1024 / (rounds * CHURN_THREADS * CHURN_PER_THREAD);
}

/* The server's own account of its memory, in its log (SIGUSR1). */
static void
log_server_memory (FqTestServer *server)
{
  GPid pid = fq_test_server_get_pid (server);

  if (pid > 0)
    kill (pid, SIGUSR1);
}

static int
cmp_u32 (gconstpointer a,
         gconstpointer b)
{
  guint32 x = *(const guint32 *)a, y = *(const guint32 *)b;

  return x < y ? -1 : x > y;
}

static void
test_soak (void)
{
  g_autofree char *months = g_strdup_printf ("%u", env_uint ("FQ_SOAK_HISTORY_MONTHS", 1) % 13);
  const char * const args[] = {
    "--demo", "--demo-history-months", months, "--demo-feed-rate", "0", NULL
  };
  guint seconds = MAX (env_uint ("FQ_SOAK_SECONDS", 300), 4);
  gboolean check_flat = env_uint ("FQ_SOAK_CHECK_FLAT", 0) != 0;
  gboolean check_churn = env_uint ("FQ_SOAK_CHECK_CHURN", 1) != 0;
  guint write_every = env_uint ("FQ_SOAK_WRITE_EVERY", 10);
  guint warm_write_every = write_every > 0 ? env_uint ("FQ_SOAK_WARMUP_WRITE_EVERY", 2) : 0;
  double churn_bytes;
  guint churn_errors = 0;
  gint64 history_seq;
  guint n_clients = MAX (env_uint ("FQ_SOAK_CLIENTS", 50), 2);
  guint n_listeners = MAX (env_uint ("FQ_SOAK_LISTENERS", 10), 1);
  g_autoptr(FqTestServer) server = fq_test_server_new (args);
  g_autoptr(FqTestClient) op = NULL;
  g_autoptr(FqTestClient) leader = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) all_latencies = g_array_new (FALSE, FALSE, sizeof (guint32));
  Client *clients = g_new0 (Client, n_clients);
  GThread **threads = g_new0 (GThread *, n_clients);
  Listeners listeners = { 0 };
  gint64 start, warm_until, deadline;
  guint64 rss_start = 0, rss_end, rss_peak = 0;
  guint requests = 0, writes = 0, errors = 0, connections = 0, gaps = 0;
  gint64 last_seq;
  double growth;
  guint samples = 0;

  g_assert_true (fq_test_server_start (server, 600, &error));
  g_assert_no_error (error);
  op = fq_test_client_new_login (fq_test_server_get_url (server), "operator",
                                 FQ_TEST_DEMO_PASSWORD);
  leader = fq_test_client_new_login (fq_test_server_get_url (server), "leader",
                                     FQ_TEST_DEMO_PASSWORD);

  listeners.url = fq_test_server_get_url (server);
  listeners.token = fq_test_client_get_token (leader);
  listeners.since = fq_test_last_seq (leader);
  history_seq = listeners.since;
  listeners.n = n_listeners;
  listeners.listeners = g_new0 (Listener, n_listeners);
  listeners.context = g_main_context_new ();
  listeners.thread = g_thread_new ("listeners", listeners_thread, &listeners);
  while ((guint)g_atomic_int_get (&listeners.ready) < n_listeners)
    g_usleep (10 * 1000);

  start = g_get_monotonic_time ();
  deadline = start + (gint64)seconds * G_USEC_PER_SEC;
  /* SQLite's page caches (16 MB for each of the server's connections) fill
   * during the first half, which is not counted: measured without writes,
   * RSS climbs for about a minute, then stays within 0.1 %; the writer's,
   * with the warm-up's writes (see the top of this file). */
  warm_until = start + (gint64)seconds * G_USEC_PER_SEC / 2;
  for (guint i = 0; i < n_clients; i++)
    {
      clients[i].url = fq_test_server_get_url (server);
      clients[i].token = fq_test_client_get_token (op);
      clients[i].index = i;
      clients[i].churn = i % 2 == 1;
      clients[i].deadline = deadline;
      clients[i].latencies = g_array_new (FALSE, FALSE, sizeof (guint32));
      clients[i].ids = g_ptr_array_new_with_free_func (g_free);
      clients[i].history_seq = history_seq;
      clients[i].write_every = write_every;
      clients[i].warm_write_every = warm_write_every;
      clients[i].warm_until = warm_until;
      threads[i] = g_thread_new ("client", client_thread, &clients[i]);
    }

  while (g_get_monotonic_time () < deadline)
    {
      guint64 rss = fq_test_server_get_rss_kib (server);

      rss_peak = MAX (rss_peak, rss);
      if (rss_start == 0 && g_get_monotonic_time () >= warm_until)
        {
          rss_start = rss;
          log_server_memory (server);
        }
      if (++samples % 10 == 0)
        printf ("# %5.1f s: server RSS %" G_GUINT64_FORMAT " KiB\n",
                (g_get_monotonic_time () - start) / 1e6, rss);
      g_usleep (500 * 1000);
    }

  for (guint i = 0; i < n_clients; i++)
    {
      g_thread_join (threads[i]);
      requests += clients[i].requests;
      writes += clients[i].writes;
      errors += clients[i].errors;
      connections += clients[i].connections;
      g_array_append_vals (all_latencies, clients[i].latencies->data, clients[i].latencies->len);
      if (clients[i].last_error != NULL)
        g_test_message ("client %u: %s", i, clients[i].last_error);
    }
  rss_end = fq_test_server_get_rss_kib (server);
  log_server_memory (server);

  /* Every change reaches every listener (in a sanitizer build, the last of
   * them can be many seconds behind). */
  last_seq = fq_test_last_seq (leader);
  for (guint waited = 0; waited < 3000; waited++)
    {
      gboolean all = TRUE;

      for (guint i = 0; i < n_listeners; i++)
        if (listeners.listeners[i].frames == 0 ||
            listeners.listeners[i].last_seq < last_seq)
          all = FALSE;
      if (all)
        break;
      g_usleep (20 * 1000);
    }
  g_atomic_int_set (&listeners.stop, 1);
  g_main_context_invoke (listeners.context, wake_cb, NULL);
  g_thread_join (listeners.thread);

  churn_bytes = churn_phase (server, 2, &churn_errors);

  g_array_sort (all_latencies, cmp_u32);
  growth = rss_start > 0 ? ((double)rss_end - (double)rss_start) / rss_start : 0;

  printf ("# soak: %u s, %u clients (%u keep-alive, %u churning), %u listeners\n",
          seconds, n_clients, n_clients - n_clients / 2, n_clients / 2, n_listeners);
  printf ("# requests           %10u  (%.0f/s; %u writes)\n", requests,
          requests / (double)seconds, writes);
  printf ("# errors             %10u\n", errors);
  printf ("# connections opened %10u\n", connections);
  if (all_latencies->len > 0)
    printf ("# latency after the warm-up, p50 / p99 / max   %.1f / %.1f / %.1f ms\n",
            g_array_index (all_latencies, guint32, all_latencies->len / 2) / 1000.0,
            g_array_index (all_latencies, guint32, (guint)(all_latencies->len * 0.99)) / 1000.0,
            g_array_index (all_latencies, guint32, all_latencies->len - 1) / 1000.0);
  printf ("# server RSS after warm-up / end / peak   %" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT
          " / %" G_GUINT64_FORMAT " KiB (%+.1f %%)\n", rss_start, rss_end, rss_peak,
          growth * 100);
  printf ("# churn: %.0f bytes kept per connection (%u errors)%s\n", churn_bytes, churn_errors,
          check_churn ? "" : ", not checked (FQ_SOAK_CHECK_CHURN=0)");
  printf ("# target: RSS flat within 10 %% after the warm-up: %s\n",
          growth <= RSS_GROWTH_MAX ? "met" : "MISSED");
  for (guint i = 0; i < n_listeners; i++)
    {
      Listener *l = &listeners.listeners[i];

      printf ("# listener %u: %u frames, seq %" G_GINT64_FORMAT "…%" G_GINT64_FORMAT
              ", %u gaps%s\n", i, l->frames, l->first_seq, l->last_seq, l->gaps,
              l->closed ? ", closed" : "");
      gaps += l->gaps;
      g_assert_false (l->closed);
      g_assert_cmpint (l->last_seq, ==, last_seq);
    }
  fflush (stdout);

  g_assert_cmpuint (errors, ==, 0);
  g_assert_cmpuint (gaps, ==, 0);
  if (write_every > 0)
    g_assert_cmpuint (writes, >, 0);
  g_assert_cmpuint (rss_start, >, 0);
  g_assert_cmpuint (churn_errors, ==, 0);
  if (check_churn)
    g_assert_cmpfloat (churn_bytes, <, CHURN_MAX_BYTES);
  if (check_flat)
    g_assert_cmpfloat (growth, <=, RSS_GROWTH_MAX);

  for (guint i = 0; i < n_clients; i++)
    {
      g_array_unref (clients[i].latencies);
      g_ptr_array_unref (clients[i].ids);
      g_free (clients[i].last_error);
    }
  g_free (clients);
  g_free (threads);
  g_free (listeners.listeners);
  g_main_context_unref (listeners.context);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_writer_func (quiet_writer, NULL, NULL);
  fq_test_require_server_binary ();

  g_test_add_func ("/soak/mixed-load", test_soak);

  return g_test_run ();
}
