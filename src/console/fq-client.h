/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/*
 * FqClient: the console's only door to the server (API.md, base path
 * /api/v1). It owns the SoupSession, the bearer token and the signed-in
 * user's object.
 *
 * Errors: an answer with the API's error object becomes a GError in the
 * FQ_ERROR domain (fq-error.h) whose code is the object's `code` and whose
 * message is the server's `message`; the whole object (with `field` and
 * `allowed`) stays available through fq_client_call_get_error_object().
 * Transport failures keep their own domains: G_IO_ERROR (refused,
 * unreachable, timed out, …), G_RESOLVER_ERROR, G_TLS_ERROR (certificate
 * problems) and SOUP_*; fq_client_error_is_network() tells them apart.
 * fq_client_describe_error() turns any of them into a translated sentence.
 *
 * Sessions: after a login the token and the user object are written to
 * `$XDG_CONFIG_HOME/fengqiao/sessions/<host>-<port>-<username>.json`, mode
 * 0600, so that the console can start (and paint from its cache) without
 * a network round trip: fq_client_restore_session().
 */

#define FQ_TYPE_CLIENT (fq_client_get_type ())

/* Why the server's certificate was refused: libsoup says only
 * G_TLS_ERROR_BAD_CERTIFICATE; FqClient tells the cases apart from the
 * certificate's flags, so that the operator reads what to do about it. */
#define FQ_CLIENT_CERTIFICATE_ERROR (fq_client_certificate_error_quark ())

typedef enum
{
  FQ_CLIENT_CERTIFICATE_UNKNOWN_CA,     /* issued by an authority not trusted here */
  FQ_CLIENT_CERTIFICATE_BAD_IDENTITY,   /* made for another host name */
  FQ_CLIENT_CERTIFICATE_EXPIRED,
  FQ_CLIENT_CERTIFICATE_NOT_ACTIVATED,  /* not valid yet (or this clock is wrong) */
  FQ_CLIENT_CERTIFICATE_REVOKED,
  FQ_CLIENT_CERTIFICATE_INSECURE,
  FQ_CLIENT_CERTIFICATE_OTHER,
  FQ_CLIENT_CERTIFICATE_CA_FILE,        /* the extra CA file cannot be used */
} FqClientCertificateError;

GQuark       fq_client_certificate_error_quark (void);

G_DECLARE_FINAL_TYPE (FqClient, fq_client, FQ, CLIENT, GObject)

/* @base_url: the server's root, e.g. "http://127.0.0.1:8470" (with or
 * without a trailing slash, without /api/v1). */
FqClient    *fq_client_new                     (const char           *base_url);

const char  *fq_client_get_base_url            (FqClient             *self);

/* "host-port" of the base URL, safe as part of a file name
 * ("127.0.0.1-8470"). Used for session and cache file names. */
const char  *fq_client_get_server_id           (FqClient             *self);

/* Directory of the session files; by default
 * g_get_user_config_dir()/fengqiao/sessions. Tests point it elsewhere. */
void         fq_client_set_session_dir         (FqClient             *self,
                                                const char           *dir);

/* (nullable): NULL when not signed in. */
const char  *fq_client_get_token               (FqClient             *self);
const char  *fq_client_get_username            (FqClient             *self);
/* (transfer none) (nullable): the API's `user` object
 * {"username","display_name","role","unit","scope"}. */
JsonObject  *fq_client_get_user                (FqClient             *self);
/* Property "signed-in". */
gboolean     fq_client_get_signed_in           (FqClient             *self);

/* Trusts, besides the system's certificate authorities, those of the PEM
 * file @path (a city's own CA); NULL or "" trusts the system's only. A file
 * that cannot be read fails here, and every later call fails with
 * FQ_CLIENT_CERTIFICATE_CA_FILE until another file is set. */
gboolean     fq_client_set_ca_file             (FqClient             *self,
                                                const char           *path,
                                                GError              **error);

/* The server's clock, in µs since the epoch: the local clock corrected by
 * the offset measured from the Date header of the server's answers (and
 * from /health's `now`, see fq_client_note_server_time()). Countdowns to a
 * deadline set by the server use it, so that a console whose clock is
 * wrong still counts right. Process-wide: a console talks to one server. */
gint64       fq_client_get_server_time         (void);
/* The measured offset (server − local), µs; 0 before any answer. */
gint64       fq_client_get_clock_offset        (void);
/* Notes that the server's clock read @server_unix_seconds when the local
 * clock read @local_us (g_get_real_time()). */
