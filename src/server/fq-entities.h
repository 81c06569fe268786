/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * The domain records as C structs, their rows and their API JSON, shared by
 * the incident and ticket handlers, the change feed and the demo generator,
 * so that a record reads the same whichever way it reaches a client.
 *
 * Identifiers (opaque to clients, but readable on a phone call and sortable
 * by creation):
 *
 *   incident  I + yymmdd + "-" + 6-digit sequence of that day, e.g. I261129-000123
 *   ticket    T + yymmdd + "-" + 6-digit sequence of that day, e.g. T261129-000047
 *   event     E + a server-wide integer, e.g. E1042
 *   session   S + yymmdd + "-" + 6-digit sequence of that day, e.g. S261129-000003
 *
 * The day is the creation day in China Standard Time (UTC+8), which is the
 * working day of the people who read the numbers; the sequences live in the
 * domain_counters table (one row per kind and day).
 *
 * List cursors are base64url (no padding) of "SORTKEY:ID", where SORTKEY is
 * the decimal Unix time the list is sorted by (incidents: received_at,
 * tickets: created_at) and ID the last row's id.
 */

#include <sqlite3.h>

#include "fq-server-private.h"
#include "fq-sqlite.h"

G_BEGIN_DECLS

/* A connection with a statement cache: a job's (fq_job_prepare) or, for
 * bulk loaders, a bare connection's own. */
typedef struct _FqDb FqDb;

FqDb         *fq_db_new         (sqlite3    *handle);
FqDb         *fq_db_new_for_job (FqJob      *job);
void          fq_db_free        (FqDb       *db);
sqlite3      *fq_db_get_handle  (FqDb       *db);
/* Reset and with bindings cleared; do not finalize. */
sqlite3_stmt *fq_db_prepare     (FqDb       *db,
                                 const char *sql,
                                 GError    **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FqDb, fq_db_free)

/* China Standard Time has no daylight saving time. */
#define FQ_CST_OFFSET_SECONDS (8 * 3600)

typedef struct
{
  char             *id;
  FqSource          source;
  char             *external_id;
  gint64            received_at;
  char             *caller_name;
  char             *caller_phone;
  char             *phone_norm;
  char             *address;
  char             *address_norm;
  char             *grid;
  char             *community;
  char             *summary;
  char             *description;
  char             *category;
  FqIncidentStatus  status;
  int               decision;             /* FqDecision, or -1 */
  char             *ticket;
  char             *repeat_of;
  char             *repeat_candidates;    /* JSON array text, or NULL for [] */
  char             *suggested_category;   /* JSON object text, or NULL */
  char             *triage_note;
  gint64            triaged_at;
  char             *triaged_by;
  char             *created_by;
  gint64            created_at;
  gint64            updated_at;
  gint64            rev;
} FqIncident;

typedef struct
{
  char          *id;
  char          *title;
  char          *category;
  char          *grid;
  FqTier         tier;
  char          *lead_unit;
  GPtrArray     *assisting_units;  /* (element-type utf8) */
  FqTicketState  state;
  GPtrArray     *incidents;        /* (element-type utf8), oldest first */
  /* The conveners and invited units of its convening sessions, who may read
   * it (fq-sessions.c); (element-type utf8), NULL when not loaded. */
  GPtrArray     *session_units;
  gint64         created_at;
  gint64         dispatched_at;    /* 0: not yet (for all times) */
  gint64         accepted_at;
  gint64         resolved_at;
  gint64         closed_at;
  gint64         deadline;
  gboolean       overdue;
  guint          sla_recorded;     /* FqSlaBreach */
  int            satisfaction;     /* 0: none */
  gint64         returned_count;
  gint64         reopened_count;
  gint64         rejected_count;
  gint64         repeat_count;
  gint64         escalated_count;
  gint64         updated_at;
  gint64         rev;
} FqTicket;

typedef struct
{
  gint64       id;
  char        *ticket;
  gint64       at;
  FqEventKind  kind;
  char        *actor;       /* the account's username, or NULL for the system */
  char        *actor_name;  /* the user's display name when the event was written */
  char        *unit;
  char        *note;
  char        *data;   /* JSON object text, or NULL */
} FqEvent;

