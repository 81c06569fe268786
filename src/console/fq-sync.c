/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Data"

#include "config.h"

#include "fq-cache-private.h"
#include "fq-error.h"
#include "fq-json.h"
#include "fq-sync.h"

#define PAGE_LIMIT 1000
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000
/* Live frames are gathered for a moment so that a burst is parsed as one
 * batch and becomes one transaction and one update of the models. */
#define FRAMES_DELAY_MS 40
#define FRAMES_MAX 1000
/* A live feed that has been quiet this long is checked against /changes
 * (see quiet_check_cb()). */
#define QUIET_CHECK_MS 30000

struct _FqSync
{
  GObject                  parent_instance;

  FqClient                *client;
  FqCache                 *cache;

  GCancellable            *cancellable;   /* of the current connection attempt */
  SoupWebsocketConnection *ws;
  GPtrArray               *frames;        /* GBytes: live frames not parsed yet */
  guint                    generation;    /* of the connection, for the frames being parsed */
  JsonArray               *buffer;        /* live changes, parsed, not yet applied */
  gint64                   expected_seq;  /* highest seq seen (applied or buffered) */
  gint64                   next_since;    /* where the next /changes page starts */
  gint64                   progress_from; /* the cache's last seq when this catch-up began */
  gint64                   server_seq;    /* the server's last seq as last heard, -1: not yet */

  guint                    retry_id;
  gint64                   retry_at;      /* monotonic µs */
  guint                    frames_id;
  guint                    quiet_id;
  guint                    quiet_ms;
  gint64                   last_heard;    /* monotonic µs: a frame, the socket's start or a check */
  gint64                   suspect_seq;   /* a change /changes has that the feed has not sent yet */
  guint                    attempt;
  guint                    applies_in_flight;

  FqSyncState              state;
  gint64                   offline_since;

  guint                    running : 1;
  guint                    catching_up : 1;
  guint                    filling : 1;      /* catching up from an empty cache */
  guint                    more_pages : 1;   /* the last page said more */
  guint                    ws_wanted : 1;    /* open the socket when applies are done */
  guint                    checking : 1;     /* a quiet check is in flight */
  guint                    parsing : 1;      /* a batch of frames is on a worker */
};

enum {
  PROP_0,
  PROP_STATE,
  PROP_OFFLINE_SINCE,
  PROP_LAST_SEQ,
  PROP_CATCHING_UP,
  PROP_FILLING,
  PROP_PROGRESS,
  N_PROPS
};

enum {
  CAUGHT_UP,
  ERROR,
  CACHE_RESET,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (FqSync, fq_sync, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (FqSyncState, fq_sync_state,
                    G_DEFINE_ENUM_VALUE (FQ_SYNC_STATE_OFFLINE, "offline"),
                    G_DEFINE_ENUM_VALUE (FQ_SYNC_STATE_CONNECTING, "connecting"),
                    G_DEFINE_ENUM_VALUE (FQ_SYNC_STATE_ONLINE, "online"))

static void fetch_page (FqSync *self);
static void connect_now (FqSync *self);
static void flush_buffer (FqSync *self);

static void
set_state (FqSync      *self,
           FqSyncState  state)
{
  if (self->state == state)
    return;

  g_debug ("Sync: %s → %s",
           g_enum_get_value (g_type_class_peek (FQ_TYPE_SYNC_STATE), self->state)->value_nick,
           g_enum_get_value (g_type_class_peek (FQ_TYPE_SYNC_STATE), state)->value_nick);

  self->state = state;

  if (state == FQ_SYNC_STATE_ONLINE && self->offline_since != 0)
    {
      self->offline_since = 0;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OFFLINE_SINCE]);
    }
  else if (state == FQ_SYNC_STATE_OFFLINE && self->offline_since == 0)
    {
      self->offline_since = g_get_real_time ();
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OFFLINE_SINCE]);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_filling (FqSync   *self,
             gboolean  filling)
{
  fq_cache_set_filling (self->cache, filling);
  if (self->filling == !!filling)
    return;
  self->filling = !!filling;
  g_debug ("Sync: %s", filling ? "filling a new cache" : "the new cache is whole");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILLING]);
}

/* The progress of a catch-up runs from the cache's last seq when it began
 * (again from 0 once the cache is emptied) to the server's last seq. */
