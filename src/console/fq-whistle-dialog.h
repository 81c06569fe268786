/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <json-glib/json-glib.h>

#include "fq-context.h"

G_BEGIN_DECLS

/*
 * FqWhistleDialog: "blow the whistle" (吹哨) on a ticket — call a convening
 * session. The dialog proposes as invitees the units the matter needs (the
 * category's lead unit at the place, the place's street office and community
 * committee, the district departments that support such matters), lets the
 * coordinator add any other unit and named external participants (residents'
 * or companies' representatives), and schedules time, place and agenda. It
 * sends POST /tickets/{id}/sessions through the outbox, so the call survives
 * a lost connection.
 */

#define FQ_TYPE_WHISTLE_DIALOG (fq_whistle_dialog_get_type ())

G_DECLARE_FINAL_TYPE (FqWhistleDialog, fq_whistle_dialog, FQ, WHISTLE_DIALOG, AdwWindow)

/* Opens the dialog for @ticket (the ticket's JSON object as the API gives
 * it; the dialog keeps a reference), transient for the window of @parent. */
void fq_whistle_dialog_present (FqContext  *context,
                                JsonObject *ticket,
                                GtkWidget  *parent);

G_END_DECLS
