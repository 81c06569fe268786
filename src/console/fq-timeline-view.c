/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The ticket's timeline as a coordinator reads it: a vertical list of
 * events under local day headings, each with an icon, what happened, who,
 * for which unit, when and the note; on each milestone the time the step
 * took. The list box's header function writes the day headings and its
 * filter function applies "milestones only", so a filter change or a new
 * event never rebuilds the rows already there.
 */

#define G_LOG_DOMAIN "fq-timeline-view"

#include "config.h"

#include <glib/gi18n.h>

#include "fq-enum-types.h"
#include "fq-json.h"
#include "fq-timeline-view.h"
#include "fq-ui-util.h"

#define SPAN_MINUTE 60
#define SPAN_HOUR   3600
#define SPAN_DAY    86400

struct _FqTimelineView
{
  AdwBin           parent_instance;

  /* Template widgets */
  GtkToggleButton *all_button;
  GtkToggleButton *milestones_button;
  GtkListBox      *events_list;
  GtkLabel        *empty_label;

  /* Owned */
  FqContext       *context;
  GCancellable    *cancellable;
  char            *ticket_id;
  GPtrArray       *events;        /* FqTimelineEvent, oldest first */
  GPtrArray       *steps;         /* char *, parallel to events */
  GTimeZone       *tz;
  guint            reload_id;
  gboolean         milestones_only;
};

G_DEFINE_FINAL_TYPE (FqTimelineView, fq_timeline_view, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_MILESTONES_ONLY,
  N_PROPS
};

