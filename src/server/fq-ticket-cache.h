/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fq-entities.h"

G_BEGIN_DECLS

/*
 * The details of the tickets read lately, kept on the main thread so that
 * GET /tickets/{id} for one of them is answered at once, without a trip to
 * a reader thread and the database.
 *
 * Why: every change to a ticket reaches each console in its scope, and
 * each console showing that ticket reads it again a moment later
 * (fq-ticket-pane.c); a ticket in a convening session is open on the desks
 * of every unit invited. The reads a change sets off all ask for the same
 * few tickets, while writes come seconds apart.
 *
 * What keeps it true:
 *
 *  - Every completed write empties it (fq-server.c, before the write's
 *    changes are published and before it is answered), whatever the write
 *    touched: a city's writes are few enough that precision would buy
 *    little, and a rule this simple cannot miss a write.
 *  - A read brings its detail back with the generation it started in. If a
 *    write completed meanwhile, the read may have seen the database before
 *    that write, so its detail is not kept (it still answers its own
 *    request, as any read that overlaps a write may).
 *  - What depends on the reader (scope, `allowed_actions`, the masking of
 *    phone numbers) and on the moment (the ticket's SLA flags) is decided
 *    when answering, from the ticket kept (fq_ticket_detail_write()). The
 *    sessions' text holds until an action item falls overdue; a detail
 *    past that second is dropped.
 *  - It holds at most a byte budget of details, dropping the least
 *    recently read first.
 *
 * It also knows the reads under way, so that the consoles that ask for a
 * ticket at the same moment (the reads a change sets off come together)
 * wait for one read rather than each making its own. A write forgets them
 * too: a request that comes after a write never waits for a read that may
 * have started before it.
 *
 * Not thread-safe: the main thread alone uses it.
 */

/* FqTicketCache is declared in fq-server-private.h. */

/* How the cache lets go of a detail it owns (dropped, replaced, not kept):
 * @dispose takes @detail. */
typedef void (*FqTicketDetailDispose) (FqTicketDetail *detail,
                                       gpointer        data);

FqTicketCache        *fq_ticket_cache_new            (gsize           budget);
void                  fq_ticket_cache_free           (FqTicketCache  *cache);
/* By default, fq_ticket_detail_free(). */
void                  fq_ticket_cache_set_dispose    (FqTicketCache         *cache,
                                                      FqTicketDetailDispose  dispose,
                                                      gpointer               data);

/* Changes at every fq_ticket_cache_clear(). */
guint64               fq_ticket_cache_get_generation (FqTicketCache  *cache);
/* The detail of ticket @id if kept and still true at @now (marked as read
 * last), else NULL. Valid until the next call on @cache. */
const FqTicketDetail *fq_ticket_cache_lookup         (FqTicketCache  *cache,
                                                      const char     *id,
                                                      gint64          now);
/* Keeps @detail, read by a read that started in @generation; takes it. Not
 * kept if the generation has changed since, or if it alone is over the
 * budget. */
void                  fq_ticket_cache_insert         (FqTicketCache  *cache,
                                                      guint64         generation,
                                                      FqTicketDetail *detail);
/* The read of ticket @id under way in this generation (as given to
 * fq_ticket_cache_set_reading()), or NULL. */
gpointer              fq_ticket_cache_get_reading    (FqTicketCache  *cache,
                                                      const char     *id);
void                  fq_ticket_cache_set_reading    (FqTicketCache  *cache,
                                                      const char     *id,
                                                      gpointer        read);
/* Forgets that @read of @id is under way, if it is still the one known. */
void                  fq_ticket_cache_unset_reading  (FqTicketCache  *cache,
                                                      const char     *id,
                                                      gpointer        read);
/* Forgets every detail and every read under way (a write completed). */
void                  fq_ticket_cache_clear          (FqTicketCache  *cache);

guint                 fq_ticket_cache_get_length     (FqTicketCache  *cache);
gsize                 fq_ticket_cache_get_bytes      (FqTicketCache  *cache);

G_END_DECLS
