/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The live demo feed (fq-demo.c) plays a busy city: new calls, the desk's
 * triage and the units' casework. The desk it plays takes the oldest calls
 * first and keeps up: a triage queue that has grown long is worked down to
 * about a dozen, instead of growing for as long as the demo runs. Its calls
 * give addresses that fit the place: a village and its group in a village.
 */

#include "config.h"

#include <string.h>

#include "fq-test-server.h"

#define BACKLOG 60

/* How many incidents wait for triage (at most 1000). */
static guint
count_waiting (FqTestClient *client)
{
  g_autoptr(FqTestResponse) list = fq_test_get (client, "/incidents?status=new&limit=1000");
  JsonArray *incidents;

  fq_test_assert_status (list, 200);
  incidents = fq_test_obj_array (fq_test_response_object (list), "incidents");
  g_assert_nonnull (incidents);
  return json_array_get_length (incidents);
}

static void
test_queue_kept_short (void)
{
  /* About twenty events a second: a demo hour in three minutes. */
  static const char * const args[] = {
    "--demo", "--demo-history-months", "0", "--demo-feed-rate", "1200", NULL
  };
  g_autoptr(FqTestServer) server = fq_test_server_new (args);
  g_autoptr(GError) error = NULL;
  g_autoptr(FqTestClient) op = NULL;
  g_autoptr(GPtrArray) backlog = g_ptr_array_new_with_free_func (g_free);
  gint64 deadline;
  guint waiting = G_MAXUINT;

  g_assert_true (fq_test_server_start (server, 60, &error));
  op = fq_test_client_new_login (fq_test_server_get_url (server), "operator", FQ_TEST_DEMO_PASSWORD);

  /* A backlog, as after a night nobody triaged. */
  for (guint i = 0; i < BACKLOG; i++)
    {
      g_autoptr(JsonObject) incident = fq_test_create_incident (op, FQ_TEST_GUANGZHOULU, NULL);

      g_ptr_array_add (backlog, g_strdup (fq_test_obj_str (incident, "id")));
    }

  /* Worked down while new calls keep coming. */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline && (waiting = count_waiting (op)) > 20)
    g_usleep (500 * 1000);
  g_test_message ("%u incidents waiting for triage", waiting);
  g_assert_cmpuint (waiting, <=, 20);

  /* Oldest first: the first calls of the backlog have all been decided. */
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(FqTestResponse) got = fq_test_get (op, "/incidents/%s",
                                                   (char *)g_ptr_array_index (backlog, i));

      fq_test_assert_status (got, 200);
      g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (got), "status"), !=, "new");
    }
}

static gboolean
is_village (const char *name)
{
  return g_str_has_suffix (name, "村委会") || g_str_has_suffix (name, "村民委员会");
}

static void
test_addresses_fit_the_place (void)
{
  static const char * const args[] = {
    "--demo", "--demo-history-months", "1", "--demo-feed-rate", "0", NULL
  };
  g_autoptr(FqTestServer) server = fq_test_server_new (args);
  g_autoptr(GError) error = NULL;
  g_autoptr(FqTestClient) coord = NULL;
  g_autoptr(FqTestResponse) grid = NULL;
  g_autoptr(FqTestResponse) list = NULL;
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *nodes, *incidents;
  guint villages = 0, towns = 0;

  g_assert_true (fq_test_server_start (server, 60, &error));
  coord = fq_test_client_new_login (fq_test_server_get_url (server), "coordinator", FQ_TEST_DEMO_PASSWORD);

  grid = fq_test_get (coord, "/grid");
  fq_test_assert_status (grid, 200);
  nodes = fq_test_obj_array (fq_test_response_object (grid), "nodes");
  for (guint i = 0; i < json_array_get_length (nodes); i++)
    {
      JsonObject *node = json_array_get_object_element (nodes, i);

      g_hash_table_insert (names, (gpointer)fq_test_obj_str (node, "code"), (gpointer)fq_test_obj_str (node, "name"));
    }

  /* A village's calls name the village and its group (组), never a road
   * and a flat; a town community's never a village group. */
  list = fq_test_get (coord, "/incidents?limit=1000");
  fq_test_assert_status (list, 200);
  incidents = fq_test_obj_array (fq_test_response_object (list), "incidents");
  for (guint i = 0; i < json_array_get_length (incidents); i++)
    {
      JsonObject *incident = json_array_get_object_element (incidents, i);
      const char *name = g_hash_table_lookup (names, fq_test_obj_str (incident, "grid"));
      const char *address = fq_test_obj_str (incident, "address");

      g_assert_nonnull (name);
      g_assert_nonnull (address);
      if (is_village (name))
        {
          g_autofree char *stem = g_strndup (name, strstr (name, "村") - name);
          /* After the village's name: 3组12号, 村口…; the name itself
           * may hold any word (三路村). */
          const char *rest = address + strlen (stem);

          villages++;
          if (!g_str_has_prefix (address, stem) || !g_str_has_prefix (rest, "村")
              || strstr (rest, "栋") != NULL || strstr (rest, "室") != NULL || strstr (rest, "门面") != NULL)
            g_error ("%s: a village's call at %s", name, address);
        }
      else
        {
          towns++;
          if (strstr (address, "组") != NULL)
            g_error ("%s: a town community's call at %s", name, address);
        }
    }
  g_test_message ("%u calls in villages, %u in town communities", villages, towns);
  g_assert_cmpuint (villages, >, 0);
  g_assert_cmpuint (towns, >, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  fq_test_require_server_binary ();

  g_test_add_func ("/server/demo/feed-keeps-triage-queue-short", test_queue_kept_short);
  g_test_add_func ("/server/demo/addresses-fit-the-place", test_addresses_fit_the_place);

  return g_test_run ();
}
