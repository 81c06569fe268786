/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/*
 * Test support for the server suites and the benchmarks: a real
 * fengqiao-server process (the binary named by FQ_SERVER_BINARY) in a
 * temporary data directory, and a synchronous JSON client over HTTP.
 *
 * Every test talks to the server over real HTTP on the loopback interface,
 * as any client would; nothing here reaches into the server's code.
 */

typedef struct _FqTestServer FqTestServer;
typedef struct _FqTestClient FqTestClient;

typedef struct
{
  char     *method;
  char     *path;
  guint     status;       /* 0 on a transport error */
  char     *transport_error;
  GBytes   *body;
  char     *text;         /* the body, NUL-terminated (may hold invalid UTF-8) */
  char     *content_type;
  JsonNode *root;         /* the parsed body, or NULL */
} FqTestResponse;

/* The demo users' password. */
#define FQ_TEST_DEMO_PASSWORD "demo"

/* Well-known places of the demo data (Huangshi). */
#define FQ_TEST_CITY           "420200000000"
#define FQ_TEST_HUANGSHIGANG   "420202000000" /* 黄石港区 */
#define FQ_TEST_XIALU          "420204000000" /* 下陆区 */
#define FQ_TEST_TUANCHENGSHAN  "420204004000" /* 团城山街道 */
#define FQ_TEST_GUANGZHOULU    "420204004011" /* 广州路社区 */
#define FQ_TEST_UNIT_STREET    "street_office-420204004000"

/* ---- server ---- */

/* A new server in a new temporary directory, not yet started. @args are the
 * arguments after `--data DIR --listen 127.0.0.1:0` (NULL-terminated). */
FqTestServer   *fq_test_server_new            (const char * const *args);
/* A started demo server without history and without feed. Asserts. */
FqTestServer   *fq_test_server_new_demo       (void);
/* Starts (or restarts on the same directory) and waits, at most
 * @timeout_seconds, for the LISTENING line. */
gboolean        fq_test_server_start          (FqTestServer  *self,
                                               guint          timeout_seconds,
                                               GError       **error);
/* Feeds @text to the server's standard input on the next start. */
void            fq_test_server_set_stdin      (FqTestServer  *self,
                                               const char    *text);
/* SIGKILL and reap. */
void            fq_test_server_kill           (FqTestServer  *self);
/* SIGTERM, wait (bounded), then SIGKILL if needed. Returns TRUE if it exited
 * by itself. */
gboolean        fq_test_server_stop           (FqTestServer  *self);
/* The exit status of the server stopped last by fq_test_server_stop(); -1
 * if a signal ended it (under G_DEBUG=fatal-warnings, a critical does). */
int             fq_test_server_get_exit_status (FqTestServer *self);
gboolean        fq_test_server_is_running     (FqTestServer  *self);
const char     *fq_test_server_get_url        (FqTestServer  *self);
const char     *fq_test_server_get_data_dir   (FqTestServer  *self);
GPid            fq_test_server_get_pid        (FqTestServer  *self);
/* Seconds the last start took until the LISTENING line. */
double          fq_test_server_get_start_seconds (FqTestServer *self);
/* VmRSS in KiB, or 0. */
guint64         fq_test_server_get_rss_kib    (FqTestServer  *self);
/* How many descriptors the server has open, or 0. */
guint           fq_test_server_count_fds      (FqTestServer  *self);
/* The SQLite database files found in the data directory (NULL-terminated). */
GStrv           fq_test_server_find_databases (FqTestServer  *self);
/* Stops the server and removes its directory. */
void            fq_test_server_free           (FqTestServer  *self);
/* Removes @path and, if it is a directory, everything under it. */
void            fq_test_remove_tree           (const char    *path);
/* Runs the server binary once, as a command (`--backup`, `--create-admin`,
 * `--import-grid`, …): `--data @data_dir` and @args (NULL-terminated),
 * @stdin_text (nullable) on its standard input. Returns its exit status (-1
 * if a signal ended it), its standard output and error in @out and @err
 * (each nullable). One still running after @timeout_seconds is killed and
 * the test fails. */
