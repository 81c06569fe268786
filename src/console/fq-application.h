/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "fq-context.h"

G_BEGIN_DECLS

#define FQ_TYPE_APPLICATION (fq_application_get_type ())

G_DECLARE_FINAL_TYPE (FqApplication, fq_application, FQ, APPLICATION, AdwApplication)

FqApplication *fq_application_new          (void);
/* (transfer none): the application's settings (cn.fengqiao.Console). */
GSettings     *fq_application_get_settings (FqApplication *self);
/* (transfer none) (nullable): the context of the signed-in session. */
FqContext     *fq_application_get_context  (FqApplication *self);

G_END_DECLS
