/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * /metrics: the leaders' summary and the unit assessment (DOMAIN.md
 * "Metrics"), computed from the raw records on a reader thread.
 *
 * Every endpoint takes a period [from, to) (RFC 3339, both required, from
 * before to) and a grid node (default: the caller's scope; a node outside it
 * answers 404 as a missing one does). Leaders, coordinators, operators and
 * administrators may read them; unit staff and grid workers may not (403):
 * the figures aggregate every unit's records in the scope, which those roles
 * do not see one by one.
 *
 * What is counted:
 *  - incidents received in the period whose grid lies in the node's
 *    subtree (their grid now, after triage may have moved them);
 *  - tickets created in the period whose grid lies in the subtree, with
 *    their state now ("of those, closed now").
 * So a figure for a past period can still change while its tickets are
 * being worked on, as the published completion rate did.
 *
 * Definitions beyond DOMAIN.md's table:
 *  - on_time_rate: of the tickets resolved now (resolved or closed, with a
 *    resolution time), those resolved by their deadline (exactly at the
 *    deadline is on time; a ticket without a deadline is on time, as the
 *    SLA rule says). Its two counts are figures of their own,
 *    tickets_resolved and resolved_on_time, so that a rate can say what it
 *    is a rate of (as completion_rate has tickets_closed and
 *    tickets_created).
 *  - backflow_tickets: tickets returned, rejected on resolution or reopened
 *    at least once (each ticket counted once).
 *  - median_hours_to_accept: accepted_at − dispatched_at, the dispatch to
 *    the unit that accepted it (a redispatch restarts the acceptance clock,
 *    as the SLA does); median_hours_to_resolve: resolved_at − created_at,
 *    the matter's whole time from its first dispatch (a ticket is created
 *    by its dispatch). Medians of an even count are the mean of the middle
 *    two; null without any value.
 *  - Ratios are fractions, unrounded; null when the denominator is 0.
 *  - Comparisons: the previous period (环比) is [from, to) shifted back so
 *    that it compares like with like and never overlaps the period:
 *     - a period that starts on the 1st of a month at CST midnight moves
 *       back as many calendar months as it spans: a month to the month
 *       before, this month so far to the same days and hours of last month
 *       (上月同期), a quarter to the quarter before (a day past the end
 *       of a shorter month becomes its last day);
 *     - any other moves back as many whole days as it spans, so that it
 *       holds the same hours of the day: today so far to yesterday until
 *       this hour, a week to the week before.
 *    The same period last year is [from, to) shifted back one calendar
 *    year (同比; 29 February becomes 28 February).
 *    Each change is (current − base) / base, null when the base is 0 or
 *    either value is null.
 *
 * Trend buckets start at local midnight in China Standard Time (UTC+8, the
 * city's working day; no daylight saving time): `day`, `week` (Monday) or
 * `month` (the 1st). The first and last buckets may be cut by the period:
 * a bucket's `start` is its boundary, but only records inside [from, to)
 * are counted, so that buckets add up to the summary's figures. `closed`
 * is, like tickets_closed, the tickets created in the bucket that are
 * closed now.
 *
 * Unit assessment, per unit that leads a ticket of the period or returned
 * one (the tickets' lead unit now; returns come from the timeline, so that
 * they stay with the unit that returned):
 *  - tickets_received: tickets it leads now plus those it returned and no
 *    longer leads; the rates below are over the tickets it leads now;
 *  - accepted_within_limit / acceptance_rate: accepted within the
 *    acceptance limit of its dispatch (--accept-limit-minutes);
 *  - on_time_rate, completion_rate: as in the summary;
 *  - returns: its `returned` events on tickets of the period;
 *  - backflow: tickets it leads that were rejected on resolution or
 *    reopened;
 *  - mean_satisfaction: of the callbacks (1–5) of its closed tickets;
 *  - sessions_invited, sessions_checked_in, sessions_excused: its
 *    invitations to convening sessions scheduled in the period at a place
 *    of the subtree that were held (in progress or concluded; a session
 *    never started or cancelled did not take place), by the status of the
 *    invitation; attendance_rate: checked in / (invited − excused), an
 *    absence the convener excused counting neither way;
 *    mean_checkin_delay_minutes: the mean of its check-ins' minutes after
 *    the scheduled start (0 for on time or early), null without any.
 *    A unit invited to a session gets a row even without tickets.
 *  - score, 0–100: 30% completion rate, 25% on-time rate, 20% acceptance
 *    rate, 15% satisfaction ((mean − 1) / 4) and 10% attendance rate; a
 *    component that is null is left out and the others are re-weighted in
 *    proportion; null when all are. Rows are sorted by score (nulls last),
 *    then tickets received, then unit id.
 *
 * Explain this number: GET /metrics/records?metric=NAME (and optionally
 * category=CODE, group=CODE, or unit=ID for figures of tickets) lists the
 * ids of the records a figure counted, {"entity","ids","count"}: the same
 * range read and the same predicate as the figure (see "what each figure
 * counts"), so that count equals the figure. A ratio lists its numerator's
 * records, a median the tickets it is taken over.
 *
 * Speed: each period is one indexed range read of incidents and one of
 * tickets, restricted to the subtree by `grid IN (the subtree's codes)` so
 * that the (grid, time) indexes serve both the place and the period; every
 * record's grid is a known node, since intake and triage check it. The
 * rows are folded in C in one pass. A covering index on incidents (grid,
 * received_at, source, decision, category, repeat_of) keeps a city-wide
 * year well inside the 200 ms target.
 */

#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fq-enum-types.h"
#include "fq-sla.h"

#include "fq-entities.h"
#include "fq-server-private.h"

#define MAX_TREND_BUCKETS 1000

/* The score's weights (see above). */
#define WEIGHT_COMPLETION   0.30
#define WEIGHT_ON_TIME      0.25
#define WEIGHT_ACCEPTANCE   0.20
#define WEIGHT_SATISFACTION 0.15
#define WEIGHT_ATTENDANCE   0.10

#define N_SOURCES (FQ_SOURCE_OPEN311 + 1)

/* The records a period counts, one definition per record kind: every
 * statement below that reads incidents or tickets uses these, so that a
 * figure and the list of its records (GET /metrics/records) cannot disagree
 * about which records are in the period and the place. */
#define INCIDENTS_IN_RANGE \
  "FROM incidents WHERE grid IN (SELECT value FROM json_each(?1)) " \
  "AND received_at >= ?2 AND received_at < ?3"
#define TICKETS_IN_RANGE \
  "FROM tickets WHERE grid IN (SELECT value FROM json_each(?1)) " \
  "AND created_at >= ?2 AND created_at < ?3"
#define TICKET_COLUMNS \
  "created_at, state, lead_unit, category, dispatched_at, accepted_at, resolved_at, " \
  "deadline, returned_count, rejected_count, reopened_count, satisfaction"

/* One statement text per record kind, so that each stays prepared on its
 * reader connection. */
static const char incidents_sql[] =
  "SELECT source, decision, repeat_of IS NOT NULL, received_at, category " INCIDENTS_IN_RANGE;
/* The summary needs neither time nor category: fewer columns to decode in
 * its longest loop (about 15% of its time). */
static const char incidents_summary_sql[] =
  "SELECT source, decision, repeat_of IS NOT NULL " INCIDENTS_IN_RANGE;
static const char tickets_sql[] =
  "SELECT " TICKET_COLUMNS " " TICKETS_IN_RANGE;
/* The same rows with their rowids, for GET /metrics/records: the rowid is
 * in every index, so the range read stays on the covering index, and only
 * the records a figure counts are looked up for their ids. */
static const char incidents_records_sql[] =
  "SELECT source, decision, repeat_of IS NOT NULL, received_at, category, rowid "
  INCIDENTS_IN_RANGE;
static const char tickets_records_sql[] =
  "SELECT " TICKET_COLUMNS ", rowid " TICKETS_IN_RANGE;
static const char incident_id_sql[] = "SELECT id FROM incidents WHERE rowid = ?1";
static const char ticket_id_sql[] = "SELECT id FROM tickets WHERE rowid = ?1";
/* Only tickets that were returned are looked up in the timeline. */
static const char returns_sql[] =
  "SELECT e.ticket, e.unit, t.lead_unit FROM tickets t JOIN events e ON e.ticket = t.id "
  "WHERE t.grid IN (SELECT value FROM json_each(?1)) AND t.created_at >= ?2 "
  "AND t.created_at < ?3 AND t.returned_count > 0 AND e.kind = 'returned' AND e.at >= ?2";
/* Invitations of units to the sessions held in the period (fq-sessions.c). */
static const char sessions_sql[] =
  "SELECT i.unit, i.status, i.delay_minutes FROM sessions s "
  "JOIN session_invitees i ON i.session = s.id "
  "WHERE s.grid IN (SELECT value FROM json_each(?1)) AND s.scheduled_at >= ?2 "
  "AND s.scheduled_at < ?3 AND s.state IN ('in_progress', 'concluded') AND i.unit IS NOT NULL";

/* ---- the request: period and place ---- */

typedef struct
{
  gint64  from;
  gint64  to;
  char   *grid;        /* the node's code */
  char   *codes_json;  /* the subtree's codes as a JSON array */
} Scope;

static void
scope_clear (Scope *scope)
{
  g_clear_pointer (&scope->grid, g_free);
  g_clear_pointer (&scope->codes_json, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Scope, scope_clear)

static gboolean
get_required_time (FqRequest   *request,
                   const char  *name,
                   gint64      *out,
                   GError     **error)
{
  const char *text = fq_request_get_query (request, name);

  if (text == NULL || *text == '\0')
    {
      fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, name, "required (an RFC 3339 time)");
      return FALSE;
    }
  return fq_request_get_time_param (request, name, out, error);
}

static gboolean
parse_scope (FqJob     *job,
             Scope     *scope,
             GError   **error)
{
  FqRequest *request = fq_job_get_request (job);
  const FqUser *user = fq_job_get_user (job);
  FqRefData *ref = fq_job_get_refdata (job);
  const char *code = fq_request_get_query (request, "grid");
  const FqGridNodeInfo *node;
  g_autoptr(GPtrArray) nodes = NULL;
  GString *json;

  if (!get_required_time (request, "from", &scope->from, error) ||
      !get_required_time (request, "to", &scope->to, error))
    return FALSE;
  if (scope->from >= scope->to)
    {
      fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, "to", "must be after from");
      return FALSE;
    }

  if (code == NULL || *code == '\0')
    code = user->scope;
  node = fq_refdata_get_node (ref, code);
  /* Outside the caller's scope answers exactly as an unknown node does. */
  if (node == NULL || !g_str_has_prefix (node->code, user->scope_prefix))
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_NOT_FOUND, "grid %s not found", code);
      return FALSE;
    }
  scope->grid = g_strdup (node->code);

  json = g_string_new ("[");
  nodes = fq_refdata_get_nodes (ref);
  for (guint i = 0; i < nodes->len; i++)
    {
      const FqGridNodeInfo *n = g_ptr_array_index (nodes, i);

      if (!g_str_has_prefix (n->code, node->prefix))
        continue;
      if (json->len > 1)
        g_string_append_c (json, ',');
      g_string_append_c (json, '"');
      /* Division codes are digits; anything else would be a broken import,
       * and is left out rather than allowed to break the JSON. */
      if (strpbrk (n->code, "\"\\") == NULL)
        g_string_append (json, n->code);
      g_string_append_c (json, '"');
    }
  g_string_append_c (json, ']');
  scope->codes_json = g_string_free (json, FALSE);
  return TRUE;
}