int             fq_test_run_server_command    (const char         *data_dir,
                                               const char * const *args,
                                               const char         *stdin_text,
                                               guint               timeout_seconds,
                                               char              **out,
                                               char              **err);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FqTestServer, fq_test_server_free)

/* ---- client ---- */

FqTestClient   *fq_test_client_new            (const char    *base_url);
void            fq_test_client_free           (FqTestClient  *self);
void            fq_test_client_set_token      (FqTestClient  *self,
                                               const char    *token);
/* Sends request bodies chunked (Transfer-Encoding), their size not
 * announced, as a client that streams them does. */
void            fq_test_client_set_chunked    (FqTestClient  *self,
                                               gboolean       chunked);
const char     *fq_test_client_get_token      (FqTestClient  *self);
SoupSession    *fq_test_client_get_session    (FqTestClient  *self);
const char     *fq_test_client_get_url        (FqTestClient  *self);
/* Logs in and keeps the token; returns the response (200 expected). */
FqTestResponse *fq_test_client_login          (FqTestClient  *self,
                                               const char    *username,
                                               const char    *password);
/* A new client logged in as @username (asserts success). */
FqTestClient   *fq_test_client_new_login      (const char    *base_url,
                                               const char    *username,
                                               const char    *password);

/* One request. @path is below /api/v1 unless it starts with "/api" or
 * "/open311". @body may be NULL (no body); @content_type NULL means
 * application/json when there is a body. @idempotency_key may be NULL. */
FqTestResponse *fq_test_client_request        (FqTestClient  *self,
                                               const char    *method,
                                               const char    *path,
                                               const char    *content_type,
                                               const void    *body,
                                               gssize         body_length,
                                               const char    *idempotency_key);
FqTestResponse *fq_test_get                   (FqTestClient  *self,
                                               const char    *path_format,
                                               ...) G_GNUC_PRINTF (2, 3);
FqTestResponse *fq_test_post                  (FqTestClient  *self,
                                               const char    *path,
                                               const char    *json);
/* POST with a body made by fq_test_jsonf(). */
FqTestResponse *fq_test_postf                 (FqTestClient  *self,
                                               const char    *path,
                                               const char    *format,
                                               ...) G_GNUC_PRINTF (3, 4);

void            fq_test_response_free         (FqTestResponse *resp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FqTestResponse, fq_test_response_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FqTestClient, fq_test_client_free)

/* The root object of the body, or an empty object (never NULL) so that a
 * failed assertion about a member reports the value rather than crashing. */
JsonObject     *fq_test_response_object       (FqTestResponse *resp);
/* The error object's code, or NULL. */
const char     *fq_test_response_error_code   (FqTestResponse *resp);
const char     *fq_test_response_error_field  (FqTestResponse *resp);

/* JSON text from a printf format in which single quotes stand for double
 * quotes (the arguments are inserted verbatim). */
char           *fq_test_jsonf                 (const char    *format,
                                               ...) G_GNUC_PRINTF (1, 2);
char           *fq_test_jsonv                 (const char    *format,
                                               va_list        args) G_GNUC_PRINTF (1, 0);
/* A JSON string literal (with quotes) for @text. */
char           *fq_test_json_quote            (const char    *text);

/* Member accessors that tolerate absence: NULL / 0 / FALSE. */
const char     *fq_test_obj_str               (JsonObject    *object,
                                               const char    *member);
gint64          fq_test_obj_int               (JsonObject    *object,
                                               const char    *member);
gboolean        fq_test_obj_bool              (JsonObject    *object,
                                               const char    *member);
gboolean        fq_test_obj_is_null           (JsonObject    *object,
                                               const char    *member);
JsonObject     *fq_test_obj_obj               (JsonObject    *object,
                                               const char    *member);
JsonArray      *fq_test_obj_array             (JsonObject    *object,
                                               const char    *member);
