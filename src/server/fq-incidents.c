/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * /incidents: intake with repeat detection, lists, triage.
 *
 * Every handler runs its SQL in a job: reads on a reader thread, writes on
 * the writer, so that the main loop only routes and answers.
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "fq-enum-types.h"
#include "fq-repeat.h"
#include "fq-repeat-address.h"
#include "fq-sla.h"

#include "fq-entities.h"
#include "fq-server-private.h"

#define MAX_REPEAT_CANDIDATES 5
/* Each candidate query reads at most this many rows, newest first: a chain
 * longer than that is long enough to be recognised by its recent calls. */
#define MAX_CANDIDATE_ROWS    200
/* Clients' clocks may run a little ahead of ours. */
#define RECEIVED_AT_SKEW      (10 * 60)

/* ---- shared ---- */

/* Checks *@phone and sets *@normalized (its digits, for repeat detection).
 * A number typed in full-width mode (１３８…, ＋８６, （０２７）, －) is
 * stored in ASCII forms: NFKC folds them, so that the caller's number
 * reads, masks and matches the same however it was typed. */
static gboolean
check_phone (char   **phone,
             char   **normalized,
             GError **error)
{
  *normalized = NULL;
  if (*phone == NULL)
    return TRUE;

  if (!g_str_is_ascii (*phone))
    {
      char *folded = g_utf8_normalize (*phone, -1, G_NORMALIZE_NFKC);

      if (folded != NULL)
        {
          g_free (*phone);
          *phone = folded;
        }
    }

  for (const char *p = *phone; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p) && strchr ("+-() ", *p) == NULL)
      {
        fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "caller_phone",
                            "only digits, spaces and + - ( ) are allowed");
        return FALSE;
      }

  *normalized = fq_repeat_normalize_phone (*phone);
  if (*normalized == NULL || strlen (*normalized) > 20)
    {
      g_clear_pointer (normalized, g_free);
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "caller_phone",
                          "not a phone number (5 to 20 digits)");
      return FALSE;
    }
  return TRUE;
}

/* A grid code of the request body: a known node inside the caller's scope. */
static const FqGridNodeInfo *
check_grid (FqRefData     *ref,
            const FqUser  *user,
            const char    *field,
            const char    *code,
            GError       **error)
{
  const FqGridNodeInfo *node = fq_refdata_get_node (ref, code);

  if (node == NULL)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "unknown division code");
      return NULL;
    }
  if (user != NULL && !g_str_has_prefix (code, user->scope_prefix))
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "outside your scope");
      return NULL;
    }
  return node;
}

static FqIncident *
load_visible_incident (FqJob       *job,
                       FqDb        *db,
                       const char  *id,
                       GError     **error)
{
  g_autoptr(FqIncident) incident = NULL;
  GError *local_error = NULL;

  incident = fq_incident_load (db, id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (incident != NULL)
    {
      gboolean visible = fq_incident_visible (db, fq_job_get_user (job), incident, &local_error);

      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return NULL;
        }
      if (!visible)
        g_clear_pointer (&incident, fq_incident_free);
    }
  if (incident == NULL)
    {
      /* Out of scope answers exactly as missing does. */
      g_set_error (error, FQ_ERROR, FQ_ERROR_NOT_FOUND, "incident %s not found", id);
      return NULL;
    }
  return g_steal_pointer (&incident);
}

/* ---- repeat detection ---- */

typedef struct
{
  char   *id;
  char   *ticket;
  char   *root;      /* the first incident of its chain */
  gint64  received_at;
  double  score;
} Candidate;

static void
candidate_free (gpointer data)
{
  Candidate *candidate = data;

  g_free (candidate->id);
  g_free (candidate->ticket);
  g_free (candidate->root);
  g_free (candidate);
}

static int
candidate_compare (gconstpointer a,
                   gconstpointer b)
{
  const Candidate *ca = *(Candidate * const *)a;
  const Candidate *cb = *(Candidate * const *)b;

  if (ca->score != cb->score)
    return ca->score > cb->score ? -1 : 1;
  if (ca->received_at != cb->received_at)
    return ca->received_at > cb->received_at ? -1 : 1;
  return g_strcmp0 (cb->id, ca->id);
}

