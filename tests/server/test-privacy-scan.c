/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Phone numbers typed into free text reach only operators and coordinators.
 * /privacy-scan/finder, /finder-fullwidth, /text and /tree test the finder of fq-privacy.c and
 * its two appliers (serialised JSON, JSON trees) directly: the shapes it
 * masks, the digits it leaves alone (grid codes, timestamps, ids, amounts),
 * member names, escapes and identifiers. /privacy-scan/server starts a real
 * demo server, plants numbers in every kind of free text an account can
 * write (incident summary and description, triage note, ticket comment,
 * session agenda and minutes, a grid worker's report, an imported work
 * order, an Open311 request), then reads, as unit, grid worker, leader and
 * administrator, every GET endpoint the permission matrix allows them, every
 * page of /changes and the /events frames, plus the public Open311 answers,
 * and finds neither a planted number, nor a caller's number of the database,
 * nor anything shaped like a mobile number. The operator still reads them
 * all in full.
 */

#include "config.h"

#include <string.h>
#include <sqlite3.h>

#include "fq-enum-types.h"
#include "fq-permissions.h"
#include "fq-server-private.h"
#include "fq-test-server.h"

/* ---- the finder ---- */

typedef struct
{
  const char *text;
  const char *masked;  /* NULL: left as it is */
} Case;

static const Case cases[] = {
  /* mobile numbers */
  { "13812345678", "138****5678" },
  { "手机:13812345678。", "手机:138****5678。" },
  { "请回电13912345678谢谢", "请回电139****5678谢谢" },
  { "138 1234 5678", "138 **** 5678" },
  { "138-1234-5678", "138-****-5678" },
  { "+8613812345678", "+86138****5678" },
  { "+86 138 1234 5678", "+86 138 **** 5678" },
  { "+86-13812345678", "+86-138****5678" },
  { "8613812345678", "86138****5678" },
  { "13812345678或19987654321", "138****5678或199****4321" },
  { "call 17712345678 now", "call 177****5678 now" },
  /* landlines with an area code */
  { "0714-6543210", "071*-***3210" },
  { "(0714)6543210", "(071*)***3210" },
  { "（027）87654321", "（027）****4321" },
  { "010 12345678", "010 ****5678" },
  { "07146543210", "071****3210" },
  { "座机0714-62266880转", "座机071*-****6880转" },
  /* local numbers after a keyword */
  { "电话 6543210", "电话 65***10" },
  { "联系电话：5556789", "联系电话：55***89" },
  { "来电号码为 5556789", "来电号码为 55***89" },
  { "联系方式:87654321", "联系方式:87****21" },
  { "Tel: 87654321", "Tel: 87****21" },
  { "telephone 6543210", "telephone 65***10" },
  { "PHONE 6543210", "PHONE 65***10" },
  /* full-width forms, as an input method types them in full-width mode */
  { "１３８１２３４５６７８", "１３８＊＊＊＊５６７８" },
  { "手机：１３８ １２３４ ５６７８", "手机：１３８ ＊＊＊＊ ５６７８" },
  { "138１２３４5678", "138＊＊＊＊5678" },
  { "138－1234－5678", "138－****－5678" },
  { "电话：0714－6543210", "电话：071*－***3210" },
  { "＋８６　１３８１２３４５６７８", "＋８６　１３８＊＊＊＊５６７８" },
  { "电话０７１４－６５４３２１０", "电话０７１＊－＊＊＊３２１０" },
  { "（０２７）８７６５４３２１", "（０２７）＊＊＊＊４３２１" },
  { "电话：６５４３２１０", "电话：６５＊＊＊１０" },
  /* left alone */
  { "网格 ４２０２０４００４０１１", NULL },
  { "金额１２３４５６７８元", NULL },
  { "１３８１２３４５６７８９", NULL },
  { "１２３４５６７８９０１", NULL },
  { "网格 420204004011", NULL },
  { "I261129-000123", NULL },
  { "T261129-0001234", NULL },
  { "2026-11-29T21:05:17Z", NULL },
  { "2026年11月29日 13:05", NULL },
  { "1732912345678", NULL },
  { "138123456789", NULL },
  { "12345678901", NULL },
  { "金额12345678元", NULL },
  { "6543210", NULL },
  { "hotel 6543210", NULL },
  { "电话费 12元", NULL },
  { "电话 123456", NULL },
  { "电话12345678901234", NULL },
  { "第12345678号", NULL },
  { "0000-1234567", NULL },
  { "0714-0543210", NULL },
  { "街道办 street_office-420204004000", NULL },
  { "", NULL },
};

static void
test_finder (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *masked = fq_privacy_mask_free_text (cases[i].text);

      g_test_message ("%s", cases[i].text);
      g_assert_cmpstr (masked, ==, cases[i].masked);
    }
}

/* Full-width digits: the finder's extents are in bytes of the text as it
 * is, and serialised JSON is masked the same way, escaped or not. */
