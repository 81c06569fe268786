/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "Fengqiao-Server"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <locale.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>
#include <sodium.h>

#include "fq-backup.h"
#include "fq-enum-types.h"
#include "fq-error.h"
#include "fq-pcache.h"
#include "fq-server-infra.h"
#include "fq-sla.h"
#include "fq-store.h"

#define DEFAULT_LISTEN   "127.0.0.1:8470"
#define DEMO_PASSWORD    "demo"
#define DEMO_CITY        "420200000000"
#define DEMO_STREET      "420204004000"
#define DEMO_COMMUNITY   "420204004011"

static char *opt_data;
static char *opt_listen;
static gboolean opt_demo;
static int opt_history_months = 13;
static double opt_feed_rate = 3.0;
static int opt_accept_limit_minutes = FQ_SLA_DEFAULT_ACCEPT_SECONDS / 60;
static double opt_auto_escalate_hours;
static int opt_sla_interval_seconds = 60;
static int opt_accept_limit_seconds;
static double opt_token_hours = 12.0;
static int opt_keep_alive_seconds = 75;
static char *opt_create_admin;
static char *opt_import_grid;
static char *opt_reference;
static char *opt_tls_cert;
static char *opt_tls_key;
static char *opt_backup;
static gboolean opt_version;

static const GOptionEntry entries[] = {
  { "data", 'd', 0, G_OPTION_ARG_FILENAME, &opt_data,
    "The data directory (created if missing)", "DIR" },
  { "listen", 'l', 0, G_OPTION_ARG_STRING, &opt_listen,
    "Address to listen on; port 0 picks a free port (default " DEFAULT_LISTEN ")", "HOST:PORT" },
  { "demo", 0, 0, G_OPTION_ARG_NONE, &opt_demo,
    "Fill a new data directory with demo users and history, and run a live feed", NULL },
  { "demo-history-months", 0, 0, G_OPTION_ARG_INT, &opt_history_months,
    "Months of demo history on a new data directory (default 13, 0: none)", "N" },
  { "demo-feed-rate", 0, 0, G_OPTION_ARG_DOUBLE, &opt_feed_rate,
    "Live demo events a minute (default 3, 0: off)", "R" },
  { "accept-limit-minutes", 0, 0, G_OPTION_ARG_INT, &opt_accept_limit_minutes,
    "Time a unit has to accept a ticket (default 120)", "MINUTES" },
  { "auto-escalate-hours", 0, 0, G_OPTION_ARG_DOUBLE, &opt_auto_escalate_hours,
    "Escalate a ticket one tier when it has been overdue this long (default 0: never)", "HOURS" },
  { "sla-interval-seconds", 0, 0, G_OPTION_ARG_INT, &opt_sla_interval_seconds,
    "How often the SLA watch runs (default 60; shorter for tests)", "SECONDS" },
  /* Tests only: an acceptance limit of seconds, over --accept-limit-minutes. */
  { "accept-limit-seconds", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT, &opt_accept_limit_seconds,
    "Acceptance limit in seconds (tests)", "SECONDS" },
  { "token-hours", 0, 0, G_OPTION_ARG_DOUBLE, &opt_token_hours,
    "Lifetime of a sign-in token (default 12)", "HOURS" },
  { "keep-alive-seconds", 0, 0, G_OPTION_ARG_INT, &opt_keep_alive_seconds,
    "Close a keep-alive connection idle this long (default 75, 0: never)", "SECONDS" },
  { "create-admin", 0, 0, G_OPTION_ARG_STRING, &opt_create_admin,
    "Create the first administrator (password read from standard input), then exit", "USERNAME" },
  { "import-grid", 0, 0, G_OPTION_ARG_FILENAME, &opt_import_grid,
    "Import a grid subtree (TSV, see data/README.md) and its units, then exit", "FILE" },
  { "reference", 0, 0, G_OPTION_ARG_FILENAME, &opt_reference,
    "Where the reference data files are (default: the installed ones)", "DIR" },
  { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &opt_tls_cert,
    "Serve HTTPS with this PEM certificate", "FILE" },
  { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &opt_tls_key,
    "The PEM private key of --tls-cert (default: the same file)", "FILE" },
  { "backup", 0, 0, G_OPTION_ARG_FILENAME, &opt_backup,
    "Copy the database to FILE (safe while the server runs), then exit", "FILE" },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version, "Print the version and exit", NULL },
  { NULL }
};

