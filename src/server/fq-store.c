/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Fengqiao-Server"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fq-server-infra.h"
#include "fq-store.h"

#define DOMAIN_VERSION_FACTOR 1000

/* Infrastructure migrations; entry i brings the infrastructure to version
 * i + 1. Append only: a shipped entry never changes. */
static const char * const infra_migrations[] = {
  /* 1 */
  "CREATE TABLE meta ("
  "  key   TEXT PRIMARY KEY,"
  "  value TEXT NOT NULL"
  ") WITHOUT ROWID;"

  /* The change feed. seq is the rowid: it grows by one with each committed
   * change (a rolled-back savepoint gives its numbers back before anybody
   * saw them). data is the record as JSON text, spliced into /changes
   * without being parsed again. units is \",u1,u2,\" or NULL. */
  "CREATE TABLE changes ("
  "  seq    INTEGER PRIMARY KEY,"
  "  at     INTEGER NOT NULL,"
  "  entity TEXT NOT NULL,"
  "  id     TEXT NOT NULL,"
  "  op     TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),"
  "  grid   TEXT,"
  "  units  TEXT,"
  "  data   TEXT NOT NULL"
  ");"

  "CREATE TABLE users ("
  "  username      TEXT PRIMARY KEY,"
  "  display_name  TEXT NOT NULL,"
  "  password_hash TEXT NOT NULL,"
  "  role          TEXT NOT NULL,"
  "  scope         TEXT NOT NULL,"
  "  unit          TEXT,"
  "  disabled      INTEGER NOT NULL DEFAULT 0,"
  "  created_at    INTEGER NOT NULL,"
  "  updated_at    INTEGER NOT NULL"
  ");"

  /* Tokens are kept only as their BLAKE2b hash: a stolen database file
   * does not hand out sessions. */
  "CREATE TABLE tokens ("
  "  hash       BLOB PRIMARY KEY,"
  "  username   TEXT NOT NULL REFERENCES users (username),"
  "  created_at INTEGER NOT NULL,"
  "  expires_at INTEGER NOT NULL,"
  "  revoked_at INTEGER"
  ");"
  "CREATE INDEX tokens_username ON tokens (username);"

  "CREATE TABLE idempotency ("
  "  username TEXT NOT NULL,"
  "  key      TEXT NOT NULL,"
  "  method   TEXT NOT NULL,"
  "  path     TEXT NOT NULL,"
  "  status   INTEGER NOT NULL,"
  "  body     TEXT,"
  "  at       INTEGER NOT NULL,"
  "  PRIMARY KEY (username, key)"
  ") WITHOUT ROWID;"

  "CREATE TABLE audit ("
  "  id        INTEGER PRIMARY KEY,"
  "  at        INTEGER NOT NULL,"
  "  username  TEXT,"
  "  remote    TEXT,"
  "  method    TEXT,"
  "  path      TEXT,"
  "  status    INTEGER,"
  "  entity    TEXT,"
  "  entity_id TEXT,"
  "  detail    TEXT"
  ");"
  "CREATE INDEX audit_at ON audit (at);"
  "CREATE INDEX audit_entity ON audit (entity, entity_id);"
  /* The audit trail is append-only, whatever a later bug might try. */
  "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
  "  BEGIN SELECT RAISE (ABORT, 'the audit trail is append-only'); END;"
  "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
  "  BEGIN SELECT RAISE (ABORT, 'the audit trail is append-only'); END;"

  "CREATE TABLE grid_nodes ("
  "  code   TEXT PRIMARY KEY,"
  "  name   TEXT NOT NULL,"
  "  level  TEXT NOT NULL,"
  "  parent TEXT REFERENCES grid_nodes (code),"
  "  ord    INTEGER NOT NULL"
  ");"
  "CREATE INDEX grid_nodes_parent ON grid_nodes (parent);"
  "CREATE TABLE category_groups ("
  "  code    TEXT PRIMARY KEY,"
  "  name    TEXT NOT NULL,"
  "  name_en TEXT,"
  "  ord     INTEGER NOT NULL"
  ");"
  "CREATE TABLE categories ("
  "  code               TEXT PRIMARY KEY,"
  "  name               TEXT NOT NULL,"
  "  name_en            TEXT,"
  "  grp                TEXT,"
  "  lead_unit_kind     TEXT,"
  "  support_unit_kinds TEXT NOT NULL DEFAULT '[]',"
  "  police_only        INTEGER NOT NULL DEFAULT 0,"
  "  tier               TEXT NOT NULL,"
  "  deadline_hours     INTEGER NOT NULL,"
  "  ord                INTEGER NOT NULL"
  ");"
  "CREATE TABLE units ("
  "  id       TEXT PRIMARY KEY,"
  "  name     TEXT NOT NULL,"
  "  name_en  TEXT,"
  "  kind     TEXT NOT NULL,"
  "  function TEXT,"
  "  grid     TEXT REFERENCES grid_nodes (code),"
  "  ord      INTEGER NOT NULL"
  ");",

  /* 2: the optional columns of the grid file and the categories' keywords
   * (newline-separated), so that the reference data rebuilt from the
   * database is the one loaded from the files. */
  "ALTER TABLE grid_nodes ADD COLUMN short_name TEXT;"
  "ALTER TABLE grid_nodes ADD COLUMN name_en TEXT;"
  "ALTER TABLE grid_nodes ADD COLUMN short_en TEXT;"
  "ALTER TABLE categories ADD COLUMN keywords TEXT NOT NULL DEFAULT '';",

  /* 3: which changes concern which unit, so that a unit's /changes reads
   * its own rows instead of testing every row of the city (a page scanned
   * 170,000 rows for one street office); with the few rows for any unit
   * (reference data) found through their own index. Filled from the units
   * already stored (",u1,u2,"). */
  "CREATE TABLE change_units ("
  "  unit TEXT NOT NULL,"
  "  seq  INTEGER NOT NULL,"
  "  PRIMARY KEY (unit, seq)"
  ") WITHOUT ROWID;"
  "INSERT OR IGNORE INTO change_units (unit, seq)"
  "  WITH RECURSIVE split (seq, rest, unit) AS ("
  "    SELECT seq, substr (units, 2), NULL FROM changes WHERE length (units) > 1"
  "    UNION ALL"
  "    SELECT seq, substr (rest, instr (rest, ',') + 1), substr (rest, 1, instr (rest, ',') - 1)"
  "      FROM split WHERE rest <> '')"
  "  SELECT unit, seq FROM split WHERE unit <> '';"
  "CREATE INDEX changes_any_unit ON changes (seq) WHERE units IS NULL;",
  NULL
};

