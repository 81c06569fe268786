/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "fq-ui-util"

#include "config.h"

#include <glib/gi18n.h>

#include "fq-ui-util.h"

const char *
fq_source_label (FqSource source)
{
  switch (source)
    {
    case FQ_SOURCE_110:
      return C_("source", "110");
    case FQ_SOURCE_12345:
      return C_("source", "12345");
    case FQ_SOURCE_GRID:
      return C_("source", "Grid report");
    case FQ_SOURCE_WALK_IN:
      return C_("source", "Walk-in");
    case FQ_SOURCE_OPEN311:
      return C_("source", "Open311");
    default:
      return "";
    }
}

const char *
fq_decision_label (int decision)
{
  switch (decision)
    {
    case FQ_DECISION_POLICE:
      return C_("decision", "Police matter");
    case FQ_DECISION_ON_SCENE:
      return C_("decision", "Settled on scene");
    case FQ_DECISION_MEDIATE:
      return C_("decision", "Mediation at station");
    case FQ_DECISION_DIVERT:
      return C_("decision", "Diverted");
    case FQ_DECISION_MERGE:
      return C_("decision", "Merged");
    default:
      return C_("decision", "Awaiting triage");
    }
}

const char *
fq_ticket_state_label (FqTicketState state)
{
  switch (state)
    {
    case FQ_TICKET_STATE_DISPATCHED:
      return C_("ticket state", "Dispatched");
    case FQ_TICKET_STATE_ACCEPTED:
      return C_("ticket state", "Accepted");
    case FQ_TICKET_STATE_RESOLVED:
      return C_("ticket state", "Resolved");
    case FQ_TICKET_STATE_CLOSED:
      return C_("ticket state", "Closed");
    case FQ_TICKET_STATE_RETURNED:
      return C_("ticket state", "Returned");
    default:
      return "";
    }
}

const char *
fq_tier_label (FqTier tier)
{
  switch (tier)
    {
    case FQ_TIER_COMMUNITY:
      return C_("tier", "Community");
    case FQ_TIER_STREET:
      return C_("tier", "Street");
    case FQ_TIER_DISTRICT:
      return C_("tier", "District");
    case FQ_TIER_CITY:
      return C_("tier", "City");
    default:
      return "";
    }
}

const char *
fq_ticket_action_label (FqTicketAction action)
{
  switch (action)
    {
    case FQ_TICKET_ACTION_ACCEPT:
      return C_("ticket action", "Accept");
    case FQ_TICKET_ACTION_RETURN:
      return C_("ticket action", "Return");
    case FQ_TICKET_ACTION_REDISPATCH:
      return C_("ticket action", "Redispatch");
    case FQ_TICKET_ACTION_PROGRESS:
      return C_("ticket action", "Report Progress");
    case FQ_TICKET_ACTION_RESOLVE:
      return C_("ticket action", "Resolve");
    case FQ_TICKET_ACTION_REJECT_RESOLUTION:
      return C_("ticket action", "Reject Resolution");
    case FQ_TICKET_ACTION_CLOSE:
      return C_("ticket action", "Close");
    case FQ_TICKET_ACTION_REOPEN:
      return C_("ticket action", "Reopen");
    case FQ_TICKET_ACTION_ESCALATE:
      return C_("ticket action", "Escalate");
    case FQ_TICKET_ACTION_COMMENT:
      return C_("ticket action", "Comment");
    case FQ_TICKET_ACTION_ASSIST:
      return C_("ticket action", "Add Assisting Units");
    default:
      return "";
    }
}

const char *
fq_event_kind_label (FqEventKind kind)
{
  switch (kind)
    {
    case FQ_EVENT_KIND_DISPATCHED:
      return C_("event", "Dispatched");
    case FQ_EVENT_KIND_ACCEPTED:
      return C_("event", "Accepted");
    case FQ_EVENT_KIND_RETURNED:
      return C_("event", "Returned");
    case FQ_EVENT_KIND_REDISPATCHED:
      return C_("event", "Redispatched");
    case FQ_EVENT_KIND_PROGRESS:
      return C_("event", "Progress");
    case FQ_EVENT_KIND_RESOLVED:
      return C_("event", "Resolved");
    case FQ_EVENT_KIND_RESOLUTION_REJECTED:
      return C_("event", "Resolution rejected");
    case FQ_EVENT_KIND_CLOSED:
      return C_("event", "Closed");
    case FQ_EVENT_KIND_REOPENED:
      return C_("event", "Reopened");
    case FQ_EVENT_KIND_ESCALATED:
      return C_("event", "Escalated");
    case FQ_EVENT_KIND_ASSISTING:
      return C_("event", "Assisting units added");
    case FQ_EVENT_KIND_COMMENT:
      return C_("event", "Comment");
    case FQ_EVENT_KIND_MERGED:
      return C_("event", "Repeat call merged");
    case FQ_EVENT_KIND_SLA_BREACHED:
      return C_("event", "Deadline missed");
    case FQ_EVENT_KIND_WHISTLE:
      return C_("event", "Whistle blown");
    case FQ_EVENT_KIND_CONVENED:
      return C_("event", "Session convened");
    case FQ_EVENT_KIND_CHECKED_IN:
      return C_("event", "Reported in");
    case FQ_EVENT_KIND_CONSENSUS:
      return C_("event", "Consensus reached");
    case FQ_EVENT_KIND_ACTION_DONE:
      return C_("event", "Action item done");
    default:
      return "";
    }
}

