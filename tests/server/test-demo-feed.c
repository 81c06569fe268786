/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The live demo feed (fq-demo.c) plays a busy city: new calls, the desk's
 * triage and the units' casework. The desk it plays takes the oldest calls
 * first and keeps up: a triage queue that has grown long is worked down to
 * about a dozen, instead of growing for as long as the demo runs. Its calls
 * give addresses that fit the place: a village and its group in a village.
 */

#include "config.h"

#include <string.h>

#include "fq-test-server.h"

#define BACKLOG 60

/* How many incidents wait for triage (at most 1000). */
static guint
count_waiting (FqTestClient *client)
{
  g_autoptr(FqTestResponse) list = fq_test_get (client, "/incidents?status=new&limit=1000");
  JsonArray *incidents;

  fq_test_assert_status (list, 200);
  incidents = fq_test_obj_array (fq_test_response_object (list), "incidents");
  g_assert_nonnull (incidents);
  return json_array_get_length (incidents);
}

static void
test_queue_kept_short (void)
{
  /* About twenty events a second: a demo hour in three minutes. */
  static const char * const args[] = {
    "--demo", "--demo-history-months", "0", "--demo-feed-rate", "1200", NULL
  };
  g_autoptr(FqTestServer) server = fq_test_server_new (args);
  g_autoptr(GError) error = NULL;
  g_autoptr(FqTestClient) op = NULL;
  g_autoptr(GPtrArray) backlog = g_ptr_array_new_with_free_func (g_free);
  gint64 deadline;
  guint waiting = G_MAXUINT;

  g_assert_true (fq_test_server_start (server, 60, &error));
  op = fq_test_client_new_login (fq_test_server_get_url (server), "operator", FQ_TEST_DEMO_PASSWORD);

  /* A backlog, as after a night nobody triaged. */
  for (guint i = 0; i < BACKLOG; i++)
    {
      g_autoptr(JsonObject) incident = fq_test_create_incident (op, FQ_TEST_GUANGZHOULU, NULL);

      g_ptr_array_add (backlog, g_strdup (fq_test_obj_str (incident, "id")));
    }

  /* Worked down while new calls keep coming. */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline && (waiting = count_waiting (op)) > 20)
    g_usleep (500 * 1000);
  g_test_message ("%u incidents waiting for triage", waiting);
  g_assert_cmpuint (waiting, <=, 20);

  /* Oldest first: the first calls of the backlog have all been decided. */
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(FqTestResponse) got = fq_test_get (op, "/incidents/%s",
                                                   (char *)g_ptr_array_index (backlog, i));

      fq_test_assert_status (got, 200);
      g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (got), "status"), !=, "new");
    }
}

static gboolean
is_village (const char *name)
{
  return g_str_has_suffix (name, "村委会") || g_str_has_suffix (name, "村民委员会");
}