static const struct
{
  const char *username;
  FqRole      role;
  const char *scope;
  gboolean    needs_unit;
} demo_users[] = {
  /* Their names: fq_demo_display_name(). */
  { "admin",       FQ_ROLE_ADMIN,       DEMO_CITY,      FALSE },
  { "operator",    FQ_ROLE_OPERATOR,    DEMO_CITY,      FALSE },
  { "coordinator", FQ_ROLE_COORDINATOR, DEMO_CITY,      FALSE },
  { "leader",      FQ_ROLE_LEADER,      DEMO_CITY,      FALSE },
  { "unit",        FQ_ROLE_UNIT,        DEMO_STREET,    TRUE  },
  { "grid",        FQ_ROLE_GRID_WORKER, DEMO_COMMUNITY, FALSE },
};

static gboolean
parse_listen (const char  *text,
              char       **host,
              guint       *port,
              GError     **error)
{
  const char *colon;
  guint64 value;

  if (text[0] == '[')
    {
      const char *end = strchr (text, ']');

      if (end == NULL || end[1] != ':')
        goto bad;
      *host = g_strndup (text + 1, end - text - 1);
      colon = end + 1;
    }
  else
    {
      colon = strrchr (text, ':');
      if (colon == NULL || colon == text)
        goto bad;
      *host = g_strndup (text, colon - text);
    }

  if (!g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &value, NULL))
    {
      g_clear_pointer (host, g_free);
      goto bad;
    }
  *port = (guint)value;
  return TRUE;

bad:
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "--listen: expected HOST:PORT, got “%s”", text);
  return FALSE;
}

static gboolean
host_is_loopback (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (g_strcmp0 (host, "localhost") == 0)
    return TRUE;
  address = g_inet_address_new_from_string (host);
  return address != NULL && g_inet_address_get_is_loopback (address);
}

static char *
find_reference_dir (void)
{
  const char *candidates[] = { opt_reference, PKGDATADIR, SOURCE_DATADIR };

  if (opt_reference != NULL)
    return g_strdup (opt_reference);

  for (guint i = 1; i < G_N_ELEMENTS (candidates); i++)
    {
      g_autofree char *probe = g_build_filename (candidates[i], "categories.json", NULL);

      if (g_file_test (probe, G_FILE_TEST_EXISTS))
        return g_strdup (candidates[i]);
    }
  return g_strdup (PKGDATADIR);
}

static char *
read_password (GError **error)
{
  GString *line = g_string_new (NULL);
  struct termios saved, quiet;
  gboolean tty = isatty (STDIN_FILENO);
  int c;

  if (tty)
    {
      fprintf (stderr, "Password: ");
      fflush (stderr);
      tcgetattr (STDIN_FILENO, &saved);
      quiet = saved;
      quiet.c_lflag &= ~ECHO;
      tcsetattr (STDIN_FILENO, TCSANOW, &quiet);
    }
  while ((c = getchar ()) != EOF && c != '\n')
    g_string_append_c (line, (char)c);
  if (tty)
    {
      tcsetattr (STDIN_FILENO, TCSANOW, &saved);
      fputc ('\n', stderr);
    }
  if (line->len > 0 && line->str[line->len - 1] == '\r')
    g_string_truncate (line, line->len - 1);

  if (g_utf8_strlen (line->str, -1) < 8 || !g_utf8_validate (line->str, -1, NULL))
    {
      sodium_memzero (line->str, line->len);
      g_string_free (line, TRUE);
      g_set_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD,
                   "password: at least 8 characters, read from standard input");
      return NULL;
    }
  return g_string_free (line, FALSE);
}