void        fq_incident_free          (FqIncident *incident);
void        fq_ticket_free            (FqTicket   *ticket);
void        fq_event_free             (FqEvent    *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FqIncident, fq_incident_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FqTicket, fq_ticket_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FqEvent, fq_event_free)

/* Column lists, in the order the *_from_stmt readers expect them. */
#define FQ_INCIDENT_COLUMNS \
  "id, source, external_id, received_at, caller_name, caller_phone, phone_norm, " \
  "address, address_norm, grid, community, summary, description, category, "     \
  "status, decision, ticket, repeat_of, repeat_candidates, suggested_category, "  \
  "triage_note, triaged_at, triaged_by, created_by, created_at, updated_at, rev"
#define FQ_TICKET_COLUMNS \
  "id, title, category, grid, tier, lead_unit, state, created_at, dispatched_at, " \
  "accepted_at, resolved_at, closed_at, deadline, overdue, sla_recorded, "        \
  "satisfaction, returned_count, reopened_count, rejected_count, repeat_count, "  \
  "escalated_count, updated_at, rev"
#define FQ_EVENT_COLUMNS "id, ticket, at, kind, actor, unit, note, data, actor_name"

/* What a read of one ticket asks for beside its row: its timeline and its
 * incidents, oldest first. Each is answered from one index alone, in order
 * (domain migration 4): the rows of a ticket lie together there, while in
 * the tables they lie scattered among a city's other records. */
#define FQ_TICKET_TIMELINE_SQL \
  "SELECT " FQ_EVENT_COLUMNS " FROM events WHERE ticket = ? ORDER BY at, id"
#define FQ_TICKET_INCIDENTS_SQL \
  "SELECT id FROM incidents WHERE ticket = ? ORDER BY received_at, id"

FqIncident *fq_incident_from_stmt     (sqlite3_stmt *stmt);
/* Reads the ticket's row; assisting units and incidents are filled by
 * fq_ticket_load_relations(). */
FqTicket   *fq_ticket_from_stmt       (sqlite3_stmt *stmt);

/* Loads one record by id, or NULL (with no error) if there is none. */
FqIncident *fq_incident_load          (FqDb         *db,
                                       const char   *id,
                                       GError      **error);
FqTicket   *fq_ticket_load            (FqDb         *db,
                                       const char   *id,
                                       GError      **error);
gboolean    fq_ticket_load_relations  (FqDb         *db,
                                       FqTicket     *ticket,
                                       GError      **error);
/* Adds @incident to the ticket's incidents where a read from the database
 * will find it: by received_at, then id. */
gboolean    fq_ticket_insert_incident (FqDb             *db,
                                       FqTicket         *ticket,
                                       const FqIncident *incident,
                                       GError          **error);

/* INSERT OR REPLACE of the whole record (the ticket's units too). */
gboolean    fq_incident_store         (FqDb         *db,
                                       const FqIncident *incident,
                                       GError      **error);
gboolean    fq_ticket_store           (FqDb         *db,
                                       const FqTicket *ticket,
                                       GError      **error);
/* Inserts @event; sets event->id when it is 0. */
gboolean    fq_event_store            (FqDb         *db,
                                       FqEvent      *event,
                                       GError      **error);

/* The lead unit, the assisting units and the session units, NULL-terminated,
 * for fq_user_can_see() and the change feed. Free with g_free (the strings are
 * borrowed from @ticket). */
const char **fq_ticket_units          (const FqTicket *ticket);
gboolean    fq_ticket_has_unit        (const FqTicket *ticket,
                                       const char     *unit);

/* "2026-11-29T08:00:00Z", as fq_time_format() writes it, without
 * allocating. */
#define FQ_TIME_TEXT_SIZE 32
void        fq_entities_format_time   (gint64            unix_seconds,
                                       char              out[FQ_TIME_TEXT_SIZE]);

/* API JSON. @accept_limit and @now decide `overdue` at read time. */
void        fq_incident_write_json    (GString          *out,
                                       const FqIncident *incident);
void        fq_ticket_write_json      (GString          *out,
                                       const FqTicket   *ticket,
                                       gint64            accept_limit,
                                       gint64            now);
