/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Online backup and restore: `fengqiao-server --backup FILE` taken while
 * writers keep the server busy; the copy, put into a new data directory,
 * starts a server that answers /changes exactly as the original did up to
 * the copy's last seq, has a new epoch (GET /health), and passes SQLite's
 * integrity check.
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "fq-test-server.h"

#define WRITERS 2
#define MAX_PER_WRITER 4000

typedef struct
{
  char  *url;
  char  *token;
  guint  index;
  gint   stop;
  guint  created;
} Writer;

static gpointer
writer_thread (gpointer data)
{
  Writer *w = data;
  g_autoptr(FqTestClient) c = fq_test_client_new (w->url);

  fq_test_client_set_token (c, w->token);
  for (guint i = 0; i < MAX_PER_WRITER && !g_atomic_int_get (&w->stop); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"source\":\"12345\",\"grid\":\"%s\","
                                               "\"summary\":\"备份 %u-%u\","
                                               "\"caller_phone\":\"1380000%04u\"}",
                                               FQ_TEST_GUANGZHOULU, w->index, i, i % 10000);
      g_autoptr(FqTestResponse) resp = fq_test_post (c, "/incidents", body);

      g_assert_cmpuint (resp->status, ==, 201);
      g_atomic_int_inc (&w->created);
    }
  return NULL;
}

/* Runs `fengqiao-server --data @data_dir --backup @file`; returns the
 * last_seq of its BACKUP line. */
