/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Data"

#include "config.h"

#include <string.h>

#include "fq-row-store.h"

#define BLOCK_BITS 20
#define BLOCK_SIZE (1u << BLOCK_BITS)
#define MAX_BLOCKS (1u << (32 - BLOCK_BITS))
/* Above this many runs, a diff is sent as a replacement of every row:
 * emitting thousands of scattered runs costs GTK more than rebinding the
 * visible rows once. Live batches are always sent as exact runs. */
#define MAX_SPEC_RUNS 64
/* Alive items at most this many positions apart are reused in one change
 * (see reuse_items ()). */
#define REUSE_GAP 8
/* Main-loop time spent emitting runs before yielding. */
#define SLICE_USEC 4000
/* A writer lets go of the rows after at most this many, for the main
 * thread to read what it paints (a woken reader gets the lock before the
 * writer takes it again). */
#define WRITER_BREATHE_EVERY 64

typedef enum
{
  REQ_SPEC,
  REQ_APPLY,
  REQ_REBUILD,
  REQ_QUIT,
} ReqKind;

typedef struct
{
  ReqKind    kind;
  gpointer   spec;
  GPtrArray *recs;
  gboolean   live;
} Request;

typedef struct
{
  guint pos;
  guint removed;
  guint added;
} Run;

typedef struct
{
  FqRowStoreResultKind kind;
  guint32  *perm;
  guint     n_perm;
  guint32  *inv;       /* row → position + 1, 0 if not shown */
  guint     n_inv;
  GArray   *runs;      /* Run */
  GArray   *changed;   /* guint32 rows */
  GArray   *added;     /* guint32 rows, only for live batches */
  gboolean  all_changed;
  gboolean  replaced;  /* a spec's or rebuild's result sent as a replacement */
} Result;

typedef struct
{
  guint64 key;
  guint32 row;
} KeyRow;

struct _FqRowStore
{
  const FqRowStoreClass *klass;
  FqRowStoreCallbacks    cb;
  gpointer               owner;
  GMainContext          *context;
  GRWLock                lock;

  /* Data: written under the write lock. */
  guint8                *rows;
  guint                  n_rows;
  guint                  cap_rows;
  char                 **blocks;
  guint                  n_blocks;
  guint                  block_used;
  guint32               *slots;      /* id index: pairs (hash, row + 1); row 0 empty */
  guint                  n_slots;
  guint                  n_live;
  GPtrArray             *atoms[FQ_ROW_STORE_N_ATOM_TABLES];
  GHashTable            *atom_index[FQ_ROW_STORE_N_ATOM_TABLES];
  guint                  bulk_count;

  /* Worker only. */
  GThread               *thread;
  GAsyncQueue           *queue;
  gpointer               spec;
  guint64               *rowkey;
  guint8                *dirty;
  guint                  cap_work;
  guint32               *order;
  guint                  n_order;
  guint32               *perm_w;
  guint                  n_perm_w;

  /* Main thread only. */
  guint32               *perm;
  guint                  n_perm;
  guint32               *inv;
  guint                  n_inv;
  GMutex                 results_lock;
  GQueue                 results;
  Result                *current;
  guint                  run_index;
  gint64                 delta;      /* added − removed of the runs emitted */
  guint                  split_new;
  guint                  split_old;
  GSource               *idle;
  GType                  item_type;
  GParamSpec            *n_items_pspec;
  guint                  n_items_notified;
  GHashTable            *live_items; /* row → item (weak) */
  char                  *kept_id;    /* its item is never given another row */
  GHashTable            *pending;    /* id → TRUE */
  GPtrArray             *unpend;     /* ids whose mark clears when results are in */
  guint                  busy;
  guint                  busy_spec;  /* of which spec changes and rebuilds */
  gboolean               stopped;
  gatomicrefcount        ref_count;  /* the owner's, and one per queued notify */
};

static gpointer worker_main (gpointer data);

static void
result_free (Result *res)
{
  g_free (res->perm);
  g_free (res->inv);
  g_clear_pointer (&res->runs, g_array_unref);
  g_clear_pointer (&res->changed, g_array_unref);
  g_clear_pointer (&res->added, g_array_unref);
  g_free (res);
}

static void
request_free (FqRowStore *store,
              Request    *req)
{
  if (req->spec != NULL)
    store->klass->spec_free (req->spec);
  g_clear_pointer (&req->recs, g_ptr_array_unref);
  g_free (req);
}

/* ---- data -------------------------------------------------------------- */

static inline gpointer
row_ptr (FqRowStore *store,
         guint       row)
{
  return store->rows + (gsize)row * store->klass->row_size;
}

/* The main thread reads rows while a worker writes a million of them (the
 * full load, a batch of changes): the writer holds the lock only in short
 * stretches, so that a read waits for a few rows' work, not for the load
 * or the batch. On a busy machine a writer descheduled while it holds the
 * lock holds it until it runs again: the less of its time it holds it, the
 * rarer that is (see also fq_row_store_bulk_pause ()). */
static void
reader_lock (FqRowStore *store)
{
  g_rw_lock_reader_lock (&store->lock);
}

static void
writer_breathe (FqRowStore *store)
{
  g_rw_lock_writer_unlock (&store->lock);
  g_rw_lock_writer_lock (&store->lock);
}

static inline guint32
str_hash (const char *s,
          gsize       len)
{
  guint32 h = 2166136261u;

  for (gsize i = 0; i < len; i++)
    {
      h ^= (guint8)s[i];
      h *= 16777619u;
    }
  return h;
}

const char *
fq_row_store_str (FqRowStore *store,
                  guint32     handle)
{
  return store->blocks[handle >> BLOCK_BITS] + (handle & (BLOCK_SIZE - 1));
}

guint32
fq_row_store_add_str (FqRowStore *store,
                      const char *str,
                      gssize      len)
{
  guint32 handle;
  char *dst;

  if (str == NULL || len == 0 || (len < 0 && str[0] == '\0'))
    return 0;
  if (len < 0)
    len = strlen (str);
  if ((gsize)len >= BLOCK_SIZE / 4)
    {
      /* Keep whole UTF-8 characters when clamping absurdly long text. */
      const char *end = g_utf8_find_prev_char (str, str + BLOCK_SIZE / 4);
      len = end ? end - str : 0;
    }

  if (store->n_blocks == 0 || store->block_used + len + 1 > BLOCK_SIZE)
    {
      if (store->n_blocks >= MAX_BLOCKS)
        return 0;
      store->blocks = g_renew (char *, store->blocks, store->n_blocks + 1);
      store->blocks[store->n_blocks++] = g_malloc (BLOCK_SIZE);
      store->block_used = 0;
    }

  handle = ((store->n_blocks - 1) << BLOCK_BITS) | store->block_used;
  dst = store->blocks[store->n_blocks - 1] + store->block_used;
  memcpy (dst, str, len);
  dst[len] = '\0';
  store->block_used += len + 1;
  return handle;
}

