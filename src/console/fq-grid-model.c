/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Data"

#include "config.h"

#include <string.h>

#include "fq-cache-private.h"
#include "fq-city-time.h"
#include "fq-client.h"
#include "fq-enum-types.h"
#include "fq-grid-model.h"
#include "fq-json.h"
#include "fq-refdata.h"

/* ---- FqGridItem --------------------------------------------------------- */

struct _FqGridItem
{
  GObject      parent_instance;

  char        *code;
  char        *name;
  char        *path;
  char        *prefix;
  char        *parent;
  FqGridLevel  level;
  GListStore  *children;   /* NULL for a leaf */
  guint        n_new_today;
  guint        n_open;
  guint        n_overdue;
};

enum {
  ITEM_PROP_0,
  ITEM_PROP_CODE,
  ITEM_PROP_NAME,
  ITEM_PROP_PATH,
  ITEM_PROP_PREFIX,
  ITEM_PROP_LEVEL,
  ITEM_PROP_HAS_CHILDREN,
  ITEM_PROP_N_NEW_TODAY,
  ITEM_PROP_N_OPEN,
  ITEM_PROP_N_OVERDUE,
  ITEM_N_PROPS
};

static GParamSpec *item_properties[ITEM_N_PROPS];

G_DEFINE_FINAL_TYPE (FqGridItem, fq_grid_item, G_TYPE_OBJECT)

static void
fq_grid_item_finalize (GObject *object)
{
  FqGridItem *self = (FqGridItem *)object;

  g_free (self->code);
  g_free (self->name);
  g_free (self->path);
  g_free (self->prefix);
  g_free (self->parent);
  g_clear_object (&self->children);

  G_OBJECT_CLASS (fq_grid_item_parent_class)->finalize (object);
}

