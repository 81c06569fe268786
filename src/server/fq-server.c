/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Fengqiao-Server"
#define _GNU_SOURCE   /* SCHED_BATCH */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "fq-open311.h"
#include "fq-permissions.h"
#include "fq-server-infra.h"
#include "fq-sla.h"
#include "fq-store.h"
#include "fq-ticket-cache.h"
#include "fq-wal-vfs.h"

/*
 * Threads. The SoupServer and every FqRequest live on the main thread,
 * which never waits on SQLite; the WebSockets of /events on the feed
 * thread (fq-changes.c), so that open feeds cost the main loop nothing. Reads are queued to
 * FQ_N_READERS reader threads, each with its own connection: one lead that
 * takes every read, helpers that step in when it is held up
 * (fq-read-queue.h); a ticket read lately is answered from memory instead
 * (fq-ticket-cache.h), which every completed write empties. Writes are
 * queued to one writer thread, which takes every job waiting in its queue
 * and runs them in one transaction, each inside its own SAVEPOINT: a failing
 * job rolls back alone; its connection writes a transaction's WAL frames
 * with one write() (fq-wal-vfs.h). A sync thread then makes the committed
 * batches durable with one flush of the WAL ("the sync thread" below),
 * while the writer goes on. Only then does a batch go back to the main
 * thread, which runs the completion hooks, pushes the committed changes in
 * seq order and answers the paused messages, in queue order.
 *
 * Finished jobs go back through one queue (done_queue) and one source that
 * the threads make ready: a busy main loop wakes once for many answers
 * instead of once per job. The WAL is copied into the database by a
 * checkpoint thread with its own connection, so that the writer's commits
 * never wait for a checkpoint's writes and fsync. An answer is sent (its
 * socket uncorked) by a flush thread ("the flush thread" below), and a
 * request body over FQ_SERVER_INLINE_BODY_MAX is collected in pieces
 * (body_collect()), joined and parsed by a reader before its handler runs
 * (read_body_and_handle()). Every connection's page
 * cache is SQLite's own behind a wrapper that spares a commit a walk of
 * the whole cache (fq-pcache.h), installed by main().
 */

#define FQ_MAX_BATCH        512
#define FQ_IDEMPOTENCY_MAX  200
/* WAL pages (16 MiB) after which the checkpoint thread is woken: four
 * times SQLite's own threshold, so that a page written by many commits is
 * copied into the database once (a quarter less checkpoint I/O at intake
 * than with 1000). */
#define FQ_CHECKPOINT_PAGES 4000
/* Past that, the thread is woken again only once this many frames more
 * (4 MiB) wait to be copied. Each pass ends with an fsync of the database,
 * and under sustained writes the WAL does not start again until the
 * writer's own pass (wal_hook_cb()): woken after every commit, as the size
 * of the WAL alone would have it, the thread ran a pass and an fsync every
 * few milliseconds, for a few frames each. */
#define FQ_CHECKPOINT_STEP  1000

typedef struct
{
  char          *method;
  char         **segments;
  guint          n_segments;
  FqRouteFlags   flags;
  FqHandlerFunc  handler;
  const FqPermission *permission; /* NULL: in no row of the matrix, refused to all */
} FqRoute;

struct _FqRequest
{
  int                ref_count;
  FqServer          *server;
  SoupServerMessage *msg;
  char              *method;
  char              *path;
  char             **segments;
  guint              n_segments;
  GHashTable        *query;
  JsonObject        *body;
  FqUser            *user;
  char              *remote;
  char              *idempotency_key;
  JsonObject        *error_extra;
  guint              paused : 1;
  guint              responded : 1;
  guint              in_job : 1;
  guint              body_from_reader : 1;  /* a reader parsed (and frees) body */
};

struct _FqConn
{
  sqlite3    *db;
  GHashTable *stmts;   /* SQL text → sqlite3_stmt */
  GHashTable *by_ptr;  /* SQL text's address → sqlite3_stmt, checked by text */
};

struct _FqJob
{
  FqJobKind       kind;
  FqServer       *server;
  FqRequest      *request;
  FqUser         *user;
  FqJobFunc       func;
  gpointer        user_data;
  GDestroyNotify  destroy;
  FqJobDoneFunc   done;
  gpointer        done_data;
  gint64          now;
  FqConn         *conn;

  /* Outcome */
  guint           status;
  JsonNode       *body;
  char           *body_text;
  gsize           body_len;
  GError         *error;
  JsonObject     *error_extra;
  GPtrArray      *changes;     /* FqChange */
  char           *audit_entity;
  char           *audit_entity_id;
  char           *audit_detail;
  GError         *deferred_error; /* a failure inside a helper that returns no GError */
  gboolean        quit;
};

static FqServer *default_server;

/* ---- small helpers ---- */

FqServer *
fq_server_get_default (void)
{
  return default_server;
}

FqCategoryHint *
fq_server_get_category_hint (FqServer *server)
{
  return server->category_hint;
}

FqRefData *
fq_server_get_refdata (FqServer *server)
{
  g_return_val_if_fail (server != NULL, NULL);
  return server->refdata;
}

const FqServerConfig *
fq_server_get_config (FqServer *server)
{
  g_return_val_if_fail (server != NULL, NULL);
  return &server->config;
}

gint64
fq_server_get_accept_limit (FqServer *server)
{
  g_return_val_if_fail (server != NULL, FQ_SLA_DEFAULT_ACCEPT_SECONDS);
  return server->config.accept_limit_seconds > 0 ? server->config.accept_limit_seconds
                                                 : FQ_SLA_DEFAULT_ACCEPT_SECONDS;
}

gint64
fq_server_now (FqServer *server)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

SoupServer *
fq_server_get_soup (FqServer *server)
{
  return server->soup;
}

const char *
fq_server_get_db_path (FqServer *server)
{
  return server->db_path;
}

FqTicketCache *
fq_server_get_ticket_cache (FqServer *server)
{
  g_return_val_if_fail (server != NULL, NULL);
  return server->ticket_cache;
}

gint64
fq_server_get_last_seq (FqServer *server)
{
  return server->last_seq;
}

char *
fq_error_to_json_text (const GError *error,
                       JsonObject   *extra,
                       gsize        *length)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *field = NULL;
  const char *code;

  if (error->domain == FQ_ERROR)
    {
      code = fq_error_code_to_string (error->code);
      field = fq_error_get_field (error);
    }
  else
    code = fq_error_code_to_string (FQ_ERROR_INTERNAL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, error->message);
  if (field != NULL)
    {
      json_builder_set_member_name (builder, "field");
      json_builder_add_string_value (builder, field);
    }
  if (extra != NULL)
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      json_object_iter_init (&iter, extra);
      while (json_object_iter_next (&iter, &name, &value))
        {
          json_builder_set_member_name (builder, name);
          json_builder_add_value (builder, json_node_copy (value));
        }
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  return fq_json_to_string (root, length);
}

static guint
error_status (const GError *error)
{
  if (error->domain == FQ_ERROR)
    return fq_error_code_to_status (error->code);
  return SOUP_STATUS_INTERNAL_SERVER_ERROR;
}

static void
set_extra (JsonObject **extra,
           const char  *member,
           JsonNode    *value)
{
  if (*extra == NULL)
    *extra = json_object_new ();
  json_object_set_member (*extra, member, value);
}

/* ---- connections and statement caches ---- */

static void
stmt_finalize (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

static FqConn *
conn_new (sqlite3 *db)
{
  FqConn *conn = g_new0 (FqConn, 1);

  conn->db = db;
  conn->stmts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       stmt_finalize);
  conn->by_ptr = g_hash_table_new (NULL, NULL);
  return conn;
}

static void
conn_free (FqConn *conn)
{
  if (conn == NULL)
    return;
  g_hash_table_destroy (conn->by_ptr);
  g_hash_table_destroy (conn->stmts);
  fq_store_close (conn->db);
  g_free (conn);
}

static sqlite3_stmt *
conn_prepare (FqConn      *conn,
              const char  *sql,
              GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  /* Most SQL texts are static strings: found by their address first, which
   * spares hashing a long statement on every call; the text is compared
   * all the same, since a freed string's address may come back. */
  stmt = g_hash_table_lookup (conn->by_ptr, sql);
  if (stmt == NULL || strcmp (sqlite3_sql (stmt), sql) != 0)
    {
      stmt = g_hash_table_lookup (conn->stmts, sql);
      if (stmt != NULL)
        g_hash_table_replace (conn->by_ptr, (gpointer)sql, stmt);
    }
  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }

  rc = sqlite3_prepare_v3 (conn->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL, "database error: %s (in: %s)",
                   sqlite3_errmsg (conn->db), sql);
      return NULL;
    }
  g_hash_table_insert (conn->stmts, g_strdup (sql), stmt);
  g_hash_table_replace (conn->by_ptr, (gpointer)sql, stmt);
  return stmt;
}

/* The transaction statements the writer runs for every batch and every
 * job, prepared once: sqlite3_exec() would parse them each time. */
