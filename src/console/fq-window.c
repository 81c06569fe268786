/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "fq-window"

#include "config.h"

#include <glib/gi18n.h>

#include "fq-admin-view.h"
#include "fq-grid-report-dialog.h"
#include "fq-grid-sidebar.h"
#include "fq-import-dialog.h"
#include "fq-incident-board.h"
#include "fq-intake-dialog.h"
#include "fq-sessions-view.h"
#include "fq-summary-view.h"
#include "fq-ticket-pane.h"
#include "fq-triage-pane.h"
#include "fq-wall-mode.h"
#include "fq-window.h"
#include "fq-ui-util.h"

struct _FqWindow
{
  AdwApplicationWindow  parent_instance;

  gboolean              focus_board_pending;     /* fq_window_map() */
  gboolean              focus_board_when_filled; /* start_focus_cb() */
  GtkWidget            *start_focus;             /* weak: where GTK put it */

  /* Template widgets */
  AdwViewSwitcherTitle *switcher_title;
  AdwViewStack         *main_stack;
  AdwViewStackPage     *sessions_page;
  AdwViewStackPage     *summary_page;
  AdwViewStackPage     *admin_page;
  FqSessionsView       *sessions_view;
  FqSummaryView        *summary_view;
  FqAdminView          *admin_view;
  GtkToggleButton      *sidebar_button;
  GtkWidget            *new_incident_button;
  AdwStatusPage        *empty_status;
  GtkButton            *connection_button;
  GtkLabel             *connection_label;
  GtkWidget            *connection_dot;
  AdwToastOverlay      *toast_overlay;
  GtkPaned             *outer_paned;
  GtkPaned             *inner_paned;
  FqGridSidebar        *sidebar;
  FqIncidentBoard      *board;
  GtkStack             *detail_stack;
  FqTriagePane         *triage_pane;
  FqTicketPane         *ticket_pane;

  /* Owned */
  FqContext            *context;
  guint                 clock_id;
  gboolean              sidebar_width_applied;
  gboolean              detail_width_applied;
};

