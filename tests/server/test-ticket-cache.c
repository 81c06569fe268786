/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The ticket details kept in memory (src/server/fq-ticket-cache.c): a read
 * that overlapped a write is not kept, a write forgets everything, a detail
 * whose sessions' text has run out is dropped, the byte budget drops the
 * least recently read first, a write forgets the reads under way, and
 * every detail the cache lets go of goes to its dispose function once.
 */
#include "config.h"

#include <string.h>

#include "fq-ticket-cache.h"

/* A detail of ticket @id whose answer's text after the flags (its
 * timeline, mostly) is @events_bytes long. */
static FqTicketDetail *
detail_new (const char *id,
            gsize       events_bytes,
            gint64      sessions_until)
{
  FqTicketDetail *detail = g_new0 (FqTicketDetail, 1);
  char *tail = g_malloc (events_bytes + 1);

  memset (tail, ' ', events_bytes);
  tail[events_bytes] = '\0';

  detail->ticket = g_new0 (FqTicket, 1);
  detail->ticket->id = g_strdup (id);
  detail->ticket->grid = g_strdup ("420204001001");
  detail->ticket->rev = 1;
  detail->head = g_strdup ("{");
  detail->head_length = 1;
  detail->tail = tail;
  detail->tail_length = events_bytes;
  detail->sessions_until = sessions_until;
  return detail;
}

/* What one detail with 1,000 bytes of timeline counts for in the budget. */
static gsize
one_detail_bytes (void)
{
  FqTicketCache *cache = fq_ticket_cache_new (1024 * 1024);
  gsize one;

  fq_ticket_cache_insert (cache, 0, detail_new ("T0", 1000, G_MAXINT64));
  one = fq_ticket_cache_get_bytes (cache);
  fq_ticket_cache_free (cache);
  g_assert_cmpuint (one, >, 1000);
  return one;
}

static void
test_generation (void)
{
  FqTicketCache *cache = fq_ticket_cache_new (1024 * 1024);
  guint64 before = fq_ticket_cache_get_generation (cache);

  fq_ticket_cache_insert (cache, before, detail_new ("T1", 100, G_MAXINT64));
  g_assert_nonnull (fq_ticket_cache_lookup (cache, "T1", 1000));
  g_assert_null (fq_ticket_cache_lookup (cache, "T2", 1000));

  /* A write completes while a read of T2 is out: the read's detail may
   * predate the write, and is not kept. The write forgot T1 too. */
  fq_ticket_cache_clear (cache);
  g_assert_cmpuint (fq_ticket_cache_get_generation (cache), !=, before);
  g_assert_null (fq_ticket_cache_lookup (cache, "T1", 1000));
  fq_ticket_cache_insert (cache, before, detail_new ("T2", 100, G_MAXINT64));
  g_assert_null (fq_ticket_cache_lookup (cache, "T2", 1000));
  g_assert_cmpuint (fq_ticket_cache_get_length (cache), ==, 0);
  g_assert_cmpuint (fq_ticket_cache_get_bytes (cache), ==, 0);

  /* A read started after the write is kept. */
  fq_ticket_cache_insert (cache, fq_ticket_cache_get_generation (cache), detail_new ("T2", 100, G_MAXINT64));
  g_assert_nonnull (fq_ticket_cache_lookup (cache, "T2", 1000));

  fq_ticket_cache_free (cache);
}

static void
test_replace (void)
{
  FqTicketCache *cache = fq_ticket_cache_new (1024 * 1024);
  guint64 generation = fq_ticket_cache_get_generation (cache);
  FqTicketDetail *second = detail_new ("T1", 200, G_MAXINT64);
  gsize one;

  fq_ticket_cache_insert (cache, generation, detail_new ("T1", 100, G_MAXINT64));
  one = fq_ticket_cache_get_bytes (cache);
  second->ticket->rev = 2;
  fq_ticket_cache_insert (cache, generation, second);

  g_assert_cmpuint (fq_ticket_cache_get_length (cache), ==, 1);
  g_assert_cmpuint (fq_ticket_cache_get_bytes (cache), ==, one + 100);
  g_assert_cmpint (fq_ticket_cache_lookup (cache, "T1", 0)->ticket->rev, ==, 2);
  fq_ticket_cache_free (cache);
}

