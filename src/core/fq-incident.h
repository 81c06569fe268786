/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "fq-enums.h"

G_BEGIN_DECLS

/*
 * An incident, one call or report (API.md "Incidents"). The decision is
 * unset until triage (has-decision is then FALSE), the suggested category is
 * NULL when there is none, and the repeat candidates are a GPtrArray of
 * FqRepeatCandidate, never NULL, that must not be changed.
 */

typedef struct
{
  char   *incident; /* the earlier incident */
  char   *ticket;   /* its ticket, or NULL */
  double  score;    /* see fq_repeat_match() */
} FqRepeatCandidate;

#define FQ_TYPE_REPEAT_CANDIDATE (fq_repeat_candidate_get_type ())

GType              fq_repeat_candidate_get_type (void) G_GNUC_CONST;
FqRepeatCandidate *fq_repeat_candidate_new      (const char              *incident,
                                                 const char              *ticket,
                                                 double                   score);
FqRepeatCandidate *fq_repeat_candidate_copy     (const FqRepeatCandidate *candidate);
void               fq_repeat_candidate_free     (FqRepeatCandidate       *candidate);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FqRepeatCandidate, fq_repeat_candidate_free)

#define FQ_TYPE_INCIDENT (fq_incident_get_type ())

G_DECLARE_FINAL_TYPE (FqIncident, fq_incident, FQ, INCIDENT, GObject)

FqIncident       *fq_incident_new_from_json            (JsonObject  *object,
                                                        GError     **error);
JsonNode         *fq_incident_to_json                  (FqIncident *self);
gboolean          fq_incident_update_from_json         (FqIncident  *self,
                                                        JsonObject  *object,
                                                        gboolean    *changed,
                                                        GError     **error);
const char       *fq_incident_get_id                   (FqIncident *self);
FqSource          fq_incident_get_source               (FqIncident *self);
gint64            fq_incident_get_received_at          (FqIncident *self);
const char       *fq_incident_get_caller_name          (FqIncident *self);
const char       *fq_incident_get_caller_phone         (FqIncident *self);
const char       *fq_incident_get_address              (FqIncident *self);
const char       *fq_incident_get_grid                 (FqIncident *self);
const char       *fq_incident_get_summary              (FqIncident *self);
const char       *fq_incident_get_description          (FqIncident *self);
const char       *fq_incident_get_category             (FqIncident *self);
const char       *fq_incident_get_external_id          (FqIncident *self);
FqIncidentStatus  fq_incident_get_status               (FqIncident *self);
FqDecision        fq_incident_get_decision             (FqIncident *self);
gboolean          fq_incident_get_has_decision         (FqIncident *self);
const char       *fq_incident_get_ticket               (FqIncident *self);
const char       *fq_incident_get_repeat_of            (FqIncident *self);
GPtrArray        *fq_incident_get_repeat_candidates    (FqIncident *self);
const char       *fq_incident_get_suggested_category   (FqIncident *self);
double            fq_incident_get_suggested_confidence (FqIncident *self);
const char       *fq_incident_get_created_by           (FqIncident *self);
gint64            fq_incident_get_rev                  (FqIncident *self);

G_END_DECLS
