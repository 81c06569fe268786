/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "fq-application.h"
#include "fq-context.h"

G_BEGIN_DECLS

#define FQ_TYPE_WINDOW (fq_window_get_type ())

G_DECLARE_FINAL_TYPE (FqWindow, fq_window, FQ, WINDOW, AdwApplicationWindow)

FqWindow  *fq_window_new         (FqApplication *application,
                                  FqContext     *context);
FqContext *fq_window_get_context (FqWindow      *self);
/* Shows a short notice at the bottom of the window. */
void       fq_window_toast       (FqWindow      *self,
                                  const char    *message);

G_END_DECLS
