/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "fq-cache.h"
#include "fq-client.h"
#include "fq-sync.h"

G_BEGIN_DECLS

/*
 * FqOutbox: every write of the console goes here first. A write is stored in
 * the cache with a fresh Idempotency-Key (a UUID) and is "pending" at once;
 * it is sent when online, in the order written, and replayed in that order
 * after a reconnection with the same key, so the server applies it exactly
 * once. The pending mark of an entity clears when the server's change for
 * the write has come back through the sync (not merely the HTTP answer), so
 * the board never shows an older state after the badge went away.
 *
 * A write the server refuses because the object moved on (stale_rev,
 * invalid_transition) emits "conflict" with the server's current object; any
 * other refusal emits "failed". Both drop the write from the queue.
 */

#define FQ_TYPE_OUTBOX (fq_outbox_get_type ())

G_DECLARE_FINAL_TYPE (FqOutbox, fq_outbox, FQ, OUTBOX, GObject)

FqOutbox    *fq_outbox_new                 (FqClient             *client,
                                            FqCache              *cache,
                                            FqSync               *sync);

/* Loads the writes left in the cache by an earlier run (they are sent as
 * soon as the sync is ONLINE). Call once after the cache is open. */
void         fq_outbox_load_async          (FqOutbox             *self,
                                            GCancellable         *cancellable,
                                            GAsyncReadyCallback   callback,
                                            gpointer              user_data);
gboolean     fq_outbox_load_finish         (FqOutbox             *self,
                                            GAsyncResult         *result,
                                            GError              **error);

/* Queues a write. @entity/@entity_id name the record it changes ("incident",
 * id) and get the pending mark; @entity_id is NULL for a new incident.
 * @label is a short human description for an outbox view ("Triage of …").
 * Returns the idempotency key (transfer full). The write is stored in the
 * cache before anything is sent. */
char        *fq_outbox_submit              (FqOutbox             *self,
                                            const char           *method,
                                            const char           *path,
                                            JsonObject           *body,
                                            const char           *entity,
                                            const char           *entity_id,
                                            const char           *label);

/* Conveniences over fq_outbox_submit() for the three writes of the console.
 * @body is the API's request body (API.md). */
char        *fq_outbox_create_incident     (FqOutbox             *self,
                                            JsonObject           *body);
char        *fq_outbox_triage              (FqOutbox             *self,
                                            const char           *incident_id,
                                            JsonObject           *body);
char        *fq_outbox_ticket_action       (FqOutbox             *self,
                                            const char           *ticket_id,
                                            JsonObject           *body);

/* Property "n-pending": writes not yet confirmed by the change feed. */
guint        fq_outbox_get_n_pending       (FqOutbox             *self);
/* TRUE while a write on @entity_id is pending (a "pending" badge on a row). */
gboolean     fq_outbox_is_pending          (FqOutbox             *self,
                                            const char           *entity_id);
/* Drops a queued write that has not been sent yet (the user gave up on it
 * after a conflict or while offline). FALSE if it is unknown or in flight. */
gboolean     fq_outbox_discard             (FqOutbox             *self,
                                            const char           *key);

/* Signals:
 * "pending-changed" (const char *entity, const char *entity_id): the pending
 *   mark of @entity_id was set or cleared (entity_id NULL for a new incident).
 * "sent" (const char *key, JsonNode *answer): the server accepted the write.
 * "conflict" (const char *key, const char *entity, const char *entity_id,
 *   JsonObject *current, JsonObject *error_object, GError *error):
 *   stale_rev or invalid_transition; @current (nullable) is the server's
 *   object now, fetched after the refusal; @error_object is the API's error
 *   object (with `allowed` for invalid_transition). The view shows @current
 *   and offers to redo the action.
 * "failed" (const char *key, const char *entity, const char *entity_id,
 *   GError *error): any other refusal (the write is dropped).
 */

G_END_DECLS