void         fq_client_note_server_time        (gint64                server_unix_seconds,
                                                gint64                local_us);
/* The SLA's acceptance limit in seconds, as the server judges it (GET
 * /health's `accept_limit_seconds`, noted by the sync); the default two
 * hours before the server has said. Process-wide, any thread. */
gint64       fq_client_get_accept_limit        (void);
void         fq_client_note_accept_limit       (gint64                seconds);

/* Per-request timeout in seconds (default 30; the /changes pages use it too). */
void         fq_client_set_timeout             (FqClient             *self,
                                                guint                 seconds);

/* POST /auth/login. On success the token is kept (memory and session file)
 * and "signed-in" becomes TRUE. Finish returns the user object (transfer
 * full). A wrong user or password is FQ_ERROR_UNAUTHENTICATED. */
void         fq_client_login_async             (FqClient             *self,
                                                const char           *username,
                                                const char           *password,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
JsonObject  *fq_client_login_finish            (FqClient             *self,
                                                GAsyncResult         *result,
                                                GError              **error);

/* Reads the session file of @username (NULL: the last user who signed in to
 * this server) without touching the network. TRUE and "signed-in" if a
 * token that has not expired was found; FALSE with G_IO_ERROR_NOT_FOUND
 * otherwise. The token may still have been revoked on the server: the first
 * call then fails with FQ_ERROR_UNAUTHENTICATED and "session-expired" is
 * emitted. */
gboolean     fq_client_restore_session         (FqClient             *self,
                                                const char           *username,
                                                GError              **error);

/* POST /auth/logout (best effort: works offline too), then forgets the token
 * and deletes the session file. */
void         fq_client_logout_async            (FqClient             *self,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean     fq_client_logout_finish           (FqClient             *self,
                                                GAsyncResult         *result,
                                                GError              **error);

/* One API call. @method "GET", "POST", …; @path below /api/v1, starting with
 * "/" and with any query string ("/incidents?status=new"); @body (nullable)
 * is sent as JSON; @idempotency_key (nullable) becomes the Idempotency-Key
 * header. The answer is read and parsed on a worker thread. Finish returns
 * the parsed body (transfer full), or NULL without error for 204 answers. */
void         fq_client_call_async              (FqClient             *self,
                                                const char           *method,
                                                const char           *path,
                                                JsonNode             *body,
                                                const char           *idempotency_key,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
/* The same with a body that is JSON text already (the outbox's, stored as
 * it was first sent), sent as it stands. */
void         fq_client_call_text_async         (FqClient             *self,
                                                const char           *method,
                                                const char           *path,
                                                const char           *body,
                                                const char           *idempotency_key,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
/* A rare call without a body that should leave no idle keep-alive
 * connection behind on the server (each one costs its main loop a little
 * at every turn): sent on a new connection, closed after the answer.
 * Finished by fq_client_call_finish(). */
void         fq_client_call_once_async         (FqClient             *self,
                                                const char           *method,
                                                const char           *path,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
JsonNode    *fq_client_call_finish             (FqClient             *self,
                                                GAsyncResult         *result,
                                                GError              **error);
/* (transfer none) (nullable): the API's error object ("code", "message",
 * "field", "allowed") of a failed call, valid as long as @result. */
JsonObject  *fq_client_call_get_error_object   (GAsyncResult         *result);
/* The HTTP status of the answer of @result (0 if none arrived). */
guint        fq_client_call_get_status         (GAsyncResult         *result);
/* (transfer none) (nullable): the text of a successful answer, as it came:
 * the root was parsed from it. Valid as long as @result. */
GBytes      *fq_client_call_get_body           (GAsyncResult         *result);

/* Opens the WebSocket /events?since=@since with the bearer token. */
void         fq_client_connect_events_async    (FqClient             *self,
                                                gint64                since,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
SoupWebsocketConnection *
             fq_client_connect_events_finish   (FqClient             *self,
                                                GAsyncResult         *result,
                                                GError              **error);

/* TRUE if @error means "the server could not be reached or did not answer"
 * (so a write should wait in the outbox), FALSE for an answer of the server. */
gboolean     fq_client_error_is_network        (const GError         *error);

/* A sentence an operator understands, translated; never a raw code.
 * (transfer full) */
char        *fq_client_describe_error          (const GError         *error);

/* Signals:
 * "session-expired" (void): a call with a token was answered 401; the token
 *   has been forgotten and the session file deleted; the UI should ask for
 *   the password again. */

G_END_DECLS