char *
fq_row_store_alloc_str (FqRowStore *store,
                        gsize       len,
                        guint32    *handle)
{
  char *dst;

  g_assert (len < BLOCK_SIZE / 4);

  if (store->n_blocks == 0 || store->block_used + len + 1 > BLOCK_SIZE)
    {
      g_assert (store->n_blocks < MAX_BLOCKS);
      store->blocks = g_renew (char *, store->blocks, store->n_blocks + 1);
      store->blocks[store->n_blocks++] = g_malloc (BLOCK_SIZE);
      store->block_used = 0;
    }

  *handle = ((store->n_blocks - 1) << BLOCK_BITS) | store->block_used;
  dst = store->blocks[store->n_blocks - 1] + store->block_used;
  dst[len] = '\0';
  store->block_used += len + 1;
  return dst;
}

guint32
fq_row_store_atom (FqRowStore *store,
                   guint       table,
                   const char *str)
{
  gpointer value;
  char *copy;

  g_assert (table < FQ_ROW_STORE_N_ATOM_TABLES);

  if (str == NULL || str[0] == '\0')
    return 0;
  if (g_hash_table_lookup_extended (store->atom_index[table], str, NULL, &value))
    return GPOINTER_TO_UINT (value);

  copy = g_strdup (str);
  g_ptr_array_add (store->atoms[table], copy);
  g_hash_table_insert (store->atom_index[table], copy,
                       GUINT_TO_POINTER (store->atoms[table]->len - 1));
  return store->atoms[table]->len - 1;
}

guint32
fq_row_store_find_atom (FqRowStore *store,
                        guint       table,
                        const char *str)
{
  gpointer value;

  if (str != NULL && g_hash_table_lookup_extended (store->atom_index[table], str, NULL, &value))
    return GPOINTER_TO_UINT (value);
  return 0;
}

const char *
fq_row_store_atom_str (FqRowStore *store,
                       guint       table,
                       guint32     atom)
{
  if (atom >= store->atoms[table]->len)
    return "";
  return g_ptr_array_index (store->atoms[table], atom);
}

guint
fq_row_store_n_atoms (FqRowStore *store,
                      guint       table)
{
  return store->atoms[table]->len;
}

/* Open addressing over (hash, row + 1) pairs: a probe compares hashes
 * first and only reads the row's id on a match, which keeps a lookup in a
 * million rows to about one cache miss. */
static guint
index_find (FqRowStore *store,
            const char *id,
            gsize       len)
{
  guint mask = store->n_slots - 1;
  guint32 hash = str_hash (id, len);
  guint i = hash & mask;

  for (;;)
    {
      guint32 slot = store->slots[2 * i + 1];

      if (slot == 0)
        return G_MAXUINT;
      if (store->slots[2 * i] == hash)
        {
          const FqRowHeader *h = row_ptr (store, slot - 1);
          const char *s = fq_row_store_str (store, h->id);

          if (strncmp (s, id, len) == 0 && s[len] == '\0')
            return slot - 1;
        }
      i = (i + 1) & mask;
    }
}

static void
index_insert_hashed (FqRowStore *store,
                     guint       row,
                     guint32     hash)
{
  guint mask = store->n_slots - 1;
  guint i = hash & mask;

  while (store->slots[2 * i + 1] != 0)
    i = (i + 1) & mask;
  store->slots[2 * i] = hash;
  store->slots[2 * i + 1] = row + 1;
}

static void
index_grow (FqRowStore *store)
{
  guint32 *old = store->slots;
  guint n_old = store->n_slots;

  store->n_slots = n_old * 2;
  store->slots = g_new0 (guint32, 2 * (gsize)store->n_slots);
  for (guint i = 0; i < n_old; i++)
    if (old[2 * i + 1] != 0)
      index_insert_hashed (store, old[2 * i + 1] - 1, old[2 * i]);
  g_free (old);
}

/* Writer: the row of @id, appended zeroed if new (*is_new). */
static guint
upsert_row (FqRowStore *store,
            const char *id,
            gsize       len,
            gboolean   *is_new)
{
  guint row = index_find (store, id, len);
  FqRowHeader *h;

  if (row != G_MAXUINT)
    {
      *is_new = FALSE;
      return row;
    }

  if (store->n_rows == store->cap_rows)
    {
      store->cap_rows = MAX (1024, store->cap_rows * 2);
      store->rows = g_realloc (store->rows, (gsize)store->cap_rows * store->klass->row_size);
    }
  if ((store->n_rows + 1) * 2 > store->n_slots)
    index_grow (store);

  row = store->n_rows++;
  h = row_ptr (store, row);
  memset (h, 0, store->klass->row_size);
  h->id = fq_row_store_add_str (store, id, len);
  index_insert_hashed (store, row, str_hash (id, len));
  store->n_live++;
  *is_new = TRUE;
  return row;
}

/* ---- sorting and diffing (worker) ------------------------------------- */

static void
radix_sort (KeyRow *a,
            guint   n)
{
  KeyRow *tmp;
  guint *count;

  if (n < 2)
    return;

  tmp = g_new (KeyRow, n);
  count = g_new (guint, 65536);

  for (guint shift = 0; shift < 64; shift += 16)
    {
      guint sum = 0;
      gboolean one_bucket = FALSE;

      memset (count, 0, 65536 * sizeof (guint));
      for (guint i = 0; i < n; i++)
        count[(a[i].key >> shift) & 0xffff]++;

      for (guint b = 0; b < 65536; b++)
        {
          guint c = count[b];

          if (c == n)
            one_bucket = TRUE;
          count[b] = sum;
          sum += c;
        }
      if (one_bucket)
        continue;

      for (guint i = 0; i < n; i++)
        tmp[count[(a[i].key >> shift) & 0xffff]++] = a[i];
      memcpy (a, tmp, (gsize)n * sizeof (KeyRow));
    }

  g_free (count);
  g_free (tmp);
}

static inline gboolean
key_less (FqRowStore *store,
          guint32     a,
          guint32     b)
{
  guint64 ka = store->rowkey[a];
  guint64 kb = store->rowkey[b];

  return ka < kb || (ka == kb && a < b);
}

static void
ensure_work (FqRowStore *store)
{
  if (store->rowkey != NULL && store->cap_work >= store->n_rows)
    return;

  store->cap_work = MAX (store->n_rows + store->n_rows / 4, 1024);
  store->rowkey = g_renew (guint64, store->rowkey, store->cap_work);
  store->dirty = g_realloc (store->dirty, store->cap_work);
  store->order = g_renew (guint32, store->order, store->cap_work);
  store->perm_w = g_renew (guint32, store->perm_w, store->cap_work);
}

