/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The change feed (API.md "Changes and live events"): paging of /changes,
 * scope filtering, and the live order: four writers post 2,000 incidents at
 * once while a fifth client catches up with /changes and then listens on
 * /events; it must apply every seq exactly once, in order, with no gap, and
 * see all 2,000 incidents. Then /events on its own: a replay from a seq
 * that spans several pages while incidents are posted, a session's end
 * closing its feeds, a plain GET, and a shutdown with feeds open.
 */

#include "config.h"

#include <string.h>

#include "fq-test-server.h"

#define LIVE_WRITERS   4
#define LIVE_PER_WRITER 500

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

/* Reads every change after @since; calls @func for each. Returns last_seq. */
typedef void (*ChangeFunc) (JsonObject *change,
                            gpointer    user_data);

static gint64
catch_up (FqTestClient *client,
          gint64        since,
          guint         limit,
          ChangeFunc    func,
          gpointer      user_data)
{
  for (guint page = 0; page < 100000; page++)
    {
      g_autoptr(FqTestResponse) resp = fq_test_get (client, "/changes?since=%" G_GINT64_FORMAT "&limit=%u", since, limit);
      JsonObject *root;
      JsonArray *changes;

      fq_test_assert_status (resp, 200);
      root = fq_test_response_object (resp);
      changes = fq_test_obj_array (root, "changes");
      g_assert_nonnull (changes);
      g_assert_true (json_object_has_member (root, "last_seq"));
      g_assert_true (json_object_has_member (root, "more"));
      g_assert_cmpuint (json_array_get_length (changes), <=, limit);

      for (guint i = 0; i < json_array_get_length (changes); i++)
        {
          JsonObject *c = json_array_get_object_element (changes, i);
          gint64 seq = fq_test_obj_int (c, "seq");

          g_assert_cmpint (seq, >, since);
          since = seq;
          func (c, user_data);
        }

      if (!fq_test_obj_bool (root, "more"))
        {
          g_assert_cmpint (fq_test_obj_int (root, "last_seq"), >=, since);
          return MAX (since, fq_test_obj_int (root, "last_seq"));
        }
      g_assert_cmpuint (json_array_get_length (changes), >, 0);
    }

  g_assert_not_reached ();
}

static void
check_change_shape (JsonObject *c)
{
  static const char *entities[] = { "incident", "ticket", "session", "event", "grid", "category", "unit", NULL };
  const char *op = fq_test_obj_str (c, "op");

  g_assert_cmpint (fq_test_obj_int (c, "seq"), >, 0);
  g_assert_true (g_strv_contains (entities, fq_test_obj_str (c, "entity")));
  g_assert_nonnull (fq_test_obj_str (c, "id"));
  g_assert_true (g_strcmp0 (op, "upsert") == 0 || g_strcmp0 (op, "delete") == 0);
  if (g_strcmp0 (op, "upsert") == 0)
    g_assert_nonnull (fq_test_obj_obj (c, "data"));
}

typedef struct
{
  gint64      last;
  guint       count;
  GHashTable *ids;   /* entity:id */
  gboolean    contiguous;
} Collect;

static void
collect_cb (JsonObject *c,
            gpointer    user_data)
{
  Collect *col = user_data;
  gint64 seq = fq_test_obj_int (c, "seq");

  check_change_shape (c);
  if (col->last != 0 && seq != col->last + 1)
    col->contiguous = FALSE;
  col->last = seq;
  col->count++;
  if (col->ids != NULL)
    g_hash_table_add (col->ids, g_strdup_printf ("%s:%s", fq_test_obj_str (c, "entity"), fq_test_obj_str (c, "id")));
}

