/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Fengqiao-Server"

#include "config.h"

#include <string.h>
#include <sodium.h>

#include "fq-enum-types.h"
#include "fq-server-infra.h"
#include "fq-store.h"

/*
 * Sign-in, sessions and user administration.
 *
 * Passwords are Argon2id strings (crypto_pwhash_str, interactive limits),
 * hashed and verified on GLib's worker threads: a verification costs about
 * a tenth of a second of CPU and must never stall the main loop. A token is
 * 32 random bytes handed out once as base64url; the database keeps only its
 * BLAKE2b hash and expiry. In memory, tokens are found by the first 8
 * bytes of that hash and then compared whole with sodium_memcmp(), so the
 * time a check takes tells nothing about how much of a guess was right.
 *
 * Tokens die when they expire, on logout, when the password is set and when
 * the account is disabled. Sign-in is locked for a username after
 * MAX_FAILURES failures within FAILURE_WINDOW seconds (429).
 *
 * Password rules (check_password): at least MIN_PASSWORD_CHARS characters,
 * not the username (in any case), and characters of at least two classes
 * of: lower-case letters, upper-case letters, digits, anything else.
 *
 * The server is the only writer of users and tokens, so the main thread
 * keeps all of them in memory, loaded at start and updated after each
 * committed write: a token is checked per request without touching SQLite.
 */

#define TOKEN_BYTES          32
#define TOKEN_HASH_BYTES     32
#define MAX_FAILURES         5
#define MAX_PENDING          16
#define FAILURE_WINDOW       60   /* seconds */
#define MIN_PASSWORD_CHARS   10
#define TOKEN_KEY_HEX        16   /* hex digits of the hash that index the table */
#define MAX_PASSWORD_CHARS   1024
#define MAX_USERNAME_CHARS   64
#define PURGE_AFTER          (30 * 24 * 3600)

typedef struct
{
  FqUser   *user;
  char     *password_hash;
  gboolean  disabled;
  gint64    created_at;
} UserEntry;

typedef struct
{
  char   *username;
  gint64  expires_at;
  guchar  hash[TOKEN_HASH_BYTES];
} TokenEntry;

typedef struct
{
  GArray *times;   /* gint64 unix seconds of recent failures */
  guint   pending; /* verifications running now */
} Failures;

struct _FqAuthState
{
  GHashTable *users;    /* username → UserEntry */
  GHashTable *tokens;   /* token_key () → TokenEntry */
  GHashTable *failures; /* username → Failures */
};

static void
user_entry_free (UserEntry *entry)
{
  fq_user_free (entry->user);
  if (entry->password_hash != NULL)
    sodium_memzero (entry->password_hash, strlen (entry->password_hash));
  g_free (entry->password_hash);
  g_free (entry);
}

static void
token_entry_free (TokenEntry *entry)
{
  g_free (entry->username);
  g_free (entry);
}

static void
failures_free (Failures *failures)
{
  g_array_unref (failures->times);
  g_free (failures);
}

/* ---- hashing ---- */

char *
fq_auth_token_hash (const char *token)
{
  guchar hash[TOKEN_HASH_BYTES];
  char hex[TOKEN_HASH_BYTES * 2 + 1];

  crypto_generichash (hash, sizeof hash, (const guchar *)token, strlen (token), NULL, 0);
  sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
  return g_strdup (hex);
}

/* The key of a token in the table: the start of its hash's hex. */
static char *
token_key (const char *hex)
{
  return g_strndup (hex, TOKEN_KEY_HEX);
}

