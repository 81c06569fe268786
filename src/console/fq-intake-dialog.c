/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "fq-intake-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "fq-client.h"
#include "fq-incident.h"
#include "fq-intake-dialog.h"
#include "fq-ui-util.h"

struct _FqIntakeDialog
{
  AdwWindow       parent_instance;

  /* Template widgets */
  GtkStack       *stack;
  GtkButton      *submit_button;
  AdwComboRow    *source_row;
  AdwEntryRow    *caller_row;
  AdwEntryRow    *phone_row;
  AdwEntryRow    *address_row;
  AdwEntryRow    *place_row;
  AdwActionRow   *place_chosen_row;
  AdwEntryRow    *summary_row;
  GtkTextView    *description_view;
  GtkLabel       *form_message;
  GtkLabel       *result_title;
  GtkLabel       *result_detail;
  GtkWidget      *repeat_box;
  GtkLabel       *repeat_label;
  GtkButton      *show_button;

  /* Owned */
  FqContext      *context;
  GCancellable   *cancellable;
  char           *grid;         /* the chosen place */
  char           *key;          /* the idempotency key of the write sent */
  char           *incident_id;  /* the new incident, once the server answered */
  char           *earlier_id;   /* the first call of the matter it repeats */
};

G_DEFINE_FINAL_TYPE (FqIntakeDialog, fq_intake_dialog, ADW_TYPE_WINDOW)

enum {
  SHOW_INCIDENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The sources a person takes in at a desk; Open311 arrives by itself. */
static const FqSource sources[] = {
  FQ_SOURCE_110, FQ_SOURCE_12345, FQ_SOURCE_GRID, FQ_SOURCE_WALK_IN,
};

static void
show_form_message (FqIntakeDialog *self,
                   const char     *message)
{
  gtk_label_set_label (self->form_message, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->form_message), message != NULL);
}

static void
set_place (FqIntakeDialog *self,
           const char     *code)
{
  FqGridItem *item = fq_grid_model_lookup (fq_context_get_grid (self->context), code);

  g_free (self->grid);
  self->grid = g_strdup (code);
  adw_action_row_set_subtitle (self->place_chosen_row,
                               item != NULL ? fq_grid_item_get_path (item) : code);
}

static void
place_row_apply_cb (FqIntakeDialog *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->place_row));
  g_auto(GStrv) path = NULL;
  guint n;

  if (text[0] == '\0')
    return;

  path = fq_grid_model_find (fq_context_get_grid (self->context), text, self->grid);
  if (path == NULL || (n = g_strv_length (path)) == 0)
    {
      g_autofree char *message = g_strdup_printf (_("No place named “%s”"), text);

      show_form_message (self, message);
      return;
    }

  show_form_message (self, NULL);
  set_place (self, path[n - 1]);
  gtk_editable_set_text (GTK_EDITABLE (self->place_row), "");
  gtk_widget_grab_focus (GTK_WIDGET (self->summary_row));
}

static void
earlier_loaded_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(FqIntakeDialog) self = user_data;
  g_autoptr(JsonObject) json = NULL;
  g_autoptr(FqIncident) earlier = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *when = NULL;
  g_autofree char *text = NULL;
  const char *ticket;

  json = fq_cache_get_record_finish (FQ_CACHE (object), result, &error);
  if (json == NULL || (earlier = fq_incident_new_from_json (json, NULL)) == NULL)
    return;

  when = fq_format_date_time (fq_incident_get_received_at (earlier));
  ticket = fq_incident_get_ticket (earlier);
  if (ticket != NULL)
    /* Translators: an earlier call: its time, its summary, its ticket. */
    text = g_strdup_printf (_("Same matter as the call of %s: “%s”. Ticket %s."),
                            when, fq_incident_get_summary (earlier), ticket);
  else
    text = g_strdup_printf (_("Same matter as the call of %s: “%s”."),
                            when, fq_incident_get_summary (earlier));
  gtk_label_set_label (self->repeat_label, text);
}

