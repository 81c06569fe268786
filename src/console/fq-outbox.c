/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Data"

#include "config.h"

#include <glib/gi18n.h>

#include "fq-cache-private.h"
#include "fq-error.h"
#include "fq-json.h"
#include "fq-outbox.h"

/* If the change of a write never comes back (it fell outside the user's
 * scope, or the feed was reset), the pending mark still clears after this. */
#define AWAIT_CHANGE_TIMEOUT_S 15
#define RETRY_WHILE_ONLINE_MS 2000

typedef enum
{
  ENTRY_QUEUED,
  ENTRY_IN_FLIGHT,
  ENTRY_AWAITING_CHANGE,
} EntryState;

typedef struct
{
  FqOutboxRec *rec;
  EntryState   state;
  char        *result_entity;  /* what to wait for in the change feed */
  char        *result_id;
  gint64       result_rev;
  GHashTable  *seen;           /* id → rev of changes seen while in flight */
  guint        timeout_id;
} Entry;

struct _FqOutbox
{
  GObject       parent_instance;

  FqClient     *client;
  FqCache      *cache;
  FqSync       *sync;
  GCancellable *cancellable;

  GQueue        entries;       /* Entry, in order */
  GHashTable   *pending;       /* entity id → count of entries */
  gint64        last_position;
  guint         retry_id;
  guint         in_flight : 1;
};

enum {
  PROP_0,
  PROP_N_PENDING,
  N_PROPS
};

enum {
  PENDING_CHANGED,
  SENT,
  CONFLICT,
  FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FqOutbox, fq_outbox, G_TYPE_OBJECT)

static void kick (FqOutbox *self);

static void
retry_cb (gpointer data)
{
  FqOutbox *self = data;

  self->retry_id = 0;
  kick (self);
}

static void
entry_free (Entry *entry)
{
  g_clear_handle_id (&entry->timeout_id, g_source_remove);
  fq_outbox_rec_free (entry->rec);
  g_free (entry->result_entity);
  g_free (entry->result_id);
  g_clear_pointer (&entry->seen, g_hash_table_unref);
  g_free (entry);
}

static void
mark_pending (FqOutbox   *self,
              const char *entity,
              const char *entity_id,
              gboolean    pending)
{
  guint count;

  if (entity_id != NULL)
    {
      count = GPOINTER_TO_UINT (g_hash_table_lookup (self->pending, entity_id));
      if (pending)
        g_hash_table_replace (self->pending, g_strdup (entity_id), GUINT_TO_POINTER (count + 1));
      else if (count <= 1)
        g_hash_table_remove (self->pending, entity_id);
      else
        g_hash_table_replace (self->pending, g_strdup (entity_id), GUINT_TO_POINTER (count - 1));

      /* Only the first mark and the last clear change the badge. */
      if ((pending && count > 0) || (!pending && count > 1))
        return;
    }

  g_signal_emit (self, signals[PENDING_CHANGED], 0, entity, entity_id);
}

static void
remove_entry (FqOutbox *self,
              Entry    *entry)
{
  g_queue_remove (&self->entries, entry);
  mark_pending (self, entry->rec->entity, entry->rec->entity_id, FALSE);
  entry_free (entry);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PENDING]);
}

static Entry *
find_entry (FqOutbox   *self,
            const char *key)
{
  for (GList *l = self->entries.head; l != NULL; l = l->next)
    {
      Entry *entry = l->data;

      if (g_strcmp0 (entry->rec->key, key) == 0)
        return entry;
    }
  return NULL;
}

typedef struct
{
  FqOutbox *self;
  Entry    *entry;
} TimeoutData;

static gboolean
entry_timeout_cb (gpointer user_data)
{
  TimeoutData *td = user_data;

  td->entry->timeout_id = 0;
  g_debug ("Outbox: the change for %s did not come back; clearing its mark", td->entry->rec->key);
  remove_entry (td->self, td->entry);
  return G_SOURCE_REMOVE;
}

/* Finds the record a write's answer is about: the object itself (new
 * incident, ticket action) or its "incident"/"ticket" member (triage). */
