/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Data"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "fq-client.h"
#include "fq-error.h"
#include "fq-json.h"
#include "fq-sla.h"

struct _FqClient
{
  GObject      parent_instance;

  SoupSession *session;
  char        *base_url;   /* without trailing slash */
  char        *api_url;    /* base_url + "/api/v1" */
  char        *server_id;
  char        *session_dir;
  char        *token;
  char        *username;
  JsonObject  *user;
  guint        timeout;
  char        *ca_file;
  GTlsDatabase *ca_database;  /* the extra CA file's, or NULL */
  GError      *ca_error;      /* why the CA file cannot be used, or NULL */
};

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_SIGNED_IN,
  PROP_USERNAME,
  N_PROPS
};

enum {
  SESSION_EXPIRED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FqClient, fq_client, G_TYPE_OBJECT)

typedef struct
{
  FqClient    *self;      /* owned */
  SoupMessage *message;
  JsonObject  *error_object;
  GBytes      *body;      /* a successful answer's, as it came */
  guint        status;
  GTlsCertificateFlags tls_errors;  /* why the certificate was refused */
  gboolean     with_token;
  gboolean     is_login;
} CallData;

static void
call_data_free (gpointer data)
{
  CallData *cd = data;

  g_clear_object (&cd->self);
  g_clear_object (&cd->message);
  g_clear_pointer (&cd->error_object, json_object_unref);
  g_clear_pointer (&cd->body, g_bytes_unref);
  g_free (cd);
}

G_DEFINE_QUARK (fq-client-certificate-error-quark, fq_client_certificate_error)

/* ---- the server's clock ------------------------------------------------- */

G_LOCK_DEFINE_STATIC (clock);
static gint64 clock_offset_us;
static gboolean clock_measured;

/* The console's own clock. FQ_TEST_CLOCK_SKEW (seconds, test only) makes it
 * wrong on purpose, as a badly set computer's would be. */
static gint64
local_now_us (void)
{
  static gsize init = 0;
  static gint64 skew_us;

  if (g_once_init_enter (&init))
    {
      const char *skew = g_getenv ("FQ_TEST_CLOCK_SKEW");

      if (skew != NULL)
        skew_us = g_ascii_strtoll (skew, NULL, 10) * G_USEC_PER_SEC;
      g_once_init_leave (&init, 1);
    }
  return g_get_real_time () + skew_us;
}

void
fq_client_note_server_time (gint64 server_unix_seconds,
                            gint64 local_us)
{
  /* The server's clock is read to the second: its true time lies anywhere
   * in that second, so the middle is the best guess, and a new estimate
   * within a second of the current one is noise, not drift. */
  gint64 estimate = server_unix_seconds * G_USEC_PER_SEC + G_USEC_PER_SEC / 2 - local_us;

  G_LOCK (clock);
  if (!clock_measured || ABS (estimate - clock_offset_us) > G_USEC_PER_SEC)
    {
      if (ABS (estimate - clock_offset_us) > 5 * G_USEC_PER_SEC)
        g_debug ("The console's clock is %.0f s %s the server's", ABS (estimate) / 1e6,
                 estimate > 0 ? "behind" : "ahead of");
      clock_offset_us = estimate;
      clock_measured = TRUE;
    }
  G_UNLOCK (clock);
}

gint64
fq_client_get_clock_offset (void)
{
  gint64 offset;

  G_LOCK (clock);
  offset = clock_offset_us;
  G_UNLOCK (clock);
  return offset;
}

static gint accept_limit_seconds = FQ_SLA_DEFAULT_ACCEPT_SECONDS;

gint64
fq_client_get_accept_limit (void)
{
  return g_atomic_int_get (&accept_limit_seconds);
}

void
fq_client_note_accept_limit (gint64 seconds)
{
  if (seconds > 0 && seconds <= G_MAXINT)
    g_atomic_int_set (&accept_limit_seconds, (gint)seconds);
}

gint64
fq_client_get_server_time (void)
{
  return local_now_us () + fq_client_get_clock_offset ();
}

static void
note_date_header (SoupMessage *message)
{
  const char *date = soup_message_headers_get_one (soup_message_get_response_headers (message),
                                                   "Date");
  g_autoptr(GDateTime) dt = NULL;

  if (date != NULL && (dt = soup_date_time_new_from_http_string (date)) != NULL)
    fq_client_note_server_time (g_date_time_to_unix (dt), local_now_us ());
}

/* ---- certificates ------------------------------------------------------- */

