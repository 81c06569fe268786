/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Server benchmarks, over real HTTP on loopback against the real binary:
 *
 *   - for scale, what this machine charges for one system call and for
 *     one commit flushed to disk: the figures below depend on both;
 *   - demo start-up: a new data directory with 13 months of history, then a
 *     second start on the same directory;
 *   - intake rate: several client threads, each with its own keep-alive
 *     session, post incidents (repeat detection runs on every one);
 *   - the hotline import's largest file posted while another connection
 *     reads: how long the import holds every other request
 *     (bench_import_beside_reads());
 *   - /changes catch-up rate for a city-wide reader;
 *   - GET /tickets/{id} latency under 50 concurrent connections: back to
 *     back (a closed loop: each connection sends its next request when the
 *     last is answered, so the latency is 50 over the throughput), and
 *     paced at 2,500, 5,000 and 10,000 requests/s offered, and on one
 *     connection beside 1,000 and 4,000 idle keep-alive connections, then
 *     live feeds (bench_idle_connections()). Back to back it
 *     is measured twice: each ticket once, every read from the database,
 *     then 1,000 tickets in turn, which after their first read the server
 *     answers from the details it keeps in memory (fq-ticket-cache.h);
 *   - the floor under that latency: the same back-to-back load on a bare
 *     SoupServer (bench-http-floor.c) that answers at once, then one that
 *     pauses each message and answers when idle, as our handlers must;
 *     then both on two loops, a thread each, sharing one port;
 *   - the server's resident memory after the history and the intake.
 *
 * Each latency row gives p50, p90, p99 (the figure with the target) and
 * p99.9, and the CPU time per request of the server, of its main thread
 * alone (which runs all HTTP) and of the client.
 *
 * The load itself comes from a lean HTTP/1.1 client (keep-alive sockets,
 * every answer read whole and its status and body checked; the latency
 * connections all from one thread with epoll): on two cores a heavier
 * client would take the CPU the server is measured on; the CPU time each
 * side spends per request is reported beside every rate, since the
 * machine may be shared, and so is what every other process took
 * meanwhile, the kernel's own threads included (others_mark()). The
 * /changes reader is timed three ways: with a json-glib tree per page
 * (what a simple client does), with a validating scan of each page that
 * builds no tree (the target's figure), and counting only (the server's
 * own rate).
 *
 * Prints a table with the targets; exits non-zero only on a real error
 * (the server does not start, requests fail), never on a missed target.
 * FQ_BENCH_INCIDENTS, FQ_BENCH_MONTHS, FQ_BENCH_THREADS and
 * FQ_BENCH_REQUESTS (per latency connection) override the sizes;
 * FQ_BENCH_PHASES, a set of letters (i intake, b the import beside reads,
 * c /changes, l latency; all by default), runs only some phases, e.g. to
 * profile one. The letter s, never run by default, repeats the saturated
 * GET eight times on one server: on a noisy machine, compare two builds
 * with it, alternating, and read the spread rather than one run (the first
 * run is the cold one).
 * The letter o, never run by default either, does the same for the reads
 * of each ticket once, restarting the server before each round so that
 * every read goes to the database. FQ_BENCH_LATENCY_LOG=DIR keeps every
 * latency of each round in DIR (log_latencies()).
 */

#define _GNU_SOURCE   /* epoll_pwait2() */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "fq-test-server.h"

typedef struct
{
  const char *what;
  double      value;
  const char *unit;
  const char *target;
  int         met;   /* 1 met, 0 missed, -1 no target */
} Row;

static GArray *rows;

static void
report (const char *what,
        double      value,
        const char *unit,
        const char *target,
        int         met)
{
  Row row = { what, value, unit, target, met };

  g_array_append_val (rows, row);
  g_print ("# %-48s %12.1f %-12s %s\n", what, value, unit, target ? target : "");
}

static guint
env_uint (const char *name,
          guint       fallback)
{
  const char *v = g_getenv (name);

  return v != NULL && *v != '\0' ? (guint)g_ascii_strtoull (v, NULL, 10) : fallback;
}

/* ---- CPU time ---- */

/* The machine is shared: a rate depends on what else runs, the CPU time
 * each side spends per request much less. Both are reported. */
typedef struct
{
  double      server_ms;
  double      main_ms;   /* the server's main thread alone */
  double      writer_ms; /* its writer thread alone */
  double      client_ms;
  GHashTable *others;    /* pid → OtherProcess: every other process */
} CpuMark;

typedef struct
{
  char   *name;
  double  ms;
} OtherProcess;

static void
other_process_free (gpointer data)
{
  OtherProcess *other = data;

  g_free (other->name);
  g_free (other);
}

/* @path: a process's or a thread's stat file in /proc. */
static double
proc_cpu_ms (const char *path)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *p;

  /* Fields after the command name, which may hold spaces: state is the
   * first, utime the 12th and stime the 13th. */
  if (!g_file_get_contents (path, &text, NULL, NULL) || (p = strrchr (text, ')')) == NULL)
    return 0;
  fields = g_strsplit (p + 2, " ", 0);
  if (g_strv_length (fields) < 13)
    return 0;
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) * 1000.0 /
         sysconf (_SC_CLK_TCK);
}

/* Process @pid's time on a CPU so far, all its threads, from the
 * scheduler's own count in nanoseconds (schedstat): the clock ticks of
 * its stat file are too coarse for a thread that runs a few milliseconds
 * in a load. Those ticks where a kernel keeps no such count. */
