/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Data"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "fq-cache-private.h"
#include "fq-category.h"
#include "fq-context.h"
#include "fq-enum-types.h"
#include "fq-json.h"
#include "fq-refdata.h"
#include "fq-unit.h"

struct _FqContext
{
  GObject         parent_instance;

  GSettings      *settings;
  FqClient       *client;
  FqCache        *cache;
  FqSync         *sync;
  FqOutbox       *outbox;
  FqLocalServer  *local_server;
  FqIncidentList *incidents;
  FqTicketList   *tickets;
  FqGridModel    *grid;
  GListStore     *categories;
  GListStore     *units;
  GHashTable     *group_names;   /* category group code → name */
  FqRefData      *refdata;       /* built from the cache on demand, NULL when stale */
  GCancellable   *cancellable;

  char           *username;
  char           *display_name;
  char           *unit;
  char           *scope;
  FqRole          role;
  gboolean        started;
};

enum {
  PROP_0,
  PROP_SETTINGS,
  PROP_SERVER_URL,
  PROP_USERNAME,
  PROP_DISPLAY_NAME,
  PROP_ROLE,
  PROP_UNIT,
  PROP_SCOPE,
  PROP_STARTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  CATEGORY_GROUPS_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FqContext, fq_context, G_TYPE_OBJECT)

static void
update_user (FqContext *self)
{
  JsonObject *user = fq_client_get_user (self->client);
  const char *role = NULL;
  int value = FQ_ROLE_LEADER;

  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->display_name, g_free);
  g_clear_pointer (&self->unit, g_free);
  g_clear_pointer (&self->scope, g_free);

  if (user != NULL)
    {
      self->username = g_strdup (fq_json_string_or (user, "username", NULL));
      self->display_name = g_strdup (fq_json_string_or (user, "display_name", self->username));
      self->unit = g_strdup (fq_json_string_or (user, "unit", NULL));
      self->scope = g_strdup (fq_json_string_or (user, "scope", NULL));
      role = fq_json_string_or (user, "role", NULL);
    }

  /* An unknown role gets the least power: read-only. */
  if (role == NULL || !fq_enum_from_string (FQ_TYPE_ROLE, role, &value))
    value = FQ_ROLE_LEADER;
  self->role = value;

  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USERNAME]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROLE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNIT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCOPE]);
  g_object_thaw_notify (G_OBJECT (self));
}

static int
cmp_category (gconstpointer a,
              gconstpointer b,
              gpointer      user_data)
{
  /* g_ptr_array_sort_with_data () passes pointers to the elements. */
  return g_strcmp0 (fq_category_get_code (*(FqCategory **)a),
                    fq_category_get_code (*(FqCategory **)b));
}

static int
cmp_unit (gconstpointer a,
          gconstpointer b,
          gpointer      user_data)
{
  return g_strcmp0 (fq_unit_get_id (*(FqUnit **)a), fq_unit_get_id (*(FqUnit **)b));
}

/* The 81 categories, in one splice. */
static void
rebuild_categories (FqContext *self)
{
  g_autoptr(GPtrArray) cats = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, fq_cache_get_ref_table (self->cache, "category"));
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autoptr(GError) error = NULL;
      FqCategory *cat = fq_category_new_from_json (value, &error);

      if (cat != NULL)
        g_ptr_array_add (cats, cat);
      else
        g_debug ("Skipping category %s: %s", (char *)key, error->message);
    }
  g_ptr_array_sort_with_data (cats, (GCompareDataFunc)cmp_category, NULL);
  g_list_store_splice (self->categories, 0,
                       g_list_model_get_n_items (G_LIST_MODEL (self->categories)),
                       cats->pdata, cats->len);
}

/* The units of the user's scope, in one splice: 1,330 in Huangshi, about
 * 800,000 for the whole country. Once, at the start; after that they
 * change row by row (apply_unit_changes()). */
static void
rebuild_units (FqContext *self)
{
  g_autoptr(GPtrArray) units = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, fq_cache_get_ref_table (self->cache, "unit"));
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autoptr(GError) error = NULL;
      FqUnit *unit = fq_unit_new_from_json (value, &error);

      if (unit != NULL)
        g_ptr_array_add (units, unit);
      else
        g_debug ("Skipping unit %s: %s", (char *)key, error->message);
    }
  g_ptr_array_sort_with_data (units, (GCompareDataFunc)cmp_unit, NULL);
  g_list_store_splice (self->units, 0, g_list_model_get_n_items (G_LIST_MODEL (self->units)),
                       units->pdata, units->len);
}

