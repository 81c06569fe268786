/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Bad input: malformed requests of every kind, each with the status and the
 * error code API.md gives it, and then proof that none of them wrote
 * anything (the feed's last_seq, the incident list and the audit log are
 * unchanged). Each with a body is sent again made large (64 KiB), which
 * the server parses on another thread, and both ways again chunked, its
 * size not announced: the answers are the same. Also: SQL and HTML in text
 * fields are stored verbatim, and so is a large body, sent either way.
 */

#include "config.h"

#include <string.h>

#include "fq-test-server.h"

typedef struct
{
  FqTestWorld *w;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->w = fq_test_world_get ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
}

typedef struct
{
  const char *what;
  const char *method;
  const char *path;          /* "%s" is replaced by the test incident's id */
  const char *who;           /* a role nick, or "xialu" for a 下陆区 operator, or NULL: anonymous */
  const char *content_type;  /* NULL: application/json */
  const char *body;          /* NULL: no body; single quotes stand for double quotes */
  guint       status;
  const char *code;
  const char *field;         /* NULL: not checked */
} Case;

#define G FQ_TEST_GUANGZHOULU

/* White space before a body to make it large (see test_malformed()). */
#define LARGE_PAD (64 * 1024)
/* Larger than the server reads at one go (FQ_BODY_SLICE, 256 KiB). */
#define HUGE_PAD (600 * 1024)

