/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Wall mode (F11): the window goes full screen with the "fq-wall" style
 * class (large type, see style.css) and shows the leaders' summary and the
 * live board in turn, so that a video wall needs no hands. Leaving full
 * screen by any means (F11 again, the window manager) ends wall mode.
 */

#define G_LOG_DOMAIN "fq-wall-mode"

#include "config.h"

#include <glib/gi18n.h>

#include "fq-wall-mode.h"

#define DEFAULT_INTERVAL 30

struct _FqWallMode
{
  GObject    parent_instance;

  FqWindow  *window;      /* borrowed: the window owns this object */
  gboolean   active;
  guint      interval;
  guint      timer_id;
  guint      page;        /* index into pages */
  gulong     fullscreen_handler;
};

G_DEFINE_FINAL_TYPE (FqWallMode, fq_wall_mode, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ACTIVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const pages[] = { "summary", "board" };

static void
show_page (FqWallMode *self)
{
  fq_window_show_view (self->window, pages[self->page]);
}

static gboolean
advance_cb (gpointer user_data)
{
  fq_wall_mode_advance (user_data);
  return G_SOURCE_CONTINUE;
}

static void
restart_timer (FqWallMode *self)
{
  g_clear_handle_id (&self->timer_id, g_source_remove);
  if (self->active)
    self->timer_id = g_timeout_add_seconds (self->interval, advance_cb, self);
}

static void
fullscreened_cb (FqWallMode *self,
                 GParamSpec *pspec,
                 GtkWindow  *window)
{
  /* Full screen left some other way: the wall mode ends with it. */
  if (self->active && !gtk_window_is_fullscreen (window))
    fq_wall_mode_set_active (self, FALSE);
}

static void
fq_wall_mode_dispose (GObject *object)
{
  FqWallMode *self = (FqWallMode *)object;

  g_clear_handle_id (&self->timer_id, g_source_remove);

  G_OBJECT_CLASS (fq_wall_mode_parent_class)->dispose (object);
}

static void
fq_wall_mode_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  FqWallMode *self = FQ_WALL_MODE (object);

  switch (prop_id)
    {
    case PROP_ACTIVE:
      g_value_set_boolean (value, self->active);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_wall_mode_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  FqWallMode *self = FQ_WALL_MODE (object);

  switch (prop_id)
    {
    case PROP_ACTIVE:
      fq_wall_mode_set_active (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_wall_mode_class_init (FqWallModeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fq_wall_mode_dispose;
  object_class->get_property = fq_wall_mode_get_property;
  object_class->set_property = fq_wall_mode_set_property;

  properties[PROP_ACTIVE] =
    g_param_spec_boolean ("active", NULL, NULL, FALSE,
                          (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fq_wall_mode_init (FqWallMode *self)
{
  self->interval = DEFAULT_INTERVAL;
}

FqWallMode *
fq_wall_mode_get_for_window (FqWindow *window)
{
  FqWallMode *self;

  g_return_val_if_fail (FQ_IS_WINDOW (window), NULL);

  self = g_object_get_data (G_OBJECT (window), "fq-wall-mode");
  if (self != NULL)
    return self;

  self = g_object_new (FQ_TYPE_WALL_MODE, NULL);
  self->window = window;
  self->fullscreen_handler = g_signal_connect_object (window, "notify::fullscreened",
                                                      G_CALLBACK (fullscreened_cb), self,
                                                      G_CONNECT_SWAPPED);
  g_object_set_data_full (G_OBJECT (window), "fq-wall-mode", self, g_object_unref);
  return self;
}

void
fq_wall_mode_set_active (FqWallMode *self,
                         gboolean    active)
{
  g_return_if_fail (FQ_IS_WALL_MODE (self));

  active = !!active;
  if (self->active == active)
    return;
  self->active = active;

  if (active)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->window), "fq-wall");
      gtk_window_fullscreen (GTK_WINDOW (self->window));
      self->page = 0;
      show_page (self);
      fq_window_toast (self->window, _("Wall mode: the summary and the board take turns. F11 leaves it."));
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->window), "fq-wall");
      if (gtk_window_is_fullscreen (GTK_WINDOW (self->window)))
        gtk_window_unfullscreen (GTK_WINDOW (self->window));
    }
  restart_timer (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVE]);
}

gboolean
fq_wall_mode_get_active (FqWallMode *self)
{
  g_return_val_if_fail (FQ_IS_WALL_MODE (self), FALSE);

  return self->active;
}

void
fq_wall_mode_toggle (FqWallMode *self)
{
  g_return_if_fail (FQ_IS_WALL_MODE (self));

  fq_wall_mode_set_active (self, !self->active);
}

void
fq_wall_mode_set_interval (FqWallMode *self,
                           guint       seconds)
{
  g_return_if_fail (FQ_IS_WALL_MODE (self));
  g_return_if_fail (seconds > 0);

  self->interval = seconds;
  restart_timer (self);
}

const char *
fq_wall_mode_get_page (FqWallMode *self)
{
  g_return_val_if_fail (FQ_IS_WALL_MODE (self), NULL);

  return pages[self->page];
}

void
fq_wall_mode_advance (FqWallMode *self)
{
  g_return_if_fail (FQ_IS_WALL_MODE (self));

  self->page = (self->page + 1) % G_N_ELEMENTS (pages);
  show_page (self);
}