/* Where the unit @id is in the list sorted by id, or would go (@found). */
static guint
unit_position (GListModel *units,
               const char *id,
               gboolean   *found)
{
  guint lo = 0, hi = g_list_model_get_n_items (units);

  *found = FALSE;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      g_autoptr(FqUnit) unit = g_list_model_get_item (units, mid);
      int cmp = g_strcmp0 (fq_unit_get_id (unit), id);

      if (cmp == 0)
        {
          *found = TRUE;
          return mid;
        }
      if (cmp < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* A batch's units, row by row: replaced, inserted at their place, or
 * removed. */
static void
apply_unit_changes (FqContext    *self,
                    FqCacheBatch *batch)
{
  GHashTable *table = fq_cache_get_ref_table (self->cache, "unit");

  for (guint i = 0; i < batch->others->len; i++)
    {
      FqChangeRef *change = g_ptr_array_index (batch->others, i);
      JsonObject *obj;
      g_autoptr(FqUnit) unit = NULL;
      g_autoptr(GError) error = NULL;
      gboolean found;
      guint position;

      if (g_strcmp0 (change->entity, "unit") != 0)
        continue;
      obj = g_hash_table_lookup (table, change->id);
      if (obj != NULL && (unit = fq_unit_new_from_json (obj, &error)) == NULL)
        g_debug ("Skipping unit %s: %s", change->id, error->message);
      position = unit_position (G_LIST_MODEL (self->units), change->id, &found);
      if (unit != NULL)
        g_list_store_splice (self->units, position, found ? 1 : 0, (gpointer *)&unit, 1);
      else if (found)
        g_list_store_remove (self->units, position);
    }
}

static void
rebuild_reference (FqContext *self)
{
  rebuild_categories (self);
  rebuild_units (self);
}

/* Adds the node @code at @level, its ancestors first. The cache holds the
 * nodes of the user's scope only: the ancestors above it are added under
 * their codes (as places, without names), because a lead unit may sit
 * there, and FqRefData needs one root. */
static void
add_node_with_ancestors (FqRefData  *ref,
                         GHashTable *grid,
                         const char *code,
                         int         level)
{
  JsonObject *obj;
  const char *name;
  const char *parent;
  g_autofree char *synthetic_parent = NULL;

  if (fq_refdata_get_node (ref, code) != NULL)
    return;

  obj = g_hash_table_lookup (grid, code);
  name = obj != NULL ? fq_json_string_or (obj, "name", code) : code;
  parent = obj != NULL ? fq_json_string_or (obj, "parent", NULL) : NULL;

  if (parent == NULL && level > FQ_GRID_LEVEL_CITY &&
      strlen (code) >= fq_grid_level_prefix_length (level - 1))
    {
      /* The parent's code: this code cut to the parent level's digits and
       * filled with zeros to 12 digits. */
      synthetic_parent = g_strnfill (12, '0');
      memcpy (synthetic_parent, code, fq_grid_level_prefix_length (level - 1));
      parent = synthetic_parent;
    }

  if (parent != NULL)
    {
      JsonObject *pobj = g_hash_table_lookup (grid, parent);
      int plevel = level - 1;

      if (pobj != NULL)
        fq_enum_from_string (FQ_TYPE_GRID_LEVEL,
                             fq_json_string_or (pobj, "level", ""),
                             &plevel);
      if (plevel < FQ_GRID_LEVEL_COUNTRY || plevel >= level)
        return;
      add_node_with_ancestors (ref, grid, parent, plevel);
      if (fq_refdata_get_node (ref, parent) == NULL)
        return;
    }
  else if (fq_refdata_get_root (ref) != NULL)
    {
      /* A second root cannot be: a node out of shape is left out. */
      return;
    }

  fq_refdata_add_node (ref, code, name, level, parent);
}

static GStrv
json_strv (JsonObject *obj,
           const char *member)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonNode *node = json_object_get_member (obj, member);

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (element) &&
              json_node_get_value_type (element) == G_TYPE_STRING)
            g_strv_builder_add (builder, json_node_get_string (element));
        }
    }
  return g_strv_builder_end (builder);
}

