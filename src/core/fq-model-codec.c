/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao"

#include "config.h"

#include <string.h>

#include "fq-error.h"
#include "fq-json.h"
#include "fq-model-codec.h"

static GParamSpec *
find_property (GObject            *object,
               const FqModelField *field)
{
  GParamSpec *pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (object), field->property);

  g_assert (pspec != NULL);
  return pspec;
}

static gboolean
read_field (GObject            *object,
            const FqModelField *field,
            JsonObject         *json,
            GError            **error)
{
  g_auto(GValue) value = G_VALUE_INIT;
  GParamSpec *pspec;
  gboolean present = FALSE;

  if (field->kind == FQ_MODEL_CUSTOM)
    return field->read (object, json, error);

  pspec = find_property (object, field);
  g_value_init (&value, pspec->value_type);

  switch (field->kind)
    {
    case FQ_MODEL_STRING:
      {
        char *str;

        if (!fq_json_get_string (json, field->member, field->required, field->max, &str, error))
          return FALSE;
        g_value_take_string (&value, str);
        break;
      }

    case FQ_MODEL_TIME:
      {
        gint64 t = 0;

        if (!fq_json_get_time (json, field->member, field->required, &t, NULL, error))
          return FALSE;
        g_value_set_int64 (&value, t);
        break;
      }

    case FQ_MODEL_INT:
      {
        gint64 n = 0;

        if (!fq_json_get_int (json, field->member, field->required,
                              field->min_int, field->max_int, &n, &present, error))
          return FALSE;

        if (!present && !field->null_zero)
          n = MAX (field->min_int, 0);

        if (pspec->value_type == G_TYPE_INT)
          g_value_set_int (&value, (int)n);
        else if (pspec->value_type == G_TYPE_UINT)
          g_value_set_uint (&value, (guint)n);
        else
          g_value_set_int64 (&value, n);
        break;
      }

    case FQ_MODEL_BOOL:
      {
        gboolean b = FALSE;

        if (!fq_json_get_bool (json, field->member, field->required, &b, NULL, error))
          return FALSE;
        g_value_set_boolean (&value, b);
        break;
      }

    case FQ_MODEL_ENUM:
      {
        int e = G_PARAM_SPEC_ENUM (pspec)->default_value;

        if (!fq_json_get_enum (json, field->member, field->required, pspec->value_type,
                               &e, NULL, error))
          return FALSE;
        g_value_set_enum (&value, e);
        break;
      }

    case FQ_MODEL_STRV:
      {
        GStrv strv;

        if (!fq_json_get_string_array (json, field->member, field->required,
                                       field->max, FQ_MAX_ID_CHARS, &strv, error))
          return FALSE;
        g_value_take_boxed (&value, strv);
        break;
      }

    case FQ_MODEL_CUSTOM:
    default:
      g_assert_not_reached ();
    }

  g_object_set_property (object, field->property, &value);
  return TRUE;
}

/**
 * fq_model_read_fields:
 * @object: a new model object
 * @fields: (array length=n_fields): its table
 * @n_fields: the number of fields
 * @json: the JSON object
 * @error: return location for an error
 *
 * Sets every field of @object from @json.
 *
 * Returns: %FALSE with @error set at the first field that breaks a rule
 */
gboolean
fq_model_read_fields (GObject            *object,
                      const FqModelField *fields,
                      guint               n_fields,
                      JsonObject         *json,
                      GError            **error)
{
  gboolean ok = TRUE;

  g_object_freeze_notify (object);
  for (guint i = 0; ok && i < n_fields; i++)
    ok = read_field (object, &fields[i], json, error);
  g_object_thaw_notify (object);

  return ok;
}

