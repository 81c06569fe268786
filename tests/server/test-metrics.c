/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * /metrics (API.md, DOMAIN.md "Metrics") against constructed data:
 *
 *  - the published figures: a pilot district with 7,421 incidents in a
 *    month, 2,989 of them non-police disputes, 97 mediated and 389 diverted
 *    (diversion share 0.163), dispute incidents −13.1% year on year, repeat
 *    calls −47.6% month on month and −12.5% year on year, 110 calls −12%
 *    year on year; 3,675 tickets in a year of which 3,587 closed
 *    (completion rate 0.976);
 *  - a random city (seeded) over eighteen months, with convening sessions
 *    in every state and invitations in every status, where every figure
 *    of the summary, the trend, the unit assessment (session attendance
 *    included) and the category counts is
 *    compared with a count of the raw records done here, independently of
 *    the server, for several periods and scope nodes;
 *  - "explain this number": the records each figure lists are exactly
 *    those counted here, and as many as the figure says, for four periods,
 *    four scope nodes, trend buckets, categories, groups and units;
 *  - records made through the API (intake with an explicit past
 *    received_at, triage, repeat detection, ticket actions);
 *  - errors and roles.
 *
 * The published and random data lie years in the past, with tickets
 * created, accepted, resolved and closed back then: the API stamps those
 * times with "now", so these rows are written directly into the server's
 * SQLite database while the server is stopped (the schema is the server's;
 * only the columns the metrics read, and the tickets' `returned` events,
 * are filled). The server is started again on the same directory before
 * any request.
 */

#include "config.h"

#include <string.h>

#include <sqlite3.h>

#include "fq-test-server.h"

#define DAY   86400
#define CST   (8 * 3600)
#define N_SOURCES 5
#define ACCEPT_LIMIT (2 * 3600)   /* the server's default acceptance limit */

static const char * const sources[N_SOURCES] = { "110", "12345", "grid", "walk_in", "open311" };

enum { D_NONE = -1, D_POLICE, D_ON_SCENE, D_MEDIATE, D_DIVERT, D_MERGE };
static const char * const decisions[] = { "police", "on_scene", "mediate", "divert", "merge" };

enum { S_DISPATCHED, S_ACCEPTED, S_RESOLVED, S_CLOSED, S_RETURNED };
static const char * const states[] = { "dispatched", "accepted", "resolved", "closed", "returned" };

typedef struct
{
  char       *id;
  gint64      at;
  const char *grid;
  int         source;
  int         decision;
  gboolean    repeat_of;
  const char *category;   /* nullable */
} Inc;

typedef struct
{
  char       *id;
  gint64      created_at;
  const char *grid;
  const char *lead;
  const char *category;
  int         state;
  gint64      dispatched_at;
  gint64      accepted_at;
  gint64      resolved_at;
  gint64      closed_at;
  gint64      deadline;
  int         returned;
  int         rejected;
  int         reopened;
  int         satisfaction;
  const char *returned_by;  /* the unit of its `returned` events */
} Tkt;

/* A convening session and its invitations (session attendance). */
enum { SS_SCHEDULED, SS_IN_PROGRESS, SS_CONCLUDED, SS_CANCELLED };
static const char * const session_states[] = { "scheduled", "in_progress", "concluded", "cancelled" };
enum { IS_INVITED, IS_CHECKED_IN, IS_ABSENT, IS_EXCUSED };
static const char * const invitee_states[] = { "invited", "checked_in", "absent", "excused" };

#define MAX_INVITEES 4

typedef struct
{
  char       *id;
  gint64      scheduled_at;
  const char *grid;
  int         state;
  guint       n;
  const char *units[MAX_INVITEES];
  int         status[MAX_INVITEES];
  int         delay[MAX_INVITEES];     /* minutes; -1: none recorded */
} Ses;

static struct
{
  FqTestServer *server;
  FqTestClient *leader;
  FqTestClient *admin;
  FqTestClient *operator;
  FqTestClient *coordinator;
  FqTestClient *unit;
  FqTestClient *grid;
  GStringChunk *strings;
  GPtrArray    *pilot_communities;  /* 下陆区 */
  GPtrArray    *other_communities;  /* 黄石港区 and the rest */
  GPtrArray    *categories;         /* codes, not police-only */
  GHashTable   *category_group;     /* code → group */
  GPtrArray    *units;              /* unit ids */
  GArray       *incs;
  GArray       *tkts;
  GArray       *sess;
} w;

/* ---- time ---- */

static gint64
cst (int year,
     int month,
     int day)
{
  g_autoptr(GDateTime) dt = g_date_time_new_utc (year, month, day, 0, 0, 0);

  return g_date_time_to_unix (dt) - CST;
}

static char *
iso (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);

  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
}

static gint64
year_before (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);
  g_autoptr(GDateTime) shifted = g_date_time_add_years (dt, -1);

  return g_date_time_to_unix (shifted);
}

/* The CST midnight starting the 1st of the month @add months after
 * @year-@month. */
static gint64
month_start (int year,
             int month,
             int add)
{
  int k = year * 12 + (month - 1) + add;

  return cst (k / 12, k % 12 + 1, 1);
}

/* The previous period (环比) as fq-metrics.c promises it: from the 1st of a
 * month at CST midnight, back as many calendar months as the period spans,
 * a day past a shorter month's end on its last day; otherwise back as
 * many whole days as it spans. */
static void
previous_of (gint64  from,
             gint64  to,
             gint64 *previous_from,
             gint64 *previous_to)
{
  g_autoptr(GDateTime) start = g_date_time_new_from_unix_utc (from + CST);
  gint64 days = (to - from + 86399) / 86400;

  if (g_date_time_get_day_of_month (start) == 1 && (from + CST) % 86400 == 0)
    {
      g_autoptr(GDateTime) end = g_date_time_new_from_unix_utc (to + CST);
      int year = g_date_time_get_year (start), month = g_date_time_get_month (start);
      int months = 1;
      int k, day;

      while (month_start (year, month, months) < to)
        months++;
      k = g_date_time_get_year (end) * 12 + g_date_time_get_month (end) - 1 - months;
      day = MIN (g_date_time_get_day_of_month (end), g_date_get_days_in_month (k % 12 + 1, k / 12));
      *previous_from = month_start (year, month, -months);
      *previous_to = cst (k / 12, k % 12 + 1, day) + (to + CST) % 86400;
      return;
    }
  *previous_from = from - days * 86400;
  *previous_to = to - days * 86400;
}

/* ---- the independent count ---- */

typedef struct
{
  gint64  total;
  gint64  by_source[N_SOURCES];
  gint64  police;
  gint64  disputes;
  gint64  mediated;
  gint64  diverted;
  gint64  repeats;
  gint64  proactive;
  gint64  created;
  gint64  closed;
  gint64  resolved;
  gint64  on_time;
  gint64  backflow;
  GArray *accept;
  GArray *resolve;
} Expect;

static gboolean
in_scope (const char *grid,
          const char *prefix)
{
  return g_str_has_prefix (grid, prefix);
}

static int
cmp64 (gconstpointer a,
       gconstpointer b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

  return x < y ? -1 : x > y;
}

static gboolean
median (GArray *values,
        double *out)
{
  gint64 *v = (gint64 *)values->data;
  guint n = values->len;

  if (n == 0)
    return FALSE;
  g_array_sort (values, cmp64);
  *out = n % 2 ? v[n / 2] / 3600.0 : (v[n / 2 - 1] + v[n / 2]) / 7200.0;
  return TRUE;
}

static void
expect_count (Expect     *e,
              gint64      from,
              gint64      to,
              const char *prefix)
{
  memset (e, 0, sizeof *e);
  e->accept = g_array_new (FALSE, FALSE, sizeof (gint64));
  e->resolve = g_array_new (FALSE, FALSE, sizeof (gint64));

  for (guint i = 0; i < w.incs->len; i++)
    {
      const Inc *inc = &g_array_index (w.incs, Inc, i);

      if (inc->at < from || inc->at >= to || !in_scope (inc->grid, prefix))
        continue;
      e->total++;
      e->by_source[inc->source]++;
      e->police += inc->decision == D_POLICE;
      e->disputes += inc->decision >= D_ON_SCENE;
      e->mediated += inc->decision == D_MEDIATE;
      e->diverted += inc->decision == D_DIVERT;
      e->repeats += inc->repeat_of || inc->decision == D_MERGE;
      e->proactive += inc->source == 2;
    }
  for (guint i = 0; i < w.tkts->len; i++)
    {
      const Tkt *t = &g_array_index (w.tkts, Tkt, i);

      if (t->created_at < from || t->created_at >= to || !in_scope (t->grid, prefix))
        continue;
      e->created++;
      e->closed += t->state == S_CLOSED;
      if (t->resolved_at != 0)
        {
          gint64 d = t->resolved_at - t->created_at;

          e->resolved++;
          e->on_time += t->deadline == 0 || t->resolved_at <= t->deadline;
          g_array_append_val (e->resolve, d);
        }
      if (t->accepted_at != 0)
        {
          gint64 d = t->accepted_at - t->dispatched_at;

          g_array_append_val (e->accept, d);
        }
      e->backflow += t->returned > 0 || t->rejected > 0 || t->reopened > 0;
    }
}

static void
expect_clear (Expect *e)
{
  g_clear_pointer (&e->accept, g_array_unref);
  g_clear_pointer (&e->resolve, g_array_unref);
}

/* The expected value of a summary metric by name; FALSE for null. */
static gboolean
expect_value (Expect     *e,
              const char *name,
              double     *out)
{
#define COUNT(n, v) if (strcmp (name, n) == 0) { *out = (v); return TRUE; }
#define RATIO(n, a, b) \
  if (strcmp (name, n) == 0) { if ((b) == 0) return FALSE; *out = (double)(a) / (b); return TRUE; }
  COUNT ("incidents_total", e->total);
  COUNT ("police_incidents", e->police);
  COUNT ("non_police_disputes", e->disputes);
  COUNT ("mediated", e->mediated);
  COUNT ("diverted", e->diverted);
  RATIO ("diversion_share", e->mediated + e->diverted, e->disputes);
  COUNT ("tickets_created", e->created);
  COUNT ("tickets_closed", e->closed);
  RATIO ("completion_rate", e->closed, e->created);
  COUNT ("tickets_resolved", e->resolved);
  COUNT ("resolved_on_time", e->on_time);
  RATIO ("on_time_rate", e->on_time, e->resolved);
  COUNT ("repeat_calls", e->repeats);
  COUNT ("backflow_tickets", e->backflow);
  COUNT ("proactive_reports", e->proactive);
  if (strcmp (name, "median_hours_to_accept") == 0)
    return median (e->accept, out);
  if (strcmp (name, "median_hours_to_resolve") == 0)
    return median (e->resolve, out);
  for (int s = 0; s < N_SOURCES; s++)
    if (g_str_has_prefix (name, "by_source.") && strcmp (name + 10, sources[s]) == 0)
      {
        *out = e->by_source[s];
        return TRUE;
      }
#undef COUNT
#undef RATIO
  g_assert_not_reached ();
  return FALSE;
}

static const char * const metric_names[] = {
  "incidents_total", "police_incidents", "non_police_disputes", "mediated", "diverted",
  "diversion_share", "tickets_created", "tickets_closed", "completion_rate", "tickets_resolved",
  "resolved_on_time", "on_time_rate", "repeat_calls", "backflow_tickets", "proactive_reports",
  "median_hours_to_accept", "median_hours_to_resolve", "by_source.110", "by_source.12345",
  "by_source.grid", "by_source.walk_in", "by_source.open311",
};

static JsonNode *
metric_node (JsonObject *values,
             const char *name)
{
  if (g_str_has_prefix (name, "by_source."))
    {
      JsonObject *by_source = fq_test_obj_obj (values, "incidents_by_source");

      g_assert_nonnull (by_source);
      g_assert_true (json_object_has_member (by_source, name + 10));
      return json_object_get_member (by_source, name + 10);
    }
  g_assert_true (json_object_has_member (values, name));
  return json_object_get_member (values, name);
}

static void
check_close (const char *what,
             double      got,
             double      want)
{
  if (ABS (got - want) > 1e-9 * MAX (1.0, ABS (want)))
    g_error ("%s: got %.12g, counted %.12g", what, got, want);
}

