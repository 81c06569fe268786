/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The in-session panel (see fq-session-panel.h). The panel holds the
 * session's JSON as the cache last gave it and redraws from it whenever the
 * change feed brings the session again; the roster tiles, decision rows and
 * action item rows are kept by id and updated in place, so that a projected
 * roster does not flicker and the keyboard focus stays where it was.
 *
 * Every write goes through the outbox with the rev the panel last saw. Two
 * things make that work at a meeting table where several consoles write at
 * once: a write refused as stale (another console checked a unit in
 * meanwhile) is sent again with the current rev, unless what it asked for
 * has happened already; and the minutes are one queued write at most — a
 * newer text replaces the queued one — so that text typed offline reaches
 * the server as one write once it is back (the server answers a repeat of
 * the stored text 200 whatever the rev, so a replay is harmless).
 */

#define G_LOG_DOMAIN "fq-session-panel"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "fq-error.h"
#include "fq-json.h"
#include "fq-session-panel.h"
#include "fq-ui-util.h"

/* The minutes are sent this long after the last keystroke. */
#define MINUTES_DEBOUNCE_MS 800
/* A write refused as stale is sent again at most this often. */
#define MAX_RETRIES 3

struct _FqSessionPanel
{
  GtkWidget       parent_instance;

  /* Template widgets */
  GtkLabel       *title_label;
  GtkLabel       *info_label;
  GtkLabel       *summary_label;
  GtkLabel       *timer_label;
  GtkButton      *start_button;
  GtkButton      *conclude_button;
  GtkMenuButton  *more_button;
  GtkLabel       *status_label;
  GtkFlowBox     *roster_box;
  GtkLabel       *external_label;
  GtkLabel       *minutes_status;
  GtkTextView    *minutes_view;
  GtkListBox     *decision_list;
  AdwEntryRow    *decision_row;
  GtkListBox     *item_list;
  GtkListBox     *item_form;
  AdwEntryRow    *item_text_row;
  AdwComboRow    *item_owner_row;
  AdwEntryRow    *item_due_row;
  GtkButton      *add_item_button;

  /* Owned */
  FqContext      *context;
  GCancellable   *cancellable;
  char           *id;
  JsonObject     *session;
  gint64          rev;
  GHashTable     *tiles;          /* unit id → GtkButton (borrowed) */
  GHashTable     *decision_rows;  /* decision id → AdwActionRow (borrowed) */
  GHashTable     *item_rows;      /* item id → AdwActionRow (borrowed) */
  GHashTable     *writes;         /* idempotency key → JsonObject body of our writes */
  GPtrArray      *owner_ids;      /* unit ids of the owner combo, in order */
  char           *minutes_key;    /* the minutes write waiting in the outbox */
  char           *minutes_sent;   /* the text of that write */
  guint           minutes_timeout_id;
  guint           timer_id;
  guint           setting_minutes : 1;
  guint           minutes_dirty : 1;
  guint           resave_minutes : 1;
};

enum {
  BACK,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FqSessionPanel, fq_session_panel, GTK_TYPE_WIDGET)

static void save_minutes (FqSessionPanel *self);

/* ---- shared helpers ------------------------------------------------------ */

gint64
fq_session_get_time (JsonObject *object,
                     const char *member)
{
  g_autoptr(GDateTime) dt = NULL;
  const char *text;

  text = fq_json_string_or (object, member, NULL);
  if (text == NULL || (dt = g_date_time_new_from_iso8601 (text, NULL)) == NULL)
    return 0;
  return g_date_time_to_unix (dt);
}

static const char *
get_string (JsonObject *object,
            const char *member)
{
  return fq_json_string_or (object, member, NULL);
}

static JsonArray *
get_array (JsonObject *object,
           const char *member)
{
  JsonNode *node;

  if (object == NULL || (node = json_object_get_member (object, member)) == NULL ||
      !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  return json_node_get_array (node);
}

const char *
fq_session_state_label (const char *state)
{
  if (g_strcmp0 (state, "scheduled") == 0)
    return C_("session state", "Scheduled");
  if (g_strcmp0 (state, "in_progress") == 0)
    return C_("session state", "In Progress");
  if (g_strcmp0 (state, "concluded") == 0)
    return C_("session state", "Concluded");
  if (g_strcmp0 (state, "cancelled") == 0)
    return C_("session state", "Cancelled");
  return state != NULL ? state : "";
}

char *
fq_session_roster_summary (JsonObject *session)
{
  JsonArray *invitees = get_array (session, "invitees");
  guint n = invitees != NULL ? json_array_get_length (invitees) : 0;
  guint reported = 0;

  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (get_string (json_array_get_object_element (invitees, i), "status"),
                   "checked_in") == 0)
      reported++;

  /* Translators: the roster of a session; the first number is of all the
   * invited units, e.g. "5 家中 4 家已报到". */
  return g_strdup_printf (ngettext ("%2$u of %1$u unit reported", "%2$u of %1$u units reported", n),
                          n, reported);
}

static char *
format_clock (gint64 unix_seconds)
{
  g_autoptr(GDateTime) dt = fq_city_time (unix_seconds);

  /* Translators: a time of day, see g_date_time_format(). */
  return g_date_time_format (dt, _("%H:%M"));
}

char *
fq_session_invitee_status (JsonObject *invitee)
{
  const char *status = get_string (invitee, "status");

  if (g_strcmp0 (status, "checked_in") == 0)
    {
      gint64 at = fq_session_get_time (invitee, "checked_in_at");
      gint64 delay = fq_json_int_or (invitee, "delay_minutes", 0);
      g_autofree char *clock = format_clock (at);

      if (delay > 0)
        /* Translators: a unit's check-in: its time and how late it was. */
        return g_strdup_printf (ngettext ("Reported at %s (%d min late)",
                                          "Reported at %s (%d min late)", (gulong)delay),
                                clock, (int)delay);
      /* Translators: a unit's check-in time. */
      return g_strdup_printf (_("Reported at %s"), clock);
    }
  if (g_strcmp0 (status, "absent") == 0)
    return g_strdup (C_("invitee", "Absent"));
  if (g_strcmp0 (status, "excused") == 0)
    return g_strdup (C_("invitee", "Excused"));
  return g_strdup (C_("invitee", "Not reported yet"));
}

static const char *
unit_name (FqContext  *context,
           const char *id)
{
  const char *name = NULL;

  if (id == NULL)
    return "";
  if (context != NULL)
    name = fq_context_lookup_unit_name (context, id);
  return name != NULL && name[0] != '\0' ? name : id;
}

static char *
format_date_time (gint64 unix_seconds)
{
  return unix_seconds > 0 ? fq_format_date_time (unix_seconds) : NULL;
}

static char *
format_duration (gint64 seconds)
{
  gint64 minutes = seconds / 60;

  if (minutes < 60)
    return g_strdup_printf (_("%d min"), (int)minutes);
  /* Translators: a duration in hours and minutes. */
  return g_strdup_printf (_("%d h %d min"), (int)(minutes / 60), (int)(minutes % 60));
}

