/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The leaders' summary's tables (places, category groups, units): a sortable
 * GtkColumnView over the server's JSON rows, whose columns the view picks,
 * and the same columns written out as CSV (UTF-8 with a BOM) and as report
 * tables. Columns are built here, in C, because each table chooses its own
 * at run time and the exports must follow them.
 */

#define G_LOG_DOMAIN "fq-summary-table"

#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "fq-json.h"
#include "fq-summary-table.h"

/* ---- formatting ---- */

char *
fq_summary_format_count (gint64 value)
{
  /* The locale groups the thousands ("1,234"). */
  return g_strdup_printf ("%'" G_GINT64_FORMAT, value);
}

char *
fq_summary_format_ratio (double value)
{
  return g_strdup_printf ("%.1f%%", value * 100);
}

char *
fq_summary_format_change (double value)
{
  double percent = value * 100;

  /* A real minus sign, as print does; no sign for a change that rounds to 0. */
  if (fabs (percent) < 0.05)
    return g_strdup_printf ("%.1f%%", 0.0);
  return g_strdup_printf ("%s%.1f%%", percent > 0 ? "+" : "−", fabs (percent));
}

static gboolean
member_double (JsonObject *row,
               const char *member,
               double     *out)
{
  JsonNode *node = row != NULL && member != NULL ? json_object_get_member (row, member) : NULL;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node) || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  *out = json_node_get_double (node);
  return TRUE;
}

char *
fq_summary_format_member (JsonObject          *row,
                          const char          *member,
                          FqSummaryColumnKind  kind)
{
  double value = 0;

  if (kind == FQ_SUMMARY_COLUMN_TEXT)
    {
      JsonNode *node = row != NULL ? json_object_get_member (row, member) : NULL;

      if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING)
        return g_strdup ("—");
      return g_strdup (json_node_get_string (node));
    }
  if (!member_double (row, member, &value))
    return g_strdup ("—");

  switch (kind)
    {
    case FQ_SUMMARY_COLUMN_COUNT:
      return fq_summary_format_count ((gint64)llround (value));

    case FQ_SUMMARY_COLUMN_RATIO:
      return fq_summary_format_ratio (value);

    case FQ_SUMMARY_COLUMN_CHANGE:
      return fq_summary_format_change (value);

    case FQ_SUMMARY_COLUMN_DECIMAL:
    case FQ_SUMMARY_COLUMN_SCORE:
    case FQ_SUMMARY_COLUMN_TEXT:
    default:
      return g_strdup_printf ("%.1f", value);
    }
}

