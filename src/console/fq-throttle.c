/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Data"

#include "config.h"

#include "fq-throttle.h"

/* How many times the last run's duration a scheduled run waits, and the
 * longest wait. */
#define FQ_THROTTLE_FACTOR  4
#define FQ_THROTTLE_MAX_MS  60000

void
fq_throttle_init (FqThrottle     *self,
                  const char     *name,
                  FqThrottleFunc  func,
                  gpointer        user_data)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (func != NULL);

  self->name = name;
  self->func = func;
  self->user_data = user_data;
  self->source_id = 0;
  self->cost = 0;
}

void
fq_throttle_run_now (FqThrottle *self)
{
  gint64 start;

  g_return_if_fail (self != NULL && self->func != NULL);

  g_clear_handle_id (&self->source_id, g_source_remove);
  start = g_get_monotonic_time ();
  self->func (self->user_data);
  self->cost = g_get_monotonic_time () - start;
  g_debug ("%s took %.1f ms", self->name, self->cost / 1000.0);
}

static gboolean
throttle_cb (gpointer data)
{
  FqThrottle *self = data;

  self->source_id = 0;
  fq_throttle_run_now (self);
  return G_SOURCE_REMOVE;
}

void
fq_throttle_schedule (FqThrottle *self)
{
  guint delay_ms;

  g_return_if_fail (self != NULL && self->func != NULL);

  if (self->source_id != 0)
    return;
  delay_ms = (guint)MIN (FQ_THROTTLE_FACTOR * self->cost / 1000, FQ_THROTTLE_MAX_MS);
  self->source_id = g_timeout_add (delay_ms, throttle_cb, self);
  g_source_set_static_name (g_main_context_find_source_by_id (NULL, self->source_id),
                            self->name);
}

void
fq_throttle_clear (FqThrottle *self)
{
  g_return_if_fail (self != NULL);

  g_clear_handle_id (&self->source_id, g_source_remove);
}