static char *
new_token (guchar hash[TOKEN_HASH_BYTES])
{
  guchar bytes[TOKEN_BYTES];
  char text[sodium_base64_ENCODED_LEN (TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

  randombytes_buf (bytes, sizeof bytes);
  sodium_bin2base64 (text, sizeof text, bytes, sizeof bytes,
                     sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero (bytes, sizeof bytes);
  crypto_generichash (hash, TOKEN_HASH_BYTES, (const guchar *)text, strlen (text), NULL, 0);
  return g_strdup (text);
}

char *
fq_auth_hash_password (const char  *password,
                       GError     **error)
{
  char out[crypto_pwhash_STRBYTES];

  if (crypto_pwhash_str (out, password, strlen (password),
                         crypto_pwhash_OPSLIMIT_INTERACTIVE,
                         crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_UNAVAILABLE,
                   "not enough memory to hash the password");
      return NULL;
    }
  return g_strdup (out);
}

/* A hash of a password nobody knows, to verify against when the user does
 * not exist: the answer then takes as long as for a wrong password. */
static const char *
dummy_hash (void)
{
  static gsize once;
  static char *hash;

  if (g_once_init_enter (&once))
    {
      guchar secret[16];
      char text[33];

      randombytes_buf (secret, sizeof secret);
      sodium_bin2hex (text, sizeof text, secret, sizeof secret);
      hash = fq_auth_hash_password (text, NULL);
      g_once_init_leave (&once, 1);
    }
  return hash;
}

/* ---- loading and the caches ---- */

static UserEntry *
user_entry_new (FqRefData  *refdata,
                const char *username,
                const char *display_name,
                FqRole      role,
                const char *scope,
                const char *unit,
                const char *password_hash,
                gboolean    disabled,
                gint64      created_at)
{
  g_autoptr(GError) error = NULL;
  UserEntry *entry = g_new0 (UserEntry, 1);

  entry->user = fq_user_new (refdata, username, display_name, role, scope, unit, &error);
  if (entry->user == NULL)
    {
      /* A scope that left the reference data: the user keeps working on
       * exactly that code rather than losing access to everything. */
      g_warning ("user %s: %s", username, error->message);
      entry->user = g_new0 (FqUser, 1);
      entry->user->username = g_strdup (username);
      entry->user->display_name = g_strdup (display_name);
      entry->user->role = role;
      entry->user->unit = role == FQ_ROLE_UNIT ? g_strdup (unit) : NULL;
      entry->user->scope = g_strdup (scope);
      entry->user->scope_prefix = g_strdup (scope);
    }
  entry->password_hash = g_strdup (password_hash);
  entry->disabled = disabled;
  entry->created_at = created_at;
  return entry;
}

gboolean
fq_auth_load (FqServer  *server,
              sqlite3   *db,
              GError   **error)
{
  FqAuthState *auth;
  sqlite3_stmt *stmt = NULL;
  gint64 now = fq_server_now (server);
  int rc;

  auth = g_new0 (FqAuthState, 1);
  auth->users = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                       (GDestroyNotify)user_entry_free);
  auth->tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify)token_entry_free);
  auth->failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify)failures_free);
  server->auth = auth;

  /* Old sessions and idempotency records have served their purpose. */
  {
    g_autofree char *sql = g_strdup_printf (
      "DELETE FROM tokens WHERE expires_at < %" G_GINT64_FORMAT ";"
      "DELETE FROM idempotency WHERE at < %" G_GINT64_FORMAT ";",
      now - PURGE_AFTER, now - PURGE_AFTER);

    if (!fq_store_exec (db, sql, error))
      return FALSE;
  }

  rc = sqlite3_prepare_v2 (db,
                           "SELECT username, display_name, role, scope, unit, password_hash,"
                           " disabled, created_at FROM users",
                           -1, &stmt, NULL);
  if (!fq_store_check (db, rc, error))
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      int role = FQ_ROLE_OPERATOR;
      UserEntry *entry;

      if (!fq_enum_from_string (FQ_TYPE_ROLE, (const char *)sqlite3_column_text (stmt, 2), &role))
        {
          g_warning ("user %s has an unknown role; skipped", sqlite3_column_text (stmt, 0));
          continue;
        }
      entry = user_entry_new (server->refdata,
                              (const char *)sqlite3_column_text (stmt, 0),
                              (const char *)sqlite3_column_text (stmt, 1),
                              role,
                              (const char *)sqlite3_column_text (stmt, 3),
                              (const char *)sqlite3_column_text (stmt, 4),
                              (const char *)sqlite3_column_text (stmt, 5),
                              sqlite3_column_int (stmt, 6) != 0,
                              sqlite3_column_int64 (stmt, 7));
      g_hash_table_replace (auth->users, entry->user->username, entry);
    }
  sqlite3_finalize (stmt);
  if (!fq_store_check (db, rc, error))
    return FALSE;

  rc = sqlite3_prepare_v2 (db,
                           "SELECT lower (hex (hash)), username, expires_at, hash FROM tokens"
                           " WHERE revoked_at IS NULL AND expires_at > ?",
                           -1, &stmt, NULL);
  if (!fq_store_check (db, rc, error))
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      TokenEntry *entry;

      if (sqlite3_column_bytes (stmt, 3) != TOKEN_HASH_BYTES)
        continue;
      entry = g_new0 (TokenEntry, 1);
      entry->username = g_strdup ((const char *)sqlite3_column_text (stmt, 1));
      entry->expires_at = sqlite3_column_int64 (stmt, 2);
      memcpy (entry->hash, sqlite3_column_blob (stmt, 3), TOKEN_HASH_BYTES);
      g_hash_table_replace (auth->tokens,
                            token_key ((const char *)sqlite3_column_text (stmt, 0)), entry);
    }
  sqlite3_finalize (stmt);
  return fq_store_check (db, rc, error);
}

void
fq_auth_free (FqServer *server)
{
  FqAuthState *auth = server->auth;

  if (auth == NULL)
    return;
  g_hash_table_destroy (auth->tokens);
  g_hash_table_destroy (auth->users);
  g_hash_table_destroy (auth->failures);
  g_free (auth);
  server->auth = NULL;
}

