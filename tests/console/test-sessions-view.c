/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <adwaita.h>

#include "fq-context.h"
#include "fq-sessions-view.h"
#include "fq-test-data-util.h"
#include "fq-test-widget-util.h"

/*
 * The sessions page against a demo server with a month of history, on a
 * console whose cache starts empty: while the cache fills, the page never
 * says there are no sessions; once it is whole, the page lists every
 * session the cache holds, one row each. (It does not follow the sessions
 * one by one during the fill, but reads them once at its end: without that
 * reading, this test finds the list empty.)
 */

typedef struct
{
  char          *dir;
  FqLocalServer *server;
  FqContext     *context;
  GtkWidget     *window;
  GtkWidget     *view;
  char          *title_while_filling;
} Fixture;

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  const char *args[] = { "--demo-history-months", "1", "--demo-feed-rate", "0", NULL };
  g_autofree char *data_dir = NULL;
  gboolean done = FALSE;

  f->dir = g_dir_make_tmp ("fq-test-sessions-view-XXXXXX", NULL);
  data_dir = g_build_filename (f->dir, "server", NULL);
  f->server = fq_local_server_new (data_dir);
  fq_local_server_set_extra_args (f->server, args);
  fq_local_server_start_async (f->server, NULL, fq_test_server_started_cb, &done);
  g_assert_true (fq_test_wait (fq_test_flag_cond, &done, 120000));
  g_assert_nonnull (fq_local_server_get_url (f->server));
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  if (f->window != NULL)
    gtk_window_destroy (GTK_WINDOW (f->window));
  if (f->context != NULL)
    fq_context_stop (f->context);
  g_clear_object (&f->context);
  fq_local_server_stop (f->server);
  g_clear_object (&f->server);
  fq_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->title_while_filling);
}

/* The rows that show a session, in every list of the page. */
static guint
count_session_rows (GtkWidget *root)
{
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LIST_BOX_ROW (child) && g_object_get_data (G_OBJECT (child), "fq-session") != NULL)
        n++;
      else
        n += count_session_rows (child);
    }
  return n;
}

static void
filling_cb (FqSync     *sync,
            GParamSpec *pspec,
            Fixture    *f)
{
  AdwStatusPage *empty = ADW_STATUS_PAGE (fq_test_find_descendant (f->view, ADW_TYPE_STATUS_PAGE));

  if (fq_sync_get_filling (sync) && f->title_while_filling == NULL)
    f->title_while_filling = g_strdup (adw_status_page_get_title (empty));
}

static void
listed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  *(GPtrArray **)user_data = fq_cache_list_records_finish (FQ_CACHE (object), result, &error);
  g_assert_no_error (error);
}

static gboolean
listed_cond (gpointer data)
{
  return *(GPtrArray **)data != NULL;
}

typedef struct
{
  GtkWidget *view;
  guint      expected;
} RowsCond;

static gboolean
rows_cond (gpointer data)
{
  RowsCond *cond = data;

  return count_session_rows (cond->view) == cond->expected;
}

static void
test_fill (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GPtrArray) sessions = NULL;
  AdwStatusPage *empty;
  RowsCond cond;

  f->context = fq_test_begin_context (f->server, NULL, f->dir, "coordinator");

  /* As the window does, once the context has started. */
  f->view = g_object_new (FQ_TYPE_SESSIONS_VIEW, NULL);
  fq_sessions_view_set_context (FQ_SESSIONS_VIEW (f->view), f->context);
  f->window = gtk_window_new ();
  gtk_window_set_child (GTK_WINDOW (f->window), f->view);
  gtk_window_present (GTK_WINDOW (f->window));
  g_signal_connect (fq_context_get_sync (f->context), "notify::filling", G_CALLBACK (filling_cb), f);
  filling_cb (fq_context_get_sync (f->context), NULL, f);

  g_assert_true (fq_test_wait (fq_test_context_ready_cond, f->context, 120000));

  /* It said so while the cache filled. */
  g_assert_cmpstr (f->title_while_filling, ==, "Receiving Sessions…");

  fq_cache_list_records_async (fq_context_get_cache (f->context), "session", NULL, NULL,
                               listed_cb, &sessions);
  g_assert_true (fq_test_wait (listed_cond, &sessions, 30000));
  g_assert_cmpuint (sessions->len, >, 0);

  /* Every session of the cache is listed once it is whole. */
  cond = (RowsCond) { f->view, sessions->len };
  if (!fq_test_wait (rows_cond, &cond, 30000))
    g_error ("the page lists %u sessions; the cache holds %u",
             count_session_rows (f->view), sessions->len);
  empty = ADW_STATUS_PAGE (fq_test_find_descendant (f->view, ADW_TYPE_STATUS_PAGE));
  g_assert_cmpstr (adw_status_page_get_title (empty), ==, "No Sessions");
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
  if (!fq_test_have_server ())
    {
      g_print ("1..0 # SKIP no server binary\n");
      return 77;
    }

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/sessions-view/fill", Fixture, NULL, setup, test_fill, teardown);

  return g_test_run ();
}
