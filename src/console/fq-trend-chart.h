/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * FqTrendData: one series of the leaders' trend (a count per day, week or
 * month), with the labels it is drawn with. Immutable once made and
 * reference counted, so that a PDF report can draw it on its worker thread
 * while the view has moved on.
 */

#define FQ_TYPE_TREND_DATA (fq_trend_data_get_type ())

typedef struct _FqTrendData FqTrendData;

GType        fq_trend_data_get_type   (void) G_GNUC_CONST;

/* @title: what is counted ("Incidents per week"); @n buckets, each with its
 * axis label ("11-02"), the label of its hover text ("Week of 2 Nov 2026"),
 * its value, and (@partial, nullable) whether the period cuts it, so that
 * it is drawn lighter: a day not over yet is not a quiet day. The strings
 * are copied. */
FqTrendData *fq_trend_data_new        (const char          *title,
                                       guint                n,
                                       const char * const  *axis_labels,
                                       const char * const  *long_labels,
                                       const double        *values,
                                       const gboolean      *partial);
FqTrendData *fq_trend_data_ref        (FqTrendData         *data);
void         fq_trend_data_unref      (FqTrendData         *data);
guint        fq_trend_data_get_n      (FqTrendData         *data);
double       fq_trend_data_get_value  (FqTrendData         *data,
                                       guint                index);
const char  *fq_trend_data_get_title  (FqTrendData         *data);
/* "Incidents per week, 2 Nov to 30 Nov: 1,234 in all; most 320 (…)…", for
 * screen readers and the report. (transfer full) */
char        *fq_trend_data_describe   (FqTrendData         *data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FqTrendData, fq_trend_data_unref)

/* Colours of a drawing (the widget takes them from its style, a report
 * uses fq_trend_style_print()). */
typedef struct
{
  GdkRGBA foreground;   /* text and axis */
  GdkRGBA bar;
  GdkRGBA bar_highlight;
  double  font_size;    /* of the value labels, in the drawing's units */
} FqTrendStyle;

void         fq_trend_style_print     (FqTrendStyle        *style);

/* Draws @data as a bar chart with axes and labels into 0,0 – @width ×
 * @height of @cr, highlighting bar @highlight (-1: none) and writing its
 * value above it. The one drawing of the chart: the widget and the PDF
 * report both call it. Thread-safe (reads only @data and @style). */
void         fq_trend_chart_draw      (cairo_t             *cr,
                                       double               width,
                                       double               height,
                                       FqTrendData         *data,
                                       const FqTrendStyle  *style,
                                       int                  highlight);

/* An FqReportDrawFunc (fq-report.h) for @user_data, an FqTrendData: pass
 * fq_trend_data_ref (data) and fq_trend_data_unref. */
void         fq_trend_chart_report_draw (cairo_t           *cr,
                                         double             width,
                                         double             height,
                                         gpointer           user_data);

/*
 * FqTrendChart: the widget. Hovering a bar shows its value; clicking it,
 * or Enter on the bar chosen with Left/Right/Home/End, emits
 * "bar-activated" (guint index). Its accessible description says what the
 * chart shows (fq_trend_data_describe()) and which bar is chosen.
 */

#define FQ_TYPE_TREND_CHART (fq_trend_chart_get_type ())

G_DECLARE_FINAL_TYPE (FqTrendChart, fq_trend_chart, FQ, TREND_CHART, GtkWidget)

GtkWidget   *fq_trend_chart_new       (void);
/* Property "data" (FqTrendData, nullable). */
void         fq_trend_chart_set_data  (FqTrendChart        *self,
                                       FqTrendData         *data);
FqTrendData *fq_trend_chart_get_data  (FqTrendChart        *self);
/* The chosen bar (-1: none). */
int          fq_trend_chart_get_selected (FqTrendChart     *self);
void         fq_trend_chart_set_selected (FqTrendChart     *self,
                                          int               index);

G_END_DECLS