static void
restart_progress (FqSync *self)
{
  self->progress_from = fq_cache_get_last_seq (self->cache);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
}

static void
note_server_seq (FqSync *self,
                 gint64  server_seq)
{
  if (server_seq <= self->server_seq)
    return;
  self->server_seq = server_seq;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
}

static void
set_catching_up (FqSync   *self,
                 gboolean  catching_up)
{
  if (self->catching_up == !!catching_up)
    return;
  self->catching_up = !!catching_up;
  if (catching_up)
    restart_progress (self);
  else
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CATCHING_UP]);
}

static void
drop_connection (FqSync *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  if (self->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->ws, self);
      if (soup_websocket_connection_get_state (self->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (self->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_clear_object (&self->ws);
    }

  g_clear_handle_id (&self->frames_id, g_source_remove);
  g_clear_handle_id (&self->quiet_id, g_source_remove);
  g_clear_pointer (&self->frames, g_ptr_array_unref);
  g_clear_pointer (&self->buffer, json_array_unref);
  /* A batch still being parsed belongs to this connection: dropped. */
  self->generation++;
  self->suspect_seq = 0;
  self->ws_wanted = FALSE;
  self->checking = FALSE;
  set_catching_up (self, FALSE);
}

static gboolean
retry_cb (gpointer user_data)
{
  FqSync *self = user_data;

  self->retry_id = 0;
  self->retry_at = 0;
  connect_now (self);
  return G_SOURCE_REMOVE;
}

/* Exponential backoff with ±20 % jitter, so that a hundred consoles that
 * lost the same server do not come back in lockstep. */
static void
schedule_retry (FqSync *self)
{
  guint delay;
  double jitter;

  if (!self->running)
    return;

  delay = BACKOFF_MIN_MS << MIN (self->attempt, 5);
  delay = MIN (delay, BACKOFF_MAX_MS);
  jitter = g_random_double_range (0.8, 1.2);
  delay = (guint)(delay * jitter);
  self->attempt++;

  g_clear_handle_id (&self->retry_id, g_source_remove);
  self->retry_at = g_get_monotonic_time () + (gint64)delay * 1000;
  self->retry_id = g_timeout_add (delay, retry_cb, self);
}

static void
go_offline (FqSync       *self,
            const GError *error)
{
  drop_connection (self);

  /* A refused certificate is retried like an unreachable server (the
   * outbox keeps its writes), but it will not mend itself: the operator is
   * told why (fq_client_describe_error()). */
  if (error != NULL &&
      (!fq_client_error_is_network (error) || error->domain == FQ_CLIENT_CERTIFICATE_ERROR ||
       error->domain == G_TLS_ERROR) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_debug ("Sync failed: %s", error->message);
      g_signal_emit (self, signals[ERROR], 0, error);
    }

  set_state (self, FQ_SYNC_STATE_OFFLINE);

  /* A revoked or expired token will not get better by retrying; the client
   * has emitted session-expired and the UI asks for the password. */
  if (error != NULL && g_error_matches (error, FQ_ERROR, FQ_ERROR_UNAUTHENTICATED))
    {
      self->running = FALSE;
      return;
    }

  schedule_retry (self);
}

/* ---- WebSocket --------------------------------------------------------- */

/* The frames of one connection, parsed on a worker: one change per frame,
 * in the order they came. */
typedef struct
{
  GPtrArray *frames;      /* GBytes */
  guint      generation;
  JsonArray *changes;     /* the frames that are change objects */
  GArray    *seqs;        /* gint64, the seq of each of @changes */
} FrameBatch;

static void
frame_batch_free (FrameBatch *fb)
{
  g_ptr_array_unref (fb->frames);
  g_clear_pointer (&fb->changes, json_array_unref);
  g_clear_pointer (&fb->seqs, g_array_unref);
  g_free (fb);
}

static void
parse_frames_in_thread (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  FrameBatch *fb = task_data;
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();

  fb->changes = json_array_sized_new (fb->frames->len);
  fb->seqs = g_array_sized_new (FALSE, FALSE, sizeof (gint64), fb->frames->len);
  for (guint i = 0; i < fb->frames->len; i++)
    {
      gsize len;
      const char *data = g_bytes_get_data (g_ptr_array_index (fb->frames, i), &len);
      JsonNode *root;
      gint64 seq;

      if (!json_parser_load_from_data (parser, data, len, NULL) ||
          (root = json_parser_get_root (parser)) == NULL ||
          !JSON_NODE_HOLDS_OBJECT (root))
        {
          g_debug ("Ignoring a frame that is not a change object");
          continue;
        }
      seq = fq_json_int_or (json_node_get_object (root), "seq", 0);
      json_array_add_element (fb->changes, json_parser_steal_root (parser));
      g_array_append_val (fb->seqs, seq);
    }
  g_task_return_boolean (task, TRUE);
}

static void parse_frames (FqSync *self);

static void
schedule_frames (FqSync *self)
{
  if (self->frames == NULL || self->parsing)
    return;
  if (self->frames->len >= FRAMES_MAX)
    parse_frames (self);
  else if (self->frames_id == 0)
    self->frames_id = g_timeout_add_once (FRAMES_DELAY_MS, (GSourceOnceFunc)parse_frames, self);
}

/* The changes of a batch, in seq order, go to the buffer; a gap means
 * frames were missed (or, for a user with a narrow scope, changes outside
 * it were never meant for us): /changes tells which, and the buffer waits
 * until it has. */
static void
frames_parsed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  FqSync *self = FQ_SYNC (object);
  FrameBatch *fb = g_task_get_task_data (G_TASK (result));

  self->parsing = FALSE;
  if (fb->generation != self->generation)
    {
      /* Its connection was dropped; frames of a new one may be waiting. */
      schedule_frames (self);
      return;
    }

  for (guint i = 0; i < json_array_get_length (fb->changes); i++)
    {
      gint64 seq = g_array_index (fb->seqs, gint64, i);

      if (self->buffer == NULL)
        self->buffer = json_array_new ();
      json_array_add_element (self->buffer, json_node_ref (json_array_get_element (fb->changes, i)));

      if (seq > self->expected_seq + 1 && !self->catching_up)
        {
          g_debug ("Gap in seq (%" G_GINT64_FORMAT " after %" G_GINT64_FORMAT "): catching up",
                   seq, self->expected_seq);
          self->expected_seq = seq;
          self->next_since = fq_cache_get_last_seq (self->cache);
          set_catching_up (self, TRUE);
          fetch_page (self);
          continue;
        }
      self->expected_seq = MAX (self->expected_seq, seq);
    }
  /* Before the buffer goes to the cache's thread: nothing of it may stay
   * referenced here (json-glib's reference counts are not atomic). */
  g_clear_pointer (&fb->changes, json_array_unref);

  flush_buffer (self);
  schedule_frames (self);
}

static void
parse_frames (FqSync *self)
{
  g_autoptr(GTask) task = NULL;
  FrameBatch *fb;

  g_clear_handle_id (&self->frames_id, g_source_remove);
  if (self->frames == NULL || self->parsing)
    return;

  fb = g_new0 (FrameBatch, 1);
  fb->frames = g_steal_pointer (&self->frames);
  fb->generation = self->generation;
  task = g_task_new (self, NULL, frames_parsed_cb, NULL);
  g_task_set_source_tag (task, parse_frames);
  g_task_set_task_data (task, fb, (GDestroyNotify)frame_batch_free);
  self->parsing = TRUE;
  g_task_run_in_thread (task, parse_frames_in_thread);
}

/* Frames are parsed on a worker, never here: a burst of live changes
 * must not cost the main loop, which scrolls the board. */
static void
ws_message_cb (SoupWebsocketConnection *ws,
               int                      type,
               GBytes                  *message,
               gpointer                 user_data)
{
  FqSync *self = user_data;

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    return;

  self->last_heard = g_get_monotonic_time ();
  if (self->frames == NULL)
    self->frames = g_ptr_array_new_with_free_func ((GDestroyNotify)g_bytes_unref);
  g_ptr_array_add (self->frames, g_bytes_ref (message));
  schedule_frames (self);
}

static void
ws_closed_cb (SoupWebsocketConnection *ws,
              gpointer                 user_data)
{
  FqSync *self = user_data;
  g_autoptr(GError) error = NULL;

  g_debug ("Live events closed (code %u)", soup_websocket_connection_get_close_code (ws));
  error = g_error_new (G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "The server closed the connection");

  /* Frames that arrived before the close are still good. */
  if (self->buffer != NULL && !self->catching_up)
    flush_buffer (self);
  go_offline (self, error);
}

static void
ws_error_cb (SoupWebsocketConnection *ws,
             GError                  *error,
             gpointer                 user_data)
{
  g_debug ("Live events error: %s", error->message);
}

/* ---- answers of /changes ---------------------------------------------- */

/* The answer of a /changes call: its root, which holds an array "changes"
 * (*@obj: the root's object, *@changes: that array, both owned by the
 * root), or NULL when the call failed or the answer is not one; the
 * connection then goes offline, unless the call was cancelled. */
static JsonNode *
finish_changes (FqSync        *self,
                GAsyncResult  *result,
                JsonObject   **obj,
                JsonArray    **changes)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonNode *changes_node;

  root = fq_client_call_finish (self->client, result, &error);
  if (root == NULL)
    {
      if (error == NULL)
        error = g_error_new (FQ_ERROR, FQ_ERROR_INTERNAL, "Empty answer from /changes");
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        go_offline (self, error);
      return NULL;
    }

  if (!JSON_NODE_HOLDS_OBJECT (root) ||
      (changes_node = json_object_get_member ((*obj = json_node_get_object (root)), "changes")) == NULL ||
      !JSON_NODE_HOLDS_ARRAY (changes_node))
    {
      error = g_error_new (FQ_ERROR, FQ_ERROR_BAD_JSON, "The answer of /changes has no changes");
      go_offline (self, error);
      return NULL;
    }

  *changes = json_node_get_array (changes_node);
  return g_steal_pointer (&root);
}

