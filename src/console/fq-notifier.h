/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "fq-context.h"

G_BEGIN_DECLS

/*
 * FqNotifier: desktop notifications (GNotification through the
 * GApplication) for what a person should not miss while looking elsewhere:
 * a ticket of their unit (unit staff) or in their scope (coordinators)
 * missing its deadline, and a ticket dispatched, redispatched or escalated
 * to their unit. It follows the cache's timeline events as they arrive
 * live; what a catch-up brings (the first sync, a reconnection) is history
 * and notifies nothing.
 */

#define FQ_TYPE_NOTIFIER (fq_notifier_get_type ())

G_DECLARE_FINAL_TYPE (FqNotifier, fq_notifier, FQ, NOTIFIER, GObject)

/* @context must be started (cache and sync exist). The notifier keeps
 * references to both. */
FqNotifier *fq_notifier_new           (GApplication *app,
                                       FqContext    *context);

/* Property "n-sent": notifications sent so far (tests). */
guint       fq_notifier_get_n_sent    (FqNotifier   *self);

/* Signals: "notified" (const char *id, GNotification *notification): one
 * was sent, with its id ("fq-ticket-T…-overdue"); tests listen to it. */

/* Which kind of notification a timeline event calls for, for a user of
 * @role with unit @unit (nullable): 0 none, else one of these. Pure, for
 * tests. */
typedef enum
{
  FQ_NOTIFY_NONE       = 0,
  FQ_NOTIFY_OVERDUE    = 1,
  FQ_NOTIFY_DISPATCHED = 2,
} FqNotifyKind;

FqNotifyKind fq_notifier_classify     (JsonObject   *event,
                                       FqRole        role,
                                       const char   *unit);

G_END_DECLS
