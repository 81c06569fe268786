/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao"

#include "config.h"

#include "fq-enum-types.h"
#include "fq-json.h"
#include "fq-model-codec.h"
#include "fq-unit.h"

struct _FqUnit
{
  GObject     parent_instance;

  char       *id;
  char       *name;
  char       *name_en;
  FqUnitKind  kind;
  char       *grid;
};

enum
{
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_NAME_EN,
  PROP_KIND,
  PROP_GRID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FqUnit, fq_unit, G_TYPE_OBJECT)

/* The JSON object of API.md, member by member. */
static const FqModelField fields[] = {
  { "id", "id", FQ_MODEL_STRING, TRUE, FQ_MAX_ID_CHARS },
  { "name", "name", FQ_MODEL_STRING, TRUE, FQ_MAX_NAME_CHARS },
  { "name_en", "name-en", FQ_MODEL_STRING, FALSE, FQ_MAX_NAME_CHARS },
  { "kind", "kind", FQ_MODEL_ENUM, TRUE },
  { "grid", "grid", FQ_MODEL_STRING, TRUE, FQ_MAX_CODE_CHARS },
};

static void
fq_unit_finalize (GObject *object)
{
  FqUnit *self = (FqUnit *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->name_en, g_free);
  g_clear_pointer (&self->grid, g_free);

  G_OBJECT_CLASS (fq_unit_parent_class)->finalize (object);
}

static void
fq_unit_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  FqUnit *self = FQ_UNIT (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;

    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_NAME_EN:
      g_value_set_string (value, self->name_en);
      break;

    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;

    case PROP_GRID:
      g_value_set_string (value, self->grid);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_unit_set_property (GObject      *object,
                      guint         prop_id,
                      const GValue *value,
                      GParamSpec   *pspec)
{
  FqUnit *self = FQ_UNIT (object);

  switch (prop_id)
    {
    case PROP_ID:
      fq_model_set_string (object, &self->id, g_value_get_string (value), pspec);
      break;

    case PROP_NAME:
      fq_model_set_string (object, &self->name, g_value_get_string (value), pspec);
      break;

    case PROP_NAME_EN:
      fq_model_set_string (object, &self->name_en, g_value_get_string (value), pspec);
      break;

    case PROP_KIND:
      fq_model_set_int (object, (int *)&self->kind, g_value_get_enum (value), pspec);
      break;

    case PROP_GRID:
      fq_model_set_string (object, &self->grid, g_value_get_string (value), pspec);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_unit_class_init (FqUnitClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fq_unit_finalize;
  object_class->get_property = fq_unit_get_property;
  object_class->set_property = fq_unit_set_property;

  /**
   * FqUnit:id:
   *
   * The unit's identifier.
   */
  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqUnit:name:
   *
   * The Chinese name.
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqUnit:name-en:
   *
   * The English name.
   */
  properties[PROP_NAME_EN] =
    g_param_spec_string ("name-en", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqUnit:kind:
   *
   * The kind of body.
   */
  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL,
                       FQ_TYPE_UNIT_KIND, FQ_UNIT_KIND_DEPARTMENT,
                       FQ_MODEL_PARAM_FLAGS);

  /**
   * FqUnit:grid:
   *
   * The code of the grid node it covers.
   */
  properties[PROP_GRID] =
    g_param_spec_string ("grid", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fq_unit_init (FqUnit *self)
{
}

/**
 * fq_unit_new_from_json:
 * @object: a unit object as the API writes it
 * @error: return location for an error
 *
 * Every member is checked strictly (see fq-json.h); members the type does
 * not know are ignored.
 *
 * Returns: (transfer full) (nullable): the unit, or %NULL with @error set
 */
FqUnit *
fq_unit_new_from_json (JsonObject  *object,
                       GError     **error)
{
  g_autoptr(FqUnit) self = NULL;

  g_return_val_if_fail (object != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (FQ_TYPE_UNIT, NULL);
  if (!fq_model_read_fields (G_OBJECT (self), fields, G_N_ELEMENTS (fields), object, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * fq_unit_to_json:
 * @self: a #FqUnit
 *
 * Returns: (transfer full): @self as the API's unit object
 */
JsonNode *
fq_unit_to_json (FqUnit *self)
{
  g_return_val_if_fail (FQ_IS_UNIT (self), NULL);

  return fq_model_write_fields (G_OBJECT (self), fields, G_N_ELEMENTS (fields));
}

/**
 * fq_unit_get_id:
 * @self: a #FqUnit
 *
 * Returns: (transfer none): The unit's identifier.
 */
const char *
fq_unit_get_id (FqUnit *self)
{
  g_return_val_if_fail (FQ_IS_UNIT (self), NULL);

  return self->id;
}

/**
 * fq_unit_get_name:
 * @self: a #FqUnit
 *
 * Returns: (transfer none): The Chinese name.
 */
const char *
fq_unit_get_name (FqUnit *self)
{
  g_return_val_if_fail (FQ_IS_UNIT (self), NULL);

  return self->name;
}

/**
 * fq_unit_get_name_en:
 * @self: a #FqUnit
 *
 * Returns: (transfer none) (nullable): The English name.
 */
const char *
fq_unit_get_name_en (FqUnit *self)
{
  g_return_val_if_fail (FQ_IS_UNIT (self), NULL);

  return self->name_en;
}

/**
 * fq_unit_get_kind:
 * @self: a #FqUnit
 *
 * Returns: The kind of body.
 */
FqUnitKind
fq_unit_get_kind (FqUnit *self)
{
  g_return_val_if_fail (FQ_IS_UNIT (self), 0);

  return self->kind;
}

/**
 * fq_unit_get_grid:
 * @self: a #FqUnit
 *
 * Returns: (transfer none): The code of the grid node it covers.
 */
const char *
fq_unit_get_grid (FqUnit *self)
{
  g_return_val_if_fail (FQ_IS_UNIT (self), NULL);

  return self->grid;
}
