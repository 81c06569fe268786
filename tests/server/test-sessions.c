/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Convening sessions over HTTP (API.md "Convening sessions", the rules at
 * the top of src/server/fq-sessions.c): calling a session, every action and
 * its rule, the forbidden and impossible ones (403, 409 invalid_transition
 * with `allowed`, stale_rev, 404 out of scope, 422 fields), the ticket
 * timeline events, visibility for invited units, changes, lists, overdue
 * action items, idempotent replays and the unit assessment's attendance.
 */

#include "config.h"

#include <string.h>

#include "fq-test-server.h"

typedef struct
{
  FqTestWorld  *w;
  /* Three units of 下陆区 other than the demo unit (the street office of
   * 团城山街道, the lead unit of the tickets made here), a user of each. */
  char         *unit_a;
  char         *unit_b;
  char         *unit_c;
  FqTestClient *a;
  FqTestClient *b;
  FqTestClient *c;
} Fixture;

static char *units[3];

static void
pick_units (FqTestWorld *w)
{
  g_autoptr(FqTestResponse) resp = NULL;
  JsonArray *array;
  guint n = 0;

  if (units[0] != NULL)
    return;
  resp = fq_test_get (w->operator, "/units");
  fq_test_assert_status (resp, 200);
  array = fq_test_obj_array (fq_test_response_object (resp), "units");
  for (guint i = 0; array != NULL && i < json_array_get_length (array) && n < 3; i++)
    {
      JsonObject *unit = json_array_get_object_element (array, i);
      const char *id = fq_test_obj_str (unit, "id");
      const char *grid = fq_test_obj_str (unit, "grid");

      if (id == NULL || grid == NULL || !g_str_has_prefix (grid, "420204") ||
          g_strcmp0 (id, FQ_TEST_UNIT_STREET) == 0)
        continue;
      units[n++] = g_strdup (id);
    }
  g_assert_cmpuint (n, ==, 3);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->w = fq_test_world_get ();
  pick_units (f->w);
  f->unit_a = units[0];
  f->unit_b = units[1];
  f->unit_c = units[2];
  f->a = fq_test_create_user (f->w->admin, "unit", FQ_TEST_XIALU, f->unit_a, NULL);
  f->b = fq_test_create_user (f->w->admin, "unit", FQ_TEST_XIALU, f->unit_b, NULL);
  f->c = fq_test_create_user (f->w->admin, "unit", FQ_TEST_XIALU, f->unit_c, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->a, fq_test_client_free);
  g_clear_pointer (&f->b, fq_test_client_free);
  g_clear_pointer (&f->c, fq_test_client_free);
}

/* ---- helpers ---- */

static JsonObject *
new_ticket (Fixture *f)
{
  JsonObject *category = fq_test_pick_category (f->w->operator, FALSE, 3);

  return fq_test_create_ticket (f->w->operator, f->w->operator, FQ_TEST_GUANGZHOULU,
                                fq_test_obj_str (category, "code"), FQ_TEST_UNIT_STREET);
}

static JsonObject *
get_ticket (FqTestClient *client,
            const char   *id)
{
  g_autoptr(FqTestResponse) resp = fq_test_get (client, "/tickets/%s", id);

  fq_test_assert_status (resp, 200);
  return json_object_ref (fq_test_response_object (resp));
}

/* @template with @T and @U replaced and single quotes made double. */
static char *
fill (const char *template,
      const char *time,
      const char *unit)
{
  g_autoptr(GString) out = g_string_new (template);

  g_string_replace (out, "@T", time, 0);
  g_string_replace (out, "@U", unit, 0);
  g_strdelimit (out->str, "'", '"');
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static FqTestResponse *
create (FqTestClient *client,
        JsonObject   *ticket,
        const char   *body)
{
  g_autofree char *path = g_strdup_printf ("/tickets/%s/sessions", fq_test_obj_str (ticket, "id"));

  return fq_test_post (client, path, body);
}

/* A session on @ticket called by @client, scheduled @offset seconds from
 * now, with units a and b invited and one external participant. */
static JsonObject *
create_ok (Fixture      *f,
           FqTestClient *client,
           JsonObject   *ticket,
           const char   *scheduled_at,
           const char   *units_json)
{
  g_autofree char *body = NULL;
  g_autoptr(FqTestResponse) resp = NULL;
  g_autofree char *default_units = g_strdup_printf ("[\"%s\",\"%s\"]", f->unit_a, f->unit_b);

  body = fq_test_jsonf ("{'title':'消防通道占用联合会商','scheduled_at':'%s','location':'团城山街道办三楼会议室',"
                        "'agenda':'一、现场情况；二、各方职责；三、整改时限',"
                        "'invitees':%s,"
                        "'external_participants':[{'name':'王建国','organisation':'某某物业公司'},"
                        "{'name':'李秀英','organisation':'居民代表'}]}",
                        scheduled_at, units_json != NULL ? units_json : default_units);
  resp = create (client, ticket, body);
  fq_test_assert_status (resp, 201);
  return json_object_ref (fq_test_response_object (resp));
}

static FqTestResponse *
act (FqTestClient *client,
     JsonObject   *session,
     const char   *action,
     gint64        rev,
     const char   *fields)
{
  g_autofree char *path = g_strdup_printf ("/sessions/%s/actions", fq_test_obj_str (session, "id"));
  g_autofree char *body = g_strdup_printf ("{\"action\":\"%s\",\"rev\":%" G_GINT64_FORMAT "%s}",
                                           action, rev, fields ? fields : "");

  return fq_test_post (client, path, body);
}

/* An action that must succeed; returns the new session. */
static JsonObject *
act_ok (FqTestClient *client,
        JsonObject   *session,
        const char   *action,
        const char   *fields)
{
  g_autoptr(FqTestResponse) resp = act (client, session, action, fq_test_obj_int (session, "rev"),
                                        fields);

  fq_test_assert_status (resp, 200);
  g_assert_cmpint (fq_test_obj_int (fq_test_response_object (resp), "rev"), >,
                   fq_test_obj_int (session, "rev"));
  return json_object_ref (fq_test_response_object (resp));
}

static void
assert_refused (FqTestResponse *resp,
                guint           status,
                const char     *code,
                const char     *must_not_allow)
{
  fq_test_assert_error (resp, status, code);
  if (g_strcmp0 (code, "invalid_transition") == 0)
    {
      JsonArray *allowed = fq_test_obj_array (fq_test_obj_obj (fq_test_response_object (resp),
                                                               "error"), "allowed");

      g_assert_nonnull (allowed);
      if (must_not_allow != NULL)
        g_assert_false (fq_test_array_has_string (allowed, must_not_allow));
    }
}

static JsonObject *
invitee_of (JsonObject *session,
            const char *unit)
{
  JsonArray *invitees = fq_test_obj_array (session, "invitees");

  for (guint i = 0; invitees != NULL && i < json_array_get_length (invitees); i++)
    {
      JsonObject *invitee = json_array_get_object_element (invitees, i);

      if (g_strcmp0 (fq_test_obj_str (invitee, "unit"), unit) == 0)
        return invitee;
    }
  g_error ("%s is not an invitee", unit);
}

/* The ticket's events of @kind that name @session in their data. */
static GPtrArray *
events_of (FqTestClient *client,
           JsonObject   *session,
           const char   *kind)
{
  g_autoptr(JsonObject) ticket = get_ticket (client, fq_test_obj_str (session, "ticket"));
  JsonArray *events = fq_test_obj_array (ticket, "events");
  GPtrArray *found = g_ptr_array_new_with_free_func ((GDestroyNotify)json_object_unref);

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);
      JsonObject *data = fq_test_obj_obj (event, "data");

      if (g_strcmp0 (fq_test_obj_str (event, "kind"), kind) == 0 && data != NULL &&
          g_strcmp0 (fq_test_obj_str (data, "session"), fq_test_obj_str (session, "id")) == 0)
        g_ptr_array_add (found, json_object_ref (event));
    }
  return found;
}

