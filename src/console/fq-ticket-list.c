/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao-Data"
/* memmem () */
#define _GNU_SOURCE

#include "config.h"

#include <string.h>

#include "fq-cache-private.h"
#include "fq-client.h"
#include "fq-enum-types.h"
#include "fq-json.h"
#include "fq-row-store.h"
#include "fq-sla.h"
#include "fq-ticket-list.h"

#define ATOM_GRID 0
#define ATOM_CATEGORY 1
#define ATOM_UNIT 2

/* Overdue flags and countdown-based filters move with the clock. */
#define CLOCK_SECONDS 30

typedef struct
{
  FqRowHeader h;
  gint64      created_at;
  gint64      dispatched_at;
  gint64      accepted_at;
  gint64      resolved_at;
  gint64      deadline;
  guint32     title;
  guint32     assisting;   /* " id id … " with spaces around each id */
  guint32     category;    /* atom */
  guint32     grid;        /* atom */
  guint32     lead_unit;   /* atom */
  guint32     repeat_count;
  guint32     rev;
  guint16     returned;    /* backflow: times returned by a unit, */
  guint16     rejected;    /* resolutions rejected, */
  guint16     reopened;    /* and reopenings */
  gint8       state;
  gint8       tier;
  guint8      server_overdue;
  guint8      pad[3];
} TicRow;

static inline guint
row_backflow (const TicRow *row)
{
  return (guint)row->returned + row->rejected + row->reopened;
}

static gboolean
row_overdue (const TicRow *row,
             gint64        now)
{
  guint breaches;

  if (row->server_overdue && row->state != FQ_TICKET_STATE_CLOSED &&
      row->state != FQ_TICKET_STATE_RESOLVED)
    return TRUE;

  breaches = fq_sla_breaches (row->state, row->dispatched_at, row->accepted_at,
                              row->resolved_at, row->deadline,
                              fq_client_get_accept_limit (), now);
  return fq_sla_is_overdue (row->state, breaches);
}

/* ---- FqTicketRow ------------------------------------------------------- */

struct _FqTicketRow
{
  FqRowItem parent_instance;

  char     *id;
  char     *title;
  char     *category;
  char     *category_name;
  char     *grid;
  char     *place;
  char     *lead_unit;
  char     *lead_unit_name;
  gint64    created_at;
  gint64    dispatched_at;
  gint64    deadline;
  gint64    rev;
  guint     repeat_count;
  guint     returned_count;
  guint     rejected_count;
  guint     reopened_count;
  int       state;
  int       tier;
  gboolean  overdue;
  gboolean  pending;
};

enum {
  ROW_PROP_0,
  ROW_PROP_ID,
  ROW_PROP_TITLE,
  ROW_PROP_CATEGORY,
  ROW_PROP_CATEGORY_NAME,
  ROW_PROP_GRID,
  ROW_PROP_PLACE,
  ROW_PROP_LEAD_UNIT,
  ROW_PROP_LEAD_UNIT_NAME,
  ROW_PROP_CREATED_AT,
  ROW_PROP_DISPATCHED_AT,
  ROW_PROP_DEADLINE,
  ROW_PROP_REV,
  ROW_PROP_REPEAT_COUNT,
  ROW_PROP_STATE,
  ROW_PROP_TIER,
  ROW_PROP_OVERDUE,
  ROW_PROP_PENDING,
  ROW_PROP_RETURNED_COUNT,
  ROW_PROP_REJECTED_COUNT,
  ROW_PROP_REOPENED_COUNT,
  ROW_N_PROPS
};

static GParamSpec *row_properties[ROW_N_PROPS];

G_DEFINE_FINAL_TYPE (FqTicketRow, fq_ticket_row, G_TYPE_OBJECT)

static void
fq_ticket_row_finalize (GObject *object)
{
  FqTicketRow *self = (FqTicketRow *)object;

  g_free (self->id);
  g_free (self->title);
  g_free (self->category);
  g_free (self->category_name);
  g_free (self->grid);
  g_free (self->place);
  g_free (self->lead_unit);
  g_free (self->lead_unit_name);

  G_OBJECT_CLASS (fq_ticket_row_parent_class)->finalize (object);
}

