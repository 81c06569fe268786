/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Nothing lost: a burst of concurrent writes, SIGKILL mid-burst, a restart
 * on the same data directory; every write that was answered 201 (or 200 for
 * an action) is there, the change feed still has no gap, and SQLite's
 * integrity check of every database file is "ok". The same for SIGTERM,
 * which must end the server cleanly (status 0) while requests are in
 * flight. And one server to a data directory.
 */

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "fq-test-server.h"

#define WRITERS 4
#define MAX_PER_WRITER 5000

typedef struct
{
  char     *url;
  char     *token;
  guint     index;
  GPtrArray *ids;
  gint      stop;
  guint     errors;
} Writer;

static gpointer
writer_thread (gpointer data)
{
  Writer *w = data;
  g_autoptr(FqTestClient) c = fq_test_client_new (w->url);

  fq_test_client_set_token (c, w->token);

  for (guint i = 0; i < MAX_PER_WRITER && !g_atomic_int_get (&w->stop); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"source\":\"12345\",\"grid\":\"%s\",\"summary\":\"持久 %u-%u %08x\","
                                               "\"external_id\":\"dur-%u-%u\"}",
                                               FQ_TEST_GUANGZHOULU, w->index, i, g_random_int (), w->index, i);
      g_autoptr(FqTestResponse) resp = fq_test_post (c, "/incidents", body);

      if (resp->status == 201)
        g_ptr_array_add (w->ids, g_strdup (fq_test_obj_str (fq_test_response_object (resp), "id")));
      else
        {
          /* The server is gone: stop. */
          w->errors++;
          if (resp->status == 0)
            break;
        }
    }

  return NULL;
}