static void
note_result (Entry    *entry,
             JsonNode *answer)
{
  JsonObject *obj = NULL;
  const char *entity = entry->rec->entity;

  if (answer == NULL || !JSON_NODE_HOLDS_OBJECT (answer))
    return;

  obj = json_node_get_object (answer);
  if (entity != NULL && json_object_has_member (obj, entity) &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (obj, entity)))
    obj = json_object_get_object_member (obj, entity);

  if (json_object_has_member (obj, "id") && json_object_has_member (obj, "rev"))
    {
      entry->result_entity = g_strdup (entity);
      entry->result_id = g_strdup (fq_json_string_or (obj, "id", NULL));
      entry->result_rev = fq_json_int_or (obj, "rev", 0);
    }
}

static gboolean
change_arrived (Entry *entry)
{
  gpointer rev;

  if (entry->result_id == NULL)
    return TRUE;   /* nothing to wait for */

  if (entry->seen != NULL &&
      g_hash_table_lookup_extended (entry->seen, entry->result_id, NULL, &rev) &&
      GPOINTER_TO_SIZE (rev) >= (gsize)entry->result_rev)
    return TRUE;

  return FALSE;
}

typedef struct
{
  FqOutbox   *self;          /* owned */
  char       *key;
  GError     *error;
  JsonObject *error_object;  /* nullable */
} ConflictData;

static void
conflict_data_free (ConflictData *cd)
{
  g_clear_object (&cd->self);
  g_free (cd->key);
  g_clear_error (&cd->error);
  g_clear_pointer (&cd->error_object, json_object_unref);
  g_free (cd);
}

static void
conflict_fetch_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ConflictData *cd = user_data;
  FqOutbox *self = cd->self;
  g_autoptr(JsonNode) current = NULL;
  JsonObject *current_obj = NULL;
  Entry *entry;

  current = fq_client_call_finish (FQ_CLIENT (object), result, NULL);
  if (current != NULL && JSON_NODE_HOLDS_OBJECT (current))
    current_obj = json_node_get_object (current);

  entry = find_entry (self, cd->key);
  if (entry != NULL)
    {
      g_signal_emit (self, signals[CONFLICT], 0, entry->rec->key, entry->rec->entity,
                     entry->rec->entity_id, current_obj, cd->error_object, cd->error);
      remove_entry (self, entry);
    }

  conflict_data_free (cd);
  kick (self);
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  FqOutbox *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) answer = NULL;
  Entry *entry;

  answer = fq_client_call_finish (FQ_CLIENT (object), result, &error);

  /* The entry is found again by key: it may have been discarded meanwhile. */
  entry = find_entry (self, g_object_get_data (G_OBJECT (self), "in-flight-key"));
  self->in_flight = FALSE;

  if (entry == NULL || self->cache == NULL)
    {
      g_object_unref (self);
      return;
    }

  if (error == NULL)
    {
      fq_cache_outbox_remove (self->cache, entry->rec->key);
      note_result (entry, answer);
      g_signal_emit (self, signals[SENT], 0, entry->rec->key, answer);

      if (change_arrived (entry))
        remove_entry (self, entry);
      else
        {
          TimeoutData *td = g_new0 (TimeoutData, 1);

          td->self = self;
          td->entry = entry;
          entry->state = ENTRY_AWAITING_CHANGE;
          entry->timeout_id = g_timeout_add_seconds_full (G_PRIORITY_DEFAULT,
                                                          AWAIT_CHANGE_TIMEOUT_S,
                                                          entry_timeout_cb, td, g_free);
        }
      kick (self);
      g_object_unref (self);
      return;
    }

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      entry->state = ENTRY_QUEUED;
      g_object_unref (self);
      return;
    }

  if (fq_client_error_is_network (error) ||
      g_error_matches (error, FQ_ERROR, FQ_ERROR_UNAUTHENTICATED))
    {
      /* Kept, and sent again with the same key: if the first attempt did
       * reach the server, the key makes the replay a no-op there. */
      g_debug ("Outbox: %s waits: %s", entry->rec->key, error->message);
      entry->state = ENTRY_QUEUED;
      g_clear_handle_id (&self->retry_id, g_source_remove);
      self->retry_id = g_timeout_add_once (RETRY_WHILE_ONLINE_MS, retry_cb, self);
      g_object_unref (self);
      return;
    }

  fq_cache_outbox_remove (self->cache, entry->rec->key);

  if ((g_error_matches (error, FQ_ERROR, FQ_ERROR_STALE_REV) ||
       g_error_matches (error, FQ_ERROR, FQ_ERROR_INVALID_TRANSITION)) &&
      entry->rec->entity_id != NULL)
    {
      ConflictData *cd = g_new0 (ConflictData, 1);
      g_autofree char *path = NULL;
      JsonObject *error_object = fq_client_call_get_error_object (result);

      cd->self = self;   /* takes over the reference of the send */
      cd->key = g_strdup (entry->rec->key);
      cd->error = g_error_copy (error);
      cd->error_object = error_object ? json_object_ref (error_object) : NULL;
      path = g_strdup_printf ("/%ss/%s", entry->rec->entity, entry->rec->entity_id);
      entry->state = ENTRY_AWAITING_CHANGE;
      /* The conflict is reported even if the fetch fails (offline): with a
       * NULL current object. */
      fq_client_call_async (self->client, "GET", path, NULL, NULL, NULL,
                            conflict_fetch_cb, cd);
      return;
    }

  g_signal_emit (self, signals[FAILED], 0, entry->rec->key, entry->rec->entity,
                 entry->rec->entity_id, error);
  remove_entry (self, entry);
  kick (self);
  g_object_unref (self);
}

