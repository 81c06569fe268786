/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "fq-incident-board"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "fq-category.h"
#include "fq-client.h"
#include "fq-incident-board.h"
#include "fq-ui-util.h"

struct _FqIncidentBoard
{
  AdwBin                parent_instance;

  /* Template widgets */
  GtkToggleButton      *incoming_tab;
  GtkToggleButton      *tickets_tab;
  GtkLabel             *incoming_count;
  GtkLabel             *tickets_count;
  GtkLabel             *overdue_count;
  GtkDropDown          *source_filter;
  GtkDropDown          *status_filter;
  GtkDropDown          *state_filter;
  GtkDropDown          *group_filter;
  GtkToggleButton      *overdue_toggle;
  GtkToggleButton      *my_unit_toggle;
  GtkToggleButton      *hard_toggle;
  GtkSearchEntry       *search_entry;
  GtkRevealer          *records_revealer;
  GtkLabel             *records_label;
  GtkButton            *records_show_all;
  GtkStack             *page_stack;
  GtkColumnView        *incident_view;
  GtkColumnView        *ticket_view;
  GtkLabel             *incoming_empty;
  GtkLabel             *tickets_empty;
  GtkRevealer          *new_rows_revealer;
  GtkButton            *new_rows_button;
  GtkColumnViewColumn  *incident_time_column;
  GtkColumnViewColumn  *incident_source_column;
  GtkColumnViewColumn  *incident_category_column;
  GtkColumnViewColumn  *incident_place_column;
  GtkColumnViewColumn  *incident_summary_column;
  GtkColumnViewColumn  *incident_status_column;
  GtkColumnViewColumn  *incident_repeat_column;
  GtkColumnViewColumn  *ticket_time_column;
  GtkColumnViewColumn  *ticket_category_column;
  GtkColumnViewColumn  *ticket_place_column;
  GtkColumnViewColumn  *ticket_title_column;
  GtkColumnViewColumn  *ticket_state_column;
  GtkColumnViewColumn  *ticket_repeat_column;
  GtkColumnViewColumn  *ticket_backflow_column;
  GtkColumnViewColumn  *ticket_unit_column;
  GtkColumnViewColumn  *ticket_deadline_column;

  /* Owned */
  FqContext            *context;
  GtkSingleSelection   *incident_selection;
  GtkSingleSelection   *ticket_selection;
  GHashTable           *deadline_cells;  /* GtkListItem set, bound deadline cells */
  GPtrArray            *group_codes;     /* of the group filter, index 0 = all */
  GObject              *probe_a;
  GObject              *probe_b;
  guint                 clock_id;
  guint                 incident_removed_at;  /* where incident rows last left */
  guint                 refocus_id;           /* refocus_cb() */
  GdkFrameClock        *scroll_top_clock;  /* while scroll_top_cb() waits */
  gulong                scroll_top_id;
  gboolean              scroll_incidents_top;  /* for scroll_top_cb() */
  gboolean              scroll_tickets_top;
  char                 *scroll_to_incident;    /* for scroll_top_cb(): rows to show */
  char                 *scroll_to_ticket;
  guint                 n_new_rows;
  int                   probe_hit;
  gulong                trace_paint_id;
  gulong                trace_filter_paint_id;
  gulong                paint_id;
  gboolean              pointer_in_incidents;
  gboolean              incidents_loaded;
  gboolean              trace_filter_pending;

  /* The selection a refilter took away (it replaces all rows at once),
   * put back when the result is in. */
  char                 *incident_selected_id;
  char                 *ticket_selected_id;
  gboolean              incident_restore;
  gboolean              ticket_restore;

  /* show_records(): the page limited to a given set of records. */
  gboolean              records_active;
  FqBoardPage           records_page;
  char                 *records_title;
  guint                 records_count;
};

G_DEFINE_FINAL_TYPE (FqIncidentBoard, fq_incident_board, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_PAGE,
  N_PROPS
};

