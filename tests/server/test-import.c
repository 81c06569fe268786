/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * POST /imports, the 12345 hotline's work orders: the dry run reports
 * valid rows, duplicates (by external_id, in the file and already known)
 * and invalid rows with the field and the reason, and writes nothing; a
 * file with bad rows imports nothing until the person confirms with
 * skip_invalid; ten thousand rows import in one request and one
 * transaction (one unbroken range of change seqs), or not at all.
 */

#include "config.h"

#include <string.h>

#include "fq-test-server.h"

#define BIG_ROWS 10000

static char *
row_json (const char *external_id,
          const char *grid,
          const char *category,
          const char *summary,
          const char *phone)
{
  return g_strdup_printf ("{\"external_id\":\"%s\",\"grid\":\"%s\",\"category\":\"%s\","
                          "\"summary\":\"%s\",\"caller_phone\":\"%s\",\"caller_name\":\"市民\","
                          "\"address\":\"广州路%u号\",\"received_at\":\"2026-11-20T02:00:00Z\"}",
                          external_id, grid, category, summary, phone,
                          g_str_hash (external_id) % 200);
}

static FqTestResponse *
post_import (FqTestClient *client,
             GPtrArray    *rows,
             const char   *options)
{
  g_autoptr(GString) body = g_string_new ("{\"rows\":[");

  for (guint i = 0; i < rows->len; i++)
    {
      if (i > 0)
        g_string_append_c (body, ',');
      g_string_append (body, g_ptr_array_index (rows, i));
    }
  g_string_append_printf (body, "]%s%s}", options != NULL ? "," : "", options != NULL ? options : "");
  return fq_test_client_request (client, "POST", "/imports", NULL, body->str, body->len, NULL);
}

/* How many incidents of source 12345 carry @external_id. */
static guint
count_external (FqTestClient *client,
                const char   *external_id)
{
  g_autoptr(FqTestResponse) resp = NULL;
  JsonArray *items;
  guint n = 0;

  /* Every row of these files was received at the same second. */
  resp = fq_test_get (client, "/incidents?source=12345&from=2026-11-20T02:00:00Z"
                      "&to=2026-11-20T02:00:01Z&limit=1000");
  fq_test_assert_status (resp, 200);
  items = fq_test_list_items (resp);
  for (guint i = 0; i < json_array_get_length (items); i++)
    if (g_strcmp0 (fq_test_obj_str (json_array_get_object_element (items, i), "external_id"),
                   external_id) == 0)
      n++;
  return n;
}

