/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * The grid worker's compact report form (未报先处): what a grid worker finds
 * on a round, in a few keystrokes — their own grid preselected, one of the
 * matters grid workers report most, one line, an optional address. It is
 * sent as an incident with source `grid`, which the metrics count as a
 * proactive report.
 */

#include <adwaita.h>

#include "fq-context.h"

G_BEGIN_DECLS

#define FQ_TYPE_GRID_REPORT_DIALOG (fq_grid_report_dialog_get_type ())

G_DECLARE_FINAL_TYPE (FqGridReportDialog, fq_grid_report_dialog, FQ, GRID_REPORT_DIALOG, AdwWindow)

FqGridReportDialog *fq_grid_report_dialog_new          (GtkWindow          *parent,
                                                        FqContext          *context);
/* The grid code the report will be filed under. */
const char         *fq_grid_report_dialog_get_grid     (FqGridReportDialog *self);
/* The category code chosen, or NULL ("the desk decides"). */
const char         *fq_grid_report_dialog_get_category (FqGridReportDialog *self);
/* Builds the POST /incidents body of the form as filled in, or NULL with
 * the reason for the person in @message (transfer full). */
JsonObject         *fq_grid_report_dialog_build_body   (FqGridReportDialog *self,
                                                        char              **message);

G_END_DECLS
