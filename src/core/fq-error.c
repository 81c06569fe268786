/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao"

#include "config.h"

#include <string.h>

#include "fq-error.h"

G_DEFINE_QUARK (fq-error-quark, fq_error)

/* Indexed by FqErrorCode: the wire string and the HTTP status of each code. */
static const struct
{
  const char *name;
  guint       status;
} codes[] = {
  [FQ_ERROR_BAD_JSON]             = { "bad_json", 400 },
  [FQ_ERROR_BAD_REQUEST]          = { "bad_request", 400 },
  [FQ_ERROR_UNAUTHENTICATED]      = { "unauthenticated", 401 },
  [FQ_ERROR_FORBIDDEN]            = { "forbidden", 403 },
  [FQ_ERROR_NOT_FOUND]            = { "not_found", 404 },
  [FQ_ERROR_METHOD_NOT_ALLOWED]   = { "method_not_allowed", 405 },
  [FQ_ERROR_STALE_REV]            = { "stale_rev", 409 },
  [FQ_ERROR_INVALID_TRANSITION]   = { "invalid_transition", 409 },
  [FQ_ERROR_CONFLICT]             = { "conflict", 409 },
  [FQ_ERROR_TOO_LARGE]            = { "too_large", 413 },
  [FQ_ERROR_UNSUPPORTED_MEDIA]    = { "unsupported_media_type", 415 },
  [FQ_ERROR_INVALID_FIELD]        = { "invalid_field", 422 },
  [FQ_ERROR_POLICE_ONLY_CATEGORY] = { "police_only_category", 422 },
  [FQ_ERROR_RATE_LIMITED]         = { "rate_limited", 429 },
  [FQ_ERROR_INTERNAL]             = { "internal", 500 },
  [FQ_ERROR_UNAVAILABLE]          = { "unavailable", 503 },
};

G_STATIC_ASSERT (G_N_ELEMENTS (codes) == FQ_ERROR_UNAVAILABLE + 1);

/**
 * fq_error_code_to_string:
 * @code: an #FqErrorCode
 *
 * Returns: (transfer none): the stable wire name of @code, such as
 *   `"invalid_field"`; `"internal"` for a value outside the enumeration
 */
const char *
fq_error_code_to_string (FqErrorCode code)
{
  if ((guint)code >= G_N_ELEMENTS (codes))
    return codes[FQ_ERROR_INTERNAL].name;

  return codes[code].name;
}

/**
 * fq_error_code_from_string:
 * @str: (nullable): a wire name such as `"stale_rev"`
 * @code: (out): where to store the code
 *
 * Returns: %TRUE if @str names a code
 */
gboolean
fq_error_code_from_string (const char  *str,
                           FqErrorCode *code)
{
  g_return_val_if_fail (code != NULL, FALSE);

  if (str == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      if (strcmp (codes[i].name, str) == 0)
        {
          *code = (FqErrorCode)i;
          return TRUE;
        }
    }

  return FALSE;
}

/**
 * fq_error_code_to_status:
 * @code: an #FqErrorCode
 *
 * Returns: the HTTP status the API answers @code with; 500 for a value
 *   outside the enumeration
 */
guint
fq_error_code_to_status (FqErrorCode code)
{
  if ((guint)code >= G_N_ELEMENTS (codes))
    return 500;

  return codes[code].status;
}

static gboolean
is_field_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '.' || c == '-' || c == '[' || c == ']';
}

/**
 * fq_error_get_field:
 * @error: (nullable): an error
 *
 * Returns: (transfer full) (nullable): the field an %FQ_ERROR names (see
 *   #FqError), or %NULL if it names none
 */
char *
fq_error_get_field (const GError *error)
{
  const char *colon;

  if (error == NULL || error->domain != FQ_ERROR || error->message == NULL)
    return NULL;

  colon = strstr (error->message, ": ");
  if (colon == NULL || colon == error->message)
    return NULL;

  for (const char *p = error->message; p < colon; p++)
    {
      if (!is_field_char (*p))
        return NULL;
    }

  return g_strndup (error->message, colon - error->message);
}

/**
 * fq_set_field_error:
 * @error: (nullable): return location for the error
 * @code: the code
 * @field: the field the error is about
 * @format: printf() format of the text after `"FIELD: "`
 *
 * Sets @error to an %FQ_ERROR whose message is `"FIELD: text"`.
 */
void
fq_set_field_error (GError     **error,
                    FqErrorCode  code,
                    const char  *field,
                    const char  *format,
                    ...)
{
  g_autofree char *text = NULL;
  va_list args;

  g_return_if_fail (field != NULL);
  g_return_if_fail (format != NULL);

  if (error == NULL)
    return;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, FQ_ERROR, code, "%s: %s", field, text);
}