void        fq_event_write_json       (GString          *out,
                                       const FqEvent    *event);
/* @text as a JSON string (null for NULL), escaped as the writers above do. */
void        fq_json_append_string     (GString          *out,
                                       const char       *text);
JsonNode   *fq_incident_to_json       (const FqIncident *incident);
JsonNode   *fq_ticket_to_json         (const FqTicket   *ticket,
                                       gint64            accept_limit,
                                       gint64            now);
JsonNode   *fq_event_to_json          (const FqEvent    *event);
char       *fq_event_id_to_string     (gint64            id);

/* The next id of @kind ('I', 'T' or 'S') for the CST day of @at. */
char       *fq_entities_next_id       (FqDb         *db,
                                       char          kind,
                                       gint64        at,
                                       GError      **error);
/* The FqUnitRelation of @user's unit to @ticket. */
guint       fq_ticket_relation        (const FqTicket *ticket,
                                       const FqUser   *user);
/* The SLA breaches of @ticket at @now, and whether it is overdue. */
guint       fq_ticket_breaches        (const FqTicket *ticket,
                                       gint64          accept_limit,
                                       gint64          now);

/* Cursors (see above). fq_cursor_decode raises FQ_ERROR_BAD_REQUEST
 * "cursor: …". */
char       *fq_cursor_encode          (gint64        key,
                                       const char   *id);
gboolean    fq_cursor_decode          (const char   *cursor,
                                       gint64       *key,
                                       char        **id,
                                       GError      **error);

/* The exclusive end of the range of codes starting with @prefix. */
char       *fq_prefix_end             (const char   *prefix);

/* Binds NULL for a NULL string, like fq_sqlite_bind_text(), but without a
 * copy: the text must stay alive until the statement has been stepped (the
 * demo binds millions of values). Times and errors use fq-sqlite.h. */
void        fq_bind_text              (sqlite3_stmt *stmt,
                                       int           index,
                                       const char   *text);

/* ---- writes through a job ---- */

/* Visibility (fq_user_can_see) of an incident: its grid, and the units of
 * the ticket it is attached to (none: not visible to unit staff). A NULL
 * @user sees everything (the system). */
gboolean    fq_incident_units         (FqDb             *db,
                                       const FqIncident *incident,
                                       GStrv            *units,
                                       GError          **error);
gboolean    fq_incident_visible       (FqDb             *db,
                                       const FqUser     *user,
                                       const FqIncident *incident,
                                       GError          **error);
gboolean    fq_ticket_visible         (const FqUser     *user,
                                       const FqTicket   *ticket);

/* Stores the record and appends its change. */
gboolean    fq_incident_save          (FqJob            *job,
                                       FqDb             *db,
                                       const FqIncident *incident,
                                       GError          **error);
/* Also sets ticket->overdue for @now. */
gboolean    fq_ticket_save            (FqJob            *job,
                                       FqDb             *db,
                                       FqTicket         *ticket,
                                       gint64            accept_limit,
                                       gint64            now,
                                       GError          **error);
/* Stores a timeline event and appends its change; takes @data. */
FqEvent    *fq_ticket_add_event       (FqJob            *job,
                                       FqDb             *db,
                                       const FqTicket   *ticket,
                                       gint64            at,
                                       FqEventKind       kind,
                                       const char       *actor,
                                       const char       *actor_name,
                                       const char       *unit,
                                       const char       *note,
                                       JsonNode         *data,
                                       GError          **error);
/* Appends an sla_breached event for each breach in force at @now that was
 * not recorded yet (the caller saves the ticket afterwards). */
gboolean    fq_ticket_record_breaches (FqJob            *job,
                                       FqDb             *db,
                                       FqTicket         *ticket,
                                       gint64            accept_limit,
                                       gint64            now,
                                       GError          **error);
/* What GET /tickets/{id} reads from the database, apart from the reader
 * and the moment: fq_ticket_detail_write() makes the answer for a given
 * user at a given time, so that a detail kept in memory
 * (fq-ticket-cache.c) gives the same answer as a fresh read. */