void
fq_summary_csv_append_field (GString    *out,
                             const char *text)
{
  if (text == NULL)
    return;
  if (strpbrk (text, ",\"\r\n") == NULL)
    {
      g_string_append (out, text);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

/* ---- rows ---- */

#define FQ_TYPE_SUMMARY_ROW (fq_summary_row_get_type ())

G_DECLARE_FINAL_TYPE (FqSummaryRow, fq_summary_row, FQ, SUMMARY_ROW, GObject)

struct _FqSummaryRow
{
  GObject     parent_instance;
  JsonObject *object;
};

G_DEFINE_FINAL_TYPE (FqSummaryRow, fq_summary_row, G_TYPE_OBJECT)

static void
fq_summary_row_finalize (GObject *object)
{
  g_clear_pointer (&FQ_SUMMARY_ROW (object)->object, json_object_unref);

  G_OBJECT_CLASS (fq_summary_row_parent_class)->finalize (object);
}

static void
fq_summary_row_class_init (FqSummaryRowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fq_summary_row_finalize;
}

static void
fq_summary_row_init (FqSummaryRow *self)
{
}

static FqSummaryRow *
fq_summary_row_new (JsonObject *object)
{
  FqSummaryRow *row = g_object_new (FQ_TYPE_SUMMARY_ROW, NULL);

  row->object = json_object_ref (object);
  return row;
}

/* ---- the table ---- */

typedef struct
{
  char                *title;
  char                *member;
  FqSummaryColumnKind  kind;
  GtkColumnViewColumn *column;   /* borrowed: the view owns it */
  gboolean             descending; /* as the view sorts it now (sorter_changed_cb()) */
} Column;

static void
column_free (gpointer data)
{
  Column *column = data;

  g_free (column->title);
  g_free (column->member);
  g_free (column);
}

struct _FqSummaryTable
{
  GtkWidget           parent_instance;

  GtkWidget          *scrolled;
  GtkColumnView      *view;
  GListStore         *store;
  GtkSortListModel   *sorted;
  GtkSingleSelection *selection;
  GPtrArray          *columns;    /* Column */
};

G_DEFINE_FINAL_TYPE (FqSummaryTable, fq_summary_table, GTK_TYPE_WIDGET)

enum {
  ROW_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static int
compare_rows (gconstpointer a,
              gconstpointer b,
              gpointer      user_data)
{
  const Column *column = user_data;
  JsonObject *x = ((FqSummaryRow *)a)->object;
  JsonObject *y = ((FqSummaryRow *)b)->object;
  double vx = 0, vy = 0;
  gboolean hx, hy;

  if (column->kind == FQ_SUMMARY_COLUMN_TEXT)
    {
      const char *sx = fq_json_string_or (x, column->member, "");
      const char *sy = fq_json_string_or (y, column->member, "");
      g_autofree char *kx = g_utf8_collate_key (sx, -1);
      g_autofree char *ky = g_utf8_collate_key (sy, -1);
      int c = strcmp (kx, ky);

      return c < 0 ? GTK_ORDERING_SMALLER : c > 0 ? GTK_ORDERING_LARGER : GTK_ORDERING_EQUAL;
    }

  /* Figures without a value ("—") come last whichever way the column is
   * sorted: the view reverses this order for a descending sort. */
  hx = member_double (x, column->member, &vx);
  hy = member_double (y, column->member, &vy);
  if (hx != hy)
    return hx != column->descending ? GTK_ORDERING_SMALLER : GTK_ORDERING_LARGER;
  if (vx != vy)
    return vx < vy ? GTK_ORDERING_SMALLER : GTK_ORDERING_LARGER;
  return GTK_ORDERING_EQUAL;
}

static void
setup_cell_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *item,
               Column                   *column)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), column->kind == FQ_SUMMARY_COLUMN_TEXT ? 0 : 1);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (label, "fq-summary-cell");
  if (column->kind != FQ_SUMMARY_COLUMN_TEXT)
    gtk_widget_add_css_class (label, "numeric");

  if (column->kind == FQ_SUMMARY_COLUMN_SCORE)
    {
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
      GtkWidget *bar = gtk_level_bar_new_for_interval (0, 100);

      gtk_widget_set_size_request (bar, 60, -1);
      gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
      gtk_accessible_update_property (GTK_ACCESSIBLE (bar), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      column->title, -1);
      gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_LOW);
      gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_HIGH);
      gtk_level_bar_remove_offset_value (GTK_LEVEL_BAR (bar), GTK_LEVEL_BAR_OFFSET_FULL);
      gtk_widget_set_hexpand (label, TRUE);
      gtk_box_append (GTK_BOX (box), label);
      gtk_box_append (GTK_BOX (box), bar);
      gtk_list_item_set_child (item, box);
      return;
    }
  gtk_list_item_set_child (item, label);
}

static void
bind_cell_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              Column                   *column)
{
  FqSummaryRow *row = gtk_list_item_get_item (item);
  GtkWidget *child = gtk_list_item_get_child (item);
  GtkWidget *label = GTK_IS_LABEL (child) ? child : gtk_widget_get_first_child (child);
  g_autofree char *text = fq_summary_format_member (row->object, column->member, column->kind);

  gtk_label_set_label (GTK_LABEL (label), text);
  if (column->kind == FQ_SUMMARY_COLUMN_TEXT)
    gtk_widget_set_tooltip_text (label, text);
  if (column->kind == FQ_SUMMARY_COLUMN_SCORE)
    {
      GtkWidget *bar = gtk_widget_get_last_child (child);
      double value = 0;

      gtk_widget_set_visible (bar, member_double (row->object, column->member, &value));
      gtk_level_bar_set_value (GTK_LEVEL_BAR (bar), CLAMP (value, 0, 100));
    }
}

