/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * libFuzzer target: the server's handling of request bodies, without a
 * running server. Each input is a body as POST /incidents,
 * POST /incidents/{id}/triage and POST /tickets/{id}/actions receive it.
 *
 * The server's readers of those bodies (parse_new_incident() in
 * fq-incidents.c, parse_fields() in fq-tickets.c, the reads at the top of
 * fq_incident_triage()) are static and run inside a database job, so this
 * target follows the same path through the public core functions they are
 * made of: the body limit and fq_json_parse_object() of read_body() in
 * fq-server.c, the strict getters with the server's bounds, the
 * reference-data lookups (grid in scope, category, units), phone and
 * address normalisation, the category hint, and for ticket actions
 * fq_ticket_machine_check() over every state, role and unit relation
 * followed by the fields the machine table names. Keep it in step with
 * those functions.
 */

#define G_LOG_DOMAIN "Fengqiao-Fuzz"

#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fq-core.h"

#include "fq-fuzz-common.h"

/* The server's limits (fq-tickets.c, fq-incidents.c). */
#define MAX_ASSIST_UNITS 20
#define RECEIVED_AT_SKEW (10 * 60)
#define NOW              G_GINT64_CONSTANT (1795939200) /* 2026-11-29T08:00:00Z */

static FqRefData *refdata;
static FqCategoryHint *hint;
/* Scope prefixes of users: the city (everything), a street, a community. */
static char *scopes[3];

static const char *
data_dir (void)
{
  const char *dir = g_getenv ("FQ_SOURCE_DATADIR");

  return dir != NULL && *dir != '\0' ? dir : SOURCE_DATADIR;
}

/* As error_json() of the server: every error must map to an API code and
 * an HTTP status, and name a field that is a member name. */
static void
check_error (const GError *error)
{
  g_autofree char *field = NULL;

  g_assert_nonnull (error);
  g_assert (error->domain == FQ_ERROR);
  g_assert_nonnull (fq_error_code_to_string (error->code));
  g_assert_cmpuint (fq_error_code_to_status (error->code), >=, 400);
  field = fq_error_get_field (error);
  if (field != NULL)
    g_assert (g_utf8_validate (field, -1, NULL));
}

static gboolean
check_grid (const char  *scope_prefix,
            const char  *field,
            const char  *code,
            GError     **error)
{
  if (fq_refdata_get_node (refdata, code) == NULL)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "unknown division code");
      return FALSE;
    }
  if (scope_prefix != NULL && !g_str_has_prefix (code, scope_prefix))
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "outside your scope");
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_phone (const char  *phone,
             char       **normalized,
             GError     **error)
{
  *normalized = NULL;
  if (phone == NULL)
    return TRUE;

  for (const char *p = phone; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p) && strchr ("+-() ", *p) == NULL)
      {
        fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "caller_phone",
                            "only digits, spaces and + - ( ) are allowed");
        return FALSE;
      }

  *normalized = fq_repeat_normalize_phone (phone);
  if (*normalized == NULL || strlen (*normalized) > 20)
    {
      g_clear_pointer (normalized, g_free);
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "caller_phone",
                          "not a phone number (5 to 20 digits)");
      return FALSE;
    }
  return TRUE;
}