static void
kick (FqOutbox *self)
{
  Entry *next = NULL;

  if (self->in_flight || self->client == NULL ||
      fq_sync_get_state (self->sync) != FQ_SYNC_STATE_ONLINE)
    return;

  /* Strictly one at a time and in order: a triage must reach the server
   * before the ticket action that depends on it. */
  for (GList *l = self->entries.head; l != NULL; l = l->next)
    {
      Entry *entry = l->data;

      if (entry->state == ENTRY_QUEUED)
        {
          next = entry;
          break;
        }
    }

  if (next == NULL)
    return;

  next->state = ENTRY_IN_FLIGHT;
  if (next->seen == NULL)
    next->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->in_flight = TRUE;
  g_object_set_data_full (G_OBJECT (self), "in-flight-key", g_strdup (next->rec->key), g_free);

  /* The body goes as it was stored, the text the first attempt sent. */
  fq_client_call_text_async (self->client, next->rec->method, next->rec->path, next->rec->body,
                             next->rec->key, self->cancellable, send_cb, g_object_ref (self));
}

static void
sync_state_cb (FqOutbox   *self,
               GParamSpec *pspec,
               FqSync     *sync)
{
  if (fq_sync_get_state (sync) == FQ_SYNC_STATE_ONLINE)
    kick (self);
}

static void
records_changed_cb (FqOutbox     *self,
                    FqCacheBatch *batch,
                    FqCache      *cache)
{
  GList *l = self->entries.head;

  while (l != NULL)
    {
      Entry *entry = l->data;
      GList *next = l->next;

      if (entry->state == ENTRY_IN_FLIGHT || entry->state == ENTRY_AWAITING_CHANGE)
        {
          GPtrArray *recs = NULL;

          if (g_strcmp0 (entry->rec->entity, "incident") == 0)
            recs = batch->incidents;
          else if (g_strcmp0 (entry->rec->entity, "ticket") == 0)
            recs = batch->tickets;

          for (guint i = 0; recs != NULL && i < recs->len; i++)
            {
              /* Both record types start with id, and rev sits where each
               * declares it: read them through the right type. */
              const char *id;
              gint64 rev;

              if (recs == batch->incidents)
                {
                  FqIncidentRec *r = g_ptr_array_index (recs, i);
                  id = r->id;
                  rev = r->rev;
                }
              else
                {
                  FqTicketRec *r = g_ptr_array_index (recs, i);
                  id = r->id;
                  rev = r->rev;
                }

              if (entry->seen != NULL &&
                  (entry->rec->entity_id == NULL || g_strcmp0 (id, entry->rec->entity_id) == 0))
                {
                  gsize old = GPOINTER_TO_SIZE (g_hash_table_lookup (entry->seen, id));

                  if ((gsize)rev > old)
                    g_hash_table_replace (entry->seen, g_strdup (id), GSIZE_TO_POINTER ((gsize)rev));
                }
            }

          /* Sessions and the other records the lists do not keep arrive
           * only as change references. */
          for (guint i = 0; recs == NULL && entry->seen != NULL && i < batch->others->len; i++)
            {
              FqChangeRef *ref = g_ptr_array_index (batch->others, i);
              gsize old;
              gint64 rev;

              if (ref->data == NULL || g_strcmp0 (ref->entity, entry->rec->entity) != 0 ||
                  (entry->rec->entity_id != NULL && g_strcmp0 (ref->id, entry->rec->entity_id) != 0))
                continue;

              rev = fq_json_int_or (ref->data, "rev", 0);
              old = GPOINTER_TO_SIZE (g_hash_table_lookup (entry->seen, ref->id));
              if (rev > 0 && (gsize)rev > old)
                g_hash_table_replace (entry->seen, g_strdup (ref->id), GSIZE_TO_POINTER ((gsize)rev));
            }

          if (entry->state == ENTRY_AWAITING_CHANGE && entry->result_id != NULL &&
              change_arrived (entry))
            remove_entry (self, entry);
        }

      l = next;
    }
}

