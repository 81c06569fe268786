/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The leaders' summary (DOMAIN.md "Metrics"): figures for a period and a
 * node of the grid, each with its change on the previous period (环比) and
 * on the same period last year (同比); a trend; the breakdown by category
 * group and category; the places one level down the tree; the unit
 * assessment. Every number is the server's (/metrics/…), asked through
 * FqClient, which parses on its worker thread; the view only lays them out.
 *
 * "Explain this number": a tile, a bar, a category or a unit asks
 * /metrics/records for the records that figure counted (the same
 * definition on the server, so the count agrees) and shows exactly those
 * on the board.
 *
 * Periods are counted in China Standard Time days, the city's working day,
 * as the server's trend buckets are: "this month" is from the 1st to now,
 * and the server compares it with the same days and hours of last month
 * (fq-metrics.c chooses every comparison period).
 */

#define G_LOG_DOMAIN "fq-summary-view"

#include "config.h"

#include <math.h>
#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "fq-category.h"
#include "fq-city-time.h"
#include "fq-incident-board.h"
#include "fq-json.h"
#include "fq-summary-table.h"
#include "fq-summary-view.h"
#include "fq-trend-chart.h"
#include "fq-window.h"

#define MAX_PLACES       80
#define AUTO_REFRESH_SEC (5 * 60)

typedef enum
{
  GOOD_UP,     /* more is better */
  GOOD_DOWN,   /* fewer is better */
  NEUTRAL,
} Direction;

/* The tiles, in reading order. A figure that ripens goes on changing after
 * its period ends, as the period's tickets are worked: they are counted by
 * their state now (DOMAIN.md "Metrics"), so a period whose tickets are
 * still within their deadlines has fewer closed, fewer returned, and only
 * the quick ones resolved. */
static const struct
{
  const char          *metric;
  const char          *title;
  FqSummaryColumnKind  kind;
  Direction            good;
  gboolean             ripens;
} tile_info[] = {
  { "incidents_total", N_("Incidents"), FQ_SUMMARY_COLUMN_COUNT, GOOD_DOWN, FALSE },
  { "non_police_disputes", N_("Non-police disputes"), FQ_SUMMARY_COLUMN_COUNT, GOOD_DOWN, FALSE },
  { "diversion_share", N_("Mediated or diverted"), FQ_SUMMARY_COLUMN_RATIO, GOOD_UP, FALSE },
  { "tickets_created", N_("Tickets dispatched"), FQ_SUMMARY_COLUMN_COUNT, NEUTRAL, FALSE },
  { "completion_rate", N_("Completion rate"), FQ_SUMMARY_COLUMN_RATIO, GOOD_UP, TRUE },
  { "on_time_rate", N_("Resolved on time"), FQ_SUMMARY_COLUMN_RATIO, GOOD_UP, TRUE },
  { "repeat_calls", N_("Repeat calls"), FQ_SUMMARY_COLUMN_COUNT, GOOD_DOWN, FALSE },
  { "backflow_tickets", N_("Backflow tickets"), FQ_SUMMARY_COLUMN_COUNT, GOOD_DOWN, TRUE },
  { "proactive_reports", N_("Found by grid workers"), FQ_SUMMARY_COLUMN_COUNT, GOOD_UP, FALSE },
  { "median_hours_to_resolve", N_("Median hours to resolve"), FQ_SUMMARY_COLUMN_DECIMAL, GOOD_DOWN, TRUE },
};

#define N_TILES G_N_ELEMENTS (tile_info)

/* The trend's series, as in series_model of the template. */
static const char * const series_members[] = {
  "incidents", "non_police_disputes", "diverted", "closed", "repeat_calls",
};

struct _FqSummaryView
{
  GtkWidget       parent_instance;

  /* Template widgets */
  GtkBox         *scope_box;
  GtkSpinner     *busy_spinner;
  GtkDropDown    *period_dropdown;
  GtkMenuButton  *dates_button;
  GtkPopover     *dates_popover;
  GtkCalendar    *from_calendar;
  GtkCalendar    *to_calendar;
  GtkStack       *state_stack;
  GtkSpinner     *loading_spinner;
  AdwStatusPage  *error_page;
  GtkLabel       *period_label;
  GtkFlowBox     *tiles_box;
  GtkDropDown    *series_dropdown;
  FqTrendChart   *trend_chart;
  GtkLabel       *trend_heading;
  GtkButton      *categories_back;
  GtkLabel       *categories_heading;
  GtkButton      *categories_records;
  GtkBox         *categories_slot;
  GtkLabel       *places_heading;
  GtkLabel       *places_hint;
  GtkBox         *places_slot;
  GtkLabel       *units_hint;
  GtkBox         *units_slot;

  /* Owned */
  FqContext      *context;
  GCancellable   *cancellable;     /* the current count; replaced by the next */
  GCancellable   *explain_cancellable;
  FqSummaryTable *categories_table;
  FqSummaryTable *places_table;
  FqSummaryTable *units_table;
  GtkWidget      *tiles[N_TILES];
  char           *scope;           /* a division code */
  FqSummaryPeriod period;
  gint64          custom_from;
  gint64          custom_to;
  gint64          from;            /* the period counted last */
  gint64          to;
  char           *bucket;          /* "day", "week" or "month" */
  JsonObject     *summary;         /* the last answers */
  JsonObject     *trend;
  JsonObject     *categories;
  JsonArray      *places;          /* rows being collected */
  guint           places_waiting;  /* answers still to come for them */
  char           *group;           /* the category group opened, or NULL */
  guint           generation;
  guint           n_pending;
  gint64          loaded_at;       /* monotonic µs; 0: never */
  guint           refresh_id;
  gboolean        setting_period;
};

G_DEFINE_FINAL_TYPE (FqSummaryView, fq_summary_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_LOADING,
  N_PROPS
};

enum {
  SHOW_RECORDS,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void load (FqSummaryView *self);

/* ---- time ---- */

static gint64
city_midnight (int year,
               int month,
               int day)
{
  g_autoptr(GDateTime) dt = NULL;

  /* Months past December roll into the next year. */
  while (month > 12)
    {
      month -= 12;
      year++;
    }
  while (month < 1)
    {
      month += 12;
      year--;
    }
  dt = fq_city_date_time (year, month, day, 0, 0, 0);
  return g_date_time_to_unix (dt);
}

static void
period_bounds (FqSummaryView *self,
               gint64        *from,
               gint64        *to)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(GDateTime) today = fq_city_time (now);
  int year = g_date_time_get_year (today);
  int month = g_date_time_get_month (today);

  /* "Now" to the next minute, so that a call of this moment is in. */
  now = (now / 60 + 1) * 60;

  switch (self->period)
    {
    case FQ_SUMMARY_PERIOD_LAST_MONTH:
      *from = city_midnight (year, month - 1, 1);
      *to = city_midnight (year, month, 1);
      break;

    case FQ_SUMMARY_PERIOD_THIS_QUARTER:
      *from = city_midnight (year, (month - 1) / 3 * 3 + 1, 1);
      *to = now;
      break;

    case FQ_SUMMARY_PERIOD_THIS_YEAR:
      *from = city_midnight (year, 1, 1);
      *to = now;
      break;

    case FQ_SUMMARY_PERIOD_CUSTOM:
      *from = self->custom_from;
      *to = self->custom_to;
      break;

    case FQ_SUMMARY_PERIOD_THIS_MONTH:
    default:
      *from = city_midnight (year, month, 1);
      *to = now;
      break;
    }
}

static char *
iso_utc (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);

  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
}

static gint64
parse_time (const char *text)
{
  g_autoptr(GDateTime) dt = text != NULL ? g_date_time_new_from_iso8601 (text, NULL) : NULL;

  return dt != NULL ? g_date_time_to_unix (dt) : 0;
}

/* "1 Nov 2026" / "2026年11月1日" */
static char *
format_date (gint64 t)
{
  g_autoptr(GDateTime) dt = fq_city_time (t);

  /* Translators: a date in the summary, strftime format ("2026年11月1日"
   * is "%Y年%-m月%-d日"). */
  return g_date_time_format (dt, C_("summary date", "%-d %b %Y"));
}

/* [from, to) as the days it covers: "1 Nov 2026 – 29 Nov 2026". */
static char *
format_span (gint64 from,
             gint64 to)
{
  g_autofree char *a = format_date (from);
  g_autofree char *b = format_date (MAX (from, to - 1));

  if (g_strcmp0 (a, b) == 0)
    return g_steal_pointer (&a);
  /* Translators: a span of days, "1 Nov 2026 – 29 Nov 2026". */
  return g_strdup_printf (C_("summary span", "%s – %s"), a, b);
}

static const char *
choose_bucket (gint64 from,
               gint64 to)
{
  gint64 days = (to - from + 86399) / 86400;

  if (days <= 62)
    return "day";
  if (days <= 2 * 366)
    return "week";
  return "month";
}

/* ---- the server ---- */

typedef void (*AnswerFunc) (FqSummaryView *self,
                            JsonNode      *root,
                            const GError  *error,
                            gpointer       data);

typedef struct
{
  FqSummaryView  *self;
  guint           generation;
  AnswerFunc      func;
  gpointer        data;
  GDestroyNotify  notify;
} Call;

