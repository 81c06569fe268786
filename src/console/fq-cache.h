/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * FqCache: the console's local SQLite copy of what the server has sent
 * through /changes and /events, plus the outbox of writes not yet sent.
 *
 * The database lives in g_get_user_cache_dir()/fengqiao/<host-port>-<user>.db
 * (fq_cache_build_path()). Every SQLite call runs on one worker thread fed by
 * a GAsyncQueue; results come back to the thread-default main context of the
 * thread that created the cache (Epiphany's history service). Nothing in
 * this API blocks the caller, except fq_cache_close().
 *
 * Each record is kept with its JSON as it came from the server, so that a
 * detail view gets the full object with fq_cache_get_record_async() and
 * turns it into a model object (fq_incident_new_from_json (), …).
 */

#define FQ_TYPE_CACHE (fq_cache_get_type ())

G_DECLARE_FINAL_TYPE (FqCache, fq_cache, FQ, CACHE, GObject)

/* The default path of the cache of @username on the server @server_id
 * (fq_client_get_server_id ()). (transfer full) */
char        *fq_cache_build_path             (const char           *server_id,
                                              const char           *username);

/* Does not touch the disk: call fq_cache_open_async(). */
FqCache     *fq_cache_new                    (const char           *path);

const char  *fq_cache_get_path               (FqCache              *self);

/* Opens (creating the directory and the schema when needed) the database.
 * A file that is corrupt, not SQLite, or not a cache of this program is
 * deleted and recreated empty (then fq_cache_get_recreated() is TRUE).
 * A cache of an older schema version is migrated or recreated. */
void         fq_cache_open_async             (FqCache              *self,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
gboolean     fq_cache_open_finish            (FqCache              *self,
                                              GAsyncResult         *result,
                                              GError              **error);

gboolean     fq_cache_get_is_open            (FqCache              *self);
/* TRUE if the last open found a damaged or foreign file and replaced it. */
gboolean     fq_cache_get_recreated          (FqCache              *self);

/* Property "last-seq": the seq of the last change stored (0 if none).
 * Updated on the caller's thread when a batch has been committed. */
gint64       fq_cache_get_last_seq           (FqCache              *self);

/* Stores a batch of changes (a JsonArray of the API's change objects,
 * in seq order; (transfer full): the caller must hold no other reference to
 * it or to anything in it, because the worker thread reads and frees it and
 * json-glib's reference counts are not atomic) in ONE transaction, and moves last-seq to @last_seq (or to
 * the highest seq of the batch if @last_seq is 0). When committed, the
 * "records-changed" signal is emitted once for the batch (the data layer's
 * list models update themselves from it), then finish is called. */
/* TRUE while the changes applied fill an empty cache (the first start, or
 * after a reset) rather than bring what happened since the last change it
 * holds: their batches say so (FqCacheBatch's filling), and the board does
 * not show the rows they bring as arrivals. Set by FqSync. */
void         fq_cache_set_filling            (FqCache              *self,
                                              gboolean              filling);

void         fq_cache_apply_changes_async    (FqCache              *self,
                                              JsonArray            *changes,
                                              gint64                last_seq,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
/* The same for a page of /changes: @page is the text @changes was parsed
 * from (the array "changes" of its root object), whose changes' data are
 * stored as they stand in it. */
void         fq_cache_apply_page_async       (FqCache              *self,
                                              JsonArray            *changes,
                                              GBytes               *page,
                                              gint64                last_seq,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
gboolean     fq_cache_apply_changes_finish   (FqCache              *self,
                                              GAsyncResult         *result,
                                              GError              **error);

/* The stored JSON of one record. @entity: "incident", "ticket", "session",
 * "event", "grid", "category" or "unit". Finish: (transfer full), or NULL
 * with G_IO_ERROR_NOT_FOUND. */
void         fq_cache_get_record_async       (FqCache              *self,
                                              const char           *entity,
                                              const char           *id,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
JsonObject  *fq_cache_get_record_finish      (FqCache              *self,
                                              GAsyncResult         *result,
                                              GError              **error);

/* All records of an entity kind (for reference data: "grid", "category",
 * "unit"; also usable for "session"), or the timeline events of one ticket
 * when @entity is "event" and @ticket_id is given (oldest first).
 * Finish: (transfer full) (element-type JsonObject). */
void         fq_cache_list_records_async     (FqCache              *self,
                                              const char           *entity,
                                              const char           *ticket_id,
                                              GCancellable         *cancellable,
                                              GAsyncReadyCallback   callback,
                                              gpointer              user_data);
GPtrArray   *fq_cache_list_records_finish    (FqCache              *self,
                                              GAsyncResult         *result,
                                              GError              **error);

/* Stops the worker after the queued work is done and closes the database.
 * Blocks until then; called from dispose too. */
void         fq_cache_close                  (FqCache              *self);

/* Signals:
 * "records-changed" (gpointer batch): after each committed batch; the
 *   argument is data-layer private (fq-cache-private.h).
 * "closing" (void): fq_cache_close() is about to wait for the worker; the
 *   models cancel their long reads.
 * "record-changed::ENTITY" (const char *entity, const char *id): once per
 *   changed record of the batch, with the entity as detail, so a detail
 *   view connects to "record-changed::ticket" and reloads when its id
 *   matches. */

G_END_DECLS
