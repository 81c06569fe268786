/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Test"

#include "config.h"

#include <locale.h>

#include "fq-notifier.h"
#include "fq-timeline-view.h"
#include "fq-ui-util.h"

/*
 * The timeline's arithmetic without a display: how spans read, which
 * events are milestones, the step written on each milestone, grouping by
 * local day; and which timeline events call for a desktop notification.
 * Also how the board writes a time: in Beijing time, whatever the
 * workstation's zone.
 */

static FqTimelineEvent *
event_new (const char *id,
           const char *kind,
           const char *at)
{
  g_autofree char *json = g_strdup_printf ("{\"id\":\"%s\",\"ticket\":\"T1\",\"at\":\"%s\","
                                           "\"kind\":\"%s\",\"actor\":\"coordinator\","
                                           "\"unit\":null,\"note\":null,\"data\":{}}",
                                           id, at, kind);
  g_autoptr(JsonNode) node = json_from_string (json, NULL);
  g_autoptr(GError) error = NULL;
  FqTimelineEvent *event;

  g_assert_nonnull (node);
  event = fq_timeline_event_new_from_json (json_node_get_object (node), &error);
  g_assert_no_error (error);
  return event;
}

static void
test_spans (void)
{
  static const struct {
    gint64      seconds;
    const char *text;
  } cases[] = {
    { -5, "under a minute" },
    { 0, "under a minute" },
    { 59, "under a minute" },
    { 60, "1 min" },
    { 40 * 60, "40 min" },
    { 40 * 60 + 29, "40 min" },
    { 40 * 60 + 31, "41 min" },
    { 59 * 60 + 40, "1 h" },
    { 5 * 3600, "5 h" },
    { 5 * 3600 + 29 * 60, "5 h" },
    { 5 * 3600 + 31 * 60, "6 h" },
    { 30 * 3600, "30 h" },
    { 47 * 3600 + 40 * 60, "2 d" },
    { 4 * 86400, "4 d" },
    { 4 * 86400 + 11 * 3600, "4 d" },
    { 4 * 86400 + 13 * 3600, "5 d" },
    { 40 * 86400, "40 d" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = fq_format_span (cases[i].seconds);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

/* A dispatched ticket's acceptance clock: with the server's limit (from
 * /health), on the server's clock; early and late. */
static void
test_format_accept_clock (void)
{
  gint64 now = fq_client_get_server_time () / G_USEC_PER_SEC;
  gint64 left;
  g_autofree char *early = NULL;
  g_autofree char *hours = NULL;
  g_autofree char *late = NULL;
  g_autofree char *whole = NULL;
  g_autofree char *day = NULL;
  g_autofree char *accepted_late = NULL;

  g_assert_cmpint (fq_client_get_accept_limit (), ==, 2 * 3600);
  fq_client_note_accept_limit (600);
  fq_client_note_accept_limit (0);   /* not said: kept */
  g_assert_cmpint (fq_client_get_accept_limit (), ==, 600);
  left = fq_accept_seconds_left (now - 100);
  /* The second may turn between the two readings of the clock. */
  g_assert_cmpint (left, >=, 499);
  g_assert_cmpint (left, <=, 500);
  g_assert_cmpint (fq_accept_seconds_left (now - 700), <, 0);
  fq_client_note_accept_limit (2 * 3600);

  early = fq_format_accept_countdown (500);
  hours = fq_format_accept_countdown (5400);
  late = fq_format_accept_countdown (-900);
  whole = fq_format_accept_countdown (2 * 3600 - 30);
  day = fq_format_countdown (24 * 3600 - 30, FALSE);
  g_assert_cmpstr (early, ==, "9 min to accept");
  g_assert_cmpstr (hours, ==, "1 h 30 min to accept");
  g_assert_cmpstr (late, ==, "Accept overdue 15 min");
  /* A whole hour or day, as a just-dispatched ticket has: no "0 min". */
  g_assert_cmpstr (whole, ==, "2 h to accept");
  g_assert_cmpstr (day, ==, "1 d left");
  /* Past the limit, accepted since or not: the deadline, flagged. */
  accepted_late = fq_format_countdown (6 * 24 * 3600 + 100, TRUE);
  g_assert_cmpstr (accepted_late, ==, "Late to accept · 6 d left");
}

/* The board's deadline cell shows the clock that runs out first, and how
 * urgent it is. */
static void
test_format_ticket_clock (void)
{
  const gint64 now = 1790000000, h = 3600, d = 24 * h;
  const struct
  {
    FqTicketState state;
    gint64        deadline;      /* from now */
    gint64        dispatched;    /* from now */
    gboolean      overdue;       /* the server's flag */
    const char   *text;
    FqClockLook   look;
  } cases[] = {
    /* Waiting for its unit: the two hours to accept, amber in the last
     * half hour, red once past, whatever the days to the deadline. */
    { FQ_TICKET_STATE_DISPATCHED, 7 * d, -15 * 60, FALSE, "1 h 45 min to accept", FQ_CLOCK_PLAIN },
    { FQ_TICKET_STATE_DISPATCHED, 7 * d, -100 * 60, FALSE, "20 min to accept", FQ_CLOCK_NEAR },
    { FQ_TICKET_STATE_DISPATCHED, 7 * d, -3 * h, TRUE, "Accept overdue 1 h", FQ_CLOCK_LATE },
    /* Not accepted for days, past its deadline too: still how late the
     * acceptance is, which the deadline sort goes by. */
    { FQ_TICKET_STATE_DISPATCHED, -d, -8 * d, TRUE, "Accept overdue 7 d", FQ_CLOCK_LATE },
    /* A deadline sooner than the acceptance limit: the deadline. */
    { FQ_TICKET_STATE_DISPATCHED, 40 * 60, 0, FALSE, "40 min left", FQ_CLOCK_NEAR },
    /* Accepted: the deadline; accepted late, flagged. */
    { FQ_TICKET_STATE_ACCEPTED, 3 * d, -d, FALSE, "3 d left", FQ_CLOCK_PLAIN },
    { FQ_TICKET_STATE_ACCEPTED, 6 * d + 100, -d, TRUE, "Late to accept · 6 d left", FQ_CLOCK_LATE },
    { FQ_TICKET_STATE_RETURNED, -h, -d, TRUE, "Overdue 1 h", FQ_CLOCK_LATE },
    /* Resolved and closed: no clock runs. */
    { FQ_TICKET_STATE_RESOLVED, -h, -d, TRUE, "Under review", FQ_CLOCK_DONE },
    { FQ_TICKET_STATE_CLOSED, d, -d, FALSE, "Done", FQ_CLOCK_DONE },
  };

  g_assert_cmpint (fq_client_get_accept_limit (), ==, 2 * h);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      FqClockLook look = -1;
      g_autofree char *text = fq_format_ticket_clock (cases[i].state, now + cases[i].deadline,
                                                      now + cases[i].dispatched, cases[i].overdue,
                                                      now, &look);

      g_assert_cmpstr (text, ==, cases[i].text);
      g_assert_cmpint (look, ==, cases[i].look);
    }

  {
    FqClockLook look = -1;
    g_autofree char *none = fq_format_ticket_clock (FQ_TICKET_STATE_ACCEPTED, 0, now, FALSE, now,
                                                    &look);

    g_assert_cmpstr (none, ==, "");
    g_assert_cmpint (look, ==, FQ_CLOCK_PLAIN);
  }
}

/* The board's times: the time of day today, month and day this year, the
 * date in another year; always in Beijing time. */
static void
test_format_times (void)
{
  g_autoptr(GTimeZone) zone = g_time_zone_new_identifier ("Asia/Shanghai");
  g_autoptr(GDateTime) now = g_date_time_new_now (zone);
  g_autoptr(GDateTime) new_year = NULL;
  g_autofree char *today_expected = g_date_time_format (now, "%H:%M");
  g_autofree char *today = fq_format_time (g_date_time_to_unix (now));
  g_autofree char *other_year = fq_format_time (1700000000);
  g_autofree char *full = fq_format_date_time (1700000000);
  g_autofree char *none = fq_format_time (0);

  g_assert_nonnull (zone);
  /* 1700000000 is 2023-11-14 22:13:20 UTC, 2023-11-15 06:13 in Beijing. */
  g_assert_cmpstr (other_year, ==, "2023-11-15");
  g_assert_cmpstr (full, ==, "2023-11-15 06:13");
  g_assert_cmpstr (none, ==, "");
  /* The minute may turn between the two readings of the clock. */
  if (g_strcmp0 (today, today_expected) != 0)
    {
      g_autoptr(GDateTime) later = g_date_time_new_now (zone);
      g_autofree char *later_expected = g_date_time_format (later, "%H:%M");

      g_assert_cmpstr (today, ==, later_expected);
    }

  /* Noon on 2 January of this year, unless that is today. */
  new_year = g_date_time_new (zone, g_date_time_get_year (now), 1, 2, 12, 0, 0);
  if (g_date_time_get_day_of_year (now) != 2)
    {
      g_autofree char *this_year = fq_format_time (g_date_time_to_unix (new_year));

      g_assert_cmpstr (this_year, ==, "01-02 12:00");
    }
}

static void
test_kinds (void)
{
  g_assert_true (fq_timeline_kind_is_milestone (FQ_EVENT_KIND_DISPATCHED));
  g_assert_true (fq_timeline_kind_is_milestone (FQ_EVENT_KIND_ACCEPTED));
  g_assert_true (fq_timeline_kind_is_milestone (FQ_EVENT_KIND_CONSENSUS));
  g_assert_true (fq_timeline_kind_is_milestone (FQ_EVENT_KIND_RESOLVED));
  g_assert_false (fq_timeline_kind_is_milestone (FQ_EVENT_KIND_PROGRESS));
  g_assert_false (fq_timeline_kind_is_milestone (FQ_EVENT_KIND_SLA_BREACHED));

  /* What stands out: repeat calls, returns, escalations, breaches, sessions. */
  g_assert_true (fq_timeline_kind_is_notable (FQ_EVENT_KIND_MERGED));
  g_assert_true (fq_timeline_kind_is_notable (FQ_EVENT_KIND_RETURNED));
  g_assert_true (fq_timeline_kind_is_notable (FQ_EVENT_KIND_ESCALATED));
  g_assert_true (fq_timeline_kind_is_notable (FQ_EVENT_KIND_SLA_BREACHED));
  g_assert_true (fq_timeline_kind_is_notable (FQ_EVENT_KIND_WHISTLE));
  g_assert_true (fq_timeline_kind_is_notable (FQ_EVENT_KIND_CHECKED_IN));
  g_assert_true (fq_timeline_kind_is_notable (FQ_EVENT_KIND_ACTION_DONE));
  g_assert_false (fq_timeline_kind_is_notable (FQ_EVENT_KIND_COMMENT));
  g_assert_false (fq_timeline_kind_is_notable (FQ_EVENT_KIND_ACCEPTED));

  /* The milestones filter keeps those and drops the small steps. */
  g_assert_true (fq_timeline_kind_is_shown_in_milestones (FQ_EVENT_KIND_SLA_BREACHED));
  g_assert_true (fq_timeline_kind_is_shown_in_milestones (FQ_EVENT_KIND_MERGED));
  g_assert_true (fq_timeline_kind_is_shown_in_milestones (FQ_EVENT_KIND_CONSENSUS));
  g_assert_false (fq_timeline_kind_is_shown_in_milestones (FQ_EVENT_KIND_PROGRESS));
  g_assert_false (fq_timeline_kind_is_shown_in_milestones (FQ_EVENT_KIND_COMMENT));
  g_assert_false (fq_timeline_kind_is_shown_in_milestones (FQ_EVENT_KIND_CHECKED_IN));

  for (int kind = 0; kind <= FQ_EVENT_KIND_ACTION_DONE; kind++)
    g_assert_true (g_str_has_suffix (fq_timeline_kind_icon (kind), "-symbolic"));
}

/* The seed example of DOMAIN.md: dispatched, accepted 40 min later, the
 * whistle, consensus 5 h after it, resolved 4 days after dispatch. */
static void
test_steps (void)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) steps = NULL;

  g_ptr_array_add (events, event_new ("e1", "dispatched", "2026-11-20T01:00:00Z"));
  g_ptr_array_add (events, event_new ("e2", "accepted", "2026-11-20T01:40:00Z"));
  g_ptr_array_add (events, event_new ("e3", "progress", "2026-11-20T02:00:00Z"));
  g_ptr_array_add (events, event_new ("e4", "whistle", "2026-11-20T02:10:00Z"));
  g_ptr_array_add (events, event_new ("e5", "checked_in", "2026-11-20T03:00:00Z"));
  g_ptr_array_add (events, event_new ("e6", "consensus", "2026-11-20T07:10:00Z"));
  g_ptr_array_add (events, event_new ("e7", "sla_breached", "2026-11-22T01:00:00Z"));
  g_ptr_array_add (events, event_new ("e8", "resolved", "2026-11-24T01:00:00Z"));
  g_ptr_array_add (events, event_new ("e9", "closed", "2026-11-24T03:00:00Z"));

  steps = fq_timeline_compute_steps (events);
  g_assert_cmpuint (steps->len, ==, events->len);
  g_assert_null (g_ptr_array_index (steps, 0));
  g_assert_cmpstr (g_ptr_array_index (steps, 1), ==, "Dispatch → accepted 40 min");
  g_assert_null (g_ptr_array_index (steps, 2));
  g_assert_cmpstr (g_ptr_array_index (steps, 3), ==, "Accepted → whistle 30 min");
  g_assert_null (g_ptr_array_index (steps, 4));
  g_assert_cmpstr (g_ptr_array_index (steps, 5), ==, "Whistle → consensus 5 h");
  g_assert_null (g_ptr_array_index (steps, 6));
  g_assert_cmpstr (g_ptr_array_index (steps, 7), ==, "Consensus → resolved 4 d (4 d since dispatch)");
  g_assert_cmpstr (g_ptr_array_index (steps, 8), ==, "Resolved → closed 2 h (4 d since dispatch)");
}

