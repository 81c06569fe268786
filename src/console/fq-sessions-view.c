/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The sessions page: the convening sessions in the cache, in progress
 * first, then by day — today and the days ahead, then the recent past —
 * each row with its ticket, place and roster summary; and for unit staff,
 * the sessions their unit is invited to and their unit's open action items.
 * Rows are kept by session id and updated one by one as the change feed
 * brings sessions ("record-changed::session"); activating one opens the
 * in-session panel (FqSessionPanel) on the same page.
 *
 * While a new cache fills, the feed brings the whole history, each session
 * many times over: the rows are not followed then, and the list is read
 * once the cache is whole (filling_changed_cb()).
 */

#define G_LOG_DOMAIN "fq-sessions-view"

#include "config.h"

#include <glib/gi18n.h>

#include "fq-json.h"
#include "fq-session-panel.h"
#include "fq-sessions-view.h"
#include "fq-sync.h"
#include "fq-ui-util.h"

struct _FqSessionsView
{
  GtkWidget       parent_instance;

  /* Template widgets */
  GtkStack       *stack;
  GtkStack       *list_stack;
  GtkLabel       *items_heading;
  GtkListBox     *items_list;
  GtkListBox     *list;
  AdwStatusPage  *empty_page;
  AdwBin         *panel_bin;

  /* Owned */
  FqContext      *context;
  GCancellable   *cancellable;
  GHashTable     *rows;       /* session id → GtkListBoxRow (borrowed) */
  GtkWidget      *panel;      /* FqSessionPanel, in panel_bin */
  guint           items_idle_id;
};

G_DEFINE_FINAL_TYPE (FqSessionsView, fq_sessions_view, GTK_TYPE_WIDGET)

static const char *
get_string (JsonObject *object,
            const char *member)
{
  return fq_json_string_or (object, member, NULL);
}

static JsonObject *
row_session (GtkListBoxRow *row)
{
  return g_object_get_data (G_OBJECT (row), "fq-session");
}

/* Days since the epoch in the city's time, for grouping by day. */
static gint64
city_day (gint64 unix_seconds)
{
  g_autoptr(GDateTime) dt = fq_city_time (unix_seconds);
  g_autoptr(GDateTime) midnight = fq_city_date_time (g_date_time_get_year (dt),
                                                     g_date_time_get_month (dt),
                                                     g_date_time_get_day_of_month (dt), 0, 0, 0);

  return (g_date_time_to_unix (midnight) + g_date_time_get_utc_offset (midnight) / G_USEC_PER_SEC)
         / 86400;
}

static gint64
today (void)
{
  return city_day (g_get_real_time () / G_USEC_PER_SEC);
}

/* 0: in progress; 1: today and ahead; 2: the past. */
static int
row_rank (JsonObject *session,
          gint64      day,
          gint64      now_day)
{
  if (g_strcmp0 (get_string (session, "state"), "in_progress") == 0)
    return 0;
  return day >= now_day ? 1 : 2;
}

static int
sort_func (GtkListBoxRow *a,
           GtkListBoxRow *b,
           gpointer       user_data)
{
  JsonObject *sa = row_session (a);
  JsonObject *sb = row_session (b);
  gint64 ta = fq_session_get_time (sa, "scheduled_at");
  gint64 tb = fq_session_get_time (sb, "scheduled_at");
  gint64 now_day = today ();
  gint64 da = city_day (ta), db = city_day (tb);
  int ra = row_rank (sa, da, now_day), rb = row_rank (sb, db, now_day);

  if (ra != rb)
    return ra < rb ? -1 : 1;
  /* The recent past: the latest day first, each day in its own order. */
  if (ra == 2 && da != db)
    return da > db ? -1 : 1;
  if (ta != tb)
    return ta < tb ? -1 : 1;
  return g_strcmp0 (get_string (sa, "id"), get_string (sb, "id"));
}

static char *
group_title (JsonObject *session)
{
  gint64 t = fq_session_get_time (session, "scheduled_at");
  gint64 now_day = today ();
  gint64 day = city_day (t);
  g_autoptr(GDateTime) dt = NULL;

  if (row_rank (session, day, now_day) == 0)
    return g_strdup (_("In Progress"));
  if (day == now_day)
    return g_strdup (_("Today"));
  if (day == now_day + 1)
    return g_strdup (_("Tomorrow"));
  if (day == now_day - 1)
    return g_strdup (_("Yesterday"));
  dt = fq_city_time (t);
  /* Translators: a day heading in the sessions list, see g_date_time_format(). */
  return g_date_time_format (dt, _("%A, %Y-%m-%d"));
}

