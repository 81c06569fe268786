/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Data"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <glib/gstdio.h>

#include "fq-cache-private.h"
#include "fq-enum-types.h"
#include "fq-enums.h"
#include "fq-json.h"

/* "FQCC": tells our cache files from any other SQLite database. */
#define CACHE_APPLICATION_ID 0x46514343
/* 2: incidents' JSON in a table of its own, so that reading the board's
 * columns does not read the JSON too. */
#define CACHE_SCHEMA_VERSION 2

static const char schema_sql[] =
  "CREATE TABLE meta (key TEXT PRIMARY KEY, value);"
  "CREATE TABLE incidents ("
  "  id TEXT PRIMARY KEY, received_at INTEGER NOT NULL, source INTEGER, status INTEGER,"
  "  decision INTEGER, grid TEXT, category TEXT, summary TEXT, address TEXT,"
  "  caller_name TEXT, caller_phone TEXT, ticket TEXT, repeat_of TEXT, rev INTEGER);"
  "CREATE INDEX incidents_received_at ON incidents (received_at);"
  "CREATE TABLE incident_json (id TEXT PRIMARY KEY, json TEXT) WITHOUT ROWID;"
  "CREATE TABLE tickets ("
  "  id TEXT PRIMARY KEY, title TEXT, category TEXT, grid TEXT, lead_unit TEXT,"
  "  assisting TEXT, state INTEGER, tier INTEGER, created_at INTEGER,"
  "  dispatched_at INTEGER, accepted_at INTEGER, resolved_at INTEGER, deadline INTEGER,"
  "  overdue INTEGER, repeat_count INTEGER, rev INTEGER, json TEXT);"
  "CREATE INDEX tickets_state ON tickets (state);"
  "CREATE TABLE events (id TEXT PRIMARY KEY, ticket TEXT, at INTEGER, json TEXT);"
  "CREATE INDEX events_ticket ON events (ticket, at);"
  "CREATE TABLE records (entity TEXT NOT NULL, id TEXT NOT NULL, json TEXT,"
  "  PRIMARY KEY (entity, id)) WITHOUT ROWID;"
  "CREATE TABLE outbox (key TEXT PRIMARY KEY, position INTEGER, method TEXT, path TEXT,"
  "  body TEXT, entity TEXT, entity_id TEXT, label TEXT, created_at INTEGER);";

typedef struct
{
  FqCacheJobFunc  func;
  gpointer        data;
  GDestroyNotify  data_destroy;
  GDestroyNotify  result_destroy;
  GTask          *task;   /* NULL for fire-and-forget jobs */
  gboolean        quit;
} Job;

/* Owned by the worker thread alone once it runs. */
typedef struct
{
  GAsyncQueue *queue;
  sqlite3     *db;
  char        *path;
} Worker;

struct _FqCache
{
  GObject      parent_instance;

  char        *path;
  Worker      *worker;
  GThread     *thread;
  GHashTable  *refs[3];  /* grid, category, unit: id → JsonObject */
  gint64       last_seq;
  guint        is_open : 1;
  guint        recreated : 1;
  guint        filling : 1;    /* see fq_cache_set_filling() */
};

enum {
  PROP_0,
  PROP_PATH,
  PROP_LAST_SEQ,
  PROP_IS_OPEN,
  N_PROPS
};

enum {
  RECORDS_CHANGED,
  RECORD_CHANGED,
  CLOSING,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FqCache, fq_cache, G_TYPE_OBJECT)

static const char *ref_entities[] = { "grid", "category", "unit" };

static int
ref_index (const char *entity)
{
  for (guint i = 0; i < G_N_ELEMENTS (ref_entities); i++)
    if (g_strcmp0 (entity, ref_entities[i]) == 0)
      return i;
  return -1;
}

/* ---- records ----------------------------------------------------------- */

static const char *
jstr (JsonObject *obj,
      const char *name)
{
  return fq_json_string_or (obj, name, NULL);
}

static gint64
jint (JsonObject *obj,
      const char *name)
{
  return fq_json_int_or (obj, name, 0);
}

static int
jenum (JsonObject *obj,
       const char *name,
       GType       type,
       int         fallback)
{
  const char *s = jstr (obj, name);
  int value;

  if (s != NULL && fq_enum_from_string (type, s, &value))
    return value;
  return fallback;
}

static inline int
digits (const char *p,
        int         n)
{
  int v = 0;

  for (int i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit (p[i]))
        return -1;
      v = v * 10 + (p[i] - '0');
    }
  return v;
}

/* The server writes "YYYY-MM-DDTHH:MM:SSZ"; that common form is converted
 * here without GDateTime (a million of them at load), anything else goes
 * through the core's strict parser. */
gint64
fq_cache_parse_time (const char *text)
{
  gint64 t = 0;
  int y, mo, d, h, mi, s;

  if (text == NULL)
    return 0;

  if (strlen (text) == 20 && text[4] == '-' && text[7] == '-' && text[10] == 'T' &&
      text[13] == ':' && text[16] == ':' && text[19] == 'Z' &&
      (y = digits (text, 4)) >= 1970 && (mo = digits (text + 5, 2)) >= 1 && mo <= 12 &&
      (d = digits (text + 8, 2)) >= 1 && d <= 31 && (h = digits (text + 11, 2)) >= 0 &&
      h < 24 && (mi = digits (text + 14, 2)) >= 0 && mi < 60 &&
      (s = digits (text + 17, 2)) >= 0 && s < 61)
    {
      /* Days from civil (Howard Hinnant's algorithm). */
      int yy = y - (mo <= 2);
      int era = yy / 400;
      int yoe = yy - era * 400;
      int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
      int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
      gint64 days = (gint64)era * 146097 + doe - 719468;

      return days * 86400 + h * 3600 + mi * 60 + s;
    }

  if (fq_time_parse (text, &t))
    return t;
  return 0;
}

void
fq_incident_rec_free (FqIncidentRec *rec)
{
  if (rec == NULL)
    return;
  g_free (rec->id);
  g_free (rec->grid);
  g_free (rec->category);
  g_free (rec->summary);
  g_free (rec->address);
  g_free (rec->caller_name);
  g_free (rec->caller_phone);
  g_free (rec->ticket);
  g_free (rec->repeat_of);
  g_free (rec);
}

void
fq_ticket_rec_free (FqTicketRec *rec)
{
  if (rec == NULL)
    return;
  g_free (rec->id);
  g_free (rec->title);
  g_free (rec->category);
  g_free (rec->grid);
  g_free (rec->lead_unit);
  g_free (rec->assisting);
  g_free (rec);
}

static void
change_ref_free (FqChangeRef *ref)
{
  g_free (ref->entity);
  g_free (ref->id);
  g_clear_pointer (&ref->data, json_object_unref);
  g_free (ref);
}

void
fq_outbox_rec_free (FqOutboxRec *rec)
{
  if (rec == NULL)
    return;
  g_free (rec->key);
  g_free (rec->method);
  g_free (rec->path);
  g_free (rec->body);
  g_free (rec->entity);
  g_free (rec->entity_id);
  g_free (rec->label);
  g_free (rec);
}

