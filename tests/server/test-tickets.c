/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Tickets over HTTP (API.md "Tickets", DOMAIN.md "Tickets"): every row of the
 * ticket state machine (fq-ticket-machine.c, the table the server enforces)
 * is driven through POST /tickets/{id}/actions; every other (state, action,
 * role) answers invalid_transition with `allowed`, or forbidden, as the
 * table says; allowed_actions, stale_rev, scope for unit staff, assisting
 * units and the order they joined in, idempotent actions, lists and merge
 * into a closed ticket; reads answered from memory, beside writes.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fq-enum-types.h"
#include "fq-enums.h"
#include "fq-error.h"
#include "fq-ticket-machine.h"
#include "fq-test-server.h"

typedef struct
{
  FqTestWorld *w;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->w = fq_test_world_get ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
}

static const char *
nick (GType type,
      int   value)
{
  return fq_enum_to_string (type, value);
}

/* A category that is not police-only, whose tier can be escalated. */
static const char *
ticket_category (Fixture *f)
{
  for (guint i = 0; i < 81; i++)
    {
      JsonObject *c = fq_test_pick_category (f->w->operator, FALSE, i);

      if (g_strcmp0 (fq_test_obj_str (c, "tier"), "city") != 0)
        return fq_test_obj_str (c, "code");
    }
  g_assert_not_reached ();
}

static JsonObject *
new_ticket (Fixture *f)
{
  return fq_test_create_ticket (f->w->operator, f->w->operator, FQ_TEST_GUANGZHOULU,
                                ticket_category (f), FQ_TEST_UNIT_STREET);
}

static JsonObject *
get_ticket (FqTestClient *client,
            const char   *id)
{
  g_autoptr(FqTestResponse) resp = fq_test_get (client, "/tickets/%s", id);

  fq_test_assert_status (resp, 200);
  return json_object_ref (fq_test_response_object (resp));
}

/* The extra members an action needs, as JSON members after "action" and
 * "rev". */
static char *
action_fields (Fixture        *f,
               FqTicketAction  action,
               guint           fields,
               JsonObject     *ticket)
{
  GString *s = g_string_new (NULL);

  if (fields & FQ_ACTION_FIELD_NOTE)
    g_string_append_printf (s, ",\"note\":\"%s 说明\"", nick (FQ_TYPE_TICKET_ACTION, action));
  if (fields & FQ_ACTION_FIELD_REASON)
    g_string_append (s, ",\"reason\":\"not_responsible\"");
  if (fields & FQ_ACTION_FIELD_UNIT)
    {
      g_autofree char *other = fq_test_pick_unit (f->w->operator, "420204", fq_test_obj_str (ticket, "lead_unit"));

      g_string_append_printf (s, ",\"unit\":\"%s\"", other);
    }
  if (fields & FQ_ACTION_FIELD_UNITS)
    {
      g_autofree char *other = fq_test_pick_unit (f->w->operator, "420204", fq_test_obj_str (ticket, "lead_unit"));

      g_string_append_printf (s, ",\"units\":[\"%s\"]", other);
    }
  if (fields & FQ_ACTION_FIELD_SATISFACTION)
    g_string_append (s, ",\"satisfaction\":4");
  if (fields & FQ_ACTION_FIELD_TIER)
    {
      int tier = 0;
      FqTier next;

      g_assert_true (fq_enum_from_string (FQ_TYPE_TIER, fq_test_obj_str (ticket, "tier"), &tier));
      g_assert_true (fq_tier_next (tier, &next));
      g_string_append_printf (s, ",\"tier\":\"%s\"", nick (FQ_TYPE_TIER, next));
    }

  return g_string_free (s, FALSE);
}

static FqTestResponse *
act (FqTestClient *client,
     JsonObject   *ticket,
     const char   *action,
     gint64        rev,
     const char   *fields)
{
  g_autofree char *path = g_strdup_printf ("/tickets/%s/actions", fq_test_obj_str (ticket, "id"));
  g_autofree char *body = g_strdup_printf ("{\"action\":\"%s\",\"rev\":%" G_GINT64_FORMAT "%s}",
                                           action, rev, fields ? fields : "");

  return fq_test_post (client, path, body);
}

/* Takes one action that must succeed; returns the new ticket. */
static JsonObject *
act_ok (Fixture        *f,
        FqTestClient   *client,
        JsonObject     *ticket,
        FqTicketAction  action,
        guint           fields)
{
  g_autofree char *extra = action_fields (f, action, fields, ticket);
  g_autoptr(FqTestResponse) resp = act (client, ticket, nick (FQ_TYPE_TICKET_ACTION, action),
                                        fq_test_obj_int (ticket, "rev"), extra);

  fq_test_assert_status (resp, 200);
  return json_object_ref (fq_test_response_object (resp));
}

/* A fresh ticket brought to @state by the table's own actions. */
static JsonObject *
ticket_in_state (Fixture       *f,
                 FqTicketState  state)
{
  g_autoptr(JsonObject) t = new_ticket (f);

  switch (state)
    {
    case FQ_TICKET_STATE_DISPATCHED:
      return g_steal_pointer (&t);
    case FQ_TICKET_STATE_RETURNED:
      return act_ok (f, f->w->unit, t, FQ_TICKET_ACTION_RETURN, FQ_ACTION_FIELD_REASON | FQ_ACTION_FIELD_NOTE);
    case FQ_TICKET_STATE_ACCEPTED:
      return act_ok (f, f->w->unit, t, FQ_TICKET_ACTION_ACCEPT, 0);
    case FQ_TICKET_STATE_RESOLVED:
    case FQ_TICKET_STATE_CLOSED:
      {
        g_autoptr(JsonObject) a = act_ok (f, f->w->unit, t, FQ_TICKET_ACTION_ACCEPT, 0);
        g_autoptr(JsonObject) r = act_ok (f, f->w->unit, a, FQ_TICKET_ACTION_RESOLVE, FQ_ACTION_FIELD_NOTE);

        if (state == FQ_TICKET_STATE_RESOLVED)
          return g_steal_pointer (&r);
        return act_ok (f, f->w->coordinator, r, FQ_TICKET_ACTION_CLOSE, FQ_ACTION_FIELD_SATISFACTION);
      }
    default:
      g_assert_not_reached ();
    }
}