/* The core's reference data, made from the cached grid, categories and
 * units, so that the console asks the core's rules (fq_refdata_lead_unit())
 * the same questions the server asks them. A few thousand records: built on
 * first use after each change, in a few milliseconds. */
static FqRefData *
build_refdata (FqContext *self)
{
  FqRefData *ref = fq_refdata_new ();
  GHashTable *grid = fq_cache_get_ref_table (self->cache, "grid");
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, grid);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      int level = FQ_GRID_LEVEL_GRID;

      if (!fq_enum_from_string (FQ_TYPE_GRID_LEVEL,
                                fq_json_string_or (value, "level", ""),
                                &level))
        continue;
      add_node_with_ancestors (ref, grid, key, level);
    }

  g_hash_table_iter_init (&iter, fq_cache_get_ref_table (self->cache, "category"));
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      JsonObject *obj = value;
      g_auto(GStrv) support = json_strv (obj, "support_unit_kinds");
      g_auto(GStrv) keywords = json_strv (obj, "keywords");
      int tier = 0;
      FqCategoryInfo info = {
        .code = key,
        .name = (char *)fq_json_string_or (obj, "name", key),
        .name_en = (char *)fq_json_string_or (obj, "name_en", NULL),
        .group = (char *)fq_json_string_or (obj, "group", NULL),
        .lead_unit_kind = (char *)fq_json_string_or (obj, "lead_unit_kind", NULL),
        .support_unit_kinds = support,
        .police_only = fq_json_bool_or (obj, "police_only", FALSE),
        .deadline_hours = fq_json_int_or (obj, "deadline_hours", 0),
        .keywords = keywords,
      };

      if (info.lead_unit_kind == NULL)
        continue;
      fq_enum_from_string (FQ_TYPE_TIER,
                           fq_json_string_or (obj, "tier", ""), &tier);
      info.tier = tier;
      fq_refdata_add_category (ref, &info);
    }

  g_hash_table_iter_init (&iter, fq_cache_get_ref_table (self->cache, "unit"));
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      JsonObject *obj = value;
      int kind = 0;
      FqUnitInfo info = {
        .id = key,
        .name = (char *)fq_json_string_or (obj, "name", key),
        .name_en = (char *)fq_json_string_or (obj, "name_en", NULL),
        .function = (char *)fq_json_string_or (obj, "function", NULL),
        .grid = (char *)fq_json_string_or (obj, "grid", NULL),
      };

      if (info.function == NULL || info.grid == NULL)
        continue;
      fq_enum_from_string (FQ_TYPE_UNIT_KIND,
                           fq_json_string_or (obj, "kind", ""), &kind);
      info.kind = kind;
      fq_refdata_add_unit (ref, &info);
    }

  return ref;
}

static void
records_changed_cb (FqContext    *self,
                    FqCacheBatch *batch,
                    FqCache      *cache)
{
  gboolean categories = FALSE;

  if (!batch->ref_changed)
    return;

  g_clear_pointer (&self->refdata, fq_refdata_unref);
  for (guint i = 0; i < batch->others->len && !categories; i++)
    categories = g_strcmp0 (((FqChangeRef *)batch->others->pdata[i])->entity, "category") == 0;
  if (categories)
    rebuild_categories (self);
  apply_unit_changes (self, batch);
}

static void
pending_changed_cb (FqContext  *self,
                    const char *entity,
                    const char *entity_id,
                    FqOutbox   *outbox)
{
  gboolean pending;

  if (entity_id == NULL)
    return;

  pending = fq_outbox_is_pending (outbox, entity_id);
  if (g_strcmp0 (entity, "incident") == 0 && self->incidents != NULL)
    fq_incident_list_set_pending (self->incidents, entity_id, pending);
  else if (g_strcmp0 (entity, "ticket") == 0 && self->tickets != NULL)
    fq_ticket_list_set_pending (self->tickets, entity_id, pending);
}

/* The names of the category groups come with GET /categories only (the
 * change feed carries the categories, which name their group by its code). */
