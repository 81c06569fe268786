/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The whistle dialog (吹哨): a coordinator, or the ticket's lead unit, calls a
 * convening session on a ticket. The proposed invitees come from the cached
 * reference data the way the server picks a lead unit: for each unit
 * function the matter needs (the ticket's own lead and assisting units, the
 * category's lead and supporting functions, the street office and the
 * community committee of the place), the unit of that function at the
 * ticket's place or its nearest ancestor (unit ids are "<function>-<grid
 * code>"). The call goes through the outbox; once the server has answered,
 * the dialog closes and the window shows the new session.
 */

#define G_LOG_DOMAIN "fq-whistle-dialog"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "fq-json.h"
#include "fq-unit.h"
#include "fq-ui-util.h"
#include "fq-whistle-dialog.h"

/* How many units an "add a unit" search lists at most. */
#define MAX_MATCHES 8

struct _FqWhistleDialog
{
  AdwWindow       parent_instance;

  /* Template widgets */
  GtkButton      *convene_button;
  GtkLabel       *ticket_label;
  GtkLabel       *form_message;
  AdwEntryRow    *title_row;
  AdwEntryRow    *time_row;
  AdwEntryRow    *location_row;
  GtkTextView    *agenda_view;
  GtkListBox     *invitee_list;
  AdwEntryRow    *add_unit_row;
  GtkListBox     *external_list;
  AdwEntryRow    *external_name_row;
  AdwEntryRow    *external_org_row;

  /* Owned */
  FqContext      *context;
  JsonObject     *ticket;
  GHashTable     *invitee_checks;   /* unit id → GtkCheckButton (borrowed) */
  char           *key;              /* idempotency key of the call sent */
};

G_DEFINE_FINAL_TYPE (FqWhistleDialog, fq_whistle_dialog, ADW_TYPE_WINDOW)

static void
show_form_message (FqWhistleDialog *self,
                   const char      *message)
{
  gtk_label_set_label (self->form_message, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->form_message), message != NULL);
}

/* The codes of @grid and its ancestors, nearest first: a 14-digit grid
 * cell, its community (12 digits), street (9), district (6) and city (4),
 * each padded with zeros to the official 12 digits. */
static GPtrArray *
grid_and_ancestors (const char *grid)
{
  static const guint lengths[] = { 12, 9, 6, 4 };
  GPtrArray *codes = g_ptr_array_new_with_free_func (g_free);
  gsize len = strlen (grid);

  g_ptr_array_add (codes, g_strdup (grid));
  for (guint i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      g_autofree char *code = NULL;

      if (lengths[i] > len)
        continue;
      code = g_strdup_printf ("%.*s%.*s", (int)lengths[i], grid,
                              (int)(12 - lengths[i]), "000000000000");
      if (g_strcmp0 (code, g_ptr_array_index (codes, codes->len - 1)) != 0)
        g_ptr_array_add (codes, g_steal_pointer (&code));
    }

  return codes;
}

/* The unit of @function covering @grid or its nearest ancestor. */
static const char *
find_unit (FqWhistleDialog *self,
           const char      *function,
           GPtrArray       *codes)
{
  for (guint i = 0; i < codes->len; i++)
    {
      g_autofree char *id = g_strdup_printf ("%s-%s", function,
                                             (const char *)g_ptr_array_index (codes, i));
      JsonObject *unit = fq_context_lookup_unit (self->context, id);

      if (unit != NULL)
        return fq_json_string_or (unit, "id", NULL);
    }
  return NULL;
}

static void
update_convene_sensitivity (FqWhistleDialog *self)
{
  GHashTableIter iter;
  gpointer value;
  gboolean any = FALSE;

  g_hash_table_iter_init (&iter, self->invitee_checks);
  while (!any && g_hash_table_iter_next (&iter, NULL, &value))
    any = gtk_check_button_get_active (value);

  gtk_widget_set_sensitive (GTK_WIDGET (self->convene_button), any && self->key == NULL);
}