static FqTicketState
state_of (JsonObject *ticket)
{
  int state = -1;

  g_assert_true (fq_enum_from_string (FQ_TYPE_TICKET_STATE, fq_test_obj_str (ticket, "state"), &state));
  return state;
}

static guint
relation_of (JsonObject *ticket,
             const char *unit)
{
  guint rel = 0;

  if (unit == NULL)
    return 0;
  if (g_strcmp0 (fq_test_obj_str (ticket, "lead_unit"), unit) == 0)
    rel |= FQ_UNIT_RELATION_LEAD;
  if (fq_test_array_has_string (fq_test_obj_array (ticket, "assisting_units"), unit))
    rel |= FQ_UNIT_RELATION_ASSIST;

  return rel;
}

static guint
mask_of (JsonArray *array)
{
  guint mask = 0;

  g_assert_nonnull (array);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      int action = -1;

      g_assert_true (fq_enum_from_string (FQ_TYPE_TICKET_ACTION, json_array_get_string_element (array, i), &action));
      mask |= 1u << action;
    }

  return mask;
}

static char *
mask_to_string (guint mask)
{
  g_auto(GStrv) names = fq_ticket_actions_to_strv (mask);

  return g_strjoinv (",", names);
}

static void
assert_allowed (guint       expected,
                JsonArray  *actual,
                const char *what)
{
  guint got = mask_of (actual);

  if (got != expected)
    {
      g_autofree char *e = mask_to_string (expected);
      g_autofree char *a = mask_to_string (got);

      g_error ("%s: allowed actions expected [%s], got [%s]", what, e, a);
    }
}

typedef struct
{
  const char   *name;
  FqRole        role;
  const char   *unit;
} Actor;

static FqTestClient *
actor_client (Fixture     *f,
              const Actor *a)
{
  return fq_test_world_client_for_role (f->w, nick (FQ_TYPE_ROLE, a->role));
}

static const Actor actors[] = {
  { "operator", FQ_ROLE_OPERATOR, NULL },
  { "coordinator", FQ_ROLE_COORDINATOR, NULL },
  { "unit", FQ_ROLE_UNIT, FQ_TEST_UNIT_STREET },
  { "leader", FQ_ROLE_LEADER, NULL },
  { "admin", FQ_ROLE_ADMIN, NULL },
};

/* The display name of an account, as the administrator lists it. */
static const char *
display_name_of (Fixture    *f,
                 const char *username)
{
  g_autoptr(FqTestResponse) resp = fq_test_get (f->w->admin, "/users");
  JsonArray *users;

  fq_test_assert_status (resp, 200);
  users = fq_test_obj_array (fq_test_response_object (resp), "users");
  for (guint i = 0; i < json_array_get_length (users); i++)
    {
      JsonObject *user = json_array_get_object_element (users, i);

      if (g_strcmp0 (fq_test_obj_str (user, "username"), username) == 0)
        return g_intern_string (fq_test_obj_str (user, "display_name"));
    }
  g_error ("no account %s", username);
}

