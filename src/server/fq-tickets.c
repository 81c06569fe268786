/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * /tickets: lists, one ticket with its timeline, and the actions of the
 * ticket state machine (fq-ticket-machine.h). Also the SLA watch, which
 * records each breach once as an sla_breached event, keeps the `overdue`
 * column that list filters use and, when configured
 * (--auto-escalate-hours), escalates a ticket overdue for that long.
 */

#include "config.h"

#include <string.h>

#include "fq-enum-types.h"
#include "fq-sla.h"
#include "fq-ticket-machine.h"

#include "fq-entities.h"
#include "fq-server-private.h"
#include "fq-sessions.h"
#include "fq-ticket-cache.h"

#define SLA_WATCH_INTERVAL_SECONDS 60
/* One watch job touches at most this many tickets, so that it never holds
 * the writer long; the rest wait for the next round. */
#define SLA_WATCH_BATCH            500
#define MAX_ASSIST_UNITS           20

/* Out of scope answers exactly as missing does. */
static void
set_not_found (GError     **error,
               const char  *id)
{
  g_set_error (error, FQ_ERROR, FQ_ERROR_NOT_FOUND, "ticket %s not found", id);
}

static FqTicket *
load_visible_ticket (FqJob       *job,
                     FqDb        *db,
                     const char  *id,
                     GError     **error)
{
  g_autoptr(FqTicket) ticket = NULL;
  GError *local_error = NULL;

  ticket = fq_ticket_load (db, id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (ticket == NULL || !fq_ticket_visible (fq_job_get_user (job), ticket))
    {
      set_not_found (error, id);
      return NULL;
    }
  return g_steal_pointer (&ticket);
}

/* ---- GET /tickets ---- */

/* Whether @incident_id is one of the incidents of ticket @ticket_id (a
 * search by incident id finds its ticket). */
static gboolean
ticket_has_incident (FqDb       *db,
                     const char *ticket_id,
                     const char *incident_id)
{
  sqlite3_stmt *stmt = fq_db_prepare (db, "SELECT 1 FROM incidents WHERE id = ? AND ticket = ?", NULL);
  gboolean found;

  if (stmt == NULL)
    return FALSE;
  fq_bind_text (stmt, 1, incident_id);
  fq_bind_text (stmt, 2, ticket_id);
  found = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_reset (stmt);
  return found;
}

static gboolean
list_job (FqJob     *job,
          gpointer   user_data,
          GError   **error)
{
  FqRequest *request = fq_job_get_request (job);
  const FqUser *user = fq_job_get_user (job);
  FqRefData *ref = fq_job_get_refdata (job);
  sqlite3 *handle = fq_job_get_db (job);
  g_autoptr(FqDb) db = fq_db_new_for_job (job);
  g_autoptr(GString) sql = g_string_new ("SELECT " FQ_TICKET_COLUMNS " FROM tickets WHERE ");
  g_autoptr(GPtrArray) binds = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func ((GDestroyNotify)fq_ticket_free);
  g_autofree char *grid_prefix = NULL;
  g_autofree char *cursor_id = NULL;
  const char *grid_column;
  const char *cursor = fq_request_get_query (request, "cursor");
  const char *category = fq_request_get_query (request, "category");
  const char *unit = fq_request_get_query (request, "unit");
  const char *overdue = fq_request_get_query (request, "overdue");
  const char *q = fq_request_get_query (request, "q");
  gint64 accept_limit = fq_job_get_accept_limit (job);
  gint64 now = fq_job_now (job);
  int state = -1, tier = -1;
  gint64 from = 0, to = 0, cursor_key = 0;
  guint limit = 100;
  sqlite3_stmt *stmt = NULL;
  gboolean more = FALSE;
  gboolean recheck = FALSE;
  g_autoptr(GString) text = NULL;
  int rc;

  if (!fq_query_enum (request, "state", FQ_TYPE_TICKET_STATE, &state, error) ||
      !fq_query_enum (request, "tier", FQ_TYPE_TIER, &tier, error) ||
      !fq_query_grid_prefix (request, ref, &grid_prefix, error) ||
      !fq_request_get_time_param (request, "from", &from, error) ||
      !fq_request_get_time_param (request, "to", &to, error) ||
      !fq_request_get_limit (request, &limit, error))
    return FALSE;
  if (cursor != NULL && !fq_cursor_decode (cursor, &cursor_key, &cursor_id, error))
    return FALSE;
  if (overdue != NULL && g_strcmp0 (overdue, "true") != 0 && g_strcmp0 (overdue, "false") != 0 &&
      g_strcmp0 (overdue, "1") != 0 && g_strcmp0 (overdue, "0") != 0)
    {
      fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, "overdue", "must be true or false");
      return FALSE;
    }

  /* See the incidents' list for the unary +. */
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
  /* Unit staff see the tickets of their unit, lead or assisting, and those
   * of the convening sessions it was called to (fq-sessions.c). */
  if (user->role == FQ_ROLE_UNIT)
    {
      g_string_append (sql, " AND (id IN (SELECT ticket FROM ticket_units WHERE unit = ?)"
                            " OR id IN (" FQ_SESSIONS_TICKETS_OF_UNIT_SQL "))");
      g_ptr_array_add (binds, g_strdup (user->unit != NULL ? user->unit : ""));
      g_ptr_array_add (binds, g_strdup (user->unit != NULL ? user->unit : ""));
      g_ptr_array_add (binds, g_strdup (user->unit != NULL ? user->unit : ""));
    }
  if (unit != NULL && *unit != '\0')
    {
      g_string_append (sql, " AND id IN (SELECT ticket FROM ticket_units WHERE unit = ?)");
      g_ptr_array_add (binds, g_strdup (unit));
    }
  if (state >= 0)
    g_string_append_printf (sql, " AND state = '%s'",
                            fq_enum_to_string (FQ_TYPE_TICKET_STATE, state));
  if (tier >= 0)
    g_string_append_printf (sql, " AND tier = '%s'", fq_enum_to_string (FQ_TYPE_TIER, tier));
  if (category != NULL && *category != '\0')
    {
      g_string_append (sql, " AND category = ?");
      g_ptr_array_add (binds, g_strdup (category));
    }
  if (overdue != NULL)
    g_string_append_printf (sql, " AND overdue = %d",
                            g_strcmp0 (overdue, "true") == 0 || g_strcmp0 (overdue, "1") == 0);
  if (q != NULL && *q != '\0')
    {
      g_autoptr(GString) pattern = g_string_new (NULL);

      /* As for incidents: a role that may not read phone numbers does
       * not find a ticket by a number in its title (checked below). */
      recheck = !fq_user_sees_phones (fq_job_get_user (job));
      fq_sql_like_pattern (pattern, q);
      g_string_append (sql, " AND (title LIKE ? ESCAPE '\\' OR id = ?"
                            " OR id IN (SELECT ticket FROM incidents WHERE id = ?))");
      g_ptr_array_add (binds, g_strdup (pattern->str));
      g_ptr_array_add (binds, g_strdup (q));
      g_ptr_array_add (binds, g_strdup (q));
    }
  if (from > 0)
    g_string_append_printf (sql, " AND created_at >= %" G_GINT64_FORMAT, from);
  if (to > 0)
    g_string_append_printf (sql, " AND created_at < %" G_GINT64_FORMAT, to);
  if (cursor_id != NULL)
    {
      g_string_append_printf (sql, " AND (created_at < %" G_GINT64_FORMAT
                                   " OR (created_at = %" G_GINT64_FORMAT " AND id < ?))",
                              cursor_key, cursor_key);
      g_ptr_array_add (binds, g_strdup (cursor_id));
    }
  g_string_append (sql, " ORDER BY created_at DESC, id DESC");
  /* A recheck drops rows: the loop counts what it keeps. */
  if (!recheck)
    g_string_append_printf (sql, " LIMIT %u", limit + 1);

  rc = sqlite3_prepare_v2 (handle, sql->str, -1, &stmt, NULL);
  if (!fq_sqlite_check (handle, rc, error))
    return FALSE;
  for (guint i = 0; i < binds->len; i++)
    fq_bind_text (stmt, i + 1, g_ptr_array_index (binds, i));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(FqTicket) ticket = fq_ticket_from_stmt (stmt);

      if (recheck && g_strcmp0 (ticket->id, q) != 0 &&
          !fq_privacy_masked_text_matches (ticket->title, q) &&
          !ticket_has_incident (db, ticket->id, q))
        continue;
      if (tickets->len == limit)
        {
          more = TRUE;
          break;
        }
      g_ptr_array_add (tickets, g_steal_pointer (&ticket));
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return fq_sqlite_check (handle, rc, error);

  /* Written as text, row after row: building a tree of the page, then
   * writing it out, took three quarters of its CPU. */
  text = g_string_sized_new (64 + tickets->len * 768);
  g_string_append (text, "{\"tickets\":[");
  for (guint i = 0; i < tickets->len; i++)
    {
      FqTicket *ticket = g_ptr_array_index (tickets, i);

      if (!fq_ticket_load_relations (db, ticket, error))
        return FALSE;
      if (i > 0)
        g_string_append_c (text, ',');
      fq_ticket_write_json (text, ticket, accept_limit, now);
    }
  g_string_append (text, "],\"next_cursor\":");
  if (more && tickets->len > 0)
    {
      FqTicket *last = g_ptr_array_index (tickets, tickets->len - 1);
      g_autofree char *next = fq_cursor_encode (last->created_at, last->id);

      fq_json_append_string (text, next);
    }
  else
    g_string_append (text, "null");
  g_string_append_c (text, '}');

  fq_job_respond_json_text (job, SOUP_STATUS_OK, g_string_free (g_steal_pointer (&text), FALSE));
  return TRUE;
}

