/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define FQ_TYPE_ROLE_CHOOSER (fq_role_chooser_get_type ())

G_DECLARE_FINAL_TYPE (FqRoleChooser, fq_role_chooser, FQ, ROLE_CHOOSER, AdwBin)

GtkWidget *fq_role_chooser_new (void);

/* Signals: "role-chosen" (const char *username): a demo user was picked. */

G_END_DECLS