static void
categories_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(FqContext) self = user_data;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *obj;
  JsonArray *groups;
  gboolean changed = FALSE;

  root = fq_client_call_finish (FQ_CLIENT (object), result, &error);
  if (root == NULL)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("No category group names: %s", error->message);
      return;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return;
  obj = json_node_get_object (root);
  if (!json_object_has_member (obj, "groups") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (obj, "groups")))
    return;

  groups = json_object_get_array_member (obj, "groups");
  for (guint i = 0; i < json_array_get_length (groups); i++)
    {
      JsonNode *node = json_array_get_element (groups, i);
      JsonObject *group;
      const char *code, *name;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      group = json_node_get_object (node);
      code = fq_json_string_or (group, "code", NULL);
      name = fq_json_string_or (group, "name", NULL);
      if (code == NULL || name == NULL || name[0] == '\0')
        continue;
      if (g_strcmp0 (g_hash_table_lookup (self->group_names, code), name) == 0)
        continue;
      g_hash_table_insert (self->group_names, g_strdup (code), g_strdup (name));
      changed = TRUE;
    }

  /* Not a new splice of the categories: that would reset the category a
   * person has chosen in a combo row over them. */
  if (changed)
    g_signal_emit (self, signals[CATEGORY_GROUPS_CHANGED], 0);
}

static void
outbox_load_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FqContext *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!fq_outbox_load_finish (FQ_OUTBOX (object), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      /* The pending writes stay in the cache for the next start. */
      g_warning ("Cannot load the outbox: %s", error->message);
    }

  fq_sync_start (self->sync);
  fq_client_call_async (self->client, "GET", "/categories", NULL, NULL, self->cancellable,
                        categories_cb, g_object_ref (self));
  self->started = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STARTED]);
  g_task_return_boolean (task, TRUE);
}

static void
cache_open_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  FqContext *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;

  if (!fq_cache_open_finish (FQ_CACHE (object), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  /* The models read the cache first, so the views paint before the sync
   * has said anything. */
  self->incidents = fq_incident_list_new (self->cache);
  /* The rest of a large cache is read once the board has painted its
   * first page (fq_incident_board lets go), not while it paints it. */
  fq_incident_list_hold_rest (self->incidents, TRUE);
  self->tickets = fq_ticket_list_new (self->cache);
  self->grid = fq_grid_model_new (self->cache);
  rebuild_reference (self);
  g_signal_connect_object (self->cache, "records-changed", G_CALLBACK (records_changed_cb), self,
                           G_CONNECT_SWAPPED);

  self->sync = fq_sync_new (self->client, self->cache);
  self->outbox = fq_outbox_new (self->client, self->cache, self->sync);
  g_signal_connect_object (self->outbox, "pending-changed", G_CALLBACK (pending_changed_cb), self,
                           G_CONNECT_SWAPPED);

  cancellable = g_task_get_cancellable (task);
  fq_outbox_load_async (self->outbox, cancellable, outbox_load_cb, g_steal_pointer (&task));
}

void
fq_context_start_async (FqContext           *self,
                        const char          *cache_path,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (FQ_IS_CONTEXT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, fq_context_start_async);

  if (!fq_client_get_signed_in (self->client))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("Sign in before opening the console."));
      return;
    }
  if (self->cache != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS, "Already started");
      return;
    }

  update_user (self);

  path = cache_path ? g_strdup (cache_path)
                    : fq_cache_build_path (fq_client_get_server_id (self->client), self->username);
  self->cache = fq_cache_new (path);
  fq_cache_open_async (self->cache, cancellable, cache_open_cb, g_steal_pointer (&task));
}

gboolean
fq_context_start_finish (FqContext     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (FQ_IS_CONTEXT (self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
fq_context_stop (FqContext *self)
{
  g_return_if_fail (FQ_IS_CONTEXT (self));

  g_cancellable_cancel (self->cancellable);
  if (self->sync != NULL)
    fq_sync_stop (self->sync);
  if (self->outbox != NULL)
    g_signal_handlers_disconnect_by_data (self->outbox, self);
  if (self->cache != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->cache, self);
      fq_cache_close (self->cache);
    }
  if (self->started)
    {
      self->started = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STARTED]);
    }
}

