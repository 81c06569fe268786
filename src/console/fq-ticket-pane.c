/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The ticket pane: everything about one ticket that a coordinator or a unit
 * acts on. Its fields, the deadline counting down (red once overdue), the
 * backflow counts, the calls merged into it (caller details as the server
 * lets this role see them, with "Reveal" for those who may), the sessions
 * called on it, the timeline (FqTimelineView), and an action bar offering
 * exactly the actions this user may take in this state, each with its own
 * form. Actions go through the outbox; the pane follows the cache. The
 * record exports as PDF or goes to the printer through FqReport.
 */

#define G_LOG_DOMAIN "fq-ticket-pane"

#include "config.h"

#include <glib/gi18n.h>

#include "fq-enum-types.h"
#include "fq-category.h"
#include "fq-client.h"
#include "fq-incident.h"
#include "fq-json.h"
#include "fq-report.h"
#include "fq-ticket.h"
#include "fq-ticket-machine.h"
#include "fq-ticket-pane.h"
#include "fq-timeline-event.h"
#include "fq-timeline-view.h"
#include "fq-ui-util.h"
#include "fq-unit.h"
#include "fq-whistle-dialog.h"

/* Server's detail (sessions, allowed actions) is fetched this long after
 * the last change of the ticket, so a burst of changes costs one request. */
#define DETAIL_DELAY_MS 300

struct _FqTicketPane
{
  AdwBin          parent_instance;

  /* Template widgets */
  GtkLabel       *kicker_label;
  GtkLabel       *title_label;
  GtkMenuButton  *export_button;
  GtkLabel       *category_value;
  GtkLabel       *place_value;
  GtkLabel       *tier_value;
  GtkLabel       *lead_unit_value;
  GtkLabel       *assisting_value;
  GtkLabel       *dispatched_value;
  GtkLabel       *deadline_value;
  GtkLabel       *satisfaction_value;
  GtkLabel       *counts_value;
  GtkFlowBox     *actions_box;
  GtkLabel       *no_actions_label;
  GtkRevealer    *form_revealer;
  GtkLabel       *form_title;
  GtkListBox     *form_list;
  AdwComboRow    *reason_row;
  AdwComboRow    *tier_row;
  AdwActionRow   *new_lead_row;
  GtkSwitch      *new_lead_switch;
  AdwActionRow   *unit_row;
  GtkDropDown    *unit_dropdown;
  GtkButton      *add_unit_button;
  AdwActionRow   *picked_row;
  AdwActionRow   *satisfaction_row;
  GtkSpinButton  *satisfaction_spin;
  AdwEntryRow    *note_row;
  GtkLabel       *form_message;
  GtkButton      *confirm_button;
  GtkWidget      *sessions_box;
  GtkButton      *convene_button;
  GtkLabel       *no_sessions_label;
  GtkListBox     *sessions_list;
  GtkLabel       *calls_heading;
  GtkListBox     *incidents_list;
  GtkLabel       *reveal_message;
  FqTimelineView *timeline_view;