static void
test_transitions (Fixture       *f,
                  gconstpointer  data)
{
  guint n_rows = 0;
  const FqTicketTransition *table = fq_ticket_machine_table (&n_rows);

  g_assert_cmpuint (n_rows, >, 10);

  for (guint i = 0; i < n_rows; i++)
    {
      const FqTicketTransition *row = &table[i];
      g_autoptr(JsonObject) before = ticket_in_state (f, row->from);
      g_autoptr(JsonObject) after = NULL;
      FqTestClient *client;
      FqTicketState expected;
      JsonArray *events;
      JsonObject *last;
      g_autofree char *what = g_strdup_printf ("%s --%s-->", nick (FQ_TYPE_TICKET_STATE, row->from),
                                               nick (FQ_TYPE_TICKET_ACTION, row->action));

      g_test_message ("transition %s", what);
      if (row->roles & FQ_ROLE_BIT (FQ_ROLE_COORDINATOR))
        client = f->w->coordinator;
      else if (row->roles & FQ_ROLE_BIT (FQ_ROLE_UNIT))
        client = f->w->unit;
      else
        client = f->w->operator;

      after = act_ok (f, client, before, row->action, row->required);
      expected = row->to == FQ_TICKET_STATE_SAME ? row->from : row->to;
      if (state_of (after) != expected)
        g_error ("%s: expected state %s, got %s", what, nick (FQ_TYPE_TICKET_STATE, expected),
                 fq_test_obj_str (after, "state"));
      g_assert_cmpint (fq_test_obj_int (after, "rev"), >, fq_test_obj_int (before, "rev"));

      /* The answer carries the timeline; its newest event is this action. */
      events = fq_test_obj_array (after, "events");
      g_assert_nonnull (events);
      g_assert_cmpuint (json_array_get_length (events), >=, 2);
      last = json_array_get_object_element (events, json_array_get_length (events) - 1);
      if (g_strcmp0 (fq_test_obj_str (last, "kind"), nick (FQ_TYPE_EVENT_KIND, row->event)) != 0)
        g_error ("%s: expected last event %s, got %s", what, nick (FQ_TYPE_EVENT_KIND, row->event),
                 fq_test_obj_str (last, "kind"));
      g_assert_cmpstr (fq_test_obj_str (last, "ticket"), ==, fq_test_obj_str (before, "id"));
      g_assert_nonnull (fq_test_obj_str (last, "id"));
      g_assert_nonnull (fq_test_obj_str (last, "at"));
      g_assert_nonnull (fq_test_obj_str (last, "actor"));
      /* Who acted, by the name their account goes by. */
      g_assert_cmpstr (fq_test_obj_str (last, "actor_name"), ==,
                       display_name_of (f, fq_test_obj_str (last, "actor")));
      g_assert_true (json_object_has_member (last, "unit"));
      g_assert_true (json_object_has_member (last, "note"));
      g_assert_true (json_object_has_member (last, "data"));
      g_assert_cmpstr (fq_test_obj_str (json_array_get_object_element (events, 0), "kind"), ==, "dispatched");

      /* Side effects the table implies. */
      switch (row->action)
        {
        case FQ_TICKET_ACTION_ACCEPT:
          g_assert_nonnull (fq_test_obj_str (after, "accepted_at"));
          break;
        case FQ_TICKET_ACTION_RESOLVE:
          g_assert_nonnull (fq_test_obj_str (after, "resolved_at"));
          break;
        case FQ_TICKET_ACTION_CLOSE:
          g_assert_nonnull (fq_test_obj_str (after, "closed_at"));
          g_assert_cmpint (fq_test_obj_int (after, "satisfaction"), ==, 4);
          break;
        case FQ_TICKET_ACTION_RETURN:
          g_assert_cmpint (fq_test_obj_int (after, "returned_count"), ==, fq_test_obj_int (before, "returned_count") + 1);
          break;
        case FQ_TICKET_ACTION_REOPEN:
          g_assert_cmpint (fq_test_obj_int (after, "reopened_count"), ==, fq_test_obj_int (before, "reopened_count") + 1);
          break;
        case FQ_TICKET_ACTION_REDISPATCH:
          g_assert_cmpstr (fq_test_obj_str (after, "lead_unit"), !=, fq_test_obj_str (before, "lead_unit"));
          break;
        case FQ_TICKET_ACTION_ASSIST:
          g_assert_cmpuint (json_array_get_length (fq_test_obj_array (after, "assisting_units")), ==, 1);
          break;
        case FQ_TICKET_ACTION_ESCALATE:
          g_assert_cmpstr (fq_test_obj_str (after, "tier"), !=, fq_test_obj_str (before, "tier"));
          break;
        default:
          break;
        }

      /* GET agrees, and offers each role exactly what the table allows. */
      for (guint a = 0; a < G_N_ELEMENTS (actors); a++)
        {
          g_autoptr(FqTestResponse) resp = fq_test_get (actor_client (f, &actors[a]), "/tickets/%s",
                                                        fq_test_obj_str (before, "id"));
          g_autofree char *label = NULL;
          guint rel;

          if (actors[a].role == FQ_ROLE_UNIT && relation_of (after, actors[a].unit) == 0)
            {
              /* Redispatched away: no longer the unit's ticket. */
              fq_test_assert_error (resp, 404, "not_found");
              continue;
            }
          fq_test_assert_status (resp, 200);
          g_assert_cmpint (fq_test_obj_int (fq_test_response_object (resp), "rev"), ==, fq_test_obj_int (after, "rev"));
          g_assert_nonnull (fq_test_obj_array (fq_test_response_object (resp), "events"));
          g_assert_nonnull (fq_test_obj_array (fq_test_response_object (resp), "sessions"));
          rel = relation_of (fq_test_response_object (resp), actors[a].unit);
          label = g_strdup_printf ("%s, then GET as %s", what, actors[a].name);
          assert_allowed (fq_ticket_machine_allowed (expected, actors[a].role, rel),
                          fq_test_obj_array (fq_test_response_object (resp), "allowed_actions"), label);
        }
    }
}

static void
test_illegal (Fixture       *f,
              gconstpointer  data)
{
  for (FqTicketState state = 0; state < FQ_TICKET_N_STATES; state++)
    {
      g_autoptr(JsonObject) t = ticket_in_state (f, state);
      g_autoptr(JsonObject) unchanged = NULL;
      gint64 seq = fq_test_last_seq (f->w->operator);

      for (guint a = 0; a < G_N_ELEMENTS (actors); a++)
        for (FqTicketAction action = 0; action < FQ_TICKET_N_ACTIONS; action++)
          {
            guint rel = relation_of (t, actors[a].unit);
            g_autoptr(GError) expected = NULL;
            g_autoptr(FqTestResponse) resp = NULL;
            g_autofree char *fields = NULL;
            guint needed = 0;
            guint n_rows;
            const FqTicketTransition *table = fq_ticket_machine_table (&n_rows);
            g_autofree char *what = NULL;

            if (fq_ticket_machine_check (state, action, actors[a].role, rel, &expected))
              continue;
            /* A role that takes no ticket action in any state (leaders,
             * administrators, grid workers) is refused by the permission
             * matrix before the state is looked at. Every other role gets
             * the table's answer. */
            if (fq_ticket_machine_allowed (FQ_TICKET_STATE_DISPATCHED, actors[a].role, ~0u) == 0 &&
                fq_ticket_machine_allowed (FQ_TICKET_STATE_ACCEPTED, actors[a].role, ~0u) == 0 &&
                fq_ticket_machine_allowed (FQ_TICKET_STATE_RESOLVED, actors[a].role, ~0u) == 0 &&
                fq_ticket_machine_allowed (FQ_TICKET_STATE_CLOSED, actors[a].role, ~0u) == 0 &&
                fq_ticket_machine_allowed (FQ_TICKET_STATE_RETURNED, actors[a].role, ~0u) == 0)
              {
                g_clear_error (&expected);
                g_set_error_literal (&expected, FQ_ERROR, FQ_ERROR_FORBIDDEN, "role");
              }

            /* The fields the action needs anywhere, so that the answer is
             * about the transition, not about a missing field. */
            for (guint i = 0; i < n_rows; i++)
              if (table[i].action == action)
                needed |= table[i].required;
            fields = action_fields (f, action, needed, t);
            resp = act (actor_client (f, &actors[a]), t, nick (FQ_TYPE_TICKET_ACTION, action),
                        fq_test_obj_int (t, "rev"), fields);
            what = g_strdup_printf ("%s on a %s ticket by %s", nick (FQ_TYPE_TICKET_ACTION, action),
                                    nick (FQ_TYPE_TICKET_STATE, state), actors[a].name);
            g_test_message ("illegal: %s", what);

            if (g_error_matches (expected, FQ_ERROR, FQ_ERROR_INVALID_TRANSITION))
              {
                JsonObject *err;

                if (resp->status != 409 || g_strcmp0 (fq_test_response_error_code (resp), "invalid_transition") != 0)
                  g_error ("%s: expected 409 invalid_transition, got %u %s", what, resp->status, resp->text);
                err = fq_test_obj_obj (fq_test_response_object (resp), "error");
                assert_allowed (fq_ticket_machine_allowed (state, actors[a].role, rel),
                                fq_test_obj_array (err, "allowed"), what);
              }
            else
              {
                if (resp->status != 403 || g_strcmp0 (fq_test_response_error_code (resp), "forbidden") != 0)
                  g_error ("%s: expected 403 forbidden, got %u %s", what, resp->status, resp->text);
              }
          }

      /* None of that changed anything. */
      unchanged = get_ticket (f->w->coordinator, fq_test_obj_str (t, "id"));
      g_assert_cmpint (fq_test_obj_int (unchanged, "rev"), ==, fq_test_obj_int (t, "rev"));
      g_assert_cmpstr (fq_test_obj_str (unchanged, "state"), ==, fq_test_obj_str (t, "state"));
      g_assert_cmpint (fq_test_last_seq (f->w->operator), ==, seq);
    }
}

