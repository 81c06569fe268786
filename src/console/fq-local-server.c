/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Data"

#include "config.h"

#include <errno.h>
#include <signal.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <string.h>
#include <glib/gi18n.h>

#include "fq-error.h"
#include "fq-local-server.h"

#define START_TIMEOUT_S 120
#define STOP_TIMEOUT_MS 10000

struct _FqLocalServer
{
  GObject           parent_instance;

  char             *data_dir;
  char             *listen;
  GStrv             extra_args;
  GSubprocess      *process;
  GDataInputStream *stdout_stream;
  GCancellable     *cancellable;
  GTask            *start_task;    /* while waiting for LISTENING */
  char             *url;
  guint             timeout_id;
  guint             demo : 1;
  guint             trying_last_port : 1;
};

enum {
  PROP_0,
  PROP_URL,
  PROP_DATA_DIR,
  PROP_RUNNING,
  N_PROPS
};

enum {
  EXITED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FqLocalServer, fq_local_server, G_TYPE_OBJECT)

static void read_line (FqLocalServer *self);
static gboolean spawn (FqLocalServer  *self,
                       const char     *listen,
                       GError        **error);

/* A demo server keeps its port from one start to the next, so the console
 * finds its session and its cache again (both are per server address). */
static char *
port_file (FqLocalServer *self)
{
  return g_build_filename (self->data_dir, "console-port", NULL);
}

static void
remember_port (FqLocalServer *self)
{
  g_autoptr(GUri) uri = g_uri_parse (self->url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *path = port_file (self);
  g_autofree char *text = NULL;

  if (uri == NULL || g_uri_get_port (uri) <= 0)
    return;
  text = g_strdup_printf ("%d", g_uri_get_port (uri));
  g_file_set_contents (path, text, -1, NULL);
}

static void
finish_start (FqLocalServer *self,
              GError        *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->start_task);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (task == NULL)
    {
      g_clear_error (&error);
      return;
    }

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
read_line_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  FqLocalServer *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (object), result,
                                                    NULL, &error);
  if (line == NULL)
    {
      /* End of output: the process is ending; its wait callback reports it. */
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Local server output: %s", error->message);
      g_object_unref (self);
      return;
    }

  if (self->url == NULL && g_str_has_prefix (line, "LISTENING "))
    {
      self->url = g_strdup (g_strstrip (line + strlen ("LISTENING ")));
      if (self->listen == NULL)
        remember_port (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);
      finish_start (self, NULL);
    }
  else
    g_debug ("fengqiao-server: %s", line);

  /* Keep draining stdout, or the server would block on a full pipe. */
  read_line (self);
  g_object_unref (self);
}

static void
read_line (FqLocalServer *self)
{
  if (self->stdout_stream == NULL)
    return;

  g_data_input_stream_read_line_async (self->stdout_stream, G_PRIORITY_DEFAULT,
                                       self->cancellable, read_line_cb, g_object_ref (self));
}

static void
wait_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  FqLocalServer *self = user_data;
  GSubprocess *process = G_SUBPROCESS (object);
  int status = 0;

  if (g_subprocess_wait_finish (process, result, NULL))
    status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process)
                                                  : 128 + g_subprocess_get_term_sig (process);

  if (self->process == process && self->start_task != NULL && self->trying_last_port &&
      status != FQ_SERVER_EXIT_DATA_IN_USE)
    {
      g_autoptr(GError) error = NULL;

      /* The remembered port was taken: any free one will do. */
      g_debug ("The local server could not use its last port; trying another");
      g_clear_object (&self->process);
      g_clear_object (&self->stdout_stream);
      self->trying_last_port = FALSE;
      if (!spawn (self, "127.0.0.1:0", &error))
        finish_start (self, g_steal_pointer (&error));
      g_object_unref (self);
      return;
    }

  if (self->process == process)
    {
      g_clear_object (&self->process);
      g_clear_object (&self->stdout_stream);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
      if (status == FQ_SERVER_EXIT_DATA_IN_USE)
        finish_start (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_BUSY,
                                                 _("Another Fengqiao server is already using the "
                                                   "demo data of this account, perhaps for another "
                                                   "console. Close it, then start again.")));
      else
        finish_start (self, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
                                         _("The local server stopped before it was ready "
                                           "(status %d)."), status));
      g_signal_emit (self, signals[EXITED], 0, status);
    }

  g_object_unref (self);
}

