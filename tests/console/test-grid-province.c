/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Test"

#include "config.h"

#include <gtk/gtk.h>

#include "fq-context.h"
#include "fq-unit.h"
#include "fq-test-data-util.h"

/*
 * The console's grid with a province at the top: a demo server (Huangshi)
 * gets a province file that puts 湖北省 above 黄石市 and adds a small
 * made-up city (4299, which no real division uses). An administrator's
 * console then shows the province as the one root with both cities below
 * it; type-to-find reaches into either city, and an incident in the other
 * city is counted there and in the province, not in Huangshi.
 *
 * With a country file, 全国 is the root (its scope prefix empty) above
 * Hubei and a made-up province whose city has no districts (as 东莞 has
 * none): the town hangs right below the city, and an incident in its
 * village counts in the town, the city, the province and the country.
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

#define COUNTRY         "000000000000"
#define PLAIN_PROVINCE  "990000000000"
#define PLAIN_CITY      "990100000000"
#define PLAIN_TOWN      "990100001000"
#define PLAIN_VILLAGE   "990100001001"

static const char country_file[] =
  "code\tname\tlevel\tparent\n"
  "000000000000\t全国\tcountry\t\n"
  "420000000000\t湖北省\tprovince\t000000000000\n"
  "420200000000\t黄石市\tcity\t420000000000\n"
  "990000000000\t示例省\tprovince\t000000000000\n"
  "990100000000\t平原市\tcity\t990000000000\n"
  "990100001000\t河口镇\tstreet\t990100000000\n"
  "990100001001\t桥头村村民委员会\tcommunity\t990100001000\n";

/* A street that comes with no community, then gets one while the
 * console runs (two imports, the server restarted between them). */
#define DISTRICT        "420202000000"
#define NEW_STREET      "420202999000"
#define NEW_COMMUNITY   "420202999001"

static const char street_file[] =
  "code\tname\tlevel\tparent\n"
  "420200000000\t黄石市\tcity\t\n"
  "420202000000\t黄石港区\tdistrict\t420200000000\n"
  "420202999000\t示例新街道\tstreet\t420202000000\n";

static const char community_file[] =
  "code\tname\tlevel\tparent\n"
  "420200000000\t黄石市\tcity\t\n"
  "420202000000\t黄石港区\tdistrict\t420200000000\n"
  "420202999000\t示例新街道\tstreet\t420202000000\n"
  "420202999001\t示例新社区居委会\tcommunity\t420202999000\n";

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

typedef struct
{
  FqContext  *context;
  const char *code;
} Wait;

static gboolean
grid_ready_cond (gpointer data)
{
  Wait *wait = data;
  FqGridModel *grid = fq_context_get_grid (wait->context);

  return fq_sync_get_state (fq_context_get_sync (wait->context)) == FQ_SYNC_STATE_ONLINE &&
         !fq_sync_get_catching_up (fq_context_get_sync (wait->context)) &&
         fq_grid_model_get_loaded (grid) &&
         fq_grid_model_lookup (grid, wait->code) != NULL;
}

static gboolean
counted_cond (gpointer data)
{
  Wait *wait = data;
  FqGridModel *grid = fq_context_get_grid (wait->context);

  return fq_grid_item_get_n_new_today (fq_grid_model_lookup (grid, wait->code)) >= 1;
}

/* Imports @contents into the stopped server's data directory. */
static void
import_grid (const char *server_dir,
             const char *contents,
             const char *imported)
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

  g_file_set_contents (file, contents, -1, &error);
  g_assert_no_error (error);
  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                NULL, &err_text, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("--import-grid failed: %s", err_text);
  g_assert_nonnull (strstr (err_text, imported));
}

/* A demo server that got @contents, and an administrator's console on it,
 * its grid loaded down to @code. */
static void
start_with_grid (Fixture    *f,
                 const char *contents,
                 const char *imported,
                 const char *code)
{
  g_autofree char *server_dir = g_build_filename (f->dir, "server", NULL);
  g_autofree char *sessions = g_build_filename (f->dir, "sessions", NULL);
  g_autofree char *cache_path = g_build_filename (f->dir, "cache.db", NULL);
  Wait wait = { NULL, code };
  gboolean done = FALSE;

  f->server = fq_test_start_server (server_dir, NULL);
  fq_local_server_stop (f->server);
  g_clear_object (&f->server);
  import_grid (server_dir, contents, imported);
  f->server = fq_test_start_server (server_dir, NULL);

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
  wait.context = f->context;
  g_assert_true (fq_test_wait (grid_ready_cond, &wait, 60000));
}

/* POSTs an incident at @community as the administrator. */
static void
post_incident (Fixture    *f,
               const char *community)
{
  g_autofree char *sessions = g_build_filename (f->dir, "sessions", NULL);
  g_autofree char *body = g_strdup_printf ("{\"source\":\"110\",\"grid\":\"%s\","
                                           "\"summary\":\"楼上漏水纠纷\",\"address\":\"示例路1号\"}",
                                           community);
  g_autoptr(FqClient) other = fq_test_login (fq_local_server_get_url (f->server), sessions, "admin");
  g_autoptr(JsonNode) created = NULL;
  g_autoptr(GError) error = NULL;

  created = fq_test_call (other, "POST", "/incidents", body, NULL, &error);
  g_assert_no_error (error);
}

