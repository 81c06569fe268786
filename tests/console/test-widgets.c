/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <adwaita.h>

#include "fq-grid-sidebar.h"
#include "fq-incident-board.h"
#include "fq-role-chooser.h"
#include "fq-ticket-pane.h"
#include "fq-triage-pane.h"

/*
 * Each main widget of the console is built from its template, every control
 * in it a keyboard or screen-reader user reaches has an accessible name, and
 * the widget is finalized when released (g_assert_finalize_object): a
 * reference cycle or a leaked template child fails here.
 */

static gboolean
needs_own_label (GtkWidget *widget)
{
  if (GTK_IS_SEARCH_ENTRY (widget) || GTK_IS_DROP_DOWN (widget) || GTK_IS_LIST_VIEW (widget)
      || GTK_IS_COLUMN_VIEW (widget) || GTK_IS_MENU_BUTTON (widget) || GTK_IS_TEXT_VIEW (widget)
      || GTK_IS_SPIN_BUTTON (widget))
    return TRUE;

  /* A button names itself by its label; an icon-only one cannot. */
  if (GTK_IS_BUTTON (widget))
    return gtk_button_get_icon_name (GTK_BUTTON (widget)) != NULL
           && gtk_button_get_label (GTK_BUTTON (widget)) == NULL;

  return FALSE;
}

/* Libadwaita's and GTK's own composite controls name their parts. */
static gboolean
is_opaque (GtkWidget *widget)
{
  return GTK_IS_MENU_BUTTON (widget) || GTK_IS_DROP_DOWN (widget) || GTK_IS_SEARCH_ENTRY (widget)
         || GTK_IS_SPIN_BUTTON (widget) || GTK_IS_WINDOW_CONTROLS (widget)
         || ADW_IS_ENTRY_ROW (widget) || ADW_IS_COMBO_ROW (widget) || GTK_IS_COLUMN_VIEW (widget);
}

static guint
check_accessible_names (GtkWidget *widget)
{
  guint checked = 0;

  if (needs_own_label (widget))
    {
      gboolean named = gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget),
                                                         GTK_ACCESSIBLE_PROPERTY_LABEL)
                       || gtk_test_accessible_has_relation (GTK_ACCESSIBLE (widget),
                                                            GTK_ACCESSIBLE_RELATION_LABELLED_BY);

      if (!named)
        g_error ("%s %p (in %s) has no accessible name",
                 G_OBJECT_TYPE_NAME (widget), widget,
                 G_OBJECT_TYPE_NAME (gtk_widget_get_parent (widget)));
      checked++;
    }

  if (is_opaque (widget))
    return checked;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    checked += check_accessible_names (child);

  return checked;
}

static void
check_widget (GtkWidget *widget,
              guint      min_controls)
{
  guint checked;

  g_object_ref_sink (widget);
  checked = check_accessible_names (widget);
  g_assert_cmpuint (checked, >=, min_controls);
  g_assert_finalize_object (widget);
}

static void
test_role_chooser (void)
{
  GtkWidget *chooser = fq_role_chooser_new ();

  /* The list of roles is the one control; each role is an activatable row. */
  check_widget (chooser, 0);
}

static void
test_grid_sidebar (void)
{
  GtkWidget *sidebar = fq_grid_sidebar_new ();

  g_assert_null (fq_grid_sidebar_get_scope_prefix (FQ_GRID_SIDEBAR (sidebar)));
  /* The search entry and the tree. */
  check_widget (sidebar, 2);
}

static void
test_incident_board (void)
{
  GtkWidget *board = fq_incident_board_new ();

  g_assert_cmpint (fq_incident_board_get_page (FQ_INCIDENT_BOARD (board)), ==, FQ_BOARD_PAGE_INCOMING);
  fq_incident_board_set_page (FQ_INCIDENT_BOARD (board), FQ_BOARD_PAGE_TICKETS);
  g_assert_cmpint (fq_incident_board_get_page (FQ_INCIDENT_BOARD (board)), ==, FQ_BOARD_PAGE_TICKETS);

  /* Four filters, the search entry and the two tables. */
  check_widget (board, 7);
}

static void
test_triage_pane (void)
{
  GtkWidget *pane = fq_triage_pane_new ();

  g_assert_null (fq_triage_pane_get_incident (FQ_TRIAGE_PANE (pane)));
  /* The close button at least. */
  check_widget (pane, 1);
}

/* A pane with nothing to decide (a matter decided without a ticket, or no
 * matter yet) gives the focus to its first control if it shows one: the
 * fallback once called the pane's own grab_focus again, until the stack
 * ran out, when Enter on such a row of the board moved the focus to the
 * pane. */
static void
check_pane_takes_focus (GtkWidget *pane)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *focus;

  gtk_window_set_child (GTK_WINDOW (window), pane);
  gtk_window_present (GTK_WINDOW (window));
  while (!gtk_widget_get_mapped (pane))
    g_main_context_iteration (NULL, TRUE);
  if (gtk_widget_grab_focus (pane))
    {
      focus = gtk_root_get_focus (GTK_ROOT (window));
      g_assert_nonnull (focus);
      g_assert_true (gtk_widget_is_ancestor (focus, pane));
    }
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_panes_take_focus (void)
{
  check_pane_takes_focus (fq_triage_pane_new ());
  check_pane_takes_focus (fq_ticket_pane_new ());
}

static void
test_ticket_pane (void)
{
  GtkWidget *pane = fq_ticket_pane_new ();

  g_assert_null (fq_ticket_pane_get_ticket (FQ_TICKET_PANE (pane)));
  /* The close button, the unit chooser and the satisfaction spin button. */
  check_widget (pane, 3);
}

int
main (int   argc,
      char *argv[])
{
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_print ("1..0 # SKIP no display\n");
      return 77;
    }

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/console/widgets/role-chooser", test_role_chooser);
  g_test_add_func ("/console/widgets/grid-sidebar", test_grid_sidebar);
  g_test_add_func ("/console/widgets/incident-board", test_incident_board);
  g_test_add_func ("/console/widgets/triage-pane", test_triage_pane);
  g_test_add_func ("/console/widgets/ticket-pane", test_ticket_pane);
  g_test_add_func ("/console/widgets/panes-take-focus", test_panes_take_focus);

  return g_test_run ();
}