enum {
  EVENTS_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ---- the arithmetic ---- */

char *
fq_format_span (gint64 seconds)
{
  gint64 n;

  seconds = MAX (seconds, 0);
  if (seconds < SPAN_MINUTE)
    return g_strdup (C_("span", "under a minute"));
  if (seconds < SPAN_HOUR)
    {
      n = MAX (1, (seconds + SPAN_MINUTE / 2) / SPAN_MINUTE);
      if (n < 60)
        /* Translators: a span of minutes: "40 min" (zh: "40 分钟"). */
        return g_strdup_printf (C_("span", "%d min"), (int)n);
    }
  if (seconds < 2 * SPAN_DAY)
    {
      n = MAX (1, (seconds + SPAN_HOUR / 2) / SPAN_HOUR);
      if (n < 48)
        /* Translators: a span of hours: "5 h" (zh: "5 小时"). */
        return g_strdup_printf (C_("span", "%d h"), (int)n);
    }
  n = MAX (1, (seconds + SPAN_DAY / 2) / SPAN_DAY);
  /* Translators: a span of days: "4 d" (zh: "4 天"). */
  return g_strdup_printf (C_("span", "%d d"), (int)n);
}

gboolean
fq_timeline_kind_is_milestone (FqEventKind kind)
{
  switch (kind)
    {
    case FQ_EVENT_KIND_DISPATCHED:
    case FQ_EVENT_KIND_REDISPATCHED:
    case FQ_EVENT_KIND_ACCEPTED:
    case FQ_EVENT_KIND_RETURNED:
    case FQ_EVENT_KIND_RESOLVED:
    case FQ_EVENT_KIND_RESOLUTION_REJECTED:
    case FQ_EVENT_KIND_CLOSED:
    case FQ_EVENT_KIND_REOPENED:
    case FQ_EVENT_KIND_WHISTLE:
    case FQ_EVENT_KIND_CONSENSUS:
      return TRUE;

    default:
      return FALSE;
    }
}

gboolean
fq_timeline_kind_is_notable (FqEventKind kind)
{
  switch (kind)
    {
    case FQ_EVENT_KIND_MERGED:
    case FQ_EVENT_KIND_RETURNED:
    case FQ_EVENT_KIND_RESOLUTION_REJECTED:
    case FQ_EVENT_KIND_REOPENED:
    case FQ_EVENT_KIND_ESCALATED:
    case FQ_EVENT_KIND_SLA_BREACHED:
    case FQ_EVENT_KIND_WHISTLE:
    case FQ_EVENT_KIND_CONVENED:
    case FQ_EVENT_KIND_CHECKED_IN:
    case FQ_EVENT_KIND_CONSENSUS:
    case FQ_EVENT_KIND_ACTION_DONE:
      return TRUE;

    default:
      return FALSE;
    }
}

gboolean
fq_timeline_kind_is_shown_in_milestones (FqEventKind kind)
{
  switch (kind)
    {
    case FQ_EVENT_KIND_PROGRESS:
    case FQ_EVENT_KIND_COMMENT:
    case FQ_EVENT_KIND_ASSISTING:
    case FQ_EVENT_KIND_CHECKED_IN:
    case FQ_EVENT_KIND_CONVENED:
    case FQ_EVENT_KIND_ACTION_DONE:
      return FALSE;

    default:
      return TRUE;
    }
}

const char *
fq_timeline_kind_icon (FqEventKind kind)
{
  switch (kind)
    {
    case FQ_EVENT_KIND_DISPATCHED:
      return "mail-send-symbolic";
    case FQ_EVENT_KIND_ACCEPTED:
      return "object-select-symbolic";
    case FQ_EVENT_KIND_RETURNED:
      return "edit-undo-symbolic";
    case FQ_EVENT_KIND_REDISPATCHED:
      return "mail-forward-symbolic";
    case FQ_EVENT_KIND_PROGRESS:
      return "document-edit-symbolic";
    case FQ_EVENT_KIND_RESOLVED:
      return "emblem-ok-symbolic";
    case FQ_EVENT_KIND_RESOLUTION_REJECTED:
      return "edit-undo-symbolic";
    case FQ_EVENT_KIND_CLOSED:
      return "checkbox-checked-symbolic";
    case FQ_EVENT_KIND_REOPENED:
      return "view-refresh-symbolic";
    case FQ_EVENT_KIND_ESCALATED:
      return "go-up-symbolic";
    case FQ_EVENT_KIND_ASSISTING:
      return "contact-new-symbolic";
    case FQ_EVENT_KIND_COMMENT:
      return "chat-message-new-symbolic";
    case FQ_EVENT_KIND_MERGED:
      return "call-start-symbolic";
    case FQ_EVENT_KIND_SLA_BREACHED:
      return "alarm-symbolic";
    case FQ_EVENT_KIND_WHISTLE:
      return "audio-volume-high-symbolic";
    case FQ_EVENT_KIND_CONVENED:
      return "system-users-symbolic";
    case FQ_EVENT_KIND_CHECKED_IN:
      return "mark-location-symbolic";
    case FQ_EVENT_KIND_CONSENSUS:
      return "starred-symbolic";
    case FQ_EVENT_KIND_ACTION_DONE:
      return "object-select-symbolic";
    default:
      return "x-office-calendar-symbolic";
    }
}

/* The short name of a milestone in a step: "Dispatch → accepted". */
static const char *
step_name (FqEventKind kind,
           gboolean    first)
{
  switch (kind)
    {
    case FQ_EVENT_KIND_DISPATCHED:
      return first ? C_("step", "Dispatch") : C_("step", "dispatch");
    case FQ_EVENT_KIND_REDISPATCHED:
      return first ? C_("step", "Redispatch") : C_("step", "redispatch");
    case FQ_EVENT_KIND_ACCEPTED:
      return first ? C_("step", "Accepted") : C_("step", "accepted");
    case FQ_EVENT_KIND_RETURNED:
      return first ? C_("step", "Returned") : C_("step", "returned");
    case FQ_EVENT_KIND_RESOLVED:
      return first ? C_("step", "Resolved") : C_("step", "resolved");
    case FQ_EVENT_KIND_RESOLUTION_REJECTED:
      return first ? C_("step", "Rejected") : C_("step", "rejected");
    case FQ_EVENT_KIND_CLOSED:
      return first ? C_("step", "Closed") : C_("step", "closed");
    case FQ_EVENT_KIND_REOPENED:
      return first ? C_("step", "Reopened") : C_("step", "reopened");
    case FQ_EVENT_KIND_WHISTLE:
      return first ? C_("step", "Whistle") : C_("step", "whistle");
    case FQ_EVENT_KIND_CONSENSUS:
      return first ? C_("step", "Consensus") : C_("step", "consensus");
    default:
      return fq_event_kind_label (kind);
    }
}

char *
fq_timeline_step_text (FqEventKind from_kind,
                       gint64      from_at,
                       FqEventKind to_kind,
                       gint64      to_at)
{
  g_autofree char *span = fq_format_span (to_at - from_at);

  /* Translators: a step of a ticket and the time it took:
   * "Dispatch → accepted 40 min" (zh: "派单 → 受理 40 分钟"). */
  return g_strdup_printf (C_("step", "%s → %s %s"), step_name (from_kind, TRUE),
                          step_name (to_kind, FALSE), span);
}

static gint
compare_events (gconstpointer a,
                gconstpointer b)
{
  FqTimelineEvent *ea = *(FqTimelineEvent **)a;
  FqTimelineEvent *eb = *(FqTimelineEvent **)b;
  gint64 ta = fq_timeline_event_get_at (ea);
  gint64 tb = fq_timeline_event_get_at (eb);

  if (ta != tb)
    return ta < tb ? -1 : 1;
  return g_strcmp0 (fq_timeline_event_get_id (ea), fq_timeline_event_get_id (eb));
}

GPtrArray *
fq_timeline_compute_steps (GPtrArray *events)
{
  GPtrArray *steps;
  FqTimelineEvent *previous = NULL;
  gint64 first_dispatch = 0;
  guint n_milestones = 0;

  g_return_val_if_fail (events != NULL, NULL);

  steps = g_ptr_array_new_full (events->len, g_free);
  for (guint i = 0; i < events->len; i++)
    {
      FqTimelineEvent *event = g_ptr_array_index (events, i);
      FqEventKind kind = fq_timeline_event_get_kind (event);
      gint64 at = fq_timeline_event_get_at (event);
      char *text = NULL;

      if (!fq_timeline_kind_is_milestone (kind))
        {
          g_ptr_array_add (steps, NULL);
          continue;
        }

      if (previous != NULL)
        {
          FqEventKind from = fq_timeline_event_get_kind (previous);

          text = fq_timeline_step_text (from, fq_timeline_event_get_at (previous), kind, at);

          /* After several steps, the end of the matter also says how long
           * it took in all: "… (4 d since dispatch)". */
          if ((kind == FQ_EVENT_KIND_RESOLVED || kind == FQ_EVENT_KIND_CLOSED)
              && first_dispatch > 0 && n_milestones >= 2)
            {
              g_autofree char *total = fq_format_span (at - first_dispatch);
              char *longer;

              /* Translators: a step, then the time since the first dispatch:
               * "Accepted → resolved 3 d (4 d since dispatch)". */
              longer = g_strdup_printf (C_("step", "%s (%s since dispatch)"), text, total);
              g_free (text);
              text = longer;
            }
        }
      if (kind == FQ_EVENT_KIND_DISPATCHED && first_dispatch == 0)
        first_dispatch = at;

      g_ptr_array_add (steps, text);
      previous = event;
      n_milestones++;
    }

  return steps;
}

guint
fq_timeline_day_key (gint64     unix_seconds,
                     GTimeZone *tz)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (unix_seconds);
  g_autoptr(GDateTime) local = NULL;

