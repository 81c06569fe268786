/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The store's schema (src/server/fq-store.c, fq-schema-domain.c) as the
 * reads of one ticket need it: its timeline and its incidents are each
 * answered from one index, in order, without a row lookup in the table or
 * a sort; a data directory made before those indexes gets them when the
 * server next opens it, with its rows read back as before; and a demo data
 * directory, whose history is written before its indexes are built, ends
 * with the same schema as the migrations make.
 */
#include "config.h"

#include <string.h>

#include "fq-entities.h"
#include "fq-store.h"
#include "fq-test-server.h"
#include "fq-test-sqlite.h"

/* The query plan of @sql, one line per step. */
static char *
query_plan (sqlite3    *db,
            const char *sql)
{
  g_autofree char *explain = g_strconcat ("EXPLAIN QUERY PLAN ", sql, NULL);
  g_autoptr(GString) plan = g_string_new (NULL);
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, explain, -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (plan, "%s\n", (const char *)sqlite3_column_text (stmt, 3));
  sqlite3_finalize (stmt);
  return g_string_free (g_steal_pointer (&plan), FALSE);
}

/* Whether @sql reads nothing but an index, and needs no sort of its own. */
static gboolean
read_from_index_alone (sqlite3    *db,
                       const char *sql)
{
  g_autofree char *plan = query_plan (db, sql);

  g_test_message ("%s\n→ %s", sql, plan);
  return strstr (plan, "USING COVERING INDEX") != NULL && strstr (plan, "TEMP B-TREE") == NULL;
}

/* The rows of ticket T1 the way a read asks for them, as "id,id,…". */
static char *
rows_of_ticket (sqlite3    *db,
                const char *sql)
{
  g_autoptr(GString) ids = g_string_new (NULL);
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, "T1", -1, SQLITE_STATIC);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (ids, "%s%s", ids->len > 0 ? "," : "", (const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return g_string_free (g_steal_pointer (&ids), FALSE);
}

static sqlite3 *
open_store (const char *path)
{
  g_autoptr(GError) error = NULL;
  sqlite3 *db = fq_store_open (path, &error);

  g_assert_no_error (error);
  g_assert_true (fq_store_migrate (db, &error));
  g_assert_no_error (error);
  return db;
}

static void
test_read_plans (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fq-schema-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, FQ_STORE_FILENAME, NULL);
  sqlite3 *db = open_store (path);

  g_assert_true (read_from_index_alone (db, FQ_TICKET_TIMELINE_SQL));
  g_assert_true (read_from_index_alone (db, FQ_TICKET_INCIDENTS_SQL));

  fq_store_close (db);
  fq_test_remove_tree (dir);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
}

/* Rows of ticket T1 (and of another, T2) written out of order: the reads
 * give them back by time, then id, before and after the migration. */