/* ---- a feed that went quiet ------------------------------------------- */

/* An open WebSocket can stop delivering without closing: a link that died
 * without a FIN or RST (a cable, a NAT or firewall that forgot the
 * connection) keeps it "open" for as long as the kernel does not give up,
 * and a feed that stalls for any other reason says nothing either. The
 * board would then show old data as live. So a feed that has said nothing
 * for quiet_ms is checked against the server: the first change after the
 * last one heard, from /changes. None: the feed is right to be quiet. One
 * the feed has still not sent one interval later: the feed is stale, and
 * the connection is made again, which catches up and opens a new socket.
 * A server that does not answer takes the console offline, as any failed
 * request does. The interval between the check and the verdict leaves a
 * frame that was on its way when /changes answered the time to arrive.
 *
 * The check runs at most every other interval (one request a minute from
 * a console whose feed is quiet) on a connection closed after it, so that
 * quiet consoles keep no idle keep-alive connection open on the server. */
static void
quiet_answer_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  FqSync *self = user_data;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *obj;
  JsonArray *changes;

  /* Cancelled with its connection: nothing of it is left to clear. */
  if (g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    {
      g_object_unref (self);
      return;
    }

  self->checking = FALSE;
  self->last_heard = g_get_monotonic_time ();
  root = finish_changes (self, result, &obj, &changes);
  if (root == NULL)
    {
      g_object_unref (self);
      return;
    }

  if (json_array_get_length (changes) > 0)
    {
      JsonNode *first = json_array_get_element (changes, 0);
      gint64 seq = JSON_NODE_HOLDS_OBJECT (first)
                   ? fq_json_int_or (json_node_get_object (first), "seq", 0) : 0;

      if (seq > self->expected_seq)
        self->suspect_seq = seq;
    }
  else if (!fq_json_bool_or (obj, "more", FALSE))
    {
      /* Nothing for us up to the server's last seq: the next check starts
       * there, and does not walk again through what a narrow scope does
       * not see. */
      self->expected_seq = MAX (self->expected_seq, fq_json_int_or (obj, "last_seq", 0));
    }

  g_object_unref (self);
}

