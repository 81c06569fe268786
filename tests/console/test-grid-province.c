/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Test"

#include "config.h"

#include "fq-context.h"
#include "fq-test-data-util.h"

/*
 * The console's grid with a province at the top: a demo server (Huangshi)
 * gets a province file that puts 湖北省 above 黄石市 and adds a small
 * made-up city (4299, which no real division uses). An administrator's
 * console then shows the province as the one root with both cities below
 * it; type-to-find reaches into either city, and an incident in the other
 * city is counted there and in the province, not in Huangshi.
 */

#define PROVINCE        "420000000000"
#define CITY            "420200000000"
#define OTHER_CITY      "429900000000"
#define OTHER_COMMUNITY "429901001001"

/* Only the nodes that change or are new: the rest of Huangshi is on the
 * server already. */
static const char province_file[] =
  "code\tname\tlevel\tparent\n"
  "420000000000\t湖北省\tprovince\t\n"
  "420200000000\t黄石市\tcity\t420000000000\n"
  "429900000000\t示例市\tcity\t420000000000\n"
  "429901000000\t示例区\tdistrict\t429900000000\n"
  "429901001000\t示例街道\tstreet\t429901000000\n"
  "429901001001\t示例社区居委会\tcommunity\t429901001000\n";

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
  f->dir = g_dir_make_tmp ("fq-test-grid-province-XXXXXX", NULL);
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
grid_ready_cond (gpointer data)
{
  FqContext *context = data;
  FqGridModel *grid = fq_context_get_grid (context);

  return fq_sync_get_state (fq_context_get_sync (context)) == FQ_SYNC_STATE_ONLINE &&
         !fq_sync_get_catching_up (fq_context_get_sync (context)) &&
         fq_grid_model_get_loaded (grid) &&
         fq_grid_model_lookup (grid, OTHER_COMMUNITY) != NULL;
}

static gboolean
other_counted_cond (gpointer data)
{
  FqGridModel *grid = data;

  return fq_grid_item_get_n_new_today (fq_grid_model_lookup (grid, OTHER_CITY)) >= 1;
}

static void
import_province (const char *server_dir)
{
  g_autofree char *file = g_build_filename (server_dir, "..", "grid-42.tsv", NULL);
  g_autofree char *binary = fq_local_server_find_binary ();
  g_autofree char *err_text = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;
  const char *argv[] = {
    binary, "--data", server_dir, "--reference", g_getenv ("FQ_SOURCE_DATADIR"),
    "--import-grid", file, NULL,
  };

  g_file_set_contents (file, province_file, -1, &error);
  g_assert_no_error (error);
  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                NULL, &err_text, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("--import-grid failed: %s", err_text);
  g_assert_nonnull (strstr (err_text, "imported 5 grid nodes"));
}

static void
test_province_root (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *server_dir = NULL;
  g_autofree char *sessions = NULL;
  g_autofree char *cache_path = NULL;
  g_autoptr(FqClient) other = NULL;
  g_autoptr(JsonNode) created = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GListModel) cities = NULL;
  g_autoptr(FqGridItem) root = NULL;
  g_auto(GStrv) path = NULL;
  FqGridModel *grid;
  FqGridItem *province, *city, *other_city;
  gboolean done = FALSE;

  if (!fq_test_have_server ())
    return;

  server_dir = g_build_filename (f->dir, "server", NULL);
  f->server = fq_test_start_server (server_dir, NULL);
  fq_local_server_stop (f->server);
  g_clear_object (&f->server);
  import_province (server_dir);
  f->server = fq_test_start_server (server_dir, NULL);

  sessions = g_build_filename (f->dir, "sessions", NULL);
  cache_path = g_build_filename (f->dir, "cache.db", NULL);
  f->context = fq_context_new (NULL, fq_local_server_get_url (f->server));
  fq_client_set_session_dir (fq_context_get_client (f->context), sessions);
  {
    FqClient *client = fq_context_get_client (f->context);
    gboolean logged_in = FALSE;

    fq_client_login_async (client, "admin", "demo", NULL, fq_test_login_cb, &logged_in);
    g_assert_true (fq_test_wait (fq_test_flag_cond, &logged_in, 30000));
  }
  fq_context_start_async (f->context, cache_path, NULL, start_cb, &done);
  g_assert_true (fq_test_wait (fq_test_flag_cond, &done, 30000));
  g_assert_cmpstr (fq_context_get_scope (f->context), ==, PROVINCE);
  g_assert_true (fq_test_wait (grid_ready_cond, f->context, 60000));
  grid = fq_context_get_grid (f->context);

  /* One root, the province, with both cities below it. */
  g_assert_cmpuint (g_list_model_get_n_items (fq_grid_model_get_roots (grid)), ==, 1);
  root = g_list_model_get_item (fq_grid_model_get_roots (grid), 0);
  province = fq_grid_model_lookup (grid, PROVINCE);
  g_assert_true (root == province);
  g_assert_cmpint (fq_grid_item_get_level (province), ==, FQ_GRID_LEVEL_PROVINCE);
  g_assert_cmpstr (fq_grid_item_get_prefix (province), ==, "42");
  g_assert_cmpstr (fq_grid_item_get_name (province), ==, "湖北省");
  g_assert_true (fq_grid_item_get_has_children (province));
  cities = fq_grid_model_create_child_model (province, grid);
  g_assert_nonnull (cities);
  g_assert_cmpuint (g_list_model_get_n_items (cities), ==, 2);
  city = fq_grid_model_lookup (grid, CITY);
  other_city = fq_grid_model_lookup (grid, OTHER_CITY);
  g_assert_cmpint (fq_grid_item_get_level (city), ==, FQ_GRID_LEVEL_CITY);
  g_assert_cmpstr (fq_grid_item_get_prefix (city), ==, "4202");
  g_assert_cmpstr (fq_grid_item_get_prefix (other_city), ==, "4299");

  /* Type-to-find goes from the province down into either city. */
  path = fq_grid_model_find (grid, "广州路", NULL);
  g_assert_nonnull (path);
  g_assert_cmpstr (path[0], ==, PROVINCE);
  g_assert_cmpstr (path[1], ==, CITY);
  g_assert_cmpstr (path[g_strv_length (path) - 1], ==, "420204004011");
  g_clear_pointer (&path, g_strfreev);
  path = fq_grid_model_find (grid, "示例社区", NULL);
  g_assert_nonnull (path);
  g_assert_cmpuint (g_strv_length (path), ==, 5);
  g_assert_cmpstr (path[0], ==, PROVINCE);
  g_assert_cmpstr (path[1], ==, OTHER_CITY);
  g_assert_cmpstr (path[4], ==, OTHER_COMMUNITY);

  /* An incident in the other city counts there and in the province. */
  other = fq_test_login (fq_local_server_get_url (f->server), sessions, "admin");
  created = fq_test_call (other, "POST", "/incidents",
                          "{\"source\":\"110\",\"grid\":\"" OTHER_COMMUNITY "\","
                          "\"summary\":\"楼上漏水纠纷\",\"address\":\"示例路1号\"}", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (fq_test_wait (other_counted_cond, grid, 10000));
  g_assert_cmpuint (fq_grid_item_get_n_new_today (other_city), ==, 1);
  g_assert_cmpuint (fq_grid_item_get_n_new_today (province), ==,
                    fq_grid_item_get_n_new_today (city) + 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/grid-province/root", Fixture, NULL, setup, test_province_root, teardown);

  return g_test_run ();
}
