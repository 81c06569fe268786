/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The leaders' trend chart: bars per day, week or month with a value axis,
 * date labels, the value of the bar under the pointer (or chosen with the
 * keyboard) and a spoken description. fq_trend_chart_draw() is the only
 * drawing: the widget's snapshot and the PDF report both use it, so that
 * the printed chart is the one on the screen.
 */

#define G_LOG_DOMAIN "fq-trend-chart"

#include "config.h"

#include <math.h>

#include <glib/gi18n.h>
#include <pango/pangocairo.h>

#include "fq-trend-chart.h"

/* ---- FqTrendData ---- */

struct _FqTrendData
{
  gatomicrefcount   ref_count;
  char             *title;
  guint             n;
  char            **axis_labels;
  char            **long_labels;
  double           *values;
  gboolean         *partial;
};

G_DEFINE_BOXED_TYPE (FqTrendData, fq_trend_data, fq_trend_data_ref, fq_trend_data_unref)

FqTrendData *
fq_trend_data_new (const char         *title,
                   guint               n,
                   const char * const *axis_labels,
                   const char * const *long_labels,
                   const double       *values,
                   const gboolean     *partial)
{
  FqTrendData *data = g_new0 (FqTrendData, 1);

  g_atomic_ref_count_init (&data->ref_count);
  data->title = g_strdup (title != NULL ? title : "");
  data->n = n;
  data->axis_labels = g_new0 (char *, n + 1);
  data->long_labels = g_new0 (char *, n + 1);
  data->values = g_new0 (double, MAX (n, 1));
  data->partial = g_new0 (gboolean, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      data->axis_labels[i] = g_strdup (axis_labels != NULL && axis_labels[i] != NULL
                                       ? axis_labels[i] : "");
      data->long_labels[i] = g_strdup (long_labels != NULL && long_labels[i] != NULL
                                       ? long_labels[i] : data->axis_labels[i]);
      data->values[i] = values != NULL ? values[i] : 0;
      data->partial[i] = partial != NULL && partial[i];
    }
  return data;
}

FqTrendData *
fq_trend_data_ref (FqTrendData *data)
{
  g_return_val_if_fail (data != NULL, NULL);

  g_atomic_ref_count_inc (&data->ref_count);
  return data;
}

void
fq_trend_data_unref (FqTrendData *data)
{
  g_return_if_fail (data != NULL);

  if (!g_atomic_ref_count_dec (&data->ref_count))
    return;
  g_free (data->title);
  g_strfreev (data->axis_labels);
  g_strfreev (data->long_labels);
  g_free (data->values);
  g_free (data->partial);
  g_free (data);
}

guint
fq_trend_data_get_n (FqTrendData *data)
{
  g_return_val_if_fail (data != NULL, 0);

  return data->n;
}

double
fq_trend_data_get_value (FqTrendData *data,
                         guint        index)
{
  g_return_val_if_fail (data != NULL, 0);
  g_return_val_if_fail (index < data->n, 0);

  return data->values[index];
}

const char *
fq_trend_data_get_title (FqTrendData *data)
{
  g_return_val_if_fail (data != NULL, NULL);

  return data->title;
}

static char *
format_value (double value)
{
  /* Counts, grouped as the locale groups thousands ("1,234"). */
  return g_strdup_printf ("%'" G_GINT64_FORMAT, (gint64)llround (value));
}

char *
fq_trend_data_describe (FqTrendData *data)
{
  guint max_i = 0, min_i = 0;
  double total = 0;
  g_autofree char *total_text = NULL;
  g_autofree char *max_text = NULL;
  g_autofree char *min_text = NULL;

  g_return_val_if_fail (data != NULL, NULL);

  if (data->n == 0)
    /* Translators: %s is what the chart counts, e.g. "Incidents per week". */
    return g_strdup_printf (_("%s: nothing in this period."), data->title);

  for (guint i = 0; i < data->n; i++)
    {
      total += data->values[i];
      if (data->values[i] > data->values[max_i])
        max_i = i;
      if (data->values[i] < data->values[min_i])
        min_i = i;
    }
  total_text = format_value (total);
  max_text = format_value (data->values[max_i]);
  min_text = format_value (data->values[min_i]);

  /* Translators: a chart read aloud: "Incidents per week, 2 Nov 2026 to 30
   * Nov 2026: 1,234 in all; most 320 (week of 16 Nov 2026), least 120
   * (week of 2 Nov 2026)." */
  return g_strdup_printf (_("%s, %s to %s: %s in all; most %s (%s), least %s (%s)."),
                          data->title, data->long_labels[0], data->long_labels[data->n - 1],
                          total_text, max_text, data->long_labels[max_i],
                          min_text, data->long_labels[min_i]);
}

