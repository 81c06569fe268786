/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * Internals shared by the server's infrastructure files only (fq-server.c,
 * fq-auth.c, fq-audit.c, fq-changes.c, fq-reference.c, fq-user.c, main.c).
 * Resource handlers use fq-server-private.h and nothing from here.
 */

#include "fq-read-queue.h"
#include "fq-server-private.h"

G_BEGIN_DECLS

#define FQ_API_PREFIX "/api/v1"
#define FQ_N_READERS  2
/* A helper reader steps in after the lead has been busy this long (µs). */
#define FQ_READ_HELP_AFTER (2 * G_TIME_SPAN_MILLISECOND)
/* What the ticket details kept in memory may hold (fq-ticket-cache.h):
 * about 2,900 tickets of average history (about 2,800 bytes each with
 * 13 months of demo history, most of it the answer's text). */
#define FQ_TICKET_CACHE_BYTES (8 * 1024 * 1024)

typedef struct _FqAuthState  FqAuthState;
typedef struct _FqHubState   FqHubState;
typedef struct _FqConn       FqConn;
typedef struct _FqGarbageBin FqGarbageBin;

/* The server's state. Fields are touched on the main thread only, unless
 * said otherwise. */
struct _FqServer
{
  FqServerConfig  config;
  char           *db_path;
  FqRefData      *refdata;       /* immutable: any thread */
  FqCategoryHint *category_hint; /* immutable: any thread; may be NULL */
  GMainContext   *context;
  SoupServer     *soup;
  GPtrArray      *routes;

  GThread        *writer_thread;
  GAsyncQueue    *write_queue;   /* FqJob, any thread */
  FqConn         *writer_conn;   /* the writer thread's */
  GThread        *reader_threads[FQ_N_READERS];
  FqReadQueue    *read_queue;    /* FqJob, any thread */
  guint           n_outstanding; /* jobs queued and not yet completed */
  GAsyncQueue    *done_queue;    /* FqJob finished by a thread, any thread */
  GSource        *done_source;   /* dispatched while done_pending */
  int             done_pending;  /* atomic: 1 from a delivery to its dispatch */

  GThread        *sync_thread;   /* makes committed batches durable */
  GAsyncQueue    *sync_queue;    /* committed batches, from the writer */
  int             wal_fd;        /* the sync thread's descriptor of the WAL; -1: none */
  gint64          durable_seq;   /* atomic: the last seq on disk */

  GThread        *checkpoint_thread; /* copies the WAL into the database */
  GMutex          checkpoint_lock;
  GCond           checkpoint_cond;
  gboolean        checkpoint_wanted; /* under checkpoint_lock */
  gboolean        checkpoint_quit;   /* under checkpoint_lock */
  int             checkpoint_copied; /* atomic: WAL frames in the database after the last pass */

  GThread        *flush_thread;  /* sends what answers left corked, see flush_push() */
  GMutex          flush_lock;
  GCond           flush_cond;
  GArray         *flush_fds;     /* under flush_lock: duplicates of sockets to uncork */
  gboolean        flush_asleep;  /* under flush_lock */
  gboolean        flush_quit;    /* under flush_lock */

  gint64          last_seq;      /* the last seq pushed to clients */
  gboolean        stopping;

  GSource        *idle_source;   /* watches idle keep-alive connections, see IdleWatch */
  GSource        *keep_alive_source; /* closes those idle too long, see keep_alive_sweep_cb() */
  GHashTable     *idle_watches;  /* GSocket → IdleWatch */
  GHashTable     *tracked_sockets; /* GSocket (weak), see track_socket(); NULL: not needed */
  guint           n_new_sockets;   /* tracked since the last sweep */

  FqAuthState    *auth;          /* fq-auth.c */
  FqHubState     *hub;           /* fq-changes.c */
  FqTicketCache  *ticket_cache;  /* emptied at every completed write */
  FqGarbageBin   *garbage;       /* blocks the readers allocated, see fq-server.c */
};

/* One change, as committed: shared (reference counted) between every
 * WebSocket client that has it queued. @frame is the API's change object as
 * JSON text, ready to send. */
typedef struct
{
  gint64  seq;
  char   *entity;
  char   *id;
  char   *grid;    /* NULL: visible to everybody (categories, units) */
  char  **units;   /* NULL: any unit */
  char   *frame;
  gsize   frame_len;
  char   *masked_frame; /* @frame with phones masked, or NULL if it has none */
} FqChange;


FqChange *fq_change_new   (gint64              seq,
                           const char         *entity,
                           const char         *id,
                           const char         *op,
                           const char         *grid,
                           const char * const *units,
                           const char         *data_json);
FqChange *fq_change_ref   (FqChange *change);
void      fq_change_unref (FqChange *change);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FqChange, fq_change_unref)

/* Appends @str to @out as a JSON string literal (with quotes). */
void      fq_json_escape_append (GString    *out,
                                 const char *str);

/* Units as stored in the changes table: ",u1,u2," (NULL for none). */
char     *fq_units_join         (const char * const *units);

/* ---- server life cycle (main.c) ---- */

FqServer *fq_server_new           (const FqServerConfig *config,
                                   FqRefData            *refdata,
                                   GError              **error);
/* Starts the threads and registers every module's routes. */
gboolean  fq_server_start         (FqServer   *server,
                                   GError    **error);
