/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <string.h>
#include <adwaita.h>

#include "fq-context.h"
#include "fq-incident-board.h"
#include "fq-test-data-util.h"

/*
 * The board on a real context against a real server: "explain this
 * number" (fq_incident_board_show_records) limits a page to exactly the
 * records given, with the other filters cleared and out of use and a
 * banner saying what is shown, until "Show All"; new calls come into view
 * at the top of Incoming, even with the console busy; and a unit user's
 * board opens on the unit's queue.
 */

#define GRID "420204004011"   /* 广州路社区居委会 */

typedef struct
{
  char          *dir;
  FqLocalServer *server;
  FqContext     *context;
  GtkWidget     *window;
  FqIncidentBoard *board;
} Fixture;

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  f->dir = g_dir_make_tmp ("fq-test-board-XXXXXX", NULL);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  if (f->window != NULL)
    gtk_window_destroy (GTK_WINDOW (f->window));
  if (f->context != NULL)
    {
      fq_context_stop (f->context);
      g_clear_object (&f->context);
    }
  if (f->server != NULL)
    fq_local_server_stop (f->server);
  g_clear_object (&f->server);
  fq_test_rm_rf (f->dir);
  g_free (f->dir);
}

/* A server, @username signed in, its context started and the board shown
 * in a window. */
static void
start (Fixture    *f,
       const char *username)
{
  g_autofree char *server_dir = g_build_filename (f->dir, "server", NULL);
  g_autoptr(GSettings) settings = g_settings_new ("cn.fengqiao.Console");

  f->server = fq_test_start_server (server_dir, NULL);
  f->context = fq_test_start_context (f->server, settings, f->dir, username);

  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1200, 700);
  f->board = FQ_INCIDENT_BOARD (fq_incident_board_new ());
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->board));
  fq_incident_board_set_context (f->board, f->context);
  gtk_window_present (GTK_WINDOW (f->window));
}

static GtkWidget *
find_widget (GtkWidget *widget,
             GType      type,
             const char *label)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type) &&
      (label == NULL ||
       (GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0)))
    return widget;
  /* Not into a drop-down's popover, which has a search entry of its own. */
  if (GTK_IS_DROP_DOWN (widget))
    return NULL;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

typedef struct
{
  FqContext  *context;
  const char *id;
  guint       n;
} Wait;

static gboolean
incident_shown_cond (gpointer data)
{
  Wait *w = data;

  return fq_incident_list_find (fq_context_get_incidents (w->context), w->id) != G_MAXUINT;
}

static gboolean
n_incidents_cond (gpointer data)
{
  Wait *w = data;
  FqIncidentList *incidents = fq_context_get_incidents (w->context);

  return !fq_incident_list_get_busy (incidents) &&
         g_list_model_get_n_items (G_LIST_MODEL (incidents)) == w->n;
}

static gboolean
widget_mapped_cond (gpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (data));
}

static gboolean
records_gone_cond (gpointer data)
{
  Fixture *f = data;

  return !fq_incident_board_get_records_active (f->board) &&
         !fq_incident_list_get_busy (fq_context_get_incidents (f->context));
}

static char *
post_incident (FqClient   *client,
               const char *summary)
{
  g_autofree char *body = g_strdup_printf ("{\"source\":\"110\",\"grid\":\"" GRID "\","
                                           "\"summary\":\"%s\",\"address\":\"广州路8号\"}", summary);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) created = fq_test_call (client, "POST", "/incidents", body, NULL, &error);

  g_assert_no_error (error);
  return g_strdup (json_object_get_string_member (json_node_get_object (created), "id"));
}

/* The board of an operator, and an administrator's client that posts the
 * calls. */
static FqClient *
start_operator_with_admin (Fixture *f)
{
  g_autofree char *sessions = g_build_filename (f->dir, "sessions-admin", NULL);

  start (f, "operator");
  return fq_test_login (fq_local_server_get_url (f->server), sessions, "admin");
}