static void
test_finder_fullwidth (void)
{
  const char *text = "请回电：１３８１２３４５６７８，谢谢";
  const char *number = strstr (text, "１");
  gsize start = 0, end = 0;
  g_autofree char *masked = NULL;
  g_autofree char *escaped = NULL;

  g_assert_true (fq_privacy_find_phone (text, strlen (text), 0, &start, &end));
  g_assert_cmpuint (start, ==, number - text);
  g_assert_cmpuint (end, ==, start + 11 * 3);
  g_assert_false (fq_privacy_find_phone (text, strlen (text), end, &start, &end));

  masked = fq_privacy_mask_text ("{\"summary\":\"电话１３８１２３４５６７８\",\"n\":\"１２３\"}");
  g_assert_cmpstr (masked, ==, "{\"summary\":\"电话１３８＊＊＊＊５６７８\",\"n\":\"１２３\"}");
  escaped = fq_privacy_mask_text ("{\"summary\":\"\\uff11\\uff13\\uff18１２３４５６７８\"}");
  g_assert_cmpstr (escaped, ==, "{\"summary\":\"１３８＊＊＊＊５６７８\"}");
  g_assert_null (fq_privacy_mask_text ("{\"grid\":\"４２０２０４００４０１１\"}"));
}

/* The value of the string member @member of @json. */
static char *
member_of (const char *json,
           const char *member)
{
  g_autoptr(JsonNode) root = json_from_string (json, NULL);

  g_assert_nonnull (root);
  return g_strdup (json_object_get_string_member (json_node_get_object (root), member));
}

static const char *const documents[] = {
  "{\"id\":\"13812345678\",\"note\":\"13812345678\"}",
  "{\"13812345678\":\"x\",\"n\":13812345678,\"b\":true,\"z\":null}",
  "{\"note\":\"a\\n13812345678\\u0041\\\"\"}",
  "{\"note\":\"\\u0031\\u00338 1234 5678\"}",
  "{\"incident_ids\":[\"13812345678\"],\"notes\":[\"13812345678\"]}",
  "{\"caller_phone\":\"13812345678\",\"caller_name\":\"王 13812345678\"}",
  "{\"a\":[{\"id\":\"13812345678\"},\"电话 6543210\"],\"ticket_id\":\"13812345678\"}",
  "{\"data\":{\"code\":\"13812345678\",\"text\":\"Tel 87654321\"}, \"seq\" : \"13912345678\"}",
  "[\"13812345678\",{\"username\":\"13812345678\",\"api_key\":\"x13812345678\"}]",
  "{\"summary\":\"网格 420204004011 于 2026-11-29T21:05:17Z\"}",
};

/* Serialised JSON: names, numbers and identifiers untouched, escapes read. */
static void
test_text (void)
{
  g_autofree char *masked = NULL;
  g_autofree char *value = NULL;

  masked = fq_privacy_mask_text (documents[0]);
  g_assert_cmpstr (masked, ==, "{\"id\":\"13812345678\",\"note\":\"138****5678\"}");
  g_clear_pointer (&masked, g_free);

  g_assert_null (fq_privacy_mask_text (documents[1]));

  masked = fq_privacy_mask_text (documents[2]);
  value = member_of (masked, "note");
  g_assert_cmpstr (value, ==, "a\n138****5678A\"");
  g_clear_pointer (&masked, g_free);
  g_clear_pointer (&value, g_free);

  masked = fq_privacy_mask_text (documents[3]);
  value = member_of (masked, "note");
  g_assert_cmpstr (value, ==, "138 **** 5678");
  g_clear_pointer (&masked, g_free);
  g_clear_pointer (&value, g_free);

  masked = fq_privacy_mask_text (documents[4]);
  g_assert_cmpstr (masked, ==, "{\"incident_ids\":[\"13812345678\"],\"notes\":[\"138****5678\"]}");
  g_clear_pointer (&masked, g_free);

  masked = fq_privacy_mask_text (documents[5]);
  g_assert_cmpstr (masked, ==, "{\"caller_phone\":\"138****5678\",\"caller_name\":\"王 138****5678\"}");
  g_clear_pointer (&masked, g_free);

  masked = fq_privacy_mask_text (documents[6]);
  g_assert_cmpstr (masked, ==, "{\"a\":[{\"id\":\"13812345678\"},\"电话 65***10\"],"
                               "\"ticket_id\":\"13812345678\"}");
  g_clear_pointer (&masked, g_free);

  masked = fq_privacy_mask_text (documents[7]);
  g_assert_cmpstr (masked, ==, "{\"data\":{\"code\":\"13812345678\",\"text\":\"Tel 87****21\"}, "
                               "\"seq\" : \"13912345678\"}");
  g_clear_pointer (&masked, g_free);

  masked = fq_privacy_mask_text (documents[8]);
  g_assert_cmpstr (masked, ==, "[\"138****5678\",{\"username\":\"13812345678\","
                               "\"api_key\":\"x13812345678\"}]");
  g_clear_pointer (&masked, g_free);

  g_assert_null (fq_privacy_mask_text (documents[9]));

  /* The /changes form appends the same text. */
  for (guint i = 0; i < G_N_ELEMENTS (documents); i++)
    {
      g_autoptr(GString) out = g_string_new ("[");
      g_autofree char *alone = fq_privacy_mask_text (documents[i]);

      fq_privacy_mask_text_append (out, documents[i], strlen (documents[i]));
      g_assert_cmpstr (out->str + 1, ==, alone != NULL ? alone : documents[i]);
    }
}

/* JSON trees (sealed, as answers are): the same result as the text path,
 * the original left unchanged, nothing masked for an operator. */
