/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Fengqiao-Server"

#include "config.h"

#include <string.h>

#include "fq-server-infra.h"
#include "fq-store.h"

/*
 * The change feed: GET /changes pages through the changes table, GET /events
 * is a WebSocket that streams each committed change as one text frame.
 *
 * Both send the same object, spliced together from the stored JSON text
 * without parsing it again. A caller receives only what it may see.
 *
 * Paging: last_seq is the server's last seq when the page was read. While
 * more is true the page holds at least one change, and the next page is
 * asked with since = the seq of the last change of this one; once more is
 * false, the client continues (or opens /events?since=) from last_seq, which
 * moves it past every change it may not see. Neither way misses or repeats
 * a visible change.
 *
 * WebSocket flow control: libsoup 3.2 cannot tell how much it has buffered
 * for a peer, so frames go to libsoup only while the socket can take data;
 * the rest wait in a per-client queue. A client whose queue passes
 * FQ_WS_MAX_PENDING is closed with FQ_WS_CLOSE_TOO_SLOW and catches up with
 * /changes.
 *
 * The feed thread. Every WebSocket lives on a thread of its own, the hub's,
 * with its own main context: its sources (each socket's input, its
 * keep-alive ping, its output while a peer is slow) are polled there, not
 * by the main loop, which runs every HTTP request. A GMainContext walks
 * every source it holds at each iteration (prepare, poll, check), and the
 * main loop iterates several times per request: on the main context, 4,000
 * open feeds cost the main thread 17 ms of CPU for each GET beside them; on
 * their own, 0.12 ms, as with no feed at all (bench-server).
 * libsoup makes the upgrade on the main thread; the hub takes the
 * connection from it (soup_server_message_steal_connection(), as libsoup's
 * own WebSocket handler does) and makes the SoupWebsocketConnection on its
 * thread, which attaches every source of the connection to the
 * thread-default context.
 *
 * The main thread talks to the hub through its inbox, a queue of
 * HubCommand in the order they were posted: a new client, a committed
 * change, a revoked session, a replay page read, close all. So a change
 * posted after a client's registration is seen by that client (live, or
 * into its live_buffer while it replays), and one posted before is in the
 * replay's snapshot: it was committed before it was posted. A replay page
 * is read by a reader, as /changes is: the hub asks the main thread to
 * queue the job, and the page comes back through the inbox.
 */

#define FQ_WS_MAX_PENDING       20000  /* frames */
#define FQ_WS_REPLAY_PAGE       2000
#define FQ_WS_REPLAY_LOW_WATER  1000
#define FQ_WS_CLOSE_TOO_SLOW    4008
#define FQ_WS_CLOSE_REVOKED     4001
/* At shutdown, how long the hub waits for its peers to answer its close. */
#define FQ_HUB_CLOSE_WAIT_MS    1000

/* Everything in it belongs to the feed thread. */
typedef struct
{
  FqHubState              *hub;
  SoupWebsocketConnection *conn;
  GSocket                 *socket;
  FqUser                  *user;
  char                    *token_hash;
  GQueue                   pending;      /* FqChange, waiting for the socket */
  GSource                 *out_source;
  gboolean                 replaying;
  gboolean                 replay_running;
  gint64                   replay_from;
  GQueue                   live_buffer;  /* FqChange pushed while replaying */
  gboolean                 closed;
  gboolean                 dead;         /* its socket closed: to be swept */
  gboolean                 removed;      /* out of the hub; freed by replay_done */
} FqWsClient;

struct _FqHubState
{
  FqServer     *server;
  GMainContext *context;         /* the feed thread's */
  GMainLoop    *loop;
  GThread      *thread;
  GPtrArray    *extension_types; /* GTypeClass: the WebSocket extensions offered */

  GMutex        inbox_lock;
  GQueue        inbox;           /* HubCommand, from the main thread */
  GSource      *inbox_source;    /* made ready when the inbox is no longer empty */

  /* The feed thread's own. */
  GPtrArray    *clients;
  GSource      *sweep_source;
  GSource      *close_deadline;
  gboolean      closing;
};

/* ---- FqChange ---- */

FqChange *
fq_change_new (gint64              seq,
               const char         *entity,
               const char         *id,
               const char         *op,
               const char         *grid,
               const char * const *units,
               const char         *data_json)
{
  FqChange *change = g_atomic_rc_box_new0 (FqChange);
  GString *frame = g_string_sized_new (strlen (data_json) + 96);

  change->seq = seq;
  change->entity = g_strdup (entity);
  change->id = g_strdup (id);
  change->grid = g_strdup (grid);
  change->units = units != NULL ? g_strdupv ((char **)units) : NULL;

  g_string_append_printf (frame, "{\"seq\":%" G_GINT64_FORMAT ",\"entity\":", seq);
  fq_json_escape_append (frame, entity);
  g_string_append (frame, ",\"id\":");
  fq_json_escape_append (frame, id);
  g_string_append (frame, ",\"op\":");
  fq_json_escape_append (frame, op);
  g_string_append (frame, ",\"data\":");
  g_string_append (frame, data_json);
  g_string_append_c (frame, '}');
  change->frame_len = frame->len;
  change->frame = g_string_free (frame, FALSE);
  change->masked_frame = fq_privacy_mask_text (change->frame);

  return change;
}

