/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "fq-application"

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "fq-application.h"
#include "fq-login-window.h"
#include "fq-notifier.h"
#include "fq-window.h"

struct _FqApplication
{
  AdwApplication  parent_instance;

  /* Owned */
  GSettings      *settings;
  FqContext      *context;
  FqNotifier     *notifier;
  GCancellable   *cancellable;
  char           *server_url;
  char           *role;
  gboolean        demo;

  /* Borrowed: the windows are owned by the application's window list. */
  FqLoginWindow  *login_window;
  FqWindow       *window;

  guint           sigterm_id;
  guint           sigint_id;
};

G_DEFINE_FINAL_TYPE (FqApplication, fq_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
  { "demo", 'd', 0, G_OPTION_ARG_NONE, NULL,
    N_("Start a local demo server with sample data and sign in to it"), NULL },
  { "server", 's', 0, G_OPTION_ARG_STRING, NULL,
    N_("Address of the Fengqiao server"), N_("URL") },
  { "role", 'r', 0, G_OPTION_ARG_STRING, NULL,
    N_("Demo user to sign in as: operator, coordinator, unit, leader, grid or admin"), N_("ROLE") },
  { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Also trust the certificate authority in this PEM file (kept for later starts; "
       "an empty value forgets it)"), N_("FILE") },
  { NULL }
};

static void show_login (FqApplication *self,
                        const char    *message);

/* The settings schema is installed with the program; an uninstalled build
 * finds it in its build folder instead (FQ_BUILD_SCHEMA_DIR). */
static GSettings *
create_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, "cn.fengqiao.Console", TRUE);

#ifdef FQ_BUILD_SCHEMA_DIR
  if (schema == NULL)
    {
      g_autoptr(GSettingsSchemaSource) build_source = NULL;

      build_source = g_settings_schema_source_new_from_directory (FQ_BUILD_SCHEMA_DIR, source,
                                                                  FALSE, NULL);
      if (build_source != NULL)
        schema = g_settings_schema_source_lookup (build_source, "cn.fengqiao.Console", FALSE);
    }
#endif

  if (schema == NULL)
    g_error ("The settings schema cn.fengqiao.Console is not installed");

  return g_settings_new_full (schema, NULL, NULL);
}

static void
session_expired_cb (FqApplication *self,
                    FqClient      *client)
{
  g_assert (FQ_IS_APPLICATION (self));

  /* The sign-in window comes first, so that the application does not quit
   * when the main window, its last window, goes. */
  show_login (self, _("Your session has expired. Please sign in again."));

  g_clear_object (&self->notifier);
  if (self->context != NULL)
    fq_context_stop (self->context);
  g_clear_object (&self->context);
  if (self->window != NULL)
    gtk_window_destroy (GTK_WINDOW (self->window));
}

static void
window_destroy_cb (FqApplication *self,
                   GtkWidget     *window)
{
  if ((GtkWidget *)self->window == window)
    self->window = NULL;
}

static void
login_window_destroy_cb (FqApplication *self,
                         GtkWidget     *window)
{
  if ((GtkWidget *)self->login_window == window)
    self->login_window = NULL;
}

