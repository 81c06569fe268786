/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * POST /imports: the 12345 hotline's work orders, as rows already mapped to
 * our fields by the console's import dialog (which reads the CSV).
 *
 *   {"rows": [{"external_id", "received_at", "caller_name", "caller_phone",
 *              "address", "grid", "summary", "description", "category"}],
 *    "dry_run": true, "skip_invalid": false}
 *
 * answers a report {"rows","valid","duplicates":[{"row","external_id",…}],
 * "invalid":[{"row","field","message"}],"imported","dry_run"}; rows are
 * numbered from 1. A row is checked exactly as POST /incidents checks a
 * body (fq_incident_check_new), and is a duplicate when its external_id
 * is already known for source 12345 or came earlier in the same file.
 *
 * A dry run reads only. A real import is one job, so one transaction: every
 * valid row that is no duplicate becomes an incident (with repeat detection
 * and the category hint, as at the desk), or none does. With invalid rows
 * it is refused (400, nothing written, the report in the error object)
 * unless "skip_invalid" says the person has seen them and wants the rest.
 */

#include "config.h"

#include <string.h>

#include "fq-entities.h"
#include "fq-server-private.h"

#define MAX_ROWS 20000

static const char * const row_fields[] = {
  "external_id", "received_at", "caller_name", "caller_phone", "address", "grid",
  "summary", "description", "category", NULL,
};

typedef struct
{
  gboolean dry_run;
  gboolean skip_invalid;
} ImportOptions;

static void
add_invalid (JsonBuilder *builder,
             guint        row,
             const char  *field,
             const char  *message)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "row");
  json_builder_add_int_value (builder, row);
  json_builder_set_member_name (builder, "field");
  if (field != NULL)
    json_builder_add_string_value (builder, field);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
}

/* The incident of an earlier import with @external_id, or NULL. */
static gboolean
find_existing (FqDb        *db,
               const char  *external_id,
               char       **id,
               GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  *id = NULL;
  stmt = fq_db_prepare (db, "SELECT id FROM incidents WHERE source = '12345' AND external_id = ?",
                        error);
  if (stmt == NULL)
    return FALSE;
  fq_bind_text (stmt, 1, external_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *id = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return rc == SQLITE_ROW || fq_sqlite_check (fq_db_get_handle (db), rc, error);
}

/* Checks one row; on success returns the POST /incidents body it makes. */
static JsonObject *
check_row (JsonNode      *node,
           FqRefData     *ref,
           const FqUser  *user,
           gint64         now,
           char         **external_id,
           GError       **error)
{
  g_autoptr(JsonObject) body = NULL;
  JsonObject *row;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  *external_id = NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD, "the row is not an object");
      return NULL;
    }
  row = json_node_get_object (node);

  body = json_object_new ();
  json_object_iter_init (&iter, row);
  while (json_object_iter_next (&iter, &name, &value))
    {
      if (!g_strv_contains (row_fields, name))
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, name, "not a field of a work order");
          return NULL;
        }
      /* An empty cell is a missing value. */
      if (JSON_NODE_HOLDS_NULL (value) ||
          (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING &&
           *json_node_get_string (value) == '\0'))
        continue;
      json_object_set_member (body, name, json_node_copy (value));
    }
  json_object_set_string_member (body, "source", "12345");

  if (!fq_json_get_string (body, "external_id", TRUE, 100, external_id, error))
    return NULL;
  if (!fq_incident_check_new (body, ref, user, now, error))
    return NULL;
  return g_steal_pointer (&body);
}

