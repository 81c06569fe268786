/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Bench"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sqlite3.h>
#include <glib/gstdio.h>

#include "fq-cache.h"
#include "fq-grid-model.h"
#include "fq-incident-list.h"
#include "fq-json.h"

/*
 * The board's data path over a cache of 1,000,000 synthetic incidents:
 *
 *   cache open → first page in the model, and → every row in the model
 *   a text filter, keystroke by keystroke
 *   a batch of 10,000 changes from the cache to the model
 *   the longest main-loop stall during each (a 1 ms timeout records gaps)
 *   the longest wait for one row read as a view reads it (get_item) while
 *   the load or the changes write rows on their threads
 *   resident memory
 *
 * Targets (the console's): first paint ≤ 1.5 s from process start, a
 * keystroke ≤ 150 ms, 10,000 changes ≤ 1 s, no stall > 50 ms, RSS ≤ 500 MB.
 * The benchmark reports; it fails only on a real error.
 *
 * Then the grid of a user scoped to the whole country (FQ_BENCH_GRID=0
 * skips it): 690,898 synthetic nodes, about the real shape (665,272,
 * gen-grid.mjs --all), arriving in pages of 1,000 changes as a new cache
 * fills, into a grid model (the sidebar's tree); then the model made
 * again from the full cache, as at the next start; then type-to-find.
 */

#define N_ROWS_DEFAULT 1000000
#define N_CHANGES 10000
#define BASE_TIME 1764547200   /* 2025-12-01 */

static const char *words[] = {
  "邻里噪音纠纷", "楼道堆放杂物", "装修扰民", "小区停车纠纷", "宠物扰民", "物业费争议",
  "漏水影响楼下", "欠薪讨要", "土地承包纠纷", "家庭矛盾", "商铺占道经营", "油烟扰民",
};
static const char *streets[] = { "广州路", "湖滨大道", "杭州东路", "黄石大道", "磁湖路", "颐阳路", "团城山路" };
static const char *names[] = { "张", "王", "李", "刘", "陈", "杨", "黄", "赵", "吴", "周" };
static const char *grids[] = {
  "420202005001", "420202005002", "420202005003", "420203001001", "420204004011",
  "420204004012", "420205100200", "420222100201", "420281001002", "420281002003",
};

/* ---- main-loop stall meter --------------------------------------------- */

typedef struct
{
  gint64      last;
  gint64      max_gap;
  gint64      max_read;
  guint       n_reads;
  GListModel *model;     /* rows read on each tick, as a view would */
  guint       id;
} Meter;

static gboolean
meter_tick (gpointer data)
{
  Meter *m = data;
  gint64 now = g_get_monotonic_time ();
  guint n;

  if (m->last != 0 && now - m->last > m->max_gap)
    m->max_gap = now - m->last;
  m->last = now;

  /* The first screen of rows, one per tick, through the model: new item
   * objects are made and dropped, so each read takes the store's lock. */
  if (m->model != NULL && (n = g_list_model_get_n_items (m->model)) > 0)
    {
      gint64 t = g_get_monotonic_time ();
      GObject *item = g_list_model_get_item (m->model, m->n_reads++ % MIN (n, 40));

      g_clear_object (&item);
      m->max_read = MAX (m->max_read, g_get_monotonic_time () - t);
      m->last = g_get_monotonic_time ();
    }
  return G_SOURCE_CONTINUE;
}

static void
meter_start (Meter *m)
{
  m->last = 0;
  m->max_gap = 0;
  m->max_read = 0;
  m->n_reads = 0;
  m->id = g_timeout_add_full (G_PRIORITY_DEFAULT, 1, meter_tick, m, NULL);
}

static double
meter_stop (Meter *m)
{
  meter_tick (m);
  g_clear_handle_id (&m->id, g_source_remove);
  return m->max_gap / 1000.0;
}

/* ---- helpers ------------------------------------------------------------ */

/* CPU time of the whole process (all threads), in ms: on a machine shared
 * with other work, wall times stretch but this does not. */
static double
cpu_ms (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec * 1e3 + ru.ru_utime.tv_usec / 1e3 +
         ru.ru_stime.tv_sec * 1e3 + ru.ru_stime.tv_usec / 1e3;
}

static double
ms_since (gint64 t0)
{
  return (g_get_monotonic_time () - t0) / 1000.0;
}

