/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/*
 * The server's SQLite store: one database file, fengqiao.db, in the data
 * directory. Every connection runs in WAL mode with foreign keys and
 * synchronous=FULL, except the server's writer, whose commits are flushed
 * by the sync thread (fq-server.c) before they are acknowledged. The schema
 * is versioned with PRAGMA user_version, which holds two counters so that
 * the infrastructure and the domain can each add migrations without
 * renumbering the other's:
 *
 *   user_version = infrastructure version × 1000 + domain version
 *
 * The infrastructure migrations run first, then the domain's
 * (fq_schema_domain_migrations).
 *
 * Infrastructure tables: meta, changes, users, tokens, idempotency, audit,
 * grid_nodes, category_groups, categories, units.
 */

#define FQ_STORE_FILENAME "fengqiao.db"

/* Opens (creating if needed) and configures a connection. */
sqlite3  *fq_store_open          (const char  *path,
                                  GError     **error);
/* The same through the SQLite VFS named @vfs (NULL: the default). */
sqlite3  *fq_store_open_vfs      (const char  *path,
                                  const char  *vfs,
                                  GError     **error);
/* Finalizes every statement left on @db, then closes it. */
void      fq_store_close         (sqlite3     *db);
/* fsync(2) of a file or a directory by name: a file written in a side
 * file before it is renamed into place, then the directory after. */
gboolean  fq_store_sync_path     (const char  *path,
                                  GError     **error);
/* Logs (g_message) where the process's memory is: RSS, SQLite's own
 * (and how much of it is page caches), glibc malloc's arenas. The server
 * does it on SIGUSR1. */
void      fq_store_log_memory    (void);
/* Brings the schema to the current version, in one transaction. */
gboolean  fq_store_migrate       (sqlite3     *db,
                                  GError     **error);

gboolean  fq_store_exec          (sqlite3     *db,
                                  const char  *sql,
                                  GError     **error);
/* Turns a SQLite result code into an FQ_ERROR (SQLITE_FULL → unavailable,
 * others → internal); TRUE for SQLITE_OK, SQLITE_ROW and SQLITE_DONE. */
gboolean  fq_store_check         (sqlite3     *db,
                                  int          rc,
                                  GError     **error);
/* A statement cached on @db (found again by its SQL text), reset and with
 * its bindings cleared; do not finalize it. */
sqlite3_stmt *fq_store_prepare_cached (sqlite3     *db,
                                       const char  *sql,
                                       GError     **error);

/* The meta table: small key/value facts about the data directory. */
char     *fq_store_get_meta      (sqlite3     *db,
                                  const char  *key);
gboolean  fq_store_set_meta      (sqlite3     *db,
                                  const char  *key,
                                  const char  *value,
                                  GError     **error);

gint64    fq_store_last_seq      (sqlite3     *db);

/* fq_store_append_change() with @stmt prepared from this SQL by the caller's
 * own statement cache. */
#define FQ_STORE_APPEND_CHANGE_SQL \
  "INSERT INTO changes (at, entity, id, op, grid, units, data) VALUES (?, ?, ?, ?, ?, ?, ?)"
gint64    fq_store_append_change_stmt (sqlite3            *db,
                                       sqlite3_stmt       *stmt,
                                       gint64              at,
                                       const char         *entity,
                                       const char         *id,
                                       const char         *op,
                                       const char         *grid,
                                       const char * const *units,
                                       const char         *data_json,
                                       GError            **error);

G_END_DECLS