G_STATIC_ASSERT (G_N_ELEMENTS (infra_migrations) - 1 < 1000);

gboolean
fq_store_check (sqlite3  *db,
                int       rc,
                GError  **error)
{
  int primary = rc & 0xff;

  if (primary == SQLITE_OK || primary == SQLITE_ROW || primary == SQLITE_DONE)
    return TRUE;

  if (primary == SQLITE_FULL)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_UNAVAILABLE,
                   "the disk is full: nothing was written");
      return FALSE;
    }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_UNAVAILABLE,
                   "the database is busy, try again");
      return FALSE;
    }

  g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL, "database error: %s (%d)",
               db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc), rc);
  return FALSE;
}

gboolean
fq_store_exec (sqlite3     *db,
               const char  *sql,
               GError     **error)
{
  char *errmsg = NULL;
  int rc;

  rc = sqlite3_exec (db, sql, NULL, NULL, &errmsg);
  if (rc != SQLITE_OK)
    {
      if ((rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_BUSY)
        fq_store_check (db, rc, error);
      else
        g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL, "database error: %s (%d)",
                     errmsg != NULL ? errmsg : sqlite3_errstr (rc), rc);
      sqlite3_free (errmsg);
      return FALSE;
    }
  return TRUE;
}

sqlite3 *
fq_store_open (const char  *path,
               GError     **error)
{
  return fq_store_open_vfs (path, NULL, error);
}