G_DEFINE_FINAL_TYPE (FqWindow, fq_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_title (FqWindow *self)
{
  g_autoptr(GString) subtitle = g_string_new (NULL);
  const char *name = fq_context_get_display_name (self->context);
  const char *unit = fq_context_get_unit (self->context);
  const char *scope_name = fq_grid_sidebar_get_scope_name (self->sidebar);

  /* "综治中心协调员 · 黄石市": who is signed in, and where the board looks. */
  if (name == NULL || name[0] == '\0')
    name = fq_role_label (fq_context_get_role (self->context));
  g_string_append (subtitle, name);
  if (unit != NULL && unit[0] != '\0')
    {
      g_string_append (subtitle, " · ");
      g_string_append (subtitle, fq_context_lookup_unit_name (self->context, unit));
    }

  if (scope_name == NULL || scope_name[0] == '\0')
    scope_name = fq_context_lookup_grid_name (self->context, fq_context_get_scope (self->context));
  if (scope_name != NULL && scope_name[0] != '\0')
    {
      g_string_append (subtitle, " · ");
      g_string_append (subtitle, scope_name);
    }

  adw_view_switcher_title_set_subtitle (self->switcher_title, subtitle->str);
}

/* "在线 / 正在连接 / 离线（自 HH:MM）· N 项待同步" */
static void
update_connection (FqWindow *self)
{
  FqSync *sync = fq_context_get_sync (self->context);
  FqOutbox *outbox = fq_context_get_outbox (self->context);
  g_autoptr(GString) text = g_string_new (NULL);
  FqSyncState state = sync != NULL ? fq_sync_get_state (sync) : FQ_SYNC_STATE_OFFLINE;
  guint n_pending = outbox != NULL ? fq_outbox_get_n_pending (outbox) : 0;
  const char *css;

  switch (state)
    {
    case FQ_SYNC_STATE_ONLINE:
      g_string_append (text, _("Online"));
      css = "fq-online";
      break;

    case FQ_SYNC_STATE_CONNECTING:
      {
        int percent = fq_catch_up_percent (sync);

        if (percent >= 0)
          /* Translators: the share of the server's records received so far,
           * while catching up, as in "Catching up… 37%". */
          g_string_append_printf (text, _("Catching up… %d%%"), percent);
        else if (fq_sync_get_catching_up (sync))
          g_string_append (text, _("Catching up…"));
        else
          g_string_append (text, _("Connecting…"));
        css = "fq-connecting";
      }
      break;

    case FQ_SYNC_STATE_OFFLINE:
    default:
      {
        gint64 since = sync != NULL ? fq_sync_get_offline_since (sync) : 0;

        if (since > 0)
          {
            g_autoptr(GDateTime) dt = fq_city_time (since / G_USEC_PER_SEC);
            /* Translators: a time of day, as in "Offline since 14:05". */
            g_autofree char *hhmm = g_date_time_format (dt, _("%H:%M"));

            /* Translators: %s is a time of day. */
            g_string_append_printf (text, _("Offline (since %s)"), hhmm);
          }
        else
          g_string_append (text, _("Offline"));
        css = "fq-offline";
      }
      break;
    }

  if (n_pending > 0)
    {
      g_string_append (text, " · ");
      g_string_append_printf (text,
                              g_dngettext (GETTEXT_PACKAGE, "%u change to send",
                                           "%u changes to send", n_pending),
                              n_pending);
    }

  /* The progress is told for every page of a catch-up, and a tooltip set
   * asks the display where the pointer is: change only what changed. */
  if (gtk_widget_has_css_class (self->connection_dot, css) &&
      g_strcmp0 (gtk_label_get_label (self->connection_label), text->str) == 0)
    return;

  gtk_label_set_label (self->connection_label, text->str);
  gtk_widget_remove_css_class (self->connection_dot, "fq-online");
  gtk_widget_remove_css_class (self->connection_dot, "fq-connecting");
  gtk_widget_remove_css_class (self->connection_dot, "fq-offline");
  gtk_widget_add_css_class (self->connection_dot, css);

  gtk_widget_set_tooltip_text (GTK_WIDGET (self->connection_button),
                               state == FQ_SYNC_STATE_ONLINE
                               ? _("Connected to the server; the board is live")
                               : _("Reconnect now"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->connection_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, text->str,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  state == FQ_SYNC_STATE_ONLINE ? "" : _("Reconnect now"),
                                  -1);
}

static void
connection_button_clicked_cb (FqWindow *self)
{
  FqSync *sync = fq_context_get_sync (self->context);

  if (sync != NULL && fq_sync_get_state (sync) != FQ_SYNC_STATE_ONLINE)
    fq_sync_reconnect_now (sync);
}

static void
sync_error_cb (FqWindow     *self,
               const GError *error,
               FqSync       *sync)
{
  g_autofree char *message = fq_client_describe_error (error);

  fq_window_toast (self, message);
}

static void
cache_reset_cb (FqWindow *self)
{
  fq_window_toast (self, _("The server's data is not what this console had kept "
                           "(it was reset or restored from a backup). "
                           "Everything is being loaded again from the server."));
}

static void
outbox_conflict_cb (FqWindow     *self,
                    const char   *key,
                    const char   *entity,
                    const char   *entity_id,
                    JsonObject   *current,
                    const GError *error,
                    FqOutbox     *outbox)
{
  g_autofree char *reason = fq_client_describe_error (error);
  g_autofree char *message = NULL;

  /* Translators: %s explains why, e.g. "Someone else changed it first." */
  message = g_strdup_printf (_("Your change was not applied: %s The current state is shown."),
                             reason);
  fq_window_toast (self, message);
}

static void
outbox_failed_cb (FqWindow     *self,
                  const char   *key,
                  const GError *error,
                  FqOutbox     *outbox)
{
  g_autofree char *reason = fq_client_describe_error (error);
  g_autofree char *message = NULL;

  /* Translators: %s explains why. */
  message = g_strdup_printf (_("The server refused a change: %s"), reason);
  fq_window_toast (self, message);
}

static void
show_detail (FqWindow   *self,
             const char *page)
{
  gtk_stack_set_visible_child_name (self->detail_stack, page);
}

static void
incident_selected_cb (FqWindow        *self,
                      const char      *id,
                      FqIncidentBoard *board)
{
  if (id == NULL)
    return;

  fq_triage_pane_set_incident (self->triage_pane, id);
  show_detail (self, "triage");
}

static void
ticket_selected_cb (FqWindow        *self,
                    const char      *id,
                    FqIncidentBoard *board)
{
  if (id == NULL)
    return;

  fq_ticket_pane_set_ticket (self->ticket_pane, id);
  show_detail (self, "ticket");
}

/* Enter on a row of the board goes on to the details, keyboard first. */
static void
board_row_activated_cb (FqWindow        *self,
                        FqIncidentBoard *board)
{
  GtkWidget *pane = gtk_stack_get_visible_child (self->detail_stack);

  if (pane != NULL && !g_str_equal (gtk_stack_get_visible_child_name (self->detail_stack), "empty"))
    gtk_widget_grab_focus (pane);
}

static void
open_ticket_cb (FqWindow     *self,
                const char   *id,
                FqTriagePane *pane)
{
  fq_window_show_ticket (self, id);
}

static void
close_details_cb (FqWindow *self)
{
  show_detail (self, "empty");
  gtk_widget_grab_focus (GTK_WIDGET (self->board));
}

static void
triage_submitted_cb (FqWindow     *self,
                     const char   *incident_id,
                     FqTriagePane *pane)
{
  fq_window_toast (self, _("Triage recorded"));
  /* Back to the board for the next call; the row leaves the incoming list
   * when the server confirms. */
  fq_incident_board_focus_next_incident (self->board, incident_id);
}

static void
sidebar_scope_cb (FqWindow      *self,
                  GParamSpec    *pspec,
                  FqGridSidebar *sidebar)
{
  fq_incident_board_set_scope (self->board, fq_grid_sidebar_get_scope_prefix (sidebar));
  /* The summary follows the place chosen in the grid. */
  fq_summary_view_set_scope (self->summary_view, fq_grid_sidebar_get_scope_prefix (sidebar));
  update_title (self);
}

static void
show_incident_cb (FqWindow       *self,
                  const char     *id,
                  FqIntakeDialog *dialog)
{
  fq_incident_board_select_incident (self->board, id);
  fq_triage_pane_set_incident (self->triage_pane, id);
  show_detail (self, "triage");
  /* "Triage Now": on to the form, keyboard first. */
  fq_triage_pane_focus_when_shown (self->triage_pane);
}

static void
main_stack_page_cb (FqWindow *self)
{
  const char *name = adw_view_stack_get_visible_child_name (self->main_stack);

  /* The grid sidebar and its toggle belong to the board. */
  gtk_widget_set_visible (GTK_WIDGET (self->sidebar_button), g_strcmp0 (name, "board") == 0);
}

static void
show_view_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *param)
{
  fq_window_show_view (FQ_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
show_session_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *param)
{
  FqWindow *self = FQ_WINDOW (widget);

  fq_window_show_view (self, "sessions");
  fq_sessions_view_show_session (self->sessions_view, g_variant_get_string (param, NULL));
}

static void
new_incident_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  FqWindow *self = FQ_WINDOW (widget);
  FqIntakeDialog *dialog;

  /* A grid worker reports what they find on a round: the compact form. */
  if (fq_context_get_role (self->context) == FQ_ROLE_GRID_WORKER)
    {
      gtk_window_present (GTK_WINDOW (fq_grid_report_dialog_new (GTK_WINDOW (self),
                                                                 self->context)));
      return;
    }

  dialog = fq_intake_dialog_new (GTK_WINDOW (self), self->context);
  g_signal_connect_object (dialog, "show-incident",
                           G_CALLBACK (show_incident_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
import_orders_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  FqWindow *self = FQ_WINDOW (widget);

  gtk_window_present (GTK_WINDOW (fq_import_dialog_new (GTK_WINDOW (self), self->context)));
}

static void
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  FqWindow *self = FQ_WINDOW (widget);

  fq_incident_board_set_page (self->board, g_str_equal (action_name, "win.show-tickets")
                                           ? FQ_BOARD_PAGE_TICKETS
                                           : FQ_BOARD_PAGE_INCOMING);
  gtk_widget_grab_focus (GTK_WIDGET (self->board));
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  fq_incident_board_focus_search (FQ_WINDOW (widget)->board);
}

static void
overdue_only_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  FqWindow *self = FQ_WINDOW (widget);

  fq_incident_board_set_page (self->board, FQ_BOARD_PAGE_TICKETS);
  fq_incident_board_toggle_overdue (self->board);
}

static void
toggle_sidebar_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  FqWindow *self = FQ_WINDOW (widget);

  gtk_toggle_button_set_active (self->sidebar_button,
                                !gtk_toggle_button_get_active (self->sidebar_button));
}