static gint64
run_backup (const char *data_dir,
            const char *file)
{
  const char *args[] = { "--backup", file, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *field;
  int status;

  status = fq_test_run_server_command (data_dir, args, NULL, 120, &out, &err);
  g_test_message ("%s%s", out, err);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (g_str_has_prefix (out, "BACKUP "));
  field = strstr (out, "last_seq=");
  g_assert_nonnull (field);
  return g_ascii_strtoll (field + strlen ("last_seq="), NULL, 10);
}

/* The change objects of /changes with seq ≤ @upto, each as JSON text. */
static GPtrArray *
changes_upto (FqTestClient *client,
              gint64        upto)
{
  GPtrArray *texts = g_ptr_array_new_with_free_func (g_free);
  gint64 since = 0;

  for (;;)
    {
      g_autoptr(FqTestResponse) resp = fq_test_get (client, "/changes?since=%" G_GINT64_FORMAT
                                                            "&limit=1000", since);
      JsonObject *obj = fq_test_response_object (resp);
      JsonArray *changes = fq_test_obj_array (obj, "changes");
      guint n;

      fq_test_assert_status (resp, 200);
      g_assert_nonnull (changes);
      n = json_array_get_length (changes);
      for (guint i = 0; i < n; i++)
        {
          JsonNode *node = json_array_get_element (changes, i);
          gint64 seq = fq_test_obj_int (json_node_get_object (node), "seq");

          if (seq > upto)
            return texts;
          g_ptr_array_add (texts, json_to_string (node, FALSE));
          since = seq;
        }
      if (!fq_test_obj_bool (obj, "more") || n == 0)
        return texts;
    }
}

static char *
health_epoch (FqTestClient *client,
              gint64       *last_seq)
{
  g_autoptr(FqTestResponse) resp = fq_test_get (client, "/health");
  JsonObject *obj = fq_test_response_object (resp);

  fq_test_assert_status (resp, 200);
  if (last_seq != NULL)
    *last_seq = fq_test_obj_int (obj, "last_seq");
  g_assert_nonnull (fq_test_obj_str (obj, "epoch"));
  return g_strdup (fq_test_obj_str (obj, "epoch"));
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
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 0), ==, "ok");
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static void
test_backup_under_load (void)
{
  static const char * const args[] = {
    "--demo", "--demo-history-months", "0", "--demo-feed-rate", "0", NULL
  };
  g_autoptr(FqTestServer) original = fq_test_server_new (args);
  g_autoptr(FqTestServer) restored = NULL;
  g_autoptr(FqTestClient) op = NULL;
  g_autoptr(FqTestClient) admin = NULL;
  g_autoptr(FqTestClient) admin2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autofree char *backup_dir = g_dir_make_tmp ("fq-backup-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (backup_dir, "copy.db", NULL);
  g_autofree char *restored_db = NULL;
  g_autofree char *epoch1 = NULL;
  g_autofree char *epoch2 = NULL;
  g_autofree char *contents = NULL;
  Writer writers[WRITERS];
  GThread *threads[WRITERS];
  gint64 backup_seq, seq_at_backup, restored_last_seq, original_last_seq;
  gsize length;
  GStatBuf st;

  g_assert_true (fq_test_server_start (original, 60, &error));
  g_assert_no_error (error);
  op = fq_test_client_new_login (fq_test_server_get_url (original), "operator",
                                 FQ_TEST_DEMO_PASSWORD);
  admin = fq_test_client_new_login (fq_test_server_get_url (original), "admin",
                                    FQ_TEST_DEMO_PASSWORD);

  for (guint i = 0; i < WRITERS; i++)
    {
      writers[i] = (Writer) { g_strdup (fq_test_server_get_url (original)),
                              g_strdup (fq_test_client_get_token (op)), i, 0, 0 };
      threads[i] = g_thread_new ("writer", writer_thread, &writers[i]);
    }

  /* The backup runs while the writers write. */
  while (g_atomic_int_get (&writers[0].created) + g_atomic_int_get (&writers[1].created) < 200)
    g_usleep (10 * 1000);
  seq_at_backup = fq_test_last_seq (admin);
  backup_seq = run_backup (fq_test_server_get_data_dir (original), file);
  g_test_message ("backup at seq %" G_GINT64_FORMAT " (the server was at %" G_GINT64_FORMAT
                  " when it began)", backup_seq, seq_at_backup);
  g_assert_cmpint (backup_seq, >=, seq_at_backup);

  /* More writes after the copy: the restored server must not have them. */
  while (fq_test_last_seq (admin) < backup_seq + 100)
    g_usleep (10 * 1000);
  for (guint i = 0; i < WRITERS; i++)
    {
      g_atomic_int_set (&writers[i].stop, 1);
      g_thread_join (threads[i]);
      g_test_message ("writer %u: %u incidents", i, writers[i].created);
      g_free (writers[i].url);
      g_free (writers[i].token);
    }

  /* The copy is private, complete and checked. */
  g_assert_cmpint (g_stat (file, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0077, ==, 0);
  {
    g_autofree char *part = g_strconcat (file, ".part", NULL);

    g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  }
  check_integrity (file);

  /* Restore as the guide says: a new data directory, the copy as its
   * database, start. */
  restored = fq_test_server_new (NULL);
  restored_db = g_build_filename (fq_test_server_get_data_dir (restored), "fengqiao.db", NULL);
  g_assert_true (g_file_get_contents (file, &contents, &length, NULL));
  g_assert_true (g_file_set_contents_full (restored_db, contents, length,
                                           G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));
  g_assert_true (fq_test_server_start (restored, 60, &error));
  g_assert_no_error (error);
  admin2 = fq_test_client_new_login (fq_test_server_get_url (restored), "admin",
                                     FQ_TEST_DEMO_PASSWORD);

  epoch1 = health_epoch (admin, &original_last_seq);
  epoch2 = health_epoch (admin2, &restored_last_seq);
  g_assert_cmpint (restored_last_seq, ==, backup_seq);
  g_assert_cmpint (original_last_seq, >, backup_seq);
  g_assert_cmpstr (epoch1, !=, epoch2);

  /* The same feed up to the copy's seq, change for change. */
  before = changes_upto (admin, backup_seq);
  after = changes_upto (admin2, backup_seq);
  g_test_message ("%u changes compared", before->len);
  g_assert_cmpuint (before->len, ==, after->len);
  g_assert_cmpuint (before->len, >, 200);
  for (guint i = 0; i < before->len; i++)
    g_assert_cmpstr (g_ptr_array_index (before, i), ==, g_ptr_array_index (after, i));

  /* The restored server takes writes, numbered after the copy's seq. */
  {
    g_autoptr(FqTestClient) op2 = fq_test_client_new_login (fq_test_server_get_url (restored),
                                                            "operator", FQ_TEST_DEMO_PASSWORD);
    g_autoptr(JsonObject) incident = fq_test_create_incident (op2, FQ_TEST_GUANGZHOULU, NULL);

    g_assert_nonnull (incident);
    g_assert_cmpint (fq_test_last_seq (admin2), >, backup_seq);
  }

  /* Checking the copy opened it in WAL mode, which leaves its -wal and
   * -shm beside it. */
  fq_test_remove_tree (backup_dir);
}

static void
test_backup_refuses_missing (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fq-backup-XXXXXX", NULL);
  g_autofree char *file = g_build_filename (dir, "copy.db", NULL);
  g_autofree char *db = g_build_filename (dir, "fengqiao.db", NULL);
  const char *args[] = { "--backup", file, NULL };
  g_autofree char *err = NULL;

  /* A directory without a database: an error, and no empty database made. */
  g_assert_cmpint (fq_test_run_server_command (dir, args, NULL, 60, NULL, &err), !=, 0);
  g_assert_nonnull (strstr (err, "no database"));
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (db, G_FILE_TEST_EXISTS));
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  fq_test_require_server_binary ();

  g_test_add_func ("/backup/under-load", test_backup_under_load);
  g_test_add_func ("/backup/refuses-missing", test_backup_refuses_missing);

  return g_test_run ();
}