FqReport *
fq_session_minutes_report_new (FqContext  *context,
                               JsonObject *session)
{
  g_autoptr(FqReport) report = NULL;
  g_autoptr(GPtrArray) attendance = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);
  g_autoptr(GPtrArray) decisions = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *scheduled = NULL;
  g_autofree char *started = NULL;
  g_autofree char *concluded = NULL;
  g_autofree char *duration = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *place = NULL;
  JsonArray *array;
  gint64 start, end;
  const char *grid;

  g_return_val_if_fail (session != NULL, NULL);

  /* Translators: the title of a session's minutes; %s is the session's title. */
  title = g_strdup_printf (_("Minutes: %s"), get_string (session, "title"));
  report = fq_report_new (title);

  scheduled = format_date_time (fq_session_get_time (session, "scheduled_at"));
  grid = get_string (session, "grid");
  place = context != NULL && grid != NULL ? fq_format_place (context, grid) : g_strdup (grid);
  /* Translators: under the minutes' title: session id, ticket id, time. */
  subtitle = g_strdup_printf (_("Session %s · Ticket %s · %s"), get_string (session, "id"),
                              get_string (session, "ticket"), scheduled != NULL ? scheduled : "");
  fq_report_set_subtitle (report, subtitle);

  start = fq_session_get_time (session, "started_at");
  end = fq_session_get_time (session, "concluded_at");
  started = format_date_time (start);
  concluded = format_date_time (end);
  if (start > 0 && end >= start)
    duration = format_duration (end - start);
  summary = fq_session_roster_summary (session);

  {
    const char *pairs[] = {
      _("State"), fq_session_state_label (get_string (session, "state")),
      _("Convened by"), unit_name (context, get_string (session, "convener_unit")),
      _("Place"), get_string (session, "location"),
      _("Area"), place,
      _("Scheduled"), scheduled,
      _("Started"), started,
      _("Concluded"), concluded,
      _("Duration"), duration,
      _("Attendance"), summary,
      NULL,
    };

    fq_report_add_fields (report, pairs);
  }

  if (get_string (session, "agenda") != NULL && get_string (session, "agenda")[0] != '\0')
    {
      fq_report_add_heading (report, _("Agenda"));
      fq_report_add_paragraph (report, get_string (session, "agenda"));
    }

  fq_report_add_heading (report, _("Attendance"));
  array = get_array (session, "invitees");
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *invitee = json_array_get_object_element (array, i);
      char **row = g_new0 (char *, 3);

      row[0] = g_strdup (unit_name (context, get_string (invitee, "unit")));
      row[1] = fq_session_invitee_status (invitee);
      g_ptr_array_add (attendance, row);
    }
  {
    const char *headers[] = { _("Unit"), _("Attendance") };
    const double weights[] = { 3, 2 };

    fq_report_add_table (report, 2, headers, weights, attendance);
  }

  array = get_array (session, "external_participants");
  if (array != NULL && json_array_get_length (array) > 0)
    {
      g_autoptr(GString) people = g_string_new (NULL);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonObject *person = json_array_get_object_element (array, i);
          const char *org = get_string (person, "organisation");

          if (i > 0)
            /* Translators: between the names of a list. */
            g_string_append (people, _(", "));
          g_string_append (people, get_string (person, "name"));
          if (org != NULL && org[0] != '\0')
            /* Translators: a person's organisation after their name. */
            g_string_append_printf (people, _(" (%s)"), org);
        }
      fq_report_add_heading (report, _("Also Present"));
      fq_report_add_paragraph (report, people->str);
    }

  fq_report_add_heading (report, _("Minutes"));
  fq_report_add_paragraph (report, get_string (session, "minutes") != NULL &&
                                   get_string (session, "minutes")[0] != '\0'
                                   ? get_string (session, "minutes") : _("No minutes were written."));

  fq_report_add_heading (report, _("Decisions"));
  array = get_array (session, "decisions");
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *decision = json_array_get_object_element (array, i);
      char **row = g_new0 (char *, 4);

      row[0] = g_strdup_printf ("%u", i + 1);
      row[1] = g_strdup (get_string (decision, "text"));
      row[2] = format_date_time (fq_session_get_time (decision, "at"));
      g_ptr_array_add (decisions, row);
    }
  if (decisions->len > 0)
    {
      const char *headers[] = { C_("number", "No."), _("Decision"), _("Recorded") };
      const double weights[] = { 0.6, 6, 2.2 };

      fq_report_add_table (report, 3, headers, weights, decisions);
    }
  else
    fq_report_add_paragraph (report, _("No decision was recorded."));

  fq_report_add_heading (report, _("Action Items"));
  array = get_array (session, "action_items");
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *item = json_array_get_object_element (array, i);
      char **row = g_new0 (char *, 5);
      gint64 done = fq_session_get_time (item, "done_at");

      row[0] = g_strdup (get_string (item, "text"));
      row[1] = g_strdup (unit_name (context, get_string (item, "owner_unit")));
      row[2] = format_date_time (fq_session_get_time (item, "due"));
      if (done > 0)
        row[3] = format_date_time (done);
      else if (fq_json_bool_or (item, "overdue", FALSE))
        row[3] = g_strdup (C_("action item", "Overdue"));
      else
        row[3] = g_strdup (C_("action item", "Open"));
      g_ptr_array_add (items, row);
    }
  if (items->len > 0)
    {
      const char *headers[] = { _("Action Item"), _("Owner"), _("Due"), _("Done") };
      const double weights[] = { 4, 2.6, 1.8, 1.8 };

      fq_report_add_table (report, 4, headers, weights, items);
    }
  else
    fq_report_add_paragraph (report, _("No action item was recorded."));

  return g_steal_pointer (&report);
}

/* ---- permissions ----------------------------------------------------------- */

static const char *
session_state (FqSessionPanel *self)
{
  return get_string (self->session, "state");
}

static gboolean
state_is (FqSessionPanel *self,
          const char     *state)
{
  return g_strcmp0 (session_state (self), state) == 0;
}

static gboolean
can_manage (FqSessionPanel *self)
{
  FqRole role = fq_context_get_role (self->context);

  if (role == FQ_ROLE_COORDINATOR)
    return TRUE;
  return role == FQ_ROLE_UNIT &&
         g_strcmp0 (fq_context_get_unit (self->context),
                    get_string (self->session, "convener_unit")) == 0;
}

static gboolean
is_own_unit (FqSessionPanel *self,
             const char     *unit)
{
  return fq_context_get_role (self->context) == FQ_ROLE_UNIT &&
         g_strcmp0 (fq_context_get_unit (self->context), unit) == 0;
}

static gboolean
can_check_in (FqSessionPanel *self,
              const char     *unit)
{
  if (!state_is (self, "scheduled") && !state_is (self, "in_progress"))
    return FALSE;
  return can_manage (self) || is_own_unit (self, unit);
}

static gboolean
can_complete (FqSessionPanel *self,
              const char     *owner)
{
  if (!state_is (self, "in_progress") && !state_is (self, "concluded"))
    return FALSE;
  return can_manage (self) || is_own_unit (self, owner);
}

static gboolean
has_decision (FqSessionPanel *self)
{
  JsonArray *decisions = get_array (self->session, "decisions");

  return decisions != NULL && json_array_get_length (decisions) > 0;
}

static JsonObject *
find_invitee (JsonObject *session,
              const char *unit)
{
  JsonArray *invitees = get_array (session, "invitees");

  for (guint i = 0; invitees != NULL && i < json_array_get_length (invitees); i++)
    {
      JsonObject *invitee = json_array_get_object_element (invitees, i);

      if (g_strcmp0 (get_string (invitee, "unit"), unit) == 0)
        return invitee;
    }
  return NULL;
}

static JsonObject *
find_item (JsonObject *session,
           const char *item_id)
{
  JsonArray *items = get_array (session, "action_items");

  for (guint i = 0; items != NULL && i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);

      if (g_strcmp0 (get_string (item, "id"), item_id) == 0)
        return item;
    }
  return NULL;
}

/* ---- writes ---------------------------------------------------------------- */

static void
show_status (FqSessionPanel *self,
             const char     *message)
{
  gtk_label_set_label (self->status_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), message != NULL);
}

