/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Test"

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "fq-cache.h"
#include "fq-enum-types.h"
#include "fq-enums.h"
#include "fq-incident-list.h"
#include "fq-json.h"

/*
 * The board's model against an independent recomputation: a mirror list is
 * kept only from the items-changed signals the model emits (removing and
 * inserting what each one says, reading the inserted items at emission
 * time); after every step it must equal what a plain sort and filter of
 * the synthetic records gives.
 */

#define N_INITIAL 3000
#define BASE_TIME 1790000000

typedef struct
{
  char   *id;
  gint64  received_at;
  int     source;
  int     status;
  int     decision;
  char   *grid;
  char   *summary;
  char   *address;
  char   *caller_name;
  char   *caller_phone;
  gint64  rev;
  gboolean deleted;
} Rec;

typedef struct
{
  char           *dir;
  FqCache        *cache;
  FqIncidentList *list;
  GPtrArray      *recs;      /* Rec, the truth */
  GHashTable     *by_id;
  GPtrArray      *mirror;    /* ids, rebuilt from signals only */
  gint64          seq;
  guint           n_signals;
  guint           last_pos, last_removed, last_added;
  GRand          *rand;
} Fixture;

static const char *words[] = { "噪音", "楼道", "堆物", "漏水", "停车", "宠物", "装修", "纠纷", "欠薪", "Noise" };
static const char *grids[] = { "420202002012", "420202002013", "420203001001", "420204100200" };

static void
rec_free (Rec *r)
{
  g_free (r->id);
  g_free (r->grid);
  g_free (r->summary);
  g_free (r->address);
  g_free (r->caller_name);
  g_free (r->caller_phone);
  g_free (r);
}

static JsonNode *
rec_change (Fixture *f,
            Rec     *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *t = fq_time_format (r->received_at);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "seq");
  json_builder_add_int_value (b, ++f->seq);
  json_builder_set_member_name (b, "entity");
  json_builder_add_string_value (b, "incident");
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, r->id);
  json_builder_set_member_name (b, "op");
  json_builder_add_string_value (b, r->deleted ? "delete" : "upsert");
  if (!r->deleted)
    {
      json_builder_set_member_name (b, "data");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, r->id);
      json_builder_set_member_name (b, "received_at");
      json_builder_add_string_value (b, t);
      json_builder_set_member_name (b, "source");
      json_builder_add_string_value (b, fq_enum_to_string (FQ_TYPE_SOURCE, r->source));
      json_builder_set_member_name (b, "status");
      json_builder_add_string_value (b, fq_enum_to_string (FQ_TYPE_INCIDENT_STATUS, r->status));
      json_builder_set_member_name (b, "decision");
      if (r->decision >= 0)
        json_builder_add_string_value (b, fq_enum_to_string (FQ_TYPE_DECISION, r->decision));
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "grid");
      json_builder_add_string_value (b, r->grid);
      json_builder_set_member_name (b, "summary");
      json_builder_add_string_value (b, r->summary);
      json_builder_set_member_name (b, "address");
      json_builder_add_string_value (b, r->address);
      json_builder_set_member_name (b, "caller_name");
      json_builder_add_string_value (b, r->caller_name);
      json_builder_set_member_name (b, "caller_phone");
      json_builder_add_string_value (b, r->caller_phone);
      json_builder_set_member_name (b, "rev");
      json_builder_add_int_value (b, r->rev);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* A new synthetic record, kept by the fixture (f->recs, f->by_id). */
static Rec *
new_rec (Fixture *f,
         guint    i)
{
  Rec *r = g_new0 (Rec, 1);

  r->id = g_strdup_printf ("I%07u", i);
  r->received_at = BASE_TIME + (gint64)i * 60;
  r->source = g_rand_int_range (f->rand, 0, 5);
  r->status = g_rand_int_range (f->rand, 0, 3) == 0 ? FQ_INCIDENT_STATUS_TRIAGED : FQ_INCIDENT_STATUS_NEW;
  r->decision = r->status == FQ_INCIDENT_STATUS_TRIAGED ? g_rand_int_range (f->rand, 0, 5) : -1;
  r->grid = g_strdup (grids[g_rand_int_range (f->rand, 0, G_N_ELEMENTS (grids))]);
  r->summary = g_strdup_printf ("%s%s %u", words[g_rand_int_range (f->rand, 0, G_N_ELEMENTS (words))],
                                words[g_rand_int_range (f->rand, 0, G_N_ELEMENTS (words))], i);
  r->address = g_strdup_printf ("广州路%u号", g_rand_int_range (f->rand, 1, 300));
  r->caller_name = g_strdup (g_rand_boolean (f->rand) ? "张三" : "李四");
  r->caller_phone = g_strdup_printf ("139%08u", g_rand_int_range (f->rand, 0, 99999999));
  r->rev = 1;
  g_ptr_array_add (f->recs, r);
  g_hash_table_insert (f->by_id, r->id, r);
  return r;
}