static void
test_tree (void)
{
  FqUser leader = { .username = (char *)"leader", .role = FQ_ROLE_LEADER };
  FqUser operator = { .username = (char *)"operator", .role = FQ_ROLE_OPERATOR };

  for (guint i = 0; i < G_N_ELEMENTS (documents); i++)
    {
      JsonNode *original = json_from_string (documents[i], NULL);
      g_autofree char *before = NULL;
      g_autofree char *by_text = NULL;
      g_autofree char *by_tree = NULL;
      g_autofree char *text_masked = fq_privacy_mask_text (documents[i]);
      g_autoptr(JsonNode) expected = json_from_string (text_masked != NULL ? text_masked
                                                                          : documents[i], NULL);
      JsonNode *masked;

      g_assert_nonnull (original);
      json_node_seal (original);
      before = json_to_string (original, FALSE);
      json_node_ref (original);
      masked = fq_privacy_mask_node (&leader, original);
      by_tree = json_to_string (masked, FALSE);
      by_text = json_to_string (expected, FALSE);
      g_assert_cmpstr (by_tree, ==, by_text);
      {
        g_autofree char *after = json_to_string (original, FALSE);

        g_assert_cmpstr (after, ==, before);
      }
      json_node_unref (masked);

      json_node_ref (original);
      masked = fq_privacy_mask_node (&operator, original);
      g_assert_true (masked == original);
      json_node_unref (masked);
      json_node_unref (original);
    }
}

/* Random documents made of phone-like pieces: the text path's answer is
 * valid JSON, equal to the tree path's, and no string value outside an
 * identifier holds a mobile number; random bytes do no harm. */
static const char *const pieces[] = {
  "13812345678", "138 1234 5678", "+86 139-1234-5678", "0714-6543210", "(027)87654321",
  "电话", "Tel:", " ", "-", "，", "420204004011", "2026-11-29T21:05:17Z", "12345678",
  "\\n", "\\\"", "\\u0031", "\\u00338", "\\\\", "手机", "a", "9", "1",
  "１３８１２３４５６７８", "＋８６　１５８－１２３４－５６７８", "（０２７）８７６５４３２１", "１", "９", "－",
  "\\uff11\\uff13", "　",
};

static char *
random_string (GRand *rand)
{
  GString *out = g_string_new ("\"");
  guint n = g_rand_int_range (rand, 0, 8);

  for (guint i = 0; i < n; i++)
    g_string_append (out, pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))]);
  g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

static void
random_value (GRand   *rand,
              GString *out,
              guint    depth)
{
  static const char *const names[] = { "id", "note", "ticket_id", "caller_phone", "items",
                                       "code", "text", "unit_ids" };
  guint kind = depth > 3 ? 0 : g_rand_int_range (rand, 0, 4);

  if (kind == 0 || kind == 1)
    {
      g_autofree char *text = random_string (rand);

      g_string_append (out, kind == 0 ? text : "13812345678");
    }
  else if (kind == 2)
    {
      guint n = g_rand_int_range (rand, 0, 4);

      g_string_append_c (out, '[');
      for (guint i = 0; i < n; i++)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          random_value (rand, out, depth + 1);
        }
      g_string_append_c (out, ']');
    }
  else
    {
      guint n = g_rand_int_range (rand, 0, 5);
      guint first = g_rand_int_range (rand, 0, G_N_ELEMENTS (names));

      /* Distinct names: a parsed tree keeps one member per name. */
      g_string_append_c (out, '{');
      for (guint i = 0; i < n; i++)
        {
          g_string_append_printf (out, "%s\"%s\" : ", i > 0 ? ", " : "",
                                  names[(first + i) % G_N_ELEMENTS (names)]);
          random_value (rand, out, depth + 1);
        }
      g_string_append_c (out, '}');
    }
}

/* Fails if a string in @node outside identifiers holds a mobile number. */
static void
assert_no_mobile_in_tree (JsonNode   *node,
                          const char *name)
{
  static GRegex *mobile;

  if (mobile == NULL)
    mobile = g_regex_new ("(?<![0-9])1[3-9][0-9]{9}(?![0-9])", 0, 0, NULL);
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *member;
      JsonNode *value;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &member, &value))
        assert_no_mobile_in_tree (value, member);
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        assert_no_mobile_in_tree (json_array_get_element (array, i), name);
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
           !fq_privacy_is_identifier_member (name))
    {
      /* NFKC reads full-width digits as ASCII ones, as the finder does:
       * 13812345678９ is a run of twelve digits, not a number. */
      g_autofree char *folded = g_utf8_normalize (json_node_get_string (node), -1, G_NORMALIZE_ALL);

      if (g_regex_match (mobile, folded != NULL ? folded : json_node_get_string (node), 0, NULL))
        g_error ("member %s kept a mobile number: %s", name, json_node_get_string (node));
    }
}