/* Adds a row for @unit_id (once); @reason says why it is proposed. */
static void
add_invitee (FqWhistleDialog *self,
             const char      *unit_id,
             const char      *reason,
             gboolean         active)
{
  GtkWidget *row;
  GtkWidget *check;
  const char *name;

  if (unit_id == NULL || unit_id[0] == '\0')
    return;

  check = g_hash_table_lookup (self->invitee_checks, unit_id);
  if (check != NULL)
    {
      if (active)
        gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
      return;
    }

  name = fq_context_lookup_unit_name (self->context, unit_id);
  if (name == NULL || name[0] == '\0')
    name = unit_id;

  check = gtk_check_button_new ();
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), active);
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (check),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  g_signal_connect_object (check, "toggled", G_CALLBACK (update_convene_sensitivity), self,
                           G_CONNECT_SWAPPED);

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), reason);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
  gtk_list_box_append (self->invitee_list, row);

  g_hash_table_insert (self->invitee_checks, g_strdup (unit_id), check);
  update_convene_sensitivity (self);
}

static void
propose_invitees (FqWhistleDialog *self)
{
  const char *grid = fq_json_string_or (self->ticket, "grid", "");
  const char *category = fq_json_string_or (self->ticket, "category", "");
  g_autoptr(GPtrArray) codes = grid_and_ancestors (grid);
  JsonObject *cat = fq_context_lookup_category (self->context, category);
  JsonArray *array;

  add_invitee (self, fq_json_string_or (self->ticket, "lead_unit", NULL),
               _("Lead unit of this ticket"), TRUE);
  array = json_object_get_array_member (self->ticket, "assisting_units");
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    add_invitee (self, json_array_get_string_element (array, i), _("Assisting on this ticket"), TRUE);

  if (cat != NULL)
    {
      const char *lead = fq_json_string_or (cat, "lead_unit_kind", NULL);

      if (lead != NULL)
        add_invitee (self, find_unit (self, lead, codes), _("Leads such matters here"), TRUE);
      array = json_object_has_member (cat, "support_unit_kinds")
              ? json_object_get_array_member (cat, "support_unit_kinds") : NULL;
      for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
        add_invitee (self, find_unit (self, json_array_get_string_element (array, i), codes),
                     _("Supports such matters"), TRUE);
    }

  add_invitee (self, find_unit (self, "street_office", codes), _("Street office of the place"), TRUE);
  add_invitee (self, find_unit (self, "community", codes), _("Community committee of the place"), TRUE);
}

static gboolean
unit_is_near (FqUnit    *unit,
              GPtrArray *codes)
{
  const char *grid = fq_unit_get_grid (unit);

  for (guint i = 0; grid != NULL && i < codes->len; i++)
    if (g_str_equal (grid, g_ptr_array_index (codes, i)))
      return TRUE;
  return FALSE;
}

