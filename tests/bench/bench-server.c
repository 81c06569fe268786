/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Server benchmarks, over real HTTP on loopback against the real binary:
 *
 *   - demo start-up: a new data directory with 13 months of history, then a
 *     second start on the same directory;
 *   - intake rate: several client threads, each with its own keep-alive
 *     session, post incidents (repeat detection runs on every one);
 *   - /changes catch-up rate for a city-wide reader;
 *   - GET /tickets/{id} latency under 50 concurrent connections;
 *   - the server's resident memory after the history and the intake.
 *
 * Prints a table with the targets; exits non-zero only on a real error
 * (the server does not start, requests fail), never on a missed target.
 * FQ_BENCH_INCIDENTS, FQ_BENCH_MONTHS and FQ_BENCH_THREADS override the
 * sizes.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "fq-test-server.h"

typedef struct
{
  const char *what;
  double      value;
  const char *unit;
  const char *target;
  int         met;   /* 1 met, 0 missed, -1 no target */
} Row;

static GArray *rows;

static void
report (const char *what,
        double      value,
        const char *unit,
        const char *target,
        int         met)
{
  Row row = { what, value, unit, target, met };

  g_array_append_val (rows, row);
  g_print ("# %-48s %12.1f %-12s %s\n", what, value, unit, target ? target : "");
}

static guint
env_uint (const char *name,
          guint       fallback)
{
  const char *v = g_getenv (name);

  return v != NULL && *v != '\0' ? (guint)g_ascii_strtoull (v, NULL, 10) : fallback;
}

/* ---- intake ---- */

typedef struct
{
  const char *url;
  const char *token;
  guint       index;
  guint       count;
  guint       ok;
  guint       failed;
  GPtrArray  *communities;
  GPtrArray  *categories;
} IntakeWorker;

static gpointer
intake_thread (gpointer data)
{
  IntakeWorker *w = data;
  g_autoptr(FqTestClient) c = fq_test_client_new (w->url);
  GRand *rand = g_rand_new_with_seed (w->index + 1);

  /* One sign-in shared by every thread: the server hashes passwords
   * slowly on purpose and limits sign-ins in flight per user. */
  fq_test_client_set_token (c, w->token);

  for (guint i = 0; i < w->count; i++)
    {
      const char *grid = g_ptr_array_index (w->communities, g_rand_int_range (rand, 0, w->communities->len));
      const char *cat = g_ptr_array_index (w->categories, g_rand_int_range (rand, 0, w->categories->len));
      g_autofree char *body = g_strdup_printf ("{\"source\":\"%s\",\"grid\":\"%s\",\"caller_phone\":\"139%08d\","
                                               "\"address\":\"测试路 %d 号 %d 栋\",\"category\":\"%s\","
                                               "\"summary\":\"压测警情 %u-%u 邻里纠纷噪音扰民\"}",
                                               g_rand_boolean (rand) ? "110" : "12345", grid,
                                               g_rand_int_range (rand, 0, 20000), g_rand_int_range (rand, 1, 500),
                                               g_rand_int_range (rand, 1, 30), cat, w->index, i);
      g_autoptr(FqTestResponse) resp = fq_test_post (c, "/incidents", body);

      if (resp->status == 201)
        w->ok++;
      else
        {
          w->failed++;
          if (w->failed <= 3)
            g_printerr ("intake: %u %.200s\n", resp->status, resp->text);
        }
    }

  g_rand_free (rand);
  return NULL;
}