static void
tickets_list (FqRequest *request)
{
  fq_request_run (request, FQ_JOB_READ, list_job, NULL, NULL);
}

/* ---- GET /tickets/{id} ----
 *
 * Answered from the details kept in memory when the ticket was read lately
 * and nothing has been written since (fq-ticket-cache.h). Otherwise one
 * read on a reader: the requests for the same ticket that come while it
 * runs wait for it, and are answered from its detail, which is then kept. */

typedef struct
{
  guint64         generation;  /* the cache's, when the read was queued */
  char           *id;
  FqTicketDetail *detail;      /* read: for the waiting requests, then the cache */
  GPtrArray      *waiting;     /* FqRequest, paused: asked for the ticket meanwhile */
} GetData;

static void tickets_get_read (FqRequest *request);

static void
get_data_free (gpointer data)
{
  GetData *get = data;

  g_free (get->id);
  fq_ticket_detail_free (get->detail);
  g_ptr_array_unref (get->waiting);
  g_free (get);
}

/* Answers @request from @detail, for its own user, at @now. */
static void
respond_detail (FqRequest            *request,
                const FqTicketDetail *detail,
                gint64                now)
{
  FqServer *server = fq_request_get_server (request);
  const FqUser *user = fq_request_get_user (request);
  char *text;
  gsize length;

  if (!fq_ticket_visible (user, detail->ticket))
    {
      g_autoptr(GError) error = NULL;

      set_not_found (&error, detail->ticket->id);
      fq_request_respond_error (request, error);
      return;
    }
  text = fq_ticket_detail_write (detail, user, fq_server_get_accept_limit (server), now,
                                 &length);
  fq_request_respond_json_text (request, SOUP_STATUS_OK, text, length);
}

