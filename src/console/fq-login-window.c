/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "fq-login-window"

#include "config.h"

#include <glib/gi18n.h>

#include "fq-error.h"
#include "fq-login-window.h"
#include "fq-role-chooser.h"
#include "fq-ui-util.h"

struct _FqLoginWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  GtkStack             *stack;
  AdwEntryRow          *server_row;
  AdwEntryRow          *username_row;
  AdwPasswordEntryRow  *password_row;
  GtkRevealer          *message_revealer;
  GtkLabel             *message_label;
  GtkButton            *sign_in_button;
  GtkStack             *sign_in_stack;
  GtkButton            *demo_button;
  FqRoleChooser        *role_chooser;
  GtkLabel             *busy_label;
  GtkLabel             *roles_message_label;

  /* Owned */
  GSettings            *settings;
  GCancellable         *cancellable;
  FqContext            *context;       /* the sign-in under way */
  FqLocalServer        *local_server;  /* a demo server, once started */
  char                 *demo_username; /* sign in as this once it runs */
};

G_DEFINE_FINAL_TYPE (FqLoginWindow, fq_login_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  SIGNED_IN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
show_message (FqLoginWindow *self,
              const char    *message)
{
  gtk_label_set_label (self->message_label, message != NULL ? message : "");
  gtk_revealer_set_reveal_child (self->message_revealer, message != NULL && message[0] != '\0');
}

static void
set_busy (FqLoginWindow *self,
          gboolean       busy)
{
  gtk_stack_set_visible_child_name (self->sign_in_stack, busy ? "spinner" : "label");
  gtk_widget_set_sensitive (GTK_WIDGET (self->server_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->username_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->password_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->sign_in_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->demo_button), !busy);
}

static void
show_form (FqLoginWindow *self,
           const char    *message)
{
  set_busy (self, FALSE);
  gtk_stack_set_visible_child_name (self->stack, "form");
  show_message (self, message);
}

/* Accepts "fengqiao.example.cn" as well as a full URL: a bare host name
 * means HTTPS. */
static char *
normalize_url (const char *text)
{
  g_autofree char *stripped = g_strstrip (g_strdup (text));

  if (stripped[0] == '\0')
    return NULL;
  if (strstr (stripped, "://") == NULL)
    return g_strconcat ("https://", stripped, NULL);

  return g_steal_pointer (&stripped);
}

static void
login_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(FqLoginWindow) self = user_data;
  g_autoptr(FqContext) context = NULL;
  g_autoptr(JsonObject) user = NULL;
  g_autoptr(GError) error = NULL;

  user = fq_client_login_finish (FQ_CLIENT (object), result, &error);
  if (user == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  context = g_steal_pointer (&self->context);

  if (user == NULL)
    {
      g_autofree char *message = fq_client_describe_error (error);

      /* A demo sign-in goes back to the roles, with the reason. */
      if (self->local_server != NULL
          && g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "form") != 0)
        {
          gtk_label_set_label (self->roles_message_label, message);
          gtk_widget_set_visible (GTK_WIDGET (self->roles_message_label), TRUE);
          gtk_stack_set_visible_child_name (self->stack, "roles");
          return;
        }

      show_form (self, message);
      if (g_error_matches (error, FQ_ERROR, FQ_ERROR_UNAUTHENTICATED))
        {
          gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
          gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
        }
      return;
    }

  /* A demo server gets a new port each time: it is not remembered. */
  if (self->local_server == NULL)
    {
      g_settings_set_string (self->settings, "server-url",
                             fq_client_get_base_url (fq_context_get_client (context)));
      g_settings_set_string (self->settings, "username",
                             fq_client_get_username (fq_context_get_client (context)));
    }

  gtk_label_set_label (self->busy_label, _("Opening the board…"));
  gtk_stack_set_visible_child_name (self->stack, "busy");

  g_signal_emit (self, signals[SIGNED_IN], 0, context);
}

static void
sign_in (FqLoginWindow *self,
         const char    *url,
         const char    *username,
         const char    *password)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  g_clear_object (&self->context);
  self->context = fq_context_new (self->settings, url);
  if (self->local_server != NULL)
    fq_context_set_local_server (self->context, self->local_server);

  fq_client_login_async (fq_context_get_client (self->context), username, password,
                         self->cancellable, login_cb, g_object_ref (self));
}