static void
test_sessions_until (void)
{
  FqTicketCache *cache = fq_ticket_cache_new (1024 * 1024);

  /* An action item falls overdue at 5000: until then the text holds. */
  fq_ticket_cache_insert (cache, fq_ticket_cache_get_generation (cache), detail_new ("T1", 100, 5000));
  g_assert_nonnull (fq_ticket_cache_lookup (cache, "T1", 4999));
  g_assert_null (fq_ticket_cache_lookup (cache, "T1", 5000));
  /* Dropped, not only hidden. */
  g_assert_cmpuint (fq_ticket_cache_get_length (cache), ==, 0);
  g_assert_null (fq_ticket_cache_lookup (cache, "T1", 4999));
  fq_ticket_cache_free (cache);
}

static void
test_budget (void)
{
  gsize one = one_detail_bytes ();
  FqTicketCache *cache;
  guint64 generation;

  /* Room for three. */
  cache = fq_ticket_cache_new (3 * one);
  generation = fq_ticket_cache_get_generation (cache);
  fq_ticket_cache_insert (cache, generation, detail_new ("T1", 1000, G_MAXINT64));
  fq_ticket_cache_insert (cache, generation, detail_new ("T2", 1000, G_MAXINT64));
  fq_ticket_cache_insert (cache, generation, detail_new ("T3", 1000, G_MAXINT64));
  g_assert_cmpuint (fq_ticket_cache_get_length (cache), ==, 3);

  /* T1 read again: T2 is now the least recently read, and goes. */
  g_assert_nonnull (fq_ticket_cache_lookup (cache, "T1", 0));
  fq_ticket_cache_insert (cache, generation, detail_new ("T4", 1000, G_MAXINT64));
  g_assert_cmpuint (fq_ticket_cache_get_length (cache), ==, 3);
  g_assert_cmpuint (fq_ticket_cache_get_bytes (cache), <=, 3 * one);
  g_assert_null (fq_ticket_cache_lookup (cache, "T2", 0));
  g_assert_nonnull (fq_ticket_cache_lookup (cache, "T1", 0));
  g_assert_nonnull (fq_ticket_cache_lookup (cache, "T3", 0));
  g_assert_nonnull (fq_ticket_cache_lookup (cache, "T4", 0));

  /* A detail over the whole budget is not kept, and drops nothing. */
  fq_ticket_cache_insert (cache, generation, detail_new ("T5", 4 * one, G_MAXINT64));
  g_assert_null (fq_ticket_cache_lookup (cache, "T5", 0));
  g_assert_cmpuint (fq_ticket_cache_get_length (cache), ==, 3);

  fq_ticket_cache_clear (cache);
  g_assert_cmpuint (fq_ticket_cache_get_length (cache), ==, 0);
  g_assert_cmpuint (fq_ticket_cache_get_bytes (cache), ==, 0);
  fq_ticket_cache_free (cache);
}

static void
test_reading (void)
{
  FqTicketCache *cache = fq_ticket_cache_new (1024 * 1024);
  int first, second;

  g_assert_null (fq_ticket_cache_get_reading (cache, "T1"));
  fq_ticket_cache_set_reading (cache, "T1", &first);
  g_assert_true (fq_ticket_cache_get_reading (cache, "T1") == &first);

  /* A write forgets the read under way: a request that comes after it
   * starts its own. The first read, ending, leaves the second's alone. */
  fq_ticket_cache_clear (cache);
  g_assert_null (fq_ticket_cache_get_reading (cache, "T1"));
  fq_ticket_cache_set_reading (cache, "T1", &second);
  fq_ticket_cache_unset_reading (cache, "T1", &first);
  g_assert_true (fq_ticket_cache_get_reading (cache, "T1") == &second);
  fq_ticket_cache_unset_reading (cache, "T1", &second);
  g_assert_null (fq_ticket_cache_get_reading (cache, "T1"));

  fq_ticket_cache_free (cache);
}

