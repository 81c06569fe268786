/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "fq-triage-pane"

#include "config.h"

#include <glib/gi18n.h>

#include "fq-category.h"
#include "fq-client.h"
#include "fq-incident.h"
#include "fq-json.h"
#include "fq-triage-pane.h"
#include "fq-ui-util.h"

struct _FqTriagePane
{
  AdwBin          parent_instance;

  gboolean        focus_on_show;  /* fq_triage_pane_focus_when_shown() */

  /* Template widgets */
  GtkLabel       *title_label;
  GtkLabel       *status_label;
  GtkLabel       *suggestion_label;
  GtkLabel       *source_value;
  GtkLabel       *received_value;
  GtkLabel       *caller_value;
  GtkButton      *reveal_button;
  GtkLabel       *address_value;
  GtkLabel       *place_value;
  GtkLabel       *description_key;
  GtkLabel       *description_value;
  GtkWidget      *repeat_box;
  GtkLabel       *repeat_heading;
  GtkListBox     *repeat_list;
  GtkButton      *not_repeat_button;
  GtkWidget      *decision_box;
  AdwComboRow    *category_row;
  AdwComboRow    *decision_row;
  AdwComboRow    *merge_row;
  AdwEntryRow    *place_row;
  AdwActionRow   *lead_unit_row;
  AdwEntryRow    *note_row;
  GtkLabel       *police_only_label;
  GtkLabel       *form_message;
  GtkButton      *submit_button;
  GtkWidget      *decided_box;
  GtkLabel       *decided_label;
  GtkButton      *open_ticket_button;

  /* Owned */
  FqContext      *context;
  GCancellable   *cancellable;
  FqIncident     *incident;
  char           *incident_id;
  char           *grid;           /* the place chosen in the form */
  GArray         *decisions;      /* FqDecision offered by decision_row */
  GPtrArray      *merge_tickets;  /* ticket ids offered by merge_row */
  GCancellable   *reveal_cancellable;
  char           *revealed_phone; /* incident_id's full number, after a reveal */
  char           *reveal_error;   /* why the last reveal failed, in operator words */
  gulong          record_changed_id;
};

