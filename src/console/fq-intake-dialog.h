/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "fq-context.h"

G_BEGIN_DECLS

#define FQ_TYPE_INTAKE_DIALOG (fq_intake_dialog_get_type ())

G_DECLARE_FINAL_TYPE (FqIntakeDialog, fq_intake_dialog, FQ, INTAKE_DIALOG, AdwWindow)

/* A window to take in one call or report, transient for @parent. */
FqIntakeDialog *fq_intake_dialog_new (GtkWindow *parent,
                                      FqContext *context);

/* Signals:
 * "show-incident" (const char *id): the user wants to see the new incident
 *   (or the earlier one it repeats) on the board. */

G_END_DECLS