static void
write_field (GObject            *object,
             const FqModelField *field,
             JsonBuilder        *builder)
{
  g_auto(GValue) value = G_VALUE_INIT;
  GParamSpec *pspec;

  if (field->kind == FQ_MODEL_CUSTOM)
    {
      field->write (object, builder);
      return;
    }

  pspec = find_property (object, field);
  g_value_init (&value, pspec->value_type);
  g_object_get_property (object, field->property, &value);

  switch (field->kind)
    {
    case FQ_MODEL_STRING:
      fq_json_builder_add_string (builder, field->member, g_value_get_string (&value));
      break;

    case FQ_MODEL_TIME:
      fq_json_builder_add_time (builder, field->member, g_value_get_int64 (&value));
      break;

    case FQ_MODEL_INT:
      {
        gint64 n;

        if (pspec->value_type == G_TYPE_INT)
          n = g_value_get_int (&value);
        else if (pspec->value_type == G_TYPE_UINT)
          n = g_value_get_uint (&value);
        else
          n = g_value_get_int64 (&value);

        json_builder_set_member_name (builder, field->member);
        if (n == 0 && field->null_zero)
          json_builder_add_null_value (builder);
        else
          json_builder_add_int_value (builder, n);
        break;
      }

    case FQ_MODEL_BOOL:
      json_builder_set_member_name (builder, field->member);
      json_builder_add_boolean_value (builder, g_value_get_boolean (&value));
      break;

    case FQ_MODEL_ENUM:
      fq_json_builder_add_enum (builder, field->member, pspec->value_type,
                                g_value_get_enum (&value));
      break;

    case FQ_MODEL_STRV:
      fq_json_builder_add_strv (builder, field->member, g_value_get_boxed (&value));
      break;

    case FQ_MODEL_CUSTOM:
    default:
      g_assert_not_reached ();
    }
}

/**
 * fq_model_write_fields:
 * @object: a model object
 * @fields: (array length=n_fields): its table
 * @n_fields: the number of fields
 *
 * Returns: (transfer full): @object as the API's JSON object
 */
JsonNode *
fq_model_write_fields (GObject            *object,
                       const FqModelField *fields,
                       guint               n_fields)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  for (guint i = 0; i < n_fields; i++)
    write_field (object, &fields[i], builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *n_notified)
{
  (*n_notified)++;
}

gboolean
fq_model_update (GObject *self,
                 GObject *from)
{
  g_autofree GParamSpec **pspecs = NULL;
  guint n_pspecs;
  guint n_notified = 0;
  gulong handler;

  g_return_val_if_fail (G_IS_OBJECT (self), FALSE);
  g_return_val_if_fail (G_OBJECT_TYPE (self) == G_OBJECT_TYPE (from), FALSE);

  /* The setters notify exactly when a value changes, so counting the
   * notifications (delivered at thaw, once per property) tells whether
   * anything did, with one definition of "equal" per property. */
  handler = g_signal_connect (self, "notify", G_CALLBACK (count_notify_cb), &n_notified);
  g_object_freeze_notify (self);

  pspecs = g_object_class_list_properties (G_OBJECT_GET_CLASS (self), &n_pspecs);
  for (guint i = 0; i < n_pspecs; i++)
    {
      g_auto(GValue) value = G_VALUE_INIT;
      GParamSpec *pspec = pspecs[i];

      if ((pspec->flags & G_PARAM_READWRITE) != G_PARAM_READWRITE ||
          (pspec->flags & G_PARAM_CONSTRUCT_ONLY) != 0)
        continue;

      g_value_init (&value, pspec->value_type);
      g_object_get_property (from, pspec->name, &value);
      g_object_set_property (self, pspec->name, &value);
    }

  g_object_thaw_notify (self);
  g_signal_handler_disconnect (self, handler);

  return n_notified > 0;
}