static void
call_free (Call *call)
{
  if (call->notify != NULL)
    call->notify (call->data);
  g_object_unref (call->self);
  g_free (call);
}

static void
set_busy (FqSummaryView *self,
          gboolean       busy)
{
  gtk_widget_set_visible (GTK_WIDGET (self->busy_spinner), busy && self->summary != NULL);
  gtk_spinner_set_spinning (self->busy_spinner, busy);
  gtk_spinner_set_spinning (self->loading_spinner, busy);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
call_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  Call *call = user_data;
  FqSummaryView *self = call->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = fq_client_call_finish (FQ_CLIENT (object), result, &error);

  /* An answer of an older count (or of a view going away) is dropped. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      call->generation != self->generation)
    {
      call_free (call);
      return;
    }

  call->func (self, root, error, call->data);
  g_assert (self->n_pending > 0);
  if (--self->n_pending == 0)
    {
      self->loaded_at = g_get_monotonic_time ();
      set_busy (self, FALSE);
    }
  call_free (call);
}

static void
call (FqSummaryView  *self,
      const char     *what,
      const char     *extra,
      const char     *grid,
      AnswerFunc      func,
      gpointer        data,
      GDestroyNotify  notify)
{
  g_autofree char *from = iso_utc (self->from);
  g_autofree char *to = iso_utc (self->to);
  g_autofree char *path = g_strdup_printf ("/metrics/%s?from=%s&to=%s&grid=%s%s", what, from, to,
                                           grid, extra != NULL ? extra : "");
  Call *c = g_new0 (Call, 1);

  c->self = g_object_ref (self);
  c->generation = self->generation;
  c->func = func;
  c->data = data;
  c->notify = notify;
  self->n_pending++;
  fq_client_call_async (fq_context_get_client (self->context), "GET", path, NULL, NULL,
                        self->cancellable, call_done_cb, c);
}

/* ---- tiles ---- */

static JsonObject *
summary_part (FqSummaryView *self,
              const char    *part)
{
  if (self->summary == NULL || !json_object_has_member (self->summary, part))
    return NULL;
  return json_object_get_object_member (self->summary, part);
}

static JsonObject *
change_part (FqSummaryView *self,
             const char    *base)
{
  JsonObject *change = summary_part (self, "change");

  if (change == NULL || !json_object_has_member (change, base))
    return NULL;
  return json_object_get_object_member (change, base);
}

static gboolean
get_double (JsonObject *object,
            const char *member,
            double     *out)
{
  JsonNode *node = object != NULL ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  *out = json_node_get_double (node);
  return TRUE;
}

/* "good", "bad" or "neutral" for a change of @value on figure @index. */
static const char *
judge (guint   index,
       double  value)
{
  if (tile_info[index].good == NEUTRAL || fabs (value) < 0.0005)
    return "fq-neutral";
  if ((value < 0) == (tile_info[index].good == GOOD_DOWN))
    return "fq-good";
  return "fq-bad";
}

/* @unripe: the figure ripens and the period's tickets are still being
 * worked (period_still_worked()): the change is shown, but neither good nor
 * bad, since the periods it compares are not at the same stage. */
static void
set_change_label (GtkLabel   *label,
                  guint       index,
                  const char *prefix,
                  JsonObject *changes,
                  gboolean    unripe,
                  GString    *spoken)
{
  double value = 0;

  gtk_widget_remove_css_class (GTK_WIDGET (label), "fq-good");
  gtk_widget_remove_css_class (GTK_WIDGET (label), "fq-bad");
  gtk_widget_remove_css_class (GTK_WIDGET (label), "fq-neutral");
  gtk_widget_set_tooltip_text (GTK_WIDGET (label), NULL);

  if (!get_double (changes, tile_info[index].metric, &value))
    {
      g_autofree char *text = g_strdup_printf ("%s —", prefix);

      gtk_label_set_label (label, text);
      gtk_widget_add_css_class (GTK_WIDGET (label), "fq-neutral");
      /* Translators: said by a screen reader: "Previous period: no comparison." */
      g_string_append_printf (spoken, _(" %s: no comparison."), prefix);
      return;
    }

  {
    const char *css = unripe ? "fq-neutral" : judge (index, value);
    /* The arrow gives the direction; the number, the size. */
    g_autofree char *change = g_strdup_printf ("%.1f%%", fabs (value) * 100);
    g_autofree char *text = g_strdup_printf ("%s %s %s", prefix,
                                             value > 0.0005 ? "↑" : value < -0.0005 ? "↓" : "→",
                                             change);
    const char *verdict = unripe ? _("not yet comparable: this period's tickets are still being worked")
                        : g_str_equal (css, "fq-good") ? _("better")
                        : g_str_equal (css, "fq-bad") ? _("worse") : _("no judgement");

    gtk_label_set_label (label, text);
    gtk_widget_add_css_class (GTK_WIDGET (label), css);
    if (unripe)
      gtk_widget_set_tooltip_text (GTK_WIDGET (label),
                                   _("Not yet comparable: this period's tickets may still be within their "
                                     "deadlines, so this figure will still change, while the tickets of the "
                                     "period compared have had longer."));
    /* Translators: said by a screen reader: " Previous period: up 3.2%,
     * worse." */
    g_string_append_printf (spoken, _(" %s: %s %s, %s."), prefix,
                            value > 0.0005 ? _("up") : value < -0.0005 ? _("down") : _("unchanged"),
                            change, verdict);
  }
}

static char *
format_figure (JsonObject *values,
               guint       index)
{
  return fq_summary_format_member (values, tile_info[index].metric, tile_info[index].kind);
}

/* A ratio tile says what it is a ratio of. */
static char *
tile_detail (JsonObject *current,
             guint       index)
{
  const char *metric = tile_info[index].metric;
  double a = 0, b = 0, c = 0;

  if (g_str_equal (metric, "diversion_share") &&
      get_double (current, "mediated", &a) && get_double (current, "diverted", &b) &&
      get_double (current, "non_police_disputes", &c))
    {
      g_autofree char *n = fq_summary_format_count ((gint64)(a + b));
      g_autofree char *d = fq_summary_format_count ((gint64)c);

      /* Translators: under the diversion share: "486 of 2,989 disputes". */
      return g_strdup_printf (_("%s of %s disputes"), n, d);
    }
  if (g_str_equal (metric, "completion_rate") &&
      get_double (current, "tickets_closed", &a) && get_double (current, "tickets_created", &b))
    {
      g_autofree char *n = fq_summary_format_count ((gint64)a);
      g_autofree char *d = fq_summary_format_count ((gint64)b);

      /* Translators: under the completion rate: "3,587 of 3,675 closed". */
      return g_strdup_printf (_("%s of %s closed"), n, d);
    }
  if (g_str_equal (metric, "on_time_rate") &&
      get_double (current, "resolved_on_time", &a) && get_double (current, "tickets_resolved", &b))
    {
      g_autofree char *n = fq_summary_format_count ((gint64)a);
      g_autofree char *d = fq_summary_format_count ((gint64)b);

      /* Translators: under the on-time rate: "3,412 of 3,601 resolved on
       * time" (resolved: the unit's resolution, reviewed or not yet). */
      return g_strdup_printf (_("%s of %s resolved on time"), n, d);
    }
  if (g_str_equal (metric, "non_police_disputes") && get_double (current, "police_incidents", &a))
    {
      g_autofree char *n = fq_summary_format_count ((gint64)a);

      /* Translators: under the disputes: "4,432 police matters besides". */
      return g_strdup_printf (_("%s police matters besides"), n);
    }
  return g_strdup ("");
}

/* Whether tickets of the period may still be within their deadlines: it
 * ended less than the longest deadline of any category ago (a ticket
 * dispatched at its last moment has until then). */
static gboolean
period_still_worked (FqSummaryView *self)
{
  GListModel *categories;
  guint longest = 0;
  guint n;

  if (self->context == NULL)
    return FALSE;
  categories = fq_context_get_categories (self->context);
  n = g_list_model_get_n_items (categories);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FqCategory) category = g_list_model_get_item (categories, i);

      longest = MAX (longest, fq_category_get_deadline_hours (category));
    }
  return longest > 0 && g_get_real_time () / G_USEC_PER_SEC < self->to + (gint64)longest * 3600;
}

/* @still_worked: period_still_worked(), read once for the tiles and the
 * period's line so that they agree. */
