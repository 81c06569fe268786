/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "fq-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(FqApplication) app = NULL;

  const char *localedir = LOCALEDIR;

  setlocale (LC_ALL, "");

#ifdef FQ_BUILD_LOCALEDIR
  /* An uninstalled console uses the catalogues of its build folder. */
  {
    g_autofree char *mo = g_build_filename (LOCALEDIR, "zh_CN", "LC_MESSAGES",
                                            GETTEXT_PACKAGE ".mo", NULL);

    if (!g_file_test (mo, G_FILE_TEST_EXISTS))
      localedir = FQ_BUILD_LOCALEDIR;
  }
#endif

  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = fq_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
