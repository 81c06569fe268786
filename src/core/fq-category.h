/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "fq-enums.h"

G_BEGIN_DECLS

/*
 * A dispute category of the responsibility list, as `GET /categories` lists
 * it.
 */

#define FQ_TYPE_CATEGORY (fq_category_get_type ())

G_DECLARE_FINAL_TYPE (FqCategory, fq_category, FQ, CATEGORY, GObject)

FqCategory *fq_category_new_from_json      (JsonObject  *object,
                                            GError     **error);
JsonNode   *fq_category_to_json            (FqCategory *self);
const char *fq_category_get_code           (FqCategory *self);
const char *fq_category_get_name           (FqCategory *self);
const char *fq_category_get_name_en        (FqCategory *self);
const char *fq_category_get_group          (FqCategory *self);
const char *fq_category_get_lead_unit_kind (FqCategory *self);
gboolean    fq_category_get_police_only    (FqCategory *self);
FqTier      fq_category_get_tier           (FqCategory *self);
guint       fq_category_get_deadline_hours (FqCategory *self);

G_END_DECLS
