/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao"

#include "config.h"

#include <string.h>

#include "fq-enum-types.h"
#include "fq-enums.h"
#include "fq-error.h"
#include "fq-json.h"
#include "fq-refdata.h"

/*
 * The reference data is built once (by the loaders or by the add functions)
 * and then only read. Nothing is computed lazily on lookup, so the lookups
 * need no lock: after the object has been handed to other threads (which
 * takes a memory barrier, e.g. the atomic reference count or a queue), any
 * thread may call any getter at the same time. Every loader validates its
 * whole file before it adds anything, so a failed load leaves the object as
 * it was.
 */

struct _FqRefData
{
  gatomicrefcount  ref_count;

  /* Owned records, in the order they were added. */
  GPtrArray       *nodes;       /* FqGridNodeInfo */
  GPtrArray       *groups;      /* FqCategoryGroupInfo */
  GPtrArray       *categories;  /* FqCategoryInfo */
  GPtrArray       *units;       /* FqUnitInfo */

  /* Indexes; keys and values are borrowed from the records above. */
  GHashTable      *nodes_by_code;
  GHashTable      *children;     /* code → GPtrArray of FqGridNodeInfo (owned arrays) */
  GHashTable      *groups_by_code;
  GHashTable      *categories_by_code;
  GHashTable      *units_by_id;
  GHashTable      *units_by_place;  /* "function\tgrid" (owned key) → FqUnitInfo */

  const FqGridNodeInfo *root;
};

/* The shape of each grid level, found by its nick. A country file
 * (data/README.md) is rooted at the `country`, whose code is 12 zeros and
 * whose scope prefix is empty: every code is inside it. A province file is
 * rooted at a `province`; a city file at its `city`. */
typedef struct
{
  const char *nick;
  guint       depth;          /* country 0, province 1, … */
  guint       prefix_length;  /* see fq-refdata.h */
  guint       code_length;
} LevelShape;

static const LevelShape level_shapes[] = {
  { "country",   0,  0, 12 },
  { "province",  1,  2, 12 },
  { "city",      2,  4, 12 },
  { "district",  3,  6, 12 },
  { "street",    4,  9, 12 },
  { "community", 5, 12, 12 },
  { "grid",      6, 14, 14 },
};

/* level_shapes is in the order of FqGridLevel (depth = the enum value). */
G_STATIC_ASSERT (G_N_ELEMENTS (level_shapes) == FQ_GRID_LEVEL_GRID + 1);

static const LevelShape *
level_shape (FqGridLevel level)
{
  if ((guint)level >= G_N_ELEMENTS (level_shapes))
    return NULL;
  return &level_shapes[level];
}

guint
fq_grid_level_prefix_length (FqGridLevel level)
{
  const LevelShape *shape = level_shape (level);

  return shape != NULL ? shape->prefix_length : 0;
}

static gboolean
is_digits (const char *s,
           gsize       length)
{
  for (gsize i = 0; i < length; i++)
    {
      if (!g_ascii_isdigit (s[i]))
        return FALSE;
    }
  return TRUE;
}

/* A unit function or kind name: [a-z_]+. */
static gboolean
is_identifier (const char *s)
{
  if (s == NULL || *s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    {
      if (!g_ascii_islower (*s) && *s != '_')
        return FALSE;
    }
  return TRUE;
}

/* ---- records ---- */

static void
grid_node_info_free (FqGridNodeInfo *info)
{
  g_free (info->code);
  g_free (info->name);
  g_free (info->parent);
  g_free (info->prefix);
  g_free (info->path);
  g_free (info->short_name);
  g_free (info->name_en);
  g_free (info->short_en);
  g_free (info);
}

static void
group_info_free (FqCategoryGroupInfo *info)
{
  g_free (info->code);
  g_free (info->name);
  g_free (info->name_en);
  g_free (info);
}

static void
category_info_free (FqCategoryInfo *info)
{
  g_free (info->code);
  g_free (info->name);
  g_free (info->name_en);
  g_free (info->group);
  g_free (info->lead_unit_kind);
  g_strfreev (info->support_unit_kinds);
  g_strfreev (info->keywords);
  g_free (info);
}

static void
unit_info_free (FqUnitInfo *info)
{
  g_free (info->id);
  g_free (info->name);
  g_free (info->name_en);
  g_free (info->function);
  g_free (info->grid);
  g_free (info);
}

/* ---- lifecycle ---- */

/**
 * fq_refdata_new:
 *
 * Returns: (transfer full): empty reference data
 */
FqRefData *
fq_refdata_new (void)
{
  FqRefData *self = g_new0 (FqRefData, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->nodes = g_ptr_array_new_with_free_func ((GDestroyNotify)grid_node_info_free);
  self->groups = g_ptr_array_new_with_free_func ((GDestroyNotify)group_info_free);
  self->categories = g_ptr_array_new_with_free_func ((GDestroyNotify)category_info_free);
  self->units = g_ptr_array_new_with_free_func ((GDestroyNotify)unit_info_free);
  self->nodes_by_code = g_hash_table_new (g_str_hash, g_str_equal);
  self->children = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify)g_ptr_array_unref);
  self->groups_by_code = g_hash_table_new (g_str_hash, g_str_equal);
  self->categories_by_code = g_hash_table_new (g_str_hash, g_str_equal);
  self->units_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->units_by_place = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  return self;
}

/**
 * fq_refdata_ref:
 * @self: reference data
 *
 * Returns: (transfer full): @self; may be called from any thread
 */
