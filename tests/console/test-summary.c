/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The leaders' summary against a real server:
 *
 *  - CSV: every table starts with the UTF-8 byte-order mark, and its
 *    Chinese, commas and quotes read back exactly;
 *  - the trend chart: the one drawing serves screen and paper, the keyboard
 *    chooses and activates bars, and the description says what it shows;
 *  - the view: after incidents and tickets are made through the API, the
 *    tiles show the server's figures; activating a tile lists exactly the
 *    records /metrics/records gives, as many as the tile says, and the
 *    board shown those ids has exactly those rows ("explain this number");
 *  - the PDF report of the panel has its Chinese as text (pdftotext) and
 *    an embedded CJK font (pdffonts).
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include <adwaita.h>

#include "fq-incident-board.h"
#include "fq-summary-table.h"
#include "fq-summary-view.h"
#include "fq-test-data-util.h"
#include "fq-trend-chart.h"

#define GRID "420204004011"   /* 广州路社区居委会 */

/* ---- CSV ---- */

/* A minimal CSV reader (RFC 4180) for checking what was written. */
static GPtrArray *
parse_csv (const char *text,
           gsize       length)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify)g_ptr_array_unref);
  GPtrArray *row = g_ptr_array_new_with_free_func (g_free);
  GString *field = g_string_new (NULL);
  gboolean quoted = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char c = text[i];

      if (quoted)
        {
          if (c == '"' && i + 1 < length && text[i + 1] == '"')
            {
              g_string_append_c (field, '"');
              i++;
            }
          else if (c == '"')
            quoted = FALSE;
          else
            g_string_append_c (field, c);
          continue;
        }
      if (c == '"')
        quoted = TRUE;
      else if (c == ',')
        {
          g_ptr_array_add (row, g_strdup (field->str));
          g_string_truncate (field, 0);
        }
      else if (c == '\r' && i + 1 < length && text[i + 1] == '\n')
        {
          g_ptr_array_add (row, g_strdup (field->str));
          g_string_truncate (field, 0);
          g_ptr_array_add (rows, row);
          row = g_ptr_array_new_with_free_func (g_free);
          i++;
        }
      else
        g_string_append_c (field, c);
    }
  g_assert_false (quoted);
  g_assert_cmpuint (field->len, ==, 0);
  g_assert_cmpuint (row->len, ==, 0);
  g_ptr_array_unref (row);
  g_string_free (field, TRUE);
  return rows;
}

/* Checks the BOM and returns the rows after it. */
static GPtrArray *
read_csv (GBytes *bytes)
{
  gsize length = 0;
  const char *data = g_bytes_get_data (bytes, &length);

  g_assert_cmpuint (length, >=, 3);
  g_assert_cmpmem (data, 3, "\xEF\xBB\xBF", 3);
  g_assert_true (g_utf8_validate (data, length, NULL));
  return parse_csv (data + 3, length - 3);
}

static const char *
cell (GPtrArray *rows,
      guint      row,
      guint      column)
{
  GPtrArray *r = g_ptr_array_index (rows, row);

  g_assert_cmpuint (column, <, r->len);
  return g_ptr_array_index (r, column);
}

static void
test_csv (void)
{
  GtkWidget *table = g_object_ref_sink (fq_summary_table_new ("测试"));
  g_autoptr(JsonArray) rows = json_array_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GPtrArray) parsed = NULL;
  const char *names[] = { "下陆区团城山街道办事处", "名称, 含逗号", "带\"引号\"的单位" };

  fq_summary_table_add_column (FQ_SUMMARY_TABLE (table), "单位", "name", FQ_SUMMARY_COLUMN_TEXT, TRUE);
  fq_summary_table_add_column (FQ_SUMMARY_TABLE (table), "受理", "n", FQ_SUMMARY_COLUMN_COUNT, FALSE);
  fq_summary_table_add_column (FQ_SUMMARY_TABLE (table), "办结率", "rate", FQ_SUMMARY_COLUMN_RATIO, FALSE);
  fq_summary_table_add_column (FQ_SUMMARY_TABLE (table), "得分", "score", FQ_SUMMARY_COLUMN_SCORE, FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      JsonObject *row = json_object_new ();

      json_object_set_string_member (row, "name", names[i]);
      json_object_set_int_member (row, "n", 1234 * (i + 1));
      if (i == 2)
        json_object_set_null_member (row, "rate");
      else
        json_object_set_double_member (row, "rate", 0.976);
      json_object_set_double_member (row, "score", 80.25 + i);
      json_array_add_object_element (rows, row);
    }
  fq_summary_table_set_rows (FQ_SUMMARY_TABLE (table), rows);
  fq_summary_table_sort_by (FQ_SUMMARY_TABLE (table), "n", TRUE);

  bytes = fq_summary_table_to_csv (FQ_SUMMARY_TABLE (table));
  parsed = read_csv (bytes);
  g_assert_cmpuint (parsed->len, ==, 4);
  g_assert_cmpstr (cell (parsed, 0, 0), ==, "单位");
  g_assert_cmpstr (cell (parsed, 0, 2), ==, "办结率");
  /* Sorted as shown: most received first. */
  g_assert_cmpstr (cell (parsed, 1, 0), ==, names[2]);
  g_assert_cmpstr (cell (parsed, 2, 0), ==, names[1]);
  g_assert_cmpstr (cell (parsed, 3, 0), ==, names[0]);
  g_assert_cmpstr (cell (parsed, 3, 1), ==, "1234");
  g_assert_cmpstr (cell (parsed, 3, 2), ==, "97.6%");
  g_assert_cmpstr (cell (parsed, 1, 2), ==, "");
  g_assert_cmpstr (cell (parsed, 3, 3), ==, "80.2");

  g_assert_finalize_object (table);
}