static void
test_paging (Fixture       *f,
             gconstpointer  data)
{
  Collect small = { 0, 0, NULL, TRUE };
  Collect big = { 0, 0, NULL, TRUE };
  gint64 last_small, last_big, health;

  /* Some changes of our own first. */
  for (guint i = 0; i < 7; i++)
    json_object_unref (fq_test_create_incident (f->w->operator, FQ_TEST_GUANGZHOULU, NULL));
  health = fq_test_last_seq (f->w->leader);

  last_small = catch_up (f->w->leader, 0, 3, collect_cb, &small);
  last_big = catch_up (f->w->leader, 0, 1000, collect_cb, &big);
  g_assert_cmpint (last_small, ==, health);
  g_assert_cmpint (last_big, ==, health);
  g_assert_cmpuint (small.count, ==, big.count);
  g_assert_cmpint (small.last, ==, health);
  /* A city-wide reader sees the whole feed: seq has no gap. */
  g_assert_true (small.contiguous);
  g_assert_cmpuint (big.count, ==, health);

  /* Limits and the end of the feed. */
  {
    g_autoptr(FqTestResponse) one = fq_test_get (f->w->leader, "/changes?since=0&limit=1");
    g_autoptr(FqTestResponse) end = fq_test_get (f->w->leader, "/changes?since=%" G_GINT64_FORMAT, health);
    g_autoptr(FqTestResponse) beyond = fq_test_get (f->w->leader, "/changes?since=%" G_GINT64_FORMAT, health + 1000);
    g_autoptr(FqTestResponse) dflt = fq_test_get (f->w->leader, "/changes?since=0");
    JsonObject *o = fq_test_response_object (one);

    fq_test_assert_status (one, 200);
    g_assert_cmpuint (json_array_get_length (fq_test_obj_array (o, "changes")), ==, 1);
    g_assert_cmpint (fq_test_obj_int (json_array_get_object_element (fq_test_obj_array (o, "changes"), 0), "seq"), ==, 1);
    g_assert_true (fq_test_obj_bool (o, "more"));
    g_assert_cmpint (fq_test_obj_int (o, "last_seq"), >=, health);

    fq_test_assert_status (end, 200);
    g_assert_cmpuint (json_array_get_length (fq_test_obj_array (fq_test_response_object (end), "changes")), ==, 0);
    g_assert_false (fq_test_obj_bool (fq_test_response_object (end), "more"));
    fq_test_assert_status (beyond, 200);
    g_assert_cmpuint (json_array_get_length (fq_test_obj_array (fq_test_response_object (beyond), "changes")), ==, 0);

    fq_test_assert_status (dflt, 200);
    g_assert_cmpuint (json_array_get_length (fq_test_obj_array (fq_test_response_object (dflt), "changes")), <=, 100);
  }

  /* Bad parameters. */
  {
    static const char *bad[][2] = {
      { "/changes?since=abc", "since" },
      { "/changes?since=-1", "since" },
      { "/changes?since=0&limit=0", "limit" },
      { "/changes?since=0&limit=1001", "limit" },
      { "/changes?since=0&limit=x", "limit" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(FqTestResponse) resp = fq_test_get (f->w->leader, "%s", bad[i][0]);

        fq_test_assert_error (resp, 400, "bad_request");
        g_assert_cmpstr (fq_test_response_error_field (resp), ==, bad[i][1]);
      }
  }
}

static void
test_scope (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(FqTestClient) xialu = fq_test_create_user (f->w->admin, "operator", FQ_TEST_XIALU, NULL, NULL);
  g_autofree char *other_unit = fq_test_pick_unit (f->w->operator, "420204", FQ_TEST_UNIT_STREET);
  g_autoptr(FqTestClient) other_unit_user = NULL;
  g_autoptr(FqTestResponse) grid = fq_test_get (f->w->operator, "/grid");
  g_autofree char *hsg = NULL;
  gint64 since = fq_test_last_seq (f->w->operator);
  g_autoptr(JsonObject) in = NULL;
  g_autoptr(JsonObject) out = NULL;
  g_autoptr(JsonObject) ticket = NULL;
  g_autoptr(JsonObject) other_ticket = NULL;
  Collect cx = { 0, 0, g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL), TRUE };
  Collect cu = { 0, 0, g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL), TRUE };
  Collect co = { 0, 0, g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL), TRUE };
  Collect cl = { 0, 0, g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL), TRUE };
  JsonArray *nodes = fq_test_obj_array (fq_test_response_object (grid), "nodes");

  for (guint i = 0; nodes != NULL && i < json_array_get_length (nodes) && hsg == NULL; i++)
    {
      JsonObject *n = json_array_get_object_element (nodes, i);

      if (g_strcmp0 (fq_test_obj_str (n, "level"), "community") == 0
          && g_str_has_prefix (fq_test_obj_str (n, "code"), "420202"))
        hsg = g_strdup (fq_test_obj_str (n, "code"));
    }
  g_assert_nonnull (hsg);
  g_assert_nonnull (other_unit);
  other_unit_user = fq_test_create_user (f->w->admin, "unit", FQ_TEST_XIALU, other_unit, NULL);
  since = fq_test_last_seq (f->w->operator);

  in = fq_test_create_incident (f->w->operator, FQ_TEST_GUANGZHOULU, NULL);
  out = fq_test_create_incident (f->w->operator, hsg, NULL);
  ticket = fq_test_create_ticket (f->w->operator, f->w->operator, FQ_TEST_GUANGZHOULU,
                                  fq_test_obj_str (fq_test_pick_category (f->w->operator, FALSE, 3), "code"),
                                  FQ_TEST_UNIT_STREET);
  other_ticket = fq_test_create_ticket (f->w->operator, f->w->operator, FQ_TEST_GUANGZHOULU,
                                        fq_test_obj_str (fq_test_pick_category (f->w->operator, FALSE, 3), "code"),
                                        other_unit);

  catch_up (xialu, since, 1000, collect_cb, &cx);
  catch_up (f->w->unit, since, 1000, collect_cb, &cu);
  catch_up (other_unit_user, since, 1000, collect_cb, &co);
  catch_up (f->w->leader, since, 1000, collect_cb, &cl);