static const Case cases[] = {
  /* Not JSON, or not an object. */
  { "broken JSON", "POST", "/incidents", "operator", NULL, "{'source':'110','grid':", 400, "bad_json", NULL },
  { "trailing garbage", "POST", "/incidents", "operator", NULL, "{'source':'110'} xyz", 400, "bad_json", NULL },
  { "array root", "POST", "/incidents", "operator", NULL, "[1,2,3]", 400, "bad_json", NULL },
  { "null root", "POST", "/incidents", "operator", NULL, "null", 400, "bad_json", NULL },
  { "string root", "POST", "/incidents", "operator", NULL, "'hello'", 400, "bad_json", NULL },
  { "empty body", "POST", "/incidents", "operator", NULL, "", 400, "bad_json", NULL },
  { "invalid UTF-8", "POST", "/incidents", "operator", NULL,
    "{'source':'110','grid':'" G "','summary':'\xff\xfe\xc3\x28 bad'}", 400, "bad_json", NULL },
  { "broken JSON on login", "POST", "/auth/login", NULL, NULL, "{'username':", 400, "bad_json", NULL },

  /* Wrong content type. */
  { "text/plain body", "POST", "/incidents", "operator", "text/plain",
    "{'source':'110','grid':'" G "','summary':'x'}", 415, "unsupported_media_type", NULL },
  { "form body", "POST", "/incidents", "operator", "application/x-www-form-urlencoded",
    "source=110&grid=" G "&summary=x", 415, "unsupported_media_type", NULL },

  /* Missing and wrongly typed fields. */
  { "missing source", "POST", "/incidents", "operator", NULL, "{'grid':'" G "','summary':'x'}", 422, "invalid_field", "source" },
  { "missing grid", "POST", "/incidents", "operator", NULL, "{'source':'110','summary':'x'}", 422, "invalid_field", "grid" },
  { "missing summary", "POST", "/incidents", "operator", NULL, "{'source':'110','grid':'" G "'}", 422, "invalid_field", "summary" },
  { "null summary", "POST", "/incidents", "operator", NULL, "{'source':'110','grid':'" G "','summary':null}", 422, "invalid_field", "summary" },
  { "source as number", "POST", "/incidents", "operator", NULL, "{'source':110,'grid':'" G "','summary':'x'}", 422, "invalid_field", "source" },
  { "grid as array", "POST", "/incidents", "operator", NULL, "{'source':'110','grid':['" G "'],'summary':'x'}", 422, "invalid_field", "grid" },
  { "summary as object", "POST", "/incidents", "operator", NULL, "{'source':'110','grid':'" G "','summary':{'a':1}}", 422, "invalid_field", "summary" },
  { "external_id as bool", "POST", "/incidents", "operator", NULL,
    "{'source':'110','grid':'" G "','summary':'x','external_id':true}", 422, "invalid_field", "external_id" },
  { "control character", "POST", "/incidents", "operator", NULL,
    "{'source':'110','grid':'" G "','summary':'bell \\u0007 here'}", 422, "invalid_field", "summary" },

  /* Unknown codes and enums. */
  { "unknown source", "POST", "/incidents", "operator", NULL, "{'source':'fax','grid':'" G "','summary':'x'}", 422, "invalid_field", "source" },
  { "unknown grid", "POST", "/incidents", "operator", NULL, "{'source':'110','grid':'420204999999','summary':'x'}", 422, "invalid_field", "grid" },
  { "grid not a code", "POST", "/incidents", "operator", NULL, "{'source':'110','grid':'下陆区','summary':'x'}", 422, "invalid_field", "grid" },
  { "unknown category", "POST", "/incidents", "operator", NULL,
    "{'source':'110','grid':'" G "','summary':'x','category':'Z99'}", 422, "invalid_field", "category" },
  { "bad received_at", "POST", "/incidents", "operator", NULL,
    "{'source':'110','grid':'" G "','summary':'x','received_at':'yesterday'}", 422, "invalid_field", "received_at" },
  { "received_at as number", "POST", "/incidents", "operator", NULL,
    "{'source':'110','grid':'" G "','summary':'x','received_at':1764403200}", 422, "invalid_field", "received_at" },
  { "out-of-scope grid", "POST", "/incidents", "xialu", NULL,
    "{'source':'110','grid':'420202000000','summary':'x'}", 422, "invalid_field", "grid" },

  /* Triage. */
  { "unknown decision", "POST", "/incidents/%s/triage", "operator", NULL,
    "{'decision':'teleport','category':'A01','grid':'" G "','rev':1,'note':'x'}", 422, "invalid_field", "decision" },
  { "missing rev", "POST", "/incidents/%s/triage", "operator", NULL,
    "{'decision':'mediate','category':'A01','grid':'" G "','note':'x'}", 422, "invalid_field", "rev" },
  { "rev as string", "POST", "/incidents/%s/triage", "operator", NULL,
    "{'decision':'mediate','category':'A01','grid':'" G "','rev':'1','note':'x'}", 422, "invalid_field", "rev" },
  { "huge rev", "POST", "/incidents/%s/triage", "operator", NULL,
    "{'decision':'mediate','category':'A01','grid':'" G "','rev':123456789012345678901234567890,'note':'x'}", 422, "invalid_field", "rev" },
  { "fractional rev", "POST", "/incidents/%s/triage", "operator", NULL,
    "{'decision':'mediate','category':'A01','grid':'" G "','rev':1.5,'note':'x'}", 422, "invalid_field", "rev" },
  { "unknown tier", "POST", "/incidents/%s/triage", "operator", NULL,
    "{'decision':'divert','category':'A01','grid':'" G "','rev':1,'note':'x','tier':'galaxy'}", 422, "invalid_field", "tier" },
  { "unknown lead unit", "POST", "/incidents/%s/triage", "operator", NULL,
    "{'decision':'divert','category':'A01','grid':'" G "','rev':1,'note':'x','lead_unit':'nobody-000'}", 422, "invalid_field", "lead_unit" },
  { "triage of a missing incident", "POST", "/incidents/I000000-999999/triage", "operator", NULL,
    "{'decision':'mediate','category':'A01','grid':'" G "','rev':1,'note':'x'}", 404, "not_found", NULL },
  { "action on a missing ticket", "POST", "/tickets/T000000-999999/actions", "coordinator", NULL,
    "{'action':'comment','rev':1,'note':'x'}", 404, "not_found", NULL },

  /* Query parameters. */
  { "limit 0", "GET", "/incidents?limit=0", "operator", NULL, NULL, 400, "bad_request", "limit" },
  { "limit 1001", "GET", "/incidents?limit=1001", "operator", NULL, NULL, 400, "bad_request", "limit" },
  { "limit not a number", "GET", "/tickets?limit=ten", "operator", NULL, NULL, 400, "bad_request", "limit" },
  { "limit huge", "GET", "/incidents?limit=99999999999999999999", "operator", NULL, NULL, 400, "bad_request", "limit" },
  { "garbage cursor", "GET", "/incidents?cursor=%%25%%25not-a-cursor", "operator", NULL, NULL, 400, "bad_request", "cursor" },
  { "garbage ticket cursor", "GET", "/tickets?cursor=AAAA", "operator", NULL, NULL, 400, "bad_request", "cursor" },
  { "bad since", "GET", "/changes?since=yesterday", "operator", NULL, NULL, 400, "bad_request", "since" },
  { "negative since", "GET", "/changes?since=-3", "operator", NULL, NULL, 400, "bad_request", "since" },
  { "bad from", "GET", "/incidents?from=not-a-time", "operator", NULL, NULL, 400, "bad_request", "from" },
  { "bad to", "GET", "/tickets?to=2026-13-45T99:00:00Z", "operator", NULL, NULL, 400, "bad_request", "to" },
  { "bad audit limit", "GET", "/audit?limit=-1", "admin", NULL, NULL, 400, "bad_request", "limit" },

  /* Users. */
  { "user without password", "POST", "/users", "admin", NULL,
    "{'username':'nopass','display_name':'x','role':'operator','scope':'420204000000'}", 422, "invalid_field", "password" },
  { "user with numeric role", "POST", "/users", "admin", NULL,
    "{'username':'numrole','display_name':'x','password':'long-enough','role':3,'scope':'420204000000'}", 422, "invalid_field", "role" },
  { "login without password", "POST", "/auth/login", NULL, NULL, "{'username':'operator'}", 422, "invalid_field", "password" },
};