static void
test_addresses_fit_the_place (void)
{
  static const char * const args[] = {
    "--demo", "--demo-history-months", "1", "--demo-feed-rate", "0", NULL
  };
  g_autoptr(FqTestServer) server = fq_test_server_new (args);
  g_autoptr(GError) error = NULL;
  g_autoptr(FqTestClient) coord = NULL;
  g_autoptr(FqTestResponse) grid = NULL;
  g_autoptr(FqTestResponse) list = NULL;
  g_autoptr(GHashTable) places = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *nodes, *incidents;
  guint villages = 0, towns = 0, names = 0, three_character_names = 0;

  g_assert_true (fq_test_server_start (server, 60, &error));
  coord = fq_test_client_new_login (fq_test_server_get_url (server), "coordinator", FQ_TEST_DEMO_PASSWORD);

  grid = fq_test_get (coord, "/grid");
  fq_test_assert_status (grid, 200);
  nodes = fq_test_obj_array (fq_test_response_object (grid), "nodes");
  for (guint i = 0; i < json_array_get_length (nodes); i++)
    {
      JsonObject *node = json_array_get_object_element (nodes, i);

      g_hash_table_insert (places, (gpointer)fq_test_obj_str (node, "code"), (gpointer)fq_test_obj_str (node, "name"));
    }

  /* A village's calls name the village and its group (组), never a road
   * and a flat; a town community's never a village group. */
  list = fq_test_get (coord, "/incidents?limit=1000");
  fq_test_assert_status (list, 200);
  incidents = fq_test_obj_array (fq_test_response_object (list), "incidents");
  for (guint i = 0; i < json_array_get_length (incidents); i++)
    {
      JsonObject *incident = json_array_get_object_element (incidents, i);
      const char *name = g_hash_table_lookup (places, fq_test_obj_str (incident, "grid"));
      const char *address = fq_test_obj_str (incident, "address");
      const char *caller = json_object_has_member (incident, "caller_name") &&
                               !fq_test_obj_is_null (incident, "caller_name")
                             ? fq_test_obj_str (incident, "caller_name") : NULL;

      /* A caller's name has two to four characters (欧阳 is a surname),
       * mostly three. */
      if (caller != NULL)
        {
          glong length = g_utf8_strlen (caller, -1);

          if (length < 2 || length > 4)
            g_error ("a caller named %s", caller);
          names++;
          three_character_names += length == 3;
        }

      g_assert_nonnull (name);
      g_assert_nonnull (address);
      if (is_village (name))
        {
          g_autofree char *stem = g_strndup (name, strstr (name, "村") - name);
          /* After the village's name: 3组12号, 村口…; the name itself
           * may hold any word (三路村). */
          const char *rest = address + strlen (stem);

          villages++;
          if (!g_str_has_prefix (address, stem) || !g_str_has_prefix (rest, "村")
              || strstr (rest, "栋") != NULL || strstr (rest, "室") != NULL || strstr (rest, "门面") != NULL)
            g_error ("%s: a village's call at %s", name, address);
        }
      else
        {
          towns++;
          if (strstr (address, "组") != NULL)
            g_error ("%s: a town community's call at %s", name, address);
        }
    }
  g_test_message ("%u calls in villages, %u in town communities; %u names, %u of three characters",
                  villages, towns, names, three_character_names);
  g_assert_cmpuint (villages, >, 0);
  g_assert_cmpuint (towns, >, 0);
  g_assert_cmpuint (names, >, 500);
  g_assert_cmpuint (three_character_names, >=, names * 7 / 10);
}

/* The history's convening sessions, as a console reads them: each is over,
 * attended, decided and followed through, its ticket's timeline tells the
 * same story, and the unit assessment counts the same invitations. */
static void
check_session_timeline (FqTestClient *coord,
                        JsonObject   *session)
{
  const char *id = fq_test_obj_str (session, "id");
  g_autofree char *path = g_strdup_printf ("/tickets/%s", fq_test_obj_str (session, "ticket"));
  g_autoptr(FqTestResponse) ticket = fq_test_get (coord, "%s", path);
  JsonArray *events, *invitees = fq_test_obj_array (session, "invitees");
  JsonArray *items = fq_test_obj_array (session, "action_items");
  guint checked_in = 0, checked_in_events = 0, done_events = 0, breaches = 0, late = 0;
  const char *whistle = NULL, *convened = NULL, *consensus = NULL;

  fq_test_assert_status (ticket, 200);
  for (guint i = 0; i < json_array_get_length (invitees); i++)
    {
      JsonObject *invitee = json_array_get_object_element (invitees, i);
      const char *status = fq_test_obj_str (invitee, "status");

      /* Concluding marks whoever did not come absent. */
      g_assert_cmpstr (status, !=, "invited");
      if (g_str_equal (status, "checked_in"))
        {
          checked_in++;
          g_assert_false (fq_test_obj_is_null (invitee, "checked_in_at"));
          g_assert_cmpint (fq_test_obj_int (invitee, "delay_minutes"), >=, 0);
        }
    }
  g_assert_cmpuint (checked_in, >=, 1);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);

      g_assert_false (fq_test_obj_is_null (item, "done_at"));
      g_assert_false (fq_test_obj_bool (item, "overdue"));
      if (strcmp (fq_test_obj_str (item, "done_at"), fq_test_obj_str (item, "due")) > 0)
        late++;
    }

  /* The timeline, in time order: whistle, check-ins, convened, consensus,
   * then the items done (a late one after its breach). */
  events = fq_test_obj_array (fq_test_response_object (ticket), "events");
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);
      JsonObject *data = fq_test_obj_is_null (event, "data") ? NULL
                                                             : fq_test_obj_obj (event, "data");
      const char *kind = fq_test_obj_str (event, "kind");
      const char *at = fq_test_obj_str (event, "at");

      if (data == NULL || !json_object_has_member (data, "session") ||
          g_strcmp0 (json_object_get_string_member (data, "session"), id) != 0)
        continue;
      if (g_str_equal (kind, "whistle"))
        whistle = at;
      else if (g_str_equal (kind, "checked_in"))
        {
          g_assert_nonnull (whistle);
          checked_in_events++;
        }
      else if (g_str_equal (kind, "convened"))
        {
          g_assert_nonnull (whistle);
          convened = at;
        }
      else if (g_str_equal (kind, "consensus"))
        {
          g_assert_nonnull (convened);
          consensus = at;
          g_assert_cmpint (json_array_get_length (json_object_get_array_member (data, "decisions")),
                           >=, 1);
        }
      else if (g_str_equal (kind, "sla_breached"))
        {
          g_assert_nonnull (consensus);
          g_assert_cmpstr (json_object_get_string_member (data, "breach"), ==, "action_item");
          breaches++;
        }
      else if (g_str_equal (kind, "action_done"))
        {
          g_assert_nonnull (consensus);
          g_assert_cmpuint (breaches, >=, json_object_get_boolean_member (data, "late") ? 1 : 0);
          done_events++;
        }
    }
  g_assert_cmpstr (whistle, ==, fq_test_obj_str (session, "created_at"));
  g_assert_cmpstr (convened, ==, fq_test_obj_str (session, "started_at"));
  g_assert_cmpstr (consensus, ==, fq_test_obj_str (session, "concluded_at"));
  g_assert_cmpuint (checked_in_events, ==, checked_in);
  g_assert_cmpuint (done_events, ==, json_array_get_length (items));
  g_assert_cmpuint (breaches, ==, late);
}

