/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Convening sessions (吹哨报到 / 联合会商, DOMAIN.md "Convening sessions",
 * API.md "Convening sessions"): POST /tickets/{id}/sessions, GET /sessions,
 * GET /sessions/{id}, POST /sessions/{id}/actions, and a watch that records
 * overdue action items.
 *
 * The rules as implemented (where the design was silent, the choice made):
 *
 * Who sees what. A session is visible to whoever may read its ticket, and a
 * ticket may be read by the units of its sessions (the convener and every
 * invited unit) as well as by its lead and assisting units: an invited unit
 * must be able to read the matter it is called about. So the units of every
 * session change, of the session's timeline events and of the ticket's own
 * changes are the ticket's lead, assisting and session units
 * (fq_ticket_units()), at the ticket's grid. An invited unit gets no ticket
 * action from this (its relation to the ticket stays "none"), and it does
 * not see the ticket's incidents (callers' details stay with the units that
 * handle the matter). Out of scope answers 404, as a missing record does.
 *
 * Calling a session. A coordinator, or a user of the ticket's lead unit,
 * may call one on a ticket that is not closed (closed: 409
 * invalid_transition, with the ticket actions the caller may take, e.g.
 * reopen). Body: title and scheduled_at required; location, agenda
 * optional; invitees: at least one known unit id (duplicates collapsed);
 * external_participants: named people (name required, organisation
 * optional), who are listed but have no attendance status. The convener
 * unit is the caller's unit for unit staff; for a coordinator the
 * `convener_unit` given, else the street office of the ticket's street,
 * else the ticket's lead unit. The ticket's timeline gets `whistle`; when
 * the session brings units new to the ticket, the ticket's change goes out
 * again so that their consoles receive it.
 *
 * Actions (POST /sessions/{id}/actions with `action`, `rev`, optional
 * `note`). Managers of a session are coordinators and the users of its
 * convener unit; leaders only read (403 at the route); operators, grid
 * workers, administrators and other units: 403.
 *
 *   action                 states                  who
 *   start                  scheduled               managers
 *   check_in (unit)        scheduled, in_progress  managers (any invited
 *                                                  unit), an invited unit's
 *                                                  users (their own; `unit`
 *                                                  then defaults to it)
 *   mark_absent (unit)     in_progress             managers
 *   excuse (unit)          scheduled, in_progress  managers
 *   minutes (text)         in_progress, concluded  managers
 *   decide (text)          in_progress             managers
 *   add_action_item        in_progress             managers
 *     (text, owner_unit: the convener or an invited unit, due)
 *   complete_action_item   in_progress, concluded  managers, users of the
 *     (item)                                       item's owner unit
 *   conclude               in_progress, with at    managers
 *                          least one decision
 *   cancel (note)          scheduled, in_progress  managers
 *
 * Order of checks: 404 (not visible), 422 (action, rev), 409 stale_rev, 403
 * (the role or unit may never take this action here; a unit checking in
 * another unit or completing another unit's item), 409
 * invalid_transition with `allowed` (the actions the caller may take now:
 * wrong state, conclude without a decision), 422 (the action's fields),
 * then the checks that depend on them: 403 for another unit's check-in or
 * action item, 409 invalid_transition for an invitee or item in the wrong
 * status (already checked in, already done).
 *
 * Invitee statuses: invited → checked_in | absent | excused; absent and
 * excused units may still check in (they came after all); a checked-in
 * unit stays so. Check-in records checked_in_at and delay_minutes, the
 * whole minutes after the scheduled start (0 when on time or early).
 * Concluding marks the units still `invited` absent.
 *
 * Minutes are a full replacement (an empty text clears them). So that the
 * console can replay minutes typed while the server was away, a `minutes`
 * action whose text equals the stored minutes answers 200 with the session
 * unchanged, whatever its `rev`; any other text needs the current `rev`.
 *
 * Timeline events on the ticket: whistle (called), convened (started; data
 * delay_minutes), checked_in (unit = the unit checked in; data
 * delay_minutes), action_done (unit = the owner; data late), consensus
 * (concluded; data elapsed_seconds since the whistle, the decisions), and
 * sla_breached with data {"breach":"action_item"} once for each action item
 * that ran past its due time. A cancelled session leaves a comment event.
 * Every event's data names the session.
 *
 * Action items are overdue when their due time has passed and they are not
 * done: `overdue` is decided at read time; the breach is recorded (once)
 * by the next write of the session or by the watch, every minute.
 *
 * Ids: sessions S + yymmdd + "-" + sequence (fq-entities.h), decisions
 * D + integer, action items A + integer. Lists: newest scheduled first,
 * cursor "scheduled_at:id".
 */

#include "config.h"

#include <string.h>

#include "fq-enum-types.h"
#include "fq-sla.h"
#include "fq-ticket-machine.h"

#include "fq-entities.h"
#include "fq-server-private.h"
#include "fq-sessions.h"

#define WATCH_INTERVAL_SECONDS 60
#define WATCH_BATCH            200
#define MAX_MINUTES_CHARS      100000
#define MAX_NOTE_CHARS         2000

typedef enum
{
  STATE_SCHEDULED,
  STATE_IN_PROGRESS,
  STATE_CONCLUDED,
  STATE_CANCELLED,
  N_STATES
} State;

static const char * const state_names[N_STATES] = {
  "scheduled", "in_progress", "concluded", "cancelled",
};

typedef enum
{
  STATUS_INVITED,
  STATUS_CHECKED_IN,
  STATUS_ABSENT,
  STATUS_EXCUSED,
  N_STATUSES
} Status;

static const char * const status_names[N_STATUSES] = {
  "invited", "checked_in", "absent", "excused",
};

typedef enum
{
  ACTION_START,
  ACTION_CHECK_IN,
  ACTION_MARK_ABSENT,
  ACTION_EXCUSE,
  ACTION_MINUTES,
  ACTION_DECIDE,
  ACTION_ADD_ACTION_ITEM,
  ACTION_COMPLETE_ACTION_ITEM,
  ACTION_CONCLUDE,
  ACTION_CANCEL,
  N_ACTIONS
} Action;

static const char * const action_names[N_ACTIONS] = {
  "start", "check_in", "mark_absent", "excuse", "minutes", "decide", "add_action_item",
  "complete_action_item", "conclude", "cancel",
};

static int
name_index (const char * const *names,
            int                 n,
            const char         *name)
{
  for (int i = 0; name != NULL && i < n; i++)
    if (strcmp (names[i], name) == 0)
      return i;
  return -1;
}

/* ---- records ---- */

typedef struct
{
  char   *unit;           /* NULL: an external participant */
  char   *name;
  char   *organisation;
  Status  status;
  gint64  checked_in_at;
  gint64  delay_minutes;  /* -1: none */
  char   *status_by;
  gint64  status_at;
} Invitee;

typedef struct
{
  gint64  id;
  char   *text;
  gint64  at;
  char   *actor;
} Decision;

typedef struct
{
  gint64    id;
  char     *text;
  char     *owner_unit;
  gint64    due;
  gint64    done_at;
  char     *done_by;
  gboolean  overdue_recorded;
  gint64    created_at;
  char     *created_by;
} Item;

typedef struct
{
  char      *id;
  char      *ticket;
  char      *grid;
  char      *title;
  char      *convener_unit;
  gint64     scheduled_at;
  char      *location;
  char      *agenda;
  State      state;
  char      *minutes;
  gint64     started_at;
  gint64     concluded_at;
  gint64     cancelled_at;
  char      *cancel_note;
  char      *created_by;
  gint64     created_at;
  gint64     updated_at;
  gint64     rev;
  GPtrArray *invitees;   /* Invitee, in order of invitation */
  GPtrArray *decisions;  /* Decision, oldest first */
  GPtrArray *items;      /* Item, oldest first */
} Session;

static void
invitee_free (gpointer data)
{
  Invitee *invitee = data;

  g_free (invitee->unit);
  g_free (invitee->name);
  g_free (invitee->organisation);
  g_free (invitee->status_by);
  g_free (invitee);
}

static void
decision_free (gpointer data)
{
  Decision *decision = data;

  g_free (decision->text);
  g_free (decision->actor);
  g_free (decision);
}

static void
item_free (gpointer data)
{
  Item *item = data;

  g_free (item->text);
  g_free (item->owner_unit);
  g_free (item->done_by);
  g_free (item->created_by);
  g_free (item);
}

static Session *
session_new (void)
{
  Session *session = g_new0 (Session, 1);

  session->invitees = g_ptr_array_new_with_free_func (invitee_free);
  session->decisions = g_ptr_array_new_with_free_func (decision_free);
  session->items = g_ptr_array_new_with_free_func (item_free);
  return session;
}

static void
session_free (Session *session)
{
  if (session == NULL)
    return;
  g_free (session->id);
  g_free (session->ticket);
  g_free (session->grid);
  g_free (session->title);
  g_free (session->convener_unit);
  g_free (session->location);
  g_free (session->agenda);
  g_free (session->minutes);
  g_free (session->cancel_note);
  g_free (session->created_by);
  g_clear_pointer (&session->invitees, g_ptr_array_unref);
  g_clear_pointer (&session->decisions, g_ptr_array_unref);
  g_clear_pointer (&session->items, g_ptr_array_unref);
  g_free (session);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Session, session_free)

static Invitee *
find_unit_invitee (const Session *session,
                   const char    *unit)
{
  if (unit == NULL)
    return NULL;
  for (guint i = 0; i < session->invitees->len; i++)
    {
      Invitee *invitee = g_ptr_array_index (session->invitees, i);

      if (invitee->unit != NULL && strcmp (invitee->unit, unit) == 0)
        return invitee;
    }
  return NULL;
}

static Item *
find_item_by_id (const Session *session,
                 gint64         id)
{
  for (guint i = 0; i < session->items->len; i++)
    {
      Item *item = g_ptr_array_index (session->items, i);

      if (item->id == id)
        return item;
    }
  return NULL;
}

/* @id as the API gives it: "A" and the number. */
static Item *
find_item (const Session *session,
           const char    *id)
{
  gint64 value;
  char *end = NULL;

  if (id == NULL || id[0] != 'A')
    return NULL;
  value = g_ascii_strtoll (id + 1, &end, 10);
  if (end == id + 1 || *end != '\0')
    return NULL;
  return find_item_by_id (session, value);
}

/* ---- rows ---- */

#define SESSION_COLUMNS                                                             \
  "id, ticket, grid, title, convener_unit, scheduled_at, location, agenda, state, " \
  "minutes, started_at, concluded_at, cancelled_at, cancel_note, created_by, "      \
  "created_at, updated_at, rev"

static char *
column_dup (sqlite3_stmt *stmt,
            int           col)
{
  const unsigned char *text = sqlite3_column_text (stmt, col);

  return text != NULL ? g_strdup ((const char *)text) : NULL;
}

static Session *
session_from_stmt (sqlite3_stmt *stmt)
{
  Session *session = session_new ();
  int state;

  session->id = column_dup (stmt, 0);
  session->ticket = column_dup (stmt, 1);
  session->grid = column_dup (stmt, 2);
  session->title = column_dup (stmt, 3);
  session->convener_unit = column_dup (stmt, 4);
  session->scheduled_at = sqlite3_column_int64 (stmt, 5);
  session->location = column_dup (stmt, 6);
  session->agenda = column_dup (stmt, 7);
  state = name_index (state_names, N_STATES, (const char *)sqlite3_column_text (stmt, 8));
  session->state = state >= 0 ? state : STATE_SCHEDULED;
  session->minutes = column_dup (stmt, 9);
  session->started_at = sqlite3_column_int64 (stmt, 10);
  session->concluded_at = sqlite3_column_int64 (stmt, 11);
  session->cancelled_at = sqlite3_column_int64 (stmt, 12);
  session->cancel_note = column_dup (stmt, 13);
  session->created_by = column_dup (stmt, 14);
  session->created_at = sqlite3_column_int64 (stmt, 15);
  session->updated_at = sqlite3_column_int64 (stmt, 16);
  session->rev = sqlite3_column_int64 (stmt, 17);
  return session;
}

static gboolean
session_load_relations (FqDb     *db,
                        Session  *session,
                        GError  **error)
{
  static const char invitees_sql[] =
    "SELECT unit, name, organisation, status, checked_in_at, delay_minutes, status_by, "
    "status_at FROM session_invitees WHERE session = ? ORDER BY position";
  static const char decisions_sql[] =
    "SELECT id, text, at, actor FROM session_decisions WHERE session = ? ORDER BY id";
  static const char items_sql[] =
    "SELECT id, text, owner_unit, due, done_at, done_by, overdue_recorded, created_at, "
    "created_by FROM action_items WHERE session = ? ORDER BY id";
  sqlite3 *handle = fq_db_get_handle (db);
  sqlite3_stmt *stmt;
  int rc;

  g_ptr_array_set_size (session->invitees, 0);
  g_ptr_array_set_size (session->decisions, 0);
  g_ptr_array_set_size (session->items, 0);

  if ((stmt = fq_db_prepare (db, invitees_sql, error)) == NULL)
    return FALSE;
  fq_bind_text (stmt, 1, session->id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Invitee *invitee = g_new0 (Invitee, 1);
      int status = name_index (status_names, N_STATUSES,
                               (const char *)sqlite3_column_text (stmt, 3));

      invitee->unit = column_dup (stmt, 0);
      invitee->name = column_dup (stmt, 1);
      invitee->organisation = column_dup (stmt, 2);
      invitee->status = status >= 0 ? status : STATUS_INVITED;
      invitee->checked_in_at = sqlite3_column_int64 (stmt, 4);
      invitee->delay_minutes
          = sqlite3_column_type (stmt, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64 (stmt, 5);
      invitee->status_by = column_dup (stmt, 6);
      invitee->status_at = sqlite3_column_int64 (stmt, 7);
      g_ptr_array_add (session->invitees, invitee);
    }
  sqlite3_reset (stmt);
  if (!fq_sqlite_check (handle, rc, error))
    return FALSE;

  if ((stmt = fq_db_prepare (db, decisions_sql, error)) == NULL)
    return FALSE;
  fq_bind_text (stmt, 1, session->id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Decision *decision = g_new0 (Decision, 1);

      decision->id = sqlite3_column_int64 (stmt, 0);
      decision->text = column_dup (stmt, 1);
      decision->at = sqlite3_column_int64 (stmt, 2);
      decision->actor = column_dup (stmt, 3);
      g_ptr_array_add (session->decisions, decision);
    }
  sqlite3_reset (stmt);
  if (!fq_sqlite_check (handle, rc, error))
    return FALSE;

  if ((stmt = fq_db_prepare (db, items_sql, error)) == NULL)
    return FALSE;
  fq_bind_text (stmt, 1, session->id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Item *item = g_new0 (Item, 1);

      item->id = sqlite3_column_int64 (stmt, 0);
      item->text = column_dup (stmt, 1);
      item->owner_unit = column_dup (stmt, 2);
      item->due = sqlite3_column_int64 (stmt, 3);
      item->done_at = sqlite3_column_int64 (stmt, 4);
      item->done_by = column_dup (stmt, 5);
      item->overdue_recorded = sqlite3_column_int (stmt, 6) != 0;
      item->created_at = sqlite3_column_int64 (stmt, 7);
      item->created_by = column_dup (stmt, 8);
      g_ptr_array_add (session->items, item);
    }
  sqlite3_reset (stmt);
  return fq_sqlite_check (handle, rc, error);
}

static Session *
session_load (FqDb        *db,
              const char  *id,
              GError     **error)
{
  static const char sql[] = "SELECT " SESSION_COLUMNS " FROM sessions WHERE id = ?";
  sqlite3_stmt *stmt = fq_db_prepare (db, sql, error);
  g_autoptr(Session) session = NULL;
  int rc;

  if (stmt == NULL)
    return NULL;
  fq_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    session = session_from_stmt (stmt);
  sqlite3_reset (stmt);
  if (session == NULL)
    {
      fq_sqlite_check (fq_db_get_handle (db), rc, error);
      return NULL;
    }
  if (!session_load_relations (db, session, error))
    return NULL;
  return g_steal_pointer (&session);
}

static gboolean
step_done (FqDb          *db,
           sqlite3_stmt  *stmt,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  return fq_sqlite_check (fq_db_get_handle (db), rc, error);
}

static gboolean
session_store (FqDb           *db,
               const Session  *session,
               GError        **error)
{
  static const char sql[] =
    "INSERT INTO sessions (" SESSION_COLUMNS ") VALUES "
    "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
    "ON CONFLICT (id) DO UPDATE SET title = excluded.title, "
    "convener_unit = excluded.convener_unit, scheduled_at = excluded.scheduled_at, "
    "location = excluded.location, agenda = excluded.agenda, state = excluded.state, "
    "minutes = excluded.minutes, started_at = excluded.started_at, "
    "concluded_at = excluded.concluded_at, cancelled_at = excluded.cancelled_at, "
    "cancel_note = excluded.cancel_note, updated_at = excluded.updated_at, rev = excluded.rev";
  static const char delete_sql[] = "DELETE FROM session_invitees WHERE session = ?";
  static const char invitee_sql[] =
    "INSERT INTO session_invitees (session, position, unit, name, organisation, status, "
    "checked_in_at, delay_minutes, status_by, status_at) VALUES (?,?,?,?,?,?,?,?,?,?)";
  sqlite3_stmt *stmt = fq_db_prepare (db, sql, error);

  if (stmt == NULL)
    return FALSE;
  fq_bind_text (stmt, 1, session->id);
  fq_bind_text (stmt, 2, session->ticket);
  fq_bind_text (stmt, 3, session->grid);
  fq_bind_text (stmt, 4, session->title);
  fq_bind_text (stmt, 5, session->convener_unit);
  sqlite3_bind_int64 (stmt, 6, session->scheduled_at);
  fq_bind_text (stmt, 7, session->location);
  fq_bind_text (stmt, 8, session->agenda);
  fq_bind_text (stmt, 9, state_names[session->state]);
  fq_bind_text (stmt, 10, session->minutes);
  fq_sqlite_bind_time (stmt, 11, session->started_at);
  fq_sqlite_bind_time (stmt, 12, session->concluded_at);
  fq_sqlite_bind_time (stmt, 13, session->cancelled_at);
  fq_bind_text (stmt, 14, session->cancel_note);
  fq_bind_text (stmt, 15, session->created_by);
  sqlite3_bind_int64 (stmt, 16, session->created_at);
  sqlite3_bind_int64 (stmt, 17, session->updated_at);
  sqlite3_bind_int64 (stmt, 18, session->rev);
  if (!step_done (db, stmt, error))
    return FALSE;

  /* The invitees are few: rewriting them keeps the statuses exact without
   * a diff. */
  if ((stmt = fq_db_prepare (db, delete_sql, error)) == NULL)
    return FALSE;
  fq_bind_text (stmt, 1, session->id);
  if (!step_done (db, stmt, error))
    return FALSE;

  for (guint i = 0; i < session->invitees->len; i++)
    {
      const Invitee *invitee = g_ptr_array_index (session->invitees, i);

      if ((stmt = fq_db_prepare (db, invitee_sql, error)) == NULL)
        return FALSE;
      fq_bind_text (stmt, 1, session->id);
      sqlite3_bind_int64 (stmt, 2, i);
      fq_bind_text (stmt, 3, invitee->unit);
      fq_bind_text (stmt, 4, invitee->name);
      fq_bind_text (stmt, 5, invitee->organisation);
      fq_bind_text (stmt, 6, invitee->unit != NULL ? status_names[invitee->status] : NULL);
      fq_sqlite_bind_time (stmt, 7, invitee->checked_in_at);
      if (invitee->delay_minutes >= 0)
        sqlite3_bind_int64 (stmt, 8, invitee->delay_minutes);
      fq_bind_text (stmt, 9, invitee->status_by);
      fq_sqlite_bind_time (stmt, 10, invitee->status_at);
      if (!step_done (db, stmt, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
decision_insert (FqDb           *db,
                 const Session  *session,
                 Decision       *decision,
                 GError        **error)
{
  static const char sql[] =
    "INSERT INTO session_decisions (id, session, text, at, actor) VALUES (?,?,?,?,?)";
  sqlite3_stmt *stmt = fq_db_prepare (db, sql, error);

  if (stmt == NULL)
    return FALSE;
  /* A new id unless the decision has one (the history's). */
  if (decision->id > 0)
    sqlite3_bind_int64 (stmt, 1, decision->id);
  else
    sqlite3_bind_null (stmt, 1);
  fq_bind_text (stmt, 2, session->id);
  fq_bind_text (stmt, 3, decision->text);
  sqlite3_bind_int64 (stmt, 4, decision->at);
  fq_bind_text (stmt, 5, decision->actor);
  if (!step_done (db, stmt, error))
    return FALSE;
  decision->id = sqlite3_last_insert_rowid (fq_db_get_handle (db));
  return TRUE;
}

static gboolean
item_insert (FqDb           *db,
             const Session  *session,
             Item           *item,
             GError        **error)
{
  static const char sql[] =
    "INSERT INTO action_items (id, session, ticket, text, owner_unit, due, done_at, done_by, "
    "overdue_recorded, created_at, created_by) VALUES (?,?,?,?,?,?,?,?,?,?,?)";
  sqlite3_stmt *stmt = fq_db_prepare (db, sql, error);

  if (stmt == NULL)
    return FALSE;
  /* A new id unless the item has one; done already in the history's. */
  if (item->id > 0)
    sqlite3_bind_int64 (stmt, 1, item->id);
  else
    sqlite3_bind_null (stmt, 1);
  fq_bind_text (stmt, 2, session->id);
  fq_bind_text (stmt, 3, session->ticket);
  fq_bind_text (stmt, 4, item->text);
  fq_bind_text (stmt, 5, item->owner_unit);
  sqlite3_bind_int64 (stmt, 6, item->due);
  fq_sqlite_bind_time (stmt, 7, item->done_at);
  fq_bind_text (stmt, 8, item->done_by);
  sqlite3_bind_int (stmt, 9, item->overdue_recorded ? 1 : 0);
  sqlite3_bind_int64 (stmt, 10, item->created_at);
  fq_bind_text (stmt, 11, item->created_by);
  if (!step_done (db, stmt, error))
    return FALSE;
  item->id = sqlite3_last_insert_rowid (fq_db_get_handle (db));
  return TRUE;
}

static gboolean
item_update (FqDb        *db,
             const Item  *item,
             GError     **error)
{
  static const char sql[] =
    "UPDATE action_items SET done_at = ?, done_by = ?, overdue_recorded = ? WHERE id = ?";
  sqlite3_stmt *stmt = fq_db_prepare (db, sql, error);

  if (stmt == NULL)
    return FALSE;
  fq_sqlite_bind_time (stmt, 1, item->done_at);
  fq_bind_text (stmt, 2, item->done_by);
  sqlite3_bind_int (stmt, 3, item->overdue_recorded ? 1 : 0);
  sqlite3_bind_int64 (stmt, 4, item->id);
  return step_done (db, stmt, error);
}

/* ---- JSON ---- */

static gboolean
item_overdue (const Item *item,
              gint64      now)
{
  return item->done_at == 0 && item->due < now;
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
add_id (JsonBuilder *builder,
        char         prefix,
        gint64       value)
{
  g_autofree char *id = g_strdup_printf ("%c%" G_GINT64_FORMAT, prefix, value);

  fq_json_builder_add_string (builder, "id", id);
}

static void
session_build (JsonBuilder   *builder,
               const Session *session,
               gint64         now)
{
  json_builder_begin_object (builder);
  fq_json_builder_add_string (builder, "id", session->id);
  fq_json_builder_add_string (builder, "ticket", session->ticket);
  fq_json_builder_add_string (builder, "grid", session->grid);
  fq_json_builder_add_string (builder, "title", session->title);
  fq_json_builder_add_string (builder, "convener_unit", session->convener_unit);
  fq_json_builder_add_time (builder, "scheduled_at", session->scheduled_at);
  fq_json_builder_add_string (builder, "location", session->location);
  fq_json_builder_add_string (builder, "agenda", session->agenda);
  fq_json_builder_add_string (builder, "state", state_names[session->state]);

  json_builder_set_member_name (builder, "invitees");
  json_builder_begin_array (builder);
  for (guint i = 0; i < session->invitees->len; i++)
    {
      const Invitee *invitee = g_ptr_array_index (session->invitees, i);

      if (invitee->unit == NULL)
        continue;
      json_builder_begin_object (builder);
      fq_json_builder_add_string (builder, "unit", invitee->unit);
      fq_json_builder_add_string (builder, "status", status_names[invitee->status]);
      fq_json_builder_add_time (builder, "checked_in_at", invitee->checked_in_at);
      json_builder_set_member_name (builder, "delay_minutes");
      if (invitee->delay_minutes >= 0)
        json_builder_add_int_value (builder, invitee->delay_minutes);
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "external_participants");
  json_builder_begin_array (builder);
  for (guint i = 0; i < session->invitees->len; i++)
    {
      const Invitee *invitee = g_ptr_array_index (session->invitees, i);

      if (invitee->unit != NULL)
        continue;
      json_builder_begin_object (builder);
      fq_json_builder_add_string (builder, "name", invitee->name);
      fq_json_builder_add_string (builder, "organisation", invitee->organisation);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  fq_json_builder_add_string (builder, "minutes", session->minutes);

  json_builder_set_member_name (builder, "decisions");
  json_builder_begin_array (builder);
  for (guint i = 0; i < session->decisions->len; i++)
    {
      const Decision *decision = g_ptr_array_index (session->decisions, i);

      json_builder_begin_object (builder);
      add_id (builder, 'D', decision->id);
      fq_json_builder_add_string (builder, "text", decision->text);
      fq_json_builder_add_time (builder, "at", decision->at);
      fq_json_builder_add_string (builder, "actor", decision->actor);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "action_items");
  json_builder_begin_array (builder);
  for (guint i = 0; i < session->items->len; i++)
    {
      const Item *item = g_ptr_array_index (session->items, i);

      json_builder_begin_object (builder);
      add_id (builder, 'A', item->id);
      fq_json_builder_add_string (builder, "text", item->text);
      fq_json_builder_add_string (builder, "owner_unit", item->owner_unit);
      fq_json_builder_add_time (builder, "due", item->due);
      fq_json_builder_add_time (builder, "done_at", item->done_at);
      fq_json_builder_add_string (builder, "done_by", item->done_by);
      json_builder_set_member_name (builder, "overdue");
      json_builder_add_boolean_value (builder, item_overdue (item, now));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  fq_json_builder_add_time (builder, "started_at", session->started_at);
  fq_json_builder_add_time (builder, "concluded_at", session->concluded_at);
  fq_json_builder_add_time (builder, "cancelled_at", session->cancelled_at);
  fq_json_builder_add_string (builder, "cancel_note", session->cancel_note);
  fq_json_builder_add_string (builder, "created_by", session->created_by);
  fq_json_builder_add_time (builder, "created_at", session->created_at);
  fq_json_builder_add_time (builder, "updated_at", session->updated_at);
  add_int (builder, "rev", session->rev);
  json_builder_end_object (builder);
}

static JsonNode *
session_to_json (const Session *session,
                 gint64         now)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();

  session_build (builder, session, now);
  return json_builder_get_root (builder);
}

/* ---- permissions ---- */

static gboolean
is_manager (const Session *session,
            const FqUser  *user)
{
  if (user == NULL || user->role == FQ_ROLE_COORDINATOR)
    return TRUE;
  return user->role == FQ_ROLE_UNIT && g_strcmp0 (user->unit, session->convener_unit) == 0;
}

static Invitee *
own_invitee (const Session *session,
             const FqUser  *user)
{
  if (user == NULL || user->role != FQ_ROLE_UNIT)
    return NULL;
  return find_unit_invitee (session, user->unit);
}

static gboolean
owns_item (const Session *session,
           const FqUser  *user,
           gboolean       open_only)
{
  if (user == NULL || user->role != FQ_ROLE_UNIT || user->unit == NULL)
    return FALSE;
  for (guint i = 0; i < session->items->len; i++)
    {
      const Item *item = g_ptr_array_index (session->items, i);

      if (g_strcmp0 (item->owner_unit, user->unit) == 0 && (!open_only || item->done_at == 0))
        return TRUE;
    }
  return FALSE;
}

/* Whether the caller's role and unit let it take @action on this session
 * at all, whatever its state: otherwise 403. */
static gboolean
role_permits (const Session *session,
              const FqUser  *user,
              Action         action)
{
  if (is_manager (session, user))
    return TRUE;
  if (action == ACTION_CHECK_IN)
    return own_invitee (session, user) != NULL;
  if (action == ACTION_COMPLETE_ACTION_ITEM)
    return owns_item (session, user, FALSE);
  return FALSE;
}

/* The actions the caller may take now (a mask of 1 << Action). */
static guint
allowed_actions (const Session *session,
                 const FqUser  *user)
{
  gboolean manager = is_manager (session, user);
  Invitee *own = own_invitee (session, user);
  guint n_not_checked = 0, n_invited = 0, n_excusable = 0, n_open = 0;
  guint mask = 0;

  for (guint i = 0; i < session->invitees->len; i++)
    {
      const Invitee *invitee = g_ptr_array_index (session->invitees, i);

      if (invitee->unit == NULL)
        continue;
      n_not_checked += invitee->status != STATUS_CHECKED_IN;
      n_invited += invitee->status == STATUS_INVITED;
      n_excusable += invitee->status == STATUS_INVITED || invitee->status == STATUS_ABSENT;
    }
  for (guint i = 0; i < session->items->len; i++)
    n_open += ((const Item *)g_ptr_array_index (session->items, i))->done_at == 0;

#define ALLOW(a) (mask |= 1u << (a))
  switch (session->state)
    {
    case STATE_SCHEDULED:
      if (manager)
        {
          ALLOW (ACTION_START);
          ALLOW (ACTION_CANCEL);
          if (n_not_checked > 0)
            ALLOW (ACTION_CHECK_IN);
          if (n_excusable > 0)
            ALLOW (ACTION_EXCUSE);
        }
      else if (own != NULL && own->status != STATUS_CHECKED_IN)
        ALLOW (ACTION_CHECK_IN);
      break;

    case STATE_IN_PROGRESS:
      if (manager)
        {
          if (n_not_checked > 0)
            ALLOW (ACTION_CHECK_IN);
          if (n_invited > 0)
            ALLOW (ACTION_MARK_ABSENT);
          if (n_excusable > 0)
            ALLOW (ACTION_EXCUSE);
          ALLOW (ACTION_MINUTES);
          ALLOW (ACTION_DECIDE);
          ALLOW (ACTION_ADD_ACTION_ITEM);
          if (n_open > 0)
            ALLOW (ACTION_COMPLETE_ACTION_ITEM);
          if (session->decisions->len > 0)
            ALLOW (ACTION_CONCLUDE);
          ALLOW (ACTION_CANCEL);
        }
      else
        {
          if (own != NULL && own->status != STATUS_CHECKED_IN)
            ALLOW (ACTION_CHECK_IN);
          if (owns_item (session, user, TRUE))
            ALLOW (ACTION_COMPLETE_ACTION_ITEM);
        }
      break;

    case STATE_CONCLUDED:
      if (manager)
        {
          ALLOW (ACTION_MINUTES);
          if (n_open > 0)
            ALLOW (ACTION_COMPLETE_ACTION_ITEM);
        }
      else if (owns_item (session, user, TRUE))
        ALLOW (ACTION_COMPLETE_ACTION_ITEM);
      break;

    case STATE_CANCELLED:
    case N_STATES:
    default:
      break;
    }
#undef ALLOW

  return mask;
}

static JsonNode *
actions_node (guint mask)
{
  JsonArray *array = json_array_new ();
  JsonNode *node = json_node_alloc ();

  for (guint a = 0; a < N_ACTIONS; a++)
    if (mask & (1u << a))
      json_array_add_string_element (array, action_names[a]);
  json_node_init_array (node, array);
  json_array_unref (array);
  return node;
}

/* The session with the caller's `allowed_actions`. */
static JsonNode *
session_detail_json (const Session *session,
                     const FqUser  *user,
                     gint64         now)
{
  JsonNode *node = session_to_json (session, now);

  json_object_set_member (json_node_get_object (node), "allowed_actions",
                          actions_node (user != NULL ? allowed_actions (session, user) : 0));
  return node;
}

static gboolean
invalid_transition (FqJob          *job,
                    const Session  *session,
                    const FqUser   *user,
                    GError        **error,
                    const char     *format,
                    ...) G_GNUC_PRINTF (5, 6);

static gboolean
invalid_transition (FqJob          *job,
                    const Session  *session,
                    const FqUser   *user,
                    GError        **error,
                    const char     *format,
                    ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fq_job_set_error_extra (job, "allowed", actions_node (allowed_actions (session, user)));
  g_set_error_literal (error, FQ_ERROR, FQ_ERROR_INVALID_TRANSITION, message);
  return FALSE;
}

/* ---- shared by the handlers ---- */

static JsonNode *
new_data (const Session *session)
{
  g_autoptr(JsonObject) object = json_object_new ();

  json_object_set_string_member (object, "session", session->id);
  /* The node takes its own reference. */
  return json_node_init_object (json_node_alloc (), object);
}

/* The data of a session's whistle event, once its invitations are made. */
static JsonNode *
whistle_data (const Session *session)
{
  JsonNode *data = new_data (session);
  JsonObject *object = json_node_get_object (data);
  g_autofree char *at = fq_time_format (session->scheduled_at);
  JsonArray *invited = json_array_new ();

  json_object_set_string_member (object, "title", session->title);
  json_object_set_string_member (object, "convener_unit", session->convener_unit);
  json_object_set_string_member (object, "scheduled_at", at);
  if (session->location != NULL)
    json_object_set_string_member (object, "location", session->location);
  for (guint i = 0; i < session->invitees->len; i++)
    {
      const Invitee *invitee = g_ptr_array_index (session->invitees, i);

      if (invitee->unit != NULL)
        json_array_add_string_element (invited, invitee->unit);
    }
  json_object_set_array_member (object, "invitees", invited);
  json_object_set_int_member (object, "external_participants",
                              session->invitees->len - json_array_get_length (invited));
  return data;
}

static gboolean
add_event (FqJob           *job,
           FqDb            *db,
           const FqTicket  *ticket,
           gint64           at,
           FqEventKind      kind,
           const FqUser    *user,
           const char      *unit,
           const char      *note,
           JsonNode        *data,
           GError         **error)
{
  g_autoptr(FqEvent) event = NULL;

  event = fq_ticket_add_event (job, db, ticket, at, kind, user != NULL ? user->username : NULL,
                               user != NULL ? user->display_name : NULL, unit, note, data, error);
  return event != NULL;
}

/* Stores the session and appends its change, at the ticket's place and to
 * the ticket's units (which include every session unit). */
static gboolean
session_save (FqJob           *job,
              FqDb            *db,
              const Session   *session,
              const FqTicket  *ticket,
              gint64           now,
              GError         **error)
{
  g_autofree const char **units = NULL;

  if (!session_store (db, session, error))
    return FALSE;
  units = fq_ticket_units (ticket);
  fq_job_add_change (job, "session", session->id, "upsert", ticket->grid, units,
                     session_to_json (session, now));
  return TRUE;
}

/* Marks @item's overdue as recorded; the data of its sla_breached event.
 * Shared by the watch and the demo's history. */
static JsonNode *
item_breached (const Session *session,
               Item          *item)
{
  JsonNode *data = new_data (session);
  JsonObject *object = json_node_get_object (data);
  g_autofree char *id = g_strdup_printf ("A%" G_GINT64_FORMAT, item->id);

  item->overdue_recorded = TRUE;
  json_object_set_string_member (object, "breach", "action_item");
  json_object_set_string_member (object, "item", id);
  json_object_set_string_member (object, "text", item->text);
  return data;
}

/* Records an sla_breached event for each open action item past its due
 * time whose breach was not recorded yet. */
static gboolean
record_item_breaches (FqJob           *job,
                      FqDb            *db,
                      Session         *session,
                      const FqTicket  *ticket,
                      gint64           now,
                      gboolean        *changed,
                      GError         **error)
{
  for (guint i = 0; i < session->items->len; i++)
    {
      Item *item = g_ptr_array_index (session->items, i);

      if (!item_overdue (item, now) || item->overdue_recorded)
        continue;
      /* At the moment it ran out, as ticket breaches are. */
      if (!add_event (job, db, ticket, MIN (now, item->due), FQ_EVENT_KIND_SLA_BREACHED, NULL,
                      item->owner_unit, NULL, item_breached (session, item), error))
        return FALSE;
      if (!item_update (db, item, error))
        return FALSE;
      *changed = TRUE;
    }
  return TRUE;
}

static FqTicket *
load_ticket (FqDb        *db,
             const char  *id,
             GError     **error)
{
  GError *local_error = NULL;
  FqTicket *ticket = fq_ticket_load (db, id, &local_error);

  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (ticket == NULL)
    g_set_error (error, FQ_ERROR, FQ_ERROR_NOT_FOUND, "ticket %s not found", id);
  return ticket;
}

/* The session and its ticket, if the job's user may see them; else 404. */
static gboolean
load_visible_session (FqJob       *job,
                      FqDb        *db,
                      const char  *id,
                      Session    **session_out,
                      FqTicket   **ticket_out,
                      GError     **error)
{
  g_autoptr(Session) session = NULL;
  g_autoptr(FqTicket) ticket = NULL;
  GError *local_error = NULL;

  session = session_load (db, id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (session != NULL)
    {
      ticket = fq_ticket_load (db, session->ticket, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
    }
  if (session == NULL || ticket == NULL || !fq_ticket_visible (fq_job_get_user (job), ticket))
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_NOT_FOUND, "session %s not found", id);
      return FALSE;
    }
  *session_out = g_steal_pointer (&session);
  *ticket_out = g_steal_pointer (&ticket);
  return TRUE;
}

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

/* ---- for fq-entities.c ---- */

static void
add_unit_once (GPtrArray  *units,
               const char *unit)
{
  if (unit != NULL && !g_ptr_array_find_with_equal_func (units, unit, g_str_equal, NULL))
    g_ptr_array_add (units, g_strdup (unit));
}

static int
compare_units (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *)a, *(const char * const *)b);
}

gboolean
fq_sessions_load_ticket_units (FqDb      *db,
                               FqTicket  *ticket,
                               GError   **error)
{
  /* A join, each unit kept once here, rather than a UNION, which built a
   * temporary b-tree at every read of a ticket (most have no session).
   * In byte order, as the UNION gave them. */
  static const char sql[] =
    "SELECT s.convener_unit, i.unit FROM sessions s "
    "LEFT JOIN session_invitees i ON i.session = s.id AND i.unit IS NOT NULL "
    "WHERE s.ticket = ?";
  sqlite3_stmt *stmt;
  int rc;

  if (ticket->session_units == NULL)
    ticket->session_units = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_set_size (ticket->session_units, 0);

  if ((stmt = fq_db_prepare (db, sql, error)) == NULL)
    return FALSE;
  fq_bind_text (stmt, 1, ticket->id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      add_unit_once (ticket->session_units, (const char *)sqlite3_column_text (stmt, 0));
      add_unit_once (ticket->session_units, (const char *)sqlite3_column_text (stmt, 1));
    }
  sqlite3_reset (stmt);
  if (!fq_sqlite_check (fq_db_get_handle (db), rc, error))
    return FALSE;
  g_ptr_array_sort (ticket->session_units, compare_units);
  return TRUE;
}

JsonArray *
fq_sessions_ticket_json (FqDb        *db,
                         const char  *ticket_id,
                         gint64       now,
                         gint64      *until,
                         GError     **error)
{
  static const char sql[] =
    "SELECT " SESSION_COLUMNS " FROM sessions WHERE ticket = ? ORDER BY created_at, id";
  g_autoptr(GPtrArray) sessions = g_ptr_array_new_with_free_func ((GDestroyNotify)session_free);
  sqlite3_stmt *stmt = fq_db_prepare (db, sql, error);
  gint64 first_due = G_MAXINT64;
  JsonArray *array;
  int rc;

  if (stmt == NULL)
    return NULL;
  fq_bind_text (stmt, 1, ticket_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (sessions, session_from_stmt (stmt));
  sqlite3_reset (stmt);
  if (!fq_sqlite_check (fq_db_get_handle (db), rc, error))
    return NULL;

  array = json_array_sized_new (sessions->len);
  for (guint i = 0; i < sessions->len; i++)
    {
      Session *session = g_ptr_array_index (sessions, i);

      if (!session_load_relations (db, session, error))
        {
          json_array_unref (array);
          return NULL;
        }
      json_array_add_element (array, session_to_json (session, now));
      /* item_overdue() turns true the second after the item's due. */
      for (guint k = 0; k < session->items->len; k++)
        {
          const Item *item = g_ptr_array_index (session->items, k);

          if (!item_overdue (item, now) && item->done_at == 0)
            first_due = MIN (first_due, item->due + 1);
        }
    }
  *until = first_due;
  return array;
}

/* ---- POST /tickets/{id}/sessions ---- */

static char *
default_convener (FqRefData      *ref,
                  const FqTicket *ticket)
{
  const FqGridNodeInfo *street = fq_refdata_get_ancestor (ref, ticket->grid,
                                                          FQ_GRID_LEVEL_STREET);
  const FqUnitInfo *unit = NULL;

  if (street != NULL)
    unit = fq_refdata_find_unit (ref, "street_office", street->code);
  return g_strdup (unit != NULL ? unit->id : ticket->lead_unit);
}

static gboolean
parse_external (JsonArray  *array,
                Session    *session,
                GError    **error)
{
  guint n = json_array_get_length (array);

  if (n > FQ_MAX_LIST_ITEMS)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "external_participants",
                          "at most %d participants", FQ_MAX_LIST_ITEMS);
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      g_autofree char *name = NULL;
      g_autofree char *organisation = NULL;
      Invitee *invitee;
      JsonObject *object;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "external_participants",
                              "each participant must be an object with a name");
          return FALSE;
        }
      object = json_node_get_object (node);
      if (!fq_json_get_string (object, "name", TRUE, FQ_MAX_NAME_CHARS, &name, NULL) ||
          !fq_json_get_string (object, "organisation", FALSE, FQ_MAX_NAME_CHARS, &organisation,
                               NULL))
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "external_participants",
                              "participant %u: a name (at most %d characters) and an "
                              "optional organisation are needed", i, FQ_MAX_NAME_CHARS);
          return FALSE;
        }
      g_strstrip (name);
      if (*name == '\0')
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "external_participants",
                              "participant %u: the name must not be empty", i);
          return FALSE;
        }
      invitee = g_new0 (Invitee, 1);
      invitee->name = g_steal_pointer (&name);
      invitee->organisation = g_steal_pointer (&organisation);
      invitee->delay_minutes = -1;
      g_ptr_array_add (session->invitees, invitee);
    }
  return TRUE;
}

