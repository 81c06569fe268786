/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The domain tables: incidents, tickets, the units of a ticket, the ticket
 * timeline and (step 2) convening sessions. The store runs each string as
 * one migration step, after its own infrastructure tables; a new step is
 * only ever appended.
 *
 * Times are Unix seconds (UTC). Identifiers are text (see fq-entities.h for
 * their format). Grid codes are stored as given, so that a subtree is one
 * range scan: grid >= prefix AND grid < prefix_end.
 */

#include "config.h"

#include "fq-server-private.h"

const char * const fq_schema_domain_migrations[] = {
  /* 1: incidents, tickets, ticket units, events. */
  "CREATE TABLE domain_counters ("
  "  name  TEXT PRIMARY KEY,"
  "  value INTEGER NOT NULL"
  ") WITHOUT ROWID;"

  "CREATE TABLE incidents ("
  "  id                 TEXT PRIMARY KEY,"
  "  source             TEXT NOT NULL,"
  "  external_id        TEXT,"
  "  received_at        INTEGER NOT NULL,"
  "  caller_name        TEXT,"
  "  caller_phone       TEXT,"
  "  phone_norm         TEXT,"
  "  address            TEXT,"
  "  address_norm       TEXT,"
  "  grid               TEXT NOT NULL,"
  "  community          TEXT,"
  "  summary            TEXT NOT NULL,"
  "  description        TEXT,"
  "  category           TEXT,"
  "  status             TEXT NOT NULL DEFAULT 'new',"
  "  decision           TEXT,"
  "  ticket             TEXT,"
  "  repeat_of          TEXT,"
  "  repeat_candidates  TEXT,"              /* JSON array, as answered */
  "  suggested_category TEXT,"              /* JSON object or NULL */
  "  triage_note        TEXT,"
  "  triaged_at         INTEGER,"
  "  triaged_by         TEXT,"
  "  created_by         TEXT,"
  "  created_at         INTEGER NOT NULL,"
  "  updated_at         INTEGER NOT NULL,"
  "  rev                INTEGER NOT NULL DEFAULT 1"
  ");"
  /* Idempotent intake from other systems. */
  "CREATE UNIQUE INDEX incidents_external ON incidents (source, external_id)"
  "  WHERE external_id IS NOT NULL;"
  /* Repeat detection: the three candidate queries of fq-repeat.h. */
  "CREATE INDEX incidents_repeat_phone ON incidents (phone_norm, community, received_at)"
  "  WHERE phone_norm IS NOT NULL;"
  "CREATE INDEX incidents_repeat_address ON incidents (address_norm, category, received_at)"
  "  WHERE address_norm IS NOT NULL;"
  "CREATE INDEX incidents_repeat_summary ON incidents (community, category, received_at);"
  /* Lists, newest first, and their common filters. */
  "CREATE INDEX incidents_received ON incidents (received_at, id);"
  /* The triage queue: only incidents waiting are indexed. */
  "CREATE INDEX incidents_waiting ON incidents (received_at, id) WHERE status = 'new';"
  /* Covers the metrics' range queries, so that a year of a city is read
   * from the index alone rather than from a row lookup per incident. */
  "CREATE INDEX incidents_grid ON incidents (grid, received_at, source, decision, category,"
  "                                          repeat_of);"
  "CREATE INDEX incidents_ticket ON incidents (ticket) WHERE ticket IS NOT NULL;"
  "CREATE INDEX incidents_repeat_of ON incidents (repeat_of) WHERE repeat_of IS NOT NULL;"

  "CREATE TABLE tickets ("
  "  id              TEXT PRIMARY KEY,"
  "  title           TEXT NOT NULL,"
  "  category        TEXT NOT NULL,"
  "  grid            TEXT NOT NULL,"
  "  tier            TEXT NOT NULL,"
  "  lead_unit       TEXT NOT NULL,"
  "  state           TEXT NOT NULL,"
  "  created_at      INTEGER NOT NULL,"
  "  dispatched_at   INTEGER,"
  "  accepted_at     INTEGER,"
  "  resolved_at     INTEGER,"
  "  closed_at       INTEGER,"
  "  deadline        INTEGER,"
  "  overdue         INTEGER NOT NULL DEFAULT 0,"
  /* FqSlaBreach bits already recorded as sla_breached events, so that each
   * breach is recorded once. */
  "  sla_recorded    INTEGER NOT NULL DEFAULT 0,"
  "  satisfaction    INTEGER,"
  "  returned_count  INTEGER NOT NULL DEFAULT 0,"
  "  reopened_count  INTEGER NOT NULL DEFAULT 0,"
  "  rejected_count  INTEGER NOT NULL DEFAULT 0,"
  "  repeat_count    INTEGER NOT NULL DEFAULT 0,"
  "  escalated_count INTEGER NOT NULL DEFAULT 0,"
  "  updated_at      INTEGER NOT NULL,"
  "  rev             INTEGER NOT NULL DEFAULT 1"
  ");"
  "CREATE INDEX tickets_created ON tickets (created_at, id);"
  "CREATE INDEX tickets_state ON tickets (state, created_at);"
  "CREATE INDEX tickets_grid ON tickets (grid, created_at, state, lead_unit, category,"
  "                                      dispatched_at, accepted_at, resolved_at, deadline,"
  "                                      returned_count, rejected_count, reopened_count,"
  "                                      satisfaction);"
  "CREATE INDEX tickets_category ON tickets (category, created_at);"
  "CREATE INDEX tickets_deadline ON tickets (deadline)"
  "  WHERE state IN ('dispatched', 'accepted', 'returned');"
  "CREATE INDEX tickets_overdue ON tickets (overdue, created_at) WHERE overdue = 1;"

  /* The lead unit and the assisting units of each ticket, so that "tickets
   * of my unit" is one index lookup whatever the unit's part. */
  "CREATE TABLE ticket_units ("
  "  ticket TEXT NOT NULL,"
  "  unit   TEXT NOT NULL,"
  "  role   TEXT NOT NULL,"                 /* lead | assist */
  "  position INTEGER NOT NULL,"           /* 0: the lead, then in order of joining */
  "  PRIMARY KEY (ticket, unit)"
  ") WITHOUT ROWID;"
  "CREATE INDEX ticket_units_unit ON ticket_units (unit, ticket);"

  "CREATE TABLE events ("
  "  id     INTEGER PRIMARY KEY,"
  "  ticket TEXT NOT NULL,"
  "  at     INTEGER NOT NULL,"
  "  kind   TEXT NOT NULL,"
  "  actor  TEXT,"
  "  unit   TEXT,"
  "  note   TEXT,"
  "  data   TEXT"                           /* JSON object or NULL */
  ");"
  "CREATE INDEX events_ticket ON events (ticket, at, id);",

  /* 2: convening sessions (fq-sessions.c): the session, its invitees (units
   * and named external participants), its decisions and its action items. */
  "CREATE TABLE sessions ("
  "  id            TEXT PRIMARY KEY,"
  "  ticket        TEXT NOT NULL,"
  "  grid          TEXT NOT NULL,"          /* the ticket's, for scope and metrics */
  "  title         TEXT NOT NULL,"
  "  convener_unit TEXT NOT NULL,"
  "  scheduled_at  INTEGER NOT NULL,"
  "  location      TEXT,"
  "  agenda        TEXT,"
  "  state         TEXT NOT NULL,"
  "  minutes       TEXT,"
  "  started_at    INTEGER,"
  "  concluded_at  INTEGER,"
  "  cancelled_at  INTEGER,"
  "  cancel_note   TEXT,"
  "  created_by    TEXT,"
  "  created_at    INTEGER NOT NULL,"
  "  updated_at    INTEGER NOT NULL,"
  "  rev           INTEGER NOT NULL DEFAULT 1"
  ");"
  /* Lists, newest scheduled first, by state, by ticket, by convener; the
   * grid index covers the unit assessment's range read. */
  "CREATE INDEX sessions_scheduled ON sessions (scheduled_at, id);"
  "CREATE INDEX sessions_state ON sessions (state, scheduled_at, id);"
  "CREATE INDEX sessions_ticket ON sessions (ticket, created_at, id);"
  "CREATE INDEX sessions_convener ON sessions (convener_unit, scheduled_at);"
  "CREATE INDEX sessions_grid ON sessions (grid, scheduled_at, state);"

  /* A unit invitee has `unit` and a status; an external participant
   * (residents', a company's representative) has `name` and `organisation`
   * and no status. */
  "CREATE TABLE session_invitees ("
  "  session       TEXT NOT NULL,"
  "  position      INTEGER NOT NULL,"
  "  unit          TEXT,"
  "  name          TEXT,"
  "  organisation  TEXT,"
  "  status        TEXT,"                   /* invited | checked_in | absent | excused */
  "  checked_in_at INTEGER,"
  "  delay_minutes INTEGER,"               /* check-in after the scheduled start */
  "  status_by     TEXT,"
  "  status_at     INTEGER,"
  "  PRIMARY KEY (session, position)"
  ") WITHOUT ROWID;"
  "CREATE UNIQUE INDEX session_invitees_unit ON session_invitees (unit, session)"
  "  WHERE unit IS NOT NULL;"

  "CREATE TABLE session_decisions ("
  "  id      INTEGER PRIMARY KEY,"
  "  session TEXT NOT NULL,"
  "  text    TEXT NOT NULL,"
  "  at      INTEGER NOT NULL,"
  "  actor   TEXT"
  ");"
  "CREATE INDEX session_decisions_session ON session_decisions (session, id);"

  "CREATE TABLE action_items ("
  "  id               INTEGER PRIMARY KEY,"
  "  session          TEXT NOT NULL,"
  "  ticket           TEXT NOT NULL,"
  "  text             TEXT NOT NULL,"
  "  owner_unit       TEXT NOT NULL,"
  "  due              INTEGER NOT NULL,"
  "  done_at          INTEGER,"
  "  done_by          TEXT,"
  /* Set once its overdue has been recorded as an sla_breached event. */
  "  overdue_recorded INTEGER NOT NULL DEFAULT 0,"
  "  created_at       INTEGER NOT NULL,"
  "  created_by       TEXT"
  ");"
  "CREATE INDEX action_items_session ON action_items (session, id);"
  "CREATE INDEX action_items_owner ON action_items (owner_unit, due);"
  "CREATE INDEX action_items_ticket ON action_items (ticket, due);"
  /* Open items by due time: the overdue ones are a prefix of it. */
  "CREATE INDEX action_items_open ON action_items (due, session) WHERE done_at IS NULL;",

  /* 3: Open311 (fq-open311.c): the client systems' keys (stored as a hash,
   * like sign-in tokens) and what a request brought beside its incident. */
  "CREATE TABLE open311_keys ("
  "  id          INTEGER PRIMARY KEY,"
  "  name        TEXT NOT NULL,"
  "  hash        TEXT NOT NULL UNIQUE,"     /* hex of the key's generic hash */
  "  created_at  INTEGER NOT NULL,"
  "  created_by  TEXT,"
  "  revoked_at  INTEGER"
  ");"
  "CREATE TABLE open311_requests ("
  "  incident     TEXT PRIMARY KEY,"
  "  token        TEXT NOT NULL UNIQUE,"
  "  key_id       INTEGER NOT NULL,"
  "  service_code TEXT NOT NULL,"
  "  lat          REAL,"
  "  long         REAL,"
  "  address_id   TEXT,"
  "  email        TEXT,"
  "  device_id    TEXT,"
  "  account_id   TEXT,"
  "  media_url    TEXT,"
  "  requested_at INTEGER NOT NULL"
  ") WITHOUT ROWID;"
  "CREATE INDEX open311_requests_time ON open311_requests (requested_at, incident);",

  /* 4: a ticket's timeline and incidents, read from their index alone
   * (FQ_TICKET_TIMELINE_SQL, FQ_TICKET_INCIDENTS_SQL). Rows are stored in
   * the order they were written, so the seven or so events of a ticket lie
   * on about five pages of the events table, and its incident on a page of
   * its own, among calls that never became tickets: a ticket not read
   * before cost a row lookup in the table for each, and the incidents a
   * sort as well. The indexes hold the rows in the ticket's order instead;
   * the timeline's holds every column, about 14 MB more for 13 months of a
   * city (128,000 events). */
  "DROP INDEX events_ticket;"
  "CREATE INDEX events_timeline ON events (ticket, at, id, kind, actor, unit, note, data);"
  "DROP INDEX incidents_ticket;"
  "CREATE INDEX incidents_ticket ON incidents (ticket, received_at, id) WHERE ticket IS NOT NULL;",

  /* 5: the name the actor went by when the event was written, so that a
   * timeline says who acted (刘秀英) and not only under which account. Older
   * events keep NULL: the console shows their account. The timeline's
   * index keeps holding every column. */
  "ALTER TABLE events ADD COLUMN actor_name TEXT;"
  "DROP INDEX events_timeline;"
  "CREATE INDEX events_timeline ON events (ticket, at, id, kind, actor, unit, note, data,"
  "  actor_name);",

  NULL
};