static gboolean
collect_candidates (FqDb                *db,
                    const char          *sql,
                    const char          *key1,
                    const char          *key2,
                    gint64               since,
                    const FqRepeatProbe *probe,
                    GHashTable          *seen,
                    GPtrArray           *out,
                    GError             **error)
{
  sqlite3_stmt *stmt = fq_db_prepare (db, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  fq_bind_text (stmt, 1, key1);
  fq_bind_text (stmt, 2, key2);
  sqlite3_bind_int64 (stmt, 3, since);
  sqlite3_bind_int64 (stmt, 4, probe->received_at);
  sqlite3_bind_int (stmt, 5, MAX_CANDIDATE_ROWS);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *id = (const char *)sqlite3_column_text (stmt, 0);
      FqRepeatProbe earlier = {
        .phone = (const char *)sqlite3_column_text (stmt, 1),
        .community = (const char *)sqlite3_column_text (stmt, 2),
        .address = (const char *)sqlite3_column_text (stmt, 3),
        .category = (const char *)sqlite3_column_text (stmt, 4),
        .summary = (const char *)sqlite3_column_text (stmt, 5),
        .received_at = sqlite3_column_int64 (stmt, 6),
      };
      const char *ticket = (const char *)sqlite3_column_text (stmt, 7);
      const char *repeat_of = (const char *)sqlite3_column_text (stmt, 8);
      const char *root_ticket = (const char *)sqlite3_column_text (stmt, 9);
      double score = 0;
      Candidate *candidate;

      if (id == NULL || g_hash_table_contains (seen, id))
        continue;
      g_hash_table_add (seen, g_strdup (id));

      if (fq_repeat_match (probe, &earlier, &score) == FQ_REPEAT_RULE_NONE)
        continue;

      candidate = g_new0 (Candidate, 1);
      candidate->id = g_strdup (id);
      /* An incident not diverted itself may belong to a chain whose first
       * call was: that ticket is the one to merge into. */
      candidate->ticket = g_strdup (ticket != NULL ? ticket : root_ticket);
      candidate->root = g_strdup (repeat_of != NULL ? repeat_of : id);
      candidate->received_at = earlier.received_at;
      candidate->score = score;
      g_ptr_array_add (out, candidate);
    }
  sqlite3_reset (stmt);
  return fq_sqlite_check (fq_db_get_handle (db), rc, error);
}

#define CANDIDATE_SELECT \
  "SELECT i.id, i.phone_norm, i.community, i.address_norm, i.category, i.summary, " \
  "i.received_at, i.ticket, i.repeat_of, " \
  "(SELECT r.ticket FROM incidents r WHERE r.id = i.repeat_of) FROM incidents i "

/* Finds the earlier incidents about the same matter (DOMAIN.md "Repeat
 * calls"): three indexed candidate queries, each scored by the core rule. */
static gboolean
detect_repeats (FqDb        *db,
                FqIncident  *incident,
                GError     **error)
{
  static const char phone_sql[] = CANDIDATE_SELECT
    "WHERE i.phone_norm = ? AND i.community = ? AND i.received_at >= ? AND i.received_at <= ? "
    "ORDER BY i.received_at DESC LIMIT ?";
  static const char address_sql[] = CANDIDATE_SELECT
    "WHERE i.address_norm = ? AND i.category = ? AND i.received_at >= ? AND i.received_at <= ? "
    "ORDER BY i.received_at DESC LIMIT ?";
  static const char summary_sql[] = CANDIDATE_SELECT
    "WHERE i.community = ? AND i.category = ? AND i.received_at >= ? AND i.received_at <= ? "
    "ORDER BY i.received_at DESC LIMIT ?";
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) candidates = g_ptr_array_new_with_free_func (candidate_free);
  FqRepeatProbe probe = {
    .phone = incident->phone_norm,
    .community = incident->community,
    .address = incident->address_norm,
    .category = incident->category,
    .summary = incident->summary,
    .received_at = incident->received_at,
  };
  g_autoptr(JsonArray) array = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (incident->phone_norm != NULL && incident->community != NULL &&
      !collect_candidates (db, phone_sql, incident->phone_norm, incident->community,
                           incident->received_at - FQ_REPEAT_WINDOW_SECONDS,
                           &probe, seen, candidates, error))
    return FALSE;
  if (incident->address_norm != NULL && incident->category != NULL &&
      !collect_candidates (db, address_sql, incident->address_norm, incident->category,
                           incident->received_at - FQ_REPEAT_WINDOW_SECONDS,
                           &probe, seen, candidates, error))
    return FALSE;
  if (incident->community != NULL && incident->category != NULL &&
      !collect_candidates (db, summary_sql, incident->community, incident->category,
                           incident->received_at - FQ_REPEAT_SUMMARY_WINDOW_SECONDS,
                           &probe, seen, candidates, error))
    return FALSE;

  g_clear_pointer (&incident->repeat_of, g_free);
  g_clear_pointer (&incident->repeat_candidates, g_free);
  if (candidates->len == 0)
    return TRUE;

  g_ptr_array_sort (candidates, candidate_compare);
  incident->repeat_of = g_strdup (((Candidate *)g_ptr_array_index (candidates, 0))->root);

  array = json_array_new ();
  for (guint i = 0; i < candidates->len && i < MAX_REPEAT_CANDIDATES; i++)
    {
      Candidate *candidate = g_ptr_array_index (candidates, i);
      JsonObject *object = json_object_new ();

      json_object_set_string_member (object, "incident", candidate->id);
      if (candidate->ticket != NULL)
        json_object_set_string_member (object, "ticket", candidate->ticket);
      else
        json_object_set_null_member (object, "ticket");
      /* Three decimals are all a ranking shown to a person needs. */
      json_object_set_double_member (object, "score", round (candidate->score * 1000) / 1000);
      json_array_add_object_element (array, object);
    }
  node = json_node_init_array (json_node_alloc (), array);
  incident->repeat_candidates = fq_json_to_string (node, NULL);
  return TRUE;
}

/* ---- POST /incidents ---- */

