/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * Strict JSON input. Every getter checks the node's type and its bounds and
 * raises an FQ_ERROR naming the field ("FIELD: …") on any mismatch, so that
 * a handler turns bad input into the API's error object with one call.
 * Absent and JSON null are the same: "not given".
 *
 * Errors: FQ_ERROR_INVALID_FIELD for a member that is missing, of the wrong
 * type or out of bounds; FQ_ERROR_BAD_JSON only from fq_json_parse_object().
 * A required string or array must also be non-empty. When a member is not
 * given, string and array outputs are set to NULL, the other outputs are left
 * as they were (so that they may hold a default) and *present is FALSE.
 *
 * Members not asked for are ignored, so that the API can grow by adding.
 */

#define FQ_JSON_MAX_BODY  (1024 * 1024)
/* Nesting deeper than this is refused before json-glib sees it: its parser
 * recurses, and a body of a million '[' would overflow the stack. */
#define FQ_JSON_MAX_DEPTH 64

/* Lengths in characters, shared by the server (input) and the console
 * (objects from the server), so that what one accepts the other does too. */
#define FQ_MAX_ID_CHARS         64    /* identifiers, usernames */
#define FQ_MAX_CODE_CHARS       64    /* grid, category, group codes; enum-like strings */
#define FQ_MAX_PHONE_CHARS      32
#define FQ_MAX_NAME_CHARS       200   /* names, titles, addresses, caller names */
#define FQ_MAX_SUMMARY_CHARS    500
#define FQ_MAX_TEXT_CHARS       10000 /* descriptions, notes, minutes, agendas */
#define FQ_MAX_LIST_ITEMS       100   /* unit lists, repeat candidates */
#define FQ_MAX_TICKET_INCIDENTS 10000 /* the incidents of one ticket (repeats merged) */

/* Parses @data (which need not be NUL-terminated); checks UTF-8 first, then
 * the strict RFC 8259 grammar (json-glib alone also takes comments, single
 * quotes, hex numbers and trailing garbage), then parses with json-glib.
 *
 * FQ_ERROR_BAD_JSON if it is not valid UTF-8 JSON whose root is an object,
 * if it nests deeper than FQ_JSON_MAX_DEPTH or if an object repeats a member.
 * FQ_ERROR_INVALID_FIELD, naming the member, for an integer outside the
 * range of gint64 (json-glib would silently wrap it) and for a string that
 * contains U+0000 (json-glib would silently cut it). */
JsonObject *fq_json_parse_object       (const char   *data,
                                        gsize         length,
                                        GError      **error);

/* Strings are rejected if longer than @max_chars characters (0: no limit),
 * or if they contain control characters other than \n and \t. */
gboolean    fq_json_get_string         (JsonObject   *object,
                                        const char   *field,
                                        gboolean      required,
                                        guint         max_chars,
                                        char        **out,
                                        GError      **error);
/* Integers only: a number written with a fraction or an exponent (1.0, 1e3)
 * is refused, as is one outside [@min, @max]. */
gboolean    fq_json_get_int            (JsonObject   *object,
                                        const char   *field,
                                        gboolean      required,
                                        gint64        min,
                                        gint64        max,
                                        gint64       *out,
                                        gboolean     *present,
                                        GError      **error);
/* Any finite number in [@min, @max]. */
gboolean    fq_json_get_double         (JsonObject   *object,
                                        const char   *field,
                                        gboolean      required,
                                        double        min,
                                        double        max,
                                        double       *out,
                                        gboolean     *present,
                                        GError      **error);
gboolean    fq_json_get_bool           (JsonObject   *object,
                                        const char   *field,
                                        gboolean      required,
                                        gboolean     *out,
                                        gboolean     *present,
                                        GError      **error);
/* RFC 3339 with any offset; out is Unix seconds (UTC). */
gboolean    fq_json_get_time           (JsonObject   *object,
                                        const char   *field,
                                        gboolean      required,
                                        gint64       *out,
                                        gboolean     *present,
                                        GError      **error);
/* An enum given by its nick (see fq-enums.h). */
gboolean    fq_json_get_enum           (JsonObject   *object,
                                        const char   *field,
                                        gboolean      required,
                                        GType         enum_type,
                                        int          *out,
                                        gboolean     *present,
                                        GError      **error);
/* An array of strings, each at most @max_chars; at most @max_items items.
 * An empty array that is not required gives an empty GStrv. */
gboolean    fq_json_get_string_array   (JsonObject   *object,
                                        const char   *field,
                                        gboolean      required,
                                        guint         max_items,
                                        guint         max_chars,
                                        GStrv        *out,
                                        GError      **error);
/* A member that must be an object (array); @out is borrowed from @object. */
gboolean    fq_json_get_object         (JsonObject   *object,
                                        const char   *field,
                                        gboolean      required,
                                        JsonObject  **out,
                                        GError      **error);
gboolean    fq_json_get_array          (JsonObject   *object,
                                        const char   *field,
                                        gboolean      required,
                                        JsonArray   **out,
                                        GError      **error);

/* Times: Unix seconds <-> "2026-11-29T08:00:00Z". fq_time_parse() takes
 * RFC 3339 date-times only ("T" or "t" between date and time, seconds
 * required, any fraction of a second dropped, "Z", "z" or ±HH:MM). */
char       *fq_time_format             (gint64        unix_seconds);
gboolean    fq_time_parse              (const char   *text,
                                        gint64       *unix_seconds);

/* Lenient readers of what a peer sent, for members whose absence or
 * wrong type only means "not given": @fallback unless @object is given and
 * the member holds a string (fq_json_string_or()), or a number or boolean
 * (the others; an integer out of range is @fallback too).
 * Unlike json-glib's *_member_with_default(), an object or an array there
 * is no programming error (no critical): the server's answers and frames
 * are input, not the console's own data. */
const char *fq_json_string_or          (JsonObject   *object,
                                        const char   *member,
                                        const char   *fallback);
gint64      fq_json_int_or             (JsonObject   *object,
                                        const char   *member,
                                        gint64        fallback);
gboolean    fq_json_bool_or            (JsonObject   *object,
                                        const char   *member,
                                        gboolean      fallback);

/* Serialises @node compactly. */
char       *fq_json_to_string          (JsonNode     *node,
                                        gsize        *length);

/* Where a value stands in a JSON text: @offset and @length in bytes; a
 * @length of 0 for none. */
typedef struct
{
  gsize offset;
  gsize length;
} FqJsonSpan;

/* In @text, JSON that a parser has accepted, whose root is an object with
 * an array member @array: the span of member @member in each element of
 * that array, one FqJsonSpan per element appended to @spans, so that a
 * caller holding the parsed tree can store a member's text as it came
 * instead of serialising it again. No tree is built. */
gboolean    fq_json_find_member_spans  (const char   *text,
                                        gsize         length,
                                        const char   *array,
                                        const char   *member,
                                        GArray       *spans);

/* Output helpers for JsonBuilder, inside an object: a NULL string and a zero
 * time are written as JSON null. */
void        fq_json_builder_add_string (JsonBuilder  *builder,
                                        const char   *member,
                                        const char   *value);
void        fq_json_builder_add_time   (JsonBuilder  *builder,
                                        const char   *member,
                                        gint64        unix_seconds);
void        fq_json_builder_add_enum   (JsonBuilder  *builder,
                                        const char   *member,
                                        GType         enum_type,
                                        int           value);
void        fq_json_builder_add_strv   (JsonBuilder  *builder,
                                        const char   *member,
                                        const char * const *values);

G_END_DECLS