static void
find_place_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  FqWindow *self = FQ_WINDOW (widget);

  gtk_toggle_button_set_active (self->sidebar_button, TRUE);
  fq_grid_sidebar_focus_search (self->sidebar);
}

static void
wall_mode_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  fq_wall_mode_toggle (fq_wall_mode_get_for_window (FQ_WINDOW (widget)));
}

static void
close_details_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  close_details_cb (FQ_WINDOW (widget));
}

/* F6 moves between the three regions, as in GNOME applications: the grid,
 * the board and the details. */
static void
focus_pane_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  FqWindow *self = FQ_WINDOW (widget);
  GtkWidget *panes[3];
  guint n = 0;
  guint current = 0;
  gboolean forward = g_str_equal (action_name, "win.focus-next-pane");
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));

  if (gtk_widget_get_visible (GTK_WIDGET (self->sidebar)))
    panes[n++] = GTK_WIDGET (self->sidebar);
  panes[n++] = GTK_WIDGET (self->board);
  if (!g_str_equal (gtk_stack_get_visible_child_name (self->detail_stack), "empty"))
    panes[n++] = GTK_WIDGET (self->detail_stack);

  for (guint i = 0; i < n; i++)
    if (focus != NULL && (focus == panes[i] || gtk_widget_is_ancestor (focus, panes[i])))
      current = i;

  current = forward ? (current + 1) % n : (current + n - 1) % n;
  if (panes[current] == GTK_WIDGET (self->detail_stack))
    gtk_widget_grab_focus (gtk_stack_get_visible_child (self->detail_stack));
  else
    gtk_widget_grab_focus (panes[current]);
}