static FqIncident *
find_external (FqDb        *db,
               FqSource     source,
               const char  *external_id,
               GError     **error)
{
  static const char sql[] =
    "SELECT id FROM incidents WHERE source = ? AND external_id = ?";
  sqlite3_stmt *stmt = fq_db_prepare (db, sql, error);
  g_autofree char *id = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  fq_bind_text (stmt, 1, fq_enum_to_string (FQ_TYPE_SOURCE, source));
  fq_bind_text (stmt, 2, external_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    id = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  if (!fq_sqlite_check (fq_db_get_handle (db), rc, error))
    return NULL;
  if (id == NULL)
    return NULL;
  return fq_incident_load (db, id, error);
}

/* The category hint for a call that came without a category, or for any
 * call whose words signal danger (the operator must see that flag whatever
 * category was given). NULL when there is nothing to say. */
static char *
suggest_category (FqServer   *server,
                  FqIncident *incident)
{
  FqCategoryHint *hint = fq_server_get_category_hint (server);
  g_autoptr(JsonNode) node = NULL;
  JsonObject *object;

  if (hint == NULL)
    return NULL;
  /* With a category given, only danger words make a suggestion: looking
   * for them alone is a fraction of the model's work. */
  if (incident->category != NULL)
    {
      g_auto(GStrv) in_summary = fq_category_hint_find_danger (hint, incident->summary);
      g_auto(GStrv) in_description = NULL;

      if (in_summary[0] == NULL)
        {
          in_description = fq_category_hint_find_danger (hint, incident->description);
          if (in_description[0] == NULL)
            return NULL;
        }
    }
  node = fq_category_hint_suggest_json (hint, incident->summary, incident->description);
  if (node == NULL)
    return NULL;
  object = json_node_get_object (node);
  if (incident->category != NULL && !json_object_get_boolean_member (object, "danger"))
    return NULL;
  return fq_json_to_string (node, NULL);
}

/* Reads and checks a new incident from @body; shared with the demo feed
 * through fq_incident_create(). */
static FqIncident *
parse_new_incident (JsonObject    *body,
                    FqRefData     *ref,
                    const FqUser  *user,
                    gint64         now,
                    GError       **error)
{
  g_autoptr(FqIncident) incident = g_new0 (FqIncident, 1);
  int source = 0;
  gboolean present = FALSE;
  gint64 received_at = 0;

  if (!fq_json_get_enum (body, "source", TRUE, FQ_TYPE_SOURCE, &source, NULL, error))
    return NULL;
  incident->source = source;

  if (!fq_json_get_time (body, "received_at", FALSE, &received_at, &present, error))
    return NULL;
  if (!present)
    received_at = now;
  else if (received_at > now + RECEIVED_AT_SKEW)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "received_at", "lies in the future");
      return NULL;
    }
  incident->received_at = received_at;

  if (!fq_json_get_string (body, "caller_name", FALSE, 100, &incident->caller_name, error) ||
      !fq_json_get_string (body, "caller_phone", FALSE, 32, &incident->caller_phone, error) ||
      !check_phone (&incident->caller_phone, &incident->phone_norm, error) ||
      !fq_json_get_string (body, "address", FALSE, 200, &incident->address, error) ||
      !fq_json_get_string (body, "grid", TRUE, 20, &incident->grid, error) ||
      !check_grid (ref, user, "grid", incident->grid, error) ||
      !fq_json_get_string (body, "summary", TRUE, 200, &incident->summary, error) ||
      !fq_json_get_string (body, "description", FALSE, 4000, &incident->description, error) ||
      !fq_json_get_string (body, "category", FALSE, 64, &incident->category, error) ||
      !fq_json_get_string (body, "external_id", FALSE, 100, &incident->external_id, error))
    return NULL;

  g_strstrip (incident->summary);
  if (*incident->summary == '\0')
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "summary", "must not be empty");
      return NULL;
    }
  if (incident->category != NULL && fq_refdata_get_category (ref, incident->category) == NULL)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "category", "unknown category");
      return NULL;
    }
  if (incident->external_id != NULL && *incident->external_id == '\0')
    g_clear_pointer (&incident->external_id, g_free);

  /* The core's matching key, so that the same place written by the 110
   * desk, the 12345 desk and a grid worker meets in the address rule. */
  incident->address_norm = incident->address != NULL
    ? fq_repeat_address_key (incident->address) : NULL;
  incident->community = fq_repeat_community_of (incident->grid);
  incident->status = FQ_INCIDENT_STATUS_NEW;
  incident->decision = -1;
  incident->created_by = g_strdup (user != NULL ? user->username : NULL);
  incident->created_at = now;
  incident->updated_at = now;
  incident->rev = 1;

  return g_steal_pointer (&incident);
}

FqIncident *
fq_incident_create (FqJob       *job,
                    FqDb        *db,
                    JsonObject  *body,
                    gboolean    *existed,
                    GError     **error)
{
  g_autoptr(FqIncident) incident = NULL;
  g_autoptr(FqIncident) existing = NULL;
  GError *local_error = NULL;
  gint64 now = fq_job_now (job);

  *existed = FALSE;
  incident = parse_new_incident (body, fq_job_get_refdata (job), fq_job_get_user (job), now, error);
  if (incident == NULL)
    return NULL;

  if (incident->external_id != NULL)
    {
      existing = find_external (db, incident->source, incident->external_id, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return NULL;
        }
      if (existing != NULL)
        {
          *existed = TRUE;
          return g_steal_pointer (&existing);
        }
    }

  if (!detect_repeats (db, incident, error))
    return NULL;
  incident->suggested_category = suggest_category (fq_job_get_server (job), incident);

  incident->id = fq_entities_next_id (db, 'I', now, error);
  if (incident->id == NULL)
    return NULL;
  if (!fq_incident_save (job, db, incident, error))
    return NULL;

  fq_job_set_audit (job, "incident", incident->id, "created");
  return g_steal_pointer (&incident);
}