static sqlite3_stmt *
prepare_range (FqJob        *job,
               const char   *sql,
               const Scope  *scope,
               gint64        from,
               gint64        to,
               GError      **error)
{
  sqlite3_stmt *stmt = fq_job_prepare (job, sql, error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, scope->codes_json, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, from);
  sqlite3_bind_int64 (stmt, 3, to);
  return stmt;
}

static gboolean
finish_stmt (FqJob         *job,
             sqlite3_stmt  *stmt,
             int            rc,
             GError       **error)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (rc == SQLITE_DONE)
    return TRUE;
  return fq_job_check_sqlite (job, rc, error);
}

/* ---- rows ---- */

/* Wire names to values without a GEnumClass lookup per row: these run
 * hundreds of thousands of times a request. */
static int
source_of (const char *text)
{
  static const char * const names[N_SOURCES] = { "110", "12345", "grid", "walk_in", "open311" };

  if (text != NULL)
    for (int i = 0; i < N_SOURCES; i++)
      if (strcmp (text, names[i]) == 0)
        return i;
  return -1;
}

static int
decision_of (const char *text)
{
  static const char * const names[] = { "police", "on_scene", "mediate", "divert", "merge" };

  if (text != NULL)
    for (int i = 0; i < (int)G_N_ELEMENTS (names); i++)
      if (strcmp (text, names[i]) == 0)
        return i;
  return -1;
}

static inline gboolean
is_dispute (int decision)
{
  return decision == FQ_DECISION_ON_SCENE || decision == FQ_DECISION_MEDIATE ||
         decision == FQ_DECISION_DIVERT || decision == FQ_DECISION_MERGE;
}

typedef struct
{
  gint64      received_at;
  int         source;     /* FqSource or -1 */
  int         decision;   /* FqDecision or -1 */
  gboolean    repeat;     /* repeat_of set or decided merge */
  const char *category;   /* nullable, valid during the callback */
  gint64      rowid;      /* only from incidents_records_sql */
} IncidentRow;

typedef struct
{
  gint64      created_at;
  gboolean    closed;
  const char *lead_unit;
  const char *category;
  gint64      dispatched_at;   /* 0: none */
  gint64      accepted_at;
  gint64      resolved_at;
  gint64      deadline;
  gint64      returned_count;
  gint64      rejected_count;
  gint64      reopened_count;
  int         satisfaction;    /* 0: none */
  gint64      rowid;           /* only from tickets_records_sql */
} TicketRow;

typedef void (*IncidentFunc) (const IncidentRow *row,
                              gpointer           user_data);
typedef void (*TicketFunc)   (const TicketRow   *row,
                              gpointer           user_data);

/* @sql is incidents_sql, incidents_records_sql (with the rowid), or
 * incidents_summary_sql (then received_at is 0 and category NULL). */
static gboolean
scan_incidents (FqJob         *job,
                const char    *sql,
                const Scope   *scope,
                gint64         from,
                gint64         to,
                IncidentFunc   func,
                gpointer       user_data,
                GError       **error)
{
  sqlite3_stmt *stmt = prepare_range (job, sql, scope, from, to, error);
  gboolean full, with_id;
  int rc;

  if (stmt == NULL)
    return FALSE;
  full = sqlite3_column_count (stmt) > 3;
  with_id = sqlite3_column_count (stmt) > 5;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      IncidentRow row = { 0, };

      row.source = source_of ((const char *)sqlite3_column_text (stmt, 0));
      row.decision = decision_of ((const char *)sqlite3_column_text (stmt, 1));
      row.repeat = sqlite3_column_int (stmt, 2) != 0 || row.decision == FQ_DECISION_MERGE;
      if (full)
        {
          row.received_at = sqlite3_column_int64 (stmt, 3);
          row.category = (const char *)sqlite3_column_text (stmt, 4);
        }
      if (with_id)
        row.rowid = sqlite3_column_int64 (stmt, 5);
      func (&row, user_data);
    }
  return finish_stmt (job, stmt, rc, error);
}

/* @sql is tickets_sql or tickets_records_sql (with the rowid). */
static gboolean
scan_tickets_sql (FqJob         *job,
                  const char    *sql,
                  const Scope   *scope,
                  gint64         from,
                  gint64         to,
                  TicketFunc     func,
                  gpointer       user_data,
                  GError       **error)
{
  sqlite3_stmt *stmt = prepare_range (job, sql, scope, from, to, error);
  gboolean with_id;
  int rc;

  if (stmt == NULL)
    return FALSE;
  with_id = sqlite3_column_count (stmt) > 12;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *state = (const char *)sqlite3_column_text (stmt, 1);
      TicketRow row;

      row.created_at = sqlite3_column_int64 (stmt, 0);
      row.closed = g_strcmp0 (state, "closed") == 0;
      row.lead_unit = (const char *)sqlite3_column_text (stmt, 2);
      row.category = (const char *)sqlite3_column_text (stmt, 3);
      row.dispatched_at = sqlite3_column_int64 (stmt, 4);
      row.accepted_at = sqlite3_column_int64 (stmt, 5);
      row.resolved_at = sqlite3_column_int64 (stmt, 6);
      row.deadline = sqlite3_column_int64 (stmt, 7);
      row.returned_count = sqlite3_column_int64 (stmt, 8);
      row.rejected_count = sqlite3_column_int64 (stmt, 9);
      row.reopened_count = sqlite3_column_int64 (stmt, 10);
      row.satisfaction = sqlite3_column_int (stmt, 11);
      row.rowid = with_id ? sqlite3_column_int64 (stmt, 12) : 0;
      func (&row, user_data);
    }
  return finish_stmt (job, stmt, rc, error);
}

