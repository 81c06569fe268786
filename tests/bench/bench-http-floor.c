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
 * A second argument N (default 1) serves on N loops instead of one: a
 * thread each, with its own main context, SoupServer and listening socket
 * on the same port (SO_REUSEPORT: the kernel spreads the connections over
 * the sockets). What a server whose HTTP runs on several threads could at
 * best do on this machine, against one loop.
 *
 * Prints "LISTENING http://127.0.0.1:PORT" (a free port), then serves until
 * killed. Not part of the product: bench-server runs it beside the real
 * server so that each machine reports how much of a latency figure is
 * libsoup and the kernel, and how much is Fengqiao.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
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
  GSource *idle;

  if (!paused_mode)
    {
      set_answer (msg);
      return;
    }
  soup_server_message_pause (msg);
  /* On the loop's own context, which is not the global default on the
   * threads of a second loop. */
  idle = g_idle_source_new ();
  g_source_set_callback (idle, answer_later_cb, g_object_ref (msg), g_object_unref);
  g_source_attach (idle, g_main_context_get_thread_default ());
  g_source_unref (idle);
}

/* Listens on 127.0.0.1:@port (0: a free one) on the thread-default context,
 * sharing the port with the other loops when @shared. Returns the port,
 * 0 on failure (printed). */
static guint
listen_loopback (SoupServer *server,
                 guint       port,
                 gboolean    shared)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons (port),
                                 .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };

  /* As fengqiao-server does: GLib's backlog of 10 would make some of fifty
   * simultaneous connections wait for a SYN retransmission (a second). */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  if (socket == NULL)
    goto failed;
  g_socket_set_listen_backlog (socket, SOMAXCONN);
  /* Bound here rather than by g_socket_bind(), which on a stream socket
   * clears SO_REUSEPORT (the second bind then fails: address in use). */
  if (shared && !g_socket_set_option (socket, SOL_SOCKET, SO_REUSEPORT, 1, &error))
    goto failed;
  if (bind (g_socket_get_fd (socket), (struct sockaddr *)&address, sizeof address) < 0)
    {
      g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (errno), "bind: %s", g_strerror (errno));
      goto failed;
    }
  if (!g_socket_listen (socket, &error) ||
      !soup_server_listen_socket (server, socket, 0, &error) ||
      (bound = g_socket_get_local_address (socket, &error)) == NULL)
    goto failed;
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

failed:
  fprintf (stderr, "%s\n", error->message);
  return 0;
}

typedef struct
{
  GMutex   lock;
  GCond    cond;
  guint    port;       /* the first loop's, which the others share */
  gboolean shared;
  guint    started;    /* loops listening, or failed */
  gboolean failed;
} Loops;

/* Sets up one loop on the calling thread: its own context, server and
 * socket. Returns the loop to run, NULL on failure. */
static GMainLoop *
loop_new (Loops *loops)
{
  GMainContext *context = g_main_context_new ();
  SoupServer *server;
  guint port;

  g_main_context_push_thread_default (context);
  server = soup_server_new ("server-header", "bench-http-floor", NULL);
  soup_server_add_handler (server, NULL, handler_cb, NULL, NULL);

  g_mutex_lock (&loops->lock);
  port = listen_loopback (server, loops->port, loops->shared);
  if (port != 0)
    loops->port = port;
  else
    loops->failed = TRUE;
  loops->started++;
  g_cond_signal (&loops->cond);
  g_mutex_unlock (&loops->lock);
  /* The server lives as long as the process. */
  return port != 0 ? g_main_loop_new (context, FALSE) : NULL;
}

/* Every loop but the first, which runs on the main thread. */
static gpointer
loop_thread (gpointer data)
{
  GMainLoop *loop = loop_new (data);

  if (loop != NULL)
    g_main_loop_run (loop);
  return NULL;
}

int
main (int   argc,
      char *argv[])
{
  Loops loops = { 0 };
  GMainLoop *loop;
  guint n_loops = argc == 3 ? (guint)atoi (argv[2]) : 1;

  if (argc < 2 || argc > 3 || (strcmp (argv[1], "at-once") != 0 && strcmp (argv[1], "paused") != 0) ||
      n_loops < 1 || n_loops > 64)
    {
      fprintf (stderr, "usage: %s at-once|paused [LOOPS]\n", argv[0]);
      return 2;
    }
  paused_mode = strcmp (argv[1], "paused") == 0;
  memset (padding, 'x', sizeof padding);

  g_mutex_init (&loops.lock);
  g_cond_init (&loops.cond);
  loops.shared = n_loops > 1;
  /* One after the other: each but the first binds the port that the
   * first got. The first runs on the main thread, as in fengqiao-server
   * (bench-server reports the main thread's CPU time apart). */
  loop = loop_new (&loops);
  for (guint i = 1; i < n_loops && !loops.failed; i++)
    {
      g_thread_unref (g_thread_new ("floor-loop", loop_thread, &loops));
      g_mutex_lock (&loops.lock);
      while (loops.started <= i)
        g_cond_wait (&loops.cond, &loops.lock);
      g_mutex_unlock (&loops.lock);
    }
  if (loops.failed)
    return 1;
  printf ("LISTENING http://127.0.0.1:%u\n", loops.port);
  fflush (stdout);

  g_main_loop_run (loop);
  return 0;
}
