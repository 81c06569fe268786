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

typedef struct
{
  /* Main thread, before the runs of a result: rows whose data changed
   * (all rows if @all), so live item objects can refresh themselves. */
  void (*rows_changed)  (gpointer        owner,
                         const guint32  *rows,
                         guint           n_rows,
                         gboolean        all);
  /* Main thread: rows that did not exist before (live arrivals). */
  void (*rows_added)    (gpointer        owner,
                         const guint32  *rows,
                         guint           n_rows);
  void (*items_changed) (gpointer        owner,
                         guint           position,
                         guint           removed,
                         guint           added);
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

#define FQ_ROW_STORE_N_ATOM_TABLES 4

G_END_DECLS
