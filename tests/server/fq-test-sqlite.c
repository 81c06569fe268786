/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "fq-test-sqlite.h"

void
fq_test_sql_exec (sqlite3    *db,
                  const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

static sqlite3_stmt *
first_row (sqlite3    *db,
           const char *sql)
{
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return stmt;
}

gint64
fq_test_sql_int (sqlite3    *db,
                 const char *sql)
{
  sqlite3_stmt *stmt = first_row (db, sql);
  gint64 value = sqlite3_column_int64 (stmt, 0);

  sqlite3_finalize (stmt);
  return value;
}

char *
fq_test_sql_text (sqlite3    *db,
                  const char *sql)
{
  sqlite3_stmt *stmt = first_row (db, sql);
  char *value = g_strdup ((const char *)sqlite3_column_text (stmt, 0));

  sqlite3_finalize (stmt);
  return value;
}
