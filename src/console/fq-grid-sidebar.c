/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "fq-grid-sidebar"

#include "config.h"

#include <glib/gi18n.h>

#include "fq-grid-sidebar.h"
#include "fq-ui-util.h"

struct _FqGridSidebar
{
  AdwBin              parent_instance;

  /* Template widgets */
  GtkSearchEntry     *search_entry;
  GtkListView        *list_view;
  GtkLabel           *status_label;

  /* Owned */
  FqContext          *context;
  GtkTreeListModel   *tree;
  GtkSingleSelection *selection;
  char               *scope_prefix;
  char               *scope_name;
  gboolean            root_expanded;
  guint               expand_root_id;
};

G_DEFINE_FINAL_TYPE (FqGridSidebar, fq_grid_sidebar, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_SCOPE_PREFIX,
  PROP_SCOPE_NAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Parts of one row, kept on its list item. */
typedef struct
{
  GtkTreeExpander *expander;
  GtkLabel        *name;
  GtkLabel        *open;
  GtkLabel        *overdue;
  FqGridItem      *item;     /* borrowed while bound */
} Cell;

static void
cell_update (Cell *cell)
{
  guint n_open = fq_grid_item_get_n_open (cell->item);
  guint n_overdue = fq_grid_item_get_n_overdue (cell->item);
  guint n_new = fq_grid_item_get_n_new_today (cell->item);
  g_autofree char *open_text = g_strdup_printf ("%u", n_open);
  g_autofree char *overdue_text = g_strdup_printf ("%u", n_overdue);
  g_autofree char *description = NULL;

  gtk_label_set_label (cell->name, fq_grid_item_get_name (cell->item));
  gtk_label_set_label (cell->open, open_text);
  gtk_widget_set_visible (GTK_WIDGET (cell->open), n_open > 0);
  gtk_label_set_label (cell->overdue, overdue_text);
  gtk_widget_set_visible (GTK_WIDGET (cell->overdue), n_overdue > 0);

  /* Translators: the counts of a place in the grid tree, read by screen
   * readers and shown as a tooltip. */
  description = g_strdup_printf (_("%u open tickets, %u overdue, %u new incidents today"),
                                 n_open, n_overdue, n_new);
  gtk_widget_set_tooltip_text (GTK_WIDGET (cell->expander), description);
  gtk_accessible_update_property (GTK_ACCESSIBLE (cell->expander),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, fq_grid_item_get_name (cell->item),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                  -1);
}

static void
item_notify_cb (GObject    *item,
                GParamSpec *pspec,
                gpointer    user_data)
{
  cell_update (user_data);
}

static GtkLabel *
new_badge (const char *css_class)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_widget_add_css_class (label, "fq-count");
  gtk_widget_add_css_class (label, css_class);
  gtk_widget_set_valign (label, GTK_ALIGN_CENTER);

  return GTK_LABEL (label);
}

static void
factory_setup_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *list_item,
                  FqGridSidebar            *self)
{
  Cell *cell = g_new0 (Cell, 1);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);

  cell->expander = GTK_TREE_EXPANDER (gtk_tree_expander_new ());
  cell->name = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (cell->name, 0);
  gtk_label_set_ellipsize (cell->name, PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (GTK_WIDGET (cell->name), TRUE);
  cell->open = new_badge ("fq-count-open");
  cell->overdue = new_badge ("fq-count-overdue");

  gtk_box_append (GTK_BOX (box), GTK_WIDGET (cell->name));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (cell->open));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (cell->overdue));
  gtk_tree_expander_set_child (cell->expander, box);

  gtk_list_item_set_child (list_item, GTK_WIDGET (cell->expander));
  g_object_set_data_full (G_OBJECT (list_item), "fq-cell", cell, g_free);
}

static void
factory_bind_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *list_item,
                 FqGridSidebar            *self)
{
  Cell *cell = g_object_get_data (G_OBJECT (list_item), "fq-cell");
  GtkTreeListRow *row = gtk_list_item_get_item (list_item);

  gtk_tree_expander_set_list_row (cell->expander, row);
  cell->item = gtk_tree_list_row_get_item (row);
  g_object_unref (cell->item); /* kept alive by the row */
  g_signal_connect (cell->item, "notify", G_CALLBACK (item_notify_cb), cell);
  cell_update (cell);
}