static void
sign_in_button_clicked_cb (FqLoginWindow *self)
{
  g_autofree char *url = NULL;
  const char *username;
  const char *password;

  g_assert (FQ_IS_LOGIN_WINDOW (self));

  url = normalize_url (gtk_editable_get_text (GTK_EDITABLE (self->server_row)));
  username = gtk_editable_get_text (GTK_EDITABLE (self->username_row));
  password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));

  if (url == NULL)
    {
      show_message (self, _("Enter the address of your centre’s Fengqiao server."));
      gtk_widget_grab_focus (GTK_WIDGET (self->server_row));
      return;
    }
  if (username[0] == '\0')
    {
      show_message (self, _("Enter your user name."));
      gtk_widget_grab_focus (GTK_WIDGET (self->username_row));
      return;
    }
  if (password[0] == '\0')
    {
      show_message (self, _("Enter your password."));
      gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
      return;
    }

  /* Signing in to another server leaves the demo behind. */
  if (self->local_server != NULL
      && g_strcmp0 (url, fq_local_server_get_url (self->local_server)) != 0)
    g_clear_object (&self->local_server);

  show_message (self, NULL);
  set_busy (self, TRUE);
  sign_in (self, url, username, password);
}

static void
row_entry_activated_cb (FqLoginWindow *self,
                        AdwEntryRow   *row)
{
  /* Enter moves on to the next empty field, and signs in from the last. */
  if (row == self->server_row)
    gtk_widget_grab_focus (GTK_WIDGET (self->username_row));
  else if (row == self->username_row)
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
  else
    sign_in_button_clicked_cb (self);
}

static void
sign_in_as_demo_user (FqLoginWindow *self,
                      const char    *username)
{
  g_autofree char *status = NULL;

  g_assert (self->local_server != NULL);

  /* Translators: %s is a user name such as "coordinator". */
  status = g_strdup_printf (_("Signing in as %s…"), username);
  gtk_label_set_label (self->busy_label, status);
  gtk_stack_set_visible_child_name (self->stack, "busy");

  /* Every demo user has this password (ARCHITECTURE.md). */
  sign_in (self, fq_local_server_get_url (self->local_server), username, "demo");
}

static void
role_chosen_cb (FqLoginWindow *self,
                const char    *username,
                FqRoleChooser *chooser)
{
  gtk_widget_set_visible (GTK_WIDGET (self->roles_message_label), FALSE);
  sign_in_as_demo_user (self, username);
}

static void
local_server_start_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(FqLoginWindow) self = user_data;
  FqLocalServer *server = FQ_LOCAL_SERVER (object);
  g_autoptr(GError) error = NULL;

  if (!fq_local_server_start_finish (server, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      if (self->local_server == server)
        g_clear_object (&self->local_server);

      {
        g_autofree char *message = NULL;

        /* Translators: %s is the reason, e.g. "fengqiao-server was not found". */
        message = g_strdup_printf (_("The demo server could not be started: %s"), error->message);
        show_form (self, message);
      }
      return;
    }

  if (self->local_server != server)
    return;

  gtk_editable_set_text (GTK_EDITABLE (self->server_row), fq_local_server_get_url (server));

  if (self->demo_username != NULL)
    {
      g_autofree char *username = g_steal_pointer (&self->demo_username);

      sign_in_as_demo_user (self, username);
      return;
    }

  gtk_stack_set_visible_child_name (self->stack, "roles");
  gtk_widget_grab_focus (GTK_WIDGET (self->role_chooser));
}

static void
demo_button_clicked_cb (FqLoginWindow *self)
{
  fq_login_window_start_demo (self, NULL);
}

static void
cancel_button_clicked_cb (FqLoginWindow *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  g_clear_object (&self->context);
  g_clear_pointer (&self->demo_username, g_free);
  if (self->local_server != NULL)
    fq_local_server_stop (self->local_server);
  g_clear_object (&self->local_server);

  gtk_editable_set_text (GTK_EDITABLE (self->server_row), "");
  show_form (self, NULL);
}

static void
fq_login_window_dispose (GObject *object)
{
  FqLoginWindow *self = (FqLoginWindow *)object;

  g_cancellable_cancel (self->cancellable);

  gtk_widget_dispose_template (GTK_WIDGET (self), FQ_TYPE_LOGIN_WINDOW);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->context);
  g_clear_object (&self->local_server);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->demo_username, g_free);

  G_OBJECT_CLASS (fq_login_window_parent_class)->dispose (object);
}

