/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Test"

#include "config.h"

#include "fq-enum-types.h"
#include "fq-context.h"
#include "fq-error.h"
#include "fq-notifier.h"
#include "fq-outbox.h"
#include "fq-sync.h"
#include "fq-test-data-util.h"
#include "fq-ticket-machine.h"

/*
 * The ticket state machine driven through the console's own client layer
 * (FqClient, FqCache, FqSync, FqOutbox), one console per person, against a
 * real server: every row of the machine's table is taken once; in each
 * state every other action is refused by the server as the table says
 * (invalid_transition with the same `allowed`, or forbidden for the role);
 * and the server's `allowed_actions` for each person equals what the
 * console would offer (fq_ticket_machine_allowed). Then the backflow
 * counts: a return and redispatch, a rejected resolution, and a repeat call
 * merged into a closed ticket, which reopens it.
 */

#define GRID        "420204004011" /* 广州路社区, inside 团城山街道 */
#define STREET_UNIT "street_office-420204004000"

typedef struct
{
  const char *username;
  FqRole      role;
  FqClient   *client;
  FqCache    *cache;
  FqSync     *sync;
  FqOutbox   *outbox;
  char       *cache_path;
} Console;

typedef struct
{
  char          *dir;
  char          *data_dir;
  char          *session_dir;
  FqLocalServer *server;
  Console        operator;
  Console        coordinator;
  Console        unit;
  char          *other_unit;   /* another unit inside the place's district */
  char          *category;     /* a community-tier, non-police category */
  gboolean      *rows_taken;   /* per row of the machine's table */
} Fixture;

/* What the outbox said about one write. */
typedef struct
{
  char       *key;
  gboolean    done;
  JsonNode   *answer;        /* "sent" */
  JsonObject *error_object;  /* "conflict" */
  GError     *error;         /* "conflict" or "failed" */
} Outcome;

static void
outcome_clear (Outcome *o)
{
  g_clear_pointer (&o->key, g_free);
  g_clear_pointer (&o->answer, json_node_unref);
  g_clear_pointer (&o->error_object, json_object_unref);
  g_clear_error (&o->error);
  o->done = FALSE;
}

static void
sent_cb (FqOutbox   *outbox,
         const char *key,
         JsonNode   *answer,
         Outcome    *o)
{
  if (g_strcmp0 (key, o->key) != 0)
    return;
  o->answer = answer != NULL ? json_node_copy (answer) : NULL;
  o->done = TRUE;
}

static void
conflict_cb (FqOutbox   *outbox,
             const char *key,
             const char *entity,
             const char *entity_id,
             JsonObject *current,
             JsonObject *error_object,
             GError     *error,
             Outcome    *o)
{
  if (g_strcmp0 (key, o->key) != 0)
    return;
  o->error_object = error_object != NULL ? json_object_ref (error_object) : NULL;
  o->error = g_error_copy (error);
  o->done = TRUE;
}

static void
failed_cb (FqOutbox   *outbox,
           const char *key,
           const char *entity,
           const char *entity_id,
           GError     *error,
           Outcome    *o)
{
  if (g_strcmp0 (key, o->key) != 0)
    return;
  o->error = g_error_copy (error);
  o->done = TRUE;
}

static gboolean
outcome_done_cond (gpointer data)
{
  return ((Outcome *)data)->done;
}

static gboolean
settled_cond (gpointer data)
{
  Console *c = data;

  return fq_outbox_get_n_pending (c->outbox) == 0 && fq_sync_get_state (c->sync) == FQ_SYNC_STATE_ONLINE
         && !fq_sync_get_catching_up (c->sync);
}

static void
console_open (Fixture    *f,
              Console    *c,
              const char *username,
              FqRole      role)
{
  c->username = username;
  c->role = role;
  c->client = fq_test_login (fq_local_server_get_url (f->server), f->session_dir, username);
  c->cache_path = g_strdup_printf ("%s/%s.db", f->dir, username);
  c->cache = fq_test_open_cache (c->cache_path);
  c->sync = fq_sync_new (c->client, c->cache);
  c->outbox = fq_outbox_new (c->client, c->cache, c->sync);
  fq_sync_start (c->sync);
  g_assert_true (fq_test_wait (settled_cond, c, 60000));
}

