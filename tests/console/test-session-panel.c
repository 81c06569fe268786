/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Test"

#include "config.h"

#include <string.h>

#include <adwaita.h>

#include "fq-context.h"
#include "fq-session-panel.h"
#include "fq-test-data-util.h"
#include "fq-test-widget-util.h"

/*
 * The in-session panel against a real server: minutes typed while the
 * server is down are kept (one queued write, however much is typed), survive
 * the console quitting and starting again, and reach the server once it is
 * back; the exported minutes of the concluded session hold the Chinese text
 * in a PDF that embeds a CJK font.
 */

#define GRID     "420204004001"   /* 马鞍山社区居委会, 团城山街道 */
#define STREET   "street_office-420204004000"
#define DISTRICT "420204000000"

typedef struct
{
  char          *dir;
  char          *sessions;
  char          *cache_path;
  char          *listen;
  FqLocalServer *server;
  FqClient      *admin;       /* the test's own connection, as coordinator */
  FqClient      *desk;        /* and as operator, to take in the call */
  FqContext     *context;
  GtkWidget     *window;
} Fixture;

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  f->dir = g_dir_make_tmp ("fq-test-session-panel-XXXXXX", NULL);
  f->sessions = g_build_filename (f->dir, "sessions", NULL);
  f->cache_path = g_build_filename (f->dir, "cache.db", NULL);
}

static void
stop_console (Fixture *f)
{
  if (f->window != NULL)
    gtk_window_destroy (GTK_WINDOW (g_steal_pointer (&f->window)));
  if (f->context != NULL)
    {
      fq_context_stop (f->context);
      g_clear_object (&f->context);
    }
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  stop_console (f);
  g_clear_object (&f->admin);
  g_clear_object (&f->desk);
  if (f->server != NULL)
    fq_local_server_stop (f->server);
  g_clear_object (&f->server);
  fq_test_rm_rf (f->dir);
  g_free (f->dir);
  g_free (f->sessions);
  g_free (f->cache_path);
  g_free (f->listen);
}

static void
start_server (Fixture *f)
{
  g_autofree char *data_dir = g_build_filename (f->dir, "server", NULL);

  f->server = fq_test_start_server (data_dir, f->listen);
  if (f->listen == NULL)
    {
      g_autoptr(GUri) uri = g_uri_parse (fq_local_server_get_url (f->server), G_URI_FLAGS_NONE, NULL);

      f->listen = g_strdup_printf ("127.0.0.1:%d", g_uri_get_port (uri));
    }
}

static void
login_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(JsonObject) user = fq_client_login_finish (FQ_CLIENT (object), result, NULL);

  g_assert_nonnull (user);
  *(gboolean *)user_data = TRUE;
}

static void
start_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (fq_context_start_finish (FQ_CONTEXT (object), result, &error));
  g_assert_no_error (error);
  *(gboolean *)user_data = TRUE;
}

/* Starts the console's data layer as the coordinator: signed in over the
 * network the first time, from the saved session (offline) after that. */
static void
start_console (Fixture  *f,
               gboolean  restore)
{
  FqClient *client;
  gboolean done = FALSE;

  f->context = fq_context_new (NULL, fq_local_server_get_url (f->server) != NULL
                                     ? fq_local_server_get_url (f->server) : NULL);
  client = fq_context_get_client (f->context);
  fq_client_set_session_dir (client, f->sessions);
  if (restore)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (fq_client_restore_session (client, "coordinator", &error));
      g_assert_no_error (error);
    }
  else
    {
      fq_client_login_async (client, "coordinator", "demo", NULL, login_cb, &done);
      g_assert_true (fq_test_wait (fq_test_flag_cond, &done, 30000));
      done = FALSE;
    }

  fq_context_start_async (f->context, f->cache_path, NULL, start_cb, &done);
  g_assert_true (fq_test_wait (fq_test_flag_cond, &done, 30000));
}

static gboolean
online_cond (gpointer data)
{
  FqSync *sync = fq_context_get_sync (data);

  return fq_sync_get_state (sync) == FQ_SYNC_STATE_ONLINE && !fq_sync_get_catching_up (sync);
}

static gboolean
offline_cond (gpointer data)
{
  return fq_sync_get_state (fq_context_get_sync (data)) == FQ_SYNC_STATE_OFFLINE;
}

static gboolean
editable_cond (gpointer data)
{
  return gtk_text_view_get_editable (data);
}

static gboolean
pending_zero_cond (gpointer data)
{
  return fq_outbox_get_n_pending (data) == 0;
}

static void
load_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(gboolean *)user_data = TRUE;
}

/* Shows @session in a panel in a window, and returns its minutes view once
 * the session has been loaded: its title is shown (a text view is editable
 * from the start; the panel makes it read-only but for a manager of a
 * session in progress). */