static FqClientCertificateError
certificate_error_from_flags (GTlsCertificateFlags flags)
{
  /* The most basic problem first: an unknown authority makes the rest
   * meaningless. */
  if (flags & G_TLS_CERTIFICATE_UNKNOWN_CA)
    return FQ_CLIENT_CERTIFICATE_UNKNOWN_CA;
  if (flags & G_TLS_CERTIFICATE_BAD_IDENTITY)
    return FQ_CLIENT_CERTIFICATE_BAD_IDENTITY;
  if (flags & G_TLS_CERTIFICATE_EXPIRED)
    return FQ_CLIENT_CERTIFICATE_EXPIRED;
  if (flags & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    return FQ_CLIENT_CERTIFICATE_NOT_ACTIVATED;
  if (flags & G_TLS_CERTIFICATE_REVOKED)
    return FQ_CLIENT_CERTIFICATE_REVOKED;
  if (flags & G_TLS_CERTIFICATE_INSECURE)
    return FQ_CLIENT_CERTIFICATE_INSECURE;
  return FQ_CLIENT_CERTIFICATE_OTHER;
}

/* A refused certificate (GIO checked it against the system's authorities
 * and found @errors): accepted if it is valid under the extra CA file,
 * and otherwise remembered, to say why. */
static gboolean
accept_certificate_cb (SoupMessage          *message,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  CallData *cd = user_data;
  FqClient *self = cd->self;

  if (self->ca_database != NULL)
    {
      GUri *uri = soup_message_get_uri (message);
      g_autoptr(GSocketConnectable) identity = NULL;
      g_autoptr(GError) error = NULL;
      GTlsCertificateFlags flags;

      identity = g_network_address_new (g_uri_get_host (uri),
                                        g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : 443);
      flags = g_tls_database_verify_chain (self->ca_database, certificate,
                                           G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                           identity, NULL, G_TLS_DATABASE_VERIFY_NONE,
                                           NULL, &error);
      if (error != NULL)
        g_debug ("Checking the certificate against %s: %s", self->ca_file, error->message);
      else if (flags == 0)
        return TRUE;
      else if ((flags & G_TLS_CERTIFICATE_UNKNOWN_CA) == 0)
        {
          /* Our CA made it, so what is wrong is what our check says. */
          cd->tls_errors = flags;
          return FALSE;
        }
    }

  cd->tls_errors = errors;
  return FALSE;
}

/* libsoup reports any refused certificate as G_TLS_ERROR_BAD_CERTIFICATE;
 * the flags seen in accept_certificate_cb() say which problem it was. */
static GError *
certificate_error (CallData *cd,
                   GError   *error)
{
  if (cd->tls_errors != 0 &&
      (error == NULL || g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE)))
    {
      g_autofree char *host = NULL;

      host = g_strdup (g_uri_get_host (soup_message_get_uri (cd->message)));
      g_clear_error (&error);
      return g_error_new (FQ_CLIENT_CERTIFICATE_ERROR,
                          certificate_error_from_flags (cd->tls_errors),
                          "The certificate of %s was refused (flags 0x%x)",
                          host, (guint)cd->tls_errors);
    }
  return error;
}

static void
watch_certificate (CallData *cd)
{
  g_signal_connect (cd->message, "accept-certificate", G_CALLBACK (accept_certificate_cb), cd);
}

static char *
session_path (FqClient   *self,
              const char *username)
{
  g_autofree char *name = g_strdup_printf ("%s-%s.json", self->server_id, username);

  return g_build_filename (self->session_dir, name, NULL);
}

static char *
last_user_path (FqClient *self)
{
  g_autofree char *name = g_strdup_printf ("%s.last", self->server_id);

  return g_build_filename (self->session_dir, name, NULL);
}

static void
set_session (FqClient   *self,
             const char *token,
             JsonObject *user)
{
  gboolean was_signed_in = self->token != NULL;
  const char *username = NULL;

  g_clear_pointer (&self->token, g_free);
  g_clear_pointer (&self->user, json_object_unref);
  g_clear_pointer (&self->username, g_free);

  if (token != NULL)
    {
      self->token = g_strdup (token);
      if (user != NULL)
        {
          self->user = json_object_ref (user);
          username = fq_json_string_or (user, "username", NULL);
        }
      self->username = g_strdup (username);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USERNAME]);
  if (was_signed_in != (self->token != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIGNED_IN]);
}

static void
delete_session_file (FqClient *self)
{
  g_autofree char *path = NULL;

  if (self->username == NULL)
    return;

  path = session_path (self, self->username);
  g_unlink (path);
}

/* The token is a credential: the file is created 0600 in a 0700 directory
 * and replaced atomically, so it is never readable by others even briefly. */