static gboolean
quiet_check_cb (gpointer user_data)
{
  FqSync *self = user_data;
  g_autofree char *path = NULL;

  if (self->ws == NULL || self->cancellable == NULL || self->catching_up || self->checking)
    return G_SOURCE_CONTINUE;

  if (self->suspect_seq > 0)
    {
      if (self->expected_seq >= self->suspect_seq)
        {
          /* It came, late. */
          self->suspect_seq = 0;
          return G_SOURCE_CONTINUE;
        }

      g_message ("The live feed has been silent while the server has change %" G_GINT64_FORMAT
                 " (the last heard is %" G_GINT64_FORMAT "): connecting again",
                 self->suspect_seq, self->expected_seq);
      self->quiet_id = 0;
      connect_now (self);
      return G_SOURCE_REMOVE;
    }

  if (g_get_monotonic_time () - self->last_heard < (gint64)self->quiet_ms * 1000)
    return G_SOURCE_CONTINUE;

  self->checking = TRUE;
  path = g_strdup_printf ("/changes?since=%" G_GINT64_FORMAT "&limit=1", self->expected_seq);
  fq_client_call_once_async (self->client, "GET", path, self->cancellable,
                             quiet_answer_cb, g_object_ref (self));
  return G_SOURCE_CONTINUE;
}