static double
proc_run_ms (const char *pid)
{
  g_autofree char *tasks = g_strdup_printf ("/proc/%s/task", pid);
  g_autoptr(GDir) dir = g_dir_open (tasks, 0, NULL);
  const char *tid;
  gboolean counted = FALSE;
  double ms = 0;

  while (dir != NULL && (tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (tasks, tid, "schedstat", NULL);
      g_autofree char *text = NULL;

      if (g_file_get_contents (path, &text, NULL, NULL))
        {
          ms += g_ascii_strtod (text, NULL) / 1e6;
          counted = TRUE;
        }
    }
  if (!counted)
    {
      g_autofree char *stat = g_strdup_printf ("/proc/%s/stat", pid);

      return proc_cpu_ms (stat);
    }
  return ms;
}

/* The CPU time so far of every process but @pid and this one, kernel
 * threads included, by pid. Compared over a load, it shows what else took
 * the two cores meanwhile: on a virtual machine, the kernel's own threads
 * can (kdamond, the kernel's memory access monitor, when DAMON is on,
 * holds a core for milliseconds every half second). Read before and after
 * a load, not during it. */
static GHashTable *
others_mark (GPid pid)
{
  GHashTable *others = g_hash_table_new_full (NULL, NULL, NULL, other_process_free);
  g_autoptr(GDir) dir = g_dir_open ("/proc", 0, NULL);
  const char *entry;

  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
    {
      guint64 other;
      g_autofree char *comm_path = NULL;
      g_autofree char *name = NULL;
      OtherProcess *process;

      if (!g_ascii_string_to_unsigned (entry, 10, 1, G_MAXINT, &other, NULL) || (GPid)other == pid ||
          (pid_t)other == getpid ())
        continue;
      comm_path = g_strdup_printf ("/proc/%s/comm", entry);
      if (!g_file_get_contents (comm_path, &name, NULL, NULL))
        continue;   /* gone meanwhile */
      process = g_new0 (OtherProcess, 1);
      process->name = g_strdup (g_strchomp (name));
      process->ms = proc_run_ms (entry);
      g_hash_table_insert (others, GSIZE_TO_POINTER ((gsize)other), process);
    }
  return others;
}

/* The stat file of @pid's thread named @name, or NULL. */
static char *
thread_stat_path (GPid        pid,
                  const char *name)
{
  g_autofree char *tasks = g_strdup_printf ("/proc/%d/task", (int)pid);
  g_autoptr(GDir) dir = g_dir_open (tasks, 0, NULL);
  const char *tid;

  while (dir != NULL && (tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *comm_path = g_build_filename (tasks, tid, "comm", NULL);
      g_autofree char *comm = NULL;

      if (g_file_get_contents (comm_path, &comm, NULL, NULL) && g_str_equal (g_strchomp (comm), name))
        return g_build_filename (tasks, tid, "stat", NULL);
    }
  return NULL;
}

static double
client_cpu_ms (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0 +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
}

static CpuMark
cpu_mark_times (GPid pid)
{
  g_autofree char *process = g_strdup_printf ("/proc/%d/stat", (int)pid);
  g_autofree char *main_thread = g_strdup_printf ("/proc/%d/task/%d/stat", (int)pid, (int)pid);
  g_autofree char *writer = thread_stat_path (pid, "fq-writer");

  return (CpuMark) { proc_cpu_ms (process), proc_cpu_ms (main_thread),
                     writer != NULL ? proc_cpu_ms (writer) : 0, client_cpu_ms (), NULL };
}

/* Before a load; report_cpu() after it, once. The other processes are
 * read outside the client's own times (first here, last there), so that
 * reading /proc does not count as the client's. */
static CpuMark
cpu_mark (GPid pid)
{
  GHashTable *others = others_mark (pid);
  CpuMark mark = cpu_mark_times (pid);

  mark.others = others;
  return mark;
}

/* What the other processes took since @start, in ms; the one that took
 * most in @top (borrowed from @end). */
static double
others_cpu_ms (GHashTable  *start,
               GHashTable  *end,
               const char **top)
{
  GHashTableIter iter;
  gpointer key, value;
  double total = 0, most = 0;

  *top = NULL;
  g_hash_table_iter_init (&iter, end);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const OtherProcess *after = value;
      const OtherProcess *before = g_hash_table_lookup (start, key);
      double ms = after->ms - (before != NULL ? before->ms : 0);

      if (ms <= 0)
        continue;
      total += ms;
      if (ms > most)
        {
          most = ms;
          *top = after->name;
        }
    }
  return total;
}

static void
report_cpu (GPid        pid,
            CpuMark     start,
            guint       n,
            const char *what)
{
  CpuMark end = cpu_mark_times (pid);
  g_autoptr(GHashTable) start_others = start.others;
  g_autoptr(GHashTable) end_others = others_mark (pid);
  const char *top;
  double others_ms;

  if (n == 0)
    return;
  report (g_strdup_printf ("  CPU per %s: server", what), (end.server_ms - start.server_ms) * 1000.0 / n,
          "us", NULL, -1);
  /* The main thread runs every request's HTTP: while it is the busiest,
   * saturated latency is about the connections times its share. */
  report (g_strdup_printf ("  CPU per %s: server main thread", what), (end.main_ms - start.main_ms) * 1000.0 / n,
          "us", NULL, -1);
  /* Where something was written: every write is one thread's. */
  if (end.writer_ms - start.writer_ms >= 1.0 * n / 1000.0)
    report (g_strdup_printf ("  CPU per %s: server writer thread", what),
            (end.writer_ms - start.writer_ms) * 1000.0 / n, "us", NULL, -1);
  report (g_strdup_printf ("  CPU per %s: bench client", what), (end.client_ms - start.client_ms) * 1000.0 / n,
          "us", NULL, -1);
  others_ms = others_cpu_ms (start_others, end_others, &top);
  report (top != NULL ? g_strdup_printf ("  CPU per %s: other processes (most: %s)", what, top)
                      : g_strdup_printf ("  CPU per %s: other processes", what),
          others_ms * 1000.0 / n, "us", NULL, -1);
}

/* ---- a lean HTTP/1.1 client ---- */

/* One keep-alive connection, used by one thread. Enough HTTP for this
 * server: answers with Content-Length (libsoup's server sends it for every
 * body it is given); anything else counts as a failed request. */
typedef struct
{
  struct sockaddr_in  addr;
  char               *host;   /* "host:port", for the Host header */
  char               *auth;   /* "Bearer ...", or NULL */
  int                 fd;
  GString            *out;
  char               *in;
  gsize               in_size;
  gsize               in_len;
  gsize               body_at;
  gsize               body_len;
} RawConn;

static RawConn *
raw_conn_new (const char *url,
              const char *token)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  RawConn *c = g_new0 (RawConn, 1);
  int rc;

  g_assert (uri != NULL);
  c->addr.sin_family = AF_INET;
  c->addr.sin_port = htons (g_uri_get_port (uri));
  rc = inet_pton (AF_INET, g_uri_get_host (uri), &c->addr.sin_addr);
  g_assert (rc == 1);
  c->host = g_strdup_printf ("%s:%d", g_uri_get_host (uri), g_uri_get_port (uri));
  c->auth = token != NULL ? g_strdup_printf ("Bearer %s", token) : NULL;
  c->fd = -1;
  c->out = g_string_sized_new (1024);
  c->in_size = 64 * 1024;
  c->in = g_malloc (c->in_size);
  return c;
}

static void
raw_conn_close (RawConn *c)
{
  if (c->fd >= 0)
    close (c->fd);
  c->fd = -1;
}

static void
raw_conn_free (RawConn *c)
{
  raw_conn_close (c);
  g_free (c->host);
  g_free (c->auth);
  g_string_free (c->out, TRUE);
  g_free (c->in);
  g_free (c);
}

static gboolean
raw_conn_connect (RawConn *c)
{
  int one = 1;

  c->fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c->fd < 0)
    return FALSE;
  setsockopt (c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect (c->fd, (struct sockaddr *)&c->addr, sizeof c->addr) != 0)
    {
      raw_conn_close (c);
      return FALSE;
    }
  return TRUE;
}

/* Reads more of the answer; FALSE at end of stream or on an error. */
static gboolean
raw_conn_fill (RawConn *c)
{
  gssize n;

  if (c->in_len == c->in_size)
    {
      c->in_size *= 2;
      c->in = g_realloc (c->in, c->in_size);
    }
  do
    n = recv (c->fd, c->in + c->in_len, c->in_size - c->in_len, 0);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return FALSE;
  c->in_len += n;
  return TRUE;
}

static const char *
find_header_end (const char *p,
                 gsize       len)
{
  for (gsize i = 0; i + 3 < len; i++)
    if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n')
      return p + i;
  return NULL;
}

/* Sends one request (blocking). FALSE on a transport error. */
static gboolean
raw_send (RawConn    *c,
          const char *method,
          const char *path,
          const char *body)
{
  gsize body_len = body != NULL ? strlen (body) : 0, sent = 0;

  if (c->fd < 0 && !raw_conn_connect (c))
    return FALSE;

  g_string_printf (c->out, "%s /api/v1%s HTTP/1.1\r\nHost: %s\r\n", method, path, c->host);
  if (c->auth != NULL)
    g_string_append_printf (c->out, "Authorization: %s\r\n", c->auth);
  if (body != NULL)
    g_string_append_printf (c->out, "Content-Type: application/json\r\nContent-Length: %" G_GSIZE_FORMAT "\r\n",
                            body_len);
  g_string_append (c->out, "\r\n");
  if (body != NULL)
    g_string_append_len (c->out, body, body_len);

  c->in_len = 0;
  c->body_len = 0;
  while (sent < c->out->len)
    {
      gssize n = send (c->fd, c->out->str + sent, c->out->len - sent, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          raw_conn_close (c);
          return FALSE;
        }
      sent += n;
    }
  return TRUE;
}

/* Looks at what has arrived: -1 while the answer is incomplete, its status
 * once it is whole (the body is then raw_body()), 0 for an answer this
 * client does not read (the connection is then closed). */
static int
raw_parse (RawConn *c)
{
  const char *end, *p, *line;
  gboolean close_after = FALSE, have_length = FALSE;
  guint status;
  guint64 length = 0;

  end = find_header_end (c->in, c->in_len);
  if (end == NULL)
    return -1;

  if (c->in_len < 12 || strncmp (c->in, "HTTP/1.1 ", 9) != 0)
    goto fail;
  status = (guint)g_ascii_strtoull (c->in + 9, NULL, 10);
  for (line = strstr (c->in, "\r\n") + 2; line < end; line = strstr (line, "\r\n") + 2)
    {
      if (g_ascii_strncasecmp (line, "Content-Length:", 15) == 0)
        {
          for (p = line + 15; *p == ' '; p++)
            ;
          length = g_ascii_strtoull (p, NULL, 10);
          have_length = TRUE;
        }
      else if (g_ascii_strncasecmp (line, "Connection:", 11) == 0)
        {
          for (p = line + 11; *p == ' '; p++)
            ;
          close_after = g_ascii_strncasecmp (p, "close", 5) == 0;
        }
    }
  if (!have_length)
    goto fail;

  c->body_at = end + 4 - c->in;
  if (c->in_len < c->body_at + length)
    return -1;
  if (c->in_len != c->body_at + length)
    goto fail;   /* this client never pipelines: nothing may follow */
  c->body_len = length;

  /* NUL-terminate the body for the string checks. */
  if (c->in_len == c->in_size)
    {
      c->in_size *= 2;
      c->in = g_realloc (c->in, c->in_size);
    }
  c->in[c->in_len] = '\0';
  if (close_after)
    raw_conn_close (c);
  return status;

fail:
  raw_conn_close (c);
  c->body_len = 0;
  return 0;
}