G_DEFINE_FINAL_TYPE (FqTriagePane, fq_triage_pane, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

enum {
  OPEN_TICKET,
  SUBMITTED,
  CLOSE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static FqCategory *
selected_category (FqTriagePane *self)
{
  return adw_combo_row_get_selected_item (self->category_row);
}

static int
selected_decision (FqTriagePane *self)
{
  guint i = adw_combo_row_get_selected (self->decision_row);

  if (self->decisions == NULL || i == GTK_INVALID_LIST_POSITION || i >= self->decisions->len)
    return -1;

  return g_array_index (self->decisions, int, i);
}

static void
update_lead_unit (FqTriagePane *self)
{
  FqCategory *category = selected_category (self);
  const char *unit = NULL;
  int decision = selected_decision (self);

  if (category != NULL && self->grid != NULL)
    unit = fq_preview_lead_unit (self->context, fq_category_get_code (category), self->grid);

  adw_action_row_set_subtitle (self->lead_unit_row,
                               unit != NULL ? unit
                               : category == NULL ? _("Choose a category to see the unit")
                               : _("None found for this place; the server will choose"));
  gtk_widget_set_visible (GTK_WIDGET (self->lead_unit_row), decision == FQ_DECISION_DIVERT);
  gtk_widget_set_visible (GTK_WIDGET (self->merge_row), decision == FQ_DECISION_MERGE);
}

/* A police-only category can only be decided "police" (DOMAIN.md); merging
 * is offered only when there is a ticket to merge into. */
static void
rebuild_decisions (FqTriagePane *self)
{
  static const int all[] = {
    FQ_DECISION_DIVERT, FQ_DECISION_ON_SCENE, FQ_DECISION_MEDIATE,
    FQ_DECISION_MERGE, FQ_DECISION_POLICE,
  };
  FqCategory *category = selected_category (self);
  gboolean police_only = category != NULL && fq_category_get_police_only (category);
  int previous = selected_decision (self);
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  guint select = 0;

  g_array_set_size (self->decisions, 0);
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    {
      if (police_only && all[i] != FQ_DECISION_POLICE)
        continue;
      if (all[i] == FQ_DECISION_MERGE && self->merge_tickets->len == 0)
        continue;
      if (all[i] == previous)
        select = self->decisions->len;
      g_array_append_val (self->decisions, all[i]);
      gtk_string_list_append (names, fq_decision_label (all[i]));
    }

  adw_combo_row_set_model (self->decision_row, G_LIST_MODEL (names));
  adw_combo_row_set_selected (self->decision_row, select);
  gtk_widget_set_visible (GTK_WIDGET (self->police_only_label), police_only);

  update_lead_unit (self);
}

static void
category_selected_cb (FqTriagePane *self)
{
  rebuild_decisions (self);
}

static void
decision_selected_cb (FqTriagePane *self)
{
  update_lead_unit (self);
}

static void
set_place (FqTriagePane *self,
           const char   *code)
{
  FqGridItem *item = code != NULL ? fq_grid_model_lookup (fq_context_get_grid (self->context), code) : NULL;

  g_free (self->grid);
  self->grid = g_strdup (code);

  gtk_label_set_label (self->place_value, item != NULL ? fq_grid_item_get_path (item) : "");
  update_lead_unit (self);
}

/* Typing a name in the place row and pressing Enter moves the incident to
 * the first place of that name, as the grid sidebar's search does. */
static void
place_row_apply_cb (FqTriagePane *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->place_row));
  g_auto(GStrv) path = NULL;
  guint n;

  if (text[0] == '\0')
    return;

  path = fq_grid_model_find (fq_context_get_grid (self->context), text, NULL);
  if (path == NULL || (n = g_strv_length (path)) == 0)
    {
      g_autofree char *message = g_strdup_printf (_("No place named “%s”"), text);

      gtk_label_set_label (self->form_message, message);
      gtk_widget_set_visible (GTK_WIDGET (self->form_message), TRUE);
      return;
    }

  gtk_widget_set_visible (GTK_WIDGET (self->form_message), FALSE);
  set_place (self, path[n - 1]);
  gtk_editable_set_text (GTK_EDITABLE (self->place_row), "");
}

static void
submit_button_clicked_cb (FqTriagePane *self)
{
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *key = NULL;
  FqCategory *category = selected_category (self);
  int decision = selected_decision (self);
  const char *note = gtk_editable_get_text (GTK_EDITABLE (self->note_row));

  if (self->incident == NULL || decision < 0)
    return;

  if (category == NULL)
    {
      gtk_label_set_label (self->form_message, _("Choose a category first."));
      gtk_widget_set_visible (GTK_WIDGET (self->form_message), TRUE);
      gtk_widget_grab_focus (GTK_WIDGET (self->category_row));
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "decision");
  json_builder_add_string_value (builder, fq_enum_to_string (FQ_TYPE_DECISION, decision));
  json_builder_set_member_name (builder, "category");
  json_builder_add_string_value (builder, fq_category_get_code (category));
  json_builder_set_member_name (builder, "grid");
  json_builder_add_string_value (builder, self->grid != NULL ? self->grid
                                                             : fq_incident_get_grid (self->incident));
  json_builder_set_member_name (builder, "rev");
  json_builder_add_int_value (builder, fq_incident_get_rev (self->incident));
  if (note[0] != '\0')
    {
      json_builder_set_member_name (builder, "note");
      json_builder_add_string_value (builder, note);
    }
  if (decision == FQ_DECISION_MERGE)
    {
      guint i = adw_combo_row_get_selected (self->merge_row);

      if (i == GTK_INVALID_LIST_POSITION || i >= self->merge_tickets->len)
        return;
      json_builder_set_member_name (builder, "ticket");
      json_builder_add_string_value (builder, g_ptr_array_index (self->merge_tickets, i));
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);

  key = fq_outbox_triage (fq_context_get_outbox (self->context),
                          fq_incident_get_id (self->incident),
                          json_node_get_object (root));

  gtk_editable_set_text (GTK_EDITABLE (self->note_row), "");
  gtk_widget_set_sensitive (self->decision_box, FALSE);
  gtk_label_set_label (self->status_label, _("Triage sent · waiting for the server"));

  g_signal_emit (self, signals[SUBMITTED], 0, fq_incident_get_id (self->incident));
}

