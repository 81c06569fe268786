/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Test"

#include "config.h"

#include <string.h>

#include <adwaita.h>

#include "fq-context.h"
#include "fq-grid-report-dialog.h"
#include "fq-import-dialog.h"
#include "fq-json.h"
#include "fq-test-data-util.h"

/*
 * The intake channels of the console against a real server: the grid
 * worker's report form comes with their grid chosen and the common kinds
 * of matter, and what it sends arrives as an incident of source `grid`;
 * the CSV reader takes GB18030 and quoted fields; the import dialog maps
 * the columns by their titles, shows the server's dry run and imports only
 * on "Import N". Every dialog is finalized when released.
 */

typedef struct
{
  char          *dir;
  FqLocalServer *server;
  FqContext     *context;
  FqClient      *operator;
  FqClient      *leader;
  GSettings     *settings;
} Fixture;

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  const char *username = data;
  g_autofree char *server_dir = NULL;
  g_autofree char *sessions = NULL;

  f->dir = g_dir_make_tmp ("fq-test-intake-XXXXXX", NULL);
  if (!fq_test_have_server ())
    return;

  server_dir = g_build_filename (f->dir, "server", NULL);
  sessions = g_build_filename (f->dir, "sessions", NULL);
  f->server = fq_test_start_server (server_dir, NULL);
  f->settings = g_settings_new ("cn.fengqiao.Console");
  f->context = fq_test_start_context (f->server, f->settings, f->dir, username);

  f->operator = fq_test_login (fq_local_server_get_url (f->server), sessions, "operator");
  f->leader = fq_test_login (fq_local_server_get_url (f->server), sessions, "leader");
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  if (f->context != NULL)
    fq_context_stop (f->context);
  g_clear_object (&f->context);
  g_clear_object (&f->operator);
  g_clear_object (&f->leader);
  g_clear_object (&f->settings);
  if (f->server != NULL)
    fq_local_server_stop (f->server);
  g_clear_object (&f->server);
  fq_test_rm_rf (f->dir);
  g_free (f->dir);
}

/* The first descendant of @type (after skipping @skip of them). */
static GtkWidget *
find_widget (GtkWidget *root,
             GType      type,
             guint     *skip)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    {
      if (*skip == 0)
        return root;
      (*skip)--;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type, skip);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
nth_widget (GtkWidget *root,
            GType      type,
            guint      nth)
{
  return find_widget (root, type, &nth);
}

static GtkButton *
find_button (GtkWidget  *root,
             const char *label)
{
  if (GTK_IS_BUTTON (root) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (root)), label) == 0)
    return GTK_BUTTON (root);
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkButton *found = find_button (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Incidents of @source on the server whose summary (or external id) is
 * @needle. */
static guint
count_on_server (FqClient   *client,
                 const char *source,
                 const char *needle)
{
  g_autofree char *path = g_strdup_printf ("/incidents?source=%s&limit=1000", source);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = fq_test_call (client, "GET", path, NULL, NULL, &error);
  JsonArray *items;
  guint n = 0;

  g_assert_no_error (error);
  items = json_object_get_array_member (json_node_get_object (node), "incidents");
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *incident = json_array_get_object_element (items, i);

      if (g_strcmp0 (fq_json_string_or (incident, "summary", NULL),
                     needle) == 0 ||
          g_strcmp0 (fq_json_string_or (incident, "external_id", NULL),
                     needle) == 0)
        n++;
    }
  return n;
}

/* The leaders' figure of reports found before anyone called. */
static gint64
proactive_reports (FqClient *leader)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) from = g_date_time_add_days (now, -1);
  g_autoptr(GDateTime) to = g_date_time_add_days (now, 1);
  g_autofree char *from_text = g_date_time_format (from, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *to_text = g_date_time_format (to, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *path = g_strdup_printf ("/metrics/summary?from=%s&to=%s", from_text, to_text);
  JsonObject *current;

  node = fq_test_call (leader, "GET", path, NULL, NULL, &error);
  g_assert_no_error (error);
  current = json_object_get_object_member (json_node_get_object (node), "current");
  return json_object_get_int_member (current, "proactive_reports");
}

/* Every control a keyboard or screen-reader user reaches is named: buttons
 * by their label, rows by their title. */
static void
check_names (GtkWidget *widget)
{
  if (GTK_IS_BUTTON (widget) && !ADW_IS_COMBO_ROW (gtk_widget_get_parent (widget)))
    g_assert_true (gtk_button_get_label (GTK_BUTTON (widget)) != NULL ||
                   gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget),
                                                     GTK_ACCESSIBLE_PROPERTY_LABEL));
  if (ADW_IS_PREFERENCES_ROW (widget))
    {
      const char *title = adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget));

      g_assert_true (title != NULL && title[0] != '\0');
      return;
    }
  if (GTK_IS_WINDOW_CONTROLS (widget))
    return;
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    check_names (child);
}

typedef struct
{
  FqClient   *client;
  const char *source;
  const char *needle;
  guint       expected;
} ServerCount;