#define SEEN(col, entity, obj) \
  ({ g_autofree char *seen_key_ = g_strdup_printf ("%s:%s", entity, fq_test_obj_str (obj, "id")); \
     g_hash_table_contains ((col).ids, seen_key_); })

  /* The city-wide leader sees all of it. */
  g_assert_true (SEEN (cl, "incident", in));
  g_assert_true (SEEN (cl, "incident", out));
  g_assert_true (SEEN (cl, "ticket", ticket));
  g_assert_true (SEEN (cl, "ticket", other_ticket));
  g_assert_true (cl.contiguous);

  /* 下陆区 sees its own district only. */
  g_assert_true (SEEN (cx, "incident", in));
  g_assert_false (SEEN (cx, "incident", out));
  g_assert_true (SEEN (cx, "ticket", ticket));
  g_assert_cmpuint (cx.count, <, cl.count);

  /* Unit staff see their own unit's tickets, not another unit's. */
  g_assert_true (SEEN (cu, "ticket", ticket));
  g_assert_false (SEEN (cu, "ticket", other_ticket));
  g_assert_false (SEEN (cu, "incident", out));
  g_assert_true (SEEN (co, "ticket", other_ticket));
  g_assert_false (SEEN (co, "ticket", ticket));

  g_hash_table_unref (cx.ids);
  g_hash_table_unref (cu.ids);
  g_hash_table_unref (co.ids);
  g_hash_table_unref (cl.ids);
}

/* ---- connecting to /events ---- */

typedef struct
{
  SoupWebsocketConnection *ws;
  GError                  *error;
  gboolean                 done;
} Connecting;

static void
events_connect_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Connecting *c = user_data;

  c->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &c->error);
  if (c->ws == NULL && c->error == NULL)
    c->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "no connection");
  c->done = TRUE;
}

/* Opens /events (?since=@since unless negative) on @client's session, with
 * its token unless @with_token is FALSE, running the loop until the
 * handshake ends (20 s at most). Returns the connection, or NULL with
 * @error set; @status (may be NULL) is the HTTP status of the handshake. */