/* POST /incidents: parse_new_incident() of fq-incidents.c. */
static gboolean
new_incident (JsonObject  *body,
              const char  *scope_prefix,
              GError     **error)
{
  g_autofree char *caller_name = NULL;
  g_autofree char *caller_phone = NULL;
  g_autofree char *phone_norm = NULL;
  g_autofree char *address = NULL;
  g_autofree char *address_norm = NULL;
  g_autofree char *grid = NULL;
  g_autofree char *community = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *description = NULL;
  g_autofree char *category = NULL;
  g_autofree char *external_id = NULL;
  g_autoptr(JsonNode) suggestion = NULL;
  gboolean present = FALSE;
  gint64 received_at = 0;
  int source = 0;

  if (!fq_json_get_enum (body, "source", TRUE, FQ_TYPE_SOURCE, &source, NULL, error))
    return FALSE;
  if (!fq_json_get_time (body, "received_at", FALSE, &received_at, &present, error))
    return FALSE;
  if (present && received_at > NOW + RECEIVED_AT_SKEW)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "received_at", "lies in the future");
      return FALSE;
    }

  if (!fq_json_get_string (body, "caller_name", FALSE, 100, &caller_name, error) ||
      !fq_json_get_string (body, "caller_phone", FALSE, 32, &caller_phone, error) ||
      !check_phone (caller_phone, &phone_norm, error) ||
      !fq_json_get_string (body, "address", FALSE, 200, &address, error) ||
      !fq_json_get_string (body, "grid", TRUE, 20, &grid, error) ||
      !check_grid (scope_prefix, "grid", grid, error) ||
      !fq_json_get_string (body, "summary", TRUE, 200, &summary, error) ||
      !fq_json_get_string (body, "description", FALSE, 4000, &description, error) ||
      !fq_json_get_string (body, "category", FALSE, 64, &category, error) ||
      !fq_json_get_string (body, "external_id", FALSE, 100, &external_id, error))
    return FALSE;

  g_strstrip (summary);
  if (*summary == '\0')
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "summary", "must not be empty");
      return FALSE;
    }
  if (category != NULL && fq_refdata_get_category (refdata, category) == NULL)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "category", "unknown category");
      return FALSE;
    }

  address_norm = address != NULL ? fq_repeat_normalize_address (address) : NULL;
  community = fq_repeat_community_of (grid);

  /* What detect_repeats() and suggest_category() then do with it. */
  {
    FqRepeatProbe probe = {
      .phone = phone_norm, .community = community, .address = address_norm,
      .category = category, .summary = summary, .received_at = present ? received_at : NOW,
    };
    double score = 0;

    fq_repeat_match (&probe, &probe, &score);
    g_assert (score >= 0 && score <= 1);
    if (description != NULL)
      {
        double s = fq_repeat_similarity (summary, description);

        g_assert (s >= 0 && s <= 1);
      }
  }
  if (hint != NULL)
    {
      suggestion = fq_category_hint_suggest_json (hint, summary, description);
      if (suggestion != NULL)
        g_free (fq_json_to_string (suggestion, NULL));
    }
  return TRUE;
}

/* POST /incidents/{id}/triage: the reads at the top of fq_incident_triage(). */
static gboolean
triage (JsonObject  *body,
        const char  *scope_prefix,
        GError     **error)
{
  g_autofree char *category_code = NULL;
  g_autofree char *grid = NULL;
  g_autofree char *note = NULL;
  g_autofree char *lead_unit_id = NULL;
  g_autofree char *ticket_id = NULL;
  const FqCategoryInfo *category = NULL;
  int decision = 0;
  int tier = -1;
  gint64 rev = 0;

  if (!fq_json_get_enum (body, "decision", TRUE, FQ_TYPE_DECISION, &decision, NULL, error) ||
      !fq_json_get_int (body, "rev", TRUE, 0, G_MAXINT64, &rev, NULL, error) ||
      !fq_json_get_string (body, "category", FALSE, 64, &category_code, error) ||
      !fq_json_get_string (body, "grid", FALSE, 20, &grid, error) ||
      !fq_json_get_string (body, "note", FALSE, 2000, &note, error) ||
      !fq_json_get_string (body, "lead_unit", FALSE, 64, &lead_unit_id, error) ||
      !fq_json_get_enum (body, "tier", FALSE, FQ_TYPE_TIER, &tier, NULL, error) ||
      !fq_json_get_string (body, "ticket", FALSE, 64, &ticket_id, error))
    return FALSE;

  if (grid != NULL && !check_grid (scope_prefix, "grid", grid, error))
    return FALSE;
  if (category_code != NULL)
    {
      category = fq_refdata_get_category (refdata, category_code);
      if (category == NULL)
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "category", "unknown category");
          return FALSE;
        }
    }
  if (category != NULL && category->police_only && decision != FQ_DECISION_POLICE)
    {
      fq_set_field_error (error, FQ_ERROR_POLICE_ONLY_CATEGORY, "category",
                          "%s is a police matter and cannot be decided %s",
                          category->code, fq_enum_to_string (FQ_TYPE_DECISION, decision));
      return FALSE;
    }
  if (decision == FQ_DECISION_DIVERT && category != NULL)
    {
      const FqUnitInfo *lead;

      if (lead_unit_id != NULL)
        lead = fq_refdata_get_unit (refdata, lead_unit_id);
      else
        lead = fq_refdata_lead_unit (refdata, category->code,
                                     grid != NULL ? grid : "420202002012");
      if (lead != NULL)
        g_assert_nonnull (lead->id);
    }
  if (tier >= 0)
    {
      FqTier next;

      if (fq_tier_next (tier, &next))
        g_assert_cmpint (next, ==, tier + 1);
    }
  return TRUE;
}