static void
fq_grid_item_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  FqGridItem *self = FQ_GRID_ITEM (object);

  switch (prop_id)
    {
    case ITEM_PROP_CODE: g_value_set_string (value, self->code); break;
    case ITEM_PROP_NAME: g_value_set_string (value, self->name); break;
    case ITEM_PROP_PATH: g_value_set_string (value, self->path); break;
    case ITEM_PROP_PREFIX: g_value_set_string (value, self->prefix); break;
    case ITEM_PROP_LEVEL: g_value_set_enum (value, self->level); break;
    case ITEM_PROP_HAS_CHILDREN: g_value_set_boolean (value, fq_grid_item_get_has_children (self)); break;
    case ITEM_PROP_N_NEW_TODAY: g_value_set_uint (value, self->n_new_today); break;
    case ITEM_PROP_N_OPEN: g_value_set_uint (value, self->n_open); break;
    case ITEM_PROP_N_OVERDUE: g_value_set_uint (value, self->n_overdue); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_grid_item_class_init (FqGridItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = fq_grid_item_finalize;
  object_class->get_property = fq_grid_item_get_property;

  item_properties[ITEM_PROP_CODE] = g_param_spec_string ("code", NULL, NULL, "", flags);
  item_properties[ITEM_PROP_NAME] = g_param_spec_string ("name", NULL, NULL, "", flags);
  item_properties[ITEM_PROP_PATH] = g_param_spec_string ("path", NULL, NULL, "", flags);
  item_properties[ITEM_PROP_PREFIX] = g_param_spec_string ("prefix", NULL, NULL, "", flags);
  item_properties[ITEM_PROP_LEVEL] =
    g_param_spec_enum ("level", NULL, NULL, FQ_TYPE_GRID_LEVEL, FQ_GRID_LEVEL_CITY, flags);
  item_properties[ITEM_PROP_HAS_CHILDREN] =
    g_param_spec_boolean ("has-children", NULL, NULL, FALSE, flags);
  item_properties[ITEM_PROP_N_NEW_TODAY] =
    g_param_spec_uint ("n-new-today", NULL, NULL, 0, G_MAXUINT, 0, flags);
  item_properties[ITEM_PROP_N_OPEN] =
    g_param_spec_uint ("n-open", NULL, NULL, 0, G_MAXUINT, 0, flags);
  item_properties[ITEM_PROP_N_OVERDUE] =
    g_param_spec_uint ("n-overdue", NULL, NULL, 0, G_MAXUINT, 0, flags);
  g_object_class_install_properties (object_class, ITEM_N_PROPS, item_properties);
}

static void
fq_grid_item_init (FqGridItem *self)
{
  self->level = FQ_GRID_LEVEL_CITY;
}

const char *
fq_grid_item_get_code (FqGridItem *self)
{
  g_return_val_if_fail (FQ_IS_GRID_ITEM (self), NULL);
  return self->code;
}

const char *
fq_grid_item_get_name (FqGridItem *self)
{
  g_return_val_if_fail (FQ_IS_GRID_ITEM (self), NULL);
  return self->name;
}

const char *
fq_grid_item_get_path (FqGridItem *self)
{
  g_return_val_if_fail (FQ_IS_GRID_ITEM (self), NULL);
  return self->path;
}

const char *
fq_grid_item_get_prefix (FqGridItem *self)
{
  g_return_val_if_fail (FQ_IS_GRID_ITEM (self), NULL);
  return self->prefix;
}

FqGridLevel
fq_grid_item_get_level (FqGridItem *self)
{
  g_return_val_if_fail (FQ_IS_GRID_ITEM (self), FQ_GRID_LEVEL_CITY);
  return self->level;
}

gboolean
fq_grid_item_get_has_children (FqGridItem *self)
{
  g_return_val_if_fail (FQ_IS_GRID_ITEM (self), FALSE);
  return self->children != NULL &&
         g_list_model_get_n_items (G_LIST_MODEL (self->children)) > 0;
}

guint
fq_grid_item_get_n_new_today (FqGridItem *self)
{
  g_return_val_if_fail (FQ_IS_GRID_ITEM (self), 0);
  return self->n_new_today;
}

guint
fq_grid_item_get_n_open (FqGridItem *self)
{
  g_return_val_if_fail (FQ_IS_GRID_ITEM (self), 0);
  return self->n_open;
}

guint
fq_grid_item_get_n_overdue (FqGridItem *self)
{
  g_return_val_if_fail (FQ_IS_GRID_ITEM (self), 0);
  return self->n_overdue;
}

static void
item_set_counts (FqGridItem *self,
                 guint       n_new_today,
                 guint       n_open,
                 guint       n_overdue)
{
  /* Most nodes keep their counts: they cost no notification at all. */
  if (self->n_new_today == n_new_today && self->n_open == n_open &&
      self->n_overdue == n_overdue)
    return;

  g_object_freeze_notify (G_OBJECT (self));
  if (self->n_new_today != n_new_today)
    {
      self->n_new_today = n_new_today;
      g_object_notify_by_pspec (G_OBJECT (self), item_properties[ITEM_PROP_N_NEW_TODAY]);
    }
  if (self->n_open != n_open)
    {
      self->n_open = n_open;
      g_object_notify_by_pspec (G_OBJECT (self), item_properties[ITEM_PROP_N_OPEN]);
    }
  if (self->n_overdue != n_overdue)
    {
      self->n_overdue = n_overdue;
      g_object_notify_by_pspec (G_OBJECT (self), item_properties[ITEM_PROP_N_OVERDUE]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

/* ---- FqGridModel -------------------------------------------------------- */

struct _FqGridModel
{
  GObject       parent_instance;

  FqCache      *cache;
  GCancellable *cancellable;
  GListStore   *roots;
  GHashTable   *items;        /* code → FqGridItem */
  GHashTable   *by_prefix;    /* scope prefix → FqGridItem (borrowed) */
  GPtrArray    *tree_order;   /* FqGridItem (borrowed), depth first */
  gboolean      tree_order_stale;
  guint         midnight_id;
  guint         counting : 1;
  guint         count_again : 1;
  guint         loaded : 1;
};

enum {
  PROP_0,
  PROP_LOADED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FqGridModel, fq_grid_model, G_TYPE_OBJECT)

static int
cmp_items_by_code (gconstpointer a,
                   gconstpointer b,
                   gpointer      user_data)
{
  /* g_ptr_array_sort_with_data () passes pointers to the elements. */
  return g_strcmp0 ((*(FqGridItem **)a)->code, (*(FqGridItem **)b)->code);
}

static void
collect_tree_order (FqGridModel *self,
                    GListModel  *model)
{
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FqGridItem) item = g_list_model_get_item (model, i);

      g_ptr_array_add (self->tree_order, item);
      if (item->children != NULL)
        collect_tree_order (self, G_LIST_MODEL (item->children));
    }
}

static gboolean
replace_string (char       **field,
                const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

/* Brings @store, sorted by code, to the items of @want, sorted by code too,
 * in place: a node that left is removed where it is, a new one is inserted
 * at its position, and the nodes that stay are not touched, so that a tree
 * view keeps their rows and their expanded state. Neighbours that come or
 * go together do so in one splice (one items-changed): a new cache brings
 * a street's hundreds of communities, or a country's 31 provinces with
 * everything below them, at once. */
static void
sync_store (GListStore *store,
            GPtrArray  *want)
{
  guint i = 0, j = 0;

  for (;;)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (store));
      g_autoptr(FqGridItem) cur = i < n ? g_list_model_get_item (G_LIST_MODEL (store), i) : NULL;
      FqGridItem *w = j < want->len ? g_ptr_array_index (want, j) : NULL;
      int cmp;

      if (cur == NULL && w == NULL)
        break;

      cmp = cur == NULL ? 1 : w == NULL ? -1 : strcmp (cur->code, w->code);
      if (cmp < 0)
        {
          /* @cur and the stored nodes after it up to the next wanted one. */
          guint k = i + 1;

          for (; k < n; k++)
            {
              g_autoptr(FqGridItem) next = g_list_model_get_item (G_LIST_MODEL (store), k);

              if (w != NULL && strcmp (next->code, w->code) >= 0)
                break;
            }
          g_list_store_splice (store, i, k - i, NULL, 0);
        }
      else if (cmp > 0)
        {
          /* @w and the wanted nodes after it up to @cur. */
          guint k = j + 1;

          while (k < want->len &&
                 (cur == NULL || strcmp (((FqGridItem *)want->pdata[k])->code, cur->code) < 0))
            k++;
          g_list_store_splice (store, i, 0, &want->pdata[j], k - j);
          i += k - j;
          j = k;
        }
      else
        {
          /* Items keep their identity by code; a stale object under the
           * same code is replaced all the same. */
          if (cur != w)
            g_list_store_splice (store, i, 1, (gpointer *)&w, 1);
          i++;
          j++;
        }
    }
}

/* Returns whether @item went from no children to some, or back. */
static gboolean
sync_children (FqGridItem *item,
               GPtrArray  *want)
{
  gboolean had_children = item->children != NULL &&
                          g_list_model_get_n_items (G_LIST_MODEL (item->children)) > 0;
  gboolean has_children;

  if (item->children == NULL)
    {
      if (want == NULL || want->len == 0)
        return FALSE;
      item->children = g_list_store_new (FQ_TYPE_GRID_ITEM);
    }

  if (want != NULL)
    {
      sync_store (item->children, want);
    }
  else
    {
      g_list_store_remove_all (item->children);
    }

  has_children = g_list_model_get_n_items (G_LIST_MODEL (item->children)) > 0;
  if (had_children == has_children)
    return FALSE;
  g_object_notify_by_pspec (G_OBJECT (item), item_properties[ITEM_PROP_HAS_CHILDREN]);
  return TRUE;
}

/* GtkTreeListModel asks a row for its children
 * (fq_grid_model_create_child_model()) once, when the row appears; whether
 * it can be opened never changes after that. A node that gains its first
 * child, or loses its last, therefore takes its own place again in its
 * parent's list (items-changed (i, 1, 1), the same item) so that the tree
 * asks again: a street that gets its first community while the console
 * runs can be opened at once. A selection on that row stays on it: the
 * row made again is at the same position and holds the same node. */
static void
reannounce_item (FqGridModel *self,
                 FqGridItem  *item)
{
  FqGridItem *up = item->parent != NULL ? g_hash_table_lookup (self->items, item->parent) : NULL;
  guint position;

  if (up != NULL && up->children != NULL && g_list_store_find (up->children, item, &position))
    g_list_store_splice (up->children, position, 1, (gpointer *)&item, 1);
  else if (g_list_store_find (self->roots, item, &position))
    g_list_store_splice (self->roots, position, 1, (gpointer *)&item, 1);
}

/* The item of the node @code, made if new (@is_new), with the fields of
 * its record @obj; what changed notifies. */
static FqGridItem *
update_item (FqGridModel *self,
             const char  *code,
             JsonObject  *obj,
             gboolean    *is_new)
{
  FqGridItem *item = g_hash_table_lookup (self->items, code);
  const char *level = fq_json_string_or (obj, "level", "grid");
  const char *name;
  g_autofree char *prefix = NULL;
  int lv = FQ_GRID_LEVEL_GRID;

  if (is_new != NULL)
    *is_new = item == NULL;
  if (item == NULL)
    {
      item = g_object_new (FQ_TYPE_GRID_ITEM, NULL);
      item->code = g_strdup (code);
      g_hash_table_insert (self->items, item->code, item);
    }

  g_object_freeze_notify (G_OBJECT (item));
  fq_enum_from_string (FQ_TYPE_GRID_LEVEL, level, &lv);
  if (item->level != (FqGridLevel)lv)
    {
      item->level = lv;
      g_object_notify_by_pspec (G_OBJECT (item), item_properties[ITEM_PROP_LEVEL]);
    }
  name = fq_json_string_or (obj, "name", code);
  if (replace_string (&item->name, name))
    g_object_notify_by_pspec (G_OBJECT (item), item_properties[ITEM_PROP_NAME]);
  if (replace_string (&item->path,
                      fq_json_string_or (obj, "path", item->name)))
    g_object_notify_by_pspec (G_OBJECT (item), item_properties[ITEM_PROP_PATH]);
  replace_string (&item->parent,
                  fq_json_string_or (obj, "parent", NULL));
  prefix = g_strndup (item->code, MIN (strlen (item->code), fq_grid_level_prefix_length (lv)));
  if (replace_string (&item->prefix, prefix))
    g_object_notify_by_pspec (G_OBJECT (item), item_properties[ITEM_PROP_PREFIX]);
  g_object_thaw_notify (G_OBJECT (item));
  return item;
}

/* The nodes in depth-first order (type-to-find, the counts), collected
 * again after nodes were added. */
static GPtrArray *
get_tree_order (FqGridModel *self)
{
  if (self->tree_order_stale)
    {
      g_ptr_array_set_size (self->tree_order, 0);
      collect_tree_order (self, G_LIST_MODEL (self->roots));
      self->tree_order_stale = FALSE;
    }
  return self->tree_order;
}

static int
cmp_items (gconstpointer a,
           gconstpointer b,
           gpointer      user_data)
{
  return strcmp (((FqGridItem *)a)->code, ((FqGridItem *)b)->code);
}

/* Applies a batch's grid records row by row: a node changed in place, or
 * a new one inserted below its parent, at its position. Returns FALSE,
 * having done part of it perhaps, where only build_tree() can say what
 * the tree is now: a node left or moved, a new root, or a node whose
 * parent is not placed yet. */
static gboolean
apply_grid_changes (FqGridModel  *self,
                    FqCacheBatch *batch)
{
  GHashTable *refs = fq_cache_get_ref_table (self->cache, "grid");

  for (guint i = 0; i < batch->others->len; i++)
    {
      FqChangeRef *change = g_ptr_array_index (batch->others, i);
      JsonObject *obj;
      FqGridItem *item, *parent;
      const char *parent_code;
      gboolean is_new;

      if (g_strcmp0 (change->entity, "grid") != 0)
        continue;
      obj = g_hash_table_lookup (refs, change->id);
      if (obj == NULL)
        return FALSE;
      item = g_hash_table_lookup (self->items, change->id);
      parent_code = fq_json_string_or (obj, "parent", NULL);
      if (item != NULL && g_strcmp0 (item->parent, parent_code) != 0)
        return FALSE;
      parent = parent_code != NULL && g_hash_table_contains (refs, parent_code)
               ? g_hash_table_lookup (self->items, parent_code) : NULL;
      if (item == NULL && parent == NULL)
        return FALSE;

      if (item != NULL)
        g_hash_table_remove (self->by_prefix, item->prefix);
      item = update_item (self, change->id, obj, &is_new);
      g_hash_table_insert (self->by_prefix, item->prefix, item);
      if (is_new)
        {
          gboolean had_children = fq_grid_item_get_has_children (parent);

          if (parent->children == NULL)
            parent->children = g_list_store_new (FQ_TYPE_GRID_ITEM);
          g_list_store_insert_sorted (parent->children, item, cmp_items, NULL);
          if (!had_children)
            {
              g_object_notify_by_pspec (G_OBJECT (parent), item_properties[ITEM_PROP_HAS_CHILDREN]);
              reannounce_item (self, parent);
            }
          self->tree_order_stale = TRUE;
        }
    }
  return TRUE;
}

/* Builds the hierarchy from the reference data in the cache, and brings it
 * up to date after each batch that changed it. The update happens in place:
 * items keep their identity, only the nodes that changed notify, new nodes
 * are inserted at their position, and the roots are never replaced, so that
 * the branches a person has expanded stay open while they work. */
static void
build_tree (FqGridModel *self)
{
  GHashTable *refs = fq_cache_get_ref_table (self->cache, "grid");
  g_autoptr(GPtrArray) all = g_ptr_array_new ();
  g_autoptr(GPtrArray) roots = g_ptr_array_new ();
  g_autoptr(GHashTable) wanted = NULL;   /* parent FqGridItem → GPtrArray */
  g_autoptr(GPtrArray) parents = NULL;
  g_autoptr(GPtrArray) flipped = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, refs);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_ptr_array_add (all, update_item (self, key, value, NULL));

  g_ptr_array_sort_with_data (all, (GCompareDataFunc)cmp_items_by_code, NULL);
  g_hash_table_remove_all (self->by_prefix);

  /* Each parent's wanted children, in code order. */
  wanted = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify)g_ptr_array_unref);
  for (guint i = 0; i < all->len; i++)
    {
      FqGridItem *item = all->pdata[i];
      FqGridItem *parent = NULL;
      GPtrArray *children;

      g_hash_table_insert (self->by_prefix, item->prefix, item);

      /* A parent outside the user's scope makes this node a root. */
      if (item->parent != NULL && g_hash_table_contains (refs, item->parent))
        parent = g_hash_table_lookup (self->items, item->parent);
      if (parent == NULL)
        {
          g_ptr_array_add (roots, item);
          continue;
        }

      children = g_hash_table_lookup (wanted, parent);
      if (children == NULL)
        {
          children = g_ptr_array_new ();
          g_hash_table_insert (wanted, parent, children);
        }
      g_ptr_array_add (children, item);
    }

  /* Every node that has or had children; the nodes that left the reference
   * data go from their parents' stores here, and from the index below. */
  parents = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, self->items);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      FqGridItem *item = value;

      if (g_hash_table_contains (refs, key) &&
          (item->children != NULL || g_hash_table_contains (wanted, item)))
        g_ptr_array_add (parents, item);
    }
  g_ptr_array_sort_with_data (parents, (GCompareDataFunc)cmp_items_by_code, NULL);
  for (guint i = 0; i < parents->len; i++)
    {
      FqGridItem *item = parents->pdata[i];

      if (sync_children (item, g_hash_table_lookup (wanted, item)))
        g_ptr_array_add (flipped, item);
    }

  sync_store (self->roots, roots);
  /* Not on the first build: no tree has seen a row yet. */
  for (guint i = 0; self->loaded && i < flipped->len; i++)
    reannounce_item (self, flipped->pdata[i]);

  /* Nodes that left the reference data. */
  g_hash_table_iter_init (&iter, self->items);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (refs, key))
      g_hash_table_iter_remove (&iter);

  self->tree_order_stale = TRUE;
}