static void
factory_unbind_cb (GtkSignalListItemFactory *factory,
                   GtkListItem              *list_item,
                   FqGridSidebar            *self)
{
  Cell *cell = g_object_get_data (G_OBJECT (list_item), "fq-cell");

  if (cell->item != NULL)
    g_signal_handlers_disconnect_by_func (cell->item, item_notify_cb, cell);
  cell->item = NULL;
  gtk_tree_expander_set_list_row (cell->expander, NULL);
}

static FqGridItem *
item_at (FqGridSidebar *self,
         guint          position,
         guint         *depth)
{
  g_autoptr(GtkTreeListRow) row = gtk_tree_list_model_get_row (self->tree, position);
  FqGridItem *item;

  if (row == NULL)
    return NULL;

  if (depth != NULL)
    *depth = gtk_tree_list_row_get_depth (row);
  item = gtk_tree_list_row_get_item (row);
  g_object_unref (item); /* kept alive by the model */

  return item;
}

static void
selection_changed_cb (FqGridSidebar *self)
{
  guint position = gtk_single_selection_get_selected (self->selection);
  FqGridItem *item = position != GTK_INVALID_LIST_POSITION ? item_at (self, position, NULL) : NULL;
  const char *prefix = item != NULL ? fq_grid_item_get_prefix (item) : NULL;
  const char *name = item != NULL ? fq_grid_item_get_name (item) : NULL;

  if (g_strcmp0 (prefix, self->scope_prefix) == 0)
    return;

  g_free (self->scope_prefix);
  self->scope_prefix = g_strdup (prefix);
  g_free (self->scope_name);
  self->scope_name = g_strdup (name);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCOPE_NAME]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SCOPE_PREFIX]);
}

static gboolean
expand_root_cb (gpointer user_data)
{
  FqGridSidebar *self = user_data;
  g_autoptr(GtkTreeListRow) row = NULL;

  self->expand_root_id = 0;

  if (self->tree != NULL)
    row = gtk_tree_list_model_get_row (self->tree, 0);
  if (row != NULL && gtk_tree_list_row_is_expandable (row))
    {
      self->root_expanded = TRUE;
      gtk_tree_list_row_set_expanded (row, TRUE);
    }

  return G_SOURCE_REMOVE;
}

/* The scope root is opened once, when the grid first arrives, so that the
 * districts are in view. Not from inside items-changed: the views of the
 * model are still taking in the change. */
static void
tree_items_changed_cb (FqGridSidebar *self,
                       guint          position,
                       guint          removed,
                       guint          added,
                       GListModel    *model)
{
  /* The grid model replaces its roots when the reference data changes;
   * the new root is opened again. */
  if (position == 0 && removed > 0)
    self->root_expanded = FALSE;

  if (self->root_expanded || self->expand_root_id != 0 || g_list_model_get_n_items (model) == 0)
    return;

  self->expand_root_id = g_idle_add (expand_root_cb, self);
}

static gboolean
reveal_path (FqGridSidebar      *self,
             const char * const *path)
{
  guint start = 0;
  guint found = GTK_INVALID_LIST_POSITION;

  for (guint d = 0; path[d] != NULL; d++)
    {
      guint n = g_list_model_get_n_items (G_LIST_MODEL (self->tree));

      found = GTK_INVALID_LIST_POSITION;
      for (guint i = start; i < n; i++)
        {
          guint depth = 0;
          FqGridItem *item = item_at (self, i, &depth);

          if (item == NULL)
            break;
          /* Left the subtree of the node found one level up. */
          if (d > 0 && depth < d)
            break;
          if (depth == d && g_str_equal (fq_grid_item_get_code (item), path[d]))
            {
              found = i;
              break;
            }
        }

      if (found == GTK_INVALID_LIST_POSITION)
        return FALSE;

      if (path[d + 1] != NULL)
        {
          g_autoptr(GtkTreeListRow) row = gtk_tree_list_model_get_row (self->tree, found);

          gtk_tree_list_row_set_expanded (row, TRUE);
          start = found + 1;
        }
    }

  gtk_single_selection_set_selected (self->selection, found);
  gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", found);

  return TRUE;
}