static void
wait_until_idle (Fixture *f)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  /* One iteration at least, so coalesced setters get to run. */
  g_main_context_iteration (NULL, FALSE);
  while (fq_incident_list_get_busy (f->list) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (fq_incident_list_get_busy (f->list));
}

static void
apply_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (fq_cache_apply_changes_finish (FQ_CACHE (object), result, &error));
  *(gboolean *)user_data = TRUE;
}

static void
push (Fixture   *f,
      GPtrArray *changed)
{
  JsonArray *arr = json_array_new ();
  gboolean done = FALSE;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  for (guint i = 0; i < changed->len; i++)
    json_array_add_element (arr, rec_change (f, changed->pdata[i]));
  fq_cache_apply_changes_async (f->cache, arr, 0, NULL, apply_cb, &done);
  while (!done && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (done);
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Fixture    *f)
{
  g_assert_cmpuint (position + removed, <=, f->mirror->len);
  g_ptr_array_remove_range (f->mirror, position, removed);
  for (guint i = 0; i < added; i++)
    {
      g_autoptr(FqIncidentRow) row = g_list_model_get_item (model, position + i);

      g_assert_nonnull (row);
      g_ptr_array_insert (f->mirror, position + i, g_strdup (fq_incident_row_get_id (row)));
    }
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, f->mirror->len);

  f->n_signals++;
  f->last_pos = position;
  f->last_removed = removed;
  f->last_added = added;
}

/* ---- the independent recomputation ------------------------------------- */

typedef struct
{
  FqIncidentSort sort;
  gboolean       descending;
  const char    *query;
  int            status;
  const char    *scope;
} Expect;

static gboolean
rec_matches (const Rec    *r,
             const Expect *e)
{
  if (r->deleted)
    return FALSE;
  if (e->status >= 0 && r->status != e->status)
    return FALSE;
  if (e->scope != NULL && !g_str_has_prefix (r->grid, e->scope))
    return FALSE;
  if (e->query != NULL)
    {
      g_auto(GStrv) qw = g_strsplit (e->query, " ", -1);

      for (guint i = 0; qw[i] != NULL; i++)
        {
          g_autofree char *w = g_ascii_strdown (qw[i], -1);
          g_autofree char *s = g_ascii_strdown (r->summary, -1);

          if (w[0] == '\0')
            continue;
          if (strstr (s, w) == NULL && strstr (r->address, w) == NULL &&
              strstr (r->caller_name, w) == NULL && strstr (r->caller_phone, w) == NULL)
            return FALSE;
        }
    }
  return TRUE;
}

static int
primary_of (const Rec    *r,
            const Expect *e)
{
  switch (e->sort)
    {
    case FQ_INCIDENT_SORT_SOURCE:
      return r->source;
    case FQ_INCIDENT_SORT_STATUS:
      return r->status == FQ_INCIDENT_STATUS_NEW ? 0 : r->decision + 2;
    default:
      return 0;
    }
}

static int
cmp_expect (gconstpointer a,
            gconstpointer b,
            gpointer      user_data)
{
  const Rec *ra = *(Rec **)a;
  const Rec *rb = *(Rec **)b;
  const Expect *e = user_data;

  if (e->sort == FQ_INCIDENT_SORT_TIME)
    {
      int c = (ra->received_at > rb->received_at) - (ra->received_at < rb->received_at);
      return e->descending ? -c : c;
    }
  else
    {
      int pa = primary_of (ra, e), pb = primary_of (rb, e);

      if (pa != pb)
        return e->descending ? pb - pa : pa - pb;
      /* Newest first within a group. */
      return (rb->received_at > ra->received_at) - (rb->received_at < ra->received_at);
    }
}

