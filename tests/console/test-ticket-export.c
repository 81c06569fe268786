/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Test"

/*
 * A ticket's record exported as PDF (fq_ticket_report_new → FqReport): the
 * header fields, the calls merged into it and the timeline with the time
 * each step took. pdftotext must read back the ticket's Chinese text and
 * the steps, and pdffonts must list an embedded CJK font.
 */

#include "config.h"

#include <glib/gstdio.h>

#include "fq-ticket-pane.h"
#include "fq-timeline-event.h"

static const char ticket_json[] =
  "{\"id\":\"T261120-000007\",\"title\":\"商铺自建消防通道堵塞隐患\",\"category\":\"fire_passage\","
  "\"grid\":\"420204004011\",\"tier\":\"street\",\"lead_unit\":\"street_office-420204004000\","
  "\"assisting_units\":[\"fire-420204\"],\"state\":\"closed\","
  "\"incidents\":[\"I1\",\"I2\"],\"created_at\":\"2026-11-20T01:00:00Z\","
  "\"dispatched_at\":\"2026-11-20T01:00:00Z\",\"accepted_at\":\"2026-11-20T01:40:00Z\","
  "\"resolved_at\":\"2026-11-24T01:00:00Z\",\"closed_at\":\"2026-11-24T03:00:00Z\","
  "\"deadline\":\"2026-11-27T01:00:00Z\",\"overdue\":false,\"satisfaction\":4,"
  "\"returned_count\":1,\"rejected_count\":0,\"reopened_count\":0,\"repeat_count\":1,\"rev\":9}";

static const char * const incident_jsons[] = {
  "{\"id\":\"I1\",\"source\":\"110\",\"received_at\":\"2026-11-20T00:50:00Z\",\"caller_name\":\"王女士\","
  "\"caller_phone\":\"139****5678\",\"address\":\"团城山广州路12号\",\"grid\":\"420204004011\","
  "\"summary\":\"楼下商铺私搭棚子堵住消防通道\",\"status\":\"triaged\",\"decision\":\"divert\","
  "\"ticket\":\"T261120-000007\",\"rev\":3}",
  "{\"id\":\"I2\",\"source\":\"12345\",\"received_at\":\"2026-11-21T09:10:00Z\",\"caller_name\":\"李先生\","
  "\"caller_phone\":\"137****0001\",\"address\":\"团城山广州路12号\",\"grid\":\"420204004011\","
  "\"summary\":\"消防通道还是堵着，再次反映\",\"status\":\"triaged\",\"decision\":\"merge\","
  "\"ticket\":\"T261120-000007\",\"rev\":2}",
};

static const char * const event_jsons[] = {
  "{\"id\":\"E1\",\"ticket\":\"T261120-000007\",\"at\":\"2026-11-20T01:00:00Z\",\"kind\":\"dispatched\","
  "\"actor\":\"coordinator\",\"unit\":\"street_office-420204004000\",\"note\":null,\"data\":{}}",
  "{\"id\":\"E2\",\"ticket\":\"T261120-000007\",\"at\":\"2026-11-20T01:40:00Z\",\"kind\":\"accepted\","
  "\"actor\":\"unit\",\"unit\":\"street_office-420204004000\",\"note\":\"街道已受理\",\"data\":{}}",
  "{\"id\":\"E3\",\"ticket\":\"T261120-000007\",\"at\":\"2026-11-20T02:10:00Z\",\"kind\":\"whistle\","
  "\"actor\":\"coordinator\",\"unit\":null,\"note\":\"召集消防、城管、市场监管联合会商\",\"data\":{}}",
  "{\"id\":\"E4\",\"ticket\":\"T261120-000007\",\"at\":\"2026-11-20T07:10:00Z\",\"kind\":\"consensus\","
  "\"actor\":\"coordinator\",\"unit\":null,\"note\":\"限期三日内拆除违建\",\"data\":{}}",
  "{\"id\":\"E5\",\"ticket\":\"T261120-000007\",\"at\":\"2026-11-24T01:00:00Z\",\"kind\":\"resolved\","
  "\"actor\":\"unit\",\"unit\":\"street_office-420204004000\",\"note\":\"违建已拆除，通道畅通\",\"data\":{}}",
  "{\"id\":\"E6\",\"ticket\":\"T261120-000007\",\"at\":\"2026-11-24T03:00:00Z\",\"kind\":\"closed\","
  "\"actor\":\"coordinator\",\"unit\":null,\"note\":\"回访满意\",\"data\":{\"satisfaction\":4}}",
};

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

