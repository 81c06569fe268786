/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "fq-window.h"

G_BEGIN_DECLS

/*
 * FqWallMode: the console on the command centre's video wall (F11): the
 * window full screen, in large type, moving on its own between the leaders'
 * summary and the live board. One per window, made on first use.
 */

#define FQ_TYPE_WALL_MODE (fq_wall_mode_get_type ())

G_DECLARE_FINAL_TYPE (FqWallMode, fq_wall_mode, FQ, WALL_MODE, GObject)

/* (transfer none): the wall mode of @window, which owns it. */
FqWallMode *fq_wall_mode_get_for_window (FqWindow   *window);
/* Property "active". */
void        fq_wall_mode_set_active     (FqWallMode *self,
                                         gboolean    active);
gboolean    fq_wall_mode_get_active     (FqWallMode *self);
void        fq_wall_mode_toggle         (FqWallMode *self);
/* Seconds each page stays (default 30). */
void        fq_wall_mode_set_interval   (FqWallMode *self,
                                         guint       seconds);
/* The page shown now: "summary" or "board". */
const char *fq_wall_mode_get_page       (FqWallMode *self);
/* Moves on to the next page now (what the timer does). */
void        fq_wall_mode_advance        (FqWallMode *self);

G_END_DECLS