FqRefData *
fq_refdata_ref (FqRefData *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * fq_refdata_unref:
 * @self: (transfer full): reference data
 */
void
fq_refdata_unref (FqRefData *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  /* Indexes first: they borrow from the records. */
  g_hash_table_unref (self->units_by_place);
  g_hash_table_unref (self->units_by_id);
  g_hash_table_unref (self->categories_by_code);
  g_hash_table_unref (self->groups_by_code);
  g_hash_table_unref (self->children);
  g_hash_table_unref (self->nodes_by_code);
  g_ptr_array_unref (self->units);
  g_ptr_array_unref (self->categories);
  g_ptr_array_unref (self->groups);
  g_ptr_array_unref (self->nodes);
  g_free (self);
}

/* ---- adding records ---- */

/**
 * fq_grid_scope_prefix:
 * @code: a grid code
 * @level: the level of the node @code names
 *
 * Returns: (transfer full): the scope prefix (see fq-refdata.h)
 */
char *
fq_grid_scope_prefix (const char  *code,
                      FqGridLevel  level)
{
  const LevelShape *shape;

  g_return_val_if_fail (code != NULL, NULL);

  shape = level_shape (level);
  g_return_val_if_fail (shape != NULL, NULL);

  return g_strndup (code, shape->prefix_length);
}

/**
 * fq_refdata_add_node_full:
 * @self: reference data being built
 * @code: the node's code
 * @name: its name
 * @level: its level
 * @parent: (nullable): the code of its parent, added before; %NULL for the root
 * @short_name: (nullable): the name without its suffix; %NULL: @name
 * @name_en: (nullable): its English name
 * @short_en: (nullable): the English of @short_name
 *
 * Adds a grid node. The loader validates files; here a bad call is a
 * programming error.
 */
void
fq_refdata_add_node_full (FqRefData   *self,
                          const char  *code,
                          const char  *name,
                          FqGridLevel  level,
                          const char  *parent,
                          const char  *short_name,
                          const char  *name_en,
                          const char  *short_en)
{
  const FqGridNodeInfo *parent_info = NULL;
  FqGridNodeInfo *info;
  GPtrArray *siblings;

  g_return_if_fail (self != NULL);
  g_return_if_fail (code != NULL);
  g_return_if_fail (name != NULL);
  g_return_if_fail (level_shape (level) != NULL);
  g_return_if_fail (!g_hash_table_contains (self->nodes_by_code, code));

  if (parent != NULL)
    {
      parent_info = g_hash_table_lookup (self->nodes_by_code, parent);
      g_return_if_fail (parent_info != NULL);
    }
  else
    {
      g_return_if_fail (self->root == NULL);
    }

  info = g_new0 (FqGridNodeInfo, 1);
  info->code = g_strdup (code);
  info->name = g_strdup (name);
  info->level = level;
  info->parent = g_strdup (parent);
  info->prefix = fq_grid_scope_prefix (code, level);
  info->path = parent_info != NULL
    ? g_strconcat (parent_info->path, " / ", name, NULL)
    : g_strdup (name);
  info->short_name = g_strdup (short_name != NULL ? short_name : name);
  info->name_en = g_strdup (name_en);
  info->short_en = g_strdup (short_en);

  g_ptr_array_add (self->nodes, info);
  g_hash_table_insert (self->nodes_by_code, info->code, info);

  if (parent_info == NULL)
    {
      self->root = info;
      return;
    }

  siblings = g_hash_table_lookup (self->children, parent_info->code);
  if (siblings == NULL)
    {
      siblings = g_ptr_array_new ();
      g_hash_table_insert (self->children, parent_info->code, siblings);
    }
  g_ptr_array_add (siblings, info);
}

/**
 * fq_refdata_add_node:
 * @self: reference data being built
 * @code: the node's code
 * @name: its name
 * @level: its level
 * @parent: (nullable): the code of its parent, added before; %NULL for the root
 */
void
fq_refdata_add_node (FqRefData   *self,
                     const char  *code,
                     const char  *name,
                     FqGridLevel  level,
                     const char  *parent)
{
  fq_refdata_add_node_full (self, code, name, level, parent, NULL, NULL, NULL);
}

/**
 * fq_refdata_add_group:
 * @self: reference data being built
 * @group: the group, copied
 */
void
fq_refdata_add_group (FqRefData                 *self,
                      const FqCategoryGroupInfo *group)
{
  FqCategoryGroupInfo *info;

  g_return_if_fail (self != NULL);
  g_return_if_fail (group != NULL && group->code != NULL && group->name != NULL);
  g_return_if_fail (!g_hash_table_contains (self->groups_by_code, group->code));

  info = g_new0 (FqCategoryGroupInfo, 1);
  info->code = g_strdup (group->code);
  info->name = g_strdup (group->name);
  info->name_en = g_strdup (group->name_en);

  g_ptr_array_add (self->groups, info);
  g_hash_table_insert (self->groups_by_code, info->code, info);
}

/**
 * fq_refdata_add_category:
 * @self: reference data being built
 * @category: the category, copied
 */
void
fq_refdata_add_category (FqRefData            *self,
                         const FqCategoryInfo *category)
{
  FqCategoryInfo *info;

  g_return_if_fail (self != NULL);
  g_return_if_fail (category != NULL && category->code != NULL && category->name != NULL);
  g_return_if_fail (category->lead_unit_kind != NULL);
  g_return_if_fail (!g_hash_table_contains (self->categories_by_code, category->code));

  info = g_new0 (FqCategoryInfo, 1);
  info->code = g_strdup (category->code);
  info->name = g_strdup (category->name);
  info->name_en = g_strdup (category->name_en);
  info->group = g_strdup (category->group);
  info->lead_unit_kind = g_strdup (category->lead_unit_kind);
  info->support_unit_kinds = category->support_unit_kinds != NULL
    ? g_strdupv (category->support_unit_kinds)
    : g_new0 (char *, 1);
  info->police_only = category->police_only;
  info->tier = category->tier;
  info->deadline_hours = category->deadline_hours;
  info->keywords = category->keywords != NULL
    ? g_strdupv (category->keywords)
    : g_new0 (char *, 1);

  g_ptr_array_add (self->categories, info);
  g_hash_table_insert (self->categories_by_code, info->code, info);
}

static char *
place_key (const char *function,
           const char *grid)
{
  return g_strconcat (function, "\t", grid, NULL);
}

/**
 * fq_refdata_add_unit:
 * @self: reference data being built
 * @unit: the unit, copied
 *
 * When two units share a function and a grid node, the first one added is
 * the one fq_refdata_find_unit() returns.
 */
void
fq_refdata_add_unit (FqRefData        *self,
                     const FqUnitInfo *unit)
{
  FqUnitInfo *info;
  g_autofree char *key = NULL;

  g_return_if_fail (self != NULL);
  g_return_if_fail (unit != NULL && unit->id != NULL && unit->name != NULL);
  g_return_if_fail (unit->function != NULL && unit->grid != NULL);
  g_return_if_fail (!g_hash_table_contains (self->units_by_id, unit->id));

  info = g_new0 (FqUnitInfo, 1);
  info->id = g_strdup (unit->id);
  info->name = g_strdup (unit->name);
  info->name_en = g_strdup (unit->name_en);
  info->kind = unit->kind;
  info->function = g_strdup (unit->function);
  info->grid = g_strdup (unit->grid);

  g_ptr_array_add (self->units, info);
  g_hash_table_insert (self->units_by_id, info->id, info);

  key = place_key (info->function, info->grid);
  if (!g_hash_table_contains (self->units_by_place, key))
    g_hash_table_insert (self->units_by_place, g_steal_pointer (&key), info);
}

/* ---- the grid file ---- */

enum {
  COL_CODE,
  COL_NAME,
  COL_LEVEL,
  COL_PARENT,
  COL_SHORT,
  COL_NAME_EN,
  COL_SHORT_EN,
  N_COLUMNS
};

static const char * const column_names[N_COLUMNS] = {
  "code", "name", "level", "parent", "short", "name_en", "short_en",
};

#define N_REQUIRED_COLUMNS 4

typedef struct
{
  char        *fields[N_COLUMNS];  /* NULL: column absent or empty */
  FqGridLevel  level;
} GridRow;

static void
grid_row_free (GridRow *row)
{
  for (guint i = 0; i < N_COLUMNS; i++)
    g_free (row->fields[i]);
  g_free (row);
}

static const LevelShape *
known_shape (FqRefData  *self,
             GHashTable *pending,
             const char *code)
{
  const FqGridNodeInfo *info = g_hash_table_lookup (self->nodes_by_code, code);

  if (info != NULL)
    return level_shape (info->level);

  return g_hash_table_lookup (pending, code);
}

static gboolean
parse_grid_header (char        *line,
                   guint        line_number,
                   int         *columns,
                   guint       *n_columns,
                   GError     **error)
{
  g_autofree char *where = g_strdup_printf ("line[%u]", line_number);
  g_auto(GStrv) names = g_strsplit (line, "\t", -1);
  gboolean seen[N_COLUMNS] = { FALSE, };
  guint n = g_strv_length (names);

  if (n > N_COLUMNS)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, where,
                          "%u columns; at most %u are known", n, N_COLUMNS);
      return FALSE;
    }

  for (guint i = 0; i < n; i++)
    {
      int column = -1;

      for (int c = 0; c < N_COLUMNS; c++)
        {
          if (strcmp (names[i], column_names[c]) == 0)
            column = c;
        }

      if (column < 0)
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, where,
                              "unknown column \"%s\"", names[i]);
          return FALSE;
        }
      if (seen[column])
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, where,
                              "column \"%s\" appears twice", names[i]);
          return FALSE;
        }
      /* The required columns come first and in order, so that a file with
       * only them is the simple "code, name, level, parent" table. */
      if ((i < N_REQUIRED_COLUMNS && column != (int)i)
          || (i >= N_REQUIRED_COLUMNS && column < N_REQUIRED_COLUMNS))
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, where,
                              "the header must start with code, name, level, parent");
          return FALSE;
        }
      seen[column] = TRUE;
      columns[i] = column;
    }

  if (n < N_REQUIRED_COLUMNS)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, where,
                          "the header must start with code, name, level, parent");
      return FALSE;
    }

  *n_columns = n;
  return TRUE;
}

