/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Fengqiao-Server"

#include "config.h"

#include <string.h>

#include "fq-enum-types.h"
#include "fq-server-infra.h"
#include "fq-store.h"

/*
 * Reference data: the grid, the categories and the units. The files of
 * data/ are imported into the database once, when a data directory is new
 * (each record also becomes a change, so that clients sync it like anything
 * else); from then on the database is the truth and the server rebuilds its
 * FqRefData from it at every start. Grid nodes are visible inside a scope;
 * categories and units are shared by everybody (changes with no grid).
 */

/* ---- JSON of the records ---- */

static void
add_string_or_null (JsonBuilder *builder,
                    const char  *name,
                    const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
build_node (JsonBuilder          *builder,
            const FqGridNodeInfo *node)
{
  json_builder_begin_object (builder);
  add_string_or_null (builder, "code", node->code);
  add_string_or_null (builder, "name", node->name);
  add_string_or_null (builder, "level", fq_enum_to_string (FQ_TYPE_GRID_LEVEL, node->level));
  add_string_or_null (builder, "parent", node->parent);
  add_string_or_null (builder, "path", node->path);
  add_string_or_null (builder, "short_name", node->short_name);
  add_string_or_null (builder, "name_en", node->name_en);
  json_builder_end_object (builder);
}

static void
build_category (JsonBuilder          *builder,
                const FqCategoryInfo *category)
{
  json_builder_begin_object (builder);
  add_string_or_null (builder, "code", category->code);
  add_string_or_null (builder, "name", category->name);
  add_string_or_null (builder, "name_en", category->name_en);
  add_string_or_null (builder, "group", category->group);
  add_string_or_null (builder, "lead_unit_kind", category->lead_unit_kind);
  json_builder_set_member_name (builder, "support_unit_kinds");
  json_builder_begin_array (builder);
  for (guint i = 0; category->support_unit_kinds != NULL && category->support_unit_kinds[i]; i++)
    json_builder_add_string_value (builder, category->support_unit_kinds[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "police_only");
  json_builder_add_boolean_value (builder, category->police_only);
  add_string_or_null (builder, "tier", fq_enum_to_string (FQ_TYPE_TIER, category->tier));
  json_builder_set_member_name (builder, "deadline_hours");
  json_builder_add_int_value (builder, category->deadline_hours);
  json_builder_set_member_name (builder, "keywords");
  json_builder_begin_array (builder);
  for (guint i = 0; category->keywords != NULL && category->keywords[i]; i++)
    json_builder_add_string_value (builder, category->keywords[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

static void
build_group (JsonBuilder               *builder,
             const FqCategoryGroupInfo *group)
{
  json_builder_begin_object (builder);
  add_string_or_null (builder, "code", group->code);
  add_string_or_null (builder, "name", group->name);
  add_string_or_null (builder, "name_en", group->name_en);
  json_builder_end_object (builder);
}

static void
build_unit (JsonBuilder      *builder,
            const FqUnitInfo *unit)
{
  json_builder_begin_object (builder);
  add_string_or_null (builder, "id", unit->id);
  add_string_or_null (builder, "name", unit->name);
  add_string_or_null (builder, "name_en", unit->name_en);
  add_string_or_null (builder, "kind", fq_enum_to_string (FQ_TYPE_UNIT_KIND, unit->kind));
  add_string_or_null (builder, "function", unit->function);
  add_string_or_null (builder, "grid", unit->grid);
  json_builder_end_object (builder);
}

typedef void (*BuildFunc) (JsonBuilder *builder, gconstpointer record);

static char *
record_json (BuildFunc     build,
             gconstpointer record)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonNode) root = NULL;

  build (builder, record);
  root = json_builder_get_root (builder);
  return fq_json_to_string (root, NULL);
}

/* ---- import ---- */

static gboolean
step_done (sqlite3       *db,
           sqlite3_stmt  *stmt,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  return fq_store_check (db, rc, error);
}

static gboolean
insert_node (sqlite3               *db,
             const FqGridNodeInfo  *node,
             gint64                 ord,
             gint64                 now,
             gboolean              *inserted,
             GError               **error)
{
  sqlite3_stmt *stmt;
  g_autofree char *json = NULL;

  stmt = fq_store_prepare_cached (db,
                                  "INSERT OR IGNORE INTO grid_nodes (code, name, level, parent, ord,"
                                  " short_name, name_en, short_en) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, node->code, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, node->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, fq_enum_to_string (FQ_TYPE_GRID_LEVEL, node->level), -1,
                     SQLITE_STATIC);
  if (node->parent != NULL)
    sqlite3_bind_text (stmt, 4, node->parent, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 5, ord);
  sqlite3_bind_text (stmt, 6, node->short_name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 7, node->name_en, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 8, node->short_en, -1, SQLITE_STATIC);
  if (!step_done (db, stmt, error))
    return FALSE;

  *inserted = sqlite3_changes (db) > 0;
  if (!*inserted)
    return TRUE;

  json = record_json ((BuildFunc)build_node, node);
  return fq_store_append_change (db, now, "grid", node->code, "upsert", node->code, NULL,
                                 json, error) > 0;
}

static gboolean
insert_group (sqlite3                    *db,
              const FqCategoryGroupInfo  *group,
              gint64                      ord,
              GError                    **error)
{
  sqlite3_stmt *stmt;

  stmt = fq_store_prepare_cached (db,
                                  "INSERT OR IGNORE INTO category_groups (code, name, name_en, ord)"
                                  " VALUES (?, ?, ?, ?)",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, group->code, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, group->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, group->name_en, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, ord);
  return step_done (db, stmt, error);
}

static gboolean
insert_category (sqlite3               *db,
                 const FqCategoryInfo  *category,
                 gint64                 ord,
                 gint64                 now,
                 GError               **error)
{
  sqlite3_stmt *stmt;
  g_autofree char *support = NULL;
  g_autofree char *keywords = NULL;
  g_autofree char *json = NULL;

  stmt = fq_store_prepare_cached (db,
                                  "INSERT OR IGNORE INTO categories (code, name, name_en, grp,"
                                  " lead_unit_kind, support_unit_kinds, police_only, tier,"
                                  " deadline_hours, ord, keywords)"
                                  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                  error);
  if (stmt == NULL)
    return FALSE;
  support = category->support_unit_kinds != NULL
            ? g_strjoinv (",", category->support_unit_kinds) : g_strdup ("");
  sqlite3_bind_text (stmt, 1, category->code, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, category->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, category->name_en, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, category->group, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, category->lead_unit_kind, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, support, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 7, category->police_only);
  sqlite3_bind_text (stmt, 8, fq_enum_to_string (FQ_TYPE_TIER, category->tier), -1,
                     SQLITE_STATIC);
  sqlite3_bind_int (stmt, 9, category->deadline_hours);
  sqlite3_bind_int64 (stmt, 10, ord);
  keywords = category->keywords != NULL ? g_strjoinv ("\n", category->keywords) : g_strdup ("");
  sqlite3_bind_text (stmt, 11, keywords, -1, SQLITE_STATIC);
  if (!step_done (db, stmt, error))
    return FALSE;
  if (sqlite3_changes (db) == 0)
    return TRUE;

  json = record_json ((BuildFunc)build_category, category);
  return fq_store_append_change (db, now, "category", category->code, "upsert", NULL, NULL,
                                 json, error) > 0;
}

static gboolean
insert_unit (sqlite3           *db,
             const FqUnitInfo  *unit,
             gint64             ord,
             gint64             now,
             gboolean          *inserted,
             GError           **error)
{
  sqlite3_stmt *stmt;
  g_autofree char *json = NULL;

  stmt = fq_store_prepare_cached (db,
                                  "INSERT OR IGNORE INTO units (id, name, name_en, kind, function,"
                                  " grid, ord) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, unit->id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, unit->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, unit->name_en, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, fq_enum_to_string (FQ_TYPE_UNIT_KIND, unit->kind), -1,
                     SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, unit->function, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 6, unit->grid, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 7, ord);
  if (!step_done (db, stmt, error))
    return FALSE;

  *inserted = sqlite3_changes (db) > 0;
  if (!*inserted)
    return TRUE;

  json = record_json ((BuildFunc)build_unit, unit);
  return fq_store_append_change (db, now, "unit", unit->id, "upsert", NULL, NULL,
                                 json, error) > 0;
}

static gint64
next_ord (sqlite3    *db,
          const char *table)
{
  g_autofree char *sql = g_strdup_printf ("SELECT coalesce (max (ord), -1) + 1 FROM %s", table);
  sqlite3_stmt *stmt = NULL;
  gint64 ord = 0;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    ord = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return ord;
}

static gboolean
import_refdata (sqlite3    *db,
                FqRefData  *ref,
                gboolean    with_categories,
                gint64      now,
                guint      *n_nodes,
                guint      *n_units,
                GError    **error)
{
  GPtrArray *nodes = fq_refdata_get_nodes (ref);
  GPtrArray *units = fq_refdata_get_units (ref);
  gint64 ord;
  gboolean inserted;

  *n_nodes = 0;
  *n_units = 0;

  ord = next_ord (db, "grid_nodes");
  for (guint i = 0; i < nodes->len; i++)
    {
      if (!insert_node (db, g_ptr_array_index (nodes, i), ord, now, &inserted, error))
        return FALSE;
      if (inserted)
        {
          ord++;
          (*n_nodes)++;
        }
    }

  if (with_categories)
    {
      GPtrArray *groups = fq_refdata_get_groups (ref);
      GPtrArray *categories = fq_refdata_get_categories (ref);

      for (guint i = 0; groups != NULL && i < groups->len; i++)
        if (!insert_group (db, g_ptr_array_index (groups, i), i, error))
          return FALSE;
      for (guint i = 0; categories != NULL && i < categories->len; i++)
        if (!insert_category (db, g_ptr_array_index (categories, i), i, now, error))
          return FALSE;
    }

  ord = next_ord (db, "units");
  for (guint i = 0; units != NULL && i < units->len; i++)
    {
      if (!insert_unit (db, g_ptr_array_index (units, i), ord, now, &inserted, error))
        return FALSE;
      if (inserted)
        {
          ord++;
          (*n_units)++;
        }
    }

  return TRUE;
}

gboolean
fq_reference_import_dir (sqlite3     *db,
                         const char  *datadir,
                         gint64       now,
                         GError     **error)
{
  g_autoptr(FqRefData) ref = NULL;
  guint n_nodes, n_units;

  ref = fq_refdata_new_from_dir (datadir, error);
  if (ref == NULL)
    {
      g_prefix_error (error, "reference data in %s: ", datadir);
      return FALSE;
    }

  g_debug ("loaded the reference files");
  if (!import_refdata (db, ref, TRUE, now, &n_nodes, &n_units, error))
    return FALSE;

  g_message ("imported %u grid nodes and %u units from %s", n_nodes, n_units, datadir);
  return TRUE;
}

/* The file's nodes above @old_root, from the file's root down. */
static GPtrArray *
ancestors_in_file (FqRefData            *ref,
                   const FqGridNodeInfo *old_root)
{
  GPtrArray *chain = g_ptr_array_new ();
  const FqGridNodeInfo *node = fq_refdata_get_node (ref, old_root->code);

  for (node = fq_refdata_get_node (ref, node->parent);
       node != NULL;
       node = fq_refdata_get_node (ref, node->parent))
    g_ptr_array_insert (chain, 0, (gpointer)node);
  return chain;
}

static gint64
min_ord (sqlite3 *db)
{
  sqlite3_stmt *stmt = NULL;
  gint64 ord = 0;

  if (sqlite3_prepare_v2 (db, "SELECT coalesce (min (ord), 0) FROM grid_nodes", -1, &stmt,
                          NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    ord = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return ord;
}

/* The file puts a new root above this server's root (a province file
 * around the city the server started with): the new ancestors are stored
 * before the old root (the grid is loaded in `ord` order, parents first),
 * the old root gets its parent, every node that was here is sent again
 * (its path now starts at the new root), and the administrators of the
 * whole server, who are scoped to its root, stay so. */
static gboolean
wrap_old_root (sqlite3               *db,
               FqRefData             *ref,
               FqRefData             *existing,
               const FqGridNodeInfo  *old_root,
               gint64                 now,
               guint                 *n_nodes,
               GError               **error)
{
  g_autoptr(GPtrArray) chain = ancestors_in_file (ref, old_root);
  g_autoptr(FqRefData) after = NULL;
  g_autoptr(GPtrArray) here = NULL;
  const FqGridNodeInfo *new_root = g_ptr_array_index (chain, 0);
  const FqGridNodeInfo *parent = g_ptr_array_index (chain, chain->len - 1);
  sqlite3_stmt *stmt;
  gint64 ord = min_ord (db) - chain->len;
  gboolean inserted;
  int rc;

  for (guint i = 0; i < chain->len; i++)
    {
      if (!insert_node (db, g_ptr_array_index (chain, i), ord + i, now, &inserted, error))
        return FALSE;
      if (inserted)
        (*n_nodes)++;
    }

  stmt = fq_store_prepare_cached (db, "UPDATE grid_nodes SET parent = ? WHERE code = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, parent->code, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, old_root->code, -1, SQLITE_STATIC);
  if (!step_done (db, stmt, error))
    return FALSE;

  after = fq_reference_load (db, error);
  if (after == NULL)
    return FALSE;
  here = fq_refdata_get_nodes (existing);
  for (guint i = 0; i < here->len; i++)
    {
      const FqGridNodeInfo *node = g_ptr_array_index (here, i);
      g_autofree char *json = record_json ((BuildFunc)build_node,
                                           fq_refdata_get_node (after, node->code));

      if (fq_store_append_change (db, now, "grid", node->code, "upsert", node->code, NULL,
                                  json, error) <= 0)
        return FALSE;
    }

  stmt = fq_store_prepare_cached (db,
                                  "INSERT INTO audit (at, entity, entity_id, detail)"
                                  " SELECT ?, 'user', username, ? FROM users"
                                  " WHERE role = 'admin' AND scope = ?",
                                  error);
  if (stmt == NULL)
    return FALSE;
  {
    g_autofree char *detail = g_strdup_printf ("scope %s → %s (--import-grid: new root)",
                                               old_root->code, new_root->code);

    sqlite3_bind_int64 (stmt, 1, now);
    sqlite3_bind_text (stmt, 2, detail, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text (stmt, 3, old_root->code, -1, SQLITE_STATIC);
    if (!step_done (db, stmt, error))
      return FALSE;
  }

  stmt = fq_store_prepare_cached (db,
                                  "UPDATE users SET scope = ?, updated_at = ?"
                                  " WHERE role = 'admin' AND scope = ?",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, new_root->code, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, now);
  sqlite3_bind_text (stmt, 3, old_root->code, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (!fq_store_check (db, rc, error))
    return FALSE;

  g_message ("%s (%s) is the new root above %s; %d administrators of the whole server "
             "are now scoped to it", new_root->code, new_root->name, old_root->code,
             sqlite3_changes (db));
  return TRUE;
}

gboolean
fq_reference_import_grid (sqlite3     *db,
                          const char  *tsv_path,
                          const char  *datadir,
                          gint64       now,
                          guint       *n_nodes,
                          guint       *n_units,
                          GError     **error)
{
  g_autoptr(FqRefData) existing = NULL;
  g_autoptr(FqRefData) ref = fq_refdata_new ();
  g_autofree char *templates = g_build_filename (datadir, "unit-templates.json", NULL);
  GPtrArray *nodes;
  const FqGridNodeInfo *root;
  const FqGridNodeInfo *old_root;
  const FqGridNodeInfo *wrapped = NULL;
  guint n_above = 0;

  existing = fq_reference_load (db, error);
  if (existing == NULL)
    return FALSE;
  old_root = fq_refdata_get_root (existing);

  if (!fq_refdata_load_grid (ref, tsv_path, error))
    {
      g_prefix_error (error, "%s: ", tsv_path);
      return FALSE;
    }

  /* The file is a subtree: either its root is already a node here, so
   * that everything new hangs below the existing hierarchy, or it holds
   * this server's root below a new one (a province file on a server that
   * started with one of its cities). */
  root = fq_refdata_get_root (ref);
  if (root != NULL && fq_refdata_get_node (existing, root->code) == NULL && old_root != NULL)
    {
      wrapped = fq_refdata_get_node (ref, old_root->code);
      if (wrapped != NULL && wrapped->level != old_root->level)
        {
          g_set_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD,
                       "%s: node %s is a %s here, not a %s", tsv_path, old_root->code,
                       fq_enum_to_string (FQ_TYPE_GRID_LEVEL, old_root->level),
                       fq_enum_to_string (FQ_TYPE_GRID_LEVEL, wrapped->level));
          return FALSE;
        }
    }
  if (root == NULL || (fq_refdata_get_node (existing, root->code) == NULL && wrapped == NULL))
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD,
                   "%s: its root %s is not a node of this server, and the file does not hold "
                   "this server's root %s; a subtree must start at an existing node or contain "
                   "the whole grid", tsv_path, root ? root->code : "(none)",
                   old_root ? old_root->code : "(none)");
      return FALSE;
    }
  nodes = fq_refdata_get_nodes (ref);
  for (guint i = 0; i < nodes->len; i++)
    {
      const FqGridNodeInfo *node = g_ptr_array_index (nodes, i);
      const FqGridNodeInfo *known = fq_refdata_get_node (existing, node->code);

      /* The file's root has no parent in the file, and the old root gets
       * its new parent: only there may the parents differ. */
      if (known != NULL &&
          (known->level != node->level ||
           (g_strcmp0 (known->parent, node->parent) != 0 && node != root && node != wrapped)))
        {
          g_set_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD,
                       "%s: node %s differs from the one already here", tsv_path, node->code);
          return FALSE;
        }
    }

  if (!fq_refdata_load_units (ref, templates, error))
    {
      g_prefix_error (error, "%s: ", templates);
      return FALSE;
    }

  if (wrapped != NULL && !wrap_old_root (db, ref, existing, old_root, now, &n_above, error))
    return FALSE;

  if (!import_refdata (db, ref, FALSE, now, n_nodes, n_units, error))
    return FALSE;
  *n_nodes += n_above;
  return TRUE;
}

/* ---- loading ---- */

FqRefData *
fq_reference_load (sqlite3  *db,
                   GError  **error)
{
  g_autoptr(FqRefData) ref = fq_refdata_new ();
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db,
                           "SELECT code, name, level, parent, short_name, name_en, short_en"
                           " FROM grid_nodes ORDER BY ord",
                           -1, &stmt, NULL);
  if (!fq_store_check (db, rc, error))
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      int level = FQ_GRID_LEVEL_GRID;

      fq_enum_from_string (FQ_TYPE_GRID_LEVEL, (const char *)sqlite3_column_text (stmt, 2), &level);
      fq_refdata_add_node_full (ref,
                                (const char *)sqlite3_column_text (stmt, 0),
                                (const char *)sqlite3_column_text (stmt, 1),
                                level,
                                (const char *)sqlite3_column_text (stmt, 3),
                                (const char *)sqlite3_column_text (stmt, 4),
                                (const char *)sqlite3_column_text (stmt, 5),
                                (const char *)sqlite3_column_text (stmt, 6));
    }
  sqlite3_finalize (stmt);
  if (!fq_store_check (db, rc, error))
    return NULL;

  rc = sqlite3_prepare_v2 (db, "SELECT code, name, name_en FROM category_groups ORDER BY ord",
                           -1, &stmt, NULL);
  if (!fq_store_check (db, rc, error))
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      FqCategoryGroupInfo group = {
        .code = (char *)sqlite3_column_text (stmt, 0),
        .name = (char *)sqlite3_column_text (stmt, 1),
        .name_en = (char *)sqlite3_column_text (stmt, 2),
      };

      fq_refdata_add_group (ref, &group);
    }
  sqlite3_finalize (stmt);
  if (!fq_store_check (db, rc, error))
    return NULL;

  rc = sqlite3_prepare_v2 (db,
                           "SELECT code, name, name_en, grp, lead_unit_kind, support_unit_kinds,"
                           " police_only, tier, deadline_hours, keywords FROM categories ORDER BY ord",
                           -1, &stmt, NULL);
  if (!fq_store_check (db, rc, error))
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *support = (const char *)sqlite3_column_text (stmt, 5);
      const char *words = (const char *)sqlite3_column_text (stmt, 9);
      g_auto(GStrv) kinds = support != NULL && *support != '\0'
                            ? g_strsplit (support, ",", -1) : g_new0 (char *, 1);
      g_auto(GStrv) keywords = words != NULL && *words != '\0'
                               ? g_strsplit (words, "\n", -1) : g_new0 (char *, 1);
      int tier = FQ_TIER_COMMUNITY;
      FqCategoryInfo category = {
        .code = (char *)sqlite3_column_text (stmt, 0),
        .name = (char *)sqlite3_column_text (stmt, 1),
        .name_en = (char *)sqlite3_column_text (stmt, 2),
        .group = (char *)sqlite3_column_text (stmt, 3),
        .lead_unit_kind = (char *)sqlite3_column_text (stmt, 4),
        .support_unit_kinds = kinds,
        .police_only = sqlite3_column_int (stmt, 6) != 0,
        .deadline_hours = sqlite3_column_int (stmt, 8),
        .keywords = keywords,
      };

      fq_enum_from_string (FQ_TYPE_TIER, (const char *)sqlite3_column_text (stmt, 7), &tier);
      category.tier = tier;
      fq_refdata_add_category (ref, &category);
    }
  sqlite3_finalize (stmt);
  if (!fq_store_check (db, rc, error))
    return NULL;

  rc = sqlite3_prepare_v2 (db,
                           "SELECT id, name, name_en, kind, function, grid FROM units ORDER BY ord",
                           -1, &stmt, NULL);
  if (!fq_store_check (db, rc, error))
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      int kind = FQ_UNIT_KIND_OTHER;
      FqUnitInfo unit = {
        .id = (char *)sqlite3_column_text (stmt, 0),
        .name = (char *)sqlite3_column_text (stmt, 1),
        .name_en = (char *)sqlite3_column_text (stmt, 2),
        .function = (char *)sqlite3_column_text (stmt, 4),
        .grid = (char *)sqlite3_column_text (stmt, 5),
      };

      fq_enum_from_string (FQ_TYPE_UNIT_KIND, (const char *)sqlite3_column_text (stmt, 3), &kind);
      unit.kind = kind;
      fq_refdata_add_unit (ref, &unit);
    }
  sqlite3_finalize (stmt);
  if (!fq_store_check (db, rc, error))
    return NULL;

  return g_steal_pointer (&ref);
}

