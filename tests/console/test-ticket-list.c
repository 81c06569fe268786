/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Test"

#include "config.h"

#include "fq-client.h"
#include "fq-enum-types.h"
#include "fq-enums.h"
#include "fq-json.h"
#include "fq-sla.h"
#include "fq-test-data-util.h"
#include "fq-ticket-list.h"

/*
 * The ticket list's own parts: the backflow counts a ticket carries
 * (returns, rejected resolutions, reopenings) as they come from the server's
 * JSON, live and from the cache at the next start; the "hard cases" filter
 * and sort; a unit's queue (acceptance pending first, each part by
 * deadline); the order by the acceptance clock; and the filter to exactly
 * some ids that "explain this number" uses. Each is checked against the
 * order and membership the synthetic tickets call for, read back through
 * the GListModel interface.
 */

#define BASE_TIME 1790000000
#define UNIT "U-420204-1"

typedef struct
{
  const char *id;
  FqTicketState state;
  gint64      deadline;     /* offset from BASE_TIME, hours */
  guint       returned;
  guint       rejected;
  guint       reopened;
  const char *lead_unit;
} Tic;

/* Deadlines are all different, so every order asked for is total. */
static const Tic tickets[] = {
  { "T01", FQ_TICKET_STATE_ACCEPTED,   5, 0, 0, 0, UNIT },
  { "T02", FQ_TICKET_STATE_DISPATCHED, 9, 2, 0, 1, UNIT },
  { "T03", FQ_TICKET_STATE_RESOLVED,   1, 0, 1, 0, UNIT },
  { "T04", FQ_TICKET_STATE_DISPATCHED, 3, 0, 0, 0, UNIT },
  { "T05", FQ_TICKET_STATE_RETURNED,   2, 1, 0, 0, "U-other" },
  { "T06", FQ_TICKET_STATE_DISPATCHED, 7, 0, 0, 0, "U-other" },
  { "T07", FQ_TICKET_STATE_CLOSED,     4, 0, 2, 3, UNIT },
  { "T08", FQ_TICKET_STATE_ACCEPTED,   8, 0, 0, 0, UNIT },
};

typedef struct
{
  char         *dir;
  char         *path;
  FqCache      *cache;
  FqTicketList *list;
  gint64        seq;
} Fixture;

static JsonNode *
ticket_change (Fixture   *f,
               const Tic *t,
               guint      returned)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *created = fq_time_format (BASE_TIME - 3600);
  g_autofree char *deadline = fq_time_format (BASE_TIME + t->deadline * 3600);
  /* Dispatched 2 h 30 min before its deadline: with the default two hours
   * to accept, a ticket waiting for acceptance sorts 30 min before its
   * deadline, which keeps the orders by deadline below (whole hours). */
  g_autofree char *dispatched = fq_time_format (BASE_TIME + t->deadline * 3600 - 9000);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "seq");
  json_builder_add_int_value (b, ++f->seq);
  json_builder_set_member_name (b, "entity");
  json_builder_add_string_value (b, "ticket");
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, t->id);
  json_builder_set_member_name (b, "op");
  json_builder_add_string_value (b, "upsert");
  json_builder_set_member_name (b, "data");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, t->id);
  json_builder_set_member_name (b, "title");
  json_builder_add_string_value (b, "楼道堆物");
  json_builder_set_member_name (b, "grid");
  json_builder_add_string_value (b, "420204004011");
  json_builder_set_member_name (b, "lead_unit");
  json_builder_add_string_value (b, t->lead_unit);
  json_builder_set_member_name (b, "state");
  json_builder_add_string_value (b, fq_enum_to_string (FQ_TYPE_TICKET_STATE, t->state));
  json_builder_set_member_name (b, "tier");
  json_builder_add_string_value (b, "community");
  json_builder_set_member_name (b, "created_at");
  json_builder_add_string_value (b, created);
  json_builder_set_member_name (b, "dispatched_at");
  json_builder_add_string_value (b, dispatched);
  json_builder_set_member_name (b, "deadline");
  json_builder_add_string_value (b, deadline);
  json_builder_set_member_name (b, "returned_count");
  json_builder_add_int_value (b, returned);
  json_builder_set_member_name (b, "rejected_count");
  json_builder_add_int_value (b, t->rejected);
  json_builder_set_member_name (b, "reopened_count");
  json_builder_add_int_value (b, t->reopened);
  json_builder_set_member_name (b, "rev");
  json_builder_add_int_value (b, f->seq);
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* One ticket's change, applied to the cache. */
static void
push (Fixture  *f,
      JsonNode *change)
{
  JsonArray *arr = json_array_new ();

  json_array_add_element (arr, change);
  fq_test_apply_changes (f->cache, arr);
}