sqlite3 *
fq_store_open_vfs (const char  *path,
                   const char  *vfs,
                   GError     **error)
{
  sqlite3 *db = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  rc = sqlite3_open_v2 (path, &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_NOMUTEX,
                        vfs);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL, "cannot open %s: %s",
                   path, db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
      sqlite3_close (db);
      return NULL;
    }

  sqlite3_extended_result_codes (db, 1);
  /* A second process (--import-grid beside a running server) waits for the
   * writer instead of failing at once. */
  sqlite3_busy_timeout (db, 5000);

  /* Memory: cache_size bounds each connection's page cache (16 MB). The
   * server has four: the writer, FQ_N_READERS (2) readers and the
   * checkpoint thread's, which copies WAL frames without caching them; so
   * SQLite's memory stays under about 50 MB whatever the size of the
   * database. The writer's cache fills as writes come (at 60 writes a
   * second: in about 200 s; bench-soak.c); a reader's is emptied
   * whenever another connection has committed, so it fills only while
   * nothing is written. fq_store_log_memory() (SIGUSR1) shows the total. */
  if (!fq_store_exec (db,
                      "PRAGMA journal_mode = WAL;"
                      "PRAGMA synchronous = FULL;"
                      "PRAGMA foreign_keys = ON;"
                      "PRAGMA temp_store = MEMORY;"
                      "PRAGMA cache_size = -16000;",
                      error))
    {
      sqlite3_close (db);
      return NULL;
    }

  /* Test only: FQ_TEST_MAX_PAGE_COUNT caps the database at that many pages,
   * so that the test suite can fill "the disk" (SQLITE_FULL) without
   * filling a real one. Never set it on a real server. */
  {
    const char *max_pages = g_getenv ("FQ_TEST_MAX_PAGE_COUNT");
    guint64 pages;

    if (max_pages != NULL &&
        g_ascii_string_to_unsigned (max_pages, 10, 1, G_MAXUINT32, &pages, NULL))
      {
        g_autofree char *pragma = g_strdup_printf ("PRAGMA max_page_count = %" G_GUINT64_FORMAT,
                                                   pages);

        g_message ("FQ_TEST_MAX_PAGE_COUNT: the database is capped at %" G_GUINT64_FORMAT
                   " pages (a test setting)", pages);
        fq_store_exec (db, pragma, NULL);
      }
  }

  return db;
}

void
fq_store_close (sqlite3 *db)
{
  sqlite3_stmt *stmt;

  if (db == NULL)
    return;

  while ((stmt = sqlite3_next_stmt (db, NULL)) != NULL)
    sqlite3_finalize (stmt);

  if (sqlite3_close (db) != SQLITE_OK)
    g_warning ("closing the database: %s", sqlite3_errmsg (db));
}

gboolean
fq_store_sync_path (const char  *path,
                    GError     **error)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  int saved;

  if (fd >= 0 && fsync (fd) == 0)
    {
      close (fd);
      return TRUE;
    }
  saved = errno;
  if (fd >= 0)
    close (fd);
  g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL, "%s: %s", path, g_strerror (saved));
  return FALSE;
}

