/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "fq-city-time.h"
#include "fq-context.h"
#include "fq-enums.h"
#include "fq-enum-types.h"

G_BEGIN_DECLS

/*
 * The words and formats the views share, so that a state or a source reads
 * the same on the board, in the panes and in the dialogs.
 */

/* A deadline closer than this shows amber. */
#define FQ_DEADLINE_NEAR_SECONDS (2 * 3600)
/* An acceptance limit closer than this shows amber. */
#define FQ_ACCEPT_NEAR_SECONDS (30 * 60)

const char *fq_source_label         (FqSource       source);
/* @decision: an FqDecision, or -1 for "not decided". */
const char *fq_decision_label       (int            decision);
const char *fq_ticket_state_label   (FqTicketState  state);
const char *fq_tier_label           (FqTier         tier);
const char *fq_role_label           (FqRole         role);
/* Operators and coordinators: a full number, shown on request (audited). */
gboolean    fq_role_may_reveal_phone (FqRole        role);
/* "138****5678" for "13812345678"; a masked number as it is. (transfer full) */
char       *fq_mask_phone           (const char    *phone);
const char *fq_ticket_action_label  (FqTicketAction action);
const char *fq_event_kind_label     (FqEventKind    kind);
const char *fq_return_reason_label  (FqReturnReason reason);

/* "08:15" today, "11-27 08:15" on another day, "" for 0. (transfer full) */
char       *fq_format_time          (gint64         unix_seconds);
/* "2026-11-27 08:15", "" for 0. (transfer full) */
char       *fq_format_date_time     (gint64         unix_seconds);
/* "3 h 20 min left", "Overdue by 1 h 5 min", … (transfer full) */
char       *fq_format_countdown     (gint64         seconds_left,
                                     gboolean       overdue);
/* A dispatched ticket's acceptance clock: "1 h 45 min to accept", or
 * "Accept overdue 15 min" once the limit has passed. (transfer full) */
char       *fq_format_accept_countdown (gint64      seconds_left);
/* Seconds until @dispatched_at's acceptance limit runs out (negative once
 * it has), on the server's clock and with the server's limit. */
gint64      fq_accept_seconds_left  (gint64         dispatched_at);

typedef enum
{
  FQ_CLOCK_PLAIN,
  FQ_CLOCK_DONE,    /* no clock runs: dimmed */
  FQ_CLOCK_NEAR,    /* amber */
  FQ_CLOCK_LATE,    /* red */
} FqClockLook;

/* A ticket's clock on the board, at @now (the server's clock): the one that
 * runs out first, which the deadline sort orders by (fq-ticket-list.c).
 * While the ticket waits for its unit, that is the acceptance limit's
 * ("1 h 45 min to accept", "Accept overdue 15 min"), unless its deadline
 * comes sooner; while it is worked, the deadline's; once resolved, none
 * ("Under review", "Done"). "" without a deadline. (transfer full) */
char       *fq_format_ticket_clock  (FqTicketState  state,
                                     gint64         deadline,
                                     gint64         dispatched_at,
                                     gboolean       overdue,
                                     gint64         now,
                                     FqClockLook   *look);
/* "下陆街道 / 广州路社区" for a grid code below street level. (transfer full) */
char       *fq_format_place         (FqContext     *context,
                                     const char    *grid_code);
/* How much of the catch-up @sync runs is done, as a whole percentage for
 * "Catching up… 37%": 0 to 99 while it runs (rounded down, so never 100
 * before it is over), -1 when it cannot tell or is not catching up. */
int         fq_catch_up_percent     (FqSync        *sync);

G_END_DECLS

G_BEGIN_DECLS

/* The unit a ticket of @category at @grid_code would be dispatched to, as the
 * server finds it (fq_refdata_lead_unit()): the unit of the category's lead
 * unit function covering the place or its nearest ancestor. (nullable) */
const char *fq_preview_lead_unit    (FqContext     *context,
                                     const char    *category,
                                     const char    *grid_code);
/* Whether the signed-in user may triage incidents. */
gboolean    fq_can_triage           (FqContext     *context);

/* A heading for a group of rows in a pane. */
GtkWidget  *fq_section_label_new    (const char    *text);

/* Keeps the accessible label of @label, a status or alert line, equal to
 * its text, so that a screen reader reads what it says now. */
void        fq_label_track_accessible_label (GtkLabel  *label);
/* Gives every button below @root whose label has a mnemonic ("_Submit") the
 * label without it as its accessible label, now and whenever it changes. */
void        fq_fix_mnemonic_accessible_labels (GtkWidget *root);
/* With FQ_TRACE_STARTUP=1 in the environment, the console prints moments
 * the benchmark reads to stderr: "fengqiao: @what <ms since process start>". */
gboolean    fq_trace_enabled        (void);
void        fq_trace_mark           (const char    *what);
/* GTK 4.8 and libadwaita 1.2 open the list of a combo row or drop-down with
 * the keyboard focus on its first item, so that Down moves from there, not
 * from the selected item. For every combo row and drop-down below @root,
 * the list opens on the selected item. */
void        fq_fix_list_popups      (GtkWidget     *root);
/* For the grab_focus of an AdwBin pane when none of its own choices can
 * take the focus: the first widget of its child that can, in Tab order.
 * Not gtk_widget_child_focus() on the pane itself: with GTK 4.8 and
 * libadwaita 1.2 that calls the pane's grab_focus again, without end. */
gboolean    fq_widget_focus_first   (GtkWidget     *bin);
/* @text without its mnemonic marks: "_Submit" and "提交(_S)" become
 * "Submit" and "提交". (transfer full) */
char       *fq_strip_mnemonic       (const char    *text);

G_END_DECLS