gboolean  fq_server_listen        (FqServer   *server,
                                   char      **out_uri,
                                   GError    **error);
/* Stops accepting, lets queued jobs finish, joins the threads, closes the
 * databases. */
void      fq_server_shutdown      (FqServer   *server);
void      fq_server_free          (FqServer   *server);

SoupServer *fq_server_get_soup    (FqServer   *server);
const char *fq_server_get_db_path (FqServer   *server);
/* The last seq pushed to clients (main thread). */
gint64    fq_server_get_last_seq  (FqServer   *server);
/* Any thread: the last seq that is durable (changes after it are not
 * served yet). */
gint64    fq_server_get_durable_seq (FqServer *server);

/* ---- jobs with a main-thread completion instead of a response ---- */

/* Runs @func on a reader (or the writer) without any FqRequest behind it;
 * @done runs on the main thread afterwards with the job, whose response
 * (fq_job_get_response) and error it may inspect. */
void      fq_server_run_job       (FqServer       *server,
                                   FqJobKind       kind,
                                   const FqUser   *user,
                                   FqJobFunc       func,
                                   gpointer        user_data,
                                   GDestroyNotify  destroy,
                                   FqJobDoneFunc   done,
                                   gpointer        done_data);

/* Responds with ready JSON text (takes @text). */
void      fq_job_respond_text     (FqJob      *job,
                                   guint       status,
                                   char       *text,
                                   gsize       length);
/* The job's outcome, valid in an FqJobDoneFunc. */
guint       fq_job_get_status     (FqJob      *job);
const char *fq_job_get_body_text  (FqJob      *job);
const GError *fq_job_get_error    (FqJob      *job);

/* A request header, or NULL. */
const char *fq_request_get_header (FqRequest  *request,
                                   const char *name);
/* Login: the request acts as @user from now on (its audit row names it);
 * an Idempotency-Key is dropped, since the answer holds a secret. */
void       fq_request_set_login_user (FqRequest    *request,
                                      const FqUser *user);
/* Responds with ready JSON text (takes @text). */
void       fq_request_respond_text (FqRequest *request,
                                    guint      status,
                                    char      *text,
                                    gsize      length);

/* The error object of the API as JSON text. */
char     *fq_error_to_json_text   (const GError *error,
                                   JsonObject   *extra,
                                   gsize        *length);

/* ---- auth (fq-auth.c) ---- */

gboolean  fq_auth_load            (FqServer   *server,
                                   sqlite3    *db,
                                   GError    **error);
/* The user of a valid bearer token (the value after "Bearer "), or NULL.
 * Main thread only; answers from memory. */
const FqUser *fq_auth_lookup_token (FqServer  *server,
                                    const char *token);
/* Hashes @password with crypto_pwhash_str (interactive limits): slow, never
 * on the main thread. */
char     *fq_auth_hash_password   (const char *password,
                                   GError    **error);
/* Inserts a user directly (main.c: the first admin, the demo users) in the
 * caller's transaction. */
gboolean  fq_auth_insert_user     (sqlite3      *db,
                                   const char   *username,
                                   const char   *display_name,
                                   const char   *password_hash,
                                   FqRole        role,
                                   const char   *scope,
                                   const char   *unit,
                                   gint64        now,
                                   GError      **error);
/* The hex BLAKE2b hash under which a token is known. */
char     *fq_auth_token_hash      (const char *token);
void      fq_auth_free            (FqServer   *server);

/* ---- change hub (fq-changes.c) ---- */

/* Hands @changes (FqChange, in seq order, committed and durable) to the
 * live feeds, in one message to their thread; takes a reference. */
void      fq_changes_push         (FqServer   *server,
                                   GPtrArray  *changes);
void      fq_changes_close_all    (FqServer   *server);
/* Closes the WebSockets of @username (of one session if @token_hash is
 * given): logout, disable, password or role change. */
void      fq_changes_revoke       (FqServer   *server,
                                   const char *username,
                                   const char *token_hash);

/* ---- reference data (fq-reference.c) ---- */

/* Imports grid-4202.tsv, categories.json and unit-templates.json from
 * @datadir into @db (inside the caller's transaction), with changes. */
gboolean  fq_reference_import_dir  (sqlite3    *db,
                                    const char *datadir,
                                    gint64      now,
                                    GError    **error);
/* Imports another grid subtree (TSV) and the units generated for it from
 * the unit templates of @datadir; existing nodes are kept. The file starts
 * at an existing node, or holds the server's root below a new root (a
 * province file around the city the server started with; data/README.md). */
gboolean  fq_reference_import_grid (sqlite3    *db,
                                    const char *tsv_path,
                                    const char *datadir,
                                    gint64      now,
                                    guint      *n_nodes,
                                    guint      *n_units,
                                    GError    **error);
/* Rebuilds the reference data from the database. */
FqRefData *fq_reference_load       (sqlite3    *db,
                                    GError    **error);

/* ---- users (fq-user.c) ---- */

/* Builds a user, computing the scope prefix from @refdata; NULL and an
 * error if the scope is not a known node. */
FqUser   *fq_user_new             (FqRefData  *refdata,
                                   const char *username,
                                   const char *display_name,
                                   FqRole      role,
                                   const char *scope,
                                   const char *unit,
                                   GError    **error);

G_END_DECLS