static void
add_unit_apply_cb (FqWhistleDialog *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->add_unit_row));
  const char *grid = fq_json_string_or (self->ticket, "grid", "");
  g_autoptr(GPtrArray) codes = grid_and_ancestors (grid);
  g_autoptr(GPtrArray) near = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) far = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *needle = NULL;
  GListModel *units = fq_context_get_units (self->context);
  guint n_matches;

  if (text[0] == '\0')
    return;

  needle = g_utf8_casefold (text, -1);
  for (guint i = 0; i < g_list_model_get_n_items (units); i++)
    {
      g_autoptr(FqUnit) unit = g_list_model_get_item (units, i);
      g_autofree char *name = g_utf8_casefold (fq_unit_get_name (unit), -1);
      g_autofree char *name_en = g_utf8_casefold (fq_unit_get_name_en (unit) != NULL
                                                  ? fq_unit_get_name_en (unit) : "", -1);

      if (strstr (name, needle) == NULL && strstr (name_en, needle) == NULL)
        continue;
      g_ptr_array_add (unit_is_near (unit, codes) ? near : far, g_steal_pointer (&unit));
    }

  /* Units of the place and above it first: a street's own departments
   * before the same department of another district. */
  g_ptr_array_extend_and_steal (near, g_steal_pointer (&far));
  n_matches = near->len;

  if (n_matches == 0)
    {
      g_autofree char *message = g_strdup_printf (_("No unit named “%s”"), text);

      show_form_message (self, message);
      return;
    }

  show_form_message (self, NULL);
  if (n_matches == 1)
    add_invitee (self, fq_unit_get_id (g_ptr_array_index (near, 0)), _("Added by name"), TRUE);
  else
    {
      for (guint i = 0; i < MIN (n_matches, MAX_MATCHES); i++)
        add_invitee (self, fq_unit_get_id (g_ptr_array_index (near, i)),
                     _("Found by name: tick it to invite"), FALSE);
      if (n_matches > MAX_MATCHES)
        {
          g_autofree char *message = NULL;

          message = g_strdup_printf (ngettext ("%u unit matches; the first %u are listed. Type more of the name.",
                                               "%u units match; the first %u are listed. Type more of the name.",
                                               n_matches),
                                     n_matches, MAX_MATCHES);
          show_form_message (self, message);
        }
    }
  gtk_editable_set_text (GTK_EDITABLE (self->add_unit_row), "");
}

static void
remove_external_cb (GtkButton *button,
                    GtkWidget *row)
{
  GtkListBox *list = GTK_LIST_BOX (gtk_widget_get_parent (row));

  gtk_list_box_remove (list, row);
  gtk_widget_set_visible (GTK_WIDGET (list), gtk_widget_get_first_child (GTK_WIDGET (list)) != NULL);
}

static void
add_external_cb (FqWhistleDialog *self)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->external_name_row))));
  g_autofree char *org = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->external_org_row))));
  g_autofree char *remove_label = NULL;
  GtkWidget *row;
  GtkWidget *button;

  if (name[0] == '\0')
    {
      show_form_message (self, _("Write the participant's name first."));
      gtk_widget_grab_focus (GTK_WIDGET (self->external_name_row));
      return;
    }

  show_form_message (self, NULL);
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), org);
  g_object_set_data_full (G_OBJECT (row), "fq-name", g_strdup (name), g_free);
  g_object_set_data_full (G_OBJECT (row), "fq-organisation", g_strdup (org), g_free);

  button = gtk_button_new_from_icon_name ("user-trash-symbolic");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  /* Translators: %s is a person's name. */
  remove_label = g_strdup_printf (_("Remove %s"), name);
  gtk_widget_set_tooltip_text (button, remove_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, remove_label, -1);
  g_signal_connect (button, "clicked", G_CALLBACK (remove_external_cb), row);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);

  gtk_list_box_append (self->external_list, row);
  gtk_widget_set_visible (GTK_WIDGET (self->external_list), TRUE);

  gtk_editable_set_text (GTK_EDITABLE (self->external_name_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->external_org_row), "");
  gtk_widget_grab_focus (GTK_WIDGET (self->external_name_row));
}

/* "2026-11-29 14:30", "2026-11-29T14:30" or "14:30" (today), the city's
 * time. */
static GDateTime *
parse_time (const char *text)
{
  g_autoptr(GDateTime) now = fq_city_now ();
  int year = g_date_time_get_year (now);
  int month = g_date_time_get_month (now);
  int day = g_date_time_get_day_of_month (now);
  int hour, minute;
  char sep;
  int consumed = 0;

  text += strspn (text, " ");
  if (sscanf (text, "%d-%d-%d%c%d:%d%n", &year, &month, &day, &sep, &hour, &minute, &consumed) == 6 &&
      (sep == ' ' || sep == 'T'))
    ;
  else if (sscanf (text, "%d:%d%n", &hour, &minute, &consumed) != 2)
    return NULL;

  if (text[consumed + strspn (text + consumed, " ")] != '\0' ||
      month < 1 || month > 12 || day < 1 || day > 31 ||
      hour < 0 || hour > 23 || minute < 0 || minute > 59)
    return NULL;

  return fq_city_date_time (year, month, day, hour, minute, 0);
}