static char *
submit (FqSessionPanel *self,
        JsonObject     *body,
        const char     *label)
{
  g_autofree char *path = NULL;
  char *key;

  g_assert (self->id != NULL);

  json_object_set_int_member (body, "rev", self->rev);
  path = g_strdup_printf ("/sessions/%s/actions", self->id);
  key = fq_outbox_submit (fq_context_get_outbox (self->context), "POST", path, body,
                          "session", self->id, label);
  g_hash_table_insert (self->writes, g_strdup (key), json_object_ref (body));
  show_status (self, NULL);
  return key;
}

static void
submit_action (FqSessionPanel *self,
               const char     *action,
               const char     *member,
               const char     *value)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *key = NULL;
  g_autofree char *label = NULL;

  if (self->session == NULL)
    return;

  json_object_set_string_member (body, "action", action);
  if (member != NULL)
    json_object_set_string_member (body, member, value);
  /* Translators: the outbox's description of a write: action, session id. */
  label = g_strdup_printf (_("Session %2$s: %1$s"), action, self->id);
  key = submit (self, body, label);
}

/* Whether what @body asked for has happened in @current already, so that a
 * write refused as stale need not be sent again. */
static gboolean
already_done (JsonObject *body,
              JsonObject *current)
{
  const char *action = get_string (body, "action");

  if (g_strcmp0 (action, "check_in") == 0 || g_strcmp0 (action, "mark_absent") == 0 ||
      g_strcmp0 (action, "excuse") == 0)
    {
      JsonObject *invitee = find_invitee (current, get_string (body, "unit"));
      const char *status = get_string (invitee, "status");

      return invitee == NULL ||
             (g_strcmp0 (action, "check_in") == 0 && g_strcmp0 (status, "checked_in") == 0) ||
             (g_strcmp0 (action, "mark_absent") == 0 && g_strcmp0 (status, "invited") != 0) ||
             (g_strcmp0 (action, "excuse") == 0 && g_strcmp0 (status, "checked_in") == 0);
    }
  if (g_strcmp0 (action, "complete_action_item") == 0)
    {
      JsonObject *item = find_item (current, get_string (body, "item"));

      return item == NULL || fq_session_get_time (item, "done_at") > 0;
    }
  if (g_strcmp0 (action, "start") == 0)
    return g_strcmp0 (get_string (current, "state"), "scheduled") != 0;
  if (g_strcmp0 (action, "minutes") == 0)
    return g_strcmp0 (get_string (current, "minutes") != NULL ? get_string (current, "minutes") : "",
                      get_string (body, "text")) == 0;
  return FALSE;
}

static void
set_minutes_status (FqSessionPanel *self)
{
  FqSync *sync = fq_context_get_sync (self->context);
  gboolean online = sync != NULL && fq_sync_get_state (sync) == FQ_SYNC_STATE_ONLINE;
  const char *text;

  if (!gtk_text_view_get_editable (self->minutes_view))
    text = "";
  else if (self->minutes_timeout_id != 0 || self->minutes_key != NULL)
    text = online ? _("Saving…") : _("Saved on this console; sent when the connection is back");
  else if (self->minutes_dirty)
    text = _("Saved");
  else
    text = "";

  gtk_label_set_label (self->minutes_status, text);
}

static void
outbox_sent_cb (FqSessionPanel *self,
                const char     *key,
                JsonNode       *answer,
                FqOutbox       *outbox)
{
  if (!g_hash_table_remove (self->writes, key))
    return;

  if (answer != NULL && JSON_NODE_HOLDS_OBJECT (answer))
    {
      JsonObject *obj = json_node_get_object (answer);

      if (g_strcmp0 (get_string (obj, "id"), self->id) == 0)
        self->rev = MAX (self->rev, fq_json_int_or (obj, "rev", 0));
    }

  if (g_strcmp0 (key, self->minutes_key) == 0)
    {
      g_clear_pointer (&self->minutes_key, g_free);
      g_clear_pointer (&self->minutes_sent, g_free);
      if (self->resave_minutes)
        {
          self->resave_minutes = FALSE;
          save_minutes (self);
        }
    }
  set_minutes_status (self);
}

static void
outbox_conflict_cb (FqSessionPanel *self,
                    const char     *key,
                    const char     *entity,
                    const char     *entity_id,
                    JsonObject     *current,
                    JsonObject     *error_object,
                    const GError   *error,
                    FqOutbox       *outbox)
{
  g_autoptr(JsonObject) body = NULL;
  gpointer stolen = NULL;
  gboolean was_minutes = g_strcmp0 (key, self->minutes_key) == 0;
  int retries;

  if (!g_hash_table_steal_extended (self->writes, key, NULL, &stolen))
    return;
  body = stolen;

  if (was_minutes)
    {
      g_clear_pointer (&self->minutes_key, g_free);
      g_clear_pointer (&self->minutes_sent, g_free);
    }

  retries = fq_json_int_or (body, "fq-retries", 0);
  if (current != NULL && g_error_matches (error, FQ_ERROR, FQ_ERROR_STALE_REV) &&
      g_strcmp0 (get_string (current, "id"), self->id) == 0 && retries < MAX_RETRIES)
    {
      self->rev = MAX (self->rev, fq_json_int_or (current, "rev", 0));
      if (was_minutes)
        {
          /* The newest text in the buffer goes out, with the current rev. */
          save_minutes (self);
          return;
        }
      if (!already_done (body, current))
        {
          g_autofree char *new_key = NULL;
          g_autoptr(JsonObject) again = json_object_new ();

          g_autoptr(GList) members = json_object_get_members (body);

          for (GList *l = members; l != NULL; l = l->next)
            if (!g_str_equal (l->data, "fq-retries") && !g_str_equal (l->data, "rev"))
              json_object_set_member (again, l->data,
                                      json_node_copy (json_object_get_member (body, l->data)));
          new_key = submit (self, again, get_string (body, "action"));
          /* The outbox stored the body as text when it was queued, so the
           * count kept on our copy never reaches the server. */
          json_object_set_int_member (again, "fq-retries", retries + 1);
        }
      return;
    }

  {
    g_autofree char *message = fq_client_describe_error (error);

    show_status (self, message);
  }
  set_minutes_status (self);
}

static void
outbox_failed_cb (FqSessionPanel *self,
                  const char     *key,
                  const char     *entity,
                  const char     *entity_id,
                  const GError   *error,
                  FqOutbox       *outbox)
{
  g_autofree char *message = NULL;

  if (!g_hash_table_remove (self->writes, key))
    return;

  if (g_strcmp0 (key, self->minutes_key) == 0)
    {
      g_clear_pointer (&self->minutes_key, g_free);
      g_clear_pointer (&self->minutes_sent, g_free);
    }
  message = fq_client_describe_error (error);
  show_status (self, message);
  set_minutes_status (self);
}

