/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * SQLite's own page cache, with one cost taken out of every commit.
 *
 * When a commit ends, SQLite asks its page cache to drop every page past
 * the end of the database (xTruncate). The default cache skips that only
 * when no page it ever held lay past the end; otherwise it walks its whole
 * hash table. But a B-tree balance that reorders pages moves a page to a
 * temporary number past the end (the page of the file's lock byte, 1 GiB
 * in) and back again, and from then on the default cache believes a page
 * may be there: the commit that followed walked the whole cache, sixteen
 * megabytes for the server's writer, which balances in nearly every
 * commit at intake (7 % of its time there, by perf).
 *
 * This wrapper keeps a bound of its own on the pages each cache holds,
 * which follows a page moved away from a number, and passes a truncation
 * on (to be walked as before) only when a page may lie at or past the
 * limit. Everything else is the default cache's.
 */

/* Installs the wrapper over the default page cache. Call once, before
 * anything else in the process uses SQLite; FALSE if it was too late (the
 * default cache is then used as it is). */
gboolean fq_pcache_install (void);

typedef struct
{
  guint64 truncations;  /* xTruncate calls SQLite made */
  guint64 passed;       /* passed on to the default cache */
} FqPcacheStats;

/* Totals since the process started, over every cache. */
void     fq_pcache_stats   (FqPcacheStats *stats);

G_END_DECLS