static void
not_repeat_button_clicked_cb (FqTriagePane *self)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *path = NULL;
  g_autofree char *key = NULL;

  if (self->incident == NULL)
    return;

  path = g_strdup_printf ("/incidents/%s/not_repeat", fq_incident_get_id (self->incident));
  key = fq_outbox_submit (fq_context_get_outbox (self->context), "POST", path, body,
                          "incident", fq_incident_get_id (self->incident),
                          _("Not a repeat call"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->not_repeat_button), FALSE);
}

static void
open_ticket_button_clicked_cb (FqTriagePane *self)
{
  if (self->incident != NULL && fq_incident_get_ticket (self->incident) != NULL)
    g_signal_emit (self, signals[OPEN_TICKET], 0, fq_incident_get_ticket (self->incident));
}

static void
close_button_clicked_cb (FqTriagePane *self)
{
  g_signal_emit (self, signals[CLOSE], 0);
}

static void
candidate_ticket_clicked_cb (GtkButton    *button,
                             FqTriagePane *self)
{
  g_signal_emit (self, signals[OPEN_TICKET], 0, g_object_get_data (G_OBJECT (button), "fq-ticket"));
}

typedef struct
{
  FqTriagePane *self;
  AdwActionRow *row;
} CandidateLoad;

static void
candidate_loaded_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  CandidateLoad *load = user_data;
  g_autoptr(JsonObject) json = NULL;
  g_autoptr(GError) error = NULL;

  json = fq_cache_get_record_finish (FQ_CACHE (object), result, &error);
  if (json != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      const char *summary = fq_json_string_or (json, "summary", "");
      const char *received = fq_json_string_or (json, "received_at", NULL);
      gint64 at = 0;
      g_autofree char *when = NULL;
      g_autofree char *subtitle = NULL;
      const char *old_subtitle = adw_action_row_get_subtitle (load->row);

      if (received != NULL)
        fq_time_parse (received, &at);
      when = fq_format_date_time (at);
      subtitle = g_strdup_printf ("%s · %s", when, old_subtitle != NULL ? old_subtitle : "");
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (load->row), summary);
      adw_action_row_set_subtitle (load->row, subtitle);
    }

  g_object_unref (load->row);
  g_object_unref (load->self);
  g_free (load);
}

static void
clear_list_box (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static void
add_candidate_row (FqTriagePane            *self,
                   const char              *incident,
                   const char              *ticket,
                   double                   score,
                   gboolean                 is_chain)
{
  AdwActionRow *row = ADW_ACTION_ROW (adw_action_row_new ());
  g_autofree char *subtitle = NULL;
  CandidateLoad *load;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), incident);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  if (is_chain)
    subtitle = g_strdup (_("First call of this matter"));
  else
    /* Translators: how alike two calls are, as a percentage. */
    subtitle = g_strdup_printf (_("%.0f%% alike"), score * 100);
  adw_action_row_set_subtitle (row, subtitle);
  adw_action_row_set_subtitle_lines (row, 2);
  adw_action_row_set_title_lines (row, 2);

  if (ticket != NULL && ticket[0] != '\0')
    {
      GtkWidget *button = gtk_button_new_with_label (ticket);

      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_set_tooltip_text (button, _("Show the ticket of the earlier call"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Show the ticket of the earlier call"),
                                      -1);
      g_object_set_data_full (G_OBJECT (button), "fq-ticket", g_strdup (ticket), g_free);
      g_signal_connect (button, "clicked", G_CALLBACK (candidate_ticket_clicked_cb), self);
      adw_action_row_add_suffix (row, button);
    }

  gtk_list_box_append (self->repeat_list, GTK_WIDGET (row));

  load = g_new0 (CandidateLoad, 1);
  load->self = g_object_ref (self);
  load->row = g_object_ref (row);
  fq_cache_get_record_async (fq_context_get_cache (self->context), "incident", incident,
                             self->cancellable, candidate_loaded_cb, load);
}