static void
write_session_file (FqClient   *self,
                    JsonObject *answer)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *path = NULL;
  g_autofree char *last = NULL;
  g_autofree char *text = NULL;
  JsonObject *copy;

  if (self->username == NULL)
    return;

  if (g_mkdir_with_parents (self->session_dir, 0700) != 0)
    {
      g_warning ("Cannot create %s: %s", self->session_dir, g_strerror (errno));
      return;
    }

  copy = json_object_new ();
  json_object_set_string_member (copy, "base_url", self->base_url);
  json_object_set_string_member (copy, "token", self->token);
  if (json_object_has_member (answer, "expires_at"))
    json_object_set_member (copy, "expires_at",
                            json_node_copy (json_object_get_member (answer, "expires_at")));
  json_object_set_object_member (copy, "user", json_object_ref (self->user));

  node = json_node_init_object (json_node_alloc (), copy);
  json_object_unref (copy);
  text = fq_json_to_string (node, NULL);

  path = session_path (self, self->username);
  if (!g_file_set_contents_full (path, text, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_warning ("Cannot save the session: %s", error->message);

  last = last_user_path (self);
  if (!g_file_set_contents_full (last, self->username, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_debug ("Cannot save the last user: %s", error ? error->message : "");
}

static gboolean
is_plain_host_name (const char *s)
{
  for (; *s; s++)
    if (!g_ascii_isalnum (*s) && *s != '.' && *s != '-')
      return FALSE;
  return TRUE;
}

static void
fq_client_finalize (GObject *object)
{
  FqClient *self = (FqClient *)object;

  g_clear_object (&self->session);
  g_clear_pointer (&self->base_url, g_free);
  g_clear_pointer (&self->api_url, g_free);
  g_clear_pointer (&self->server_id, g_free);
  g_clear_pointer (&self->session_dir, g_free);
  g_clear_pointer (&self->token, g_free);
  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->user, json_object_unref);
  g_clear_pointer (&self->ca_file, g_free);
  g_clear_object (&self->ca_database);
  g_clear_error (&self->ca_error);

  G_OBJECT_CLASS (fq_client_parent_class)->finalize (object);
}

static void
fq_client_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  FqClient *self = FQ_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;
    case PROP_SIGNED_IN:
      g_value_set_boolean (value, self->token != NULL);
      break;
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_client_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  FqClient *self = FQ_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      {
        g_autofree char *url = g_value_dup_string (value);
        g_autoptr(GUri) uri = NULL;
        const char *host;
        int port;

        if (url == NULL)
          url = g_strdup ("http://127.0.0.1:8470");
        while (g_str_has_suffix (url, "/"))
          url[strlen (url) - 1] = '\0';
        self->base_url = g_steal_pointer (&url);
        self->api_url = g_strconcat (self->base_url, "/api/v1", NULL);

        uri = g_uri_parse (self->base_url, G_URI_FLAGS_NONE, NULL);
        host = uri ? g_uri_get_host (uri) : NULL;
        port = uri ? g_uri_get_port (uri) : -1;
        if (port < 0 && uri != NULL)
          port = g_strcmp0 (g_uri_get_scheme (uri), "https") == 0 ? 443 : 80;
        if (host != NULL && is_plain_host_name (host))
          self->server_id = g_strdup_printf ("%s-%d", host, port);
        else
          {
            /* Host names with unusual characters (IPv6, IDN) are hashed so
             * the id stays a plain file name. */
            g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA1,
                                                                   self->base_url, -1);
            self->server_id = g_strndup (sum, 16);
          }
      }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_client_class_init (FqClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fq_client_finalize;
  object_class->get_property = fq_client_get_property;
  object_class->set_property = fq_client_set_property;

  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SIGNED_IN] =
    g_param_spec_boolean ("signed-in", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_USERNAME] =
    g_param_spec_string ("username", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SESSION_EXPIRED] =
    g_signal_new ("session-expired", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
fq_client_init (FqClient *self)
{
  self->timeout = 30;
  self->session = soup_session_new_with_options ("timeout", self->timeout,
                                                 "idle-timeout", 60,
                                                 "user-agent", "fengqiao-console/" PACKAGE_VERSION,
                                                 NULL);
  self->session_dir = g_build_filename (g_get_user_config_dir (), "fengqiao", "sessions", NULL);
}

FqClient *
fq_client_new (const char *base_url)
{
  return g_object_new (FQ_TYPE_CLIENT, "base-url", base_url, NULL);
}

const char *
fq_client_get_base_url (FqClient *self)
{
  g_return_val_if_fail (FQ_IS_CLIENT (self), NULL);
  return self->base_url;
}

const char *
fq_client_get_server_id (FqClient *self)
{
  g_return_val_if_fail (FQ_IS_CLIENT (self), NULL);
  return self->server_id;
}

void
fq_client_set_session_dir (FqClient   *self,
                           const char *dir)
{
  g_return_if_fail (FQ_IS_CLIENT (self));
  g_return_if_fail (dir != NULL);

  g_free (self->session_dir);
  self->session_dir = g_strdup (dir);
}

const char *
fq_client_get_token (FqClient *self)
{
  g_return_val_if_fail (FQ_IS_CLIENT (self), NULL);
  return self->token;
}

const char *
fq_client_get_username (FqClient *self)
{
  g_return_val_if_fail (FQ_IS_CLIENT (self), NULL);
  return self->username;
}

JsonObject *
fq_client_get_user (FqClient *self)
{
  g_return_val_if_fail (FQ_IS_CLIENT (self), NULL);
  return self->user;
}

gboolean
fq_client_get_signed_in (FqClient *self)
{
  g_return_val_if_fail (FQ_IS_CLIENT (self), FALSE);
  return self->token != NULL;
}

gboolean
fq_client_set_ca_file (FqClient    *self,
                       const char  *path,
                       GError     **error)
{
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (FQ_IS_CLIENT (self), FALSE);

  g_clear_pointer (&self->ca_file, g_free);
  g_clear_object (&self->ca_database);
  g_clear_error (&self->ca_error);

  if (path == NULL || path[0] == '\0')
    return TRUE;

  self->ca_file = g_strdup (path);
  database = g_tls_file_database_new (path, &local_error);
  if (database == NULL)
    {
      self->ca_error = g_error_new (FQ_CLIENT_CERTIFICATE_ERROR, FQ_CLIENT_CERTIFICATE_CA_FILE,
                                    "%s: %s", path, local_error->message);
      if (error != NULL)
        *error = g_error_copy (self->ca_error);
      return FALSE;
    }
  self->ca_database = g_steal_pointer (&database);
  return TRUE;
}

void
fq_client_set_timeout (FqClient *self,
                       guint     seconds)
{
  g_return_if_fail (FQ_IS_CLIENT (self));
  self->timeout = seconds;
  g_object_set (self->session, "timeout", seconds, NULL);
}

/* ---- calls ------------------------------------------------------------ */

/* Every answer is parsed on a worker thread, not on the main one: a page
 * of /changes is a few hundred kilobytes, and even a small answer is work
 * the main loop does not need to do while the board scrolls. An answer
 * that is not JSON gives NULL with @error set. */
static void
parse_in_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  GBytes *bytes = task_data;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  if (!json_parser_load_from_data (parser, data, len, &error))
    {
      g_task_return_new_error (task, FQ_ERROR, FQ_ERROR_BAD_JSON,
                               "The server's answer is not JSON: %s", error->message);
      return;
    }

  g_task_return_pointer (task, json_parser_steal_root (parser), (GDestroyNotify)json_node_unref);
}

/* @root (nullable): the answer of a failed call, parsed. */
static void
fail_from_answer (GTask    *task,
                  JsonNode *root)
{
  CallData *cd = g_task_get_task_data (task);
  FqErrorCode code = FQ_ERROR_INTERNAL;
  const char *message = NULL;
  JsonObject *err = NULL;

  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    {
      JsonObject *obj = json_node_get_object (root);
      JsonNode *e = json_object_get_member (obj, "error");

      if (e != NULL && JSON_NODE_HOLDS_OBJECT (e))
        err = json_node_get_object (e);
    }

  if (err != NULL)
    {
      cd->error_object = json_object_ref (err);
      message = fq_json_string_or (err, "message", NULL);
      if (!fq_error_code_from_string (fq_json_string_or (err, "code", NULL),
                                      &code))
        code = FQ_ERROR_INTERNAL;
    }
  else
    {
      /* No error object (a proxy, or a server too old): derive the code from
       * the status so the caller still gets a meaningful error. */
      switch (cd->status)
        {
        case 400: code = FQ_ERROR_BAD_REQUEST; break;
        case 401: code = FQ_ERROR_UNAUTHENTICATED; break;
        case 403: code = FQ_ERROR_FORBIDDEN; break;
        case 404: code = FQ_ERROR_NOT_FOUND; break;
        case 405: code = FQ_ERROR_METHOD_NOT_ALLOWED; break;
        case 409: code = FQ_ERROR_CONFLICT; break;
        case 413: code = FQ_ERROR_TOO_LARGE; break;
        case 415: code = FQ_ERROR_UNSUPPORTED_MEDIA; break;
        case 422: code = FQ_ERROR_INVALID_FIELD; break;
        case 429: code = FQ_ERROR_RATE_LIMITED; break;
        case 502: case 503: case 504: code = FQ_ERROR_UNAVAILABLE; break;
        default: code = FQ_ERROR_INTERNAL; break;
        }
    }

  if (cd->status == 401 && cd->with_token && !cd->is_login)
    {
      FqClient *self = cd->self;

      delete_session_file (self);
      set_session (self, NULL, NULL);
      g_signal_emit (self, signals[SESSION_EXPIRED], 0);
    }

  g_task_return_new_error (task, FQ_ERROR, code, "%s",
                           message ? message : soup_status_get_phrase (cd->status));
}

static void
parsed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CallData *cd = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;

  root = g_task_propagate_pointer (G_TASK (result), &error);
  if (cd->status < 200 || cd->status >= 300)
    fail_from_answer (task, root);
  else if (root == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_steal_pointer (&root), (GDestroyNotify)json_node_unref);
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CallData *cd = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) parse = NULL;

  bytes = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  if (bytes == NULL)
    {
      g_task_return_error (task, certificate_error (cd, g_steal_pointer (&error)));
      return;
    }

  cd->status = soup_message_get_status (cd->message);
  note_date_header (cd->message);

  if (g_bytes_get_size (bytes) == 0)
    {
      if (cd->status >= 200 && cd->status < 300)
        g_task_return_pointer (task, NULL, NULL);
      else
        fail_from_answer (task, NULL);
      return;
    }
  if (cd->status == 204)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  if (cd->status >= 200 && cd->status < 300)
    cd->body = g_bytes_ref (bytes);

  parse = g_task_new (NULL, NULL, parsed_cb, g_steal_pointer (&task));
  g_task_set_source_tag (parse, parse_in_thread);
  g_task_set_task_data (parse, g_steal_pointer (&bytes), (GDestroyNotify)g_bytes_unref);
  g_task_run_in_thread (parse, parse_in_thread);
}

