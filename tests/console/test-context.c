/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Test"

#include "config.h"

#include "fq-category.h"
#include "fq-context.h"
#include "fq-test-data-util.h"

/*
 * The whole data layer as the views see it, through FqContext, against a
 * real server: the signed-in user, reference models, the grid tree with its
 * live counts and type-to-find, an incident arriving on the board, its
 * triage through the outbox (pending, then cleared) and the ticket that
 * results in the ticket list.
 */

#define GRID "420204004011"   /* 广州路社区居委会 */

typedef struct
{
  char          *dir;
  FqLocalServer *server;
  FqContext     *context;
} Fixture;

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  f->dir = g_dir_make_tmp ("fq-test-context-XXXXXX", NULL);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  if (f->context != NULL)
    {
      fq_context_stop (f->context);
      g_clear_object (&f->context);
    }
  if (f->server != NULL)
    fq_local_server_stop (f->server);
  g_clear_object (&f->server);
  fq_test_rm_rf (f->dir);
  g_free (f->dir);
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

static gboolean
ready_cond (gpointer data)
{
  FqContext *context = data;

  return fq_sync_get_state (fq_context_get_sync (context)) == FQ_SYNC_STATE_ONLINE &&
         !fq_sync_get_catching_up (fq_context_get_sync (context)) &&
         !fq_incident_list_get_loading (fq_context_get_incidents (context)) &&
         !fq_ticket_list_get_loading (fq_context_get_tickets (context));
}

typedef struct
{
  FqContext  *context;
  const char *id;
} Find;

static gboolean
incident_shown_cond (gpointer data)
{
  Find *fd = data;

  return fq_incident_list_find (fq_context_get_incidents (fd->context), fd->id) != G_MAXUINT;
}

static gboolean
ticket_shown_cond (gpointer data)
{
  Find *fd = data;

  return fq_ticket_list_find (fq_context_get_tickets (fd->context), fd->id) != G_MAXUINT;
}

static gboolean
row_not_pending_cond (gpointer data)
{
  return !fq_incident_row_get_pending (data);
}

static gboolean
community_counted_cond (gpointer data)
{
  FqGridItem *item = data;

  return fq_grid_item_get_n_new_today (item) >= 1;
}

static gboolean
ticket_counted_cond (gpointer data)
{
  FqGridItem *item = data;

  return fq_grid_item_get_n_open (item) >= 1;
}

typedef struct
{
  FqContext  *context;
  const char *code;
} GroupData;

static gboolean
group_named_cond (gpointer data)
{
  GroupData *gd = data;

  return fq_context_lookup_category_group_name (gd->context, gd->code) != NULL;
}

