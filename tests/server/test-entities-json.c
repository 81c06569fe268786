/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The server's JSON writers (src/server/fq-entities.c), which write text
 * straight into a GString: every text comes back from a JSON parser as it
 * went in, whatever bytes need escaping and wherever they stand, and every
 * integer as it was, the extremes included.
 */
#include "config.h"

#include <string.h>

#include "fq-entities.h"

static JsonObject *
parse_object (const GString *text,
              JsonParser    *parser)
{
  g_autoptr(GError) error = NULL;

  if (!json_parser_load_from_data (parser, text->str, text->len, &error))
    g_error ("not JSON (%s): %s", error->message, text->str);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_get_object (json_parser_get_root (parser));
}

static void
test_text (void)
{
  /* Every byte that must be escaped, alone, first, last, in a row and
   * between UTF-8 text; and text that needs none. */
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) controls = g_string_new (NULL);

  for (guint c = 1; c < 0x20; c++)
    g_string_append_c (controls, (char)c);
  g_ptr_array_add (texts, g_strdup (""));
  g_ptr_array_add (texts, g_strdup ("楼上装修噪音，夜间十点后仍在施工"));
  g_ptr_array_add (texts, g_strdup ("\""));
  g_ptr_array_add (texts, g_strdup ("\\"));
  g_ptr_array_add (texts, g_strdup ("\"quoted\" at both ends\\"));
  g_ptr_array_add (texts, g_strdup ("第一行\n第二行\r\n\t缩进\b\f"));
  g_ptr_array_add (texts, g_strdup ("<script>alert('x')</script>; DROP TABLE incidents; --"));
  g_ptr_array_add (texts, g_strdup_printf ("%s中%s", controls->str, controls->str));
  g_ptr_array_add (texts, g_strdup ("\\\\\"\"\\n"));

  for (guint i = 0; i < texts->len; i++)
    {
      const char *text = g_ptr_array_index (texts, i);
      g_autoptr(FqIncident) incident = g_new0 (FqIncident, 1);
      g_autoptr(GString) out = g_string_new (NULL);
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *object;

      incident->id = g_strdup ("I261130-000001");
      incident->grid = g_strdup ("420202006009");
      incident->summary = g_strdup (text);
      incident->address = g_strdup_printf ("%s黄石港区%s", text, text);
      incident->decision = -1;
      incident->rev = 1;
      fq_incident_write_json (out, incident);

      object = parse_object (out, parser);
      g_assert_cmpstr (json_object_get_string_member (object, "summary"), ==, text);
      g_assert_cmpstr (json_object_get_string_member (object, "address"), ==, incident->address);
      g_assert_true (json_node_is_null (json_object_get_member (object, "description")));
    }
}

static void
test_integers (void)
{
  static const gint64 values[] = { 0, 1, 9, 10, 99, 100, 12345, -1, -10, G_MAXINT64, G_MININT64 };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autoptr(FqTicket) ticket = g_new0 (FqTicket, 1);
      g_autoptr(GString) out = g_string_new (NULL);
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autofree char *expected = g_strdup_printf ("\"returned_count\":%" G_GINT64_FORMAT ",", values[i]);
      JsonObject *object;

      ticket->id = g_strdup ("T261130-000001");
      ticket->grid = g_strdup ("420202006009");
      ticket->assisting_units = g_ptr_array_new_with_free_func (g_free);
      ticket->incidents = g_ptr_array_new_with_free_func (g_free);
      ticket->returned_count = values[i];
      ticket->rev = values[i];
      ticket->satisfaction = i % 6;
      fq_ticket_write_json (out, ticket, 3600, 1000);

      /* The text itself (a parser may read the extremes as doubles). */
      g_assert_nonnull (strstr (out->str, expected));
      object = parse_object (out, parser);
      if (values[i] > -(G_GINT64_CONSTANT (1) << 53) && values[i] < (G_GINT64_CONSTANT (1) << 53))
        {
          g_assert_cmpint (json_object_get_int_member (object, "rev"), ==, values[i]);
          g_assert_cmpint (json_object_get_int_member (object, "returned_count"), ==, values[i]);
        }
      if (ticket->satisfaction > 0)
        g_assert_cmpint (json_object_get_int_member (object, "satisfaction"), ==, ticket->satisfaction);
      else
        g_assert_true (json_node_is_null (json_object_get_member (object, "satisfaction")));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/entities-json/text", test_text);
  g_test_add_func ("/server/entities-json/integers", test_integers);
  return g_test_run ();
}
