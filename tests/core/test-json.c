/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <string.h>

#include "fq-core.h"

/* Parses @text, which must succeed. */
static JsonObject *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonObject *object = fq_json_parse_object (text, strlen (text), &error);

  g_assert_no_error (error);
  g_assert_nonnull (object);
  return object;
}

/* Asserts that @error is @code naming @field (NULL: no field), and clears it. */
static void
assert_field_error (GError     **error,
                    FqErrorCode  code,
                    const char  *field)
{
  g_autofree char *actual = NULL;

  g_assert_error (*error, FQ_ERROR, (int)code);
  actual = fq_error_get_field (*error);
  g_assert_cmpstr (actual, ==, field);
  g_clear_error (error);
}

static void
assert_parse_fails (const char  *text,
                    gsize        length,
                    FqErrorCode  code,
                    const char  *field)
{
  g_autoptr(GError) error = NULL;
  JsonObject *object = fq_json_parse_object (text, length, &error);

  if (object != NULL)
    g_error ("parsed although it should not: %s", text);
  assert_field_error (&error, code, field);
}

#define BAD(text) assert_parse_fails (text, strlen (text), FQ_ERROR_BAD_JSON, NULL)

static void
test_parse_valid (void)
{
  static const char *valid[] = {
    "{}",
    " \t\r\n{ } \n",
    "{\"a\":1,\"b\":-0,\"c\":1.5e-3,\"d\":1E+2,\"e\":0.0,\"f\":-12}",
    "{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"}",
    "{\"a\":[],\"b\":[1,[2,[3]]],\"c\":{},\"d\":{\"e\":{}}}",
    "{\"a\":true,\"b\":false,\"c\":null}",
    "{\"数\":\"黄石市\"}",
    "{\"a\":9223372036854775807,\"b\":-9223372036854775808}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    json_object_unref (parse (valid[i]));

  {
    g_autoptr(JsonObject) object = parse ("{\"a\":9223372036854775807,\"b\":-9223372036854775808}");

    g_assert_cmpint (json_object_get_int_member (object, "a"), ==, G_MAXINT64);
    g_assert_cmpint (json_object_get_int_member (object, "b"), ==, G_MININT64);
  }

  {
    g_autoptr(JsonObject) object = parse ("{\"a\":\"\\ud83d\\ude00\"}");

    g_assert_cmpstr (json_object_get_string_member (object, "a"), ==, "😀");
  }

  /* The data need not end in NUL: only @length bytes are read. */
  {
    const char text[] = "{\"a\":1}garbage";
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) object = fq_json_parse_object (text, 7, &error);

    g_assert_no_error (error);
    g_assert_cmpint (json_object_get_int_member (object, "a"), ==, 1);
  }

  /* The result is immutable, so that it can be shared between threads. */
  {
    g_autoptr(JsonObject) object = parse ("{\"a\":{\"b\":1}}");

    g_assert_true (json_object_is_immutable (object));
  }
}

