/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <string.h>

#include "fq-enum-types.h"
#include "fq-permissions.h"
#include "fq-ticket-machine.h"

/*
 * The permission matrix (see fq-permissions.h). Change a role here and the
 * router, docs/permissions.md (after `meson compile permissions-doc`) and
 * the permission test follow; the test fails until the document is current.
 */

#define OPERATOR     FQ_ROLE_BIT (FQ_ROLE_OPERATOR)
#define COORDINATOR  FQ_ROLE_BIT (FQ_ROLE_COORDINATOR)
#define UNIT         FQ_ROLE_BIT (FQ_ROLE_UNIT)
#define GRID_WORKER  FQ_ROLE_BIT (FQ_ROLE_GRID_WORKER)
#define LEADER       FQ_ROLE_BIT (FQ_ROLE_LEADER)
#define ADMIN        FQ_ROLE_BIT (FQ_ROLE_ADMIN)
#define ALL          FQ_PERMISSION_ALL_ROLES
#define METRICS      (LEADER | COORDINATOR | OPERATOR | ADMIN)

#define S_NONE       FQ_PERMISSION_SCOPE_NONE
#define S_LIST       FQ_PERMISSION_SCOPE_LIST
#define S_RECORD     FQ_PERMISSION_SCOPE_RECORD
#define S_FIELD      FQ_PERMISSION_SCOPE_FIELD

#define PUBLIC       FQ_PERMISSION_FLAG_PUBLIC
#define MACHINE      FQ_PERMISSION_FLAG_TICKET_MACHINE
#define OWN_HANDLER  FQ_PERMISSION_FLAG_OWN_HANDLER

/* In API.md's order. A row reads: method, path, roles, scope, flags, what,
 * further rule per record. */
static const FqPermission table[] = {
  { "GET", "/health", 0, S_NONE, PUBLIC,
    "server status", NULL },
  { "POST", "/auth/login", 0, S_NONE, PUBLIC,
    "sign in", "429 after 5 failures a minute for one username" },
  { "POST", "/auth/logout", ALL, S_NONE, 0,
    "sign out (the token stops working)", NULL },
  { "GET", "/me", ALL, S_NONE, 0,
    "the signed-in user", NULL },

  { "GET", "/grid", ALL, S_LIST, 0,
    "grid nodes in scope", NULL },
  { "GET", "/grid/*", ALL, S_RECORD, 0,
    "one grid node with its children", NULL },
  { "GET", "/categories", ALL, S_NONE, 0,
    "dispute categories", NULL },
  { "GET", "/units", ALL, S_NONE, 0,
    "responsible units", NULL },

  { "POST", "/incidents", OPERATOR | GRID_WORKER | ADMIN, S_FIELD, 0,
    "take in an incident", "its `grid` must lie in the caller's scope" },
  { "POST", "/imports", OPERATOR | COORDINATOR | ADMIN, S_FIELD, 0,
    "import 12345 work orders (dry run or for real)",
    "each row's `grid` must lie in the caller's scope, else the row is reported invalid" },
  { "GET", "/incidents", ALL, S_LIST, 0,
    "incidents in scope", "unit staff see only incidents of tickets of their unit" },
  { "GET", "/incidents/*", ALL, S_RECORD, 0,
    "one incident", "unit staff: only incidents of tickets of their unit" },
  { "POST", "/incidents/*/triage", OPERATOR | COORDINATOR, S_RECORD, 0,
    "triage: decide, divert, merge", NULL },
  { "POST", "/incidents/*/not_repeat", OPERATOR | COORDINATOR | ADMIN, S_RECORD, 0,
    "clear a wrong repeat match", NULL },
  { "POST", "/incidents/*/reveal", OPERATOR | COORDINATOR, S_RECORD, 0,
    "the caller's full phone number, written to the audit", NULL },

  { "GET", "/tickets", ALL, S_LIST, 0,
    "tickets in scope", "unit staff see only tickets their unit leads, assists or meets on" },
  { "GET", "/tickets/*", ALL, S_RECORD, 0,
    "one ticket with its timeline", "unit staff: as for the list" },
  { "POST", "/tickets/*/actions", 0, S_RECORD, MACHINE,
    "a ticket action", "the ticket machine decides per action, state and unit (below)" },
  { "POST", "/tickets/*/sessions", COORDINATOR | UNIT, S_RECORD, 0,
    "call a convening session (blow the whistle)", "unit staff: only as the ticket's lead unit" },

  { "GET", "/sessions", ALL, S_LIST, 0,
    "convening sessions in scope", NULL },
  { "GET", "/sessions/*", ALL, S_RECORD, 0,
    "one session", NULL },
  { "POST", "/sessions/*/actions", COORDINATOR | UNIT, S_RECORD, 0,
    "a session action",
    "unit staff: as convener every action; as invitee check_in; as owner complete_action_item" },

  { "GET", "/changes", ALL, S_LIST, 0,
    "the change feed", NULL },
  { "GET", "/events", ALL, S_LIST, OWN_HANDLER,
    "the live change feed (WebSocket)", NULL },

  { "GET", "/metrics/summary", METRICS, S_RECORD, 0,
    "leaders' summary", "the record is the `grid` parameter (default: the caller's scope)" },
  { "GET", "/metrics/trend", METRICS, S_RECORD, 0,
    "trend per day, week or month", "as summary" },
  { "GET", "/metrics/units", METRICS, S_RECORD, 0,
    "unit assessment", "as summary" },
  { "GET", "/metrics/categories", METRICS, S_RECORD, 0,
    "counts per category", "as summary" },
  { "GET", "/metrics/records", METRICS, S_RECORD, 0,
    "the records behind a figure", "as summary" },

  { "GET", "/audit", ADMIN, S_NONE, 0,
    "the audit trail", NULL },
  { "GET", "/users", ADMIN, S_LIST, 0,
    "accounts whose scope lies in the caller's", NULL },
  { "POST", "/users", ADMIN, S_FIELD, 0,
    "create an account", "its `scope` must lie in the caller's" },
  { "POST", "/users/*/actions", ADMIN, S_RECORD, 0,
    "disable, enable, set_password, set_role", "a new `scope` must lie in the caller's" },

  { "GET", "/open311_keys", ADMIN, S_NONE, 0,
    "Open311 API keys", NULL },
  { "POST", "/open311_keys", ADMIN, S_NONE, 0,
    "issue an Open311 API key", NULL },
  { "POST", "/open311_keys/*/revoke", ADMIN, S_NONE, 0,
    "revoke an Open311 API key", NULL },
};