FqIncidentRec *
fq_incident_rec_from_json (JsonObject *obj)
{
  FqIncidentRec *rec;
  const char *id = jstr (obj, "id");

  if (id == NULL)
    return NULL;

  rec = g_new0 (FqIncidentRec, 1);
  rec->id = g_strdup (id);
  rec->grid = g_strdup (jstr (obj, "grid") ?: "");
  rec->category = g_strdup (jstr (obj, "category"));
  rec->summary = g_strdup (jstr (obj, "summary") ?: "");
  rec->address = g_strdup (jstr (obj, "address") ?: "");
  rec->caller_name = g_strdup (jstr (obj, "caller_name") ?: "");
  rec->caller_phone = g_strdup (jstr (obj, "caller_phone") ?: "");
  rec->ticket = g_strdup (jstr (obj, "ticket"));
  rec->repeat_of = g_strdup (jstr (obj, "repeat_of"));
  rec->received_at = fq_cache_parse_time (jstr (obj, "received_at"));
  rec->rev = jint (obj, "rev");
  rec->source = jenum (obj, "source", FQ_TYPE_SOURCE, FQ_SOURCE_110);
  rec->status = jenum (obj, "status", FQ_TYPE_INCIDENT_STATUS, FQ_INCIDENT_STATUS_NEW);
  rec->decision = jenum (obj, "decision", FQ_TYPE_DECISION, -1);
  return rec;
}

FqTicketRec *
fq_ticket_rec_from_json (JsonObject *obj)
{
  FqTicketRec *rec;
  const char *id = jstr (obj, "id");
  JsonNode *assisting;
  GString *str;

  if (id == NULL)
    return NULL;

  rec = g_new0 (FqTicketRec, 1);
  rec->id = g_strdup (id);
  rec->title = g_strdup (jstr (obj, "title") ?: "");
  rec->category = g_strdup (jstr (obj, "category") ?: "");
  rec->grid = g_strdup (jstr (obj, "grid") ?: "");
  rec->lead_unit = g_strdup (jstr (obj, "lead_unit") ?: "");
  rec->created_at = fq_cache_parse_time (jstr (obj, "created_at"));
  rec->dispatched_at = fq_cache_parse_time (jstr (obj, "dispatched_at"));
  rec->accepted_at = fq_cache_parse_time (jstr (obj, "accepted_at"));
  rec->resolved_at = fq_cache_parse_time (jstr (obj, "resolved_at"));
  rec->deadline = fq_cache_parse_time (jstr (obj, "deadline"));
  rec->rev = jint (obj, "rev");
  rec->repeat_count = (guint)jint (obj, "repeat_count");
  rec->returned_count = (guint)MAX (jint (obj, "returned_count"), 0);
  rec->rejected_count = (guint)MAX (jint (obj, "rejected_count"), 0);
  rec->reopened_count = (guint)MAX (jint (obj, "reopened_count"), 0);
  rec->state = jenum (obj, "state", FQ_TYPE_TICKET_STATE, FQ_TICKET_STATE_DISPATCHED);
  rec->tier = jenum (obj, "tier", FQ_TYPE_TIER, FQ_TIER_COMMUNITY);
  rec->overdue = jint (obj, "overdue") != 0;

  str = g_string_new (NULL);
  assisting = json_object_get_member (obj, "assisting_units");
  if (assisting != NULL && JSON_NODE_HOLDS_ARRAY (assisting))
    {
      JsonArray *arr = json_node_get_array (assisting);

      for (guint i = 0; i < json_array_get_length (arr); i++)
        {
          JsonNode *n = json_array_get_element (arr, i);

          if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
            {
              if (str->len > 0)
                g_string_append_c (str, ' ');
              g_string_append (str, json_node_get_string (n));
            }
        }
    }
  rec->assisting = g_string_free (str, FALSE);
  return rec;
}

static FqCacheBatch *
batch_new (void)
{
  FqCacheBatch *batch = g_new0 (FqCacheBatch, 1);

  g_atomic_ref_count_init (&batch->ref_count);
  batch->incidents = g_ptr_array_new_with_free_func ((GDestroyNotify)fq_incident_rec_free);
  batch->tickets = g_ptr_array_new_with_free_func ((GDestroyNotify)fq_ticket_rec_free);
  batch->others = g_ptr_array_new_with_free_func ((GDestroyNotify)change_ref_free);
  return batch;
}

FqCacheBatch *
fq_cache_batch_ref (FqCacheBatch *batch)
{
  g_atomic_ref_count_inc (&batch->ref_count);
  return batch;
}

void
fq_cache_batch_unref (FqCacheBatch *batch)
{
  if (g_atomic_ref_count_dec (&batch->ref_count))
    {
      g_ptr_array_unref (batch->incidents);
      g_ptr_array_unref (batch->tickets);
      g_ptr_array_unref (batch->others);
      g_free (batch);
    }
}

/* ---- the worker -------------------------------------------------------- */

static void
job_free (Job *job)
{
  if (job->data_destroy != NULL && job->data != NULL)
    job->data_destroy (job->data);
  g_clear_object (&job->task);
  g_free (job);
}

static gboolean
set_sqlite_error (GError     **error,
                  sqlite3     *db,
                  const char  *what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what,
               db ? sqlite3_errmsg (db) : "no database");
  return FALSE;
}

static gpointer
worker_main (gpointer data)
{
  Worker *worker = data;

  for (;;)
    {
      Job *job = g_async_queue_pop (worker->queue);
      g_autoptr(GError) error = NULL;
      gpointer result;

      if (job->quit)
        {
          job_free (job);
          break;
        }

      if (job->task != NULL && g_task_return_error_if_cancelled (job->task))
        {
          job_free (job);
          continue;
        }

      if (worker->db == NULL && job->func != NULL && job->data != worker)
        {
          /* Only the open job runs without a database (it gets the worker
           * itself as data). */
          if (job->task != NULL)
            g_task_return_new_error (job->task, G_IO_ERROR, G_IO_ERROR_CLOSED,
                                     "The cache is not open");
          job_free (job);
          continue;
        }

      result = job->func (worker->db, job->data,
                          job->task ? g_task_get_cancellable (job->task) : NULL, &error);

      if (job->task != NULL)
        {
          if (error != NULL)
            g_task_return_error (job->task, g_steal_pointer (&error));
          else
            g_task_return_pointer (job->task, result, job->result_destroy);
        }
      else
        {
          if (error != NULL)
            g_warning ("Cache: %s", error->message);
          if (result != NULL && job->result_destroy != NULL)
            job->result_destroy (result);
        }

      job_free (job);
    }

  if (worker->db != NULL)
    {
      /* Folds the WAL back so the next start reads one file. */
      sqlite3_exec (worker->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
      sqlite3_close_v2 (worker->db);
      worker->db = NULL;
    }

  return NULL;
}

static void
push_job (FqCache             *self,
          FqCacheJobFunc       func,
          gpointer             data,
          GDestroyNotify       data_destroy,
          GDestroyNotify       result_destroy,
          GTask               *task)
{
  Job *job = g_new0 (Job, 1);

  job->func = func;
  job->data = data;
  job->data_destroy = data_destroy;
  job->result_destroy = result_destroy;
  job->task = task;

  if (self->worker == NULL)
    {
      if (task != NULL)
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CLOSED, "The cache is closed");
      job_free (job);
      return;
    }

  g_async_queue_push (self->worker->queue, job);
}