static long
read_status_kb (const char *field)
{
  g_autofree char *status = NULL;
  const char *p;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  p = strstr (status, field);
  if (p == NULL)
    return -1;
  return strtol (p + strlen (field) + 1, NULL, 10);
}

static gboolean
flag_is_set (gpointer data)
{
  return *(gboolean *)data;
}

static void
spin_until (gboolean (*cond) (gpointer),
            gpointer   data)
{
  while (!cond (data))
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
list_idle (gpointer data)
{
  return !fq_incident_list_get_busy (data);
}

static void
set_flag_cb (gpointer  instance,
             gboolean *flag)
{
  *flag = TRUE;
}

/* ---- building the cache ------------------------------------------------- */

static void
open_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!fq_cache_open_finish (FQ_CACHE (object), result, &error))
    g_error ("Cannot open the cache: %s", error->message);
  *(gboolean *)user_data = TRUE;
}

static FqCache *
open_cache (const char *path)
{
  FqCache *cache = fq_cache_new (path);
  gboolean done = FALSE;

  fq_cache_open_async (cache, NULL, open_cb, &done);
  spin_until (flag_is_set, &done);
  return cache;
}

/* Straight into SQLite, one transaction: the schema is the cache's own
 * (created by opening it once), the rows what /changes would have put
 * there. */
static void
fill_cache (const char *path,
            guint       n_rows)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  sqlite3_stmt *jstmt = NULL;
  GRand *rand = g_rand_new_with_seed (2026);
  GString *json = g_string_new (NULL);

  if (sqlite3_open (path, &db) != SQLITE_OK)
    g_error ("sqlite3_open: %s", sqlite3_errmsg (db));
  sqlite3_exec (db, "PRAGMA synchronous=OFF; BEGIN", NULL, NULL, NULL);
  if (sqlite3_prepare_v2 (db, "INSERT INTO incidents (id, received_at, source, status, decision,"
                          " grid, category, summary, address, caller_name, caller_phone, ticket,"
                          " repeat_of, rev) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                          -1, &stmt, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, "INSERT INTO incident_json (id, json) VALUES (?, ?)", -1,
                          &jstmt, NULL) != SQLITE_OK)
    g_error ("prepare: %s", sqlite3_errmsg (db));

  for (guint i = 0; i < n_rows; i++)
    {
      char id[32], summary[128], address[96], name[16], phone[16], category[16];
      gint64 t = BASE_TIME + (gint64)i * 30 + g_rand_int_range (rand, 0, 30);
      int status = g_rand_int_range (rand, 0, 20) == 0 ? 0 : 1;
      int decision = status ? g_rand_int_range (rand, 0, 5) : -1;
      const char *grid = grids[g_rand_int_range (rand, 0, G_N_ELEMENTS (grids))];

      g_snprintf (id, sizeof id, "INC%08u", i);
      g_snprintf (summary, sizeof summary, "%s，来电反映第%u次",
                  words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))],
                  g_rand_int_range (rand, 1, 5));
      g_snprintf (address, sizeof address, "黄石市%s%u号%u栋",
                  streets[g_rand_int_range (rand, 0, G_N_ELEMENTS (streets))],
                  g_rand_int_range (rand, 1, 400), g_rand_int_range (rand, 1, 30));
      g_snprintf (name, sizeof name, "%s先生", names[g_rand_int_range (rand, 0, G_N_ELEMENTS (names))]);
      g_snprintf (phone, sizeof phone, "139%08u", g_rand_int_range (rand, 0, 99999999));
      g_snprintf (category, sizeof category, "C%02u", g_rand_int_range (rand, 1, 82));

      g_string_printf (json, "{\"id\":\"%s\",\"source\":\"12345\",\"received_at\":\"…\","
                       "\"grid\":\"%s\",\"summary\":\"%s\",\"address\":\"%s\","
                       "\"caller_name\":\"%s\",\"caller_phone\":\"%s\",\"rev\":1}",
                       id, grid, summary, address, name, phone);

      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, t);
      sqlite3_bind_int (stmt, 3, g_rand_int_range (rand, 0, 5));
      sqlite3_bind_int (stmt, 4, status);
      if (decision >= 0)
        sqlite3_bind_int (stmt, 5, decision);
      else
        sqlite3_bind_null (stmt, 5);
      sqlite3_bind_text (stmt, 6, grid, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 7, category, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 8, summary, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 9, address, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 10, name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 11, phone, -1, SQLITE_STATIC);
      sqlite3_bind_null (stmt, 12);
      sqlite3_bind_null (stmt, 13);
      sqlite3_bind_int (stmt, 14, 1);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        g_error ("insert: %s", sqlite3_errmsg (db));
      sqlite3_reset (stmt);

      sqlite3_bind_text (jstmt, 1, id, -1, SQLITE_STATIC);
      sqlite3_bind_text (jstmt, 2, json->str, json->len, SQLITE_STATIC);
      if (sqlite3_step (jstmt) != SQLITE_DONE)
        g_error ("insert: %s", sqlite3_errmsg (db));
      sqlite3_reset (jstmt);
    }

  sqlite3_finalize (stmt);
  sqlite3_finalize (jstmt);
  sqlite3_exec (db, "UPDATE meta SET value = 1 WHERE key = 'last_seq'; COMMIT;"
                "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
  sqlite3_close (db);
  g_string_free (json, TRUE);
  g_rand_free (rand);
}