static gboolean
create_job (FqJob     *job,
            gpointer   user_data,
            GError   **error)
{
  g_autoptr(FqDb) db = fq_db_new_for_job (job);
  FqRequest *request = fq_job_get_request (job);
  const FqUser *user = fq_job_get_user (job);
  FqRefData *ref = fq_job_get_refdata (job);
  JsonObject *body = fq_request_get_body (request);
  const char *ticket_id = fq_request_get_segment (request, 1);
  gint64 now = fq_job_now (job);
  gint64 accept_limit = fq_job_get_accept_limit (job);
  g_autoptr(FqTicket) ticket = NULL;
  g_autoptr(Session) session = NULL;
  g_auto(GStrv) units_before = NULL;
  g_auto(GStrv) invitees = NULL;
  g_autofree char *convener = NULL;
  JsonArray *external = NULL;
  JsonNode *data;
  gboolean new_units = FALSE;

  ticket = load_ticket (db, ticket_id, error);
  if (ticket == NULL)
    return FALSE;
  if (!fq_ticket_visible (user, ticket))
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_NOT_FOUND, "ticket %s not found", ticket_id);
      return FALSE;
    }
  if (user->role == FQ_ROLE_UNIT && g_strcmp0 (user->unit, ticket->lead_unit) != 0)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_FORBIDDEN,
                   "only a coordinator or the ticket's lead unit calls a session");
      return FALSE;
    }
  if (ticket->state == FQ_TICKET_STATE_CLOSED)
    {
      guint allowed = fq_ticket_machine_allowed (ticket->state, user->role,
                                                 fq_ticket_relation (ticket, user));
      JsonNode *node = json_node_alloc ();

      json_node_init_array (node, fq_actions_to_json (allowed));
      json_array_unref (json_node_get_array (node));
      fq_job_set_error_extra (job, "allowed", node);
      g_set_error (error, FQ_ERROR, FQ_ERROR_INVALID_TRANSITION,
                   "ticket %s is closed: reopen it to call a session", ticket->id);
      return FALSE;
    }

  session = session_new ();
  if (!fq_json_get_string (body, "title", TRUE, FQ_MAX_NAME_CHARS, &session->title, error) ||
      !fq_json_get_time (body, "scheduled_at", TRUE, &session->scheduled_at, NULL, error) ||
      !fq_json_get_string (body, "location", FALSE, FQ_MAX_NAME_CHARS, &session->location,
                           error) ||
      !fq_json_get_string (body, "agenda", FALSE, FQ_MAX_TEXT_CHARS, &session->agenda, error) ||
      !fq_json_get_string_array (body, "invitees", TRUE, FQ_MAX_LIST_ITEMS, FQ_MAX_ID_CHARS,
                                 &invitees, error) ||
      !fq_json_get_array (body, "external_participants", FALSE, &external, error) ||
      !fq_json_get_string (body, "convener_unit", FALSE, FQ_MAX_ID_CHARS, &convener, error))
    return FALSE;
  g_strstrip (session->title);
  if (*session->title == '\0')
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "title", "must not be empty");
      return FALSE;
    }

  if (convener != NULL)
    {
      if (!check_unit (ref, "convener_unit", convener, error))
        return FALSE;
      if (user->role == FQ_ROLE_UNIT && g_strcmp0 (convener, user->unit) != 0)
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "convener_unit",
                              "unit staff convene for their own unit");
          return FALSE;
        }
    }
  else if (user->role == FQ_ROLE_UNIT)
    convener = g_strdup (user->unit);
  else
    convener = default_convener (ref, ticket);

  for (guint i = 0; invitees[i] != NULL; i++)
    {
      Invitee *invitee;

      if (!check_unit (ref, "invitees", invitees[i], error))
        return FALSE;
      if (find_unit_invitee (session, invitees[i]) != NULL)
        continue;
      invitee = g_new0 (Invitee, 1);
      invitee->unit = g_strdup (invitees[i]);
      invitee->status = STATUS_INVITED;
      invitee->delay_minutes = -1;
      g_ptr_array_add (session->invitees, invitee);
    }
  if (external != NULL && !parse_external (external, session, error))
    return FALSE;

  session->id = fq_entities_next_id (db, 'S', now, error);
  if (session->id == NULL)
    return FALSE;
  session->ticket = g_strdup (ticket->id);
  session->grid = g_strdup (ticket->grid);
  session->convener_unit = g_steal_pointer (&convener);
  session->state = STATE_SCHEDULED;
  session->created_by = g_strdup (user->username);
  session->created_at = now;
  session->updated_at = now;
  session->rev = 1;

  /* The ticket's units grow by the session's: reload them, so that the
   * whistle and the session reach the units just invited. */
  {
    /* Copied: reloading the units below frees the strings the array of
     * fq_ticket_units() borrows. */
    g_autofree const char **borrowed = fq_ticket_units (ticket);

    units_before = g_strdupv ((char **)borrowed);
  }
  if (!session_store (db, session, error) ||
      !fq_sessions_load_ticket_units (db, ticket, error))
    return FALSE;
  for (guint i = 0; i < ticket->session_units->len; i++)
    if (!g_strv_contains ((const char * const *)units_before,
                          g_ptr_array_index (ticket->session_units, i)))
      new_units = TRUE;
  if (new_units)
    {
      g_autofree const char **units = fq_ticket_units (ticket);

      fq_job_add_change (job, "ticket", ticket->id, "upsert", ticket->grid, units,
                         fq_ticket_to_json (ticket, accept_limit, now));
    }

  data = whistle_data (session);
  if (!add_event (job, db, ticket, now, FQ_EVENT_KIND_WHISTLE, user,
                  user->unit != NULL ? user->unit : session->convener_unit, NULL, data, error))
    return FALSE;

  {
    g_autofree const char **units = fq_ticket_units (ticket);

    fq_job_add_change (job, "session", session->id, "upsert", ticket->grid, units,
                       session_to_json (session, now));
  }
  fq_job_set_audit (job, "session", session->id, "whistle");
  fq_job_respond (job, SOUP_STATUS_CREATED, session_detail_json (session, user, now));
  return TRUE;
}