static gboolean
with_transaction (sqlite3   *db,
                  gboolean (*func) (sqlite3 *db, gpointer data, GError **error),
                  gpointer   data,
                  GError   **error)
{
  if (!fq_store_exec (db, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!func (db, data, error))
    {
      fq_store_exec (db, "ROLLBACK", NULL);
      return FALSE;
    }
  return fq_store_exec (db, "COMMIT", error);
}

typedef struct
{
  const char *refdir;
  gboolean    demo;
  /* The demo passwords are hashed on another thread while the history is
   * generated (Argon2 takes a tenth of a second per hash). */
  GThreadPool *hashing;
  char        *hashes[G_N_ELEMENTS (demo_users)];
} SetupData;

static void
hash_thread (gpointer data,
             gpointer user_data)
{
  char **slot = data;

  *slot = fq_auth_hash_password (DEMO_PASSWORD, NULL);
}

static void
setup_finish_hashing (SetupData *setup)
{
  if (setup->hashing == NULL)
    return;
  g_thread_pool_free (g_steal_pointer (&setup->hashing), FALSE, TRUE);
  g_debug ("hashed the demo passwords");
}

static gboolean
setup_new (sqlite3   *db,
           gpointer   user_data,
           GError   **error)
{
  SetupData *setup = user_data;
  g_autoptr(FqRefData) ref = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *stamp = NULL;

  g_debug ("importing the reference data");
  if (!fq_reference_import_dir (db, setup->refdir, now, error))
    return FALSE;
  stamp = g_strdup_printf ("%" G_GINT64_FORMAT, now);
  if (!fq_store_set_meta (db, "reference_imported", stamp, error))
    return FALSE;

  if (!setup->demo)
    return TRUE;

  ref = fq_reference_load (db, error);
  if (ref == NULL)
    return FALSE;

  if (opt_history_months > 0)
    {
      gint64 start = g_get_monotonic_time ();

      if (!fq_demo_generate_history (db, ref, opt_history_months, now, error))
        {
          g_prefix_error (error, "generating the demo history: ");
          return FALSE;
        }
      g_message ("generated %d months of demo history in %.1f s", opt_history_months,
                 (g_get_monotonic_time () - start) / 1e6);
    }

  /* The users after the history: their passwords were hashed meanwhile. */
  setup_finish_hashing (setup);
  for (guint i = 0; i < G_N_ELEMENTS (demo_users); i++)
    {
      const char *unit = NULL;

      if (demo_users[i].needs_unit)
        {
          const FqUnitInfo *info = fq_refdata_find_unit (ref, "street_office", DEMO_STREET);

          if (info == NULL)
            {
              g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL,
                           "the reference data has no street office for %s", DEMO_STREET);
              return FALSE;
            }
          unit = info->id;
        }
      if (setup->hashes[i] == NULL)
        {
          g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL, "could not hash the demo password");
          return FALSE;
        }
      if (!fq_auth_insert_user (db, demo_users[i].username,
                                fq_demo_display_name (demo_users[i].username),
                                setup->hashes[i], demo_users[i].role, demo_users[i].scope,
                                unit, now, error))
        return FALSE;
    }

  return fq_store_set_meta (db, "demo", "1", error);
}

typedef struct
{
  const char *username;
  const char *hash;
} AdminData;

static gboolean
create_admin (sqlite3   *db,
              gpointer   user_data,
              GError   **error)
{
  AdminData *admin = user_data;
  g_autoptr(FqRefData) ref = NULL;
  sqlite3_stmt *stmt = NULL;
  gboolean exists = FALSE;
  const FqGridNodeInfo *root;

  if (sqlite3_prepare_v2 (db, "SELECT 1 FROM users WHERE role = 'admin' AND disabled = 0",
                          -1, &stmt, NULL) == SQLITE_OK)
    exists = sqlite3_step (stmt) == SQLITE_ROW;
  sqlite3_finalize (stmt);
  if (exists)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_CONFLICT,
                   "this data directory already has an administrator; use the API");
      return FALSE;
    }

  ref = fq_reference_load (db, error);
  if (ref == NULL)
    return FALSE;
  root = fq_refdata_get_root (ref);
  if (root == NULL)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL, "the grid is empty");
      return FALSE;
    }

  return fq_auth_insert_user (db, admin->username, admin->username, admin->hash,
                              FQ_ROLE_ADMIN, root->code, NULL,
                              g_get_real_time () / G_USEC_PER_SEC, error);
}

typedef struct
{
  const char *path;
  const char *refdir;
  guint       n_nodes;
  guint       n_units;
} ImportData;

static gboolean
import_grid (sqlite3   *db,
             gpointer   user_data,
             GError   **error)
{
  ImportData *import = user_data;

  return fq_reference_import_grid (db, import->path, import->refdir,
                                   g_get_real_time () / G_USEC_PER_SEC,
                                   &import->n_nodes, &import->n_units, error);
}

/* Every log line goes to standard error: standard output carries the
 * LISTENING line that scripts and the console read, even with
 * G_MESSAGES_DEBUG set (GLib would print debug messages there). */