static void
activate_cb (FqSummaryTable *self,
             guint           position,
             GtkColumnView  *view)
{
  g_autoptr(FqSummaryRow) row = g_list_model_get_item (G_LIST_MODEL (self->selection), position);

  if (row != NULL)
    g_signal_emit (self, signals[ROW_ACTIVATED], 0, row->object);
}

static void
fq_summary_table_dispose (GObject *object)
{
  FqSummaryTable *self = (FqSummaryTable *)object;

  g_clear_pointer (&self->scrolled, gtk_widget_unparent);
  g_clear_object (&self->store);
  g_clear_object (&self->sorted);
  g_clear_object (&self->selection);

  G_OBJECT_CLASS (fq_summary_table_parent_class)->dispose (object);
}

static void
fq_summary_table_finalize (GObject *object)
{
  FqSummaryTable *self = (FqSummaryTable *)object;

  g_clear_pointer (&self->columns, g_ptr_array_unref);

  G_OBJECT_CLASS (fq_summary_table_parent_class)->finalize (object);
}

/* The summary is a page that scrolls, and a page that scrolls gives its
 * children their minimum height: left alone, a table would shrink to its
 * header and a row or two. It asks for all its rows instead, up to the
 * scrolled window's maximum, beyond which it scrolls itself. */
static void
fq_summary_table_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  FqSummaryTable *self = FQ_SUMMARY_TABLE (widget);

  gtk_widget_measure (self->scrolled, orientation, for_size, minimum, natural, minimum_baseline,
                      natural_baseline);
  if (orientation == GTK_ORIENTATION_VERTICAL)
    *minimum = MAX (*minimum, *natural);
}

static void
fq_summary_table_size_allocate (GtkWidget *widget,
                                int        width,
                                int        height,
                                int        baseline)
{
  FqSummaryTable *self = FQ_SUMMARY_TABLE (widget);

  gtk_widget_allocate (self->scrolled, width, height, baseline, NULL);
}

static void
fq_summary_table_class_init (FqSummaryTableClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fq_summary_table_dispose;
  object_class->finalize = fq_summary_table_finalize;

  signals[ROW_ACTIVATED] =
    g_signal_new ("row-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, JSON_TYPE_OBJECT);

  widget_class->measure = fq_summary_table_measure;
  widget_class->size_allocate = fq_summary_table_size_allocate;
  gtk_widget_class_set_css_name (widget_class, "fq-summary-table");
}

/* Which way the view sorts each column now. GTK 4.8 does not say (4.10
 * has gtk_column_view_sorter_get_primary_sort_order()), so the view's
 * sorter is asked to order two rows that differ in that column alone. */
static void
sorter_changed_cb (GtkSorter      *sorter,
                   GtkSorterChange change,
                   FqSummaryTable *self)
{
  for (guint i = 0; i < self->columns->len; i++)
    {
      Column *column = g_ptr_array_index (self->columns, i);
      g_autoptr(JsonObject) one = NULL;
      g_autoptr(JsonObject) two = NULL;
      g_autoptr(FqSummaryRow) low = NULL;
      g_autoptr(FqSummaryRow) high = NULL;

      if (column->kind == FQ_SUMMARY_COLUMN_TEXT)
        continue;
      one = json_object_new ();
      two = json_object_new ();
      json_object_set_int_member (one, column->member, 1);
      json_object_set_int_member (two, column->member, 2);
      low = fq_summary_row_new (one);
      high = fq_summary_row_new (two);
      column->descending = gtk_sorter_compare (sorter, low, high) == GTK_ORDERING_LARGER;
    }
}

static void
fq_summary_table_init (FqSummaryTable *self)
{
  self->columns = g_ptr_array_new_with_free_func (column_free);
  self->store = g_list_store_new (FQ_TYPE_SUMMARY_ROW);
  self->view = GTK_COLUMN_VIEW (gtk_column_view_new (NULL));
  /* Before the sort model: it sorts again on the same signal. */
  g_signal_connect_object (gtk_column_view_get_sorter (self->view), "changed",
                           G_CALLBACK (sorter_changed_cb), self, 0);
  /* store → sort (the column view's sorter: header clicks) → selection */
  self->sorted = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (self->store)),
                                          g_object_ref (gtk_column_view_get_sorter (self->view)));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->sorted)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (self->view, GTK_SELECTION_MODEL (self->selection));
  gtk_column_view_set_reorderable (self->view, FALSE);
  gtk_column_view_set_show_column_separators (self->view, FALSE);
  gtk_widget_add_css_class (GTK_WIDGET (self->view), "data-table");
  g_signal_connect_swapped (self->view, "activate", G_CALLBACK (activate_cb), self);

  self->scrolled = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (self->scrolled),
                                  GTK_POLICY_AUTOMATIC, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (self->scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (self->scrolled), 440);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (self->scrolled), GTK_WIDGET (self->view));
  gtk_widget_add_css_class (self->scrolled, "card");
  gtk_widget_set_parent (self->scrolled, GTK_WIDGET (self));
}