static void
ws_connected_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  FqSync *self = user_data;
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *ws;

  ws = fq_client_connect_events_finish (FQ_CLIENT (object), result, &error);
  if (ws == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        go_offline (self, error);
      g_object_unref (self);
      return;
    }

  self->ws = ws;
  g_signal_connect (ws, "message", G_CALLBACK (ws_message_cb), self);
  g_signal_connect (ws, "closed", G_CALLBACK (ws_closed_cb), self);
  g_signal_connect (ws, "error", G_CALLBACK (ws_error_cb), self);

  self->attempt = 0;
  set_state (self, FQ_SYNC_STATE_ONLINE);

  self->last_heard = g_get_monotonic_time ();
  self->suspect_seq = 0;
  g_clear_handle_id (&self->quiet_id, g_source_remove);
  self->quiet_id = g_timeout_add (self->quiet_ms, quiet_check_cb, self);

  /* Changes committed between the last page and the socket's start are
   * sent by the server from ?since=, or found by the gap check. */
  g_object_unref (self);
}

static void
open_socket (FqSync *self)
{
  self->ws_wanted = FALSE;
  if (self->ws != NULL || self->cancellable == NULL)
    return;

  fq_client_connect_events_async (self->client, fq_cache_get_last_seq (self->cache),
                                  self->cancellable, ws_connected_cb, g_object_ref (self));
}

/* ---- applying ---------------------------------------------------------- */

static void
apply_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  FqSync *self = user_data;
  g_autoptr(GError) error = NULL;

  self->applies_in_flight--;

  if (!fq_cache_apply_changes_finish (FQ_CACHE (object), result, &error))
    {
      g_warning ("Cannot store changes in the cache: %s", error->message);
      if (self->running)
        go_offline (self, error);
      g_object_unref (self);
      return;
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SEQ]);
  if (self->catching_up)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);

  if (self->applies_in_flight == 0 && !self->more_pages && self->catching_up &&
      self->cancellable != NULL)
    {
      /* Whole: filling ends with the first catch-up that completes (not
       * with one cut short by an outage). */
      set_filling (self, FALSE);
      set_catching_up (self, FALSE);
      g_signal_emit (self, signals[CAUGHT_UP], 0);

      if (self->ws != NULL)
        flush_buffer (self);
      else if (self->ws_wanted)
        open_socket (self);
    }

  g_object_unref (self);
}

/* @page: the text of the page @changes was parsed from, or NULL. */
static void
apply (FqSync    *self,
       JsonArray *changes,
       GBytes    *page,
       gint64     last_seq)
{
  self->applies_in_flight++;
  fq_cache_apply_page_async (self->cache, changes, page, last_seq, NULL,
                             apply_done_cb, g_object_ref (self));
}

static void
flush_buffer (FqSync *self)
{
  if (self->buffer == NULL || self->catching_up)
    return;

  apply (self, g_steal_pointer (&self->buffer), NULL, 0);
}

/* ---- catching up ------------------------------------------------------- */

static void
page_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  FqSync *self = user_data;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *obj;
  JsonArray *changes;
  gint64 last_seq;
  gboolean more;

  root = finish_changes (self, result, &obj, &changes);
  if (root == NULL)
    {
      g_object_unref (self);
      return;
    }

  last_seq = fq_json_int_or (obj, "last_seq", 0);
  more = fq_json_bool_or (obj, "more", FALSE);
  note_server_seq (self, last_seq);
  json_array_ref (changes);
  if (json_array_get_length (changes) > 0)
    {
      JsonNode *last = json_array_get_element (changes, json_array_get_length (changes) - 1);

      if (JSON_NODE_HOLDS_OBJECT (last))
        {
          gint64 s = fq_json_int_or (json_node_get_object (last), "seq", 0);

          /* With more pages to come, the next page starts after the last
           * change of this one, not at the server's newest seq. */
          if (more && s > 0)
            last_seq = s;
        }
    }

  /* Nothing of the page may stay referenced on this thread once the worker
   * owns it (json-glib reference counts are not atomic). */
  g_clear_pointer (&root, json_node_unref);

  self->expected_seq = MAX (self->expected_seq, last_seq);
  self->more_pages = more;
  apply (self, changes, fq_client_call_get_body (result), last_seq);

  if (more)
    {
      /* Fetch the next page while the worker stores this one. */
      self->next_since = last_seq;
      fetch_page (self);
    }
  else if (self->ws == NULL)
    self->ws_wanted = TRUE;

  g_object_unref (self);
}