const char *
fq_return_reason_label (FqReturnReason reason)
{
  switch (reason)
    {
    case FQ_RETURN_REASON_NOT_RESPONSIBLE:
      return C_("return reason", "Not our responsibility");
    case FQ_RETURN_REASON_WRONG_PLACE:
      return C_("return reason", "Wrong place");
    case FQ_RETURN_REASON_DUPLICATE:
      return C_("return reason", "Duplicate");
    case FQ_RETURN_REASON_NEEDS_POLICE:
      return C_("return reason", "Needs the police");
    case FQ_RETURN_REASON_OTHER:
      return C_("return reason", "Other");
    default:
      return "";
    }
}

char *
fq_format_time (gint64 unix_seconds)
{
  g_autoptr(GDateTime) dt = NULL;
  g_autoptr(GDateTime) now = NULL;

  if (unix_seconds <= 0)
    return g_strdup ("");

  dt = g_date_time_new_from_unix_local (unix_seconds);
  now = g_date_time_new_now_local ();

  if (g_date_time_get_year (dt) == g_date_time_get_year (now)
      && g_date_time_get_day_of_year (dt) == g_date_time_get_day_of_year (now))
    /* Translators: a time of day today, see g_date_time_format(). */
    return g_date_time_format (dt, _("%H:%M"));

  if (g_date_time_get_year (dt) != g_date_time_get_year (now))
    /* Translators: a day of another year, see g_date_time_format(). */
    return g_date_time_format (dt, _("%Y-%m-%d"));

  /* Translators: a day of this year and a time, see g_date_time_format(). */
  return g_date_time_format (dt, _("%m-%d %H:%M"));
}

char *
fq_format_date_time (gint64 unix_seconds)
{
  g_autoptr(GDateTime) dt = NULL;

  if (unix_seconds <= 0)
    return g_strdup ("");

  dt = g_date_time_new_from_unix_local (unix_seconds);

  /* Translators: a full date and time, see g_date_time_format(). */
  return g_date_time_format (dt, _("%Y-%m-%d %H:%M"));
}

static char *
format_duration (gint64 seconds)
{
  int minutes = (int)MIN ((seconds + 59) / 60, G_MAXINT);
  int hours = minutes / 60;
  int days = hours / 24;

  /* Past a few days the hours no longer matter to the reader. */
  if (days >= 3)
    /* Translators: a duration in days, compact. */
    return g_strdup_printf (_("%d d"), days);
  if (days >= 1)
    /* Translators: a duration in days and hours, compact. */
    return g_strdup_printf (_("%d d %d h"), days, hours % 24);
  if (hours >= 1)
    /* Translators: a duration in hours and minutes, compact. */
    return g_strdup_printf (_("%d h %d min"), hours, minutes % 60);

  /* Translators: a duration in minutes, compact. */
  return g_strdup_printf (_("%d min"), minutes);
}

char *
fq_format_countdown (gint64   seconds_left,
                     gboolean overdue)
{
  g_autofree char *duration = NULL;

  if (seconds_left < 0)
    {
      duration = format_duration (-seconds_left);
      /* Translators: %s is a duration such as "1 h 5 min". */
      return g_strdup_printf (_("Overdue %s"), duration);
    }

  if (overdue)
    {
      duration = format_duration (seconds_left);
      /* Translators: the ticket was not accepted in time; %s is the time
       * still left until its deadline. */
      return g_strdup_printf (_("Not accepted · %s left"), duration);
    }

  duration = format_duration (seconds_left);
  /* Translators: %s is a duration such as "3 h 20 min". */
  return g_strdup_printf (_("%s left"), duration);
}

