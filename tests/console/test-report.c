/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * FqReport: a report with Chinese text, a table longer than a page and a
 * figure is written as a PDF; pdftotext must read the Chinese back (so the
 * text is real text, not outlines), pdffonts must list an embedded CJK font,
 * and the table must run over more than one page with its header repeated.
 */

#include "config.h"

#include <glib/gstdio.h>

#include "fq-report.h"

static gboolean
have_program (const char *name)
{
  g_autofree char *path = g_find_program_in_path (name);

  return path != NULL;
}

static char *
run (const char * const *argv)
{
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));

  return g_steal_pointer (&out);
}

static void
draw_bars (cairo_t  *cr,
           double    width,
           double    height,
           gpointer  user_data)
{
  guint *n_calls = user_data;

  (*n_calls)++;
  cairo_set_source_rgb (cr, 0.2, 0.4, 0.8);
  for (guint i = 0; i < 10; i++)
    cairo_rectangle (cr, i * width / 10 + 2, height * (1 - (i + 1) / 10.0),
                     width / 10 - 4, height * (i + 1) / 10.0);
  cairo_fill (cr);
}

static void
test_report_pdf (void)
{
  g_autoptr(FqReport) report = fq_report_new ("工单 T261129-000031 办理记录");
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify)g_strfreev);
  g_autofree char *dir = g_dir_make_tmp ("fq-report-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "report.pdf", NULL);
  g_autoptr(GError) error = NULL;
  const char *headers[] = { "时间", "事件", "单位", "说明" };
  const double weights[] = { 1.2, 1, 1.5, 3 };
  const char *fields[] = {
    "状态", "处置中",
    "牵头单位", "下陆区团城山街道办事处",
    "满意度", NULL,
  };
  const char *pdftotext[] = { "pdftotext", "-layout", path, "-", NULL };
  const char *pdffonts[] = { "pdffonts", path, NULL };
  const char *pdfinfo[] = { "pdfinfo", path, NULL };
  g_autofree char *text = NULL;
  g_autofree char *fonts = NULL;
  g_autofree char *info = NULL;
  guint n_calls = 0;
  guint n_pages = 0;
  const char *pages_line;

  fq_report_set_subtitle (report, "黄石市 · 楼道堆物引发邻里纠纷");
  fq_report_add_heading (report, "基本情况");
  fq_report_add_fields (report, fields);
  fq_report_add_paragraph (report, "来电人反映：邻居长期在楼道堆放杂物，影响通行，多次协商未果。");
  for (guint i = 0; i < 80; i++)
    {
      char **row = g_new0 (char *, 5);

      row[0] = g_strdup_printf ("11月%u日 09:%02u", 1 + i / 10, i % 60);
      row[1] = g_strdup (i % 2 ? "受理" : "回访");
      row[2] = g_strdup ("团城山街道");
      row[3] = g_strdup_printf ("第 %u 条记录：已与双方当事人沟通，约定次日上门调解。", i + 1);
      g_ptr_array_add (rows, row);
    }
  fq_report_add_heading (report, "办理时间线");
  fq_report_add_table (report, G_N_ELEMENTS (headers), headers, weights, rows);
  fq_report_add_figure (report, 120, draw_bars, &n_calls, NULL);

  g_assert_true (fq_report_write_pdf (report, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (n_calls, ==, 1);

  if (!have_program ("pdftotext") || !have_program ("pdffonts"))
    {
      g_test_skip ("poppler-utils (pdftotext, pdffonts) are not installed");
      goto out;
    }

  text = run (pdftotext);
  g_assert_nonnull (strstr (text, "工单 T261129-000031 办理记录"));
  g_assert_nonnull (strstr (text, "下陆区团城山街道办事处"));
  g_assert_nonnull (strstr (text, "第 80 条记录"));
  /* The empty value is written as a dash, not left out. */
  g_assert_nonnull (strstr (text, "—"));

  fonts = run (pdffonts);
  /* "emb" column: yes, for a CJK font. */
  g_assert_nonnull (strstr (fonts, "CJK"));
  {
    g_auto(GStrv) lines = g_strsplit (fonts, "\n", -1);
    gboolean embedded_cjk = FALSE;

    for (guint i = 0; lines[i] != NULL; i++)
      if (strstr (lines[i], "CJK") != NULL && strstr (lines[i], " yes ") != NULL)
        embedded_cjk = TRUE;
    g_assert_true (embedded_cjk);
  }

  /* 80 rows do not fit on one A4 page; the header repeats on each page. */
  info = run (pdfinfo);
  pages_line = strstr (info, "Pages:");
  g_assert_nonnull (pages_line);
  n_pages = (guint) g_ascii_strtoull (pages_line + strlen ("Pages:") + strspn (pages_line + strlen ("Pages:"), " "), NULL, 10);
  g_assert_cmpuint (n_pages, >=, 2);
  {
    guint n_headers = 0;

    for (const char *p = text; (p = strstr (p, "说明")) != NULL; p++)
      n_headers++;
    g_assert_cmpuint (n_headers, >=, n_pages);
  }

out:
  /* FQ_TEST_KEEP_PDF=FILE keeps a copy to look at. */
  if (g_getenv ("FQ_TEST_KEEP_PDF") != NULL)
    {
      g_autoptr(GFile) src = g_file_new_for_path (path);
      g_autoptr(GFile) dst = g_file_new_for_path (g_getenv ("FQ_TEST_KEEP_PDF"));

      g_file_copy (src, dst, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, NULL);
    }
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/report/pdf", test_report_pdf);

  return g_test_run ();
}