static gboolean
scan_tickets (FqJob         *job,
              const Scope   *scope,
              gint64         from,
              gint64         to,
              TicketFunc     func,
              gpointer       user_data,
              GError       **error)
{
  return scan_tickets_sql (job, tickets_sql, scope, from, to, func, user_data, error);
}

/* ---- what each figure counts ----
 *
 * One predicate per counted figure. The summary, the trend, the categories
 * and the unit assessment count with these, and GET /metrics/records lists
 * the records they accept (record_metrics below): a figure and its records
 * share one definition. */

static inline gboolean
incident_any (const IncidentRow *row)
{
  return TRUE;
}

static inline gboolean
incident_police (const IncidentRow *row)
{
  return row->decision == FQ_DECISION_POLICE;
}

static inline gboolean
incident_dispute (const IncidentRow *row)
{
  return is_dispute (row->decision);
}

static inline gboolean
incident_mediated (const IncidentRow *row)
{
  return row->decision == FQ_DECISION_MEDIATE;
}

static inline gboolean
incident_diverted (const IncidentRow *row)
{
  return row->decision == FQ_DECISION_DIVERT;
}

/* diversion_share's numerator. */
static inline gboolean
incident_mediated_or_diverted (const IncidentRow *row)
{
  return incident_mediated (row) || incident_diverted (row);
}

static inline gboolean
incident_repeat (const IncidentRow *row)
{
  return row->repeat;
}

static inline gboolean
incident_proactive (const IncidentRow *row)
{
  return row->source == FQ_SOURCE_GRID;
}

static inline gboolean
ticket_any (const TicketRow *row)
{
  return TRUE;
}

static inline gboolean
ticket_closed (const TicketRow *row)
{
  return row->closed;
}

static inline gboolean
ticket_resolved (const TicketRow *row)
{
  return row->resolved_at != 0;
}

static inline gboolean
resolved_on_time (const TicketRow *row)
{
  return row->deadline == 0 || row->resolved_at <= row->deadline;
}

/* on_time_rate's numerator. */
static inline gboolean
ticket_resolved_on_time (const TicketRow *row)
{
  return ticket_resolved (row) && resolved_on_time (row);
}

/* The tickets median_hours_to_accept is taken over. */
static inline gboolean
ticket_accepted (const TicketRow *row)
{
  return row->accepted_at != 0 && row->dispatched_at != 0;
}

static inline gboolean
ticket_backflow (const TicketRow *row)
{
  return row->returned_count > 0 || row->rejected_count > 0 || row->reopened_count > 0;
}

/* ---- JSON helpers ---- */

static void
add_ratio (JsonBuilder *builder,
           const char  *member,
           gint64       numerator,
           gint64       denominator)
{
  json_builder_set_member_name (builder, member);
  if (denominator == 0)
    json_builder_add_null_value (builder);
  else
    json_builder_add_double_value (builder, (double)numerator / (double)denominator);
}

static void
add_nullable_double (JsonBuilder *builder,
                     const char  *member,
                     gboolean     present,
                     double       value)
{
  json_builder_set_member_name (builder, member);
  if (present)
    json_builder_add_double_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_int (JsonBuilder *builder,
         const char  *member,
         gint64       value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_int_value (builder, value);
}

static void
add_period (JsonBuilder *builder,
            const Scope *scope)
{
  json_builder_set_member_name (builder, "period");
  json_builder_begin_object (builder);
  fq_json_builder_add_time (builder, "from", scope->from);
  fq_json_builder_add_time (builder, "to", scope->to);
  json_builder_end_object (builder);
  fq_json_builder_add_string (builder, "grid", scope->grid);
}

static void
respond_builder (FqJob       *job,
                 JsonBuilder *builder)
{
  fq_job_respond (job, SOUP_STATUS_OK, json_builder_get_root (builder));
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *)a;
  gint64 y = *(const gint64 *)b;

  return x < y ? -1 : x > y;
}

/* The median of @values in hours; sorts @values. */
static gboolean
median_hours (GArray *values,
              double *out)
{
  guint n = values->len;
  gint64 *v = (gint64 *)values->data;

  if (n == 0)
    return FALSE;
  qsort (v, n, sizeof (gint64), compare_gint64);
  if (n % 2 == 1)
    *out = v[n / 2] / 3600.0;
  else
    *out = (v[n / 2 - 1] + v[n / 2]) / 2.0 / 3600.0;
  return TRUE;
}

/* ---- GET /metrics/summary ---- */

typedef struct
{
  gint64  incidents_total;
  gint64  by_source[N_SOURCES];
  gint64  police_incidents;
  gint64  non_police_disputes;
  gint64  mediated;
  gint64  diverted;
  gint64  repeat_calls;
  gint64  proactive_reports;
  gint64  tickets_created;
  gint64  tickets_closed;
  gint64  tickets_resolved;
  gint64  resolved_on_time;
  gint64  backflow_tickets;
  GArray *accept_seconds;   /* gint64 */
  GArray *resolve_seconds;  /* gint64 */
} Metrics;

static void
metrics_init (Metrics *m)
{
  memset (m, 0, sizeof *m);
  m->accept_seconds = g_array_new (FALSE, FALSE, sizeof (gint64));
  m->resolve_seconds = g_array_new (FALSE, FALSE, sizeof (gint64));
}

static void
metrics_clear (Metrics *m)
{
  g_clear_pointer (&m->accept_seconds, g_array_unref);
  g_clear_pointer (&m->resolve_seconds, g_array_unref);
}

static void
summary_incident (const IncidentRow *row,
                  gpointer           user_data)
{
  Metrics *m = user_data;

  m->incidents_total++;
  if (row->source >= 0)
    m->by_source[row->source]++;
  if (incident_proactive (row))
    m->proactive_reports++;
  if (incident_police (row))
    m->police_incidents++;
  else if (incident_dispute (row))
    m->non_police_disputes++;
  if (incident_mediated (row))
    m->mediated++;
  else if (incident_diverted (row))
    m->diverted++;
  if (incident_repeat (row))
    m->repeat_calls++;
}

static void
summary_ticket (const TicketRow *row,
                gpointer         user_data)
{
  Metrics *m = user_data;

  m->tickets_created++;
  if (ticket_closed (row))
    m->tickets_closed++;
  if (ticket_resolved (row))
    {
      gint64 seconds = row->resolved_at - row->created_at;

      m->tickets_resolved++;
      if (ticket_resolved_on_time (row))
        m->resolved_on_time++;
      g_array_append_val (m->resolve_seconds, seconds);
    }
  if (ticket_accepted (row))
    {
      gint64 seconds = row->accepted_at - row->dispatched_at;

      g_array_append_val (m->accept_seconds, seconds);
    }
  if (ticket_backflow (row))
    m->backflow_tickets++;
}

static gboolean
compute_metrics (FqJob        *job,
                 const Scope  *scope,
                 gint64        from,
                 gint64        to,
                 Metrics      *m,
                 GError      **error)
{
  return scan_incidents (job, incidents_summary_sql, scope, from, to, summary_incident, m,
                         error) &&
         scan_tickets (job, scope, from, to, summary_ticket, m, error);
}

/* The metrics as named values, so that the three periods and their changes
 * are written by the same loop. */
enum
{
  V_INCIDENTS_TOTAL,
  V_POLICE_INCIDENTS,
  V_NON_POLICE_DISPUTES,
  V_MEDIATED,
  V_DIVERTED,
  V_DIVERSION_SHARE,
  V_TICKETS_CREATED,
  V_TICKETS_CLOSED,
  V_COMPLETION_RATE,
  V_TICKETS_RESOLVED,
  V_RESOLVED_ON_TIME,
  V_ON_TIME_RATE,
  V_REPEAT_CALLS,
  V_BACKFLOW_TICKETS,
  V_PROACTIVE_REPORTS,
  V_MEDIAN_HOURS_TO_ACCEPT,
  V_MEDIAN_HOURS_TO_RESOLVE,
  N_VALUES
};