static GtkTextView *
show_panel (Fixture    *f,
            JsonObject *session)
{
  const char *id = json_object_get_string_member (session, "id");
  GtkWidget *panel = fq_session_panel_new (f->context);
  FqTestLabelCond loaded = { panel, json_object_get_string_member (session, "title") };
  GtkTextView *view;

  f->window = gtk_window_new ();
  gtk_window_set_child (GTK_WINDOW (f->window), panel);
  gtk_window_present (GTK_WINDOW (f->window));
  fq_session_panel_set_session (FQ_SESSION_PANEL (panel), id);
  g_assert_cmpstr (fq_session_panel_get_session_id (FQ_SESSION_PANEL (panel)), ==, id);

  view = GTK_TEXT_VIEW (fq_test_find_descendant (panel, GTK_TYPE_TEXT_VIEW));
  g_assert_nonnull (view);
  g_assert_true (fq_test_wait (fq_test_label_cond, &loaded, 30000));
  g_assert_true (fq_test_wait (editable_cond, view, 30000));
  return view;
}

static JsonObject *
call_as (FqClient   *client,
         const char *method,
      const char *path,
      JsonObject *body)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) body_node = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (body != NULL)
    {
      body_node = json_node_init_object (json_node_alloc (), body);
      text = json_to_string (body_node, FALSE);
    }
  node = fq_test_call (client, method, path, text, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static JsonObject *
call (Fixture    *f,
      const char *method,
      const char *path,
      JsonObject *body)
{
  return call_as (f->admin, method, path, body);
}

/* Moves *@session on to @next. */
static void
step (JsonObject **session,
      JsonObject  *next)
{
  json_object_unref (*session);
  *session = next;
}

static JsonObject *
act (Fixture    *f,
     JsonObject *session,
     const char *action,
     const char *member,
     const char *value)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *path = g_strdup_printf ("/sessions/%s/actions",
                                           json_object_get_string_member (session, "id"));

  json_object_set_string_member (body, "action", action);
  json_object_set_int_member (body, "rev", json_object_get_int_member (session, "rev"));
  if (member != NULL)
    json_object_set_string_member (body, member, value);
  return call (f, "POST", path, body);
}

/* A ticket at GRID and a session on it, started, with the street office
 * and the community committee invited. */
static JsonObject *
create_session (Fixture *f)
{
  g_autoptr(JsonObject) incident_body = json_object_new ();
  g_autoptr(JsonObject) triage_body = json_object_new ();
  g_autoptr(JsonObject) session_body = json_object_new ();
  g_autoptr(JsonObject) incident = NULL;
  g_autoptr(JsonObject) triaged = NULL;
  g_autoptr(JsonObject) session = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *path = NULL;
  g_autofree char *when = g_date_time_format_iso8601 (now);
  JsonArray *invitees = json_array_new ();
  const char *ticket;

  json_object_set_string_member (incident_body, "source", "12345");
  json_object_set_string_member (incident_body, "grid", GRID);
  json_object_set_string_member (incident_body, "summary", "商铺私搭彩钢棚堵塞消防通道");
  json_object_set_string_member (incident_body, "category", "G02");
  incident = call_as (f->desk, "POST", "/incidents", incident_body);

  json_object_set_string_member (triage_body, "decision", "divert");
  json_object_set_string_member (triage_body, "category", "G02");
  json_object_set_int_member (triage_body, "rev", json_object_get_int_member (incident, "rev"));
  path = g_strdup_printf ("/incidents/%s/triage", json_object_get_string_member (incident, "id"));
  triaged = call_as (f->desk, "POST", path, triage_body);
  ticket = json_object_get_string_member (json_object_get_object_member (triaged, "ticket"), "id");

  json_object_set_string_member (session_body, "title", "彩钢棚堵塞消防通道联合会商");
  json_object_set_string_member (session_body, "scheduled_at", when);
  json_object_set_string_member (session_body, "location", "团城山街道办事处三楼会议室");
  json_array_add_string_element (invitees, STREET);
  json_array_add_string_element (invitees, "community-" GRID);
  json_object_set_array_member (session_body, "invitees", invitees);
  g_free (path);
  path = g_strdup_printf ("/tickets/%s/sessions", ticket);
  session = call (f, "POST", path, session_body);

  return act (f, session, "start", NULL, NULL);
}

/* The server, a coordinator and an operator signed in, and a session in
 * progress. */
static JsonObject *
start_with_session (Fixture *f)
{
  start_server (f);
  f->admin = fq_test_login (fq_local_server_get_url (f->server), f->sessions, "coordinator");
  f->desk = fq_test_login (fq_local_server_get_url (f->server), f->sessions, "operator");
  return create_session (f);
}