gboolean
fq_model_update_checked (GObject     *self,
                         GObject     *from,
                         const char  *id_property,
                         gboolean    *changed,
                         GError     **error)
{
  g_autofree char *id = NULL;
  g_autofree char *from_id = NULL;
  gboolean any;

  g_object_get (self, id_property, &id, NULL);
  g_object_get (from, id_property, &from_id, NULL);

  if (g_strcmp0 (id, from_id) != 0)
    {
      g_autofree char *member = g_strdelimit (g_strdup (id_property), "-", '_');

      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, member,
                          "is %s, not %s as the object being updated", from_id, id);
      return FALSE;
    }

  any = fq_model_update (self, from);
  if (changed != NULL)
    *changed = any;

  return TRUE;
}

gboolean
fq_model_set_string (GObject     *object,
                     char       **slot,
                     const char  *value,
                     GParamSpec  *pspec)
{
  if (g_strcmp0 (*slot, value) == 0)
    return FALSE;

  g_free (*slot);
  *slot = g_strdup (value);
  g_object_notify_by_pspec (object, pspec);
  return TRUE;
}

static gboolean
strv_equal (const char * const *a,
            const char * const *b)
{
  /* NULL and the empty list are the same: the JSON writes [] for both. */
  if (a == NULL || b == NULL)
    return (a == NULL || a[0] == NULL) && (b == NULL || b[0] == NULL);

  return g_strv_equal (a, b);
}

gboolean
fq_model_set_strv (GObject            *object,
                   GStrv              *slot,
                   const char * const *value,
                   GParamSpec         *pspec)
{
  if (strv_equal ((const char * const *)*slot, value))
    return FALSE;

  g_strfreev (*slot);
  *slot = g_strdupv ((char **)value);
  g_object_notify_by_pspec (object, pspec);
  return TRUE;
}

gboolean
fq_model_set_int64 (GObject    *object,
                    gint64     *slot,
                    gint64      value,
                    GParamSpec *pspec)
{
  if (*slot == value)
    return FALSE;

  *slot = value;
  g_object_notify_by_pspec (object, pspec);
  return TRUE;
}

gboolean
fq_model_set_int (GObject    *object,
                  int        *slot,
                  int         value,
                  GParamSpec *pspec)
{
  if (*slot == value)
    return FALSE;

  *slot = value;
  g_object_notify_by_pspec (object, pspec);
  return TRUE;
}

gboolean
fq_model_set_uint (GObject    *object,
                   guint      *slot,
                   guint       value,
                   GParamSpec *pspec)
{
  if (*slot == value)
    return FALSE;

  *slot = value;
  g_object_notify_by_pspec (object, pspec);
  return TRUE;
}

gboolean
fq_model_set_boolean (GObject    *object,
                      gboolean   *slot,
                      gboolean    value,
                      GParamSpec *pspec)
{
  value = !!value;
  if (*slot == value)
    return FALSE;

  *slot = value;
  g_object_notify_by_pspec (object, pspec);
  return TRUE;
}

gboolean
fq_model_set_double (GObject    *object,
                     double     *slot,
                     double      value,
                     GParamSpec *pspec)
{
  if (*slot == value)
    return FALSE;

  *slot = value;
  g_object_notify_by_pspec (object, pspec);
  return TRUE;
}

gboolean
fq_model_set_json (GObject     *object,
                   JsonNode   **slot,
                   JsonNode    *value,
                   GParamSpec  *pspec)
{
  if (*slot == value || (*slot != NULL && value != NULL && json_node_equal (*slot, value)))
    return FALSE;

  g_clear_pointer (slot, json_node_unref);
  if (value != NULL)
    {
      /* A sealed node can be shared. json_node_copy() is shallow, so a
       * mutable node is copied through its text and sealed, so that nobody
       * changes the stored value behind the object's back. */
      if (json_node_is_immutable (value))
        *slot = json_node_ref (value);
      else
        {
          g_autofree char *text = json_to_string (value, FALSE);

          *slot = json_from_string (text, NULL);
          json_node_seal (*slot);
        }
    }

  g_object_notify_by_pspec (object, pspec);
  return TRUE;
}