static void
console_close (Console *c)
{
  g_clear_object (&c->outbox);
  if (c->sync != NULL)
    fq_sync_stop (c->sync);
  g_clear_object (&c->sync);
  if (c->cache != NULL)
    fq_cache_close (c->cache);
  g_clear_object (&c->cache);
  g_clear_object (&c->client);
  g_clear_pointer (&c->cache_path, g_free);
}

static JsonNode *
call_ok (Console    *c,
         const char *method,
         const char *path,
         const char *body)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = fq_test_call (c->client, method, path, body, NULL, &error);

  if (error != NULL)
    g_error ("%s: %s %s: %s", c->username, method, path, error->message);
  g_assert_nonnull (node);
  return node;
}

/* Sends one write through @c's outbox and waits for the server's word and,
 * when it was accepted, for the change to come back through the sync. */
static void
submit (Console    *c,
        const char *method,
        const char *path,
        JsonObject *body,
        const char *entity,
        const char *entity_id,
        Outcome    *o)
{
  gulong s, k, l;

  outcome_clear (o);
  s = g_signal_connect (c->outbox, "sent", G_CALLBACK (sent_cb), o);
  k = g_signal_connect (c->outbox, "conflict", G_CALLBACK (conflict_cb), o);
  l = g_signal_connect (c->outbox, "failed", G_CALLBACK (failed_cb), o);
  o->key = fq_outbox_submit (c->outbox, method, path, body, entity, entity_id, "test");
  g_assert_true (fq_test_wait (outcome_done_cond, o, 30000));
  g_signal_handler_disconnect (c->outbox, s);
  g_signal_handler_disconnect (c->outbox, k);
  g_signal_handler_disconnect (c->outbox, l);
  g_assert_true (fq_test_wait (settled_cond, c, 30000));
}

static JsonObject *
ticket_detail (Console    *c,
               const char *id)
{
  g_autofree char *path = g_strdup_printf ("/tickets/%s", id);
  g_autoptr(JsonNode) node = call_ok (c, "GET", path, NULL);

  return json_object_ref (json_node_get_object (node));
}

static guint
mask_of (JsonArray *names)
{
  guint mask = 0;

  for (guint i = 0; names != NULL && i < json_array_get_length (names); i++)
    {
      int action;

      g_assert_true (fq_enum_from_string (FQ_TYPE_TICKET_ACTION, json_array_get_string_element (names, i),
                                          &action));
      mask |= 1u << action;
    }
  return mask;
}

static FqTicketState
state_of (JsonObject *ticket)
{
  int state;

  g_assert_true (fq_enum_from_string (FQ_TYPE_TICKET_STATE, json_object_get_string_member (ticket, "state"),
                                      &state));
  return state;
}

static guint
relation_of (Console    *c,
             JsonObject *ticket)
{
  JsonArray *assisting = json_object_get_array_member (ticket, "assisting_units");
  guint relation = 0;

  if (c->role != FQ_ROLE_UNIT)
    return 0;
  if (g_strcmp0 (json_object_get_string_member (ticket, "lead_unit"), STREET_UNIT) == 0)
    relation |= FQ_UNIT_RELATION_LEAD;
  for (guint i = 0; assisting != NULL && i < json_array_get_length (assisting); i++)
    if (g_strcmp0 (json_array_get_string_element (assisting, i), STREET_UNIT) == 0)
      relation |= FQ_UNIT_RELATION_ASSIST;
  return relation;
}

/* What the console offers @c is what the server allows @c. */
static void
check_offers (Fixture    *f,
              const char *id)
{
  Console *consoles[] = { &f->operator, &f->coordinator, &f->unit };

  for (guint i = 0; i < G_N_ELEMENTS (consoles); i++)
    {
      g_autofree char *path = g_strdup_printf ("/tickets/%s", id);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = fq_test_call (consoles[i]->client, "GET", path, NULL, NULL, &error);
      JsonObject *ticket;
      guint offered, allowed;

      /* Unit staff see only the tickets of their unit. */
      if (consoles[i]->role == FQ_ROLE_UNIT && g_error_matches (error, FQ_ERROR, FQ_ERROR_NOT_FOUND))
        continue;
      g_assert_no_error (error);
      ticket = json_node_get_object (node);
      offered = fq_ticket_machine_allowed (state_of (ticket), consoles[i]->role,
                                           relation_of (consoles[i], ticket));
      allowed = mask_of (json_object_get_array_member (ticket, "allowed_actions"));

      if (offered != allowed)
        g_error ("%s in state %s: the console offers %x, the server allows %x", consoles[i]->username,
                 json_object_get_string_member (ticket, "state"), offered, allowed);
    }
}