static gboolean
start_timeout_cb (gpointer user_data)
{
  FqLocalServer *self = user_data;

  self->timeout_id = 0;
  finish_start (self, g_error_new (G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                                   _("The local server did not start in time.")));
  fq_local_server_stop (self);
  return G_SOURCE_REMOVE;
}

char *
fq_local_server_find_binary (void)
{
  const char *env = g_getenv ("FQ_SERVER_BINARY");
  g_autofree char *built = NULL;

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);

  /* An uninstalled build runs the server built next to it. */
  built = g_build_filename (BUILD_BINDIR, "fengqiao-server", NULL);
  if (g_file_test (built, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&built);

  return g_find_program_in_path ("fengqiao-server");
}

/* Runs in the child before exec: if the console dies without stopping
 * its demo server (a crash, a killed test), the server goes with it. */
static void
child_setup (gpointer user_data)
{
#ifdef __linux__
  prctl (PR_SET_PDEATHSIG, SIGTERM);
#endif
}

static gboolean
spawn (FqLocalServer  *self,
       const char     *listen,
       GError        **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = NULL;
  g_autofree char *binary = NULL;
  GInputStream *out;

  binary = fq_local_server_find_binary ();
  if (binary == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("The program fengqiao-server was not found."));
      return FALSE;
    }

  argv = g_ptr_array_new ();
  g_ptr_array_add (argv, binary);
  g_ptr_array_add (argv, (char *)"--data");
  g_ptr_array_add (argv, self->data_dir);
  g_ptr_array_add (argv, (char *)"--listen");
  g_ptr_array_add (argv, (char *)listen);
  if (self->demo)
    g_ptr_array_add (argv, (char *)"--demo");
  for (guint i = 0; self->extra_args != NULL && self->extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, self->extra_args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  self->process = g_subprocess_launcher_spawnv (launcher, (const char * const *)argv->pdata, error);
  if (self->process == NULL)
    return FALSE;

  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  out = g_subprocess_get_stdout_pipe (self->process);
  self->stdout_stream = g_data_input_stream_new (out);

  g_subprocess_wait_async (self->process, NULL, wait_cb, g_object_ref (self));
  read_line (self);
  return TRUE;
}