const FqPermission *
fq_permissions_table (guint *n_rows)
{
  g_return_val_if_fail (n_rows != NULL, NULL);

  *n_rows = G_N_ELEMENTS (table);
  return table;
}

const FqPermission *
fq_permissions_lookup (const char *method,
                       const char *pattern)
{
  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (pattern != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      if (strcmp (table[i].method, method) == 0 && strcmp (table[i].pattern, pattern) == 0)
        return &table[i];
    }
  return NULL;
}

/* Every role that may take at least one action in some state. */
static guint
ticket_machine_roles (void)
{
  const FqTicketTransition *rows;
  guint n_rows;
  guint roles = 0;

  rows = fq_ticket_machine_table (&n_rows);
  for (guint i = 0; i < n_rows; i++)
    roles |= rows[i].roles;
  return roles;
}

guint
fq_permission_get_roles (const FqPermission *permission)
{
  g_return_val_if_fail (permission != NULL, 0);

  if (permission->flags & FQ_PERMISSION_FLAG_PUBLIC)
    return FQ_PERMISSION_ALL_ROLES;
  if (permission->flags & FQ_PERMISSION_FLAG_TICKET_MACHINE)
    return ticket_machine_roles ();
  return permission->roles;
}

gboolean
fq_permission_allows (const FqPermission *permission,
                      FqRole              role)
{
  if (permission == NULL)
    return FALSE;
  return (fq_permission_get_roles (permission) & FQ_ROLE_BIT (role)) != 0;
}

const char *
fq_permission_scope_name (FqPermissionScope scope)
{
  switch (scope)
    {
    case FQ_PERMISSION_SCOPE_NONE:
      return "none";
    case FQ_PERMISSION_SCOPE_LIST:
      return "list";
    case FQ_PERMISSION_SCOPE_RECORD:
      return "record";
    case FQ_PERMISSION_SCOPE_FIELD:
      return "field";
    default:
      g_return_val_if_reached (NULL);
    }
}

/* ---- the document ---- */

static void
append_states (GString       *out,
               FqTicketAction action)
{
  const FqTicketTransition *rows;
  guint n_rows;
  gboolean first = TRUE;

  rows = fq_ticket_machine_table (&n_rows);
  for (guint state = 0; state < FQ_TICKET_N_STATES; state++)
    {
      for (guint i = 0; i < n_rows; i++)
        {
          if (rows[i].action != action || rows[i].from != (FqTicketState)state)
            continue;
          g_string_append_printf (out, "%s%s", first ? "" : ", ",
                                  fq_enum_to_string (FQ_TYPE_TICKET_STATE, state));
          first = FALSE;
        }
    }
}

static void
append_action_roles (GString       *out,
                     FqTicketAction action)
{
  const FqTicketTransition *rows;
  guint n_rows;
  guint roles = 0;
  guint relation = 0;
  gboolean first = TRUE;

  rows = fq_ticket_machine_table (&n_rows);
  for (guint i = 0; i < n_rows; i++)
    {
      if (rows[i].action != action)
        continue;
      roles |= rows[i].roles;
      relation |= rows[i].unit_relation;
    }

  for (guint role = 0; role < FQ_PERMISSION_N_ROLES; role++)
    {
      if ((roles & FQ_ROLE_BIT (role)) == 0)
        continue;
      g_string_append_printf (out, "%s%s", first ? "" : ", ",
                              fq_enum_to_string (FQ_TYPE_ROLE, role));
      first = FALSE;
      if (role == FQ_ROLE_UNIT && relation != FQ_UNIT_RELATION_NONE)
        g_string_append (out,
                         (relation & FQ_UNIT_RELATION_ASSIST) != 0
                           ? " (lead or assisting unit)"
                           : " (lead unit)");
    }
}