/* A unit without a figure ("—") comes after every figure, whichever way
 * its column is sorted: sorting by on-time rate, lowest first, puts the
 * units that did worst on top, not those that had nothing to do. */
static char *
names_in_order (FqSummaryTable *table)
{
  GString *names = g_string_new (NULL);

  for (guint i = 0; i < 4; i++)
    g_string_append_printf (names, "%s%s", i > 0 ? "," : "",
                            json_object_get_string_member (fq_summary_table_get_row (table, i),
                                                           "name"));
  return g_string_free (names, FALSE);
}

static void
test_missing_last (void)
{
  GtkWidget *table = g_object_ref_sink (fq_summary_table_new ("测试"));
  g_autoptr(JsonArray) rows = json_array_new ();
  static const struct { const char *name; double rate; double score; } units[] = {
    { "A", 0.5, -1 }, { "B", -1, 70 }, { "C", 0.9, 90 }, { "D", 0.7, -1 },
  };
  char *order;

  fq_summary_table_add_column (FQ_SUMMARY_TABLE (table), "单位", "name", FQ_SUMMARY_COLUMN_TEXT, TRUE);
  fq_summary_table_add_column (FQ_SUMMARY_TABLE (table), "按时率", "rate", FQ_SUMMARY_COLUMN_RATIO, FALSE);
  fq_summary_table_add_column (FQ_SUMMARY_TABLE (table), "得分", "score", FQ_SUMMARY_COLUMN_SCORE, FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    {
      JsonObject *row = json_object_new ();

      json_object_set_string_member (row, "name", units[i].name);
      if (units[i].rate >= 0)
        json_object_set_double_member (row, "rate", units[i].rate);
      else
        json_object_set_null_member (row, "rate");
      if (units[i].score >= 0)
        json_object_set_double_member (row, "score", units[i].score);
      json_array_add_object_element (rows, row);
    }
  fq_summary_table_set_rows (FQ_SUMMARY_TABLE (table), rows);

  fq_summary_table_sort_by (FQ_SUMMARY_TABLE (table), "rate", FALSE);
  order = names_in_order (FQ_SUMMARY_TABLE (table));
  g_assert_cmpstr (order, ==, "A,D,C,B");
  g_free (order);
  fq_summary_table_sort_by (FQ_SUMMARY_TABLE (table), "rate", TRUE);
  order = names_in_order (FQ_SUMMARY_TABLE (table));
  g_assert_cmpstr (order, ==, "C,D,A,B");
  g_free (order);

  /* Another column, each way; a member missing altogether is no figure
   * either. */
  fq_summary_table_sort_by (FQ_SUMMARY_TABLE (table), "score", TRUE);
  order = names_in_order (FQ_SUMMARY_TABLE (table));
  g_assert_true (g_str_has_prefix (order, "C,B,"));
  g_free (order);
  fq_summary_table_sort_by (FQ_SUMMARY_TABLE (table), "score", FALSE);
  order = names_in_order (FQ_SUMMARY_TABLE (table));
  g_assert_true (g_str_has_prefix (order, "B,C,"));
  g_free (order);

  g_assert_finalize_object (table);
}

/* On a page that scrolls (the summary), a table shows all its rows up to
 * its own scrolling height, rather than the one or two rows a scrolled
 * page's minimum would leave it. */
static JsonArray *
numbered_rows (guint n)
{
  JsonArray *rows = json_array_new ();

  for (guint i = 0; i < n; i++)
    {
      JsonObject *row = json_object_new ();
      g_autofree char *name = g_strdup_printf ("单位 %u", i + 1);

      json_object_set_string_member (row, "name", name);
      json_object_set_int_member (row, "n", i);
      json_array_add_object_element (rows, row);
    }
  return rows;
}

static gboolean
allocated_cond (gpointer data)
{
  return gtk_widget_get_height (GTK_WIDGET (data)) > 0;
}

static int
table_height_on_page (guint n_rows,
                      int  *natural)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *page = gtk_scrolled_window_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *filler = gtk_label_new ("…");
  GtkWidget *table = fq_summary_table_new ("测试");
  g_autoptr(JsonArray) rows = numbered_rows (n_rows);
  int height, minimum;

  fq_summary_table_add_column (FQ_SUMMARY_TABLE (table), "单位", "name", FQ_SUMMARY_COLUMN_TEXT, TRUE);
  fq_summary_table_add_column (FQ_SUMMARY_TABLE (table), "受理", "n", FQ_SUMMARY_COLUMN_COUNT, FALSE);
  fq_summary_table_set_rows (FQ_SUMMARY_TABLE (table), rows);
  /* Taller than the window: the page scrolls. */
  gtk_widget_set_size_request (filler, -1, 1200);
  gtk_box_append (GTK_BOX (box), filler);
  gtk_box_append (GTK_BOX (box), table);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (page), box);
  gtk_window_set_child (GTK_WINDOW (window), page);
  gtk_window_set_default_size (GTK_WINDOW (window), 800, 600);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (fq_test_wait (allocated_cond, table, 10000));
  fq_test_run_for (200);

  height = gtk_widget_get_height (table);
  gtk_widget_measure (table, GTK_ORIENTATION_VERTICAL, gtk_widget_get_width (table), &minimum,
                      natural, NULL, NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  return height;
}