static void
test_random (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261129);
  FqUser leader = { .username = (char *)"leader", .role = FQ_ROLE_LEADER };

  for (guint round = 0; round < 3000; round++)
    {
      g_autoptr(GString) doc = g_string_new (NULL);
      g_autoptr(GError) error = NULL;
      g_autofree char *masked = NULL;
      g_autofree char *by_tree = NULL;
      g_autofree char *by_text = NULL;
      g_autoptr(JsonNode) parsed = NULL;
      JsonNode *tree;

      random_value (rand, doc, 0);
      tree = json_from_string (doc->str, &error);
      g_assert_no_error (error);
      masked = fq_privacy_mask_text (doc->str);
      parsed = json_from_string (masked != NULL ? masked : doc->str, &error);
      if (error != NULL)
        g_error ("%s → %s: %s", doc->str, masked, error->message);
      assert_no_mobile_in_tree (parsed, NULL);
      tree = fq_privacy_mask_node (&leader, tree);
      by_tree = json_to_string (tree, FALSE);
      by_text = json_to_string (parsed, FALSE);
      if (g_strcmp0 (by_tree, by_text) != 0)
        g_error ("%s: the tree gives %s, the text %s", doc->str, by_tree, by_text);
      json_node_unref (tree);
    }

  for (guint round = 0; round < 3000; round++)
    {
      static const char alphabet[] = "0123456789\"\\{}[],: +-()u8613";
      char bytes[64];
      guint n = g_rand_int_range (rand, 0, sizeof bytes);
      g_autofree char *masked = NULL;
      g_autofree char *free_text = NULL;
      g_autoptr(GString) out = g_string_new (NULL);

      for (guint i = 0; i < n; i++)
        bytes[i] = alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
      bytes[n] = '\0';
      masked = fq_privacy_mask_text (bytes);
      free_text = fq_privacy_mask_free_text (bytes);
      fq_privacy_mask_text_append (out, bytes, n);
      if (masked != NULL)
        g_assert_cmpstr (out->str, ==, masked);
    }
}

/* ---- the server ---- */

/* Planted in free text; each as typed and as the digits that must never
 * appear together (a masked number keeps at most its ends). */
#define M_SUMMARY      "13912345678"
#define M_PREFIXED     "+86 158 1234 5678"
#define M_TRIAGE       "13698765432"
#define M_COMMENT      "13587654321"
#define M_MINUTES      "18912340001"
#define M_GRID         "15011112222"
#define M_IMPORT       "17722223333"
#define M_OPEN311      "13366667777"
#define M_FULLWIDTH    "１８６１２３４９８７６"
#define CALLER         "13700002222"
#define CALLER_IMPORT  "17744445555"

static const char *const planted[] = {
  M_SUMMARY, "15812345678", "158 1234 5678", M_TRIAGE, M_COMMENT, M_MINUTES, M_GRID,
  M_IMPORT, M_OPEN311, M_FULLWIDTH, CALLER, CALLER_IMPORT,
  "0714-6543210", "6543210", "(027)87654321", "87654321", "5556789", "8765432",
  "0714-6226688", "6226688", "0714-8123456", "8123456",
};

/* What must stay readable for everybody: a grid code and an amount. */
#define KEEP_GRID   "420204004011"
#define KEEP_AMOUNT "12345678元"

typedef struct
{
  SoupWebsocketConnection *ws;
  GError                  *error;
  GPtrArray               *frames;
} Listener;

static void
message_cb (SoupWebsocketConnection *ws,
            gint                     type,
            GBytes                  *message,
            gpointer                 user_data)
{
  Listener *l = user_data;
  gsize length;
  const char *data = g_bytes_get_data (message, &length);

  g_ptr_array_add (l->frames, g_strndup (data, length));
}

static void
connect_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Listener *l = user_data;

  l->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &l->error);
  if (l->ws != NULL)
    g_signal_connect (l->ws, "message", G_CALLBACK (message_cb), l);
}

static Listener *
listen_as (FqTestServer *server,
           FqTestClient *client)
{
  const char *url = fq_test_server_get_url (server);
  g_autofree char *ws_url = g_strdup_printf ("ws%s/api/v1/events", url + strlen ("http"));
  g_autofree char *auth = g_strdup_printf ("Bearer %s", fq_test_client_get_token (client));
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", ws_url);
  Listener *l = g_new0 (Listener, 1);
  gint64 deadline;

  l->frames = g_ptr_array_new_with_free_func (g_free);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_session_websocket_connect_async (fq_test_client_get_session (client), msg, NULL, NULL,
                                        G_PRIORITY_DEFAULT, NULL, connect_cb, l);
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (l->ws == NULL && l->error == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (l->error);
  g_assert_nonnull (l->ws);
  return l;
}

static void
listener_free (Listener *l)
{
  if (l->ws != NULL)
    soup_websocket_connection_close (l->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&l->ws);
  g_ptr_array_unref (l->frames);
  g_free (l);
}

/* Waits (bounded) until a frame of @l holds @needle. */
static gboolean
wait_for_frame (Listener   *l,
                const char *needle)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      for (guint k = 0; k < l->frames->len; k++)
        if (strstr (g_ptr_array_index (l->frames, k), needle) != NULL)
          return TRUE;
      g_usleep (10 * 1000);
    }
  return FALSE;
}

/* The callers' numbers stored in the server's database, read directly. */
static GPtrArray *
database_phones (FqTestServer *server)
{
  g_auto(GStrv) databases = fq_test_server_find_databases (server);
  GPtrArray *phones = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; databases[i] != NULL; i++)
    {
      sqlite3 *db = NULL;
      sqlite3_stmt *stmt = NULL;

      g_assert_cmpint (sqlite3_open_v2 (databases[i], &db, SQLITE_OPEN_READONLY, NULL), ==,
                       SQLITE_OK);
      sqlite3_busy_timeout (db, 5000);
      if (sqlite3_prepare_v2 (db, "SELECT DISTINCT caller_phone FROM incidents "
                              "WHERE caller_phone IS NOT NULL AND length (caller_phone) >= 7",
                              -1, &stmt, NULL) == SQLITE_OK)
        {
          while (sqlite3_step (stmt) == SQLITE_ROW)
            g_ptr_array_add (phones, g_strdup ((const char *)sqlite3_column_text (stmt, 0)));
        }
      sqlite3_finalize (stmt);
      sqlite3_close (db);
    }
  return phones;
}