static GBytes *
json_bytes (JsonNode *node)
{
  gsize len = 0;
  char *text = fq_json_to_string (node, &len);

  return g_bytes_new_take (text, len);
}

typedef enum
{
  CALL_LOGIN = 1 << 0,  /* without the token; a 401 is a wrong password */
  CALL_ONCE  = 1 << 1,  /* on a connection of its own, closed after the answer */
} CallFlags;

static void
start_call (FqClient            *self,
            const char          *method,
            const char          *path,
            GBytes              *body,
            const char          *idempotency_key,
            CallFlags            flags,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data,
            gpointer             source_tag)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *url = NULL;
  SoupMessageHeaders *headers;
  CallData *cd;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  url = g_strconcat (self->api_url, path, NULL);
  cd = g_new0 (CallData, 1);
  cd->self = g_object_ref (self);
  cd->is_login = (flags & CALL_LOGIN) != 0;
  cd->message = soup_message_new (method, url);
  g_task_set_task_data (task, cd, call_data_free);

  if (cd->message == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Invalid server address “%s”", url);
      return;
    }
  if (self->ca_error != NULL)
    {
      g_task_return_error (task, g_error_copy (self->ca_error));
      return;
    }
  watch_certificate (cd);

  headers = soup_message_get_request_headers (cd->message);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (self->token != NULL && !cd->is_login)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", self->token, NULL);

      soup_message_headers_replace (headers, "Authorization", auth);
      cd->with_token = TRUE;
    }
  if (idempotency_key != NULL)
    soup_message_headers_replace (headers, "Idempotency-Key", idempotency_key);
  if (flags & CALL_ONCE)
    {
      soup_message_add_flags (cd->message, SOUP_MESSAGE_NEW_CONNECTION);
      soup_message_headers_replace (headers, "Connection", "close");
    }

  if (body != NULL)
    soup_message_set_request_body_from_bytes (cd->message, "application/json", body);

  soup_session_send_and_read_async (self->session, cd->message, G_PRIORITY_DEFAULT,
                                    cancellable, send_cb, g_object_ref (task));
}