const FqUser *
fq_auth_lookup_token (FqServer   *server,
                      const char *token)
{
  FqAuthState *auth = server->auth;
  guchar hash[TOKEN_HASH_BYTES];
  char hex[TOKEN_HASH_BYTES * 2 + 1];
  g_autofree char *key = NULL;
  TokenEntry *entry;
  UserEntry *user;

  if (auth == NULL || token == NULL || *token == '\0' || strlen (token) > 128)
    return NULL;

  crypto_generichash (hash, sizeof hash, (const guchar *)token, strlen (token), NULL, 0);
  sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
  key = token_key (hex);
  entry = g_hash_table_lookup (auth->tokens, key);
  if (entry == NULL || sodium_memcmp (entry->hash, hash, TOKEN_HASH_BYTES) != 0)
    return NULL;
  if (entry->expires_at <= fq_server_now (server))
    {
      g_hash_table_remove (auth->tokens, key);
      return NULL;
    }
  user = g_hash_table_lookup (auth->users, entry->username);
  if (user == NULL || user->disabled)
    return NULL;
  return user->user;
}

static void
forget_tokens_of (FqServer   *server,
                  const char *username)
{
  GHashTableIter iter;
  TokenEntry *entry;

  g_hash_table_iter_init (&iter, server->auth->tokens);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&entry))
    if (strcmp (entry->username, username) == 0)
      g_hash_table_iter_remove (&iter);
  fq_changes_revoke (server, username, NULL);
}

gboolean
fq_auth_insert_user (sqlite3      *db,
                     const char   *username,
                     const char   *display_name,
                     const char   *password_hash,
                     FqRole        role,
                     const char   *scope,
                     const char   *unit,
                     gint64        now,
                     GError      **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = fq_store_prepare_cached (db,
                                  "INSERT INTO users (username, display_name, password_hash, role,"
                                  " scope, unit, disabled, created_at, updated_at)"
                                  " VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, username, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, display_name != NULL ? display_name : username, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, password_hash, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, fq_enum_to_string (FQ_TYPE_ROLE, role), -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, scope, -1, SQLITE_STATIC);
  if (role == FQ_ROLE_UNIT && unit != NULL)
    sqlite3_bind_text (stmt, 6, unit, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 7, now);
  sqlite3_bind_int64 (stmt, 8, now);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);

  if ((rc & 0xff) == SQLITE_CONSTRAINT)
    {
      fq_set_field_error (error, FQ_ERROR_CONFLICT, "username",
                          "%s is taken", username);
      return FALSE;
    }
  return fq_store_check (db, rc, error);
}

static JsonNode *
user_entry_to_json (UserEntry *entry)
{
  JsonNode *node = fq_user_to_json (entry->user);

  json_object_set_boolean_member (json_node_get_object (node), "disabled", entry->disabled);
  return node;
}

/* ---- password work off the main thread ---- */

typedef void (*HashDoneFunc) (FqRequest *request,
                              gpointer   data,
                              char      *result,  /* hash, or NULL */
                              gboolean   ok,
                              GError    *error);

typedef struct
{
  FqRequest      *request;
  char           *password;
  char           *hash;      /* verify against this; NULL: hash @password */
  HashDoneFunc    done;
  gpointer        data;
  GDestroyNotify  destroy;
} PasswordTask;

static void
password_task_free (PasswordTask *task)
{
  if (task->password != NULL)
    sodium_memzero (task->password, strlen (task->password));
  g_free (task->password);
  g_free (task->hash);
  if (task->destroy != NULL)
    task->destroy (task->data);
  fq_request_unref (task->request);
  g_free (task);
}

static void
password_thread (GTask        *task,
                 gpointer      source,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  PasswordTask *pt = task_data;
  GError *error = NULL;

  if (pt->hash != NULL)
    {
      gboolean ok = crypto_pwhash_str_verify (pt->hash, pt->password,
                                              strlen (pt->password)) == 0;
      g_task_return_pointer (task, ok ? g_strdup ("ok") : NULL, g_free);
      return;
    }

  {
    char *hash = fq_auth_hash_password (pt->password, &error);

    if (hash == NULL)
      g_task_return_error (task, error);
    else
      g_task_return_pointer (task, hash, g_free);
  }
}

static void
password_ready_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  PasswordTask *pt = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autofree char *value = NULL;
  gboolean ok;

  value = g_task_propagate_pointer (G_TASK (result), &error);
  /* Decided before the call: the order in which arguments are evaluated is
   * unspecified, and clang steals @value before testing it. */
  ok = error == NULL && value != NULL;
  pt->done (pt->request, pt->data, g_steal_pointer (&value), ok, error);
}

/* Verifies @password against @hash (or hashes it if @hash is NULL) on a
 * worker thread, with the request paused meanwhile. */
static void
run_password_task (FqRequest      *request,
                   const char     *password,
                   const char     *hash,
                   HashDoneFunc    done,
                   gpointer        data,
                   GDestroyNotify  destroy)
{
  g_autoptr(GTask) task = NULL;
  PasswordTask *pt = g_new0 (PasswordTask, 1);

  pt->request = fq_request_ref (request);
  pt->password = g_strdup (password);
  pt->hash = g_strdup (hash);
  pt->done = done;
  pt->data = data;
  pt->destroy = destroy;

  fq_request_pause (request);
  task = g_task_new (NULL, NULL, password_ready_cb, NULL);
  g_task_set_task_data (task, pt, (GDestroyNotify)password_task_free);
  g_task_run_in_thread (task, password_thread);
}

/* ---- rate limiting ---- */