static void
show_repeats (FqTriagePane *self)
{
  GPtrArray *candidates = fq_incident_get_repeat_candidates (self->incident);
  const char *repeat_of = fq_incident_get_repeat_of (self->incident);
  g_autoptr(GtkStringList) ticket_names = gtk_string_list_new (NULL);
  gboolean chain_listed = FALSE;

  clear_list_box (self->repeat_list);
  g_ptr_array_set_size (self->merge_tickets, 0);

  for (guint i = 0; i < candidates->len; i++)
    {
      FqRepeatCandidate *candidate = g_ptr_array_index (candidates, i);

      add_candidate_row (self, candidate->incident, candidate->ticket, candidate->score,
                         g_strcmp0 (candidate->incident, repeat_of) == 0);
      chain_listed |= g_strcmp0 (candidate->incident, repeat_of) == 0;
      if (candidate->ticket != NULL && candidate->ticket[0] != '\0')
        {
          g_ptr_array_add (self->merge_tickets, g_strdup (candidate->ticket));
          gtk_string_list_append (ticket_names, candidate->ticket);
        }
    }
  if (repeat_of != NULL && repeat_of[0] != '\0' && !chain_listed)
    add_candidate_row (self, repeat_of, NULL, 1.0, TRUE);

  adw_combo_row_set_model (self->merge_row, G_LIST_MODEL (ticket_names));

  gtk_widget_set_visible (self->repeat_box, candidates->len > 0 || (repeat_of != NULL && repeat_of[0] != '\0'));
  gtk_widget_set_visible (GTK_WIDGET (self->not_repeat_button),
                          repeat_of != NULL && repeat_of[0] != '\0' && fq_can_triage (self->context));
  gtk_widget_set_sensitive (GTK_WIDGET (self->not_repeat_button), TRUE);
}

static guint
category_position (FqTriagePane *self,
                   const char   *code)
{
  GListModel *categories = fq_context_get_categories (self->context);
  guint n = g_list_model_get_n_items (categories);

  for (guint i = 0; code != NULL && i < n; i++)
    {
      g_autoptr(FqCategory) category = g_list_model_get_item (categories, i);

      if (g_str_equal (fq_category_get_code (category), code))
        return i;
    }

  return GTK_INVALID_LIST_POSITION;
}

/* Operators and coordinators receive callers' numbers in full, but the
 * pane shows them masked until the person asks: POST /incidents/{id}/reveal
 * puts every look at a number in the audit. */
static gboolean
can_reveal (FqTriagePane *self)
{
  return self->context != NULL && fq_role_may_reveal_phone (fq_context_get_role (self->context));
}