FqChange *
fq_change_ref (FqChange *change)
{
  return g_atomic_rc_box_acquire (change);
}

static void
change_clear (FqChange *change)
{
  g_free (change->entity);
  g_free (change->id);
  g_free (change->grid);
  g_strfreev (change->units);
  g_free (change->frame);
  g_free (change->masked_frame);
}

void
fq_change_unref (FqChange *change)
{
  g_atomic_rc_box_release_full (change, (GDestroyNotify)change_clear);
}

static gboolean
change_visible (FqChange     *change,
                const FqUser *user)
{
  return fq_user_can_see (user, change->grid, (const char * const *)change->units);
}

/* ---- scanning the changes table ---- */

typedef gboolean (*ScanRowFunc) (sqlite3_stmt *stmt,
                                 gpointer      user_data);

typedef struct
{
  gint64   max_seq;     /* the last seq in the snapshot */
  gint64   next_since;  /* where the next page starts */
  gboolean more;
  guint    n_rows;
} ScanResult;

/* Reads up to @limit changes after @since that @user may see, within one
 * read transaction (the reader's). */
static gboolean
scan_changes (FqJob        *job,
              const FqUser *user,
              gint64        since,
              guint         limit,
              ScanRowFunc   row_func,
              gpointer      row_data,
              ScanResult   *result,
              GError      **error)
{
  sqlite3_stmt *stmt;
  g_autofree char *unit_pattern = NULL;
  gint64 max_seq = 0, last_row = since;
  int rc;

  stmt = fq_job_prepare (job, "SELECT coalesce (max (seq), 0) FROM changes", error);
  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    max_seq = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (!fq_job_check_sqlite (job, rc, error))
    return FALSE;
  /* Committed is not yet durable: a change is served once it is on disk
   * (see "the sync thread" in fq-server.c). */
  max_seq = MIN (max_seq, fq_server_get_durable_seq (fq_job_get_server (job)));

  if (user->role == FQ_ROLE_UNIT)
    {
      /* A unit sees the changes that name it and those for any unit: read
       * through change_units and the index of the latter, not by testing
       * every row of the city. */
      stmt = fq_job_prepare (job,
                             "SELECT c.seq, c.entity, c.id, c.op, c.grid, c.units, c.data FROM"
                             " (SELECT seq FROM change_units WHERE unit = ?5 AND seq > ?1 AND seq <= ?2"
                             "  UNION"
                             "  SELECT seq FROM changes WHERE units IS NULL AND seq > ?1 AND seq <= ?2"
                             "  ORDER BY 1) AS v"
                             " JOIN changes c ON c.seq = v.seq"
                             " WHERE (c.grid IS NULL OR substr (c.grid, 1, ?3) = ?4)"
                             " ORDER BY v.seq LIMIT ?6",
                             error);
      unit_pattern = g_strdup (user->unit ? user->unit : "");
    }
  else
    stmt = fq_job_prepare (job,
                           "SELECT seq, entity, id, op, grid, units, data FROM changes"
                           " WHERE seq > ?1 AND seq <= ?2"
                           "   AND (grid IS NULL OR substr (grid, 1, ?3) = ?4)"
                           "   AND (?5 IS NULL OR units IS NULL OR instr (units, ?5) > 0)"
                           " ORDER BY seq LIMIT ?6",
                           error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, since);
  sqlite3_bind_int64 (stmt, 2, max_seq);
  sqlite3_bind_int (stmt, 3, user->scope_prefix ? strlen (user->scope_prefix) : 0);
  sqlite3_bind_text (stmt, 4, user->scope_prefix ? user->scope_prefix : "", -1, SQLITE_STATIC);
  if (unit_pattern != NULL)
    sqlite3_bind_text (stmt, 5, unit_pattern, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 6, limit);

  result->n_rows = 0;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      last_row = sqlite3_column_int64 (stmt, 0);
      result->n_rows++;
      if (!row_func (stmt, row_data))
        break;
    }
  sqlite3_reset (stmt);
  if (!fq_job_check_sqlite (job, rc, error))
    return FALSE;

  /* A full page ends at its last row; a short one has read everything in
   * the snapshot, visible or not. */
  result->max_seq = max_seq;
  result->more = result->n_rows >= limit && last_row < max_seq;
  result->next_since = result->more ? last_row : MAX (max_seq, since);
  return TRUE;
}

/* ---- GET /changes ---- */

typedef struct
{
  gint64  since;
  guint   limit;
} ChangesQuery;

typedef struct
{
  GString  *out;
  gboolean  mask_phones;
} AppendRow;