static void
show_answer (FqIntakeDialog *self,
             JsonObject     *answer)
{
  g_autoptr(FqIncident) incident = NULL;
  g_autoptr(GError) error = NULL;
  const char *repeat_of;
  GPtrArray *candidates;

  incident = fq_incident_new_from_json (answer, &error);
  if (incident == NULL)
    {
      g_warning ("Unexpected answer to an intake: %s", error->message);
      return;
    }

  g_free (self->incident_id);
  self->incident_id = g_strdup (fq_incident_get_id (incident));
  repeat_of = fq_incident_get_repeat_of (incident);
  candidates = fq_incident_get_repeat_candidates (incident);

  g_free (self->earlier_id);
  self->earlier_id = g_strdup (repeat_of != NULL ? repeat_of
                               : candidates->len > 0
                               ? ((FqRepeatCandidate *)g_ptr_array_index (candidates, 0))->incident
                               : NULL);

  gtk_label_set_label (self->result_title, _("Incident Taken In"));
  {
    g_autofree char *detail = NULL;

    /* Translators: %s is the new incident's id. */
    detail = g_strdup_printf (_("Incident %s is waiting for triage on the board."), self->incident_id);
    gtk_label_set_label (self->result_detail, detail);
  }

  gtk_widget_set_visible (self->repeat_box, self->earlier_id != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->show_button), TRUE);
  gtk_button_set_label (self->show_button, self->earlier_id != NULL
                                           ? _("_Triage or Merge Now") : _("_Triage Now"));
  if (self->earlier_id != NULL)
    {
      gtk_label_set_label (self->repeat_label, _("This matter has been reported before."));
      fq_cache_get_record_async (fq_context_get_cache (self->context), "incident", self->earlier_id,
                                 self->cancellable, earlier_loaded_cb, g_object_ref (self));
    }
  gtk_widget_grab_focus (GTK_WIDGET (self->show_button));
}

static void
outbox_sent_cb (FqIntakeDialog *self,
                const char     *key,
                JsonNode       *answer,
                FqOutbox       *outbox)
{
  if (g_strcmp0 (key, self->key) != 0)
    return;

  if (answer != NULL && JSON_NODE_HOLDS_OBJECT (answer))
    show_answer (self, json_node_get_object (answer));
}

static void
outbox_failed_cb (FqIntakeDialog *self,
                  const char     *key,
                  const GError   *error,
                  FqOutbox       *outbox)
{
  g_autofree char *message = NULL;

  if (g_strcmp0 (key, self->key) != 0)
    return;

  g_clear_pointer (&self->key, g_free);
  message = fq_client_describe_error (error);
  gtk_stack_set_visible_child_name (self->stack, "form");
  gtk_widget_set_visible (GTK_WIDGET (self->submit_button), TRUE);
  show_form_message (self, message);
}