static const struct
{
  const char *name;
  gboolean    is_count;
} value_info[N_VALUES] = {
  [V_INCIDENTS_TOTAL]         = { "incidents_total", TRUE },
  [V_POLICE_INCIDENTS]        = { "police_incidents", TRUE },
  [V_NON_POLICE_DISPUTES]     = { "non_police_disputes", TRUE },
  [V_MEDIATED]                = { "mediated", TRUE },
  [V_DIVERTED]                = { "diverted", TRUE },
  [V_DIVERSION_SHARE]         = { "diversion_share", FALSE },
  [V_TICKETS_CREATED]         = { "tickets_created", TRUE },
  [V_TICKETS_CLOSED]          = { "tickets_closed", TRUE },
  [V_COMPLETION_RATE]         = { "completion_rate", FALSE },
  [V_TICKETS_RESOLVED]        = { "tickets_resolved", TRUE },
  [V_RESOLVED_ON_TIME]        = { "resolved_on_time", TRUE },
  [V_ON_TIME_RATE]            = { "on_time_rate", FALSE },
  [V_REPEAT_CALLS]            = { "repeat_calls", TRUE },
  [V_BACKFLOW_TICKETS]        = { "backflow_tickets", TRUE },
  [V_PROACTIVE_REPORTS]       = { "proactive_reports", TRUE },
  [V_MEDIAN_HOURS_TO_ACCEPT]  = { "median_hours_to_accept", FALSE },
  [V_MEDIAN_HOURS_TO_RESOLVE] = { "median_hours_to_resolve", FALSE },
};

typedef struct
{
  double   value[N_VALUES];
  gboolean present[N_VALUES];
  gint64   by_source[N_SOURCES];
} Values;

static void
set_value (Values *v,
           int     index,
           double  value)
{
  v->value[index] = value;
  v->present[index] = TRUE;
}

static void
set_ratio (Values *v,
           int     index,
           gint64  numerator,
           gint64  denominator)
{
  if (denominator != 0)
    set_value (v, index, (double)numerator / (double)denominator);
}

static void
metrics_values (Metrics *m,
                Values  *v)
{
  double median;

  memset (v, 0, sizeof *v);
  memcpy (v->by_source, m->by_source, sizeof v->by_source);
  set_value (v, V_INCIDENTS_TOTAL, m->incidents_total);
  set_value (v, V_POLICE_INCIDENTS, m->police_incidents);
  set_value (v, V_NON_POLICE_DISPUTES, m->non_police_disputes);
  set_value (v, V_MEDIATED, m->mediated);
  set_value (v, V_DIVERTED, m->diverted);
  set_ratio (v, V_DIVERSION_SHARE, m->mediated + m->diverted, m->non_police_disputes);
  set_value (v, V_TICKETS_CREATED, m->tickets_created);
  set_value (v, V_TICKETS_CLOSED, m->tickets_closed);
  set_ratio (v, V_COMPLETION_RATE, m->tickets_closed, m->tickets_created);
  set_value (v, V_TICKETS_RESOLVED, m->tickets_resolved);
  set_value (v, V_RESOLVED_ON_TIME, m->resolved_on_time);
  set_ratio (v, V_ON_TIME_RATE, m->resolved_on_time, m->tickets_resolved);
  set_value (v, V_REPEAT_CALLS, m->repeat_calls);
  set_value (v, V_BACKFLOW_TICKETS, m->backflow_tickets);
  set_value (v, V_PROACTIVE_REPORTS, m->proactive_reports);
  if (median_hours (m->accept_seconds, &median))
    set_value (v, V_MEDIAN_HOURS_TO_ACCEPT, median);
  if (median_hours (m->resolve_seconds, &median))
    set_value (v, V_MEDIAN_HOURS_TO_RESOLVE, median);
}

static void
add_values (JsonBuilder  *builder,
            const char   *member,
            const Values *v)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_object (builder);
  for (int i = 0; i < N_VALUES; i++)
    {
      json_builder_set_member_name (builder, value_info[i].name);
      if (!v->present[i])
        json_builder_add_null_value (builder);
      else if (value_info[i].is_count)
        json_builder_add_int_value (builder, (gint64)v->value[i]);
      else
        json_builder_add_double_value (builder, v->value[i]);

      /* incidents_by_source right after incidents_total, as DOMAIN.md lists
       * them. */
      if (i == V_INCIDENTS_TOTAL)
        {
          json_builder_set_member_name (builder, "incidents_by_source");
          json_builder_begin_object (builder);
          for (int s = 0; s < N_SOURCES; s++)
            add_int (builder, fq_enum_to_string (FQ_TYPE_SOURCE, s), v->by_source[s]);
          json_builder_end_object (builder);
        }
    }
  json_builder_end_object (builder);
}

static void
add_change_value (JsonBuilder *builder,
                  const char  *member,
                  gboolean     present,
                  double       current,
                  gboolean     base_present,
                  double       base)
{
  add_nullable_double (builder, member, present && base_present && base != 0,
                       base != 0 ? (current - base) / base : 0);
}

static void
add_changes (JsonBuilder  *builder,
             const char   *member,
             const Values *current,
             const Values *base)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_object (builder);
  for (int i = 0; i < N_VALUES; i++)
    {
      add_change_value (builder, value_info[i].name, current->present[i], current->value[i],
                        base->present[i], base->value[i]);
      if (i == V_INCIDENTS_TOTAL)
        {
          json_builder_set_member_name (builder, "incidents_by_source");
          json_builder_begin_object (builder);
          for (int s = 0; s < N_SOURCES; s++)
            add_change_value (builder, fq_enum_to_string (FQ_TYPE_SOURCE, s),
                              TRUE, current->by_source[s], TRUE, base->by_source[s]);
          json_builder_end_object (builder);
        }
    }
  json_builder_end_object (builder);
}

static gint64
years_before (gint64 t,
              int    years)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);
  g_autoptr(GDateTime) shifted = dt != NULL ? g_date_time_add_years (dt, -years) : NULL;

  return shifted != NULL ? g_date_time_to_unix (shifted) : t - 365 * 86400;
}

/* @t as a date and time in CST, as if it were UTC (no zone arithmetic
 * follows, only calendar arithmetic). */
static GDateTime *
cst_date_time (gint64 t)
{
  return g_date_time_new_from_unix_utc (t + FQ_CST_OFFSET_SECONDS);
}

static gint64
cst_unix (GDateTime *dt)
{
  return g_date_time_to_unix (dt) - FQ_CST_OFFSET_SECONDS;
}

/* @start + @months, in unix time; G_MAXINT64 past the year 9999. */
static gint64
months_after (GDateTime *start,
              int        months)
{
  g_autoptr(GDateTime) dt = g_date_time_add_months (start, months);

  return dt != NULL ? cst_unix (dt) : G_MAXINT64;
}

/* The previous period of [@from, @to), see the comment at the top. */
static void
previous_period (gint64  from,
                 gint64  to,
                 gint64 *previous_from,
                 gint64 *previous_to)
{
  g_autoptr(GDateTime) start = cst_date_time (from);
  g_autoptr(GDateTime) end = cst_date_time (to);
  gint64 days;

  if (start != NULL && end != NULL && g_date_time_get_day_of_month (start) == 1
      && g_date_time_get_hour (start) == 0 && g_date_time_get_minute (start) == 0
      && g_date_time_get_seconds (start) == 0)
    {
      /* The months it spans: from the 1st, @start + @months is again a
       * 1st, so the first such boundary at or past @to (a span of more
       * than a century moves by days). */
      g_autoptr(GDateTime) prev_end = NULL;
      int months = 1;

      while (months < 12 * 100 && months_after (start, months) < to)
        months++;
      prev_end = g_date_time_add_months (end, -months);
      *previous_from = months_after (start, -months);
      if (prev_end != NULL && *previous_from != G_MAXINT64 && months_after (start, months) >= to)
        {
          *previous_to = cst_unix (prev_end);
          return;
        }
    }

  days = (to - from + 86399) / 86400;
  *previous_from = from - days * 86400;
  *previous_to = to - days * 86400;
}