/* Sends one request and reads its whole answer. Returns the status, or 0
 * on a transport error or an answer this client does not read. The body
 * is raw_body() until the next request. */
static guint
raw_request (RawConn    *c,
             const char *method,
             const char *path,
             const char *body)
{
  int status;

  if (!raw_send (c, method, path, body))
    return 0;
  while ((status = raw_parse (c)) < 0)
    if (!raw_conn_fill (c))
      {
        raw_conn_close (c);
        return 0;
      }
  return status;
}

static const char *
raw_body (RawConn *c)
{
  return c->body_len > 0 ? c->in + c->body_at : "";
}

/* ---- intake ---- */

typedef struct
{
  const char *url;
  const char *token;
  guint       index;
  guint       count;
  guint       ok;
  guint       failed;
  GPtrArray  *communities;
  GPtrArray  *categories;
} IntakeWorker;

static gpointer
intake_thread (gpointer data)
{
  IntakeWorker *w = data;
  /* One sign-in shared by every thread: the server hashes passwords
   * slowly on purpose and limits sign-ins in flight per user. */
  RawConn *c = raw_conn_new (w->url, w->token);
  GRand *rand = g_rand_new_with_seed (w->index + 1);

  for (guint i = 0; i < w->count; i++)
    {
      const char *grid = g_ptr_array_index (w->communities, g_rand_int_range (rand, 0, w->communities->len));
      const char *cat = g_ptr_array_index (w->categories, g_rand_int_range (rand, 0, w->categories->len));
      g_autofree char *body = g_strdup_printf ("{\"source\":\"%s\",\"grid\":\"%s\",\"caller_phone\":\"139%08d\","
                                               "\"address\":\"测试路 %d 号 %d 栋\",\"category\":\"%s\","
                                               "\"summary\":\"压测警情 %u-%u 邻里纠纷噪音扰民\"}",
                                               g_rand_boolean (rand) ? "110" : "12345", grid,
                                               g_rand_int_range (rand, 0, 20000), g_rand_int_range (rand, 1, 500),
                                               g_rand_int_range (rand, 1, 30), cat, w->index, i);
      guint status = raw_request (c, "POST", "/incidents", body);

      /* A created incident, answered whole: its new id is in the body. */
      if (status == 201 && strstr (raw_body (c), "\"id\":\"I") != NULL)
        w->ok++;
      else
        {
          w->failed++;
          if (w->failed <= 3)
            g_printerr ("intake: %u %.200s\n", status, raw_body (c));
        }
    }

  g_rand_free (rand);
  raw_conn_free (c);
  return NULL;
}

/* The codes of every community and of every category that is not police
 * only: where and what the benchmark's incidents are. */
static gboolean
load_reference (FqTestClient *op,
                GPtrArray    *communities,
                GPtrArray    *categories)
{
  g_autoptr(FqTestResponse) grid = fq_test_get (op, "/grid");
  g_autoptr(FqTestResponse) cats = fq_test_get (op, "/categories");
  JsonArray *nodes = fq_test_obj_array (fq_test_response_object (grid), "nodes");
  JsonArray *cat_list = fq_test_obj_array (fq_test_response_object (cats), "categories");

  if (nodes == NULL || cat_list == NULL)
    {
      g_printerr ("no reference data\n");
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (nodes); i++)
    {
      JsonObject *n = json_array_get_object_element (nodes, i);

      if (g_strcmp0 (fq_test_obj_str (n, "level"), "community") == 0)
        g_ptr_array_add (communities, g_strdup (fq_test_obj_str (n, "code")));
    }
  for (guint i = 0; i < json_array_get_length (cat_list); i++)
    {
      JsonObject *c = json_array_get_object_element (cat_list, i);

      if (!fq_test_obj_bool (c, "police_only"))
        g_ptr_array_add (categories, g_strdup (fq_test_obj_str (c, "code")));
    }
  return communities->len > 0 && categories->len > 0;
}

static gboolean
bench_intake (FqTestServer *server,
              guint         total,
              guint         n_threads,
              const char   *label)
{
  g_autoptr(FqTestClient) op = fq_test_client_new_login (fq_test_server_get_url (server), "operator", FQ_TEST_DEMO_PASSWORD);
  g_autoptr(GPtrArray) communities = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) categories = g_ptr_array_new_with_free_func (g_free);
  IntakeWorker *workers;
  GThread **threads;
  gint64 start, end;
  guint ok = 0, failed = 0;
  double rate;
  CpuMark cpu;
  g_autofree char *what = g_strdup_printf ("intake, %u threads, keep-alive (%s)", n_threads, label);

  if (!load_reference (op, communities, categories))
    return FALSE;
  workers = g_new0 (IntakeWorker, n_threads);
  threads = g_new0 (GThread *, n_threads);

  cpu = cpu_mark (fq_test_server_get_pid (server));
  start = g_get_monotonic_time ();
  for (guint i = 0; i < n_threads; i++)
    {
      workers[i] = (IntakeWorker) { fq_test_server_get_url (server), fq_test_client_get_token (op), i,
                                    total / n_threads, 0, 0, communities, categories };
      threads[i] = g_thread_new ("intake", intake_thread, &workers[i]);
    }
  for (guint i = 0; i < n_threads; i++)
    {
      g_thread_join (threads[i]);
      ok += workers[i].ok;
      failed += workers[i].failed;
    }
  end = g_get_monotonic_time ();

  rate = ok / ((end - start) / (double)G_USEC_PER_SEC);
  report (g_steal_pointer (&what), rate, "incidents/s", ">= 3000", rate >= 3000);
  report_cpu (fq_test_server_get_pid (server), cpu, ok + failed, "incident");
  g_free (workers);
  g_free (threads);

  if (failed > 0)
    g_printerr ("intake: %u of %u requests failed\n", failed, ok + failed);
  return failed == 0;
}

/* ---- a large import beside reads ---- */

enum { ALONE, BESIDE, STOP };

typedef struct
{
  const char *url;
  const char *token;
  gint        phase;        /* ALONE, BESIDE (the import is sent) or STOP */
  gint64      longest[2];   /* µs, ALONE and BESIDE; the reader's own */
  guint       reads;
  guint       failed;
} Reader;

static gpointer
reader_thread (gpointer data)
{
  Reader *r = data;
  RawConn *c = raw_conn_new (r->url, r->token);
  int phase;

  while ((phase = g_atomic_int_get (&r->phase)) != STOP)
    {
      gint64 start = g_get_monotonic_time ();

      if (raw_request (c, "GET", "/me", NULL) != 200)
        r->failed++;
      r->longest[phase] = MAX (r->longest[phase], g_get_monotonic_time () - start);
      r->reads++;
    }
  raw_conn_free (c);
  return NULL;
}

/* The hotline import's largest file (20,000 work orders, a dry run, which
 * reads only and so can be repeated), posted while another connection
 * reads GET /me back to back: the longest of those reads is how long the
 * import held everybody else (the server parses a large body on a reader,
 * not on the thread that runs all HTTP). Three imports; the worst. */
static gboolean
bench_import_beside_reads (FqTestServer *server)
{
  g_autoptr(FqTestClient) op = fq_test_client_new_login (fq_test_server_get_url (server), "operator", FQ_TEST_DEMO_PASSWORD);
  g_autoptr(GPtrArray) communities = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) categories = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) body = g_string_sized_new (16 * 1024 * 1024);
  const guint n_rows = 20000;
  gint64 longest = 0, slowest_import = 0, longest_before = 0;
  RawConn *c;
  gboolean ok = TRUE;

  if (!load_reference (op, communities, categories))
    return FALSE;
  g_string_append (body, "{\"dry_run\":true,\"rows\":[");
  for (guint i = 0; i < n_rows; i++)
    g_string_append_printf (body, "%s{\"external_id\":\"BENCH%06u\",\"received_at\":\"2026-11-20T08:%02u:00+08:00\","
                            "\"caller_name\":\"张三\",\"caller_phone\":\"139%08u\","
                            "\"address\":\"黄石市测试路 %u 号\",\"grid\":\"%s\",\"category\":\"%s\","
                            "\"summary\":\"楼上夜间装修噪音扰民 %u\","
                            "\"description\":\"夜间装修噪音，多次协商无果，请求处理。夜间装修噪音，多次协商无果，请求处理。\"}",
                            i > 0 ? "," : "", i, i % 60, i, i % 500,
                            (const char *)g_ptr_array_index (communities, i % communities->len),
                            (const char *)g_ptr_array_index (categories, i % categories->len), i);
  g_string_append (body, "]}");

  c = raw_conn_new (fq_test_server_get_url (server), fq_test_client_get_token (op));
  for (guint round = 0; round < 3 && ok; round++)
    {
      Reader reader = { fq_test_server_get_url (server), fq_test_client_get_token (op), ALONE, { 0, 0 }, 0, 0 };
      GThread *thread = g_thread_new ("reader", reader_thread, &reader);
      gint64 start;
      guint status;

      /* The reads alone first, for comparison. */
      g_usleep (300 * 1000);
      g_atomic_int_set (&reader.phase, BESIDE);
      start = g_get_monotonic_time ();
      status = raw_request (c, "POST", "/imports", body->str);
      slowest_import = MAX (slowest_import, g_get_monotonic_time () - start);
      if (status != 200 || strstr (raw_body (c), "\"valid\":20000") == NULL)
        {
          g_printerr ("import: %u %.200s\n", status, raw_body (c));
          ok = FALSE;
        }
      g_usleep (100 * 1000);
      g_atomic_int_set (&reader.phase, STOP);
      g_thread_join (thread);
      longest_before = MAX (longest_before, reader.longest[ALONE]);
      longest = MAX (longest, reader.longest[BESIDE]);
      if (reader.failed > 0)
        {
          g_printerr ("import: %u of %u reads beside it failed\n", reader.failed, reader.reads);
          ok = FALSE;
        }
    }
  raw_conn_free (c);

  report (g_strdup_printf ("import of %u work orders (%.1f MiB, dry run): slowest of 3", n_rows,
                           body->len / 1048576.0),
          slowest_import / 1000.0, "ms", NULL, -1);
  report (g_strdup ("GET /me back to back beside it: longest wait, worst of 3"), longest / 1000.0, "ms", NULL, -1);
  report (g_strdup ("GET /me back to back alone: longest wait, worst of 3"), longest_before / 1000.0, "ms", NULL, -1);
  return ok;
}

