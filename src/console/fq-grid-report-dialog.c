/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The grid worker's report form (see fq-grid-report-dialog.h). The place
 * list is the worker's scope and the places right under it; the kinds are
 * the matters grid workers find most on their rounds, each shown by the
 * category's own name, and "not sure" leaves the category to the desk (the
 * server then suggests one). Sending goes through the outbox, so a report
 * made where the network is poor is kept and sent later.
 */

#define G_LOG_DOMAIN "fq-grid-report-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "fq-enum-types.h"
#include "fq-grid-report-dialog.h"
#include "fq-json.h"
#include "fq-ui-util.h"

struct _FqGridReportDialog
{
  AdwWindow      parent_instance;

  /* Template widgets */
  AdwComboRow   *place_row;
  AdwComboRow   *kind_row;
  AdwEntryRow   *summary_row;
  AdwEntryRow   *address_row;
  GtkButton     *submit_button;
  GtkLabel      *message_label;

  /* Owned */
  FqContext     *context;
  GPtrArray     *places;      /* grid codes, in the order of place_row */
  GPtrArray     *kinds;       /* category codes, in the order of kind_row; NULL: the desk */
  char          *key;         /* the outbox key of the report being sent */
};

G_DEFINE_FINAL_TYPE (FqGridReportDialog, fq_grid_report_dialog, ADW_TYPE_WINDOW)

/* What grid workers report most on their rounds: noise, leaks, shared
 * space taken, parking, illegal building, street cleanliness, blocked fire
 * lanes and e-bikes charged indoors. */
static const char * const common_kinds[] = {
  "B01", "B02", "B04", "C01", "G02", "G06", "M01", "M02",
};

static void
show_message (FqGridReportDialog *self,
              const char         *message)
{
  gtk_label_set_label (self->message_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), message != NULL);
}

static void
fill_places (FqGridReportDialog *self)
{
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  FqGridModel *grid = fq_context_get_grid (self->context);
  const char *scope = fq_context_get_scope (self->context);
  FqGridItem *item = scope != NULL ? fq_grid_model_lookup (grid, scope) : NULL;
  g_autoptr(GListModel) children = NULL;

  g_ptr_array_set_size (self->places, 0);
  if (scope == NULL)
    return;

  g_ptr_array_add (self->places, g_strdup (scope));
  gtk_string_list_append (names, item != NULL ? fq_grid_item_get_name (item) : scope);

  /* A worker who looks after a community may say which of its grids. */
  if (item != NULL && fq_grid_item_get_has_children (item))
    children = fq_grid_model_create_child_model (item, grid);
  for (guint i = 0; children != NULL && i < g_list_model_get_n_items (children); i++)
    {
      g_autoptr(FqGridItem) child = g_list_model_get_item (children, i);

      g_ptr_array_add (self->places, g_strdup (fq_grid_item_get_code (child)));
      gtk_string_list_append (names, fq_grid_item_get_name (child));
    }

  adw_combo_row_set_model (self->place_row, G_LIST_MODEL (names));
  adw_combo_row_set_selected (self->place_row, 0);
}

static void
fill_kinds (FqGridReportDialog *self)
{
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);

  g_ptr_array_set_size (self->kinds, 0);
  for (guint i = 0; i < G_N_ELEMENTS (common_kinds); i++)
    {
      const char *name = fq_context_lookup_category_name (self->context, common_kinds[i]);

      /* Only categories the server knows: the list follows its data. */
      if (name == NULL)
        continue;
      g_ptr_array_add (self->kinds, g_strdup (common_kinds[i]));
      gtk_string_list_append (names, name);
    }
  g_ptr_array_add (self->kinds, NULL);
  gtk_string_list_append (names, _("Something else (the desk decides)"));

  adw_combo_row_set_model (self->kind_row, G_LIST_MODEL (names));
  adw_combo_row_set_selected (self->kind_row, 0);
}

