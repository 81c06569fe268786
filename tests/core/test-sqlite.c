/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "fq-core.h"

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("fq-test-sqlite-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "test.db", NULL);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  const char *suffixes[] = { "", "-wal", "-shm", "-journal" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (fixture->path, suffixes[i], NULL);

      g_unlink (file);
    }
  g_rmdir (fixture->dir);
  g_free (fixture->path);
  g_free (fixture->dir);
}

static gint64
query_int (sqlite3    *db,
           const char *sql)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(sqlite3_stmt) stmt = fq_sqlite_prepare (db, sql, &error);

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return sqlite3_column_int64 (stmt, 0);
}

static char *
query_text (sqlite3    *db,
            const char *sql)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(sqlite3_stmt) stmt = fq_sqlite_prepare (db, sql, &error);

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return fq_sqlite_column_dup (stmt, 0);
}

static void
test_open (Fixture       *fixture,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(sqlite3) db = fq_sqlite_open (fixture->path, FQ_SQLITE_OPEN_DEFAULT, &error);
  g_autofree char *mode = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (db);

  mode = query_text (db, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  g_assert_cmpint (query_int (db, "PRAGMA synchronous"), ==, 2); /* FULL */
  g_assert_cmpint (query_int (db, "PRAGMA foreign_keys"), ==, 1);
  g_assert_cmpint (query_int (db, "PRAGMA busy_timeout"), ==, FQ_SQLITE_BUSY_TIMEOUT_MS);

  /* Foreign keys are enforced. */
  g_assert_true (fq_sqlite_exec (db,
                                 "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
                                 "CREATE TABLE child (parent INTEGER REFERENCES parent (id));",
                                 &error));
  g_assert_no_error (error);
  g_assert_false (fq_sqlite_exec (db, "INSERT INTO child VALUES (1)", &error));
  g_assert_error (error, FQ_ERROR, FQ_ERROR_INTERNAL);
  g_assert_nonnull (strstr (error->message, "FOREIGN KEY"));
  g_clear_error (&error);

  /* A reader beside the writer sees committed data and cannot write. */
  {
    g_autoptr(sqlite3) reader = fq_sqlite_open (fixture->path, FQ_SQLITE_OPEN_READONLY, &error);

    g_assert_no_error (error);
    g_assert_true (fq_sqlite_exec (db, "INSERT INTO parent VALUES (7)", &error));
    g_assert_cmpint (query_int (reader, "SELECT id FROM parent"), ==, 7);
    g_assert_cmpint (query_int (reader, "PRAGMA foreign_keys"), ==, 1);
    g_assert_false (fq_sqlite_exec (reader, "INSERT INTO parent VALUES (8)", &error));
    g_assert_error (error, FQ_ERROR, FQ_ERROR_INTERNAL);
  }
}

static void
test_open_fails (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename (fixture->dir, "no", "such", "dir.db", NULL);
  sqlite3 *db;

  db = fq_sqlite_open (missing, FQ_SQLITE_OPEN_DEFAULT, &error);
  g_assert_null (db);
  g_assert_error (error, FQ_ERROR, FQ_ERROR_INTERNAL);
  g_clear_error (&error);

  /* Read-only does not create. */
  db = fq_sqlite_open (fixture->path, FQ_SQLITE_OPEN_READONLY, &error);
  g_assert_null (db);
  g_assert_error (error, FQ_ERROR, FQ_ERROR_INTERNAL);
  g_assert_false (g_file_test (fixture->path, G_FILE_TEST_EXISTS));

  fq_sqlite_close (NULL);
}

static const char * const migrations_v2[] = {
  "CREATE TABLE a (x INTEGER);"
  "INSERT INTO a VALUES (1);",
  "CREATE TABLE b (y TEXT);"
  "INSERT INTO a VALUES (2);",
  NULL,
};

static void
test_migrate (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(sqlite3) db = fq_sqlite_open (fixture->path, FQ_SQLITE_OPEN_DEFAULT, &error);
  const char * const none[] = { NULL };

  g_assert_cmpint (query_int (db, "PRAGMA user_version"), ==, 0);

  /* No migrations: nothing to do. */
  g_assert_true (fq_sqlite_migrate (db, none, &error));
  g_assert_no_error (error);
  g_assert_cmpint (query_int (db, "PRAGMA user_version"), ==, 0);

  g_assert_true (fq_sqlite_migrate (db, migrations_v2, &error));
  g_assert_no_error (error);
  g_assert_cmpint (query_int (db, "PRAGMA user_version"), ==, 2);
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM a"), ==, 2);
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM b"), ==, 0);

  /* Again: each migration runs once. */
  g_assert_true (fq_sqlite_migrate (db, migrations_v2, &error));
  g_assert_cmpint (query_int (db, "SELECT count(*) FROM a"), ==, 2);

  /* Reopened, the version is remembered. */
  g_clear_pointer (&db, fq_sqlite_close);
  db = fq_sqlite_open (fixture->path, FQ_SQLITE_OPEN_DEFAULT, &error);
  g_assert_cmpint (query_int (db, "PRAGMA user_version"), ==, 2);

  /* A failing migration leaves nothing behind and keeps the version. */
  {
    const char * const broken[] = {
      migrations_v2[0],
      migrations_v2[1],
      "CREATE TABLE c (z INTEGER);"
      "INSERT INTO a VALUES (3);"
      "INSERT INTO no_such_table VALUES (1);",
      NULL,
    };

    g_assert_false (fq_sqlite_migrate (db, broken, &error));
    g_assert_error (error, FQ_ERROR, FQ_ERROR_INTERNAL);
    g_assert_true (g_str_has_prefix (error->message, "migration to schema version 3: "));
    g_clear_error (&error);
    g_assert_cmpint (query_int (db, "PRAGMA user_version"), ==, 2);
    g_assert_cmpint (query_int (db, "SELECT count(*) FROM a"), ==, 2);
    g_assert_cmpint (query_int (db, "SELECT count(*) FROM sqlite_master WHERE name = 'c'"), ==, 0);
    /* And the connection is usable, outside any transaction. */
    g_assert_true (sqlite3_get_autocommit (db));
  }

  /* A database from a newer program is refused and left alone. */
  g_assert_true (fq_sqlite_exec (db, "PRAGMA user_version = 5", &error));
  g_assert_false (fq_sqlite_migrate (db, migrations_v2, &error));
  g_assert_error (error, FQ_ERROR, FQ_ERROR_INTERNAL);
  g_assert_cmpint (query_int (db, "PRAGMA user_version"), ==, 5);
}

static void
test_errors (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(sqlite3) db = fq_sqlite_open (fixture->path, FQ_SQLITE_OPEN_DEFAULT, &error);
  sqlite3_stmt *stmt;

  g_assert_false (fq_sqlite_exec (db, "SELEKT 1", &error));
  g_assert_error (error, FQ_ERROR, FQ_ERROR_INTERNAL);
  g_assert_nonnull (strstr (error->message, "syntax error"));
  g_clear_error (&error);

  stmt = fq_sqlite_prepare (db, "SELECT * FROM no_such_table", &error);
  g_assert_null (stmt);
  g_assert_error (error, FQ_ERROR, FQ_ERROR_INTERNAL);
  g_assert_nonnull (strstr (error->message, "no_such_table"));
  g_clear_error (&error);

  g_assert_true (fq_sqlite_check (db, SQLITE_OK, &error));
  g_assert_true (fq_sqlite_check (db, SQLITE_ROW, &error));
  g_assert_true (fq_sqlite_check (db, SQLITE_DONE, &error));
  g_assert_no_error (error);
  g_assert_false (fq_sqlite_check (NULL, SQLITE_CORRUPT, &error));
  g_assert_error (error, FQ_ERROR, FQ_ERROR_INTERNAL);
  g_clear_error (&error);
  g_assert_false (fq_sqlite_set_error (NULL, SQLITE_FULL, &error));
  g_assert_error (error, FQ_ERROR, FQ_ERROR_UNAVAILABLE);
  g_clear_error (&error);
}

static void
test_disk_full (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(sqlite3) db = fq_sqlite_open (fixture->path, FQ_SQLITE_OPEN_DEFAULT, &error);
  gboolean ok = TRUE;

  /* A database that may not grow behaves as on a full disk: SQLITE_FULL. */
  g_assert_true (fq_sqlite_exec (db, "CREATE TABLE t (x BLOB)", &error));
  g_assert_true (fq_sqlite_exec (db, "PRAGMA max_page_count = 10", &error));
  for (guint i = 0; ok && i < 100; i++)
    ok = fq_sqlite_exec (db, "INSERT INTO t VALUES (zeroblob (4096))", &error);

  g_assert_false (ok);
  g_assert_error (error, FQ_ERROR, FQ_ERROR_UNAVAILABLE);
}

static void
test_bind_column (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(sqlite3) db = fq_sqlite_open (fixture->path, FQ_SQLITE_OPEN_DEFAULT, &error);
  g_autoptr(sqlite3_stmt) insert = NULL;
  g_autoptr(sqlite3_stmt) select = NULL;
  char text[] = "黄石市";

  g_assert_true (fq_sqlite_exec (db, "CREATE TABLE t (n INTEGER, s TEXT, at INTEGER)", &error));
  insert = fq_sqlite_prepare (db, "INSERT INTO t VALUES (?, ?, ?)", &error);

  sqlite3_bind_int (insert, 1, 1);
  g_assert_cmpint (fq_sqlite_bind_text (insert, 2, text), ==, SQLITE_OK);
  g_assert_cmpint (fq_sqlite_bind_time (insert, 3, 1795939200), ==, SQLITE_OK);
  /* The text is copied: changing the buffer after binding changes nothing. */
  text[0] = 'x';
  g_assert_cmpint (sqlite3_step (insert), ==, SQLITE_DONE);
  sqlite3_reset (insert);

  sqlite3_bind_int (insert, 1, 2);
  g_assert_cmpint (fq_sqlite_bind_text (insert, 2, NULL), ==, SQLITE_OK);
  g_assert_cmpint (fq_sqlite_bind_time (insert, 3, 0), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (insert), ==, SQLITE_DONE);

  g_assert_cmpint (query_int (db, "SELECT count(*) FROM t WHERE s IS NULL AND at IS NULL"), ==, 1);

  select = fq_sqlite_prepare (db, "SELECT s, at FROM t ORDER BY n", &error);
  g_assert_cmpint (sqlite3_step (select), ==, SQLITE_ROW);
  g_assert_cmpstr (fq_sqlite_column_text (select, 0), ==, "黄石市");
  {
    g_autofree char *copy = fq_sqlite_column_dup (select, 0);

    g_assert_cmpstr (copy, ==, "黄石市");
  }
  g_assert_cmpint (fq_sqlite_column_time (select, 1), ==, 1795939200);
  g_assert_cmpint (sqlite3_step (select), ==, SQLITE_ROW);
  g_assert_null (fq_sqlite_column_text (select, 0));
  g_assert_null (fq_sqlite_column_dup (select, 0));
  g_assert_cmpint (fq_sqlite_column_time (select, 1), ==, 0);
  g_assert_cmpint (sqlite3_step (select), ==, SQLITE_DONE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/core/sqlite/open", test_open);
  ADD ("/core/sqlite/open-fails", test_open_fails);
  ADD ("/core/sqlite/migrate", test_migrate);
  ADD ("/core/sqlite/errors", test_errors);
  ADD ("/core/sqlite/disk-full", test_disk_full);
  ADD ("/core/sqlite/bind-column", test_bind_column);
#undef ADD

  return g_test_run ();
}