static void
compute_all_keys_and_sort (FqRowStore *store)
{
  KeyRow *kr;
  guint n = 0;

  ensure_work (store);
  memset (store->dirty, 0, store->n_rows);
  kr = g_new (KeyRow, MAX (store->n_rows, 1));

  for (guint r = 0; r < store->n_rows; r++)
    {
      const FqRowHeader *h = row_ptr (store, r);

      store->rowkey[r] = store->klass->sort_key (store, h, store->spec);
      if (h->flags & FQ_ROW_DELETED)
        continue;
      kr[n].key = store->rowkey[r];
      kr[n].row = r;
      n++;
    }

  radix_sort (kr, n);
  for (guint i = 0; i < n; i++)
    store->order[i] = kr[i].row;
  store->n_order = n;
  g_free (kr);
}

static guint32 *
filter_rows (FqRowStore    *store,
             const guint32 *src,
             guint          n_src,
             guint         *n_out)
{
  guint32 *out = g_new (guint32, MAX (n_src, 1));
  guint n = 0;

  for (guint i = 0; i < n_src; i++)
    if (store->klass->matches (store, row_ptr (store, src[i]), store->spec))
      out[n++] = src[i];
  *n_out = n;
  return out;
}

/* Every row replaced, as two changes: all removed, then all added. One
 * change (0, n_old, n_new) would be cheaper to say but not to hear:
 * GtkSingleSelection, when its selected row is in the removed part, looks
 * for it among the added rows with get_item() on each, one object per row
 * of a million before the first frame. Nothing is selected once all rows
 * are gone; the owner selects its row again (see the board). The main
 * thread says it otherwise when items are alive (see reuse_items ()). */
static void
replace_all (GArray *runs,
             guint   n_old,
             guint   n_new)
{
  g_array_set_size (runs, 0);
  if (n_old > 0)
    g_array_append_val (runs, ((Run) { 0, n_old, 0 }));
  if (n_new > 0)
    g_array_append_val (runs, ((Run) { 0, 0, n_new }));
}

static void
add_run (GArray *runs,
         guint   pos,
         guint   removed,
         guint   added)
{
  if (runs->len > 0)
    {
      Run *last = &g_array_index (runs, Run, runs->len - 1);

      /* Adjacent runs become one. */
      if (last->pos + last->added == pos)
        {
          last->removed += removed;
          last->added += added;
          return;
        }
    }
  g_array_append_val (runs, ((Run) { pos, removed, added }));
}

/* Both permutations are sorted by (rowkey, row): walk them together. */
static GArray *
diff_sorted (FqRowStore    *store,
             const guint32 *old,
             guint          n_old,
             const guint32 *new,
             guint          n_new,
             guint          max_runs,
             gboolean      *replaced)
{
  GArray *runs = g_array_new (FALSE, FALSE, sizeof (Run));
  guint i = 0, j = 0;

  while (i < n_old || j < n_new)
    {
      guint pos = j, removed = 0, added = 0;

      while (i < n_old && j < n_new && old[i] == new[j])
        i++, j++;
      pos = j;
      while (i < n_old || j < n_new)
        {
          if (i < n_old && j < n_new && old[i] == new[j])
            break;
          if (j >= n_new || (i < n_old && key_less (store, old[i], new[j])))
            i++, removed++;
          else
            j++, added++;
        }
      if (removed > 0 || added > 0)
        add_run (runs, pos, removed, added);
      if (runs->len > max_runs)
        {
          replace_all (runs, n_old, n_new);
          *replaced = TRUE;
          return runs;
        }
    }
  return runs;
}

/* Unchanged rows keep their relative order and membership, so everything
 * between them is a run of dirty rows. */
static GArray *
diff_dirty (FqRowStore    *store,
            const guint32 *old,
            guint          n_old,
            const guint32 *new,
            guint          n_new)
{
  GArray *runs = g_array_new (FALSE, FALSE, sizeof (Run));
  guint i = 0, j = 0;

  while (i < n_old || j < n_new)
    {
      guint pos, removed = 0, added = 0;

      while (i < n_old && j < n_new && old[i] == new[j] && !store->dirty[old[i]])
        i++, j++;
      pos = j;
      while (i < n_old && store->dirty[old[i]])
        i++, removed++;
      while (j < n_new && store->dirty[new[j]])
        j++, added++;
      if (removed > 0 || added > 0)
        add_run (runs, pos, removed, added);
      else if (i < n_old || j < n_new)
        {
          /* Cannot happen if the invariants hold; stay correct anyway. */
          g_warning ("Row store: inconsistent diff; replacing the model");
          replace_all (runs, n_old, n_new);
          return runs;
        }
    }
  return runs;
}

static void
post_result (FqRowStore *store,
             Result     *res,
             guint32    *perm,
             guint       n_perm)
{
  /* The worker keeps its own copy: it is what main will show once the
   * result is applied, and the base of the next diff. */
  memcpy (store->perm_w, perm, (gsize)n_perm * sizeof (guint32));
  store->n_perm_w = n_perm;

  res->perm = perm;
  res->n_perm = n_perm;
  res->n_inv = store->n_rows;
  res->inv = g_new0 (guint32, MAX (res->n_inv, 1));
  for (guint i = 0; i < n_perm; i++)
    res->inv[perm[i]] = i + 1;

  g_mutex_lock (&store->results_lock);
  g_queue_push_tail (&store->results, res);
  g_mutex_unlock (&store->results_lock);
}

static void
do_rebuild (FqRowStore *store,
            gpointer    spec,
            Result     *res)
{
  gint64 t0 = g_get_monotonic_time ();
  guint32 *perm;
  guint n;

  if (spec != NULL)
    {
      store->klass->spec_free (store->spec);
      store->spec = spec;
    }

  if (store->klass->prepare)
    store->klass->prepare (store, store->spec);
  compute_all_keys_and_sort (store);
  perm = filter_rows (store, store->order, store->n_order, &n);

  res->kind = FQ_ROW_STORE_RESULT_REBUILD;
  res->all_changed = TRUE;
  res->runs = diff_sorted (store, store->perm_w, store->n_perm_w, perm, n, MAX_SPEC_RUNS,
                           &res->replaced);
  post_result (store, res, perm, n);
  g_debug ("Row store: rebuilt %u rows in %.0f ms", store->n_rows,
           (g_get_monotonic_time () - t0) / 1000.0);
}

