/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/*
 * SQLite helpers shared by the server's store and the console's cache.
 * Errors are FQ_ERRORs: SQLITE_FULL (the disk is full) is
 * FQ_ERROR_UNAVAILABLE, anything else FQ_ERROR_INTERNAL with SQLite's message.
 */

#define FQ_SQLITE_BUSY_TIMEOUT_MS 5000

typedef enum
{
  FQ_SQLITE_OPEN_DEFAULT  = 0,
  /* Read only, for reader connections beside a writer. The database must
   * already exist (and be in WAL mode, which is persistent). */
  FQ_SQLITE_OPEN_READONLY = 1 << 0,
} FqSqliteOpenFlags;

/* Opens (creating unless read-only) @path with journal_mode=WAL,
 * synchronous=FULL, foreign_keys=ON and a busy timeout. Each connection is
 * for one thread at a time (SQLITE_OPEN_NOMUTEX). */
sqlite3  *fq_sqlite_open        (const char          *path,
                                 FqSqliteOpenFlags    flags,
                                 GError             **error);
/* sqlite3_close_v2(); NULL is ignored. */
void      fq_sqlite_close       (sqlite3             *db);

/* Runs one or more statements that return no rows. */
gboolean  fq_sqlite_exec        (sqlite3             *db,
                                 const char          *sql,
                                 GError             **error);
/* TRUE for SQLITE_OK, SQLITE_ROW and SQLITE_DONE; else sets @error from @rc
 * and the connection's message. */
gboolean  fq_sqlite_check       (sqlite3             *db,
                                 int                  rc,
                                 GError             **error);
/* Sets @error from @rc and returns FALSE. */
gboolean  fq_sqlite_set_error   (sqlite3             *db,
                                 int                  rc,
                                 GError             **error);
sqlite3_stmt *fq_sqlite_prepare (sqlite3             *db,
                                 const char          *sql,
                                 GError             **error);

/* Brings the schema to the version given by the number of @migrations
 * (NULL-terminated SQL scripts): migration i (from 0) takes `PRAGMA
 * user_version` from i to i + 1, each in one transaction of its own (so a
 * script holds no BEGIN or COMMIT; a failing one leaves nothing behind). A
 * database newer than the program is refused. Migrations are append-only:
 * a released one is never edited. */
gboolean  fq_sqlite_migrate     (sqlite3             *db,
                                 const char * const  *migrations,
                                 GError             **error);

/* Bindings of nullable values: NULL text and a 0 time bind SQL NULL. Text is
 * copied (SQLITE_TRANSIENT). They return the SQLite result code. */
int       fq_sqlite_bind_text   (sqlite3_stmt        *stmt,
                                 int                  index,
                                 const char          *text);
int       fq_sqlite_bind_time   (sqlite3_stmt        *stmt,
                                 int                  index,
                                 gint64               unix_seconds);

/* The text of a column, NULL for SQL NULL; borrowed until the next step. */
const char *fq_sqlite_column_text (sqlite3_stmt      *stmt,
                                   int                column);
/* The same, copied. */
char     *fq_sqlite_column_dup  (sqlite3_stmt        *stmt,
                                 int                  column);
/* An integer column, 0 for SQL NULL. */
gint64    fq_sqlite_column_time (sqlite3_stmt        *stmt,
                                 int                  column);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3, fq_sqlite_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

G_END_DECLS