enum {
  INCIDENT_SELECTED,
  TICKET_SELECTED,
  ROW_ACTIVATED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef enum
{
  CELL_INCIDENT_TIME,
  CELL_INCIDENT_SOURCE,
  CELL_INCIDENT_CATEGORY,
  CELL_INCIDENT_PLACE,
  CELL_INCIDENT_SUMMARY,
  CELL_INCIDENT_STATUS,
  CELL_INCIDENT_REPEAT,
  CELL_TICKET_TIME,
  CELL_TICKET_CATEGORY,
  CELL_TICKET_PLACE,
  CELL_TICKET_TITLE,
  CELL_TICKET_STATE,
  CELL_TICKET_REPEAT,
  CELL_TICKET_BACKFLOW,
  CELL_TICKET_UNIT,
  CELL_TICKET_DEADLINE,
} CellKind;

/* The columns of the two views: their ids in the settings (GTK 4.8 columns
 * have no id of their own), their template child, what their cells show and
 * which sort of the list their header stands for. */
#define COLUMN(name) G_STRUCT_OFFSET (FqIncidentBoard, name)
static const struct {
  const char *id;
  gssize      offset;
  CellKind    kind;
  int         sort;   /* FqIncidentSort / FqTicketSort, or -1 */
  gboolean    ticket;
} columns[] = {
  { "time",     COLUMN (incident_time_column),     CELL_INCIDENT_TIME,     FQ_INCIDENT_SORT_TIME,     FALSE },
  { "source",   COLUMN (incident_source_column),   CELL_INCIDENT_SOURCE,   FQ_INCIDENT_SORT_SOURCE,   FALSE },
  { "category", COLUMN (incident_category_column), CELL_INCIDENT_CATEGORY, FQ_INCIDENT_SORT_CATEGORY, FALSE },
  { "place",    COLUMN (incident_place_column),    CELL_INCIDENT_PLACE,    FQ_INCIDENT_SORT_PLACE,    FALSE },
  { "summary",  COLUMN (incident_summary_column),  CELL_INCIDENT_SUMMARY,  -1,                        FALSE },
  { "status",   COLUMN (incident_status_column),   CELL_INCIDENT_STATUS,   FQ_INCIDENT_SORT_STATUS,   FALSE },
  { "repeat",   COLUMN (incident_repeat_column),   CELL_INCIDENT_REPEAT,   -1,                        FALSE },
  { "time",     COLUMN (ticket_time_column),       CELL_TICKET_TIME,       FQ_TICKET_SORT_CREATED,    TRUE },
  { "category", COLUMN (ticket_category_column),   CELL_TICKET_CATEGORY,   FQ_TICKET_SORT_CATEGORY,   TRUE },
  { "place",    COLUMN (ticket_place_column),      CELL_TICKET_PLACE,      FQ_TICKET_SORT_PLACE,      TRUE },
  { "title",    COLUMN (ticket_title_column),      CELL_TICKET_TITLE,      -1,                        TRUE },
  { "state",    COLUMN (ticket_state_column),      CELL_TICKET_STATE,      FQ_TICKET_SORT_STATE,      TRUE },
  { "repeat",   COLUMN (ticket_repeat_column),     CELL_TICKET_REPEAT,     -1,                        TRUE },
  { "backflow", COLUMN (ticket_backflow_column),   CELL_TICKET_BACKFLOW,   FQ_TICKET_SORT_BACKFLOW,   TRUE },
  { "unit",     COLUMN (ticket_unit_column),       CELL_TICKET_UNIT,       FQ_TICKET_SORT_UNIT,       TRUE },
  { "deadline", COLUMN (ticket_deadline_column),   CELL_TICKET_DEADLINE,   FQ_TICKET_SORT_DEADLINE,   TRUE },
};
#undef COLUMN

typedef struct
{
  FqIncidentBoard *self;
  int              sort;
} Probe;

static GtkColumnViewColumn *
column_at (FqIncidentBoard *self,
           guint            i)
{
  return G_STRUCT_MEMBER (GtkColumnViewColumn *, self, columns[i].offset);
}

static GtkColumnViewColumn *
find_column (FqIncidentBoard *self,
             GtkColumnView   *view,
             const char      *id)
{
  gboolean ticket = view == self->ticket_view;

  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    if (columns[i].ticket == ticket && g_strcmp0 (columns[i].id, id) == 0)
      return column_at (self, i);

  return NULL;
}

static const char *
column_id (FqIncidentBoard     *self,
           GtkColumnViewColumn *column)
{
  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    if (column_at (self, i) == column)
      return columns[i].id;

  return NULL;
}

/* Cells -------------------------------------------------------------------- */

static void
set_css_class (GtkWidget  *widget,
               const char *css_class,
               gboolean    set)
{
  if (!set == !gtk_widget_has_css_class (widget, css_class))
    return;
  if (set)
    gtk_widget_add_css_class (widget, css_class);
  else
    gtk_widget_remove_css_class (widget, css_class);
}

/* The backflow badge of a ticket, "Returned 2 · Reopened 1" ("退回 2 · 重办
 * 1"); "" when it has none. */
static char *
format_backflow (guint returned,
                 guint rejected,
                 guint reopened)
{
  GString *str = g_string_new (NULL);

  if (returned > 0)
    /* Translators: part of a ticket's backflow badge: times it was returned
     * by the unit it was sent to. */
    g_string_append_printf (str, C_("backflow", "Returned %u"), returned);
  if (rejected > 0)
    {
      if (str->len > 0)
        g_string_append (str, " · ");
      /* Translators: part of the backflow badge: times the resolution was
       * rejected. */
      g_string_append_printf (str, C_("backflow", "Rejected %u"), rejected);
    }
  if (reopened > 0)
    {
      if (str->len > 0)
        g_string_append (str, " · ");
      /* Translators: part of the backflow badge: times the ticket was
       * reopened. */
      g_string_append_printf (str, C_("backflow", "Reopened %u"), reopened);
    }
  return g_string_free (str, FALSE);
}

static void
cell_refresh (FqIncidentBoard *self,
              GtkListItem     *list_item)
{
  CellKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (list_item), "fq-kind"));
  GtkLabel *label = GTK_LABEL (gtk_list_item_get_child (list_item));
  GtkWidget *widget = GTK_WIDGET (label);
  gpointer item = gtk_list_item_get_item (list_item);
  g_autofree char *text = NULL;
  const char *tooltip = NULL;
  gboolean fresh = FALSE;
  gboolean pending = FALSE;
  gboolean warning = FALSE;
  gboolean error = FALSE;
  gboolean dim = FALSE;

  if (item == NULL)
    return;

  if (FQ_IS_INCIDENT_ROW (item))
    {
      FqIncidentRow *row = item;

      fresh = fq_incident_row_get_fresh (row);
      pending = fq_incident_row_get_pending (row);

      switch (kind)
        {
        case CELL_INCIDENT_TIME:
          text = fq_format_time (fq_incident_row_get_received_at (row));
          break;

        case CELL_INCIDENT_SOURCE:
          text = g_strdup (fq_source_label (fq_incident_row_get_source (row)));
          break;

        case CELL_INCIDENT_CATEGORY:
          text = g_strdup (fq_incident_row_get_category_name (row));
          if (text[0] == '\0')
            {
              g_free (text);
              text = g_strdup (_("Not classified"));
              dim = TRUE;
            }
          break;

        case CELL_INCIDENT_PLACE:
          text = fq_format_place (self->context, fq_incident_row_get_grid (row));
          tooltip = fq_incident_row_get_address (row);
          break;

        case CELL_INCIDENT_SUMMARY:
          text = g_strdup (fq_incident_row_get_summary (row));
          tooltip = text;
          break;

        case CELL_INCIDENT_STATUS:
          if (fq_incident_row_get_status (row) == FQ_INCIDENT_STATUS_NEW)
            {
              text = g_strdup (_("Awaiting triage"));
              warning = TRUE;
            }
          else
            {
              text = g_strdup (fq_decision_label (fq_incident_row_get_decision (row)));
              dim = TRUE;
            }
          if (pending)
            {
              g_autofree char *plain = g_steal_pointer (&text);

              /* Translators: a status, then a note that the change is not
               * yet confirmed by the server. */
              text = g_strdup_printf (_("%s · sending"), plain);
            }
          break;

        case CELL_INCIDENT_REPEAT:
          {
            guint n = fq_incident_row_get_repeat_count (row);
            gboolean repeat = n > 0 || fq_incident_row_get_repeat_of (row)[0] != '\0';

            /* Translators: a repeat-call badge; %u is how many calls about
             * the same matter there have been. */
            text = repeat ? g_strdup_printf (_("Repeat ×%u"), MAX (n, 2)) : g_strdup ("");
            gtk_widget_set_visible (widget, repeat);
          }
          break;

        default:
          g_assert_not_reached ();
        }
    }
  else if (FQ_IS_TICKET_ROW (item))
    {
      FqTicketRow *row = item;

      pending = fq_ticket_row_get_pending (row);

      switch (kind)
        {
        case CELL_TICKET_TIME:
          text = fq_format_time (fq_ticket_row_get_dispatched_at (row) != 0
                                 ? fq_ticket_row_get_dispatched_at (row)
                                 : fq_ticket_row_get_created_at (row));
          break;

        case CELL_TICKET_CATEGORY:
          text = g_strdup (fq_ticket_row_get_category_name (row));
          break;

        case CELL_TICKET_PLACE:
          text = fq_format_place (self->context, fq_ticket_row_get_grid (row));
          break;

        case CELL_TICKET_TITLE:
          text = g_strdup (fq_ticket_row_get_title (row));
          tooltip = text;
          break;

        case CELL_TICKET_STATE:
          {
            FqTicketState state = fq_ticket_row_get_state (row);

            text = g_strdup (fq_ticket_state_label (state));
            warning = state == FQ_TICKET_STATE_RETURNED;
            dim = state == FQ_TICKET_STATE_CLOSED;
            if (pending)
              {
                g_autofree char *plain = g_steal_pointer (&text);

                text = g_strdup_printf (_("%s · sending"), plain);
              }
          }
          break;

        case CELL_TICKET_REPEAT:
          {
            guint n = fq_ticket_row_get_repeat_count (row);

            text = n > 0 ? g_strdup_printf (_("Repeat ×%u"), n + 1) : g_strdup ("");
            gtk_widget_set_visible (widget, n > 0);
          }
          break;

        case CELL_TICKET_BACKFLOW:
          text = format_backflow (fq_ticket_row_get_returned_count (row),
                                  fq_ticket_row_get_rejected_count (row),
                                  fq_ticket_row_get_reopened_count (row));
          gtk_widget_set_visible (widget, text[0] != '\0');
          if (text[0] != '\0')
            tooltip = _("Hard case: returned by a unit, resolution rejected, or reopened");
          break;

        case CELL_TICKET_UNIT:
          text = g_strdup (fq_ticket_row_get_lead_unit_name (row));
          tooltip = text;
          break;

        case CELL_TICKET_DEADLINE:
          {
            FqClockLook look;

            text = fq_format_ticket_clock (fq_ticket_row_get_state (row),
                                           fq_ticket_row_get_deadline (row),
                                           fq_ticket_row_get_dispatched_at (row),
                                           fq_ticket_row_get_overdue (row),
                                           fq_client_get_server_time () / G_USEC_PER_SEC, &look);
            /* "剩 4小时18分 · 签收超时" can be wider than the column. */
            tooltip = text;
            dim = look == FQ_CLOCK_DONE;
            warning = look == FQ_CLOCK_NEAR;
            error = look == FQ_CLOCK_LATE;
          }
          break;

        default:
          g_assert_not_reached ();
        }
    }

  /* gtk_label_set_label () lays the label out again even for the same
   * text. */
  if (g_strcmp0 (gtk_label_get_label (label), text) != 0)
    gtk_label_set_label (label, text);
  /* Kept for query-tooltip: gtk_widget_set_tooltip_text() asks the display
   * where the pointer is, a round trip to the X server for every cell of
   * every row a filter brings into view. */
  if (g_object_get_data (G_OBJECT (widget), "fq-has-tooltip") != NULL)
    g_object_set_data_full (G_OBJECT (widget), "fq-tooltip",
                            tooltip != NULL && tooltip[0] != '\0' ? g_strdup (tooltip) : NULL,
                            g_free);
  set_css_class (widget, "fq-fresh", fresh);
  set_css_class (widget, "fq-pending", pending);

  /* The pending mark is a colour on screen; a screen reader hears it with
   * the row's summary or title. */
  if ((kind == CELL_INCIDENT_SUMMARY || kind == CELL_TICKET_TITLE) &&
      !pending != !g_object_get_data (G_OBJECT (widget), "fq-pending"))
    {
      g_object_set_data (G_OBJECT (widget), "fq-pending", GINT_TO_POINTER (pending));
      if (pending)
        gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                        GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                        _("Pending: not yet confirmed by the server"),
                                        -1);
      else
        gtk_accessible_reset_property (GTK_ACCESSIBLE (widget),
                                       GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
    }

  set_css_class (widget, "fq-warning", warning);
  set_css_class (widget, "fq-error", error);
  set_css_class (widget, "dim-label", dim);
}

/* The properties of its row a cell shows, besides "fresh" and "pending",
 * which every cell shows. A row given another incident by a refilter
 * notifies a dozen at once: each cell is done again for its own only. */
static const char * const cell_props[][5] = {
  [CELL_INCIDENT_TIME] = { "received-at", NULL },
  [CELL_INCIDENT_SOURCE] = { "source", NULL },
  [CELL_INCIDENT_CATEGORY] = { "category-name", NULL },
  [CELL_INCIDENT_PLACE] = { "grid", "address", NULL },
  [CELL_INCIDENT_SUMMARY] = { "summary", NULL },
  [CELL_INCIDENT_STATUS] = { "status", "decision", NULL },
  [CELL_INCIDENT_REPEAT] = { "repeat-count", "repeat-of", NULL },
  [CELL_TICKET_TIME] = { "dispatched-at", "created-at", NULL },
  [CELL_TICKET_CATEGORY] = { "category-name", NULL },
  [CELL_TICKET_PLACE] = { "grid", NULL },
  [CELL_TICKET_TITLE] = { "title", NULL },
  [CELL_TICKET_STATE] = { "state", NULL },
  [CELL_TICKET_REPEAT] = { "repeat-count", NULL },
  [CELL_TICKET_BACKFLOW] = { "returned-count", "rejected-count", "reopened-count", NULL },
  [CELL_TICKET_UNIT] = { "lead-unit-name", NULL },
  [CELL_TICKET_DEADLINE] = { "state", "deadline", "dispatched-at", "overdue", NULL },
};

static gboolean
cell_shows (CellKind    kind,
            const char *name)
{
  if (strcmp (name, "fresh") == 0 || strcmp (name, "pending") == 0)
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (cell_props[kind]) && cell_props[kind][i] != NULL; i++)
    if (strcmp (name, cell_props[kind][i]) == 0)
      return TRUE;
  return FALSE;
}

static void
cell_item_notify_cb (GObject     *item,
                     GParamSpec  *pspec,
                     GtkListItem *list_item)
{
  FqIncidentBoard *self = g_object_get_data (G_OBJECT (list_item), "fq-board");
  CellKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (list_item), "fq-kind"));

  if (cell_shows (kind, pspec->name))
    cell_refresh (self, list_item);
}

static gboolean
cell_query_tooltip_cb (GtkWidget  *widget,
                       int         x,
                       int         y,
                       gboolean    keyboard_mode,
                       GtkTooltip *tooltip,
                       gpointer    user_data)
{
  const char *text = g_object_get_data (G_OBJECT (widget), "fq-tooltip");

  if (text == NULL)
    return FALSE;
  /* The cell's own text, shown whole, needs no tooltip. */
  if (g_strcmp0 (text, gtk_label_get_label (GTK_LABEL (widget))) == 0 &&
      !pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (widget))))
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
cell_setup_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               FqIncidentBoard          *self)
{
  CellKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "fq-kind"));
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_single_line_mode (GTK_LABEL (label), TRUE);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (label, "fq-cell");

  switch (kind)
    {
    case CELL_INCIDENT_TIME:
    case CELL_TICKET_TIME:
    case CELL_TICKET_DEADLINE:
      gtk_widget_add_css_class (label, "numeric");
      break;

    case CELL_INCIDENT_REPEAT:
    case CELL_TICKET_REPEAT:
    case CELL_TICKET_BACKFLOW:
      gtk_widget_add_css_class (label, "fq-repeat");
      gtk_widget_set_halign (label, GTK_ALIGN_START);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_NONE);
      break;

    default:
      break;
    }

  switch (kind)
    {
    case CELL_INCIDENT_PLACE:
    case CELL_INCIDENT_SUMMARY:
    case CELL_TICKET_TITLE:
    case CELL_TICKET_BACKFLOW:
    case CELL_TICKET_UNIT:
    case CELL_TICKET_DEADLINE:
      g_object_set_data (G_OBJECT (label), "fq-has-tooltip", GINT_TO_POINTER (TRUE));
      gtk_widget_set_has_tooltip (label, TRUE);
      g_signal_connect (label, "query-tooltip", G_CALLBACK (cell_query_tooltip_cb), NULL);
      break;

    default:
      break;
    }

  g_object_set_data (G_OBJECT (list_item), "fq-kind", GINT_TO_POINTER (kind));
  g_object_set_data (G_OBJECT (list_item), "fq-board", self);
  gtk_list_item_set_child (list_item, label);
}