static void
test_parse_invalid (void)
{
  /* Not valid UTF-8, in various ways, and a NUL byte. */
  assert_parse_fails ("{\"a\":\"\xff\"}", 8, FQ_ERROR_BAD_JSON, NULL);
  assert_parse_fails ("{\"a\":\"\xc3\"}", 8, FQ_ERROR_BAD_JSON, NULL);
  assert_parse_fails ("{\"a\":\"\xed\xa0\x80\"}", 10, FQ_ERROR_BAD_JSON, NULL);
  assert_parse_fails ("{\"a\":\"\xc0\xaf\"}", 9, FQ_ERROR_BAD_JSON, NULL);
  assert_parse_fails ("{\"a\":\"x\0y\"}", 11, FQ_ERROR_BAD_JSON, NULL);

  /* Nothing at all. */
  assert_parse_fails (NULL, 0, FQ_ERROR_BAD_JSON, NULL);

  /* Not an object at the root. */
  BAD ("");
  BAD ("   ");
  BAD ("[]");
  BAD ("[{}]");
  BAD ("\"text\"");
  BAD ("42");
  BAD ("null");
  BAD ("true");

  /* What json-glib's scanner would take but JSON does not allow. */
  BAD ("{\"a\":1 /* comment */}");
  BAD ("{\"a\":1} // comment");
  BAD ("{'a':1}");
  BAD ("{\"a\":'x'}");
  BAD ("{a:1}");
  BAD ("{\"a\":1,}");
  BAD ("{\"a\":[1,]}");
  BAD ("{\"a\":1}{}");
  BAD ("{\"a\":1} x");
  BAD ("{\"a\":01}");
  BAD ("{\"a\":0x10}");
  BAD ("{\"a\":+1}");
  BAD ("{\"a\":.5}");
  BAD ("{\"a\":1.}");
  BAD ("{\"a\":1e}");
  BAD ("{\"a\":-}");
  BAD ("{\"a\":NaN}");
  BAD ("{\"a\":Infinity}");
  BAD ("{\"a\":tru}");
  BAD ("{\"a\":True}");
  BAD ("{\"a\" 1}");
  BAD ("{\"a\":1 \"b\":2}");
  BAD ("{\"a\":\"tab\there\"}");
  BAD ("{\"a\":\"line\nbreak\"}");
  BAD ("{\"a\":\"\\x41\"}");
  BAD ("{\"a\":\"\\u12\"}");
  BAD ("{\"a\":\"\\u12G4\"}");
  BAD ("{\"a\":\"unterminated}");
  BAD ("{\"a\":1");
  BAD ("{\"a\":[1,2}");
  BAD ("{\"a\":1]}");

  /* Lone and broken surrogates. */
  BAD ("{\"a\":\"\\ud800\"}");
  BAD ("{\"a\":\"\\udc00\"}");
  BAD ("{\"a\":\"\\ud800x\"}");
  BAD ("{\"a\":\"\\ud800\\u0041\"}");
  BAD ("{\"a\":\"\\ud800\\ud800\"}");

  /* A member name with an escaped NUL. */
  BAD ("{\"a\\u0000b\":1}");

  /* The same member twice, at the top and further down. */
  BAD ("{\"a\":1,\"a\":2}");
  BAD ("{\"a\":1,\"b\":{\"c\":1,\"c\":1}}");
  BAD ("{\"a\":[{\"c\":1,\"c\":2}]}");

  /* Errors about the text name no field but say where. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) object = fq_json_parse_object ("{\n  \"a\": 01\n}", 13, &error);

    g_assert_null (object);
    g_assert_error (error, FQ_ERROR, FQ_ERROR_BAD_JSON);
    g_assert_nonnull (strstr (error->message, "line 2"));
  }
}

static void
test_parse_depth (void)
{
  GString *text = g_string_new (NULL);
  g_autoptr(JsonObject) object = NULL;

  /* FQ_JSON_MAX_DEPTH levels (the root counts) are fine... */
  g_string_append (text, "{\"a\":");
  for (guint i = 1; i < FQ_JSON_MAX_DEPTH; i++)
    g_string_append_c (text, '[');
  for (guint i = 1; i < FQ_JSON_MAX_DEPTH; i++)
    g_string_append_c (text, ']');
  g_string_append_c (text, '}');
  object = parse (text->str);
  g_clear_pointer (&object, json_object_unref);

  /* ...one more is not... */
  g_string_truncate (text, 0);
  g_string_append (text, "{\"a\":");
  for (guint i = 0; i < FQ_JSON_MAX_DEPTH; i++)
    g_string_append (text, "{\"b\":");
  g_string_append (text, "1");
  for (guint i = 0; i <= FQ_JSON_MAX_DEPTH; i++)
    g_string_append_c (text, '}');
  assert_parse_fails (text->str, text->len, FQ_ERROR_BAD_JSON, NULL);

  /* ...and a megabyte of brackets is refused without exhausting the stack. */
  g_string_truncate (text, 0);
  g_string_append (text, "{\"a\":");
  for (guint i = 0; i < FQ_JSON_MAX_BODY; i++)
    g_string_append_c (text, '[');
  assert_parse_fails (text->str, text->len, FQ_ERROR_BAD_JSON, NULL);

  g_string_free (text, TRUE);
}

static void
test_parse_values (void)
{
  /* Integers that json-glib would wrap around are refused, naming the member
   * they belong to, even inside an array or a nested object. */
  assert_parse_fails ("{\"rev\":9223372036854775808}", 27, FQ_ERROR_INVALID_FIELD, "rev");
  assert_parse_fails ("{\"rev\":-9223372036854775809}", 28, FQ_ERROR_INVALID_FIELD, "rev");
  assert_parse_fails ("{\"rev\":18446744073709551616}", 28, FQ_ERROR_INVALID_FIELD, "rev");
  assert_parse_fails ("{\"n\":99999999999999999999999999}", 32, FQ_ERROR_INVALID_FIELD, "n");
  assert_parse_fails ("{\"units\":[1,99999999999999999999]}", 34, FQ_ERROR_INVALID_FIELD, "units");
  assert_parse_fails ("{\"a\":{\"b\":99999999999999999999},\"c\":1}", 38,
                      FQ_ERROR_INVALID_FIELD, "b");

  /* A string with U+0000, which json-glib would cut short. */
  assert_parse_fails ("{\"note\":\"abc\\u0000def\"}", 23, FQ_ERROR_INVALID_FIELD, "note");
  assert_parse_fails ("{\"a\":{\"note\":\"\\u0000\"}}", 23, FQ_ERROR_INVALID_FIELD, "note");

  /* Large numbers with a fraction or an exponent are doubles, for
   * fq_json_get_int() to refuse. */
  {
    g_autoptr(JsonObject) object = parse ("{\"a\":1e400,\"b\":123456789012345678901234.5}");
    g_autoptr(GError) error = NULL;
    gint64 n = 7;

    g_assert_false (fq_json_get_int (object, "a", TRUE, G_MININT64, G_MAXINT64, &n, NULL, &error));
    assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "a");
    g_assert_false (fq_json_get_int (object, "b", TRUE, G_MININT64, G_MAXINT64, &n, NULL, &error));
    assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "b");
    g_assert_cmpint (n, ==, 7);
  }
}

