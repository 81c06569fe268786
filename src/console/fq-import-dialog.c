/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The hotline import dialog (see fq-import-dialog.h). Reading and decoding
 * the file, and turning its rows into the request's JSON, run on a worker
 * thread (GTask); the server does every check (POST /imports with dry_run),
 * so that the report shown is exactly what the import will do. The mapping
 * of fields to columns is remembered by column title in the settings
 * ("import-column-mapping"), so that next month's export maps itself.
 */

#define G_LOG_DOMAIN "fq-import-dialog"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "fq-city-time.h"
#include "fq-import-dialog.h"
#include "fq-json.h"
#include "fq-ui-util.h"

#define MAX_ROWS         20000
#define MAX_REPORT_LINES 500

typedef struct
{
  const char *field;
  const char *label;
  gboolean    required;
  const char *guesses;  /* words of a column title that name this field, '|'-separated */
} Field;

static const Field fields[] = {
  { "external_id",  N_("Work Order Number"), TRUE,  "工单编号|工单号|编号|external_id" },
  { "received_at",  N_("Time of the Call"),  FALSE, "来电时间|受理时间|登记时间|时间|received_at" },
  { "caller_name",  N_("Caller"),            FALSE, "来电人|诉求人|姓名|caller_name" },
  { "caller_phone", N_("Phone"),             FALSE, "联系电话|来电号码|电话|caller_phone" },
  { "address",      N_("Address"),           FALSE, "地址|事发地点|address" },
  { "grid",         N_("Grid Code"),         TRUE,  "网格编码|区划代码|网格|grid" },
  { "summary",      N_("Summary"),           TRUE,  "诉求摘要|标题|摘要|summary" },
  { "description",  N_("Description"),       FALSE, "诉求内容|详细内容|内容|description" },
  { "category",     N_("Category Code"),     FALSE, "类别代码|分类代码|类别|category" },
};

struct _FqImportDialog
{
  AdwWindow       parent_instance;

  /* Template widgets */
  AdwActionRow   *file_row;
  GtkListBox     *mapping_list;
  GtkButton      *check_button;
  GtkButton      *import_button;
  GtkLabel       *status_label;
  GtkListBox     *report_list;

  /* Owned */
  FqContext      *context;
  GCancellable   *cancellable;
  GPtrArray      *table;        /* GStrv rows, the header first; NULL before a file */
  char           *encoding;
  AdwComboRow    *combos[G_N_ELEMENTS (fields)];
  JsonNode       *rows_node;    /* the rows as the request sends them */
  guint           n_valid;
  gboolean        busy;
};

G_DEFINE_FINAL_TYPE (FqImportDialog, fq_import_dialog, ADW_TYPE_WINDOW)

/* ---- CSV ---- */

