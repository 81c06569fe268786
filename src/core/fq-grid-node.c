/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao"

#include "config.h"

#include "fq-enum-types.h"
#include "fq-json.h"
#include "fq-model-codec.h"
#include "fq-grid-node.h"

struct _FqGridNode
{
  GObject      parent_instance;

  char        *code;
  char        *name;
  FqGridLevel  level;
  char        *parent;
  char        *path;
};

enum
{
  PROP_0,
  PROP_CODE,
  PROP_NAME,
  PROP_LEVEL,
  PROP_PARENT,
  PROP_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (FqGridNode, fq_grid_node, G_TYPE_OBJECT)

/* The JSON object of API.md, member by member. */
static const FqModelField fields[] = {
  { "code", "code", FQ_MODEL_STRING, TRUE, FQ_MAX_CODE_CHARS },
  { "name", "name", FQ_MODEL_STRING, TRUE, FQ_MAX_NAME_CHARS },
  { "level", "level", FQ_MODEL_ENUM, TRUE },
  { "parent", "parent", FQ_MODEL_STRING, FALSE, FQ_MAX_CODE_CHARS },
  { "path", "path", FQ_MODEL_STRING, FALSE, FQ_MAX_TEXT_CHARS },
};

static void
fq_grid_node_finalize (GObject *object)
{
  FqGridNode *self = (FqGridNode *)object;

  g_clear_pointer (&self->code, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->parent, g_free);
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (fq_grid_node_parent_class)->finalize (object);
}

static void
fq_grid_node_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  FqGridNode *self = FQ_GRID_NODE (object);

  switch (prop_id)
    {
    case PROP_CODE:
      g_value_set_string (value, self->code);
      break;

    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    case PROP_LEVEL:
      g_value_set_enum (value, self->level);
      break;

    case PROP_PARENT:
      g_value_set_string (value, self->parent);
      break;

    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_grid_node_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  FqGridNode *self = FQ_GRID_NODE (object);

  switch (prop_id)
    {
    case PROP_CODE:
      fq_model_set_string (object, &self->code, g_value_get_string (value), pspec);
      break;

    case PROP_NAME:
      fq_model_set_string (object, &self->name, g_value_get_string (value), pspec);
      break;

    case PROP_LEVEL:
      fq_model_set_int (object, (int *)&self->level, g_value_get_enum (value), pspec);
      break;

    case PROP_PARENT:
      fq_model_set_string (object, &self->parent, g_value_get_string (value), pspec);
      break;

    case PROP_PATH:
      fq_model_set_string (object, &self->path, g_value_get_string (value), pspec);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_grid_node_class_init (FqGridNodeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = fq_grid_node_finalize;
  object_class->get_property = fq_grid_node_get_property;
  object_class->set_property = fq_grid_node_set_property;

  /**
   * FqGridNode:code:
   *
   * The official division code.
   */
  properties[PROP_CODE] =
    g_param_spec_string ("code", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqGridNode:name:
   *
   * The Chinese name.
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqGridNode:level:
   *
   * The level in the hierarchy.
   */
  properties[PROP_LEVEL] =
    g_param_spec_enum ("level", NULL, NULL,
                       FQ_TYPE_GRID_LEVEL, FQ_GRID_LEVEL_CITY,
                       FQ_MODEL_PARAM_FLAGS);

  /**
   * FqGridNode:parent:
   *
   * The parent's code, %NULL for the root.
   */
  properties[PROP_PARENT] =
    g_param_spec_string ("parent", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  /**
   * FqGridNode:path:
   *
   * The names from the root, "黄石市 / 下陆区 / …".
   */
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL,
                         NULL,
                         FQ_MODEL_PARAM_FLAGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fq_grid_node_init (FqGridNode *self)
{
  self->level = FQ_GRID_LEVEL_CITY;
}

/**
 * fq_grid_node_new_from_json:
 * @object: a grid node object as the API writes it
 * @error: return location for an error
 *
 * Every member is checked strictly (see fq-json.h); members the type does
 * not know are ignored.
 *
 * Returns: (transfer full) (nullable): the grid node, or %NULL with @error set
 */
FqGridNode *
fq_grid_node_new_from_json (JsonObject  *object,
                            GError     **error)
{
  g_autoptr(FqGridNode) self = NULL;

  g_return_val_if_fail (object != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (FQ_TYPE_GRID_NODE, NULL);
  if (!fq_model_read_fields (G_OBJECT (self), fields, G_N_ELEMENTS (fields), object, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * fq_grid_node_to_json:
 * @self: a #FqGridNode
 *
 * Returns: (transfer full): @self as the API's grid node object
 */
JsonNode *
fq_grid_node_to_json (FqGridNode *self)
{
  g_return_val_if_fail (FQ_IS_GRID_NODE (self), NULL);

  return fq_model_write_fields (G_OBJECT (self), fields, G_N_ELEMENTS (fields));
}

/**
 * fq_grid_node_get_code:
 * @self: a #FqGridNode
 *
 * Returns: (transfer none): The official division code.
 */
const char *
fq_grid_node_get_code (FqGridNode *self)
{
  g_return_val_if_fail (FQ_IS_GRID_NODE (self), NULL);

  return self->code;
}

/**
 * fq_grid_node_get_name:
 * @self: a #FqGridNode
 *
 * Returns: (transfer none): The Chinese name.
 */
const char *
fq_grid_node_get_name (FqGridNode *self)
{
  g_return_val_if_fail (FQ_IS_GRID_NODE (self), NULL);

  return self->name;
}

/**
 * fq_grid_node_get_level:
 * @self: a #FqGridNode
 *
 * Returns: The level in the hierarchy.
 */
FqGridLevel
fq_grid_node_get_level (FqGridNode *self)
{
  g_return_val_if_fail (FQ_IS_GRID_NODE (self), 0);

  return self->level;
}

/**
 * fq_grid_node_get_parent:
 * @self: a #FqGridNode
 *
 * Returns: (transfer none) (nullable): The parent's code, %NULL for the
 *    root.
 */
const char *
fq_grid_node_get_parent (FqGridNode *self)
{
  g_return_val_if_fail (FQ_IS_GRID_NODE (self), NULL);

  return self->parent;
}

/**
 * fq_grid_node_get_path:
 * @self: a #FqGridNode
 *
 * Returns: (transfer none) (nullable): The names from the root, "黄石市 / 下陆区 /
 *    …".
 */
const char *
fq_grid_node_get_path (FqGridNode *self)
{
  g_return_val_if_fail (FQ_IS_GRID_NODE (self), NULL);

  return self->path;
}