gboolean
fq_incident_check_new (JsonObject    *body,
                       FqRefData     *ref,
                       const FqUser  *user,
                       gint64         now,
                       GError       **error)
{
  g_autoptr(FqIncident) incident = parse_new_incident (body, ref, user, now, error);

  return incident != NULL;
}

static gboolean
create_job (FqJob     *job,
            gpointer   user_data,
            GError   **error)
{
  g_autoptr(FqDb) db = fq_db_new_for_job (job);
  g_autoptr(FqIncident) incident = NULL;
  JsonObject *body = fq_request_get_body (fq_job_get_request (job));
  gboolean existed = FALSE;
  GString *text;

  incident = fq_incident_create (job, db, body, &existed, error);
  if (incident == NULL)
    return FALSE;
  /* The serializer's text as it is: no JSON tree to build and write again. */
  text = g_string_sized_new (1024);
  fq_incident_write_json (text, incident);
  fq_job_respond_json_text (job, existed ? SOUP_STATUS_OK : SOUP_STATUS_CREATED,
                            g_string_free (text, FALSE));
  return TRUE;
}

static void
incidents_create (FqRequest *request)
{
  if (!fq_request_require_role (request, FQ_ROLE_BIT (FQ_ROLE_OPERATOR) |
                                         FQ_ROLE_BIT (FQ_ROLE_GRID_WORKER) |
                                         FQ_ROLE_BIT (FQ_ROLE_ADMIN)))
    return;
  fq_request_run (request, FQ_JOB_WRITE, create_job, NULL, NULL);
}

/* ---- GET /incidents ---- */

