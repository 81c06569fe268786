/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "fq-test-server.h"

struct _FqTestServer
{
  char        *base_dir;   /* owned temporary directory */
  char        *data_dir;
  char        *stdout_path;
  GStrv        args;
  char        *stdin_text;
  GSubprocess *process;
  char        *url;
  double       start_seconds;
  int          exit_status; /* of the last stop; -1: a signal ended it */
};

struct _FqTestClient
{
  SoupSession *session;
  char        *base_url;
  char        *token;
  gboolean     chunked;
};

/* ---- server ---- */

static void
child_setup (gpointer user_data)
{
  /* A test that aborts must not leave its server behind. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

void
fq_test_require_server_binary (void)
{
  const char *binary = g_getenv ("FQ_SERVER_BINARY");

  if (binary == NULL || !g_file_test (binary, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_print ("1..0 # SKIP server binary not built (FQ_SERVER_BINARY=%s)\n",
               binary ? binary : "(unset)");
      exit (77);
    }
}

FqTestServer *
fq_test_server_new (const char * const *args)
{
  g_autoptr(GError) error = NULL;
  FqTestServer *self = g_new0 (FqTestServer, 1);

  self->base_dir = g_dir_make_tmp ("fq-server-test-XXXXXX", &error);
  g_assert_no_error (error);
  self->data_dir = g_build_filename (self->base_dir, "data", NULL);
  g_assert_cmpint (g_mkdir (self->data_dir, 0700), ==, 0);
  self->stdout_path = g_build_filename (self->base_dir, "stdout.log", NULL);
  self->args = g_strdupv ((char **)args);

  return self;
}

FqTestServer *
fq_test_server_new_demo (void)
{
  static const char * const args[] = {
    "--demo", "--demo-history-months", "0", "--demo-feed-rate", "0", NULL
  };
  g_autoptr(GError) error = NULL;
  FqTestServer *self;

  fq_test_require_server_binary ();
  self = fq_test_server_new (args);
  if (!fq_test_server_start (self, 60, &error))
    g_error ("could not start the demo server: %s", error->message);

  return self;
}

void
fq_test_server_set_stdin (FqTestServer *self,
                          const char   *text)
{
  g_free (self->stdin_text);
  self->stdin_text = g_strdup (text);
}

static char *
read_listening_line (const char *path)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;
  if (strchr (contents, '\n') == NULL)
    return NULL;

  lines = g_strsplit (contents, "\n", 2);
  if (g_str_has_prefix (lines[0], "LISTENING "))
    return g_strdup (g_strstrip (lines[0] + strlen ("LISTENING ")));

  return g_strdup ("");
}

gboolean
fq_test_server_start (FqTestServer  *self,
                      guint          timeout_seconds,
                      GError       **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *binary = g_getenv ("FQ_SERVER_BINARY");
  gint64 start = g_get_monotonic_time ();
  gint64 deadline = start + (gint64)timeout_seconds * G_USEC_PER_SEC;
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_NONE;

  g_return_val_if_fail (self->process == NULL, FALSE);

  if (binary == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "FQ_SERVER_BINARY is not set");
      return FALSE;
    }

  g_ptr_array_add (argv, (char *)binary);
  g_ptr_array_add (argv, (char *)"--data");
  g_ptr_array_add (argv, self->data_dir);
  g_ptr_array_add (argv, (char *)"--listen");
  g_ptr_array_add (argv, (char *)"127.0.0.1:0");
  for (guint i = 0; self->args != NULL && self->args[i] != NULL; i++)
    g_ptr_array_add (argv, self->args[i]);
  g_ptr_array_add (argv, NULL);

  g_unlink (self->stdout_path);

  if (self->stdin_text != NULL)
    flags |= G_SUBPROCESS_FLAGS_STDIN_PIPE;
  launcher = g_subprocess_launcher_new (flags);
  g_subprocess_launcher_set_stdout_file_path (launcher, self->stdout_path);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  /* The server runs with the tests' environment, but its own warnings
   * should be reported in its log rather than kill it mid-test. */
  g_subprocess_launcher_unsetenv (launcher, "MALLOC_CHECK_");

  self->process = g_subprocess_launcher_spawnv (launcher, (const char * const *)argv->pdata, error);
  if (self->process == NULL)
    return FALSE;

  if (self->stdin_text != NULL)
    {
      GOutputStream *in = g_subprocess_get_stdin_pipe (self->process);

      g_output_stream_write_all (in, self->stdin_text, strlen (self->stdin_text), NULL, NULL, NULL);
      g_output_stream_close (in, NULL, NULL);
    }

  while (g_get_monotonic_time () < deadline)
    {
      g_autofree char *url = read_listening_line (self->stdout_path);

      if (url != NULL && url[0] == '\0')
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "the server's first line is not LISTENING");
          fq_test_server_kill (self);
          return FALSE;
        }
      if (url != NULL)
        {
          g_free (self->url);
          self->url = g_steal_pointer (&url);
          self->start_seconds = (g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC;
          return TRUE;
        }
      if (g_subprocess_get_identifier (self->process) == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "the server exited before listening");
          g_clear_object (&self->process);
          return FALSE;
        }
      g_usleep (10 * 1000);
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               "the server did not print LISTENING within %u s", timeout_seconds);
  fq_test_server_kill (self);
  return FALSE;
}

