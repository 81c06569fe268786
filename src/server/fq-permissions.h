/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "fq-enums.h"

G_BEGIN_DECLS

/*
 * The permission matrix: one row per endpoint of the API, saying which roles
 * may call it and how the caller's scope applies. The router enforces the
 * role column for every route (fq-server.c: a role outside it answers 403
 * before the handler runs, and a route without a row is refused to
 * everybody); the scope column is applied per record by the handlers
 * through fq_user_can_see(), the one function that decides visibility.
 * docs/permissions.md is generated from this table (fengqiao-permissions)
 * and tests/server/test-permissions.c tries every cell against a real
 * server. Ticket actions are not repeated here: their rows take the roles
 * of the ticket machine (fq-ticket-machine.c), and the generated document
 * prints that table beside this one.
 *
 * Depends on the core only, so that the test and the generator link it.
 */

typedef enum
{
  /* Concerns no place: reference data, the caller's own session. */
  FQ_PERMISSION_SCOPE_NONE,
  /* A list or feed: records outside the caller's scope are left out. */
  FQ_PERMISSION_SCOPE_LIST,
  /* One record named in the path: outside the caller's scope it answers
   * 404, exactly as a missing one does. */
  FQ_PERMISSION_SCOPE_RECORD,
  /* A place given in the request (an incident's grid, a new user's scope)
   * must lie inside the caller's scope: otherwise 422 invalid_field. */
  FQ_PERMISSION_SCOPE_FIELD,
} FqPermissionScope;

typedef enum
{
  FQ_PERMISSION_FLAG_NONE           = 0,
  /* No token needed; every role and nobody may call it. */
  FQ_PERMISSION_FLAG_PUBLIC         = 1 << 0,
  /* The roles are those of the ticket machine's table (any action). */
  FQ_PERMISSION_FLAG_TICKET_MACHINE = 1 << 1,
  /* Served by its own handler, not the router (the /events WebSocket),
   * which checks the same roles itself. */
  FQ_PERMISSION_FLAG_OWN_HANDLER    = 1 << 2,
} FqPermissionFlags;

typedef struct
{
  const char        *method;
  const char        *pattern;     /* as fq_server_add_route(): below /api/v1, "*" per segment */
  guint              roles;       /* FQ_ROLE_BIT () mask; see fq_permission_get_roles() */
  FqPermissionScope  scope;
  guint              flags;       /* FqPermissionFlags */
  const char        *what;        /* one line for the document */
  const char        *record_rule; /* a further rule per record, or NULL (document only) */
} FqPermission;

#define FQ_PERMISSION_ALL_ROLES \
  (FQ_ROLE_BIT (FQ_ROLE_OPERATOR) | FQ_ROLE_BIT (FQ_ROLE_COORDINATOR) | \
   FQ_ROLE_BIT (FQ_ROLE_UNIT) | FQ_ROLE_BIT (FQ_ROLE_GRID_WORKER) |     \
   FQ_ROLE_BIT (FQ_ROLE_LEADER) | FQ_ROLE_BIT (FQ_ROLE_ADMIN))

#define FQ_PERMISSION_N_ROLES (FQ_ROLE_ADMIN + 1)

const FqPermission *fq_permissions_table      (guint               *n_rows);
/* The row of (@method, @pattern), or NULL. */
const FqPermission *fq_permissions_lookup     (const char          *method,
                                               const char          *pattern);
/* The roles that may call @permission (FQ_ROLE_BIT mask). */
guint               fq_permission_get_roles   (const FqPermission  *permission);
/* Whether @role may call the endpoint of @permission; a NULL @permission
 * (a route with no row) allows nobody. */
gboolean            fq_permission_allows      (const FqPermission  *permission,
                                               FqRole               role);
/* The wire name of @scope ("none", "list", "record", "field"). */
const char         *fq_permission_scope_name  (FqPermissionScope    scope);
/* docs/permissions.md. (transfer full) */
char               *fq_permissions_to_markdown (void);

G_END_DECLS