/* The board's width below which the detail pane does not take its stored
 * width: the Incoming columns (time, source, category, place, repeat: 584
 * px) and about 180 px of summary. */
#define BOARD_READABLE_WIDTH 760

/* GtkPaned counts from the start and clamps its position to what fits, so
 * the stored widths are applied once the window has its real size (its
 * first allocations can be narrower): the sidebar's from the left, the
 * detail pane's from the right, so that it keeps its width when the window
 * is resized. */
static void
paned_max_position_cb (FqWindow   *self,
                       GParamSpec *pspec,
                       GtkPaned   *paned)
{
  GSettings *settings = fq_context_get_settings (self->context);
  int max_position;

  g_object_get (paned, "max-position", &max_position, NULL);
  if (max_position <= 0 || max_position == G_MAXINT)
    return;

  if (paned == self->outer_paned && !self->sidebar_width_applied)
    {
      int width = g_settings_get_int (settings, "sidebar-width");

      if (max_position >= width)
        {
          gtk_paned_set_position (paned, width);
          self->sidebar_width_applied = TRUE;
        }
    }
  else if (paned == self->inner_paned && !self->detail_width_applied)
    {
      int position = gtk_widget_get_width (GTK_WIDGET (paned))
                     - g_settings_get_int (settings, "detail-width");

      /* The board keeps room for its fixed columns and a readable summary
       * (BOARD_READABLE_WIDTH): on a narrow window the stored width of the
       * pane gives way, as it did while the board's filter row was wider
       * than that. */
      position = MAX (position, BOARD_READABLE_WIDTH);
      if (position <= max_position)
        {
          gtk_paned_set_position (paned, position);
          self->detail_width_applied = TRUE;
        }
    }
}