/* Sets an error about column @column of line @line_number: the field is
 * written like a JSON path, "line[12].level". */
static void G_GNUC_PRINTF (4, 5)
set_line_error (GError     **error,
                guint        line_number,
                const char  *column,
                const char  *format,
                ...)
{
  g_autofree char *field = NULL;
  g_autofree char *text = NULL;
  va_list args;

  field = column != NULL
    ? g_strdup_printf ("line[%u].%s", line_number, column)
    : g_strdup_printf ("line[%u]", line_number);

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "%s", text);
}

static gboolean
parse_grid_row (FqRefData   *self,
                GHashTable  *pending,
                gboolean     have_root,
                char        *line,
                guint        line_number,
                const int   *columns,
                guint        n_columns,
                GridRow    **out,
                GError     **error)
{
  g_auto(GStrv) fields = g_strsplit (line, "\t", -1);
  GridRow *row;
  const char *code, *parent, *level_nick;
  const LevelShape *shape, *parent_shape;
  int level;

  if (g_strv_length (fields) != n_columns)
    {
      set_line_error (error, line_number, NULL, "%u columns, the header has %u",
                      g_strv_length (fields), n_columns);
      return FALSE;
    }

  row = g_new0 (GridRow, 1);
  for (guint i = 0; i < n_columns; i++)
    {
      if (fields[i][0] != '\0')
        row->fields[columns[i]] = g_strdup (fields[i]);
    }
  *out = row;  /* the caller frees it on failure too */

  code = row->fields[COL_CODE] != NULL ? row->fields[COL_CODE] : "";
  parent = row->fields[COL_PARENT];
  level_nick = row->fields[COL_LEVEL] != NULL ? row->fields[COL_LEVEL] : "";

  if (row->fields[COL_NAME] == NULL)
    {
      set_line_error (error, line_number, "name", "empty");
      return FALSE;
    }

  if (!fq_enum_from_string (FQ_TYPE_GRID_LEVEL, level_nick, &level)
      || (shape = level_shape (level)) == NULL)
    {
      set_line_error (error, line_number, "level", "\"%s\" is not a grid level", level_nick);
      return FALSE;
    }
  row->level = level;

  if (strlen (code) != shape->code_length || !is_digits (code, shape->code_length))
    {
      set_line_error (error, line_number, "code", "\"%s\" is not %u digits",
                      code, shape->code_length);
      return FALSE;
    }

  /* A district is 420204000000: the digits its level leaves unused are 0,
   * or scope prefixes would not name subtrees. */
  for (guint i = shape->prefix_length; i < shape->code_length; i++)
    {
      if (code[i] != '0')
        {
          set_line_error (error, line_number, "code", "%s is a %s: it must end in %u zeros",
                          code, shape->nick, shape->code_length - shape->prefix_length);
          return FALSE;
        }
    }

  if (known_shape (self, pending, code) != NULL)
    {
      set_line_error (error, line_number, "code", "%s appears twice", code);
      return FALSE;
    }

  if (parent == NULL)
    {
      if (have_root)
        {
          set_line_error (error, line_number, "parent", "empty, but there is a root already");
          return FALSE;
        }
      return TRUE;
    }

  parent_shape = known_shape (self, pending, parent);
  if (parent_shape == NULL)
    {
      set_line_error (error, line_number, "parent", "%s is not a node of an earlier line", parent);
      return FALSE;
    }
  /* One level down; or a street right below its city, where the city has
   * no districts (不设区的地级市 东莞, 中山, 儋州), whose statistical codes
   * give the streets the city's own digits as district. */
  if (parent_shape->depth + 1 != shape->depth &&
      !(parent_shape->depth == level_shapes[FQ_GRID_LEVEL_CITY].depth &&
        shape->depth == level_shapes[FQ_GRID_LEVEL_STREET].depth &&
        strncmp (code + parent_shape->prefix_length, "00", 2) == 0))
    {
      set_line_error (error, line_number, "level", "a %s cannot be the child of a %s",
                      shape->nick, parent_shape->nick);
      return FALSE;
    }
  if (strncmp (code, parent, parent_shape->prefix_length) != 0)
    {
      set_line_error (error, line_number, "code",
                      "%s does not start with %.*s, the scope prefix of its parent",
                      code, (int)parent_shape->prefix_length, parent);
      return FALSE;
    }

  return TRUE;
}