static void
test_table_height (void)
{
  int one, six, many, natural;

  one = table_height_on_page (1, &natural);
  g_assert_cmpint (one, ==, natural);
  six = table_height_on_page (6, &natural);
  g_assert_cmpint (six, ==, natural);
  /* Five more rows, each as tall as a line of text at least. */
  g_assert_cmpint (six - one, >=, 5 * 12);
  /* A long table stops growing and scrolls itself. */
  many = table_height_on_page (500, &natural);
  g_assert_cmpint (many, ==, natural);
  g_assert_cmpint (many, >, six);
  g_assert_cmpint (many, <=, 500);
}

/* ---- the trend chart ---- */

static void
bar_activated_cb (FqTrendChart *chart,
                  guint         index,
                  gpointer      user_data)
{
  *(int *)user_data = index;
}

static gboolean
send_key (GtkWidget *widget,
          guint      keyval)
{
  GtkEventController *key = NULL;
  GListModel *controllers = gtk_widget_observe_controllers (widget);
  gboolean handled = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers) && key == NULL; i++)
    {
      g_autoptr(GtkEventController) c = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_KEY (c))
        key = c;
    }
  g_assert_nonnull (key);
  g_signal_emit_by_name (key, "key-pressed", keyval, 0, 0, &handled);
  g_object_unref (controllers);
  return handled;
}

static void
test_trend_chart (void)
{
  const char *axis[] = { "11月2日", "11月9日", "11月16日", "11月23日" };
  const char *longs[] = { "11月2日那周", "11月9日那周", "11月16日那周", "11月23日那周" };
  const double values[] = { 120, 4520, 320, 0 };
  g_autoptr(FqTrendData) data = fq_trend_data_new ("警情（每周）", 4, axis, longs, values, NULL);
  GtkWidget *chart = g_object_ref_sink (fq_trend_chart_new ());
  g_autofree char *description = fq_trend_data_describe (data);
  cairo_surface_t *surface;
  cairo_t *cr;
  FqTrendStyle style;
  int activated = -1;

  /* Read aloud: the whole, the most and the least. */
  g_assert_nonnull (strstr (description, "警情（每周）"));
  g_assert_true (strstr (description, "4,960") != NULL || strstr (description, "4960") != NULL);
  g_assert_nonnull (strstr (description, "11月9日那周"));
  g_assert_nonnull (strstr (description, "11月23日那周"));

  /* The report's drawing: paints something, on an image as on paper. */
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 400, 200);
  cr = cairo_create (surface);
  fq_trend_style_print (&style);
  fq_trend_chart_draw (cr, 400, 200, data, &style, 1);
  cairo_surface_flush (surface);
  {
    const guchar *pixels = cairo_image_surface_get_data (surface);
    int stride = cairo_image_surface_get_stride (surface);
    gboolean painted = FALSE;

    for (int y = 0; y < 200 && !painted; y++)
      for (int x = 0; x < 400 && !painted; x++)
        painted = pixels[y * stride + x * 4 + 3] != 0;
    g_assert_true (painted);
  }
  cairo_destroy (cr);
  cairo_surface_destroy (surface);

  /* One day (the 1st of the month, "this month") is one bar in the middle,
   * not a wall across the chart. */
  {
    const char *day[] = { "12月1日" };
    const double one[] = { 100 };
    g_autoptr(FqTrendData) single = fq_trend_data_new ("警情（按日）", 1, day, day, one, NULL);
    guint columns = 0, sum = 0;

    surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 800, 200);
    cr = cairo_create (surface);
    fq_trend_chart_draw (cr, 800, 200, single, &style, -1);
    cairo_surface_flush (surface);
    {
      const guchar *pixels = cairo_image_surface_get_data (surface);
      int stride = cairo_image_surface_get_stride (surface);

      /* A row through the bar (the value is the axis' top), right of the
       * value labels: the bar is the only strong colour there. */
      for (int x = 50; x < 800; x++)
        if (pixels[120 * stride + x * 4 + 3] > 100)
          {
            columns++;
            sum += x;
          }
    }
    g_assert_cmpuint (columns, >, 0);
    g_assert_cmpuint (columns, <=, 48);
    g_assert_cmpint (ABS ((int)(sum / columns) - 400), <, 40);
    cairo_destroy (cr);
    cairo_surface_destroy (surface);
  }

  /* Keyboard: End chooses the last bar, Left the one before, Enter
   * activates it. */
  fq_trend_chart_set_data (FQ_TREND_CHART (chart), data);
  g_signal_connect (chart, "bar-activated", G_CALLBACK (bar_activated_cb), &activated);
  g_assert_cmpint (fq_trend_chart_get_selected (FQ_TREND_CHART (chart)), ==, -1);
  g_assert_false (send_key (chart, GDK_KEY_Return));
  g_assert_true (send_key (chart, GDK_KEY_End));
  g_assert_true (send_key (chart, GDK_KEY_Left));
  g_assert_cmpint (fq_trend_chart_get_selected (FQ_TREND_CHART (chart)), ==, 2);
  g_assert_true (send_key (chart, GDK_KEY_Return));
  g_assert_cmpint (activated, ==, 2);
  g_assert_true (gtk_test_accessible_has_property (GTK_ACCESSIBLE (chart),
                                                   GTK_ACCESSIBLE_PROPERTY_DESCRIPTION));

  g_assert_finalize_object (chart);
}