static void
test_history_sessions (void)
{
  static const char * const args[] = {
    "--demo", "--demo-history-months", "3", "--demo-feed-rate", "0", NULL
  };
  g_autoptr(FqTestServer) server = fq_test_server_new (args);
  g_autoptr(GError) error = NULL;
  g_autoptr(FqTestClient) coord = NULL;
  g_autoptr(FqTestClient) leader = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) from_time = g_date_time_add_days (now, -60);
  g_autoptr(GDateTime) to_time = g_date_time_add_days (now, -30);
  g_autofree char *from = g_date_time_format (from_time, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *to = g_date_time_format (to_time, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *cursor = NULL;
  g_autofree char *metrics_path = NULL;
  g_autoptr(FqTestResponse) metrics = NULL;
  guint sessions = 0, invited = 0, checked_in = 0, excused = 0;
  gint64 metric_invited = 0, metric_checked_in = 0, metric_excused = 0;
  JsonArray *units;

  g_assert_true (fq_test_server_start (server, 60, &error));
  coord = fq_test_client_new_login (fq_test_server_get_url (server), "coordinator",
                                    FQ_TEST_DEMO_PASSWORD);
  leader = fq_test_client_new_login (fq_test_server_get_url (server), "leader",
                                     FQ_TEST_DEMO_PASSWORD);

  /* A month of history, a month ago: every session in it is over. */
  do
    {
      g_autofree char *path = g_strdup_printf ("/sessions?from=%s&to=%s&limit=100%s%s", from, to,
                                               cursor != NULL ? "&cursor=" : "",
                                               cursor != NULL ? cursor : "");
      g_autoptr(FqTestResponse) page = fq_test_get (coord, "%s", path);
      JsonArray *list;

      fq_test_assert_status (page, 200);
      list = fq_test_obj_array (fq_test_response_object (page), "sessions");
      for (guint i = 0; i < json_array_get_length (list); i++)
        {
          JsonObject *session = json_array_get_object_element (list, i);
          JsonArray *invitees = fq_test_obj_array (session, "invitees");

          g_assert_cmpstr (fq_test_obj_str (session, "state"), ==, "concluded");
          g_assert_cmpint (json_array_get_length (fq_test_obj_array (session, "decisions")), >=, 1);
          g_assert_cmpint (json_array_get_length (fq_test_obj_array (session, "action_items")), >=,
                           1);
          g_assert_nonnull (fq_test_obj_str (session, "minutes"));
          for (guint k = 0; k < json_array_get_length (invitees); k++)
            {
              JsonObject *invitee = json_array_get_object_element (invitees, k);
              const char *status = fq_test_obj_str (invitee, "status");

              invited++;
              checked_in += g_str_equal (status, "checked_in");
              excused += g_str_equal (status, "excused");
            }
          if (sessions++ < 40)
            check_session_timeline (coord, session);
        }
      g_clear_pointer (&cursor, g_free);
      if (!fq_test_obj_is_null (fq_test_response_object (page), "next_cursor"))
        cursor = g_strdup (fq_test_obj_str (fq_test_response_object (page), "next_cursor"));
    }
  while (cursor != NULL);
  g_test_message ("%u sessions, %u invitations, %u checked in, %u excused", sessions, invited,
                  checked_in, excused);
  /* About one a day in the city. */
  g_assert_cmpuint (sessions, >=, 10);
  g_assert_cmpuint (sessions, <=, 90);
  g_assert_cmpuint (checked_in, <, invited);

  /* The leaders' unit assessment counts the same invitations. */
  metrics_path = g_strdup_printf ("/metrics/units?from=%s&to=%s&grid=420200000000", from, to);
  metrics = fq_test_get (leader, "%s", metrics_path);
  fq_test_assert_status (metrics, 200);
  units = fq_test_obj_array (fq_test_response_object (metrics), "units");
  for (guint i = 0; i < json_array_get_length (units); i++)
    {
      JsonObject *row = json_array_get_object_element (units, i);

      metric_invited += fq_test_obj_int (row, "sessions_invited");
      metric_checked_in += fq_test_obj_int (row, "sessions_checked_in");
      metric_excused += fq_test_obj_int (row, "sessions_excused");
    }
  g_assert_cmpint (metric_invited, ==, invited);
  g_assert_cmpint (metric_checked_in, ==, checked_in);
  g_assert_cmpint (metric_excused, ==, excused);
}

typedef struct
{
  GHashTable *accounts;     /* username → display name, of GET /users */
  GHashTable *names;        /* actor → the name its first event gave */
  GHashTable *feed_staff;   /* staff actors of the feed's events */
  gint64      started;      /* when the server was started */
  guint       staff_events;
  guint       history_named; /* history events of staff the feed named too */
} ActorCheck;

/* Checks who acted in @event: a demo account by its display name, a
 * unit's staff by a person's name, and every actor by one name. Returns
 * when the event happened. */
static gint64
check_actor (ActorCheck *check,
             JsonObject *event)
{
  const char *actor = fq_test_obj_str (event, "actor");
  const char *name = fq_test_obj_str (event, "actor_name");
  const char *seen;
  g_autoptr(GDateTime) at = g_date_time_new_from_iso8601 (fq_test_obj_str (event, "at"), NULL);

  g_assert_nonnull (at);
  if (actor == NULL)
    {
      g_assert_null (name);
      return g_date_time_to_unix (at);
    }
  g_assert_nonnull (name);
  if (g_hash_table_contains (check->accounts, actor))
    g_assert_cmpstr (name, ==, g_hash_table_lookup (check->accounts, actor));
  else
    {
      /* Two to four Han characters, nothing of the account's. */
      g_assert_true (g_str_has_prefix (actor, "staff@"));
      g_assert_cmpint (g_utf8_strlen (name, -1), >=, 2);
      g_assert_cmpint (g_utf8_strlen (name, -1), <=, 4);
      for (const char *c = name; *c != '\0'; c = g_utf8_next_char (c))
        g_assert_cmpint (g_unichar_get_script (g_utf8_get_char (c)), ==, G_UNICODE_SCRIPT_HAN);
      check->staff_events++;
    }

  seen = g_hash_table_lookup (check->names, actor);
  if (seen == NULL)
    g_hash_table_insert (check->names, g_strdup (actor), g_strdup (name));
  else
    g_assert_cmpstr (name, ==, seen);

  if (g_date_time_to_unix (at) < check->started - 60
      && g_hash_table_contains (check->feed_staff, actor))
    check->history_named++;
  return g_date_time_to_unix (at);
}

static void
check_timeline (ActorCheck   *check,
                FqTestClient *client,
                const char   *ticket)
{
  g_autoptr(FqTestResponse) got = fq_test_get (client, "/tickets/%s", ticket);
  JsonArray *events;

  fq_test_assert_status (got, 200);
  events = fq_test_obj_array (fq_test_response_object (got), "events");
  for (guint i = 0; i < json_array_get_length (events); i++)
    check_actor (check, json_array_get_object_element (events, i));
}

/* Who acted goes by a person's name: the demo accounts by their display
 * names, and each unit's staff by one name, the same in the history and in
 * the live feed. */
static void
test_actors_named (void)
{
  static const char * const args[] = {
    "--demo", "--demo-history-months", "1", "--demo-feed-rate", "1200", NULL
  };
  g_autoptr(FqTestServer) server = fq_test_server_new (args);
  g_autoptr(GError) error = NULL;
  g_autoptr(FqTestClient) admin = NULL;
  g_autoptr(FqTestClient) coord = NULL;
  g_autoptr(FqTestResponse) users = NULL;
  g_autoptr(FqTestResponse) tickets = NULL;
  g_autoptr(GHashTable) feed_tickets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                              NULL);
  ActorCheck check = {
    .accounts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free),
    .names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free),
    .feed_staff = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL),
    .started = g_get_real_time () / G_USEC_PER_SEC,
  };
  gint64 since = 0;
  gboolean more = TRUE;
  GHashTableIter iter;
  gpointer ticket;
  JsonArray *list;

  g_assert_true (fq_test_server_start (server, 60, &error));
  admin = fq_test_client_new_login (fq_test_server_get_url (server), "admin",
                                    FQ_TEST_DEMO_PASSWORD);
  coord = fq_test_client_new_login (fq_test_server_get_url (server), "coordinator",
                                    FQ_TEST_DEMO_PASSWORD);
  users = fq_test_get (admin, "/users");
  fq_test_assert_status (users, 200);
  list = fq_test_obj_array (fq_test_response_object (users), "users");
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *user = json_array_get_object_element (list, i);

      g_hash_table_insert (check.accounts, g_strdup (fq_test_obj_str (user, "username")),
                           g_strdup (fq_test_obj_str (user, "display_name")));
    }

  /* Let the feed work on the tickets for a while: some hundred actions. */
  g_usleep (15 * G_USEC_PER_SEC);

  /* The feed's events (the history's recent ones come first). */
  while (more)
    {
      g_autoptr(FqTestResponse) page = fq_test_get (coord, "/changes?since=%" G_GINT64_FORMAT
                                                    "&limit=1000", since);
      JsonObject *root;
      JsonArray *changes;

      fq_test_assert_status (page, 200);
      root = fq_test_response_object (page);
      changes = fq_test_obj_array (root, "changes");
      for (guint i = 0; i < json_array_get_length (changes); i++)
        {
          JsonObject *change = json_array_get_object_element (changes, i);
          JsonObject *event;
          const char *actor;
          gint64 at;

          if (g_strcmp0 (fq_test_obj_str (change, "entity"), "event") != 0)
            continue;
          event = json_object_get_object_member (change, "data");
          at = check_actor (&check, event);
          actor = fq_test_obj_str (event, "actor");
          if (at >= check.started && actor != NULL && g_str_has_prefix (actor, "staff@"))
            {
              g_hash_table_add (check.feed_staff, g_strdup (actor));
              g_hash_table_add (feed_tickets, g_strdup (fq_test_obj_str (event, "ticket")));
            }
        }
      /* While there is more, the next page starts after this one. */
      more = fq_test_obj_bool (root, "more");
      if (more)
        since = fq_test_obj_int (json_array_get_object_element (
                                   changes, json_array_get_length (changes) - 1), "seq");
    }
  g_assert_cmpuint (g_hash_table_size (check.feed_staff), >=, 10);

  /* The timelines of the tickets the feed worked on, history included,
   * and of a hundred others. */
  g_hash_table_iter_init (&iter, feed_tickets);
  while (g_hash_table_iter_next (&iter, &ticket, NULL))
    check_timeline (&check, coord, ticket);
  tickets = fq_test_get (coord, "/tickets?limit=100");
  fq_test_assert_status (tickets, 200);
  list = fq_test_obj_array (fq_test_response_object (tickets), "tickets");
  for (guint i = 0; i < json_array_get_length (list); i++)
    check_timeline (&check, coord,
                    fq_test_obj_str (json_array_get_object_element (list, i), "id"));

  g_test_message ("%u events by units' staff; %u staff acted in the feed, %u events of theirs "
                  "in the history", check.staff_events, g_hash_table_size (check.feed_staff),
                  check.history_named);
  g_assert_cmpuint (check.history_named, >=, 1);

  g_hash_table_unref (check.accounts);
  g_hash_table_unref (check.names);
  g_hash_table_unref (check.feed_staff);
}

