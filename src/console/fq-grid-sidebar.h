/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "fq-context.h"

G_BEGIN_DECLS

#define FQ_TYPE_GRID_SIDEBAR (fq_grid_sidebar_get_type ())

G_DECLARE_FINAL_TYPE (FqGridSidebar, fq_grid_sidebar, FQ, GRID_SIDEBAR, AdwBin)

GtkWidget  *fq_grid_sidebar_new           (void);
/* Property "context" (FqContext). */
void        fq_grid_sidebar_set_context   (FqGridSidebar *self,
                                           FqContext     *context);
FqContext  *fq_grid_sidebar_get_context   (FqGridSidebar *self);
/* Properties "scope-prefix" and "scope-name": the selected node. */
const char *fq_grid_sidebar_get_scope_prefix (FqGridSidebar *self);
const char *fq_grid_sidebar_get_scope_name   (FqGridSidebar *self);
/* Expands the tree down to the first node whose name contains @text and
 * selects it; FALSE if none does. */
gboolean    fq_grid_sidebar_reveal        (FqGridSidebar *self,
                                           const char    *text);
/* Moves the keyboard focus to the search entry. */
void        fq_grid_sidebar_focus_search  (FqGridSidebar *self);

G_END_DECLS
