/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Data"
/* memmem () */
#define _GNU_SOURCE

#include "config.h"

#include <string.h>
#include <time.h>

#include "fq-cache-private.h"
#include "fq-enum-types.h"
#include "fq-incident-list.h"
#include "fq-json.h"
#include "fq-row-store.h"

/* The first page paints the board before the whole cache is read. */
#define FIRST_PAGE_ROWS 300
/* A batch with more new incidents than this is a catch-up, not arrivals. */
#define LIVE_BATCH_MAX 200
#define FRESH_SECONDS 8
/* A held load goes on by itself after this long after the first page. */
#define HOLD_REST_MAX_MS 1500

#define ATOM_GRID 0
#define ATOM_CATEGORY 1

/* The row's text has an ASCII capital: only then does a search need to
 * fold case; other rows are searched with memmem () for the lower-cased
 * words as they are. */
#define TEXT_HAS_UPPER 1

#define TIME_BITS 40
#define TIME_MASK ((G_GUINT64_CONSTANT (1) << TIME_BITS) - 1)

/* One incident in the row store: 48 bytes plus its strings. */
typedef struct
{
  FqRowHeader h;
  gint64      received_at;
  guint32     text;         /* "summary\0address\0caller name\0caller phone\0" */
  guint32     text_len;     /* up to the last NUL, for searching the span */
  guint16     off_address;
  guint16     off_name;
  guint16     off_phone;
  gint8       source;
  gint8       status;
  gint8       decision;
  guint8      text_flags;   /* TEXT_HAS_UPPER */
  guint8      pad[2];
  guint32     grid;         /* atom */
  guint32     category;     /* atom */
  guint32     ticket;
  guint32     repeat_of;
  guint32     repeat_count;
  guint32     rev;
} IncRow;

/* ---- FqIncidentRow ----------------------------------------------------- */

struct _FqIncidentRow
{
  FqRowItem parent_instance;

  char     *id;
  char     *summary;
  char     *address;
  char     *caller_name;
  char     *caller_phone;
  char     *grid;
  char     *place;
  char     *category;
  char     *category_name;
  char     *ticket;
  char     *repeat_of;
  gint64    received_at;
  gint64    rev;
  guint     repeat_count;
  int       source;
  int       status;
  int       decision;
  gboolean  pending;
  gboolean  fresh;
};

enum {
  ROW_PROP_0,
  ROW_PROP_ID,
  ROW_PROP_SUMMARY,
  ROW_PROP_ADDRESS,
  ROW_PROP_CALLER_NAME,
  ROW_PROP_CALLER_PHONE,
  ROW_PROP_GRID,
  ROW_PROP_PLACE,
  ROW_PROP_CATEGORY,
  ROW_PROP_CATEGORY_NAME,
  ROW_PROP_TICKET,
  ROW_PROP_REPEAT_OF,
  ROW_PROP_RECEIVED_AT,
  ROW_PROP_REV,
  ROW_PROP_REPEAT_COUNT,
  ROW_PROP_SOURCE,
  ROW_PROP_STATUS,
  ROW_PROP_DECISION,
  ROW_PROP_PENDING,
  ROW_PROP_FRESH,
  ROW_N_PROPS
};

static GParamSpec *row_properties[ROW_N_PROPS];

G_DEFINE_FINAL_TYPE (FqIncidentRow, fq_incident_row, G_TYPE_OBJECT)

static void
fq_incident_row_finalize (GObject *object)
{
  FqIncidentRow *self = (FqIncidentRow *)object;

  g_free (self->id);
  g_free (self->summary);
  g_free (self->address);
  g_free (self->caller_name);
  g_free (self->caller_phone);
  g_free (self->grid);
  g_free (self->place);
  g_free (self->category);
  g_free (self->category_name);
  g_free (self->ticket);
  g_free (self->repeat_of);

  G_OBJECT_CLASS (fq_incident_row_parent_class)->finalize (object);
}