static gboolean
summary_job (FqJob     *job,
             gpointer   user_data,
             GError   **error)
{
  g_auto(Scope) scope = { 0, };
  g_autoptr(JsonBuilder) builder = NULL;
  Metrics m[3];
  Values v[3];
  gint64 starts[3], ends[3];
  gboolean ok = TRUE;

  if (!parse_scope (job, &scope, error))
    return FALSE;

  starts[0] = scope.from;
  ends[0] = scope.to;
  previous_period (scope.from, scope.to, &starts[1], &ends[1]);
  starts[2] = years_before (scope.from, 1);
  ends[2] = years_before (scope.to, 1);

  for (int i = 0; i < 3; i++)
    metrics_init (&m[i]);
  for (int i = 0; i < 3 && ok; i++)
    ok = compute_metrics (job, &scope, starts[i], ends[i], &m[i], error);
  for (int i = 0; i < 3; i++)
    {
      if (ok)
        metrics_values (&m[i], &v[i]);
      metrics_clear (&m[i]);
    }
  if (!ok)
    return FALSE;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  add_period (builder, &scope);
  add_values (builder, "current", &v[0]);
  add_values (builder, "previous_period", &v[1]);
  add_values (builder, "same_period_last_year", &v[2]);

  /* The comparison periods themselves, so that a reader can check them. */
  json_builder_set_member_name (builder, "periods");
  json_builder_begin_object (builder);
  for (int i = 1; i < 3; i++)
    {
      json_builder_set_member_name (builder, i == 1 ? "previous_period"
                                                    : "same_period_last_year");
      json_builder_begin_object (builder);
      fq_json_builder_add_time (builder, "from", starts[i]);
      fq_json_builder_add_time (builder, "to", ends[i]);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "change");
  json_builder_begin_object (builder);
  add_changes (builder, "previous_period", &v[0], &v[1]);
  add_changes (builder, "same_period_last_year", &v[0], &v[2]);
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  respond_builder (job, builder);
  return TRUE;
}

/* ---- GET /metrics/trend ---- */

typedef enum
{
  BUCKET_DAY,
  BUCKET_WEEK,
  BUCKET_MONTH,
} BucketKind;

typedef struct
{
  gint64 incidents;
  gint64 non_police_disputes;
  gint64 diverted;
  gint64 closed;
  gint64 repeat_calls;
  gint64 tickets;
} Bucket;

typedef struct
{
  GArray *starts;    /* gint64, ascending; one more than the buckets: the end */
  Bucket *buckets;
  guint   n_buckets;
} Trend;

/* The CST midnight that starts the bucket holding @t. */
static gint64
bucket_floor (BucketKind kind,
              gint64     t)
{
  gint64 local_day = (gint64)floor ((double)(t + FQ_CST_OFFSET_SECONDS) / 86400.0);

  switch (kind)
    {
    case BUCKET_DAY:
      return local_day * 86400 - FQ_CST_OFFSET_SECONDS;

    case BUCKET_WEEK:
      {
        /* 1970-01-01 was a Thursday: day + 3 counts from a Monday. */
        gint64 monday = local_day - (((local_day + 3) % 7) + 7) % 7;

        return monday * 86400 - FQ_CST_OFFSET_SECONDS;
      }

    case BUCKET_MONTH:
    default:
      {
        g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (local_day * 86400);
        g_autoptr(GDateTime) first = g_date_time_new_utc (g_date_time_get_year (utc),
                                                          g_date_time_get_month (utc),
                                                          1, 0, 0, 0);

        return g_date_time_to_unix (first) - FQ_CST_OFFSET_SECONDS;
      }
    }
}

static gint64
bucket_next (BucketKind kind,
             gint64     start)
{
  switch (kind)
    {
    case BUCKET_DAY:
      return start + 86400;

    case BUCKET_WEEK:
      return start + 7 * 86400;

    case BUCKET_MONTH:
    default:
      {
        /* In local time the start is a midnight on the 1st, in UTC terms
         * shifted by the fixed offset. */
        g_autoptr(GDateTime) local = g_date_time_new_from_unix_utc (start + FQ_CST_OFFSET_SECONDS);
        g_autoptr(GDateTime) next = g_date_time_add_months (local, 1);

        return g_date_time_to_unix (next) - FQ_CST_OFFSET_SECONDS;
      }
    }
}

static Bucket *
trend_bucket (Trend  *trend,
              gint64  t)
{
  const gint64 *starts = (const gint64 *)trend->starts->data;
  guint lo = 0, hi = trend->n_buckets;

  /* The last bucket whose start is at or before @t. */
  while (hi - lo > 1)
    {
      guint mid = (lo + hi) / 2;

      if (starts[mid] <= t)
        lo = mid;
      else
        hi = mid;
    }
  return &trend->buckets[lo];
}

static void
trend_incident (const IncidentRow *row,
                gpointer           user_data)
{
  Bucket *bucket = trend_bucket (user_data, row->received_at);

  bucket->incidents++;
  if (incident_dispute (row))
    bucket->non_police_disputes++;
  if (incident_diverted (row))
    bucket->diverted++;
  if (incident_repeat (row))
    bucket->repeat_calls++;
}

static void
trend_ticket (const TicketRow *row,
              gpointer         user_data)
{
  Bucket *bucket = trend_bucket (user_data, row->created_at);

  bucket->tickets++;
  if (ticket_closed (row))
    bucket->closed++;
}

static gboolean
trend_job (FqJob     *job,
           gpointer   user_data,
           GError   **error)
{
  FqRequest *request = fq_job_get_request (job);
  const char *bucket_text = fq_request_get_query (request, "bucket");
  g_auto(Scope) scope = { 0, };
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GArray) starts = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree Bucket *buckets = NULL;
  BucketKind kind;
  Trend trend;
  gint64 t;

  if (bucket_text == NULL || *bucket_text == '\0' || strcmp (bucket_text, "day") == 0)
    kind = BUCKET_DAY;
  else if (strcmp (bucket_text, "week") == 0)
    kind = BUCKET_WEEK;
  else if (strcmp (bucket_text, "month") == 0)
    kind = BUCKET_MONTH;
  else
    {
      fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, "bucket", "one of day, week, month");
      return FALSE;
    }
  if (!parse_scope (job, &scope, error))
    return FALSE;

  for (t = bucket_floor (kind, scope.from); t < scope.to; t = bucket_next (kind, t))
    {
      if (starts->len == MAX_TREND_BUCKETS)
        {
          fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, "bucket",
                              "more than %d buckets; choose a longer bucket or a shorter period",
                              MAX_TREND_BUCKETS);
          return FALSE;
        }
      g_array_append_val (starts, t);
    }
  g_array_append_val (starts, t);

  trend.starts = starts;
  trend.n_buckets = starts->len - 1;
  trend.buckets = buckets = g_new0 (Bucket, trend.n_buckets);

  if (!scan_incidents (job, incidents_sql, &scope, scope.from, scope.to, trend_incident, &trend,
                       error) ||
      !scan_tickets (job, &scope, scope.from, scope.to, trend_ticket, &trend, error))
    return FALSE;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  add_period (builder, &scope);
  fq_json_builder_add_string (builder, "bucket",
                              kind == BUCKET_DAY ? "day" : kind == BUCKET_WEEK ? "week" : "month");
  json_builder_set_member_name (builder, "buckets");
  json_builder_begin_array (builder);
  for (guint i = 0; i < trend.n_buckets; i++)
    {
      const Bucket *b = &trend.buckets[i];

      json_builder_begin_object (builder);
      fq_json_builder_add_time (builder, "start", g_array_index (starts, gint64, i));
      fq_json_builder_add_time (builder, "end", g_array_index (starts, gint64, i + 1));
      add_int (builder, "incidents", b->incidents);
      add_int (builder, "non_police_disputes", b->non_police_disputes);
      add_int (builder, "diverted", b->diverted);
      add_int (builder, "closed", b->closed);
      add_int (builder, "repeat_calls", b->repeat_calls);
      add_int (builder, "tickets", b->tickets);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  respond_builder (job, builder);
  return TRUE;
}

/* ---- GET /metrics/units ---- */

typedef struct
{
  char   *unit;
  gint64  led;
  gint64  returned_away;    /* tickets it returned and no longer leads */
  gint64  accepted_within_limit;
  gint64  closed;
  gint64  resolved;
  gint64  resolved_on_time;
  gint64  returns;
  gint64  backflow;
  gint64  satisfaction_sum;
  gint64  satisfaction_n;
  gint64  sessions_invited;
  gint64  sessions_checked_in;
  gint64  sessions_excused;
  gint64  delay_sum;        /* minutes, over the check-ins that have one */
  gint64  delay_n;
  double  score;
  gboolean has_score;
} UnitRow;