static void
show_caller (FqTriagePane *self)
{
  const char *caller = fq_incident_get_caller_name (self->incident);
  const char *phone = fq_incident_get_caller_phone (self->incident);
  gboolean revealable = can_reveal (self) && phone != NULL && *phone != '\0';
  g_autofree char *masked = NULL;
  g_autofree char *text = NULL;

  if (self->revealed_phone != NULL)
    phone = self->revealed_phone;
  else if (revealable)
    phone = masked = fq_mask_phone (phone);

  text = g_strdup_printf ("%s%s%s%s%s", caller != NULL ? caller : "",
                          caller != NULL && phone != NULL ? "  " : "",
                          phone != NULL ? phone : "",
                          self->reveal_error != NULL ? "\n" : "",
                          self->reveal_error != NULL ? self->reveal_error : "");
  gtk_label_set_label (self->caller_value, text);
  gtk_widget_set_visible (GTK_WIDGET (self->reveal_button),
                          revealable && self->revealed_phone == NULL);
}

static void
revealed_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(FqTriagePane) self = user_data;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *answer;

  node = fq_client_call_finish (FQ_CLIENT (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  gtk_widget_set_sensitive (GTK_WIDGET (self->reveal_button), TRUE);
  g_clear_pointer (&self->reveal_error, g_free);
  if (node == NULL)
    self->reveal_error = fq_client_describe_error (error);
  else if (JSON_NODE_HOLDS_OBJECT (node) &&
           (answer = json_node_get_object (node)) != NULL &&
           json_object_has_member (answer, "caller_phone") &&
           JSON_NODE_HOLDS_VALUE (json_object_get_member (answer, "caller_phone")))
    {
      g_free (self->revealed_phone);
      self->revealed_phone = g_strdup (json_object_get_string_member (answer, "caller_phone"));
    }
  else
    self->reveal_error = g_strdup (_("The server sent no number for this call."));

  if (self->incident != NULL)
    show_caller (self);
}

static void
reveal_button_clicked_cb (FqTriagePane *self)
{
  g_autofree char *path = NULL;

  if (self->context == NULL || self->incident_id == NULL)
    return;

  g_cancellable_cancel (self->reveal_cancellable);
  g_clear_object (&self->reveal_cancellable);
  self->reveal_cancellable = g_cancellable_new ();

  path = g_strdup_printf ("/incidents/%s/reveal", self->incident_id);
  gtk_widget_set_sensitive (GTK_WIDGET (self->reveal_button), FALSE);
  fq_client_call_async (fq_context_get_client (self->context), "POST", path, NULL, NULL,
                        self->reveal_cancellable, revealed_cb, g_object_ref (self));
}

static void
show_incident (FqTriagePane *self,
               gboolean      same_incident)
{
  FqIncident *incident = self->incident;
  FqIncidentStatus status = fq_incident_get_status (incident);
  gboolean open = status == FQ_INCIDENT_STATUS_NEW;
  gboolean can_triage = open && fq_can_triage (self->context);
  const char *category = fq_incident_get_category (incident);
  const char *suggested = fq_incident_get_suggested_category (incident);
  g_autofree char *received = fq_format_date_time (fq_incident_get_received_at (incident));

  gtk_label_set_label (self->title_label, fq_incident_get_summary (incident));
  gtk_label_set_label (self->source_value, fq_source_label (fq_incident_get_source (incident)));
  gtk_label_set_label (self->received_value, received);
  show_caller (self);
  gtk_label_set_label (self->address_value, fq_incident_get_address (incident) ?: "");
  gtk_label_set_label (self->description_value, fq_incident_get_description (incident) ?: "");
  gtk_widget_set_visible (GTK_WIDGET (self->description_key),
                          fq_incident_get_description (incident) != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->description_value),
                          fq_incident_get_description (incident) != NULL);

  gtk_label_set_label (self->status_label,
                       open ? _("Awaiting triage")
                            : fq_decision_label (fq_incident_get_has_decision (incident)
                                                 ? (int)fq_incident_get_decision (incident) : -1));

  show_repeats (self);

  /* A change of the incident on the server (a repeat call attached, the
   * category set by a colleague) refreshes the facts but keeps what the
   * operator has chosen in the form. */
  if (!same_incident)
    {
      guint position = category_position (self, category != NULL ? category : suggested);

      /* A new incident starts from the default decision, not from the one
       * chosen for the previous incident. */
      g_array_set_size (self->decisions, 0);

      set_place (self, fq_incident_get_grid (incident));
      adw_combo_row_set_selected (self->category_row, position);
      if (suggested != NULL)
        {
          g_autofree char *text = NULL;

          /* Translators: the category the server suggests, with its confidence. */
          text = g_strdup_printf (_("Suggested: %s (%.0f%%)"),
                                  fq_context_lookup_category_name (self->context, suggested),
                                  fq_incident_get_suggested_confidence (incident) * 100);
          gtk_label_set_label (self->suggestion_label, text);
        }
      gtk_widget_set_visible (GTK_WIDGET (self->suggestion_label), suggested != NULL);
      gtk_editable_set_text (GTK_EDITABLE (self->note_row), "");
      gtk_widget_set_visible (GTK_WIDGET (self->form_message), FALSE);
    }

  /* A triage of this console waits for the server: the form waits too, and
   * comes back if the server refused it. */
  if (open && fq_outbox_is_pending (fq_context_get_outbox (self->context), fq_incident_get_id (incident)))
    {
      gtk_widget_set_sensitive (self->decision_box, FALSE);
      gtk_label_set_label (self->status_label, _("Triage sent · waiting for the server"));
    }
  else
    gtk_widget_set_sensitive (self->decision_box, TRUE);

  rebuild_decisions (self);

  gtk_widget_set_visible (self->decision_box, can_triage);
  gtk_widget_set_visible (self->decided_box, !open);
  if (!open)
    {
      g_autofree char *decided = NULL;
      const char *ticket = fq_incident_get_ticket (incident);

      /* Translators: the decision, then the category's name. */
      decided = g_strdup_printf (_("%s · %s"),
                                 fq_decision_label (fq_incident_get_has_decision (incident)
                                                    ? (int)fq_incident_get_decision (incident) : -1),
                                 category != NULL ? fq_context_lookup_category_name (self->context, category) : "");
      gtk_label_set_label (self->decided_label, decided);
      gtk_widget_set_visible (GTK_WIDGET (self->open_ticket_button), ticket != NULL && ticket[0] != '\0');
    }
}