static void
test_offline_minutes (Fixture       *f,
                      gconstpointer  data)
{
  const char *first = "城管执法大队介绍现场情况";
  const char *typed = "城管执法大队介绍现场情况。\n消防救援大队：通道必须立即恢复畅通。";
  g_autoptr(JsonObject) session = NULL;
  g_autoptr(JsonObject) now = NULL;
  g_autofree char *path = NULL;
  GtkTextView *view;
  gboolean loaded = FALSE;

  if (!fq_test_have_server ())
    return;

  session = start_with_session (f);
  path = g_strdup_printf ("/sessions/%s", json_object_get_string_member (session, "id"));

  start_console (f, FALSE);
  g_assert_true (fq_test_wait (online_cond, f->context, 60000));
  view = show_panel (f, session);

  /* The server goes away in the middle of the meeting. */
  fq_local_server_stop (f->server);
  g_clear_object (&f->server);
  g_assert_true (fq_test_wait (offline_cond, f->context, 20000));

  /* Typed in two goes, each saved after the pause: one write waits. */
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (view), first, -1);
  fq_test_run_for (1500);
  g_assert_cmpuint (fq_outbox_get_n_pending (fq_context_get_outbox (f->context)), ==, 1);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (view), typed, -1);
  fq_test_run_for (1500);
  g_assert_cmpuint (fq_outbox_get_n_pending (fq_context_get_outbox (f->context)), ==, 1);

  /* The console quits and starts again, still without the server. */
  stop_console (f);
  {
    /* The server's address stays the same: a stopped FqLocalServer has no
     * URL, so the console is given it by hand. */
    g_autofree char *url = g_strdup_printf ("http://%s", f->listen);
    gboolean done = FALSE;

    f->context = fq_context_new (NULL, url);
    fq_client_set_session_dir (fq_context_get_client (f->context), f->sessions);
    g_assert_true (fq_client_restore_session (fq_context_get_client (f->context), "coordinator",
                                              NULL));
    fq_context_start_async (f->context, f->cache_path, NULL, start_cb, &done);
    g_assert_true (fq_test_wait (fq_test_flag_cond, &done, 30000));
  }
  /* The outbox of the new start holds the minutes (fq_context_start_async
   * loads it); loading again is harmless and tells when it is done. */
  fq_outbox_load_async (fq_context_get_outbox (f->context), NULL, load_cb, &loaded);
  g_assert_true (fq_test_wait (fq_test_flag_cond, &loaded, 10000));
  g_assert_cmpuint (fq_outbox_get_n_pending (fq_context_get_outbox (f->context)), >=, 1);

  /* The server comes back: the minutes reach it. */
  start_server (f);
  fq_sync_reconnect_now (fq_context_get_sync (f->context));
  g_assert_true (fq_test_wait (pending_zero_cond, fq_context_get_outbox (f->context), 60000));
  now = call (f, "GET", path, NULL);
  g_assert_cmpstr (json_object_get_string_member (now, "minutes"), ==, typed);
}

static char *
run (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, &out, NULL, &status, &error))
    g_error ("%s: %s", argv[0], error->message);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return out;
}

static void
show_ticket_cb (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  char **shown = user_data;

  g_free (*shown);
  *shown = g_variant_dup_string (parameter, NULL);
}

/* The panel's menu opens the session's ticket (app.show-ticket, which
 * shows it on the board with its timeline). */
static void
test_open_ticket (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(JsonObject) session = NULL;
  g_autoptr(GSimpleActionGroup) app = g_simple_action_group_new ();
  g_autoptr(GSimpleAction) show = g_simple_action_new ("show-ticket", G_VARIANT_TYPE_STRING);
  g_autofree char *shown = NULL;
  GtkWidget *panel;

  if (!fq_test_have_server ())
    return;

  session = start_with_session (f);
  start_console (f, FALSE);
  g_assert_true (fq_test_wait (online_cond, f->context, 60000));
  show_panel (f, session);
  panel = gtk_window_get_child (GTK_WINDOW (f->window));

  g_signal_connect (show, "activate", G_CALLBACK (show_ticket_cb), &shown);
  g_action_map_add_action (G_ACTION_MAP (app), G_ACTION (show));
  gtk_widget_insert_action_group (f->window, "app", G_ACTION_GROUP (app));
  g_assert_true (gtk_widget_activate_action (panel, "session.open-ticket", NULL));
  g_assert_cmpstr (shown, ==, json_object_get_string_member (session, "ticket"));
}

