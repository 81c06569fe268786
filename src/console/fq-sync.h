/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "fq-cache.h"
#include "fq-client.h"

G_BEGIN_DECLS

/*
 * FqSync keeps the cache in step with the server: it first checks that the
 * cache holds this server's data (GET /health's epoch), then pages through
 * GET /changes?since=SEQ (limit 1000) until `more` is false, then listens on
 * the WebSocket /events; a gap in seq starts a catch-up again, and a feed
 * that stays silent while /changes has something new for it is connected
 * again. When the server cannot be reached it retries with exponential
 * backoff (1 s, 2 s, …, 30 s, with ±20 % jitter).
 */

typedef enum
{
  FQ_SYNC_STATE_OFFLINE,
  FQ_SYNC_STATE_CONNECTING,
  FQ_SYNC_STATE_ONLINE,
} FqSyncState;

GType fq_sync_state_get_type (void) G_GNUC_CONST;
#define FQ_TYPE_SYNC_STATE (fq_sync_state_get_type ())

#define FQ_TYPE_SYNC (fq_sync_get_type ())

G_DECLARE_FINAL_TYPE (FqSync, fq_sync, FQ, SYNC, GObject)

/* The cache must be open before fq_sync_start(). */
FqSync      *fq_sync_new                 (FqClient    *client,
                                          FqCache     *cache);

/* Begins: catch-up, then live events. Idempotent. */
void         fq_sync_start               (FqSync      *self);
/* Closes the WebSocket, cancels pending requests and retries; state becomes
 * OFFLINE. */
void         fq_sync_stop                (FqSync      *self);
/* Skips the current backoff wait and connects now ("Retry" button, or the
 * network monitor saying the network is back). */
void         fq_sync_reconnect_now       (FqSync      *self);
/* How long the live feed may say nothing before it is checked against
 * /changes (30 s unless set; a test sets less). A feed found to have
 * missed a change is connected again. Takes effect at the next socket. */
void         fq_sync_set_quiet_check     (FqSync      *self,
                                          guint        interval_ms);

/* Property "state" (FqSyncState). ONLINE means caught up and listening. */
FqSyncState  fq_sync_get_state           (FqSync      *self);
/* Property "offline-since": g_get_real_time() (µs) when the connection was
 * last lost, 0 while online or before the first attempt. */
gint64       fq_sync_get_offline_since   (FqSync      *self);
/* Property "last-seq": the last seq applied to the cache. */
gint64       fq_sync_get_last_seq        (FqSync      *self);
/* Property "catching-up": TRUE while paging through /changes. */
gboolean     fq_sync_get_catching_up     (FqSync      *self);
/* Property "filling": TRUE while the catch-up fills an empty cache (the
 * first start, or after the cache was rebuilt): the lists are not whole
 * yet. */
gboolean     fq_sync_get_filling         (FqSync      *self);
/* Property "progress": how much of the current catch-up the cache holds,
 * from 0 to 1, counted in the server's seq from where the catch-up began
 * to the server's last seq as last heard (which moves on as the server
 * does). 1 when not catching up; -1 while it cannot tell (the server's
 * last seq not heard yet, or nothing left that it knows of). */
double       fq_sync_get_progress        (FqSync      *self);

/* Seconds until the next reconnection attempt (0 if none is scheduled),
 * for "Reconnecting in 8 s". */
guint        fq_sync_get_retry_in        (FqSync      *self);

/* Signals:
 * "caught-up" (void): each time a catch-up reached `more: false`.
 * "error" (const GError *error): a sync failure worth telling the user
 *   about (not the expected "server unreachable" while offline).
 * "cache-reset" (void): the cache held another server's data, or data the
 *   server no longer has (its epoch in GET /health differs, or the cache is
 *   ahead of it: a reset or a restored backup); it has been emptied and is
 *   being filled again from the server.
 */

G_END_DECLS