static gboolean
conn_exec_cached (FqConn      *conn,
                  const char  *sql,
                  GError     **error)
{
  sqlite3_stmt *stmt = conn_prepare (conn, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  return fq_store_check (conn->db, rc, error);
}

/* ---- requests ---- */

FqRequest *
fq_request_ref (FqRequest *request)
{
  request->ref_count++;
  return request;
}

static void
request_finish_unanswered (FqRequest *request)
{
  g_autoptr(GError) error = NULL;

  g_warning ("%s %s finished without an answer", request->method, request->path);
  g_set_error (&error, FQ_ERROR, FQ_ERROR_INTERNAL, "the server did not answer this request");
  fq_request_respond_error (request, error);
}

static void garbage_bin_add_now (FqGarbageBin   *bin,
                                 gpointer        data,
                                 GDestroyNotify  free_func);

void
fq_request_unref (FqRequest *request)
{
  g_assert (request->ref_count > 0);

  if (request->ref_count == 1 && !request->responded)
    request_finish_unanswered (request);

  if (--request->ref_count > 0)
    return;

  g_clear_object (&request->msg);
  g_free (request->method);
  g_free (request->path);
  g_strfreev (request->segments);
  g_clear_pointer (&request->query, g_hash_table_unref);
  /* A large tree, which a reader made (read_body_and_handle()): freed
   * here, it held the loop for 55 ms after bench-server's import, a fifth
   * of its parsing. */
  if (request->body_from_reader)
    garbage_bin_add_now (request->server->garbage, g_steal_pointer (&request->body),
                         (GDestroyNotify)json_object_unref);
  g_clear_pointer (&request->body, json_object_unref);
  g_clear_pointer (&request->user, fq_user_free);
  g_free (request->remote);
  g_free (request->idempotency_key);
  g_clear_pointer (&request->error_extra, json_object_unref);
  g_free (request);
}

FqServer *
fq_request_get_server (FqRequest *request)
{
  return request->server;
}

const FqUser *
fq_request_get_user (FqRequest *request)
{
  return request->user;
}

const char *
fq_request_get_method (FqRequest *request)
{
  return request->method;
}

const char *
fq_request_get_path (FqRequest *request)
{
  return request->path;
}

const char *
fq_request_get_segment (FqRequest *request,
                        guint      index)
{
  if (index >= request->n_segments)
    return NULL;
  return request->segments[index];
}

const char *
fq_request_get_query (FqRequest  *request,
                      const char *name)
{
  if (request->query == NULL)
    return NULL;
  return g_hash_table_lookup (request->query, name);
}

JsonObject *
fq_request_get_body (FqRequest *request)
{
  return request->body;
}

const char *
fq_request_get_remote_address (FqRequest *request)
{
  /* Written as text only when asked: most requests are reads, which no
   * audit row records (2,300 instructions per GET, callgrind). */
  if (request->remote == NULL)
    request->remote = g_strdup (soup_server_message_get_remote_host (request->msg));
  return request->remote;
}

const char *
fq_request_get_header (FqRequest  *request,
                       const char *name)
{
  if (request->msg == NULL)
    return NULL;
  return soup_message_headers_get_one (soup_server_message_get_request_headers (request->msg),
                                       name);
}

void
fq_request_pause (FqRequest *request)
{
  if (!request->paused && !request->responded)
    {
      request->paused = TRUE;
      soup_server_message_pause (request->msg);
    }
}

void
fq_request_set_login_user (FqRequest    *request,
                           const FqUser *user)
{
  /* Copied first: @user may be the request's own (fq_request_get_user). */
  FqUser *copy = fq_user_copy (user);

  g_clear_pointer (&request->user, fq_user_free);
  request->user = copy;
  g_clear_pointer (&request->idempotency_key, g_free);
}

/* ---- blocks the readers allocated, freed by a reader ---- */

/*
 * glibc's malloc gives each thread an arena of its own, and free() of a
 * block from another thread's arena takes that arena's lock. What a reader
 * allocates and the main thread lets go of (the text of an answer, once
 * libsoup has sent it; a detail the ticket cache drops) had the main thread
 * sleep on that lock while the reader held it for its own malloc() and
 * free(). Measured with perf (sched_switch) while 50 connections read
 * 10,000 tickets once each: 44 % of the main thread's context switches
 * were such sleeps, in those two frees.
 *
 * So the main thread gathers such blocks into a bin and hands each full
 * batch to a reader, as a job of its own, which frees them there (one job
 * for about 32 reads). With it, those sleeps went from 1,046 to 12 in two
 * seconds of the same load; in alternating runs of bench-server (three
 * pairs, eight rounds each), requests/s went from 14,700 to 17,500 and the
 * p99 from 6.7 to 5.8 ms (medians).
 *
 * A stopped server has no readers: what comes back then is freed at once.
 * An answer may outlive the server (libsoup finalizes its messages when it
 * likes), hence the reference count.
 */

#define GARBAGE_BATCH 64

typedef struct
{
  gpointer       data;
  GDestroyNotify free_func;
} Garbage;

struct _FqGarbageBin
{
  grefcount  ref;
  FqServer  *server;  /* NULL once the server has stopped */
  GArray    *items;   /* Garbage; NULL when empty */
};

static void
garbage_free_all (GArray *items)
{
  for (guint i = 0; i < items->len; i++)
    {
      Garbage *item = &g_array_index (items, Garbage, i);

      item->free_func (item->data);
    }
  g_array_set_size (items, 0);
}

/* A reader frees the batch; the main thread frees the array it made. */
static gboolean
garbage_job (FqJob     *job,
             gpointer   user_data,
             GError   **error)
{
  garbage_free_all (user_data);
  return TRUE;
}

/* After the job, on the main thread: the array, which was made here, and
 * the blocks if the job never ran (the server stopped first). */
static void
garbage_batch_free (gpointer data)
{
  GArray *items = data;

  garbage_free_all (items);
  g_array_unref (items);
}

static FqGarbageBin *
garbage_bin_new (FqServer *server)
{
  FqGarbageBin *bin = g_new0 (FqGarbageBin, 1);

  g_ref_count_init (&bin->ref);
  bin->server = server;
  return bin;
}

static FqGarbageBin *
garbage_bin_ref (FqGarbageBin *bin)
{
  g_ref_count_inc (&bin->ref);
  return bin;
}

/* Frees what the bin holds, on this thread, and keeps nothing from now on:
 * the server has stopped. */
static void
garbage_bin_close (FqGarbageBin *bin)
{
  bin->server = NULL;
  if (bin->items != NULL)
    garbage_batch_free (g_steal_pointer (&bin->items));
}

static void
garbage_bin_unref (FqGarbageBin *bin)
{
  if (g_ref_count_dec (&bin->ref))
    {
      garbage_bin_close (bin);
      g_free (bin);
    }
}

/* Main thread: hands what the bin holds to a reader now. */
static void
garbage_bin_flush (FqGarbageBin *bin)
{
  if (bin->items == NULL)
    return;
  fq_server_run_job (bin->server, FQ_JOB_READ, NULL, garbage_job,
                     g_steal_pointer (&bin->items), garbage_batch_free, NULL, NULL);
}

/* Main thread: @data, allocated by a reader, is to be freed with
 * @free_func by a reader. */
static void
garbage_bin_add (FqGarbageBin   *bin,
                 gpointer        data,
                 GDestroyNotify  free_func)
{
  Garbage item = { data, free_func };

  if (data == NULL)
    return;
  if (bin->server == NULL || bin->server->stopping)
    {
      free_func (data);
      return;
    }
  if (bin->items == NULL)
    bin->items = g_array_sized_new (FALSE, FALSE, sizeof (Garbage), GARBAGE_BATCH);
  g_array_append_val (bin->items, item);
  if (bin->items->len >= GARBAGE_BATCH)
    garbage_bin_flush (bin);
}

/* garbage_bin_add(), the batch handed over at once rather than when full:
 * for something of megabytes. */
static void
garbage_bin_add_now (FqGarbageBin   *bin,
                     gpointer        data,
                     GDestroyNotify  free_func)
{
  garbage_bin_add (bin, data, free_func);
  garbage_bin_flush (bin);
}

/* The ticket cache lets go of a detail, which a reader read. */
static void
dispose_detail (FqTicketDetail *detail,
                gpointer        data)
{
  FqServer *server = data;

  garbage_bin_add (server->garbage, detail, (GDestroyNotify)fq_ticket_detail_free);
}

/* The text of an answer a reader wrote, held by libsoup until sent. */
typedef struct
{
  FqGarbageBin *bin;
  char         *text;
} ReaderText;

static void
reader_text_free (gpointer data)
{
  ReaderText *reader_text = data;

  garbage_bin_add (reader_text->bin, reader_text->text, g_free);
  garbage_bin_unref (reader_text->bin);
  g_free (reader_text);
}

/* One segment per answer. libsoup sends the head of an answer and its body
 * with a send() each, on a socket with TCP_NODELAY: two segments, and a
 * client that wakes for the head only to wait again for the body. Corked
 * from the moment the answer is set until libsoup has written all of it
 * (request-finished), the two leave together; a body larger than a
 * segment goes out in full segments meanwhile. The kernel sends what a
 * cork holds after 200 ms at most, should an uncork ever be missed. */
static void
socket_set_cork (GSocket  *socket,
                 gboolean  cork)
{
  if (socket != NULL && !g_socket_is_closed (socket))
    g_socket_set_option (socket, IPPROTO_TCP, TCP_CORK, cork, NULL);
}

/* Answers @request with @text (taken); @from_reader: a reader allocated it. */
static void
respond_text (FqRequest *request,
              guint      status,
              char      *text,
              gsize      length,
              gboolean   from_reader)
{
  SoupMessageHeaders *headers;

  g_return_if_fail (request != NULL);

  if (request->responded)
    {
      g_critical ("%s %s answered twice", request->method, request->path);
      g_free (text);
      return;
    }
  request->responded = TRUE;

  socket_set_cork (soup_server_message_get_socket (request->msg), TRUE);
  headers = soup_server_message_get_response_headers (request->msg);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_server_message_set_status (request->msg, status, NULL);
  if (text != NULL && from_reader)
    {
      ReaderText *reader_text = g_new (ReaderText, 1);
      g_autoptr(GBytes) bytes = NULL;

      reader_text->bin = garbage_bin_ref (request->server->garbage);
      reader_text->text = text;
      bytes = g_bytes_new_with_free_func (text, length, reader_text_free, reader_text);
      soup_message_headers_replace (headers, "Content-Type", "application/json");
      soup_message_body_truncate (soup_server_message_get_response_body (request->msg));
      soup_message_body_append_bytes (soup_server_message_get_response_body (request->msg),
                                      bytes);
    }
  else if (text != NULL)
    soup_server_message_set_response (request->msg, "application/json",
                                      SOUP_MEMORY_TAKE, text, length);
  else
    soup_server_message_set_response (request->msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);

  if (request->paused)
    {
      request->paused = FALSE;
      /* A connection closed meanwhile (at shutdown, soup_server_disconnect()
       * closes them all) has no socket any more, nor the I/O that an unpause
       * would restart: there is nobody left to answer. */
      if (soup_server_message_get_socket (request->msg) != NULL)
        soup_server_message_unpause (request->msg);
    }
}

void
fq_request_respond_text (FqRequest *request,
                         guint      status,
                         char      *text,
                         gsize      length)
{
  respond_text (request, status, text, length, FALSE);
}

void
fq_request_respond (FqRequest *request,
                    guint      status,
                    JsonNode  *body)
{
  g_autoptr(JsonNode) owned = body;
  char *text = NULL;
  gsize length = 0;

  /* Answers made without a job (/me, /users) are masked as in
   * fq_job_respond() (fq-privacy.c). */
  owned = fq_privacy_mask_node (request->user, owned);
  if (owned != NULL)
    text = fq_json_to_string (owned, &length);
  fq_request_respond_text (request, status, text, length);
}

/* @text (JSON, taken) with the phones @user may not read masked. */
static char *
mask_phones_in_text (const FqUser *user,
                     char         *text,
                     gsize        *length)
{
  char *masked = NULL;

  if (text != NULL && !fq_user_sees_phones (user))
    masked = fq_privacy_mask_text (text);
  if (masked != NULL)
    {
      g_free (text);
      text = masked;
      *length = strlen (text);
    }
  return text;
}

void
fq_request_respond_json_text (FqRequest *request,
                              guint      status,
                              char      *text,
                              gsize      length)
{
  text = mask_phones_in_text (request->user, text, &length);
  fq_request_respond_text (request, status, text, length);
}

void
fq_request_set_error_extra (FqRequest  *request,
                            const char *member,
                            JsonNode   *value)
{
  set_extra (&request->error_extra, member, value);
}

void
fq_request_respond_error (FqRequest    *request,
                          const GError *error)
{
  char *text;
  gsize length;

  text = fq_error_to_json_text (error, request->error_extra, &length);
  if (error->domain == FQ_ERROR && error->code == FQ_ERROR_UNAUTHENTICATED)
    soup_message_headers_replace (soup_server_message_get_response_headers (request->msg),
                                  "WWW-Authenticate", "Bearer realm=\"fengqiao\"");
  fq_request_respond_text (request, error_status (error), text, length);
}

static void
respond_error_literal (FqRequest   *request,
                       FqErrorCode  code,
                       const char  *field,
                       const char  *message)
{
  g_autoptr(GError) error = NULL;

  if (field != NULL)
    fq_set_field_error (&error, code, field, "%s", message);
  else
    g_set_error_literal (&error, FQ_ERROR, code, message);
  fq_request_respond_error (request, error);
}

gboolean
fq_request_require_role (FqRequest *request,
                         guint      roles)
{
  if (request->user != NULL && (FQ_ROLE_BIT (request->user->role) & roles) != 0)
    return TRUE;

  respond_error_literal (request, FQ_ERROR_FORBIDDEN, NULL,
                         "your role may not do this");
  return FALSE;
}

gboolean
fq_request_get_limit (FqRequest  *request,
                      guint      *limit,
                      GError    **error)
{
  const char *text = fq_request_get_query (request, "limit");
  guint64 value;

  *limit = 100;
  if (text == NULL)
    return TRUE;

  if (!g_ascii_string_to_unsigned (text, 10, 1, 1000, &value, NULL))
    {
      fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, "limit",
                          "must be a whole number from 1 to 1000");
      return FALSE;
    }
  *limit = (guint)value;
  return TRUE;
}

gboolean
fq_request_get_time_param (FqRequest   *request,
                           const char  *name,
                           gint64      *out,
                           GError     **error)
{
  const char *text = fq_request_get_query (request, name);

  *out = 0;
  if (text == NULL)
    return TRUE;

  if (!fq_time_parse (text, out))
    {
      fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, name, "not an RFC 3339 time");
      return FALSE;
    }
  return TRUE;
}

/* ---- jobs ---- */

static FqJob *
job_new (FqServer       *server,
         FqJobKind       kind,
         const FqUser   *user,
         FqJobFunc       func,
         gpointer        user_data,
         GDestroyNotify  destroy)
{
  FqJob *job = g_new0 (FqJob, 1);

  job->kind = kind;
  job->server = server;
  job->user = fq_user_copy (user);
  job->func = func;
  job->user_data = user_data;
  job->destroy = destroy;
  return job;
}

static void
job_free (FqJob *job)
{
  if (job->destroy != NULL)
    job->destroy (job->user_data);
  g_clear_pointer (&job->request, fq_request_unref);
  g_clear_pointer (&job->user, fq_user_free);
  g_clear_pointer (&job->body, json_node_unref);
  g_free (job->body_text);
  g_clear_error (&job->error);
  g_clear_pointer (&job->error_extra, json_object_unref);
  g_clear_pointer (&job->changes, g_ptr_array_unref);
  g_free (job->audit_entity);
  g_free (job->audit_entity_id);
  g_free (job->audit_detail);
  g_clear_error (&job->deferred_error);
  g_free (job);
}

sqlite3 *
fq_job_get_db (FqJob *job)
{
  return job->conn->db;
}

FqRequest *
fq_job_get_request (FqJob *job)
{
  return job->request;
}

const FqUser *
fq_job_get_user (FqJob *job)
{
  return job->user;
}

FqServer *
fq_job_get_server (FqJob *job)
{
  return job->server;
}

FqRefData *
fq_job_get_refdata (FqJob *job)
{
  return job->server->refdata;
}

gint64
fq_job_now (FqJob *job)
{
  return job->now;
}

gint64
fq_job_get_accept_limit (FqJob *job)
{
  return fq_server_get_accept_limit (fq_job_get_server (job));
}

sqlite3_stmt *
fq_job_prepare (FqJob       *job,
                const char  *sql,
                GError     **error)
{
  return conn_prepare (job->conn, sql, error);
}

gboolean
fq_job_check_sqlite (FqJob   *job,
                     int      rc,
                     GError **error)
{
  return fq_store_check (job->conn->db, rc, error);
}

gboolean
fq_job_exec (FqJob       *job,
             const char  *sql,
             GError     **error)
{
  return fq_store_exec (job->conn->db, sql, error);
}

void
fq_job_respond (FqJob    *job,
                guint     status,
                JsonNode *body)
{
  g_clear_pointer (&job->body, json_node_unref);
  g_clear_pointer (&job->body_text, g_free);
  job->status = status;
  job->body = body;
  /* Every JSON answer passes here: callers' phones are masked for the roles
   * that may not read them (fq-privacy.c). */
  job->body = fq_privacy_mask_node (job->user, job->body);
}

void
fq_job_respond_text (FqJob *job,
                     guint  status,
                     char  *text,
                     gsize  length)
{
  g_clear_pointer (&job->body, json_node_unref);
  g_clear_pointer (&job->body_text, g_free);
  job->status = status;
  job->body_text = text;
  job->body_len = length;
}