static void
sessions_create (FqRequest *request)
{
  if (!fq_request_require_role (request, FQ_ROLE_BIT (FQ_ROLE_COORDINATOR) |
                                         FQ_ROLE_BIT (FQ_ROLE_UNIT)))
    return;
  fq_request_run (request, FQ_JOB_WRITE, create_job, NULL, NULL);
}

/* ---- GET /sessions ---- */

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
  g_autoptr(GString) sql = g_string_new ("SELECT " SESSION_COLUMNS " FROM sessions WHERE ");
  g_autoptr(GPtrArray) binds = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) sessions = g_ptr_array_new_with_free_func ((GDestroyNotify)session_free);
  g_autofree char *grid_prefix = NULL;
  g_autofree char *cursor_id = NULL;
  const char *state = fq_request_get_query (request, "state");
  const char *unit = fq_request_get_query (request, "unit");
  const char *ticket = fq_request_get_query (request, "ticket");
  const char *overdue = fq_request_get_query (request, "overdue");
  const char *cursor = fq_request_get_query (request, "cursor");
  gint64 now = fq_job_now (job);
  gint64 from = 0, to = 0, cursor_key = 0;
  guint limit = 100;
  sqlite3_stmt *stmt = NULL;
  gboolean more = FALSE;
  JsonArray *array;
  JsonObject *root;
  int rc;

  if (!fq_query_grid_prefix (request, ref, &grid_prefix, error) ||
      !fq_request_get_time_param (request, "from", &from, error) ||
      !fq_request_get_time_param (request, "to", &to, error) ||
      !fq_request_get_limit (request, &limit, error))
    return FALSE;
  if (cursor != NULL && !fq_cursor_decode (cursor, &cursor_key, &cursor_id, error))
    return FALSE;
  if (state != NULL && *state != '\0' && name_index (state_names, N_STATES, state) < 0)
    {
      fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, "state", "unknown value “%s”", state);
      return FALSE;
    }
  if (overdue != NULL && g_strcmp0 (overdue, "true") != 0 && g_strcmp0 (overdue, "false") != 0)
    {
      fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, "overdue", "must be true or false");
      return FALSE;
    }

  g_string_append (sql, "grid >= ? AND grid < ?");
  g_ptr_array_add (binds, g_strdup (user->scope_prefix));
  g_ptr_array_add (binds, fq_prefix_end (user->scope_prefix));
  if (grid_prefix != NULL)
    {
      g_string_append (sql, " AND grid >= ? AND grid < ?");
      g_ptr_array_add (binds, g_strdup (grid_prefix));
      g_ptr_array_add (binds, fq_prefix_end (grid_prefix));
    }
  /* Unit staff see the sessions of the tickets they may read. */
  if (user->role == FQ_ROLE_UNIT)
    {
      g_string_append (sql, " AND (ticket IN (SELECT ticket FROM ticket_units WHERE unit = ?)"
                            " OR ticket IN (" FQ_SESSIONS_TICKETS_OF_UNIT_SQL "))");
      for (guint i = 0; i < 3; i++)
        g_ptr_array_add (binds, g_strdup (user->unit != NULL ? user->unit : ""));
    }
  if (unit != NULL && *unit != '\0')
    {
      g_string_append (sql, " AND (convener_unit = ? OR id IN (SELECT session FROM "
                            "session_invitees WHERE unit = ?))");
      g_ptr_array_add (binds, g_strdup (unit));
      g_ptr_array_add (binds, g_strdup (unit));
    }
  if (ticket != NULL && *ticket != '\0')
    {
      g_string_append (sql, " AND ticket = ?");
      g_ptr_array_add (binds, g_strdup (ticket));
    }
  if (state != NULL && *state != '\0')
    {
      g_string_append (sql, " AND state = ?");
      g_ptr_array_add (binds, g_strdup (state));
    }
  if (overdue != NULL)
    g_string_append_printf (sql, " AND id %s (SELECT session FROM action_items WHERE "
                                 "done_at IS NULL AND due < %" G_GINT64_FORMAT ")",
                            strcmp (overdue, "true") == 0 ? "IN" : "NOT IN", now);
  if (from > 0)
    g_string_append_printf (sql, " AND scheduled_at >= %" G_GINT64_FORMAT, from);
  if (to > 0)
    g_string_append_printf (sql, " AND scheduled_at < %" G_GINT64_FORMAT, to);
  if (cursor_id != NULL)
    {
      g_string_append_printf (sql, " AND (scheduled_at < %" G_GINT64_FORMAT
                                   " OR (scheduled_at = %" G_GINT64_FORMAT " AND id < ?))",
                              cursor_key, cursor_key);
      g_ptr_array_add (binds, g_strdup (cursor_id));
    }
  g_string_append_printf (sql, " ORDER BY scheduled_at DESC, id DESC LIMIT %u", limit + 1);

  rc = sqlite3_prepare_v2 (handle, sql->str, -1, &stmt, NULL);
  if (!fq_sqlite_check (handle, rc, error))
    return FALSE;
  for (guint i = 0; i < binds->len; i++)
    fq_bind_text (stmt, i + 1, g_ptr_array_index (binds, i));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if (sessions->len == limit)
        {
          more = TRUE;
          break;
        }
      g_ptr_array_add (sessions, session_from_stmt (stmt));
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return fq_sqlite_check (handle, rc, error);

  array = json_array_sized_new (sessions->len);
  for (guint i = 0; i < sessions->len; i++)
    {
      Session *session = g_ptr_array_index (sessions, i);

      if (!session_load_relations (db, session, error))
        {
          json_array_unref (array);
          return FALSE;
        }
      json_array_add_element (array, session_to_json (session, now));
    }

  root = json_object_new ();
  json_object_set_array_member (root, "sessions", array);
  if (more && sessions->len > 0)
    {
      Session *last = g_ptr_array_index (sessions, sessions->len - 1);
      g_autofree char *next = fq_cursor_encode (last->scheduled_at, last->id);

      json_object_set_string_member (root, "next_cursor", next);
    }
  else
    json_object_set_null_member (root, "next_cursor");

  fq_job_respond (job, SOUP_STATUS_OK, json_node_init_object (json_node_alloc (), root));
  json_object_unref (root);
  return TRUE;
}

