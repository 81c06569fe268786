/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The page cache wrapper (src/server/fq-pcache.c). A truncation it does not
 * pass on must have had nothing to drop: after xTruncate (limit), no page
 * numbered limit or more is left, whatever was created, moved (as a B-tree
 * balance moves pages through the number of the lock-byte page) or
 * discarded before. And under SQLite, commits that grew nothing pass
 * nothing on, while a rollback that shrinks the database does, and the
 * database stays whole.
 */
#include "config.h"

#include <string.h>
#include <sqlite3.h>

#include "fq-pcache.h"
#include "fq-test-server.h"
#include "fq-test-sqlite.h"

#define N_KEYS    500   /* pages created at 1..N_KEYS */
#define HIGH_KEYS 100   /* pages moved past them, to N_KEYS+1..N_KEYS+HIGH_KEYS */
#define TEMP_KEY  262145u   /* the lock-byte page with 4 KiB pages */

/* The wrapper's methods, read before SQLite starts (it refuses after). */
static sqlite3_pcache_methods2 methods;

/* A page at @key, pinned, or NULL. */
static sqlite3_pcache_page *
lookup (sqlite3_pcache *cache,
        unsigned        key)
{
  return methods.xFetch (cache, key, 0);
}

/* A page that is in @cache (pinned), at a random number. */
static sqlite3_pcache_page *
any_page (sqlite3_pcache *cache,
          GRand          *rand,
          unsigned       *key)
{
  for (guint tries = 0; tries < 200; tries++)
    {
      sqlite3_pcache_page *page;

      *key = g_rand_int_range (rand, 1, N_KEYS + HIGH_KEYS + 1);
      page = lookup (cache, *key);
      if (page != NULL)
        return page;
    }
  return NULL;
}

/* Makes @key free: a page there is discarded. */
static void
clear_key (sqlite3_pcache *cache,
           unsigned        key)
{
  sqlite3_pcache_page *page = lookup (cache, key);

  if (page != NULL)
    methods.xUnpin (cache, page, 1);
}

static void
assert_nothing_from (sqlite3_pcache *cache,
                     unsigned        limit)
{
  for (unsigned key = MAX (limit, 1u); key <= N_KEYS + HIGH_KEYS; key++)
    g_assert_null (lookup (cache, key));
  if (TEMP_KEY >= limit)
    g_assert_null (lookup (cache, TEMP_KEY));
}

static void
test_contract (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261202);
  FqPcacheStats before, after;
  sqlite3_pcache *cache;
  guint truncations = 0;

  fq_pcache_stats (&before);
  cache = methods.xCreate (4096, 64, 1);
  g_assert_nonnull (cache);
  /* Small, so that the default cache recycles pages on its own too. */
  methods.xCachesize (cache, 200);

  for (guint step = 0; step < 20000; step++)
    {
      guint op = g_rand_int_range (rand, 0, 100);
      sqlite3_pcache_page *a, *b;
      unsigned key_a, key_b, high;

      if (op < 45)
        {
          /* Create (or find) a page. */
          a = methods.xFetch (cache, g_rand_int_range (rand, 1, N_KEYS + 1), 2);
          g_assert_nonnull (a);
          methods.xUnpin (cache, a, 0);
        }
      else if (op < 65)
        {
          /* Swap two pages through the lock-byte page's number, as a
           * balance does. */
          clear_key (cache, TEMP_KEY);
          a = any_page (cache, rand, &key_a);
          if (a == NULL)
            continue;
          b = any_page (cache, rand, &key_b);
          if (b == NULL || b == a)
            {
              /* The same page twice is pinned once. */
              methods.xUnpin (cache, a, 0);
              continue;
            }
          methods.xRekey (cache, a, key_a, TEMP_KEY);
          methods.xRekey (cache, b, key_b, key_a);
          methods.xRekey (cache, a, TEMP_KEY, key_b);
          methods.xUnpin (cache, a, 0);
          methods.xUnpin (cache, b, 0);
        }
      else if (op < 75)
        {
          /* Move a page past every page created, and sometimes leave one
           * at the temporary number. */
          a = any_page (cache, rand, &key_a);
          if (a == NULL)
            continue;
          high = g_rand_boolean (rand) ? (unsigned)(N_KEYS + g_rand_int_range (rand, 1, HIGH_KEYS + 1)) : TEMP_KEY;
          if (high != key_a)
            {
              clear_key (cache, high);
              methods.xRekey (cache, a, key_a, high);
            }
          methods.xUnpin (cache, a, 0);
        }
      else if (op < 85)
        {
          /* Drop a page. */
          a = any_page (cache, rand, &key_a);
          if (a != NULL)
            methods.xUnpin (cache, a, 1);
        }
      else
        {
          unsigned limit = g_rand_int_range (rand, 1, N_KEYS + HIGH_KEYS + 20);

          methods.xTruncate (cache, limit);
          truncations++;
          assert_nothing_from (cache, limit);
        }
    }
  methods.xDestroy (cache);

  /* Both ways were taken: truncations with nothing to drop skipped, the
   * others passed on. */
  fq_pcache_stats (&after);
  g_assert_cmpuint (after.truncations - before.truncations, ==, truncations);
  g_assert_cmpuint (after.passed - before.passed, >, 0);
  g_assert_cmpuint (after.passed - before.passed, <, truncations);
}