static void
fq_incident_row_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  FqIncidentRow *self = FQ_INCIDENT_ROW (object);

  switch (prop_id)
    {
    case ROW_PROP_ID: g_value_set_string (value, self->id); break;
    case ROW_PROP_SUMMARY: g_value_set_string (value, self->summary); break;
    case ROW_PROP_ADDRESS: g_value_set_string (value, self->address); break;
    case ROW_PROP_CALLER_NAME: g_value_set_string (value, self->caller_name); break;
    case ROW_PROP_CALLER_PHONE: g_value_set_string (value, self->caller_phone); break;
    case ROW_PROP_GRID: g_value_set_string (value, self->grid); break;
    case ROW_PROP_PLACE: g_value_set_string (value, self->place); break;
    case ROW_PROP_CATEGORY: g_value_set_string (value, self->category); break;
    case ROW_PROP_CATEGORY_NAME: g_value_set_string (value, self->category_name); break;
    case ROW_PROP_TICKET: g_value_set_string (value, self->ticket); break;
    case ROW_PROP_REPEAT_OF: g_value_set_string (value, self->repeat_of); break;
    case ROW_PROP_RECEIVED_AT: g_value_set_int64 (value, self->received_at); break;
    case ROW_PROP_REV: g_value_set_int64 (value, self->rev); break;
    case ROW_PROP_REPEAT_COUNT: g_value_set_uint (value, self->repeat_count); break;
    case ROW_PROP_SOURCE: g_value_set_enum (value, self->source); break;
    case ROW_PROP_STATUS: g_value_set_enum (value, self->status); break;
    case ROW_PROP_DECISION: g_value_set_int (value, self->decision); break;
    case ROW_PROP_PENDING: g_value_set_boolean (value, self->pending); break;
    case ROW_PROP_FRESH: g_value_set_boolean (value, self->fresh); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
row_string_prop (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, "",
                              G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
}

static void
fq_incident_row_class_init (FqIncidentRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = fq_incident_row_finalize;
  object_class->get_property = fq_incident_row_get_property;

  row_properties[ROW_PROP_ID] = row_string_prop ("id");
  row_properties[ROW_PROP_SUMMARY] = row_string_prop ("summary");
  row_properties[ROW_PROP_ADDRESS] = row_string_prop ("address");
  row_properties[ROW_PROP_CALLER_NAME] = row_string_prop ("caller-name");
  row_properties[ROW_PROP_CALLER_PHONE] = row_string_prop ("caller-phone");
  row_properties[ROW_PROP_GRID] = row_string_prop ("grid");
  row_properties[ROW_PROP_PLACE] = row_string_prop ("place");
  row_properties[ROW_PROP_CATEGORY] = row_string_prop ("category");
  row_properties[ROW_PROP_CATEGORY_NAME] = row_string_prop ("category-name");
  row_properties[ROW_PROP_TICKET] = row_string_prop ("ticket");
  row_properties[ROW_PROP_REPEAT_OF] = row_string_prop ("repeat-of");
  row_properties[ROW_PROP_RECEIVED_AT] =
    g_param_spec_int64 ("received-at", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  row_properties[ROW_PROP_REV] =
    g_param_spec_int64 ("rev", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  row_properties[ROW_PROP_REPEAT_COUNT] =
    g_param_spec_uint ("repeat-count", NULL, NULL, 0, G_MAXUINT, 0, flags);
  row_properties[ROW_PROP_SOURCE] =
    g_param_spec_enum ("source", NULL, NULL, FQ_TYPE_SOURCE, FQ_SOURCE_110, flags);
  row_properties[ROW_PROP_STATUS] =
    g_param_spec_enum ("status", NULL, NULL, FQ_TYPE_INCIDENT_STATUS,
                       FQ_INCIDENT_STATUS_NEW, flags);
  row_properties[ROW_PROP_DECISION] =
    g_param_spec_int ("decision", NULL, NULL, -1, FQ_DECISION_MERGE, -1, flags);
  row_properties[ROW_PROP_PENDING] =
    g_param_spec_boolean ("pending", NULL, NULL, FALSE, flags);
  row_properties[ROW_PROP_FRESH] =
    g_param_spec_boolean ("fresh", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, ROW_N_PROPS, row_properties);
}

static void
fq_incident_row_init (FqIncidentRow *self)
{
  self->decision = -1;
}

#define ROW_GETTER(type, name, field) \
  type fq_incident_row_get_##name (FqIncidentRow *self) \
  { \
    g_return_val_if_fail (FQ_IS_INCIDENT_ROW (self), (type)0); \
    return self->field; \
  }

ROW_GETTER (const char *, id, id)
ROW_GETTER (const char *, summary, summary)
ROW_GETTER (const char *, address, address)
ROW_GETTER (const char *, caller_name, caller_name)
ROW_GETTER (const char *, caller_phone, caller_phone)
ROW_GETTER (const char *, grid, grid)
ROW_GETTER (const char *, place, place)
ROW_GETTER (const char *, category, category)
ROW_GETTER (const char *, category_name, category_name)
ROW_GETTER (const char *, ticket, ticket)
ROW_GETTER (const char *, repeat_of, repeat_of)
ROW_GETTER (gint64, received_at, received_at)
ROW_GETTER (gint64, rev, rev)
ROW_GETTER (guint, repeat_count, repeat_count)
ROW_GETTER (FqSource, source, source)
ROW_GETTER (FqIncidentStatus, status, status)
ROW_GETTER (int, decision, decision)
ROW_GETTER (gboolean, pending, pending)
ROW_GETTER (gboolean, fresh, fresh)

/* ---- the spec: filter and sort ----------------------------------------- */

typedef struct
{
  FqIncidentSort sort;
  gboolean       descending;
  char          *scope;
  char          *query;
  GStrv          words;
  gboolean      *word_fold;      /* per word: needs ASCII case folding */
  gsize         *word_len;
  int            source;
  int            status;
  int            decision;
  GStrv          group_categories; /* NULL: no group filter */
  GHashTable    *category_names;   /* code → name, for sorting */
  gint64         since;
  GHashTable    *ids;              /* exactly these incidents, others ignored */

  /* Prepared on the worker. */
  guint8        *grid_ok;
  guint          n_grid_ok;
  guint8        *cat_ok;
  guint          n_cat_ok;
  guint32       *cat_rank;
  guint          n_cat_rank;
  guint32       *grid_rank;
  guint          n_grid_rank;
} IncSpec;

static void
inc_spec_free (gpointer data)
{
  IncSpec *spec = data;

  g_free (spec->scope);
  g_free (spec->query);
  g_strfreev (spec->words);
  g_free (spec->word_fold);
  g_free (spec->word_len);
  g_strfreev (spec->group_categories);
  g_clear_pointer (&spec->category_names, g_hash_table_unref);
  g_clear_pointer (&spec->ids, g_hash_table_unref);
  g_free (spec->grid_ok);
  g_free (spec->cat_ok);
  g_free (spec->cat_rank);
  g_free (spec->grid_rank);
  g_free (spec);
}

static IncSpec *
inc_spec_copy (const IncSpec *src)
{
  IncSpec *spec = g_new0 (IncSpec, 1);

  spec->sort = src->sort;
  spec->descending = src->descending;
  spec->scope = g_strdup (src->scope);
  spec->query = g_strdup (src->query);
  spec->source = src->source;
  spec->status = src->status;
  spec->decision = src->decision;
  spec->group_categories = g_strdupv (src->group_categories);
  spec->category_names = src->category_names ? g_hash_table_ref (src->category_names) : NULL;
  spec->since = src->since;
  spec->ids = src->ids ? g_hash_table_ref (src->ids) : NULL;

  if (spec->query != NULL && spec->query[0] != '\0')
    {
      g_autofree char *spaced = g_strdup (spec->query);
      g_auto(GStrv) raw = NULL;
      GPtrArray *words = g_ptr_array_new ();

      /* The ideographic space separates words too. It is three bytes, so
       * it becomes three spaces here: g_strsplit_set () splits on bytes,
       * and its bytes are also in other characters. */
      for (char *p = strstr (spaced, "\u3000"); p != NULL; p = strstr (p, "\u3000"))
        memset (p, ' ', strlen ("\u3000"));
      raw = g_strsplit_set (spaced, " \t", -1);

      for (guint i = 0; raw[i] != NULL; i++)
        if (raw[i][0] != '\0')
          g_ptr_array_add (words, g_ascii_strdown (raw[i], -1));
      g_ptr_array_add (words, NULL);
      spec->words = (GStrv)g_ptr_array_free (words, FALSE);

      spec->word_fold = g_new0 (gboolean, g_strv_length (spec->words) + 1);
      spec->word_len = g_new0 (gsize, g_strv_length (spec->words) + 1);
      for (guint i = 0; spec->words[i] != NULL; i++)
        spec->word_len[i] = strlen (spec->words[i]);
      for (guint i = 0; spec->words[i] != NULL; i++)
        for (const char *p = spec->words[i]; *p; p++)
          if (g_ascii_isalpha (*p))
            spec->word_fold[i] = TRUE;
    }
  return spec;
}

static const char *
category_name (gconstpointer  data,
               const char    *code)
{
  const IncSpec *spec = data;
  const char *name = spec->category_names ? g_hash_table_lookup (spec->category_names, code) : NULL;

  return name ? name : code;
}

static void
inc_prepare (FqRowStore *store,
             gpointer    data)
{
  IncSpec *spec = data;

  g_clear_pointer (&spec->grid_ok, g_free);
  spec->n_grid_ok = 0;
  if (spec->scope != NULL && spec->scope[0] != '\0')
    spec->grid_ok = fq_row_store_atoms_with_prefix (store, ATOM_GRID, spec->scope, &spec->n_grid_ok);

  g_clear_pointer (&spec->cat_ok, g_free);
  spec->n_cat_ok = 0;
  if (spec->group_categories != NULL)
    spec->cat_ok = fq_row_store_atoms_in (store, ATOM_CATEGORY,
                                          (const char * const *)spec->group_categories,
                                          &spec->n_cat_ok);

  /* Ranks for sorting by category name and by place (grid code). */
  g_clear_pointer (&spec->cat_rank, g_free);
  g_clear_pointer (&spec->grid_rank, g_free);
  if (spec->sort == FQ_INCIDENT_SORT_CATEGORY)
    spec->cat_rank = fq_row_store_rank_atoms (store, ATOM_CATEGORY, category_name, spec,
                                              &spec->n_cat_rank);
  else if (spec->sort == FQ_INCIDENT_SORT_PLACE)
    spec->grid_rank = fq_row_store_rank_atoms (store, ATOM_GRID, NULL, NULL, &spec->n_grid_rank);
}

static guint64
inc_sort_key (FqRowStore    *store,
              gconstpointer  data,
              gconstpointer  spec_data)
{
  const IncRow *row = data;
  const IncSpec *spec = spec_data;
  guint64 t = (guint64)CLAMP (row->received_at, 0, (gint64)TIME_MASK);
  guint64 primary;
  guint64 primary_max;

  if (spec->sort == FQ_INCIDENT_SORT_TIME)
    return spec->descending ? TIME_MASK - t : t;

  switch (spec->sort)
    {
    case FQ_INCIDENT_SORT_SOURCE:
      primary = (guint64)row->source;
      break;
    case FQ_INCIDENT_SORT_CATEGORY:
      /* Atoms added after the ranks were made sort after the known ones. */
      primary = row->category < spec->n_cat_rank ? spec->cat_rank[row->category]
                                                 : spec->n_cat_rank + row->category;
      break;
    case FQ_INCIDENT_SORT_PLACE:
      primary = row->grid < spec->n_grid_rank ? spec->grid_rank[row->grid]
                                              : spec->n_grid_rank + row->grid;
      break;
    case FQ_INCIDENT_SORT_STATUS:
    default:
      primary = row->status == FQ_INCIDENT_STATUS_NEW ? 0 : (guint64)(row->decision + 2);
      break;
    }

  primary_max = (G_GUINT64_CONSTANT (1) << (64 - TIME_BITS)) - 1;
  primary = MIN (primary, primary_max);
  if (spec->descending)
    primary = primary_max - primary;

  /* Within one group the newest come first, whatever the direction. */
  return (primary << TIME_BITS) | (TIME_MASK - t);
}

/* @needle is lower-case and @n long. The candidates are found with
 * memchr () for either case of its first byte, which is what makes a
 * million rows a matter of milliseconds. */
static gboolean
contains_fold (const char *hay,
               gsize       hay_len,
               const char *needle,
               gsize       n)
{
  char lower = needle[0];
  char upper = g_ascii_toupper (lower);
  const char *last;   /* the last place the needle can start */

  if (n == 0)
    return TRUE;
  if (n > hay_len)
    return FALSE;

  last = hay + hay_len - n;
  for (const char *p = hay; p <= last;)
    {
      const char *hit = memchr (p, lower, last - p + 1);
      const char *other = NULL;

      if (upper != lower)
        other = memchr (p, upper, (hit != NULL ? hit : last + 1) - p);
      if (other != NULL)
        hit = other;
      if (hit == NULL)
        return FALSE;
      if (g_ascii_strncasecmp (hit + 1, needle + 1, n - 1) == 0)
        return TRUE;
      p = hit + 1;
    }
  return FALSE;
}

static gboolean
inc_matches (FqRowStore    *store,
             gconstpointer  data,
             gconstpointer  spec_data)
{
  const IncRow *row = data;
  const IncSpec *spec = spec_data;

  if (row->h.flags & FQ_ROW_DELETED)
    return FALSE;
  if (spec->ids != NULL)
    return fq_row_store_row_in_set (store, row, spec->ids);
  if (spec->status >= 0 && row->status != spec->status)
    return FALSE;
  if (spec->source >= 0 && row->source != spec->source)
    return FALSE;
  if (spec->decision >= 0 && row->decision != spec->decision)
    return FALSE;
  if (spec->since > 0 && row->received_at < spec->since)
    return FALSE;

  if (spec->grid_ok != NULL &&
      !fq_row_store_atom_ok (store, ATOM_GRID, spec->grid_ok, spec->n_grid_ok, row->grid,
                             spec->scope, NULL))
    return FALSE;

  if (spec->cat_ok != NULL &&
      !fq_row_store_atom_ok (store, ATOM_CATEGORY, spec->cat_ok, spec->n_cat_ok, row->category,
                             NULL, (const char * const *)spec->group_categories))
    return FALSE;

  if (spec->words != NULL)
    {
      const char *text = fq_row_store_str (store, row->text);

      for (guint i = 0; spec->words[i] != NULL; i++)
        {
          if (spec->word_fold[i] && (row->text_flags & TEXT_HAS_UPPER))
            {
              if (!contains_fold (text, row->text_len, spec->words[i], spec->word_len[i]))
                return FALSE;
            }
          else if (memmem (text, row->text_len, spec->words[i], spec->word_len[i]) == NULL)
            return FALSE;
        }
    }

  return TRUE;
}

static gboolean
same_strv (GStrv a,
           GStrv b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_strv_equal ((const char * const *)a, (const char * const *)b);
}

static gboolean
inc_same_sort (gconstpointer a,
               gconstpointer b)
{
  const IncSpec *sa = a;
  const IncSpec *sb = b;

  return sa->sort == sb->sort && sa->descending == sb->descending;
}

static gboolean
inc_refines (gconstpointer old_data,
             gconstpointer new_data)
{
  const IncSpec *o = old_data;
  const IncSpec *n = new_data;

  if (g_strcmp0 (o->scope, n->scope) != 0 || o->source != n->source ||
      o->status != n->status || o->decision != n->decision || o->since != n->since ||
      o->ids != n->ids || !same_strv (o->group_categories, n->group_categories))
    return FALSE;

  /* Every old word must still be required, at least as strictly. */
  if (o->words == NULL)
    return TRUE;
  if (n->words == NULL)
    return FALSE;
  for (guint i = 0; o->words[i] != NULL; i++)
    {
      gboolean kept = FALSE;

      for (guint j = 0; n->words[j] != NULL && !kept; j++)
        kept = strstr (n->words[j], o->words[i]) != NULL;
      if (!kept)
        return FALSE;
    }
  return TRUE;
}

/* Builds the searchable span of a row, "summary\0address\0name\0phone",
 * straight in the arena, and its offsets. */
static void
set_text (FqRowStore *store,
          IncRow     *row,
          const char *summary,
          const char *address,
          const char *name,
          const char *phone)
{
  const char *parts[4] = { summary ?: "", address ?: "", name ?: "", phone ?: "" };
  gsize lens[4];
  gsize total = 0;
  char *dst;

  for (guint i = 0; i < 4; i++)
    {
      lens[i] = MIN (strlen (parts[i]), 16000);
      total += lens[i] + 1;
    }

  dst = fq_row_store_alloc_str (store, total - 1, &row->text);
  for (guint i = 0; i < 4; i++)
    {
      memcpy (dst, parts[i], lens[i]);
      dst[lens[i]] = '\0';
      dst += lens[i] + 1;
    }

  row->text_len = total - 1;
  row->text_flags = 0;
  for (const char *p = fq_row_store_str (store, row->text), *end = p + row->text_len; p < end; p++)
    if (g_ascii_isupper (*p))
      {
        row->text_flags |= TEXT_HAS_UPPER;
        break;
      }
  row->off_address = lens[0] + 1;
  row->off_name = row->off_address + lens[1] + 1;
  row->off_phone = row->off_name + lens[2] + 1;
}

static void
adjust_repeat_count (FqRowStore *store,
                     const char *target,
                     int         delta)
{
  guint t;
  IncRow *trow;

  if (target == NULL || target[0] == '\0')
    return;
  t = fq_row_store_find_row (store, target);
  if (t == G_MAXUINT)
    return;
  trow = fq_row_store_get_row_mut (store, t);
  if (delta > 0 || trow->repeat_count > 0)
    trow->repeat_count += delta;
}

static void
inc_fill (FqRowStore *store,
          gpointer    data,
          gpointer    rec_data)
{
  IncRow *row = data;
  FqIncidentRec *rec = rec_data;
  const char *old_repeat = fq_row_store_str (store, row->repeat_of);

  /* Keeps the repeat count of the incident a call repeats current. */
  if (g_strcmp0 (old_repeat, rec->repeat_of ?: "") != 0)
    {
      adjust_repeat_count (store, old_repeat, -1);
      adjust_repeat_count (store, rec->repeat_of, +1);
    }

  row->received_at = rec->received_at;
  set_text (store, row, rec->summary, rec->address, rec->caller_name, rec->caller_phone);
  row->source = rec->source;
  row->status = rec->status;
  row->decision = rec->decision;
  row->grid = fq_row_store_atom (store, ATOM_GRID, rec->grid);
  row->category = fq_row_store_atom (store, ATOM_CATEGORY, rec->category);
  row->ticket = fq_row_store_add_str (store, rec->ticket, -1);
  row->repeat_of = fq_row_store_add_str (store, rec->repeat_of, -1);
  row->rev = (guint32)rec->rev;
}

static const char *
inc_rec_id (gpointer rec)
{
  return ((FqIncidentRec *)rec)->id;
}

static gboolean
inc_rec_is_delete (gpointer rec)
{
  return ((FqIncidentRec *)rec)->deleted;
}

static const FqRowStoreClass inc_class = {
  .row_size = sizeof (IncRow),
  .fill = inc_fill,
  .rec_id = inc_rec_id,
  .rec_is_delete = inc_rec_is_delete,
  .prepare = inc_prepare,
  .sort_key = inc_sort_key,
  .matches = inc_matches,
  .refines = inc_refines,
  .same_sort = inc_same_sort,
  .spec_free = inc_spec_free,
};

/* ---- FqIncidentList ---------------------------------------------------- */

typedef enum
{
  LOAD_NONE,
  LOAD_FIRST_PAGE,
  LOAD_FULL,
  LOAD_DONE,
} LoadState;

struct _FqIncidentList
{
  GObject       parent_instance;

  FqCache      *cache;
  FqRowStore   *store;
  GCancellable *cancellable;
  IncSpec      *spec;          /* main thread's copy of what was asked */
  GHashTable   *fresh;         /* row → expiry (monotonic µs) */
  GPtrArray    *held_batches;  /* FqCacheBatch, while loading */
  GHashTable   *category_names;
  guint         fresh_id;
  guint         spec_idle_id;
  LoadState     load_state;
  gboolean      spec_dirty;
  gboolean      hold_rest;     /* the full load waits after the first page */
  gboolean      rest_waiting;
  guint         rest_timeout_id;
};

enum {
  PROP_0,
  PROP_N_ITEMS,
  PROP_LOADING,
  PROP_N_TOTAL,
  PROP_ITEM_TYPE,
  PROP_BUSY,
  N_PROPS
};

enum {
  LOADED,
  FIRST_PAGE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FqIncidentList, fq_incident_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

G_DEFINE_ENUM_TYPE (FqIncidentSort, fq_incident_sort,
                    G_DEFINE_ENUM_VALUE (FQ_INCIDENT_SORT_TIME, "time"),
                    G_DEFINE_ENUM_VALUE (FQ_INCIDENT_SORT_SOURCE, "source"),
                    G_DEFINE_ENUM_VALUE (FQ_INCIDENT_SORT_CATEGORY, "category"),
                    G_DEFINE_ENUM_VALUE (FQ_INCIDENT_SORT_PLACE, "place"),
                    G_DEFINE_ENUM_VALUE (FQ_INCIDENT_SORT_STATUS, "status"))

/* Copies a row's data into its item, notifying what changed. Called with
 * the store's read lock held. */
static void
load_item (gpointer      owner,
           gpointer      item_data,
           gconstpointer row_data,
           gboolean      notify)
{
  FqIncidentList *self = owner;
  FqIncidentRow *item = item_data;
  const IncRow *row = row_data;
  FqRowStore *store = self->store;
  const char *text = fq_row_store_str (store, row->text);
  const char *grid = fq_row_store_atom_str (store, ATOM_GRID, row->grid);
  const char *category = fq_row_store_atom_str (store, ATOM_CATEGORY, row->category);
  gboolean changed[ROW_N_PROPS] = { FALSE, };
  gint64 now;
  gpointer expiry;

  changed[ROW_PROP_ID] = fq_row_item_set_str (&item->id, fq_row_store_str (store, row->h.id));
  changed[ROW_PROP_SUMMARY] = fq_row_item_set_str (&item->summary, text);
  changed[ROW_PROP_ADDRESS] = fq_row_item_set_str (&item->address, text + row->off_address);
  changed[ROW_PROP_CALLER_NAME] = fq_row_item_set_str (&item->caller_name, text + row->off_name);
  changed[ROW_PROP_CALLER_PHONE] = fq_row_item_set_str (&item->caller_phone, text + row->off_phone);
  changed[ROW_PROP_GRID] = fq_row_item_set_str (&item->grid, grid);
  changed[ROW_PROP_PLACE] = fq_row_item_set_str (&item->place, fq_cache_lookup_ref_name (self->cache, "grid", grid));
  changed[ROW_PROP_CATEGORY] = fq_row_item_set_str (&item->category, category);
  changed[ROW_PROP_CATEGORY_NAME] = fq_row_item_set_str (&item->category_name,
                                             fq_cache_lookup_ref_name (self->cache, "category", category));
  changed[ROW_PROP_TICKET] = fq_row_item_set_str (&item->ticket, fq_row_store_str (store, row->ticket));
  changed[ROW_PROP_REPEAT_OF] = fq_row_item_set_str (&item->repeat_of, fq_row_store_str (store, row->repeat_of));

#define SET_NUM(prop, field, value) \
  G_STMT_START { if (item->field != (value)) { item->field = (value); changed[prop] = TRUE; } } G_STMT_END

  SET_NUM (ROW_PROP_RECEIVED_AT, received_at, row->received_at);
  SET_NUM (ROW_PROP_REV, rev, (gint64)row->rev);
  SET_NUM (ROW_PROP_REPEAT_COUNT, repeat_count, row->repeat_count);
  SET_NUM (ROW_PROP_SOURCE, source, row->source);
  SET_NUM (ROW_PROP_STATUS, status, row->status);
  SET_NUM (ROW_PROP_DECISION, decision, row->decision);
  SET_NUM (ROW_PROP_PENDING, pending, fq_row_store_is_pending (store, item->id));
  now = g_get_monotonic_time ();
  expiry = g_hash_table_lookup (self->fresh, GUINT_TO_POINTER (item->parent_instance.row));
  SET_NUM (ROW_PROP_FRESH, fresh, expiry != NULL && GPOINTER_TO_SIZE (expiry) > (gsize)now);

#undef SET_NUM

  if (notify)
    fq_row_item_notify (item, row_properties, changed, ROW_N_PROPS);
}

/* ---- GListModel -------------------------------------------------------- */

static GType
list_get_item_type (GListModel *model)
{
  return FQ_TYPE_INCIDENT_ROW;
}

static guint
list_get_n_items (GListModel *model)
{
  FqIncidentList *self = FQ_INCIDENT_LIST (model);

  return self->store ? fq_row_store_get_n_items (self->store) : 0;
}

static gpointer
list_get_item (GListModel *model,
               guint       position)
{
  FqIncidentList *self = FQ_INCIDENT_LIST (model);

  return self->store ? fq_row_store_get_item (self->store, position) : NULL;
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = list_get_item_type;
  iface->get_n_items = list_get_n_items;
  iface->get_item = list_get_item;
}

/* ---- row store callbacks ------------------------------------------------ */

static gboolean
fresh_expire_cb (gpointer data)
{
  FqIncidentList *self = data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->fresh);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (GPOINTER_TO_SIZE (value) <= (gsize)now)
        {
          FqIncidentRow *item = fq_row_store_peek_item (self->store, GPOINTER_TO_UINT (key));

          g_hash_table_iter_remove (&iter);
          if (item != NULL && item->fresh)
            {
              item->fresh = FALSE;
              g_object_notify_by_pspec (G_OBJECT (item), row_properties[ROW_PROP_FRESH]);
            }
        }
    }

  if (g_hash_table_size (self->fresh) == 0)
    {
      self->fresh_id = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
store_rows_added (gpointer        owner,
                  const guint32  *rows,
                  guint           n_rows)
{
  FqIncidentList *self = owner;
  gint64 expiry = g_get_monotonic_time () + FRESH_SECONDS * G_USEC_PER_SEC;

  for (guint i = 0; i < n_rows; i++)
    {
      FqIncidentRow *item = fq_row_store_peek_item (self->store, rows[i]);

      g_hash_table_insert (self->fresh, GUINT_TO_POINTER (rows[i]), GSIZE_TO_POINTER ((gsize)expiry));
      if (item != NULL && !item->fresh)
        {
          item->fresh = TRUE;
          g_object_notify_by_pspec (G_OBJECT (item), row_properties[ROW_PROP_FRESH]);
        }
    }

  if (self->fresh_id == 0)
    self->fresh_id = g_timeout_add_seconds (1, fresh_expire_cb, self);
}

static void start_full_load (FqIncidentList *self);

static void
rest_timeout_cb (gpointer data)
{
  FqIncidentList *self = data;

  self->rest_timeout_id = 0;
  fq_incident_list_hold_rest (self, FALSE);
}

static IncSpec *make_spec (FqIncidentList *self);
static void push_spec (FqIncidentList *self);

static void
store_applied (gpointer owner,
               guint    kind)
{
  FqIncidentList *self = owner;
  gboolean was_loading = fq_incident_list_get_loading (self);

  if (kind == FQ_ROW_STORE_RESULT_REBUILD && self->load_state == LOAD_FIRST_PAGE)
    {
      g_signal_emit (self, signals[FIRST_PAGE], 0);
      if (self->hold_rest)
        {
          self->rest_waiting = TRUE;
          self->rest_timeout_id = g_timeout_add_once (HOLD_REST_MAX_MS, rest_timeout_cb, self);
        }
      else
        start_full_load (self);
    }
  else if (kind == FQ_ROW_STORE_RESULT_REBUILD && self->load_state == LOAD_FULL)
    {
      self->load_state = LOAD_DONE;
      g_signal_emit (self, signals[LOADED], 0);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_TOTAL]);
  /* A spec's result is in: "loading" may have ended now (it was computed
   * after the store counted the result done). */
  if (was_loading != fq_incident_list_get_loading (self) || kind != FQ_ROW_STORE_RESULT_BATCH)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);

  /* A spec held back while this result was computed. */
  if (self->spec_dirty && self->spec_idle_id == 0 && self->load_state == LOAD_DONE &&
      !fq_row_store_get_refiltering (self->store))
    push_spec (self);
}

static const FqRowStoreCallbacks inc_callbacks = {
  .load_item = load_item,
  .rows_added = store_rows_added,
  .applied = store_applied,
};

/* ---- loading ------------------------------------------------------------ */

typedef struct
{
  FqRowStore *store;
  int         limit;   /* 0: everything */
} LoadData;

/* For the timing in debug messages: the machine may be busy with others. */
static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64)ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* Runs on the cache's worker: reads incidents straight into the row store,
 * without building a record per row. */
static gpointer
load_job (sqlite3       *db,
          gpointer       data,
          GCancellable  *cancellable,
          GError       **error)
{
  LoadData *ld = data;
  FqRowStore *store = ld->store;
  sqlite3_stmt *stmt = NULL;
  const char *sql_all =
    "SELECT id, received_at, source, status, decision, grid, category, summary, address,"
    " caller_name, caller_phone, ticket, repeat_of, rev FROM incidents";
  const char *sql_page =
    "SELECT id, received_at, source, status, decision, grid, category, summary, address,"
    " caller_name, caller_phone, ticket, repeat_of, rev FROM incidents"
    " ORDER BY received_at DESC LIMIT ?";
  guint n = 0;
  guint n_count = 0;
  gint64 t0 = g_get_monotonic_time ();
  gint64 c0 = thread_cpu_us ();

  if (sqlite3_prepare_v2 (db, ld->limit > 0 ? sql_page : sql_all, -1, &stmt, NULL) != SQLITE_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot read incidents: %s",
                   sqlite3_errmsg (db));
      return NULL;
    }
  if (ld->limit > 0)
    sqlite3_bind_int (stmt, 1, ld->limit);

  if (ld->limit == 0)
    {
      sqlite3_stmt *count = NULL;

      if (sqlite3_prepare_v2 (db, "SELECT count(*) FROM incidents", -1, &count, NULL) == SQLITE_OK &&
          sqlite3_step (count) == SQLITE_ROW)
        n_count = sqlite3_column_int (count, 0);
      sqlite3_finalize (count);
    }

  fq_row_store_bulk_begin (store);
  if (n_count > 0)
    fq_row_store_bulk_reserve (store, n_count + 1024);
  for (;;)
    {
      const char *id;
      IncRow *row;
      int rc;

      /* The rows are the main thread's to read while SQLite finds the
       * next one: the board paints its first rows during the load. */
      fq_row_store_bulk_pause (store);
      rc = sqlite3_step (stmt);
      fq_row_store_bulk_resume (store);
      if (rc != SQLITE_ROW)
        break;

      id = (const char *)sqlite3_column_text (stmt, 0);
      if (id == NULL)
        continue;
      if ((n & 4095) == 0 && g_cancellable_is_cancelled (cancellable))
        break;
      row = fq_row_store_bulk_row (store, id, sqlite3_column_bytes (stmt, 0));
      row->received_at = sqlite3_column_int64 (stmt, 1);
      row->source = sqlite3_column_int (stmt, 2);
      row->status = sqlite3_column_int (stmt, 3);
      row->decision = sqlite3_column_type (stmt, 4) == SQLITE_NULL ? -1 : sqlite3_column_int (stmt, 4);
      row->grid = fq_row_store_atom (store, ATOM_GRID, (const char *)sqlite3_column_text (stmt, 5));
      row->category = fq_row_store_atom (store, ATOM_CATEGORY,
                                         (const char *)sqlite3_column_text (stmt, 6));
      set_text (store, row,
                (const char *)sqlite3_column_text (stmt, 7),
                (const char *)sqlite3_column_text (stmt, 8),
                (const char *)sqlite3_column_text (stmt, 9),
                (const char *)sqlite3_column_text (stmt, 10));
      row->ticket = fq_row_store_add_str (store, (const char *)sqlite3_column_text (stmt, 11), -1);
      row->repeat_of = fq_row_store_add_str (store, (const char *)sqlite3_column_text (stmt, 12), -1);
      row->rev = (guint32)sqlite3_column_int64 (stmt, 13);
      row->h.flags &= ~FQ_ROW_DELETED;
      n++;
    }
  sqlite3_finalize (stmt);

  /* Repeat counts: how many later calls point at each incident. */
  if (ld->limit == 0)
    {
      guint n_rows = fq_row_store_get_n_rows (store);

      for (guint r = 0; r < n_rows; r++)
        ((IncRow *)fq_row_store_get_row (store, r))->repeat_count = 0;
      for (guint r = 0; r < n_rows; r++)
        {
          const IncRow *row = fq_row_store_get_row (store, r);

          if (row->repeat_of != 0)
            adjust_repeat_count (store, fq_row_store_str (store, row->repeat_of), +1);
        }
    }
  fq_row_store_bulk_end (store);

  g_debug ("Read %u incidents from the cache in %.0f ms (%.0f ms CPU)", n,
           (g_get_monotonic_time () - t0) / 1000.0, (thread_cpu_us () - c0) / 1000.0);
  return GUINT_TO_POINTER (n + 1);
}