static gboolean
find (FqGridSidebar *self,
      const char    *text,
      gboolean       next)
{
  FqGridModel *grid;
  g_auto(GStrv) path = NULL;
  const char *after = NULL;

  if (self->context == NULL || text == NULL || text[0] == '\0')
    {
      gtk_widget_set_visible (GTK_WIDGET (self->status_label), FALSE);
      return FALSE;
    }

  grid = fq_context_get_grid (self->context);
  if (next)
    {
      guint position = gtk_single_selection_get_selected (self->selection);
      FqGridItem *item = position != GTK_INVALID_LIST_POSITION ? item_at (self, position, NULL) : NULL;

      if (item != NULL)
        after = fq_grid_item_get_code (item);
    }

  path = fq_grid_model_find (grid, text, after);
  if (path == NULL || !reveal_path (self, (const char * const *)path))
    {
      g_autofree char *message = NULL;

      /* Translators: %s is what the user typed into the place search. */
      message = g_strdup_printf (_("No place named “%s”"), text);
      gtk_label_set_label (self->status_label, message);
      gtk_widget_set_visible (GTK_WIDGET (self->status_label), TRUE);
      return FALSE;
    }

  gtk_widget_set_visible (GTK_WIDGET (self->status_label), FALSE);
  return TRUE;
}

static void
search_changed_cb (FqGridSidebar  *self,
                   GtkSearchEntry *entry)
{
  find (self, gtk_editable_get_text (GTK_EDITABLE (entry)), FALSE);
}

static void
search_next_cb (FqGridSidebar  *self,
                GtkSearchEntry *entry)
{
  find (self, gtk_editable_get_text (GTK_EDITABLE (entry)), TRUE);
}

static void
search_stop_cb (FqGridSidebar  *self,
                GtkSearchEntry *entry)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  gtk_widget_grab_focus (GTK_WIDGET (self->list_view));
}

static void
list_view_activate_cb (FqGridSidebar *self,
                       guint          position,
                       GtkListView   *list_view)
{
  g_autoptr(GtkTreeListRow) row = gtk_tree_list_model_get_row (self->tree, position);

  if (row != NULL && gtk_tree_list_row_is_expandable (row))
    gtk_tree_list_row_set_expanded (row, !gtk_tree_list_row_get_expanded (row));
}

static gboolean
fq_grid_sidebar_grab_focus (GtkWidget *widget)
{
  FqGridSidebar *self = (FqGridSidebar *)widget;

  return gtk_widget_grab_focus (GTK_WIDGET (self->list_view));
}

static void
fq_grid_sidebar_dispose (GObject *object)
{
  FqGridSidebar *self = (FqGridSidebar *)object;

  g_clear_handle_id (&self->expand_root_id, g_source_remove);

  gtk_widget_dispose_template (GTK_WIDGET (self), FQ_TYPE_GRID_SIDEBAR);

  g_clear_object (&self->selection);
  g_clear_object (&self->tree);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (fq_grid_sidebar_parent_class)->dispose (object);
}

static void
fq_grid_sidebar_finalize (GObject *object)
{
  FqGridSidebar *self = (FqGridSidebar *)object;

  g_clear_pointer (&self->scope_prefix, g_free);
  g_clear_pointer (&self->scope_name, g_free);

  G_OBJECT_CLASS (fq_grid_sidebar_parent_class)->finalize (object);
}