static guint
count_current (JsonArray *sessions)
{
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (sessions); i++)
    {
      const char *state = fq_test_obj_str (json_array_get_object_element (sessions, i), "state");

      n += g_str_equal (state, "scheduled") || g_str_equal (state, "in_progress");
    }
  return n;
}

/* The current sessions the demo seeds are about their tickets: each on a
 * matter of its own text's category or titled after the ticket's place and
 * category, and called after the matter came in. The history's sessions of
 * the last days, in the same list, are held to the same. */
static void
test_seeded_sessions (void)
{
  static const char * const args[] = {
    "--demo", "--demo-history-months", "1", "--demo-feed-rate", "1", NULL
  };
  /* The categories the seed has texts of its own for. */
  static const char * const own_texts[] = { "M01", "B05", "G03", "D01" };
  g_autoptr(FqTestServer) server = fq_test_server_new (args);
  g_autoptr(GError) error = NULL;
  g_autoptr(FqTestClient) coord = NULL;
  g_autoptr(FqTestResponse) categories = NULL;
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) from_time = g_date_time_add_days (now, -2);
  g_autofree char *from = g_date_time_format (from_time, "%Y-%m-%dT%H:%M:%SZ");
  g_autoptr(FqTestResponse) page = NULL;
  JsonArray *list, *sessions = NULL;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  g_assert_true (fq_test_server_start (server, 60, &error));
  coord = fq_test_client_new_login (fq_test_server_get_url (server), "coordinator",
                                    FQ_TEST_DEMO_PASSWORD);
  categories = fq_test_get (coord, "/categories");
  fq_test_assert_status (categories, 200);
  list = fq_test_obj_array (fq_test_response_object (categories), "categories");
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *category = json_array_get_object_element (list, i);

      g_hash_table_insert (names, (gpointer)fq_test_obj_str (category, "code"),
                           (gpointer)fq_test_obj_str (category, "name"));
    }

  /* The seed runs as the feed starts, in one transaction: its sessions
   * appear together. A district has enough open matters for all four:
   * one concluded yesterday, among the history's of the last days, and
   * three under way or to come. */
  while (g_get_monotonic_time () < deadline)
    {
      g_clear_pointer (&page, fq_test_response_free);
      page = fq_test_get (coord, "/sessions?from=%s&limit=100", from);
      fq_test_assert_status (page, 200);
      sessions = fq_test_obj_array (fq_test_response_object (page), "sessions");
      if (count_current (sessions) > 0)
        break;
      g_usleep (200 * 1000);
    }
  g_assert_cmpuint (count_current (sessions), ==, 3);

  for (guint i = 0; i < json_array_get_length (sessions); i++)
    {
      JsonObject *session = json_array_get_object_element (sessions, i);
      const char *title = fq_test_obj_str (session, "title");
      g_autoptr(FqTestResponse) got = fq_test_get (coord, "/tickets/%s",
                                                   fq_test_obj_str (session, "ticket"));
      JsonObject *ticket = fq_test_response_object (got);
      const char *category = fq_test_obj_str (ticket, "category");
      g_autofree char *general = g_strdup_printf ("%s联合会商",
                                                  (char *)g_hash_table_lookup (names, category));
      JsonArray *events = fq_test_obj_array (ticket, "events");
      gboolean called = FALSE;

      g_test_message ("%s: %s, on %s (%s)", fq_test_obj_str (session, "state"), title,
                      fq_test_obj_str (ticket, "title"), category);
      /* 马鞍山社区占道经营纠纷联合会商 */
      if (!g_str_has_suffix (title, general))
        g_assert_true (g_strv_contains (own_texts, category));
      for (guint k = 0; k < json_array_get_length (events); k++)
        {
          JsonObject *event = json_array_get_object_element (events, k);

          if (g_strcmp0 (fq_test_obj_str (event, "kind"), "whistle") == 0
              && g_strcmp0 (fq_test_obj_str (json_object_get_object_member (event, "data"),
                                             "session"), fq_test_obj_str (session, "id")) == 0)
            {
              called = TRUE;
              g_assert_cmpstr (fq_test_obj_str (event, "at"), >, fq_test_obj_str (ticket,
                                                                                  "created_at"));
            }
        }
      g_assert_true (called);
    }
}

