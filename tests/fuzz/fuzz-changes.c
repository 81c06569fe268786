/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * libFuzzer target: the console cache's change applier. Each input is what
 * the console receives from the server, parsed as fq-client.c and
 * fq-sync.c parse it: a /changes page ({"changes": […], "last_seq", "more"},
 * read as page_cb() of fq-sync.c reads it), a single change object (a
 * WebSocket frame) or a bare array of changes. The changes go through
 * fq_cache_apply_page_async() into a real cache on a temporary database (a
 * page with its text, whose data spans fq_json_find_member_spans() finds
 * are first checked against the parsed page), the main loop is spun until
 * the batch is committed, every record the cache announced is read back,
 * and then the same records are deleted through the applier and the
 * database is emptied, so that every input starts from the same state.
 *
 * The decoders of the board's rows (fq_incident_rec_from_json(),
 * fq_ticket_rec_from_json(), fq_cache_parse_time()) are also called
 * directly on every object, and the time parser is checked against the
 * core's strict one.
 */

#define G_LOG_DOMAIN "Fengqiao-Fuzz"

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "fq-core.h"
#include "fq-cache-private.h"
#include "fq-cache.h"

#include "fq-fuzz-common.h"

static char *tmp_dir;
static FqCache *cache;
/* (entity, id) pairs of "record-changed" for the current input. */
static GPtrArray *changed;

static void
spin_until (gboolean *flag)
{
  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
}

static void
open_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!fq_cache_open_finish (FQ_CACHE (object), result, &error))
    g_error ("Cannot open the cache: %s", error->message);
  *(gboolean *)user_data = TRUE;
}

static void
apply_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* The cache is a private file with room to spare: storing must not fail,
   * whatever the server sent. */
  if (!fq_cache_apply_changes_finish (FQ_CACHE (object), result, &error))
    g_error ("Applying changes failed: %s", error->message);
  *(gboolean *)user_data = TRUE;
}

static void
run_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  fq_cache_run_finish (FQ_CACHE (object), result, &error);
  g_assert_no_error (error);
  *(gboolean *)user_data = TRUE;
}

typedef struct
{
  gboolean    done;
  JsonObject *object;
  GError     *error;
} RecordResult;

static void
record_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  RecordResult *r = user_data;

  r->object = fq_cache_get_record_finish (FQ_CACHE (object), result, &r->error);
  r->done = TRUE;
}

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = fq_cache_list_records_finish (FQ_CACHE (object), result, &error);

  g_assert_no_error (error);
  g_assert_nonnull (records);
  *(gboolean *)user_data = TRUE;
}

static void
record_changed_cb (FqCache    *self,
                   const char *entity,
                   const char *id,
                   gpointer    user_data)
{
  g_assert_nonnull (entity);
  g_assert_nonnull (id);
  g_ptr_array_add (changed, g_strdup (entity));
  g_ptr_array_add (changed, g_strdup (id));
}