static void
fq_login_window_class_init (FqLoginWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fq_login_window_dispose;

  signals[SIGNED_IN] =
    g_signal_new ("signed-in",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, FQ_TYPE_CONTEXT);

  g_type_ensure (FQ_TYPE_ROLE_CHOOSER);

  gtk_widget_class_set_template_from_resource (widget_class, "/cn/fengqiao/Console/fq-login-window.ui");
  gtk_widget_class_bind_template_child (widget_class, FqLoginWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, FqLoginWindow, server_row);
  gtk_widget_class_bind_template_child (widget_class, FqLoginWindow, username_row);
  gtk_widget_class_bind_template_child (widget_class, FqLoginWindow, password_row);
  gtk_widget_class_bind_template_child (widget_class, FqLoginWindow, message_revealer);
  gtk_widget_class_bind_template_child (widget_class, FqLoginWindow, message_label);
  gtk_widget_class_bind_template_child (widget_class, FqLoginWindow, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, FqLoginWindow, sign_in_stack);
  gtk_widget_class_bind_template_child (widget_class, FqLoginWindow, demo_button);
  gtk_widget_class_bind_template_child (widget_class, FqLoginWindow, role_chooser);
  gtk_widget_class_bind_template_child (widget_class, FqLoginWindow, busy_label);
  gtk_widget_class_bind_template_child (widget_class, FqLoginWindow, roles_message_label);
  gtk_widget_class_bind_template_callback (widget_class, sign_in_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_entry_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, demo_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, role_chosen_cb);
}

static void
fq_login_window_init (FqLoginWindow *self)
{
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Status lines are read out as they change; buttons by their words. */
  fq_label_track_accessible_label (self->message_label);
  fq_label_track_accessible_label (self->busy_label);
  fq_label_track_accessible_label (self->roles_message_label);
  fq_fix_mnemonic_accessible_labels (GTK_WIDGET (self));

#if DEVELOPMENT
  gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
#endif
}

FqLoginWindow *
fq_login_window_new (FqApplication *application,
                     GSettings     *settings)
{
  FqLoginWindow *self;
  g_autofree char *url = NULL;
  g_autofree char *username = NULL;

  g_return_val_if_fail (FQ_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (FQ_TYPE_LOGIN_WINDOW,
                       "application", application,
                       NULL);
  self->settings = g_object_ref (settings);

  url = g_settings_get_string (settings, "server-url");
  username = g_settings_get_string (settings, "username");
  gtk_editable_set_text (GTK_EDITABLE (self->server_row), url);
  gtk_editable_set_text (GTK_EDITABLE (self->username_row), username);

  if (url[0] == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->server_row));
  else if (username[0] == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->username_row));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));

  return self;
}

void
fq_login_window_set_server_url (FqLoginWindow *self,
                                const char    *url)
{
  g_return_if_fail (FQ_IS_LOGIN_WINDOW (self));

  gtk_editable_set_text (GTK_EDITABLE (self->server_row), url != NULL ? url : "");
}

void
fq_login_window_set_message (FqLoginWindow *self,
                             const char    *message)
{
  g_return_if_fail (FQ_IS_LOGIN_WINDOW (self));

  show_form (self, message);
}

void
fq_login_window_start_demo (FqLoginWindow *self,
                            const char    *username)
{
  g_return_if_fail (FQ_IS_LOGIN_WINDOW (self));

  g_free (self->demo_username);
  self->demo_username = g_strdup (username);

  show_message (self, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->roles_message_label), FALSE);

  /* A demo server that already runs is used again. */
  if (self->local_server != NULL && fq_local_server_get_running (self->local_server))
    {
      if (self->demo_username != NULL)
        {
          g_autofree char *name = g_steal_pointer (&self->demo_username);

          sign_in_as_demo_user (self, name);
        }
      else
        {
          gtk_stack_set_visible_child_name (self->stack, "roles");
          gtk_widget_grab_focus (GTK_WIDGET (self->role_chooser));
        }
      return;
    }

  gtk_label_set_label (self->busy_label,
                       _("Starting the demo server… The first start prepares a year of "
                         "sample records and may take a minute."));
  gtk_stack_set_visible_child_name (self->stack, "busy");

  g_clear_object (&self->local_server);
  self->local_server = fq_local_server_new (NULL);
  fq_local_server_start_async (self->local_server, self->cancellable,
                               local_server_start_cb, g_object_ref (self));
}