/* ---- against a server ---- */

typedef struct
{
  char          *dir;
  FqLocalServer *server;
  FqContext     *context;
  FqClient      *operator;
} Fixture;

static void
start_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (fq_context_start_finish (FQ_CONTEXT (object), result, &error));
  g_assert_no_error (error);
  *(gboolean *)user_data = TRUE;
}

static gboolean
ready_cond (gpointer data)
{
  FqContext *context = data;

  return fq_sync_get_state (fq_context_get_sync (context)) == FQ_SYNC_STATE_ONLINE &&
         !fq_sync_get_catching_up (fq_context_get_sync (context)) &&
         !fq_incident_list_get_loading (fq_context_get_incidents (context)) &&
         !fq_ticket_list_get_loading (fq_context_get_tickets (context)) &&
         fq_grid_model_get_loaded (fq_context_get_grid (context));
}

static JsonObject *
call_object (FqClient   *client,
             const char *method,
             const char *path,
             const char *body)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = fq_test_call (client, method, path, body, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

/* Incidents through the API: two police calls from one phone (a repeat),
 * disputes mediated, settled on the scene and diverted. */
static void
make_records (Fixture *f)
{
  const char *plan[] = { "police", "police", "on_scene", "mediate", "divert", "divert",
                         "divert", "police", "on_scene", NULL };
  g_autoptr(JsonObject) cats = call_object (f->operator, "GET", "/categories", NULL);
  JsonArray *list = json_object_get_array_member (cats, "categories");
  const char *category = NULL;

  for (guint i = 0; i < json_array_get_length (list) && category == NULL; i++)
    {
      JsonObject *c = json_array_get_object_element (list, i);

      if (!json_object_get_boolean_member (c, "police_only"))
        category = json_object_get_string_member (c, "code");
    }
  g_assert_nonnull (category);

  for (guint i = 0; i < G_N_ELEMENTS (plan); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"source\":\"%s\",\"grid\":\"" GRID "\","
                                               "\"summary\":\"汇总测试 %u\",\"category\":\"%s\"%s}",
                                               i == 8 ? "grid" : "110", i, category,
                                               i < 2 ? ",\"caller_phone\":\"13900001111\"" : "");
      g_autoptr(JsonObject) incident = call_object (f->operator, "POST", "/incidents", body);
      g_autofree char *path = NULL;
      g_autofree char *triage = NULL;
      g_autoptr(JsonObject) answer = NULL;

      if (plan[i] == NULL)
        continue;
      path = g_strdup_printf ("/incidents/%s/triage", json_object_get_string_member (incident, "id"));
      triage = g_strdup_printf ("{\"decision\":\"%s\",\"category\":\"%s\",\"rev\":%" G_GINT64_FORMAT "}",
                                plan[i], category, json_object_get_int_member (incident, "rev"));
      answer = call_object (f->operator, "POST", path, triage);
    }
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *server_dir = NULL;
  g_autofree char *sessions = NULL;
  g_autofree char *cache_path = NULL;
  FqClient *client;
  gboolean done = FALSE;

  f->dir = g_dir_make_tmp ("fq-summary-XXXXXX", NULL);
  if (!fq_test_have_server ())
    return;

  server_dir = g_build_filename (f->dir, "server", NULL);
  sessions = g_build_filename (f->dir, "sessions", NULL);
  cache_path = g_build_filename (f->dir, "cache.db", NULL);
  if (data != NULL)
    {
      /* Months of history, so that every period compared has tickets. */
      const char *args[] = { "--demo-history-months", data, "--demo-feed-rate", "0", NULL };

      f->server = fq_test_start_server_with_args (server_dir, NULL, args);
    }
  else
    f->server = fq_test_start_server (server_dir, NULL);
  f->operator = fq_test_login (fq_local_server_get_url (f->server), sessions, "operator");
  make_records (f);

  {
    /* The board keeps its columns in the settings (memory backend here). */
    g_autoptr(GSettings) settings = g_settings_new ("cn.fengqiao.Console");

    f->context = fq_context_new (settings, fq_local_server_get_url (f->server));
  }
  client = fq_context_get_client (f->context);
  fq_client_set_session_dir (client, sessions);
  /* A session of the leader's on disk, as a past start left it. */
  g_object_unref (fq_test_login (fq_local_server_get_url (f->server), sessions, "leader"));
  g_assert_true (fq_client_restore_session (client, "leader", NULL));
  fq_context_start_async (f->context, cache_path, NULL, start_cb, &done);
  g_assert_true (fq_test_wait (fq_test_flag_cond, &done, 30000));
  g_assert_true (fq_test_wait (ready_cond, f->context, 60000));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->context != NULL)
    fq_context_stop (f->context);
  g_clear_object (&f->context);
  g_clear_object (&f->operator);
  g_clear_object (&f->server);
  fq_test_rm_rf (f->dir);
  g_free (f->dir);
}