static void
do_spec (FqRowStore *store,
         gpointer    spec,
         Result     *res)
{
  gpointer old = store->spec;
  gboolean same_sort = store->klass->same_sort (old, spec);
  gboolean refines = same_sort && store->klass->refines (old, spec);
  guint32 *perm;
  guint n;

  store->spec = spec;
  if (store->klass->prepare)
    store->klass->prepare (store, spec);

  res->kind = FQ_ROW_STORE_RESULT_SPEC;

  if (!same_sort)
    {
      compute_all_keys_and_sort (store);
      perm = filter_rows (store, store->order, store->n_order, &n);
      res->runs = g_array_new (FALSE, FALSE, sizeof (Run));
      replace_all (res->runs, store->n_perm_w, n);
      res->replaced = TRUE;
    }
  else
    {
      /* Typing one more letter narrows what is shown: test only those. */
      if (refines)
        perm = filter_rows (store, store->perm_w, store->n_perm_w, &n);
      else
        perm = filter_rows (store, store->order, store->n_order, &n);
      res->runs = diff_sorted (store, store->perm_w, store->n_perm_w, perm, n, MAX_SPEC_RUNS,
                               &res->replaced);
    }

  store->klass->spec_free (old);
  post_result (store, res, perm, n);
}

static int
cmp_rows_by_key (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  FqRowStore *store = user_data;
  guint32 ra = *(const guint32 *)a;
  guint32 rb = *(const guint32 *)b;

  if (key_less (store, ra, rb))
    return -1;
  if (key_less (store, rb, ra))
    return 1;
  return 0;
}

static void
do_apply (FqRowStore *store,
          GPtrArray  *recs,
          gboolean    live,
          Result     *res)
{
  g_autoptr(GArray) touched = g_array_new (FALSE, FALSE, sizeof (guint32));
  g_autoptr(GArray) added = g_array_new (FALSE, FALSE, sizeof (guint32));
  guint32 *sorted_dirty;
  guint n_sorted = 0;
  guint32 *perm;
  guint n, k, a, b;

  g_rw_lock_writer_lock (&store->lock);
  for (guint i = 0; i < recs->len; i++)
    {
      gpointer rec = g_ptr_array_index (recs, i);
      const char *id = store->klass->rec_id (rec);
      FqRowHeader *h;
      gboolean is_new = FALSE;
      guint row;

      if (i % WRITER_BREATHE_EVERY == WRITER_BREATHE_EVERY - 1)
        writer_breathe (store);

      if (id == NULL)
        continue;

      if (store->klass->rec_is_delete (rec))
        {
          row = index_find (store, id, strlen (id));
          if (row == G_MAXUINT)
            continue;
          h = row_ptr (store, row);
          if (!(h->flags & FQ_ROW_DELETED))
            {
              h->flags |= FQ_ROW_DELETED;
              store->n_live--;
            }
        }
      else
        {
          row = upsert_row (store, id, strlen (id), &is_new);
          h = row_ptr (store, row);
          if (h->flags & FQ_ROW_DELETED)
            {
              h->flags &= ~FQ_ROW_DELETED;
              store->n_live++;
            }
          store->klass->fill (store, h, rec);
          if (is_new)
            g_array_append_val (added, row);
        }
      g_array_append_val (touched, row);
    }
  g_rw_lock_writer_unlock (&store->lock);

  ensure_work (store);
  /* New rows start clean, then every touched row is marked. */
  for (guint i = 0; i < added->len; i++)
    store->dirty[g_array_index (added, guint32, i)] = 0;

  sorted_dirty = g_new (guint32, MAX (touched->len, 1));
  for (guint i = 0; i < touched->len; i++)
    {
      guint32 row = g_array_index (touched, guint32, i);
      const FqRowHeader *h;

      if (store->dirty[row])
        continue;     /* twice in one batch */
      store->dirty[row] = 1;
      h = row_ptr (store, row);
      store->rowkey[row] = store->klass->sort_key (store, h, store->spec);
      if (!(h->flags & FQ_ROW_DELETED))
        sorted_dirty[n_sorted++] = row;
    }
  g_qsort_with_data (sorted_dirty, n_sorted, sizeof (guint32), cmp_rows_by_key, store);

  /* The full order: clean rows keep their places, dirty ones are merged in. */
  {
    guint32 *merged = g_new (guint32, store->n_order + n_sorted + 1);

    k = 0;
    a = 0;
    b = 0;
    while (a < store->n_order || b < n_sorted)
      {
        if (a < store->n_order && store->dirty[store->order[a]])
          {
            a++;
            continue;
          }
        if (b >= n_sorted || (a < store->n_order && key_less (store, store->order[a], sorted_dirty[b])))
          merged[k++] = store->order[a++];
        else
          merged[k++] = sorted_dirty[b++];
      }
    memcpy (store->order, merged, (gsize)k * sizeof (guint32));
    store->n_order = k;
    g_free (merged);
  }

  /* What is shown: the clean rows shown before, and the dirty rows that
   * match now. */
  perm = g_new (guint32, store->n_perm_w + n_sorted + 1);
  n = 0;
  a = 0;
  b = 0;
  while (a < store->n_perm_w || b < n_sorted)
    {
      if (a < store->n_perm_w && store->dirty[store->perm_w[a]])
        {
          a++;
          continue;
        }
      if (b < n_sorted && !store->klass->matches (store, row_ptr (store, sorted_dirty[b]),
                                                  store->spec))
        {
          b++;
          continue;
        }
      if (b >= n_sorted || (a < store->n_perm_w && key_less (store, store->perm_w[a], sorted_dirty[b])))
        perm[n++] = store->perm_w[a++];
      else
        perm[n++] = sorted_dirty[b++];
    }

  res->kind = FQ_ROW_STORE_RESULT_BATCH;
  res->runs = diff_dirty (store, store->perm_w, store->n_perm_w, perm, n);
  res->changed = g_array_new (FALSE, FALSE, sizeof (guint32));
  for (guint i = 0; i < touched->len; i++)
    {
      guint32 row = g_array_index (touched, guint32, i);

      if (store->dirty[row] == 1)
        {
          g_array_append_val (res->changed, row);
          store->dirty[row] = 2;   /* listed once */
        }
    }
  for (guint i = 0; i < touched->len; i++)
    store->dirty[g_array_index (touched, guint32, i)] = 0;
  if (live)
    res->added = g_steal_pointer (&added);

  g_free (sorted_dirty);
  post_result (store, res, perm, n);
}

/* ---- main thread ------------------------------------------------------- */

static gboolean apply_results_cb (gpointer data);

static void
schedule_apply (FqRowStore *store)
{
  GSource *source;

  if (store->idle != NULL)
    return;

  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, apply_results_cb, store, NULL);
  g_source_set_static_name (source, "[fengqiao] row store results");
  g_source_attach (source, store->context);
  store->idle = source;
}