static char *
minutes_text (FqSessionPanel *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->minutes_view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
save_minutes (FqSessionPanel *self)
{
  g_autoptr(JsonObject) body = NULL;
  g_autofree char *text = NULL;
  FqOutbox *outbox = fq_context_get_outbox (self->context);

  g_clear_handle_id (&self->minutes_timeout_id, g_source_remove);
  if (self->session == NULL)
    return;

  text = minutes_text (self);

  if (self->minutes_key != NULL)
    {
      if (g_strcmp0 (text, self->minutes_sent) == 0)
        return;
      /* One minutes write at most: the newer text replaces a queued one;
       * one already on its way is followed by the newer text when it has
       * been answered (with the rev it brings back). */
      if (!fq_outbox_discard (outbox, self->minutes_key))
        {
          self->resave_minutes = TRUE;
          return;
        }
      g_hash_table_remove (self->writes, self->minutes_key);
      g_clear_pointer (&self->minutes_key, g_free);
      g_clear_pointer (&self->minutes_sent, g_free);
    }
  else if (g_strcmp0 (text, get_string (self->session, "minutes") != NULL
                            ? get_string (self->session, "minutes") : "") == 0)
    {
      set_minutes_status (self);
      return;
    }

  body = json_object_new ();
  json_object_set_string_member (body, "action", "minutes");
  json_object_set_string_member (body, "text", text);
  self->minutes_key = submit (self, body, _("Session minutes"));
  self->minutes_sent = g_steal_pointer (&text);
  set_minutes_status (self);
}

static void
minutes_timeout_cb (gpointer data)
{
  FqSessionPanel *self = data;

  self->minutes_timeout_id = 0;
  save_minutes (self);
}

static void
minutes_changed_cb (FqSessionPanel *self,
                    GtkTextBuffer  *buffer)
{
  if (self->setting_minutes)
    return;

  self->minutes_dirty = TRUE;
  g_clear_handle_id (&self->minutes_timeout_id, g_source_remove);
  self->minutes_timeout_id = g_timeout_add_once (MINUTES_DEBOUNCE_MS, minutes_timeout_cb, self);
  set_minutes_status (self);
}

/* ---- drawing --------------------------------------------------------------- */

static void
update_timer (FqSessionPanel *self)
{
  gint64 now = fq_client_get_server_time () / G_USEC_PER_SEC;
  gint64 started = fq_session_get_time (self->session, "started_at");
  gint64 scheduled = fq_session_get_time (self->session, "scheduled_at");
  g_autofree char *text = NULL;

  if (state_is (self, "in_progress") && started > 0)
    {
      gint64 elapsed = MAX (0, now - started);

      text = g_strdup_printf ("%d:%02d:%02d", (int)(elapsed / 3600), (int)(elapsed / 60 % 60),
                              (int)(elapsed % 60));
    }
  else if (state_is (self, "scheduled"))
    {
      g_autofree char *clock = format_clock (scheduled);

      /* Translators: when a session that has not started is due. */
      text = g_strdup_printf (_("Starts at %s"), clock);
    }
  else if (state_is (self, "concluded") && started > 0)
    {
      g_autofree char *duration = format_duration (fq_session_get_time (self->session, "concluded_at")
                                                   - started);
      /* Translators: how long a concluded session took. */
      text = g_strdup_printf (_("Lasted %s"), duration);
    }
  else
    text = g_strdup (fq_session_state_label (session_state (self)));

  gtk_label_set_label (self->timer_label, text);
}

static gboolean
timer_tick_cb (gpointer data)
{
  update_timer (data);
  return G_SOURCE_CONTINUE;
}

static void
tile_clicked_cb (GtkButton      *tile,
                 FqSessionPanel *self)
{
  const char *unit = g_object_get_data (G_OBJECT (tile), "fq-unit");
  JsonObject *invitee = find_invitee (self->session, unit);

  if (invitee == NULL || g_strcmp0 (get_string (invitee, "status"), "checked_in") == 0 ||
      !can_check_in (self, unit))
    return;

  submit_action (self, "check_in", "unit", unit);
}

static GtkWidget *
create_tile (FqSessionPanel *self,
             const char     *unit,
             guint           position)
{
  GtkWidget *overlay = gtk_overlay_new ();
  GtkWidget *button = gtk_button_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *number = gtk_label_new (NULL);
  GtkWidget *name = gtk_label_new (unit_name (self->context, unit));
  GtkWidget *status = gtk_label_new (NULL);
  GtkWidget *menu_button = gtk_menu_button_new ();
  g_autoptr(GMenu) menu = g_menu_new ();
  g_autofree char *number_text = NULL;
  g_autofree char *menu_label = NULL;

  gtk_label_set_wrap (GTK_LABEL (name), TRUE);
  gtk_label_set_justify (GTK_LABEL (name), GTK_JUSTIFY_CENTER);
  gtk_label_set_lines (GTK_LABEL (name), 2);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (name, "fq-tile-name");
  gtk_label_set_wrap (GTK_LABEL (status), TRUE);
  gtk_label_set_justify (GTK_LABEL (status), GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (status, "fq-tile-status");
  if (position < 9)
    {
      number_text = g_strdup_printf ("Alt+%u", position + 1);
      gtk_label_set_label (GTK_LABEL (number), number_text);
    }
  gtk_widget_add_css_class (number, "fq-tile-key");
  gtk_widget_set_halign (number, GTK_ALIGN_START);

  gtk_box_append (GTK_BOX (box), number);
  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), status);
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  gtk_button_set_child (GTK_BUTTON (button), box);
  gtk_widget_add_css_class (button, "fq-tile");
  g_object_set_data_full (G_OBJECT (button), "fq-unit", g_strdup (unit), g_free);
  g_object_set_data (G_OBJECT (button), "fq-status-label", status);
  g_signal_connect_object (button, "clicked", G_CALLBACK (tile_clicked_cb), self, 0);

  {
    g_autoptr(GMenuItem) check_in = g_menu_item_new (_("_Report In"), NULL);
    g_autoptr(GMenuItem) absent = g_menu_item_new (_("Mark _Absent"), NULL);
    g_autoptr(GMenuItem) excused = g_menu_item_new (_("_Excused"), NULL);

    g_menu_item_set_action_and_target (check_in, "session.check-in", "s", unit);
    g_menu_item_set_action_and_target (absent, "session.mark-absent", "s", unit);
    g_menu_item_set_action_and_target (excused, "session.excuse", "s", unit);
    g_menu_append_item (menu, check_in);
    g_menu_append_item (menu, absent);
    g_menu_append_item (menu, excused);
  }
  gtk_menu_button_set_menu_model (GTK_MENU_BUTTON (menu_button), G_MENU_MODEL (menu));
  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (menu_button), "view-more-symbolic");
  gtk_widget_add_css_class (menu_button, "flat");
  gtk_widget_set_halign (menu_button, GTK_ALIGN_END);
  gtk_widget_set_valign (menu_button, GTK_ALIGN_START);
  gtk_widget_set_margin_top (menu_button, 4);
  gtk_widget_set_margin_end (menu_button, 4);
  /* Translators: the menu of a roster tile; %s is a unit. */
  menu_label = g_strdup_printf (_("Attendance of %s"), unit_name (self->context, unit));
  gtk_widget_set_tooltip_text (menu_button, menu_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (menu_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, menu_label, -1);
  g_object_set_data (G_OBJECT (button), "fq-menu-button", menu_button);

  gtk_overlay_set_child (GTK_OVERLAY (overlay), button);
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), menu_button);

  gtk_flow_box_append (self->roster_box, overlay);
  g_hash_table_insert (self->tiles, g_strdup (unit), button);

  return button;
}

static void
update_tile (FqSessionPanel *self,
             GtkWidget      *tile,
             JsonObject     *invitee)
{
  static const char * const classes[] = {
    "fq-tile-invited", "fq-tile-checked_in", "fq-tile-absent", "fq-tile-excused",
  };
  const char *unit = get_string (invitee, "unit");
  const char *status = get_string (invitee, "status");
  g_autofree char *text = fq_session_invitee_status (invitee);
  g_autofree char *class = g_strdup_printf ("fq-tile-%s", status != NULL ? status : "invited");
  g_autofree char *accessible = NULL;
  gboolean checkable = can_check_in (self, unit);
  gboolean manage = can_manage (self) && (state_is (self, "scheduled") || state_is (self, "in_progress"));

  gtk_label_set_label (g_object_get_data (G_OBJECT (tile), "fq-status-label"), text);
  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    gtk_widget_remove_css_class (tile, classes[i]);
  gtk_widget_add_css_class (tile, class);

  /* Translators: a roster tile read out: unit, then its attendance. */
  accessible = g_strdup_printf (_("%s: %s"), unit_name (self->context, unit), text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (tile), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);
  if (checkable && g_strcmp0 (status, "checked_in") != 0)
    gtk_widget_set_tooltip_text (tile, is_own_unit (self, unit) ? _("Report your unit in")
                                                                : _("Check this unit in"));
  else
    gtk_widget_set_tooltip_text (tile, NULL);

  gtk_widget_set_visible (g_object_get_data (G_OBJECT (tile), "fq-menu-button"), manage);
}