/* ---- counts ------------------------------------------------------------- */

typedef struct
{
  gint64  today;
  gint64  now;
} CountQuery;

typedef struct
{
  char  *grid;
  guint  n_new_today;
  guint  n_open;
  guint  n_overdue;
} GridCount;

static void
grid_count_free (GridCount *gc)
{
  g_free (gc->grid);
  g_free (gc);
}

static gpointer
count_job (sqlite3       *db,
           gpointer       data,
           GCancellable  *cancellable,
           GError       **error)
{
  CountQuery *q = data;
  GHashTable *counts = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                              (GDestroyNotify)grid_count_free);
  sqlite3_stmt *stmt = NULL;

#define COUNT_FOR(grid_text) \
  ({ const char *_g = (grid_text) ? (grid_text) : ""; \
     GridCount *_c = g_hash_table_lookup (counts, _g); \
     if (_c == NULL) { _c = g_new0 (GridCount, 1); _c->grid = g_strdup (_g); \
                       g_hash_table_insert (counts, _c->grid, _c); } \
     _c; })

  if (sqlite3_prepare_v2 (db, "SELECT grid, count(*) FROM incidents WHERE received_at >= ?"
                          " GROUP BY grid", -1, &stmt, NULL) == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, q->today);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        COUNT_FOR ((const char *)sqlite3_column_text (stmt, 0))->n_new_today =
          sqlite3_column_int (stmt, 1);
    }
  sqlite3_finalize (stmt);

  /* Overdue as the core's SLA rules say: the server's flag, or waiting for
   * acceptance past the limit, or open past the deadline. States: 0
   * dispatched, 1 accepted, 2 resolved, 3 closed, 4 returned. */
  if (sqlite3_prepare_v2 (db,
                          "SELECT grid, count(*), sum(CASE WHEN state IN (0, 1, 4) AND ("
                          "  overdue != 0"
                          "  OR (state IN (0, 4) AND accepted_at = 0 AND dispatched_at > 0"
                          "      AND ?1 > dispatched_at + 7200)"
                          "  OR (deadline > 0 AND ?1 > deadline)) THEN 1 ELSE 0 END)"
                          " FROM tickets WHERE state IN (0, 1, 2, 4) GROUP BY grid",
                          -1, &stmt, NULL) == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, q->now);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          GridCount *c = COUNT_FOR ((const char *)sqlite3_column_text (stmt, 0));

          c->n_open = sqlite3_column_int (stmt, 1);
          c->n_overdue = sqlite3_column_int (stmt, 2);
        }
    }
  sqlite3_finalize (stmt);