static gboolean
bench_intake (FqTestServer *server,
              guint         total,
              guint         n_threads,
              const char   *label)
{
  g_autoptr(FqTestClient) op = fq_test_client_new_login (fq_test_server_get_url (server), "operator", FQ_TEST_DEMO_PASSWORD);
  g_autoptr(FqTestResponse) grid = fq_test_get (op, "/grid");
  g_autoptr(FqTestResponse) cats = fq_test_get (op, "/categories");
  g_autoptr(GPtrArray) communities = g_ptr_array_new ();
  g_autoptr(GPtrArray) categories = g_ptr_array_new ();
  JsonArray *nodes = fq_test_obj_array (fq_test_response_object (grid), "nodes");
  JsonArray *cat_list = fq_test_obj_array (fq_test_response_object (cats), "categories");
  IntakeWorker *workers = g_new0 (IntakeWorker, n_threads);
  GThread **threads = g_new0 (GThread *, n_threads);
  gint64 start, end;
  guint ok = 0, failed = 0;
  double rate;
  g_autofree char *what = g_strdup_printf ("intake, %u threads, keep-alive (%s)", n_threads, label);

  if (nodes == NULL || cat_list == NULL)
    {
      g_printerr ("intake: no reference data\n");
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (nodes); i++)
    {
      JsonObject *n = json_array_get_object_element (nodes, i);

      if (g_strcmp0 (fq_test_obj_str (n, "level"), "community") == 0)
        g_ptr_array_add (communities, (char *)fq_test_obj_str (n, "code"));
    }
  for (guint i = 0; i < json_array_get_length (cat_list); i++)
    {
      JsonObject *c = json_array_get_object_element (cat_list, i);

      if (!fq_test_obj_bool (c, "police_only"))
        g_ptr_array_add (categories, (char *)fq_test_obj_str (c, "code"));
    }
  if (communities->len == 0 || categories->len == 0)
    return FALSE;

  start = g_get_monotonic_time ();
  for (guint i = 0; i < n_threads; i++)
    {
      workers[i] = (IntakeWorker) { fq_test_server_get_url (server), fq_test_client_get_token (op), i,
                                    total / n_threads, 0, 0, communities, categories };
      threads[i] = g_thread_new ("intake", intake_thread, &workers[i]);
    }
  for (guint i = 0; i < n_threads; i++)
    {
      g_thread_join (threads[i]);
      ok += workers[i].ok;
      failed += workers[i].failed;
    }
  end = g_get_monotonic_time ();

  rate = ok / ((end - start) / (double)G_USEC_PER_SEC);
  report (g_steal_pointer (&what), rate, "incidents/s", ">= 3000", rate >= 3000);
  g_free (workers);
  g_free (threads);

  if (failed > 0)
    g_printerr ("intake: %u of %u requests failed\n", failed, ok + failed);
  return failed == 0;
}

/* ---- /changes catch-up ---- */

static gboolean
bench_changes (FqTestServer *server)
{
  g_autoptr(FqTestClient) leader = fq_test_client_new_login (fq_test_server_get_url (server), "leader", FQ_TEST_DEMO_PASSWORD);
  gint64 since = 0, count = 0, start, end;
  double rate;

  start = g_get_monotonic_time ();
  for (guint page = 0; page < 100000; page++)
    {
      g_autoptr(FqTestResponse) resp = fq_test_get (leader, "/changes?since=%" G_GINT64_FORMAT "&limit=1000", since);
      JsonArray *changes = fq_test_obj_array (fq_test_response_object (resp), "changes");
      guint n;

      if (resp->status != 200 || changes == NULL)
        {
          g_printerr ("changes: %u %.200s\n", resp->status, resp->text);
          return FALSE;
        }
      n = json_array_get_length (changes);
      if (n > 0)
        since = fq_test_obj_int (json_array_get_object_element (changes, n - 1), "seq");
      count += n;
      if (!fq_test_obj_bool (fq_test_response_object (resp), "more"))
        break;
    }
  end = g_get_monotonic_time ();

  rate = count / ((end - start) / (double)G_USEC_PER_SEC);
  report (g_strdup_printf ("/changes catch-up (%" G_GINT64_FORMAT " changes, pages of 1000)", count),
          rate, "changes/s", ">= 50000", rate >= 50000);
  return count > 0;
}

/* The same feed read without building a JSON tree on the client: the
 * server's own rate (the last seq is found in the text). */
static gboolean
bench_changes_raw (FqTestServer *server)
{
  g_autoptr(FqTestClient) leader = fq_test_client_new_login (fq_test_server_get_url (server), "leader", FQ_TEST_DEMO_PASSWORD);
  gint64 since = 0, count = 0, start, end;
  double rate;

  start = g_get_monotonic_time ();
  for (guint page = 0; page < 100000; page++)
    {
      g_autofree char *uri = g_strdup_printf ("%s/api/v1/changes?since=%" G_GINT64_FORMAT "&limit=1000",
                                              fq_test_server_get_url (server), since);
      g_autofree char *auth = g_strdup_printf ("Bearer %s", fq_test_client_get_token (leader));
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", uri);
      g_autoptr(GBytes) body = NULL;
      g_autofree char *text = NULL;
      const char *p;
      gsize len;

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
      body = soup_session_send_and_read (fq_test_client_get_session (leader), msg, NULL, NULL);
      if (body == NULL || soup_message_get_status (msg) != 200)
        return FALSE;
      p = g_bytes_get_data (body, &len);
      text = g_strndup (p, len);
      /* Each change carries one "seq" member. */
      for (p = text; (p = strstr (p, "\"seq\":")) != NULL; p++)
        {
          since = g_ascii_strtoll (p + 6, NULL, 10);
          count++;
        }
      if (strstr (text, "\"more\":true") == NULL)
        break;
    }
  end = g_get_monotonic_time ();

  rate = count / ((end - start) / (double)G_USEC_PER_SEC);
  report (g_strdup_printf ("/changes catch-up, no client-side JSON tree (%" G_GINT64_FORMAT ")", count),
          rate, "changes/s", ">= 50000", rate >= 50000);
  return count > 0;
}