static void
load_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  FqIncidentList *self = user_data;
  g_autoptr(GError) error = NULL;

  if (fq_cache_run_finish (FQ_CACHE (object), result, &error) == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot load incidents from the cache: %s", error->message);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_object_unref (self);
          return;
        }
    }

  if (self->store == NULL)
    {
      g_object_unref (self);
      return;
    }

  /* Whatever the user asked for meanwhile is applied with the rebuild. */
  fq_row_store_rebuild (self->store, self->spec_dirty ? make_spec (self) : NULL);

  if (self->load_state == LOAD_FULL)
    {
      /* Batches that came while the store was being filled, then whatever
       * the user changed meanwhile, in that order. */
      for (guint i = 0; i < self->held_batches->len; i++)
        {
          FqCacheBatch *batch = g_ptr_array_index (self->held_batches, i);

          fq_row_store_apply (self->store, g_ptr_array_ref (batch->incidents), FALSE);
        }
      g_ptr_array_set_size (self->held_batches, 0);
    }

  g_object_unref (self);
}

static void
run_load (FqIncidentList *self,
          int             limit)
{
  LoadData *ld = g_new0 (LoadData, 1);

  ld->store = self->store;
  ld->limit = limit;
  fq_cache_run_async (self->cache, load_job, ld, g_free, NULL, self->cancellable,
                      load_cb, g_object_ref (self));
}