static void
check_values (JsonObject *values,
              Expect     *e,
              const char *where)
{
  g_assert_nonnull (values);
  for (guint i = 0; i < G_N_ELEMENTS (metric_names); i++)
    {
      g_autofree char *what = g_strdup_printf ("%s %s", where, metric_names[i]);
      JsonNode *node = metric_node (values, metric_names[i]);
      double want = 0;

      if (!expect_value (e, metric_names[i], &want))
        {
          if (!JSON_NODE_HOLDS_NULL (node))
            g_error ("%s: got %s, counted null", what, json_to_string (node, FALSE));
          continue;
        }
      if (JSON_NODE_HOLDS_NULL (node))
        g_error ("%s: got null, counted %.12g", what, want);
      check_close (what, json_node_get_double (node), want);
    }
}

static void
check_changes (JsonObject *changes,
               Expect     *cur,
               Expect     *base,
               const char *where)
{
  g_assert_nonnull (changes);
  for (guint i = 0; i < G_N_ELEMENTS (metric_names); i++)
    {
      g_autofree char *what = g_strdup_printf ("%s change %s", where, metric_names[i]);
      JsonNode *node = metric_node (changes, metric_names[i]);
      double c = 0, b = 0;
      gboolean has = expect_value (cur, metric_names[i], &c) &&
                     expect_value (base, metric_names[i], &b) && b != 0;

      if (!has)
        {
          if (!JSON_NODE_HOLDS_NULL (node))
            g_error ("%s: got %s, expected null", what, json_to_string (node, FALSE));
          continue;
        }
      if (JSON_NODE_HOLDS_NULL (node))
        g_error ("%s: got null, expected %.12g", what, (c - b) / b);
      check_close (what, json_node_get_double (node), (c - b) / b);
    }
}

static FqTestResponse *
get_metrics (FqTestClient *client,
             const char   *what,
             gint64        from,
             gint64        to,
             const char   *grid,
             const char   *extra)
{
  g_autofree char *f = iso (from);
  g_autofree char *t = iso (to);

  return fq_test_get (client, "/metrics/%s?from=%s&to=%s%s%s%s", what, f, t,
                      grid != NULL ? "&grid=" : "", grid != NULL ? grid : "",
                      extra != NULL ? extra : "");
}

static char *
prefix_of (const char *code)
{
  /* The scope prefix: the code without the zeros its level leaves unused. */
  if (g_str_has_suffix (code, "00000000"))
    return g_strndup (code, 4);
  if (g_str_has_suffix (code, "000000"))
    return g_strndup (code, 6);
  if (g_str_has_suffix (code, "000"))
    return g_strndup (code, 9);
  return g_strdup (code);
}

/* The summary for [from, to) at @grid, every figure against the count. */
static JsonObject *
check_summary (gint64      from,
               gint64      to,
               const char *grid)
{
  g_autoptr(FqTestResponse) resp = get_metrics (w.leader, "summary", from, to, grid, NULL);
  g_autofree char *prefix = prefix_of (grid);
  g_autofree char *where = NULL;
  g_autofree char *f = iso (from);
  g_autofree char *t = iso (to);
  JsonObject *root, *period, *periods;
  Expect cur, prev, yago;
  gint64 prev_from, prev_to;

  fq_test_assert_status (resp, 200);
  root = fq_test_response_object (resp);
  where = g_strdup_printf ("[%s, %s) %s", f, t, grid);
  g_test_message ("summary %s", where);

  g_assert_cmpstr (fq_test_obj_str (root, "grid"), ==, grid);
  period = fq_test_obj_obj (root, "period");
  g_assert_cmpstr (fq_test_obj_str (period, "from"), ==, f);
  g_assert_cmpstr (fq_test_obj_str (period, "to"), ==, t);
  previous_of (from, to, &prev_from, &prev_to);
  periods = fq_test_obj_obj (root, "periods");
  if (periods != NULL)
    {
      g_autofree char *pf = iso (prev_from);
      g_autofree char *pt = iso (prev_to);
      g_autofree char *yf = iso (year_before (from));
      g_autofree char *yt = iso (year_before (to));

      JsonObject *previous = fq_test_obj_obj (periods, "previous_period");
      JsonObject *last_year = fq_test_obj_obj (periods, "same_period_last_year");

      g_assert_cmpstr (fq_test_obj_str (previous, "from"), ==, pf);
      g_assert_cmpstr (fq_test_obj_str (previous, "to"), ==, pt);
      g_assert_cmpstr (fq_test_obj_str (last_year, "from"), ==, yf);
      g_assert_cmpstr (fq_test_obj_str (last_year, "to"), ==, yt);
    }

  expect_count (&cur, from, to, prefix);
  expect_count (&prev, prev_from, prev_to, prefix);
  expect_count (&yago, year_before (from), year_before (to), prefix);

  check_values (fq_test_obj_obj (root, "current"), &cur, where);
  check_values (fq_test_obj_obj (root, "previous_period"), &prev, where);
  check_values (fq_test_obj_obj (root, "same_period_last_year"), &yago, where);
  check_changes (fq_test_obj_obj (fq_test_obj_obj (root, "change"), "previous_period"),
                 &cur, &prev, where);
  check_changes (fq_test_obj_obj (fq_test_obj_obj (root, "change"), "same_period_last_year"),
                 &cur, &yago, where);

  expect_clear (&cur);
  expect_clear (&prev);
  expect_clear (&yago);
  return json_object_ref (root);
}

/* ---- constructing the data ---- */

static const char *
intern (const char *s)
{
  return s != NULL ? g_string_chunk_insert_const (w.strings, s) : NULL;
}

static void
add_inc (gint64      at,
         const char *grid,
         int         source,
         int         decision,
         gboolean    repeat_of,
         const char *category)
{
  Inc inc = { g_strdup_printf ("IM%07u", w.incs->len), at, grid, source, decision, repeat_of,
              category };

  g_array_append_val (w.incs, inc);
}

static Tkt *
add_tkt (gint64      created_at,
         const char *grid,
         const char *lead,
         const char *category,
         int         state)
{
  Tkt t = { 0, };

  t.id = g_strdup_printf ("TM%07u", w.tkts->len);
  t.created_at = created_at;
  t.dispatched_at = created_at;
  t.deadline = created_at + 72 * 3600;
  t.grid = grid;
  t.lead = lead;
  t.category = category;
  t.state = state;
  g_array_append_val (w.tkts, t);
  return &g_array_index (w.tkts, Tkt, w.tkts->len - 1);
}

/* A ticket in @state with times and counters that fit it. */
static void
random_ticket (GRand      *r,
               gint64      created_at,
               const char *grid)
{
  int state = g_rand_int_range (r, 0, 100);
  const char *lead = g_ptr_array_index (w.units, g_rand_int_range (r, 0, w.units->len));
  const char *category = g_ptr_array_index (w.categories, g_rand_int_range (r, 0, w.categories->len));
  Tkt *t;

  state = state < 70 ? S_CLOSED : state < 80 ? S_RESOLVED : state < 90 ? S_ACCEPTED
        : state < 96 ? S_DISPATCHED : S_RETURNED;
  t = add_tkt (created_at, grid, lead, category, state);
  if (g_rand_int_range (r, 0, 10) == 0)
    {
      /* Redispatched once: the clock restarted later. */
      t->dispatched_at = created_at + g_rand_int_range (r, 600, 20000);
      t->deadline = t->dispatched_at + 72 * 3600;
    }
  if (state != S_DISPATCHED && state != S_RETURNED)
    t->accepted_at = t->dispatched_at + g_rand_int_range (r, 60, 4 * 3600);
  if (state == S_RESOLVED || state == S_CLOSED)
    t->resolved_at = t->accepted_at + g_rand_int_range (r, 3600, 100 * 3600);
  if (state == S_CLOSED)
    {
      t->closed_at = t->resolved_at + g_rand_int_range (r, 600, 30000);
      t->satisfaction = g_rand_int_range (r, 0, 6);   /* 0: no callback */
    }
  if (g_rand_int_range (r, 0, 8) == 0 || state == S_RETURNED)
    {
      t->returned = 1 + g_rand_int_range (r, 0, 2);
      /* Mostly another unit, that returned it before this one got it. */
      t->returned_by = g_rand_int_range (r, 0, 4) == 0
        ? t->lead : g_ptr_array_index (w.units, g_rand_int_range (r, 0, w.units->len));
    }
  if (g_rand_int_range (r, 0, 12) == 0)
    t->rejected = 1;
  if (g_rand_int_range (r, 0, 12) == 0 && state != S_RETURNED)
    t->reopened = 1;
}

/* The published figures (DOMAIN.md): every count set exactly. */
typedef struct
{
  gint64 total, disputes, mediated, diverted, merged, repeat_others, n110;
} Published;

static void
published_period (GRand           *r,
                  gint64           from,
                  gint64           to,
                  const Published *p)
{
  g_autofree int *source = g_new (int, p->total);
  gint64 police = p->total - p->disputes;

  /* Sources: exactly n110 from 110, the rest spread over the others,
   * shuffled so that they do not line up with the decisions. */
  for (gint64 i = 0; i < p->total; i++)
    source[i] = i < p->n110 ? 0 : 1 + (int)(i % 3);
  for (gint64 i = p->total - 1; i > 0; i--)
    {
      gint64 j = g_rand_int_range (r, 0, (gint32)i + 1);
      int tmp = source[i];

      source[i] = source[j];
      source[j] = tmp;
    }

  for (gint64 i = 0; i < p->total; i++)
    {
      gint64 at = from + (to - from) * i / p->total;
      const char *grid = g_ptr_array_index (w.pilot_communities, i % w.pilot_communities->len);
      const char *category = g_ptr_array_index (w.categories, i % w.categories->len);
      int decision;
      gboolean repeat = FALSE;

      if (i < police)
        {
          decision = D_POLICE;
          repeat = i < p->repeat_others;
        }
      else
        {
          gint64 k = i - police;

          decision = k < p->mediated ? D_MEDIATE
                   : k < p->mediated + p->diverted ? D_DIVERT
                   : k < p->mediated + p->diverted + p->merged ? D_MERGE
                   : D_ON_SCENE;
        }
      add_inc (at, grid, source[i], decision, repeat, category);
    }
}

/* The published month and its comparisons. */
static gint64 pilot_from, pilot_to;
/* The published year of tickets. */
static gint64 tickets_from, tickets_to;
/* The random city. */
static gint64 random_from, random_to;

