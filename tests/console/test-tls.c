/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Test"

#include "config.h"

#include <glib/gi18n.h>

#include "fq-client.h"
#include "fq-test-data-util.h"

/*
 * HTTPS and WSS with a certificate made for the test: openssl makes a
 * city's own CA and server certificates signed by it (one good, one for
 * another host, one expired); fengqiao-server serves with them
 * (--tls-cert, --tls-key). A console that trusts the CA file signs in,
 * calls the API and gets live events over WSS; one that does not is
 * refused, and fq_client_describe_error() says why in plain words: an
 * unknown authority, a certificate for another address, an expired one.
 */

typedef struct
{
  char          *dir;
  char          *session_dir;
  FqLocalServer *server;
} Fixture;

static char *
path_in (Fixture    *f,
         const char *name)
{
  return g_build_filename (f->dir, name, NULL);
}

static gboolean
openssl (Fixture     *f,
         const char  *command)
{
  g_autofree char *line = g_strdup_printf ("openssl %s", command);
  g_auto(GStrv) argv = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_true (g_shell_parse_argv (line, NULL, &argv, NULL));
  if (!g_spawn_sync (f->dir, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &err, &status, &error))
    {
      g_test_message ("openssl: %s", error->message);
      return FALSE;
    }
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_test_message ("openssl %s: %s", command, err);
      return FALSE;
    }
  return TRUE;
}

/* ca.pem/ca.key (the city's CA), server.pem (127.0.0.1 and localhost),
 * other.pem (other.example) and expired.pem, all keyed by server.key. */
static gboolean
make_certificates (Fixture *f)
{
  g_autofree char *ext = path_in (f, "ext.cnf");
  g_autofree char *other_ext = path_in (f, "other.cnf");
  const char *ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  g_autofree char *ca = g_strdup_printf ("req -x509 %s -keyout ca.key -out ca.pem -days 2 "
                                         "-subj /CN=Test-City-CA "
                                         "-addext basicConstraints=critical,CA:TRUE "
                                         "-addext keyUsage=critical,keyCertSign,cRLSign", ec);
  g_autofree char *csr = g_strdup_printf ("req %s -keyout server.key -out server.csr "
                                          "-subj /CN=127.0.0.1", ec);

  g_assert_true (g_file_set_contents (ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                           "basicConstraints=CA:FALSE\n"
                                           "extendedKeyUsage=serverAuth\n", -1, NULL));
  g_assert_true (g_file_set_contents (other_ext, "subjectAltName=DNS:other.example\n"
                                                 "basicConstraints=CA:FALSE\n"
                                                 "extendedKeyUsage=serverAuth\n", -1, NULL));

  return openssl (f, ca) && openssl (f, csr) &&
         openssl (f, "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 2 "
                     "-out server.pem -days 1 -extfile ext.cnf") &&
         openssl (f, "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 3 "
                     "-out other.pem -days 1 -extfile other.cnf") &&
         /* -days -1: it ended a day before it began, so it has expired. */
         openssl (f, "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 4 "
                     "-out expired.pem -days -1 -extfile ext.cnf");
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  f->dir = g_dir_make_tmp ("fq-test-tls-XXXXXX", NULL);
  f->session_dir = path_in (f, "sessions");
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  if (f->server != NULL)
    {
      fq_local_server_stop (f->server);
      g_clear_object (&f->server);
    }
  fq_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->session_dir);
}

static gboolean
prepare (Fixture *f)
{
  g_autofree char *openssl_path = g_find_program_in_path ("openssl");

  if (!fq_test_have_server ())
    return FALSE;
  if (openssl_path == NULL)
    {
      g_test_skip ("openssl is not installed");
      return FALSE;
    }
  g_assert_true (make_certificates (f));
  return TRUE;
}

/* A quiet demo server serving HTTPS with @cert (a file in the fixture). */
static void
start_tls_server (Fixture    *f,
                  const char *cert)
{
  g_autofree char *cert_path = path_in (f, cert);
  g_autofree char *key_path = path_in (f, "server.key");
  g_autofree char *data_dir = g_build_filename (f->dir, "server", NULL);
  const char *args[] = { "--demo-history-months", "0", "--demo-feed-rate", "0",
                         "--tls-cert", cert_path, "--tls-key", key_path, NULL };
  gboolean done = FALSE;

  f->server = fq_local_server_new (data_dir);
  fq_local_server_set_extra_args (f->server, args);
  fq_local_server_start_async (f->server, NULL, fq_test_server_started_cb, &done);
  g_assert_true (fq_test_wait (fq_test_flag_cond, &done, 120000));
  g_assert_true (g_str_has_prefix (fq_local_server_get_url (f->server), "https://"));
}