static void
open_main_window (FqApplication *self)
{
  g_assert (self->context != NULL);

  self->window = fq_window_new (self, self->context);
  /* Desktop notifications for what is live from now on. */
  g_clear_object (&self->notifier);
  self->notifier = fq_notifier_new (G_APPLICATION (self), self->context);
  g_signal_connect_object (self->window, "destroy",
                           G_CALLBACK (window_destroy_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (self->window));

  if (self->login_window != NULL)
    gtk_window_destroy (GTK_WINDOW (self->login_window));
}

static void
finish_start (FqApplication *self,
              FqContext     *context,
              GAsyncResult  *result)
{
  g_autoptr(GError) error = NULL;

  if (!fq_context_start_finish (context, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      g_warning ("Could not open the local cache: %s", error->message);
      if (self->context == context)
        g_clear_object (&self->context);
      show_login (self, error->message);
      return;
    }

  if (self->context != context)
    return;

  open_main_window (self);
}

static void
context_start_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(FqApplication) self = user_data;

  finish_start (self, FQ_CONTEXT (object), result);

  /* Whatever window came of the start holds the application from here on;
   * released only now, the application is never without a window or a hold. */
  g_application_release (G_APPLICATION (self));
}

static void
start_session (FqApplication *self,
               FqContext     *context)
{
  FqClient *client = fq_context_get_client (context);

  g_set_object (&self->context, context);
  g_signal_connect_object (client, "session-expired",
                           G_CALLBACK (session_expired_cb), self, G_CONNECT_SWAPPED);

  /* A restored session starts with no window open: the application is held
   * until the start completes, or g_application_run() would return at once.
   * context_start_cb() releases it. */
  g_application_hold (G_APPLICATION (self));
  fq_context_start_async (context, NULL, self->cancellable,
                          context_start_cb, g_object_ref (self));
}

static void
signed_in_cb (FqApplication *self,
              FqContext     *context,
              FqLoginWindow *login_window)
{
  g_assert (FQ_IS_APPLICATION (self));
  g_assert (FQ_IS_CONTEXT (context));

  start_session (self, context);
}

static void
show_login (FqApplication *self,
            const char    *message)
{
  if (self->login_window == NULL)
    {
      self->login_window = fq_login_window_new (self, self->settings);
      g_signal_connect_object (self->login_window, "signed-in",
                               G_CALLBACK (signed_in_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (self->login_window, "destroy",
                               G_CALLBACK (login_window_destroy_cb), self, G_CONNECT_SWAPPED);
    }

  if (self->server_url != NULL)
    fq_login_window_set_server_url (self->login_window, self->server_url);
  if (message != NULL)
    fq_login_window_set_message (self->login_window, message);

  gtk_window_present (GTK_WINDOW (self->login_window));
}

/* Paints from the cache at once when a session of the last user is still
 * valid, without a network round trip. */
static gboolean
try_restore_session (FqApplication *self,
                     const char    *url)
{
  g_autoptr(FqContext) context = NULL;
  g_autofree char *username = NULL;
  g_autoptr(GError) error = NULL;

  username = g_settings_get_string (self->settings, "username");
  context = fq_context_new (self->settings, url);

  if (!fq_client_restore_session (fq_context_get_client (context),
                                  username[0] != '\0' ? username : NULL, &error))
    {
      g_debug ("No session to restore: %s", error->message);
      return FALSE;
    }

  start_session (self, context);

  return TRUE;
}

static void
fq_application_activate (GApplication *app)
{
  FqApplication *self = (FqApplication *)app;
  g_autofree char *url = NULL;

  if (self->window != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->window));
      return;
    }

  if (self->context != NULL)
    return;

  if (self->demo)
    {
      show_login (self, NULL);
      fq_login_window_start_demo (self->login_window, self->role);
      return;
    }

  if (self->server_url != NULL)
    url = g_strdup (self->server_url);
  else
    url = g_settings_get_string (self->settings, "server-url");

  if (url[0] != '\0' && try_restore_session (self, url))
    return;

  show_login (self, NULL);
}

static int
fq_application_command_line (GApplication            *app,
                             GApplicationCommandLine *command_line)
{
  FqApplication *self = (FqApplication *)app;
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  const char *server_url = NULL;
  const char *role = NULL;
  const char *ca_file = NULL;

  /* A second start while a session runs only brings the window forward. */
  if (self->context == NULL && self->login_window == NULL)
    {
      self->demo = g_variant_dict_contains (options, "demo");

      if (g_variant_dict_lookup (options, "server", "&s", &server_url))
        {
          g_free (self->server_url);
          self->server_url = g_strdup (server_url);
        }

      if (g_variant_dict_lookup (options, "ca-file", "^&ay", &ca_file))
        {
          /* Kept as a setting: the next start trusts the same authority. */
          g_autofree char *path = ca_file[0] != '\0'
            ? g_canonicalize_filename (ca_file, g_application_command_line_get_cwd (command_line))
            : g_strdup ("");

          g_settings_set_string (self->settings, "ca-file", path);
        }

      if (g_variant_dict_lookup (options, "role", "&s", &role))
        {
          g_free (self->role);
          self->role = g_strdup (role);
          /* Asking for a demo user implies the demo. */
          if (self->server_url == NULL)
            self->demo = TRUE;
        }
    }

  g_application_activate (app);

  return EXIT_SUCCESS;
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  FqApplication *self = user_data;
  GList *windows;

  if (self->context != NULL)
    fq_context_stop (self->context);

  /* Closed, so that they save their state; then the windows no longer hold
   * the context, and once the application lets it go too, it stops the demo
   * server it may have started. */
  windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
  g_list_free (windows);
  while ((windows = gtk_application_get_windows (GTK_APPLICATION (self))) != NULL)
    gtk_window_destroy (windows->data);

  g_application_quit (G_APPLICATION (self));
}

static void
logout_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!fq_client_logout_finish (FQ_CLIENT (object), result, &error))
    g_debug ("Sign-out on the server failed: %s", error->message);
}