/* A batch as the server would send it: half updates of existing incidents
 * (triaged), half new arrivals. */
static JsonArray *
make_changes (guint  n_rows,
              guint  n_changes,
              gint64 first_seq)
{
  JsonArray *arr = json_array_new ();
  GRand *rand = g_rand_new_with_seed (7);

  for (guint i = 0; i < n_changes; i++)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      gboolean update = i % 2 == 0;
      guint n = update ? (guint)g_rand_int_range (rand, 0, n_rows) : n_rows + i;
      g_autofree char *id = g_strdup_printf ("INC%08u", n);
      g_autofree char *t = fq_time_format (BASE_TIME + (gint64)n * 30);
      g_autofree char *summary = g_strdup_printf ("%s（批量变更%u）", words[i % G_N_ELEMENTS (words)], i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "seq");
      json_builder_add_int_value (b, first_seq + i);
      json_builder_set_member_name (b, "entity");
      json_builder_add_string_value (b, "incident");
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, id);
      json_builder_set_member_name (b, "op");
      json_builder_add_string_value (b, "upsert");
      json_builder_set_member_name (b, "data");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, id);
      json_builder_set_member_name (b, "source");
      json_builder_add_string_value (b, "110");
      json_builder_set_member_name (b, "received_at");
      json_builder_add_string_value (b, t);
      json_builder_set_member_name (b, "grid");
      json_builder_add_string_value (b, grids[i % G_N_ELEMENTS (grids)]);
      json_builder_set_member_name (b, "summary");
      json_builder_add_string_value (b, summary);
      json_builder_set_member_name (b, "address");
      json_builder_add_string_value (b, "黄石市广州路1号");
      json_builder_set_member_name (b, "status");
      json_builder_add_string_value (b, update ? "triaged" : "new");
      json_builder_set_member_name (b, "decision");
      if (update)
        json_builder_add_string_value (b, "divert");
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "rev");
      json_builder_add_int_value (b, 2);
      json_builder_end_object (b);
      json_builder_end_object (b);
      json_array_add_element (arr, json_builder_get_root (b));
    }

  g_rand_free (rand);
  return arr;
}

static void
apply_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!fq_cache_apply_changes_finish (FQ_CACHE (object), result, &error))
    g_error ("apply: %s", error->message);
  *(gboolean *)user_data = TRUE;
}

static void
row (const char *what,
     double      value,
     double      cpu,
     const char *unit,
     const char *target)
{
  if (cpu >= 0)
    printf ("  %-44s %9.1f %-3s %9.1f ms  %s\n", what, value, unit, cpu, target);
  else
    printf ("  %-44s %9.1f %-3s %12s  %s\n", what, value, unit, "", target);
}

/* ---- the whole country's grid ------------------------------------------ */

#define GRID_PAGE 1000

typedef struct
{
  FqCache   *cache;
  JsonArray *page;
  gint64     seq;
  guint      n_nodes;
} GridFeed;

static void
grid_feed_flush (GridFeed *feed)
{
  gboolean applied = FALSE;

  if (feed->page == NULL)
    return;
  fq_cache_apply_changes_async (feed->cache, g_steal_pointer (&feed->page), 0, NULL, apply_cb,
                                &applied);
  spin_until (flag_is_set, &applied);
}