static FqTestClient *
client_for (Fixture      *f,
            const char   *who,
            FqTestClient *xialu)
{
  if (who == NULL)
    return f->w->anonymous;
  if (g_str_equal (who, "xialu"))
    return xialu;

  return fq_test_world_client_for_role (f->w, who);
}

static guint
count_incidents (FqTestClient *client)
{
  g_autoptr(FqTestResponse) resp = fq_test_get (client, "/incidents?limit=1000");
  JsonArray *items = fq_test_obj_array (fq_test_response_object (resp), "incidents");

  fq_test_assert_status (resp, 200);
  g_assert_nonnull (items);
  return json_array_get_length (items);
}

static guint
count_audit_rows (FqTestClient *admin)
{
  g_autoptr(FqTestResponse) resp = fq_test_get (admin, "/audit?limit=1000");
  JsonArray *rows = fq_test_list_items (resp);

  fq_test_assert_status (resp, 200);
  g_assert_nonnull (rows);
  return json_array_get_length (rows);
}

static void
test_malformed (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(FqTestClient) xialu = fq_test_create_user (f->w->admin, "operator", FQ_TEST_XIALU, NULL, NULL);
  g_autoptr(JsonObject) inc = fq_test_create_incident (f->w->operator, FQ_TEST_GUANGZHOULU, NULL);
  gint64 seq = fq_test_last_seq (f->w->operator);
  guint incidents = count_incidents (f->w->operator);
  guint audit = count_audit_rows (f->w->admin);
  guint failed = 0;
  guint sent = 0;

  g_assert_cmpuint (G_N_ELEMENTS (cases), >=, 30);

  /* Each case as written, then each with a body once more behind LARGE_PAD
   * bytes of white space: a large body is parsed by a reader, not where
   * it arrives (FQ_SERVER_INLINE_BODY_MAX), and must be answered alike.
   * Then both again with the body chunked: collected by the server as it
   * comes, its size known only at the end. */
  for (guint n = 0; n < 4 * G_N_ELEMENTS (cases); n++)
    {
      const Case *c = &cases[n % G_N_ELEMENTS (cases)];
      guint pass = n / G_N_ELEMENTS (cases);
      gboolean padded = pass == 1 || pass == 3;
      gboolean chunked = pass >= 2;
      FqTestClient *client = client_for (f, c->who, xialu);
      g_auto(GStrv) parts = g_strsplit (c->path, "%s", -1);
      g_autofree char *path = g_strjoinv (fq_test_obj_str (inc, "id"), parts);
      g_autofree char *body = NULL;
      g_autoptr(FqTestResponse) resp = NULL;
      const char *code, *field;

      if (pass > 0 && c->body == NULL)
        continue;
      sent++;

      /* "%%" in a path stands for a literal "%". */
      {
        g_auto(GStrv) pct = g_strsplit (path, "%%", -1);

        g_free (path);
        path = g_strjoinv ("%", pct);
      }
      if (c->body != NULL)
        {
          body = g_strdup_printf ("%*s%s", padded ? LARGE_PAD : 0, "", c->body);
          g_strdelimit (body, "'", '"');
        }

      fq_test_client_set_chunked (client, chunked);
      resp = fq_test_client_request (client, c->method, path, c->content_type,
                                     body, body ? (gssize)strlen (body) : 0, NULL);
      fq_test_client_set_chunked (client, FALSE);
      code = fq_test_response_error_code (resp);
      field = fq_test_response_error_field (resp);

      if (resp->status != c->status || g_strcmp0 (code, c->code) != 0
          || (c->field != NULL && g_strcmp0 (field, c->field) != 0)
          || fq_test_obj_str (fq_test_obj_obj (fq_test_response_object (resp), "error"), "message") == NULL)
        {
          g_test_message ("FAIL %s%s%s: %s %s: expected %u %s%s%s, got %u: %.300s", c->what,
                          padded ? " (large)" : "", chunked ? " (chunked)" : "", c->method, path,
                          c->status, c->code, c->field ? " field=" : "", c->field ? c->field : "",
                          resp->status, resp->text);
          failed++;
        }
    }

  /* A body over 1 MiB: refused before it is read when its size is
   * announced, once read when it comes chunked. */
  for (guint chunked = 0; chunked < 2; chunked++)
    {
      gsize size = 2 * 1024 * 1024;
      g_autofree char *big = g_malloc (size + 1);
      g_autoptr(FqTestResponse) resp = NULL;
      const char *head = "{\"source\":\"110\",\"grid\":\"" G "\",\"summary\":\"";

      memset (big, 'x', size);
      memcpy (big, head, strlen (head));
      memcpy (big + size - 2, "\"}", 2);
      big[size] = '\0';
      fq_test_client_set_chunked (f->w->operator, chunked);
      resp = fq_test_client_request (f->w->operator, "POST", "/incidents", NULL, big, size, NULL);
      fq_test_client_set_chunked (f->w->operator, FALSE);
      sent++;
      if (resp->status != 413 || g_strcmp0 (fq_test_response_error_code (resp), "too_large") != 0)
        {
          g_test_message ("FAIL 2 MiB body%s: expected 413 too_large, got %u: %.300s",
                          chunked ? " (chunked)" : "", resp->status, resp->text);
          failed++;
        }
    }

  /* Nothing was written by any of them. */
  g_assert_cmpint (fq_test_last_seq (f->w->operator), ==, seq);
  g_assert_cmpuint (count_incidents (f->w->operator), ==, incidents);
  g_assert_cmpuint (count_audit_rows (f->w->admin), ==, audit);
  {
    g_autoptr(FqTestResponse) got = fq_test_get (f->w->operator, "/incidents/%s", fq_test_obj_str (inc, "id"));

    g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (got), "status"), ==, "new");
    g_assert_cmpint (fq_test_obj_int (fq_test_response_object (got), "rev"), ==, fq_test_obj_int (inc, "rev"));
  }
  {
    g_autoptr(FqTestClient) c = fq_test_client_new (fq_test_server_get_url (f->w->server));
    g_autoptr(FqTestResponse) a = fq_test_client_login (c, "nopass", "anything-at-all");
    g_autoptr(FqTestResponse) b = fq_test_client_login (c, "numrole", "long-enough");

    fq_test_assert_error (a, 401, "unauthenticated");
    fq_test_assert_error (b, 401, "unauthenticated");
  }

  if (failed > 0)
    g_error ("%u of %u malformed requests got another answer than expected (see the messages above)",
             failed, sent);
}

