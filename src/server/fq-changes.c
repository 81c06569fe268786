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
 */

#define FQ_WS_MAX_PENDING       20000  /* frames */
#define FQ_WS_REPLAY_PAGE       2000
#define FQ_WS_REPLAY_LOW_WATER  1000
#define FQ_WS_CLOSE_TOO_SLOW    4008
#define FQ_WS_CLOSE_REVOKED     4001

typedef struct
{
  FqServer                *server;
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
  GPtrArray *clients;
  guint      sweep_id;
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

/* ---- WebSocket clients ---- */

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
      g_source_attach (client->out_source, client->server->context);
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

typedef struct
{
  FqWsClient *client;
  gint64      since;
  GPtrArray  *changes;
  ScanResult  result;
} ReplayData;

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

static void
replay_data_free (gpointer user_data)
{
  ReplayData *data = user_data;

  g_ptr_array_unref (data->changes);
  g_free (data);
}

/* Takes @client out of the hub. A replay still running holds it: then
 * replay_done frees it. */
static void
client_discard (FqWsClient *client)
{
  g_signal_handlers_disconnect_by_data (client->conn, client);
  if (client->replay_running)
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
  FqServer *server = user_data;
  FqHubState *hub = server->hub;

  hub->sweep_id = 0;
  for (guint i = hub->clients->len; i > 0; i--)
    {
      FqWsClient *client = g_ptr_array_index (hub->clients, i - 1);

      if (client->dead)
        client_discard (g_ptr_array_steal_index (hub->clients, i - 1));
    }
  return G_SOURCE_REMOVE;
}

static void
replay_done (FqJob    *job,
             gpointer  user_data)
{
  ReplayData *data = user_data;
  FqWsClient *client = data->client;

  client->replay_running = FALSE;

  if (client->removed)
    {
      client_free (client);
      return;
    }
  if (client->closed)
    return;

  if (fq_job_get_error (job) != NULL)
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

  if (client->replay_running || client->closed)
    return;
  client->replay_running = TRUE;

  data = g_new0 (ReplayData, 1);
  data->client = client;
  data->since = client->replay_from;
  data->changes = g_ptr_array_new_with_free_func ((GDestroyNotify)fq_change_unref);
  fq_server_run_job (client->server, FQ_JOB_READ, client->user, replay_job, data,
                     replay_data_free, replay_done, data);
}

static void
ws_closed_cb (SoupWebsocketConnection *conn,
              gpointer                 user_data)
{
  FqWsClient *client = user_data;
  FqHubState *hub = client->server->hub;

  /* Removal waits for an idle moment: this may run in the middle of a
   * walk over the clients. */
  client_close (client, 0, NULL);
  client->dead = TRUE;
  if (hub != NULL && hub->sweep_id == 0)
    hub->sweep_id = g_idle_add (hub_sweep_cb, client->server);
}

static void
ws_message_cb (SoupWebsocketConnection *conn,
               gint                     type,
               GBytes                  *message,
               gpointer                 user_data)
{
  /* The stream is one-way; what a client sends is ignored. */
}

void
fq_changes_push (FqServer *server,
                 FqChange *change)
{
  FqHubState *hub = server->hub;

  if (hub == NULL)
    return;

  for (guint i = 0; i < hub->clients->len; i++)
    {
      FqWsClient *client = g_ptr_array_index (hub->clients, i);

      if (client->closed || !change_visible (change, client->user))
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

void
fq_changes_revoke (FqServer   *server,
                   const char *username,
                   const char *token_hash)
{
  FqHubState *hub = server->hub;

  if (hub == NULL)
    return;
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

void
fq_changes_close_all (FqServer *server)
{
  FqHubState *hub = server->hub;

  if (hub == NULL)
    return;
  server->hub = NULL;
  g_clear_handle_id (&hub->sweep_id, g_source_remove);
  while (hub->clients->len > 0)
    client_discard (g_ptr_array_steal_index (hub->clients, hub->clients->len - 1));
  g_ptr_array_unref (hub->clients);
  g_free (hub);
}

/* The plain HTTP side of /events: authenticate before the handshake, so that
 * a client without a valid token gets a 401 and never a socket. */
static void
events_http_cb (SoupServer        *soup,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  FqServer *server = user_data;
  g_autoptr(GError) error = NULL;
  const char *auth;
  const FqUser *user = NULL;
  gint64 since = -1;

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

  g_object_set_data_full (G_OBJECT (msg), "fq-user", fq_user_copy (user),
                          (GDestroyNotify)fq_user_free);
  g_object_set_data_full (G_OBJECT (msg), "fq-token-hash",
                          fq_auth_token_hash (auth + 7), g_free);
  g_object_set_data_full (G_OBJECT (msg), "fq-since", g_memdup2 (&since, sizeof since), g_free);
  return;

fail:
  {
    gsize length;
    char *text = fq_error_to_json_text (error, NULL, &length);

    soup_server_message_set_status (msg, fq_error_code_to_status (error->code), NULL);
    soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE, text, length);
  }
}

static void
events_ws_cb (SoupServer              *soup,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *conn,
              gpointer                 user_data)
{
  FqServer *server = user_data;
  FqUser *user = g_object_get_data (G_OBJECT (msg), "fq-user");
  gint64 *since = g_object_get_data (G_OBJECT (msg), "fq-since");
  FqWsClient *client;
  GSocket *socket;

  if (user == NULL || server->hub == NULL)
    {
      soup_websocket_connection_close (conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, NULL);
      return;
    }

  client = g_new0 (FqWsClient, 1);
  client->server = server;
  client->conn = g_object_ref (conn);
  client->user = fq_user_copy (user);
  client->token_hash = g_strdup (g_object_get_data (G_OBJECT (msg), "fq-token-hash"));
  g_queue_init (&client->pending);
  g_queue_init (&client->live_buffer);

  socket = soup_server_message_get_socket (msg);
  if (socket == NULL)
    {
      GIOStream *stream = soup_websocket_connection_get_io_stream (conn);

      if (G_IS_SOCKET_CONNECTION (stream))
        socket = g_socket_connection_get_socket (G_SOCKET_CONNECTION (stream));
    }
  if (socket != NULL)
    client->socket = g_object_ref (socket);

  soup_websocket_connection_set_max_incoming_payload_size (conn, 4096);
  soup_websocket_connection_set_keepalive_interval (conn, 30);
  g_signal_connect (conn, "closed", G_CALLBACK (ws_closed_cb), client);
  g_signal_connect (conn, "message", G_CALLBACK (ws_message_cb), client);

  g_ptr_array_add (server->hub->clients, client);

  if (since != NULL && *since >= 0)
    {
      /* Register first, then read: every change committed after the
       * replay's snapshot is pushed into live_buffer (see replay_done). */
      client->replaying = TRUE;
      client->replay_from = *since;
      client_replay_next (client);
    }
}

void
fq_changes_register (FqServer *server)
{
  g_autofree char *events = g_strconcat (FQ_API_PREFIX, "/events", NULL);

  server->hub = g_new0 (FqHubState, 1);
  server->hub->clients = g_ptr_array_new ();

  load_epoch (server);
  fq_server_add_route (server, "GET", "/health", FQ_ROUTE_PUBLIC, get_health);
  fq_server_add_route (server, "GET", "/changes", FQ_ROUTE_DEFAULT, get_changes);

  soup_server_add_handler (fq_server_get_soup (server), events, events_http_cb, server, NULL);
  soup_server_add_websocket_handler (fq_server_get_soup (server), events, NULL, NULL,
                                     events_ws_cb, server, NULL);
}
