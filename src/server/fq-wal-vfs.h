/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A SQLite VFS over the default one that gathers a transaction's writes to
 * the WAL into one write().
 *
 * SQLite writes each WAL frame with two write() calls, its 24-byte header
 * and then its page: an incident, which changes about ten pages, cost the
 * writer twenty system calls. This VFS keeps the frames appended to the
 * WAL in memory and writes them at once when the frame that commits the
 * transaction is complete, before SQLite publishes the commit in the
 * WAL index: no other connection can see a frame that is not yet in the
 * file, and what the server's sync thread flushes after the commit is all
 * there. Anything else on the file (a read, a sync, a truncation, its
 * size, a write that is not an append, as when SQLite rewrites a frame in
 * place or starts the WAL again from its header) first writes what is
 * kept. Files other than a WAL are the default VFS's own, untouched.
 *
 * Only the server's writer connection opens the database through it.
 */

/* Registers the VFS once (any thread) and returns its name, for
 * sqlite3_open_v2(). */
const char *fq_wal_vfs_name  (void);

typedef struct
{
  guint64 writes;       /* write() calls SQLite asked of the WAL */
  guint64 file_writes;  /* write() calls made on the WAL file */
} FqWalVfsStats;

/* Totals since the process started, over every WAL opened through it. */
void        fq_wal_vfs_stats (FqWalVfsStats *stats);

G_END_DECLS