void
fq_job_respond_json_text (FqJob *job,
                          guint  status,
                          char  *text)
{
  gsize length = text != NULL ? strlen (text) : 0;

  /* The text form of fq_job_respond(): the same masking, on the text. */
  text = mask_phones_in_text (job->user, text, &length);
  fq_job_respond_text (job, status, text, length);
}

guint
fq_job_get_status (FqJob *job)
{
  return job->status;
}

const char *
fq_job_get_body_text (FqJob *job)
{
  return job->body_text;
}

const GError *
fq_job_get_error (FqJob *job)
{
  return job->error;
}

void
fq_job_set_error_extra (FqJob      *job,
                        const char *member,
                        JsonNode   *value)
{
  set_extra (&job->error_extra, member, value);
}

void
fq_job_set_audit (FqJob      *job,
                  const char *entity,
                  const char *entity_id,
                  const char *detail)
{
  g_free (job->audit_entity);
  g_free (job->audit_entity_id);
  g_free (job->audit_detail);
  job->audit_entity = g_strdup (entity);
  job->audit_entity_id = g_strdup (entity_id);
  job->audit_detail = g_strdup (detail);
}

gint64
fq_job_add_change (FqJob              *job,
                   const char         *entity,
                   const char         *id,
                   const char         *op,
                   const char         *grid,
                   const char * const *units,
                   JsonNode           *data)
{
  g_autoptr(JsonNode) owned = data;

  g_return_val_if_fail (job->kind == FQ_JOB_WRITE, -1);

  return fq_job_add_change_text (job, entity, id, op, grid, units,
                                 owned != NULL ? fq_json_to_string (owned, NULL) : g_strdup ("null"));
}

gint64
fq_job_add_change_text (FqJob              *job,
                        const char         *entity,
                        const char         *id,
                        const char         *op,
                        const char         *grid,
                        const char * const *units,
                        char               *data_json)
{
  g_autofree char *owned = data_json;
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;
  gint64 seq;

  g_return_val_if_fail (job->kind == FQ_JOB_WRITE, -1);
  g_return_val_if_fail (entity != NULL && id != NULL && op != NULL, -1);

  if (owned == NULL)
    owned = g_strdup ("null");
  stmt = conn_prepare (job->conn, FQ_STORE_APPEND_CHANGE_SQL, &error);
  seq = stmt == NULL ? -1
                     : fq_store_append_change_stmt (job->conn->db, stmt, job->now, entity, id, op,
                                                    grid, units, owned, &error);
  if (seq < 0)
    {
      /* The handler cannot see this failure: remember it so that the job
       * is rolled back even if the handler goes on to succeed. */
      if (job->deferred_error == NULL)
        job->deferred_error = g_steal_pointer (&error);
      return -1;
    }

  if (job->changes == NULL)
    job->changes = g_ptr_array_new_with_free_func ((GDestroyNotify)fq_change_unref);
  g_ptr_array_add (job->changes,
                   fq_change_new (seq, entity, id, op, grid, units, owned));
  return seq;
}

/* Makes sure the job's answer is JSON text, on the job's thread. */
static void
job_finish_response (FqJob *job)
{
  if (job->error != NULL)
    {
      g_clear_pointer (&job->body, json_node_unref);
      g_clear_pointer (&job->body_text, g_free);
      job->status = error_status (job->error);
      job->body_text = fq_error_to_json_text (job->error, job->error_extra, &job->body_len);
      return;
    }

  if (job->body != NULL)
    {
      job->body_text = fq_json_to_string (job->body, &job->body_len);
      g_clear_pointer (&job->body, json_node_unref);
    }
}

static void
job_run_func (FqJob *job)
{
  gboolean ok;

  ok = job->func (job, job->user_data, &job->error);
  if (ok && job->deferred_error != NULL)
    {
      job->error = g_steal_pointer (&job->deferred_error);
      ok = FALSE;
    }
  if (!ok && job->error == NULL)
    g_set_error (&job->error, FQ_ERROR, FQ_ERROR_INTERNAL, "the operation failed");
  if (ok && job->status == 0 && job->request == NULL)
    {
      /* A background write has nobody to answer. */
      job->status = SOUP_STATUS_NO_CONTENT;
    }
  else if (ok && job->status == 0)
    {
      g_warning ("a job of %s finished without an answer",
                 job->request ? job->request->path : "the server");
      g_set_error (&job->error, FQ_ERROR, FQ_ERROR_INTERNAL, "the server did not answer");
    }
}

static gboolean job_done_cb (gpointer data);

/* Hands finished jobs back to the main thread, in order; any thread. */
static void
deliver_jobs (FqServer  *server,
              FqJob    **jobs,
              guint      n_jobs)
{
  g_async_queue_lock (server->done_queue);
  for (guint i = 0; i < n_jobs; i++)
    g_async_queue_push_unlocked (server->done_queue, jobs[i]);
  g_async_queue_unlock (server->done_queue);
  /* Only the delivery that finds the source idle wakes the loop: while
   * the main thread has not taken the last batch yet, the next joins it.
   * A flag, not g_source_set_ready_time(), which takes the context's lock
   * (contended with the main loop) on every call: futex calls per GET
   * went from 8.2 to 3.6 with ten keep-alive clients (strace -c). */
  if (g_atomic_int_compare_and_exchange (&server->done_pending, 0, 1))
    g_main_context_wakeup (server->context);
}

/* ---- reader threads ---- */

/* How much lower than the main thread's the readers' priority is (a nice
 * value; see run_reader()). Measured in pairs with bench-server's
 * saturated GET row, each ticket once: 5 and 10 did equally well. */
#define FQ_READER_NICE 5

/* Lowers the calling thread's priority by @amount, when the cores are short
 * only: a thread that is alone on a core runs as fast as before. On Linux
 * the nice value belongs to each thread; elsewhere this does nothing.
 *
 * The thread is also put in SCHED_BATCH, Linux's policy for work that is
 * not interactive: woken, it waits for the running thread's turn to end
 * instead of preempting it. A reader is woken for each read while the main
 * thread, the server's bottleneck, is mid-request. Alternating runs of
 * bench-server (three pairs, eight rounds each of 10,000 tickets read once
 * by 50 connections): p99 5.4 to 4.6 ms, requests/s 17,200 to 19,000
 * (medians), rounds at or under 5 ms from 6 to 18 of 24. No privilege is
 * needed, and a thread alone on its core is not slowed. */
static void
lower_thread_priority (int amount)
{
#ifdef __linux__
  pid_t tid = (pid_t) syscall (SYS_gettid);
  struct sched_param param = { 0 };
  int old;

  errno = 0;
  old = getpriority (PRIO_PROCESS, (id_t) tid);
  if (errno == 0 && setpriority (PRIO_PROCESS, (id_t) tid, MIN (old + amount, 19)) != 0)
    g_debug ("reader priority: %s", g_strerror (errno));
  /* The nice value stays: SCHED_BATCH weighs threads by it too. */
  if (sched_setscheduler (tid, SCHED_BATCH, &param) != 0)
    g_debug ("reader policy: %s", g_strerror (errno));
#endif
}

/* The lead takes every read, a helper only when the lead is held up; see
 * fq-read-queue.h.
 *
 * Readers yield the cores to the main thread. Every request passes through
 * the main thread twice (its HTTP in, then its answer out), and it is one
 * thread: while it waits for a core, every connection waits. A reader that
 * waits holds up only the reads queued behind it. On a machine whose cores
 * are all busy (two cores, a burst of reads), the main thread otherwise
 * queues behind a reader for milliseconds at a time, and the slowest
 * answers are those that waited then. */
static void
run_reader (FqServer *server,
            gboolean  lead)
{
  g_autoptr(GError) error = NULL;
  FqConn *conn;
  sqlite3 *db;

  lower_thread_priority (FQ_READER_NICE);
  db = fq_store_open (server->db_path, &error);
  if (db == NULL)
    g_error ("reader: %s", error->message);
  /* Readers never write: say so, so that a bug cannot. */
  fq_store_exec (db, "PRAGMA query_only = ON", NULL);
  conn = conn_new (db);

  for (;;)
    {
      FqJob *job = fq_read_queue_pop (server->read_queue, lead);

      if (job == NULL)
        break;

      job->conn = conn;
      job->now = fq_server_now (server);

      /* One snapshot for the whole job: a list and its count, or a page of
       * changes and last_seq, agree with each other. */
      if (conn_exec_cached (conn, "BEGIN", &job->error))
        {
          job_run_func (job);
          conn_exec_cached (conn, "COMMIT", NULL);
        }
      if (sqlite3_get_autocommit (db) == 0)
        fq_store_exec (db, "ROLLBACK", NULL);

      job_finish_response (job);
      job->conn = NULL;
      deliver_jobs (server, &job, 1);
    }

  conn_free (conn);
}

static gpointer
lead_reader_thread (gpointer data)
{
  run_reader (data, TRUE);
  return NULL;
}

static gpointer
helper_reader_thread (gpointer data)
{
  run_reader (data, FALSE);
  return NULL;
}

/* ---- the flush thread ---- */

/* The uncork is where the kernel sends the answer: TCP's and IP's work,
 * and on loopback the receiving side's as well, up to waking the client.
 * That was a sixth of the main thread's time per GET (perf, 50 keep-alive
 * connections reading tickets back to back), and the main thread, which
 * runs all HTTP, is what limits the server. So the main thread hands the
 * uncork to a thread of its own (flush_thread()), which is woken only when
 * it has gone to sleep with nothing to do: under load it takes many
 * sockets at each turn. Measured with bench-server, GET /tickets/{id} under
 * 50 connections, two builds alternating, two pairs of eight rounds:
 *
 *   - 1,000 tickets in turn (answered from memory): 9,800-11,800 to
 *     10,800-13,100 requests/s; p99, median of each run, 4.9 and 5.4 ms
 *     to 4.5 and 4.9 ms;
 *   - each ticket once (every read from the database): 9,000-11,900 to
 *     11,150-12,700 requests/s; p99 no better (medians 6.4 and 8.0 ms to
 *     7.1 and 7.8 ms): the readers need the other core too, and so does
 *     this thread now.
 *
 * The thread uncorks a duplicate of the descriptor, which it closes after:
 * libsoup may have closed the connection meanwhile, and a number reused
 * for another file must not be touched. (If the duplicate is the last
 * descriptor of the socket, closing it sends what is left and ends the
 * connection, as libsoup's close would have.) Without a duplicate (no
 * descriptor to spare) the main thread uncorks itself. */
