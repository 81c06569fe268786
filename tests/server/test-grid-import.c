/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * `fengqiao-server --import-grid` with a province file: a demo server that
 * started with the Huangshi city file is stopped, a file rooted at the
 * province of Hubei is imported into its data directory (the real Huangshi
 * city from data/grid-4202.tsv plus a small made-up city, 4299, which no
 * real division uses), and the restarted server answers the province:
 * GET /grid holds it above both cities, a user scoped to the province sees
 * the incidents of both cities, a user scoped to one city only its own.
 * A city file that neither starts at a known node nor holds the server's
 * root is refused, and importing the same file again adds nothing.
 *
 * A country file (gen-grid.mjs --all) wraps the same city two levels up:
 * 全国, whose scope prefix is empty, above Hubei above Huangshi, with a
 * made-up second province whose city has no districts (as 东莞 has none),
 * its town right below the city. A user scoped to the country lists the
 * records of both provinces, and the lead unit of a place in the city
 * without districts is the city's department.
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "fq-test-server.h"

#define PROVINCE         "420000000000"
#define OTHER_CITY       "429900000000"
#define OTHER_COMMUNITY  "429901001001"

/* The made-up city: one district, one street, one community. */
#define OTHER_CITY_ROWS \
  "429900000000\t示例市\tcity\t420000000000\t示例\tShili City\tShili\n" \
  "429901000000\t示例区\tdistrict\t429900000000\t示例\tShili District\tShili\n" \
  "429901001000\t示例街道\tstreet\t429901000000\t示例\tShili Sub-district\tShili\n" \
  "429901001001\t示例社区居委会\tcommunity\t429901001000\t示例\tShili Community\tShili\n"

#define COUNTRY          "000000000000"
#define OTHER_PROVINCE   "990000000000"
#define PLAIN_CITY       "990100000000"
#define PLAIN_TOWN       "990100001000"
#define PLAIN_VILLAGE    "990100001001"

/* The made-up province: a city without districts, a town, a village. */
#define OTHER_PROVINCE_ROWS \
  "990000000000\t示例省\tprovince\t000000000000\t示例\tShili Province\tShili\n" \
  "990100000000\t平原市\tcity\t990000000000\t平原\tPingyuan City\tPingyuan\n" \
  "990100001000\t河口镇\tstreet\t990100000000\t河口\tHekou Town\tHekou\n" \
  "990100001001\t桥头村村民委员会\tcommunity\t990100001000\t桥头\tQiaotou Village\tQiaotou\n"

static char *tmp_dir;

/* The province file: the province, then every row of the city file with
 * the city's parent set to the province, then the other city. With
 * @country, the country first, the province below it, and the other
 * province last. */