static GLogWriterOutput
log_writer (GLogLevelFlags   level,
            const GLogField *fields,
            gsize            n_fields,
            gpointer         user_data)
{
  g_autofree char *text = NULL;
  const char *domain = NULL;

  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
      domain = fields[i].value;

  if (g_log_writer_default_would_drop (level, domain))
    return G_LOG_WRITER_HANDLED;

  text = g_log_writer_format_fields (level, fields, n_fields,
                                     g_log_writer_supports_color (fileno (stderr)));
  fprintf (stderr, "%s\n", text);
  fflush (stderr);
  return G_LOG_WRITER_HANDLED;
}

/* The identity of the data directory's contents (GET /health "epoch"),
 * made once; a backup copy gets a new one (fq-backup.c). */
static gboolean
ensure_epoch (sqlite3  *db,
              GError  **error)
{
  g_autofree char *epoch = fq_store_get_meta (db, "epoch");

  if (epoch != NULL)
    return TRUE;
  epoch = g_uuid_string_random ();
  return fq_store_set_meta (db, "epoch", epoch, error);
}

static int
run_backup (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = g_build_filename (opt_data, FQ_STORE_FILENAME, NULL);
  FqBackupStats stats;

  if (!fq_backup_copy (db_path, opt_backup, &stats, &error))
    {
      g_printerr ("fengqiao-server: --backup: %s\n", error->message);
      return 1;
    }

  /* One line for scripts, on standard output. */
  g_print ("BACKUP %s last_seq=%" G_GINT64_FORMAT " pages=%" G_GINT64_FORMAT
           " restarts=%u seconds=%.2f\n",
           opt_backup, stats.last_seq, stats.pages, stats.restarts, stats.seconds);
  return 0;
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static gboolean
memory_report_cb (gpointer user_data)
{
  fq_store_log_memory ();
  return G_SOURCE_CONTINUE;
}

/* One server to a data directory, and the commands that change it only
 * while none runs: two processes would each keep in memory what the other
 * changes (the reference data; the users, their tokens and lock-outs, so a
 * user disabled or signed out on one stays signed in on the other; the
 * live feed), and two first starts would build the same new database. The
 * lock is an flock() on DIR/fengqiao-server.lock, held until the process
 * ends, however it ends: a server killed with SIGKILL leaves no lock behind.
 * The file says which process holds it. Its descriptor stays open on
 * purpose. Returns 0, or the exit status. */
static int
lock_data_dir (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "fengqiao-server.lock", NULL);
  g_autofree char *pid = NULL;
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

  if (fd < 0)
    {
      g_printerr ("fengqiao-server: %s: %s\n", path, g_strerror (errno));
      return 1;
    }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      int saved = errno;
      char holder[32] = "";
      gssize n = pread (fd, holder, sizeof holder - 1, 0);

      close (fd);
      if (saved != EWOULDBLOCK)
        {
          g_printerr ("fengqiao-server: %s: %s\n", path, g_strerror (saved));
          return 1;
        }
      holder[MAX (n, 0)] = '\0';
      g_strstrip (holder);
      g_printerr ("fengqiao-server: %s is in use by another fengqiao-server%s%s%s; stop it "
                  "first, or give another --data directory\n", dir,
                  holder[0] != '\0' ? " (process " : "", holder, holder[0] != '\0' ? ")" : "");
      return FQ_SERVER_EXIT_DATA_IN_USE;
    }
  pid = g_strdup_printf ("%ld\n", (long)getpid ());
  if (ftruncate (fd, 0) != 0 || pwrite (fd, pid, strlen (pid), 0) < 0)
    g_debug ("%s: %s", path, g_strerror (errno));
  return 0;
}

/* Every connection is a descriptor, and each console keeps one or two open
 * (its keep-alive connection and its live feed): the soft limit a service
 * starts with (1,024 under systemd) would refuse connections past about a
 * thousand. Raised to the hard limit, as systemd asks of programs that
 * need more; the loop polls (no select()), so a large number is safe. */
static void
raise_descriptor_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max)
    return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
    g_debug ("descriptor limit: %s", g_strerror (errno));
}

