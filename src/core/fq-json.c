/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao"

#include "config.h"

#include <math.h>
#include <string.h>

#include "fq-enums.h"
#include "fq-error.h"
#include "fq-json.h"

/*
 * The grammar check that runs before json-glib. json-glib 1.6 parses through
 * GScanner and is lenient in ways a server must not be: it takes comments,
 * single-quoted strings, hex and leading-zero numbers, raw control
 * characters in strings and trailing garbage; it wraps integers that do not
 * fit in 64 bits to arbitrary values and cuts strings at an escaped NUL. This
 * scanner accepts exactly RFC 8259, bounds the nesting and counts the
 * members, so that duplicates can be found after parsing.
 */
typedef struct
{
  const char *start;
  const char *p;
  const char *end;
  guint       depth;
  guint64     members;
  /* The innermost member name, raw as written, for errors about values. */
  const char *key;
  gsize       key_len;
} Scanner;

static gboolean scan_value (Scanner  *s,
                            GError  **error);

static gboolean G_GNUC_PRINTF (3, 4)
syntax_error (Scanner     *s,
              GError     **error,
              const char  *format,
              ...)
{
  g_autofree char *text = NULL;
  const char *line_start = s->start;
  guint line = 1;
  va_list args;

  for (const char *q = s->start; q < s->p && q < s->end; q++)
    {
      if (*q == '\n')
        {
          line++;
          line_start = q + 1;
        }
    }

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  /* The input is valid UTF-8 up to s->p, so the column counts characters. */
  g_set_error (error, FQ_ERROR, FQ_ERROR_BAD_JSON,
               "invalid JSON at line %u, column %ld: %s",
               line, g_utf8_pointer_to_offset (line_start, MIN (s->p, s->end)) + 1, text);
  return FALSE;
}

static gboolean
value_error (Scanner     *s,
             GError     **error,
             const char  *text)
{
  g_autofree char *key = g_strndup (s->key, s->key_len);

  fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, key, "%s", text);
  return FALSE;
}

