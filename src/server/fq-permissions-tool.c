/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <stdio.h>

#include "fq-permissions.h"

/*
 * fengqiao-permissions: prints the permission matrix as Markdown, the text
 * of docs/permissions.md (`meson compile permissions-doc` writes it there).
 */

int
main (int   argc,
      char *argv[])
{
  g_autofree char *text = fq_permissions_to_markdown ();

  if (argc > 1)
    {
      fprintf (stderr, "usage: fengqiao-permissions > docs/permissions.md\n");
      return 2;
    }
  fputs (text, stdout);
  return fflush (stdout) == 0 ? 0 : 1;
}
