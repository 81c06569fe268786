/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * libfengqiao-core: the model types, their JSON codec and the domain rules
 * shared by the server and the console. No GTK, no libsoup.
 */

#include "fq-city-time.h"
#include "fq-enums.h"
#include "fq-enum-types.h"
#include "fq-error.h"
#include "fq-json.h"
#include "fq-refdata.h"
#include "fq-category-hint.h"
#include "fq-repeat.h"
#include "fq-repeat-address.h"
#include "fq-repeat-reason.h"
#include "fq-sla.h"
#include "fq-sqlite.h"
#include "fq-ticket-machine.h"

#include "fq-category.h"
#include "fq-grid-node.h"
#include "fq-incident.h"
#include "fq-ticket.h"
#include "fq-timeline-event.h"
#include "fq-unit.h"