static void
header_func (GtkListBoxRow *row,
             GtkListBoxRow *before,
             gpointer       user_data)
{
  g_autofree char *title = group_title (row_session (row));
  g_autofree char *before_title = before != NULL ? group_title (row_session (before)) : NULL;
  GtkWidget *header;

  if (g_strcmp0 (title, before_title) == 0)
    {
      gtk_list_box_row_set_header (row, NULL);
      return;
    }

  header = gtk_list_box_row_get_header (row);
  if (GTK_IS_LABEL (header))
    {
      gtk_label_set_label (GTK_LABEL (header), title);
      return;
    }
  header = fq_section_label_new (title);
  gtk_widget_add_css_class (header, "fq-sessions-day");
  gtk_list_box_row_set_header (row, header);
}

static gboolean
filter_func (GtkListBoxRow *row,
             gpointer       user_data)
{
  FqSessionsView *self = user_data;
  JsonObject *session = row_session (row);
  const char *unit;
  JsonArray *invitees;

  /* Unit staff see the sessions their unit convenes or is invited to. */
  if (fq_context_get_role (self->context) != FQ_ROLE_UNIT)
    return TRUE;
  unit = fq_context_get_unit (self->context);
  if (g_strcmp0 (get_string (session, "convener_unit"), unit) == 0)
    return TRUE;
  invitees = json_object_get_array_member (session, "invitees");
  for (guint i = 0; invitees != NULL && i < json_array_get_length (invitees); i++)
    if (g_strcmp0 (get_string (json_array_get_object_element (invitees, i), "unit"), unit) == 0)
      return TRUE;
  return FALSE;
}

static GtkWidget *
create_row (FqSessionsView *self)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *state = gtk_label_new (NULL);
  GtkWidget *summary = gtk_label_new (NULL);
  GtkWidget *arrow = gtk_image_new_from_icon_name ("go-next-symbolic");

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  gtk_widget_add_css_class (state, "fq-session-state");
  gtk_widget_add_css_class (summary, "fq-session-roster");
  gtk_widget_set_valign (state, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (summary, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), summary);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), state);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), arrow);
  g_object_set_data (G_OBJECT (row), "fq-state", state);
  g_object_set_data (G_OBJECT (row), "fq-summary", summary);

  return row;
}

static void
update_row (FqSessionsView *self,
            GtkWidget      *row,
            JsonObject     *session)
{
  static const char * const states[] = { "scheduled", "in_progress", "concluded", "cancelled" };
  g_autoptr(GDateTime) dt = NULL;
  g_autofree char *clock = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *summary = fq_session_roster_summary (session);
  g_autofree char *place = NULL;
  g_autofree char *accessible = NULL;
  GtkWidget *state = g_object_get_data (G_OBJECT (row), "fq-state");
  const char *location = get_string (session, "location");
  const char *state_name = get_string (session, "state");

  g_object_set_data_full (G_OBJECT (row), "fq-session", json_object_ref (session),
                          (GDestroyNotify)json_object_unref);

  dt = fq_city_time (fq_session_get_time (session, "scheduled_at"));
  /* Translators: a time of day, see g_date_time_format(). */
  clock = g_date_time_format (dt, _("%H:%M"));
  place = get_string (session, "grid") != NULL
          ? fq_format_place (self->context, get_string (session, "grid")) : g_strdup ("");
  /* Translators: a session in the list: time · meeting place · area · ticket. */
  subtitle = g_strdup_printf (_("%s · %s · %s · Ticket %s"), clock,
                              location != NULL ? location : "—", place,
                              get_string (session, "ticket"));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), get_string (session, "title"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_label_set_label (g_object_get_data (G_OBJECT (row), "fq-summary"), summary);
  gtk_label_set_label (GTK_LABEL (state), fq_session_state_label (state_name));
  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    {
      g_autofree char *class = g_strdup_printf ("fq-session-%s", states[i]);

      if (g_strcmp0 (state_name, states[i]) == 0)
        gtk_widget_add_css_class (state, class);
      else
        gtk_widget_remove_css_class (state, class);
    }

  /* Translators: a session row read out: title, state, roster, details. */
  accessible = g_strdup_printf (_("%s, %s, %s, %s"), get_string (session, "title"),
                                fq_session_state_label (state_name), summary, subtitle);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible, -1);

  gtk_list_box_row_changed (GTK_LIST_BOX_ROW (row));
}