static void
check (Fixture      *f,
       const Expect *e)
{
  g_autoptr(GPtrArray) expected = g_ptr_array_new ();

  for (guint i = 0; i < f->recs->len; i++)
    if (rec_matches (f->recs->pdata[i], e))
      g_ptr_array_add (expected, f->recs->pdata[i]);
  g_ptr_array_sort_with_data (expected, cmp_expect, (gpointer)e);

  g_assert_cmpuint (f->mirror->len, ==, expected->len);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->list)), ==, expected->len);
  for (guint i = 0; i < expected->len; i++)
    {
      const Rec *r = expected->pdata[i];

      if (g_strcmp0 (f->mirror->pdata[i], r->id) != 0)
        g_error ("position %u: model shows %s, expected %s", i,
                 (char *)f->mirror->pdata[i], r->id);
    }

  /* Items carry the current data. */
  for (guint i = 0; i < MIN (expected->len, 50); i++)
    {
      g_autoptr(FqIncidentRow) row = g_list_model_get_item (G_LIST_MODEL (f->list), i);
      const Rec *r = expected->pdata[i];

      g_assert_cmpstr (fq_incident_row_get_summary (row), ==, r->summary);
      g_assert_cmpstr (fq_incident_row_get_address (row), ==, r->address);
      g_assert_cmpstr (fq_incident_row_get_caller_phone (row), ==, r->caller_phone);
      g_assert_cmpint (fq_incident_row_get_status (row), ==, r->status);
      g_assert_cmpint (fq_incident_row_get_decision (row), ==, r->decision);
      g_assert_cmpint (fq_incident_row_get_received_at (row), ==, r->received_at);
    }
}

/* ---- fixture ----------------------------------------------------------- */

static void
open_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_assert_true (fq_cache_open_finish (FQ_CACHE (object), result, NULL));
  *(gboolean *)user_data = TRUE;
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  g_autofree char *path = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new ();
  gboolean done = FALSE;

  f->rand = g_rand_new_with_seed (42);
  f->dir = g_dir_make_tmp ("fq-test-list-XXXXXX", NULL);
  path = g_build_filename (f->dir, "cache.db", NULL);
  f->cache = fq_cache_new (path);
  fq_cache_open_async (f->cache, NULL, open_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);

  f->recs = g_ptr_array_new_with_free_func ((GDestroyNotify)rec_free);
  f->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  f->mirror = g_ptr_array_new_with_free_func (g_free);

  /* Shuffled insertion order, so row order and time order differ. */
  for (guint i = 0; i < N_INITIAL; i++)
    {
      Rec *r = new_rec (f, (i * 7919) % N_INITIAL);

      g_ptr_array_add (batch, r);
    }
  push (f, batch);

  f->list = fq_incident_list_new (f->cache);
  g_signal_connect (f->list, "items-changed", G_CALLBACK (items_changed_cb), f);
  wait_until_idle (f);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->dir, "cache.db", NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);

  g_assert_finalize_object (g_steal_pointer (&f->list));
  fq_cache_close (f->cache);
  g_assert_finalize_object (g_steal_pointer (&f->cache));
  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
  g_rmdir (f->dir);
  g_free (f->dir);
  g_ptr_array_unref (f->mirror);
  g_hash_table_unref (f->by_id);
  g_ptr_array_unref (f->recs);
  g_rand_free (f->rand);
}

/* Random updates, arrivals and deletions. */
static void
random_batch (Fixture *f,
              guint    n_update,
              guint    n_new,
              guint    n_delete)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new ();

  for (guint i = 0; i < n_update; i++)
    {
      Rec *r = f->recs->pdata[g_rand_int_range (f->rand, 0, f->recs->len)];

      if (r->deleted)
        continue;
      r->status = FQ_INCIDENT_STATUS_TRIAGED;
      r->decision = g_rand_int_range (f->rand, 0, 5);
      g_free (r->summary);
      r->summary = g_strdup_printf ("%s 已处理 %s", words[g_rand_int_range (f->rand, 0, 9)], r->id);
      r->rev++;
      g_ptr_array_add (batch, r);
    }
  for (guint i = 0; i < n_new; i++)
    {
      Rec *r = new_rec (f, f->recs->len + 100000);

      g_ptr_array_add (batch, r);
    }
  for (guint i = 0; i < n_delete; i++)
    {
      Rec *r = f->recs->pdata[g_rand_int_range (f->rand, 0, f->recs->len)];

      if (r->deleted)
        continue;
      r->deleted = TRUE;
      g_ptr_array_add (batch, r);
    }
  push (f, batch);
  wait_until_idle (f);
}

static void
test_load (Fixture       *f,
           gconstpointer  data)
{
  Expect e = { FQ_INCIDENT_SORT_TIME, TRUE, NULL, -1, NULL };

  g_assert_cmpuint (fq_incident_list_get_n_total (f->list), ==, N_INITIAL);
  check (f, &e);
  g_assert_cmpuint (fq_incident_list_find (f->list, "I0000000"), ==, N_INITIAL - 1);
  g_assert_cmpuint (fq_incident_list_find (f->list, "nope"), ==, G_MAXUINT);
}