static SoupWebsocketConnection *
events_connect (FqTestClient  *client,
                gboolean       with_token,
                gint64         since,
                guint         *status,
                GError       **error)
{
  const char *url = fq_test_client_get_url (client);
  g_autofree char *ws_url = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  Connecting c = { NULL, NULL, FALSE };
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  if (since >= 0)
    ws_url = g_strdup_printf ("ws%s/api/v1/events?since=%" G_GINT64_FORMAT, url + strlen ("http"), since);
  else
    ws_url = g_strdup_printf ("ws%s/api/v1/events", url + strlen ("http"));
  msg = soup_message_new ("GET", ws_url);
  if (with_token)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", fq_test_client_get_token (client));

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  soup_session_websocket_connect_async (fq_test_client_get_session (client), msg, NULL, NULL,
                                        G_PRIORITY_DEFAULT, NULL, events_connect_cb, &c);
  while (!c.done && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  if (!c.done)
    g_error ("/events: no answer to the handshake in 20 s");
  if (status != NULL)
    *status = soup_message_get_status (msg);
  if (c.error != NULL)
    g_propagate_error (error, c.error);
  return c.ws;
}

/* ---- live order ---- */

typedef struct
{
  const char *url;
  const char *token;
  guint       index;
  GPtrArray  *ids;      /* incident ids answered 201 */
  guint       failures;
} Writer;

/* Writers sign in first, then all start together, so that the reader's
 * catch-up runs while they write. */
static gint writers_ready;
static gint writers_go;
static gint writers_done;

static gpointer
writer_thread (gpointer data)
{
  Writer *w = data;
  g_autoptr(FqTestClient) c = fq_test_client_new (w->url);

  /* Each thread has its own session (its own connection), all signed in
   * as the operator. */
  fq_test_client_set_token (c, w->token);
  g_atomic_int_inc (&writers_ready);
  for (guint i = 0; i < 30000 && !g_atomic_int_get (&writers_go); i++)
    g_usleep (1000);

  for (guint i = 0; i < LIVE_PER_WRITER; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"source\":\"110\",\"grid\":\"%s\",\"summary\":\"实时 %u-%u %08x\"}",
                                               FQ_TEST_GUANGZHOULU, w->index, i, g_random_int ());
      g_autoptr(FqTestResponse) resp = fq_test_post (c, "/incidents", body);

      if (resp->status == 201 && fq_test_obj_str (fq_test_response_object (resp), "id") != NULL)
        g_ptr_array_add (w->ids, g_strdup (fq_test_obj_str (fq_test_response_object (resp), "id")));
      else
        w->failures++;
    }

  g_atomic_int_inc (&writers_done);
  return NULL;
}

typedef struct
{
  FqTestClient  *client;
  gint64         applied;         /* the last seq applied */
  guint          duplicates_at_join;
  guint          out_of_order;
  guint          gaps;
  guint          recaught;
  gboolean       stream_started;
  gint64         ws_prev;         /* the seq of the previous frame */
  guint          ws_frames;
  guint          ws_disorder;     /* frames that were not the previous + 1 */
  GHashTable    *incidents;       /* ids seen as incident upserts */
  GHashTable    *seqs;            /* every seq applied */
  SoupWebsocketConnection *ws;
  GError        *error;
  gboolean       closed;
} Listener;

static void
apply (Listener   *l,
       JsonObject *c)
{
  gint64 seq = fq_test_obj_int (c, "seq");

  g_assert_cmpint (seq, ==, l->applied + 1);
  g_assert_false (g_hash_table_contains (l->seqs, GINT_TO_POINTER (seq)));
  g_hash_table_add (l->seqs, GINT_TO_POINTER (seq));
  l->applied = seq;
  if (g_strcmp0 (fq_test_obj_str (c, "entity"), "incident") == 0)
    g_hash_table_add (l->incidents, g_strdup (fq_test_obj_str (c, "id")));
}

static void
apply_cb (JsonObject *c,
          gpointer    user_data)
{
  apply (user_data, c);
}

static void
message_cb (SoupWebsocketConnection *ws,
            int                      type,
            GBytes                  *message,
            gpointer                 user_data)
{
  Listener *l = user_data;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  gsize len;
  const char *text = g_bytes_get_data (message, &len);
  JsonObject *c;
  gint64 seq;

  g_assert_cmpint (type, ==, SOUP_WEBSOCKET_DATA_TEXT);
  g_assert_true (json_parser_load_from_data (parser, text, len, NULL));
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  c = json_node_get_object (json_parser_get_root (parser));
  check_change_shape (c);
  seq = fq_test_obj_int (c, "seq");

  /* The server's own promise: one frame per change, in seq order, none
   * skipped, from the first frame it sends on. */
  if (l->ws_prev != 0 && seq != l->ws_prev + 1)
    {
      if (l->ws_disorder++ < 5)
        g_test_message ("frame %" G_GINT64_FORMAT " after frame %" G_GINT64_FORMAT, seq, l->ws_prev);
    }
  l->ws_prev = seq;
  l->ws_frames++;

  if (!l->stream_started)
    {
      /* Joining: changes committed while we connected may come again, and
       * some may have been missed; catch up once to close the gap. */
      if (seq <= l->applied)
        {
          l->duplicates_at_join++;
          return;
        }
      if (seq > l->applied + 1)
        {
          l->recaught++;
          catch_up (l->client, l->applied, 1000, apply_cb, l);
          if (seq <= l->applied)
            {
              l->duplicates_at_join++;
              return;
            }
        }
      l->stream_started = TRUE;
    }
  else if (seq <= l->applied)
    {
      l->out_of_order++;
      return;
    }
  else if (seq > l->applied + 1)
    {
      l->gaps++;
      catch_up (l->client, l->applied, 1000, apply_cb, l);
      if (seq <= l->applied)
        return;
    }

  apply (l, c);
}