/* The change /changes would bring for a new grid node. */
static void
grid_feed_node (GridFeed   *feed,
                const char *code,
                const char *name,
                const char *level,
                const char *parent,
                const char *path)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "seq");
  json_builder_add_int_value (b, feed->seq++);
  json_builder_set_member_name (b, "entity");
  json_builder_add_string_value (b, "grid");
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "op");
  json_builder_add_string_value (b, "upsert");
  json_builder_set_member_name (b, "data");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "level");
  json_builder_add_string_value (b, level);
  json_builder_set_member_name (b, "parent");
  if (parent != NULL)
    json_builder_add_string_value (b, parent);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, path);
  json_builder_end_object (b);
  json_builder_end_object (b);

  if (feed->page == NULL)
    feed->page = json_array_new ();
  json_array_add_element (feed->page, json_builder_get_root (b));
  feed->n_nodes++;
  if (json_array_get_length (feed->page) == GRID_PAGE)
    grid_feed_flush (feed);
}

/* 31 provinces × 11 cities × 9 districts × 14 streets × 15 communities,
 * parents first, as an import sends them. */
static void
grid_feed_country (GridFeed *feed)
{
  grid_feed_node (feed, "000000000000", "全国", "country", NULL, "全国");
  for (guint p = 11; p < 11 + 31; p++)
    {
      g_autofree char *pc = g_strdup_printf ("%02u0000000000", p);
      g_autofree char *pn = g_strdup_printf ("第%u省", p);
      g_autofree char *pp = g_strdup_printf ("全国 / %s", pn);

      grid_feed_node (feed, pc, pn, "province", "000000000000", pp);
      for (guint c = 1; c <= 11; c++)
        {
          g_autofree char *cc = g_strdup_printf ("%02u%02u00000000", p, c);
          g_autofree char *cn = g_strdup_printf ("第%u%02u市", p, c);
          g_autofree char *cp = g_strdup_printf ("%s / %s", pp, cn);

          grid_feed_node (feed, cc, cn, "city", pc, cp);
          for (guint d = 1; d <= 9; d++)
            {
              g_autofree char *dc = g_strdup_printf ("%02u%02u%02u000000", p, c, d);
              g_autofree char *dn = g_strdup_printf ("第%u%02u%02u区", p, c, d);
              g_autofree char *dp = g_strdup_printf ("%s / %s", cp, dn);

              grid_feed_node (feed, dc, dn, "district", cc, dp);
              for (guint t = 1; t <= 14; t++)
                {
                  g_autofree char *tc = g_strdup_printf ("%02u%02u%02u%03u000", p, c, d, t);
                  g_autofree char *tn = g_strdup_printf ("%s第%u街道", dn, t);
                  g_autofree char *tp = g_strdup_printf ("%s / %s", dp, tn);

                  grid_feed_node (feed, tc, tn, "street", dc, tp);
                  for (guint m = 1; m <= 15; m++)
                    {
                      g_autofree char *mc = g_strdup_printf ("%02u%02u%02u%03u%03u", p, c, d, t, m);
                      g_autofree char *mn = g_strdup_printf ("%s第%u社区", tn, m);
                      g_autofree char *mp = g_strdup_printf ("%s / %s", tp, mn);

                      grid_feed_node (feed, mc, mn, "community", tc, mp);
                    }
                }
            }
        }
    }
  grid_feed_flush (feed);
}

static void
bench_country_grid (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fq-bench-grid-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "grid.db", NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  g_autoptr(FqCache) cache = open_cache (path);
  g_autoptr(FqGridModel) grid = fq_grid_model_new (cache);
  g_auto(GStrv) found = NULL;
  GridFeed feed = { cache, NULL, 1, 0 };
  Meter meter = { 0 };
  double t_fill, c_fill, stall_fill, t_build, c_build, t_find, c_find;
  long rss;
  gint64 t0;
  double c0;

  /* The changes arrive as the server pages them; the model follows. */
  meter_start (&meter);
  t0 = g_get_monotonic_time ();
  c0 = cpu_ms ();
  grid_feed_country (&feed);
  t_fill = ms_since (t0);
  c_fill = cpu_ms () - c0;
  stall_fill = meter_stop (&meter);
  g_assert_nonnull (fq_grid_model_lookup (grid, "411109014015"));
  rss = read_status_kb ("VmRSS:");

  /* The next start: the model made from the full cache at once. */
  g_clear_object (&grid);
  t0 = g_get_monotonic_time ();
  c0 = cpu_ms ();
  grid = fq_grid_model_new (cache);
  t_build = ms_since (t0);
  c_build = cpu_ms () - c0;

  /* Type-to-find of the last community, after the depth-first order is
   * collected again. */
  t0 = g_get_monotonic_time ();
  c0 = cpu_ms ();
  found = fq_grid_model_find (grid, "第411109区第14街道第15社区", NULL);
  t_find = ms_since (t0);
  c_find = cpu_ms () - c0;
  g_assert_nonnull (found);
  g_assert_cmpuint (g_strv_length (found), ==, 6);

  printf ("#\n# the whole country's grid: %u nodes, in pages of %u changes\n", feed.n_nodes,
          GRID_PAGE);
  printf ("# %-44s %9s     %9s     %s\n", "measure", "wall", "CPU", "target");
  row ("pages → cache and grid model", t_fill, c_fill, "ms", "");
  row ("  longest main-loop stall meanwhile", stall_fill, -1, "ms", "≤ 50 ms");
  row ("grid model from the full cache (next start)", t_build, c_build, "ms", "");
  row ("type-to-find, the last community", t_find, c_find, "ms", "");
  row ("RSS with the grid loaded", rss / 1024.0, -1, "MB", "");
  fflush (stdout);

  g_clear_object (&grid);
  fq_cache_close (cache);
  g_clear_object (&cache);
  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
  g_rmdir (dir);
}