  /* Owned */
  FqContext      *context;
  GCancellable   *cancellable;
  GCancellable   *detail_cancellable;
  FqTicket       *ticket;
  JsonObject     *ticket_json;
  char           *ticket_id;
  GHashTable     *incidents;      /* incident id → JsonObject, in the ticket's order */
  GHashTable     *incident_rows;  /* incident id → AdwActionRow (borrowed by the list) */
  GHashTable     *revealed;       /* incident id → full phone number */
  GHashTable     *session_rows;   /* session id → AdwActionRow */
  GPtrArray      *picked_units;   /* unit ids for `assist` */
  GListStore     *ranked_units;   /* FqUnit, best first, for the open form */
  int             action;         /* the FqTicketAction of the open form, or -1 */
  guint           server_allowed; /* allowed_actions of GET /tickets/{id} … */
  gint64          server_rev;     /* … for this rev (0: none) */
  guint           detail_id;
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

static void load_detail_soon (FqTicketPane *self);

/* ---- names, with or without a context (the report is built in tests) ---- */

static const char *
unit_name (FqContext  *context,
           const char *id)
{
  const char *name = context != NULL && id != NULL ? fq_context_lookup_unit_name (context, id) : NULL;

  return name != NULL && name[0] != '\0' ? name : (id != NULL ? id : "");
}

static const char *
category_name (FqContext  *context,
               const char *code)
{
  const char *name = context != NULL && code != NULL ? fq_context_lookup_category_name (context, code) : NULL;

  return name != NULL && name[0] != '\0' ? name : (code != NULL ? code : "");
}

static char *
place_text (FqContext  *context,
            const char *grid)
{
  if (context == NULL || grid == NULL)
    return g_strdup (grid != NULL ? grid : "");
  return fq_format_place (context, grid);
}

static char *
units_text (FqContext          *context,
            const char * const *units)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; units != NULL && units[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append (text, _("; "));
      g_string_append (text, unit_name (context, units[i]));
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static char *
backflow_text (FqTicket   *ticket,
               JsonObject *json)
{
  gint64 rejected = json != NULL && json_object_has_member (json, "rejected_count")
                    ? json_object_get_int_member (json, "rejected_count") : 0;

  /* Translators: the backflow counts of a ticket (回流): returned by a
   * unit, resolution rejected, reopened after closing. */
  return g_strdup_printf (_("returned %u× · rejected %u× · reopened %u×"),
                          fq_ticket_get_returned_count (ticket), (guint)rejected,
                          fq_ticket_get_reopened_count (ticket));
}

static char *
satisfaction_text (FqTicket *ticket)
{
  int satisfaction = fq_ticket_get_satisfaction (ticket);

  if (satisfaction <= 0)
    return g_strdup (_("Not rated yet"));
  /* Translators: the caller's rating at the callback, out of 5. */
  return g_strdup_printf (_("%d of 5"), satisfaction);
}

static const char *
session_state_label (const char *state)
{
  if (g_strcmp0 (state, "scheduled") == 0)
    return C_("session state", "Scheduled");
  if (g_strcmp0 (state, "in_progress") == 0)
    return C_("session state", "In progress");
  if (g_strcmp0 (state, "concluded") == 0)
    return C_("session state", "Concluded");
  if (g_strcmp0 (state, "cancelled") == 0)
    return C_("session state", "Cancelled");
  return state != NULL ? state : "";
}

static gboolean
ticket_is_open (FqTicketState state)
{
  return state == FQ_TICKET_STATE_DISPATCHED || state == FQ_TICKET_STATE_ACCEPTED
         || state == FQ_TICKET_STATE_RETURNED;
}

/* ---- the report ---- */

static char *
event_who (FqContext       *context,
           FqTimelineEvent *event)
{
  const char *unit = fq_timeline_event_get_unit (event);
  char *who = fq_timeline_event_dup_who (event, unit != NULL && unit[0] != '\0'
                                                  ? unit_name (context, unit)
                                                  : NULL);

  return who != NULL ? who : g_strdup ("");
}

FqReport *
fq_ticket_report_new (FqContext  *context,
                      JsonObject *ticket_json,
                      GPtrArray  *incidents,
                      GPtrArray  *events)
{
  g_autoptr(FqTicket) ticket = NULL;
  g_autoptr(FqReport) report = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;
  g_autofree char *place = NULL;
  g_autofree char *assisting = NULL;
  g_autofree char *dispatched = NULL;
  g_autofree char *deadline = NULL;
  g_autofree char *accepted = NULL;
  g_autofree char *resolved = NULL;
  g_autofree char *closed = NULL;
  g_autofree char *satisfaction = NULL;
  g_autofree char *backflow = NULL;

  g_return_val_if_fail (!context || FQ_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (ticket_json != NULL, NULL);

  ticket = fq_ticket_new_from_json (ticket_json, &error);
  if (ticket == NULL)
    {
      g_warning ("Cannot read the ticket for its report: %s", error->message);
      return NULL;
    }

  /* Translators: the title of a ticket's exported record. */
  title = g_strdup_printf (_("Ticket %s"), fq_ticket_get_id (ticket));
  report = fq_report_new (title);
  fq_report_set_subtitle (report, fq_ticket_get_title (ticket));

  place = place_text (context, fq_ticket_get_grid (ticket));
  assisting = units_text (context, fq_ticket_get_assisting_units (ticket));
  dispatched = fq_format_date_time (fq_ticket_get_dispatched_at (ticket));
  deadline = fq_format_date_time (fq_ticket_get_deadline (ticket));
  accepted = fq_format_date_time (fq_ticket_get_accepted_at (ticket));
  resolved = fq_format_date_time (fq_ticket_get_resolved_at (ticket));
  closed = fq_format_date_time (fq_ticket_get_closed_at (ticket));
  satisfaction = satisfaction_text (ticket);
  backflow = backflow_text (ticket, ticket_json);

  fq_report_add_heading (report, _("Ticket"));
  {
    const char *pairs[] = {
      _("Title"), fq_ticket_get_title (ticket),
      _("State"), fq_ticket_state_label (fq_ticket_get_state (ticket)),
      _("Overdue"), fq_ticket_get_overdue (ticket) ? _("Yes") : _("No"),
      _("Tier"), fq_tier_label (fq_ticket_get_tier (ticket)),
      _("Category"), category_name (context, fq_ticket_get_category (ticket)),
      _("Place"), place,
      _("Lead unit"), unit_name (context, fq_ticket_get_lead_unit (ticket)),
      _("Assisting"), assisting,
      _("Dispatched"), dispatched,
      _("Deadline"), deadline,
      _("Accepted"), accepted,
      _("Resolved"), resolved,
      _("Closed"), closed,
      _("Satisfaction"), satisfaction,
      _("Backflow"), backflow,
      NULL,
    };

    fq_report_add_fields (report, pairs);
  }

  fq_report_add_heading (report, _("Calls"));
  if (incidents == NULL || incidents->len == 0)
    fq_report_add_paragraph (report, _("No call is attached."));
  else
    {
      const char *headers[] = { _("Received"), _("Source"), _("Caller"), _("What was said") };
      const double weights[] = { 1.3, 0.8, 1.4, 3.5 };
      g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);

      for (guint i = 0; i < incidents->len; i++)
        {
          g_autoptr(FqIncident) incident = NULL;
          g_autoptr(GError) parse_error = NULL;
          char **row;

          incident = fq_incident_new_from_json (g_ptr_array_index (incidents, i), &parse_error);
          if (incident == NULL)
            continue;
          row = g_new0 (char *, 5);
          row[0] = fq_format_date_time (fq_incident_get_received_at (incident));
          row[1] = g_strdup (fq_source_label (fq_incident_get_source (incident)));
          row[2] = g_strjoin (" ", fq_incident_get_caller_name (incident) ? fq_incident_get_caller_name (incident) : "",
                              fq_incident_get_caller_phone (incident) ? fq_incident_get_caller_phone (incident) : "",
                              NULL);
          row[3] = g_strdup (fq_incident_get_summary (incident));
          g_ptr_array_add (rows, row);
        }
      fq_report_add_table (report, 4, headers, weights, rows);
    }

  fq_report_add_heading (report, _("Timeline"));
  if (events == NULL || events->len == 0)
    fq_report_add_paragraph (report, _("Nothing recorded yet."));
  else
    {
      const char *headers[] = { _("Time"), _("Event"), _("Unit · by"), _("Note") };
      const double weights[] = { 1.3, 1.2, 1.6, 3.2 };
      g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);
      g_autoptr(GPtrArray) steps = fq_timeline_compute_steps (events);

      for (guint i = 0; i < events->len; i++)
        {
          FqTimelineEvent *event = g_ptr_array_index (events, i);
          const char *note = fq_timeline_event_get_note (event);
          const char *step = g_ptr_array_index (steps, i);
          char **row = g_new0 (char *, 5);

          row[0] = fq_format_date_time (fq_timeline_event_get_at (event));
          row[1] = g_strdup (fq_event_kind_label (fq_timeline_event_get_kind (event)));
          row[2] = event_who (context, event);
          if (step != NULL && note != NULL && note[0] != '\0')
            row[3] = g_strdup_printf ("%s\n%s", note, step);
          else
            row[3] = g_strdup (step != NULL ? step : note);
          g_ptr_array_add (rows, row);
        }
      fq_report_add_table (report, 4, headers, weights, rows);
    }

  return g_steal_pointer (&report);
}

static GPtrArray *
incidents_in_order (FqTicketPane *self)
{
  const char * const *ids = self->ticket != NULL ? fq_ticket_get_incidents (self->ticket) : NULL;
  GPtrArray *list = g_ptr_array_new ();

  for (guint i = 0; ids != NULL && ids[i] != NULL; i++)
    {
      JsonObject *incident = g_hash_table_lookup (self->incidents, ids[i]);

      if (incident != NULL)
        g_ptr_array_add (list, incident);
    }
  return list;
}

static FqReport *
build_report (FqTicketPane *self)
{
  g_autoptr(GPtrArray) incidents = NULL;
  g_autoptr(GPtrArray) shown = g_ptr_array_new_with_free_func ((GDestroyNotify)json_object_unref);

  if (self->ticket_json == NULL)
    return NULL;
  incidents = incidents_in_order (self);

  /* The record shows callers' numbers as the pane does: masked unless this
   * person revealed them. */
  for (guint i = 0; i < incidents->len; i++)
    {
      JsonObject *src = g_ptr_array_index (incidents, i);
      JsonObject *copy = json_object_new ();
      const char *id = fq_json_string_or (src, "id", "");
      const char *phone = fq_json_string_or (src, "caller_phone", NULL);
      const char *revealed = g_hash_table_lookup (self->revealed, id);
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      json_object_iter_init (&iter, src);
      while (json_object_iter_next (&iter, &name, &value))
        json_object_set_member (copy, name, json_node_copy (value));
      if (revealed != NULL)
        json_object_set_string_member (copy, "caller_phone", revealed);
      else if (phone != NULL && phone[0] != '\0')
        {
          g_autofree char *masked = fq_mask_phone (phone);

          json_object_set_string_member (copy, "caller_phone", masked);
        }
      g_ptr_array_add (shown, copy);
    }

  return fq_ticket_report_new (self->context, self->ticket_json, shown,
                               fq_timeline_view_get_events (self->timeline_view));
}

static void
toast (FqTicketPane *self,
       const char   *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
  else
    g_message ("%s", text);
}

static void
pdf_saved_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(FqTicketPane) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!fq_report_write_pdf_finish (FQ_REPORT (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* Translators: %s says why. */
          g_autofree char *text = g_strdup_printf (_("The PDF could not be written: %s"), error->message);

          toast (self, text);
        }
      return;
    }
  toast (self, _("Ticket exported as PDF"));
}

