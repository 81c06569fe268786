/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao"

#include "config.h"

#include "fq-error.h"
#include "fq-sqlite.h"

/**
 * fq_sqlite_set_error:
 * @db: (nullable): the connection the error came from
 * @rc: an SQLite result code other than SQLITE_OK
 * @error: return location for an error
 *
 * Returns: %FALSE
 */
gboolean
fq_sqlite_set_error (sqlite3  *db,
                     int       rc,
                     GError  **error)
{
  const char *message = db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc);

  /* A full disk is an outage the operator fixes, not a bug. */
  if ((rc & 0xff) == SQLITE_FULL)
    g_set_error (error, FQ_ERROR, FQ_ERROR_UNAVAILABLE, "the database disk is full (%s)", message);
  else
    g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL, "SQLite error %d: %s", rc, message);

  return FALSE;
}

/**
 * fq_sqlite_check:
 * @db: (nullable): the connection
 * @rc: the result code of a call on it
 * @error: return location for an error
 *
 * Returns: %TRUE if @rc is SQLITE_OK, SQLITE_ROW or SQLITE_DONE
 */
gboolean
fq_sqlite_check (sqlite3  *db,
                 int       rc,
                 GError  **error)
{
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE)
    return TRUE;

  return fq_sqlite_set_error (db, rc, error);
}

/**
 * fq_sqlite_exec:
 * @db: the connection
 * @sql: one or more statements
 * @error: return location for an error
 *
 * Returns: %TRUE if every statement ran
 */
gboolean
fq_sqlite_exec (sqlite3     *db,
                const char  *sql,
                GError     **error)
{
  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (sql != NULL, FALSE);

  return fq_sqlite_check (db, sqlite3_exec (db, sql, NULL, NULL, NULL), error);
}

/**
 * fq_sqlite_prepare:
 * @db: the connection
 * @sql: one statement
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the statement, to be finalized
 */
sqlite3_stmt *
fq_sqlite_prepare (sqlite3     *db,
                   const char  *sql,
                   GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  g_return_val_if_fail (db != NULL, NULL);
  g_return_val_if_fail (sql != NULL, NULL);

  rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      fq_sqlite_set_error (db, rc, error);
      sqlite3_finalize (stmt);
      return NULL;
    }

  return stmt;
}

/**
 * fq_sqlite_open:
 * @path: the database file, or ":memory:"
 * @flags: #FqSqliteOpenFlags
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the connection, closed with
 *   fq_sqlite_close()
 */
