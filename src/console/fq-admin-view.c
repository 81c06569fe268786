/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "fq-admin-view"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "fq-admin-view.h"
#include "fq-client.h"
#include "fq-enum-types.h"
#include "fq-grid-model.h"
#include "fq-json.h"
#include "fq-ui-util.h"
#include "fq-unit.h"

/*
 * The administrator's page, three sections in a stack: accounts (GET and
 * POST /users, POST /users/{username}/actions), the audit trail (GET /audit,
 * filtered, newest first, a page at a time) and the Open311 API keys
 * (GET/POST /open311_keys, POST /open311_keys/{id}/revoke). Everything goes
 * through FqClient, which parses on its worker; the page keeps the answers'
 * objects by id and its list models change by rows: an account that
 * changed is replaced in place, a new page of the audit is appended.
 */

#define AUDIT_PAGE 50

struct _FqAdminView
{
  GtkWidget     parent_instance;

  /* Template widgets */
  GtkWidget    *main_box;
  GtkStack     *stack;
  GtkListBox   *users_list;
  GtkLabel     *users_status;
  GtkButton    *new_user_button;
  GtkListBox   *audit_list;
  GtkLabel     *audit_status;
  GtkButton    *audit_more_button;
  GtkEntry     *audit_actor;
  GtkEntry     *audit_action;
  GtkEntry     *audit_record;
  GtkEntry     *audit_from;
  GtkEntry     *audit_to;
  GtkListBox   *keys_list;
  GtkLabel     *keys_status;
  GtkEntry     *key_name;

  /* Owned */
  FqContext    *context;
  GCancellable *cancellable;
  GListStore   *users;        /* GtkStringObject: username */
  GHashTable   *user_json;    /* username → JsonObject */
  GListStore   *audit;        /* GtkStringObject: entry id */
  GHashTable   *audit_json;
  GListStore   *keys;         /* GtkStringObject: key id */
  GHashTable   *key_json;
  char         *audit_query;  /* the filters of the search shown */
  char         *audit_cursor; /* next_cursor of the last page, or NULL */
};

G_DEFINE_FINAL_TYPE (FqAdminView, fq_admin_view, GTK_TYPE_WIDGET)

static const char *
member_string (JsonObject *object,
               const char *member)
{
  return fq_json_string_or (object, member, NULL);
}

static void
set_status (GtkLabel   *label,
            const char *text)
{
  gtk_label_set_label (label, text != NULL ? text : "");
}

static void
set_error_status (GtkLabel     *label,
                  const GError *error)
{
  g_autofree char *text = fq_client_describe_error (error);

  set_status (label, text);
}

/* ---- list models keyed by id ---- */

static gboolean
find_position (GListStore *store,
               const char *id,
               guint      *position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (store));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkStringObject) item = g_list_model_get_item (G_LIST_MODEL (store), i);

      if (g_str_equal (gtk_string_object_get_string (item), id))
        {
          *position = i;
          return TRUE;
        }
    }
  return FALSE;
}

/* Adds or replaces the record @id: a replaced record changes one row. */
static void
store_put (GListStore *store,
           GHashTable *table,
           const char *id,
           JsonObject *object)
{
  g_autoptr(GtkStringObject) item = gtk_string_object_new (id);
  guint position;

  g_hash_table_replace (table, g_strdup (id), json_object_ref (object));
  if (find_position (store, id, &position))
    g_list_store_splice (store, position, 1, (gpointer *)&item, 1);
  else
    g_list_store_append (store, item);
}

static void
store_clear (GListStore *store,
             GHashTable *table)
{
  g_list_store_remove_all (store);
  g_hash_table_remove_all (table);
}

static char *
id_of (JsonObject *object)
{
  JsonNode *node = json_object_has_member (object, "id") ? json_object_get_member (object, "id")
                                                        : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  if (json_node_get_value_type (node) == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  return g_strdup (json_node_get_string (node));
}

static void
call (FqAdminView         *self,
      const char          *method,
      const char          *path,
      JsonNode            *body,
      GAsyncReadyCallback  callback)
{
  fq_client_call_async (fq_context_get_client (self->context), method, path, body, NULL,
                        self->cancellable, callback, g_object_ref (self));
}

/* Finishes a call; FALSE (after showing the error on @status) when it
 * failed, and quietly FALSE when it was cancelled. */
static gboolean
finish_call (FqAdminView   *self,
             GObject       *object,
             GAsyncResult  *result,
             GtkLabel      *status,
             JsonNode     **out)
{
  g_autoptr(GError) error = NULL;

  *out = fq_client_call_finish (FQ_CLIENT (object), result, &error);
  /* Disposed meanwhile: nothing left to show it in. */
  if (self->context == NULL)
    return FALSE;
  if (error == NULL)
    return TRUE;
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    set_error_status (status, error);
  return FALSE;
}

static JsonArray *
answer_array (JsonNode   *node,
              const char *member)
{
  JsonObject *object;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  object = json_node_get_object (node);
  if (!json_object_has_member (object, member) ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, member)))
    return NULL;
  return json_object_get_array_member (object, member);
}