/* The next full half hour: a session called now meets soon. */
static char *
default_time (void)
{
  g_autoptr(GDateTime) now = fq_city_now ();
  g_autoptr(GDateTime) base = NULL;
  g_autoptr(GDateTime) next = NULL;
  int minute = g_date_time_get_minute (now);

  base = g_date_time_add_minutes (now, (minute < 30 ? 30 : 60) - minute);
  next = fq_city_date_time (g_date_time_get_year (base), g_date_time_get_month (base),
                            g_date_time_get_day_of_month (base),
                            g_date_time_get_hour (base), g_date_time_get_minute (base), 0);
  return g_date_time_format (next, "%Y-%m-%d %H:%M");
}

static void
outbox_sent_cb (FqWhistleDialog *self,
                const char      *key,
                JsonNode        *answer,
                FqOutbox        *outbox)
{
  const char *id = NULL;
  GtkWindow *parent;

  if (g_strcmp0 (key, self->key) != 0)
    return;

  if (answer != NULL && JSON_NODE_HOLDS_OBJECT (answer))
    id = fq_json_string_or (json_node_get_object (answer), "id", NULL);

  /* The window's action, not the dialog's: the dialog is a window of its own. */
  parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  if (id != NULL && parent != NULL)
    gtk_widget_activate_action (GTK_WIDGET (parent), "win.show-session", "s", id);
  gtk_window_close (GTK_WINDOW (self));
}

static void
outbox_failed_cb (FqWhistleDialog *self,
                  const char      *key,
                  const char      *entity,
                  const char      *entity_id,
                  const GError    *error,
                  FqOutbox        *outbox)
{
  g_autofree char *message = NULL;

  if (g_strcmp0 (key, self->key) != 0)
    return;

  g_clear_pointer (&self->key, g_free);
  message = fq_client_describe_error (error);
  show_form_message (self, message);
  gtk_button_set_label (self->convene_button, _("Blow the _Whistle"));
  update_convene_sensitivity (self);
}