static void
closed_cb (SoupWebsocketConnection *ws,
           gpointer                 user_data)
{
  ((Listener *)user_data)->closed = TRUE;
}

static void
test_live_order (Fixture       *f,
                 gconstpointer  data)
{
  const char *url = fq_test_server_get_url (f->w->server);
  Writer writers[LIVE_WRITERS];
  GThread *threads[LIVE_WRITERS];
  Listener l = { 0 };
  guint total = 0, failures = 0;
  gint64 target, deadline;
  GMainContext *ctx = g_main_context_default ();

  l.client = f->w->leader;
  l.incidents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  l.seqs = g_hash_table_new (NULL, NULL);

  for (guint i = 0; i < LIVE_WRITERS; i++)
    {
      writers[i] = (Writer) { url, fq_test_client_get_token (f->w->operator), i,
                              g_ptr_array_new_with_free_func (g_free), 0 };
      threads[i] = g_thread_new ("writer", writer_thread, &writers[i]);
    }

  /* Catch up from the start while the writers write, then listen. */
  for (guint i = 0; i < 30000 && g_atomic_int_get (&writers_ready) < LIVE_WRITERS; i++)
    g_usleep (1000);
  g_atomic_int_set (&writers_go, 1);
  g_usleep (20 * 1000);
  catch_up (l.client, 0, 1000, apply_cb, &l);
  g_test_message ("caught up to %" G_GINT64_FORMAT, l.applied);

  l.ws = events_connect (l.client, TRUE, -1, NULL, &l.error);
  g_assert_no_error (l.error);
  g_assert_nonnull (l.ws);
  g_signal_connect (l.ws, "message", G_CALLBACK (message_cb), &l);
  g_signal_connect (l.ws, "closed", G_CALLBACK (closed_cb), &l);

  /* Listen while they write. */
  deadline = g_get_monotonic_time () + 90 * G_USEC_PER_SEC;
  while (g_atomic_int_get (&writers_done) < LIVE_WRITERS && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (ctx, FALSE))
        g_usleep (500);
    }

  for (guint i = 0; i < LIVE_WRITERS; i++)
    {
      g_thread_join (threads[i]);
      total += writers[i].ids->len;
      failures += writers[i].failures;
    }
  g_assert_cmpuint (failures, ==, 0);
  g_assert_cmpuint (total, ==, LIVE_WRITERS * LIVE_PER_WRITER);

  /* Everything written must arrive live, without another catch-up. */
  target = fq_test_last_seq (l.client);
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (l.applied < target && !l.closed && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (ctx, FALSE))
        g_usleep (1000);
    }

  g_test_message ("applied %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT "; %u frames; duplicates at join %u, "
                  "re-catch-ups at join %u",
                  l.applied, target, l.ws_frames, l.duplicates_at_join, l.recaught);
  g_assert_false (l.closed);
  g_assert_cmpint (l.applied, ==, target);
  g_assert_cmpuint (g_hash_table_size (l.seqs), ==, (guint)target);
  g_assert_cmpuint (l.out_of_order, ==, 0);
  g_assert_cmpuint (l.gaps, ==, 0);
  g_assert_cmpuint (l.ws_disorder, ==, 0);
  g_assert_cmpuint (l.ws_frames, >, 0);
  /* The last frame is the last change: the stream caught up by itself. */
  g_assert_cmpint (l.ws_prev, ==, target);

  for (guint i = 0; i < LIVE_WRITERS; i++)
    {
      for (guint j = 0; j < writers[i].ids->len; j++)
        if (!g_hash_table_contains (l.incidents, g_ptr_array_index (writers[i].ids, j)))
          g_error ("incident %s was never seen in the feed", (char *)g_ptr_array_index (writers[i].ids, j));
      g_ptr_array_unref (writers[i].ids);
    }

  soup_websocket_connection_close (l.ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!l.closed && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (ctx, FALSE))
        g_usleep (1000);
    }
  g_clear_object (&l.ws);
  g_hash_table_unref (l.incidents);
  g_hash_table_unref (l.seqs);
}

