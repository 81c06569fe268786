/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * A full disk: the server's database is capped a few dozen pages above its
 * size (FQ_TEST_MAX_PAGE_COUNT, a test-only setting that becomes
 * PRAGMA max_page_count), then written until SQLite says SQLITE_FULL.
 * Each write that does not fit is answered 503 with the API's error object
 * (`unavailable`, "the disk is full"); reads are still served; every write
 * answered 201 is stored and nothing of the refused ones is; the database
 * passes PRAGMA integrity_check; and once there is room again (a restart
 * without the cap), writes work.
 */

#include "config.h"

#include <string.h>

#include <sqlite3.h>

#include "fq-test-server.h"

#define MAX_WRITES 20000
#define HEADROOM_PAGES 40

static gint64
query_int (const char *path,
           const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

static void
check_integrity (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_test_message ("integrity_check: %s", (const char *)sqlite3_column_text (stmt, 0));
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 0), ==, "ok");
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static gint64
count_summary (const char *path,
               const char *like)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM incidents WHERE summary LIKE '%s'",
                                          like);

  return query_int (path, sql);
}

static void
test_disk_full (void)
{
  static const char * const args[] = {
    "--demo", "--demo-history-months", "0", "--demo-feed-rate", "0", NULL
  };
  g_autoptr(FqTestServer) server = fq_test_server_new (args);
  g_autoptr(FqTestClient) op = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) stored = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *db_path = NULL;
  g_autofree char *cap = NULL;
  g_autofree char *refused_summary = NULL;
  gint64 pages;
  guint refused = 0;

  /* The server's warnings about the failed writes go to its log; they are
   * what an administrator should see, not a failure of this test. */
  g_setenv ("G_DEBUG", "gc-friendly", TRUE);

  /* A first start makes the database; its size sets the cap. */
  g_assert_true (fq_test_server_start (server, 60, &error));
  g_assert_no_error (error);
  g_assert_true (fq_test_server_stop (server));
  db_path = g_build_filename (fq_test_server_get_data_dir (server), "fengqiao.db", NULL);
  pages = query_int (db_path, "PRAGMA page_count");
  cap = g_strdup_printf ("%" G_GINT64_FORMAT, pages + HEADROOM_PAGES);
  g_test_message ("database: %" G_GINT64_FORMAT " pages, capped at %s", pages, cap);

  g_setenv ("FQ_TEST_MAX_PAGE_COUNT", cap, TRUE);
  g_assert_true (fq_test_server_start (server, 60, &error));
  g_unsetenv ("FQ_TEST_MAX_PAGE_COUNT");
  g_assert_no_error (error);
  op = fq_test_client_new_login (fq_test_server_get_url (server), "operator",
                                 FQ_TEST_DEMO_PASSWORD);

  for (guint i = 0; i < MAX_WRITES; i++)
    {
      g_autofree char *summary = g_strdup_printf ("满盘 %05u 楼道堆放杂物影响通行", i);
      g_autofree char *body = g_strdup_printf ("{\"source\":\"12345\",\"grid\":\"%s\","
                                               "\"summary\":\"%s\",\"address\":\"广州路%u号\","
                                               "\"description\":\"%s\"}",
                                               FQ_TEST_GUANGZHOULU, summary, i, summary);
      g_autoptr(FqTestResponse) resp = fq_test_post (op, "/incidents", body);

      if (resp->status == 201)
        {
          g_ptr_array_add (stored, g_strdup (fq_test_obj_str (fq_test_response_object (resp),
                                                              "id")));
          continue;
        }

      /* The full disk, said as the API says errors. */
      fq_test_assert_error (resp, 503, "unavailable");
      g_assert_nonnull (strstr (fq_test_obj_str (fq_test_obj_obj (fq_test_response_object (resp),
                                                                  "error"), "message"),
                                "disk is full"));
      refused_summary = g_steal_pointer (&summary);
      refused++;
      break;
    }
  g_test_message ("%u incidents stored before the disk was full", stored->len);
  g_assert_cmpuint (refused, ==, 1);
  g_assert_cmpuint (stored->len, >, 0);

  /* Still full: another write is refused the same way, not half-done. */
  {
    g_autoptr(FqTestResponse) resp = fq_test_postf (op, "/incidents",
                                                    "{'source':'12345','grid':'%s',"
                                                    "'summary':'满盘 again'}",
                                                    FQ_TEST_GUANGZHOULU);

    fq_test_assert_error (resp, 503, "unavailable");
  }

  /* Reads are served: the list, each stored incident, the feed, health. */
  {
    g_autoptr(FqTestResponse) list = fq_test_get (op, "/incidents?limit=10");
    g_autoptr(FqTestResponse) health = fq_test_get (op, "/health");
    g_autoptr(FqTestResponse) changes = fq_test_get (op, "/changes?since=0&limit=10");

    fq_test_assert_status (list, 200);
    fq_test_assert_status (health, 200);
    fq_test_assert_status (changes, 200);
    for (guint i = 0; i < stored->len; i++)
      {
        g_autoptr(FqTestResponse) one = fq_test_get (op, "/incidents/%s",
                                                     (char *)g_ptr_array_index (stored, i));

        fq_test_assert_status (one, 200);
      }
  }

  /* Nothing corrupt, everything acknowledged kept, nothing refused kept. */
  g_assert_true (fq_test_server_stop (server));
  check_integrity (db_path);
  g_assert_cmpint (count_summary (db_path, "满盘 %"), ==, stored->len);
  {
    g_autofree char *like = g_strdup_printf ("%s%%", refused_summary);

    g_assert_cmpint (count_summary (db_path, like), ==, 0);
  }

  /* Room again: the same server takes writes. */
  g_assert_true (fq_test_server_start (server, 60, &error));
  g_assert_no_error (error);
  g_clear_pointer (&op, fq_test_client_free);
  op = fq_test_client_new_login (fq_test_server_get_url (server), "operator",
                                 FQ_TEST_DEMO_PASSWORD);
  {
    g_autoptr(JsonObject) incident = fq_test_create_incident (op, FQ_TEST_GUANGZHOULU, NULL);

    g_assert_nonnull (incident);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  fq_test_require_server_binary ();

  g_test_add_func ("/diskfull/503-and-intact", test_disk_full);

  return g_test_run ();
}