static void
check_integrity (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL);
  g_assert_cmpint (rc, ==, SQLITE_OK);
  rc = sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL);
  g_assert_cmpint (rc, ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_test_message ("%s: %s", path, (const char *)sqlite3_column_text (stmt, 0));
  g_assert_cmpstr ((const char *)sqlite3_column_text (stmt, 0), ==, "ok");
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static void
test_kill_mid_burst (void)
{
  static const char * const args[] = {
    "--demo", "--demo-history-months", "0", "--demo-feed-rate", "0", NULL
  };
  g_autoptr(FqTestServer) server = fq_test_server_new (args);
  g_autoptr(GError) error = NULL;
  g_autoptr(FqTestClient) op = NULL;
  g_autoptr(FqTestClient) leader = NULL;
  g_auto(GStrv) dbs = NULL;
  Writer writers[WRITERS];
  GThread *threads[WRITERS];
  guint answered = 0;
  gint64 seq_before, seq_after, count;
  g_autofree char *ticket_id = NULL;
  gint64 ticket_rev = 0;

  g_assert_true (fq_test_server_start (server, 60, &error));
  g_assert_no_error (error);

  /* A ticket with one action answered before the burst. */
  op = fq_test_client_new_login (fq_test_server_get_url (server), "operator", FQ_TEST_DEMO_PASSWORD);
  {
    g_autoptr(JsonObject) ticket = fq_test_create_ticket (op, op, FQ_TEST_GUANGZHOULU,
                                                          fq_test_obj_str (fq_test_pick_category (op, FALSE, 0), "code"),
                                                          FQ_TEST_UNIT_STREET);
    g_autoptr(FqTestClient) unit = fq_test_client_new_login (fq_test_server_get_url (server), "unit", FQ_TEST_DEMO_PASSWORD);
    g_autofree char *path = g_strdup_printf ("/tickets/%s/actions", fq_test_obj_str (ticket, "id"));
    g_autofree char *body = g_strdup_printf ("{\"action\":\"accept\",\"rev\":%" G_GINT64_FORMAT "}", fq_test_obj_int (ticket, "rev"));
    g_autoptr(FqTestResponse) acc = fq_test_post (unit, path, body);

    fq_test_assert_status (acc, 200);
    ticket_id = g_strdup (fq_test_obj_str (ticket, "id"));
    ticket_rev = fq_test_obj_int (fq_test_response_object (acc), "rev");
  }

  for (guint i = 0; i < WRITERS; i++)
    {
      writers[i] = (Writer) { g_strdup (fq_test_server_get_url (server)), g_strdup (fq_test_client_get_token (op)), i,
                              g_ptr_array_new_with_free_func (g_free), 0, 0 };
      threads[i] = g_thread_new ("writer", writer_thread, &writers[i]);
    }

  /* Let the burst run, then kill the server in the middle of it. */
  for (guint waited = 0; waited < 200; waited++)
    {
      guint n = 0;

      for (guint i = 0; i < WRITERS; i++)
        n += writers[i].ids->len;
      if (n >= 800)
        break;
      g_usleep (50 * 1000);
    }
  fq_test_server_kill (server);

  for (guint i = 0; i < WRITERS; i++)
    {
      g_atomic_int_set (&writers[i].stop, 1);
      g_thread_join (threads[i]);
      answered += writers[i].ids->len;
    }
  g_test_message ("%u writes answered 201 before SIGKILL", answered);
  g_assert_cmpuint (answered, >, 0);

  /* Restart on the same directory. */
  g_assert_true (fq_test_server_start (server, 60, &error));
  g_assert_no_error (error);
  g_clear_pointer (&op, fq_test_client_free);
  op = fq_test_client_new_login (fq_test_server_get_url (server), "operator", FQ_TEST_DEMO_PASSWORD);
  leader = fq_test_client_new_login (fq_test_server_get_url (server), "leader", FQ_TEST_DEMO_PASSWORD);

  for (guint i = 0; i < WRITERS; i++)
    {
      for (guint j = 0; j < writers[i].ids->len; j++)
        {
          g_autoptr(FqTestResponse) resp = fq_test_get (op, "/incidents/%s", (char *)g_ptr_array_index (writers[i].ids, j));

          if (resp->status != 200)
            g_error ("incident %s was answered 201 but is lost after SIGKILL (%u)",
                     (char *)g_ptr_array_index (writers[i].ids, j), resp->status);
        }
    }
  {
    g_autoptr(FqTestResponse) t = fq_test_get (op, "/tickets/%s", ticket_id);

    fq_test_assert_status (t, 200);
    g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (t), "state"), ==, "accepted");
    g_assert_cmpint (fq_test_obj_int (fq_test_response_object (t), "rev"), ==, ticket_rev);
  }

  /* Replaying every write (same external ids) creates nothing new for the
   * ones that were stored. */
  seq_before = fq_test_last_seq (op);
  {
    g_autoptr(FqTestResponse) again = fq_test_postf (op, "/incidents",
                                                     "{'source':'12345','grid':'%s','summary':'again','external_id':'dur-0-0'}",
                                                     FQ_TEST_GUANGZHOULU);

    if (writers[0].ids->len > 0)
      {
        fq_test_assert_status (again, 200);
        g_assert_cmpint (fq_test_last_seq (op), ==, seq_before);
      }
  }

  /* The feed is whole: seq has no gap and counts every change. */
  count = 0;
  for (gint64 since = 0;;)
    {
      g_autoptr(FqTestResponse) resp = fq_test_get (leader, "/changes?since=%" G_GINT64_FORMAT "&limit=1000", since);
      JsonArray *changes = fq_test_obj_array (fq_test_response_object (resp), "changes");

      fq_test_assert_status (resp, 200);
      g_assert_nonnull (changes);
      for (guint i = 0; i < json_array_get_length (changes); i++)
        {
          gint64 seq = fq_test_obj_int (json_array_get_object_element (changes, i), "seq");

          g_assert_cmpint (seq, ==, since + 1);
          since = seq;
          count++;
        }
      if (!fq_test_obj_bool (fq_test_response_object (resp), "more"))
        break;
    }
  seq_after = fq_test_last_seq (op);
  g_assert_cmpint (count, ==, seq_after);
  g_assert_cmpint (seq_after, >=, seq_before);

  /* Stop, then check every database file. */
  g_assert_true (fq_test_server_stop (server));
  dbs = fq_test_server_find_databases (server);
  g_assert_cmpuint (g_strv_length (dbs), >, 0);
  for (guint i = 0; dbs[i] != NULL; i++)
    check_integrity (dbs[i]);

  for (guint i = 0; i < WRITERS; i++)
    {
      g_ptr_array_unref (writers[i].ids);
      g_free (writers[i].url);
      g_free (writers[i].token);
    }
}

typedef struct
{
  char *url;
  char *token;
  gint  stop;
  guint answered;
} Reader;