/* ---- drawing ---- */

void
fq_trend_style_print (FqTrendStyle *style)
{
  g_return_if_fail (style != NULL);

  /* Calm on paper: dark grey text, Adwaita's blue 3 and blue 5. */
  gdk_rgba_parse (&style->foreground, "#303030");
  gdk_rgba_parse (&style->bar, "#62a0ea");
  gdk_rgba_parse (&style->bar_highlight, "#1a5fb4");
  style->font_size = 9;
}

/* A round step for about @n_ticks ticks up to @max: 1, 2 or 5 × 10^k. */
static double
nice_step (double max,
           int    n_ticks)
{
  double raw = max / n_ticks;
  double magnitude, fraction;

  if (raw <= 1)
    return 1;
  magnitude = pow (10, floor (log10 (raw)));
  fraction = raw / magnitude;
  if (fraction <= 1)
    return magnitude;
  if (fraction <= 2)
    return 2 * magnitude;
  if (fraction <= 5)
    return 5 * magnitude;
  return 10 * magnitude;
}

static void
set_color (cairo_t       *cr,
           const GdkRGBA *color,
           double         alpha)
{
  cairo_set_source_rgba (cr, color->red, color->green, color->blue, color->alpha * alpha);
}

static PangoLayout *
make_layout (cairo_t            *cr,
             const FqTrendStyle *style,
             const char         *text,
             double              scale)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoFontDescription *font = pango_font_description_from_string ("Sans");

  pango_font_description_set_absolute_size (font, style->font_size * scale * PANGO_SCALE);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);
  pango_layout_set_text (layout, text, -1);
  return layout;
}

/* The bar geometry, shared by drawing and hit testing. */
typedef struct
{
  double left, top, right, bottom;   /* the plot area */
  double slot;                       /* width per bucket */
} Plot;

static void
compute_plot (cairo_t            *cr,
              const FqTrendStyle *style,
              double              width,
              double              height,
              FqTrendData        *data,
              double              y_max,
              Plot               *plot)
{
  g_autofree char *widest = format_value (y_max);
  g_autoptr(PangoLayout) layout = make_layout (cr, style, widest, 0.85);
  int text_w, text_h;

  pango_layout_get_pixel_size (layout, &text_w, &text_h);
  plot->left = text_w + 10;
  plot->top = text_h * 1.6 + 4;      /* room for the highlighted value */
  plot->right = width - 8;
  plot->bottom = height - text_h - 10;
  if (plot->right < plot->left + 10)
    plot->right = plot->left + 10;
  if (plot->bottom < plot->top + 10)
    plot->bottom = plot->top + 10;
  plot->slot = data->n > 0 ? (plot->right - plot->left) / data->n : 0;
}

static void
axis_scale (FqTrendData *data,
            double      *y_max,
            double      *step)
{
  double max = 0;

  for (guint i = 0; i < data->n; i++)
    max = MAX (max, data->values[i]);
  *step = nice_step (MAX (max, 1), 4);
  *y_max = ceil (MAX (max, 1) / *step) * *step;
}