static void
update_roster (FqSessionPanel *self)
{
  JsonArray *invitees = get_array (self->session, "invitees");
  guint n = invitees != NULL ? json_array_get_length (invitees) : 0;

  for (guint i = 0; i < n; i++)
    {
      JsonObject *invitee = json_array_get_object_element (invitees, i);
      const char *unit = get_string (invitee, "unit");
      GtkWidget *tile;

      if (unit == NULL)
        continue;
      tile = g_hash_table_lookup (self->tiles, unit);
      if (tile == NULL)
        tile = create_tile (self, unit, i);
      update_tile (self, tile, invitee);
    }
}

static void
complete_clicked_cb (GtkButton      *button,
                     FqSessionPanel *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
  submit_action (self, "complete_action_item", "item", g_object_get_data (G_OBJECT (button), "fq-item"));
}

static void
update_items (FqSessionPanel *self)
{
  JsonArray *items = get_array (self->session, "action_items");
  JsonArray *decisions = get_array (self->session, "decisions");

  for (guint i = 0; decisions != NULL && i < json_array_get_length (decisions); i++)
    {
      JsonObject *decision = json_array_get_object_element (decisions, i);
      const char *id = get_string (decision, "id");
      g_autofree char *at = NULL;
      GtkWidget *row;

      if (id == NULL || g_hash_table_contains (self->decision_rows, id))
        continue;
      row = adw_action_row_new ();
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), get_string (decision, "text"));
      at = format_clock (fq_session_get_time (decision, "at"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), at);
      adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 0);
      gtk_widget_add_css_class (row, "fq-session-row");
      gtk_list_box_append (self->decision_list, row);
      g_hash_table_insert (self->decision_rows, g_strdup (id), row);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->decision_list), g_hash_table_size (self->decision_rows) > 0);

  for (guint i = 0; items != NULL && i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);
      const char *id = get_string (item, "id");
      const char *owner = get_string (item, "owner_unit");
      gint64 done = fq_session_get_time (item, "done_at");
      gboolean overdue = fq_json_bool_or (item, "overdue", FALSE);
      g_autofree char *due = format_date_time (fq_session_get_time (item, "due"));
      g_autofree char *subtitle = NULL;
      g_autofree char *done_text = NULL;
      GtkWidget *row;
      GtkWidget *button;

      if (id == NULL)
        continue;
      row = g_hash_table_lookup (self->item_rows, id);
      if (row == NULL)
        {
          g_autofree char *label = NULL;

          row = adw_action_row_new ();
          adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), get_string (item, "text"));
          adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 0);
          gtk_widget_add_css_class (row, "fq-session-row");

          button = gtk_button_new_with_mnemonic (_("_Done"));
          gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
          /* Translators: the button completing an action item; %s is its text. */
          label = g_strdup_printf (_("Done: %s"), get_string (item, "text"));
          gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                          GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
          g_object_set_data_full (G_OBJECT (button), "fq-item", g_strdup (id), g_free);
          g_signal_connect_object (button, "clicked", G_CALLBACK (complete_clicked_cb), self, 0);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
          g_object_set_data (G_OBJECT (row), "fq-done-button", button);

          gtk_list_box_append (self->item_list, row);
          g_hash_table_insert (self->item_rows, g_strdup (id), row);
        }

      if (done > 0)
        {
          g_autofree char *when = format_date_time (done);

          /* Translators: an action item's completion time. */
          done_text = g_strdup_printf (_("done %s"), when);
        }
      else if (overdue)
        done_text = g_strdup (C_("action item", "overdue"));
      else
        done_text = g_strdup (C_("action item", "open"));

      /* Translators: an action item: owner unit · due time · done or open. */
      subtitle = g_strdup_printf (_("%s · due %s · %s"), unit_name (self->context, owner),
                                  due != NULL ? due : "—", done_text);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      if (overdue && done == 0)
        gtk_widget_add_css_class (row, "fq-overdue");
      else
        gtk_widget_remove_css_class (row, "fq-overdue");
      if (done > 0)
        gtk_widget_add_css_class (row, "fq-done");

      button = g_object_get_data (G_OBJECT (row), "fq-done-button");
      gtk_widget_set_visible (button, done == 0 && can_complete (self, owner));
      gtk_widget_set_sensitive (button, TRUE);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->item_list), g_hash_table_size (self->item_rows) > 0);
}

static void
update_owner_choices (FqSessionPanel *self)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GtkStringList) names = NULL;
  JsonArray *invitees = get_array (self->session, "invitees");
  const char *convener = get_string (self->session, "convener_unit");
  gboolean same = TRUE;

  if (convener != NULL)
    g_ptr_array_add (ids, g_strdup (convener));
  for (guint i = 0; invitees != NULL && i < json_array_get_length (invitees); i++)
    {
      const char *unit = get_string (json_array_get_object_element (invitees, i), "unit");

      if (unit != NULL && g_strcmp0 (unit, convener) != 0)
        g_ptr_array_add (ids, g_strdup (unit));
    }

  if (self->owner_ids != NULL && self->owner_ids->len == ids->len)
    {
      for (guint i = 0; same && i < ids->len; i++)
        same = g_str_equal (g_ptr_array_index (ids, i), g_ptr_array_index (self->owner_ids, i));
      if (same)
        return;
    }

  names = gtk_string_list_new (NULL);
  for (guint i = 0; i < ids->len; i++)
    gtk_string_list_append (names, unit_name (self->context, g_ptr_array_index (ids, i)));
  adw_combo_row_set_model (self->item_owner_row, G_LIST_MODEL (names));
  /* The first invited unit, not the convener: the work is usually theirs. */
  adw_combo_row_set_selected (self->item_owner_row, ids->len > 1 ? 1 : 0);
  g_clear_pointer (&self->owner_ids, g_ptr_array_unref);
  self->owner_ids = g_steal_pointer (&ids);
}

static void
update_minutes (FqSessionPanel *self)
{
  const char *minutes = get_string (self->session, "minutes");
  g_autofree char *text = minutes_text (self);
  gboolean editable = can_manage (self) &&
                      (state_is (self, "in_progress") || state_is (self, "concluded"));

  gtk_text_view_set_editable (self->minutes_view, editable);
  gtk_text_view_set_cursor_visible (self->minutes_view, editable);

  /* Our own text stands while it is being written or waits to be sent;
   * otherwise the server's text (another console's writer) is shown. */
  if (self->minutes_timeout_id != 0 || self->minutes_key != NULL)
    return;
  if (g_strcmp0 (text, minutes != NULL ? minutes : "") == 0)
    return;

  self->setting_minutes = TRUE;
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->minutes_view),
                            minutes != NULL ? minutes : "", -1);
  self->setting_minutes = FALSE;
}