/* A return and a redispatch: each step from the milestone before it. */
static void
test_steps_backflow (void)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) steps = NULL;
  g_autofree char *single = NULL;

  g_ptr_array_add (events, event_new ("e1", "dispatched", "2026-11-20T01:00:00Z"));
  g_ptr_array_add (events, event_new ("e2", "returned", "2026-11-20T01:20:00Z"));
  g_ptr_array_add (events, event_new ("e3", "redispatched", "2026-11-20T02:20:00Z"));
  g_ptr_array_add (events, event_new ("e4", "accepted", "2026-11-20T02:25:00Z"));

  steps = fq_timeline_compute_steps (events);
  g_assert_cmpstr (g_ptr_array_index (steps, 1), ==, "Dispatch → returned 20 min");
  g_assert_cmpstr (g_ptr_array_index (steps, 2), ==, "Returned → redispatch 1 h");
  g_assert_cmpstr (g_ptr_array_index (steps, 3), ==, "Redispatch → accepted 5 min");

  single = fq_timeline_step_text (FQ_EVENT_KIND_DISPATCHED, 0, FQ_EVENT_KIND_ACCEPTED, 2400);
  g_assert_cmpstr (single, ==, "Dispatch → accepted 40 min");
}

/* Days are local days: 23:30 UTC is the next morning in Beijing. */
static void
test_days (void)
{
  g_autoptr(GTimeZone) beijing = g_time_zone_new_identifier ("+08:00");
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) late = g_date_time_new_utc (2026, 11, 28, 23, 30, 0);
  g_autoptr(GDateTime) early = g_date_time_new_utc (2026, 11, 28, 15, 59, 0);
  g_autoptr(GDateTime) next = g_date_time_new_utc (2026, 11, 28, 16, 0, 0);
  g_autofree char *heading = NULL;

  g_assert_nonnull (beijing);
  g_assert_cmpuint (fq_timeline_day_key (g_date_time_to_unix (late), utc), ==, 20261128);
  g_assert_cmpuint (fq_timeline_day_key (g_date_time_to_unix (late), beijing), ==, 20261129);
  g_assert_cmpuint (fq_timeline_day_key (g_date_time_to_unix (early), beijing), ==, 20261128);
  g_assert_cmpuint (fq_timeline_day_key (g_date_time_to_unix (next), beijing), ==, 20261129);

  heading = fq_timeline_day_heading (g_date_time_to_unix (late), beijing);
  g_assert_cmpstr (heading, ==, "Sunday, 29 November 2026");
}

