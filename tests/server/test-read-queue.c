/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The reader threads' queue (src/server/fq-read-queue.c): the lead takes
 * reads in order, a helper takes them only when the lead is held up, and
 * closing hands out what is left before the readers end.
 */
#include "config.h"

#include <glib.h>

#include "fq-read-queue.h"

/* Long enough that a helper never steps in while the lead is free. */
#define NEVER_HELP (60 * G_TIME_SPAN_SECOND)

typedef struct
{
  FqReadQueue *queue;
  gboolean     lead;
  GMutex       lock;
  GCond        cond;
  GPtrArray   *taken;      /* items in the order this reader took them */
  gpointer     hold;       /* the reader stops on this item until released */
  gboolean     holding;
  gboolean     released;
} Reader;

static gpointer
reader_run (gpointer data)
{
  Reader *reader = data;
  gpointer item;

  while ((item = fq_read_queue_pop (reader->queue, reader->lead)) != NULL)
    {
      g_mutex_lock (&reader->lock);
      g_ptr_array_add (reader->taken, item);
      if (item == reader->hold)
        {
          reader->holding = TRUE;
          g_cond_broadcast (&reader->cond);
          while (!reader->released)
            g_cond_wait (&reader->cond, &reader->lock);
          reader->holding = FALSE;
        }
      g_cond_broadcast (&reader->cond);
      g_mutex_unlock (&reader->lock);
    }
  return NULL;
}

static GThread *
reader_start (Reader      *reader,
              FqReadQueue *queue,
              gboolean     lead,
              gpointer     hold)
{
  g_mutex_init (&reader->lock);
  g_cond_init (&reader->cond);
  reader->queue = queue;
  reader->lead = lead;
  reader->hold = hold;
  reader->taken = g_ptr_array_new ();
  return g_thread_new (lead ? "test-lead" : "test-helper", reader_run, reader);
}

static void
reader_clear (Reader *reader)
{
  g_ptr_array_unref (reader->taken);
  g_cond_clear (&reader->cond);
  g_mutex_clear (&reader->lock);
}

/* Waits until @reader has taken @n items; fails after ten seconds. A held
 * item is added and marked held under one lock: once it is taken, the
 * reader is holding it. */
static void
wait_taken (Reader *reader,
            guint   n)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  g_mutex_lock (&reader->lock);
  while (reader->taken->len < n)
    {
      if (!g_cond_wait_until (&reader->cond, &reader->lock, deadline))
        break;
    }
  g_assert_cmpuint (reader->taken->len, >=, n);
  g_mutex_unlock (&reader->lock);
}

static void
release (Reader *reader)
{
  g_mutex_lock (&reader->lock);
  reader->released = TRUE;
  g_cond_broadcast (&reader->cond);
  g_mutex_unlock (&reader->lock);
}

#define ITEM(n) GUINT_TO_POINTER ((n) + 1)

static void
test_lead_in_order (void)
{
  FqReadQueue *queue = fq_read_queue_new (NEVER_HELP);
  Reader lead = { 0 }, helper = { 0 };
  GThread *lead_thread = reader_start (&lead, queue, TRUE, NULL);
  GThread *helper_thread = reader_start (&helper, queue, FALSE, NULL);

  for (guint i = 0; i < 1000; i++)
    fq_read_queue_push (queue, ITEM (i));
  wait_taken (&lead, 1000);
  fq_read_queue_close (queue);
  g_thread_join (lead_thread);
  g_thread_join (helper_thread);

  /* Every read, once, in the order queued, all by the lead: the helper
   * had no reason to step in. */
  g_assert_cmpuint (lead.taken->len, ==, 1000);
  for (guint i = 0; i < 1000; i++)
    g_assert_true (g_ptr_array_index (lead.taken, i) == ITEM (i));
  g_assert_cmpuint (helper.taken->len, ==, 0);

  reader_clear (&lead);
  reader_clear (&helper);
  fq_read_queue_free (queue);
}

