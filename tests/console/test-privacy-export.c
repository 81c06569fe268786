/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The console's exports are made from what the server sent, so they hold a
 * phone number only if the server let it through. Against a real demo
 * server with numbers planted in free text (an incident's summary and
 * description, its triage note, a ticket comment, a session's agenda and
 * minutes) and in the caller's number, this makes a ticket's record and a
 * session's minutes as PDF for a leader and for the unit's staff, reads
 * them back with pdftotext and finds no full number; the operator's record
 * holds the typed numbers (the test could fail).
 */

#include "config.h"

#include <string.h>

#include "fq-test-data-util.h"
#include "fq-report.h"
#include "fq-session-panel.h"
#include "fq-ticket-pane.h"
#include "fq-timeline-event.h"

#define M_SUMMARY  "13912345678"
#define M_TRIAGE   "13698765432"
#define M_COMMENT  "13587654321"
#define M_MINUTES  "18912340001"
#define CALLER     "13700002222"

static const char *const planted[] = {
  M_SUMMARY, M_TRIAGE, M_COMMENT, M_MINUTES, CALLER,
  "158 1234 5678", "15812345678", "0714-6543210", "6543210", "5556789", "0714-6226688", "6226688",
};

static gboolean
have_program (const char *name)
{
  g_autofree char *path = g_find_program_in_path (name);

  return path != NULL;
}