static void
construct (void)
{
  g_autoptr(GRand) r = g_rand_new_with_seed (4202);

  /* March 2024 (China Standard Time) in the pilot district; the month
   * before, February; March 2023. */
  pilot_from = cst (2024, 3, 1);
  pilot_to = cst (2024, 4, 1);
  {
    /* 2,989 disputes, 97 mediated, 389 diverted; repeat calls 140 (40
     * merged, 100 police calls linked as repeats); 4,400 from 110. */
    Published current = { 7421, 2989, 97, 389, 40, 100, 4400 };
    /* The month before: 267 repeat calls (140 / 267 − 1 = −47.6%). */
    Published previous = { 7000, 2800, 90, 360, 67, 200, 4100 };
    /* A year before: 3,440 disputes (2,989 / 3,440 − 1 = −13.1%), 160
     * repeat calls (−12.5%), 5,000 from 110 (−12%). */
    Published year_ago = { 8000, 3440, 110, 420, 60, 100, 5000 };

    published_period (r, pilot_from, pilot_to, &current);
    published_period (r, cst (2024, 2, 1), pilot_from, &previous);
    published_period (r, year_before (pilot_from), year_before (pilot_to), &year_ago);
  }

  /* 3,675 tickets in 2022 city-wide, 3,587 of them closed. */
  tickets_from = cst (2022, 1, 1);
  tickets_to = cst (2023, 1, 1);
  for (guint i = 0; i < 3675; i++)
    {
      gint64 at = tickets_from + (tickets_to - tickets_from) / 3675 * i;
      GPtrArray *places = i % 3 ? w.other_communities : w.pilot_communities;
      const char *grid = g_ptr_array_index (places, i % places->len);
      const char *lead = g_ptr_array_index (w.units, i % w.units->len);
      const char *category = g_ptr_array_index (w.categories, i % w.categories->len);
      Tkt *t = add_tkt (at, grid, lead, category, i < 3587 ? S_CLOSED : S_ACCEPTED);

      t->accepted_at = at + 1800 + (i % 7) * 600;
      if (t->state == S_CLOSED)
        {
          t->resolved_at = at + 20 * 3600 + (i % 13) * 3600;
          t->closed_at = t->resolved_at + 3600;
          t->satisfaction = 1 + i % 5;
        }
    }

  /* The random city: July 2020 to December 2021, several districts. */
  random_from = cst (2020, 7, 1);
  random_to = cst (2022, 1, 1);
  for (gint64 day = random_from; day < random_to; day += DAY)
    {
      int n = g_rand_int_range (r, 5, 25);

      for (int k = 0; k < n; k++)
        {
          GPtrArray *places = g_rand_boolean (r) ? w.pilot_communities : w.other_communities;
          const char *grid = g_ptr_array_index (places, g_rand_int_range (r, 0, places->len));
          gint64 at = day + g_rand_int_range (r, 0, DAY);
          int d = g_rand_int_range (r, -1, 5);
          int source = g_rand_int_range (r, 0, 100);
          const char *category = g_rand_int_range (r, 0, 10) == 0 ? NULL
            : g_ptr_array_index (w.categories, g_rand_int_range (r, 0, 12));

          source = source < 55 ? 0 : source < 85 ? 1 : source < 93 ? 2 : source < 98 ? 3 : 4;
          add_inc (at, grid, source, d, g_rand_int_range (r, 0, 9) == 0, category);
          if (d == D_DIVERT)
            random_ticket (r, at + g_rand_int_range (r, 60, 3600), grid);
        }
    }

  /* Convening sessions over 2021, in every state, with invitations in
   * every status. */
  for (guint i = 0; i < 240; i++)
    {
      Ses ses = { 0, };
      GPtrArray *places = i % 2 ? w.pilot_communities : w.other_communities;

      ses.id = g_strdup_printf ("SM%07u", i);
      ses.scheduled_at = cst (2021, 1, 1) + (gint64)g_rand_int_range (r, 0, 365) * DAY +
                         g_rand_int_range (r, 8 * 3600, 18 * 3600);
      ses.grid = g_ptr_array_index (places, g_rand_int_range (r, 0, places->len));
      ses.state = g_rand_int_range (r, 0, 10) < 7 ? SS_CONCLUDED
                : g_rand_int_range (r, 0, 3) == 0 ? SS_IN_PROGRESS
                : g_rand_boolean (r) ? SS_SCHEDULED : SS_CANCELLED;
      ses.n = g_rand_int_range (r, 2, MAX_INVITEES + 1);
      for (guint k = 0; k < ses.n; k++)
        {
          /* Distinct units: consecutive ones from a random start. */
          ses.units[k] = g_ptr_array_index (w.units, (i * 7 + k) % w.units->len);
          static const int others[] = { IS_INVITED, IS_ABSENT, IS_EXCUSED };

          ses.status[k] = g_rand_int_range (r, 0, 10) < 6 ? IS_CHECKED_IN
                        : others[g_rand_int_range (r, 0, G_N_ELEMENTS (others))];
          ses.delay[k] = ses.status[k] == IS_CHECKED_IN && g_rand_int_range (r, 0, 5) > 0
                         ? g_rand_int_range (r, 0, 40) : -1;
        }
      g_array_append_val (w.sess, ses);
    }

  /* The edges of a CST day: 23:59:59 and 00:00:00 local. */
  add_inc (cst (2021, 3, 2) - 1, g_ptr_array_index (w.pilot_communities, 0), 0, D_ON_SCENE,
           FALSE, NULL);
  add_inc (cst (2021, 3, 2), g_ptr_array_index (w.pilot_communities, 0), 0, D_ON_SCENE,
           FALSE, NULL);
}

static void
bind_opt_text (sqlite3_stmt *stmt,
               int           index,
               const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

static void
bind_opt_time (sqlite3_stmt *stmt,
               int           index,
               gint64        t)
{
  if (t != 0)
    sqlite3_bind_int64 (stmt, index, t);
  else
    sqlite3_bind_null (stmt, index);
}

static void
exec_ok (sqlite3    *db,
         const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

static void
write_rows (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *inc_stmt = NULL, *tkt_stmt = NULL, *ev_stmt = NULL;
  sqlite3_stmt *ses_stmt = NULL, *inv_stmt = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  exec_ok (db, "BEGIN");
  g_assert_cmpint (sqlite3_prepare_v2 (db,
    "INSERT INTO incidents (id, source, received_at, grid, community, summary, category, status,"
    " decision, repeat_of, created_at, updated_at, rev) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,1)",
    -1, &inc_stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
    "INSERT INTO tickets (id, title, category, grid, tier, lead_unit, state, created_at,"
    " dispatched_at, accepted_at, resolved_at, closed_at, deadline, satisfaction,"
    " returned_count, rejected_count, reopened_count, updated_at, rev)"
    " VALUES (?,?,?,?,'community',?,?,?,?,?,?,?,?,?,?,?,?,?,1)",
    -1, &tkt_stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
    "INSERT INTO events (ticket, at, kind, unit, note) VALUES (?,?,'returned',?,'test')",
    -1, &ev_stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
    "INSERT INTO sessions (id, ticket, grid, title, convener_unit, scheduled_at, state,"
    " created_at, updated_at, rev) VALUES (?,'TM0000000',?,'metrics test',?,?,?,?,?,1)",
    -1, &ses_stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
    "INSERT INTO session_invitees (session, position, unit, status, delay_minutes)"
    " VALUES (?,?,?,?,?)", -1, &inv_stmt, NULL), ==, SQLITE_OK);

  for (guint i = 0; i < w.sess->len; i++)
    {
      const Ses *ses = &g_array_index (w.sess, Ses, i);

      sqlite3_bind_text (ses_stmt, 1, ses->id, -1, SQLITE_STATIC);
      sqlite3_bind_text (ses_stmt, 2, ses->grid, -1, SQLITE_STATIC);
      sqlite3_bind_text (ses_stmt, 3, ses->units[0], -1, SQLITE_STATIC);
      sqlite3_bind_int64 (ses_stmt, 4, ses->scheduled_at);
      sqlite3_bind_text (ses_stmt, 5, session_states[ses->state], -1, SQLITE_STATIC);
      sqlite3_bind_int64 (ses_stmt, 6, ses->scheduled_at - DAY);
      sqlite3_bind_int64 (ses_stmt, 7, ses->scheduled_at);
      g_assert_cmpint (sqlite3_step (ses_stmt), ==, SQLITE_DONE);
      sqlite3_reset (ses_stmt);
      for (guint k = 0; k < ses->n; k++)
        {
          sqlite3_bind_text (inv_stmt, 1, ses->id, -1, SQLITE_STATIC);
          sqlite3_bind_int (inv_stmt, 2, k);
          sqlite3_bind_text (inv_stmt, 3, ses->units[k], -1, SQLITE_STATIC);
          sqlite3_bind_text (inv_stmt, 4, invitee_states[ses->status[k]], -1, SQLITE_STATIC);
          if (ses->delay[k] >= 0)
            sqlite3_bind_int (inv_stmt, 5, ses->delay[k]);
          else
            sqlite3_bind_null (inv_stmt, 5);
          g_assert_cmpint (sqlite3_step (inv_stmt), ==, SQLITE_DONE);
          sqlite3_reset (inv_stmt);
        }
    }

  for (guint i = 0; i < w.incs->len; i++)
    {
      const Inc *inc = &g_array_index (w.incs, Inc, i);

      sqlite3_bind_text (inc_stmt, 1, inc->id, -1, SQLITE_STATIC);
      sqlite3_bind_text (inc_stmt, 2, sources[inc->source], -1, SQLITE_STATIC);
      sqlite3_bind_int64 (inc_stmt, 3, inc->at);
      sqlite3_bind_text (inc_stmt, 4, inc->grid, -1, SQLITE_STATIC);
      sqlite3_bind_text (inc_stmt, 5, inc->grid, -1, SQLITE_STATIC);
      sqlite3_bind_text (inc_stmt, 6, "metrics test", -1, SQLITE_STATIC);
      bind_opt_text (inc_stmt, 7, inc->category);
      sqlite3_bind_text (inc_stmt, 8, inc->decision >= 0 ? "triaged" : "new", -1, SQLITE_STATIC);
      bind_opt_text (inc_stmt, 9, inc->decision >= 0 ? decisions[inc->decision] : NULL);
      /* Any earlier id will do: the metrics only ask whether it is set. */
      bind_opt_text (inc_stmt, 10, inc->repeat_of ? "IM0000000" : NULL);
      sqlite3_bind_int64 (inc_stmt, 11, inc->at);
      sqlite3_bind_int64 (inc_stmt, 12, inc->at);
      g_assert_cmpint (sqlite3_step (inc_stmt), ==, SQLITE_DONE);
      sqlite3_reset (inc_stmt);
    }

  for (guint i = 0; i < w.tkts->len; i++)
    {
      const Tkt *t = &g_array_index (w.tkts, Tkt, i);

      sqlite3_bind_text (tkt_stmt, 1, t->id, -1, SQLITE_STATIC);
      sqlite3_bind_text (tkt_stmt, 2, "metrics test", -1, SQLITE_STATIC);
      sqlite3_bind_text (tkt_stmt, 3, t->category, -1, SQLITE_STATIC);
      sqlite3_bind_text (tkt_stmt, 4, t->grid, -1, SQLITE_STATIC);
      sqlite3_bind_text (tkt_stmt, 5, t->lead, -1, SQLITE_STATIC);
      sqlite3_bind_text (tkt_stmt, 6, states[t->state], -1, SQLITE_STATIC);
      sqlite3_bind_int64 (tkt_stmt, 7, t->created_at);
      bind_opt_time (tkt_stmt, 8, t->dispatched_at);
      bind_opt_time (tkt_stmt, 9, t->accepted_at);
      bind_opt_time (tkt_stmt, 10, t->resolved_at);
      bind_opt_time (tkt_stmt, 11, t->closed_at);
      bind_opt_time (tkt_stmt, 12, t->deadline);
      if (t->satisfaction > 0)
        sqlite3_bind_int (tkt_stmt, 13, t->satisfaction);
      else
        sqlite3_bind_null (tkt_stmt, 13);
      sqlite3_bind_int (tkt_stmt, 14, t->returned);
      sqlite3_bind_int (tkt_stmt, 15, t->rejected);
      sqlite3_bind_int (tkt_stmt, 16, t->reopened);
      sqlite3_bind_int64 (tkt_stmt, 17, t->created_at);
      g_assert_cmpint (sqlite3_step (tkt_stmt), ==, SQLITE_DONE);
      sqlite3_reset (tkt_stmt);

      for (int k = 0; k < t->returned; k++)
        {
          sqlite3_bind_text (ev_stmt, 1, t->id, -1, SQLITE_STATIC);
          sqlite3_bind_int64 (ev_stmt, 2, t->created_at + 60 + k);
          sqlite3_bind_text (ev_stmt, 3, t->returned_by, -1, SQLITE_STATIC);
          g_assert_cmpint (sqlite3_step (ev_stmt), ==, SQLITE_DONE);
          sqlite3_reset (ev_stmt);
        }
    }

  sqlite3_finalize (inc_stmt);
  sqlite3_finalize (tkt_stmt);
  sqlite3_finalize (ev_stmt);
  sqlite3_finalize (ses_stmt);
  sqlite3_finalize (inv_stmt);
  exec_ok (db, "COMMIT");
  sqlite3_close (db);
}

static char *
find_domain_database (void)
{
  g_auto(GStrv) dbs = fq_test_server_find_databases (w.server);

  for (guint i = 0; dbs[i] != NULL; i++)
    {
      sqlite3 *db = NULL;
      sqlite3_stmt *stmt = NULL;
      gboolean found = FALSE;

      if (sqlite3_open_v2 (dbs[i], &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
          sqlite3_prepare_v2 (db, "SELECT 1 FROM sqlite_master WHERE name = 'incidents'", -1,
                              &stmt, NULL) == SQLITE_OK)
        found = sqlite3_step (stmt) == SQLITE_ROW;
      sqlite3_finalize (stmt);
      sqlite3_close (db);
      if (found)
        return g_strdup (dbs[i]);
    }
  g_error ("no database with an incidents table in %s", fq_test_server_get_data_dir (w.server));
  return NULL;
}

static void
load_reference (FqTestClient *admin)
{
  g_autoptr(FqTestResponse) grid = fq_test_get (admin, "/grid");
  g_autoptr(FqTestResponse) cats = fq_test_get (admin, "/categories");
  g_autoptr(FqTestResponse) units = fq_test_get (admin, "/units");
  JsonArray *array;

  fq_test_assert_status (grid, 200);
  fq_test_assert_status (cats, 200);
  fq_test_assert_status (units, 200);

  array = fq_test_obj_array (fq_test_response_object (grid), "nodes");
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *node = json_array_get_object_element (array, i);
      const char *code = fq_test_obj_str (node, "code");

      if (g_strcmp0 (fq_test_obj_str (node, "level"), "community") != 0)
        continue;
      /* 广州路社区 first, then the other communities of 团城山 and 下陆区. */
      if (g_str_has_prefix (code, "420204"))
        {
          if (strcmp (code, FQ_TEST_GUANGZHOULU) == 0)
            g_ptr_array_insert (w.pilot_communities, 0, (char *)intern (code));
          else if (w.pilot_communities->len < 12)
            g_ptr_array_add (w.pilot_communities, (char *)intern (code));
        }
      else if (w.other_communities->len < 12 &&
               (g_str_has_prefix (code, "420202") || g_str_has_prefix (code, "420203")))
        g_ptr_array_add (w.other_communities, (char *)intern (code));
    }
  /* Make sure 团城山 has several. */
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *node = json_array_get_object_element (array, i);
      const char *code = fq_test_obj_str (node, "code");

      if (g_strcmp0 (fq_test_obj_str (node, "level"), "community") == 0 &&
          g_str_has_prefix (code, "420204004") && strcmp (code, FQ_TEST_GUANGZHOULU) != 0 &&
          w.pilot_communities->len < 16)
        g_ptr_array_add (w.pilot_communities, (char *)intern (code));
    }
  g_assert_cmpuint (w.pilot_communities->len, >=, 4);
  g_assert_cmpuint (w.other_communities->len, >=, 4);

  array = fq_test_obj_array (fq_test_response_object (cats), "categories");
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *cat = json_array_get_object_element (array, i);

      if (fq_test_obj_bool (cat, "police_only"))
        continue;
      g_ptr_array_add (w.categories, (char *)intern (fq_test_obj_str (cat, "code")));
      g_hash_table_insert (w.category_group, (char *)intern (fq_test_obj_str (cat, "code")),
                           (char *)intern (fq_test_obj_str (cat, "group")));
    }
  g_assert_cmpuint (w.categories->len, >=, 12);

  array = fq_test_obj_array (fq_test_response_object (units), "units");
  for (guint i = 0; i < json_array_get_length (array) && w.units->len < 9; i++)
    {
      JsonObject *unit = json_array_get_object_element (array, i);
      const char *g = fq_test_obj_str (unit, "grid");

      if (g != NULL && (g_str_has_prefix (g, "420204") || g_str_has_prefix (g, "420202")))
        g_ptr_array_add (w.units, (char *)intern (fq_test_obj_str (unit, "id")));
    }
  g_assert_cmpuint (w.units->len, >=, 5);
}

