/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "fq-ticket-pane"

#include "config.h"

#include <glib/gi18n.h>

#include "fq-ticket.h"
#include "fq-ticket-machine.h"
#include "fq-ticket-pane.h"
#include "fq-timeline-event.h"
#include "fq-ui-util.h"
#include "fq-unit.h"

struct _FqTicketPane
{
  AdwBin          parent_instance;

  /* Template widgets */
  GtkLabel       *kicker_label;
  GtkLabel       *title_label;
  GtkLabel       *category_value;
  GtkLabel       *place_value;
  GtkLabel       *tier_value;
  GtkLabel       *lead_unit_value;
  GtkLabel       *assisting_value;
  GtkLabel       *dispatched_value;
  GtkLabel       *deadline_value;
  GtkLabel       *counts_value;
  GtkFlowBox     *actions_box;
  GtkLabel       *no_actions_label;
  GtkRevealer    *form_revealer;
  GtkLabel       *form_title;
  GtkListBox     *form_list;
  AdwComboRow    *reason_row;
  AdwActionRow   *unit_row;
  GtkDropDown    *unit_dropdown;
  AdwComboRow    *tier_row;
  AdwActionRow   *satisfaction_row;
  GtkSpinButton  *satisfaction_spin;
  AdwEntryRow    *note_row;
  GtkLabel       *form_message;
  GtkButton      *confirm_button;
  GtkListBox     *events_list;

  /* Owned */
  FqContext      *context;
  GCancellable   *cancellable;
  FqTicket       *ticket;
  char           *ticket_id;
  int             action;         /* the FqTicketAction of the open form, or -1 */
  guint           reload_events_id;
  guint           clock_id;
};

G_DEFINE_FINAL_TYPE (FqTicketPane, fq_ticket_pane, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

enum {
  CLOSE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const FqReturnReason return_reasons[] = {
  FQ_RETURN_REASON_NOT_RESPONSIBLE, FQ_RETURN_REASON_WRONG_PLACE, FQ_RETURN_REASON_DUPLICATE,
  FQ_RETURN_REASON_NEEDS_POLICE, FQ_RETURN_REASON_OTHER,
};

static guint
unit_relation (FqTicketPane *self)
{
  const char *unit = fq_context_get_unit (self->context);
  const char * const *assisting = fq_ticket_get_assisting_units (self->ticket);
  guint relation = FQ_UNIT_RELATION_NONE;

  if (unit == NULL)
    return relation;
  if (g_strcmp0 (unit, fq_ticket_get_lead_unit (self->ticket)) == 0)
    relation |= FQ_UNIT_RELATION_LEAD;
  if (assisting != NULL && g_strv_contains (assisting, unit))
    relation |= FQ_UNIT_RELATION_ASSIST;

  return relation;
}

static void
close_form (FqTicketPane *self)
{
  self->action = -1;
  gtk_revealer_set_reveal_child (self->form_revealer, FALSE);
}

static void
open_form (FqTicketPane   *self,
           FqTicketAction  action)
{
  const FqTicketTransition *transition;
  guint fields;

  transition = fq_ticket_machine_lookup (fq_ticket_get_state (self->ticket), action);
  if (transition == NULL)
    return;

  self->action = action;
  fields = transition->required | transition->optional;

  gtk_label_set_label (self->form_title, fq_ticket_action_label (action));
  gtk_widget_set_visible (GTK_WIDGET (self->reason_row), fields & FQ_ACTION_FIELD_REASON);
  gtk_widget_set_visible (GTK_WIDGET (self->unit_row),
                          fields & (FQ_ACTION_FIELD_UNIT | FQ_ACTION_FIELD_UNITS));
  gtk_widget_set_visible (GTK_WIDGET (self->tier_row), fields & FQ_ACTION_FIELD_TIER);
  gtk_widget_set_visible (GTK_WIDGET (self->satisfaction_row), fields & FQ_ACTION_FIELD_SATISFACTION);
  gtk_widget_set_visible (GTK_WIDGET (self->note_row), fields & FQ_ACTION_FIELD_NOTE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->note_row),
                                 transition->required & FQ_ACTION_FIELD_NOTE
                                 ? _("Note (required)") : _("Note"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->unit_row),
                                 fields & FQ_ACTION_FIELD_UNITS ? _("Assisting Unit") : _("Unit"));
  gtk_editable_set_text (GTK_EDITABLE (self->note_row), "");
  gtk_widget_set_visible (GTK_WIDGET (self->form_message), FALSE);

  if (fields & FQ_ACTION_FIELD_TIER)
    {
      FqTier next;

      if (fq_tier_next (fq_ticket_get_tier (self->ticket), &next))
        adw_combo_row_set_selected (self->tier_row, next);
    }

  gtk_revealer_set_reveal_child (self->form_revealer, TRUE);

  /* Straight to the first field, so the whole action is typed. */
  if (fields == 0)
    gtk_widget_grab_focus (GTK_WIDGET (self->confirm_button));
  else
    gtk_widget_child_focus (GTK_WIDGET (self->form_list), GTK_DIR_TAB_FORWARD);
}

static void
action_button_clicked_cb (GtkButton    *button,
                          FqTicketPane *self)
{
  FqTicketAction action = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "fq-action"));
  const FqTicketTransition *transition;

  transition = fq_ticket_machine_lookup (fq_ticket_get_state (self->ticket), action);
  if (transition == NULL)
    return;

  open_form (self, action);
}

