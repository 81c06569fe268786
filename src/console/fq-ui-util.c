/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "fq-ui-util"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <adwaita.h>
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
fq_role_label (FqRole role)
{
  switch (role)
    {
    case FQ_ROLE_OPERATOR:
      return _("Operator");
    case FQ_ROLE_COORDINATOR:
      return _("Coordinator");
    case FQ_ROLE_UNIT:
      return _("Unit staff");
    case FQ_ROLE_GRID_WORKER:
      return _("Grid worker");
    case FQ_ROLE_LEADER:
      return _("Leader");
    case FQ_ROLE_ADMIN:
      return _("Administrator");
    default:
      return "";
    }
}

/* Operators and coordinators may see callers' full numbers, each look
 * audited by the server (POST /incidents/{id}/reveal); others never. */
gboolean
fq_role_may_reveal_phone (FqRole role)
{
  return role == FQ_ROLE_OPERATOR || role == FQ_ROLE_COORDINATOR;
}

/* 13812345678 → 138****5678, as the server masks for the other roles; a
 * number that is already masked stays as it is. */
char *
fq_mask_phone (const char *phone)
{
  GString *out;
  guint n_digits = 0, seen = 0, keep_head, keep_tail;

  /* Already masked by the server: as it is. */
  if (strchr (phone, '*') != NULL)
    return g_strdup (phone);

  out = g_string_new (NULL);

  for (const char *p = phone; *p != '\0'; p++)
    n_digits += g_ascii_isdigit (*p) != 0;
  if (n_digits >= 11)
    keep_head = 3, keep_tail = 4;
  else if (n_digits >= 7)
    keep_head = 2, keep_tail = 2;
  else
    keep_head = 0, keep_tail = n_digits >= 4 ? 1 : 0;

  for (const char *p = phone; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        g_string_append_c (out, *p);
      else
        {
          g_string_append_c (out, seen < keep_head || seen >= n_digits - keep_tail ? *p : '*');
          seen++;
        }
    }
  return g_string_free (out, FALSE);
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

  dt = fq_city_time (unix_seconds);
  now = fq_city_now ();
  if (dt == NULL || now == NULL)
    return g_strdup ("");

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

  dt = fq_city_time (unix_seconds);
  if (dt == NULL)
    return g_strdup ("");

  /* Translators: a full date and time, see g_date_time_format(). */
  return g_date_time_format (dt, _("%Y-%m-%d %H:%M"));
}

static char *
format_duration (gint64 seconds)
{
  int minutes = (int)MIN ((seconds + 59) / 60, G_MAXINT);
  int hours = minutes / 60;
  int days = hours / 24;

  /* Past a few days the hours no longer matter to the reader; a whole
   * day or hour says no "0 h" or "0 min". */
  if (days >= 3 || (days >= 1 && hours % 24 == 0))
    /* Translators: a duration in days, compact. */
    return g_strdup_printf (_("%d d"), days);
  if (days >= 1)
    /* Translators: a duration in days and hours, compact. */
    return g_strdup_printf (_("%d d %d h"), days, hours % 24);
  if (hours >= 1 && minutes % 60 == 0)
    /* Translators: a duration in whole hours, compact. */
    return g_strdup_printf (_("%d h"), hours);
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
      /* Translators: the ticket was not accepted in time (whether or
       * not it has been since); %s is the time still left until its
       * deadline. */
      return g_strdup_printf (_("Late to accept · %s left"), duration);
    }

  duration = format_duration (seconds_left);
  /* Translators: %s is a duration such as "3 h 20 min". */
  return g_strdup_printf (_("%s left"), duration);
}

char *
fq_format_accept_countdown (gint64 seconds_left)
{
  g_autofree char *duration = format_duration (ABS (seconds_left));

  if (seconds_left < 0)
    /* Translators: a dispatched ticket not accepted in time; %s is how
     * long ago the acceptance limit ran out, such as "15 min". */
    return g_strdup_printf (_("Accept overdue %s"), duration);
  /* Translators: the time a unit still has to accept a dispatched ticket;
   * %s is a duration such as "1 h 45 min". */
  return g_strdup_printf (_("%s to accept"), duration);
}

gint64
fq_accept_seconds_left (gint64 dispatched_at)
{
  return dispatched_at + fq_client_get_accept_limit () -
         fq_client_get_server_time () / G_USEC_PER_SEC;
}