static JsonObject *
action_body (FqTicketAction  action,
             gint64          rev,
             const char     *extra_json)
{
  g_autofree char *text = g_strdup_printf ("{\"action\":\"%s\",\"rev\":%" G_GINT64_FORMAT "%s}",
                                           fq_enum_to_string (FQ_TYPE_TICKET_ACTION, action), rev,
                                           extra_json != NULL ? extra_json : "");
  g_autoptr(JsonNode) node = json_from_string (text, NULL);

  g_assert_nonnull (node);
  return json_object_ref (json_node_get_object (node));
}

/* Fields that make an action's body complete, so that a refusal can only
 * come from the state or the role. */
static const char *
full_fields (FqTicketAction action,
             Fixture       *f)
{
  static char buffer[256];

  switch (action)
    {
    case FQ_TICKET_ACTION_RETURN:
      return ",\"reason\":\"wrong_place\",\"note\":\"不属本单位辖区\"";
    case FQ_TICKET_ACTION_REDISPATCH:
      g_snprintf (buffer, sizeof buffer, ",\"unit\":\"%s\",\"note\":\"改派\"", STREET_UNIT);
      return buffer;
    case FQ_TICKET_ACTION_CLOSE:
      return ",\"satisfaction\":4";
    case FQ_TICKET_ACTION_ASSIST:
      g_snprintf (buffer, sizeof buffer, ",\"units\":[\"%s\"]", f->other_unit);
      return buffer;
    case FQ_TICKET_ACTION_ACCEPT:
    case FQ_TICKET_ACTION_ESCALATE:
    case FQ_TICKET_ACTION_REOPEN:
      return NULL;
    default:
      return ",\"note\":\"测试备注\"";
    }
}

static void
mark_row (Fixture        *f,
          FqTicketState   from,
          FqTicketAction  action)
{
  guint n_rows;
  const FqTicketTransition *table = fq_ticket_machine_table (&n_rows);

  for (guint i = 0; i < n_rows; i++)
    if (table[i].from == from && table[i].action == action)
      f->rows_taken[i] = TRUE;
}

/* Takes @action as @c; asserts it is accepted and the ticket ends in
 * @expected. Returns the ticket after it (transfer full). */
static JsonObject *
act (Fixture        *f,
     Console        *c,
     JsonObject     *ticket,
     FqTicketAction  action,
     const char     *extra,
     FqTicketState   expected)
{
  const char *id = json_object_get_string_member (ticket, "id");
  g_autofree char *path = g_strdup_printf ("/tickets/%s/actions", id);
  g_autoptr(JsonObject) body = action_body (action, json_object_get_int_member (ticket, "rev"),
                                            extra != NULL ? extra : full_fields (action, f));
  FqTicketState from = state_of (ticket);
  Outcome o = { 0 };
  JsonObject *after;

  submit (c, "POST", path, body, "ticket", id, &o);
  if (o.error != NULL)
    g_error ("%s: %s in state %s refused: %s", c->username,
             fq_enum_to_string (FQ_TYPE_TICKET_ACTION, action),
             fq_enum_to_string (FQ_TYPE_TICKET_STATE, from), o.error->message);
  g_assert_nonnull (o.answer);
  after = json_object_ref (json_node_get_object (o.answer));
  g_assert_cmpstr (json_object_get_string_member (after, "state"), ==,
                   fq_enum_to_string (FQ_TYPE_TICKET_STATE, expected));
  g_assert_cmpint (json_object_get_int_member (after, "rev"), >, json_object_get_int_member (ticket, "rev"));
  mark_row (f, from, action);
  outcome_clear (&o);

  check_offers (f, id);
  return after;
}

/* Every action the table does not give @c now is refused, and changes
 * nothing. */