static void
test_show_records (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(FqClient) other = NULL;
  g_autofree char *id1 = NULL, *id2 = NULL, *id3 = NULL;
  FqIncidentList *incidents;
  GtkWidget *search, *dropdown, *show_all;
  const char *text;
  Wait w = { 0, };
  guint n_before;

  if (!fq_test_have_server ())
    return;

  other = start_operator_with_admin (f);
  incidents = fq_context_get_incidents (f->context);
  w.context = f->context;

  id1 = post_incident (other, "楼上漏水");
  id2 = post_incident (other, "楼道堆物");
  id3 = post_incident (other, "夜间噪音");
  w.id = id3;
  g_assert_true (fq_test_wait (incident_shown_cond, &w, 10000));

  /* A filter of the user's own, which show_records() clears. */
  search = find_widget (GTK_WIDGET (f->board), GTK_TYPE_SEARCH_ENTRY, NULL);
  dropdown = find_widget (GTK_WIDGET (f->board), GTK_TYPE_DROP_DOWN, NULL);
  g_assert_nonnull (search);
  g_assert_nonnull (dropdown);
  gtk_editable_set_text (GTK_EDITABLE (search), "噪音");
  fq_incident_board_set_page (f->board, FQ_BOARD_PAGE_TICKETS);

  {
    const char *ids[] = { id1, id3, "I-not-in-this-cache", id1, NULL };

    fq_incident_board_show_records (f->board, FQ_BOARD_PAGE_INCOMING, "Calls today", ids);
  }
  w.n = 2;
  g_assert_true (fq_test_wait (n_incidents_cond, &w, 10000));
  g_assert_true (fq_incident_board_get_records_active (f->board));
  g_assert_cmpint (fq_incident_board_get_page (f->board), ==, FQ_BOARD_PAGE_INCOMING);
  g_assert_true (fq_incident_list_get_ids_active (incidents));

  /* Exactly those (received in the same second: in either order). */
  {
    g_autoptr(FqIncidentRow) first = g_list_model_get_item (G_LIST_MODEL (incidents), 0);
    g_autoptr(FqIncidentRow) second = g_list_model_get_item (G_LIST_MODEL (incidents), 1);
    const char *a = fq_incident_row_get_id (first);
    const char *b = fq_incident_row_get_id (second);

    g_assert_true ((g_strcmp0 (a, id1) == 0 && g_strcmp0 (b, id3) == 0) ||
                   (g_strcmp0 (a, id3) == 0 && g_strcmp0 (b, id1) == 0));
  }

  /* The banner: the title, three different ids, one not here. */
  text = fq_incident_board_get_records_text (f->board);
  g_assert_nonnull (text);
  g_assert_nonnull (strstr (text, "Calls today"));
  g_assert_nonnull (strstr (text, "3 records"));
  g_assert_nonnull (strstr (text, "1 not in this console"));

  /* The other filters: cleared, and out of use. */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (search)), ==, "");
  g_assert_false (gtk_widget_get_sensitive (search));
  g_assert_false (gtk_widget_get_sensitive (dropdown));

  /* "Show All": back to the board as it opens. */
  show_all = find_widget (GTK_WIDGET (f->board), GTK_TYPE_BUTTON, "_Show All");
  g_assert_nonnull (show_all);
  g_assert_true (gtk_widget_get_sensitive (show_all));
  /* On screen first, as for a person: a button activates only once it is
   * realized (GTK 4.8's GtkButton ignores the activation before), and the
   * banner's revealer shows it in a later frame. A busy machine let the
   * activation come first and the test wait in vain (seen in CI). */
  g_assert_true (fq_test_wait (widget_mapped_cond, show_all, 30000));
  gtk_widget_activate (show_all);
  if (!fq_test_wait (records_gone_cond, f, 30000))
    {
      /* Say which part stayed. */
      g_test_message ("records active: %d; incident list loading: %d, busy: %d",
                      fq_incident_board_get_records_active (f->board),
                      fq_incident_list_get_loading (incidents), fq_incident_list_get_busy (incidents));
      g_assert_not_reached ();
    }
  g_assert_null (fq_incident_board_get_records_text (f->board));
  g_assert_false (fq_incident_list_get_ids_active (incidents));
  g_assert_true (gtk_widget_get_sensitive (search));
  g_assert_true (gtk_widget_get_sensitive (dropdown));
  n_before = g_list_model_get_n_items (G_LIST_MODEL (incidents));
  g_assert_cmpuint (n_before, >=, 3);
  w.id = id2;
  g_assert_true (incident_shown_cond (&w));
}

/* The column view on screen (the page shown). */
static GtkColumnView *
shown_column_view (GtkWidget *widget)
{
  if (GTK_IS_COLUMN_VIEW (widget) && gtk_widget_get_mapped (widget))
    return GTK_COLUMN_VIEW (widget);
  if (GTK_IS_DROP_DOWN (widget))
    return NULL;
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkColumnView *found = shown_column_view (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
view_at_top (GtkColumnView *view)
{
  GtkAdjustment *adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view));

  return gtk_adjustment_get_value (adj) <= gtk_adjustment_get_lower (adj) + 1;
}

/* Lets the board take in what came: a few frames, laid out and drawn. */
static void
settle (void)
{
  fq_test_run_for (400);
}

static gboolean
second_over_cond (gpointer data)
{
  return g_get_real_time () > *(gint64 *)data;
}