  g_return_val_if_fail (tz != NULL, 0);

  if (utc == NULL)
    return 0;
  local = g_date_time_to_timezone (utc, tz);
  return g_date_time_get_year (local) * 10000 + g_date_time_get_month (local) * 100
         + g_date_time_get_day_of_month (local);
}

char *
fq_timeline_day_heading (gint64     unix_seconds,
                         GTimeZone *tz)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (unix_seconds);
  g_autoptr(GDateTime) local = NULL;

  g_return_val_if_fail (tz != NULL, NULL);

  if (utc == NULL)
    return g_strdup ("");
  local = g_date_time_to_timezone (utc, tz);
  /* Translators: a day heading of the timeline, a g_date_time_format()
   * format (zh: "%Y年%-m月%-d日 %A"). */
  return g_date_time_format (local, C_("timeline day", "%A, %-d %B %Y"));
}

/* ---- the rows ---- */

static char *
unit_names (FqTimelineView *self,
            JsonArray      *units)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; units != NULL && i < json_array_get_length (units); i++)
    {
      const char *id = json_array_get_string_element (units, i);

      if (id == NULL)
        continue;
      if (text->len > 0)
        g_string_append (text, _("; "));
      g_string_append (text, fq_context_lookup_unit_name (self->context, id));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static const char *
data_string (JsonObject *data,
             const char *member)
{
  return fq_json_string_or (data, member, NULL);
}

static const char *
tier_label_of (const char *nick)
{
  int tier;

  if (nick == NULL || !fq_enum_from_string (FQ_TYPE_TIER, nick, &tier))
    return NULL;
  return fq_tier_label (tier);
}

/* What the event's data adds to its title, in words. (transfer full) */
static char *
detail_text (FqTimelineView  *self,
             FqTimelineEvent *event)
{
  JsonNode *node = fq_timeline_event_get_data (event);
  JsonObject *data = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  const char *s;

  if (fq_timeline_event_get_kind (event) == FQ_EVENT_KIND_DISPATCHED)
    {
      s = fq_timeline_event_get_unit (event);
      if (s == NULL || s[0] == '\0')
        return NULL;
      /* Translators: the unit a ticket was first dispatched to. */
      return g_strdup_printf (_("Sent to %s"), fq_context_lookup_unit_name (self->context, s));
    }
  if (data == NULL)
    return NULL;

  switch (fq_timeline_event_get_kind (event))
    {
    case FQ_EVENT_KIND_RETURNED:
      {
        int reason;

        if ((s = data_string (data, "reason")) != NULL
            && fq_enum_from_string (FQ_TYPE_RETURN_REASON, s, &reason))
          /* Translators: why a unit returned a ticket. */
          return g_strdup_printf (_("Reason: %s"), fq_return_reason_label (reason));
      }
      break;

    case FQ_EVENT_KIND_REDISPATCHED:
      if ((s = data_string (data, "to")) != NULL)
        /* Translators: the unit a ticket went to. */
        return g_strdup_printf (_("To %s"), fq_context_lookup_unit_name (self->context, s));
      break;

    case FQ_EVENT_KIND_ESCALATED:
      {
        const char *from = tier_label_of (data_string (data, "from_tier"));
        const char *to = tier_label_of (data_string (data, "to_tier"));
        const char *unit = data_string (data, "to");
        g_autoptr(GString) text = g_string_new (NULL);

        if (from != NULL && to != NULL)
          g_string_append_printf (text, "%s → %s", from, to);
        if (unit != NULL)
          {
            if (text->len > 0)
              g_string_append (text, " · ");
            g_string_append_printf (text, _("To %s"), fq_context_lookup_unit_name (self->context, unit));
          }
        if (json_object_has_member (data, "auto") && json_object_get_boolean_member (data, "auto"))
          {
            if (text->len > 0)
              g_string_append (text, " · ");
            g_string_append (text, _("automatically, after being overdue"));
          }
        return text->len > 0 ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
      }

    case FQ_EVENT_KIND_ASSISTING:
      if (json_object_has_member (data, "units")
          && JSON_NODE_HOLDS_ARRAY (json_object_get_member (data, "units")))
        {
          g_autofree char *names = unit_names (self, json_object_get_array_member (data, "units"));

          if (names[0] != '\0')
            return g_steal_pointer (&names);
        }
      break;

    case FQ_EVENT_KIND_CLOSED:
      if (json_object_has_member (data, "satisfaction"))
        /* Translators: the caller's rating at the callback. */
        return g_strdup_printf (_("Satisfaction %d of 5"),
                                (int)json_object_get_int_member (data, "satisfaction"));
      break;

    case FQ_EVENT_KIND_SLA_BREACHED:
      s = data_string (data, "breach");
      if (g_strcmp0 (s, "accept") == 0)
        return g_strdup (_("Not accepted within the acceptance limit"));
      if (g_strcmp0 (s, "resolve") == 0)
        return g_strdup (_("Not resolved by the deadline"));
      if (g_strcmp0 (s, "action_item") == 0)
        return g_strdup (_("A session's action item ran out"));
      break;

    case FQ_EVENT_KIND_MERGED:
      if ((s = data_string (data, "incident")) != NULL)
        /* Translators: the incident (a call) attached to the ticket. */
        return g_strdup_printf (_("Call %s"), s);
      break;

    default:
      break;
    }

  return NULL;
}

static GtkWidget *
row_new (FqTimelineView  *self,
         FqTimelineEvent *event,
         const char      *step)
{
  FqEventKind kind = fq_timeline_event_get_kind (event);
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (fq_timeline_event_get_at (event));
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_timezone (utc, self->tz) : NULL;
  g_autofree char *time = local != NULL ? g_date_time_format (local, "%H:%M") : g_strdup ("");
  g_autofree char *detail = detail_text (self, event);
  g_autofree char *who = NULL;
  g_autoptr(GString) spoken = g_string_new (NULL);
  const char *unit = fq_timeline_event_get_unit (event);
  const char *actor = fq_timeline_event_get_actor (event);
  const char *note = fq_timeline_event_get_note (event);
  const char *nick = fq_enum_to_string (FQ_TYPE_EVENT_KIND, kind);
  GtkWidget *row, *grid, *rail, *icon, *line, *title, *time_label, *label;
  g_autofree char *kind_class = g_strdup_printf ("fq-event-%s", nick != NULL ? nick : "other");
  int y = 1;

  row = gtk_list_box_row_new ();
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_add_css_class (row, "fq-timeline-row");
  gtk_widget_add_css_class (row, kind_class);
  if (fq_timeline_kind_is_notable (kind))
    gtk_widget_add_css_class (row, "fq-timeline-notable");
  if (fq_timeline_kind_is_milestone (kind))
    gtk_widget_add_css_class (row, "fq-timeline-milestone");
  g_object_set_data_full (G_OBJECT (row), "fq-event", g_object_ref (event), g_object_unref);

  grid = gtk_grid_new ();
  gtk_grid_set_column_spacing (GTK_GRID (grid), 10);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 1);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), grid);

  /* The rail: the event's icon and the line down to the next one. */
  rail = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  icon = gtk_image_new_from_icon_name (fq_timeline_kind_icon (kind));
  gtk_widget_add_css_class (icon, "fq-timeline-icon");
  gtk_widget_set_halign (icon, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (rail), icon);
  line = gtk_separator_new (GTK_ORIENTATION_VERTICAL);
  gtk_widget_add_css_class (line, "fq-timeline-line");
  gtk_widget_set_halign (line, GTK_ALIGN_CENTER);
  gtk_widget_set_vexpand (line, TRUE);
  gtk_box_append (GTK_BOX (rail), line);
  gtk_grid_attach (GTK_GRID (grid), rail, 0, 0, 1, 6);

  title = gtk_label_new (fq_event_kind_label (kind));
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_widget_set_hexpand (title, TRUE);
  gtk_widget_add_css_class (title, "fq-timeline-title");
  gtk_grid_attach (GTK_GRID (grid), title, 1, 0, 1, 1);
  g_string_append (spoken, fq_event_kind_label (kind));

  time_label = gtk_label_new (time);
  gtk_label_set_xalign (GTK_LABEL (time_label), 1);
  gtk_widget_set_valign (time_label, GTK_ALIGN_START);
  gtk_widget_add_css_class (time_label, "fq-timeline-time");
  gtk_widget_add_css_class (time_label, "dim-label");
  gtk_grid_attach (GTK_GRID (grid), time_label, 2, 0, 1, 1);
  g_string_append_printf (spoken, ", %s", time);

  /* A dispatch's unit is where it went, which the detail says. */
  who = fq_timeline_event_dup_who (event, unit != NULL && unit[0] != '\0'
                                          && kind != FQ_EVENT_KIND_DISPATCHED
                                             ? fq_context_lookup_unit_name (self->context, unit)
                                             : NULL);
  if ((actor == NULL || actor[0] == '\0')
      && (kind == FQ_EVENT_KIND_SLA_BREACHED || kind == FQ_EVENT_KIND_ESCALATED))
    {
      char *by_system = who != NULL ? g_strdup_printf ("%s · %s", who, C_("actor", "System"))
                                    : g_strdup (C_("actor", "System"));

      g_free (who);
      who = by_system;
    }
  if (who != NULL)
    {
      label = gtk_label_new (who);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
      gtk_widget_add_css_class (label, "dim-label");
      gtk_widget_add_css_class (label, "caption");
      gtk_grid_attach (GTK_GRID (grid), label, 1, y++, 2, 1);
      g_string_append_printf (spoken, ", %s", who);
    }

  if (detail != NULL)
    {
      label = gtk_label_new (detail);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
      gtk_widget_add_css_class (label, "fq-timeline-detail");
      gtk_grid_attach (GTK_GRID (grid), label, 1, y++, 2, 1);
      g_string_append_printf (spoken, ", %s", detail);
    }

  if (note != NULL && note[0] != '\0')
    {
      label = gtk_label_new (note);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
      gtk_label_set_selectable (GTK_LABEL (label), TRUE);
      gtk_widget_add_css_class (label, "fq-timeline-note");
      gtk_grid_attach (GTK_GRID (grid), label, 1, y++, 2, 1);
      g_string_append_printf (spoken, ", %s", note);
    }

  if (step != NULL)
    {
      label = gtk_label_new (step);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_widget_add_css_class (label, "fq-timeline-step");
      gtk_widget_set_halign (label, GTK_ALIGN_START);
      gtk_grid_attach (GTK_GRID (grid), label, 1, y++, 2, 1);
      g_string_append_printf (spoken, ", %s", step);
    }

  gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, spoken->str,
                                  -1);
  return row;
}