static guint
count_events (FqTestClient *client,
              JsonObject   *session,
              const char   *kind)
{
  g_autoptr(GPtrArray) events = events_of (client, session, kind);

  return events->len;
}

/* ---- tests ---- */

static void
test_lifecycle (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(JsonObject) ticket = new_ticket (f);
  g_autofree char *later = fq_test_time_from_now (3600);
  g_autofree char *due = fq_test_time_from_now (3 * 86400);
  g_autofree char *unit_field = NULL;
  g_autofree char *item_fields = NULL;
  g_autofree char *item_id_field = NULL;
  g_autoptr(JsonObject) s0 = create_ok (f, f->w->coordinator, ticket, later, NULL);
  g_autoptr(JsonObject) s1 = NULL, s2 = NULL, s3 = NULL, s4 = NULL, s5 = NULL, s6 = NULL;
  g_autoptr(JsonObject) s7 = NULL, s8 = NULL, s9 = NULL, s10 = NULL, s11 = NULL;
  g_autoptr(JsonObject) detail = NULL;
  JsonArray *array;
  JsonObject *item;

  /* Called: scheduled, convened by the street office of the ticket's
   * street, units invited, the external participants named. */
  g_assert_cmpstr (fq_test_obj_str (s0, "state"), ==, "scheduled");
  g_assert_cmpstr (fq_test_obj_str (s0, "ticket"), ==, fq_test_obj_str (ticket, "id"));
  g_assert_cmpstr (fq_test_obj_str (s0, "convener_unit"), ==, FQ_TEST_UNIT_STREET);
  g_assert_cmpint (fq_test_obj_int (s0, "rev"), ==, 1);
  g_assert_true (g_str_has_prefix (fq_test_obj_str (s0, "id"), "S"));
  g_assert_cmpuint (json_array_get_length (fq_test_obj_array (s0, "invitees")), ==, 2);
  g_assert_cmpstr (fq_test_obj_str (invitee_of (s0, f->unit_a), "status"), ==, "invited");
  g_assert_true (fq_test_obj_is_null (invitee_of (s0, f->unit_a), "checked_in_at"));
  array = fq_test_obj_array (s0, "external_participants");
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  g_assert_cmpstr (fq_test_obj_str (json_array_get_object_element (array, 0), "organisation"), ==,
                   "某某物业公司");
  g_assert_true (fq_test_array_has_string (fq_test_obj_array (s0, "allowed_actions"), "start"));
  g_assert_cmpuint (count_events (f->w->coordinator, s0, "whistle"), ==, 1);

  /* The ticket lists it; an invited unit reads the ticket, takes no ticket
   * action, and sees the session; a unit not invited sees neither. */
  detail = get_ticket (f->a, fq_test_obj_str (ticket, "id"));
  g_assert_cmpuint (json_array_get_length (fq_test_obj_array (detail, "sessions")), ==, 1);
  g_assert_cmpuint (json_array_get_length (fq_test_obj_array (detail, "allowed_actions")), ==, 0);
  {
    g_autoptr(FqTestResponse) ra = fq_test_get (f->a, "/sessions/%s", fq_test_obj_str (s0, "id"));
    g_autoptr(FqTestResponse) rc = fq_test_get (f->c, "/sessions/%s", fq_test_obj_str (s0, "id"));
    g_autoptr(FqTestResponse) rt = fq_test_get (f->c, "/tickets/%s", fq_test_obj_str (ticket, "id"));
    g_autoptr(FqTestResponse) act_c = act (f->c, s0, "check_in", 1, NULL);
    g_autoptr(FqTestResponse) list = fq_test_get (f->a, "/tickets?limit=1000");

    fq_test_assert_status (ra, 200);
    g_assert_true (fq_test_array_has_string (fq_test_obj_array (fq_test_response_object (ra), "allowed_actions"),
                                             "check_in"));
    g_assert_false (fq_test_array_has_string (fq_test_obj_array (fq_test_response_object (ra), "allowed_actions"),
                                              "start"));
    fq_test_assert_error (rc, 404, "not_found");
    fq_test_assert_error (rt, 404, "not_found");
    fq_test_assert_error (act_c, 404, "not_found");
    fq_test_assert_status (list, 200);
    array = fq_test_obj_array (fq_test_response_object (list), "tickets");
    {
      gboolean listed = FALSE;

      for (guint i = 0; i < json_array_get_length (array); i++)
        listed |= g_strcmp0 (fq_test_obj_str (json_array_get_object_element (array, i), "id"),
                             fq_test_obj_str (ticket, "id")) == 0;
      g_assert_true (listed);
    }
  }

  /* Unit a reports in before the start (on time: no delay), once. */
  s1 = act_ok (f->a, s0, "check_in", NULL);
  g_assert_cmpstr (fq_test_obj_str (invitee_of (s1, f->unit_a), "status"), ==, "checked_in");
  g_assert_nonnull (fq_test_obj_str (invitee_of (s1, f->unit_a), "checked_in_at"));
  g_assert_cmpint (fq_test_obj_int (invitee_of (s1, f->unit_a), "delay_minutes"), ==, 0);
  {
    g_autoptr(GPtrArray) events = events_of (f->w->coordinator, s1, "checked_in");

    g_assert_cmpuint (events->len, ==, 1);
    g_assert_cmpstr (fq_test_obj_str (g_ptr_array_index (events, 0), "unit"), ==, f->unit_a);
  }
  {
    g_autoptr(FqTestResponse) again = act (f->a, s1, "check_in", fq_test_obj_int (s1, "rev"), NULL);
    g_autofree char *for_b = g_strdup_printf (",\"unit\":\"%s\"", f->unit_b);
    g_autoptr(FqTestResponse) other = act (f->a, s1, "check_in", fq_test_obj_int (s1, "rev"), for_b);
    g_autoptr(FqTestResponse) start = act (f->a, s1, "start", fq_test_obj_int (s1, "rev"), NULL);
    g_autoptr(FqTestResponse) stale = act (f->w->coordinator, s1, "start", fq_test_obj_int (s0, "rev"), NULL);
    g_autoptr(FqTestResponse) decide = act (f->w->coordinator, s1, "decide", fq_test_obj_int (s1, "rev"),
                                            ",\"text\":\"尚未开始\"");

    assert_refused (again, 409, "invalid_transition", "check_in");
    assert_refused (other, 403, "forbidden", NULL);
    assert_refused (start, 403, "forbidden", NULL);
    assert_refused (stale, 409, "stale_rev", NULL);
    assert_refused (decide, 409, "invalid_transition", "decide");
  }

  /* Started by the convener unit's own staff (a manager too). */
  s2 = act_ok (f->w->unit, s1, "start", ",\"note\":\"人已到齐\"");
  g_assert_cmpstr (fq_test_obj_str (s2, "state"), ==, "in_progress");
  g_assert_nonnull (fq_test_obj_str (s2, "started_at"));
  g_assert_cmpuint (count_events (f->w->coordinator, s2, "convened"), ==, 1);
  {
    g_autoptr(FqTestResponse) again = act (f->w->coordinator, s2, "start", fq_test_obj_int (s2, "rev"), NULL);
    g_autoptr(FqTestResponse) conclude = act (f->w->coordinator, s2, "conclude", fq_test_obj_int (s2, "rev"), NULL);

    assert_refused (again, 409, "invalid_transition", "start");
    /* Not without a decision. */
    assert_refused (conclude, 409, "invalid_transition", "conclude");
    g_assert_true (fq_test_array_has_string (fq_test_obj_array (fq_test_obj_obj (fq_test_response_object (conclude), "error"), "allowed"),
                                             "decide"));
  }

  /* Minutes: a full replacement with rev; the same text replayed with an
   * old rev is accepted and changes nothing; other text with an old rev is
   * stale. */
  s3 = act_ok (f->w->coordinator, s2, "minutes", ",\"text\":\"街道：通道须三日内清理。\\n消防：出具整改通知。\"");
  g_assert_cmpstr (fq_test_obj_str (s3, "minutes"), ==, "街道：通道须三日内清理。\n消防：出具整改通知。");
  {
    g_autoptr(FqTestResponse) replay = act (f->w->coordinator, s3, "minutes", fq_test_obj_int (s2, "rev"),
                                            ",\"text\":\"街道：通道须三日内清理。\\n消防：出具整改通知。\"");
    g_autoptr(FqTestResponse) stale = act (f->w->coordinator, s3, "minutes", fq_test_obj_int (s2, "rev"),
                                           ",\"text\":\"另一稿\"");
    g_autoptr(FqTestResponse) by_a = act (f->a, s3, "minutes", fq_test_obj_int (s3, "rev"), ",\"text\":\"x\"");
    g_autoptr(FqTestResponse) no_text = act (f->w->coordinator, s3, "minutes", fq_test_obj_int (s3, "rev"), NULL);

    fq_test_assert_status (replay, 200);
    g_assert_cmpint (fq_test_obj_int (fq_test_response_object (replay), "rev"), ==, fq_test_obj_int (s3, "rev"));
    assert_refused (stale, 409, "stale_rev", NULL);
    assert_refused (by_a, 403, "forbidden", NULL);
    fq_test_assert_error (no_text, 422, "invalid_field");
    g_assert_cmpstr (fq_test_response_error_field (no_text), ==, "text");
  }

  /* Decisions and action items. */
  s4 = act_ok (f->w->coordinator, s3, "decide", ",\"text\":\"商铺三日内自行拆除违建\"");
  array = fq_test_obj_array (s4, "decisions");
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  g_assert_true (g_str_has_prefix (fq_test_obj_str (json_array_get_object_element (array, 0), "id"), "D"));
  g_assert_nonnull (fq_test_obj_str (json_array_get_object_element (array, 0), "at"));
  {
    g_autofree char *to_c = g_strdup_printf (",\"text\":\"x\",\"owner_unit\":\"%s\",\"due\":\"%s\"", f->unit_c, due);
    g_autofree char *no_due = g_strdup_printf (",\"text\":\"x\",\"owner_unit\":\"%s\"", f->unit_b);
    g_autoptr(FqTestResponse) r1 = act (f->w->coordinator, s4, "add_action_item", fq_test_obj_int (s4, "rev"), to_c);
    g_autoptr(FqTestResponse) r2 = act (f->w->coordinator, s4, "add_action_item", fq_test_obj_int (s4, "rev"), no_due);
    g_autoptr(FqTestResponse) r3 = act (f->w->coordinator, s4, "decide", fq_test_obj_int (s4, "rev"), ",\"text\":\"  \"");
    g_autoptr(FqTestResponse) r4 = act (f->w->coordinator, s4, "fly", fq_test_obj_int (s4, "rev"), NULL);

    fq_test_assert_error (r1, 422, "invalid_field");
    g_assert_cmpstr (fq_test_response_error_field (r1), ==, "owner_unit");
    fq_test_assert_error (r2, 422, "invalid_field");
    g_assert_cmpstr (fq_test_response_error_field (r2), ==, "due");
    fq_test_assert_error (r3, 422, "invalid_field");
    fq_test_assert_error (r4, 422, "invalid_field");
    g_assert_cmpstr (fq_test_response_error_field (r4), ==, "action");
  }
  item_fields = g_strdup_printf (",\"text\":\"拆除违建通道\",\"owner_unit\":\"%s\",\"due\":\"%s\"", f->unit_b, due);
  s5 = act_ok (f->w->coordinator, s4, "add_action_item", item_fields);
  array = fq_test_obj_array (s5, "action_items");
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  item = json_array_get_object_element (array, 0);
  g_assert_true (g_str_has_prefix (fq_test_obj_str (item, "id"), "A"));
  g_assert_cmpstr (fq_test_obj_str (item, "owner_unit"), ==, f->unit_b);
  g_assert_true (fq_test_obj_is_null (item, "done_at"));
  g_assert_false (fq_test_obj_bool (item, "overdue"));
  item_id_field = g_strdup_printf (",\"item\":\"%s\"", fq_test_obj_str (item, "id"));
  {
    /* Only its owner unit or a coordinator completes it. */
    g_autoptr(FqTestResponse) by_a = act (f->a, s5, "complete_action_item", fq_test_obj_int (s5, "rev"), item_id_field);
    g_autoptr(FqTestResponse) unknown = act (f->w->coordinator, s5, "complete_action_item", fq_test_obj_int (s5, "rev"),
                                             ",\"item\":\"A999999999\"");

    assert_refused (by_a, 403, "forbidden", NULL);
    fq_test_assert_error (unknown, 422, "invalid_field");
    g_assert_cmpstr (fq_test_response_error_field (unknown), ==, "item");
  }

  /* Unit b is marked absent, then comes late after all. */
  unit_field = g_strdup_printf (",\"unit\":\"%s\"", f->unit_b);
  s6 = act_ok (f->w->coordinator, s5, "mark_absent", unit_field);
  g_assert_cmpstr (fq_test_obj_str (invitee_of (s6, f->unit_b), "status"), ==, "absent");
  {
    g_autofree char *for_a = g_strdup_printf (",\"unit\":\"%s\"", f->unit_a);
    g_autoptr(FqTestResponse) absent_a = act (f->w->coordinator, s6, "mark_absent", fq_test_obj_int (s6, "rev"), for_a);
    g_autoptr(FqTestResponse) by_b = act (f->b, s6, "mark_absent", fq_test_obj_int (s6, "rev"), unit_field);
    g_autoptr(FqTestResponse) stranger = act (f->w->coordinator, s6, "excuse", fq_test_obj_int (s6, "rev"),
                                              ",\"unit\":\"no-such-unit\"");

    /* Checked in already. */
    assert_refused (absent_a, 409, "invalid_transition", NULL);
    assert_refused (by_b, 403, "forbidden", NULL);
    fq_test_assert_error (stranger, 422, "invalid_field");
    g_assert_cmpstr (fq_test_response_error_field (stranger), ==, "unit");
  }
  s7 = act_ok (f->b, s6, "check_in", NULL);
  g_assert_cmpstr (fq_test_obj_str (invitee_of (s7, f->unit_b), "status"), ==, "checked_in");

  /* Concluded: the consensus event carries the time since the whistle. */
  s8 = act_ok (f->w->coordinator, s7, "conclude", ",\"note\":\"达成共识\"");
  g_assert_cmpstr (fq_test_obj_str (s8, "state"), ==, "concluded");
  g_assert_nonnull (fq_test_obj_str (s8, "concluded_at"));
  {
    g_autoptr(GPtrArray) events = events_of (f->w->coordinator, s8, "consensus");
    JsonObject *data_object;

    g_assert_cmpuint (events->len, ==, 1);
    data_object = fq_test_obj_obj (g_ptr_array_index (events, 0), "data");
    g_assert_true (json_object_has_member (data_object, "elapsed_seconds"));
    g_assert_cmpint (fq_test_obj_int (data_object, "elapsed_seconds"), >=, 0);
    g_assert_cmpuint (json_array_get_length (fq_test_obj_array (data_object, "decisions")), ==, 1);
  }
  {
    g_autoptr(FqTestResponse) decide = act (f->w->coordinator, s8, "decide", fq_test_obj_int (s8, "rev"),
                                            ",\"text\":\"太迟\"");
    g_autoptr(FqTestResponse) cancel = act (f->w->coordinator, s8, "cancel", fq_test_obj_int (s8, "rev"),
                                            ",\"note\":\"太迟\"");

    assert_refused (decide, 409, "invalid_transition", "decide");
    assert_refused (cancel, 409, "invalid_transition", "cancel");
  }

  /* The owner unit completes its item after the session; once. */
  s9 = act_ok (f->b, s8, "complete_action_item", item_id_field);
  item = json_array_get_object_element (fq_test_obj_array (s9, "action_items"), 0);
  g_assert_nonnull (fq_test_obj_str (item, "done_at"));
  {
    g_autoptr(GPtrArray) events = events_of (f->w->coordinator, s9, "action_done");

    g_assert_cmpuint (events->len, ==, 1);
    g_assert_cmpstr (fq_test_obj_str (g_ptr_array_index (events, 0), "unit"), ==, f->unit_b);
  }
  {
    g_autoptr(FqTestResponse) again = act (f->w->coordinator, s9, "complete_action_item",
                                           fq_test_obj_int (s9, "rev"), item_id_field);

    assert_refused (again, 409, "invalid_transition", NULL);
  }

  /* Minutes may still be put right after the end. */
  s10 = act_ok (f->w->coordinator, s9, "minutes", ",\"text\":\"定稿\"");
  g_assert_cmpstr (fq_test_obj_str (s10, "minutes"), ==, "定稿");
  s11 = act_ok (f->w->coordinator, s10, "minutes", ",\"text\":\"\"");
  g_assert_true (fq_test_obj_is_null (s11, "minutes"));

  /* The timeline tells the story in order. */
  {
    g_autoptr(JsonObject) t = get_ticket (f->w->coordinator, fq_test_obj_str (ticket, "id"));
    const char *expected[] = { "whistle", "checked_in", "convened", "checked_in", "consensus", "action_done" };
    guint next = 0;

    array = fq_test_obj_array (t, "events");
    for (guint i = 0; i < json_array_get_length (array) && next < G_N_ELEMENTS (expected); i++)
      if (g_strcmp0 (fq_test_obj_str (json_array_get_object_element (array, i), "kind"), expected[next]) == 0)
        next++;
    g_assert_cmpuint (next, ==, G_N_ELEMENTS (expected));
    array = fq_test_obj_array (t, "sessions");
    g_assert_cmpuint (json_array_get_length (array), ==, 1);
    g_assert_cmpstr (fq_test_obj_str (json_array_get_object_element (array, 0), "state"), ==, "concluded");
  }
}