static JsonObject *
object_from (const char *json)
{
  g_autoptr(JsonNode) node = json_from_string (json, NULL);

  g_assert_nonnull (node);
  return json_object_ref (json_node_get_object (node));
}

static void
test_notify_classify (void)
{
  g_autoptr(JsonObject) breach = object_from ("{\"id\":\"e1\",\"ticket\":\"T1\",\"kind\":\"sla_breached\","
                                              "\"unit\":\"u1\",\"data\":{\"breach\":\"accept\"}}");
  g_autoptr(JsonObject) item = object_from ("{\"id\":\"e2\",\"ticket\":\"T1\",\"kind\":\"sla_breached\","
                                            "\"unit\":\"u1\",\"data\":{\"breach\":\"action_item\"}}");
  g_autoptr(JsonObject) dispatched = object_from ("{\"id\":\"e3\",\"ticket\":\"T1\",\"kind\":\"dispatched\","
                                                  "\"unit\":\"u1\",\"data\":{}}");
  g_autoptr(JsonObject) redispatched = object_from ("{\"id\":\"e4\",\"ticket\":\"T1\",\"kind\":\"redispatched\","
                                                    "\"unit\":null,\"data\":{\"from\":\"u2\",\"to\":\"u1\"}}");
  g_autoptr(JsonObject) escalated = object_from ("{\"id\":\"e5\",\"ticket\":\"T1\",\"kind\":\"escalated\","
                                                 "\"unit\":null,\"data\":{\"from\":\"u2\",\"to\":\"u1\"}}");
  g_autoptr(JsonObject) tier_only = object_from ("{\"id\":\"e6\",\"ticket\":\"T1\",\"kind\":\"escalated\","
                                                 "\"unit\":\"u1\",\"data\":{\"to_tier\":\"street\"}}");
  g_autoptr(JsonObject) comment = object_from ("{\"id\":\"e7\",\"ticket\":\"T1\",\"kind\":\"comment\","
                                               "\"unit\":\"u1\",\"data\":{}}");

  g_assert_cmpint (fq_notifier_classify (breach, FQ_ROLE_UNIT, "u1"), ==, FQ_NOTIFY_OVERDUE);
  g_assert_cmpint (fq_notifier_classify (breach, FQ_ROLE_UNIT, "u2"), ==, FQ_NOTIFY_NONE);
  g_assert_cmpint (fq_notifier_classify (breach, FQ_ROLE_COORDINATOR, NULL), ==, FQ_NOTIFY_OVERDUE);
  g_assert_cmpint (fq_notifier_classify (breach, FQ_ROLE_LEADER, NULL), ==, FQ_NOTIFY_NONE);
  g_assert_cmpint (fq_notifier_classify (item, FQ_ROLE_COORDINATOR, NULL), ==, FQ_NOTIFY_NONE);
  g_assert_cmpint (fq_notifier_classify (dispatched, FQ_ROLE_UNIT, "u1"), ==, FQ_NOTIFY_DISPATCHED);
  g_assert_cmpint (fq_notifier_classify (dispatched, FQ_ROLE_UNIT, "u2"), ==, FQ_NOTIFY_NONE);
  g_assert_cmpint (fq_notifier_classify (dispatched, FQ_ROLE_COORDINATOR, NULL), ==, FQ_NOTIFY_NONE);
  g_assert_cmpint (fq_notifier_classify (redispatched, FQ_ROLE_UNIT, "u1"), ==, FQ_NOTIFY_DISPATCHED);
  g_assert_cmpint (fq_notifier_classify (redispatched, FQ_ROLE_UNIT, "u2"), ==, FQ_NOTIFY_NONE);
  g_assert_cmpint (fq_notifier_classify (escalated, FQ_ROLE_UNIT, "u1"), ==, FQ_NOTIFY_DISPATCHED);
  g_assert_cmpint (fq_notifier_classify (tier_only, FQ_ROLE_UNIT, "u1"), ==, FQ_NOTIFY_NONE);
  g_assert_cmpint (fq_notifier_classify (comment, FQ_ROLE_UNIT, "u1"), ==, FQ_NOTIFY_NONE);
}

int
main (int   argc,
      char *argv[])
{
  /* The English source strings are what the assertions read. The
   * workstation's clock is set to another zone: the console shows Beijing
   * time all the same (fq-city-time.h). */
  g_setenv ("LANGUAGE", "C", TRUE);
  g_setenv ("TZ", "America/Los_Angeles", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/timeline/spans", test_spans);
  g_test_add_func ("/format/times", test_format_times);
  g_test_add_func ("/format/accept-clock", test_format_accept_clock);
  g_test_add_func ("/format/ticket-clock", test_format_ticket_clock);
  g_test_add_func ("/timeline/kinds", test_kinds);
  g_test_add_func ("/timeline/steps", test_steps);
  g_test_add_func ("/timeline/steps-backflow", test_steps_backflow);
  g_test_add_func ("/timeline/days", test_days);
  g_test_add_func ("/notifier/classify", test_notify_classify);

  return g_test_run ();
}