static void
start_full_load (FqIncidentList *self)
{
  self->load_state = LOAD_FULL;
  run_load (self, 0);
}

static void spec_changed (FqIncidentList *self);

static void
records_changed_cb (FqIncidentList *self,
                    FqCacheBatch   *batch,
                    FqCache        *cache)
{
  guint n_new = 0;

  /* New category names: a new spec, sent like any other (marking the spec
   * dirty alone left the list "loading" until an incident changed). */
  if (batch->ref_changed && self->category_names != NULL)
    {
      g_clear_pointer (&self->category_names, g_hash_table_unref);
      spec_changed (self);
    }

  if (batch->incidents->len == 0)
    return;

  if (self->load_state != LOAD_DONE)
    {
      g_ptr_array_add (self->held_batches, fq_cache_batch_ref (batch));
      return;
    }

  for (guint i = 0; i < batch->incidents->len; i++)
    {
      FqIncidentRec *rec = g_ptr_array_index (batch->incidents, i);

      if (!rec->deleted && fq_row_store_lookup (self->store, rec->id) == G_MAXUINT)
        n_new++;
    }

  /* The worker keeps the records alive through its reference; they are
   * only read. */
  fq_row_store_apply (self->store, g_ptr_array_ref (batch->incidents),
                      n_new > 0 && n_new <= LIVE_BATCH_MAX && !batch->filling);
}