static void
check_refusals (Fixture    *f,
                Console    *c,
                JsonObject *ticket)
{
  const char *id = json_object_get_string_member (ticket, "id");
  g_autofree char *path = g_strdup_printf ("/tickets/%s/actions", id);
  FqTicketState state = state_of (ticket);
  guint allowed = fq_ticket_machine_allowed (state, c->role, relation_of (c, ticket));

  for (guint action = 0; action < FQ_TICKET_N_ACTIONS; action++)
    {
      g_autoptr(JsonObject) body = NULL;
      g_autoptr(JsonObject) now = NULL;
      Outcome o = { 0 };

      if (allowed & (1u << action))
        continue;

      body = action_body (action, json_object_get_int_member (ticket, "rev"), full_fields (action, f));
      submit (c, "POST", path, body, "ticket", id, &o);
      g_assert_null (o.answer);
      g_assert_nonnull (o.error);

      if (fq_ticket_machine_lookup (state, action) == NULL)
        {
          /* Not in this state for anyone: invalid_transition, with the
           * actions this person may take instead. */
          g_assert_nonnull (o.error_object);
          g_assert_cmpstr (json_object_get_string_member (o.error_object, "code"), ==, "invalid_transition");
          g_assert_cmpuint (mask_of (json_object_get_array_member (o.error_object, "allowed")), ==, allowed);
        }
      else
        {
          /* In this state, but not for this person. */
          if (!g_error_matches (o.error, FQ_ERROR, FQ_ERROR_FORBIDDEN))
            g_error ("%s: %s in %s: expected forbidden, got %s", c->username,
                     fq_enum_to_string (FQ_TYPE_TICKET_ACTION, action),
                     fq_enum_to_string (FQ_TYPE_TICKET_STATE, state), o.error->message);
        }
      outcome_clear (&o);

      now = ticket_detail (c, id);
      g_assert_cmpint (json_object_get_int_member (now, "rev"), ==, json_object_get_int_member (ticket, "rev"));
    }
}

static void
check_all_refusals (Fixture    *f,
                    JsonObject *ticket)
{
  check_refusals (f, &f->operator, ticket);
  check_refusals (f, &f->coordinator, ticket);
  check_refusals (f, &f->unit, ticket);
}

/* A community-tier category that is not police-only, so that the ticket can
 * be escalated three times (community → street → district → city). */
static char *
pick_category (Console *c)
{
  g_autoptr(JsonNode) node = call_ok (c, "GET", "/categories", NULL);
  JsonArray *list = json_object_get_array_member (json_node_get_object (node), "categories");

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *category = json_array_get_object_element (list, i);

      if (!json_object_get_boolean_member (category, "police_only")
          && g_strcmp0 (json_object_get_string_member (category, "tier"), "community") == 0)
        return g_strdup (json_object_get_string_member (category, "code"));
    }
  g_error ("no community-tier category in the demo data");
  return NULL;
}

static char *
pick_other_unit (Console *c)
{
  g_autoptr(JsonNode) node = call_ok (c, "GET", "/units", NULL);
  JsonArray *list = json_object_get_array_member (json_node_get_object (node), "units");

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *unit = json_array_get_object_element (list, i);
      const char *id = json_object_get_string_member (unit, "id");
      const char *grid = json_object_get_string_member (unit, "grid");

      /* Inside the district of the place, so that the operator and the
       * coordinator see it, and not the street office itself. */
      if (g_strcmp0 (id, STREET_UNIT) != 0 && g_str_has_prefix (grid, "420204"))
        return g_strdup (id);
    }
  g_error ("no second unit in the district");
  return NULL;
}

static JsonObject *
create_incident (Fixture    *f,
                 const char *summary,
                 const char *phone)
{
  g_autofree char *body = g_strdup_printf ("{\"source\":\"12345\",\"grid\":\"%s\",\"summary\":\"%s\","
                                           "\"caller_phone\":\"%s\",\"category\":\"%s\"}",
                                           GRID, summary, phone, f->category);
  g_autoptr(JsonNode) node = call_ok (&f->operator, "POST", "/incidents", body);

  return json_object_ref (json_node_get_object (node));
}

/* A new ticket led by the demo unit user's street office, dispatched
 * through the coordinator's outbox. */