static Failures *
get_failures (FqAuthState *auth,
              const char  *username,
              gint64       now)
{
  Failures *failures = g_hash_table_lookup (auth->failures, username);

  if (failures == NULL)
    {
      /* Keep the table from growing without bound under a spray of
       * made-up names: drop whoever has no recent failure. */
      if (g_hash_table_size (auth->failures) > 10000)
        {
          GHashTableIter iter;
          Failures *f;

          g_hash_table_iter_init (&iter, auth->failures);
          while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&f))
            if (f->pending == 0 &&
                (f->times->len == 0 ||
                 g_array_index (f->times, gint64, f->times->len - 1) <= now - FAILURE_WINDOW))
              g_hash_table_iter_remove (&iter);
        }
      failures = g_new0 (Failures, 1);
      failures->times = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_hash_table_insert (auth->failures, g_strdup (username), failures);
    }

  while (failures->times->len > 0 &&
         g_array_index (failures->times, gint64, 0) <= now - FAILURE_WINDOW)
    g_array_remove_index (failures->times, 0);

  return failures;
}

/* ---- POST /auth/login ---- */

typedef struct
{
  char   *username;
  FqUser *user;
  char   *token;
  guchar  hash[TOKEN_HASH_BYTES];
  gint64  expires_at;
} LoginData;

static void
login_data_free (LoginData *data)
{
  g_free (data->username);
  fq_user_free (data->user);
  if (data->token != NULL)
    sodium_memzero (data->token, strlen (data->token));
  g_free (data->token);
  g_free (data);
}

static gboolean
login_job (FqJob    *job,
           gpointer  user_data,
           GError  **error)
{
  LoginData *data = user_data;
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autofree char *expires = NULL;
  sqlite3_stmt *stmt;
  int rc;

  data->expires_at = fq_job_now (job) +
                     fq_server_get_config (fq_job_get_server (job))->token_lifetime_seconds;

  stmt = fq_job_prepare (job,
                         "INSERT INTO tokens (hash, username, created_at, expires_at)"
                         " VALUES (?, ?, ?, ?)",
                         error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_blob (stmt, 1, data->hash, TOKEN_HASH_BYTES, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, data->username, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, fq_job_now (job));
  sqlite3_bind_int64 (stmt, 4, data->expires_at);
  rc = sqlite3_step (stmt);
  if (!fq_job_check_sqlite (job, rc, error))
    return FALSE;

  expires = fq_time_format (data->expires_at);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "token");
  json_builder_add_string_value (builder, data->token);
  json_builder_set_member_name (builder, "expires_at");
  json_builder_add_string_value (builder, expires);
  json_builder_set_member_name (builder, "user");
  json_builder_add_value (builder, fq_user_to_json (data->user));
  json_builder_end_object (builder);

  fq_job_set_audit (job, "session", data->username, "login");
  fq_job_respond (job, SOUP_STATUS_OK, json_builder_get_root (builder));
  return TRUE;
}

static void
login_done (FqJob    *job,
            gpointer  user_data)
{
  LoginData *data = user_data;
  FqServer *server = fq_job_get_server (job);
  TokenEntry *entry;
  char hex[TOKEN_HASH_BYTES * 2 + 1];

  if (fq_job_get_error (job) != NULL || server->auth == NULL)
    return;

  sodium_bin2hex (hex, sizeof hex, data->hash, TOKEN_HASH_BYTES);
  entry = g_new0 (TokenEntry, 1);
  entry->username = g_strdup (data->username);
  entry->expires_at = data->expires_at;
  memcpy (entry->hash, data->hash, TOKEN_HASH_BYTES);
  /* Two live tokens whose hashes share their first 8 bytes (one chance in
   * 2^64): the older one stops working and its user signs in again. */
  g_hash_table_replace (server->auth->tokens, token_key (hex), entry);
}

static void
login_verified (FqRequest *request,
                gpointer   user_data,
                char      *result,
                gboolean   ok,
                GError    *error)
{
  LoginData *data = user_data;
  FqServer *server = fq_request_get_server (request);
  FqAuthState *auth = server->auth;
  gint64 now = fq_server_now (server);
  Failures *failures;
  UserEntry *entry;

  g_free (result);   /* the verification's answer is @ok alone */

  if (auth == NULL)
    {
      g_autoptr(GError) down = g_error_new (FQ_ERROR, FQ_ERROR_UNAVAILABLE,
                                            "the server is shutting down");
      fq_request_respond_error (request, down);
      login_data_free (data);
      return;
    }

  failures = get_failures (auth, data->username, now);
  failures->pending--;

  /* The user may have been disabled while the hash was checked. */
  entry = g_hash_table_lookup (auth->users, data->username);
  if (!ok || entry == NULL || entry->disabled)
    {
      g_autoptr(GError) denied = NULL;

      g_array_append_val (failures->times, now);
      g_set_error (&denied, FQ_ERROR, FQ_ERROR_UNAUTHENTICATED, "wrong username or password");
      fq_request_respond_error (request, denied);
      login_data_free (data);
      return;
    }

  g_array_set_size (failures->times, 0);

  data->user = fq_user_copy (entry->user);
  data->token = new_token (data->hash);
  fq_request_set_login_user (request, entry->user);
  fq_request_run_full (request, FQ_JOB_WRITE, login_job, data,
                       (GDestroyNotify)login_data_free, login_done, data);
}

