/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Online backup of the server's database (`fengqiao-server --backup FILE`):
 * SQLite's backup API copies the database page by page while the server
 * goes on serving (WAL: the copy reads a snapshot and never blocks the
 * writer). The copy is written beside @dest_path and renamed into place
 * once it is complete and checked, so an interrupted backup leaves no
 * half-made file under the name asked for.
 *
 * The copy gets a new epoch (meta "epoch", shown by GET /health): a server
 * restored from it has gone back in time, and the consoles that saw later
 * changes must rebuild their caches rather than trust them.
 */

typedef struct
{
  gint64  pages;     /* pages copied */
  gint64  last_seq;  /* the last change in the copy */
  guint   restarts;  /* times a write to the source made the copy start over */
  double  seconds;
} FqBackupStats;

gboolean fq_backup_copy (const char     *db_path,
                         const char     *dest_path,
                         FqBackupStats  *stats,
                         GError        **error);

G_END_DECLS