/* The text of @report as pdftotext reads it back. */
static char *
report_text (FqReport   *report,
             const char *dir,
             const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  const char *argv[] = { "pdftotext", "-layout", path, "-", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  int status = 0;

  g_assert_true (fq_report_write_pdf (report, path, &error));
  g_assert_no_error (error);
  g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_unlink (path);

  return g_steal_pointer (&out);
}

static JsonNode *
call_ok (FqClient   *client,
         const char *method,
         const char *path,
         const char *body)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = fq_test_call (client, method, path, body, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

static gint64
member_int (JsonNode   *node,
            const char *member)
{
  return json_object_get_int_member (json_node_get_object (node), member);
}

static const char *
member_str (JsonNode   *node,
            const char *member)
{
  return json_object_get_string_member (json_node_get_object (node), member);
}

typedef struct
{
  char *ticket;
  char *session;
} Planted;

static void
plant (const char *url,
       const char *sessions,
       Planted    *out)
{
  g_autoptr(FqClient) operator = fq_test_login (url, sessions, "operator");
  g_autoptr(FqClient) coordinator = fq_test_login (url, sessions, "coordinator");
  g_autoptr(JsonNode) incident = NULL;
  g_autoptr(JsonNode) triaged = NULL;
  g_autoptr(JsonNode) ticket = NULL;
  g_autoptr(JsonNode) commented = NULL;
  g_autoptr(JsonNode) session = NULL;
  g_autoptr(JsonNode) started = NULL;
  g_autoptr(JsonNode) minutes = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) later = g_date_time_add_hours (now, 1);
  g_autofree char *when = g_date_time_format (later, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  JsonNode *member;

  incident = call_ok (operator, "POST", "/incidents",
                      "{\"source\":\"12345\",\"grid\":\"420204004011\","
                      "\"summary\":\"楼上噪音，手机" M_SUMMARY "\",\"caller_name\":\"王女士\","
                      "\"caller_phone\":\"" CALLER "\",\"address\":\"广州路28号3栋\","
                      "\"description\":\"联系电话：0714-6543210，另 +86 158 1234 5678，"
                      "物业电话 5556789\"}");
  path = g_strdup_printf ("/incidents/%s/triage", member_str (incident, "id"));
  triaged = call_ok (operator, "POST", path,
                     "{\"decision\":\"divert\",\"category\":\"B01\",\"grid\":\"420204004011\","
                     "\"rev\":1,\"lead_unit\":\"street_office-420204004000\","
                     "\"note\":\"已电话联系 " M_TRIAGE "\"}");
  member = json_object_get_member (json_node_get_object (triaged), "ticket");
  g_assert_nonnull (member);
  out->ticket = g_strdup (JSON_NODE_HOLDS_OBJECT (member)
                          ? json_object_get_string_member (json_node_get_object (member), "id")
                          : json_node_get_string (member));

  g_free (path);
  path = g_strdup_printf ("/tickets/%s", out->ticket);
  ticket = call_ok (operator, "GET", path, NULL);
  g_free (path);
  path = g_strdup_printf ("/tickets/%s/actions", out->ticket);
  body = g_strdup_printf ("{\"action\":\"comment\",\"rev\":%" G_GINT64_FORMAT ","
                          "\"note\":\"来电人手机 " M_COMMENT "\"}", member_int (ticket, "rev"));
  commented = call_ok (operator, "POST", path, body);

  g_free (path);
  path = g_strdup_printf ("/tickets/%s/sessions", out->ticket);
  g_free (body);
  body = g_strdup_printf ("{\"title\":\"噪音会商\",\"scheduled_at\":\"%s\",\"location\":\"社区\","
                          "\"agenda\":\"街道电话 0714-6226688\","
                          "\"invitees\":[\"street_office-420204004000\"]}", when);
  session = call_ok (coordinator, "POST", path, body);
  out->session = g_strdup (member_str (session, "id"));
  g_free (path);
  path = g_strdup_printf ("/sessions/%s/actions", out->session);
  g_free (body);
  body = g_strdup_printf ("{\"action\":\"start\",\"rev\":%" G_GINT64_FORMAT "}",
                          member_int (session, "rev"));
  started = call_ok (coordinator, "POST", path, body);
  g_free (body);
  body = g_strdup_printf ("{\"action\":\"minutes\",\"rev\":%" G_GINT64_FORMAT ","
                          "\"text\":\"业主手机 " M_MINUTES "\"}", member_int (started, "rev"));
  minutes = call_ok (coordinator, "POST", path, body);
}

/* The ticket's record and the session's minutes as @username exports them,
 * as text. */
static char *
export_as (const char    *url,
           const char    *sessions,
           const char    *dir,
           const char    *username,
           const Planted *planted_ids)
{
  g_autoptr(FqClient) client = fq_test_login (url, sessions, username);
  g_autofree char *path = g_strdup_printf ("/tickets/%s", planted_ids->ticket);
  g_autoptr(JsonNode) ticket = call_ok (client, "GET", path, NULL);
  g_autoptr(JsonNode) session = NULL;
  g_autoptr(GPtrArray) incidents = g_ptr_array_new_with_free_func ((GDestroyNotify)json_object_unref);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(FqReport) record = NULL;
  g_autoptr(FqReport) minutes = NULL;
  g_autofree char *record_text = NULL;
  g_autofree char *minutes_text = NULL;
  JsonObject *object = json_node_get_object (ticket);
  JsonArray *ids = json_object_get_array_member (object, "incidents");
  JsonArray *timeline = json_object_get_array_member (object, "events");

  for (guint i = 0; i < json_array_get_length (ids); i++)
    {
      g_autofree char *one = g_strdup_printf ("/incidents/%s", json_array_get_string_element (ids, i));
      g_autoptr(JsonNode) incident = call_ok (client, "GET", one, NULL);

      g_ptr_array_add (incidents, json_object_ref (json_node_get_object (incident)));
    }
  g_assert_cmpuint (incidents->len, >=, 1);
  for (guint i = 0; timeline != NULL && i < json_array_get_length (timeline); i++)
    {
      g_autoptr(GError) error = NULL;
      FqTimelineEvent *event = fq_timeline_event_new_from_json (json_array_get_object_element (timeline, i),
                                                                &error);

      g_assert_no_error (error);
      g_ptr_array_add (events, event);
    }
  g_assert_cmpuint (events->len, >=, 2);

  record = fq_ticket_report_new (NULL, object, incidents, events);
  record_text = report_text (record, dir, "record.pdf");

  g_free (path);
  path = g_strdup_printf ("/sessions/%s", planted_ids->session);
  session = call_ok (client, "GET", path, NULL);
  minutes = fq_session_minutes_report_new (NULL, json_node_get_object (session));
  minutes_text = report_text (minutes, dir, "minutes.pdf");

  return g_strconcat (record_text, "\n", minutes_text, NULL);
}

static void
assert_masked (const char *username,
               const char *text)
{
  g_autoptr(GRegex) mobile = g_regex_new ("(?<![0-9])1[3-9][0-9]{9}(?![0-9])", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autoptr(GString) squeezed = g_string_new (NULL);

  if (g_regex_match (mobile, text, 0, &match))
    {
      g_autofree char *found = g_match_info_fetch (match, 0);

      g_error ("%s's export holds the full number %s", username, found);
    }
  /* pdftotext breaks long cells over lines: the planted numbers are looked
   * for in the text as read and without line breaks and spaces too. */
  for (const char *p = text; *p != '\0'; p++)
    if (*p != '\n' && *p != ' ')
      g_string_append_c (squeezed, *p);
  for (guint i = 0; i < G_N_ELEMENTS (planted); i++)
    if (strstr (text, planted[i]) != NULL || strstr (squeezed->str, planted[i]) != NULL)
      g_error ("%s's export holds the planted number %s", username, planted[i]);
  /* The texts are there, their numbers masked. */
  g_assert_nonnull (strstr (text, "139****5678"));
  g_assert_nonnull (strstr (text, "136****5432"));
  g_assert_nonnull (strstr (text, "135****4321"));
  g_assert_nonnull (strstr (text, "189****0001"));
  g_assert_nonnull (strstr (text, "071*-***6688"));
}

static void
test_exports (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *sessions = NULL;
  g_autoptr(FqLocalServer) server = NULL;
  Planted ids = { NULL, };
  const char *url;

  if (!fq_test_have_server ())
    return;
  if (!have_program ("pdftotext"))
    {
      g_test_skip ("poppler-utils (pdftotext) is not installed");
      return;
    }

  dir = g_dir_make_tmp ("fq-privacy-export-XXXXXX", NULL);
  data_dir = g_build_filename (dir, "server", NULL);
  sessions = g_build_filename (dir, "sessions", NULL);
  server = fq_test_start_server (data_dir, NULL);
  url = fq_local_server_get_url (server);
  plant (url, sessions, &ids);

  {
    g_autofree char *leader = export_as (url, sessions, dir, "leader", &ids);
    g_autofree char *unit = export_as (url, sessions, dir, "unit", &ids);
    g_autofree char *operator = export_as (url, sessions, dir, "operator", &ids);

    assert_masked ("leader", leader);
    assert_masked ("unit", unit);
    /* The operator's record has the typed numbers: the scan could fail.
     * (The caller's own number is masked in the record until revealed.) */
    g_assert_nonnull (strstr (operator, M_SUMMARY));
    g_assert_nonnull (strstr (operator, M_COMMENT));
    g_assert_nonnull (strstr (operator, M_MINUTES));
  }

  fq_local_server_stop (server);
  g_free (ids.ticket);
  g_free (ids.session);
  fq_test_rm_rf (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("LANGUAGE", "C", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/privacy-export/leader-unit", test_exports);

  return g_test_run ();
}
