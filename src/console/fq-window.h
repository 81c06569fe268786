/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "fq-application.h"
#include "fq-context.h"
#include "fq-incident-board.h"

G_BEGIN_DECLS

#define FQ_TYPE_WINDOW (fq_window_get_type ())

G_DECLARE_FINAL_TYPE (FqWindow, fq_window, FQ, WINDOW, AdwApplicationWindow)

FqWindow  *fq_window_new         (FqApplication *application,
                                  FqContext     *context);
FqContext *fq_window_get_context (FqWindow      *self);
/* Shows a short notice at the bottom of the window. */
void       fq_window_toast       (FqWindow      *self,
                                  const char    *message);

/* Shows a page of the view stack: "board", "sessions", "summary" or
 * "admin" (nothing happens if the user's role does not have that page). */
void       fq_window_show_view   (FqWindow      *self,
                                  const char    *name);
/* Opens ticket @id in the board's details pane (notifications). */
void       fq_window_show_ticket (FqWindow      *self,
                                  const char    *id);
/* "Explain this number": switches to the board and filters @page to
 * exactly the incidents or tickets @ids, under a banner with @title. */
void       fq_window_show_records (FqWindow           *self,
                                   FqBoardPage         page,
                                   const char         *title,
                                   const char * const *ids);

G_END_DECLS
