/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "fq-city-time.h"

#define CITY_UTC_OFFSET (8 * 3600)

GTimeZone *
fq_city_zone (void)
{
  static GTimeZone *zone;

  if (g_once_init_enter (&zone))
    g_once_init_leave (&zone, g_time_zone_new_offset (CITY_UTC_OFFSET));
  return zone;
}

GDateTime *
fq_city_now (void)
{
  return g_date_time_new_now (fq_city_zone ());
}

GDateTime *
fq_city_time (gint64 unix_seconds)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (unix_seconds);

  return utc != NULL ? g_date_time_to_timezone (utc, fq_city_zone ()) : NULL;
}

GDateTime *
fq_city_date_time (int    year,
                   int    month,
                   int    day,
                   int    hour,
                   int    minute,
                   double seconds)
{
  return g_date_time_new (fq_city_zone (), year, month, day, hour, minute, seconds);
}