static void
test_verbatim (Fixture       *f,
               gconstpointer  data)
{
  static const char *texts[] = {
    "'; DROP TABLE incidents; --",
    "Robert'); DELETE FROM users WHERE ('1'='1",
    "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "&lt;b&gt; &amp; \\\" \\\\ 100% %s %n",
    "混合 text 🚒 with emoji and 中文，标点。",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autofree char *q = fq_test_json_quote (texts[i]);
      g_autofree char *body = g_strdup_printf ("{\"source\":\"walk_in\",\"grid\":\"%s\",\"summary\":%s,"
                                               "\"description\":%s,\"address\":%s,\"caller_name\":%s}",
                                               FQ_TEST_GUANGZHOULU, q, q, q, q);
      g_autoptr(FqTestResponse) resp = fq_test_post (f->w->operator, "/incidents", body);
      g_autoptr(FqTestResponse) got = NULL;
      JsonObject *o;

      fq_test_assert_status (resp, 201);
      got = fq_test_get (f->w->operator, "/incidents/%s", fq_test_obj_str (fq_test_response_object (resp), "id"));
      fq_test_assert_status (got, 200);
      g_assert_true (g_str_has_prefix (got->content_type, "application/json"));
      o = fq_test_response_object (got);
      g_assert_cmpstr (fq_test_obj_str (o, "summary"), ==, texts[i]);
      g_assert_cmpstr (fq_test_obj_str (o, "description"), ==, texts[i]);
      g_assert_cmpstr (fq_test_obj_str (o, "address"), ==, texts[i]);
      g_assert_cmpstr (fq_test_obj_str (o, "caller_name"), ==, texts[i]);
    }

  /* A large body (parsed by a reader before the handler runs) is written
   * all the same: one the server reads in several goes too, and either
   * with its size announced or chunked. The white space lies between the
   * members, so that each piece of the body counts. */
  for (guint n = 0; n < 4; n++)
    {
      gboolean chunked = n >= 2;
      int pad = (n % 2 == 0 ? LARGE_PAD : HUGE_PAD) / 3;
      g_autofree char *summary = g_strdup_printf ("large body %u", n);
      g_autofree char *body = g_strdup_printf ("%*s{\"source\":\"walk_in\",%*s\"grid\":\"%s\",%*s"
                                               "\"summary\":\"%s\"}",
                                               pad, "", pad, "", FQ_TEST_GUANGZHOULU, pad, "", summary);
      g_autoptr(FqTestResponse) resp = NULL;
      g_autoptr(FqTestResponse) got = NULL;

      fq_test_client_set_chunked (f->w->operator, chunked);
      resp = fq_test_post (f->w->operator, "/incidents", body);
      fq_test_client_set_chunked (f->w->operator, FALSE);
      fq_test_assert_status (resp, 201);
      got = fq_test_get (f->w->operator, "/incidents/%s", fq_test_obj_str (fq_test_response_object (resp), "id"));
      fq_test_assert_status (got, 200);
      g_assert_cmpstr (fq_test_obj_str (fq_test_response_object (got), "summary"), ==, summary);
    }

  /* The tables are still there. */
  {
    g_autoptr(FqTestResponse) list = fq_test_get (f->w->operator, "/incidents?limit=1");
    g_autoptr(FqTestResponse) users = fq_test_get (f->w->admin, "/users");

    fq_test_assert_status (list, 200);
    fq_test_assert_status (users, 200);
    g_assert_cmpuint (json_array_get_length (fq_test_obj_array (fq_test_response_object (users), "users")), >=, 6);
  }
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  fq_test_require_server_binary ();

  g_test_add ("/server/bad-input/malformed", Fixture, NULL, fixture_setup, test_malformed, fixture_teardown);
  g_test_add ("/server/bad-input/verbatim", Fixture, NULL, fixture_setup, test_verbatim, fixture_teardown);

  ret = g_test_run ();
  fq_test_world_free ();

  return ret;
}