static gboolean
check_unit (const char  *field,
            const char  *id,
            GError     **error)
{
  if (fq_refdata_get_unit (refdata, id) == NULL)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "unknown unit “%s”", id);
      return FALSE;
    }
  return TRUE;
}

/* parse_fields() of fq-tickets.c. */
static gboolean
action_fields (JsonObject                *body,
               const FqTicketTransition  *row,
               GError                   **error)
{
  guint wanted = row->required | row->optional;
  g_autofree char *note = NULL;
  g_autofree char *unit = NULL;
  g_auto(GStrv) units = NULL;
  gboolean present = FALSE;
  gint64 satisfaction = 0;
  int reason = -1;
  int tier = -1;

  if (wanted & FQ_ACTION_FIELD_NOTE)
    {
      if (!fq_json_get_string (body, "note", (row->required & FQ_ACTION_FIELD_NOTE) != 0, 2000,
                               &note, error))
        return FALSE;
      if (note != NULL)
        g_strstrip (note);
      if ((row->required & FQ_ACTION_FIELD_NOTE) && (note == NULL || *note == '\0'))
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "note", "must not be empty");
          return FALSE;
        }
    }
  if ((wanted & FQ_ACTION_FIELD_REASON) &&
      !fq_json_get_enum (body, "reason", (row->required & FQ_ACTION_FIELD_REASON) != 0,
                         FQ_TYPE_RETURN_REASON, &reason, NULL, error))
    return FALSE;
  if (wanted & FQ_ACTION_FIELD_UNIT)
    {
      if (!fq_json_get_string (body, "unit", (row->required & FQ_ACTION_FIELD_UNIT) != 0, 64,
                               &unit, error))
        return FALSE;
      if (unit != NULL && !check_unit ("unit", unit, error))
        return FALSE;
    }
  if (wanted & FQ_ACTION_FIELD_UNITS)
    {
      if (!fq_json_get_string_array (body, "units", (row->required & FQ_ACTION_FIELD_UNITS) != 0,
                                     MAX_ASSIST_UNITS, 64, &units, error))
        return FALSE;
      if ((row->required & FQ_ACTION_FIELD_UNITS) && (units == NULL || units[0] == NULL))
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, "units",
                              "must name at least one unit");
          return FALSE;
        }
      for (guint i = 0; units != NULL && units[i] != NULL; i++)
        if (!check_unit ("units", units[i], error))
          return FALSE;
    }
  if ((wanted & FQ_ACTION_FIELD_SATISFACTION) &&
      !fq_json_get_int (body, "satisfaction", (row->required & FQ_ACTION_FIELD_SATISFACTION) != 0,
                        1, 5, &satisfaction, &present, error))
    return FALSE;
  if (present)
    g_assert (satisfaction >= 1 && satisfaction <= 5);
  if ((wanted & FQ_ACTION_FIELD_TIER) &&
      !fq_json_get_enum (body, "tier", (row->required & FQ_ACTION_FIELD_TIER) != 0,
                         FQ_TYPE_TIER, &tier, NULL, error))
    return FALSE;
  return TRUE;
}