static void
test_report_and_confirm (void)
{
  FqTestWorld *world = fq_test_world_get ();
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *prefix = fq_test_unique ("WO");
  g_autofree char *ok1 = g_strdup_printf ("%s-1", prefix);
  g_autofree char *ok2 = g_strdup_printf ("%s-2", prefix);
  g_autofree char *bad = g_strdup_printf ("%s-3", prefix);
  g_autoptr(FqTestResponse) dry = NULL;
  g_autoptr(FqTestResponse) refused = NULL;
  g_autoptr(FqTestResponse) confirmed = NULL;
  g_autoptr(FqTestResponse) again = NULL;
  JsonObject *report, *error, *first_invalid;
  JsonArray *invalid, *duplicates;
  gint64 before;

  g_ptr_array_add (rows, row_json (ok1, FQ_TEST_GUANGZHOULU, "K04", "路灯不亮", "13800000001"));
  g_ptr_array_add (rows, row_json (ok2, FQ_TEST_GUANGZHOULU, "A01", "夫妻吵架", "13800000002"));
  /* Row 3: an unknown grid. */
  g_ptr_array_add (rows, row_json (bad, "999999999999", "K04", "路面坑洼", "13800000003"));
  /* Row 4: the same work order as row 1. */
  g_ptr_array_add (rows, row_json (ok1, FQ_TEST_GUANGZHOULU, "K04", "路灯不亮", "13800000001"));
  /* Row 5: no summary; row 6: no external_id; row 7: not an object. */
  g_ptr_array_add (rows, g_strdup_printf ("{\"external_id\":\"%s-5\",\"grid\":\"%s\"}", prefix,
                                          FQ_TEST_GUANGZHOULU));
  g_ptr_array_add (rows, g_strdup_printf ("{\"grid\":\"%s\",\"summary\":\"噪音\"}",
                                          FQ_TEST_GUANGZHOULU));
  g_ptr_array_add (rows, g_strdup ("[1]"));

  before = fq_test_last_seq (world->operator);

  dry = post_import (world->operator, rows, "\"dry_run\":true");
  fq_test_assert_status (dry, 200);
  report = fq_test_response_object (dry);
  g_assert_cmpint (fq_test_obj_int (report, "rows"), ==, 7);
  g_assert_cmpint (fq_test_obj_int (report, "valid"), ==, 2);
  g_assert_cmpint (fq_test_obj_int (report, "imported"), ==, 0);
  duplicates = fq_test_obj_array (report, "duplicates");
  g_assert_cmpuint (json_array_get_length (duplicates), ==, 1);
  g_assert_cmpint (fq_test_obj_int (json_array_get_object_element (duplicates, 0), "row"), ==, 4);
  g_assert_cmpstr (fq_test_obj_str (json_array_get_object_element (duplicates, 0), "external_id"),
                   ==, ok1);
  invalid = fq_test_obj_array (report, "invalid");
  g_assert_cmpuint (json_array_get_length (invalid), ==, 4);
  first_invalid = json_array_get_object_element (invalid, 0);
  g_assert_cmpint (fq_test_obj_int (first_invalid, "row"), ==, 3);
  g_assert_cmpstr (fq_test_obj_str (first_invalid, "field"), ==, "grid");
  g_assert_nonnull (fq_test_obj_str (first_invalid, "message"));
  g_assert_cmpstr (fq_test_obj_str (json_array_get_object_element (invalid, 1), "field"), ==,
                   "summary");
  g_assert_cmpstr (fq_test_obj_str (json_array_get_object_element (invalid, 2), "field"), ==,
                   "external_id");
  g_assert_cmpint (fq_test_obj_int (json_array_get_object_element (invalid, 3), "row"), ==, 7);

  /* The dry run wrote nothing. */
  g_assert_cmpint (fq_test_last_seq (world->operator), ==, before);
  g_assert_cmpuint (count_external (world->operator, ok1), ==, 0);

  /* A real import of a file with bad rows is refused whole. */
  refused = post_import (world->operator, rows, "\"dry_run\":false");
  fq_test_assert_error (refused, 400, "bad_request");
  error = fq_test_obj_obj (fq_test_response_object (refused), "error");
  g_assert_cmpint (fq_test_obj_int (fq_test_obj_obj (error, "report"), "valid"), ==, 2);
  g_assert_cmpuint (json_array_get_length (fq_test_obj_array (fq_test_obj_obj (error, "report"),
                                                              "invalid")), ==, 4);
  g_assert_cmpint (fq_test_last_seq (world->operator), ==, before);
  g_assert_cmpuint (count_external (world->operator, ok1), ==, 0);

  /* Confirmed: the two valid rows, once each. */
  confirmed = post_import (world->operator, rows, "\"dry_run\":false,\"skip_invalid\":true");
  fq_test_assert_status (confirmed, 200);
  g_assert_cmpint (fq_test_obj_int (fq_test_response_object (confirmed), "imported"), ==, 2);
  g_assert_cmpint (fq_test_last_seq (world->operator), ==, before + 2);
  g_assert_cmpuint (count_external (world->operator, ok1), ==, 1);
  g_assert_cmpuint (count_external (world->operator, ok2), ==, 1);
  g_assert_cmpuint (fq_test_count_audit (world->admin, "hotline work orders"), >=, 1);

  /* The same file again: everything valid is now a duplicate (rows 1 and 2
   * of the earlier import, row 4 of row 1). */
  again = post_import (world->operator, rows, "\"dry_run\":true");
  fq_test_assert_status (again, 200);
  g_assert_cmpint (fq_test_obj_int (fq_test_response_object (again), "valid"), ==, 0);
  g_assert_cmpuint (json_array_get_length (fq_test_obj_array (fq_test_response_object (again),
                                                              "duplicates")), ==, 3);
  g_assert_nonnull (fq_test_obj_str (json_array_get_object_element (
                                       fq_test_obj_array (fq_test_response_object (again),
                                                          "duplicates"), 0), "incident"));
}