static void
submit_button_clicked_cb (FqIntakeDialog *self)
{
  g_autoptr(JsonObject) body = json_object_new ();
  /* Received now by the server's clock: a console whose clock is wrong
   * must not put the call hours away on the board. */
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_utc (fq_client_get_server_time () /
                                                            G_USEC_PER_SEC);
  g_autofree char *received = NULL;
  g_autofree char *description = NULL;
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->description_view);
  GtkTextIter start, end;
  const char *summary = gtk_editable_get_text (GTK_EDITABLE (self->summary_row));
  const char *caller = gtk_editable_get_text (GTK_EDITABLE (self->caller_row));
  const char *phone = gtk_editable_get_text (GTK_EDITABLE (self->phone_row));
  const char *address = gtk_editable_get_text (GTK_EDITABLE (self->address_row));
  guint source = adw_combo_row_get_selected (self->source_row);

  if (self->grid == NULL)
    {
      show_form_message (self, _("Choose the place: type a street or community name and press Enter."));
      gtk_widget_grab_focus (GTK_WIDGET (self->place_row));
      return;
    }
  if (summary[0] == '\0')
    {
      show_form_message (self, _("Write a one-line summary of the matter."));
      gtk_widget_grab_focus (GTK_WIDGET (self->summary_row));
      return;
    }

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  description = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  received = g_date_time_format_iso8601 (now);

  json_object_set_string_member (body, "source",
                                 fq_enum_to_string (FQ_TYPE_SOURCE,
                                                    sources[MIN (source, G_N_ELEMENTS (sources) - 1)]));
  json_object_set_string_member (body, "received_at", received);
  json_object_set_string_member (body, "grid", self->grid);
  json_object_set_string_member (body, "summary", summary);
  if (caller[0] != '\0')
    json_object_set_string_member (body, "caller_name", caller);
  if (phone[0] != '\0')
    json_object_set_string_member (body, "caller_phone", phone);
  if (address[0] != '\0')
    json_object_set_string_member (body, "address", address);
  if (description[0] != '\0')
    json_object_set_string_member (body, "description", description);

  show_form_message (self, NULL);
  g_free (self->key);
  self->key = fq_outbox_create_incident (fq_context_get_outbox (self->context), body);

  gtk_label_set_label (self->result_title, _("Sending…"));
  if (fq_sync_get_state (fq_context_get_sync (self->context)) == FQ_SYNC_STATE_ONLINE)
    gtk_label_set_label (self->result_detail, _("The server checks for earlier calls about the same matter."));
  else
    gtk_label_set_label (self->result_detail,
                         _("The console is offline. The incident is saved and will be sent when the connection is back."));
  gtk_widget_set_visible (self->repeat_box, FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->show_button), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->submit_button), FALSE);
  gtk_stack_set_visible_child_name (self->stack, "result");
}

static void
show_button_clicked_cb (FqIntakeDialog *self)
{
  if (self->incident_id != NULL)
    g_signal_emit (self, signals[SHOW_INCIDENT], 0, self->incident_id);
  gtk_window_close (GTK_WINDOW (self));
}

static void
another_button_clicked_cb (FqIntakeDialog *self)
{
  g_clear_pointer (&self->key, g_free);
  g_clear_pointer (&self->incident_id, g_free);
  g_clear_pointer (&self->earlier_id, g_free);

  gtk_editable_set_text (GTK_EDITABLE (self->caller_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->phone_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->address_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->summary_row), "");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->description_view), "", 0);
  /* The place is kept: the next call often comes from the same area. */

  gtk_widget_set_visible (GTK_WIDGET (self->submit_button), TRUE);
  gtk_stack_set_visible_child_name (self->stack, "form");
  gtk_widget_grab_focus (GTK_WIDGET (self->caller_row));
}

static void
entry_activated_cb (FqIntakeDialog *self,
                    AdwEntryRow    *row)
{
  gtk_widget_child_focus (GTK_WIDGET (self), GTK_DIR_TAB_FORWARD);
}

static gboolean
submit_shortcut_cb (GtkWidget *widget,
                    GVariant  *args,
                    gpointer   user_data)
{
  FqIntakeDialog *self = FQ_INTAKE_DIALOG (widget);

  if (g_str_equal (gtk_stack_get_visible_child_name (self->stack), "form"))
    submit_button_clicked_cb (self);

  return TRUE;
}

static void
fq_intake_dialog_dispose (GObject *object)
{
  FqIntakeDialog *self = (FqIntakeDialog *)object;

  g_cancellable_cancel (self->cancellable);
  if (self->context != NULL && fq_context_get_outbox (self->context) != NULL)
    g_signal_handlers_disconnect_by_data (fq_context_get_outbox (self->context), self);

  gtk_widget_dispose_template (GTK_WIDGET (self), FQ_TYPE_INTAKE_DIALOG);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (fq_intake_dialog_parent_class)->dispose (object);
}

