/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "fq-cache.h"
#include "fq-client.h"
#include "fq-enums.h"
#include "fq-grid-model.h"
#include "fq-incident-list.h"
#include "fq-local-server.h"
#include "fq-outbox.h"
#include "fq-sync.h"
#include "fq-ticket-list.h"

G_BEGIN_DECLS

/*
 * FqContext: the one object views get their services from (Calendar's
 * GcalContext): the client, the cache, the sync, the outbox, the settings,
 * the signed-in user and the list models.
 *
 * Life: fq_context_new (settings, url) → sign in through
 * fq_context_get_client() (fq_client_login_async() or
 * fq_client_restore_session()) → fq_context_start_async(), which opens the
 * user's cache, fills the models from it (the board paints before any
 * network), loads the outbox and starts the sync. The models, the cache,
 * the sync and the outbox exist from then on (property "started"); views
 * are built once start has finished.
 */

#define FQ_TYPE_CONTEXT (fq_context_get_type ())

G_DECLARE_FINAL_TYPE (FqContext, fq_context, FQ, CONTEXT, GObject)

/* @settings (nullable): the application's GSettings (cn.fengqiao.Console),
 * owned by the caller and referenced here. */
FqContext      *fq_context_new                (GSettings            *settings,
                                               const char           *server_url);

/* Starts on the signed-in client's user. @cache_path (nullable): NULL for
 * fq_cache_build_path (server id, username). Fails only if the cache cannot
 * be created at all. */
void            fq_context_start_async        (FqContext            *self,
                                               const char           *cache_path,
                                               GCancellable         *cancellable,
                                               GAsyncReadyCallback   callback,
                                               gpointer              user_data);
gboolean        fq_context_start_finish       (FqContext            *self,
                                               GAsyncResult         *result,
                                               GError              **error);
/* Stops the sync and closes the cache (sign out, quit). */
void            fq_context_stop               (FqContext            *self);

/* Keeps @server (a demo server started for this console) alive as long as
 * the context, and stops it when the context is disposed. */
void            fq_context_set_local_server   (FqContext            *self,
                                               FqLocalServer        *server);

/* Services, (transfer none). Cache, sync and outbox are NULL before start. */
GSettings      *fq_context_get_settings       (FqContext            *self);
FqClient       *fq_context_get_client         (FqContext            *self);
FqCache        *fq_context_get_cache          (FqContext            *self);
FqSync         *fq_context_get_sync           (FqContext            *self);
FqOutbox       *fq_context_get_outbox         (FqContext            *self);

/* The signed-in user (from the client's user object); properties
 * "username", "display-name", "role", "unit", "scope". */
const char     *fq_context_get_username       (FqContext            *self);
const char     *fq_context_get_display_name   (FqContext            *self);
FqRole          fq_context_get_role           (FqContext            *self);
/* (nullable): the unit id of a `unit` user. */
const char     *fq_context_get_unit           (FqContext            *self);
/* The grid code of the user's scope root. */
const char     *fq_context_get_scope          (FqContext            *self);

/* Models, (transfer none), available after start. Property "started". */
gboolean        fq_context_get_started        (FqContext            *self);
FqIncidentList *fq_context_get_incidents      (FqContext            *self);
FqTicketList   *fq_context_get_tickets        (FqContext            *self);
FqGridModel    *fq_context_get_grid           (FqContext            *self);
/* Reference data from the cache, sorted by code, updated live:
 * a GListModel of FqCategory (core's fq-category.h), of FqUnit (fq-unit.h),
 * built with fq_category_new_from_json () / fq_unit_new_from_json (). */
GListModel     *fq_context_get_categories     (FqContext            *self);
GListModel     *fq_context_get_units          (FqContext            *self);

/* Names for codes, from the cached reference data ("" if unknown). */
const char     *fq_context_lookup_category_name (FqContext          *self,
                                                 const char         *code);
const char     *fq_context_lookup_unit_name   (FqContext            *self,
                                               const char           *id);
const char     *fq_context_lookup_grid_name   (FqContext            *self,
                                               const char           *code);
/* (nullable): the name of the category group @code, as GET /categories
 * gives it; NULL until the server has answered once. The signal
 * "category-groups-changed" says when the names arrive. */
const char     *fq_context_lookup_category_group_name (FqContext    *self,
                                                       const char   *code);
/* (nullable): the name of the unit a ticket of @category at @grid_code
 * would be dispatched to, as the server finds it: the core's
 * fq_refdata_lead_unit() over the cached reference data. */
const char     *fq_context_preview_lead_unit  (FqContext            *self,
                                               const char           *category,
                                               const char           *grid_code);
/* (transfer none) (nullable): the stored JSON of a category or unit. */
JsonObject     *fq_context_lookup_category    (FqContext            *self,
                                               const char           *code);
JsonObject     *fq_context_lookup_unit        (FqContext            *self,
                                               const char           *id);

G_END_DECLS