/* ---- endpoints ---- */

static gboolean
grid_list_job (FqJob    *job,
               gpointer  user_data,
               GError  **error)
{
  const FqUser *user = fq_job_get_user (job);
  GPtrArray *nodes = fq_refdata_get_nodes (fq_job_get_refdata (job));
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "nodes");
  json_builder_begin_array (builder);
  for (guint i = 0; i < nodes->len; i++)
    {
      const FqGridNodeInfo *node = g_ptr_array_index (nodes, i);

      if (fq_user_can_see (user, node->code, NULL))
        build_node (builder, node);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  fq_job_respond (job, SOUP_STATUS_OK, json_builder_get_root (builder));
  return TRUE;
}

static void
get_grid (FqRequest *request)
{
  fq_request_run (request, FQ_JOB_READ, grid_list_job, NULL, NULL);
}

static void
get_grid_node (FqRequest *request)
{
  FqRefData *ref = fq_server_get_refdata (fq_request_get_server (request));
  const FqUser *user = fq_request_get_user (request);
  const char *code = fq_request_get_segment (request, 1);
  const FqGridNodeInfo *node = fq_refdata_get_node (ref, code);
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GPtrArray) children = NULL;

  if (node == NULL || !fq_user_can_see (user, node->code, NULL))
    {
      g_autoptr(GError) error = g_error_new (FQ_ERROR, FQ_ERROR_NOT_FOUND, "no such grid node");

      fq_request_respond_error (request, error);
      return;
    }

  /* One node and its children: small enough to answer right here. */
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  add_string_or_null (builder, "code", node->code);
  add_string_or_null (builder, "name", node->name);
  add_string_or_null (builder, "level", fq_enum_to_string (FQ_TYPE_GRID_LEVEL, node->level));
  add_string_or_null (builder, "parent", node->parent);
  add_string_or_null (builder, "path", node->path);
  add_string_or_null (builder, "short_name", node->short_name);
  add_string_or_null (builder, "name_en", node->name_en);
  json_builder_set_member_name (builder, "children");
  json_builder_begin_array (builder);
  children = fq_refdata_get_children (ref, node->code);
  for (guint i = 0; children != NULL && i < children->len; i++)
    build_node (builder, g_ptr_array_index (children, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  fq_request_respond (request, SOUP_STATUS_OK, json_builder_get_root (builder));
}

/* Categories and units are the same for everybody and never change while
 * the server runs: their answers are built once, on a reader. */
static char *categories_text;
static char *units_text;
G_LOCK_DEFINE_STATIC (cached_text);

static gboolean
categories_job (FqJob    *job,
                gpointer  user_data,
                GError  **error)
{
  G_LOCK (cached_text);
  if (categories_text == NULL)
    {
      FqRefData *ref = fq_job_get_refdata (job);
      GPtrArray *categories = fq_refdata_get_categories (ref);
      GPtrArray *groups = fq_refdata_get_groups (ref);
      g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "categories");
      json_builder_begin_array (builder);
      for (guint i = 0; categories != NULL && i < categories->len; i++)
        build_category (builder, g_ptr_array_index (categories, i));
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "groups");
      json_builder_begin_array (builder);
      for (guint i = 0; groups != NULL && i < groups->len; i++)
        build_group (builder, g_ptr_array_index (groups, i));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      categories_text = fq_json_to_string (root, NULL);
    }
  fq_job_respond_text (job, SOUP_STATUS_OK, g_strdup (categories_text), strlen (categories_text));
  G_UNLOCK (cached_text);
  return TRUE;
}

