/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * FqError:
 *
 * The error domain shared by the core, the server and the console. Each code
 * is one of the stable machine-readable codes of the HTTP API's error object,
 * so that an error raised deep in the core reaches the client unchanged.
 *
 * For %FQ_ERROR_INVALID_FIELD (and the other field-related codes) the message
 * is written as `"FIELD: what is wrong"` (fq_set_field_error() does that);
 * fq_error_get_field() returns the part before the first `": "`, which the
 * server sends as the error object's `field`. Only a part made of letters,
 * digits, `_`, `.`, `-`, `[` and `]` counts as a field name, so that a message
 * such as `"invalid JSON at line 1, column 3: …"` names no field.
 */
#define FQ_ERROR (fq_error_quark ())

/* fengqiao-server's exit status when another server holds its data
 * directory (the console says so in words). */
#define FQ_SERVER_EXIT_DATA_IN_USE 3

typedef enum
{
  FQ_ERROR_BAD_JSON,             /* 400 bad_json */
  FQ_ERROR_BAD_REQUEST,          /* 400 bad_request: bad query parameter, cursor, since */
  FQ_ERROR_UNAUTHENTICATED,      /* 401 unauthenticated */
  FQ_ERROR_FORBIDDEN,            /* 403 forbidden */
  FQ_ERROR_NOT_FOUND,            /* 404 not_found */
  FQ_ERROR_METHOD_NOT_ALLOWED,   /* 405 method_not_allowed */
  FQ_ERROR_STALE_REV,            /* 409 stale_rev */
  FQ_ERROR_INVALID_TRANSITION,   /* 409 invalid_transition */
  FQ_ERROR_CONFLICT,             /* 409 conflict: e.g. username taken */
  FQ_ERROR_TOO_LARGE,            /* 413 too_large */
  FQ_ERROR_UNSUPPORTED_MEDIA,    /* 415 unsupported_media_type */
  FQ_ERROR_INVALID_FIELD,        /* 422 invalid_field */
  FQ_ERROR_POLICE_ONLY_CATEGORY, /* 422 police_only_category */
  FQ_ERROR_RATE_LIMITED,         /* 429 rate_limited */
  FQ_ERROR_INTERNAL,             /* 500 internal */
  FQ_ERROR_UNAVAILABLE,          /* 503 unavailable: disk full, shutting down */
} FqErrorCode;

GQuark       fq_error_quark          (void);
const char  *fq_error_code_to_string (FqErrorCode  code);
gboolean     fq_error_code_from_string (const char  *str,
                                        FqErrorCode *code);
guint        fq_error_code_to_status (FqErrorCode  code);
char        *fq_error_get_field      (const GError *error);
void         fq_set_field_error      (GError     **error,
                                      FqErrorCode  code,
                                      const char  *field,
                                      const char  *format,
                                      ...) G_GNUC_PRINTF (4, 5);

G_END_DECLS