static gboolean
list_job (FqJob     *job,
          gpointer   user_data,
          GError   **error)
{
  FqRequest *request = fq_job_get_request (job);
  const FqUser *user = fq_job_get_user (job);
  FqRefData *ref = fq_job_get_refdata (job);
  sqlite3 *handle = fq_job_get_db (job);
  g_autoptr(GString) sql = g_string_new ("SELECT " FQ_INCIDENT_COLUMNS " FROM incidents WHERE ");
  g_autoptr(GPtrArray) binds = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *grid_prefix = NULL;
  g_autofree char *cursor_id = NULL;
  const char *grid_column;
  const char *cursor = fq_request_get_query (request, "cursor");
  const char *category = fq_request_get_query (request, "category");
  const char *q = fq_request_get_query (request, "q");
  int status = -1, decision = -1, source = -1;
  gint64 from = 0, to = 0, cursor_key = 0;
  guint limit = 100;
  sqlite3_stmt *stmt = NULL;
  g_autoptr(GString) text = NULL;
  g_autofree char *next_key_id = NULL;
  gint64 next_key = 0;
  guint n = 0;
  gboolean recheck = FALSE;
  int rc;

  if (!fq_query_enum (request, "status", FQ_TYPE_INCIDENT_STATUS, &status, error) ||
      !fq_query_enum (request, "decision", FQ_TYPE_DECISION, &decision, error) ||
      !fq_query_enum (request, "source", FQ_TYPE_SOURCE, &source, error) ||
      !fq_query_grid_prefix (request, ref, &grid_prefix, error) ||
      !fq_request_get_time_param (request, "from", &from, error) ||
      !fq_request_get_time_param (request, "to", &to, error) ||
      !fq_request_get_limit (request, &limit, error))
    return FALSE;
  if (cursor != NULL && !fq_cursor_decode (cursor, &cursor_key, &cursor_id, error))
    return FALSE;

  /* Scope first: one range over the grid code. A wide range (a city, a
   * district, a street) is better read newest first through the time index
   * and filtered, a community's through the grid index and sorted; the
   * planner cannot tell them apart without statistics, so the unary + keeps
   * it off the grid index for wide ranges. */
  grid_column = fq_narrow_grid_range (user->scope_prefix, grid_prefix) ? "grid" : "+grid";
  g_string_append_printf (sql, "%s >= ? AND %s < ?", grid_column, grid_column);
  g_ptr_array_add (binds, g_strdup (user->scope_prefix));
  g_ptr_array_add (binds, fq_prefix_end (user->scope_prefix));
  if (grid_prefix != NULL)
    {
      g_string_append_printf (sql, " AND %s >= ? AND %s < ?", grid_column, grid_column);
      g_ptr_array_add (binds, g_strdup (grid_prefix));
      g_ptr_array_add (binds, fq_prefix_end (grid_prefix));
    }
  if (user->role == FQ_ROLE_UNIT)
    {
      g_string_append (sql, " AND ticket IN (SELECT ticket FROM ticket_units WHERE unit = ?)");
      g_ptr_array_add (binds, g_strdup (user->unit != NULL ? user->unit : ""));
    }
  /* Enum values are written into the SQL (they come from a fixed table of
   * nicks, not from the client), so that `status = 'new'` can use the
   * partial index of the triage queue. */
  if (status >= 0)
    g_string_append_printf (sql, " AND status = '%s'",
                            fq_enum_to_string (FQ_TYPE_INCIDENT_STATUS, status));
  if (decision >= 0)
    g_string_append_printf (sql, " AND decision = '%s'",
                            fq_enum_to_string (FQ_TYPE_DECISION, decision));
  if (source >= 0)
    g_string_append_printf (sql, " AND source = '%s'", fq_enum_to_string (FQ_TYPE_SOURCE, source));
  if (category != NULL && *category != '\0')
    {
      g_string_append (sql, " AND category = ?");
      g_ptr_array_add (binds, g_strdup (category));
    }
  if (q != NULL && *q != '\0')
    {
      g_autoptr(GString) pattern = g_string_new (NULL);

      /* A role that may not read phone numbers may not find calls by
       * them either: searching is reading, one digit at a time. Neither
       * by caller_phone nor by a number typed into the text: the rows
       * found are checked again against their masked text below. */
      gboolean phones = fq_user_sees_phones (fq_job_get_user (job));

      recheck = !phones;

      fq_sql_like_pattern (pattern, q);
      g_string_append (sql, " AND (summary LIKE ? ESCAPE '\\' OR address LIKE ? ESCAPE '\\' "
                            "OR caller_name LIKE ? ESCAPE '\\'");
      if (phones)
        g_string_append (sql, " OR caller_phone LIKE ? ESCAPE '\\'");
      g_string_append (sql, " OR id = ?)");
      for (guint i = 0; i < (phones ? 4u : 3u); i++)
        g_ptr_array_add (binds, g_strdup (pattern->str));
      g_ptr_array_add (binds, g_strdup (q));
    }
  if (from > 0)
    {
      g_string_append_printf (sql, " AND received_at >= %" G_GINT64_FORMAT, from);
    }
  if (to > 0)
    {
      g_string_append_printf (sql, " AND received_at < %" G_GINT64_FORMAT, to);
    }
  if (cursor_id != NULL)
    {
      g_string_append_printf (sql, " AND (received_at < %" G_GINT64_FORMAT
                                   " OR (received_at = %" G_GINT64_FORMAT " AND id < ?))",
                              cursor_key, cursor_key);
      g_ptr_array_add (binds, g_strdup (cursor_id));
    }
  g_string_append (sql, " ORDER BY received_at DESC, id DESC");
  /* A recheck drops rows: the loop counts what it keeps. */
  if (!recheck)
    g_string_append_printf (sql, " LIMIT %u", limit + 1);

  rc = sqlite3_prepare_v2 (handle, sql->str, -1, &stmt, NULL);
  if (!fq_sqlite_check (handle, rc, error))
    return FALSE;
  for (guint i = 0; i < binds->len; i++)
    fq_bind_text (stmt, i + 1, g_ptr_array_index (binds, i));

  /* Written as text, row after row, as the tickets' list is. */
  text = g_string_sized_new (64 + limit * 1024);
  g_string_append (text, "{\"incidents\":[");
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(FqIncident) incident = fq_incident_from_stmt (stmt);

      if (recheck && g_strcmp0 (incident->id, q) != 0 &&
          !fq_privacy_masked_text_matches (incident->summary, q) &&
          !fq_privacy_masked_text_matches (incident->address, q) &&
          !fq_privacy_masked_text_matches (incident->caller_name, q))
        continue;
      if (n == limit)
        break;
      if (n > 0)
        g_string_append_c (text, ',');
      n++;
      g_free (next_key_id);
      next_key_id = g_strdup (incident->id);
      next_key = incident->received_at;
      fq_incident_write_json (text, incident);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return fq_sqlite_check (handle, rc, error);

  g_string_append (text, "],\"next_cursor\":");
  if (rc == SQLITE_ROW && next_key_id != NULL)
    {
      g_autofree char *next = fq_cursor_encode (next_key, next_key_id);

      fq_json_append_string (text, next);
    }
  else
    g_string_append (text, "null");
  g_string_append_c (text, '}');

  fq_job_respond_json_text (job, SOUP_STATUS_OK, g_string_free (g_steal_pointer (&text), FALSE));
  return TRUE;
}

static void
incidents_list (FqRequest *request)
{
  fq_request_run (request, FQ_JOB_READ, list_job, NULL, NULL);
}

/* ---- GET /incidents/{id} ---- */

static gboolean
get_job (FqJob     *job,
         gpointer   user_data,
         GError   **error)
{
  g_autoptr(FqDb) db = fq_db_new_for_job (job);
  const char *id = fq_request_get_segment (fq_job_get_request (job), 1);
  g_autoptr(FqIncident) incident = load_visible_incident (job, db, id, error);

  if (incident == NULL)
    return FALSE;
  fq_job_respond (job, SOUP_STATUS_OK, fq_incident_to_json (incident));
  return TRUE;
}

static void
incidents_get (FqRequest *request)
{
  fq_request_run (request, FQ_JOB_READ, get_job, NULL, NULL);
}

/* ---- POST /incidents/{id}/triage ---- */