static gboolean
import_job (FqJob     *job,
            gpointer   user_data,
            GError   **error)
{
  ImportOptions *options = user_data;
  JsonObject *request_body = fq_request_get_body (fq_job_get_request (job));
  JsonArray *rows = json_object_get_array_member (request_body, "rows");
  g_autoptr(FqDb) db = fq_db_new_for_job (job);
  g_autoptr(JsonBuilder) duplicates = json_builder_new_immutable ();
  g_autoptr(JsonBuilder) invalid = json_builder_new_immutable ();
  g_autoptr(JsonBuilder) report = json_builder_new_immutable ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) valid = g_ptr_array_new_with_free_func ((GDestroyNotify)json_object_unref);
  g_autoptr(GArray) valid_rows = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(JsonNode) report_node = NULL;
  FqRefData *ref = fq_job_get_refdata (job);
  const FqUser *user = fq_job_get_user (job);
  gint64 now = fq_job_now (job);
  guint n_rows = json_array_get_length (rows);
  guint n_invalid = 0, n_duplicates = 0, imported = 0;

  json_builder_begin_array (duplicates);
  json_builder_begin_array (invalid);

  for (guint i = 0; i < n_rows; i++)
    {
      g_autoptr(GError) row_error = NULL;
      g_autoptr(JsonObject) body = NULL;
      g_autofree char *external_id = NULL;
      g_autofree char *existing = NULL;
      guint row = i + 1;
      gpointer first_row;

      body = check_row (json_array_get_element (rows, i), ref, user, now, &external_id, &row_error);
      if (body == NULL)
        {
          g_autofree char *field = fq_error_get_field (row_error);

          add_invalid (invalid, row, field, row_error->message);
          n_invalid++;
          continue;
        }

      if (g_hash_table_lookup_extended (seen, external_id, NULL, &first_row))
        {
          json_builder_begin_object (duplicates);
          json_builder_set_member_name (duplicates, "row");
          json_builder_add_int_value (duplicates, row);
          json_builder_set_member_name (duplicates, "external_id");
          json_builder_add_string_value (duplicates, external_id);
          json_builder_set_member_name (duplicates, "of_row");
          json_builder_add_int_value (duplicates, GPOINTER_TO_UINT (first_row));
          json_builder_end_object (duplicates);
          n_duplicates++;
          continue;
        }
      g_hash_table_insert (seen, g_strdup (external_id), GUINT_TO_POINTER (row));

      if (!find_existing (db, external_id, &existing, error))
        return FALSE;
      if (existing != NULL)
        {
          json_builder_begin_object (duplicates);
          json_builder_set_member_name (duplicates, "row");
          json_builder_add_int_value (duplicates, row);
          json_builder_set_member_name (duplicates, "external_id");
          json_builder_add_string_value (duplicates, external_id);
          json_builder_set_member_name (duplicates, "incident");
          json_builder_add_string_value (duplicates, existing);
          json_builder_end_object (duplicates);
          n_duplicates++;
          continue;
        }

      g_ptr_array_add (valid, g_steal_pointer (&body));
      g_array_append_val (valid_rows, row);
    }

  json_builder_end_array (duplicates);
  json_builder_end_array (invalid);

  json_builder_begin_object (report);
  json_builder_set_member_name (report, "rows");
  json_builder_add_int_value (report, n_rows);
  json_builder_set_member_name (report, "valid");
  json_builder_add_int_value (report, valid->len);
  json_builder_set_member_name (report, "duplicates");
  json_builder_add_value (report, json_builder_get_root (duplicates));
  json_builder_set_member_name (report, "invalid");
  json_builder_add_value (report, json_builder_get_root (invalid));
  json_builder_set_member_name (report, "dry_run");
  json_builder_add_boolean_value (report, options->dry_run);

  if (!options->dry_run && n_invalid > 0 && !options->skip_invalid)
    {
      json_builder_set_member_name (report, "imported");
      json_builder_add_int_value (report, 0);
      json_builder_end_object (report);
      fq_job_set_error_extra (job, "report", json_builder_get_root (report));
      g_set_error (error, FQ_ERROR, FQ_ERROR_BAD_REQUEST,
                   "%u of %u rows are invalid: nothing was imported (send skip_invalid to "
                   "import the others)", n_invalid, n_rows);
      return FALSE;
    }

  if (!options->dry_run)
    {
      g_autofree char *detail = NULL;

      for (guint i = 0; i < valid->len; i++)
        {
          g_autoptr(FqIncident) incident = NULL;
          g_autoptr(GError) row_error = NULL;
          gboolean existed = FALSE;

          incident = fq_incident_create (job, db, g_ptr_array_index (valid, i), &existed,
                                         &row_error);
          if (incident == NULL)
            {
              /* The job is rolled back whole: nothing half-imported. */
              g_set_error (error, row_error->domain, row_error->code, "row %u: %s",
                           g_array_index (valid_rows, guint, i), row_error->message);
              return FALSE;
            }
          imported++;
        }
      detail = g_strdup_printf ("imported %u hotline work orders of %u rows (%u duplicates, "
                                "%u invalid skipped)", imported, n_rows, n_duplicates, n_invalid);
      fq_job_set_audit (job, "import", NULL, detail);
    }

  json_builder_set_member_name (report, "imported");
  json_builder_add_int_value (report, imported);
  json_builder_end_object (report);

  report_node = json_builder_get_root (report);
  fq_job_respond (job, SOUP_STATUS_OK, g_steal_pointer (&report_node));
  return TRUE;
}

static void
imports_create (FqRequest *request)
{
  g_autoptr(GError) error = NULL;
  JsonObject *body = fq_request_get_body (request);
  ImportOptions *options;
  gboolean dry_run = TRUE, skip_invalid = FALSE;
  JsonArray *rows = NULL;
  JsonObjectIter iter;
  const char *name;

  if (!fq_request_require_role (request, FQ_ROLE_BIT (FQ_ROLE_OPERATOR) |
                                         FQ_ROLE_BIT (FQ_ROLE_COORDINATOR) |
                                         FQ_ROLE_BIT (FQ_ROLE_ADMIN)))
    return;

  json_object_iter_init (&iter, body);
  while (json_object_iter_next (&iter, &name, NULL))
    if (strcmp (name, "rows") != 0 && strcmp (name, "dry_run") != 0 &&
        strcmp (name, "skip_invalid") != 0)
      {
        fq_set_field_error (&error, FQ_ERROR_INVALID_FIELD, name, "unknown member");
        fq_request_respond_error (request, error);
        return;
      }

  if (!fq_json_get_array (body, "rows", TRUE, &rows, &error) ||
      !fq_json_get_bool (body, "dry_run", FALSE, &dry_run, NULL, &error) ||
      !fq_json_get_bool (body, "skip_invalid", FALSE, &skip_invalid, NULL, &error))
    {
      fq_request_respond_error (request, error);
      return;
    }
  if (json_array_get_length (rows) == 0 || json_array_get_length (rows) > MAX_ROWS)
    {
      fq_set_field_error (&error, FQ_ERROR_INVALID_FIELD, "rows",
                          "must hold 1 to %u work orders", MAX_ROWS);
      fq_request_respond_error (request, error);
      return;
    }

  options = g_new0 (ImportOptions, 1);
  options->dry_run = dry_run;
  options->skip_invalid = skip_invalid;
  fq_request_run (request, dry_run ? FQ_JOB_READ : FQ_JOB_WRITE, import_job, options, g_free);
}

void
fq_import_register (FqServer *server)
{
  fq_server_add_route (server, "POST", "/imports", FQ_ROUTE_BODY | FQ_ROUTE_LARGE_BODY,
                       imports_create);
}