static JsonObject *
create_ticket (Fixture    *f,
               const char *summary)
{
  g_autofree char *phone = g_strdup_printf ("139%08u", g_random_int_range (0, 99999999));
  g_autoptr(JsonObject) incident = create_incident (f, summary, phone);
  const char *id = json_object_get_string_member (incident, "id");
  g_autofree char *text = g_strdup_printf ("{\"decision\":\"divert\",\"category\":\"%s\",\"grid\":\"%s\","
                                           "\"rev\":%" G_GINT64_FORMAT ",\"lead_unit\":\"%s\"}",
                                           f->category, GRID, json_object_get_int_member (incident, "rev"),
                                           STREET_UNIT);
  g_autoptr(JsonNode) body = json_from_string (text, NULL);
  g_autofree char *path = g_strdup_printf ("/incidents/%s/triage", id);
  Outcome o = { 0 };
  JsonObject *answer, *ticket;

  submit (&f->coordinator, "POST", path, json_node_get_object (body), "incident", id, &o);
  g_assert_no_error (o.error);
  answer = json_node_get_object (o.answer);
  ticket = json_object_ref (json_object_get_object_member (answer, "ticket"));
  outcome_clear (&o);
  g_assert_cmpstr (json_object_get_string_member (ticket, "state"), ==, "dispatched");
  g_assert_cmpstr (json_object_get_string_member (ticket, "tier"), ==, "community");
  return ticket;
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  guint n_rows;

  fq_ticket_machine_table (&n_rows);
  f->rows_taken = g_new0 (gboolean, n_rows);
  f->dir = g_dir_make_tmp ("fq-test-ticket-actions-XXXXXX", NULL);
  f->data_dir = g_build_filename (f->dir, "server", NULL);
  f->session_dir = g_build_filename (f->dir, "sessions", NULL);
  if (!fq_test_have_server ())
    return;
  f->server = fq_test_start_server (f->data_dir, NULL);
  console_open (f, &f->operator, "operator", FQ_ROLE_OPERATOR);
  console_open (f, &f->coordinator, "coordinator", FQ_ROLE_COORDINATOR);
  console_open (f, &f->unit, "unit", FQ_ROLE_UNIT);
  f->category = pick_category (&f->coordinator);
  f->other_unit = pick_other_unit (&f->coordinator);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  console_close (&f->unit);
  console_close (&f->coordinator);
  console_close (&f->operator);
  if (f->server != NULL)
    fq_local_server_stop (f->server);
  g_clear_object (&f->server);
  fq_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->data_dir);
  g_free (f->session_dir);
  g_free (f->category);
  g_free (f->other_unit);
  g_free (f->rows_taken);
}