char *
fq_permissions_to_markdown (void)
{
  GString *out = g_string_new (NULL);

  g_string_append (out,
    "<!-- Generated by fengqiao-permissions from src/server/fq-permissions.c and\n"
    "     src/core/fq-ticket-machine.c: do not edit; run\n"
    "     `meson compile -C BUILDDIR permissions-doc` after changing them. -->\n"
    "\n"
    "# Permission matrix\n"
    "\n"
    "Who may call each endpoint of the API (below `/api/v1`), and how the\n"
    "caller's scope applies. The server enforces the role columns in one\n"
    "place, its router: a role without a mark answers **403 `forbidden`**\n"
    "before anything else is looked at. The scope column is applied per\n"
    "record by one function (`fq_user_can_see`): a record outside the\n"
    "caller's scope answers **404 `not_found`**, exactly as a missing one.\n"
    "`tests/server/test-permissions.c` tries every cell against a real\n"
    "server, with a record inside and one outside the caller's scope.\n"
    "\n"
    "Roles: operator (op), coordinator (co), unit staff (un), grid worker\n"
    "(gw), leader (le), administrator (ad). ✓ may, · may not (403).\n"
    "\n"
    "| method | path | op | co | un | gw | le | ad | scope | what | per record |\n"
    "| --- | --- | :-: | :-: | :-: | :-: | :-: | :-: | --- | --- | --- |\n");

  for (guint i = 0; i < G_N_ELEMENTS (table); i++)
    {
      const FqPermission *row = &table[i];
      guint roles = fq_permission_get_roles (row);

      g_string_append_printf (out, "| %s | `%s` |", row->method, row->pattern);
      for (guint role = 0; role < FQ_PERMISSION_N_ROLES; role++)
        {
          if (row->flags & FQ_PERMISSION_FLAG_PUBLIC)
            g_string_append (out, " public |");
          else
            g_string_append (out, (roles & FQ_ROLE_BIT (role)) != 0 ? " ✓ |" : " · |");
        }
      g_string_append_printf (out, " %s | %s%s | %s |\n",
                              fq_permission_scope_name (row->scope),
                              row->what,
                              (row->flags & FQ_PERMISSION_FLAG_TICKET_MACHINE) != 0
                                ? " (roles from the ticket machine)" : "",
                              row->record_rule != NULL ? row->record_rule : "");
    }

  g_string_append (out,
    "\n"
    "A path segment `*` is one identifier. Every other path answers 404, and a\n"
    "route of the server missing from this table is refused to every role.\n"
    "\n"
    "## Scope\n"
    "\n"
    "| scope | inside the caller's scope | outside it |\n"
    "| --- | --- | --- |\n"
    "| none | the same answer for every caller | — |\n"
    "| list | listed | left out of the list, the feed and the WebSocket |\n"
    "| record | answered | 404 `not_found`, as if it did not exist |\n"
    "| field | accepted | 422 `invalid_field` naming the field |\n"
    "\n"
    "A user's scope is a node of the grid; it covers that node's subtree.\n"
    "Unit staff see, besides, only the tickets (and their incidents and\n"
    "sessions) that concern their own unit.\n"
    "\n"
    "## Ticket actions (`POST /tickets/{id}/actions`)\n"
    "\n"
    "From the ticket machine (`src/core/fq-ticket-machine.c`). An action the\n"
    "role may not take answers 403; an action the ticket's state does not\n"
    "allow answers 409 `invalid_transition` with the actions allowed now.\n"
    "\n"
    "| action | from states | roles |\n"
    "| --- | --- | --- |\n");

  for (guint action = 0; action < FQ_TICKET_N_ACTIONS; action++)
    {
      g_string_append_printf (out, "| %s | ",
                              fq_enum_to_string (FQ_TYPE_TICKET_ACTION, action));
      append_states (out, action);
      g_string_append (out, " | ");
      append_action_roles (out, action);
      g_string_append (out, " |\n");
    }

  g_string_append (out,
    "\n"
    "## Private data\n"
    "\n"
    "Callers' phone numbers are shown in full to operators and coordinators\n"
    "(within their scope) only; every other role reads them masked\n"
    "(`138****5678`) in every answer, the change feed and the WebSocket.\n"
    "Numbers typed into free text (summaries, descriptions, notes, minutes,\n"
    "imported and Open311 requests) are masked the same way for them: mobile\n"
    "numbers, landlines with an area code, and 7–8 digits after a word such\n"
    "as 电话 or Tel. Identifiers (`id`, `*_id`, `code`, `seq`, `rev`, …) are\n"
    "never changed.\n"
    "`POST /incidents/{id}/reveal` answers the full number to an operator or\n"
    "a coordinator and writes who asked, for which incident, to the audit.\n");

  return g_string_free (out, FALSE);
}
