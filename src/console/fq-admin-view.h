/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gtk/gtk.h>

#include "fq-context.h"

G_BEGIN_DECLS

/*
 * FqAdminView: The administrator's page: accounts, audit trail, Open311 keys.
 * A page of the window's view stack; built once the context has started.
 */

#define FQ_TYPE_ADMIN_VIEW (fq_admin_view_get_type ())

G_DECLARE_FINAL_TYPE (FqAdminView, fq_admin_view, FQ, ADMIN_VIEW, GtkWidget)

void        fq_admin_view_set_context (FqAdminView *self,
                                       FqContext   *context);
/* The accounts listed (of GtkStringObject: usernames), for tests.
 * (transfer none) */
GListModel *fq_admin_view_get_users   (FqAdminView *self);

G_END_DECLS
