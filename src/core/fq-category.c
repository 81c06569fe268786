/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao"

#include "config.h"

#include "fq-enum-types.h"
#include "fq-json.h"
#include "fq-model-codec.h"
#include "fq-category.h"

struct _FqCategory
{
  GObject   parent_instance;

  char     *code;
  char     *name;
  char     *name_en;
  char     *group;
  char     *lead_unit_kind;
  gboolean  police_only;
  FqTier    tier;
  guint     deadline_hours;
};

enum
{
  PROP_0,
  PROP_CODE,
  PROP_NAME,
  PROP_NAME_EN,
  PROP_GROUP,
  PROP_LEAD_UNIT_KIND,
  PROP_POLICE_ONLY,
  PROP_TIER,
  PROP_DEADLINE_HOURS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FqCategory, fq_category, G_TYPE_OBJECT)

/* The JSON object of API.md, member by member. */
static const FqModelField fields[] = {
  { "code", "code", FQ_MODEL_STRING, TRUE, FQ_MAX_CODE_CHARS },
  { "name", "name", FQ_MODEL_STRING, TRUE, FQ_MAX_NAME_CHARS },
  { "name_en", "name-en", FQ_MODEL_STRING, FALSE, FQ_MAX_NAME_CHARS },
  { "group", "group", FQ_MODEL_STRING, TRUE, FQ_MAX_CODE_CHARS },
  { "lead_unit_kind", "lead-unit-kind", FQ_MODEL_STRING, TRUE, FQ_MAX_CODE_CHARS },
  { "police_only", "police-only", FQ_MODEL_BOOL, TRUE },
  { "tier", "tier", FQ_MODEL_ENUM, TRUE },
  { "deadline_hours", "deadline-hours", FQ_MODEL_INT, TRUE, 0, 0, G_MAXUINT, FALSE },
};

static void
fq_category_finalize (GObject *object)
{
  FqCategory *self = (FqCategory *)object;

  g_clear_pointer (&self->code, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->name_en, g_free);
  g_clear_pointer (&self->group, g_free);
  g_clear_pointer (&self->lead_unit_kind, g_free);

  G_OBJECT_CLASS (fq_category_parent_class)->finalize (object);
}

