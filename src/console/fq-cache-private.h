/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>

#include "fq-cache.h"

G_BEGIN_DECLS

/*
 * What the data layer's own classes (sync, outbox, list models) share with
 * the cache and views do not need: the decoded records of a batch, the
 * generic worker job, the outbox table and the reference-data index.
 */

/* An incident as the board needs it; built on the cache's worker. */
typedef struct
{
  char    *id;
  char    *grid;
  char    *category;     /* NULL if none */
  char    *summary;
  char    *address;
  char    *caller_name;
  char    *caller_phone;
  char    *ticket;       /* NULL if none */
  char    *repeat_of;    /* NULL if none */
  gint64   received_at;
  gint64   rev;
  gint8    source;
  gint8    status;
  gint8    decision;     /* -1: none */
  gboolean deleted;
} FqIncidentRec;

typedef struct
{
  char    *id;
  char    *title;
  char    *category;
  char    *grid;
  char    *lead_unit;
  char    *assisting;    /* unit ids separated by spaces, "" if none */
  gint64   created_at;
  gint64   dispatched_at;
  gint64   accepted_at;
  gint64   resolved_at;
  gint64   deadline;
  gint64   rev;
  guint    repeat_count;
  guint    returned_count;   /* backflow counts */
  guint    rejected_count;
  guint    reopened_count;
  gint8    state;
  gint8    tier;
  gboolean overdue;
  gboolean deleted;
} FqTicketRec;

typedef struct
{
  char       *entity;
  char       *id;
  JsonObject *data;      /* NULL for a delete */
} FqChangeRef;

typedef struct
{
  gatomicrefcount  ref_count;
  gint64           first_seq;
  gint64           last_seq;
  GPtrArray       *incidents;  /* FqIncidentRec */
  GPtrArray       *tickets;    /* FqTicketRec */
  GPtrArray       *others;     /* FqChangeRef: everything else, and all of them
                                * for "record-changed" */
  gboolean         ref_changed; /* grid, category or unit records changed */
  gboolean         filling;     /* applied while filling an empty cache */
} FqCacheBatch;

FqCacheBatch  *fq_cache_batch_ref          (FqCacheBatch *batch);
void           fq_cache_batch_unref        (FqCacheBatch *batch);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FqCacheBatch, fq_cache_batch_unref)

void           fq_incident_rec_free        (FqIncidentRec *rec);
void           fq_ticket_rec_free          (FqTicketRec   *rec);
/* Decoding of the API's objects, shared by the cache and the tests. */
FqIncidentRec *fq_incident_rec_from_json   (JsonObject    *obj);
FqTicketRec   *fq_ticket_rec_from_json     (JsonObject    *obj);

/* "2026-11-29T08:00:00Z" and any RFC 3339 offset → Unix seconds; 0 if not. */
gint64         fq_cache_parse_time         (const char    *text);

/* A job run on the cache's worker thread with the open database. Returns a
 * result handed to the finish function, or NULL with @error set. */
typedef gpointer (*FqCacheJobFunc) (sqlite3       *db,
                                    gpointer       data,
                                    GCancellable  *cancellable,
                                    GError       **error);

void           fq_cache_run_async          (FqCache             *self,
                                            FqCacheJobFunc       func,
                                            gpointer             data,
                                            GDestroyNotify       data_destroy,
                                            GDestroyNotify       result_destroy,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gpointer       fq_cache_run_finish         (FqCache             *self,
                                            GAsyncResult        *result,
                                            GError             **error);

/* Empties the cache, except its outbox, in one transaction and stores
 * @server_epoch (meta "server_epoch") in it: for a server whose data is not
 * the data the cache was filled from (another server, a reset, a restored
 * backup). Finished like a batch of changes: "records-changed" deletes every
 * row from the models, and last-seq goes back to 0. */
void           fq_cache_reset_async        (FqCache             *self,
                                            const char          *server_epoch,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean       fq_cache_reset_finish       (FqCache             *self,
                                            GAsyncResult        *result,
                                            GError             **error);

/* Reference data, kept in memory on the main thread from open on and updated
 * with every batch: (transfer none) (nullable). @entity is "grid",
 * "category" or "unit". */
JsonObject    *fq_cache_lookup_ref         (FqCache             *self,
                                            const char          *entity,
                                            const char          *id);
/* (transfer none): id → JsonObject. */
GHashTable    *fq_cache_get_ref_table      (FqCache             *self,
                                            const char          *entity);
/* The "name" of a record of reference data: "" for a NULL or empty @id,
 * @id itself for a record not known or without a name. */
const char    *fq_cache_lookup_ref_name    (FqCache             *self,
                                            const char          *entity,
                                            const char          *id);
/* (transfer full): the ids of the records of @entity whose "group" is
 * @group, NULL-terminated. */
GStrv          fq_cache_ref_ids_in_group   (FqCache             *self,
                                            const char          *entity,
                                            const char          *group);

/* Outbox storage. */
typedef struct
{
  char   *key;
  gint64  position;
  char   *method;
  char   *path;
  char   *body;      /* JSON text, NULL if none */
  char   *entity;
  char   *entity_id;
  char   *label;
  gint64  created_at;
} FqOutboxRec;

void           fq_outbox_rec_free          (FqOutboxRec   *rec);
/* Fire and forget, in order with all other work of the worker. */
void           fq_cache_outbox_put         (FqCache             *self,
                                            const FqOutboxRec   *rec);
void           fq_cache_outbox_remove      (FqCache             *self,
                                            const char          *key);
/* Finish: (element-type FqOutboxRec) in position order. */
void           fq_cache_outbox_load_async  (FqCache             *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
GPtrArray     *fq_cache_outbox_load_finish (FqCache             *self,
                                            GAsyncResult        *result,
                                            GError             **error);

G_END_DECLS
