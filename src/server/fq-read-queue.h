/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The queue between the main thread and the reader threads.
 *
 * One reader, the lead, takes every read as soon as it is free. The others
 * are helpers: they take a read only when the lead has been busy for
 * @help_after microseconds, or when the oldest read has waited that long.
 * A slow read (a long list, a report) therefore never holds the point reads
 * behind it for more than about @help_after, while under steady load one
 * thread does the work and the others stay asleep.
 *
 * Why not a GAsyncQueue shared by all readers: each push then wakes a
 * sleeping reader, so under load every read costs a futex wake-up and a
 * context switch, and the readers take the cores from the main thread,
 * which is the server's bottleneck. With one lead, a push while the lead
 * is busy wakes no thread, unless the helpers have gone to sleep after a
 * quiet spell.
 *
 * A helper that finds nothing to do checks again every @help_after for a
 * short grace period, then sleeps until a push wakes it: an idle server
 * makes no wake-ups.
 */

typedef struct _FqReadQueue FqReadQueue;

FqReadQueue *fq_read_queue_new   (gint64       help_after);
/* The queue must be closed and drained, its threads joined. */
void         fq_read_queue_free  (FqReadQueue *queue);
/* Any thread. @item must not be NULL. */
void         fq_read_queue_push  (FqReadQueue *queue,
                                  gpointer     item);
/* Waits for the next item as the lead or as a helper. Returns NULL once
 * the queue is closed and empty: the reader should then end. */
gpointer     fq_read_queue_pop   (FqReadQueue *queue,
                                  gboolean     lead);
/* Any thread. Readers take what is left, helpers at once, then end. */
void         fq_read_queue_close (FqReadQueue *queue);

G_END_DECLS