/**
 * fq_refdata_load_grid:
 * @self: reference data being built
 * @path: a grid file (data/README.md)
 * @error: return location for an error
 *
 * Adds the nodes of @path. Errors in the content are %FQ_ERROR_INVALID_FIELD
 * with a field such as `line[12].level`; nothing is added then.
 *
 * Returns: %TRUE on success
 */
gboolean
fq_refdata_load_grid (FqRefData   *self,
                      const char  *path,
                      GError     **error)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GHashTable) pending = NULL;
  gsize length;
  int columns[N_COLUMNS];
  guint n_columns = 0;
  gboolean have_header = FALSE;
  gboolean have_root;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_file_get_contents (path, &contents, &length, error))
    return FALSE;

  if (memchr (contents, '\0', length) != NULL || !g_utf8_validate (contents, length, NULL))
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "file", "%s is not UTF-8 text", path);
      return FALSE;
    }

  rows = g_ptr_array_new_with_free_func ((GDestroyNotify)grid_row_free);
  /* Codes of this file's rows → their LevelShape, for the checks of later
   * rows before anything is added. Keys are borrowed from @rows. */
  pending = g_hash_table_new (g_str_hash, g_str_equal);
  have_root = self->root != NULL;

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *line = lines[i];
      gsize len = strlen (line);
      GridRow *row = NULL;

      if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';
      if (len == 0 || line[0] == '#')
        continue;

      if (!have_header)
        {
          if (!parse_grid_header (line, i + 1, columns, &n_columns, error))
            return FALSE;
          have_header = TRUE;
          continue;
        }

      if (!parse_grid_row (self, pending, have_root, line, i + 1, columns, n_columns,
                           &row, error))
        {
          g_clear_pointer (&row, grid_row_free);
          return FALSE;
        }

      g_ptr_array_add (rows, row);
      g_hash_table_insert (pending, row->fields[COL_CODE], (gpointer)level_shape (row->level));
      if (row->fields[COL_PARENT] == NULL)
        have_root = TRUE;
    }

  if (!have_header)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "file", "the header is missing");
      return FALSE;
    }
  if (rows->len == 0)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "file", "%s has no nodes", path);
      return FALSE;
    }

  for (guint i = 0; i < rows->len; i++)
    {
      GridRow *row = g_ptr_array_index (rows, i);

      fq_refdata_add_node_full (self,
                                row->fields[COL_CODE],
                                row->fields[COL_NAME],
                                row->level,
                                row->fields[COL_PARENT],
                                row->fields[COL_SHORT],
                                row->fields[COL_NAME_EN],
                                row->fields[COL_SHORT_EN]);
    }

  return TRUE;
}

/* ---- JSON helpers with paths ("categories[3].tier") ---- */

static JsonObject *
load_json_file (const char  *path,
                GError     **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *object;
  gsize length;

  if (!g_file_get_contents (path, &contents, &length, error))
    return NULL;

  object = fq_json_parse_object (contents, length, &local_error);
  if (object == NULL)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_BAD_JSON, "%s: %s", path, local_error->message);
      return NULL;
    }

  return object;
}

/* Rejects members of @object not in @allowed, so that a misspelt member is
 * an error rather than a silently missing value. */
static gboolean
check_members (JsonObject          *object,
               const char          *where,
               const char * const  *allowed,
               GError             **error)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    {
      if (!g_strv_contains (allowed, l->data))
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, where,
                              "unknown member \"%s\"", (const char *)l->data);
          return FALSE;
        }
    }
  return TRUE;
}

static char *
member_path (const char *where,
             const char *member)
{
  return g_strconcat (where, ".", member, NULL);
}

static gboolean
get_array (JsonObject  *object,
           const char  *where,
           const char  *member,
           gboolean     required,
           JsonArray  **out,
           GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);
  g_autofree char *field = where != NULL ? member_path (where, member) : g_strdup (member);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (!required)
        return TRUE;
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "missing");
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "not an array");
      return FALSE;
    }
  *out = json_node_get_array (node);
  return TRUE;
}

static gboolean
get_object_element (JsonArray   *array,
                    guint        index,
                    const char  *where,
                    JsonObject **out,
                    GError     **error)
{
  JsonNode *node = json_array_get_element (array, index);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, where, "not an object");
      return FALSE;
    }
  *out = json_node_get_object (node);
  return TRUE;
}

static gboolean
is_string_node (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
}

/* A string member; @required strings must also be non-empty. */
static gboolean
get_string (JsonObject   *object,
            const char   *where,
            const char   *member,
            gboolean      required,
            const char  **out,
            GError      **error)
{
  JsonNode *node = json_object_get_member (object, member);
  g_autofree char *field = member_path (where, member);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (!required)
        return TRUE;
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "missing");
      return FALSE;
    }
  if (!is_string_node (node))
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "not a string");
      return FALSE;
    }
  *out = json_node_get_string (node);
  if (**out == '\0')
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "empty");
      return FALSE;
    }
  for (const char *p = *out; *p != '\0'; p++)
    {
      if ((guchar)*p < 0x20)
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "contains a control character");
          return FALSE;
        }
    }
  return TRUE;
}

/* An array of distinct non-empty strings; @identifiers: each [a-z_]+. */
static gboolean
get_string_list (JsonObject   *object,
                 const char   *where,
                 const char   *member,
                 gboolean      identifiers,
                 GStrv        *out,
                 GError      **error)
{
  g_autofree char *field = member_path (where, member);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *array;

  if (!get_array (object, where, member, TRUE, &array, error))
    return FALSE;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      g_autofree char *item = g_strdup_printf ("%s[%u]", field, i);
      const char *s;

      if (!is_string_node (node) || *(s = json_node_get_string (node)) == '\0')
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, item, "not a non-empty string");
          return FALSE;
        }
      if (identifiers && !is_identifier (s))
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, item,
                              "\"%s\" is not a unit function ([a-z_]+)", s);
          return FALSE;
        }
      if (!g_hash_table_add (seen, (gpointer)s))
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, item, "\"%s\" is listed twice", s);
          return FALSE;
        }
      g_strv_builder_add (builder, s);
    }

  *out = g_strv_builder_end (builder);
  return TRUE;
}