static gpointer
reader_thread (gpointer data)
{
  Reader *r = data;
  g_autoptr(FqTestClient) c = fq_test_client_new (r->url);

  fq_test_client_set_token (c, r->token);
  while (!g_atomic_int_get (&r->stop))
    {
      g_autoptr(FqTestResponse) resp = fq_test_get (c, "/tickets?limit=500");

      if (resp->status != 200)
        break;   /* the server is gone */
      r->answered++;
    }
  return NULL;
}

/* SIGTERM while reads and writes are in flight: the server answers or
 * drops them and exits with status 0 (a critical, fatal under the tests'
 * G_DEBUG, would end it by a signal), and what it acknowledged is there. */
static void
test_sigterm_under_load (void)
{
  static const char * const args[] = {
    "--demo", "--demo-history-months", "1", "--demo-feed-rate", "0", NULL
  };
  g_autoptr(FqTestServer) server = fq_test_server_new (args);
  g_autoptr(GError) error = NULL;
  g_autoptr(FqTestClient) op = NULL;
  g_autoptr(FqTestClient) coord = NULL;
  g_auto(GStrv) dbs = NULL;
  Writer writer = { 0 };
  Reader readers[3] = { { 0 } };
  GThread *threads[G_N_ELEMENTS (readers) + 1];
  guint answered = 0;

  g_assert_true (fq_test_server_start (server, 60, &error));
  op = fq_test_client_new_login (fq_test_server_get_url (server), "operator", FQ_TEST_DEMO_PASSWORD);
  coord = fq_test_client_new_login (fq_test_server_get_url (server), "coordinator", FQ_TEST_DEMO_PASSWORD);

  writer = (Writer) { g_strdup (fq_test_server_get_url (server)), g_strdup (fq_test_client_get_token (op)), 0,
                      g_ptr_array_new_with_free_func (g_free), 0, 0 };
  threads[0] = g_thread_new ("writer", writer_thread, &writer);
  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    {
      readers[i].url = g_strdup (fq_test_server_get_url (server));
      readers[i].token = g_strdup (fq_test_client_get_token (coord));
      threads[i + 1] = g_thread_new ("reader", reader_thread, &readers[i]);
    }

  g_usleep (G_USEC_PER_SEC);
  g_assert_true (fq_test_server_stop (server));
  g_assert_cmpint (fq_test_server_get_exit_status (server), ==, 0);

  g_atomic_int_set (&writer.stop, 1);
  g_thread_join (threads[0]);
  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    {
      g_atomic_int_set (&readers[i].stop, 1);
      g_thread_join (threads[i + 1]);
      answered += readers[i].answered;
      g_free (readers[i].url);
      g_free (readers[i].token);
    }
  g_test_message ("%u writes and %u reads answered before the stop", writer.ids->len, answered);
  g_assert_cmpuint (writer.ids->len, >, 0);
  g_assert_cmpuint (answered, >, 0);

  dbs = fq_test_server_find_databases (server);
  for (guint i = 0; dbs[i] != NULL; i++)
    check_integrity (dbs[i]);

  /* Every acknowledged write is there after a restart. */
  g_assert_true (fq_test_server_start (server, 60, &error));
  g_clear_pointer (&op, fq_test_client_free);
  op = fq_test_client_new_login (fq_test_server_get_url (server), "operator", FQ_TEST_DEMO_PASSWORD);
  for (guint i = 0; i < writer.ids->len; i++)
    {
      g_autoptr(FqTestResponse) got = fq_test_get (op, "/incidents/%s", (char *)g_ptr_array_index (writer.ids, i));

      fq_test_assert_status (got, 200);
    }

  g_ptr_array_unref (writer.ids);
  g_free (writer.url);
  g_free (writer.token);
}

