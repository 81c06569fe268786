/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * Importing the 12345 hotline's work orders from a CSV file (UTF-8 or
 * GB18030, as Excel exports it): the columns are mapped to our fields in
 * the dialog (and the mapping remembered), the server's dry run reports
 * what would be imported, what is a duplicate and what is invalid and why,
 * and only "Import N" writes — in one transaction on the server.
 */

#include <adwaita.h>

#include "fq-context.h"

G_BEGIN_DECLS

#define FQ_TYPE_IMPORT_DIALOG (fq_import_dialog_get_type ())

G_DECLARE_FINAL_TYPE (FqImportDialog, fq_import_dialog, FQ, IMPORT_DIALOG, AdwWindow)

FqImportDialog *fq_import_dialog_new         (GtkWindow       *parent,
                                              FqContext       *context);
/* Reads @file on a worker thread, as "Choose File…" does (tests). */
void            fq_import_dialog_load_file   (FqImportDialog  *self,
                                              GFile           *file);

/* The CSV reader, on its own for the tests: parses @data (UTF-8, or
 * GB18030 when it is not valid UTF-8; a UTF-8 BOM is skipped) into rows of
 * fields (RFC 4180: quoted fields with "" and line breaks, CRLF or LF).
 * @encoding is set to "UTF-8" or "GB18030". Returns (transfer full) a
 * GPtrArray of GStrv, the header first. */
GPtrArray      *fq_import_parse_csv          (const char      *data,
                                              gsize            length,
                                              const char     **encoding,
                                              GError         **error);
/* A time of a work order as RFC 3339: RFC 3339 stays as it is; "2026-11-20
 * 10:00[:00]" or with slashes is China Standard Time. NULL if neither. */
char           *fq_import_normalize_time     (const char      *text);

G_END_DECLS
