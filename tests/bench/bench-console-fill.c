/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Bench"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fq-cache-private.h"
#include "fq-sync.h"
#include "../console/fq-test-data-util.h"

/*
 * A new workstation's first start: the data layer of the console (client,
 * sync, cache; no window) fills an empty cache from a demo server with
 * FQ_BENCH_MONTHS months of history (13 by default) as a city-wide leader,
 * the largest fill there is. Reports the time from the start of the sync to
 * a whole cache, the changes stored and their rate, and the CPU each
 * thread of the console took meanwhile, and the server's.
 *
 * On one machine the server shares the cores with the console: where they
 * are two machines, the fill is bounded by the busiest console thread
 * instead.
 *
 * Then a burst of live changes: FQ_BENCH_LIVE new incidents (2,000 by
 * default) posted by four other clients at once, as fast as the server
 * takes them, which the console hears over its WebSocket. Reports how long
 * until the last is in the cache, the changes heard, what the console's
 * main thread spent on them (CPU per change) and its longest stall, the
 * time between two turns of its main loop beyond the 1 ms timer that
 * measures it. The board runs on that thread: the work of a change (its
 * frame parsed, stored, the models told) belongs on the others.
 *
 * The benchmark reports; it fails only on a real error.
 */

/* CPU seconds of every thread of process @pid, by thread name, added up
 * for threads of one name (a pool's). */
static GHashTable *
threads_cpu (int pid)
{
  GHashTable *cpu = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *dir_path = g_strdup_printf ("/proc/%d/task", pid);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *tid;
  double tick = sysconf (_SC_CLK_TCK);

  while (dir != NULL && (tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s/stat", dir_path, tid);
      g_autofree char *text = NULL;
      g_auto(GStrv) fields = NULL;
      const char *open, *close;
      g_autofree char *name = NULL;
      double *total;

      if (!g_file_get_contents (path, &text, NULL, NULL) ||
          (open = strchr (text, '(')) == NULL || (close = strrchr (text, ')')) == NULL)
        continue;
      name = g_strndup (open + 1, close - open - 1);
      fields = g_strsplit (close + 2, " ", -1);
      if (g_strv_length (fields) < 13)
        continue;
      total = g_hash_table_lookup (cpu, name);
      if (total == NULL)
        {
          total = g_new0 (double, 1);
          g_hash_table_insert (cpu, g_strdup (name), total);
        }
      *total += (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) / tick;
    }
  return cpu;
}

static double
process_cpu (int pid)
{
  g_autoptr(GHashTable) cpu = threads_cpu (pid);
  GHashTableIter iter;
  gpointer value;
  double total = 0;

  g_hash_table_iter_init (&iter, cpu);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    total += *(double *)value;
  return total;
}

/* The server this process started. */
static int
find_server_pid (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc", 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *text = NULL;
      const char *close;

      if (!g_ascii_isdigit (name[0]))
        continue;
      path = g_strdup_printf ("/proc/%s/stat", name);
      if (!g_file_get_contents (path, &text, NULL, NULL) ||
          (close = strrchr (text, ')')) == NULL)
        continue;
      if (strstr (text, "(fengqiao-serve") != NULL && atoi (close + 4) == getpid ())
        return atoi (name);
    }
  return -1;
}

#define N_POSTERS 4

typedef struct
{
  const char *url;
  guint       first;
  guint       n;
  guint       failed;
} Poster;

/* Posts @n incidents as the operator, on a session of its own. */
static gpointer
poster_thread (gpointer data)
{
  Poster *p = data;
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *login_url = g_strconcat (p->url, "/api/v1/auth/login", NULL);
  g_autofree char *post_url = g_strconcat (p->url, "/api/v1/incidents", NULL);
  g_autoptr(SoupMessage) login = soup_message_new ("POST", login_url);
  g_autoptr(GBytes) login_body = g_bytes_new_static ("{\"username\":\"operator\",\"password\":\"demo\"}", 41);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *auth = NULL;
  const char *token;

  soup_message_set_request_body_from_bytes (login, "application/json", login_body);
  answer = soup_session_send_and_read (session, login, NULL, NULL);
  if (answer == NULL || soup_message_get_status (login) != 200 ||
      !json_parser_load_from_data (parser, g_bytes_get_data (answer, NULL),
                                   g_bytes_get_size (answer), NULL) ||
      (token = json_object_get_string_member_with_default (
         json_node_get_object (json_parser_get_root (parser)), "token", NULL)) == NULL)
    {
      p->failed = p->n;
      return NULL;
    }
  auth = g_strconcat ("Bearer ", token, NULL);

  for (guint i = 0; i < p->n; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", post_url);
      g_autofree char *body = g_strdup_printf ("{\"source\":\"12345\",\"grid\":\"420202005001\","
                                               "\"summary\":\"压测来电第%u号：楼道堆放杂物\","
                                               "\"address\":\"广州路%u号\"}",
                                               p->first + i, p->first + i);
      g_autoptr(GBytes) bytes = g_bytes_new_take (body, strlen (body));
      g_autoptr(GBytes) reply = NULL;

      g_steal_pointer (&body);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
      reply = soup_session_send_and_read (session, msg, NULL, NULL);
      if (reply == NULL || soup_message_get_status (msg) != 201)
        p->failed++;
    }
  return NULL;
}