static void
test_invalid_action_fields (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(JsonObject) t = new_ticket (f);
  g_autoptr(JsonObject) acc = NULL;
  gint64 rev = fq_test_obj_int (t, "rev");
  struct { FqTestClient *c; const char *action; const char *fields; const char *field; } cases[] = {
    { f->w->unit, "return", ",\"note\":\"x\"", "reason" },
    { f->w->unit, "return", ",\"reason\":\"bored\",\"note\":\"x\"", "reason" },
    { f->w->unit, "return", ",\"reason\":\"other\"", "note" },
    { f->w->coordinator, "redispatch", "", "unit" },
    { f->w->coordinator, "redispatch", ",\"unit\":\"no-such-unit\"", "unit" },
    { f->w->coordinator, "assist", ",\"units\":\"not-an-array\"", "units" },
    { f->w->coordinator, "comment", "", "note" },
    { f->w->coordinator, "fly", "", "action" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(FqTestResponse) resp = act (cases[i].c, t, cases[i].action, rev, cases[i].fields);

      fq_test_assert_error (resp, 422, "invalid_field");
      g_assert_cmpstr (fq_test_response_error_field (resp), ==, cases[i].field);
    }

  acc = act_ok (f, f->w->unit, t, FQ_TICKET_ACTION_ACCEPT, 0);
  {
    g_autoptr(JsonObject) r = act_ok (f, f->w->unit, acc, FQ_TICKET_ACTION_RESOLVE, FQ_ACTION_FIELD_NOTE);
    g_autoptr(FqTestResponse) s0 = act (f->w->coordinator, r, "close", fq_test_obj_int (r, "rev"), ",\"satisfaction\":0");
    g_autoptr(FqTestResponse) s6 = act (f->w->coordinator, r, "close", fq_test_obj_int (r, "rev"), ",\"satisfaction\":6");
    g_autoptr(FqTestResponse) sx = act (f->w->coordinator, r, "close", fq_test_obj_int (r, "rev"), ",\"satisfaction\":\"good\"");
    g_autoptr(FqTestResponse) nores = act (f->w->unit, acc, "resolve", fq_test_obj_int (acc, "rev"), "");

    fq_test_assert_error (s0, 422, "invalid_field");
    g_assert_cmpstr (fq_test_response_error_field (s0), ==, "satisfaction");
    fq_test_assert_error (s6, 422, "invalid_field");
    fq_test_assert_error (sx, 422, "invalid_field");
    /* Stale first or invalid first: either way it is refused. */
    g_assert_true (nores->status == 409 || nores->status == 422);
  }
}

static void
test_stale_rev (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(JsonObject) t = new_ticket (f);
  g_autoptr(JsonObject) acc = act_ok (f, f->w->unit, t, FQ_TICKET_ACTION_ACCEPT, 0);
  gint64 seq = fq_test_last_seq (f->w->operator);
  g_autoptr(FqTestResponse) stale = act (f->w->unit, t, "progress", fq_test_obj_int (t, "rev"), ",\"note\":\"旧版本\"");
  g_autoptr(JsonObject) now = get_ticket (f->w->coordinator, fq_test_obj_str (t, "id"));

  fq_test_assert_error (stale, 409, "stale_rev");
  g_assert_cmpint (fq_test_obj_int (now, "rev"), ==, fq_test_obj_int (acc, "rev"));
  g_assert_cmpuint (json_array_get_length (fq_test_obj_array (now, "events")), ==,
                    json_array_get_length (fq_test_obj_array (acc, "events")));
  g_assert_cmpint (fq_test_last_seq (f->w->operator), ==, seq);
}

static void
test_unit_scope (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(JsonObject) t = new_ticket (f);
  g_autofree char *other_unit = fq_test_pick_unit (f->w->operator, "420204", FQ_TEST_UNIT_STREET);
  g_autoptr(FqTestClient) other = NULL;
  g_autoptr(FqTestClient) xialu = NULL;
  g_autoptr(FqTestClient) hsg = NULL;

  g_assert_nonnull (other_unit);
  other = fq_test_create_user (f->w->admin, "unit", FQ_TEST_XIALU, other_unit, NULL);

  /* Another unit's ticket: as if it did not exist. */
  {
    g_autoptr(FqTestResponse) get = fq_test_get (other, "/tickets/%s", fq_test_obj_str (t, "id"));
    g_autoptr(FqTestResponse) action = act (other, t, "accept", fq_test_obj_int (t, "rev"), "");
    g_autoptr(FqTestResponse) list = fq_test_get (other, "/tickets?limit=1000");
    JsonArray *items = fq_test_obj_array (fq_test_response_object (list), "tickets");

    fq_test_assert_error (get, 404, "not_found");
    fq_test_assert_error (action, 404, "not_found");
    fq_test_assert_status (list, 200);
    g_assert_nonnull (items);
    for (guint i = 0; i < json_array_get_length (items); i++)
      {
        JsonObject *it = json_array_get_object_element (items, i);

        g_assert_cmpstr (fq_test_obj_str (it, "id"), !=, fq_test_obj_str (t, "id"));
        g_assert_true (g_strcmp0 (fq_test_obj_str (it, "lead_unit"), other_unit) == 0
                       || fq_test_array_has_string (fq_test_obj_array (it, "assisting_units"), other_unit));
      }
  }

  /* Made an assisting unit, it sees the ticket, may report progress and
   * comment, but not resolve. */
  {
    g_autofree char *fields = g_strdup_printf (",\"units\":[\"%s\"],\"note\":\"请协助\"", other_unit);
    g_autoptr(FqTestResponse) assist = act (f->w->coordinator, t, "assist", fq_test_obj_int (t, "rev"), fields);
    g_autoptr(JsonObject) acc = NULL;
    g_autoptr(FqTestResponse) get = NULL;
    g_autoptr(FqTestResponse) progress = NULL;
    g_autoptr(FqTestResponse) resolve = NULL;
    JsonObject *assisted;

    fq_test_assert_status (assist, 200);
    assisted = fq_test_response_object (assist);
    g_assert_true (fq_test_array_has_string (fq_test_obj_array (assisted, "assisting_units"), other_unit));
    acc = act_ok (f, f->w->unit, assisted, FQ_TICKET_ACTION_ACCEPT, 0);

    get = fq_test_get (other, "/tickets/%s", fq_test_obj_str (t, "id"));
    fq_test_assert_status (get, 200);
    assert_allowed (fq_ticket_machine_allowed (FQ_TICKET_STATE_ACCEPTED, FQ_ROLE_UNIT, FQ_UNIT_RELATION_ASSIST),
                    fq_test_obj_array (fq_test_response_object (get), "allowed_actions"), "assisting unit");
    resolve = act (other, acc, "resolve", fq_test_obj_int (acc, "rev"), ",\"note\":\"不是牵头单位\"");
    fq_test_assert_error (resolve, 403, "forbidden");
    progress = act (other, acc, "progress", fq_test_obj_int (acc, "rev"), ",\"note\":\"已派人到场\"");
    fq_test_assert_status (progress, 200);
  }

  /* A 黄石港区 coordinator does not see a 下陆区 ticket; a 下陆区 one does. */
  hsg = fq_test_create_user (f->w->admin, "coordinator", FQ_TEST_HUANGSHIGANG, NULL, NULL);
  xialu = fq_test_create_user (f->w->admin, "coordinator", FQ_TEST_XIALU, NULL, NULL);
  {
    g_autoptr(FqTestResponse) a = fq_test_get (hsg, "/tickets/%s", fq_test_obj_str (t, "id"));
    g_autoptr(FqTestResponse) b = fq_test_get (xialu, "/tickets/%s", fq_test_obj_str (t, "id"));
    g_autoptr(FqTestResponse) c = act (hsg, t, "comment", 999, ",\"note\":\"越界\"");

    fq_test_assert_error (a, 404, "not_found");
    fq_test_assert_status (b, 200);
    fq_test_assert_error (c, 404, "not_found");
  }
}

static int
compare_strings (const void *a,
                 const void *b)
{
  return strcmp (*(const char * const *)a, *(const char * const *)b);
}

static void
assert_strings (JsonArray   *array,
                const char **expected,
                guint        n)
{
  g_assert_nonnull (array);
  g_assert_cmpuint (json_array_get_length (array), ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (json_array_get_string_element (array, i), ==, expected[i]);
}

/* Assisting units come in the order they joined, not in the order of
 * their ids, in an action's answer and in a read from the database. */
static void
test_relations_order (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(JsonObject) t = new_ticket (f);
  g_autofree char *a = fq_test_pick_unit (f->w->operator, "420202", FQ_TEST_UNIT_STREET);
  g_autofree char *b = fq_test_pick_unit (f->w->operator, "420203", FQ_TEST_UNIT_STREET);
  g_autofree char *c = fq_test_pick_unit (f->w->operator, "420204", FQ_TEST_UNIT_STREET);
  const char *sorted[] = { a, b, c };
  const char *joined[3];
  g_autofree char *first_fields = NULL;
  g_autofree char *second_fields = NULL;
  g_autoptr(FqTestResponse) first = NULL;
  g_autoptr(FqTestResponse) second = NULL;
  g_autoptr(JsonObject) read = NULL;

  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_nonnull (c);
  qsort (sorted, G_N_ELEMENTS (sorted), sizeof sorted[0], compare_strings);
  g_assert_cmpstr (sorted[0], !=, sorted[1]);
  g_assert_cmpstr (sorted[1], !=, sorted[2]);
  joined[0] = sorted[2];
  joined[1] = sorted[0];
  joined[2] = sorted[1];

  first_fields = g_strdup_printf (",\"units\":[\"%s\",\"%s\"]", joined[0], joined[1]);
  first = act (f->w->coordinator, t, "assist", fq_test_obj_int (t, "rev"), first_fields);
  fq_test_assert_status (first, 200);
  assert_strings (fq_test_obj_array (fq_test_response_object (first), "assisting_units"), joined, 2);

  second_fields = g_strdup_printf (",\"units\":[\"%s\"]", joined[2]);
  second = act (f->w->coordinator, fq_test_response_object (first), "assist",
                fq_test_obj_int (fq_test_response_object (first), "rev"), second_fields);
  fq_test_assert_status (second, 200);
  assert_strings (fq_test_obj_array (fq_test_response_object (second), "assisting_units"), joined, 3);

  read = get_ticket (f->w->coordinator, fq_test_obj_str (t, "id"));
  assert_strings (fq_test_obj_array (read, "assisting_units"), joined, 3);
}

static void
test_idempotent_action (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(JsonObject) t = new_ticket (f);
  g_autofree char *key = fq_test_unique ("act-");
  g_autofree char *path = g_strdup_printf ("/tickets/%s/actions", fq_test_obj_str (t, "id"));
  g_autofree char *body = g_strdup_printf ("{\"action\":\"accept\",\"rev\":%" G_GINT64_FORMAT "}", fq_test_obj_int (t, "rev"));
  g_autoptr(FqTestResponse) first = fq_test_client_request (f->w->unit, "POST", path, NULL, body, -1, key);
  g_autoptr(FqTestResponse) again = NULL;
  g_autoptr(JsonObject) now = NULL;
  guint accepted = 0;
  JsonArray *events;

  fq_test_assert_status (first, 200);
  again = fq_test_client_request (f->w->unit, "POST", path, NULL, body, -1, key);
  fq_test_assert_status (again, 200);
  g_assert_cmpstr (again->text, ==, first->text);

  now = get_ticket (f->w->coordinator, fq_test_obj_str (t, "id"));
  events = fq_test_obj_array (now, "events");
  for (guint i = 0; i < json_array_get_length (events); i++)
    accepted += g_strcmp0 (fq_test_obj_str (json_array_get_object_element (events, i), "kind"), "accepted") == 0;
  g_assert_cmpuint (accepted, ==, 1);
  g_assert_cmpint (fq_test_obj_int (now, "rev"), ==, fq_test_obj_int (fq_test_response_object (first), "rev"));
}

static void
test_merge_reopens (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) closed = ticket_in_state (f, FQ_TICKET_STATE_CLOSED);
  g_autoptr(JsonObject) inc = fq_test_create_incident (f->w->operator, FQ_TEST_GUANGZHOULU, NULL);
  g_autofree char *path = g_strdup_printf ("/incidents/%s/triage", fq_test_obj_str (inc, "id"));
  g_autoptr(FqTestResponse) merged = NULL;
  g_autoptr(JsonObject) now = NULL;
  JsonArray *events;
  gboolean saw_merged = FALSE, saw_reopened = FALSE;

  g_assert_cmpstr (fq_test_obj_str (closed, "state"), ==, "closed");
  merged = fq_test_postf (f->w->operator, path,
                          "{'decision':'merge','category':'%s','grid':'%s','rev':%" G_GINT64_FORMAT ",'note':'回流','ticket':'%s'}",
                          fq_test_obj_str (closed, "category"), FQ_TEST_GUANGZHOULU, fq_test_obj_int (inc, "rev"),
                          fq_test_obj_str (closed, "id"));
  fq_test_assert_status (merged, 200);

  now = get_ticket (f->w->coordinator, fq_test_obj_str (closed, "id"));
  g_assert_cmpstr (fq_test_obj_str (now, "state"), ==,
                   nick (FQ_TYPE_TICKET_STATE, fq_ticket_machine_lookup (FQ_TICKET_STATE_CLOSED, FQ_TICKET_ACTION_REOPEN)->to));
  g_assert_cmpint (fq_test_obj_int (now, "reopened_count"), ==, 1);
  g_assert_cmpint (fq_test_obj_int (now, "repeat_count"), ==, 1);
  g_assert_true (fq_test_array_has_string (fq_test_obj_array (now, "incidents"), fq_test_obj_str (inc, "id")));
  events = fq_test_obj_array (now, "events");
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      const char *kind = fq_test_obj_str (json_array_get_object_element (events, i), "kind");

      saw_merged |= g_strcmp0 (kind, "merged") == 0;
      saw_reopened |= g_strcmp0 (kind, "reopened") == 0;
    }
  g_assert_true (saw_merged);
  g_assert_true (saw_reopened);
}