/* Empties the database and moves last_seq back to 0. */
static gpointer
reset_job (sqlite3       *db,
           gpointer       data,
           GCancellable  *cancellable,
           GError       **error)
{
  char *message = NULL;

  if (sqlite3_exec (db,
                    "BEGIN;"
                    "DELETE FROM incidents; DELETE FROM incident_json; DELETE FROM tickets;"
                    "DELETE FROM events; DELETE FROM records;"
                    "UPDATE meta SET value = 0 WHERE key = 'last_seq';"
                    "COMMIT;",
                    NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", message);
      sqlite3_free (message);
      sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
    }
  return NULL;
}

/* Makes each commit cheap: nothing here needs to survive a crash. */
static gpointer
fast_job (sqlite3       *db,
          gpointer       data,
          GCancellable  *cancellable,
          GError       **error)
{
  sqlite3_exec (db, "PRAGMA synchronous=OFF", NULL, NULL, NULL);
  return NULL;
}

static void
run_job (FqCacheJobFunc func)
{
  gboolean done = FALSE;

  fq_cache_run_async (cache, func, NULL, NULL, NULL, NULL, run_cb, &done);
  spin_until (&done);
}

/* @page: the text a page's @changes were parsed from, or NULL. */
static void
apply (JsonArray *changes,
       GBytes    *page,
       gint64     last_seq)
{
  gboolean done = FALSE;

  fq_cache_apply_page_async (cache, changes, page, last_seq, NULL, apply_cb, &done);
  spin_until (&done);
}

/* The spans of a page's data, against the parsed page: each span's text
 * parses to that element's data. */
static void
check_spans (const uint8_t *data,
             size_t         size,
             JsonArray     *changes)
{
  g_autoptr(GArray) spans = g_array_new (FALSE, FALSE, sizeof (FqJsonSpan));

  if (!fq_json_find_member_spans ((const char *)data, size, "changes", "data", spans))
    return;
  if (spans->len != json_array_get_length (changes))
    g_error ("%u spans for %u changes", spans->len, json_array_get_length (changes));
  for (guint i = 0; i < spans->len; i++)
    {
      FqJsonSpan span = g_array_index (spans, FqJsonSpan, i);
      g_autoptr(JsonParser) piece = json_parser_new ();
      JsonNode *element = json_array_get_element (changes, i);

      if (span.length == 0)
        continue;
      if (!JSON_NODE_HOLDS_OBJECT (element) ||
          !json_parser_load_from_data (piece, (const char *)data + span.offset, span.length, NULL) ||
          !json_node_equal (json_parser_get_root (piece),
                            json_object_get_member (json_node_get_object (element), "data")))
        g_error ("the span of change %u is not its data", i);
    }
}

/* fq_cache_parse_time() has a fast path of its own for the server's form;
 * where the core's parser takes a time, both must agree. */
static void
check_time (const char *text)
{
  gint64 strict = 0;
  gint64 fast = fq_cache_parse_time (text);

  if (text != NULL && fq_time_parse (text, &strict) && fast != strict)
    g_error ("fq_cache_parse_time (\"%s\") = %" G_GINT64_FORMAT ", fq_time_parse: %"
             G_GINT64_FORMAT, text, fast, strict);
}

static void
decode_rows (JsonObject *object)
{
  FqIncidentRec *incident = fq_incident_rec_from_json (object);
  FqTicketRec *ticket = fq_ticket_rec_from_json (object);
  g_autoptr(GList) members = json_object_get_members (object);

  if (incident != NULL)
    {
      g_assert_nonnull (incident->id);
      g_assert_nonnull (incident->grid);
      g_assert_nonnull (incident->summary);
    }
  if (ticket != NULL)
    {
      g_assert_nonnull (ticket->id);
      g_assert_nonnull (ticket->assisting);
    }
  fq_incident_rec_free (incident);
  fq_ticket_rec_free (ticket);

  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (object, l->data);

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        check_time (json_node_get_string (node));
    }
}