static gboolean
append_row_cb (sqlite3_stmt *stmt,
               gpointer      user_data)
{
  AppendRow *row = user_data;
  GString *out = row->out;

  if (out->str[out->len - 1] != '[')
    g_string_append_c (out, ',');
  g_string_append (out, "{\"seq\":");
  g_string_append (out, (const char *)sqlite3_column_text (stmt, 0));
  g_string_append (out, ",\"entity\":");
  fq_json_escape_append (out, (const char *)sqlite3_column_text (stmt, 1));
  g_string_append (out, ",\"id\":");
  fq_json_escape_append (out, (const char *)sqlite3_column_text (stmt, 2));
  g_string_append (out, ",\"op\":");
  fq_json_escape_append (out, (const char *)sqlite3_column_text (stmt, 3));
  g_string_append (out, ",\"data\":");
  if (row->mask_phones)
    fq_privacy_mask_text_append (out, (const char *)sqlite3_column_text (stmt, 6),
                                 sqlite3_column_bytes (stmt, 6));
  else
    g_string_append_len (out, (const char *)sqlite3_column_text (stmt, 6),
                         sqlite3_column_bytes (stmt, 6));
  g_string_append_c (out, '}');
  return TRUE;
}

static gboolean
changes_job (FqJob    *job,
             gpointer  user_data,
             GError  **error)
{
  ChangesQuery *query = user_data;
  GString *out = g_string_sized_new (256 * query->limit + 64);
  ScanResult result = { 0, };
  AppendRow row = { out, !fq_user_sees_phones (fq_job_get_user (job)) };
  gsize length;

  g_string_append (out, "{\"changes\":[");
  if (!scan_changes (job, fq_job_get_user (job), query->since, query->limit,
                     append_row_cb, &row, &result, error))
    {
      g_string_free (out, TRUE);
      return FALSE;
    }
  g_string_append_printf (out, "],\"last_seq\":%" G_GINT64_FORMAT ",\"more\":%s}",
                          result.max_seq, result.more ? "true" : "false");

  length = out->len;
  fq_job_respond_text (job, SOUP_STATUS_OK, g_string_free (out, FALSE), length);
  return TRUE;
}

static gboolean
parse_since (const char  *text,
             gint64      *since,
             GError     **error)
{
  guint64 value = 0;

  *since = 0;
  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, &value, NULL))
    {
      fq_set_field_error (error, FQ_ERROR_BAD_REQUEST, "since",
                          "must be a whole number, 0 or more");
      return FALSE;
    }
  *since = (gint64)value;
  return TRUE;
}

static void
get_changes (FqRequest *request)
{
  g_autoptr(GError) error = NULL;
  ChangesQuery *query = g_new0 (ChangesQuery, 1);

  if (!parse_since (fq_request_get_query (request, "since"), &query->since, &error) ||
      !fq_request_get_limit (request, &query->limit, &error))
    {
      g_free (query);
      fq_request_respond_error (request, error);
      return;
    }

  fq_request_run (request, FQ_JOB_READ, changes_job, query, g_free);
}

/* ---- GET /health ---- */

/* The data directory's epoch (meta "epoch", set by main.c), read once at
 * start: one server per process. */
static char *data_epoch;