static void
update_tiles (FqSummaryView *self,
              gboolean       still_worked)
{
  JsonObject *current = summary_part (self, "current");
  JsonObject *previous = change_part (self, "previous_period");
  JsonObject *last_year = change_part (self, "same_period_last_year");

  for (guint i = 0; i < N_TILES; i++)
    {
      GtkWidget *tile = self->tiles[i];
      GtkLabel *value = g_object_get_data (G_OBJECT (tile), "value");
      GtkLabel *detail = g_object_get_data (G_OBJECT (tile), "detail");
      GtkLabel *mom = g_object_get_data (G_OBJECT (tile), "mom");
      GtkLabel *yoy = g_object_get_data (G_OBJECT (tile), "yoy");
      g_autofree char *text = format_figure (current, i);
      g_autofree char *detail_text = tile_detail (current, i);
      g_autoptr(GString) spoken = g_string_new (NULL);

      gtk_label_set_label (value, text);
      gtk_label_set_label (detail, detail_text);
      g_string_append_printf (spoken, "%s: %s.", _(tile_info[i].title), text);
      if (detail_text[0] != '\0')
        g_string_append_printf (spoken, " %s.", detail_text);
      set_change_label (mom, i, C_("change", "Previous period"), previous,
                        still_worked && tile_info[i].ripens, spoken);
      set_change_label (yoy, i, C_("change", "Last year"), last_year,
                        still_worked && tile_info[i].ripens, spoken);
      g_string_append_c (spoken, ' ');
      g_string_append (spoken, _("Activate to show the records on the board."));
      gtk_accessible_update_property (GTK_ACCESSIBLE (tile), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      spoken->str, -1);
    }
}

/* ---- explain this number ---- */

typedef struct
{
  FqSummaryView *self;
  char          *title;
} Explain;

static void
explain_free (Explain *explain)
{
  g_object_unref (explain->self);
  g_free (explain->title);
  g_free (explain);
}

static void
toast (FqSummaryView *self,
       const char    *message)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (FQ_IS_WINDOW (root))
    fq_window_toast (FQ_WINDOW (root), message);
  else
    g_message ("%s", message);
}

static void
explain_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Explain *explain = user_data;
  FqSummaryView *self = explain->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = fq_client_call_finish (FQ_CLIENT (object), result, &error);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) ids = NULL;
  JsonObject *object_root;
  JsonArray *array;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      explain_free (explain);
      return;
    }
  if (error != NULL || root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_autofree char *reason = error != NULL ? fq_client_describe_error (error) : NULL;
      g_autofree char *message = NULL;

      /* Translators: %s explains why. */
      message = g_strdup_printf (_("The records behind this figure could not be listed: %s"),
                                 reason != NULL ? reason : _("the server's answer was not understood."));
      toast (self, message);
      explain_free (explain);
      return;
    }

  object_root = json_node_get_object (root);
  array = json_object_has_member (object_root, "ids")
          ? json_object_get_array_member (object_root, "ids") : NULL;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      const char *id = json_array_get_string_element (array, i);

      if (id != NULL)
        g_strv_builder_add (builder, id);
    }
  ids = g_strv_builder_end (builder);

  g_signal_emit (self, signals[SHOW_RECORDS], 0,
                 g_strcmp0 (fq_json_string_or (object_root, "entity", ""),
                            "ticket") == 0 ? FQ_BOARD_PAGE_TICKETS : FQ_BOARD_PAGE_INCOMING,
                 explain->title, ids);
  explain_free (explain);
}

/* Asks for the records of @metric over [@from, @to) at the current place,
 * limited by @extra ("&group=…"), and shows them under @what. */
static void
explain (FqSummaryView *self,
         const char    *metric,
         gint64         from,
         gint64         to,
         const char    *extra,
         const char    *what)
{
  g_autofree char *from_text = iso_utc (from);
  g_autofree char *to_text = iso_utc (to);
  g_autofree char *span = format_span (from, to);
  g_autofree char *path = NULL;
  const char *place;
  Explain *data;

  if (self->context == NULL || self->scope == NULL)
    return;
  place = fq_context_lookup_grid_name (self->context, self->scope);

  path = g_strdup_printf ("/metrics/records?metric=%s&from=%s&to=%s&grid=%s%s", metric,
                          from_text, to_text, self->scope, extra != NULL ? extra : "");
  data = g_new0 (Explain, 1);
  data->self = g_object_ref (self);
  /* "Repeat calls · 黄石市 · 1 Nov 2026 – 29 Nov 2026" */
  data->title = g_strdup_printf ("%s · %s · %s", what, place != NULL && place[0] != '\0'
                                                       ? place : self->scope, span);

  g_cancellable_cancel (self->explain_cancellable);
  g_clear_object (&self->explain_cancellable);
  self->explain_cancellable = g_cancellable_new ();
  fq_client_call_async (fq_context_get_client (self->context), "GET", path, NULL, NULL,
                        self->explain_cancellable, explain_done_cb, data);
}

static void
tile_clicked_cb (GtkButton     *button,
                 FqSummaryView *self)
{
  guint index = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "index"));

  explain (self, tile_info[index].metric, self->from, self->to, NULL, _(tile_info[index].title));
}

static GtkWidget *
make_tile (FqSummaryView *self,
           guint          index)
{
  GtkWidget *button = gtk_button_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (_(tile_info[index].title));
  GtkWidget *value = gtk_label_new ("—");
  GtkWidget *detail = gtk_label_new (NULL);
  GtkWidget *mom = gtk_label_new (NULL);
  GtkWidget *yoy = gtk_label_new (NULL);

  gtk_widget_add_css_class (button, "card");
  gtk_widget_add_css_class (button, "fq-tile");
  gtk_widget_set_tooltip_text (button, _("Show the records counted in this figure"));
  gtk_widget_add_css_class (title, "fq-tile-title");
  gtk_widget_add_css_class (value, "fq-tile-value");
  gtk_widget_add_css_class (value, "numeric");
  gtk_widget_add_css_class (detail, "fq-tile-detail");
  gtk_widget_add_css_class (mom, "fq-tile-change");
  gtk_widget_add_css_class (yoy, "fq-tile-change");
  GtkWidget *labels[] = { title, value, detail, mom, yoy };

  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    {
      gtk_label_set_xalign (GTK_LABEL (labels[i]), 0);
      gtk_label_set_ellipsize (GTK_LABEL (labels[i]), PANGO_ELLIPSIZE_END);
      gtk_box_append (GTK_BOX (box), labels[i]);
    }
  gtk_button_set_child (GTK_BUTTON (button), box);

  g_object_set_data (G_OBJECT (button), "index", GUINT_TO_POINTER (index));
  g_object_set_data (G_OBJECT (button), "value", value);
  g_object_set_data (G_OBJECT (button), "detail", detail);
  g_object_set_data (G_OBJECT (button), "mom", mom);
  g_object_set_data (G_OBJECT (button), "yoy", yoy);
  g_signal_connect_object (button, "clicked", G_CALLBACK (tile_clicked_cb), self, 0);
  return button;
}

/* ---- trend ---- */

static FqTrendData *
make_trend_data (FqSummaryView *self)
{
  guint series = gtk_drop_down_get_selected (self->series_dropdown);
  JsonArray *buckets;
  g_autoptr(GPtrArray) axis = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) longs = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) values = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) partial = g_array_new (FALSE, FALSE, sizeof (gboolean));
  g_autofree char *title = NULL;
  const char *bucket;
  const char *series_name;

  if (self->trend == NULL || !json_object_has_member (self->trend, "buckets"))
    return NULL;
  if (series >= G_N_ELEMENTS (series_members))
    series = 0;
  buckets = json_object_get_array_member (self->trend, "buckets");
  bucket = fq_json_string_or (self->trend, "bucket", "day");

  for (guint i = 0; i < json_array_get_length (buckets); i++)
    {
      JsonObject *b = json_array_get_object_element (buckets, i);
      g_autoptr(GDateTime) start
          = fq_city_time (parse_time (fq_json_string_or (b, "start", NULL)));
      double value = fq_json_int_or (b, series_members[series], 0);
      g_autofree char *date = format_date (g_date_time_to_unix (start));
      gboolean cut = g_date_time_to_unix (start) < self->from ||
                     parse_time (fq_json_string_or (b, "end", NULL)) > self->to;

      g_array_append_val (values, value);
      g_array_append_val (partial, cut);
      if (g_str_equal (bucket, "month"))
        {
          /* Translators: a month on the chart's axis, strftime ("%Y年%-m月"). */
          g_ptr_array_add (axis, g_date_time_format (start, C_("chart month", "%b %Y")));
          g_ptr_array_add (longs, g_date_time_format (start, C_("chart month", "%b %Y")));
        }
      else
        {
          /* Translators: a day on the chart's axis, strftime ("%-m月%-d日"). */
          g_ptr_array_add (axis, g_date_time_format (start, C_("chart day", "%-d %b")));
          /* Translators: %s is a date: the week that starts on it. */
          g_ptr_array_add (longs, g_str_equal (bucket, "week")
                                  ? g_strdup_printf (_("Week of %s"), date) : g_strdup (date));
        }
      if (cut)
        {
          char *label = g_ptr_array_steal_index (longs, longs->len - 1);

          /* Translators: a bucket the period cuts: "30 Nov 2026 (part)". */
          g_ptr_array_add (longs, g_strdup_printf (_("%s (part)"), label));
          g_free (label);
        }
    }
  g_ptr_array_add (axis, NULL);
  g_ptr_array_add (longs, NULL);

  series_name = g_list_model_get_n_items (gtk_drop_down_get_model (self->series_dropdown)) > series
                ? gtk_string_list_get_string (GTK_STRING_LIST (gtk_drop_down_get_model (self->series_dropdown)), series)
                : "";
  if (g_str_equal (bucket, "month"))
    /* Translators: the trend's title: "Incidents per month". */
    title = g_strdup_printf (_("%s per month"), series_name);
  else if (g_str_equal (bucket, "week"))
    /* Translators: the trend's title: "Incidents per week". */
    title = g_strdup_printf (_("%s per week"), series_name);
  else
    /* Translators: the trend's title: "Incidents per day". */
    title = g_strdup_printf (_("%s per day"), series_name);

  return fq_trend_data_new (title, values->len, (const char * const *)axis->pdata,
                            (const char * const *)longs->pdata, (const double *)values->data,
                            (const gboolean *)partial->data);
}