typedef struct
{
  FqTestServer *server;
  FqTestClient *operator;
  FqTestClient *coordinator;
  FqTestClient *anonymous;
  GPtrArray    *incidents;
  char         *ticket;
  char         *session;
  char         *open311;
  GPtrArray    *db_phones;
} World;

static FqTestClient *
login (World      *w,
       const char *username)
{
  return fq_test_client_new_login (fq_test_server_get_url (w->server), username,
                                   FQ_TEST_DEMO_PASSWORD);
}

/* POSTs @body to @path (body with '…' for "…") and returns the answer,
 * asserting @status. */
static JsonObject *
post_ok (FqTestClient *client,
         const char   *path,
         guint         status,
         const char   *body)
{
  g_autoptr(FqTestResponse) resp = fq_test_post (client, path, body);

  fq_test_assert_status (resp, status);
  return json_object_ref (fq_test_response_object (resp));
}

static gint64
rev_of (FqTestClient *client,
        const char   *path)
{
  g_autoptr(FqTestResponse) resp = fq_test_get (client, "%s", path);

  fq_test_assert_status (resp, 200);
  return fq_test_obj_int (fq_test_response_object (resp), "rev");
}

/* Writes the numbers into every kind of free text. */
static void
plant (World *w)
{
  g_autoptr(FqTestClient) grid = login (w, "grid");
  g_autoptr(FqTestClient) admin = login (w, "admin");
  g_autofree char *when = fq_test_time_from_now (3600);
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  g_autofree char *api_key = NULL;
  JsonObject *object;

  /* An operator's call with numbers in summary and description, diverted
   * to the demo unit's office with a triage note. */
  object = post_ok (w->operator, "/api/v1/incidents", 201,
                    "{\"source\":\"12345\",\"grid\":\"" FQ_TEST_GUANGZHOULU "\","
                    "\"summary\":\"楼上噪音，手机" M_SUMMARY "\",\"caller_name\":\"王女士\","
                    "\"caller_phone\":\"" CALLER "\",\"address\":\"广州路28号3栋\","
                    "\"description\":\"联系电话：0714-6543210，另 " M_PREFIXED "，座机(027)87654321，"
                    "物业电话 5556789，家属手机" M_FULLWIDTH "；网格 " KEEP_GRID "，押金" KEEP_AMOUNT "\"}");
  g_ptr_array_add (w->incidents, g_strdup (fq_test_obj_str (object, "id")));
  json_object_unref (object);

  path = g_strdup_printf ("/api/v1/incidents/%s/triage", (char *)w->incidents->pdata[0]);
  object = post_ok (w->operator, path, 200,
                    "{\"decision\":\"divert\",\"category\":\"B01\",\"grid\":\"" FQ_TEST_GUANGZHOULU
                    "\",\"rev\":1,\"lead_unit\":\"" FQ_TEST_UNIT_STREET "\","
                    "\"note\":\"已电话联系 " M_TRIAGE "\"}");
  w->ticket = g_strdup (fq_test_obj_str (fq_test_obj_obj (object, "ticket"), "id"));
  if (w->ticket == NULL)
    w->ticket = g_strdup (fq_test_obj_str (fq_test_obj_obj (object, "incident"), "ticket"));
  g_assert_nonnull (w->ticket);
  json_object_unref (object);

  /* A comment on the ticket. */
  g_free (path);
  path = g_strdup_printf ("/api/v1/tickets/%s", w->ticket);
  body = g_strdup_printf ("{\"action\":\"comment\",\"rev\":%" G_GINT64_FORMAT ","
                          "\"note\":\"来电人手机 " M_COMMENT "，Tel: 8765432\"}",
                          rev_of (w->operator, path));
  g_free (path);
  path = g_strdup_printf ("/api/v1/tickets/%s/actions", w->ticket);
  json_object_unref (post_ok (w->operator, path, 200, body));

  /* A session with a number in its agenda and its minutes. */
  g_free (path);
  path = g_strdup_printf ("/api/v1/tickets/%s/sessions", w->ticket);
  g_free (body);
  body = g_strdup_printf ("{\"title\":\"噪音会商\",\"scheduled_at\":\"%s\",\"location\":\"社区\","
                          "\"agenda\":\"街道电话 0714-6226688\",\"invitees\":[\""
                          FQ_TEST_UNIT_STREET "\"]}", when);
  object = post_ok (w->coordinator, path, 201, body);
  w->session = g_strdup (fq_test_obj_str (object, "id"));
  g_free (path);
  path = g_strdup_printf ("/api/v1/sessions/%s/actions", w->session);
  g_free (body);
  body = g_strdup_printf ("{\"action\":\"start\",\"rev\":%" G_GINT64_FORMAT "}",
                          fq_test_obj_int (object, "rev"));
  json_object_unref (object);
  object = post_ok (w->coordinator, path, 200, body);
  g_free (body);
  body = g_strdup_printf ("{\"action\":\"minutes\",\"rev\":%" G_GINT64_FORMAT ","
                          "\"text\":\"业主手机 " M_MINUTES "\\n物业座机 0714-8123456\"}",
                          fq_test_obj_int (object, "rev"));
  json_object_unref (object);
  json_object_unref (post_ok (w->coordinator, path, 200, body));

  /* A grid worker's report. */
  object = post_ok (grid, "/api/v1/incidents", 201,
                    "{\"source\":\"grid\",\"grid\":\"" FQ_TEST_GUANGZHOULU "\","
                    "\"summary\":\"巡查发现占道\",\"description\":\"当事人号码 " M_GRID "\"}");
  g_ptr_array_add (w->incidents, g_strdup (fq_test_obj_str (object, "id")));
  json_object_unref (object);

  /* An imported work order. */
  object = post_ok (w->operator, "/api/v1/imports", 200,
                    "{\"rows\":[{\"external_id\":\"PRIV-0001\",\"grid\":\"" FQ_TEST_GUANGZHOULU "\","
                    "\"category\":\"B01\",\"summary\":\"导入：联系方式 " M_IMPORT "\","
                    "\"caller_phone\":\"" CALLER_IMPORT "\",\"caller_name\":\"市民\","
                    "\"address\":\"广州路9号\",\"received_at\":\"2026-11-20T02:00:00Z\"}],"
                    "\"dry_run\":false}");
  json_object_unref (object);

  /* An Open311 request. */
  object = post_ok (admin, "/api/v1/open311_keys", 201, "{\"name\":\"隐私扫描\"}");
  api_key = g_strdup (fq_test_obj_str (object, "api_key"));
  json_object_unref (object);
  {
    g_autoptr(GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);
    g_autofree char *encoded = NULL;
    g_autoptr(FqTestResponse) resp = NULL;

    g_hash_table_insert (form, (char *)"api_key", api_key);
    g_hash_table_insert (form, (char *)"service_code", (char *)"K04");
    g_hash_table_insert (form, (char *)"description", (char *)"路面塌陷，请回电 " M_OPEN311);
    g_hash_table_insert (form, (char *)"address_string", (char *)"广州路28号");
    g_hash_table_insert (form, (char *)"attribute[grid]", (char *)FQ_TEST_GUANGZHOULU);
    g_hash_table_insert (form, (char *)"phone", (char *)"13800001111");
    encoded = soup_form_encode_hash (form);
    resp = fq_test_client_request (w->anonymous, "POST", "/open311/v2/requests.json",
                                   "application/x-www-form-urlencoded", encoded, -1, NULL);
    fq_test_assert_status (resp, 200);
    w->open311 = g_strdup (fq_test_obj_str (json_array_get_object_element (json_node_get_array (resp->root), 0),
                                            "service_request_id"));
    g_assert_nonnull (w->open311);
  }
}

