/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * The server's internal contract between its infrastructure (fq-server.c,
 * fq-store.c, fq-auth.c, fq-changes.c, fq-reference.c, main.c) and its
 * resource handlers (fq-incidents.c, fq-tickets.c, …) and the demo.
 *
 * Threads: SoupServer and every FqRequest live on the main thread. Database
 * work runs as an FqJob, on the single writer thread (writes, batched into
 * one transaction per batch with a SAVEPOINT per job: each job commits or
 * rolls back alone, and no response is sent before its batch is committed)
 * or on a reader thread (reads, each with its own connection; WAL lets them
 * run beside the writer). A job sees its request read-only; the request is
 * not touched by the main thread while the job runs.
 */

#include <libsoup/soup.h>
#include <sqlite3.h>

#include "fq-category-hint.h"
#include "fq-enums.h"
#include "fq-error.h"
#include "fq-json.h"
#include "fq-refdata.h"

G_BEGIN_DECLS

typedef struct _FqServer  FqServer;
typedef struct _FqRequest FqRequest;
typedef struct _FqJob     FqJob;
typedef struct _FqTicketCache FqTicketCache;  /* fq-ticket-cache.h */

typedef struct
{
  char   *username;
  char   *display_name;
  FqRole  role;
  char   *unit;          /* unit id, role unit only, else NULL */
  char   *scope;         /* a grid code */
  char   *scope_prefix;  /* see fq-refdata.h */
} FqUser;

FqUser   *fq_user_copy      (const FqUser *user);
void      fq_user_free      (FqUser       *user);
JsonNode *fq_user_to_json   (const FqUser *user);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FqUser, fq_user_free)

/* Visibility, the one place where scope is decided: a record at @grid that
 * concerns @units (NULL-terminated unit ids, or NULL for "any unit") is
 * visible to @user when @grid lies in the user's scope and, for role unit,
 * the user's unit is one of @units (or @units is NULL). */
gboolean  fq_user_can_see   (const FqUser       *user,
                             const char         *grid,
                             const char * const *units);

/* Privacy (fq-privacy.c): who reads callers' phone numbers, and masking for
 * everyone else. */
gboolean  fq_user_sees_phones    (const FqUser *user);
char     *fq_privacy_mask_phone  (const char   *phone);
/* @node (transfer full) with every phone masked (the "caller_phone" members
 * whole, numbers found in other strings) unless @user may read them: @node
 * itself, or a masked copy and @node is released. @node is never changed. */
JsonNode *fq_privacy_mask_node   (const FqUser *user,
                                  JsonNode     *node);
/* The same for an answer to nobody signed in (Open311). */
JsonNode *fq_privacy_mask_public_node (JsonNode *node);
/* The first phone number in @text[@from, @length) typed as free text
 * (mobile, landline with area code, local number after a keyword): TRUE
 * with its extent [*@start, *@end), a +86 prefix left out. */
gboolean  fq_privacy_find_phone  (const char   *text,
                                  gsize         length,
                                  gsize         from,
                                  gsize        *start,
                                  gsize        *end);
/* A copy of @text with the numbers fq_privacy_find_phone() finds masked, or
 * NULL if it has none. */
char     *fq_privacy_mask_free_text (const char *text);
/* Whether a search for @q (ASCII case-insensitive, as SQL LIKE) still finds
 * @text (nullable) once its phones are masked: a role that may not read
 * phone numbers must not find a call by them either, one digit at a time. */
gboolean  fq_privacy_masked_text_matches (const char *text,
                                          const char *q);
/* Whether the member @name holds an identifier, never masked. */
gboolean  fq_privacy_is_identifier_member (const char *name);
/* A copy of serialised @json with its phones masked, or NULL if it has none. */
char     *fq_privacy_mask_text   (const char   *json);
/* Appends serialised @json (@length bytes, NUL-terminated) to @out with its
 * phones masked. */
void      fq_privacy_mask_text_append (GString    *out,
                                       const char *json,
                                       gsize       length);

typedef struct
{
  char    *data_dir;
  char    *listen_host;
  guint    listen_port;
  gboolean demo;
  guint    demo_history_months;
  double   demo_feed_rate;       /* per minute */
  gint64   accept_limit_seconds; /* SLA acceptance limit */
  gint64   auto_escalate_seconds; /* escalate after overdue this long; 0: never */
  guint    sla_interval_seconds; /* how often the SLA watch runs; 0: 60 */
  gint64   token_lifetime_seconds;
  guint    keep_alive_seconds;   /* an idle keep-alive connection is closed after; 0: never */
  char    *tls_cert;
  char    *tls_key;
  char    *reference_dir;        /* where the reference data and the hint's examples are */
} FqServerConfig;