/* TRUE if @array (of strings) contains @value. */
gboolean        fq_test_array_has_string      (JsonArray     *array,
                                               const char    *value);

/* Time helpers: RFC 3339 UTC of now + @offset_seconds. */
char           *fq_test_time_from_now         (gint64         offset_seconds);

/* A process-unique token for making values unique ("t1a2b3…"). */
char           *fq_test_unique                (const char    *prefix);

/* Assertions that print the request and the body when they fail. */
void            fq_test_check_status          (FqTestResponse *resp,
                                               guint           expected,
                                               const char     *file,
                                               int             line,
                                               const char     *func);
void            fq_test_check_error           (FqTestResponse *resp,
                                               guint           expected_status,
                                               const char     *expected_code,
                                               const char     *file,
                                               int             line,
                                               const char     *func);

#define fq_test_assert_status(resp, expected) \
  fq_test_check_status ((resp), (expected), __FILE__, __LINE__, G_STRFUNC)
#define fq_test_assert_error(resp, status, code) \
  fq_test_check_error ((resp), (status), (code), __FILE__, __LINE__, G_STRFUNC)

/* ---- a shared demo world for one test program ---- */

typedef struct
{
  FqTestServer *server;
  FqTestClient *admin;
  FqTestClient *operator;
  FqTestClient *coordinator;
  FqTestClient *leader;
  FqTestClient *unit;
  FqTestClient *grid;
  FqTestClient *anonymous;
} FqTestWorld;

/* Starts the demo server (no history, no feed) on first use and logs in as
 * every demo user. */
FqTestWorld    *fq_test_world_get             (void);
void            fq_test_world_free            (void);
/* The demo client of a role nick ("operator", "unit", "grid_worker", …). */
FqTestClient   *fq_test_world_client_for_role (FqTestWorld   *world,
                                               const char    *role);

/* ---- domain helpers (all assert success) ---- */

/* A category from GET /categories: the @nth one with police_only ==
 * @police_only (wrapping around). Borrowed from a cache. */
JsonObject     *fq_test_pick_category         (FqTestClient  *client,
                                               gboolean       police_only,
                                               guint          nth);
/* A category whose lead_unit_kind is @kind, or NULL. */
JsonObject     *fq_test_find_category_by_lead (FqTestClient  *client,
                                               const char    *kind,
                                               guint          nth);
/* A unit id other than @not_this covering a node inside @scope, or NULL. */
char           *fq_test_pick_unit             (FqTestClient  *client,
                                               const char    *scope_prefix,
                                               const char    *not_this);
/* POST /incidents with a minimal valid body plus @extra_members (JSON
 * members without braces, may be NULL); asserts 201 and returns the
 * incident object (transfer full). */
JsonObject     *fq_test_create_incident       (FqTestClient  *client,
                                               const char    *grid,
                                               const char    *extra_members);
/* Creates an incident at @grid with @category and diverts it (as
 * @triager) to @lead_unit (NULL: let the server choose); returns the ticket
 * object (transfer full). */
JsonObject     *fq_test_create_ticket         (FqTestClient  *reporter,
                                               FqTestClient  *triager,
                                               const char    *grid,
                                               const char    *category,
                                               const char    *lead_unit);
/* POST /users as @admin, then logs in; returns the new user's client. */
FqTestClient   *fq_test_create_user           (FqTestClient  *admin,
                                               const char    *role,
                                               const char    *scope,
                                               const char    *unit,
                                               char         **out_username);
/* /health's last_seq. */
gint64          fq_test_last_seq              (FqTestClient  *client);

/* The first array member of a list answer (e.g. "incidents" of
 * GET /incidents), or NULL. */
JsonArray      *fq_test_list_items            (FqTestResponse *resp);
/* How many audit rows (GET /audit, every page) mention @needle anywhere. */
guint           fq_test_count_audit           (FqTestClient  *admin,
                                               const char    *needle);

/* Skips the whole program (exit 77) when the server binary is missing. */
void            fq_test_require_server_binary (void);

G_END_DECLS