static void
test_roles_and_shape (void)
{
  FqTestWorld *world = fq_test_world_get ();
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) none = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(FqTestResponse) unit = NULL;
  g_autoptr(FqTestResponse) grid = NULL;
  g_autoptr(FqTestResponse) leader = NULL;
  g_autoptr(FqTestResponse) empty = NULL;
  g_autoptr(FqTestResponse) extra = NULL;
  g_autoptr(FqTestResponse) coordinator = NULL;
  g_autoptr(FqTestResponse) outside = NULL;
  g_autoptr(FqTestClient) narrow = NULL;
  g_autofree char *id = fq_test_unique ("WO");

  g_ptr_array_add (rows, row_json (id, FQ_TEST_GUANGZHOULU, "K04", "路灯不亮", "13800000009"));

  unit = post_import (world->unit, rows, NULL);
  fq_test_assert_error (unit, 403, "forbidden");
  grid = post_import (world->grid, rows, NULL);
  fq_test_assert_error (grid, 403, "forbidden");
  leader = post_import (world->leader, rows, NULL);
  fq_test_assert_error (leader, 403, "forbidden");
  empty = post_import (world->operator, none, NULL);
  fq_test_assert_error (empty, 422, "invalid_field");
  extra = post_import (world->operator, rows, "\"source\":\"110\"");
  fq_test_assert_error (extra, 422, "invalid_field");

  /* Without dry_run the request is a dry run: nothing is imported by
   * accident. */
  coordinator = post_import (world->coordinator, rows, NULL);
  fq_test_assert_status (coordinator, 200);
  g_assert_true (fq_test_obj_bool (fq_test_response_object (coordinator), "dry_run"));
  g_assert_cmpuint (count_external (world->operator, id), ==, 0);

  /* Scope holds: a row outside the caller's scope is invalid. */
  narrow = fq_test_create_user (world->admin, "operator", FQ_TEST_HUANGSHIGANG, NULL, NULL);
  outside = post_import (narrow, rows, "\"dry_run\":true");
  fq_test_assert_status (outside, 200);
  g_assert_cmpstr (fq_test_obj_str (json_array_get_object_element (
                                      fq_test_obj_array (fq_test_response_object (outside),
                                                         "invalid"), 0), "field"), ==, "grid");
}

/* Every grid-level code and every category that is not police-only. */
static void
pick_places (FqTestClient *client,
             GPtrArray    *grids,
             GPtrArray    *categories)
{
  g_autoptr(FqTestResponse) grid = fq_test_get (client, "/grid");
  g_autoptr(FqTestResponse) cats = fq_test_get (client, "/categories");
  JsonArray *nodes = fq_test_obj_array (fq_test_response_object (grid), "nodes");
  JsonArray *list = fq_test_obj_array (fq_test_response_object (cats), "categories");

  for (guint i = 0; i < json_array_get_length (nodes); i++)
    {
      JsonObject *node = json_array_get_object_element (nodes, i);

      if (g_strcmp0 (fq_test_obj_str (node, "level"), "grid") == 0 ||
          g_strcmp0 (fq_test_obj_str (node, "level"), "community") == 0)
        g_ptr_array_add (grids, g_strdup (fq_test_obj_str (node, "code")));
    }
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *category = json_array_get_object_element (list, i);

      if (!fq_test_obj_bool (category, "police_only"))
        g_ptr_array_add (categories, g_strdup (fq_test_obj_str (category, "code")));
    }
  g_assert_cmpuint (grids->len, >, 10);
  g_assert_cmpuint (categories->len, >, 10);
}

