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
 * instead. The benchmark reports; it fails only on a real error.
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
  printf ("1..1\n");
  if (!fq_test_have_server ())
    {
      printf ("ok 1 # SKIP fengqiao-server is not built\n");
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
      double *b = g_hash_table_lookup (before, l->data);
      double spent = *(double *)g_hash_table_lookup (after, l->data) - (b != NULL ? *b : 0);

      if (spent >= 0.05)
        printf ("#     %-16s %6.1f\n", (const char *)l->data, spent);
    }
  if (server_pid > 0)
    printf ("#   CPU of the server, on the same machine (s): %.1f\n", server_after - server_before);
  printf ("ok 1 - first fill\n");

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