static void
sessions_list (FqRequest *request)
{
  fq_request_run (request, FQ_JOB_READ, list_job, NULL, NULL);
}

/* ---- GET /sessions/{id} ---- */

static gboolean
get_job (FqJob     *job,
         gpointer   user_data,
         GError   **error)
{
  g_autoptr(FqDb) db = fq_db_new_for_job (job);
  const char *id = fq_request_get_segment (fq_job_get_request (job), 1);
  g_autoptr(Session) session = NULL;
  g_autoptr(FqTicket) ticket = NULL;

  if (!load_visible_session (job, db, id, &session, &ticket, error))
    return FALSE;
  fq_job_respond (job, SOUP_STATUS_OK,
                  session_detail_json (session, fq_job_get_user (job), fq_job_now (job)));
  return TRUE;
}

static void
sessions_get (FqRequest *request)
{
  fq_request_run (request, FQ_JOB_READ, get_job, NULL, NULL);
}

/* ---- POST /sessions/{id}/actions ---- */

/* The invitee named by `unit` (defaulting to the caller's own unit). */
static Invitee *
parse_invitee (JsonObject     *body,
               const Session  *session,
               const FqUser   *user,
               GError        **error)
{
  g_autofree char *unit = NULL;
  Invitee *invitee;

  if (!fq_json_get_string (body, "unit", FALSE, FQ_MAX_ID_CHARS, &unit, error))
    return NULL;
  if (unit == NULL && user != NULL && user->role == FQ_ROLE_UNIT)
    unit = g_strdup (user->unit);
  if (unit == NULL)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "unit", "required");
      return NULL;
    }
  invitee = find_unit_invitee (session, unit);
  if (invitee == NULL)
    fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "unit",
                        "“%s” is not invited to this session", unit);
  return invitee;
}