static FqTimelineEvent *
row_event (GtkListBoxRow *row)
{
  return row != NULL ? g_object_get_data (G_OBJECT (row), "fq-event") : NULL;
}

static void
header_func (GtkListBoxRow *row,
             GtkListBoxRow *before,
             gpointer       user_data)
{
  FqTimelineView *self = user_data;
  FqTimelineEvent *event = row_event (row);
  FqTimelineEvent *previous = row_event (before);
  guint day = fq_timeline_day_key (fq_timeline_event_get_at (event), self->tz);
  GtkWidget *header;

  if (previous != NULL && fq_timeline_day_key (fq_timeline_event_get_at (previous), self->tz) == day)
    {
      gtk_list_box_row_set_header (row, NULL);
      return;
    }

  header = gtk_list_box_row_get_header (row);
  if (header == NULL || GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (header), "fq-day")) != day)
    {
      g_autofree char *text = fq_timeline_day_heading (fq_timeline_event_get_at (event), self->tz);

      header = gtk_label_new (text);
      gtk_label_set_xalign (GTK_LABEL (header), 0);
      gtk_widget_add_css_class (header, "fq-timeline-day");
      gtk_widget_add_css_class (header, "heading");
      g_object_set_data (G_OBJECT (header), "fq-day", GUINT_TO_POINTER (day));
      gtk_list_box_row_set_header (row, header);
    }
}