static gboolean is_filling (FqSessionsView *self);

/* An empty list never says "no sessions" while the cache is not whole. */
static void
update_empty (FqSessionsView *self)
{
  if (self->context != NULL && is_filling (self))
    {
      adw_status_page_set_title (self->empty_page, _("Receiving Sessions…"));
      adw_status_page_set_description (self->empty_page,
                                       _("The sessions appear once this workstation has "
                                         "received the server’s records."));
    }
  else
    {
      adw_status_page_set_title (self->empty_page, _("No Sessions"));
      adw_status_page_set_description (self->empty_page,
                                       _("A session is called from a ticket: open the ticket "
                                         "and choose “Convene a Session”."));
    }
  gtk_stack_set_visible_child_name (self->list_stack,
                                    g_hash_table_size (self->rows) > 0 ? "sessions" : "empty");
}

static void rebuild_items_later (FqSessionsView *self);

static void
upsert (FqSessionsView *self,
        JsonObject     *session)
{
  const char *id = get_string (session, "id");
  GtkWidget *row;

  if (id == NULL)
    return;
  row = g_hash_table_lookup (self->rows, id);
  if (row == NULL)
    {
      row = create_row (self);
      gtk_list_box_append (self->list, row);
      g_hash_table_insert (self->rows, g_strdup (id), row);
    }
  /* Reads of the cache may finish out of order (a whole list read, then a
   * session read after a change): never go back to an older version. */
  else if (fq_json_int_or (row_session (GTK_LIST_BOX_ROW (row)), "rev", 0) >
           fq_json_int_or (session, "rev", 0))
    return;
  update_row (self, row, session);
  update_empty (self);
  rebuild_items_later (self);
}

static void
remove_session (FqSessionsView *self,
                const char     *id)
{
  GtkWidget *row = g_hash_table_lookup (self->rows, id);

  if (row == NULL)
    return;
  gtk_list_box_remove (self->list, row);
  g_hash_table_remove (self->rows, id);
  update_empty (self);
  rebuild_items_later (self);
}

/* ---- the unit's action items ------------------------------------------------ */

static void
complete_clicked_cb (GtkButton      *button,
                     FqSessionsView *self)
{
  JsonObject *session = g_object_get_data (G_OBJECT (button), "fq-session");
  const char *item = g_object_get_data (G_OBJECT (button), "fq-item");
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *path = NULL;
  g_autofree char *key = NULL;

  json_object_set_string_member (body, "action", "complete_action_item");
  json_object_set_string_member (body, "item", item);
  json_object_set_int_member (body, "rev", fq_json_int_or (session, "rev", 0));
  path = g_strdup_printf ("/sessions/%s/actions", get_string (session, "id"));
  key = fq_outbox_submit (fq_context_get_outbox (self->context), "POST", path, body,
                          "session", get_string (session, "id"), _("Action item done"));
  gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
}