static guint
count_tickets (FqTestClient *client,
               const char   *query)
{
  g_autoptr(FqTestResponse) resp = fq_test_get (client, "/tickets?limit=1000&%s", query);
  JsonArray *items;

  fq_test_assert_status (resp, 200);
  items = fq_test_obj_array (fq_test_response_object (resp), "tickets");
  g_assert_nonnull (items);
  return json_array_get_length (items);
}

static void
test_list (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(JsonObject) a = new_ticket (f);
  g_autoptr(JsonObject) b = ticket_in_state (f, FQ_TICKET_STATE_ACCEPTED);
  g_autofree char *q_state = g_strdup_printf ("state=accepted&unit=%s", FQ_TEST_UNIT_STREET);
  g_autofree char *q_cat = g_strdup_printf ("category=%s&grid=%s", fq_test_obj_str (a, "category"), FQ_TEST_TUANCHENGSHAN);
  g_autofree char *q_other = g_strdup_printf ("grid=%s", FQ_TEST_HUANGSHIGANG);
  g_autofree char *q_tier = g_strdup_printf ("tier=%s&unit=%s", fq_test_obj_str (a, "tier"), FQ_TEST_UNIT_STREET);
  g_autoptr(FqTestResponse) page = fq_test_get (f->w->coordinator, "/tickets?limit=1");

  g_assert_cmpuint (count_tickets (f->w->coordinator, q_state), >=, 1);
  g_assert_cmpuint (count_tickets (f->w->coordinator, q_cat), >=, 2);
  g_assert_cmpuint (count_tickets (f->w->coordinator, q_other), ==, 0);
  g_assert_cmpuint (count_tickets (f->w->coordinator, q_tier), >=, 2);
  g_assert_cmpuint (count_tickets (f->w->coordinator, "overdue=true"), ==, 0);

  fq_test_assert_status (page, 200);
  g_assert_cmpuint (json_array_get_length (fq_test_obj_array (fq_test_response_object (page), "tickets")), ==, 1);
  g_assert_nonnull (fq_test_obj_str (fq_test_response_object (page), "next_cursor"));

  /* Every listed state filter is honoured. */
  {
    g_autoptr(FqTestResponse) resp = fq_test_get (f->w->coordinator, "/tickets?state=dispatched&limit=1000");
    JsonArray *items = fq_test_obj_array (fq_test_response_object (resp), "tickets");

    fq_test_assert_status (resp, 200);
    for (guint i = 0; i < json_array_get_length (items); i++)
      g_assert_cmpstr (fq_test_obj_str (json_array_get_object_element (items, i), "state"), ==, "dispatched");
  }
  (void)b;
}