static void
world_setup (void)
{
  static const char * const args[] = {
    "--demo", "--demo-history-months", "0", "--demo-feed-rate", "0", NULL
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *db = NULL;
  const char *url;

  w.strings = g_string_chunk_new (4096);
  w.pilot_communities = g_ptr_array_new ();
  w.other_communities = g_ptr_array_new ();
  w.categories = g_ptr_array_new ();
  w.category_group = g_hash_table_new (g_str_hash, g_str_equal);
  w.units = g_ptr_array_new ();
  w.incs = g_array_new (FALSE, FALSE, sizeof (Inc));
  w.tkts = g_array_new (FALSE, FALSE, sizeof (Tkt));
  w.sess = g_array_new (FALSE, FALSE, sizeof (Ses));

  w.server = fq_test_server_new (args);
  g_assert_true (fq_test_server_start (w.server, 120, &error));
  g_assert_no_error (error);
  {
    g_autoptr(FqTestClient) admin = fq_test_client_new_login (fq_test_server_get_url (w.server),
                                                              "admin", FQ_TEST_DEMO_PASSWORD);
    load_reference (admin);
  }
  construct ();
  g_assert_true (fq_test_server_stop (w.server));
  db = find_domain_database ();
  write_rows (db);
  g_assert_true (fq_test_server_start (w.server, 120, &error));
  g_assert_no_error (error);

  url = fq_test_server_get_url (w.server);
  w.leader = fq_test_client_new_login (url, "leader", FQ_TEST_DEMO_PASSWORD);
  w.admin = fq_test_client_new_login (url, "admin", FQ_TEST_DEMO_PASSWORD);
  w.operator = fq_test_client_new_login (url, "operator", FQ_TEST_DEMO_PASSWORD);
  w.coordinator = fq_test_client_new_login (url, "coordinator", FQ_TEST_DEMO_PASSWORD);
  w.unit = fq_test_client_new_login (url, "unit", FQ_TEST_DEMO_PASSWORD);
  w.grid = fq_test_client_new_login (url, "grid", FQ_TEST_DEMO_PASSWORD);
}

static void
world_teardown (void)
{
  g_clear_pointer (&w.leader, fq_test_client_free);
  g_clear_pointer (&w.admin, fq_test_client_free);
  g_clear_pointer (&w.operator, fq_test_client_free);
  g_clear_pointer (&w.coordinator, fq_test_client_free);
  g_clear_pointer (&w.unit, fq_test_client_free);
  g_clear_pointer (&w.grid, fq_test_client_free);
  g_clear_pointer (&w.server, fq_test_server_free);
  for (guint i = 0; i < w.incs->len; i++)
    g_free (g_array_index (w.incs, Inc, i).id);
  for (guint i = 0; i < w.tkts->len; i++)
    g_free (g_array_index (w.tkts, Tkt, i).id);
  g_clear_pointer (&w.incs, g_array_unref);
  g_clear_pointer (&w.tkts, g_array_unref);
  for (guint i = 0; i < w.sess->len; i++)
    g_free (g_array_index (w.sess, Ses, i).id);
  g_clear_pointer (&w.sess, g_array_unref);
  g_clear_pointer (&w.pilot_communities, g_ptr_array_unref);
  g_clear_pointer (&w.other_communities, g_ptr_array_unref);
  g_clear_pointer (&w.categories, g_ptr_array_unref);
  g_clear_pointer (&w.category_group, g_hash_table_unref);
  g_clear_pointer (&w.units, g_ptr_array_unref);
  g_clear_pointer (&w.strings, g_string_chunk_free);
}

/* ---- the tests ---- */

static double
member_double (JsonObject *object,
               const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  g_assert_nonnull (node);
  g_assert_false (JSON_NODE_HOLDS_NULL (node));
  return json_node_get_double (node);
}

static double
round3 (double x)
{
  /* Rounded half away from zero, as a published figure is (no libm). */
  return (double)(gint64)(x * 1000 + (x < 0 ? -0.5 : 0.5)) / 1000;
}

static void
test_published_figures (void)
{
  g_autoptr(JsonObject) pilot = check_summary (pilot_from, pilot_to, FQ_TEST_XIALU);
  g_autoptr(JsonObject) city = check_summary (pilot_from, pilot_to, FQ_TEST_CITY);
  g_autoptr(JsonObject) year = check_summary (tickets_from, tickets_to, FQ_TEST_CITY);
  JsonObject *cur = fq_test_obj_obj (pilot, "current");
  JsonObject *yoy = fq_test_obj_obj (fq_test_obj_obj (pilot, "change"), "same_period_last_year");
  JsonObject *mom = fq_test_obj_obj (fq_test_obj_obj (city, "change"), "previous_period");
  JsonObject *tickets = fq_test_obj_obj (year, "current");

  /* Pilot district: all incidents / non-police disputes 7,421 / 2,989; 97
   * mediated and 389 diverted, together 16.3%. */
  g_assert_cmpint (fq_test_obj_int (cur, "incidents_total"), ==, 7421);
  g_assert_cmpint (fq_test_obj_int (cur, "non_police_disputes"), ==, 2989);
  g_assert_cmpint (fq_test_obj_int (cur, "mediated"), ==, 97);
  g_assert_cmpint (fq_test_obj_int (cur, "diverted"), ==, 389);
  g_assert_cmpfloat (round3 (member_double (cur, "diversion_share")), ==, 0.163);
  g_assert_cmpfloat (member_double (cur, "diversion_share"), ==, 486.0 / 2989.0);

  /* Year on year: dispute incidents −13.1%, repeat calls −12.5%, 110 calls
   * −12%. */
  g_assert_cmpfloat (round3 (member_double (yoy, "non_police_disputes")), ==, -0.131);
  g_assert_cmpfloat (round3 (member_double (yoy, "repeat_calls")), ==, -0.125);
  g_assert_cmpfloat (round3 (member_double (fq_test_obj_obj (yoy, "incidents_by_source"), "110")),
                     ==, -0.12);

  /* Repeat calls month on month, city-wide: −47.6%. */
  g_assert_cmpint (fq_test_obj_int (fq_test_obj_obj (city, "current"), "repeat_calls"), ==, 140);
  g_assert_cmpint (fq_test_obj_int (fq_test_obj_obj (city, "previous_period"), "repeat_calls"),
                   ==, 267);
  g_assert_cmpfloat (round3 (member_double (mom, "repeat_calls")), ==, -0.476);

  /* 3,675 tickets, completion rate 97.6%. */
  g_assert_cmpint (fq_test_obj_int (tickets, "tickets_created"), ==, 3675);
  g_assert_cmpint (fq_test_obj_int (tickets, "tickets_closed"), ==, 3587);
  g_assert_cmpfloat (round3 (member_double (tickets, "completion_rate")), ==, 0.976);
}

static void
test_random_city (void)
{
  /* Periods: a CST month, a quarter, a week, an arbitrary span, a year
   * with a year before it. */
  const gint64 periods[][2] = {
    { cst (2021, 5, 1), cst (2021, 6, 1) },
    { cst (2021, 7, 1), cst (2021, 10, 1) },
    { cst (2021, 10, 11), cst (2021, 10, 18) },
    { cst (2021, 6, 15) + 3 * 3600 + 17 * 60, cst (2021, 8, 2) + 11 * 3600 },
    { cst (2021, 1, 1), cst (2022, 1, 1) },
  };
  const char *scopes[] = {
    FQ_TEST_CITY, FQ_TEST_XIALU, FQ_TEST_HUANGSHIGANG, FQ_TEST_TUANCHENGSHAN,
    FQ_TEST_GUANGZHOULU,
  };

  for (guint p = 0; p < G_N_ELEMENTS (periods); p++)
    for (guint s = 0; s < G_N_ELEMENTS (scopes); s++)
      {
        g_autoptr(JsonObject) root = check_summary (periods[p][0], periods[p][1], scopes[s]);
        JsonObject *cur = fq_test_obj_obj (root, "current");

        /* The data must really exercise the scope. */
        if (s < 2)
          g_assert_cmpint (fq_test_obj_int (cur, "incidents_total"), >, 0);
      }
}

static void
test_previous_period (void)
{
  /* 环比 compares like with like (fq-metrics.c), in UTC here. */
  const struct
  {
    gint64      from, to;
    const char *previous_from, *previous_to;
  } cases[] = {
    /* This month so far, on the morning of the 1st: the same hours of the
     * 1st of last month (上月同期), not the evening before. */
    { cst (2026, 12, 1), cst (2026, 12, 1) + 10 * 3600 + 17 * 60,
      "2026-10-31T16:00:00Z", "2026-11-01T02:17:00Z" },
    /* A month: the month before, however long it is. */
    { cst (2024, 3, 1), cst (2024, 4, 1), "2024-01-31T16:00:00Z", "2024-02-29T16:00:00Z" },
    /* March until the 31st, 9:00: February until its last day, 9:00. */
    { cst (2024, 3, 1), cst (2024, 3, 31) + 9 * 3600,
      "2024-01-31T16:00:00Z", "2024-02-29T01:00:00Z" },
    /* This quarter so far: the quarter before, as far. */
    { cst (2026, 10, 1), cst (2026, 12, 1) + 10 * 3600,
      "2026-06-30T16:00:00Z", "2026-09-01T02:00:00Z" },
    /* A year: the year before. */
    { cst (2021, 1, 1), cst (2022, 1, 1), "2019-12-31T16:00:00Z", "2020-12-31T16:00:00Z" },
    /* Today so far: yesterday until this hour. */
    { cst (2026, 12, 2), cst (2026, 12, 2) + 8 * 3600 + 30 * 60,
      "2026-11-30T16:00:00Z", "2026-12-01T00:30:00Z" },
    /* A week: the week before. */
    { cst (2021, 10, 11), cst (2021, 10, 18), "2021-10-03T16:00:00Z", "2021-10-10T16:00:00Z" },
    /* 48 days and some hours: 49 days back, the same hours of the day. */
    { cst (2021, 6, 15) + 3 * 3600 + 17 * 60, cst (2021, 8, 2) + 11 * 3600, "2021-04-26T19:17:00Z",
      "2021-06-14T03:00:00Z" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(FqTestResponse) resp = get_metrics (w.leader, "summary", cases[i].from, cases[i].to,
                                                    FQ_TEST_CITY, NULL);
      JsonObject *periods, *previous;

      fq_test_assert_status (resp, 200);
      periods = fq_test_obj_obj (fq_test_response_object (resp), "periods");
      previous = fq_test_obj_obj (periods, "previous_period");
      g_assert_cmpstr (fq_test_obj_str (previous, "from"), ==, cases[i].previous_from);
      g_assert_cmpstr (fq_test_obj_str (previous, "to"), ==, cases[i].previous_to);
    }
}

static void
test_scope_default_and_roles (void)
{
  gint64 from = cst (2021, 5, 1), to = cst (2021, 6, 1);
  g_autofree char *username = NULL;
  g_autoptr(FqTestClient) district_leader = fq_test_create_user (w.admin, "leader", FQ_TEST_XIALU,
                                                                 NULL, &username);

  /* The caller's scope is the default grid. */
  {
    g_autoptr(FqTestResponse) resp = get_metrics (district_leader, "summary", from, to, NULL, NULL);
    g_autoptr(FqTestResponse) city = get_metrics (w.leader, "summary", from, to, NULL, NULL);
    g_autoptr(JsonObject) expected = check_summary (from, to, FQ_TEST_XIALU);

    fq_test_assert_status (resp, 200);
    g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (resp), "grid"), ==, FQ_TEST_XIALU);
    g_assert_cmpint (fq_test_obj_int (fq_test_obj_obj (fq_test_response_object (resp), "current"),
                                      "incidents_total"),
                     ==, fq_test_obj_int (fq_test_obj_obj (expected, "current"), "incidents_total"));
    fq_test_assert_status (city, 200);
    g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (city), "grid"), ==, FQ_TEST_CITY);
  }
  /* Outside the scope, or unknown: 404 alike. */
  {
    g_autoptr(FqTestResponse) outside = get_metrics (district_leader, "summary", from, to,
                                                     FQ_TEST_HUANGSHIGANG, NULL);
    g_autoptr(FqTestResponse) unknown = get_metrics (w.leader, "summary", from, to,
                                                     "429999999999", NULL);
    g_autoptr(FqTestResponse) trend = get_metrics (district_leader, "trend", from, to,
                                                   FQ_TEST_CITY, NULL);

    fq_test_assert_error (outside, 404, "not_found");
    fq_test_assert_error (unknown, 404, "not_found");
    fq_test_assert_error (trend, 404, "not_found");
  }
  /* Roles: leader, coordinator, operator, admin read; unit staff and grid
   * workers do not. */
  {
    const char *what[] = { "summary", "trend", "units", "categories" };

    for (guint i = 0; i < G_N_ELEMENTS (what); i++)
      {
        g_autoptr(FqTestResponse) coordinator = get_metrics (w.coordinator, what[i], from, to, NULL, NULL);
        g_autoptr(FqTestResponse) operator = get_metrics (w.operator, what[i], from, to, NULL, NULL);
        g_autoptr(FqTestResponse) admin = get_metrics (w.admin, what[i], from, to, NULL, NULL);
        g_autoptr(FqTestResponse) unit = get_metrics (w.unit, what[i], from, to, NULL, NULL);
        g_autoptr(FqTestResponse) grid = get_metrics (w.grid, what[i], from, to, NULL, NULL);
        g_autoptr(FqTestClient) anonymous = fq_test_client_new (fq_test_server_get_url (w.server));
        g_autoptr(FqTestResponse) none = get_metrics (anonymous, what[i], from, to, NULL, NULL);

        fq_test_assert_status (coordinator, 200);
        fq_test_assert_status (operator, 200);
        fq_test_assert_status (admin, 200);
        fq_test_assert_error (unit, 403, "forbidden");
        fq_test_assert_error (grid, 403, "forbidden");
        fq_test_assert_error (none, 401, "unauthenticated");
      }
  }
}