static void
test_create_rules (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(JsonObject) ticket = new_ticket (f);
  g_autofree char *later = fq_test_time_from_now (7200);
  g_autofree char *good = g_strdup_printf ("{\"title\":\"会商\",\"scheduled_at\":\"%s\",\"invitees\":[\"%s\"]}",
                                           later, f->unit_a);

  /* Roles that never call a session. */
  {
    g_autoptr(FqTestResponse) leader = create (f->w->leader, ticket, good);
    g_autoptr(FqTestResponse) op = create (f->w->operator, ticket, good);
    g_autoptr(FqTestResponse) grid = create (f->w->grid, ticket, good);
    g_autoptr(FqTestResponse) admin = create (f->w->admin, ticket, good);
    g_autoptr(FqTestResponse) outsider = create (f->a, ticket, good);

    fq_test_assert_error (leader, 403, "forbidden");
    fq_test_assert_error (op, 403, "forbidden");
    fq_test_assert_error (grid, 403, "forbidden");
    fq_test_assert_error (admin, 403, "forbidden");
    /* Unit a does not see the ticket yet. */
    fq_test_assert_error (outsider, 404, "not_found");
  }

  /* Bad fields: @T stands for the time, @U for a unit. */
  {
    struct { const char *body; const char *time; const char *unit; const char *field; } cases[] = {
      { "{'scheduled_at':'@T','invitees':['@U']}", later, f->unit_a, "title" },
      { "{'title':'  ','scheduled_at':'@T','invitees':['@U']}", later, f->unit_a, "title" },
      { "{'title':'x','scheduled_at':'@T','invitees':['@U']}", "tomorrow", f->unit_a, "scheduled_at" },
      { "{'title':'x','scheduled_at':'@T','invitees':[]@U}", later, "", "invitees" },
      { "{'title':'x','scheduled_at':'@T','invitees':['@U']}", later, "no-such-unit", "invitees" },
      { "{'title':'x','scheduled_at':'@T','invitees':['@U'],'external_participants':[{'organisation':'物业'}]}",
        later, f->unit_a, "external_participants" },
      { "{'title':'x','scheduled_at':'@T','invitees':['@U'],'external_participants':['王']}",
        later, f->unit_a, "external_participants" },
      { "{'title':'x','scheduled_at':'@T','invitees':['@U'],'convener_unit':'no-such-unit'}",
        later, f->unit_a, "convener_unit" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autofree char *body = fill (cases[i].body, cases[i].time, cases[i].unit);
        g_autoptr(FqTestResponse) resp = create (f->w->coordinator, ticket, body);

        fq_test_assert_error (resp, 422, "invalid_field");
        g_assert_cmpstr (fq_test_response_error_field (resp), ==, cases[i].field);
      }
  }

  /* The lead unit's staff convene for their own unit only. */
  {
    g_autofree char *other = g_strdup_printf ("{\"title\":\"会商\",\"scheduled_at\":\"%s\",\"invitees\":[\"%s\"],"
                                              "\"convener_unit\":\"%s\"}", later, f->unit_a, f->unit_b);
    g_autoptr(FqTestResponse) refused = create (f->w->unit, ticket, other);
    g_autoptr(FqTestResponse) ok = create (f->w->unit, ticket, good);
    g_autoptr(FqTestResponse) by_invited = NULL;

    fq_test_assert_error (refused, 422, "invalid_field");
    g_assert_cmpstr (fq_test_response_error_field (refused), ==, "convener_unit");
    fq_test_assert_status (ok, 201);
    g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (ok), "convener_unit"), ==, FQ_TEST_UNIT_STREET);
    /* Invited, unit a reads the ticket but does not lead it. */
    by_invited = create (f->a, ticket, good);
    fq_test_assert_error (by_invited, 403, "forbidden");
  }

  /* A coordinator may name the convener; duplicates collapse. */
  {
    g_autofree char *body = g_strdup_printf ("{\"title\":\"会商\",\"scheduled_at\":\"%s\",\"invitees\":[\"%s\",\"%s\"],"
                                             "\"convener_unit\":\"%s\"}", later, f->unit_b, f->unit_b, f->unit_c);
    g_autoptr(FqTestResponse) resp = create (f->w->coordinator, ticket, body);
    JsonObject *s;

    fq_test_assert_status (resp, 201);
    s = fq_test_response_object (resp);
    g_assert_cmpstr (fq_test_obj_str (s, "convener_unit"), ==, f->unit_c);
    g_assert_cmpuint (json_array_get_length (fq_test_obj_array (s, "invitees")), ==, 1);
    /* The convener's staff manage it. */
    g_assert_true (fq_test_array_has_string (fq_test_obj_array (fq_test_response_object (resp), "allowed_actions"),
                                             "start"));
    {
      g_autoptr(FqTestResponse) get = fq_test_get (f->c, "/sessions/%s", fq_test_obj_str (s, "id"));

      fq_test_assert_status (get, 200);
      g_assert_true (fq_test_array_has_string (fq_test_obj_array (fq_test_response_object (get), "allowed_actions"),
                                               "start"));
    }
  }

  /* A closed ticket takes no session: reopen it first. */
  {
    g_autoptr(JsonObject) t = new_ticket (f);
    g_autofree char *path = g_strdup_printf ("/tickets/%s/actions", fq_test_obj_str (t, "id"));
    g_autoptr(FqTestResponse) r1 = fq_test_postf (f->w->unit, path, "{'action':'accept','rev':%" G_GINT64_FORMAT "}",
                                                  fq_test_obj_int (t, "rev"));
    g_autoptr(FqTestResponse) r2 = NULL;
    g_autoptr(FqTestResponse) r3 = NULL;
    g_autoptr(FqTestResponse) refused = NULL;

    fq_test_assert_status (r1, 200);
    r2 = fq_test_postf (f->w->unit, path, "{'action':'resolve','rev':%" G_GINT64_FORMAT ",'note':'已处理'}",
                        fq_test_obj_int (fq_test_response_object (r1), "rev"));
    fq_test_assert_status (r2, 200);
    r3 = fq_test_postf (f->w->coordinator, path, "{'action':'close','rev':%" G_GINT64_FORMAT ",'satisfaction':5}",
                        fq_test_obj_int (fq_test_response_object (r2), "rev"));
    fq_test_assert_status (r3, 200);
    refused = create (f->w->coordinator, t, good);
    assert_refused (refused, 409, "invalid_transition", NULL);
    g_assert_true (fq_test_array_has_string (fq_test_obj_array (fq_test_obj_obj (fq_test_response_object (refused), "error"), "allowed"),
                                             "reopen"));
  }
}