static void
sign_out_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  FqApplication *self = user_data;
  g_autoptr(FqContext) context = NULL;

  if (self->context == NULL)
    return;

  g_clear_object (&self->notifier);
  context = g_steal_pointer (&self->context);
  fq_client_logout_async (fq_context_get_client (context), NULL, logout_cb, NULL);
  fq_context_stop (context);

  /* The demo server, if any, stops with the context; signing in again to a
   * demo starts a new one. */
  show_login (self, NULL);

  if (self->window != NULL)
    gtk_window_destroy (GTK_WINDOW (self->window));
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  FqApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  const char *developers[] = { _("The Fengqiao developers"), NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", parent,
                        "modal", TRUE,
                        "application-name", _("Fengqiao"),
                        "application-icon", APP_ID,
                        "version", PACKAGE_VERSION,
                        "developer-name", _("The Fengqiao developers"),
                        "developers", developers,
                        "comments", _("Triage calls to the 110 and 12345 lines, divert "
                                      "non-police disputes to the units responsible for "
                                      "them, and follow each one until it is resolved."),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

/* A terminal's Ctrl+C or a session's SIGTERM ends the console as Quit does,
 * so that a demo server it started stops with it. */
static gboolean
quit_signal_cb (gpointer user_data)
{
  g_action_group_activate_action (G_ACTION_GROUP (user_data), "quit", NULL);

  return G_SOURCE_CONTINUE;
}

/* A click on a notification: the ticket it is about. */
static void
show_ticket_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  FqApplication *self = user_data;

  if (self->window == NULL)
    return;

  gtk_window_present (GTK_WINDOW (self->window));
  fq_window_show_ticket (self->window, g_variant_get_string (parameter, NULL));
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "show-ticket", show_ticket_action, "s" },
  { "sign-out", sign_out_action },
  { "about", about_action },
};

static void
fq_application_startup (GApplication *app)
{
  FqApplication *self = (FqApplication *)app;
  static const struct {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.sign-out", { "<Control><Shift>q", NULL } },
    { "win.new-incident", { "<Control>n", NULL } },
    { "win.show-incoming", { "<Alt>1", "<Control>1", NULL } },
    { "win.show-tickets", { "<Alt>2", "<Control>2", NULL } },
    { "win.show-view::board", { "<Control><Shift>b", NULL } },
    { "win.show-view::sessions", { "<Control><Shift>s", NULL } },
    { "win.show-view::summary", { "<Control><Shift>m", NULL } },
    { "win.show-view::admin", { "<Control><Shift>a", NULL } },
    { "win.search", { "<Control>f", NULL } },
    { "win.overdue-only", { "<Control><Shift>o", NULL } },
    { "win.toggle-sidebar", { "F9", NULL } },
    { "win.wall-mode", { "F11", NULL } },
    { "win.find-place", { "<Control>l", NULL } },
    { "win.close-details", { "<Control>w", NULL } },
    { "win.focus-next-pane", { "F6", NULL } },
    { "win.focus-previous-pane", { "<Shift>F6", NULL } },
  };

  G_APPLICATION_CLASS (fq_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self),
                                           accels[i].action, accels[i].accels);

  self->settings = create_settings ();

  self->sigterm_id = g_unix_signal_add (SIGTERM, quit_signal_cb, self);
  self->sigint_id = g_unix_signal_add (SIGINT, quit_signal_cb, self);
}

static void
fq_application_shutdown (GApplication *app)
{
  FqApplication *self = (FqApplication *)app;

  g_clear_handle_id (&self->sigterm_id, g_source_remove);
  g_clear_handle_id (&self->sigint_id, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->notifier);
  if (self->context != NULL)
    fq_context_stop (self->context);
  g_clear_object (&self->context);

  G_APPLICATION_CLASS (fq_application_parent_class)->shutdown (app);
}

static void
fq_application_finalize (GObject *object)
{
  FqApplication *self = (FqApplication *)object;

  g_clear_object (&self->notifier);
  g_clear_object (&self->context);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->server_url, g_free);
  g_clear_pointer (&self->role, g_free);

  G_OBJECT_CLASS (fq_application_parent_class)->finalize (object);
}

static void
fq_application_class_init (FqApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = fq_application_finalize;

  app_class->activate = fq_application_activate;
  app_class->command_line = fq_application_command_line;
  app_class->startup = fq_application_startup;
  app_class->shutdown = fq_application_shutdown;
}

static void
fq_application_init (FqApplication *self)
{
  self->cancellable = g_cancellable_new ();

  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), NULL);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("The console of the Fengqiao dispute diversion platform."));
}

FqApplication *
fq_application_new (void)
{
  return g_object_new (FQ_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/cn/fengqiao/Console",
                       NULL);
}

GSettings *
fq_application_get_settings (FqApplication *self)
{
  g_return_val_if_fail (FQ_IS_APPLICATION (self), NULL);

  return self->settings;
}

FqContext *
fq_application_get_context (FqApplication *self)
{
  g_return_val_if_fail (FQ_IS_APPLICATION (self), NULL);

  return self->context;
}