static void
update_trend (FqSummaryView *self)
{
  g_autoptr(FqTrendData) data = make_trend_data (self);

  fq_trend_chart_set_data (self->trend_chart, data);
  gtk_label_set_label (self->trend_heading, data != NULL ? fq_trend_data_get_title (data)
                                                         : _("Trend"));
}

static void
series_selected_cb (FqSummaryView *self)
{
  update_trend (self);
}

static void
bar_activated_cb (FqSummaryView *self,
                  guint          index,
                  FqTrendChart  *chart)
{
  guint series = gtk_drop_down_get_selected (self->series_dropdown);
  JsonArray *buckets;
  JsonObject *b;
  FqTrendData *data = fq_trend_chart_get_data (chart);
  g_autofree char *what = NULL;
  gint64 from, to;

  if (self->trend == NULL || data == NULL || series >= G_N_ELEMENTS (series_members))
    return;
  buckets = json_object_get_array_member (self->trend, "buckets");
  if (index >= json_array_get_length (buckets))
    return;
  b = json_array_get_object_element (buckets, index);
  /* The bar counts only what lies inside the period. */
  from = MAX (self->from, parse_time (fq_json_string_or (b, "start", NULL)));
  to = MIN (self->to, parse_time (fq_json_string_or (b, "end", NULL)));
  what = g_strdup (gtk_string_list_get_string (GTK_STRING_LIST (gtk_drop_down_get_model (self->series_dropdown)), series));
  explain (self, series_members[series], from, to, NULL, what);
}

/* ---- categories ---- */

static JsonArray *
named_rows (JsonArray  *rows,
            const char *group)
{
  JsonArray *out = json_array_new ();

  for (guint i = 0; rows != NULL && i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      JsonObject *copy;
      GList *members;

      if (group != NULL &&
          g_strcmp0 (fq_json_string_or (row, "group", NULL), group) != 0)
        continue;
      copy = json_object_new ();
      members = json_object_get_members (row);
      for (GList *l = members; l != NULL; l = l->next)
        json_object_set_member (copy, l->data, json_object_dup_member (row, l->data));
      g_list_free (members);
      if (fq_json_string_or (row, "name", NULL) == NULL)
        json_object_set_string_member (copy, "name", _("Not yet categorised"));
      json_array_add_object_element (out, copy);
    }
  return out;
}

static void
update_categories (FqSummaryView *self)
{
  g_autoptr(JsonArray) rows = NULL;
  const char *group_name = NULL;

  if (self->categories == NULL)
    {
      fq_summary_table_set_rows (self->categories_table, NULL);
      return;
    }
  if (self->group != NULL)
    {
      rows = named_rows (json_object_get_array_member (self->categories, "categories"),
                         self->group);
      group_name = fq_context_lookup_category_group_name (self->context, self->group);
    }
  else
    rows = named_rows (json_object_get_array_member (self->categories, "groups"), NULL);

  fq_summary_table_set_rows (self->categories_table, rows);
  fq_summary_table_sort_by (self->categories_table, "incidents", TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->categories_back), self->group != NULL);
  if (self->group != NULL)
    {
      /* Translators: %s is a category group's name. */
      g_autofree char *heading = g_strdup_printf (_("Categories of %s"),
                                                  group_name != NULL ? group_name : self->group);

      gtk_label_set_label (self->categories_heading, heading);
    }
  else
    gtk_label_set_label (self->categories_heading, _("By Category Group"));
}

static void
explain_category_row (FqSummaryView *self,
                      JsonObject    *row)
{
  const char *code = fq_json_string_or (row, "code", NULL);
  const char *name = fq_json_string_or (row, "name", "");
  g_autofree char *escaped = NULL;
  g_autofree char *extra = NULL;

  if (code == NULL)
    {
      toast (self, _("Incidents not yet categorised are on the board's incoming list."));
      return;
    }
  escaped = g_uri_escape_string (code, NULL, TRUE);
  extra = g_strdup_printf ("&%s=%s", self->group != NULL ? "category" : "group", escaped);
  explain (self, "incidents", self->from, self->to, extra, name);
}

static void
category_activated_cb (FqSummaryView  *self,
                       JsonObject     *row,
                       FqSummaryTable *table)
{
  const char *code = fq_json_string_or (row, "code", NULL);

  /* A group opens to its categories; a category shows its incidents. */
  if (self->group == NULL && code != NULL)
    {
      self->group = g_strdup (code);
      update_categories (self);
      gtk_widget_grab_focus (GTK_WIDGET (self->categories_table));
      return;
    }
  explain_category_row (self, row);
}

static void
categories_back_cb (FqSummaryView *self)
{
  g_clear_pointer (&self->group, g_free);
  update_categories (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->categories_table));
}

static void
categories_records_cb (FqSummaryView *self)
{
  JsonObject *row = fq_summary_table_get_selected (self->categories_table);

  if (row == NULL)
    row = fq_summary_table_get_row (self->categories_table, 0);
  if (row != NULL)
    explain_category_row (self, row);
}

/* ---- units ---- */

static void
unit_activated_cb (FqSummaryView  *self,
                   JsonObject     *row,
                   FqSummaryTable *table)
{
  const char *unit = fq_json_string_or (row, "unit", NULL);
  const char *name = fq_json_string_or (row, "name", unit);
  g_autofree char *escaped = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *what = NULL;

  if (unit == NULL)
    return;
  escaped = g_uri_escape_string (unit, NULL, TRUE);
  extra = g_strdup_printf ("&unit=%s", escaped);
  /* Translators: %s is a unit's name: the tickets it leads. */
  what = g_strdup_printf (_("Tickets led by %s"), name);
  explain (self, "tickets", self->from, self->to, extra, what);
}

/* ---- places ---- */

static void
place_activated_cb (FqSummaryView  *self,
                    JsonObject     *row,
                    FqSummaryTable *table)
{
  const char *code = fq_json_string_or (row, "code", NULL);

  if (code != NULL)
    fq_summary_view_set_scope (self, code);
}

/* ---- the scope's path ---- */

static void
scope_button_clicked_cb (GtkButton     *button,
                         FqSummaryView *self)
{
  fq_summary_view_set_scope (self, g_object_get_data (G_OBJECT (button), "code"));
}

/* The codes from the user's scope down to @code: a division code's
 * ancestors are its first 4, 6 or 9 digits padded with zeros. */
static GPtrArray *
scope_path (FqSummaryView *self)
{
  static const guint digits[] = { 4, 6, 9 };
  GPtrArray *path = g_ptr_array_new_with_free_func (g_free);
  const char *root = fq_context_get_scope (self->context);
  gboolean in_scope = root == NULL;

  for (guint i = 0; i < G_N_ELEMENTS (digits) && strlen (self->scope) > digits[i]; i++)
    {
      g_autofree char *code = g_strnfill (12, '0');

      memcpy (code, self->scope, digits[i]);
      if (g_strcmp0 (code, self->scope) == 0)
        break;
      if (g_strcmp0 (code, root) == 0)
        in_scope = TRUE;
      if (in_scope && fq_grid_model_lookup (fq_context_get_grid (self->context), code) != NULL)
        g_ptr_array_add (path, g_steal_pointer (&code));
    }
  g_ptr_array_add (path, g_strdup (self->scope));
  return path;
}

static void
update_scope_box (FqSummaryView *self)
{
  g_autoptr(GPtrArray) path = scope_path (self);
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->scope_box))) != NULL)
    gtk_box_remove (self->scope_box, child);

  for (guint i = 0; i < path->len; i++)
    {
      const char *code = g_ptr_array_index (path, i);
      const char *name = fq_context_lookup_grid_name (self->context, code);

      if (name == NULL || name[0] == '\0')
        name = code;
      if (i > 0)
        {
          GtkWidget *sep = gtk_label_new ("›");

          gtk_widget_add_css_class (sep, "dim-label");
          gtk_accessible_update_property (GTK_ACCESSIBLE (sep), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                          "", -1);
          gtk_box_append (self->scope_box, sep);
        }
      if (i + 1 < path->len)
        {
          GtkWidget *button = gtk_button_new_with_label (name);
          g_autofree char *tooltip = g_strdup_printf (_("Show the figures of %s"), name);

          gtk_widget_add_css_class (button, "flat");
          gtk_widget_set_tooltip_text (button, tooltip);
          g_object_set_data_full (G_OBJECT (button), "code", g_strdup (code), g_free);
          g_signal_connect_object (button, "clicked", G_CALLBACK (scope_button_clicked_cb), self, 0);
          gtk_box_append (self->scope_box, button);
        }
      else
        {
          GtkWidget *label = gtk_label_new (name);

          gtk_widget_add_css_class (label, "title-3");
          gtk_widget_set_margin_start (label, i > 0 ? 6 : 0);
          gtk_box_append (self->scope_box, label);
        }
    }
}

