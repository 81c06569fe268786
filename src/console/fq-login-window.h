/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "fq-application.h"
#include "fq-context.h"

G_BEGIN_DECLS

#define FQ_TYPE_LOGIN_WINDOW (fq_login_window_get_type ())

G_DECLARE_FINAL_TYPE (FqLoginWindow, fq_login_window, FQ, LOGIN_WINDOW, AdwApplicationWindow)

FqLoginWindow *fq_login_window_new            (FqApplication *application,
                                               GSettings     *settings);
void           fq_login_window_set_server_url (FqLoginWindow *self,
                                               const char    *url);
/* Shows @message above the form, e.g. why the user must sign in again. */
void           fq_login_window_set_message    (FqLoginWindow *self,
                                               const char    *message);
/* Starts a local demo server, then signs in as @username (a demo user) or,
 * when it is NULL, lets the user pick a role. */
void           fq_login_window_start_demo     (FqLoginWindow *self,
                                               const char    *username);

/* Signals: "signed-in" (FqContext *context): a context whose client is
 * signed in, not yet started. */

G_END_DECLS