static gboolean
filter_func (GtkListBoxRow *row,
             gpointer       user_data)
{
  FqTimelineView *self = user_data;
  FqTimelineEvent *event = row_event (row);

  return !self->milestones_only || event == NULL
         || fq_timeline_kind_is_shown_in_milestones (fq_timeline_event_get_kind (event));
}

static void
remove_rows (FqTimelineView *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->events_list))) != NULL)
    gtk_list_box_remove (self->events_list, child);
}

/* Whether @old is where @new begins: then only the new tail is added. */
static gboolean
is_prefix (GPtrArray *old,
           GPtrArray *new)
{
  if (old == NULL || old->len > new->len)
    return FALSE;
  for (guint i = 0; i < old->len; i++)
    {
      if (g_strcmp0 (fq_timeline_event_get_id (g_ptr_array_index (old, i)),
                     fq_timeline_event_get_id (g_ptr_array_index (new, i))) != 0)
        return FALSE;
    }
  return TRUE;
}

static void
show_events (FqTimelineView *self,
             GPtrArray      *events)
{
  g_autoptr(GPtrArray) steps = fq_timeline_compute_steps (events);
  guint from = 0;

  if (is_prefix (self->events, events))
    from = self->events->len;
  else
    remove_rows (self);

  if (from == events->len && self->events != NULL)
    return;

  for (guint i = from; i < events->len; i++)
    gtk_list_box_append (self->events_list,
                         row_new (self, g_ptr_array_index (events, i), g_ptr_array_index (steps, i)));

  g_clear_pointer (&self->events, g_ptr_array_unref);
  g_clear_pointer (&self->steps, g_ptr_array_unref);
  self->events = g_ptr_array_ref (events);
  self->steps = g_steal_pointer (&steps);
  gtk_widget_set_visible (GTK_WIDGET (self->empty_label), events->len == 0);
  gtk_widget_set_visible (GTK_WIDGET (self->events_list), events->len > 0);
  g_signal_emit (self, signals[EVENTS_CHANGED], 0);
}