#define STEP(c, action, extra, expected)                                              \
  G_STMT_START {                                                                     \
    JsonObject *next_ = act (f, (c), t, FQ_TICKET_ACTION_##action, (extra),          \
                             FQ_TICKET_STATE_##expected);                            \
    json_object_unref (t);                                                           \
    t = next_;                                                                       \
  } G_STMT_END

static void
test_every_transition (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *to_street = g_strdup_printf (",\"unit\":\"%s\"", STREET_UNIT);
  g_autofree char *to_other = g_strdup_printf (",\"unit\":\"%s\"", f->other_unit);
  g_autofree char *assist_other = g_strdup_printf (",\"units\":[\"%s\"],\"note\":\"请协助\"", f->other_unit);
  gboolean seen[FQ_TICKET_N_STATES] = { FALSE, };
  JsonObject *t;
  guint n_rows;

  if (f->server == NULL)
    return;

  t = create_ticket (f, "小区楼道堆放杂物堵塞消防通道");
  check_offers (f, json_object_get_string_member (t, "id"));
  check_all_refusals (f, t);
  seen[FQ_TICKET_STATE_DISPATCHED] = TRUE;

  STEP (&f->unit, ACCEPT, NULL, ACCEPTED);
  check_all_refusals (f, t);
  seen[FQ_TICKET_STATE_ACCEPTED] = TRUE;
  STEP (&f->unit, PROGRESS, ",\"note\":\"已上门查看\"", ACCEPTED);
  STEP (&f->unit, COMMENT, NULL, ACCEPTED);
  STEP (&f->unit, ASSIST, assist_other, ACCEPTED);
  STEP (&f->unit, ESCALATE, NULL, ACCEPTED);
  g_assert_cmpstr (json_object_get_string_member (t, "tier"), ==, "street");
  STEP (&f->unit, RETURN, NULL, RETURNED);
  check_all_refusals (f, t);
  seen[FQ_TICKET_STATE_RETURNED] = TRUE;
  STEP (&f->coordinator, COMMENT, NULL, RETURNED);
  STEP (&f->coordinator, ASSIST, assist_other, RETURNED);
  STEP (&f->coordinator, ESCALATE, NULL, RETURNED);
  g_assert_cmpstr (json_object_get_string_member (t, "tier"), ==, "district");
  STEP (&f->coordinator, REDISPATCH, to_street, DISPATCHED);
  STEP (&f->coordinator, REDISPATCH, to_street, DISPATCHED);
  STEP (&f->unit, RETURN, NULL, RETURNED);
  STEP (&f->coordinator, REDISPATCH, to_street, DISPATCHED);
  /* A new lead unit: back to dispatched for it, and the street office is
   * no longer offered anything but what any unit of the area has. */
  STEP (&f->coordinator, ESCALATE, to_other, DISPATCHED);
  g_assert_cmpstr (json_object_get_string_member (t, "tier"), ==, "city");
  g_assert_cmpstr (json_object_get_string_member (t, "lead_unit"), ==, f->other_unit);
  STEP (&f->coordinator, REDISPATCH, to_street, DISPATCHED);
  STEP (&f->coordinator, ASSIST, assist_other, DISPATCHED);
  STEP (&f->unit, COMMENT, NULL, DISPATCHED);
  STEP (&f->unit, ACCEPT, NULL, ACCEPTED);
  STEP (&f->unit, RESOLVE, ",\"note\":\"已清理杂物\"", RESOLVED);
  check_all_refusals (f, t);
  seen[FQ_TICKET_STATE_RESOLVED] = TRUE;
  STEP (&f->coordinator, REJECT_RESOLUTION, ",\"note\":\"回访群众不满意\"", ACCEPTED);
  STEP (&f->unit, RESOLVE, ",\"note\":\"再次清理并张贴告示\"", RESOLVED);
  STEP (&f->unit, COMMENT, NULL, RESOLVED);
  STEP (&f->coordinator, CLOSE, ",\"satisfaction\":4", CLOSED);
  g_assert_cmpint (json_object_get_int_member (t, "satisfaction"), ==, 4);
  check_all_refusals (f, t);
  seen[FQ_TICKET_STATE_CLOSED] = TRUE;
  STEP (&f->operator, COMMENT, NULL, CLOSED);
  STEP (&f->coordinator, REOPEN, NULL, ACCEPTED);
  json_object_unref (t);

  for (guint s = 0; s < FQ_TICKET_N_STATES; s++)
    g_assert_true (seen[s]);
  fq_ticket_machine_table (&n_rows);
  for (guint i = 0; i < n_rows; i++)
    {
      const FqTicketTransition *row = &fq_ticket_machine_table (&n_rows)[i];

      if (!f->rows_taken[i])
        g_error ("row %u (%s from %s) was never taken", i,
                 fq_enum_to_string (FQ_TYPE_TICKET_ACTION, row->action),
                 fq_enum_to_string (FQ_TYPE_TICKET_STATE, row->from));
    }
}

static void
record_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  JsonObject **out = user_data;

  *out = fq_cache_get_record_finish (FQ_CACHE (object), result, NULL);
  if (*out == NULL)
    *out = json_object_new ();
}

static gboolean
nonnull_cond (gpointer data)
{
  return *(JsonObject **)data != NULL;
}

static JsonObject *
cached_ticket (Console    *c,
               const char *id)
{
  JsonObject *record = NULL;

  fq_cache_get_record_async (c->cache, "ticket", id, NULL, record_cb, &record);
  g_assert_true (fq_test_wait (nonnull_cond, &record, 10000));
  return record;
}

static void
check_counts (Fixture    *f,
              const char *id,
              gint64      returned,
              gint64      rejected,
              gint64      reopened)
{
  Console *consoles[] = { &f->coordinator, &f->unit };

  /* On the server and in each console's cache, which the board reads. */
  for (guint i = 0; i < G_N_ELEMENTS (consoles); i++)
    {
      g_autoptr(JsonObject) server = ticket_detail (consoles[i], id);
      g_autoptr(JsonObject) cached = cached_ticket (consoles[i], id);
      gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

      /* The other console hears of the change a moment later (of a new
       * ticket, too: until then its cache has none). */
      while (json_object_get_int_member_with_default (cached, "rev", -1) !=
             json_object_get_int_member (server, "rev")
             && g_get_monotonic_time () < deadline)
        {
          g_main_context_iteration (NULL, FALSE);
          g_usleep (20000);
          json_object_unref (cached);
          cached = cached_ticket (consoles[i], id);
        }

      g_assert_cmpint (json_object_get_int_member (server, "returned_count"), ==, returned);
      g_assert_cmpint (json_object_get_int_member (server, "rejected_count"), ==, rejected);
      g_assert_cmpint (json_object_get_int_member (server, "reopened_count"), ==, reopened);
      g_assert_cmpint (json_object_get_int_member (server, "rev"), ==, json_object_get_int_member (cached, "rev"));
      g_assert_cmpint (json_object_get_int_member (cached, "returned_count"), ==, returned);
      g_assert_cmpint (json_object_get_int_member (cached, "rejected_count"), ==, rejected);
      g_assert_cmpint (json_object_get_int_member (cached, "reopened_count"), ==, reopened);
    }
}