/* ---- answers ---- */

static void
show_error (FqSummaryView *self,
            const GError  *error)
{
  g_autofree char *message = fq_client_describe_error (error);

  adw_status_page_set_description (self->error_page, message);
  gtk_stack_set_visible_child_name (self->state_stack, "error");
}

static void
set_section_error (GtkLabel     *label,
                   const GError *error,
                   const char   *normal)
{
  if (error != NULL)
    {
      g_autofree char *message = fq_client_describe_error (error);

      gtk_label_set_label (label, message);
      gtk_widget_add_css_class (GTK_WIDGET (label), "fq-error");
    }
  else
    {
      gtk_label_set_label (label, normal);
      gtk_widget_remove_css_class (GTK_WIDGET (label), "fq-error");
    }
}

static void
update_period_label (FqSummaryView *self,
                     gboolean       still_worked)
{
  JsonObject *periods = summary_part (self, "periods");
  JsonObject *previous = periods != NULL && json_object_has_member (periods, "previous_period")
                         ? json_object_get_object_member (periods, "previous_period") : NULL;
  JsonObject *last_year = periods != NULL && json_object_has_member (periods, "same_period_last_year")
                          ? json_object_get_object_member (periods, "same_period_last_year") : NULL;
  g_autofree char *span = format_span (self->from, self->to);
  g_autofree char *text = NULL;

  if (previous != NULL && last_year != NULL)
    {
      g_autofree char *p = format_span (parse_time (fq_json_string_or (previous, "from", NULL)),
                                        parse_time (fq_json_string_or (previous, "to", NULL)));
      g_autofree char *y = format_span (parse_time (fq_json_string_or (last_year, "from", NULL)),
                                        parse_time (fq_json_string_or (last_year, "to", NULL)));

      /* Translators: the period and what it is compared with. */
      text = g_strdup_printf (_("%s, compared with the previous period (%s) and the same period last year (%s)."),
                              span, p, y);
      if (still_worked)
        {
          /* Translators: follows the sentence above when the period's
           * tickets may still be within their deadlines. */
          g_autofree char *full = g_strdup_printf ("%s %s", text,
                                                   _("Its tickets are still being worked: the completion rate, "
                                                     "on-time rate, backflow and time to resolve will still change, "
                                                     "so their comparisons are shown without judgement."));

          g_free (text);
          text = g_steal_pointer (&full);
        }
    }
  else
    text = g_steal_pointer (&span);
  gtk_label_set_label (self->period_label, text);
}

static void
summary_answer (FqSummaryView *self,
                JsonNode      *root,
                const GError  *error,
                gpointer       data)
{
  gboolean still_worked;

  if (error != NULL || root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_autoptr(GError) local = NULL;

      if (error == NULL)
        local = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                                     "unexpected answer");
      show_error (self, error != NULL ? error : local);
      return;
    }
  g_clear_pointer (&self->summary, json_object_unref);
  self->summary = json_object_ref (json_node_get_object (root));
  still_worked = period_still_worked (self);
  update_tiles (self, still_worked);
  update_period_label (self, still_worked);
  gtk_stack_set_visible_child_name (self->state_stack, "content");
}

static void
trend_answer (FqSummaryView *self,
              JsonNode      *root,
              const GError  *error,
              gpointer       data)
{
  g_clear_pointer (&self->trend, json_object_unref);
  if (error == NULL && root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    self->trend = json_object_ref (json_node_get_object (root));
  else if (error != NULL)
    {
      g_autofree char *message = fq_client_describe_error (error);

      gtk_label_set_label (self->trend_heading, message);
    }
  update_trend (self);
}

static void
categories_answer (FqSummaryView *self,
                   JsonNode      *root,
                   const GError  *error,
                   gpointer       data)
{
  g_clear_pointer (&self->categories, json_object_unref);
  if (error == NULL && root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    self->categories = json_object_ref (json_node_get_object (root));
  update_categories (self);
  if (error != NULL)
    {
      g_autofree char *message = fq_client_describe_error (error);

      gtk_label_set_label (self->categories_heading, message);
    }
}

static void
units_answer (FqSummaryView *self,
              JsonNode      *root,
              const GError  *error,
              gpointer       data)
{
  JsonObject *object = error == NULL && root != NULL && JSON_NODE_HOLDS_OBJECT (root)
                       ? json_node_get_object (root) : NULL;

  fq_summary_table_set_rows (self->units_table,
                             object != NULL && json_object_has_member (object, "units")
                             ? json_object_get_array_member (object, "units") : NULL);
  fq_summary_table_sort_by (self->units_table, "score", TRUE);
  set_section_error (self->units_hint, error,
                     _("Score 0–100: completion 30%, on time 25%, accepted within the limit 20%, "
                       "satisfaction 15%, session attendance 10%; a part without data is left "
                       "out. Open a unit to see the tickets it leads."));
}

static void
place_answer (FqSummaryView *self,
              JsonNode      *root,
              const GError  *error,
              gpointer       data)
{
  JsonObject *row = data;
  JsonObject *object = error == NULL && root != NULL && JSON_NODE_HOLDS_OBJECT (root)
                       ? json_node_get_object (root) : NULL;
  JsonObject *current = object != NULL && json_object_has_member (object, "current")
                        ? json_object_get_object_member (object, "current") : NULL;
  JsonObject *change = object != NULL && json_object_has_member (object, "change")
                       ? json_object_get_object_member (object, "change") : NULL;
  static const char * const members[] = {
    "incidents_total", "non_police_disputes", "diversion_share", "tickets_created",
    "completion_rate", "on_time_rate", "repeat_calls",
  };

  if (error != NULL)
    set_section_error (self->places_hint, error, NULL);
  if (current != NULL)
    {
      for (guint i = 0; i < G_N_ELEMENTS (members); i++)
        if (json_object_has_member (current, members[i]))
          json_object_set_member (row, members[i], json_object_dup_member (current, members[i]));
      if (change != NULL && json_object_has_member (change, "same_period_last_year"))
        {
          JsonObject *yoy = json_object_get_object_member (change, "same_period_last_year");

          if (json_object_has_member (yoy, "non_police_disputes"))
            json_object_set_member (row, "disputes_change",
                                    json_object_dup_member (yoy, "non_police_disputes"));
        }
      json_array_add_object_element (self->places, json_object_ref (row));
    }

  /* All places in: one update of the table. */
  g_assert (self->places_waiting > 0);
  if (--self->places_waiting == 0)
    {
      fq_summary_table_set_rows (self->places_table, self->places);
      fq_summary_table_sort_by (self->places_table, "incidents_total", TRUE);
    }
}

static void
load_places (FqSummaryView *self)
{
  FqGridModel *grid = fq_context_get_grid (self->context);
  FqGridItem *item = grid != NULL ? fq_grid_model_lookup (grid, self->scope) : NULL;
  g_autoptr(GListModel) children = NULL;
  const char *name = item != NULL ? fq_grid_item_get_name (item) : self->scope;
  g_autofree char *heading = NULL;
  guint n;

  g_clear_pointer (&self->places, json_array_unref);
  self->places = json_array_new ();
  fq_summary_table_set_rows (self->places_table, NULL);

  if (item != NULL && fq_grid_item_get_has_children (item))
    children = fq_grid_model_create_child_model (item, grid);
  n = children != NULL ? MIN (g_list_model_get_n_items (children), MAX_PLACES) : 0;

  /* Translators: %s is a place: "Places in 下陆区". */
  heading = g_strdup_printf (_("Places in %s"), name);
  gtk_label_set_label (self->places_heading, heading);
  set_section_error (self->places_hint, NULL,
                     n > 0 ? _("Open a place to see its own figures.")
                           : _("This place has no smaller places in the grid."));
  gtk_widget_set_visible (GTK_WIDGET (self->places_table), n > 0);

  self->places_waiting = n;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FqGridItem) child = g_list_model_get_item (children, i);
      JsonObject *row = json_object_new ();

      json_object_set_string_member (row, "code", fq_grid_item_get_code (child));
      json_object_set_string_member (row, "name", fq_grid_item_get_name (child));
      call (self, "summary", NULL, fq_grid_item_get_code (child), place_answer, row,
            (GDestroyNotify)json_object_unref);
    }
}