static void
fetch_page (FqSync *self)
{
  g_autofree char *path = NULL;
  gint64 since;

  if (self->cancellable == NULL)
    return;

  /* While pages are being stored, the cache's last-seq lags behind: ask for
   * what follows the newest page received. */
  since = MAX (fq_cache_get_last_seq (self->cache), self->next_since);

  path = g_strdup_printf ("/changes?since=%" G_GINT64_FORMAT "&limit=%d", since, PAGE_LIMIT);
  fq_client_call_async (self->client, "GET", path, NULL, NULL, self->cancellable,
                        page_cb, g_object_ref (self));
}

/* ---- whose data the cache holds ---------------------------------------- */

/* Before catching up, the cache is checked against the server: a cache
 * filled from other data (another server at the same address, a server
 * whose data directory was replaced, one restored from a backup) would mix
 * two histories, and its last seq would skip changes of the new one. The
 * server's epoch (GET /health) names its data; the cache keeps the epoch
 * it was filled from. A different epoch, or a cache that is ahead of the
 * server, empties the cache, which is then filled again from seq 0. */

typedef struct
{
  FqSync *self;      /* owned */
  char   *epoch;
  gint64  last_seq;
} HealthData;

static void
health_data_free (HealthData *hd)
{
  g_object_unref (hd->self);
  g_free (hd->epoch);
  g_free (hd);
}

static gpointer
read_epoch_job (sqlite3       *db,
                gpointer       data,
                GCancellable  *cancellable,
                GError       **error)
{
  sqlite3_stmt *stmt = NULL;
  char *epoch = NULL;

  if (sqlite3_prepare_v2 (db, "SELECT value FROM meta WHERE key = 'server_epoch'", -1, &stmt,
                          NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    epoch = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return epoch;
}

static gpointer
write_epoch_job (sqlite3       *db,
                 gpointer       data,
                 GCancellable  *cancellable,
                 GError       **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok;

  ok = sqlite3_prepare_v2 (db, "INSERT OR REPLACE INTO meta (key, value)"
                               " VALUES ('server_epoch', ?)",
                           -1, &stmt, NULL) == SQLITE_OK;
  if (ok)
    {
      sqlite3_bind_text (stmt, 1, data, -1, SQLITE_STATIC);
      ok = sqlite3_step (stmt) == SQLITE_DONE;
    }
  sqlite3_finalize (stmt);
  if (!ok)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot store the server's epoch: %s",
                 sqlite3_errmsg (db));
  return NULL;
}

static void
start_catch_up (FqSync *self)
{
  self->expected_seq = fq_cache_get_last_seq (self->cache);
  self->next_since = self->expected_seq;
  fetch_page (self);
}

static void
reset_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  FqSync *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!fq_cache_reset_finish (FQ_CACHE (object), result, &error))
    {
      g_warning ("Cannot empty the cache: %s", error->message);
      if (self->running)
        go_offline (self, error);
      g_object_unref (self);
      return;
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SEQ]);
  g_signal_emit (self, signals[CACHE_RESET], 0);
  /* Emptied: it fills again from the start. */
  set_filling (self, TRUE);
  restart_progress (self);
  if (self->cancellable != NULL && !g_cancellable_is_cancelled (self->cancellable))
    start_catch_up (self);
  g_object_unref (self);
}