static void
incident_loaded_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(FqTriagePane) self = user_data;
  g_autoptr(JsonObject) json = NULL;
  g_autoptr(FqIncident) incident = NULL;
  g_autoptr(GError) error = NULL;
  gboolean same;

  json = fq_cache_get_record_finish (FQ_CACHE (object), result, &error);
  if (json == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Incident not in the cache: %s", error->message);
      return;
    }

  incident = fq_incident_new_from_json (json, &error);
  if (incident == NULL)
    {
      g_warning ("Cannot read incident: %s", error->message);
      return;
    }

  if (g_strcmp0 (fq_incident_get_id (incident), self->incident_id) != 0)
    return;

  same = self->incident != NULL
         && g_str_equal (fq_incident_get_id (self->incident), fq_incident_get_id (incident));
  g_set_object (&self->incident, incident);
  show_incident (self, same);
  if (self->focus_on_show)
    {
      self->focus_on_show = FALSE;
      gtk_widget_grab_focus (GTK_WIDGET (self));
    }
}

static void
load (FqTriagePane *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  if (self->context == NULL || self->incident_id == NULL)
    return;

  fq_cache_get_record_async (fq_context_get_cache (self->context), "incident", self->incident_id,
                             self->cancellable, incident_loaded_cb, g_object_ref (self));
}

static void
record_changed_cb (FqTriagePane *self,
                   const char   *entity,
                   const char   *id,
                   FqCache      *cache)
{
  if (g_strcmp0 (id, self->incident_id) == 0)
    load (self);
}

static void
pending_changed_cb (FqTriagePane *self,
                    const char   *entity,
                    const char   *entity_id,
                    FqOutbox     *outbox)
{
  if (self->incident != NULL && g_strcmp0 (entity_id, self->incident_id) == 0)
    show_incident (self, TRUE);
}