static void
test_roles (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(JsonObject) ticket = new_ticket (f);
  g_autofree char *later = fq_test_time_from_now (3600);
  g_autoptr(JsonObject) s = create_ok (f, f->w->coordinator, ticket, later, NULL);
  gint64 seq = fq_test_last_seq (f->w->operator);
  const char *actions[] = { "start", "check_in", "mark_absent", "excuse", "minutes", "decide",
                            "add_action_item", "complete_action_item", "conclude", "cancel" };
  g_autofree char *fields = g_strdup_printf (",\"unit\":\"%s\",\"text\":\"x\",\"owner_unit\":\"%s\","
                                             "\"due\":\"%s\",\"item\":\"A1\",\"note\":\"x\"",
                                             f->unit_a, f->unit_a, later);

  /* Leaders only read; operators, grid workers, administrators and the
   * ticket's units that do not manage the session take no action. */
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    {
      FqTestClient *clients[] = { f->w->leader, f->w->operator, f->w->grid, f->w->admin };

      for (guint c = 0; c < G_N_ELEMENTS (clients); c++)
        {
          g_autoptr(FqTestResponse) resp = act (clients[c], s, actions[i], fq_test_obj_int (s, "rev"), fields);

          if (resp->status != 403 || g_strcmp0 (fq_test_response_error_code (resp), "forbidden") != 0)
            g_error ("%s by client %u: expected 403, got %u %s", actions[i], c, resp->status, resp->text);
        }
    }

  /* An invited unit may only check itself in and complete its items. */
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    {
      g_autoptr(FqTestResponse) resp = NULL;

      if (strcmp (actions[i], "check_in") == 0)
        continue;
      resp = act (f->a, s, actions[i], fq_test_obj_int (s, "rev"), fields);
      if (resp->status != 403)
        g_error ("%s by an invited unit: expected 403, got %u %s", actions[i], resp->status, resp->text);
    }

  /* A coordinator of another district does not see it at all. */
  {
    g_autoptr(FqTestClient) hsg = fq_test_create_user (f->w->admin, "coordinator", FQ_TEST_HUANGSHIGANG, NULL, NULL);
    g_autoptr(FqTestResponse) get = fq_test_get (hsg, "/sessions/%s", fq_test_obj_str (s, "id"));
    g_autoptr(FqTestResponse) start = act (hsg, s, "start", fq_test_obj_int (s, "rev"), NULL);
    g_autoptr(FqTestResponse) missing = fq_test_get (f->w->coordinator, "/sessions/S000101-000000");

    fq_test_assert_error (get, 404, "not_found");
    fq_test_assert_error (start, 404, "not_found");
    fq_test_assert_error (missing, 404, "not_found");
  }

  /* Nothing of that wrote anything. */
  g_assert_cmpint (fq_test_last_seq (f->w->operator), ==, seq);

  /* The leader reads. */
  {
    g_autoptr(FqTestResponse) get = fq_test_get (f->w->leader, "/sessions/%s", fq_test_obj_str (s, "id"));

    fq_test_assert_status (get, 200);
    g_assert_cmpuint (json_array_get_length (fq_test_obj_array (fq_test_response_object (get), "allowed_actions")), ==, 0);
  }
}