static gboolean
required_text (JsonObject  *body,
               const char  *field,
               guint        max_chars,
               char       **out,
               GError     **error)
{
  if (!fq_json_get_string (body, field, TRUE, max_chars, out, error))
    return FALSE;
  g_strstrip (*out);
  if (**out == '\0')
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "must not be empty");
      return FALSE;
    }
  return TRUE;
}

/* Minutes are a full replacement; an empty text clears them. */
static gboolean
parse_minutes (JsonObject  *body,
               char       **out,
               GError     **error)
{
  if (!json_object_has_member (body, "text") ||
      JSON_NODE_HOLDS_NULL (json_object_get_member (body, "text")))
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "text", "required (may be empty)");
      return FALSE;
    }
  if (!fq_json_get_string (body, "text", FALSE, MAX_MINUTES_CHARS, out, error))
    return FALSE;
  if (*out != NULL && **out == '\0')
    g_clear_pointer (out, g_free);
  return TRUE;
}

static gint64
delay_minutes (gint64 scheduled_at,
               gint64 at)
{
  return at > scheduled_at ? (at - scheduled_at) / 60 : 0;
}

/* ---- what the actions do to a session ----
 *
 * Shared by the actions and by the demo's history (below): each changes
 * the session and returns the data of the timeline event it makes. */

static JsonNode *
session_start (Session *session,
               gint64   at)
{
  JsonNode *data = new_data (session);

  session->state = STATE_IN_PROGRESS;
  session->started_at = at;
  json_object_set_int_member (json_node_get_object (data), "delay_minutes",
                              delay_minutes (session->scheduled_at, at));
  return data;
}

static void
invitee_set_status (Invitee    *invitee,
                    Status      status,
                    const char *by,
                    gint64      at)
{
  invitee->status = status;
  g_free (invitee->status_by);
  invitee->status_by = g_strdup (by);
  invitee->status_at = at;
}

static JsonNode *
invitee_check_in (const Session *session,
                  Invitee       *invitee,
                  const char    *by,
                  gint64         at)
{
  JsonNode *data = new_data (session);

  invitee_set_status (invitee, STATUS_CHECKED_IN, by, at);
  invitee->checked_in_at = at;
  invitee->delay_minutes = delay_minutes (session->scheduled_at, at);
  json_object_set_int_member (json_node_get_object (data), "delay_minutes", invitee->delay_minutes);
  return data;
}