static void
fq_category_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  FqCategory *self = FQ_CATEGORY (object);

  switch (prop_id)
    {
    case PROP_CODE:
      g_value_set_string (value, self->code);
      break;

    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_NAME_EN:
      g_value_set_string (value, self->name_en);
      break;

    case PROP_GROUP:
      g_value_set_string (value, self->group);
      break;

    case PROP_LEAD_UNIT_KIND:
      g_value_set_string (value, self->lead_unit_kind);
      break;

    case PROP_POLICE_ONLY:
      g_value_set_boolean (value, self->police_only);
      break;

    case PROP_TIER:
      g_value_set_enum (value, self->tier);
      break;

    case PROP_DEADLINE_HOURS:
      g_value_set_uint (value, self->deadline_hours);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_category_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  FqCategory *self = FQ_CATEGORY (object);

  switch (prop_id)
    {
    case PROP_CODE:
      fq_model_set_string (object, &self->code, g_value_get_string (value), pspec);
      break;

    case PROP_NAME:
      fq_model_set_string (object, &self->name, g_value_get_string (value), pspec);
      break;

    case PROP_NAME_EN:
      fq_model_set_string (object, &self->name_en, g_value_get_string (value), pspec);
      break;

    case PROP_GROUP:
      fq_model_set_string (object, &self->group, g_value_get_string (value), pspec);
      break;

    case PROP_LEAD_UNIT_KIND:
      fq_model_set_string (object, &self->lead_unit_kind, g_value_get_string (value), pspec);
      break;

    case PROP_POLICE_ONLY:
      fq_model_set_boolean (object, &self->police_only, g_value_get_boolean (value), pspec);
      break;

    case PROP_TIER:
      fq_model_set_int (object, (int *)&self->tier, g_value_get_enum (value), pspec);
      break;

    case PROP_DEADLINE_HOURS:
      fq_model_set_uint (object, &self->deadline_hours, g_value_get_uint (value), pspec);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_category_class_init (FqCategoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fq_category_finalize;
  object_class->get_property = fq_category_get_property;
  object_class->set_property = fq_category_set_property;

  /**
   * FqCategory:code:
   *
   * The category code.
   */
  properties[PROP_CODE] =
    g_param_spec_string ("code", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqCategory:name:
   *
   * The Chinese name.
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqCategory:name-en:
   *
   * The English name.
   */
  properties[PROP_NAME_EN] =
    g_param_spec_string ("name-en", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqCategory:group:
   *
   * The code of the group it belongs to.
   */
  properties[PROP_GROUP] =
    g_param_spec_string ("group", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqCategory:lead-unit-kind:
   *
   * The function of the unit that leads its tickets, such as "street_office"
   * or "urban_management".
   */
  properties[PROP_LEAD_UNIT_KIND] =
    g_param_spec_string ("lead-unit-kind", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqCategory:police-only:
   *
   * Whether it must never be diverted: such incidents can only be decided
   * "police".
   */
  properties[PROP_POLICE_ONLY] =
    g_param_spec_boolean ("police-only", NULL, NULL,
                          FALSE,
                          FQ_MODEL_PARAM_FLAGS);

  /**
   * FqCategory:tier:
   *
   * The default handling tier.
   */
  properties[PROP_TIER] =
    g_param_spec_enum ("tier", NULL, NULL,
                       FQ_TYPE_TIER, FQ_TIER_COMMUNITY,
                       FQ_MODEL_PARAM_FLAGS);

  /**
   * FqCategory:deadline-hours:
   *
   * Hours from dispatch to the deadline.
   */
  properties[PROP_DEADLINE_HOURS] =
    g_param_spec_uint ("deadline-hours", NULL, NULL,
                       0, G_MAXUINT, 0,
                       FQ_MODEL_PARAM_FLAGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fq_category_init (FqCategory *self)
{
}

/**
 * fq_category_new_from_json:
 * @object: a category object as the API writes it
 * @error: return location for an error
 *
 * Every member is checked strictly (see fq-json.h); members the type does
 * not know are ignored.
 *
 * Returns: (transfer full) (nullable): the category, or %NULL with @error set
 */
FqCategory *
fq_category_new_from_json (JsonObject  *object,
                           GError     **error)
{
  g_autoptr(FqCategory) self = NULL;

  g_return_val_if_fail (object != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (FQ_TYPE_CATEGORY, NULL);
  if (!fq_model_read_fields (G_OBJECT (self), fields, G_N_ELEMENTS (fields), object, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * fq_category_to_json:
 * @self: a #FqCategory
 *
 * Returns: (transfer full): @self as the API's category object
 */
JsonNode *
fq_category_to_json (FqCategory *self)
{
  g_return_val_if_fail (FQ_IS_CATEGORY (self), NULL);

  return fq_model_write_fields (G_OBJECT (self), fields, G_N_ELEMENTS (fields));
}

/**
 * fq_category_get_code:
 * @self: a #FqCategory
 *
 * Returns: (transfer none): The category code.
 */
const char *
fq_category_get_code (FqCategory *self)
{
  g_return_val_if_fail (FQ_IS_CATEGORY (self), NULL);

  return self->code;
}

/**
 * fq_category_get_name:
 * @self: a #FqCategory
 *
 * Returns: (transfer none): The Chinese name.
 */
const char *
fq_category_get_name (FqCategory *self)
{
  g_return_val_if_fail (FQ_IS_CATEGORY (self), NULL);

  return self->name;
}

/**
 * fq_category_get_name_en:
 * @self: a #FqCategory
 *
 * Returns: (transfer none) (nullable): The English name.
 */
const char *
fq_category_get_name_en (FqCategory *self)
{
  g_return_val_if_fail (FQ_IS_CATEGORY (self), NULL);

  return self->name_en;
}

/**
 * fq_category_get_group:
 * @self: a #FqCategory
 *
 * Returns: (transfer none): The code of the group it belongs to.
 */
const char *
fq_category_get_group (FqCategory *self)
{
  g_return_val_if_fail (FQ_IS_CATEGORY (self), NULL);

  return self->group;
}

/**
 * fq_category_get_lead_unit_kind:
 * @self: a #FqCategory
 *
 * Returns: (transfer none): The function of the unit that leads its tickets,
 *    such as "street_office" or "urban_management".
 */
const char *
fq_category_get_lead_unit_kind (FqCategory *self)
{
  g_return_val_if_fail (FQ_IS_CATEGORY (self), NULL);

  return self->lead_unit_kind;
}

/**
 * fq_category_get_police_only:
 * @self: a #FqCategory
 *
 * Returns: Whether it must never be diverted: such incidents can only be
 *    decided "police".
 */
gboolean
fq_category_get_police_only (FqCategory *self)
{
  g_return_val_if_fail (FQ_IS_CATEGORY (self), FALSE);

  return self->police_only;
}

/**
 * fq_category_get_tier:
 * @self: a #FqCategory
 *
 * Returns: The default handling tier.
 */
FqTier
fq_category_get_tier (FqCategory *self)
{
  g_return_val_if_fail (FQ_IS_CATEGORY (self), 0);

  return self->tier;
}

/**
 * fq_category_get_deadline_hours:
 * @self: a #FqCategory
 *
 * Returns: Hours from dispatch to the deadline.
 */
guint
fq_category_get_deadline_hours (FqCategory *self)
{
  g_return_val_if_fail (FQ_IS_CATEGORY (self), 0);

  return self->deadline_hours;
}
