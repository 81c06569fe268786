/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gtk/gtk.h>

#include "fq-context.h"
#include "fq-report.h"

G_BEGIN_DECLS

/*
 * FqSummaryView: The leaders' summary panels: KPI tiles, trend, breakdowns, unit assessment.
 * A page of the window's view stack; built once the context has started.
 *
 * Every figure comes from the server (/metrics/…, through FqClient, parsed
 * off the main thread) for the chosen period and grid node. Activating a
 * tile, a bar of the trend, a category or a unit asks the server for the
 * records counted in it (/metrics/records) and emits "show-records", whose
 * default handler shows them on the window's board.
 */

#define FQ_TYPE_SUMMARY_VIEW (fq_summary_view_get_type ())

G_DECLARE_FINAL_TYPE (FqSummaryView, fq_summary_view, FQ, SUMMARY_VIEW, GtkWidget)

typedef enum
{
  FQ_SUMMARY_PERIOD_THIS_MONTH,
  FQ_SUMMARY_PERIOD_LAST_MONTH,
  FQ_SUMMARY_PERIOD_THIS_QUARTER,
  FQ_SUMMARY_PERIOD_THIS_YEAR,
  FQ_SUMMARY_PERIOD_CUSTOM,
} FqSummaryPeriod;

void        fq_summary_view_set_context  (FqSummaryView    *self,
                                          FqContext        *context);
/* The grid node the figures are for: a division code, or a scope prefix
 * ("420204", as the grid sidebar gives it). NULL: the user's scope. */
void        fq_summary_view_set_scope    (FqSummaryView    *self,
                                          const char       *code);
const char *fq_summary_view_get_scope    (FqSummaryView    *self);
/* A period counted from now (China Standard Time days), or, for
 * FQ_SUMMARY_PERIOD_CUSTOM, [@from, @to) in Unix seconds. */
void        fq_summary_view_set_period   (FqSummaryView    *self,
                                          FqSummaryPeriod   period,
                                          gint64            from,
                                          gint64            to);
void        fq_summary_view_get_period   (FqSummaryView    *self,
                                          gint64           *from,
                                          gint64           *to);
/* Counts again now. */
void        fq_summary_view_reload       (FqSummaryView    *self);
/* Counts again if the figures are older than @max_age_seconds. */
void        fq_summary_view_refresh_if_older (FqSummaryView *self,
                                              guint          max_age_seconds);
/* Property "loading": figures are being counted. */
gboolean    fq_summary_view_get_loading  (FqSummaryView    *self);

/* (transfer none) (nullable): the tile of figure @metric ("repeat_calls"),
 * a button. */
GtkWidget  *fq_summary_view_get_tile     (FqSummaryView    *self,
                                          const char       *metric);
/* A table as CSV (UTF-8 with a BOM): "figures", "trend", "categories",
 * "places" or "units". (transfer full) (nullable) */
GBytes     *fq_summary_view_get_csv      (FqSummaryView    *self,
                                          const char       *table);
/* The panel as a report (A4 PDF, print). (transfer full) */
FqReport   *fq_summary_view_build_report (FqSummaryView    *self);

/* Signals:
 * "show-records" (int page, const char *title, GStrv ids): the records
 *   behind a figure (page: an FqBoardPage). The default handler shows
 *   them on the board of the window the view is in. */

G_END_DECLS