static void
stored_epoch_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  HealthData *hd = user_data;
  FqSync *self = hd->self;
  g_autofree char *stored = NULL;
  g_autoptr(GError) error = NULL;
  gint64 cache_seq;

  stored = fq_cache_run_finish (FQ_CACHE (object), result, &error);
  if (self->cancellable == NULL || g_cancellable_is_cancelled (self->cancellable))
    {
      health_data_free (hd);
      return;
    }

  cache_seq = fq_cache_get_last_seq (self->cache);
  if ((stored != NULL && g_strcmp0 (stored, hd->epoch) != 0) || cache_seq > hd->last_seq)
    {
      g_message ("The server's data is not the cache's (epoch %s, last seq %" G_GINT64_FORMAT
                 "; the cache: epoch %s, last seq %" G_GINT64_FORMAT "): rebuilding the cache",
                 hd->epoch, hd->last_seq, stored ? stored : "unknown", cache_seq);
      fq_cache_reset_async (self->cache, hd->epoch, NULL, reset_done_cb, g_object_ref (self));
      health_data_free (hd);
      return;
    }

  if (stored == NULL)
    fq_cache_run_async (self->cache, write_epoch_job, g_strdup (hd->epoch), g_free, NULL,
                        NULL, NULL, NULL);
  start_catch_up (self);
  health_data_free (hd);
}

static void
health_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  FqSync *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonObject *obj;
  const char *epoch;
  const char *now;
  gint64 now_seconds;
  HealthData *hd;

  root = fq_client_call_finish (FQ_CLIENT (object), result, &error);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      if (error == NULL)
        error = g_error_new (FQ_ERROR, FQ_ERROR_BAD_JSON, "The answer of /health is not an object");
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        go_offline (self, error);
      g_object_unref (self);
      return;
    }

  obj = json_node_get_object (root);
  note_server_seq (self, fq_json_int_or (obj, "last_seq", -1));
  fq_client_note_accept_limit (fq_json_int_or (obj, "accept_limit_seconds", 0));
  now = fq_json_string_or (obj, "now", NULL);
  if (now != NULL && fq_time_parse (now, &now_seconds))
    fq_client_note_server_time (now_seconds, g_get_real_time ());

  /* A server without epochs cannot say; its cache is trusted as before. */
  epoch = fq_json_string_or (obj, "epoch", NULL);
  if (epoch == NULL)
    {
      start_catch_up (self);
      g_object_unref (self);
      return;
    }

  hd = g_new0 (HealthData, 1);
  hd->self = self;  /* the reference of the call, handed on */
  hd->epoch = g_strdup (epoch);
  hd->last_seq = fq_json_int_or (obj, "last_seq", 0);
  fq_cache_run_async (self->cache, read_epoch_job, NULL, NULL, g_free, self->cancellable,
                      stored_epoch_cb, hd);
}

static void
connect_now (FqSync *self)
{
  if (!self->running)
    return;

  drop_connection (self);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  self->retry_at = 0;

  self->cancellable = g_cancellable_new ();
  self->server_seq = -1;
  self->expected_seq = fq_cache_get_last_seq (self->cache);
  self->next_since = self->expected_seq;
  self->more_pages = FALSE;
  /* An empty cache fills with everything the server has: those rows are
   * not arrivals, and it fills until a catch-up completes, across
   * outages. A cache that holds changes catches up on what came while it
   * was away, which the board does show as new. */
  set_filling (self, self->filling || self->expected_seq == 0);
  set_state (self, FQ_SYNC_STATE_CONNECTING);
  set_catching_up (self, TRUE);
  fq_client_call_async (self->client, "GET", "/health", NULL, NULL, self->cancellable,
                        health_cb, g_object_ref (self));
}

/* ---- object ------------------------------------------------------------ */

static void
fq_sync_dispose (GObject *object)
{
  FqSync *self = (FqSync *)object;

  self->running = FALSE;
  drop_connection (self);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_clear_object (&self->client);
  g_clear_object (&self->cache);

  G_OBJECT_CLASS (fq_sync_parent_class)->dispose (object);
}