/* ---- /changes catch-up ---- */

static gboolean
bench_changes (FqTestServer *server)
{
  g_autoptr(FqTestClient) leader = fq_test_client_new_login (fq_test_server_get_url (server), "leader", FQ_TEST_DEMO_PASSWORD);
  gint64 since = 0, count = 0, start, end;
  double rate;

  start = g_get_monotonic_time ();
  for (guint page = 0; page < 100000; page++)
    {
      g_autoptr(FqTestResponse) resp = fq_test_get (leader, "/changes?since=%" G_GINT64_FORMAT "&limit=1000", since);
      JsonArray *changes = fq_test_obj_array (fq_test_response_object (resp), "changes");
      guint n;

      if (resp->status != 200 || changes == NULL)
        {
          g_printerr ("changes: %u %.200s\n", resp->status, resp->text);
          return FALSE;
        }
      n = json_array_get_length (changes);
      if (n > 0)
        since = fq_test_obj_int (json_array_get_object_element (changes, n - 1), "seq");
      count += n;
      if (!fq_test_obj_bool (fq_test_response_object (resp), "more"))
        break;
    }
  end = g_get_monotonic_time ();

  rate = count / ((end - start) / (double)G_USEC_PER_SEC);
  report (g_strdup_printf ("/changes catch-up, json-glib tree per page (%" G_GINT64_FORMAT ")", count),
          rate, "changes/s", NULL, -1);
  return count > 0;
}

/* A validating scan of one page of /changes, building nothing: every
 * byte is checked against the JSON grammar (strings as UTF-8, escapes,
 * numbers), as a parser would, while the root's "changes" are counted,
 * the last one's "seq" kept and the root's "more" read. */
typedef struct
{
  const char *p;
  const char *end;
  gint64      count;
  gint64      last_seq;
  gboolean    more;
} FeedScan;

typedef enum
{
  SCAN_ROOT,
  SCAN_CHANGES,
  SCAN_CHANGE,
  SCAN_SEQ,
  SCAN_MORE,
  SCAN_OTHER,
} ScanRole;

static gboolean scan_value (FeedScan *s, ScanRole role, guint depth);

static void
scan_space (FeedScan *s)
{
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
    s->p++;
}

static gboolean
scan_string (FeedScan    *s,
             const char **text,
             gsize       *length)
{
  const char *start;

  if (s->p >= s->end || *s->p != '"')
    return FALSE;
  start = ++s->p;
  while (s->p < s->end && *s->p != '"')
    {
      guchar c = *s->p;

      if (c < 0x20)
        return FALSE;
      if (c == '\\')
        {
          if (++s->p >= s->end)
            return FALSE;
          if (*s->p == 'u')
            {
              if (s->end - s->p < 5)
                return FALSE;
              for (guint i = 1; i <= 4; i++)
                if (!g_ascii_isxdigit (s->p[i]))
                  return FALSE;
              s->p += 4;
            }
          else if (strchr ("\"\\/bfnrt", *s->p) == NULL || *s->p == '\0')
            return FALSE;
        }
      s->p++;
    }
  if (s->p >= s->end || !g_utf8_validate_len (start, s->p - start, NULL))
    return FALSE;
  *text = start;
  *length = s->p - start;
  s->p++;
  return TRUE;
}

static gboolean
scan_number (FeedScan *s,
             gint64   *value)
{
  const char *start = s->p;
  gboolean integer = TRUE;

  if (s->p < s->end && *s->p == '-')
    s->p++;
  if (s->p >= s->end || !g_ascii_isdigit (*s->p))
    return FALSE;
  if (*s->p == '0')
    s->p++;
  else
    while (s->p < s->end && g_ascii_isdigit (*s->p))
      s->p++;
  if (s->p < s->end && *s->p == '.')
    {
      integer = FALSE;
      if (++s->p >= s->end || !g_ascii_isdigit (*s->p))
        return FALSE;
      while (s->p < s->end && g_ascii_isdigit (*s->p))
        s->p++;
    }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
    {
      integer = FALSE;
      if (++s->p < s->end && (*s->p == '+' || *s->p == '-'))
        s->p++;
      if (s->p >= s->end || !g_ascii_isdigit (*s->p))
        return FALSE;
      while (s->p < s->end && g_ascii_isdigit (*s->p))
        s->p++;
    }
  if (value != NULL)
    {
      if (!integer)
        return FALSE;
      *value = g_ascii_strtoll (start, NULL, 10);
    }
  return TRUE;
}

static gboolean
scan_literal (FeedScan   *s,
              const char *word)
{
  gsize n = strlen (word);

  if ((gsize)(s->end - s->p) < n || strncmp (s->p, word, n) != 0)
    return FALSE;
  s->p += n;
  return TRUE;
}

static ScanRole
member_role (ScanRole    parent,
             const char *name,
             gsize       length)
{
  if (parent == SCAN_ROOT && length == 7 && memcmp (name, "changes", 7) == 0)
    return SCAN_CHANGES;
  if (parent == SCAN_ROOT && length == 4 && memcmp (name, "more", 4) == 0)
    return SCAN_MORE;
  if (parent == SCAN_CHANGE && length == 3 && memcmp (name, "seq", 3) == 0)
    return SCAN_SEQ;
  return SCAN_OTHER;
}

static gboolean
scan_value (FeedScan *s,
            ScanRole  role,
            guint     depth)
{
  const char *name;
  gsize length;

  if (depth > 64)
    return FALSE;
  scan_space (s);
  if (s->p >= s->end)
    return FALSE;

  if (role == SCAN_SEQ)
    return scan_number (s, &s->last_seq);
  if (role == SCAN_MORE)
    {
      s->more = scan_literal (s, "true");
      return s->more || scan_literal (s, "false");
    }
  if ((role == SCAN_ROOT || role == SCAN_CHANGE) && *s->p != '{')
    return FALSE;
  if (role == SCAN_CHANGES && *s->p != '[')
    return FALSE;

  switch (*s->p)
    {
    case '{':
      s->p++;
      scan_space (s);
      if (s->p < s->end && *s->p == '}')
        {
          s->p++;
          return TRUE;
        }
      for (;;)
        {
          scan_space (s);
          if (!scan_string (s, &name, &length))
            return FALSE;
          scan_space (s);
          if (s->p >= s->end || *s->p++ != ':')
            return FALSE;
          if (!scan_value (s, member_role (role, name, length), depth + 1))
            return FALSE;
          scan_space (s);
          if (s->p >= s->end)
            return FALSE;
          if (*s->p == '}')
            {
              s->p++;
              return TRUE;
            }
          if (*s->p++ != ',')
            return FALSE;
        }
    case '[':
      s->p++;
      scan_space (s);
      if (s->p < s->end && *s->p == ']')
        {
          s->p++;
          return TRUE;
        }
      for (;;)
        {
          if (role == SCAN_CHANGES)
            s->count++;
          if (!scan_value (s, role == SCAN_CHANGES ? SCAN_CHANGE : SCAN_OTHER, depth + 1))
            return FALSE;
          scan_space (s);
          if (s->p >= s->end)
            return FALSE;
          if (*s->p == ']')
            {
              s->p++;
              return TRUE;
            }
          if (*s->p++ != ',')
            return FALSE;
        }
    case '"':
      return scan_string (s, &name, &length);
    case 't':
      return scan_literal (s, "true");
    case 'f':
      return scan_literal (s, "false");
    case 'n':
      return scan_literal (s, "null");
    default:
      return scan_number (s, NULL);
    }
}