/* Fails if @text holds a planted number, a caller's number of the database
 * or anything shaped like a mobile number. */
static void
assert_no_phone (World      *w,
                 const char *what,
                 const char *text)
{
  static GRegex *mobile;
  g_autoptr(GMatchInfo) match = NULL;

  if (mobile == NULL)
    mobile = g_regex_new ("(?<![0-9])1[3-9][0-9]{9}(?![0-9])", G_REGEX_OPTIMIZE, 0, NULL);
  if (g_regex_match (mobile, text, 0, &match))
    {
      g_autofree char *found = g_match_info_fetch (match, 0);

      g_error ("%s holds the full number %s", what, found);
    }
  for (guint i = 0; i < G_N_ELEMENTS (planted); i++)
    if (strstr (text, planted[i]) != NULL)
      g_error ("%s holds the planted number %s", what, planted[i]);
  for (guint i = 0; i < w->db_phones->len; i++)
    if (strstr (text, g_ptr_array_index (w->db_phones, i)) != NULL)
      g_error ("%s holds the caller's number %s", what, (char *)g_ptr_array_index (w->db_phones, i));
}

/* The whole change feed as @client sees it, page after page. */
static char *
read_feed (FqTestClient *client)
{
  GString *all = g_string_new (NULL);
  gint64 since = 0;
  gboolean more = TRUE;

  for (guint page = 0; more && page < 1000; page++)
    {
      g_autoptr(FqTestResponse) resp = fq_test_get (client, "/api/v1/changes?since=%"
                                                    G_GINT64_FORMAT "&limit=50", since);
      JsonObject *root;

      fq_test_assert_status (resp, 200);
      root = fq_test_response_object (resp);
      more = fq_test_obj_bool (root, "more");
      since = fq_test_obj_int (root, "last_seq");
      if (more)
        {
          JsonArray *changes = fq_test_obj_array (root, "changes");
          guint n = json_array_get_length (changes);

          since = fq_test_obj_int (json_array_get_object_element (changes, n - 1), "seq");
        }
      g_string_append (all, resp->text);
      g_string_append_c (all, '\n');
    }
  g_assert_false (more);
  return g_string_free (all, FALSE);
}

/* The paths of the GET row @row: "*" becomes each record of this test of
 * its kind; each path with and without the filters every list takes. */