static void
test_minutes_pdf (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(JsonObject) session = NULL;
  g_autoptr(JsonObject) item = json_object_new ();
  g_autoptr(FqReport) report = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pdf = NULL;
  g_autofree char *text = NULL;
  g_autofree char *fonts = NULL;
  g_autofree char *flat = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GDateTime) due = NULL;
  g_autofree char *due_text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autofree char *pdftotext = g_find_program_in_path ("pdftotext");
  g_autofree char *pdffonts = g_find_program_in_path ("pdffonts");
  gboolean cjk_embedded = FALSE;

  if (!fq_test_have_server ())
    return;
  if (pdftotext == NULL || pdffonts == NULL)
    {
      g_test_skip ("poppler-utils (pdftotext, pdffonts) are not installed");
      return;
    }

  session = start_with_session (f);
  step (&session, act (f, session, "check_in", "unit", STREET));
  step (&session, act (f, session, "minutes", "text", "消防救援大队指出该通道为小区唯一消防车道。"));
  step (&session, act (f, session, "decide", "text", "彩钢棚属违法建设，三日内拆除"));

  now = g_date_time_new_now_utc ();
  due = g_date_time_add_days (now, 3);
  due_text = g_date_time_format_iso8601 (due);
  json_object_set_string_member (item, "action", "add_action_item");
  json_object_set_int_member (item, "rev", json_object_get_int_member (session, "rev"));
  json_object_set_string_member (item, "text", "下达限期拆除通知书");
  json_object_set_string_member (item, "owner_unit", STREET);
  json_object_set_string_member (item, "due", due_text);
  path = g_strdup_printf ("/sessions/%s/actions", json_object_get_string_member (session, "id"));
  step (&session, call (f, "POST", path, item));
  step (&session, act (f, session, "conclude", NULL, NULL));
  g_assert_cmpstr (json_object_get_string_member (session, "state"), ==, "concluded");

  start_console (f, FALSE);
  g_assert_true (fq_test_wait (online_cond, f->context, 60000));

  report = fq_session_minutes_report_new (f->context, session);
  pdf = g_build_filename (f->dir, "minutes.pdf", NULL);
  g_assert_true (fq_report_write_pdf (report, pdf, &error));
  g_assert_no_error (error);

  text = run ((const char *[]) { "pdftotext", "-enc", "UTF-8", pdf, "-", NULL });
  /* Layout may break a line anywhere: compare without white space. */
  {
    GString *s = g_string_new (NULL);

    for (const char *p = text; *p != '\0'; p++)
      if (!g_ascii_isspace (*p))
        g_string_append_c (s, *p);
    flat = g_string_free (s, FALSE);
  }
  g_assert_nonnull (strstr (flat, "彩钢棚堵塞消防通道联合会商"));
  g_assert_nonnull (strstr (flat, "彩钢棚属违法建设，三日内拆除"));
  g_assert_nonnull (strstr (flat, "下达限期拆除通知书"));
  g_assert_nonnull (strstr (flat, "消防救援大队指出该通道为小区唯一消防车道。"));
  /* Attendance by unit name, not by id. */
  g_assert_nonnull (strstr (flat, "团城山街道办事处"));
  g_assert_null (strstr (flat, STREET));

  fonts = run ((const char *[]) { "pdffonts", pdf, NULL });
  lines = g_strsplit (fonts, "\n", -1);
  for (guint i = 2; lines[i] != NULL; i++)
    {
      g_autofree char *lower = g_ascii_strdown (lines[i], -1);
      g_auto(GStrv) cols = g_strsplit_set (lines[i], " ", -1);
      gboolean cjk = strstr (lower, "cjk") != NULL || strstr (lower, "wqy") != NULL ||
                     strstr (lower, "droid") != NULL || strstr (lower, "sourcehan") != NULL;
      guint n = 0, emb = 0;

      /* Columns: name type encoding emb sub uni object ID; "emb" is the
       * fourth from the end. */
      for (guint j = 0; cols[j] != NULL; j++)
        if (cols[j][0] != '\0')
          n++;
      for (guint j = 0, k = 0; cols[j] != NULL; j++)
        if (cols[j][0] != '\0' && ++k == n - 4)
          emb = g_str_equal (cols[j], "yes");
      if (cjk && emb)
        cjk_embedded = TRUE;
    }
  if (!cjk_embedded)
    g_printerr ("%s", fonts);
  g_assert_true (cjk_embedded);
}

int
main (int   argc,
      char *argv[])
{
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_print ("1..0 # SKIP no display\n");
      return 77;
    }

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/session-panel/offline-minutes", Fixture, NULL, setup, test_offline_minutes, teardown);
  g_test_add ("/session-panel/minutes-pdf", Fixture, NULL, setup, test_minutes_pdf, teardown);
  g_test_add ("/session-panel/open-ticket", Fixture, NULL, setup, test_open_ticket, teardown);

  return g_test_run ();
}