static void
test_restart_keeps_data (void)
{
  static const char * const args[] = {
    "--demo", "--demo-history-months", "0", "--demo-feed-rate", "0", NULL
  };
  g_autoptr(FqTestServer) server = fq_test_server_new (args);
  g_autoptr(GError) error = NULL;
  g_autoptr(FqTestClient) op = NULL;
  g_autoptr(JsonObject) inc = NULL;
  gint64 seq;

  g_assert_true (fq_test_server_start (server, 60, &error));
  op = fq_test_client_new_login (fq_test_server_get_url (server), "operator", FQ_TEST_DEMO_PASSWORD);
  inc = fq_test_create_incident (op, FQ_TEST_GUANGZHOULU, NULL);
  seq = fq_test_last_seq (op);

  /* A clean stop, then a start with --demo on the same directory: nothing
   * is generated again, nothing is lost, tokens of the old process may go
   * but the users stay. */
  g_assert_true (fq_test_server_stop (server));
  g_assert_true (fq_test_server_start (server, 60, &error));
  g_assert_no_error (error);
  g_clear_pointer (&op, fq_test_client_free);
  op = fq_test_client_new_login (fq_test_server_get_url (server), "operator", FQ_TEST_DEMO_PASSWORD);
  {
    g_autoptr(FqTestResponse) got = fq_test_get (op, "/incidents/%s", fq_test_obj_str (inc, "id"));

    fq_test_assert_status (got, 200);
    g_assert_cmpint (fq_test_last_seq (op), ==, seq);
  }
}

/* One server to a data directory: a second server, and the commands that
 * change the directory, are refused while one runs (exit status 3, saying
 * which process holds it), and change nothing; a backup still runs. */
static void
test_one_server_per_directory (void)
{
  static const char * const demo[] = {
    "--demo", "--demo-history-months", "0", "--demo-feed-rate", "0", NULL
  };
  static const char * const second[] = {
    "--listen", "127.0.0.1:0", "--demo", "--demo-history-months", "0", "--demo-feed-rate", "0", NULL
  };
  static const char * const create_admin[] = { "--create-admin", "second-admin", NULL };
  g_autoptr(FqTestServer) server = fq_test_server_new (demo);
  g_autoptr(GError) error = NULL;
  g_autoptr(FqTestClient) admin = NULL;
  g_autofree char *holder = NULL;
  g_autofree char *backup = NULL;
  const char *dir;
  gint64 seq;

  g_assert_true (fq_test_server_start (server, 60, &error));
  dir = fq_test_server_get_data_dir (server);
  admin = fq_test_client_new_login (fq_test_server_get_url (server), "admin", FQ_TEST_DEMO_PASSWORD);
  seq = fq_test_last_seq (admin);
  holder = g_strdup_printf ("(process %d)", (int)fq_test_server_get_pid (server));

  {
    g_autofree char *err = NULL;

    g_assert_cmpint (fq_test_run_server_command (dir, second, NULL, 20, NULL, &err), ==, 3);
    g_assert_nonnull (strstr (err, "is in use by another fengqiao-server"));
    g_assert_nonnull (strstr (err, holder));
  }
  {
    g_autofree char *err = NULL;
    g_autoptr(FqTestResponse) users = NULL;

    g_assert_cmpint (fq_test_run_server_command (dir, create_admin, "a-long-password-1\n", 20, NULL, &err), ==, 3);
    g_assert_nonnull (strstr (err, "is in use"));
    users = fq_test_get (admin, "/users");
    fq_test_assert_status (users, 200);
    g_assert_null (strstr (users->text, "second-admin"));
  }
  {
    g_autofree char *err = NULL;
    g_autofree char *grid = g_build_filename (g_getenv ("FQ_SOURCE_DATADIR"), "grid-4202.tsv", NULL);
    const char * const import[] = { "--import-grid", grid, NULL };

    g_assert_cmpint (fq_test_run_server_command (dir, import, NULL, 20, NULL, &err), ==, 3);
    g_assert_nonnull (strstr (err, "is in use"));
  }

  /* A backup only reads: it runs beside the server. */
  backup = g_build_filename (dir, "..", "copy.db", NULL);
  {
    g_autofree char *err = NULL;
    const char * const args[] = { "--backup", backup, NULL };

    g_assert_cmpint (fq_test_run_server_command (dir, args, NULL, 20, NULL, &err), ==, 0);
    g_assert_true (g_file_test (backup, G_FILE_TEST_EXISTS));
    g_unlink (backup);
  }

  /* The first server went on as if nothing had happened. */
  {
    g_autoptr(FqTestResponse) health = fq_test_get (admin, "/health");

    fq_test_assert_status (health, 200);
    g_assert_cmpint (fq_test_last_seq (admin), ==, seq);
  }
}