static gpointer
flush_thread (gpointer data)
{
  FqServer *server = data;
  g_autoptr(GArray) fds = g_array_new (FALSE, FALSE, sizeof (int));
  const int off = 0;

  /* Like a reader's: it must not take the main thread's core. */
  lower_thread_priority (FQ_READER_NICE);

  for (;;)
    {
      GArray *taken;

      g_mutex_lock (&server->flush_lock);
      while (server->flush_fds->len == 0 && !server->flush_quit)
        {
          server->flush_asleep = TRUE;
          g_cond_wait (&server->flush_cond, &server->flush_lock);
        }
      server->flush_asleep = FALSE;
      if (server->flush_fds->len == 0)
        {
          g_mutex_unlock (&server->flush_lock);
          break;
        }
      /* Swapped, not copied: the main thread fills the other array. */
      taken = server->flush_fds;
      server->flush_fds = fds;
      fds = taken;
      g_mutex_unlock (&server->flush_lock);

      for (guint i = 0; i < fds->len; i++)
        {
          int fd = g_array_index (fds, int, i);

          setsockopt (fd, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
          close (fd);
        }
      g_array_set_size (fds, 0);
    }
  return NULL;
}

/* Main thread: sends what @socket holds corked, by the flush thread. */
static void
flush_push (FqServer *server,
            GSocket  *socket)
{
  gboolean wake;
  int fd = -1;

  if (server->flush_thread != NULL && !g_socket_is_closed (socket))
    fd = fcntl (g_socket_get_fd (socket), F_DUPFD_CLOEXEC, 0);
  if (fd < 0)
    {
      socket_set_cork (socket, FALSE);
      return;
    }

  g_mutex_lock (&server->flush_lock);
  g_array_append_val (server->flush_fds, fd);
  wake = server->flush_asleep;
  server->flush_asleep = FALSE;
  g_mutex_unlock (&server->flush_lock);
  if (wake)
    g_cond_signal (&server->flush_cond);
}

/* Ends the flush thread once it has sent everything handed to it. */
static void
flush_stop (FqServer *server)
{
  if (server->flush_thread == NULL)
    return;
  g_mutex_lock (&server->flush_lock);
  server->flush_quit = TRUE;
  g_cond_signal (&server->flush_cond);
  g_mutex_unlock (&server->flush_lock);
  g_thread_join (g_steal_pointer (&server->flush_thread));
}

/* ---- the writer ---- */

static gboolean
idempotency_lookup (FqJob    *job,
                    gboolean *found,
                    GError  **error)
{
  sqlite3_stmt *stmt;
  int rc;

  *found = FALSE;
  stmt = conn_prepare (job->conn,
                       "SELECT status, body, method, path FROM idempotency"
                       " WHERE username = ? AND key = ?",
                       error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, job->user->username, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, job->request->idempotency_key, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      const char *method = (const char *)sqlite3_column_text (stmt, 2);
      const char *path = (const char *)sqlite3_column_text (stmt, 3);

      *found = TRUE;
      if (g_strcmp0 (method, job->request->method) != 0 ||
          g_strcmp0 (path, job->request->path) != 0)
        {
          fq_set_field_error (&job->error, FQ_ERROR_CONFLICT, "Idempotency-Key",
                              "already used for %s %s", method, path);
        }
      else
        {
          const char *body = (const char *)sqlite3_column_text (stmt, 1);

          job->status = sqlite3_column_int (stmt, 0);
          job->body_text = g_strdup (body);
          job->body_len = body != NULL ? strlen (body) : 0;
        }
      sqlite3_reset (stmt);
      return TRUE;
    }
  sqlite3_reset (stmt);
  return fq_store_check (job->conn->db, rc, error);
}

static gboolean
idempotency_store (FqJob   *job,
                   GError **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = conn_prepare (job->conn,
                       "INSERT INTO idempotency (username, key, method, path, status, body, at)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?)",
                       error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, job->user->username, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, job->request->idempotency_key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, job->request->method, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, job->request->path, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 5, job->status);
  if (job->body_text != NULL)
    sqlite3_bind_text (stmt, 6, job->body_text, job->body_len, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 7, job->now);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  return fq_store_check (job->conn->db, rc, error);
}

static gboolean
audit_insert (FqJob   *job,
              GError **error)
{
  sqlite3_stmt *stmt;
  const char *entity = job->audit_entity;
  const char *entity_id = job->audit_entity_id;
  int rc;

  /* Without an explicit note, the first change says what was written. */
  if (entity == NULL && job->changes != NULL && job->changes->len > 0)
    {
      FqChange *change = g_ptr_array_index (job->changes, 0);

      entity = change->entity;
      entity_id = change->id;
    }

  stmt = conn_prepare (job->conn,
                       "INSERT INTO audit (at, username, remote, method, path, status,"
                       " entity, entity_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, job->now);
  if (job->user != NULL)
    sqlite3_bind_text (stmt, 2, job->user->username, -1, SQLITE_STATIC);
  if (job->request != NULL)
    {
      sqlite3_bind_text (stmt, 3, job->request->remote, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, job->request->method, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 5, job->request->path, -1, SQLITE_STATIC);
    }
  sqlite3_bind_int (stmt, 6, job->status);
  if (entity != NULL)
    sqlite3_bind_text (stmt, 7, entity, -1, SQLITE_STATIC);
  if (entity_id != NULL)
    sqlite3_bind_text (stmt, 8, entity_id, -1, SQLITE_STATIC);
  if (job->audit_detail != NULL)
    sqlite3_bind_text (stmt, 9, job->audit_detail, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  return fq_store_check (job->conn->db, rc, error);
}

/* Runs one write job inside its savepoint. Returns FALSE only when the
 * savepoint machinery itself failed, which dooms the whole batch. */
static gboolean
writer_run_job (FqJob   *job,
                GError **batch_error)
{
  gboolean idempotent = job->request != NULL && job->request->idempotency_key != NULL &&
                        job->user != NULL;
  gboolean ok;

  if (!conn_exec_cached (job->conn, "SAVEPOINT job", batch_error))
    return FALSE;

  if (idempotent)
    {
      gboolean found = FALSE;

      if (!idempotency_lookup (job, &found, &job->error))
        found = TRUE;
      if (found)
        {
          /* A repeat: answer the stored response (or the error) and write
           * nothing, not even an audit row. */
          job_finish_response (job);
          return conn_exec_cached (job->conn, "RELEASE job", batch_error);
        }
    }

  job_run_func (job);
  ok = job->error == NULL;
  job_finish_response (job);

  /* A background write (the SLA watch, the demo feed) that changed nothing
   * leaves no audit row: the audit is a record of writes, not of polls. */
  if (ok && job->status >= 200 && job->status < 300 &&
      (job->request != NULL || (job->changes != NULL && job->changes->len > 0)))
    {
      if (!audit_insert (job, &job->error) ||
          (idempotent && !idempotency_store (job, &job->error)))
        {
          ok = FALSE;
          job_finish_response (job);
        }
    }

  /* An error answered as a response (status 400 and up) writes nothing
   * either, whatever the job did before deciding. */
  if (!ok || job->status >= 400)
    {
      g_clear_pointer (&job->changes, g_ptr_array_unref);
      /* A full disk (SQLITE_FULL) or an I/O error may make SQLite roll
       * back the whole transaction, savepoint and all: the batch is gone,
       * and each of its writes is answered with this job's error (503 for
       * a full disk), none with "no such savepoint". */
      if (sqlite3_get_autocommit (job->conn->db))
        {
          g_propagate_error (batch_error, job->error != NULL
                                            ? g_error_copy (job->error)
                                            : g_error_new (FQ_ERROR, FQ_ERROR_INTERNAL,
                                                           "the transaction was rolled back"));
          return FALSE;
        }
      if (!conn_exec_cached (job->conn, "ROLLBACK TO job", batch_error))
        return FALSE;
    }

  return conn_exec_cached (job->conn, "RELEASE job", batch_error);
}

static void
writer_fail_batch (GPtrArray    *batch,
                   const GError *error)
{
  for (guint i = 0; i < batch->len; i++)
    {
      FqJob *job = g_ptr_array_index (batch, i);

      g_clear_pointer (&job->changes, g_ptr_array_unref);
      g_clear_error (&job->error);
      job->error = g_error_copy (error);
      job_finish_response (job);
    }
}

static void sync_queue_push      (FqServer  *server,
                                  GPtrArray *batch,
                                  gboolean   committed,
                                  gboolean   quit);
static void deliver_durable_jobs (FqServer  *server,
                                  GPtrArray *batch);

static gpointer
writer_thread (gpointer data)
{
  FqServer *server = data;
  FqConn *conn = server->writer_conn;
  gboolean quit = FALSE;

  while (!quit)
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new ();
      g_autoptr(GError) batch_error = NULL;
      FqJob *job;
      gint64 now, started, ran = 0;

      job = g_async_queue_pop (server->write_queue);
      for (;;)
        {
          if (job->quit)
            {
              /* Finish what was queued before the quit, then stop. */
              job_free (job);
              quit = TRUE;
              break;
            }
          g_ptr_array_add (batch, job);
          if (batch->len >= FQ_MAX_BATCH)
            break;
          job = g_async_queue_try_pop (server->write_queue);
          if (job == NULL)
            break;
        }

      if (batch->len == 0)
        break;

      now = fq_server_now (server);
      started = ran = g_get_monotonic_time ();

      if (conn_exec_cached (conn, "BEGIN IMMEDIATE", &batch_error))
        {
          for (guint i = 0; i < batch->len; i++)
            {
              job = g_ptr_array_index (batch, i);
              job->conn = conn;
              job->now = now;
              if (!writer_run_job (job, &batch_error))
                break;
            }
          ran = g_get_monotonic_time ();
          if (batch_error == NULL)
            conn_exec_cached (conn, "COMMIT", &batch_error);
          if (batch_error != NULL && sqlite3_get_autocommit (conn->db) == 0)
            fq_store_exec (conn->db, "ROLLBACK", NULL);
        }

      g_debug ("writer: a batch of %u jobs in %.2f ms (commit %.2f ms)", batch->len,
               (g_get_monotonic_time () - started) / 1000.0,
               (g_get_monotonic_time () - ran) / 1000.0);

      if (batch_error != NULL)
        {
          g_warning ("a batch of %u writes failed: %s", batch->len, batch_error->message);
          writer_fail_batch (batch, batch_error);
        }

      for (guint i = 0; i < batch->len; i++)
        ((FqJob *)g_ptr_array_index (batch, i))->conn = NULL;

      if (server->wal_fd >= 0)
        sync_queue_push (server, g_steal_pointer (&batch), batch_error == NULL, FALSE);
      else
        deliver_durable_jobs (server, batch);   /* flushed by its COMMIT */
    }

  if (server->wal_fd >= 0)
    sync_queue_push (server, NULL, FALSE, TRUE);
  return NULL;
}

/* ---- the sync thread ---- */

/* Group commit in two stages. The writer commits a batch with
 * synchronous=NORMAL (its WAL frames are written, not yet flushed) and
 * hands it here at once, going on with the next batch; this thread makes
 * every batch waiting durable with one fdatasync() of the WAL and only then
 * delivers them to the main thread. So an answer still means "on disk"
 * exactly as with synchronous=FULL, but the writer never waits for the disk:
 * on this kind of machine a flush takes about 4 ms, longer than the work of
 * a whole batch. A change becomes visible on /changes and /events only once
 * it is durable (durable_seq): a client never holds a change that a power
 * cut could take back. A read of one entity may show a write a few
 * milliseconds before it is acknowledged, as with any database.
 *
 * fdatasync() flushes a file, not a descriptor: our own descriptor of the
 * WAL flushes what SQLite's wrote. It is checked against the path before
 * every flush, in case the WAL was ever replaced. */

typedef struct
{
  GPtrArray *batch;      /* FqJob, in queue order; NULL for quit */
  gboolean   committed;
  gboolean   quit;
} SyncItem;

static void
sync_queue_push (FqServer  *server,
                 GPtrArray *batch,
                 gboolean   committed,
                 gboolean   quit)
{
  SyncItem *item = g_new0 (SyncItem, 1);

  item->batch = batch;
  item->committed = committed;
  item->quit = quit;
  g_async_queue_push (server->sync_queue, item);
}

/* Hands a batch whose commit is on disk (or failed) to the main thread,
 * after moving durable_seq past its changes. */
static void
deliver_durable_jobs (FqServer  *server,
                      GPtrArray *batch)
{
  gint64 durable = 0;

  for (guint i = 0; i < batch->len; i++)
    {
      FqJob *job = g_ptr_array_index (batch, i);

      for (guint k = 0; job->changes != NULL && k < job->changes->len; k++)
        durable = MAX (durable, ((FqChange *)g_ptr_array_index (job->changes, k))->seq);
    }
  if (durable > 0)
    __atomic_store_n (&server->durable_seq, durable, __ATOMIC_RELEASE);
  deliver_jobs (server, (FqJob **)batch->pdata, batch->len);
}

static int
open_wal (const char  *db_path,
          GError     **error)
{
  g_autofree char *wal_path = g_strconcat (db_path, "-wal", NULL);
  int fd = open (wal_path, O_RDWR | O_CLOEXEC);

  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "cannot open %s: %s", wal_path, g_strerror (saved_errno));
    }
  return fd;
}