GtkWidget *
fq_summary_table_new (const char *label)
{
  FqSummaryTable *self = g_object_new (FQ_TYPE_SUMMARY_TABLE, NULL);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self->view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  label, -1);
  return GTK_WIDGET (self);
}

void
fq_summary_table_add_column (FqSummaryTable      *self,
                             const char          *title,
                             const char          *member,
                             FqSummaryColumnKind  kind,
                             gboolean             expand)
{
  Column *column;
  GtkListItemFactory *factory;
  GtkSorter *sorter;

  g_return_if_fail (FQ_IS_SUMMARY_TABLE (self));
  g_return_if_fail (title != NULL && member != NULL);

  column = g_new0 (Column, 1);
  column->title = g_strdup (title);
  column->member = g_strdup (member);
  column->kind = kind;
  g_ptr_array_add (self->columns, column);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_cell_cb), column);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cell_cb), column);
  sorter = GTK_SORTER (gtk_custom_sorter_new (compare_rows, column, NULL));

  column->column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_sorter (column->column, sorter);
  gtk_column_view_column_set_expand (column->column, expand);
  gtk_column_view_column_set_resizable (column->column, TRUE);
  gtk_column_view_append_column (self->view, column->column);
  g_object_unref (sorter);
  g_object_unref (column->column);
}

void
fq_summary_table_set_rows (FqSummaryTable *self,
                           JsonArray      *rows)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_if_fail (FQ_IS_SUMMARY_TABLE (self));

  for (guint i = 0; rows != NULL && i < json_array_get_length (rows); i++)
    {
      JsonNode *node = json_array_get_element (rows, i);

      if (JSON_NODE_HOLDS_OBJECT (node))
        g_ptr_array_add (items, fq_summary_row_new (json_node_get_object (node)));
    }
  /* One change for the whole new period: the rows are a new answer. */
  g_list_store_splice (self->store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->store)),
                       items->pdata, items->len);
}

guint
fq_summary_table_get_n_rows (FqSummaryTable *self)
{
  g_return_val_if_fail (FQ_IS_SUMMARY_TABLE (self), 0);

  return g_list_model_get_n_items (G_LIST_MODEL (self->store));
}

void
fq_summary_table_sort_by (FqSummaryTable *self,
                          const char     *member,
                          gboolean        descending)
{
  g_return_if_fail (FQ_IS_SUMMARY_TABLE (self));

  for (guint i = 0; i < self->columns->len; i++)
    {
      Column *column = g_ptr_array_index (self->columns, i);

      if (g_strcmp0 (column->member, member) == 0)
        {
          gtk_column_view_sort_by_column (self->view, column->column,
                                          descending ? GTK_SORT_DESCENDING : GTK_SORT_ASCENDING);
          return;
        }
    }
}