static void store_unref (FqRowStore *store);

static gboolean
notify_main_cb (gpointer data)
{
  FqRowStore *store = data;

  if (!store->stopped)
    schedule_apply (store);
  return G_SOURCE_REMOVE;
}

static gpointer
worker_main (gpointer data)
{
  FqRowStore *store = data;

  for (;;)
    {
      Request *req = g_async_queue_pop (store->queue);
      Result *res;

      if (req->kind == REQ_QUIT)
        {
          request_free (store, req);
          break;
        }

      res = g_new0 (Result, 1);
      switch (req->kind)
        {
        case REQ_SPEC:
          do_spec (store, g_steal_pointer (&req->spec), res);
          break;
        case REQ_APPLY:
          do_apply (store, req->recs, req->live, res);
          break;
        case REQ_REBUILD:
          do_rebuild (store, g_steal_pointer (&req->spec), res);
          break;
        case REQ_QUIT:
        default:
          g_assert_not_reached ();
        }
      request_free (store, req);

      /* The notification holds a reference: the owner may free the store
       * before the main loop gets to it. */
      g_atomic_ref_count_inc (&store->ref_count);
      g_main_context_invoke_full (store->context, G_PRIORITY_DEFAULT, notify_main_cb, store,
                                  (GDestroyNotify)store_unref);
    }

  return NULL;
}

static void
push_request (FqRowStore *store,
              Request    *req)
{
  store->busy++;
  if (req->kind != REQ_APPLY)
    store->busy_spec++;
  g_async_queue_push (store->queue, req);
}

static void
refresh_item (FqRowStore *store,
              FqRowItem  *item)
{
  reader_lock (store);
  store->cb.load_item (store->owner, item, row_ptr (store, item->row), TRUE);
  g_rw_lock_reader_unlock (&store->lock);
}

static void item_finalized_cb (gpointer  data,
                               GObject  *where_the_object_was);

static void
emit_items_changed (FqRowStore *store,
                    guint       position,
                    guint       removed,
                    guint       added)
{
  guint n = fq_row_store_get_n_items (store);

  g_list_model_items_changed (G_LIST_MODEL (store->owner), position, removed, added);
  if (n != store->n_items_notified && store->n_items_pspec != NULL)
    {
      store->n_items_notified = n;
      g_object_notify_by_pspec (G_OBJECT (store->owner), store->n_items_pspec);
    }
}

static void
flush_unpend (FqRowStore *store)
{
  g_autoptr(GPtrArray) ids = NULL;

  if (store->unpend->len == 0 || store->busy > 0)
    return;
  ids = g_steal_pointer (&store->unpend);
  store->unpend = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < ids->len; i++)
    fq_row_store_set_pending (store, ids->pdata[i], FALSE);
}

typedef struct
{
  guint      pos;
  FqRowItem *item;
} Held;

static int
cmp_held (gconstpointer a,
          gconstpointer b)
{
  const Held *ha = a;
  const Held *hb = b;

  return (ha->pos > hb->pos) - (ha->pos < hb->pos);
}

/* A result that replaces every row (a refilter, a new sort), when items
 * are alive. GtkListView (4.8) keeps a row's widgets only if the same item
 * object comes back in the change that removed it; new objects for every
 * row cost it all its widgets, destroyed and made again, ~200 rows of a
 * dozen cells each, for every key typed. So the item shown at a position
 * is given the row now shown there (its properties notified, which its
 * cells follow), and each stretch of positions whose items are alive is
 * said as a change of its own, (pos, n, n): get_item () gives the same
 * objects back in it and the view keeps their widgets. The positions in
 * between are changes of their own too, with no item alive in them: a
 * GtkSingleSelection reads the added rows of the change holding its
 * selected position only, never a million. The rest of the old or the new
 * rows goes last (removed or added).
 *
 * Not given another row: the kept row's item (the selection holds it, and
 * it must stay that incident), items whose row is not shown (held by
 * someone else), and items at positions past the new end. An item whose
 * new row already has one of those is let go of: it is not shown any more.
 *
 * Returns the rows whose items were given another row (already loaded). */
static GHashTable *
reuse_items (FqRowStore *store,
             Result     *res)
{
  guint n_old = store->n_perm, n_new = res->n_perm, m = MIN (n_old, n_new);
  guint kept_row = fq_row_store_lookup (store, store->kept_id);
  g_autoptr(GArray) held = g_array_new (FALSE, FALSE, sizeof (Held));
  g_autoptr(GPtrArray) moved = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTable *items = g_hash_table_new (NULL, NULL);
  GHashTable *reloaded = g_hash_table_new (NULL, NULL);
  GHashTableIter iter;
  gpointer key, value;
  guint cur = 0;

  /* Every alive item at an old position, and what keeps its row. */
  g_hash_table_iter_init (&iter, store->live_items);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      guint row = GPOINTER_TO_UINT (key);
      guint pos = row < store->n_inv && store->inv[row] != 0 ? store->inv[row] - 1 : G_MAXUINT;

      if (pos != G_MAXUINT)
        g_array_append_val (held, ((Held) { pos, value }));
      if (pos == G_MAXUINT || pos >= n_new || row == kept_row)
        g_hash_table_insert (items, key, value);
    }

  for (guint i = 0; i < held->len; i++)
    {
      Held *h = &g_array_index (held, Held, i);
      guint target;

      if (h->pos >= n_new || h->item->row == kept_row)
        continue;
      target = res->perm[h->pos];
      if (g_hash_table_contains (items, GUINT_TO_POINTER (target)))
        {
          /* Let go of: the view drops it with this change. */
          g_object_weak_unref (G_OBJECT (h->item), item_finalized_cb, store);
          continue;
        }
      h->item->row = target;
      g_hash_table_insert (items, GUINT_TO_POINTER (target), h->item);
      g_hash_table_add (reloaded, GUINT_TO_POINTER (target));
      g_ptr_array_add (moved, g_object_ref (h->item));
    }

  g_hash_table_unref (store->live_items);
  store->live_items = items;

  /* A notify handler may drop the last reference to an item: held above. */
  for (guint i = 0; i < moved->len; i++)
    refresh_item (store, moved->pdata[i]);

  /* The changes, in order of position. Stretches of alive items a few
   * positions apart are one change. */
  g_array_sort (held, cmp_held);
  g_array_set_size (res->runs, 0);
  for (guint i = 0; i < held->len; )
    {
      guint start = g_array_index (held, Held, i).pos, end = start + 1;

      if (start >= m)
        break;
      for (i++; i < held->len; i++)
        {
          guint pos = g_array_index (held, Held, i).pos;

          if (pos >= m || pos > end + REUSE_GAP)
            break;
          end = pos + 1;
        }
      if (start > cur)
        g_array_append_val (res->runs, ((Run) { cur, start - cur, start - cur }));
      g_array_append_val (res->runs, ((Run) { start, end - start, end - start }));
      cur = end;
    }
  if (cur < m)
    g_array_append_val (res->runs, ((Run) { cur, m - cur, m - cur }));
  if (n_old > m)
    g_array_append_val (res->runs, ((Run) { m, n_old - m, 0 }));
  else if (n_new > m)
    g_array_append_val (res->runs, ((Run) { m, 0, n_new - m }));

  return reloaded;
}