GPtrArray *
fq_import_parse_csv (const char  *data,
                     gsize        length,
                     const char **encoding,
                     GError     **error)
{
  g_autofree char *converted = NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);
  g_autoptr(GPtrArray) row = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) cell = g_string_new (NULL);
  const char *p, *end;
  gboolean quoted = FALSE, cell_started = FALSE;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  *encoding = "UTF-8";
  if (length >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0)
    {
      data += 3;
      length -= 3;
    }
  if (!g_utf8_validate_len (data, length, NULL))
    {
      gsize written = 0;

      /* Excel on a Chinese system saves "CSV" in the system's code page. */
      converted = g_convert (data, length, "UTF-8", "GB18030", NULL, &written, NULL);
      if (converted == NULL || !g_utf8_validate_len (converted, written, NULL))
        {
          g_set_error_literal (error, G_CONVERT_ERROR, G_CONVERT_ERROR_ILLEGAL_SEQUENCE,
                               _("The file is neither UTF-8 nor GB18030 text."));
          return NULL;
        }
      data = converted;
      length = written;
      *encoding = "GB18030";
    }

  for (p = data, end = data + length; p <= end; p++)
    {
      char c = p < end ? *p : '\n';

      if (quoted)
        {
          if (p == end)
            break;
          if (c == '"' && p + 1 < end && p[1] == '"')
            {
              g_string_append_c (cell, '"');
              p++;
            }
          else if (c == '"')
            quoted = FALSE;
          else
            g_string_append_c (cell, c);
          continue;
        }

      if (c == '"' && !cell_started)
        {
          quoted = TRUE;
          cell_started = TRUE;
        }
      else if (c == ',')
        {
          g_ptr_array_add (row, g_strdup (g_strstrip (cell->str)));
          g_string_truncate (cell, 0);
          cell_started = FALSE;
        }
      else if (c == '\n' || c == '\r')
        {
          if (c == '\r' && p + 1 < end && p[1] == '\n')
            p++;
          if (row->len > 0 || cell->len > 0 || cell_started)
            {
              g_ptr_array_add (row, g_strdup (g_strstrip (cell->str)));
              g_ptr_array_add (row, NULL);
              g_ptr_array_add (rows, g_ptr_array_steal (row, NULL));
              g_ptr_array_set_free_func (row, g_free);
              if (rows->len > MAX_ROWS + 1)
                {
                  g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                               _("The file has more than %u work orders: split it."), MAX_ROWS);
                  return NULL;
                }
            }
          g_string_truncate (cell, 0);
          cell_started = FALSE;
        }
      else
        {
          g_string_append_c (cell, c);
          if (!g_ascii_isspace (c))
            cell_started = TRUE;
        }
    }

  if (quoted)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The file ends inside a quoted field."));
      return NULL;
    }
  if (rows->len < 2)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("The file has no work orders below its title row."));
      return NULL;
    }
  return g_steal_pointer (&rows);
}

char *
fq_import_normalize_time (const char *text)
{
  g_autoptr(GDateTime) parsed = NULL;
  GTimeZone *city = fq_city_zone ();
  int year, month, day, hour, minute, second = 0;
  char sep1, sep2;

  if (text == NULL || *text == '\0')
    return NULL;

  /* A time without a zone is the city's. */
  parsed = g_date_time_new_from_iso8601 (text, NULL);
  if (parsed == NULL)
    parsed = g_date_time_new_from_iso8601 (text, city);
  if (parsed != NULL)
    return g_date_time_format (parsed, "%Y-%m-%dT%H:%M:%S%:z");

  if (sscanf (text, "%d%c%d%c%d %d:%d:%d", &year, &sep1, &month, &sep2, &day, &hour, &minute,
              &second) < 7 || sep1 != sep2 || (sep1 != '-' && sep1 != '/'))
    return NULL;
  parsed = g_date_time_new (city, year, month, day, hour, minute, second);
  return parsed != NULL ? g_date_time_format (parsed, "%Y-%m-%dT%H:%M:%S%:z") : NULL;
}

/* ---- worker threads ---- */

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GFile *file = task_data;
  g_autofree char *contents = NULL;
  GError *error = NULL;
  const char *encoding = NULL;
  GPtrArray *table;
  gsize length = 0;

  if (!g_file_load_contents (file, cancellable, &contents, &length, NULL, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  table = fq_import_parse_csv (contents, length, &encoding, &error);
  if (table == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* The encoding travels as the table's last, NULL-terminated "row". */
  g_ptr_array_add (table, g_strsplit (encoding, ",", 1));
  g_task_return_pointer (task, table, (GDestroyNotify)g_ptr_array_unref);
}

typedef struct
{
  GPtrArray *table;
  int        columns[G_N_ELEMENTS (fields)];  /* -1: not mapped */
} BuildData;

static void
build_data_free (BuildData *data)
{
  g_ptr_array_unref (data->table);
  g_free (data);
}

static void
build_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  BuildData *data = task_data;
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();

  json_builder_begin_array (builder);
  for (guint r = 1; r < data->table->len; r++)
    {
      GStrv row = g_ptr_array_index (data->table, r);
      guint n = g_strv_length (row);

      json_builder_begin_object (builder);
      for (guint f = 0; f < G_N_ELEMENTS (fields); f++)
        {
          g_autofree char *normal = NULL;
          const char *value;

          if (data->columns[f] < 0 || (guint)data->columns[f] >= n)
            continue;
          value = row[data->columns[f]];
          if (*value == '\0')
            continue;
          if (strcmp (fields[f].field, "received_at") == 0 &&
              (normal = fq_import_normalize_time (value)) != NULL)
            value = normal;
          json_builder_set_member_name (builder, fields[f].field);
          json_builder_add_string_value (builder, value);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  g_task_return_pointer (task, json_builder_get_root (builder), (GDestroyNotify)json_node_unref);
}

/* ---- the dialog ---- */

static void
set_status (FqImportDialog *self,
            const char     *text)
{
  gtk_label_set_label (self->status_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), text != NULL);
}

static void
clear_report (FqImportDialog *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->report_list))) != NULL)
    gtk_list_box_remove (self->report_list, child);
  gtk_widget_set_visible (GTK_WIDGET (self->report_list), FALSE);
  self->n_valid = 0;
  gtk_widget_set_sensitive (GTK_WIDGET (self->import_button), FALSE);
  gtk_button_set_label (self->import_button, _("_Import"));
}