/* Waits into the next second, so that calls made from now on are newer
 * than those before (times have whole seconds, and calls of one second
 * sort in any order). */
static void
next_second (void)
{
  gint64 end = (g_get_real_time () / G_USEC_PER_SEC + 1) * G_USEC_PER_SEC + 50000;

  g_assert_true (fq_test_wait (second_over_cond, &end, 5000));
}

/* A console busy elsewhere (filling its cache, drawing a chart) when rows
 * come: the main loop is held up after the board has heard of them. */
static void
busy_after_change_cb (GListModel *model,
                      guint       position,
                      guint       removed,
                      guint       added,
                      gpointer    user_data)
{
  if (*(gboolean *)user_data)
    g_usleep (250 * 1000);
}

static void
test_arrivals_in_view (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(FqClient) other = NULL;
  g_autofree char *newest = NULL;
  g_autoptr(GPtrArray) late = g_ptr_array_new_with_free_func (g_free);
  FqIncidentList *incidents;
  GtkColumnView *view;
  gboolean busy = FALSE;
  Wait w = { 0, };

  if (!fq_test_have_server ())
    return;

  other = start_operator_with_admin (f);
  incidents = fq_context_get_incidents (f->context);
  w.context = f->context;

  /* More calls than the window shows. */
  for (guint i = 0; i < 40; i++)
    {
      g_autofree char *summary = g_strdup_printf ("楼上噪音 %u", i);

      g_free (newest);
      newest = post_incident (other, summary);
    }
  w.id = newest;
  g_assert_true (fq_test_wait (incident_shown_cond, &w, 30000));
  settle ();
  view = shown_column_view (GTK_WIDGET (f->board));
  g_assert_nonnull (view);
  g_assert_cmpint (fq_incident_board_get_page (f->board), ==, FQ_BOARD_PAGE_INCOMING);
  {
    GtkAdjustment *adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view));

    /* Rows below the fold, so that the view could be left scrolled. */
    g_assert_cmpfloat (gtk_adjustment_get_upper (adj), >, gtk_adjustment_get_page_size (adj) + 100);
  }
  g_assert_true (view_at_top (view));

  /* New calls while the console is busy: the list, at the top and with no
   * pointer over it, still shows them, and not the rows that were first. */
  next_second ();
  g_signal_connect_after (incidents, "items-changed", G_CALLBACK (busy_after_change_cb), &busy);
  busy = TRUE;
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *summary = g_strdup_printf ("夜间施工 %u", i);

      g_ptr_array_add (late, post_incident (other, summary));
    }
  for (guint i = 0; i < late->len; i++)
    {
      w.id = g_ptr_array_index (late, i);
      g_assert_true (fq_test_wait (incident_shown_cond, &w, 30000));
    }
  busy = FALSE;
  settle ();
  /* The first rows (in either order among themselves). */
  for (guint i = 0; i < late->len; i++)
    g_assert_cmpuint (fq_incident_list_find (incidents, g_ptr_array_index (late, i)), <, late->len);
  g_assert_true (view_at_top (view));
  g_signal_handlers_disconnect_by_func (incidents, busy_after_change_cb, &busy);
}

static void
test_unit_queue (Fixture       *f,
                 gconstpointer  data)
{
  FqTicketList *tickets;
  GtkWidget *my_unit;

  if (!fq_test_have_server ())
    return;

  start (f, "unit");
  g_assert_cmpint (fq_context_get_role (f->context), ==, FQ_ROLE_UNIT);
  g_assert_nonnull (fq_context_get_unit (f->context));

  /* Opens on the tickets, the unit's own, by deadline, acceptance first. */
  tickets = fq_context_get_tickets (f->context);
  g_assert_cmpint (fq_incident_board_get_page (f->board), ==, FQ_BOARD_PAGE_TICKETS);
  g_assert_true (fq_ticket_list_get_acceptance_first (tickets));
  g_assert_cmpint (fq_ticket_list_get_sort_column (tickets), ==, FQ_TICKET_SORT_DEADLINE);
  g_assert_false (fq_ticket_list_get_sort_descending (tickets));
  my_unit = find_widget (GTK_WIDGET (f->board), GTK_TYPE_TOGGLE_BUTTON, "_My Unit");
  g_assert_nonnull (my_unit);
  g_assert_true (gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (my_unit)));
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

  g_test_add ("/board/show-records", Fixture, NULL, setup, test_show_records, teardown);
  g_test_add ("/board/arrivals-in-view", Fixture, NULL, setup, test_arrivals_in_view, teardown);
  g_test_add ("/board/unit-queue", Fixture, NULL, setup, test_unit_queue, teardown);

  return g_test_run ();
}