static JsonNode *
data_object (const char *first_name,
             ...)
{
  JsonObject *object = json_object_new ();
  JsonNode *node;
  const char *name;
  va_list args;

  va_start (args, first_name);
  for (name = first_name; name != NULL; name = va_arg (args, const char *))
    {
      const char *value = va_arg (args, const char *);

      if (value != NULL)
        json_object_set_string_member (object, name, value);
    }
  va_end (args);
  node = json_node_init_object (json_node_alloc (), object);
  json_object_unref (object);
  return node;
}

static FqTicket *
divert (FqJob                 *job,
        FqDb                  *db,
        FqIncident            *incident,
        const FqCategoryInfo  *category,
        const char            *lead_unit,
        int                    tier,
        const char            *note,
        GError               **error)
{
  const FqUser *user = fq_job_get_user (job);
  const FqServerConfig *config = fq_server_get_config (fq_job_get_server (job));
  gint64 now = fq_job_now (job);
  g_autoptr(FqTicket) ticket = g_new0 (FqTicket, 1);
  g_autoptr(FqEvent) event = NULL;

  ticket->id = fq_entities_next_id (db, 'T', now, error);
  if (ticket->id == NULL)
    return NULL;
  ticket->title = g_strdup (incident->summary);
  ticket->category = g_strdup (category->code);
  ticket->grid = g_strdup (incident->grid);
  ticket->tier = tier >= 0 ? (FqTier)tier : category->tier;
  ticket->lead_unit = g_strdup (lead_unit);
  ticket->assisting_units = g_ptr_array_new_with_free_func (g_free);
  ticket->incidents = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (ticket->incidents, g_strdup (incident->id));
  ticket->state = FQ_TICKET_STATE_DISPATCHED;
  ticket->created_at = now;
  ticket->dispatched_at = now;
  ticket->deadline = fq_sla_deadline (now, category->deadline_hours);
  ticket->updated_at = now;
  ticket->rev = 1;

  if (!fq_ticket_save (job, db, ticket, config->accept_limit_seconds, now, error))
    return NULL;
  event = fq_ticket_add_event (job, db, ticket, now, FQ_EVENT_KIND_DISPATCHED,
                               user != NULL ? user->username : NULL,
                               user != NULL ? user->display_name : NULL, lead_unit, note,
                               data_object ("incident", incident->id,
                                            "tier", fq_enum_to_string (FQ_TYPE_TIER, ticket->tier),
                                            NULL),
                               error);
  if (event == NULL)
    return NULL;
  return g_steal_pointer (&ticket);
}

static FqTicket *
merge (FqJob        *job,
       FqDb         *db,
       FqIncident   *incident,
       const char   *ticket_id,
       const char   *note,
       GError      **error)
{
  const FqUser *user = fq_job_get_user (job);
  const FqServerConfig *config = fq_server_get_config (fq_job_get_server (job));
  FqRefData *ref = fq_job_get_refdata (job);
  gint64 now = fq_job_now (job);
  g_autoptr(FqTicket) ticket = NULL;
  g_autoptr(FqEvent) event = NULL;
  GError *local_error = NULL;
  const char *actor = user != NULL ? user->username : NULL;
  const char *actor_name = user != NULL ? user->display_name : NULL;

  ticket = fq_ticket_load (db, ticket_id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (ticket == NULL || !fq_ticket_visible (user, ticket))
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "ticket", "unknown ticket");
      return NULL;
    }

  if (!fq_ticket_insert_incident (db, ticket, incident, error))
    return NULL;
  ticket->repeat_count++;
  event = fq_ticket_add_event (job, db, ticket, now, FQ_EVENT_KIND_MERGED, actor, actor_name,
                               NULL, note,
                               data_object ("incident", incident->id, NULL), error);
  if (event == NULL)
    return NULL;

  /* The same matter called in again after it was closed: it was not really
   * solved, so the ticket comes back (a backflow case, 回流案). */
  if (ticket->state == FQ_TICKET_STATE_CLOSED)
    {
      const FqCategoryInfo *category = fq_refdata_get_category (ref, ticket->category);
      g_autoptr(FqEvent) reopened = NULL;

      ticket->state = FQ_TICKET_STATE_ACCEPTED;
      ticket->reopened_count++;
      ticket->resolved_at = 0;
      ticket->closed_at = 0;
      ticket->satisfaction = 0;
      if (category != NULL)
        ticket->deadline = fq_sla_deadline (now, category->deadline_hours);
      ticket->sla_recorded &= ~FQ_SLA_RESOLVE_LATE;
      reopened = fq_ticket_add_event (job, db, ticket, now, FQ_EVENT_KIND_REOPENED, actor,
                                      actor_name, NULL, note,
                                      data_object ("incident", incident->id,
                                                   "cause", "repeat_call", NULL),
                                      error);
      if (reopened == NULL)
        return NULL;
    }

  ticket->updated_at = now;
  ticket->rev++;
  if (!fq_ticket_record_breaches (job, db, ticket, config->accept_limit_seconds, now, error) ||
      !fq_ticket_save (job, db, ticket, config->accept_limit_seconds, now, error))
    return NULL;
  return g_steal_pointer (&ticket);
}

