/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The permission matrix (src/server/fq-permissions.c, docs/permissions.md)
 * tried cell by cell against a real server: every row of the table, for
 * every role, with a record inside the caller's scope and one outside it.
 * The table is read from the code, not copied here; what this file adds is
 * one request per row (REQUESTS below), and a row without one fails.
 *
 * Expected per cell:
 *   role not in the row                  403 forbidden (in and out of scope)
 *   role in the row, inside the scope    anything but 401, 403, 404, 405, 5xx
 *   role in the row, outside the scope   record: 404 not_found; field: 422
 *                                        invalid_field; list: the outside
 *                                        record's id is nowhere in the answer
 *
 * The callers are users made for the test with a narrow scope (团城山街道;
 * the grid worker 广州路社区; the unit user staff of that street's office),
 * so that the demo data has records on both sides of their scope.
 */

#include "config.h"

#include <string.h>

#include "fq-enum-types.h"
#include "fq-permissions.h"
#include "fq-test-server.h"
#include "fq-ticket-machine.h"

typedef enum
{
  PROBE_NONE,
  PROBE_INCIDENT,
  PROBE_TICKET,
  PROBE_SESSION,
  PROBE_GRID,
  PROBE_USER,
} Probe;

typedef struct
{
  const char *method;
  const char *pattern;
  /* The path (with query) and body; "{X}" marks are filled from the
   * world: I incident, T ticket, S session, G grid node, U user, K Open311
   * key id, N a fresh unique name, SEQ the feed's seq before the records,
   * UNIT the unit user's unit, FROM/TO a period, ME the caller's username. */
  const char *path;
  const char *body;
  /* For scope "field": the status outside (0: 422). */
  guint       out_status;
  /* For scope "list": whose id must be absent outside (and present inside). */
  Probe       probe;
} Request;

static const Request REQUESTS[] = {
  { "GET", "/health", "/health", NULL, 0, PROBE_NONE },
  { "POST", "/auth/login", "/auth/login",
    "{'username':'{ME}','password':'password-{ME}'}", 0, PROBE_NONE },
  { "POST", "/auth/logout", "/auth/logout", NULL, 0, PROBE_NONE },
  { "GET", "/me", "/me", NULL, 0, PROBE_NONE },
  { "GET", "/grid", "/grid", NULL, 0, PROBE_GRID },
  { "GET", "/grid/*", "/grid/{G}", NULL, 0, PROBE_NONE },
  { "GET", "/categories", "/categories", NULL, 0, PROBE_NONE },
  { "GET", "/units", "/units", NULL, 0, PROBE_NONE },
  { "POST", "/incidents", "/incidents",
    "{'source':'12345','grid':'{G}','summary':'权限矩阵测试 {N}'}", 0, PROBE_NONE },
  { "POST", "/imports", "/imports",
    "{'dry_run':true,'rows':[{'external_id':'{N}','received_at':'{FROM}','grid':'{G}',"
    "'summary':'权限矩阵导入测试'}]}", 200, PROBE_NONE },
  { "GET", "/incidents", "/incidents?limit=1000", NULL, 0, PROBE_INCIDENT },
  { "GET", "/incidents/*", "/incidents/{I}", NULL, 0, PROBE_NONE },
  { "POST", "/incidents/*/triage", "/incidents/{I}/triage",
    "{'decision':'police','category':'A01','grid':'{G}','rev':999999}", 0, PROBE_NONE },
  { "POST", "/incidents/*/not_repeat", "/incidents/{I}/not_repeat", "{'rev':999999}", 0,
    PROBE_NONE },
  { "POST", "/incidents/*/reveal", "/incidents/{I}/reveal", NULL, 0, PROBE_NONE },
  { "GET", "/tickets", "/tickets?limit=1000", NULL, 0, PROBE_TICKET },
  { "GET", "/tickets/*", "/tickets/{T}", NULL, 0, PROBE_NONE },
  { "POST", "/tickets/*/actions", "/tickets/{T}/actions",
    "{'action':'comment','rev':999999,'note':'权限矩阵测试'}", 0, PROBE_NONE },
  { "POST", "/tickets/*/sessions", "/tickets/{T}/sessions", "{'title':''}", 0, PROBE_NONE },
  { "GET", "/sessions", "/sessions?limit=1000", NULL, 0, PROBE_SESSION },
  { "GET", "/sessions/*", "/sessions/{S}", NULL, 0, PROBE_NONE },
  { "POST", "/sessions/*/actions", "/sessions/{S}/actions",
    "{'action':'check_in','unit':'{UNIT}','rev':999999}", 0, PROBE_NONE },
  { "GET", "/changes", "/changes?since={SEQ}&limit=1000", NULL, 0, PROBE_TICKET },
  { "GET", "/events", "/events", NULL, 0, PROBE_NONE },
  { "GET", "/metrics/summary", "/metrics/summary?from={FROM}&to={TO}&grid={G}", NULL, 0,
    PROBE_NONE },
  { "GET", "/metrics/trend", "/metrics/trend?from={FROM}&to={TO}&grid={G}&bucket=day", NULL, 0,
    PROBE_NONE },
  { "GET", "/metrics/units", "/metrics/units?from={FROM}&to={TO}&grid={G}", NULL, 0,
    PROBE_NONE },
  { "GET", "/metrics/categories", "/metrics/categories?from={FROM}&to={TO}&grid={G}", NULL, 0,
    PROBE_NONE },
  { "GET", "/metrics/records",
    "/metrics/records?from={FROM}&to={TO}&grid={G}&metric=incidents_total", NULL, 0,
    PROBE_NONE },
  { "GET", "/audit", "/audit?limit=5", NULL, 0, PROBE_NONE },
  { "GET", "/users", "/users", NULL, 0, PROBE_USER },
  { "POST", "/users", "/users",
    "{'username':'{N}','display_name':'权限矩阵','password':'Matrix-{N}','role':'operator',"
    "'scope':'{G}'}", 0, PROBE_NONE },
  { "POST", "/users/*/actions", "/users/{U}/actions", "{'action':'enable'}", 0, PROBE_NONE },
  /* Paths starting with /open311 are taken as absolute by the test client. */
  { "GET", "/open311_keys", "/api/v1/open311_keys", NULL, 0, PROBE_NONE },
  { "POST", "/open311_keys", "/api/v1/open311_keys", "{'name':'权限矩阵 {N}'}", 0, PROBE_NONE },
  { "POST", "/open311_keys/*/revoke", "/api/v1/open311_keys/{K}/revoke", NULL, 0, PROBE_NONE },
};

/* One side of the scope line. */
typedef struct
{
  char *incident;
  char *ticket;
  char *session;
  char *grid;
  char *user;
} Side;

typedef struct
{
  FqTestWorld  *w;
  FqTestClient *clients[FQ_PERMISSION_N_ROLES];
  char         *usernames[FQ_PERMISSION_N_ROLES];
  Side          in;
  Side          out;
  gint64        seq;
  char         *from;
  char         *to;
} World;

static World *world;

static void
side_clear (Side *side)
{
  g_free (side->incident);
  g_free (side->ticket);
  g_free (side->session);
  g_free (side->grid);
  g_free (side->user);
}

static char *
new_session (FqTestClient *coordinator,
             const char   *ticket,
             const char   *unit)
{
  g_autofree char *path = g_strdup_printf ("/tickets/%s/sessions", ticket);
  g_autofree char *when = fq_test_time_from_now (3600);
  g_autoptr(FqTestResponse) resp = NULL;

  resp = fq_test_postf (coordinator, path,
                        "{'title':'权限矩阵会商','scheduled_at':'%s','location':'会议室',"
                        "'agenda':'议程','invitees':['%s']}",
                        when, unit);
  fq_test_assert_status (resp, 201);
  return g_strdup (fq_test_obj_str (fq_test_response_object (resp), "id"));
}

static World *
world_get (void)
{
  g_autoptr(JsonObject) ticket_in = NULL;
  g_autoptr(JsonObject) ticket_out = NULL;
  g_autoptr(FqTestClient) target_in = NULL;
  g_autoptr(FqTestClient) target_out = NULL;
  JsonObject *category;
  g_autofree char *out_unit = NULL;

  if (world != NULL)
    return world;

  world = g_new0 (World, 1);
  world->w = fq_test_world_get ();
  world->seq = fq_test_last_seq (world->w->admin);
  world->from = fq_test_time_from_now (-30 * 24 * 3600);
  world->to = fq_test_time_from_now (24 * 3600);

  for (guint role = 0; role < FQ_PERMISSION_N_ROLES; role++)
    {
      const char *name = fq_enum_to_string (FQ_TYPE_ROLE, role);
      const char *scope = role == FQ_ROLE_GRID_WORKER ? FQ_TEST_GUANGZHOULU : FQ_TEST_TUANCHENGSHAN;

      world->clients[role] = fq_test_create_user (world->w->admin, name, scope,
                                                  role == FQ_ROLE_UNIT ? FQ_TEST_UNIT_STREET : NULL,
                                                  &world->usernames[role]);
    }

  /* Inside every caller's scope: an incident at 广州路社区 diverted to the
   * unit user's street office, with a session that invites it. Outside: the
   * same in 黄石港区, led by a unit of that district. */
  category = fq_test_pick_category (world->w->operator, FALSE, 3);
  ticket_in = fq_test_create_ticket (world->w->operator, world->w->operator, FQ_TEST_GUANGZHOULU,
                                     fq_test_obj_str (category, "code"), FQ_TEST_UNIT_STREET);
  out_unit = fq_test_pick_unit (world->w->operator, "420202", NULL);
  g_assert_nonnull (out_unit);
  ticket_out = fq_test_create_ticket (world->w->operator, world->w->operator, FQ_TEST_HUANGSHIGANG,
                                      fq_test_obj_str (category, "code"), out_unit);

  world->in.ticket = g_strdup (fq_test_obj_str (ticket_in, "id"));
  world->in.incident = g_strdup (json_array_get_string_element (fq_test_obj_array (ticket_in, "incidents"), 0));
  world->in.session = new_session (world->w->coordinator, world->in.ticket, FQ_TEST_UNIT_STREET);
  world->in.grid = g_strdup (FQ_TEST_GUANGZHOULU);
  world->out.ticket = g_strdup (fq_test_obj_str (ticket_out, "id"));
  world->out.incident = g_strdup (json_array_get_string_element (fq_test_obj_array (ticket_out, "incidents"), 0));
  world->out.session = new_session (world->w->coordinator, world->out.ticket, out_unit);
  world->out.grid = g_strdup (FQ_TEST_HUANGSHIGANG);

  /* Accounts for the administrator's cells. */
  target_in = fq_test_create_user (world->w->admin, "operator", FQ_TEST_GUANGZHOULU, NULL,
                                   &world->in.user);
  target_out = fq_test_create_user (world->w->admin, "operator", FQ_TEST_HUANGSHIGANG, NULL,
                                    &world->out.user);

  return world;
}

static void
world_free (void)
{
  if (world == NULL)
    return;
  for (guint role = 0; role < FQ_PERMISSION_N_ROLES; role++)
    {
      g_clear_pointer (&world->clients[role], fq_test_client_free);
      g_free (world->usernames[role]);
    }
  side_clear (&world->in);
  side_clear (&world->out);
  g_free (world->from);
  g_free (world->to);
  g_clear_pointer (&world, g_free);
}

/* A fresh Open311 key for a revoke cell, issued by the demo administrator. */
static char *
new_key_id (void)
{
  g_autoptr(FqTestResponse) resp = NULL;
  g_autofree char *name = fq_test_unique ("key");
  JsonNode *id;

  resp = fq_test_postf (world->w->admin, "/api/v1/open311_keys", "{'name':'%s'}", name);
  fq_test_assert_status (resp, 201);
  id = json_object_get_member (fq_test_response_object (resp), "id");
  if (JSON_NODE_HOLDS_VALUE (id) && json_node_get_value_type (id) == G_TYPE_INT64)
    return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (id));
  return g_strdup (json_node_get_string (id));
}