static void
skip_ws (Scanner *s)
{
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

static int
read_hex4 (Scanner *s)
{
  int value = 0;

  if (s->end - s->p < 4)
    return -1;

  for (guint i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (s->p[i]);

      if (digit < 0)
        return -1;
      value = value * 16 + digit;
    }

  s->p += 4;
  return value;
}

/* On entry s->p is at the opening quote; on success *text and *len give the raw
 * content and s->p is past the closing quote. */
static gboolean
scan_string (Scanner     *s,
             gboolean     is_key,
             const char **text,
             gsize       *len,
             GError     **error)
{
  const char *content = ++s->p;

  while (s->p < s->end)
    {
      guchar c = (guchar)*s->p;

      if (c == '"')
        {
          *text = content;
          *len = s->p - content;
          s->p++;
          return TRUE;
        }

      if (c < 0x20)
        return syntax_error (s, error, "unescaped control character in a string");

      if (c != '\\')
        {
          s->p++;
          continue;
        }

      s->p++;
      if (s->p >= s->end)
        break;

      if (strchr ("\"\\/bfnrt", *s->p) != NULL && *s->p != '\0')
        {
          s->p++;
          continue;
        }

      if (*s->p != 'u')
        return syntax_error (s, error, "invalid escape in a string");

      s->p++;
      {
        int cp = read_hex4 (s);

        if (cp < 0)
          return syntax_error (s, error, "invalid \\u escape");

        if (cp == 0)
          {
            if (is_key)
              return syntax_error (s, error, "a member name contains U+0000");
            return value_error (s, error, "must not contain U+0000");
          }

        if (cp >= 0xDC00 && cp <= 0xDFFF)
          return syntax_error (s, error, "unpaired surrogate in a string");

        if (cp >= 0xD800 && cp <= 0xDBFF)
          {
            int low;

            if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u')
              return syntax_error (s, error, "unpaired surrogate in a string");
            s->p += 2;
            low = read_hex4 (s);
            if (low < 0xDC00 || low > 0xDFFF)
              return syntax_error (s, error, "unpaired surrogate in a string");
          }
      }
    }

  return syntax_error (s, error, "unterminated string");
}

static gboolean
scan_digits (Scanner *s)
{
  const char *first = s->p;

  while (s->p < s->end && g_ascii_isdigit (*s->p))
    s->p++;

  return s->p > first;
}

static gboolean
scan_number (Scanner  *s,
             GError  **error)
{
  static const char max_positive[] = "9223372036854775807";
  static const char max_negative[] = "9223372036854775808";
  gboolean negative = FALSE;
  gboolean integer = TRUE;
  const char *digits;
  gsize n_digits;

  if (*s->p == '-')
    {
      negative = TRUE;
      s->p++;
    }

  digits = s->p;
  if (s->p < s->end && *s->p == '0')
    s->p++;
  else if (!scan_digits (s))
    return syntax_error (s, error, "invalid number");
  n_digits = s->p - digits;

  if (s->p < s->end && *s->p == '.')
    {
      s->p++;
      integer = FALSE;
      if (!scan_digits (s))
        return syntax_error (s, error, "invalid number");
    }

  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
    {
      s->p++;
      integer = FALSE;
      if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
        s->p++;
      if (!scan_digits (s))
        return syntax_error (s, error, "invalid number");
    }

  if (integer)
    {
      const char *limit = negative ? max_negative : max_positive;

      if (n_digits > strlen (limit) ||
          (n_digits == strlen (limit) && strncmp (digits, limit, n_digits) > 0))
        return value_error (s, error, "number out of range");
    }

  return TRUE;
}

static gboolean
scan_literal (Scanner    *s,
              const char *literal,
              GError    **error)
{
  gsize len = strlen (literal);

  if ((gsize)(s->end - s->p) < len || memcmp (s->p, literal, len) != 0)
    return syntax_error (s, error, "unexpected character");

  s->p += len;
  return TRUE;
}

static gboolean
scan_object (Scanner  *s,
             GError  **error)
{
  const char *outer_key = s->key;
  gsize outer_key_len = s->key_len;

  if (++s->depth > FQ_JSON_MAX_DEPTH)
    return syntax_error (s, error, "nested more than %d levels deep", FQ_JSON_MAX_DEPTH);

  s->p++;
  skip_ws (s);
  if (s->p < s->end && *s->p == '}')
    {
      s->p++;
      s->depth--;
      return TRUE;
    }

  for (;;)
    {
      if (s->p >= s->end || *s->p != '"')
        return syntax_error (s, error, "expected a member name");
      if (!scan_string (s, TRUE, &s->key, &s->key_len, error))
        return FALSE;

      skip_ws (s);
      if (s->p >= s->end || *s->p != ':')
        return syntax_error (s, error, "expected ':'");
      s->p++;

      if (!scan_value (s, error))
        return FALSE;
      s->members++;

      skip_ws (s);
      if (s->p < s->end && *s->p == ',')
        {
          s->p++;
          skip_ws (s);
          continue;
        }
      if (s->p < s->end && *s->p == '}')
        {
          s->p++;
          break;
        }
      return syntax_error (s, error, "expected ',' or '}'");
    }

  s->key = outer_key;
  s->key_len = outer_key_len;
  s->depth--;
  return TRUE;
}

static gboolean
scan_array (Scanner  *s,
            GError  **error)
{
  if (++s->depth > FQ_JSON_MAX_DEPTH)
    return syntax_error (s, error, "nested more than %d levels deep", FQ_JSON_MAX_DEPTH);

  s->p++;
  skip_ws (s);
  if (s->p < s->end && *s->p == ']')
    {
      s->p++;
      s->depth--;
      return TRUE;
    }

  for (;;)
    {
      if (!scan_value (s, error))
        return FALSE;

      skip_ws (s);
      if (s->p < s->end && *s->p == ',')
        {
          s->p++;
          continue;
        }
      if (s->p < s->end && *s->p == ']')
        {
          s->p++;
          break;
        }
      return syntax_error (s, error, "expected ',' or ']'");
    }

  s->depth--;
  return TRUE;
}

static gboolean
scan_value (Scanner  *s,
            GError  **error)
{
  const char *text;
  gsize len;

  skip_ws (s);
  if (s->p >= s->end)
    return syntax_error (s, error, "unexpected end of input");

  switch (*s->p)
    {
    case '{':
      return scan_object (s, error);
    case '[':
      return scan_array (s, error);
    case '"':
      return scan_string (s, FALSE, &text, &len, error);
    case 't':
      return scan_literal (s, "true", error);
    case 'f':
      return scan_literal (s, "false", error);
    case 'n':
      return scan_literal (s, "null", error);
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      return scan_number (s, error);
    default:
      return syntax_error (s, error, "unexpected character");
    }
}

static guint64
count_members (JsonNode *node)
{
  guint64 n = 0;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      JsonNode *child;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, NULL, &child))
        n += 1 + count_members (child);
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      guint len = json_array_get_length (array);

      for (guint i = 0; i < len; i++)
        n += count_members (json_array_get_element (array, i));
    }

  return n;
}

/**
 * fq_json_parse_object:
 * @data: (array length=length): the text
 * @length: its length in bytes
 * @error: return location for an error
 *
 * Parses a request or response body strictly (see fq-json.h).
 *
 * Returns: (transfer full): the root object, immutable
 */