#undef COUNT_FOR

  return counts;
}

/* The node a record's grid code belongs to: itself, or the deepest node
 * whose scope prefix it starts with (a grid cell below the nodes known). */
static FqGridItem *
owner_of (FqGridModel *self,
          const char  *code)
{
  FqGridItem *item = g_hash_table_lookup (self->items, code);
  gsize len;

  if (item != NULL)
    return item;

  len = strlen (code);
  for (int lv = FQ_GRID_LEVEL_GRID; lv >= FQ_GRID_LEVEL_COUNTRY; lv--)
    {
      g_autofree char *prefix = NULL;

      if (fq_grid_level_prefix_length (lv) > len)
        continue;
      prefix = g_strndup (code, fq_grid_level_prefix_length (lv));
      item = g_hash_table_lookup (self->by_prefix, prefix);
      if (item != NULL)
        return item;
    }
  return NULL;
}

static void recount (FqGridModel *self);

static void
count_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  FqGridModel *self = user_data;
  g_autoptr(GHashTable) counts = NULL;
  g_autoptr(GHashTable) totals = NULL;
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  gpointer key, value;

  self->counting = FALSE;
  counts = fq_cache_run_finish (FQ_CACHE (object), result, &error);
  if (counts == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
        g_warning ("Cannot count incidents per grid node: %s", error->message);
      g_object_unref (self);
      return;
    }

  /* Sums over each subtree: every count is added to its node and to all
   * the node's ancestors. */
  totals = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_hash_table_iter_init (&iter, counts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GridCount *c = value;
      FqGridItem *item = owner_of (self, key);

      while (item != NULL)
        {
          guint *t = g_hash_table_lookup (totals, item);

          if (t == NULL)
            {
              t = g_new0 (guint, 3);
              g_hash_table_insert (totals, item, t);
            }
          t[0] += c->n_new_today;
          t[1] += c->n_open;
          t[2] += c->n_overdue;
          item = item->parent ? g_hash_table_lookup (self->items, item->parent) : NULL;
        }
    }

  g_hash_table_iter_init (&iter, self->items);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      FqGridItem *item = value;
      guint *t = g_hash_table_lookup (totals, item);

      if (t != NULL)
        item_set_counts (item, t[0], t[1], t[2]);
      else
        item_set_counts (item, 0, 0, 0);
    }

  if (self->count_again)
    recount (self);
  g_object_unref (self);
}