static void
test_events_needs_token (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(FqTestClient) c = fq_test_client_new (fq_test_server_get_url (f->w->server));
  g_autoptr(GError) error = NULL;
  guint status = 0;

  g_assert_null (events_connect (c, FALSE, -1, &status, &error));
  g_assert_nonnull (error);
  g_assert_cmpuint (status, ==, 401);
}

typedef struct
{
  GHashTable              *ids;   /* entity:id of every frame */
  SoupWebsocketConnection *ws;
  GError                  *error;
} ScopeListener;

static void
scope_message_cb (SoupWebsocketConnection *ws,
                  int                      type,
                  GBytes                  *message,
                  gpointer                 user_data)
{
  ScopeListener *l = user_data;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  gsize len;
  const char *text = g_bytes_get_data (message, &len);
  JsonObject *c;

  g_assert_true (json_parser_load_from_data (parser, text, len, NULL));
  c = json_node_get_object (json_parser_get_root (parser));
  check_change_shape (c);
  g_hash_table_add (l->ids, g_strdup_printf ("%s:%s", fq_test_obj_str (c, "entity"), fq_test_obj_str (c, "id")));
}

/* The live feed is filtered by scope exactly as /changes is. */
static void
test_events_scope (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(FqTestClient) xialu = fq_test_create_user (f->w->admin, "operator", FQ_TEST_XIALU, NULL, NULL);
  g_autoptr(FqTestResponse) grid = fq_test_get (f->w->operator, "/grid");
  JsonArray *nodes = fq_test_obj_array (fq_test_response_object (grid), "nodes");
  g_autoptr(JsonObject) out = NULL;
  g_autoptr(JsonObject) in = NULL;
  g_autofree char *out_key = NULL;
  g_autofree char *in_key = NULL;
  const char *hsg = NULL;
  ScopeListener l = { g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL), NULL, NULL };
  gint64 deadline;

  for (guint i = 0; nodes != NULL && i < json_array_get_length (nodes) && hsg == NULL; i++)
    {
      JsonObject *n = json_array_get_object_element (nodes, i);

      if (g_strcmp0 (fq_test_obj_str (n, "level"), "community") == 0
          && g_str_has_prefix (fq_test_obj_str (n, "code"), "420202"))
        hsg = fq_test_obj_str (n, "code");
    }
  g_assert_nonnull (hsg);

  l.ws = events_connect (xialu, TRUE, -1, NULL, &l.error);
  g_assert_no_error (l.error);
  g_assert_nonnull (l.ws);
  g_signal_connect (l.ws, "message", G_CALLBACK (scope_message_cb), &l);

  /* Outside first, inside second: seeing the second means the first would
   * have been seen already, had it been sent. */
  out = fq_test_create_incident (f->w->operator, hsg, NULL);
  in = fq_test_create_incident (f->w->operator, FQ_TEST_GUANGZHOULU, NULL);
  out_key = g_strdup_printf ("incident:%s", fq_test_obj_str (out, "id"));
  in_key = g_strdup_printf ("incident:%s", fq_test_obj_str (in, "id"));

  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (!g_hash_table_contains (l.ids, in_key) && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_assert_true (g_hash_table_contains (l.ids, in_key));
  g_assert_false (g_hash_table_contains (l.ids, out_key));

  soup_websocket_connection_close (l.ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&l.ws);
  g_hash_table_unref (l.ids);
}

/* ---- /events: replay, revocation, shutdown ---- */

/* A WebSocket on /events that keeps the seq of every frame. */
typedef struct
{
  SoupWebsocketConnection *ws;
  GArray                  *seqs;     /* gint64, in the order received */
  gboolean                 closed;
} Feed;

