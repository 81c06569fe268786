/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The leaders' summary, over real HTTP on loopback against the real binary:
 * a demo city with thirteen months of history (about 500 incidents a day),
 * then 20 calls each of
 *
 *   - GET /metrics/summary for the last year, city-wide and for a district
 *     (target: at most 200 ms);
 *   - GET /metrics/trend (months over the year, days over 90 days),
 *     /metrics/units and /metrics/categories for the last year, city-wide;
 *   - GET /metrics/records of every incident of the last year, city-wide
 *     (the largest "explain this number").
 *
 * Prints p50 and p99 of the wall time of each, and the server's CPU time
 * per call (from /proc), which tells more than wall time on a busy machine.
 * Exits non-zero only on a real error, never on a missed target.
 *
 * FQ_BENCH_MONTHS overrides the months of history; FQ_BENCH_CALLS the
 * number of calls. FQ_BENCH_METRICS_SQL, if set, is run on the server's
 * database (with the server stopped) before timing: a way to measure an
 * index before it becomes a migration.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fq-test-server.h"

#define CST (8 * 3600)

static guint
env_uint (const char *name,
          guint       fallback)
{
  const char *v = g_getenv (name);

  return v != NULL && *v != '\0' ? (guint)g_ascii_strtoull (v, NULL, 10) : fallback;
}

/* utime + stime of @pid in seconds, or -1. */
static double
process_cpu_seconds (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int)pid);
  g_autofree char *contents = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return -1;
  /* Fields after the command name, which may hold spaces: state is the
   * third field, utime the 14th and stime the 15th. */
  after = strrchr (contents, ')');
  if (after == NULL)
    return -1;
  fields = g_strsplit (after + 2, " ", 0);
  if (g_strv_length (fields) < 13)
    return -1;
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) /
         sysconf (_SC_CLK_TCK);
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return x < y ? -1 : x > y;
}

static char *
iso (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);

  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
}

static gint64
year_before (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);
  g_autoptr(GDateTime) shifted = g_date_time_add_years (dt, -1);

  return g_date_time_to_unix (shifted);
}

typedef struct
{
  const char *what;
  double      p50;
  double      p99;
  double      cpu;
  double      target;   /* ms, 0: none */
} Row;

static gboolean
time_calls (FqTestServer *server,
            FqTestClient *client,
            const char   *what,
            const char   *path,
            guint         calls,
            double        target,
            GArray       *rows)
{
  g_autofree double *ms = g_new (double, calls);
  double cpu_before, cpu_after;
  Row row = { what, 0, 0, 0, target };

  /* One call first, so that the database pages are warm, as they are for
   * a server that has been answering. */
  {
    g_autoptr(FqTestResponse) warm = fq_test_get (client, "%s", path);

    if (warm->status != 200)
      {
        g_printerr ("%s: %u %s\n", path, warm->status, warm->text ? warm->text : "");
        return FALSE;
      }
  }

  cpu_before = process_cpu_seconds (fq_test_server_get_pid (server));
  for (guint i = 0; i < calls; i++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr(FqTestResponse) resp = fq_test_get (client, "%s", path);

      ms[i] = (g_get_monotonic_time () - start) / 1000.0;
      if (resp->status != 200)
        {
          g_printerr ("%s: %u\n", path, resp->status);
          return FALSE;
        }
    }
  cpu_after = process_cpu_seconds (fq_test_server_get_pid (server));

  qsort (ms, calls, sizeof (double), compare_double);
  row.p50 = ms[calls / 2];
  row.p99 = ms[MIN (calls - 1, (calls * 99) / 100)];
  row.cpu = cpu_before >= 0 && cpu_after >= 0 ? (cpu_after - cpu_before) * 1000 / calls : -1;
  g_array_append_val (rows, row);
  return TRUE;
}

static gboolean
apply_sql (FqTestServer *server,
           const char   *sql)
{
  g_auto(GStrv) dbs = fq_test_server_find_databases (server);
  gboolean applied = FALSE;

  for (guint i = 0; dbs[i] != NULL; i++)
    {
      sqlite3 *db = NULL;
      sqlite3_stmt *stmt = NULL;
      char *message = NULL;
      gboolean domain = FALSE;

      if (sqlite3_open (dbs[i], &db) == SQLITE_OK &&
          sqlite3_prepare_v2 (db, "SELECT 1 FROM sqlite_master WHERE name = 'incidents'", -1,
                              &stmt, NULL) == SQLITE_OK)
        domain = sqlite3_step (stmt) == SQLITE_ROW;
      sqlite3_finalize (stmt);
      if (domain)
        {
          if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
            g_printerr ("FQ_BENCH_METRICS_SQL: %s\n", message);
          else
            applied = TRUE;
          sqlite3_free (message);
        }
      sqlite3_close (db);
    }
  return applied;
}