static void
set_accessible_label (GtkWidget  *widget,
                      const char *label)
{
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

static GtkWindow *
parent_window (FqAdminView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

/* ---- accounts ---- */

static void
users_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(FqAdminView) self = user_data;
  g_autoptr(JsonNode) node = NULL;
  JsonArray *users;

  if (!finish_call (self, object, result, self->users_status, &node))
    return;

  users = answer_array (node, "users");
  store_clear (self->users, self->user_json);
  for (guint i = 0; users != NULL && i < json_array_get_length (users); i++)
    {
      JsonObject *user = json_array_get_object_element (users, i);
      const char *username = member_string (user, "username");

      if (username != NULL)
        store_put (self->users, self->user_json, username, user);
    }
  set_status (self->users_status, NULL);
}

static void
load_users (FqAdminView *self)
{
  set_status (self->users_status, _("Loading accounts…"));
  call (self, "GET", "/users", NULL, users_loaded_cb);
}

static void
user_changed_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(FqAdminView) self = user_data;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *user;
  const char *username;

  if (!finish_call (self, object, result, self->users_status, &node))
    return;
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;

  user = json_node_get_object (node);
  username = member_string (user, "username");
  if (username == NULL)
    return;
  store_put (self->users, self->user_json, username, user);
  {
    g_autofree char *text = g_strdup_printf (_("Account %s saved."), username);

    set_status (self->users_status, text);
  }
}

static void
user_action (FqAdminView *self,
             const char  *username,
             JsonBuilder *builder)
{
  g_autofree char *path = g_strdup_printf ("/users/%s/actions", username);
  g_autoptr(JsonNode) body = json_builder_get_root (builder);

  call (self, "POST", path, body, user_changed_cb);
}

static void
toggle_button_clicked_cb (GtkButton   *button,
                          FqAdminView *self)
{
  const char *username = g_object_get_data (G_OBJECT (button), "username");
  JsonObject *user = g_hash_table_lookup (self->user_json, username);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  gboolean disabled = user != NULL && json_object_has_member (user, "disabled") &&
                      json_object_get_boolean_member (user, "disabled");

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "action");
  json_builder_add_string_value (builder, disabled ? "enable" : "disable");
  json_builder_end_object (builder);
  user_action (self, username, builder);
}

/* The form of the account dialogs. */
typedef enum
{
  FORM_CREATE,
  FORM_PASSWORD,
  FORM_ROLE,
} FormKind;

typedef struct
{
  FqAdminView   *self;       /* borrowed: the dialog is gone before the view */
  FormKind       kind;
  char          *username;   /* the account acted on (not for FORM_CREATE) */
  AdwEntryRow   *username_row;
  AdwEntryRow   *display_row;
  AdwEntryRow   *password_row;
  AdwComboRow   *role_row;
  GtkDropDown   *scope_drop;
  GtkDropDown   *unit_drop;
  GtkWidget     *unit_row;
} Form;

static void
form_free (Form *form)
{
  g_free (form->username);
  g_free (form);
}

/* The grid, flat and in tree order, down to communities: the places a
 * scope can be. */
static void
add_grid_nodes (GListStore  *out,
                GListModel  *nodes,
                FqGridModel *grid)
{
  guint n = g_list_model_get_n_items (nodes);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FqGridItem) item = g_list_model_get_item (nodes, i);

      g_list_store_append (out, item);
      if (fq_grid_item_get_has_children (item) &&
          fq_grid_item_get_level (item) < FQ_GRID_LEVEL_COMMUNITY)
        {
          g_autoptr(GListModel) children = fq_grid_model_create_child_model (item, grid);

          if (children != NULL)
            add_grid_nodes (out, children, grid);
        }
    }
}

static guint
grid_position (GListModel *places,
               const char *code)
{
  guint n = g_list_model_get_n_items (places);

  for (guint i = 0; code != NULL && i < n; i++)
    {
      g_autoptr(FqGridItem) item = g_list_model_get_item (places, i);

      if (g_str_equal (fq_grid_item_get_code (item), code))
        return i;
    }
  return 0;
}

static guint
unit_position (GListModel *units,
               const char *id)
{
  guint n = g_list_model_get_n_items (units);

  for (guint i = 0; id != NULL && i < n; i++)
    {
      g_autoptr(FqUnit) unit = g_list_model_get_item (units, i);

      if (g_str_equal (fq_unit_get_id (unit), id))
        return i;
    }
  return GTK_INVALID_LIST_POSITION;
}

static void
role_selected_cb (AdwComboRow *row,
                  GParamSpec  *pspec,
                  Form        *form)
{
  gtk_widget_set_sensitive (form->unit_row, adw_combo_row_get_selected (row) == FQ_ROLE_UNIT);
}