/* GET /tickets/{id} answers from the details kept in memory once a ticket
 * has been read (fq-ticket-cache.h): each reader still gets its own scope,
 * allowed actions and masking, and a write is seen by the next read. */
static void
test_read_kept (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(JsonObject) t = new_ticket (f);
  const char *id = fq_test_obj_str (t, "id");
  g_autofree char *other_unit = fq_test_pick_unit (f->w->operator, "420204", FQ_TEST_UNIT_STREET);
  g_autoptr(FqTestClient) other = fq_test_create_user (f->w->admin, "unit", FQ_TEST_XIALU, other_unit, NULL);
  g_autoptr(FqTestResponse) first = fq_test_get (f->w->coordinator, "/tickets/%s", id);
  g_autoptr(FqTestResponse) again = fq_test_get (f->w->coordinator, "/tickets/%s", id);
  g_autoptr(FqTestResponse) lead = fq_test_get (f->w->unit, "/tickets/%s", id);
  g_autoptr(FqTestResponse) outside = fq_test_get (other, "/tickets/%s", id);
  g_autoptr(JsonObject) commented = NULL;
  JsonObject *current;

  fq_test_assert_status (first, 200);
  fq_test_assert_status (again, 200);
  g_assert_cmpstr (again->text, ==, first->text);
  assert_allowed (fq_ticket_machine_allowed (FQ_TICKET_STATE_DISPATCHED, FQ_ROLE_COORDINATOR, 0),
                  fq_test_obj_array (fq_test_response_object (again), "allowed_actions"), "coordinator");
  fq_test_assert_status (lead, 200);
  assert_allowed (fq_ticket_machine_allowed (FQ_TICKET_STATE_DISPATCHED, FQ_ROLE_UNIT, FQ_UNIT_RELATION_LEAD),
                  fq_test_obj_array (fq_test_response_object (lead), "allowed_actions"), "lead unit");
  fq_test_assert_error (outside, 404, "not_found");

  /* Each write is in the next read, read by read. */
  current = t;
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(FqTestResponse) before = fq_test_get (f->w->coordinator, "/tickets/%s", id);
      g_autofree char *fields = g_strdup_printf (",\"note\":\"第%u次回访 13912345678\"", i + 1);
      g_autoptr(FqTestResponse) resp = act (f->w->coordinator, current, "comment",
                                            fq_test_obj_int (current, "rev"), fields);
      g_autoptr(FqTestResponse) after = NULL;
      JsonArray *events;

      fq_test_assert_status (before, 200);
      fq_test_assert_status (resp, 200);
      g_clear_pointer (&commented, json_object_unref);
      commented = json_object_ref (fq_test_response_object (resp));
      current = commented;

      after = fq_test_get (f->w->coordinator, "/tickets/%s", id);
      fq_test_assert_status (after, 200);
      g_assert_cmpint (fq_test_obj_int (fq_test_response_object (after), "rev"), ==,
                       fq_test_obj_int (commented, "rev"));
      events = fq_test_obj_array (fq_test_response_object (after), "events");
      g_assert_cmpuint (json_array_get_length (events), ==,
                        json_array_get_length (fq_test_obj_array (fq_test_response_object (before), "events")) + 1);
    }

  /* Read first by a role that sees callers' numbers, then by one that does
   * not: the second is masked all the same. */
  {
    g_autoptr(FqTestResponse) full = fq_test_get (f->w->coordinator, "/tickets/%s", id);
    g_autoptr(FqTestResponse) masked = fq_test_get (f->w->leader, "/tickets/%s", id);
    g_autoptr(FqTestResponse) full_again = fq_test_get (f->w->coordinator, "/tickets/%s", id);

    fq_test_assert_status (full, 200);
    fq_test_assert_status (masked, 200);
    g_assert_nonnull (strstr (full->text, "13912345678"));
    g_assert_null (strstr (masked->text, "13912345678"));
    g_assert_nonnull (strstr (masked->text, "139****5678"));
    g_assert_cmpstr (full_again->text, ==, full->text);
  }
}