static void
test_helper_steps_in (void)
{
  FqReadQueue *queue = fq_read_queue_new (2 * G_TIME_SPAN_MILLISECOND);
  Reader lead = { 0 }, helper = { 0 };
  GThread *lead_thread = reader_start (&lead, queue, TRUE, ITEM (0));
  GThread *helper_thread;
  guint seen[5] = { 0 };

  /* The lead is held on a long read (the helper starts only then: a slow
   * start of the lead's thread would otherwise count as being held up). */
  fq_read_queue_push (queue, ITEM (0));
  wait_taken (&lead, 1);
  helper_thread = reader_start (&helper, queue, FALSE, NULL);

  /* The reads queued behind it are taken by the helper, in order, while
   * the lead is still held. */
  for (guint i = 1; i <= 3; i++)
    fq_read_queue_push (queue, ITEM (i));
  wait_taken (&helper, 3);

  g_mutex_lock (&lead.lock);
  g_assert_true (lead.holding);
  g_assert_cmpuint (lead.taken->len, ==, 1);
  g_mutex_unlock (&lead.lock);
  for (guint i = 1; i <= 3; i++)
    g_assert_true (g_ptr_array_index (helper.taken, i - 1) == ITEM (i));

  /* Free again; one more read, then close: each read taken exactly once. */
  release (&lead);
  fq_read_queue_push (queue, ITEM (4));
  fq_read_queue_close (queue);
  g_thread_join (lead_thread);
  g_thread_join (helper_thread);
  for (guint i = 0; i < lead.taken->len; i++)
    seen[GPOINTER_TO_UINT (g_ptr_array_index (lead.taken, i)) - 1]++;
  for (guint i = 0; i < helper.taken->len; i++)
    seen[GPOINTER_TO_UINT (g_ptr_array_index (helper.taken, i)) - 1]++;
  for (guint i = 0; i < G_N_ELEMENTS (seen); i++)
    g_assert_cmpuint (seen[i], ==, 1);

  reader_clear (&lead);
  reader_clear (&helper);
  fq_read_queue_free (queue);
}

static void
test_close_drains (void)
{
  FqReadQueue *queue = fq_read_queue_new (NEVER_HELP);
  Reader lead = { 0 }, helper = { 0 };
  GThread *lead_thread = reader_start (&lead, queue, TRUE, ITEM (0));
  GThread *helper_thread;

  fq_read_queue_push (queue, ITEM (0));
  wait_taken (&lead, 1);
  fq_read_queue_push (queue, ITEM (1));
  fq_read_queue_push (queue, ITEM (2));

  /* Closing: the helper takes what is left at once, though the lead is
   * busy for less than NEVER_HELP, and then ends. */
  helper_thread = reader_start (&helper, queue, FALSE, NULL);
  fq_read_queue_close (queue);
  g_thread_join (helper_thread);
  g_assert_cmpuint (helper.taken->len, ==, 2);
  g_assert_true (g_ptr_array_index (helper.taken, 0) == ITEM (1));
  g_assert_true (g_ptr_array_index (helper.taken, 1) == ITEM (2));

  release (&lead);
  g_thread_join (lead_thread);
  g_assert_cmpuint (lead.taken->len, ==, 1);

  reader_clear (&lead);
  reader_clear (&helper);
  fq_read_queue_free (queue);
}

static void
test_idle_helper_wakes (void)
{
  FqReadQueue *queue = fq_read_queue_new (2 * G_TIME_SPAN_MILLISECOND);
  Reader lead = { 0 }, helper = { 0 };
  GThread *helper_thread = reader_start (&helper, queue, FALSE, NULL);
  GThread *lead_thread;

  /* With no lead running, a queued read is still taken by the helper:
   * the push wakes it from its sleep, or its check finds the read. */
  g_usleep (300 * G_TIME_SPAN_MILLISECOND);   /* past its grace period */
  fq_read_queue_push (queue, ITEM (0));
  wait_taken (&helper, 1);

  lead_thread = reader_start (&lead, queue, TRUE, NULL);
  fq_read_queue_close (queue);
  g_thread_join (helper_thread);
  g_thread_join (lead_thread);
  g_assert_cmpuint (helper.taken->len, ==, 1);
  g_assert_cmpuint (lead.taken->len, ==, 0);

  reader_clear (&lead);
  reader_clear (&helper);
  fq_read_queue_free (queue);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/read-queue/lead-in-order", test_lead_in_order);
  g_test_add_func ("/read-queue/helper-steps-in", test_helper_steps_in);
  g_test_add_func ("/read-queue/close-drains", test_close_drains);
  g_test_add_func ("/read-queue/idle-helper-wakes", test_idle_helper_wakes);

  return g_test_run ();
}