JsonObject *
fq_json_parse_object (const char  *data,
                      gsize        length,
                      GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  Scanner s = { 0 };
  JsonNode *root;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (length > G_MAXSSIZE || !g_utf8_validate_len (data, length, NULL))
    {
      g_set_error_literal (error, FQ_ERROR, FQ_ERROR_BAD_JSON, "the body is not valid UTF-8");
      return NULL;
    }

  s.start = s.p = data;
  /* An empty body may come as NULL, and NULL + 0 is undefined. */
  s.end = length > 0 ? data + length : data;

  skip_ws (&s);
  if (s.p >= s.end)
    {
      syntax_error (&s, error, "empty document");
      return NULL;
    }
  if (*s.p != '{')
    {
      syntax_error (&s, error, "the root is not an object");
      return NULL;
    }
  if (!scan_value (&s, error))
    return NULL;
  skip_ws (&s);
  if (s.p < s.end)
    {
      syntax_error (&s, error, "unexpected data after the root object");
      return NULL;
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, (gssize)length, &local_error))
    {
      /* The grammar was checked, so this is a json-glib limitation. */
      g_set_error (error, FQ_ERROR, FQ_ERROR_BAD_JSON,
                   "invalid JSON, not accepted by the parser (%s)", local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  g_assert (root != NULL && JSON_NODE_HOLDS_OBJECT (root));

  if (count_members (root) != s.members)
    {
      g_set_error_literal (error, FQ_ERROR, FQ_ERROR_BAD_JSON,
                           "invalid JSON: an object has the same member twice");
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

/* The member @field, or NULL if it is absent or null. */
static JsonNode *
get_member (JsonObject *object,
            const char *field)
{
  JsonNode *node = json_object_get_member (object, field);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;

  return node;
}

static gboolean
not_given (const char  *field,
           gboolean     required,
           gboolean    *present,
           GError     **error)
{
  if (present != NULL)
    *present = FALSE;

  if (required)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "is required");
      return FALSE;
    }

  return TRUE;
}

static gboolean
holds_value_of_type (JsonNode *node,
                     GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

/* Checks @text against the string rules; @what names the offender in the
 * message ("" for the member itself, "item 3: " for an array item). */
static gboolean
check_text (const char  *field,
            const char  *what,
            const char  *text,
            guint        max_chars,
            GError     **error)
{
  guint n = 0;

  if (!g_utf8_validate (text, -1, NULL))
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "%smust be valid UTF-8", what);
      return FALSE;
    }

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if ((c < 0x20 && c != '\n' && c != '\t') || (c >= 0x7f && c <= 0x9f))
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field,
                              "%smust not contain control characters", what);
          return FALSE;
        }
      n++;
    }

  if (max_chars > 0 && n > max_chars)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field,
                          "%smust be at most %u characters long", what, max_chars);
      return FALSE;
    }

  return TRUE;
}

/**
 * fq_json_get_string:
 * @object: an object
 * @field: the member name
 * @required: whether the member must be given (and not be empty)
 * @max_chars: the most characters allowed, or 0 for no limit
 * @out: (out) (transfer full) (nullable): the string, %NULL if not given
 * @error: return location for an error
 *
 * Returns: %FALSE with @error set if the member breaks a rule
 */
gboolean
fq_json_get_string (JsonObject  *object,
                    const char  *field,
                    gboolean     required,
                    guint        max_chars,
                    char       **out,
                    GError     **error)
{
  JsonNode *node;
  const char *str;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (field != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  *out = NULL;

  if (!(node = get_member (object, field)))
    return not_given (field, required, NULL, error);

  if (!holds_value_of_type (node, G_TYPE_STRING))
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "must be a string");
      return FALSE;
    }

  str = json_node_get_string (node);
  if (required && str[0] == '\0')
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "must not be empty");
      return FALSE;
    }

  if (!check_text (field, "", str, max_chars, error))
    return FALSE;

  *out = g_strdup (str);
  return TRUE;
}

static void
set_range_error (const char  *field,
                 gint64       min,
                 gint64       max,
                 GError     **error)
{
  if (max == G_MAXINT64)
    fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field,
                        "must be at least %" G_GINT64_FORMAT, min);
  else if (min == G_MININT64)
    fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field,
                        "must be at most %" G_GINT64_FORMAT, max);
  else
    fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field,
                        "must be between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT, min, max);
}

/**
 * fq_json_get_int:
 * @object: an object
 * @field: the member name
 * @required: whether the member must be given
 * @min: the smallest value allowed
 * @max: the largest value allowed
 * @out: (out): the value, untouched if not given
 * @present: (out) (optional): whether the member was given
 * @error: return location for an error
 *
 * Returns: %FALSE with @error set if the member breaks a rule
 */