static void
paths_for_row (World              *w,
               const FqPermission *row,
               GPtrArray          *paths)
{
  g_autofree char *from = fq_test_time_from_now (-400 * 24 * 3600);
  g_autofree char *to = fq_test_time_from_now (24 * 3600);
  g_autoptr(GPtrArray) records = g_ptr_array_new ();

  if (strstr (row->pattern, "*") == NULL)
    g_ptr_array_add (records, NULL);
  else if (g_str_has_prefix (row->pattern, "/incidents/"))
    g_ptr_array_extend (records, w->incidents, NULL, NULL);
  else if (g_str_has_prefix (row->pattern, "/tickets/"))
    g_ptr_array_add (records, w->ticket);
  else if (g_str_has_prefix (row->pattern, "/sessions/"))
    g_ptr_array_add (records, w->session);
  else
    g_ptr_array_add (records, (char *)FQ_TEST_GUANGZHOULU);

  for (guint i = 0; i < records->len; i++)
    {
      g_autoptr(GString) path = g_string_new ("/api/v1");
      g_auto(GStrv) segments = g_strsplit (row->pattern + 1, "/", -1);

      for (guint k = 0; segments[k] != NULL; k++)
        g_string_append_printf (path, "/%s", g_str_equal (segments[k], "*")
                                               ? (char *)records->pdata[i] : segments[k]);
      g_ptr_array_add (paths, g_strdup (path->str));
      g_ptr_array_add (paths, g_strdup_printf ("%s?limit=1000&from=%s&to=%s&grid=%s&bucket=day"
                                               "&metric=incidents_total", path->str, from, to,
                                               FQ_TEST_GUANGZHOULU));
    }
}

/* Reads everything @username may read and returns it as one text, having
 * scanned each answer. */
static char *
scan_role (World      *w,
           const char *username,
           Listener   *listener)
{
  g_autoptr(FqTestClient) client = login (w, username);
  g_autoptr(FqTestResponse) me = fq_test_get (client, "/api/v1/me");
  GString *all = g_string_new (NULL);
  const FqPermission *rows;
  guint n_rows, n_read = 0;
  g_autoptr(GEnumClass) roles = g_type_class_ref (FQ_TYPE_ROLE);
  GEnumValue *role;

  fq_test_assert_status (me, 200);
  role = g_enum_get_value_by_nick (roles, fq_test_obj_str (fq_test_response_object (me), "role"));
  g_assert_nonnull (role);
  g_assert_false (role->value == FQ_ROLE_OPERATOR || role->value == FQ_ROLE_COORDINATOR);

  rows = fq_permissions_table (&n_rows);
  for (guint r = 0; r < n_rows; r++)
    {
      g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);

      if (!g_str_equal (rows[r].method, "GET") || (rows[r].flags & FQ_PERMISSION_FLAG_OWN_HANDLER) ||
          !fq_permission_allows (&rows[r], role->value))
        continue;
      paths_for_row (w, &rows[r], paths);
      for (guint i = 0; i < paths->len; i++)
        {
          g_autoptr(FqTestResponse) resp = fq_test_get (client, "%s", (char *)paths->pdata[i]);
          g_autofree char *what = g_strdup_printf ("GET %s as %s (%u)", (char *)paths->pdata[i],
                                                   username, resp->status);

          g_test_message ("%s", what);
          g_assert_cmpuint (resp->status, <, 500);
          assert_no_phone (w, what, resp->text);
          n_read += resp->status == 200;
          g_string_append (all, resp->text);
          g_string_append_c (all, '\n');
        }
    }
  /* The scan reads answers, not only refusals. */
  g_assert_cmpuint (n_read, >=, 10);

  {
    g_autofree char *feed = read_feed (client);
    g_autofree char *what = g_strdup_printf ("/changes as %s", username);

    assert_no_phone (w, what, feed);
    g_string_append (all, feed);
  }

  /* The WebSocket carried the planted writes, masked. */
  g_assert_true (wait_for_frame (listener, "139****5678"));
  for (guint k = 0; k < listener->frames->len; k++)
    {
      g_autofree char *what = g_strdup_printf ("an /events frame to %s", username);

      assert_no_phone (w, what, g_ptr_array_index (listener->frames, k));
      g_string_append (all, g_ptr_array_index (listener->frames, k));
    }
  return g_string_free (all, FALSE);
}

/* Whether @path (a list) answers, in its array @member, the row @id. */
static gboolean
search_finds (FqTestClient *client,
              const char   *path,
              const char   *member,
              const char   *id)
{
  g_autoptr(FqTestResponse) resp = fq_test_get (client, "%s", path);
  JsonArray *rows;

  fq_test_assert_status (resp, 200);
  rows = fq_test_obj_array (fq_test_response_object (resp), member);
  for (guint i = 0; rows != NULL && i < json_array_get_length (rows); i++)
    if (g_strcmp0 (fq_test_obj_str (json_array_get_object_element (rows, i), "id"), id) == 0)
      return TRUE;
  return FALSE;
}