static void
test_backflow (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *to_street = g_strdup_printf (",\"unit\":\"%s\",\"note\":\"请街道办理\"", STREET_UNIT);
  g_autoptr(JsonObject) repeat = NULL;
  g_autoptr(JsonNode) merged = NULL;
  g_autofree char *triage = NULL;
  g_autofree char *path = NULL;
  g_autofree char *id = NULL;
  JsonObject *t;
  Outcome o = { 0 };

  if (f->server == NULL)
    return;

  t = create_ticket (f, "商铺夜间噪音扰民");
  id = g_strdup (json_object_get_string_member (t, "id"));
  check_counts (f, id, 0, 0, 0);

  /* Return with a coded reason → redispatch → accept. */
  STEP (&f->unit, RETURN, ",\"reason\":\"not_responsible\",\"note\":\"应由市场监管处理\"", RETURNED);
  check_counts (f, id, 1, 0, 0);
  STEP (&f->coordinator, REDISPATCH, to_street, DISPATCHED);
  STEP (&f->unit, ACCEPT, NULL, ACCEPTED);
  check_counts (f, id, 1, 0, 0);

  /* A resolution rejected. */
  STEP (&f->unit, RESOLVE, ",\"note\":\"已劝导商户\"", RESOLVED);
  STEP (&f->coordinator, REJECT_RESOLUTION, ",\"note\":\"回访仍有噪音\"", ACCEPTED);
  check_counts (f, id, 1, 1, 0);
  STEP (&f->unit, RESOLVE, ",\"note\":\"商户已加装隔音设施\"", RESOLVED);
  STEP (&f->coordinator, CLOSE, ",\"satisfaction\":3", CLOSED);
  json_object_unref (t);

  /* A repeat call merged into the closed ticket reopens it. */
  repeat = create_incident (f, "商铺夜间噪音又来了", "13900000001");
  triage = g_strdup_printf ("{\"decision\":\"merge\",\"category\":\"%s\",\"grid\":\"%s\",\"rev\":%"
                            G_GINT64_FORMAT ",\"ticket\":\"%s\"}",
                            f->category, GRID, json_object_get_int_member (repeat, "rev"), id);
  merged = json_from_string (triage, NULL);
  path = g_strdup_printf ("/incidents/%s/triage", json_object_get_string_member (repeat, "id"));
  submit (&f->operator, "POST", path, json_node_get_object (merged), "incident",
          json_object_get_string_member (repeat, "id"), &o);
  g_assert_no_error (o.error);
  outcome_clear (&o);
  g_assert_true (fq_test_wait (settled_cond, &f->coordinator, 30000));
  g_assert_true (fq_test_wait (settled_cond, &f->unit, 30000));

  t = ticket_detail (&f->coordinator, id);
  g_assert_cmpstr (json_object_get_string_member (t, "state"), ==, "accepted");
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (t, "incidents")), ==, 2);
  json_object_unref (t);
  check_counts (f, id, 1, 1, 1);
}

static void
notified_cb (FqNotifier    *notifier,
             const char    *id,
             GNotification *notification,
             GPtrArray     *ids)
{
  g_ptr_array_add (ids, g_strdup (id));
}

static gboolean
has_id_cond (gpointer data)
{
  return ((GPtrArray *)data)->len > 0;
}

static void
context_login_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(JsonObject) user = fq_client_login_finish (FQ_CLIENT (object), result, NULL);

  g_assert_nonnull (user);
  *(gboolean *)user_data = TRUE;
}