static gboolean
submit_shortcut_cb (GtkWidget *widget,
                    GVariant  *args,
                    gpointer   user_data)
{
  FqTriagePane *self = FQ_TRIAGE_PANE (widget);

  if (gtk_widget_get_visible (self->decision_box) && gtk_widget_get_sensitive (self->decision_box))
    submit_button_clicked_cb (self);

  return TRUE;
}

/* Focus goes where the work is: the first field of the form, or the way
 * to the ticket of a matter already decided. */
static gboolean
fq_triage_pane_grab_focus (GtkWidget *widget)
{
  FqTriagePane *self = (FqTriagePane *)widget;

  if (gtk_widget_get_visible (self->decision_box) && gtk_widget_get_sensitive (self->decision_box))
    return gtk_widget_grab_focus (GTK_WIDGET (self->category_row));
  if (gtk_widget_get_visible (GTK_WIDGET (self->open_ticket_button)))
    return gtk_widget_grab_focus (GTK_WIDGET (self->open_ticket_button));

  /* A matter decided without a ticket (police): its first control. */
  return fq_widget_focus_first (widget);
}

static void
fq_triage_pane_dispose (GObject *object)
{
  FqTriagePane *self = (FqTriagePane *)object;

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->reveal_cancellable);
  fq_triage_pane_set_context (self, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), FQ_TYPE_TRIAGE_PANE);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->reveal_cancellable);
  g_clear_object (&self->incident);

  G_OBJECT_CLASS (fq_triage_pane_parent_class)->dispose (object);
}

static void
fq_triage_pane_finalize (GObject *object)
{
  FqTriagePane *self = (FqTriagePane *)object;

  g_clear_pointer (&self->incident_id, g_free);
  g_clear_pointer (&self->grid, g_free);
  g_clear_pointer (&self->revealed_phone, g_free);
  g_clear_pointer (&self->reveal_error, g_free);
  g_clear_pointer (&self->decisions, g_array_unref);
  g_clear_pointer (&self->merge_tickets, g_ptr_array_unref);

  G_OBJECT_CLASS (fq_triage_pane_parent_class)->finalize (object);
}

static void
fq_triage_pane_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  FqTriagePane *self = FQ_TRIAGE_PANE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_triage_pane_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  FqTriagePane *self = FQ_TRIAGE_PANE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      fq_triage_pane_set_context (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_triage_pane_class_init (FqTriagePaneClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fq_triage_pane_dispose;
  object_class->finalize = fq_triage_pane_finalize;
  object_class->get_property = fq_triage_pane_get_property;
  object_class->set_property = fq_triage_pane_set_property;

  widget_class->grab_focus = fq_triage_pane_grab_focus;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL,
                         FQ_TYPE_CONTEXT,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[OPEN_TICKET] =
    g_signal_new ("open-ticket", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SUBMITTED] =
    g_signal_new ("submitted", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[CLOSE] =
    g_signal_new ("close", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_add_binding (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, submit_shortcut_cb, NULL);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK, submit_shortcut_cb, NULL);

  gtk_widget_class_set_template_from_resource (widget_class, "/cn/fengqiao/Console/fq-triage-pane.ui");
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, title_label);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, status_label);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, source_value);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, received_value);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, caller_value);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, reveal_button);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, address_value);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, place_value);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, description_key);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, description_value);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, repeat_box);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, repeat_heading);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, repeat_list);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, not_repeat_button);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, decision_box);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, category_row);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, suggestion_label);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, decision_row);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, merge_row);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, place_row);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, lead_unit_row);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, note_row);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, police_only_label);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, form_message);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, submit_button);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, decided_box);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, decided_label);
  gtk_widget_class_bind_template_child (widget_class, FqTriagePane, open_ticket_button);
  gtk_widget_class_bind_template_callback (widget_class, category_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, decision_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, place_row_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, submit_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, not_repeat_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, open_ticket_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, close_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, reveal_button_clicked_cb);
}

