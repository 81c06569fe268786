/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * FqReport: a printable record — a ticket's file, a session's minutes, the
 * leaders' summary — built as a list of blocks and laid out on A4 pages with
 * Pango (Chinese text through fontconfig, so PDFs embed a CJK font). The
 * same layout goes to a PDF file (cairo's PDF surface) or to a printer
 * (GtkPrintOperation). Page header: the report's title; footer: "page N of M"
 * and the time it was made.
 *
 * Build it on the main thread from data the view already holds; the PDF is
 * written on a worker thread (fq_report_write_pdf_async), since laying out
 * a long timeline takes a while.
 */

#define FQ_TYPE_REPORT (fq_report_get_type ())

G_DECLARE_FINAL_TYPE (FqReport, fq_report, FQ, REPORT, GObject)

/* Draws a figure (a chart) into the rectangle 0,0 – @width × @height, in
 * points (1/72 in). Called on whichever thread renders the report: it must
 * only read data it owns (the @user_data given with it). */
typedef void (*FqReportDrawFunc) (cairo_t  *cr,
                                  double    width,
                                  double    height,
                                  gpointer  user_data);

FqReport *fq_report_new             (const char          *title);
/* A line under the title ("黄石市 · 2026年11月1日—30日"). */
void      fq_report_set_subtitle    (FqReport            *self,
                                     const char          *subtitle);
void      fq_report_add_heading     (FqReport            *self,
                                     const char          *text);
void      fq_report_add_paragraph   (FqReport            *self,
                                     const char          *text);
/* Label–value lines, two columns: @pairs is label, value, label, value, …,
 * NULL. A NULL or empty value is written as "—". */
void      fq_report_add_fields      (FqReport            *self,
                                     const char * const  *pairs);
/* A table: @headers has @n_columns strings; each row of @rows is a
 * (char **) of @n_columns strings (NULL cells allowed). The rows are copied.
 * Columns share the width in proportion to @weights (NULL: equal). */
void      fq_report_add_table       (FqReport            *self,
                                     guint                n_columns,
                                     const char * const  *headers,
                                     const double        *weights,
                                     GPtrArray           *rows);
/* A figure of @height points across the text width; @notify frees
 * @user_data with the report. */
void      fq_report_add_figure      (FqReport            *self,
                                     double               height,
                                     FqReportDrawFunc     draw,
                                     gpointer             user_data,
                                     GDestroyNotify       notify);

/* Writes the report as an A4 PDF to @file on a worker thread. */
void      fq_report_write_pdf_async (FqReport            *self,
                                     GFile               *file,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
gboolean  fq_report_write_pdf_finish (FqReport           *self,
                                      GAsyncResult       *result,
                                      GError            **error);
/* Same, blocking (tests, command-line export). */
gboolean  fq_report_write_pdf       (FqReport            *self,
                                     const char          *path,
                                     GError             **error);

/* Opens the print dialog for the report, transient for @parent. Errors are
 * shown to the person by the caller's toast: @error is set on failure. */
gboolean  fq_report_print           (FqReport            *self,
                                     GtkWindow           *parent,
                                     GError             **error);

/* Asks where to save (a GtkFileChooserNative with @suggested_name, e.g.
 * "工单 T261129-000031.pdf"), writes the PDF there on a worker thread, and
 * reports the outcome through @callback (finish with
 * fq_report_write_pdf_finish; G_IO_ERROR_CANCELLED when the person cancelled). */
void      fq_report_save_pdf_async  (FqReport            *self,
                                     GtkWindow           *parent,
                                     const char          *suggested_name,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);

G_END_DECLS