static void
events_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(FqTimelineView) self = user_data;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;

  records = fq_cache_list_records_finish (FQ_CACHE (object), result, &error);
  if (records == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot read the timeline: %s", error->message);
      return;
    }

  events = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < records->len; i++)
    {
      g_autoptr(GError) parse_error = NULL;
      FqTimelineEvent *event;

      event = fq_timeline_event_new_from_json (g_ptr_array_index (records, i), &parse_error);
      if (event == NULL)
        {
          g_debug ("Skipping an unreadable event: %s", parse_error->message);
          continue;
        }
      if (g_strcmp0 (fq_timeline_event_get_ticket (event), self->ticket_id) != 0)
        {
          g_object_unref (event);
          continue;
        }
      g_ptr_array_add (events, event);
    }
  g_ptr_array_sort (events, compare_events);
  show_events (self, events);
}

static void
load (FqTimelineView *self)
{
  FqCache *cache;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  if (self->context == NULL || self->ticket_id == NULL
      || (cache = fq_context_get_cache (self->context)) == NULL)
    return;

  fq_cache_list_records_async (cache, "event", self->ticket_id, self->cancellable,
                               events_loaded_cb, g_object_ref (self));
}

static gboolean
reload_cb (gpointer user_data)
{
  FqTimelineView *self = user_data;

  self->reload_id = 0;
  load (self);
  return G_SOURCE_REMOVE;
}