void
fq_trend_chart_draw (cairo_t            *cr,
                     double              width,
                     double              height,
                     FqTrendData        *data,
                     const FqTrendStyle *style,
                     int                 highlight)
{
  double y_max, step, last_label_end = -G_MAXDOUBLE;
  Plot plot;

  g_return_if_fail (cr != NULL);
  g_return_if_fail (data != NULL);
  g_return_if_fail (style != NULL);

  cairo_save (cr);
  axis_scale (data, &y_max, &step);
  compute_plot (cr, style, width, height, data, y_max, &plot);

  /* Value axis: light lines at each step, labels on the left. */
  cairo_set_line_width (cr, 1);
  for (double v = 0; v <= y_max + step / 2; v += step)
    {
      double y = plot.bottom - (plot.bottom - plot.top) * v / y_max;
      g_autofree char *text = format_value (v);
      g_autoptr(PangoLayout) layout = make_layout (cr, style, text, 0.85);
      int tw, th;

      set_color (cr, &style->foreground, v == 0 ? 0.5 : 0.12);
      cairo_move_to (cr, plot.left, floor (y) + 0.5);
      cairo_line_to (cr, plot.right, floor (y) + 0.5);
      cairo_stroke (cr);

      pango_layout_get_pixel_size (layout, &tw, &th);
      set_color (cr, &style->foreground, 0.7);
      cairo_move_to (cr, plot.left - 6 - tw, y - th / 2.0);
      pango_cairo_show_layout (cr, layout);
    }

  /* Bars, and a date label under each one that has room for it. */
  for (guint i = 0; i < data->n; i++)
    {
      /* A bar of a few days' period is no wider than a bar of a month's
       * would be at a glance: a single day is a bar, not a wall. */
      double bar_w = MIN (MAX (plot.slot - MIN (plot.slot * 0.25, 8), 1), 48);
      double x = round (plot.left + i * plot.slot + (plot.slot - bar_w) / 2);
      double h = (plot.bottom - plot.top) * data->values[i] / y_max;
      g_autoptr(PangoLayout) label = make_layout (cr, style, data->axis_labels[i], 0.85);
      int lw, lh;
      double lx;

      set_color (cr, (int)i == highlight ? &style->bar_highlight : &style->bar,
                 data->partial[i] ? 0.45 : 1);
      cairo_rectangle (cr, x, plot.bottom - h, bar_w, h);
      cairo_fill (cr);

      pango_layout_get_pixel_size (label, &lw, &lh);
      lx = plot.left + (i + 0.5) * plot.slot - lw / 2.0;
      if (lx >= last_label_end + 8 && lx + lw <= width)
        {
          set_color (cr, &style->foreground, 0.7);
          cairo_move_to (cr, lx, plot.bottom + 5);
          pango_cairo_show_layout (cr, label);
          last_label_end = lx + lw;
        }
    }

  /* The value of the highlighted bar, above it. */
  if (highlight >= 0 && (guint)highlight < data->n)
    {
      g_autofree char *value = format_value (data->values[highlight]);
      g_autofree char *text = g_strdup_printf ("%s: %s", data->long_labels[highlight], value);
      g_autoptr(PangoLayout) layout = make_layout (cr, style, text, 1.0);
      double cx = plot.left + (highlight + 0.5) * plot.slot;
      int tw, th;
      double tx;

      pango_layout_get_pixel_size (layout, &tw, &th);
      tx = CLAMP (cx - tw / 2.0, 0, MAX (width - tw, 0));
      set_color (cr, &style->bar_highlight, 1);
      cairo_move_to (cr, tx, 0);
      pango_cairo_show_layout (cr, layout);
    }

  cairo_restore (cr);
}

void
fq_trend_chart_report_draw (cairo_t  *cr,
                            double    width,
                            double    height,
                            gpointer  user_data)
{
  FqTrendStyle style;

  fq_trend_style_print (&style);
  fq_trend_chart_draw (cr, width, height, user_data, &style, -1);
}

/* ---- FqTrendChart ---- */

struct _FqTrendChart
{
  GtkWidget    parent_instance;

  FqTrendData *data;
  int          hover;      /* the bar under the pointer, -1 */
  int          selected;   /* the bar chosen with the keyboard, -1 */
};

G_DEFINE_FINAL_TYPE (FqTrendChart, fq_trend_chart, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_DATA,
  N_PROPS
};

enum {
  BAR_ACTIVATED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
get_style (FqTrendChart *self,
           FqTrendStyle *style)
{
  GtkWidget *widget = GTK_WIDGET (self);
  const PangoFontDescription *font;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &style->foreground);
  if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), "accent_bg_color",
                                       &style->bar_highlight))
    gdk_rgba_parse (&style->bar_highlight, "#1a5fb4");
  G_GNUC_END_IGNORE_DEPRECATIONS

  style->bar = style->bar_highlight;
  style->bar.alpha *= 0.55;

  /* The widget's own font size, so that the wall's large type reaches the
   * chart too. */
  font = pango_context_get_font_description (gtk_widget_get_pango_context (widget));
  style->font_size = 13;
  if (font != NULL && pango_font_description_get_size (font) > 0)
    style->font_size = pango_font_description_get_size (font) / (double)PANGO_SCALE
                       * (pango_font_description_get_size_is_absolute (font) ? 1 : 96.0 / 72.0);
}