static gboolean
sync_wal (FqServer  *server,
          GError   **error)
{
  g_autofree char *wal_path = g_strconcat (server->db_path, "-wal", NULL);
  struct stat ours, theirs;

  if (fstat (server->wal_fd, &ours) != 0 || stat (wal_path, &theirs) != 0 ||
      ours.st_ino != theirs.st_ino || ours.st_dev != theirs.st_dev)
    {
      int fd = open_wal (server->db_path, error);

      if (fd < 0)
        return FALSE;
      g_warning ("the WAL was replaced; flushing the new one");
      close (server->wal_fd);
      server->wal_fd = fd;
    }

  if (fdatasync (server->wal_fd) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, FQ_ERROR, FQ_ERROR_UNAVAILABLE,
                   "the database could not be written to disk: %s", g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

static gpointer
sync_thread (gpointer data)
{
  FqServer *server = data;
  gboolean quit = FALSE;

  while (!quit)
    {
      g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(GError) sync_error = NULL;
      gboolean need_sync = FALSE;
      gint64 started;
      SyncItem *item;

      /* Every batch that is waiting goes with one flush. */
      item = g_async_queue_pop (server->sync_queue);
      do
        {
          g_ptr_array_add (items, item);
          need_sync |= item->committed;
        }
      while ((item = g_async_queue_try_pop (server->sync_queue)) != NULL);

      started = g_get_monotonic_time ();
      if (need_sync && !sync_wal (server, &sync_error))
        g_warning ("%s; the writes of this moment are answered as failed", sync_error->message);
      g_debug ("sync: %u batches flushed in %.2f ms", items->len,
               (g_get_monotonic_time () - started) / 1000.0);

      for (guint i = 0; i < items->len; i++)
        {
          item = g_ptr_array_index (items, i);
          if (item->quit)
            {
              quit = TRUE;
              continue;
            }
          if (item->committed && sync_error != NULL)
            writer_fail_batch (item->batch, sync_error);
          deliver_durable_jobs (server, item->batch);
          g_ptr_array_unref (item->batch);
        }
    }

  return NULL;
}

gint64
fq_server_get_durable_seq (FqServer *server)
{
  return __atomic_load_n (&server->durable_seq, __ATOMIC_ACQUIRE);
}

/* ---- completion on the main thread ---- */

static void
job_complete (FqJob *job)
{
  FqServer *server = job->server;

  if (job->done != NULL)
    job->done (job, job->done_data);

  if (job->request != NULL && !job->request->responded)
    {
      respond_text (job->request, job->status, g_steal_pointer (&job->body_text),
                    job->body_len, job->kind == FQ_JOB_READ);
    }

  /* A large write's changes (an import's: one per work order), which the
   * writer made, go back to a reader to be freed: 20,000 of them held
   * the loop for about 6 ms here. */
  if (job->changes != NULL && job->changes->len > GARBAGE_BATCH)
    garbage_bin_add_now (server->garbage, g_steal_pointer (&job->changes),
                         (GDestroyNotify)g_ptr_array_unref);

  server->n_outstanding--;
  job_free (job);
}

static gboolean
job_done_cb (gpointer data)
{
  job_complete (data);
  return G_SOURCE_REMOVE;
}

typedef struct
{
  GSource   source;
  FqServer *server;
} DoneSource;

/* Completes every job the threads have finished, in the order they were
 * delivered: a batch's jobs in queue order, batches in commit order. */
static gboolean
done_source_cb (gpointer data)
{
  FqServer *server = data;
  g_autoptr(GPtrArray) jobs = g_ptr_array_new ();
  g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func ((GDestroyNotify)fq_change_unref);
  FqJob *job;

  /* Cleared first: a job delivered from now on wakes the loop again. (Not
   * with g_source_set_ready_time(), which wakes the loop even from its own
   * thread: a write and a read of its eventfd for every batch.) */
  g_atomic_int_set (&server->done_pending, 0);
  while ((job = g_async_queue_try_pop (server->done_queue)) != NULL)
    {
      /* What reads keep in memory goes before anybody can learn of the
       * write (fq-ticket-cache.h). A write that failed is no harm. */
      if (job->kind == FQ_JOB_WRITE)
        fq_ticket_cache_clear (server->ticket_cache);

      if (job->error == NULL && job->changes != NULL)
        {
          for (guint j = 0; j < job->changes->len; j++)
            {
              FqChange *change = g_ptr_array_index (job->changes, j);

              if (change->seq > server->last_seq)
                server->last_seq = change->seq;
              g_ptr_array_add (changes, fq_change_ref (change));
            }
        }
      g_ptr_array_add (jobs, job);
    }

  /* Changes first: a client that reads its answer and then looks at
   * /changes or its WebSocket finds them there already. All of them go to
   * the live feeds in one message: one wake-up of the feed thread for
   * every job finished since the last dispatch, not one per change. */
  fq_changes_push (server, changes);
  for (guint i = 0; i < jobs->len; i++)
    job_complete (g_ptr_array_index (jobs, i));
  return G_SOURCE_CONTINUE;
}

static gboolean
done_source_prepare (GSource *source,
                     int     *timeout)
{
  FqServer *server = ((DoneSource *)source)->server;

  *timeout = -1;
  return g_atomic_int_get (&server->done_pending) != 0;
}

static gboolean
done_source_check (GSource *source)
{
  FqServer *server = ((DoneSource *)source)->server;

  return g_atomic_int_get (&server->done_pending) != 0;
}

static gboolean
done_source_dispatch (GSource     *source,
                      GSourceFunc  callback,
                      gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs done_source_funcs = {
  .prepare = done_source_prepare,
  .check = done_source_check,
  .dispatch = done_source_dispatch,
};

/* ---- the checkpoint thread ---- */

/* Called by SQLite on the writer thread after each commit, with the
 * number of pages in the WAL. */
static int
wal_hook_cb (gpointer    data,
             sqlite3    *db,
             const char *name,
             int         n_pages)
{
  FqServer *server = data;
  int copied = g_atomic_int_get (&server->checkpoint_copied);

  /* Fewer frames than the last pass copied: the WAL started again. */
  if (n_pages < copied)
    {
      g_atomic_int_set (&server->checkpoint_copied, 0);
      copied = 0;
    }

  if (n_pages >= FQ_CHECKPOINT_PAGES && n_pages - copied >= FQ_CHECKPOINT_STEP)
    {
      g_mutex_lock (&server->checkpoint_lock);
      if (!server->checkpoint_wanted)
        {
          server->checkpoint_wanted = TRUE;
          g_cond_signal (&server->checkpoint_cond);
        }
      g_mutex_unlock (&server->checkpoint_lock);
    }

  /* The WAL starts again from its beginning only once every frame is in
   * the database, which a checkpoint beside a writer that never pauses
   * does not reach: under sustained writes it would grow without end.
   * Past twice the threshold the writer copies what the checkpoint thread
   * has not (its frames since that checkpoint began), and its next commit
   * restarts the WAL. Busy (the thread is at it): the next commit tries. */
  if (n_pages >= 2 * FQ_CHECKPOINT_PAGES)
    sqlite3_wal_checkpoint_v2 (db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  return SQLITE_OK;
}

static gpointer
checkpoint_thread (gpointer data)
{
  FqServer *server = data;
  g_autoptr(GError) error = NULL;
  sqlite3 *db;

  db = fq_store_open (server->db_path, &error);
  if (db == NULL)
    g_error ("checkpoint: %s", error->message);

  for (;;)
    {
      int rc, log_pages = 0, done_pages = 0;

      g_mutex_lock (&server->checkpoint_lock);
      while (!server->checkpoint_wanted && !server->checkpoint_quit)
        g_cond_wait (&server->checkpoint_cond, &server->checkpoint_lock);
      if (server->checkpoint_quit)
        {
          g_mutex_unlock (&server->checkpoint_lock);
          break;
        }
      server->checkpoint_wanted = FALSE;
      g_mutex_unlock (&server->checkpoint_lock);

      /* PASSIVE: never holds up the writer or a reader; pages a reader
       * still needs wait for the next round. */
      rc = sqlite3_wal_checkpoint_v2 (db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log_pages, &done_pages);
      if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY)
        g_warning ("checkpoint: %s", sqlite3_errmsg (db));
      else
        {
          /* -1 when it could not run (another connection's pass). */
          if (done_pages >= 0)
            g_atomic_int_set (&server->checkpoint_copied, done_pages);
          g_debug ("checkpoint: %d of %d WAL pages copied", done_pages, log_pages);
        }
    }

  fq_store_close (db);
  return NULL;
}

static void
queue_job (FqServer *server,
           FqJob    *job)
{
  server->n_outstanding++;
  if (server->stopping)
    {
      /* The threads are gone or going: answer at once instead. */
      g_set_error (&job->error, FQ_ERROR, FQ_ERROR_UNAVAILABLE, "the server is shutting down");
      job_finish_response (job);
      g_idle_add (job_done_cb, job);
      return;
    }
  if (job->kind == FQ_JOB_WRITE)
    g_async_queue_push (server->write_queue, job);
  else
    fq_read_queue_push (server->read_queue, job);
}

void
fq_request_run_full (FqRequest      *request,
                     FqJobKind       kind,
                     FqJobFunc       func,
                     gpointer        user_data,
                     GDestroyNotify  destroy,
                     FqJobDoneFunc   done,
                     gpointer        done_data)
{
  FqJob *job;

  g_return_if_fail (request != NULL);
  g_return_if_fail (!request->responded);

  /* The writer records the address in the write's audit row. */
  if (kind == FQ_JOB_WRITE)
    fq_request_get_remote_address (request);
  job = job_new (request->server, kind, request->user, func, user_data, destroy);
  job->request = fq_request_ref (request);
  job->done = done;
  job->done_data = done_data;

  fq_request_pause (request);
  queue_job (request->server, job);
}

void
fq_request_run (FqRequest      *request,
                FqJobKind       kind,
                FqJobFunc       func,
                gpointer        user_data,
                GDestroyNotify  destroy)
{
  fq_request_run_full (request, kind, func, user_data, destroy, NULL, NULL);
}

void
fq_server_run_job (FqServer       *server,
                   FqJobKind       kind,
                   const FqUser   *user,
                   FqJobFunc       func,
                   gpointer        user_data,
                   GDestroyNotify  destroy,
                   FqJobDoneFunc   done,
                   gpointer        done_data)
{
  FqJob *job;

  job = job_new (server, kind, user, func, user_data, destroy);
  job->done = done;
  job->done_data = done_data;
  queue_job (server, job);
}

static void
submitted_write_done (FqJob    *job,
                      gpointer  user_data)
{
  if (job->error != NULL)
    g_warning ("a background write failed: %s", job->error->message);
}

void
fq_server_submit_write (FqServer       *server,
                        const FqUser   *actor,
                        FqJobFunc       func,
                        gpointer        user_data,
                        GDestroyNotify  destroy)
{
  g_return_if_fail (server != NULL);

  if (server->stopping)
    {
      if (destroy != NULL)
        destroy (user_data);
      return;
    }
  fq_server_run_job (server, FQ_JOB_WRITE, actor, func, user_data, destroy,
                     submitted_write_done, NULL);
}

/* ---- routing ---- */

static void
route_free (FqRoute *route)
{
  g_free (route->method);
  g_strfreev (route->segments);
  g_free (route);
}

static char **
split_path (const char *path,
            guint      *n_segments)
{
  char **segments;

  while (*path == '/')
    path++;
  if (*path == '\0')
    {
      *n_segments = 0;
      return g_new0 (char *, 1);
    }
  segments = g_strsplit (path, "/", -1);
  *n_segments = g_strv_length (segments);
  return segments;
}

void
fq_server_add_route (FqServer      *server,
                     const char    *method,
                     const char    *pattern,
                     FqRouteFlags   flags,
                     FqHandlerFunc  handler)
{
  FqRoute *route;

  g_return_if_fail (server != NULL);
  g_return_if_fail (method != NULL && pattern != NULL && handler != NULL);

  route = g_new0 (FqRoute, 1);
  route->method = g_strdup (method);
  route->segments = split_path (pattern, &route->n_segments);
  route->flags = flags;
  route->handler = handler;
  route->permission = fq_permissions_lookup (method, pattern);
  if (route->permission == NULL && !(flags & FQ_ROUTE_PUBLIC))
    g_message ("%s %s is not in the permission matrix (fq-permissions.c): refused to every role",
               method, pattern);
  g_ptr_array_add (server->routes, route);
}

static gboolean
route_matches (FqRoute     *route,
               char       **segments,
               guint        n_segments)
{
  if (route->n_segments != n_segments)
    return FALSE;
  for (guint i = 0; i < n_segments; i++)
    {
      if (segments[i][0] == '\0')
        return FALSE;
      if (strcmp (route->segments[i], "*") != 0 &&
          strcmp (route->segments[i], segments[i]) != 0)
        return FALSE;
    }
  return TRUE;
}

static void
respond_early_error (SoupServerMessage *msg,
                     FqErrorCode        code,
                     const char        *message)
{
  g_autoptr(GError) error = g_error_new_literal (FQ_ERROR, code, message);
  gsize length;
  char *text = fq_error_to_json_text (error, NULL, &length);

  soup_server_message_set_status (msg, fq_error_code_to_status (code), NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, length);
}

/* The body limit of @path: 1 MiB, unless a route of that path takes large
 * bodies (FQ_ROUTE_LARGE_BODY: the hotline import). */
static goffset
body_limit_for_path (FqServer   *server,
                     const char *path)
{
  g_auto(GStrv) segments = NULL;
  guint n_segments;

  if (!g_str_has_prefix (path, FQ_API_PREFIX "/"))
    return FQ_JSON_MAX_BODY;
  segments = split_path (path + strlen (FQ_API_PREFIX), &n_segments);
  for (guint i = 0; i < server->routes->len; i++)
    {
      FqRoute *route = g_ptr_array_index (server->routes, i);

      if ((route->flags & FQ_ROUTE_LARGE_BODY) && route_matches (route, segments, n_segments))
        return FQ_SERVER_MAX_LARGE_BODY;
    }
  return FQ_JSON_MAX_BODY;
}

/* ---- request bodies ---- */

struct _FqBody
{
  GPtrArray *chunks;  /* GBytes, in order */
  gsize      size;
};

static FqBody *
body_new (GBytes *content)
{
  FqBody *body = g_new0 (FqBody, 1);

  body->chunks = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  if (content != NULL)
    {
      body->size = g_bytes_get_size (content);
      g_ptr_array_add (body->chunks, content);
    }
  return body;
}

gsize
fq_body_get_size (const FqBody *body)
{
  return body->size;
}

GBytes *
fq_body_free_to_bytes (FqBody *body)
{
  GBytes *bytes;

  if (body->chunks->len == 1)
    bytes = g_bytes_ref (g_ptr_array_index (body->chunks, 0));
  else
    {
      char *data = g_malloc (body->size);
      gsize at = 0;

      for (guint i = 0; i < body->chunks->len; i++)
        {
          gsize length;
          gconstpointer piece = g_bytes_get_data (g_ptr_array_index (body->chunks, i), &length);

          g_assert (at + length <= body->size);
          memcpy (data + at, piece, length);
          at += length;
        }
      bytes = g_bytes_new_take (data, at);
    }
  fq_body_free (body);
  return bytes;
}

void
fq_body_free (FqBody *body)
{
  g_ptr_array_unref (body->chunks);
  g_free (body);
}

/* libsoup keeps a body in the 8 KiB pieces it reads and, asked for it,
 * copies them into one block, twice (soup_message_body_flatten()). On the
 * main thread, that held every other request for 13 ms beside bench-server's
 * import of 7.3 MiB. A body that may be larger than FQ_SERVER_INLINE_BODY_MAX
 * is therefore collected here, piece by piece, and joined by the reader
 * that parses it.
 *
 * libsoup also reads a body in one go while its bytes keep coming, which a
 * fast client on a fast network does: every FQ_BODY_SLICE the request is
 * paused and at once resumed, so that the loop serves the other
 * connections before it reads on. */
#define FQ_BODY_SLICE (256 * 1024)
#define BODY_COLLECTOR_KEY "fq-body-collector"

typedef struct
{
  FqBody  *body;
  goffset  announced;  /* Content-Length, or -1 (chunked) */
  gsize    limit;
  gsize    unyielded;  /* read since the last pause */
} BodyCollector;

static void
body_collector_free (gpointer data)
{
  BodyCollector *collector = data;

  g_clear_pointer (&collector->body, fq_body_free);
  g_free (collector);
}

static void
body_got_chunk_cb (SoupServerMessage *msg,
                   GBytes            *chunk,
                   gpointer           user_data)
{
  BodyCollector *collector = user_data;
  FqBody *body = collector->body;
  gsize length = g_bytes_get_size (chunk);

  body->size += length;
  /* Past the limit, only counted: the request is refused once read. */
  if (body->size > collector->limit)
    g_ptr_array_set_size (body->chunks, 0);
  else
    g_ptr_array_add (body->chunks, g_bytes_ref (chunk));

  collector->unyielded += length;
  if (collector->unyielded >= FQ_BODY_SLICE &&
      (collector->announced < 0 || (goffset)body->size < collector->announced))
    {
      collector->unyielded = 0;
      soup_server_message_pause (msg);
      soup_server_message_unpause (msg);
    }
}

/* Before the body is read (early_handler_cb()). */
static void
body_collect (SoupServerMessage *msg,
              goffset            announced,
              gsize              limit)
{
  BodyCollector *collector = g_new0 (BodyCollector, 1);

  collector->body = body_new (NULL);
  collector->announced = announced;
  collector->limit = limit;
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  g_object_set_data_full (G_OBJECT (msg), BODY_COLLECTOR_KEY, collector, body_collector_free);
  g_signal_connect (msg, "got-chunk", G_CALLBACK (body_got_chunk_cb), collector);
}

/* The body of @msg, read whole (main thread). */
static FqBody *
body_take (SoupServerMessage *msg)
{
  BodyCollector *collector = g_object_steal_data (G_OBJECT (msg), BODY_COLLECTOR_KEY);
  FqBody *body;

  if (collector == NULL)
    return body_new (soup_message_body_flatten (soup_server_message_get_request_body (msg)));

  g_signal_handlers_disconnect_by_data (msg, collector);
  body = g_steal_pointer (&collector->body);
  body_collector_free (collector);
  return body;
}

/* Before the body is read: refuse a body announced as too large at once,
 * so that a megabyte we will not use never crosses the wire; collect a
 * large one ourselves. */
static void
early_handler_cb (SoupServer        *soup,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);
  goffset limit = body_limit_for_path (user_data, path);
  goffset announced = -1;

  if (encoding == SOUP_ENCODING_CONTENT_LENGTH)
    {
      announced = soup_message_headers_get_content_length (headers);
      if (announced > limit)
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "Connection", "close");
          if (g_str_has_prefix (path, FQ_OPEN311_PREFIX))
            fq_open311_respond_early_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                                            FQ_OPEN311_TOO_LARGE);
          else
            respond_early_error (msg, FQ_ERROR_TOO_LARGE, "the request body is too large");
          return;
        }
      if (announced <= FQ_SERVER_INLINE_BODY_MAX)
        return;
    }
  else if (encoding != SOUP_ENCODING_CHUNKED)
    return;

  body_collect (msg, announced, limit);
}

