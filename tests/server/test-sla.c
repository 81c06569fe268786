/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Test"

#include "config.h"

#include "fq-test-server.h"

/*
 * The SLA watch with a short acceptance limit and a watch every second:
 * a breach is recorded exactly once, whether the watch sees it many times,
 * the server restarts after it, or the limit ran out while the server was
 * down (then it is recorded after the restart, at the moment it happened);
 * `overdue` is kept; and automatic escalation happens only when
 * configured, once per overdue spell.
 */

#define ACCEPT_LIMIT_SECONDS 2

typedef struct
{
  FqTestServer *server;
  FqTestClient *operator;
  FqTestClient *coordinator;
} Fixture;

static void
login_all (Fixture *f)
{
  const char *url = fq_test_server_get_url (f->server);

  g_clear_pointer (&f->operator, fq_test_client_free);
  g_clear_pointer (&f->coordinator, fq_test_client_free);
  f->operator = fq_test_client_new_login (url, "operator", FQ_TEST_DEMO_PASSWORD);
  f->coordinator = fq_test_client_new_login (url, "coordinator", FQ_TEST_DEMO_PASSWORD);
}

static void
start (Fixture            *f,
       const char * const *extra)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) args = NULL;
  g_autoptr(GError) error = NULL;

  g_strv_builder_add_many (builder, "--demo", "--demo-history-months", "0", "--demo-feed-rate", "0",
                           "--accept-limit-seconds", G_STRINGIFY (ACCEPT_LIMIT_SECONDS),
                           "--sla-interval-seconds", "1", NULL);
  for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
    g_strv_builder_add (builder, extra[i]);
  args = g_strv_builder_end (builder);

  f->server = fq_test_server_new ((const char * const *)args);
  if (!fq_test_server_start (f->server, 60, &error))
    g_error ("the server did not start: %s", error->message);
  login_all (f);
}

static void
restart (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (fq_test_server_stop (f->server));
  if (!fq_test_server_start (f->server, 60, &error))
    g_error ("the server did not start again: %s", error->message);
  login_all (f);
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  fq_test_require_server_binary ();
  start (f, data);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_clear_pointer (&f->operator, fq_test_client_free);
  g_clear_pointer (&f->coordinator, fq_test_client_free);
  g_clear_pointer (&f->server, fq_test_server_free);
}

static JsonObject *
new_ticket (Fixture *f)
{
  JsonObject *category = fq_test_find_category_by_lead (f->coordinator, "street_office", 0);

  g_assert_nonnull (category);
  return fq_test_create_ticket (f->operator, f->coordinator, FQ_TEST_GUANGZHOULU,
                                fq_test_obj_str (category, "code"), NULL);
}

static JsonObject *
get_ticket (Fixture    *f,
            const char *id)
{
  g_autoptr(FqTestResponse) resp = fq_test_get (f->coordinator, "/tickets/%s", id);

  fq_test_assert_status (resp, 200);
  return json_object_ref (fq_test_response_object (resp));
}

static guint
count_events (JsonObject *ticket,
              const char *kind)
{
  JsonArray *events = fq_test_obj_array (ticket, "events");
  guint n = 0;

  for (guint i = 0; events != NULL && i < json_array_get_length (events); i++)
    if (g_strcmp0 (fq_test_obj_str (json_array_get_object_element (events, i), "kind"), kind) == 0)
      n++;
  return n;
}

static JsonObject *
first_event (JsonObject *ticket,
             const char *kind)
{
  JsonArray *events = fq_test_obj_array (ticket, "events");

  for (guint i = 0; events != NULL && i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);

      if (g_strcmp0 (fq_test_obj_str (event, "kind"), kind) == 0)
        return event;
    }
  return NULL;
}

/* Waits (bounded) until @id has at least one event of @kind. */
static JsonObject *
wait_for_event (Fixture    *f,
                const char *id,
                const char *kind,
                guint       seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  for (;;)
    {
      JsonObject *ticket = get_ticket (f, id);

      if (count_events (ticket, kind) > 0 || g_get_monotonic_time () > deadline)
        return ticket;
      json_object_unref (ticket);
      g_usleep (250 * 1000);
    }
}

static gint64
time_of (JsonObject *object,
         const char *member)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (fq_test_obj_str (object, member), NULL);

  g_assert_nonnull (dt);
  return g_date_time_to_unix (dt);
}