/* Which bar @x falls on, or -1; the same geometry as the drawing. */
static int
bar_at (FqTrendChart *self,
        double        x)
{
  cairo_surface_t *surface;
  cairo_t *cr;
  FqTrendStyle style;
  double y_max, step;
  Plot plot;
  int index = -1;

  if (self->data == NULL || self->data->n == 0)
    return -1;

  /* A scratch context: text sizes depend on the font, as in the drawing. */
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cr = cairo_create (surface);
  get_style (self, &style);
  axis_scale (self->data, &y_max, &step);
  compute_plot (cr, &style, gtk_widget_get_width (GTK_WIDGET (self)),
                gtk_widget_get_height (GTK_WIDGET (self)), self->data, y_max, &plot);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);

  if (x >= plot.left && x < plot.right && plot.slot > 0)
    index = (int)((x - plot.left) / plot.slot);
  return index >= 0 && (guint)index < self->data->n ? index : -1;
}

static void
update_accessible (FqTrendChart *self)
{
  g_autofree char *description = NULL;

  if (self->data == NULL)
    {
      gtk_accessible_reset_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
      return;
    }

  description = fq_trend_data_describe (self->data);
  if (self->selected >= 0 && (guint)self->selected < self->data->n)
    {
      g_autofree char *value = format_value (self->data->values[self->selected]);
      char *with_bar;

      /* Translators: the chart's description, then the bar chosen with the
       * keyboard: "… Chosen: week of 16 Nov 2026, 320. Enter shows the records." */
      with_bar = g_strdup_printf (_("%s Chosen: %s, %s. Enter shows the records."),
                                  description, self->data->long_labels[self->selected], value);
      g_free (description);
      description = with_bar;
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, self->data->title,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                  -1);
}