static gboolean
content_type_is_json (SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *type = soup_message_headers_get_content_type (headers, NULL);

  return type != NULL && g_ascii_strcasecmp (type, "application/json") == 0;
}

/* A request body is parsed where it arrives, on the main thread, only up
 * to FQ_SERVER_INLINE_BODY_MAX: json-glib reads about 30 MB/s here, so
 * that is at most a few tenths of a millisecond, the work of a few GETs (an
 * incident is about 500 bytes). A larger body (up to 1 MiB, or an import's
 * 32 MiB) is parsed by a reader, and the handler runs when it is done.
 * Parsed here, the hotline import's largest file (20,000 work orders, 7.3
 * MiB in bench-server) held every other request and live feed: a GET
 * beside it waited up to 278 ms; then 13 ms, libsoup reading and copying
 * the body; now 4-7 ms, against 3-5 ms without it (body_collect()). */
typedef struct
{
  FqRequest  *request;
  FqRoute    *route;
  FqBody     *body;    /* freed by the reader once parsed */
  JsonObject *object;  /* the reader's result */
} BodyParse;

static gboolean
body_parse_job (FqJob     *job,
                gpointer   user_data,
                GError   **error)
{
  BodyParse *parse = user_data;
  g_autoptr(GBytes) bytes = fq_body_free_to_bytes (g_steal_pointer (&parse->body));
  gconstpointer data;
  gsize length;

  data = g_bytes_get_data (bytes, &length);
  parse->object = fq_json_parse_object (data, length, error);
  return parse->object != NULL;
}

/* Main thread, the body parsed (or not: bad JSON, or the server stopping). */
static void
body_parse_done (FqJob    *job,
                 gpointer  user_data)
{
  BodyParse *parse = user_data;
  FqRequest *request = parse->request;

  if (job->error != NULL)
    {
      fq_request_respond_error (request, job->error);
      return;
    }
  request->body = g_steal_pointer (&parse->object);
  request->body_from_reader = TRUE;
  parse->route->handler (request);
}

static void
body_parse_free (gpointer data)
{
  BodyParse *parse = data;

  g_clear_pointer (&parse->object, json_object_unref);  /* body_parse_done() took it */
  g_clear_pointer (&parse->body, fq_body_free);
  fq_request_unref (parse->request);
  g_free (parse);
}

/* Parses the request's body, if it has one, and runs @route's handler,
 * now or once a reader has parsed a large body; or answers the error. */
static void
read_body_and_handle (FqRequest *request,
                      FqRoute   *route)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(FqBody) body = body_take (request->msg);
  gconstpointer data;
  gsize length;

  if (body->size > ((route->flags & FQ_ROUTE_LARGE_BODY) ? FQ_SERVER_MAX_LARGE_BODY
                                                         : FQ_JSON_MAX_BODY))
    {
      respond_error_literal (request, FQ_ERROR_TOO_LARGE, NULL,
                             "the request body is too large");
      return;
    }

  /* A route without FQ_ROUTE_BODY may still be sent an optional body (the
   * `rev` of not_repeat, say): parse it with the same rules when present. */
  if (!(route->flags & FQ_ROUTE_BODY) && body->size == 0)
    {
      route->handler (request);
      return;
    }

  if (!content_type_is_json (request->msg))
    {
      respond_error_literal (request, FQ_ERROR_UNSUPPORTED_MEDIA, NULL,
                             "the request body must be application/json");
      return;
    }

  if (body->size > FQ_SERVER_INLINE_BODY_MAX)
    {
      BodyParse *parse = g_new0 (BodyParse, 1);

      parse->request = fq_request_ref (request);
      parse->route = route;
      parse->body = g_steal_pointer (&body);
      fq_request_pause (request);
      fq_server_run_job (request->server, FQ_JOB_READ, NULL, body_parse_job, parse,
                         body_parse_free, body_parse_done, parse);
      return;
    }

  bytes = fq_body_free_to_bytes (g_steal_pointer (&body));
  data = g_bytes_get_data (bytes, &length);
  request->body = fq_json_parse_object (data, length, &error);
  if (request->body == NULL)
    {
      fq_request_respond_error (request, error);
      return;
    }
  route->handler (request);
}

static void
api_handler_cb (SoupServer        *soup,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  FqServer *server = user_data;
  g_autoptr(GString) allow = NULL;
  FqRequest *request;
  FqRoute *route = NULL;
  gboolean path_known = FALSE;
  const char *method = soup_server_message_get_method (msg);
  const char *rest;

  request = g_new0 (FqRequest, 1);
  request->ref_count = 1;
  request->server = server;
  request->msg = g_object_ref (msg);
  request->method = g_strdup (method);
  request->path = g_strdup (path);
  if (query != NULL)
    request->query = g_hash_table_ref (query);

  if (server->stopping)
    {
      respond_error_literal (request, FQ_ERROR_UNAVAILABLE, NULL, "the server is shutting down");
      goto out;
    }

  rest = path + strlen (FQ_API_PREFIX);
  if (*rest != '\0' && *rest != '/')
    {
      respond_error_literal (request, FQ_ERROR_NOT_FOUND, NULL, "no such resource");
      goto out;
    }
  request->segments = split_path (rest, &request->n_segments);

  for (guint i = 0; i < server->routes->len && route == NULL; i++)
    {
      FqRoute *candidate = g_ptr_array_index (server->routes, i);

      if (!route_matches (candidate, request->segments, request->n_segments))
        continue;
      path_known = TRUE;
      if (strcmp (candidate->method, method) == 0)
        route = candidate;
    }

  if (!path_known)
    {
      respond_error_literal (request, FQ_ERROR_NOT_FOUND, NULL, "no such resource");
      goto out;
    }
  if (route == NULL)
    {
      /* The Allow header only for the error: not built per request. */
      allow = g_string_new (NULL);
      for (guint i = 0; i < server->routes->len; i++)
        {
          FqRoute *candidate = g_ptr_array_index (server->routes, i);

          if (!route_matches (candidate, request->segments, request->n_segments))
            continue;
          if (allow->len > 0)
            g_string_append (allow, ", ");
          g_string_append (allow, candidate->method);
        }
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", allow->str);
      respond_error_literal (request, FQ_ERROR_METHOD_NOT_ALLOWED, NULL,
                             "this method is not allowed on this resource");
      goto out;
    }

  if (!(route->flags & FQ_ROUTE_PUBLIC))
    {
      const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                       "Authorization");
      const FqUser *user = NULL;

      if (auth != NULL && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0)
        user = fq_auth_lookup_token (server, auth + 7);
      if (user == NULL)
        {
          respond_error_literal (request, FQ_ERROR_UNAUTHENTICATED, NULL,
                                 "a valid bearer token is needed");
          goto out;
        }
      request->user = fq_user_copy (user);

      /* The permission matrix's role column, for every route in one place;
       * scope is decided per record by fq_user_can_see(). */
      if (!fq_permission_allows (route->permission, user->role))
        {
          respond_error_literal (request, FQ_ERROR_FORBIDDEN, NULL,
                                 route->permission != NULL
                                   ? "your role may not do this"
                                   : "this endpoint is not in the permission matrix");
          goto out;
        }
    }

  if (strcmp (method, "GET") != 0)
    {
      const char *key = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                      "Idempotency-Key");

      if (key != NULL)
        {
          if (*key == '\0' || strlen (key) > FQ_IDEMPOTENCY_MAX)
            {
              respond_error_literal (request, FQ_ERROR_BAD_REQUEST, "Idempotency-Key",
                                     "must be 1 to 200 characters");
              goto out;
            }
          request->idempotency_key = g_strdup (key);
        }
    }

  read_body_and_handle (request, route);

out:
  fq_request_unref (request);
}

/* The Open311 tree (fq-open311.c): no bearer token (POST carries an
 * api_key instead), bodies form-encoded or JSON, its own error shape. The
 * request's segments are the path below /open311/v2. */
static void
open311_handler_cb (SoupServer        *soup,
                    SoupServerMessage *msg,
                    const char        *path,
                    GHashTable        *query,
                    gpointer           user_data)
{
  FqServer *server = user_data;
  FqRequest *request;
  const char *rest;

  request = g_new0 (FqRequest, 1);
  request->ref_count = 1;
  request->server = server;
  request->msg = g_object_ref (msg);
  request->method = g_strdup (soup_server_message_get_method (msg));
  request->path = g_strdup (path);
  if (query != NULL)
    request->query = g_hash_table_ref (query);

  rest = path + strlen (FQ_OPEN311_PREFIX);
  if (server->stopping || (*rest != '\0' && *rest != '/'))
    {
      fq_open311_respond_error (request, server->stopping ? 503 : 404,
                                server->stopping ? "the server is shutting down"
                                                 : "no such resource");
      goto out;
    }
  request->segments = split_path (rest, &request->n_segments);

  fq_open311_handle (request, body_take (msg));

out:
  fq_request_unref (request);
}

/* Everything outside /api/v1 and the Open311 tree is unknown: answer with
 * the API's error object all the same. */
static void
fallback_handler_cb (SoupServer        *soup,
                     SoupServerMessage *msg,
                     const char        *path,
                     GHashTable        *query,
                     gpointer           user_data)
{
  respond_early_error (msg, FQ_ERROR_NOT_FOUND, "no such resource");
}

/* ---- idle keep-alive connections ---- */

