/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <string.h>

#include "fq-enum-types.h"
#include "fq-sla.h"
#include "fq-ticket-machine.h"

#include "fq-entities.h"
#include "fq-sessions.h"

/* ---- memory ---- */

void
fq_incident_free (FqIncident *incident)
{
  if (incident == NULL)
    return;
  g_free (incident->id);
  g_free (incident->external_id);
  g_free (incident->caller_name);
  g_free (incident->caller_phone);
  g_free (incident->phone_norm);
  g_free (incident->address);
  g_free (incident->address_norm);
  g_free (incident->grid);
  g_free (incident->community);
  g_free (incident->summary);
  g_free (incident->description);
  g_free (incident->category);
  g_free (incident->ticket);
  g_free (incident->repeat_of);
  g_free (incident->repeat_candidates);
  g_free (incident->suggested_category);
  g_free (incident->triage_note);
  g_free (incident->triaged_by);
  g_free (incident->created_by);
  g_free (incident);
}

void
fq_ticket_free (FqTicket *ticket)
{
  if (ticket == NULL)
    return;
  g_free (ticket->id);
  g_free (ticket->title);
  g_free (ticket->category);
  g_free (ticket->grid);
  g_free (ticket->lead_unit);
  g_clear_pointer (&ticket->assisting_units, g_ptr_array_unref);
  g_clear_pointer (&ticket->incidents, g_ptr_array_unref);
  g_clear_pointer (&ticket->session_units, g_ptr_array_unref);
  g_free (ticket);
}

void
fq_event_free (FqEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->ticket);
  g_free (event->actor);
  g_free (event->actor_name);
  g_free (event->unit);
  g_free (event->note);
  g_free (event->data);
  g_free (event);
}

/* ---- sqlite helpers ---- */

void
fq_bind_text (sqlite3_stmt *stmt,
              int           index,
              const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, index);
  else
    /* Static: every caller keeps the text until the statement has run,
     * and a copy of each of the demo's millions of values showed up as
     * the load's top cost in malloc. */
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_STATIC);
}

static char *
column_dup (sqlite3_stmt *stmt,
            int           col)
{
  const unsigned char *text = sqlite3_column_text (stmt, col);

  return text != NULL ? g_strdup ((const char *)text) : NULL;
}

static int
column_enum (sqlite3_stmt *stmt,
             int           col,
             GType         type,
             int           fallback)
{
  const char *text = (const char *)sqlite3_column_text (stmt, col);
  int value;

  if (text == NULL || !fq_enum_from_string (type, text, &value))
    return fallback;
  return value;
}

struct _FqDb
{
  sqlite3    *handle;
  FqJob      *job;
  GHashTable *stmts;  /* SQL text → sqlite3_stmt, when not a job's */
};

static void
finalize_stmt (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

FqDb *
fq_db_new (sqlite3 *handle)
{
  FqDb *db = g_new0 (FqDb, 1);

  db->handle = handle;
  db->stmts = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, finalize_stmt);
  return db;
}

FqDb *
fq_db_new_for_job (FqJob *job)
{
  FqDb *db = g_new0 (FqDb, 1);

  db->handle = fq_job_get_db (job);
  db->job = job;
  return db;
}

void
fq_db_free (FqDb *db)
{
  if (db == NULL)
    return;
  g_clear_pointer (&db->stmts, g_hash_table_unref);
  g_free (db);
}

sqlite3 *
fq_db_get_handle (FqDb *db)
{
  return db->handle;
}

sqlite3_stmt *
fq_db_prepare (FqDb        *db,
               const char  *sql,
               GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  /* A job's connection has the infrastructure's statement cache; a bare
   * connection (the demo's bulk load) gets one of its own, because the same
   * few statements run for every row. */
  if (db->job != NULL)
    return fq_job_prepare (db->job, sql, error);

  stmt = g_hash_table_lookup (db->stmts, sql);
  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }

  rc = sqlite3_prepare_v3 (db->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      fq_sqlite_check (db->handle, rc, error);
      return NULL;
    }
  g_hash_table_insert (db->stmts, (gpointer)sqlite3_sql (stmt), stmt);
  return stmt;
}

/* ---- rows ---- */

FqIncident *
fq_incident_from_stmt (sqlite3_stmt *stmt)
{
  FqIncident *incident = g_new0 (FqIncident, 1);

  incident->id = column_dup (stmt, 0);
  incident->source = column_enum (stmt, 1, FQ_TYPE_SOURCE, FQ_SOURCE_110);
  incident->external_id = column_dup (stmt, 2);
  incident->received_at = sqlite3_column_int64 (stmt, 3);
  incident->caller_name = column_dup (stmt, 4);
  incident->caller_phone = column_dup (stmt, 5);
  incident->phone_norm = column_dup (stmt, 6);
  incident->address = column_dup (stmt, 7);
  incident->address_norm = column_dup (stmt, 8);
  incident->grid = column_dup (stmt, 9);
  incident->community = column_dup (stmt, 10);
  incident->summary = column_dup (stmt, 11);
  incident->description = column_dup (stmt, 12);
  incident->category = column_dup (stmt, 13);
  incident->status = column_enum (stmt, 14, FQ_TYPE_INCIDENT_STATUS, FQ_INCIDENT_STATUS_NEW);
  incident->decision = column_enum (stmt, 15, FQ_TYPE_DECISION, -1);
  incident->ticket = column_dup (stmt, 16);
  incident->repeat_of = column_dup (stmt, 17);
  incident->repeat_candidates = column_dup (stmt, 18);
  incident->suggested_category = column_dup (stmt, 19);
  incident->triage_note = column_dup (stmt, 20);
  incident->triaged_at = sqlite3_column_int64 (stmt, 21);
  incident->triaged_by = column_dup (stmt, 22);
  incident->created_by = column_dup (stmt, 23);
  incident->created_at = sqlite3_column_int64 (stmt, 24);
  incident->updated_at = sqlite3_column_int64 (stmt, 25);
  incident->rev = sqlite3_column_int64 (stmt, 26);

  return incident;
}