static gboolean
get_job (FqJob     *job,
         gpointer   user_data,
         GError   **error)
{
  GetData *get = user_data;
  g_autoptr(FqDb) db = fq_db_new_for_job (job);
  GError *local_error = NULL;
  FqTicket *ticket;

  ticket = fq_ticket_load (db, get->id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (ticket == NULL)
    {
      set_not_found (error, get->id);
      return FALSE;
    }
  /* Read whoever asked: the detail may answer the requests waiting, and
   * later ones, each for its own user. Written as text: a tree of the
   * ticket and its timeline cost more than the queries behind it. */
  get->detail = fq_ticket_detail_read (db, ticket, fq_job_now (job), error);
  if (get->detail == NULL)
    return FALSE;
  if (!fq_ticket_visible (fq_job_get_user (job), get->detail->ticket))
    {
      set_not_found (error, get->id);
      return FALSE;
    }
  fq_job_respond_json_text (job, SOUP_STATUS_OK,
                            fq_ticket_detail_write (get->detail, fq_job_get_user (job),
                                                    fq_job_get_accept_limit (job), fq_job_now (job),
                                                    NULL));
  return TRUE;
}

/* Main thread, before the read's own answer goes out. */
static void
get_done (FqJob    *job,
          gpointer  user_data)
{
  GetData *get = user_data;
  FqServer *server = fq_job_get_server (job);
  FqTicketCache *cache = fq_server_get_ticket_cache (server);
  gint64 now = fq_server_now (server);

  fq_ticket_cache_unset_reading (cache, get->id, get);
  for (guint i = 0; i < get->waiting->len; i++)
    {
      FqRequest *request = g_ptr_array_index (get->waiting, i);

      /* Without a detail (the read failed, the ticket is missing) or past
       * it, each request reads for itself. */
      if (get->detail != NULL && now < get->detail->sessions_until)
        respond_detail (request, get->detail, now);
      else
        tickets_get_read (request);
    }
  if (get->detail != NULL)
    fq_ticket_cache_insert (cache, get->generation, g_steal_pointer (&get->detail));
}

/* Waits for the read of the ticket under way, or starts one. */
static void
tickets_get_read (FqRequest *request)
{
  FqTicketCache *cache = fq_server_get_ticket_cache (fq_request_get_server (request));
  const char *id = fq_request_get_segment (request, 1);
  GetData *get = fq_ticket_cache_get_reading (cache, id);

  if (get != NULL)
    {
      fq_request_pause (request);
      g_ptr_array_add (get->waiting, fq_request_ref (request));
      return;
    }

  get = g_new0 (GetData, 1);
  get->generation = fq_ticket_cache_get_generation (cache);
  get->id = g_strdup (id);
  get->waiting = g_ptr_array_new_with_free_func ((GDestroyNotify)fq_request_unref);
  fq_ticket_cache_set_reading (cache, id, get);
  fq_request_run_full (request, FQ_JOB_READ, get_job, get, get_data_free, get_done, get);
}

static void
tickets_get (FqRequest *request)
{
  FqServer *server = fq_request_get_server (request);
  gint64 now = fq_server_now (server);
  const FqTicketDetail *detail;

  detail = fq_ticket_cache_lookup (fq_server_get_ticket_cache (server), fq_request_get_segment (request, 1), now);
  if (detail != NULL)
    respond_detail (request, detail, now);
  else
    tickets_get_read (request);
}

/* ---- POST /tickets/{id}/actions ---- */

typedef struct
{
  char   *note;
  int     reason;
  char   *unit;
  GStrv   units;
  gint64  satisfaction;
  int     tier;
} ActionFields;

static void
action_fields_clear (ActionFields *fields)
{
  g_free (fields->note);
  g_free (fields->unit);
  g_strfreev (fields->units);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ActionFields, action_fields_clear)

static gboolean
check_unit (FqRefData   *ref,
            const char  *field,
            const char  *id,
            GError     **error)
{
  if (fq_refdata_get_unit (ref, id) == NULL)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "unknown unit “%s”", id);
      return FALSE;
    }
  return TRUE;
}