static GtkWidget *
searchable_drop_down (GListModel *model,
                      GType       item_type,
                      guint       selected,
                      const char *label)
{
  GtkExpression *name = gtk_property_expression_new (item_type, NULL, "name");
  GtkWidget *drop = gtk_drop_down_new (g_object_ref (model), name);

  gtk_drop_down_set_enable_search (GTK_DROP_DOWN (drop), TRUE);
  if (selected != GTK_INVALID_LIST_POSITION)
    gtk_drop_down_set_selected (GTK_DROP_DOWN (drop), selected);
  gtk_widget_set_valign (drop, GTK_ALIGN_CENTER);
  gtk_widget_set_hexpand (drop, TRUE);
  set_accessible_label (drop, label);
  return drop;
}

static GtkWidget *
build_form (Form       *form,
            JsonObject *user)
{
  FqAdminView *self = form->self;
  GtkWidget *list = gtk_list_box_new ();

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_widget_set_size_request (list, 380, -1);

  if (form->kind == FORM_CREATE)
    {
      form->username_row = ADW_ENTRY_ROW (adw_entry_row_new ());
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (form->username_row),
                                     _("Username (letters, digits, . _ -)"));
      gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (form->username_row));
      form->display_row = ADW_ENTRY_ROW (adw_entry_row_new ());
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (form->display_row), _("Full name"));
      gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (form->display_row));
    }

  if (form->kind == FORM_CREATE || form->kind == FORM_PASSWORD)
    {
      form->password_row = ADW_ENTRY_ROW (adw_password_entry_row_new ());
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (form->password_row),
                                     _("Password (10 characters or more, of two kinds)"));
      gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (form->password_row));
    }

  if (form->kind == FORM_CREATE || form->kind == FORM_ROLE)
    {
      g_autoptr(GtkStringList) roles = gtk_string_list_new (NULL);
      g_autoptr(GListStore) places = g_list_store_new (FQ_TYPE_GRID_ITEM);
      FqGridModel *grid = fq_context_get_grid (self->context);
      GListModel *units = fq_context_get_units (self->context);
      const char *role_name = member_string (user, "role");
      int role = FQ_ROLE_OPERATOR;
      GtkWidget *scope_row;

      for (guint r = 0; r <= FQ_ROLE_ADMIN; r++)
        gtk_string_list_append (roles, fq_role_label (r));
      if (role_name != NULL)
        fq_enum_from_string (FQ_TYPE_ROLE, role_name, &role);

      form->role_row = ADW_COMBO_ROW (adw_combo_row_new ());
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (form->role_row), _("Role"));
      adw_combo_row_set_model (form->role_row, G_LIST_MODEL (roles));
      adw_combo_row_set_selected (form->role_row, role);
      gtk_list_box_append (GTK_LIST_BOX (list), GTK_WIDGET (form->role_row));

      add_grid_nodes (places, fq_grid_model_get_roots (grid), grid);
      scope_row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (scope_row), _("Scope"));
      form->scope_drop = GTK_DROP_DOWN (searchable_drop_down (
        G_LIST_MODEL (places), FQ_TYPE_GRID_ITEM,
        grid_position (G_LIST_MODEL (places),
                       member_string (user, "scope") != NULL ? member_string (user, "scope")
                                                             : fq_context_get_scope (self->context)),
        _("Scope: the part of the grid the account sees")));
      adw_action_row_add_suffix (ADW_ACTION_ROW (scope_row), GTK_WIDGET (form->scope_drop));
      gtk_list_box_append (GTK_LIST_BOX (list), scope_row);

      form->unit_row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (form->unit_row), _("Unit"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (form->unit_row), _("For unit staff only"));
      form->unit_drop = GTK_DROP_DOWN (searchable_drop_down (
        units, FQ_TYPE_UNIT, unit_position (units, member_string (user, "unit")),
        _("Unit the staff member belongs to")));
      adw_action_row_add_suffix (ADW_ACTION_ROW (form->unit_row), GTK_WIDGET (form->unit_drop));
      gtk_list_box_append (GTK_LIST_BOX (list), form->unit_row);

      g_signal_connect (form->role_row, "notify::selected", G_CALLBACK (role_selected_cb), form);
      role_selected_cb (form->role_row, NULL, form);
    }

  return list;
}

static void
add_text_member (JsonBuilder *builder,
                 const char  *name,
                 AdwEntryRow *row)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));

  if (*text == '\0')
    return;
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, text);
}

static void
add_place_members (JsonBuilder *builder,
                   Form        *form)
{
  guint role = adw_combo_row_get_selected (form->role_row);
  FqGridItem *place = gtk_drop_down_get_selected_item (form->scope_drop);
  FqUnit *unit = gtk_drop_down_get_selected_item (form->unit_drop);

  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, fq_enum_to_string (FQ_TYPE_ROLE, role));
  if (place != NULL)
    {
      json_builder_set_member_name (builder, "scope");
      json_builder_add_string_value (builder, fq_grid_item_get_code (place));
    }
  if (role == FQ_ROLE_UNIT && unit != NULL)
    {
      json_builder_set_member_name (builder, "unit");
      json_builder_add_string_value (builder, fq_unit_get_id (unit));
    }
}