static char *
write_grid_file (gboolean country)
{
  g_autofree char *city_path = g_build_filename (g_getenv ("FQ_SOURCE_DATADIR"),
                                                 "grid-4202.tsv", NULL);
  g_autofree char *city = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_auto(GStrv) lines = NULL;
  char *path = g_build_filename (tmp_dir, country ? "grid-all.tsv" : "grid-42.tsv", NULL);
  gboolean header = TRUE;

  g_file_get_contents (city_path, &city, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (city, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (lines[i][0] == '\0' || lines[i][0] == '#')
        continue;
      if (header)
        {
          /* The header names the optional columns this file's rows use. */
          g_assert_cmpstr (lines[i], ==, "code\tname\tlevel\tparent\tshort\tname_en\tshort_en");
          g_string_append_printf (out, "%s\n", lines[i]);
          if (country)
            g_string_append (out, COUNTRY "\t全国\tcountry\t\t全国\tChina\tChina\n"
                             PROVINCE "\t湖北省\tprovince\t" COUNTRY "\t湖北\tHubei Province\tHubei\n");
          else
            g_string_append (out, PROVINCE "\t湖北省\tprovince\t\t湖北\tHubei Province\tHubei\n");
          header = FALSE;
          continue;
        }
      if (g_str_has_prefix (lines[i], FQ_TEST_CITY "\t"))
        {
          g_auto(GStrv) fields = g_strsplit (lines[i], "\t", -1);
          g_autofree char *line = NULL;

          g_assert_cmpuint (g_strv_length (fields), ==, 7);
          g_assert_cmpstr (fields[3], ==, "");
          g_free (fields[3]);
          fields[3] = g_strdup (PROVINCE);
          line = g_strjoinv ("\t", fields);
          g_string_append_printf (out, "%s\n", line);
          continue;
        }
      g_string_append_printf (out, "%s\n", lines[i]);
    }
  g_string_append (out, OTHER_CITY_ROWS);
  if (country)
    g_string_append (out, OTHER_PROVINCE_ROWS);

  g_file_set_contents (path, out->str, out->len, &error);
  g_assert_no_error (error);
  return path;
}

/* Runs `fengqiao-server --data DIR --import-grid FILE`; returns its exit
 * status and its standard error. */
static int
run_import (FqTestServer  *server,
            const char    *file,
            char         **err_text)
{
  const char *args[] = {
    "--reference", g_getenv ("FQ_SOURCE_DATADIR"),
    "--import-grid", file,
    NULL,
  };

  return fq_test_run_server_command (fq_test_server_get_data_dir (server), args, NULL, 120,
                                     NULL, err_text);
}

static JsonObject *
find_node (JsonArray  *nodes,
           const char *code)
{
  for (guint i = 0; nodes != NULL && i < json_array_get_length (nodes); i++)
    {
      JsonObject *node = json_array_get_object_element (nodes, i);

      if (g_strcmp0 (fq_test_obj_str (node, "code"), code) == 0)
        return node;
    }
  return NULL;
}

/* Starts the stopped @server again and signs in its administrator, whom
 * the import scoped to the new root @root above Huangshi (an audit row
 * says so); returns the administrator's GET /grid through @grid. */
static FqTestClient *
start_as_admin (FqTestServer    *server,
                const char      *root,
                FqTestResponse **grid)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FqTestResponse) me = NULL;
  g_autofree char *audit = g_strdup_printf ("420200000000 → %s", root);
  FqTestClient *admin;

  g_assert_true (fq_test_server_start (server, 60, &error));
  g_assert_no_error (error);
  admin = fq_test_client_new_login (fq_test_server_get_url (server), "admin",
                                    FQ_TEST_DEMO_PASSWORD);

  me = fq_test_get (admin, "/me");
  fq_test_assert_status (me, 200);
  g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (me), "scope"), ==, root);
  g_assert_cmpuint (fq_test_count_audit (admin, audit), ==, 1);

  *grid = fq_test_get (admin, "/grid");
  fq_test_assert_status (*grid, 200);
  return admin;
}

static guint
get_status (FqTestClient *client,
            const char   *incident_id)
{
  g_autoptr(FqTestResponse) resp = fq_test_get (client, "/incidents/%s", incident_id);

  return resp->status;
}