static void
cell_bind_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              FqIncidentBoard          *self)
{
  GObject *item = gtk_list_item_get_item (list_item);
  CellKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (list_item), "fq-kind"));

  /* Rows are updated in place: a cell follows its row until unbound. */
  g_signal_connect (item, "notify", G_CALLBACK (cell_item_notify_cb), list_item);
  if (kind == CELL_TICKET_DEADLINE)
    g_hash_table_add (self->deadline_cells, list_item);

  cell_refresh (self, list_item);
}

static void
cell_unbind_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *list_item,
                FqIncidentBoard          *self)
{
  GObject *item = gtk_list_item_get_item (list_item);

  if (item != NULL)
    g_signal_handlers_disconnect_by_func (item, cell_item_notify_cb, list_item);
  g_hash_table_remove (self->deadline_cells, list_item);
}

static GtkListItemFactory *
cell_factory_new (FqIncidentBoard *self,
                  CellKind         kind)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_object_set_data (G_OBJECT (factory), "fq-kind", GINT_TO_POINTER (kind));
  g_signal_connect (factory, "setup", G_CALLBACK (cell_setup_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (cell_bind_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (cell_unbind_cb), self);

  return factory;
}

/* The countdowns move once a minute; only cells on screen are bound. */
static gboolean
clock_tick_cb (gpointer user_data)
{
  FqIncidentBoard *self = user_data;
  GHashTableIter iter;
  gpointer list_item;

  g_hash_table_iter_init (&iter, self->deadline_cells);
  while (g_hash_table_iter_next (&iter, &list_item, NULL))
    cell_refresh (self, list_item);

  return G_SOURCE_CONTINUE;
}

/* Sorting ------------------------------------------------------------------ */

/* GTK 4.8 has no API to read which column a GtkColumnViewSorter sorts by
 * (gtk_column_view_sorter_get_primary_sort_column() is 4.10). The lists sort
 * themselves off the main thread, so the columns' sorters never sort rows:
 * each only records that it was asked first. Comparing two probe objects
 * with the view's sorter therefore names the primary column, and the sign of
 * the answer its direction. */
static int
probe_compare (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  Probe *probe = user_data;

  if (probe->self->probe_hit < 0)
    probe->self->probe_hit = probe->sort;

  return GTK_ORDERING_SMALLER;
}

static gboolean
read_view_sort (FqIncidentBoard *self,
                GtkColumnView   *view,
                int             *sort,
                gboolean        *descending)
{
  GtkOrdering order;

  self->probe_hit = -1;
  order = gtk_sorter_compare (gtk_column_view_get_sorter (view), self->probe_a, self->probe_b);
  if (self->probe_hit < 0 || order == GTK_ORDERING_EQUAL)
    return FALSE;

  *sort = self->probe_hit;
  *descending = order == GTK_ORDERING_LARGER;

  return TRUE;
}

static void
incident_sorter_changed_cb (FqIncidentBoard *self)
{
  int sort;
  gboolean descending;

  if (self->context == NULL)
    return;

  if (!read_view_sort (self, self->incident_view, &sort, &descending))
    {
      sort = FQ_INCIDENT_SORT_TIME;
      descending = TRUE;
    }
  fq_incident_list_set_sort (fq_context_get_incidents (self->context), sort, descending);
}

static void
ticket_sorter_changed_cb (FqIncidentBoard *self)
{
  int sort;
  gboolean descending;

  if (self->context == NULL)
    return;

  if (!read_view_sort (self, self->ticket_view, &sort, &descending))
    {
      sort = FQ_TICKET_SORT_DEADLINE;
      descending = FALSE;
    }
  fq_ticket_list_set_sort (fq_context_get_tickets (self->context), sort, descending);
}

static void
setup_columns (FqIncidentBoard *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
    {
      GtkColumnViewColumn *column = column_at (self, i);
      g_autoptr(GtkListItemFactory) factory = NULL;

      g_assert (column != NULL);

      factory = cell_factory_new (self, columns[i].kind);
      gtk_column_view_column_set_factory (column, factory);

      if (columns[i].sort >= 0)
        {
          Probe *probe = g_new0 (Probe, 1);
          g_autoptr(GtkSorter) sorter = NULL;

          probe->self = self;
          probe->sort = columns[i].sort;
          sorter = GTK_SORTER (gtk_custom_sorter_new (probe_compare, probe, g_free));
          gtk_column_view_column_set_sorter (column, sorter);
        }
    }

  g_signal_connect_object (gtk_column_view_get_sorter (self->incident_view), "changed",
                           G_CALLBACK (incident_sorter_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_column_view_get_sorter (self->ticket_view), "changed",
                           G_CALLBACK (ticket_sorter_changed_cb), self, G_CONNECT_SWAPPED);
}

static void
restore_view_state (FqIncidentBoard *self,
                    GtkColumnView *view,
                    GSettings     *settings,
                    const char    *widths_key,
                    const char    *sort_key)
{
  g_autoptr(GVariant) widths = g_settings_get_value (settings, widths_key);
  g_autofree char *sort_id = NULL;
  gboolean descending;
  GVariantIter iter;
  const char *id;
  int width;
  GtkColumnViewColumn *column;

  g_variant_iter_init (&iter, widths);
  while (g_variant_iter_next (&iter, "{&si}", &id, &width))
    if ((column = find_column (self, view, id)) != NULL && width > 0)
      gtk_column_view_column_set_fixed_width (column, width);

  g_settings_get (settings, sort_key, "(sb)", &sort_id, &descending);
  if ((column = find_column (self, view, sort_id)) != NULL
      && gtk_column_view_column_get_column_view (column) == view
      && gtk_column_view_column_get_sorter (column) != NULL)
    gtk_column_view_sort_by_column (view, column,
                                    descending ? GTK_SORT_DESCENDING : GTK_SORT_ASCENDING);
}

static void
save_view_state (FqIncidentBoard *self,
                 GtkColumnView   *view,
                 GSettings       *settings,
                 const char      *widths_key,
                 const char      *sort_key)
{
  GListModel *model = gtk_column_view_get_columns (view);
  g_auto(GVariantBuilder) builder = G_VARIANT_BUILDER_INIT (G_VARIANT_TYPE ("a{si}"));
  guint n = g_list_model_get_n_items (model);
  int sort;
  gboolean descending;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (model, i);
      int width = gtk_column_view_column_get_fixed_width (column);
      const char *id = column_id (self, column);

      if (width > 0 && id != NULL)
        g_variant_builder_add (&builder, "{si}", id, width);
    }
  g_settings_set_value (settings, widths_key, g_variant_builder_end (&builder));

  if (read_view_sort (self, view, &sort, &descending))
    for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
      if (columns[i].sort == sort && columns[i].ticket == (view == self->ticket_view))
        g_settings_set (settings, sort_key, "(sb)", columns[i].id, descending);
}

/* Counts, selection, live rows --------------------------------------------- */

static void update_records_banner (FqIncidentBoard *self);

/* An empty list says why: still loading, still receiving the server's
 * records into a new cache (never "nothing waiting" while it is not whole,
 * and how far it has come), or nothing there. */
static void
update_empty_labels (FqIncidentBoard *self)
{
  FqIncidentList *incidents = fq_context_get_incidents (self->context);
  FqTicketList *tickets = fq_context_get_tickets (self->context);
  FqSync *sync = fq_context_get_sync (self->context);
  gboolean filling = sync != NULL && fq_sync_get_filling (sync);
  int percent = filling ? fq_catch_up_percent (sync) : -1;
  g_autofree char *incoming = NULL;
  g_autofree char *ticketing = NULL;

  if (fq_incident_list_get_loading (incidents))
    incoming = g_strdup (_("Loading…"));
  else if (percent >= 0)
    /* Translators: while a new cache fills; the share received so far. */
    incoming = g_strdup_printf (_("Receiving incidents from the server… %d%%"), percent);
  else if (filling)
    incoming = g_strdup (_("Receiving incidents from the server…"));
  else if (gtk_drop_down_get_selected (self->status_filter) == 0 &&
           gtk_editable_get_text (GTK_EDITABLE (self->search_entry))[0] == '\0')
    incoming = g_strdup (_("No incidents waiting for triage"));
  else
    incoming = g_strdup (_("No incidents match"));

  if (fq_ticket_list_get_loading (tickets))
    ticketing = g_strdup (_("Loading…"));
  else if (percent >= 0)
    /* Translators: while a new cache fills; the share received so far. */
    ticketing = g_strdup_printf (_("Receiving tickets from the server… %d%%"), percent);
  else if (filling)
    ticketing = g_strdup (_("Receiving tickets from the server…"));
  else
    ticketing = g_strdup (_("No tickets match"));

  gtk_label_set_label (self->incoming_empty, incoming);
  gtk_label_set_label (self->tickets_empty, ticketing);
  gtk_widget_set_visible (GTK_WIDGET (self->incoming_empty),
                          g_list_model_get_n_items (G_LIST_MODEL (incidents)) == 0 &&
                          fq_incident_board_get_page (self) == FQ_BOARD_PAGE_INCOMING);
  gtk_widget_set_visible (GTK_WIDGET (self->tickets_empty),
                          g_list_model_get_n_items (G_LIST_MODEL (tickets)) == 0 &&
                          fq_incident_board_get_page (self) == FQ_BOARD_PAGE_TICKETS);
}

static void
update_counts (FqIncidentBoard *self)
{
  FqIncidentList *incidents = fq_context_get_incidents (self->context);
  FqTicketList *tickets = fq_context_get_tickets (self->context);
  guint n_incidents = g_list_model_get_n_items (G_LIST_MODEL (incidents));
  guint n_tickets = g_list_model_get_n_items (G_LIST_MODEL (tickets));
  guint n_overdue = fq_ticket_list_get_n_overdue (tickets);
  g_autofree char *incidents_text = g_strdup_printf ("%u", n_incidents);
  g_autofree char *tickets_text = g_strdup_printf ("%u", n_tickets);
  g_autofree char *overdue_text = g_strdup_printf ("%u", n_overdue);
  g_autofree char *incoming_label = NULL;
  g_autofree char *tickets_label = NULL;

  gtk_label_set_label (self->incoming_count, incidents_text);
  gtk_label_set_label (self->tickets_count, tickets_text);
  gtk_label_set_label (self->overdue_count, overdue_text);
  gtk_widget_set_visible (GTK_WIDGET (self->overdue_count), n_overdue > 0);

  /* Translators: the accessible name of the tab, with its count. */
  incoming_label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Incoming, %u incident",
                                                 "Incoming, %u incidents", n_incidents),
                                    n_incidents);
  tickets_label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Tickets, %u, %u overdue",
                                                "Tickets, %u, %u overdue", n_tickets),
                                   n_tickets, n_overdue);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->incoming_tab),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, incoming_label, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->tickets_tab),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, tickets_label, -1);

  update_empty_labels (self);

  if (self->records_active)
    update_records_banner (self);
}