JsonObject *
fq_summary_table_get_row (FqSummaryTable *self,
                          guint           position)
{
  g_autoptr(FqSummaryRow) row = NULL;

  g_return_val_if_fail (FQ_IS_SUMMARY_TABLE (self), NULL);

  row = g_list_model_get_item (G_LIST_MODEL (self->sorted), position);
  /* The store keeps the row, and so its object, alive. */
  return row != NULL ? row->object : NULL;
}

JsonObject *
fq_summary_table_get_selected (FqSummaryTable *self)
{
  FqSummaryRow *row;

  g_return_val_if_fail (FQ_IS_SUMMARY_TABLE (self), NULL);

  row = gtk_single_selection_get_selected_item (self->selection);
  return row != NULL ? row->object : NULL;
}

static char *
csv_cell (JsonObject   *row,
          const Column *column)
{
  double value = 0;

  /* Counts without grouping, so that a spreadsheet reads them as numbers. */
  if (column->kind == FQ_SUMMARY_COLUMN_COUNT)
    {
      if (!member_double (row, column->member, &value))
        return g_strdup ("");
      return g_strdup_printf ("%" G_GINT64_FORMAT, (gint64)llround (value));
    }
  if (column->kind == FQ_SUMMARY_COLUMN_DECIMAL || column->kind == FQ_SUMMARY_COLUMN_SCORE)
    {
      char buffer[G_ASCII_DTOSTR_BUF_SIZE];

      if (!member_double (row, column->member, &value))
        return g_strdup ("");
      return g_strdup (g_ascii_formatd (buffer, sizeof buffer, "%.1f", value));
    }
  if (column->kind != FQ_SUMMARY_COLUMN_TEXT && !member_double (row, column->member, &value))
    return g_strdup ("");
  return fq_summary_format_member (row, column->member, column->kind);
}

GBytes *
fq_summary_table_to_csv (FqSummaryTable *self)
{
  GString *out;
  guint n;

  g_return_val_if_fail (FQ_IS_SUMMARY_TABLE (self), NULL);

  out = g_string_new ("\xEF\xBB\xBF");
  for (guint c = 0; c < self->columns->len; c++)
    {
      if (c > 0)
        g_string_append_c (out, ',');
      fq_summary_csv_append_field (out, ((Column *)g_ptr_array_index (self->columns, c))->title);
    }
  g_string_append (out, "\r\n");

  n = g_list_model_get_n_items (G_LIST_MODEL (self->sorted));
  for (guint i = 0; i < n; i++)
    {
      JsonObject *row = fq_summary_table_get_row (self, i);

      for (guint c = 0; c < self->columns->len; c++)
        {
          g_autofree char *text = csv_cell (row, g_ptr_array_index (self->columns, c));

          if (c > 0)
            g_string_append_c (out, ',');
          fq_summary_csv_append_field (out, text);
        }
      g_string_append (out, "\r\n");
    }
  return g_string_free_to_bytes (out);
}

GStrv
fq_summary_table_get_headers (FqSummaryTable *self)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  GStrv headers;

  for (guint c = 0; c < self->columns->len; c++)
    g_strv_builder_add (builder, ((Column *)g_ptr_array_index (self->columns, c))->title);
  headers = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return headers;
}

GPtrArray *
fq_summary_table_get_cells (FqSummaryTable *self)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->sorted));

  for (guint i = 0; i < n; i++)
    {
      JsonObject *row = fq_summary_table_get_row (self, i);
      char **cells = g_new0 (char *, self->columns->len + 1);

      for (guint c = 0; c < self->columns->len; c++)
        {
          Column *column = g_ptr_array_index (self->columns, c);

          cells[c] = fq_summary_format_member (row, column->member, column->kind);
        }
      g_ptr_array_add (rows, cells);
    }
  return rows;
}