/* The matters waiting for the demo unit account's street office to take
 * up, led by it. */
static GPtrArray *
unit_waiting (FqTestClient *unit)
{
  g_autoptr(FqTestResponse) list = fq_test_get (unit, "/tickets?state=dispatched&limit=100");
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  JsonArray *tickets;

  fq_test_assert_status (list, 200);
  tickets = fq_test_obj_array (fq_test_response_object (list), "tickets");
  for (guint i = 0; i < json_array_get_length (tickets); i++)
    {
      JsonObject *ticket = json_array_get_object_element (tickets, i);

      if (g_strcmp0 (fq_test_obj_str (ticket, "lead_unit"), FQ_TEST_UNIT_STREET) == 0)
        g_ptr_array_add (ids, g_strdup (fq_test_obj_str (ticket, "id")));
    }
  return ids;
}

/* The demo's unit account has work from the start: two calls from its
 * street, of categories a street office leads, dispatched to it; and a
 * restart while they wait adds none. */
static void
test_unit_has_work (void)
{
  static const char * const args[] = {
    "--demo", "--demo-history-months", "1", "--demo-feed-rate", "1", NULL
  };
  g_autoptr(FqTestServer) server = fq_test_server_new (args);
  g_autoptr(GError) error = NULL;
  g_autoptr(FqTestClient) unit = NULL;
  g_autoptr(GPtrArray) waiting = NULL;
  g_autoptr(GPtrArray) after = NULL;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  g_assert_true (fq_test_server_start (server, 60, &error));
  unit = fq_test_client_new_login (fq_test_server_get_url (server), "unit", FQ_TEST_DEMO_PASSWORD);
  while ((waiting = unit_waiting (unit))->len == 0 && g_get_monotonic_time () < deadline)
    {
      g_clear_pointer (&waiting, g_ptr_array_unref);
      g_usleep (200 * 1000);
    }
  g_assert_cmpuint (waiting->len, >=, 2);

  for (guint i = 0; i < waiting->len; i++)
    {
      g_autoptr(FqTestResponse) got = fq_test_get (unit, "/tickets/%s",
                                                   (char *)g_ptr_array_index (waiting, i));
      JsonObject *ticket = fq_test_response_object (got);
      JsonArray *events;

      fq_test_assert_status (got, 200);
      g_assert_true (g_str_has_prefix (fq_test_obj_str (ticket, "grid"), "420204004"));
      /* It may act on it: accept or return. */
      g_assert_true (fq_test_array_has_string (fq_test_obj_array (ticket, "allowed_actions"),
                                               "accept"));
      events = fq_test_obj_array (ticket, "events");
      g_assert_cmpstr (fq_test_obj_str (json_array_get_object_element (events, 0), "kind"), ==,
                       "dispatched");
    }

  g_assert_true (fq_test_server_stop (server));
  g_assert_true (fq_test_server_start (server, 60, &error));
  g_clear_pointer (&unit, fq_test_client_free);
  unit = fq_test_client_new_login (fq_test_server_get_url (server), "unit", FQ_TEST_DEMO_PASSWORD);
  g_usleep (2 * G_USEC_PER_SEC);
  after = unit_waiting (unit);
  g_assert_cmpuint (after->len, ==, waiting->len);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  fq_test_require_server_binary ();

  g_test_add_func ("/server/demo/feed-keeps-triage-queue-short", test_queue_kept_short);
  g_test_add_func ("/server/demo/addresses-fit-the-place", test_addresses_fit_the_place);
  g_test_add_func ("/server/demo/history-sessions", test_history_sessions);
  g_test_add_func ("/server/demo/actors-named", test_actors_named);
  g_test_add_func ("/server/demo/seeded-sessions", test_seeded_sessions);
  g_test_add_func ("/server/demo/unit-has-work", test_unit_has_work);

  return g_test_run ();
}