static void
outbox_sent_cb (FqGridReportDialog *self,
                const char         *key,
                JsonNode           *answer,
                FqOutbox           *outbox)
{
  g_autofree char *text = NULL;
  const char *id = NULL;

  if (g_strcmp0 (key, self->key) != 0)
    return;
  g_clear_pointer (&self->key, g_free);

  if (answer != NULL && JSON_NODE_HOLDS_OBJECT (answer))
    id = fq_json_string_or (json_node_get_object (answer), "id", NULL);
  if (id != NULL)
    /* Translators: %s is the new incident's number. */
    text = g_strdup_printf (_("Report %s received by the centre. You can report the next one."), id);
  else
    text = g_strdup (_("Report received by the centre. You can report the next one."));
  show_message (self, text);
  gtk_widget_set_sensitive (GTK_WIDGET (self->submit_button), TRUE);
}

static void
outbox_failed_cb (FqGridReportDialog *self,
                  const char         *key,
                  const GError       *error,
                  FqOutbox           *outbox)
{
  g_autofree char *message = NULL;

  if (g_strcmp0 (key, self->key) != 0)
    return;
  g_clear_pointer (&self->key, g_free);

  message = fq_client_describe_error (error);
  show_message (self, message);
  gtk_widget_set_sensitive (GTK_WIDGET (self->submit_button), TRUE);
}

static void
submit_button_clicked_cb (FqGridReportDialog *self)
{
  g_autoptr(JsonObject) body = NULL;
  g_autofree char *message = NULL;

  body = fq_grid_report_dialog_build_body (self, &message);
  if (body == NULL)
    {
      show_message (self, message);
      gtk_widget_grab_focus (GTK_WIDGET (self->summary_row));
      return;
    }

  g_free (self->key);
  self->key = fq_outbox_create_incident (fq_context_get_outbox (self->context), body);

  if (fq_sync_get_state (fq_context_get_sync (self->context)) == FQ_SYNC_STATE_ONLINE)
    show_message (self, _("Sending the report…"));
  else
    show_message (self, _("Offline: the report is saved and will be sent when the connection is back."));
  gtk_widget_set_sensitive (GTK_WIDGET (self->submit_button), FALSE);

  /* Ready for the next find on the same round: place and kind stay. */
  gtk_editable_set_text (GTK_EDITABLE (self->summary_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->address_row), "");
  gtk_widget_grab_focus (GTK_WIDGET (self->summary_row));
}

static void
summary_activated_cb (FqGridReportDialog *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self->address_row));
}

static void
address_activated_cb (FqGridReportDialog *self)
{
  if (gtk_widget_get_sensitive (GTK_WIDGET (self->submit_button)))
    submit_button_clicked_cb (self);
}

static gboolean
submit_shortcut_cb (GtkWidget *widget,
                    GVariant  *args,
                    gpointer   user_data)
{
  FqGridReportDialog *self = FQ_GRID_REPORT_DIALOG (widget);

  if (gtk_widget_get_sensitive (GTK_WIDGET (self->submit_button)))
    submit_button_clicked_cb (self);
  return TRUE;
}

static void
fq_grid_report_dialog_dispose (GObject *object)
{
  FqGridReportDialog *self = (FqGridReportDialog *)object;

  if (self->context != NULL && fq_context_get_outbox (self->context) != NULL)
    g_signal_handlers_disconnect_by_data (fq_context_get_outbox (self->context), self);

  gtk_widget_dispose_template (GTK_WIDGET (self), FQ_TYPE_GRID_REPORT_DIALOG);

  g_clear_object (&self->context);

  G_OBJECT_CLASS (fq_grid_report_dialog_parent_class)->dispose (object);
}

static void
fq_grid_report_dialog_finalize (GObject *object)
{
  FqGridReportDialog *self = (FqGridReportDialog *)object;

  g_clear_pointer (&self->places, g_ptr_array_unref);
  g_clear_pointer (&self->kinds, g_ptr_array_unref);
  g_clear_pointer (&self->key, g_free);

  G_OBJECT_CLASS (fq_grid_report_dialog_parent_class)->finalize (object);
}