static void
fq_context_dispose (GObject *object)
{
  FqContext *self = (FqContext *)object;

  fq_context_stop (self);
  g_clear_object (&self->outbox);
  g_clear_object (&self->sync);
  g_clear_object (&self->incidents);
  g_clear_object (&self->tickets);
  g_clear_object (&self->grid);
  g_clear_object (&self->cache);
  if (self->local_server != NULL)
    fq_local_server_stop (self->local_server);
  g_clear_object (&self->local_server);
  g_clear_object (&self->client);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (fq_context_parent_class)->dispose (object);
}

static void
fq_context_finalize (GObject *object)
{
  FqContext *self = (FqContext *)object;

  g_clear_object (&self->categories);
  g_clear_object (&self->units);
  g_clear_pointer (&self->group_names, g_hash_table_unref);
  g_clear_pointer (&self->refdata, fq_refdata_unref);
  g_clear_object (&self->cancellable);
  g_free (self->username);
  g_free (self->display_name);
  g_free (self->unit);
  g_free (self->scope);

  G_OBJECT_CLASS (fq_context_parent_class)->finalize (object);
}

static void
fq_context_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  FqContext *self = FQ_CONTEXT (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_SERVER_URL:
      g_value_set_string (value, fq_client_get_base_url (self->client));
      break;
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, self->display_name);
      break;
    case PROP_ROLE:
      g_value_set_enum (value, self->role);
      break;
    case PROP_UNIT:
      g_value_set_string (value, self->unit);
      break;
    case PROP_SCOPE:
      g_value_set_string (value, self->scope);
      break;
    case PROP_STARTED:
      g_value_set_boolean (value, self->started);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_context_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  FqContext *self = FQ_CONTEXT (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    case PROP_SERVER_URL:
      self->client = fq_client_new (g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* The extra certificate authority of a city that runs its own (setting
 * "ca-file", set by `fengqiao --ca-file`). A file that cannot be read makes
 * every call fail with a sentence that says so, rather than a certificate
 * error that would send the operator looking elsewhere. */
static void
fq_context_constructed (GObject *object)
{
  FqContext *self = (FqContext *)object;

  G_OBJECT_CLASS (fq_context_parent_class)->constructed (object);

  if (self->settings != NULL && self->client != NULL)
    {
      g_autoptr(GSettingsSchema) schema = NULL;
      g_autofree char *ca_file = NULL;
      g_autoptr(GError) error = NULL;

      g_object_get (self->settings, "settings-schema", &schema, NULL);
      if (schema != NULL && g_settings_schema_has_key (schema, "ca-file"))
        ca_file = g_settings_get_string (self->settings, "ca-file");
      if (ca_file != NULL && ca_file[0] != '\0' &&
          !fq_client_set_ca_file (self->client, ca_file, &error))
        g_message ("The CA file cannot be used: %s", error->message);
    }
}

static void
fq_context_class_init (FqContextClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->constructed = fq_context_constructed;
  object_class->dispose = fq_context_dispose;
  object_class->finalize = fq_context_finalize;
  object_class->get_property = fq_context_get_property;
  object_class->set_property = fq_context_set_property;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SERVER_URL] =
    g_param_spec_string ("server-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_USERNAME] = g_param_spec_string ("username", NULL, NULL, NULL, ro);
  properties[PROP_DISPLAY_NAME] = g_param_spec_string ("display-name", NULL, NULL, NULL, ro);
  properties[PROP_ROLE] = g_param_spec_enum ("role", NULL, NULL, FQ_TYPE_ROLE, FQ_ROLE_LEADER, ro);
  properties[PROP_UNIT] = g_param_spec_string ("unit", NULL, NULL, NULL, ro);
  properties[PROP_SCOPE] = g_param_spec_string ("scope", NULL, NULL, NULL, ro);
  properties[PROP_STARTED] = g_param_spec_boolean ("started", NULL, NULL, FALSE, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The names of the category groups arrived or changed
   * (fq_context_lookup_category_group_name()). */
  signals[CATEGORY_GROUPS_CHANGED] =
    g_signal_new ("category-groups-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
fq_context_init (FqContext *self)
{
  self->cancellable = g_cancellable_new ();
  self->categories = g_list_store_new (FQ_TYPE_CATEGORY);
  self->units = g_list_store_new (FQ_TYPE_UNIT);
  self->group_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->role = FQ_ROLE_LEADER;
}

FqContext *
fq_context_new (GSettings  *settings,
                const char *server_url)
{
  g_return_val_if_fail (settings == NULL || G_IS_SETTINGS (settings), NULL);

  return g_object_new (FQ_TYPE_CONTEXT,
                       "settings", settings,
                       "server-url", server_url,
                       NULL);
}

void
fq_context_set_local_server (FqContext     *self,
                             FqLocalServer *server)
{
  g_return_if_fail (FQ_IS_CONTEXT (self));
  g_return_if_fail (server == NULL || FQ_IS_LOCAL_SERVER (server));

  g_set_object (&self->local_server, server);
}

#define GETTER(type, name, field) \
  type fq_context_get_##name (FqContext *self) \
  { \
    g_return_val_if_fail (FQ_IS_CONTEXT (self), (type)0); \
    return self->field; \
  }

GETTER (GSettings *, settings, settings)
GETTER (FqClient *, client, client)
GETTER (FqCache *, cache, cache)
GETTER (FqSync *, sync, sync)
GETTER (FqOutbox *, outbox, outbox)
GETTER (const char *, username, username)
GETTER (const char *, display_name, display_name)
GETTER (FqRole, role, role)
GETTER (const char *, unit, unit)
GETTER (const char *, scope, scope)
GETTER (gboolean, started, started)
GETTER (FqIncidentList *, incidents, incidents)
GETTER (FqTicketList *, tickets, tickets)
GETTER (FqGridModel *, grid, grid)

GListModel *
fq_context_get_categories (FqContext *self)
{
  g_return_val_if_fail (FQ_IS_CONTEXT (self), NULL);
  return G_LIST_MODEL (self->categories);
}

GListModel *
fq_context_get_units (FqContext *self)
{
  g_return_val_if_fail (FQ_IS_CONTEXT (self), NULL);
  return G_LIST_MODEL (self->units);
}

JsonObject *
fq_context_lookup_category (FqContext  *self,
                            const char *code)
{
  g_return_val_if_fail (FQ_IS_CONTEXT (self), NULL);
  return self->cache ? fq_cache_lookup_ref (self->cache, "category", code) : NULL;
}

JsonObject *
fq_context_lookup_unit (FqContext  *self,
                        const char *id)
{
  g_return_val_if_fail (FQ_IS_CONTEXT (self), NULL);
  return self->cache ? fq_cache_lookup_ref (self->cache, "unit", id) : NULL;
}

static const char *
lookup_name (FqContext  *self,
             const char *entity,
             const char *code)
{
  JsonObject *obj;

  if (self->cache == NULL || code == NULL)
    return "";
  obj = fq_cache_lookup_ref (self->cache, entity, code);
  return obj ? fq_json_string_or (obj, "name", "") : "";
}

const char *
fq_context_lookup_category_name (FqContext  *self,
                                 const char *code)
{
  g_return_val_if_fail (FQ_IS_CONTEXT (self), "");
  return lookup_name (self, "category", code);
}

const char *
fq_context_lookup_unit_name (FqContext  *self,
                             const char *id)
{
  g_return_val_if_fail (FQ_IS_CONTEXT (self), "");
  return lookup_name (self, "unit", id);
}

const char *
fq_context_lookup_grid_name (FqContext  *self,
                             const char *code)
{
  g_return_val_if_fail (FQ_IS_CONTEXT (self), "");
  return lookup_name (self, "grid", code);
}

const char *
fq_context_lookup_category_group_name (FqContext  *self,
                                       const char *code)
{
  g_return_val_if_fail (FQ_IS_CONTEXT (self), NULL);

  return code != NULL ? g_hash_table_lookup (self->group_names, code) : NULL;
}

const char *
fq_context_preview_lead_unit (FqContext  *self,
                              const char *category,
                              const char *grid_code)
{
  const FqUnitInfo *unit;

  g_return_val_if_fail (FQ_IS_CONTEXT (self), NULL);

  if (self->cache == NULL || category == NULL || grid_code == NULL)
    return NULL;

  if (self->refdata == NULL)
    {
      gint64 begin = g_get_monotonic_time ();

      self->refdata = build_refdata (self);
      g_debug ("Reference data for the lead unit built in %.1f ms",
               (g_get_monotonic_time () - begin) / 1000.0);
    }

  unit = fq_refdata_lead_unit (self->refdata, category, grid_code);
  return unit != NULL ? fq_context_lookup_unit_name (self, unit->id) : NULL;
}