/* Reads the fields the machine table names for this action: the required
 * ones must be there, the optional ones may; anything else is ignored. */
static gboolean
parse_fields (JsonObject                *body,
              FqRefData                 *ref,
              const FqTicketTransition  *row,
              ActionFields              *fields,
              GError                   **error)
{
  guint wanted = row->required | row->optional;
  gboolean present = FALSE;

  fields->reason = -1;
  fields->tier = -1;

  if (wanted & FQ_ACTION_FIELD_NOTE)
    {
      if (!fq_json_get_string (body, "note", (row->required & FQ_ACTION_FIELD_NOTE) != 0, 2000,
                               &fields->note, error))
        return FALSE;
      if (fields->note != NULL)
        g_strstrip (fields->note);
      if ((row->required & FQ_ACTION_FIELD_NOTE) && (fields->note == NULL || *fields->note == '\0'))
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "note", "must not be empty");
          return FALSE;
        }
    }
  if ((wanted & FQ_ACTION_FIELD_REASON) &&
      !fq_json_get_enum (body, "reason", (row->required & FQ_ACTION_FIELD_REASON) != 0,
                         FQ_TYPE_RETURN_REASON, &fields->reason, NULL, error))
    return FALSE;
  if (wanted & FQ_ACTION_FIELD_UNIT)
    {
      if (!fq_json_get_string (body, "unit", (row->required & FQ_ACTION_FIELD_UNIT) != 0, 64,
                               &fields->unit, error))
        return FALSE;
      if (fields->unit != NULL && !check_unit (ref, "unit", fields->unit, error))
        return FALSE;
    }
  if (wanted & FQ_ACTION_FIELD_UNITS)
    {
      if (!fq_json_get_string_array (body, "units", (row->required & FQ_ACTION_FIELD_UNITS) != 0,
                                     MAX_ASSIST_UNITS, 64, &fields->units, error))
        return FALSE;
      if ((row->required & FQ_ACTION_FIELD_UNITS) &&
          (fields->units == NULL || fields->units[0] == NULL))
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "units",
                              "must name at least one unit");
          return FALSE;
        }
      for (guint i = 0; fields->units != NULL && fields->units[i] != NULL; i++)
        if (!check_unit (ref, "units", fields->units[i], error))
          return FALSE;
    }
  if ((wanted & FQ_ACTION_FIELD_SATISFACTION) &&
      !fq_json_get_int (body, "satisfaction", (row->required & FQ_ACTION_FIELD_SATISFACTION) != 0,
                        1, 5, &fields->satisfaction, &present, error))
    return FALSE;
  if ((wanted & FQ_ACTION_FIELD_TIER) &&
      !fq_json_get_enum (body, "tier", (row->required & FQ_ACTION_FIELD_TIER) != 0,
                         FQ_TYPE_TIER, &fields->tier, NULL, error))
    return FALSE;

  return TRUE;
}

static JsonNode *
new_data (void)
{
  g_autoptr(JsonObject) object = json_object_new ();

  /* The node takes its own reference. */
  return json_node_init_object (json_node_alloc (), object);
}

static void
set_lead_unit (FqTicket   *ticket,
               const char *unit)
{
  g_free (ticket->lead_unit);
  ticket->lead_unit = g_strdup (unit);
  /* A unit is either the lead or assisting, never both. */
  for (guint i = ticket->assisting_units->len; i > 0; i--)
    if (g_strcmp0 (g_ptr_array_index (ticket->assisting_units, i - 1), unit) == 0)
      g_ptr_array_remove_index (ticket->assisting_units, i - 1);
}