void
fq_test_server_kill (FqTestServer *self)
{
  if (self->process == NULL)
    return;

  g_subprocess_send_signal (self->process, SIGKILL);
  g_subprocess_wait (self->process, NULL, NULL);
  g_clear_object (&self->process);
}

gboolean
fq_test_server_stop (FqTestServer *self)
{
  gint64 deadline;

  if (self->process == NULL)
    return TRUE;

  g_subprocess_send_signal (self->process, SIGTERM);
  deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  while (g_subprocess_get_identifier (self->process) != NULL
         && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);

  if (g_subprocess_get_identifier (self->process) != NULL)
    {
      fq_test_server_kill (self);
      return FALSE;
    }

  g_subprocess_wait (self->process, NULL, NULL);
  self->exit_status = g_subprocess_get_if_exited (self->process) ? g_subprocess_get_exit_status (self->process) : -1;
  g_clear_object (&self->process);
  return TRUE;
}

int
fq_test_server_get_exit_status (FqTestServer *self)
{
  return self->exit_status;
}

gboolean
fq_test_server_is_running (FqTestServer *self)
{
  return self->process != NULL && g_subprocess_get_identifier (self->process) != NULL;
}

const char *
fq_test_server_get_url (FqTestServer *self)
{
  return self->url;
}

const char *
fq_test_server_get_data_dir (FqTestServer *self)
{
  return self->data_dir;
}

typedef struct
{
  gboolean  done;
  gboolean  timed_out;
  char     *out;
  char     *err;
  GError   *error;
} CommandRun;

static gboolean
command_timeout_cb (gpointer user_data)
{
  ((CommandRun *)user_data)->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static void
command_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CommandRun *run = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &run->out, &run->err,
                                        &run->error);
  run->done = TRUE;
}

int
fq_test_run_server_command (const char         *data_dir,
                            const char * const *args,
                            const char         *stdin_text,
                            guint               timeout_seconds,
                            char              **out,
                            char              **err)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSource) timer = g_timeout_source_new_seconds (timeout_seconds);
  CommandRun run = { FALSE, FALSE, NULL, NULL, NULL };

  g_ptr_array_add (argv, (gpointer)g_getenv ("FQ_SERVER_BINARY"));
  g_ptr_array_add (argv, (gpointer)"--data");
  g_ptr_array_add (argv, (gpointer)data_dir);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer)args[i]);
  g_ptr_array_add (argv, NULL);

  proc = g_subprocess_newv ((const char * const *)argv->pdata,
                            G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                            G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);

  /* Both pipes are read while it runs, on a context of its own. */
  g_main_context_push_thread_default (context);
  g_source_set_callback (timer, command_timeout_cb, &run, NULL);
  g_source_attach (timer, context);
  g_subprocess_communicate_utf8_async (proc, stdin_text != NULL ? stdin_text : "", NULL,
                                       command_done_cb, &run);
  while (!run.done && !run.timed_out)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timer);
  if (!run.done)
    {
      g_subprocess_force_exit (proc);
      while (!run.done)
        g_main_context_iteration (context, TRUE);
      g_main_context_pop_thread_default (context);
      g_error ("%s %s did not end within %u s", (char *)argv->pdata[0], args[0], timeout_seconds);
    }
  g_main_context_pop_thread_default (context);
  g_assert_no_error (run.error);
  g_subprocess_wait (proc, NULL, NULL);

  if (out != NULL)
    *out = g_steal_pointer (&run.out);
  if (err != NULL)
    *err = g_steal_pointer (&run.err);
  g_free (run.out);
  g_free (run.err);
  return g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc) : -1;
}

