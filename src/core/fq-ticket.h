/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "fq-enums.h"

G_BEGIN_DECLS

/*
 * A ticket, the diverted matter (API.md "Tickets"). Its timeline is not part
 * of it: the events are FqTimelineEvent objects of their own. Times are Unix
 * seconds, 0 when not (yet) set; satisfaction is 0 until the ticket is
 * closed with a rating.
 */

#define FQ_TYPE_TICKET (fq_ticket_get_type ())

G_DECLARE_FINAL_TYPE (FqTicket, fq_ticket, FQ, TICKET, GObject)

FqTicket           *fq_ticket_new_from_json       (JsonObject  *object,
                                                   GError     **error);
JsonNode           *fq_ticket_to_json             (FqTicket *self);
gboolean            fq_ticket_update_from_json    (FqTicket    *self,
                                                   JsonObject  *object,
                                                   gboolean    *changed,
                                                   GError     **error);
const char         *fq_ticket_get_id              (FqTicket *self);
const char         *fq_ticket_get_title           (FqTicket *self);
const char         *fq_ticket_get_category        (FqTicket *self);
const char         *fq_ticket_get_grid            (FqTicket *self);
FqTier              fq_ticket_get_tier            (FqTicket *self);
const char         *fq_ticket_get_lead_unit       (FqTicket *self);
const char * const *fq_ticket_get_assisting_units (FqTicket *self);
FqTicketState       fq_ticket_get_state           (FqTicket *self);
const char * const *fq_ticket_get_incidents       (FqTicket *self);
gint64              fq_ticket_get_created_at      (FqTicket *self);
gint64              fq_ticket_get_dispatched_at   (FqTicket *self);
gint64              fq_ticket_get_accepted_at     (FqTicket *self);
gint64              fq_ticket_get_resolved_at     (FqTicket *self);
gint64              fq_ticket_get_closed_at       (FqTicket *self);
gint64              fq_ticket_get_deadline        (FqTicket *self);
gboolean            fq_ticket_get_overdue         (FqTicket *self);
int                 fq_ticket_get_satisfaction    (FqTicket *self);
guint               fq_ticket_get_returned_count  (FqTicket *self);
guint               fq_ticket_get_reopened_count  (FqTicket *self);
guint               fq_ticket_get_repeat_count    (FqTicket *self);
gint64              fq_ticket_get_rev             (FqTicket *self);

G_END_DECLS