/* The feed over the lean client, each page checked by the scan above. */
static gboolean
bench_changes_scan (FqTestServer *server)
{
  g_autoptr(FqTestClient) leader = fq_test_client_new_login (fq_test_server_get_url (server), "leader", FQ_TEST_DEMO_PASSWORD);
  RawConn *c = raw_conn_new (fq_test_server_get_url (server), fq_test_client_get_token (leader));
  gint64 since = 0, count = 0, start, end;
  guint pages = 0;
  double rate;
  CpuMark cpu = cpu_mark (fq_test_server_get_pid (server));

  start = g_get_monotonic_time ();
  for (; pages < 100000; pages++)
    {
      g_autofree char *path = g_strdup_printf ("/changes?since=%" G_GINT64_FORMAT "&limit=1000", since);
      guint status = raw_request (c, "GET", path, NULL);
      FeedScan scan = { raw_body (c), raw_body (c) + c->body_len, 0, since, FALSE };

      if (status != 200 || !scan_value (&scan, SCAN_ROOT, 0))
        {
          g_printerr ("changes: %u, %s %.200s\n", status, status == 200 ? "not valid JSON:" : "", raw_body (c));
          raw_conn_free (c);
          return FALSE;
        }
      scan_space (&scan);
      if (scan.p != scan.end || (scan.count > 0 && scan.last_seq <= since))
        {
          g_printerr ("changes: a page with trailing bytes or seq not increasing\n");
          raw_conn_free (c);
          return FALSE;
        }
      since = scan.last_seq;
      count += scan.count;
      if (!scan.more)
        break;
    }
  end = g_get_monotonic_time ();
  raw_conn_free (c);

  rate = count / ((end - start) / (double)G_USEC_PER_SEC);
  report (g_strdup_printf ("/changes catch-up, validating scan, no tree (%" G_GINT64_FORMAT ")", count),
          rate, "changes/s", ">= 50000", rate >= 50000);
  report_cpu (fq_test_server_get_pid (server), cpu, pages + 1, "page of 1000");
  return count > 0;
}

/* The same feed read without building a JSON tree on the client: the
 * server's own rate (the last seq is found in the text). */
static gboolean
bench_changes_raw (FqTestServer *server)
{
  g_autoptr(FqTestClient) leader = fq_test_client_new_login (fq_test_server_get_url (server), "leader", FQ_TEST_DEMO_PASSWORD);
  gint64 since = 0, count = 0, start, end;
  double rate;

  start = g_get_monotonic_time ();
  for (guint page = 0; page < 100000; page++)
    {
      g_autofree char *uri = g_strdup_printf ("%s/api/v1/changes?since=%" G_GINT64_FORMAT "&limit=1000",
                                              fq_test_server_get_url (server), since);
      g_autofree char *auth = g_strdup_printf ("Bearer %s", fq_test_client_get_token (leader));
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", uri);
      g_autoptr(GBytes) body = NULL;
      g_autofree char *text = NULL;
      const char *p;
      gsize len;

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
      body = soup_session_send_and_read (fq_test_client_get_session (leader), msg, NULL, NULL);
      if (body == NULL || soup_message_get_status (msg) != 200)
        return FALSE;
      p = g_bytes_get_data (body, &len);
      text = g_strndup (p, len);
      /* Each change carries one "seq" member. */
      for (p = text; (p = strstr (p, "\"seq\":")) != NULL; p++)
        {
          since = g_ascii_strtoll (p + 6, NULL, 10);
          count++;
        }
      if (strstr (text, "\"more\":true") == NULL)
        break;
    }
  end = g_get_monotonic_time ();

  rate = count / ((end - start) / (double)G_USEC_PER_SEC);
  report (g_strdup_printf ("/changes catch-up, counting only: server's rate (%" G_GINT64_FORMAT ")", count),
          rate, "changes/s", NULL, -1);
  return count > 0;
}

/* ---- GET /tickets/{id} latency ---- */

typedef struct
{
  const char *url;
  const char *token;
  GPtrArray  *ids;
  guint       requests;     /* per connection */
  gint64      start_at;     /* paced: the first request's time */
  gint64      interval_us;  /* paced: between requests; 0 closed loop */
  gboolean    once;         /* every request a different ticket, else in turn */
  double     *latencies_ms;
  gint64     *started_us;   /* when each request was due or sent */
} LatencyLoad;

/* The ticket of request @n of connection @i. In turn, connections start at
 * different places in @w's ids; once, each connection has its own slice. */
static const char *
latency_id (const LatencyLoad *w,
            guint              i,
            guint              n)
{
  if (w->once)
    return g_ptr_array_index (w->ids, (i * w->requests + n) % w->ids->len);
  return g_ptr_array_index (w->ids, (i * 7919 + n) % w->ids->len);
}

/* When request @n of connection @i of @connections is due (staggered). */
static gint64
paced_due (const LatencyLoad *w,
           guint                connections,
           guint                i,
           guint                n)
{
  return w->start_at + (gint64)i * w->interval_us / connections + (gint64)n * w->interval_us;
}

/* Waits for an answer on connection @i of the latency load: @c's socket in
 * @epfd, for one wake-up (EPOLLONESHOT: armed again after each request, so
 * that an idle connection is never polled). */
static void
latency_arm (int      epfd,
             RawConn *c,
             guint    i)
{
  struct epoll_event event = { .events = EPOLLIN | EPOLLONESHOT, .data.u32 = i };

  /* A connection made again (raw_send() after a close) has a new socket,
   * which the set does not hold yet. */
  if (epoll_ctl (epfd, EPOLL_CTL_MOD, c->fd, &event) < 0 &&
      (errno != ENOENT || epoll_ctl (epfd, EPOLL_CTL_ADD, c->fd, &event) < 0))
    g_error ("epoll_ctl: %s", g_strerror (errno));
}

/* The load, from one thread for all connections. Paced (@w's interval_us
 * > 0): each connection sends one request every interval, the connections
 * evenly staggered, and a request is timed from when it was due, not from
 * when it could be sent (a server that falls behind is charged for the
 * wait). Closed loop (interval 0): each connection sends its next request
 * as soon as the last is answered, timed from when it was sent.
 *
 * One thread, not one per connection, as wrk and h2load do: fifty client
 * threads woken on two cores would add their own scheduling delays to
 * what is measured, and take CPU from the server. It waits with epoll, as
 * they do: poll() over the fifty sockets at each wake-up cost the client
 * about a fifth of its CPU (perf), which on two cores is taken from the
 * server. Returns the number of failed requests. */