static void
export_pdf_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  FqTicketPane *self = FQ_TICKET_PANE (widget);
  g_autoptr(FqReport) report = build_report (self);
  g_autofree char *name = NULL;

  if (report == NULL)
    return;
  /* Translators: the suggested file name of an exported ticket. */
  name = g_strdup_printf (_("Ticket %s.pdf"), self->ticket_id);
  fq_report_save_pdf_async (report, GTK_WINDOW (gtk_widget_get_root (widget)), name,
                            self->cancellable, pdf_saved_cb, g_object_ref (self));
}

static void
print_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  FqTicketPane *self = FQ_TICKET_PANE (widget);
  g_autoptr(FqReport) report = build_report (self);
  g_autoptr(GError) error = NULL;

  if (report == NULL)
    return;
  if (!fq_report_print (report, GTK_WINDOW (gtk_widget_get_root (widget)), &error))
    {
      /* Translators: %s says why. */
      g_autofree char *text = g_strdup_printf (_("The ticket could not be printed: %s"), error->message);

      toast (self, text);
    }
}

/* ---- the action forms ---- */

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

/* The digits of a division code that its level uses: a unit covers a place
 * when the place's code starts with them. */
static gsize
significant_length (const char *code)
{
  static const gsize levels[] = { 4, 6, 9 };
  gsize len = code != NULL ? strlen (code) : 0;

  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    {
      gboolean zeros = len > levels[i];

      for (gsize j = levels[i]; zeros && j < len; j++)
        zeros = code[j] == '0';
      if (zeros)
        return levels[i];
    }
  return len;
}

/* Ranks a unit for a ticket: the category's lead unit kind first, then
 * those whose area covers the place, nearest first. Units already on the
 * ticket go to the end. */
static int
unit_score (FqTicketPane *self,
            FqUnit       *unit,
            const char   *lead_kind)
{
  const char *grid = fq_unit_get_grid (unit);
  const char *place = fq_ticket_get_grid (self->ticket);
  const char *kind = fq_enum_to_string (FQ_TYPE_UNIT_KIND, fq_unit_get_kind (unit));
  const char * const *assisting = fq_ticket_get_assisting_units (self->ticket);
  const char *id = fq_unit_get_id (unit);
  gsize n = significant_length (grid);
  int score = 0;

  if (lead_kind != NULL && g_strcmp0 (kind, lead_kind) == 0)
    score += 100;
  if (grid != NULL && place != NULL && n > 0 && strncmp (grid, place, n) == 0)
    score += 20 + (int)n;
  if (g_strcmp0 (id, fq_ticket_get_lead_unit (self->ticket)) == 0
      || (assisting != NULL && g_strv_contains (assisting, id)))
    score -= 1000;
  return score;
}

typedef struct
{
  FqUnit *unit;
  int     score;
} RankedUnit;

static int
compare_ranked (gconstpointer a,
                gconstpointer b)
{
  const RankedUnit *ra = a;
  const RankedUnit *rb = b;

  if (ra->score != rb->score)
    return rb->score - ra->score;
  return g_utf8_collate (fq_unit_get_name (ra->unit), fq_unit_get_name (rb->unit));
}

static void
rank_units (FqTicketPane *self)
{
  GListModel *units = fq_context_get_units (self->context);
  JsonObject *category = fq_context_lookup_category (self->context, fq_ticket_get_category (self->ticket));
  const char *lead_kind = category != NULL && json_object_has_member (category, "lead_unit_kind")
                          ? json_object_get_string_member (category, "lead_unit_kind") : NULL;
  guint n = units != NULL ? g_list_model_get_n_items (units) : 0;
  g_autoptr(GArray) ranked = g_array_sized_new (FALSE, FALSE, sizeof (RankedUnit), n);
  g_autoptr(GPtrArray) items = g_ptr_array_new_full (n, g_object_unref);

  for (guint i = 0; i < n; i++)
    {
      RankedUnit r;

      r.unit = g_list_model_get_item (units, i);
      r.score = unit_score (self, r.unit, lead_kind);
      g_array_append_val (ranked, r);
      g_ptr_array_add (items, r.unit);
    }
  g_array_sort (ranked, compare_ranked);

  g_list_store_remove_all (self->ranked_units);
  for (guint i = 0; i < ranked->len; i++)
    g_list_store_append (self->ranked_units, g_array_index (ranked, RankedUnit, i).unit);
  gtk_drop_down_set_selected (self->unit_dropdown, ranked->len > 0 ? 0 : GTK_INVALID_LIST_POSITION);
}

