/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Fengqiao-Server"

#include "config.h"

#include <string.h>

#include "fq-server-infra.h"

/*
 * GET /audit (admin): the append-only trail of every successful write,
 * newest first. The writer adds one row per write inside the write's own
 * savepoint (fq-server.c), so a row exists exactly when the write does.
 *
 * Filters, all optional and combined: actor (or its older name username),
 * method, action (the row's detail: "create", "reveal", "triage", …),
 * path (a prefix of the request path, e.g. /api/v1/users), entity,
 * entity_id, from, to (RFC 3339, [from, to)).
 * Paging: limit, cursor; the cursor is the opaque next_cursor of the previous
 * page (today the decimal id of the last row it held).
 *
 * Append-only: triggers of the schema (fq-store.c) abort any UPDATE or
 * DELETE of the table, so not even a bug in the server can rewrite it.
 */

typedef struct
{
  guint   limit;
  gint64  before;   /* 0: from the newest */
  gint64  from;
  gint64  to;
  char   *username;
  char   *entity;
  char   *entity_id;
  char   *method;
  char   *action;
  char   *path;
} AuditQuery;

static void
audit_query_free (AuditQuery *query)
{
  g_free (query->username);
  g_free (query->entity);
  g_free (query->entity_id);
  g_free (query->method);
  g_free (query->action);
  g_free (query->path);
  g_free (query);
}

static void
add_text_column (JsonBuilder  *builder,
                 const char   *name,
                 sqlite3_stmt *stmt,
                 int           column)
{
  json_builder_set_member_name (builder, name);
  if (sqlite3_column_type (stmt, column) == SQLITE_NULL)
    json_builder_add_null_value (builder);
  else
    json_builder_add_string_value (builder, (const char *)sqlite3_column_text (stmt, column));
}

static gboolean
audit_job (FqJob    *job,
           gpointer  user_data,
           GError  **error)
{
  AuditQuery *query = user_data;
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  sqlite3_stmt *stmt;
  gint64 last_id = 0;
  guint n = 0;
  gboolean more = FALSE;
  int rc;

  stmt = fq_job_prepare (job,
                         "SELECT id, at, username, remote, method, path, status, entity,"
                         " entity_id, detail FROM audit"
                         " WHERE (?1 = 0 OR id < ?1)"
                         "   AND (?2 = 0 OR at >= ?2) AND (?3 = 0 OR at < ?3)"
                         "   AND (?4 IS NULL OR username = ?4)"
                         "   AND (?5 IS NULL OR entity = ?5)"
                         "   AND (?6 IS NULL OR entity_id = ?6)"
                         "   AND (?8 IS NULL OR method = ?8)"
                         "   AND (?9 IS NULL OR detail = ?9)"
                         "   AND (?10 IS NULL OR substr (path, 1, length (?10)) = ?10)"
                         " ORDER BY id DESC LIMIT ?7",
                         error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, query->before);
  sqlite3_bind_int64 (stmt, 2, query->from);
  sqlite3_bind_int64 (stmt, 3, query->to);
  if (query->username != NULL)
    sqlite3_bind_text (stmt, 4, query->username, -1, SQLITE_STATIC);
  if (query->entity != NULL)
    sqlite3_bind_text (stmt, 5, query->entity, -1, SQLITE_STATIC);
  if (query->entity_id != NULL)
    sqlite3_bind_text (stmt, 6, query->entity_id, -1, SQLITE_STATIC);
  if (query->method != NULL)
    sqlite3_bind_text (stmt, 8, query->method, -1, SQLITE_STATIC);
  if (query->action != NULL)
    sqlite3_bind_text (stmt, 9, query->action, -1, SQLITE_STATIC);
  if (query->path != NULL)
    sqlite3_bind_text (stmt, 10, query->path, -1, SQLITE_STATIC);
  /* One more than asked tells whether another page exists. */
  sqlite3_bind_int (stmt, 7, query->limit + 1);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "entries");
  json_builder_begin_array (builder);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autofree char *at = NULL;

      if (n == query->limit)
        {
          more = TRUE;
          break;
        }
      n++;
      last_id = sqlite3_column_int64 (stmt, 0);
      at = fq_time_format (sqlite3_column_int64 (stmt, 1));

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, (const char *)sqlite3_column_text (stmt, 0));
      json_builder_set_member_name (builder, "at");
      json_builder_add_string_value (builder, at);
      add_text_column (builder, "username", stmt, 2);
      add_text_column (builder, "remote_address", stmt, 3);
      add_text_column (builder, "method", stmt, 4);
      add_text_column (builder, "path", stmt, 5);
      json_builder_set_member_name (builder, "status");
      json_builder_add_int_value (builder, sqlite3_column_int (stmt, 6));
      add_text_column (builder, "entity", stmt, 7);
      add_text_column (builder, "entity_id", stmt, 8);
      add_text_column (builder, "detail", stmt, 9);
      json_builder_end_object (builder);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW && !fq_job_check_sqlite (job, rc, error))
    return FALSE;
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "next_cursor");
  if (more)
    {
      g_autofree char *cursor = g_strdup_printf ("%" G_GINT64_FORMAT, last_id);

      json_builder_add_string_value (builder, cursor);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);

  fq_job_respond (job, SOUP_STATUS_OK, json_builder_get_root (builder));
  return TRUE;
}

static void
get_audit (FqRequest *request)
{
  g_autoptr(GError) error = NULL;
  AuditQuery *query;
  const char *cursor;
  const char *method;

  if (!fq_request_require_role (request, FQ_ROLE_BIT (FQ_ROLE_ADMIN)))
    return;

  query = g_new0 (AuditQuery, 1);
  if (!fq_request_get_limit (request, &query->limit, &error) ||
      !fq_request_get_time_param (request, "from", &query->from, &error) ||
      !fq_request_get_time_param (request, "to", &query->to, &error))
    goto fail;

  cursor = fq_request_get_query (request, "cursor");
  if (cursor != NULL)
    {
      guint64 value;

      if (!g_ascii_string_to_unsigned (cursor, 10, 1, G_MAXINT64, &value, NULL))
        {
          fq_set_field_error (&error, FQ_ERROR_BAD_REQUEST, "cursor",
                              "not a cursor of this list");
          goto fail;
        }
      query->before = (gint64)value;
    }

  query->username = g_strdup (fq_request_get_query (request, "actor"));
  if (query->username == NULL)
    query->username = g_strdup (fq_request_get_query (request, "username"));
  method = fq_request_get_query (request, "method");
  if (method != NULL && *method != '\0')
    query->method = g_ascii_strup (method, -1);
  query->action = g_strdup (fq_request_get_query (request, "action"));
  query->path = g_strdup (fq_request_get_query (request, "path"));
  query->entity = g_strdup (fq_request_get_query (request, "entity"));
  query->entity_id = g_strdup (fq_request_get_query (request, "entity_id"));

  fq_request_run (request, FQ_JOB_READ, audit_job, query, (GDestroyNotify)audit_query_free);
  return;

fail:
  audit_query_free (query);
  fq_request_respond_error (request, error);
}

void
fq_audit_register (FqServer *server)
{
  fq_server_add_route (server, "GET", "/audit", FQ_ROUTE_DEFAULT, get_audit);
}