static void
test_server (void)
{
  const char *restricted[] = { "unit", "grid", "leader", "admin" };
  Listener *listeners[G_N_ELEMENTS (restricted)];
  FqTestClient *listening[G_N_ELEMENTS (restricted)];
  World world = { NULL, };
  World *w = &world;

  w->server = fq_test_server_new_demo ();
  w->operator = login (w, "operator");
  w->coordinator = login (w, "coordinator");
  w->anonymous = fq_test_client_new (fq_test_server_get_url (w->server));
  w->incidents = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < G_N_ELEMENTS (restricted); i++)
    {
      listening[i] = login (w, restricted[i]);
      listeners[i] = listen_as (w->server, listening[i]);
    }

  plant (w);
  w->db_phones = database_phones (w->server);
  g_assert_true (g_ptr_array_find_with_equal_func (w->db_phones, CALLER, g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (w->db_phones, CALLER_IMPORT, g_str_equal, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (restricted); i++)
    {
      g_autofree char *all = scan_role (w, restricted[i], listeners[i]);

      /* They read the planted texts (masked), and what is not a phone in
       * them stays as it was. */
      g_assert_nonnull (strstr (all, "139****5678"));
      g_assert_nonnull (strstr (all, "071*-***3210"));
      g_assert_nonnull (strstr (all, "+86 158 **** 5678"));
      g_assert_nonnull (strstr (all, KEEP_GRID));
      g_assert_nonnull (strstr (all, KEEP_AMOUNT));
      if (!g_str_equal (restricted[i], "unit"))
        g_assert_nonnull (strstr (all, "150****2222"));
    }

  /* Open311 answers anyone. */
  {
    const char *paths[] = { "/open311/v2/requests.json", "/open311/v2/servicerequestupdates.json",
                            NULL };
    g_autofree char *one = g_strdup_printf ("/open311/v2/requests/%s.json", w->open311);

    paths[G_N_ELEMENTS (paths) - 1] = one;
    for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
      {
        g_autoptr(FqTestResponse) resp = fq_test_get (w->anonymous, "%s", paths[i]);

        fq_test_assert_status (resp, 200);
        assert_no_phone (w, paths[i], resp->text);
      }
    {
      g_autoptr(FqTestResponse) resp = fq_test_get (w->anonymous, "%s", one);

      g_assert_nonnull (strstr (resp->text, "133****7777"));
    }
  }

  /* The operator reads every number in full: the scan could fail. */
  {
    g_autofree char *feed = read_feed (w->operator);
    g_autoptr(FqTestResponse) incident = fq_test_get (w->operator, "/api/v1/incidents/%s",
                                                      (char *)w->incidents->pdata[0]);
    g_autoptr(FqTestResponse) session = fq_test_get (w->operator, "/api/v1/sessions/%s",
                                                     w->session);
    JsonObject *object = fq_test_response_object (incident);

    g_assert_cmpstr (fq_test_obj_str (object, "caller_phone"), ==, CALLER);
    g_assert_nonnull (strstr (fq_test_obj_str (object, "summary"), M_SUMMARY));
    g_assert_nonnull (strstr (fq_test_obj_str (object, "description"), "0714-6543210"));
    g_assert_nonnull (strstr (fq_test_obj_str (object, "description"), M_PREFIXED));
    g_assert_nonnull (strstr (fq_test_obj_str (object, "triage_note"), M_TRIAGE));
    g_assert_nonnull (strstr (fq_test_obj_str (fq_test_response_object (session), "minutes"),
                              M_MINUTES));
    for (guint i = 0; i < G_N_ELEMENTS (planted); i++)
      {
        /* Typed forms only: the digits of a grouped number are not one run. */
        if (g_str_equal (planted[i], "15812345678"))
          continue;
        if (strstr (feed, planted[i]) == NULL)
          g_error ("the operator's /changes lacks %s", planted[i]);
      }
  }

  /* Searching is reading: a leader does not find the call by the hidden
   * digits of the number in its summary, the operator does, and the
   * leader still finds it by its words and by the digits it can read. */
  {
    g_autoptr(FqTestClient) leader = login (w, "leader");
    const char *id = w->incidents->pdata[0];

    g_assert_false (search_finds (leader, "/api/v1/incidents?q=9123", "incidents", id));
    g_assert_false (search_finds (leader, "/api/v1/incidents?q=" M_SUMMARY, "incidents", id));
    g_assert_true (search_finds (w->operator, "/api/v1/incidents?q=9123", "incidents", id));
    g_assert_true (search_finds (leader, "/api/v1/incidents?q=5678", "incidents", id));
    g_assert_true (search_finds (leader, "/api/v1/incidents?q=%E6%A5%BC%E4%B8%8A%E5%99%AA%E9%9F%B3",
                                 "incidents", id));
    /* The ticket's title is the call's summary. */
    {
      g_autofree char *by_id = g_strdup_printf ("/api/v1/tickets?q=%s", id);

      g_assert_false (search_finds (leader, "/api/v1/tickets?q=9123", "tickets", w->ticket));
      g_assert_true (search_finds (w->operator, "/api/v1/tickets?q=9123", "tickets", w->ticket));
      g_assert_true (search_finds (leader, by_id, "tickets", w->ticket));
    }
  }

  for (guint i = 0; i < G_N_ELEMENTS (restricted); i++)
    {
      listener_free (listeners[i]);
      fq_test_client_free (listening[i]);
    }
  g_ptr_array_unref (w->db_phones);
  g_ptr_array_unref (w->incidents);
  g_free (w->ticket);
  g_free (w->session);
  g_free (w->open311);
  fq_test_client_free (w->anonymous);
  fq_test_client_free (w->coordinator);
  fq_test_client_free (w->operator);
  fq_test_server_free (w->server);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/privacy-scan/finder", test_finder);
  g_test_add_func ("/privacy-scan/finder-fullwidth", test_finder_fullwidth);
  g_test_add_func ("/privacy-scan/text", test_text);
  g_test_add_func ("/privacy-scan/tree", test_tree);
  g_test_add_func ("/privacy-scan/random", test_random);
  g_test_add_func ("/privacy-scan/server", test_server);

  return g_test_run ();
}
