/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * FqLocalServer runs a `fengqiao-server --demo` on a free loopback port for
 * `fengqiao --demo` and for tests. The binary is $FQ_SERVER_BINARY if set,
 * else the uninstalled build's (config.h BUILD_BINDIR) if it exists, else
 * `fengqiao-server` from PATH. The server is stopped (SIGTERM, then waited
 * for) by fq_local_server_stop() or when the object is disposed.
 */

#define FQ_TYPE_LOCAL_SERVER (fq_local_server_get_type ())

G_DECLARE_FINAL_TYPE (FqLocalServer, fq_local_server, FQ, LOCAL_SERVER, GObject)

/* @data_dir (nullable): the server's data directory; NULL for
 * g_get_user_data_dir()/fengqiao/demo-server. */
FqLocalServer *fq_local_server_new             (const char           *data_dir);

/* Extra arguments appended to the command line, e.g.
 * {"--demo-history-months", "0", "--demo-feed-rate", "0", NULL}. Call
 * before starting. */
void           fq_local_server_set_extra_args  (FqLocalServer        *self,
                                                const char * const   *args);
/* The address to listen on. By default the port of the last start on the
 * same data directory if it is free (so the console finds its session and
 * cache, which are per server address, again), else any free port. Call
 * before starting. */
void           fq_local_server_set_listen      (FqLocalServer        *self,
                                                const char           *address);
/* Without --demo (default TRUE). */
void           fq_local_server_set_demo        (FqLocalServer        *self,
                                                gboolean              demo);

/* Spawns the server and waits (asynchronously) for its "LISTENING URL"
 * line. Fails if the process exits first or says nothing for 120 s (the
 * first --demo start generates history). */
void           fq_local_server_start_async     (FqLocalServer        *self,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean       fq_local_server_start_finish    (FqLocalServer        *self,
                                                GAsyncResult         *result,
                                                GError              **error);

/* Property "url" (nullable): "http://127.0.0.1:PORT" once listening. */
const char    *fq_local_server_get_url         (FqLocalServer        *self);
const char    *fq_local_server_get_data_dir    (FqLocalServer        *self);
/* Property "running". */
gboolean       fq_local_server_get_running     (FqLocalServer        *self);

/* SIGTERM and wait (at most 10 s, then SIGKILL). Blocking, but short. */
void           fq_local_server_stop            (FqLocalServer        *self);

/* The binary to run (see above). (transfer full) */
char          *fq_local_server_find_binary     (void);

/* Signals: "exited" (int status): the server ended by itself. */

G_END_DECLS