static void
test_live_changes (Fixture       *f,
                   gconstpointer  data)
{
  Expect e = { FQ_INCIDENT_SORT_TIME, TRUE, NULL, -1, NULL };
  g_autoptr(GPtrArray) one = g_ptr_array_new ();
  g_autoptr(FqIncidentRow) first = NULL;
  Rec *r;
  guint pos;

  /* One incident changed where it stands: exactly items-changed (pos, 1, 1). */
  r = g_hash_table_lookup (f->by_id, "I0001500");
  pos = fq_incident_list_find (f->list, r->id);
  r->status = FQ_INCIDENT_STATUS_TRIAGED;
  r->decision = FQ_DECISION_DIVERT;
  r->rev++;
  g_ptr_array_add (one, r);
  f->n_signals = 0;
  push (f, one);
  wait_until_idle (f);
  g_assert_cmpuint (f->n_signals, ==, 1);
  g_assert_cmpuint (f->last_pos, ==, pos);
  g_assert_cmpuint (f->last_removed, ==, 1);
  g_assert_cmpuint (f->last_added, ==, 1);
  check (f, &e);

  /* A new arrival goes to the top, as one insertion, and is fresh. */
  g_ptr_array_set_size (one, 0);
  r = new_rec (f, 200000);
  g_ptr_array_add (one, r);
  f->n_signals = 0;
  push (f, one);
  wait_until_idle (f);
  g_assert_cmpuint (f->n_signals, ==, 1);
  g_assert_cmpuint (f->last_pos, ==, 0);
  g_assert_cmpuint (f->last_removed, ==, 0);
  g_assert_cmpuint (f->last_added, ==, 1);
  first = g_list_model_get_item (G_LIST_MODEL (f->list), 0);
  g_assert_cmpstr (fq_incident_row_get_id (first), ==, r->id);
  g_assert_true (fq_incident_row_get_fresh (first));
  check (f, &e);

  for (guint k = 0; k < 5; k++)
    {
      random_batch (f, 60, 25, 8);
      check (f, &e);
    }
}

/* Rows that fill an empty cache (the first start, or after a reset) are
 * not arrivals: not fresh, even in a small batch. Once the cache is no
 * longer filling, a new incident is fresh again. */
static void
test_filling (Fixture       *f,
              gconstpointer  data)
{
  Expect e = { FQ_INCIDENT_SORT_TIME, TRUE, NULL, -1, NULL };
  g_autoptr(GPtrArray) one = g_ptr_array_new ();
  Rec *r;

  for (guint k = 0; k < 2; k++)
    {
      gboolean filling = k == 0;
      g_autoptr(FqIncidentRow) first = NULL;

      fq_cache_set_filling (f->cache, filling);
      r = new_rec (f, 300000 + k);
      g_ptr_array_set_size (one, 0);
      g_ptr_array_add (one, r);
      push (f, one);
      wait_until_idle (f);
      first = g_list_model_get_item (G_LIST_MODEL (f->list), 0);
      g_assert_cmpstr (fq_incident_row_get_id (first), ==, r->id);
      g_assert_true (fq_incident_row_get_fresh (first) == !filling);
      check (f, &e);
    }
}