/* GET /health with @client; the error, if any. */
static GError *
health_error (FqClient *client)
{
  GError *error = NULL;
  g_autoptr(JsonNode) node = fq_test_call (client, "GET", "/health", NULL, NULL, &error);

  if (error == NULL)
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "status"),
                     ==, "ok");
  return error;
}

static void
assert_refused (FqClient                 *client,
                FqClientCertificateError  expected,
                const char               *words)
{
  g_autoptr(GError) error = health_error (client);
  g_autofree char *text = NULL;

  g_assert_error (error, FQ_CLIENT_CERTIFICATE_ERROR, (int)expected);
  g_assert_true (fq_client_error_is_network (error));
  text = fq_client_describe_error (error);
  g_test_message ("%s → %s", error->message, text);
  g_assert_nonnull (strstr (text, words));
}

typedef struct
{
  SoupWebsocketConnection *ws;
  GError                  *error;
  gboolean                 done;
  char                    *frame;
} EventsWait;

static void
events_connected_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  EventsWait *w = user_data;

  w->ws = fq_client_connect_events_finish (FQ_CLIENT (object), result, &w->error);
  w->done = TRUE;
}

static void
events_message_cb (SoupWebsocketConnection *ws,
                   int                      type,
                   GBytes                  *message,
                   EventsWait              *w)
{
  if (w->frame == NULL)
    w->frame = g_strndup (g_bytes_get_data (message, NULL), g_bytes_get_size (message));
}

static gboolean
frame_cond (gpointer data)
{
  return ((EventsWait *)data)->frame != NULL;
}

static void
test_trusted_ca (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(FqClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) me = NULL;
  g_autoptr(JsonNode) created = NULL;
  g_autofree char *ca = NULL;
  EventsWait w = { 0 };
  gint64 last_seq;

  if (!prepare (f))
    return;
  start_tls_server (f, "server.pem");
  ca = path_in (f, "ca.pem");

  /* Trusting the city's CA: HTTPS works end to end. */
  client = fq_client_new (fq_local_server_get_url (f->server));
  fq_client_set_session_dir (client, f->session_dir);
  g_assert_true (fq_client_set_ca_file (client, ca, &error));
  g_assert_no_error (error);
  g_assert_null (health_error (client));
  g_clear_object (&client);

  client = fq_client_new (fq_local_server_get_url (f->server));
  g_assert_true (fq_client_set_ca_file (client, ca, NULL));
  fq_client_set_session_dir (client, f->session_dir);
  {
    gboolean done = FALSE;

    fq_client_login_async (client, "operator", "demo", NULL, fq_test_login_cb, &done);
    g_assert_true (fq_test_wait (fq_test_flag_cond, &done, 30000));
  }
  me = fq_test_call (client, "GET", "/me", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (me), "username"), ==,
                   "operator");

  /* WSS: the live events arrive over TLS too. */
  {
    g_autoptr(JsonNode) health = fq_test_call (client, "GET", "/health", NULL, NULL, &error);

    g_assert_no_error (error);
    last_seq = json_object_get_int_member (json_node_get_object (health), "last_seq");
  }
  fq_client_connect_events_async (client, last_seq, NULL, events_connected_cb, &w);
  g_assert_true (fq_test_wait (fq_test_flag_cond, &w.done, 30000));
  g_assert_no_error (w.error);
  g_assert_nonnull (w.ws);
  g_signal_connect (w.ws, "message", G_CALLBACK (events_message_cb), &w);

  created = fq_test_call (client, "POST", "/incidents",
                          "{\"source\":\"12345\",\"grid\":\"420202005001\","
                          "\"summary\":\"TLS live event\"}", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (fq_test_wait (frame_cond, &w, 30000));
  g_assert_nonnull (strstr (w.frame, json_object_get_string_member (json_node_get_object (created),
                                                                   "id")));

  soup_websocket_connection_close (w.ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&w.ws);
  g_free (w.frame);
}