static void
update_picked (FqTicketPane *self)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < self->picked_units->len; i++)
    {
      if (i > 0)
        g_string_append (text, _("; "));
      g_string_append (text, unit_name (self->context, g_ptr_array_index (self->picked_units, i)));
    }
  adw_action_row_set_subtitle (self->picked_row, text->str);
  gtk_widget_set_visible (GTK_WIDGET (self->picked_row), self->picked_units->len > 0);
}

static void
close_form (FqTicketPane *self)
{
  self->action = -1;
  gtk_revealer_set_reveal_child (self->form_revealer, FALSE);
}

static void
update_unit_rows (FqTicketPane *self,
                  guint         fields,
                  guint         required)
{
  gboolean units = (fields & FQ_ACTION_FIELD_UNITS) != 0;
  gboolean unit = (fields & FQ_ACTION_FIELD_UNIT) != 0;
  gboolean optional = unit && !(required & FQ_ACTION_FIELD_UNIT);

  gtk_widget_set_visible (GTK_WIDGET (self->new_lead_row), optional);
  gtk_widget_set_visible (GTK_WIDGET (self->unit_row),
                          units || (unit && (!optional || gtk_switch_get_active (self->new_lead_switch))));
  gtk_widget_set_visible (GTK_WIDGET (self->add_unit_button), units);
  if (!units)
    gtk_widget_set_visible (GTK_WIDGET (self->picked_row), FALSE);
  else
    update_picked (self);
}

static void
new_lead_switch_cb (FqTicketPane *self)
{
  const FqTicketTransition *transition;

  if (self->ticket == NULL || self->action < 0)
    return;
  transition = fq_ticket_machine_lookup (fq_ticket_get_state (self->ticket), self->action);
  if (transition != NULL)
    update_unit_rows (self, transition->required | transition->optional, transition->required);
}

static void
add_unit_button_clicked_cb (FqTicketPane *self)
{
  FqUnit *unit = gtk_drop_down_get_selected_item (self->unit_dropdown);
  const char *id;

  if (unit == NULL)
    return;
  id = fq_unit_get_id (unit);
  for (guint i = 0; i < self->picked_units->len; i++)
    if (g_str_equal (g_ptr_array_index (self->picked_units, i), id))
      return;
  g_ptr_array_add (self->picked_units, g_strdup (id));
  update_picked (self);
}

static void
clear_units_button_clicked_cb (FqTicketPane *self)
{
  g_ptr_array_set_size (self->picked_units, 0);
  update_picked (self);
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
  gtk_widget_set_visible (GTK_WIDGET (self->tier_row), fields & FQ_ACTION_FIELD_TIER);
  gtk_widget_set_visible (GTK_WIDGET (self->satisfaction_row), fields & FQ_ACTION_FIELD_SATISFACTION);
  gtk_widget_set_visible (GTK_WIDGET (self->note_row), fields & FQ_ACTION_FIELD_NOTE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->note_row),
                                 transition->required & FQ_ACTION_FIELD_NOTE
                                 ? _("Note (required)") : _("Note"));
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->unit_row),
                                 fields & FQ_ACTION_FIELD_UNITS ? _("Assisting unit")
                                 : action == FQ_TICKET_ACTION_ESCALATE ? _("New lead unit")
                                 : _("Unit"));
  gtk_editable_set_text (GTK_EDITABLE (self->note_row), "");
  gtk_widget_set_visible (GTK_WIDGET (self->form_message), FALSE);
  gtk_switch_set_active (self->new_lead_switch, FALSE);
  g_ptr_array_set_size (self->picked_units, 0);
  if (fields & (FQ_ACTION_FIELD_UNIT | FQ_ACTION_FIELD_UNITS))
    rank_units (self);
  update_unit_rows (self, fields, transition->required);

  if (fields & FQ_ACTION_FIELD_TIER)
    {
      FqTier next;

      if (fq_tier_next (fq_ticket_get_tier (self->ticket), &next))
        adw_combo_row_set_selected (self->tier_row, next);
    }

  gtk_revealer_set_reveal_child (self->form_revealer, TRUE);

  /* Straight into the first field, so the whole action is typed. */
  if (fields & FQ_ACTION_FIELD_REASON)
    gtk_widget_grab_focus (GTK_WIDGET (self->reason_row));
  else if (fields & FQ_ACTION_FIELD_TIER)
    gtk_widget_grab_focus (GTK_WIDGET (self->tier_row));
  else if (fields & (FQ_ACTION_FIELD_UNIT | FQ_ACTION_FIELD_UNITS)
           && gtk_widget_get_visible (GTK_WIDGET (self->unit_row)))
    gtk_widget_grab_focus (GTK_WIDGET (self->unit_dropdown));
  else if (fields & FQ_ACTION_FIELD_SATISFACTION)
    gtk_widget_grab_focus (GTK_WIDGET (self->satisfaction_spin));
  else if (fields & FQ_ACTION_FIELD_NOTE)
    gtk_widget_grab_focus (GTK_WIDGET (self->note_row));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->confirm_button));
}

static void
action_button_clicked_cb (GtkButton    *button,
                          FqTicketPane *self)
{
  FqTicketAction action = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "fq-action"));

  if (self->ticket != NULL)
    open_form (self, action);
}

static void
show_message (FqTicketPane *self,
              const char   *message)
{
  gtk_label_set_label (self->form_message, message);
  gtk_widget_set_visible (GTK_WIDGET (self->form_message), TRUE);
}

