/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * The Open311 GeoReport v2 tree (fq-open311.c), served by fq-server.c
 * beside /api/v1 without its bearer tokens: other systems list our
 * categories as services, submit requests with an api_key and read their
 * status back.
 */

#include "fq-server-private.h"

G_BEGIN_DECLS

#define FQ_OPEN311_PREFIX "/open311/v2"

/* Answers @request, whose segments are the path below FQ_OPEN311_PREFIX;
 * takes @body, the raw request body (may be empty). */
void fq_open311_handle        (FqRequest  *request,
                               FqBody     *body);
/* Answers the specification's error array [{"code","description"}]. */
void fq_open311_respond_error (FqRequest  *request,
                               guint       status,
                               const char *description);
/* The same, before there is a request: before the body is read. */
void fq_open311_respond_early_error (SoupServerMessage *msg,
                                     guint              status,
                                     const char        *description);

#define FQ_OPEN311_TOO_LARGE "the request body is larger than 1 MiB"

G_END_DECLS