static GtkAdjustment *
incident_vadjustment (FqIncidentBoard *self)
{
  return gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->incident_view));
}

static gboolean
view_at_top (GtkColumnView *view)
{
  GtkAdjustment *adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view));

  return adj == NULL || gtk_adjustment_get_value (adj) <= gtk_adjustment_get_lower (adj) + 1;
}


/* GtkColumnView (4.8) has no scroll_to(); its inner list view has the
 * "list.scroll-to-item" action, which actions on the column view itself do
 * not reach. It also focuses (and so selects) the row. */
static void
column_view_scroll_to (GtkColumnView *view,
                       guint          position)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (view));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (GTK_IS_LIST_VIEW (child))
      {
        gtk_widget_activate_action (child, "list.scroll-to-item", "u", position);
        return;
      }
}

/* Shows the first row of @view if it is asked to (*@wanted) and on screen;
 * a view on the page not shown keeps the request until it is mapped
 * (view_mapped_cb()): its adjustment does not move while it has no size. */
static void
set_view_at_top (GtkColumnView *view,
                 gboolean      *wanted)
{
  GtkAdjustment *adj = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (view));

  if (!*wanted || !gtk_widget_get_mapped (GTK_WIDGET (view)))
    return;
  if (adj != NULL)
    gtk_adjustment_set_value (adj, gtk_adjustment_get_lower (adj));
  *wanted = FALSE;
}

/* Also when the board is unrealized: its frame clock may go first, and
 * its handlers with it. The requests stay (view_mapped_cb()). */
static void
scroll_top_cancel (FqIncidentBoard *self)
{
  if (self->scroll_top_clock != NULL && self->scroll_top_id != 0 &&
      g_signal_handler_is_connected (self->scroll_top_clock, self->scroll_top_id))
    g_signal_handler_disconnect (self->scroll_top_clock, self->scroll_top_id);
  self->scroll_top_id = 0;
  g_clear_object (&self->scroll_top_clock);
}

/* Shows row @position of @view, asked for as *@id (scroll_to_row()), if
 * @view is on screen, and forgets the request. */
static void
scroll_to_wanted_row (GtkColumnView  *view,
                      char          **id,
                      guint           position)
{
  if (!gtk_widget_get_mapped (GTK_WIDGET (view)))
    return;
  if (position != G_MAXUINT)
    column_view_scroll_to (view, position);
  g_clear_pointer (id, g_free);
}

/* The top not with "list.scroll-to-item": in GTK 4.8 it also moves the
 * keyboard focus to the row, which selects it. A row asked for
 * (scroll_to_row()) with it: that row is the one selected. */
static void
scroll_top_cb (GdkFrameClock   *clock,
               FqIncidentBoard *self)
{
  scroll_top_cancel (self);
  set_view_at_top (self->incident_view, &self->scroll_incidents_top);
  set_view_at_top (self->ticket_view, &self->scroll_tickets_top);
  if (self->context != NULL && self->scroll_to_incident != NULL)
    scroll_to_wanted_row (self->incident_view, &self->scroll_to_incident,
                          fq_incident_list_find (fq_context_get_incidents (self->context),
                                                 self->scroll_to_incident));
  if (self->context != NULL && self->scroll_to_ticket != NULL)
    scroll_to_wanted_row (self->ticket_view, &self->scroll_to_ticket,
                          fq_ticket_list_find (fq_context_get_tickets (self->context),
                                               self->scroll_to_ticket));
}

/* Once the next frame has been laid out and drawn. A view keeps the rows it
 * shows in place when rows come above them: it moves its adjustment when it
 * is next laid out, so the scroll comes after that. (A fixed delay was not
 * enough while the console is busy filling its cache: the layout came later
 * and left Incoming a few rows down.) Unrealized, the board asks again when
 * a view is mapped (view_mapped_cb()). */
static void
scroll_top_after_next_frame (FqIncidentBoard *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

  if (self->scroll_top_id != 0 || clock == NULL)
    return;
  self->scroll_top_clock = g_object_ref (clock);
  self->scroll_top_id = g_signal_connect (clock, "after-paint", G_CALLBACK (scroll_top_cb), self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* After the view has taken in the change: it keeps the rows that were in
 * view where they were, so it is told to show the first one. */
static void
scroll_to_top (FqIncidentBoard *self,
               GtkColumnView   *view)
{
  if (view == self->incident_view)
    self->scroll_incidents_top = TRUE;
  else
    self->scroll_tickets_top = TRUE;
  scroll_top_after_next_frame (self);
}

static void
view_mapped_cb (FqIncidentBoard *self)
{
  if (self->scroll_incidents_top || self->scroll_tickets_top || self->scroll_to_incident != NULL ||
      self->scroll_to_ticket != NULL)
    scroll_top_after_next_frame (self);
}

static void
scroll_incidents_to_top (FqIncidentBoard *self)
{
  self->n_new_rows = 0;
  gtk_revealer_set_reveal_child (self->new_rows_revealer, FALSE);
  scroll_to_top (self, self->incident_view);
}

/* A new cache fills oldest first, so the rows that sort first come last:
 * the newest calls in Incoming, and in Tickets the running tickets, above
 * the resolved ones already in view. GtkColumnView keeps the rows in view
 * in place, and the lists opened several rows (Incoming) or some ninety rows
 * (Tickets) down. While the cache fills, a view at the top stays there. */
static void
keep_at_top_while_filling (FqIncidentBoard *self,
                           GtkColumnView   *view,
                           gboolean         wanted,
                           guint            added)
{
  FqSync *sync = fq_context_get_sync (self->context);

  if (added > 0 && sync != NULL && fq_sync_get_filling (sync) && (wanted || view_at_top (view)))
    scroll_to_top (self, view);
}

static void
tickets_items_changed_cb (FqIncidentBoard *self,
                          guint            position,
                          guint            removed,
                          guint            added,
                          GListModel      *model)
{
  keep_at_top_while_filling (self, self->ticket_view, self->scroll_tickets_top, added);
  update_counts (self);
}

/* The fill is over: a list nobody has picked a row from yet opens on its
 * first rows, wherever the rows that came meanwhile left it. */
static void
filling_changed_cb (FqIncidentBoard *self)
{
  FqSync *sync = fq_context_get_sync (self->context);

  if (sync != NULL && !fq_sync_get_filling (sync))
    {
      if (self->incident_selected_id == NULL)
        scroll_to_top (self, self->incident_view);
      if (self->ticket_selected_id == NULL)
        scroll_to_top (self, self->ticket_view);
    }
  update_counts (self);
}

/* GTK 4.8: when the item of the row that has the keyboard focus leaves the
 * model, the row widget is taken out of the list but stays the window's
 * focus, so that the keys reach no row. Such a widget is in no window any
 * more. */
static gboolean
focus_is_lost (FqIncidentBoard *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  return focus != NULL && gtk_widget_get_root (focus) == NULL;
}

/* Gives the keyboard focus to incident row @position (or the last row),
 * which selects it; to the "incoming" tab when the list is empty. */
static void
focus_incident_row (FqIncidentBoard *self,
                    guint            position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (fq_context_get_incidents (self->context)));

  if (n == 0)
    {
      gtk_widget_grab_focus (GTK_WIDGET (self->incoming_tab));
      return;
    }
  gtk_single_selection_set_selected (self->incident_selection, MIN (position, n - 1));
  gtk_widget_grab_focus (GTK_WIDGET (self->incident_view));
  column_view_scroll_to (self->incident_view, MIN (position, n - 1));
}

/* After the list view has taken the change in. */
static gboolean
refocus_cb (gpointer data)
{
  FqIncidentBoard *self = data;

  self->refocus_id = 0;
  if (focus_is_lost (self))
    focus_incident_row (self, self->incident_removed_at);
  return G_SOURCE_REMOVE;
}

/* New calls arrive at the top. GtkColumnView keeps the rows in view where
 * they are when rows are inserted above them, so nothing moves under the
 * pointer; the operator is told how many came in instead. Without a pointer
 * over the list and at the top already, the list simply shows them. */
static void
incidents_items_changed_cb (FqIncidentBoard *self,
                            guint            position,
                            guint            removed,
                            guint            added,
                            GListModel      *model)
{
  gboolean newest_first = fq_incident_list_get_sort_column (FQ_INCIDENT_LIST (model)) == FQ_INCIDENT_SORT_TIME
                          && fq_incident_list_get_sort_descending (FQ_INCIDENT_LIST (model));

  keep_at_top_while_filling (self, self->incident_view, self->scroll_incidents_top, added);

  /* The row with the focus left (it was triaged, here or elsewhere): the
   * focus goes to the row that took its place. */
  if (removed > 0)
    {
      self->incident_removed_at = position;
      if (focus_is_lost (self) && self->refocus_id == 0)
        self->refocus_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, refocus_cb, self, NULL);
    }

  /* Only live arrivals: a load or a refilter replaces the rows wholesale
   * (all removed, then all added: the second alone looks like arrivals).
   * A scroll to the top still waiting for its frame counts as at the top:
   * the view has moved down for the rows before these. */
  if (removed == 0 && added > 0 && added <= 20 && position == 0 && newest_first
      && self->incidents_loaded && !fq_incident_list_get_loading (FQ_INCIDENT_LIST (model)))
    {
      if (self->pointer_in_incidents ||
          (!view_at_top (self->incident_view) && !self->scroll_incidents_top))
        {
          g_autofree char *text = NULL;

          self->n_new_rows += added;
          text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u new incident",
                                               "%u new incidents", self->n_new_rows),
                                  self->n_new_rows);
          gtk_button_set_label (self->new_rows_button, text);
          gtk_revealer_set_reveal_child (self->new_rows_revealer, TRUE);
        }
      else
        scroll_incidents_to_top (self);
    }
  /* Rows that come above the row the view keeps in place (its anchor, which
   * is not always the first one shown) move the view down too: calls of
   * the same second, which sort below the first rows, and changes a busy
   * console takes in together. A view at the top with no pointer over it
   * stays at the top. */
  else if (removed == 0 && added > 0 && !self->pointer_in_incidents &&
           (self->scroll_incidents_top || view_at_top (self->incident_view)))
    scroll_to_top (self, self->incident_view);

  update_counts (self);
}

