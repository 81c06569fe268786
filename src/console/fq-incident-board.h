/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "fq-context.h"

G_BEGIN_DECLS

#define FQ_TYPE_INCIDENT_BOARD (fq_incident_board_get_type ())

G_DECLARE_FINAL_TYPE (FqIncidentBoard, fq_incident_board, FQ, INCIDENT_BOARD, AdwBin)

typedef enum
{
  FQ_BOARD_PAGE_INCOMING,
  FQ_BOARD_PAGE_TICKETS,
} FqBoardPage;

GtkWidget   *fq_incident_board_new             (void);
/* Property "context" (FqContext). */
void         fq_incident_board_set_context     (FqIncidentBoard *self,
                                                FqContext       *context);
FqContext   *fq_incident_board_get_context     (FqIncidentBoard *self);
/* Limits both lists to a subtree of the grid (a scope prefix; NULL: all). */
void         fq_incident_board_set_scope       (FqIncidentBoard *self,
                                                const char      *prefix);
/* Property "page" (FqBoardPage). */
void         fq_incident_board_set_page        (FqIncidentBoard *self,
                                                FqBoardPage      page);
FqBoardPage  fq_incident_board_get_page        (FqIncidentBoard *self);
void         fq_incident_board_focus_search    (FqIncidentBoard *self);
void         fq_incident_board_toggle_overdue  (FqIncidentBoard *self);
/* Selects and shows a row, switching to its page. */
void         fq_incident_board_select_incident (FqIncidentBoard *self,
                                                const char      *id);
void         fq_incident_board_select_ticket   (FqIncidentBoard *self,
                                                const char      *id);
/* After incident @id is triaged: the keyboard goes on to the next incident
 * of the list, which it selects (if @id has left the list already, to the
 * one that took its place). */
void         fq_incident_board_focus_next_incident (FqIncidentBoard *self,
                                                    const char      *id);
/* Saves the column widths and sort orders to the settings. */
void         fq_incident_board_save_state      (FqIncidentBoard *self);
/* "Explain this number": limits @page to exactly the incidents (or
 * tickets) whose ids are in the NULL-terminated @ids, switching to that
 * page. The other filters are cleared and made insensitive while it is
 * active; a banner shows @title, the count and a "Show all" button that
 * returns the page to normal. An id not in the cache is counted but has no
 * row. @ids NULL or empty shows an empty page with the banner. */
void         fq_incident_board_show_records    (FqIncidentBoard    *board,
                                                FqBoardPage         page,
                                                const char         *title,
                                                const char * const *ids);
/* Leaves the show_records() view, if active (what "Show all" does). */
void         fq_incident_board_clear_records   (FqIncidentBoard *self);
/* Whether show_records() is in force, and the banner's text then. */
gboolean     fq_incident_board_get_records_active (FqIncidentBoard *self);
const char  *fq_incident_board_get_records_text   (FqIncidentBoard *self);

/* Signals:
 * "incident-selected" (const char *id): a row of the incoming page was
 *   selected (NULL when the selection went away).
 * "ticket-selected" (const char *id): likewise on the tickets page.
 * "row-activated" (void): Enter (or a double click) on a row: the user
 *   wants to work on it in the details. */

G_END_DECLS