static char *
fill (const char *template,
      const Side *side,
      FqRole      role)
{
  g_autoptr(GString) out = g_string_new (template);
  g_autofree char *unique = fq_test_unique ("pm");
  g_autofree char *seq = g_strdup_printf ("%" G_GINT64_FORMAT, world->seq);

  g_string_replace (out, "{I}", side->incident, 0);
  g_string_replace (out, "{T}", side->ticket, 0);
  g_string_replace (out, "{S}", side->session, 0);
  g_string_replace (out, "{G}", side->grid, 0);
  g_string_replace (out, "{U}", side->user, 0);
  g_string_replace (out, "{N}", unique, 0);
  g_string_replace (out, "{SEQ}", seq, 0);
  g_string_replace (out, "{UNIT}", FQ_TEST_UNIT_STREET, 0);
  g_string_replace (out, "{FROM}", world->from, 0);
  g_string_replace (out, "{TO}", world->to, 0);
  g_string_replace (out, "{ME}", world->usernames[role], 0);
  if (strstr (out->str, "{K}") != NULL)
    {
      g_autofree char *key = new_key_id ();

      g_string_replace (out, "{K}", key, 0);
    }
  g_strdelimit (out->str, "'", '"');
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static const char *
probe_id (const Side *side,
          Probe       probe)
{
  switch (probe)
    {
    case PROBE_INCIDENT:
      return side->incident;
    case PROBE_TICKET:
      return side->ticket;
    case PROBE_SESSION:
      return side->session;
    case PROBE_GRID:
      return side->grid;
    case PROBE_USER:
      return side->user;
    case PROBE_NONE:
    default:
      return NULL;
    }
}

static const Request *
find_request (const FqPermission *row)
{
  for (guint i = 0; i < G_N_ELEMENTS (REQUESTS); i++)
    {
      if (g_str_equal (REQUESTS[i].method, row->method) &&
          g_str_equal (REQUESTS[i].pattern, row->pattern))
        return &REQUESTS[i];
    }
  return NULL;
}

/* The client a cell speaks as: the role's own, except for logout, which
 * gets a token of its own so that the others stay signed in. */
static FqTestClient *
client_for (FqRole       role,
            const char  *pattern,
            gboolean    *owned)
{
  *owned = FALSE;
  if (g_str_equal (pattern, "/auth/logout"))
    {
      g_autofree char *password = g_strdup_printf ("password-%s", world->usernames[role]);

      *owned = TRUE;
      return fq_test_client_new_login (fq_test_client_get_url (world->w->admin),
                                        world->usernames[role], password);
    }
  return world->clients[role];
}

static FqTestResponse *
send (FqTestClient  *client,
      const char    *method,
      const char    *path,
      const char    *body)
{
  return fq_test_client_request (client, method, path, NULL, body,
                                 body != NULL ? -1 : 0, NULL);
}

static void
check_cell (const FqPermission *row,
            const Request      *request,
            FqRole              role,
            gboolean            inside)
{
  const Side *side = inside ? &world->in : &world->out;
  gboolean allowed = fq_permission_allows (row, role);
  g_autofree char *path = fill (request->path, side, role);
  g_autofree char *body = request->body != NULL ? fill (request->body, side, role) : NULL;
  g_autoptr(FqTestResponse) resp = NULL;
  FqTestClient *client;
  gboolean owned;

  client = client_for (role, row->pattern, &owned);
  resp = send (client, row->method, path, body);
  if (owned)
    fq_test_client_free (client);

  g_test_message ("%s %s as %s, %s scope: %u", row->method, path,
                  fq_enum_to_string (FQ_TYPE_ROLE, role), inside ? "in" : "out of", resp->status);

  if (!allowed)
    {
      fq_test_assert_error (resp, 403, "forbidden");
      return;
    }

  /* /events answers a plain GET 400 (no upgrade) once the role is let in;
   * the scope of its frames is tried by test-privacy and test-changes. */
  if (inside || row->scope == FQ_PERMISSION_SCOPE_NONE ||
      (row->scope == FQ_PERMISSION_SCOPE_LIST && request->probe == PROBE_NONE))
    {
      if (resp->status == 401 || resp->status == 403 || resp->status == 404 ||
          resp->status == 405 || resp->status >= 500 || resp->status == 0)
        g_error ("%s %s as %s: %u %s", row->method, path, fq_enum_to_string (FQ_TYPE_ROLE, role),
                 resp->status, resp->text);
      if (request->probe != PROBE_NONE)
        g_assert_nonnull (strstr (resp->text, probe_id (side, request->probe)));
      return;
    }

  switch (row->scope)
    {
    case FQ_PERMISSION_SCOPE_RECORD:
      fq_test_assert_error (resp, 404, "not_found");
      break;

    case FQ_PERMISSION_SCOPE_FIELD:
      if (request->out_status == 0)
        fq_test_assert_error (resp, 422, "invalid_field");
      else
        {
          /* An import reports the row invalid rather than refusing. */
          fq_test_assert_status (resp, request->out_status);
          g_assert_cmpint (fq_test_obj_int (fq_test_response_object (resp), "valid"), ==, 0);
        }
      break;

    case FQ_PERMISSION_SCOPE_LIST:
      g_assert_cmpuint (resp->status, ==, 200);
      if (request->probe != PROBE_NONE)
        g_assert_null (strstr (resp->text, probe_id (side, request->probe)));
      break;

    case FQ_PERMISSION_SCOPE_NONE:
    default:
      g_assert_not_reached ();
    }
}

static void
test_row (gconstpointer data)
{
  const FqPermission *row = data;
  const Request *request = find_request (row);

  world_get ();
  if (request == NULL)
    g_error ("%s %s is in the permission matrix but this test has no request for it",
             row->method, row->pattern);

  for (guint role = 0; role < FQ_PERMISSION_N_ROLES; role++)
    {
      check_cell (row, request, role, TRUE);
      if (row->scope != FQ_PERMISSION_SCOPE_NONE)
        check_cell (row, request, role, FALSE);
    }
}

/* Public rows also answer without a token; every other row answers 401. */
static void
test_anonymous (void)
{
  guint n_rows;
  const FqPermission *rows = fq_permissions_table (&n_rows);

  world_get ();
  for (guint i = 0; i < n_rows; i++)
    {
      const Request *request = find_request (&rows[i]);
      g_autofree char *path = NULL;
      g_autofree char *body = NULL;
      g_autoptr(FqTestResponse) resp = NULL;

      g_assert_nonnull (request);
      path = fill (request->path, &world->in, FQ_ROLE_OPERATOR);
      body = request->body != NULL ? fill (request->body, &world->in, FQ_ROLE_OPERATOR) : NULL;
      resp = send (world->w->anonymous, rows[i].method, path, body);
      if (rows[i].flags & FQ_PERMISSION_FLAG_PUBLIC)
        g_assert_cmpuint (resp->status, ==, 200);
      else
        fq_test_assert_error (resp, 401, "unauthenticated");
    }
}

/* Every request of this file belongs to a row (no stale entries). */
static void
test_requests_have_rows (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (REQUESTS); i++)
    g_assert_nonnull (fq_permissions_lookup (REQUESTS[i].method, REQUESTS[i].pattern));
}

