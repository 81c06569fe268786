/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "fq-core.h"

static void
test_error_codes (void)
{
  static const struct
  {
    FqErrorCode  code;
    const char  *name;
    guint        status;
  } expected[] = {
    { FQ_ERROR_BAD_JSON, "bad_json", 400 },
    { FQ_ERROR_BAD_REQUEST, "bad_request", 400 },
    { FQ_ERROR_UNAUTHENTICATED, "unauthenticated", 401 },
    { FQ_ERROR_FORBIDDEN, "forbidden", 403 },
    { FQ_ERROR_NOT_FOUND, "not_found", 404 },
    { FQ_ERROR_METHOD_NOT_ALLOWED, "method_not_allowed", 405 },
    { FQ_ERROR_STALE_REV, "stale_rev", 409 },
    { FQ_ERROR_INVALID_TRANSITION, "invalid_transition", 409 },
    { FQ_ERROR_CONFLICT, "conflict", 409 },
    { FQ_ERROR_TOO_LARGE, "too_large", 413 },
    { FQ_ERROR_UNSUPPORTED_MEDIA, "unsupported_media_type", 415 },
    { FQ_ERROR_INVALID_FIELD, "invalid_field", 422 },
    { FQ_ERROR_POLICE_ONLY_CATEGORY, "police_only_category", 422 },
    { FQ_ERROR_RATE_LIMITED, "rate_limited", 429 },
    { FQ_ERROR_INTERNAL, "internal", 500 },
    { FQ_ERROR_UNAVAILABLE, "unavailable", 503 },
  };

  G_STATIC_ASSERT (G_N_ELEMENTS (expected) == FQ_ERROR_UNAVAILABLE + 1);

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      FqErrorCode code = -1;

      g_assert_cmpstr (fq_error_code_to_string (expected[i].code), ==, expected[i].name);
      g_assert_cmpuint (fq_error_code_to_status (expected[i].code), ==, expected[i].status);
      g_assert_true (fq_error_code_from_string (expected[i].name, &code));
      g_assert_cmpint (code, ==, expected[i].code);
    }

  g_assert_cmpstr (fq_error_code_to_string (999), ==, "internal");
  g_assert_cmpuint (fq_error_code_to_status (999), ==, 500);

  {
    FqErrorCode code = FQ_ERROR_CONFLICT;

    g_assert_false (fq_error_code_from_string ("no_such_code", &code));
    g_assert_false (fq_error_code_from_string ("", &code));
    g_assert_false (fq_error_code_from_string (NULL, &code));
    g_assert_false (fq_error_code_from_string ("BAD_JSON", &code));
    g_assert_cmpint (code, ==, FQ_ERROR_CONFLICT);
  }

  g_assert_cmpstr (g_quark_to_string (FQ_ERROR), ==, "fq-error-quark");
}

static void
test_error_field (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *field = NULL;

  fq_set_field_error (&error, FQ_ERROR_INVALID_FIELD, "grid", "unknown division code %s", "42");
  g_assert_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD);
  g_assert_cmpstr (error->message, ==, "grid: unknown division code 42");
  field = fq_error_get_field (error);
  g_assert_cmpstr (field, ==, "grid");
  g_clear_error (&error);
  g_clear_pointer (&field, g_free);

  /* A NULL error location is allowed, as for g_set_error(). */
  fq_set_field_error (NULL, FQ_ERROR_INVALID_FIELD, "grid", "ignored");

  fq_set_field_error (&error, FQ_ERROR_POLICE_ONLY_CATEGORY, "category", "must be decided police");
  field = fq_error_get_field (error);
  g_assert_cmpstr (field, ==, "category");
  g_clear_error (&error);
  g_clear_pointer (&field, g_free);

  /* Field names may have dots, dashes and brackets. */
  g_set_error_literal (&error, FQ_ERROR, FQ_ERROR_INVALID_FIELD, "invitees[2].unit: unknown");
  field = fq_error_get_field (error);
  g_assert_cmpstr (field, ==, "invitees[2].unit");
  g_clear_error (&error);
  g_clear_pointer (&field, g_free);

  /* Only the first ": " separates. */
  g_set_error_literal (&error, FQ_ERROR, FQ_ERROR_INVALID_FIELD, "note: time: 08:00");
  field = fq_error_get_field (error);
  g_assert_cmpstr (field, ==, "note");
  g_clear_error (&error);
  g_clear_pointer (&field, g_free);

  /* Sentences are not field names. */
  g_set_error_literal (&error, FQ_ERROR, FQ_ERROR_BAD_JSON, "invalid JSON at line 1, column 3: x");
  g_assert_null (fq_error_get_field (error));
  g_clear_error (&error);

  g_set_error_literal (&error, FQ_ERROR, FQ_ERROR_BAD_JSON, "<data>:1:3: Parse error");
  g_assert_null (fq_error_get_field (error));
  g_clear_error (&error);

  g_set_error_literal (&error, FQ_ERROR, FQ_ERROR_NOT_FOUND, "no such ticket");
  g_assert_null (fq_error_get_field (error));
  g_clear_error (&error);

  g_set_error_literal (&error, FQ_ERROR, FQ_ERROR_INVALID_FIELD, ": starts with a colon");
  g_assert_null (fq_error_get_field (error));
  g_clear_error (&error);

  /* Other domains name no field. */
  g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_FAILED, "grid: not ours");
  g_assert_null (fq_error_get_field (error));
  g_clear_error (&error);

  g_assert_null (fq_error_get_field (NULL));
}