static JsonNode *
item_complete (const Session *session,
               Item          *item,
               const char    *by,
               gint64         at)
{
  JsonNode *data = new_data (session);
  JsonObject *object = json_node_get_object (data);
  g_autofree char *id = g_strdup_printf ("A%" G_GINT64_FORMAT, item->id);

  item->done_at = at;
  g_free (item->done_by);
  item->done_by = g_strdup (by);
  json_object_set_string_member (object, "item", id);
  json_object_set_string_member (object, "text", item->text);
  json_object_set_boolean_member (object, "late", at > item->due);
  json_object_set_int_member (object, "elapsed_seconds", at - session->created_at);
  return data;
}

static JsonNode *
session_conclude (Session    *session,
                  const char *by,
                  gint64      at)
{
  JsonArray *decisions = json_array_new ();
  JsonNode *data = new_data (session);
  JsonObject *object = json_node_get_object (data);

  session->state = STATE_CONCLUDED;
  session->concluded_at = at;
  /* Whoever did not come by the end did not come. */
  for (guint i = 0; i < session->invitees->len; i++)
    {
      Invitee *invitee = g_ptr_array_index (session->invitees, i);

      if (invitee->unit != NULL && invitee->status == STATUS_INVITED)
        invitee_set_status (invitee, STATUS_ABSENT, by, at);
    }
  for (guint i = 0; i < session->decisions->len; i++)
    json_array_add_string_element (decisions,
                                   ((Decision *)g_ptr_array_index (session->decisions, i))->text);
  json_object_set_int_member (object, "elapsed_seconds", at - session->created_at);
  json_object_set_array_member (object, "decisions", decisions);
  json_object_set_int_member (object, "action_items", session->items->len);
  return data;
}

static gboolean
apply_action (FqJob      *job,
              FqDb       *db,
              Session    *session,
              FqTicket   *ticket,
              JsonObject *body,
              gboolean   *unchanged,
              GError    **error)
{
  const FqUser *user = fq_job_get_user (job);
  gint64 now = fq_job_now (job);
  g_autofree char *action_name = NULL;
  g_autofree char *note = NULL;
  g_autofree char *text = NULL;
  const char *actor_unit = user->unit;
  gboolean manager = is_manager (session, user);
  gboolean breached = FALSE;
  JsonNode *data = NULL;
  gint64 rev = 0;
  int action;

  *unchanged = FALSE;

  if (!fq_json_get_string (body, "action", TRUE, FQ_MAX_CODE_CHARS, &action_name, error))
    return FALSE;
  action = name_index (action_names, N_ACTIONS, action_name);
  if (action < 0)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "action", "unknown action “%s”",
                          action_name);
      return FALSE;
    }
  if (!fq_json_get_int (body, "rev", TRUE, 0, G_MAXINT64, &rev, NULL, error) ||
      !fq_json_get_string (body, "note", FALSE, MAX_NOTE_CHARS, &note, error))
    return FALSE;
  if (note != NULL)
    g_strstrip (note);

  /* Minutes replayed from an offline queue that are already there: done. */
  if (action == ACTION_MINUTES && role_permits (session, user, action) &&
      (allowed_actions (session, user) & (1u << ACTION_MINUTES)))
    {
      if (!parse_minutes (body, &text, error))
        return FALSE;
      if (g_strcmp0 (text, session->minutes) == 0)
        {
          *unchanged = TRUE;
          return TRUE;
        }
    }

  if (rev != session->rev)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_STALE_REV,
                   "session %s is at rev %" G_GINT64_FORMAT ", not %" G_GINT64_FORMAT,
                   session->id, session->rev, rev);
      return FALSE;
    }
  if (!role_permits (session, user, action))
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_FORBIDDEN, "%s: not for this role or unit",
                   action_names[action]);
      return FALSE;
    }
  /* Another unit's check-in or action item is refused whatever the state. */
  if (!manager && (action == ACTION_CHECK_IN || action == ACTION_COMPLETE_ACTION_ITEM))
    {
      g_autofree char *target = NULL;
      const Item *item;

      if (action == ACTION_CHECK_IN)
        {
          if (!fq_json_get_string (body, "unit", FALSE, FQ_MAX_ID_CHARS, &target, error))
            return FALSE;
          if (target != NULL && g_strcmp0 (target, user->unit) != 0)
            {
              g_set_error (error, FQ_ERROR, FQ_ERROR_FORBIDDEN, "a unit checks in only itself");
              return FALSE;
            }
        }
      else
        {
          if (!fq_json_get_string (body, "item", FALSE, FQ_MAX_ID_CHARS, &target, error))
            return FALSE;
          item = find_item (session, target);
          if (item != NULL && g_strcmp0 (item->owner_unit, user->unit) != 0)
            {
              g_set_error (error, FQ_ERROR, FQ_ERROR_FORBIDDEN,
                           "only its owner unit or a coordinator completes an action item");
              return FALSE;
            }
        }
    }
  if (!(allowed_actions (session, user) & (1u << action)))
    {
      if (action == ACTION_CONCLUDE && session->state == STATE_IN_PROGRESS &&
          session->decisions->len == 0)
        return invalid_transition (job, session, user, error,
                                   "a session is concluded with at least one decision");
      return invalid_transition (job, session, user, error, "%s is not possible in a %s session",
                                 action_names[action], state_names[session->state]);
    }

  switch ((Action)action)
    {
    case ACTION_START:
      data = session_start (session, now);
      if (!add_event (job, db, ticket, now, FQ_EVENT_KIND_CONVENED, user,
                      actor_unit != NULL ? actor_unit : session->convener_unit, note, data,
                      error))
        return FALSE;
      break;

    case ACTION_CHECK_IN:
      {
        Invitee *invitee = parse_invitee (body, session, user, error);

        if (invitee == NULL)
          return FALSE;
        if (!manager && g_strcmp0 (invitee->unit, user->unit) != 0)
          {
            g_set_error (error, FQ_ERROR, FQ_ERROR_FORBIDDEN,
                         "a unit checks in only itself");
            return FALSE;
          }
        if (invitee->status == STATUS_CHECKED_IN)
          return invalid_transition (job, session, user, error, "%s has already checked in",
                                     invitee->unit);
        data = invitee_check_in (session, invitee, user->username, now);
        if (!add_event (job, db, ticket, now, FQ_EVENT_KIND_CHECKED_IN, user, invitee->unit,
                        note, data, error))
          return FALSE;
      }
      break;

    case ACTION_MARK_ABSENT:
    case ACTION_EXCUSE:
      {
        Invitee *invitee = parse_invitee (body, session, user, error);

        if (invitee == NULL)
          return FALSE;
        if (invitee->status == STATUS_CHECKED_IN ||
            (action == ACTION_MARK_ABSENT && invitee->status != STATUS_INVITED) ||
            (action == ACTION_EXCUSE && invitee->status == STATUS_EXCUSED))
          return invalid_transition (job, session, user, error, "%s is %s", invitee->unit,
                                     status_names[invitee->status]);
        invitee_set_status (invitee, action == ACTION_MARK_ABSENT ? STATUS_ABSENT : STATUS_EXCUSED,
                            user->username, now);
      }
      break;

    case ACTION_MINUTES:
      if (text == NULL && !parse_minutes (body, &text, error))
        return FALSE;
      g_free (session->minutes);
      session->minutes = g_steal_pointer (&text);
      break;

    case ACTION_DECIDE:
      {
        Decision *decision = g_new0 (Decision, 1);

        if (!required_text (body, "text", FQ_MAX_TEXT_CHARS, &decision->text, error))
          {
            decision_free (decision);
            return FALSE;
          }
        decision->at = now;
        decision->actor = g_strdup (user->username);
        g_ptr_array_add (session->decisions, decision);
        if (!decision_insert (db, session, decision, error))
          return FALSE;
      }
      break;

    case ACTION_ADD_ACTION_ITEM:
      {
        g_autofree char *owner = NULL;
        Item *item;
        gint64 due = 0;

        if (!required_text (body, "text", MAX_NOTE_CHARS, &text, error) ||
            !fq_json_get_string (body, "owner_unit", TRUE, FQ_MAX_ID_CHARS, &owner, error) ||
            !fq_json_get_time (body, "due", TRUE, &due, NULL, error))
          return FALSE;
        if (g_strcmp0 (owner, session->convener_unit) != 0 &&
            find_unit_invitee (session, owner) == NULL)
          {
            fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "owner_unit",
                                "“%s” is neither the convener nor invited", owner);
            return FALSE;
          }
        item = g_new0 (Item, 1);
        item->text = g_steal_pointer (&text);
        item->owner_unit = g_steal_pointer (&owner);
        item->due = due;
        item->created_at = now;
        item->created_by = g_strdup (user->username);
        g_ptr_array_add (session->items, item);
        if (!item_insert (db, session, item, error))
          return FALSE;
      }
      break;

    case ACTION_COMPLETE_ACTION_ITEM:
      {
        g_autofree char *id = NULL;
        Item *item;

        if (!fq_json_get_string (body, "item", TRUE, FQ_MAX_ID_CHARS, &id, error))
          return FALSE;
        item = find_item (session, id);
        if (item == NULL)
          {
            fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "item",
                                "no action item “%s” in this session", id);
            return FALSE;
          }
        if (!manager && g_strcmp0 (item->owner_unit, user->unit) != 0)
          {
            g_set_error (error, FQ_ERROR, FQ_ERROR_FORBIDDEN,
                         "only its owner unit or a coordinator completes an action item");
            return FALSE;
          }
        if (item->done_at != 0)
          return invalid_transition (job, session, user, error, "action item %s is done", id);
        data = item_complete (session, item, user->username, now);
        if (!item_update (db, item, error))
          {
            json_node_unref (data);
            return FALSE;
          }
        if (!add_event (job, db, ticket, now, FQ_EVENT_KIND_ACTION_DONE, user, item->owner_unit,
                        note, data, error))
          return FALSE;
      }
      break;

    case ACTION_CONCLUDE:
      data = session_conclude (session, user->username, now);
      if (!add_event (job, db, ticket, now, FQ_EVENT_KIND_CONSENSUS, user,
                      actor_unit != NULL ? actor_unit : session->convener_unit, note, data, error))
        return FALSE;
      break;

    case ACTION_CANCEL:
      if (note == NULL || *note == '\0')
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "note",
                              "required: why it is cancelled");
          return FALSE;
        }
      session->state = STATE_CANCELLED;
      session->cancelled_at = now;
      session->cancel_note = g_strdup (note);
      data = new_data (session);
      json_object_set_string_member (json_node_get_object (data), "session_action", "cancel");
      if (!add_event (job, db, ticket, now, FQ_EVENT_KIND_COMMENT, user,
                      actor_unit != NULL ? actor_unit : session->convener_unit, note, data,
                      error))
        return FALSE;
      break;

    case N_ACTIONS:
    default:
      g_assert_not_reached ();
    }

  if (!record_item_breaches (job, db, session, ticket, now, &breached, error))
    return FALSE;
  session->updated_at = now;
  session->rev++;
  if (!session_save (job, db, session, ticket, now, error))
    return FALSE;
  fq_job_set_audit (job, "session", session->id, action_names[action]);
  return TRUE;
}

static gboolean
action_job (FqJob     *job,
            gpointer   user_data,
            GError   **error)
{
  g_autoptr(FqDb) db = fq_db_new_for_job (job);
  FqRequest *request = fq_job_get_request (job);
  const char *id = fq_request_get_segment (request, 1);
  g_autoptr(Session) session = NULL;
  g_autoptr(FqTicket) ticket = NULL;
  gboolean unchanged = FALSE;

  if (!load_visible_session (job, db, id, &session, &ticket, error))
    return FALSE;
  if (!apply_action (job, db, session, ticket, fq_request_get_body (request), &unchanged, error))
    return FALSE;
  fq_job_respond (job, SOUP_STATUS_OK,
                  session_detail_json (session, fq_job_get_user (job), fq_job_now (job)));
  return TRUE;
}

