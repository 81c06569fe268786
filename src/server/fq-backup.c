/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Fengqiao-Server"

/*
 * The online backup: SQLite's backup API in steps of BACKUP_STEP_PAGES,
 * from a connection of its own, beside the running server (fq-backup.h).
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "fq-backup.h"
#include "fq-error.h"
#include "fq-json.h"
#include "fq-store.h"

/* 1024 pages of 4 KiB: a step reads 4 MiB, a few milliseconds. */
#define BACKUP_STEP_PAGES 1024
/* A pause between steps leaves the disk to the server now and then. */
#define BACKUP_PAUSE_MS   5
/* In WAL mode a write committed by the server between two steps makes the
 * copy start over (SQLite cannot tell which pages it touched). Under a
 * steady stream of writes the copy might never end; after this many
 * restarts the rest is copied in one step, which reads one snapshot and
 * still does not block the writer (WAL readers never do). */
#define BACKUP_MAX_RESTARTS 3

static gboolean
set_db_error (GError     **error,
              sqlite3     *db,
              int          rc,
              const char  *what)
{
  if ((rc & 0xff) == SQLITE_FULL)
    g_set_error (error, FQ_ERROR, FQ_ERROR_UNAVAILABLE, "%s: the disk is full", what);
  else
    g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL, "%s: %s", what,
                 db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
  return FALSE;
}

static gboolean
query_text (sqlite3     *db,
            const char  *sql,
            char       **out)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    {
      *out = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
      ok = TRUE;
    }
  sqlite3_finalize (stmt);
  return ok;
}

static void
remove_with_journals (const char *path)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);

  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
}

/* Checks the copy, gives it its own epoch and notes where it came from. */
static gboolean
finish_copy (sqlite3        *dst,
             FqBackupStats  *stats,
             GError        **error)
{
  g_autofree char *check = NULL;
  g_autofree char *epoch = g_uuid_string_random ();
  g_autofree char *at = fq_time_format (g_get_real_time () / G_USEC_PER_SEC);
  g_autofree char *seq = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (!query_text (dst, "PRAGMA quick_check", &check) || g_strcmp0 (check, "ok") != 0)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL, "the copy failed its check: %s",
                   check != NULL ? check : sqlite3_errmsg (dst));
      return FALSE;
    }

  rc = sqlite3_exec (dst, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    return set_db_error (error, dst, rc, "writing the copy's epoch");
  rc = sqlite3_prepare_v2 (dst, "INSERT OR REPLACE INTO meta (key, value) VALUES"
                                " ('epoch', ?1), ('backup_at', ?2)", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, epoch, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, at, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE || (rc = sqlite3_exec (dst, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
    {
      set_db_error (error, dst, rc, "writing the copy's epoch");
      sqlite3_exec (dst, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }

  if (query_text (dst, "SELECT coalesce (max (seq), 0) FROM changes", &seq))
    stats->last_seq = g_ascii_strtoll (seq, NULL, 10);

  /* Everything into the one file: the copy travels alone. */
  rc = sqlite3_exec (dst, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    return set_db_error (error, dst, rc, "finishing the copy");
  return TRUE;
}

gboolean
fq_backup_copy (const char     *db_path,
                const char     *dest_path,
                FqBackupStats  *stats,
                GError        **error)
{
  g_autofree char *part = NULL;
  g_autofree char *dest_dir = NULL;
  FqBackupStats local = { 0, };
  sqlite3 *src = NULL;
  sqlite3 *dst = NULL;
  sqlite3_backup *backup;
  gint64 start = g_get_monotonic_time ();
  int previous_remaining = -1;
  int step_pages = BACKUP_STEP_PAGES;
  int fd;
  int rc;
  gboolean ok = FALSE;

  g_return_val_if_fail (db_path != NULL && dest_path != NULL, FALSE);

  if (stats == NULL)
    stats = &local;
  memset (stats, 0, sizeof *stats);

  if (!g_file_test (db_path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_NOT_FOUND, "%s: no database here", db_path);
      return FALSE;
    }

  /* Without CREATE: a wrong path must not make an empty database. */
  rc = sqlite3_open_v2 (db_path, &src, SQLITE_OPEN_READWRITE, NULL);
  if (rc != SQLITE_OK)
    {
      set_db_error (error, src, rc, db_path);
      goto out;
    }
  sqlite3_busy_timeout (src, 5000);

  part = g_strconcat (dest_path, ".part", NULL);
  remove_with_journals (part);
  /* The copy holds password hashes and callers' phone numbers: made 0600
   * before SQLite writes a byte into it (its journals take the same mode). */
  fd = g_open (part, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL, "%s: %s", part, g_strerror (saved));
      goto out;
    }
  close (fd);
  rc = sqlite3_open_v2 (part, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK)
    {
      set_db_error (error, dst, rc, part);
      goto out;
    }
  sqlite3_busy_timeout (dst, 5000);

  backup = sqlite3_backup_init (dst, "main", src, "main");
  if (backup == NULL)
    {
      set_db_error (error, dst, sqlite3_errcode (dst), "starting the backup");
      goto out;
    }

  do
    {
      int remaining;

      rc = sqlite3_backup_step (backup, step_pages);
      remaining = sqlite3_backup_remaining (backup);
      if (previous_remaining >= 0 && remaining > previous_remaining)
        {
          stats->restarts++;
          g_debug ("backup: the database changed, starting over (%u)", stats->restarts);
          if (stats->restarts >= BACKUP_MAX_RESTARTS)
            step_pages = -1;
        }
      previous_remaining = remaining;

      if (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        sqlite3_sleep (BACKUP_PAUSE_MS);
    }
  while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);

  stats->pages = sqlite3_backup_pagecount (backup);
  sqlite3_backup_finish (backup);
  if (rc != SQLITE_DONE)
    {
      set_db_error (error, dst, rc, "copying the database");
      goto out;
    }

  if (!finish_copy (dst, stats, error))
    goto out;

  rc = sqlite3_close (dst);
  dst = NULL;
  if (rc != SQLITE_OK)
    {
      set_db_error (error, NULL, rc, "closing the copy");
      goto out;
    }

  dest_dir = g_path_get_dirname (dest_path);
  if (!fq_store_sync_path (part, error))
    goto out;
  if (g_rename (part, dest_path) != 0)
    {
      int saved = errno;

      g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL, "%s: %s", dest_path, g_strerror (saved));
      goto out;
    }
  if (!fq_store_sync_path (dest_dir, error))
    goto out;

  stats->seconds = (g_get_monotonic_time () - start) / 1e6;
  ok = TRUE;

out:
  if (dst != NULL)
    sqlite3_close (dst);
  if (src != NULL)
    sqlite3_close (src);
  if (!ok && part != NULL)
    remove_with_journals (part);
  return ok;
}