static void
test_cancel_and_excuse (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(JsonObject) ticket = new_ticket (f);
  g_autofree char *later = fq_test_time_from_now (3600);
  g_autoptr(JsonObject) s = create_ok (f, f->w->coordinator, ticket, later, NULL);
  g_autofree char *unit_field = g_strdup_printf (",\"unit\":\"%s\"", f->unit_a);
  g_autoptr(JsonObject) excused = NULL;
  g_autoptr(JsonObject) cancelled = NULL;

  /* Excused before the start; absent only once it runs. */
  {
    g_autoptr(FqTestResponse) absent = act (f->w->coordinator, s, "mark_absent", fq_test_obj_int (s, "rev"), unit_field);

    assert_refused (absent, 409, "invalid_transition", "mark_absent");
  }
  excused = act_ok (f->w->coordinator, s, "excuse", unit_field);
  g_assert_cmpstr (fq_test_obj_str (invitee_of (excused, f->unit_a), "status"), ==, "excused");
  {
    g_autoptr(FqTestResponse) again = act (f->w->coordinator, excused, "excuse", fq_test_obj_int (excused, "rev"), unit_field);
    g_autoptr(FqTestResponse) no_note = act (f->w->coordinator, excused, "cancel", fq_test_obj_int (excused, "rev"), NULL);

    assert_refused (again, 409, "invalid_transition", NULL);
    fq_test_assert_error (no_note, 422, "invalid_field");
    g_assert_cmpstr (fq_test_response_error_field (no_note), ==, "note");
  }
  cancelled = act_ok (f->w->coordinator, excused, "cancel", ",\"note\":\"当事人已自行和解\"");
  g_assert_cmpstr (fq_test_obj_str (cancelled, "state"), ==, "cancelled");
  g_assert_cmpstr (fq_test_obj_str (cancelled, "cancel_note"), ==, "当事人已自行和解");
  g_assert_cmpuint (json_array_get_length (fq_test_obj_array (cancelled, "allowed_actions")), ==, 0);
  g_assert_cmpuint (count_events (f->w->coordinator, cancelled, "comment"), ==, 1);
  {
    g_autoptr(FqTestResponse) start = act (f->w->coordinator, cancelled, "start", fq_test_obj_int (cancelled, "rev"), NULL);
    g_autoptr(FqTestResponse) check_in = act (f->a, cancelled, "check_in", fq_test_obj_int (cancelled, "rev"), NULL);

    assert_refused (start, 409, "invalid_transition", NULL);
    g_assert_cmpuint (json_array_get_length (fq_test_obj_array (fq_test_obj_obj (fq_test_response_object (start), "error"), "allowed")), ==, 0);
    assert_refused (check_in, 409, "invalid_transition", NULL);
  }
}

/* Concluding records the units still waiting as absent; the excused and
 * the checked-in keep their status, and a checked-in unit cannot be
 * excused after the fact. */