static void
sessions_action (FqRequest *request)
{
  /* Leaders only read; the session's rules decide everything else. */
  if (!fq_request_require_role (request, FQ_ROLE_BIT (FQ_ROLE_OPERATOR) |
                                         FQ_ROLE_BIT (FQ_ROLE_COORDINATOR) |
                                         FQ_ROLE_BIT (FQ_ROLE_UNIT) |
                                         FQ_ROLE_BIT (FQ_ROLE_GRID_WORKER) |
                                         FQ_ROLE_BIT (FQ_ROLE_ADMIN)))
    return;
  fq_request_run (request, FQ_JOB_WRITE, action_job, NULL, NULL);
}

/* ---- the overdue watch ---- */

static gboolean
watch_job (FqJob     *job,
           gpointer   user_data,
           GError   **error)
{
  static const char sql[] =
    "SELECT DISTINCT session FROM action_items WHERE done_at IS NULL AND due < ? "
    "AND overdue_recorded = 0 LIMIT ?";
  g_autoptr(FqDb) db = fq_db_new_for_job (job);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  gint64 now = fq_job_now (job);
  sqlite3_stmt *stmt = fq_db_prepare (db, sql, error);
  guint changed = 0;
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now);
  sqlite3_bind_int (stmt, 2, WATCH_BATCH);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ids, column_dup (stmt, 0));
  sqlite3_reset (stmt);
  if (!fq_sqlite_check (fq_job_get_db (job), rc, error))
    return FALSE;

  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(Session) session = NULL;
      g_autoptr(FqTicket) ticket = NULL;
      gboolean breached = FALSE;

      session = session_load (db, g_ptr_array_index (ids, i), error);
      if (session == NULL)
        {
          if (error != NULL && *error != NULL)
            return FALSE;
          continue;
        }
      ticket = load_ticket (db, session->ticket, error);
      if (ticket == NULL)
        return FALSE;
      if (!record_item_breaches (job, db, session, ticket, now, &breached, error))
        return FALSE;
      if (!breached)
        continue;
      session->updated_at = now;
      session->rev++;
      if (!session_save (job, db, session, ticket, now, error))
        return FALSE;
      changed++;
    }

  if (changed > 0)
    {
      fq_job_set_audit (job, "session", NULL, "action item watch");
      fq_job_respond (job, SOUP_STATUS_OK, NULL);
    }
  return TRUE;
}

static gboolean
watch_cb (gpointer user_data)
{
  FqServer *server = fq_server_get_default ();

  if (server != NULL)
    fq_server_submit_write (server, NULL, watch_job, NULL, NULL);
  return G_SOURCE_CONTINUE;
}

void
fq_sessions_register (FqServer *server)
{
  g_autoptr(GSource) source = NULL;
  g_autoptr(GMainContext) context = NULL;

  fq_server_add_route (server, "POST", "/tickets/*/sessions", FQ_ROUTE_BODY, sessions_create);
  fq_server_add_route (server, "GET", "/sessions", FQ_ROUTE_DEFAULT, sessions_list);
  fq_server_add_route (server, "GET", "/sessions/*", FQ_ROUTE_DEFAULT, sessions_get);
  fq_server_add_route (server, "POST", "/sessions/*/actions", FQ_ROUTE_BODY, sessions_action);

  /* As the SLA watch: on the context the server was set up on. */
  context = g_main_context_ref_thread_default ();
  source = g_timeout_source_new_seconds (WATCH_INTERVAL_SECONDS);
  g_source_set_callback (source, watch_cb, NULL, NULL);
  g_source_set_name (source, "[fengqiao] action item watch");
  g_source_attach (source, context);
}

/* ---- the demo's sessions ---- */

typedef struct
{
  const char *category;   /* what the session is about */
  const char *title;
  const char *agenda;
  const char *minutes;
  const char *decision;
  const char *items[2];
} DemoText;

/* The seeded sessions' texts, for a matter of their category; another
 * matter gets demo_text_for() instead. Only the first two are run (minutes,
 * decision, items); the others are still to come. */
static const DemoText demo_texts[] = {
  { "M01", "商铺私搭彩钢棚堵塞消防通道联合会商",
    "一、核实彩钢棚搭建情况；二、明确各部门职责；三、确定拆除时限",
    "城管执法大队介绍现场核查情况：商铺在消防通道上搭建彩钢棚约20平方米。\n"
    "消防救援大队：该通道为小区唯一消防车道，必须立即恢复畅通。\n"
    "街道办事处协调物业公司配合拆除，社区做好商户和居民工作。",
    "彩钢棚属违法建设，由城管执法大队下达限期拆除通知，3日内拆除",
    { "下达限期拆除通知书并监督拆除", "拆除后复查消防通道并回访居民" } },
  { "B05", "小区加装电梯意见分歧协调会",
    "一、听取高低楼层住户意见；二、明确补偿方案；三、确定施工安排",
    "社区介绍前期征求意见情况：一至二楼住户担心采光和噪音。\n住建部门说明加装电梯补贴政策。",
    "按楼层分摊费用，一楼住户给予适当补偿，由社区组织签订协议",
    { "组织全体住户签订加装电梯协议", "出具施工方案审查意见" } },
  { "G03", "餐饮油烟扰民联合调处会",
    "一、现场检测情况；二、整改要求；三、复查安排",
    NULL, NULL, { NULL, NULL } },
  { "D01", "物业服务纠纷多方协商会",
    "一、业主诉求；二、物业公司整改承诺；三、监督机制",
    NULL, NULL, { NULL, NULL } },
};

static Invitee *
demo_invitee (const char *unit)
{
  Invitee *invitee = g_new0 (Invitee, 1);

  invitee->unit = g_strdup (unit);
  invitee->status = STATUS_INVITED;
  invitee->delay_minutes = -1;
  return invitee;
}

static gboolean
demo_check_in (FqJob           *job,
               FqDb            *db,
               Session         *session,
               const FqTicket  *ticket,
               const FqUser    *user,
               guint            index,
               gint64           at,
               GError         **error)
{
  Invitee *invitee = g_ptr_array_index (session->invitees, index);
  JsonNode *data = invitee_check_in (session, invitee, user->username, at);

  return add_event (job, db, ticket, at, FQ_EVENT_KIND_CHECKED_IN, user, invitee->unit, NULL,
                    data, error);
}

/* The texts of a session on a matter none of demo_texts is about, in
 * @strings: said in general terms, of the ticket's own category and title. */
static DemoText
demo_text_for (FqRefData      *ref,
               const FqTicket *ticket,
               GStringChunk   *strings)
{
  const FqCategoryInfo *category = fq_refdata_get_category (ref, ticket->category);
  const FqUnitInfo *lead = fq_refdata_get_unit (ref, ticket->lead_unit);
  const char *lead_name = lead != NULL ? lead->name : ticket->lead_unit;
  const FqGridNodeInfo *community = fq_refdata_get_node (ref, ticket->grid);
  g_autofree char *place = community != NULL && community->level == FQ_GRID_LEVEL_COMMUNITY
                           ? fq_demo_community_place (community) : g_strdup ("");
  g_autofree char *title = g_strdup_printf ("%s%s联合会商", place,
                                            category != NULL ? category->name : ticket->title);
  g_autofree char *minutes = g_strdup_printf ("%s通报前期处置情况：%s。\n"
                                              "到会单位逐一发表意见，明确各自职责。",
                                              lead_name, ticket->title);
  g_autofree char *decision = g_strdup_printf ("由%s牵头，社区和相关部门配合，"
                                               "限期处置到位并回访当事人", lead_name);

  return (DemoText) {
    .category = ticket->category,
    .title = g_string_chunk_insert (strings, title),
    .agenda = "一、通报前期处置情况；二、各单位发表意见；三、明确责任分工和办理时限",
    .minutes = g_string_chunk_insert (strings, minutes),
    .decision = g_string_chunk_insert (strings, decision),
    .items = { "牵头落实会商决定并按期反馈", "配合做好当事人工作并跟踪回访" },
  };
}

/* When a demo session of @kind (demo_session()) is held, and @called. */
static gint64
demo_scheduled_at (guint   kind,
                   gint64  now,
                   gint64 *called)
{
  gint64 at;

  switch (kind)
    {
    case 0:
      at = (now - 24 * 3600) / 60 * 60;
      break;
    case 1:
      at = (now - 20 * 60) / 60 * 60;
      break;
    case 2:
      at = (now + 3 * 3600) / 1800 * 1800;
      break;
    default:
      at = (now + 24 * 3600) / 1800 * 1800;
      break;
    }
  *called = MIN (now, at - 2 * 3600);
  return at;
}

/* One demo session on @ticket, about it in @text: @kind 0 concluded
 * yesterday, 1 in progress now, 2 later today, 3 tomorrow. */
static gboolean
demo_session (FqJob           *job,
              FqDb            *db,
              FqTicket        *ticket,
              guint            kind,
              const DemoText  *text,
              GError         **error)
{
  static const char * const departments[] = {
    "market_regulation-420204000000", "fire_rescue-420204000000", "housing-420204000000",
  };
  const FqUser *user = fq_job_get_user (job);
  FqRefData *ref = fq_job_get_refdata (job);
  const FqUnitInfo *street;
  gint64 now = fq_job_now (job);
  gint64 called;
  g_autoptr(Session) session = session_new ();
  g_autofree char *community = NULL;
  g_autofree const char **units = NULL;
  JsonNode *data;

  session->scheduled_at = demo_scheduled_at (kind, now, &called);

  session->id = fq_entities_next_id (db, 'S', called, error);
  if (session->id == NULL)
    return FALSE;
  session->ticket = g_strdup (ticket->id);
  session->grid = g_strdup (ticket->grid);
  session->title = g_strdup (text->title);
  session->agenda = g_strdup (text->agenda);
  /* The street the matter is in calls it, in its own office. */
  street = fq_refdata_find_unit (ref, "street_office", ticket->grid);
  session->convener_unit = g_strdup (street != NULL ? street->id : ticket->lead_unit);
  session->location = street != NULL ? g_strdup_printf ("%s会议室", street->name)
                                     : g_strdup ("街道综治中心会议室");
  session->state = STATE_SCHEDULED;
  session->created_by = g_strdup (user->username);
  session->created_at = called;
  session->updated_at = called;
  session->rev = 1;

  g_ptr_array_add (session->invitees, demo_invitee (ticket->lead_unit));
  if (g_strcmp0 (ticket->lead_unit, session->convener_unit) != 0)
    g_ptr_array_add (session->invitees, demo_invitee (session->convener_unit));
  community = g_strdup_printf ("community-%.12s", ticket->grid);
  if (fq_refdata_get_unit (ref, community) != NULL && find_unit_invitee (session, community) == NULL)
    g_ptr_array_add (session->invitees, demo_invitee (community));
  for (guint i = 0; i < G_N_ELEMENTS (departments); i++)
    if (fq_refdata_get_unit (ref, departments[(i + kind) % G_N_ELEMENTS (departments)]) != NULL &&
        find_unit_invitee (session, departments[(i + kind) % G_N_ELEMENTS (departments)]) == NULL &&
        session->invitees->len < 5)
      g_ptr_array_add (session->invitees,
                       demo_invitee (departments[(i + kind) % G_N_ELEMENTS (departments)]));
  {
    Invitee *person = g_new0 (Invitee, 1);

    person->name = g_strdup ("李建国");
    person->organisation = g_strdup ("居民代表");
    person->delay_minutes = -1;
    g_ptr_array_add (session->invitees, person);
  }

  if (!session_store (db, session, error) ||
      !fq_sessions_load_ticket_units (db, ticket, error))
    return FALSE;
  data = whistle_data (session);
  if (!add_event (job, db, ticket, called, FQ_EVENT_KIND_WHISTLE, user, session->convener_unit,
                  NULL, data, error))
    return FALSE;

  if (kind <= 1)
    {
      gint64 start = session->scheduled_at + 3 * 60;
      guint n = 0;

      for (guint i = 0; i < session->invitees->len; i++)
        if (((Invitee *)g_ptr_array_index (session->invitees, i))->unit != NULL)
          n++;
      /* The first unit is early, the others come over a few minutes; the
       * last is excused (yesterday) or still on its way (now). */
      for (guint i = 0; i + 1 < n; i++)
        if (!demo_check_in (job, db, session, ticket, user, i,
                            session->scheduled_at + (i == 0 ? -4 * 60 : (gint64)i * 2 * 60 + 30),
                            error))
          return FALSE;
      if (kind == 0)
        ((Invitee *)g_ptr_array_index (session->invitees, n - 1))->status = STATUS_EXCUSED;

      data = session_start (session, start);
      if (!add_event (job, db, ticket, start, FQ_EVENT_KIND_CONVENED, user, session->convener_unit,
                      NULL, data, error))
        return FALSE;
      session->minutes = g_strdup (text->minutes);

      if (text->decision != NULL && (kind == 0 || start + 12 * 60 < now))
        {
          Decision *decision = g_new0 (Decision, 1);

          decision->text = g_strdup (text->decision);
          decision->at = kind == 0 ? start + 50 * 60 : start + 12 * 60;
          decision->actor = g_strdup (user->username);
          if (!decision_insert (db, session, decision, error))
            {
              decision_free (decision);
              return FALSE;
            }
          g_ptr_array_add (session->decisions, decision);
        }

      if (kind == 0)
        {
          for (guint i = 0; i < G_N_ELEMENTS (text->items) && text->items[i] != NULL; i++)
            {
              Item *item = g_new0 (Item, 1);

              item->text = g_strdup (text->items[i]);
              item->owner_unit = g_strdup (((Invitee *)g_ptr_array_index (session->invitees, i))->unit);
              item->due = now + (i == 0 ? 2 : 3) * 24 * 3600;
              item->created_at = start + 55 * 60;
              item->created_by = g_strdup (user->username);
              if (!item_insert (db, session, item, error))
                {
                  item_free (item);
                  return FALSE;
                }
              g_ptr_array_add (session->items, item);
            }
          data = session_conclude (session, user->username, start + 65 * 60);
          if (!add_event (job, db, ticket, session->concluded_at, FQ_EVENT_KIND_CONSENSUS, user,
                          session->convener_unit, NULL, data, error))
            return FALSE;
        }
      session->rev = 2 + n;
    }

  session->updated_at = MIN (now, MAX (session->updated_at, session->started_at));
  if (!session_store (db, session, error))
    return FALSE;
  units = fq_ticket_units (ticket);
  fq_job_add_change (job, "ticket", ticket->id, "upsert", ticket->grid, units,
                     fq_ticket_to_json (ticket, fq_job_get_accept_limit (job), now));
  fq_job_add_change (job, "session", session->id, "upsert", ticket->grid, units,
                     session_to_json (session, now));
  return TRUE;
}