static void
convene_button_clicked_cb (FqWhistleDialog *self)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(GDateTime) when = NULL;
  g_autoptr(GDateTime) utc = NULL;
  g_autofree char *path = NULL;
  g_autofree char *label = NULL;
  g_autofree char *agenda = NULL;
  g_autofree char *title = NULL;
  g_autofree char *location = NULL;
  g_autofree char *scheduled = NULL;
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->agenda_view);
  GtkTextIter start, end;
  JsonArray *invitees = json_array_new ();
  JsonArray *external = json_array_new ();
  GtkWidget *child;
  GHashTableIter iter;
  gpointer key, value;
  const char *ticket_id = fq_json_string_or (self->ticket, "id", "");

  if (self->key != NULL)
    {
      json_array_unref (invitees);
      json_array_unref (external);
      return;
    }

  title = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->title_row))));
  location = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->location_row))));
  json_object_set_array_member (body, "invitees", invitees);
  json_object_set_array_member (body, "external_participants", external);

  if (title[0] == '\0')
    {
      show_form_message (self, _("Give the session a title."));
      gtk_widget_grab_focus (GTK_WIDGET (self->title_row));
      return;
    }
  when = parse_time (gtk_editable_get_text (GTK_EDITABLE (self->time_row)));
  if (when == NULL)
    {
      show_form_message (self, _("Write the time as 2026-11-29 14:30, or 14:30 for today."));
      gtk_widget_grab_focus (GTK_WIDGET (self->time_row));
      return;
    }

  g_hash_table_iter_init (&iter, self->invitee_checks);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (gtk_check_button_get_active (value))
      json_array_add_string_element (invitees, key);
  if (json_array_get_length (invitees) == 0)
    {
      show_form_message (self, _("Invite at least one unit."));
      return;
    }

  /* Someone typed a participant but did not press Add: keep them. */
  if (gtk_editable_get_text (GTK_EDITABLE (self->external_name_row))[0] != '\0')
    add_external_cb (self);

  for (child = gtk_widget_get_first_child (GTK_WIDGET (self->external_list));
       child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      JsonObject *person = json_object_new ();
      const char *org = g_object_get_data (G_OBJECT (child), "fq-organisation");

      json_object_set_string_member (person, "name", g_object_get_data (G_OBJECT (child), "fq-name"));
      if (org != NULL && org[0] != '\0')
        json_object_set_string_member (person, "organisation", org);
      json_array_add_object_element (external, person);
    }

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  agenda = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  utc = g_date_time_to_utc (when);

  json_object_set_string_member (body, "title", title);
  scheduled = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");
  json_object_set_string_member (body, "scheduled_at", scheduled);
  if (location[0] != '\0')
    json_object_set_string_member (body, "location", location);
  if (g_strstrip (agenda)[0] != '\0')
    json_object_set_string_member (body, "agenda", agenda);

  show_form_message (self, NULL);
  path = g_strdup_printf ("/tickets/%s/sessions", ticket_id);
  /* Translators: the outbox's description of a write; %s is a ticket id. */
  label = g_strdup_printf (_("Session called on %s"), ticket_id);
  self->key = fq_outbox_submit (fq_context_get_outbox (self->context), "POST", path, body,
                                "session", NULL, label);

  gtk_widget_set_sensitive (GTK_WIDGET (self->convene_button), FALSE);
  if (fq_sync_get_state (fq_context_get_sync (self->context)) == FQ_SYNC_STATE_ONLINE)
    gtk_button_set_label (self->convene_button, _("Sending…"));
  else
    {
      /* Offline: the call waits in the outbox and goes out by itself. */
      show_form_message (self, _("The console is offline. The session is saved and will be called when the connection is back."));
      gtk_button_set_label (self->convene_button, _("Waiting for the Connection"));
    }
}

static void
entry_activated_cb (FqWhistleDialog *self,
                    AdwEntryRow     *row)
{
  gtk_widget_child_focus (GTK_WIDGET (self), GTK_DIR_TAB_FORWARD);
}

static gboolean
convene_shortcut_cb (GtkWidget *widget,
                     GVariant  *args,
                     gpointer   user_data)
{
  convene_button_clicked_cb (FQ_WHISTLE_DIALOG (widget));
  return TRUE;
}

static void
fq_whistle_dialog_dispose (GObject *object)
{
  FqWhistleDialog *self = (FqWhistleDialog *)object;

  if (self->context != NULL && fq_context_get_outbox (self->context) != NULL)
    g_signal_handlers_disconnect_by_data (fq_context_get_outbox (self->context), self);

  gtk_widget_dispose_template (GTK_WIDGET (self), FQ_TYPE_WHISTLE_DIALOG);

  g_clear_object (&self->context);
  g_clear_pointer (&self->ticket, json_object_unref);

  G_OBJECT_CLASS (fq_whistle_dialog_parent_class)->dispose (object);
}

static void
fq_whistle_dialog_finalize (GObject *object)
{
  FqWhistleDialog *self = (FqWhistleDialog *)object;

  g_clear_pointer (&self->invitee_checks, g_hash_table_unref);
  g_clear_pointer (&self->key, g_free);

  G_OBJECT_CLASS (fq_whistle_dialog_parent_class)->finalize (object);
}