static void
load (FqSummaryView *self)
{
  g_autofree char *bucket_extra = NULL;

  if (self->context == NULL || !fq_context_get_started (self->context))
    return;
  if (self->scope == NULL)
    self->scope = g_strdup (fq_context_get_scope (self->context));
  if (self->scope == NULL)
    return;

  /* Cancel and replace: an older count's answers are dropped. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->generation++;
  self->n_pending = 0;

  period_bounds (self, &self->from, &self->to);
  g_free (self->bucket);
  self->bucket = g_strdup (choose_bucket (self->from, self->to));
  bucket_extra = g_strdup_printf ("&bucket=%s", self->bucket);

  update_scope_box (self);
  if (self->summary == NULL)
    gtk_stack_set_visible_child_name (self->state_stack, "loading");
  set_busy (self, TRUE);

  call (self, "summary", NULL, self->scope, summary_answer, NULL, NULL);
  call (self, "trend", bucket_extra, self->scope, trend_answer, NULL, NULL);
  call (self, "categories", NULL, self->scope, categories_answer, NULL, NULL);
  call (self, "units", NULL, self->scope, units_answer, NULL, NULL);
  load_places (self);
}

/* ---- period ---- */

static void
period_selected_cb (FqSummaryView *self)
{
  guint selected = gtk_drop_down_get_selected (self->period_dropdown);

  if (self->setting_period)
    return;
  if (selected == FQ_SUMMARY_PERIOD_CUSTOM && self->custom_to <= self->custom_from)
    {
      gtk_menu_button_popup (self->dates_button);
      return;
    }
  self->period = MIN (selected, FQ_SUMMARY_PERIOD_CUSTOM);
  load (self);
}

static void
apply_dates_cb (FqSummaryView *self)
{
  g_autoptr(GDateTime) a = gtk_calendar_get_date (self->from_calendar);
  g_autoptr(GDateTime) b = gtk_calendar_get_date (self->to_calendar);
  gint64 from = city_midnight (g_date_time_get_year (a), g_date_time_get_month (a),
                               g_date_time_get_day_of_month (a));
  gint64 to = city_midnight (g_date_time_get_year (b), g_date_time_get_month (b),
                             g_date_time_get_day_of_month (b)) + 86400;

  gtk_popover_popdown (self->dates_popover);
  if (to <= from)
    {
      gint64 day = from;

      from = to - 86400;
      to = day + 86400;
    }
  fq_summary_view_set_period (self, FQ_SUMMARY_PERIOD_CUSTOM, from, to);
}

/* ---- exports ---- */

static void
append_csv_row (GString            *out,
                const char * const *cells,
                guint               n)
{
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      fq_summary_csv_append_field (out, cells[i]);
    }
  g_string_append (out, "\r\n");
}

static GBytes *
figures_csv (FqSummaryView *self)
{
  JsonObject *current = summary_part (self, "current");
  JsonObject *previous = summary_part (self, "previous_period");
  JsonObject *last_year = summary_part (self, "same_period_last_year");
  JsonObject *mom = change_part (self, "previous_period");
  JsonObject *yoy = change_part (self, "same_period_last_year");
  GString *out = g_string_new ("\xEF\xBB\xBF");
  const char *headers[] = {
    _("Figure"), _("Value"), _("Previous period"), _("Change on the previous period"),
    _("Same period last year"), _("Change on last year"),
  };

  append_csv_row (out, headers, G_N_ELEMENTS (headers));
  for (guint i = 0; i < N_TILES; i++)
    {
      g_autofree char *v = format_figure (current, i);
      g_autofree char *p = format_figure (previous, i);
      g_autofree char *m = fq_summary_format_member (mom, tile_info[i].metric, FQ_SUMMARY_COLUMN_CHANGE);
      g_autofree char *y = format_figure (last_year, i);
      g_autofree char *c = fq_summary_format_member (yoy, tile_info[i].metric, FQ_SUMMARY_COLUMN_CHANGE);
      const char *cells[] = { _(tile_info[i].title), v, p, m, y, c };

      append_csv_row (out, cells, G_N_ELEMENTS (cells));
    }
  return g_string_free_to_bytes (out);
}

static GBytes *
trend_csv (FqSummaryView *self)
{
  JsonArray *buckets = self->trend != NULL && json_object_has_member (self->trend, "buckets")
                       ? json_object_get_array_member (self->trend, "buckets") : NULL;
  GString *out = g_string_new ("\xEF\xBB\xBF");
  const char *headers[] = {
    _("From"), _("To (inclusive)"), C_("trend series", "Incidents"),
    C_("trend series", "Non-police disputes"), C_("trend series", "Diverted"),
    _("Tickets dispatched"), C_("trend series", "Tickets closed"),
    C_("trend series", "Repeat calls"),
  };
  static const char * const members[] = {
    "incidents", "non_police_disputes", "diverted", "tickets", "closed", "repeat_calls",
  };

  append_csv_row (out, headers, G_N_ELEMENTS (headers));
  for (guint i = 0; buckets != NULL && i < json_array_get_length (buckets); i++)
    {
      JsonObject *b = json_array_get_object_element (buckets, i);
      gint64 from = MAX (self->from, parse_time (fq_json_string_or (b, "start", NULL)));
      gint64 to = MIN (self->to, parse_time (fq_json_string_or (b, "end", NULL)));
      g_autofree char *f = format_date (from);
      g_autofree char *t = format_date (to - 1);
      char *v[G_N_ELEMENTS (members)] = { NULL, };
      const char *cells[2 + G_N_ELEMENTS (members)];

      cells[0] = f;
      cells[1] = t;
      for (guint k = 0; k < G_N_ELEMENTS (members); k++)
        {
          v[k] = g_strdup_printf ("%" G_GINT64_FORMAT,
                                  fq_json_int_or (b, members[k], 0));
          cells[2 + k] = v[k];
        }
      append_csv_row (out, cells, G_N_ELEMENTS (cells));
      for (guint k = 0; k < G_N_ELEMENTS (members); k++)
        g_free (v[k]);
    }
  return g_string_free_to_bytes (out);
}

typedef struct
{
  FqSummaryView        *self;
  GBytes               *bytes;
  GtkFileChooserNative *chooser;
} SaveCsv;

static void
save_csv_free (SaveCsv *save)
{
  g_object_unref (save->self);
  g_bytes_unref (save->bytes);
  g_clear_object (&save->chooser);
  g_free (save);
}

static void
csv_written_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(FqSummaryView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (object), result, NULL, &error))
    {
      /* Translators: %s is the reason, from the system. */
      g_autofree char *message = g_strdup_printf (_("The table could not be saved: %s"),
                                                  error->message);

      toast (self, message);
      return;
    }
  toast (self, _("Table saved"));
}

static void
csv_chosen_cb (GtkNativeDialog *dialog,
               int              response,
               SaveCsv         *save)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      /* Written by GIO's worker, not on the main thread. */
      g_file_replace_contents_bytes_async (file, save->bytes, NULL, FALSE,
                                           G_FILE_CREATE_REPLACE_DESTINATION, NULL,
                                           csv_written_cb, g_object_ref (save->self));
    }
  save_csv_free (save);
}

static char *
file_stem (FqSummaryView *self)
{
  const char *place = fq_context_lookup_grid_name (self->context, self->scope);
  g_autoptr(GDateTime) from = fq_city_time (self->from);
  g_autoptr(GDateTime) to = fq_city_time (MAX (self->from, self->to - 1));
  g_autofree char *f = g_date_time_format (from, "%Y%m%d");
  g_autofree char *t = g_date_time_format (to, "%Y%m%d");

  /* Translators: the start of an exported file's name. */
  return g_strdup_printf ("%s %s %s-%s", _("Leaders' Summary"),
                          place != NULL && place[0] != '\0' ? place : self->scope, f, t);
}

static const char *
table_title (const char *table)
{
  if (g_str_equal (table, "figures"))
    return _("Figures");
  if (g_str_equal (table, "trend"))
    return _("Trend");
  if (g_str_equal (table, "categories"))
    return _("Categories");
  if (g_str_equal (table, "places"))
    return _("Places");
  return _("Unit Assessment");
}

static void
export_csv_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  FqSummaryView *self = FQ_SUMMARY_VIEW (widget);
  const char *table = g_variant_get_string (param, NULL);
  g_autoptr(GBytes) bytes = fq_summary_view_get_csv (self, table);
  g_autofree char *stem = NULL;
  g_autofree char *name = NULL;
  SaveCsv *save;

  if (bytes == NULL)
    return;
  stem = file_stem (self);
  name = g_strdup_printf ("%s %s.csv", stem, table_title (table));
  save = g_new0 (SaveCsv, 1);
  save->self = g_object_ref (self);
  save->bytes = g_steal_pointer (&bytes);
  save->chooser = gtk_file_chooser_native_new (_("Save the Table as CSV"),
                                               GTK_WINDOW (gtk_widget_get_root (widget)),
                                               GTK_FILE_CHOOSER_ACTION_SAVE,
                                               _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (save->chooser), name);
  g_signal_connect (save->chooser, "response", G_CALLBACK (csv_chosen_cb), save);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (save->chooser));
}

static void
pdf_saved_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(FqSummaryView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!fq_report_write_pdf_finish (FQ_REPORT (object), result, &error))
    {
      g_autofree char *message = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* Translators: %s is the reason. */
      message = g_strdup_printf (_("The report could not be saved: %s"), error->message);
      toast (self, message);
      return;
    }
  toast (self, _("Report saved"));
}

static void
export_pdf_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *param)
{
  FqSummaryView *self = FQ_SUMMARY_VIEW (widget);
  g_autoptr(FqReport) report = NULL;
  g_autofree char *stem = NULL;
  g_autofree char *name = NULL;

  if (self->summary == NULL)
    return;
  report = fq_summary_view_build_report (self);
  stem = file_stem (self);
  name = g_strdup_printf ("%s.pdf", stem);
  /* Not the count's cancellable: the next count must not stop a save. */
  fq_report_save_pdf_async (report, GTK_WINDOW (gtk_widget_get_root (widget)), name,
                            NULL, pdf_saved_cb, g_object_ref (self));
}