/* Triage, shared with the demo feed: decides @incident as @body says. */
gboolean
fq_incident_triage (FqJob        *job,
                    FqDb         *db,
                    FqIncident   *incident,
                    JsonObject   *body,
                    FqTicket    **ticket_out,
                    GError      **error)
{
  const FqUser *user = fq_job_get_user (job);
  FqRefData *ref = fq_job_get_refdata (job);
  gint64 now = fq_job_now (job);
  g_autofree char *category_code = NULL;
  g_autofree char *grid = NULL;
  g_autofree char *note = NULL;
  g_autofree char *lead_unit_id = NULL;
  g_autofree char *ticket_id = NULL;
  g_autoptr(FqTicket) ticket = NULL;
  const FqCategoryInfo *category = NULL;
  int decision = 0;
  int tier = -1;
  gint64 rev = 0;

  *ticket_out = NULL;
  if (!fq_json_get_enum (body, "decision", TRUE, FQ_TYPE_DECISION, &decision, NULL, error) ||
      !fq_json_get_int (body, "rev", TRUE, 0, G_MAXINT64, &rev, NULL, error) ||
      !fq_json_get_string (body, "category", FALSE, 64, &category_code, error) ||
      !fq_json_get_string (body, "grid", FALSE, 20, &grid, error) ||
      !fq_json_get_string (body, "note", FALSE, 2000, &note, error) ||
      !fq_json_get_string (body, "lead_unit", FALSE, 64, &lead_unit_id, error) ||
      !fq_json_get_enum (body, "tier", FALSE, FQ_TYPE_TIER, &tier, NULL, error) ||
      !fq_json_get_string (body, "ticket", FALSE, 64, &ticket_id, error))
    return FALSE;

  /* "Already triaged" tells a late desk more than "stale" would, so it is
   * checked first. */
  if (incident->status != FQ_INCIDENT_STATUS_NEW)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_INVALID_TRANSITION,
                   "incident %s is already triaged", incident->id);
      return FALSE;
    }
  if (rev != incident->rev)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_STALE_REV,
                   "incident %s is at rev %" G_GINT64_FORMAT ", not %" G_GINT64_FORMAT,
                   incident->id, incident->rev, rev);
      return FALSE;
    }

  if (grid != NULL && check_grid (ref, user, "grid", grid, error) == NULL)
    return FALSE;
  if (category_code == NULL && incident->category != NULL)
    category_code = g_strdup (incident->category);
  if (category_code != NULL)
    {
      category = fq_refdata_get_category (ref, category_code);
      if (category == NULL)
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "category", "unknown category");
          return FALSE;
        }
    }
  if (category != NULL && category->police_only && decision != FQ_DECISION_POLICE)
    {
      fq_set_field_error (error, FQ_ERROR_POLICE_ONLY_CATEGORY, "category",
                          "%s is a police matter and cannot be decided %s",
                          category->code, fq_enum_to_string (FQ_TYPE_DECISION, decision));
      return FALSE;
    }

  if (grid != NULL)
    {
      g_free (incident->grid);
      incident->grid = g_steal_pointer (&grid);
      g_free (incident->community);
      incident->community = fq_repeat_community_of (incident->grid);
    }
  if (category != NULL)
    {
      g_free (incident->category);
      incident->category = g_strdup (category->code);
    }

  switch ((FqDecision)decision)
    {
    case FQ_DECISION_DIVERT:
      {
        const FqUnitInfo *lead;

        if (category == NULL)
          {
            fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "category",
                                "required to divert");
            return FALSE;
          }
        if (lead_unit_id != NULL)
          {
            lead = fq_refdata_get_unit (ref, lead_unit_id);
            if (lead == NULL)
              {
                fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "lead_unit", "unknown unit");
                return FALSE;
              }
          }
        else
          {
            lead = fq_refdata_lead_unit (ref, category->code, incident->grid);
            if (lead == NULL)
              {
                fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "lead_unit",
                                    "no %s unit covers %s; name one",
                                    category->lead_unit_kind, incident->grid);
                return FALSE;
              }
          }
        ticket = divert (job, db, incident, category, lead->id, tier, note, error);
        if (ticket == NULL)
          return FALSE;
      }
      break;

    case FQ_DECISION_MERGE:
      if (ticket_id == NULL)
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "ticket", "required to merge");
          return FALSE;
        }
      ticket = merge (job, db, incident, ticket_id, note, error);
      if (ticket == NULL)
        return FALSE;
      break;

    case FQ_DECISION_POLICE:
    case FQ_DECISION_ON_SCENE:
    case FQ_DECISION_MEDIATE:
    default:
      break;
    }

  incident->status = FQ_INCIDENT_STATUS_TRIAGED;
  incident->decision = decision;
  g_free (incident->ticket);
  incident->ticket = ticket != NULL ? g_strdup (ticket->id) : NULL;
  g_free (incident->triage_note);
  incident->triage_note = g_steal_pointer (&note);
  incident->triaged_at = now;
  g_free (incident->triaged_by);
  incident->triaged_by = g_strdup (user != NULL ? user->username : NULL);
  incident->updated_at = now;
  incident->rev++;

  if (!fq_incident_save (job, db, incident, error))
    return FALSE;

  fq_job_set_audit (job, "incident", incident->id, fq_enum_to_string (FQ_TYPE_DECISION, decision));
  *ticket_out = g_steal_pointer (&ticket);
  return TRUE;
}