/* POST /tickets/{id}/actions: the checks of fq_ticket_apply_action() up to
 * the first write, for a ticket in each state seen by each role. */
static void
ticket_action (JsonObject *body)
{
  g_autoptr(GError) error = NULL;
  int action = 0;
  gint64 rev = 0;

  if (!fq_json_get_enum (body, "action", TRUE, FQ_TYPE_TICKET_ACTION, &action, NULL, &error) ||
      !fq_json_get_int (body, "rev", TRUE, 0, G_MAXINT64, &rev, NULL, &error))
    {
      check_error (error);
      return;
    }
  g_assert (action >= 0 && action < FQ_TICKET_N_ACTIONS);
  g_assert (rev >= 0);

  for (int state = 0; state < FQ_TICKET_N_STATES; state++)
    for (int role = FQ_ROLE_OPERATOR; role <= FQ_ROLE_ADMIN; role++)
      for (guint relation = 0; relation <= (FQ_UNIT_RELATION_LEAD | FQ_UNIT_RELATION_ASSIST);
           relation++)
        {
          g_autoptr(GError) check_error_ = NULL;
          guint allowed = fq_ticket_machine_allowed (state, role, relation);
          gboolean ok = fq_ticket_machine_check (state, action, role, relation, &check_error_);
          const FqTicketTransition *row;

          /* The check and the list of allowed actions must agree: the
           * console offers exactly what the server then accepts. */
          g_assert_cmpint (ok, ==, (allowed & (1u << action)) != 0);
          if (!ok)
            {
              g_auto(GStrv) names = fq_ticket_actions_to_strv (allowed);

              check_error (check_error_);
              g_assert_cmpuint (g_strv_length (names), <=, FQ_TICKET_N_ACTIONS);
              continue;
            }
          g_assert_no_error (check_error_);

          row = fq_ticket_machine_lookup (state, action);
          g_assert_nonnull (row);
          g_assert_cmpint (row->action, ==, action);
          /* The fields depend on the row only: read them once per state. */
          if (role == FQ_ROLE_COORDINATOR || role == FQ_ROLE_UNIT || role == FQ_ROLE_OPERATOR)
            {
              g_autoptr(GError) fields_error = NULL;

              if (!action_fields (body, row, &fields_error))
                check_error (fields_error);
              else
                g_assert_no_error (fields_error);
            }
        }
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autoptr(GError) error = NULL;
  const char *scope_codes[] = { "420200000000", "420204004000", "420204004011" };

  fq_fuzz_init ();

  refdata = fq_refdata_new_from_dir (data_dir (), &error);
  if (refdata == NULL)
    g_error ("Cannot load the reference data from %s: %s", data_dir (), error->message);
  hint = fq_category_hint_new_from_dir (refdata, data_dir (), &error);
  if (hint == NULL)
    {
      g_printerr ("fuzz-request: no category hint (%s)\n", error->message);
      g_clear_error (&error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (scopes); i++)
    {
      const FqGridNodeInfo *node = fq_refdata_get_node (refdata, scope_codes[i]);

      g_assert_nonnull (node);
      scopes[i] = g_strdup (node->prefix);
    }
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) body = NULL;

  /* read_body(): larger bodies are answered 413 before parsing. */
  if (size > FQ_JSON_MAX_BODY)
    return -1;

  body = fq_json_parse_object ((const char *)data, size, &error);
  if (body == NULL)
    {
      check_error (error);
      return 0;
    }
  g_assert_no_error (error);

  /* No user (the demo feed) and users of three scopes. */
  for (int i = -1; i < (int)G_N_ELEMENTS (scopes); i++)
    {
      const char *scope = i >= 0 ? scopes[i] : NULL;

      if (!new_incident (body, scope, &error))
        check_error (error);
      g_clear_error (&error);
      if (!triage (body, scope, &error))
        check_error (error);
      g_clear_error (&error);
    }
  ticket_action (body);

  return 0;
}