/* An event names its ticket only inside its JSON; a batch of events reads
 * the open timeline once. */
static void
event_changed_cb (FqTimelineView *self,
                  const char     *entity,
                  const char     *id,
                  FqCache        *cache)
{
  if (self->ticket_id != NULL && self->reload_id == 0)
    self->reload_id = g_timeout_add (100, reload_cb, self);
}

static void
filter_toggled_cb (FqTimelineView *self)
{
  fq_timeline_view_set_milestones_only (self, gtk_toggle_button_get_active (self->milestones_button));
}

static void
fq_timeline_view_dispose (GObject *object)
{
  FqTimelineView *self = (FqTimelineView *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->reload_id, g_source_remove);
  fq_timeline_view_set_context (self, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), FQ_TYPE_TIMELINE_VIEW);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->events, g_ptr_array_unref);
  g_clear_pointer (&self->steps, g_ptr_array_unref);

  G_OBJECT_CLASS (fq_timeline_view_parent_class)->dispose (object);
}

static void
fq_timeline_view_finalize (GObject *object)
{
  FqTimelineView *self = (FqTimelineView *)object;

  g_clear_pointer (&self->ticket_id, g_free);
  g_clear_pointer (&self->tz, g_time_zone_unref);

  G_OBJECT_CLASS (fq_timeline_view_parent_class)->finalize (object);
}