static gboolean
triage_job (FqJob     *job,
            gpointer   user_data,
            GError   **error)
{
  g_autoptr(FqDb) db = fq_db_new_for_job (job);
  FqRequest *request = fq_job_get_request (job);
  const FqServerConfig *config = fq_server_get_config (fq_job_get_server (job));
  const char *id = fq_request_get_segment (request, 1);
  g_autoptr(FqIncident) incident = load_visible_incident (job, db, id, error);
  g_autoptr(FqTicket) ticket = NULL;
  JsonObject *root;
  JsonNode *node;

  GError *local_error = NULL;

  if (incident == NULL)
    return FALSE;
  if (!fq_incident_triage (job, db, incident, fq_request_get_body (request), &ticket,
                           &local_error))
    {
      if (g_error_matches (local_error, FQ_ERROR, FQ_ERROR_INVALID_TRANSITION))
        {
          /* Like a ticket's, this error object lists what is allowed now:
           * nothing, for an incident that has been triaged. Nothing was
           * written, so the job may commit. */
          g_autofree char *field = fq_error_get_field (local_error);

          node = fq_error_json (FQ_ERROR_INVALID_TRANSITION, field, local_error->message);
          json_object_set_array_member (json_object_get_object_member (json_node_get_object (node),
                                                                       "error"),
                                        "allowed", json_array_new ());
          g_error_free (local_error);
          fq_job_respond (job, SOUP_STATUS_CONFLICT, node);
          return TRUE;
        }
      g_propagate_error (error, local_error);
      return FALSE;
    }

  root = json_object_new ();
  json_object_set_member (root, "incident", fq_incident_to_json (incident));
  if (ticket != NULL)
    json_object_set_member (root, "ticket",
                            fq_ticket_to_json (ticket, config->accept_limit_seconds,
                                               fq_job_now (job)));
  else
    json_object_set_null_member (root, "ticket");
  node = json_node_init_object (json_node_alloc (), root);
  json_object_unref (root);
  fq_job_respond (job, SOUP_STATUS_OK, node);
  return TRUE;
}

static void
incidents_triage (FqRequest *request)
{
  if (!fq_request_require_role (request, FQ_ROLE_BIT (FQ_ROLE_OPERATOR) |
                                         FQ_ROLE_BIT (FQ_ROLE_COORDINATOR)))
    return;
  fq_request_run (request, FQ_JOB_WRITE, triage_job, NULL, NULL);
}

/* ---- POST /incidents/{id}/not_repeat ---- */

static gboolean
not_repeat_job (FqJob     *job,
                gpointer   user_data,
                GError   **error)
{
  g_autoptr(FqDb) db = fq_db_new_for_job (job);
  FqRequest *request = fq_job_get_request (job);
  JsonObject *body = fq_request_get_body (request);
  const char *id = fq_request_get_segment (request, 1);
  g_autoptr(FqIncident) incident = load_visible_incident (job, db, id, error);
  gboolean present = FALSE;
  gint64 rev = 0;

  if (incident == NULL)
    return FALSE;
  if (body != NULL &&
      !fq_json_get_int (body, "rev", FALSE, 0, G_MAXINT64, &rev, &present, error))
    return FALSE;
  if (present && rev != incident->rev)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_STALE_REV,
                   "incident %s is at rev %" G_GINT64_FORMAT ", not %" G_GINT64_FORMAT,
                   incident->id, incident->rev, rev);
      return FALSE;
    }

  /* A wrong match is forgotten with its candidates, so that the console
   * does not offer the same merge again. */
  if (incident->repeat_of != NULL || incident->repeat_candidates != NULL)
    {
      g_clear_pointer (&incident->repeat_of, g_free);
      g_clear_pointer (&incident->repeat_candidates, g_free);
      incident->updated_at = fq_job_now (job);
      incident->rev++;
      if (!fq_incident_save (job, db, incident, error))
        return FALSE;
    }
  fq_job_set_audit (job, "incident", incident->id, "not_repeat");
  fq_job_respond (job, SOUP_STATUS_OK, fq_incident_to_json (incident));
  return TRUE;
}

static void
incidents_not_repeat (FqRequest *request)
{
  if (!fq_request_require_role (request, FQ_ROLE_BIT (FQ_ROLE_OPERATOR) |
                                         FQ_ROLE_BIT (FQ_ROLE_COORDINATOR) |
                                         FQ_ROLE_BIT (FQ_ROLE_ADMIN)))
    return;
  fq_request_run (request, FQ_JOB_WRITE, not_repeat_job, NULL, NULL);
}

void
fq_incidents_register (FqServer *server)
{
  fq_server_add_route (server, "POST", "/incidents", FQ_ROUTE_BODY, incidents_create);
  fq_server_add_route (server, "GET", "/incidents", FQ_ROUTE_DEFAULT, incidents_list);
  fq_server_add_route (server, "GET", "/incidents/*", FQ_ROUTE_DEFAULT, incidents_get);
  fq_server_add_route (server, "POST", "/incidents/*/triage", FQ_ROUTE_BODY, incidents_triage);
  fq_server_add_route (server, "POST", "/incidents/*/not_repeat", FQ_ROUTE_DEFAULT,
                       incidents_not_repeat);
}