static gboolean
is_blank (const char *text)
{
  for (; text != NULL && *text != '\0'; text = g_utf8_next_char (text))
    {
      if (!g_unichar_isspace (g_utf8_get_char (text)))
        return FALSE;
    }
  return TRUE;
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

  if ((transition->required & FQ_ACTION_FIELD_NOTE) && is_blank (note))
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
  if (fields & FQ_ACTION_FIELD_UNITS)
    {
      FqUnit *unit = gtk_drop_down_get_selected_item (self->unit_dropdown);

      /* The units added to the list, or else the one chosen. */
      if (self->picked_units->len == 0 && unit != NULL)
        g_ptr_array_add (self->picked_units, g_strdup (fq_unit_get_id (unit)));
      if (self->picked_units->len == 0)
        {
          show_message (self, _("Choose a unit."));
          return;
        }
      json_builder_set_member_name (builder, "units");
      json_builder_begin_array (builder);
      for (guint i = 0; i < self->picked_units->len; i++)
        json_builder_add_string_value (builder, g_ptr_array_index (self->picked_units, i));
      json_builder_end_array (builder);
    }
  else if ((fields & FQ_ACTION_FIELD_UNIT) && gtk_widget_get_visible (GTK_WIDGET (self->unit_row)))
    {
      FqUnit *unit = gtk_drop_down_get_selected_item (self->unit_dropdown);

      if (unit == NULL)
        {
          show_message (self, _("Choose a unit."));
          return;
        }
      json_builder_set_member_name (builder, "unit");
      json_builder_add_string_value (builder, fq_unit_get_id (unit));
    }
  if (fields & FQ_ACTION_FIELD_TIER)
    {
      json_builder_set_member_name (builder, "tier");
      json_builder_add_string_value (builder, fq_enum_to_string (FQ_TYPE_TIER,
                                                                 adw_combo_row_get_selected (self->tier_row)));
    }
  if (fields & FQ_ACTION_FIELD_SATISFACTION)
    {
      /* A number typed but not yet entered counts. */
      gtk_spin_button_update (self->satisfaction_spin);
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

static guint
offered_actions (FqTicketPane *self)
{
  if (self->ticket == NULL || self->context == NULL)
    return 0;

  /* The server's own list when it is about the rev on screen; the same
   * table decides both, so they only differ while a change is on its way. */
  if (self->server_rev != 0 && self->server_rev == fq_ticket_get_rev (self->ticket))
    return self->server_allowed;

  return fq_ticket_machine_allowed (fq_ticket_get_state (self->ticket),
                                    fq_context_get_role (self->context),
                                    unit_relation (self));
}

static void
rebuild_actions (FqTicketPane *self)
{
  GtkWidget *child;
  guint allowed;
  guint n = 0;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->actions_box))) != NULL)
    gtk_flow_box_remove (self->actions_box, child);

  allowed = offered_actions (self);

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

  /* Calling a session is the coordinators' (吹哨) while the matter is open. */
  gtk_widget_set_visible (GTK_WIDGET (self->convene_button),
                          fq_context_get_role (self->context) == FQ_ROLE_COORDINATOR
                          && ticket_is_open (fq_ticket_get_state (self->ticket)));

  /* A form for an action that is no longer allowed goes away. */
  if (self->action >= 0 && !(allowed & (1u << self->action)))
    close_form (self);
}

/* When the ticket went to its unit; while it waits for the unit to accept
 * it, how long the unit still has (or how late it is). */
static void
update_dispatched (FqTicketPane *self)
{
  gint64 dispatched_at = fq_ticket_get_dispatched_at (self->ticket);
  g_autofree char *when = fq_format_date_time (dispatched_at);
  g_autofree char *countdown = NULL;
  g_autofree char *text = NULL;
  gint64 left = 0;
  gboolean waiting = fq_ticket_get_state (self->ticket) == FQ_TICKET_STATE_DISPATCHED &&
                     dispatched_at > 0;

  if (waiting)
    {
      left = fq_accept_seconds_left (dispatched_at);
      countdown = fq_format_accept_countdown (left);
      text = g_strdup_printf ("%s · %s", when, countdown);
    }
  gtk_label_set_label (self->dispatched_value, text != NULL ? text : when);
  gtk_widget_remove_css_class (GTK_WIDGET (self->dispatched_value), "fq-error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->dispatched_value), "fq-warning");
  if (waiting && left < 0)
    gtk_widget_add_css_class (GTK_WIDGET (self->dispatched_value), "fq-error");
  else if (waiting && left < FQ_ACCEPT_NEAR_SECONDS)
    gtk_widget_add_css_class (GTK_WIDGET (self->dispatched_value), "fq-warning");
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

  update_dispatched (self);
  state = fq_ticket_get_state (self->ticket);
  deadline = fq_ticket_get_deadline (self->ticket);
  /* The server set the deadline: count down on its clock (fq-client.h). */
  left = deadline - fq_client_get_server_time () / G_USEC_PER_SEC;
  open = ticket_is_open (state);
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

/* ---- calls ---- */

static void
update_incident_row (FqTicketPane *self,
                     const char   *id)
{
  GtkWidget *row = g_hash_table_lookup (self->incident_rows, id);
  JsonObject *json = g_hash_table_lookup (self->incidents, id);
  g_autoptr(FqIncident) incident = NULL;
  g_autoptr(GString) subtitle = g_string_new (NULL);
  g_autofree char *when = NULL;
  const char *name, *phone, *revealed;
  g_autofree char *masked = NULL;
  GtkWidget *reveal;

  if (row == NULL || json == NULL || (incident = fq_incident_new_from_json (json, NULL)) == NULL)
    return;

  when = fq_format_date_time (fq_incident_get_received_at (incident));
  g_string_append_printf (subtitle, "%s · %s", fq_source_label (fq_incident_get_source (incident)), when);
  name = fq_incident_get_caller_name (incident);
  phone = fq_incident_get_caller_phone (incident);
  revealed = g_hash_table_lookup (self->revealed, id);
  if (revealed != NULL)
    phone = revealed;
  else if (phone != NULL && phone[0] != '\0')
    phone = masked = fq_mask_phone (phone);
  if (name != NULL && name[0] != '\0')
    g_string_append_printf (subtitle, " · %s", name);
  if (phone != NULL && phone[0] != '\0')
    g_string_append_printf (subtitle, " · %s", phone);
  if (fq_incident_get_address (incident) != NULL && fq_incident_get_address (incident)[0] != '\0')
    g_string_append_printf (subtitle, "\n%s", fq_incident_get_address (incident));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), fq_incident_get_summary (incident));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle->str);

  /* Only operators and coordinators may see a full number, and only by
   * asking for it (the server audits each reveal), as in the triage pane. */
  reveal = g_object_get_data (G_OBJECT (row), "fq-reveal");
  gtk_widget_set_visible (reveal,
                          revealed == NULL && masked != NULL
                          && fq_role_may_reveal_phone (fq_context_get_role (self->context)));
}