gboolean
fq_json_get_int (JsonObject  *object,
                 const char  *field,
                 gboolean     required,
                 gint64       min,
                 gint64       max,
                 gint64      *out,
                 gboolean    *present,
                 GError     **error)
{
  JsonNode *node;
  gint64 value;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (field != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (min <= max, FALSE);

  if (!(node = get_member (object, field)))
    return not_given (field, required, present, error);

  /* A number with a fraction or an exponent is a double for json-glib, even
   * when its value is whole: only integer literals are integers here. */
  if (!holds_value_of_type (node, G_TYPE_INT64))
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "must be an integer");
      return FALSE;
    }

  value = json_node_get_int (node);
  if (value < min || value > max)
    {
      set_range_error (field, min, max, error);
      return FALSE;
    }

  *out = value;
  if (present != NULL)
    *present = TRUE;
  return TRUE;
}

/**
 * fq_json_get_double:
 * @object: an object
 * @field: the member name
 * @required: whether the member must be given
 * @min: the smallest value allowed
 * @max: the largest value allowed
 * @out: (out): the value, untouched if not given
 * @present: (out) (optional): whether the member was given
 * @error: return location for an error
 *
 * Returns: %FALSE with @error set if the member breaks a rule
 */
gboolean
fq_json_get_double (JsonObject  *object,
                    const char  *field,
                    gboolean     required,
                    double       min,
                    double       max,
                    double      *out,
                    gboolean    *present,
                    GError     **error)
{
  JsonNode *node;
  double value;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (field != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!(node = get_member (object, field)))
    return not_given (field, required, present, error);

  if (holds_value_of_type (node, G_TYPE_INT64))
    value = (double)json_node_get_int (node);
  else if (holds_value_of_type (node, G_TYPE_DOUBLE))
    value = json_node_get_double (node);
  else
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "must be a number");
      return FALSE;
    }

  if (!isfinite (value) || value < min || value > max)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field,
                          "must be between %g and %g", min, max);
      return FALSE;
    }

  *out = value;
  if (present != NULL)
    *present = TRUE;
  return TRUE;
}

/**
 * fq_json_get_bool:
 * @object: an object
 * @field: the member name
 * @required: whether the member must be given
 * @out: (out): the value, untouched if not given
 * @present: (out) (optional): whether the member was given
 * @error: return location for an error
 *
 * Returns: %FALSE with @error set if the member breaks a rule
 */
gboolean
fq_json_get_bool (JsonObject  *object,
                  const char  *field,
                  gboolean     required,
                  gboolean    *out,
                  gboolean    *present,
                  GError     **error)
{
  JsonNode *node;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (field != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!(node = get_member (object, field)))
    return not_given (field, required, present, error);

  if (!holds_value_of_type (node, G_TYPE_BOOLEAN))
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "must be true or false");
      return FALSE;
    }

  *out = json_node_get_boolean (node);
  if (present != NULL)
    *present = TRUE;
  return TRUE;
}

/**
 * fq_json_get_time:
 * @object: an object
 * @field: the member name
 * @required: whether the member must be given
 * @out: (out): Unix seconds, untouched if not given
 * @present: (out) (optional): whether the member was given
 * @error: return location for an error
 *
 * Returns: %FALSE with @error set if the member breaks a rule
 */
gboolean
fq_json_get_time (JsonObject  *object,
                  const char  *field,
                  gboolean     required,
                  gint64      *out,
                  gboolean    *present,
                  GError     **error)
{
  JsonNode *node;
  gint64 value;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (field != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!(node = get_member (object, field)))
    return not_given (field, required, present, error);

  if (!holds_value_of_type (node, G_TYPE_STRING) ||
      !fq_time_parse (json_node_get_string (node), &value))
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field,
                          "must be an RFC 3339 date and time such as 2026-11-29T08:00:00Z");
      return FALSE;
    }

  *out = value;
  if (present != NULL)
    *present = TRUE;
  return TRUE;
}

/**
 * fq_json_get_enum:
 * @object: an object
 * @field: the member name
 * @required: whether the member must be given
 * @enum_type: the enumeration, generated from fq-enums.h
 * @out: (out): the value, untouched if not given
 * @present: (out) (optional): whether the member was given
 * @error: return location for an error
 *
 * Returns: %FALSE with @error set if the member breaks a rule
 */