GPid
fq_test_server_get_pid (FqTestServer *self)
{
  const char *id;

  if (self->process == NULL || (id = g_subprocess_get_identifier (self->process)) == NULL)
    return 0;

  return (GPid)g_ascii_strtoll (id, NULL, 10);
}

double
fq_test_server_get_start_seconds (FqTestServer *self)
{
  return self->start_seconds;
}

guint64
fq_test_server_get_rss_kib (FqTestServer *self)
{
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  const char *line;
  GPid pid = fq_test_server_get_pid (self);

  if (pid == 0)
    return 0;

  path = g_strdup_printf ("/proc/%d/status", (int)pid);
  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return 0;
  line = strstr (contents, "VmRSS:");
  if (line == NULL)
    return 0;

  return g_ascii_strtoull (line + strlen ("VmRSS:"), NULL, 10);
}

guint
fq_test_server_count_fds (FqTestServer *self)
{
  g_autofree char *path = NULL;
  g_autoptr(GDir) dir = NULL;
  GPid pid = fq_test_server_get_pid (self);
  guint n = 0;

  if (pid == 0)
    return 0;
  path = g_strdup_printf ("/proc/%d/fd", (int)pid);
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static void
find_databases (const char *dir,
                GPtrArray  *found,
                guint       depth)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL || depth > 3)
    return;

  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        find_databases (path, found, depth + 1);
      else if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          FILE *f = fopen (path, "rb");
          char magic[16] = { 0 };

          if (f == NULL)
            continue;
          if (fread (magic, 1, sizeof magic, f) == sizeof magic
              && memcmp (magic, "SQLite format 3", 16) == 0)
            g_ptr_array_add (found, g_steal_pointer (&path));
          fclose (f);
        }
    }
}

GStrv
fq_test_server_find_databases (FqTestServer *self)
{
  GPtrArray *found = g_ptr_array_new ();

  find_databases (self->data_dir, found, 0);
  g_ptr_array_add (found, NULL);

  return (GStrv)g_ptr_array_free (found, FALSE);
}