/* The longest time between two turns of the main loop beyond its 1 ms
 * timer. */
typedef struct
{
  gint64 last;
  gint64 longest;
} Stall;

static gboolean
stall_tick_cb (gpointer data)
{
  Stall *st = data;
  gint64 now = g_get_monotonic_time ();

  if (st->last > 0)
    st->longest = MAX (st->longest, now - st->last - 1000);
  st->last = now;
  return G_SOURCE_CONTINUE;
}

typedef struct
{
  guint64 changes;
  guint64 incidents;
  guint64 want;       /* incidents */
} Live;

static void
live_changed_cb (FqCache      *cache,
                 FqCacheBatch *batch,
                 Live         *live)
{
  if (batch->filling)
    return;
  live->changes += batch->others->len;
  live->incidents += batch->incidents->len;
}

static gboolean
live_done_cond (gpointer data)
{
  Live *live = data;

  return live->incidents >= live->want;
}

/* The CPU seconds of the threads named @name in @after, less @before. */
static double
spent (GHashTable *before,
       GHashTable *after,
       const char *name)
{
  double *b = g_hash_table_lookup (before, name);
  double *a = g_hash_table_lookup (after, name);

  return (a != NULL ? *a : 0) - (b != NULL ? *b : 0);
}

static void
live_burst (FqLocalServer *server,
            FqCache       *cache,
            guint          n)
{
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  g_autofree char *main_name = NULL;
  GThread *threads[N_POSTERS];
  Poster posters[N_POSTERS];
  Live live = { 0, 0, n };
  Stall stall = { 0 };
  guint stall_id, failed = 0;
  gulong handler;
  double seconds, main_cpu, idle_cpu;
  gint64 t0;

  /* The main thread's name, as the threads of the process are listed. */
  if (!g_file_get_contents ("/proc/self/comm", &main_name, NULL, NULL))
    g_error ("cannot read this process's name");
  g_strchomp (main_name);
  handler = g_signal_connect (cache, "records-changed", G_CALLBACK (live_changed_cb), &live);
  stall_id = g_timeout_add (1, stall_tick_cb, &stall);

  /* What the 1 ms timer costs the main thread by itself, in a second with
   * nothing else to do; taken off below. */
  before = threads_cpu (getpid ());
  fq_test_run_for (1000);
  after = threads_cpu (getpid ());
  idle_cpu = spent (before, after, main_name);
  g_clear_pointer (&before, g_hash_table_unref);
  g_clear_pointer (&after, g_hash_table_unref);
  stall.longest = 0;

  before = threads_cpu (getpid ());
  t0 = g_get_monotonic_time ();

  for (guint i = 0; i < N_POSTERS; i++)
    {
      posters[i] = (Poster) { fq_local_server_get_url (server), i * (n / N_POSTERS),
                              n / N_POSTERS + (i == N_POSTERS - 1 ? n % N_POSTERS : 0), 0 };
      threads[i] = g_thread_new ("poster", poster_thread, &posters[i]);
    }
  if (!fq_test_wait (live_done_cond, &live, 600000))
    g_error ("%" G_GUINT64_FORMAT " of %u live incidents arrived in 10 minutes", live.incidents, n);
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  after = threads_cpu (getpid ());
  for (guint i = 0; i < N_POSTERS; i++)
    {
      g_thread_join (threads[i]);
      failed += posters[i].failed;
    }
  g_source_remove (stall_id);
  g_signal_handler_disconnect (cache, handler);
  if (failed > 0)
    g_error ("%u of %u incidents were not created", failed, n);

  main_cpu = MAX (spent (before, after, main_name) - idle_cpu * seconds, 0.0);
  printf ("# a live burst: %u incidents posted by %d clients at once\n", n, N_POSTERS);
  printf ("#   all in the cache after %.1f s; %" G_GUINT64_FORMAT " changes heard live\n",
          seconds, live.changes);
  printf ("#   the console's main thread: %.2f s of CPU, %.0f µs per change (less %.2f s/s"
          " that the 1 ms timer costs it idle); longest stall %.1f ms\n",
          main_cpu, live.changes > 0 ? main_cpu * 1e6 / live.changes : 0.0, idle_cpu,
          stall.longest / 1000.0);
  printf ("ok 2 - live burst\n");
}