/* Keeps the ids of the details disposed of, in order, and frees them. */
static void
record_dispose (FqTicketDetail *detail,
                gpointer        data)
{
  GPtrArray *disposed = data;

  g_ptr_array_add (disposed, g_strdup (detail->ticket->id));
  fq_ticket_detail_free (detail);
}

static char *
join_ids (GPtrArray *ids)
{
  g_ptr_array_add (ids, NULL);
  return g_strjoinv (" ", (char **)ids->pdata);
}

#define assert_disposed(disposed, expected)                     \
  G_STMT_START                                                  \
  {                                                             \
    g_autofree char *ids_ = join_ids (disposed);                \
    g_assert_cmpstr (ids_, ==, expected);                       \
    g_ptr_array_set_size (disposed, 0);                         \
  }                                                             \
  G_STMT_END

static void
test_dispose (void)
{
  g_autoptr(GPtrArray) disposed = g_ptr_array_new_with_free_func (g_free);
  gsize one = one_detail_bytes ();
  FqTicketCache *cache;
  guint64 generation;

  /* The server gives the details back to the readers that allocated them
   * (fq-server.c): whichever way the cache lets go of one, it goes there. */
  cache = fq_ticket_cache_new (2 * one);
  fq_ticket_cache_set_dispose (cache, record_dispose, disposed);
  generation = fq_ticket_cache_get_generation (cache);

  fq_ticket_cache_insert (cache, generation, detail_new ("T1", 1000, G_MAXINT64));
  fq_ticket_cache_insert (cache, generation, detail_new ("T2", 1000, 5000));
  assert_disposed (disposed, "");

  /* Over the budget: the least recently read. */
  fq_ticket_cache_insert (cache, generation, detail_new ("T3", 1000, G_MAXINT64));
  assert_disposed (disposed, "T1");
  /* Replaced by a newer read of the same ticket. */
  fq_ticket_cache_insert (cache, generation, detail_new ("T3", 1000, G_MAXINT64));
  assert_disposed (disposed, "T3");
  /* Past its sessions' text. */
  g_assert_null (fq_ticket_cache_lookup (cache, "T2", 5000));
  assert_disposed (disposed, "T2");
  /* Alone over the budget. */
  fq_ticket_cache_insert (cache, generation, detail_new ("T4", 3 * one, G_MAXINT64));
  assert_disposed (disposed, "T4");
  /* Read before a write completed. */
  fq_ticket_cache_clear (cache);
  assert_disposed (disposed, "T3");
  fq_ticket_cache_insert (cache, generation, detail_new ("T5", 1000, G_MAXINT64));
  assert_disposed (disposed, "T5");
  /* Kept until the cache goes. */
  fq_ticket_cache_insert (cache, fq_ticket_cache_get_generation (cache),
                          detail_new ("T6", 1000, G_MAXINT64));
  assert_disposed (disposed, "");
  fq_ticket_cache_free (cache);
  assert_disposed (disposed, "T6");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/ticket-cache/generation", test_generation);
  g_test_add_func ("/server/ticket-cache/dispose", test_dispose);
  g_test_add_func ("/server/ticket-cache/replace", test_replace);
  g_test_add_func ("/server/ticket-cache/sessions-until", test_sessions_until);
  g_test_add_func ("/server/ticket-cache/budget", test_budget);
  g_test_add_func ("/server/ticket-cache/reading", test_reading);

  return g_test_run ();
}