static void
show_message (FqTicketPane *self,
              const char   *message)
{
  gtk_label_set_label (self->form_message, message);
  gtk_widget_set_visible (GTK_WIDGET (self->form_message), TRUE);
}

static void
confirm_button_clicked_cb (FqTicketPane *self)
{
  const FqTicketTransition *transition;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *key = NULL;
  const char *note;
  guint fields;

  if (self->ticket == NULL || self->action < 0)
    return;

  transition = fq_ticket_machine_lookup (fq_ticket_get_state (self->ticket), self->action);
  if (transition == NULL)
    {
      close_form (self);
      return;
    }
  fields = transition->required | transition->optional;
  note = gtk_editable_get_text (GTK_EDITABLE (self->note_row));

  if ((transition->required & FQ_ACTION_FIELD_NOTE) && note[0] == '\0')
    {
      show_message (self, _("Write a note: the unit and the coordinator will read it."));
      gtk_widget_grab_focus (GTK_WIDGET (self->note_row));
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "action");
  json_builder_add_string_value (builder, fq_enum_to_string (FQ_TYPE_TICKET_ACTION, self->action));
  json_builder_set_member_name (builder, "rev");
  json_builder_add_int_value (builder, fq_ticket_get_rev (self->ticket));

  if ((fields & FQ_ACTION_FIELD_NOTE) && note[0] != '\0')
    {
      json_builder_set_member_name (builder, "note");
      json_builder_add_string_value (builder, note);
    }
  if (fields & FQ_ACTION_FIELD_REASON)
    {
      guint i = adw_combo_row_get_selected (self->reason_row);

      json_builder_set_member_name (builder, "reason");
      json_builder_add_string_value (builder,
                                     fq_enum_to_string (FQ_TYPE_RETURN_REASON,
                                                        return_reasons[MIN (i, G_N_ELEMENTS (return_reasons) - 1)]));
    }
  if (fields & (FQ_ACTION_FIELD_UNIT | FQ_ACTION_FIELD_UNITS))
    {
      FqUnit *unit = gtk_drop_down_get_selected_item (self->unit_dropdown);

      if (unit == NULL && (transition->required & (FQ_ACTION_FIELD_UNIT | FQ_ACTION_FIELD_UNITS)))
        {
          show_message (self, _("Choose a unit."));
          return;
        }
      if (unit != NULL && (fields & FQ_ACTION_FIELD_UNITS))
        {
          json_builder_set_member_name (builder, "units");
          json_builder_begin_array (builder);
          json_builder_add_string_value (builder, fq_unit_get_id (unit));
          json_builder_end_array (builder);
        }
      else if (unit != NULL)
        {
          json_builder_set_member_name (builder, "unit");
          json_builder_add_string_value (builder, fq_unit_get_id (unit));
        }
    }
  if (fields & FQ_ACTION_FIELD_TIER)
    {
      json_builder_set_member_name (builder, "tier");
      json_builder_add_string_value (builder, fq_enum_to_string (FQ_TYPE_TIER,
                                                                 adw_combo_row_get_selected (self->tier_row)));
    }
  if (fields & FQ_ACTION_FIELD_SATISFACTION)
    {
      json_builder_set_member_name (builder, "satisfaction");
      json_builder_add_int_value (builder, gtk_spin_button_get_value_as_int (self->satisfaction_spin));
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);

  key = fq_outbox_ticket_action (fq_context_get_outbox (self->context),
                                 fq_ticket_get_id (self->ticket),
                                 json_node_get_object (root));
  close_form (self);
  gtk_widget_set_sensitive (GTK_WIDGET (self->actions_box), FALSE);
}