static gboolean
whole_cond (gpointer data)
{
  FqSync *sync = data;

  return fq_sync_get_state (sync) == FQ_SYNC_STATE_ONLINE && !fq_sync_get_catching_up (sync) &&
         !fq_sync_get_filling (sync);
}

static void
records_changed_cb (FqCache      *cache,
                    FqCacheBatch *batch,
                    guint64      *n)
{
  *n += batch->others->len;
}

int
main (int   argc,
      char *argv[])
{
  const char *months = g_getenv ("FQ_BENCH_MONTHS") ? g_getenv ("FQ_BENCH_MONTHS") : "13";
  const char *args[] = { "--demo-history-months", months, "--demo-feed-rate", "0", NULL };
  g_autofree char *dir = g_dir_make_tmp ("fq-bench-fill-XXXXXX", NULL);
  g_autofree char *data_dir = g_build_filename (dir, "server", NULL);
  g_autofree char *session_dir = g_build_filename (dir, "sessions", NULL);
  g_autofree char *cache_path = g_build_filename (dir, "cache", "leader.db", NULL);
  g_autoptr(FqLocalServer) server = NULL;
  g_autoptr(FqClient) client = NULL;
  g_autoptr(FqCache) cache = NULL;
  g_autoptr(FqSync) sync = NULL;
  g_autoptr(GHashTable) before = NULL;
  g_autoptr(GHashTable) after = NULL;
  g_autoptr(GList) names = NULL;
  double server_before, server_after, seconds;
  gboolean done = FALSE;
  guint64 n_changes = 0;
  gint64 t0;
  int server_pid;

  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  printf ("1..2\n");
  if (!fq_test_have_server ())
    {
      printf ("ok 1 # SKIP fengqiao-server is not built\nok 2 # SKIP\n");
      return 0;
    }

  server = fq_local_server_new (data_dir);
  fq_local_server_set_extra_args (server, args);
  fq_local_server_start_async (server, NULL, fq_test_server_started_cb, &done);
  if (!fq_test_wait (fq_test_flag_cond, &done, 300000))
    g_error ("the demo server did not start");
  server_pid = find_server_pid ();

  client = fq_test_login (fq_local_server_get_url (server), session_dir, "leader");
  cache = fq_test_open_cache (cache_path);
  g_signal_connect (cache, "records-changed", G_CALLBACK (records_changed_cb), &n_changes);
  sync = fq_sync_new (client, cache);

  before = threads_cpu (getpid ());
  server_before = server_pid > 0 ? process_cpu (server_pid) : 0;
  t0 = g_get_monotonic_time ();
  fq_sync_start (sync);
  if (!fq_test_wait (whole_cond, sync, 600000))
    g_error ("the cache was not whole after 10 minutes");
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  after = threads_cpu (getpid ());
  server_after = server_pid > 0 ? process_cpu (server_pid) : 0;

  printf ("# first fill of a leader's cache, %s months of demo history: %.1f s\n", months, seconds);
  printf ("#   changes stored: %" G_GUINT64_FORMAT ", %.0f changes/s\n", n_changes,
          n_changes / seconds);
  printf ("#   CPU of the console's threads (s):\n");
  names = g_hash_table_get_keys (after);
  names = g_list_sort (names, (GCompareFunc)g_strcmp0);
  for (GList *l = names; l != NULL; l = l->next)
    {
      double cpu = spent (before, after, l->data);

      if (cpu >= 0.05)
        printf ("#     %-16s %6.1f\n", (const char *)l->data, cpu);
    }
  if (server_pid > 0)
    printf ("#   CPU of the server, on the same machine (s): %.1f\n", server_after - server_before);
  printf ("ok 1 - first fill\n");

  live_burst (server, cache, g_getenv ("FQ_BENCH_LIVE") ? atoi (g_getenv ("FQ_BENCH_LIVE")) : 2000);

  fq_sync_stop (sync);
  g_clear_object (&sync);
  fq_cache_close (cache);
  g_clear_object (&cache);
  g_clear_object (&client);
  fq_local_server_stop (server);
  g_clear_object (&server);
  fq_test_rm_rf (dir);
  return 0;
}