void
fq_cache_run_async (FqCache             *self,
                    FqCacheJobFunc       func,
                    gpointer             data,
                    GDestroyNotify       data_destroy,
                    GDestroyNotify       result_destroy,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (FQ_IS_CACHE (self));
  g_return_if_fail (func != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fq_cache_run_async);
  push_job (self, func, data, data_destroy, result_destroy, task);
}

gpointer
fq_cache_run_finish (FqCache       *self,
                     GAsyncResult  *result,
                     GError       **error)
{
  g_return_val_if_fail (FQ_IS_CACHE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- open -------------------------------------------------------------- */

typedef struct
{
  gboolean    recreated;
  gint64      last_seq;
  GHashTable *refs[3];
} OpenResult;

static void
open_result_free (OpenResult *res)
{
  for (guint i = 0; i < G_N_ELEMENTS (res->refs); i++)
    g_clear_pointer (&res->refs[i], g_hash_table_unref);
  g_free (res);
}

static gboolean
pragma_int (sqlite3    *db,
            const char *sql,
            gint64     *out)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    {
      *out = sqlite3_column_int64 (stmt, 0);
      ok = TRUE;
    }
  sqlite3_finalize (stmt);
  return ok;
}

static gboolean
create_schema (sqlite3  *db,
               GError  **error)
{
  g_autofree char *sql = g_strdup_printf ("BEGIN;%s"
                                          "PRAGMA application_id = %d;"
                                          "PRAGMA user_version = %d;"
                                          "INSERT INTO meta VALUES ('last_seq', 0);"
                                          "COMMIT;",
                                          schema_sql, CACHE_APPLICATION_ID,
                                          CACHE_SCHEMA_VERSION);

  if (sqlite3_exec (db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return set_sqlite_error (error, db, "Cannot create the cache");
  return TRUE;
}

/* Opens @path and checks it is one of our caches, creating the schema in a
 * new file. FALSE (and *bad) if the file is damaged or foreign. */
static sqlite3 *
try_open (const char  *path,
          gboolean    *bad,
          GError     **error)
{
  sqlite3 *db = NULL;
  gint64 app_id = 0;
  gint64 version = 0;
  gint64 n_tables = 0;
  gint64 seq = 0;

  *bad = FALSE;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                       SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, db, "Cannot open the cache");
      sqlite3_close_v2 (db);
      *bad = TRUE;
      return NULL;
    }

  sqlite3_busy_timeout (db, 5000);

  if (!pragma_int (db, "PRAGMA application_id", &app_id) ||
      !pragma_int (db, "PRAGMA user_version", &version) ||
      !pragma_int (db, "SELECT count(*) FROM sqlite_schema", &n_tables))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "Not a database: %s",
                   sqlite3_errmsg (db));
      sqlite3_close_v2 (db);
      *bad = TRUE;
      return NULL;
    }

  if (n_tables == 0 && app_id == 0)
    {
      if (sqlite3_exec (db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK ||
          !create_schema (db, error))
        {
          sqlite3_close_v2 (db);
          *bad = TRUE;
          return NULL;
        }
    }
  else if (app_id != CACHE_APPLICATION_ID || version != CACHE_SCHEMA_VERSION ||
           !pragma_int (db, "SELECT value FROM meta WHERE key = 'last_seq'", &seq))
    {
      /* A foreign database, or a cache of another schema version: a cache
       * holds nothing the server cannot send again, so it is rebuilt rather
       * than migrated. */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "Not a cache of this version (application id %" G_GINT64_FORMAT
                   ", version %" G_GINT64_FORMAT ")", app_id, version);
      sqlite3_close_v2 (db);
      *bad = TRUE;
      return NULL;
    }

  sqlite3_exec (db,
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA temp_store=MEMORY;"
                /* Checkpoints run as jobs of their own after a batch (see
                 * apply_cb), not inside the commit of the next one. */
                "PRAGMA wal_autocheckpoint=0;"
                "PRAGMA cache_size=-32000;",
                NULL, NULL, NULL);
  return db;
}

static void
remove_db_files (const char *path)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);

  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
}

static GHashTable *
load_refs (sqlite3    *db,
           const char *entity)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify)json_object_unref);
  sqlite3_stmt *stmt = NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();

  if (sqlite3_prepare_v2 (db, "SELECT id, json FROM records WHERE entity = ?", -1,
                          &stmt, NULL) != SQLITE_OK)
    return table;

  sqlite3_bind_text (stmt, 1, entity, -1, SQLITE_STATIC);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *id = (const char *)sqlite3_column_text (stmt, 0);
      const char *json = (const char *)sqlite3_column_text (stmt, 1);
      JsonNode *root;

      if (id == NULL || json == NULL || !json_parser_load_from_data (parser, json, -1, NULL))
        continue;
      root = json_parser_get_root (parser);
      if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
        g_hash_table_insert (table, g_strdup (id), json_object_ref (json_node_get_object (root)));
    }
  sqlite3_finalize (stmt);
  return table;
}

static gpointer
open_job (sqlite3       *unused,
          gpointer       data,
          GCancellable  *cancellable,
          GError       **error)
{
  Worker *worker = data;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *dir = g_path_get_dirname (worker->path);
  OpenResult *res;
  gboolean bad = FALSE;
  sqlite3 *db;

  if (worker->db != NULL)
    {
      sqlite3_close_v2 (worker->db);
      worker->db = NULL;
    }

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   "Cannot create %s: %s", dir, g_strerror (errsv));
      return NULL;
    }

  res = g_new0 (OpenResult, 1);
  db = try_open (worker->path, &bad, &local_error);
  if (db == NULL && bad)
    {
      g_message ("The cache %s is damaged or foreign (%s); recreating it",
                 worker->path, local_error ? local_error->message : "");
      g_clear_error (&local_error);
      remove_db_files (worker->path);
      res->recreated = TRUE;
      db = try_open (worker->path, &bad, &local_error);
    }

  if (db == NULL)
    {
      open_result_free (res);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  worker->db = db;
  pragma_int (db, "SELECT value FROM meta WHERE key = 'last_seq'", &res->last_seq);
  for (guint i = 0; i < G_N_ELEMENTS (ref_entities); i++)
    res->refs[i] = load_refs (db, ref_entities[i]);

  return res;
}

static void
open_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  FqCache *self = FQ_CACHE (object);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  OpenResult *res;

  res = g_task_propagate_pointer (G_TASK (result), &error);
  if (res == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (self->refs); i++)
    {
      g_clear_pointer (&self->refs[i], g_hash_table_unref);
      self->refs[i] = g_steal_pointer (&res->refs[i]);
    }
  self->recreated = res->recreated;
  self->is_open = TRUE;
  if (self->last_seq != res->last_seq)
    {
      self->last_seq = res->last_seq;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SEQ]);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_OPEN]);
  open_result_free (res);

  g_task_return_boolean (task, TRUE);
}

void
fq_cache_open_async (FqCache             *self,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  GTask *task;
  GTask *inner;

  g_return_if_fail (FQ_IS_CACHE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fq_cache_open_async);

  if (self->worker == NULL)
    {
      self->worker = g_new0 (Worker, 1);
      self->worker->queue = g_async_queue_new ();
      self->worker->path = g_strdup (self->path);
      self->thread = g_thread_new ("fq-cache", worker_main, self->worker);
    }

  inner = g_task_new (self, cancellable, open_cb, task);
  push_job (self, open_job, self->worker, NULL, (GDestroyNotify)open_result_free, inner);
}