FqTicket *
fq_ticket_from_stmt (sqlite3_stmt *stmt)
{
  FqTicket *ticket = g_new0 (FqTicket, 1);

  ticket->id = column_dup (stmt, 0);
  ticket->title = column_dup (stmt, 1);
  ticket->category = column_dup (stmt, 2);
  ticket->grid = column_dup (stmt, 3);
  ticket->tier = column_enum (stmt, 4, FQ_TYPE_TIER, FQ_TIER_COMMUNITY);
  ticket->lead_unit = column_dup (stmt, 5);
  ticket->state = column_enum (stmt, 6, FQ_TYPE_TICKET_STATE, FQ_TICKET_STATE_DISPATCHED);
  ticket->created_at = sqlite3_column_int64 (stmt, 7);
  ticket->dispatched_at = sqlite3_column_int64 (stmt, 8);
  ticket->accepted_at = sqlite3_column_int64 (stmt, 9);
  ticket->resolved_at = sqlite3_column_int64 (stmt, 10);
  ticket->closed_at = sqlite3_column_int64 (stmt, 11);
  ticket->deadline = sqlite3_column_int64 (stmt, 12);
  ticket->overdue = sqlite3_column_int (stmt, 13) != 0;
  ticket->sla_recorded = sqlite3_column_int (stmt, 14);
  ticket->satisfaction = sqlite3_column_int (stmt, 15);
  ticket->returned_count = sqlite3_column_int64 (stmt, 16);
  ticket->reopened_count = sqlite3_column_int64 (stmt, 17);
  ticket->rejected_count = sqlite3_column_int64 (stmt, 18);
  ticket->repeat_count = sqlite3_column_int64 (stmt, 19);
  ticket->escalated_count = sqlite3_column_int64 (stmt, 20);
  ticket->updated_at = sqlite3_column_int64 (stmt, 21);
  ticket->rev = sqlite3_column_int64 (stmt, 22);
  ticket->assisting_units = g_ptr_array_new_with_free_func (g_free);
  ticket->incidents = g_ptr_array_new_with_free_func (g_free);

  return ticket;
}

FqIncident *
fq_incident_load (FqDb        *db,
                  const char  *id,
                  GError     **error)
{
  static const char sql[] = "SELECT " FQ_INCIDENT_COLUMNS " FROM incidents WHERE id = ?";
  sqlite3_stmt *stmt = fq_db_prepare (db, sql, error);
  FqIncident *incident = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  fq_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    incident = fq_incident_from_stmt (stmt);
  else
    fq_sqlite_check (db->handle, rc, error);
  sqlite3_reset (stmt);
  return incident;
}

gboolean
fq_ticket_load_relations (FqDb      *db,
                          FqTicket  *ticket,
                          GError   **error)
{
  static const char units_sql[] =
    "SELECT unit FROM ticket_units WHERE ticket = ? AND role = 'assist' ORDER BY position";
  static const char incidents_sql[] = FQ_TICKET_INCIDENTS_SQL;
  sqlite3_stmt *stmt;
  int rc;

  g_ptr_array_set_size (ticket->assisting_units, 0);
  g_ptr_array_set_size (ticket->incidents, 0);

  if ((stmt = fq_db_prepare (db, units_sql, error)) == NULL)
    return FALSE;
  fq_bind_text (stmt, 1, ticket->id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ticket->assisting_units, column_dup (stmt, 0));
  sqlite3_reset (stmt);
  if (!fq_sqlite_check (db->handle, rc, error))
    return FALSE;

  if ((stmt = fq_db_prepare (db, incidents_sql, error)) == NULL)
    return FALSE;
  fq_bind_text (stmt, 1, ticket->id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ticket->incidents, column_dup (stmt, 0));
  sqlite3_reset (stmt);
  if (!fq_sqlite_check (db->handle, rc, error))
    return FALSE;

  return fq_sessions_load_ticket_units (db, ticket, error);
}

gboolean
fq_ticket_insert_incident (FqDb              *db,
                           FqTicket          *ticket,
                           const FqIncident  *incident,
                           GError           **error)
{
  static const char sql[] = "SELECT received_at FROM incidents WHERE id = ?";
  guint at = ticket->incidents->len;

  /* From the newest back: a call merged is most often the newest. */
  while (at > 0)
    {
      const char *other = g_ptr_array_index (ticket->incidents, at - 1);
      sqlite3_stmt *stmt = fq_db_prepare (db, sql, error);
      gint64 other_at;
      int rc;

      if (stmt == NULL)
        return FALSE;
      fq_bind_text (stmt, 1, other);
      rc = sqlite3_step (stmt);
      other_at = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
      sqlite3_reset (stmt);
      if (rc != SQLITE_ROW && !fq_sqlite_check (db->handle, rc, error))
        return FALSE;
      if (other_at < incident->received_at ||
          (other_at == incident->received_at && strcmp (other, incident->id) < 0))
        break;
      at--;
    }
  g_ptr_array_insert (ticket->incidents, at, g_strdup (incident->id));
  return TRUE;
}

FqTicket *
fq_ticket_load (FqDb        *db,
                const char  *id,
                GError     **error)
{
  static const char sql[] = "SELECT " FQ_TICKET_COLUMNS " FROM tickets WHERE id = ?";
  sqlite3_stmt *stmt = fq_db_prepare (db, sql, error);
  g_autoptr(FqTicket) ticket = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  fq_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    ticket = fq_ticket_from_stmt (stmt);
  sqlite3_reset (stmt);
  if (ticket == NULL)
    {
      fq_sqlite_check (db->handle, rc, error);
      return NULL;
    }
  if (!fq_ticket_load_relations (db, ticket, error))
    return NULL;
  return g_steal_pointer (&ticket);
}

/* ---- writing rows ---- */

static const char *
enum_nick (GType type,
           int   value)
{
  return value < 0 ? NULL : fq_enum_to_string (type, value);
}