static void
test_once_across_restart (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(JsonObject) ticket = new_ticket (f);
  const char *id = fq_test_obj_str (ticket, "id");
  g_autoptr(JsonObject) breached = NULL;
  g_autoptr(JsonObject) later = NULL;
  g_autoptr(JsonObject) after = NULL;
  JsonObject *event;

  g_assert_false (fq_test_obj_bool (ticket, "overdue"));
  /* The consoles learn the limit the server judges by. */
  {
    g_autoptr(FqTestResponse) health = fq_test_get (f->coordinator, "/health");

    fq_test_assert_status (health, 200);
    g_assert_cmpint (fq_test_obj_int (fq_test_response_object (health), "accept_limit_seconds"), ==,
                     ACCEPT_LIMIT_SECONDS);
  }
  breached = wait_for_event (f, id, "sla_breached", 30);
  g_assert_cmpuint (count_events (breached, "sla_breached"), ==, 1);
  g_assert_true (fq_test_obj_bool (breached, "overdue"));
  event = first_event (breached, "sla_breached");
  g_assert_cmpstr (fq_test_obj_str (fq_test_obj_obj (event, "data"), "breach"), ==, "accept");
  /* Recorded at the moment the limit ran out, not when it was noticed. */
  g_assert_cmpint (time_of (event, "at"), ==, time_of (ticket, "dispatched_at") + ACCEPT_LIMIT_SECONDS);

  /* More rounds of the watch: nothing new. */
  g_usleep (3 * G_USEC_PER_SEC);
  later = get_ticket (f, id);
  g_assert_cmpuint (count_events (later, "sla_breached"), ==, 1);
  g_assert_cmpint (fq_test_obj_int (later, "rev"), ==, fq_test_obj_int (breached, "rev"));

  /* A restart, and more rounds: still once, still overdue; and without
   * --auto-escalate-hours nothing escalates by itself. */
  restart (f);
  g_usleep (3 * G_USEC_PER_SEC);
  after = get_ticket (f, id);
  g_assert_cmpuint (count_events (after, "sla_breached"), ==, 1);
  g_assert_true (fq_test_obj_bool (after, "overdue"));
  g_assert_cmpuint (count_events (after, "escalated"), ==, 0);
  g_assert_cmpstr (fq_test_obj_str (after, "tier"), ==, fq_test_obj_str (ticket, "tier"));
}

/* The limit runs out while the server is down: recorded once after the
 * restart, dated when it ran out. */
static void
test_breach_while_down (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(JsonObject) ticket = new_ticket (f);
  g_autofree char *id = g_strdup (fq_test_obj_str (ticket, "id"));
  g_autoptr(JsonObject) after = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *event;

  g_assert_true (fq_test_server_stop (f->server));
  g_usleep ((ACCEPT_LIMIT_SECONDS + 2) * G_USEC_PER_SEC);
  if (!fq_test_server_start (f->server, 60, &error))
    g_error ("the server did not start again: %s", error->message);
  login_all (f);

  after = wait_for_event (f, id, "sla_breached", 30);
  g_assert_cmpuint (count_events (after, "sla_breached"), ==, 1);
  event = first_event (after, "sla_breached");
  g_assert_cmpint (time_of (event, "at"), ==, time_of (ticket, "dispatched_at") + ACCEPT_LIMIT_SECONDS);

  restart (f);
  g_usleep (2 * G_USEC_PER_SEC);
  g_clear_pointer (&after, json_object_unref);
  after = get_ticket (f, id);
  g_assert_cmpuint (count_events (after, "sla_breached"), ==, 1);
}

static const char *
next_tier (const char *tier)
{
  static const char * const tiers[] = { "community", "street", "district", "city" };

  for (guint i = 0; i + 1 < G_N_ELEMENTS (tiers); i++)
    if (g_strcmp0 (tier, tiers[i]) == 0)
      return tiers[i + 1];
  return NULL;
}

/* With --auto-escalate-hours 0.001 (3.6 s), an overdue ticket goes up one
 * tier, once, by the server itself; once accepted, it stays. */
static void
test_auto_escalate (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) ticket = new_ticket (f);
  const char *id = fq_test_obj_str (ticket, "id");
  g_autoptr(JsonObject) escalated = NULL;
  g_autoptr(JsonObject) later = NULL;
  JsonObject *event, *event_data;

  const char *from = fq_test_obj_str (ticket, "tier");
  const char *to = next_tier (from);

  g_assert_nonnull (to);
  escalated = wait_for_event (f, id, "escalated", 40);
  g_assert_cmpuint (count_events (escalated, "escalated"), ==, 1);
  g_assert_cmpuint (count_events (escalated, "sla_breached"), ==, 1);
  g_assert_cmpstr (fq_test_obj_str (escalated, "tier"), ==, to);
  g_assert_cmpstr (fq_test_obj_str (escalated, "state"), ==, "dispatched");
  g_assert_cmpstr (fq_test_obj_str (escalated, "lead_unit"), ==, fq_test_obj_str (ticket, "lead_unit"));
  event = first_event (escalated, "escalated");
  event_data = fq_test_obj_obj (event, "data");
  g_assert_true (fq_test_obj_bool (event_data, "auto"));
  g_assert_cmpstr (fq_test_obj_str (event_data, "from_tier"), ==, from);
  g_assert_cmpstr (fq_test_obj_str (event_data, "to_tier"), ==, to);
  g_assert_null (fq_test_obj_str (event, "actor"));
  g_assert_null (fq_test_obj_str (event, "actor_name"));
  /* Not before the ticket had been overdue for the configured time. */
  g_assert_cmpint (time_of (event, "at") - (time_of (ticket, "dispatched_at") + ACCEPT_LIMIT_SECONDS), >=, 3);

  /* Still overdue, but escalated once for this spell. */
  g_usleep (5 * G_USEC_PER_SEC);
  later = get_ticket (f, id);
  g_assert_cmpuint (count_events (later, "escalated"), ==, 1);
  g_assert_cmpstr (fq_test_obj_str (later, "tier"), ==, to);
}

int
main (int   argc,
      char *argv[])
{
  static const char * const auto_args[] = { "--auto-escalate-hours", "0.001", NULL };

  g_test_init (&argc, &argv, NULL);

  g_test_add ("/server/sla/once-across-restart", Fixture, NULL, setup, test_once_across_restart, teardown);
  g_test_add ("/server/sla/breach-while-down", Fixture, NULL, setup, test_breach_while_down, teardown);
  g_test_add ("/server/sla/auto-escalate", Fixture, auto_args, setup, test_auto_escalate, teardown);

  return g_test_run ();
}