gboolean
fq_sessions_demo_seed (FqJob   *job,
                       FqDb    *db,
                       GError **error)
{
  /* The history's sessions are over by now: these are the current ones,
   * seeded again once those of an earlier start are two days old. */
  static const char count_sql[] =
    "SELECT count(*) FROM sessions WHERE scheduled_at >= ? "
    "AND state IN ('scheduled', 'in_progress')";
  /* An open matter of 下陆区 there was half an hour before the session was
   * called (?1), not chosen yet (?3 to ?5): of the text's category (?2)
   * if there is one, of the demo unit account's street (团城山街道) before
   * others, so that it has sessions to report in to, the newest first. A
   * street alone may have none open long enough. */
  static const char ticket_sql[] =
    "SELECT id FROM tickets WHERE grid LIKE '420204%' "
    "AND state IN ('dispatched', 'accepted') AND created_at < ?1 "
    "AND id NOT IN (ifnull (?3, ''), ifnull (?4, ''), ifnull (?5, '')) "
    "ORDER BY category = ?2 DESC, grid LIKE '420204004%' DESC, created_at DESC LIMIT 1";
  g_autoptr(GStringChunk) strings = g_string_chunk_new (1024);
  const char *chosen[G_N_ELEMENTS (demo_texts)] = { NULL, };
  sqlite3_stmt *stmt;
  int rc;

  if ((stmt = fq_db_prepare (db, count_sql, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, fq_job_now (job) - 2 * 24 * 3600);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW && sqlite3_column_int64 (stmt, 0) > 0)
    {
      sqlite3_reset (stmt);
      return TRUE;   /* seeded lately, or sessions under way: leave them */
    }
  sqlite3_reset (stmt);

  /* Each session on the matter its text is about, or else in words of the
   * matter's own. */
  for (guint kind = 0; kind < G_N_ELEMENTS (demo_texts); kind++)
    {
      g_autoptr(FqTicket) ticket = NULL;
      g_autofree char *id = NULL;
      DemoText text = demo_texts[kind];
      gint64 called;

      if ((stmt = fq_db_prepare (db, ticket_sql, error)) == NULL)
        return FALSE;
      demo_scheduled_at (kind, fq_job_now (job), &called);
      sqlite3_bind_int64 (stmt, 1, called - 30 * 60);
      fq_bind_text (stmt, 2, text.category);
      for (guint i = 0; i + 1 < G_N_ELEMENTS (chosen); i++)
        fq_bind_text (stmt, 3 + i, chosen[i]);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        id = column_dup (stmt, 0);
      sqlite3_reset (stmt);
      if (!fq_sqlite_check (fq_job_get_db (job), rc, error))
        return FALSE;
      if (id == NULL)
        continue;
      chosen[kind] = g_string_chunk_insert (strings, id);

      ticket = fq_ticket_load (db, id, error);
      if (ticket == NULL)
        return FALSE;
      if (g_strcmp0 (ticket->category, text.category) != 0)
        text = demo_text_for (fq_job_get_refdata (job), ticket, strings);
      if (!demo_session (job, db, ticket, kind, &text, error))
        return FALSE;
    }
  fq_job_set_audit (job, "session", NULL, "demo sessions");
  return TRUE;
}

/* ---- sessions of the demo's history (fq-sessions.h) ---- */

struct _FqHistorySession
{
  Session *session;
};

static JsonObject *
take_object (JsonNode *data)
{
  JsonObject *object = json_object_ref (json_node_get_object (data));

  json_node_unref (data);
  return object;
}

/* Each step is a change of the session, as an action would be. */
static void
history_touch (FqHistorySession *history,
               gint64            at)
{
  history->session->updated_at = MAX (history->session->updated_at, at);
  history->session->rev++;
}

FqHistorySession *
fq_history_session_new (const FqTicket  *ticket,
                        const char      *id,
                        const char      *title,
                        const char      *agenda,
                        const char      *location,
                        const char      *convener_unit,
                        const char      *called_by,
                        gint64           called_at,
                        gint64           scheduled_at)
{
  FqHistorySession *history = g_new0 (FqHistorySession, 1);
  Session *session = session_new ();

  session->id = g_strdup (id);
  session->ticket = g_strdup (ticket->id);
  session->grid = g_strdup (ticket->grid);
  session->title = g_strdup (title);
  session->agenda = g_strdup (agenda);
  session->location = g_strdup (location);
  session->convener_unit = g_strdup (convener_unit);
  session->state = STATE_SCHEDULED;
  session->scheduled_at = scheduled_at;
  session->created_by = g_strdup (called_by);
  session->created_at = called_at;
  session->updated_at = called_at;
  session->rev = 1;
  history->session = session;
  return history;
}

JsonObject *
fq_history_session_called (FqHistorySession *history)
{
  return take_object (whistle_data (history->session));
}

void
fq_history_session_invite (FqHistorySession *history,
                           const char       *unit)
{
  if (find_unit_invitee (history->session, unit) == NULL)
    g_ptr_array_add (history->session->invitees, demo_invitee (unit));
}

void
fq_history_session_add_person (FqHistorySession *history,
                               const char       *name,
                               const char       *organisation)
{
  Invitee *person = g_new0 (Invitee, 1);

  person->name = g_strdup (name);
  person->organisation = g_strdup (organisation);
  person->delay_minutes = -1;
  g_ptr_array_add (history->session->invitees, person);
}

JsonObject *
fq_history_session_check_in (FqHistorySession *history,
                             const char       *unit,
                             const char       *by,
                             gint64            at)
{
  Invitee *invitee = find_unit_invitee (history->session, unit);

  g_return_val_if_fail (invitee != NULL, NULL);
  history_touch (history, at);
  return take_object (invitee_check_in (history->session, invitee, by, at));
}

void
fq_history_session_excuse (FqHistorySession *history,
                           const char       *unit,
                           const char       *by,
                           gint64            at)
{
  Invitee *invitee = find_unit_invitee (history->session, unit);

  g_return_if_fail (invitee != NULL);
  history_touch (history, at);
  invitee_set_status (invitee, STATUS_EXCUSED, by, at);
}

JsonObject *
fq_history_session_start (FqHistorySession *history,
                          gint64            at)
{
  history_touch (history, at);
  return take_object (session_start (history->session, at));
}

void
fq_history_session_set_minutes (FqHistorySession *history,
                                const char       *minutes,
                                gint64            at)
{
  history_touch (history, at);
  g_free (history->session->minutes);
  history->session->minutes = g_strdup (minutes);
}

void
fq_history_session_decide (FqHistorySession *history,
                           gint64            id,
                           const char       *text,
                           const char       *by,
                           gint64            at)
{
  Decision *decision = g_new0 (Decision, 1);

  history_touch (history, at);
  decision->id = id;
  decision->text = g_strdup (text);
  decision->at = at;
  decision->actor = g_strdup (by);
  g_ptr_array_add (history->session->decisions, decision);
}

void
fq_history_session_add_item (FqHistorySession *history,
                             gint64            id,
                             const char       *text,
                             const char       *owner_unit,
                             gint64            due,
                             const char       *by,
                             gint64            at)
{
  Item *item = g_new0 (Item, 1);

  history_touch (history, at);
  item->id = id;
  item->text = g_strdup (text);
  item->owner_unit = g_strdup (owner_unit);
  item->due = due;
  item->created_at = at;
  item->created_by = g_strdup (by);
  g_ptr_array_add (history->session->items, item);
}

JsonObject *
fq_history_session_conclude (FqHistorySession *history,
                             const char       *by,
                             gint64            at)
{
  g_return_val_if_fail (history->session->decisions->len > 0, NULL);
  history_touch (history, at);
  return take_object (session_conclude (history->session, by, at));
}

JsonObject *
fq_history_session_item_overdue (FqHistorySession *history,
                                 gint64            id)
{
  Item *item = find_item_by_id (history->session, id);

  g_return_val_if_fail (item != NULL && !item->overdue_recorded, NULL);
  history_touch (history, item->due);
  return take_object (item_breached (history->session, item));
}

JsonObject *
fq_history_session_complete_item (FqHistorySession *history,
                                  gint64            id,
                                  const char       *by,
                                  gint64            at)
{
  Item *item = find_item_by_id (history->session, id);

  g_return_val_if_fail (item != NULL && item->done_at == 0, NULL);
  history_touch (history, at);
  return take_object (item_complete (history->session, item, by, at));
}

gint64
fq_history_session_get_updated_at (FqHistorySession *history)
{
  return history->session->updated_at;
}

gboolean
fq_history_session_store (FqDb              *db,
                          FqHistorySession  *history,
                          gint64             now,
                          GString           *json,
                          GError           **error)
{
  Session *session = history->session;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;

  if (!session_store (db, session, error))
    return FALSE;
  for (guint i = 0; i < session->decisions->len; i++)
    if (!decision_insert (db, session, g_ptr_array_index (session->decisions, i), error))
      return FALSE;
  for (guint i = 0; i < session->items->len; i++)
    if (!item_insert (db, session, g_ptr_array_index (session->items, i), error))
      return FALSE;

  node = session_to_json (session, now);
  text = fq_json_to_string (node, NULL);
  g_string_append (json, text);
  return TRUE;
}

void
fq_history_session_free (FqHistorySession *history)
{
  if (history == NULL)
    return;
  session_free (history->session);
  g_free (history);
}