static void
load_epoch (FqServer *server)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_clear_pointer (&data_epoch, g_free);
  if (sqlite3_open_v2 (server->db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2 (db, "SELECT value FROM meta WHERE key = 'epoch'", -1, &stmt,
                          NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    data_epoch = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static void
get_health (FqRequest *request)
{
  FqServer *server = fq_request_get_server (request);
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autofree char *now = fq_time_format (fq_server_now (server));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, "ok");
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, PACKAGE_VERSION);
  json_builder_set_member_name (builder, "last_seq");
  json_builder_add_int_value (builder, fq_server_get_last_seq (server));
  if (data_epoch != NULL)
    {
      json_builder_set_member_name (builder, "epoch");
      json_builder_add_string_value (builder, data_epoch);
    }
  json_builder_set_member_name (builder, "now");
  json_builder_add_string_value (builder, now);
  /* So that a console counts down to a ticket's acceptance as the server
   * will judge it. */
  json_builder_set_member_name (builder, "accept_limit_seconds");
  json_builder_add_int_value (builder, fq_server_get_accept_limit (server));
  json_builder_end_object (builder);

  fq_request_respond (request, SOUP_STATUS_OK, json_builder_get_root (builder));
}

/* ---- the hub's inbox ---- */

typedef enum
{
  HUB_ADD,
  HUB_PUSH,
  HUB_REVOKE,
  HUB_REPLAY_DONE,
  HUB_CLOSE_ALL,
} HubCommandKind;

typedef struct _ReplayData ReplayData;

typedef struct
{
  HubCommandKind  kind;
  GPtrArray      *changes;     /* HUB_PUSH: FqChange, in seq order */
  char           *username;    /* HUB_REVOKE */
  char           *token_hash;  /* HUB_REVOKE (NULL: every session), HUB_ADD */
  ReplayData     *replay;      /* HUB_REPLAY_DONE */
  /* HUB_ADD: the connection libsoup upgraded, and who opened it */
  GIOStream      *stream;
  GSocket        *socket;
  GUri           *uri;
  char           *origin;
  char           *protocol;
  GList          *extensions;  /* SoupWebsocketExtension, accepted */
  FqUser         *user;
  gint64          since;       /* -1: live only */
} HubCommand;

struct _ReplayData
{
  FqServer   *server;
  FqHubState *hub;       /* compared, never followed off the feed thread */
  FqWsClient *client;    /* the feed thread's: never touched elsewhere */
  FqUser     *user;      /* the client's, copied for the reader */
  gint64      since;
  GPtrArray  *changes;
  ScanResult  result;
  gboolean    failed;
};

static void
replay_data_free (ReplayData *data)
{
  g_ptr_array_unref (data->changes);
  fq_user_free (data->user);
  g_free (data);
}

static void
hub_command_free (HubCommand *cmd)
{
  g_clear_pointer (&cmd->changes, g_ptr_array_unref);
  g_free (cmd->username);
  g_free (cmd->token_hash);
  g_clear_pointer (&cmd->replay, replay_data_free);
  if (cmd->stream != NULL)
    {
      g_io_stream_close (cmd->stream, NULL, NULL);
      g_object_unref (cmd->stream);
    }
  g_clear_object (&cmd->socket);
  g_clear_pointer (&cmd->uri, g_uri_unref);
  g_free (cmd->origin);
  g_free (cmd->protocol);
  g_list_free_full (cmd->extensions, g_object_unref);
  g_clear_pointer (&cmd->user, fq_user_free);
  g_free (cmd);
}

/* Any thread: queues @cmd (taking it) for the feed thread. */
static void
hub_post (FqHubState *hub,
          HubCommand *cmd)
{
  gboolean wake;

  g_mutex_lock (&hub->inbox_lock);
  wake = g_queue_is_empty (&hub->inbox);
  g_queue_push_tail (&hub->inbox, cmd);
  g_mutex_unlock (&hub->inbox_lock);
  /* The source is dispatched once for everything queued until then. */
  if (wake)
    g_source_set_ready_time (hub->inbox_source, 0);
}

/* ---- WebSocket clients (the feed thread) ---- */

static void client_replay_next (FqWsClient *client);

static gboolean
socket_writable (FqWsClient *client)
{
  if (client->socket == NULL)
    return TRUE;
  return (g_socket_condition_check (client->socket, G_IO_OUT) & G_IO_OUT) != 0;
}

static void
client_close (FqWsClient *client,
              gushort     code,
              const char *reason)
{
  if (client->closed)
    return;
  client->closed = TRUE;
  client->replaying = FALSE;
  g_queue_clear_full (&client->pending, (GDestroyNotify)fq_change_unref);
  g_queue_clear_full (&client->live_buffer, (GDestroyNotify)fq_change_unref);
  if (client->out_source != NULL)
    {
      g_source_destroy (client->out_source);
      g_clear_pointer (&client->out_source, g_source_unref);
    }
  if (code != 0 && soup_websocket_connection_get_state (client->conn) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (client->conn, code, reason);
}

/* The frame this client may read: phones masked unless its user needs them. */
static const char *
change_frame_for (FqWsClient *client,
                  FqChange   *change)
{
  if (change->masked_frame != NULL && !fq_user_sees_phones (client->user))
    return change->masked_frame;
  return change->frame;
}

static void
client_flush (FqWsClient *client)
{
  while (!client->closed && !g_queue_is_empty (&client->pending) && socket_writable (client))
    {
      FqChange *change = g_queue_pop_head (&client->pending);

      soup_websocket_connection_send_text (client->conn, change_frame_for (client, change));
      fq_change_unref (change);
    }
}

static gboolean
client_socket_ready_cb (GSocket      *socket,
                        GIOCondition  condition,
                        gpointer      user_data)
{
  FqWsClient *client = user_data;

  if ((condition & (G_IO_NVAL | G_IO_ERR | G_IO_HUP)) != 0 || g_socket_is_closed (socket))
    {
      /* The peer is gone; the "closed" signal does the rest. */
      g_queue_clear_full (&client->pending, (GDestroyNotify)fq_change_unref);
      g_clear_pointer (&client->out_source, g_source_unref);
      return G_SOURCE_REMOVE;
    }

  client_flush (client);

  if (client->closed || g_queue_is_empty (&client->pending))
    {
      g_clear_pointer (&client->out_source, g_source_unref);
      if (!client->closed && client->replaying && !client->replay_running)
        client_replay_next (client);
      return G_SOURCE_REMOVE;
    }
  if (client->replaying && !client->replay_running &&
      g_queue_get_length (&client->pending) < FQ_WS_REPLAY_LOW_WATER)
    client_replay_next (client);
  return G_SOURCE_CONTINUE;
}

/* Queues @change for @client (taking a reference), sending at once what the
 * socket can take. */
static void
client_send (FqWsClient *client,
             FqChange   *change)
{
  if (client->closed)
    return;

  if (g_queue_is_empty (&client->pending) && socket_writable (client))
    {
      soup_websocket_connection_send_text (client->conn, change_frame_for (client, change));
      return;
    }

  if (g_queue_get_length (&client->pending) >= FQ_WS_MAX_PENDING)
    {
      g_message ("closing the WebSocket of %s: it does not keep up", client->user->username);
      client_close (client, FQ_WS_CLOSE_TOO_SLOW, "too slow: catch up with /changes");
      return;
    }

  g_queue_push_tail (&client->pending, fq_change_ref (change));
  if (client->out_source == NULL && client->socket != NULL)
    {
      client->out_source = g_socket_create_source (client->socket, G_IO_OUT, NULL);
      g_source_set_callback (client->out_source, G_SOURCE_FUNC (client_socket_ready_cb),
                             client, NULL);
      g_source_attach (client->out_source, client->hub->context);
    }
}

static void
client_free (FqWsClient *client)
{
  client_close (client, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
  g_clear_object (&client->conn);
  g_clear_object (&client->socket);
  g_clear_pointer (&client->user, fq_user_free);
  g_free (client->token_hash);
  g_free (client);
}

static gboolean
collect_row_cb (sqlite3_stmt *stmt,
                gpointer      user_data)
{
  ReplayData *data = user_data;
  g_auto(GStrv) units = NULL;
  const char *units_text = (const char *)sqlite3_column_text (stmt, 5);

  if (units_text != NULL)
    {
      g_auto(GStrv) parts = g_strsplit (units_text, ",", -1);
      GPtrArray *list = g_ptr_array_new ();

      for (guint i = 0; parts[i] != NULL; i++)
        if (parts[i][0] != '\0')
          g_ptr_array_add (list, g_strdup (parts[i]));
      g_ptr_array_add (list, NULL);
      units = (GStrv)g_ptr_array_free (list, FALSE);
    }

  g_ptr_array_add (data->changes,
                   fq_change_new (sqlite3_column_int64 (stmt, 0),
                                  (const char *)sqlite3_column_text (stmt, 1),
                                  (const char *)sqlite3_column_text (stmt, 2),
                                  (const char *)sqlite3_column_text (stmt, 3),
                                  (const char *)sqlite3_column_text (stmt, 4),
                                  (const char * const *)units,
                                  (const char *)sqlite3_column_text (stmt, 6)));
  return TRUE;
}

/* A reader. */
static gboolean
replay_job (FqJob    *job,
            gpointer  user_data,
            GError  **error)
{
  ReplayData *data = user_data;

  if (!scan_changes (job, fq_job_get_user (job), data->since, FQ_WS_REPLAY_PAGE,
                     collect_row_cb, data, &data->result, error))
    return FALSE;
  fq_job_respond_text (job, SOUP_STATUS_OK, NULL, 0);
  return TRUE;
}

/* The main thread: the page is read; back to the hub, if it is still
 * there (at shutdown it is gone before the readers). */
static void
replay_job_done (FqJob    *job,
                 gpointer  user_data)
{
  ReplayData *data = user_data;
  FqServer *server = fq_job_get_server (job);
  HubCommand *cmd;

  if (server->hub != data->hub)
    {
      replay_data_free (data);
      return;
    }
  data->failed = fq_job_get_error (job) != NULL;
  cmd = g_new0 (HubCommand, 1);
  cmd->kind = HUB_REPLAY_DONE;
  cmd->replay = data;
  hub_post (data->hub, cmd);
}

/* The main thread: queues the read of a replay page. */
static gboolean
replay_start_cb (gpointer user_data)
{
  ReplayData *data = user_data;
  FqServer *server = data->server;

  if (server->hub != data->hub)
    {
      replay_data_free (data);
      return G_SOURCE_REMOVE;
    }
  fq_server_run_job (server, FQ_JOB_READ, data->user, replay_job, data, NULL,
                     replay_job_done, data);
  return G_SOURCE_REMOVE;
}

/* Takes @client out of the hub. A replay still running holds it: then
 * replay_done frees it. */
static void
client_discard (FqWsClient *client)
{
  g_signal_handlers_disconnect_by_data (client->conn, client);
  if (client->replay_running && !client->hub->closing)
    {
      client->removed = TRUE;
      client_close (client, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
    }
  else
    client_free (client);
}

static gboolean
hub_sweep_cb (gpointer user_data)
{
  FqHubState *hub = user_data;

  g_clear_pointer (&hub->sweep_source, g_source_unref);
  for (guint i = hub->clients->len; i > 0; i--)
    {
      FqWsClient *client = g_ptr_array_index (hub->clients, i - 1);

      if (client->dead)
        client_discard (g_ptr_array_steal_index (hub->clients, i - 1));
    }
  if (hub->closing && hub->clients->len == 0)
    g_main_loop_quit (hub->loop);
  return G_SOURCE_REMOVE;
}

static void
replay_done (ReplayData *data)
{
  FqWsClient *client = data->client;

  client->replay_running = FALSE;

  if (client->removed)
    {
      client_free (client);
      return;
    }
  if (client->closed)
    return;

  if (data->failed)
    {
      client_close (client, SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "could not read the changes");
      return;
    }

  for (guint i = 0; i < data->changes->len; i++)
    client_send (client, g_ptr_array_index (data->changes, i));
  client->replay_from = data->result.next_since;

  if (data->result.more)
    {
      /* Fetch the next page once the socket has taken most of this one. */
      if (g_queue_get_length (&client->pending) < FQ_WS_REPLAY_LOW_WATER)
        client_replay_next (client);
      return;
    }

  /* Caught up with the snapshot: everything committed after it was pushed
   * into live_buffer since the client registered. Drop what the replay
   * already covered, send the rest, then go live. */
  client->replaying = FALSE;
  while (!g_queue_is_empty (&client->live_buffer))
    {
      g_autoptr(FqChange) change = g_queue_pop_head (&client->live_buffer);

      if (change->seq > client->replay_from)
        client_send (client, change);
    }
}

static void
client_replay_next (FqWsClient *client)
{
  ReplayData *data;

  if (client->replay_running || client->closed || client->hub->closing)
    return;
  client->replay_running = TRUE;

  data = g_new0 (ReplayData, 1);
  data->server = client->hub->server;
  data->hub = client->hub;
  data->client = client;
  data->user = fq_user_copy (client->user);
  data->since = client->replay_from;
  data->changes = g_ptr_array_new_with_free_func ((GDestroyNotify)fq_change_unref);
  g_main_context_invoke (client->hub->server->context, replay_start_cb, data);
}

static void
ws_closed_cb (SoupWebsocketConnection *conn,
              gpointer                 user_data)
{
  FqWsClient *client = user_data;
  FqHubState *hub = client->hub;

  /* Removal waits for an idle moment: this may run in the middle of a
   * walk over the clients. */
  client_close (client, 0, NULL);
  client->dead = TRUE;
  if (hub->sweep_source == NULL)
    {
      hub->sweep_source = g_idle_source_new ();
      g_source_set_callback (hub->sweep_source, hub_sweep_cb, hub, NULL);
      g_source_attach (hub->sweep_source, hub->context);
    }
}

static void
ws_message_cb (SoupWebsocketConnection *conn,
               gint                     type,
               GBytes                  *message,
               gpointer                 user_data)
{
  /* The stream is one-way; what a client sends is ignored. */
}

static void
hub_add (FqHubState *hub,
         HubCommand *cmd)
{
  FqWsClient *client;
  SoupWebsocketConnection *conn;

  /* On this thread, so that its sources are attached to this context. */
  conn = soup_websocket_connection_new (cmd->stream, cmd->uri, SOUP_WEBSOCKET_CONNECTION_SERVER,
                                        cmd->origin, cmd->protocol,
                                        g_steal_pointer (&cmd->extensions));
  g_clear_object (&cmd->stream);

  if (hub->closing)
    {
      soup_websocket_connection_close (conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
      g_object_unref (conn);
      return;
    }

  client = g_new0 (FqWsClient, 1);
  client->hub = hub;
  client->conn = conn;
  client->socket = g_steal_pointer (&cmd->socket);
  client->user = g_steal_pointer (&cmd->user);
  client->token_hash = g_steal_pointer (&cmd->token_hash);
  g_queue_init (&client->pending);
  g_queue_init (&client->live_buffer);

  soup_websocket_connection_set_max_incoming_payload_size (conn, 4096);
  soup_websocket_connection_set_keepalive_interval (conn, 30);
  g_signal_connect (conn, "closed", G_CALLBACK (ws_closed_cb), client);
  g_signal_connect (conn, "message", G_CALLBACK (ws_message_cb), client);

  g_ptr_array_add (hub->clients, client);

  if (cmd->since >= 0)
    {
      /* Registered first, then read: every change committed after the
       * replay's snapshot is pushed into live_buffer (see replay_done). */
      client->replaying = TRUE;
      client->replay_from = cmd->since;
      client_replay_next (client);
    }
}

static void
hub_push (FqHubState *hub,
          GPtrArray  *changes)
{
  for (guint i = 0; i < hub->clients->len; i++)
    {
      FqWsClient *client = g_ptr_array_index (hub->clients, i);

      for (guint k = 0; k < changes->len && !client->closed; k++)
        {
          FqChange *change = g_ptr_array_index (changes, k);

          if (!change_visible (change, client->user))
            continue;
          if (client->replaying)
            {
              if (g_queue_get_length (&client->live_buffer) >= FQ_WS_MAX_PENDING)
                client_close (client, FQ_WS_CLOSE_TOO_SLOW, "too slow: catch up with /changes");
              else
                g_queue_push_tail (&client->live_buffer, fq_change_ref (change));
              continue;
            }
          client_send (client, change);
        }
    }
}

static void
hub_revoke (FqHubState *hub,
            const char *username,
            const char *token_hash)
{
  for (guint i = 0; i < hub->clients->len; i++)
    {
      FqWsClient *client = g_ptr_array_index (hub->clients, i);

      if (g_strcmp0 (client->user->username, username) != 0)
        continue;
      if (token_hash != NULL && g_strcmp0 (client->token_hash, token_hash) != 0)
        continue;
      client_close (client, FQ_WS_CLOSE_REVOKED, "the session ended");
    }
}

/* The peers that have not answered the close in time are dropped. */
static gboolean
close_deadline_cb (gpointer user_data)
{
  FqHubState *hub = user_data;

  g_clear_pointer (&hub->close_deadline, g_source_unref);
  while (hub->clients->len > 0)
    client_discard (g_ptr_array_steal_index (hub->clients, hub->clients->len - 1));
  g_main_loop_quit (hub->loop);
  return G_SOURCE_REMOVE;
}

/* Shutdown: every client is told, and the thread ends once each has
 * closed, or at the deadline. */
static void
hub_close_all (FqHubState *hub)
{
  hub->closing = TRUE;
  if (hub->clients->len == 0)
    {
      g_main_loop_quit (hub->loop);
      return;
    }
  for (guint i = 0; i < hub->clients->len; i++)
    client_close (g_ptr_array_index (hub->clients, i), SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
  hub->close_deadline = g_timeout_source_new (FQ_HUB_CLOSE_WAIT_MS);
  g_source_set_callback (hub->close_deadline, close_deadline_cb, hub, NULL);
  g_source_attach (hub->close_deadline, hub->context);
}

typedef struct
{
  GSource     source;
  FqHubState *hub;
} HubInboxSource;

static gboolean
hub_inbox_dispatch (GSource     *source,
                    GSourceFunc  callback,
                    gpointer     user_data)
{
  FqHubState *hub = ((HubInboxSource *)source)->hub;
  GQueue commands = G_QUEUE_INIT;
  HubCommand *cmd;

  g_source_set_ready_time (source, -1);
  g_mutex_lock (&hub->inbox_lock);
  commands = hub->inbox;
  g_queue_init (&hub->inbox);
  g_mutex_unlock (&hub->inbox_lock);

  while ((cmd = g_queue_pop_head (&commands)) != NULL)
    {
      switch (cmd->kind)
        {
        case HUB_ADD:
          hub_add (hub, cmd);
          break;
        case HUB_PUSH:
          hub_push (hub, cmd->changes);
          break;
        case HUB_REVOKE:
          hub_revoke (hub, cmd->username, cmd->token_hash);
          break;
        case HUB_REPLAY_DONE:
          /* Closing, its client may be gone already. */
          if (!hub->closing)
            replay_done (cmd->replay);
          break;
        case HUB_CLOSE_ALL:
          hub_close_all (hub);
          break;
        }
      hub_command_free (cmd);
    }
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs hub_inbox_funcs = {
  .dispatch = hub_inbox_dispatch,
};

static gpointer
hub_thread (gpointer user_data)
{
  FqHubState *hub = user_data;

  g_main_context_push_thread_default (hub->context);
  g_main_loop_run (hub->loop);
  /* What the closes left to finish (each stream's close completes in an
   * idle callback), bounded. */
  for (guint i = 0; i < 100 && g_main_context_pending (hub->context); i++)
    g_main_context_iteration (hub->context, FALSE);
  g_main_context_pop_thread_default (hub->context);
  return NULL;
}

/* ---- the main thread's side ---- */

void
fq_changes_push (FqServer  *server,
                 GPtrArray *changes)
{
  HubCommand *cmd;

  if (server->hub == NULL || changes->len == 0)
    return;
  cmd = g_new0 (HubCommand, 1);
  cmd->kind = HUB_PUSH;
  cmd->changes = g_ptr_array_ref (changes);
  hub_post (server->hub, cmd);
}

void
fq_changes_revoke (FqServer   *server,
                   const char *username,
                   const char *token_hash)
{
  HubCommand *cmd;

  if (server->hub == NULL)
    return;
  cmd = g_new0 (HubCommand, 1);
  cmd->kind = HUB_REVOKE;
  cmd->username = g_strdup (username);
  cmd->token_hash = g_strdup (token_hash);
  hub_post (server->hub, cmd);
}

void
fq_changes_close_all (FqServer *server)
{
  FqHubState *hub = server->hub;
  HubCommand *cmd;

  if (hub == NULL)
    return;

  cmd = g_new0 (HubCommand, 1);
  cmd->kind = HUB_CLOSE_ALL;
  hub_post (hub, cmd);
  g_thread_join (hub->thread);
  server->hub = NULL;

  /* Whatever came after the close: a replay page, a change. */
  g_queue_clear_full (&hub->inbox, (GDestroyNotify)hub_command_free);
  /* The thread ends only once every client is gone (hub_close_all()). */
  g_warn_if_fail (hub->clients->len == 0);
  g_ptr_array_unref (hub->clients);
  if (hub->sweep_source != NULL)
    g_source_destroy (hub->sweep_source);
  g_clear_pointer (&hub->sweep_source, g_source_unref);
  if (hub->close_deadline != NULL)
    g_source_destroy (hub->close_deadline);
  g_clear_pointer (&hub->close_deadline, g_source_unref);
  g_source_destroy (hub->inbox_source);
  g_source_unref (hub->inbox_source);
  g_main_loop_unref (hub->loop);
  g_main_context_unref (hub->context);
  g_ptr_array_unref (hub->extension_types);
  g_mutex_clear (&hub->inbox_lock);
  g_free (hub);
}

/* Who is upgrading, from events_http_cb() to the 101's being written. */
typedef struct
{
  FqServer   *server;
  FqHubState *hub;       /* compared: gone once the server is stopping */
  FqUser     *user;
  char       *token_hash;
  gint64      since;
  GList      *extensions;
} Upgrade;

static void
upgrade_free (gpointer data,
              GClosure *closure)
{
  Upgrade *upgrade = data;

  g_clear_pointer (&upgrade->user, fq_user_free);
  g_free (upgrade->token_hash);
  g_list_free_full (upgrade->extensions, g_object_unref);
  g_free (upgrade);
}

/* The 101 is written: the connection is the hub's from now on. */
static void
upgrade_wrote_cb (SoupServerMessage *msg,
                  gpointer           user_data)
{
  Upgrade *upgrade = user_data;
  FqServer *server = upgrade->server;
  HubCommand *cmd;
  GSocket *socket;

  if (soup_server_message_get_status (msg) != SOUP_STATUS_SWITCHING_PROTOCOLS ||
      upgrade->user == NULL)
    return;

  cmd = g_new0 (HubCommand, 1);
  cmd->kind = HUB_ADD;
  socket = soup_server_message_get_socket (msg);
  if (socket != NULL)
    cmd->socket = g_object_ref (socket);
  cmd->uri = g_uri_ref (soup_server_message_get_uri (msg));
  cmd->origin = g_strdup (soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                        "Origin"));
  cmd->protocol = g_strdup (soup_message_headers_get_one (soup_server_message_get_response_headers (msg),
                                                          "Sec-WebSocket-Protocol"));
  cmd->extensions = g_steal_pointer (&upgrade->extensions);
  cmd->user = g_steal_pointer (&upgrade->user);
  cmd->token_hash = g_steal_pointer (&upgrade->token_hash);
  cmd->since = upgrade->since;
  cmd->stream = soup_server_message_steal_connection (msg);

  if (cmd->stream == NULL || server->hub != upgrade->hub)
    {
      hub_command_free (cmd);
      return;
    }
  hub_post (upgrade->hub, cmd);
}

/* GET /events: authenticated before the handshake, so that a client without
 * a valid token gets a 401 and never a socket. */
static void
events_http_cb (SoupServer        *soup,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  FqServer *server = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) ws_error = NULL;
  const char *auth;
  const FqUser *user = NULL;
  gint64 since = -1;
  Upgrade *upgrade;

  if (server->stopping || server->hub == NULL)
    {
      g_set_error (&error, FQ_ERROR, FQ_ERROR_UNAVAILABLE, "the server is shutting down");
      goto fail;
    }

  if (strcmp (soup_server_message_get_method (msg), "GET") != 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "Allow", "GET");
      g_set_error (&error, FQ_ERROR, FQ_ERROR_METHOD_NOT_ALLOWED,
                   "this method is not allowed on this resource");
      goto fail;
    }

  auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                       "Authorization");
  if (auth != NULL && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0)
    user = fq_auth_lookup_token (server, auth + 7);
  if (user == NULL)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "WWW-Authenticate", "Bearer realm=\"fengqiao\"");
      g_set_error (&error, FQ_ERROR, FQ_ERROR_UNAUTHENTICATED, "a valid bearer token is needed");
      goto fail;
    }

  if (query != NULL && g_hash_table_contains (query, "since"))
    {
      if (!parse_since (g_hash_table_lookup (query, "since"), &since, &error))
        goto fail;
    }

  if (!soup_websocket_server_check_handshake (msg, NULL, NULL, server->hub->extension_types,
                                              &ws_error))
    {
      g_set_error (&error, FQ_ERROR, FQ_ERROR_BAD_REQUEST,
                   "this resource is a WebSocket: %s", ws_error->message);
      goto fail;
    }

  upgrade = g_new0 (Upgrade, 1);
  upgrade->server = server;
  upgrade->hub = server->hub;
  upgrade->user = fq_user_copy (user);
  upgrade->token_hash = fq_auth_token_hash (auth + 7);
  upgrade->since = since;
  /* Sets the 101 and its headers; libsoup writes it once this returns. */
  soup_websocket_server_process_handshake (msg, NULL, NULL, server->hub->extension_types,
                                           &upgrade->extensions);
  g_signal_connect_data (msg, "wrote-informational", G_CALLBACK (upgrade_wrote_cb), upgrade,
                         upgrade_free, 0);
  return;

fail:
  {
    gsize length;
    char *text = fq_error_to_json_text (error, NULL, &length);

    soup_server_message_set_status (msg, fq_error_code_to_status (error->code), NULL);
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, length);
  }
}

