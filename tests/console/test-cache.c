/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Test"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "fq-cache-private.h"
#include "fq-cache.h"

typedef struct
{
  char    *dir;
  char    *path;
  FqCache *cache;
} Fixture;

static void
wait_for (gboolean *flag)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (!*flag && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (*flag);
}

static void
open_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (fq_cache_open_finish (FQ_CACHE (object), result, &error));
  g_assert_no_error (error);
  *(gboolean *)user_data = TRUE;
}

static void
open_cache (Fixture *f)
{
  gboolean done = FALSE;

  g_clear_object (&f->cache);
  f->cache = fq_cache_new (f->path);
  fq_cache_open_async (f->cache, NULL, open_cb, &done);
  wait_for (&done);
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  f->dir = g_dir_make_tmp ("fq-test-cache-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
  f->path = g_build_filename (f->dir, "sub", "cache.db", NULL);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_autofree char *sub = g_build_filename (f->dir, "sub", NULL);
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (f->path, "-shm", NULL);

  if (f->cache != NULL)
    {
      fq_cache_close (f->cache);
      g_assert_finalize_object (g_steal_pointer (&f->cache));
    }
  g_unlink (f->path);
  g_unlink (wal);
  g_unlink (shm);
  g_rmdir (sub);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

/* A change object as /changes sends it. */
static JsonNode *
incident_change (gint64      seq,
                 const char *id,
                 const char *summary,
                 const char *status)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "seq");
  json_builder_add_int_value (b, seq);
  json_builder_set_member_name (b, "entity");
  json_builder_add_string_value (b, "incident");
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "op");
  json_builder_add_string_value (b, "upsert");
  json_builder_set_member_name (b, "data");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, "12345");
  json_builder_set_member_name (b, "received_at");
  json_builder_add_string_value (b, "2026-11-29T08:00:00Z");
  json_builder_set_member_name (b, "grid");
  json_builder_add_string_value (b, "420202002012");
  json_builder_set_member_name (b, "summary");
  json_builder_add_string_value (b, summary);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, status);
  json_builder_set_member_name (b, "decision");
  json_builder_add_null_value (b);
  json_builder_set_member_name (b, "rev");
  json_builder_add_int_value (b, 1);
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static JsonNode *
category_change (gint64      seq,
                 const char *code,
                 const char *name)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "seq");
  json_builder_add_int_value (b, seq);
  json_builder_set_member_name (b, "entity");
  json_builder_add_string_value (b, "category");
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "op");
  json_builder_add_string_value (b, "upsert");
  json_builder_set_member_name (b, "data");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, name);
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
apply_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (fq_cache_apply_changes_finish (FQ_CACHE (object), result, &error));
  g_assert_no_error (error);
  *(gboolean *)user_data = TRUE;
}

static void
apply (Fixture   *f,
       JsonArray *changes)
{
  gboolean done = FALSE;

  fq_cache_apply_changes_async (f->cache, changes, 0, NULL, apply_cb, &done);
  wait_for (&done);
}

static void
get_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  JsonObject **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = fq_cache_get_record_finish (FQ_CACHE (object), result, &error);
  if (*out == NULL)
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
      *out = json_object_new ();   /* marks "done, not found" */
    }
}