static void
feed_message_cb (SoupWebsocketConnection *ws,
                 int                      type,
                 GBytes                  *message,
                 gpointer                 user_data)
{
  Feed *feed = user_data;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  gsize len;
  const char *text = g_bytes_get_data (message, &len);
  JsonObject *c;
  gint64 seq;

  g_assert_true (json_parser_load_from_data (parser, text, len, NULL));
  c = json_node_get_object (json_parser_get_root (parser));
  check_change_shape (c);
  seq = fq_test_obj_int (c, "seq");
  g_array_append_val (feed->seqs, seq);
}

static void
feed_closed_cb (SoupWebsocketConnection *ws,
                gpointer                 user_data)
{
  ((Feed *)user_data)->closed = TRUE;
}

/* Opens /events as @client (?since=@since unless negative); asserts. */
static Feed *
feed_open (FqTestClient *client,
           gint64        since)
{
  g_autoptr(GError) error = NULL;
  Feed *feed = g_new0 (Feed, 1);

  feed->seqs = g_array_new (FALSE, FALSE, sizeof (gint64));
  feed->ws = events_connect (client, TRUE, since, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (feed->ws, "message", G_CALLBACK (feed_message_cb), feed);
  g_signal_connect (feed->ws, "closed", G_CALLBACK (feed_closed_cb), feed);
  return feed;
}

static gint64
feed_last (Feed *feed)
{
  return feed->seqs->len > 0 ? g_array_index (feed->seqs, gint64, feed->seqs->len - 1) : -1;
}

/* Runs the loop until @feed has received @seq or closed, at most 60 s. */
static void
feed_wait_for (Feed   *feed,
               gint64  seq)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (feed_last (feed) < seq && !feed->closed && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
}

static void
feed_wait_closed (Feed *feed)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (!feed->closed && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
}

static void
feed_free (Feed *feed)
{
  if (feed->ws != NULL)
    {
      if (soup_websocket_connection_get_state (feed->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        {
          soup_websocket_connection_close (feed->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
          feed_wait_closed (feed);
        }
      g_signal_handlers_disconnect_by_data (feed->ws, feed);
      g_object_unref (feed->ws);
    }
  g_array_unref (feed->seqs);
  g_free (feed);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Feed, feed_free)

typedef struct
{
  const char *url;
  const char *token;
  guint       count;
  guint       failures;
} Poster;

static gpointer
poster_thread (gpointer data)
{
  Poster *p = data;
  g_autoptr(FqTestClient) c = fq_test_client_new (p->url);

  fq_test_client_set_token (c, p->token);
  for (guint i = 0; i < p->count; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"source\":\"110\",\"grid\":\"%s\",\"summary\":\"重放 %u %08x\"}",
                                               FQ_TEST_GUANGZHOULU, i, g_random_int ());
      g_autoptr(FqTestResponse) resp = fq_test_post (c, "/incidents", body);

      if (resp->status != 201)
        p->failures++;
    }
  return NULL;
}

static void
collect_seq_cb (JsonObject *change,
                gpointer    user_data)
{
  gint64 seq = fq_test_obj_int (change, "seq");

  g_array_append_val ((GArray *)user_data, seq);
}

/* /events?since=0 replays, page by page, everything the caller may see,
 * then goes on live; incidents posted meanwhile arrive once each, in order,
 * whether they land in the replay or after it. Exactly what /changes gives
 * the same caller from 0. */
static void
test_events_replay (Fixture       *f,
                    gconstpointer  data)
{
  Poster poster = { fq_test_server_get_url (f->w->server),
                    fq_test_client_get_token (f->w->operator), 300, 0 };
  g_autoptr(GArray) expected = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(Feed) feed = NULL;
  GThread *thread;
  gint64 last;

  thread = g_thread_new ("poster", poster_thread, &poster);
  feed = feed_open (f->w->leader, 0);
  g_thread_join (thread);
  g_assert_cmpuint (poster.failures, ==, 0);

  last = catch_up (f->w->leader, 0, 1000, collect_seq_cb, expected);
  /* More than one page of the replay (FQ_WS_REPLAY_PAGE, 2,000). */
  g_assert_cmpuint (expected->len, >, 2000);
  feed_wait_for (feed, g_array_index (expected, gint64, expected->len - 1));
  g_test_message ("%u frames, the last %" G_GINT64_FORMAT "; /changes: %u, last_seq %" G_GINT64_FORMAT,
                  feed->seqs->len, feed_last (feed), expected->len, last);

  g_assert_false (feed->closed);
  g_assert_cmpuint (feed->seqs->len, ==, expected->len);
  for (guint i = 0; i < expected->len; i++)
    g_assert_cmpint (g_array_index (feed->seqs, gint64, i), ==, g_array_index (expected, gint64, i));

  /* And live after it. */
  {
    g_autoptr(JsonObject) more = fq_test_create_incident (f->w->operator, FQ_TEST_GUANGZHOULU, NULL);
    gint64 now = fq_test_last_seq (f->w->leader);

    g_assert_nonnull (more);
    feed_wait_for (feed, now);
    g_assert_cmpint (feed_last (feed), ==, now);
    for (guint i = 1; i < feed->seqs->len; i++)
      g_assert_cmpint (g_array_index (feed->seqs, gint64, i), >, g_array_index (feed->seqs, gint64, i - 1));
  }
}

/* A session that ends ends its feeds (code 4001), and only its own. */
static void
test_events_revoke (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(FqTestClient) user = fq_test_create_user (f->w->admin, "operator", FQ_TEST_XIALU, NULL, NULL);
  g_autoptr(Feed) mine = feed_open (user, -1);
  g_autoptr(Feed) other = feed_open (f->w->leader, -1);
  g_autoptr(FqTestResponse) out = fq_test_post (user, "/auth/logout", NULL);
  g_autoptr(JsonObject) after = NULL;
  gint64 seq;

  fq_test_assert_status (out, 204);
  feed_wait_closed (mine);
  g_assert_true (mine->closed);
  g_assert_cmpuint (soup_websocket_connection_get_close_code (mine->ws), ==, 4001);

  after = fq_test_create_incident (f->w->operator, FQ_TEST_GUANGZHOULU, NULL);
  seq = fq_test_last_seq (f->w->leader);
  feed_wait_for (other, seq);
  g_assert_false (other->closed);
  g_assert_cmpint (feed_last (other), ==, seq);
}

/* GET /events without the upgrade: the API's error object. */
static void
test_events_plain_get (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(FqTestResponse) resp = fq_test_get (f->w->leader, "/events");

  fq_test_assert_error (resp, 400, "bad_request");
}

/* SIGTERM with feeds open: each is told (1001, going away) and the server
 * ends cleanly, without waiting for peers that do not answer. */
static void
test_events_shutdown (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(FqTestServer) server = fq_test_server_new_demo ();
  g_autoptr(FqTestClient) leader = fq_test_client_new_login (fq_test_server_get_url (server),
                                                             "leader", FQ_TEST_DEMO_PASSWORD);
  g_autoptr(Feed) a = feed_open (leader, 0);
  g_autoptr(Feed) b = feed_open (leader, -1);
  gint64 start;

  start = g_get_monotonic_time ();
  g_assert_true (fq_test_server_stop (server));
  g_test_message ("stopped in %.2f s", (g_get_monotonic_time () - start) / 1e6);
  g_assert_cmpint (fq_test_server_get_exit_status (server), ==, 0);

  feed_wait_closed (a);
  feed_wait_closed (b);
  g_assert_true (a->closed);
  g_assert_true (b->closed);
  g_assert_cmpuint (soup_websocket_connection_get_close_code (a->ws), ==, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
  g_assert_cmpuint (soup_websocket_connection_get_close_code (b->ws), ==, SOUP_WEBSOCKET_CLOSE_GOING_AWAY);
}

static void
drop_log (const char     *domain,
          GLogLevelFlags  level,
          const char     *message,
          gpointer        user_data)
{
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  fq_test_require_server_binary ();
  /* libsoup's WebSocket debug output would drown the test log. */
  g_log_set_handler ("libsoup", G_LOG_LEVEL_DEBUG, drop_log, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/server/changes/paging", test_paging);
  ADD ("/server/changes/scope", test_scope);
  ADD ("/server/changes/events-needs-token", test_events_needs_token);
  ADD ("/server/changes/events-scope", test_events_scope);
  ADD ("/server/changes/events-replay", test_events_replay);
  ADD ("/server/changes/events-revoke", test_events_revoke);
  ADD ("/server/changes/events-plain-get", test_events_plain_get);
  ADD ("/server/changes/events-shutdown", test_events_shutdown);
  ADD ("/server/changes/live-order", test_live_order);

  ret = g_test_run ();
  fq_test_world_free ();

  return ret;
}