/* @rows rows with random keys: the index on k splits and balances. */
static void
insert_rows (sqlite3 *db,
             GRand   *rand,
             guint    rows)
{
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "INSERT INTO t (k, v) VALUES (?, ?)", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  for (guint i = 0; i < rows; i++)
    {
      char value[200];

      memset (value, 'a' + i % 26, sizeof value);
      sqlite3_bind_int64 (stmt, 1, (gint64)g_rand_int (rand) << 16 | g_rand_int_range (rand, 0, 65536));
      sqlite3_bind_text (stmt, 2, value, sizeof value, SQLITE_STATIC);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
}

static void
test_sqlite (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fq-test-pcache-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "t.db", NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  FqPcacheStats start, grown, shrunk;
  sqlite3 *db = NULL, *reader = NULL;
  gint64 rows = 0, pages;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  fq_test_sql_exec (db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -4000;"
                        "CREATE TABLE t (id INTEGER PRIMARY KEY, k INTEGER, v TEXT);"
                        "CREATE INDEX t_k ON t (k);");
  g_assert_cmpint (sqlite3_open (path, &reader), ==, SQLITE_OK);

  /* Commits that only grow the database: each one's truncation has
   * nothing past the end to drop, though balances moved pages through
   * the lock-byte page's number. */
  fq_pcache_stats (&start);
  for (guint round = 0; round < 200; round++)
    {
      fq_test_sql_exec (db, "BEGIN");
      insert_rows (db, rand, 40);
      fq_test_sql_exec (db, "COMMIT");
      rows += 40;
      /* Not after each: a reader's cache is emptied whenever another
       * connection has committed, and that truncation is passed on. */
      if (round % 50 == 49)
        g_assert_cmpint (fq_test_sql_int (reader, "SELECT count(*) FROM t"), ==, rows);
    }
  fq_pcache_stats (&grown);
  g_assert_cmpuint (grown.truncations - start.truncations, >=, 200);
  g_assert_cmpuint ((grown.passed - start.passed) * 10, <, grown.truncations - start.truncations);

  /* Transactions that grow the database by hundreds of pages and are
   * rolled back, whole or to a savepoint: the pages past the end must go. */
  pages = fq_test_sql_int (db, "PRAGMA page_count");
  for (guint round = 0; round < 20; round++)
    {
      fq_test_sql_exec (db, "BEGIN");
      insert_rows (db, rand, 20);
      fq_test_sql_exec (db, "SAVEPOINT s");
      insert_rows (db, rand, 2000);
      fq_test_sql_exec (db, "ROLLBACK TO s");
      fq_test_sql_exec (db, "RELEASE s");
      if (round % 2 == 0)
        {
          fq_test_sql_exec (db, "COMMIT");
          rows += 20;
        }
      else
        fq_test_sql_exec (db, "ROLLBACK");
      g_assert_cmpint (fq_test_sql_int (db, "SELECT count(*) FROM t"), ==, rows);
      g_assert_cmpint (fq_test_sql_int (reader, "SELECT count(*) FROM t"), ==, rows);
    }
  fq_pcache_stats (&shrunk);
  g_assert_cmpuint (shrunk.passed - grown.passed, >=, 20);
  g_assert_cmpint (fq_test_sql_int (db, "PRAGMA page_count"), <, pages + 100);

  /* And it grows again over the numbers those pages had. */
  fq_test_sql_exec (db, "BEGIN");
  insert_rows (db, rand, 3000);
  fq_test_sql_exec (db, "COMMIT");
  rows += 3000;
  g_assert_cmpint (fq_test_sql_int (reader, "SELECT count(*) FROM t"), ==, rows);
  g_assert_cmpint (fq_test_sql_int (db, "SELECT count(*) FROM t INDEXED BY t_k WHERE k >= 0"), ==, rows);
  {
    g_autofree char *check = fq_test_sql_text (db, "PRAGMA integrity_check");

    g_assert_cmpstr (check, ==, "ok");
  }

  sqlite3_close (reader);
  sqlite3_close (db);
  fq_test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_assert_true (fq_pcache_install ());
  g_assert_cmpint (sqlite3_config (SQLITE_CONFIG_GETPCACHE2, &methods), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_initialize (), ==, SQLITE_OK);
  /* Too late now: SQLite is in use. */
  g_assert_false (fq_pcache_install ());

  g_test_add_func ("/server/pcache/contract", test_contract);
  g_test_add_func ("/server/pcache/sqlite", test_sqlite);
  return g_test_run ();
}
