/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The writer's WAL VFS (src/server/fq-wal-vfs.c). A transaction's frames
 * reach the file in a few writes rather than two per page, and every
 * commit is in the file by the time COMMIT returns: a connection through
 * the default VFS reads it at once, and a copy of the database and its WAL
 * taken then, which is what a crash of the process would leave, recovers
 * it. Covered: transactions larger than the page cache (SQLite spills
 * frames before the commit and rewrites some of them in place), a WAL
 * truncated by another connection's checkpoint, and a WAL left with frames
 * when the writer opens it again.
 */
#include "config.h"

#include <string.h>
#include <sqlite3.h>
#include <glib/gstdio.h>

#include "fq-test-server.h"
#include "fq-test-sqlite.h"
#include "fq-wal-vfs.h"

static sqlite3 *
open_db (const char *path,
         const char *vfs)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
                   ==, SQLITE_OK);
  fq_test_sql_exec (db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
  return db;
}

/* One transaction: @rows new rows, spread over the index on k, and if
 * @rewrite, a rewrite of some of the rows written lately. */
static void
write_transaction (sqlite3  *db,
                   guint     rows,
                   gboolean  rewrite,
                   guint     round)
{
  fq_test_sql_exec (db, "BEGIN IMMEDIATE");
  for (guint i = 0; i < rows; i++)
    fq_test_sql_exec (db, "INSERT INTO t (k, v) VALUES (hex(randomblob(8)), randomblob(300))");
  if (rewrite)
    {
      g_autofree char *update = g_strdup_printf ("UPDATE t SET v = randomblob(310) WHERE id %% 7 = %u "
                                                 "AND id > (SELECT max(id) - 400 FROM t)", round % 7);

      fq_test_sql_exec (db, update);
    }
  fq_test_sql_exec (db, "COMMIT");
}

/* What a reader through the default VFS sees now, and what a copy of the
 * files made now recovers, are both @expected rows. */
static void
check_committed (sqlite3    *reader,
                 const char *path,
                 const char *dir,
                 gint64      expected)
{
  g_autofree char *copy = g_build_filename (dir, "copy.db", NULL);
  g_autofree char *copy_wal = g_strconcat (copy, "-wal", NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *check = NULL;
  gsize length;
  sqlite3 *recovered;

  g_assert_cmpint (fq_test_sql_int (reader, "SELECT count(*) FROM t"), ==, expected);

  g_unlink (copy);
  g_unlink (copy_wal);
  g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (copy, contents, (gssize)length, NULL));
  g_clear_pointer (&contents, g_free);
  if (g_file_get_contents (wal, &contents, &length, NULL))
    g_assert_true (g_file_set_contents (copy_wal, contents, (gssize)length, NULL));

  recovered = open_db (copy, NULL);
  g_assert_cmpint (fq_test_sql_int (recovered, "SELECT count(*) FROM t"), ==, expected);
  check = fq_test_sql_text (recovered, "PRAGMA integrity_check");
  g_assert_cmpstr (check, ==, "ok");
  sqlite3_close (recovered);
}

static void
test_commits (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fq-wal-vfs-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "test.db", NULL);
  const char *vfs = fq_wal_vfs_name ();
  sqlite3 *writer, *reader;
  gint64 expected = 0;

  g_assert_nonnull (dir);
  writer = open_db (path, vfs);
  fq_test_sql_exec (writer, "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL, v BLOB);"
                            "CREATE INDEX t_k ON t (k);"
                            "PRAGMA wal_autocheckpoint = 0;");
  reader = open_db (path, NULL);

  for (guint round = 0; round < 120; round++)
    {
      /* A page cache of 16 pages against transactions of up to about 60:
       * SQLite spills frames, reads some back and rewrites some in place
       * before the commit. */
      if (round == 0)
        fq_test_sql_exec (writer, "PRAGMA cache_size = 16");
      if (round == 40)
        fq_test_sql_exec (writer, "PRAGMA cache_size = -16000");
      /* Another connection empties the WAL: the writer starts it again
       * from its header. */
      if (round == 60)
        {
          int log = -1, done = -1;

          g_assert_cmpint (sqlite3_wal_checkpoint_v2 (reader, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done),
                           ==, SQLITE_OK);
          g_assert_cmpint (log, ==, 0);
        }
      /* The writer opens a WAL that has frames in it. */
      if (round == 90)
        {
          sqlite3_close (writer);
          writer = open_db (path, vfs);
          fq_test_sql_exec (writer, "PRAGMA wal_autocheckpoint = 0");
        }

      write_transaction (writer, 1 + (round * 37) % 150, TRUE, round);
      expected += 1 + (round * 37) % 150;
      check_committed (reader, path, dir, expected);
    }

  sqlite3_close (writer);
  sqlite3_close (reader);
  fq_test_remove_tree (dir);
}

/* With a page cache large enough, the frames of a transaction of a few
 * pages are written at once, not with two writes a page. */
static void
test_gathered (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fq-wal-vfs-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "test.db", NULL);
  FqWalVfsStats before, after;
  sqlite3 *writer;

  writer = open_db (path, fq_wal_vfs_name ());
  fq_test_sql_exec (writer, "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL, v BLOB);"
                            "CREATE INDEX t_k ON t (k);");
  fq_wal_vfs_stats (&before);
  for (guint round = 0; round < 50; round++)
    write_transaction (writer, 20, FALSE, round);
  fq_wal_vfs_stats (&after);

  g_test_message ("%" G_GUINT64_FORMAT " writes asked, %" G_GUINT64_FORMAT " made",
                  after.writes - before.writes, after.file_writes - before.file_writes);
  /* Each transaction changes a page of the table and one of the index at
   * least: two frames, four writes asked. */
  g_assert_cmpuint (after.writes - before.writes, >=, 50 * 4);
  /* One write each (their frames take less than a write's limit), and one
   * more for a WAL header should the WAL start again. */
  g_assert_cmpuint (after.file_writes - before.file_writes, <=, 50 + 1);

  sqlite3_close (writer);
  fq_test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/server/wal-vfs/commits", test_commits);
  g_test_add_func ("/server/wal-vfs/gathered", test_gathered);
  return g_test_run ();
}