typedef struct
{
  FqTicketPane *self;
  char         *id;
} RevealData;

static void
reveal_data_free (RevealData *data)
{
  g_object_unref (data->self);
  g_free (data->id);
  g_free (data);
}

static void
revealed_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  RevealData *data = user_data;
  FqTicketPane *self = data->self;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GError) error = NULL;
  guint status = fq_client_call_get_status (result);
  JsonObject *object_answer;
  const char *phone = NULL;

  answer = fq_client_call_finish (FQ_CLIENT (object), result, &error);
  if (answer == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          reveal_data_free (data);
          return;
        }
      if (status == 404)
        gtk_label_set_label (self->reveal_message, _("The full number cannot be shown: this server does not "
                                                      "offer it for this call."));
      else if (status == 403)
        gtk_label_set_label (self->reveal_message, _("Your role may not see full phone numbers."));
      else
        {
          g_autofree char *text = fq_client_describe_error (error);

          gtk_label_set_label (self->reveal_message, text);
        }
      gtk_widget_set_visible (GTK_WIDGET (self->reveal_message), TRUE);
      reveal_data_free (data);
      return;
    }

  if (JSON_NODE_HOLDS_OBJECT (answer))
    {
      object_answer = json_node_get_object (answer);
      if (json_object_has_member (object_answer, "caller_phone")
          && JSON_NODE_HOLDS_VALUE (json_object_get_member (object_answer, "caller_phone")))
        phone = json_object_get_string_member (object_answer, "caller_phone");
    }
  if (phone != NULL)
    {
      g_hash_table_insert (self->revealed, g_strdup (data->id), g_strdup (phone));
      update_incident_row (self, data->id);
    }
  reveal_data_free (data);
}

static void
reveal_button_clicked_cb (GtkButton    *button,
                          FqTicketPane *self)
{
  const char *id = g_object_get_data (G_OBJECT (button), "fq-incident");
  g_autofree char *path = g_strdup_printf ("/incidents/%s/reveal", id);
  RevealData *data = g_new0 (RevealData, 1);

  data->self = g_object_ref (self);
  data->id = g_strdup (id);
  gtk_widget_set_visible (GTK_WIDGET (self->reveal_message), FALSE);
  fq_client_call_async (fq_context_get_client (self->context), "POST", path, NULL, NULL,
                        self->cancellable, revealed_cb, data);
}

static GtkWidget *
incident_row_new (FqTicketPane *self,
                  const char   *id)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *reveal = gtk_button_new_with_mnemonic (_("_Reveal"));

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 0);
  gtk_widget_set_valign (reveal, GTK_ALIGN_CENTER);
  gtk_widget_set_visible (reveal, FALSE);
  gtk_widget_set_tooltip_text (reveal, _("Show the caller's full number (recorded in the audit log)"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (reveal), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Reveal the caller's number"), -1);
  g_object_set_data_full (G_OBJECT (reveal), "fq-incident", g_strdup (id), g_free);
  g_signal_connect (reveal, "clicked", G_CALLBACK (reveal_button_clicked_cb), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), reveal);
  g_object_set_data (G_OBJECT (row), "fq-reveal", reveal);
  return row;
}

static void
incident_loaded_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(FqTicketPane) self = user_data;
  g_autoptr(JsonObject) json = NULL;
  g_autoptr(GError) error = NULL;
  const char *id;

  json = fq_cache_get_record_finish (FQ_CACHE (object), result, &error);
  if (json == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Call not in the cache: %s", error->message);
      return;
    }
  id = json_object_has_member (json, "id") ? json_object_get_string_member (json, "id") : NULL;
  if (id == NULL || !g_hash_table_contains (self->incident_rows, id))
    return;

  g_hash_table_insert (self->incidents, g_strdup (id), json_object_ref (json));
  update_incident_row (self, id);
}

/* Rows for the calls of the ticket: new ones are added, gone ones removed,
 * all of them read again from the cache (a reveal stays). */
static void
sync_incidents (FqTicketPane *self)
{
  const char * const *ids = fq_ticket_get_incidents (self->ticket);
  GHashTableIter iter;
  gpointer key, value;
  guint n = ids != NULL ? g_strv_length ((char **)ids) : 0;
  g_autofree char *heading = NULL;

  g_hash_table_iter_init (&iter, self->incident_rows);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (ids == NULL || !g_strv_contains (ids, key))
        {
          gtk_list_box_remove (self->incidents_list, value);
          g_hash_table_remove (self->incidents, key);
          g_hash_table_iter_remove (&iter);
        }
    }

  for (guint i = 0; i < n; i++)
    {
      if (!g_hash_table_contains (self->incident_rows, ids[i]))
        {
          GtkWidget *row = incident_row_new (self, ids[i]);

          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), ids[i]);
          gtk_list_box_append (self->incidents_list, row);
          g_hash_table_insert (self->incident_rows, g_strdup (ids[i]), row);
        }
      fq_cache_get_record_async (fq_context_get_cache (self->context), "incident", ids[i],
                                 self->cancellable, incident_loaded_cb, g_object_ref (self));
    }

  /* Translators: the heading of the calls merged into a ticket. */
  heading = g_strdup_printf (ngettext ("%u Call", "%u Calls", n), n);
  gtk_label_set_label (self->calls_heading, heading);
  gtk_widget_set_visible (GTK_WIDGET (self->incidents_list), n > 0);
}

/* ---- sessions (from GET /tickets/{id}) ---- */

