/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gtk/gtk.h>

#include "fq-context.h"

G_BEGIN_DECLS

/*
 * FqSessionsView: The convening sessions (吹哨报到): today, upcoming, in progress and recent.
 * A page of the window's view stack; built once the context has started.
 */

#define FQ_TYPE_SESSIONS_VIEW (fq_sessions_view_get_type ())

G_DECLARE_FINAL_TYPE (FqSessionsView, fq_sessions_view, FQ, SESSIONS_VIEW, GtkWidget)

void fq_sessions_view_set_context (FqSessionsView *self,
                                 FqContext    *context);

/* Opens the in-session panel of session @id. */
void fq_sessions_view_show_session (FqSessionsView *self,
                                    const char     *id);

G_END_DECLS