static void
test_ten_thousand (void)
{
  static const char * const summaries[] = {
    "楼上漏水到我家", "小区噪音扰民", "路灯不亮", "拖欠工资", "邻居占用楼道",
    "物业不作为", "装修噪音", "下水道堵塞", "违章搭建", "宠物扰民",
  };
  FqTestWorld *world = fq_test_world_get ();
  g_autoptr(GPtrArray) grids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) categories = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(FqTestResponse) failed = NULL;
  g_autoptr(FqTestResponse) done = NULL;
  g_autofree char *prefix = fq_test_unique ("BIG");
  g_autofree char *last_row = NULL;
  gint64 before, seq, expected;
  guint seen = 0;

  pick_places (world->operator, grids, categories);
  for (guint i = 0; i < BIG_ROWS; i++)
    {
      g_autofree char *id = g_strdup_printf ("%s-%05u", prefix, i);
      g_autofree char *phone = g_strdup_printf ("139%08u", i);

      g_ptr_array_add (rows, row_json (id, g_ptr_array_index (grids, i % grids->len),
                                       g_ptr_array_index (categories, i % categories->len),
                                       summaries[i % G_N_ELEMENTS (summaries)], phone));
    }

  /* One bad row at the very end: nothing of the 9,999 before it lands. */
  last_row = g_ptr_array_steal_index (rows, BIG_ROWS - 1);
  g_ptr_array_add (rows, g_strdup_printf ("{\"external_id\":\"%s-bad\",\"grid\":\"%s\","
                                          "\"summary\":\"x\",\"category\":\"NOPE\"}", prefix,
                                          (char *)g_ptr_array_index (grids, 0)));
  before = fq_test_last_seq (world->operator);
  failed = post_import (world->operator, rows, "\"dry_run\":false");
  fq_test_assert_error (failed, 400, "bad_request");
  g_assert_cmpint (fq_test_last_seq (world->operator), ==, before);

  g_free (g_ptr_array_steal_index (rows, BIG_ROWS - 1));
  g_ptr_array_add (rows, g_steal_pointer (&last_row));
  done = post_import (world->operator, rows, "\"dry_run\":false");
  fq_test_assert_status (done, 200);
  g_assert_cmpint (fq_test_obj_int (fq_test_response_object (done), "imported"), ==, BIG_ROWS);

  /* One transaction: the import's changes are one unbroken range of seqs,
   * every one of them a new incident of this file. */
  g_assert_cmpint (fq_test_last_seq (world->operator), ==, before + BIG_ROWS);
  seq = before;
  expected = before + 1;
  for (;;)
    {
      g_autoptr(FqTestResponse) page = fq_test_get (world->operator, "/changes?since=%" G_GINT64_FORMAT
                                                    "&limit=1000", seq);
      JsonArray *changes = fq_test_obj_array (fq_test_response_object (page), "changes");

      fq_test_assert_status (page, 200);
      for (guint i = 0; i < json_array_get_length (changes); i++)
        {
          JsonObject *change = json_array_get_object_element (changes, i);
          JsonObject *data = fq_test_obj_obj (change, "data");

          g_assert_cmpint (fq_test_obj_int (change, "seq"), ==, expected);
          g_assert_cmpstr (fq_test_obj_str (change, "entity"), ==, "incident");
          g_assert_cmpstr (fq_test_obj_str (data, "source"), ==, "12345");
          g_assert_true (g_str_has_prefix (fq_test_obj_str (data, "external_id"), prefix));
          expected++;
          seen++;
          seq = fq_test_obj_int (change, "seq");
        }
      if (!fq_test_obj_bool (fq_test_response_object (page), "more"))
        break;
    }
  g_assert_cmpuint (seen, ==, BIG_ROWS);
}

int
main (int   argc,
      char *argv[])
{
  int result;

  g_test_init (&argc, &argv, NULL);
  fq_test_require_server_binary ();

  g_test_add_func ("/import/report-and-confirm", test_report_and_confirm);
  g_test_add_func ("/import/roles-and-shape", test_roles_and_shape);
  g_test_add_func ("/import/ten-thousand", test_ten_thousand);

  result = g_test_run ();
  fq_test_world_free ();
  return result;
}