static void
cancel_button_clicked_cb (FqTicketPane *self)
{
  close_form (self);
}

static void
close_button_clicked_cb (FqTicketPane *self)
{
  g_signal_emit (self, signals[CLOSE], 0);
}

static void
rebuild_actions (FqTicketPane *self)
{
  GtkWidget *child;
  guint allowed;
  guint n = 0;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->actions_box))) != NULL)
    gtk_flow_box_remove (self->actions_box, child);

  allowed = fq_ticket_machine_allowed (fq_ticket_get_state (self->ticket),
                                       fq_context_get_role (self->context),
                                       unit_relation (self));

  for (guint action = 0; action < FQ_TICKET_N_ACTIONS; action++)
    {
      GtkWidget *button;

      if (!(allowed & (1u << action)))
        continue;

      button = gtk_button_new_with_label (fq_ticket_action_label (action));
      g_object_set_data (G_OBJECT (button), "fq-action", GINT_TO_POINTER (action));
      g_signal_connect (button, "clicked", G_CALLBACK (action_button_clicked_cb), self);
      if (action == FQ_TICKET_ACTION_ACCEPT || action == FQ_TICKET_ACTION_RESOLVE
          || action == FQ_TICKET_ACTION_CLOSE)
        gtk_widget_add_css_class (button, "suggested-action");
      gtk_flow_box_append (self->actions_box, button);
      n++;
    }

  gtk_widget_set_visible (GTK_WIDGET (self->no_actions_label), n == 0);
  /* Until the server has answered an action of this console, no other. */
  gtk_widget_set_sensitive (GTK_WIDGET (self->actions_box),
                            !fq_outbox_is_pending (fq_context_get_outbox (self->context),
                                                   fq_ticket_get_id (self->ticket)));

  /* A form for an action that is no longer allowed goes away. */
  if (self->action >= 0 && !(allowed & (1u << self->action)))
    close_form (self);
}