static gint64
city_midnight (gint64 *next)
{
  g_autoptr(GDateTime) now = fq_city_now ();
  g_autoptr(GDateTime) midnight = fq_city_date_time (g_date_time_get_year (now),
                                                     g_date_time_get_month (now),
                                                     g_date_time_get_day_of_month (now),
                                                     0, 0, 0);
  if (next != NULL)
    {
      g_autoptr(GDateTime) tomorrow = g_date_time_add_days (midnight, 1);

      *next = g_date_time_to_unix (tomorrow);
    }
  return g_date_time_to_unix (midnight);
}

static void
recount (FqGridModel *self)
{
  CountQuery *q;

  /* One count at a time; a burst of batches causes at most one more. */
  if (self->counting)
    {
      self->count_again = TRUE;
      return;
    }
  self->counting = TRUE;
  self->count_again = FALSE;

  q = g_new0 (CountQuery, 1);
  q->today = city_midnight (NULL);
  q->now = fq_client_get_server_time () / G_USEC_PER_SEC;
  fq_cache_run_async (self->cache, count_job, q, g_free, (GDestroyNotify)g_hash_table_unref,
                      self->cancellable, count_cb, g_object_ref (self));
}

static gboolean
midnight_cb (gpointer data)
{
  FqGridModel *self = data;
  gint64 next;

  /* Also every ten minutes: overdue counts move with the clock. */
  recount (self);
  city_midnight (&next);
  self->midnight_id = g_timeout_add_seconds (MIN (600, MAX (1, next - g_get_real_time () / G_USEC_PER_SEC)),
                                             midnight_cb, self);
  return G_SOURCE_REMOVE;
}

