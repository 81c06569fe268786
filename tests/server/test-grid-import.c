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

static char *tmp_dir;

/* The province file: the province, then every row of the city file with
 * the city's parent set to the province, then the other city. */
static char *
write_province_file (void)
{
  g_autofree char *city_path = g_build_filename (g_getenv ("FQ_SOURCE_DATADIR"),
                                                 "grid-4202.tsv", NULL);
  g_autofree char *city = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_auto(GStrv) lines = NULL;
  char *path = g_build_filename (tmp_dir, "grid-42.tsv", NULL);
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
  g_autofree char *province_file = write_province_file ();
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
  g_autoptr(FqTestResponse) me = NULL;
  g_autoptr(JsonObject) here = NULL;
  g_autoptr(JsonObject) there = NULL;
  JsonArray *nodes, *children;
  JsonObject *obj;
  const char *url;

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

  g_assert_true (fq_test_server_start (server, 60, &error));
  g_assert_no_error (error);
  url = fq_test_server_get_url (server);
  admin = fq_test_client_new_login (url, "admin", FQ_TEST_DEMO_PASSWORD);

  /* The administrator of the whole server now administers the province. */
  me = fq_test_get (admin, "/me");
  fq_test_assert_status (me, 200);
  g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (me), "scope"), ==, PROVINCE);
  g_assert_cmpuint (fq_test_count_audit (admin, "420200000000 → 420000000000"), ==, 1);

  grid = fq_test_get (admin, "/grid");
  fq_test_assert_status (grid, 200);
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
  status = g_test_run ();

  {
    g_autofree char *a = g_build_filename (tmp_dir, "grid-42.tsv", NULL);
    g_autofree char *b = g_build_filename (tmp_dir, "grid-4299.tsv", NULL);

    g_unlink (a);
    g_unlink (b);
    g_rmdir (tmp_dir);
    g_free (tmp_dir);
  }
  return status;
}