static void
add_report_line (FqImportDialog *self,
                 const char     *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_margin_start (label, 12);
  gtk_widget_set_margin_end (label, 12);
  gtk_widget_set_margin_top (label, 6);
  gtk_widget_set_margin_bottom (label, 6);
  gtk_list_box_append (self->report_list, label);
  gtk_widget_set_visible (GTK_WIDGET (self->report_list), TRUE);
}

static const char *
field_label (const char *field)
{
  for (guint i = 0; field != NULL && i < G_N_ELEMENTS (fields); i++)
    if (strcmp (fields[i].field, field) == 0)
      return _(fields[i].label);
  return field;
}

/* Shows the server's report; rows are numbered as the file's lines, the
 * title being line 1. */
static void
show_report (FqImportDialog *self,
             JsonObject     *report)
{
  JsonArray *invalid = json_object_get_array_member (report, "invalid");
  JsonArray *duplicates = json_object_get_array_member (report, "duplicates");
  guint n_invalid = invalid != NULL ? json_array_get_length (invalid) : 0;
  guint n_duplicates = duplicates != NULL ? json_array_get_length (duplicates) : 0;
  guint lines = 0;
  g_autofree char *summary = NULL;
  g_autofree char *button = NULL;

  clear_report (self);
  self->n_valid = fq_json_int_or (report, "valid", 0);

  /* Translators: the dry run's totals. */
  summary = g_strdup_printf (_("%u work orders can be imported, %u are already imported or repeated "
                               "in the file, %u are invalid."),
                             self->n_valid, n_duplicates, n_invalid);
  set_status (self, summary);

  for (guint i = 0; i < n_invalid && lines < MAX_REPORT_LINES; i++, lines++)
    {
      JsonObject *item = json_array_get_object_element (invalid, i);
      g_autofree char *text = NULL;
      const char *field = fq_json_string_or (item, "field", NULL);

      /* Translators: line number, the field, the server's reason. */
      text = g_strdup_printf (_("Line %u, %s: %s"),
                              (guint)fq_json_int_or (item, "row", 0) + 1,
                              field != NULL ? field_label (field) : _("the row"),
                              fq_json_string_or (item, "message", ""));
      add_report_line (self, text);
    }
  for (guint i = 0; i < n_duplicates && lines < MAX_REPORT_LINES; i++, lines++)
    {
      JsonObject *item = json_array_get_object_element (duplicates, i);
      g_autofree char *text = NULL;
      guint line = fq_json_int_or (item, "row", 0) + 1;
      const char *id = fq_json_string_or (item, "external_id", "");

      if (json_object_has_member (item, "of_row"))
        /* Translators: line, work order number, the earlier line. */
        text = g_strdup_printf (_("Line %u: work order %s repeats line %u"), line, id,
                                (guint)json_object_get_int_member (item, "of_row") + 1);
      else
        /* Translators: line, work order number, incident number. */
        text = g_strdup_printf (_("Line %u: work order %s is already incident %s"), line, id,
                                fq_json_string_or (item, "incident", ""));
      add_report_line (self, text);
    }

  /* Translators: the button that imports the valid work orders. */
  button = g_strdup_printf (ngettext ("_Import %u Work Order", "_Import %u Work Orders",
                                      self->n_valid), self->n_valid);
  gtk_button_set_label (self->import_button, button);
  gtk_widget_set_sensitive (GTK_WIDGET (self->import_button), self->n_valid > 0);
}