static char *
units_text (FqTicketPane       *self,
            const char * const *units)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; units != NULL && units[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append (text, _("; "));
      g_string_append (text, fq_context_lookup_unit_name (self->context, units[i]));
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
update_deadline (FqTicketPane *self)
{
  FqTicketState state;
  gint64 deadline, left;
  g_autofree char *when = NULL;
  g_autofree char *countdown = NULL;
  g_autofree char *text = NULL;
  gboolean open;

  if (self->ticket == NULL)
    return;

  state = fq_ticket_get_state (self->ticket);
  deadline = fq_ticket_get_deadline (self->ticket);
  left = deadline - g_get_real_time () / G_USEC_PER_SEC;
  open = state == FQ_TICKET_STATE_DISPATCHED || state == FQ_TICKET_STATE_ACCEPTED
         || state == FQ_TICKET_STATE_RETURNED;
  when = fq_format_date_time (deadline);

  if (open && deadline > 0)
    {
      countdown = fq_format_countdown (left, fq_ticket_get_overdue (self->ticket));
      text = g_strdup_printf ("%s · %s", when, countdown);
    }
  else
    text = g_steal_pointer (&when);

  gtk_label_set_label (self->deadline_value, text);
  gtk_widget_remove_css_class (GTK_WIDGET (self->deadline_value), "fq-error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->deadline_value), "fq-warning");
  if (open && (left < 0 || fq_ticket_get_overdue (self->ticket)))
    gtk_widget_add_css_class (GTK_WIDGET (self->deadline_value), "fq-error");
  else if (open && left < FQ_DEADLINE_NEAR_SECONDS)
    gtk_widget_add_css_class (GTK_WIDGET (self->deadline_value), "fq-warning");
}

static void
show_ticket (FqTicketPane *self)
{
  FqTicket *ticket = self->ticket;
  g_autofree char *kicker = NULL;
  g_autofree char *place = fq_format_place (self->context, fq_ticket_get_grid (ticket));
  g_autofree char *assisting = units_text (self, fq_ticket_get_assisting_units (ticket));
  g_autofree char *dispatched = fq_format_date_time (fq_ticket_get_dispatched_at (ticket));
  g_autofree char *counts = NULL;
  const char * const *incidents = fq_ticket_get_incidents (ticket);
  guint n_incidents = incidents != NULL ? g_strv_length ((char **)incidents) : 0;

  /* Translators: the ticket's id, then its state. */
  kicker = g_strdup_printf (_("Ticket %s · %s"), fq_ticket_get_id (ticket),
                            fq_ticket_state_label (fq_ticket_get_state (ticket)));
  gtk_label_set_label (self->kicker_label, kicker);
  gtk_label_set_label (self->title_label, fq_ticket_get_title (ticket));
  gtk_label_set_label (self->category_value,
                       fq_context_lookup_category_name (self->context, fq_ticket_get_category (ticket)));
  gtk_label_set_label (self->place_value, place);
  gtk_label_set_label (self->tier_value, fq_tier_label (fq_ticket_get_tier (ticket)));
  gtk_label_set_label (self->lead_unit_value,
                       fq_context_lookup_unit_name (self->context, fq_ticket_get_lead_unit (ticket)));
  gtk_label_set_label (self->assisting_value, assisting[0] != '\0' ? assisting : _("None"));
  gtk_label_set_label (self->dispatched_value, dispatched);

  /* Translators: calls attached to the ticket, times returned, times reopened. */
  counts = g_strdup_printf (_("%u calls · returned %u× · reopened %u×"),
                            n_incidents, fq_ticket_get_returned_count (ticket),
                            fq_ticket_get_reopened_count (ticket));
  gtk_label_set_label (self->counts_value, counts);

  update_deadline (self);
  rebuild_actions (self);
}

static GtkWidget *
event_row_new (FqTicketPane    *self,
               FqTimelineEvent *event)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *when = fq_format_date_time (fq_timeline_event_get_at (event));
  g_autofree char *subtitle = NULL;
  const char *unit = fq_timeline_event_get_unit (event);
  const char *actor = fq_timeline_event_get_actor (event);
  const char *note = fq_timeline_event_get_note (event);
  g_autoptr(GString) who = g_string_new (when);

  if (unit != NULL && unit[0] != '\0')
    g_string_append_printf (who, " · %s", fq_context_lookup_unit_name (self->context, unit));
  if (actor != NULL && actor[0] != '\0')
    g_string_append_printf (who, " · %s", actor);
  if (note != NULL && note[0] != '\0')
    subtitle = g_strdup_printf ("%s\n%s", who->str, note);
  else
    subtitle = g_strdup (who->str);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 fq_event_kind_label (fq_timeline_event_get_kind (event)));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  if (fq_timeline_event_get_kind (event) == FQ_EVENT_KIND_SLA_BREACHED)
    gtk_widget_add_css_class (row, "fq-event-breach");

  return row;
}

static void
events_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(FqTicketPane) self = user_data;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *child;

  records = fq_cache_list_records_finish (FQ_CACHE (object), result, &error);
  if (records == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot read the timeline: %s", error->message);
      return;
    }

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->events_list))) != NULL)
    gtk_list_box_remove (self->events_list, child);

  /* Newest first: what happened last is what the reader looks for. */
  for (guint i = records->len; i > 0; i--)
    {
      g_autoptr(FqTimelineEvent) event = NULL;
      g_autoptr(GError) parse_error = NULL;

      event = fq_timeline_event_new_from_json (g_ptr_array_index (records, i - 1), &parse_error);
      if (event == NULL)
        continue;
      gtk_list_box_append (self->events_list, event_row_new (self, event));
    }
}

static void
ticket_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(FqTicketPane) self = user_data;
  g_autoptr(JsonObject) json = NULL;
  g_autoptr(FqTicket) ticket = NULL;
  g_autoptr(GError) error = NULL;

  json = fq_cache_get_record_finish (FQ_CACHE (object), result, &error);
  if (json == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Ticket not in the cache: %s", error->message);
      return;
    }

  ticket = fq_ticket_new_from_json (json, &error);
  if (ticket == NULL)
    {
      g_warning ("Cannot read ticket: %s", error->message);
      return;
    }
  if (g_strcmp0 (fq_ticket_get_id (ticket), self->ticket_id) != 0)
    return;

  g_set_object (&self->ticket, ticket);
  show_ticket (self);
}