void
fq_test_remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr(GDir) d = g_dir_open (path, 0, NULL);
      const char *name;

      while (d != NULL && (name = g_dir_read_name (d)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          fq_test_remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

void
fq_test_server_free (FqTestServer *self)
{
  if (self == NULL)
    return;

  fq_test_server_stop (self);
  if (self->base_dir != NULL && g_getenv ("FQ_TEST_KEEP_DATA") == NULL)
    fq_test_remove_tree (self->base_dir);

  g_free (self->base_dir);
  g_free (self->data_dir);
  g_free (self->stdout_path);
  g_free (self->url);
  g_free (self->stdin_text);
  g_strfreev (self->args);
  g_free (self);
}

/* ---- client ---- */

FqTestClient *
fq_test_client_new (const char *base_url)
{
  FqTestClient *self = g_new0 (FqTestClient, 1);

  g_return_val_if_fail (base_url != NULL, NULL);

  self->base_url = g_strdup (base_url);
  self->session = soup_session_new_with_options ("timeout", 60,
                                                 "idle-timeout", 60,
                                                 "max-conns", 64,
                                                 "max-conns-per-host", 64,
                                                 NULL);
  return self;
}

void
fq_test_client_free (FqTestClient *self)
{
  if (self == NULL)
    return;

  g_clear_object (&self->session);
  g_free (self->base_url);
  g_free (self->token);
  g_free (self);
}

void
fq_test_client_set_token (FqTestClient *self,
                          const char   *token)
{
  g_free (self->token);
  self->token = g_strdup (token);
}

void
fq_test_client_set_chunked (FqTestClient *self,
                            gboolean      chunked)
{
  self->chunked = chunked;
}

const char *
fq_test_client_get_token (FqTestClient *self)
{
  return self->token;
}

SoupSession *
fq_test_client_get_session (FqTestClient *self)
{
  return self->session;
}

const char *
fq_test_client_get_url (FqTestClient *self)
{
  return self->base_url;
}

FqTestResponse *
fq_test_client_request (FqTestClient *self,
                        const char   *method,
                        const char   *path,
                        const char   *content_type,
                        const void   *body,
                        gssize        body_length,
                        const char   *idempotency_key)
{
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *uri = NULL;
  FqTestResponse *resp = g_new0 (FqTestResponse, 1);
  SoupMessageHeaders *headers;
  const char *ct;
  gsize len = 0;
  const char *data;

  resp->method = g_strdup (method);
  resp->path = g_strdup (path);

  if (g_str_has_prefix (path, "/api") || g_str_has_prefix (path, "/open311"))
    uri = g_strconcat (self->base_url, path, NULL);
  else
    uri = g_strconcat (self->base_url, "/api/v1", path, NULL);

  msg = soup_message_new (method, uri);
  if (msg == NULL)
    {
      resp->transport_error = g_strdup_printf ("cannot parse URI %s", uri);
      resp->text = g_strdup ("");
      return resp;
    }

  /* libsoup sends a non-idempotent request (POST) on a new connection
   * unless told otherwise; the tests and benchmarks want keep-alive, as the
   * console has it, and never rely on a retry. */
  soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);

  headers = soup_message_get_request_headers (msg);
  if (self->token != NULL)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", self->token);

      soup_message_headers_replace (headers, "Authorization", auth);
    }
  if (idempotency_key != NULL)
    soup_message_headers_replace (headers, "Idempotency-Key", idempotency_key);

  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, body_length < 0 ? strlen (body) : (gsize)body_length);

      if (self->chunked)
        {
          /* A length of -1: libsoup sends the body chunked. */
          g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (bytes);

          soup_message_set_request_body (msg, content_type ? content_type : "application/json", stream, -1);
        }
      else
        soup_message_set_request_body_from_bytes (msg, content_type ? content_type : "application/json", bytes);
    }

  resp->body = soup_session_send_and_read (self->session, msg, NULL, &error);
  resp->status = soup_message_get_status (msg);
  if (resp->body == NULL)
    {
      resp->status = 0;
      resp->transport_error = g_strdup (error ? error->message : "no body");
      resp->body = g_bytes_new (NULL, 0);
    }

  data = g_bytes_get_data (resp->body, &len);
  resp->text = g_strndup (data ? data : "", len);

  ct = soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);
  resp->content_type = g_strdup (ct);

  if (len > 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new_immutable ();

      if (g_utf8_validate (resp->text, len, NULL)
          && json_parser_load_from_data (parser, resp->text, len, NULL))
        resp->root = json_parser_steal_root (parser);
    }

  return resp;
}

FqTestResponse *
fq_test_get (FqTestClient *self,
             const char   *path_format,
             ...)
{
  g_autofree char *path = NULL;
  va_list args;

  va_start (args, path_format);
  path = g_strdup_vprintf (path_format, args);
  va_end (args);

  return fq_test_client_request (self, "GET", path, NULL, NULL, 0, NULL);
}

FqTestResponse *
fq_test_post (FqTestClient *self,
              const char   *path,
              const char   *json)
{
  return fq_test_client_request (self, "POST", path, NULL, json, -1, NULL);
}

FqTestResponse *
fq_test_postf (FqTestClient *self,
               const char   *path,
               const char   *format,
               ...)
{
  g_autofree char *body = NULL;
  va_list args;

  va_start (args, format);
  body = fq_test_jsonv (format, args);
  va_end (args);

  return fq_test_post (self, path, body);
}