static gboolean
server_count_cond (gpointer data)
{
  ServerCount *count = data;

  return count_on_server (count->client, count->source, count->needle) == count->expected;
}

static void
test_grid_report (Fixture       *f,
                  gconstpointer  data)
{
  FqGridReportDialog *dialog;
  g_autoptr(JsonObject) empty = NULL;
  g_autoptr(JsonObject) body = NULL;
  g_autofree char *message = NULL;
  AdwComboRow *kinds;
  GtkWidget *summary;
  ServerCount count;
  gint64 before;

  if (f->server == NULL)
    {
      g_test_skip ("fengqiao-server is not built");
      return;
    }

  before = proactive_reports (f->leader);
  dialog = fq_grid_report_dialog_new (NULL, f->context);
  g_object_ref_sink (dialog);
  check_names (GTK_WIDGET (dialog));

  /* Their own grid, preselected; a common kind, preselected. */
  g_assert_cmpstr (fq_grid_report_dialog_get_grid (dialog), ==, fq_context_get_scope (f->context));
  g_assert_cmpstr (fq_grid_report_dialog_get_category (dialog), ==, "B01");
  kinds = ADW_COMBO_ROW (nth_widget (GTK_WIDGET (dialog), ADW_TYPE_COMBO_ROW, 1));
  /* Eight kinds and "the desk decides". */
  g_assert_cmpuint (g_list_model_get_n_items (adw_combo_row_get_model (kinds)), ==, 9);
  adw_combo_row_set_selected (kinds, 8);
  g_assert_null (fq_grid_report_dialog_get_category (dialog));
  adw_combo_row_set_selected (kinds, 7);
  g_assert_cmpstr (fq_grid_report_dialog_get_category (dialog), ==, "M02");

  /* No summary, no report. */
  empty = fq_grid_report_dialog_build_body (dialog, &message);
  g_assert_null (empty);
  g_assert_nonnull (message);
  g_clear_pointer (&message, g_free);

  summary = nth_widget (GTK_WIDGET (dialog), ADW_TYPE_ENTRY_ROW, 0);
  gtk_editable_set_text (GTK_EDITABLE (summary), "楼道里电动车在充电");
  body = fq_grid_report_dialog_build_body (dialog, &message);
  g_assert_nonnull (body);
  g_assert_cmpstr (json_object_get_string_member (body, "source"), ==, "grid");
  g_assert_cmpstr (json_object_get_string_member (body, "category"), ==, "M02");
  g_assert_false (json_object_has_member (body, "address"));

  /* Reported: it reaches the server as a proactive report. */
  g_signal_emit_by_name (find_button (GTK_WIDGET (dialog), "_Report"), "clicked");
  count = (ServerCount) { f->operator, "grid", "楼道里电动车在充电", 1 };
  g_assert_true (fq_test_wait (server_count_cond, &count, 30000));
  g_assert_cmpint (proactive_reports (f->leader), ==, before + 1);
  /* The form is ready for the next find. */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (summary)), ==, "");

  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_finalize_object (dialog);
}