gboolean
fq_json_get_enum (JsonObject  *object,
                  const char  *field,
                  gboolean     required,
                  GType        enum_type,
                  int         *out,
                  gboolean    *present,
                  GError     **error)
{
  JsonNode *node;
  int value;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (field != NULL, FALSE);
  g_return_val_if_fail (G_TYPE_IS_ENUM (enum_type), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!(node = get_member (object, field)))
    return not_given (field, required, present, error);

  if (!holds_value_of_type (node, G_TYPE_STRING) ||
      !fq_enum_from_string (enum_type, json_node_get_string (node), &value))
    {
      g_autoptr(GEnumClass) klass = g_type_class_ref (enum_type);
      g_autoptr(GString) nicks = g_string_new (NULL);

      for (guint i = 0; i < klass->n_values; i++)
        g_string_append_printf (nicks, "%s%s", i > 0 ? ", " : "", klass->values[i].value_nick);

      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "must be one of %s", nicks->str);
      return FALSE;
    }

  *out = value;
  if (present != NULL)
    *present = TRUE;
  return TRUE;
}

/**
 * fq_json_get_string_array:
 * @object: an object
 * @field: the member name
 * @required: whether the member must be given (and not be empty)
 * @max_items: the most items allowed
 * @max_chars: the most characters of an item, or 0 for no limit
 * @out: (out) (transfer full) (nullable): the strings, %NULL if not given
 * @error: return location for an error
 *
 * Returns: %FALSE with @error set if the member breaks a rule
 */
gboolean
fq_json_get_string_array (JsonObject  *object,
                          const char  *field,
                          gboolean     required,
                          guint        max_items,
                          guint        max_chars,
                          GStrv       *out,
                          GError     **error)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  JsonArray *array;
  JsonNode *node;
  guint len;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (field != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  *out = NULL;

  if (!(node = get_member (object, field)))
    return not_given (field, required, NULL, error);

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "must be an array of strings");
      return FALSE;
    }

  array = json_node_get_array (node);
  len = json_array_get_length (array);

  if (required && len == 0)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "must not be empty");
      return FALSE;
    }
  if (len > max_items)
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field,
                          "must have at most %u items", max_items);
      return FALSE;
    }

  builder = g_strv_builder_new ();
  for (guint i = 0; i < len; i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      g_autofree char *what = g_strdup_printf ("item %u ", i + 1);

      if (!holds_value_of_type (item, G_TYPE_STRING))
        {
          fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "%smust be a string", what);
          return FALSE;
        }
      if (!check_text (field, what, json_node_get_string (item), max_chars, error))
        return FALSE;

      g_strv_builder_add (builder, json_node_get_string (item));
    }

  *out = g_strv_builder_end (builder);
  return TRUE;
}

/**
 * fq_json_get_object:
 * @object: an object
 * @field: the member name
 * @required: whether the member must be given
 * @out: (out) (transfer none) (nullable): the member, %NULL if not given
 * @error: return location for an error
 *
 * Returns: %FALSE with @error set if the member is missing or not an object
 */
gboolean
fq_json_get_object (JsonObject  *object,
                    const char  *field,
                    gboolean     required,
                    JsonObject **out,
                    GError     **error)
{
  JsonNode *node;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (field != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  *out = NULL;

  if (!(node = get_member (object, field)))
    return not_given (field, required, NULL, error);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "must be an object");
      return FALSE;
    }

  *out = json_node_get_object (node);
  return TRUE;
}

/**
 * fq_json_get_array:
 * @object: an object
 * @field: the member name
 * @required: whether the member must be given
 * @out: (out) (transfer none) (nullable): the member, %NULL if not given
 * @error: return location for an error
 *
 * Returns: %FALSE with @error set if the member is missing or not an array
 */
gboolean
fq_json_get_array (JsonObject  *object,
                   const char  *field,
                   gboolean     required,
                   JsonArray  **out,
                   GError     **error)
{
  JsonNode *node;

  g_return_val_if_fail (object != NULL, FALSE);
  g_return_val_if_fail (field != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  *out = NULL;

  if (!(node = get_member (object, field)))
    return not_given (field, required, NULL, error);

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      fq_set_field_error (error, FQ_ERROR_INVALID_FIELD, field, "must be an array");
      return FALSE;
    }

  *out = json_node_get_array (node);
  return TRUE;
}

/**
 * fq_time_format:
 * @unix_seconds: a time
 *
 * Returns: (transfer full) (nullable): the time in UTC as the API writes it,
 *   `2026-11-29T08:00:00Z`; %NULL if it lies outside years 1–9999
 */
char *
fq_time_format (gint64 unix_seconds)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_seconds);

  if (dt == NULL)
    return NULL;

  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02dZ",
                          g_date_time_get_year (dt), g_date_time_get_month (dt),
                          g_date_time_get_day_of_month (dt), g_date_time_get_hour (dt),
                          g_date_time_get_minute (dt), g_date_time_get_second (dt));
}

/* Reads @n digits at *p as a number, advancing *p; -1 if they are not all
 * digits. */
static int
read_digits (const char **p,
             guint        n)
{
  int value = 0;

  for (guint i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit ((*p)[i]))
        return -1;
      value = value * 10 + ((*p)[i] - '0');
    }

  *p += n;
  return value;
}

