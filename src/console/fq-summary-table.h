/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * FqSummaryTable: a sortable table of the leaders' summary (places, category
 * groups, units): a GtkColumnView over rows that are the server's JSON
 * objects, with columns chosen by the view (a member and how to show it).
 * The same columns write the table as CSV and as a report table, so that
 * an export has exactly what the screen shows, in the order it shows it.
 *
 * Numbers are formatted for the locale by the helpers below, which the
 * summary's tiles use too.
 */

typedef enum
{
  FQ_SUMMARY_COLUMN_TEXT,     /* a string member */
  FQ_SUMMARY_COLUMN_COUNT,    /* an integer: "1,234" */
  FQ_SUMMARY_COLUMN_RATIO,    /* a fraction: "97.6%"; null "—" */
  FQ_SUMMARY_COLUMN_DECIMAL,  /* one decimal: "4.3"; null "—" */
  FQ_SUMMARY_COLUMN_SCORE,    /* 0–100, one decimal, with a bar */
  FQ_SUMMARY_COLUMN_CHANGE,   /* a relative change: "−12.5%"; null "—" */
} FqSummaryColumnKind;

/* "1,234" (transfer full) */
char *fq_summary_format_count  (gint64  value);
/* "97.6%" (transfer full) */
char *fq_summary_format_ratio  (double  value);
/* "+3.2%", "−12.5%", "0.0%" (transfer full) */
char *fq_summary_format_change (double  value);
/* A member of @row as the column kind shows it; "—" for null or missing.
 * (transfer full) */
char *fq_summary_format_member (JsonObject          *row,
                                const char          *member,
                                FqSummaryColumnKind  kind);

/* @text as one CSV field: quoted when it holds a comma, quote, or line
 * break, quotes doubled. Appended to @out. */
void  fq_summary_csv_append_field (GString    *out,
                                   const char *text);

#define FQ_TYPE_SUMMARY_TABLE (fq_summary_table_get_type ())

G_DECLARE_FINAL_TYPE (FqSummaryTable, fq_summary_table, FQ, SUMMARY_TABLE, GtkWidget)

/* @label: the table's accessible name ("Unit assessment"). */
GtkWidget   *fq_summary_table_new          (const char          *label);
/* A column showing @member; @expand: takes the spare width (names). */
void         fq_summary_table_add_column   (FqSummaryTable      *self,
                                            const char          *title,
                                            const char          *member,
                                            FqSummaryColumnKind  kind,
                                            gboolean             expand);
/* Replaces the rows with the objects of @rows (referenced). */
void         fq_summary_table_set_rows     (FqSummaryTable      *self,
                                            JsonArray           *rows);
guint        fq_summary_table_get_n_rows   (FqSummaryTable      *self);
/* Sorts by the column of @member. */
void         fq_summary_table_sort_by      (FqSummaryTable      *self,
                                            const char          *member,
                                            gboolean             descending);
/* (transfer none) (nullable): the row at @position in the shown order, or
 * the selected one. */
JsonObject  *fq_summary_table_get_row      (FqSummaryTable      *self,
                                            guint                position);
JsonObject  *fq_summary_table_get_selected (FqSummaryTable      *self);

/* The table as CSV in the shown order: UTF-8 with a byte-order mark (so
 * that spreadsheet software in China reads the Chinese correctly), CRLF
 * line ends, a header line. (transfer full) */
GBytes      *fq_summary_table_to_csv       (FqSummaryTable      *self);
/* For fq_report_add_table(): the headers (transfer full, a GStrv) and the
 * rows as (char **) of formatted cells (transfer full, frees them). */
GStrv        fq_summary_table_get_headers  (FqSummaryTable      *self);
GPtrArray   *fq_summary_table_get_cells    (FqSummaryTable      *self);

/* Signals:
 * "row-activated" (JsonObject *row): Enter or a double click on a row. */

G_END_DECLS