static gboolean
fq_window_close_request (GtkWindow *window)
{
  FqWindow *self = (FqWindow *)window;
  GSettings *settings = fq_context_get_settings (self->context);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_delay (settings);
  g_settings_set_boolean (settings, "window-maximized", gtk_window_is_maximized (window));
  if (!gtk_window_is_maximized (window))
    {
      g_settings_set_int (settings, "window-width", MAX (width, 640));
      g_settings_set_int (settings, "window-height", MAX (height, 480));
    }
  if (self->detail_width_applied)
    g_settings_set_int (settings, "detail-width",
                        CLAMP (gtk_widget_get_width (GTK_WIDGET (self->inner_paned))
                               - gtk_paned_get_position (self->inner_paned), 280, 1000));
  if (self->sidebar_width_applied && gtk_widget_get_visible (GTK_WIDGET (self->sidebar)))
    g_settings_set_int (settings, "sidebar-width",
                        CLAMP (gtk_paned_get_position (self->outer_paned), 160, 800));
  fq_incident_board_save_state (self->board);
  g_settings_apply (settings);

  return GTK_WINDOW_CLASS (fq_window_parent_class)->close_request (window);
}

static gboolean
clock_tick_cb (gpointer user_data)
{
  FqWindow *self = user_data;

  /* "Offline since" and the pending count need no more than this. */
  update_connection (self);

  return G_SOURCE_CONTINUE;
}

static void
apply_role (FqWindow *self)
{
  FqRole role = fq_context_get_role (self->context);
  gboolean can_take_in = role == FQ_ROLE_OPERATOR || role == FQ_ROLE_GRID_WORKER
                         || role == FQ_ROLE_ADMIN || role == FQ_ROLE_COORDINATOR;
  const char *empty_hint;

  /* Shown only to those who take calls in: a unit's staff and leaders
   * would see a button that never works. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.new-incident", can_take_in);
  gtk_widget_set_visible (self->new_incident_button, can_take_in);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.import-orders",
                                 role == FQ_ROLE_OPERATOR || role == FQ_ROLE_COORDINATOR ||
                                 role == FQ_ROLE_ADMIN);

  /* The pages each role works with (DOMAIN.md, roles). */
  adw_view_stack_page_set_visible (self->sessions_page,
                                   role == FQ_ROLE_COORDINATOR || role == FQ_ROLE_UNIT ||
                                   role == FQ_ROLE_LEADER || role == FQ_ROLE_ADMIN);
  adw_view_stack_page_set_visible (self->summary_page,
                                   role == FQ_ROLE_LEADER || role == FQ_ROLE_COORDINATOR ||
                                   role == FQ_ROLE_ADMIN);
  adw_view_stack_page_set_visible (self->admin_page, role == FQ_ROLE_ADMIN);

  /* What the details pane is for, in each role's own work. */
  if (role == FQ_ROLE_UNIT)
    empty_hint = _("Select a ticket to accept it, report progress or resolve it.");
  else if (role == FQ_ROLE_LEADER)
    empty_hint = _("Select an incident or a ticket to read how it was handled.");
  else if (role == FQ_ROLE_GRID_WORKER)
    empty_hint = _("Select a matter to follow what became of it.");
  else
    empty_hint = _("Select an incident to triage it, or a ticket to follow it up.");
  adw_status_page_set_description (self->empty_status, empty_hint);

  /* A unit's staff work on their tickets; the incoming calls are not theirs. */
  if (role == FQ_ROLE_UNIT)
    fq_incident_board_set_page (self->board, FQ_BOARD_PAGE_TICKETS);
}

