/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/*
 * Private to the core: what the model types (fq-grid-node.c, fq-ticket.c, …)
 * share. Each type describes its JSON object as a table of FqModelField,
 * mapping a member to a property; the codec reads and writes the table with
 * the strict getters of fq-json.h. The setters here notify only on change,
 * which is also how fq_model_update() tells whether anything changed.
 */

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  FQ_MODEL_STRING, /* char *: NULL is written as null */
  FQ_MODEL_TIME,   /* gint64 Unix seconds: 0 is written as null */
  FQ_MODEL_INT,    /* int, uint or gint64 (by the property's type) */
  FQ_MODEL_BOOL,
  FQ_MODEL_ENUM,   /* by nick; the enum type is the property's */
  FQ_MODEL_STRV,   /* GStrv of identifiers; NULL is written as [] */
  FQ_MODEL_CUSTOM, /* read and write below */
} FqModelKind;

typedef struct _FqModelField FqModelField;

struct _FqModelField
{
  const char  *member;
  const char  *property;
  FqModelKind  kind;
  gboolean     required;
  /* STRING: most characters; STRV: most items (each at most FQ_MAX_ID_CHARS). */
  guint        max;
  /* INT: the range; with null_zero, 0 stands for null and is not range-checked. */
  gint64       min_int;
  gint64       max_int;
  gboolean     null_zero;
  /* CUSTOM */
  gboolean   (*read)  (GObject      *object,
                       JsonObject   *json,
                       GError      **error);
  void       (*write) (GObject      *object,
                       JsonBuilder  *builder);
};

gboolean  fq_model_read_fields  (GObject            *object,
                                 const FqModelField *fields,
                                 guint               n_fields,
                                 JsonObject         *json,
                                 GError            **error);
JsonNode *fq_model_write_fields (GObject            *object,
                                 const FqModelField *fields,
                                 guint               n_fields);
/* Copies every writable property of @from (of the same type) to @self;
 * returns whether any of them changed. */
gboolean  fq_model_update       (GObject            *self,
                                 GObject            *from);
/* The common part of each type's update_from_json: @from was just parsed
 * from the same object; its @id_property must match @self's. */
gboolean  fq_model_update_checked (GObject          *self,
                                   GObject          *from,
                                   const char       *id_property,
                                   gboolean         *changed,
                                   GError          **error);

/* Setters for set_property: each stores the value and notifies @pspec only
 * if it changed, and returns whether it did. */
gboolean  fq_model_set_string   (GObject     *object,
                                 char       **slot,
                                 const char  *value,
                                 GParamSpec  *pspec);
gboolean  fq_model_set_strv     (GObject     *object,
                                 GStrv       *slot,
                                 const char * const *value,
                                 GParamSpec  *pspec);
gboolean  fq_model_set_int64    (GObject     *object,
                                 gint64      *slot,
                                 gint64       value,
                                 GParamSpec  *pspec);
gboolean  fq_model_set_int      (GObject     *object,
                                 int         *slot,
                                 int          value,
                                 GParamSpec  *pspec);
gboolean  fq_model_set_uint     (GObject     *object,
                                 guint       *slot,
                                 guint        value,
                                 GParamSpec  *pspec);
gboolean  fq_model_set_boolean  (GObject     *object,
                                 gboolean    *slot,
                                 gboolean     value,
                                 GParamSpec  *pspec);
gboolean  fq_model_set_double   (GObject     *object,
                                 double      *slot,
                                 double       value,
                                 GParamSpec  *pspec);
/* Keeps an immutable copy (or a reference to an immutable node). */
gboolean  fq_model_set_json     (GObject     *object,
                                 JsonNode   **slot,
                                 JsonNode    *value,
                                 GParamSpec  *pspec);

#define FQ_MODEL_PARAM_FLAGS (G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY)

G_END_DECLS