static void
test_csv (void)
{
  const char *utf8 = "工单编号,诉求摘要,诉求内容\r\n"
                     "W1,\"楼上漏水, 很严重\",\"第一行\n第二行\"\r\n"
                     "\r\n"
                     "W2,\"他说\"\"你好\"\"\",\r\n";
  g_autofree char *gb = NULL;
  g_autoptr(GPtrArray) table = NULL;
  g_autoptr(GPtrArray) table_gb = NULL;
  g_autoptr(GPtrArray) broken = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cst = NULL;
  g_autofree char *slashes = NULL;
  g_autofree char *rfc = NULL;
  g_autofree char *bad = NULL;
  const char *encoding = NULL;
  gsize gb_length = 0;
  GStrv row;

  table = fq_import_parse_csv (utf8, strlen (utf8), &encoding, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (encoding, ==, "UTF-8");
  g_assert_cmpuint (table->len, ==, 3);
  row = g_ptr_array_index (table, 1);
  g_assert_cmpstr (row[1], ==, "楼上漏水, 很严重");
  g_assert_cmpstr (row[2], ==, "第一行\n第二行");
  row = g_ptr_array_index (table, 2);
  g_assert_cmpstr (row[1], ==, "他说\"你好\"");
  g_assert_cmpstr (row[2], ==, "");

  gb = g_convert (utf8, -1, "GB18030", "UTF-8", NULL, &gb_length, &error);
  g_assert_no_error (error);
  table_gb = fq_import_parse_csv (gb, gb_length, &encoding, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (encoding, ==, "GB18030");
  g_assert_cmpstr (((GStrv)g_ptr_array_index (table_gb, 0))[0], ==, "工单编号");
  g_assert_cmpstr (((GStrv)g_ptr_array_index (table_gb, 1))[1], ==, "楼上漏水, 很严重");

  broken = fq_import_parse_csv ("a,b\n1,\"open", 12, &encoding, &error);
  g_assert_null (broken);
  g_assert_nonnull (error);

  cst = fq_import_normalize_time ("2026-11-20 10:00:00");
  g_assert_true (g_str_has_prefix (cst, "2026-11-20T10:00:00"));
  g_assert_true (g_str_has_suffix (cst, "+08:00"));
  slashes = fq_import_normalize_time ("2026/11/20 10:05");
  g_assert_true (g_str_has_prefix (slashes, "2026-11-20T10:05:00"));
  rfc = fq_import_normalize_time ("2026-11-20T02:00:00Z");
  g_assert_true (g_str_has_prefix (rfc, "2026-11-20T02:00:00"));
  bad = fq_import_normalize_time ("昨天下午");
  g_assert_null (bad);
}

static gboolean
widget_sensitive_cond (gpointer data)
{
  return gtk_widget_get_sensitive (data);
}

static gboolean
pointer_gone_cond (gpointer data)
{
  return *(gpointer *)data == NULL;
}

static void
test_import_dialog (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *path = NULL;
  g_autofree char *id1 = NULL;
  g_autofree char *id2 = NULL;
  g_autofree char *csv = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GVariant) mapping = NULL;
  FqImportDialog *dialog;
  AdwComboRow *external, *grid, *summary;
  GtkButton *check, *import;
  ServerCount count;
  const char *column = NULL;

  if (f->server == NULL)
    {
      g_test_skip ("fengqiao-server is not built");
      return;
    }

  id1 = g_strdup_printf ("WO%u-1", g_random_int ());
  id2 = g_strdup_printf ("WO%u-2", g_random_int ());
  csv = g_strdup_printf ("序号,工单编号,来电时间,诉求摘要,网格编码\n"
                         "1,%s,2026-11-20 10:00,路灯不亮,420204004011\n"
                         "2,%s,2026-11-20 10:05,楼上漏水,420204004011\n"
                         "3,%s,2026-11-20 10:06,重复的工单,420204004011\n"
                         "4,WO-BAD,2026-11-20 10:07,不存在的网格,999999999999\n", id1, id2, id1);
  path = g_build_filename (f->dir, "orders.csv", NULL);
  g_assert_true (g_file_set_contents (path, csv, -1, NULL));
  file = g_file_new_for_path (path);

  dialog = fq_import_dialog_new (NULL, f->context);
  g_object_ref_sink (dialog);
  fq_import_dialog_load_file (dialog, file);
  check_names (GTK_WIDGET (dialog));

  /* The columns are guessed from their titles. */
  external = ADW_COMBO_ROW (nth_widget (GTK_WIDGET (dialog), ADW_TYPE_COMBO_ROW, 0));
  g_assert_true (fq_test_wait (widget_sensitive_cond, external, 10000));
  grid = ADW_COMBO_ROW (nth_widget (GTK_WIDGET (dialog), ADW_TYPE_COMBO_ROW, 5));
  summary = ADW_COMBO_ROW (nth_widget (GTK_WIDGET (dialog), ADW_TYPE_COMBO_ROW, 6));
  g_assert_cmpuint (adw_combo_row_get_selected (external), ==, 2);
  g_assert_cmpuint (adw_combo_row_get_selected (grid), ==, 5);
  g_assert_cmpuint (adw_combo_row_get_selected (summary), ==, 4);

  /* The dry run: nothing written, "Import 2" offered. */
  check = find_button (GTK_WIDGET (dialog), "Chec_k File");
  import = find_button (GTK_WIDGET (dialog), "_Import");
  g_signal_emit_by_name (check, "clicked");
  if (!fq_test_wait (widget_sensitive_cond, import, 30000))
    g_error ("no import offered: %s",
             gtk_label_get_label (GTK_LABEL (nth_widget (GTK_WIDGET (dialog), GTK_TYPE_LABEL, 2))));
  g_assert_cmpstr (gtk_button_get_label (import), ==, "_Import 2 Work Orders");
  g_assert_cmpuint (count_on_server (f->operator, "12345", id1), ==, 0);

  /* The mapping is remembered by column title. */
  mapping = g_settings_get_value (f->settings, "import-column-mapping");
  g_assert_true (g_variant_lookup (mapping, "external_id", "&s", &column));
  g_assert_cmpstr (column, ==, "工单编号");

  g_signal_emit_by_name (import, "clicked");
  count = (ServerCount) { f->operator, "12345", id2, 1 };
  g_assert_true (fq_test_wait (server_count_cond, &count, 30000));
  g_assert_cmpuint (count_on_server (f->operator, "12345", id1), ==, 1);
  g_assert_cmpuint (count_on_server (f->operator, "12345", "WO-BAD"), ==, 0);

  /* The server can have the orders before the dialog has the answer
   * (which holds it): it goes once that has come. */
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *)&dialog);
  g_object_unref (dialog);
  g_assert_true (fq_test_wait (pointer_gone_cond, &dialog, 30000));
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

  g_test_add ("/console/intake/grid-report", Fixture, "grid", setup, test_grid_report, teardown);
  g_test_add_func ("/console/intake/csv", test_csv);
  g_test_add ("/console/intake/import-dialog", Fixture, "operator", setup, test_import_dialog,
              teardown);

  return g_test_run ();
}