static void
fq_grid_report_dialog_class_init (FqGridReportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fq_grid_report_dialog_dispose;
  object_class->finalize = fq_grid_report_dialog_finalize;

  gtk_widget_class_add_binding (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK,
                                submit_shortcut_cb, NULL);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK,
                                submit_shortcut_cb, NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/cn/fengqiao/Console/fq-grid-report-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, FqGridReportDialog, place_row);
  gtk_widget_class_bind_template_child (widget_class, FqGridReportDialog, kind_row);
  gtk_widget_class_bind_template_child (widget_class, FqGridReportDialog, summary_row);
  gtk_widget_class_bind_template_child (widget_class, FqGridReportDialog, address_row);
  gtk_widget_class_bind_template_child (widget_class, FqGridReportDialog, submit_button);
  gtk_widget_class_bind_template_child (widget_class, FqGridReportDialog, message_label);
  gtk_widget_class_bind_template_callback (widget_class, submit_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, summary_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, address_activated_cb);
}

static void
fq_grid_report_dialog_init (FqGridReportDialog *self)
{
  self->places = g_ptr_array_new_with_free_func (g_free);
  self->kinds = g_ptr_array_new_with_free_func (g_free);

  gtk_widget_init_template (GTK_WIDGET (self));

  fq_label_track_accessible_label (self->message_label);
  fq_fix_mnemonic_accessible_labels (GTK_WIDGET (self));
  fq_fix_list_popups (GTK_WIDGET (self));
}

FqGridReportDialog *
fq_grid_report_dialog_new (GtkWindow *parent,
                           FqContext *context)
{
  FqGridReportDialog *self;
  FqOutbox *outbox;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (FQ_IS_CONTEXT (context), NULL);

  self = g_object_new (FQ_TYPE_GRID_REPORT_DIALOG,
                       "transient-for", parent,
                       "modal", parent != NULL,
                       NULL);
  self->context = g_object_ref (context);

  fill_places (self);
  fill_kinds (self);

  outbox = fq_context_get_outbox (context);
  if (outbox != NULL)
    {
      g_signal_connect_swapped (outbox, "sent", G_CALLBACK (outbox_sent_cb), self);
      g_signal_connect_swapped (outbox, "failed", G_CALLBACK (outbox_failed_cb), self);
    }

  gtk_widget_grab_focus (GTK_WIDGET (self->summary_row));
  return self;
}

const char *
fq_grid_report_dialog_get_grid (FqGridReportDialog *self)
{
  guint selected;

  g_return_val_if_fail (FQ_IS_GRID_REPORT_DIALOG (self), NULL);

  selected = adw_combo_row_get_selected (self->place_row);
  if (selected >= self->places->len)
    return self->places->len > 0 ? g_ptr_array_index (self->places, 0) : NULL;
  return g_ptr_array_index (self->places, selected);
}

const char *
fq_grid_report_dialog_get_category (FqGridReportDialog *self)
{
  guint selected;

  g_return_val_if_fail (FQ_IS_GRID_REPORT_DIALOG (self), NULL);

  selected = adw_combo_row_get_selected (self->kind_row);
  if (selected >= self->kinds->len)
    return NULL;
  return g_ptr_array_index (self->kinds, selected);
}

JsonObject *
fq_grid_report_dialog_build_body (FqGridReportDialog  *self,
                                  char               **message)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *received = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *address = NULL;
  const char *grid = fq_grid_report_dialog_get_grid (self);
  const char *category = fq_grid_report_dialog_get_category (self);

  g_return_val_if_fail (FQ_IS_GRID_REPORT_DIALOG (self), NULL);
  g_return_val_if_fail (message != NULL, NULL);

  *message = NULL;
  summary = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->summary_row))));
  address = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->address_row))));
  if (grid == NULL)
    {
      *message = g_strdup (_("Your account has no grid: ask the administrator to set your scope."));
      return NULL;
    }
  if (summary[0] == '\0')
    {
      *message = g_strdup (_("Write in one line what you found."));
      return NULL;
    }

  received = g_date_time_format_iso8601 (now);
  body = json_object_new ();
  json_object_set_string_member (body, "source", fq_enum_to_string (FQ_TYPE_SOURCE, FQ_SOURCE_GRID));
  json_object_set_string_member (body, "received_at", received);
  json_object_set_string_member (body, "grid", grid);
  json_object_set_string_member (body, "summary", summary);
  if (category != NULL)
    json_object_set_string_member (body, "category", category);
  if (address[0] != '\0')
    json_object_set_string_member (body, "address", address);
  return g_steal_pointer (&body);
}