static void
user_created_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(FqAdminView) self = user_data;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *user;
  const char *username;

  if (!finish_call (self, object, result, self->users_status, &node))
    return;
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  user = json_node_get_object (node);
  username = member_string (user, "username");
  if (username == NULL)
    return;
  store_put (self->users, self->user_json, username, user);
  {
    g_autofree char *text = g_strdup_printf (_("Account %s created."), username);

    set_status (self->users_status, text);
  }
}

static void
form_response_cb (AdwMessageDialog *dialog,
                  const char       *response,
                  Form             *form)
{
  FqAdminView *self = form->self;
  g_autoptr(JsonBuilder) builder = NULL;

  if (!g_str_equal (response, "save") || self->context == NULL)
    return;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  switch (form->kind)
    {
    case FORM_CREATE:
      add_text_member (builder, "username", form->username_row);
      add_text_member (builder, "display_name", form->display_row);
      json_builder_set_member_name (builder, "password");
      json_builder_add_string_value (builder, gtk_editable_get_text (GTK_EDITABLE (form->password_row)));
      add_place_members (builder, form);
      json_builder_end_object (builder);
      {
        g_autoptr(JsonNode) body = json_builder_get_root (builder);

        set_status (self->users_status, _("Creating the account…"));
        call (self, "POST", "/users", body, user_created_cb);
      }
      return;

    case FORM_PASSWORD:
      json_builder_set_member_name (builder, "action");
      json_builder_add_string_value (builder, "set_password");
      json_builder_set_member_name (builder, "password");
      json_builder_add_string_value (builder, gtk_editable_get_text (GTK_EDITABLE (form->password_row)));
      break;

    case FORM_ROLE:
      json_builder_set_member_name (builder, "action");
      json_builder_add_string_value (builder, "set_role");
      add_place_members (builder, form);
      break;

    default:
      g_assert_not_reached ();
    }
  json_builder_end_object (builder);
  user_action (self, form->username, builder);
}

static void
open_form (FqAdminView *self,
           FormKind     kind,
           const char  *username)
{
  JsonObject *user = username != NULL ? g_hash_table_lookup (self->user_json, username) : NULL;
  Form *form = g_new0 (Form, 1);
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  form->self = self;
  form->kind = kind;
  form->username = g_strdup (username);

  switch (kind)
    {
    case FORM_CREATE:
      heading = g_strdup (_("New Account"));
      break;
    case FORM_PASSWORD:
      heading = g_strdup_printf (_("New Password for %s"), username);
      break;
    case FORM_ROLE:
      heading = g_strdup_printf (_("Role, Scope and Unit of %s"), username);
      break;
    default:
      g_assert_not_reached ();
    }

  dialog = adw_message_dialog_new (parent_window (self), heading,
                                   kind == FORM_PASSWORD
                                     ? _("The account's sessions end; the person signs in with the new password.")
                                     : NULL);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), build_form (form, user));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "save", kind == FORM_CREATE ? _("C_reate") : _("_Save"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "save",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "save");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "fq-form", form, (GDestroyNotify)form_free);
  g_signal_connect (dialog, "response", G_CALLBACK (form_response_cb), form);
  /* The dialog must not outlive the view it reports to. */
  g_signal_connect_object (self, "destroy", G_CALLBACK (gtk_window_destroy), dialog,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
password_button_clicked_cb (GtkButton   *button,
                            FqAdminView *self)
{
  open_form (self, FORM_PASSWORD, g_object_get_data (G_OBJECT (button), "username"));
}

static void
role_button_clicked_cb (GtkButton   *button,
                        FqAdminView *self)
{
  open_form (self, FORM_ROLE, g_object_get_data (G_OBJECT (button), "username"));
}

static void
new_user_button_clicked_cb (FqAdminView *self)
{
  if (self->context != NULL)
    open_form (self, FORM_CREATE, NULL);
}

static void
users_refresh_button_clicked_cb (FqAdminView *self)
{
  if (self->context != NULL)
    load_users (self);
}

static GtkWidget *
row_button (FqAdminView *self,
            const char  *label,
            const char  *accessible,
            const char  *username,
            GCallback    callback)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  set_accessible_label (button, accessible);
  g_object_set_data_full (G_OBJECT (button), "username", g_strdup (username), g_free);
  g_signal_connect_object (button, "clicked", callback, self, 0);
  return button;
}