static gboolean
get_enum (JsonObject  *object,
          const char  *where,
          const char  *member,
          GType        type,
          const char  *what,
          int         *out,
          GError     **error)
{
  const char *s;

  if (!get_string (object, where, member, TRUE, &s, error))
    return FALSE;

  if (!fq_enum_from_string (type, s, out))
    {
      g_autofree char *field = member_path (where, member);

      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "unknown %s \"%s\"", what, s);
      return FALSE;
    }
  return TRUE;
}

/* ---- categories ---- */

static gboolean
is_group_code (const char *s)
{
  gsize n = strlen (s);

  if (n < 1 || n > 4)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    {
      if (!g_ascii_isupper (s[i]))
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_group (FqRefData           *self,
             JsonObject          *object,
             const char          *where,
             GHashTable          *groups,
             FqCategoryGroupInfo *out,
             GError             **error)
{
  static const char * const members[] = { "code", "name", "name_en", NULL };
  const char *code, *name, *name_en;

  if (!check_members (object, where, members, error)
      || !get_string (object, where, "code", TRUE, &code, error)
      || !get_string (object, where, "name", TRUE, &name, error)
      || !get_string (object, where, "name_en", TRUE, &name_en, error))
    return FALSE;

  if (!is_group_code (code))
    {
      g_autofree char *field = member_path (where, "code");

      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field,
                          "\"%s\" is not 1 to 4 capital letters", code);
      return FALSE;
    }
  if (g_hash_table_contains (groups, code) || g_hash_table_contains (self->groups_by_code, code))
    {
      g_autofree char *field = member_path (where, "code");

      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "group %s appears twice", code);
      return FALSE;
    }

  out->code = (char *)code;
  out->name = (char *)name;
  out->name_en = (char *)name_en;
  g_hash_table_add (groups, (gpointer)code);
  return TRUE;
}

static gboolean
parse_category (FqRefData       *self,
                JsonObject      *object,
                const char      *where,
                GHashTable      *groups,
                GHashTable      *categories,
                FqCategoryInfo  *out,
                GError         **error)
{
  static const char * const members[] = {
    "code", "name", "name_en", "group", "lead_unit_kind", "support_unit_kinds",
    "police_only", "tier", "deadline_hours", "keywords", NULL
  };
  const char *code, *name, *name_en, *group, *lead;
  g_auto(GStrv) support = NULL;
  g_auto(GStrv) keywords = NULL;
  JsonNode *node;
  int tier;
  gint64 hours;

  if (!check_members (object, where, members, error)
      || !get_string (object, where, "code", TRUE, &code, error)
      || !get_string (object, where, "name", TRUE, &name, error)
      || !get_string (object, where, "name_en", TRUE, &name_en, error)
      || !get_string (object, where, "group", TRUE, &group, error)
      || !get_string (object, where, "lead_unit_kind", TRUE, &lead, error)
      || !get_string_list (object, where, "support_unit_kinds", TRUE, &support, error)
      || !get_enum (object, where, "tier", FQ_TYPE_TIER, "tier", &tier, error)
      || !get_string_list (object, where, "keywords", FALSE, &keywords, error))
    return FALSE;

  if (!g_hash_table_contains (groups, group) && !g_hash_table_contains (self->groups_by_code, group))
    {
      g_autofree char *field = member_path (where, "group");

      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "unknown group \"%s\"", group);
      return FALSE;
    }

  /* A01 belongs to group A: the code says where it is in the list. */
  if (!g_str_has_prefix (code, group) || strlen (code) != strlen (group) + 2
      || !is_digits (code + strlen (group), 2))
    {
      g_autofree char *field = member_path (where, "code");

      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field,
                          "\"%s\" is not the group code %s followed by two digits", code, group);
      return FALSE;
    }
  if (g_hash_table_contains (categories, code)
      || g_hash_table_contains (self->categories_by_code, code))
    {
      g_autofree char *field = member_path (where, "code");

      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "category %s appears twice", code);
      return FALSE;
    }

  if (!is_identifier (lead))
    {
      g_autofree char *field = member_path (where, "lead_unit_kind");

      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field,
                          "\"%s\" is not a unit function ([a-z_]+)", lead);
      return FALSE;
    }
  if (g_strv_contains ((const char * const *)support, lead))
    {
      g_autofree char *field = member_path (where, "support_unit_kinds");

      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field,
                          "lists the lead unit kind %s", lead);
      return FALSE;
    }

  node = json_object_get_member (object, "police_only");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_autofree char *field = member_path (where, "police_only");

      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field,
                          node == NULL ? "missing" : "not a boolean");
      return FALSE;
    }
  out->police_only = json_node_get_boolean (node);

  node = json_object_get_member (object, "deadline_hours");
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64
      || (hours = json_node_get_int (node)) < 1 || hours > 8760)
    {
      g_autofree char *field = member_path (where, "deadline_hours");

      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field,
                          node == NULL ? "missing" : "not an integer from 1 to 8760");
      return FALSE;
    }

  out->code = (char *)code;
  out->name = (char *)name;
  out->name_en = (char *)name_en;
  out->group = (char *)group;
  out->lead_unit_kind = (char *)lead;
  out->support_unit_kinds = g_steal_pointer (&support);
  out->tier = tier;
  out->deadline_hours = (guint)hours;
  out->keywords = g_steal_pointer (&keywords);
  g_hash_table_add (categories, (gpointer)code);
  return TRUE;
}

/**
 * fq_refdata_load_categories:
 * @self: reference data being built
 * @path: a categories file (data/README.md)
 * @error: return location for an error
 *
 * Adds the groups and categories of @path, after checking all of them.
 * %FQ_ERROR_BAD_JSON if the file is not JSON; %FQ_ERROR_INVALID_FIELD naming
 * the member (`categories[3].tier`) otherwise.
 *
 * Returns: %TRUE on success
 */
