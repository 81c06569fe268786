/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "fq-cache.h"
#include "fq-enums.h"

G_BEGIN_DECLS

/*
 * FqGridItem: one node of the grid hierarchy with live counts over its
 * subtree. Properties: code, name, path ("黄石市 / 下陆区 / …"), prefix (its
 * scope prefix, for fq_incident_list_set_scope()), level (FqGridLevel),
 * has-children (gboolean), n-new-today (incidents received since local
 * midnight), n-open (tickets not closed), n-overdue (overdue open tickets).
 * Counts are notified only when they change.
 */

#define FQ_TYPE_GRID_ITEM (fq_grid_item_get_type ())

G_DECLARE_FINAL_TYPE (FqGridItem, fq_grid_item, FQ, GRID_ITEM, GObject)

const char  *fq_grid_item_get_code         (FqGridItem *self);
const char  *fq_grid_item_get_name         (FqGridItem *self);
const char  *fq_grid_item_get_path         (FqGridItem *self);
const char  *fq_grid_item_get_prefix       (FqGridItem *self);
FqGridLevel  fq_grid_item_get_level        (FqGridItem *self);
gboolean     fq_grid_item_get_has_children (FqGridItem *self);
guint        fq_grid_item_get_n_new_today  (FqGridItem *self);
guint        fq_grid_item_get_n_open       (FqGridItem *self);
guint        fq_grid_item_get_n_overdue    (FqGridItem *self);

/*
 * FqGridModel: the grid hierarchy in the cache (the user's scope subtree),
 * for a GtkTreeListModel:
 *
 *   tree = gtk_tree_list_model_new (fq_grid_model_get_roots (model), FALSE,
 *                                   FALSE, fq_grid_model_create_child_model,
 *                                   g_object_ref (model), g_object_unref);
 *
 * Counts are recomputed on the cache's worker after every batch of changes
 * (and at local midnight) and applied per item.
 */

#define FQ_TYPE_GRID_MODEL (fq_grid_model_get_type ())

G_DECLARE_FINAL_TYPE (FqGridModel, fq_grid_model, FQ, GRID_MODEL, GObject)

FqGridModel *fq_grid_model_new             (FqCache     *cache);

/* (transfer none): the top nodes (usually one: the scope root). Filled
 * when the grid has been read from the cache (property "loaded"). */
GListModel  *fq_grid_model_get_roots       (FqGridModel *self);

/* A GtkTreeListModelCreateModelFunc: @item is an FqGridItem, @user_data the
 * FqGridModel. Returns (transfer full) a GListModel of the children, or
 * NULL for a leaf. */
GListModel  *fq_grid_model_create_child_model (gpointer  item,
                                               gpointer  user_data);

/* (transfer none) (nullable) */
FqGridItem  *fq_grid_model_lookup          (FqGridModel *self,
                                            const char  *code);

/* Type-to-find: the first node, in tree order after @after_code (NULL: from
 * the top, wrapping round), whose name contains @text (e.g. "广州路" finds
 * "广州路社区居委会"). Returns the codes from the root down to that node, to
 * expand and select (transfer full), or NULL if none matches. */
GStrv        fq_grid_model_find            (FqGridModel *self,
                                            const char  *text,
                                            const char  *after_code);

gboolean     fq_grid_model_get_loaded      (FqGridModel *self);

G_END_DECLS