static void
print_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *param)
{
  FqSummaryView *self = FQ_SUMMARY_VIEW (widget);
  g_autoptr(FqReport) report = NULL;
  g_autoptr(GError) error = NULL;

  if (self->summary == NULL)
    return;
  report = fq_summary_view_build_report (self);
  if (!fq_report_print (report, GTK_WINDOW (gtk_widget_get_root (widget)), &error))
    {
      /* Translators: %s is the reason. */
      g_autofree char *message = g_strdup_printf (_("The summary could not be printed: %s"),
                                                  error->message);

      toast (self, message);
    }
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *param)
{
  load (FQ_SUMMARY_VIEW (widget));
}

/* ---- life ---- */

static void
show_records_default (FqSummaryView *self,
                      int            page,
                      const char    *title,
                      char         **ids)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (FQ_IS_WINDOW (root))
    fq_window_show_records (FQ_WINDOW (root), (FqBoardPage)page, title, (const char * const *)ids);
}

static gboolean
auto_refresh_cb (gpointer user_data)
{
  FqSummaryView *self = user_data;

  fq_summary_view_refresh_if_older (self, AUTO_REFRESH_SEC - 5);
  return G_SOURCE_CONTINUE;
}

static void
fq_summary_view_map (GtkWidget *widget)
{
  FqSummaryView *self = (FqSummaryView *)widget;

  GTK_WIDGET_CLASS (fq_summary_view_parent_class)->map (widget);

  /* Figures are counted when someone looks, and kept fresh while they do. */
  fq_summary_view_refresh_if_older (self, 60);
  if (self->refresh_id == 0)
    self->refresh_id = g_timeout_add_seconds (AUTO_REFRESH_SEC, auto_refresh_cb, self);
}

static void
fq_summary_view_unmap (GtkWidget *widget)
{
  FqSummaryView *self = (FqSummaryView *)widget;

  g_clear_handle_id (&self->refresh_id, g_source_remove);

  GTK_WIDGET_CLASS (fq_summary_view_parent_class)->unmap (widget);
}

static void
fq_summary_view_dispose (GObject *object)
{
  FqSummaryView *self = (FqSummaryView *)object;
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->explain_cancellable);
  g_clear_handle_id (&self->refresh_id, g_source_remove);

  gtk_widget_dispose_template (GTK_WIDGET (self), FQ_TYPE_SUMMARY_VIEW);
  /* The template's top box has no id, so it is not one of the children
   * disposed above. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (fq_summary_view_parent_class)->dispose (object);
}

static void
fq_summary_view_finalize (GObject *object)
{
  FqSummaryView *self = (FqSummaryView *)object;

  g_clear_object (&self->cancellable);
  g_clear_object (&self->explain_cancellable);
  g_clear_pointer (&self->scope, g_free);
  g_clear_pointer (&self->bucket, g_free);
  g_clear_pointer (&self->group, g_free);
  g_clear_pointer (&self->summary, json_object_unref);
  g_clear_pointer (&self->trend, json_object_unref);
  g_clear_pointer (&self->categories, json_object_unref);
  g_clear_pointer (&self->places, json_array_unref);

  G_OBJECT_CLASS (fq_summary_view_parent_class)->finalize (object);
}

static void
fq_summary_view_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  FqSummaryView *self = FQ_SUMMARY_VIEW (object);

  switch (prop_id)
    {
    case PROP_LOADING:
      g_value_set_boolean (value, fq_summary_view_get_loading (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_summary_view_class_init (FqSummaryViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fq_summary_view_dispose;
  object_class->finalize = fq_summary_view_finalize;
  object_class->get_property = fq_summary_view_get_property;
  widget_class->map = fq_summary_view_map;
  widget_class->unmap = fq_summary_view_unmap;

  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SHOW_RECORDS] =
    g_signal_new_class_handler ("show-records", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                G_CALLBACK (show_records_default), NULL, NULL, NULL,
                                G_TYPE_NONE, 3, G_TYPE_INT, G_TYPE_STRING, G_TYPE_STRV);

  gtk_widget_class_install_action (widget_class, "summary.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "summary.export-pdf", NULL, export_pdf_action);
  gtk_widget_class_install_action (widget_class, "summary.print", NULL, print_action);
  gtk_widget_class_install_action (widget_class, "summary.export-csv", "s", export_csv_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "summary.refresh", NULL);

  g_type_ensure (FQ_TYPE_TREND_CHART);

  gtk_widget_class_set_template_from_resource (widget_class, "/cn/fengqiao/Console/fq-summary-view.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, scope_box);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, busy_spinner);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, period_dropdown);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, dates_button);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, dates_popover);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, from_calendar);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, to_calendar);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, state_stack);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, error_page);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, period_label);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, tiles_box);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, series_dropdown);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, trend_chart);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, trend_heading);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, categories_back);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, categories_heading);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, categories_records);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, categories_slot);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, places_heading);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, places_hint);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, places_slot);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, units_hint);
  gtk_widget_class_bind_template_child (widget_class, FqSummaryView, units_slot);
  gtk_widget_class_bind_template_callback (widget_class, period_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, apply_dates_cb);
  gtk_widget_class_bind_template_callback (widget_class, series_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, bar_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, categories_back_cb);
  gtk_widget_class_bind_template_callback (widget_class, categories_records_cb);
}

static void
fq_summary_view_init (FqSummaryView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  for (guint i = 0; i < N_TILES; i++)
    {
      self->tiles[i] = make_tile (self, i);
      gtk_flow_box_append (self->tiles_box, self->tiles[i]);
    }

  self->categories_table = FQ_SUMMARY_TABLE (fq_summary_table_new (_("Figures by category")));
  fq_summary_table_add_column (self->categories_table, _("Name"), "name", FQ_SUMMARY_COLUMN_TEXT, TRUE);
  fq_summary_table_add_column (self->categories_table, C_("trend series", "Incidents"), "incidents", FQ_SUMMARY_COLUMN_COUNT, FALSE);
  fq_summary_table_add_column (self->categories_table, _("Disputes"), "non_police_disputes", FQ_SUMMARY_COLUMN_COUNT, FALSE);
  fq_summary_table_add_column (self->categories_table, C_("trend series", "Diverted"), "diverted", FQ_SUMMARY_COLUMN_COUNT, FALSE);
  fq_summary_table_add_column (self->categories_table, _("Tickets"), "tickets", FQ_SUMMARY_COLUMN_COUNT, FALSE);
  fq_summary_table_add_column (self->categories_table, _("Closed"), "tickets_closed", FQ_SUMMARY_COLUMN_COUNT, FALSE);
  g_signal_connect_object (self->categories_table, "row-activated",
                           G_CALLBACK (category_activated_cb), self, G_CONNECT_SWAPPED);
  gtk_box_append (self->categories_slot, GTK_WIDGET (self->categories_table));

  self->places_table = FQ_SUMMARY_TABLE (fq_summary_table_new (_("Figures by place")));
  fq_summary_table_add_column (self->places_table, _("Place"), "name", FQ_SUMMARY_COLUMN_TEXT, TRUE);
  fq_summary_table_add_column (self->places_table, C_("trend series", "Incidents"), "incidents_total", FQ_SUMMARY_COLUMN_COUNT, FALSE);
  fq_summary_table_add_column (self->places_table, _("Disputes"), "non_police_disputes", FQ_SUMMARY_COLUMN_COUNT, FALSE);
  fq_summary_table_add_column (self->places_table, _("Disputes, year on year"), "disputes_change", FQ_SUMMARY_COLUMN_CHANGE, FALSE);
  fq_summary_table_add_column (self->places_table, _("Mediated or diverted"), "diversion_share", FQ_SUMMARY_COLUMN_RATIO, FALSE);
  fq_summary_table_add_column (self->places_table, _("Completion"), "completion_rate", FQ_SUMMARY_COLUMN_RATIO, FALSE);
  fq_summary_table_add_column (self->places_table, C_("trend series", "Repeat calls"), "repeat_calls", FQ_SUMMARY_COLUMN_COUNT, FALSE);
  g_signal_connect_object (self->places_table, "row-activated",
                           G_CALLBACK (place_activated_cb), self, G_CONNECT_SWAPPED);
  gtk_box_append (self->places_slot, GTK_WIDGET (self->places_table));

  self->units_table = FQ_SUMMARY_TABLE (fq_summary_table_new (_("Unit assessment")));
  fq_summary_table_add_column (self->units_table, _("Unit"), "name", FQ_SUMMARY_COLUMN_TEXT, TRUE);
  fq_summary_table_add_column (self->units_table, _("Score"), "score", FQ_SUMMARY_COLUMN_SCORE, FALSE);
  fq_summary_table_add_column (self->units_table, _("Received"), "tickets_received", FQ_SUMMARY_COLUMN_COUNT, FALSE);
  fq_summary_table_add_column (self->units_table, _("Accepted in time"), "acceptance_rate", FQ_SUMMARY_COLUMN_RATIO, FALSE);
  fq_summary_table_add_column (self->units_table, _("On time"), "on_time_rate", FQ_SUMMARY_COLUMN_RATIO, FALSE);
  fq_summary_table_add_column (self->units_table, _("Completion"), "completion_rate", FQ_SUMMARY_COLUMN_RATIO, FALSE);
  fq_summary_table_add_column (self->units_table, _("Returns"), "returns", FQ_SUMMARY_COLUMN_COUNT, FALSE);
  fq_summary_table_add_column (self->units_table, _("Backflow"), "backflow", FQ_SUMMARY_COLUMN_COUNT, FALSE);
  fq_summary_table_add_column (self->units_table, _("Satisfaction"), "mean_satisfaction", FQ_SUMMARY_COLUMN_DECIMAL, FALSE);
  fq_summary_table_add_column (self->units_table, _("Attendance"), "attendance_rate", FQ_SUMMARY_COLUMN_RATIO, FALSE);
  g_signal_connect_object (self->units_table, "row-activated",
                           G_CALLBACK (unit_activated_cb), self, G_CONNECT_SWAPPED);
  gtk_box_append (self->units_slot, GTK_WIDGET (self->units_table));
}

/* ---- public ---- */