gboolean
fq_refdata_load_categories (FqRefData   *self,
                            const char  *path,
                            GError     **error)
{
  static const char * const members[] = { "groups", "categories", NULL };
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(GHashTable) groups = NULL;
  g_autoptr(GHashTable) categories = NULL;
  g_autofree FqCategoryGroupInfo *group_infos = NULL;
  g_autofree FqCategoryInfo *category_infos = NULL;
  JsonArray *group_array, *category_array;
  guint n_groups, n_categories;
  gboolean ok = TRUE;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  root = load_json_file (path, error);
  if (root == NULL)
    return FALSE;

  if (!check_members (root, "root", members, error)
      || !get_array (root, NULL, "groups", TRUE, &group_array, error)
      || !get_array (root, NULL, "categories", TRUE, &category_array, error))
    return FALSE;

  n_groups = json_array_get_length (group_array);
  n_categories = json_array_get_length (category_array);
  if (n_categories == 0)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "categories", "empty");
      return FALSE;
    }

  /* The infos borrow their strings from @root until they are added. */
  groups = g_hash_table_new (g_str_hash, g_str_equal);
  categories = g_hash_table_new (g_str_hash, g_str_equal);
  group_infos = g_new0 (FqCategoryGroupInfo, n_groups);
  category_infos = g_new0 (FqCategoryInfo, n_categories);

  for (guint i = 0; ok && i < n_groups; i++)
    {
      g_autofree char *where = g_strdup_printf ("groups[%u]", i);
      JsonObject *object;

      ok = get_object_element (group_array, i, where, &object, error)
        && parse_group (self, object, where, groups, &group_infos[i], error);
    }

  for (guint i = 0; ok && i < n_categories; i++)
    {
      g_autofree char *where = g_strdup_printf ("categories[%u]", i);
      JsonObject *object;

      ok = get_object_element (category_array, i, where, &object, error)
        && parse_category (self, object, where, groups, categories, &category_infos[i], error);
    }

  if (ok)
    {
      for (guint i = 0; i < n_groups; i++)
        fq_refdata_add_group (self, &group_infos[i]);
      for (guint i = 0; i < n_categories; i++)
        fq_refdata_add_category (self, &category_infos[i]);
    }

  for (guint i = 0; i < n_categories; i++)
    {
      g_strfreev (category_infos[i].support_unit_kinds);
      g_strfreev (category_infos[i].keywords);
    }

  return ok;
}

/* ---- unit templates ---- */

typedef enum
{
  FIELD_NAME,
  FIELD_SHORT,
  FIELD_NAME_EN,
  FIELD_SHORT_EN,
} NodeField;

static const char * const node_fields[] = { "name", "short", "name_en", "short_en" };

typedef struct
{
  const char  *function;
  FqUnitKind   kind;
  FqGridLevel  level;
  const char  *name_suffix;
  const char  *name;
  const char  *name_en;
  char        *where;
} UnitTemplate;

static void
unit_template_clear (UnitTemplate *t)
{
  g_free (t->where);
}

static const char *
node_field (const FqGridNodeInfo *node,
            NodeField             field)
{
  switch (field)
    {
    case FIELD_NAME:
      return node->name;
    case FIELD_SHORT:
      return node->short_name;
    case FIELD_NAME_EN:
      return node->name_en != NULL ? node->name_en : node->name;
    case FIELD_SHORT_EN:
      return node->short_en != NULL ? node->short_en : node->short_name;
    default:
      g_assert_not_reached ();
    }
}

/* Expands @pattern for @node or, if @node is NULL, only checks its syntax.
 * Placeholders: {FIELD} of the node, {LEVEL.FIELD} of its ancestor at LEVEL;
 * {{ and }} are literal braces. */
static gboolean
expand_pattern (FqRefData             *self,
                const char            *pattern,
                const FqGridNodeInfo  *node,
                const char            *field,
                char                 **out,
                GError               **error)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (const char *p = pattern; *p != '\0'; p++)
    {
      const char *end;
      g_autofree char *placeholder = NULL;
      const char *dot;
      const char *field_name;
      const FqGridNodeInfo *source = node;
      int level = -1;
      int which = -1;

      if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}'))
        {
          g_string_append_c (text, *p);
          p++;
          continue;
        }
      if (*p == '}')
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field,
                              "a single \"}\" (write \"}}\" for a brace)");
          return FALSE;
        }
      if (*p != '{')
        {
          g_string_append_c (text, *p);
          continue;
        }

      end = strchr (p, '}');
      if (end == NULL)
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "unclosed \"{\"");
          return FALSE;
        }
      placeholder = g_strndup (p + 1, end - p - 1);
      p = end;

      field_name = placeholder;
      dot = strchr (placeholder, '.');
      if (dot != NULL)
        {
          g_autofree char *level_nick = g_strndup (placeholder, dot - placeholder);

          if (!fq_enum_from_string (FQ_TYPE_GRID_LEVEL, level_nick, &level))
            {
              fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field,
                                  "{%s}: \"%s\" is not a grid level", placeholder, level_nick);
              return FALSE;
            }
          field_name = dot + 1;
        }
      for (guint i = 0; i < G_N_ELEMENTS (node_fields); i++)
        {
          if (strcmp (field_name, node_fields[i]) == 0)
            which = i;
        }
      if (which < 0)
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field,
                              "unknown placeholder {%s}", placeholder);
          return FALSE;
        }

      if (node == NULL)
        continue;

      if (level >= 0)
        {
          source = fq_refdata_get_ancestor (self, node->code, level);
          if (source == NULL)
            {
              fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field,
                                  "{%s}: node %s has no ancestor of that level",
                                  placeholder, node->code);
              return FALSE;
            }
        }
      g_string_append (text, node_field (source, which));
    }

  if (out != NULL)
    *out = g_string_free (g_steal_pointer (&text), FALSE);
  return TRUE;
}

static gboolean
parse_template (FqRefData     *self,
                JsonObject    *object,
                const char    *where,
                UnitTemplate  *out,
                GError       **error)
{
  static const char * const members[] = {
    "function", "kind", "level", "name_suffix", "name", "name_en", NULL
  };
  g_autofree char *name_field = member_path (where, "name");
  g_autofree char *name_en_field = member_path (where, "name_en");
  int kind, level;

  if (!check_members (object, where, members, error)
      || !get_string (object, where, "function", TRUE, &out->function, error)
      || !get_enum (object, where, "kind", FQ_TYPE_UNIT_KIND, "unit kind", &kind, error)
      || !get_enum (object, where, "level", FQ_TYPE_GRID_LEVEL, "grid level", &level, error)
      || !get_string (object, where, "name_suffix", FALSE, &out->name_suffix, error)
      || !get_string (object, where, "name", TRUE, &out->name, error)
      || !get_string (object, where, "name_en", TRUE, &out->name_en, error))
    return FALSE;

  if (!is_identifier (out->function))
    {
      g_autofree char *field = member_path (where, "function");

      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field,
                          "\"%s\" is not a unit function ([a-z_]+)", out->function);
      return FALSE;
    }

  if (!expand_pattern (self, out->name, NULL, name_field, NULL, error)
      || !expand_pattern (self, out->name_en, NULL, name_en_field, NULL, error))
    return FALSE;

  out->kind = kind;
  out->level = level;
  out->where = g_strdup (where);
  return TRUE;
}

