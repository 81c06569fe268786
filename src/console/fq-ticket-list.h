/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "fq-cache.h"
#include "fq-enums.h"

G_BEGIN_DECLS

/*
 * FqTicketRow: one row of the ticket list. Properties:
 *
 *   id, title, category, category-name, grid, place, lead-unit,
 *   lead-unit-name                               — strings, never NULL
 *   state (FqTicketState), tier (FqTier)
 *   created-at, dispatched-at, deadline (gint64 Unix seconds; 0 if none)
 *   overdue (gboolean: the server's flag, or the deadline or the acceptance
 *            limit has passed while the ticket is open; kept current by the
 *            list every 30 s)
 *   repeat-count (guint), rev (gint64), pending (gboolean)
 *   returned-count, rejected-count, reopened-count (guint: the backflow,
 *            times returned by a unit, resolutions rejected, reopenings)
 *
 * For a live countdown, a cell formats the row's times itself with a timer
 * (fq_format_ticket_clock() in fq-ui-util.h).
 *
 * A refilter or new sort that replaces the rows gives the row shown at a
 * position the ticket now shown there (its "id" and the rest notified),
 * except for the selected one (see fq_ticket_list_set_selected_id ()):
 * hold an id, not a row, to mean a ticket.
 */

#define FQ_TYPE_TICKET_ROW (fq_ticket_row_get_type ())

G_DECLARE_FINAL_TYPE (FqTicketRow, fq_ticket_row, FQ, TICKET_ROW, GObject)

const char     *fq_ticket_row_get_id             (FqTicketRow *self);
const char     *fq_ticket_row_get_title          (FqTicketRow *self);
const char     *fq_ticket_row_get_category       (FqTicketRow *self);
const char     *fq_ticket_row_get_category_name  (FqTicketRow *self);
const char     *fq_ticket_row_get_grid           (FqTicketRow *self);
const char     *fq_ticket_row_get_place          (FqTicketRow *self);
const char     *fq_ticket_row_get_lead_unit      (FqTicketRow *self);
const char     *fq_ticket_row_get_lead_unit_name (FqTicketRow *self);
FqTicketState   fq_ticket_row_get_state          (FqTicketRow *self);
FqTier          fq_ticket_row_get_tier           (FqTicketRow *self);
gint64          fq_ticket_row_get_created_at     (FqTicketRow *self);
gint64          fq_ticket_row_get_dispatched_at  (FqTicketRow *self);
gint64          fq_ticket_row_get_deadline       (FqTicketRow *self);
gboolean        fq_ticket_row_get_overdue        (FqTicketRow *self);
guint           fq_ticket_row_get_repeat_count   (FqTicketRow *self);
gint64          fq_ticket_row_get_rev            (FqTicketRow *self);
gboolean        fq_ticket_row_get_pending        (FqTicketRow *self);
guint           fq_ticket_row_get_returned_count (FqTicketRow *self);
guint           fq_ticket_row_get_rejected_count (FqTicketRow *self);
guint           fq_ticket_row_get_reopened_count (FqTicketRow *self);
/* The three above added up: a "hard case" when above zero. */
guint           fq_ticket_row_get_backflow       (FqTicketRow *self);

typedef enum
{
  /* By the clock that runs out first, as the deadline cell shows it: for a
   * ticket waiting for its unit's acceptance, the acceptance limit's (when
   * it ends before the deadline); for the others, the deadline. */
  FQ_TICKET_SORT_DEADLINE,
  FQ_TICKET_SORT_CREATED,
  FQ_TICKET_SORT_STATE,
  FQ_TICKET_SORT_CATEGORY,
  FQ_TICKET_SORT_PLACE,
  FQ_TICKET_SORT_UNIT,
  FQ_TICKET_SORT_BACKFLOW,   /* by returns + rejections + reopenings */
} FqTicketSort;

GType fq_ticket_sort_get_type (void) G_GNUC_CONST;
#define FQ_TYPE_TICKET_SORT (fq_ticket_sort_get_type ())

/*
 * FqTicketList: a GListModel of FqTicketRow over the tickets in the cache
 * that are not closed (open tickets), soonest deadline first by default.
 * Same contract as FqIncidentList: worker-thread filtering and sorting,
 * exact items-changed for live changes, no GtkSortListModel on top.
 */

#define FQ_TYPE_TICKET_LIST (fq_ticket_list_get_type ())

G_DECLARE_FINAL_TYPE (FqTicketList, fq_ticket_list, FQ, TICKET_LIST, GObject)

FqTicketList   *fq_ticket_list_new               (FqCache      *cache);

void            fq_ticket_list_set_sort          (FqTicketList *self,
                                                  FqTicketSort  column,
                                                  gboolean      descending);
FqTicketSort    fq_ticket_list_get_sort_column   (FqTicketList *self);
gboolean        fq_ticket_list_get_sort_descending (FqTicketList *self);

/* Filters (coalesced like FqIncidentList's): -1 / NULL clear them. */
void            fq_ticket_list_set_state         (FqTicketList *self,
                                                  int           state);
void            fq_ticket_list_set_overdue_only  (FqTicketList *self,
                                                  gboolean      overdue_only);
/* Only "hard cases": tickets returned, rejected or reopened at least once. */
void            fq_ticket_list_set_hard_only     (FqTicketList *self,
                                                  gboolean      hard_only);
/* A unit's queue: with the deadline sort, tickets waiting for acceptance
 * (dispatched, not yet accepted) come first, then the others, each part by
 * deadline. */
void            fq_ticket_list_set_acceptance_first (FqTicketList *self,
                                                  gboolean      acceptance_first);
gboolean        fq_ticket_list_get_acceptance_first (FqTicketList *self);
/* Only the tickets whose ids are in the NULL-terminated @ids, closed ones
 * too, whatever the other filters say; NULL returns to the other filters. */
void            fq_ticket_list_set_ids           (FqTicketList       *self,
                                                  const char * const *ids);
gboolean        fq_ticket_list_get_ids_active    (FqTicketList *self);
/* Lead or assisting unit id ("my unit"). */
void            fq_ticket_list_set_unit          (FqTicketList *self,
                                                  const char   *unit_id);
void            fq_ticket_list_set_category_group (FqTicketList *self,
                                                  const char   *group);
/* Substring of the title, id or lead unit name. */
void            fq_ticket_list_set_query         (FqTicketList *self,
                                                  const char   *query);
void            fq_ticket_list_set_scope         (FqTicketList *self,
                                                  const char   *prefix);
/* Include closed tickets too (default FALSE). */
void            fq_ticket_list_set_include_closed (FqTicketList *self,
                                                  gboolean      include_closed);

/* Property "loading": until loaded, and while a filter or sort change is
 * computed. Property "busy": that, or live changes being applied. */
gboolean        fq_ticket_list_get_loading       (FqTicketList *self);
gboolean        fq_ticket_list_get_busy          (FqTicketList *self);
/* Property "n-overdue": overdue tickets in the model (after filtering). */
guint           fq_ticket_list_get_n_overdue     (FqTicketList *self);
guint           fq_ticket_list_find              (FqTicketList *self,
                                                  const char   *id);
void            fq_ticket_list_set_pending       (FqTicketList *self,
                                                  const char   *id,
                                                  gboolean      pending);
/* The ticket the view's selection holds (nullable): a refilter gives the
 * items it shows the rows now at their positions (so the view keeps its
 * widgets), but not this one's, which stays that ticket. */
void            fq_ticket_list_set_selected_id   (FqTicketList *self,
                                                  const char   *id);

G_END_DECLS