static void
incidents_loaded_cb (FqIncidentBoard *self)
{
  self->incidents_loaded = TRUE;
}

static void
new_rows_button_clicked_cb (FqIncidentBoard *self)
{
  scroll_incidents_to_top (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->incident_view));
}

static void
incidents_pointer_enter_cb (FqIncidentBoard *self)
{
  self->pointer_in_incidents = TRUE;
}

static void
incidents_pointer_leave_cb (FqIncidentBoard *self)
{
  self->pointer_in_incidents = FALSE;
}

static void
incidents_scrolled_cb (FqIncidentBoard *self)
{
  if (self->n_new_rows > 0 && view_at_top (self->incident_view))
    {
      self->n_new_rows = 0;
      gtk_revealer_set_reveal_child (self->new_rows_revealer, FALSE);
    }
}

/* A refilter of many rows replaces them all at once (see fq-row-store.c):
 * the selected row's item keeps its incident, and the change around its
 * position takes the selection away for a moment unless the row stays
 * there. While the list is loading such a result the loss is not passed
 * on; when the result is in, the row is selected again if it is still
 * shown, and only otherwise is the selection said to be gone. Returns
 * whether @id is news to pass on. */
static gboolean
selection_changed (const char  *id,
                   char       **selected_id,
                   gboolean    *restore,
                   gboolean     loading)
{
  if (id == NULL && *selected_id != NULL && loading)
    {
      *restore = TRUE;
      return FALSE;
    }
  if (*restore)
    {
      *restore = FALSE;
      if (g_strcmp0 (id, *selected_id) == 0)
        return FALSE;
    }
  /* The selected row moved by the result: no news. */
  if (loading && id != NULL && g_strcmp0 (id, *selected_id) == 0)
    return FALSE;
  g_free (*selected_id);
  *selected_id = g_strdup (id);
  return TRUE;
}

static void
incident_selection_cb (FqIncidentBoard *self)
{
  FqIncidentRow *row = gtk_single_selection_get_selected_item (self->incident_selection);
  const char *id = row != NULL ? fq_incident_row_get_id (row) : NULL;
  gboolean loading = self->context != NULL
                     && fq_incident_list_get_loading (fq_context_get_incidents (self->context));

  if (selection_changed (id, &self->incident_selected_id, &self->incident_restore, loading))
    g_signal_emit (self, signals[INCIDENT_SELECTED], 0, id);
  /* A refilter gives the other rows' items new incidents, not this one. */
  if (self->context != NULL)
    fq_incident_list_set_selected_id (fq_context_get_incidents (self->context),
                                      self->incident_selected_id);
}

static void
ticket_selection_cb (FqIncidentBoard *self)
{
  FqTicketRow *row = gtk_single_selection_get_selected_item (self->ticket_selection);
  const char *id = row != NULL ? fq_ticket_row_get_id (row) : NULL;
  gboolean loading = self->context != NULL
                     && fq_ticket_list_get_loading (fq_context_get_tickets (self->context));

  if (selection_changed (id, &self->ticket_selected_id, &self->ticket_restore, loading))
    g_signal_emit (self, signals[TICKET_SELECTED], 0, id);
  if (self->context != NULL)
    fq_ticket_list_set_selected_id (fq_context_get_tickets (self->context),
                                    self->ticket_selected_id);
}

static void
restore_incident_selection (FqIncidentBoard *self)
{
  FqIncidentList *incidents = fq_context_get_incidents (self->context);
  guint position;

  if (!self->incident_restore || fq_incident_list_get_loading (incidents))
    return;

  position = fq_incident_list_find (incidents, self->incident_selected_id);
  if (position != G_MAXUINT)
    gtk_single_selection_set_selected (self->incident_selection, position);
  else
    {
      self->incident_restore = FALSE;
      g_clear_pointer (&self->incident_selected_id, g_free);
      fq_incident_list_set_selected_id (incidents, NULL);
      g_signal_emit (self, signals[INCIDENT_SELECTED], 0, NULL);
    }
}

static void
restore_ticket_selection (FqIncidentBoard *self)
{
  FqTicketList *tickets = fq_context_get_tickets (self->context);
  guint position;

  if (!self->ticket_restore || fq_ticket_list_get_loading (tickets))
    return;

  position = fq_ticket_list_find (tickets, self->ticket_selected_id);
  if (position != G_MAXUINT)
    gtk_single_selection_set_selected (self->ticket_selection, position);
  else
    {
      self->ticket_restore = FALSE;
      g_clear_pointer (&self->ticket_selected_id, g_free);
      fq_ticket_list_set_selected_id (tickets, NULL);
      g_signal_emit (self, signals[TICKET_SELECTED], 0, NULL);
    }
}

static gboolean fq_incident_board_grab_focus_page (FqIncidentBoard *self);

/* FQ_TRACE_STARTUP: the frame that shows a text filter's result. */
static void
trace_filter_paint_cb (FqIncidentBoard *self,
                       GdkFrameClock   *clock)
{
  fq_trace_mark ("filter-painted");
  g_clear_signal_handler (&self->trace_filter_paint_id, clock);
}

static void
incidents_loading_cb (FqIncidentBoard *self)
{
  /* FQ_TRACE_STARTUP: a text filter's result is in the model, all of it
   * (it may come as "all removed" and "all added"); then it is drawn. */
  if (self->trace_filter_pending && !fq_incident_list_get_loading (fq_context_get_incidents (self->context)))
    {
      GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self->incident_view));

      self->trace_filter_pending = FALSE;
      fq_trace_mark ("filter-applied");
      if (clock != NULL && self->trace_filter_paint_id == 0)
        {
          self->trace_filter_paint_id = g_signal_connect_object (clock, "after-paint",
                                                                 G_CALLBACK (trace_filter_paint_cb),
                                                                 self, G_CONNECT_SWAPPED);
          /* A result that changes nothing in view still gets its frame. */
          gtk_widget_queue_draw (GTK_WIDGET (self->incident_view));
        }
    }

  restore_incident_selection (self);
  update_counts (self);
}

static void
tickets_loading_cb (FqIncidentBoard *self)
{
  restore_ticket_selection (self);
  update_counts (self);
}

static void
view_activate_cb (FqIncidentBoard *self,
                  guint            position,
                  GtkColumnView   *view)
{
  /* The row activated is the one shown, even if the keyboard reached it
   * without selecting it (after its neighbour left the list). */
  if (view == self->incident_view)
    {
      gtk_single_selection_set_selected (self->incident_selection, position);
      incident_selection_cb (self);
    }
  else
    {
      gtk_single_selection_set_selected (self->ticket_selection, position);
      ticket_selection_cb (self);
    }

  g_signal_emit (self, signals[ROW_ACTIVATED], 0);
}

/* Filters ------------------------------------------------------------------ */

static void
show_status_column (FqIncidentBoard *self,
                    gboolean         show)
{
  GtkColumnViewColumn *column = self->incident_status_column;
  gboolean shown = gtk_column_view_column_get_column_view (column) != NULL;

  if (show == shown)
    return;

  if (show)
    gtk_column_view_insert_column (self->incident_view, 5, column);
  else
    gtk_column_view_remove_column (self->incident_view, column);
}

static void
filters_changed_cb (FqIncidentBoard *self)
{
  FqIncidentList *incidents;
  FqTicketList *tickets;
  guint source, status, state, group;
  const char *group_code;

  if (self->context == NULL)
    return;

  incidents = fq_context_get_incidents (self->context);
  tickets = fq_context_get_tickets (self->context);

  source = gtk_drop_down_get_selected (self->source_filter);
  fq_incident_list_set_source (incidents, source == 0 || source == GTK_INVALID_LIST_POSITION
                                          ? -1 : (int)source - 1);

  status = gtk_drop_down_get_selected (self->status_filter);
  fq_incident_list_set_status (incidents, status == 0 ? FQ_INCIDENT_STATUS_NEW
                                          : status == 1 ? FQ_INCIDENT_STATUS_TRIAGED : -1);
  /* Every row awaiting triage would say so: the summary gets the room. The
   * column is taken out rather than hidden, as GTK 4.8 keeps the width of a
   * hidden column empty at the end of the rows. */
  show_status_column (self, status != 0);

  /* 0 open, 1 dispatched, 2 accepted, 3 resolved, 4 returned, 5 closed, 6 all */
  state = gtk_drop_down_get_selected (self->state_filter);
  switch (state)
    {
    case 1:
      fq_ticket_list_set_state (tickets, FQ_TICKET_STATE_DISPATCHED);
      break;
    case 2:
      fq_ticket_list_set_state (tickets, FQ_TICKET_STATE_ACCEPTED);
      break;
    case 3:
      fq_ticket_list_set_state (tickets, FQ_TICKET_STATE_RESOLVED);
      break;
    case 4:
      fq_ticket_list_set_state (tickets, FQ_TICKET_STATE_RETURNED);
      break;
    case 5:
      fq_ticket_list_set_state (tickets, FQ_TICKET_STATE_CLOSED);
      break;
    default:
      fq_ticket_list_set_state (tickets, -1);
      break;
    }
  fq_ticket_list_set_include_closed (tickets, state == 5 || state == 6);

  group = gtk_drop_down_get_selected (self->group_filter);
  group_code = self->group_codes != NULL && group != GTK_INVALID_LIST_POSITION
               && group < self->group_codes->len
               ? g_ptr_array_index (self->group_codes, group) : NULL;
  fq_incident_list_set_category_group (incidents, group_code);
  fq_ticket_list_set_category_group (tickets, group_code);

  fq_ticket_list_set_overdue_only (tickets, gtk_toggle_button_get_active (self->overdue_toggle));
  fq_ticket_list_set_hard_only (tickets, gtk_toggle_button_get_active (self->hard_toggle));
  fq_ticket_list_set_unit (tickets, gtk_toggle_button_get_active (self->my_unit_toggle)
                                    ? fq_context_get_unit (self->context) : NULL);
}