/**
 * fq_refdata_load_units:
 * @self: reference data being built, with its grid loaded
 * @path: a unit templates file (data/README.md)
 * @error: return location for an error
 *
 * Generates the units of every grid node from the templates of @path: for
 * each node and each function, the first template of the node's level whose
 * name suffix (if any) ends the node's name. Unit ids are
 * `FUNCTION-GRIDCODE`.
 *
 * Returns: %TRUE on success; on failure no unit is added
 */
gboolean
fq_refdata_load_units (FqRefData   *self,
                       const char  *path,
                       GError     **error)
{
  static const char * const members[] = { "templates", NULL };
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(GArray) templates = NULL;
  g_autoptr(GPtrArray) units = NULL;
  g_autoptr(GHashTable) done = NULL;
  JsonArray *array;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  root = load_json_file (path, error);
  if (root == NULL)
    return FALSE;

  if (!check_members (root, "root", members, error)
      || !get_array (root, NULL, "templates", TRUE, &array, error))
    return FALSE;

  if (self->nodes->len == 0)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "templates",
                          "no grid is loaded to generate units for");
      return FALSE;
    }

  templates = g_array_new (FALSE, TRUE, sizeof (UnitTemplate));
  g_array_set_clear_func (templates, (GDestroyNotify)unit_template_clear);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      g_autofree char *where = g_strdup_printf ("templates[%u]", i);
      UnitTemplate t = { 0, };
      JsonObject *object;

      if (!get_object_element (array, i, where, &object, error)
          || !parse_template (self, object, where, &t, error))
        {
          unit_template_clear (&t);
          return FALSE;
        }
      g_array_append_val (templates, t);
    }

  units = g_ptr_array_new_with_free_func ((GDestroyNotify)unit_info_free);
  /* "function\tcode" of the units generated so far, which also catches an id
   * that is already taken. */
  done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint n = 0; n < self->nodes->len; n++)
    {
      const FqGridNodeInfo *node = g_ptr_array_index (self->nodes, n);

      for (guint i = 0; i < templates->len; i++)
        {
          const UnitTemplate *t = &g_array_index (templates, UnitTemplate, i);
          g_autofree char *key = NULL;
          g_autofree char *name_field = NULL;
          g_autofree char *name_en_field = NULL;
          g_autofree FqUnitInfo *unit = NULL;

          if (t->level != node->level)
            continue;
          if (t->name_suffix != NULL && !g_str_has_suffix (node->name, t->name_suffix))
            continue;

          key = place_key (t->function, node->code);
          if (g_hash_table_contains (done, key))
            continue;

          unit = g_new0 (FqUnitInfo, 1);
          unit->id = g_strconcat (t->function, "-", node->code, NULL);
          if (g_hash_table_contains (self->units_by_id, unit->id))
            {
              g_free (unit->id);
              fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, t->where,
                                  "unit %s-%s exists already", t->function, node->code);
              return FALSE;
            }

          name_field = member_path (t->where, "name");
          name_en_field = member_path (t->where, "name_en");
          if (!expand_pattern (self, t->name, node, name_field, &unit->name, error)
              || !expand_pattern (self, t->name_en, node, name_en_field, &unit->name_en, error))
            {
              unit_info_free (g_steal_pointer (&unit));
              return FALSE;
            }
          unit->kind = t->kind;
          unit->function = g_strdup (t->function);
          unit->grid = g_strdup (node->code);

          g_ptr_array_add (units, g_steal_pointer (&unit));
          g_hash_table_add (done, g_steal_pointer (&key));
        }
    }

  for (guint i = 0; i < units->len; i++)
    fq_refdata_add_unit (self, g_ptr_array_index (units, i));

  return TRUE;
}

/**
 * fq_refdata_new_from_dir:
 * @datadir: a directory holding grid-4202.tsv, categories.json and
 *   unit-templates.json
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the reference data, or %NULL
 */
FqRefData *
fq_refdata_new_from_dir (const char  *datadir,
                         GError     **error)
{
  g_autoptr(FqRefData) self = fq_refdata_new ();
  g_autofree char *grid = NULL;
  g_autofree char *categories = NULL;
  g_autofree char *units = NULL;

  g_return_val_if_fail (datadir != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  grid = g_build_filename (datadir, "grid-4202.tsv", NULL);
  categories = g_build_filename (datadir, "categories.json", NULL);
  units = g_build_filename (datadir, "unit-templates.json", NULL);

  if (!fq_refdata_load_grid (self, grid, error)
      || !fq_refdata_load_categories (self, categories, error)
      || !fq_refdata_load_units (self, units, error))
    return NULL;

  return g_steal_pointer (&self);
}

/* ---- lookups ---- */

/* A new array of the records of @array, which it does not own: not
 * g_ptr_array_copy(), which would pass on the free function. */
static GPtrArray *
borrowed_copy (GPtrArray *array)
{
  GPtrArray *copy = g_ptr_array_sized_new (array->len);

  g_ptr_array_extend (copy, array, NULL, NULL);
  return copy;
}

/**
 * fq_refdata_get_node:
 * @self: reference data
 * @code: a grid code
 *
 * Returns: (transfer none) (nullable): the node
 */
const FqGridNodeInfo *
fq_refdata_get_node (FqRefData  *self,
                     const char *code)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (code == NULL)
    return NULL;

  return g_hash_table_lookup (self->nodes_by_code, code);
}

/**
 * fq_refdata_get_root:
 * @self: reference data
 *
 * Returns: (transfer none) (nullable): the root node
 */
const FqGridNodeInfo *
fq_refdata_get_root (FqRefData *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->root;
}

/**
 * fq_refdata_get_nodes:
 * @self: reference data
 *
 * Returns: (transfer container) (element-type FqGridNodeInfo): every node,
 *   parents before children
 */
GPtrArray *
fq_refdata_get_nodes (FqRefData *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return borrowed_copy (self->nodes);
}