static void
unit_row_free (gpointer data)
{
  UnitRow *row = data;

  g_free (row->unit);
  g_free (row);
}

typedef struct
{
  GHashTable *rows;          /* unit id → UnitRow */
  gint64      accept_limit;
} Units;

static UnitRow *
units_get (Units      *units,
           const char *unit)
{
  UnitRow *row = g_hash_table_lookup (units->rows, unit);

  if (row == NULL)
    {
      row = g_new0 (UnitRow, 1);
      row->unit = g_strdup (unit);
      g_hash_table_insert (units->rows, row->unit, row);
    }
  return row;
}

static void
units_ticket (const TicketRow *t,
              gpointer         user_data)
{
  Units *units = user_data;
  UnitRow *row;

  if (t->lead_unit == NULL)
    return;
  row = units_get (units, t->lead_unit);
  row->led++;
  if (ticket_accepted (t) && t->accepted_at - t->dispatched_at <= units->accept_limit)
    row->accepted_within_limit++;
  if (ticket_closed (t))
    row->closed++;
  if (ticket_resolved (t))
    {
      row->resolved++;
      if (ticket_resolved_on_time (t))
        row->resolved_on_time++;
    }
  if (t->rejected_count > 0 || t->reopened_count > 0)
    row->backflow++;
  if (t->closed && t->satisfaction >= 1 && t->satisfaction <= 5)
    {
      row->satisfaction_sum += t->satisfaction;
      row->satisfaction_n++;
    }
}

static gboolean
scan_returns (FqJob        *job,
              const Scope  *scope,
              Units        *units,
              GError      **error)
{
  sqlite3_stmt *stmt = prepare_range (job, returns_sql, scope, scope->from, scope->to, error);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *ticket = (const char *)sqlite3_column_text (stmt, 0);
      const char *unit = (const char *)sqlite3_column_text (stmt, 1);
      const char *lead = (const char *)sqlite3_column_text (stmt, 2);
      UnitRow *row;
      char *key;

      /* A return is made by unit staff of the lead unit, so the event
       * names it; one without a unit cannot be attributed. */
      if (ticket == NULL || unit == NULL)
        continue;
      row = units_get (units, unit);
      row->returns++;
      if (g_strcmp0 (unit, lead) == 0)
        continue;
      key = g_strconcat (ticket, "\x1f", unit, NULL);
      if (g_hash_table_add (seen, key))
        row->returned_away++;
    }
  return finish_stmt (job, stmt, rc, error);
}

static gboolean
scan_sessions (FqJob        *job,
               const Scope  *scope,
               Units        *units,
               GError      **error)
{
  sqlite3_stmt *stmt = prepare_range (job, sessions_sql, scope, scope->from, scope->to, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *unit = (const char *)sqlite3_column_text (stmt, 0);
      const char *status = (const char *)sqlite3_column_text (stmt, 1);
      UnitRow *row;

      if (unit == NULL)
        continue;
      row = units_get (units, unit);
      row->sessions_invited++;
      if (g_strcmp0 (status, "checked_in") == 0)
        {
          row->sessions_checked_in++;
          if (sqlite3_column_type (stmt, 2) != SQLITE_NULL)
            {
              row->delay_sum += sqlite3_column_int64 (stmt, 2);
              row->delay_n++;
            }
        }
      else if (g_strcmp0 (status, "excused") == 0)
        row->sessions_excused++;
    }
  return finish_stmt (job, stmt, rc, error);
}

static void
unit_score (UnitRow *row)
{
  double sum = 0, weights = 0;

  if (row->led > 0)
    {
      sum += WEIGHT_COMPLETION * row->closed / (double)row->led;
      sum += WEIGHT_ACCEPTANCE * row->accepted_within_limit / (double)row->led;
      weights += WEIGHT_COMPLETION + WEIGHT_ACCEPTANCE;
    }
  if (row->resolved > 0)
    {
      sum += WEIGHT_ON_TIME * row->resolved_on_time / (double)row->resolved;
      weights += WEIGHT_ON_TIME;
    }
  if (row->satisfaction_n > 0)
    {
      double mean = row->satisfaction_sum / (double)row->satisfaction_n;

      sum += WEIGHT_SATISFACTION * (mean - 1) / 4;
      weights += WEIGHT_SATISFACTION;
    }
  if (row->sessions_invited - row->sessions_excused > 0)
    {
      sum += WEIGHT_ATTENDANCE * row->sessions_checked_in
             / (double)(row->sessions_invited - row->sessions_excused);
      weights += WEIGHT_ATTENDANCE;
    }
  row->has_score = weights > 0;
  row->score = weights > 0 ? 100 * sum / weights : 0;
}

static int
unit_row_compare (gconstpointer a,
                  gconstpointer b)
{
  const UnitRow *x = *(UnitRow * const *)a;
  const UnitRow *y = *(UnitRow * const *)b;
  gint64 received_x = x->led + x->returned_away;
  gint64 received_y = y->led + y->returned_away;

  if (x->has_score != y->has_score)
    return x->has_score ? -1 : 1;
  if (x->has_score && x->score != y->score)
    return x->score > y->score ? -1 : 1;
  if (received_x != received_y)
    return received_x > received_y ? -1 : 1;
  return strcmp (x->unit, y->unit);
}

static gboolean
units_job (FqJob     *job,
           gpointer   user_data,
           GError   **error)
{
  FqRefData *ref = fq_job_get_refdata (job);
  g_auto(Scope) scope = { 0, };
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GHashTable) rows = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                      unit_row_free);
  g_autoptr(GPtrArray) sorted = NULL;
  Units units = { rows, 0 };
  GHashTableIter iter;
  gpointer value;

  if (!parse_scope (job, &scope, error))
    return FALSE;
  units.accept_limit = fq_job_get_accept_limit (job);

  if (!scan_tickets (job, &scope, scope.from, scope.to, units_ticket, &units, error) ||
      !scan_returns (job, &scope, &units, error) ||
      !scan_sessions (job, &scope, &units, error))
    return FALSE;

  sorted = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, rows);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      unit_score (value);
      g_ptr_array_add (sorted, value);
    }
  g_ptr_array_sort (sorted, unit_row_compare);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  add_period (builder, &scope);
  json_builder_set_member_name (builder, "weights");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "completion_rate");
  json_builder_add_double_value (builder, WEIGHT_COMPLETION);
  json_builder_set_member_name (builder, "on_time_rate");
  json_builder_add_double_value (builder, WEIGHT_ON_TIME);
  json_builder_set_member_name (builder, "acceptance_rate");
  json_builder_add_double_value (builder, WEIGHT_ACCEPTANCE);
  json_builder_set_member_name (builder, "satisfaction");
  json_builder_add_double_value (builder, WEIGHT_SATISFACTION);
  json_builder_set_member_name (builder, "attendance_rate");
  json_builder_add_double_value (builder, WEIGHT_ATTENDANCE);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "units");
  json_builder_begin_array (builder);
  for (guint i = 0; i < sorted->len; i++)
    {
      const UnitRow *row = g_ptr_array_index (sorted, i);
      const FqUnitInfo *info = fq_refdata_get_unit (ref, row->unit);

      json_builder_begin_object (builder);
      fq_json_builder_add_string (builder, "unit", row->unit);
      fq_json_builder_add_string (builder, "name", info != NULL ? info->name : NULL);
      add_int (builder, "tickets_received", row->led + row->returned_away);
      add_int (builder, "tickets_led", row->led);
      add_int (builder, "accepted_within_limit", row->accepted_within_limit);
      add_ratio (builder, "acceptance_rate", row->accepted_within_limit, row->led);
      add_ratio (builder, "on_time_rate", row->resolved_on_time, row->resolved);
      add_ratio (builder, "completion_rate", row->closed, row->led);
      add_int (builder, "returns", row->returns);
      add_int (builder, "backflow", row->backflow);
      add_nullable_double (builder, "mean_satisfaction", row->satisfaction_n > 0,
                           row->satisfaction_n > 0
                           ? row->satisfaction_sum / (double)row->satisfaction_n : 0);
      add_int (builder, "sessions_invited", row->sessions_invited);
      add_int (builder, "sessions_checked_in", row->sessions_checked_in);
      add_int (builder, "sessions_excused", row->sessions_excused);
      add_ratio (builder, "attendance_rate", row->sessions_checked_in,
                 row->sessions_invited - row->sessions_excused);
      add_nullable_double (builder, "mean_checkin_delay_minutes", row->delay_n > 0,
                           row->delay_n > 0 ? row->delay_sum / (double)row->delay_n : 0);
      add_nullable_double (builder, "score", row->has_score, row->score);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  respond_builder (job, builder);
  return TRUE;
}