gboolean
fq_cache_open_finish (FqCache       *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (FQ_IS_CACHE (self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* @json: JSON text of @length bytes, or NUL-terminated if @length is -1. */
static JsonObject *
parse_object (const char *json,
              gssize      length)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  JsonNode *root;

  if (json == NULL || !json_parser_load_from_data (parser, json, length, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

/* ---- apply ------------------------------------------------------------- */

static void
dispose_page_func (gpointer data,
                   gpointer user_data)
{
  json_array_unref (data);
}

/* Takes a parsed page that nothing else references, and frees it on a
 * thread of its own: freeing a page's tree took the cache thread as long
 * as storing it. */
static void
dispose_page (JsonArray *changes)
{
  static GThreadPool *pool;

  if (g_once_init_enter (&pool))
    g_once_init_leave (&pool, g_thread_pool_new (dispose_page_func, NULL, 1, FALSE, NULL));
  g_thread_pool_push (pool, changes, NULL);
}

typedef struct
{
  JsonArray *changes;
  GBytes    *page;      /* the text @changes was parsed from, or NULL */
  gint64     last_seq;
  gboolean   filling;
} ApplyData;

static void
apply_data_free (ApplyData *ad)
{
  g_clear_pointer (&ad->changes, json_array_unref);
  g_clear_pointer (&ad->page, g_bytes_unref);
  g_free (ad);
}

static void
bind_text_or_null (sqlite3_stmt *stmt,
                   int           col,
                   const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, col, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, col);
}

typedef struct
{
  sqlite3_stmt *inc_put, *inc_del, *incj_put, *incj_del;
  sqlite3_stmt *tic_put, *tic_del, *ev_put, *ev_del, *rec_put, *rec_del;
} Statements;

static void
statements_finalize (Statements *st)
{
  sqlite3_finalize (st->inc_put);
  sqlite3_finalize (st->inc_del);
  sqlite3_finalize (st->incj_put);
  sqlite3_finalize (st->incj_del);
  sqlite3_finalize (st->tic_put);
  sqlite3_finalize (st->tic_del);
  sqlite3_finalize (st->ev_put);
  sqlite3_finalize (st->ev_del);
  sqlite3_finalize (st->rec_put);
  sqlite3_finalize (st->rec_del);
}

static gboolean
statements_prepare (sqlite3    *db,
                    Statements *st)
{
  return
    sqlite3_prepare_v2 (db, "INSERT OR REPLACE INTO incidents (id, received_at, source, status,"
                        " decision, grid, category, summary, address, caller_name, caller_phone,"
                        " ticket, repeat_of, rev)"
                        " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
                        -1, &st->inc_put, NULL) == SQLITE_OK &&
    sqlite3_prepare_v2 (db, "DELETE FROM incidents WHERE id = ?", -1, &st->inc_del, NULL) == SQLITE_OK &&
    sqlite3_prepare_v2 (db, "INSERT OR REPLACE INTO incident_json (id, json) VALUES (?, ?)",
                        -1, &st->incj_put, NULL) == SQLITE_OK &&
    sqlite3_prepare_v2 (db, "DELETE FROM incident_json WHERE id = ?", -1, &st->incj_del,
                        NULL) == SQLITE_OK &&
    sqlite3_prepare_v2 (db, "INSERT OR REPLACE INTO tickets (id, title, category, grid, lead_unit,"
                        " assisting, state, tier, created_at, dispatched_at, accepted_at,"
                        " resolved_at, deadline, overdue, repeat_count, rev, json)"
                        " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)",
                        -1, &st->tic_put, NULL) == SQLITE_OK &&
    sqlite3_prepare_v2 (db, "DELETE FROM tickets WHERE id = ?", -1, &st->tic_del, NULL) == SQLITE_OK &&
    sqlite3_prepare_v2 (db, "INSERT OR REPLACE INTO events (id, ticket, at, json) VALUES (?,?,?,?)",
                        -1, &st->ev_put, NULL) == SQLITE_OK &&
    sqlite3_prepare_v2 (db, "DELETE FROM events WHERE id = ?", -1, &st->ev_del, NULL) == SQLITE_OK &&
    sqlite3_prepare_v2 (db, "INSERT OR REPLACE INTO records (entity, id, json) VALUES (?,?,?)",
                        -1, &st->rec_put, NULL) == SQLITE_OK &&
    sqlite3_prepare_v2 (db, "DELETE FROM records WHERE entity = ? AND id = ?", -1, &st->rec_del,
                        NULL) == SQLITE_OK;
}

static gboolean
step_done (sqlite3_stmt *stmt)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  return rc == SQLITE_DONE;
}

static gboolean
store_incident (Statements    *st,
                FqIncidentRec *rec,
                const char    *json,
                int            json_len)
{
  sqlite3_stmt *s = st->inc_put;

  sqlite3_bind_text (s, 1, rec->id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (s, 2, rec->received_at);
  sqlite3_bind_int (s, 3, rec->source);
  sqlite3_bind_int (s, 4, rec->status);
  if (rec->decision >= 0)
    sqlite3_bind_int (s, 5, rec->decision);
  else
    sqlite3_bind_null (s, 5);
  sqlite3_bind_text (s, 6, rec->grid, -1, SQLITE_STATIC);
  bind_text_or_null (s, 7, rec->category);
  sqlite3_bind_text (s, 8, rec->summary, -1, SQLITE_STATIC);
  sqlite3_bind_text (s, 9, rec->address, -1, SQLITE_STATIC);
  sqlite3_bind_text (s, 10, rec->caller_name, -1, SQLITE_STATIC);
  sqlite3_bind_text (s, 11, rec->caller_phone, -1, SQLITE_STATIC);
  bind_text_or_null (s, 12, rec->ticket);
  bind_text_or_null (s, 13, rec->repeat_of);
  sqlite3_bind_int64 (s, 14, rec->rev);
  if (!step_done (s))
    return FALSE;

  sqlite3_bind_text (st->incj_put, 1, rec->id, -1, SQLITE_STATIC);
  sqlite3_bind_text (st->incj_put, 2, json, json_len, SQLITE_STATIC);
  return step_done (st->incj_put);
}

static gboolean
store_ticket (Statements  *st,
              FqTicketRec *rec,
              const char  *json,
              int          json_len)
{
  sqlite3_stmt *s = st->tic_put;

  sqlite3_bind_text (s, 1, rec->id, -1, SQLITE_STATIC);
  sqlite3_bind_text (s, 2, rec->title, -1, SQLITE_STATIC);
  sqlite3_bind_text (s, 3, rec->category, -1, SQLITE_STATIC);
  sqlite3_bind_text (s, 4, rec->grid, -1, SQLITE_STATIC);
  sqlite3_bind_text (s, 5, rec->lead_unit, -1, SQLITE_STATIC);
  sqlite3_bind_text (s, 6, rec->assisting, -1, SQLITE_STATIC);
  sqlite3_bind_int (s, 7, rec->state);
  sqlite3_bind_int (s, 8, rec->tier);
  sqlite3_bind_int64 (s, 9, rec->created_at);
  sqlite3_bind_int64 (s, 10, rec->dispatched_at);
  sqlite3_bind_int64 (s, 11, rec->accepted_at);
  sqlite3_bind_int64 (s, 12, rec->resolved_at);
  sqlite3_bind_int64 (s, 13, rec->deadline);
  sqlite3_bind_int (s, 14, rec->overdue);
  sqlite3_bind_int (s, 15, rec->repeat_count);
  sqlite3_bind_int64 (s, 16, rec->rev);
  sqlite3_bind_text (s, 17, json, json_len, SQLITE_STATIC);
  return step_done (s);
}

static gpointer
apply_job (sqlite3       *db,
           gpointer       data,
           GCancellable  *cancellable,
           GError       **error)
{
  ApplyData *ad = data;
  g_autoptr(FqCacheBatch) batch = batch_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  Statements st = { 0 };
  sqlite3_stmt *meta = NULL;
  gint64 stored_seq = 0;
  gint64 max_seq;
  guint n;
  const char *page_text = NULL;
  g_autoptr(GArray) spans = NULL;
  /* For G_MESSAGES_DEBUG: how long each page took to store. */
  gint64 start = g_get_monotonic_time ();
  struct timespec cpu_start, cpu_end;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &cpu_start);
  batch->filling = ad->filling;
  pragma_int (db, "SELECT value FROM meta WHERE key = 'last_seq'", &stored_seq);
  max_seq = stored_seq;
  batch->first_seq = G_MAXINT64;

  if (!statements_prepare (db, &st) ||
      sqlite3_prepare_v2 (db, "UPDATE meta SET value = ? WHERE key = 'last_seq'", -1,
                          &meta, NULL) != SQLITE_OK ||
      sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, db, "Cannot store changes");
      statements_finalize (&st);
      sqlite3_finalize (meta);
      return NULL;
    }

  n = ad->changes ? json_array_get_length (ad->changes) : 0;

  /* Each change's data is stored as text: as it stands in the page, when
   * the page came with its text, rather than serialised again (a third of
   * this thread's time while a new cache fills). */
  if (ad->page != NULL && n > 0)
    {
      gsize length;

      page_text = g_bytes_get_data (ad->page, &length);
      spans = g_array_sized_new (FALSE, FALSE, sizeof (FqJsonSpan), n);
      if (!fq_json_find_member_spans (page_text, length, "changes", "data", spans) ||
          spans->len != n)
        g_clear_pointer (&spans, g_array_unref);
    }

  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (ad->changes, i);
      JsonObject *change;
      JsonNode *data_node;
      JsonObject *obj = NULL;
      const char *entity, *id, *op;
      const char *json = NULL;
      int json_len = 0;
      g_autofree char *generated = NULL;
      gboolean del;
      gint64 seq;
      gboolean ok = TRUE;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      change = json_node_get_object (node);
      entity = jstr (change, "entity");
      id = jstr (change, "id");
      op = jstr (change, "op");
      seq = jint (change, "seq");
      if (entity == NULL || id == NULL)
        continue;

      /* Changes already stored (a WebSocket frame that overlaps a page
       * fetched a moment before) are skipped: applying is idempotent. */
      if (seq > 0 && seq <= stored_seq)
        continue;
      if (seq > max_seq)
        max_seq = seq;
      if (seq > 0 && seq < batch->first_seq)
        batch->first_seq = seq;

      del = g_strcmp0 (op, "delete") == 0;
      data_node = json_object_get_member (change, "data");
      if (!del)
        {
          const FqJsonSpan *span = spans != NULL ? &g_array_index (spans, FqJsonSpan, i) : NULL;

          if (data_node == NULL || !JSON_NODE_HOLDS_OBJECT (data_node))
            continue;
          obj = json_node_get_object (data_node);
          if (span != NULL && span->length > 0 && page_text[span->offset] == '{')
            {
              json = page_text + span->offset;
              json_len = (int)span->length;
            }
          else
            {
              gsize length;

              json_generator_set_root (gen, data_node);
              json = generated = json_generator_to_data (gen, &length);
              json_len = (int)length;
            }
        }

      if (strcmp (entity, "incident") == 0)
        {
          FqIncidentRec *rec;

          if (del)
            {
              sqlite3_bind_text (st.inc_del, 1, id, -1, SQLITE_STATIC);
              sqlite3_bind_text (st.incj_del, 1, id, -1, SQLITE_STATIC);
              ok = step_done (st.inc_del) && step_done (st.incj_del);
              rec = g_new0 (FqIncidentRec, 1);
              rec->id = g_strdup (id);
              rec->deleted = TRUE;
            }
          else if ((rec = fq_incident_rec_from_json (obj)) != NULL)
            ok = store_incident (&st, rec, json, json_len);
          if (rec != NULL)
            g_ptr_array_add (batch->incidents, rec);
        }
      else if (strcmp (entity, "ticket") == 0)
        {
          FqTicketRec *rec;

          if (del)
            {
              sqlite3_bind_text (st.tic_del, 1, id, -1, SQLITE_STATIC);
              ok = step_done (st.tic_del);
              rec = g_new0 (FqTicketRec, 1);
              rec->id = g_strdup (id);
              rec->deleted = TRUE;
            }
          else if ((rec = fq_ticket_rec_from_json (obj)) != NULL)
            ok = store_ticket (&st, rec, json, json_len);
          if (rec != NULL)
            g_ptr_array_add (batch->tickets, rec);
        }
      else if (strcmp (entity, "event") == 0)
        {
          if (del)
            {
              sqlite3_bind_text (st.ev_del, 1, id, -1, SQLITE_STATIC);
              ok = step_done (st.ev_del);
            }
          else
            {
              sqlite3_bind_text (st.ev_put, 1, id, -1, SQLITE_STATIC);
              bind_text_or_null (st.ev_put, 2, jstr (obj, "ticket"));
              sqlite3_bind_int64 (st.ev_put, 3, fq_cache_parse_time (jstr (obj, "at")));
              sqlite3_bind_text (st.ev_put, 4, json, json_len, SQLITE_STATIC);
              ok = step_done (st.ev_put);
            }
        }
      else
        {
          if (del)
            {
              sqlite3_bind_text (st.rec_del, 1, entity, -1, SQLITE_STATIC);
              sqlite3_bind_text (st.rec_del, 2, id, -1, SQLITE_STATIC);
              ok = step_done (st.rec_del);
            }
          else
            {
              sqlite3_bind_text (st.rec_put, 1, entity, -1, SQLITE_STATIC);
              sqlite3_bind_text (st.rec_put, 2, id, -1, SQLITE_STATIC);
              sqlite3_bind_text (st.rec_put, 3, json, json_len, SQLITE_STATIC);
              ok = step_done (st.rec_put);
            }
          if (ref_index (entity) >= 0)
            batch->ref_changed = TRUE;
        }

      if (!ok)
        {
          set_sqlite_error (error, db, "Cannot store a change");
          sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
          statements_finalize (&st);
          sqlite3_finalize (meta);
          return NULL;
        }

      {
        FqChangeRef *ref = g_new0 (FqChangeRef, 1);

        ref->entity = g_strdup (entity);
        ref->id = g_strdup (id);
        /* Only what the main thread keeps in memory travels with its data:
         * the reference data, and the sessions the outbox sees its writes
         * come back in (fq-outbox.c). An event's data would only be freed
         * there, and a first fill brings a year of them. */
        if (obj != NULL && (ref_index (entity) >= 0 || strcmp (entity, "session") == 0))
          ref->data = parse_object (json, json_len);
        g_ptr_array_add (batch->others, ref);
      }
    }

  if (ad->last_seq > max_seq)
    max_seq = ad->last_seq;
  sqlite3_bind_int64 (meta, 1, max_seq);
  if (!step_done (meta) || sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, db, "Cannot commit changes");
      sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
      statements_finalize (&st);
      sqlite3_finalize (meta);
      return NULL;
    }

  statements_finalize (&st);
  sqlite3_finalize (meta);

  if (batch->first_seq == G_MAXINT64)
    batch->first_seq = 0;
  batch->last_seq = max_seq;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &cpu_end);
  g_debug ("Stored %u changes in %.0f ms (%.0f ms CPU)", n, (g_get_monotonic_time () - start) / 1000.0,
           ((cpu_end.tv_sec - cpu_start.tv_sec) * 1e9 + (cpu_end.tv_nsec - cpu_start.tv_nsec)) / 1e6);

  /* Nothing of the page is shared with the batch (the data that travels
   * with it was parsed again from its text): json-glib's reference counts
   * are not atomic, so the page must be this thread's alone to hand over. */
  if (ad->changes != NULL)
    dispose_page (g_steal_pointer (&ad->changes));

  return g_steal_pointer (&batch);
}