static void
post_login (FqRequest *request)
{
  FqServer *server = fq_request_get_server (request);
  FqAuthState *auth = server->auth;
  JsonObject *body = fq_request_get_body (request);
  g_autoptr(GError) error = NULL;
  g_autofree char *username = NULL;
  g_autofree char *password = NULL;
  Failures *failures;
  UserEntry *entry;
  LoginData *data;
  const char *hash;

  if (!fq_json_get_string (body, "username", TRUE, MAX_USERNAME_CHARS, &username, &error) ||
      !fq_json_get_string (body, "password", TRUE, MAX_PASSWORD_CHARS, &password, &error))
    {
      fq_request_respond_error (request, error);
      return;
    }

  /* Verifications already running do not count as failures (a client
   * signs in on several connections at once), but their number is bounded
   * so that a burst cannot buy many guesses before the lock-out. */
  failures = get_failures (auth, username, fq_server_now (server));
  if (failures->times->len >= MAX_FAILURES || failures->pending >= MAX_PENDING)
    {
      g_set_error (&error, FQ_ERROR, FQ_ERROR_RATE_LIMITED,
                   "too many failed sign-ins for this user; wait a minute");
      fq_request_respond_error (request, error);
      return;
    }
  failures->pending++;

  entry = g_hash_table_lookup (auth->users, username);
  hash = entry != NULL && !entry->disabled ? entry->password_hash : NULL;

  data = g_new0 (LoginData, 1);
  data->username = g_strdup (username);

  /* The same work whether or not the user exists. */
  run_password_task (request, password, hash != NULL ? hash : dummy_hash (),
                     login_verified, data, NULL);
  if (password != NULL)
    sodium_memzero (password, strlen (password));
}

/* ---- POST /auth/logout, GET /me ---- */

typedef struct
{
  char   *username;
  guchar  hash[TOKEN_HASH_BYTES];
  char   *hex;
} LogoutData;

static void
logout_data_free (LogoutData *data)
{
  g_free (data->username);
  g_free (data->hex);
  g_free (data);
}

static gboolean
logout_job (FqJob    *job,
            gpointer  user_data,
            GError  **error)
{
  LogoutData *data = user_data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = fq_job_prepare (job,
                         "UPDATE tokens SET revoked_at = ? WHERE hash = ? AND revoked_at IS NULL",
                         error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, fq_job_now (job));
  sqlite3_bind_blob (stmt, 2, data->hash, TOKEN_HASH_BYTES, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (!fq_job_check_sqlite (job, rc, error))
    return FALSE;

  fq_job_set_audit (job, "session", data->username, "logout");
  fq_job_respond (job, SOUP_STATUS_NO_CONTENT, NULL);
  return TRUE;
}

static void
logout_done (FqJob    *job,
             gpointer  user_data)
{
  LogoutData *data = user_data;
  FqServer *server = fq_job_get_server (job);

  g_autofree char *key = NULL;

  if (fq_job_get_error (job) != NULL || server->auth == NULL)
    return;
  key = token_key (data->hex);
  g_hash_table_remove (server->auth->tokens, key);
  fq_changes_revoke (server, data->username, data->hex);
}

static void
post_logout (FqRequest *request)
{
  const char *auth = fq_request_get_header (request, "Authorization");
  LogoutData *data = g_new0 (LogoutData, 1);

  /* The router let the request in, so the header holds a valid token. */
  data->username = g_strdup (fq_request_get_user (request)->username);
  data->hex = fq_auth_token_hash (auth + 7);
  sodium_hex2bin (data->hash, sizeof data->hash, data->hex, strlen (data->hex),
                  NULL, NULL, NULL);
  fq_request_run_full (request, FQ_JOB_WRITE, logout_job, data,
                       (GDestroyNotify)logout_data_free, logout_done, data);
}

static void
get_me (FqRequest *request)
{
  fq_request_respond (request, SOUP_STATUS_OK, fq_user_to_json (fq_request_get_user (request)));
}

/* ---- users (admin) ---- */

typedef enum
{
  USER_CREATE,
  USER_DISABLE,
  USER_ENABLE,
  USER_SET_PASSWORD,
  USER_SET_ROLE,
} UserOp;

typedef struct
{
  UserOp  op;
  char   *username;
  char   *display_name;
  char   *password_hash;
  FqRole  role;
  char   *scope;
  char   *unit;
  /* the record as it will be after the write */
  UserEntry *result;
} UserWrite;

static void
user_write_free (UserWrite *w)
{
  g_free (w->username);
  g_free (w->display_name);
  g_free (w->password_hash);
  g_free (w->scope);
  g_free (w->unit);
  if (w->result != NULL)
    user_entry_free (w->result);
  g_free (w);
}

static gboolean
valid_username (const char *username)
{
  if (*username == '\0')
    return FALSE;
  for (const char *p = username; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '_' && *p != '.' && *p != '-')
      return FALSE;
  return TRUE;
}

static gboolean
revoke_tokens_sql (FqJob       *job,
                   const char  *username,
                   GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = fq_job_prepare (job,
                         "UPDATE tokens SET revoked_at = ? WHERE username = ? AND revoked_at IS NULL",
                         error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, fq_job_now (job));
  sqlite3_bind_text (stmt, 2, username, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  return fq_job_check_sqlite (job, rc, error);
}

static gboolean
check_found (FqJob   *job,
             GError **error)
{
  if (sqlite3_changes (fq_job_get_db (job)) == 0)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_NOT_FOUND, "no such user");
      return FALSE;
    }
  return TRUE;
}

