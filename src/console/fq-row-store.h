/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * FqRowStore: the engine under FqIncidentList and FqTicketList (private to
 * the data layer). It keeps a compact array of fixed-size rows whose
 * strings live in an append-only arena, an index from id to row, and
 * computes on its own worker thread the ordered, filtered permutation the
 * list model shows. Results are applied on the owner's main context as
 * exact items-changed runs, emitted in slices so the main loop never
 * stalls.
 *
 * It also does what both lists do as GListModels: it hands out one item
 * object per shown row that GTK asks for (FqRowItem first in the item's
 * struct), keeps those alive while anyone holds them up to date, emits
 * items-changed and "n-items" on the owner, and keeps the ids with a write
 * of this console in flight ("pending"). A refilter or new sort that
 * replaces the rows gives each alive item shown at a position the row now
 * shown there (notifying what changed), so that the view keeps its row
 * widgets; live changes keep every item with its row.
 *
 * Threads: rows are written only with the write lock held (by the store's
 * worker, or by a bulk load on the cache's worker while the store's worker
 * is idle); the main thread reads rows under the read lock.
 */

typedef struct _FqRowStore FqRowStore;

/* Every row struct starts with this header. */
typedef struct
{
  guint32 id;       /* string handle of the id */
  guint32 flags;    /* FQ_ROW_DELETED, … */
} FqRowHeader;

#define FQ_ROW_DELETED (1u << 0)

typedef struct
{
  gsize        row_size;
  /* Worker: fill @row (zeroed if new) from a record. */
  void       (*fill)          (FqRowStore    *store,
                               gpointer       row,
                               gpointer       rec);
  const char*(*rec_id)        (gpointer       rec);
  gboolean   (*rec_is_delete) (gpointer       rec);
  /* Worker: resolve what a spec needs before it is used (may be NULL). */
  void       (*prepare)       (FqRowStore    *store,
                               gpointer       spec);
  /* Worker: the sort key of a row (ascending order of the model). */
  guint64    (*sort_key)      (FqRowStore    *store,
                               gconstpointer  row,
                               gconstpointer  spec);
  gboolean   (*matches)       (FqRowStore    *store,
                               gconstpointer  row,
                               gconstpointer  spec);
  /* TRUE if the rows matching @new_spec are a subset of those matching
   * @old_spec, in the same order (typing one more letter). */
  gboolean   (*refines)       (gconstpointer  old_spec,
                               gconstpointer  new_spec);
  gboolean   (*same_sort)     (gconstpointer  a,
                               gconstpointer  b);
  void       (*spec_free)     (gpointer       spec);
} FqRowStoreClass;

/* The start of every item object a store hands out. */
typedef struct
{
  GObject parent_instance;
  guint   row;     /* may change when a refilter replaces the rows */
} FqRowItem;

typedef struct
{
  /* Main thread, under the read lock: copy @row into @item (new, with
   * @notify FALSE; or alive and changed, with @notify TRUE: notify what
   * changed). */
  void (*load_item)     (gpointer        owner,
                         gpointer        item,
                         gconstpointer   row,
                         gboolean        notify);
  /* Main thread: rows that did not exist before (live arrivals). */
  void (*rows_added)    (gpointer        owner,
                         const guint32  *rows,
                         guint           n_rows);
  /* Main thread: a result has been completely applied. */
  void (*applied)       (gpointer        owner,
                         guint           kind);
} FqRowStoreCallbacks;

typedef enum
{
  FQ_ROW_STORE_RESULT_REBUILD,
  FQ_ROW_STORE_RESULT_SPEC,
  FQ_ROW_STORE_RESULT_BATCH,
} FqRowStoreResultKind;

FqRowStore    *fq_row_store_new            (const FqRowStoreClass     *klass,
                                            gpointer                   spec,
                                            const FqRowStoreCallbacks *callbacks,
                                            gpointer                   owner);
/* Stops the worker; no callback runs after this. */
void           fq_row_store_free           (FqRowStore    *store);