int
main (int   argc,
      char *argv[])
{
  guint months = env_uint ("FQ_BENCH_MONTHS", 13);
  guint calls = MAX (env_uint ("FQ_BENCH_CALLS", 20), 1);
  const char *extra_sql = g_getenv ("FQ_BENCH_METRICS_SQL");
  g_autofree char *months_text = g_strdup_printf ("%u", months);
  const char *args[] = {
    "--demo", "--demo-history-months", months_text, "--demo-feed-rate", "0", NULL
  };
  g_autoptr(FqTestServer) server = NULL;
  g_autoptr(FqTestClient) leader = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) rows = g_array_new (FALSE, FALSE, sizeof (Row));
  g_autofree char *from = NULL, *to = NULL, *from90 = NULL;
  gint64 now, midnight;
  gboolean ok = TRUE;
  double load[3] = { 0, };
  struct {
    const char *what;
    char       *path;
    double      target;
  } cases[7];

  g_test_init (&argc, &argv, NULL);
  fq_test_require_server_binary ();
  g_print ("1..1\n");

  server = fq_test_server_new (args);
  if (!fq_test_server_start (server, 600, &error))
    {
      g_print ("not ok 1 - the demo server did not start: %s\n", error->message);
      return 1;
    }
  g_print ("# demo server with %u months of history up in %.1f s\n", months,
           fq_test_server_get_start_seconds (server));
  if (extra_sql != NULL && *extra_sql != '\0')
    {
      fq_test_server_stop (server);
      g_print ("# FQ_BENCH_METRICS_SQL: %s (%s)\n", extra_sql,
               apply_sql (server, extra_sql) ? "applied" : "FAILED");
      if (!fq_test_server_start (server, 600, &error))
        {
          g_print ("not ok 1 - the server did not restart: %s\n", error->message);
          return 1;
        }
    }
  leader = fq_test_client_new_login (fq_test_server_get_url (server), "leader",
                                     FQ_TEST_DEMO_PASSWORD);

  /* The last year, to the next local midnight. */
  now = g_get_real_time () / G_USEC_PER_SEC;
  midnight = ((now + CST) / 86400 + 1) * 86400 - CST;
  from = iso (year_before (midnight));
  to = iso (midnight);
  from90 = iso (midnight - 90 * 86400);

  cases[0].what = "summary, last year, city";
  cases[0].path = g_strdup_printf ("/metrics/summary?from=%s&to=%s", from, to);
  cases[0].target = 200;
  cases[1].what = "summary, last year, district 420204";
  cases[1].path = g_strdup_printf ("/metrics/summary?from=%s&to=%s&grid=%s", from, to,
                                   FQ_TEST_XIALU);
  cases[1].target = 200;
  cases[2].what = "trend by month, last year, city";
  cases[2].path = g_strdup_printf ("/metrics/trend?from=%s&to=%s&bucket=month", from, to);
  cases[2].target = 0;
  cases[3].what = "trend by day, last 90 days, city";
  cases[3].path = g_strdup_printf ("/metrics/trend?from=%s&to=%s&bucket=day", from90, to);
  cases[3].target = 0;
  cases[4].what = "units, last year, city";
  cases[4].path = g_strdup_printf ("/metrics/units?from=%s&to=%s", from, to);
  cases[4].target = 0;
  cases[5].what = "categories, last year, city";
  cases[5].path = g_strdup_printf ("/metrics/categories?from=%s&to=%s", from, to);
  cases[5].target = 0;
  /* Explain this number on the biggest figure: every incident of the year. */
  cases[6].what = "records of incidents, last year, city";
  cases[6].path = g_strdup_printf ("/metrics/records?metric=incidents_total&from=%s&to=%s",
                                   from, to);
  cases[6].target = 0;

  for (guint i = 0; i < G_N_ELEMENTS (cases) && ok; i++)
    ok = time_calls (server, leader, cases[i].what, cases[i].path, calls, cases[i].target, rows);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_free (cases[i].path);

  if (getloadavg (load, 3) < 0)
    load[0] = -1;
  g_print ("# %u calls each; load average %.1f on %u CPUs\n", calls, load[0],
           g_get_num_processors ());
  g_print ("# %-40s %10s %10s %12s  %s\n", "GET /metrics/...", "p50 ms", "p99 ms", "cpu ms/call",
           "target");
  for (guint i = 0; i < rows->len; i++)
    {
      const Row *row = &g_array_index (rows, Row, i);
      g_autofree char *target = row->target > 0
        ? g_strdup_printf ("<= %.0f ms: %s", row->target, row->p99 <= row->target ? "met" : "MISSED")
        : g_strdup ("");

      g_print ("# %-40s %10.1f %10.1f %12.1f  %s\n", row->what, row->p50, row->p99, row->cpu, target);
    }

  g_print ("%s 1 - metrics benchmark\n", ok ? "ok" : "not ok");
  return ok ? 0 : 1;
}