static void
test_bad_periods (void)
{
  const char *what[] = { "summary", "trend", "units", "categories" };

  for (guint i = 0; i < G_N_ELEMENTS (what); i++)
    {
#define T1 "2021-01-01T00:00:00Z"
#define T2 "2021-02-01T00:00:00Z"
      g_autoptr(FqTestResponse) no_from = fq_test_get (w.leader, "/metrics/%s?to=" T1, what[i]);
      g_autoptr(FqTestResponse) no_to = fq_test_get (w.leader, "/metrics/%s?from=" T1, what[i]);
      g_autoptr(FqTestResponse) bad = fq_test_get (w.leader, "/metrics/%s?from=yesterday&to=" T1,
                                                   what[i]);
      g_autoptr(FqTestResponse) empty = fq_test_get (w.leader, "/metrics/%s?from=" T1 "&to=" T1,
                                                     what[i]);
      /* 1 January 00:00 in UTC+8 is before 1 February UTC. */
      g_autoptr(FqTestResponse) reversed = fq_test_get (w.leader, "/metrics/%s?from=" T2
                                                        "&to=2021-01-01T00:00:00%%2B08:00",
                                                        what[i]);
#undef T1
#undef T2

      fq_test_assert_error (no_from, 400, "bad_request");
      g_assert_cmpstr (fq_test_response_error_field (no_from), ==, "from");
      fq_test_assert_error (no_to, 400, "bad_request");
      g_assert_cmpstr (fq_test_response_error_field (no_to), ==, "to");
      fq_test_assert_error (bad, 400, "bad_request");
      g_assert_cmpstr (fq_test_response_error_field (bad), ==, "from");
      fq_test_assert_error (empty, 400, "bad_request");
      g_assert_cmpstr (fq_test_response_error_field (empty), ==, "to");
      fq_test_assert_error (reversed, 400, "bad_request");
    }
  {
    g_autoptr(FqTestResponse) bucket = get_metrics (w.leader, "trend", cst (2021, 1, 1),
                                                    cst (2021, 2, 1), NULL, "&bucket=hour");
    g_autoptr(FqTestResponse) many = get_metrics (w.leader, "trend", cst (2000, 1, 1),
                                                  cst (2021, 1, 1), NULL, "&bucket=day");

    fq_test_assert_error (bucket, 400, "bad_request");
    g_assert_cmpstr (fq_test_response_error_field (bucket), ==, "bucket");
    fq_test_assert_error (many, 400, "bad_request");
  }
}

static void
check_trend (const char *bucket,
             gint64      from,
             gint64      to,
             const char *grid,
             const char * const *expected_starts)
{
  g_autofree char *extra = g_strdup_printf ("&bucket=%s", bucket);
  g_autoptr(FqTestResponse) resp = get_metrics (w.leader, "trend", from, to, grid, extra);
  g_autofree char *prefix = prefix_of (grid);
  JsonArray *buckets;
  Expect total;
  gint64 sum_incidents = 0, sum_closed = 0;

  fq_test_assert_status (resp, 200);
  buckets = fq_test_obj_array (fq_test_response_object (resp), "buckets");
  g_assert_nonnull (buckets);

  for (guint i = 0; i < json_array_get_length (buckets); i++)
    {
      JsonObject *b = json_array_get_object_element (buckets, i);
      const char *start_text = fq_test_obj_str (b, "start");
      gint64 start = 0, end;
      g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (start_text, NULL);
      Expect e;

      g_assert_nonnull (dt);
      start = g_date_time_to_unix (dt);
      /* Local midnight. */
      g_assert_true (g_str_has_suffix (start_text, "T16:00:00Z"));
      if (expected_starts != NULL)
        g_assert_cmpstr (start_text, ==, expected_starts[i]);
      if (i + 1 < json_array_get_length (buckets))
        {
          g_autoptr(GDateTime) next = g_date_time_new_from_iso8601 (
            fq_test_obj_str (json_array_get_object_element (buckets, i + 1), "start"), NULL);

          end = g_date_time_to_unix (next);
        }
      else
        end = to;
      g_assert_cmpint (end, >, start);

      expect_count (&e, MAX (start, from), MIN (end, to), prefix);
      g_assert_cmpint (fq_test_obj_int (b, "incidents"), ==, e.total);
      g_assert_cmpint (fq_test_obj_int (b, "non_police_disputes"), ==, e.disputes);
      g_assert_cmpint (fq_test_obj_int (b, "diverted"), ==, e.diverted);
      g_assert_cmpint (fq_test_obj_int (b, "closed"), ==, e.closed);
      g_assert_cmpint (fq_test_obj_int (b, "repeat_calls"), ==, e.repeats);
      sum_incidents += e.total;
      sum_closed += e.closed;
      expect_clear (&e);
    }
  if (expected_starts != NULL)
    g_assert_null (expected_starts[json_array_get_length (buckets)]);

  expect_count (&total, from, to, prefix);
  g_assert_cmpint (sum_incidents, ==, total.total);
  g_assert_cmpint (sum_closed, ==, total.closed);
  expect_clear (&total);
}

static void
test_trend (void)
{
  static const char * const months[] = {
    "2020-12-31T16:00:00Z", "2021-01-31T16:00:00Z", "2021-02-28T16:00:00Z",
    "2021-03-31T16:00:00Z", "2021-04-30T16:00:00Z", "2021-05-31T16:00:00Z", NULL
  };
  /* 2021-03-01 was a Monday. */
  static const char * const weeks[] = {
    "2021-02-28T16:00:00Z", "2021-03-07T16:00:00Z", "2021-03-14T16:00:00Z", NULL
  };
  static const char * const days[] = {
    "2021-02-28T16:00:00Z", "2021-03-01T16:00:00Z", "2021-03-02T16:00:00Z", NULL
  };

  check_trend ("month", cst (2021, 1, 1), cst (2021, 7, 1), FQ_TEST_CITY, months);
  check_trend ("month", cst (2021, 1, 1), cst (2021, 7, 1), FQ_TEST_XIALU, months);
  check_trend ("week", cst (2021, 3, 1), cst (2021, 3, 22), FQ_TEST_TUANCHENGSHAN, weeks);
  /* The two incidents either side of local midnight fall in different
   * days. */
  check_trend ("day", cst (2021, 3, 1), cst (2021, 3, 4), FQ_TEST_XIALU, days);
  /* Cut by the period at both ends. */
  check_trend ("week", cst (2021, 3, 3) + 5 * 3600, cst (2021, 4, 28) + 3600, FQ_TEST_CITY, NULL);
  check_trend ("day", cst (2021, 8, 1), cst (2021, 9, 1), FQ_TEST_GUANGZHOULU, NULL);
}

typedef struct
{
  gint64 led, away, within, closed, resolved, on_time, returns, backflow, sat_sum, sat_n;
  gint64 invited, checked_in, excused, delay_sum, delay_n;
} UnitExpect;