static void
rebuild_items (gpointer data)
{
  FqSessionsView *self = data;
  const char *unit = fq_context_get_unit (self->context);
  GHashTableIter iter;
  gpointer value;
  GtkWidget *child;
  guint n = 0;

  self->items_idle_id = 0;

  /* A short list (a unit's open items), rebuilt after a batch of changes. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->items_list))) != NULL)
    gtk_list_box_remove (self->items_list, child);

  g_hash_table_iter_init (&iter, self->rows);
  while (unit != NULL && g_hash_table_iter_next (&iter, NULL, &value))
    {
      JsonObject *session = row_session (value);
      JsonArray *items = json_object_get_array_member (session, "action_items");
      const char *state = get_string (session, "state");

      if (g_strcmp0 (state, "in_progress") != 0 && g_strcmp0 (state, "concluded") != 0)
        continue;

      for (guint i = 0; items != NULL && i < json_array_get_length (items); i++)
        {
          JsonObject *item = json_array_get_object_element (items, i);
          g_autofree char *due = NULL;
          g_autofree char *subtitle = NULL;
          g_autofree char *label = NULL;
          GtkWidget *row;
          GtkWidget *button;

          if (g_strcmp0 (get_string (item, "owner_unit"), unit) != 0 ||
              fq_session_get_time (item, "done_at") > 0)
            continue;

          due = fq_format_date_time (fq_session_get_time (item, "due"));
          /* Translators: a unit's action item: its session and due time. */
          subtitle = g_strdup_printf (_("%s · due %s"), get_string (session, "title"), due);
          row = adw_action_row_new ();
          adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), get_string (item, "text"));
          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
          if (fq_json_bool_or (item, "overdue", FALSE))
            gtk_widget_add_css_class (row, "fq-overdue");

          button = gtk_button_new_with_mnemonic (_("_Done"));
          gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
          label = g_strdup_printf (_("Done: %s"), get_string (item, "text"));
          gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                          GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
          g_object_set_data_full (G_OBJECT (button), "fq-session", json_object_ref (session),
                                  (GDestroyNotify)json_object_unref);
          g_object_set_data_full (G_OBJECT (button), "fq-item", g_strdup (get_string (item, "id")),
                                  g_free);
          g_signal_connect_object (button, "clicked", G_CALLBACK (complete_clicked_cb), self, 0);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
          gtk_list_box_append (self->items_list, row);
          n++;
        }
    }

  gtk_widget_set_visible (GTK_WIDGET (self->items_list), n > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->items_heading), n > 0);
}

static void
rebuild_items_later (FqSessionsView *self)
{
  if (fq_context_get_role (self->context) != FQ_ROLE_UNIT || self->items_idle_id != 0)
    return;
  self->items_idle_id = g_idle_add_once (rebuild_items, self);
}

/* ---- loading ---------------------------------------------------------------- */

typedef struct
{
  FqSessionsView *self;   /* owned */
  char           *id;
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_object_unref (data->self);
  g_free (data->id);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LoadData, load_data_free)

static void
record_loaded_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(LoadData) data = user_data;
  g_autoptr(JsonObject) session = NULL;
  g_autoptr(GError) error = NULL;

  session = fq_cache_get_record_finish (FQ_CACHE (object), result, &error);
  if (session != NULL)
    upsert (data->self, session);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    remove_session (data->self, data->id);   /* deleted, or out of scope now */
}

/* TRUE while the cache fills from empty (see the top of this file). On
 * the demo's 13 months (453 sessions), following each session's changes as
 * they came took 10 of the 14 s of the main thread's time that filling the
 * cache cost, and the fill took a quarter longer. */
static gboolean
is_filling (FqSessionsView *self)
{
  FqSync *sync = fq_context_get_sync (self->context);

  return sync != NULL && fq_sync_get_filling (sync);
}

static void
session_changed_cb (FqSessionsView *self,
                    const char     *entity,
                    const char     *id,
                    FqCache        *cache)
{
  LoadData *data;

  if (is_filling (self))
    return;

  data = g_new0 (LoadData, 1);

  data->self = g_object_ref (self);
  data->id = g_strdup (id);
  fq_cache_get_record_async (cache, "session", id, self->cancellable, record_loaded_cb, data);
}

static void
list_loaded_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(FqSessionsView) self = user_data;
  g_autoptr(GPtrArray) sessions = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) listed = NULL;
  g_autoptr(GPtrArray) gone = NULL;
  GHashTableIter iter;
  gpointer key;

  sessions = fq_cache_list_records_finish (FQ_CACHE (object), result, &error);
  if (sessions == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not read the sessions from the cache: %s", error->message);
      return;
    }

  listed = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < sessions->len; i++)
    {
      JsonObject *session = g_ptr_array_index (sessions, i);

      upsert (self, session);
      if (get_string (session, "id") != NULL)
        g_hash_table_add (listed, (gpointer)get_string (session, "id"));
    }

  /* A row the cache no longer holds (it was emptied and filled again). */
  gone = g_ptr_array_new_with_free_func (g_free);
  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (listed, key))
      g_ptr_array_add (gone, g_strdup (key));
  for (guint i = 0; i < gone->len; i++)
    remove_session (self, g_ptr_array_index (gone, i));
}