static void
search_changed_cb (FqIncidentBoard *self,
                   GtkSearchEntry  *entry)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));

  if (self->context == NULL)
    return;

  self->trace_filter_pending = fq_trace_enabled ();
  if (self->trace_filter_pending)
    fq_trace_mark ("filter-key");
  fq_incident_list_set_query (fq_context_get_incidents (self->context), text);
  fq_ticket_list_set_query (fq_context_get_tickets (self->context), text);

  /* A refilter keeps the list where it was scrolled (its rows are reused,
   * see fq-row-store.c); a new search shows its first results, unless a
   * call is open, which then stays in view where the list puts it. */
  if (self->incident_selected_id == NULL)
    scroll_incidents_to_top (self);
}

/* The first frame with rows drawn: the incident list may read the rest of
 * the cache now (fq_context holds it until then, to not compete with that
 * frame for the processor). */
static void
after_paint_cb (FqIncidentBoard *self,
                GdkFrameClock   *clock)
{
  FqIncidentList *incidents;

  if (self->context == NULL)
    return;

  incidents = fq_context_get_incidents (self->context);
  if (incidents == NULL || g_list_model_get_n_items (G_LIST_MODEL (incidents)) == 0)
    return;

  fq_incident_list_hold_rest (incidents, FALSE);
  g_clear_signal_handler (&self->paint_id, clock);
}

static void
map_cb (FqIncidentBoard *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

  if (clock == NULL || self->paint_id != 0)
    return;
  self->paint_id = g_signal_connect_object (clock, "after-paint", G_CALLBACK (after_paint_cb),
                                            self, G_CONNECT_SWAPPED);
}

/* FQ_TRACE_STARTUP: the first frame drawn with rows on the board. */
static void
trace_after_paint_cb (FqIncidentBoard *self,
                      GdkFrameClock   *clock)
{
  GListModel *model = G_LIST_MODEL (gtk_column_view_get_model (self->incident_view));

  if (model == NULL || g_list_model_get_n_items (model) == 0 ||
      !gtk_widget_get_mapped (GTK_WIDGET (self->incident_view)))
    return;

  fq_trace_mark ("first-paint");
  g_clear_signal_handler (&self->trace_paint_id, clock);
}

static void
trace_map_cb (FqIncidentBoard *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

  g_signal_handlers_disconnect_by_func (self, trace_map_cb, self);
  if (clock == NULL)
    return;
  self->trace_paint_id = g_signal_connect_object (clock, "after-paint",
                                                  G_CALLBACK (trace_after_paint_cb), self,
                                                  G_CONNECT_SWAPPED);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
search_stop_cb (FqIncidentBoard *self,
                GtkSearchEntry  *entry)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  gtk_widget_grab_focus (GTK_WIDGET (self));
}

/* The category groups of the filter come from the reference data, named
 * as the server names them (GET /categories); until the names are known, a
 * group is shown by its first category and its size: "婚姻纠纷等（6类）". */
static void
rebuild_groups (FqIncidentBoard *self)
{
  GListModel *categories = fq_context_get_categories (self->context);
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  g_autoptr(GHashTable) sizes = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) firsts = g_ptr_array_new_with_free_func (g_object_unref);
  guint n = g_list_model_get_n_items (categories);
  g_autofree char *old_code = NULL;
  guint selected = 0;
  guint old_selected = gtk_drop_down_get_selected (self->group_filter);

  if (self->group_codes != NULL && old_selected != GTK_INVALID_LIST_POSITION &&
      old_selected < self->group_codes->len)
    old_code = g_strdup (g_ptr_array_index (self->group_codes, old_selected));

  g_clear_pointer (&self->group_codes, g_ptr_array_unref);
  self->group_codes = g_ptr_array_new_with_free_func (g_free);

  gtk_string_list_append (names, _("All categories"));
  g_ptr_array_add (self->group_codes, NULL);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(FqCategory) category = g_list_model_get_item (categories, i);
      const char *group = fq_category_get_group (category);
      guint size;

      if (group == NULL)
        continue;
      size = GPOINTER_TO_UINT (g_hash_table_lookup (sizes, group));
      if (size == 0)
        {
          g_ptr_array_add (self->group_codes, g_strdup (group));
          g_ptr_array_add (firsts, g_object_ref (category));
        }
      /* The key belongs to the category, which the model keeps alive. */
      g_hash_table_insert (sizes, (gpointer)group, GUINT_TO_POINTER (size + 1));
    }

  for (guint i = 0; i < firsts->len; i++)
    {
      FqCategory *first = g_ptr_array_index (firsts, i);
      guint size = GPOINTER_TO_UINT (g_hash_table_lookup (sizes, fq_category_get_group (first)));
      g_autofree char *label = NULL;

      const char *group_name = fq_context_lookup_category_group_name (self->context,
                                                                      fq_category_get_group (first));

      if (group_name != NULL)
        /* Translators: a group of categories, by its name and its number
         * of categories. */
        label = g_strdup_printf (_("%s (%u categories)"), group_name, size);
      else
        /* Translators: a group of categories, by its first category's name
         * and its number of categories. */
        label = g_strdup_printf (_("%s etc. (%u categories)"), fq_category_get_name (first), size);
      gtk_string_list_append (names, label);
    }

  /* The group a person chose stays chosen when the list is labelled again. */
  for (guint i = 1; old_code != NULL && i < self->group_codes->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->group_codes, i), old_code) == 0)
      {
        selected = i;
        break;
      }

  g_signal_handlers_block_by_func (self->group_filter, filters_changed_cb, self);
  gtk_drop_down_set_model (self->group_filter, G_LIST_MODEL (names));
  gtk_drop_down_set_selected (self->group_filter, selected);
  g_signal_handlers_unblock_by_func (self->group_filter, filters_changed_cb, self);

  if (old_code != NULL && selected == 0)
    filters_changed_cb (self);
}

static void
page_toggled_cb (FqIncidentBoard *self)
{
  gboolean tickets = gtk_toggle_button_get_active (self->tickets_tab);
  gboolean unit_user = self->context != NULL
                       && fq_context_get_role (self->context) == FQ_ROLE_UNIT;

  gtk_stack_set_visible_child_name (self->page_stack, tickets ? "tickets" : "incoming");
  gtk_widget_set_visible (GTK_WIDGET (self->source_filter), !tickets);
  gtk_widget_set_visible (GTK_WIDGET (self->status_filter), !tickets);
  gtk_widget_set_visible (GTK_WIDGET (self->state_filter), tickets);
  gtk_widget_set_visible (GTK_WIDGET (self->overdue_toggle), tickets);
  gtk_widget_set_visible (GTK_WIDGET (self->hard_toggle), tickets);
  gtk_widget_set_visible (GTK_WIDGET (self->my_unit_toggle), tickets && unit_user);
  if (self->context != NULL)
    update_counts (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAGE]);
}

/* Records: "explain this number" ----------------------------------------- */

static void
update_records_banner (FqIncidentBoard *self)
{
  g_autofree char *text = NULL;
  guint shown;

  if (!self->records_active || self->context == NULL)
    return;

  shown = self->records_page == FQ_BOARD_PAGE_TICKETS
          ? g_list_model_get_n_items (G_LIST_MODEL (fq_context_get_tickets (self->context)))
          : g_list_model_get_n_items (G_LIST_MODEL (fq_context_get_incidents (self->context)));

  if (shown < self->records_count
      && !(self->records_page == FQ_BOARD_PAGE_TICKETS
           ? fq_ticket_list_get_loading (fq_context_get_tickets (self->context))
           : fq_incident_list_get_loading (fq_context_get_incidents (self->context))))
    /* Translators: the banner over the board when it shows the records
     * behind a number: the number's title, how many records, and how many
     * of them this console does not have. */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s: %u record, %u not in this console",
                                         "%s: %u records, %u not in this console",
                                         self->records_count),
                            self->records_title, self->records_count,
                            self->records_count - shown);
  else
    /* Translators: the banner over the board when it shows the records
     * behind a number: the number's title and how many records. */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s: %u record", "%s: %u records",
                                         self->records_count),
                            self->records_title, self->records_count);

  if (g_strcmp0 (gtk_label_get_label (self->records_label), text) != 0)
    gtk_label_set_label (self->records_label, text);
}

/* While records are shown, every other filter is cleared and cannot be
 * used: the page shows exactly the records, nothing else decides. */
static void
set_filters_sensitive (FqIncidentBoard *self,
                       gboolean         sensitive)
{
  GtkWidget *filters[] = {
    GTK_WIDGET (self->status_filter), GTK_WIDGET (self->state_filter),
    GTK_WIDGET (self->source_filter), GTK_WIDGET (self->group_filter),
    GTK_WIDGET (self->overdue_toggle), GTK_WIDGET (self->my_unit_toggle),
    GTK_WIDGET (self->hard_toggle), GTK_WIDGET (self->search_entry),
  };

  for (guint i = 0; i < G_N_ELEMENTS (filters); i++)
    gtk_widget_set_sensitive (filters[i], sensitive);
}

/* The filters as the board opens with them for this user. */
static void
reset_filters (FqIncidentBoard *self)
{
  gboolean unit_queue = self->context != NULL
                        && fq_context_get_role (self->context) == FQ_ROLE_UNIT
                        && fq_context_get_unit (self->context) != NULL;

  gtk_drop_down_set_selected (self->status_filter, 0);
  gtk_drop_down_set_selected (self->state_filter, 0);
  gtk_drop_down_set_selected (self->source_filter, 0);
  gtk_drop_down_set_selected (self->group_filter, 0);
  gtk_toggle_button_set_active (self->overdue_toggle, FALSE);
  gtk_toggle_button_set_active (self->hard_toggle, FALSE);
  gtk_toggle_button_set_active (self->my_unit_toggle, unit_queue && !self->records_active);
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  filters_changed_cb (self);
}