void
fq_changes_register (FqServer *server)
{
  g_autofree char *events = g_strconcat (FQ_API_PREFIX, "/events", NULL);
  FqHubState *hub = g_new0 (FqHubState, 1);

  hub->server = server;
  hub->context = g_main_context_new ();
  hub->loop = g_main_loop_new (hub->context, FALSE);
  hub->clients = g_ptr_array_new ();
  g_mutex_init (&hub->inbox_lock);
  g_queue_init (&hub->inbox);
  /* What libsoup's own WebSocket handler offers: permessage-deflate. */
  hub->extension_types = g_ptr_array_new_with_free_func ((GDestroyNotify)g_type_class_unref);
  g_ptr_array_add (hub->extension_types, g_type_class_ref (SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE));

  hub->inbox_source = g_source_new (&hub_inbox_funcs, sizeof (HubInboxSource));
  ((HubInboxSource *)hub->inbox_source)->hub = hub;
  g_source_set_static_name (hub->inbox_source, "[fengqiao] hub inbox");
  g_source_attach (hub->inbox_source, hub->context);
  hub->thread = g_thread_new ("fq-feeds", hub_thread, hub);
  server->hub = hub;

  load_epoch (server);
  fq_server_add_route (server, "GET", "/health", FQ_ROUTE_PUBLIC, get_health);
  fq_server_add_route (server, "GET", "/changes", FQ_ROUTE_DEFAULT, get_changes);

  soup_server_add_handler (fq_server_get_soup (server), events, events_http_cb, server, NULL);
}