static GtkWidget *
create_user_row (gpointer item,
                 gpointer user_data)
{
  FqAdminView *self = user_data;
  const char *username = gtk_string_object_get_string (item);
  JsonObject *user = g_hash_table_lookup (self->user_json, username);
  const char *display = member_string (user, "display_name");
  const char *role_name = member_string (user, "role");
  const char *scope = member_string (user, "scope");
  const char *unit = member_string (user, "unit");
  gboolean disabled = json_object_has_member (user, "disabled") &&
                      json_object_get_boolean_member (user, "disabled");
  int role = -1;
  g_autoptr(GString) subtitle = g_string_new (NULL);
  g_autofree char *title = NULL;
  g_autofree char *a11y = NULL;
  GtkWidget *row = adw_expander_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  const char *place;

  if (role_name != NULL)
    fq_enum_from_string (FQ_TYPE_ROLE, role_name, &role);
  place = scope != NULL ? fq_context_lookup_grid_name (self->context, scope) : NULL;

  /* Names come from the cache's reference data; the code until then. */
  g_string_append_printf (subtitle, "%s · %s", username, fq_role_label (role));
  if (scope != NULL)
    g_string_append_printf (subtitle, " · %s", place != NULL && *place != '\0' ? place : scope);
  if (unit != NULL)
    {
      const char *unit_name = fq_context_lookup_unit_name (self->context, unit);

      g_string_append_printf (subtitle, " · %s",
                              unit_name != NULL && *unit_name != '\0' ? unit_name : unit);
    }
  if (disabled)
    g_string_append_printf (subtitle, " · %s", _("Disabled"));

  title = g_markup_escape_text (display != NULL ? display : username, -1);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  {
    g_autofree char *escaped = g_markup_escape_text (subtitle->str, -1);

    adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), escaped);
  }

  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);

  a11y = g_strdup_printf (disabled ? _("Enable the account %s") : _("Disable the account %s"),
                          username);
  gtk_box_append (GTK_BOX (box),
                  row_button (self, disabled ? _("_Enable") : _("_Disable"), a11y, username,
                              G_CALLBACK (toggle_button_clicked_cb)));
  g_free (a11y);
  a11y = g_strdup_printf (_("Set a new password for %s"), username);
  gtk_box_append (GTK_BOX (box),
                  row_button (self, _("New _Password…"), a11y, username,
                              G_CALLBACK (password_button_clicked_cb)));
  g_free (a11y);
  a11y = g_strdup_printf (_("Change role, scope or unit of %s"), username);
  gtk_box_append (GTK_BOX (box),
                  row_button (self, _("Role, _Scope, Unit…"), a11y, username,
                              G_CALLBACK (role_button_clicked_cb)));
  adw_expander_row_add_row (ADW_EXPANDER_ROW (row), box);

  return row;
}

/* ---- audit ---- */

/* "2026-11-29" (a local date) as RFC 3339, plus @days; NULL if not a date. */
static char *
parse_date (const char *text,
            int         days)
{
  g_autoptr(GDateTime) start = NULL;
  g_autoptr(GDateTime) moved = NULL;
  guint year, month, day;
  char tail;

  if (sscanf (text, "%4u-%2u-%2u%c", &year, &month, &day, &tail) != 3)
    return NULL;
  start = fq_city_date_time (year, month, day, 0, 0, 0);
  if (start == NULL)
    return NULL;
  moved = g_date_time_add_days (start, days);
  return g_date_time_format_iso8601 (moved);
}

static void
append_param (GString    *query,
              const char *name,
              const char *value)
{
  g_autofree char *escaped = NULL;

  if (value == NULL || *value == '\0')
    return;
  escaped = g_uri_escape_string (value, NULL, FALSE);
  g_string_append_printf (query, "&%s=%s", name, escaped);
}

static void
audit_loaded_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(FqAdminView) self = user_data;
  g_autoptr(JsonNode) node = NULL;
  JsonArray *entries;
  guint n;

  if (!finish_call (self, object, result, self->audit_status, &node))
    return;

  entries = answer_array (node, "entries");
  n = entries != NULL ? json_array_get_length (entries) : 0;
  for (guint i = 0; i < n; i++)
    {
      JsonObject *entry = json_array_get_object_element (entries, i);
      g_autofree char *id = id_of (entry);

      if (id != NULL)
        store_put (self->audit, self->audit_json, id, entry);
    }

  g_clear_pointer (&self->audit_cursor, g_free);
  self->audit_cursor = g_strdup (member_string (json_node_get_object (node), "next_cursor"));
  gtk_widget_set_visible (GTK_WIDGET (self->audit_more_button), self->audit_cursor != NULL);
  if (g_list_model_get_n_items (G_LIST_MODEL (self->audit)) == 0)
    set_status (self->audit_status, _("Nothing recorded matches these filters."));
  else
    set_status (self->audit_status, NULL);
}

static void
load_audit_page (FqAdminView *self)
{
  g_autoptr(GString) path = g_string_new (NULL);

  g_string_printf (path, "/audit?limit=%d%s", AUDIT_PAGE, self->audit_query);
  append_param (path, "cursor", self->audit_cursor);
  set_status (self->audit_status, _("Loading the audit trail…"));
  call (self, "GET", path->str, NULL, audit_loaded_cb);
}