static void
test_units (void)
{
  const gint64 periods[][2] = {
    { cst (2021, 7, 1), cst (2021, 10, 1) },
    { cst (2021, 1, 1), cst (2022, 1, 1) },
  };
  const char *scopes[] = { FQ_TEST_CITY, FQ_TEST_XIALU, FQ_TEST_TUANCHENGSHAN };

  for (guint p = 0; p < G_N_ELEMENTS (periods); p++)
    for (guint s = 0; s < G_N_ELEMENTS (scopes); s++)
      {
        g_autoptr(FqTestResponse) resp = get_metrics (w.leader, "units", periods[p][0],
                                                      periods[p][1], scopes[s], NULL);
        g_autoptr(GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
        g_autofree char *prefix = prefix_of (scopes[s]);
        JsonArray *rows;
        double last_score = G_MAXDOUBLE;
        gboolean seen_null = FALSE;
        gint64 attended = 0;

        for (guint i = 0; i < w.tkts->len; i++)
          {
            const Tkt *t = &g_array_index (w.tkts, Tkt, i);
            UnitExpect *u;

            if (t->created_at < periods[p][0] || t->created_at >= periods[p][1] ||
                !in_scope (t->grid, prefix))
              continue;
            u = g_hash_table_lookup (expected, t->lead);
            if (u == NULL)
              g_hash_table_insert (expected, (char *)t->lead, u = g_new0 (UnitExpect, 1));
            u->led++;
            u->within += t->accepted_at != 0 && t->accepted_at - t->dispatched_at <= ACCEPT_LIMIT;
            u->closed += t->state == S_CLOSED;
            if (t->resolved_at != 0)
              {
                u->resolved++;
                u->on_time += t->resolved_at <= t->deadline;
              }
            u->backflow += t->rejected > 0 || t->reopened > 0;
            if (t->state == S_CLOSED && t->satisfaction > 0)
              {
                u->sat_sum += t->satisfaction;
                u->sat_n++;
              }
            if (t->returned > 0)
              {
                UnitExpect *r = g_hash_table_lookup (expected, t->returned_by);

                if (r == NULL)
                  g_hash_table_insert (expected, (char *)t->returned_by, r = g_new0 (UnitExpect, 1));
                r->returns += t->returned;
                if (strcmp (t->returned_by, t->lead) != 0)
                  r->away++;
              }
          }

        /* Invitations to the sessions held (in progress or concluded) in
         * the period at a place of the scope. */
        for (guint i = 0; i < w.sess->len; i++)
          {
            const Ses *ses = &g_array_index (w.sess, Ses, i);

            if (ses->scheduled_at < periods[p][0] || ses->scheduled_at >= periods[p][1] ||
                !in_scope (ses->grid, prefix) ||
                (ses->state != SS_IN_PROGRESS && ses->state != SS_CONCLUDED))
              continue;
            for (guint k = 0; k < ses->n; k++)
              {
                UnitExpect *u = g_hash_table_lookup (expected, ses->units[k]);

                if (u == NULL)
                  g_hash_table_insert (expected, (char *)ses->units[k], u = g_new0 (UnitExpect, 1));
                u->invited++;
                u->checked_in += ses->status[k] == IS_CHECKED_IN;
                u->excused += ses->status[k] == IS_EXCUSED;
                if (ses->status[k] == IS_CHECKED_IN && ses->delay[k] >= 0)
                  {
                    u->delay_sum += ses->delay[k];
                    u->delay_n++;
                  }
              }
          }

        fq_test_assert_status (resp, 200);
        rows = fq_test_obj_array (fq_test_response_object (resp), "units");
        g_assert_nonnull (rows);
        g_assert_cmpuint (json_array_get_length (rows), ==, g_hash_table_size (expected));
        g_assert_cmpuint (json_array_get_length (rows), >, 0);
        for (guint i = 0; i < json_array_get_length (rows); i++)
          {
            JsonObject *row = json_array_get_object_element (rows, i);
            const char *unit = fq_test_obj_str (row, "unit");
            UnitExpect *u = g_hash_table_lookup (expected, unit);
            double parts = 0, weights = 0, score;

            g_assert_nonnull (u);
            g_assert_nonnull (fq_test_obj_str (row, "name"));
            g_assert_cmpint (fq_test_obj_int (row, "tickets_received"), ==, u->led + u->away);
            g_assert_cmpint (fq_test_obj_int (row, "accepted_within_limit"), ==, u->within);
            g_assert_cmpint (fq_test_obj_int (row, "returns"), ==, u->returns);
            g_assert_cmpint (fq_test_obj_int (row, "backflow"), ==, u->backflow);
            g_assert_cmpint (fq_test_obj_int (row, "sessions_invited"), ==, u->invited);
            attended += u->checked_in;
            g_assert_cmpint (fq_test_obj_int (row, "sessions_checked_in"), ==, u->checked_in);
            g_assert_cmpint (fq_test_obj_int (row, "sessions_excused"), ==, u->excused);
            if (u->invited - u->excused > 0)
              {
                double rate = (double)u->checked_in / (u->invited - u->excused);

                check_close ("attendance_rate", member_double (row, "attendance_rate"), rate);
                parts += 0.10 * rate;
                weights += 0.10;
              }
            else
              g_assert_true (fq_test_obj_is_null (row, "attendance_rate"));
            if (u->delay_n > 0)
              check_close ("mean_checkin_delay_minutes",
                           member_double (row, "mean_checkin_delay_minutes"),
                           (double)u->delay_sum / u->delay_n);
            else
              g_assert_true (fq_test_obj_is_null (row, "mean_checkin_delay_minutes"));
            if (u->led > 0)
              {
                check_close ("acceptance_rate", member_double (row, "acceptance_rate"), (double)u->within / u->led);
                check_close ("completion_rate", member_double (row, "completion_rate"), (double)u->closed / u->led);
                parts += 0.30 * u->closed / u->led + 0.20 * u->within / u->led;
                weights += 0.50;
              }
            else
              {
                g_assert_true (fq_test_obj_is_null (row, "acceptance_rate"));
                g_assert_true (fq_test_obj_is_null (row, "completion_rate"));
              }
            if (u->resolved > 0)
              {
                check_close ("on_time_rate", member_double (row, "on_time_rate"), (double)u->on_time / u->resolved);
                parts += 0.25 * u->on_time / u->resolved;
                weights += 0.25;
              }
            else
              g_assert_true (fq_test_obj_is_null (row, "on_time_rate"));
            if (u->sat_n > 0)
              {
                double mean = (double)u->sat_sum / u->sat_n;

                check_close ("mean_satisfaction", member_double (row, "mean_satisfaction"), mean);
                parts += 0.15 * (mean - 1) / 4;
                weights += 0.15;
              }
            else
              g_assert_true (fq_test_obj_is_null (row, "mean_satisfaction"));

            if (weights > 0)
              {
                score = 100 * parts / weights;
                check_close ("score", member_double (row, "score"), score);
                g_assert_false (seen_null);
                g_assert_cmpfloat (score, <=, last_score + 1e-9);
                last_score = score;
              }
            else
              {
                g_assert_true (fq_test_obj_is_null (row, "score"));
                seen_null = TRUE;
              }
          }
        /* The sessions really take part in the assessment. */
        g_assert_cmpint (attended, >, 0);
      }
}

typedef struct
{
  gint64 incidents, disputes, diverted, tickets, closed;
} CatExpect;

static void
test_categories (void)
{
  const gint64 periods[][2] = {
    { cst (2021, 4, 1), cst (2021, 7, 1) },
    { cst (2022, 1, 1), cst (2023, 1, 1) },
    { cst (2024, 3, 1), cst (2024, 4, 1) },
  };
  const char *scopes[] = { FQ_TEST_CITY, FQ_TEST_XIALU, FQ_TEST_GUANGZHOULU };

  for (guint p = 0; p < G_N_ELEMENTS (periods); p++)
    for (guint s = 0; s < G_N_ELEMENTS (scopes); s++)
      {
        g_autoptr(FqTestResponse) resp = get_metrics (w.leader, "categories", periods[p][0],
                                                      periods[p][1], scopes[s], NULL);
        g_autoptr(GHashTable) cats = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
        g_autoptr(GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
        g_autofree char *prefix = prefix_of (scopes[s]);
        JsonArray *rows;
        gint64 total = 0, listed = 0;

        for (guint i = 0; i < w.incs->len; i++)
          {
            const Inc *inc = &g_array_index (w.incs, Inc, i);
            const char *key = inc->category != NULL ? inc->category : "";
            const char *group = inc->category != NULL ? g_hash_table_lookup (w.category_group, inc->category) : "";
            CatExpect *c, *g;

            if (inc->at < periods[p][0] || inc->at >= periods[p][1] || !in_scope (inc->grid, prefix))
              continue;
            if ((c = g_hash_table_lookup (cats, key)) == NULL)
              g_hash_table_insert (cats, (char *)key, c = g_new0 (CatExpect, 1));
            if ((g = g_hash_table_lookup (groups, group)) == NULL)
              g_hash_table_insert (groups, (char *)group, g = g_new0 (CatExpect, 1));
            c->incidents++, g->incidents++;
            c->disputes += inc->decision >= D_ON_SCENE, g->disputes += inc->decision >= D_ON_SCENE;
            c->diverted += inc->decision == D_DIVERT, g->diverted += inc->decision == D_DIVERT;
            total++;
          }
        for (guint i = 0; i < w.tkts->len; i++)
          {
            const Tkt *t = &g_array_index (w.tkts, Tkt, i);
            const char *group = g_hash_table_lookup (w.category_group, t->category);
            CatExpect *c, *g;

            if (t->created_at < periods[p][0] || t->created_at >= periods[p][1] || !in_scope (t->grid, prefix))
              continue;
            if ((c = g_hash_table_lookup (cats, t->category)) == NULL)
              g_hash_table_insert (cats, (char *)t->category, c = g_new0 (CatExpect, 1));
            if ((g = g_hash_table_lookup (groups, group)) == NULL)
              g_hash_table_insert (groups, (char *)group, g = g_new0 (CatExpect, 1));
            c->tickets++, g->tickets++;
            c->closed += t->state == S_CLOSED, g->closed += t->state == S_CLOSED;
          }

        fq_test_assert_status (resp, 200);
        rows = fq_test_obj_array (fq_test_response_object (resp), "categories");
        g_assert_cmpuint (json_array_get_length (rows), ==, g_hash_table_size (cats));
        for (guint i = 0; i < json_array_get_length (rows); i++)
          {
            JsonObject *row = json_array_get_object_element (rows, i);
            const char *code = fq_test_obj_str (row, "code");
            CatExpect *c = g_hash_table_lookup (cats, code != NULL ? code : "");

            g_assert_nonnull (c);
            g_assert_cmpint (fq_test_obj_int (row, "incidents"), ==, c->incidents);
            g_assert_cmpint (fq_test_obj_int (row, "non_police_disputes"), ==, c->disputes);
            g_assert_cmpint (fq_test_obj_int (row, "diverted"), ==, c->diverted);
            g_assert_cmpint (fq_test_obj_int (row, "tickets"), ==, c->tickets);
            g_assert_cmpint (fq_test_obj_int (row, "tickets_closed"), ==, c->closed);
            if (code != NULL)
              g_assert_cmpstr (fq_test_obj_str (row, "group"), ==, g_hash_table_lookup (w.category_group, code));
            listed += c->incidents;
          }
        g_assert_cmpint (listed, ==, total);

        rows = fq_test_obj_array (fq_test_response_object (resp), "groups");
        g_assert_cmpuint (json_array_get_length (rows), ==, g_hash_table_size (groups));
        for (guint i = 0; i < json_array_get_length (rows); i++)
          {
            JsonObject *row = json_array_get_object_element (rows, i);
            const char *code = fq_test_obj_str (row, "code");
            CatExpect *g = g_hash_table_lookup (groups, code != NULL ? code : "");

            g_assert_nonnull (g);
            g_assert_cmpint (fq_test_obj_int (row, "incidents"), ==, g->incidents);
            g_assert_cmpint (fq_test_obj_int (row, "non_police_disputes"), ==, g->disputes);
            g_assert_cmpint (fq_test_obj_int (row, "tickets"), ==, g->tickets);
            g_assert_cmpint (fq_test_obj_int (row, "tickets_closed"), ==, g->closed);
          }
      }
}

/* Records made through the API in the last days: intake with a past
 * received_at, repeat detection, triage, ticket actions. Counted from the
 * answers, compared with the summary of a period around now. */
static void
test_through_api (void)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 from = now - 10 * DAY, to = now + 3600;
  const char *category = g_ptr_array_index (w.categories, 3);
  g_autofree char *phone = g_strdup_printf ("139%08u", g_random_int_range (0, 99999999));
  const char *plan[] = { "police", "police", "on_scene", "on_scene", "mediate", "divert",
                         "divert", "divert", NULL /* left new */ };
  gint64 n = 0, police = 0, disputes = 0, mediated = 0, diverted = 0, repeats = 0, grid_src = 0;
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func ((GDestroyNotify)json_object_unref);
  g_autoptr(FqTestResponse) before = get_metrics (w.leader, "summary", from, to, FQ_TEST_CITY, NULL);
  JsonObject *base;

  fq_test_assert_status (before, 200);
  base = fq_test_obj_obj (fq_test_response_object (before), "current");
  g_assert_cmpint (fq_test_obj_int (base, "incidents_total"), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (plan); i++)
    {
      g_autofree char *received = iso (now - (gint64)(G_N_ELEMENTS (plan) - i) * DAY / 2);
      g_autofree char *body = g_strdup_printf ("{\"source\":\"%s\",\"grid\":\"%s\","
                                               "\"summary\":\"指标 %u %08x\",\"received_at\":\"%s\","
                                               "\"category\":\"%s\"%s%s%s}",
                                               i == 3 ? "grid" : "110",
                                               i < 2 || i % 2 ? FQ_TEST_GUANGZHOULU
                                                              : (const char *)g_ptr_array_index (w.pilot_communities, 1),
                                               i, g_random_int (), received, category,
                                               i < 2 ? ",\"caller_phone\":\"" : "",
                                               i < 2 ? phone : "", i < 2 ? "\"" : "");
      g_autoptr(FqTestResponse) created = fq_test_post (w.operator, "/incidents", body);
      JsonObject *incident = fq_test_response_object (created);

      /* The first two: the same phone in the same community, so that
       * repeat detection links them. */
      fq_test_assert_status (created, 201);
      n++;
      if (g_strcmp0 (fq_test_obj_str (incident, "source"), "grid") == 0)
        grid_src++;
      if (!fq_test_obj_is_null (incident, "repeat_of"))
        repeats++;
      if (plan[i] == NULL)
        continue;
      {
        g_autofree char *path = g_strdup_printf ("/incidents/%s/triage", fq_test_obj_str (incident, "id"));
        g_autofree char *triage = g_strdup_printf ("{\"decision\":\"%s\",\"rev\":%" G_GINT64_FORMAT
                                                   ",\"category\":\"%s\"}",
                                                   plan[i], fq_test_obj_int (incident, "rev"), category);
        g_autoptr(FqTestResponse) resp = fq_test_post (w.operator, path, triage);
        JsonObject *root = fq_test_response_object (resp);

        fq_test_assert_status (resp, 200);
        police += strcmp (plan[i], "police") == 0;
        disputes += strcmp (plan[i], "police") != 0;
        mediated += strcmp (plan[i], "mediate") == 0;
        diverted += strcmp (plan[i], "divert") == 0;
        if (strcmp (plan[i], "divert") == 0)
          g_ptr_array_add (tickets, json_object_ref (fq_test_obj_obj (root, "ticket")));
      }
    }
  g_assert_cmpint (repeats, >=, 1);

  /* A merge into the first ticket: a repeat call too. */
  {
    g_autofree char *received = iso (now - 3600);
    g_autofree char *extra = g_strdup_printf ("\"received_at\":\"%s\"", received);
    g_autoptr(JsonObject) incident = fq_test_create_incident (w.operator, FQ_TEST_GUANGZHOULU, extra);
    g_autofree char *path = g_strdup_printf ("/incidents/%s/triage", fq_test_obj_str (incident, "id"));
    g_autofree char *body = g_strdup_printf ("{\"decision\":\"merge\",\"rev\":%" G_GINT64_FORMAT
                                             ",\"category\":\"%s\",\"ticket\":\"%s\"}",
                                             fq_test_obj_int (incident, "rev"), category,
                                             fq_test_obj_str (g_ptr_array_index (tickets, 0), "id"));
    g_autoptr(FqTestResponse) resp = fq_test_post (w.operator, path, body);

    fq_test_assert_status (resp, 200);
    n++;
    disputes++;
    /* A merge is a repeat call, with repeat_of set or not: counted once. */
    repeats++;
  }

  /* Ticket 0: accepted, resolved, closed; ticket 1: returned. */
  {
    JsonObject *t = g_ptr_array_index (tickets, 0);
    g_autofree char *path = g_strdup_printf ("/tickets/%s/actions", fq_test_obj_str (t, "id"));
    const char *lead = fq_test_obj_str (t, "lead_unit");
    g_autoptr(FqTestClient) staff = NULL;
    g_autofree char *username = NULL;
    gint64 rev;

    staff = fq_test_create_user (w.admin, "unit", FQ_TEST_CITY, lead, &username);
    {
      g_autoptr(FqTestResponse) detail = fq_test_get (w.coordinator, "/tickets/%s", fq_test_obj_str (t, "id"));

      fq_test_assert_status (detail, 200);
      rev = fq_test_obj_int (fq_test_response_object (detail), "rev");
    }
    {
      g_autofree char *b1 = g_strdup_printf ("{\"action\":\"accept\",\"rev\":%" G_GINT64_FORMAT "}", rev);
      g_autoptr(FqTestResponse) r1 = fq_test_post (staff, path, b1);
      g_autofree char *b2 = NULL, *b3 = NULL;
      g_autoptr(FqTestResponse) r2 = NULL;
      g_autoptr(FqTestResponse) r3 = NULL;

      fq_test_assert_status (r1, 200);
      b2 = g_strdup_printf ("{\"action\":\"resolve\",\"note\":\"done\",\"rev\":%" G_GINT64_FORMAT "}",
                            fq_test_obj_int (fq_test_response_object (r1), "rev"));
      r2 = fq_test_post (staff, path, b2);
      fq_test_assert_status (r2, 200);
      b3 = g_strdup_printf ("{\"action\":\"close\",\"satisfaction\":5,\"rev\":%" G_GINT64_FORMAT "}",
                            fq_test_obj_int (fq_test_response_object (r2), "rev"));
      r3 = fq_test_post (w.coordinator, path, b3);
      fq_test_assert_status (r3, 200);
    }
  }
  {
    JsonObject *t = g_ptr_array_index (tickets, 1);
    g_autofree char *path = g_strdup_printf ("/tickets/%s/actions", fq_test_obj_str (t, "id"));
    g_autoptr(FqTestClient) staff = NULL;
    g_autofree char *username = NULL;
    g_autofree char *body = g_strdup_printf ("{\"action\":\"return\",\"reason\":\"not_responsible\","
                                             "\"note\":\"not ours\",\"rev\":%" G_GINT64_FORMAT "}",
                                             fq_test_obj_int (t, "rev"));
    g_autoptr(FqTestResponse) resp = NULL;

    staff = fq_test_create_user (w.admin, "unit", FQ_TEST_CITY, fq_test_obj_str (t, "lead_unit"),
                                 &username);
    resp = fq_test_post (staff, path, body);
    fq_test_assert_status (resp, 200);
  }

  {
    g_autoptr(FqTestResponse) resp = get_metrics (w.leader, "summary", from, to, FQ_TEST_CITY, NULL);
    JsonObject *cur;

    fq_test_assert_status (resp, 200);
    cur = fq_test_obj_obj (fq_test_response_object (resp), "current");
    g_assert_cmpint (fq_test_obj_int (cur, "incidents_total"), ==, n);
    g_assert_cmpint (fq_test_obj_int (cur, "police_incidents"), ==, police);
    g_assert_cmpint (fq_test_obj_int (cur, "non_police_disputes"), ==, disputes);
    g_assert_cmpint (fq_test_obj_int (cur, "mediated"), ==, mediated);
    g_assert_cmpint (fq_test_obj_int (cur, "diverted"), ==, diverted);
    g_assert_cmpint (fq_test_obj_int (cur, "repeat_calls"), ==, repeats);
    g_assert_cmpint (fq_test_obj_int (cur, "proactive_reports"), ==, grid_src);
    g_assert_cmpint (fq_test_obj_int (cur, "tickets_created"), ==, tickets->len);
    g_assert_cmpint (fq_test_obj_int (cur, "tickets_closed"), ==, 1);
    check_close ("completion_rate", member_double (cur, "completion_rate"), 1.0 / tickets->len);
    check_close ("on_time_rate", member_double (cur, "on_time_rate"), 1.0);
    /* The returned one. */
    g_assert_cmpint (fq_test_obj_int (cur, "backflow_tickets"), ==, 1);
    g_assert_cmpfloat (member_double (cur, "median_hours_to_accept"), >=, 0);
    g_assert_cmpfloat (member_double (cur, "median_hours_to_accept"), <, 1);
  }
}

/* ---- explain this number: GET /metrics/records ---- */

/* Whether the test's own record counts in figure @metric (DOMAIN.md's
 * definitions, written here again rather than taken from the server). */
static gboolean
inc_counts_in (const Inc  *inc,
               const char *metric)
{
  if (strcmp (metric, "incidents_total") == 0 || strcmp (metric, "incidents") == 0)
    return TRUE;
  if (strcmp (metric, "police_incidents") == 0)
    return inc->decision == D_POLICE;
  if (strcmp (metric, "non_police_disputes") == 0)
    return inc->decision == D_ON_SCENE || inc->decision == D_MEDIATE ||
           inc->decision == D_DIVERT || inc->decision == D_MERGE;
  if (strcmp (metric, "mediated") == 0)
    return inc->decision == D_MEDIATE;
  if (strcmp (metric, "diverted") == 0)
    return inc->decision == D_DIVERT;
  if (strcmp (metric, "diversion_share") == 0)
    return inc->decision == D_MEDIATE || inc->decision == D_DIVERT;
  if (strcmp (metric, "repeat_calls") == 0)
    return inc->repeat_of || inc->decision == D_MERGE;
  if (strcmp (metric, "proactive_reports") == 0)
    return strcmp (sources[inc->source], "grid") == 0;
  if (g_str_has_prefix (metric, "incidents_by_source."))
    return strcmp (sources[inc->source], metric + strlen ("incidents_by_source.")) == 0;
  g_assert_not_reached ();
  return FALSE;
}

static gboolean
tkt_counts_in (const Tkt  *t,
               const char *metric)
{
  if (strcmp (metric, "tickets_created") == 0 || strcmp (metric, "tickets") == 0)
    return TRUE;
  if (strcmp (metric, "tickets_closed") == 0 || strcmp (metric, "closed") == 0 ||
      strcmp (metric, "completion_rate") == 0)
    return t->state == S_CLOSED;
  if (strcmp (metric, "on_time_rate") == 0)
    return t->resolved_at != 0 && (t->deadline == 0 || t->resolved_at <= t->deadline);
  if (strcmp (metric, "median_hours_to_resolve") == 0 || strcmp (metric, "tickets_resolved") == 0)
    return t->resolved_at != 0;
  if (strcmp (metric, "median_hours_to_accept") == 0)
    return t->accepted_at != 0;
  if (strcmp (metric, "backflow_tickets") == 0)
    return t->returned > 0 || t->rejected > 0 || t->reopened > 0;
  g_assert_not_reached ();
  return FALSE;
}

static gboolean
is_ticket_metric (const char *metric)
{
  static const char * const names[] = {
    "tickets_created", "tickets", "tickets_closed", "closed", "completion_rate", "on_time_rate",
    "median_hours_to_resolve", "tickets_resolved", "median_hours_to_accept", "backflow_tickets",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (metric, names[i]) == 0)
      return TRUE;
  return FALSE;
}

/* GET /metrics/records, checked against the test's own list of the
 * records: the same ids, each once, and count == the number of ids.
 * @category, @group, @unit (nullable) limit it as the endpoint does.
 * Returns the count. */
static gint64
check_records (const char *metric,
               gint64      from,
               gint64      to,
               const char *grid,
               const char *category,
               const char *group,
               const char *unit)
{
  g_autofree char *extra = g_strdup_printf ("&metric=%s%s%s%s%s%s%s", metric,
                                            category != NULL ? "&category=" : "",
                                            category != NULL ? category : "",
                                            group != NULL ? "&group=" : "",
                                            group != NULL ? group : "",
                                            unit != NULL ? "&unit=" : "",
                                            unit != NULL ? unit : "");
  g_autoptr(FqTestResponse) resp = get_metrics (w.leader, "records", from, to, grid, extra);
  g_autoptr(GHashTable) expected = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *prefix = prefix_of (grid);
  gboolean tickets = is_ticket_metric (metric);
  JsonObject *root;
  JsonArray *ids;

  if (tickets)
    for (guint i = 0; i < w.tkts->len; i++)
      {
        const Tkt *t = &g_array_index (w.tkts, Tkt, i);

        if (t->created_at < from || t->created_at >= to || !in_scope (t->grid, prefix) ||
            (category != NULL && g_strcmp0 (t->category, category) != 0) ||
            (group != NULL && g_strcmp0 (g_hash_table_lookup (w.category_group, t->category),
                                         group) != 0) ||
            (unit != NULL && g_strcmp0 (t->lead, unit) != 0) ||
            !tkt_counts_in (t, metric))
          continue;
        g_hash_table_add (expected, t->id);
      }
  else
    for (guint i = 0; i < w.incs->len; i++)
      {
        const Inc *inc = &g_array_index (w.incs, Inc, i);

        if (inc->at < from || inc->at >= to || !in_scope (inc->grid, prefix) ||
            (category != NULL && g_strcmp0 (inc->category, category) != 0) ||
            (group != NULL && (inc->category == NULL ||
                               g_strcmp0 (g_hash_table_lookup (w.category_group, inc->category),
                                          group) != 0)) ||
            !inc_counts_in (inc, metric))
          continue;
        g_hash_table_add (expected, inc->id);
      }

  fq_test_assert_status (resp, 200);
  root = fq_test_response_object (resp);
  g_assert_cmpstr (fq_test_obj_str (root, "entity"), ==, tickets ? "ticket" : "incident");
  g_assert_cmpstr (fq_test_obj_str (root, "metric"), ==, metric);
  g_assert_cmpstr (fq_test_obj_str (root, "grid"), ==, grid);
  ids = fq_test_obj_array (root, "ids");
  g_assert_nonnull (ids);
  g_assert_cmpint (fq_test_obj_int (root, "count"), ==, json_array_get_length (ids));
  for (guint i = 0; i < json_array_get_length (ids); i++)
    {
      const char *id = json_array_get_string_element (ids, i);

      if (!g_hash_table_contains (expected, id))
        g_error ("%s %s: %s listed but not counted here", metric, grid, id);
      g_assert_true (g_hash_table_add (seen, (char *)id));
    }
  if (g_hash_table_size (seen) != g_hash_table_size (expected))
    g_error ("%s %s: listed %u, counted %u here", metric, grid, g_hash_table_size (seen),
             g_hash_table_size (expected));
  return json_array_get_length (ids);
}

/* A count of the summary's "current", by the figure's name (a ratio: its
 * numerator's count, computed from the ratio and the denominator). */
static gint64
summary_count (JsonObject *current,
               const char *metric)
{
  if (g_str_has_prefix (metric, "incidents_by_source."))
    return fq_test_obj_int (fq_test_obj_obj (current, "incidents_by_source"),
                            metric + strlen ("incidents_by_source."));
  if (strcmp (metric, "diversion_share") == 0)
    return fq_test_obj_int (current, "mediated") + fq_test_obj_int (current, "diverted");
  if (strcmp (metric, "completion_rate") == 0)
    return fq_test_obj_int (current, "tickets_closed");
  if (strcmp (metric, "on_time_rate") == 0)
    return fq_test_obj_int (current, "resolved_on_time");
  return fq_test_obj_int (current, metric);
}

static void
test_records (void)
{
  /* Figures a tile shows, whose count is in the summary. */
  static const char * const counted[] = {
    "incidents_total", "police_incidents", "non_police_disputes", "mediated", "diverted",
    "diversion_share", "repeat_calls", "proactive_reports", "incidents_by_source.110",
    "incidents_by_source.grid", "tickets_created", "tickets_closed", "completion_rate",
    "tickets_resolved", "on_time_rate", "backflow_tickets",
  };
  /* Figures whose records the summary does not count directly. */
  static const char * const listed[] = { "median_hours_to_accept", "median_hours_to_resolve" };
  const gint64 periods[][2] = {
    { pilot_from, pilot_to },
    { cst (2021, 7, 1), cst (2021, 10, 1) },
    { cst (2021, 6, 15) + 3 * 3600, cst (2021, 8, 2) + 11 * 3600 },
    { tickets_from, tickets_to },
  };
  const char *scopes[] = { FQ_TEST_CITY, FQ_TEST_XIALU, FQ_TEST_TUANCHENGSHAN,
                           FQ_TEST_GUANGZHOULU };

  for (guint p = 0; p < G_N_ELEMENTS (periods); p++)
    for (guint s = 0; s < G_N_ELEMENTS (scopes); s++)
      {
        g_autoptr(FqTestResponse) summary = get_metrics (w.leader, "summary", periods[p][0],
                                                         periods[p][1], scopes[s], NULL);
        JsonObject *current;

        fq_test_assert_status (summary, 200);
        current = fq_test_obj_obj (fq_test_response_object (summary), "current");
        for (guint i = 0; i < G_N_ELEMENTS (counted); i++)
          {
            gint64 n = check_records (counted[i], periods[p][0], periods[p][1], scopes[s],
                                      NULL, NULL, NULL);

            if (n != summary_count (current, counted[i]))
              g_error ("%s at %s: %" G_GINT64_FORMAT " records, the figure says %" G_GINT64_FORMAT,
                       counted[i], scopes[s], n, summary_count (current, counted[i]));
          }
        for (guint i = 0; i < G_N_ELEMENTS (listed); i++)
          check_records (listed[i], periods[p][0], periods[p][1], scopes[s], NULL, NULL, NULL);
      }

  /* The pilot month's published figures, through their records. */
  g_assert_cmpint (check_records ("non_police_disputes", pilot_from, pilot_to, FQ_TEST_XIALU,
                                  NULL, NULL, NULL), ==, 2989);
  g_assert_cmpint (check_records ("diversion_share", pilot_from, pilot_to, FQ_TEST_XIALU,
                                  NULL, NULL, NULL), ==, 97 + 389);
  g_assert_cmpint (check_records ("tickets_closed", tickets_from, tickets_to, FQ_TEST_CITY,
                                  NULL, NULL, NULL), ==, 3587);

  /* A trend bar: a bucket's figure and its records. */
  {
    gint64 from = cst (2021, 3, 1), to = cst (2021, 3, 22);
    g_autoptr(FqTestResponse) trend = get_metrics (w.leader, "trend", from, to, FQ_TEST_XIALU,
                                                   "&bucket=week");
    JsonArray *buckets;

    fq_test_assert_status (trend, 200);
    buckets = fq_test_obj_array (fq_test_response_object (trend), "buckets");
    for (guint i = 0; i < json_array_get_length (buckets); i++)
      {
        JsonObject *b = json_array_get_object_element (buckets, i);
        g_autoptr(GDateTime) start = g_date_time_new_from_iso8601 (fq_test_obj_str (b, "start"), NULL);
        g_autoptr(GDateTime) end = g_date_time_new_from_iso8601 (fq_test_obj_str (b, "end"), NULL);
        gint64 bfrom = MAX (from, g_date_time_to_unix (start));
        gint64 bto = MIN (to, g_date_time_to_unix (end));
        const char *names[] = { "incidents", "non_police_disputes", "diverted", "repeat_calls",
                                "closed", "tickets" };

        for (guint k = 0; k < G_N_ELEMENTS (names); k++)
          g_assert_cmpint (check_records (names[k], bfrom, bto, FQ_TEST_XIALU, NULL, NULL, NULL),
                           ==, fq_test_obj_int (b, names[k]));
      }
  }

  /* A category and a category group: the breakdown's bars. */
  {
    gint64 from = cst (2021, 4, 1), to = cst (2021, 7, 1);
    g_autoptr(FqTestResponse) cats = get_metrics (w.leader, "categories", from, to, FQ_TEST_CITY,
                                                  NULL);
    JsonObject *root;
    JsonArray *rows;
    guint checked = 0;

    fq_test_assert_status (cats, 200);
    root = fq_test_response_object (cats);
    rows = fq_test_obj_array (root, "categories");
    for (guint i = 0; i < json_array_get_length (rows) && checked < 3; i++)
      {
        JsonObject *row = json_array_get_object_element (rows, i);
        const char *code = fq_test_obj_str (row, "code");

        if (code == NULL)
          continue;
        g_assert_cmpint (check_records ("incidents", from, to, FQ_TEST_CITY, code, NULL, NULL),
                         ==, fq_test_obj_int (row, "incidents"));
        g_assert_cmpint (check_records ("diverted", from, to, FQ_TEST_CITY, code, NULL, NULL),
                         ==, fq_test_obj_int (row, "diverted"));
        g_assert_cmpint (check_records ("tickets_closed", from, to, FQ_TEST_CITY, code, NULL,
                                        NULL),
                         ==, fq_test_obj_int (row, "tickets_closed"));
        checked++;
      }
    g_assert_cmpuint (checked, ==, 3);
    rows = fq_test_obj_array (root, "groups");
    checked = 0;
    for (guint i = 0; i < json_array_get_length (rows); i++)
      {
        JsonObject *row = json_array_get_object_element (rows, i);
        const char *code = fq_test_obj_str (row, "code");

        if (code == NULL)
          continue;
        g_assert_cmpint (check_records ("non_police_disputes", from, to, FQ_TEST_CITY, NULL, code,
                                        NULL),
                         ==, fq_test_obj_int (row, "non_police_disputes"));
        g_assert_cmpint (check_records ("tickets", from, to, FQ_TEST_CITY, NULL, code, NULL),
                         ==, fq_test_obj_int (row, "tickets"));
        checked++;
      }
    g_assert_cmpuint (checked, >, 0);
  }

  /* A unit of the assessment: the tickets it leads. */
  {
    gint64 from = cst (2021, 7, 1), to = cst (2021, 10, 1);
    g_autoptr(FqTestResponse) units = get_metrics (w.leader, "units", from, to, FQ_TEST_XIALU,
                                                   NULL);
    JsonArray *rows;

    fq_test_assert_status (units, 200);
    rows = fq_test_obj_array (fq_test_response_object (units), "units");
    g_assert_cmpuint (json_array_get_length (rows), >, 0);
    for (guint i = 0; i < json_array_get_length (rows); i++)
      {
        JsonObject *row = json_array_get_object_element (rows, i);
        const char *unit = fq_test_obj_str (row, "unit");

        g_assert_cmpint (check_records ("tickets", from, to, FQ_TEST_XIALU, NULL, NULL, unit),
                         ==, fq_test_obj_int (row, "tickets_led"));
      }
  }

  /* Errors and roles. */
  {
    gint64 from = cst (2021, 5, 1), to = cst (2021, 6, 1);
    g_autoptr(FqTestResponse) none = get_metrics (w.leader, "records", from, to, NULL, NULL);
    g_autoptr(FqTestResponse) unknown = get_metrics (w.leader, "records", from, to, NULL,
                                                     "&metric=score");
    g_autoptr(FqTestResponse) unit_inc = get_metrics (w.leader, "records", from, to, NULL,
                                                      "&metric=incidents_total&unit=x");
    g_autoptr(FqTestResponse) bad_cat = get_metrics (w.leader, "records", from, to, NULL,
                                                     "&metric=incidents&category=ZZZ");
    g_autoptr(FqTestResponse) bad_group = get_metrics (w.leader, "records", from, to, NULL,
                                                       "&metric=incidents&group=ZZZ");
    g_autoptr(FqTestResponse) as_unit = get_metrics (w.unit, "records", from, to, NULL,
                                                     "&metric=incidents_total");
    g_autoptr(FqTestResponse) as_grid = get_metrics (w.grid, "records", from, to, NULL,
                                                     "&metric=incidents_total");
    g_autoptr(FqTestResponse) outside = get_metrics (w.leader, "records", from, to,
                                                     "429999999999", "&metric=incidents_total");
    g_autoptr(FqTestResponse) as_coordinator = get_metrics (w.coordinator, "records", from, to,
                                                            NULL, "&metric=repeat_calls");

    fq_test_assert_error (none, 400, "bad_request");
    g_assert_cmpstr (fq_test_response_error_field (none), ==, "metric");
    fq_test_assert_error (unknown, 400, "bad_request");
    g_assert_cmpstr (fq_test_response_error_field (unknown), ==, "metric");
    fq_test_assert_error (unit_inc, 400, "bad_request");
    g_assert_cmpstr (fq_test_response_error_field (unit_inc), ==, "unit");
    fq_test_assert_error (bad_cat, 400, "bad_request");
    g_assert_cmpstr (fq_test_response_error_field (bad_cat), ==, "category");
    fq_test_assert_error (bad_group, 400, "bad_request");
    g_assert_cmpstr (fq_test_response_error_field (bad_group), ==, "group");
    fq_test_assert_error (as_unit, 403, "forbidden");
    fq_test_assert_error (as_grid, 403, "forbidden");
    fq_test_assert_error (outside, 404, "not_found");
    fq_test_assert_status (as_coordinator, 200);
  }
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  fq_test_require_server_binary ();
  world_setup ();

  g_test_add_func ("/metrics/published-figures", test_published_figures);
  g_test_add_func ("/metrics/random-city", test_random_city);
  g_test_add_func ("/metrics/previous-period", test_previous_period);
  g_test_add_func ("/metrics/trend", test_trend);
  g_test_add_func ("/metrics/units", test_units);
  g_test_add_func ("/metrics/categories", test_categories);
  g_test_add_func ("/metrics/scope-and-roles", test_scope_default_and_roles);
  g_test_add_func ("/metrics/bad-periods", test_bad_periods);
  g_test_add_func ("/metrics/records", test_records);
  g_test_add_func ("/metrics/through-api", test_through_api);

  status = g_test_run ();
  world_teardown ();
  return status;
}