void
fq_local_server_start_async (FqLocalServer       *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *listen = NULL;

  g_return_if_fail (FQ_IS_LOCAL_SERVER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fq_local_server_start_async);

  if (self->process != NULL || self->start_task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS,
                               "The local server is already running");
      return;
    }

  if (g_mkdir_with_parents (self->data_dir, 0700) != 0)
    {
      int errsv = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (errsv),
                               _("Cannot create the folder %s: %s"), self->data_dir,
                               g_strerror (errsv));
      return;
    }

  self->trying_last_port = FALSE;
  if (self->listen != NULL)
    listen = g_strdup (self->listen);
  else
    {
      g_autofree char *path = port_file (self);
      g_autofree char *text = NULL;
      guint64 port = 0;

      if (g_file_get_contents (path, &text, NULL, NULL) &&
          g_ascii_string_to_unsigned (g_strstrip (text), 10, 1024, 65535, &port, NULL))
        {
          listen = g_strdup_printf ("127.0.0.1:%u", (guint)port);
          self->trying_last_port = TRUE;
        }
      else
        listen = g_strdup ("127.0.0.1:0");
    }

  g_clear_pointer (&self->url, g_free);
  self->start_task = g_steal_pointer (&task);
  if (!spawn (self, listen, &error))
    {
      finish_start (self, g_steal_pointer (&error));
      return;
    }

  self->timeout_id = g_timeout_add_seconds (START_TIMEOUT_S, start_timeout_cb, self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

gboolean
fq_local_server_start_finish (FqLocalServer  *self,
                              GAsyncResult   *result,
                              GError        **error)
{
  g_return_val_if_fail (FQ_IS_LOCAL_SERVER (self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
fq_local_server_stop (FqLocalServer *self)
{
  g_autoptr(GSubprocess) process = NULL;
  gint64 deadline;

  g_return_if_fail (FQ_IS_LOCAL_SERVER (self));

  process = g_steal_pointer (&self->process);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->stdout_stream);
  g_clear_handle_id (&self->timeout_id, g_source_remove);

  if (process == NULL)
    return;

  /* The server finishes its transactions and checkpoints on SIGTERM. The
   * child is reaped by GLib's worker thread, so polling for its identifier
   * to vanish works without running a main loop here. */
  g_subprocess_send_signal (process, SIGTERM);
  deadline = g_get_monotonic_time () + STOP_TIMEOUT_MS * 1000;
  while (g_subprocess_get_identifier (process) != NULL && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);

  if (g_subprocess_get_identifier (process) != NULL)
    {
      g_warning ("The local server did not stop; killing it");
      g_subprocess_force_exit (process);
      g_subprocess_wait (process, NULL, NULL);
    }

  g_clear_pointer (&self->url, g_free);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_URL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  finish_start (self, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                   "The local server was stopped"));
}

static void
fq_local_server_dispose (GObject *object)
{
  FqLocalServer *self = (FqLocalServer *)object;

  fq_local_server_stop (self);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (fq_local_server_parent_class)->dispose (object);
}

static void
fq_local_server_finalize (GObject *object)
{
  FqLocalServer *self = (FqLocalServer *)object;

  g_clear_pointer (&self->data_dir, g_free);
  g_clear_pointer (&self->listen, g_free);
  g_clear_pointer (&self->extra_args, g_strfreev);
  g_clear_pointer (&self->url, g_free);

  G_OBJECT_CLASS (fq_local_server_parent_class)->finalize (object);
}

static void
fq_local_server_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  FqLocalServer *self = FQ_LOCAL_SERVER (object);

  switch (prop_id)
    {
    case PROP_URL:
      g_value_set_string (value, self->url);
      break;
    case PROP_DATA_DIR:
      g_value_set_string (value, self->data_dir);
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->process != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_local_server_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  FqLocalServer *self = FQ_LOCAL_SERVER (object);

  switch (prop_id)
    {
    case PROP_DATA_DIR:
      self->data_dir = g_value_dup_string (value);
      if (self->data_dir == NULL)
        self->data_dir = g_build_filename (g_get_user_data_dir (), "fengqiao", "demo-server", NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_local_server_class_init (FqLocalServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fq_local_server_dispose;
  object_class->finalize = fq_local_server_finalize;
  object_class->get_property = fq_local_server_get_property;
  object_class->set_property = fq_local_server_set_property;

  properties[PROP_URL] =
    g_param_spec_string ("url", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_DATA_DIR] =
    g_param_spec_string ("data-dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[EXITED] =
    g_signal_new ("exited", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
fq_local_server_init (FqLocalServer *self)
{
  self->demo = TRUE;
}

FqLocalServer *
fq_local_server_new (const char *data_dir)
{
  return g_object_new (FQ_TYPE_LOCAL_SERVER, "data-dir", data_dir, NULL);
}

void
fq_local_server_set_extra_args (FqLocalServer      *self,
                                const char * const *args)
{
  g_return_if_fail (FQ_IS_LOCAL_SERVER (self));

  g_strfreev (self->extra_args);
  self->extra_args = g_strdupv ((char **)args);
}

void
fq_local_server_set_listen (FqLocalServer *self,
                            const char    *address)
{
  g_return_if_fail (FQ_IS_LOCAL_SERVER (self));

  g_free (self->listen);
  self->listen = g_strdup (address);
}

void
fq_local_server_set_demo (FqLocalServer *self,
                          gboolean       demo)
{
  g_return_if_fail (FQ_IS_LOCAL_SERVER (self));
  self->demo = !!demo;
}

const char *
fq_local_server_get_url (FqLocalServer *self)
{
  g_return_val_if_fail (FQ_IS_LOCAL_SERVER (self), NULL);
  return self->url;
}

const char *
fq_local_server_get_data_dir (FqLocalServer *self)
{
  g_return_val_if_fail (FQ_IS_LOCAL_SERVER (self), NULL);
  return self->data_dir;
}

gboolean
fq_local_server_get_running (FqLocalServer *self)
{
  g_return_val_if_fail (FQ_IS_LOCAL_SERVER (self), FALSE);
  return self->process != NULL;
}