static void
set_busy (FqImportDialog *self,
          gboolean        busy)
{
  self->busy = busy;
  gtk_widget_set_sensitive (GTK_WIDGET (self->check_button), !busy && self->table != NULL);
  if (busy)
    gtk_widget_set_sensitive (GTK_WIDGET (self->import_button), FALSE);
}

static void
call_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(FqImportDialog) self = user_data;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *error_object;
  JsonObject *report;

  answer = fq_client_call_finish (FQ_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);

  if (answer == NULL)
    {
      g_autofree char *message = fq_client_describe_error (error);

      /* A refused import carries its report: show it with the reason. */
      error_object = fq_client_call_get_error_object (result);
      if (error_object != NULL && json_object_has_member (error_object, "report") &&
          JSON_NODE_HOLDS_OBJECT (json_object_get_member (error_object, "report")))
        show_report (self, json_object_get_object_member (error_object, "report"));
      else
        clear_report (self);
      set_status (self, message);
      return;
    }

  if (!JSON_NODE_HOLDS_OBJECT (answer))
    return;
  report = json_node_get_object (answer);
  if (fq_json_bool_or (report, "dry_run", TRUE))
    {
      show_report (self, report);
      gtk_widget_grab_focus (GTK_WIDGET (self->n_valid > 0 ? self->import_button
                                                           : self->check_button));
    }
  else
    {
      g_autofree char *text = NULL;
      guint imported = fq_json_int_or (report, "imported", 0);

      clear_report (self);
      text = g_strdup_printf (ngettext ("%u work order imported. They wait for triage on the board.",
                                        "%u work orders imported. They wait for triage on the board.",
                                        imported), imported);
      set_status (self, text);
    }
}

static void
send (FqImportDialog *self,
      gboolean        dry_run)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *key = NULL;

  g_return_if_fail (self->rows_node != NULL);

  json_object_set_member (body, "rows", json_node_ref (self->rows_node));
  json_object_set_boolean_member (body, "dry_run", dry_run);
  /* "Import N" comes after the report: the person has seen the invalid
   * rows and imports the others. */
  if (!dry_run)
    json_object_set_boolean_member (body, "skip_invalid", TRUE);
  node = json_node_init_object (json_node_alloc (), body);
  if (!dry_run)
    key = g_uuid_string_random ();

  set_busy (self, TRUE);
  set_status (self, dry_run ? _("Checking the work orders with the server…")
                            : _("Importing…"));
  fq_client_call_async (fq_context_get_client (self->context), "POST", "/imports", node, key,
                        self->cancellable, call_done_cb, g_object_ref (self));
}

static void
build_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  FqImportDialog *self = FQ_IMPORT_DIALOG (object);
  g_autoptr(GError) error = NULL;
  JsonNode *rows;

  rows = g_task_propagate_pointer (G_TASK (result), &error);
  if (rows == NULL)
    {
      set_busy (self, FALSE);
      return;
    }
  g_clear_pointer (&self->rows_node, json_node_unref);
  self->rows_node = rows;
  send (self, TRUE);
}

static void
remember_mapping (FqImportDialog *self,
                  const int      *columns)
{
  GStrv header = g_ptr_array_index (self->table, 0);
  GSettings *settings = fq_context_get_settings (self->context);
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{ss}"));

  if (settings == NULL)
    return;
  for (guint f = 0; f < G_N_ELEMENTS (fields); f++)
    if (columns[f] >= 0)
      g_variant_builder_add (&builder, "{ss}", fields[f].field, header[columns[f]]);
  g_settings_set_value (settings, "import-column-mapping", g_variant_builder_end (&builder));
}