static void
restart_clock (FqTicket             *ticket,
               const FqCategoryInfo *category,
               gint64                now)
{
  ticket->dispatched_at = now;
  ticket->accepted_at = 0;
  if (category != NULL)
    ticket->deadline = fq_sla_deadline (now, category->deadline_hours);
  ticket->sla_recorded = 0;
}

/* The incidents of a ticket are visible to its units: when the units change,
 * their changes go out again so that the new units' consoles receive them. */
static gboolean
republish_incidents (FqJob     *job,
                     FqDb      *db,
                     FqTicket  *ticket,
                     GError   **error)
{
  for (guint i = 0; i < ticket->incidents->len; i++)
    {
      g_autoptr(FqIncident) incident = NULL;
      GError *local_error = NULL;

      incident = fq_incident_load (db, g_ptr_array_index (ticket->incidents, i), &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      if (incident != NULL && !fq_incident_save (job, db, incident, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
fq_ticket_apply_action (FqJob         *job,
                        FqDb          *db,
                        const FqUser  *user,
                        FqTicket      *ticket,
                        JsonObject  *body,
                        guint       *allowed_out,
                        GError     **error)
{
  FqRefData *ref = fq_job_get_refdata (job);
  const FqCategoryInfo *category = fq_refdata_get_category (ref, ticket->category);
  gint64 now = fq_job_now (job);
  gint64 accept_limit = fq_job_get_accept_limit (job);
  g_auto(ActionFields) fields = { 0, };
  const FqTicketTransition *row;
  g_autoptr(FqEvent) event = NULL;
  g_autofree char *event_unit = NULL;
  JsonNode *data = new_data ();
  JsonObject *data_object = json_node_get_object (data);
  FqRole role = user != NULL ? user->role : FQ_ROLE_ADMIN;
  guint relation = fq_ticket_relation (ticket, user);
  gboolean units_changed = FALSE;
  FqEventKind kind;
  int action = 0;
  gint64 rev = 0;

  *allowed_out = 0;

  if (!fq_json_get_enum (body, "action", TRUE, FQ_TYPE_TICKET_ACTION, &action, NULL, error) ||
      !fq_json_get_int (body, "rev", TRUE, 0, G_MAXINT64, &rev, NULL, error))
    goto fail;
  if (rev != ticket->rev)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_STALE_REV,
                   "ticket %s is at rev %" G_GINT64_FORMAT ", not %" G_GINT64_FORMAT,
                   ticket->id, ticket->rev, rev);
      goto fail;
    }
  if (!fq_ticket_machine_check (ticket->state, action, role, relation, error))
    {
      *allowed_out = fq_ticket_machine_allowed (ticket->state, role, relation);
      goto fail;
    }
  row = fq_ticket_machine_lookup (ticket->state, action);
  g_assert (row != NULL);
  if (!parse_fields (body, ref, row, &fields, error))
    goto fail;

  /* Breaches that ran out before this action are recorded first, at the
   * moment they happened. */
  if (!fq_ticket_record_breaches (job, db, ticket, accept_limit, now, error))
    goto fail;

  kind = row->event;
  event_unit = g_strdup (user != NULL ? user->unit : NULL);

  switch ((FqTicketAction)action)
    {
    case FQ_TICKET_ACTION_ACCEPT:
      ticket->accepted_at = now;
      break;

    case FQ_TICKET_ACTION_RETURN:
      ticket->returned_count++;
      if (fields.reason >= 0)
        json_object_set_string_member (data_object, "reason",
                                       fq_enum_to_string (FQ_TYPE_RETURN_REASON, fields.reason));
      break;

    case FQ_TICKET_ACTION_REDISPATCH:
      {
        const char *to = fields.unit != NULL ? fields.unit : ticket->lead_unit;

        json_object_set_string_member (data_object, "from", ticket->lead_unit);
        json_object_set_string_member (data_object, "to", to);
        units_changed = g_strcmp0 (to, ticket->lead_unit) != 0;
        set_lead_unit (ticket, to);
        restart_clock (ticket, category, now);
        if (user == NULL || user->unit == NULL)
          {
            g_free (event_unit);
            event_unit = g_strdup (to);
          }
      }
      break;

    case FQ_TICKET_ACTION_PROGRESS:
    case FQ_TICKET_ACTION_COMMENT:
      break;

    case FQ_TICKET_ACTION_RESOLVE:
      ticket->resolved_at = now;
      break;

    case FQ_TICKET_ACTION_REJECT_RESOLUTION:
      ticket->resolved_at = 0;
      ticket->rejected_count++;
      break;

    case FQ_TICKET_ACTION_CLOSE:
      ticket->closed_at = now;
      if (fields.satisfaction > 0)
        {
          ticket->satisfaction = fields.satisfaction;
          json_object_set_int_member (data_object, "satisfaction", fields.satisfaction);
        }
      break;

    case FQ_TICKET_ACTION_REOPEN:
      ticket->reopened_count++;
      ticket->resolved_at = 0;
      ticket->closed_at = 0;
      ticket->satisfaction = 0;
      /* A reopened matter gets the category's time again. */
      if (category != NULL)
        ticket->deadline = fq_sla_deadline (now, category->deadline_hours);
      ticket->sla_recorded &= ~FQ_SLA_RESOLVE_LATE;
      break;

    case FQ_TICKET_ACTION_ESCALATE:
      {
        FqTier next;

        if (fields.tier >= 0)
          {
            if ((FqTier)fields.tier <= ticket->tier)
              {
                fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "tier",
                                    "must be above the current tier (%s)",
                                    fq_enum_to_string (FQ_TYPE_TIER, ticket->tier));
                goto fail;
              }
            next = fields.tier;
          }
        else if (!fq_tier_next (ticket->tier, &next))
          {
            fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "tier",
                                "a city ticket cannot be escalated further");
            goto fail;
          }
        json_object_set_string_member (data_object, "from_tier",
                                       fq_enum_to_string (FQ_TYPE_TIER, ticket->tier));
        json_object_set_string_member (data_object, "to_tier",
                                       fq_enum_to_string (FQ_TYPE_TIER, next));
        ticket->tier = next;
        ticket->escalated_count++;
        if (fields.unit != NULL)
          {
            json_object_set_string_member (data_object, "from", ticket->lead_unit);
            json_object_set_string_member (data_object, "to", fields.unit);
            units_changed = g_strcmp0 (fields.unit, ticket->lead_unit) != 0;
            set_lead_unit (ticket, fields.unit);
            /* A new lead unit has to accept the matter itself. */
            restart_clock (ticket, category, now);
            ticket->state = FQ_TICKET_STATE_DISPATCHED;
            ticket->resolved_at = 0;
            if (user == NULL || user->unit == NULL)
              {
                g_free (event_unit);
                event_unit = g_strdup (fields.unit);
              }
          }
      }
      break;

    case FQ_TICKET_ACTION_ASSIST:
      {
        JsonArray *added = json_array_new ();

        for (guint i = 0; fields.units != NULL && fields.units[i] != NULL; i++)
          {
            if (fq_ticket_has_unit (ticket, fields.units[i]))
              continue;
            g_ptr_array_add (ticket->assisting_units, g_strdup (fields.units[i]));
            json_array_add_string_element (added, fields.units[i]);
            units_changed = TRUE;
          }
        json_object_set_array_member (data_object, "units", added);
      }
      break;

    default:
      g_assert_not_reached ();
    }

  if (row->to != FQ_TICKET_STATE_SAME &&
      !(action == FQ_TICKET_ACTION_ESCALATE && fields.unit != NULL))
    ticket->state = row->to;
  ticket->updated_at = now;
  ticket->rev++;

  /* The event goes out with the ticket's new units, so that a unit newly
   * assisting receives the event that made it so. */
  event = fq_ticket_add_event (job, db, ticket, now, kind, user != NULL ? user->username : NULL,
                               user != NULL ? user->display_name : NULL, event_unit, fields.note,
                               g_steal_pointer (&data), error);
  if (event == NULL)
    goto fail;
  if (!fq_ticket_save (job, db, ticket, accept_limit, now, error))
    goto fail;
  if (units_changed && !republish_incidents (job, db, ticket, error))
    goto fail;

  fq_job_set_audit (job, "ticket", ticket->id, fq_enum_to_string (FQ_TYPE_TICKET_ACTION, action));
  return TRUE;

fail:
  g_clear_pointer (&data, json_node_unref);
  return FALSE;
}

static gboolean
action_job (FqJob     *job,
            gpointer   user_data,
            GError   **error)
{
  g_autoptr(FqDb) db = fq_db_new_for_job (job);
  FqRequest *request = fq_job_get_request (job);
  const char *id = fq_request_get_segment (request, 1);
  g_autoptr(FqTicket) ticket = load_visible_ticket (job, db, id, error);
  g_autoptr(FqTicketDetail) detail = NULL;
  GError *local_error = NULL;
  guint allowed = 0;
  JsonNode *node;

  if (ticket == NULL)
    return FALSE;

  if (!fq_ticket_apply_action (job, db, fq_job_get_user (job), ticket,
                               fq_request_get_body (request), &allowed,
                               &local_error))
    {
      if (g_error_matches (local_error, FQ_ERROR, FQ_ERROR_INVALID_TRANSITION))
        {
          /* The error object carries `allowed`, which an FqError cannot:
           * answer it here. Nothing was written, so the job may commit. */
          g_autofree char *field = fq_error_get_field (local_error);

          node = fq_error_json (FQ_ERROR_INVALID_TRANSITION, field, local_error->message);
          json_object_set_array_member (json_object_get_object_member (json_node_get_object (node),
                                                                       "error"),
                                        "allowed", fq_actions_to_json (allowed));
          g_error_free (local_error);
          fq_job_respond (job, SOUP_STATUS_CONFLICT, node);
          return TRUE;
        }
      g_propagate_error (error, local_error);
      return FALSE;
    }

  /* The ticket with its timeline, as GET /tickets/{id} gives it. */
  detail = fq_ticket_detail_read (db, g_steal_pointer (&ticket), fq_job_now (job), error);
  if (detail == NULL)
    return FALSE;
  fq_job_respond_json_text (job, SOUP_STATUS_OK,
                            fq_ticket_detail_write (detail, fq_job_get_user (job),
                                                    fq_job_get_accept_limit (job), fq_job_now (job),
                                                    NULL));
  return TRUE;
}

static void
tickets_action (FqRequest *request)
{
  /* Leaders only read; the machine table decides everything else. */
  if (!fq_request_require_role (request, FQ_ROLE_BIT (FQ_ROLE_OPERATOR) |
                                         FQ_ROLE_BIT (FQ_ROLE_COORDINATOR) |
                                         FQ_ROLE_BIT (FQ_ROLE_UNIT) |
                                         FQ_ROLE_BIT (FQ_ROLE_GRID_WORKER) |
                                         FQ_ROLE_BIT (FQ_ROLE_ADMIN)))
    return;
  fq_request_run (request, FQ_JOB_WRITE, action_job, NULL, NULL);
}

/* ---- the SLA watch ---- */

/* A bit of the sla_recorded column beside the FqSlaBreach bits: the ticket
 * has been escalated automatically during its current overdue spell, so
 * that the watch escalates it once per spell and not once per round. The
 * watch clears it when the ticket is no longer overdue. */
#define SLA_AUTO_ESCALATED (1 << 2)

static gint64
auto_escalate_of (FqJob *job)
{
  return fq_server_get_config (fq_job_get_server (job))->auto_escalate_seconds;
}

/* When the breaches in force began: the earliest limit that ran out. */
static gint64
overdue_since (const FqTicket *ticket,
               guint           breaches,
               gint64          accept_limit)
{
  gint64 since = G_MAXINT64;

  if ((breaches & FQ_SLA_ACCEPT_LATE) && ticket->dispatched_at > 0)
    since = MIN (since, ticket->dispatched_at + accept_limit);
  if ((breaches & FQ_SLA_RESOLVE_LATE) && ticket->deadline > 0)
    since = MIN (since, ticket->deadline);
  return since;
}

/* Raises the tier of a ticket overdue for longer than the configured time,
 * keeping its lead unit and state: the next tier's coordinators now see it
 * among their escalated matters. The event has no actor (the server did
 * it) and says so in its data (`auto`). */
static gboolean
auto_escalate (FqJob      *job,
               FqDb       *db,
               FqTicket   *ticket,
               gint64      since,
               gint64      now,
               GError    **error)
{
  g_autoptr(FqEvent) event = NULL;
  JsonObject *data;
  FqTier next;

  if (!fq_tier_next (ticket->tier, &next))
    return TRUE;

  data = json_object_new ();
  json_object_set_string_member (data, "from_tier", fq_enum_to_string (FQ_TYPE_TIER, ticket->tier));
  json_object_set_string_member (data, "to_tier", fq_enum_to_string (FQ_TYPE_TIER, next));
  json_object_set_boolean_member (data, "auto", TRUE);
  json_object_set_int_member (data, "overdue_seconds", now - since);
  ticket->tier = next;
  ticket->escalated_count++;
  ticket->sla_recorded |= SLA_AUTO_ESCALATED;
  event = fq_ticket_add_event (job, db, ticket, now, FQ_EVENT_KIND_ESCALATED, NULL, NULL,
                               ticket->lead_unit, NULL,
                               json_node_init_object (json_node_alloc (), data), error);
  json_object_unref (data);
  return event != NULL;
}

static gboolean
sla_watch_job (FqJob     *job,
               gpointer   user_data,
               GError   **error)
{
  /* ?1 dispatched before this is late to accept; ?2 now; ?3 the batch;
   * ?4 whether automatic escalation is on; ?5 and ?6 the same limits moved
   * back by the escalation time. */
  static const char sql[]
      = "SELECT id FROM tickets WHERE state IN ('dispatched', 'accepted', 'returned') AND ("
        " (sla_recorded & 1 = 0 AND accepted_at IS NULL AND dispatched_at <= ?1)"
        " OR (sla_recorded & 2 = 0 AND deadline <= ?2)"
        " OR overdue = 0 AND (deadline <= ?2 OR (accepted_at IS NULL AND dispatched_at <= ?1))"
        " OR (?4 AND sla_recorded & 4 = 0 AND tier <> 'city'"
        "     AND (deadline <= ?5 OR (accepted_at IS NULL AND dispatched_at <= ?6))))"
        " UNION SELECT id FROM tickets WHERE overdue = 1 AND state NOT IN ('dispatched', "
        "'accepted', 'returned')"
        " UNION SELECT id FROM tickets WHERE sla_recorded & 4 <> 0 AND overdue = 0"
        " LIMIT ?3";
  g_autoptr(FqDb) db = fq_db_new_for_job (job);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  gint64 accept_limit = fq_job_get_accept_limit (job);
  gint64 auto_escalate_after = auto_escalate_of (job);
  gint64 now = fq_job_now (job);
  sqlite3_stmt *stmt = fq_db_prepare (db, sql, error);
  guint changed = 0;
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now - accept_limit);
  sqlite3_bind_int64 (stmt, 2, now);
  sqlite3_bind_int (stmt, 3, SLA_WATCH_BATCH);
  sqlite3_bind_int (stmt, 4, auto_escalate_after > 0);
  sqlite3_bind_int64 (stmt, 5, now - auto_escalate_after);
  sqlite3_bind_int64 (stmt, 6, now - accept_limit - auto_escalate_after);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ids, g_strdup ((const char *)sqlite3_column_text (stmt, 0)));
  sqlite3_reset (stmt);
  if (!fq_sqlite_check (fq_job_get_db (job), rc, error))
    return FALSE;

  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(FqTicket) ticket = NULL;
      GError *local_error = NULL;
      guint recorded;
      guint breaches;
      gboolean overdue;
      FqTier tier;

      ticket = fq_ticket_load (db, g_ptr_array_index (ids, i), &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      if (ticket == NULL)
        continue;

      recorded = ticket->sla_recorded;
      overdue = ticket->overdue;
      tier = ticket->tier;
      if (!fq_ticket_record_breaches (job, db, ticket, accept_limit, now, error))
        return FALSE;

      breaches = fq_ticket_breaches (ticket, accept_limit, now);
      if (!fq_sla_is_overdue (ticket->state, breaches))
        ticket->sla_recorded &= ~SLA_AUTO_ESCALATED;
      else if (auto_escalate_after > 0 && !(ticket->sla_recorded & SLA_AUTO_ESCALATED))
        {
          gint64 since = overdue_since (ticket, breaches, accept_limit);

          if (since != G_MAXINT64 && now - since >= auto_escalate_after
              && !auto_escalate (job, db, ticket, since, now, error))
            return FALSE;
        }

      if (recorded == ticket->sla_recorded && tier == ticket->tier
          && overdue == fq_sla_is_overdue (ticket->state, breaches))
        continue;

      ticket->updated_at = now;
      ticket->rev++;
      if (!fq_ticket_save (job, db, ticket, accept_limit, now, error))
        return FALSE;
      changed++;
    }

  /* Only a watch that changed something leaves an audit row. */
  if (changed > 0)
    {
      fq_job_set_audit (job, "ticket", NULL, "sla watch");
      fq_job_respond (job, SOUP_STATUS_OK, NULL);
    }
  return TRUE;
}

static gboolean
sla_watch_cb (gpointer user_data)
{
  FqServer *server = fq_server_get_default ();

  if (server != NULL)
    fq_server_submit_write (server, NULL, sla_watch_job, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

void
fq_tickets_register (FqServer *server)
{
  g_autoptr(GSource) source = NULL;
  g_autoptr(GMainContext) context = NULL;
  guint interval;

  fq_server_add_route (server, "GET", "/tickets", FQ_ROUTE_DEFAULT, tickets_list);
  fq_server_add_route (server, "GET", "/tickets/*", FQ_ROUTE_DEFAULT, tickets_get);
  fq_server_add_route (server, "POST", "/tickets/*/actions", FQ_ROUTE_BODY, tickets_action);

  /* The watch runs on the context the server was set up on, which is the
   * thread-default one of the thread that registers the routes. */
  context = g_main_context_ref_thread_default ();
  interval = fq_server_get_config (server)->sla_interval_seconds;
  source = g_timeout_source_new_seconds (interval > 0 ? interval : SLA_WATCH_INTERVAL_SECONDS);
  g_source_set_callback (source, sla_watch_cb, NULL, NULL);
  g_source_set_name (source, "[fengqiao] SLA watch");
  g_source_attach (source, context);
}