static void
test_conclude_marks_absent (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(JsonObject) ticket = new_ticket (f);
  g_autofree char *soon = fq_test_time_from_now (600);
  g_autofree char *three = g_strdup_printf ("[\"%s\",\"%s\",\"%s\"]", f->unit_a, f->unit_b, f->unit_c);
  g_autofree char *field_a = g_strdup_printf (",\"unit\":\"%s\"", f->unit_a);
  g_autofree char *field_b = g_strdup_printf (",\"unit\":\"%s\"", f->unit_b);
  g_autoptr(JsonObject) s0 = create_ok (f, f->w->coordinator, ticket, soon, three);
  g_autoptr(JsonObject) s1 = act_ok (f->a, s0, "check_in", NULL);
  g_autoptr(JsonObject) s2 = act_ok (f->w->coordinator, s1, "excuse", field_b);
  g_autoptr(JsonObject) s3 = act_ok (f->w->coordinator, s2, "start", NULL);
  g_autoptr(JsonObject) s4 = NULL;
  g_autoptr(JsonObject) s5 = NULL;

  {
    g_autoptr(FqTestResponse) excuse_a = act (f->w->coordinator, s3, "excuse",
                                              fq_test_obj_int (s3, "rev"), field_a);

    assert_refused (excuse_a, 409, "invalid_transition", NULL);
  }
  s4 = act_ok (f->w->coordinator, s3, "decide", ",\"text\":\"限期三日拆除\"");
  s5 = act_ok (f->w->coordinator, s4, "conclude", NULL);
  g_assert_cmpstr (fq_test_obj_str (s5, "state"), ==, "concluded");
  g_assert_cmpstr (fq_test_obj_str (invitee_of (s5, f->unit_a), "status"), ==, "checked_in");
  g_assert_cmpstr (fq_test_obj_str (invitee_of (s5, f->unit_b), "status"), ==, "excused");
  g_assert_cmpstr (fq_test_obj_str (invitee_of (s5, f->unit_c), "status"), ==, "absent");
  /* Concluded: nobody reports in any more, not even the absent unit. */
  {
    g_autoptr(FqTestResponse) late = act (f->c, s5, "check_in", fq_test_obj_int (s5, "rev"), NULL);

    assert_refused (late, 409, "invalid_transition", "check_in");
  }
}

static void
test_overdue_items (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) ticket = new_ticket (f);
  g_autofree char *later = fq_test_time_from_now (60);
  g_autofree char *past = fq_test_time_from_now (-3600);
  g_autofree char *future = fq_test_time_from_now (86400);
  g_autoptr(JsonObject) s = create_ok (f, f->w->coordinator, ticket, later, NULL);
  g_autoptr(JsonObject) s1 = act_ok (f->w->coordinator, s, "start", NULL);
  g_autofree char *late_item = g_strdup_printf (",\"text\":\"清理杂物\",\"owner_unit\":\"%s\",\"due\":\"%s\"", f->unit_a, past);
  g_autofree char *fine_item = g_strdup_printf (",\"text\":\"复查\",\"owner_unit\":\"%s\",\"due\":\"%s\"", FQ_TEST_UNIT_STREET, future);
  g_autoptr(JsonObject) s2 = act_ok (f->w->coordinator, s1, "add_action_item", late_item);
  g_autoptr(JsonObject) s3 = act_ok (f->w->coordinator, s2, "add_action_item", fine_item);
  g_autoptr(JsonObject) s4 = act_ok (f->w->coordinator, s3, "decide", ",\"text\":\"限期整改\"");
  JsonArray *items = fq_test_obj_array (s4, "action_items");
  g_autoptr(GPtrArray) breaches = NULL;

  g_assert_cmpuint (json_array_get_length (items), ==, 2);
  g_assert_true (fq_test_obj_bool (json_array_get_object_element (items, 0), "overdue"));
  g_assert_false (fq_test_obj_bool (json_array_get_object_element (items, 1), "overdue"));

  /* Recorded once, on the ticket, as the owner unit's breach. */
  breaches = events_of (f->w->coordinator, s4, "sla_breached");
  g_assert_cmpuint (breaches->len, ==, 1);
  g_assert_cmpstr (fq_test_obj_str (g_ptr_array_index (breaches, 0), "unit"), ==, f->unit_a);
  g_assert_cmpstr (fq_test_obj_str (fq_test_obj_obj (g_ptr_array_index (breaches, 0), "data"), "breach"), ==,
                   "action_item");

  /* Listed by the overdue filter, for the owner unit too. */
  {
    g_autoptr(FqTestResponse) list = fq_test_get (f->a, "/sessions?overdue=true&ticket=%s", fq_test_obj_str (ticket, "id"));
    g_autoptr(FqTestResponse) none = fq_test_get (f->a, "/sessions?overdue=false&ticket=%s", fq_test_obj_str (ticket, "id"));

    fq_test_assert_status (list, 200);
    g_assert_cmpuint (json_array_get_length (fq_test_obj_array (fq_test_response_object (list), "sessions")), ==, 1);
    fq_test_assert_status (none, 200);
    g_assert_cmpuint (json_array_get_length (fq_test_obj_array (fq_test_response_object (none), "sessions")), ==, 0);
  }

  /* Done late: no longer overdue, and the event says it was late. */
  {
    g_autofree char *field = g_strdup_printf (",\"item\":\"%s\"", fq_test_obj_str (json_array_get_object_element (items, 0), "id"));
    g_autoptr(JsonObject) s5 = act_ok (f->a, s4, "complete_action_item", field);
    g_autoptr(GPtrArray) done = events_of (f->w->coordinator, s5, "action_done");

    g_assert_false (fq_test_obj_bool (json_array_get_object_element (fq_test_obj_array (s5, "action_items"), 0), "overdue"));
    g_assert_cmpuint (done->len, ==, 1);
    g_assert_true (fq_test_obj_bool (fq_test_obj_obj (g_ptr_array_index (done, 0), "data"), "late"));
    g_assert_cmpuint (count_events (f->w->coordinator, s5, "sla_breached"), ==, 1);
  }
}

static guint
count_list (FqTestClient *client,
            const char   *format,
            ...) G_GNUC_PRINTF (2, 3);

static guint
count_list (FqTestClient *client,
            const char   *format,
            ...)
{
  g_autofree char *query = NULL;
  g_autoptr(FqTestResponse) resp = NULL;
  va_list args;

  va_start (args, format);
  query = g_strdup_vprintf (format, args);
  va_end (args);
  resp = fq_test_get (client, "/sessions?limit=1000&%s", query);
  fq_test_assert_status (resp, 200);
  return json_array_get_length (fq_test_obj_array (fq_test_response_object (resp), "sessions"));
}

static void
test_list (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(JsonObject) ticket = new_ticket (f);
  const char *tid = fq_test_obj_str (ticket, "id");
  g_autoptr(JsonObject) s1 = create_ok (f, f->w->coordinator, ticket, "2031-03-01T02:00:00Z", NULL);
  g_autoptr(JsonObject) s2 = create_ok (f, f->w->coordinator, ticket, "2031-03-02T02:00:00Z", NULL);
  g_autofree char *only_c = g_strdup_printf ("[\"%s\"]", f->unit_c);
  g_autoptr(JsonObject) s3 = create_ok (f, f->w->coordinator, ticket, "2031-03-03T02:00:00Z", only_c);
  g_autoptr(JsonObject) started = act_ok (f->w->coordinator, s2, "start", NULL);

  g_assert_cmpuint (count_list (f->w->coordinator, "ticket=%s", tid), ==, 3);
  g_assert_cmpuint (count_list (f->w->coordinator, "ticket=%s&state=in_progress", tid), ==, 1);
  g_assert_cmpuint (count_list (f->w->coordinator, "ticket=%s&state=scheduled", tid), ==, 2);
  g_assert_cmpuint (count_list (f->w->coordinator, "ticket=%s&unit=%s", tid, f->unit_c), ==, 1);
  g_assert_cmpuint (count_list (f->w->coordinator, "ticket=%s&unit=%s", tid, FQ_TEST_UNIT_STREET), ==, 3);
  g_assert_cmpuint (count_list (f->w->coordinator, "ticket=%s&from=2031-03-02T00:00:00Z&to=2031-03-03T00:00:00Z", tid), ==, 1);
  g_assert_cmpuint (count_list (f->w->coordinator, "ticket=%s&grid=%s", tid, FQ_TEST_HUANGSHIGANG), ==, 0);
  /* Once invited to one of its sessions, a unit reads all of the ticket's. */
  g_assert_cmpuint (count_list (f->c, "ticket=%s", tid), ==, 3);
  g_assert_cmpuint (count_list (f->w->leader, "ticket=%s", tid), ==, 3);

  /* Newest scheduled first, page by page. */
  {
    g_autoptr(FqTestResponse) p1 = fq_test_get (f->w->coordinator, "/sessions?ticket=%s&limit=2", tid);
    g_autoptr(FqTestResponse) p2 = NULL;
    JsonArray *items;
    const char *cursor;

    fq_test_assert_status (p1, 200);
    items = fq_test_obj_array (fq_test_response_object (p1), "sessions");
    g_assert_cmpuint (json_array_get_length (items), ==, 2);
    g_assert_cmpstr (fq_test_obj_str (json_array_get_object_element (items, 0), "id"), ==, fq_test_obj_str (s3, "id"));
    g_assert_cmpstr (fq_test_obj_str (json_array_get_object_element (items, 1), "id"), ==, fq_test_obj_str (s2, "id"));
    cursor = fq_test_obj_str (fq_test_response_object (p1), "next_cursor");
    g_assert_nonnull (cursor);
    p2 = fq_test_get (f->w->coordinator, "/sessions?ticket=%s&limit=2&cursor=%s", tid, cursor);
    fq_test_assert_status (p2, 200);
    items = fq_test_obj_array (fq_test_response_object (p2), "sessions");
    g_assert_cmpuint (json_array_get_length (items), ==, 1);
    g_assert_cmpstr (fq_test_obj_str (json_array_get_object_element (items, 0), "id"), ==, fq_test_obj_str (s1, "id"));
    g_assert_true (fq_test_obj_is_null (fq_test_response_object (p2), "next_cursor"));
  }

  /* Bad parameters. */
  {
    g_autoptr(FqTestResponse) state = fq_test_get (f->w->coordinator, "/sessions?state=asleep");
    g_autoptr(FqTestResponse) from = fq_test_get (f->w->coordinator, "/sessions?from=yesterday");
    g_autoptr(FqTestResponse) cursor = fq_test_get (f->w->coordinator, "/sessions?cursor=!!");

    fq_test_assert_error (state, 400, "bad_request");
    fq_test_assert_error (from, 400, "bad_request");
    fq_test_assert_error (cursor, 400, "bad_request");
  }
  (void)started;
}