/* ---- GET /tickets/{id} latency ---- */

typedef struct
{
  const char *url;
  const char *token;
  GPtrArray  *ids;
  guint       index;
  guint       requests;
  double     *latencies_ms;
  guint       failed;
} LatencyWorker;

static gpointer
latency_thread (gpointer data)
{
  LatencyWorker *w = data;
  g_autoptr(FqTestClient) c = fq_test_client_new (w->url);

  fq_test_client_set_token (c, w->token);
  for (guint i = 0; i < w->requests; i++)
    {
      const char *id = g_ptr_array_index (w->ids, (w->index * 7919 + i) % w->ids->len);
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr(FqTestResponse) resp = fq_test_get (c, "/tickets/%s", id);

      w->latencies_ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
      if (resp->status != 200)
        w->failed++;
    }

  return NULL;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return x < y ? -1 : x > y;
}

static gboolean
bench_latency (FqTestServer *server,
               guint         connections,
               guint         per_connection)
{
  g_autoptr(FqTestClient) coord = fq_test_client_new_login (fq_test_server_get_url (server), "coordinator", FQ_TEST_DEMO_PASSWORD);
  g_autoptr(FqTestResponse) list = fq_test_get (coord, "/tickets?limit=1000");
  JsonArray *tickets = fq_test_obj_array (fq_test_response_object (list), "tickets");
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();
  LatencyWorker *workers;
  GThread **threads;
  double *all;
  guint n = connections * per_connection, failed = 0;
  double p50, p99;
  gint64 start, end;

  if (tickets == NULL || json_array_get_length (tickets) == 0)
    {
      /* No history: make some tickets. */
      g_autoptr(FqTestClient) op = fq_test_client_new_login (fq_test_server_get_url (server), "operator",
                                                             FQ_TEST_DEMO_PASSWORD);

      for (guint i = 0; i < 50; i++)
        {
          g_autoptr(JsonObject) t = fq_test_create_ticket (op, coord, FQ_TEST_GUANGZHOULU,
                                                           fq_test_obj_str (fq_test_pick_category (coord, FALSE, i), "code"),
                                                           NULL);
          g_ptr_array_add (ids, g_strdup (fq_test_obj_str (t, "id")));
        }
    }
  else
    for (guint i = 0; i < json_array_get_length (tickets); i++)
      g_ptr_array_add (ids, (char *)fq_test_obj_str (json_array_get_object_element (tickets, i), "id"));

  workers = g_new0 (LatencyWorker, connections);
  threads = g_new0 (GThread *, connections);
  all = g_new0 (double, n);

  start = g_get_monotonic_time ();
  for (guint i = 0; i < connections; i++)
    {
      workers[i] = (LatencyWorker) { fq_test_server_get_url (server), fq_test_client_get_token (coord), ids, i,
                                     per_connection, all + i * per_connection, 0 };
      threads[i] = g_thread_new ("latency", latency_thread, &workers[i]);
    }
  for (guint i = 0; i < connections; i++)
    {
      g_thread_join (threads[i]);
      failed += workers[i].failed;
    }
  end = g_get_monotonic_time ();

  qsort (all, n, sizeof (double), compare_double);
  p50 = all[n / 2];
  p99 = all[MIN (n - 1, (n * 99) / 100)];
  report (g_strdup_printf ("GET /tickets/{id}, %u connections: p50", connections), p50, "ms", NULL, -1);
  report (g_strdup_printf ("GET /tickets/{id}, %u connections: p99", connections), p99, "ms", "<= 5", p99 <= 5.0);
  report (g_strdup_printf ("GET /tickets/{id}, %u connections: throughput", connections),
          n / ((end - start) / (double)G_USEC_PER_SEC), "requests/s", NULL, -1);

  g_free (workers);
  g_free (threads);
  g_free (all);
  if (failed > 0)
    g_printerr ("latency: %u of %u requests failed\n", failed, n);
  return failed == 0;
}

/* For scale: how many one-row transactions a second this disk takes with
 * WAL and synchronous=FULL (one fsync each), the bound of a writer that
 * commits one batch per fsync. */