/* ---- GET /metrics/categories ---- */

typedef struct
{
  gint64 incidents;
  gint64 non_police_disputes;
  gint64 diverted;
  gint64 tickets;
  gint64 tickets_closed;
} CategoryCounts;

typedef struct
{
  GHashTable     *categories;   /* code (or "" for none) → CategoryCounts */
} Categories;

static CategoryCounts *
categories_get (Categories *c,
                const char *code)
{
  CategoryCounts *counts;

  if (code == NULL)
    code = "";
  counts = g_hash_table_lookup (c->categories, code);
  if (counts == NULL)
    {
      counts = g_new0 (CategoryCounts, 1);
      g_hash_table_insert (c->categories, g_strdup (code), counts);
    }
  return counts;
}

static void
categories_incident (const IncidentRow *row,
                     gpointer           user_data)
{
  CategoryCounts *counts = categories_get (user_data, row->category);

  counts->incidents++;
  if (incident_dispute (row))
    counts->non_police_disputes++;
  if (incident_diverted (row))
    counts->diverted++;
}

static void
categories_ticket (const TicketRow *row,
                   gpointer         user_data)
{
  CategoryCounts *counts = categories_get (user_data, row->category);

  counts->tickets++;
  if (ticket_closed (row))
    counts->tickets_closed++;
}

static void
add_counts (JsonBuilder          *builder,
            const CategoryCounts *counts)
{
  add_int (builder, "incidents", counts->incidents);
  add_int (builder, "non_police_disputes", counts->non_police_disputes);
  add_int (builder, "diverted", counts->diverted);
  add_int (builder, "tickets", counts->tickets);
  add_int (builder, "tickets_closed", counts->tickets_closed);
}

static void
counts_add (CategoryCounts       *sum,
            const CategoryCounts *counts)
{
  sum->incidents += counts->incidents;
  sum->non_police_disputes += counts->non_police_disputes;
  sum->diverted += counts->diverted;
  sum->tickets += counts->tickets;
  sum->tickets_closed += counts->tickets_closed;
}

typedef struct
{
  const char           *code;    /* "" for none */
  const CategoryCounts *counts;
} CategoryEntry;

static int
category_entry_compare (gconstpointer a,
                        gconstpointer b)
{
  const CategoryEntry *x = a;
  const CategoryEntry *y = b;

  if (x->counts->incidents != y->counts->incidents)
    return x->counts->incidents > y->counts->incidents ? -1 : 1;
  if (x->counts->tickets != y->counts->tickets)
    return x->counts->tickets > y->counts->tickets ? -1 : 1;
  return strcmp (x->code, y->code);
}

static gboolean
categories_job (FqJob     *job,
                gpointer   user_data,
                GError   **error)
{
  FqRefData *ref = fq_job_get_refdata (job);
  g_auto(Scope) scope = { 0, };
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(GHashTable) table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (CategoryEntry));
  g_autoptr(GPtrArray) groups = fq_refdata_get_groups (ref);
  g_autofree CategoryCounts *group_counts = NULL;
  CategoryCounts none_group = { 0, };
  Categories c = { table };
  GHashTableIter iter;
  gpointer key, value;

  if (!parse_scope (job, &scope, error))
    return FALSE;
  if (!scan_incidents (job, incidents_sql, &scope, scope.from, scope.to, categories_incident, &c,
                       error) ||
      !scan_tickets (job, &scope, scope.from, scope.to, categories_ticket, &c, error))
    return FALSE;

  group_counts = g_new0 (CategoryCounts, groups->len + 1);
  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      CategoryEntry entry = { key, value };
      const FqCategoryInfo *info = *(const char *)key != '\0'
        ? fq_refdata_get_category (ref, key) : NULL;
      gboolean grouped = FALSE;

      g_array_append_val (entries, entry);
      for (guint i = 0; info != NULL && i < groups->len; i++)
        {
          const FqCategoryGroupInfo *group = g_ptr_array_index (groups, i);

          if (g_strcmp0 (group->code, info->group) == 0)
            {
              counts_add (&group_counts[i], value);
              grouped = TRUE;
              break;
            }
        }
      if (!grouped)
        counts_add (&none_group, value);
    }
  g_array_sort (entries, category_entry_compare);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  add_period (builder, &scope);

  /* Incidents not yet categorised are one row with a null code. */
  json_builder_set_member_name (builder, "categories");
  json_builder_begin_array (builder);
  for (guint i = 0; i < entries->len; i++)
    {
      const CategoryEntry *entry = &g_array_index (entries, CategoryEntry, i);
      const FqCategoryInfo *info = *entry->code != '\0'
        ? fq_refdata_get_category (ref, entry->code) : NULL;

      json_builder_begin_object (builder);
      fq_json_builder_add_string (builder, "code", *entry->code != '\0' ? entry->code : NULL);
      fq_json_builder_add_string (builder, "name", info != NULL ? info->name : NULL);
      fq_json_builder_add_string (builder, "name_en", info != NULL ? info->name_en : NULL);
      fq_json_builder_add_string (builder, "group", info != NULL ? info->group : NULL);
      add_counts (builder, entry->counts);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "groups");
  json_builder_begin_array (builder);
  for (guint i = 0; i <= groups->len; i++)
    {
      const FqCategoryGroupInfo *group = i < groups->len ? g_ptr_array_index (groups, i) : NULL;
      const CategoryCounts *counts = group != NULL ? &group_counts[i] : &none_group;

      if (counts->incidents == 0 && counts->tickets == 0)
        continue;
      json_builder_begin_object (builder);
      fq_json_builder_add_string (builder, "code", group != NULL ? group->code : NULL);
      fq_json_builder_add_string (builder, "name", group != NULL ? group->name : NULL);
      fq_json_builder_add_string (builder, "name_en", group != NULL ? group->name_en : NULL);
      add_counts (builder, counts);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  respond_builder (job, builder);
  return TRUE;
}

/* ---- GET /metrics/records ---- */

typedef gboolean (*IncidentPredicate) (const IncidentRow *row);
typedef gboolean (*TicketPredicate)   (const TicketRow   *row);

/* "Explain this number": the figures whose records can be listed, by the
 * names the summary, the trend and the categories give them. A ratio lists
 * the records of its numerator; a median the tickets it is taken over. */
static const struct
{
  const char        *name;
  IncidentPredicate  incident;   /* exactly one of these two */
  TicketPredicate    ticket;
  int                source;     /* an FqSource the incident must have, or -1 */
} record_metrics[] = {
  { "incidents_total", incident_any, NULL, -1 },
  { "incidents", incident_any, NULL, -1 },
  { "police_incidents", incident_police, NULL, -1 },
  { "non_police_disputes", incident_dispute, NULL, -1 },
  { "mediated", incident_mediated, NULL, -1 },
  { "diverted", incident_diverted, NULL, -1 },
  { "diversion_share", incident_mediated_or_diverted, NULL, -1 },
  { "repeat_calls", incident_repeat, NULL, -1 },
  { "proactive_reports", incident_proactive, NULL, -1 },
  { "incidents_by_source.110", incident_any, NULL, FQ_SOURCE_110 },
  { "incidents_by_source.12345", incident_any, NULL, FQ_SOURCE_12345 },
  { "incidents_by_source.grid", incident_any, NULL, FQ_SOURCE_GRID },
  { "incidents_by_source.walk_in", incident_any, NULL, FQ_SOURCE_WALK_IN },
  { "incidents_by_source.open311", incident_any, NULL, FQ_SOURCE_OPEN311 },
  { "tickets_created", NULL, ticket_any, -1 },
  { "tickets", NULL, ticket_any, -1 },
  { "tickets_closed", NULL, ticket_closed, -1 },
  { "closed", NULL, ticket_closed, -1 },
  { "completion_rate", NULL, ticket_closed, -1 },
  { "tickets_resolved", NULL, ticket_resolved, -1 },
  { "on_time_rate", NULL, ticket_resolved_on_time, -1 },
  { "backflow_tickets", NULL, ticket_backflow, -1 },
  { "median_hours_to_accept", NULL, ticket_accepted, -1 },
  { "median_hours_to_resolve", NULL, ticket_resolved, -1 },
};