/* The work is on the board: the window opens with the keyboard there (on
 * a row of the page shown; Home goes to the first), not on the first button
 * of the header bar, where GTK would put it. On a new cache the board has
 * no row yet: it takes the focus when rows come, unless somebody has moved
 * the focus from where GTK put it meanwhile (start_focus_cb()). */
static gboolean
focus_board (FqWindow *self)
{
  return gtk_widget_get_mapped (GTK_WIDGET (self->board)) &&
         gtk_widget_grab_focus (GTK_WIDGET (self->board));
}

static void
note_start_focus_cb (gpointer data)
{
  FqWindow *self = data;

  g_set_weak_pointer (&self->start_focus, gtk_root_get_focus (GTK_ROOT (self)));
  g_object_unref (self);
}

static void
fq_window_map (GtkWidget *widget)
{
  FqWindow *self = (FqWindow *)widget;

  GTK_WIDGET_CLASS (fq_window_parent_class)->map (widget);

  if (self->focus_board_pending)
    {
      self->focus_board_pending = FALSE;
      if (!focus_board (self))
        {
          /* GTK chooses its focus once the window is shown. */
          self->focus_board_when_filled = TRUE;
          g_idle_add_once (note_start_focus_cb, g_object_ref (self));
        }
    }
}

static void
start_focus_cb (FqWindow *self)
{
  if (!self->focus_board_when_filled)
    return;
  if (gtk_root_get_focus (GTK_ROOT (self)) != self->start_focus)
    {
      /* Somebody has been at the keyboard: the focus stays theirs. */
      self->focus_board_when_filled = FALSE;
      return;
    }
  if (focus_board (self))
    self->focus_board_when_filled = FALSE;
}