static void
bench_disk (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fq-bench-disk-XXXXXX", NULL);
  g_autofree char *path = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 start;
  guint n = 200;

  if (dir == NULL)
    return;
  path = g_build_filename (dir, "disk.db", NULL);
  if (sqlite3_open (path, &db) == SQLITE_OK
      && sqlite3_exec (db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t (x);",
                       NULL, NULL, NULL) == SQLITE_OK
      && sqlite3_prepare_v2 (db, "INSERT INTO t VALUES (?)", -1, &stmt, NULL) == SQLITE_OK)
    {
      start = g_get_monotonic_time ();
      for (guint i = 0; i < n; i++)
        {
          sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
          sqlite3_bind_int (stmt, 1, i);
          sqlite3_step (stmt);
          sqlite3_reset (stmt);
          sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
        }
      report (g_strdup ("disk: SQLite WAL synchronous=FULL commits"),
              n / ((g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC), "commits/s", NULL, -1);
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  for (const char *suffix = ""; suffix != NULL; suffix = *suffix == '\0' ? "-wal" : g_str_equal (suffix, "-wal") ? "-shm" : NULL)
    {
      g_autofree char *f = g_strconcat (path, suffix, NULL);

      g_unlink (f);
    }
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  guint months = env_uint ("FQ_BENCH_MONTHS", 13);
  guint incidents = env_uint ("FQ_BENCH_INCIDENTS", 100000);
  /* The writer commits one batch per fsync: intake scales with the number
   * of requests in flight, as it does with many desks at once. */
  guint n_threads = env_uint ("FQ_BENCH_THREADS", 32);
  g_autofree char *months_arg = g_strdup_printf ("%u", months);
  g_autofree char *months_label = g_strdup_printf ("%u months of history", months);
  const char *args[] = { "--demo", "--demo-history-months", months_arg, "--demo-feed-rate", "0", NULL };
  g_autoptr(FqTestServer) server = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  rows = g_array_new (FALSE, FALSE, sizeof (Row));
  fq_test_require_server_binary ();
  /* The benchmark measures speed: a server warning must not abort the
   * server mid-run (the test suites keep G_DEBUG=fatal-warnings). */
  g_unsetenv ("G_DEBUG");
  g_unsetenv ("MALLOC_CHECK_");
  g_print ("1..1\n");

  bench_disk ();

  /* Start-up: first on a new directory (generates the history), then again. */
  server = fq_test_server_new (args);
  if (!fq_test_server_start (server, 600, &error))
    {
      g_print ("not ok 1 - the demo server did not start: %s\n", error->message);
      return 1;
    }
  report (g_strdup_printf ("demo start-up, new dir, %u months of history", months),
          fq_test_server_get_start_seconds (server), "s", NULL, -1);
  fq_test_server_stop (server);
  if (!fq_test_server_start (server, 600, &error))
    {
      g_print ("not ok 1 - the demo server did not start again: %s\n", error->message);
      return 1;
    }
  report (g_strdup ("demo start-up, second start, same dir"), fq_test_server_get_start_seconds (server), "s", NULL, -1);
  report (g_strdup_printf ("server RSS after start, %s", months_label), fq_test_server_get_rss_kib (server) / 1024.0,
          "MiB", NULL, -1);

  ok &= bench_intake (server, MIN (incidents / 10, 5000u), 4, months_label);
  ok &= bench_intake (server, incidents, n_threads, months_label);
  report (g_strdup_printf ("server RSS after history + %u incidents", incidents + MIN (incidents / 10, 5000u)),
          fq_test_server_get_rss_kib (server) / 1024.0, "MiB", NULL, -1);
  ok &= bench_changes (server);
  ok &= bench_changes_raw (server);
  /* One connection first: the server's own cost without client contention. */
  ok &= bench_latency (server, 1, 2000);
  ok &= bench_latency (server, 50, 200);
  report (g_strdup ("server RSS at the end"), fq_test_server_get_rss_kib (server) / 1024.0, "MiB", NULL, -1);

  g_print ("#\n# %-56s %12s %-12s %-10s %s\n", "benchmark", "value", "unit", "target", "");
  for (guint i = 0; i < rows->len; i++)
    {
      Row *r = &g_array_index (rows, Row, i);

      g_print ("# %-56s %12.2f %-12s %-10s %s\n", r->what, r->value, r->unit, r->target ? r->target : "-",
               r->met < 0 ? "" : r->met ? "met" : "MISSED");
    }

  g_print ("%s 1 - server benchmarks\n", ok ? "ok" : "not ok");
  return ok ? 0 : 1;
}
