/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * Helpers shared by the widget tests: what a widget tree shows.
 */

#include <string.h>

#include <gtk/gtk.h>

/* TRUE if a label under @root (or @root) shows @needle. */
G_GNUC_UNUSED static gboolean
fq_test_has_label (GtkWidget  *root,
                   const char *needle)
{
  if (GTK_IS_LABEL (root) && strstr (gtk_label_get_label (GTK_LABEL (root)), needle) != NULL)
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (fq_test_has_label (child, needle))
      return TRUE;
  return FALSE;
}

/* For fq_test_wait (fq_test_label_cond, &cond, …). */
typedef struct
{
  GtkWidget  *root;
  const char *needle;
} FqTestLabelCond;

G_GNUC_UNUSED static gboolean
fq_test_label_cond (gpointer data)
{
  FqTestLabelCond *cond = data;

  return fq_test_has_label (cond->root, cond->needle);
}

/* The first widget of @type under @root (depth first), or NULL. */
G_GNUC_UNUSED static GtkWidget *
fq_test_find_descendant (GtkWidget *root,
                         GType      type)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        return child;
      if ((found = fq_test_find_descendant (child, type)) != NULL)
        return found;
    }
  return NULL;
}
