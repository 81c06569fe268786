/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "fq-read-queue.h"

/* How long a helper goes on checking after it last saw work. */
#define IDLE_GRACE (100 * G_TIME_SPAN_MILLISECOND)

typedef struct
{
  gpointer item;
  gint64   queued_at;
} Entry;

struct _FqReadQueue
{
  GMutex  lock;
  GCond   lead_cond;
  GCond   helper_cond;
  GQueue  entries;          /* Entry, oldest first */
  gint64  help_after;
  gint64  lead_busy_since;  /* 0: the lead is between items */
  gint64  last_work;        /* when a helper last saw an item queued */
  guint   helpers_asleep;   /* helpers waiting without a deadline */
  guint   lead_waiting : 1;
  guint   closed : 1;
};

FqReadQueue *
fq_read_queue_new (gint64 help_after)
{
  FqReadQueue *queue;

  g_return_val_if_fail (help_after > 0, NULL);

  queue = g_new0 (FqReadQueue, 1);
  g_mutex_init (&queue->lock);
  g_cond_init (&queue->lead_cond);
  g_cond_init (&queue->helper_cond);
  g_queue_init (&queue->entries);
  queue->help_after = help_after;
  return queue;
}

void
fq_read_queue_free (FqReadQueue *queue)
{
  if (queue == NULL)
    return;

  g_warn_if_fail (g_queue_is_empty (&queue->entries));
  g_queue_clear_full (&queue->entries, g_free);
  g_cond_clear (&queue->helper_cond);
  g_cond_clear (&queue->lead_cond);
  g_mutex_clear (&queue->lock);
  g_free (queue);
}

void
fq_read_queue_push (FqReadQueue *queue,
                    gpointer     item)
{
  Entry *entry;
  gboolean wake_lead = FALSE, wake_helpers = FALSE;

  g_return_if_fail (item != NULL);

  entry = g_new (Entry, 1);
  entry->item = item;
  entry->queued_at = g_get_monotonic_time ();

  g_mutex_lock (&queue->lock);
  g_queue_push_tail (&queue->entries, entry);
  if (queue->lead_waiting)
    {
      /* Once: a second push before the lead runs needs no second wake. */
      queue->lead_waiting = FALSE;
      wake_lead = TRUE;
    }
  else if (queue->helpers_asleep > 0)
    {
      /* The lead is busy, perhaps for long: the helpers start watching. */
      queue->helpers_asleep = 0;
      wake_helpers = TRUE;
    }
  g_mutex_unlock (&queue->lock);

  /* Woken once the lock is free: woken while this thread held it, the
   * reader went straight back to sleep on the lock, and the unlock had to
   * wake it again (two futex calls per read instead of one, strace). A
   * waiter seen under the lock is in g_cond_wait() by now, so the wake is
   * not lost; at worst it finds the queue empty and waits again. */
  if (wake_lead)
    g_cond_signal (&queue->lead_cond);
  else if (wake_helpers)
    g_cond_broadcast (&queue->helper_cond);
}

static gpointer
take_head (FqReadQueue *queue)
{
  Entry *entry = g_queue_pop_head (&queue->entries);
  gpointer item = entry->item;

  g_free (entry);
  return item;
}

static gpointer
pop_lead (FqReadQueue *queue)
{
  queue->lead_busy_since = 0;
  while (g_queue_is_empty (&queue->entries))
    {
      if (queue->closed)
        return NULL;
      queue->lead_waiting = TRUE;
      g_cond_wait (&queue->lead_cond, &queue->lock);
    }
  queue->lead_waiting = FALSE;
  queue->lead_busy_since = g_get_monotonic_time ();
  return take_head (queue);
}

static gpointer
pop_helper (FqReadQueue *queue)
{
  for (;;)
    {
      Entry *head = g_queue_peek_head (&queue->entries);
      gint64 now = g_get_monotonic_time ();
      gint64 deadline;

      if (head == NULL)
        {
          if (queue->closed)
            return NULL;
          if (now - queue->last_work < IDLE_GRACE)
            {
              g_cond_wait_until (&queue->helper_cond, &queue->lock, now + queue->help_after);
            }
          else
            {
              queue->helpers_asleep++;
              g_cond_wait (&queue->helper_cond, &queue->lock);
              queue->last_work = g_get_monotonic_time ();
            }
          continue;
        }

      queue->last_work = now;
      /* Help when the oldest read has waited long enough, or when the lead
       * is in a read that has taken that long: it may take much longer. */
      deadline = head->queued_at + queue->help_after;
      if (queue->lead_busy_since != 0)
        deadline = MIN (deadline, queue->lead_busy_since + queue->help_after);
      if (queue->closed || now >= deadline)
        return take_head (queue);
      g_cond_wait_until (&queue->helper_cond, &queue->lock, deadline);
    }
}

gpointer
fq_read_queue_pop (FqReadQueue *queue,
                   gboolean     lead)
{
  gpointer item;

  g_mutex_lock (&queue->lock);
  item = lead ? pop_lead (queue) : pop_helper (queue);
  g_mutex_unlock (&queue->lock);
  return item;
}

void
fq_read_queue_close (FqReadQueue *queue)
{
  g_mutex_lock (&queue->lock);
  queue->closed = TRUE;
  queue->lead_waiting = FALSE;
  queue->helpers_asleep = 0;
  g_cond_broadcast (&queue->lead_cond);
  g_cond_broadcast (&queue->helper_cond);
  g_mutex_unlock (&queue->lock);
}