static void
update_actions (FqSessionPanel *self)
{
  gboolean manage = can_manage (self);
  gboolean running = state_is (self, "in_progress");
  gboolean open = running || state_is (self, "scheduled");

  gtk_widget_set_visible (GTK_WIDGET (self->start_button), manage && state_is (self, "scheduled"));
  gtk_widget_set_visible (GTK_WIDGET (self->conclude_button), manage && running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->conclude_button), has_decision (self));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->conclude_button),
                               has_decision (self) ? _("Conclude with the decisions recorded")
                                                   : _("Record at least one decision first"));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "session.start", manage && state_is (self, "scheduled"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "session.conclude", manage && running &&
                                 has_decision (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "session.cancel", manage && open);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "session.mark-absent", manage && running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "session.excuse", manage && open);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "session.check-in", open);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "session.export", self->session != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "session.print", self->session != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "session.open-ticket", self->session != NULL);

  gtk_widget_set_visible (GTK_WIDGET (self->decision_row), manage && running);
  gtk_widget_set_visible (GTK_WIDGET (self->item_form), manage && running);
  gtk_widget_set_visible (GTK_WIDGET (self->add_item_button), manage && running);
}

static void
redraw (FqSessionPanel *self)
{
  g_autofree char *info = NULL;
  g_autofree char *scheduled = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *place = NULL;
  JsonArray *external;
  const char *location;

  if (self->session == NULL)
    return;

  gtk_label_set_label (self->title_label, get_string (self->session, "title"));
  scheduled = format_date_time (fq_session_get_time (self->session, "scheduled_at"));
  location = get_string (self->session, "location");
  place = get_string (self->session, "grid") != NULL
          ? fq_format_place (self->context, get_string (self->session, "grid")) : g_strdup ("");
  /* Translators: under a session's title: state, ticket, time, place, area. */
  info = g_strdup_printf (_("%s · Ticket %s · %s · %s · %s"),
                          fq_session_state_label (session_state (self)),
                          get_string (self->session, "ticket"),
                          scheduled != NULL ? scheduled : "",
                          location != NULL ? location : "—", place);
  gtk_label_set_label (self->info_label, info);
  summary = fq_session_roster_summary (self->session);
  gtk_label_set_label (self->summary_label, summary);

  external = get_array (self->session, "external_participants");
  if (external != NULL && json_array_get_length (external) > 0)
    {
      g_autoptr(GString) text = g_string_new (_("Also present: "));

      for (guint i = 0; i < json_array_get_length (external); i++)
        {
          JsonObject *person = json_array_get_object_element (external, i);
          const char *org = get_string (person, "organisation");

          if (i > 0)
            g_string_append (text, _(", "));
          g_string_append (text, get_string (person, "name"));
          if (org != NULL && org[0] != '\0')
            g_string_append_printf (text, _(" (%s)"), org);
        }
      gtk_label_set_label (self->external_label, text->str);
      gtk_widget_set_visible (GTK_WIDGET (self->external_label), TRUE);
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->external_label), FALSE);

  update_actions (self);
  update_roster (self);
  update_items (self);
  update_owner_choices (self);
  update_minutes (self);
  update_timer (self);
  set_minutes_status (self);

  g_clear_handle_id (&self->timer_id, g_source_remove);
  if (state_is (self, "in_progress"))
    self->timer_id = g_timeout_add_seconds (1, timer_tick_cb, self);
}

static void
set_session_json (FqSessionPanel *self,
                  JsonObject     *session)
{
  gint64 rev = fq_json_int_or (session, "rev", 0);

  if (g_strcmp0 (get_string (session, "id"), self->id) != 0)
    return;
  /* An older copy (the answer to a GET racing the feed) never wins. */
  if (self->session != NULL && rev < fq_json_int_or (self->session, "rev", 0))
    return;

  g_clear_pointer (&self->session, json_object_unref);
  self->session = json_object_ref (session);
  self->rev = MAX (self->rev, rev);
  redraw (self);
}

static void
fetched_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(FqSessionPanel) self = user_data;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;

  node = fq_client_call_finish (FQ_CLIENT (object), result, &error);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          self->session == NULL)
        {
          g_autofree char *message = fq_client_describe_error (error);

          show_status (self, message);
        }
      return;
    }
  set_session_json (self, json_node_get_object (node));
}

static void
record_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(FqSessionPanel) self = user_data;
  g_autoptr(JsonObject) session = NULL;
  g_autoptr(GError) error = NULL;

  session = fq_cache_get_record_finish (FQ_CACHE (object), result, &error);
  if (session != NULL)
    {
      set_session_json (self, session);
      return;
    }

  /* Not in the cache yet (just called, the feed is on its way): ask. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) && self->id != NULL)
    {
      g_autofree char *path = g_strdup_printf ("/sessions/%s", self->id);

      fq_client_call_async (fq_context_get_client (self->context), "GET", path, NULL, NULL,
                            self->cancellable, fetched_cb, g_object_ref (self));
    }
}

static void
reload (FqSessionPanel *self)
{
  if (self->id == NULL || fq_context_get_cache (self->context) == NULL)
    return;
  fq_cache_get_record_async (fq_context_get_cache (self->context), "session", self->id,
                             self->cancellable, record_loaded_cb, g_object_ref (self));
}

static void
session_changed_cb (FqSessionPanel *self,
                    const char     *entity,
                    const char     *id,
                    FqCache        *cache)
{
  if (g_strcmp0 (id, self->id) == 0)
    reload (self);
}

static void
sync_state_cb (FqSessionPanel *self)
{
  set_minutes_status (self);
}

/* ---- actions --------------------------------------------------------------- */

static void
start_action (GtkWidget  *widget,
              const char *name,
              GVariant   *param)
{
  submit_action (FQ_SESSION_PANEL (widget), "start", NULL, NULL);
}

static void
unit_action (GtkWidget  *widget,
             const char *name,
             GVariant   *param)
{
  FqSessionPanel *self = FQ_SESSION_PANEL (widget);
  const char *unit = g_variant_get_string (param, NULL);

  if (g_str_equal (name, "session.check-in"))
    {
      if (!can_check_in (self, unit))
        return;
      submit_action (self, "check_in", "unit", unit);
    }
  else if (g_str_equal (name, "session.mark-absent"))
    submit_action (self, "mark_absent", "unit", unit);
  else
    submit_action (self, "excuse", "unit", unit);
}

static gboolean
check_in_nth_cb (GtkWidget *widget,
                 GVariant  *args,
                 gpointer   user_data)
{
  FqSessionPanel *self = FQ_SESSION_PANEL (widget);
  JsonArray *invitees = get_array (self->session, "invitees");
  guint n = (guint)g_variant_get_int32 (args);
  JsonObject *invitee;
  const char *unit;

  if (invitees == NULL || n >= json_array_get_length (invitees))
    return FALSE;
  invitee = json_array_get_object_element (invitees, n);
  unit = get_string (invitee, "unit");
  if (g_strcmp0 (get_string (invitee, "status"), "checked_in") != 0 && can_check_in (self, unit))
    submit_action (self, "check_in", "unit", unit);
  return TRUE;
}

static void
conclude_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      FqSessionPanel   *self)
{
  if (g_strcmp0 (response, "conclude") == 0)
    {
      /* The minutes typed last go out before the conclusion. */
      if (self->minutes_timeout_id != 0)
        save_minutes (self);
      submit_action (self, "conclude", NULL, NULL);
    }
}