static void
test_changes (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(JsonObject) ticket = new_ticket (f);
  gint64 seq = fq_test_last_seq (f->w->operator);
  g_autofree char *later = fq_test_time_from_now (3600);
  g_autoptr(JsonObject) s = create_ok (f, f->w->coordinator, ticket, later, NULL);
  g_autoptr(JsonObject) s1 = act_ok (f->a, s, "check_in", NULL);
  gboolean session_seen = FALSE, ticket_seen = FALSE, whistle_seen = FALSE, checked_in_seen = FALSE;

  /* The invited unit receives the session, the ticket and the events. */
  {
    g_autoptr(FqTestResponse) resp = fq_test_get (f->a, "/changes?since=%" G_GINT64_FORMAT "&limit=1000", seq);
    JsonArray *changes;

    fq_test_assert_status (resp, 200);
    changes = fq_test_obj_array (fq_test_response_object (resp), "changes");
    for (guint i = 0; i < json_array_get_length (changes); i++)
      {
        JsonObject *change = json_array_get_object_element (changes, i);
        const char *entity = fq_test_obj_str (change, "entity");
        JsonObject *d = fq_test_obj_obj (change, "data");

        if (g_strcmp0 (entity, "session") == 0 && g_strcmp0 (fq_test_obj_str (change, "id"), fq_test_obj_str (s, "id")) == 0)
          {
            session_seen = TRUE;
            g_assert_nonnull (fq_test_obj_array (d, "invitees"));
          }
        if (g_strcmp0 (entity, "ticket") == 0 && g_strcmp0 (fq_test_obj_str (change, "id"), fq_test_obj_str (ticket, "id")) == 0)
          ticket_seen = TRUE;
        if (g_strcmp0 (entity, "event") == 0 && g_strcmp0 (fq_test_obj_str (d, "kind"), "whistle") == 0 &&
            g_strcmp0 (fq_test_obj_str (d, "ticket"), fq_test_obj_str (ticket, "id")) == 0)
          whistle_seen = TRUE;
        if (g_strcmp0 (entity, "event") == 0 && g_strcmp0 (fq_test_obj_str (d, "kind"), "checked_in") == 0 &&
            g_strcmp0 (fq_test_obj_str (d, "ticket"), fq_test_obj_str (ticket, "id")) == 0)
          checked_in_seen = TRUE;
      }
  }
  g_assert_true (session_seen);
  g_assert_true (ticket_seen);
  g_assert_true (whistle_seen);
  g_assert_true (checked_in_seen);

  /* A unit not invited receives none of it. */
  {
    g_autoptr(FqTestResponse) resp = fq_test_get (f->c, "/changes?since=%" G_GINT64_FORMAT "&limit=1000", seq);
    JsonArray *changes;

    fq_test_assert_status (resp, 200);
    changes = fq_test_obj_array (fq_test_response_object (resp), "changes");
    for (guint i = 0; i < json_array_get_length (changes); i++)
      {
        JsonObject *change = json_array_get_object_element (changes, i);

        g_assert_cmpstr (fq_test_obj_str (change, "id"), !=, fq_test_obj_str (s, "id"));
        g_assert_cmpstr (fq_test_obj_str (change, "id"), !=, fq_test_obj_str (ticket, "id"));
      }
  }
  (void)s1;
}

static void
test_idempotent (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(JsonObject) ticket = new_ticket (f);
  g_autofree char *key = fq_test_unique ("whistle-");
  g_autofree char *key2 = fq_test_unique ("minutes-");
  g_autofree char *path = g_strdup_printf ("/tickets/%s/sessions", fq_test_obj_str (ticket, "id"));
  g_autofree char *later = fq_test_time_from_now (3600);
  g_autofree char *body = g_strdup_printf ("{\"title\":\"会商\",\"scheduled_at\":\"%s\",\"invitees\":[\"%s\"]}",
                                           later, f->unit_a);
  g_autoptr(FqTestResponse) first = fq_test_client_request (f->w->coordinator, "POST", path, NULL, body, -1, key);
  g_autoptr(FqTestResponse) again = fq_test_client_request (f->w->coordinator, "POST", path, NULL, body, -1, key);
  g_autoptr(JsonObject) started = NULL;

  fq_test_assert_status (first, 201);
  fq_test_assert_status (again, 201);
  g_assert_cmpstr (again->text, ==, first->text);
  g_assert_cmpuint (count_list (f->w->coordinator, "ticket=%s", fq_test_obj_str (ticket, "id")), ==, 1);

  /* Minutes typed offline, replayed twice with their key. */
  started = act_ok (f->w->coordinator, fq_test_response_object (first), "start", NULL);
  {
    g_autofree char *apath = g_strdup_printf ("/sessions/%s/actions", fq_test_obj_str (started, "id"));
    g_autofree char *abody = g_strdup_printf ("{\"action\":\"minutes\",\"rev\":%" G_GINT64_FORMAT ",\"text\":\"离线记录\"}",
                                              fq_test_obj_int (started, "rev"));
    g_autoptr(FqTestResponse) m1 = fq_test_client_request (f->w->coordinator, "POST", apath, NULL, abody, -1, key2);
    g_autoptr(FqTestResponse) m2 = fq_test_client_request (f->w->coordinator, "POST", apath, NULL, abody, -1, key2);
    g_autoptr(FqTestResponse) now = fq_test_get (f->w->coordinator, "/sessions/%s", fq_test_obj_str (started, "id"));

    fq_test_assert_status (m1, 200);
    fq_test_assert_status (m2, 200);
    g_assert_cmpstr (m1->text, ==, m2->text);
    g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (now), "minutes"), ==, "离线记录");
    g_assert_cmpint (fq_test_obj_int (fq_test_response_object (now), "rev"), ==, fq_test_obj_int (started, "rev") + 1);
  }
}

