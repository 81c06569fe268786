/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * What the fuzz targets share: set-up that makes every GLib warning and
 * critical fatal (libFuzzer then reports it as a crash with its input), and
 * a check that a call returning gboolean with a GError keeps the contract:
 * TRUE without an error, FALSE with an FQ_ERROR that has a message.
 */

#include <glib.h>

#include "fq-error.h"

G_BEGIN_DECLS

static inline void
fq_fuzz_init (void)
{
  /* A warning or critical is a bug the fuzzer has found. */
  g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  /* Debug messages would flood the fuzzer's output. */
  g_setenv ("G_MESSAGES_DEBUG", "", TRUE);
}

/* Undefined behaviour is a crash too, also when a target is run by hand
 * (UBSan only reports and goes on by default). Each target includes this
 * header once. */
const char *__ubsan_default_options (void);

const char *
__ubsan_default_options (void)
{
  return "halt_on_error=1:print_stacktrace=1";
}

static inline gboolean
fq_fuzz_check_result (gboolean     ok,
                      GError      *error,
                      const char  *call)
{
  if (ok && error != NULL)
    g_error ("%s succeeded but set an error: %s", call, error->message);
  if (!ok && error == NULL)
    g_error ("%s failed without an error", call);
  if (!ok && (error->domain != FQ_ERROR || error->message == NULL))
    g_error ("%s failed with an error of another domain: %s", call, error->message);
  if (error != NULL)
    {
      g_free (fq_error_get_field (error));
      g_error_free (error);
    }
  return ok;
}

/* Calls a function whose last argument is FQ_FUZZ_ERR, checks its result
 * with fq_fuzz_check_result() and evaluates to that result. */
#define FQ_FUZZ_ERR (&fq_fuzz_error_)
#define FQ_FUZZ_CALL(call)                                        \
  ({                                                              \
    GError *fq_fuzz_error_ = NULL;                                \
    gboolean fq_fuzz_ok_ = (call);                                \
    fq_fuzz_check_result (fq_fuzz_ok_, fq_fuzz_error_, #call);    \
  })

G_END_DECLS