/* The owner is the GListModel the store's rows are shown by: items of
 * @item_type (a GObject whose struct starts with FqRowItem), and the
 * owner's "n-items" property notified with @n_items_pspec. */
void           fq_row_store_set_model      (FqRowStore    *store,
                                            GType          item_type,
                                            GParamSpec    *n_items_pspec);
/* The item shown at @position (transfer full), or NULL: for get_item(). */
gpointer       fq_row_store_get_item       (FqRowStore    *store,
                                            guint          position);
/* The row of incident or ticket @id (nullable) keeps its item when a
 * refilter gives the other alive items the rows now at their positions
 * (the selection holds that item and means that row). */
void           fq_row_store_set_kept       (FqRowStore    *store,
                                            const char    *id);
/* The live item of @row, if any (transfer none). */
gpointer       fq_row_store_peek_item      (FqRowStore    *store,
                                            guint          row);
/* Loads every live item again, notifying what changed (time moved on). */
void           fq_row_store_refresh_items  (FqRowStore    *store);
/* The position of @id in the model, or G_MAXUINT. */
guint          fq_row_store_find           (FqRowStore    *store,
                                            const char    *id);
/* The pending mark of @id (a write of this console on it is in the outbox).
 * A mark cleared while results are being applied goes when they are in:
 * the row shows the new state first. Its row is reloaded and changed in the
 * model (pos, 1, 1). */
void           fq_row_store_set_pending    (FqRowStore    *store,
                                            const char    *id,
                                            gboolean       pending);
gboolean       fq_row_store_is_pending     (FqRowStore    *store,
                                            const char    *id);

/* For load_item (): notifies the properties of @item whose @changed is
 * set, at once. */
void           fq_row_item_notify          (gpointer       item,
                                            GParamSpec   **pspecs,
                                            const gboolean *changed,
                                            guint          n_pspecs);