static void
load_events (FqTicketPane *self)
{
  fq_cache_list_records_async (fq_context_get_cache (self->context), "event", self->ticket_id,
                               self->cancellable, events_loaded_cb, g_object_ref (self));
}

static void
load (FqTicketPane *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  if (self->context == NULL || self->ticket_id == NULL)
    return;

  fq_cache_get_record_async (fq_context_get_cache (self->context), "ticket", self->ticket_id,
                             self->cancellable, ticket_loaded_cb, g_object_ref (self));
  load_events (self);
}

static void
ticket_changed_cb (FqTicketPane *self,
                   const char   *entity,
                   const char   *id,
                   FqCache      *cache)
{
  if (g_strcmp0 (id, self->ticket_id) == 0)
    load (self);
}

static gboolean
reload_events_cb (gpointer user_data)
{
  FqTicketPane *self = user_data;

  self->reload_events_id = 0;
  if (self->ticket_id != NULL)
    load_events (self);

  return G_SOURCE_REMOVE;
}

/* An event names its ticket only inside its JSON; a batch of events reloads
 * the open timeline once. */
static void
event_changed_cb (FqTicketPane *self,
                  const char   *entity,
                  const char   *id,
                  FqCache      *cache)
{
  if (self->ticket_id != NULL && self->reload_events_id == 0)
    self->reload_events_id = g_timeout_add (250, reload_events_cb, self);
}

static void
pending_changed_cb (FqTicketPane *self,
                    const char   *entity,
                    const char   *entity_id,
                    FqOutbox     *outbox)
{
  if (self->ticket != NULL && g_strcmp0 (entity_id, self->ticket_id) == 0)
    rebuild_actions (self);
}

static gboolean
deadline_tick_cb (gpointer user_data)
{
  update_deadline (user_data);

  return G_SOURCE_CONTINUE;
}

static gboolean
confirm_shortcut_cb (GtkWidget *widget,
                     GVariant  *args,
                     gpointer   user_data)
{
  FqTicketPane *self = FQ_TICKET_PANE (widget);

  if (self->action >= 0)
    confirm_button_clicked_cb (self);

  return TRUE;
}

/* Focus goes to the first action this user may take now. */
static gboolean
fq_ticket_pane_grab_focus (GtkWidget *widget)
{
  FqTicketPane *self = (FqTicketPane *)widget;

  if (gtk_widget_child_focus (GTK_WIDGET (self->actions_box), GTK_DIR_TAB_FORWARD))
    return TRUE;

  return gtk_widget_child_focus (widget, GTK_DIR_TAB_FORWARD);
}

static void
fq_ticket_pane_dispose (GObject *object)
{
  FqTicketPane *self = (FqTicketPane *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->reload_events_id, g_source_remove);
  g_clear_handle_id (&self->clock_id, g_source_remove);
  fq_ticket_pane_set_context (self, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), FQ_TYPE_TICKET_PANE);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->ticket);

  G_OBJECT_CLASS (fq_ticket_pane_parent_class)->dispose (object);
}

static void
fq_ticket_pane_finalize (GObject *object)
{
  FqTicketPane *self = (FqTicketPane *)object;

  g_clear_pointer (&self->ticket_id, g_free);

  G_OBJECT_CLASS (fq_ticket_pane_parent_class)->finalize (object);
}