static void
fq_grid_sidebar_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  FqGridSidebar *self = FQ_GRID_SIDEBAR (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;

    case PROP_SCOPE_PREFIX:
      g_value_set_string (value, self->scope_prefix);
      break;

    case PROP_SCOPE_NAME:
      g_value_set_string (value, self->scope_name);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_grid_sidebar_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  FqGridSidebar *self = FQ_GRID_SIDEBAR (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      fq_grid_sidebar_set_context (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_grid_sidebar_class_init (FqGridSidebarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fq_grid_sidebar_dispose;
  object_class->finalize = fq_grid_sidebar_finalize;
  object_class->get_property = fq_grid_sidebar_get_property;
  object_class->set_property = fq_grid_sidebar_set_property;

  widget_class->grab_focus = fq_grid_sidebar_grab_focus;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL,
                         FQ_TYPE_CONTEXT,
                         (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties[PROP_SCOPE_PREFIX] =
    g_param_spec_string ("scope-prefix", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  properties[PROP_SCOPE_NAME] =
    g_param_spec_string ("scope-name", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/cn/fengqiao/Console/fq-grid-sidebar.ui");
  gtk_widget_class_bind_template_child (widget_class, FqGridSidebar, search_entry);
  gtk_widget_class_bind_template_child (widget_class, FqGridSidebar, list_view);
  gtk_widget_class_bind_template_child (widget_class, FqGridSidebar, status_label);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_next_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_stop_cb);
  gtk_widget_class_bind_template_callback (widget_class, list_view_activate_cb);
}

static void
fq_grid_sidebar_init (FqGridSidebar *self)
{
  GtkListItemFactory *factory;

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Status lines are read out as they change; buttons by their words. */
  fq_label_track_accessible_label (self->status_label);
  fq_fix_mnemonic_accessible_labels (GTK_WIDGET (self));

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (factory_setup_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (factory_bind_cb), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (factory_unbind_cb), self);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);

  gtk_search_entry_set_key_capture_widget (self->search_entry, GTK_WIDGET (self->list_view));
}

GtkWidget *
fq_grid_sidebar_new (void)
{
  return g_object_new (FQ_TYPE_GRID_SIDEBAR, NULL);
}

void
fq_grid_sidebar_set_context (FqGridSidebar *self,
                             FqContext     *context)
{
  FqGridModel *grid;

  g_return_if_fail (FQ_IS_GRID_SIDEBAR (self));
  g_return_if_fail (!context || FQ_IS_CONTEXT (context));

  if (!g_set_object (&self->context, context))
    return;

  gtk_list_view_set_model (self->list_view, NULL);
  g_clear_object (&self->selection);
  g_clear_object (&self->tree);
  g_clear_handle_id (&self->expand_root_id, g_source_remove);
  self->root_expanded = FALSE;

  if (context != NULL)
    {
      /* The chain: FqGridModel roots → GtkTreeListModel (children on
       * demand from fq_grid_model_create_child_model) → GtkSingleSelection
       * → the list view. The grid model keeps code order, which is the
       * official order of the divisions, so no sorter sits in between. */
      grid = fq_context_get_grid (context);
      self->tree = gtk_tree_list_model_new (g_object_ref (fq_grid_model_get_roots (grid)),
                                            FALSE, FALSE,
                                            fq_grid_model_create_child_model,
                                            g_object_ref (grid), g_object_unref);
      g_signal_connect_object (self->tree, "items-changed",
                               G_CALLBACK (tree_items_changed_cb), self, G_CONNECT_SWAPPED);
      self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->tree)));
      gtk_single_selection_set_can_unselect (self->selection, FALSE);
      g_signal_connect_object (self->selection, "notify::selected",
                               G_CALLBACK (selection_changed_cb), self, G_CONNECT_SWAPPED);
      gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));
      tree_items_changed_cb (self, 0, 0, 0, G_LIST_MODEL (self->tree));
      selection_changed_cb (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTEXT]);
}

FqContext *
fq_grid_sidebar_get_context (FqGridSidebar *self)
{
  g_return_val_if_fail (FQ_IS_GRID_SIDEBAR (self), NULL);

  return self->context;
}

const char *
fq_grid_sidebar_get_scope_prefix (FqGridSidebar *self)
{
  g_return_val_if_fail (FQ_IS_GRID_SIDEBAR (self), NULL);

  return self->scope_prefix;
}

const char *
fq_grid_sidebar_get_scope_name (FqGridSidebar *self)
{
  g_return_val_if_fail (FQ_IS_GRID_SIDEBAR (self), NULL);

  return self->scope_name;
}

gboolean
fq_grid_sidebar_reveal (FqGridSidebar *self,
                        const char    *text)
{
  g_return_val_if_fail (FQ_IS_GRID_SIDEBAR (self), FALSE);

  return find (self, text, FALSE);
}

void
fq_grid_sidebar_focus_search (FqGridSidebar *self)
{
  g_return_if_fail (FQ_IS_GRID_SIDEBAR (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}