static void
test_filters_and_sorts (Fixture       *f,
                        gconstpointer  data)
{
  Expect e = { FQ_INCIDENT_SORT_TIME, TRUE, NULL, -1, NULL };

  fq_incident_list_set_status (f->list, FQ_INCIDENT_STATUS_NEW);
  e.status = FQ_INCIDENT_STATUS_NEW;
  wait_until_idle (f);
  check (f, &e);

  fq_incident_list_set_query (f->list, "噪音");
  e.query = "噪音";
  wait_until_idle (f);
  check (f, &e);

  /* Narrowing (only the shown rows are tested again). */
  fq_incident_list_set_query (f->list, "噪音 广州路1");
  e.query = "噪音 广州路1";
  wait_until_idle (f);
  check (f, &e);

  /* ASCII case-insensitive. */
  fq_incident_list_set_query (f->list, "noise");
  e.query = "noise";
  wait_until_idle (f);
  check (f, &e);

  /* Either case in the query, and a match that does not start the word. */
  fq_incident_list_set_query (f->list, "NoIS");
  e.query = "NoIS";
  wait_until_idle (f);
  check (f, &e);
  g_assert_cmpuint (f->mirror->len, >, 0);

  fq_incident_list_set_query (f->list, "OISE");
  e.query = "OISE";
  wait_until_idle (f);
  check (f, &e);
  g_assert_cmpuint (f->mirror->len, >, 0);

  /* Keys typed while a query is filtered: that one is not queued behind
   * it but sent when it is applied, and the last query wins. */
  fq_incident_list_set_query (f->list, "噪");
  /* Sends it to the worker; its result comes in a later iteration. */
  g_main_context_iteration (NULL, FALSE);
  g_assert_true (fq_incident_list_get_busy (f->list));
  fq_incident_list_set_query (f->list, "噪音 ");
  g_main_context_iteration (NULL, FALSE);
  fq_incident_list_set_query (f->list, "噪音 广");
  e.query = "噪音 广";
  wait_until_idle (f);
  check (f, &e);

  /* The ideographic space separates words as a space does. */
  fq_incident_list_set_query (f->list, "噪音\u3000广州路1");
  e.query = "噪音 广州路1";
  wait_until_idle (f);
  check (f, &e);
  g_assert_cmpuint (f->mirror->len, >, 0);

  fq_incident_list_set_query (f->list, NULL);
  e.query = NULL;
  fq_incident_list_set_scope (f->list, "420202002");
  e.scope = "420202002";
  wait_until_idle (f);
  check (f, &e);

  random_batch (f, 80, 20, 5);
  check (f, &e);

  fq_incident_list_set_sort (f->list, FQ_INCIDENT_SORT_STATUS, FALSE);
  e.sort = FQ_INCIDENT_SORT_STATUS;
  e.descending = FALSE;
  fq_incident_list_set_status (f->list, -1);
  e.status = -1;
  wait_until_idle (f);
  check (f, &e);

  random_batch (f, 80, 20, 5);
  check (f, &e);

  fq_incident_list_set_sort (f->list, FQ_INCIDENT_SORT_SOURCE, TRUE);
  e.sort = FQ_INCIDENT_SORT_SOURCE;
  e.descending = TRUE;
  fq_incident_list_set_scope (f->list, NULL);
  e.scope = NULL;
  wait_until_idle (f);
  check (f, &e);

  random_batch (f, 50, 50, 10);
  check (f, &e);

  fq_incident_list_set_sort (f->list, FQ_INCIDENT_SORT_TIME, FALSE);
  e.sort = FQ_INCIDENT_SORT_TIME;
  e.descending = FALSE;
  wait_until_idle (f);
  check (f, &e);
}

static void
test_pending (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(FqIncidentRow) row = NULL;
  guint pos = fq_incident_list_find (f->list, "I0000042");

  row = g_list_model_get_item (G_LIST_MODEL (f->list), pos);
  g_assert_false (fq_incident_row_get_pending (row));

  f->n_signals = 0;
  fq_incident_list_set_pending (f->list, "I0000042", TRUE);
  g_assert_true (fq_incident_row_get_pending (row));
  g_assert_cmpuint (f->n_signals, ==, 1);
  g_assert_cmpuint (f->last_pos, ==, pos);
  g_assert_cmpuint (f->last_removed, ==, 1);
  g_assert_cmpuint (f->last_added, ==, 1);

  fq_incident_list_set_pending (f->list, "I0000042", FALSE);
  g_assert_false (fq_incident_row_get_pending (row));
}

/* Exactly some incidents, whatever the other filters say ("explain this
 * number"), and back. */
static void
test_ids (Fixture       *f,
          gconstpointer  data)
{
  const char *ids[] = { "I0000007", "I0002999", "I0001500", "not-in-the-cache", NULL };
  Expect e = { FQ_INCIDENT_SORT_TIME, TRUE, NULL, FQ_INCIDENT_STATUS_NEW, "420202002" };

  fq_incident_list_set_status (f->list, FQ_INCIDENT_STATUS_NEW);
  fq_incident_list_set_scope (f->list, "420202002");
  fq_incident_list_set_query (f->list, "噪音");
  fq_incident_list_set_ids (f->list, ids);
  wait_until_idle (f);

  g_assert_true (fq_incident_list_get_ids_active (f->list));
  g_assert_cmpuint (f->mirror->len, ==, 3);
  g_assert_cmpstr (f->mirror->pdata[0], ==, "I0002999");
  g_assert_cmpstr (f->mirror->pdata[1], ==, "I0001500");
  g_assert_cmpstr (f->mirror->pdata[2], ==, "I0000007");

  /* A change to one of them keeps it; others stay out. */
  random_batch (f, 200, 10, 0);
  g_assert_cmpuint (f->mirror->len, ==, 3);

  fq_incident_list_set_ids (f->list, NULL);
  fq_incident_list_set_query (f->list, NULL);
  wait_until_idle (f);
  g_assert_false (fq_incident_list_get_ids_active (f->list));
  check (f, &e);
}