static gpointer
checkpoint_job (sqlite3       *db,
                gpointer       data,
                GCancellable  *cancellable,
                GError       **error)
{
  sqlite3_stmt *stmt = NULL;
  int wal_pages = 0;

  /* A passive checkpoint never waits for readers; the WAL file is reused
   * from its start once everything in it is in the database. */
  if (sqlite3_prepare_v2 (db, "PRAGMA wal_checkpoint(PASSIVE)", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    wal_pages = sqlite3_column_int (stmt, 1);
  sqlite3_finalize (stmt);
  g_debug ("Checkpoint of %d WAL pages", wal_pages);
  return NULL;
}

static void
apply_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  FqCache *self = FQ_CACHE (object);
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(FqCacheBatch) batch = NULL;

  batch = g_task_propagate_pointer (G_TASK (result), &error);
  if (batch == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  for (guint i = 0; i < batch->others->len; i++)
    {
      FqChangeRef *ref = g_ptr_array_index (batch->others, i);
      int idx = ref_index (ref->entity);

      if (idx < 0 || self->refs[idx] == NULL)
        continue;
      if (ref->data != NULL)
        g_hash_table_replace (self->refs[idx], g_strdup (ref->id), json_object_ref (ref->data));
      else
        g_hash_table_remove (self->refs[idx], ref->id);
    }

  if (batch->last_seq != self->last_seq)
    {
      self->last_seq = batch->last_seq;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SEQ]);
    }

  push_job (self, checkpoint_job, NULL, NULL, NULL, NULL);

  if (batch->others->len > 0)
    {
      g_signal_emit (self, signals[RECORDS_CHANGED], 0, batch);

      for (guint i = 0; i < batch->others->len; i++)
        {
          FqChangeRef *ref = g_ptr_array_index (batch->others, i);

          g_signal_emit (self, signals[RECORD_CHANGED], g_quark_from_string (ref->entity),
                         ref->entity, ref->id);
        }
    }

  g_task_return_boolean (task, TRUE);
}