static void
filling_changed_cb (FqSessionsView *self)
{
  FqCache *cache = fq_context_get_cache (self->context);

  update_empty (self);
  if (cache != NULL && !is_filling (self))
    fq_cache_list_records_async (cache, "session", NULL, self->cancellable, list_loaded_cb,
                                 g_object_ref (self));
}

static void
row_activated_cb (FqSessionsView *self,
                  GtkListBoxRow  *row)
{
  const char *id = get_string (row_session (row), "id");

  if (id != NULL)
    fq_sessions_view_show_session (self, id);
}

static void
panel_back_cb (FqSessionsView *self)
{
  const char *id = fq_session_panel_get_session_id (FQ_SESSION_PANEL (self->panel));
  GtkWidget *row = id != NULL ? g_hash_table_lookup (self->rows, id) : NULL;

  gtk_stack_set_visible_child_name (self->stack, "list");
  if (row != NULL)
    gtk_widget_grab_focus (row);
}

static void
fq_sessions_view_dispose (GObject *object)
{
  FqSessionsView *self = (FqSessionsView *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->items_idle_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), FQ_TYPE_SESSIONS_VIEW);
  self->panel = NULL;
  g_clear_object (&self->context);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (fq_sessions_view_parent_class)->dispose (object);
}

static void
fq_sessions_view_finalize (GObject *object)
{
  FqSessionsView *self = (FqSessionsView *)object;

  g_clear_pointer (&self->rows, g_hash_table_unref);

  G_OBJECT_CLASS (fq_sessions_view_parent_class)->finalize (object);
}

static void
fq_sessions_view_class_init (FqSessionsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fq_sessions_view_dispose;
  object_class->finalize = fq_sessions_view_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/cn/fengqiao/Console/fq-sessions-view.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, FqSessionsView, stack);
  gtk_widget_class_bind_template_child (widget_class, FqSessionsView, list_stack);
  gtk_widget_class_bind_template_child (widget_class, FqSessionsView, items_heading);
  gtk_widget_class_bind_template_child (widget_class, FqSessionsView, items_list);
  gtk_widget_class_bind_template_child (widget_class, FqSessionsView, list);
  gtk_widget_class_bind_template_child (widget_class, FqSessionsView, empty_page);
  gtk_widget_class_bind_template_child (widget_class, FqSessionsView, panel_bin);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
}

static void
fq_sessions_view_init (FqSessionsView *self)
{
  self->rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_list_box_set_sort_func (self->list, sort_func, NULL, NULL);
  gtk_list_box_set_header_func (self->list, header_func, NULL, NULL);
  update_empty (self);
}

void
fq_sessions_view_set_context (FqSessionsView *self,
                              FqContext      *context)
{
  FqCache *cache;

  g_return_if_fail (FQ_IS_SESSIONS_VIEW (self));
  g_return_if_fail (FQ_IS_CONTEXT (context));

  if (self->context == context)
    return;
  g_set_object (&self->context, context);

  cache = fq_context_get_cache (context);
  gtk_list_box_set_filter_func (self->list, filter_func, self, NULL);

  self->panel = fq_session_panel_new (context);
  adw_bin_set_child (self->panel_bin, self->panel);
  g_signal_connect_object (self->panel, "back", G_CALLBACK (panel_back_cb), self, G_CONNECT_SWAPPED);

  if (cache != NULL)
    {
      g_signal_connect_object (cache, "record-changed::session", G_CALLBACK (session_changed_cb),
                               self, G_CONNECT_SWAPPED);
      if (fq_context_get_sync (context) != NULL)
        g_signal_connect_object (fq_context_get_sync (context), "notify::filling",
                                 G_CALLBACK (filling_changed_cb), self, G_CONNECT_SWAPPED);
      fq_cache_list_records_async (cache, "session", NULL, self->cancellable, list_loaded_cb,
                                   g_object_ref (self));
    }
  update_empty (self);
}

void
fq_sessions_view_show_session (FqSessionsView *self,
                               const char     *id)
{
  g_return_if_fail (FQ_IS_SESSIONS_VIEW (self));
  g_return_if_fail (id != NULL);

  if (self->panel == NULL)
    return;
  fq_session_panel_set_session (FQ_SESSION_PANEL (self->panel), id);
  gtk_stack_set_visible_child_name (self->stack, "session");
  gtk_widget_grab_focus (self->panel);
}