static void
motion_cb (FqTrendChart             *self,
           double                    x,
           double                    y,
           GtkEventControllerMotion *controller)
{
  int hover = bar_at (self, x);

  if (hover != self->hover)
    {
      self->hover = hover;
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

static void
leave_cb (FqTrendChart             *self,
          GtkEventControllerMotion *controller)
{
  if (self->hover != -1)
    {
      self->hover = -1;
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

static void
pressed_cb (FqTrendChart *self,
            int           n_press,
            double        x,
            double        y,
            GtkGesture   *gesture)
{
  int index = bar_at (self, x);

  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (index < 0)
    return;
  fq_trend_chart_set_selected (self, index);
  g_signal_emit (self, signals[BAR_ACTIVATED], 0, (guint)index);
}

static gboolean
key_pressed_cb (FqTrendChart          *self,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GtkEventControllerKey *controller)
{
  int n = self->data != NULL ? (int)self->data->n : 0;
  int selected = self->selected;

  if (n == 0)
    return FALSE;

  switch (keyval)
    {
    case GDK_KEY_Left:
    case GDK_KEY_KP_Left:
      selected = selected < 0 ? n - 1 : MAX (selected - 1, 0);
      break;

    case GDK_KEY_Right:
    case GDK_KEY_KP_Right:
      selected = selected < 0 ? 0 : MIN (selected + 1, n - 1);
      break;

    case GDK_KEY_Home:
      selected = 0;
      break;

    case GDK_KEY_End:
      selected = n - 1;
      break;

    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_space:
      if (selected < 0)
        return FALSE;
      g_signal_emit (self, signals[BAR_ACTIVATED], 0, (guint)selected);
      return TRUE;

    default:
      return FALSE;
    }

  fq_trend_chart_set_selected (self, selected);
  return TRUE;
}

static gboolean
query_tooltip_cb (FqTrendChart *self,
                  int           x,
                  int           y,
                  gboolean      keyboard,
                  GtkTooltip   *tooltip)
{
  int index = keyboard ? self->selected : bar_at (self, x);
  g_autofree char *value = NULL;
  g_autofree char *text = NULL;

  if (index < 0)
    return FALSE;
  value = format_value (self->data->values[index]);
  /* Translators: a bar's tooltip: "Week of 16 Nov 2026: 320 — click to
   * show these records". */
  text = g_strdup_printf (_("%s: %s — click to show these records"),
                          self->data->long_labels[index], value);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
fq_trend_chart_snapshot (GtkWidget   *widget,
                         GtkSnapshot *snapshot)
{
  FqTrendChart *self = (FqTrendChart *)widget;
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  FqTrendStyle style;
  cairo_t *cr;

  if (self->data == NULL || width <= 0 || height <= 0)
    return;

  get_style (self, &style);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  fq_trend_chart_draw (cr, width, height, self->data, &style,
                       self->hover >= 0 ? self->hover : self->selected);
  cairo_destroy (cr);
}

static void
fq_trend_chart_measure (GtkWidget      *widget,
                        GtkOrientation  orientation,
                        int             for_size,
                        int            *minimum,
                        int            *natural,
                        int            *minimum_baseline,
                        int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 240;
      *natural = 720;
    }
  else
    {
      *minimum = 180;
      *natural = 240;
    }
}

static void
fq_trend_chart_finalize (GObject *object)
{
  FqTrendChart *self = (FqTrendChart *)object;

  g_clear_pointer (&self->data, fq_trend_data_unref);

  G_OBJECT_CLASS (fq_trend_chart_parent_class)->finalize (object);
}

static void
fq_trend_chart_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  FqTrendChart *self = FQ_TREND_CHART (object);

  switch (prop_id)
    {
    case PROP_DATA:
      g_value_set_boxed (value, self->data);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_trend_chart_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  FqTrendChart *self = FQ_TREND_CHART (object);

  switch (prop_id)
    {
    case PROP_DATA:
      fq_trend_chart_set_data (self, g_value_get_boxed (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_trend_chart_class_init (FqTrendChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = fq_trend_chart_finalize;
  object_class->get_property = fq_trend_chart_get_property;
  object_class->set_property = fq_trend_chart_set_property;
  widget_class->snapshot = fq_trend_chart_snapshot;
  widget_class->measure = fq_trend_chart_measure;

  properties[PROP_DATA] =
    g_param_spec_boxed ("data", NULL, NULL, FQ_TYPE_TREND_DATA,
                        (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[BAR_ACTIVATED] =
    g_signal_new ("bar-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);

  gtk_widget_class_set_css_name (widget_class, "fq-trend-chart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
fq_trend_chart_init (FqTrendChart *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkEventController *key = gtk_event_controller_key_new ();
  GtkGesture *click = gtk_gesture_click_new ();

  self->hover = -1;
  self->selected = -1;

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "pointer");

  g_signal_connect_swapped (motion, "motion", G_CALLBACK (motion_cb), self);
  g_signal_connect_swapped (motion, "leave", G_CALLBACK (leave_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  g_signal_connect_swapped (key, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), key);
  g_signal_connect_swapped (click, "pressed", G_CALLBACK (pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  g_signal_connect_swapped (self, "query-tooltip", G_CALLBACK (query_tooltip_cb), self);
}

GtkWidget *
fq_trend_chart_new (void)
{
  return g_object_new (FQ_TYPE_TREND_CHART, NULL);
}

void
fq_trend_chart_set_data (FqTrendChart *self,
                         FqTrendData  *data)
{
  g_return_if_fail (FQ_IS_TREND_CHART (self));

  if (self->data == data)
    return;
  g_clear_pointer (&self->data, fq_trend_data_unref);
  self->data = data != NULL ? fq_trend_data_ref (data) : NULL;
  self->hover = -1;
  self->selected = -1;
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATA]);
}

FqTrendData *
fq_trend_chart_get_data (FqTrendChart *self)
{
  g_return_val_if_fail (FQ_IS_TREND_CHART (self), NULL);

  return self->data;
}

int
fq_trend_chart_get_selected (FqTrendChart *self)
{
  g_return_val_if_fail (FQ_IS_TREND_CHART (self), -1);

  return self->selected;
}

void
fq_trend_chart_set_selected (FqTrendChart *self,
                             int           index)
{
  g_return_if_fail (FQ_IS_TREND_CHART (self));

  if (self->data == NULL || index < 0 || (guint)index >= self->data->n)
    index = -1;
  if (index == self->selected)
    return;
  self->selected = index;
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