static void
fq_intake_dialog_finalize (GObject *object)
{
  FqIntakeDialog *self = (FqIntakeDialog *)object;

  g_clear_pointer (&self->grid, g_free);
  g_clear_pointer (&self->key, g_free);
  g_clear_pointer (&self->incident_id, g_free);
  g_clear_pointer (&self->earlier_id, g_free);

  G_OBJECT_CLASS (fq_intake_dialog_parent_class)->finalize (object);
}

static void
fq_intake_dialog_class_init (FqIntakeDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fq_intake_dialog_dispose;
  object_class->finalize = fq_intake_dialog_finalize;

  signals[SHOW_INCIDENT] =
    g_signal_new ("show-incident", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_add_binding (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, submit_shortcut_cb, NULL);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK, submit_shortcut_cb, NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);

  gtk_widget_class_set_template_from_resource (widget_class, "/cn/fengqiao/Console/fq-intake-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, FqIntakeDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, FqIntakeDialog, submit_button);
  gtk_widget_class_bind_template_child (widget_class, FqIntakeDialog, source_row);
  gtk_widget_class_bind_template_child (widget_class, FqIntakeDialog, caller_row);
  gtk_widget_class_bind_template_child (widget_class, FqIntakeDialog, phone_row);
  gtk_widget_class_bind_template_child (widget_class, FqIntakeDialog, address_row);
  gtk_widget_class_bind_template_child (widget_class, FqIntakeDialog, place_row);
  gtk_widget_class_bind_template_child (widget_class, FqIntakeDialog, place_chosen_row);
  gtk_widget_class_bind_template_child (widget_class, FqIntakeDialog, summary_row);
  gtk_widget_class_bind_template_child (widget_class, FqIntakeDialog, description_view);
  gtk_widget_class_bind_template_child (widget_class, FqIntakeDialog, form_message);
  gtk_widget_class_bind_template_child (widget_class, FqIntakeDialog, result_title);
  gtk_widget_class_bind_template_child (widget_class, FqIntakeDialog, result_detail);
  gtk_widget_class_bind_template_child (widget_class, FqIntakeDialog, repeat_box);
  gtk_widget_class_bind_template_child (widget_class, FqIntakeDialog, repeat_label);
  gtk_widget_class_bind_template_child (widget_class, FqIntakeDialog, show_button);
  gtk_widget_class_bind_template_callback (widget_class, place_row_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, submit_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, show_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, another_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, entry_activated_cb);
}

static void
fq_intake_dialog_init (FqIntakeDialog *self)
{
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);

  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Status lines are read out as they change; buttons by their words. */
  fq_label_track_accessible_label (self->form_message);
  fq_label_track_accessible_label (self->result_title);
  fq_label_track_accessible_label (self->result_detail);
  fq_label_track_accessible_label (self->repeat_label);
  fq_fix_mnemonic_accessible_labels (GTK_WIDGET (self));
  fq_fix_list_popups (GTK_WIDGET (self));

  for (guint i = 0; i < G_N_ELEMENTS (sources); i++)
    gtk_string_list_append (names, fq_source_label (sources[i]));
  adw_combo_row_set_model (self->source_row, G_LIST_MODEL (names));
}

FqIntakeDialog *
fq_intake_dialog_new (GtkWindow *parent,
                      FqContext *context)
{
  FqIntakeDialog *self;
  FqOutbox *outbox;

  g_return_val_if_fail (GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (FQ_IS_CONTEXT (context), NULL);

  self = g_object_new (FQ_TYPE_INTAKE_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       NULL);
  self->context = g_object_ref (context);

  outbox = fq_context_get_outbox (context);
  g_signal_connect_swapped (outbox, "sent", G_CALLBACK (outbox_sent_cb), self);
  g_signal_connect_swapped (outbox, "failed", G_CALLBACK (outbox_failed_cb), self);

  /* A grid worker reports what they find; the desks take calls. */
  if (fq_context_get_role (context) == FQ_ROLE_GRID_WORKER)
    adw_combo_row_set_selected (self->source_row, 2);

  gtk_widget_grab_focus (GTK_WIDGET (self->caller_row));

  return self;
}
