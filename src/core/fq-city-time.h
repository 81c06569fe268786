/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The city's clock. The console shows every time in China Standard Time
 * (北京时间, UTC+8): the zone the command centre works in and the server
 * counts its days and months in, whatever zone a workstation is set to.
 * China keeps one zone and no summer time, so no time-zone database is
 * needed.
 */

/* (transfer none) */
GTimeZone *fq_city_zone      (void);
/* Now, a moment, or a wall-clock time, in the city's zone. (transfer full) */
GDateTime *fq_city_now       (void);
GDateTime *fq_city_time      (gint64 unix_seconds);
GDateTime *fq_city_date_time (int    year,
                              int    month,
                              int    day,
                              int    hour,
                              int    minute,
                              double seconds);

G_END_DECLS