static JsonObject *
unit_row (JsonObject *metrics,
          const char *unit)
{
  JsonArray *rows = fq_test_obj_array (metrics, "units");

  for (guint i = 0; rows != NULL && i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      if (g_strcmp0 (fq_test_obj_str (row, "unit"), unit) == 0)
        return row;
    }
  return NULL;
}

static void
test_attendance_metrics (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(JsonObject) ticket = new_ticket (f);
  g_autofree char *all = g_strdup_printf ("[\"%s\",\"%s\",\"%s\"]", f->unit_a, f->unit_b, f->unit_c);
  /* A period of its own, long past, so that the other tests' sessions do
   * not count; check-in there is very late. */
  g_autoptr(JsonObject) s = create_ok (f, f->w->coordinator, ticket, "2021-06-01T02:00:00Z", all);
  g_autoptr(JsonObject) never = create_ok (f, f->w->coordinator, ticket, "2021-06-01T03:00:00Z", all);
  g_autofree char *b = g_strdup_printf (",\"unit\":\"%s\"", f->unit_b);
  g_autofree char *c = g_strdup_printf (",\"unit\":\"%s\"", f->unit_c);
  g_autoptr(JsonObject) s1 = act_ok (f->w->coordinator, s, "start", NULL);
  g_autoptr(JsonObject) s2 = act_ok (f->a, s1, "check_in", NULL);
  g_autoptr(JsonObject) s3 = act_ok (f->w->coordinator, s2, "excuse", b);
  g_autoptr(JsonObject) s4 = act_ok (f->w->coordinator, s3, "mark_absent", c);
  gint64 delay = fq_test_obj_int (invitee_of (s4, f->unit_a), "delay_minutes");
  g_autoptr(FqTestResponse) resp = NULL;
  JsonObject *row;

  g_assert_cmpint (delay, >, 60 * 24 * 365);
  resp = fq_test_get (f->w->coordinator, "/metrics/units?from=2021-06-01T00:00:00Z&to=2021-06-02T00:00:00Z&grid=%s",
                      FQ_TEST_XIALU);
  fq_test_assert_status (resp, 200);

  /* The session never started does not count. */
  row = unit_row (fq_test_response_object (resp), f->unit_a);
  g_assert_nonnull (row);
  g_assert_cmpint (fq_test_obj_int (row, "sessions_invited"), ==, 1);
  g_assert_cmpint (fq_test_obj_int (row, "sessions_checked_in"), ==, 1);
  g_assert_cmpfloat (json_object_get_double_member (row, "attendance_rate"), ==, 1.0);
  g_assert_cmpfloat (json_object_get_double_member (row, "mean_checkin_delay_minutes"), ==, (double)delay);

  row = unit_row (fq_test_response_object (resp), f->unit_b);
  g_assert_nonnull (row);
  g_assert_cmpint (fq_test_obj_int (row, "sessions_invited"), ==, 1);
  g_assert_cmpint (fq_test_obj_int (row, "sessions_excused"), ==, 1);
  g_assert_true (fq_test_obj_is_null (row, "attendance_rate"));
  g_assert_true (fq_test_obj_is_null (row, "mean_checkin_delay_minutes"));

  row = unit_row (fq_test_response_object (resp), f->unit_c);
  g_assert_nonnull (row);
  g_assert_cmpint (fq_test_obj_int (row, "sessions_checked_in"), ==, 0);
  g_assert_cmpfloat (json_object_get_double_member (row, "attendance_rate"), ==, 0.0);
  /* Attendance is its only component: the score is it. */
  g_assert_cmpfloat (json_object_get_double_member (row, "score"), ==, 0.0);
  (void)never;
}

/* Whether the first action item of @ticket's first session is overdue, as
 * GET /tickets/{id} says. */
static gboolean
ticket_item_overdue (Fixture    *f,
                     JsonObject *ticket)
{
  g_autoptr(FqTestResponse) resp = fq_test_get (f->w->coordinator, "/tickets/%s", fq_test_obj_str (ticket, "id"));
  JsonArray *sessions;
  JsonArray *items;

  fq_test_assert_status (resp, 200);
  sessions = fq_test_obj_array (fq_test_response_object (resp), "sessions");
  g_assert_cmpuint (json_array_get_length (sessions), ==, 1);
  items = fq_test_obj_array (json_array_get_object_element (sessions, 0), "action_items");
  g_assert_cmpuint (json_array_get_length (items), ==, 1);
  return fq_test_obj_bool (json_array_get_object_element (items, 0), "overdue");
}

/* With nobody writing to the session, the server's watch (every minute)
 * records the breach of an action item that ran out. */
static void
test_overdue_watch (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) ticket = new_ticket (f);
  g_autofree char *later = fq_test_time_from_now (60);
  g_autofree char *soon = fq_test_time_from_now (2);
  g_autoptr(JsonObject) s = create_ok (f, f->w->coordinator, ticket, later, NULL);
  g_autoptr(JsonObject) s1 = act_ok (f->w->coordinator, s, "start", NULL);
  g_autofree char *item = g_strdup_printf (",\"text\":\"张贴告示\",\"owner_unit\":\"%s\",\"due\":\"%s\"",
                                           f->unit_b, soon);
  g_autoptr(JsonObject) s2 = act_ok (f->w->coordinator, s1, "add_action_item", item);
  gint64 deadline = g_get_monotonic_time () + 90 * G_USEC_PER_SEC;
  guint breaches = 0;

  g_assert_false (fq_test_obj_bool (json_array_get_object_element (fq_test_obj_array (s2, "action_items"), 0),
                                    "overdue"));

  /* The ticket's detail, read twice (the second time from memory, see
   * fq-ticket-cache.h), says the item is not overdue; read again once it
   * has run out, before anything is written, it says it is. */
  g_assert_false (ticket_item_overdue (f, ticket));
  g_assert_false (ticket_item_overdue (f, ticket));
  g_usleep (3 * G_USEC_PER_SEC);
  g_assert_true (ticket_item_overdue (f, ticket));

  while (breaches == 0 && g_get_monotonic_time () < deadline)
    {
      g_usleep (2 * G_USEC_PER_SEC);
      breaches = count_events (f->w->coordinator, s2, "sla_breached");
    }
  g_assert_cmpuint (breaches, ==, 1);
  {
    g_autoptr(FqTestResponse) now = fq_test_get (f->b, "/sessions/%s", fq_test_obj_str (s2, "id"));
    JsonObject *o;

    fq_test_assert_status (now, 200);
    o = fq_test_response_object (now);
    g_assert_cmpint (fq_test_obj_int (o, "rev"), >, fq_test_obj_int (s2, "rev"));
    g_assert_true (fq_test_obj_bool (json_array_get_object_element (fq_test_obj_array (o, "action_items"), 0),
                                     "overdue"));
    /* The owner unit completes it: the item's complete action is offered. */
    g_assert_true (fq_test_array_has_string (fq_test_obj_array (o, "allowed_actions"), "complete_action_item"));
  }
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  fq_test_require_server_binary ();

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/server/sessions/lifecycle", test_lifecycle);
  ADD ("/server/sessions/create-rules", test_create_rules);
  ADD ("/server/sessions/roles", test_roles);
  ADD ("/server/sessions/cancel-and-excuse", test_cancel_and_excuse);
  ADD ("/server/sessions/conclude-marks-absent", test_conclude_marks_absent);
  ADD ("/server/sessions/overdue-items", test_overdue_items);
  ADD ("/server/sessions/list", test_list);
  ADD ("/server/sessions/changes", test_changes);
  ADD ("/server/sessions/idempotent", test_idempotent);
  ADD ("/server/sessions/attendance-metrics", test_attendance_metrics);
  /* Last: it waits for the minute's watch. */
  ADD ("/server/sessions/overdue-watch", test_overdue_watch);

  ret = g_test_run ();
  fq_test_world_free ();
  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    g_clear_pointer (&units[i], g_free);

  return ret;
}