static gboolean
tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* A change of reference data alone (a category renamed) reaches the
 * list's category names, and the list does not stay "loading" waiting for
 * an incident change to carry it. */
static void
test_ref_change (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *arr;
  gboolean done = FALSE;
  gint64 deadline;
  guint tick;
  g_autofree char *text = NULL;

  /* A filter makes the list build its category names. */
  fq_incident_list_set_query (f->list, "噪音");
  wait_until_idle (f);

  text = g_strdup_printf ("[{\"seq\":%" G_GINT64_FORMAT ",\"entity\":\"category\",\"id\":\"Z99\","
                          "\"op\":\"upsert\",\"data\":{\"code\":\"Z99\",\"name\":\"测试类\"}}]",
                          ++f->seq);
  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  arr = json_array_ref (json_node_get_array (json_parser_get_root (parser)));
  fq_cache_apply_changes_async (f->cache, arr, 0, NULL, apply_cb, &done);
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (!done && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (done);

  /* With a tick, so that a list stuck with nothing to do is seen. */
  tick = g_timeout_add (50, tick_cb, NULL);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (fq_incident_list_get_busy (f->list) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  g_assert_false (fq_incident_list_get_loading (f->list));
  g_assert_false (fq_incident_list_get_busy (f->list));
}

typedef struct
{
  guint n;
  guint mixed;     /* changes that removed and added many rows at once */
  guint removed;
  guint added;
} Runs;

static void
count_runs_cb (GListModel *model,
               guint       position,
               guint       removed,
               guint       added,
               Runs       *runs)
{
  runs->n++;
  runs->removed += removed;
  runs->added += added;
  if (removed > 64 && added > 64)
    runs->mixed++;
}

/* A change of many scattered rows reaches the model as "all removed" then
 * "all added", never as one change removing and adding thousands: in that
 * one GtkSingleSelection reads every added row looking for its selected
 * one (see fq-row-store.c). */
static void
test_replace_all (Fixture       *f,
                  gconstpointer  data)
{
  Expect e = { FQ_INCIDENT_SORT_TIME, TRUE, NULL, FQ_INCIDENT_STATUS_NEW, NULL };
  Runs runs = { 0, };
  guint n_all = f->mirror->len;
  gulong id = g_signal_connect (f->list, "items-changed", G_CALLBACK (count_runs_cb), &runs);

  /* About a third of the rows go, scattered. */
  fq_incident_list_set_status (f->list, FQ_INCIDENT_STATUS_NEW);
  wait_until_idle (f);
  check (f, &e);
  g_assert_cmpuint (runs.mixed, ==, 0);
  g_assert_cmpuint (runs.n, ==, 2);
  g_assert_cmpuint (runs.removed, ==, n_all);
  g_assert_cmpuint (runs.added, ==, f->mirror->len);

  /* A new sort: the same. */
  memset (&runs, 0, sizeof runs);
  fq_incident_list_set_sort (f->list, FQ_INCIDENT_SORT_SOURCE, FALSE);
  e.sort = FQ_INCIDENT_SORT_SOURCE;
  e.descending = FALSE;
  wait_until_idle (f);
  check (f, &e);
  g_assert_cmpuint (runs.mixed, ==, 0);
  g_assert_cmpuint (runs.n, ==, 2);

  g_signal_handler_disconnect (f->list, id);
}

typedef struct
{
  GArray *runs;      /* guint triples: position, removed, added */
} Log;

static void
log_runs_cb (GListModel *model,
             guint       position,
             guint       removed,
             guint       added,
             Log        *log)
{
  guint run[3] = { position, removed, added };

  g_array_append_vals (log->runs, run, 3);
}

/* The change that covers old position @pos has few rows: the view and a
 * selection read every added row of it. */
static void
assert_small_change_at (Log   *log,
                        guint  pos)
{
  gboolean found = FALSE;

  for (guint i = 0; i < log->runs->len; i += 3)
    {
      guint *run = &g_array_index (log->runs, guint, i);

      if (pos >= run[0] && pos < run[0] + run[1])
        {
          g_assert_cmpuint (run[2], <=, 64);
          found = TRUE;
        }
    }
  g_assert_true (found);
}

#define N_VIEW 40

/* A refilter that replaces the rows keeps the item objects the view holds
 * at their positions, showing the rows now there (so GtkListView keeps its
 * row widgets); the selected row's item stays its incident; live changes
 * still keep every item with its row, and an arrival is a new, fresh item. */
static void
test_reuse (Fixture       *f,
            gconstpointer  data)
{
  Expect e = { FQ_INCIDENT_SORT_TIME, TRUE, NULL, FQ_INCIDENT_STATUS_NEW, NULL };
  GListModel *model = G_LIST_MODEL (f->list);
  g_autoptr(GPtrArray) view = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(FqIncidentRow) selected = NULL;
  g_autoptr(FqIncidentRow) gone = NULL;
  g_autoptr(FqIncidentRow) first = NULL;
  g_autoptr(GPtrArray) one = g_ptr_array_new ();
  g_autofree char *gone_id = NULL;
  g_autofree char *selected_id = NULL;
  g_autofree char *second_id = NULL;
  Log log = { g_array_new (FALSE, FALSE, sizeof (guint)) };
  gulong id;
  guint n_notified = 0;
  guint pos, selected_pos;
  Rec *r;

  /* What a view and its selection hold: the first rows, and a selected
   * row further down that the filter keeps (a new incident). */
  for (guint i = 0; i < N_VIEW; i++)
    g_ptr_array_add (view, g_list_model_get_item (model, i));
  for (pos = 1000; ; pos++)
    {
      r = g_hash_table_lookup (f->by_id, f->mirror->pdata[pos]);
      if (r->status == FQ_INCIDENT_STATUS_NEW)
        break;
    }
  selected = g_list_model_get_item (model, pos);
  selected_id = g_strdup (fq_incident_row_get_id (selected));
  selected_pos = pos;
  fq_incident_list_set_selected_id (f->list, selected_id);
  /* And a row further down that the filter drops, held by no view. */
  for (pos = 2000; ; pos++)
    {
      r = g_hash_table_lookup (f->by_id, f->mirror->pdata[pos]);
      if (r->status != FQ_INCIDENT_STATUS_NEW)
        break;
    }
  gone = g_list_model_get_item (model, pos);
  gone_id = g_strdup (fq_incident_row_get_id (gone));
  second_id = g_strdup (fq_incident_row_get_id (view->pdata[1]));

  /* About a third of the rows go, scattered: the rows are replaced. */
  id = g_signal_connect (f->list, "items-changed", G_CALLBACK (log_runs_cb), &log);
  g_signal_connect_swapped (view->pdata[1], "notify::id", G_CALLBACK (g_atomic_int_inc), &n_notified);
  fq_incident_list_set_status (f->list, FQ_INCIDENT_STATUS_NEW);
  wait_until_idle (f);
  check (f, &e);
  g_assert_cmpuint (f->mirror->len, >, 1100);

  for (guint i = 0; i < N_VIEW; i++)
    {
      g_autoptr(FqIncidentRow) item = g_list_model_get_item (model, i);
      const Rec *want = g_hash_table_lookup (f->by_id, f->mirror->pdata[i]);

      /* The same object, showing the row now there. */
      g_assert_true (item == view->pdata[i]);
      g_assert_cmpstr (fq_incident_row_get_id (item), ==, want->id);
      g_assert_cmpstr (fq_incident_row_get_summary (item), ==, want->summary);
      g_assert_cmpint (fq_incident_row_get_status (item), ==, FQ_INCIDENT_STATUS_NEW);
      g_assert_false (fq_incident_row_get_fresh (item));
    }
  /* Cells follow their item by notify: once, if the row there changed. */
  g_assert_cmpuint (n_notified, ==, g_strcmp0 (second_id, f->mirror->pdata[1]) != 0);
  assert_small_change_at (&log, 0);
  assert_small_change_at (&log, N_VIEW - 1);
  assert_small_change_at (&log, selected_pos);

  /* The selected row keeps its item, which is still that incident, where
   * the model now shows it. */
  g_assert_cmpstr (fq_incident_row_get_id (selected), ==, selected_id);
  pos = fq_incident_list_find (f->list, selected_id);
  g_assert_cmpuint (pos, !=, G_MAXUINT);
  {
    g_autoptr(FqIncidentRow) item = g_list_model_get_item (model, pos);

    g_assert_true (item == selected);
  }
  /* A row filtered out is not given another incident. */
  g_assert_cmpstr (fq_incident_row_get_id (gone), ==, gone_id);
  g_assert_cmpuint (fq_incident_list_find (f->list, gone_id), ==, G_MAXUINT);

  /* A new sort replaces the rows again: the same objects again. */
  g_array_set_size (log.runs, 0);
  fq_incident_list_set_sort (f->list, FQ_INCIDENT_SORT_SOURCE, FALSE);
  e.sort = FQ_INCIDENT_SORT_SOURCE;
  e.descending = FALSE;
  wait_until_idle (f);
  check (f, &e);
  for (guint i = 0; i < N_VIEW; i++)
    {
      g_autoptr(FqIncidentRow) item = g_list_model_get_item (model, i);

      g_assert_true (item == view->pdata[i]);
      g_assert_cmpstr (fq_incident_row_get_id (item), ==, f->mirror->pdata[i]);
    }
  assert_small_change_at (&log, 0);
  g_assert_cmpstr (fq_incident_row_get_id (selected), ==, selected_id);
  pos = fq_incident_list_find (f->list, selected_id);
  {
    g_autoptr(FqIncidentRow) item = g_list_model_get_item (model, pos);

    g_assert_true (item == selected);
  }
  g_signal_handler_disconnect (f->list, id);

  /* Back to newest first. A live arrival goes to the top as one insertion:
   * a new object, fresh; the items below keep their rows. */
  fq_incident_list_set_sort (f->list, FQ_INCIDENT_SORT_TIME, TRUE);
  e.sort = FQ_INCIDENT_SORT_TIME;
  e.descending = TRUE;
  wait_until_idle (f);
  check (f, &e);
  {
    g_autofree char *top_id = g_strdup (fq_incident_row_get_id (view->pdata[0]));

    g_assert_cmpstr (top_id, ==, f->mirror->pdata[0]);
    r = new_rec (f, 300000);
    r->status = FQ_INCIDENT_STATUS_NEW;
    r->decision = -1;
    g_ptr_array_add (one, r);
    f->n_signals = 0;
    push (f, one);
    wait_until_idle (f);
    g_assert_cmpuint (f->n_signals, ==, 1);
    g_assert_cmpuint (f->last_pos, ==, 0);
    g_assert_cmpuint (f->last_removed, ==, 0);
    g_assert_cmpuint (f->last_added, ==, 1);
    check (f, &e);

    first = g_list_model_get_item (model, 0);
    for (guint i = 0; i < N_VIEW; i++)
      g_assert_true (first != view->pdata[i]);
    g_assert_true (first != selected);
    g_assert_cmpstr (fq_incident_row_get_id (first), ==, r->id);
    g_assert_true (fq_incident_row_get_fresh (first));
    g_assert_cmpstr (fq_incident_row_get_id (view->pdata[0]), ==, top_id);
    g_assert_false (fq_incident_row_get_fresh (view->pdata[0]));
    {
      g_autoptr(FqIncidentRow) second = g_list_model_get_item (model, 1);

      g_assert_true (second == view->pdata[0]);
    }
  }

  /* A pending mark follows the incident, not the object. */
  {
    g_autofree char *pid = g_strdup (f->mirror->pdata[5]);
    g_autoptr(FqIncidentRow) item = g_list_model_get_item (model, 5);

    fq_incident_list_set_pending (f->list, pid, TRUE);
    g_assert_true (fq_incident_row_get_pending (item));
    fq_incident_list_set_status (f->list, -1);
    e.status = -1;
    wait_until_idle (f);
    check (f, &e);
    g_assert_cmpuint (fq_incident_list_find (f->list, pid), !=, G_MAXUINT);
    for (guint i = 0; i < N_VIEW; i++)
      {
        g_autoptr(FqIncidentRow) at = g_list_model_get_item (model, i);

        g_assert_cmpint (fq_incident_row_get_pending (at), ==, g_strcmp0 (f->mirror->pdata[i], pid) == 0);
      }
    fq_incident_list_set_pending (f->list, pid, FALSE);
  }

  g_array_unref (log.runs);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/incident-list/load", Fixture, NULL, setup, test_load, teardown);
  g_test_add ("/incident-list/live-changes", Fixture, NULL, setup, test_live_changes, teardown);
  g_test_add ("/incident-list/filling", Fixture, NULL, setup, test_filling, teardown);
  g_test_add ("/incident-list/filters-and-sorts", Fixture, NULL, setup, test_filters_and_sorts, teardown);
  g_test_add ("/incident-list/pending", Fixture, NULL, setup, test_pending, teardown);
  g_test_add ("/incident-list/ids", Fixture, NULL, setup, test_ids, teardown);
  g_test_add ("/incident-list/ref-change", Fixture, NULL, setup, test_ref_change, teardown);
  g_test_add ("/incident-list/replace-all", Fixture, NULL, setup, test_replace_all, teardown);
  g_test_add ("/incident-list/reuse", Fixture, NULL, setup, test_reuse, teardown);

  return g_test_run ();
}
