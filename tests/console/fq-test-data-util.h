/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * Helpers shared by the data layer's tests that run a real server: spawn
 * it on a private data directory, sign in, wait on the main loop with a
 * bound, talk to the API.
 */

#include <glib/gstdio.h>

#include "fq-cache.h"
#include "fq-client.h"
#include "fq-context.h"
#include "fq-local-server.h"

static gboolean
fq_test_tick_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static gboolean
fq_test_wait (gboolean (*cond) (gpointer),
              gpointer   data,
              guint      timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64)timeout_ms * 1000;
  /* Wakes the loop now and then even when nothing happens, to check the
   * time. */
  guint tick = g_timeout_add (20, fq_test_tick_cb, NULL);
  gboolean ok = TRUE;

  while (!cond (data))
    {
      if (g_get_monotonic_time () > deadline)
        {
          ok = FALSE;
          break;
        }
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (tick);
  return ok;
}

static gboolean
fq_test_flag_cond (gpointer data)
{
  return *(gboolean *)data;
}

static gboolean
fq_test_time_over_cond (gpointer data)
{
  return g_get_monotonic_time () >= *(gint64 *)data;
}

/* Runs the main loop for @ms milliseconds, so that what is due meanwhile
 * happens (sleeping while nothing is, not spinning: the tests run two at a
 * time on two cores). */
G_GNUC_UNUSED static void
fq_test_run_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64)ms * 1000;

  fq_test_wait (fq_test_time_over_cond, &end, ms + 1000);
}

/* TRUE if a server binary is available; else the test is skipped. */
G_GNUC_UNUSED static gboolean
fq_test_have_server (void)
{
  g_autofree char *binary = fq_local_server_find_binary ();

  if (binary == NULL || !g_file_test (binary, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("fengqiao-server is not built (set FQ_SERVER_BINARY)");
      return FALSE;
    }
  return TRUE;
}

static void
fq_test_server_started_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!fq_local_server_start_finish (FQ_LOCAL_SERVER (object), result, &error))
    g_error ("The server did not start: %s", error->message);
  *(gboolean *)user_data = TRUE;
}

/* The address @server listens on, as fq_test_start_server()'s @listen: to
 * start a server again where its consoles will look for it. */
G_GNUC_UNUSED static char *
fq_test_server_listen (FqLocalServer *server)
{
  g_autoptr(GUri) uri = g_uri_parse (fq_local_server_get_url (server), G_URI_FLAGS_NONE, NULL);

  return g_strdup_printf ("127.0.0.1:%d", g_uri_get_port (uri));
}

/* Starts a demo server on @data_dir with @args besides (NULL-terminated). */
G_GNUC_UNUSED static FqLocalServer *
fq_test_start_server_with_args (const char  *data_dir,
                                const char  *listen,
                                const char **args)
{
  FqLocalServer *server = fq_local_server_new (data_dir);
  gboolean done = FALSE;

  fq_local_server_set_extra_args (server, args);
  if (listen != NULL)
    fq_local_server_set_listen (server, listen);
  fq_local_server_start_async (server, NULL, fq_test_server_started_cb, &done);
  g_assert_true (fq_test_wait (fq_test_flag_cond, &done, 120000));
  g_assert_nonnull (fq_local_server_get_url (server));
  return server;
}

/* Starts a quiet demo server (no history, no live feed) on @data_dir. */
G_GNUC_UNUSED static FqLocalServer *
fq_test_start_server (const char *data_dir,
                      const char *listen)
{
  const char *args[] = { "--demo-history-months", "0", "--demo-feed-rate", "0", NULL };

  return fq_test_start_server_with_args (data_dir, listen, args);
}

typedef struct
{
  JsonNode *node;
  GError   *error;
  gboolean  done;
} FqTestCall;

static void
fq_test_call_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  FqTestCall *call = user_data;

  call->node = fq_client_call_finish (FQ_CLIENT (object), result, &call->error);
  call->done = TRUE;
}

/* A blocking call for tests: (transfer full) (nullable) the answer. */
G_GNUC_UNUSED static JsonNode *
fq_test_call (FqClient    *client,
              const char  *method,
              const char  *path,
              const char  *body_json,
              const char  *key,
              GError     **error)
{
  g_autoptr(JsonNode) body = body_json ? json_from_string (body_json, NULL) : NULL;
  FqTestCall call = { 0 };

  fq_client_call_async (client, method, path, body, key, NULL, fq_test_call_cb, &call);
  g_assert_true (fq_test_wait (fq_test_flag_cond, &call.done, 30000));
  if (call.error != NULL)
    g_propagate_error (error, call.error);
  return call.node;
}