typedef struct
{
  FqTicket *ticket;
  /* The answer's text, written once: the ticket's members up to its SLA
   * flags, which depend on the moment; then the members after them,
   * `events` (oldest first), `sessions` and the opening of
   * `allowed_actions`, which depend on the user. */
  char     *head;
  gsize     head_length;
  char     *tail;
  gsize     tail_length;
  /* The first second at which `sessions` reads otherwise (an action item
   * falls overdue); G_MAXINT64: never by itself. */
  gint64    sessions_until;
} FqTicketDetail;

/* Reads @ticket's timeline and sessions as of @now; takes @ticket. NULL on
 * error (and @ticket is freed). */
FqTicketDetail *fq_ticket_detail_read  (FqDb                 *db,
                                        FqTicket             *ticket,
                                        gint64                now,
                                        GError              **error);
void        fq_ticket_detail_free     (FqTicketDetail   *detail);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FqTicketDetail, fq_ticket_detail_free)
/* The ticket as JSON text, written without a tree: its own members (its
 * SLA flags decided at @now), then `events`, `sessions` and
 * `allowed_actions` for @user. @now must be before @detail's
 * sessions_until. */
char       *fq_ticket_detail_write    (const FqTicketDetail *detail,
                                       const FqUser         *user,
                                       gint64                accept_limit,
                                       gint64                now,
                                       gsize                *length);

/* The API's error object, for answers that carry more than an FqError
 * (invalid_transition with `allowed`). */
JsonNode   *fq_error_json             (FqErrorCode       code,
                                       const char       *field,
                                       const char       *message);
JsonArray  *fq_actions_to_json        (guint             mask);

/* ---- the domain's writes, shared by the handlers and the demo feed ---- */

/* Intake as POST /incidents: validates @body, detects repeats, stores the
 * incident and its change. An incident already known by (source,
 * external_id) is returned with @existed set, and nothing is written. */
FqIncident *fq_incident_create        (FqJob            *job,
                                       FqDb             *db,
                                       JsonObject       *body,
                                       gboolean         *existed,
                                       GError          **error);
/* The checks of fq_incident_create() on @body alone, writing nothing
 * (the hotline import's dry run): FALSE with the field's error. */
gboolean    fq_incident_check_new     (JsonObject       *body,
                                       FqRefData        *ref,
                                       const FqUser     *user,
                                       gint64            now,
                                       GError          **error);
/* Triage as POST /incidents/{id}/triage (the caller has checked that the
 * job's user may see @incident). @ticket_out: the ticket created or merged
 * into, or NULL. */
gboolean    fq_incident_triage        (FqJob            *job,
                                       FqDb             *db,
                                       FqIncident       *incident,
                                       JsonObject       *body,
                                       FqTicket        **ticket_out,
                                       GError          **error);
/* A ticket action as POST /tickets/{id}/actions, taken by @user (the job's
 * user, or a demo actor), the caller having checked visibility. On
 * FQ_ERROR_INVALID_TRANSITION, @allowed_out holds the actions allowed now
 * (a mask of 1 << FqTicketAction). */
gboolean    fq_ticket_apply_action    (FqJob            *job,
                                       FqDb             *db,
                                       const FqUser     *user,
                                       FqTicket         *ticket,
                                       JsonObject       *body,
                                       guint            *allowed_out,
                                       GError          **error);

/* ---- list helpers ---- */

/* Appends a LIKE pattern matching @text anywhere (escape character '\\'). */
void        fq_sql_like_pattern       (GString          *out,
                                       const char       *text);
/* A query parameter holding an enum nick; -1 when absent. */
gboolean    fq_query_enum             (FqRequest        *request,
                                       const char       *name,
                                       GType             type,
                                       int              *out,
                                       GError          **error);
/* Whether a list limited to these prefixes (@filter_prefix may be NULL) is
 * narrow enough to be read through a grid index rather than a time index. */
gboolean    fq_narrow_grid_range      (const char       *scope_prefix,
                                       const char       *filter_prefix);
/* The scope prefix of the `grid` query parameter, NULL when absent. */
gboolean    fq_query_grid_prefix      (FqRequest        *request,
                                       FqRefData        *ref,
                                       char            **prefix,
                                       GError          **error);

G_END_DECLS
