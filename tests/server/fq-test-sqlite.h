/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* Statements run straight on a database file, for the tests that look
 * under the server. Each fails the test on an error. */

/* Runs @sql (one or more statements, rows ignored). */
void    fq_test_sql_exec (sqlite3    *db,
                          const char *sql);

/* The first column of the first row of @sql, which must have one. */
gint64  fq_test_sql_int  (sqlite3    *db,
                          const char *sql);
char   *fq_test_sql_text (sqlite3    *db,
                          const char *sql);

G_END_DECLS