static void
context_start_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (fq_context_start_finish (FQ_CONTEXT (object), result, &error));
  *(gboolean *)user_data = TRUE;
}

static gboolean
context_online_cond (gpointer data)
{
  FqSync *sync = fq_context_get_sync (data);

  return sync != NULL && fq_sync_get_state (sync) == FQ_SYNC_STATE_ONLINE && !fq_sync_get_catching_up (sync);
}

/* A unit user's context with a notifier made as soon as the context has
 * started, while its first catch-up is still to come. */
static void
count_cb (guint *n)
{
  (*n)++;
}

static FqContext *
unit_context (Fixture     *f,
              const char  *name,
              FqNotifier **notifier,
              GPtrArray   *ids,
              guint       *n_events)
{
  FqContext *context = fq_context_new (NULL, fq_local_server_get_url (f->server));
  g_autofree char *cache_path = g_strdup_printf ("%s/%s.db", f->dir, name);
  gboolean done = FALSE;

  fq_client_set_session_dir (fq_context_get_client (context), f->session_dir);
  fq_client_login_async (fq_context_get_client (context), "unit", "demo", NULL, context_login_cb, &done);
  g_assert_true (fq_test_wait (fq_test_flag_cond, &done, 30000));
  done = FALSE;
  fq_context_start_async (context, cache_path, NULL, context_start_cb, &done);
  g_assert_true (fq_test_wait (fq_test_flag_cond, &done, 30000));

  *notifier = fq_notifier_new (NULL, context);
  g_signal_connect (*notifier, "notified", G_CALLBACK (notified_cb), ids);
  g_signal_connect_swapped (fq_context_get_cache (context), "record-changed::event", G_CALLBACK (count_cb),
                            n_events);
  g_assert_true (fq_test_wait (context_online_cond, context, 60000));
  return context;
}

/* The unit's desktop notifications: a ticket dispatched to the unit while
 * the console is online is notified, once; a console that starts later
 * and catches up on the same history notifies nothing. */
static void
test_notifications (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) live = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) late = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(FqNotifier) notifier = NULL;
  g_autoptr(FqNotifier) late_notifier = NULL;
  g_autoptr(FqContext) context = NULL;
  g_autoptr(FqContext) late_context = NULL;
  g_autoptr(JsonObject) ticket = NULL;
  g_autofree char *expected = NULL;
  guint n_live_events = 0;
  guint n_late_events = 0;

  if (f->server == NULL)
    return;

  context = unit_context (f, "notify-live", &notifier, live, &n_live_events);
  /* The first catch-up brought the demo's dispatches to this unit: none is
   * news. */
  g_assert_cmpuint (live->len, ==, 0);

  ticket = create_ticket (f, "共用楼道被占作仓库");
  expected = g_strdup_printf ("fq-ticket-%s-dispatched", json_object_get_string_member (ticket, "id"));
  g_assert_true (fq_test_wait (has_id_cond, live, 30000));
  g_assert_cmpuint (live->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (live, 0), ==, expected);
  g_assert_cmpuint (fq_notifier_get_n_sent (notifier), ==, 1);

  /* A comment on it is no news for the unit. */
  json_object_unref (act (f, &f->coordinator, ticket, FQ_TICKET_ACTION_COMMENT,
                          ",\"note\":\"请尽快处理\"", FQ_TICKET_STATE_DISPATCHED));
  fq_test_run_for (2000);
  g_assert_cmpuint (live->len, ==, 1);

  /* A second console of the same user, started now: its catch-up holds the
   * new ticket's dispatch, minutes old at most, and still notifies nothing. */
  late_context = unit_context (f, "notify-late", &late_notifier, late, &n_late_events);
  fq_test_run_for (2000);
  /* It did see the dispatch come in, after the notifier was made. */
  g_assert_cmpuint (n_late_events, >, 0);
  g_assert_cmpuint (late->len, ==, 0);

  g_clear_object (&notifier);
  g_clear_object (&late_notifier);
  fq_context_stop (context);
  fq_context_stop (late_context);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/ticket-actions/every-transition", Fixture, NULL, setup, test_every_transition, teardown);
  g_test_add ("/ticket-actions/backflow", Fixture, NULL, setup, test_backflow, teardown);
  g_test_add ("/ticket-actions/notifications", Fixture, NULL, setup, test_notifications, teardown);

  return g_test_run ();
}
