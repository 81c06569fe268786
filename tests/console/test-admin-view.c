/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Test"

#include "config.h"

#include <string.h>

#include <adwaita.h>

#include "fq-admin-view.h"
#include "fq-context.h"
#include "fq-test-data-util.h"
#include "fq-test-widget-util.h"
#include "fq-triage-pane.h"

/*
 * The administrator's page against a real server: it lists the demo
 * accounts, an account created and then disabled through the API shows up
 * (after a refresh) and changes by its row, the audit trail and the keys
 * load, every control has an accessible name, and the page is finalized
 * when released. And the triage pane's Reveal Number: an operator sees the
 * caller's number masked until asking, the full number then, and the
 * asking is in the audit trail.
 */

typedef struct
{
  char          *dir;
  FqLocalServer *server;
  FqContext     *context;
  FqClient      *admin;
} Fixture;

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autofree char *server_dir = NULL;

  f->dir = g_dir_make_tmp ("fq-test-admin-view-XXXXXX", NULL);
  if (!fq_test_have_server ())
    return;

  server_dir = g_build_filename (f->dir, "server", NULL);
  f->server = fq_test_start_server (server_dir, NULL);
  f->context = fq_test_start_context (f->server, NULL, f->dir, data);

  /* The test's own connection, in a session directory of its own. */
  {
    g_autofree char *own = g_build_filename (f->dir, "own-sessions", NULL);

    f->admin = fq_test_login (fq_local_server_get_url (f->server), own, "admin");
  }
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  if (f->context != NULL)
    fq_context_stop (f->context);
  g_clear_object (&f->context);
  g_clear_object (&f->admin);
  if (f->server != NULL)
    fq_local_server_stop (f->server);
  g_clear_object (&f->server);
  fq_test_rm_rf (f->dir);
  g_free (f->dir);
}

static gboolean
needs_own_label (GtkWidget *widget)
{
  if (GTK_IS_ENTRY (widget) || GTK_IS_DROP_DOWN (widget))
    return TRUE;
  /* The page's lists; an expander row's inner list is libadwaita's own. */
  if (GTK_IS_LIST_BOX (widget))
    return gtk_widget_get_ancestor (widget, ADW_TYPE_EXPANDER_ROW) == NULL;
  if (GTK_IS_BUTTON (widget))
    return gtk_button_get_icon_name (GTK_BUTTON (widget)) != NULL
           && gtk_button_get_label (GTK_BUTTON (widget)) == NULL;
  return FALSE;
}

static guint
check_accessible_names (GtkWidget *widget)
{
  guint checked = 0;

  if (needs_own_label (widget))
    {
      if (!gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL) &&
          !gtk_test_accessible_has_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY))
        g_error ("%s %p has no accessible name", G_OBJECT_TYPE_NAME (widget), widget);
      checked++;
    }
  if (GTK_IS_ENTRY (widget) || GTK_IS_DROP_DOWN (widget) || ADW_IS_ENTRY_ROW (widget) ||
      ADW_IS_COMBO_ROW (widget) || GTK_IS_STACK_SWITCHER (widget))
    return checked;
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    checked += check_accessible_names (child);
  return checked;
}

typedef struct
{
  GListModel *users;
  const char *username;
  guint       at_least;
} UsersCond;

static gboolean
users_cond (gpointer data)
{
  UsersCond *cond = data;
  guint n = g_list_model_get_n_items (cond->users);

  if (n < cond->at_least)
    return FALSE;
  for (guint i = 0; cond->username != NULL && i < n; i++)
    {
      g_autoptr(GtkStringObject) item = g_list_model_get_item (cond->users, i);

      if (g_str_equal (gtk_string_object_get_string (item), cond->username))
        return TRUE;
    }
  return cond->username == NULL;
}

/* The row of @username, found by its subtitle. */
static AdwExpanderRow *
find_row (GtkWidget  *list,
          const char *username)
{
  for (GtkWidget *child = gtk_widget_get_first_child (list);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      const char *subtitle;

      if (!ADW_IS_EXPANDER_ROW (child))
        continue;
      subtitle = adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (child));
      if (subtitle != NULL && g_str_has_prefix (subtitle, username) &&
          subtitle[strlen (username)] == ' ')
        return ADW_EXPANDER_ROW (child);
    }
  return NULL;
}

static GtkWidget *
find_list (GtkWidget  *root,
           const char *username)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_LIST_BOX (child) && find_row (child, username) != NULL)
        return child;
      found = find_list (child, username);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_button (GtkWidget  *root,
             const char *label)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_BUTTON (child) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (child)), label) == 0)
        return child;
      found = find_button (child, label);
      if (found != NULL)
        return found;
    }
  return NULL;
}

typedef struct
{
  GtkWidget  *view;
  const char *username;
  const char *needle;
} RowCond;

static gboolean
row_subtitle_cond (gpointer data)
{
  RowCond *cond = data;
  GtkWidget *list = find_list (cond->view, cond->username);
  AdwExpanderRow *row = list != NULL ? find_row (list, cond->username) : NULL;

  return row != NULL && strstr (adw_expander_row_get_subtitle (row), cond->needle) != NULL;
}