static double
load_average (void)
{
  g_autofree char *text = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &text, NULL, NULL))
    return -1;
  return g_ascii_strtod (text, NULL);
}

int
main (int   argc,
      char *argv[])
{
  /* FQ_BENCH_DB keeps the cache between runs (built if missing). */
  const char *keep = g_getenv ("FQ_BENCH_DB");
  g_autofree char *dir = keep ? NULL : g_dir_make_tmp ("fq-bench-console-XXXXXX", NULL);
  g_autofree char *path = keep ? g_strdup (keep) : g_build_filename (dir, "bench.db", NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  const char *env_rows = g_getenv ("FQ_BENCH_ROWS");
  guint n_rows = env_rows ? (guint)g_ascii_strtoull (env_rows, NULL, 10) : N_ROWS_DEFAULT;
  const char *typed = "广州路12号";
  g_autoptr(FqCache) cache = NULL;
  g_autoptr(FqIncidentList) list = NULL;
  JsonArray *changes;
  gboolean first_page = FALSE, loaded = FALSE, applied = FALSE;
  double t_first, c_first, t_loaded, c_loaded, stall_load;
  double t_apply_cache, t_apply_model, c_apply, stall_apply;
  double read_load, read_apply;
  double worst_key = 0, worst_key_cpu = 0, sum_key = 0, sum_key_cpu = 0, stall_keys = 0;
  double load_before;
  guint n_keys = 0;
  long rss_loaded, rss_end, hwm;
  gint64 t0;
  double c0;
  Meter meter = { 0 };

  printf ("# bench-console-data: %u incidents\n", n_rows);
  if (keep == NULL || !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      t0 = g_get_monotonic_time ();
      cache = open_cache (path);
      fq_cache_close (cache);
      g_clear_object (&cache);
      fill_cache (path, n_rows);
      printf ("# building the cache (bulk insert): %.0f ms\n", ms_since (t0));
    }
  load_before = load_average ();

  /* Open → first page → everything. */
  meter_start (&meter);
  t0 = g_get_monotonic_time ();
  c0 = cpu_ms ();
  cache = open_cache (path);
  list = fq_incident_list_new (cache);
  meter.model = G_LIST_MODEL (list);
  g_signal_connect (list, "first-page", G_CALLBACK (set_flag_cb), &first_page);
  g_signal_connect (list, "loaded", G_CALLBACK (set_flag_cb), &loaded);
  spin_until (flag_is_set, &first_page);
  t_first = ms_since (t0);
  c_first = cpu_ms () - c0;
  spin_until (flag_is_set, &loaded);
  spin_until (list_idle, list);
  t_loaded = ms_since (t0);
  c_loaded = cpu_ms () - c0;
  stall_load = meter_stop (&meter);
  read_load = meter.max_read / 1000.0;
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), >=, n_rows);
  rss_loaded = read_status_kb ("VmRSS:");

  /* Typing, one character at a time. */
  {
    g_autofree gunichar *chars = g_utf8_to_ucs4 (typed, -1, NULL, NULL, NULL);
    GString *prefix = g_string_new (NULL);

    printf ("# typing “%s”, keystroke by keystroke (wall, CPU, rows shown):\n", typed);
    meter_start (&meter);
    for (guint i = 0; chars[i] != 0; i++)
      {
        double ms, cpu;

        g_string_append_unichar (prefix, chars[i]);
        t0 = g_get_monotonic_time ();
        c0 = cpu_ms ();
        fq_incident_list_set_query (list, prefix->str);
        spin_until (list_idle, list);
        ms = ms_since (t0);
        cpu = cpu_ms () - c0;
        printf ("#   %-12s %8.1f ms %8.1f ms CPU %8u rows\n", prefix->str, ms, cpu,
                g_list_model_get_n_items (G_LIST_MODEL (list)));
        worst_key = MAX (worst_key, ms);
        worst_key_cpu = MAX (worst_key_cpu, cpu);
        sum_key += ms;
        sum_key_cpu += cpu;
        n_keys++;
      }
    /* Clearing the filter shows everything again. */
    t0 = g_get_monotonic_time ();
    c0 = cpu_ms ();
    fq_incident_list_set_query (list, NULL);
    spin_until (list_idle, list);
    printf ("#   %-12s %8.1f ms %8.1f ms CPU %8u rows\n", "(cleared)", ms_since (t0), cpu_ms () - c0,
            g_list_model_get_n_items (G_LIST_MODEL (list)));
    stall_keys = meter_stop (&meter);
    g_string_free (prefix, TRUE);
  }

  /* 10,000 changes. */
  changes = make_changes (n_rows, N_CHANGES, fq_cache_get_last_seq (cache) + 1);
  meter_start (&meter);
  t0 = g_get_monotonic_time ();
  c0 = cpu_ms ();
  fq_cache_apply_changes_async (cache, changes, 0, NULL, apply_cb, &applied);
  spin_until (flag_is_set, &applied);
  t_apply_cache = ms_since (t0);
  /* The model has its work queued once the cache signalled the batch. */
  spin_until (list_idle, list);
  t_apply_model = ms_since (t0);
  c_apply = cpu_ms () - c0;
  stall_apply = meter_stop (&meter);
  read_apply = meter.max_read / 1000.0;
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), >=, n_rows);

  rss_end = read_status_kb ("VmRSS:");
  hwm = read_status_kb ("VmHWM:");

  printf ("#\n# load average %.1f before, %.1f after (%u CPUs): wall times stretch on a busy\n"
          "# machine, CPU times (all threads of the process) much less.\n",
          load_before, load_average (), g_get_num_processors ());
  printf ("# %-44s %9s     %9s     %s\n", "measure", "wall", "CPU", "target");
  row ("cache open → first page in the model", t_first, c_first, "ms", "first paint ≤ 1500 ms");
  row ("cache open → all rows in the model", t_loaded, c_loaded, "ms", "");
  row ("  longest main-loop stall meanwhile", stall_load, -1, "ms", "≤ 50 ms");
  row ("  longest wait for one row read meanwhile", read_load, -1, "ms", "");
  row ("text filter, worst keystroke", worst_key, worst_key_cpu, "ms", "≤ 150 ms");
  row ("text filter, mean keystroke", sum_key / MAX (n_keys, 1), sum_key_cpu / MAX (n_keys, 1),
       "ms", "");
  row ("  longest main-loop stall while typing", stall_keys, -1, "ms", "≤ 50 ms");
  row ("10,000 changes → committed in the cache", t_apply_cache, -1, "ms", "");
  row ("10,000 changes → applied to the model", t_apply_model, c_apply, "ms", "≤ 1000 ms");
  row ("  longest main-loop stall meanwhile", stall_apply, -1, "ms", "≤ 50 ms");
  row ("  longest wait for one row read meanwhile", read_apply, -1, "ms", "");
  row ("RSS with the model loaded", rss_loaded / 1024.0, -1, "MB", "≤ 500 MB");
  row ("RSS at the end", rss_end / 1024.0, -1, "MB", "");
  row ("peak RSS (VmHWM)", hwm / 1024.0, -1, "MB", "");
  fflush (stdout);

  g_clear_object (&list);
  fq_cache_close (cache);
  g_clear_object (&cache);
  if (keep == NULL)
    {
      g_unlink (path);
      g_unlink (wal);
      g_unlink (shm);
      g_rmdir (dir);
    }

  if (g_strcmp0 (g_getenv ("FQ_BENCH_GRID"), "0") != 0)
    bench_country_grid ();
  return 0;
}