static void
test_province (void)
{
  g_autoptr(FqTestServer) server = fq_test_server_new_demo ();
  g_autofree char *province_file = write_grid_file (FALSE);
  g_autofree char *city_file = g_build_filename (tmp_dir, "grid-4299.tsv", NULL);
  g_autofree char *err_text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FqTestClient) admin = NULL;
  g_autoptr(FqTestClient) operator = NULL;
  g_autoptr(FqTestClient) in_province = NULL;
  g_autoptr(FqTestClient) in_huangshi = NULL;
  g_autoptr(FqTestClient) in_other = NULL;
  g_autoptr(FqTestResponse) grid = NULL;
  g_autoptr(FqTestResponse) node = NULL;
  g_autoptr(FqTestResponse) units = NULL;
  g_autoptr(JsonObject) here = NULL;
  g_autoptr(JsonObject) there = NULL;
  JsonArray *nodes, *children;
  JsonObject *obj;

  g_assert_true (fq_test_server_stop (server));

  /* A city file on its own: neither its root nor the server's root
   * connects it, so it is refused and nothing is written. */
  g_file_set_contents (city_file,
                       "code\tname\tlevel\tparent\tshort\tname_en\tshort_en\n"
                       "429900000000\t示例市\tcity\t\t示例\tShili City\tShili\n", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (run_import (server, city_file, &err_text), !=, 0);
  g_assert_nonnull (strstr (err_text, "its root 429900000000 is not a node of this server"));
  g_clear_pointer (&err_text, g_free);

  /* The province file wraps the server's root. */
  g_assert_cmpint (run_import (server, province_file, &err_text), ==, 0);
  /* 1 province + the other city's 4 nodes; Huangshi's 1,104 are there. */
  g_assert_nonnull (strstr (err_text, "imported 5 grid nodes"));
  g_clear_pointer (&err_text, g_free);

  /* Again: nothing new. */
  g_assert_cmpint (run_import (server, province_file, &err_text), ==, 0);
  g_assert_nonnull (strstr (err_text, "imported 0 grid nodes and 0 units"));
  g_clear_pointer (&err_text, g_free);

  /* The administrator of the whole server now administers the province. */
  admin = start_as_admin (server, PROVINCE, &grid);
  nodes = fq_test_obj_array (fq_test_response_object (grid), "nodes");
  g_assert_cmpuint (json_array_get_length (nodes), ==, 1 + 1104 + 4);
  obj = find_node (nodes, PROVINCE);
  g_assert_nonnull (obj);
  g_assert_cmpstr (fq_test_obj_str (obj, "level"), ==, "province");
  g_assert_true (fq_test_obj_is_null (obj, "parent"));
  /* Parents come before their children. */
  g_assert_cmpstr (fq_test_obj_str (json_array_get_object_element (nodes, 0), "code"), ==,
                   PROVINCE);
  obj = find_node (nodes, FQ_TEST_CITY);
  g_assert_cmpstr (fq_test_obj_str (obj, "parent"), ==, PROVINCE);
  obj = find_node (nodes, FQ_TEST_GUANGZHOULU);
  g_assert_true (g_str_has_prefix (fq_test_obj_str (obj, "path"), "湖北省 / 黄石市 / "));
  obj = find_node (nodes, OTHER_COMMUNITY);
  g_assert_cmpstr (fq_test_obj_str (obj, "path"), ==,
                   "湖北省 / 示例市 / 示例区 / 示例街道 / 示例社区居委会");

  node = fq_test_get (admin, "/grid/%s", PROVINCE);
  fq_test_assert_status (node, 200);
  children = fq_test_obj_array (fq_test_response_object (node), "children");
  g_assert_cmpuint (json_array_get_length (children), ==, 2);
  g_assert_nonnull (find_node (children, FQ_TEST_CITY));
  g_assert_nonnull (find_node (children, OTHER_CITY));

  /* The other city's units were generated from the templates. */
  units = fq_test_get (admin, "/units");
  fq_test_assert_status (units, 200);
  g_assert_nonnull (strstr (units->text, "\"community-" OTHER_COMMUNITY "\""));
  g_assert_nonnull (strstr (units->text, "\"street_office-429901001000\""));

  /* Scopes nest: province ⊃ city. */
  operator = fq_test_create_user (admin, "operator", PROVINCE, NULL, NULL);
  in_province = fq_test_create_user (admin, "coordinator", PROVINCE, NULL, NULL);
  in_huangshi = fq_test_create_user (admin, "coordinator", FQ_TEST_CITY, NULL, NULL);
  in_other = fq_test_create_user (admin, "coordinator", OTHER_CITY, NULL, NULL);

  here = fq_test_create_incident (operator, FQ_TEST_GUANGZHOULU, NULL);
  there = fq_test_create_incident (operator, OTHER_COMMUNITY, NULL);

  g_assert_cmpuint (get_status (in_province, fq_test_obj_str (here, "id")), ==, 200);
  g_assert_cmpuint (get_status (in_province, fq_test_obj_str (there, "id")), ==, 200);
  g_assert_cmpuint (get_status (in_huangshi, fq_test_obj_str (here, "id")), ==, 200);
  g_assert_cmpuint (get_status (in_huangshi, fq_test_obj_str (there, "id")), ==, 404);
  g_assert_cmpuint (get_status (in_other, fq_test_obj_str (here, "id")), ==, 404);
  g_assert_cmpuint (get_status (in_other, fq_test_obj_str (there, "id")), ==, 200);

  /* A city's coordinator sees its city's grid, not the province's other
   * city; its city still names the province as parent. */
  {
    g_autoptr(FqTestResponse) city_grid = fq_test_get (in_huangshi, "/grid");
    JsonArray *city_nodes;

    fq_test_assert_status (city_grid, 200);
    city_nodes = fq_test_obj_array (fq_test_response_object (city_grid), "nodes");
    g_assert_cmpuint (json_array_get_length (city_nodes), ==, 1104);
    g_assert_null (find_node (city_nodes, PROVINCE));
    g_assert_null (find_node (city_nodes, OTHER_CITY));
    g_assert_cmpstr (fq_test_obj_str (find_node (city_nodes, FQ_TEST_CITY), "parent"), ==,
                     PROVINCE);
  }

  /* The province is no place for a user outside it. */
  {
    g_autoptr(FqTestResponse) resp = fq_test_get (in_huangshi, "/grid/%s", PROVINCE);

    fq_test_assert_error (resp, 404, "not_found");
  }
}