void
fq_cache_set_filling (FqCache  *self,
                      gboolean  filling)
{
  g_return_if_fail (FQ_IS_CACHE (self));

  self->filling = !!filling;
}

void
fq_cache_apply_changes_async (FqCache             *self,
                              JsonArray           *changes,
                              gint64               last_seq,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  fq_cache_apply_page_async (self, changes, NULL, last_seq, cancellable, callback, user_data);
}

void
fq_cache_apply_page_async (FqCache             *self,
                           JsonArray           *changes,
                           GBytes              *page,
                           gint64               last_seq,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task;
  GTask *inner;
  ApplyData *ad;

  g_return_if_fail (FQ_IS_CACHE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fq_cache_apply_changes_async);

  ad = g_new0 (ApplyData, 1);
  ad->changes = changes;
  ad->page = page != NULL ? g_bytes_ref (page) : NULL;
  ad->last_seq = last_seq;
  ad->filling = self->filling;

  /* Not cancellable once queued: a half-applied sequence of batches would
   * leave last-seq and the models out of step. */
  inner = g_task_new (self, NULL, apply_cb, task);
  push_job (self, apply_job, ad, (GDestroyNotify)apply_data_free,
            (GDestroyNotify)fq_cache_batch_unref, inner);
}

gboolean
fq_cache_apply_changes_finish (FqCache       *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (FQ_IS_CACHE (self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- reset -------------------------------------------------------------- */

/* Collects the ids of one table into the batch as deletions. */
static gboolean
collect_deleted (sqlite3      *db,
                 const char   *sql,
                 FqCacheBatch *batch,
                 const char   *kind)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return FALSE;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *entity = kind != NULL ? kind : (const char *)sqlite3_column_text (stmt, 1);
      const char *id = (const char *)sqlite3_column_text (stmt, 0);
      FqChangeRef *ref;

      if (id == NULL || entity == NULL)
        continue;
      if (g_strcmp0 (entity, "incident") == 0)
        {
          FqIncidentRec *rec = g_new0 (FqIncidentRec, 1);

          rec->id = g_strdup (id);
          rec->deleted = TRUE;
          g_ptr_array_add (batch->incidents, rec);
        }
      else if (g_strcmp0 (entity, "ticket") == 0)
        {
          FqTicketRec *rec = g_new0 (FqTicketRec, 1);

          rec->id = g_strdup (id);
          rec->deleted = TRUE;
          g_ptr_array_add (batch->tickets, rec);
        }
      else if (ref_index (entity) >= 0)
        batch->ref_changed = TRUE;

      ref = g_new0 (FqChangeRef, 1);
      ref->entity = g_strdup (entity);
      ref->id = g_strdup (id);
      g_ptr_array_add (batch->others, ref);
    }
  sqlite3_finalize (stmt);
  return TRUE;
}

static gpointer
reset_job (sqlite3       *db,
           gpointer       data,
           GCancellable  *cancellable,
           GError       **error)
{
  const char *epoch = data;
  g_autoptr(FqCacheBatch) batch = batch_new ();
  sqlite3_stmt *stmt = NULL;
  gboolean ok;

  if (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, db, "Cannot empty the cache");
      return NULL;
    }

  ok = collect_deleted (db, "SELECT id FROM incidents", batch, "incident") &&
       collect_deleted (db, "SELECT id FROM tickets", batch, "ticket") &&
       collect_deleted (db, "SELECT id FROM events", batch, "event") &&
       collect_deleted (db, "SELECT id, entity FROM records", batch, NULL) &&
       sqlite3_exec (db,
                     "DELETE FROM incidents; DELETE FROM incident_json; DELETE FROM tickets;"
                     "DELETE FROM events; DELETE FROM records;"
                     "UPDATE meta SET value = 0 WHERE key = 'last_seq';",
                     NULL, NULL, NULL) == SQLITE_OK &&
       sqlite3_prepare_v2 (db, "INSERT OR REPLACE INTO meta (key, value)"
                               " VALUES ('server_epoch', ?)",
                           -1, &stmt, NULL) == SQLITE_OK;
  if (ok)
    {
      if (epoch != NULL)
        sqlite3_bind_text (stmt, 1, epoch, -1, SQLITE_STATIC);
      ok = sqlite3_step (stmt) == SQLITE_DONE;
    }
  sqlite3_finalize (stmt);

  if (!ok || sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, db, "Cannot empty the cache");
      sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
      return NULL;
    }

  batch->first_seq = 0;
  batch->last_seq = 0;
  return g_steal_pointer (&batch);
}

