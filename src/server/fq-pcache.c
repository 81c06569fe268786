/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SQLite's page cache without a walk of it at every commit: see fq-pcache.h. */

#include "config.h"

#include <string.h>
#include <sqlite3.h>

#include "fq-pcache.h"

/* Numbers past a cache's bound that pages were moved to, remembered one by
 * one; a balance moves one page at a time, so one is the usual count. */
#define MOVED_MAX 8

typedef struct
{
  sqlite3_pcache *inner;
  /* Every page the cache holds is numbered at most the largest of these
   * three. */
  unsigned        bound;             /* every page created, and every page
                                      * moved to a number up to it */
  unsigned        moved[MOVED_MAX];  /* numbers past bound that a page was
                                      * moved to and may still hold */
  guint           n_moved;
  unsigned        moved_bound;       /* such numbers that did not fit in
                                      * moved; 0: none */
} Cache;

static sqlite3_pcache_methods2 inner_methods;
static guint64                 stat_truncations;  /* atomic */
static guint64                 stat_passed;       /* atomic */

static unsigned
cache_highest (const Cache *cache)
{
  unsigned highest = MAX (cache->bound, cache->moved_bound);

  for (guint i = 0; i < cache->n_moved; i++)
    highest = MAX (highest, cache->moved[i]);
  return highest;
}

static void
cache_forget_moved (Cache    *cache,
                    unsigned  key)
{
  for (guint i = 0; i < cache->n_moved; i++)
    if (cache->moved[i] == key)
      {
        cache->moved[i] = cache->moved[--cache->n_moved];
        return;
      }
}

static void
cache_remember_moved (Cache    *cache,
                      unsigned  key)
{
  for (guint i = 0; i < cache->n_moved; i++)
    if (cache->moved[i] == key)
      return;
  if (cache->n_moved < MOVED_MAX)
    cache->moved[cache->n_moved++] = key;
  else
    cache->moved_bound = MAX (cache->moved_bound, key);
}

static int
wrap_init (void *arg)
{
  return inner_methods.xInit != NULL ? inner_methods.xInit (inner_methods.pArg) : SQLITE_OK;
}

static void
wrap_shutdown (void *arg)
{
  if (inner_methods.xShutdown != NULL)
    inner_methods.xShutdown (inner_methods.pArg);
}

static sqlite3_pcache *
wrap_create (int page_size,
             int extra_size,
             int purgeable)
{
  Cache *cache = sqlite3_malloc (sizeof (Cache));

  if (cache == NULL)
    return NULL;
  memset (cache, 0, sizeof (Cache));
  cache->inner = inner_methods.xCreate (page_size, extra_size, purgeable);
  if (cache->inner == NULL)
    {
      sqlite3_free (cache);
      return NULL;
    }
  return (sqlite3_pcache *)cache;
}

static void
wrap_cachesize (sqlite3_pcache *p,
                int             n_pages)
{
  inner_methods.xCachesize (((Cache *)p)->inner, n_pages);
}

static int
wrap_pagecount (sqlite3_pcache *p)
{
  return inner_methods.xPagecount (((Cache *)p)->inner);
}

static sqlite3_pcache_page *
wrap_fetch (sqlite3_pcache *p,
            unsigned        key,
            int             create)
{
  Cache *cache = (Cache *)p;
  sqlite3_pcache_page *page = inner_methods.xFetch (cache->inner, key, create);

  /* Found without create, a page is one already bounded. */
  if (page != NULL && create != 0 && key > cache->bound)
    cache->bound = key;
  return page;
}

static void
wrap_unpin (sqlite3_pcache      *p,
            sqlite3_pcache_page *page,
            int                  discard)
{
  inner_methods.xUnpin (((Cache *)p)->inner, page, discard);
}

static void
wrap_rekey (sqlite3_pcache      *p,
            sqlite3_pcache_page *page,
            unsigned             old_key,
            unsigned             new_key)
{
  Cache *cache = (Cache *)p;

  inner_methods.xRekey (cache->inner, page, old_key, new_key);
  /* Numbers are unique: no page holds @old_key any more. */
  cache_forget_moved (cache, old_key);
  if (new_key > cache->bound)
    cache_remember_moved (cache, new_key);
}

static void
wrap_truncate (sqlite3_pcache *p,
               unsigned        limit)
{
  Cache *cache = (Cache *)p;
  unsigned highest = cache_highest (cache);

  __atomic_add_fetch (&stat_truncations, 1, __ATOMIC_RELAXED);
  /* No page at @limit or past it: nothing to drop. */
  if (highest < limit)
    return;

  __atomic_add_fetch (&stat_passed, 1, __ATOMIC_RELAXED);
  inner_methods.xTruncate (cache->inner, limit);
  /* Every page left is below @limit. */
  cache->bound = limit > 0 ? MIN (highest, limit - 1) : 0;
  cache->n_moved = 0;
  cache->moved_bound = 0;
}

static void
wrap_destroy (sqlite3_pcache *p)
{
  Cache *cache = (Cache *)p;

  inner_methods.xDestroy (cache->inner);
  sqlite3_free (cache);
}

static void
wrap_shrink (sqlite3_pcache *p)
{
  if (inner_methods.xShrink != NULL)
    inner_methods.xShrink (((Cache *)p)->inner);
}

gboolean
fq_pcache_install (void)
{
  static const sqlite3_pcache_methods2 methods = {
    .iVersion = 2,
    .xInit = wrap_init,
    .xShutdown = wrap_shutdown,
    .xCreate = wrap_create,
    .xCachesize = wrap_cachesize,
    .xPagecount = wrap_pagecount,
    .xFetch = wrap_fetch,
    .xUnpin = wrap_unpin,
    .xRekey = wrap_rekey,
    .xTruncate = wrap_truncate,
    .xDestroy = wrap_destroy,
    .xShrink = wrap_shrink,
  };
  sqlite3_pcache_methods2 current;

  if (sqlite3_config (SQLITE_CONFIG_GETPCACHE2, &current) != SQLITE_OK)
    return FALSE;
  if (current.xTruncate == wrap_truncate)
    return TRUE;   /* installed already */
  inner_methods = current;
  return sqlite3_config (SQLITE_CONFIG_PCACHE2, &methods) == SQLITE_OK;
}

void
fq_pcache_stats (FqPcacheStats *stats)
{
  stats->truncations = __atomic_load_n (&stat_truncations, __ATOMIC_RELAXED);
  stats->passed = __atomic_load_n (&stat_passed, __ATOMIC_RELAXED);
}