/* page_cb() of fq-sync.c: the changes and the seq to move to. */
static JsonArray *
read_page (JsonNode *root,
           gint64   *last_seq)
{
  JsonObject *obj = json_node_get_object (root);
  JsonNode *changes_node = json_object_get_member (obj, "changes");
  JsonArray *changes;
  gboolean more;

  if (changes_node == NULL || !JSON_NODE_HOLDS_ARRAY (changes_node))
    return NULL;

  *last_seq = fq_json_int_or (obj, "last_seq", 0);
  more = fq_json_bool_or (obj, "more", FALSE);
  changes = json_node_get_array (changes_node);
  if (json_array_get_length (changes) > 0)
    {
      JsonNode *last = json_array_get_element (changes, json_array_get_length (changes) - 1);

      if (JSON_NODE_HOLDS_OBJECT (last))
        {
          gint64 s = fq_json_int_or (json_node_get_object (last), "seq", 0);

          if (more && s > 0)
            *last_seq = s;
        }
    }
  return json_array_ref (changes);
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autofree char *path = NULL;
  gboolean done = FALSE;

  fq_fuzz_init ();

  tmp_dir = g_dir_make_tmp ("fq-fuzz-changes-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);
  path = g_build_filename (tmp_dir, "cache.db", NULL);
  cache = fq_cache_new (path);
  fq_cache_open_async (cache, NULL, open_cb, &done);
  spin_until (&done);
  run_job (fast_job);

  changed = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (cache, "record-changed", G_CALLBACK (record_changed_cb), NULL);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(JsonNode) root = NULL;
  JsonArray *changes = NULL;
  g_autoptr(GBytes) page = NULL;
  gint64 last_seq = 0;

  /* The client refuses nothing by size, but a page is at most a few
   * megabytes; libFuzzer's inputs are far smaller anyway. */
  if (size > FQ_JSON_MAX_BODY)
    return -1;

  if (!json_parser_load_from_data (parser, (const char *)data, size, NULL))
    return 0;
  root = json_parser_steal_root (parser);
  if (root == NULL)
    return 0;

  if (JSON_NODE_HOLDS_OBJECT (root))
    {
      changes = read_page (root, &last_seq);
      if (changes != NULL)
        {
          /* As fq-sync.c applies a page: with its text. */
          check_spans (data, size, changes);
          page = g_bytes_new (data, size);
        }
      if (changes == NULL)
        {
          /* A single change, as a WebSocket frame brings it. */
          changes = json_array_new ();
          json_array_add_element (changes, json_node_ref (root));
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (root))
    changes = json_array_ref (json_node_get_array (root));
  else
    return 0;

  /* The row decoders, on each change's data and on the change itself. */
  for (guint i = 0; i < json_array_get_length (changes); i++)
    {
      JsonNode *node = json_array_get_element (changes, i);
      JsonNode *data_node;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      decode_rows (json_node_get_object (node));
      data_node = json_object_get_member (json_node_get_object (node), "data");
      if (data_node != NULL && JSON_NODE_HOLDS_OBJECT (data_node))
        decode_rows (json_node_get_object (data_node));
    }

  /* The worker must be the only holder of the changes (fq-cache.h). */
  g_clear_pointer (&root, json_node_unref);
  g_clear_object (&parser);
  g_ptr_array_set_size (changed, 0);
  apply (changes, page, last_seq < 0 ? 0 : last_seq);

  /* Everything announced can be read back, as a detail view would. */
  for (guint i = 0; i + 1 < changed->len && i < 16; i += 2)
    {
      RecordResult r = { 0, };

      fq_cache_get_record_async (cache, changed->pdata[i], changed->pdata[i + 1], NULL,
                                 record_cb, &r);
      spin_until (&r.done);
      if (r.object == NULL)
        {
          g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
          g_clear_error (&r.error);
        }
      else
        {
          g_assert_no_error (r.error);
          json_object_unref (r.object);
        }
    }
  {
    gboolean done = FALSE;

    fq_cache_list_records_async (cache, "unit", NULL, NULL, list_cb, &done);
    spin_until (&done);
  }

  /* The same records deleted through the applier, which also drops the
   * reference data it keeps in memory. */
  if (changed->len > 0)
    {
      g_autoptr(GPtrArray) pairs = g_steal_pointer (&changed);
      JsonArray *deletes = json_array_new ();

      changed = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i + 1 < pairs->len; i += 2)
        {
          JsonObject *change = json_object_new ();

          json_object_set_string_member (change, "entity", pairs->pdata[i]);
          json_object_set_string_member (change, "id", pairs->pdata[i + 1]);
          json_object_set_string_member (change, "op", "delete");
          json_array_add_object_element (deletes, change);
        }
      apply (deletes, NULL, 0);
      for (const char *const *e = (const char *const[]){ "grid", "category", "unit", NULL };
           *e != NULL; e++)
        for (guint i = 0; i + 1 < pairs->len; i += 2)
          if (strcmp (pairs->pdata[i], *e) == 0)
            g_assert_null (fq_cache_lookup_ref (cache, *e, pairs->pdata[i + 1]));
      g_ptr_array_set_size (changed, 0);
    }
  run_job (reset_job);

  return 0;
}