static void
insert_rows (sqlite3 *db)
{
  static const char * const incidents[][3] = {
    /* id, ticket, received_at */
    { "I261130-000003", "T1", "1700000300" },
    { "I261130-000001", "T1", "1700000100" },
    { "I261130-000002", "T2", "1700000200" },
    { "I261130-000004", NULL, "1700000050" },
    { "I261130-000000", "T1", "1700000300" },
  };
  static const char * const events[][3] = {
    /* id, ticket, at */
    { "14", "T1", "1700000500" },
    { "11", "T1", "1700000100" },
    { "12", "T2", "1700000100" },
    { "13", "T1", "1700000500" },
    { "10", "T1", "1700000400" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (incidents); i++)
    {
      g_autofree char *sql = g_strdup_printf (
        "INSERT INTO incidents (id, source, received_at, grid, summary, ticket, created_at, updated_at) "
        "VALUES ('%s', 'hotline', %s, '420202001001', '楼上噪音', %s%s%s, %s, %s)",
        incidents[i][0], incidents[i][2], incidents[i][1] ? "'" : "", incidents[i][1] ? incidents[i][1] : "NULL",
        incidents[i][1] ? "'" : "", incidents[i][2], incidents[i][2]);

      fq_test_sql_exec (db, sql);
    }
  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    {
      g_autofree char *sql = g_strdup_printf (
        "INSERT INTO events (id, ticket, at, kind, note) VALUES (%s, '%s', %s, 'comment', '已电话回访')",
        events[i][0], events[i][1], events[i][2]);

      fq_test_sql_exec (db, sql);
    }
}

/* FQ_TICKET_TIMELINE_SQL before domain migration 5 gave events their
 * actor's name. */
#define TIMELINE_BEFORE_SQL \
  "SELECT id, ticket, at, kind, actor, unit, note, data FROM events " \
  "WHERE ticket = ? ORDER BY at, id"

static void
test_migrate_read_indexes (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fq-schema-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, FQ_STORE_FILENAME, NULL);
  g_autofree char *timeline = NULL;
  g_autofree char *incidents = NULL;
  sqlite3 *db = open_store (path);
  int version = (int)fq_test_sql_int (db, "PRAGMA user_version");
  g_autofree char *older = NULL;

  insert_rows (db);
  /* The data directory as domain migration 3 left it: migrations 4 (the
   * read indexes) and 5 (the actor's name) are still to run. */
  fq_test_sql_exec (db, "DROP INDEX events_timeline;"
                        "ALTER TABLE events DROP COLUMN actor_name;"
                        "DROP INDEX incidents_ticket;"
                        "CREATE INDEX events_ticket ON events (ticket, at, id);"
                        "CREATE INDEX incidents_ticket ON incidents (ticket) WHERE ticket IS NOT NULL;");
  older = g_strdup_printf ("PRAGMA user_version = %d", version - 2);
  fq_test_sql_exec (db, older);
  g_assert_false (read_from_index_alone (db, TIMELINE_BEFORE_SQL));
  g_assert_false (read_from_index_alone (db, FQ_TICKET_INCIDENTS_SQL));
  timeline = rows_of_ticket (db, TIMELINE_BEFORE_SQL);
  incidents = rows_of_ticket (db, FQ_TICKET_INCIDENTS_SQL);
  g_assert_cmpstr (timeline, ==, "11,10,13,14");
  g_assert_cmpstr (incidents, ==, "I261130-000001,I261130-000000,I261130-000003");
  fq_store_close (db);

  /* The server opens it again. */
  db = open_store (path);
  g_assert_cmpint ((int)fq_test_sql_int (db, "PRAGMA user_version"), ==, version);
  g_assert_true (read_from_index_alone (db, FQ_TICKET_TIMELINE_SQL));
  g_assert_true (read_from_index_alone (db, FQ_TICKET_INCIDENTS_SQL));
  {
    g_autofree char *timeline_after = rows_of_ticket (db, FQ_TICKET_TIMELINE_SQL);
    g_autofree char *incidents_after = rows_of_ticket (db, FQ_TICKET_INCIDENTS_SQL);

    g_assert_cmpstr (timeline_after, ==, timeline);
    g_assert_cmpstr (incidents_after, ==, incidents);
  }
  fq_store_close (db);
  fq_test_remove_tree (dir);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
}

/* Every table, index and trigger as "type name ON table: sql", a line
 * each, sorted. */
static char *
schema_text (sqlite3 *db)
{
  g_autoptr(GString) text = g_string_new (NULL);
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "SELECT type, name, tbl_name, coalesce (sql, '')"
                                       " FROM sqlite_schema ORDER BY type, name",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (text, "%s %s ON %s: %s\n", sqlite3_column_text (stmt, 0),
                            sqlite3_column_text (stmt, 1), sqlite3_column_text (stmt, 2),
                            sqlite3_column_text (stmt, 3));
  sqlite3_finalize (stmt);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
test_demo_schema (void)
{
  static const char * const args[] = {
    "--demo", "--demo-history-months", "1", "--demo-feed-rate", "0", NULL
  };
  g_autoptr(FqTestServer) server = fq_test_server_new (args);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("fq-schema-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, FQ_STORE_FILENAME, NULL);
  g_autofree char *demo_path = NULL;
  g_autofree char *migrated = NULL;
  g_autofree char *demo = NULL;
  g_autofree char *check = NULL;
  sqlite3 *db;

  db = open_store (path);
  migrated = schema_text (db);
  fq_store_close (db);

  g_assert_true (fq_test_server_start (server, 60, &error));
  g_assert_no_error (error);
  fq_test_server_stop (server);
  demo_path = g_build_filename (fq_test_server_get_data_dir (server), FQ_STORE_FILENAME, NULL);
  g_assert_cmpint (sqlite3_open_v2 (demo_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  demo = schema_text (db);
  check = fq_test_sql_text (db, "PRAGMA integrity_check");
  g_assert_cmpint (fq_test_sql_int (db, "SELECT count(*) FROM incidents"), >, 1000);
  g_assert_cmpint (fq_test_sql_int (db, "SELECT count(*) FROM sqlite_schema WHERE type = 'index'"
                                        " AND tbl_name = 'incidents'"), >=, 9);
  sqlite3_close (db);

  g_assert_cmpstr (check, ==, "ok");
  g_assert_cmpstr (demo, ==, migrated);
  fq_test_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/store/read-plans", test_read_plans);
  g_test_add_func ("/server/store/migrate-read-indexes", test_migrate_read_indexes);
  g_test_add_func ("/server/store/demo-schema", test_demo_schema);

  return g_test_run ();
}