void
fq_summary_view_set_context (FqSummaryView *self,
                             FqContext     *context)
{
  g_return_if_fail (FQ_IS_SUMMARY_VIEW (self));
  g_return_if_fail (FQ_IS_CONTEXT (context));

  if (!g_set_object (&self->context, context))
    return;
  g_clear_pointer (&self->scope, g_free);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    load (self);
}

void
fq_summary_view_set_scope (FqSummaryView *self,
                           const char    *code)
{
  g_autofree char *full = NULL;

  g_return_if_fail (FQ_IS_SUMMARY_VIEW (self));

  if (code == NULL || code[0] == '\0')
    full = self->context != NULL ? g_strdup (fq_context_get_scope (self->context)) : NULL;
  else if (strlen (code) < 12)
    {
      /* A scope prefix: the node's code is it padded with zeros. */
      full = g_strnfill (12, '0');
      memcpy (full, code, strlen (code));
    }
  else
    full = g_strdup (code);

  if (g_strcmp0 (full, self->scope) == 0)
    return;
  g_free (self->scope);
  self->scope = g_steal_pointer (&full);
  g_clear_pointer (&self->group, g_free);
  self->loaded_at = 0;
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    load (self);
}

const char *
fq_summary_view_get_scope (FqSummaryView *self)
{
  g_return_val_if_fail (FQ_IS_SUMMARY_VIEW (self), NULL);

  return self->scope;
}

void
fq_summary_view_set_period (FqSummaryView   *self,
                            FqSummaryPeriod  period,
                            gint64           from,
                            gint64           to)
{
  g_return_if_fail (FQ_IS_SUMMARY_VIEW (self));
  g_return_if_fail (period != FQ_SUMMARY_PERIOD_CUSTOM || from < to);

  self->period = period;
  if (period == FQ_SUMMARY_PERIOD_CUSTOM)
    {
      self->custom_from = from;
      self->custom_to = to;
    }
  self->setting_period = TRUE;
  gtk_drop_down_set_selected (self->period_dropdown, period);
  self->setting_period = FALSE;
  load (self);
}

void
fq_summary_view_get_period (FqSummaryView *self,
                            gint64        *from,
                            gint64        *to)
{
  g_return_if_fail (FQ_IS_SUMMARY_VIEW (self));

  if (from != NULL)
    *from = self->from;
  if (to != NULL)
    *to = self->to;
}

void
fq_summary_view_reload (FqSummaryView *self)
{
  g_return_if_fail (FQ_IS_SUMMARY_VIEW (self));

  load (self);
}

void
fq_summary_view_refresh_if_older (FqSummaryView *self,
                                  guint          max_age_seconds)
{
  g_return_if_fail (FQ_IS_SUMMARY_VIEW (self));

  if (self->n_pending > 0)
    return;
  if (self->loaded_at == 0 ||
      g_get_monotonic_time () - self->loaded_at > (gint64)max_age_seconds * G_USEC_PER_SEC)
    load (self);
}

gboolean
fq_summary_view_get_loading (FqSummaryView *self)
{
  g_return_val_if_fail (FQ_IS_SUMMARY_VIEW (self), FALSE);

  return self->n_pending > 0;
}

GtkWidget *
fq_summary_view_get_tile (FqSummaryView *self,
                          const char    *metric)
{
  g_return_val_if_fail (FQ_IS_SUMMARY_VIEW (self), NULL);

  for (guint i = 0; i < N_TILES; i++)
    if (g_strcmp0 (tile_info[i].metric, metric) == 0)
      return self->tiles[i];
  return NULL;
}

GBytes *
fq_summary_view_get_csv (FqSummaryView *self,
                         const char    *table)
{
  g_return_val_if_fail (FQ_IS_SUMMARY_VIEW (self), NULL);
  g_return_val_if_fail (table != NULL, NULL);

  if (g_str_equal (table, "figures"))
    return figures_csv (self);
  if (g_str_equal (table, "trend"))
    return trend_csv (self);
  if (g_str_equal (table, "categories"))
    return fq_summary_table_to_csv (self->categories_table);
  if (g_str_equal (table, "places"))
    return fq_summary_table_to_csv (self->places_table);
  if (g_str_equal (table, "units"))
    return fq_summary_table_to_csv (self->units_table);
  return NULL;
}

static void
add_table (FqReport       *report,
           const char     *heading,
           FqSummaryTable *table,
           const double   *weights)
{
  g_auto(GStrv) headers = fq_summary_table_get_headers (table);
  g_autoptr(GPtrArray) cells = fq_summary_table_get_cells (table);

  if (cells->len == 0)
    return;
  fq_report_add_heading (report, heading);
  fq_report_add_table (report, g_strv_length (headers), (const char * const *)headers, weights,
                       cells);
}

FqReport *
fq_summary_view_build_report (FqSummaryView *self)
{
  FqReport *report;
  JsonObject *current = summary_part (self, "current");
  JsonObject *mom = change_part (self, "previous_period");
  JsonObject *yoy = change_part (self, "same_period_last_year");
  const char *place = self->context != NULL && self->scope != NULL
                      ? fq_context_lookup_grid_name (self->context, self->scope) : NULL;
  g_autofree char *span = format_span (self->from, self->to);
  g_autofree char *subtitle = NULL;
  g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func (g_free);
  FqTrendData *trend = fq_trend_chart_get_data (self->trend_chart);
  static const double category_weights[] = { 3, 1, 1, 1, 1, 1 };
  static const double place_weights[] = { 3, 1, 1, 1.3, 1.3, 1.2, 1.2 };
  static const double unit_weights[] = { 3.2, 1, 1, 1.2, 1, 1.1, 1, 1, 1.1, 1.1 };

  g_return_val_if_fail (FQ_IS_SUMMARY_VIEW (self), NULL);

  report = fq_report_new (_("Leaders' Summary"));
  subtitle = g_strdup_printf ("%s · %s", place != NULL && place[0] != '\0' ? place
                                          : (self->scope != NULL ? self->scope : ""), span);
  fq_report_set_subtitle (report, subtitle);
  if (self->summary != NULL)
    fq_report_add_paragraph (report, gtk_label_get_label (self->period_label));

  fq_report_add_heading (report, _("Figures"));
  for (guint i = 0; i < N_TILES; i++)
    {
      g_autofree char *value = format_figure (current, i);
      g_autofree char *m = fq_summary_format_member (mom, tile_info[i].metric, FQ_SUMMARY_COLUMN_CHANGE);
      g_autofree char *y = fq_summary_format_member (yoy, tile_info[i].metric, FQ_SUMMARY_COLUMN_CHANGE);

      g_ptr_array_add (pairs, g_strdup (_(tile_info[i].title)));
      /* Translators: a figure in the report: "140 (previous period −47.6%,
       * last year −12.5%)". */
      g_ptr_array_add (pairs, g_strdup_printf (_("%s (previous period %s, last year %s)"),
                                               value, m, y));
    }
  g_ptr_array_add (pairs, NULL);
  fq_report_add_fields (report, (const char * const *)pairs->pdata);

  if (trend != NULL && fq_trend_data_get_n (trend) > 0)
    {
      g_autofree char *description = fq_trend_data_describe (trend);

      fq_report_add_heading (report, fq_trend_data_get_title (trend));
      fq_report_add_figure (report, 190, fq_trend_chart_report_draw, fq_trend_data_ref (trend),
                            (GDestroyNotify)fq_trend_data_unref);
      fq_report_add_paragraph (report, description);
    }

  add_table (report, gtk_label_get_label (self->categories_heading), self->categories_table,
             category_weights);
  add_table (report, gtk_label_get_label (self->places_heading), self->places_table,
             place_weights);
  add_table (report, _("Unit Assessment"), self->units_table, unit_weights);
  if (fq_summary_table_get_n_rows (self->units_table) > 0)
    fq_report_add_paragraph (report, gtk_label_get_label (self->units_hint));

  return report;
}