typedef struct
{
  const char *url;
  const char *token;
  const char *id;
  int         acked_rev;   /* atomic: the rev of the last action answered */
  int         stop;        /* atomic */
  guint       reads;
  guint       stale;
} ReadLoop;

static gpointer
read_loop (gpointer data)
{
  ReadLoop *loop = data;
  g_autoptr(FqTestClient) client = fq_test_client_new (loop->url);

  fq_test_client_set_token (client, loop->token);
  while (!g_atomic_int_get (&loop->stop))
    {
      /* Known before the read is sent: the read must show it. */
      int floor = g_atomic_int_get (&loop->acked_rev);
      g_autoptr(FqTestResponse) resp = fq_test_get (client, "/tickets/%s", loop->id);

      g_assert_cmpuint (resp->status, ==, 200);
      if (fq_test_obj_int (fq_test_response_object (resp), "rev") < floor)
        loop->stale++;
      loop->reads++;
    }
  return NULL;
}

/* Reads of one ticket on three connections while it is written: no read
 * sent after a write was answered shows the ticket from before it. */
static void
test_reads_beside_writes (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(JsonObject) current = new_ticket (f);
  g_autofree char *id = g_strdup (fq_test_obj_str (current, "id"));
  ReadLoop loop = { 0 };
  GThread *threads[3];

  loop.url = fq_test_client_get_url (f->w->coordinator);
  loop.token = fq_test_client_get_token (f->w->coordinator);
  loop.id = id;
  loop.acked_rev = fq_test_obj_int (current, "rev");
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("reads", read_loop, &loop);

  for (guint i = 0; i < 30; i++)
    {
      g_autoptr(JsonObject) next = act_ok (f, f->w->coordinator, current, FQ_TICKET_ACTION_COMMENT,
                                           FQ_ACTION_FIELD_NOTE);

      g_atomic_int_set (&loop.acked_rev, fq_test_obj_int (next, "rev"));
      g_clear_pointer (&current, json_object_unref);
      current = g_steal_pointer (&next);
    }
  g_atomic_int_set (&loop.stop, 1);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  g_test_message ("%u reads beside 30 writes", loop.reads);
  g_assert_cmpuint (loop.reads, >=, 30);
  g_assert_cmpuint (loop.stale, ==, 0);
}