FqTestResponse *
fq_test_client_login (FqTestClient *self,
                      const char   *username,
                      const char   *password)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *body = NULL;
  FqTestResponse *resp;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, username);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  body = json_to_string (root, FALSE);

  resp = fq_test_post (self, "/auth/login", body);
  if (resp->status == 200)
    fq_test_client_set_token (self, fq_test_obj_str (fq_test_response_object (resp), "token"));

  return resp;
}

FqTestClient *
fq_test_client_new_login (const char *base_url,
                          const char *username,
                          const char *password)
{
  FqTestClient *self = fq_test_client_new (base_url);
  g_autoptr(FqTestResponse) resp = fq_test_client_login (self, username, password);

  fq_test_assert_status (resp, 200);
  g_assert_nonnull (self->token);

  return self;
}

void
fq_test_response_free (FqTestResponse *resp)
{
  if (resp == NULL)
    return;

  g_free (resp->method);
  g_free (resp->path);
  g_free (resp->transport_error);
  g_clear_pointer (&resp->body, g_bytes_unref);
  g_free (resp->text);
  g_free (resp->content_type);
  g_clear_pointer (&resp->root, json_node_unref);
  g_free (resp);
}

JsonObject *
fq_test_response_object (FqTestResponse *resp)
{
  if (resp->root == NULL || !JSON_NODE_HOLDS_OBJECT (resp->root))
    {
      g_clear_pointer (&resp->root, json_node_unref);
      resp->root = json_node_init_object (json_node_alloc (), json_object_new ());
      /* Keep the marker that there was no object: an empty object. */
      json_object_unref (json_node_get_object (resp->root));
    }

  return json_node_get_object (resp->root);
}

const char *
fq_test_response_error_code (FqTestResponse *resp)
{
  JsonObject *error = fq_test_obj_obj (fq_test_response_object (resp), "error");

  return error ? fq_test_obj_str (error, "code") : NULL;
}

const char *
fq_test_response_error_field (FqTestResponse *resp)
{
  JsonObject *error = fq_test_obj_obj (fq_test_response_object (resp), "error");

  return error ? fq_test_obj_str (error, "field") : NULL;
}