/* Community committees carry their long official names ("广州路社区居民委员会");
 * the board has room for the place, not the body. */
static char *
short_place_name (const char *name)
{
  static const char * const suffixes[] = {
    "社区居民委员会", "社区居委会", "居民委员会", "居委会", "村民委员会", "村委会",
  };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    if (g_str_has_suffix (name, suffixes[i]))
      {
        g_autofree char *stem = g_strndup (name, strlen (name) - strlen (suffixes[i]));

        /* "社区居委会" → keep "社区"; "村委会" → keep "村". */
        if (g_str_has_prefix (suffixes[i], "社区"))
          return g_strconcat (stem, "社区", NULL);
        if (g_str_has_prefix (suffixes[i], "村"))
          return g_strconcat (stem, "村", NULL);
        if (stem[0] != '\0')
          return g_steal_pointer (&stem);
      }

  return g_strdup (name);
}

char *
fq_format_place (FqContext  *context,
                 const char *grid_code)
{
  char street_code[13];
  char community_code[13];
  const char *street;
  const char *community;
  gsize len;

  if (grid_code == NULL || (len = strlen (grid_code)) < 12)
    return g_strdup ("");

  /* Division codes: 6 digits of district, 3 of street, 3 of community. */
  memcpy (street_code, grid_code, 9);
  memcpy (street_code + 9, "000", 4);
  memcpy (community_code, grid_code, 12);
  community_code[12] = '\0';

  street = fq_context_lookup_grid_name (context, street_code);
  community = g_str_equal (community_code + 9, "000")
              ? "" : fq_context_lookup_grid_name (context, community_code);

  if (street[0] != '\0' && community[0] != '\0')
    {
      g_autofree char *short_community = short_place_name (community);

      return g_strdup_printf ("%s / %s", street, short_community);
    }
  if (community[0] != '\0')
    return short_place_name (community);
  if (street[0] != '\0')
    return g_strdup (street);

  return g_strdup (fq_context_lookup_grid_name (context, grid_code));
}

/* The ancestors of a division code, nearest first: grid cell, community,
 * street, district, city (ARCHITECTURE.md: 14, 12, 9, 6 and 4 significant
 * digits). */
static guint
ancestor_codes (const char *grid_code,
                char        codes[5][15])
{
  static const guint digits[] = { 12, 9, 6, 4 };
  guint n = 0;

  if (strlen (grid_code) > 12)
    g_strlcpy (codes[n++], grid_code, sizeof codes[0]);

  for (guint i = 0; i < G_N_ELEMENTS (digits); i++)
    {
      memcpy (codes[n], grid_code, digits[i]);
      memset (codes[n] + digits[i], '0', 12 - digits[i]);
      codes[n][12] = '\0';
      if (n == 0 || !g_str_equal (codes[n], codes[n - 1]))
        n++;
    }

  return n;
}

const char *
fq_preview_lead_unit (FqContext  *context,
                      const char *category,
                      const char *grid_code)
{
  JsonObject *category_json;
  const char *function;
  GListModel *units;
  guint n_units;
  char codes[5][15];
  guint n_codes;

  if (category == NULL || grid_code == NULL || strlen (grid_code) < 12)
    return NULL;

  category_json = fq_context_lookup_category (context, category);
  if (category_json == NULL)
    return NULL;
  function = json_object_get_string_member_with_default (category_json, "lead_unit_kind", NULL);
  if (function == NULL)
    return NULL;

  n_codes = ancestor_codes (grid_code, codes);
  units = fq_context_get_units (context);
  n_units = g_list_model_get_n_items (units);

  for (guint c = 0; c < n_codes; c++)
    for (guint i = 0; i < n_units; i++)
      {
        g_autoptr(GObject) unit = g_list_model_get_item (units, i);
        g_autofree char *id = NULL;
        JsonObject *json;

        g_object_get (unit, "id", &id, NULL);
        json = fq_context_lookup_unit (context, id);
        if (json != NULL
            && g_strcmp0 (json_object_get_string_member_with_default (json, "function", NULL), function) == 0
            && g_strcmp0 (json_object_get_string_member_with_default (json, "grid", NULL), codes[c]) == 0)
          return fq_context_lookup_unit_name (context, id);
      }

  return NULL;
}

gboolean
fq_can_triage (FqContext *context)
{
  FqRole role = fq_context_get_role (context);

  return role == FQ_ROLE_OPERATOR || role == FQ_ROLE_COORDINATOR || role == FQ_ROLE_ADMIN;
}

GtkWidget *
fq_section_label_new (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");

  return label;
}