typedef struct
{
  GMutex      lock;
  GCond       cond;
  gboolean    go;
  const char *url;
  const char *id;
} Gate;

typedef struct
{
  Gate           *gate;
  const char     *token;
  FqTestResponse *resp;
} GateRead;

static gpointer
gate_read (gpointer data)
{
  GateRead *read = data;
  g_autoptr(FqTestClient) client = fq_test_client_new (read->gate->url);

  fq_test_client_set_token (client, read->token);
  g_mutex_lock (&read->gate->lock);
  while (!read->gate->go)
    g_cond_wait (&read->gate->cond, &read->gate->lock);
  g_mutex_unlock (&read->gate->lock);
  read->resp = fq_test_get (client, "/tickets/%s", read->gate->id);
  return NULL;
}

/* Several users ask for a ticket nobody has read since it was written, all
 * at once (as the consoles showing it do after a change): the requests that
 * wait for one read are each answered for their own user. */
static void
test_reads_together (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(JsonObject) current = new_ticket (f);
  g_autofree char *id = g_strdup (fq_test_obj_str (current, "id"));
  g_autofree char *other_unit = fq_test_pick_unit (f->w->operator, "420204", FQ_TEST_UNIT_STREET);
  g_autoptr(FqTestClient) other = fq_test_create_user (f->w->admin, "unit", FQ_TEST_XIALU, other_unit, NULL);
  FqTestClient *clients[] = { f->w->coordinator, f->w->leader, f->w->unit, other };
  Gate gate = { 0 };

  g_mutex_init (&gate.lock);
  g_cond_init (&gate.cond);
  gate.url = fq_test_client_get_url (f->w->coordinator);
  gate.id = id;

  for (guint round = 0; round < 5; round++)
    {
      GateRead reads[12];
      GThread *threads[12];

      /* A write: nothing of the ticket is kept in memory now. */
      {
        g_autoptr(FqTestResponse) resp = act (f->w->coordinator, current, "comment", fq_test_obj_int (current, "rev"),
                                              ",\"note\":\"回访电话 13912345678\"");

        fq_test_assert_status (resp, 200);
        g_clear_pointer (&current, json_object_unref);
        current = json_object_ref (fq_test_response_object (resp));
      }

      gate.go = FALSE;
      for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
        {
          reads[i] = (GateRead) { &gate, fq_test_client_get_token (clients[i % G_N_ELEMENTS (clients)]), NULL };
          threads[i] = g_thread_new ("read", gate_read, &reads[i]);
        }
      g_usleep (50 * 1000);
      g_mutex_lock (&gate.lock);
      gate.go = TRUE;
      g_cond_broadcast (&gate.cond);
      g_mutex_unlock (&gate.lock);

      for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
        {
          FqTestClient *client = clients[i % G_N_ELEMENTS (clients)];
          FqTestResponse *resp;

          g_thread_join (threads[i]);
          resp = reads[i].resp;
          if (client == other)
            {
              fq_test_assert_error (resp, 404, "not_found");
            }
          else
            {
              JsonObject *o;

              fq_test_assert_status (resp, 200);
              o = fq_test_response_object (resp);
              g_assert_cmpint (fq_test_obj_int (o, "rev"), ==, fq_test_obj_int (current, "rev"));
              /* Only the command centre reads callers' numbers. */
              if (client == f->w->coordinator)
                g_assert_nonnull (strstr (resp->text, "13912345678"));
              else
                {
                  g_assert_null (strstr (resp->text, "13912345678"));
                  g_assert_nonnull (strstr (resp->text, "139****5678"));
                }
              if (client == f->w->unit)
                assert_allowed (fq_ticket_machine_allowed (FQ_TICKET_STATE_DISPATCHED, FQ_ROLE_UNIT,
                                                           FQ_UNIT_RELATION_LEAD),
                                fq_test_obj_array (o, "allowed_actions"), "lead unit");
              else if (client == f->w->coordinator)
                assert_allowed (fq_ticket_machine_allowed (FQ_TICKET_STATE_DISPATCHED, FQ_ROLE_COORDINATOR, 0),
                                fq_test_obj_array (o, "allowed_actions"), "coordinator");
            }
          fq_test_response_free (resp);
        }
    }
  g_mutex_clear (&gate.lock);
  g_cond_clear (&gate.cond);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  fq_test_require_server_binary ();

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/server/tickets/transitions", test_transitions);
  ADD ("/server/tickets/illegal", test_illegal);
  ADD ("/server/tickets/invalid-action-fields", test_invalid_action_fields);
  ADD ("/server/tickets/stale-rev", test_stale_rev);
  ADD ("/server/tickets/unit-scope", test_unit_scope);
  ADD ("/server/tickets/relations-order", test_relations_order);
  ADD ("/server/tickets/idempotent-action", test_idempotent_action);
  ADD ("/server/tickets/merge-reopens", test_merge_reopens);
  ADD ("/server/tickets/list", test_list);
  ADD ("/server/tickets/read-kept", test_read_kept);
  ADD ("/server/tickets/reads-beside-writes", test_reads_beside_writes);
  ADD ("/server/tickets/reads-together", test_reads_together);

  ret = g_test_run ();
  fq_test_world_free ();

  return ret;
}