static void
show_sessions (FqTicketPane *self,
               JsonArray    *sessions)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter iter;
  gpointer key, value;
  guint n = sessions != NULL ? json_array_get_length (sessions) : 0;

  for (guint i = 0; i < n; i++)
    {
      JsonObject *session = json_array_get_object_element (sessions, i);
      const char *id, *title, *state;
      gint64 at = 0;
      GtkWidget *row;
      g_autofree char *when = NULL;
      g_autofree char *subtitle = NULL;

      if (session == NULL || !json_object_has_member (session, "id"))
        continue;
      id = json_object_get_string_member (session, "id");
      title = json_object_has_member (session, "title") ? json_object_get_string_member (session, "title") : id;
      state = json_object_has_member (session, "state") ? json_object_get_string_member (session, "state") : NULL;
      fq_json_get_time (session, "scheduled_at", FALSE, &at, NULL, NULL);
      when = fq_format_date_time (at);
      subtitle = g_strdup_printf ("%s · %s", session_state_label (state), when);

      row = g_hash_table_lookup (self->session_rows, id);
      if (row == NULL)
        {
          row = adw_action_row_new ();
          adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
          gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
          g_object_set_data_full (G_OBJECT (row), "fq-session", g_strdup (id), g_free);
          gtk_list_box_append (self->sessions_list, row);
          g_hash_table_insert (self->session_rows, g_strdup (id), row);
        }
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      g_hash_table_add (seen, (gpointer)g_object_get_data (G_OBJECT (row), "fq-session"));
    }

  g_hash_table_iter_init (&iter, self->session_rows);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (!g_hash_table_contains (seen, key))
        {
          gtk_list_box_remove (self->sessions_list, value);
          g_hash_table_iter_remove (&iter);
        }
    }

  gtk_widget_set_visible (GTK_WIDGET (self->sessions_list), g_hash_table_size (self->session_rows) > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->no_sessions_label), g_hash_table_size (self->session_rows) == 0);
}

static void
session_row_activated_cb (FqTicketPane  *self,
                          GtkListBoxRow *row)
{
  const char *id = g_object_get_data (G_OBJECT (row), "fq-session");

  if (id != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "win.show-session", "s", id);
}

static void
convene_button_clicked_cb (FqTicketPane *self)
{
  if (self->ticket_json != NULL)
    fq_whistle_dialog_present (self->context, self->ticket_json, GTK_WIDGET (self));
}

static void
detail_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(FqTicketPane) self = user_data;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *detail;
  guint allowed = 0;

  answer = fq_client_call_finish (FQ_CLIENT (object), result, &error);
  if (answer == NULL || !JSON_NODE_HOLDS_OBJECT (answer))
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("No ticket detail from the server: %s", error->message);
      return;
    }
  detail = json_node_get_object (answer);
  if (g_strcmp0 (json_object_has_member (detail, "id") ? json_object_get_string_member (detail, "id") : NULL,
                 self->ticket_id) != 0)
    return;

  if (json_object_has_member (detail, "sessions")
      && JSON_NODE_HOLDS_ARRAY (json_object_get_member (detail, "sessions")))
    show_sessions (self, json_object_get_array_member (detail, "sessions"));

  if (json_object_has_member (detail, "allowed_actions")
      && JSON_NODE_HOLDS_ARRAY (json_object_get_member (detail, "allowed_actions")))
    {
      JsonArray *names = json_object_get_array_member (detail, "allowed_actions");

      for (guint i = 0; i < json_array_get_length (names); i++)
        {
          int action;

          if (fq_enum_from_string (FQ_TYPE_TICKET_ACTION, json_array_get_string_element (names, i), &action))
            allowed |= 1u << action;
        }
      self->server_allowed = allowed;
      self->server_rev = json_object_has_member (detail, "rev") ? json_object_get_int_member (detail, "rev") : 0;
      if (self->ticket != NULL)
        rebuild_actions (self);
    }
}

static gboolean
load_detail_cb (gpointer user_data)
{
  FqTicketPane *self = user_data;
  g_autofree char *path = NULL;
  g_autofree char *escaped = NULL;

  self->detail_id = 0;
  if (self->ticket_id == NULL || self->context == NULL || fq_context_get_client (self->context) == NULL
      || !fq_client_get_signed_in (fq_context_get_client (self->context)))
    return G_SOURCE_REMOVE;

  g_cancellable_cancel (self->detail_cancellable);
  g_clear_object (&self->detail_cancellable);
  self->detail_cancellable = g_cancellable_new ();
  escaped = g_uri_escape_string (self->ticket_id, NULL, FALSE);
  path = g_strdup_printf ("/tickets/%s", escaped);
  fq_client_call_async (fq_context_get_client (self->context), "GET", path, NULL, NULL,
                        self->detail_cancellable, detail_loaded_cb, g_object_ref (self));
  return G_SOURCE_REMOVE;
}

static void
load_detail_soon (FqTicketPane *self)
{
  if (self->detail_id == 0)
    self->detail_id = g_timeout_add (DETAIL_DELAY_MS, load_detail_cb, self);
}

/* ---- the ticket ---- */

static void
show_ticket (FqTicketPane *self)
{
  FqTicket *ticket = self->ticket;
  g_autofree char *kicker = NULL;
  g_autofree char *place = place_text (self->context, fq_ticket_get_grid (ticket));
  g_autofree char *assisting = units_text (self->context, fq_ticket_get_assisting_units (ticket));
  g_autofree char *counts = backflow_text (ticket, self->ticket_json);
  g_autofree char *satisfaction = satisfaction_text (ticket);

  /* Translators: the ticket's id, then its state. */
  kicker = g_strdup_printf (_("Ticket %s · %s"), fq_ticket_get_id (ticket),
                            fq_ticket_state_label (fq_ticket_get_state (ticket)));
  gtk_label_set_label (self->kicker_label, kicker);
  gtk_label_set_label (self->title_label, fq_ticket_get_title (ticket));
  gtk_label_set_label (self->category_value, category_name (self->context, fq_ticket_get_category (ticket)));
  gtk_label_set_label (self->place_value, place);
  gtk_label_set_label (self->tier_value, fq_tier_label (fq_ticket_get_tier (ticket)));
  gtk_label_set_label (self->lead_unit_value, unit_name (self->context, fq_ticket_get_lead_unit (ticket)));
  gtk_label_set_label (self->assisting_value, assisting[0] != '\0' ? assisting : _("None"));
  gtk_label_set_label (self->satisfaction_value, satisfaction);
  gtk_label_set_label (self->counts_value, counts);
  if (fq_ticket_get_returned_count (ticket) + fq_ticket_get_reopened_count (ticket) > 0)
    gtk_widget_add_css_class (GTK_WIDGET (self->counts_value), "fq-warning");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->counts_value), "fq-warning");

  update_deadline (self);
  rebuild_actions (self);
  sync_incidents (self);
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
  g_clear_pointer (&self->ticket_json, json_object_unref);
  self->ticket_json = json_object_ref (json);
  show_ticket (self);
}