static void
test_country (void)
{
  g_autoptr(FqTestServer) server = fq_test_server_new_demo ();
  g_autofree char *country_file = write_grid_file (TRUE);
  g_autofree char *err_text = NULL;
  g_autoptr(FqTestClient) admin = NULL;
  g_autoptr(FqTestClient) operator = NULL;
  g_autoptr(FqTestClient) coordinator = NULL;
  g_autoptr(FqTestClient) in_huangshi = NULL;
  g_autoptr(FqTestResponse) grid = NULL;
  g_autoptr(FqTestResponse) listed = NULL;
  g_autoptr(JsonObject) here = NULL;
  g_autoptr(JsonObject) there = NULL;
  g_autoptr(JsonObject) ticket = NULL;
  JsonObject *category;
  JsonArray *nodes;
  JsonObject *obj;

  g_assert_true (fq_test_server_stop (server));

  /* 全国, 湖北省, the made-up city of Hubei (4) and the made-up province
   * (4); Huangshi's 1,104 nodes are there already. */
  g_assert_cmpint (run_import (server, country_file, &err_text), ==, 0);
  g_assert_nonnull (strstr (err_text, "imported 10 grid nodes"));
  g_clear_pointer (&err_text, g_free);

  admin = start_as_admin (server, COUNTRY, &grid);
  nodes = fq_test_obj_array (fq_test_response_object (grid), "nodes");
  g_assert_cmpuint (json_array_get_length (nodes), ==, 1104 + 10);
  obj = json_array_get_object_element (nodes, 0);
  g_assert_cmpstr (fq_test_obj_str (obj, "code"), ==, COUNTRY);
  g_assert_cmpstr (fq_test_obj_str (obj, "level"), ==, "country");
  g_assert_true (fq_test_obj_is_null (obj, "parent"));
  obj = find_node (nodes, PROVINCE);
  g_assert_cmpstr (fq_test_obj_str (obj, "parent"), ==, COUNTRY);
  obj = find_node (nodes, FQ_TEST_GUANGZHOULU);
  g_assert_true (g_str_has_prefix (fq_test_obj_str (obj, "path"), "全国 / 湖北省 / 黄石市 / "));
  /* The town hangs right below its city, which has no districts. */
  obj = find_node (nodes, PLAIN_TOWN);
  g_assert_cmpstr (fq_test_obj_str (obj, "level"), ==, "street");
  g_assert_cmpstr (fq_test_obj_str (obj, "parent"), ==, PLAIN_CITY);
  obj = find_node (nodes, PLAIN_VILLAGE);
  g_assert_cmpstr (fq_test_obj_str (obj, "path"), ==,
                   "全国 / 示例省 / 平原市 / 河口镇 / 桥头村村民委员会");

  /* Users scoped to the whole country: the empty scope prefix holds
   * every code, in both provinces. */
  operator = fq_test_create_user (admin, "operator", COUNTRY, NULL, NULL);
  coordinator = fq_test_create_user (admin, "coordinator", COUNTRY, NULL, NULL);
  in_huangshi = fq_test_create_user (admin, "coordinator", FQ_TEST_CITY, NULL, NULL);
  here = fq_test_create_incident (operator, FQ_TEST_GUANGZHOULU, NULL);
  there = fq_test_create_incident (operator, PLAIN_VILLAGE, NULL);

  g_assert_cmpuint (get_status (coordinator, fq_test_obj_str (here, "id")), ==, 200);
  g_assert_cmpuint (get_status (coordinator, fq_test_obj_str (there, "id")), ==, 200);
  g_assert_cmpuint (get_status (in_huangshi, fq_test_obj_str (there, "id")), ==, 404);
  /* Newest first: both are on the first page. */
  listed = fq_test_get (coordinator, "/incidents?status=new");
  fq_test_assert_status (listed, 200);
  g_assert_nonnull (strstr (listed->text, fq_test_obj_str (here, "id")));
  g_assert_nonnull (strstr (listed->text, fq_test_obj_str (there, "id")));

  /* The lead unit of a place in a city without districts: the city's own
   * department, found by walking up from the village past the town. */
  category = fq_test_find_category_by_lead (coordinator, "housing", 0);
  g_assert_nonnull (category);
  ticket = fq_test_create_ticket (operator, coordinator, PLAIN_VILLAGE,
                                  fq_test_obj_str (category, "code"), NULL);
  g_assert_cmpstr (fq_test_obj_str (ticket, "lead_unit"), ==, "housing-" PLAIN_CITY);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  fq_test_require_server_binary ();

  tmp_dir = g_dir_make_tmp ("fq-grid-import-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/grid-import/province", test_province);
  g_test_add_func ("/grid-import/country", test_country);
  status = g_test_run ();

  {
    g_autofree char *a = g_build_filename (tmp_dir, "grid-42.tsv", NULL);
    g_autofree char *b = g_build_filename (tmp_dir, "grid-4299.tsv", NULL);
    g_autofree char *c = g_build_filename (tmp_dir, "grid-all.tsv", NULL);

    g_unlink (a);
    g_unlink (b);
    g_unlink (c);
    g_rmdir (tmp_dir);
    g_free (tmp_dir);
  }
  return status;
}