/* ---- server ---- */

FqServer        *fq_server_get_default    (void);
FqRefData       *fq_server_get_refdata    (FqServer *server);
/* The category hint model, or NULL when its data could not be loaded
 * (the server then suggests nothing). Immutable: any thread. */
FqCategoryHint  *fq_server_get_category_hint (FqServer *server);
const FqServerConfig *fq_server_get_config (FqServer *server);
/* The SLA's acceptance limit in seconds: --accept-limit-minutes, else the
 * default. Any thread. */
gint64           fq_server_get_accept_limit (FqServer *server);
/* Unix seconds, UTC. */
gint64           fq_server_now            (FqServer *server);

/* ---- routing ---- */

typedef enum
{
  FQ_ROUTE_DEFAULT = 0,
  FQ_ROUTE_PUBLIC  = 1 << 0, /* no token needed */
  FQ_ROUTE_BODY    = 1 << 1, /* a JSON object body is required (parsed before the handler) */
  FQ_ROUTE_LARGE_BODY = 1 << 2, /* the body may be up to FQ_SERVER_MAX_LARGE_BODY (imports) */
} FqRouteFlags;

typedef void (*FqHandlerFunc) (FqRequest *request);

/* @pattern is a path below /api/v1 whose segments are literals or "*"
 * (one segment), e.g. "/incidents/ * /triage" written without spaces. The
 * router answers 404 for an unknown path and 405 for a known path with
 * another method, 401 without a valid token, 413/415/400 for the body. */
void             fq_server_add_route      (FqServer      *server,
                                           const char    *method,
                                           const char    *pattern,
                                           FqRouteFlags   flags,
                                           FqHandlerFunc  handler);

/* ---- request (main thread; read-only from a job) ---- */

FqRequest       *fq_request_ref           (FqRequest  *request);
void             fq_request_unref         (FqRequest  *request);
/* Pauses the message while work other than a job runs (password hashing;
 * waiting for another request's read); the answer unpauses it. */
void             fq_request_pause         (FqRequest  *request);

FqServer        *fq_request_get_server    (FqRequest  *request);
const FqUser    *fq_request_get_user      (FqRequest  *request);
const char      *fq_request_get_method    (FqRequest  *request);
const char      *fq_request_get_path      (FqRequest  *request);
/* The i-th path segment below /api/v1 ("incidents", "<id>", "triage"). */
const char      *fq_request_get_segment   (FqRequest  *request,
                                           guint       index);
/* A query parameter, or NULL. */
const char      *fq_request_get_query     (FqRequest  *request,
                                           const char *name);
/* The parsed body (FQ_ROUTE_BODY), or NULL. */
JsonObject      *fq_request_get_body      (FqRequest  *request);
const char      *fq_request_get_remote_address (FqRequest *request);

/* Answers and finishes the request; takes @body (may be NULL for 204). */
void             fq_request_respond       (FqRequest  *request,
                                           guint       status,
                                           JsonNode   *body);
void             fq_request_respond_error (FqRequest  *request,
                                           const GError *error);
/* A 403 unless the user's role is in @roles (FQ_ROLE_BIT mask); returns FALSE
 * after answering. */
gboolean         fq_request_require_role  (FqRequest  *request,
                                           guint       roles);

/* Query helpers that raise FQ_ERROR_BAD_REQUEST naming the parameter. */
gboolean         fq_request_get_limit     (FqRequest  *request,
                                           guint      *limit,   /* default 100, max 1000 */
                                           GError    **error);
gboolean         fq_request_get_time_param (FqRequest *request,
                                            const char *name,
                                            gint64     *out,    /* 0 if absent */
                                            GError    **error);

/* ---- jobs ---- */

typedef enum
{
  FQ_JOB_READ,
  FQ_JOB_WRITE,
} FqJobKind;

/* Runs on the job's thread. Return FALSE with @error set to answer with the
 * error object (a write is then rolled back); return TRUE after
 * fq_job_respond(). */
typedef gboolean (*FqJobFunc) (FqJob    *job,
                               gpointer  user_data,
                               GError  **error);

/* Pauses the message and runs @func on a reader thread or on the writer.
 * For writes with an Idempotency-Key header, a repeated key of the same user
 * answers the first response without running @func; an audit row is written
 * for every successful write. */