static guint
latency_run (LatencyLoad *w,
           guint          connections)
{
  RawConn **conns = g_new0 (RawConn *, connections);
  guint *sent = g_new0 (guint, connections);
  gboolean *busy = g_new0 (gboolean, connections);
  struct epoll_event *events = g_new0 (struct epoll_event, connections);
  gint64 *started = g_new0 (gint64, connections);
  guint remaining = connections * w->requests, failed = 0;
  int epfd = epoll_create1 (EPOLL_CLOEXEC);

  if (epfd < 0)
    g_error ("epoll_create1: %s", g_strerror (errno));
  for (guint i = 0; i < connections; i++)
    {
      conns[i] = raw_conn_new (w->url, w->token);
      raw_conn_connect (conns[i]);
    }

  while (remaining > 0)
    {
      gint64 now = g_get_monotonic_time (), next = G_MAXINT64;
      struct timespec timeout;
      int n_events;

      for (guint i = 0; i < connections; i++)
        {
          gint64 due = w->interval_us > 0 ? paced_due (w, connections, i, sent[i]) : now;

          if (busy[i] || sent[i] >= w->requests)
            continue;
          if (due <= now)
            {
              const char *id = latency_id (w, i, sent[i]);
              g_autofree char *path = g_strdup_printf ("/tickets/%s", id);

              started[i] = due;
              busy[i] = raw_send (conns[i], "GET", path, NULL);
              if (busy[i])
                latency_arm (epfd, conns[i], i);
              else
                {
                  w->started_us[i * w->requests + sent[i]] = due;
                  w->latencies_ms[i * w->requests + sent[i]++] = (now - due) / 1000.0;
                  failed++;
                  remaining--;
                }
            }
          else
            next = MIN (next, due);
        }
      if (remaining == 0)
        break;

      if (next != G_MAXINT64)
        {
          /* Read the clock once: MAX() evaluates its arguments twice. */
          gint64 wait = next - g_get_monotonic_time ();

          wait = MAX (wait, 0);
          timeout.tv_sec = wait / G_USEC_PER_SEC;
          timeout.tv_nsec = (wait % G_USEC_PER_SEC) * 1000;
        }
      n_events = epoll_pwait2 (epfd, events, (int)connections,
                               next != G_MAXINT64 ? &timeout : NULL, NULL);
      if (n_events < 0 && errno != EINTR)
        g_error ("epoll_pwait2: %s", g_strerror (errno));

      now = g_get_monotonic_time ();
      for (int k = 0; k < n_events; k++)
        {
          guint i = events[k].data.u32;
          RawConn *c = conns[i];
          const char *id = latency_id (w, i, sent[i]);
          int status;

          status = raw_conn_fill (c) ? raw_parse (c) : 0;
          if (status < 0)
            {
              latency_arm (epfd, c, i);   /* more to come */
              continue;
            }

          w->started_us[i * w->requests + sent[i]] = started[i];
          w->latencies_ms[i * w->requests + sent[i]++] = (now - started[i]) / 1000.0;
          busy[i] = FALSE;
          remaining--;
          {
            /* The ticket asked for, answered whole. */
            g_autofree char *expect = g_strdup_printf ("\"id\":\"%s\"", id);

            if (status != 200 || strstr (raw_body (c), expect) == NULL)
              {
                if (++failed <= 3)
                  g_printerr ("latency: %d %.200s\n", status, raw_body (c));
                if (status == 0)
                  raw_conn_close (c);
              }
          }
        }
    }

  close (epfd);
  for (guint i = 0; i < connections; i++)
    raw_conn_free (conns[i]);
  g_free (conns);
  g_free (sent);
  g_free (busy);
  g_free (events);
  g_free (started);
  return failed;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return x < y ? -1 : x > y;
}

/* The tickets the latency load asks for, and a coordinator's token. */
static GPtrArray *
latency_ticket_ids (FqTestServer *server,
                    FqTestClient *coord)
{
  g_autoptr(FqTestResponse) list = fq_test_get (coord, "/tickets?limit=1000");
  JsonArray *tickets = fq_test_obj_array (fq_test_response_object (list), "tickets");
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

  if (tickets == NULL || json_array_get_length (tickets) == 0)
    {
      /* No history: make some tickets. */
      g_autoptr(FqTestClient) op = fq_test_client_new_login (fq_test_server_get_url (server), "operator",
                                                             FQ_TEST_DEMO_PASSWORD);

      for (guint i = 0; i < 50; i++)
        {
          g_autoptr(JsonObject) t = fq_test_create_ticket (op, coord, FQ_TEST_GUANGZHOULU,
                                                           fq_test_obj_str (fq_test_pick_category (coord, FALSE, i), "code"),
                                                           NULL);
          g_ptr_array_add (ids, g_strdup (fq_test_obj_str (t, "id")));
        }
    }
  else
    for (guint i = 0; i < json_array_get_length (tickets); i++)
      g_ptr_array_add (ids, g_strdup (fq_test_obj_str (json_array_get_object_element (tickets, i), "id")));
  return ids;
}

/* Every ticket a coordinator of the whole city sees, page by page. */
static GPtrArray *
all_ticket_ids (FqTestClient *coord)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *cursor = NULL;

  do
    {
      g_autofree char *escaped = cursor != NULL ? g_uri_escape_string (cursor, NULL, FALSE) : NULL;
      g_autoptr(FqTestResponse) page = escaped != NULL ? fq_test_get (coord, "/tickets?limit=1000&cursor=%s", escaped)
                                                       : fq_test_get (coord, "/tickets?limit=1000");
      JsonObject *object = fq_test_response_object (page);
      JsonArray *tickets = fq_test_obj_array (object, "tickets");

      g_clear_pointer (&cursor, g_free);
      if (page->status != 200 || tickets == NULL)
        break;
      for (guint i = 0; i < json_array_get_length (tickets); i++)
        g_ptr_array_add (ids, g_strdup (fq_test_obj_str (json_array_get_object_element (tickets, i), "id")));
      if (!fq_test_obj_is_null (object, "next_cursor"))
        cursor = g_strdup (fq_test_obj_str (object, "next_cursor"));
    }
  while (cursor != NULL);
  return ids;
}

/* With FQ_BENCH_LATENCY_LOG=DIR, every request of each latency load in
 * DIR/latency-NN.txt, one line each: its connection, its number on it,
 * when it was sent (or due, paced) and its latency, in microseconds from
 * the load's start, and the ticket it asked for, connection by
 * connection. To see where a tail comes from: one connection, the first
 * requests, a moment when every connection waited, or some tickets. */
static void
log_latencies (const char        *subject,
               const char        *label,
               const LatencyLoad *w,
               guint              connections,
               gint64             start)
{
  static guint round;
  const char *dir = g_getenv ("FQ_BENCH_LATENCY_LOG");
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GString) text = NULL;
  g_autoptr(GError) error = NULL;

  if (dir == NULL)
    return;
  name = g_strdup_printf ("latency-%02u.txt", round++);
  path = g_build_filename (dir, name, NULL);
  text = g_string_new (NULL);
  g_string_append_printf (text, "# %s, %s\n# connection request sent_us latency_us ticket\n", subject, label);
  for (guint i = 0; i < connections; i++)
    for (guint r = 0; r < w->requests; r++)
      {
        guint k = i * w->requests + r;

        g_string_append_printf (text, "%u %u %" G_GINT64_FORMAT " %.0f %s\n", i, r, w->started_us[k] - start,
                                w->latencies_ms[k] * 1000.0, latency_id (w, i, r));
      }
  if (!g_file_set_contents (path, text->str, text->len, &error))
    g_printerr ("latency log: %s\n", error->message);
}

/* Measures GET /tickets/{id} on @url (served by process @pid) and reports
 * it under @subject, with a target only if @target.
 * @interval_ms 0: every connection sends its next request as soon as the
 * last is answered (saturation: by Little's law the latency is then the
 * number of connections over the throughput). Otherwise each connection
 * sends one request every @interval_ms, the connections evenly staggered.
 * @once: every request asks for a different ticket (@ids must hold one for
 * each), so that none is answered from memory (fq-ticket-cache.h);
 * otherwise the connections ask for @ids in turn. */
static gboolean
measure_latency (const char *subject,
                 gboolean    target,
                 const char *url,
                 const char *token,
                 GPid        pid,
                 GPtrArray  *ids,
                 gboolean    once,
                 guint       connections,
                 guint       per_connection,
                 guint       interval_ms)
{
  LatencyLoad load;
  double *all;
  gint64 *started;
  guint n = connections * per_connection, failed;
  double p50, p99;
  gint64 start, end;
  CpuMark cpu;
  g_autofree char *load_label = NULL;
  g_autofree char *label = NULL;

  all = g_new0 (double, n);
  started = g_new0 (gint64, n);

  if (interval_ms > 0)
    load_label = g_strdup_printf ("%u connections, each 1 request / %u ms (%.0f/s offered)", connections,
                                  interval_ms, connections * 1000.0 / interval_ms);
  else if (connections > 1)
    load_label = g_strdup_printf ("%u connections, back to back (saturated)", connections);
  else
    load_label = g_strdup ("1 connection, back to back");
  label = once ? g_strdup_printf ("%s, each of %u tickets once", load_label, n)
               : g_strdup_printf ("%s, %u tickets in turn", load_label, ids->len);

  cpu = cpu_mark (pid);
  start = g_get_monotonic_time ();
  load = (LatencyLoad) { url, token, ids, per_connection, start + 100 * 1000, interval_ms * 1000, once, all, started };
  failed = latency_run (&load, connections);
  end = g_get_monotonic_time ();
  log_latencies (subject, label, &load, connections, start);
  g_free (started);

  qsort (all, n, sizeof (double), compare_double);
  p50 = all[n / 2];
  p99 = all[MIN (n - 1, (n * 99) / 100)];
  /* With the spread: a p99 near p90 is the load itself; a p99.9 far above
   * it, the server or the machine held up for a while (a thread waiting
   * for a core, say). */
  report (g_strdup_printf ("%s, %s: p50", subject, label), p50, "ms", NULL, -1);
  report (g_strdup ("  p90"), all[MIN (n - 1, (n * 90) / 100)], "ms", NULL, -1);
  report (g_strdup_printf ("%s, %s: p99", subject, label), p99, "ms",
          target ? "<= 5" : NULL, target ? p99 <= 5.0 : -1);
  report (g_strdup ("  p99.9"), all[MIN (n - 1, (n * 999) / 1000)], "ms", NULL, -1);
  report (g_strdup_printf ("%s, %s: throughput", subject, label),
          n / ((end - start) / (double)G_USEC_PER_SEC), "requests/s", NULL, -1);
  report_cpu (pid, cpu, n, "request");

  g_free (all);
  if (failed > 0)
    g_printerr ("latency: %u of %u requests failed\n", failed, n);
  return failed == 0;
}

