/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Recently read ticket details, kept on the main thread: see
 * fq-ticket-cache.h for what keeps them true.
 */

#include "config.h"

#include <string.h>

#include "fq-ticket-cache.h"

typedef struct
{
  FqTicketCache  *cache;
  FqTicketDetail *detail;
  gsize           bytes;
  GList           link;   /* in FqTicketCache.order; data is the entry */
} Entry;

struct _FqTicketCache
{
  GHashTable            *entries;     /* ticket id (the detail's) → Entry */
  GHashTable            *reading;     /* ticket id → the caller's read under way */
  GQueue                 order;       /* Entry, most recently read first */
  gsize                  bytes;
  gsize                  budget;
  guint64                generation;
  FqTicketDetailDispose  dispose;
  gpointer               dispose_data;
};

static gsize
strings_bytes (const GPtrArray *strings)
{
  gsize bytes = 0;

  if (strings == NULL)
    return 0;
  bytes += sizeof *strings + strings->len * sizeof (gpointer);
  for (guint i = 0; i < strings->len; i++)
    bytes += strlen (g_ptr_array_index (strings, i)) + 1;
  return bytes;
}

/* About what @detail holds in memory, allocator overhead aside. */
static gsize
detail_bytes (const FqTicketDetail *detail)
{
  const FqTicket *ticket = detail->ticket;

  return sizeof (Entry) + sizeof *detail + sizeof *ticket
         + detail->head_length + detail->tail_length + 2
         + strlen (ticket->id) + 1
         + (ticket->title != NULL ? strlen (ticket->title) + 1 : 0)
         + (ticket->category != NULL ? strlen (ticket->category) + 1 : 0)
         + (ticket->grid != NULL ? strlen (ticket->grid) + 1 : 0)
         + (ticket->lead_unit != NULL ? strlen (ticket->lead_unit) + 1 : 0)
         + strings_bytes (ticket->assisting_units) + strings_bytes (ticket->incidents)
         + strings_bytes (ticket->session_units);
}

/* Lets go of @detail, which the cache owns. */
static void
dispose_detail (FqTicketCache  *cache,
                FqTicketDetail *detail)
{
  if (cache->dispose != NULL)
    cache->dispose (detail, cache->dispose_data);
  else
    fq_ticket_detail_free (detail);
}

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  dispose_detail (entry->cache, entry->detail);
  g_free (entry);
}

FqTicketCache *
fq_ticket_cache_new (gsize budget)
{
  FqTicketCache *cache = g_new0 (FqTicketCache, 1);

  /* The key is the entry's own ticket id: freed with the entry. */
  cache->entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, entry_free);
  cache->reading = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&cache->order);
  cache->budget = budget;
  return cache;
}

void
fq_ticket_cache_free (FqTicketCache *cache)
{
  if (cache == NULL)
    return;
  g_hash_table_unref (cache->entries);
  g_hash_table_unref (cache->reading);
  g_free (cache);
}

void
fq_ticket_cache_set_dispose (FqTicketCache         *cache,
                             FqTicketDetailDispose  dispose,
                             gpointer               data)
{
  g_return_if_fail (cache != NULL);

  cache->dispose = dispose;
  cache->dispose_data = data;
}

guint64
fq_ticket_cache_get_generation (FqTicketCache *cache)
{
  return cache->generation;
}

static void
remove_entry (FqTicketCache *cache,
              Entry         *entry)
{
  g_queue_unlink (&cache->order, &entry->link);
  cache->bytes -= entry->bytes;
  g_hash_table_remove (cache->entries, entry->detail->ticket->id);
}

const FqTicketDetail *
fq_ticket_cache_lookup (FqTicketCache *cache,
                        const char    *id,
                        gint64         now)
{
  Entry *entry;

  g_return_val_if_fail (cache != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);

  entry = g_hash_table_lookup (cache->entries, id);
  if (entry == NULL)
    return NULL;
  if (now >= entry->detail->sessions_until)
    {
      remove_entry (cache, entry);
      return NULL;
    }
  g_queue_unlink (&cache->order, &entry->link);
  g_queue_push_head_link (&cache->order, &entry->link);
  return entry->detail;
}

void
fq_ticket_cache_insert (FqTicketCache  *cache,
                        guint64         generation,
                        FqTicketDetail *detail)
{
  Entry *entry, *old;

  g_return_if_fail (cache != NULL);
  g_return_if_fail (detail != NULL);

  if (generation != cache->generation)
    {
      dispose_detail (cache, detail);
      return;
    }

  entry = g_new0 (Entry, 1);
  entry->cache = cache;
  entry->detail = detail;
  entry->bytes = detail_bytes (detail);
  entry->link.data = entry;
  if (entry->bytes > cache->budget)
    {
      entry_free (entry);
      return;
    }

  /* Two reads of one ticket in the same generation read the same thing:
   * the later one replaces the earlier. */
  old = g_hash_table_lookup (cache->entries, detail->ticket->id);
  if (old != NULL)
    remove_entry (cache, old);
  while (cache->bytes + entry->bytes > cache->budget)
    remove_entry (cache, g_queue_peek_tail (&cache->order));

  g_hash_table_insert (cache->entries, detail->ticket->id, entry);
  g_queue_push_head_link (&cache->order, &entry->link);
  cache->bytes += entry->bytes;
}

gpointer
fq_ticket_cache_get_reading (FqTicketCache *cache,
                             const char    *id)
{
  g_return_val_if_fail (cache != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);

  return g_hash_table_lookup (cache->reading, id);
}

void
fq_ticket_cache_set_reading (FqTicketCache *cache,
                             const char    *id,
                             gpointer       read)
{
  g_return_if_fail (cache != NULL);
  g_return_if_fail (id != NULL && read != NULL);

  g_hash_table_insert (cache->reading, g_strdup (id), read);
}

void
fq_ticket_cache_unset_reading (FqTicketCache *cache,
                               const char    *id,
                               gpointer       read)
{
  g_return_if_fail (cache != NULL);
  g_return_if_fail (id != NULL);

  if (g_hash_table_lookup (cache->reading, id) == read)
    g_hash_table_remove (cache->reading, id);
}

void
fq_ticket_cache_clear (FqTicketCache *cache)
{
  g_return_if_fail (cache != NULL);

  cache->generation++;
  g_hash_table_remove_all (cache->reading);
  if (cache->order.length == 0)
    return;
  g_queue_init (&cache->order);
  g_hash_table_remove_all (cache->entries);
  cache->bytes = 0;
}

guint
fq_ticket_cache_get_length (FqTicketCache *cache)
{
  return g_hash_table_size (cache->entries);
}

gsize
fq_ticket_cache_get_bytes (FqTicketCache *cache)
{
  return cache->bytes;
}