sqlite3 *
fq_sqlite_open (const char         *path,
                FqSqliteOpenFlags   flags,
                GError            **error)
{
  g_autoptr(sqlite3) db = NULL;
  int open_flags = SQLITE_OPEN_NOMUTEX;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  if (flags & FQ_SQLITE_OPEN_READONLY)
    open_flags |= SQLITE_OPEN_READONLY;
  else
    open_flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

  rc = sqlite3_open_v2 (path, &db, open_flags, NULL);
  if (rc != SQLITE_OK)
    {
      /* sqlite3_open_v2() hands out a connection even on failure, so that
       * its message can be read. */
      fq_sqlite_set_error (db, rc, error);
      return NULL;
    }

  sqlite3_extended_result_codes (db, 1);
  sqlite3_busy_timeout (db, FQ_SQLITE_BUSY_TIMEOUT_MS);

  /* The journal mode is stored in the file, so only a writer sets it. */
  if (!(flags & FQ_SQLITE_OPEN_READONLY) && !fq_sqlite_exec (db, "PRAGMA journal_mode=WAL", error))
    return NULL;

  if (!fq_sqlite_exec (db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", error))
    return NULL;

  return g_steal_pointer (&db);
}

/**
 * fq_sqlite_close:
 * @db: (nullable): a connection
 */
void
fq_sqlite_close (sqlite3 *db)
{
  if (db != NULL)
    sqlite3_close_v2 (db);
}

static gboolean
get_user_version (sqlite3  *db,
                  gint64   *version,
                  GError  **error)
{
  g_autoptr(sqlite3_stmt) stmt = fq_sqlite_prepare (db, "PRAGMA user_version", error);
  int rc;

  if (stmt == NULL)
    return FALSE;

  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return fq_sqlite_set_error (db, rc, error);

  *version = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

/**
 * fq_sqlite_migrate:
 * @db: the connection
 * @migrations: (array zero-terminated=1): the SQL of each schema version
 * @error: return location for an error
 *
 * Returns: %TRUE if the schema is now current
 */
gboolean
fq_sqlite_migrate (sqlite3             *db,
                   const char * const  *migrations,
                   GError             **error)
{
  gint64 version = 0;
  guint n_migrations;

  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (migrations != NULL, FALSE);

  n_migrations = g_strv_length ((char **)migrations);

  if (!get_user_version (db, &version, error))
    return FALSE;

  if (version > n_migrations)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL,
                   "the database has schema version %" G_GINT64_FORMAT
                   ", newer than this program's %u",
                   version, n_migrations);
      return FALSE;
    }

  for (guint i = version; i < n_migrations; i++)
    {
      g_autofree char *set_version = g_strdup_printf ("PRAGMA user_version = %u", i + 1);

      /* IMMEDIATE takes the write lock at once, so that two processes that
       * open the same file do not both start the same migration. */
      if (!fq_sqlite_exec (db, "BEGIN IMMEDIATE", error))
        return FALSE;

      if (!fq_sqlite_exec (db, migrations[i], error) ||
          !fq_sqlite_exec (db, set_version, error) ||
          !fq_sqlite_exec (db, "COMMIT", error))
        {
          if (!sqlite3_get_autocommit (db))
            sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
          g_prefix_error (error, "migration to schema version %u: ", i + 1);
          return FALSE;
        }
    }

  return TRUE;
}

/**
 * fq_sqlite_bind_text:
 * @stmt: a statement
 * @index: the parameter, from 1
 * @text: (nullable): the text, %NULL for SQL NULL
 *
 * Returns: the SQLite result code
 */
int
fq_sqlite_bind_text (sqlite3_stmt *stmt,
                     int           index,
                     const char   *text)
{
  if (text == NULL)
    return sqlite3_bind_null (stmt, index);

  return sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
}

/**
 * fq_sqlite_bind_time:
 * @stmt: a statement
 * @index: the parameter, from 1
 * @unix_seconds: the time, 0 for SQL NULL
 *
 * Returns: the SQLite result code
 */
int
fq_sqlite_bind_time (sqlite3_stmt *stmt,
                     int           index,
                     gint64        unix_seconds)
{
  if (unix_seconds == 0)
    return sqlite3_bind_null (stmt, index);

  return sqlite3_bind_int64 (stmt, index, unix_seconds);
}

/**
 * fq_sqlite_column_text:
 * @stmt: a statement on a row
 * @column: the column, from 0
 *
 * Returns: (transfer none) (nullable): the text, %NULL for SQL NULL
 */
const char *
fq_sqlite_column_text (sqlite3_stmt *stmt,
                       int           column)
{
  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    return NULL;

  return (const char *)sqlite3_column_text (stmt, column);
}

/**
 * fq_sqlite_column_dup:
 * @stmt: a statement on a row
 * @column: the column, from 0
 *
 * Returns: (transfer full) (nullable): a copy of the text, %NULL for SQL NULL
 */
char *
fq_sqlite_column_dup (sqlite3_stmt *stmt,
                      int           column)
{
  return g_strdup (fq_sqlite_column_text (stmt, column));
}

/**
 * fq_sqlite_column_time:
 * @stmt: a statement on a row
 * @column: the column, from 0
 *
 * Returns: the integer, 0 for SQL NULL
 */
gint64
fq_sqlite_column_time (sqlite3_stmt *stmt,
                       int           column)
{
  return sqlite3_column_int64 (stmt, column);
}