static int
fail (const char   *what,
      const GError *error)
{
  g_printerr ("fengqiao-server: %s%s%s\n", what ? what : "", what ? ": " : "", error->message);
  return 1;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(FqRefData) refdata = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *host = NULL;
  g_autofree char *refdir = NULL;
  g_autofree char *new_part_path = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *initialized = NULL;
  g_autofree char *demo_flag = NULL;
  g_autofree char *admin_password = NULL;
  FqServerConfig config = { 0, };
  FqServer *server;
  sqlite3 *db;
  guint port = 0;
  gboolean ok;
  int status;

  setlocale (LC_ALL, "");
  g_log_set_writer_func (log_writer, NULL, NULL);

  context = g_option_context_new ("— the Fengqiao (枫桥) dispute-diversion server");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return fail (NULL, error);

  if (opt_version)
    {
      g_print ("fengqiao-server %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (sodium_init () < 0)
    {
      g_printerr ("fengqiao-server: libsodium could not be initialised\n");
      return 1;
    }
  /* Before anything opens a database. */
  if (!fq_pcache_install ())
    g_warning ("SQLite was in use before its page cache could be set up; "
               "commits walk the whole cache");

  if (opt_data == NULL)
    {
      g_printerr ("fengqiao-server: --data DIR is required\n");
      return 2;
    }

  /* Before anything else touches the data directory: the running server
   * owns it, and a backup only reads. */
  if (opt_backup != NULL)
    return run_backup ();
  if (!parse_listen (opt_listen != NULL ? opt_listen : DEFAULT_LISTEN, &host, &port, &error))
    return fail (NULL, error);
  if (opt_demo && !host_is_loopback (host))
    {
      g_printerr ("fengqiao-server: --demo serves known passwords: it listens on a loopback "
                  "address only, not on %s\n", host);
      return 2;
    }
  if (opt_history_months < 0 || opt_history_months > 120 || opt_feed_rate < 0 ||
      opt_accept_limit_minutes <= 0 || opt_token_hours <= 0 || opt_auto_escalate_hours < 0 ||
      opt_sla_interval_seconds <= 0 || opt_accept_limit_seconds < 0 || opt_keep_alive_seconds < 0)
    {
      g_printerr ("fengqiao-server: an option value is out of range\n");
      return 2;
    }

  if (g_mkdir_with_parents (opt_data, 0700) != 0)
    {
      g_printerr ("fengqiao-server: cannot create %s: %s\n", opt_data, g_strerror (errno));
      return 1;
    }
  status = lock_data_dir (opt_data);
  if (status != 0)
    return status;
  raise_descriptor_limit ();

  /* Ask for the password before touching the data directory. */
  if (opt_create_admin != NULL)
    {
      admin_password = read_password (&error);
      if (admin_password == NULL)
        return fail ("--create-admin", error);
    }

  refdir = find_reference_dir ();
  /* The demo generator looks for its corpus beside the reference data. */
  g_setenv ("FQ_DATADIR", refdir, TRUE);
  db_path = g_build_filename (opt_data, FQ_STORE_FILENAME, NULL);

  /* A new data directory is built in a side file with the journal off (a
   * year of demo history is about a million rows), then switched to WAL and
   * renamed into place: a set-up that is interrupted leaves no half-made
   * database behind, and the next start simply begins again. */
  if (!g_file_test (db_path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *part_path = g_strconcat (db_path, ".part", NULL);

      g_unlink (part_path);
      db = fq_store_open (part_path, &error);
      if (db == NULL || !fq_store_migrate (db, &error))
        return fail (part_path, error);
      if (!fq_store_exec (db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
                              "PRAGMA cache_size = -262144;", &error))
        return fail (part_path, error);
      new_part_path = g_steal_pointer (&part_path);
    }
  else
    {
      db = fq_store_open (db_path, &error);
      if (db == NULL || !fq_store_migrate (db, &error))
        return fail (db_path, error);
    }

  initialized = fq_store_get_meta (db, "reference_imported");
  demo_flag = fq_store_get_meta (db, "demo");

  if (initialized == NULL)
    {
      SetupData setup = { .refdir = refdir, .demo = opt_demo };

      if (opt_demo)
        {
          /* One thread: the history generator has the other core. */
          setup.hashing = g_thread_pool_new (hash_thread, NULL, 1, TRUE, NULL);
          for (guint i = 0; i < G_N_ELEMENTS (demo_users); i++)
            g_thread_pool_push (setup.hashing, &setup.hashes[i], NULL);
        }

      ok = with_transaction (db, setup_new, &setup, &error);
      setup_finish_hashing (&setup);
      for (guint i = 0; i < G_N_ELEMENTS (demo_users); i++)
        g_free (setup.hashes[i]);
      if (!ok)
        {
          fq_store_close (db);
          return fail ("setting up the data directory", error);
        }
      g_clear_pointer (&demo_flag, g_free);
      demo_flag = fq_store_get_meta (db, "demo");
    }

  if (new_part_path != NULL)
    {
      if (!fq_store_exec (db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;", &error))
        return fail (new_part_path, error);
      fq_store_close (db);
      /* On disk before it takes the database's name: the set-up wrote it
       * without a journal and without flushing (400 MB for 13 months of
       * history: about a second). */
      if (!fq_store_sync_path (new_part_path, &error))
        return fail (NULL, error);
      if (g_rename (new_part_path, db_path) != 0)
        {
          int saved = errno;
          g_printerr ("fengqiao-server: %s: %s\n", db_path, g_strerror (saved));
          return 1;
        }
      if (!fq_store_sync_path (opt_data, &error))
        return fail (NULL, error);
      /* The set-up's page cache (256 MB above) is free now, but glibc keeps
       * freed memory in the middle of its heap resident: a new data
       * directory with 13 months of demo history started at 248 MB RSS,
       * 232 MB of it free. Give it back. */
      malloc_trim (0);
      db = fq_store_open (db_path, &error);
      if (db == NULL)
        return fail (db_path, error);
    }
  else if (opt_demo && g_strcmp0 (demo_flag, "1") != 0)
    {
      fq_store_close (db);
      g_printerr ("fengqiao-server: %s was not created with --demo; refusing to add demo "
                  "users and history to it\n", opt_data);
      return 2;
    }

  if (!ensure_epoch (db, &error))
    {
      fq_store_close (db);
      return fail (db_path, error);
    }

  if (opt_create_admin != NULL)
    {
      AdminData admin = { .username = opt_create_admin };
      g_autofree char *hash = NULL;

      hash = fq_auth_hash_password (admin_password, &error);
      sodium_memzero (admin_password, strlen (admin_password));
      admin.hash = hash;
      if (hash == NULL || !with_transaction (db, create_admin, &admin, &error))
        {
          fq_store_close (db);
          return fail ("--create-admin", error);
        }
      fq_store_close (db);
      g_printerr ("fengqiao-server: administrator %s created\n", opt_create_admin);
      return 0;
    }

  if (opt_import_grid != NULL)
    {
      ImportData import = { .path = opt_import_grid, .refdir = refdir };

      if (!with_transaction (db, import_grid, &import, &error))
        {
          fq_store_close (db);
          return fail ("--import-grid", error);
        }
      fq_store_close (db);
      g_printerr ("fengqiao-server: imported %u grid nodes and %u units; restart the server "
                  "to serve them\n", import.n_nodes, import.n_units);
      return 0;
    }

  refdata = fq_reference_load (db, &error);
  fq_store_close (db);
  if (refdata == NULL)
    return fail ("loading the reference data", error);

  config.data_dir = opt_data;
  config.listen_host = host;
  config.listen_port = port;
  config.demo = opt_demo;
  config.demo_history_months = opt_history_months;
  config.demo_feed_rate = opt_feed_rate;
  config.accept_limit_seconds = opt_accept_limit_seconds > 0 ? opt_accept_limit_seconds
                                                             : (gint64)opt_accept_limit_minutes * 60;
  config.auto_escalate_seconds = (gint64)(opt_auto_escalate_hours * 3600);
  config.sla_interval_seconds = opt_sla_interval_seconds;
  config.token_lifetime_seconds = (gint64)(opt_token_hours * 3600);
  config.keep_alive_seconds = opt_keep_alive_seconds;
  config.tls_cert = opt_tls_cert;
  config.tls_key = opt_tls_key;
  config.reference_dir = refdir;

  server = fq_server_new (&config, refdata, &error);
  if (server == NULL)
    return fail (NULL, error);
  if (!fq_server_start (server, &error) || !fq_server_listen (server, &uri, &error))
    {
      fq_server_free (server);
      return fail ("listening", error);
    }

  /* kill -USR1: one line in the log saying where the memory is. */
  g_unix_signal_add (SIGUSR1, memory_report_cb, NULL);

  /* The first line on standard output: scripts and the console wait for it. */
  g_print ("LISTENING %s\n", uri);
  fflush (stdout);

  if (opt_demo)
    {
      g_printerr ("fengqiao-server: demo users (password “%s”):", DEMO_PASSWORD);
      for (guint i = 0; i < G_N_ELEMENTS (demo_users); i++)
        g_printerr (" %s", demo_users[i].username);
      g_printerr ("\n");
      if (opt_feed_rate > 0)
        fq_demo_feed_start (server, opt_feed_rate);
    }

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_main_loop_run (loop);

  fq_server_free (server);
  return 0;
}
