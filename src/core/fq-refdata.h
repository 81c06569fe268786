/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "fq-enums.h"

G_BEGIN_DECLS

/*
 * Reference data: the grid hierarchy, the categories and the units, loaded
 * from the files of data/ (formats in data/README.md) and immutable once
 * loaded, so that any thread may read it.
 *
 * Grid codes are the official 12-digit statistical division codes (a city is
 * 420200000000); grid cells below a community have 14 digits. A node's
 * "scope prefix" is its code without the zeros its level leaves unused
 * (province 2 digits, city 4, district 6, street 9, community 12, grid 14):
 * a record is inside a node's subtree exactly when its grid code starts with
 * that prefix.
 */

typedef struct
{
  char        *code;
  char        *name;
  FqGridLevel  level;
  char        *parent;   /* NULL for the root */
  char        *prefix;   /* the scope prefix */
  char        *path;     /* names from the root, "黄石市 / 下陆区 / …" */
  char        *short_name; /* without its suffix: 团城山街道 → 团城山; else name */
  char        *name_en;    /* nullable: "Tuanchengshan Sub-district" */
  char        *short_en;   /* nullable: "Tuanchengshan" */
} FqGridNodeInfo;

typedef struct
{
  char     *code;
  char     *name;
  char     *name_en;
  char     *group;           /* group code */
  char     *lead_unit_kind;  /* a unit function, see FqUnitInfo */
  GStrv     support_unit_kinds; /* never NULL */
  gboolean  police_only;
  FqTier    tier;
  guint     deadline_hours;
  GStrv     keywords;        /* typical words of a call about it; never NULL */
} FqCategoryInfo;

typedef struct
{
  char *code;
  char *name;
  char *name_en;
} FqCategoryGroupInfo;

typedef struct
{
  char       *id;
  char       *name;
  char       *name_en;
  FqUnitKind  kind;
  char       *function;  /* "street_office", "community", "urban_management", … */
  char       *grid;      /* the node it covers */
} FqUnitInfo;

typedef struct _FqRefData FqRefData;

FqRefData   *fq_refdata_new                (void);
FqRefData   *fq_refdata_ref                (FqRefData    *self);
void         fq_refdata_unref              (FqRefData    *self);

/* data/grid-*.tsv: code, name, level, parent. */
gboolean     fq_refdata_load_grid          (FqRefData    *self,
                                            const char   *path,
                                            GError      **error);
/* data/categories.json */
gboolean     fq_refdata_load_categories    (FqRefData    *self,
                                            const char   *path,
                                            GError      **error);
/* data/unit-templates.json: generates the units for every loaded grid node. */
gboolean     fq_refdata_load_units         (FqRefData    *self,
                                            const char   *path,
                                            GError      **error);
/* Adding records one by one (the server rebuilds its reference data from its
 * database this way). Parents must be added before their children. */
void         fq_refdata_add_node           (FqRefData    *self,
                                            const char   *code,
                                            const char   *name,
                                            FqGridLevel   level,
                                            const char   *parent);
/* The same with the optional columns of the grid file (NULL: absent). */
void         fq_refdata_add_node_full      (FqRefData    *self,
                                            const char   *code,
                                            const char   *name,
                                            FqGridLevel   level,
                                            const char   *parent,
                                            const char   *short_name,
                                            const char   *name_en,
                                            const char   *short_en);
void         fq_refdata_add_group          (FqRefData    *self,
                                            const FqCategoryGroupInfo *group);
void         fq_refdata_add_category       (FqRefData    *self,
                                            const FqCategoryInfo *category);
void         fq_refdata_add_unit           (FqRefData    *self,
                                            const FqUnitInfo *unit);
/* Loads grid-4202.tsv, categories.json and unit-templates.json from @datadir. */
FqRefData   *fq_refdata_new_from_dir       (const char   *datadir,
                                            GError      **error);

const FqGridNodeInfo *fq_refdata_get_node  (FqRefData    *self,
                                            const char   *code);
const FqGridNodeInfo *fq_refdata_get_root  (FqRefData    *self);
/* The get_nodes/children/categories/groups/units arrays are new arrays of
 * borrowed records (transfer container): free them with g_ptr_array_unref().
 * (element-type FqGridNodeInfo) in file order, parents before children. */
GPtrArray   *fq_refdata_get_nodes          (FqRefData    *self);
GPtrArray   *fq_refdata_get_children       (FqRefData    *self,
                                            const char   *code);
/* The ancestor of @code at @level (or @code itself), or NULL. */
const FqGridNodeInfo *fq_refdata_get_ancestor (FqRefData *self,
                                               const char *code,
                                               FqGridLevel level);
/* TRUE if @code lies in the subtree of @scope_code (or is it). */
gboolean     fq_refdata_in_scope           (FqRefData    *self,
                                            const char   *scope_code,
                                            const char   *code);

const FqCategoryInfo      *fq_refdata_get_category  (FqRefData  *self,
                                                     const char *code);
GPtrArray                 *fq_refdata_get_categories (FqRefData *self);
GPtrArray                 *fq_refdata_get_groups     (FqRefData *self);

const FqUnitInfo *fq_refdata_get_unit      (FqRefData    *self,
                                            const char   *id);
GPtrArray   *fq_refdata_get_units          (FqRefData    *self);
/* The unit of @function nearest to @grid_code: the one covering @grid_code
 * itself or, failing that, its nearest ancestor that has one. NULL if none. */
const FqUnitInfo *fq_refdata_find_unit     (FqRefData    *self,
                                            const char   *function,
                                            const char   *grid_code);
/* The lead unit for a ticket of @category at @grid_code. */
const FqUnitInfo *fq_refdata_lead_unit     (FqRefData    *self,
                                            const char   *category,
                                            const char   *grid_code);

/* How many leading digits of a code make the scope prefix of @level
 * (province 2, city 4, … grid 14; see above); 0 for no level. */
guint        fq_grid_level_prefix_length   (FqGridLevel   level);
/* The scope prefix of a code at a level (see above). */
char        *fq_grid_scope_prefix          (const char   *code,
                                            FqGridLevel   level);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FqRefData, fq_refdata_unref)

G_END_DECLS