static gboolean
user_write_job (FqJob    *job,
                gpointer  user_data,
                GError  **error)
{
  UserWrite *w = user_data;
  sqlite3_stmt *stmt;
  const char *detail = NULL;
  int rc;

  switch (w->op)
    {
    case USER_CREATE:
      if (!fq_auth_insert_user (fq_job_get_db (job), w->username, w->display_name,
                                w->password_hash, w->role, w->scope, w->unit,
                                fq_job_now (job), error))
        return FALSE;
      detail = "create";
      break;

    case USER_DISABLE:
    case USER_ENABLE:
      stmt = fq_job_prepare (job, "UPDATE users SET disabled = ?, updated_at = ? WHERE username = ?",
                             error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int (stmt, 1, w->op == USER_DISABLE);
      sqlite3_bind_int64 (stmt, 2, fq_job_now (job));
      sqlite3_bind_text (stmt, 3, w->username, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      if (!fq_job_check_sqlite (job, rc, error) || !check_found (job, error))
        return FALSE;
      if (w->op == USER_DISABLE && !revoke_tokens_sql (job, w->username, error))
        return FALSE;
      detail = w->op == USER_DISABLE ? "disable" : "enable";
      break;

    case USER_SET_PASSWORD:
      stmt = fq_job_prepare (job,
                             "UPDATE users SET password_hash = ?, updated_at = ? WHERE username = ?",
                             error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, w->password_hash, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, fq_job_now (job));
      sqlite3_bind_text (stmt, 3, w->username, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      if (!fq_job_check_sqlite (job, rc, error) || !check_found (job, error))
        return FALSE;
      if (!revoke_tokens_sql (job, w->username, error))
        return FALSE;
      detail = "set_password";
      break;

    case USER_SET_ROLE:
      stmt = fq_job_prepare (job,
                             "UPDATE users SET role = ?, scope = ?, unit = ?, updated_at = ?"
                             " WHERE username = ?",
                             error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, fq_enum_to_string (FQ_TYPE_ROLE, w->role), -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, w->scope, -1, SQLITE_STATIC);
      if (w->role == FQ_ROLE_UNIT)
        sqlite3_bind_text (stmt, 3, w->unit, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 4, fq_job_now (job));
      sqlite3_bind_text (stmt, 5, w->username, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      if (!fq_job_check_sqlite (job, rc, error) || !check_found (job, error))
        return FALSE;
      detail = "set_role";
      break;

    default:
      g_assert_not_reached ();
    }

  fq_job_set_audit (job, "user", w->username, detail);
  fq_job_respond (job, w->op == USER_CREATE ? SOUP_STATUS_CREATED : SOUP_STATUS_OK,
                  user_entry_to_json (w->result));
  return TRUE;
}

static void
user_write_done (FqJob    *job,
                 gpointer  user_data)
{
  UserWrite *w = user_data;
  FqServer *server = fq_job_get_server (job);

  if (fq_job_get_error (job) != NULL || server->auth == NULL)
    return;

  if (w->op == USER_DISABLE || w->op == USER_SET_PASSWORD)
    forget_tokens_of (server, w->username);
  if (w->op == USER_SET_ROLE)
    fq_changes_revoke (server, w->username, NULL);

  g_hash_table_replace (server->auth->users, w->result->user->username, w->result);
  w->result = NULL;
}

static void
user_hashed (FqRequest *request,
             gpointer   user_data,
             char      *result,
             gboolean   ok,
             GError    *error)
{
  UserWrite *w = user_data;

  if (!ok)
    {
      fq_request_respond_error (request, error);
      user_write_free (w);
      return;
    }

  w->password_hash = result;
  g_free (w->result->password_hash);
  w->result->password_hash = g_strdup (result);
  fq_request_run_full (request, FQ_JOB_WRITE, user_write_job, w,
                       (GDestroyNotify)user_write_free, user_write_done, w);
}

/* Checks role, scope and unit together; the scope must lie within the
 * administrator's own. */
static gboolean
check_role_scope_unit (FqRequest   *request,
                       FqRole       role,
                       const char  *scope,
                       const char  *unit,
                       GError     **error)
{
  FqRefData *refdata = fq_server_get_refdata (fq_request_get_server (request));
  const FqUser *admin = fq_request_get_user (request);
  const FqGridNodeInfo *node = fq_refdata_get_node (refdata, scope);

  if (node == NULL)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "scope",
                          "unknown division code %s", scope);
      return FALSE;
    }
  if (!fq_user_can_see (admin, scope, NULL))
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "scope",
                          "%s lies outside your own scope", scope);
      return FALSE;
    }
  if (role == FQ_ROLE_UNIT)
    {
      if (unit == NULL)
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "unit",
                              "required for role unit");
          return FALSE;
        }
      if (fq_refdata_get_unit (refdata, unit) == NULL)
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "unit",
                              "no such unit %s", unit);
          return FALSE;
        }
    }
  else if (unit != NULL)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "unit",
                          "only for role unit");
      return FALSE;
    }
  return TRUE;
}

