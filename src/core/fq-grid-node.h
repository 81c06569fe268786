/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "fq-enums.h"

G_BEGIN_DECLS

/*
 * A node of the grid hierarchy (city → district → street → community →
 * grid), as `GET /grid` lists it. See fq-refdata.h for the codes.
 */

#define FQ_TYPE_GRID_NODE (fq_grid_node_get_type ())

G_DECLARE_FINAL_TYPE (FqGridNode, fq_grid_node, FQ, GRID_NODE, GObject)

FqGridNode  *fq_grid_node_new_from_json (JsonObject  *object,
                                         GError     **error);
JsonNode    *fq_grid_node_to_json       (FqGridNode *self);
const char  *fq_grid_node_get_code      (FqGridNode *self);
const char  *fq_grid_node_get_name      (FqGridNode *self);
FqGridLevel  fq_grid_node_get_level     (FqGridNode *self);
const char  *fq_grid_node_get_parent    (FqGridNode *self);
const char  *fq_grid_node_get_path      (FqGridNode *self);

G_END_DECLS