static JsonObject *
get_record (Fixture    *f,
            const char *entity,
            const char *id)
{
  JsonObject *obj = NULL;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  fq_cache_get_record_async (f->cache, entity, id, NULL, get_cb, &obj);
  while (obj == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (obj);
  return obj;
}

static void
records_changed_cb (FqCache      *cache,
                    FqCacheBatch *batch,
                    guint        *n)
{
  *n += batch->incidents->len;
}

static void
test_open_apply_reopen (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(JsonObject) inc = NULL;
  g_autoptr(JsonObject) missing = NULL;
  JsonArray *changes;
  guint n_incidents = 0;

  open_cache (f);
  g_assert_false (fq_cache_get_recreated (f->cache));
  g_assert_cmpint (fq_cache_get_last_seq (f->cache), ==, 0);

  g_signal_connect (f->cache, "records-changed", G_CALLBACK (records_changed_cb), &n_incidents);

  changes = json_array_new ();
  json_array_add_element (changes, incident_change (1, "I1", "邻里噪音纠纷", "new"));
  json_array_add_element (changes, incident_change (2, "I2", "楼道堆物", "new"));
  json_array_add_element (changes, category_change (3, "C01", "邻里纠纷"));
  apply (f, changes);

  g_assert_cmpint (fq_cache_get_last_seq (f->cache), ==, 3);
  g_assert_cmpuint (n_incidents, ==, 2);
  g_assert_nonnull (fq_cache_lookup_ref (f->cache, "category", "C01"));

  /* A replayed change (seq already stored) is skipped. */
  changes = json_array_new ();
  json_array_add_element (changes, incident_change (2, "I2", "should not win", "new"));
  apply (f, changes);
  g_assert_cmpuint (n_incidents, ==, 2);

  inc = get_record (f, "incident", "I2");
  g_assert_cmpstr (json_object_get_string_member (inc, "summary"), ==, "楼道堆物");
  missing = get_record (f, "incident", "nope");
  g_assert_false (json_object_has_member (missing, "id"));

  /* Reopened, without any server: the data and last seq are still there. */
  fq_cache_close (f->cache);
  open_cache (f);
  g_assert_false (fq_cache_get_recreated (f->cache));
  g_assert_cmpint (fq_cache_get_last_seq (f->cache), ==, 3);
  g_assert_nonnull (fq_cache_lookup_ref (f->cache, "category", "C01"));
  g_clear_pointer (&inc, json_object_unref);
  inc = get_record (f, "incident", "I1");
  g_assert_cmpstr (json_object_get_string_member (inc, "summary"), ==, "邻里噪音纠纷");
}

/* A page applied with its text: each change's data is stored as it stands
 * in the page, and reads back as the parsed data; a change whose data the
 * walk cannot name (an escaped key) is serialised from the tree instead. */
static void
test_apply_page_text (Fixture       *f,
                      gconstpointer  data)
{
  const char *text =
    "{\"changes\":[\n"
    " {\"seq\":1,\"entity\":\"incident\",\"id\":\"I1\",\"op\":\"upsert\",\"data\":"
    "{\"id\":\"I1\",\"source\":\"12345\",\"received_at\":\"2026-11-29T08:00:00Z\","
    "\"grid\":\"420202002012\",\"summary\":\"\\u90bb\\u91cc \\\"}{\\\" 噪音\",\"status\":\"new\","
    "\"decision\":null,\"rev\":1}},\n"
    " {\"seq\":2,\"entity\":\"category\",\"id\":\"C01\",\"op\":\"upsert\","
    "\"d\\u0061ta\":{\"code\":\"C01\",\"name\":\"旧\"},\"data\":{\"code\":\"C01\",\"name\":\"邻里纠纷\"}},\n"
    " {\"seq\":3,\"entity\":\"incident\",\"id\":\"I2\",\"op\":\"upsert\",\"data\":"
    "{\"id\":\"I2\",\"source\":\"110\",\"received_at\":\"2026-11-29T09:00:00Z\","
    "\"grid\":\"420202002012\",\"summary\":\"楼道\\\\堆物\",\"status\":\"new\",\"rev\":1}}\n"
    "],\"last_seq\":3,\"more\":false}";
  g_autoptr(GBytes) page = g_bytes_new_static (text, strlen (text));
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(JsonObject) i1 = NULL;
  g_autoptr(JsonObject) i2 = NULL;
  g_autoptr(JsonObject) c01 = NULL;
  JsonArray *changes;
  gboolean done = FALSE;

  open_cache (f);
  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  changes = json_array_ref (json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                                          "changes"));
  g_clear_object (&parser);
  fq_cache_apply_page_async (f->cache, changes, page, 3, NULL, apply_cb, &done);
  wait_for (&done);
  g_assert_cmpint (fq_cache_get_last_seq (f->cache), ==, 3);

  i1 = get_record (f, "incident", "I1");
  g_assert_cmpstr (json_object_get_string_member (i1, "summary"), ==, "邻里 \"}{\" 噪音");
  g_assert_cmpstr (json_object_get_string_member (i1, "received_at"), ==, "2026-11-29T08:00:00Z");
  g_assert_true (json_object_get_null_member (i1, "decision"));
  i2 = get_record (f, "incident", "I2");
  g_assert_cmpstr (json_object_get_string_member (i2, "summary"), ==, "楼道\\堆物");
  c01 = get_record (f, "category", "C01");
  g_assert_cmpstr (json_object_get_string_member (c01, "name"), ==, "邻里纠纷");

  /* The text stored is the page's own (its escapes kept), not a
   * serialisation of the parsed data (which would write the characters). */
  {
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_open_v2 (f->path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT json FROM incident_json WHERE id = 'I1'", -1,
                                         &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_nonnull (strstr ((const char *)sqlite3_column_text (stmt, 0), "\\u90bb\\u91cc"));
    sqlite3_finalize (stmt);
    sqlite3_close (db);
  }
}

static void
test_corrupt_recreated (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *dir = g_path_get_dirname (f->path);
  g_autoptr(GError) error = NULL;
  JsonArray *changes;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_file_set_contents (f->path, "this is not an SQLite database, only text that is long enough "
                       "to look like a header of one hundred bytes or more, padded .........", -1,
                       &error);
  g_assert_no_error (error);

  open_cache (f);
  g_assert_true (fq_cache_get_recreated (f->cache));
  g_assert_cmpint (fq_cache_get_last_seq (f->cache), ==, 0);

  /* And it works. */
  changes = json_array_new ();
  json_array_add_element (changes, incident_change (7, "I7", "x", "new"));
  apply (f, changes);
  g_assert_cmpint (fq_cache_get_last_seq (f->cache), ==, 7);
}

static void
test_foreign_recreated (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *dir = g_path_get_dirname (f->path);
  sqlite3 *db = NULL;

  /* A valid SQLite file of some other program. */
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE t (x); INSERT INTO t VALUES (1);",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  open_cache (f);
  g_assert_true (fq_cache_get_recreated (f->cache));
}

static void
outbox_load_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  GPtrArray **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = fq_cache_outbox_load_finish (FQ_CACHE (object), result, &error);
  g_assert_no_error (error);
}