/* Waits up to 5 s for the server to hold at most @most descriptors, as
 * it closes connections whose clients hung up. Returns how many it holds. */
static guint
wait_for_fds (FqTestServer *server,
              guint         most)
{
  guint n = 0;

  for (guint i = 0; i < 50; i++)
    {
      n = fq_test_server_count_fds (server);
      if (n <= most)
        break;
      g_usleep (100 * 1000);
    }
  return n;
}

/* The server's descriptors once it has opened all it keeps: some are
 * opened by its threads after it says it listens, so the count is read
 * until it holds still for half a second (at most five seconds). */
static guint
settled_fds (FqTestServer *server)
{
  guint n = fq_test_server_count_fds (server);
  guint same = 0;

  for (guint i = 0; i < 50 && same < 5; i++)
    {
      guint now;

      g_usleep (100 * 1000);
      now = fq_test_server_count_fds (server);
      same = now == n ? same + 1 : 0;
      n = now;
    }
  return n;
}

/* Connection churn: clients that connect, ask, and hang up must not leave
 * sockets (or memory) behind in the server; a long-running server would
 * otherwise run out of file descriptors and stop answering. */
static void
test_connection_churn (void)
{
  static const char * const args[] = {
    "--demo", "--demo-history-months", "0", "--demo-feed-rate", "0", NULL
  };
  g_autoptr(FqTestServer) server = fq_test_server_new (args);
  g_autoptr(GError) error = NULL;
  guint before, after;
  guint64 rss_before, rss_after;

  g_assert_true (fq_test_server_start (server, 60, &error));
  g_assert_no_error (error);

  /* Warm up: the first connections allocate what is kept. */
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(FqTestClient) c = fq_test_client_new (fq_test_server_get_url (server));
      g_autoptr(FqTestResponse) resp = fq_test_get (c, "/health");

      fq_test_assert_status (resp, 200);
    }
  g_usleep (200 * 1000);
  before = fq_test_server_count_fds (server);
  rss_before = fq_test_server_get_rss_kib (server);

  for (guint i = 0; i < 500; i++)
    {
      /* A new session is a new connection; freeing it hangs up. */
      g_autoptr(FqTestClient) c = fq_test_client_new (fq_test_server_get_url (server));
      g_autoptr(FqTestResponse) resp = fq_test_get (c, "/health");

      fq_test_assert_status (resp, 200);
    }

  /* Give the server a moment to notice the hang-ups. */
  after = wait_for_fds (server, before + 20);
  rss_after = fq_test_server_get_rss_kib (server);
  g_test_message ("server file descriptors: %u before, %u after 500 connections; RSS %" G_GUINT64_FORMAT
                  " KiB -> %" G_GUINT64_FORMAT " KiB", before, after, rss_before, rss_after);
  g_assert_cmpuint (after, <=, before + 20);
  /* A few hundred bytes per connection at most (libsoup 3.2.3 is known to
   * lose that much): 500 connections stay well under 2 MiB. Not in a build
   * with AddressSanitizer (the server is built like this test): it keeps
   * freed memory in quarantine, so RSS grows by design, and LeakSanitizer
   * looks for leaks there instead. */
#if defined(__SANITIZE_ADDRESS__)
#define FQ_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FQ_TEST_ASAN 1
#endif
#endif
#ifndef FQ_TEST_ASAN
  g_assert_cmpuint (rss_after, <=, rss_before + 2048);
#endif
}

/* Many idle keep-alive connections at once, as many consoles keep: the
 * server watches each for a hang-up while it waits for its next request.
 * Half of them hang up together: their sockets go, and the other half,
 * still idle, are answered on their own connections as before. */