sqlite3_stmt *
fq_store_prepare_cached (sqlite3     *db,
                         const char  *sql,
                         GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  /* Bulk loaders call this thousands of times with a handful of SQL texts:
   * looking the statement up among the connection's own is cheaper than
   * preparing it again, and needs no cache that could outlive the
   * connection. */
  for (stmt = sqlite3_next_stmt (db, NULL); stmt != NULL; stmt = sqlite3_next_stmt (db, stmt))
    {
      if (!sqlite3_stmt_busy (stmt) && strcmp (sqlite3_sql (stmt), sql) == 0)
        {
          sqlite3_reset (stmt);
          sqlite3_clear_bindings (stmt);
          return stmt;
        }
    }

  rc = sqlite3_prepare_v3 (db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (!fq_store_check (db, rc, error))
    return NULL;
  return stmt;
}

static int
get_user_version (sqlite3 *db)
{
  sqlite3_stmt *stmt = NULL;
  int version = 0;

  if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return version;
}

gboolean
fq_store_migrate (sqlite3  *db,
                  GError  **error)
{
  guint n_infra = g_strv_length ((char **)infra_migrations);
  guint n_domain = g_strv_length ((char **)fq_schema_domain_migrations);
  int version;
  guint infra_version, domain_version;
  g_autofree char *pragma = NULL;

  if (!fq_store_exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;

  version = get_user_version (db);
  infra_version = version / DOMAIN_VERSION_FACTOR;
  domain_version = version % DOMAIN_VERSION_FACTOR;

  if (infra_version > n_infra || domain_version > n_domain)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL,
                   "the database has schema version %d, newer than this server knows; "
                   "use a newer fengqiao-server", version);
      fq_store_exec (db, "ROLLBACK", NULL);
      return FALSE;
    }

  for (; infra_version < n_infra; infra_version++)
    {
      g_debug ("infrastructure migration %u", infra_version + 1);
      if (!fq_store_exec (db, infra_migrations[infra_version], error))
        goto fail;
    }
  for (; domain_version < n_domain; domain_version++)
    {
      g_debug ("domain migration %u", domain_version + 1);
      if (!fq_store_exec (db, fq_schema_domain_migrations[domain_version], error))
        goto fail;
    }

  pragma = g_strdup_printf ("PRAGMA user_version = %u",
                            infra_version * DOMAIN_VERSION_FACTOR + domain_version);
  if (!fq_store_exec (db, pragma, error))
    goto fail;

  return fq_store_exec (db, "COMMIT", error);

fail:
  g_prefix_error (error, "migrating the database: ");
  fq_store_exec (db, "ROLLBACK", NULL);
  return FALSE;
}

char *
fq_store_get_meta (sqlite3    *db,
                   const char *key)
{
  sqlite3_stmt *stmt;
  char *value = NULL;

  stmt = fq_store_prepare_cached (db, "SELECT value FROM meta WHERE key = ?", NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    value = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return value;
}

gboolean
fq_store_set_meta (sqlite3     *db,
                   const char  *key,
                   const char  *value,
                   GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = fq_store_prepare_cached (db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  return fq_store_check (db, rc, error);
}

gint64
fq_store_last_seq (sqlite3 *db)
{
  sqlite3_stmt *stmt;
  gint64 seq = 0;

  stmt = fq_store_prepare_cached (db, "SELECT coalesce (max (seq), 0) FROM changes", NULL);
  if (stmt == NULL)
    return 0;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    seq = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return seq;
}

char *
fq_units_join (const char * const *units)
{
  GString *s;

  /* NULL means "any unit"; an empty list means "no unit" and is stored as
   * a lone separator, so that no unit's ",id," pattern ever matches it. */
  if (units == NULL)
    return NULL;

  s = g_string_new (",");
  for (guint i = 0; units[i] != NULL; i++)
    {
      g_string_append (s, units[i]);
      g_string_append_c (s, ',');
    }
  return g_string_free (s, FALSE);
}

void
fq_json_escape_append (GString    *out,
                       const char *str)
{
  const char *p;

  g_string_append_c (out, '"');
  for (p = str; *p != '\0'; p++)
    {
      guchar c = (guchar)*p;

      switch (c)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, (char)c);
        }
    }
  g_string_append_c (out, '"');
}

gint64
fq_store_append_change (sqlite3            *db,
                        gint64              at,
                        const char         *entity,
                        const char         *id,
                        const char         *op,
                        const char         *grid,
                        const char * const *units,
                        const char         *data_json,
                        GError            **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (db != NULL, -1);

  stmt = fq_store_prepare_cached (db, FQ_STORE_APPEND_CHANGE_SQL, error);
  if (stmt == NULL)
    return -1;
  return fq_store_append_change_stmt (db, stmt, at, entity, id, op, grid, units, data_json,
                                      error);
}