static void
fq_ticket_row_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  FqTicketRow *self = FQ_TICKET_ROW (object);

  switch (prop_id)
    {
    case ROW_PROP_ID: g_value_set_string (value, self->id); break;
    case ROW_PROP_TITLE: g_value_set_string (value, self->title); break;
    case ROW_PROP_CATEGORY: g_value_set_string (value, self->category); break;
    case ROW_PROP_CATEGORY_NAME: g_value_set_string (value, self->category_name); break;
    case ROW_PROP_GRID: g_value_set_string (value, self->grid); break;
    case ROW_PROP_PLACE: g_value_set_string (value, self->place); break;
    case ROW_PROP_LEAD_UNIT: g_value_set_string (value, self->lead_unit); break;
    case ROW_PROP_LEAD_UNIT_NAME: g_value_set_string (value, self->lead_unit_name); break;
    case ROW_PROP_CREATED_AT: g_value_set_int64 (value, self->created_at); break;
    case ROW_PROP_DISPATCHED_AT: g_value_set_int64 (value, self->dispatched_at); break;
    case ROW_PROP_DEADLINE: g_value_set_int64 (value, self->deadline); break;
    case ROW_PROP_REV: g_value_set_int64 (value, self->rev); break;
    case ROW_PROP_REPEAT_COUNT: g_value_set_uint (value, self->repeat_count); break;
    case ROW_PROP_STATE: g_value_set_enum (value, self->state); break;
    case ROW_PROP_TIER: g_value_set_enum (value, self->tier); break;
    case ROW_PROP_OVERDUE: g_value_set_boolean (value, self->overdue); break;
    case ROW_PROP_PENDING: g_value_set_boolean (value, self->pending); break;
    case ROW_PROP_RETURNED_COUNT: g_value_set_uint (value, self->returned_count); break;
    case ROW_PROP_REJECTED_COUNT: g_value_set_uint (value, self->rejected_count); break;
    case ROW_PROP_REOPENED_COUNT: g_value_set_uint (value, self->reopened_count); break;
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
fq_ticket_row_class_init (FqTicketRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = fq_ticket_row_finalize;
  object_class->get_property = fq_ticket_row_get_property;

  row_properties[ROW_PROP_ID] = row_string_prop ("id");
  row_properties[ROW_PROP_TITLE] = row_string_prop ("title");
  row_properties[ROW_PROP_CATEGORY] = row_string_prop ("category");
  row_properties[ROW_PROP_CATEGORY_NAME] = row_string_prop ("category-name");
  row_properties[ROW_PROP_GRID] = row_string_prop ("grid");
  row_properties[ROW_PROP_PLACE] = row_string_prop ("place");
  row_properties[ROW_PROP_LEAD_UNIT] = row_string_prop ("lead-unit");
  row_properties[ROW_PROP_LEAD_UNIT_NAME] = row_string_prop ("lead-unit-name");
  row_properties[ROW_PROP_CREATED_AT] =
    g_param_spec_int64 ("created-at", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  row_properties[ROW_PROP_DISPATCHED_AT] =
    g_param_spec_int64 ("dispatched-at", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  row_properties[ROW_PROP_DEADLINE] =
    g_param_spec_int64 ("deadline", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  row_properties[ROW_PROP_REV] =
    g_param_spec_int64 ("rev", NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
  row_properties[ROW_PROP_REPEAT_COUNT] =
    g_param_spec_uint ("repeat-count", NULL, NULL, 0, G_MAXUINT, 0, flags);
  row_properties[ROW_PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, FQ_TYPE_TICKET_STATE, FQ_TICKET_STATE_DISPATCHED, flags);
  row_properties[ROW_PROP_TIER] =
    g_param_spec_enum ("tier", NULL, NULL, FQ_TYPE_TIER, FQ_TIER_COMMUNITY, flags);
  row_properties[ROW_PROP_OVERDUE] =
    g_param_spec_boolean ("overdue", NULL, NULL, FALSE, flags);
  row_properties[ROW_PROP_PENDING] =
    g_param_spec_boolean ("pending", NULL, NULL, FALSE, flags);
  row_properties[ROW_PROP_RETURNED_COUNT] =
    g_param_spec_uint ("returned-count", NULL, NULL, 0, G_MAXUINT, 0, flags);
  row_properties[ROW_PROP_REJECTED_COUNT] =
    g_param_spec_uint ("rejected-count", NULL, NULL, 0, G_MAXUINT, 0, flags);
  row_properties[ROW_PROP_REOPENED_COUNT] =
    g_param_spec_uint ("reopened-count", NULL, NULL, 0, G_MAXUINT, 0, flags);
  g_object_class_install_properties (object_class, ROW_N_PROPS, row_properties);
}

static void
fq_ticket_row_init (FqTicketRow *self)
{
}

#define ROW_GETTER(type, name, field) \
  type fq_ticket_row_get_##name (FqTicketRow *self) \
  { \
    g_return_val_if_fail (FQ_IS_TICKET_ROW (self), (type)0); \
    return self->field; \
  }

ROW_GETTER (const char *, id, id)
ROW_GETTER (const char *, title, title)
ROW_GETTER (const char *, category, category)
ROW_GETTER (const char *, category_name, category_name)
ROW_GETTER (const char *, grid, grid)
ROW_GETTER (const char *, place, place)
ROW_GETTER (const char *, lead_unit, lead_unit)
ROW_GETTER (const char *, lead_unit_name, lead_unit_name)
ROW_GETTER (FqTicketState, state, state)
ROW_GETTER (FqTier, tier, tier)
ROW_GETTER (gint64, created_at, created_at)
ROW_GETTER (gint64, dispatched_at, dispatched_at)
ROW_GETTER (gint64, deadline, deadline)
ROW_GETTER (gboolean, overdue, overdue)
ROW_GETTER (guint, repeat_count, repeat_count)
ROW_GETTER (gint64, rev, rev)
ROW_GETTER (gboolean, pending, pending)
ROW_GETTER (guint, returned_count, returned_count)
ROW_GETTER (guint, rejected_count, rejected_count)
ROW_GETTER (guint, reopened_count, reopened_count)

guint
fq_ticket_row_get_backflow (FqTicketRow *self)
{
  g_return_val_if_fail (FQ_IS_TICKET_ROW (self), 0);
  return self->returned_count + self->rejected_count + self->reopened_count;
}

/* ---- spec --------------------------------------------------------------- */

typedef struct
{
  FqTicketSort  sort;
  gboolean      descending;
  int           state;
  gboolean      overdue_only;
  gboolean      include_closed;
  gboolean      hard_only;
  gboolean      acceptance_first;
  GHashTable   *ids;             /* exactly these tickets, others ignored */
  char         *unit;
  char         *unit_padded;     /* " id " for the assisting list */
  char         *scope;
  char         *query;
  char         *query_fold;
  GStrv         group_categories;
  GHashTable   *names;           /* "category:CODE", "unit:ID" → name */
  gint64        now;
  gint64        accept_limit;    /* seconds, the server's (fq-client.h) */

  /* Prepared on the worker. */
  guint32       unit_atom;
  guint8       *grid_ok;
  guint         n_grid_ok;
  guint8       *cat_ok;
  guint         n_cat_ok;
  guint32      *rank;            /* category, grid or unit rank by name */
  guint         n_rank;
  const char  **unit_names;      /* unit atom → name, for the text filter */
  guint         n_unit_names;
} TicSpec;

static void
tic_spec_free (gpointer data)
{
  TicSpec *spec = data;

  g_free (spec->unit);
  g_free (spec->unit_padded);
  g_free (spec->scope);
  g_free (spec->query);
  g_free (spec->query_fold);
  g_strfreev (spec->group_categories);
  g_clear_pointer (&spec->names, g_hash_table_unref);
  g_clear_pointer (&spec->ids, g_hash_table_unref);
  g_free (spec->grid_ok);
  g_free (spec->cat_ok);
  g_free (spec->rank);
  g_free (spec->unit_names);
  g_free (spec);
}

static TicSpec *
tic_spec_copy (const TicSpec *src)
{
  TicSpec *spec = g_new0 (TicSpec, 1);

  spec->sort = src->sort;
  spec->descending = src->descending;
  spec->state = src->state;
  spec->overdue_only = src->overdue_only;
  spec->include_closed = src->include_closed;
  spec->hard_only = src->hard_only;
  spec->acceptance_first = src->acceptance_first;
  spec->ids = src->ids ? g_hash_table_ref (src->ids) : NULL;
  spec->unit = g_strdup (src->unit);
  spec->unit_padded = src->unit ? g_strdup_printf (" %s ", src->unit) : NULL;
  spec->scope = g_strdup (src->scope);
  spec->query = g_strdup (src->query);
  spec->query_fold = src->query ? g_ascii_strdown (src->query, -1) : NULL;
  spec->group_categories = g_strdupv (src->group_categories);
  spec->names = src->names ? g_hash_table_ref (src->names) : NULL;
  /* Deadlines are the server's: overdue is judged on its clock. */
  spec->now = fq_client_get_server_time () / G_USEC_PER_SEC;
  spec->accept_limit = src->accept_limit;
  return spec;
}

static const char *
spec_name (const TicSpec *spec,
           const char    *kind,
           const char    *code)
{
  g_autofree char *key = NULL;
  const char *name;

  if (spec->names == NULL || code == NULL || code[0] == '\0')
    return code;
  key = g_strconcat (kind, ":", code, NULL);
  name = g_hash_table_lookup (spec->names, key);
  return name ? name : code;
}

static const char *
category_name (gconstpointer  data,
               const char    *code)
{
  return spec_name (data, "category", code);
}

static const char *
unit_name (gconstpointer  data,
           const char    *code)
{
  return spec_name (data, "unit", code);
}

static void
tic_prepare (FqRowStore *store,
             gpointer    data)
{
  TicSpec *spec = data;
  guint n_unit = fq_row_store_n_atoms (store, ATOM_UNIT);

  spec->unit_atom = spec->unit ? fq_row_store_find_atom (store, ATOM_UNIT, spec->unit) : 0;

  g_clear_pointer (&spec->grid_ok, g_free);
  spec->n_grid_ok = 0;
  if (spec->scope != NULL)
    spec->grid_ok = fq_row_store_atoms_with_prefix (store, ATOM_GRID, spec->scope, &spec->n_grid_ok);

  g_clear_pointer (&spec->cat_ok, g_free);
  spec->n_cat_ok = 0;
  if (spec->group_categories != NULL)
    spec->cat_ok = fq_row_store_atoms_in (store, ATOM_CATEGORY,
                                          (const char * const *)spec->group_categories,
                                          &spec->n_cat_ok);

  g_clear_pointer (&spec->unit_names, g_free);
  spec->unit_names = g_new0 (const char *, MAX (n_unit, 1));
  spec->n_unit_names = n_unit;
  for (guint a = 0; a < n_unit; a++)
    spec->unit_names[a] = spec_name (spec, "unit", fq_row_store_atom_str (store, ATOM_UNIT, a));

  g_clear_pointer (&spec->rank, g_free);
  spec->n_rank = 0;
  if (spec->sort == FQ_TICKET_SORT_CATEGORY)
    spec->rank = fq_row_store_rank_atoms (store, ATOM_CATEGORY, category_name, spec, &spec->n_rank);
  else if (spec->sort == FQ_TICKET_SORT_PLACE)
    spec->rank = fq_row_store_rank_atoms (store, ATOM_GRID, NULL, NULL, &spec->n_rank);
  else if (spec->sort == FQ_TICKET_SORT_UNIT)
    spec->rank = fq_row_store_rank_atoms (store, ATOM_UNIT, unit_name, spec, &spec->n_rank);
}

#define TIME_BITS 40
#define TIME_MASK ((G_GUINT64_CONSTANT (1) << TIME_BITS) - 1)

static guint64
tic_sort_key (FqRowStore    *store,
              gconstpointer  data,
              gconstpointer  spec_data)
{
  const TicRow *row = data;
  const TicSpec *spec = spec_data;
  guint64 primary, t, max;
  gint64 due;

  /* Tickets without a deadline come after all those with one. A ticket
   * waiting for its unit goes by its acceptance limit when that ends
   * first, as its deadline cell counts down (fq_format_ticket_clock()). */
  due = row->deadline;
  if (due > 0 && row->state == FQ_TICKET_STATE_DISPATCHED && row->dispatched_at > 0)
    due = MIN (due, row->dispatched_at + spec->accept_limit);
  t = due > 0 ? (guint64)CLAMP (due, 0, (gint64)TIME_MASK) : TIME_MASK;

  switch (spec->sort)
    {
    case FQ_TICKET_SORT_DEADLINE:
      /* Either way, the tickets whose deadline still runs come before
       * those resolved and waiting for the centre's review (and closed
       * ones, when shown): a deadline binds only until the resolution, and
       * a backlog of old reviews must not push today's overdue work out of
       * sight. A unit's queue puts what waits for its acceptance first. */
      if (row->state == FQ_TICKET_STATE_RESOLVED || row->state == FQ_TICKET_STATE_CLOSED)
        primary = 2;
      else if (spec->acceptance_first && row->state == FQ_TICKET_STATE_DISPATCHED)
        primary = 0;
      else
        primary = 1;
      return (primary << TIME_BITS) | (spec->descending ? TIME_MASK - t : t);
    case FQ_TICKET_SORT_BACKFLOW:
      primary = row_backflow (row);
      break;
    case FQ_TICKET_SORT_CREATED:
      t = (guint64)CLAMP (row->created_at, 0, (gint64)TIME_MASK);
      return spec->descending ? TIME_MASK - t : t;
    case FQ_TICKET_SORT_STATE:
      primary = (guint64)row->state;
      break;
    case FQ_TICKET_SORT_CATEGORY:
      primary = row->category < spec->n_rank ? spec->rank[row->category] : spec->n_rank + row->category;
      break;
    case FQ_TICKET_SORT_PLACE:
      primary = row->grid < spec->n_rank ? spec->rank[row->grid] : spec->n_rank + row->grid;
      break;
    case FQ_TICKET_SORT_UNIT:
    default:
      primary = row->lead_unit < spec->n_rank ? spec->rank[row->lead_unit]
                                              : spec->n_rank + row->lead_unit;
      break;
    }

  max = (G_GUINT64_CONSTANT (1) << (64 - TIME_BITS)) - 1;
  primary = MIN (primary, max);
  if (spec->descending)
    primary = max - primary;
  /* Within a group, the soonest deadline first. */
  return (primary << TIME_BITS) | t;
}

static gboolean
contains (const char *hay,
          const char *needle,
          const char *needle_fold)
{
  g_autofree char *fold = NULL;

  if (hay == NULL || hay[0] == '\0')
    return FALSE;
  if (strstr (hay, needle) != NULL)
    return TRUE;
  fold = g_ascii_strdown (hay, -1);
  return strstr (fold, needle_fold) != NULL;
}

static gboolean
tic_matches (FqRowStore    *store,
             gconstpointer  data,
             gconstpointer  spec_data)
{
  const TicRow *row = data;
  const TicSpec *spec = spec_data;

  if (row->h.flags & FQ_ROW_DELETED)
    return FALSE;
  if (spec->ids != NULL)
    return fq_row_store_row_in_set (store, row, spec->ids);
  if (spec->hard_only && row_backflow (row) == 0)
    return FALSE;
  if (!spec->include_closed && row->state == FQ_TICKET_STATE_CLOSED && spec->state < 0)
    return FALSE;
  if (spec->state >= 0 && row->state != spec->state)
    return FALSE;
  if (spec->overdue_only && !row_overdue (row, spec->now))
    return FALSE;

  if (spec->unit != NULL)
    {
      /* The unit's atom is looked up when the filter is prepared; a unit
       * whose first ticket arrives later has none yet, so compare names. */
      gboolean lead = spec->unit_atom != 0
        ? row->lead_unit == spec->unit_atom
        : g_strcmp0 (fq_row_store_atom_str (store, ATOM_UNIT, row->lead_unit), spec->unit) == 0;

      if (!lead && (row->assisting == 0 ||
                    strstr (fq_row_store_str (store, row->assisting), spec->unit_padded) == NULL))
        return FALSE;
    }

  if (spec->grid_ok != NULL &&
      !fq_row_store_atom_ok (store, ATOM_GRID, spec->grid_ok, spec->n_grid_ok, row->grid,
                             spec->scope, NULL))
    return FALSE;

  if (spec->cat_ok != NULL &&
      !fq_row_store_atom_ok (store, ATOM_CATEGORY, spec->cat_ok, spec->n_cat_ok, row->category,
                             NULL, (const char * const *)spec->group_categories))
    return FALSE;

  if (spec->query != NULL)
    {
      const char *unit_name = row->lead_unit < spec->n_unit_names ? spec->unit_names[row->lead_unit]
                                                                  : NULL;

      if (!contains (fq_row_store_str (store, row->title), spec->query, spec->query_fold) &&
          !contains (fq_row_store_str (store, row->h.id), spec->query, spec->query_fold) &&
          !contains (unit_name, spec->query, spec->query_fold))
        return FALSE;
    }

  return TRUE;
}

static gboolean
tic_same_sort (gconstpointer a,
               gconstpointer b)
{
  const TicSpec *sa = a;
  const TicSpec *sb = b;

  return sa->sort == sb->sort && sa->descending == sb->descending &&
         sa->acceptance_first == sb->acceptance_first && sa->accept_limit == sb->accept_limit;
}

static gboolean
tic_refines (gconstpointer a,
             gconstpointer b)
{
  const TicSpec *o = a;
  const TicSpec *n = b;

  return o->state == n->state && o->overdue_only == n->overdue_only &&
         o->hard_only == n->hard_only && o->ids == n->ids &&
         o->include_closed == n->include_closed && o->now == n->now &&
         g_strcmp0 (o->unit, n->unit) == 0 && g_strcmp0 (o->scope, n->scope) == 0 &&
         ((o->group_categories == NULL && n->group_categories == NULL) ||
          (o->group_categories != NULL && n->group_categories != NULL &&
           g_strv_equal ((const char * const *)o->group_categories,
                         (const char * const *)n->group_categories))) &&
         (o->query == NULL || (n->query != NULL && strstr (n->query, o->query) != NULL));
}

static void
tic_fill (FqRowStore *store,
          gpointer    data,
          gpointer    rec_data)
{
  TicRow *row = data;
  FqTicketRec *rec = rec_data;
  g_autofree char *padded = NULL;

  row->created_at = rec->created_at;
  row->dispatched_at = rec->dispatched_at;
  row->accepted_at = rec->accepted_at;
  row->resolved_at = rec->resolved_at;
  row->deadline = rec->deadline;
  row->title = fq_row_store_add_str (store, rec->title, -1);
  padded = rec->assisting && rec->assisting[0] ? g_strdup_printf (" %s ", rec->assisting) : NULL;
  row->assisting = fq_row_store_add_str (store, padded, -1);
  row->category = fq_row_store_atom (store, ATOM_CATEGORY, rec->category);
  row->grid = fq_row_store_atom (store, ATOM_GRID, rec->grid);
  row->lead_unit = fq_row_store_atom (store, ATOM_UNIT, rec->lead_unit);
  row->repeat_count = rec->repeat_count;
  row->returned = MIN (rec->returned_count, G_MAXUINT16);
  row->rejected = MIN (rec->rejected_count, G_MAXUINT16);
  row->reopened = MIN (rec->reopened_count, G_MAXUINT16);
  row->rev = (guint32)rec->rev;
  row->state = rec->state;
  row->tier = rec->tier;
  row->server_overdue = rec->overdue;
}

static const char *
tic_rec_id (gpointer rec)
{
  return ((FqTicketRec *)rec)->id;
}

static gboolean
tic_rec_is_delete (gpointer rec)
{
  return ((FqTicketRec *)rec)->deleted;
}

static const FqRowStoreClass tic_class = {
  .row_size = sizeof (TicRow),
  .fill = tic_fill,
  .rec_id = tic_rec_id,
  .rec_is_delete = tic_rec_is_delete,
  .prepare = tic_prepare,
  .sort_key = tic_sort_key,
  .matches = tic_matches,
  .refines = tic_refines,
  .same_sort = tic_same_sort,
  .spec_free = tic_spec_free,
};

/* ---- FqTicketList ------------------------------------------------------- */

struct _FqTicketList
{
  GObject       parent_instance;

  FqCache      *cache;
  FqRowStore   *store;
  GCancellable *cancellable;
  TicSpec      *spec;
  GPtrArray    *held_batches;
  guint         spec_idle_id;
  guint         clock_id;
  guint         n_overdue;
  gboolean      loaded;
  gboolean      spec_dirty;
};

enum {
  PROP_0,
  PROP_N_ITEMS,
  PROP_LOADING,
  PROP_N_OVERDUE,
  PROP_ITEM_TYPE,
  PROP_BUSY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FqTicketList, fq_ticket_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

G_DEFINE_ENUM_TYPE (FqTicketSort, fq_ticket_sort,
                    G_DEFINE_ENUM_VALUE (FQ_TICKET_SORT_DEADLINE, "deadline"),
                    G_DEFINE_ENUM_VALUE (FQ_TICKET_SORT_CREATED, "created"),
                    G_DEFINE_ENUM_VALUE (FQ_TICKET_SORT_STATE, "state"),
                    G_DEFINE_ENUM_VALUE (FQ_TICKET_SORT_CATEGORY, "category"),
                    G_DEFINE_ENUM_VALUE (FQ_TICKET_SORT_PLACE, "place"),
                    G_DEFINE_ENUM_VALUE (FQ_TICKET_SORT_UNIT, "unit"),
                    G_DEFINE_ENUM_VALUE (FQ_TICKET_SORT_BACKFLOW, "backflow"))

static void
load_item (gpointer      owner,
           gpointer      item_data,
           gconstpointer row_data,
           gboolean      notify)
{
  FqTicketList *self = owner;
  FqTicketRow *item = item_data;
  const TicRow *row = row_data;
  FqRowStore *store = self->store;
  const char *grid = fq_row_store_atom_str (store, ATOM_GRID, row->grid);
  const char *category = fq_row_store_atom_str (store, ATOM_CATEGORY, row->category);
  const char *unit = fq_row_store_atom_str (store, ATOM_UNIT, row->lead_unit);
  gboolean changed[ROW_N_PROPS] = { FALSE, };

  changed[ROW_PROP_ID] = fq_row_item_set_str (&item->id, fq_row_store_str (store, row->h.id));
  changed[ROW_PROP_TITLE] = fq_row_item_set_str (&item->title, fq_row_store_str (store, row->title));
  changed[ROW_PROP_CATEGORY] = fq_row_item_set_str (&item->category, category);
  changed[ROW_PROP_CATEGORY_NAME] = fq_row_item_set_str (&item->category_name,
                                             fq_cache_lookup_ref_name (self->cache, "category", category));
  changed[ROW_PROP_GRID] = fq_row_item_set_str (&item->grid, grid);
  changed[ROW_PROP_PLACE] = fq_row_item_set_str (&item->place, fq_cache_lookup_ref_name (self->cache, "grid", grid));
  changed[ROW_PROP_LEAD_UNIT] = fq_row_item_set_str (&item->lead_unit, unit);
  changed[ROW_PROP_LEAD_UNIT_NAME] = fq_row_item_set_str (&item->lead_unit_name, fq_cache_lookup_ref_name (self->cache, "unit", unit));

#define SET_NUM(prop, field, value) \
  G_STMT_START { if (item->field != (value)) { item->field = (value); changed[prop] = TRUE; } } G_STMT_END

  SET_NUM (ROW_PROP_CREATED_AT, created_at, row->created_at);
  SET_NUM (ROW_PROP_DISPATCHED_AT, dispatched_at, row->dispatched_at);
  SET_NUM (ROW_PROP_DEADLINE, deadline, row->deadline);
  SET_NUM (ROW_PROP_REV, rev, (gint64)row->rev);
  SET_NUM (ROW_PROP_REPEAT_COUNT, repeat_count, row->repeat_count);
  SET_NUM (ROW_PROP_STATE, state, row->state);
  SET_NUM (ROW_PROP_TIER, tier, row->tier);
  SET_NUM (ROW_PROP_OVERDUE, overdue, row_overdue (row, fq_client_get_server_time () / G_USEC_PER_SEC));
  SET_NUM (ROW_PROP_PENDING, pending, fq_row_store_is_pending (store, item->id));
  SET_NUM (ROW_PROP_RETURNED_COUNT, returned_count, row->returned);
  SET_NUM (ROW_PROP_REJECTED_COUNT, rejected_count, row->rejected);
  SET_NUM (ROW_PROP_REOPENED_COUNT, reopened_count, row->reopened);

#undef SET_NUM

  if (notify)
    fq_row_item_notify (item, row_properties, changed, ROW_N_PROPS);
}

static GType
list_get_item_type (GListModel *model)
{
  return FQ_TYPE_TICKET_ROW;
}

static guint
list_get_n_items (GListModel *model)
{
  FqTicketList *self = FQ_TICKET_LIST (model);

  return self->store ? fq_row_store_get_n_items (self->store) : 0;
}

static gpointer
list_get_item (GListModel *model,
               guint       position)
{
  FqTicketList *self = FQ_TICKET_LIST (model);

  return self->store ? fq_row_store_get_item (self->store, position) : NULL;
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = list_get_item_type;
  iface->get_n_items = list_get_n_items;
  iface->get_item = list_get_item;
}

static void
update_n_overdue (FqTicketList *self)
{
  gint64 now = fq_client_get_server_time () / G_USEC_PER_SEC;
  guint n = fq_row_store_get_n_items (self->store);
  guint count = 0;

  fq_row_store_read_lock (self->store);
  for (guint i = 0; i < n; i++)
    {
      guint row = fq_row_store_get_row_at (self->store, i);

      if (row != G_MAXUINT && row_overdue (fq_row_store_get_row (self->store, row), now))
        count++;
    }
  fq_row_store_read_unlock (self->store);

  if (count != self->n_overdue)
    {
      self->n_overdue = count;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_OVERDUE]);
    }
}

static void
store_applied (gpointer owner,
               guint    kind)
{
  FqTicketList *self = owner;

  update_n_overdue (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static const FqRowStoreCallbacks tic_callbacks = {
  .load_item = load_item,
  .applied = store_applied,
};

static GHashTable *
build_names (FqTicketList *self)
{
  GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *kinds[] = { "category", "unit" };

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      GHashTableIter iter;
      gpointer key, value;

      g_hash_table_iter_init (&iter, fq_cache_get_ref_table (self->cache, kinds[k]));
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (names, g_strconcat (kinds[k], ":", key, NULL),
                             g_strdup (fq_json_string_or (value, "name", key)));
    }
  return names;
}

static TicSpec *
make_spec (FqTicketList *self)
{
  self->spec_dirty = FALSE;
  g_clear_pointer (&self->spec->names, g_hash_table_unref);
  if (self->cache != NULL)
    self->spec->names = build_names (self);
  self->spec->accept_limit = fq_client_get_accept_limit ();
  return tic_spec_copy (self->spec);
}

typedef struct
{
  FqRowStore *store;
} LoadData;

static gpointer
load_job (sqlite3       *db,
          gpointer       data,
          GCancellable  *cancellable,
          GError       **error)
{
  LoadData *ld = data;
  FqRowStore *store = ld->store;
  sqlite3_stmt *stmt = NULL;
  guint n = 0;

  if (sqlite3_prepare_v2 (db, "SELECT id, title, category, grid, lead_unit, assisting, state, tier,"
                          " created_at, dispatched_at, accepted_at, resolved_at, deadline, overdue,"
                          " repeat_count, rev, json_extract (json, '$.returned_count'),"
                          " json_extract (json, '$.rejected_count'),"
                          " json_extract (json, '$.reopened_count') FROM tickets",
                          -1, &stmt, NULL) != SQLITE_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot read tickets: %s",
                   sqlite3_errmsg (db));
      return NULL;
    }

  fq_row_store_bulk_begin (store);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *id = (const char *)sqlite3_column_text (stmt, 0);
      const char *assisting = (const char *)sqlite3_column_text (stmt, 5);
      g_autofree char *padded = NULL;
      TicRow *row;

      if (id == NULL)
        continue;
      if ((n & 4095) == 0 && g_cancellable_is_cancelled (cancellable))
        break;
      row = fq_row_store_bulk_row (store, id, -1);
      row->title = fq_row_store_add_str (store, (const char *)sqlite3_column_text (stmt, 1), -1);
      row->category = fq_row_store_atom (store, ATOM_CATEGORY, (const char *)sqlite3_column_text (stmt, 2));
      row->grid = fq_row_store_atom (store, ATOM_GRID, (const char *)sqlite3_column_text (stmt, 3));
      row->lead_unit = fq_row_store_atom (store, ATOM_UNIT, (const char *)sqlite3_column_text (stmt, 4));
      padded = assisting && assisting[0] ? g_strdup_printf (" %s ", assisting) : NULL;
      row->assisting = fq_row_store_add_str (store, padded, -1);
      row->state = sqlite3_column_int (stmt, 6);
      row->tier = sqlite3_column_int (stmt, 7);
      row->created_at = sqlite3_column_int64 (stmt, 8);
      row->dispatched_at = sqlite3_column_int64 (stmt, 9);
      row->accepted_at = sqlite3_column_int64 (stmt, 10);
      row->resolved_at = sqlite3_column_int64 (stmt, 11);
      row->deadline = sqlite3_column_int64 (stmt, 12);
      row->server_overdue = sqlite3_column_int (stmt, 13) != 0;
      row->repeat_count = sqlite3_column_int (stmt, 14);
      row->rev = (guint32)sqlite3_column_int64 (stmt, 15);
      row->returned = CLAMP (sqlite3_column_int64 (stmt, 16), 0, G_MAXUINT16);
      row->rejected = CLAMP (sqlite3_column_int64 (stmt, 17), 0, G_MAXUINT16);
      row->reopened = CLAMP (sqlite3_column_int64 (stmt, 18), 0, G_MAXUINT16);
      row->h.flags &= ~FQ_ROW_DELETED;
      n++;
    }
  fq_row_store_bulk_end (store);
  sqlite3_finalize (stmt);
  return GUINT_TO_POINTER (n + 1);
}

static void
load_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  FqTicketList *self = user_data;
  g_autoptr(GError) error = NULL;

  if (fq_cache_run_finish (FQ_CACHE (object), result, &error) == NULL &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_object_unref (self);
      return;
    }
  if (error != NULL)
    g_warning ("Cannot load tickets from the cache: %s", error->message);

  if (self->store != NULL)
    {
      self->loaded = TRUE;
      fq_row_store_rebuild (self->store, make_spec (self));
      for (guint i = 0; i < self->held_batches->len; i++)
        {
          FqCacheBatch *batch = g_ptr_array_index (self->held_batches, i);

          fq_row_store_apply (self->store, g_ptr_array_ref (batch->tickets), FALSE);
        }
      g_ptr_array_set_size (self->held_batches, 0);
    }
  g_object_unref (self);
}

static void
records_changed_cb (FqTicketList *self,
                    FqCacheBatch *batch,
                    FqCache      *cache)
{
  if (batch->tickets->len == 0)
    return;

  if (!self->loaded)
    {
      g_ptr_array_add (self->held_batches, fq_cache_batch_ref (batch));
      return;
    }
  fq_row_store_apply (self->store, g_ptr_array_ref (batch->tickets), FALSE);
}

static void
spec_idle_cb (gpointer data)
{
  FqTicketList *self = data;

  self->spec_idle_id = 0;
  if (self->loaded)
    {
      fq_row_store_set_spec (self->store, make_spec (self));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
    }
}

static void
spec_changed (FqTicketList *self)
{
  self->spec_dirty = TRUE;
  if (self->spec_idle_id == 0)
    self->spec_idle_id = g_idle_add_once (spec_idle_cb, self);
}

static gboolean
clock_cb (gpointer data)
{
  FqTicketList *self = data;

  /* Overdue flags move with time: live items are refreshed, and a filter
   * that depends on them is run again. */
  fq_row_store_refresh_items (self->store);
  update_n_overdue (self);
  /* The server's acceptance limit, once the sync has heard it, may not be
   * the one the order was made with. */
  if (self->spec->overdue_only || self->spec->accept_limit != fq_client_get_accept_limit ())
    spec_changed (self);
  return G_SOURCE_CONTINUE;
}

/* ---- object ------------------------------------------------------------- */

static void
fq_ticket_list_dispose (GObject *object)
{
  FqTicketList *self = (FqTicketList *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->spec_idle_id, g_source_remove);
  g_clear_handle_id (&self->clock_id, g_source_remove);

  g_clear_pointer (&self->store, fq_row_store_free);
  if (self->cache != NULL)
    g_signal_handlers_disconnect_by_data (self->cache, self);
  g_clear_object (&self->cache);

  G_OBJECT_CLASS (fq_ticket_list_parent_class)->dispose (object);
}

static void
fq_ticket_list_finalize (GObject *object)
{
  FqTicketList *self = (FqTicketList *)object;

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->spec, tic_spec_free);
  g_clear_pointer (&self->held_batches, g_ptr_array_unref);

  G_OBJECT_CLASS (fq_ticket_list_parent_class)->finalize (object);
}

static void
fq_ticket_list_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  FqTicketList *self = FQ_TICKET_LIST (object);

  switch (prop_id)
    {
    case PROP_N_ITEMS:
      g_value_set_uint (value, g_list_model_get_n_items (G_LIST_MODEL (self)));
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, fq_ticket_list_get_loading (self));
      break;
    case PROP_N_OVERDUE:
      g_value_set_uint (value, self->n_overdue);
      break;
    case PROP_ITEM_TYPE:
      g_value_set_gtype (value, FQ_TYPE_TICKET_ROW);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, fq_ticket_list_get_busy (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
fq_ticket_list_class_init (FqTicketListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fq_ticket_list_dispose;
  object_class->finalize = fq_ticket_list_finalize;
  object_class->get_property = fq_ticket_list_get_property;

  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_N_OVERDUE] =
    g_param_spec_uint ("n-overdue", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ITEM_TYPE] =
    g_param_spec_gtype ("item-type", NULL, NULL, G_TYPE_OBJECT,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
fq_ticket_list_init (FqTicketList *self)
{
  self->cancellable = g_cancellable_new ();
  self->held_batches = g_ptr_array_new_with_free_func ((GDestroyNotify)fq_cache_batch_unref);

  self->spec = g_new0 (TicSpec, 1);
  self->spec->sort = FQ_TICKET_SORT_DEADLINE;
  self->spec->state = -1;
  self->spec->accept_limit = fq_client_get_accept_limit ();
}

FqTicketList *
fq_ticket_list_new (FqCache *cache)
{
  FqTicketList *self;
  LoadData *ld;

  g_return_val_if_fail (FQ_IS_CACHE (cache), NULL);

  self = g_object_new (FQ_TYPE_TICKET_LIST, NULL);
  self->cache = g_object_ref (cache);
  self->store = fq_row_store_new (&tic_class, tic_spec_copy (self->spec), &tic_callbacks, self);
  fq_row_store_set_model (self->store, FQ_TYPE_TICKET_ROW, properties[PROP_N_ITEMS]);
  g_signal_connect_object (cache, "records-changed", G_CALLBACK (records_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (cache, "closing", G_CALLBACK (g_cancellable_cancel), self->cancellable,
                           G_CONNECT_SWAPPED);

  ld = g_new0 (LoadData, 1);
  ld->store = self->store;
  fq_cache_run_async (cache, load_job, ld, g_free, NULL, self->cancellable, load_cb,
                      g_object_ref (self));
  self->clock_id = g_timeout_add_seconds (CLOCK_SECONDS, clock_cb, self);
  return self;
}

void
fq_ticket_list_set_sort (FqTicketList *self,
                         FqTicketSort  column,
                         gboolean      descending)
{
  g_return_if_fail (FQ_IS_TICKET_LIST (self));

  if (self->spec->sort == column && self->spec->descending == !!descending)
    return;
  self->spec->sort = column;
  self->spec->descending = !!descending;
  spec_changed (self);
}

FqTicketSort
fq_ticket_list_get_sort_column (FqTicketList *self)
{
  g_return_val_if_fail (FQ_IS_TICKET_LIST (self), FQ_TICKET_SORT_DEADLINE);
  return self->spec->sort;
}

gboolean
fq_ticket_list_get_sort_descending (FqTicketList *self)
{
  g_return_val_if_fail (FQ_IS_TICKET_LIST (self), FALSE);
  return self->spec->descending;
}

static void
set_spec_str (FqTicketList  *self,
              char         **field,
              const char    *value)
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
fq_ticket_list_set_state (FqTicketList *self,
                          int           state)
{
  g_return_if_fail (FQ_IS_TICKET_LIST (self));

  state = state < 0 ? -1 : state;
  if (self->spec->state != state)
    {
      self->spec->state = state;
      spec_changed (self);
    }
}

void
fq_ticket_list_set_overdue_only (FqTicketList *self,
                                 gboolean      overdue_only)
{
  g_return_if_fail (FQ_IS_TICKET_LIST (self));

  if (self->spec->overdue_only != !!overdue_only)
    {
      self->spec->overdue_only = !!overdue_only;
      spec_changed (self);
    }
}

void
fq_ticket_list_set_include_closed (FqTicketList *self,
                                   gboolean      include_closed)
{
  g_return_if_fail (FQ_IS_TICKET_LIST (self));

  if (self->spec->include_closed != !!include_closed)
    {
      self->spec->include_closed = !!include_closed;
      spec_changed (self);
    }
}

void
fq_ticket_list_set_hard_only (FqTicketList *self,
                              gboolean      hard_only)
{
  g_return_if_fail (FQ_IS_TICKET_LIST (self));

  if (self->spec->hard_only != !!hard_only)
    {
      self->spec->hard_only = !!hard_only;
      spec_changed (self);
    }
}

void
fq_ticket_list_set_acceptance_first (FqTicketList *self,
                                     gboolean      acceptance_first)
{
  g_return_if_fail (FQ_IS_TICKET_LIST (self));

  if (self->spec->acceptance_first != !!acceptance_first)
    {
      self->spec->acceptance_first = !!acceptance_first;
      spec_changed (self);
    }
}

gboolean
fq_ticket_list_get_acceptance_first (FqTicketList *self)
{
  g_return_val_if_fail (FQ_IS_TICKET_LIST (self), FALSE);
  return self->spec->acceptance_first;
}

void
fq_ticket_list_set_ids (FqTicketList       *self,
                        const char * const *ids)
{
  g_return_if_fail (FQ_IS_TICKET_LIST (self));

  g_clear_pointer (&self->spec->ids, g_hash_table_unref);
  if (ids != NULL)
    self->spec->ids = fq_row_store_id_set_new (ids);
  spec_changed (self);
}

gboolean
fq_ticket_list_get_ids_active (FqTicketList *self)
{
  g_return_val_if_fail (FQ_IS_TICKET_LIST (self), FALSE);
  return self->spec->ids != NULL;
}

void
fq_ticket_list_set_unit (FqTicketList *self,
                         const char   *unit_id)
{
  g_return_if_fail (FQ_IS_TICKET_LIST (self));
  set_spec_str (self, &self->spec->unit, unit_id);
}

void
fq_ticket_list_set_query (FqTicketList *self,
                          const char   *query)
{
  g_autofree char *stripped = NULL;

  g_return_if_fail (FQ_IS_TICKET_LIST (self));
  stripped = query ? g_strstrip (g_strdup (query)) : NULL;
  set_spec_str (self, &self->spec->query, stripped);
}

void
fq_ticket_list_set_scope (FqTicketList *self,
                          const char   *prefix)
{
  g_return_if_fail (FQ_IS_TICKET_LIST (self));
  set_spec_str (self, &self->spec->scope, prefix);
}

void
fq_ticket_list_set_category_group (FqTicketList *self,
                                   const char   *group)
{
  g_return_if_fail (FQ_IS_TICKET_LIST (self));

  g_clear_pointer (&self->spec->group_categories, g_strfreev);
  if (group != NULL && group[0] != '\0')
    self->spec->group_categories = fq_cache_ref_ids_in_group (self->cache, "category", group);
  spec_changed (self);
}

gboolean
fq_ticket_list_get_loading (FqTicketList *self)
{
  g_return_val_if_fail (FQ_IS_TICKET_LIST (self), FALSE);
  return !self->loaded || self->spec_dirty ||
         (self->store != NULL && fq_row_store_get_refiltering (self->store));
}

guint
fq_ticket_list_get_n_overdue (FqTicketList *self)
{
  g_return_val_if_fail (FQ_IS_TICKET_LIST (self), 0);
  return self->n_overdue;
}

guint
fq_ticket_list_find (FqTicketList *self,
                     const char   *id)
{
  g_return_val_if_fail (FQ_IS_TICKET_LIST (self), G_MAXUINT);

  if (self->store == NULL || id == NULL)
    return G_MAXUINT;
  return fq_row_store_find (self->store, id);
}

void
fq_ticket_list_set_pending (FqTicketList *self,
                            const char   *id,
                            gboolean      pending)
{
  g_return_if_fail (FQ_IS_TICKET_LIST (self));
  g_return_if_fail (id != NULL);

  if (self->store != NULL)
    fq_row_store_set_pending (self->store, id, pending);
}

void
fq_ticket_list_set_selected_id (FqTicketList *self,
                                const char   *id)
{
  g_return_if_fail (FQ_IS_TICKET_LIST (self));

  if (self->store != NULL)
    fq_row_store_set_kept (self->store, id);
}

gboolean
fq_ticket_list_get_busy (FqTicketList *self)
{
  g_return_val_if_fail (FQ_IS_TICKET_LIST (self), FALSE);

  return fq_ticket_list_get_loading (self) ||
         (self->store != NULL && fq_row_store_get_busy (self->store));
}