static void
check_button_clicked_cb (FqImportDialog *self)
{
  g_autoptr(GTask) task = NULL;
  BuildData *data;

  if (self->table == NULL || self->busy)
    return;

  data = g_new0 (BuildData, 1);
  for (guint f = 0; f < G_N_ELEMENTS (fields); f++)
    {
      guint selected = adw_combo_row_get_selected (self->combos[f]);

      /* Item 0 is "not in the file". */
      data->columns[f] = selected == GTK_INVALID_LIST_POSITION || selected == 0
                         ? -1 : (int)selected - 1;
      if (fields[f].required && data->columns[f] < 0)
        {
          g_autofree char *text = g_strdup_printf (_("Choose the column of “%s”."),
                                                   _(fields[f].label));

          g_free (data);
          set_status (self, text);
          gtk_widget_grab_focus (GTK_WIDGET (self->combos[f]));
          return;
        }
    }
  remember_mapping (self, data->columns);
  data->table = g_ptr_array_ref (self->table);

  set_busy (self, TRUE);
  clear_report (self);
  set_status (self, _("Preparing the work orders…"));
  task = g_task_new (self, self->cancellable, build_done_cb, NULL);
  g_task_set_task_data (task, data, (GDestroyNotify)build_data_free);
  g_task_run_in_thread (task, build_thread);
}

static void
import_button_clicked_cb (FqImportDialog *self)
{
  if (self->rows_node == NULL || self->busy || self->n_valid == 0)
    return;
  send (self, FALSE);
}

/* The column for @field: the one remembered by its title, else the first
 * whose title holds one of the field's usual words; 0 for none. */
static guint
guess_column (GStrv       header,
              GVariant   *remembered,
              const Field *field)
{
  g_auto(GStrv) words = g_strsplit (field->guesses, "|", -1);
  const char *title = NULL;

  if (g_variant_lookup (remembered, field->field, "&s", &title))
    for (guint c = 0; header[c] != NULL; c++)
      if (strcmp (header[c], title) == 0)
        return c + 1;

  for (guint w = 0; words[w] != NULL; w++)
    for (guint c = 0; header[c] != NULL; c++)
      if (strstr (header[c], words[w]) != NULL)
        return c + 1;
  return 0;
}

static void
fill_mapping (FqImportDialog *self)
{
  g_autoptr(GVariant) remembered = NULL;
  g_autoptr(GtkStringList) columns = gtk_string_list_new (NULL);
  GStrv header = g_ptr_array_index (self->table, 0);
  GSettings *settings = fq_context_get_settings (self->context);

  remembered = settings != NULL ? g_settings_get_value (settings, "import-column-mapping")
                                : g_variant_ref_sink (g_variant_new ("a{ss}", NULL));
  gtk_string_list_append (columns, _("(not in the file)"));
  for (guint c = 0; header[c] != NULL; c++)
    gtk_string_list_append (columns, header[c][0] != '\0' ? header[c] : "—");

  for (guint f = 0; f < G_N_ELEMENTS (fields); f++)
    {
      adw_combo_row_set_model (self->combos[f], G_LIST_MODEL (columns));
      adw_combo_row_set_selected (self->combos[f],
                                  guess_column (header, remembered, &fields[f]));
      gtk_widget_set_sensitive (GTK_WIDGET (self->combos[f]), TRUE);
    }
}

static void
load_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  FqImportDialog *self = FQ_IMPORT_DIALOG (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  GPtrArray *table;
  GStrv encoding;

  table = g_task_propagate_pointer (G_TASK (result), &error);
  set_busy (self, FALSE);
  if (table == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          text = g_strdup_printf (_("The file cannot be read: %s"), error->message);
          set_status (self, text);
        }
      return;
    }

  encoding = g_ptr_array_steal_index (table, table->len - 1);
  g_free (self->encoding);
  self->encoding = g_strdup (encoding[0]);
  g_strfreev (encoding);

  g_clear_pointer (&self->table, g_ptr_array_unref);
  g_clear_pointer (&self->rows_node, json_node_unref);
  self->table = table;
  fill_mapping (self);
  set_busy (self, FALSE);

  /* Translators: rows read, the text encoding detected. */
  text = g_strdup_printf (ngettext ("%u work order read (%s). Check the columns, then Check File.",
                                    "%u work orders read (%s). Check the columns, then Check File.",
                                    table->len - 1), table->len - 1, self->encoding);
  set_status (self, text);
  gtk_widget_grab_focus (GTK_WIDGET (self->combos[0]));
}