static void
test_province_root (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GListModel) cities = NULL;
  g_autoptr(FqGridItem) root = NULL;
  g_auto(GStrv) path = NULL;
  FqGridModel *grid;
  FqGridItem *province, *city, *other_city;
  Wait wait;

  if (!fq_test_have_server ())
    return;

  start_with_grid (f, province_file, "imported 5 grid nodes", OTHER_COMMUNITY);
  g_assert_cmpstr (fq_context_get_scope (f->context), ==, PROVINCE);
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
  post_incident (f, OTHER_COMMUNITY);
  wait = (Wait) { f->context, OTHER_CITY };
  g_assert_true (fq_test_wait (counted_cond, &wait, 10000));
  g_assert_cmpuint (fq_grid_item_get_n_new_today (other_city), ==, 1);
  g_assert_cmpuint (fq_grid_item_get_n_new_today (province), ==,
                    fq_grid_item_get_n_new_today (city) + 1);
}

static void
test_country_root (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GListModel) provinces = NULL;
  g_autoptr(FqGridItem) root = NULL;
  g_auto(GStrv) path = NULL;
  FqGridModel *grid;
  FqGridItem *country, *city, *plain_city, *town;
  Wait wait;

  if (!fq_test_have_server ())
    return;

  start_with_grid (f, country_file, "imported 6 grid nodes", PLAIN_VILLAGE);
  g_assert_cmpstr (fq_context_get_scope (f->context), ==, COUNTRY);
  grid = fq_context_get_grid (f->context);

  /* One root, the country, whose scope prefix is empty. */
  g_assert_cmpuint (g_list_model_get_n_items (fq_grid_model_get_roots (grid)), ==, 1);
  root = g_list_model_get_item (fq_grid_model_get_roots (grid), 0);
  country = fq_grid_model_lookup (grid, COUNTRY);
  g_assert_true (root == country);
  g_assert_cmpint (fq_grid_item_get_level (country), ==, FQ_GRID_LEVEL_COUNTRY);
  g_assert_cmpstr (fq_grid_item_get_prefix (country), ==, "");
  g_assert_cmpstr (fq_grid_item_get_name (country), ==, "全国");
  provinces = fq_grid_model_create_child_model (country, grid);
  g_assert_nonnull (provinces);
  g_assert_cmpuint (g_list_model_get_n_items (provinces), ==, 2);

  /* The town is the city's child: the city has no districts. */
  plain_city = fq_grid_model_lookup (grid, PLAIN_CITY);
  town = fq_grid_model_lookup (grid, PLAIN_TOWN);
  g_assert_cmpint (fq_grid_item_get_level (town), ==, FQ_GRID_LEVEL_STREET);
  path = fq_grid_model_find (grid, "桥头", NULL);
  g_assert_nonnull (path);
  g_assert_cmpuint (g_strv_length (path), ==, 5);
  g_assert_cmpstr (path[0], ==, COUNTRY);
  g_assert_cmpstr (path[1], ==, PLAIN_PROVINCE);
  g_assert_cmpstr (path[2], ==, PLAIN_CITY);
  g_assert_cmpstr (path[3], ==, PLAIN_TOWN);
  g_assert_cmpstr (path[4], ==, PLAIN_VILLAGE);

  /* The units came row by row as the cache filled: in order, the new
   * city's departments and the town's office among them. */
  {
    GListModel *units = fq_context_get_units (f->context);
    guint n = g_list_model_get_n_items (units);
    gboolean city_housing = FALSE, town_office = FALSE;

    g_assert_cmpuint (n, >, 1000);
    for (guint i = 0; i < n; i++)
      {
        g_autoptr(FqUnit) unit = g_list_model_get_item (units, i);
        const char *id = fq_unit_get_id (unit);

        if (i > 0)
          {
            g_autoptr(FqUnit) before = g_list_model_get_item (units, i - 1);

            g_assert_cmpstr (fq_unit_get_id (before), <, id);
          }
        city_housing |= g_strcmp0 (id, "housing-" PLAIN_CITY) == 0;
        town_office |= g_strcmp0 (id, "street_office-" PLAIN_TOWN) == 0;
      }
    g_assert_true (city_housing);
    g_assert_true (town_office);
  }

  /* An incident in the village counts up to the country. */
  post_incident (f, PLAIN_VILLAGE);
  wait = (Wait) { f->context, PLAIN_TOWN };
  g_assert_true (fq_test_wait (counted_cond, &wait, 10000));
  city = fq_grid_model_lookup (grid, CITY);
  g_assert_cmpuint (fq_grid_item_get_n_new_today (town), ==, 1);
  g_assert_cmpuint (fq_grid_item_get_n_new_today (plain_city), ==, 1);
  g_assert_cmpuint (fq_grid_item_get_n_new_today (fq_grid_model_lookup (grid, PLAIN_PROVINCE)), ==, 1);
  g_assert_cmpuint (fq_grid_item_get_n_new_today (country), ==,
                    fq_grid_item_get_n_new_today (city) + 1);
}