static void
audit_search_cb (FqAdminView *self)
{
  g_autoptr(GString) query = g_string_new (NULL);
  const char *from = gtk_editable_get_text (GTK_EDITABLE (self->audit_from));
  const char *to = gtk_editable_get_text (GTK_EDITABLE (self->audit_to));
  g_autofree char *record = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->audit_record))));
  g_autofree char *from_time = NULL;
  g_autofree char *to_time = NULL;
  g_autofree char *actor = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->audit_actor))));
  g_autofree char *action = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->audit_action))));

  if (self->context == NULL)
    return;

  if (*from != '\0' && (from_time = parse_date (from, 0)) == NULL)
    {
      set_status (self->audit_status, _("Write dates like 2026-11-29."));
      gtk_widget_grab_focus (GTK_WIDGET (self->audit_from));
      return;
    }
  /* "Until" includes that whole day. */
  if (*to != '\0' && (to_time = parse_date (to, 1)) == NULL)
    {
      set_status (self->audit_status, _("Write dates like 2026-11-29."));
      gtk_widget_grab_focus (GTK_WIDGET (self->audit_to));
      return;
    }

  append_param (query, "actor", actor);
  append_param (query, "action", action);
  if (record[0] == '/')
    {
      /* A path as the console writes it, below /api/v1. */
      g_autofree char *full = g_str_has_prefix (record, "/api/") ? g_strdup (record)
                                                                 : g_strconcat ("/api/v1", record, NULL);

      append_param (query, "path", full);
    }
  else
    append_param (query, "entity_id", record);
  append_param (query, "from", from_time);
  append_param (query, "to", to_time);

  g_free (self->audit_query);
  self->audit_query = g_string_free (g_steal_pointer (&query), FALSE);
  g_clear_pointer (&self->audit_cursor, g_free);
  store_clear (self->audit, self->audit_json);

  /* A new search replaces the one that may still be loading. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  load_audit_page (self);
}

static void
audit_more_button_clicked_cb (FqAdminView *self)
{
  if (self->context != NULL && self->audit_cursor != NULL)
    load_audit_page (self);
}

static char *
format_when (const char *rfc3339)
{
  g_autoptr(GDateTime) at = rfc3339 != NULL ? g_date_time_new_from_iso8601 (rfc3339, NULL) : NULL;
  g_autoptr(GDateTime) local = NULL;

  if (at == NULL)
    return g_strdup (rfc3339 != NULL ? rfc3339 : "");
  local = g_date_time_to_timezone (at, fq_city_zone ());
  return g_date_time_format (local, "%Y-%m-%d %H:%M:%S");
}

static GtkWidget *
create_audit_row (gpointer item,
                  gpointer user_data)
{
  FqAdminView *self = user_data;
  JsonObject *entry = g_hash_table_lookup (self->audit_json, gtk_string_object_get_string (item));
  const char *username = member_string (entry, "username");
  const char *detail = member_string (entry, "detail");
  const char *method = member_string (entry, "method");
  const char *entity = member_string (entry, "entity");
  const char *entity_id = member_string (entry, "entity_id");
  const char *remote = member_string (entry, "remote_address");
  g_autofree char *when = format_when (member_string (entry, "at"));
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;
  GtkWidget *row = adw_action_row_new ();

  title = g_markup_printf_escaped ("%s  %s — %s", when,
                                   username != NULL ? username : _("the system"),
                                   detail != NULL ? detail : method != NULL ? method : "");
  {
    g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
    g_autofree char *joined = NULL;
    const char *path = member_string (entry, "path");

    /* Only what the row has: a write of the demo feed has no request. */
    if (method != NULL || path != NULL)
      g_ptr_array_add (parts, g_strjoin (" ", method != NULL ? method : "", path != NULL ? path : "", NULL));
    if (entity != NULL || entity_id != NULL)
      g_ptr_array_add (parts, g_strjoin (" ", entity != NULL ? entity : "", entity_id != NULL ? entity_id : "", NULL));
    if (remote != NULL)
      g_ptr_array_add (parts, g_strdup (remote));
    if (json_object_has_member (entry, "status"))
      g_ptr_array_add (parts, g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (entry, "status")));
    g_ptr_array_add (parts, NULL);
    joined = g_strjoinv (" · ", (char **)parts->pdata);
    subtitle = g_markup_escape_text (joined, -1);
  }
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  return row;
}

/* ---- Open311 keys ---- */

static void
keys_loaded_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(FqAdminView) self = user_data;
  g_autoptr(JsonNode) node = NULL;
  JsonArray *keys;

  if (!finish_call (self, object, result, self->keys_status, &node))
    return;

  keys = answer_array (node, "keys");
  store_clear (self->keys, self->key_json);
  for (guint i = 0; keys != NULL && i < json_array_get_length (keys); i++)
    {
      JsonObject *key = json_array_get_object_element (keys, i);
      g_autofree char *id = id_of (key);

      if (id != NULL)
        store_put (self->keys, self->key_json, id, key);
    }
  set_status (self->keys_status, g_list_model_get_n_items (G_LIST_MODEL (self->keys)) == 0
                                   ? _("No key has been issued yet.") : NULL);
}