static void
conclude_action (GtkWidget  *widget,
                 const char *name,
                 GVariant   *param)
{
  FqSessionPanel *self = FQ_SESSION_PANEL (widget);
  JsonArray *invitees = get_array (self->session, "invitees");
  guint waiting = 0;
  GtkWidget *dialog;
  g_autofree char *body = NULL;

  for (guint i = 0; invitees != NULL && i < json_array_get_length (invitees); i++)
    if (g_strcmp0 (get_string (json_array_get_object_element (invitees, i), "status"), "invited") == 0)
      waiting++;

  if (waiting > 0)
    body = g_strdup_printf (ngettext ("%u unit has not reported in; it will be recorded absent.",
                                      "%u units have not reported in; they will be recorded absent.",
                                      waiting), waiting);
  else
    body = g_strdup (_("The decisions become the session's consensus on the ticket's timeline."));

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                   _("Conclude the Session?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "keep", _("_Keep Going"),
                                    "conclude", _("_Conclude"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "conclude",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "conclude");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  g_signal_connect_object (dialog, "response", G_CALLBACK (conclude_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
cancel_note_changed_cb (GtkEditable      *entry,
                        AdwMessageDialog *dialog)
{
  g_autofree char *note = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  adw_message_dialog_set_response_enabled (dialog, "cancel-session", note[0] != '\0');
}

static void
cancel_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    FqSessionPanel   *self)
{
  GtkEditable *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  g_autofree char *note = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  if (g_strcmp0 (response, "cancel-session") == 0 && note[0] != '\0')
    submit_action (self, "cancel", "note", note);
}

static void
cancel_action (GtkWidget  *widget,
               const char *name,
               GVariant   *param)
{
  FqSessionPanel *self = FQ_SESSION_PANEL (widget);
  GtkWidget *dialog;
  GtkWidget *entry = gtk_entry_new ();

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                   _("Cancel the Session?"),
                                   _("The invited units are told. Say why; the reason goes on the ticket's timeline."));
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _("Reason"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Reason for cancelling"), -1);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), entry);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "keep", _("_Keep the Session"),
                                    "cancel-session", _("C_ancel the Session"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "cancel-session",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (dialog), "cancel-session", FALSE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  g_signal_connect (entry, "changed", G_CALLBACK (cancel_note_changed_cb), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (cancel_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

static void
saved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(FqSessionPanel) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!fq_report_write_pdf_finish (FQ_REPORT (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *message = g_strdup_printf (_("The minutes could not be saved: %s"),
                                                  error->message);
      show_status (self, message);
    }
}

static void
export_action (GtkWidget  *widget,
               const char *name,
               GVariant   *param)
{
  FqSessionPanel *self = FQ_SESSION_PANEL (widget);
  g_autoptr(FqReport) report = NULL;
  g_autoptr(GError) error = NULL;

  if (self->session == NULL)
    return;

  report = fq_session_minutes_report_new (self->context, self->session);
  if (g_str_equal (name, "session.print"))
    {
      if (!fq_report_print (report, GTK_WINDOW (gtk_widget_get_root (widget)), &error))
        {
          g_autofree char *message = g_strdup_printf (_("The minutes could not be printed: %s"),
                                                      error->message);
          show_status (self, message);
        }
    }
  else
    {
      /* Translators: the file name offered for a session's minutes. */
      g_autofree char *file_name = g_strdup_printf (_("Minutes %s.pdf"), self->id);

      fq_report_save_pdf_async (report, GTK_WINDOW (gtk_widget_get_root (widget)), file_name,
                                self->cancellable, saved_cb, g_object_ref (self));
    }
}

/* The matter the session is about, on the board with its timeline. */
static void
open_ticket_action (GtkWidget  *widget,
                    const char *name,
                    GVariant   *param)
{
  FqSessionPanel *self = FQ_SESSION_PANEL (widget);
  const char *ticket = self->session != NULL ? get_string (self->session, "ticket") : NULL;

  if (ticket == NULL)
    return;
  /* As on the way back: unsaved minutes go to the outbox first. */
  if (self->minutes_timeout_id != 0)
    save_minutes (self);
  gtk_widget_activate_action (widget, "app.show-ticket", "s", ticket);
}

static void
back_action (GtkWidget  *widget,
             const char *name,
             GVariant   *param)
{
  FqSessionPanel *self = FQ_SESSION_PANEL (widget);

  /* Unsaved minutes go to the outbox before the panel is left. */
  if (self->minutes_timeout_id != 0)
    save_minutes (self);
  g_signal_emit (self, signals[BACK], 0);
}

static void
decision_apply_cb (FqSessionPanel *self)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->decision_row))));

  if (text[0] == '\0')
    return;
  submit_action (self, "decide", "text", text);
  gtk_editable_set_text (GTK_EDITABLE (self->decision_row), "");
}

/* "2026-11-30 18:00" or "18:00" (today), the city's time. */
static GDateTime *
parse_due (const char *text)
{
  g_autoptr(GDateTime) now = fq_city_now ();
  int year = g_date_time_get_year (now);
  int month = g_date_time_get_month (now);
  int day = g_date_time_get_day_of_month (now);
  int hour = 18, minute = 0;
  int consumed = 0;

  text += strspn (text, " ");
  if (sscanf (text, "%d-%d-%d %d:%d%n", &year, &month, &day, &hour, &minute, &consumed) == 5)
    ;
  else if (sscanf (text, "%d-%d-%d%n", &year, &month, &day, &consumed) == 3)
    ;
  else if (sscanf (text, "%d:%d%n", &hour, &minute, &consumed) != 2)
    return NULL;

  if (text[consumed + strspn (text + consumed, " ")] != '\0' ||
      month < 1 || month > 12 || day < 1 || day > 31 ||
      hour < 0 || hour > 23 || minute < 0 || minute > 59)
    return NULL;

  return fq_city_date_time (year, month, day, hour, minute, 0);
}

static void
add_item_cb (FqSessionPanel *self)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(GDateTime) due = NULL;
  g_autoptr(GDateTime) utc = NULL;
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->item_text_row))));
  g_autofree char *due_text = NULL;
  g_autofree char *key = NULL;
  guint owner = adw_combo_row_get_selected (self->item_owner_row);

  if (text[0] == '\0')
    {
      show_status (self, _("Write what is to be done."));
      gtk_widget_grab_focus (GTK_WIDGET (self->item_text_row));
      return;
    }
  if (self->owner_ids == NULL || owner >= self->owner_ids->len)
    {
      show_status (self, _("Choose the unit that owns the action item."));
      return;
    }
  due = parse_due (gtk_editable_get_text (GTK_EDITABLE (self->item_due_row)));
  if (due == NULL)
    {
      show_status (self, _("Write the due time as 2026-11-30 18:00."));
      gtk_widget_grab_focus (GTK_WIDGET (self->item_due_row));
      return;
    }

  utc = g_date_time_to_utc (due);
  due_text = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");
  json_object_set_string_member (body, "action", "add_action_item");
  json_object_set_string_member (body, "text", text);
  json_object_set_string_member (body, "owner_unit", g_ptr_array_index (self->owner_ids, owner));
  json_object_set_string_member (body, "due", due_text);
  key = submit (self, body, _("New action item"));

  gtk_editable_set_text (GTK_EDITABLE (self->item_text_row), "");
  gtk_widget_grab_focus (GTK_WIDGET (self->item_text_row));
}

static void
item_entry_activated_cb (FqSessionPanel *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self->item_due_row));
}

/* ---- object ---------------------------------------------------------------- */