/* The password rules of the administrator's guide. */
static gboolean
check_password (const char  *username,
                const char  *password,
                GError     **error)
{
  gboolean lower = FALSE, upper = FALSE, digit = FALSE, other = FALSE;

  if (!g_utf8_validate (password, -1, NULL))
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "password", "not valid UTF-8");
      return FALSE;
    }
  if (g_utf8_strlen (password, -1) < MIN_PASSWORD_CHARS)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "password",
                          "at least %d characters", MIN_PASSWORD_CHARS);
      return FALSE;
    }
  if (g_ascii_strcasecmp (password, username) == 0)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "password",
                          "must not be the username");
      return FALSE;
    }
  for (const char *p = password; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c < 0x80 && g_ascii_islower (c))
        lower = TRUE;
      else if (c < 0x80 && g_ascii_isupper (c))
        upper = TRUE;
      else if (c < 0x80 && g_ascii_isdigit (c))
        digit = TRUE;
      else
        other = TRUE;
    }
  if (lower + upper + digit + other < 2)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "password",
                          "must mix at least two of: lower-case letters, upper-case letters, "
                          "digits, other characters");
      return FALSE;
    }
  return TRUE;
}

static void
post_users (FqRequest *request)
{
  FqServer *server = fq_request_get_server (request);
  JsonObject *body = fq_request_get_body (request);
  g_autoptr(GError) error = NULL;
  g_autofree char *username = NULL;
  g_autofree char *display_name = NULL;
  g_autofree char *password = NULL;
  g_autofree char *scope = NULL;
  g_autofree char *unit = NULL;
  int role = 0;
  UserWrite *w;

  if (!fq_request_require_role (request, FQ_ROLE_BIT (FQ_ROLE_ADMIN)))
    return;

  if (!fq_json_get_string (body, "username", TRUE, MAX_USERNAME_CHARS, &username, &error) ||
      !fq_json_get_string (body, "display_name", FALSE, 100, &display_name, &error) ||
      !fq_json_get_string (body, "password", TRUE, MAX_PASSWORD_CHARS, &password, &error) ||
      !fq_json_get_enum (body, "role", TRUE, FQ_TYPE_ROLE, &role, NULL, &error) ||
      !fq_json_get_string (body, "scope", TRUE, 32, &scope, &error) ||
      !fq_json_get_string (body, "unit", FALSE, 64, &unit, &error))
    goto fail;

  if (!valid_username (username))
    {
      fq_set_field_error (&error, FQ_ERROR_INVALID_FIELD, "username",
                          "letters, digits, '.', '_' and '-' only");
      goto fail;
    }
  if (!check_password (username, password, &error) ||
      !check_role_scope_unit (request, role, scope, unit, &error))
    goto fail;
  if (g_hash_table_contains (server->auth->users, username))
    {
      fq_set_field_error (&error, FQ_ERROR_CONFLICT, "username", "%s is taken", username);
      goto fail;
    }
  if (display_name == NULL)
    display_name = g_strdup (username);

  w = g_new0 (UserWrite, 1);
  w->op = USER_CREATE;
  w->username = g_strdup (username);
  w->display_name = g_strdup (display_name);
  w->role = role;
  w->scope = g_strdup (scope);
  w->unit = g_strdup (unit);
  w->result = user_entry_new (server->refdata, username, display_name, role, scope, unit,
                              NULL, FALSE, fq_server_now (server));

  run_password_task (request, password, NULL, user_hashed, w, NULL);
  sodium_memzero (password, strlen (password));
  return;

fail:
  fq_request_respond_error (request, error);
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const UserEntry *ea = *(UserEntry * const *)a;
  const UserEntry *eb = *(UserEntry * const *)b;

  return strcmp (ea->user->username, eb->user->username);
}

static void
get_users (FqRequest *request)
{
  FqServer *server = fq_request_get_server (request);
  const FqUser *admin = fq_request_get_user (request);
  g_autoptr(GPtrArray) entries = g_ptr_array_new ();
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  GHashTableIter iter;
  UserEntry *entry;

  if (!fq_request_require_role (request, FQ_ROLE_BIT (FQ_ROLE_ADMIN)))
    return;

  g_hash_table_iter_init (&iter, server->auth->users);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *)&entry))
    if (fq_user_can_see (admin, entry->user->scope, NULL))
      g_ptr_array_add (entries, entry);
  g_ptr_array_sort (entries, compare_entries);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "users");
  json_builder_begin_array (builder);
  for (guint i = 0; i < entries->len; i++)
    json_builder_add_value (builder, user_entry_to_json (g_ptr_array_index (entries, i)));
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  fq_request_respond (request, SOUP_STATUS_OK, json_builder_get_root (builder));
}

