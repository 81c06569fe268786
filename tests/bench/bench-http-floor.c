/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The floor under bench-server's GET /tickets/{id} figures: a bare
 * SoupServer on one main loop, as fengqiao-server's, that answers
 * GET …/tickets/ID with a ticket-sized body naming ID and does nothing
 * else (no token, no database, no JSON).
 *
 *   bench-http-floor at-once   answers inside the handler;
 *   bench-http-floor paused    pauses the message and answers from an idle
 *                              callback, the least that STYLE.md's rule
 *                              for handlers that wait on the database
 *                              (pause, unpause when the work is done)
 *                              costs.
 *
 * Prints "LISTENING http://127.0.0.1:PORT" (a free port), then serves until
 * killed. Not part of the product: bench-server runs it beside the real
 * server so that each machine reports how much of a latency figure is
 * libsoup and the kernel, and how much is Fengqiao.
 */

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <libsoup/soup.h>

/* About the size of a ticket in the demo (about 940 bytes). */
#define FLOOR_BODY_SIZE 940

static gboolean paused_mode;
static char padding[FLOOR_BODY_SIZE];

static void
set_answer (SoupServerMessage *msg)
{
  const char *path = g_uri_get_path (soup_server_message_get_uri (msg));
  const char *id = strrchr (path, '/');
  GString *body = g_string_sized_new (FLOOR_BODY_SIZE + 64);

  g_string_append_printf (body, "{\"id\":\"%s\",\"padding\":\"", id != NULL ? id + 1 : "");
  if (body->len + 2 < FLOOR_BODY_SIZE)
    g_string_append_len (body, padding, FLOOR_BODY_SIZE - 2 - body->len);
  g_string_append (body, "\"}");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    body->str, body->len);
  g_string_free (body, FALSE);
}

static gboolean
answer_later_cb (gpointer data)
{
  SoupServerMessage *msg = data;

  set_answer (msg);
  soup_server_message_unpause (msg);
  return G_SOURCE_REMOVE;
}

static void
handler_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  if (!paused_mode)
    {
      set_answer (msg);
      return;
    }
  soup_server_message_pause (msg);
  g_idle_add_full (G_PRIORITY_DEFAULT, answer_later_cb, g_object_ref (msg), g_object_unref);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  if (argc != 2 || (strcmp (argv[1], "at-once") != 0 && strcmp (argv[1], "paused") != 0))
    {
      fprintf (stderr, "usage: %s at-once|paused\n", argv[0]);
      return 2;
    }
  paused_mode = strcmp (argv[1], "paused") == 0;
  memset (padding, 'x', sizeof padding);

  server = soup_server_new ("server-header", "bench-http-floor", NULL);
  soup_server_add_handler (server, NULL, handler_cb, NULL, NULL);
  /* As fengqiao-server does: GLib's backlog of 10 would make some of fifty
   * simultaneous connections wait for a SYN retransmission (a second). */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  if (socket != NULL)
    g_socket_set_listen_backlog (socket, SOMAXCONN);
  if (socket == NULL ||
      !g_socket_bind (socket, address, TRUE, &error) ||
      !g_socket_listen (socket, &error) ||
      !soup_server_listen_socket (server, socket, 0, &error) ||
      (bound = g_socket_get_local_address (socket, &error)) == NULL)
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  printf ("LISTENING http://127.0.0.1:%u\n", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  g_main_loop_run (loop);
  return 0;
}