static void
begin_result (FqRowStore *store)
{
  Result *res = store->current;
  g_autoptr(GHashTable) reloaded = NULL;

  store->run_index = 0;
  store->delta = 0;
  store->split_new = 0;
  store->split_old = 0;

  if (res->replaced && g_hash_table_size (store->live_items) > 0)
    reloaded = reuse_items (store, res);

  if (res->all_changed)
    {
      g_autoptr(GList) items = g_hash_table_get_values (store->live_items);

      for (GList *l = items; l != NULL; l = l->next)
        if (reloaded == NULL ||
            !g_hash_table_contains (reloaded, GUINT_TO_POINTER (((FqRowItem *)l->data)->row)))
          refresh_item (store, l->data);
    }
  else if (res->changed != NULL)
    for (guint i = 0; i < res->changed->len; i++)
      {
        gpointer item = fq_row_store_peek_item (store, g_array_index (res->changed, guint32, i));

        if (item != NULL)
          refresh_item (store, item);
      }
}

static void
finish_result (FqRowStore *store)
{
  Result *res = g_steal_pointer (&store->current);
  FqRowStoreResultKind kind = res->kind;

  g_free (store->perm);
  g_free (store->inv);
  store->perm = g_steal_pointer (&res->perm);
  store->n_perm = res->n_perm;
  store->inv = g_steal_pointer (&res->inv);
  store->n_inv = res->n_inv;
  store->busy--;
  if (kind != FQ_ROW_STORE_RESULT_BATCH)
    store->busy_spec--;

  if (res->added != NULL && res->added->len > 0 && store->cb.rows_added != NULL)
    store->cb.rows_added (store->owner, (const guint32 *)res->added->data, res->added->len);

  result_free (res);
  flush_unpend (store);

  if (store->cb.applied != NULL)
    store->cb.applied (store->owner, kind);
}

static gboolean
apply_results_cb (gpointer data)
{
  FqRowStore *store = data;
  gint64 start = g_get_monotonic_time ();

  g_clear_pointer (&store->idle, g_source_unref);

  while (!store->stopped)
    {
      Result *res;

      if (store->current == NULL)
        {
          g_mutex_lock (&store->results_lock);
          store->current = g_queue_pop_head (&store->results);
          g_mutex_unlock (&store->results_lock);
          if (store->current == NULL)
            break;
          begin_result (store);
        }

      res = store->current;
      while (store->run_index < res->runs->len)
        {
          Run *run = &g_array_index (res->runs, Run, store->run_index);

          /* The model now answers with the new rows up to the end of this
           * run and with the old rows after it. */
          store->split_new = run->pos + run->added;
          store->split_old = (guint)((gint64)run->pos - store->delta) + run->removed;
          store->delta += (gint64)run->added - run->removed;
          store->run_index++;

          emit_items_changed (store, run->pos, run->removed, run->added);

          if (store->stopped)
            return G_SOURCE_REMOVE;
          /* "All removed" and "all added" in one go: a frame between the
           * two would show an empty list for a moment. */
          if (run->added == 0 && run->pos == 0 && store->run_index < res->runs->len &&
              g_array_index (res->runs, Run, store->run_index).pos == 0 &&
              g_array_index (res->runs, Run, store->run_index).removed == 0)
            continue;
          /* Items given new rows show them already: a few changes, all
           * at once. */
          if (res->replaced)
            continue;
          if (g_get_monotonic_time () - start > SLICE_USEC)
            {
              schedule_apply (store);
              return G_SOURCE_REMOVE;
            }
        }

      finish_result (store);
    }

  return G_SOURCE_REMOVE;
}

FqRowStore *
fq_row_store_new (const FqRowStoreClass     *klass,
                  gpointer                   spec,
                  const FqRowStoreCallbacks *callbacks,
                  gpointer                   owner)
{
  FqRowStore *store = g_new0 (FqRowStore, 1);

  store->klass = klass;
  store->cb = *callbacks;
  store->owner = owner;
  store->spec = spec;
  store->context = g_main_context_ref_thread_default ();
  g_atomic_ref_count_init (&store->ref_count);
  g_rw_lock_init (&store->lock);
  g_mutex_init (&store->results_lock);
  g_queue_init (&store->results);

  store->n_slots = 1024;
  store->slots = g_new0 (guint32, 2 * store->n_slots);
  /* Handle 0 is the empty string. */
  store->blocks = g_new (char *, 1);
  store->blocks[0] = g_malloc (BLOCK_SIZE);
  store->blocks[0][0] = '\0';
  store->n_blocks = 1;
  store->block_used = 1;

  for (guint t = 0; t < FQ_ROW_STORE_N_ATOM_TABLES; t++)
    {
      store->atoms[t] = g_ptr_array_new_with_free_func (g_free);
      store->atom_index[t] = g_hash_table_new (g_str_hash, g_str_equal);
      g_ptr_array_add (store->atoms[t], g_strdup (""));   /* atom 0: none */
    }

  store->item_type = G_TYPE_OBJECT;
  store->live_items = g_hash_table_new (NULL, NULL);
  store->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  store->unpend = g_ptr_array_new_with_free_func (g_free);

  store->queue = g_async_queue_new ();
  store->thread = g_thread_new ("fq-row-store", worker_main, store);
  return store;
}

static void
store_unref (FqRowStore *store)
{
  Result *res;

  if (!g_atomic_ref_count_dec (&store->ref_count))
    return;

  g_clear_pointer (&store->current, result_free);
  while ((res = g_queue_pop_head (&store->results)) != NULL)
    result_free (res);

  if (store->spec != NULL)
    store->klass->spec_free (store->spec);
  g_free (store->rows);
  for (guint i = 0; i < store->n_blocks; i++)
    g_free (store->blocks[i]);
  g_free (store->blocks);
  g_free (store->slots);
  for (guint t = 0; t < FQ_ROW_STORE_N_ATOM_TABLES; t++)
    {
      g_hash_table_unref (store->atom_index[t]);
      g_ptr_array_unref (store->atoms[t]);
    }
  g_free (store->rowkey);
  g_free (store->dirty);
  g_free (store->order);
  g_free (store->perm_w);
  g_free (store->perm);
  g_free (store->inv);
  g_hash_table_unref (store->live_items);
  g_free (store->kept_id);
  g_hash_table_unref (store->pending);
  g_ptr_array_unref (store->unpend);
  g_rw_lock_clear (&store->lock);
  g_mutex_clear (&store->results_lock);
  g_main_context_unref (store->context);
  g_free (store);
}