/* The role columns of the ticket actions row are the ticket machine's. */
static void
test_ticket_machine_roles (void)
{
  const FqPermission *row = fq_permissions_lookup ("POST", "/tickets/*/actions");
  const FqTicketTransition *rows;
  guint n_rows, roles = 0;

  g_assert_nonnull (row);
  g_assert_true (row->flags & FQ_PERMISSION_FLAG_TICKET_MACHINE);
  rows = fq_ticket_machine_table (&n_rows);
  for (guint i = 0; i < n_rows; i++)
    roles |= rows[i].roles;
  g_assert_cmpuint (fq_permission_get_roles (row), ==, roles);
  g_assert_false (fq_permission_allows (row, FQ_ROLE_LEADER));
  g_assert_false (fq_permission_allows (NULL, FQ_ROLE_ADMIN));
}

int
main (int   argc,
      char *argv[])
{
  const FqPermission *rows;
  guint n_rows;
  int ret;

  g_test_init (&argc, &argv, NULL);
  fq_test_require_server_binary ();

  g_test_add_func ("/permissions/requests-have-rows", test_requests_have_rows);
  g_test_add_func ("/permissions/ticket-machine", test_ticket_machine_roles);
  g_test_add_func ("/permissions/anonymous", test_anonymous);

  rows = fq_permissions_table (&n_rows);
  for (guint i = 0; i < n_rows; i++)
    {
      g_autofree char *name = g_strdup_printf ("/permissions/cells/%s%s", rows[i].method,
                                               rows[i].pattern);

      g_strdelimit (name, "*", '_');
      g_test_add_data_func (name, &rows[i], test_row);
    }

  ret = g_test_run ();
  world_free ();
  fq_test_world_free ();

  return ret;
}