gboolean
fq_incident_store (FqDb              *db,
                   const FqIncident  *incident,
                   GError           **error)
{
  /* An upsert on the id, not INSERT OR REPLACE: REPLACE would resolve a
   * clash on (source, external_id) by deleting the other incident. */
  static const char sql[] =
    "INSERT INTO incidents (" FQ_INCIDENT_COLUMNS ") VALUES "
    "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT (id) DO UPDATE SET source = excluded.source, "
    "external_id = excluded.external_id, received_at = excluded.received_at, "
    "caller_name = excluded.caller_name, caller_phone = excluded.caller_phone, "
    "phone_norm = excluded.phone_norm, address = excluded.address, "
    "address_norm = excluded.address_norm, grid = excluded.grid, "
    "community = excluded.community, summary = excluded.summary, "
    "description = excluded.description, category = excluded.category, "
    "status = excluded.status, decision = excluded.decision, ticket = excluded.ticket, "
    "repeat_of = excluded.repeat_of, repeat_candidates = excluded.repeat_candidates, "
    "suggested_category = excluded.suggested_category, triage_note = excluded.triage_note, "
    "triaged_at = excluded.triaged_at, triaged_by = excluded.triaged_by, "
    "created_by = excluded.created_by, created_at = excluded.created_at, "
    "updated_at = excluded.updated_at, rev = excluded.rev";
  sqlite3_stmt *stmt = fq_db_prepare (db, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;

  fq_bind_text (stmt, 1, incident->id);
  fq_bind_text (stmt, 2, enum_nick (FQ_TYPE_SOURCE, incident->source));
  fq_bind_text (stmt, 3, incident->external_id);
  sqlite3_bind_int64 (stmt, 4, incident->received_at);
  fq_bind_text (stmt, 5, incident->caller_name);
  fq_bind_text (stmt, 6, incident->caller_phone);
  fq_bind_text (stmt, 7, incident->phone_norm);
  fq_bind_text (stmt, 8, incident->address);
  fq_bind_text (stmt, 9, incident->address_norm);
  fq_bind_text (stmt, 10, incident->grid);
  fq_bind_text (stmt, 11, incident->community);
  fq_bind_text (stmt, 12, incident->summary);
  fq_bind_text (stmt, 13, incident->description);
  fq_bind_text (stmt, 14, incident->category);
  fq_bind_text (stmt, 15, enum_nick (FQ_TYPE_INCIDENT_STATUS, incident->status));
  fq_bind_text (stmt, 16, enum_nick (FQ_TYPE_DECISION, incident->decision));
  fq_bind_text (stmt, 17, incident->ticket);
  fq_bind_text (stmt, 18, incident->repeat_of);
  fq_bind_text (stmt, 19, incident->repeat_candidates);
  fq_bind_text (stmt, 20, incident->suggested_category);
  fq_bind_text (stmt, 21, incident->triage_note);
  fq_sqlite_bind_time (stmt, 22, incident->triaged_at);
  fq_bind_text (stmt, 23, incident->triaged_by);
  fq_bind_text (stmt, 24, incident->created_by);
  sqlite3_bind_int64 (stmt, 25, incident->created_at);
  sqlite3_bind_int64 (stmt, 26, incident->updated_at);
  sqlite3_bind_int64 (stmt, 27, incident->rev);

  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  return fq_sqlite_check (db->handle, rc, error);
}

gboolean
fq_ticket_store (FqDb            *db,
                 const FqTicket  *ticket,
                 GError         **error)
{
  static const char sql[] =
    "INSERT OR REPLACE INTO tickets (" FQ_TICKET_COLUMNS ") VALUES "
    "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
  static const char delete_units_sql[] = "DELETE FROM ticket_units WHERE ticket = ?";
  static const char insert_unit_sql[] =
    "INSERT OR IGNORE INTO ticket_units (ticket, unit, role, position) VALUES (?,?,?,?)";
  sqlite3_stmt *stmt = fq_db_prepare (db, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;

  fq_bind_text (stmt, 1, ticket->id);
  fq_bind_text (stmt, 2, ticket->title);
  fq_bind_text (stmt, 3, ticket->category);
  fq_bind_text (stmt, 4, ticket->grid);
  fq_bind_text (stmt, 5, enum_nick (FQ_TYPE_TIER, ticket->tier));
  fq_bind_text (stmt, 6, ticket->lead_unit);
  fq_bind_text (stmt, 7, enum_nick (FQ_TYPE_TICKET_STATE, ticket->state));
  sqlite3_bind_int64 (stmt, 8, ticket->created_at);
  fq_sqlite_bind_time (stmt, 9, ticket->dispatched_at);
  fq_sqlite_bind_time (stmt, 10, ticket->accepted_at);
  fq_sqlite_bind_time (stmt, 11, ticket->resolved_at);
  fq_sqlite_bind_time (stmt, 12, ticket->closed_at);
  fq_sqlite_bind_time (stmt, 13, ticket->deadline);
  sqlite3_bind_int (stmt, 14, ticket->overdue ? 1 : 0);
  sqlite3_bind_int (stmt, 15, ticket->sla_recorded);
  if (ticket->satisfaction > 0)
    sqlite3_bind_int (stmt, 16, ticket->satisfaction);
  sqlite3_bind_int64 (stmt, 17, ticket->returned_count);
  sqlite3_bind_int64 (stmt, 18, ticket->reopened_count);
  sqlite3_bind_int64 (stmt, 19, ticket->rejected_count);
  sqlite3_bind_int64 (stmt, 20, ticket->repeat_count);
  sqlite3_bind_int64 (stmt, 21, ticket->escalated_count);
  sqlite3_bind_int64 (stmt, 22, ticket->updated_at);
  sqlite3_bind_int64 (stmt, 23, ticket->rev);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (!fq_sqlite_check (db->handle, rc, error))
    return FALSE;

  /* The unit rows are few; rewriting them keeps lead and assisting exact
   * after a redispatch without a diff. */
  if ((stmt = fq_db_prepare (db, delete_units_sql, error)) == NULL)
    return FALSE;
  fq_bind_text (stmt, 1, ticket->id);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (!fq_sqlite_check (db->handle, rc, error))
    return FALSE;

  if ((stmt = fq_db_prepare (db, insert_unit_sql, error)) == NULL)
    return FALSE;
  for (guint i = 0; i <= ticket->assisting_units->len; i++)
    {
      const char *unit
          = i == 0 ? ticket->lead_unit : g_ptr_array_index (ticket->assisting_units, i - 1);

      sqlite3_reset (stmt);
      fq_bind_text (stmt, 1, ticket->id);
      fq_bind_text (stmt, 2, unit);
      fq_bind_text (stmt, 3, i == 0 ? "lead" : "assist");
      /* The order of assisting units is kept by `position`. */
      sqlite3_bind_int64 (stmt, 4, i);
      rc = sqlite3_step (stmt);
      if (!fq_sqlite_check (db->handle, rc, error))
        {
          sqlite3_reset (stmt);
          return FALSE;
        }
    }
  sqlite3_reset (stmt);
  return TRUE;
}

gboolean
fq_event_store (FqDb     *db,
                FqEvent  *event,
                GError  **error)
{
  static const char sql[] =
    "INSERT INTO events (" FQ_EVENT_COLUMNS ") VALUES (?,?,?,?,?,?,?,?,?)";
  sqlite3_stmt *stmt = fq_db_prepare (db, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  if (event->id > 0)
    sqlite3_bind_int64 (stmt, 1, event->id);
  fq_bind_text (stmt, 2, event->ticket);
  sqlite3_bind_int64 (stmt, 3, event->at);
  fq_bind_text (stmt, 4, enum_nick (FQ_TYPE_EVENT_KIND, event->kind));
  fq_bind_text (stmt, 5, event->actor);
  fq_bind_text (stmt, 6, event->unit);
  fq_bind_text (stmt, 7, event->note);
  fq_bind_text (stmt, 8, event->data);
  fq_bind_text (stmt, 9, event->actor_name);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (!fq_sqlite_check (db->handle, rc, error))
    return FALSE;
  if (event->id <= 0)
    event->id = sqlite3_last_insert_rowid (db->handle);
  return TRUE;
}

/* ---- relations ---- */

const char **
fq_ticket_units (const FqTicket *ticket)
{
  guint n = ticket->assisting_units != NULL ? ticket->assisting_units->len : 0;
  guint m = ticket->session_units != NULL ? ticket->session_units->len : 0;
  const char **units = g_new0 (const char *, n + m + 2);
  guint k;

  units[0] = ticket->lead_unit;
  for (guint i = 0; i < n; i++)
    units[i + 1] = g_ptr_array_index (ticket->assisting_units, i);
  /* Units convened to one of its sessions may read the matter too. */
  k = n + 1;
  for (guint i = 0; i < m; i++)
    {
      const char *unit = g_ptr_array_index (ticket->session_units, i);

      if (!fq_ticket_has_unit (ticket, unit))
        units[k++] = unit;
    }
  return units;
}

gboolean
fq_ticket_has_unit (const FqTicket *ticket,
                    const char     *unit)
{
  if (unit == NULL)
    return FALSE;
  if (g_strcmp0 (ticket->lead_unit, unit) == 0)
    return TRUE;
  for (guint i = 0; ticket->assisting_units != NULL && i < ticket->assisting_units->len; i++)
    if (g_strcmp0 (g_ptr_array_index (ticket->assisting_units, i), unit) == 0)
      return TRUE;
  return FALSE;
}

guint
fq_ticket_relation (const FqTicket *ticket,
                    const FqUser   *user)
{
  if (user == NULL || user->unit == NULL)
    return FQ_UNIT_RELATION_NONE;
  if (g_strcmp0 (user->unit, ticket->lead_unit) == 0)
    return FQ_UNIT_RELATION_LEAD;
  if (fq_ticket_has_unit (ticket, user->unit))
    return FQ_UNIT_RELATION_ASSIST;
  return FQ_UNIT_RELATION_NONE;
}

guint
fq_ticket_breaches (const FqTicket *ticket,
                    gint64          accept_limit,
                    gint64          now)
{
  return fq_sla_breaches (ticket->state, ticket->dispatched_at, ticket->accepted_at,
                          ticket->resolved_at, ticket->deadline, accept_limit, now);
}

/* ---- JSON ----
 *
 * Each record has one serializer, which writes its text; the JsonNode forms
 * the handlers need are parsed from that text. The demo writes a third of a
 * million change rows, where building nodes first cost more than the rest
 * of the load together, and one serializer keeps the two forms equal.
 */

static inline void
put_digits (char   *out,
            gint64  value,
            int     n)
{
  for (int i = n - 1; i >= 0; i--, value /= 10)
    out[i] = '0' + value % 10;
}

void
fq_entities_format_time (gint64  unix_seconds,
                         char    out[FQ_TIME_TEXT_SIZE])
{
  gint64 days = unix_seconds >= 0 ? unix_seconds / 86400 : (unix_seconds - 86399) / 86400;
  gint64 secs = unix_seconds - days * 86400;
  gint64 z = days + 719468;
  gint64 era = (z >= 0 ? z : z - 146096) / 146097;
  gint64 doe = z - era * 146097;
  gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  gint64 mp = (5 * doy + 2) / 153;
  gint64 day = doy - (153 * mp + 2) / 5 + 1;
  gint64 month = mp < 10 ? mp + 3 : mp - 9;
  gint64 year = yoe + era * 400 + (month <= 2);

  /* Howard Hinnant's civil_from_days: the same text as fq_time_format(),
   * without a GDateTime for each of them (nor a printf: four of these go
   * into every incident). */
  if (year < 0 || year > 9999)
    {
      g_snprintf (out, FQ_TIME_TEXT_SIZE, "%04d-%02d-%02dT%02d:%02d:%02dZ",
                  (int)year, (int)month, (int)day, (int)(secs / 3600), (int)(secs / 60 % 60),
                  (int)(secs % 60));
      return;
    }
  put_digits (out, year, 4);
  out[4] = '-';
  put_digits (out + 5, month, 2);
  out[7] = '-';
  put_digits (out + 8, day, 2);
  out[10] = 'T';
  put_digits (out + 11, secs / 3600, 2);
  out[13] = ':';
  put_digits (out + 14, secs / 60 % 60, 2);
  out[16] = ':';
  put_digits (out + 17, secs % 60, 2);
  out[19] = 'Z';
  out[20] = '\0';
}

/* Text is copied in runs between the bytes that need escaping, of which
 * most text (Chinese, in UTF-8) has none. */
static void
append_string (GString    *out,
               const char *text)
{
  const unsigned char *run;
  const unsigned char *p;

  if (text == NULL)
    {
      g_string_append (out, "null");
      return;
    }

  g_string_append_c (out, '"');
  run = (const unsigned char *)text;
  for (p = run; *p != '\0'; p++)
    {
      const char *escape;
      char code[8];

      if (*p >= 0x20 && *p != '"' && *p != '\\')
        continue;
      switch (*p)
        {
        case '"':
          escape = "\\\"";
          break;
        case '\\':
          escape = "\\\\";
          break;
        case '\n':
          escape = "\\n";
          break;
        case '\t':
          escape = "\\t";
          break;
        case '\r':
          escape = "\\r";
          break;
        case '\b':
          escape = "\\b";
          break;
        case '\f':
          escape = "\\f";
          break;
        default:
          g_snprintf (code, sizeof code, "\\u%04x", *p);
          escape = code;
        }
      g_string_append_len (out, (const char *)run, p - run);
      g_string_append (out, escape);
      run = p + 1;
    }
  g_string_append_len (out, (const char *)run, p - run);
  g_string_append_c (out, '"');
}

static void
append_int (GString *out,
            gint64   value)
{
  char text[24];
  char *p = text + sizeof text;
  guint64 magnitude = value < 0 ? -(guint64)value : (guint64)value;

  do
    {
      *--p = (char)('0' + magnitude % 10);
      magnitude /= 10;
    }
  while (magnitude > 0);
  if (value < 0)
    *--p = '-';
  g_string_append_len (out, p, text + sizeof text - p);
}

static void
member (GString    *out,
        const char *name)
{
  if (out->len > 0 && out->str[out->len - 1] != '{')
    g_string_append_c (out, ',');
  g_string_append_c (out, '"');
  g_string_append (out, name);
  g_string_append (out, "\":");
}

static void
member_string (GString    *out,
               const char *name,
               const char *value)
{
  member (out, name);
  append_string (out, value);
}

static void
member_time (GString    *out,
             const char *name,
             gint64      value)
{
  member (out, name);
  if (value != 0)
    {
      char text[FQ_TIME_TEXT_SIZE];

      fq_entities_format_time (value, text);
      g_string_append_c (out, '"');
      g_string_append (out, text);
      g_string_append_c (out, '"');
    }
  else
    g_string_append (out, "null");
}

static void
member_int (GString    *out,
            const char *name,
            gint64      value)
{
  member (out, name);
  append_int (out, value);
}

static void
member_bool (GString    *out,
             const char *name,
             gboolean    value)
{
  member (out, name);
  g_string_append (out, value ? "true" : "false");
}

/* Stored JSON (repeat candidates, event data) is written by this file only;
 * it is embedded as it is when it has the expected shape. */
static void
member_raw (GString    *out,
            const char *name,
            const char *json,
            char        open,
            const char *fallback)
{
  member (out, name);
  if (json != NULL && json[0] == open)
    g_string_append (out, json);
  else
    g_string_append (out, fallback);
}

static void
member_strings (GString    *out,
                const char *name,
                GPtrArray  *strings)
{
  member (out, name);
  g_string_append_c (out, '[');
  for (guint i = 0; strings != NULL && i < strings->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      append_string (out, g_ptr_array_index (strings, i));
    }
  g_string_append_c (out, ']');
}

void
fq_incident_write_json (GString          *out,
                        const FqIncident *incident)
{
  g_string_append_c (out, '{');
  member_string (out, "id", incident->id);
  member_string (out, "source", enum_nick (FQ_TYPE_SOURCE, incident->source));
  member_time (out, "received_at", incident->received_at);
  member_string (out, "caller_name", incident->caller_name);
  member_string (out, "caller_phone", incident->caller_phone);
  member_string (out, "address", incident->address);
  member_string (out, "grid", incident->grid);
  member_string (out, "summary", incident->summary);
  member_string (out, "description", incident->description);
  member_string (out, "category", incident->category);
  member_string (out, "external_id", incident->external_id);
  member_string (out, "status", enum_nick (FQ_TYPE_INCIDENT_STATUS, incident->status));
  member_string (out, "decision", enum_nick (FQ_TYPE_DECISION, incident->decision));
  member_string (out, "ticket", incident->ticket);
  member_string (out, "repeat_of", incident->repeat_of);
  member_raw (out, "repeat_candidates", incident->repeat_candidates, '[', "[]");
  member_raw (out, "suggested_category", incident->suggested_category, '{', "null");
  member_time (out, "triaged_at", incident->triaged_at);
  member_string (out, "triaged_by", incident->triaged_by);
  member_string (out, "triage_note", incident->triage_note);
  member_string (out, "created_by", incident->created_by);
  member_time (out, "created_at", incident->created_at);
  member_time (out, "updated_at", incident->updated_at);
  member_int (out, "rev", incident->rev);
  g_string_append_c (out, '}');
}

/* The members that depend on the moment: `overdue`, decided at read time,
 * and the breaches behind it, so that a client can say why. */
static void
ticket_write_flags (GString        *out,
                    const FqTicket *ticket,
                    gint64          accept_limit,
                    gint64          now)
{
  guint breaches = fq_ticket_breaches (ticket, accept_limit, now);

  member_bool (out, "overdue", fq_sla_is_overdue (ticket->state, breaches));
  member_bool (out, "accept_late", (breaches & FQ_SLA_ACCEPT_LATE) != 0);
  member_bool (out, "resolve_late", (breaches & FQ_SLA_RESOLVE_LATE) != 0);
}

/* @ticket as JSON; where ticket_write_flags() wrote goes to @flags_at and
 * @flags_end (bytes of @out), for fq_ticket_detail_read(). */
static void
ticket_write_json (GString        *out,
                   const FqTicket *ticket,
                   gint64          accept_limit,
                   gint64          now,
                   gsize          *flags_at,
                   gsize          *flags_end)
{
  g_string_append_c (out, '{');
  member_string (out, "id", ticket->id);
  member_string (out, "title", ticket->title);
  member_string (out, "category", ticket->category);
  member_string (out, "grid", ticket->grid);
  member_string (out, "tier", enum_nick (FQ_TYPE_TIER, ticket->tier));
  member_string (out, "lead_unit", ticket->lead_unit);
  member_strings (out, "assisting_units", ticket->assisting_units);
  member_string (out, "state", enum_nick (FQ_TYPE_TICKET_STATE, ticket->state));
  member_strings (out, "incidents", ticket->incidents);
  member_time (out, "created_at", ticket->created_at);
  member_time (out, "dispatched_at", ticket->dispatched_at);
  member_time (out, "accepted_at", ticket->accepted_at);
  member_time (out, "resolved_at", ticket->resolved_at);
  member_time (out, "closed_at", ticket->closed_at);
  member_time (out, "deadline", ticket->deadline);
  if (flags_at != NULL)
    *flags_at = out->len;
  ticket_write_flags (out, ticket, accept_limit, now);
  if (flags_end != NULL)
    *flags_end = out->len;
  member (out, "satisfaction");
  if (ticket->satisfaction > 0)
    append_int (out, ticket->satisfaction);
  else
    g_string_append (out, "null");
  member_int (out, "returned_count", ticket->returned_count);
  member_int (out, "reopened_count", ticket->reopened_count);
  member_int (out, "rejected_count", ticket->rejected_count);
  member_int (out, "repeat_count", ticket->repeat_count);
  member_int (out, "escalated_count", ticket->escalated_count);
  member_time (out, "updated_at", ticket->updated_at);
  member_int (out, "rev", ticket->rev);
  g_string_append_c (out, '}');
}

void
fq_ticket_write_json (GString        *out,
                      const FqTicket *ticket,
                      gint64          accept_limit,
                      gint64          now)
{
  ticket_write_json (out, ticket, accept_limit, now, NULL, NULL);
}

char *
fq_event_id_to_string (gint64 id)
{
  return g_strdup_printf ("E%" G_GINT64_FORMAT, id);
}

void
fq_event_write_json (GString       *out,
                     const FqEvent *event)
{
  g_string_append (out, "{\"id\":\"E");
  append_int (out, event->id);
  g_string_append_c (out, '"');
  member_string (out, "ticket", event->ticket);
  member_time (out, "at", event->at);
  member_string (out, "kind", enum_nick (FQ_TYPE_EVENT_KIND, event->kind));
  member_string (out, "actor", event->actor);
  member_string (out, "actor_name", event->actor_name);
  member_string (out, "unit", event->unit);
  member_string (out, "note", event->note);
  member_raw (out, "data", event->data, '{', "{}");
  g_string_append_c (out, '}');
}

void
fq_json_append_string (GString    *out,
                       const char *text)
{
  append_string (out, text);
}

static JsonNode *
parse_written (GString *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  if (!json_parser_load_from_data (parser, text->str, text->len, &error))
    {
      /* Only a bug in this file gets here: say so loudly, answer {}. */
      g_autoptr(JsonObject) empty = json_object_new ();

      g_critical ("Entity JSON does not parse: %s: %s", error->message, text->str);
      return json_node_init_object (json_node_alloc (), empty);
    }
  return json_parser_steal_root (parser);
}

JsonNode *
fq_incident_to_json (const FqIncident *incident)
{
  g_autoptr(GString) text = g_string_sized_new (1024);

  fq_incident_write_json (text, incident);
  return parse_written (text);
}

JsonNode *
fq_ticket_to_json (const FqTicket *ticket,
                   gint64          accept_limit,
                   gint64          now)
{
  g_autoptr(GString) text = g_string_sized_new (1024);

  fq_ticket_write_json (text, ticket, accept_limit, now);
  return parse_written (text);
}

JsonNode *
fq_event_to_json (const FqEvent *event)
{
  g_autoptr(GString) text = g_string_sized_new (512);

  fq_event_write_json (text, event);
  return parse_written (text);
}

/* ---- ids ---- */

char *
fq_entities_next_id (FqDb        *db,
                     char         kind,
                     gint64       at,
                     GError     **error)
{
  /* A read and a write: an upsert with RETURNING costs three times as much
   * (SQLite runs RETURNING through a temporary table), and every incident
   * takes a number. Only the writer runs this, inside its transaction. */
  static const char select_sql[] = "SELECT value FROM domain_counters WHERE name = ?";
  static const char update_sql[] = "UPDATE domain_counters SET value = ? WHERE name = ?";
  static const char insert_sql[] = "INSERT INTO domain_counters (name, value) VALUES (?, ?)";
  char time_text[FQ_TIME_TEXT_SIZE];
  char day[8];
  char name[16];
  sqlite3_stmt *stmt;
  gboolean found;
  gint64 value = 0;
  int rc;

  g_return_val_if_fail (kind == 'I' || kind == 'T' || kind == 'S', NULL);

  /* The CST date is the UTC date of the time shifted by eight hours:
   * "yymmdd" out of "yyyy-mm-ddThh:mm:ssZ". */
  fq_entities_format_time (at + FQ_CST_OFFSET_SECONDS, time_text);
  g_snprintf (day, sizeof day, "%.2s%.2s%.2s", time_text + 2, time_text + 5, time_text + 8);
  g_snprintf (name, sizeof name, "%c%s", kind, day);

  if ((stmt = fq_db_prepare (db, select_sql, error)) == NULL)
    return NULL;
  fq_bind_text (stmt, 1, name);
  rc = sqlite3_step (stmt);
  found = rc == SQLITE_ROW;
  if (found)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (!fq_sqlite_check (db->handle, rc, error))
    return NULL;

  if ((stmt = fq_db_prepare (db, found ? update_sql : insert_sql, error)) == NULL)
    return NULL;
  value++;
  sqlite3_bind_int64 (stmt, found ? 1 : 2, value);
  fq_bind_text (stmt, found ? 2 : 1, name);
  rc = sqlite3_step (stmt);
  sqlite3_reset (stmt);
  if (!fq_sqlite_check (db->handle, rc, error))
    return NULL;

  return g_strdup_printf ("%c%s-%06" G_GINT64_FORMAT, kind, day, value);
}

/* ---- cursors ---- */

char *
fq_cursor_encode (gint64      key,
                  const char *id)
{
  g_autofree char *plain = g_strdup_printf ("%" G_GINT64_FORMAT ":%s", key, id);
  char *text = g_base64_encode ((const guchar *)plain, strlen (plain));

  /* base64url without padding, so that the cursor needs no escaping in a
   * query string. */
  for (char *p = text; *p != '\0'; p++)
    {
      if (*p == '+')
        *p = '-';
      else if (*p == '/')
        *p = '_';
      else if (*p == '=')
        {
          *p = '\0';
          break;
        }
    }
  return text;
}

gboolean
fq_cursor_decode (const char  *cursor,
                  gint64      *key,
                  char       **id,
                  GError     **error)
{
  g_autoptr(GString) padded = NULL;
  g_autofree guchar *plain = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  const char *colon;
  char *end = NULL;
  gint64 value;

  if (cursor == NULL || *cursor == '\0' || strlen (cursor) > 512)
    goto bad;

  padded = g_string_new (NULL);
  for (const char *p = cursor; *p != '\0'; p++)
    {
      if (g_ascii_isalnum (*p))
        g_string_append_c (padded, *p);
      else if (*p == '-')
        g_string_append_c (padded, '+');
      else if (*p == '_')
        g_string_append_c (padded, '/');
      else
        goto bad;
    }
  if (padded->len % 4 == 1)
    goto bad;
  while (padded->len % 4 != 0)
    g_string_append_c (padded, '=');

  plain = g_base64_decode (padded->str, &len);
  if (plain == NULL || len == 0)
    goto bad;
  text = g_strndup ((const char *)plain, len);
  if (strlen (text) != len || !g_utf8_validate (text, -1, NULL))
    goto bad;

  colon = strchr (text, ':');
  if (colon == NULL || colon == text || colon[1] == '\0')
    goto bad;
  value = g_ascii_strtoll (text, &end, 10);
  if (end != colon)
    goto bad;

  *key = value;
  *id = g_strdup (colon + 1);
  return TRUE;

bad:
  fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, "cursor", "not a cursor of this list");
  return FALSE;
}

char *
fq_prefix_end (const char *prefix)
{
  char *end = g_strdup (prefix);
  gsize len = strlen (end);

  /* Codes are digits, so bumping the last character never overflows past
   * '9' + 1 = ':', which still sorts after every digit. The empty prefix
   * (the country's: every code) ends after every code, at ":". */
  if (len == 0)
    {
      g_free (end);
      return g_strdup (":");
    }
  end[len - 1]++;
  return end;
}

/* ---- writes through a job: the record, its change, its timeline ---- */

static const char * const no_units[] = { NULL };

gboolean
fq_incident_units (FqDb         *db,
                   const FqIncident *incident,
                   GStrv        *units,
                   GError      **error)
{
  g_autoptr(FqTicket) ticket = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (incident->ticket != NULL)
    {
      ticket = fq_ticket_load (db, incident->ticket, error);
      if (ticket == NULL && error != NULL && *error != NULL)
        return FALSE;
    }
  if (ticket != NULL)
    {
      g_strv_builder_add (builder, ticket->lead_unit);
      for (guint i = 0; i < ticket->assisting_units->len; i++)
        g_strv_builder_add (builder, g_ptr_array_index (ticket->assisting_units, i));
    }
  *units = g_strv_builder_end (builder);
  return TRUE;
}

gboolean
fq_incident_visible (FqDb             *db,
                     const FqUser     *user,
                     const FqIncident *incident,
                     GError          **error)
{
  g_auto(GStrv) units = NULL;

  if (user == NULL)
    return TRUE;
  if (!fq_incident_units (db, incident, &units, error))
    return FALSE;
  return fq_user_can_see (user, incident->grid, (const char * const *)units);
}

gboolean
fq_ticket_visible (const FqUser   *user,
                   const FqTicket *ticket)
{
  g_autofree const char **units = NULL;

  if (user == NULL)
    return TRUE;
  units = fq_ticket_units (ticket);
  return fq_user_can_see (user, ticket->grid, units);
}

gboolean
fq_incident_save (FqJob            *job,
                  FqDb             *db,
                  const FqIncident *incident,
                  GError          **error)
{
  g_auto(GStrv) units = NULL;
  GString *text;

  if (!fq_incident_store (db, incident, error))
    return FALSE;
  /* An incident not attached to a ticket concerns no unit: unit staff see
   * only what was diverted to them. */
  if (!fq_incident_units (db, incident, &units, error))
    return FALSE;
  text = g_string_sized_new (1024);
  fq_incident_write_json (text, incident);
  fq_job_add_change_text (job, "incident", incident->id, "upsert", incident->grid,
                          units[0] != NULL ? (const char * const *)units : no_units,
                          g_string_free (text, FALSE));
  return TRUE;
}

gboolean
fq_ticket_save (FqJob     *job,
                FqDb      *db,
                FqTicket  *ticket,
                gint64     accept_limit,
                gint64     now,
                GError   **error)
{
  g_autofree const char **units = NULL;

  ticket->overdue
      = fq_sla_is_overdue (ticket->state, fq_ticket_breaches (ticket, accept_limit, now));
  if (!fq_ticket_store (db, ticket, error))
    return FALSE;
  units = fq_ticket_units (ticket);
  fq_job_add_change (job, "ticket", ticket->id, "upsert", ticket->grid, units,
                     fq_ticket_to_json (ticket, accept_limit, now));
  return TRUE;
}

FqEvent *
fq_ticket_add_event (FqJob          *job,
                     FqDb           *db,
                     const FqTicket *ticket,
                     gint64          at,
                     FqEventKind     kind,
                     const char     *actor,
                     const char     *actor_name,
                     const char     *unit,
                     const char     *note,
                     JsonNode       *data,
                     GError        **error)
{
  g_autoptr(FqEvent) event = g_new0 (FqEvent, 1);
  g_autofree const char **units = NULL;
  g_autofree char *id = NULL;

  event->ticket = g_strdup (ticket->id);
  event->at = at;
  event->kind = kind;
  event->actor = g_strdup (actor);
  event->actor_name = g_strdup (actor != NULL ? actor_name : NULL);
  event->unit = g_strdup (unit);
  event->note = g_strdup (note != NULL && *note != '\0' ? note : NULL);
  if (data != NULL)
    {
      event->data = fq_json_to_string (data, NULL);
      json_node_unref (data);
    }
  if (!fq_event_store (db, event, error))
    return NULL;

  id = fq_event_id_to_string (event->id);
  units = fq_ticket_units (ticket);
  fq_job_add_change (job, "event", id, "upsert", ticket->grid, units, fq_event_to_json (event));
  return g_steal_pointer (&event);
}

gboolean
fq_ticket_record_breaches (FqJob     *job,
                           FqDb      *db,
                           FqTicket  *ticket,
                           gint64     accept_limit,
                           gint64     now,
                           GError   **error)
{
  guint breaches = fq_ticket_breaches (ticket, accept_limit, now);
  guint fresh = breaches & ~ticket->sla_recorded;

  /* Each breach is recorded once, at the moment it happened, so that the
   * timeline shows when the limit ran out and not when somebody noticed. */
  if (fresh & FQ_SLA_ACCEPT_LATE)
    {
      g_autoptr(FqEvent) event = NULL;
      JsonObject *data = json_object_new ();
      gint64 at = MIN (now, ticket->dispatched_at + accept_limit);

      json_object_set_string_member (data, "breach", "accept");
      event = fq_ticket_add_event (job, db, ticket, at, FQ_EVENT_KIND_SLA_BREACHED, NULL,
                                   NULL, ticket->lead_unit, NULL,
                                   json_node_init_object (json_node_alloc (), data), error);
      json_object_unref (data);
      if (event == NULL)
        return FALSE;
    }
  if (fresh & FQ_SLA_RESOLVE_LATE)
    {
      g_autoptr(FqEvent) event = NULL;
      JsonObject *data = json_object_new ();
      gint64 at = ticket->deadline > 0 ? MIN (now, ticket->deadline) : now;

      json_object_set_string_member (data, "breach", "resolve");
      event = fq_ticket_add_event (job, db, ticket, at, FQ_EVENT_KIND_SLA_BREACHED, NULL,
                                   NULL, ticket->lead_unit, NULL,
                                   json_node_init_object (json_node_alloc (), data), error);
      json_object_unref (data);
      if (event == NULL)
        return FALSE;
    }
  ticket->sla_recorded |= fresh;
  return TRUE;
}

/* The timeline of ticket @ticket_id as a JSON array, oldest first: each
 * row written as it is read, its text borrowed rather than copied (valid
 * until the next step). */
static char *
events_json_text (FqDb        *db,
                  const char  *ticket_id,
                  GError     **error)
{
  static const char sql[] = FQ_TICKET_TIMELINE_SQL;
  sqlite3_stmt *stmt = fq_db_prepare (db, sql, error);
  g_autoptr(GString) text = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  text = g_string_sized_new (16 + 320 * 8);
  g_string_append_c (text, '[');
  fq_bind_text (stmt, 1, ticket_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const FqEvent row = {
        .id = sqlite3_column_int64 (stmt, 0),
        .ticket = (char *)sqlite3_column_text (stmt, 1),
        .at = sqlite3_column_int64 (stmt, 2),
        .kind = column_enum (stmt, 3, FQ_TYPE_EVENT_KIND, FQ_EVENT_KIND_COMMENT),
        .actor = (char *)sqlite3_column_text (stmt, 4),
        .unit = (char *)sqlite3_column_text (stmt, 5),
        .note = (char *)sqlite3_column_text (stmt, 6),
        .data = (char *)sqlite3_column_text (stmt, 7),
        .actor_name = (char *)sqlite3_column_text (stmt, 8),
      };

      if (text->len > 1)
        g_string_append_c (text, ',');
      fq_event_write_json (text, &row);
    }
  sqlite3_reset (stmt);
  if (!fq_sqlite_check (db->handle, rc, error))
    return NULL;
  g_string_append_c (text, ']');
  return g_string_free (g_steal_pointer (&text), FALSE);
}

FqTicketDetail *
fq_ticket_detail_read (FqDb      *db,
                       FqTicket  *ticket,
                       gint64     now,
                       GError   **error)
{
  g_autoptr(FqTicketDetail) detail = g_new0 (FqTicketDetail, 1);
  g_autoptr(JsonArray) sessions = NULL;
  g_autoptr(JsonNode) sessions_node = NULL;
  g_autofree char *events_text = NULL;
  g_autofree char *sessions_text = NULL;
  GString *text;
  gsize flags_at, flags_end;

  detail->ticket = ticket;
  events_text = events_json_text (db, ticket->id, error);
  if (events_text == NULL)
    return NULL;
  /* Its convening sessions, oldest first (fq-sessions.c). */
  sessions = fq_sessions_ticket_json (db, ticket->id, now, &detail->sessions_until, error);
  if (sessions == NULL)
    return NULL;

  /* Most tickets have none: a generator for "[]" cost more than the query. */
  if (json_array_get_length (sessions) == 0)
    sessions_text = g_strdup ("[]");
  else
    {
      sessions_node = json_node_init_array (json_node_alloc (), sessions);
      sessions_text = fq_json_to_string (sessions_node, NULL);
    }

  /* The ticket's members written once, around the flags that depend on the
   * moment: its closing brace gives way to the rest of the answer. */
  text = g_string_sized_new (1024 + strlen (events_text) + strlen (sessions_text));
  /* The flags, with any limit: each answer writes its own. */
  ticket_write_json (text, ticket, 0, now, &flags_at, &flags_end);
  g_string_truncate (text, text->len - 1);
  g_string_append (text, ",\"events\":");
  g_string_append (text, events_text);
  g_string_append (text, ",\"sessions\":");
  g_string_append (text, sessions_text);
  g_string_append (text, ",\"allowed_actions\":[");
  detail->head = g_strndup (text->str, flags_at);
  detail->head_length = flags_at;
  detail->tail_length = text->len - flags_end;
  detail->tail = g_strndup (text->str + flags_end, detail->tail_length);
  g_string_free (text, TRUE);
  return g_steal_pointer (&detail);
}

void
fq_ticket_detail_free (FqTicketDetail *detail)
{
  if (detail == NULL)
    return;
  g_clear_pointer (&detail->ticket, fq_ticket_free);
  g_free (detail->head);
  g_free (detail->tail);
  g_free (detail);
}

char *
fq_ticket_detail_write (const FqTicketDetail *detail,
                        const FqUser         *user,
                        gint64                accept_limit,
                        gint64                now,
                        gsize                *length)
{
  GString *out;

  g_return_val_if_fail (now < detail->sessions_until, NULL);

  /* The ticket's own members, its flags as of @now, then events, sessions
   * and allowed_actions. */
  out = g_string_sized_new (detail->head_length + detail->tail_length + 256);
  g_string_append_len (out, detail->head, detail->head_length);
  ticket_write_flags (out, detail->ticket, accept_limit, now);
  g_string_append_len (out, detail->tail, detail->tail_length);
  if (user != NULL)
    {
      guint allowed = fq_ticket_machine_allowed (detail->ticket->state, user->role,
                                                 fq_ticket_relation (detail->ticket, user));
      gboolean first = TRUE;

      for (guint a = 0; a < FQ_TICKET_N_ACTIONS; a++)
        if (allowed & (1u << a))
          {
            if (!first)
              g_string_append_c (out, ',');
            append_string (out, fq_enum_to_string (FQ_TYPE_TICKET_ACTION, a));
            first = FALSE;
          }
    }
  g_string_append (out, "]}");
  if (length != NULL)
    *length = out->len;
  return g_string_free (out, FALSE);
}

JsonNode *
fq_error_json (FqErrorCode  code,
               const char  *field,
               const char  *message)
{
  JsonObject *root = json_object_new ();
  JsonObject *error = json_object_new ();
  JsonNode *node;

  json_object_set_string_member (error, "code", fq_error_code_to_string (code));
  json_object_set_string_member (error, "message", message);
  if (field != NULL)
    json_object_set_string_member (error, "field", field);
  json_object_set_object_member (root, "error", error);
  node = json_node_init_object (json_node_alloc (), root);
  json_object_unref (root);
  return node;
}

JsonArray *
fq_actions_to_json (guint mask)
{
  JsonArray *array = json_array_new ();

  for (guint a = 0; a < FQ_TICKET_N_ACTIONS; a++)
    if (mask & (1u << a))
      json_array_add_string_element (array, fq_enum_to_string (FQ_TYPE_TICKET_ACTION, a));
  return array;
}

/* ---- list helpers ---- */

void
fq_sql_like_pattern (GString    *out,
                     const char *text)
{
  g_string_append_c (out, '%');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '%');
}

gboolean
fq_query_enum (FqRequest   *request,
               const char  *name,
               GType        type,
               int         *out,
               GError     **error)
{
  const char *text = fq_request_get_query (request, name);

  *out = -1;
  if (text == NULL || *text == '\0')
    return TRUE;
  if (!fq_enum_from_string (type, text, out))
    {
      fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, name, "unknown value “%s”", text);
      return FALSE;
    }
  return TRUE;
}

gboolean
fq_narrow_grid_range (const char *scope_prefix,
                      const char *filter_prefix)
{
  gsize len = scope_prefix != NULL ? strlen (scope_prefix) : 0;

  if (filter_prefix != NULL)
    len = MAX (len, strlen (filter_prefix));
  /* 12 digits: a community or a grid cell. */
  return len >= 12;
}

gboolean
fq_query_grid_prefix (FqRequest   *request,
                      FqRefData   *ref,
                      char       **prefix,
                      GError     **error)
{
  const char *code = fq_request_get_query (request, "grid");
  const FqGridNodeInfo *node;

  *prefix = NULL;
  if (code == NULL || *code == '\0')
    return TRUE;
  node = fq_refdata_get_node (ref, code);
  if (node == NULL)
    {
      fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, "grid", "unknown division code");
      return FALSE;
    }
  *prefix = g_strdup (node->prefix);
  return TRUE;
}