static gboolean
expect_char (const char **p,
             char         c)
{
  if (**p != c)
    return FALSE;
  (*p)++;
  return TRUE;
}

/**
 * fq_time_parse:
 * @text: (nullable): an RFC 3339 date-time, such as `2026-11-29T16:00:00+08:00`
 * @unix_seconds: (out): the time as Unix seconds
 *
 * GLib's ISO 8601 parser also takes week dates, ordinal dates, times without
 * seconds and basic formats; RFC 3339 is its strict subset, checked here by
 * hand before GDateTime does the calendar arithmetic.
 *
 * Returns: %TRUE if @text is an RFC 3339 date-time
 */
gboolean
fq_time_parse (const char *text,
               gint64     *unix_seconds)
{
  g_autoptr(GTimeZone) tz = NULL;
  g_autoptr(GDateTime) dt = NULL;
  const char *p = text;
  int year, month, day, hour, minute, second;
  int offset = 0;

  g_return_val_if_fail (unix_seconds != NULL, FALSE);

  if (text == NULL)
    return FALSE;

  if ((year = read_digits (&p, 4)) < 1 || !expect_char (&p, '-') ||
      (month = read_digits (&p, 2)) < 1 || month > 12 || !expect_char (&p, '-') ||
      (day = read_digits (&p, 2)) < 1 || day > 31 ||
      !(expect_char (&p, 'T') || expect_char (&p, 't')) ||
      (hour = read_digits (&p, 2)) < 0 || hour > 23 || !expect_char (&p, ':') ||
      (minute = read_digits (&p, 2)) < 0 || minute > 59 || !expect_char (&p, ':') ||
      (second = read_digits (&p, 2)) < 0 || second > 59)
    return FALSE;

  if (expect_char (&p, '.'))
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
    }

  if (expect_char (&p, 'Z') || expect_char (&p, 'z'))
    offset = 0;
  else if (*p == '+' || *p == '-')
    {
      int sign = *p == '-' ? -1 : 1;
      int oh, om;

      p++;
      if ((oh = read_digits (&p, 2)) < 0 || oh > 23 || !expect_char (&p, ':') ||
          (om = read_digits (&p, 2)) < 0 || om > 59)
        return FALSE;
      offset = sign * (oh * 3600 + om * 60);
    }
  else
    return FALSE;

  if (*p != '\0')
    return FALSE;

  tz = g_time_zone_new_offset (offset);
  dt = g_date_time_new (tz, year, month, day, hour, minute, second);
  if (dt == NULL)
    return FALSE;

  /* With an offset, a time in the first hours of year 1 or the last of
   * 9999 lies outside them in UTC, which fq_time_format() cannot write:
   * refuse it here so that every time read can be written back. */
  if (g_date_time_to_unix (dt) < G_GINT64_CONSTANT (-62135596800) ||  /* 0001-01-01T00:00:00Z */
      g_date_time_to_unix (dt) > G_GINT64_CONSTANT (253402300799))    /* 9999-12-31T23:59:59Z */
    return FALSE;

  *unix_seconds = g_date_time_to_unix (dt);
  return TRUE;
}

/* @member's node if it holds a string (@string) or a number or boolean. */
static JsonNode *
value_member (JsonObject *object,
              const char *member,
              gboolean    string)
{
  JsonNode *node;

  g_return_val_if_fail (member != NULL, NULL);

  if (object == NULL)
    return NULL;
  node = json_object_get_member (object, member);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) == G_TYPE_STRING) != string)
    return NULL;
  return node;
}

/**
 * fq_json_string_or:
 * @object: (nullable): an object a peer sent
 * @member: the member name
 * @fallback: (nullable): what to return if @member is not a string
 *
 * Returns: (nullable): @member's string, or @fallback
 */
const char *
fq_json_string_or (JsonObject *object,
                   const char *member,
                   const char *fallback)
{
  JsonNode *node = value_member (object, member, TRUE);

  return node != NULL ? json_node_get_string (node) : fallback;
}

/**
 * fq_json_int_or:
 * @object: (nullable): an object a peer sent
 * @member: the member name
 * @fallback: what to return if @member is not a number
 *
 * Returns: @member as an integer (a fraction truncated, a boolean 0 or 1),
 *   or @fallback, also for a number outside the range of gint64
 */
gint64
fq_json_int_or (JsonObject *object,
                const char *member,
                gint64      fallback)
{
  JsonNode *node = value_member (object, member, FALSE);
  double d;

  if (node == NULL)
    return fallback;
  if (json_node_get_value_type (node) != G_TYPE_DOUBLE)
    return json_node_get_int (node);
  /* Converting a double outside the range of gint64 is undefined. */
  d = json_node_get_double (node);
  if (d >= -9223372036854775808.0 && d < 9223372036854775808.0)
    return (gint64)d;
  return fallback;
}

