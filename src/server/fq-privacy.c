/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Callers' phone numbers are personal data. Only the roles that call people
 * back (operators and coordinators, within their scope) read them; everyone
 * else — unit staff, grid workers, leaders, administrators — gets them masked
 * as 138****5678 in every answer: REST bodies (fq_job_respond), the change
 * feed (/changes) and the WebSocket (/events). Masking is done here, at the
 * edge, so no handler can forget it.
 *
 * POST /incidents/{id}/reveal answers one incident's full number to a role
 * that may read it (the permission matrix: operator, coordinator) within
 * its scope. It runs as a write so that the audit row (who, which incident,
 * from where) is committed before the number leaves the server.
 */

#include "config.h"

#include <string.h>

#include "fq-entities.h"
#include "fq-server-infra.h"

#define PHONE_MEMBER "\"caller_phone\":"

gboolean
fq_user_sees_phones (const FqUser *user)
{
  /* A write with no user behind it (the demo feed, the SLA watch) answers
   * nobody, so nothing is masked for it. */
  if (user == NULL)
    return TRUE;
  return user->role == FQ_ROLE_OPERATOR || user->role == FQ_ROLE_COORDINATOR;
}

char *
fq_privacy_mask_phone (const char *phone)
{
  GString *out;
  guint n_digits = 0;
  guint seen = 0;
  guint keep_head, keep_tail;

  g_return_val_if_fail (phone != NULL, NULL);

  for (const char *p = phone; *p != '\0'; p++)
    if (g_ascii_isdigit (*p))
      n_digits++;

  /* 13812345678 → 138****5678; short numbers keep less, so that at least
   * half of the digits are always hidden. */
  if (n_digits >= 11)
    keep_head = 3, keep_tail = 4;
  else if (n_digits >= 7)
    keep_head = 2, keep_tail = 2;
  else
    keep_head = 0, keep_tail = n_digits >= 4 ? 1 : 0;

  out = g_string_sized_new (strlen (phone));
  for (const char *p = phone; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        {
          g_string_append_c (out, *p);
          continue;
        }
      if (seen < keep_head || seen >= n_digits - keep_tail)
        g_string_append_c (out, *p);
      else
        g_string_append_c (out, '*');
      seen++;
    }
  return g_string_free (out, FALSE);
}

static void
mask_node (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init (&iter, object);
      while (json_object_iter_next (&iter, &name, &member))
        {
          if (strcmp (name, "caller_phone") == 0 && JSON_NODE_HOLDS_VALUE (member) &&
              json_node_get_value_type (member) == G_TYPE_STRING)
            {
              g_autofree char *masked = fq_privacy_mask_phone (json_node_get_string (member));

              json_node_set_string (member, masked);
            }
          else
            mask_node (member);
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        mask_node (json_array_get_element (array, i));
    }
}

void
fq_privacy_mask_node (const FqUser *user,
                      JsonNode     *node)
{
  if (node == NULL || fq_user_sees_phones (user))
    return;
  mask_node (node);
}

/* Appends @phone (@length bytes) to @out, masked as fq_privacy_mask_phone()
 * does, without a copy of its own. */
static void
append_masked_phone (GString    *out,
                     const char *phone,
                     gsize       length)
{
  guint n_digits = 0, seen = 0, keep_head, keep_tail;

  for (gsize i = 0; i < length; i++)
    if (g_ascii_isdigit (phone[i]))
      n_digits++;
  if (n_digits >= 11)
    keep_head = 3, keep_tail = 4;
  else if (n_digits >= 7)
    keep_head = 2, keep_tail = 2;
  else
    keep_head = 0, keep_tail = n_digits >= 4 ? 1 : 0;

  for (gsize i = 0; i < length; i++)
    {
      if (!g_ascii_isdigit (phone[i]))
        g_string_append_c (out, phone[i]);
      else
        {
          g_string_append_c (out, seen < keep_head || seen >= n_digits - keep_tail ? phone[i] : '*');
          seen++;
        }
    }
}

void
fq_privacy_mask_text_append (GString    *out,
                             const char *json,
                             gsize       length)
{
  static const char needle[] = PHONE_MEMBER "\"";
  const char *end_of_text = json + length;
  const char *copied = json;
  const char *p;

  /* The /changes page splices every row: masked straight into the page,
   * with no copy of the row in between. @json is NUL-terminated at
   * @length (SQLite's text). */
  for (p = strstr (json, needle); p != NULL && p < end_of_text; p = strstr (p, needle))
    {
      const char *value = p + strlen (needle);
      const char *end = strchr (value, '"');

      if (end == NULL)
        break;
      g_string_append_len (out, copied, value - copied);
      append_masked_phone (out, value, end - value);
      copied = p = end;
    }
  g_string_append_len (out, copied, end_of_text - copied);
}

char *
fq_privacy_mask_text (const char *json)
{
  static const char needle[] = PHONE_MEMBER "\"";
  const char *copied = json;
  const char *p;
  GString *out;

  g_return_val_if_fail (json != NULL, NULL);

  /* Our serialisers write the member as "caller_phone":"…" with no space and
   * validated phone text (digits, +, -, spaces: nothing to unescape). */
  p = strstr (json, needle);
  if (p == NULL)
    return NULL;

  out = g_string_sized_new (strlen (json));
  while (p != NULL)
    {
      const char *value = p + strlen (needle);
      const char *end = strchr (value, '"');
      g_autofree char *phone = NULL;
      g_autofree char *masked = NULL;

      if (end == NULL)
        break;
      g_string_append_len (out, copied, value - copied);
      phone = g_strndup (value, end - value);
      masked = fq_privacy_mask_phone (phone);
      g_string_append (out, masked);
      copied = end;
      p = strstr (end, needle);
    }
  g_string_append (out, copied);

  return g_string_free (out, FALSE);
}

/* ---- POST /incidents/{id}/reveal ---- */

static gboolean
reveal_job (FqJob    *job,
            gpointer  user_data,
            GError  **error)
{
  g_autoptr(FqDb) db = fq_db_new_for_job (job);
  const char *id = fq_request_get_segment (fq_job_get_request (job), 1);
  g_autoptr(FqIncident) incident = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  GError *local_error = NULL;
  gboolean visible = FALSE;

  incident = fq_incident_load (db, id, &local_error);
  if (incident != NULL)
    visible = fq_incident_visible (db, fq_job_get_user (job), incident, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (incident == NULL || !visible)
    {
      /* Out of scope answers exactly as missing does. */
      g_set_error (error, FQ_ERROR, FQ_ERROR_NOT_FOUND, "incident %s not found", id);
      return FALSE;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, incident->id);
  json_builder_set_member_name (builder, "caller_phone");
  if (incident->caller_phone != NULL)
    json_builder_add_string_value (builder, incident->caller_phone);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);

  fq_job_set_audit (job, "incident", incident->id, "reveal");
  fq_job_respond (job, SOUP_STATUS_OK, json_builder_get_root (builder));
  return TRUE;
}

static void
post_reveal (FqRequest *request)
{
  /* The router has checked the role against the permission matrix. */
  fq_request_run (request, FQ_JOB_WRITE, reveal_job, NULL, NULL);
}

void
fq_privacy_register (FqServer *server)
{
  fq_server_add_route (server, "POST", "/incidents/*/reveal", FQ_ROUTE_DEFAULT, post_reveal);
}