/**
 * fq_refdata_get_children:
 * @self: reference data
 * @code: a grid code
 *
 * Returns: (transfer container) (element-type FqGridNodeInfo): the children
 *   of @code in the order they were added; empty if it has none or is unknown
 */
GPtrArray *
fq_refdata_get_children (FqRefData  *self,
                         const char *code)
{
  GPtrArray *children;

  g_return_val_if_fail (self != NULL, NULL);

  children = code != NULL ? g_hash_table_lookup (self->children, code) : NULL;
  if (children == NULL)
    return g_ptr_array_new ();

  return borrowed_copy (children);
}

/**
 * fq_refdata_get_ancestor:
 * @self: reference data
 * @code: a grid code
 * @level: a level
 *
 * Returns: (transfer none) (nullable): the node of @level on the path from
 *   the root to @code (@code's own node if it is of @level), or %NULL
 */
const FqGridNodeInfo *
fq_refdata_get_ancestor (FqRefData   *self,
                         const char  *code,
                         FqGridLevel  level)
{
  const FqGridNodeInfo *node;

  g_return_val_if_fail (self != NULL, NULL);

  for (node = fq_refdata_get_node (self, code);
       node != NULL;
       node = fq_refdata_get_node (self, node->parent))
    {
      if (node->level == level)
        return node;
    }

  return NULL;
}

/* A grid code as records carry it: 12 digits, or 14 for a grid cell. */
static gboolean
is_grid_code (const char *code)
{
  gsize n = strlen (code);

  return (n == 12 || n == 14) && is_digits (code, n);
}

/**
 * fq_refdata_in_scope:
 * @self: reference data
 * @scope_code: the code of a scope node
 * @code: (nullable): a grid code
 *
 * A code the data does not list (a grid cell drawn later) is judged by its
 * digits alone.
 *
 * Returns: %TRUE if @code is @scope_code or lies in its subtree
 */
gboolean
fq_refdata_in_scope (FqRefData  *self,
                     const char *scope_code,
                     const char *code)
{
  const FqGridNodeInfo *scope;

  g_return_val_if_fail (self != NULL, FALSE);

  scope = fq_refdata_get_node (self, scope_code);
  if (scope == NULL || code == NULL)
    return FALSE;

  if (fq_refdata_get_node (self, code) == NULL && !is_grid_code (code))
    return FALSE;

  return g_str_has_prefix (code, scope->prefix);
}

/**
 * fq_refdata_get_category:
 * @self: reference data
 * @code: (nullable): a category code
 *
 * Returns: (transfer none) (nullable): the category
 */
const FqCategoryInfo *
fq_refdata_get_category (FqRefData  *self,
                         const char *code)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (code == NULL)
    return NULL;

  return g_hash_table_lookup (self->categories_by_code, code);
}

/**
 * fq_refdata_get_categories:
 * @self: reference data
 *
 * Returns: (transfer container) (element-type FqCategoryInfo): every
 *   category, in file order
 */
GPtrArray *
fq_refdata_get_categories (FqRefData *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return borrowed_copy (self->categories);
}

/**
 * fq_refdata_get_groups:
 * @self: reference data
 *
 * Returns: (transfer container) (element-type FqCategoryGroupInfo): every
 *   group, in file order
 */
GPtrArray *
fq_refdata_get_groups (FqRefData *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return borrowed_copy (self->groups);
}

/**
 * fq_refdata_get_unit:
 * @self: reference data
 * @id: (nullable): a unit id
 *
 * Returns: (transfer none) (nullable): the unit
 */
const FqUnitInfo *
fq_refdata_get_unit (FqRefData  *self,
                     const char *id)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (id == NULL)
    return NULL;

  return g_hash_table_lookup (self->units_by_id, id);
}

/**
 * fq_refdata_get_units:
 * @self: reference data
 *
 * Returns: (transfer container) (element-type FqUnitInfo): every unit: the
 *   generated ones by node in file order
 */
GPtrArray *
fq_refdata_get_units (FqRefData *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return borrowed_copy (self->units);
}

/* The node @code names or, for a code the data does not list (a grid cell,
 * a community added after the data was loaded), the nearest listed node
 * whose code its digits say is an ancestor. */
static const FqGridNodeInfo *
nearest_node (FqRefData  *self,
              const char *code)
{
  const FqGridNodeInfo *node = fq_refdata_get_node (self, code);

  if (node != NULL || !is_grid_code (code))
    return node;

  for (int i = G_N_ELEMENTS (level_shapes) - 1; i >= 0; i--)
    {
      char candidate[13];

      if (level_shapes[i].prefix_length >= strlen (code) || level_shapes[i].code_length != 12)
        continue;

      memset (candidate, '0', 12);
      candidate[12] = '\0';
      memcpy (candidate, code, level_shapes[i].prefix_length);

      node = fq_refdata_get_node (self, candidate);
      if (node != NULL)
        return node;
    }

  return NULL;
}

/**
 * fq_refdata_find_unit:
 * @self: reference data
 * @function: a unit function
 * @grid_code: a grid code
 *
 * Returns: (transfer none) (nullable): the unit of @function covering
 *   @grid_code or, failing that, its nearest ancestor that has one
 */
const FqUnitInfo *
fq_refdata_find_unit (FqRefData  *self,
                      const char *function,
                      const char *grid_code)
{
  const FqGridNodeInfo *node;

  g_return_val_if_fail (self != NULL, NULL);

  if (function == NULL || grid_code == NULL)
    return NULL;

  for (node = nearest_node (self, grid_code);
       node != NULL;
       node = fq_refdata_get_node (self, node->parent))
    {
      g_autofree char *key = place_key (function, node->code);
      const FqUnitInfo *unit = g_hash_table_lookup (self->units_by_place, key);

      if (unit != NULL)
        return unit;
    }

  return NULL;
}

/**
 * fq_refdata_lead_unit:
 * @self: reference data
 * @category: a category code
 * @grid_code: the place of the incident
 *
 * Returns: (transfer none) (nullable): the unit of the category's lead unit
 *   kind nearest to @grid_code, or %NULL if the category is unknown or no
 *   such unit covers the place
 */
const FqUnitInfo *
fq_refdata_lead_unit (FqRefData  *self,
                      const char *category,
                      const char *grid_code)
{
  const FqCategoryInfo *info;

  g_return_val_if_fail (self != NULL, NULL);

  info = fq_refdata_get_category (self, category);
  if (info == NULL)
    return NULL;

  return fq_refdata_find_unit (self, info->lead_unit_kind, grid_code);
}