static void
test_idle_connections (void)
{
  static const char * const args[] = {
    "--demo", "--demo-history-months", "0", "--demo-feed-rate", "0", NULL
  };
  const guint n = 300;
  g_autoptr(FqTestServer) server = fq_test_server_new (args);
  g_autoptr(GPtrArray) clients = g_ptr_array_new_with_free_func ((GDestroyNotify)fq_test_client_free);
  g_autoptr(GError) error = NULL;
  guint before, open, after;

  g_assert_true (fq_test_server_start (server, 60, &error));
  g_assert_no_error (error);
  before = fq_test_server_count_fds (server);

  for (guint i = 0; i < n; i++)
    {
      FqTestClient *c = fq_test_client_new (fq_test_server_get_url (server));
      g_autoptr(FqTestResponse) resp = fq_test_get (c, "/health");

      fq_test_assert_status (resp, 200);
      g_ptr_array_add (clients, c);
    }
  open = fq_test_server_count_fds (server);
  g_assert_cmpuint (open, >=, before + n);

  /* The odd ones hang up, all at once. */
  for (guint i = n; i-- > 0;)
    if (i % 2 == 1)
      g_ptr_array_remove_index (clients, i);
  after = wait_for_fds (server, open - n / 2 + 20);
  g_test_message ("server file descriptors: %u before, %u with %u idle connections, %u after %u hung up",
                  before, open, n, after, n / 2);
  g_assert_cmpuint (after, <=, open - n / 2 + 20);

  /* The others kept their connections: no new one for these requests. */
  for (guint i = 0; i < clients->len; i++)
    {
      g_autoptr(FqTestResponse) resp = fq_test_get (g_ptr_array_index (clients, i), "/health");

      fq_test_assert_status (resp, 200);
    }
  g_assert_cmpuint (fq_test_server_count_fds (server), <=, after + 5);

  g_ptr_array_set_size (clients, 0);
  after = wait_for_fds (server, before + 20);
  g_assert_cmpuint (after, <=, before + 20);
}

/* The server raises its own limit on descriptors to the hard limit: under
 * systemd a service starts with a soft limit of 1,024, fewer than the
 * connections of a city's consoles. */
static void
test_descriptor_limit (void)
{
  static const char * const args[] = {
    "--demo", "--demo-history-months", "0", "--demo-feed-rate", "0", NULL
  };
  g_autoptr(FqTestServer) server = fq_test_server_new (args);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *limits = NULL;
  g_autofree char *expected = NULL;
  struct rlimit mine, lowered;
  const char *line;
  char soft[32], hard[32];

  g_assert_cmpint (getrlimit (RLIMIT_NOFILE, &mine), ==, 0);
  if (mine.rlim_max <= 1024)
    {
      g_test_skip ("the hard limit on descriptors is 1,024 or less: nothing to raise");
      return;
    }
  /* Started with the soft limit a service gets, which it inherits. */
  lowered = (struct rlimit) { 1024, mine.rlim_max };
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &lowered), ==, 0);
  g_assert_true (fq_test_server_start (server, 60, &error));
  g_assert_cmpint (setrlimit (RLIMIT_NOFILE, &mine), ==, 0);
  g_assert_no_error (error);

  path = g_strdup_printf ("/proc/%d/limits", (int)fq_test_server_get_pid (server));
  g_assert_true (g_file_get_contents (path, &limits, NULL, NULL));
  line = strstr (limits, "Max open files");
  g_assert_nonnull (line);
  if (mine.rlim_max == RLIM_INFINITY)
    expected = g_strdup ("unlimited");
  else
    expected = g_strdup_printf ("%" G_GUINT64_FORMAT, (guint64)mine.rlim_max);
  /* Soft, then hard: the soft one is now the hard one. */
  g_assert_cmpint (sscanf (line + strlen ("Max open files"), "%31s %31s", soft, hard), ==, 2);
  g_assert_cmpstr (soft, ==, expected);
  g_assert_cmpstr (hard, ==, expected);
}

/* The WAL's header: its checkpoint sequence (big-endian, at byte 12) goes
 * up by one each time the WAL starts again from its beginning. -1 if there
 * is no WAL. */
static gint64
wal_restarts (const char *db_path,
              gint64     *size)
{
  g_autofree char *wal_path = g_strconcat (db_path, "-wal", NULL);
  guchar head[32];
  GStatBuf st;
  FILE *file;
  gsize length = 0;

  *size = g_stat (wal_path, &st) == 0 ? (gint64)st.st_size : 0;
  file = g_fopen (wal_path, "rb");
  if (file == NULL)
    return -1;
  length = fread (head, 1, sizeof head, file);
  fclose (file);
  if (length < sizeof head)
    return -1;
  return ((gint64)head[12] << 24) | (head[13] << 16) | (head[14] << 8) | head[15];
}