static void
load (FqTicketPane *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  if (self->context == NULL || self->ticket_id == NULL || fq_context_get_cache (self->context) == NULL)
    return;

  fq_cache_get_record_async (fq_context_get_cache (self->context), "ticket", self->ticket_id,
                             self->cancellable, ticket_loaded_cb, g_object_ref (self));
  load_detail_soon (self);
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

static void
incident_changed_cb (FqTicketPane *self,
                     const char   *entity,
                     const char   *id,
                     FqCache      *cache)
{
  if (id != NULL && g_hash_table_contains (self->incident_rows, id))
    fq_cache_get_record_async (cache, "incident", id, self->cancellable, incident_loaded_cb,
                               g_object_ref (self));
}

/* A session of this ticket changed (it names its ticket in its JSON): the
 * list comes again from the server. */
static void
session_changed_cb (FqTicketPane *self,
                    const char   *entity,
                    const char   *id,
                    FqCache      *cache)
{
  if (self->ticket_id != NULL)
    load_detail_soon (self);
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

  return fq_widget_focus_first (widget);
}

static void
fq_ticket_pane_dispose (GObject *object)
{
  FqTicketPane *self = (FqTicketPane *)object;

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->detail_cancellable);
  g_clear_handle_id (&self->detail_id, g_source_remove);
  g_clear_handle_id (&self->clock_id, g_source_remove);
  fq_ticket_pane_set_context (self, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), FQ_TYPE_TICKET_PANE);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->detail_cancellable);
  g_clear_object (&self->ticket);
  g_clear_object (&self->ranked_units);
  g_clear_pointer (&self->ticket_json, json_object_unref);
  g_clear_pointer (&self->incidents, g_hash_table_unref);
  g_clear_pointer (&self->incident_rows, g_hash_table_unref);
  g_clear_pointer (&self->session_rows, g_hash_table_unref);
  g_clear_pointer (&self->revealed, g_hash_table_unref);
  g_clear_pointer (&self->picked_units, g_ptr_array_unref);

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

  gtk_widget_class_install_action (widget_class, "ticket.export-pdf", NULL, export_pdf_action);
  gtk_widget_class_install_action (widget_class, "ticket.print", NULL, print_action);

  gtk_widget_class_add_binding (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, confirm_shortcut_cb, NULL);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK, confirm_shortcut_cb, NULL);

  g_type_ensure (FQ_TYPE_TIMELINE_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/cn/fengqiao/Console/fq-ticket-pane.ui");
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, kicker_label);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, title_label);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, export_button);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, category_value);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, place_value);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, tier_value);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, lead_unit_value);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, assisting_value);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, dispatched_value);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, deadline_value);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, satisfaction_value);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, counts_value);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, actions_box);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, no_actions_label);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, form_revealer);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, form_title);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, form_list);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, reason_row);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, tier_row);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, new_lead_row);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, new_lead_switch);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, unit_row);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, unit_dropdown);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, add_unit_button);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, picked_row);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, satisfaction_row);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, satisfaction_spin);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, note_row);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, form_message);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, confirm_button);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, sessions_box);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, convene_button);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, no_sessions_label);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, sessions_list);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, calls_heading);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, incidents_list);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, reveal_message);
  gtk_widget_class_bind_template_child (widget_class, FqTicketPane, timeline_view);
  gtk_widget_class_bind_template_callback (widget_class, confirm_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, close_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, new_lead_switch_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_unit_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, clear_units_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, convene_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, session_row_activated_cb);
}

static void
fq_ticket_pane_init (FqTicketPane *self)
{
  g_autoptr(GtkStringList) reasons = gtk_string_list_new (NULL);
  g_autoptr(GtkStringList) tiers = gtk_string_list_new (NULL);
  g_autoptr(GtkExpression) name = NULL;

  self->action = -1;
  self->incidents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify)json_object_unref);
  self->incident_rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->session_rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->revealed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->picked_units = g_ptr_array_new_with_free_func (g_free);
  self->ranked_units = g_list_store_new (FQ_TYPE_UNIT);

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Status lines are read out as they change; buttons by their words. */
  fq_label_track_accessible_label (self->form_message);
  fq_label_track_accessible_label (self->reveal_message);
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
  gtk_drop_down_set_model (self->unit_dropdown, G_LIST_MODEL (self->ranked_units));

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

  if (self->timeline_view != NULL)
    fq_timeline_view_set_context (self->timeline_view, context);

  if (context != NULL)
    {
      if (fq_context_get_outbox (context) != NULL)
        g_signal_connect_swapped (fq_context_get_outbox (context), "pending-changed",
                                  G_CALLBACK (pending_changed_cb), self);
      if ((cache = fq_context_get_cache (context)) != NULL)
        {
          g_signal_connect_swapped (cache, "record-changed::ticket", G_CALLBACK (ticket_changed_cb), self);
          g_signal_connect_swapped (cache, "record-changed::incident", G_CALLBACK (incident_changed_cb), self);
          g_signal_connect_swapped (cache, "record-changed::session", G_CALLBACK (session_changed_cb), self);
        }
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTEXT]);
}

void
fq_ticket_pane_set_ticket (FqTicketPane *self,
                           const char   *id)
{
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (FQ_IS_TICKET_PANE (self));

  if (g_strcmp0 (self->ticket_id, id) == 0)
    return;

  g_free (self->ticket_id);
  self->ticket_id = g_strdup (id);
  g_clear_object (&self->ticket);
  g_clear_pointer (&self->ticket_json, json_object_unref);
  self->server_rev = 0;
  self->server_allowed = 0;

  g_hash_table_iter_init (&iter, self->incident_rows);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    gtk_list_box_remove (self->incidents_list, value);
  g_hash_table_remove_all (self->incident_rows);
  g_hash_table_remove_all (self->incidents);
  g_hash_table_remove_all (self->revealed);
  show_sessions (self, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->reveal_message), FALSE);

  close_form (self);
  fq_timeline_view_set_ticket (self->timeline_view, id);
  load (self);
}

const char *
fq_ticket_pane_get_ticket (FqTicketPane *self)
{
  g_return_val_if_fail (FQ_IS_TICKET_PANE (self), NULL);

  return self->ticket_id;
}

guint
fq_ticket_pane_get_offered_actions (FqTicketPane *self)
{
  g_return_val_if_fail (FQ_IS_TICKET_PANE (self), 0);

  return offered_actions (self);
}

FqReport *
fq_ticket_pane_build_report (FqTicketPane *self)
{
  g_return_val_if_fail (FQ_IS_TICKET_PANE (self), NULL);

  return build_report (self);
}
