/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Fengqiao-Server"

#include "config.h"

#include <string.h>

#include "fq-enum-types.h"
#include "fq-server-infra.h"

FqUser *
fq_user_new (FqRefData   *refdata,
             const char  *username,
             const char  *display_name,
             FqRole       role,
             const char  *scope,
             const char  *unit,
             GError     **error)
{
  const FqGridNodeInfo *node;
  FqUser *user;

  g_return_val_if_fail (refdata != NULL, NULL);
  g_return_val_if_fail (username != NULL, NULL);

  node = scope != NULL ? fq_refdata_get_node (refdata, scope) : NULL;
  if (node == NULL)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "scope",
                          "unknown division code %s", scope ? scope : "(none)");
      return NULL;
    }

  user = g_new0 (FqUser, 1);
  user->username = g_strdup (username);
  user->display_name = g_strdup (display_name != NULL ? display_name : username);
  user->role = role;
  user->unit = role == FQ_ROLE_UNIT ? g_strdup (unit) : NULL;
  user->scope = g_strdup (scope);
  user->scope_prefix = g_strdup (node->prefix);
  return user;
}

FqUser *
fq_user_copy (const FqUser *user)
{
  FqUser *copy;

  if (user == NULL)
    return NULL;

  copy = g_new0 (FqUser, 1);
  copy->username = g_strdup (user->username);
  copy->display_name = g_strdup (user->display_name);
  copy->role = user->role;
  copy->unit = g_strdup (user->unit);
  copy->scope = g_strdup (user->scope);
  copy->scope_prefix = g_strdup (user->scope_prefix);
  return copy;
}

void
fq_user_free (FqUser *user)
{
  if (user == NULL)
    return;

  g_free (user->username);
  g_free (user->display_name);
  g_free (user->unit);
  g_free (user->scope);
  g_free (user->scope_prefix);
  g_free (user);
}

JsonNode *
fq_user_to_json (const FqUser *user)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();

  g_return_val_if_fail (user != NULL, NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, user->username);
  json_builder_set_member_name (builder, "display_name");
  json_builder_add_string_value (builder, user->display_name);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, fq_enum_to_string (FQ_TYPE_ROLE, user->role));
  json_builder_set_member_name (builder, "unit");
  if (user->unit != NULL)
    json_builder_add_string_value (builder, user->unit);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "scope");
  json_builder_add_string_value (builder, user->scope);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

gboolean
fq_user_can_see (const FqUser       *user,
                 const char         *grid,
                 const char * const *units)
{
  g_return_val_if_fail (user != NULL, FALSE);

  /* Records that belong to no place (categories, units) are shared
   * reference data. */
  if (grid == NULL)
    return TRUE;

  if (user->scope_prefix == NULL || !g_str_has_prefix (grid, user->scope_prefix))
    return FALSE;

  if (user->role == FQ_ROLE_UNIT && units != NULL)
    {
      if (user->unit == NULL)
        return FALSE;
      return g_strv_contains (units, user->unit);
    }

  return TRUE;
}