/* Under writes that never pause, the WAL must still start again from its
 * beginning: the checkpoint thread copies it into the database beside the
 * writer, the writer copies the last frames itself (fq-server.c,
 * wal_hook_cb()), and the WAL file stays within a few times its threshold
 * (16 MiB) instead of growing with every write. Two restarts seen while
 * four clients write without a break. */
static void
test_wal_bounded (void)
{
  static const char * const args[] = {
    "--demo", "--demo-history-months", "0", "--demo-feed-rate", "0", NULL
  };
  g_autoptr(FqTestServer) server = fq_test_server_new (args);
  g_autoptr(GError) error = NULL;
  g_autoptr(FqTestClient) op = NULL;
  g_auto(GStrv) dbs = NULL;
  const char *db_path = NULL;
  Writer writers[WRITERS];
  GThread *threads[WRITERS];
  gint64 first = -1, last = -1, size = 0, largest = 0;
  guint answered = 0;

  g_assert_true (fq_test_server_start (server, 60, &error));
  g_assert_no_error (error);
  op = fq_test_client_new_login (fq_test_server_get_url (server), "operator", FQ_TEST_DEMO_PASSWORD);
  dbs = fq_test_server_find_databases (server);
  for (guint i = 0; dbs[i] != NULL; i++)
    {
      g_autofree char *base = g_path_get_basename (dbs[i]);

      if (g_str_equal (base, "fengqiao.db"))
        db_path = dbs[i];
    }
  g_assert_nonnull (db_path);

  for (guint i = 0; i < WRITERS; i++)
    {
      writers[i] = (Writer) { g_strdup (fq_test_server_get_url (server)), g_strdup (fq_test_client_get_token (op)), i,
                              g_ptr_array_new_with_free_func (g_free), 0, 0 };
      threads[i] = g_thread_new ("writer", writer_thread, &writers[i]);
    }

  /* Until the WAL has started again twice, or the writers are done. */
  for (guint waited = 0; waited < 1800; waited++)
    {
      gboolean running = FALSE;

      last = wal_restarts (db_path, &size);
      if (first < 0)
        first = last;
      largest = MAX (largest, size);
      if (first >= 0 && last >= first + 2)
        break;
      for (guint i = 0; i < WRITERS; i++)
        running |= writers[i].ids->len < MAX_PER_WRITER && writers[i].errors == 0;
      if (!running)
        break;
      g_usleep (50 * 1000);
    }

  for (guint i = 0; i < WRITERS; i++)
    {
      g_atomic_int_set (&writers[i].stop, 1);
      g_thread_join (threads[i]);
      answered += writers[i].ids->len;
      g_assert_cmpuint (writers[i].errors, ==, 0);
    }
  g_test_message ("%u incidents written; the WAL started again %" G_GINT64_FORMAT
                  " times and was at most %" G_GINT64_FORMAT " KiB",
                  answered, last - first, largest / 1024);
  g_assert_cmpint (first, >=, 0);
  g_assert_cmpint (last, >=, first + 2);
  /* Twice the threshold, plus what commits add while the writer's own
   * copy waits for the checkpoint thread's: well under three times. */
  g_assert_cmpint (largest, <, 3 * 4000 * (4096 + 24));

  g_assert_true (fq_test_server_stop (server));
  check_integrity (db_path);

  for (guint i = 0; i < WRITERS; i++)
    {
      g_ptr_array_unref (writers[i].ids);
      g_free (writers[i].url);
      g_free (writers[i].token);
    }
}

/* ---- a keep-alive connection, by hand ---- */

/* A plain keep-alive connection to @url's port; asserts. */
static int
raw_connect (const char *url)
{
  struct sockaddr_in addr = { .sin_family = AF_INET };
  const char *colon = strrchr (url, ':');
  int fd = socket (AF_INET, SOCK_STREAM, 0);

  g_assert_nonnull (colon);
  g_assert_cmpint (fd, >=, 0);
  addr.sin_port = htons (atoi (colon + 1));
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (connect (fd, (struct sockaddr *)&addr, sizeof addr), ==, 0);
  return fd;
}