static void
fq_sync_get_property (GObject    *object,
                      guint       prop_id,
                      GValue     *value,
                      GParamSpec *pspec)
{
  FqSync *self = FQ_SYNC (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_OFFLINE_SINCE:
      g_value_set_int64 (value, self->offline_since);
      break;
    case PROP_LAST_SEQ:
      g_value_set_int64 (value, fq_sync_get_last_seq (self));
      break;
    case PROP_CATCHING_UP:
      g_value_set_boolean (value, self->catching_up);
      break;
    case PROP_FILLING:
      g_value_set_boolean (value, self->filling);
      break;
    case PROP_PROGRESS:
      g_value_set_double (value, fq_sync_get_progress (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_sync_class_init (FqSyncClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fq_sync_dispose;
  object_class->get_property = fq_sync_get_property;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, FQ_TYPE_SYNC_STATE, FQ_SYNC_STATE_OFFLINE,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_OFFLINE_SINCE] =
    g_param_spec_int64 ("offline-since", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_LAST_SEQ] =
    g_param_spec_int64 ("last-seq", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_CATCHING_UP] =
    g_param_spec_boolean ("catching-up", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_FILLING] =
    g_param_spec_boolean ("filling", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PROGRESS] =
    g_param_spec_double ("progress", NULL, NULL, -1.0, 1.0, 1.0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CAUGHT_UP] =
    g_signal_new ("caught-up", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[ERROR] =
    g_signal_new ("error", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[CACHE_RESET] =
    g_signal_new ("cache-reset", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
fq_sync_init (FqSync *self)
{
  self->state = FQ_SYNC_STATE_OFFLINE;
  self->server_seq = -1;
  self->quiet_ms = QUIET_CHECK_MS;
}

FqSync *
fq_sync_new (FqClient *client,
             FqCache  *cache)
{
  FqSync *self;

  g_return_val_if_fail (FQ_IS_CLIENT (client), NULL);
  g_return_val_if_fail (FQ_IS_CACHE (cache), NULL);

  self = g_object_new (FQ_TYPE_SYNC, NULL);
  self->client = g_object_ref (client);
  self->cache = g_object_ref (cache);
  return self;
}

void
fq_sync_start (FqSync *self)
{
  g_return_if_fail (FQ_IS_SYNC (self));

  if (self->running)
    return;

  self->running = TRUE;
  self->attempt = 0;
  connect_now (self);
}

void
fq_sync_stop (FqSync *self)
{
  g_return_if_fail (FQ_IS_SYNC (self));

  self->running = FALSE;
  drop_connection (self);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  self->retry_at = 0;
  set_state (self, FQ_SYNC_STATE_OFFLINE);
}

void
fq_sync_reconnect_now (FqSync *self)
{
  g_return_if_fail (FQ_IS_SYNC (self));

  self->running = TRUE;
  if (self->state == FQ_SYNC_STATE_OFFLINE)
    {
      self->attempt = 0;
      connect_now (self);
    }
}

void
fq_sync_set_quiet_check (FqSync *self,
                         guint   interval_ms)
{
  g_return_if_fail (FQ_IS_SYNC (self));
  g_return_if_fail (interval_ms > 0);

  self->quiet_ms = interval_ms;
}

FqSyncState
fq_sync_get_state (FqSync *self)
{
  g_return_val_if_fail (FQ_IS_SYNC (self), FQ_SYNC_STATE_OFFLINE);
  return self->state;
}

gint64
fq_sync_get_offline_since (FqSync *self)
{
  g_return_val_if_fail (FQ_IS_SYNC (self), 0);
  return self->offline_since;
}

gint64
fq_sync_get_last_seq (FqSync *self)
{
  g_return_val_if_fail (FQ_IS_SYNC (self), 0);
  return self->cache ? fq_cache_get_last_seq (self->cache) : 0;
}

gboolean
fq_sync_get_filling (FqSync *self)
{
  g_return_val_if_fail (FQ_IS_SYNC (self), FALSE);

  return self->filling;
}

double
fq_sync_get_progress (FqSync *self)
{
  g_return_val_if_fail (FQ_IS_SYNC (self), -1.0);

  if (!self->catching_up)
    return 1.0;
  if (self->server_seq <= self->progress_from)
    return -1.0;
  return CLAMP ((double)(fq_cache_get_last_seq (self->cache) - self->progress_from) /
                (double)(self->server_seq - self->progress_from), 0.0, 1.0);
}

gboolean
fq_sync_get_catching_up (FqSync *self)
{
  g_return_val_if_fail (FQ_IS_SYNC (self), FALSE);
  return self->catching_up;
}

guint
fq_sync_get_retry_in (FqSync *self)
{
  gint64 now;

  g_return_val_if_fail (FQ_IS_SYNC (self), 0);

  if (self->retry_id == 0)
    return 0;
  now = g_get_monotonic_time ();
  return self->retry_at > now ? (guint)((self->retry_at - now + 999999) / G_USEC_PER_SEC) : 0;
}