static void
fq_whistle_dialog_class_init (FqWhistleDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fq_whistle_dialog_dispose;
  object_class->finalize = fq_whistle_dialog_finalize;

  gtk_widget_class_add_binding (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, convene_shortcut_cb, NULL);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK, convene_shortcut_cb, NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);

  gtk_widget_class_set_template_from_resource (widget_class, "/cn/fengqiao/Console/fq-whistle-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, FqWhistleDialog, convene_button);
  gtk_widget_class_bind_template_child (widget_class, FqWhistleDialog, ticket_label);
  gtk_widget_class_bind_template_child (widget_class, FqWhistleDialog, form_message);
  gtk_widget_class_bind_template_child (widget_class, FqWhistleDialog, title_row);
  gtk_widget_class_bind_template_child (widget_class, FqWhistleDialog, time_row);
  gtk_widget_class_bind_template_child (widget_class, FqWhistleDialog, location_row);
  gtk_widget_class_bind_template_child (widget_class, FqWhistleDialog, agenda_view);
  gtk_widget_class_bind_template_child (widget_class, FqWhistleDialog, invitee_list);
  gtk_widget_class_bind_template_child (widget_class, FqWhistleDialog, add_unit_row);
  gtk_widget_class_bind_template_child (widget_class, FqWhistleDialog, external_list);
  gtk_widget_class_bind_template_child (widget_class, FqWhistleDialog, external_name_row);
  gtk_widget_class_bind_template_child (widget_class, FqWhistleDialog, external_org_row);
  gtk_widget_class_bind_template_callback (widget_class, convene_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, entry_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_unit_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_external_cb);
}

static void
fq_whistle_dialog_init (FqWhistleDialog *self)
{
  self->invitee_checks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  gtk_widget_init_template (GTK_WIDGET (self));

  fq_label_track_accessible_label (self->form_message);
  fq_fix_mnemonic_accessible_labels (GTK_WIDGET (self));
}

void
fq_whistle_dialog_present (FqContext  *context,
                           JsonObject *ticket,
                           GtkWidget  *parent)
{
  FqWhistleDialog *self;
  GtkRoot *root = NULL;
  FqOutbox *outbox;
  g_autofree char *title = NULL;
  g_autofree char *when = NULL;
  g_autofree char *heading = NULL;
  g_autofree char *place = NULL;
  const char *ticket_id;
  const char *ticket_title;
  const char *street;

  g_return_if_fail (FQ_IS_CONTEXT (context));
  g_return_if_fail (ticket != NULL);
  g_return_if_fail (parent == NULL || GTK_IS_WIDGET (parent));

  if (parent != NULL)
    root = gtk_widget_get_root (parent);

  self = g_object_new (FQ_TYPE_WHISTLE_DIALOG,
                       "transient-for", GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                       "modal", TRUE,
                       NULL);
  self->context = g_object_ref (context);
  self->ticket = json_object_ref (ticket);

  ticket_id = fq_json_string_or (ticket, "id", "");
  ticket_title = fq_json_string_or (ticket, "title", "");
  place = fq_format_place (context, fq_json_string_or (ticket, "grid", ""));
  /* Translators: the ticket a session is called on: id, title, place. */
  heading = g_strdup_printf (_("Ticket %s · %s · %s"), ticket_id, ticket_title, place);
  gtk_label_set_label (self->ticket_label, heading);

  /* Translators: the default title of a session; %s is the ticket's title. */
  title = g_strdup_printf (_("Joint session: %s"), ticket_title);
  gtk_editable_set_text (GTK_EDITABLE (self->title_row), title);
  when = default_time ();
  gtk_editable_set_text (GTK_EDITABLE (self->time_row), when);

  propose_invitees (self);

  /* Sessions usually meet at the street office of the place. */
  {
    const char *grid = fq_json_string_or (ticket, "grid", "");
    g_autoptr(GPtrArray) codes = grid_and_ancestors (grid);

    street = find_unit (self, "street_office", codes);
    if (street != NULL)
      gtk_editable_set_text (GTK_EDITABLE (self->location_row),
                             fq_context_lookup_unit_name (context, street));
  }

  outbox = fq_context_get_outbox (context);
  g_signal_connect_swapped (outbox, "sent", G_CALLBACK (outbox_sent_cb), self);
  g_signal_connect_swapped (outbox, "failed", G_CALLBACK (outbox_failed_cb), self);

  gtk_window_present (GTK_WINDOW (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->title_row));
}