static void
item_finalized_cb (gpointer  data,
                   GObject  *where_the_object_was)
{
  FqRowStore *store = data;
  /* Weak references are notified from the object's dispose, before its
   * memory goes: its row number is still there. A lookup by row, not a walk
   * over every live item, which made each filter quadratic in the rows the
   * view had loaded. */
  gpointer row = GUINT_TO_POINTER (((FqRowItem *)where_the_object_was)->row);

  if (g_hash_table_lookup (store->live_items, row) == (gpointer)where_the_object_was)
    g_hash_table_remove (store->live_items, row);
}

void
fq_row_store_free (FqRowStore *store)
{
  Request *req;
  GHashTableIter iter;
  gpointer item;

  if (store == NULL)
    return;

  /* Items may outlive the store: they no longer report to it. */
  g_hash_table_iter_init (&iter, store->live_items);
  while (g_hash_table_iter_next (&iter, NULL, &item))
    g_object_weak_unref (item, item_finalized_cb, store);
  g_hash_table_remove_all (store->live_items);

  store->stopped = TRUE;
  req = g_new0 (Request, 1);
  req->kind = REQ_QUIT;
  g_async_queue_push (store->queue, req);
  g_thread_join (store->thread);

  while ((req = g_async_queue_try_pop (store->queue)) != NULL)
    request_free (store, req);
  g_async_queue_unref (store->queue);
  store->queue = NULL;

  if (store->idle != NULL)
    {
      g_source_destroy (store->idle);
      g_clear_pointer (&store->idle, g_source_unref);
    }

  store_unref (store);
}

void
fq_row_store_set_spec (FqRowStore *store,
                       gpointer    spec)
{
  Request *req = g_new0 (Request, 1);

  req->kind = REQ_SPEC;
  req->spec = spec;
  push_request (store, req);
}

void
fq_row_store_apply (FqRowStore *store,
                    GPtrArray  *recs,
                    gboolean    live)
{
  Request *req = g_new0 (Request, 1);

  req->kind = REQ_APPLY;
  req->recs = recs;
  req->live = live;
  push_request (store, req);
}

void
fq_row_store_rebuild (FqRowStore *store,
                      gpointer    spec)
{
  Request *req = g_new0 (Request, 1);

  req->kind = REQ_REBUILD;
  req->spec = spec;
  push_request (store, req);
}

guint
fq_row_store_find_row (FqRowStore *store,
                       const char *id)
{
  if (id == NULL)
    return G_MAXUINT;
  return index_find (store, id, strlen (id));
}

gpointer
fq_row_store_get_row_mut (FqRowStore *store,
                          guint       row)
{
  g_assert (row < store->n_rows);
  return row_ptr (store, row);
}

guint
fq_row_store_get_n_items (FqRowStore *store)
{
  if (store->current != NULL)
    return store->split_new + (store->n_perm - store->split_old);
  return store->n_perm;
}

guint
fq_row_store_get_row_at (FqRowStore *store,
                         guint       position)
{
  if (store->current != NULL)
    {
      if (position < store->split_new)
        return store->current->perm[position];
      position = position - store->split_new + store->split_old;
    }
  if (position >= store->n_perm)
    return G_MAXUINT;
  return store->perm[position];
}

guint
fq_row_store_get_position (FqRowStore *store,
                           guint       row)
{
  if (store->current != NULL || row >= store->n_inv || store->inv[row] == 0)
    return G_MAXUINT;
  return store->inv[row] - 1;
}

guint
fq_row_store_lookup (FqRowStore *store,
                     const char *id)
{
  guint row;

  if (id == NULL)
    return G_MAXUINT;
  reader_lock (store);
  row = index_find (store, id, strlen (id));
  g_rw_lock_reader_unlock (&store->lock);
  return row;
}

guint
fq_row_store_get_n_rows (FqRowStore *store)
{
  return store->n_rows;
}

guint
fq_row_store_get_n_live (FqRowStore *store)
{
  return store->n_live;
}

gboolean
fq_row_store_get_busy (FqRowStore *store)
{
  return store->busy > 0;
}

gboolean
fq_row_store_get_refiltering (FqRowStore *store)
{
  return store->busy_spec > 0;
}

void
fq_row_store_read_lock (FqRowStore *store)
{
  reader_lock (store);
}

void
fq_row_store_read_unlock (FqRowStore *store)
{
  g_rw_lock_reader_unlock (&store->lock);
}

gconstpointer
fq_row_store_get_row (FqRowStore *store,
                      guint       row)
{
  g_assert (row < store->n_rows);
  return row_ptr (store, row);
}

void
fq_row_store_bulk_begin (FqRowStore *store)
{
  g_rw_lock_writer_lock (&store->lock);
  store->bulk_count = 0;
}

gpointer
fq_row_store_bulk_row (FqRowStore *store,
                       const char *id,
                       gssize      id_len)
{
  gboolean is_new;
  guint row;

  if (++store->bulk_count % WRITER_BREATHE_EVERY == 0)
    writer_breathe (store);

  if (id_len < 0)
    id_len = strlen (id);
  row = upsert_row (store, id, id_len, &is_new);
  return row_ptr (store, row);
}

void
fq_row_store_bulk_reserve (FqRowStore *store,
                           guint       n_rows)
{
  guint n_slots = store->n_slots;

  if (n_rows > store->cap_rows)
    {
      store->cap_rows = n_rows;
      store->rows = g_realloc (store->rows, (gsize)store->cap_rows * store->klass->row_size);
    }

  /* The index at most half full, grown once rather than step by step. */
  while ((gsize)n_rows * 2 > n_slots)
    n_slots *= 2;
  while (store->n_slots < n_slots)
    index_grow (store);
}

void
fq_row_store_bulk_end (FqRowStore *store)
{
  g_rw_lock_writer_unlock (&store->lock);
}

void
fq_row_store_bulk_pause (FqRowStore *store)
{
  g_rw_lock_writer_unlock (&store->lock);
}

void
fq_row_store_bulk_resume (FqRowStore *store)
{
  g_rw_lock_writer_lock (&store->lock);
}

GHashTable *
fq_row_store_id_set_new (const char * const *ids)
{
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; ids != NULL && ids[i] != NULL; i++)
    if (ids[i][0] != '\0')
      g_hash_table_add (set, g_strdup (ids[i]));
  return set;
}

