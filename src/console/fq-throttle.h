/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * FqThrottle: work on the main thread that walks all of the reference data
 * after the cache changed it, where a change cannot be applied row by row
 * (the grid tree when a node left or moved, fq-grid-model.c). A city's
 * grid has 1,104 nodes and the walk takes a millisecond; a user scoped to
 * the whole country has 665,272, and the walk takes seconds.
 *
 * So the batches that need it share one run, which waits four times as
 * long as the last run took (at most a minute): the work takes at most a
 * fifth of the main thread however large the data is, and small data is
 * handled at once.
 */

typedef void (*FqThrottleFunc) (gpointer user_data);

typedef struct
{
  /*< private >*/
  const char     *name;
  FqThrottleFunc  func;
  gpointer        user_data;
  guint           source_id;
  gint64          cost;       /* µs the last run took */
} FqThrottle;

void fq_throttle_init     (FqThrottle     *self,
                           const char     *name,
                           FqThrottleFunc  func,
                           gpointer        user_data);
/* Runs the work now (a run that was scheduled is then not needed). */
void fq_throttle_run_now  (FqThrottle     *self);
/* Runs the work later, once for every call until it has run. */
void fq_throttle_schedule (FqThrottle     *self);
/* Forgets a scheduled run. */
void fq_throttle_clear    (FqThrottle     *self);

G_END_DECLS