/* The row of @code in @tree (expanded down to it), or NULL. */
static GtkTreeListRow *
find_row (GtkTreeListModel *tree,
          const char       *code,
          guint            *position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (tree));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkTreeListRow) row = gtk_tree_list_model_get_row (tree, i);
      g_autoptr(FqGridItem) item = gtk_tree_list_row_get_item (row);

      if (g_str_equal (fq_grid_item_get_code (item), code))
        {
          if (position != NULL)
            *position = i;
          return g_steal_pointer (&row);
        }
    }
  return NULL;
}

/* A node that was a leaf when the sidebar's tree showed it, and gets its
 * first child while the console runs, can be opened at once; its row stays
 * selected. (GtkTreeListModel asks a row once whether it has children.) */
static void
test_leaf_gains_children (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GtkTreeListModel) tree = NULL;
  g_autoptr(GtkSingleSelection) selection = NULL;
  g_autoptr(GtkTreeListRow) root_row = NULL;
  g_autoptr(GtkTreeListRow) district_row = NULL;
  g_autoptr(GtkTreeListRow) street_row = NULL;
  g_autoptr(GtkTreeListRow) child_row = NULL;
  g_autoptr(FqGridItem) selected = NULL;
  g_autoptr(FqGridItem) child = NULL;
  g_autofree char *server_dir = g_build_filename (f->dir, "server", NULL);
  g_autofree char *listen = NULL;
  FqGridModel *grid;
  guint position = 0;
  Wait wait;

  if (!fq_test_have_server ())
    return;

  start_with_grid (f, street_file, "imported 1 grid nodes", NEW_STREET);
  grid = fq_context_get_grid (f->context);
  g_assert_false (fq_grid_item_get_has_children (fq_grid_model_lookup (grid, NEW_STREET)));

  /* The sidebar's chain: the roots, a tree with children on demand, a
   * single selection. The city, then the district, opened. */
  tree = gtk_tree_list_model_new (g_object_ref (fq_grid_model_get_roots (grid)), FALSE, FALSE,
                                  fq_grid_model_create_child_model, g_object_ref (grid),
                                  g_object_unref);
  selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (tree)));
  gtk_single_selection_set_can_unselect (selection, FALSE);
  root_row = find_row (tree, CITY, NULL);
  g_assert_nonnull (root_row);
  gtk_tree_list_row_set_expanded (root_row, TRUE);
  district_row = find_row (tree, DISTRICT, NULL);
  g_assert_nonnull (district_row);
  gtk_tree_list_row_set_expanded (district_row, TRUE);
  street_row = find_row (tree, NEW_STREET, &position);
  g_assert_nonnull (street_row);
  g_assert_false (gtk_tree_list_row_is_expandable (street_row));
  gtk_single_selection_set_selected (selection, position);
  g_clear_object (&street_row);

  /* A community for the street: imported with the server stopped, which
   * then comes back at the same address; the console catches up. */
  listen = fq_test_server_listen (f->server);
  fq_local_server_stop (f->server);
  g_clear_object (&f->server);
  import_grid (server_dir, community_file, "imported 1 grid nodes");
  f->server = fq_test_start_server (server_dir, listen);
  wait = (Wait) { f->context, NEW_COMMUNITY };
  g_assert_true (fq_test_wait (grid_ready_cond, &wait, 60000));

  /* The street's row can now be opened, shows its community, and is still
   * the one selected. */
  street_row = find_row (tree, NEW_STREET, &position);
  g_assert_nonnull (street_row);
  g_assert_true (gtk_tree_list_row_is_expandable (street_row));
  selected = gtk_tree_list_row_get_item (gtk_single_selection_get_selected_item (selection));
  g_assert_cmpstr (fq_grid_item_get_code (selected), ==, NEW_STREET);
  gtk_tree_list_row_set_expanded (street_row, TRUE);
  child_row = gtk_tree_list_model_get_row (tree, position + 1);
  g_assert_nonnull (child_row);
  child = gtk_tree_list_row_get_item (child_row);
  g_assert_cmpstr (fq_grid_item_get_code (child), ==, NEW_COMMUNITY);
  g_assert_cmpuint (gtk_tree_list_row_get_depth (child_row), ==,
                    gtk_tree_list_row_get_depth (street_row) + 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/grid-province/root", Fixture, NULL, setup, test_province_root, teardown);
  g_test_add ("/grid-province/country", Fixture, NULL, setup, test_country_root, teardown);
  g_test_add ("/grid-province/leaf-gains-children", Fixture, NULL, setup, test_leaf_gains_children,
              teardown);

  return g_test_run ();
}