typedef struct
{
  guint       metric;     /* index into record_metrics */
  FqRefData  *ref;
  const char *category;   /* nullable: only this category */
  const char *group;      /* nullable: only categories of this group */
  const char *unit;       /* nullable: only tickets this unit leads */
  GArray     *rowids;     /* gint64: the records counted */
} Records;

/* The answer can hold a year of a city's incidents (about 200,000 ids):
 * written as text, without a JSON tree of them. */
static void
append_json_string (GString    *out,
                    const char *text)
{
  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, *p);
        }
      else if ((guchar)*p < 0x20)
        g_string_append_printf (out, "\\u%04x", (guchar)*p);
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

/* Appends the ids of @rowids to @out as the members of a JSON array. */
static gboolean
append_ids (FqJob       *job,
            const char  *sql,
            GArray      *rowids,
            GString     *out,
            GError     **error)
{
  sqlite3_stmt *stmt = fq_job_prepare (job, sql, error);

  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < rowids->len; i++)
    {
      int rc;

      sqlite3_bind_int64 (stmt, 1, g_array_index (rowids, gint64, i));
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          append_json_string (out, (const char *)sqlite3_column_text (stmt, 0));
          rc = sqlite3_step (stmt);
        }
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        {
          sqlite3_clear_bindings (stmt);
          return fq_job_check_sqlite (job, rc, error);
        }
    }
  sqlite3_clear_bindings (stmt);
  return TRUE;
}

static gboolean
records_category_matches (Records    *records,
                          const char *code)
{
  const FqCategoryInfo *info;

  if (records->category != NULL && g_strcmp0 (code, records->category) != 0)
    return FALSE;
  if (records->group == NULL)
    return TRUE;
  info = code != NULL ? fq_refdata_get_category (records->ref, code) : NULL;
  return info != NULL && g_strcmp0 (info->group, records->group) == 0;
}

static void
records_incident (const IncidentRow *row,
                  gpointer           user_data)
{
  Records *records = user_data;
  int source = record_metrics[records->metric].source;

  if ((source >= 0 && row->source != source) ||
      !record_metrics[records->metric].incident (row) ||
      !records_category_matches (records, row->category))
    return;
  g_array_append_val (records->rowids, row->rowid);
}

static void
records_ticket (const TicketRow *row,
                gpointer         user_data)
{
  Records *records = user_data;

  if (!record_metrics[records->metric].ticket (row) ||
      !records_category_matches (records, row->category) ||
      (records->unit != NULL && g_strcmp0 (row->lead_unit, records->unit) != 0))
    return;
  g_array_append_val (records->rowids, row->rowid);
}

static gboolean
records_job (FqJob     *job,
             gpointer   user_data,
             GError   **error)
{
  FqRequest *request = fq_job_get_request (job);
  const char *metric = fq_request_get_query (request, "metric");
  g_auto(Scope) scope = { 0, };
  g_autoptr(GArray) rowids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  GString *out;
  Records records = { 0, };
  gboolean found = FALSE;
  gboolean ok;

  if (metric == NULL || *metric == '\0')
    {
      fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, "metric", "required (a figure's name)");
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (record_metrics) && !found; i++)
    if (strcmp (metric, record_metrics[i].name) == 0)
      {
        records.metric = i;
        found = TRUE;
      }
  if (!found)
    {
      fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, "metric",
                          "not a figure whose records can be listed");
      return FALSE;
    }
  if (!parse_scope (job, &scope, error))
    return FALSE;

  records.ref = fq_job_get_refdata (job);
  records.rowids = rowids;
  records.category = fq_request_get_query (request, "category");
  records.group = fq_request_get_query (request, "group");
  records.unit = fq_request_get_query (request, "unit");
  if (records.category != NULL && *records.category == '\0')
    records.category = NULL;
  if (records.group != NULL && *records.group == '\0')
    records.group = NULL;
  if (records.unit != NULL && *records.unit == '\0')
    records.unit = NULL;
  if (records.category != NULL && fq_refdata_get_category (records.ref, records.category) == NULL)
    {
      fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, "category", "unknown category");
      return FALSE;
    }
  if (records.group != NULL)
    {
      g_autoptr(GPtrArray) groups = fq_refdata_get_groups (records.ref);
      gboolean known = FALSE;

      for (guint i = 0; i < groups->len && !known; i++)
        known = g_strcmp0 (((const FqCategoryGroupInfo *)g_ptr_array_index (groups, i))->code,
                           records.group) == 0;
      if (!known)
        {
          fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, "group", "unknown category group");
          return FALSE;
        }
    }
  if (records.unit != NULL && record_metrics[records.metric].ticket == NULL)
    {
      fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, "unit",
                          "only figures of tickets can be limited to a unit");
      return FALSE;
    }

  if (record_metrics[records.metric].incident != NULL)
    ok = scan_incidents (job, incidents_records_sql, &scope, scope.from, scope.to,
                         records_incident, &records, error);
  else
    ok = scan_tickets_sql (job, tickets_records_sql, &scope, scope.from, scope.to,
                           records_ticket, &records, error);
  if (!ok)
    return FALSE;

  from = fq_time_format (scope.from);
  to = fq_time_format (scope.to);
  out = g_string_sized_new (rowids->len * 18 + 256);
  g_string_append (out, "{\"period\":{\"from\":");
  append_json_string (out, from);
  g_string_append (out, ",\"to\":");
  append_json_string (out, to);
  g_string_append (out, "},\"grid\":");
  append_json_string (out, scope.grid);
  g_string_append (out, ",\"metric\":");
  append_json_string (out, record_metrics[records.metric].name);
  g_string_append_printf (out, ",\"entity\":\"%s\",\"count\":%" G_GINT64_FORMAT ",\"ids\":[",
                          record_metrics[records.metric].incident != NULL ? "incident" : "ticket",
                          (gint64)rowids->len);
  if (!append_ids (job, record_metrics[records.metric].incident != NULL ? incident_id_sql
                                                                        : ticket_id_sql,
                   rowids, out, error))
    {
      g_string_free (out, TRUE);
      return FALSE;
    }
  g_string_append (out, "]}");
  fq_job_respond_json_text (job, SOUP_STATUS_OK, g_string_free (out, FALSE));
  return TRUE;
}

/* ---- routes ---- */

#define METRICS_ROLES (FQ_ROLE_BIT (FQ_ROLE_LEADER) | FQ_ROLE_BIT (FQ_ROLE_COORDINATOR) | \
                       FQ_ROLE_BIT (FQ_ROLE_OPERATOR) | FQ_ROLE_BIT (FQ_ROLE_ADMIN))

static void
metrics_summary (FqRequest *request)
{
  if (fq_request_require_role (request, METRICS_ROLES))
    fq_request_run (request, FQ_JOB_READ, summary_job, NULL, NULL);
}

static void
metrics_trend (FqRequest *request)
{
  if (fq_request_require_role (request, METRICS_ROLES))
    fq_request_run (request, FQ_JOB_READ, trend_job, NULL, NULL);
}

static void
metrics_units (FqRequest *request)
{
  if (fq_request_require_role (request, METRICS_ROLES))
    fq_request_run (request, FQ_JOB_READ, units_job, NULL, NULL);
}

static void
metrics_records (FqRequest *request)
{
  if (fq_request_require_role (request, METRICS_ROLES))
    fq_request_run (request, FQ_JOB_READ, records_job, NULL, NULL);
}

static void
metrics_categories (FqRequest *request)
{
  if (fq_request_require_role (request, METRICS_ROLES))
    fq_request_run (request, FQ_JOB_READ, categories_job, NULL, NULL);
}

void
fq_metrics_register (FqServer *server)
{
  fq_server_add_route (server, "GET", "/metrics/summary", FQ_ROUTE_DEFAULT, metrics_summary);
  fq_server_add_route (server, "GET", "/metrics/trend", FQ_ROUTE_DEFAULT, metrics_trend);
  fq_server_add_route (server, "GET", "/metrics/units", FQ_ROUTE_DEFAULT, metrics_units);
  fq_server_add_route (server, "GET", "/metrics/categories", FQ_ROUTE_DEFAULT,
                       metrics_categories);
  fq_server_add_route (server, "GET", "/metrics/records", FQ_ROUTE_DEFAULT, metrics_records);
}