char *
fq_test_jsonv (const char *format,
               va_list     args)
{
  g_autofree char *fmt = g_strdup (format);

  g_strdelimit (fmt, "'", '"');
  /* @format, checked by the callers' G_GNUC_PRINTF, with its quotes
   * changed: the same conversions. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  return g_strdup_vprintf (fmt, args);
#pragma GCC diagnostic pop
}

char *
fq_test_jsonf (const char *format,
               ...)
{
  char *body;
  va_list args;

  va_start (args, format);
  body = fq_test_jsonv (format, args);
  va_end (args);

  return body;
}

char *
fq_test_json_quote (const char *text)
{
  g_autoptr(JsonNode) node = json_node_init_string (json_node_alloc (), text);

  return json_to_string (node, FALSE);
}

static JsonNode *
member (JsonObject *object,
        const char *name)
{
  if (object == NULL || !json_object_has_member (object, name))
    return NULL;

  return json_object_get_member (object, name);
}

const char *
fq_test_obj_str (JsonObject *object,
                 const char *name)
{
  JsonNode *node = member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

gint64
fq_test_obj_int (JsonObject *object,
                 const char *name)
{
  JsonNode *node = member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return 0;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  if (json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return (gint64)json_node_get_double (node);

  return 0;
}

gboolean
fq_test_obj_bool (JsonObject *object,
                  const char *name)
{
  JsonNode *node = member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_BOOLEAN
         && json_node_get_boolean (node);
}

gboolean
fq_test_obj_is_null (JsonObject *object,
                     const char *name)
{
  JsonNode *node = member (object, name);

  return node != NULL && JSON_NODE_HOLDS_NULL (node);
}

JsonObject *
fq_test_obj_obj (JsonObject *object,
                 const char *name)
{
  JsonNode *node = member (object, name);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

JsonArray *
fq_test_obj_array (JsonObject *object,
                   const char *name)
{
  JsonNode *node = member (object, name);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

gboolean
fq_test_array_has_string (JsonArray  *array,
                          const char *value)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
          && g_strcmp0 (json_node_get_string (node), value) == 0)
        return TRUE;
    }

  return FALSE;
}

char *
fq_test_time_from_now (gint64 offset_seconds)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) then = g_date_time_add_seconds (now, (double)offset_seconds);

  return g_date_time_format (then, "%Y-%m-%dT%H:%M:%SZ");
}

char *
fq_test_unique (const char *prefix)
{
  static gint counter;
  static gsize salt;

  if (g_once_init_enter (&salt))
    g_once_init_leave (&salt, (gsize)g_random_int_range (1, 1 << 30));

  return g_strdup_printf ("%s%x%x", prefix ? prefix : "", (guint)salt,
                          (guint)g_atomic_int_add (&counter, 1));
}

void
fq_test_check_status (FqTestResponse *resp,
                      guint           expected,
                      const char     *file,
                      int             line,
                      const char     *func)
{
  g_autofree char *msg = NULL;

  if (resp->status == expected)
    return;

  msg = g_strdup_printf ("%s %s: expected status %u, got %u%s%s: %.800s",
                         resp->method, resp->path, expected, resp->status,
                         resp->transport_error ? " " : "",
                         resp->transport_error ? resp->transport_error : "",
                         resp->text);
  g_assertion_message (G_LOG_DOMAIN, file, line, func, msg);
}

void
fq_test_check_error (FqTestResponse *resp,
                     guint           expected_status,
                     const char     *expected_code,
                     const char     *file,
                     int             line,
                     const char     *func)
{
  g_autofree char *msg = NULL;
  JsonObject *error;

  fq_test_check_status (resp, expected_status, file, line, func);

  error = fq_test_obj_obj (fq_test_response_object (resp), "error");
  if (error != NULL
      && g_strcmp0 (fq_test_obj_str (error, "code"), expected_code) == 0
      && fq_test_obj_str (error, "message") != NULL)
    return;

  msg = g_strdup_printf ("%s %s: expected error object with code \"%s\" and a message, got: %.800s",
                         resp->method, resp->path, expected_code, resp->text);
  g_assertion_message (G_LOG_DOMAIN, file, line, func, msg);
}

/* ---- world ---- */

static FqTestWorld *world;

FqTestWorld *
fq_test_world_get (void)
{
  const char *url;

  if (world != NULL)
    return world;

  world = g_new0 (FqTestWorld, 1);
  world->server = fq_test_server_new_demo ();
  url = fq_test_server_get_url (world->server);
  world->admin = fq_test_client_new_login (url, "admin", FQ_TEST_DEMO_PASSWORD);
  world->operator = fq_test_client_new_login (url, "operator", FQ_TEST_DEMO_PASSWORD);
  world->coordinator = fq_test_client_new_login (url, "coordinator", FQ_TEST_DEMO_PASSWORD);
  world->leader = fq_test_client_new_login (url, "leader", FQ_TEST_DEMO_PASSWORD);
  world->unit = fq_test_client_new_login (url, "unit", FQ_TEST_DEMO_PASSWORD);
  world->grid = fq_test_client_new_login (url, "grid", FQ_TEST_DEMO_PASSWORD);
  world->anonymous = fq_test_client_new (url);

  return world;
}

void
fq_test_world_free (void)
{
  if (world == NULL)
    return;

  fq_test_client_free (world->admin);
  fq_test_client_free (world->operator);
  fq_test_client_free (world->coordinator);
  fq_test_client_free (world->leader);
  fq_test_client_free (world->unit);
  fq_test_client_free (world->grid);
  fq_test_client_free (world->anonymous);
  fq_test_server_free (world->server);
  g_clear_pointer (&world, g_free);
}

FqTestClient *
fq_test_world_client_for_role (FqTestWorld *w,
                               const char  *role)
{
  if (g_str_equal (role, "admin"))
    return w->admin;
  if (g_str_equal (role, "operator"))
    return w->operator;
  if (g_str_equal (role, "coordinator"))
    return w->coordinator;
  if (g_str_equal (role, "leader"))
    return w->leader;
  if (g_str_equal (role, "unit"))
    return w->unit;
  if (g_str_equal (role, "grid_worker") || g_str_equal (role, "grid"))
    return w->grid;

  g_assert_not_reached ();
}

/* ---- domain helpers ---- */

static JsonNode *categories_cache;
static JsonNode *units_cache;

static JsonArray *
get_categories (FqTestClient *client)
{
  if (categories_cache == NULL)
    {
      g_autoptr(FqTestResponse) resp = fq_test_get (client, "/categories");

      fq_test_assert_status (resp, 200);
      g_assert_nonnull (fq_test_obj_array (fq_test_response_object (resp), "categories"));
      categories_cache = json_node_ref (resp->root);
    }

  return json_object_get_array_member (json_node_get_object (categories_cache), "categories");
}

JsonObject *
fq_test_pick_category (FqTestClient *client,
                       gboolean      police_only,
                       guint         nth)
{
  JsonArray *all = get_categories (client);
  g_autoptr(GPtrArray) matching = g_ptr_array_new ();

  for (guint i = 0; i < json_array_get_length (all); i++)
    {
      JsonObject *cat = json_array_get_object_element (all, i);

      if (!!fq_test_obj_bool (cat, "police_only") == !!police_only)
        g_ptr_array_add (matching, cat);
    }

  g_assert_cmpuint (matching->len, >, 0);
  return g_ptr_array_index (matching, nth % matching->len);
}

JsonObject *
fq_test_find_category_by_lead (FqTestClient *client,
                               const char   *kind,
                               guint         nth)
{
  JsonArray *all = get_categories (client);

  for (guint i = 0; i < json_array_get_length (all); i++)
    {
      JsonObject *cat = json_array_get_object_element (all, i);

      if (!fq_test_obj_bool (cat, "police_only")
          && g_strcmp0 (fq_test_obj_str (cat, "lead_unit_kind"), kind) == 0
          && nth-- == 0)
        return cat;
    }

  return NULL;
}

char *
fq_test_pick_unit (FqTestClient *client,
                   const char   *scope_prefix,
                   const char   *not_this)
{
  JsonArray *units;

  if (units_cache == NULL)
    {
      g_autoptr(FqTestResponse) resp = fq_test_get (client, "/units");

      fq_test_assert_status (resp, 200);
      g_assert_nonnull (fq_test_obj_array (fq_test_response_object (resp), "units"));
      units_cache = json_node_ref (resp->root);
    }

  units = json_object_get_array_member (json_node_get_object (units_cache), "units");
  for (guint i = 0; i < json_array_get_length (units); i++)
    {
      JsonObject *unit = json_array_get_object_element (units, i);
      const char *id = fq_test_obj_str (unit, "id");
      const char *grid = fq_test_obj_str (unit, "grid");

      if (id != NULL && grid != NULL && g_str_has_prefix (grid, scope_prefix)
          && g_strcmp0 (id, not_this) != 0)
        return g_strdup (id);
    }

  return NULL;
}

JsonObject *
fq_test_create_incident (FqTestClient *client,
                         const char   *grid,
                         const char   *extra_members)
{
  g_autofree char *body = NULL;
  g_autoptr(FqTestResponse) resp = NULL;
  JsonObject *incident;

  /* A summary unlike any other, so that test incidents are no repeat
   * calls of each other. */
  body = g_strdup_printf ("{\"source\":\"110\",\"grid\":\"%s\",\"summary\":\"测试 %08x%08x\"%s%s}",
                          grid, g_random_int (), g_random_int (),
                          extra_members ? "," : "", extra_members ? extra_members : "");
  resp = fq_test_post (client, "/incidents", body);
  fq_test_assert_status (resp, 201);
  incident = fq_test_response_object (resp);
  g_assert_nonnull (fq_test_obj_str (incident, "id"));

  return json_object_ref (incident);
}

JsonObject *
fq_test_create_ticket (FqTestClient *reporter,
                       FqTestClient *triager,
                       const char   *grid,
                       const char   *category,
                       const char   *lead_unit)
{
  g_autofree char *extra = g_strdup_printf ("\"category\":\"%s\"", category);
  g_autoptr(JsonObject) incident = fq_test_create_incident (reporter, grid, extra);
  g_autoptr(FqTestResponse) resp = NULL;
  g_autofree char *lead = NULL;
  g_autofree char *path = NULL;
  JsonObject *ticket;

  if (lead_unit != NULL)
    lead = g_strdup_printf (",\"lead_unit\":\"%s\"", lead_unit);

  path = g_strdup_printf ("/incidents/%s/triage", fq_test_obj_str (incident, "id"));
  resp = fq_test_postf (triager, path,
                        "{'decision':'divert','category':'%s','grid':'%s','rev':%" G_GINT64_FORMAT ",'note':'divert for test'%s}",
                        category, grid, fq_test_obj_int (incident, "rev"), lead ? lead : "");
  fq_test_assert_status (resp, 200);
  ticket = fq_test_obj_obj (fq_test_response_object (resp), "ticket");
  g_assert_nonnull (ticket);
  g_assert_cmpstr (fq_test_obj_str (ticket, "state"), ==, "dispatched");

  return json_object_ref (ticket);
}

FqTestClient *
fq_test_create_user (FqTestClient  *admin,
                     const char    *role,
                     const char    *scope,
                     const char    *unit,
                     char         **out_username)
{
  g_autofree char *username = fq_test_unique ("u");
  g_autofree char *unit_member = NULL;
  g_autoptr(FqTestResponse) resp = NULL;
  g_autoptr(FqTestResponse) login = NULL;
  FqTestClient *client;

  if (unit != NULL)
    unit_member = g_strdup_printf (",\"unit\":\"%s\"", unit);

  resp = fq_test_postf (admin, "/users",
                        "{'username':'%s','display_name':'测试用户 %s','password':'password-%s',"
                        "'role':'%s','scope':'%s'%s}",
                        username, username, username, role, scope, unit_member ? unit_member : "");
  fq_test_assert_status (resp, 201);
  g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (resp), "username"), ==, username);

  client = fq_test_client_new (fq_test_client_get_url (admin));
  {
    g_autofree char *password = g_strdup_printf ("password-%s", username);

    login = fq_test_client_login (client, username, password);
  }
  fq_test_assert_status (login, 200);

  if (out_username != NULL)
    *out_username = g_steal_pointer (&username);

  return client;
}