static void
test_context (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *sessions = NULL;
  g_autofree char *cache_path = NULL;
  g_autoptr(JsonNode) created = NULL;
  g_autoptr(JsonObject) triage = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FqIncidentRow) row = NULL;
  g_auto(GStrv) path = NULL;
  g_autofree char *key = NULL;
  FqClient *client;
  FqGridItem *community;
  GListModel *categories;
  const char *category = NULL;
  const char *id;
  gboolean done = FALSE;
  Find fd;
  GroupData gd = { NULL, NULL };
  guint pos;

  if (!fq_test_have_server ())
    return;

  {
    g_autofree char *server_dir = g_build_filename (f->dir, "server", NULL);

    f->server = fq_test_start_server (server_dir, NULL);
  }
  sessions = g_build_filename (f->dir, "sessions", NULL);
  cache_path = g_build_filename (f->dir, "cache.db", NULL);

  f->context = fq_context_new (NULL, fq_local_server_get_url (f->server));
  client = fq_context_get_client (f->context);
  fq_client_set_session_dir (client, sessions);
  fq_client_login_async (client, "operator", "demo", NULL, login_cb, &done);
  g_assert_true (fq_test_wait (fq_test_flag_cond, &done, 30000));

  done = FALSE;
  fq_context_start_async (f->context, cache_path, NULL, start_cb, &done);
  g_assert_true (fq_test_wait (fq_test_flag_cond, &done, 30000));
  g_assert_true (fq_context_get_started (f->context));
  g_assert_cmpstr (fq_context_get_username (f->context), ==, "operator");
  g_assert_cmpint (fq_context_get_role (f->context), ==, FQ_ROLE_OPERATOR);
  g_assert_cmpstr (fq_context_get_scope (f->context), ==, "420200000000");

  g_assert_true (fq_test_wait (ready_cond, f->context, 60000));

  /* Reference data, as models and by name. */
  categories = fq_context_get_categories (f->context);
  g_assert_cmpuint (g_list_model_get_n_items (categories), >, 10);
  for (guint i = 0; i < g_list_model_get_n_items (categories) && category == NULL; i++)
    {
      g_autoptr(FqCategory) cat = g_list_model_get_item (categories, i);

      if (!fq_category_get_police_only (cat))
        {
          category = g_intern_string (fq_category_get_code (cat));
          gd.code = g_intern_string (fq_category_get_group (cat));
        }
    }
  g_assert_nonnull (category);

  /* The names of the category groups come from GET /categories. */
  gd.context = f->context;
  g_assert_nonnull (gd.code);
  g_assert_true (fq_test_wait (group_named_cond, &gd, 10000));
  g_assert_cmpstr (fq_context_lookup_grid_name (f->context, GRID), ==, "广州路社区居委会");
  g_assert_cmpuint (g_list_model_get_n_items (fq_context_get_units (f->context)), >, 10);

  /* The grid tree and type-to-find. */
  g_assert_cmpuint (g_list_model_get_n_items (fq_grid_model_get_roots (fq_context_get_grid (f->context))), ==, 1);
  path = fq_grid_model_find (fq_context_get_grid (f->context), "广州路", NULL);
  g_assert_nonnull (path);
  g_assert_cmpstr (path[0], ==, "420200000000");
  g_assert_cmpstr (path[g_strv_length (path) - 1], ==, GRID);
  community = fq_grid_model_lookup (fq_context_get_grid (f->context), GRID);
  g_assert_nonnull (community);
  g_assert_cmpstr (fq_grid_item_get_prefix (community), ==, GRID);

  /* An incident from another desk: on the board, counted in its community. */
  {
    g_autoptr(FqClient) other = fq_test_login (fq_local_server_get_url (f->server), sessions, "admin");

    created = fq_test_call (other, "POST", "/incidents",
                            "{\"source\":\"110\",\"grid\":\"" GRID "\",\"summary\":\"上下楼漏水纠纷\","
                            "\"address\":\"广州路8号\"}", NULL, &error);
    g_assert_no_error (error);
  }
  id = json_object_get_string_member (json_node_get_object (created), "id");
  fd.context = f->context;
  fd.id = id;
  g_assert_true (fq_test_wait (incident_shown_cond, &fd, 5000));
  g_assert_true (fq_test_wait (community_counted_cond, community, 5000));

  pos = fq_incident_list_find (fq_context_get_incidents (f->context), id);
  row = g_list_model_get_item (G_LIST_MODEL (fq_context_get_incidents (f->context)), pos);
  g_assert_cmpstr (fq_incident_row_get_summary (row), ==, "上下楼漏水纠纷");
  g_assert_cmpstr (fq_incident_row_get_place (row), ==, "广州路社区居委会");

  /* Triage through the outbox: pending at once, cleared when the change
   * came back, and the new ticket in the ticket list. */
  triage = json_object_new ();
  json_object_set_string_member (triage, "decision", "divert");
  json_object_set_string_member (triage, "category", category);
  json_object_set_string_member (triage, "grid", GRID);
  json_object_set_int_member (triage, "rev", fq_incident_row_get_rev (row));
  json_object_set_string_member (triage, "note", "分流到社区");
  key = fq_outbox_triage (fq_context_get_outbox (f->context), id, triage);
  g_assert_true (fq_outbox_is_pending (fq_context_get_outbox (f->context), id));
  g_assert_true (fq_incident_row_get_pending (row));

  /* The badge goes when the row shows the new state. */
  g_assert_true (fq_test_wait (row_not_pending_cond, row, 10000));
  g_assert_false (fq_outbox_is_pending (fq_context_get_outbox (f->context), id));
  g_assert_cmpint (fq_incident_row_get_status (row), ==, FQ_INCIDENT_STATUS_TRIAGED);
  g_assert_cmpint (fq_incident_row_get_decision (row), ==, FQ_DECISION_DIVERT);
  g_assert_cmpstr (fq_incident_row_get_ticket (row), !=, "");

  fd.id = fq_incident_row_get_ticket (row);
  g_assert_true (fq_test_wait (ticket_shown_cond, &fd, 5000));
  g_assert_true (fq_test_wait (ticket_counted_cond, community, 5000));
  {
    FqTicketList *tickets = fq_context_get_tickets (f->context);
    g_autoptr(FqTicketRow) ticket = g_list_model_get_item (G_LIST_MODEL (tickets),
                                                           fq_ticket_list_find (tickets, fd.id));

    g_assert_cmpint (fq_ticket_row_get_state (ticket), ==, FQ_TICKET_STATE_DISPATCHED);
    g_assert_cmpint (fq_ticket_row_get_deadline (ticket), >, 0);
    g_assert_cmpstr (fq_ticket_row_get_lead_unit_name (ticket), !=, "");

    /* The console's preview of the lead unit is the server's choice. */
    g_assert_cmpstr (fq_context_preview_lead_unit (f->context, category, GRID), ==,
                     fq_ticket_row_get_lead_unit_name (ticket));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/context/end-to-end", Fixture, NULL, setup, test_context, teardown);

  return g_test_run ();
}