static void
chooser_response_cb (GtkNativeDialog *chooser,
                     int              response,
                     gpointer         user_data)
{
  g_autoptr(FqImportDialog) self = user_data;
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);

  if (file != NULL)
    fq_import_dialog_load_file (self, file);
}

static void
choose_button_clicked_cb (FqImportDialog *self)
{
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  chooser = gtk_file_chooser_native_new (_("Choose the Work Orders File"), GTK_WINDOW (self),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("CSV files"));
  gtk_file_filter_add_pattern (filter, "*.csv");
  gtk_file_filter_add_pattern (filter, "*.CSV");
  gtk_file_filter_add_mime_type (filter, "text/csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
fq_import_dialog_dispose (GObject *object)
{
  FqImportDialog *self = (FqImportDialog *)object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), FQ_TYPE_IMPORT_DIALOG);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (fq_import_dialog_parent_class)->dispose (object);
}

static void
fq_import_dialog_finalize (GObject *object)
{
  FqImportDialog *self = (FqImportDialog *)object;

  g_clear_pointer (&self->table, g_ptr_array_unref);
  g_clear_pointer (&self->rows_node, json_node_unref);
  g_free (self->encoding);

  G_OBJECT_CLASS (fq_import_dialog_parent_class)->finalize (object);
}

static void
fq_import_dialog_class_init (FqImportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fq_import_dialog_dispose;
  object_class->finalize = fq_import_dialog_finalize;

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/cn/fengqiao/Console/fq-import-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, FqImportDialog, file_row);
  gtk_widget_class_bind_template_child (widget_class, FqImportDialog, mapping_list);
  gtk_widget_class_bind_template_child (widget_class, FqImportDialog, check_button);
  gtk_widget_class_bind_template_child (widget_class, FqImportDialog, import_button);
  gtk_widget_class_bind_template_child (widget_class, FqImportDialog, status_label);
  gtk_widget_class_bind_template_child (widget_class, FqImportDialog, report_list);
  gtk_widget_class_bind_template_callback (widget_class, choose_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, check_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, import_button_clicked_cb);
}

static void
fq_import_dialog_init (FqImportDialog *self)
{
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  /* One row per field; the columns offered come from the file. */
  for (guint f = 0; f < G_N_ELEMENTS (fields); f++)
    {
      g_autofree char *title = fields[f].required
                               /* Translators: a field that must be mapped. */
                               ? g_strdup_printf (_("%s (required)"), _(fields[f].label))
                               : g_strdup (_(fields[f].label));

      self->combos[f] = ADW_COMBO_ROW (adw_combo_row_new ());
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->combos[f]), title);
      gtk_widget_set_sensitive (GTK_WIDGET (self->combos[f]), FALSE);
      gtk_list_box_append (self->mapping_list, GTK_WIDGET (self->combos[f]));
    }

  fq_label_track_accessible_label (self->status_label);
  fq_fix_mnemonic_accessible_labels (GTK_WIDGET (self));
  fq_fix_list_popups (GTK_WIDGET (self));
  set_busy (self, FALSE);
}

FqImportDialog *
fq_import_dialog_new (GtkWindow *parent,
                      FqContext *context)
{
  FqImportDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (FQ_IS_CONTEXT (context), NULL);

  self = g_object_new (FQ_TYPE_IMPORT_DIALOG,
                       "transient-for", parent,
                       "modal", parent != NULL,
                       NULL);
  self->context = g_object_ref (context);
  return self;
}

void
fq_import_dialog_load_file (FqImportDialog *self,
                            GFile          *file)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *name = NULL;

  g_return_if_fail (FQ_IS_IMPORT_DIALOG (self));
  g_return_if_fail (G_IS_FILE (file));

  name = g_file_get_basename (file);
  adw_action_row_set_subtitle (self->file_row, name);
  clear_report (self);
  set_busy (self, TRUE);
  set_status (self, _("Reading the file…"));

  task = g_task_new (self, self->cancellable, load_done_cb, NULL);
  g_task_set_task_data (task, g_object_ref (file), g_object_unref);
  g_task_run_in_thread (task, load_thread);
}