/* ---- spec changes ------------------------------------------------------- */

static GHashTable *
build_category_names (FqIncidentList *self)
{
  GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTable *refs = fq_cache_get_ref_table (self->cache, "category");
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, refs);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (names, g_strdup (key),
                         g_strdup (fq_json_string_or (value, "name", key)));
  return names;
}

static IncSpec *
make_spec (FqIncidentList *self)
{
  self->spec_dirty = FALSE;
  if (self->category_names == NULL && self->cache != NULL)
    self->category_names = build_category_names (self);
  g_clear_pointer (&self->spec->category_names, g_hash_table_unref);
  self->spec->category_names = self->category_names ? g_hash_table_ref (self->category_names) : NULL;

  return inc_spec_copy (self->spec);
}

static void
push_spec (FqIncidentList *self)
{
  fq_row_store_set_spec (self->store, make_spec (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
spec_idle_cb (gpointer data)
{
  FqIncidentList *self = data;

  self->spec_idle_id = 0;
  /* While loading, the spec is sent once the store is full. While the
   * store works on an older spec, the newest is sent when that one is
   * applied (see store_applied()): keys typed fast never queue filters
   * whose results nobody would see. */
  if (self->load_state == LOAD_DONE && !fq_row_store_get_refiltering (self->store))
    push_spec (self);
}

static void
spec_changed (FqIncidentList *self)
{
  self->spec_dirty = TRUE;
  if (self->spec_idle_id == 0)
    self->spec_idle_id = g_idle_add_once (spec_idle_cb, self);
}

/* ---- object ------------------------------------------------------------- */

static void
fq_incident_list_dispose (GObject *object)
{
  FqIncidentList *self = (FqIncidentList *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->spec_idle_id, g_source_remove);
  g_clear_handle_id (&self->fresh_id, g_source_remove);
  g_clear_handle_id (&self->rest_timeout_id, g_source_remove);

  g_clear_pointer (&self->store, fq_row_store_free);
  if (self->cache != NULL)
    g_signal_handlers_disconnect_by_data (self->cache, self);
  g_clear_object (&self->cache);

  G_OBJECT_CLASS (fq_incident_list_parent_class)->dispose (object);
}

static void
fq_incident_list_finalize (GObject *object)
{
  FqIncidentList *self = (FqIncidentList *)object;

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->spec, inc_spec_free);
  g_clear_pointer (&self->fresh, g_hash_table_unref);
  g_clear_pointer (&self->held_batches, g_ptr_array_unref);
  g_clear_pointer (&self->category_names, g_hash_table_unref);

  G_OBJECT_CLASS (fq_incident_list_parent_class)->finalize (object);
}

static void
fq_incident_list_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  FqIncidentList *self = FQ_INCIDENT_LIST (object);

  switch (prop_id)
    {
    case PROP_N_ITEMS:
      g_value_set_uint (value, g_list_model_get_n_items (G_LIST_MODEL (self)));
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, fq_incident_list_get_loading (self));
      break;
    case PROP_N_TOTAL:
      g_value_set_uint (value, fq_incident_list_get_n_total (self));
      break;
    case PROP_ITEM_TYPE:
      g_value_set_gtype (value, FQ_TYPE_INCIDENT_ROW);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, fq_incident_list_get_busy (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_incident_list_class_init (FqIncidentListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fq_incident_list_dispose;
  object_class->finalize = fq_incident_list_finalize;
  object_class->get_property = fq_incident_list_get_property;

  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_N_TOTAL] =
    g_param_spec_uint ("n-total", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ITEM_TYPE] =
    g_param_spec_gtype ("item-type", NULL, NULL, G_TYPE_OBJECT,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[LOADED] =
    g_signal_new ("loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[FIRST_PAGE] =
    g_signal_new ("first-page", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
fq_incident_list_init (FqIncidentList *self)
{
  self->cancellable = g_cancellable_new ();
  self->fresh = g_hash_table_new (NULL, NULL);
  self->held_batches = g_ptr_array_new_with_free_func ((GDestroyNotify)fq_cache_batch_unref);

  self->spec = g_new0 (IncSpec, 1);
  self->spec->sort = FQ_INCIDENT_SORT_TIME;
  self->spec->descending = TRUE;
  self->spec->source = -1;
  self->spec->status = -1;
  self->spec->decision = -1;
}

FqIncidentList *
fq_incident_list_new (FqCache *cache)
{
  FqIncidentList *self;

  g_return_val_if_fail (FQ_IS_CACHE (cache), NULL);

  self = g_object_new (FQ_TYPE_INCIDENT_LIST, NULL);
  self->cache = g_object_ref (cache);
  self->store = fq_row_store_new (&inc_class, inc_spec_copy (self->spec), &inc_callbacks, self);
  fq_row_store_set_model (self->store, FQ_TYPE_INCIDENT_ROW, properties[PROP_N_ITEMS]);

  g_signal_connect_object (cache, "records-changed", G_CALLBACK (records_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (cache, "closing", G_CALLBACK (g_cancellable_cancel), self->cancellable,
                           G_CONNECT_SWAPPED);

  self->load_state = LOAD_FIRST_PAGE;
  run_load (self, FIRST_PAGE_ROWS);
  return self;
}

void
fq_incident_list_set_sort (FqIncidentList *self,
                           FqIncidentSort  column,
                           gboolean        descending)
{
  g_return_if_fail (FQ_IS_INCIDENT_LIST (self));

  if (self->spec->sort == column && self->spec->descending == !!descending)
    return;
  self->spec->sort = column;
  self->spec->descending = !!descending;
  spec_changed (self);
}

FqIncidentSort
fq_incident_list_get_sort_column (FqIncidentList *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT_LIST (self), FQ_INCIDENT_SORT_TIME);
  return self->spec->sort;
}

gboolean
fq_incident_list_get_sort_descending (FqIncidentList *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT_LIST (self), TRUE);
  return self->spec->descending;
}

static void
set_spec_str (FqIncidentList  *self,
              char           **field,
              const char      *value)
{
  if (value != NULL && value[0] == '\0')
    value = NULL;
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  spec_changed (self);
}

void
fq_incident_list_set_scope (FqIncidentList *self,
                            const char     *prefix)
{
  g_return_if_fail (FQ_IS_INCIDENT_LIST (self));
  set_spec_str (self, &self->spec->scope, prefix);
}

void
fq_incident_list_set_query (FqIncidentList *self,
                            const char     *query)
{
  g_autofree char *stripped = NULL;

  g_return_if_fail (FQ_IS_INCIDENT_LIST (self));

  stripped = query ? g_strstrip (g_strdup (query)) : NULL;
  set_spec_str (self, &self->spec->query, stripped);
}

#define SET_SPEC_INT(field, value) \
  G_STMT_START { \
    if (self->spec->field != (value)) \
      { \
        self->spec->field = (value); \
        spec_changed (self); \
      } \
  } G_STMT_END

void
fq_incident_list_set_source (FqIncidentList *self,
                             int             source)
{
  g_return_if_fail (FQ_IS_INCIDENT_LIST (self));
  SET_SPEC_INT (source, source < 0 ? -1 : source);
}

void
fq_incident_list_set_status (FqIncidentList *self,
                             int             status)
{
  g_return_if_fail (FQ_IS_INCIDENT_LIST (self));
  SET_SPEC_INT (status, status < 0 ? -1 : status);
}

void
fq_incident_list_set_decision (FqIncidentList *self,
                               int             decision)
{
  g_return_if_fail (FQ_IS_INCIDENT_LIST (self));
  SET_SPEC_INT (decision, decision < 0 ? -1 : decision);
}

void
fq_incident_list_set_since (FqIncidentList *self,
                            gint64          since)
{
  g_return_if_fail (FQ_IS_INCIDENT_LIST (self));
  SET_SPEC_INT (since, MAX (since, 0));
}

void
fq_incident_list_set_category_group (FqIncidentList *self,
                                     const char     *group)
{
  g_return_if_fail (FQ_IS_INCIDENT_LIST (self));

  g_clear_pointer (&self->spec->group_categories, g_strfreev);
  if (group != NULL && group[0] != '\0')
    self->spec->group_categories = fq_cache_ref_ids_in_group (self->cache, "category", group);
  spec_changed (self);
}

void
fq_incident_list_hold_rest (FqIncidentList *self,
                            gboolean        hold)
{
  g_return_if_fail (FQ_IS_INCIDENT_LIST (self));

  self->hold_rest = !!hold;
  if (!hold && self->rest_waiting)
    {
      self->rest_waiting = FALSE;
      g_clear_handle_id (&self->rest_timeout_id, g_source_remove);
      start_full_load (self);
    }
}

void
fq_incident_list_set_ids (FqIncidentList     *self,
                          const char * const *ids)
{
  g_return_if_fail (FQ_IS_INCIDENT_LIST (self));

  g_clear_pointer (&self->spec->ids, g_hash_table_unref);
  if (ids != NULL)
    self->spec->ids = fq_row_store_id_set_new (ids);
  spec_changed (self);
}

gboolean
fq_incident_list_get_ids_active (FqIncidentList *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT_LIST (self), FALSE);
  return self->spec->ids != NULL;
}

gboolean
fq_incident_list_get_loading (FqIncidentList *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT_LIST (self), FALSE);

  return self->load_state != LOAD_DONE || self->spec_dirty ||
         (self->store != NULL && fq_row_store_get_refiltering (self->store));
}

guint
fq_incident_list_get_n_total (FqIncidentList *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT_LIST (self), 0);
  return self->store ? fq_row_store_get_n_live (self->store) : 0;
}

guint
fq_incident_list_find (FqIncidentList *self,
                       const char     *id)
{
  g_return_val_if_fail (FQ_IS_INCIDENT_LIST (self), G_MAXUINT);

  if (self->store == NULL || id == NULL)
    return G_MAXUINT;
  return fq_row_store_find (self->store, id);
}

void
fq_incident_list_set_pending (FqIncidentList *self,
                              const char     *id,
                              gboolean        pending)
{
  g_return_if_fail (FQ_IS_INCIDENT_LIST (self));
  g_return_if_fail (id != NULL);

  if (self->store != NULL)
    fq_row_store_set_pending (self->store, id, pending);
}

void
fq_incident_list_set_selected_id (FqIncidentList *self,
                                  const char     *id)
{
  g_return_if_fail (FQ_IS_INCIDENT_LIST (self));

  if (self->store != NULL)
    fq_row_store_set_kept (self->store, id);
}

gboolean
fq_incident_list_get_busy (FqIncidentList *self)
{
  g_return_val_if_fail (FQ_IS_INCIDENT_LIST (self), FALSE);

  return fq_incident_list_get_loading (self) ||
         (self->store != NULL && fq_row_store_get_busy (self->store));
}