gint64
fq_store_append_change_stmt (sqlite3            *db,
                             sqlite3_stmt       *stmt,
                             gint64              at,
                             const char         *entity,
                             const char         *id,
                             const char         *op,
                             const char         *grid,
                             const char * const *units,
                             const char         *data_json,
                             GError            **error)
{
  g_autofree char *units_text = NULL;
  gint64 seq;
  int rc;

  g_return_val_if_fail (db != NULL && stmt != NULL, -1);
  g_return_val_if_fail (entity != NULL && id != NULL && op != NULL, -1);
  g_return_val_if_fail (data_json != NULL, -1);

  units_text = fq_units_join (units);
  sqlite3_bind_int64 (stmt, 1, at);
  sqlite3_bind_text (stmt, 2, entity, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, op, -1, SQLITE_STATIC);
  if (grid != NULL)
    sqlite3_bind_text (stmt, 5, grid, -1, SQLITE_STATIC);
  if (units_text != NULL)
    sqlite3_bind_text (stmt, 6, units_text, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 7, data_json, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (!fq_store_check (db, rc, error))
    return -1;
  seq = sqlite3_last_insert_rowid (db);

  /* The unit index of the change (infrastructure migration 3). */
  for (guint i = 0; units != NULL && units[i] != NULL; i++)
    {
      sqlite3_stmt *unit_stmt;

      if (*units[i] == '\0')
        continue;
      unit_stmt = fq_store_prepare_cached (db,
                                           "INSERT OR IGNORE INTO change_units (unit, seq)"
                                           " VALUES (?, ?)",
                                           error);
      if (unit_stmt == NULL)
        return -1;
      sqlite3_bind_text (unit_stmt, 1, units[i], -1, SQLITE_STATIC);
      sqlite3_bind_int64 (unit_stmt, 2, seq);
      rc = sqlite3_step (unit_stmt);
      sqlite3_reset (unit_stmt);
      if (!fq_store_check (db, rc, error))
        return -1;
    }

  return seq;
}

/* Counts the "<heap nr=" elements of malloc_info(): glibc's arenas (the
 * main one and one per thread that met contention, up to M_ARENA_MAX). */
static guint
count_malloc_arenas (void)
{
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream (&text, &len);
  guint n = 0;

  if (out == NULL)
    return 0;
  malloc_info (0, out);
  fclose (out);
  for (const char *p = text; p != NULL && (p = strstr (p, "<heap nr=")) != NULL; p++)
    n++;
  free (text);
  return n;
}

void
fq_store_log_memory (void)
{
  sqlite3_int64 used = 0, used_peak = 0, cache = 0, cache_peak = 0;
  struct mallinfo2 mi = mallinfo2 ();
  g_autofree char *statm = NULL;
  guint64 rss_pages = 0;

  /* SQLite's global counters only: a connection's own (sqlite3_db_status)
   * may be read by its thread alone; SCHEMA_USED and STMT_USED even write
   * into it, and crashed a reader when asked from here. */
  sqlite3_status64 (SQLITE_STATUS_MEMORY_USED, &used, &used_peak, 0);
  sqlite3_status64 (SQLITE_STATUS_PAGECACHE_OVERFLOW, &cache, &cache_peak, 0);

  if (g_file_get_contents ("/proc/self/statm", &statm, NULL, NULL))
    {
      char **fields = g_strsplit (statm, " ", 3);

      if (fields[0] != NULL && fields[1] != NULL)
        rss_pages = g_ascii_strtoull (fields[1], NULL, 10);
      g_strfreev (fields);
    }

  g_message ("memory: RSS %" G_GUINT64_FORMAT " KiB; SQLite %" G_GINT64_FORMAT " KiB"
             " (peak %" G_GINT64_FORMAT "), of which page caches %" G_GINT64_FORMAT " KiB;"
             " malloc: %u arenas, %zu KiB from the system (%zu mmapped),"
             " %zu KiB in use, %zu KiB free (%zu at the top)",
             rss_pages * (guint64)sysconf (_SC_PAGESIZE) / 1024,
             (gint64)used / 1024, (gint64)used_peak / 1024, (gint64)cache / 1024,
             count_malloc_arenas (),
             (mi.arena + mi.hblkhd) / 1024, mi.hblkhd / 1024,
             (mi.uordblks + mi.hblkhd) / 1024, mi.fordblks / 1024, mi.keepcost / 1024);
}