static void
post_user_action (FqRequest *request)
{
  FqServer *server = fq_request_get_server (request);
  const FqUser *admin = fq_request_get_user (request);
  JsonObject *body = fq_request_get_body (request);
  const char *username = fq_request_get_segment (request, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *action = NULL;
  g_autofree char *password = NULL;
  UserEntry *entry;
  UserWrite *w;

  if (!fq_request_require_role (request, FQ_ROLE_BIT (FQ_ROLE_ADMIN)))
    return;

  entry = g_hash_table_lookup (server->auth->users, username);
  if (entry == NULL || !fq_user_can_see (admin, entry->user->scope, NULL))
    {
      g_set_error (&error, FQ_ERROR, FQ_ERROR_NOT_FOUND, "no such user");
      goto fail;
    }

  if (!fq_json_get_string (body, "action", TRUE, 32, &action, &error))
    goto fail;

  w = g_new0 (UserWrite, 1);
  w->username = g_strdup (username);
  w->result = user_entry_new (server->refdata, username, entry->user->display_name,
                              entry->user->role, entry->user->scope, entry->user->unit,
                              entry->password_hash, entry->disabled, entry->created_at);

  if (g_str_equal (action, "disable") || g_str_equal (action, "enable"))
    {
      w->op = g_str_equal (action, "disable") ? USER_DISABLE : USER_ENABLE;
      if (w->op == USER_DISABLE && g_str_equal (username, admin->username))
        {
          fq_set_field_error (&error, FQ_ERROR_CONFLICT, "action",
                              "you cannot disable yourself");
          goto fail_w;
        }
      w->result->disabled = w->op == USER_DISABLE;
      fq_request_run_full (request, FQ_JOB_WRITE, user_write_job, w,
                           (GDestroyNotify)user_write_free, user_write_done, w);
      return;
    }

  if (g_str_equal (action, "set_password"))
    {
      w->op = USER_SET_PASSWORD;
      if (!fq_json_get_string (body, "password", TRUE, MAX_PASSWORD_CHARS, &password, &error) ||
          !check_password (username, password, &error))
        goto fail_w;
      run_password_task (request, password, NULL, user_hashed, w, NULL);
      sodium_memzero (password, strlen (password));
      return;
    }

  if (g_str_equal (action, "set_role"))
    {
      g_autofree char *scope = NULL;
      g_autofree char *unit = NULL;
      gboolean unit_given;
      int role = 0;

      w->op = USER_SET_ROLE;
      if (!fq_json_get_enum (body, "role", TRUE, FQ_TYPE_ROLE, &role, NULL, &error) ||
          !fq_json_get_string (body, "scope", FALSE, 32, &scope, &error) ||
          !fq_json_get_string (body, "unit", FALSE, 64, &unit, &error))
        goto fail_w;
      unit_given = unit != NULL;
      if (scope == NULL)
        scope = g_strdup (entry->user->scope);
      /* A unit user keeps its unit unless a new one is given. */
      if (!unit_given && role == FQ_ROLE_UNIT)
        unit = g_strdup (entry->user->unit);
      if (g_str_equal (username, admin->username) && role != FQ_ROLE_ADMIN)
        {
          fq_set_field_error (&error, FQ_ERROR_CONFLICT, "role",
                              "you cannot take the administrator role from yourself");
          goto fail_w;
        }
      if (!check_role_scope_unit (request, role, scope, unit, &error))
        goto fail_w;

      w->role = role;
      w->scope = g_strdup (scope);
      w->unit = g_strdup (unit);
      user_entry_free (w->result);
      w->result = user_entry_new (server->refdata, username, entry->user->display_name,
                                  role, scope, unit, entry->password_hash, entry->disabled,
                                  entry->created_at);
      fq_request_run_full (request, FQ_JOB_WRITE, user_write_job, w,
                           (GDestroyNotify)user_write_free, user_write_done, w);
      return;
    }

  fq_set_field_error (&error, FQ_ERROR_INVALID_FIELD, "action",
                      "one of disable, enable, set_password, set_role");

fail_w:
  user_write_free (w);
fail:
  fq_request_respond_error (request, error);
}

void
fq_auth_register (FqServer *server)
{
  fq_server_add_route (server, "POST", "/auth/login", FQ_ROUTE_PUBLIC | FQ_ROUTE_BODY, post_login);
  fq_server_add_route (server, "POST", "/auth/logout", FQ_ROUTE_DEFAULT, post_logout);
  fq_server_add_route (server, "GET", "/me", FQ_ROUTE_DEFAULT, get_me);
  fq_server_add_route (server, "GET", "/users", FQ_ROUTE_DEFAULT, get_users);
  fq_server_add_route (server, "POST", "/users", FQ_ROUTE_BODY, post_users);
  fq_server_add_route (server, "POST", "/users/*/actions", FQ_ROUTE_BODY, post_user_action);
}