static void
fq_triage_pane_init (FqTriagePane *self)
{
  g_autoptr(GtkExpression) name = NULL;

  self->decisions = g_array_new (FALSE, FALSE, sizeof (int));
  self->merge_tickets = g_ptr_array_new_with_free_func (g_free);

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Status lines are read out as they change; buttons by their words. */
  fq_label_track_accessible_label (self->status_label);
  fq_label_track_accessible_label (self->form_message);
  fq_fix_mnemonic_accessible_labels (GTK_WIDGET (self));
  fq_fix_list_popups (GTK_WIDGET (self));

  name = gtk_property_expression_new (FQ_TYPE_CATEGORY, NULL, "name");
  adw_combo_row_set_expression (self->category_row, name);
}

GtkWidget *
fq_triage_pane_new (void)
{
  return g_object_new (FQ_TYPE_TRIAGE_PANE, NULL);
}

void
fq_triage_pane_set_context (FqTriagePane *self,
                            FqContext    *context)
{
  g_return_if_fail (FQ_IS_TRIAGE_PANE (self));
  g_return_if_fail (!context || FQ_IS_CONTEXT (context));

  if (self->context == context)
    return;

  if (self->context != NULL && self->record_changed_id != 0)
    g_clear_signal_handler (&self->record_changed_id, fq_context_get_cache (self->context));
  if (self->context != NULL && fq_context_get_outbox (self->context) != NULL)
    g_signal_handlers_disconnect_by_func (fq_context_get_outbox (self->context),
                                          pending_changed_cb, self);
  g_set_object (&self->context, context);

  if (context != NULL)
    {
      adw_combo_row_set_model (self->category_row, fq_context_get_categories (context));
      if (fq_context_get_outbox (context) != NULL)
        g_signal_connect_object (fq_context_get_outbox (context), "pending-changed",
                                 G_CALLBACK (pending_changed_cb), self, G_CONNECT_SWAPPED);
      if (fq_context_get_cache (context) != NULL)
        self->record_changed_id =
          g_signal_connect_object (fq_context_get_cache (context), "record-changed::incident",
                                   G_CALLBACK (record_changed_cb), self, G_CONNECT_SWAPPED);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTEXT]);
}

void
fq_triage_pane_set_incident (FqTriagePane *self,
                             const char   *id)
{
  g_return_if_fail (FQ_IS_TRIAGE_PANE (self));

  if (g_strcmp0 (self->incident_id, id) == 0)
    return;

  g_free (self->incident_id);
  self->incident_id = g_strdup (id);
  g_clear_object (&self->incident);
  self->focus_on_show = FALSE;
  /* A revealed number belongs to its incident only. */
  g_cancellable_cancel (self->reveal_cancellable);
  g_clear_object (&self->reveal_cancellable);
  g_clear_pointer (&self->revealed_phone, g_free);
  g_clear_pointer (&self->reveal_error, g_free);
  gtk_widget_set_sensitive (GTK_WIDGET (self->reveal_button), TRUE);
  load (self);
}

/* Moves the keyboard focus into the pane (its form, or the way to the
 * ticket) once the incident is shown: now, or when it has been read from
 * the cache. */
void
fq_triage_pane_focus_when_shown (FqTriagePane *self)
{
  g_return_if_fail (FQ_IS_TRIAGE_PANE (self));

  if (self->incident != NULL)
    gtk_widget_grab_focus (GTK_WIDGET (self));
  else
    self->focus_on_show = self->incident_id != NULL;
}

const char *
fq_triage_pane_get_incident (FqTriagePane *self)
{
  g_return_val_if_fail (FQ_IS_TRIAGE_PANE (self), NULL);

  return self->incident_id;
}