static void
records_show_all_clicked_cb (FqIncidentBoard *self)
{
  gboolean had_focus = gtk_widget_has_focus (GTK_WIDGET (self->records_show_all));

  fq_incident_board_clear_records (self);
  if (had_focus)
    fq_incident_board_grab_focus_page (self);
}

/* GObject ------------------------------------------------------------------ */

static gboolean
fq_incident_board_grab_focus_page (FqIncidentBoard *self)
{
  return gtk_widget_grab_focus (GTK_WIDGET (fq_incident_board_get_page (self) == FQ_BOARD_PAGE_TICKETS
                                            ? self->ticket_view : self->incident_view));
}

static gboolean
fq_incident_board_grab_focus (GtkWidget *widget)
{
  FqIncidentBoard *self = (FqIncidentBoard *)widget;

  if (gtk_toggle_button_get_active (self->tickets_tab))
    return gtk_widget_grab_focus (GTK_WIDGET (self->ticket_view));

  return gtk_widget_grab_focus (GTK_WIDGET (self->incident_view));
}

static void
disconnect_context (FqIncidentBoard *self)
{
  if (self->context == NULL)
    return;

  g_signal_handlers_disconnect_by_data (fq_context_get_incidents (self->context), self);
  g_signal_handlers_disconnect_by_data (fq_context_get_tickets (self->context), self);
  g_signal_handlers_disconnect_by_data (fq_context_get_categories (self->context), self);
  g_signal_handlers_disconnect_by_data (self->context, self);
  if (fq_context_get_sync (self->context) != NULL)
    g_signal_handlers_disconnect_by_data (fq_context_get_sync (self->context), self);
}

static void
fq_incident_board_dispose (GObject *object)
{
  FqIncidentBoard *self = (FqIncidentBoard *)object;
  /* The template forgets its children (and their pointers); the extra
   * reference is ours, dropped once the column view has let go. */
  GtkColumnViewColumn *status_column = g_steal_pointer (&self->incident_status_column);

  g_clear_handle_id (&self->clock_id, g_source_remove);
  g_clear_handle_id (&self->refocus_id, g_source_remove);
  scroll_top_cancel (self);
  disconnect_context (self);

  gtk_widget_dispose_template (GTK_WIDGET (self), FQ_TYPE_INCIDENT_BOARD);
  g_clear_object (&status_column);

  g_clear_object (&self->incident_selection);
  g_clear_object (&self->ticket_selection);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (fq_incident_board_parent_class)->dispose (object);
}

static void
fq_incident_board_finalize (GObject *object)
{
  FqIncidentBoard *self = (FqIncidentBoard *)object;

  g_clear_pointer (&self->deadline_cells, g_hash_table_unref);
  g_clear_pointer (&self->group_codes, g_ptr_array_unref);
  g_clear_pointer (&self->incident_selected_id, g_free);
  g_clear_pointer (&self->ticket_selected_id, g_free);
  g_clear_pointer (&self->scroll_to_incident, g_free);
  g_clear_pointer (&self->scroll_to_ticket, g_free);
  g_clear_pointer (&self->records_title, g_free);
  g_clear_object (&self->probe_a);
  g_clear_object (&self->probe_b);

  G_OBJECT_CLASS (fq_incident_board_parent_class)->finalize (object);
}

static void
fq_incident_board_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  FqIncidentBoard *self = FQ_INCIDENT_BOARD (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;

    case PROP_PAGE:
      g_value_set_int (value, fq_incident_board_get_page (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_incident_board_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  FqIncidentBoard *self = FQ_INCIDENT_BOARD (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      fq_incident_board_set_context (self, g_value_get_object (value));
      break;

    case PROP_PAGE:
      fq_incident_board_set_page (self, g_value_get_int (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_incident_board_class_init (FqIncidentBoardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fq_incident_board_dispose;
  object_class->finalize = fq_incident_board_finalize;
  object_class->get_property = fq_incident_board_get_property;
  object_class->set_property = fq_incident_board_set_property;

  widget_class->grab_focus = fq_incident_board_grab_focus;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL,
                         FQ_TYPE_CONTEXT,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_PAGE] =
    g_param_spec_int ("page", NULL, NULL,
                      FQ_BOARD_PAGE_INCOMING, FQ_BOARD_PAGE_TICKETS, FQ_BOARD_PAGE_INCOMING,
                      (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[INCIDENT_SELECTED] =
    g_signal_new ("incident-selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[TICKET_SELECTED] =
    g_signal_new ("ticket-selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[ROW_ACTIVATED] =
    g_signal_new ("row-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/cn/fengqiao/Console/fq-incident-board.ui");
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, incoming_tab);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, tickets_tab);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, incoming_count);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, tickets_count);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, overdue_count);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, source_filter);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, status_filter);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, state_filter);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, group_filter);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, overdue_toggle);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, my_unit_toggle);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, hard_toggle);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, records_revealer);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, records_label);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, records_show_all);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, search_entry);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, page_stack);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, incident_view);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, ticket_view);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, incoming_empty);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, tickets_empty);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, new_rows_revealer);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, new_rows_button);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, incident_time_column);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, incident_source_column);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, incident_category_column);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, incident_place_column);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, incident_summary_column);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, incident_status_column);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, incident_repeat_column);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, ticket_time_column);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, ticket_category_column);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, ticket_place_column);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, ticket_title_column);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, ticket_state_column);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, ticket_repeat_column);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, ticket_backflow_column);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, ticket_unit_column);
  gtk_widget_class_bind_template_child (widget_class, FqIncidentBoard, ticket_deadline_column);
  gtk_widget_class_bind_template_callback (widget_class, filters_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_stop_cb);
  gtk_widget_class_bind_template_callback (widget_class, page_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, view_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, new_rows_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, records_show_all_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, incidents_pointer_enter_cb);
  gtk_widget_class_bind_template_callback (widget_class, view_mapped_cb);
  gtk_widget_class_bind_template_callback (widget_class, incidents_pointer_leave_cb);
}

static void
fq_incident_board_init (FqIncidentBoard *self)
{
  self->deadline_cells = g_hash_table_new (NULL, NULL);
  self->probe_a = g_object_new (G_TYPE_OBJECT, NULL);
  self->probe_b = g_object_new (G_TYPE_OBJECT, NULL);
  self->probe_hit = -1;

  gtk_widget_init_template (GTK_WIDGET (self));

  fq_fix_mnemonic_accessible_labels (GTK_WIDGET (self));
  fq_fix_list_popups (GTK_WIDGET (self));

  if (fq_trace_enabled ())
    g_signal_connect (self, "map", G_CALLBACK (trace_map_cb), self);
  g_signal_connect (self, "map", G_CALLBACK (map_cb), self);
  g_signal_connect (self, "unrealize", G_CALLBACK (scroll_top_cancel), NULL);

  /* Taken out of the view and put back by the status filter. */
  g_object_ref (self->incident_status_column);

  setup_columns (self);
  page_toggled_cb (self);

  self->clock_id = g_timeout_add_seconds (30, clock_tick_cb, self);
}

GtkWidget *
fq_incident_board_new (void)
{
  return g_object_new (FQ_TYPE_INCIDENT_BOARD, NULL);
}

void
fq_incident_board_set_context (FqIncidentBoard *self,
                               FqContext       *context)
{
  GSettings *settings;
  FqIncidentList *incidents;
  FqTicketList *tickets;
  GtkAdjustment *adj;
  gboolean unit_queue;

  g_return_if_fail (FQ_IS_INCIDENT_BOARD (self));
  g_return_if_fail (!context || FQ_IS_CONTEXT (context));

  if (self->context == context)
    return;

  if (self->records_active)
    {
      self->records_active = FALSE;
      gtk_revealer_set_reveal_child (self->records_revealer, FALSE);
      set_filters_sensitive (self, TRUE);
    }
  self->incident_restore = self->ticket_restore = FALSE;
  g_clear_pointer (&self->incident_selected_id, g_free);
  g_clear_pointer (&self->ticket_selected_id, g_free);

  disconnect_context (self);
  gtk_column_view_set_model (self->incident_view, NULL);
  gtk_column_view_set_model (self->ticket_view, NULL);
  g_clear_object (&self->incident_selection);
  g_clear_object (&self->ticket_selection);
  g_set_object (&self->context, context);

  if (context == NULL)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTEXT]);
      return;
    }

  incidents = fq_context_get_incidents (context);
  tickets = fq_context_get_tickets (context);
  settings = fq_context_get_settings (context);

  /* The lists filter and sort themselves on a worker: the views get them
   * directly, under a selection only. */
  /* Nothing is selected until the user selects it: autoselect is off from
   * construction on, or the first row would be picked as the list fills. */
  self->incident_selection = g_object_new (GTK_TYPE_SINGLE_SELECTION,
                                           "autoselect", FALSE,
                                           "can-unselect", TRUE,
                                           "model", incidents,
                                           NULL);
  g_signal_connect_object (self->incident_selection, "notify::selected-item",
                           G_CALLBACK (incident_selection_cb), self, G_CONNECT_SWAPPED);
  gtk_column_view_set_model (self->incident_view, GTK_SELECTION_MODEL (self->incident_selection));

  self->ticket_selection = g_object_new (GTK_TYPE_SINGLE_SELECTION,
                                         "autoselect", FALSE,
                                         "can-unselect", TRUE,
                                         "model", tickets,
                                         NULL);
  g_signal_connect_object (self->ticket_selection, "notify::selected-item",
                           G_CALLBACK (ticket_selection_cb), self, G_CONNECT_SWAPPED);
  gtk_column_view_set_model (self->ticket_view, GTK_SELECTION_MODEL (self->ticket_selection));

  g_signal_connect_swapped (incidents, "items-changed", G_CALLBACK (incidents_items_changed_cb), self);
  g_signal_connect_swapped (incidents, "notify::loading", G_CALLBACK (incidents_loading_cb), self);
  g_signal_connect_swapped (incidents, "loaded", G_CALLBACK (incidents_loaded_cb), self);
  self->incidents_loaded = !fq_incident_list_get_loading (incidents);
  g_signal_connect_swapped (tickets, "items-changed", G_CALLBACK (tickets_items_changed_cb), self);
  g_signal_connect_swapped (tickets, "notify::n-overdue", G_CALLBACK (update_counts), self);
  g_signal_connect_swapped (tickets, "notify::loading", G_CALLBACK (tickets_loading_cb), self);
  g_signal_connect_swapped (fq_context_get_categories (context), "items-changed",
                            G_CALLBACK (rebuild_groups), self);
  g_signal_connect_object (context, "category-groups-changed",
                           G_CALLBACK (rebuild_groups), self, G_CONNECT_SWAPPED);
  if (fq_context_get_sync (context) != NULL)
    {
      g_signal_connect_swapped (fq_context_get_sync (context), "notify::filling",
                                G_CALLBACK (filling_changed_cb), self);
      g_signal_connect_swapped (fq_context_get_sync (context), "notify::progress",
                                G_CALLBACK (update_empty_labels), self);
    }

  adj = incident_vadjustment (self);
  if (adj != NULL)
    g_signal_connect_object (adj, "value-changed", G_CALLBACK (incidents_scrolled_cb),
                             self, G_CONNECT_SWAPPED);

  restore_view_state (self, self->incident_view, settings, "incoming-column-widths", "incoming-sort");
  restore_view_state (self, self->ticket_view, settings, "ticket-column-widths", "ticket-sort");
  incident_sorter_changed_cb (self);
  ticket_sorter_changed_cb (self);

  /* A unit's board opens on its queue: its tickets by deadline, those
   * waiting for its acceptance first. */
  unit_queue = fq_context_get_role (context) == FQ_ROLE_UNIT && fq_context_get_unit (context) != NULL;
  fq_ticket_list_set_acceptance_first (tickets, unit_queue);
  if (unit_queue)
    {
      gtk_toggle_button_set_active (self->my_unit_toggle, TRUE);
      gtk_column_view_sort_by_column (self->ticket_view, self->ticket_deadline_column,
                                      GTK_SORT_ASCENDING);
    }

  fq_incident_board_set_page (self, unit_queue ? FQ_BOARD_PAGE_TICKETS
                                               : g_settings_get_enum (settings, "board-page"));

  rebuild_groups (self);
  filters_changed_cb (self);
  page_toggled_cb (self);
  update_counts (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTEXT]);
}