static void
test_enums (void)
{
  int value = -1;

  g_assert_cmpstr (fq_enum_to_string (FQ_TYPE_SOURCE, FQ_SOURCE_110), ==, "110");
  g_assert_cmpstr (fq_enum_to_string (FQ_TYPE_SOURCE, FQ_SOURCE_12345), ==, "12345");
  g_assert_cmpstr (fq_enum_to_string (FQ_TYPE_SOURCE, FQ_SOURCE_WALK_IN), ==, "walk_in");
  g_assert_cmpstr (fq_enum_to_string (FQ_TYPE_ROLE, FQ_ROLE_GRID_WORKER), ==, "grid_worker");
  g_assert_cmpstr (fq_enum_to_string (FQ_TYPE_TICKET_ACTION, FQ_TICKET_ACTION_REJECT_RESOLUTION),
                   ==, "reject_resolution");
  g_assert_cmpstr (fq_enum_to_string (FQ_TYPE_EVENT_KIND, FQ_EVENT_KIND_RESOLUTION_REJECTED),
                   ==, "resolution_rejected");
  g_assert_cmpstr (fq_enum_to_string (FQ_TYPE_RETURN_REASON, FQ_RETURN_REASON_NEEDS_POLICE),
                   ==, "needs_police");
  g_assert_cmpstr (fq_enum_to_string (FQ_TYPE_UNIT_KIND, FQ_UNIT_KIND_POLICE_STATION),
                   ==, "police_station");
  g_assert_null (fq_enum_to_string (FQ_TYPE_TIER, 42));
  g_assert_null (fq_enum_to_string (FQ_TYPE_TIER, -1));

  g_assert_true (fq_enum_from_string (FQ_TYPE_DECISION, "on_scene", &value));
  g_assert_cmpint (value, ==, FQ_DECISION_ON_SCENE);
  g_assert_true (fq_enum_from_string (FQ_TYPE_SOURCE, "open311", &value));
  g_assert_cmpint (value, ==, FQ_SOURCE_OPEN311);
  g_assert_true (fq_enum_from_string (FQ_TYPE_GRID_LEVEL, "community", NULL));

  value = -1;
  g_assert_false (fq_enum_from_string (FQ_TYPE_DECISION, "ON_SCENE", &value));
  g_assert_false (fq_enum_from_string (FQ_TYPE_DECISION, "FQ_DECISION_ON_SCENE", &value));
  g_assert_false (fq_enum_from_string (FQ_TYPE_DECISION, "", &value));
  g_assert_false (fq_enum_from_string (FQ_TYPE_DECISION, NULL, &value));
  g_assert_cmpint (value, ==, -1);

  /* Every value of every enumeration goes there and back by its nick. */
  {
    GType types[] = {
      FQ_TYPE_GRID_LEVEL, FQ_TYPE_ROLE, FQ_TYPE_SOURCE, FQ_TYPE_INCIDENT_STATUS,
      FQ_TYPE_DECISION, FQ_TYPE_TIER, FQ_TYPE_TICKET_STATE, FQ_TYPE_TICKET_ACTION,
      FQ_TYPE_RETURN_REASON, FQ_TYPE_EVENT_KIND, FQ_TYPE_UNIT_KIND,
    };

    for (guint t = 0; t < G_N_ELEMENTS (types); t++)
      {
        g_autoptr(GEnumClass) klass = g_type_class_ref (types[t]);

        for (guint i = 0; i < klass->n_values; i++)
          {
            const char *nick = fq_enum_to_string (types[t], klass->values[i].value);

            g_assert_nonnull (nick);
            g_assert_true (fq_enum_from_string (types[t], nick, &value));
            g_assert_cmpint (value, ==, klass->values[i].value);
          }
      }
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/error/codes", test_error_codes);
  g_test_add_func ("/core/error/field", test_error_field);
  g_test_add_func ("/core/enums/strings", test_enums);

  return g_test_run ();
}