static gboolean
units_job (FqJob    *job,
           gpointer  user_data,
           GError  **error)
{
  G_LOCK (cached_text);
  if (units_text == NULL)
    {
      GPtrArray *units = fq_refdata_get_units (fq_job_get_refdata (job));
      g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "units");
      json_builder_begin_array (builder);
      for (guint i = 0; units != NULL && i < units->len; i++)
        build_unit (builder, g_ptr_array_index (units, i));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      units_text = fq_json_to_string (root, NULL);
    }
  fq_job_respond_text (job, SOUP_STATUS_OK, g_strdup (units_text), strlen (units_text));
  G_UNLOCK (cached_text);
  return TRUE;
}

static void
get_categories (FqRequest *request)
{
  fq_request_run (request, FQ_JOB_READ, categories_job, NULL, NULL);
}

static void
get_units (FqRequest *request)
{
  fq_request_run (request, FQ_JOB_READ, units_job, NULL, NULL);
}

void
fq_reference_register (FqServer *server)
{
  fq_server_add_route (server, "GET", "/grid", FQ_ROUTE_DEFAULT, get_grid);
  fq_server_add_route (server, "GET", "/grid/*", FQ_ROUTE_DEFAULT, get_grid_node);
  fq_server_add_route (server, "GET", "/categories", FQ_ROUTE_DEFAULT, get_categories);
  fq_server_add_route (server, "GET", "/units", FQ_ROUTE_DEFAULT, get_units);
}