/* libsoup 3.2.3 leaks every keep-alive connection that the client closes
 * between two requests: it waits for the next request with a message that
 * has no completion callback yet, reads the end of stream into it, finishes
 * it, and never tells the server, which keeps the connection in its list
 * for ever (the fix is in libsoup 3.3). Measured here: about 2 KiB and, until
 * the socket is closed, one descriptor (CLOSE_WAIT) per connection; a
 * soak with connection churn grew by 40 MiB per 20,000 connections.
 *
 * Until the fix is on the target, each keep-alive connection is watched
 * from its first answer to its end, so that the watch sees the end of
 * stream before libsoup does. A peer that has gone while the connection was
 * idle has its connection taken from libsoup with
 * soup_server_message_steal_connection() on the last message (libsoup then
 * drops it from its list and frees it, as for any disconnection) and closed
 * here. Upgraded (WebSocket) and closing connections are not watched: they
 * are no longer libsoup's HTTP connections.
 *
 * The watch asks for G_IO_IN, the condition libsoup waits for, on the same
 * descriptor, in the same poll() and at the same priority, so both are
 * ready in the same iteration of the loop, and the watch is dispatched
 * first: it is older than every libsoup source, being one source for all
 * connections, made before the first (GLib dispatches the sources of one
 * priority in the order they were attached). Once libsoup has read the
 * end of stream, stealing the connection crashes (it has no message any
 * more). Cheaper watches were measured and dropped for that: one for the
 * hang-up alone (POLLRDHUP), per idle period or per connection, let
 * libsoup first 7 times in 50,000 hang-ups and once in about 1,500; one
 * epoll set for all connections (its readiness polled apart from
 * libsoup's) 473 times in 31,000.
 *
 * One source holding every watched descriptor, for the life of each
 * connection, rather than a source per connection or per idle period:
 * every source costs each iteration of the loop a lock, a reference and
 * its prepare() and check(), and in GLib 2.74 adding or removing a
 * descriptor wakes the loop with a write to its eventfd. A source per idle
 * period, at a higher priority (the previous watch), cost per request two
 * such writes, a GSource and one more iteration of the loop; with this one
 * the server's write() calls per GET went from 5.0 to 4.1 (strace -c, 50
 * keep-alive clients; the rest are libsoup's). A new request costs one
 * peek. Clients that hang up after one to three requests, at once, after a
 * pause or after shutting down their side, with one core kept busy: no
 * connection left in 60,000 (without the watch, all 4,000 of 4,000 were).
 *
 * While a request is being answered, data on the socket is a request sent
 * ahead of the answer (pipelining), which libsoup reads only once it has
 * answered: the watch would be ready at every iteration until then, so
 * that connection's watch ends there and its next answer makes a new one.
 *
 * Over TLS a client may close with close_notify: bytes, which the watch
 * cannot tell from a request, and after which libsoup reads the end of
 * stream itself. Such a connection is left to the leak, as it was by the
 * watch per idle period; one that closes without close_notify is taken. */
typedef struct
{
  GSocket           *socket;
  GSource           *source; /* server->idle_source */
  GPollFD            poll_fd; /* the socket's descriptor in source */
  SoupServerMessage *msg;   /* the last request answered, while idle */
  gint64             idle_since; /* monotonic: when msg was answered */
} IdleWatch;

typedef struct
{
  GSource   source;
  FqServer *server;
} IdleSource;

/* Takes the connection of @watch, idle, from libsoup and closes it. */
static void
idle_watch_take (IdleWatch *watch)
{
  g_autoptr(GIOStream) stream = soup_server_message_steal_connection (watch->msg);

  if (stream != NULL)
    g_io_stream_close (stream, NULL, NULL);
  else
    g_socket_close (watch->socket, NULL);
}

/* Whether @watch, whose socket is readable or has hung up, stays. */
static gboolean
idle_watch_keep (IdleWatch *watch)
{
  char byte;
  gssize n;

  if (g_socket_is_closed (watch->socket))
    return FALSE;

  n = recv (g_socket_get_fd (watch->socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return TRUE;
  /* Idle: the next request, which libsoup reads in this iteration. Until
   * it is answered the watch may not take the connection: over TLS the
   * bytes may instead be the peer's close_notify, after which libsoup
   * reads the end of stream itself, without a request. */
  if (n > 0 && watch->msg != NULL)
    {
      g_clear_object (&watch->msg);
      return TRUE;
    }
  if (n <= 0 && watch->msg != NULL)
    idle_watch_take (watch);
  /* Busy: a request sent ahead, or the peer gone in the middle of a
   * request, which libsoup finds out when it answers. */
  return FALSE;
}

/* Whether a descriptor is ready: what poll() found, which the loop wrote
 * into each watch's GPollFD. */
static gboolean
idle_source_check (GSource *source)
{
  FqServer *server = ((IdleSource *)source)->server;
  GHashTableIter iter;
  const IdleWatch *watch;

  g_hash_table_iter_init (&iter, server->idle_watches);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&watch))
    {
      if (watch->poll_fd.revents != 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
idle_source_dispatch (GSource     *source,
                      GSourceFunc  callback,
                      gpointer     user_data)
{
  FqServer *server = ((IdleSource *)source)->server;
  g_autoptr(GPtrArray) ready = g_ptr_array_new ();
  GHashTableIter iter;
  IdleWatch *watch;

  /* First find them, then act: stealing a connection runs libsoup's code. */
  g_hash_table_iter_init (&iter, server->idle_watches);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&watch))
    {
      if (watch->poll_fd.revents != 0)
        {
          watch->poll_fd.revents = 0;
          g_ptr_array_add (ready, watch->socket);
        }
    }
  for (guint i = 0; i < ready->len; i++)
    {
      GSocket *socket = g_ptr_array_index (ready, i);

      watch = g_hash_table_lookup (server->idle_watches, socket);
      if (watch != NULL && !idle_watch_keep (watch))
        g_hash_table_remove (server->idle_watches, socket);
    }
  return G_SOURCE_CONTINUE;
}

/* The descriptors are the watches' own GPollFDs (g_source_add_poll()),
 * read in place, rather than g_source_add_unix_fd()'s: asking GLib 2.74
 * whether one of those is ready (g_source_query_unix_fd()) first looks for
 * it in the list of all of them, so that finding the ready ones among n
 * idle connections took n * n / 2 steps at each new request. Main-thread
 * CPU per GET beside 1,000 idle keep-alive connections went from 2.5-3.5
 * ms to 0.7 ms, beside 4,000 from 57 ms to 5.4-7.9 ms (bench-server; the
 * rest is GLib's loop, which polls and checks every connection's source
 * at each turn). Here check() and dispatch() look at each watch once. */
static GSourceFuncs idle_source_funcs = {
  .check = idle_source_check,
  .dispatch = idle_source_dispatch,
};

static void
idle_watch_free (gpointer data)
{
  IdleWatch *watch = data;

  g_source_remove_poll (watch->source, &watch->poll_fd);
  g_clear_object (&watch->msg);
  g_object_unref (watch->socket);
  g_free (watch);
}

/* libsoup 3.2.3 also keeps one reference to the GSocket of every connection
 * it accepts (its listener takes the socket from g_socket_accept() and
 * never drops it; later libsoup drops it): however the connection ends,
 * with "Connection: close", closed by the client or stolen above, the
 * GSocket object (about 340 bytes; the descriptor is closed) is never
 * freed. Measured with a bare SoupServer as with ours: 343 bytes per
 * connection, 12 MB in the second half of the five-minute soak.
 *
 * Until the fix is on the target, the server tracks each socket from its
 * first request with a weak reference. Every stream and connection object
 * on a socket holds a reference of its own, so a socket that libsoup has
 * closed and that only one reference keeps alive is held by nobody but the
 * leak: that reference is dropped. Checked every FQ_ORPHAN_SWEEP new
 * connections, so that at most that many closed sockets wait. Only with
 * libsoup 3.2 (the leaking series) and on plain HTTP: over TLS libsoup
 * 3.2.3 does not keep the socket (measured: no growth in 4,000
 * connections), and a reference there could be somebody's. */
#define FQ_ORPHAN_SWEEP 256

static void
orphan_socket_gone_cb (gpointer  data,
                       GObject  *where_the_object_was)
{
  FqServer *server = data;

  g_hash_table_remove (server->tracked_sockets, where_the_object_was);
}

static void
sweep_orphan_sockets (FqServer *server)
{
  g_autoptr(GPtrArray) orphans = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, server->tracked_sockets);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      /* The count first: a feed's socket is closed on the feed thread,
       * which then holds no reference any more. */
      if (g_atomic_int_get ((gint *)&G_OBJECT (key)->ref_count) == 1 && g_socket_is_closed (key))
        g_ptr_array_add (orphans, key);
    }
  /* Finalized: orphan_socket_gone_cb() takes each out of the table. */
  for (guint i = 0; i < orphans->len; i++)
    g_object_unref (g_ptr_array_index (orphans, i));
}

static void
track_socket (FqServer *server,
              GSocket  *socket)
{
  if (server->tracked_sockets == NULL || g_hash_table_contains (server->tracked_sockets, socket))
    return;

  g_object_weak_ref (G_OBJECT (socket), orphan_socket_gone_cb, server);
  g_hash_table_add (server->tracked_sockets, socket);
  if (++server->n_new_sockets >= FQ_ORPHAN_SWEEP)
    {
      server->n_new_sockets = 0;
      sweep_orphan_sockets (server);
    }
}

static void
untrack_sockets (FqServer *server)
{
  GHashTableIter iter;
  gpointer key;

  if (server->tracked_sockets == NULL)
    return;
  g_hash_table_iter_init (&iter, server->tracked_sockets);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_object_weak_unref (key, orphan_socket_gone_cb, server);
  g_clear_pointer (&server->tracked_sockets, g_hash_table_unref);
}

static void
request_started_cb (SoupServer        *soup,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  FqServer *server = user_data;
  GSocket *socket = soup_server_message_get_socket (msg);
  IdleWatch *watch;

  if (socket != NULL)
    {
      /* Busy until answered. */
      watch = g_hash_table_lookup (server->idle_watches, socket);
      if (watch != NULL)
        g_clear_object (&watch->msg);
      track_socket (server, socket);
    }
}

/* Also for a request that failed (request-aborted): a 500 answer may keep
 * the connection. */
static void
request_finished_cb (SoupServer        *soup,
                     SoupServerMessage *msg,
                     gpointer           user_data)
{
  FqServer *server = user_data;
  GSocket *socket = soup_server_message_get_socket (msg);
  const char *connection;
  const char *asked;
  IdleWatch *watch;

  if (socket == NULL)
    return;
  /* Sends what respond_text() corked. */
  flush_push (server, socket);

  /* Only a connection that libsoup keeps open for another request. */
  connection = soup_message_headers_get_list (soup_server_message_get_response_headers (msg),
                                              "Connection");
  asked = soup_message_headers_get_list (soup_server_message_get_request_headers (msg),
                                         "Connection");
  if (g_socket_is_closed (socket) || server->stopping ||
      soup_server_message_get_status (msg) == SOUP_STATUS_SWITCHING_PROTOCOLS ||
      soup_server_message_get_http_version (msg) != SOUP_HTTP_1_1 ||
      (connection != NULL && soup_header_contains (connection, "close")) ||
      (asked != NULL && soup_header_contains (asked, "close")))
    {
      g_hash_table_remove (server->idle_watches, socket);
      return;
    }

  watch = g_hash_table_lookup (server->idle_watches, socket);
  if (watch == NULL)
    {
      watch = g_new0 (IdleWatch, 1);
      watch->socket = g_object_ref (socket);
      watch->source = server->idle_source;
      watch->poll_fd.fd = g_socket_get_fd (socket);
      watch->poll_fd.events = G_IO_IN | G_IO_HUP | G_IO_ERR;
      g_source_add_poll (server->idle_source, &watch->poll_fd);
      g_hash_table_insert (server->idle_watches, socket, watch);
    }
  g_set_object (&watch->msg, msg);
  watch->idle_since = g_get_monotonic_time ();
}

/* Every second: the keep-alive connections idle for keep_alive_seconds are
 * closed, as web servers do (nginx after 75 s). Each open connection costs
 * every request a little (GLib's loop polls and checks each at every
 * turn), so one a client forgets should not stay for ever. The console
 * closes its own after 60 s idle (fq-client.c), before the default 75, so
 * the server does not close one the console is about to use. A connection
 * with a request already waiting in its socket is left to libsoup. */
static gboolean
keep_alive_sweep_cb (gpointer user_data)
{
  FqServer *server = user_data;
  gint64 limit = g_get_monotonic_time () - (gint64)server->config.keep_alive_seconds * G_USEC_PER_SEC;
  g_autoptr(GPtrArray) expired = g_ptr_array_new ();
  GHashTableIter iter;
  IdleWatch *watch;
  guint n_closed = 0;

  if (server->stopping)
    return G_SOURCE_CONTINUE;
  /* First find them, then act: stealing a connection runs libsoup's code. */
  g_hash_table_iter_init (&iter, server->idle_watches);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&watch))
    {
      if (watch->msg != NULL && watch->idle_since <= limit)
        g_ptr_array_add (expired, watch->socket);
    }
  for (guint i = 0; i < expired->len; i++)
    {
      GSocket *socket = g_ptr_array_index (expired, i);
      char byte;

      watch = g_hash_table_lookup (server->idle_watches, socket);
      if (watch == NULL || watch->msg == NULL || g_socket_is_closed (socket) ||
          recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
        continue;
      idle_watch_take (watch);
      g_hash_table_remove (server->idle_watches, socket);
      n_closed++;
    }
  if (n_closed > 0)
    g_debug ("closed %u keep-alive connections idle for %u s", n_closed,
             server->config.keep_alive_seconds);
  return G_SOURCE_CONTINUE;
}

/* ---- life cycle ---- */

