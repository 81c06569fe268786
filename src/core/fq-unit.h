/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "fq-enums.h"

G_BEGIN_DECLS

/*
 * A responsible unit (street office, community committee, department,
 * police station, …), as `GET /units` lists it.
 */

#define FQ_TYPE_UNIT (fq_unit_get_type ())

G_DECLARE_FINAL_TYPE (FqUnit, fq_unit, FQ, UNIT, GObject)

FqUnit     *fq_unit_new_from_json (JsonObject  *object,
                                   GError     **error);
JsonNode   *fq_unit_to_json       (FqUnit *self);
const char *fq_unit_get_id        (FqUnit *self);
const char *fq_unit_get_name      (FqUnit *self);
const char *fq_unit_get_name_en   (FqUnit *self);
FqUnitKind  fq_unit_get_kind      (FqUnit *self);
const char *fq_unit_get_grid      (FqUnit *self);

G_END_DECLS