static void
records_changed_cb (FqGridModel  *self,
                    FqCacheBatch *batch,
                    FqCache      *cache)
{
  /* Row by row where it can be; else build_tree(), which walks every
   * node (seconds for the whole country's 665,272), but only for a batch
   * that brings the scope's root, or moves or removes a node. A node
   * added row by row starts at zero: the server takes no record for a
   * place before the place exists; after a rebuild, all is counted again. */
  if (batch->ref_changed && !apply_grid_changes (self, batch))
    {
      build_tree (self);
      recount (self);
    }
  else if (batch->incidents->len > 0 || batch->tickets->len > 0)
    recount (self);
}

static void
fq_grid_model_dispose (GObject *object)
{
  FqGridModel *self = (FqGridModel *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->midnight_id, g_source_remove);
  if (self->cache != NULL)
    g_signal_handlers_disconnect_by_data (self->cache, self);
  g_clear_object (&self->cache);
  if (self->roots != NULL)
    g_list_store_remove_all (self->roots);

  G_OBJECT_CLASS (fq_grid_model_parent_class)->dispose (object);
}

static void
fq_grid_model_finalize (GObject *object)
{
  FqGridModel *self = (FqGridModel *)object;

  g_clear_object (&self->cancellable);
  g_clear_object (&self->roots);
  g_clear_pointer (&self->tree_order, g_ptr_array_unref);
  g_clear_pointer (&self->by_prefix, g_hash_table_unref);
  g_clear_pointer (&self->items, g_hash_table_unref);

  G_OBJECT_CLASS (fq_grid_model_parent_class)->finalize (object);
}