static void
fq_session_panel_dispose (GObject *object)
{
  FqSessionPanel *self = (FqSessionPanel *)object;
  GtkWidget *child;

  /* Minutes typed in the last moment are not lost with the panel. */
  if (self->minutes_timeout_id != 0 && self->context != NULL)
    save_minutes (self);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->minutes_timeout_id, g_source_remove);
  g_clear_handle_id (&self->timer_id, g_source_remove);

  gtk_widget_dispose_template (GTK_WIDGET (self), FQ_TYPE_SESSION_PANEL);
  /* The template's root box has no id, so dispose_template leaves it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  g_clear_object (&self->context);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->session, json_object_unref);

  G_OBJECT_CLASS (fq_session_panel_parent_class)->dispose (object);
}

static void
fq_session_panel_finalize (GObject *object)
{
  FqSessionPanel *self = (FqSessionPanel *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->tiles, g_hash_table_unref);
  g_clear_pointer (&self->decision_rows, g_hash_table_unref);
  g_clear_pointer (&self->item_rows, g_hash_table_unref);
  g_clear_pointer (&self->writes, g_hash_table_unref);
  g_clear_pointer (&self->owner_ids, g_ptr_array_unref);
  g_clear_pointer (&self->minutes_key, g_free);
  g_clear_pointer (&self->minutes_sent, g_free);

  G_OBJECT_CLASS (fq_session_panel_parent_class)->finalize (object);
}

static void
fq_session_panel_class_init (FqSessionPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fq_session_panel_dispose;
  object_class->finalize = fq_session_panel_finalize;

  signals[BACK] = g_signal_new ("back", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_install_action (widget_class, "session.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "session.conclude", NULL, conclude_action);
  gtk_widget_class_install_action (widget_class, "session.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "session.check-in", "s", unit_action);
  gtk_widget_class_install_action (widget_class, "session.mark-absent", "s", unit_action);
  gtk_widget_class_install_action (widget_class, "session.excuse", "s", unit_action);
  gtk_widget_class_install_action (widget_class, "session.export", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "session.print", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "session.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "session.open-ticket", NULL, open_ticket_action);

  for (int i = 0; i < 9; i++)
    {
      gtk_widget_class_add_binding (widget_class, GDK_KEY_1 + i, GDK_ALT_MASK, check_in_nth_cb, "i", i);
      gtk_widget_class_add_binding (widget_class, GDK_KEY_KP_1 + i, GDK_ALT_MASK, check_in_nth_cb, "i", i);
    }
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Left, GDK_ALT_MASK, "session.back", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_p, GDK_CONTROL_MASK, "session.print", NULL);

  gtk_widget_class_set_template_from_resource (widget_class, "/cn/fengqiao/Console/fq-session-panel.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, FqSessionPanel, title_label);
  gtk_widget_class_bind_template_child (widget_class, FqSessionPanel, info_label);
  gtk_widget_class_bind_template_child (widget_class, FqSessionPanel, summary_label);
  gtk_widget_class_bind_template_child (widget_class, FqSessionPanel, timer_label);
  gtk_widget_class_bind_template_child (widget_class, FqSessionPanel, start_button);
  gtk_widget_class_bind_template_child (widget_class, FqSessionPanel, conclude_button);
  gtk_widget_class_bind_template_child (widget_class, FqSessionPanel, more_button);
  gtk_widget_class_bind_template_child (widget_class, FqSessionPanel, status_label);
  gtk_widget_class_bind_template_child (widget_class, FqSessionPanel, roster_box);
  gtk_widget_class_bind_template_child (widget_class, FqSessionPanel, external_label);
  gtk_widget_class_bind_template_child (widget_class, FqSessionPanel, minutes_status);
  gtk_widget_class_bind_template_child (widget_class, FqSessionPanel, minutes_view);
  gtk_widget_class_bind_template_child (widget_class, FqSessionPanel, decision_list);
  gtk_widget_class_bind_template_child (widget_class, FqSessionPanel, decision_row);
  gtk_widget_class_bind_template_child (widget_class, FqSessionPanel, item_list);
  gtk_widget_class_bind_template_child (widget_class, FqSessionPanel, item_form);
  gtk_widget_class_bind_template_child (widget_class, FqSessionPanel, item_text_row);
  gtk_widget_class_bind_template_child (widget_class, FqSessionPanel, item_owner_row);
  gtk_widget_class_bind_template_child (widget_class, FqSessionPanel, item_due_row);
  gtk_widget_class_bind_template_child (widget_class, FqSessionPanel, add_item_button);
  gtk_widget_class_bind_template_callback (widget_class, decision_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_item_cb);
  gtk_widget_class_bind_template_callback (widget_class, item_entry_activated_cb);
}

static void
fq_session_panel_init (FqSessionPanel *self)
{
  self->cancellable = g_cancellable_new ();
  self->tiles = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->decision_rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->item_rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->writes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify)json_object_unref);

  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect_object (gtk_text_view_get_buffer (self->minutes_view), "changed",
                           G_CALLBACK (minutes_changed_cb), self, G_CONNECT_SWAPPED);
  fq_label_track_accessible_label (self->status_label);
  fq_label_track_accessible_label (self->summary_label);
  fq_label_track_accessible_label (self->minutes_status);
  fq_fix_mnemonic_accessible_labels (GTK_WIDGET (self));
  fq_fix_list_popups (GTK_WIDGET (self));
}

GtkWidget *
fq_session_panel_new (FqContext *context)
{
  FqSessionPanel *self;
  FqOutbox *outbox;

  g_return_val_if_fail (FQ_IS_CONTEXT (context), NULL);

  self = g_object_new (FQ_TYPE_SESSION_PANEL, NULL);
  self->context = g_object_ref (context);

  outbox = fq_context_get_outbox (context);
  if (outbox != NULL)
    {
      g_signal_connect_object (outbox, "sent", G_CALLBACK (outbox_sent_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (outbox, "conflict", G_CALLBACK (outbox_conflict_cb), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (outbox, "failed", G_CALLBACK (outbox_failed_cb), self, G_CONNECT_SWAPPED);
    }
  if (fq_context_get_cache (context) != NULL)
    g_signal_connect_object (fq_context_get_cache (context), "record-changed::session",
                             G_CALLBACK (session_changed_cb), self, G_CONNECT_SWAPPED);
  if (fq_context_get_sync (context) != NULL)
    g_signal_connect_object (fq_context_get_sync (context), "notify::state",
                             G_CALLBACK (sync_state_cb), self, G_CONNECT_SWAPPED);

  return GTK_WIDGET (self);
}

/* GTK 4.8 has no gtk_list_box_remove_all (). */
static void
remove_children (GtkWidget *container)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (container)) != NULL)
    {
      if (GTK_IS_FLOW_BOX (container))
        gtk_flow_box_remove (GTK_FLOW_BOX (container), child);
      else
        gtk_list_box_remove (GTK_LIST_BOX (container), child);
    }
}

void
fq_session_panel_set_session (FqSessionPanel *self,
                              const char     *id)
{
  g_return_if_fail (FQ_IS_SESSION_PANEL (self));
  g_return_if_fail (id != NULL);

  if (g_strcmp0 (self->id, id) == 0)
    {
      reload (self);
      return;
    }

  /* Leaving a session: its last minutes go to the outbox first. */
  if (self->minutes_timeout_id != 0)
    save_minutes (self);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  g_free (self->id);
  self->id = g_strdup (id);
  g_clear_pointer (&self->session, json_object_unref);
  self->rev = 0;
  g_clear_pointer (&self->minutes_key, g_free);
  g_clear_pointer (&self->minutes_sent, g_free);
  self->minutes_dirty = FALSE;
  self->resave_minutes = FALSE;
  g_clear_pointer (&self->owner_ids, g_ptr_array_unref);
  g_hash_table_remove_all (self->tiles);
  g_hash_table_remove_all (self->decision_rows);
  g_hash_table_remove_all (self->item_rows);
  remove_children (GTK_WIDGET (self->roster_box));
  remove_children (GTK_WIDGET (self->decision_list));
  remove_children (GTK_WIDGET (self->item_list));
  self->setting_minutes = TRUE;
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->minutes_view), "", 0);
  self->setting_minutes = FALSE;
  show_status (self, NULL);

  reload (self);
}

const char *
fq_session_panel_get_session_id (FqSessionPanel *self)
{
  g_return_val_if_fail (FQ_IS_SESSION_PANEL (self), NULL);

  return self->id;
}