static void
test_unknown_ca (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(FqClient) client = NULL;
  g_autofree char *other_ca = NULL;
  EventsWait w = { 0 };

  if (!prepare (f))
    return;
  start_tls_server (f, "server.pem");

  /* The system's authorities only: the city's CA is unknown. */
  client = fq_client_new (fq_local_server_get_url (f->server));
  assert_refused (client, FQ_CLIENT_CERTIFICATE_UNKNOWN_CA, "authority");

  /* The WebSocket is refused the same way. */
  fq_client_connect_events_async (client, 0, NULL, events_connected_cb, &w);
  g_assert_true (fq_test_wait (fq_test_flag_cond, &w.done, 30000));
  g_assert_null (w.ws);
  g_assert_error (w.error, FQ_CLIENT_CERTIFICATE_ERROR, FQ_CLIENT_CERTIFICATE_UNKNOWN_CA);
  g_clear_error (&w.error);
  g_clear_object (&client);

  /* Trusting some other CA does not help. */
  other_ca = path_in (f, "other-ca.pem");
  g_assert_true (openssl (f, "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                             "-nodes -keyout other-ca.key -out other-ca.pem -days 2 "
                             "-subj /CN=Another-CA"));
  client = fq_client_new (fq_local_server_get_url (f->server));
  g_assert_true (fq_client_set_ca_file (client, other_ca, NULL));
  assert_refused (client, FQ_CLIENT_CERTIFICATE_UNKNOWN_CA, "authority");
}

static void
test_wrong_host (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(FqClient) client = NULL;
  g_autofree char *ca = NULL;

  if (!prepare (f))
    return;
  start_tls_server (f, "other.pem");
  ca = path_in (f, "ca.pem");

  /* Signed by the trusted CA, but for other.example, not 127.0.0.1. */
  client = fq_client_new (fq_local_server_get_url (f->server));
  g_assert_true (fq_client_set_ca_file (client, ca, NULL));
  assert_refused (client, FQ_CLIENT_CERTIFICATE_BAD_IDENTITY, "address");
}

static void
test_expired (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(FqClient) client = NULL;
  g_autofree char *ca = NULL;

  if (!prepare (f))
    return;
  start_tls_server (f, "expired.pem");
  ca = path_in (f, "ca.pem");

  client = fq_client_new (fq_local_server_get_url (f->server));
  g_assert_true (fq_client_set_ca_file (client, ca, NULL));
  assert_refused (client, FQ_CLIENT_CERTIFICATE_EXPIRED, "expired");
}

static void
test_bad_ca_file (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(FqClient) client = fq_client_new ("https://127.0.0.1:1");
  g_autoptr(GError) error = NULL;
  g_autofree char *bad = path_in (f, "not-a-certificate.pem");
  g_autofree char *text = NULL;

  g_assert_true (g_file_set_contents (bad, "hello\n", -1, NULL));
  g_assert_false (fq_client_set_ca_file (client, bad, &error));
  g_assert_error (error, FQ_CLIENT_CERTIFICATE_ERROR, FQ_CLIENT_CERTIFICATE_CA_FILE);
  g_clear_error (&error);

  /* Every call then says so, without touching the network. */
  error = health_error (client);
  g_assert_error (error, FQ_CLIENT_CERTIFICATE_ERROR, FQ_CLIENT_CERTIFICATE_CA_FILE);
  text = fq_client_describe_error (error);
  g_assert_nonnull (strstr (text, "authority file"));
  g_clear_error (&error);

  /* Forgetting the file clears the error. */
  g_assert_true (fq_client_set_ca_file (client, NULL, NULL));
  error = health_error (client);
  g_assert_false (g_error_matches (error, FQ_CLIENT_CERTIFICATE_ERROR,
                                   FQ_CLIENT_CERTIFICATE_CA_FILE));
}

int
main (int   argc,
      char *argv[])
{
  /* Shared with the other data-layer tests; this one starts its own. */
  (void)fq_test_start_server;

  /* The sentences checked are the English source texts. */
  g_setenv ("LANGUAGE", "C", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/tls/trusted-ca", Fixture, NULL, setup, test_trusted_ca, teardown);
  g_test_add ("/tls/unknown-ca", Fixture, NULL, setup, test_unknown_ca, teardown);
  g_test_add ("/tls/wrong-host", Fixture, NULL, setup, test_wrong_host, teardown);
  g_test_add ("/tls/expired", Fixture, NULL, setup, test_expired, teardown);
  g_test_add ("/tls/bad-ca-file", Fixture, NULL, setup, test_bad_ca_file, teardown);

  return g_test_run ();
}