static void
test_get_string (void)
{
  g_autoptr(JsonObject) object = parse (
    "{\"s\":\"hello\",\"zh\":\"黄石市\",\"empty\":\"\",\"null\":null,\"n\":1,\"b\":true,"
    "\"o\":{},\"a\":[\"x\"],\"nl\":\"a\\nb\\tc\",\"cr\":\"a\\rb\",\"c1\":\"\\u0001\","
    "\"del\":\"\\u007f\",\"nel\":\"\\u0085\",\"esc\":\"\\u001b[31m\"}");
  g_autoptr(GError) error = NULL;
  char *out = (char *)"untouched";

  g_assert_true (fq_json_get_string (object, "s", TRUE, 10, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, "hello");
  g_clear_pointer (&out, g_free);

  /* Lengths count characters, not bytes. */
  g_assert_true (fq_json_get_string (object, "zh", TRUE, 3, &out, &error));
  g_assert_cmpstr (out, ==, "黄石市");
  g_clear_pointer (&out, g_free);
  g_assert_false (fq_json_get_string (object, "zh", TRUE, 2, &out, &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "zh");
  g_assert_null (out);
  g_assert_false (fq_json_get_string (object, "s", TRUE, 4, &out, &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "s");

  /* 0: no limit. */
  g_assert_true (fq_json_get_string (object, "s", TRUE, 0, &out, &error));
  g_clear_pointer (&out, g_free);

  /* Absent and null are "not given". */
  out = (char *)"untouched";
  g_assert_true (fq_json_get_string (object, "missing", FALSE, 10, &out, &error));
  g_assert_null (out);
  out = (char *)"untouched";
  g_assert_true (fq_json_get_string (object, "null", FALSE, 10, &out, &error));
  g_assert_null (out);
  g_assert_false (fq_json_get_string (object, "missing", TRUE, 10, &out, &error));
  g_assert_cmpstr (error->message, ==, "missing: is required");
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "missing");
  g_assert_false (fq_json_get_string (object, "null", TRUE, 10, &out, &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "null");

  /* Empty is a value when optional, a missing value when required. */
  g_assert_true (fq_json_get_string (object, "empty", FALSE, 10, &out, &error));
  g_assert_cmpstr (out, ==, "");
  g_clear_pointer (&out, g_free);
  g_assert_false (fq_json_get_string (object, "empty", TRUE, 10, &out, &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "empty");

  /* Wrong types. */
  for (const char * const *f = (const char * const[]){ "n", "b", "o", "a", NULL }; *f; f++)
    {
      g_assert_false (fq_json_get_string (object, *f, FALSE, 10, &out, &error));
      assert_field_error (&error, FQ_ERROR_INVALID_FIELD, *f);
      g_assert_null (out);
    }

  /* Newlines and tabs are text; other control characters are not. */
  g_assert_true (fq_json_get_string (object, "nl", TRUE, 10, &out, &error));
  g_assert_cmpstr (out, ==, "a\nb\tc");
  g_clear_pointer (&out, g_free);
  for (const char * const *f = (const char * const[]){ "cr", "c1", "del", "nel", "esc", NULL };
       *f; f++)
    {
      g_assert_false (fq_json_get_string (object, *f, FALSE, 10, &out, &error));
      assert_field_error (&error, FQ_ERROR_INVALID_FIELD, *f);
    }
}

static void
test_get_int (void)
{
  g_autoptr(JsonObject) object = parse (
    "{\"n\":5,\"neg\":-3,\"zero\":0,\"max\":9223372036854775807,\"one\":1.0,\"half\":1.5,"
    "\"exp\":1e3,\"s\":\"5\",\"b\":true,\"null\":null,\"a\":[5],\"o\":{}}");
  g_autoptr(GError) error = NULL;
  gboolean present = FALSE;
  gint64 n = 42;

  g_assert_true (fq_json_get_int (object, "n", TRUE, 0, 10, &n, &present, &error));
  g_assert_no_error (error);
  g_assert_cmpint (n, ==, 5);
  g_assert_true (present);

  g_assert_true (fq_json_get_int (object, "neg", TRUE, -3, 10, &n, NULL, &error));
  g_assert_cmpint (n, ==, -3);
  g_assert_true (fq_json_get_int (object, "max", TRUE, G_MININT64, G_MAXINT64, &n, NULL, &error));
  g_assert_cmpint (n, ==, G_MAXINT64);

  /* Bounds are inclusive. */
  g_assert_true (fq_json_get_int (object, "n", TRUE, 5, 5, &n, NULL, &error));
  n = 42;
  g_assert_false (fq_json_get_int (object, "n", TRUE, 6, 10, &n, NULL, &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "n");
  g_assert_false (fq_json_get_int (object, "n", TRUE, 0, 4, &n, NULL, &error));
  g_assert_cmpstr (error->message, ==, "n: must be between 0 and 4");
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "n");
  g_assert_false (fq_json_get_int (object, "neg", TRUE, 0, G_MAXINT64, &n, NULL, &error));
  g_assert_cmpstr (error->message, ==, "neg: must be at least 0");
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "neg");
  g_assert_false (fq_json_get_int (object, "max", TRUE, G_MININT64, 100, &n, NULL, &error));
  g_assert_cmpstr (error->message, ==, "max: must be at most 100");
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "max");
  g_assert_cmpint (n, ==, 42);

  /* Not integers, even when the value is whole. */
  for (const char * const *f = (const char * const[]){ "one", "half", "exp", "s", "b", "a", "o",
                                                        NULL };
       *f; f++)
    {
      g_assert_false (fq_json_get_int (object, *f, FALSE, G_MININT64, G_MAXINT64, &n, NULL,
                                       &error));
      assert_field_error (&error, FQ_ERROR_INVALID_FIELD, *f);
    }
  g_assert_cmpint (n, ==, 42);

  /* Not given: the output keeps its default. */
  present = TRUE;
  g_assert_true (fq_json_get_int (object, "missing", FALSE, 0, 10, &n, &present, &error));
  g_assert_false (present);
  g_assert_cmpint (n, ==, 42);
  present = TRUE;
  g_assert_true (fq_json_get_int (object, "null", FALSE, 0, 10, &n, &present, &error));
  g_assert_false (present);
  g_assert_false (fq_json_get_int (object, "missing", TRUE, 0, 10, &n, &present, &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "missing");
}

static void
test_get_double (void)
{
  g_autoptr(JsonObject) object = parse (
    "{\"d\":0.75,\"i\":1,\"big\":1e400,\"s\":\"0.5\",\"neg\":-0.1}");
  g_autoptr(GError) error = NULL;
  gboolean present = FALSE;
  double d = 9.0;

  g_assert_true (fq_json_get_double (object, "d", TRUE, 0.0, 1.0, &d, &present, &error));
  g_assert_cmpfloat (d, ==, 0.75);
  g_assert_true (present);
  g_assert_true (fq_json_get_double (object, "i", TRUE, 0.0, 1.0, &d, NULL, &error));
  g_assert_cmpfloat (d, ==, 1.0);

  d = 9.0;
  g_assert_false (fq_json_get_double (object, "big", TRUE, -G_MAXDOUBLE, G_MAXDOUBLE, &d, NULL,
                                      &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "big");
  g_assert_false (fq_json_get_double (object, "neg", TRUE, 0.0, 1.0, &d, NULL, &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "neg");
  g_assert_false (fq_json_get_double (object, "s", TRUE, 0.0, 1.0, &d, NULL, &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "s");
  g_assert_true (fq_json_get_double (object, "missing", FALSE, 0.0, 1.0, &d, &present, &error));
  g_assert_false (present);
  g_assert_cmpfloat (d, ==, 9.0);
  g_assert_false (fq_json_get_double (object, "missing", TRUE, 0.0, 1.0, &d, NULL, &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "missing");
}

static void
test_get_bool (void)
{
  g_autoptr(JsonObject) object = parse (
    "{\"t\":true,\"f\":false,\"one\":1,\"s\":\"true\",\"null\":null}");
  g_autoptr(GError) error = NULL;
  gboolean present = FALSE;
  gboolean b = FALSE;

  g_assert_true (fq_json_get_bool (object, "t", TRUE, &b, &present, &error));
  g_assert_true (b);
  g_assert_true (present);
  g_assert_true (fq_json_get_bool (object, "f", TRUE, &b, NULL, &error));
  g_assert_false (b);

  b = TRUE;
  g_assert_false (fq_json_get_bool (object, "one", TRUE, &b, NULL, &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "one");
  g_assert_false (fq_json_get_bool (object, "s", TRUE, &b, NULL, &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "s");
  g_assert_true (fq_json_get_bool (object, "null", FALSE, &b, &present, &error));
  g_assert_false (present);
  g_assert_true (b);
  g_assert_false (fq_json_get_bool (object, "null", TRUE, &b, &present, &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "null");
}

static void
test_get_time (void)
{
  /* 2026-11-29T08:00:00Z */
  const gint64 t0 = 1795939200;
  static const struct
  {
    const char *text;
    gint64      offset_from_t0;
  } valid[] = {
    { "2026-11-29T08:00:00Z", 0 },
    { "2026-11-29t08:00:00z", 0 },
    { "2026-11-29T16:00:00+08:00", 0 },
    { "2026-11-29T02:30:00-05:30", 0 },
    { "2026-11-29T08:00:00+00:00", 0 },
    { "2026-11-29T08:00:00-00:00", 0 },
    { "2026-11-29T08:00:00.999Z", 0 },
    { "2026-11-29T08:00:00.1+08:00", -8 * 3600 },
    { "2026-11-30T00:00:00+16:00", 0 },
    { "2026-11-29T08:00:59Z", 59 },
    { "2026-11-28T23:59:59-08:00", -1 },
  };
  static const char *invalid[] = {
    "2026-11-29T08:00:00",       /* no offset */
    "2026-11-29",                /* date only */
    "2026-11-29 08:00:00Z",      /* space */
    "2026-11-29T08:00Z",         /* no seconds */
    "2026-11-29T08:00:00.Z",     /* empty fraction */
    "2026-11-29T08:00:00+0800",  /* basic offset */
    "2026-11-29T08:00:00+08",    /* short offset */
    "2026-11-29T08:00:00+24:00", /* offset hours */
    "2026-11-29T08:00:00+08:60", /* offset minutes */
    "20261129T080000Z",          /* basic format */
    "2026-W48-7T08:00:00Z",      /* week date */
    "2026-333T08:00:00Z",        /* ordinal date */
    "2026-02-30T08:00:00Z",      /* no such day */
    "2026-13-01T08:00:00Z",
    "2026-00-01T08:00:00Z",
    "2026-11-00T08:00:00Z",
    "2026-11-29T24:00:00Z",
    "2026-11-29T08:60:00Z",
    "2026-11-29T08:00:60Z",
    "0000-01-01T00:00:00Z",
    "2026-11-29T08:00:00Zjunk",
    " 2026-11-29T08:00:00Z",
    "+2026-11-29T08:00:00Z",
    "",
  };
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      gint64 t = 0;

      if (!fq_time_parse (valid[i].text, &t))
        g_error ("refused %s", valid[i].text);
      g_assert_cmpint (t, ==, t0 + valid[i].offset_from_t0);
    }

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      gint64 t = 42;

      if (fq_time_parse (invalid[i], &t))
        g_error ("accepted %s", invalid[i]);
      g_assert_cmpint (t, ==, 42);
    }

  {
    gint64 t = 0;

    g_assert_false (fq_time_parse (NULL, &t));
    g_assert_true (fq_time_parse ("2024-02-29T00:00:00Z", &t));
    g_assert_false (fq_time_parse ("2025-02-29T00:00:00Z", &t));
    g_assert_true (fq_time_parse ("1970-01-01T00:00:00Z", &t));
    g_assert_cmpint (t, ==, 0);
  }

  /* Formatting is always UTC with Z and no fraction. */
  {
    g_autofree char *a = fq_time_format (t0);
    g_autofree char *b = fq_time_format (0);
    g_autofree char *c = fq_time_format (-1);
    g_autofree char *d = fq_time_format (G_MAXINT64);

    g_assert_cmpstr (a, ==, "2026-11-29T08:00:00Z");
    g_assert_cmpstr (b, ==, "1970-01-01T00:00:00Z");
    g_assert_cmpstr (c, ==, "1969-12-31T23:59:59Z");
    g_assert_null (d);
  }

  /* Through the getter. */
  {
    g_autoptr(JsonObject) object = parse (
      "{\"at\":\"2026-11-29T16:00:00+08:00\",\"local\":\"2026-11-29T08:00:00\","
      "\"n\":1795939200,\"null\":null}");
    gboolean present = FALSE;
    gint64 t = 42;

    g_assert_true (fq_json_get_time (object, "at", TRUE, &t, &present, &error));
    g_assert_cmpint (t, ==, t0);
    g_assert_true (present);

    t = 42;
    g_assert_false (fq_json_get_time (object, "local", TRUE, &t, NULL, &error));
    assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "local");
    g_assert_false (fq_json_get_time (object, "n", TRUE, &t, NULL, &error));
    assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "n");
    g_assert_true (fq_json_get_time (object, "null", FALSE, &t, &present, &error));
    g_assert_false (present);
    g_assert_cmpint (t, ==, 42);
    g_assert_false (fq_json_get_time (object, "missing", TRUE, &t, &present, &error));
    assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "missing");
  }
}

static void
test_get_enum (void)
{
  g_autoptr(JsonObject) object = parse (
    "{\"d\":\"divert\",\"src\":\"110\",\"upper\":\"DIVERT\",\"bad\":\"transfer\",\"n\":3,"
    "\"null\":null}");
  g_autoptr(GError) error = NULL;
  gboolean present = FALSE;
  int value = -1;

  g_assert_true (fq_json_get_enum (object, "d", TRUE, FQ_TYPE_DECISION, &value, &present, &error));
  g_assert_cmpint (value, ==, FQ_DECISION_DIVERT);
  g_assert_true (present);
  g_assert_true (fq_json_get_enum (object, "src", TRUE, FQ_TYPE_SOURCE, &value, NULL, &error));
  g_assert_cmpint (value, ==, FQ_SOURCE_110);

  value = -1;
  g_assert_false (fq_json_get_enum (object, "bad", TRUE, FQ_TYPE_DECISION, &value, NULL, &error));
  g_assert_cmpstr (error->message, ==,
                   "bad: must be one of police, on_scene, mediate, divert, merge");
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "bad");
  g_assert_false (fq_json_get_enum (object, "upper", TRUE, FQ_TYPE_DECISION, &value, NULL, &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "upper");
  /* The value, not the nick, is not accepted. */
  g_assert_false (fq_json_get_enum (object, "n", TRUE, FQ_TYPE_DECISION, &value, NULL, &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "n");
  g_assert_cmpint (value, ==, -1);

  g_assert_true (fq_json_get_enum (object, "null", FALSE, FQ_TYPE_DECISION, &value, &present,
                                   &error));
  g_assert_false (present);
  g_assert_false (fq_json_get_enum (object, "missing", TRUE, FQ_TYPE_DECISION, &value, NULL,
                                    &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "missing");
}

static void
test_get_string_array (void)
{
  g_autoptr(JsonObject) object = parse (
    "{\"units\":[\"u1\",\"单位2\"],\"empty\":[],\"null\":null,\"s\":\"u1\",\"mixed\":[\"u1\",2],"
    "\"nested\":[[\"u1\"]],\"long\":[\"abcdef\"],\"ctl\":[\"a\\u0007\"],\"nulls\":[null]}");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) out = NULL;

  g_assert_true (fq_json_get_string_array (object, "units", TRUE, 2, 3, &out, &error));
  g_assert_no_error (error);
  g_assert_cmpstrv (out, ((const char * const[]){ "u1", "单位2", NULL }));
  g_clear_pointer (&out, g_strfreev);

  g_assert_false (fq_json_get_string_array (object, "units", TRUE, 1, 3, &out, &error));
  g_assert_cmpstr (error->message, ==, "units: must have at most 1 items");
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "units");
  g_assert_null (out);
  g_assert_false (fq_json_get_string_array (object, "units", TRUE, 2, 2, &out, &error));
  g_assert_cmpstr (error->message, ==, "units: item 2 must be at most 2 characters long");
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "units");

  /* An empty list is a value when optional, a missing one when required. */
  g_assert_true (fq_json_get_string_array (object, "empty", FALSE, 2, 3, &out, &error));
  g_assert_nonnull (out);
  g_assert_cmpuint (g_strv_length (out), ==, 0);
  g_clear_pointer (&out, g_strfreev);
  g_assert_false (fq_json_get_string_array (object, "empty", TRUE, 2, 3, &out, &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "empty");

  g_assert_true (fq_json_get_string_array (object, "null", FALSE, 2, 3, &out, &error));
  g_assert_null (out);
  g_assert_true (fq_json_get_string_array (object, "missing", FALSE, 2, 3, &out, &error));
  g_assert_null (out);
  g_assert_false (fq_json_get_string_array (object, "missing", TRUE, 2, 3, &out, &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "missing");

  for (const char * const *f = (const char * const[]){ "s", "mixed", "nested", "long", "ctl",
                                                        "nulls", NULL };
       *f; f++)
    {
      g_assert_false (fq_json_get_string_array (object, *f, FALSE, 5, 5, &out, &error));
      assert_field_error (&error, FQ_ERROR_INVALID_FIELD, *f);
      g_assert_null (out);
    }
}

static void
test_get_object_array (void)
{
  g_autoptr(JsonObject) object = parse ("{\"o\":{\"x\":1},\"a\":[1],\"s\":\"x\",\"null\":null}");
  g_autoptr(GError) error = NULL;
  JsonObject *o = NULL;
  JsonArray *a = NULL;

  g_assert_true (fq_json_get_object (object, "o", TRUE, &o, &error));
  g_assert_cmpint (json_object_get_int_member (o, "x"), ==, 1);
  g_assert_false (fq_json_get_object (object, "a", TRUE, &o, &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "a");
  g_assert_null (o);
  g_assert_true (fq_json_get_object (object, "null", FALSE, &o, &error));
  g_assert_null (o);
  g_assert_false (fq_json_get_object (object, "missing", TRUE, &o, &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "missing");

  g_assert_true (fq_json_get_array (object, "a", TRUE, &a, &error));
  g_assert_cmpuint (json_array_get_length (a), ==, 1);
  g_assert_false (fq_json_get_array (object, "o", TRUE, &a, &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "o");
  g_assert_false (fq_json_get_array (object, "s", TRUE, &a, &error));
  assert_field_error (&error, FQ_ERROR_INVALID_FIELD, "s");
  g_assert_true (fq_json_get_array (object, "missing", FALSE, &a, &error));
  g_assert_null (a);
}

static void
test_output (void)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  gsize length = 0;

  json_builder_begin_object (builder);
  fq_json_builder_add_string (builder, "s", "黄石");
  fq_json_builder_add_string (builder, "null", NULL);
  fq_json_builder_add_time (builder, "at", 1795939200);
  fq_json_builder_add_time (builder, "never", 0);
  fq_json_builder_add_enum (builder, "state", FQ_TYPE_TICKET_STATE, FQ_TICKET_STATE_RETURNED);
  fq_json_builder_add_strv (builder, "units", (const char * const[]){ "a", "b", NULL });
  fq_json_builder_add_strv (builder, "none", NULL);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);

  text = fq_json_to_string (root, &length);
  g_assert_cmpstr (text, ==,
                   "{\"s\":\"黄石\",\"null\":null,\"at\":\"2026-11-29T08:00:00Z\",\"never\":null,"
                   "\"state\":\"returned\",\"units\":[\"a\",\"b\"],\"none\":[]}");
  g_assert_cmpuint (length, ==, strlen (text));

  /* What we write, we read. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) object = fq_json_parse_object (text, length, &error);
    g_autoptr(JsonNode) node = NULL;

    g_assert_no_error (error);
    node = json_node_init_object (json_node_alloc (), object);
    g_assert_true (json_node_equal (root, node));
  }

  g_clear_pointer (&text, g_free);
  text = fq_json_to_string (root, NULL);
  g_assert_nonnull (text);
}

/* What a peer sent, read leniently: the wrong shape is the fallback, with
 * no critical (these tests run with fatal warnings). */
static void
test_lenient (void)
{
  g_autoptr(JsonObject) object = parse (
    "{\"s\":\"text\",\"i\":42,\"d\":2.5,\"t\":true,\"null\":null,"
    "\"o\":{\"seq\":1},\"a\":[1,2],\"big\":1e300}");

  g_assert_cmpstr (fq_json_string_or (object, "s", "x"), ==, "text");
  g_assert_cmpstr (fq_json_string_or (object, "i", "x"), ==, "x");
  g_assert_cmpstr (fq_json_string_or (object, "o", "x"), ==, "x");
  g_assert_cmpstr (fq_json_string_or (object, "a", NULL), ==, NULL);
  g_assert_cmpstr (fq_json_string_or (object, "null", "x"), ==, "x");
  g_assert_cmpstr (fq_json_string_or (object, "missing", "x"), ==, "x");

  g_assert_cmpint (fq_json_int_or (object, "i", -1), ==, 42);
  g_assert_cmpint (fq_json_int_or (object, "d", -1), ==, 2);
  g_assert_cmpint (fq_json_int_or (object, "t", -1), ==, 1);
  g_assert_cmpint (fq_json_int_or (object, "s", -1), ==, -1);
  g_assert_cmpint (fq_json_int_or (object, "o", -1), ==, -1);
  g_assert_cmpint (fq_json_int_or (object, "a", -1), ==, -1);
  g_assert_cmpint (fq_json_int_or (object, "null", -1), ==, -1);
  g_assert_cmpint (fq_json_int_or (object, "missing", -1), ==, -1);
  g_assert_cmpint (fq_json_int_or (object, "big", -1), ==, -1);
  g_assert_cmpint (fq_json_int_or (NULL, "i", -1), ==, -1);
  g_assert_cmpstr (fq_json_string_or (NULL, "s", "x"), ==, "x");

  g_assert_true (fq_json_bool_or (object, "t", FALSE));
  g_assert_true (fq_json_bool_or (object, "i", FALSE));
  g_assert_false (fq_json_bool_or (object, "s", FALSE));
  g_assert_true (fq_json_bool_or (object, "o", TRUE));
  g_assert_false (fq_json_bool_or (object, "a", FALSE));
  g_assert_true (fq_json_bool_or (object, "missing", TRUE));
}


/* ---- spans of members ---- */

/* Checks each span of @spans against the parsed @text: a span's text parses
 * to the element's member, and an element without a span is one whose
 * member the walk may not name (none, not an object, an escaped key). */
static void
check_spans (const char *text,
             GArray     *spans)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *array;

  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  array = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                        "changes");
  g_assert_cmpuint (spans->len, ==, json_array_get_length (array));
  for (guint i = 0; i < spans->len; i++)
    {
      FqJsonSpan span = g_array_index (spans, FqJsonSpan, i);
      JsonNode *element = json_array_get_element (array, i);
      g_autoptr(JsonParser) piece = json_parser_new ();

      if (span.length == 0)
        continue;
      g_assert_true (JSON_NODE_HOLDS_OBJECT (element));
      g_assert_true (json_parser_load_from_data (piece, text + span.offset, span.length, NULL));
      g_assert_true (json_node_equal (json_parser_get_root (piece),
                                      json_object_get_member (json_node_get_object (element), "data")));
    }
}

static void
test_spans_page (void)
{
  const char *text =
    " { \"last_seq\" : 9, \"changes\" : [\n"
    "   {\"seq\":1,\"data\":{\"a\":\"x}y{\\\"z\",\"b\":[1,{\"c\":\"]\"}],\"d\":null}},\n"
    "   {\"data\": {\"k\":\"\\u4e2d\\\\\"}, \"seq\":2},\n"
    "   {\"seq\":3,\"op\":\"delete\"},\n"
    "   {\"seq\":4,\"data\":{\"first\":1},\"data\":{\"second\":2}},\n"
    "   7,\n"
    "   {\"seq\":5,\"d\\u0061ta\":{\"hidden\":true},\"data\":{\"plain\":1}},\n"
    "   [ {\"data\":{}} ],\n"
    "   {\"seq\":6 , \"data\" : { } , \"x\":-1.5e3}\n"
    " ], \"more\": false }";
  const gboolean has_span[] = { TRUE, TRUE, FALSE, TRUE, FALSE, FALSE, FALSE, TRUE };
  g_autoptr(GArray) spans = g_array_new (FALSE, FALSE, sizeof (FqJsonSpan));

  g_assert_true (fq_json_find_member_spans (text, strlen (text), "changes", "data", spans));
  g_assert_cmpuint (spans->len, ==, G_N_ELEMENTS (has_span));
  for (guint i = 0; i < spans->len; i++)
    g_assert_cmpint (g_array_index (spans, FqJsonSpan, i).length > 0, ==, has_span[i]);
  check_spans (text, spans);
  /* The last of two members of one name, as the parser keeps. */
  g_assert_true (strncmp (text + g_array_index (spans, FqJsonSpan, 3).offset, "{\"second\":2}",
                          g_array_index (spans, FqJsonSpan, 3).length) == 0);
}

static void
test_spans_not_shaped (void)
{
  const char *texts[] = {
    "[1,2]",
    "{\"more\":false}",
    "{\"changes\":{\"data\":{}}}",
    "{\"changes\":[],\"changes\":[]}",
    "{\"ch\\u0061nges\":[{\"data\":{}}]}",
    "\"changes\"",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GArray) spans = g_array_new (FALSE, FALSE, sizeof (FqJsonSpan));
      FqJsonSpan before = { 1, 2 };

      g_array_append_val (spans, before);
      g_assert_false (fq_json_find_member_spans (texts[i], strlen (texts[i]), "changes", "data", spans));
      g_assert_cmpuint (spans->len, ==, 1);
    }

  {
    g_autoptr(GArray) spans = g_array_new (FALSE, FALSE, sizeof (FqJsonSpan));

    g_assert_true (fq_json_find_member_spans ("{\"changes\":[ ]}", 15, "changes", "data", spans));
    g_assert_cmpuint (spans->len, ==, 0);
  }
}

/* A string with what a walk could trip on: quotes, backslashes, brackets,
 * control characters, Chinese. */
static char *
random_text (GRand *rand)
{
  static const char *pieces[] = { "\"", "\\", "{", "}", "[", "]", ",", ":", "\n", "\t", "\x01",
                                  "中", "区", "a", " ", "\\u", "/", "null" };
  GString *s = g_string_new (NULL);
  guint n = g_rand_int_range (rand, 0, 12);

  for (guint i = 0; i < n; i++)
    g_string_append (s, pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))]);
  return g_string_free (s, FALSE);
}

static void
add_random_value (JsonBuilder *builder,
                  GRand       *rand,
                  guint        depth)
{
  switch (g_rand_int_range (rand, 0, depth < 3 ? 7 : 5))
    {
    case 0:
      {
        g_autofree char *text = random_text (rand);

        json_builder_add_string_value (builder, text);
      }
      break;
    case 1:
      json_builder_add_int_value (builder, g_rand_int (rand) - G_MAXINT32 / 2);
      break;
    case 2:
      json_builder_add_double_value (builder, g_rand_double_range (rand, -1e9, 1e9));
      break;
    case 3:
      json_builder_add_boolean_value (builder, g_rand_boolean (rand));
      break;
    case 4:
      json_builder_add_null_value (builder);
      break;
    case 5:
      json_builder_begin_array (builder);
      for (guint i = g_rand_int_range (rand, 0, 4); i > 0; i--)
        add_random_value (builder, rand, depth + 1);
      json_builder_end_array (builder);
      break;
    default:
      json_builder_begin_object (builder);
      for (guint i = g_rand_int_range (rand, 0, 4); i > 0; i--)
        {
          g_autofree char *key = random_text (rand);

          json_builder_set_member_name (builder, key);
          add_random_value (builder, rand, depth + 1);
        }
      json_builder_end_object (builder);
      break;
    }
}

/* Pages of random changes, compact and indented: every span is the
 * element's data. */
static void
test_spans_random (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261203);

  for (guint round = 0; round < 300; round++)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autoptr(GArray) spans = g_array_new (FALSE, FALSE, sizeof (FqJsonSpan));
      g_autofree char *text = NULL;
      guint n = g_rand_int_range (rand, 0, 20);
      guint with_data = 0, spanned = 0;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "changes");
      json_builder_begin_array (builder);
      for (guint i = 0; i < n; i++)
        {
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "seq");
          json_builder_add_int_value (builder, i + 1);
          if (g_rand_int_range (rand, 0, 5) > 0)
            {
              with_data++;
              json_builder_set_member_name (builder, "data");
              json_builder_begin_object (builder);
              for (guint k = g_rand_int_range (rand, 0, 6); k > 0; k--)
                {
                  g_autofree char *key = random_text (rand);

                  json_builder_set_member_name (builder, key);
                  add_random_value (builder, rand, 1);
                }
              json_builder_end_object (builder);
            }
          json_builder_set_member_name (builder, "op");
          json_builder_add_string_value (builder, "upsert");
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "more");
      json_builder_add_boolean_value (builder, FALSE);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      text = json_to_string (root, round % 2 == 1);

      g_assert_true (fq_json_find_member_spans (text, strlen (text), "changes", "data", spans));
      g_assert_cmpuint (spans->len, ==, n);
      check_spans (text, spans);
      for (guint i = 0; i < spans->len; i++)
        spanned += g_array_index (spans, FqJsonSpan, i).length > 0;
      g_assert_cmpuint (spanned, ==, with_data);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/json/parse/valid", test_parse_valid);
  g_test_add_func ("/core/json/parse/invalid", test_parse_invalid);
  g_test_add_func ("/core/json/parse/depth", test_parse_depth);
  g_test_add_func ("/core/json/parse/values", test_parse_values);
  g_test_add_func ("/core/json/get/string", test_get_string);
  g_test_add_func ("/core/json/get/int", test_get_int);
  g_test_add_func ("/core/json/get/double", test_get_double);
  g_test_add_func ("/core/json/get/bool", test_get_bool);
  g_test_add_func ("/core/json/get/time", test_get_time);
  g_test_add_func ("/core/json/get/enum", test_get_enum);
  g_test_add_func ("/core/json/get/string-array", test_get_string_array);
  g_test_add_func ("/core/json/get/object-array", test_get_object_array);
  g_test_add_func ("/core/json/lenient", test_lenient);
  g_test_add_func ("/core/json/output", test_output);
  g_test_add_func ("/core/json/spans/page", test_spans_page);
  g_test_add_func ("/core/json/spans/not-shaped", test_spans_not_shaped);
  g_test_add_func ("/core/json/spans/random", test_spans_random);

  return g_test_run ();
}