static void
fq_ticket_pane_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  FqTicketPane *self = FQ_TICKET_PANE (object);

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
fq_ticket_pane_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  FqTicketPane *self = FQ_TICKET_PANE (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      fq_ticket_pane_set_context (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_ticket_pane_class_init (FqTicketPaneClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fq_ticket_pane_dispose;
  object_class->finalize = fq_ticket_pane_finalize;
  object_class->get_property = fq_ticket_pane_get_property;
  object_class->set_property = fq_ticket_pane_set_property;

  widget_class->grab_focus = fq_ticket_pane_grab_focus;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL,
                         FQ_TYPE_CONTEXT,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CLOSE] =
    g_signal_new ("close", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_add_binding (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, confirm_shortcut_cb, NULL);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK, confirm_shortcut_cb, NULL);

  gtk_widget_class_set_template_from_resource (widget_class, "/cn/fengqiao/Console/fq-ticket-pane.ui");
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, kicker_label);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, title_label);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, category_value);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, place_value);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, tier_value);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, lead_unit_value);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, assisting_value);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, dispatched_value);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, deadline_value);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, counts_value);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, actions_box);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, no_actions_label);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, form_revealer);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, form_title);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, form_list);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, reason_row);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, unit_row);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, unit_dropdown);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, tier_row);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, satisfaction_row);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, satisfaction_spin);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, note_row);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, form_message);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, confirm_button);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, events_list);
  gtk_widget_class_bind_template_callback (widget_class, confirm_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, close_button_clicked_cb);
}

static void
fq_ticket_pane_init (FqTicketPane *self)
{
  g_autoptr(GtkStringList) reasons = gtk_string_list_new (NULL);
  g_autoptr(GtkStringList) tiers = gtk_string_list_new (NULL);
  g_autoptr(GtkExpression) name = NULL;

  self->action = -1;

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Status lines are read out as they change; buttons by their words. */
  fq_label_track_accessible_label (self->form_message);
  fq_fix_mnemonic_accessible_labels (GTK_WIDGET (self));
  fq_fix_list_popups (GTK_WIDGET (self));

  for (guint i = 0; i < G_N_ELEMENTS (return_reasons); i++)
    gtk_string_list_append (reasons, fq_return_reason_label (return_reasons[i]));
  adw_combo_row_set_model (self->reason_row, G_LIST_MODEL (reasons));

  /* In FqTier order, so that the position is the tier. */
  for (FqTier tier = FQ_TIER_COMMUNITY; tier <= FQ_TIER_CITY; tier++)
    gtk_string_list_append (tiers, fq_tier_label (tier));
  adw_combo_row_set_model (self->tier_row, G_LIST_MODEL (tiers));

  name = gtk_property_expression_new (FQ_TYPE_UNIT, NULL, "name");
  gtk_drop_down_set_expression (self->unit_dropdown, name);

  self->clock_id = g_timeout_add_seconds (30, deadline_tick_cb, self);
}

GtkWidget *
fq_ticket_pane_new (void)
{
  return g_object_new (FQ_TYPE_TICKET_PANE, NULL);
}

void
fq_ticket_pane_set_context (FqTicketPane *self,
                            FqContext    *context)
{
  FqCache *cache;

  g_return_if_fail (FQ_IS_TICKET_PANE (self));
  g_return_if_fail (!context || FQ_IS_CONTEXT (context));

  if (self->context == context)
    return;

  if (self->context != NULL && (cache = fq_context_get_cache (self->context)) != NULL)
    g_signal_handlers_disconnect_by_data (cache, self);
  if (self->context != NULL && fq_context_get_outbox (self->context) != NULL)
    g_signal_handlers_disconnect_by_data (fq_context_get_outbox (self->context), self);
  g_set_object (&self->context, context);

  if (context != NULL)
    {
      gtk_drop_down_set_model (self->unit_dropdown, fq_context_get_units (context));
      if (fq_context_get_outbox (context) != NULL)
        g_signal_connect_swapped (fq_context_get_outbox (context), "pending-changed",
                                  G_CALLBACK (pending_changed_cb), self);
      if ((cache = fq_context_get_cache (context)) != NULL)
        {
          g_signal_connect_swapped (cache, "record-changed::ticket", G_CALLBACK (ticket_changed_cb), self);
          g_signal_connect_swapped (cache, "record-changed::event", G_CALLBACK (event_changed_cb), self);
        }
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTEXT]);
}

void
fq_ticket_pane_set_ticket (FqTicketPane *self,
                           const char   *id)
{
  g_return_if_fail (FQ_IS_TICKET_PANE (self));

  if (g_strcmp0 (self->ticket_id, id) == 0)
    return;

  g_free (self->ticket_id);
  self->ticket_id = g_strdup (id);
  g_clear_object (&self->ticket);
  close_form (self);
  load (self);
}

const char *
fq_ticket_pane_get_ticket (FqTicketPane *self)
{
  g_return_val_if_fail (FQ_IS_TICKET_PANE (self), NULL);

  return self->ticket_id;
}