/* Whether GET /health on @fd is answered 200, whole, within 5 s. */
static gboolean
raw_health (int fd)
{
  static const char request[] = "GET /api/v1/health HTTP/1.1\r\nHost: test\r\n\r\n";
  GString *in = g_string_new (NULL);
  gboolean ok = FALSE;
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  if (send (fd, request, sizeof request - 1, MSG_NOSIGNAL) != (gssize)(sizeof request - 1))
    goto out;
  while (g_get_monotonic_time () < deadline)
    {
      struct pollfd p = { fd, POLLIN, 0 };
      char buf[4096];
      const char *end, *length;
      gssize n;

      if (poll (&p, 1, 100) <= 0)
        continue;
      n = recv (fd, buf, sizeof buf, 0);
      if (n <= 0)
        break;
      g_string_append_len (in, buf, n);
      end = strstr (in->str, "\r\n\r\n");
      length = g_strstr_len (in->str, end != NULL ? end - in->str : -1, "Content-Length: ");
      if (end != NULL && length != NULL &&
          in->len >= (gsize)(end + 4 - in->str) + (gsize)atoi (length + 16))
        {
          ok = g_str_has_prefix (in->str, "HTTP/1.1 200");
          break;
        }
    }
out:
  g_string_free (in, TRUE);
  return ok;
}

/* Whether the server closes @fd within @timeout_ms. */
static gboolean
raw_closed_within (int  fd,
                   guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64)timeout_ms * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      struct pollfd p = { fd, POLLIN, 0 };
      char byte;

      if (poll (&p, 1, 100) <= 0)
        continue;
      return recv (fd, &byte, 1, 0) == 0;
    }
  return FALSE;
}

/* --keep-alive-seconds: a connection left idle that long is closed; one
 * that keeps asking within it stays, and each of its requests is answered
 * on it. */
static void
test_keep_alive_limit (void)
{
  static const char * const args[] = {
    "--demo", "--demo-history-months", "0", "--demo-feed-rate", "0", "--keep-alive-seconds", "2", NULL
  };
  g_autoptr(FqTestServer) server = fq_test_server_new (args);
  g_autoptr(GError) error = NULL;
  int idle[20];
  int busy;
  guint before, open, after;
  gint64 start;

  g_assert_true (fq_test_server_start (server, 60, &error));
  g_assert_no_error (error);
  /* Read at once, the count missed five of them once (14, then 19). */
  before = settled_fds (server);

  for (guint i = 0; i < G_N_ELEMENTS (idle); i++)
    {
      idle[i] = raw_connect (fq_test_server_get_url (server));
      g_assert_true (raw_health (idle[i]));
    }
  busy = raw_connect (fq_test_server_get_url (server));
  g_assert_true (raw_health (busy));
  open = fq_test_server_count_fds (server);
  g_assert_cmpuint (open, >=, before + G_N_ELEMENTS (idle) + 1);

  /* Five seconds: the busy one asks every half second, and is answered
   * on its connection each time. */
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < 5 * G_USEC_PER_SEC)
    {
      g_usleep (500 * 1000);
      g_assert_true (raw_health (busy));
    }
  close (busy);

  /* The idle ones were closed by the server (2 s idle, swept each second). */
  for (guint i = 0; i < G_N_ELEMENTS (idle); i++)
    {
      g_assert_true (raw_closed_within (idle[i], 2000));
      close (idle[i]);
    }
  after = wait_for_fds (server, before + 3);
  g_test_message ("server file descriptors: %u before, %u with %u idle and 1 busy connection, %u after",
                  before, open, (guint)G_N_ELEMENTS (idle), after);
  g_assert_cmpuint (after, <=, before + 3);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  fq_test_require_server_binary ();

  g_test_add_func ("/server/durability/restart-keeps-data", test_restart_keeps_data);
  g_test_add_func ("/server/durability/one-server-per-directory", test_one_server_per_directory);
  g_test_add_func ("/server/durability/kill-mid-burst", test_kill_mid_burst);
  g_test_add_func ("/server/durability/sigterm-under-load", test_sigterm_under_load);
  g_test_add_func ("/server/durability/connection-churn", test_connection_churn);
  g_test_add_func ("/server/durability/idle-connections", test_idle_connections);
  g_test_add_func ("/server/durability/keep-alive-limit", test_keep_alive_limit);
  g_test_add_func ("/server/durability/descriptor-limit", test_descriptor_limit);
  g_test_add_func ("/server/durability/wal-bounded", test_wal_bounded);

  return g_test_run ();
}