/* ---- object ------------------------------------------------------------ */

static void
fq_outbox_dispose (GObject *object)
{
  FqOutbox *self = (FqOutbox *)object;
  Entry *entry;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  while ((entry = g_queue_pop_head (&self->entries)) != NULL)
    entry_free (entry);
  g_clear_object (&self->client);
  g_clear_object (&self->cache);
  g_clear_object (&self->sync);

  G_OBJECT_CLASS (fq_outbox_parent_class)->dispose (object);
}

static void
fq_outbox_finalize (GObject *object)
{
  FqOutbox *self = (FqOutbox *)object;

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->pending, g_hash_table_unref);

  G_OBJECT_CLASS (fq_outbox_parent_class)->finalize (object);
}

static void
fq_outbox_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  FqOutbox *self = FQ_OUTBOX (object);

  switch (prop_id)
    {
    case PROP_N_PENDING:
      g_value_set_uint (value, fq_outbox_get_n_pending (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_outbox_class_init (FqOutboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fq_outbox_dispose;
  object_class->finalize = fq_outbox_finalize;
  object_class->get_property = fq_outbox_get_property;

  properties[PROP_N_PENDING] =
    g_param_spec_uint ("n-pending", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[PENDING_CHANGED] =
    g_signal_new ("pending-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SENT] =
    g_signal_new ("sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, JSON_TYPE_NODE);
  signals[CONFLICT] =
    g_signal_new ("conflict", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 6, G_TYPE_STRING, G_TYPE_STRING,
                  G_TYPE_STRING, JSON_TYPE_OBJECT, JSON_TYPE_OBJECT, G_TYPE_ERROR);
  signals[FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 4, G_TYPE_STRING, G_TYPE_STRING,
                  G_TYPE_STRING, G_TYPE_ERROR);
}

static void
fq_outbox_init (FqOutbox *self)
{
  self->cancellable = g_cancellable_new ();
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&self->entries);
}

FqOutbox *
fq_outbox_new (FqClient *client,
               FqCache  *cache,
               FqSync   *sync)
{
  FqOutbox *self;

  g_return_val_if_fail (FQ_IS_CLIENT (client), NULL);
  g_return_val_if_fail (FQ_IS_CACHE (cache), NULL);
  g_return_val_if_fail (FQ_IS_SYNC (sync), NULL);

  self = g_object_new (FQ_TYPE_OUTBOX, NULL);
  self->client = g_object_ref (client);
  self->cache = g_object_ref (cache);
  self->sync = g_object_ref (sync);

  g_signal_connect_object (sync, "notify::state", G_CALLBACK (sync_state_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (cache, "records-changed", G_CALLBACK (records_changed_cb), self,
                           G_CONNECT_SWAPPED);
  return self;
}

static void
add_entry (FqOutbox    *self,
           FqOutboxRec *rec)
{
  Entry *entry = g_new0 (Entry, 1);

  entry->rec = rec;
  entry->state = ENTRY_QUEUED;
  self->last_position = MAX (self->last_position, rec->position);
  g_queue_push_tail (&self->entries, entry);
  mark_pending (self, rec->entity, rec->entity_id, TRUE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PENDING]);
}

static void
load_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FqOutbox *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) recs = NULL;

  recs = fq_cache_outbox_load_finish (FQ_CACHE (object), result, &error);
  if (recs == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  for (guint i = 0; i < recs->len; i++)
    {
      FqOutboxRec *rec = g_ptr_array_index (recs, i);

      if (find_entry (self, rec->key) != NULL)
        continue;
      g_ptr_array_index (recs, i) = NULL;
      add_entry (self, rec);
    }

  kick (self);
  g_task_return_boolean (task, TRUE);
}

void
fq_outbox_load_async (FqOutbox            *self,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (FQ_IS_OUTBOX (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fq_outbox_load_async);
  fq_cache_outbox_load_async (self->cache, cancellable, load_cb, task);
}

gboolean
fq_outbox_load_finish (FqOutbox      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (FQ_IS_OUTBOX (self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

char *
fq_outbox_submit (FqOutbox   *self,
                  const char *method,
                  const char *path,
                  JsonObject *body,
                  const char *entity,
                  const char *entity_id,
                  const char *label)
{
  FqOutboxRec *rec;
  gint64 now;

  g_return_val_if_fail (FQ_IS_OUTBOX (self), NULL);
  g_return_val_if_fail (method != NULL && path != NULL, NULL);

  now = g_get_real_time ();
  rec = g_new0 (FqOutboxRec, 1);
  rec->key = g_uuid_string_random ();
  /* Microseconds keep the order across restarts even if the table was
   * emptied in between. */
  rec->position = MAX (self->last_position + 1, now);
  rec->method = g_strdup (method);
  rec->path = g_strdup (path);
  if (body != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), body);

      rec->body = fq_json_to_string (node, NULL);
    }
  rec->entity = g_strdup (entity);
  rec->entity_id = g_strdup (entity_id);
  rec->label = g_strdup (label);
  rec->created_at = now / G_USEC_PER_SEC;

  /* Stored before it is sent: the worker runs jobs in order, so the row is
   * on disk before any answer could remove it. */
  fq_cache_outbox_put (self->cache, rec);
  add_entry (self, rec);
  kick (self);

  return g_strdup (rec->key);
}

char *
fq_outbox_create_incident (FqOutbox   *self,
                           JsonObject *body)
{
  const char *summary;
  g_autofree char *label = NULL;

  g_return_val_if_fail (FQ_IS_OUTBOX (self), NULL);
  g_return_val_if_fail (body != NULL, NULL);

  summary = fq_json_string_or (body, "summary", "");
  label = g_strdup_printf (_("New incident: %s"), summary);
  return fq_outbox_submit (self, "POST", "/incidents", body, "incident", NULL, label);
}

char *
fq_outbox_triage (FqOutbox   *self,
                  const char *incident_id,
                  JsonObject *body)
{
  g_autofree char *path = NULL;
  g_autofree char *label = NULL;

  g_return_val_if_fail (FQ_IS_OUTBOX (self), NULL);
  g_return_val_if_fail (incident_id != NULL && body != NULL, NULL);

  path = g_strdup_printf ("/incidents/%s/triage", incident_id);
  label = g_strdup_printf (_("Triage of incident %s"), incident_id);
  return fq_outbox_submit (self, "POST", path, body, "incident", incident_id, label);
}

char *
fq_outbox_ticket_action (FqOutbox   *self,
                         const char *ticket_id,
                         JsonObject *body)
{
  g_autofree char *path = NULL;
  g_autofree char *label = NULL;

  g_return_val_if_fail (FQ_IS_OUTBOX (self), NULL);
  g_return_val_if_fail (ticket_id != NULL && body != NULL, NULL);

  path = g_strdup_printf ("/tickets/%s/actions", ticket_id);
  label = g_strdup_printf (_("Action “%s” on ticket %s"),
                           fq_json_string_or (body, "action", ""),
                           ticket_id);
  return fq_outbox_submit (self, "POST", path, body, "ticket", ticket_id, label);
}

guint
fq_outbox_get_n_pending (FqOutbox *self)
{
  g_return_val_if_fail (FQ_IS_OUTBOX (self), 0);
  return self->entries.length;
}

gboolean
fq_outbox_is_pending (FqOutbox   *self,
                      const char *entity_id)
{
  g_return_val_if_fail (FQ_IS_OUTBOX (self), FALSE);

  return entity_id != NULL && g_hash_table_contains (self->pending, entity_id);
}

gboolean
fq_outbox_discard (FqOutbox   *self,
                   const char *key)
{
  Entry *entry;

  g_return_val_if_fail (FQ_IS_OUTBOX (self), FALSE);

  entry = find_entry (self, key);
  if (entry == NULL || entry->state != ENTRY_QUEUED)
    return FALSE;

  fq_cache_outbox_remove (self->cache, key);
  remove_entry (self, entry);
  return TRUE;
}