static void
wait_until_idle (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  g_main_context_iteration (NULL, FALSE);
  while (fq_ticket_list_get_busy (f->list) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (fq_ticket_list_get_busy (f->list));
}

static void
open_list (Fixture *f)
{
  f->cache = fq_test_open_cache (f->path);
  f->list = fq_ticket_list_new (f->cache);
  wait_until_idle (f);
}

static void
close_list (Fixture *f)
{
  g_assert_finalize_object (g_steal_pointer (&f->list));
  fq_cache_close (f->cache);
  g_assert_finalize_object (g_steal_pointer (&f->cache));
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  JsonArray *arr = json_array_new ();

  f->dir = g_dir_make_tmp ("fq-test-tickets-XXXXXX", NULL);
  f->path = g_build_filename (f->dir, "cache.db", NULL);
  open_list (f);

  for (guint i = 0; i < G_N_ELEMENTS (tickets); i++)
    json_array_add_element (arr, ticket_change (f, &tickets[i], tickets[i].returned));
  fq_test_apply_changes (f->cache, arr);
  wait_until_idle (f);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  close_list (f);
  fq_test_rm_rf (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

/* The ids the model shows, in order, joined by spaces. */
static char *
shown (Fixture *f)
{
  GListModel *model = G_LIST_MODEL (f->list);
  GString *str = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(FqTicketRow) row = g_list_model_get_item (model, i);

      if (str->len > 0)
        g_string_append_c (str, ' ');
      g_string_append (str, fq_ticket_row_get_id (row));
    }
  return g_string_free (str, FALSE);
}

static FqTicketRow *
row_of (Fixture    *f,
        const char *id)
{
  guint pos = fq_ticket_list_find (f->list, id);

  g_assert_cmpuint (pos, !=, G_MAXUINT);
  return g_list_model_get_item (G_LIST_MODEL (f->list), pos);
}

static void
check_counts (FqTicketRow *row,
              guint        returned,
              guint        rejected,
              guint        reopened)
{
  g_assert_cmpuint (fq_ticket_row_get_returned_count (row), ==, returned);
  g_assert_cmpuint (fq_ticket_row_get_rejected_count (row), ==, rejected);
  g_assert_cmpuint (fq_ticket_row_get_reopened_count (row), ==, reopened);
  g_assert_cmpuint (fq_ticket_row_get_backflow (row), ==, returned + rejected + reopened);
}

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           gpointer    user_data)
{
  if (g_strcmp0 (pspec->name, "returned-count") == 0)
    (*(guint *)user_data)++;
}

static void
test_backflow_counts (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(FqTicketRow) t02 = row_of (f, "T02");
  g_autofree char *order = NULL;
  guint notified = 0;

  /* As the server's JSON says. */
  check_counts (t02, 2, 0, 1);
  {
    g_autoptr(FqTicketRow) t01 = row_of (f, "T01");
    g_autoptr(FqTicketRow) t05 = row_of (f, "T05");

    check_counts (t01, 0, 0, 0);
    check_counts (t05, 1, 0, 0);
  }

  /* A third return, live: the item shown updates itself. */
  g_signal_connect (t02, "notify", G_CALLBACK (notify_cb), &notified);
  push (f, ticket_change (f, &tickets[1], 3));
  wait_until_idle (f);
  check_counts (t02, 3, 0, 1);
  g_assert_cmpuint (notified, ==, 1);

  /* And from the cache at the next start (the load reads the JSON). */
  g_clear_object (&t02);
  close_list (f);
  open_list (f);
  t02 = row_of (f, "T02");
  check_counts (t02, 3, 0, 1);
  {
    g_autoptr(FqTicketRow) t03 = row_of (f, "T03");

    check_counts (t03, 0, 1, 0);
  }

  /* Closed tickets are not in the default list; a resolved one (T03,
   * waiting for review) comes after those whose deadline still runs. */
  order = shown (f);
  g_assert_cmpstr (order, ==, "T05 T04 T01 T06 T08 T02 T03");
}

static void
test_hard_cases (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *order = NULL;

  fq_ticket_list_set_hard_only (f->list, TRUE);
  wait_until_idle (f);
  order = shown (f);
  /* By deadline: T05 (2 h), T02 (9 h), then T03 (1 h) resolved; T07 is
   * closed. */
  g_assert_cmpstr (order, ==, "T05 T02 T03");
  g_free (order);

  /* Most backflow first; ties by deadline. */
  fq_ticket_list_set_include_closed (f->list, TRUE);
  fq_ticket_list_set_sort (f->list, FQ_TICKET_SORT_BACKFLOW, TRUE);
  wait_until_idle (f);
  order = shown (f);
  g_assert_cmpstr (order, ==, "T07 T02 T03 T05");
  g_free (order);

  fq_ticket_list_set_hard_only (f->list, FALSE);
  fq_ticket_list_set_sort (f->list, FQ_TICKET_SORT_BACKFLOW, FALSE);
  wait_until_idle (f);
  order = shown (f);
  g_assert_cmpstr (order, ==, "T04 T01 T06 T08 T03 T05 T02 T07");
}

static void
test_unit_queue (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *order = NULL;

  fq_ticket_list_set_unit (f->list, UNIT);
  fq_ticket_list_set_acceptance_first (f->list, TRUE);
  wait_until_idle (f);
  order = shown (f);
  /* Dispatched, not yet accepted, by deadline (T04 3 h, T02 9 h); then
   * the others by deadline (T01 5 h, T08 8 h); then the resolved T03
   * (1 h), which waits for the centre, not for the unit. */
  g_assert_cmpstr (order, ==, "T04 T02 T01 T08 T03");
  g_free (order);

  /* A ticket dispatched to the unit arrives: in the pending part. */
  {
    Tic t = { "T09", FQ_TICKET_STATE_DISPATCHED, 6, 0, 0, 0, UNIT };

    push (f, ticket_change (f, &t, 0));
    wait_until_idle (f);
  }
  order = shown (f);
  g_assert_cmpstr (order, ==, "T04 T09 T02 T01 T08 T03");
  g_free (order);

  /* Accepted: it moves to the others. */
  {
    Tic t = { "T09", FQ_TICKET_STATE_ACCEPTED, 6, 0, 0, 0, UNIT };

    push (f, ticket_change (f, &t, 0));
    wait_until_idle (f);
  }
  order = shown (f);
  g_assert_cmpstr (order, ==, "T04 T02 T01 T09 T08 T03");
  g_free (order);

  /* Only with the deadline sort. */
  fq_ticket_list_set_acceptance_first (f->list, FALSE);
  wait_until_idle (f);
  order = shown (f);
  g_assert_cmpstr (order, ==, "T04 T01 T09 T08 T02 T03");
}

/* A ticket waiting for its unit sorts by the clock its deadline cell
 * shows: the acceptance limit's, which runs out long before a deadline
 * days away; once accepted, by its deadline. The limit is the server's. */
static void
test_accept_clock (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *order = NULL;
  /* Deadline in 7 days, dispatched 6 days 22 h before it: two hours to
   * accept end at 4 h. */
  Tic t = { "T11", FQ_TICKET_STATE_DISPATCHED, 168, 0, 0, 0, "U-other" };
  g_autofree char *dispatched = fq_time_format (BASE_TIME + 2 * 3600);
  g_autoptr(JsonNode) change = NULL;
  JsonObject *ticket;

  g_assert_cmpint (fq_client_get_accept_limit (), ==, FQ_SLA_DEFAULT_ACCEPT_SECONDS);
  change = ticket_change (f, &t, 0);
  ticket = json_object_get_object_member (json_node_get_object (change), "data");
  json_object_set_string_member (ticket, "dispatched_at", dispatched);
  push (f, g_steal_pointer (&change));
  wait_until_idle (f);
  order = shown (f);
  /* T05 2 h, T04 (waiting) 2 h 30 min, T11 (waiting) 4 h, T01 5 h. */
  g_assert_cmpstr (order, ==, "T05 T04 T11 T01 T06 T08 T02 T03");
  g_free (order);

  /* A server that gives 12 hours to accept: T11's limit now ends at
   * 14 h, after every deadline but its own. The next order made (here, a
   * sort asked for again) takes the new limit; then back to two hours. */
  for (guint i = 0; i < 2; i++)
    {
      fq_client_note_accept_limit (i == 0 ? 12 * 3600 : FQ_SLA_DEFAULT_ACCEPT_SECONDS);
      fq_ticket_list_set_sort (f->list, FQ_TICKET_SORT_DEADLINE, TRUE);
      fq_ticket_list_set_sort (f->list, FQ_TICKET_SORT_DEADLINE, FALSE);
      wait_until_idle (f);
      order = shown (f);
      g_assert_cmpstr (order, ==, i == 0 ? "T05 T04 T01 T06 T08 T02 T11 T03"
                                         : "T05 T04 T11 T01 T06 T08 T02 T03");
      g_free (order);
    }

  /* Accepted: by its deadline, seven days away. */
  t.state = FQ_TICKET_STATE_ACCEPTED;
  push (f, ticket_change (f, &t, 0));
  wait_until_idle (f);
  order = shown (f);
  g_assert_cmpstr (order, ==, "T05 T04 T01 T06 T08 T02 T11 T03");
}

/* A unit that has no ticket in the cache when its queue is set up (a unit
 * user's console right after signing in) must still see its first ticket
 * when it arrives. */
static void
test_unit_queue_first_ticket (Fixture       *f,
                              gconstpointer  data)
{
  g_autofree char *order = NULL;
  Tic t = { "T10", FQ_TICKET_STATE_DISPATCHED, 6, 0, 0, 0, "U-new" };

  fq_ticket_list_set_unit (f->list, "U-new");
  wait_until_idle (f);
  order = shown (f);
  g_assert_cmpstr (order, ==, "");
  g_free (order);

  push (f, ticket_change (f, &t, 0));
  wait_until_idle (f);
  order = shown (f);
  g_assert_cmpstr (order, ==, "T10");
}

static void
test_ids (Fixture       *f,
          gconstpointer  data)
{
  const char *ids[] = { "T07", "T02", "T06", "T99", NULL };
  g_autofree char *order = NULL;

  /* Other filters do not count while the ids do; closed tickets too. */
  fq_ticket_list_set_unit (f->list, UNIT);
  fq_ticket_list_set_state (f->list, FQ_TICKET_STATE_ACCEPTED);
  fq_ticket_list_set_ids (f->list, ids);
  wait_until_idle (f);
  g_assert_true (fq_ticket_list_get_ids_active (f->list));
  order = shown (f);
  g_assert_cmpstr (order, ==, "T06 T02 T07");
  g_free (order);

  /* An id that arrives later is shown when it comes. */
  {
    Tic t = { "T99", FQ_TICKET_STATE_DISPATCHED, 0, 0, 0, 0, "U-other" };

    push (f, ticket_change (f, &t, 0));
    wait_until_idle (f);
  }
  order = shown (f);
  g_assert_cmpstr (order, ==, "T99 T06 T02 T07");
  g_free (order);

  /* Back to the other filters. */
  fq_ticket_list_set_ids (f->list, NULL);
  wait_until_idle (f);
  g_assert_false (fq_ticket_list_get_ids_active (f->list));
  order = shown (f);
  g_assert_cmpstr (order, ==, "T01 T08");
}

/* A new sort replaces the rows: the item objects shown keep their
 * positions and show the tickets now there (the view keeps its widgets),
 * except the selected ticket's, which stays that ticket where it goes. */
static void
test_reuse (Fixture       *f,
            gconstpointer  data)
{
  GListModel *model = G_LIST_MODEL (f->list);
  g_autoptr(GPtrArray) view = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *order = shown (f);
  g_auto(GStrv) ids = NULL;
  guint n = g_list_model_get_n_items (model);

  g_assert_cmpstr (order, ==, "T05 T04 T01 T06 T08 T02 T03");
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (view, g_list_model_get_item (model, i));
  fq_ticket_list_set_selected_id (f->list, "T04");

  fq_ticket_list_set_sort (f->list, FQ_TICKET_SORT_DEADLINE, TRUE);
  wait_until_idle (f);
  g_free (order);
  order = shown (f);
  g_assert_cmpstr (order, ==, "T02 T08 T06 T01 T04 T05 T03");
  ids = g_strsplit (order, " ", -1);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FqTicketRow) item = g_list_model_get_item (model, i);

      g_assert_cmpstr (fq_ticket_row_get_id (item), ==, ids[i]);
      /* Position 1 held the selected T04, which is now at 4. */
      if (i == 4)
        g_assert_true (item == view->pdata[1]);
      else if (i != 1)
        g_assert_true (item == view->pdata[i]);
    }
  g_assert_cmpstr (fq_ticket_row_get_id (view->pdata[1]), ==, "T04");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/ticket-list/backflow-counts", Fixture, NULL, setup, test_backflow_counts, teardown);
  g_test_add ("/ticket-list/hard-cases", Fixture, NULL, setup, test_hard_cases, teardown);
  g_test_add ("/ticket-list/unit-queue", Fixture, NULL, setup, test_unit_queue, teardown);
  g_test_add ("/ticket-list/accept-clock", Fixture, NULL, setup, test_accept_clock, teardown);
  g_test_add ("/ticket-list/unit-queue-first-ticket", Fixture, NULL, setup,
              test_unit_queue_first_ticket, teardown);
  g_test_add ("/ticket-list/ids", Fixture, NULL, setup, test_ids, teardown);
  g_test_add ("/ticket-list/reuse", Fixture, NULL, setup, test_reuse, teardown);

  return g_test_run ();
}