static void
fq_test_login_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) user = fq_client_login_finish (FQ_CLIENT (object), result, &error);

  g_assert_no_error (error);
  g_assert_nonnull (user);
  *(gboolean *)user_data = TRUE;
}

G_GNUC_UNUSED static FqClient *
fq_test_login (const char *url,
               const char *session_dir,
               const char *username)
{
  FqClient *client = fq_client_new (url);
  gboolean done = FALSE;

  fq_client_set_session_dir (client, session_dir);
  fq_client_login_async (client, username, "demo", NULL, fq_test_login_cb, &done);
  g_assert_true (fq_test_wait (fq_test_flag_cond, &done, 30000));
  return client;
}

static void
fq_test_open_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (fq_cache_open_finish (FQ_CACHE (object), result, &error));
  g_assert_no_error (error);
  *(gboolean *)user_data = TRUE;
}

G_GNUC_UNUSED static FqCache *
fq_test_open_cache (const char *path)
{
  FqCache *cache = fq_cache_new (path);
  gboolean done = FALSE;

  fq_cache_open_async (cache, NULL, fq_test_open_cb, &done);
  g_assert_true (fq_test_wait (fq_test_flag_cond, &done, 30000));
  return cache;
}

/* Removes a directory tree made by a test. */
static void
fq_test_rm_rf (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);

        if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          fq_test_rm_rf (child);
        else
          g_unlink (child);
      }
  g_rmdir (path);
}

static void
fq_test_context_started_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (fq_context_start_finish (FQ_CONTEXT (object), result, &error));
  g_assert_no_error (error);
  *(gboolean *)user_data = TRUE;
}

static gboolean
fq_test_context_ready_cond (gpointer data)
{
  FqContext *context = data;

  return fq_sync_get_state (fq_context_get_sync (context)) == FQ_SYNC_STATE_ONLINE &&
         !fq_sync_get_catching_up (fq_context_get_sync (context)) &&
         !fq_incident_list_get_busy (fq_context_get_incidents (context)) &&
         !fq_ticket_list_get_busy (fq_context_get_tickets (context));
}

/* A context on @server with @username signed in (sessions and cache in
 * @dir) and started: its sync has not said anything yet. */
G_GNUC_UNUSED static FqContext *
fq_test_begin_context (FqLocalServer *server,
                       GSettings     *settings,
                       const char    *dir,
                       const char    *username)
{
  g_autofree char *sessions = g_build_filename (dir, "sessions", NULL);
  g_autofree char *cache_path = g_build_filename (dir, "cache.db", NULL);
  FqContext *context = fq_context_new (settings, fq_local_server_get_url (server));
  FqClient *client = fq_context_get_client (context);
  gboolean done = FALSE;

  fq_client_set_session_dir (client, sessions);
  fq_client_login_async (client, username, "demo", NULL, fq_test_login_cb, &done);
  g_assert_true (fq_test_wait (fq_test_flag_cond, &done, 30000));

  done = FALSE;
  fq_context_start_async (context, cache_path, NULL, fq_test_context_started_cb, &done);
  g_assert_true (fq_test_wait (fq_test_flag_cond, &done, 30000));
  return context;
}

/* The same, online and with its lists loaded. */
G_GNUC_UNUSED static FqContext *
fq_test_start_context (FqLocalServer *server,
                       GSettings     *settings,
                       const char    *dir,
                       const char    *username)
{
  FqContext *context = fq_test_begin_context (server, settings, dir, username);

  g_assert_true (fq_test_wait (fq_test_context_ready_cond, context, 60000));
  return context;
}

static void
fq_test_applied_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (fq_cache_apply_changes_finish (FQ_CACHE (object), result, &error));
  g_assert_no_error (error);
  *(gboolean *)user_data = TRUE;
}

/* Applies a batch of changes (API "changes" objects; transfer full) to
 * @cache as the sync would, and waits for it. */
G_GNUC_UNUSED static void
fq_test_apply_changes (FqCache   *cache,
                       JsonArray *changes)
{
  gboolean done = FALSE;

  fq_cache_apply_changes_async (cache, changes, 0, NULL, fq_test_applied_cb, &done);
  g_assert_true (fq_test_wait (fq_test_flag_cond, &done, 30000));
}