static void
fq_window_constructed (GObject *object)
{
  FqWindow *self = (FqWindow *)object;
  GSettings *settings = fq_context_get_settings (self->context);
  FqSync *sync = fq_context_get_sync (self->context);
  FqOutbox *outbox = fq_context_get_outbox (self->context);

  G_OBJECT_CLASS (fq_window_parent_class)->constructed (object);

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (settings, "window-width"),
                               g_settings_get_int (settings, "window-height"));
  if (g_settings_get_boolean (settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  g_settings_bind (settings, "sidebar-visible", self->sidebar_button, "active", G_SETTINGS_BIND_DEFAULT);

  fq_grid_sidebar_set_context (self->sidebar, self->context);
  fq_incident_board_set_context (self->board, self->context);
  fq_triage_pane_set_context (self->triage_pane, self->context);
  fq_ticket_pane_set_context (self->ticket_pane, self->context);
  fq_sessions_view_set_context (self->sessions_view, self->context);
  fq_summary_view_set_context (self->summary_view, self->context);
  fq_admin_view_set_context (self->admin_view, self->context);

  if (sync != NULL)
    {
      g_signal_connect_object (sync, "notify::state", G_CALLBACK (update_connection),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (sync, "notify::catching-up", G_CALLBACK (update_connection),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (sync, "notify::progress", G_CALLBACK (update_connection),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (sync, "error", G_CALLBACK (sync_error_cb),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (sync, "cache-reset", G_CALLBACK (cache_reset_cb),
                               self, G_CONNECT_SWAPPED);
    }
  if (outbox != NULL)
    {
      g_signal_connect_object (outbox, "notify::n-pending", G_CALLBACK (update_connection),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (outbox, "conflict", G_CALLBACK (outbox_conflict_cb),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (outbox, "failed", G_CALLBACK (outbox_failed_cb),
                               self, G_CONNECT_SWAPPED);
    }
  /* Names of units and places come with the reference data. */
  g_signal_connect_object (fq_context_get_units (self->context), "items-changed",
                           G_CALLBACK (update_title), self, G_CONNECT_SWAPPED);

  self->focus_board_pending = TRUE;
  g_signal_connect_object (fq_context_get_incidents (self->context), "items-changed",
                           G_CALLBACK (start_focus_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (fq_context_get_tickets (self->context), "items-changed",
                           G_CALLBACK (start_focus_cb), self, G_CONNECT_SWAPPED);

  self->clock_id = g_timeout_add_seconds (30, clock_tick_cb, self);

  apply_role (self);
  update_title (self);
  update_connection (self);
}

static void
fq_window_dispose (GObject *object)
{
  FqWindow *self = (FqWindow *)object;

  g_clear_handle_id (&self->clock_id, g_source_remove);
  g_clear_weak_pointer (&self->start_focus);

  gtk_widget_dispose_template (GTK_WIDGET (self), FQ_TYPE_WINDOW);

  G_OBJECT_CLASS (fq_window_parent_class)->dispose (object);
}

static void
fq_window_finalize (GObject *object)
{
  FqWindow *self = (FqWindow *)object;

  g_clear_object (&self->context);

  G_OBJECT_CLASS (fq_window_parent_class)->finalize (object);
}

static void
fq_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  FqWindow *self = FQ_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  FqWindow *self = FQ_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_window_class_init (FqWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = fq_window_constructed;
  object_class->dispose = fq_window_dispose;
  object_class->finalize = fq_window_finalize;
  object_class->get_property = fq_window_get_property;
  object_class->set_property = fq_window_set_property;

  window_class->close_request = fq_window_close_request;
  widget_class->map = fq_window_map;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL,
                         FQ_TYPE_CONTEXT,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_install_action (widget_class, "win.new-incident", NULL, new_incident_action);
  gtk_widget_class_install_action (widget_class, "win.import-orders", NULL, import_orders_action);
  gtk_widget_class_install_action (widget_class, "win.show-view", "s", show_view_action);
  gtk_widget_class_install_action (widget_class, "win.show-session", "s", show_session_action);
  gtk_widget_class_install_action (widget_class, "win.show-incoming", NULL, show_page_action);
  gtk_widget_class_install_action (widget_class, "win.show-tickets", NULL, show_page_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.overdue-only", NULL, overdue_only_action);
  gtk_widget_class_install_action (widget_class, "win.toggle-sidebar", NULL, toggle_sidebar_action);
  gtk_widget_class_install_action (widget_class, "win.find-place", NULL, find_place_action);
  gtk_widget_class_install_action (widget_class, "win.close-details", NULL, close_details_action);
  gtk_widget_class_install_action (widget_class, "win.focus-next-pane", NULL, focus_pane_action);
  gtk_widget_class_install_action (widget_class, "win.focus-previous-pane", NULL, focus_pane_action);
  gtk_widget_class_install_action (widget_class, "win.wall-mode", NULL, wall_mode_action);

  g_type_ensure (FQ_TYPE_GRID_SIDEBAR);
  g_type_ensure (FQ_TYPE_INCIDENT_BOARD);
  g_type_ensure (FQ_TYPE_TRIAGE_PANE);
  g_type_ensure (FQ_TYPE_TICKET_PANE);
  g_type_ensure (FQ_TYPE_SESSIONS_VIEW);
  g_type_ensure (FQ_TYPE_SUMMARY_VIEW);
  g_type_ensure (FQ_TYPE_ADMIN_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/cn/fengqiao/Console/fq-window.ui");
  gtk_widget_class_bind_template_child (widget_class, FqWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, FqWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, FqWindow, sessions_page);
  gtk_widget_class_bind_template_child (widget_class, FqWindow, summary_page);
  gtk_widget_class_bind_template_child (widget_class, FqWindow, admin_page);
  gtk_widget_class_bind_template_child (widget_class, FqWindow, new_incident_button);
  gtk_widget_class_bind_template_child (widget_class, FqWindow, empty_status);
  gtk_widget_class_bind_template_child (widget_class, FqWindow, sessions_view);
  gtk_widget_class_bind_template_child (widget_class, FqWindow, summary_view);
  gtk_widget_class_bind_template_child (widget_class, FqWindow, admin_view);
  gtk_widget_class_bind_template_child (widget_class, FqWindow, sidebar_button);
  gtk_widget_class_bind_template_child (widget_class, FqWindow, connection_button);
  gtk_widget_class_bind_template_child (widget_class, FqWindow, connection_label);
  gtk_widget_class_bind_template_child (widget_class, FqWindow, connection_dot);
  gtk_widget_class_bind_template_child (widget_class, FqWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, FqWindow, outer_paned);
  gtk_widget_class_bind_template_child (widget_class, FqWindow, inner_paned);
  gtk_widget_class_bind_template_child (widget_class, FqWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, FqWindow, board);
  gtk_widget_class_bind_template_child (widget_class, FqWindow, detail_stack);
  gtk_widget_class_bind_template_child (widget_class, FqWindow, triage_pane);
  gtk_widget_class_bind_template_child (widget_class, FqWindow, ticket_pane);
  gtk_widget_class_bind_template_callback (widget_class, connection_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, incident_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, ticket_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, open_ticket_cb);
  gtk_widget_class_bind_template_callback (widget_class, board_row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, close_details_cb);
  gtk_widget_class_bind_template_callback (widget_class, triage_submitted_cb);
  gtk_widget_class_bind_template_callback (widget_class, sidebar_scope_cb);
  gtk_widget_class_bind_template_callback (widget_class, paned_max_position_cb);
  gtk_widget_class_bind_template_callback (widget_class, main_stack_page_cb);
}

static void
fq_window_init (FqWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  fq_fix_mnemonic_accessible_labels (GTK_WIDGET (self));

#if DEVELOPMENT
  gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
#endif
}

FqWindow *
fq_window_new (FqApplication *application,
               FqContext     *context)
{
  g_return_val_if_fail (FQ_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (FQ_IS_CONTEXT (context), NULL);

  return g_object_new (FQ_TYPE_WINDOW,
                       "application", application,
                       "context", context,
                       NULL);
}

FqContext *
fq_window_get_context (FqWindow *self)
{
  g_return_val_if_fail (FQ_IS_WINDOW (self), NULL);

  return self->context;
}

void
fq_window_toast (FqWindow   *self,
                 const char *message)
{
  AdwToast *toast;

  g_return_if_fail (FQ_IS_WINDOW (self));

  toast = adw_toast_new (message);
  adw_toast_set_timeout (toast, 6);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* Shows a page of the view stack: "board", "sessions", "summary" or "admin"
 * (ignored when the page is hidden for the user's role). */
void
fq_window_show_view (FqWindow   *self,
                     const char *name)
{
  GtkWidget *child;

  g_return_if_fail (FQ_IS_WINDOW (self));
  g_return_if_fail (name != NULL);

  child = adw_view_stack_get_child_by_name (self->main_stack, name);
  if (child == NULL ||
      !adw_view_stack_page_get_visible (adw_view_stack_get_page (self->main_stack, child)))
    return;

  adw_view_stack_set_visible_child (self->main_stack, child);
}

/* "Explain this number": the board, filtered to exactly @ids. */
void
fq_window_show_records (FqWindow           *self,
                        FqBoardPage         page,
                        const char         *title,
                        const char * const *ids)
{
  g_return_if_fail (FQ_IS_WINDOW (self));

  fq_window_show_view (self, "board");
  fq_incident_board_show_records (self->board, page, title, ids);
}

/* Opens ticket @id in the details pane of the board. */
void
fq_window_show_ticket (FqWindow   *self,
                       const char *id)
{
  g_return_if_fail (FQ_IS_WINDOW (self));
  g_return_if_fail (id != NULL);

  fq_window_show_view (self, "board");
  fq_incident_board_select_ticket (self->board, id);
  fq_ticket_pane_set_ticket (self->ticket_pane, id);
  show_detail (self, "ticket");
}