void
fq_cache_reset_async (FqCache             *self,
                      const char          *server_epoch,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  GTask *task;
  GTask *inner;

  g_return_if_fail (FQ_IS_CACHE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fq_cache_reset_async);

  /* Finished like a batch of changes: the models delete their rows, the
   * reference tables empty, last-seq goes back to 0. */
  inner = g_task_new (self, NULL, apply_cb, task);
  push_job (self, reset_job, g_strdup (server_epoch), g_free,
            (GDestroyNotify)fq_cache_batch_unref, inner);
}

gboolean
fq_cache_reset_finish (FqCache       *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (FQ_IS_CACHE (self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- reads ------------------------------------------------------------- */

typedef struct
{
  char *entity;
  char *id;
} RecordQuery;

static void
record_query_free (RecordQuery *q)
{
  g_free (q->entity);
  g_free (q->id);
  g_free (q);
}


static const char *
table_for (const char *entity)
{
  if (g_strcmp0 (entity, "incident") == 0)
    return "incident_json";
  if (g_strcmp0 (entity, "ticket") == 0)
    return "tickets";
  if (g_strcmp0 (entity, "event") == 0)
    return "events";
  return NULL;
}

static gpointer
get_record_job (sqlite3       *db,
                gpointer       data,
                GCancellable  *cancellable,
                GError       **error)
{
  RecordQuery *q = data;
  const char *table = table_for (q->entity);
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt = NULL;
  JsonObject *obj = NULL;

  if (table != NULL)
    sql = g_strdup_printf ("SELECT json FROM %s WHERE id = ?1", table);
  else
    sql = g_strdup ("SELECT json FROM records WHERE id = ?1 AND entity = ?2");

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, db, "Cannot read the cache");
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, q->id, -1, SQLITE_STATIC);
  if (table == NULL)
    sqlite3_bind_text (stmt, 2, q->entity, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    obj = parse_object ((const char *)sqlite3_column_text (stmt, 0), -1);
  sqlite3_finalize (stmt);

  if (obj == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No %s %s in the cache",
                 q->entity, q->id);
  return obj;
}

void
fq_cache_get_record_async (FqCache             *self,
                           const char          *entity,
                           const char          *id,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  RecordQuery *q;
  GTask *task;

  g_return_if_fail (FQ_IS_CACHE (self));
  g_return_if_fail (entity != NULL && id != NULL);

  q = g_new0 (RecordQuery, 1);
  q->entity = g_strdup (entity);
  q->id = g_strdup (id);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fq_cache_get_record_async);
  push_job (self, get_record_job, q, (GDestroyNotify)record_query_free,
            (GDestroyNotify)json_object_unref, task);
}

JsonObject *
fq_cache_get_record_finish (FqCache       *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (FQ_IS_CACHE (self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gpointer
list_records_job (sqlite3       *db,
                  gpointer       data,
                  GCancellable  *cancellable,
                  GError       **error)
{
  RecordQuery *q = data;
  const char *table = table_for (q->entity);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify)json_object_unref);
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt = NULL;

  if (g_strcmp0 (q->entity, "event") == 0 && q->id != NULL)
    sql = g_strdup ("SELECT json FROM events WHERE ticket = ?1 ORDER BY at, id");
  else if (table != NULL)
    sql = g_strdup_printf ("SELECT json FROM %s ORDER BY id", table);
  else
    sql = g_strdup ("SELECT json FROM records WHERE entity = ?1 ORDER BY id");

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, db, "Cannot read the cache");
      return NULL;
    }
  if (g_strcmp0 (q->entity, "event") == 0 && q->id != NULL)
    sqlite3_bind_text (stmt, 1, q->id, -1, SQLITE_STATIC);
  else if (table == NULL)
    sqlite3_bind_text (stmt, 1, q->entity, -1, SQLITE_STATIC);

  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      JsonObject *obj = parse_object ((const char *)sqlite3_column_text (stmt, 0), -1);

      if (obj != NULL)
        g_ptr_array_add (out, obj);
      if (g_cancellable_is_cancelled (cancellable))
        break;
    }
  sqlite3_finalize (stmt);
  return g_steal_pointer (&out);
}

void
fq_cache_list_records_async (FqCache             *self,
                             const char          *entity,
                             const char          *ticket_id,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  RecordQuery *q;
  GTask *task;

  g_return_if_fail (FQ_IS_CACHE (self));
  g_return_if_fail (entity != NULL);

  q = g_new0 (RecordQuery, 1);
  q->entity = g_strdup (entity);
  q->id = g_strdup (ticket_id);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fq_cache_list_records_async);
  push_job (self, list_records_job, q, (GDestroyNotify)record_query_free,
            (GDestroyNotify)g_ptr_array_unref, task);
}

GPtrArray *
fq_cache_list_records_finish (FqCache       *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (FQ_IS_CACHE (self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- outbox storage ---------------------------------------------------- */

static FqOutboxRec *
outbox_rec_copy (const FqOutboxRec *rec)
{
  FqOutboxRec *copy = g_new0 (FqOutboxRec, 1);

  copy->key = g_strdup (rec->key);
  copy->position = rec->position;
  copy->method = g_strdup (rec->method);
  copy->path = g_strdup (rec->path);
  copy->body = g_strdup (rec->body);
  copy->entity = g_strdup (rec->entity);
  copy->entity_id = g_strdup (rec->entity_id);
  copy->label = g_strdup (rec->label);
  copy->created_at = rec->created_at;
  return copy;
}

static gpointer
outbox_put_job (sqlite3       *db,
                gpointer       data,
                GCancellable  *cancellable,
                GError       **error)
{
  FqOutboxRec *rec = data;
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, "INSERT OR REPLACE INTO outbox (key, position, method, path, body,"
                          " entity, entity_id, label, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                          -1, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, db, "Cannot store a write");
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, rec->key, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, rec->position);
  sqlite3_bind_text (stmt, 3, rec->method, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, rec->path, -1, SQLITE_STATIC);
  bind_text_or_null (stmt, 5, rec->body);
  bind_text_or_null (stmt, 6, rec->entity);
  bind_text_or_null (stmt, 7, rec->entity_id);
  bind_text_or_null (stmt, 8, rec->label);
  sqlite3_bind_int64 (stmt, 9, rec->created_at);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    set_sqlite_error (error, db, "Cannot store a write");
  sqlite3_finalize (stmt);
  return NULL;
}

void
fq_cache_outbox_put (FqCache           *self,
                     const FqOutboxRec *rec)
{
  g_return_if_fail (FQ_IS_CACHE (self));
  push_job (self, outbox_put_job, outbox_rec_copy (rec), (GDestroyNotify)fq_outbox_rec_free,
            NULL, NULL);
}

static gpointer
outbox_remove_job (sqlite3       *db,
                   gpointer       data,
                   GCancellable  *cancellable,
                   GError       **error)
{
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, "DELETE FROM outbox WHERE key = ?", -1, &stmt, NULL) == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, data, -1, SQLITE_STATIC);
      sqlite3_step (stmt);
    }
  sqlite3_finalize (stmt);
  return NULL;
}