/**
 * fq_json_bool_or:
 * @object: (nullable): an object a peer sent
 * @member: the member name
 * @fallback: what to return if @member is not a boolean
 *
 * Returns: @member as a boolean (as json_node_get_boolean() reads a
 *   boolean or a number), or @fallback
 */
gboolean
fq_json_bool_or (JsonObject *object,
                 const char *member,
                 gboolean    fallback)
{
  JsonNode *node = value_member (object, member, FALSE);

  return node != NULL ? json_node_get_boolean (node) : fallback;
}

/**
 * fq_json_to_string:
 * @node: a node
 * @length: (out) (optional): the length of the text in bytes
 *
 * Returns: (transfer full): @node as compact JSON text
 */
char *
fq_json_to_string (JsonNode *node,
                   gsize    *length)
{
  char *text;

  g_return_val_if_fail (node != NULL, NULL);

  text = json_to_string (node, FALSE);
  if (length != NULL)
    *length = strlen (text);

  return text;
}

/**
 * fq_json_builder_add_string:
 * @builder: a builder inside an object
 * @member: the member name
 * @value: (nullable): the string, %NULL for JSON null
 */
void
fq_json_builder_add_string (JsonBuilder *builder,
                            const char  *member,
                            const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/**
 * fq_json_builder_add_time:
 * @builder: a builder inside an object
 * @member: the member name
 * @unix_seconds: the time, 0 for JSON null
 */
void
fq_json_builder_add_time (JsonBuilder *builder,
                          const char  *member,
                          gint64       unix_seconds)
{
  g_autofree char *text = unix_seconds != 0 ? fq_time_format (unix_seconds) : NULL;

  fq_json_builder_add_string (builder, member, text);
}

/**
 * fq_json_builder_add_enum:
 * @builder: a builder inside an object
 * @member: the member name
 * @enum_type: the enumeration
 * @value: the value, written as its nick
 */
void
fq_json_builder_add_enum (JsonBuilder *builder,
                          const char  *member,
                          GType        enum_type,
                          int          value)
{
  const char *nick = fq_enum_to_string (enum_type, value);

  g_return_if_fail (nick != NULL);

  fq_json_builder_add_string (builder, member, nick);
}

/* ---- spans of members in a JSON text ---- */

static const char *
span_skip_space (const char *p,
                 const char *end)
{
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p;
}

/* @p at a '"'. Returns what follows the closing quote, or NULL; *@escaped
 * (may be NULL) tells whether the string holds an escape. */
static const char *
span_skip_string (const char *p,
                  const char *end,
                  gboolean   *escaped)
{
  if (escaped != NULL)
    *escaped = FALSE;
  if (p >= end || *p != '"')
    return NULL;
  for (p++; p < end; p++)
    {
      if (*p == '"')
        return p + 1;
      if (*p == '\\')
        {
          if (escaped != NULL)
            *escaped = TRUE;
          p++;
        }
    }
  return NULL;
}

/* Returns what follows the value at @p, or NULL. */
static const char *
span_skip_value (const char *p,
                 const char *end)
{
  guint depth = 0;

  p = span_skip_space (p, end);
  if (p >= end)
    return NULL;
  if (*p == '"')
    return span_skip_string (p, end, NULL);
  if (*p != '{' && *p != '[')
    {
      /* A number, true, false or null: up to what ends it. */
      const char *start = p;

      while (p < end && *p != ',' && *p != '}' && *p != ']' &&
             *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
        p++;
      return p > start ? p : NULL;
    }

  while (p < end)
    {
      if (*p == '"')
        {
          if ((p = span_skip_string (p, end, NULL)) == NULL)
            return NULL;
          continue;
        }
      if (*p == '{' || *p == '[')
        depth++;
      else if (*p == '}' || *p == ']')
        {
          if (--depth == 0)
            return p + 1;
        }
      p++;
    }
  return NULL;
}

/* @p after an object's '{': calls @member_func for each member, with the
 * key's text (without quotes) and the value's span; stops at '}'. Returns
 * what follows it, or NULL. A key written with an escape is passed as
 * NULL: its name is not what its text says. */
typedef gboolean (*SpanMemberFunc) (const char *key,
                                    gsize       key_len,
                                    const char *value,
                                    const char *value_end,
                                    gpointer    user_data);

static const char *
span_walk_object (const char     *p,
                  const char     *end,
                  SpanMemberFunc  member_func,
                  gpointer        user_data)
{
  p = span_skip_space (p, end);
  if (p < end && *p == '}')
    return p + 1;

  while (p < end)
    {
      const char *key, *key_end, *value;
      gboolean escaped;

      p = span_skip_space (p, end);
      key = p + 1;
      if ((key_end = span_skip_string (p, end, &escaped)) == NULL)
        return NULL;
      p = span_skip_space (key_end, end);
      if (p >= end || *p != ':')
        return NULL;
      value = span_skip_space (p + 1, end);
      if ((p = span_skip_value (value, end)) == NULL)
        return NULL;
      if (!member_func (escaped ? NULL : key, key_end - 1 - key, value, p, user_data))
        return NULL;
      p = span_skip_space (p, end);
      if (p < end && *p == ',')
        {
          p++;
          continue;
        }
      if (p < end && *p == '}')
        return p + 1;
      return NULL;
    }
  return NULL;
}

typedef struct
{
  const char *text;
  const char *name;
  gsize       name_len;
  FqJsonSpan  span;
  gboolean    doubtful;  /* a key with an escape: which member is @name? */
} SpanElement;

static gboolean
span_element_member_cb (const char *key,
                        gsize       key_len,
                        const char *value,
                        const char *value_end,
                        gpointer    user_data)
{
  SpanElement *e = user_data;

  if (key == NULL)
    e->doubtful = TRUE;
  else if (key_len == e->name_len && memcmp (key, e->name, key_len) == 0)
    {
      /* The last of several, as json-glib keeps. */
      e->span.offset = value - e->text;
      e->span.length = value_end - value;
    }
  return TRUE;
}

typedef struct
{
  const char *text;
  const char *array;
  gsize       array_len;
  const char *member;
  GArray     *spans;
  gboolean    found;
} SpanPage;

static gboolean
span_page_member_cb (const char *key,
                     gsize       key_len,
                     const char *value,
                     const char *value_end,
                     gpointer    user_data)
{
  SpanPage *page = user_data;
  const char *p = value;

  if (key == NULL)
    return FALSE;
  if (key_len != page->array_len || memcmp (key, page->array, key_len) != 0)
    return TRUE;
  /* Another member of that name after this one would be json-glib's. */
  if (page->found || *p != '[')
    return FALSE;
  page->found = TRUE;

  p = span_skip_space (p + 1, value_end);
  if (p < value_end && *p == ']')
    return TRUE;
  while (p < value_end)
    {
      const char *next;
      SpanElement e = { page->text, page->member, strlen (page->member), { 0, 0 }, FALSE };

      p = span_skip_space (p, value_end);
      if (p < value_end && *p == '{')
        next = span_walk_object (p + 1, value_end, span_element_member_cb, &e);
      else
        next = span_skip_value (p, value_end);
      if (next == NULL)
        return FALSE;
      if (e.doubtful)
        e.span.offset = e.span.length = 0;
      g_array_append_val (page->spans, e.span);

      p = span_skip_space (next, value_end);
      if (p < value_end && *p == ',')
        {
          p++;
          continue;
        }
      return p < value_end && *p == ']';
    }
  return FALSE;
}

/**
 * fq_json_find_member_spans:
 * @text: JSON text that a parser has accepted
 * @length: its length in bytes
 * @array: the root object's member that holds the array
 * @member: the member wanted in each element
 * @spans: (element-type FqJsonSpan): where the spans are appended, one per
 *   element, in order; a length of 0 where the element is not an object,
 *   has no @member, or has a key written with an escape (which member it
 *   names is then left to the parser)
 *
 * Finds where @member of each element of @array stands in @text, so that
 * it can be stored as it came. The text is walked, not validated: it must
 * be what a JSON parser accepted, whose tree the spans are then paired
 * with element by element.
 *
 * Returns: %FALSE if @text is not shaped so (no such array, an escaped key
 *   at the root); @spans then holds nothing to use
 */
gboolean
fq_json_find_member_spans (const char *text,
                           gsize       length,
                           const char *array,
                           const char *member,
                           GArray     *spans)
{
  const char *end = text + length;
  const char *p;
  SpanPage page;
  guint before;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (array != NULL && member != NULL && spans != NULL, FALSE);

  page = (SpanPage) { text, array, strlen (array), member, spans, FALSE };
  before = spans->len;
  p = span_skip_space (text, end);
  if (p >= end || *p != '{' ||
      span_walk_object (p + 1, end, span_page_member_cb, &page) == NULL ||
      !page.found)
    {
      g_array_set_size (spans, before);
      return FALSE;
    }
  return TRUE;
}

/**
 * fq_json_builder_add_strv:
 * @builder: a builder inside an object
 * @member: the member name
 * @values: (nullable) (array zero-terminated=1): the strings; %NULL gives []
 */
void
fq_json_builder_add_strv (JsonBuilder        *builder,
                          const char         *member,
                          const char * const *values)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
}
