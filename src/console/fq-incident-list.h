/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "fq-cache.h"
#include "fq-enums.h"

G_BEGIN_DECLS

/*
 * FqIncidentRow: one row of the board, a small immutable-looking snapshot of
 * an incident. Rows are created lazily, only for positions GTK asks for, and
 * are updated in place (with notify) when their incident changes while
 * they are alive. A refilter or new sort that replaces the rows gives the
 * row shown at a position the incident now shown there (its "id" and the
 * rest notified), except for the selected one (see
 * fq_incident_list_set_selected_id ()): hold an id, not a row, to mean an
 * incident. Bind cells to these properties:
 *
 *   id, summary, address, caller-name, caller-phone, grid (code),
 *   place (grid node name), category (code, "" if none), category-name,
 *   ticket ("" if none), repeat-of ("" if none)   — strings, never NULL
 *   received-at (gint64, Unix seconds), rev (gint64), repeat-count (guint)
 *   source (FqSource), status (FqIncidentStatus)
 *   decision (int: an FqDecision, or -1 when not decided)
 *   pending (gboolean: a write of this console on it is in the outbox)
 *   fresh (gboolean: arrived live in the last few seconds; for a highlight)
 */

#define FQ_TYPE_INCIDENT_ROW (fq_incident_row_get_type ())

G_DECLARE_FINAL_TYPE (FqIncidentRow, fq_incident_row, FQ, INCIDENT_ROW, GObject)

const char     *fq_incident_row_get_id            (FqIncidentRow *self);
const char     *fq_incident_row_get_summary       (FqIncidentRow *self);
const char     *fq_incident_row_get_address       (FqIncidentRow *self);
const char     *fq_incident_row_get_caller_name   (FqIncidentRow *self);
const char     *fq_incident_row_get_caller_phone  (FqIncidentRow *self);
const char     *fq_incident_row_get_grid          (FqIncidentRow *self);
const char     *fq_incident_row_get_place         (FqIncidentRow *self);
const char     *fq_incident_row_get_category      (FqIncidentRow *self);
const char     *fq_incident_row_get_category_name (FqIncidentRow *self);
const char     *fq_incident_row_get_ticket        (FqIncidentRow *self);
const char     *fq_incident_row_get_repeat_of     (FqIncidentRow *self);
gint64          fq_incident_row_get_received_at   (FqIncidentRow *self);
gint64          fq_incident_row_get_rev           (FqIncidentRow *self);
guint           fq_incident_row_get_repeat_count  (FqIncidentRow *self);
FqSource        fq_incident_row_get_source        (FqIncidentRow *self);
FqIncidentStatus fq_incident_row_get_status       (FqIncidentRow *self);
int             fq_incident_row_get_decision      (FqIncidentRow *self);
gboolean        fq_incident_row_get_pending       (FqIncidentRow *self);
gboolean        fq_incident_row_get_fresh         (FqIncidentRow *self);

/* Sort columns of the board. */
typedef enum
{
  FQ_INCIDENT_SORT_TIME,     /* received_at */
  FQ_INCIDENT_SORT_SOURCE,
  FQ_INCIDENT_SORT_CATEGORY, /* by category name */
  FQ_INCIDENT_SORT_PLACE,    /* by grid code: groups districts, streets, … */
  FQ_INCIDENT_SORT_STATUS,   /* new first, then by decision */
} FqIncidentSort;

GType fq_incident_sort_get_type (void) G_GNUC_CONST;
#define FQ_TYPE_INCIDENT_SORT (fq_incident_sort_get_type ())

/*
 * FqIncidentList: a GListModel of FqIncidentRow over every incident in the
 * cache (a million is fine), filtered and sorted. Do NOT wrap it in a
 * GtkSortListModel or GtkFilterListModel: those would create a GObject per
 * row. Wire the column view's header clicks to fq_incident_list_set_sort()
 * and the search entry to fq_incident_list_set_query().
 *
 * Filters and sorts run on a worker thread; the result replaces the old one
 * in one step on the main thread ("n-items" is notified). Live changes from
 * the cache emit items-changed for exactly the rows concerned: an insertion,
 * a removal, or (pos, 1, 1) for a row changed where it stands.
 *
 * Until the first load is done the model is empty and "loading" is TRUE.
 * The load first delivers the newest page (so the board paints at once)
 * and then the rest.
 */

