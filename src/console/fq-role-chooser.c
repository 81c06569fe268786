/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "fq-role-chooser"

#include "config.h"

#include <glib/gi18n.h>

#include "fq-role-chooser.h"
#include "fq-ui-util.h"

struct _FqRoleChooser
{
  AdwBin      parent_instance;

  /* Template widgets */
  GtkListBox *roles_list;
};

G_DEFINE_FINAL_TYPE (FqRoleChooser, fq_role_chooser, ADW_TYPE_BIN)

enum {
  ROLE_CHOSEN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The demo users of `fengqiao-server --demo`; each row of the template
 * carries its user name as its widget name. */
static void
roles_list_row_activated_cb (FqRoleChooser *self,
                             GtkListBoxRow *row,
                             GtkListBox    *list)
{
  const char *username = gtk_widget_get_name (GTK_WIDGET (row));

  g_assert (FQ_IS_ROLE_CHOOSER (self));

  g_signal_emit (self, signals[ROLE_CHOSEN], 0, username);
}

static gboolean
fq_role_chooser_grab_focus (GtkWidget *widget)
{
  FqRoleChooser *self = (FqRoleChooser *)widget;
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->roles_list, 0);

  return row != NULL && gtk_widget_grab_focus (GTK_WIDGET (row));
}

static void
fq_role_chooser_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), FQ_TYPE_ROLE_CHOOSER);

  G_OBJECT_CLASS (fq_role_chooser_parent_class)->dispose (object);
}

static void
fq_role_chooser_class_init (FqRoleChooserClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = fq_role_chooser_dispose;
  widget_class->grab_focus = fq_role_chooser_grab_focus;

  signals[ROLE_CHOSEN] =
    g_signal_new ("role-chosen",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/cn/fengqiao/Console/fq-role-chooser.ui");
  gtk_widget_class_bind_template_child (widget_class, FqRoleChooser, roles_list);
  gtk_widget_class_bind_template_callback (widget_class, roles_list_row_activated_cb);
}

static void
fq_role_chooser_init (FqRoleChooser *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  fq_fix_mnemonic_accessible_labels (GTK_WIDGET (self));
}

GtkWidget *
fq_role_chooser_new (void)
{
  return g_object_new (FQ_TYPE_ROLE_CHOOSER, NULL);
}