static gboolean
bench_latency (FqTestServer *server,
               GPtrArray    *ids,
               const char   *token,
               gboolean      once,
               guint         connections,
               guint         per_connection,
               guint         interval_ms)
{
  return measure_latency ("GET /tickets/{id}", TRUE, fq_test_server_get_url (server), token,
                          fq_test_server_get_pid (server), ids, once, connections, per_connection, interval_ms);
}

/* A keep-alive connection answered once (GET /me), left idle: its
 * descriptor, or -1. */
static int
open_keep_alive (FqTestServer *server,
                 const char   *token)
{
  RawConn *c = raw_conn_new (fq_test_server_get_url (server), token);
  guint status = raw_request (c, "GET", "/me", NULL);
  int fd = -1;

  if (status == 200)
    {
      fd = c->fd;
      c->fd = -1;
    }
  else
    g_printerr ("idle connections: GET /me answered %u\n", status);
  raw_conn_free (c);
  return fd;
}

/* A live feed (GET /events upgraded to a WebSocket) that nothing is
 * written to meanwhile: its descriptor, or -1. */
static int
open_live_feed (FqTestServer *server,
                const char   *token)
{
  RawConn *c = raw_conn_new (fq_test_server_get_url (server), token);
  g_autofree char *request = NULL;
  gsize sent = 0, got = 0;
  char head[4096];
  int fd = -1;

  if (!raw_conn_connect (c))
    goto out;
  request = g_strdup_printf ("GET /api/v1/events HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                             "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\nAuthorization: %s\r\n\r\n", c->host, c->auth);
  while (sent < strlen (request))
    {
      gssize n = send (c->fd, request + sent, strlen (request) - sent, MSG_NOSIGNAL);

      if (n <= 0)
        goto out;
      sent += n;
    }
  /* The answer's head only: a feed sends nothing until something changes. */
  while (got < sizeof head - 1 && g_strstr_len (head, got, "\r\n\r\n") == NULL)
    {
      gssize n = recv (c->fd, head + got, sizeof head - 1 - got, 0);

      if (n <= 0)
        goto out;
      got += n;
    }
  head[got] = '\0';
  if (g_str_has_prefix (head, "HTTP/1.1 101"))
    {
      fd = c->fd;
      c->fd = -1;
    }

out:
  if (fd < 0)
    g_printerr ("idle connections: no live feed (%s)\n", got > 0 ? "refused" : g_strerror (errno));
  raw_conn_free (c);
  return fd;
}

/* A console keeps a live feed open, and often a keep-alive connection
 * between its requests. Opens @what connections with @open_idle, 1,000
 * then 4,000 of them, and measures one busy connection beside them each
 * time: what every request costs the main thread for each idle connection
 * (GLib's loop polls every descriptor at each turn). Then they all hang
 * up together. Stops short of the descriptors the two processes may open;
 * the server raises its limit as this process does (main()). */
static gboolean
bench_idle_connections (FqTestServer *server,
                        GPtrArray    *ids,
                        const char   *token,
                        const char   *what,
                        int         (*open_idle) (FqTestServer *, const char *))
{
  const guint counts[] = { 1000, 4000 };
  g_autoptr(GArray) fds = g_array_new (FALSE, FALSE, sizeof (int));
  struct rlimit limit;
  guint most = 0, before;
  gint64 start;
  gboolean ok = TRUE;

  before = fq_test_server_count_fds (server);
  /* Room for the server's own descriptors (database, WAL, threads). */
  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur > 256)
    most = MIN (limit.rlim_cur, (rlim_t)G_MAXUINT) - 256;
  for (guint k = 0; k < G_N_ELEMENTS (counts) && fds->len < most; k++)
    {
      guint wanted = MIN (counts[k], most);
      g_autofree char *subject = NULL;

      while (fds->len < wanted)
        {
          int fd = open_idle (server, token);

          if (fd < 0)
            {
              ok = FALSE;
              break;
            }
          g_array_append_val (fds, fd);
        }
      if (fds->len < wanted)
        break;
      subject = g_strdup_printf ("GET /tickets/{id} beside %u %s", fds->len, what);
      ok &= measure_latency (subject, FALSE, fq_test_server_get_url (server), token,
                             fq_test_server_get_pid (server), ids, FALSE, 1, 2000, 0);
    }
  /* All at once, as when a network failure cuts every console off; then
   * until the server has closed them too, which keeps its main thread
   * busy for a while (the next load would pay for it). */
  start = g_get_monotonic_time ();
  for (guint i = 0; i < fds->len; i++)
    close (g_array_index (fds, int, i));
  while (fq_test_server_count_fds (server) > before + 20 &&
         g_get_monotonic_time () - start < 60 * G_USEC_PER_SEC)
    g_usleep (10 * 1000);
  if (fds->len > 0)
    report (g_strdup_printf ("%u %s hung up at once: until the server has closed them", fds->len, what),
            (g_get_monotonic_time () - start) / 1000.0, "ms", NULL, -1);
  return ok;
}

/* As the server does: the soft limit on descriptors may be 1,024, fewer
 * than the idle connections of bench_idle_connections(). */
static void
raise_descriptor_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max)
    {
      limit.rlim_cur = limit.rlim_max;
      setrlimit (RLIMIT_NOFILE, &limit);
    }
}

/* The floor (bench-http-floor.c): the same load on a bare SoupServer that
 * answers each request in its handler, then on one that pauses each and
 * answers from an idle callback, as every handler here that waits on the
 * database must. What Fengqiao itself costs is the difference. Then both
 * again with two loops, a thread each, on one port: whether this machine
 * has the cores for HTTP on more than one thread to pay. */
static gboolean
bench_floor (const char *argv0,
             GPtrArray  *ids,
             guint       per_connection)
{
  const struct
  {
    const char *mode;
    const char *loops;
    const char *subject;
  } floors[] = {
    { "at-once", "1", "floor: bare SoupServer, answered in the handler" },
    { "paused", "1", "floor: bare SoupServer, paused, answered when idle" },
    { "at-once", "2", "floor: 2 bare SoupServers, a thread each, one port, answered in the handler" },
    { "paused", "2", "floor: 2 bare SoupServers, a thread each, one port, paused, answered when idle" },
  };
  g_autofree char *dir = g_path_get_dirname (argv0);
  g_autofree char *binary = g_getenv ("FQ_BENCH_FLOOR_BINARY") != NULL
                            ? g_strdup (g_getenv ("FQ_BENCH_FLOOR_BINARY"))
                            : g_build_filename (dir, "bench-http-floor", NULL);
  gboolean ok = TRUE;

  for (guint m = 0; m < G_N_ELEMENTS (floors); m++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSubprocess) proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, binary,
                                                      floors[m].mode, floors[m].loops, NULL);
      g_autoptr(GDataInputStream) out = NULL;
      g_autofree char *line = NULL;
      GPid pid;

      if (proc == NULL)
        {
          g_printerr ("floor: %s\n", error->message);
          return FALSE;
        }
      out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
      line = g_data_input_stream_read_line (out, NULL, NULL, &error);
      if (line == NULL || !g_str_has_prefix (line, "LISTENING "))
        {
          g_printerr ("floor: %s did not start\n", binary);
          g_subprocess_force_exit (proc);
          return FALSE;
        }
      pid = atoi (g_subprocess_get_identifier (proc));
      ok &= measure_latency (floors[m].subject, FALSE, line + strlen ("LISTENING "), NULL, pid, ids,
                             FALSE, 50, per_connection, 0);
      g_subprocess_force_exit (proc);
      g_subprocess_wait (proc, NULL, NULL);
    }
  return ok;
}

/* For scale: what one system call costs on this machine, the bare
 * getppid() (about 0.1 us on bare metal; ten times that on some virtual
 * machines, where every send, recv and eventfd write of the server costs
 * as much). The median of eleven rounds of 100,000. */