void
fq_cache_outbox_remove (FqCache    *self,
                        const char *key)
{
  g_return_if_fail (FQ_IS_CACHE (self));
  push_job (self, outbox_remove_job, g_strdup (key), g_free, NULL, NULL);
}

static char *
column_dup (sqlite3_stmt *stmt,
            int           col)
{
  return g_strdup ((const char *)sqlite3_column_text (stmt, col));
}

static gpointer
outbox_load_job (sqlite3       *db,
                 gpointer       data,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify)fq_outbox_rec_free);
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db, "SELECT key, position, method, path, body, entity, entity_id,"
                          " label, created_at FROM outbox ORDER BY position", -1,
                          &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, db, "Cannot read the outbox");
      return NULL;
    }
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      FqOutboxRec *rec = g_new0 (FqOutboxRec, 1);

      rec->key = column_dup (stmt, 0);
      rec->position = sqlite3_column_int64 (stmt, 1);
      rec->method = column_dup (stmt, 2);
      rec->path = column_dup (stmt, 3);
      rec->body = column_dup (stmt, 4);
      rec->entity = column_dup (stmt, 5);
      rec->entity_id = column_dup (stmt, 6);
      rec->label = column_dup (stmt, 7);
      rec->created_at = sqlite3_column_int64 (stmt, 8);
      g_ptr_array_add (out, rec);
    }
  sqlite3_finalize (stmt);
  return g_steal_pointer (&out);
}

void
fq_cache_outbox_load_async (FqCache             *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (FQ_IS_CACHE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fq_cache_outbox_load_async);
  push_job (self, outbox_load_job, NULL, NULL, (GDestroyNotify)g_ptr_array_unref, task);
}

GPtrArray *
fq_cache_outbox_load_finish (FqCache       *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (FQ_IS_CACHE (self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- reference data ---------------------------------------------------- */

JsonObject *
fq_cache_lookup_ref (FqCache    *self,
                     const char *entity,
                     const char *id)
{
  int idx;

  g_return_val_if_fail (FQ_IS_CACHE (self), NULL);

  idx = ref_index (entity);
  if (idx < 0 || id == NULL || self->refs[idx] == NULL)
    return NULL;
  return g_hash_table_lookup (self->refs[idx], id);
}

const char *
fq_cache_lookup_ref_name (FqCache    *self,
                          const char *entity,
                          const char *id)
{
  JsonObject *obj;

  if (id == NULL || id[0] == '\0')
    return "";
  obj = fq_cache_lookup_ref (self, entity, id);
  if (obj == NULL)
    return id;
  return fq_json_string_or (obj, "name", id);
}

GStrv
fq_cache_ref_ids_in_group (FqCache    *self,
                           const char *entity,
                           const char *group)
{
  GPtrArray *ids = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, fq_cache_get_ref_table (self, entity));
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (g_strcmp0 (fq_json_string_or (value, "group", NULL), group) == 0)
      g_ptr_array_add (ids, g_strdup (key));
  g_ptr_array_add (ids, NULL);
  return (GStrv)g_ptr_array_free (ids, FALSE);
}

GHashTable *
fq_cache_get_ref_table (FqCache    *self,
                        const char *entity)
{
  int idx;

  g_return_val_if_fail (FQ_IS_CACHE (self), NULL);

  idx = ref_index (entity);
  g_return_val_if_fail (idx >= 0, NULL);
  if (self->refs[idx] == NULL)
    self->refs[idx] = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify)json_object_unref);
  return self->refs[idx];
}

/* ---- object ------------------------------------------------------------ */

void
fq_cache_close (FqCache *self)
{
  Job *job;

  g_return_if_fail (FQ_IS_CACHE (self));

  if (self->worker == NULL)
    return;

  /* Long reads (a model loading a million rows) stop early when their
   * owners cancel them here; queued writes still run. */
  g_signal_emit (self, signals[CLOSING], 0);

  job = g_new0 (Job, 1);
  job->quit = TRUE;
  g_async_queue_push (self->worker->queue, job);
  g_thread_join (g_steal_pointer (&self->thread));

  /* Jobs queued after the quit would never run: fail them. */
  while ((job = g_async_queue_try_pop (self->worker->queue)) != NULL)
    {
      if (job->task != NULL)
        g_task_return_new_error (job->task, G_IO_ERROR, G_IO_ERROR_CLOSED, "The cache is closed");
      job_free (job);
    }

  g_async_queue_unref (self->worker->queue);
  g_free (self->worker->path);
  g_clear_pointer (&self->worker, g_free);

  if (self->is_open)
    {
      self->is_open = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IS_OPEN]);
    }
}

static void
fq_cache_dispose (GObject *object)
{
  FqCache *self = (FqCache *)object;

  fq_cache_close (self);

  G_OBJECT_CLASS (fq_cache_parent_class)->dispose (object);
}

static void
fq_cache_finalize (GObject *object)
{
  FqCache *self = (FqCache *)object;

  for (guint i = 0; i < G_N_ELEMENTS (self->refs); i++)
    g_clear_pointer (&self->refs[i], g_hash_table_unref);
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (fq_cache_parent_class)->finalize (object);
}

static void
fq_cache_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  FqCache *self = FQ_CACHE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_LAST_SEQ:
      g_value_set_int64 (value, self->last_seq);
      break;
    case PROP_IS_OPEN:
      g_value_set_boolean (value, self->is_open);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_cache_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  FqCache *self = FQ_CACHE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_cache_class_init (FqCacheClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fq_cache_dispose;
  object_class->finalize = fq_cache_finalize;
  object_class->get_property = fq_cache_get_property;
  object_class->set_property = fq_cache_set_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_LAST_SEQ] =
    g_param_spec_int64 ("last-seq", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_IS_OPEN] =
    g_param_spec_boolean ("is-open", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[RECORDS_CHANGED] =
    g_signal_new ("records-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[CLOSING] =
    g_signal_new ("closing", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[RECORD_CHANGED] =
    g_signal_new ("record-changed", G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
fq_cache_init (FqCache *self)
{
}

FqCache *
fq_cache_new (const char *path)
{
  g_return_val_if_fail (path != NULL, NULL);

  return g_object_new (FQ_TYPE_CACHE, "path", path, NULL);
}

char *
fq_cache_build_path (const char *server_id,
                     const char *username)
{
  g_autofree char *name = g_strdup_printf ("%s-%s.db", server_id, username);

  return g_build_filename (g_get_user_cache_dir (), "fengqiao", name, NULL);
}

const char *
fq_cache_get_path (FqCache *self)
{
  g_return_val_if_fail (FQ_IS_CACHE (self), NULL);
  return self->path;
}

gboolean
fq_cache_get_is_open (FqCache *self)
{
  g_return_val_if_fail (FQ_IS_CACHE (self), FALSE);
  return self->is_open;
}

gboolean
fq_cache_get_recreated (FqCache *self)
{
  g_return_val_if_fail (FQ_IS_CACHE (self), FALSE);
  return self->recreated;
}

gint64
fq_cache_get_last_seq (FqCache *self)
{
  g_return_val_if_fail (FQ_IS_CACHE (self), 0);
  return self->last_seq;
}