void             fq_request_run           (FqRequest      *request,
                                           FqJobKind       kind,
                                           FqJobFunc       func,
                                           gpointer        user_data,
                                           GDestroyNotify  destroy);

typedef void (*FqJobDoneFunc) (FqJob    *job,
                               gpointer  user_data);

/* Like fq_request_run(), with @done run on the main thread after commit and
 * before the response goes out (auth uses it to update its caches). */
void             fq_request_run_full      (FqRequest      *request,
                                           FqJobKind       kind,
                                           FqJobFunc       func,
                                           gpointer        user_data,
                                           GDestroyNotify  destroy,
                                           FqJobDoneFunc   done,
                                           gpointer        done_data);

/* Answers at once, without a job, with JSON text written by a serializer;
 * callers' phones are masked in it as in fq_job_respond_json_text(). Takes
 * @text. */
void             fq_request_respond_json_text (FqRequest *request,
                                               guint      status,
                                               char      *text,
                                               gsize      length);

/* The ticket details kept in memory (fq-ticket-cache.h). Main thread. */
FqTicketCache   *fq_server_get_ticket_cache (FqServer *server);

/* A write with no HTTP request behind it (the demo feed, the SLA watch),
 * acting as @actor (NULL: the system). */
void             fq_server_submit_write   (FqServer       *server,
                                           const FqUser   *actor,
                                           FqJobFunc       func,
                                           gpointer        user_data,
                                           GDestroyNotify  destroy);

sqlite3         *fq_job_get_db            (FqJob      *job);
/* The request, or NULL for fq_server_submit_write(). */
FqRequest       *fq_job_get_request       (FqJob      *job);
const FqUser    *fq_job_get_user          (FqJob      *job);
FqServer        *fq_job_get_server        (FqJob      *job);
FqRefData       *fq_job_get_refdata       (FqJob      *job);
/* The time of this job (one value for the whole job). */
gint64           fq_job_now               (FqJob      *job);
/* fq_server_get_accept_limit() of the job's server. */
gint64           fq_job_get_accept_limit  (FqJob      *job);
/* A prepared statement cached on this thread's connection, reset and with
 * its bindings cleared; do not finalize it. */
sqlite3_stmt    *fq_job_prepare           (FqJob      *job,
                                           const char *sql,
                                           GError    **error);
/* Wraps sqlite3_exec; turns SQLite errors into FQ_ERROR (SQLITE_FULL →
 * FQ_ERROR_UNAVAILABLE, others → FQ_ERROR_INTERNAL). */
gboolean         fq_job_exec              (FqJob      *job,
                                           const char *sql,
                                           GError    **error);
gboolean         fq_job_check_sqlite      (FqJob      *job,
                                           int         rc,
                                           GError    **error);
void             fq_job_respond           (FqJob      *job,
                                           guint       status,
                                           JsonNode   *body);

/* Writes only: appends one change to the feed (next seq, pushed to every
 * WebSocket whose user can see it once the batch commits). @units is
 * NULL-terminated or NULL (see fq_user_can_see). Takes @data. Returns seq. */
gint64           fq_job_add_change        (FqJob              *job,
                                           const char         *entity,
                                           const char         *id,
                                           const char         *op,
                                           const char         *grid,
                                           const char * const *units,
                                           JsonNode           *data);
/* fq_job_add_change() with @data as JSON text written by a serializer
 * (fq-entities.c); takes @data_json (NULL: null). */
gint64           fq_job_add_change_text   (FqJob              *job,
                                           const char         *entity,
                                           const char         *id,
                                           const char         *op,
                                           const char         *grid,
                                           const char * const *units,
                                           char               *data_json);
/* fq_job_respond() with the body as JSON text written by a serializer;
 * callers' phones are masked in it the same way. Takes @text. */
void             fq_job_respond_json_text (FqJob      *job,
                                           guint       status,
                                           char       *text);
/* Writes only: what the automatic audit row says the write was about. */
void             fq_job_set_audit         (FqJob      *job,
                                           const char *entity,
                                           const char *entity_id,
                                           const char *detail);

/* ---- modules: each registers its routes ---- */