static JsonObject *
parse (const char *json)
{
  g_autoptr(JsonNode) node = json_from_string (json, NULL);

  g_assert_nonnull (node);
  return json_object_ref (json_node_get_object (node));
}

/* pdftotext breaks long table cells over lines: compare without them. */
static char *
squeeze (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    if (*p != '\n' && *p != ' ')
      g_string_append_c (out, *p);
  return g_string_free (out, FALSE);
}

static void
test_ticket_pdf (void)
{
  g_autoptr(JsonObject) ticket = parse (ticket_json);
  g_autoptr(GPtrArray) incidents = g_ptr_array_new_with_free_func ((GDestroyNotify)json_object_unref);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(FqReport) report = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("fq-ticket-export-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "ticket.pdf", NULL);
  g_autofree char *text = NULL;
  g_autofree char *flat = NULL;
  g_autofree char *fonts = NULL;
  const char *pdftotext[] = { "pdftotext", "-layout", path, "-", NULL };
  const char *pdffonts[] = { "pdffonts", path, NULL };

  for (guint i = 0; i < G_N_ELEMENTS (incident_jsons); i++)
    g_ptr_array_add (incidents, parse (incident_jsons[i]));
  for (guint i = 0; i < G_N_ELEMENTS (event_jsons); i++)
    {
      g_autoptr(JsonObject) object = parse (event_jsons[i]);
      FqTimelineEvent *event = fq_timeline_event_new_from_json (object, &error);

      g_assert_no_error (error);
      g_ptr_array_add (events, event);
    }

  report = fq_ticket_report_new (NULL, ticket, incidents, events);
  g_assert_nonnull (report);
  g_assert_true (fq_report_write_pdf (report, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  if (!have_program ("pdftotext") || !have_program ("pdffonts"))
    {
      g_test_skip ("poppler-utils (pdftotext, pdffonts) are not installed");
      goto out;
    }

  text = run (pdftotext);
  flat = squeeze (text);
  /* The header, the calls and the timeline, in Chinese as written. */
  g_assert_nonnull (strstr (flat, "T261120-000007"));
  g_assert_nonnull (strstr (flat, "商铺自建消防通道堵塞隐患"));
  g_assert_nonnull (strstr (flat, "楼下商铺私搭棚子堵住消防通道"));
  g_assert_nonnull (strstr (flat, "消防通道还是堵着，再次反映"));
  g_assert_nonnull (strstr (flat, "王女士"));
  g_assert_nonnull (strstr (flat, "139****5678"));
  g_assert_nonnull (strstr (flat, "限期三日内拆除违建"));
  g_assert_nonnull (strstr (flat, "违建已拆除，通道畅通"));
  /* The time each step took (English source strings under the C locale). */
  g_assert_nonnull (strstr (flat, "Dispatch→accepted40min"));
  g_assert_nonnull (strstr (flat, "Whistle→consensus5h"));
  g_assert_nonnull (strstr (flat, "Consensus→resolved4d"));

  fonts = run (pdffonts);
  {
    g_auto(GStrv) lines = g_strsplit (fonts, "\n", -1);
    gboolean embedded_cjk = FALSE;

    for (guint i = 0; lines[i] != NULL; i++)
      if (strstr (lines[i], "CJK") != NULL && strstr (lines[i], " yes ") != NULL)
        embedded_cjk = TRUE;
    g_assert_true (embedded_cjk);
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
  g_setenv ("LANGUAGE", "C", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ticket-export/pdf", test_ticket_pdf);

  return g_test_run ();
}