gboolean
fq_row_store_row_in_set (FqRowStore    *store,
                         gconstpointer  row,
                         GHashTable    *set)
{
  const FqRowHeader *h = row;

  return g_hash_table_contains (set, fq_row_store_str (store, h->id));
}

/* ---- items (main thread) ------------------------------------------------ */

void
fq_row_store_set_model (FqRowStore *store,
                        GType       item_type,
                        GParamSpec *n_items_pspec)
{
  g_return_if_fail (g_type_is_a (item_type, G_TYPE_OBJECT));
  g_return_if_fail (G_IS_LIST_MODEL (store->owner));

  store->item_type = item_type;
  store->n_items_pspec = n_items_pspec;
}

gpointer
fq_row_store_get_item (FqRowStore *store,
                       guint       position)
{
  guint row = fq_row_store_get_row_at (store, position);
  FqRowItem *item;

  if (row == G_MAXUINT)
    return NULL;

  item = g_hash_table_lookup (store->live_items, GUINT_TO_POINTER (row));
  if (item != NULL)
    return g_object_ref (item);

  item = g_object_new (store->item_type, NULL);
  item->row = row;
  reader_lock (store);
  store->cb.load_item (store->owner, item, row_ptr (store, row), FALSE);
  g_rw_lock_reader_unlock (&store->lock);

  g_hash_table_insert (store->live_items, GUINT_TO_POINTER (row), item);
  g_object_weak_ref (G_OBJECT (item), item_finalized_cb, store);
  return item;
}

void
fq_row_store_set_kept (FqRowStore *store,
                       const char *id)
{
  if (g_strcmp0 (store->kept_id, id) == 0)
    return;
  g_free (store->kept_id);
  store->kept_id = g_strdup (id);
}

gpointer
fq_row_store_peek_item (FqRowStore *store,
                        guint       row)
{
  return g_hash_table_lookup (store->live_items, GUINT_TO_POINTER (row));
}

void
fq_row_store_refresh_items (FqRowStore *store)
{
  /* A copy: a notify handler may drop the last reference to an item. */
  g_autoptr(GList) items = g_hash_table_get_values (store->live_items);

  for (GList *l = items; l != NULL; l = l->next)
    refresh_item (store, l->data);
}

guint
fq_row_store_find (FqRowStore *store,
                   const char *id)
{
  guint row = fq_row_store_lookup (store, id);

  return row == G_MAXUINT ? G_MAXUINT : fq_row_store_get_position (store, row);
}

gboolean
fq_row_store_is_pending (FqRowStore *store,
                         const char *id)
{
  return id != NULL && g_hash_table_contains (store->pending, id);
}

void
fq_row_store_set_pending (FqRowStore *store,
                          const char *id,
                          gboolean    pending)
{
  FqRowItem *item;
  guint row, pos;

  g_return_if_fail (id != NULL);

  if (!!pending == g_hash_table_contains (store->pending, id))
    return;

  /* The change that ends a write reaches the outbox as soon as the cache
   * has it, and the model a moment later: the mark goes when the row shows
   * the new state, not before. */
  if (!pending && store->busy > 0)
    {
      g_ptr_array_add (store->unpend, g_strdup (id));
      return;
    }

  if (pending)
    g_hash_table_add (store->pending, g_strdup (id));
  else
    g_hash_table_remove (store->pending, id);

  row = fq_row_store_lookup (store, id);
  if (row == G_MAXUINT)
    return;

  item = fq_row_store_peek_item (store, row);
  if (item != NULL)
    refresh_item (store, item);

  pos = fq_row_store_get_position (store, row);
  if (pos != G_MAXUINT)
    emit_items_changed (store, pos, 1, 1);
}

void
fq_row_item_notify (gpointer        item,
                    GParamSpec    **pspecs,
                    const gboolean *changed,
                    guint           n_pspecs)
{
  g_object_freeze_notify (G_OBJECT (item));
  for (guint p = 1; p < n_pspecs; p++)
    if (changed[p])
      g_object_notify_by_pspec (G_OBJECT (item), pspecs[p]);
  g_object_thaw_notify (G_OBJECT (item));
}

/* ---- spec helpers (worker) ---------------------------------------------- */

guint8 *
fq_row_store_atoms_with_prefix (FqRowStore *store,
                                guint       table,
                                const char *prefix,
                                guint      *n_out)
{
  guint n = fq_row_store_n_atoms (store, table);
  guint8 *ok = g_new0 (guint8, MAX (n, 1));

  for (guint a = 1; a < n; a++)
    ok[a] = g_str_has_prefix (fq_row_store_atom_str (store, table, a), prefix);
  *n_out = n;
  return ok;
}

guint8 *
fq_row_store_atoms_in (FqRowStore         *store,
                       guint               table,
                       const char * const *strv,
                       guint              *n_out)
{
  guint n = fq_row_store_n_atoms (store, table);
  guint8 *ok = g_new0 (guint8, MAX (n, 1));

  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    {
      guint32 a = fq_row_store_find_atom (store, table, strv[i]);

      if (a != 0)
        ok[a] = 1;
    }
  *n_out = n;
  return ok;
}

static int
cmp_names (gconstpointer a,
           gconstpointer b,
           gpointer      user_data)
{
  const char *const *names = user_data;

  return g_strcmp0 (names[*(const guint32 *)a], names[*(const guint32 *)b]);
}

guint32 *
fq_row_store_rank_atoms (FqRowStore         *store,
                         guint               table,
                         FqRowStoreNameFunc  name_func,
                         gconstpointer       data,
                         guint              *n_out)
{
  guint n = fq_row_store_n_atoms (store, table);
  g_autofree const char **names = g_new0 (const char *, MAX (n, 1));
  g_autofree guint32 *idx = g_new (guint32, MAX (n, 1));
  guint32 *rank = g_new (guint32, MAX (n, 1));

  for (guint a = 0; a < n; a++)
    {
      const char *str = fq_row_store_atom_str (store, table, a);

      names[a] = name_func != NULL ? name_func (data, str) : str;
      idx[a] = a;
    }
  g_qsort_with_data (idx, n, sizeof (guint32), cmp_names, names);
  for (guint i = 0; i < n; i++)
    rank[idx[i]] = i;
  *n_out = n;
  return rank;
}

gboolean
fq_row_store_atom_ok (FqRowStore         *store,
                      guint               table,
                      const guint8       *ok,
                      guint               n_ok,
                      guint32             atom,
                      const char         *prefix,
                      const char * const *strv)
{
  const char *str;

  if (atom < n_ok)
    return ok[atom];

  str = fq_row_store_atom_str (store, table, atom);
  if (prefix != NULL)
    return g_str_has_prefix (str, prefix);
  return strv != NULL && g_strv_contains (strv, str);
}