static void
test_lists_users (Fixture       *f,
                  gconstpointer  data)
{
  GtkWidget *window;
  GtkWidget *view;
  GListModel *users;
  UsersCond cond = { NULL, "coordinator", 6 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) created = NULL;
  g_autoptr(JsonNode) disabled = NULL;
  g_autofree char *username = g_strdup_printf ("admintest%u", g_random_int_range (1000, 9999));
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  RowCond row_cond;

  if (f->server == NULL)
    {
      g_test_skip ("fengqiao-server is not built");
      return;
    }

  window = gtk_window_new ();
  view = g_object_new (FQ_TYPE_ADMIN_VIEW, NULL);
  g_object_ref_sink (view);
  gtk_window_set_child (GTK_WINDOW (window), view);
  gtk_window_present (GTK_WINDOW (window));
  fq_admin_view_set_context (FQ_ADMIN_VIEW (view), f->context);

  /* The demo accounts, from the server. */
  users = fq_admin_view_get_users (FQ_ADMIN_VIEW (view));
  cond.users = users;
  g_assert_true (fq_test_wait (users_cond, &cond, 30000));
  g_assert_cmpuint (g_list_model_get_n_items (users), >=, 6);
  row_cond = (RowCond) { view, "unit", "Unit staff" };
  g_assert_true (fq_test_wait (row_subtitle_cond, &row_cond, 10000));

  /* A new account, then disabled: after a refresh it is listed, and its
   * row says it is disabled. */
  body = g_strdup_printf ("{\"username\":\"%s\",\"display_name\":\"测试管理\","
                          "\"password\":\"Admin-view-2026\",\"role\":\"operator\","
                          "\"scope\":\"420204000000\"}", username);
  created = fq_test_call (f->admin, "POST", "/users", body, NULL, &error);
  g_assert_no_error (error);
  path = g_strdup_printf ("/users/%s/actions", username);
  disabled = fq_test_call (f->admin, "POST", path, "{\"action\":\"disable\"}", NULL, &error);
  g_assert_no_error (error);

  g_signal_emit_by_name (find_button (view, "_Refresh"), "clicked");
  cond.username = username;
  cond.at_least = 7;
  g_assert_true (fq_test_wait (users_cond, &cond, 30000));
  row_cond = (RowCond) { view, username, "Disabled" };
  g_assert_true (fq_test_wait (row_subtitle_cond, &row_cond, 10000));

  /* Six entries and three lists at least, besides the labelled buttons. */
  g_assert_cmpuint (check_accessible_names (view), >=, 9);

  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_finalize_object (view);
}

static void
test_reveal (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) created = NULL;
  g_autoptr(JsonNode) audit = NULL;
  g_autoptr(FqClient) desk = NULL;
  g_autofree char *path = NULL;
  g_autofree char *own = NULL;
  GtkWidget *window;
  GtkWidget *pane;
  GtkWidget *button;
  const char *id;
  FqTestLabelCond cond;

  if (f->server == NULL)
    {
      g_test_skip ("fengqiao-server is not built");
      return;
    }

  own = g_build_filename (f->dir, "desk-sessions", NULL);
  desk = fq_test_login (fq_local_server_get_url (f->server), own, "operator");
  created = fq_test_call (desk, "POST", "/incidents",
                          "{\"source\":\"12345\",\"grid\":\"420204004011\",\"summary\":\"楼道堆放杂物\","
                          "\"caller_name\":\"赵女士\",\"caller_phone\":\"13712345678\"}", NULL, &error);
  g_assert_no_error (error);
  id = json_object_get_string_member (json_node_get_object (created), "id");

  window = gtk_window_new ();
  pane = fq_triage_pane_new ();
  gtk_window_set_child (GTK_WINDOW (window), pane);
  gtk_window_present (GTK_WINDOW (window));
  fq_triage_pane_set_context (FQ_TRIAGE_PANE (pane), f->context);
  fq_triage_pane_set_incident (FQ_TRIAGE_PANE (pane), id);

  /* Masked until asked, although the operator's cache has the number. */
  cond = (FqTestLabelCond) { pane, "137****5678" };
  g_assert_true (fq_test_wait (fq_test_label_cond, &cond, 30000));
  g_assert_false (fq_test_has_label (pane, "13712345678"));

  button = find_button (pane, "_Reveal Number");
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_visible (button));
  g_assert_true (gtk_test_accessible_has_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL));
  g_signal_emit_by_name (button, "clicked");
  cond = (FqTestLabelCond) { pane, "13712345678" };
  g_assert_true (fq_test_wait (fq_test_label_cond, &cond, 30000));
  g_assert_false (gtk_widget_get_visible (button));

  /* Who asked, for which incident. */
  path = g_strdup_printf ("/audit?action=reveal&entity_id=%s", id);
  audit = fq_test_call (f->admin, "GET", path, NULL, NULL, &error);
  g_assert_no_error (error);
  {
    JsonArray *entries = json_object_get_array_member (json_node_get_object (audit), "entries");

    g_assert_cmpuint (json_array_get_length (entries), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (entries, 0), "username"),
                     ==, "operator");
  }

  gtk_window_destroy (GTK_WINDOW (window));
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

  g_test_add ("/admin-view/lists-users", Fixture, "admin", setup, test_lists_users, teardown);
  g_test_add ("/admin-view/triage-reveal", Fixture, "operator", setup, test_reveal, teardown);

  return g_test_run ();
}