static void
load_keys (FqAdminView *self)
{
  call (self, "GET", "/open311_keys", NULL, keys_loaded_cb);
}

static void
copy_button_clicked_cb (GtkButton *button,
                        GtkLabel  *label)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)),
                          gtk_label_get_label (label));
  gtk_button_set_label (button, _("Copied"));
}

/* The key is shown once: the server keeps only its hash. */
static void
show_new_key (FqAdminView *self,
              const char  *name,
              const char  *api_key)
{
  g_autofree char *heading = g_strdup_printf (_("Key for %s"), name);
  GtkWidget *dialog = adw_message_dialog_new (parent_window (self), heading,
                                              _("Copy it now and give it to the other system's "
                                                "administrator: it is not shown again."));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new (api_key);
  GtkWidget *copy = gtk_button_new_with_mnemonic (_("_Copy"));

  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_CHAR);
  gtk_widget_add_css_class (label, "monospace");
  gtk_widget_set_hexpand (label, TRUE);
  set_accessible_label (label, _("The new key"));
  set_accessible_label (copy, _("Copy the key to the clipboard"));
  g_signal_connect (copy, "clicked", G_CALLBACK (copy_button_clicked_cb), label);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), copy);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Done"));
  g_signal_connect_object (self, "destroy", G_CALLBACK (gtk_window_destroy), dialog,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
key_issued_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(FqAdminView) self = user_data;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *key;
  const char *api_key;

  if (!finish_call (self, object, result, self->keys_status, &node))
    return;
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  key = json_node_get_object (node);
  api_key = member_string (key, "api_key");
  gtk_editable_set_text (GTK_EDITABLE (self->key_name), "");
  set_status (self->keys_status, NULL);
  if (api_key != NULL)
    show_new_key (self, member_string (key, "name") ?: "", api_key);
  /* The list's record (with its issue time), never the key itself. */
  load_keys (self);
}

static void
issue_key_cb (FqAdminView *self)
{
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->key_name))));
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) body = NULL;

  if (self->context == NULL)
    return;
  if (*name == '\0')
    {
      set_status (self->keys_status, _("Name the system the key is for first."));
      gtk_widget_grab_focus (GTK_WIDGET (self->key_name));
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, name);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);
  call (self, "POST", "/open311_keys", body, key_issued_cb);
}

static void
key_revoked_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(FqAdminView) self = user_data;
  g_autoptr(JsonNode) node = NULL;

  if (!finish_call (self, object, result, self->keys_status, &node))
    return;
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autofree char *id = id_of (json_node_get_object (node));

      if (id != NULL)
        {
          store_put (self->keys, self->key_json, id, json_node_get_object (node));
          set_status (self->keys_status, _("The key was revoked: it no longer works."));
          return;
        }
    }
  load_keys (self);
}

static void
revoke_button_clicked_cb (GtkButton   *button,
                          FqAdminView *self)
{
  g_autofree char *path = g_strdup_printf ("/open311_keys/%s/revoke",
                                           (const char *)g_object_get_data (G_OBJECT (button), "username"));

  gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
  call (self, "POST", path, NULL, key_revoked_cb);
}

static GtkWidget *
create_key_row (gpointer item,
                gpointer user_data)
{
  FqAdminView *self = user_data;
  const char *id = gtk_string_object_get_string (item);
  JsonObject *key = g_hash_table_lookup (self->key_json, id);
  const char *name = member_string (key, "name");
  const char *revoked = member_string (key, "revoked_at");
  g_autofree char *created = format_when (member_string (key, "created_at"));
  g_autofree char *title = g_markup_escape_text (name != NULL ? name : id, -1);
  g_autofree char *subtitle = NULL;
  GtkWidget *row = adw_action_row_new ();

  if (revoked != NULL)
    {
      g_autofree char *when = format_when (revoked);

      subtitle = g_strdup_printf (_("Issued %s · revoked %s"), created, when);
    }
  else
    subtitle = g_strdup_printf (_("Issued %s · in use"), created);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);

  if (revoked == NULL)
    {
      g_autofree char *a11y = g_strdup_printf (_("Revoke the key of %s"), name != NULL ? name : id);
      GtkWidget *button = row_button (self, _("_Revoke"), a11y, id,
                                      G_CALLBACK (revoke_button_clicked_cb));

      gtk_widget_add_css_class (button, "destructive-action");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
    }
  return row;
}

/* Once the grid is read from the cache, the rows name their places. */
static void
grid_loaded_cb (FqAdminView *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->users));
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (items, g_list_model_get_item (G_LIST_MODEL (self->users), i));
  g_list_store_splice (self->users, 0, n, items->pdata, n);
}