char *
fq_format_ticket_clock (FqTicketState  state,
                        gint64         deadline,
                        gint64         dispatched_at,
                        gboolean       overdue,
                        gint64         now,
                        FqClockLook   *look)
{
  gint64 left = deadline - now;
  gint64 accept_left;

  *look = FQ_CLOCK_PLAIN;
  if (deadline == 0)
    return g_strdup ("");
  if (state == FQ_TICKET_STATE_RESOLVED || state == FQ_TICKET_STATE_CLOSED)
    {
      *look = FQ_CLOCK_DONE;
      return g_strdup (state == FQ_TICKET_STATE_RESOLVED ? _("Under review") : _("Done"));
    }

  accept_left = dispatched_at + fq_client_get_accept_limit () - now;
  if (state == FQ_TICKET_STATE_DISPATCHED && dispatched_at > 0 && accept_left <= left)
    {
      /* Late or not, the acceptance is what the unit owes first. */
      if (accept_left < 0 || overdue)
        *look = FQ_CLOCK_LATE;
      else if (accept_left < FQ_ACCEPT_NEAR_SECONDS)
        *look = FQ_CLOCK_NEAR;
      return fq_format_accept_countdown (accept_left);
    }

  if (left < 0 || overdue)
    *look = FQ_CLOCK_LATE;
  else if (left < FQ_DEADLINE_NEAR_SECONDS)
    *look = FQ_CLOCK_NEAR;
  return fq_format_countdown (left, overdue);
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

const char *
fq_preview_lead_unit (FqContext  *context,
                      const char *category,
                      const char *grid_code)
{
  /* One source of truth: the core's rule, as the server applies it. */
  return fq_context_preview_lead_unit (context, category, grid_code);
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

char *
fq_strip_mnemonic (const char *text)
{
  GString *out;

  if (text == NULL)
    return g_strdup ("");

  out = g_string_sized_new (strlen (text));
  for (const char *p = text; *p != '\0'; p++)
    {
      /* A translation's mnemonic in brackets after the text: "(_S)". */
      if ((p[0] == '(' || g_str_has_prefix (p, "（")) &&
          strchr (p, '_') != NULL)
        {
          const char *q = p + (p[0] == '(' ? 1 : strlen ("（"));

          if (q[0] == '_' && q[1] != '\0' && q[1] != '_' &&
              (q[2] == ')' || g_str_has_prefix (q + 2, "）")))
            {
              p = q + 2 + (q[2] == ')' ? 1 : strlen ("）")) - 1;
              continue;
            }
        }
      if (p[0] == '_')
        {
          /* "__" is a literal underscore. */
          if (p[1] == '_')
            {
              g_string_append_c (out, '_');
              p++;
            }
          continue;
        }
      g_string_append_c (out, *p);
    }

  g_strchomp (out->str);
  return g_string_free (out, FALSE);
}

static void
label_text_changed_cb (GtkLabel   *label,
                       GParamSpec *pspec,
                       gpointer    user_data)
{
  const char *text = gtk_label_get_text (label);

  gtk_accessible_update_property (GTK_ACCESSIBLE (label),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, text != NULL ? text : "",
                                  -1);
}

void
fq_label_track_accessible_label (GtkLabel *label)
{
  g_return_if_fail (GTK_IS_LABEL (label));

  g_signal_connect (label, "notify::label", G_CALLBACK (label_text_changed_cb), NULL);
  label_text_changed_cb (label, NULL, NULL);
}

static void
button_label_changed_cb (GtkButton  *button,
                         GParamSpec *pspec,
                         gpointer    user_data)
{
  const char *text = gtk_button_get_label (button);
  g_autofree char *clean = NULL;

  if (text == NULL)
    return;
  clean = gtk_button_get_use_underline (button) ? fq_strip_mnemonic (text) : g_strdup (text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, clean,
                                  -1);
}

void
fq_fix_mnemonic_accessible_labels (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  if (GTK_IS_BUTTON (root) &&
      gtk_button_get_use_underline (GTK_BUTTON (root)) &&
      gtk_button_get_label (GTK_BUTTON (root)) != NULL)
    {
      g_signal_connect (root, "notify::label", G_CALLBACK (button_label_changed_cb), NULL);
      button_label_changed_cb (GTK_BUTTON (root), NULL, NULL);
    }

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    fq_fix_mnemonic_accessible_labels (child);
}

int
fq_catch_up_percent (FqSync *sync)
{
  double progress;

  if (sync == NULL || !fq_sync_get_catching_up (sync))
    return -1;
  progress = fq_sync_get_progress (sync);
  if (progress < 0.0)
    return -1;
  return MIN ((int)(progress * 100.0), 99);
}

gboolean
fq_trace_enabled (void)
{
  static gsize enabled = 0;

  if (g_once_init_enter (&enabled))
    g_once_init_leave (&enabled, g_strcmp0 (g_getenv ("FQ_TRACE_STARTUP"), "1") == 0 ? 2 : 1);

  return enabled == 2;
}

/* Milliseconds since the kernel started this process: its start time in
 * /proc/self/stat (clock ticks since boot) against CLOCK_BOOTTIME. */
static double
ms_since_process_start (void)
{
  g_autofree char *stat = NULL;
  struct timespec now;
  const char *p;
  unsigned long long start_ticks = 0;

  clock_gettime (CLOCK_BOOTTIME, &now);
  if (!g_file_get_contents ("/proc/self/stat", &stat, NULL, NULL) ||
      (p = strrchr (stat, ')')) == NULL)
    return -1;

  /* After the command's ")": fields 3 to 21, then the start time (22). */
  p++;
  for (int field = 3; field < 22 && p != NULL; field++)
    p = strchr (p + 1, ' ');
  if (p == NULL)
    return -1;
  start_ticks = g_ascii_strtoull (p + 1, NULL, 10);

  return (now.tv_sec * 1000.0 + now.tv_nsec / 1e6) -
         (double)start_ticks * 1000.0 / sysconf (_SC_CLK_TCK);
}

void
fq_trace_mark (const char *what)
{
  if (!fq_trace_enabled ())
    return;

  fprintf (stderr, "fengqiao: %s %.0f\n", what, ms_since_process_start ());
  fflush (stderr);
}

static GtkWidget *
find_descendant (GtkWidget *widget,
                 GType      type)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        return child;
      if ((found = find_descendant (child, type)) != NULL)
        return found;
    }
  return NULL;
}