FqContext *
fq_incident_board_get_context (FqIncidentBoard *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT_BOARD (self), NULL);

  return self->context;
}

void
fq_incident_board_set_scope (FqIncidentBoard *self,
                             const char      *prefix)
{
  g_return_if_fail (FQ_IS_INCIDENT_BOARD (self));

  if (self->context == NULL)
    return;

  fq_incident_list_set_scope (fq_context_get_incidents (self->context), prefix);
  fq_ticket_list_set_scope (fq_context_get_tickets (self->context), prefix);
}

void
fq_incident_board_set_page (FqIncidentBoard *self,
                            FqBoardPage      page)
{
  g_return_if_fail (FQ_IS_INCIDENT_BOARD (self));

  if (page == FQ_BOARD_PAGE_TICKETS)
    gtk_toggle_button_set_active (self->tickets_tab, TRUE);
  else
    gtk_toggle_button_set_active (self->incoming_tab, TRUE);
}

FqBoardPage
fq_incident_board_get_page (FqIncidentBoard *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT_BOARD (self), FQ_BOARD_PAGE_INCOMING);

  return gtk_toggle_button_get_active (self->tickets_tab)
         ? FQ_BOARD_PAGE_TICKETS : FQ_BOARD_PAGE_INCOMING;
}

void
fq_incident_board_focus_search (FqIncidentBoard *self)
{
  g_return_if_fail (FQ_IS_INCIDENT_BOARD (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

void
fq_incident_board_toggle_overdue (FqIncidentBoard *self)
{
  g_return_if_fail (FQ_IS_INCIDENT_BOARD (self));

  gtk_toggle_button_set_active (self->overdue_toggle,
                                !gtk_toggle_button_get_active (self->overdue_toggle));
}

/* Shows row @position (of @id) of @view: at once if the view is laid out,
 * else once it is (*@wanted, after its next frame). Scrolled before it has
 * a size, GTK 4.8's list view draws no rows at all until it is scrolled by
 * hand: seen when a session's ticket was opened on a board whose tickets
 * page had not been shown yet. */
static void
scroll_to_row (FqIncidentBoard  *self,
               GtkColumnView    *view,
               char            **wanted,
               guint             position,
               const char       *id)
{
  if (gtk_widget_get_mapped (GTK_WIDGET (view)) && gtk_widget_get_height (GTK_WIDGET (view)) > 0)
    {
      g_clear_pointer (wanted, g_free);
      column_view_scroll_to (view, position);
      return;
    }
  g_free (*wanted);
  *wanted = g_strdup (id);
  scroll_top_after_next_frame (self);
}

void
fq_incident_board_select_incident (FqIncidentBoard *self,
                                   const char      *id)
{
  guint position;

  g_return_if_fail (FQ_IS_INCIDENT_BOARD (self));

  if (self->context == NULL || id == NULL)
    return;

  fq_incident_board_set_page (self, FQ_BOARD_PAGE_INCOMING);
  position = fq_incident_list_find (fq_context_get_incidents (self->context), id);
  if (position == G_MAXUINT)
    return;

  gtk_single_selection_set_selected (self->incident_selection, position);
  scroll_to_row (self, self->incident_view, &self->scroll_to_incident, position, id);
}

/* The next incident is the one below @id, or above it at the end of the
 * list; if @id has left the list already, the one that took its place. */
void
fq_incident_board_focus_next_incident (FqIncidentBoard *self,
                                       const char      *id)
{
  FqIncidentList *incidents;
  guint position, n;

  g_return_if_fail (FQ_IS_INCIDENT_BOARD (self));

  if (self->context == NULL)
    return;

  fq_incident_board_set_page (self, FQ_BOARD_PAGE_INCOMING);
  incidents = fq_context_get_incidents (self->context);
  position = id != NULL ? fq_incident_list_find (incidents, id) : G_MAXUINT;
  n = g_list_model_get_n_items (G_LIST_MODEL (incidents));
  if (position == G_MAXUINT)
    focus_incident_row (self, self->incident_removed_at);
  else if (n < 2)
    gtk_widget_grab_focus (GTK_WIDGET (self->incoming_tab));
  else
    focus_incident_row (self, position + 1 < n ? position + 1 : position - 1);
}

void
fq_incident_board_select_ticket (FqIncidentBoard *self,
                                 const char      *id)
{
  guint position;

  g_return_if_fail (FQ_IS_INCIDENT_BOARD (self));

  if (self->context == NULL || id == NULL)
    return;

  fq_incident_board_set_page (self, FQ_BOARD_PAGE_TICKETS);
  position = fq_ticket_list_find (fq_context_get_tickets (self->context), id);
  if (position == G_MAXUINT)
    return;

  gtk_single_selection_set_selected (self->ticket_selection, position);
  scroll_to_row (self, self->ticket_view, &self->scroll_to_ticket, position, id);
}

void
fq_incident_board_save_state (FqIncidentBoard *self)
{
  GSettings *settings;

  g_return_if_fail (FQ_IS_INCIDENT_BOARD (self));

  if (self->context == NULL)
    return;

  settings = fq_context_get_settings (self->context);
  save_view_state (self, self->incident_view, settings, "incoming-column-widths", "incoming-sort");
  save_view_state (self, self->ticket_view, settings, "ticket-column-widths", "ticket-sort");
  g_settings_set_enum (settings, "board-page", fq_incident_board_get_page (self));
}

void
fq_incident_board_show_records (FqIncidentBoard    *board,
                                FqBoardPage         page,
                                const char         *title,
                                const char * const *ids)
{
  static const char * const none[] = { NULL };
  g_autoptr(GHashTable) unique = NULL;
  FqIncidentList *incidents;
  FqTicketList *tickets;

  g_return_if_fail (FQ_IS_INCIDENT_BOARD (board));
  g_return_if_fail (page == FQ_BOARD_PAGE_INCOMING || page == FQ_BOARD_PAGE_TICKETS);

  if (board->context == NULL)
    return;

  incidents = fq_context_get_incidents (board->context);
  tickets = fq_context_get_tickets (board->context);

  unique = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; ids != NULL && ids[i] != NULL; i++)
    if (ids[i][0] != '\0')
      g_hash_table_add (unique, (gpointer)ids[i]);

  board->records_active = TRUE;
  board->records_page = page;
  board->records_count = g_hash_table_size (unique);
  g_free (board->records_title);
  board->records_title = g_strdup (title != NULL && title[0] != '\0' ? title : _("Records"));

  reset_filters (board);
  set_filters_sensitive (board, FALSE);

  fq_incident_list_set_ids (incidents, page == FQ_BOARD_PAGE_INCOMING ? (ids ? ids : none) : NULL);
  fq_ticket_list_set_ids (tickets, page == FQ_BOARD_PAGE_TICKETS ? (ids ? ids : none) : NULL);

  fq_incident_board_set_page (board, page);
  update_records_banner (board);
  gtk_revealer_set_reveal_child (board->records_revealer, TRUE);
  /* Said once by a screen reader: what the page now shows. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (board->records_show_all),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  gtk_label_get_label (board->records_label), -1);
  update_counts (board);
}

void
fq_incident_board_clear_records (FqIncidentBoard *self)
{
  g_return_if_fail (FQ_IS_INCIDENT_BOARD (self));

  if (!self->records_active)
    return;

  self->records_active = FALSE;
  g_clear_pointer (&self->records_title, g_free);
  gtk_revealer_set_reveal_child (self->records_revealer, FALSE);
  gtk_accessible_reset_property (GTK_ACCESSIBLE (self->records_show_all),
                                 GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);

  if (self->context != NULL)
    {
      fq_incident_list_set_ids (fq_context_get_incidents (self->context), NULL);
      fq_ticket_list_set_ids (fq_context_get_tickets (self->context), NULL);
    }
  set_filters_sensitive (self, TRUE);
  reset_filters (self);
  if (self->context != NULL)
    update_counts (self);
}

gboolean
fq_incident_board_get_records_active (FqIncidentBoard *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT_BOARD (self), FALSE);

  return self->records_active;
}

const char *
fq_incident_board_get_records_text (FqIncidentBoard *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT_BOARD (self), NULL);

  return self->records_active ? gtk_label_get_label (self->records_label) : NULL;
}