static void
fq_timeline_view_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  FqTimelineView *self = FQ_TIMELINE_VIEW (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;

    case PROP_MILESTONES_ONLY:
      g_value_set_boolean (value, self->milestones_only);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_timeline_view_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  FqTimelineView *self = FQ_TIMELINE_VIEW (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      fq_timeline_view_set_context (self, g_value_get_object (value));
      break;

    case PROP_MILESTONES_ONLY:
      fq_timeline_view_set_milestones_only (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_timeline_view_class_init (FqTimelineViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fq_timeline_view_dispose;
  object_class->finalize = fq_timeline_view_finalize;
  object_class->get_property = fq_timeline_view_get_property;
  object_class->set_property = fq_timeline_view_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL,
                         FQ_TYPE_CONTEXT,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_MILESTONES_ONLY] =
    g_param_spec_boolean ("milestones-only", NULL, NULL,
                          FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[EVENTS_CHANGED] =
    g_signal_new ("events-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/cn/fengqiao/Console/fq-timeline-view.ui");
  gtk_widget_class_bind_template_child (widget_class, FqTimelineView, all_button);
  gtk_widget_class_bind_template_child (widget_class, FqTimelineView, milestones_button);
  gtk_widget_class_bind_template_child (widget_class, FqTimelineView, events_list);
  gtk_widget_class_bind_template_child (widget_class, FqTimelineView, empty_label);
  gtk_widget_class_bind_template_callback (widget_class, filter_toggled_cb);
}

static void
fq_timeline_view_init (FqTimelineView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->tz = g_time_zone_ref (fq_city_zone ());
  gtk_list_box_set_header_func (self->events_list, header_func, self, NULL);
  gtk_list_box_set_filter_func (self->events_list, filter_func, self, NULL);
}

GtkWidget *
fq_timeline_view_new (void)
{
  return g_object_new (FQ_TYPE_TIMELINE_VIEW, NULL);
}

void
fq_timeline_view_set_context (FqTimelineView *self,
                              FqContext      *context)
{
  FqCache *cache;

  g_return_if_fail (FQ_IS_TIMELINE_VIEW (self));
  g_return_if_fail (!context || FQ_IS_CONTEXT (context));

  if (self->context == context)
    return;

  if (self->context != NULL && (cache = fq_context_get_cache (self->context)) != NULL)
    g_signal_handlers_disconnect_by_data (cache, self);
  g_set_object (&self->context, context);
  if (context != NULL && (cache = fq_context_get_cache (context)) != NULL)
    g_signal_connect_object (cache, "record-changed::event", G_CALLBACK (event_changed_cb), self,
                             G_CONNECT_SWAPPED);

  load (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTEXT]);
}

void
fq_timeline_view_set_ticket (FqTimelineView *self,
                             const char     *id)
{
  g_return_if_fail (FQ_IS_TIMELINE_VIEW (self));

  if (g_strcmp0 (self->ticket_id, id) == 0)
    return;

  g_free (self->ticket_id);
  self->ticket_id = g_strdup (id);
  remove_rows (self);
  g_clear_pointer (&self->events, g_ptr_array_unref);
  g_clear_pointer (&self->steps, g_ptr_array_unref);
  gtk_widget_set_visible (GTK_WIDGET (self->empty_label), FALSE);
  load (self);
}

void
fq_timeline_view_set_milestones_only (FqTimelineView *self,
                                      gboolean        milestones_only)
{
  g_return_if_fail (FQ_IS_TIMELINE_VIEW (self));

  milestones_only = !!milestones_only;
  if (self->milestones_only == milestones_only)
    return;

  self->milestones_only = milestones_only;
  if (gtk_toggle_button_get_active (self->milestones_button) != milestones_only)
    gtk_toggle_button_set_active (milestones_only ? self->milestones_button : self->all_button, TRUE);
  gtk_list_box_invalidate_filter (self->events_list);
  gtk_list_box_invalidate_headers (self->events_list);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MILESTONES_ONLY]);
}

gboolean
fq_timeline_view_get_milestones_only (FqTimelineView *self)
{
  g_return_val_if_fail (FQ_IS_TIMELINE_VIEW (self), FALSE);

  return self->milestones_only;
}

GPtrArray *
fq_timeline_view_get_events (FqTimelineView *self)
{
  g_return_val_if_fail (FQ_IS_TIMELINE_VIEW (self), NULL);

  return self->events;
}