typedef struct
{
  GtkWidget *list;
  GtkWidget *owner;
  gulong     paint_id;
  guint      step;
} PopupFocus;

static void
popup_focus_free (PopupFocus *pf)
{
  g_clear_object (&pf->list);
  g_clear_object (&pf->owner);
  g_free (pf);
}

static guint
owner_selected (GtkWidget *owner)
{
  return ADW_IS_COMBO_ROW (owner) ? adw_combo_row_get_selected (ADW_COMBO_ROW (owner))
                                  : gtk_drop_down_get_selected (GTK_DROP_DOWN (owner));
}

/* After the frame that laid out the list at the selected item, that item
 * has a row: the focus goes to it, and the list's cursor (what the arrow
 * keys move from) follows the focus. */
static void
popup_after_paint_cb (GdkFrameClock *clock,
                      PopupFocus    *pf)
{
  g_clear_signal_handler (&pf->paint_id, clock);

  if (gtk_widget_get_mapped (pf->list))
    {
      GtkWidget *row;

      /* The selected item's row is the one whose check mark shows. */
      for (row = gtk_widget_get_first_child (pf->list); row != NULL;
           row = gtk_widget_get_next_sibling (row))
        {
          GtkWidget *check = find_descendant (row, GTK_TYPE_IMAGE);

          if (check != NULL && gtk_widget_get_visible (check) &&
              gtk_widget_get_opacity (check) > 0 &&
              g_strcmp0 (gtk_image_get_icon_name (GTK_IMAGE (check)), "object-select-symbolic") == 0)
            break;
        }

      if (row == NULL || !gtk_widget_grab_focus (row))
        gtk_widget_grab_focus (pf->list);
    }
  popup_focus_free (pf);
}

/* Runs once the popover has given the focus to its first item: scrolls to
 * the selected item, so that its row exists after the next frame. */
static void
popup_focus_idle_cb (gpointer data)
{
  PopupFocus *pf = data;
  GdkFrameClock *clock;
  guint selected = owner_selected (pf->owner);

  if (!gtk_widget_get_mapped (pf->list) || selected == GTK_INVALID_LIST_POSITION ||
      (clock = gtk_widget_get_frame_clock (pf->list)) == NULL)
    {
      popup_focus_free (pf);
      return;
    }

  gtk_widget_activate_action (pf->list, "list.scroll-to-item", "u", selected);
  pf->paint_id = g_signal_connect (clock, "after-paint", G_CALLBACK (popup_after_paint_cb), pf);
  gtk_widget_queue_resize (pf->list);
}

static void
list_popup_map_cb (GtkWidget *popover,
                   GtkWidget *owner)
{
  GtkWidget *list = find_descendant (popover, GTK_TYPE_LIST_VIEW);
  PopupFocus *pf;

  if (list == NULL)
    return;

  pf = g_new0 (PopupFocus, 1);
  pf->list = g_object_ref (list);
  pf->owner = g_object_ref (owner);
  g_idle_add_once (popup_focus_idle_cb, pf);
}

static void
fix_list_popup (GtkWidget *owner)
{
  GtkWidget *popover = find_descendant (owner, GTK_TYPE_POPOVER);

  if (popover == NULL)
    return;
  g_signal_connect_object (popover, "map", G_CALLBACK (list_popup_map_cb), owner, G_CONNECT_AFTER);
}

void
fq_fix_list_popups (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  if (ADW_IS_COMBO_ROW (root) || GTK_IS_DROP_DOWN (root))
    {
      fix_list_popup (root);
      return;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    fq_fix_list_popups (child);
}

gboolean
fq_widget_focus_first (GtkWidget *bin)
{
  GtkWidget *child;

  g_return_val_if_fail (ADW_IS_BIN (bin), FALSE);

  child = adw_bin_get_child (ADW_BIN (bin));
  return child != NULL && gtk_widget_child_focus (child, GTK_DIR_TAB_FORWARD);
}