static void
test_outbox_order (Fixture       *f,
                   gconstpointer  data)
{
  FqOutboxRec rec = { 0 };
  GPtrArray *recs = NULL;
  gint64 deadline;

  open_cache (f);

  rec.method = (char *)"POST";
  rec.path = (char *)"/incidents/I1/triage";
  rec.body = (char *)"{\"decision\":\"police\"}";
  rec.entity = (char *)"incident";
  rec.entity_id = (char *)"I1";
  rec.key = (char *)"k2";
  rec.position = 2;
  fq_cache_outbox_put (f->cache, &rec);
  rec.key = (char *)"k1";
  rec.position = 1;
  fq_cache_outbox_put (f->cache, &rec);
  rec.key = (char *)"k3";
  rec.position = 3;
  fq_cache_outbox_put (f->cache, &rec);
  fq_cache_outbox_remove (f->cache, "k3");

  /* Survives a restart, in position order. */
  fq_cache_close (f->cache);
  open_cache (f);

  fq_cache_outbox_load_async (f->cache, NULL, outbox_load_cb, &recs);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (recs == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  g_assert_nonnull (recs);
  g_assert_cmpuint (recs->len, ==, 2);
  g_assert_cmpstr (((FqOutboxRec *)recs->pdata[0])->key, ==, "k1");
  g_assert_cmpstr (((FqOutboxRec *)recs->pdata[1])->key, ==, "k2");
  g_assert_cmpstr (((FqOutboxRec *)recs->pdata[1])->body, ==, "{\"decision\":\"police\"}");
  g_ptr_array_unref (recs);
}

static void
test_parse_time (void)
{
  g_assert_cmpint (fq_cache_parse_time ("1970-01-01T00:00:00Z"), ==, 0);
  g_assert_cmpint (fq_cache_parse_time ("2026-11-29T08:00:00Z"), ==, 1795939200);
  g_assert_cmpint (fq_cache_parse_time ("2024-02-29T23:59:59Z"), ==, 1709251199);
  g_assert_cmpint (fq_cache_parse_time ("2026-11-29T16:00:00+08:00"), ==, 1795939200);
  g_assert_cmpint (fq_cache_parse_time ("garbage"), ==, 0);
  g_assert_cmpint (fq_cache_parse_time (NULL), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cache/parse-time", test_parse_time);
  g_test_add ("/cache/open-apply-reopen", Fixture, NULL, setup, test_open_apply_reopen, teardown);
  g_test_add ("/cache/apply-page-text", Fixture, NULL, setup, test_apply_page_text, teardown);
  g_test_add ("/cache/corrupt-recreated", Fixture, NULL, setup, test_corrupt_recreated, teardown);
  g_test_add ("/cache/foreign-recreated", Fixture, NULL, setup, test_foreign_recreated, teardown);
  g_test_add ("/cache/outbox-order", Fixture, NULL, setup, test_outbox_order, teardown);

  return g_test_run ();
}