static void
fq_grid_model_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  FqGridModel *self = FQ_GRID_MODEL (object);

  switch (prop_id)
    {
    case PROP_LOADED:
      g_value_set_boolean (value, self->loaded);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_grid_model_class_init (FqGridModelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fq_grid_model_dispose;
  object_class->finalize = fq_grid_model_finalize;
  object_class->get_property = fq_grid_model_get_property;

  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fq_grid_model_init (FqGridModel *self)
{
  self->cancellable = g_cancellable_new ();
  self->roots = g_list_store_new (FQ_TYPE_GRID_ITEM);
  self->items = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  self->by_prefix = g_hash_table_new (g_str_hash, g_str_equal);
  self->tree_order = g_ptr_array_new ();
}

FqGridModel *
fq_grid_model_new (FqCache *cache)
{
  FqGridModel *self;

  g_return_val_if_fail (FQ_IS_CACHE (cache), NULL);

  self = g_object_new (FQ_TYPE_GRID_MODEL, NULL);
  self->cache = g_object_ref (cache);
  g_signal_connect_object (cache, "records-changed", G_CALLBACK (records_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (cache, "closing", G_CALLBACK (g_cancellable_cancel), self->cancellable,
                           G_CONNECT_SWAPPED);

  /* The reference data is in memory from the cache's open on. */
  build_tree (self);
  self->loaded = TRUE;
  recount (self);
  midnight_cb (self);
  return self;
}

GListModel *
fq_grid_model_get_roots (FqGridModel *self)
{
  g_return_val_if_fail (FQ_IS_GRID_MODEL (self), NULL);
  return G_LIST_MODEL (self->roots);
}

GListModel *
fq_grid_model_create_child_model (gpointer item,
                                  gpointer user_data)
{
  FqGridItem *grid_item = item;

  g_return_val_if_fail (FQ_IS_GRID_ITEM (grid_item), NULL);

  if (!fq_grid_item_get_has_children (grid_item))
    return NULL;
  return g_object_ref (G_LIST_MODEL (grid_item->children));
}

FqGridItem *
fq_grid_model_lookup (FqGridModel *self,
                      const char  *code)
{
  g_return_val_if_fail (FQ_IS_GRID_MODEL (self), NULL);

  if (code == NULL)
    return NULL;
  return g_hash_table_lookup (self->items, code);
}

gboolean
fq_grid_model_get_loaded (FqGridModel *self)
{
  g_return_val_if_fail (FQ_IS_GRID_MODEL (self), FALSE);
  return self->loaded;
}

GStrv
fq_grid_model_find (FqGridModel *self,
                    const char  *text,
                    const char  *after_code)
{
  g_autofree char *needle = NULL;
  GPtrArray *order;
  guint n, start = 0;

  g_return_val_if_fail (FQ_IS_GRID_MODEL (self), NULL);

  if (text == NULL || text[0] == '\0')
    return NULL;

  needle = g_utf8_casefold (text, -1);
  order = get_tree_order (self);
  n = order->len;

  if (after_code != NULL)
    for (guint i = 0; i < n; i++)
      if (g_strcmp0 (((FqGridItem *)order->pdata[i])->code, after_code) == 0)
        {
          start = i + 1;
          break;
        }

  for (guint k = 0; k < n; k++)
    {
      FqGridItem *item = order->pdata[(start + k) % n];
      g_autofree char *name = g_utf8_casefold (item->name, -1);

      if (strstr (name, needle) != NULL)
        {
          GPtrArray *path = g_ptr_array_new ();
          FqGridItem *p;

          for (p = item; p != NULL; p = p->parent ? g_hash_table_lookup (self->items, p->parent) : NULL)
            g_ptr_array_insert (path, 0, g_strdup (p->code));
          g_ptr_array_add (path, NULL);
          return (GStrv)g_ptr_array_free (path, FALSE);
        }
    }

  return NULL;
}