static gboolean
loaded_cond (gpointer data)
{
  return !fq_summary_view_get_loading (data);
}

typedef struct
{
  gboolean  done;
  int       page;
  char     *title;
  GStrv     ids;
} Shown;

static void
show_records_cb (FqSummaryView *view,
                 int            page,
                 const char    *title,
                 char         **ids,
                 Shown         *shown)
{
  shown->done = TRUE;
  shown->page = page;
  shown->title = g_strdup (title);
  shown->ids = g_strdupv (ids);
  /* The test shows them on a board of its own. */
  g_signal_stop_emission_by_name (view, "show-records");
}

static char *
label_text (GtkWidget  *tile,
            const char *part)
{
  return g_strdup (gtk_label_get_label (g_object_get_data (G_OBJECT (tile), part)));
}

/* The first label under @widget whose text holds @needle, or NULL. */
static GtkLabel *
find_label (GtkWidget  *widget,
            const char *needle)
{
  if (GTK_IS_LABEL (widget) && strstr (gtk_label_get_label (GTK_LABEL (widget)), needle) != NULL)
    return GTK_LABEL (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkLabel *found = find_label (child, needle);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static JsonObject *
records (Fixture    *f,
         const char *metric,
         gint64      from,
         gint64      to)
{
  g_autoptr(GDateTime) a = g_date_time_new_from_unix_utc (from);
  g_autoptr(GDateTime) b = g_date_time_new_from_unix_utc (to);
  g_autofree char *fa = g_date_time_format (a, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *fb = g_date_time_format (b, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *path = g_strdup_printf ("/metrics/records?metric=%s&from=%s&to=%s&grid=%s",
                                           metric, fa, fb,
                                           fq_context_get_scope (f->context));

  return call_object (fq_context_get_client (f->context), "GET", path, NULL);
}

typedef struct
{
  FqContext *context;
  guint      n;
} ListWait;

static gboolean
list_cond (gpointer data)
{
  ListWait *w = data;
  FqIncidentList *list = fq_context_get_incidents (w->context);

  return fq_incident_list_get_ids_active (list) && !fq_incident_list_get_busy (list) &&
         g_list_model_get_n_items (G_LIST_MODEL (list)) == w->n;
}

static gboolean
have_program (const char *name)
{
  g_autofree char *path = g_find_program_in_path (name);

  return path != NULL;
}

static char *
run (const char * const *argv)
{
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return g_steal_pointer (&out);
}

/* Every control a keyboard or screen-reader user reaches has a name. */
static guint
check_names (GtkWidget *widget)
{
  guint checked = 0;
  gboolean needs = GTK_IS_DROP_DOWN (widget) || GTK_IS_MENU_BUTTON (widget) ||
                   GTK_IS_COLUMN_VIEW (widget) || FQ_IS_TREND_CHART (widget) ||
                   (GTK_IS_BUTTON (widget) && gtk_button_get_label (GTK_BUTTON (widget)) == NULL);

  if (needs)
    {
      if (!gtk_test_accessible_has_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL) &&
          !gtk_test_accessible_has_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY))
        g_error ("%s %p in %s has no accessible name", G_OBJECT_TYPE_NAME (widget), widget,
                 G_OBJECT_TYPE_NAME (gtk_widget_get_parent (widget)));
      checked++;
    }
  if (GTK_IS_DROP_DOWN (widget) || GTK_IS_MENU_BUTTON (widget) || GTK_IS_COLUMN_VIEW (widget) ||
      GTK_IS_CALENDAR (widget))
    return checked;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    checked += check_names (child);
  return checked;
}

/* A window showing a summary view of @f's context, its figures counted. */
static GtkWidget *
show_view (Fixture        *f,
           FqSummaryView **view)
{
  GtkWidget *window = gtk_window_new ();

  *view = g_object_new (FQ_TYPE_SUMMARY_VIEW, NULL);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (*view));
  fq_summary_view_set_context (*view, f->context);
  gtk_window_present (GTK_WINDOW (window));
  fq_summary_view_reload (*view);
  g_assert_true (fq_test_wait (loaded_cond, *view, 30000));
  return window;
}

static void
test_view (Fixture       *f,
           gconstpointer  data)
{
  GtkWidget *window;
  FqSummaryView *view;
  GtkWidget *board;
  gint64 from, to;
  g_autoptr(JsonObject) summary = NULL;
  g_autoptr(JsonObject) listed = NULL;
  JsonObject *current;
  Shown shown = { FALSE, -1, NULL, NULL };
  g_autofree char *value = NULL;
  g_autofree char *expected = NULL;
  JsonArray *ids;

  if (f->server == NULL)
    return;

  window = show_view (f, &view);

  /* The tiles show the server's figures for the view's period. */
  fq_summary_view_get_period (view, &from, &to);
  {
    g_autoptr(GDateTime) a = g_date_time_new_from_unix_utc (from);
    g_autoptr(GDateTime) b = g_date_time_new_from_unix_utc (to);
    g_autofree char *fa = g_date_time_format (a, "%Y-%m-%dT%H:%M:%SZ");
    g_autofree char *fb = g_date_time_format (b, "%Y-%m-%dT%H:%M:%SZ");
    g_autofree char *path = g_strdup_printf ("/metrics/summary?from=%s&to=%s", fa, fb);

    summary = call_object (fq_context_get_client (f->context), "GET", path, NULL);
  }
  current = json_object_get_object_member (summary, "current");
  /* The records made above are in it. */
  g_assert_cmpint (json_object_get_int_member (current, "incidents_total"), >=, 10);
  g_assert_cmpint (json_object_get_int_member (current, "repeat_calls"), >=, 1);
  value = label_text (fq_summary_view_get_tile (view, "incidents_total"), "value");
  expected = fq_summary_format_count (json_object_get_int_member (current, "incidents_total"));
  g_assert_cmpstr (value, ==, expected);
  g_clear_pointer (&value, g_free);
  g_clear_pointer (&expected, g_free);
  value = label_text (fq_summary_view_get_tile (view, "diversion_share"), "value");
  expected = fq_summary_format_ratio (json_object_get_double_member (current, "diversion_share"));
  g_assert_cmpstr (value, ==, expected);
  g_clear_pointer (&value, g_free);
  g_clear_pointer (&expected, g_free);
  /* A rate says what it is a rate of: the on-time rate, of the tickets
   * resolved. */
  value = label_text (fq_summary_view_get_tile (view, "on_time_rate"), "detail");
  {
    g_autofree char *n = fq_summary_format_count (json_object_get_int_member (current,
                                                                              "resolved_on_time"));
    g_autofree char *d = fq_summary_format_count (json_object_get_int_member (current,
                                                                              "tickets_resolved"));

    expected = g_strdup_printf ("%s of %s resolved on time", n, d);
  }
  g_assert_cmpstr (value, ==, expected);

  /* Tiles, breadcrumbs, pickers, chart and tables are all named. */
  g_assert_cmpuint (check_names (GTK_WIDGET (view)), >=, 10 + 5 + 3);

  /* Explain this number: the tile lists exactly the server's records. */
  g_signal_connect (view, "show-records", G_CALLBACK (show_records_cb), &shown);
  gtk_widget_activate (fq_summary_view_get_tile (view, "non_police_disputes"));
  g_assert_true (fq_test_wait (fq_test_flag_cond, &shown.done, 30000));
  g_assert_cmpint (shown.page, ==, FQ_BOARD_PAGE_INCOMING);
  g_assert_nonnull (shown.title);
  listed = records (f, "non_police_disputes", from, to);
  ids = json_object_get_array_member (listed, "ids");
  g_assert_cmpuint (g_strv_length (shown.ids), ==, json_array_get_length (ids));
  g_assert_cmpint (g_strv_length (shown.ids), ==,
                   json_object_get_int_member (current, "non_police_disputes"));
  g_assert_cmpuint (g_strv_length (shown.ids), >=, 6);
  for (guint i = 0; i < json_array_get_length (ids); i++)
    g_assert_true (g_strv_contains ((const char * const *)shown.ids,
                                    json_array_get_string_element (ids, i)));

  /* …and the board then has exactly those rows. */
  board = fq_incident_board_new ();
  g_object_ref_sink (board);
  fq_incident_board_set_context (FQ_INCIDENT_BOARD (board), f->context);
  fq_incident_board_show_records (FQ_INCIDENT_BOARD (board), shown.page, shown.title,
                                  (const char * const *)shown.ids);
  {
    ListWait w = { f->context, g_strv_length (shown.ids) };
    GListModel *list = G_LIST_MODEL (fq_context_get_incidents (f->context));

    g_assert_true (fq_test_wait (list_cond, &w, 30000));
    for (guint i = 0; i < g_list_model_get_n_items (list); i++)
      {
        g_autoptr(FqIncidentRow) row = g_list_model_get_item (list, i);

        g_assert_true (g_strv_contains ((const char * const *)shown.ids,
                                        fq_incident_row_get_id (row)));
      }
  }
  fq_incident_board_clear_records (FQ_INCIDENT_BOARD (board));
  gtk_widget_unparent (board);
  g_object_unref (board);

  /* The tickets of a tile are tickets. */
  g_clear_pointer (&shown.title, g_free);
  g_clear_pointer (&shown.ids, g_strfreev);
  shown.done = FALSE;
  gtk_widget_activate (fq_summary_view_get_tile (view, "tickets_created"));
  g_assert_true (fq_test_wait (fq_test_flag_cond, &shown.done, 30000));
  g_assert_cmpint (shown.page, ==, FQ_BOARD_PAGE_TICKETS);
  g_assert_cmpint (g_strv_length (shown.ids), ==,
                   json_object_get_int_member (current, "tickets_created"));
  g_assert_cmpuint (g_strv_length (shown.ids), >=, 3);

  /* CSV of the view's tables: BOM, and the Chinese of the data. */
  {
    g_autoptr(GBytes) units = fq_summary_view_get_csv (view, "units");
    g_autoptr(GBytes) figures = fq_summary_view_get_csv (view, "figures");
    g_autoptr(GBytes) trend = fq_summary_view_get_csv (view, "trend");
    g_autoptr(GPtrArray) rows = read_csv (units);
    g_autoptr(GPtrArray) figure_rows = read_csv (figures);
    g_autoptr(GPtrArray) trend_rows = read_csv (trend);
    g_autoptr(JsonObject) answer = NULL;
    g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
    JsonArray *units_rows;
    gint64 sum = 0;

    /* The units' Chinese names, exactly as the server gives them. */
    {
      g_autoptr(GDateTime) a = g_date_time_new_from_unix_utc (from);
      g_autoptr(GDateTime) b = g_date_time_new_from_unix_utc (to);
      g_autofree char *fa = g_date_time_format (a, "%Y-%m-%dT%H:%M:%SZ");
      g_autofree char *fb = g_date_time_format (b, "%Y-%m-%dT%H:%M:%SZ");
      g_autofree char *path = g_strdup_printf ("/metrics/units?from=%s&to=%s", fa, fb);

      answer = call_object (fq_context_get_client (f->context), "GET", path, NULL);
    }
    units_rows = json_object_get_array_member (answer, "units");
    g_assert_cmpuint (json_array_get_length (units_rows), >, 0);
    for (guint i = 0; i < json_array_get_length (units_rows); i++)
      g_hash_table_add (names, (char *)json_object_get_string_member (json_array_get_object_element (units_rows, i), "name"));
    g_assert_cmpuint (rows->len, ==, json_array_get_length (units_rows) + 1);
    for (guint i = 1; i < rows->len; i++)
      {
        g_assert_true (g_hash_table_contains (names, cell (rows, i, 0)));
        g_assert_cmpuint (strlen (cell (rows, i, 0)), >, (gsize)g_utf8_strlen (cell (rows, i, 0), -1));
      }

    g_assert_cmpuint (figure_rows->len, ==, 11);
    for (guint i = 1; i < trend_rows->len; i++)
      sum += g_ascii_strtoll (cell (trend_rows, i, 2), NULL, 10);
    g_assert_cmpint (sum, ==, json_object_get_int_member (current, "incidents_total"));
  }

  /* The PDF report: the place's Chinese name as text, a CJK font embedded. */
  if (have_program ("pdftotext") && have_program ("pdffonts"))
    {
      g_autoptr(FqReport) report = fq_summary_view_build_report (view);
      g_autofree char *path = g_build_filename (f->dir, "summary.pdf", NULL);
      const char *pdftotext[] = { "pdftotext", path, "-", NULL };
      const char *pdffonts[] = { "pdffonts", path, NULL };
      g_autofree char *text = NULL;
      g_autofree char *fonts = NULL;
      g_autoptr(GError) error = NULL;
      gboolean cjk_embedded = FALSE;
      g_auto(GStrv) lines = NULL;

      g_assert_true (fq_report_write_pdf (report, path, &error));
      g_assert_no_error (error);
      text = run (pdftotext);
      g_assert_nonnull (strstr (text, "黄石市"));
      fonts = run (pdffonts);
      lines = g_strsplit (fonts, "\n", -1);
      for (guint i = 2; lines[i] != NULL; i++)
        {
          g_autofree char *lower = g_ascii_strdown (lines[i], -1);
          g_auto(GStrv) words = g_strsplit_set (lower, " \t", -1);
          gboolean cjk = strstr (lower, "cjk") != NULL || strstr (lower, "wqy") != NULL ||
                         strstr (lower, "droid") != NULL;
          guint n_yes = 0;

          for (guint k = 0; words[k] != NULL; k++)
            n_yes += g_str_equal (words[k], "yes");
          /* emb sub uni: an embedded font reads "yes" at least twice. */
          if (cjk && n_yes >= 2)
            cjk_embedded = TRUE;
        }
      if (!cjk_embedded)
        g_error ("no embedded CJK font:\n%s", fonts);
    }

  g_clear_pointer (&shown.title, g_free);
  g_clear_pointer (&shown.ids, g_strfreev);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The tooltip of the change on the previous period of @metric's tile. */
static const char *
change_tooltip (FqSummaryView *view,
                const char    *metric)
{
  GtkWidget *mom = g_object_get_data (G_OBJECT (fq_summary_view_get_tile (view, metric)), "mom");

  return gtk_widget_get_tooltip_text (mom);
}

/* A figure that ripens (its tickets counted by their state now) is compared
 * without a verdict while the period's tickets are within their deadlines,
 * and the period says why; once the period ended more than the longest
 * deadline (15 days) ago, it is judged again. Every other figure is judged
 * as always. */
static void
test_unripe (Fixture       *f,
             gconstpointer  data)
{
  const char *ripening[] = { "completion_rate", "on_time_rate", "backflow_tickets",
                             "median_hours_to_resolve" };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GtkWidget *window;
  FqSummaryView *view;
  GtkLabel *period;

  if (f->server == NULL)
    return;

  /* This month so far, against the same days of last month. */
  window = show_view (f, &view);
  for (guint i = 0; i < G_N_ELEMENTS (ripening); i++)
    {
      GtkWidget *tile = fq_summary_view_get_tile (view, ripening[i]);

      g_assert_true (gtk_widget_has_css_class (g_object_get_data (G_OBJECT (tile), "mom"), "fq-neutral"));
      g_assert_true (gtk_widget_has_css_class (g_object_get_data (G_OBJECT (tile), "yoy"), "fq-neutral"));
    }
  /* The completion rate has a change (the tickets made above, and those of
   * the history's same days last month), shown with its reason. */
  g_assert_nonnull (change_tooltip (view, "completion_rate"));
  g_assert_nonnull (strstr (change_tooltip (view, "completion_rate"), "Not yet comparable"));
  g_assert_null (change_tooltip (view, "incidents_total"));
  period = find_label (GTK_WIDGET (view), "compared with the previous period");
  g_assert_nonnull (period);
  g_assert_nonnull (strstr (gtk_label_get_label (period), "still being worked"));

  /* Twenty days that ended twenty days ago: every ticket is due. */
  fq_summary_view_set_period (view, FQ_SUMMARY_PERIOD_CUSTOM, now - 40 * 86400, now - 20 * 86400);
  g_assert_true (fq_test_wait (loaded_cond, view, 30000));
  for (guint i = 0; i < G_N_ELEMENTS (ripening); i++)
    g_assert_null (change_tooltip (view, ripening[i]));
  period = find_label (GTK_WIDGET (view), "compared with the previous period");
  g_assert_nonnull (period);
  g_assert_null (strstr (gtk_label_get_label (period), "still being worked"));

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

  g_test_add_func ("/console/summary/csv", test_csv);
  g_test_add_func ("/console/summary/missing-last", test_missing_last);
  g_test_add_func ("/console/summary/table-height", test_table_height);
  g_test_add_func ("/console/summary/trend-chart", test_trend_chart);
  g_test_add ("/console/summary/view", Fixture, NULL, fixture_setup, test_view, fixture_teardown);
  g_test_add ("/console/summary/unripe", Fixture, "2", fixture_setup, test_unripe, fixture_teardown);

  return g_test_run ();
}