void fq_auth_register       (FqServer *server);  /* /auth/..., /me, /users */
void fq_audit_register      (FqServer *server);  /* /audit */
void fq_privacy_register    (FqServer *server);  /* /incidents/{id}/reveal */
void fq_changes_register    (FqServer *server);  /* /changes, /events, /health */
void fq_reference_register  (FqServer *server);  /* /grid, /categories, /units */
void fq_incidents_register  (FqServer *server);  /* /incidents */
void fq_tickets_register    (FqServer *server);  /* /tickets */
void fq_metrics_register    (FqServer *server);  /* /metrics */
void fq_sessions_register   (FqServer *server);  /* /tickets/{id}/sessions, /sessions */
void fq_open311_register    (FqServer *server);  /* /open311_keys (the tree itself: fq-open311.h) */
void fq_import_register     (FqServer *server);  /* /imports */

/* The body limit of FQ_ROUTE_LARGE_BODY routes: ten thousand work orders. */
#define FQ_SERVER_MAX_LARGE_BODY (32 * 1024 * 1024)

/* Bodies up to this size are parsed on the main thread, where they arrive;
 * a larger one by a reader, and the request is handled once it is (see
 * read_body_and_handle() in fq-server.c). */
#define FQ_SERVER_INLINE_BODY_MAX (8 * 1024)

/* A request's body as it was read. A large one is kept in the pieces
 * libsoup read it in (body_got_chunk_cb() in fq-server.c): the main thread
 * never copies it whole, the reader that parses it does. */
typedef struct _FqBody FqBody;

/* Its size in bytes, as announced or as read: over the route's limit, the
 * content itself was not kept. */
gsize   fq_body_get_size      (const FqBody *body);
/* The whole content, in one block; frees @body. Any thread. */
GBytes *fq_body_free_to_bytes (FqBody       *body);
/* Any thread. */
void    fq_body_free          (FqBody       *body);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FqBody, fq_body_free)

/* The domain schema (fq-schema-domain.c): SQL run by the store's migration
 * to version N, after the infrastructure tables. NULL-terminated. */
extern const char * const fq_schema_domain_migrations[];

G_END_DECLS

G_BEGIN_DECLS

/* ---- store, for bulk loaders that run before serving (demo history, imports) ---- */

/* Appends one change row directly on @db (inside the caller's transaction)
 * and returns its seq. Nothing is pushed live: nobody listens yet. */
gint64   fq_store_append_change  (sqlite3            *db,
                                  gint64              at,
                                  const char         *entity,
                                  const char         *id,
                                  const char         *op,
                                  const char         *grid,
                                  const char * const *units,
                                  const char         *data_json,
                                  GError            **error);

/* ---- demo (fq-demo.c) ---- */

/* The demo's own users, created by main.c with the password "demo":
 * admin, operator, coordinator, leader (city scope 420200000000), unit (staff
 * of the street office of 团城山街道, 420204004000, unit id given by
 * fq_refdata_find_unit (ref, "street_office", "420204004000")), grid (a grid
 * worker of 广州路社区, 420204004011). */

/* Fills an empty database with @months of history ending at @now, inside one
 * transaction that the caller opened, writing change rows as it goes. */
gboolean fq_demo_generate_history (sqlite3    *db,
                                   FqRefData  *ref,
                                   guint       months,
                                   gint64      now,
                                   GError    **error);
/* The name a demo account (admin, operator, coordinator, leader, unit,
 * grid) goes by, or NULL for any other name. */
const char *fq_demo_display_name (const char *username);
/* The place a community's matter is named after: 广州路社区居委会 →
 * 广州路社区, 太垴村委会 → 太垴村. */
char       *fq_demo_community_place (const FqGridNodeInfo *community);
/* Starts the live feed of new incidents and ticket progress, @per_minute
 * events a minute on average (0: off), through fq_server_submit_write(). */
void     fq_demo_feed_start       (FqServer   *server,
                                   double      per_minute);
void     fq_demo_feed_stop        (FqServer   *server);

G_END_DECLS

G_BEGIN_DECLS

/* ---- additions by the infrastructure ---- */

/* Extra members of the error object. When a job fails (returns FALSE), every
 * member set here is added beside "code", "message" and "field" in
 * {"error": {…}}: invalid_transition sends the actions allowed now with
 *   fq_job_set_error_extra (job, "allowed", array_node);
 * Takes @value. Ignored when the job succeeds. */
void             fq_job_set_error_extra     (FqJob      *job,
                                             const char *member,
                                             JsonNode   *value);
/* The same for an error answered on the main thread with
 * fq_request_respond_error(). Takes @value. */
void             fq_request_set_error_extra (FqRequest  *request,
                                             const char *member,
                                             JsonNode   *value);

/* Notes on fq_user_can_see(): a NULL @grid means a record that belongs to
 * no place (a category, a unit): visible to everybody. */

G_END_DECLS