void
fq_client_call_async (FqClient            *self,
                      const char          *method,
                      const char          *path,
                      JsonNode            *body,
                      const char          *idempotency_key,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GBytes) bytes = NULL;

  g_return_if_fail (FQ_IS_CLIENT (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (path != NULL && path[0] == '/');

  if (body != NULL)
    bytes = json_bytes (body);
  start_call (self, method, path, bytes, idempotency_key, 0,
              cancellable, callback, user_data, fq_client_call_async);
}

void
fq_client_call_text_async (FqClient            *self,
                           const char          *method,
                           const char          *path,
                           const char          *body,
                           const char          *idempotency_key,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GBytes) bytes = NULL;

  g_return_if_fail (FQ_IS_CLIENT (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (path != NULL && path[0] == '/');

  if (body != NULL)
    bytes = g_bytes_new (body, strlen (body));
  start_call (self, method, path, bytes, idempotency_key, 0,
              cancellable, callback, user_data, fq_client_call_async);
}

void
fq_client_call_once_async (FqClient            *self,
                           const char          *method,
                           const char          *path,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (FQ_IS_CLIENT (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (path != NULL && path[0] == '/');

  /* Its answer is finished by fq_client_call_finish(), like any call's. */
  start_call (self, method, path, NULL, NULL, CALL_ONCE,
              cancellable, callback, user_data, fq_client_call_async);
}

JsonNode *
fq_client_call_finish (FqClient      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (FQ_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

JsonObject *
fq_client_call_get_error_object (GAsyncResult *result)
{
  CallData *cd;

  g_return_val_if_fail (G_IS_TASK (result), NULL);

  cd = g_task_get_task_data (G_TASK (result));
  return cd ? cd->error_object : NULL;
}

/**
 * fq_client_call_get_body:
 * @result: the result of fq_client_call_async()
 *
 * Returns: (transfer none) (nullable): the text of a successful answer, as
 *   it came, which the parsed root was made from
 */
GBytes *
fq_client_call_get_body (GAsyncResult *result)
{
  CallData *cd;

  g_return_val_if_fail (G_IS_TASK (result), NULL);

  cd = g_task_get_task_data (G_TASK (result));
  return cd ? cd->body : NULL;
}

guint
fq_client_call_get_status (GAsyncResult *result)
{
  CallData *cd;

  g_return_val_if_fail (G_IS_TASK (result), 0);

  cd = g_task_get_task_data (G_TASK (result));
  return cd ? cd->status : 0;
}

/* ---- login, logout, sessions ------------------------------------------ */

static void
login_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  FqClient *self = FQ_CLIENT (object);
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *obj;
  JsonNode *user_node;
  const char *token;

  root = g_task_propagate_pointer (G_TASK (result), &error);
  if (root == NULL)
    {
      if (error == NULL)
        error = g_error_new (FQ_ERROR, FQ_ERROR_INTERNAL, "Empty answer to the login");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!JSON_NODE_HOLDS_OBJECT (root) ||
      (obj = json_node_get_object (root)) == NULL ||
      (token = fq_json_string_or (obj, "token", NULL)) == NULL ||
      (user_node = json_object_get_member (obj, "user")) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (user_node))
    {
      g_task_return_new_error (task, FQ_ERROR, FQ_ERROR_INTERNAL,
                               "The server's answer to the login has no token");
      return;
    }

  set_session (self, token, json_node_get_object (user_node));
  write_session_file (self, obj);

  g_task_return_pointer (task, json_object_ref (self->user), (GDestroyNotify)json_object_unref);
}

void
fq_client_login_async (FqClient            *self,
                       const char          *username,
                       const char          *password,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GBytes) bytes = NULL;
  GTask *task;

  g_return_if_fail (FQ_IS_CLIENT (self));
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, username);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  bytes = json_bytes (body);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fq_client_login_async);

  start_call (self, "POST", "/auth/login", bytes, NULL, CALL_LOGIN,
              cancellable, login_cb, task, fq_client_call_async);
}

JsonObject *
fq_client_login_finish (FqClient      *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (FQ_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
fq_client_restore_session (FqClient    *self,
                           const char  *username,
                           GError     **error)
{
  g_autofree char *last = NULL;
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autofree char *user_buf = NULL;
  JsonObject *obj;
  JsonNode *root;
  JsonNode *user_node;
  const char *token;
  const char *expires;
  gint64 expires_at;
  gsize len;

  g_return_val_if_fail (FQ_IS_CLIENT (self), FALSE);

  if (username == NULL)
    {
      last = last_user_path (self);
      if (!g_file_get_contents (last, &user_buf, NULL, NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No saved session");
          return FALSE;
        }
      g_strstrip (user_buf);
      username = user_buf;
    }

  path = session_path (self, username);
  if (!g_file_get_contents (path, &contents, &len, NULL) ||
      !json_parser_load_from_data (parser, contents, len, NULL) ||
      (root = json_parser_get_root (parser)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No saved session for %s", username);
      return FALSE;
    }

  obj = json_node_get_object (root);
  token = fq_json_string_or (obj, "token", NULL);
  user_node = json_object_get_member (obj, "user");
  expires = fq_json_string_or (obj, "expires_at", NULL);

  if (token == NULL || user_node == NULL || !JSON_NODE_HOLDS_OBJECT (user_node))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "No saved session for %s", username);
      return FALSE;
    }

  if (expires != NULL && fq_time_parse (expires, &expires_at) &&
      expires_at <= g_get_real_time () / G_USEC_PER_SEC)
    {
      g_unlink (path);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "The saved session has expired");
      return FALSE;
    }

  set_session (self, token, json_node_get_object (user_node));
  return TRUE;
}

static void
logout_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;

  /* The token is forgotten whatever the server said: signing out must work
   * while the server is unreachable. */
  node = g_task_propagate_pointer (G_TASK (result), &error);
  if (error != NULL)
    g_debug ("Logout: %s", error->message);

  g_task_return_boolean (task, TRUE);
}

void
fq_client_logout_async (FqClient            *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (FQ_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fq_client_logout_async);

  if (self->token == NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }

  /* Send with the token, then forget it at once. */
  start_call (self, "POST", "/auth/logout", NULL, NULL, 0,
              cancellable, logout_cb, task, fq_client_call_async);
  delete_session_file (self);
  set_session (self, NULL, NULL);
}

gboolean
fq_client_logout_finish (FqClient      *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (FQ_IS_CLIENT (self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- events ------------------------------------------------------------ */

static void
websocket_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CallData *cd = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *conn;

  conn = soup_session_websocket_connect_finish (SOUP_SESSION (object), result, &error);
  if (conn == NULL)
    {
      error = certificate_error (cd, g_steal_pointer (&error));
      cd->status = soup_message_get_status (cd->message);
      if (cd->status == 401 && cd->with_token)
        {
          delete_session_file (cd->self);
          set_session (cd->self, NULL, NULL);
          g_signal_emit (cd->self, signals[SESSION_EXPIRED], 0);
          g_task_return_new_error (task, FQ_ERROR, FQ_ERROR_UNAUTHENTICATED,
                                   "The session has expired");
          return;
        }
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Pings keep NAT and proxies from closing an idle connection and let us
   * notice a dead server within a minute. */
  soup_websocket_connection_set_keepalive_interval (conn, 20);
  soup_websocket_connection_set_max_incoming_payload_size (conn, 16 * 1024 * 1024);
  g_task_return_pointer (task, conn, g_object_unref);
}

void
fq_client_connect_events_async (FqClient            *self,
                                gint64               since,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *url = NULL;
  CallData *cd;

  g_return_if_fail (FQ_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fq_client_connect_events_async);

  url = g_strdup_printf ("%s/events?since=%" G_GINT64_FORMAT, self->api_url, since);
  cd = g_new0 (CallData, 1);
  cd->self = g_object_ref (self);
  cd->message = soup_message_new ("GET", url);
  g_task_set_task_data (task, cd, call_data_free);

  if (cd->message == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Invalid server address “%s”", url);
      return;
    }
  if (self->ca_error != NULL)
    {
      g_task_return_error (task, g_error_copy (self->ca_error));
      return;
    }
  watch_certificate (cd);

  if (self->token != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", self->token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (cd->message),
                                    "Authorization", auth);
      cd->with_token = TRUE;
    }

  soup_session_websocket_connect_async (self->session, cd->message, NULL, NULL,
                                        G_PRIORITY_DEFAULT, cancellable,
                                        websocket_cb, g_object_ref (task));
}

SoupWebsocketConnection *
fq_client_connect_events_finish (FqClient      *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (FQ_IS_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- errors ------------------------------------------------------------ */

gboolean
fq_client_error_is_network (const GError *error)
{
  if (error == NULL)
    return FALSE;

  if (error->domain == G_IO_ERROR)
    return error->code != G_IO_ERROR_CANCELLED &&
           error->code != G_IO_ERROR_INVALID_ARGUMENT;

  if (error->domain == G_RESOLVER_ERROR ||
      error->domain == G_TLS_ERROR ||
      error->domain == FQ_CLIENT_CERTIFICATE_ERROR ||
      error->domain == SOUP_SESSION_ERROR ||
      error->domain == SOUP_WEBSOCKET_ERROR)
    return TRUE;

  /* A server that is shutting down or overloaded is, for a write waiting to
   * be sent, the same as one that cannot be reached: try again later. */
  if (error->domain == FQ_ERROR)
    return error->code == FQ_ERROR_UNAVAILABLE || error->code == FQ_ERROR_RATE_LIMITED;

  return FALSE;
}

char *
fq_client_describe_error (const GError *error)
{
  if (error == NULL)
    return g_strdup (_("An unknown error occurred."));

  if (error->domain == FQ_ERROR)
    {
      switch ((FqErrorCode)error->code)
        {
        case FQ_ERROR_BAD_JSON:
        case FQ_ERROR_BAD_REQUEST:
        case FQ_ERROR_METHOD_NOT_ALLOWED:
        case FQ_ERROR_UNSUPPORTED_MEDIA:
          return g_strdup (_("The server did not understand the request. The console may be "
                             "older than the server; please report this to your administrator."));
        case FQ_ERROR_UNAUTHENTICATED:
          return g_strdup (_("The user name or password is wrong, or your session has expired. "
                             "Please sign in again."));
        case FQ_ERROR_FORBIDDEN:
          return g_strdup (_("You are not allowed to do this with your role or unit."));
        case FQ_ERROR_NOT_FOUND:
          return g_strdup (_("This record does not exist or is outside your area."));
        case FQ_ERROR_STALE_REV:
          return g_strdup (_("Someone else changed this record in the meantime. "
                             "Look at its current state and try again."));
        case FQ_ERROR_INVALID_TRANSITION:
          return g_strdup (_("This action is not possible in the record's current state; "
                             "it may have been handled by someone else."));
        case FQ_ERROR_CONFLICT:
          return g_strdup (_("This conflicts with an existing record."));
        case FQ_ERROR_TOO_LARGE:
          return g_strdup (_("The text or data is too large to be sent."));
        case FQ_ERROR_INVALID_FIELD:
          {
            g_autofree char *field = fq_error_get_field (error);

            if (field != NULL)
              return g_strdup_printf (_("The value of “%s” is not valid: %s"),
                                      field, error->message);
            return g_strdup_printf (_("A value is not valid: %s"), error->message);
          }
        case FQ_ERROR_POLICE_ONLY_CATEGORY:
          return g_strdup (_("This category is a police matter and can only be decided "
                             "as “police”."));
        case FQ_ERROR_RATE_LIMITED:
          return g_strdup (_("Too many attempts. Please wait a minute and try again."));
        case FQ_ERROR_INTERNAL:
          return g_strdup (_("The server had an internal problem. Please try again; "
                             "if it persists, tell your administrator."));
        case FQ_ERROR_UNAVAILABLE:
          return g_strdup (_("The server is temporarily unavailable. Your work is kept and "
                             "will be sent when it is back."));
        default:
          break;
        }
    }

  if (error->domain == FQ_CLIENT_CERTIFICATE_ERROR)
    {
      switch ((FqClientCertificateError)error->code)
        {
        case FQ_CLIENT_CERTIFICATE_UNKNOWN_CA:
          return g_strdup (_("The server's security certificate was issued by an authority "
                             "this computer does not trust, so the connection was refused. "
                             "If your city uses its own certificate authority, ask your "
                             "administrator for its file and give it to the console "
                             "(--ca-file)."));
        case FQ_CLIENT_CERTIFICATE_BAD_IDENTITY:
          return g_strdup (_("The server's security certificate was made for another address "
                             "than the one entered, so the connection was refused. Check the "
                             "server address: it must be the name on the certificate."));
        case FQ_CLIENT_CERTIFICATE_EXPIRED:
          return g_strdup (_("The server's security certificate has expired, so the connection "
                             "was refused. Tell your administrator to renew it."));
        case FQ_CLIENT_CERTIFICATE_NOT_ACTIVATED:
          return g_strdup (_("The server's security certificate is not valid yet, so the "
                             "connection was refused. Check this computer's date and time, "
                             "or tell your administrator."));
        case FQ_CLIENT_CERTIFICATE_REVOKED:
          return g_strdup (_("The server's security certificate has been revoked, so the "
                             "connection was refused. Tell your administrator."));
        case FQ_CLIENT_CERTIFICATE_INSECURE:
          return g_strdup (_("The server's security certificate uses an insecure algorithm, so "
                             "the connection was refused. Tell your administrator."));
        case FQ_CLIENT_CERTIFICATE_CA_FILE:
          return g_strdup_printf (_("The certificate authority file given to the console "
                                    "cannot be used (%s). Check the file, or ask your "
                                    "administrator for it again."), error->message);
        case FQ_CLIENT_CERTIFICATE_OTHER:
        default:
          break;
        }
    }

  if (error->domain == G_TLS_ERROR || error->domain == FQ_CLIENT_CERTIFICATE_ERROR)
    return g_strdup (_("The server's security certificate is not valid or not trusted, so "
                       "the connection was refused. Tell your administrator."));

  if (error->domain == G_RESOLVER_ERROR)
    return g_strdup (_("The server's name could not be found. Check the server address "
                       "and the network connection."));

  if (error->domain == G_IO_ERROR)
    {
      switch (error->code)
        {
        case G_IO_ERROR_CANCELLED:
          return g_strdup (_("The operation was cancelled."));
        case G_IO_ERROR_TIMED_OUT:
          return g_strdup (_("The server did not answer in time. Check the network "
                             "connection; your work is kept."));
        case G_IO_ERROR_CONNECTION_REFUSED:
        case G_IO_ERROR_HOST_UNREACHABLE:
        case G_IO_ERROR_NETWORK_UNREACHABLE:
        case G_IO_ERROR_CONNECTION_CLOSED:
        case G_IO_ERROR_NOT_CONNECTED:
          return g_strdup (_("The server cannot be reached. Check the network connection "
                             "and the server address; your work is kept."));
        case G_IO_ERROR_INVALID_ARGUMENT:
          return g_strdup (_("The server address is not valid."));
        default:
          break;
        }
    }

  if (error->domain == SOUP_SESSION_ERROR || error->domain == SOUP_WEBSOCKET_ERROR)
    return g_strdup (_("The connection to the server failed. Check the server address."));

  return g_strdup_printf (_("An unexpected error occurred (%s)."), error->message);
}