/* ---- GObject ---- */

static void
fq_admin_view_dispose (GObject *object)
{
  FqAdminView *self = (FqAdminView *)object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), FQ_TYPE_ADMIN_VIEW);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->context);
  g_clear_object (&self->users);
  g_clear_object (&self->audit);
  g_clear_object (&self->keys);
  g_clear_pointer (&self->user_json, g_hash_table_unref);
  g_clear_pointer (&self->audit_json, g_hash_table_unref);
  g_clear_pointer (&self->key_json, g_hash_table_unref);

  G_OBJECT_CLASS (fq_admin_view_parent_class)->dispose (object);
}

static void
fq_admin_view_finalize (GObject *object)
{
  FqAdminView *self = (FqAdminView *)object;

  g_free (self->audit_query);
  g_free (self->audit_cursor);

  G_OBJECT_CLASS (fq_admin_view_parent_class)->finalize (object);
}

static void
fq_admin_view_class_init (FqAdminViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fq_admin_view_dispose;
  object_class->finalize = fq_admin_view_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/cn/fengqiao/Console/fq-admin-view.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);

  gtk_widget_class_bind_template_child (widget_class, FqAdminView, main_box);
  gtk_widget_class_bind_template_child (widget_class, FqAdminView, stack);
  gtk_widget_class_bind_template_child (widget_class, FqAdminView, users_list);
  gtk_widget_class_bind_template_child (widget_class, FqAdminView, users_status);
  gtk_widget_class_bind_template_child (widget_class, FqAdminView, new_user_button);
  gtk_widget_class_bind_template_child (widget_class, FqAdminView, audit_list);
  gtk_widget_class_bind_template_child (widget_class, FqAdminView, audit_status);
  gtk_widget_class_bind_template_child (widget_class, FqAdminView, audit_more_button);
  gtk_widget_class_bind_template_child (widget_class, FqAdminView, audit_actor);
  gtk_widget_class_bind_template_child (widget_class, FqAdminView, audit_action);
  gtk_widget_class_bind_template_child (widget_class, FqAdminView, audit_record);
  gtk_widget_class_bind_template_child (widget_class, FqAdminView, audit_from);
  gtk_widget_class_bind_template_child (widget_class, FqAdminView, audit_to);
  gtk_widget_class_bind_template_child (widget_class, FqAdminView, keys_list);
  gtk_widget_class_bind_template_child (widget_class, FqAdminView, keys_status);
  gtk_widget_class_bind_template_child (widget_class, FqAdminView, key_name);
  gtk_widget_class_bind_template_callback (widget_class, new_user_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, users_refresh_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, audit_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, audit_more_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, issue_key_cb);
}

static void
fq_admin_view_init (FqAdminView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->audit_query = g_strdup ("");
  self->users = g_list_store_new (GTK_TYPE_STRING_OBJECT);
  self->audit = g_list_store_new (GTK_TYPE_STRING_OBJECT);
  self->keys = g_list_store_new (GTK_TYPE_STRING_OBJECT);
  self->user_json = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify)json_object_unref);
  self->audit_json = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify)json_object_unref);
  self->key_json = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify)json_object_unref);

  gtk_list_box_bind_model (self->users_list, G_LIST_MODEL (self->users),
                           create_user_row, self, NULL);
  gtk_list_box_bind_model (self->audit_list, G_LIST_MODEL (self->audit),
                           create_audit_row, self, NULL);
  gtk_list_box_bind_model (self->keys_list, G_LIST_MODEL (self->keys),
                           create_key_row, self, NULL);

  fq_label_track_accessible_label (self->users_status);
  fq_label_track_accessible_label (self->audit_status);
  fq_label_track_accessible_label (self->keys_status);
}

/**
 * fq_admin_view_set_context:
 * @self: the view
 * @context: a started context of an administrator
 *
 * Loads the accounts, the newest audit entries and the Open311 keys.
 */
void
fq_admin_view_set_context (FqAdminView *self,
                           FqContext   *context)
{
  g_return_if_fail (FQ_IS_ADMIN_VIEW (self));
  g_return_if_fail (FQ_IS_CONTEXT (context));

  if (!g_set_object (&self->context, context))
    return;
  g_signal_connect_object (fq_context_get_grid (context), "notify::loaded",
                           G_CALLBACK (grid_loaded_cb), self, G_CONNECT_SWAPPED);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  /* Only an administrator's page has anything to show; the server would
   * answer 403 to anyone else. */
  if (fq_context_get_role (context) != FQ_ROLE_ADMIN)
    return;

  load_users (self);
  load_keys (self);
  load_audit_page (self);
}

/* For tests: the accounts listed, (transfer none). */
GListModel *
fq_admin_view_get_users (FqAdminView *self)
{
  g_return_val_if_fail (FQ_IS_ADMIN_VIEW (self), NULL);

  return G_LIST_MODEL (self->users);
}