#define FQ_TYPE_INCIDENT_LIST (fq_incident_list_get_type ())

G_DECLARE_FINAL_TYPE (FqIncidentList, fq_incident_list, FQ, INCIDENT_LIST, GObject)

/* The cache must be open. Loading starts at once. */
FqIncidentList *fq_incident_list_new              (FqCache        *cache);

/* Sort by @column; @descending TRUE puts the newest/largest first. The
 * default is (FQ_INCIDENT_SORT_TIME, TRUE). */
void            fq_incident_list_set_sort         (FqIncidentList *self,
                                                   FqIncidentSort  column,
                                                   gboolean        descending);
FqIncidentSort  fq_incident_list_get_sort_column  (FqIncidentList *self);
gboolean        fq_incident_list_get_sort_descending (FqIncidentList *self);

/* Filters. Each setter takes effect on the next main-loop iteration, so
 * several setters in a row cause one refilter. NULL or "" clears a text
 * filter, -1 an enum filter. */
/* Only incidents inside the subtree of the grid node with this scope prefix
 * (fq_grid_scope_prefix (), or simply a code without its trailing zeros). */
void            fq_incident_list_set_scope        (FqIncidentList *self,
                                                   const char     *prefix);
/* Substring (ASCII case-insensitive) of summary, address, caller name or
 * phone. Several words separated by spaces must all match. */
void            fq_incident_list_set_query        (FqIncidentList *self,
                                                   const char     *query);
void            fq_incident_list_set_source       (FqIncidentList *self,
                                                   int             source);
/* -1: any; FQ_INCIDENT_STATUS_NEW: waiting for triage; TRIAGED: decided. */
void            fq_incident_list_set_status       (FqIncidentList *self,
                                                   int             status);
void            fq_incident_list_set_decision     (FqIncidentList *self,
                                                   int             decision);
/* A category group code (categories.json "group"), NULL for all. */
void            fq_incident_list_set_category_group (FqIncidentList *self,
                                                   const char     *group);
/* Only incidents received at or after @since (Unix seconds; 0: all). */
void            fq_incident_list_set_since        (FqIncidentList *self,
                                                   gint64          since);
/* While held, the load stops after the first page; let go, it goes on.
 * The console holds it until the board has painted that page, so that the
 * rest of the load does not compete with the first frame. */
void            fq_incident_list_hold_rest        (FqIncidentList *self,
                                                   gboolean        hold);

/* Only the incidents whose ids are in the NULL-terminated @ids (an id not
 * in the cache has no row), whatever the other filters say; NULL returns
 * to the other filters. */
void            fq_incident_list_set_ids          (FqIncidentList     *self,
                                                   const char * const *ids);
gboolean        fq_incident_list_get_ids_active   (FqIncidentList *self);

/* Property "loading": TRUE until the first full load is done and while a
 * filter or sort change is being computed (not for live changes). */
gboolean        fq_incident_list_get_loading      (FqIncidentList *self);
/* Property "busy": "loading", or live changes still being applied (for
 * tests and benchmarks; views want "loading"). */
gboolean        fq_incident_list_get_busy         (FqIncidentList *self);
/* Property "n-total": incidents in the cache, before filtering. */
guint           fq_incident_list_get_n_total      (FqIncidentList *self);

/* The position of incident @id in the model, or G_MAXUINT. O(1). */
guint           fq_incident_list_find             (FqIncidentList *self,
                                                   const char     *id);

/* Marks (or clears) the pending badge of incident @id; FqContext wires this
 * to the outbox. Emits items-changed (pos, 1, 1) if visible in the model. */
void            fq_incident_list_set_pending      (FqIncidentList *self,
                                                   const char     *id,
                                                   gboolean        pending);
/* The incident the view's selection holds (nullable): a refilter gives the
 * items it shows the rows now at their positions (so the view keeps its
 * widgets), but not this one's, which stays that incident. */
void            fq_incident_list_set_selected_id  (FqIncidentList *self,
                                                   const char     *id);

/* Signals:
 * "loaded" (void): the first full load is in the model (for timing).
 * "first-page" (void): the first page is in the model. */

G_END_DECLS