gint64
fq_test_last_seq (FqTestClient *client)
{
  g_autoptr(FqTestResponse) resp = fq_test_get (client, "/health");

  fq_test_assert_status (resp, 200);
  return fq_test_obj_int (fq_test_response_object (resp), "last_seq");
}

JsonArray *
fq_test_list_items (FqTestResponse *resp)
{
  JsonObject *root = fq_test_response_object (resp);
  g_autoptr(GList) members = json_object_get_members (root);

  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (root, l->data);

      if (JSON_NODE_HOLDS_ARRAY (node))
        return json_node_get_array (node);
    }

  return NULL;
}

guint
fq_test_count_audit (FqTestClient *admin,
                     const char   *needle)
{
  g_autofree char *cursor = NULL;
  guint count = 0;

  for (guint page = 0; page < 1000; page++)
    {
      g_autoptr(FqTestResponse) resp = NULL;
      JsonArray *rows;
      const char *next;

      if (cursor != NULL)
        resp = fq_test_get (admin, "/audit?limit=1000&cursor=%s", cursor);
      else
        resp = fq_test_get (admin, "/audit?limit=1000");
      fq_test_assert_status (resp, 200);

      rows = fq_test_list_items (resp);
      g_assert_nonnull (rows);
      for (guint i = 0; i < json_array_get_length (rows); i++)
        {
          g_autofree char *text = json_to_string (json_array_get_element (rows, i), FALSE);

          if (strstr (text, needle) != NULL)
            count++;
        }

      next = fq_test_obj_str (fq_test_response_object (resp), "next_cursor");
      if (next == NULL)
        break;
      g_free (cursor);
      cursor = g_uri_escape_string (next, NULL, TRUE);
    }

  return count;
}