/* For load_item (): sets a string field of an item, TRUE if it changed. */
static inline gboolean
fq_row_item_set_str (char       **field,
                     const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

/* Main thread. */
void           fq_row_store_set_spec       (FqRowStore    *store,
                                            gpointer       spec);
/* @recs: (element-type owner record) (transfer container, owned by the
 * worker afterwards); @live: mark new rows as arrivals. */
void           fq_row_store_apply          (FqRowStore    *store,
                                            GPtrArray     *recs,
                                            gboolean       live);
/* Recompute everything (after a bulk load), with @spec (nullable, transfer
 * full) replacing the current one. */
void           fq_row_store_rebuild        (FqRowStore    *store,
                                            gpointer       spec);
guint          fq_row_store_get_n_items    (FqRowStore    *store);
/* The row index shown at @position, or G_MAXUINT. */
guint          fq_row_store_get_row_at     (FqRowStore    *store,
                                            guint          position);
/* The position of @row, or G_MAXUINT (also while a result is being
 * applied and the row's position is in flux). */
guint          fq_row_store_get_position   (FqRowStore    *store,
                                            guint          row);
/* The row of @id, or G_MAXUINT. Takes the read lock itself. */
guint          fq_row_store_lookup         (FqRowStore    *store,
                                            const char    *id);
guint          fq_row_store_get_n_rows     (FqRowStore    *store);
/* Live rows (not deleted). */
guint          fq_row_store_get_n_live     (FqRowStore    *store);
/* Any request in flight; of which a spec change or rebuild. */
gboolean       fq_row_store_get_busy       (FqRowStore    *store);
gboolean       fq_row_store_get_refiltering (FqRowStore   *store);

void           fq_row_store_read_lock      (FqRowStore    *store);
void           fq_row_store_read_unlock    (FqRowStore    *store);
/* Under a lock: the row (valid until unlock). */
gconstpointer  fq_row_store_get_row        (FqRowStore    *store,
                                            guint          row);
/* Under a lock: a string of the arena (handle 0 is ""). */
const char    *fq_row_store_str            (FqRowStore    *store,
                                            guint32        handle);
/* Under a lock: a small interned set (grid codes, categories, units).
 * Index 0 is "" (none). */
const char    *fq_row_store_atom_str       (FqRowStore    *store,
                                            guint          table,
                                            guint32        atom);
guint          fq_row_store_n_atoms        (FqRowStore    *store,
                                            guint          table);

/* Writer side (worker, or bulk load): */
guint32        fq_row_store_add_str        (FqRowStore    *store,
                                            const char    *str,
                                            gssize         len);
/* Writer: room for @len bytes and a NUL in the arena, to be filled by the
 * caller at once; *handle names it. @len must be under 256 KiB. */
char          *fq_row_store_alloc_str      (FqRowStore    *store,
                                            gsize          len,
                                            guint32       *handle);
guint32        fq_row_store_atom           (FqRowStore    *store,
                                            guint          table,
                                            const char    *str);
/* Writer (lock held or being the writer): the row of @id or G_MAXUINT, and
 * a row to change. */
guint          fq_row_store_find_row       (FqRowStore    *store,
                                            const char    *id);
gpointer       fq_row_store_get_row_mut    (FqRowStore    *store,
                                            guint          row);
/* Writer: the atom of @str if it exists, else 0. */
guint32        fq_row_store_find_atom      (FqRowStore    *store,
                                            guint          table,
                                            const char    *str);

/* Bulk load from another thread while the store is idle (before the first
 * rebuild, or between results). */
void           fq_row_store_bulk_begin     (FqRowStore    *store);
/* The row of @id, created zeroed if new; the write lock is released and
 * taken again now and then so readers are not starved. */
gpointer       fq_row_store_bulk_row       (FqRowStore    *store,
                                            const char    *id,
                                            gssize         id_len);
/* Makes room for @n_rows rows in all, so a big load does not grow the
 * arrays step by step. */
void           fq_row_store_bulk_reserve   (FqRowStore    *store,
                                            guint          n_rows);
void           fq_row_store_bulk_end       (FqRowStore    *store);
/* Between bulk_begin and bulk_end: lets go of the rows while the caller
 * reads its next row from elsewhere (a SQLite step), so that the main
 * thread, reading rows to paint, never waits for that. */
void           fq_row_store_bulk_pause     (FqRowStore    *store);
void           fq_row_store_bulk_resume    (FqRowStore    *store);

#define FQ_ROW_STORE_N_ATOM_TABLES 4

/* For a spec's prepare (worker): per atom of @table (*n_out of them),
 * whether its string starts with @prefix; whether it is one of @strv; its
 * rank when the atoms are sorted by @name_func (NULL: by the string). */
typedef const char *(*FqRowStoreNameFunc) (gconstpointer  data,
                                           const char    *str);
guint8        *fq_row_store_atoms_with_prefix (FqRowStore  *store,
                                            guint          table,
                                            const char    *prefix,
                                            guint         *n_out);
guint8        *fq_row_store_atoms_in       (FqRowStore    *store,
                                            guint          table,
                                            const char * const *strv,
                                            guint         *n_out);
guint32       *fq_row_store_rank_atoms     (FqRowStore    *store,
                                            guint          table,
                                            FqRowStoreNameFunc name_func,
                                            gconstpointer  data,
                                            guint         *n_out);
/* For matches (worker): whether @atom passes @ok (from one of the above);
 * an atom made since is tested by its string against @prefix, or else
 * @strv. */
gboolean       fq_row_store_atom_ok        (FqRowStore    *store,
                                            guint          table,
                                            const guint8  *ok,
                                            guint          n_ok,
                                            guint32        atom,
                                            const char    *prefix,
                                            const char * const *strv);

/* A filter to exactly some ids ("explain this number"): a set made on the
 * main thread from a NULL-terminated array (NULL or empty: a set matching
 * nothing), tested on the worker. */
GHashTable    *fq_row_store_id_set_new     (const char * const *ids);
/* Under a lock or as the writer: whether @row's id is in @set. */
gboolean       fq_row_store_row_in_set     (FqRowStore    *store,
                                            gconstpointer  row,
                                            GHashTable    *set);

G_END_DECLS