static void
bench_syscall (void)
{
  double rounds[11];

  for (guint r = 0; r < G_N_ELEMENTS (rounds); r++)
    {
      gint64 start = g_get_monotonic_time ();

      for (guint i = 0; i < 100000; i++)
        syscall (SYS_getppid);
      rounds[r] = (g_get_monotonic_time () - start) / 100000.0;
    }
  qsort (rounds, G_N_ELEMENTS (rounds), sizeof rounds[0], compare_double);
  report (g_strdup ("machine: one system call (getppid), median"), rounds[G_N_ELEMENTS (rounds) / 2],
          "us", NULL, -1);
}

/* For scale: how many one-row transactions a second this disk takes with
 * WAL and synchronous=FULL (one fsync each), the bound of a writer that
 * commits one batch per fsync. */
static void
bench_disk (void)
{
  g_autofree char *dir = g_dir_make_tmp ("fq-bench-disk-XXXXXX", NULL);
  g_autofree char *path = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 start;
  guint n = 200;

  if (dir == NULL)
    return;
  path = g_build_filename (dir, "disk.db", NULL);
  if (sqlite3_open (path, &db) == SQLITE_OK
      && sqlite3_exec (db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t (x);",
                       NULL, NULL, NULL) == SQLITE_OK
      && sqlite3_prepare_v2 (db, "INSERT INTO t VALUES (?)", -1, &stmt, NULL) == SQLITE_OK)
    {
      start = g_get_monotonic_time ();
      for (guint i = 0; i < n; i++)
        {
          sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
          sqlite3_bind_int (stmt, 1, i);
          sqlite3_step (stmt);
          sqlite3_reset (stmt);
          sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
        }
      report (g_strdup ("disk: SQLite WAL synchronous=FULL commits"),
              n / ((g_get_monotonic_time () - start) / (double)G_USEC_PER_SEC), "commits/s", NULL, -1);
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  for (const char *suffix = ""; suffix != NULL; suffix = *suffix == '\0' ? "-wal" : g_str_equal (suffix, "-wal") ? "-shm" : NULL)
    {
      g_autofree char *f = g_strconcat (path, suffix, NULL);

      g_unlink (f);
    }
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  guint months = env_uint ("FQ_BENCH_MONTHS", 13);
  guint incidents = env_uint ("FQ_BENCH_INCIDENTS", 100000);
  /* The writer commits one batch per fsync: intake scales with the number
   * of requests in flight, as it does with many desks at once. */
  guint n_threads = env_uint ("FQ_BENCH_THREADS", 32);
  guint per_connection = env_uint ("FQ_BENCH_REQUESTS", 200);
  const char *phases = g_getenv ("FQ_BENCH_PHASES");
  g_autofree char *months_arg = g_strdup_printf ("%u", months);
  g_autofree char *months_label = g_strdup_printf ("%u months of history", months);
  const char *args[] = { "--demo", "--demo-history-months", months_arg, "--demo-feed-rate", "0", NULL };
  g_autoptr(FqTestServer) server = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  rows = g_array_new (FALSE, FALSE, sizeof (Row));
  fq_test_require_server_binary ();
  /* The benchmark measures speed: a server warning must not abort the
   * server mid-run (the test suites keep G_DEBUG=fatal-warnings). */
  g_unsetenv ("G_DEBUG");
  g_unsetenv ("MALLOC_CHECK_");
  g_print ("1..1\n");
  raise_descriptor_limit ();

  bench_syscall ();
  bench_disk ();

  /* Start-up: first on a new directory (generates the history), then again. */
  server = fq_test_server_new (args);
  if (!fq_test_server_start (server, 600, &error))
    {
      g_print ("not ok 1 - the demo server did not start: %s\n", error->message);
      return 1;
    }
  report (g_strdup_printf ("demo start-up, new dir, %u months of history", months),
          fq_test_server_get_start_seconds (server), "s", NULL, -1);
  fq_test_server_stop (server);
  if (!fq_test_server_start (server, 600, &error))
    {
      g_print ("not ok 1 - the demo server did not start again: %s\n", error->message);
      return 1;
    }
  report (g_strdup ("demo start-up, second start, same dir"), fq_test_server_get_start_seconds (server), "s", NULL, -1);
  report (g_strdup_printf ("server RSS after start, %s", months_label), fq_test_server_get_rss_kib (server) / 1024.0,
          "MiB", NULL, -1);

  if (phases == NULL || strchr (phases, 'i') != NULL)
    {
      ok &= bench_intake (server, MIN (incidents / 10, 5000u), 4, months_label);
      ok &= bench_intake (server, incidents, n_threads, months_label);
      report (g_strdup_printf ("server RSS after history + %u incidents", incidents + MIN (incidents / 10, 5000u)),
              fq_test_server_get_rss_kib (server) / 1024.0, "MiB", NULL, -1);
    }
  if (phases == NULL || strchr (phases, 'b') != NULL)
    ok &= bench_import_beside_reads (server);
  if (phases == NULL || strchr (phases, 'c') != NULL)
    {
      ok &= bench_changes (server);
      ok &= bench_changes_scan (server);
      ok &= bench_changes_raw (server);
    }
  if (phases == NULL || strchr (phases, 'l') != NULL)
    {
      g_autoptr(FqTestClient) coord = fq_test_client_new_login (fq_test_server_get_url (server), "coordinator",
                                                                FQ_TEST_DEMO_PASSWORD);
      g_autoptr(GPtrArray) ids = latency_ticket_ids (server, coord);
      g_autoptr(GPtrArray) every = all_ticket_ids (coord);
      const char *token = fq_test_client_get_token (coord);

      /* Each ticket once first, before anything is kept in memory: every
       * read goes to the database (as many as there are tickets, up to the
       * run's size; without history there are too few to measure). */
      if (every->len >= 1000)
        ok &= bench_latency (server, every, token, TRUE, 50, MIN (per_connection, every->len / 50), 0);
      /* One connection: the server's own cost without client contention. */
      ok &= bench_latency (server, ids, token, FALSE, 1, 2000, 0);
      /* 1,000 tickets in turn: after the first reads, from memory. */
      ok &= bench_latency (server, ids, token, FALSE, 50, per_connection, 0);
      /* Paced, below saturation: 2,500, 5,000 and 10,000 requests/s offered
       * (where p99 stays under the target, and where it stops). */
      ok &= bench_latency (server, ids, token, FALSE, 50, per_connection, 20);
      ok &= bench_latency (server, ids, token, FALSE, 50, per_connection, 10);
      ok &= bench_latency (server, ids, token, FALSE, 50, per_connection, 5);
      ok &= bench_idle_connections (server, ids, token, "idle keep-alive connections", open_keep_alive);
      ok &= bench_idle_connections (server, ids, token, "live feeds", open_live_feed);
      ok &= bench_floor (argv[0], ids, per_connection);
    }
  if (phases != NULL && strchr (phases, 's') != NULL)
    {
      g_autoptr(FqTestClient) coord = fq_test_client_new_login (fq_test_server_get_url (server), "coordinator",
                                                                FQ_TEST_DEMO_PASSWORD);
      g_autoptr(GPtrArray) ids = latency_ticket_ids (server, coord);
      const char *token = fq_test_client_get_token (coord);
      for (guint round = 0; round < 8; round++)
        ok &= bench_latency (server, ids, token, FALSE, 50, per_connection, 0);
    }
  if (phases != NULL && strchr (phases, 'o') != NULL)
    for (guint round = 0; round < 8; round++)
      {
        g_autoptr(FqTestClient) coord = NULL;
        g_autoptr(GPtrArray) every = NULL;

        /* A new start each round: nothing in memory, every read cold. */
        fq_test_server_stop (server);
        if (!fq_test_server_start (server, 600, &error))
          {
            g_print ("not ok 1 - the demo server did not start again: %s\n", error->message);
            return 1;
          }
        coord = fq_test_client_new_login (fq_test_server_get_url (server), "coordinator",
                                          FQ_TEST_DEMO_PASSWORD);
        every = all_ticket_ids (coord);
        ok &= bench_latency (server, every, fq_test_client_get_token (coord), TRUE, 50,
                             MIN (per_connection, every->len / 50), 0);
      }
  report (g_strdup ("server RSS at the end"), fq_test_server_get_rss_kib (server) / 1024.0, "MiB", NULL, -1);

  g_print ("#\n# %-80s %12s %-12s %-10s %s\n", "benchmark", "value", "unit", "target", "");
  for (guint i = 0; i < rows->len; i++)
    {
      Row *r = &g_array_index (rows, Row, i);

      g_print ("# %-80s %12.2f %-12s %-10s %s\n", r->what, r->value, r->unit, r->target ? r->target : "-",
               r->met < 0 ? "" : r->met ? "met" : "MISSED");
    }

  g_print ("%s 1 - server benchmarks\n", ok ? "ok" : "not ok");
  return ok ? 0 : 1;
}