FqServer *
fq_server_new (const FqServerConfig  *config,
               FqRefData             *refdata,
               GError               **error)
{
  FqServer *server;
  sqlite3 *db;
  g_autofree char *db_path = NULL;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (default_server == NULL, NULL);

  db_path = g_build_filename (config->data_dir, FQ_STORE_FILENAME, NULL);
  /* The writer's connection: it writes each transaction's WAL frames at
   * once (fq-wal-vfs.h). */
  db = fq_store_open_vfs (db_path, fq_wal_vfs_name (), error);
  if (db == NULL)
    return NULL;

  server = g_new0 (FqServer, 1);
  server->config = *config;
  server->config.data_dir = g_strdup (config->data_dir);
  server->config.listen_host = g_strdup (config->listen_host);
  server->config.tls_cert = g_strdup (config->tls_cert);
  server->config.tls_key = g_strdup (config->tls_key);
  server->config.reference_dir = g_strdup (config->reference_dir);
  server->db_path = g_steal_pointer (&db_path);
  server->refdata = fq_refdata_ref (refdata);
  if (config->reference_dir != NULL)
    {
      g_autoptr(GError) hint_error = NULL;

      /* Without its examples the server still works; it only stops
       * suggesting categories, and says so once. */
      server->category_hint = fq_category_hint_new_from_dir (refdata, config->reference_dir,
                                                             &hint_error);
      if (server->category_hint == NULL)
        g_warning ("category hints are off: %s", hint_error->message);
    }
  server->context = g_main_context_ref_thread_default ();
  server->routes = g_ptr_array_new_with_free_func ((GDestroyNotify)route_free);
  server->write_queue = g_async_queue_new ();
  server->read_queue = fq_read_queue_new (FQ_READ_HELP_AFTER);
  server->garbage = garbage_bin_new (server);
  server->ticket_cache = fq_ticket_cache_new (FQ_TICKET_CACHE_BYTES);
  fq_ticket_cache_set_dispose (server->ticket_cache, dispose_detail, server);
  server->done_queue = g_async_queue_new ();
  server->done_source = g_source_new (&done_source_funcs, sizeof (DoneSource));
  ((DoneSource *)server->done_source)->server = server;
  g_source_set_static_name (server->done_source, "fq-server jobs done");
  g_source_set_callback (server->done_source, done_source_cb, server, NULL);
  g_source_attach (server->done_source, server->context);
  g_mutex_init (&server->checkpoint_lock);
  g_cond_init (&server->checkpoint_cond);
  g_mutex_init (&server->flush_lock);
  g_cond_init (&server->flush_cond);
  server->flush_fds = g_array_new (FALSE, FALSE, sizeof (int));
  server->writer_conn = conn_new (db);
  server->last_seq = fq_store_last_seq (db);
  server->durable_seq = server->last_seq;
  server->wal_fd = -1;
  server->sync_queue = g_async_queue_new ();

  default_server = server;

  if (!fq_auth_load (server, db, error))
    {
      fq_server_free (server);
      return NULL;
    }

  return server;
}

/* The writer commits without flushing and the sync thread flushes, when
 * the WAL can be opened; otherwise the writer flushes its own commits
 * (synchronous=FULL, as opened). */
static void
start_sync_thread (FqServer *server)
{
  g_autoptr(GError) error = NULL;

  server->wal_fd = open_wal (server->db_path, &error);
  if (server->wal_fd < 0)
    {
      g_warning ("commits flush on the writer: %s", error->message);
      return;
    }
  if (!fq_store_exec (server->writer_conn->db, "PRAGMA synchronous = NORMAL", &error))
    {
      g_warning ("commits flush on the writer: %s", error->message);
      close (server->wal_fd);
      server->wal_fd = -1;
      return;
    }
  server->sync_thread = g_thread_new ("fq-sync", sync_thread, server);
}

gboolean
fq_server_start (FqServer  *server,
                 GError   **error)
{
  g_autoptr(GTlsCertificate) cert = NULL;

  if (server->config.tls_cert != NULL)
    {
      cert = g_tls_certificate_new_from_files (server->config.tls_cert,
                                               server->config.tls_key != NULL
                                                 ? server->config.tls_key
                                                 : server->config.tls_cert,
                                               error);
      if (cert == NULL)
        return FALSE;
    }

  server->soup = soup_server_new ("server-header", "fengqiao-server/" PACKAGE_VERSION " ",
                                  "tls-certificate", cert,
                                  NULL);

  /* Before the first connection: see IdleWatch. The table first: the
   * source's check() reads it. */
  server->idle_watches = g_hash_table_new_full (NULL, NULL, NULL, idle_watch_free);
  server->idle_source = g_source_new (&idle_source_funcs, sizeof (IdleSource));
  ((IdleSource *)server->idle_source)->server = server;
  g_source_set_static_name (server->idle_source, "fq-server idle connections");
  /* Not blocked while dispatched: blocking takes every descriptor out of
   * the loop and puts it back, with a wake-up write for each. */
  g_source_set_can_recurse (server->idle_source, TRUE);
  g_source_attach (server->idle_source, server->context);
  if (server->config.keep_alive_seconds > 0)
    {
      server->keep_alive_source = g_timeout_source_new_seconds (1);
      g_source_set_callback (server->keep_alive_source, keep_alive_sweep_cb, server, NULL);
      g_source_set_static_name (server->keep_alive_source, "fq-server keep-alive limit");
      g_source_attach (server->keep_alive_source, server->context);
    }
  if (cert == NULL && soup_get_major_version () == 3 && soup_get_minor_version () == 2)
    server->tracked_sockets = g_hash_table_new (NULL, NULL);
  g_signal_connect (server->soup, "request-started", G_CALLBACK (request_started_cb), server);
  g_signal_connect (server->soup, "request-finished", G_CALLBACK (request_finished_cb), server);
  g_signal_connect (server->soup, "request-aborted", G_CALLBACK (request_finished_cb), server);

  soup_server_add_early_handler (server->soup, FQ_API_PREFIX, early_handler_cb, server, NULL);
  soup_server_add_handler (server->soup, FQ_API_PREFIX, api_handler_cb, server, NULL);
  soup_server_add_early_handler (server->soup, FQ_OPEN311_PREFIX, early_handler_cb, server, NULL);
  soup_server_add_handler (server->soup, FQ_OPEN311_PREFIX, open311_handler_cb, server, NULL);
  soup_server_add_handler (server->soup, "/", fallback_handler_cb, server, NULL);

  fq_auth_register (server);
  fq_audit_register (server);
  fq_changes_register (server);
  fq_reference_register (server);
  fq_incidents_register (server);
  fq_privacy_register (server);
  fq_tickets_register (server);
  fq_metrics_register (server);
  fq_sessions_register (server);
  fq_open311_register (server);
  fq_import_register (server);

  /* The writer's commits only ask for a checkpoint (SQLite would run it on
   * the committing connection); the checkpoint thread does it. */
  sqlite3_wal_hook (server->writer_conn->db, wal_hook_cb, server);
  server->checkpoint_thread = g_thread_new ("fq-checkpoint", checkpoint_thread, server);
  server->flush_thread = g_thread_new ("fq-flush", flush_thread, server);
  start_sync_thread (server);
  server->writer_thread = g_thread_new ("fq-writer", writer_thread, server);
  for (guint i = 0; i < FQ_N_READERS; i++)
    {
      GThreadFunc func = i == 0 ? lead_reader_thread : helper_reader_thread;

      server->reader_threads[i] = g_thread_new ("fq-reader", func, server);
    }

  return TRUE;
}

gboolean
fq_server_listen (FqServer  *server,
                  char     **out_uri,
                  GError   **error)
{
  g_autoptr(GInetAddress) address = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GResolver) resolver = NULL;
  g_autoptr(GSocket) listen_socket = NULL;
  GSList *uris;
  const char *host = server->config.listen_host;
  guint port = 0;
  SoupServerListenOptions options = 0;

  address = g_inet_address_new_from_string (host);
  if (address == NULL)
    {
      GList *addresses;

      resolver = g_resolver_get_default ();
      addresses = g_resolver_lookup_by_name (resolver, host, NULL, error);
      if (addresses == NULL)
        return FALSE;
      address = g_object_ref (addresses->data);
      g_resolver_free_addresses (addresses);
    }

  if (server->config.tls_cert != NULL)
    options |= SOUP_SERVER_LISTEN_HTTPS;

  socket_address = g_inet_socket_address_new (address, server->config.listen_port);
  /* soup_server_listen() would listen with GLib's backlog of 10: fifty
   * desks connecting at once overflow it, and the connections left out wait
   * for a SYN retransmission, a whole second. The socket is made here with
   * the system's limit instead. */
  listen_socket = g_socket_new (g_socket_address_get_family (socket_address),
                                G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (listen_socket == NULL)
    return FALSE;
  if (g_socket_address_get_family (socket_address) == G_SOCKET_FAMILY_IPV6)
    g_socket_set_option (listen_socket, IPPROTO_IPV6, IPV6_V6ONLY, TRUE, NULL);
  g_socket_set_listen_backlog (listen_socket, SOMAXCONN);
  if (!g_socket_bind (listen_socket, socket_address, TRUE, error) ||
      !g_socket_listen (listen_socket, error) ||
      !soup_server_listen_socket (server->soup, listen_socket, options, error))
    return FALSE;

  uris = soup_server_get_uris (server->soup);
  if (uris != NULL)
    port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  if (out_uri != NULL)
    {
      gboolean v6 = strchr (host, ':') != NULL;

      *out_uri = g_strdup_printf ("%s://%s%s%s:%u",
                                  server->config.tls_cert != NULL ? "https" : "http",
                                  v6 ? "[" : "", host, v6 ? "]" : "", port);
    }
  return TRUE;
}

static void
queue_quit (GAsyncQueue *queue)
{
  FqJob *job = g_new0 (FqJob, 1);

  job->quit = TRUE;
  g_async_queue_push (queue, job);
}

void
fq_server_shutdown (FqServer *server)
{
  gint64 deadline;

  if (server->stopping)
    return;
  server->stopping = TRUE;

  fq_demo_feed_stop (server);

  /* Stop accepting; requests already in progress still get their answer
   * while the loop below runs. */
  if (server->soup != NULL)
    soup_server_disconnect (server->soup);
  if (server->idle_watches != NULL)
    g_hash_table_remove_all (server->idle_watches);
  fq_changes_close_all (server);

  if (server->writer_thread != NULL)
    {
      queue_quit (server->write_queue);
      fq_read_queue_close (server->read_queue);

      /* Deliver what the threads finish, bounded in time. */
      deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
      while (server->n_outstanding > 0 && g_get_monotonic_time () < deadline)
        {
          if (!g_main_context_iteration (server->context, FALSE))
            g_usleep (1000);
        }

      g_thread_join (g_steal_pointer (&server->writer_thread));
      if (server->sync_thread != NULL)
        g_thread_join (g_steal_pointer (&server->sync_thread));
      for (guint i = 0; i < FQ_N_READERS; i++)
        g_thread_join (g_steal_pointer (&server->reader_threads[i]));

      /* No commit asks for a checkpoint any more; closing the writer's
       * connection, the last one, checkpoints what is left. */
      g_mutex_lock (&server->checkpoint_lock);
      server->checkpoint_quit = TRUE;
      g_cond_signal (&server->checkpoint_cond);
      g_mutex_unlock (&server->checkpoint_lock);
      g_thread_join (g_steal_pointer (&server->checkpoint_thread));

      while (g_main_context_pending (server->context))
        g_main_context_iteration (server->context, FALSE);
    }
  flush_stop (server);
  if (server->garbage != NULL)
    garbage_bin_close (server->garbage);
}

void
fq_server_free (FqServer *server)
{
  if (server == NULL)
    return;

  fq_server_shutdown (server);

  fq_auth_free (server);
  g_clear_pointer (&server->idle_watches, g_hash_table_unref);
  if (server->idle_source != NULL)
    g_source_destroy (server->idle_source);
  g_clear_pointer (&server->idle_source, g_source_unref);
  if (server->keep_alive_source != NULL)
    g_source_destroy (server->keep_alive_source);
  g_clear_pointer (&server->keep_alive_source, g_source_unref);
  untrack_sockets (server);
  g_clear_object (&server->soup);
  g_clear_pointer (&server->writer_conn, conn_free);
  g_clear_pointer (&server->routes, g_ptr_array_unref);
  g_clear_pointer (&server->write_queue, g_async_queue_unref);
  g_clear_pointer (&server->read_queue, fq_read_queue_free);
  g_clear_pointer (&server->ticket_cache, fq_ticket_cache_free);
  g_clear_pointer (&server->garbage, garbage_bin_unref);
  if (server->done_source != NULL)
    g_source_destroy (server->done_source);
  g_clear_pointer (&server->done_source, g_source_unref);
  g_clear_pointer (&server->done_queue, g_async_queue_unref);
  g_clear_pointer (&server->sync_queue, g_async_queue_unref);
  if (server->wal_fd >= 0)
    close (server->wal_fd);
  g_mutex_clear (&server->checkpoint_lock);
  g_cond_clear (&server->checkpoint_cond);
  g_clear_pointer (&server->flush_fds, g_array_unref);
  g_mutex_clear (&server->flush_lock);
  g_cond_clear (&server->flush_cond);
  g_clear_pointer (&server->refdata, fq_refdata_unref);
  g_clear_pointer (&server->category_hint, fq_category_hint_unref);
  g_clear_pointer (&server->context, g_main_context_unref);
  g_free (server->db_path);
  g_free (server->config.data_dir);
  g_free (server->config.listen_host);
  g_free (server->config.tls_cert);
  g_free (server->config.reference_dir);
  g_free (server->config.tls_key);

  if (default_server == server)
    default_server = NULL;
  g_free (server);
}
