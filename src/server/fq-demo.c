/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The demo city: thirteen months of history for Huangshi, and a live feed
 * that keeps the board moving.
 *
 * The history is generated in memory, day by day and incident by incident,
 * then written in one pass: records with prepared statements, then one
 * change row per record in time order, so that a console that syncs from
 * seq 0 sees the city as it grew, and last the indexes of those tables.
 * Everything comes from one GRand with a fixed seed: the same data every
 * time for the same `now`.
 *
 * The figures it is tuned to (DOMAIN.md): about 500 incidents a day, 60%
 * from 110, 30% from 12345, 7% from grid workers, the rest walk-ins; about
 * 200 a day non-police disputes of which about 47 diverted; dispute
 * incidents falling 13.1% a year, repeat calls 12.5% a year, and repeat
 * calls in the last thirty days about half of those in the thirty before
 * (a campaign after the October holiday spike); ticket completion about
 * 97.6% for months that are over.
 */

#include "config.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "fq-enum-types.h"
#include "fq-repeat.h"
#include "fq-repeat-address.h"
#include "fq-sla.h"
#include "fq-ticket-machine.h"

#include "fq-entities.h"
#include "fq-server-private.h"
#include "fq-sessions.h"

#define DEMO_SEED              20231115
#define DAY                    (24 * 3600)
#define HOUR                   3600
#define MINUTE                 60
#define YEAR                   (365.25 * DAY)

#define DISPUTES_PER_DAY       200.0
#define POLICE_PER_DAY         300.0
#define DISPUTE_TREND          0.869   /* a year's factor: −13.1% */
#define POLICE_TREND           0.88    /* valid 110 incidents: −12% */
#define REPEAT_SHARE           0.115   /* of dispute incidents */
#define REPEAT_RATE_TREND      0.975   /* the share's own drift: counts fall about 12.5% */
#define REPEAT_SPIKE           1.9     /* the thirty days before the last thirty */
#define WAITING_WINDOW         (3 * HOUR)

#define DEMO_UNIT_STREET       "420204004000"

/* CPU seconds of this thread, for the timing messages: the machine may be
 * busy with other work, and wall time alone would not tell. */
static double
thread_cpu (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the corpus ---- */

typedef struct
{
  GHashTable *summaries;     /* category code → GPtrArray of strings */
  GHashTable *descriptions;  /* category code → GPtrArray of strings */
  GPtrArray  *surnames;
  GPtrArray  *given_names;
  GPtrArray  *roads;
  GPtrArray  *patterns;
  GPtrArray  *village_patterns; /* for a village's calls */
  GPtrArray  *compounds;
} Corpus;

static void
corpus_clear (Corpus *corpus)
{
  g_clear_pointer (&corpus->summaries, g_hash_table_unref);
  g_clear_pointer (&corpus->descriptions, g_hash_table_unref);
  g_clear_pointer (&corpus->surnames, g_ptr_array_unref);
  g_clear_pointer (&corpus->given_names, g_ptr_array_unref);
  g_clear_pointer (&corpus->roads, g_ptr_array_unref);
  g_clear_pointer (&corpus->patterns, g_ptr_array_unref);
  g_clear_pointer (&corpus->village_patterns, g_ptr_array_unref);
  g_clear_pointer (&corpus->compounds, g_ptr_array_unref);
}

static GPtrArray *
corpus_strings (JsonObject    *root,
                const char    *member,
                GStringChunk  *chunk,
                GError       **error)
{
  JsonNode *node = json_object_get_member (root, member);
  g_autoptr(GPtrArray) strings = g_ptr_array_new ();
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL,
                   "demo-corpus.json: %s: an array of strings is required", member);
      return NULL;
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (item) && json_node_get_value_type (item) == G_TYPE_STRING)
        g_ptr_array_add (strings, g_string_chunk_insert_const (chunk, json_node_get_string (item)));
    }
  if (strings->len == 0)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL, "demo-corpus.json: %s: empty", member);
      return NULL;
    }
  return g_steal_pointer (&strings);
}

static GHashTable *
corpus_table (JsonObject    *root,
              const char    *member,
              GStringChunk  *chunk,
              GError       **error)
{
  JsonNode *node = json_object_get_member (root, member);
  g_autoptr(GHashTable) table = NULL;
  g_autoptr(GList) keys = NULL;
  JsonObject *object;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL,
                   "demo-corpus.json: %s: an object of arrays is required", member);
      return NULL;
    }
  table = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                 (GDestroyNotify)g_ptr_array_unref);
  object = json_node_get_object (node);
  keys = json_object_get_members (object);
  for (GList *l = keys; l != NULL; l = l->next)
    {
      GPtrArray *strings = corpus_strings (object, l->data, chunk, error);

      if (strings == NULL)
        return NULL;
      g_hash_table_insert (table, g_string_chunk_insert_const (chunk, l->data), strings);
    }
  return g_steal_pointer (&table);
}

/* The reference data directory, searched as main.c searches it for the
 * other reference files (installed, then the source tree), after an
 * explicit FQ_DATADIR and the tests' FQ_SOURCE_DATADIR. */
static char *
find_corpus (void)
{
  const char *dirs[] = { g_getenv ("FQ_DATADIR"), g_getenv ("FQ_SOURCE_DATADIR"),
                         PKGDATADIR, SOURCE_DATADIR };

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = NULL;

      if (dirs[i] == NULL || *dirs[i] == '\0')
        continue;
      path = g_build_filename (dirs[i], "demo-corpus.json", NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }
  return NULL;
}

static gboolean
corpus_load (Corpus        *corpus,
             GStringChunk  *chunk,
             GError       **error)
{
  g_autofree char *path = find_corpus ();
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  JsonNode *root;
  JsonObject *object;

  if (path == NULL)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL,
                   "demo-corpus.json not found in the reference data directory");
      return FALSE;
    }
  if (!json_parser_load_from_mapped_file (parser, path, error))
    return FALSE;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL, "demo-corpus.json: not an object");
      return FALSE;
    }
  object = json_node_get_object (root);

  if ((corpus->summaries = corpus_table (object, "summaries", chunk, error)) == NULL ||
      (corpus->descriptions = corpus_table (object, "descriptions", chunk, error)) == NULL ||
      (corpus->surnames = corpus_strings (object, "surnames", chunk, error)) == NULL ||
      (corpus->given_names = corpus_strings (object, "given_names", chunk, error)) == NULL ||
      (corpus->roads = corpus_strings (object, "roads", chunk, error)) == NULL ||
      (corpus->patterns = corpus_strings (object, "address_patterns", chunk, error)) == NULL ||
      (corpus->village_patterns = corpus_strings (object, "village_address_patterns", chunk, error)) == NULL ||
      (corpus->compounds = corpus_strings (object, "residential_compounds", chunk, error)) == NULL)
    return FALSE;

  /* The i-th description tells the call of the i-th summary. */
  {
    GHashTableIter iter;
    gpointer code, summaries;

    g_hash_table_iter_init (&iter, corpus->summaries);
    while (g_hash_table_iter_next (&iter, &code, &summaries))
      {
        GPtrArray *descriptions = g_hash_table_lookup (corpus->descriptions, code);
        guint n = descriptions != NULL ? descriptions->len : 0;

        if (n != ((GPtrArray *)summaries)->len)
          {
            g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL,
                         "demo-corpus.json: %s has %u summaries and %u descriptions; the i-th "
                         "description tells the call of the i-th summary",
                         (const char *)code, ((GPtrArray *)summaries)->len, n);
            return FALSE;
          }
      }
  }
  return TRUE;
}

/* ---- the generator: places, people and words ---- */

typedef struct
{
  FqRefData     *ref;
  GRand         *rand;
  GStringChunk  *chunk;
  Corpus         corpus;

  GPtrArray     *communities;       /* const FqGridNodeInfo * */
  GArray        *community_weights; /* double, cumulative */
  GPtrArray     *dispute_categories;
  GArray        *dispute_weights;
  GPtrArray     *police_categories;
  GArray        *police_weights;

  const char    *demo_unit;         /* the demo user's unit */
} Generator;

static void
generator_clear (Generator *gen)
{
  corpus_clear (&gen->corpus);
  g_clear_pointer (&gen->rand, g_rand_free);
  g_clear_pointer (&gen->chunk, g_string_chunk_free);
  g_clear_pointer (&gen->communities, g_ptr_array_unref);
  g_clear_pointer (&gen->community_weights, g_array_unref);
  g_clear_pointer (&gen->dispute_categories, g_ptr_array_unref);
  g_clear_pointer (&gen->dispute_weights, g_array_unref);
  g_clear_pointer (&gen->police_categories, g_ptr_array_unref);
  g_clear_pointer (&gen->police_weights, g_array_unref);
  g_clear_pointer (&gen->ref, fq_refdata_unref);
}

static double
uniform (Generator *gen)
{
  return g_rand_double (gen->rand);
}

static gboolean
chance (Generator *gen,
        double     p)
{
  return g_rand_double (gen->rand) < p;
}

static double
normal (Generator *gen)
{
  /* Box–Muller; one value is enough. */
  double u1 = 1.0 - g_rand_double (gen->rand);
  double u2 = g_rand_double (gen->rand);

  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

/* A duration whose median is @median seconds and whose spread is @sigma
 * (log-normal: most are short, a few are long, as waiting times are). */
static gint64
lognormal (Generator *gen,
           double     median,
           double     sigma)
{
  return (gint64)(median * exp (sigma * normal (gen)));
}

static guint
poisson (Generator *gen,
         double     mean)
{
  double value = mean + sqrt (mean) * normal (gen);

  return value < 0 ? 0 : (guint)(value + 0.5);
}

static const char *
pick (Generator *gen,
      GPtrArray *strings)
{
  return g_ptr_array_index (strings, g_rand_int_range (gen->rand, 0, strings->len));
}

static guint
pick_weighted (Generator *gen,
               GArray    *cumulative)
{
  double total = g_array_index (cumulative, double, cumulative->len - 1);
  double x = uniform (gen) * total;
  guint lo = 0, hi = cumulative->len - 1;

  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;

      if (g_array_index (cumulative, double, mid) > x)
        hi = mid;
      else
        lo = mid + 1;
    }
  return lo;
}

static void
add_weight (GArray *cumulative,
            double  weight)
{
  double last = cumulative->len > 0 ? g_array_index (cumulative, double, cumulative->len - 1) : 0;

  last += weight;
  g_array_append_val (cumulative, last);
}

/* How common each group of disputes is among the calls of a city like this
 * one (family and neighbours first, as every published breakdown has it). */
static double
group_weight (const char *group)
{
  static const struct { const char *group; double weight; } weights[] = {
    { "A", 14 }, { "B", 22 }, { "C", 12 }, { "D", 11 }, { "E", 7 }, { "F", 6 }, { "G", 9 },
    { "H", 3 }, { "I", 3.5 }, { "J", 5 }, { "K", 4 }, { "L", 2.5 }, { "M", 1.5 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (weights); i++)
    if (g_strcmp0 (group, weights[i].group) == 0)
      return weights[i].weight;
  return 1;
}

/* Noise and family quarrels come in the evening and at weekends. */
static gboolean
is_evening_category (const char *code)
{
  static const char * const codes[] = {
    "A01", "A02", "A06", "B01", "B09", "C04", "C05", "G03", "G04", "G05", "L05", "P01", "P02",
  };

  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    if (g_strcmp0 (code, codes[i]) == 0)
      return TRUE;
  return FALSE;
}

static double
district_weight (const char *code)
{
  /* The four urban districts carry most calls per community; the county
   * and the county-level city have many villages with few calls each. */
  if (g_str_has_prefix (code, "420202") || g_str_has_prefix (code, "420203"))
    return 1.8;
  if (g_str_has_prefix (code, "420204"))
    return 2.0;
  if (g_str_has_prefix (code, "420205"))
    return 1.2;
  return 0.45;
}

static gboolean
generator_init (Generator   *gen,
                FqRefData   *ref,
                guint32      seed,
                GError     **error)
{
  g_autoptr(GPtrArray) nodes = fq_refdata_get_nodes (ref);
  g_autoptr(GPtrArray) categories = fq_refdata_get_categories (ref);
  const FqUnitInfo *demo_unit;
  guint index_in_group = 0;
  const char *last_group = NULL;

  gen->ref = fq_refdata_ref (ref);
  gen->rand = g_rand_new_with_seed (seed);
  gen->chunk = g_string_chunk_new (1 << 20);
  if (!corpus_load (&gen->corpus, gen->chunk, error))
    return FALSE;

  gen->communities = g_ptr_array_new ();
  gen->community_weights = g_array_new (FALSE, FALSE, sizeof (double));
  for (guint i = 0; nodes != NULL && i < nodes->len; i++)
    {
      const FqGridNodeInfo *node = g_ptr_array_index (nodes, i);

      if (node->level != FQ_GRID_LEVEL_COMMUNITY)
        continue;
      g_ptr_array_add (gen->communities, (gpointer)node);
      add_weight (gen->community_weights,
                  district_weight (node->code) * exp (0.6 * normal (gen)));
    }
  if (gen->communities->len == 0)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL, "demo: the grid has no communities");
      return FALSE;
    }

  gen->dispute_categories = g_ptr_array_new ();
  gen->dispute_weights = g_array_new (FALSE, FALSE, sizeof (double));
  gen->police_categories = g_ptr_array_new ();
  gen->police_weights = g_array_new (FALSE, FALSE, sizeof (double));
  for (guint i = 0; categories != NULL && i < categories->len; i++)
    {
      const FqCategoryInfo *category = g_ptr_array_index (categories, i);

      if (g_hash_table_lookup (gen->corpus.summaries, category->code) == NULL)
        continue;
      if (g_strcmp0 (last_group, category->group) != 0)
        index_in_group = 0;
      last_group = category->group;

      /* Within a group the first categories are the common ones. */
      if (category->police_only)
        {
          static const double police_weights[] = { 30, 12, 10, 40, 8 };

          g_ptr_array_add (gen->police_categories, (gpointer)category);
          add_weight (gen->police_weights,
                      police_weights[MIN (index_in_group, G_N_ELEMENTS (police_weights) - 1)]);
        }
      else
        {
          g_ptr_array_add (gen->dispute_categories, (gpointer)category);
          add_weight (gen->dispute_weights,
                      group_weight (category->group) / (1.0 + 0.35 * index_in_group));
        }
      index_in_group++;
    }
  if (gen->dispute_categories->len == 0 || gen->police_categories->len == 0)
    {
      g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL,
                   "demo: no categories with corpus texts (dispute and police needed)");
      return FALSE;
    }

  demo_unit = fq_refdata_find_unit (ref, "street_office", DEMO_UNIT_STREET);
  gen->demo_unit
      = demo_unit != NULL ? g_string_chunk_insert_const (gen->chunk, demo_unit->id) : NULL;
  return TRUE;
}

static const FqGridNodeInfo *
pick_community (Generator *gen)
{
  return g_ptr_array_index (gen->communities, pick_weighted (gen, gen->community_weights));
}

static const FqCategoryInfo *
pick_category (Generator *gen,
               gboolean   police,
               gboolean   weekend)
{
  for (;;)
    {
      const FqCategoryInfo *category;

      if (police)
        return g_ptr_array_index (gen->police_categories, pick_weighted (gen, gen->police_weights));
      category = g_ptr_array_index (gen->dispute_categories,
                                    pick_weighted (gen, gen->dispute_weights));
      /* Weekends shift the mix towards noise and family quarrels. */
      if (!weekend || is_evening_category (category->code) || chance (gen, 0.85))
        return category;
    }
}

/* One call of category @code from the corpus: a summary and the
 * description of the same call (the i-th of each, see corpus_load()). */
static void
pick_call (Generator   *gen,
           const char  *code,
           const char **summary,
           const char **description)
{
  GPtrArray *summaries = g_hash_table_lookup (gen->corpus.summaries, code);
  GPtrArray *descriptions = g_hash_table_lookup (gen->corpus.descriptions, code);
  guint i;

  *summary = NULL;
  *description = NULL;
  if (summaries == NULL || summaries->len == 0)
    return;
  /* corpus_load() made sure there are as many descriptions. */
  i = g_rand_int_range (gen->rand, 0, summaries->len);
  *summary = g_ptr_array_index (summaries, i);
  *description = g_ptr_array_index (descriptions, i);
}

static char *
make_name (Generator *gen)
{
  const char *surname = pick (gen, gen->corpus.surnames);
  const char *first = pick (gen, gen->corpus.given_names);
  const char *second;

  /* A given name has one character or two: one of the corpus's
   * two-character names (秀英), two single characters, or now and then one
   * alone (伟), so that most names have three characters and some two. A
   * doubled character (婷婷) is a name of its own kind, kept rarer than
   * chance would make it. */
  if (g_utf8_strlen (first, -1) > 1 || chance (gen, 0.3))
    return g_strconcat (surname, first, NULL);
  do
    second = pick (gen, gen->corpus.given_names);
  while (g_utf8_strlen (second, -1) > 1 || (g_str_equal (first, second) && chance (gen, 0.8)));
  return g_strconcat (surname, first, second, NULL);
}

/* The member of staff who acts for a unit in the demo: the same person in
 * the history and in the live feed, drawn from the corpus by the unit's own
 * seed, which leaves the generator's draws alone. */
static char *
make_staff_name (GPtrArray  *surnames,
                 GPtrArray  *given_names,
                 const char *unit)
{
  Generator staff = { 0, };
  char *name;

  staff.rand = g_rand_new_with_seed (g_str_hash (unit));
  staff.corpus.surnames = surnames;
  staff.corpus.given_names = given_names;
  name = make_name (&staff);
  g_rand_free (staff.rand);
  return name;
}

/* The demo's accounts (main.c creates them) and the names they go by. */
#define DEMO_NAME_OPERATOR     "指挥中心值班员"
#define DEMO_NAME_GRID         "广州路社区网格员"
#define DEMO_NAME_COORDINATOR  "综治中心协调员"

static const struct
{
  const char *username;
  const char *display_name;
} demo_accounts[] = {
  { "admin",       "系统管理员" },
  { "operator",    DEMO_NAME_OPERATOR },
  { "coordinator", DEMO_NAME_COORDINATOR },
  { "leader",      "市领导" },
  { "unit",        "团城山街道工作人员" },
  { "grid",        DEMO_NAME_GRID },
};

const char *
fq_demo_display_name (const char *username)
{
  for (guint i = 0; i < G_N_ELEMENTS (demo_accounts); i++)
    if (g_strcmp0 (demo_accounts[i].username, username) == 0)
      return demo_accounts[i].display_name;
  return NULL;
}

static char *
make_phone (Generator *gen)
{
  static const char * const mobile_prefixes[] = {
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "155", "156", "157", "158", "159", "166", "177", "180", "181", "186", "187", "189", "199",
  };

  /* Huangshi's area code is 0714; most callers use a mobile. */
  if (chance (gen, 0.08))
    return g_strdup_printf ("0714-%d", g_rand_int_range (gen->rand, 6000000, 8000000));
  return g_strdup_printf (
      "%s%08d", mobile_prefixes[g_rand_int_range (gen->rand, 0, G_N_ELEMENTS (mobile_prefixes))],
      g_rand_int_range (gen->rand, 0, 100000000));
}

/* A village's committee, as the official names put it. */
static gboolean
is_village (const FqGridNodeInfo *community)
{
  return g_str_has_suffix (community->name, "村委会") || g_str_has_suffix (community->name, "村民委员会");
}

/* The village of a committee's name: 泉口村委会 → 泉口村, 大排山村村委会 →
 * 大排山村, 马叫村村民委员会 → 马叫村, 平原村民委员会 → 平原村. */
static void
append_village_name (GString    *out,
                     const char *committee)
{
  static const char * const endings[] = { "村村民委员会", "村民委员会", "村村委会", "村委会" };

  for (guint i = 0; i < G_N_ELEMENTS (endings); i++)
    {
      if (g_str_has_suffix (committee, endings[i]))
        {
          g_string_append_len (out, committee, strlen (committee) - strlen (endings[i]));
          g_string_append (out, "村");
          return;
        }
    }
  g_string_append (out, committee);
}

/* The place a community's matter is named after: 广州路社区居委会 →
 * 广州路社区, 太垴村委会 → 太垴村. */
char *
fq_demo_community_place (const FqGridNodeInfo *community)
{
  static const char * const endings[] = { "居民委员会", "居委会" };
  GString *out = g_string_new (NULL);

  if (is_village (community))
    {
      append_village_name (out, community->name);
      return g_string_free (out, FALSE);
    }
  for (guint i = 0; i < G_N_ELEMENTS (endings); i++)
    if (g_str_has_suffix (community->name, endings[i]))
      {
        g_string_append_len (out, community->name, strlen (community->name) - strlen (endings[i]));
        if (!g_str_has_suffix (out->str, "社区"))
          g_string_append (out, "社区");
        return g_string_free (out, FALSE);
      }
  g_string_append (out, community->name);
  return g_string_free (out, FALSE);
}

static char *
make_address (Generator            *gen,
              const FqGridNodeInfo *community)
{
  gboolean village = is_village (community);
  const char *pattern = pick (gen, village ? gen->corpus.village_patterns : gen->corpus.patterns);
  g_autoptr(GString) out = g_string_new (NULL);

  for (const char *p = pattern; *p != '\0'; )
    {
      if (*p == '{')
        {
          const char *end = strchr (p, '}');
          g_autofree char *name = NULL;

          if (end == NULL)
            {
              g_string_append (out, p);
              break;
            }
          name = g_strndup (p + 1, end - p - 1);
          if (g_str_equal (name, "road"))
            g_string_append (out, pick (gen, gen->corpus.roads));
          else if (g_str_equal (name, "compound"))
            g_string_append (out, pick (gen, gen->corpus.compounds));
          else if (g_str_equal (name, "community"))
            g_string_append (out, community->name);
          else if (g_str_equal (name, "village"))
            append_village_name (out, community->name);
          else if (g_str_equal (name, "n"))
            g_string_append_printf (out, "%d", g_rand_int_range (gen->rand, 1, 300));
          else if (g_str_equal (name, "building"))
            g_string_append_printf (out, "%d", g_rand_int_range (gen->rand, 1, 32));
          else if (g_str_equal (name, "unit"))
            g_string_append_printf (out, "%d", g_rand_int_range (gen->rand, 1, 7));
          else if (g_str_equal (name, "room"))
            g_string_append_printf (out, "%d%02d", g_rand_int_range (gen->rand, 1, 19),
                                    g_rand_int_range (gen->rand, 1, 5));
          else if (g_str_equal (name, "group"))
            g_string_append_printf (out, "%d", g_rand_int_range (gen->rand, 1, 13));
          else
            g_string_append_printf (out, "%d", g_rand_int_range (gen->rand, 1, 100));
          p = end + 1;
        }
      else
        g_string_append_c (out, *p++);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* ---- words of the timeline ---- */

static const char * const accept_notes[] = {
  NULL, NULL, "已签收，安排网格员上门了解情况", "已签收，今日内联系当事人", NULL,
};
static const char * const progress_notes[] = {
  "已电话联系双方当事人，约定明日上门调解",
  "工作人员已到现场核实情况，正在协调处理",
  "已约谈相关责任方，要求限期整改",
  "已协调物业公司共同处理，双方初步达成和解意向",
  "组织双方在社区调解室面对面协商",
  "已联系相关职能部门联合上门核查",
  "当事人情绪已稳定，继续跟进后续处置",
  "已现场拍照取证，督促责任方落实整改",
};
static const char * const resolve_notes[] = {
  "经调解双方达成一致，已签订人民调解协议书",
  "问题已整改到位，现场复核无异议",
  "责任方已按要求处理完毕，当事人表示认可",
  "经多次协调，双方达成和解，矛盾已化解",
  "已督促落实整改，回访当事人问题已解决",
  "已依法依规作出处理并向当事人反馈结果",
};
/* In the order of FqReturnReason. */
static const char * const return_notes[] = {
  "该事项不属于本单位职责范围，请重新分派",
  "事发地点不在本辖区，请核实后转交属地",
  "经核实与已办工单为同一事项",
  "涉及治安违法行为，需由公安机关处理",
  "情况与工单描述不符，请核实后重新分派",
};
static const char * const reject_notes[] = {
  "回访当事人反映问题仍未解决，退回重办",
  "处置结果与诉求不符，请继续跟进",
  "整改不到位，现场复核仍存在问题",
};
static const char * const close_notes[] = {
  "电话回访，当事人表示满意", "回访确认问题已解决", NULL, "回访当事人认可处理结果",
};
static const char * const escalate_notes[] = {
  "涉及多个部门职责，提请上级统筹协调",
  "矛盾较为复杂，需上一层级介入化解",
};
static const char * const reopen_notes[] = {
  "当事人再次反映同一问题，工单重新办理",
  "回访发现问题反弹，重新启动处置",
};

static const char *
pick_note (Generator          *gen,
           const char * const *notes,
           guint               n)
{
  return notes[g_rand_int_range (gen->rand, 0, n)];
}

#define PICK_NOTE(gen, notes) pick_note ((gen), (notes), G_N_ELEMENTS (notes))

/* ---- history: incidents and ticket plans ---- */

/* One planned step of a ticket's life. Steps are planned ahead with their
 * times; only those up to `now` happen. */
typedef enum
{
  STEP_DISPATCH = -1,
  STEP_MERGE = -2,
  STEP_MERGE_REOPEN = -3,
  STEP_SESSION = -4,      /* the ticket's DemoSession is called */
} StepKind;

typedef struct
{
  gint64      at;
  guint       order;
  int         action;    /* FqTicketAction or StepKind */
  const char *actor;
  const char *unit;      /* the acting unit, or the new lead unit */
  const char *note;
  const char *arg;       /* unit to redispatch to / assist / incident merged */
  int         value;     /* satisfaction, reason, tier */
} Step;

/* A convening session's times, planned with its ticket (the work goes on
 * after it); who comes and what is decided is drawn when it is replayed. */
#define SESSION_MAX_ITEMS 2

typedef struct
{
  gint64            called_at;
  gint64            scheduled_at;
  gint64            started_at;
  gint64            concluded_at;
  guint             n_items;
  gint64            item_due[SESSION_MAX_ITEMS];
  gint64            item_done[SESSION_MAX_ITEMS];
  const char       *id;
  FqHistorySession *record;   /* once replayed */
  char             *json;     /* once stored, for its change */
} DemoSession;

typedef struct
{
  FqTicket              ticket;
  const FqCategoryInfo *category;
  GArray               *steps;
  guint                 incident_index;
  gint64                last_step_at;   /* of the plan, before cutting at now */
  gint64                plan_closed_at; /* when the plan closes it, or 0 */
  DemoSession          *session;        /* or NULL */
} DemoTicket;

typedef struct
{
  Generator   gen;
  sqlite3    *db;
  gint64      now;
  gint64      start;
  gint64      accept_limit;
  GPtrArray  *incidents;     /* FqIncident *, strings in the chunk */
  GPtrArray  *tickets;       /* DemoTicket * */
  GPtrArray  *events;        /* FqEvent *, strings in the chunk */
  GHashTable *counters;      /* "I261129" → last sequence */
  GArray     *recent;        /* guint: dispute incidents of the last 30 days */
  GArray     *recent_ticketed;
  guint       step_order;
  GHashTable *unit_actors;   /* unit id → actor name */
  GHashTable *actor_names;   /* staff actor (unit_actor()) → the person's name */
  gint64      id_day_index;
  char        id_day[8];
  GHashTable *incident_by_id;  /* id → FqIncident * */
  GHashTable *ticket_by_id;    /* id → DemoTicket * */
  GHashTable *address_keys;    /* address → its matching key or NULL, in the chunk */
  gint64      last_decision_id;
  gint64      last_item_id;
} History;

static const char *
intern (History    *history,
        const char *text)
{
  return text != NULL ? g_string_chunk_insert_const (history->gen.chunk, text) : NULL;
}

static char *
intern_take (History *history,
             char    *text)
{
  char *interned = text != NULL ? g_string_chunk_insert (history->gen.chunk, text) : NULL;

  g_free (text);
  return interned;
}

/* The same matching key as POST /incidents, so that the history and the
 * live calls meet in the address rule. Half the history's calls come from
 * an address heard before: each key is worked out once. */
static char *
address_key (History    *history,
             const char *address)
{
  gpointer key = NULL;

  if (!g_hash_table_lookup_extended (history->address_keys, address, NULL, &key))
    {
      key = intern_take (history, fq_repeat_address_key (address));
      g_hash_table_insert (history->address_keys, (gpointer)address, key);
    }
  return key;
}

static const char *
unit_actor (History    *history,
            const char *unit)
{
  const char *actor;

  /* The demo's own unit user acts for its unit; other units' staff are
   * named after their unit, as a real deployment's accounts would be. */
  if (unit == NULL)
    return NULL;
  if (g_strcmp0 (unit, history->gen.demo_unit) == 0)
    return "unit";
  actor = g_hash_table_lookup (history->unit_actors, unit);
  if (actor == NULL)
    {
      const char *name = intern_take (history,
                                      make_staff_name (history->gen.corpus.surnames,
                                                       history->gen.corpus.given_names, unit));

      actor = intern_take (history, g_strdup_printf ("staff@%s", unit));
      g_hash_table_insert (history->unit_actors, (gpointer)intern (history, unit), (gpointer)actor);
      g_hash_table_insert (history->actor_names, (gpointer)actor, (gpointer)name);
    }
  return actor;
}

/* The name @actor goes by on the timeline: a unit's member of staff's
 * (unit_actor() names them), or a demo account's. */
static const char *
actor_display_name (History    *history,
                    const char *actor)
{
  const char *name;

  if (actor == NULL)
    return NULL;
  name = g_hash_table_lookup (history->actor_names, actor);
  if (name == NULL)
    name = fq_demo_display_name (actor);
  return name != NULL ? name : actor;
}

static char *
next_id (History *history,
         char     kind,
         gint64   at)
{
  gint64 day_index = (at + FQ_CST_OFFSET_SECONDS) / DAY;
  gpointer value;
  guint next;
  char key[16];

  /* Formatting a date for each of two hundred thousand records shows up in
   * the profile: the day's text is kept while the day lasts. */
  if (day_index != history->id_day_index)
    {
      g_autoptr(GDateTime) cst = g_date_time_new_from_unix_utc (at + FQ_CST_OFFSET_SECONDS);
      g_autofree char *day = g_date_time_format (cst, "%y%m%d");

      g_strlcpy (history->id_day, day, sizeof history->id_day);
      history->id_day_index = day_index;
    }
  g_snprintf (key, sizeof key, "%c%s", kind, history->id_day);
  value = g_hash_table_lookup (history->counters, key);
  next = GPOINTER_TO_UINT (value) + 1;
  g_hash_table_insert (history->counters, g_strdup (key), GUINT_TO_POINTER (next));
  return intern_take (history, g_strdup_printf ("%c%s-%06u", kind, history->id_day, next));
}

/* Casework (progress, resolving, callbacks) happens in office hours, from
 * 8:00 to 21:00 China time; what falls outside waits for the morning.
 * Accepting is exempt: the duty officer of a unit signs for new tickets at
 * any hour, because the acceptance limit runs at night too. */
static gint64
office_hours (History *history,
              gint64   at)
{
  gint64 local = at + FQ_CST_OFFSET_SECONDS;
  gint64 second_of_day = local % DAY;

  if (second_of_day >= 8 * HOUR && second_of_day < 21 * HOUR)
    return at;
  if (second_of_day >= 21 * HOUR)
    local += DAY;
  return local - local % DAY + 8 * HOUR + g_rand_int_range (history->gen.rand, 0, 90 * MINUTE)
         - FQ_CST_OFFSET_SECONDS;
}

static gint64
add_step (History    *history,
          DemoTicket *ticket,
          gint64      at,
          int         action,
          const char *actor,
          const char *unit,
          const char *note,
          const char *arg,
          int         value)
{
  Step step;

  if (action == FQ_TICKET_ACTION_PROGRESS || action == FQ_TICKET_ACTION_RESOLVE ||
      action == FQ_TICKET_ACTION_CLOSE || action == FQ_TICKET_ACTION_REJECT_RESOLUTION ||
      action == FQ_TICKET_ACTION_REOPEN || action == FQ_TICKET_ACTION_ASSIST ||
      action == FQ_TICKET_ACTION_ESCALATE)
    at = office_hours (history, at);

  step = (Step) { at, history->step_order++, action, actor, unit, note, arg, value };
  g_array_append_val (ticket->steps, step);
  ticket->last_step_at = MAX (ticket->last_step_at, at);
  return at;
}

static const char *
other_unit (History              *history,
            const FqCategoryInfo *category,
            const char           *grid,
            const char           *not_this)
{
  FqRefData *ref = history->gen.ref;
  const FqUnitInfo *unit = NULL;

  for (guint i = 0; category->support_unit_kinds != NULL && category->support_unit_kinds[i] != NULL;
       i++)
    {
      unit = fq_refdata_find_unit (ref, category->support_unit_kinds[i], grid);
      if (unit != NULL && g_strcmp0 (unit->id, not_this) != 0)
        return intern (history, unit->id);
    }
  unit = fq_refdata_find_unit (ref, "street_office", grid);
  if (unit != NULL && g_strcmp0 (unit->id, not_this) != 0)
    return intern (history, unit->id);
  return NULL;
}

/* Plans how a ticket goes from resolution work to closing, from @t on. */
static void
plan_work (History    *history,
           DemoTicket *ticket,
           gint64      t,
           const char *lead,
           gboolean    allow_detours)
{
  Generator *gen = &history->gen;
  gint64 deadline_span = (gint64)ticket->category->deadline_hours * HOUR;
  gint64 resolve_at;
  guint n_progress;

  /* Most matters are resolved well within the deadline; about one in
   * twelve runs over. */
  if (chance (gen, 0.08))
    resolve_at = t + (gint64)(deadline_span * (1.02 + 0.5 * uniform (gen)));
  else
    resolve_at = t + (gint64)(deadline_span * (0.08 + 0.8 * pow (uniform (gen), 1.4)));
  resolve_at = MAX (resolve_at, t + 20 * MINUTE);

  n_progress = 1 + g_rand_int_range (gen->rand, 0, 3);
  for (guint i = 0; i < n_progress; i++)
    add_step (history, ticket, t + (resolve_at - t) * (i + 1) / (n_progress + 1),
              FQ_TICKET_ACTION_PROGRESS, unit_actor (history, lead), lead,
              PICK_NOTE (gen, progress_notes), NULL, 0);

  /* About 2.4% of matters are never closed, which is what keeps the
   * completion rate at 97–98%. A hard case from the last weeks is still
   * being worked on, overdue; an older one was resolved late at last and
   * waits for a coordinator's review that the callback keeps holding up.
   * So the command centre inherits a few dozen overdue cases, not every
   * unfinished matter of the year. */
  if (allow_detours && chance (gen, 0.024))
    {
      if (history->now - resolve_at < 21 * DAY)
        {
          add_step (history, ticket, resolve_at + 2 * DAY, FQ_TICKET_ACTION_PROGRESS,
                    unit_actor (history, lead), lead, PICK_NOTE (gen, progress_notes), NULL, 0);
          return;
        }
      add_step (history, ticket, resolve_at + lognormal (gen, 6 * DAY, 0.6),
                FQ_TICKET_ACTION_RESOLVE, unit_actor (history, lead), lead,
                PICK_NOTE (gen, resolve_notes), NULL, 0);
      return;
    }

  t = add_step (history, ticket, resolve_at, FQ_TICKET_ACTION_RESOLVE, unit_actor (history, lead),
                lead, PICK_NOTE (gen, resolve_notes), NULL, 0);

  if (allow_detours && chance (gen, 0.03))
    {
      gint64 rejected_at = t + lognormal (gen, 5 * HOUR, 0.8);

      rejected_at = add_step (history, ticket, rejected_at, FQ_TICKET_ACTION_REJECT_RESOLUTION,
                              "coordinator", NULL, PICK_NOTE (gen, reject_notes), NULL, 0);
      t = add_step (history, ticket, rejected_at + lognormal (gen, 20 * HOUR, 0.7),
                    FQ_TICKET_ACTION_RESOLVE, unit_actor (history, lead), lead,
                    PICK_NOTE (gen, resolve_notes), NULL, 0);
    }

  {
    double x = uniform (gen);
    int satisfaction = x < 0.56 ? 5 : x < 0.86 ? 4 : x < 0.95 ? 3 : x < 0.98 ? 2 : 1;
    gint64 closed_at = t + lognormal (gen, 10 * HOUR, 0.9);

    closed_at = add_step (history, ticket, closed_at, FQ_TICKET_ACTION_CLOSE, "coordinator", NULL,
                          PICK_NOTE (gen, close_notes), NULL, satisfaction);
    ticket->plan_closed_at = closed_at;

    /* A few come back after closing: the callback finds it was not solved. */
    if (allow_detours && chance (gen, 0.012))
      {
        gint64 reopened_at = closed_at + lognormal (gen, 3 * DAY, 0.6);

        reopened_at = add_step (history, ticket, reopened_at, FQ_TICKET_ACTION_REOPEN,
                                "coordinator", NULL, PICK_NOTE (gen, reopen_notes), NULL, 0);
        ticket->plan_closed_at = 0;
        plan_work (history, ticket, reopened_at, lead, FALSE);
      }
  }
}

/* ---- convening sessions ---- */

/* The matters that most often bring several bodies to one table (DOMAIN.md
 * and the seed article): elevator retrofits, fire passages and other
 * hazards, homesteads, forest rights and land compensation, migrant
 * workers' wages, property hand-overs and maintenance funds, developers'
 * leftovers, illegal building, industrial pollution, construction
 * payments. Other matters that need two bodies or more are convened now
 * and then. Tuned to about one session a day in the city. */
static const char * const convened_categories[] = {
  "B05", "M01", "M03", "M04", "I02", "I03", "I04", "E01", "D03", "D04", "D07", "G02", "H01", "J03",
};

static double
session_chance (const FqCategoryInfo *category)
{
  for (guint i = 0; i < G_N_ELEMENTS (convened_categories); i++)
    if (strcmp (category->code, convened_categories[i]) == 0)
      return 0.13;
  return g_strv_length (category->support_unit_kinds) >= 2 ? 0.009 : 0.0;
}

/* Sessions meet at 9:00 or 14:30 China time, called at least three hours
 * ahead. */
static gint64
meeting_slot (gint64 called_at)
{
  gint64 local = called_at + 3 * HOUR + FQ_CST_OFFSET_SECONDS;
  gint64 day = local - local % DAY;
  gint64 second_of_day = local % DAY;
  gint64 slot;

  if (second_of_day <= 9 * HOUR)
    slot = day + 9 * HOUR;
  else if (second_of_day <= 14 * HOUR + 30 * MINUTE)
    slot = day + 14 * HOUR + 30 * MINUTE;
  else
    slot = day + DAY + 9 * HOUR;
  return slot - FQ_CST_OFFSET_SECONDS;
}

/* 18:00 China time on the day of @at. */
static gint64
end_of_day (gint64 at)
{
  gint64 local = at + FQ_CST_OFFSET_SECONDS;

  return local - local % DAY + 18 * HOUR - FQ_CST_OFFSET_SECONDS;
}

/* Maybe calls a session on @ticket, accepted by @lead at @accepted_at.
 * Returns when the work goes on (the last action item done), or 0 if no
 * session is called. Only sessions whose story is over by now are made:
 * the demo seeds the current ones (fq_sessions_demo_seed()). */
static gint64
plan_session (History    *history,
              DemoTicket *ticket,
              gint64      accepted_at)
{
  Generator *gen = &history->gen;
  DemoSession plan = { 0, };
  gint64 last = 0;

  if (!chance (gen, session_chance (ticket->category)))
    return 0;

  plan.called_at = office_hours (history, accepted_at + lognormal (gen, 5 * HOUR, 0.6));
  plan.scheduled_at = meeting_slot (plan.called_at);
  plan.started_at = plan.scheduled_at + g_rand_int_range (gen->rand, 0, 9) * MINUTE;
  plan.concluded_at = plan.started_at + MAX (40 * MINUTE, lognormal (gen, 100 * MINUTE, 0.35));
  plan.n_items = chance (gen, 0.6) ? 2 : 1;
  /* Action items fall due at the end of a working day, two to five days
   * on; about one in six is done late. */
  for (guint i = 0; i < plan.n_items; i++)
    {
      gint64 due = end_of_day (plan.concluded_at + (2 + g_rand_int_range (gen->rand, 0, 4)) * DAY);

      plan.item_due[i] = due;
      if (chance (gen, 0.84))
        plan.item_done[i]
            = office_hours (history, MAX (plan.concluded_at + 2 * HOUR,
                                          due - g_rand_int_range (gen->rand, 2 * HOUR, 40 * HOUR)));
      else
        plan.item_done[i] = office_hours (history, due + lognormal (gen, 20 * HOUR, 0.6));
      last = MAX (last, plan.item_done[i]);
    }
  if (last > history->now - 6 * HOUR)
    return 0;

  plan.id = next_id (history, 'S', plan.called_at);
  ticket->session = g_memdup2 (&plan, sizeof plan);
  add_step (history, ticket, plan.called_at, STEP_SESSION, "coordinator", NULL, NULL, NULL, 0);
  return last;
}

static DemoTicket *
plan_ticket (History              *history,
             FqIncident           *incident,
             guint                 incident_index,
             const FqCategoryInfo *category,
             const char           *lead,
             gint64                t)
{
  Generator *gen = &history->gen;
  DemoTicket *ticket = g_new0 (DemoTicket, 1);
  const char *assist;
  gint64 accept_at;

  ticket->category = category;
  ticket->incident_index = incident_index;
  ticket->steps = g_array_new (FALSE, FALSE, sizeof (Step));
  ticket->ticket.id = next_id (history, 'T', t);
  ticket->ticket.title = incident->summary;
  ticket->ticket.category = (char *)intern (history, category->code);
  ticket->ticket.grid = incident->grid;
  ticket->ticket.tier = category->tier;
  ticket->ticket.lead_unit = (char *)lead;
  ticket->ticket.created_at = t;
  ticket->ticket.assisting_units = g_ptr_array_new ();
  ticket->ticket.incidents = g_ptr_array_new ();

  add_step (history, ticket, t, STEP_DISPATCH, "operator", lead, NULL, incident->id, 0);

  /* Returned for the wrong unit or place now and then; the coordinator
   * sends it on. Returns in the last days are still waiting. */
  if (chance (gen, 0.05))
    {
      gint64 returned_at = t + lognormal (gen, 70 * MINUTE, 0.7);
      const char *to = other_unit (history, category, incident->grid, lead);
      double x = uniform (gen);
      int reason = x < 0.55 ? FQ_RETURN_REASON_NOT_RESPONSIBLE
                 : x < 0.8 ? FQ_RETURN_REASON_WRONG_PLACE
                 : x < 0.9 ? FQ_RETURN_REASON_NEEDS_POLICE : FQ_RETURN_REASON_OTHER;

      if (to != NULL)
        {
          gint64 redispatched_at;

          add_step (history, ticket, returned_at, FQ_TICKET_ACTION_RETURN,
                    unit_actor (history, lead), lead,
                    return_notes[MIN (reason, (int)G_N_ELEMENTS (return_notes) - 1)], NULL, reason);
          redispatched_at = returned_at + (chance (gen, 0.7) ? lognormal (gen, 90 * MINUTE, 0.6)
                                                             : lognormal (gen, 16 * HOUR, 0.6));
          if (returned_at > history->now - 3 * DAY && chance (gen, 0.6))
            redispatched_at = history->now + 2 * DAY;
          add_step (history, ticket, redispatched_at, FQ_TICKET_ACTION_REDISPATCH, "coordinator",
                    to, "已核实，改派责任单位办理", to, 0);
          lead = to;
          t = redispatched_at;
        }
    }

  /* Acceptance: minutes mostly, hours sometimes; about one in twelve
   * misses the two-hour limit. */
  if (chance (gen, 0.085))
    accept_at = t + (gint64)(history->accept_limit * (1.05 + 2.0 * uniform (gen)));
  else
    accept_at = t + MIN (lognormal (gen, 22 * MINUTE, 0.8), history->accept_limit - MINUTE);
  add_step (history, ticket, accept_at, FQ_TICKET_ACTION_ACCEPT, unit_actor (history, lead), lead,
            PICK_NOTE (gen, accept_notes), NULL, 0);
  t = accept_at;

  /* Matters that need several bodies get assisting units. */
  if (chance (gen, 0.14) && (assist = other_unit (history, category, incident->grid, lead)) != NULL)
    add_step (history, ticket, t + lognormal (gen, 2 * HOUR, 0.6), FQ_TICKET_ACTION_ASSIST,
              "coordinator", NULL, "需相关单位协同处置", assist, 0);

  if (chance (gen, 0.02) && category->tier < FQ_TIER_CITY)
    add_step (history, ticket, t + lognormal (gen, 6 * HOUR, 0.5), FQ_TICKET_ACTION_ESCALATE,
              unit_actor (history, lead), lead, PICK_NOTE (gen, escalate_notes), NULL,
              category->tier + 1);

  /* A hard case: the centre blows the whistle, and the work goes on from
   * what the session decided. */
  {
    gint64 after_session = plan_session (history, ticket, t);

    if (after_session > 0)
      t = after_session;
  }

  plan_work (history, ticket, t + 10 * MINUTE, lead, TRUE);
  return ticket;
}

/* The plan's state at @at, replayed (only what the merge needs to know). */
static FqTicketState
plan_state_at (DemoTicket *ticket,
               gint64      at)
{
  FqTicketState state = FQ_TICKET_STATE_DISPATCHED;

  for (guint i = 0; i < ticket->steps->len; i++)
    {
      Step *step = &g_array_index (ticket->steps, Step, i);
      const FqTicketTransition *row;

      if (step->at > at || step->action < 0)
        {
          if (step->action == STEP_MERGE_REOPEN && step->at <= at)
            state = FQ_TICKET_STATE_ACCEPTED;
          continue;
        }
      row = fq_ticket_machine_lookup (state, step->action);
      if (row != NULL && row->to != FQ_TICKET_STATE_SAME)
        state = row->to;
    }
  return state;
}

static int
step_compare (gconstpointer a,
              gconstpointer b)
{
  const Step *sa = a;
  const Step *sb = b;

  if (sa->at != sb->at)
    return sa->at < sb->at ? -1 : 1;
  return sa->order < sb->order ? -1 : sa->order > sb->order;
}

static FqIncident *
new_incident (History                *history,
              gint64                  received_at,
              FqSource                source,
              const FqGridNodeInfo   *community,
              const FqCategoryInfo   *category)
{
  Generator *gen = &history->gen;
  FqIncident *incident = g_new0 (FqIncident, 1);

  incident->id = next_id (history, 'I', received_at);
  incident->source = source;
  incident->received_at = received_at;
  incident->grid = community->code;
  incident->community = community->code;
  incident->category = (char *)intern (history, category->code);
  pick_call (gen, category->code, (const char **)&incident->summary,
             (const char **)&incident->description);
  if (source != FQ_SOURCE_GRID || chance (gen, 0.5))
    {
      incident->caller_name = intern_take (history, make_name (gen));
      incident->caller_phone = intern_take (history, make_phone (gen));
      incident->phone_norm
          = intern_take (history, fq_repeat_normalize_phone (incident->caller_phone));
    }
  incident->address = intern_take (history, make_address (gen, community));
  incident->address_norm = address_key (history, incident->address);
  incident->status = FQ_INCIDENT_STATUS_NEW;
  incident->decision = -1;
  incident->created_by = (char *)(source == FQ_SOURCE_GRID ? "grid" : "operator");
  incident->created_at = received_at;
  incident->updated_at = received_at;
  incident->rev = 1;
  return incident;
}

/* A repeat call: the same caller, place and matter as @earlier. */
static FqIncident *
new_repeat (History    *history,
            gint64      received_at,
            FqSource    source,
            FqIncident *earlier,
            FqIncident *root)
{
  Generator *gen = &history->gen;
  FqIncident *incident = g_new0 (FqIncident, 1);
  g_autoptr(JsonArray) candidates = json_array_new ();
  g_autoptr(JsonNode) node = NULL;
  JsonObject *candidate = json_object_new ();
  FqRepeatProbe probe_new, probe_old;
  double score = 0.9;

  *incident = *earlier;
  incident->id = next_id (history, 'I', received_at);
  incident->source = source;
  incident->received_at = received_at;
  incident->external_id = NULL;
  /* The same matter, in the words of the first call: the corpus holds one
   * wording of each call, and another of the category would be another
   * matter. A caller who calls again often says less. */
  if (chance (gen, 0.5))
    incident->description = NULL;
  incident->status = FQ_INCIDENT_STATUS_NEW;
  incident->decision = -1;
  incident->ticket = NULL;
  incident->triage_note = NULL;
  incident->triaged_at = 0;
  incident->triaged_by = NULL;
  incident->suggested_category = NULL;
  incident->created_by = (char *)(source == FQ_SOURCE_GRID ? "grid" : "operator");
  incident->created_at = received_at;
  incident->updated_at = received_at;
  incident->rev = 1;
  incident->repeat_of = root->id;

  probe_new = (FqRepeatProbe) { incident->phone_norm, incident->community, incident->address_norm,
                                incident->category, incident->summary, incident->received_at };
  probe_old = (FqRepeatProbe) { earlier->phone_norm, earlier->community, earlier->address_norm,
                                earlier->category, earlier->summary, earlier->received_at };
  fq_repeat_match (&probe_new, &probe_old, &score);

  json_object_set_string_member (candidate, "incident", earlier->id);
  if (earlier->ticket != NULL || root->ticket != NULL)
    json_object_set_string_member (candidate, "ticket",
                                   earlier->ticket != NULL ? earlier->ticket : root->ticket);
  else
    json_object_set_null_member (candidate, "ticket");
  json_object_set_double_member (candidate, "score", round (score * 1000) / 1000);
  json_array_add_object_element (candidates, candidate);
  node = json_node_init_array (json_node_alloc (), candidates);
  incident->repeat_candidates = intern_take (history, fq_json_to_string (node, NULL));
  return incident;
}

/* The hour of a call: quiet nights, a morning and a larger evening peak;
 * noise and family matters lean further into the evening. */
static gint64
pick_second_of_day (Generator *gen,
                    gboolean   evening)
{
  static const double hours[24] = {
    3, 2, 1.5, 1, 1, 1.2, 2, 3.5, 5, 6, 6.5, 6, 5, 5, 5.5, 5.5, 5.5, 6, 6.5, 7, 7.5, 7, 5.5, 4,
  };
  double weights[24];
  double total = 0, x;
  guint h;

  for (h = 0; h < 24; h++)
    {
      weights[h] = hours[h] * (evening && (h >= 19 || h <= 1) ? 1.8 : 1.0);
      total += weights[h];
    }
  x = uniform (gen) * total;
  for (h = 0; h < 23 && x >= weights[h]; h++)
    x -= weights[h];
  return h * HOUR + g_rand_int_range (gen->rand, 0, HOUR);
}

static double
season (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);
  int doy = g_date_time_get_day_of_year (dt);

  /* Summer nights (noise, water, heat) are busiest, late winter quietest,
   * with a bump at the Spring Festival for family matters. */
  return 1.0 + 0.09 * sin (2 * G_PI * (doy - 110) / 365.0);
}

typedef struct
{
  gint64   at;
  gboolean police;
  const FqCategoryInfo *category;
} Arrival;

static int
arrival_compare (gconstpointer a,
                 gconstpointer b)
{
  const Arrival *aa = a;
  const Arrival *ab = b;

  return aa->at < ab->at ? -1 : aa->at > ab->at;
}

static FqSource
pick_source (Generator *gen,
             gboolean   police)
{
  double x = uniform (gen);

  /* Disputes: 110 37%, 12345 41%, grid 17.5%, walk-in the rest; police
   * matters come by 110 mostly. Together 60 / 30 / 7 / 3. */
  if (police)
    return x < 0.75 ? FQ_SOURCE_110 : x < 0.975 ? FQ_SOURCE_12345 : FQ_SOURCE_WALK_IN;
  return x < 0.37 ? FQ_SOURCE_110 : x < 0.78 ? FQ_SOURCE_12345 : x < 0.955 ? FQ_SOURCE_GRID
                                                                       : FQ_SOURCE_WALK_IN;
}

static void
triage (History    *history,
        FqIncident *incident,
        guint       index,
        FqIncident *earlier,
        FqIncident *root)
{
  Generator *gen = &history->gen;
  const FqCategoryInfo *category = fq_refdata_get_category (gen->ref, incident->category);
  gint64 triaged_at = incident->received_at + lognormal (gen, 6 * MINUTE, 0.7) + 30;
  FqDecision decision;

  /* The last hours' calls partly still wait for triage. */
  if (triaged_at > history->now ||
      (incident->received_at > history->now - WAITING_WINDOW && chance (gen, 0.5)))
    return;

  if (category->police_only)
    decision = FQ_DECISION_POLICE;
  else if (root != NULL && root->ticket != NULL && chance (gen, 0.9))
    decision = FQ_DECISION_MERGE;
  else if (root != NULL)
    {
      double x = uniform (gen);

      decision = x < 0.4    ? FQ_DECISION_DIVERT
                 : x < 0.85 ? FQ_DECISION_ON_SCENE
                            : FQ_DECISION_MEDIATE;
    }
  else
    {
      double x = uniform (gen);

      /* Grid workers settle much on the spot (未报先处). */
      if (incident->source == FQ_SOURCE_GRID)
        decision = x < 0.24 ? FQ_DECISION_DIVERT : FQ_DECISION_ON_SCENE;
      else
        decision = x < 0.245  ? FQ_DECISION_DIVERT
                   : x < 0.32 ? FQ_DECISION_MEDIATE
                              : FQ_DECISION_ON_SCENE;
    }

  if (decision == FQ_DECISION_DIVERT)
    {
      const FqUnitInfo *lead = fq_refdata_lead_unit (gen->ref, category->code, incident->grid);

      if (lead == NULL)
        decision = FQ_DECISION_ON_SCENE;
      else
        {
          DemoTicket *ticket = plan_ticket (history, incident, index, category,
                                            intern (history, lead->id), triaged_at);

          g_ptr_array_add (history->tickets, ticket);
          g_hash_table_insert (history->ticket_by_id, ticket->ticket.id, ticket);
          incident->ticket = ticket->ticket.id;
          /* The ticket's slot, for merges into it. */
          g_array_append_val (history->recent_ticketed, index);
        }
    }
  else if (decision == FQ_DECISION_MERGE)
    {
      DemoTicket *ticket = g_hash_table_lookup (history->ticket_by_id, root->ticket);

      gboolean closed = ticket != NULL &&
                        plan_state_at (ticket, triaged_at) == FQ_TICKET_STATE_CLOSED &&
                        ticket->last_step_at <= triaged_at;

      /* A call about a matter already closed is mostly a caller who had
       * not heard the outcome, settled by the officer; about one in four
       * finds it really unsolved, and the ticket comes back. */
      if (ticket == NULL || (closed && !chance (gen, 0.25)))
        decision = FQ_DECISION_ON_SCENE;
      else
        {
          incident->ticket = ticket->ticket.id;
          if (closed)
            {
              /* Merged into a closed ticket: reopened, a backflow case. */
              add_step (history, ticket, triaged_at, STEP_MERGE, "operator", NULL, NULL,
                        incident->id, 0);
              add_step (history, ticket, triaged_at, STEP_MERGE_REOPEN, "operator", NULL,
                        PICK_NOTE (gen, reopen_notes), incident->id, 0);
              ticket->plan_closed_at = 0;
              plan_work (history, ticket, triaged_at + 30 * MINUTE, ticket->ticket.lead_unit,
                         FALSE);
            }
          else
            add_step (history, ticket, triaged_at, STEP_MERGE, "operator", NULL, NULL, incident->id,
                      0);
        }
    }

  incident->status = FQ_INCIDENT_STATUS_TRIAGED;
  incident->decision = decision;
  incident->triaged_at = triaged_at;
  incident->triaged_by = "operator";
  incident->updated_at = triaged_at;
  incident->rev = 2;
}

/* Picks an earlier dispute incident of the last thirty days for a repeat
 * call, leaning towards recent ones and towards matters already diverted
 * (an unfinished matter is what people call about again). */
static guint
pick_earlier (History *history,
              gint64   t,
              gboolean *found)
{
  Generator *gen = &history->gen;
  GArray *pool = chance (gen, 0.5) && history->recent_ticketed->len > 0
    ? history->recent_ticketed : history->recent;

  *found = FALSE;
  for (guint attempt = 0; attempt < 6 && pool->len > 0; attempt++)
    {
      double u = uniform (gen);
      guint back = (guint)(pool->len * u * u * u);
      guint index = g_array_index (pool, guint, pool->len - 1 - MIN (back, pool->len - 1));
      FqIncident *earlier = g_ptr_array_index (history->incidents, index);

      if (earlier->received_at >= t - FQ_REPEAT_WINDOW_SECONDS + DAY &&
          earlier->received_at < t - 10 * MINUTE && earlier->phone_norm != NULL)
        {
          *found = TRUE;
          return index;
        }
    }
  return 0;
}

static void
trim_recent (History *history,
             GArray  *pool,
             gint64   t)
{
  guint drop = 0;

  while (drop < pool->len)
    {
      FqIncident *incident
          = g_ptr_array_index (history->incidents, g_array_index (pool, guint, drop));

      if (incident->received_at >= t - FQ_REPEAT_WINDOW_SECONDS)
        break;
      drop++;
    }
  if (drop > 0)
    g_array_remove_range (pool, 0, drop);
}

static FqIncident *
find_root (History    *history,
           FqIncident *earlier)
{
  FqIncident *root;

  if (earlier->repeat_of == NULL)
    return earlier;
  root = g_hash_table_lookup (history->incident_by_id, earlier->repeat_of);
  return root != NULL ? root : earlier;
}

static void
generate_day (History *history,
              gint64   day_start)
{
  Generator *gen = &history->gen;
  g_autoptr(GDateTime) cst = g_date_time_new_from_unix_utc (day_start + FQ_CST_OFFSET_SECONDS);
  int weekday = g_date_time_get_day_of_week (cst);
  gboolean weekend = weekday >= 6;
  double years = (day_start - (history->now - YEAR / 2)) / YEAR;
  double dispute_mean = DISPUTES_PER_DAY * pow (DISPUTE_TREND, years) * season (day_start) *
                        (weekend ? 1.12 : 0.97);
  double police_mean = POLICE_PER_DAY * pow (POLICE_TREND, years) * season (day_start) *
                       (weekend ? 1.06 : 0.98);
  double repeat_share = REPEAT_SHARE * pow (REPEAT_RATE_TREND, years);
  g_autoptr(GArray) arrivals = g_array_new (FALSE, FALSE, sizeof (Arrival));
  guint n_disputes = poisson (gen, dispute_mean);
  guint n_police = poisson (gen, police_mean);

  if (day_start >= history->now - 60 * DAY && day_start < history->now - 30 * DAY)
    repeat_share *= REPEAT_SPIKE;

  for (guint i = 0; i < n_disputes + n_police; i++)
    {
      Arrival arrival;

      arrival.police = i >= n_disputes;
      arrival.category = pick_category (gen, arrival.police, weekend);
      arrival.at
          = day_start + pick_second_of_day (gen, is_evening_category (arrival.category->code));
      g_array_append_val (arrivals, arrival);
    }
  g_array_sort (arrivals, arrival_compare);

  trim_recent (history, history->recent, day_start);
  trim_recent (history, history->recent_ticketed, day_start);

  for (guint i = 0; i < arrivals->len; i++)
    {
      Arrival *arrival = &g_array_index (arrivals, Arrival, i);
      FqSource source = pick_source (gen, arrival->police);
      FqIncident *incident = NULL;
      FqIncident *earlier = NULL;
      FqIncident *root = NULL;
      guint index;

      if (arrival->at > history->now)
        break;

      if (!arrival->police && chance (gen, repeat_share))
        {
          gboolean found = FALSE;
          guint earlier_index = pick_earlier (history, arrival->at, &found);

          if (found)
            {
              earlier = g_ptr_array_index (history->incidents, earlier_index);
              root = find_root (history, earlier);
              incident
                  = new_repeat (history, arrival->at,
                                source == FQ_SOURCE_GRID ? FQ_SOURCE_110 : source, earlier, root);
            }
        }
      if (incident == NULL)
        incident
            = new_incident (history, arrival->at, source, pick_community (gen), arrival->category);

      index = history->incidents->len;
      g_ptr_array_add (history->incidents, incident);
      g_hash_table_insert (history->incident_by_id, incident->id, incident);
      triage (history, incident, index, earlier, root);
      if (!arrival->police && incident->decision != FQ_DECISION_POLICE)
        g_array_append_val (history->recent, index);
    }
}

/* ---- replaying the plans up to now ---- */

/* An event on the ticket's timeline that does not change the ticket (a
 * session's, as fq_ticket_add_event() records it); takes @data. */
static FqEvent *
timeline_event (History    *history,
                DemoTicket *ticket,
                gint64      at,
                FqEventKind kind,
                const char *actor,
                const char *unit,
                const char *note,
                JsonObject *data)
{
  FqEvent *event = g_new0 (FqEvent, 1);

  event->ticket = ticket->ticket.id;
  event->at = at;
  event->kind = kind;
  event->actor = (char *)actor;
  event->actor_name = (char *)actor_display_name (history, actor);
  event->unit = (char *)unit;
  event->note = (char *)note;
  if (data != NULL)
    {
      g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), data);

      event->data = intern_take (history, fq_json_to_string (node, NULL));
      json_object_unref (data);
    }
  g_ptr_array_add (history->events, event);
  return event;
}

/* An event of an action on the ticket, which changes it. */
static FqEvent *
history_event (History              *history,
               DemoTicket           *ticket,
               gint64                at,
               FqEventKind           kind,
               const char           *actor,
               const char           *unit,
               const char           *note,
               JsonObject           *data)
{
  FqEvent *event = timeline_event (history, ticket, at, kind, actor, unit, note, data);

  ticket->ticket.updated_at = MAX (ticket->ticket.updated_at, at);
  ticket->ticket.rev++;
  return event;
}

/* What the sessions of a group of matters typically decide. */
static const struct
{
  const char *group;
  const char *decision;
  const char *item;   /* for the lead unit */
} session_texts[] = {
  { "B", "由社区组织双方当面协商并签订调解协议，责任单位跟踪履行情况",
    "组织双方签订调解协议并跟踪履行" },
  { "D", "物业服务企业限期整改到位，住建部门督促落实，社区组织业主代表验收",
    "督促物业服务企业限期整改并组织验收" },
  { "E", "用工单位限期足额支付拖欠款项，人社部门跟踪督办，逾期依法处理",
    "督办欠薪支付并向当事人反馈" },
  { "G", "违法建设和占道行为限期自行整改，逾期由城管执法部门依法处置",
    "下达限期整改通知书并监督整改" },
  { "H", "生态环境部门组织监测，企业限期整改，街道和社区跟踪复查",
    "组织监测并督促企业整改" },
  { "I", "依据确权资料和村规民约提出调处方案，街道组织双方签字确认",
    "提出调处方案并组织双方签字确认" },
  { "J", "核实工程量和欠款金额，双方按调解方案分期结算",
    "核对欠款金额并组织双方结算" },
  { "M", "立即消除安全隐患，相关部门现场复查，街道督促建立长效管理机制",
    "完成隐患整改并报送复查结果" },
};

static const char * const support_items[] = {
  "配合开展现场核查并提供相关材料",
  "做好当事人思想工作并回访",
  "派员参与联合执法并反馈结果",
};

/* Replays @ticket's session: who came, what was decided, the action items
 * and when they were done, as events on the ticket's timeline. */
static void
replay_session (History    *history,
                DemoTicket *ticket)
{
  Generator *gen = &history->gen;
  FqRefData *ref = gen->ref;
  DemoSession *plan = ticket->session;
  FqTicket *t = &ticket->ticket;
  const FqCategoryInfo *category = ticket->category;
  const FqGridNodeInfo *community = fq_refdata_get_node (ref, t->grid);
  const FqUnitInfo *street = fq_refdata_find_unit (ref, "street_office", t->grid);
  const FqUnitInfo *lead = fq_refdata_get_unit (ref, t->lead_unit);
  const char *convener = street != NULL ? intern (history, street->id) : t->lead_unit;
  const char *decision = "明确牵头单位和配合单位职责，限期办结并向群众反馈";
  const char *lead_item = "落实会商意见并书面反馈办理结果";
  const char *person_org = "居民代表";
  g_autoptr(GPtrArray) units = g_ptr_array_new ();
  g_autoptr(GPtrArray) present = g_ptr_array_new ();
  g_autoptr(GString) minutes = g_string_new (NULL);
  g_autofree char *place = NULL;
  g_autofree char *title = NULL;
  g_autofree char *location = NULL;
  g_autofree char *person = NULL;
  FqHistorySession *record;
  JsonObject *data;
  const char *owners[SESSION_MAX_ITEMS];
  gint64 item_ids[SESSION_MAX_ITEMS];
  guint excused = 0, absent = 0;
  gint64 decided_at;

  for (guint i = 0; i < G_N_ELEMENTS (session_texts); i++)
    if (g_strcmp0 (category->group, session_texts[i].group) == 0)
      {
        decision = session_texts[i].decision;
        lead_item = session_texts[i].item;
      }
  if (g_strcmp0 (category->group, "D") == 0)
    person_org = "业主委员会";
  else if (g_strcmp0 (category->group, "E") == 0 || g_strcmp0 (category->group, "J") == 0)
    person_org = "企业代表";
  else if (g_strcmp0 (category->group, "I") == 0)
    person_org = "村民代表";

  /* The convener, the lead unit, the community and the category's other
   * bodies, up to six. */
  g_ptr_array_add (units, (gpointer)convener);
  if (g_strcmp0 (t->lead_unit, convener) != 0)
    g_ptr_array_add (units, t->lead_unit);
  {
    const FqUnitInfo *committee = fq_refdata_find_unit (ref, "community", t->grid);

    if (committee != NULL &&
        !g_ptr_array_find_with_equal_func (units, committee->id, g_str_equal, NULL))
      g_ptr_array_add (units, (gpointer)intern (history, committee->id));
  }
  for (guint i = 0; category->support_unit_kinds[i] != NULL && units->len < 6; i++)
    {
      const FqUnitInfo *unit = fq_refdata_find_unit (ref, category->support_unit_kinds[i], t->grid);

      if (unit != NULL && !g_ptr_array_find_with_equal_func (units, unit->id, g_str_equal, NULL))
        g_ptr_array_add (units, (gpointer)intern (history, unit->id));
    }

  place = community != NULL ? fq_demo_community_place (community) : g_strdup ("");
  title = g_strdup_printf ("%s%s联合会商", place, category->name);
  location = g_strdup_printf ("%s会议室", street != NULL ? street->name : "街道综治中心");
  record = fq_history_session_new (t, plan->id, title,
                                   "一、通报前期处置情况；二、各单位发表意见；"
                                   "三、明确责任分工和办理时限",
                                   location, convener, "coordinator", plan->called_at,
                                   plan->scheduled_at);
  plan->record = record;
  for (guint i = 0; i < units->len; i++)
    fq_history_session_invite (record, g_ptr_array_index (units, i));
  person = make_name (gen);
  fq_history_session_add_person (record, person, person_org);
  timeline_event (history, ticket, plan->called_at, FQ_EVENT_KIND_WHISTLE, "coordinator", convener,
                  NULL, fq_history_session_called (record));

  /* The convener and the lead unit always come; the others mostly, some
   * late, a few excused beforehand or absent. */
  for (guint i = 0; i < units->len; i++)
    {
      const char *unit = g_ptr_array_index (units, i);
      gint64 at;

      if (g_strcmp0 (unit, convener) != 0 && g_strcmp0 (unit, t->lead_unit) != 0)
        {
          double x = uniform (gen);

          if (x < 0.09)
            {
              absent++;
              continue;
            }
          if (x < 0.20)
            {
              fq_history_session_excuse (record, unit, "coordinator",
                                         plan->called_at
                                         + g_rand_int_range (gen->rand, 10 * MINUTE, 2 * HOUR));
              excused++;
              continue;
            }
        }
      if (i > 0 && chance (gen, 0.3))
        at = MIN (plan->scheduled_at + lognormal (gen, 9 * MINUTE, 0.6),
                  plan->concluded_at - 30 * MINUTE);
      else
        at = plan->scheduled_at - g_rand_int_range (gen->rand, 0, 15 * MINUTE);
      data = fq_history_session_check_in (record, unit, unit_actor (history, unit), at);
      timeline_event (history, ticket, at, FQ_EVENT_KIND_CHECKED_IN, unit_actor (history, unit),
                      unit, NULL, data);
      g_ptr_array_add (present, (gpointer)unit);
    }

  data = fq_history_session_start (record, plan->started_at);
  timeline_event (history, ticket, plan->started_at, FQ_EVENT_KIND_CONVENED, "coordinator",
                  convener, NULL, data);

  {
    const FqUnitInfo *convener_info = fq_refdata_get_unit (ref, convener);

    g_string_append_printf (minutes, "%s主持会商，%u家单位到会",
                            convener_info != NULL ? convener_info->name : convener, present->len);
    if (excused > 0)
      g_string_append_printf (minutes, "，%u家请假", excused);
    if (absent > 0)
      g_string_append_printf (minutes, "，%u家缺席", absent);
    g_string_append_printf (minutes, "。\n%s通报前期处置情况：%s。\n"
                            "到会单位和%s逐一发表意见，经充分协商形成一致意见。",
                            lead != NULL ? lead->name : t->lead_unit, t->title, person_org);
  }

  decided_at = plan->started_at + (plan->concluded_at - plan->started_at) * 3 / 4;
  fq_history_session_decide (record, ++history->last_decision_id, decision, "coordinator",
                             decided_at);
  for (guint i = 0; i < plan->n_items; i++)
    {
      const char *text = lead_item;

      owners[i] = t->lead_unit;
      /* The second item goes to another body that came. */
      if (i > 0)
        {
          owners[i] = convener;
          for (guint k = present->len; k-- > 0;)
            if (g_strcmp0 (g_ptr_array_index (present, k), t->lead_unit) != 0 &&
                g_strcmp0 (g_ptr_array_index (present, k), convener) != 0)
              owners[i] = g_ptr_array_index (present, k);
          text = support_items[g_rand_int_range (gen->rand, 0, G_N_ELEMENTS (support_items))];
        }
      item_ids[i] = ++history->last_item_id;
      fq_history_session_add_item (record, item_ids[i], text, owners[i], plan->item_due[i],
                                   "coordinator", decided_at + (i + 1) * 3 * MINUTE);
    }
  fq_history_session_set_minutes (record, minutes->str, plan->concluded_at - 5 * MINUTE);
  data = fq_history_session_conclude (record, "coordinator", plan->concluded_at);
  timeline_event (history, ticket, plan->concluded_at, FQ_EVENT_KIND_CONSENSUS, "coordinator",
                  convener, NULL, data);

  /* The items are done, some late: those ran out first, which the watch
   * recorded. */
  for (guint i = 0; i < plan->n_items; i++)
    {
      const char *actor = unit_actor (history, owners[i]);

      if (plan->item_done[i] > plan->item_due[i])
        timeline_event (history, ticket, plan->item_due[i], FQ_EVENT_KIND_SLA_BREACHED, NULL,
                        owners[i], NULL, fq_history_session_item_overdue (record, item_ids[i]));
      data = fq_history_session_complete_item (record, item_ids[i], actor, plan->item_done[i]);
      timeline_event (history, ticket, plan->item_done[i], FQ_EVENT_KIND_ACTION_DONE, actor,
                      owners[i], NULL, data);
    }

  /* Whoever the session brought may read the ticket. */
  t->session_units = g_ptr_array_new ();
  for (guint i = 0; i < units->len; i++)
    g_ptr_array_add (t->session_units, g_ptr_array_index (units, i));
}

static void
replay_breaches (History    *history,
                 DemoTicket *ticket,
                 gint64      at)
{
  FqTicket *t = &ticket->ticket;
  guint breaches = fq_ticket_breaches (t, history->accept_limit, at);
  guint fresh = breaches & ~t->sla_recorded;

  if (fresh & FQ_SLA_ACCEPT_LATE)
    {
      JsonObject *data = json_object_new ();

      json_object_set_string_member (data, "breach", "accept");
      history_event (history, ticket, MIN (at, t->dispatched_at + history->accept_limit),
                     FQ_EVENT_KIND_SLA_BREACHED, NULL, t->lead_unit, NULL, data);
    }
  if (fresh & FQ_SLA_RESOLVE_LATE)
    {
      JsonObject *data = json_object_new ();

      json_object_set_string_member (data, "breach", "resolve");
      history_event (history, ticket, MIN (at, t->deadline), FQ_EVENT_KIND_SLA_BREACHED, NULL,
                     t->lead_unit, NULL, data);
    }
  t->sla_recorded |= fresh;
}

static void
replay_ticket (History    *history,
               DemoTicket *ticket)
{
  FqTicket *t = &ticket->ticket;
  const FqCategoryInfo *category = ticket->category;

  g_array_sort (ticket->steps, step_compare);
  t->rev = 0;

  for (guint i = 0; i < ticket->steps->len; i++)
    {
      Step *step = &g_array_index (ticket->steps, Step, i);
      JsonObject *data = NULL;
      FqEventKind kind;

      if (step->at > history->now)
        break;
      if (step->action != STEP_DISPATCH)
        replay_breaches (history, ticket, step->at);

      switch (step->action)
        {
        case STEP_DISPATCH:
          t->state = FQ_TICKET_STATE_DISPATCHED;
          t->dispatched_at = step->at;
          t->deadline = fq_sla_deadline (step->at, category->deadline_hours);
          data = json_object_new ();
          json_object_set_string_member (data, "incident", step->arg);
          json_object_set_string_member (data, "tier", fq_enum_to_string (FQ_TYPE_TIER, t->tier));
          kind = FQ_EVENT_KIND_DISPATCHED;
          break;

        case STEP_SESSION:
          replay_session (history, ticket);
          continue;

        case STEP_MERGE:
          t->repeat_count++;
          data = json_object_new ();
          json_object_set_string_member (data, "incident", step->arg);
          kind = FQ_EVENT_KIND_MERGED;
          break;

        case STEP_MERGE_REOPEN:
        case FQ_TICKET_ACTION_REOPEN:
          if (t->state != FQ_TICKET_STATE_CLOSED)
            continue;
          t->state = FQ_TICKET_STATE_ACCEPTED;
          t->reopened_count++;
          t->resolved_at = 0;
          t->closed_at = 0;
          t->satisfaction = 0;
          t->deadline = fq_sla_deadline (step->at, category->deadline_hours);
          t->sla_recorded &= ~FQ_SLA_RESOLVE_LATE;
          if (step->action == STEP_MERGE_REOPEN)
            {
              data = json_object_new ();
              json_object_set_string_member (data, "incident", step->arg);
              json_object_set_string_member (data, "cause", "repeat_call");
            }
          kind = FQ_EVENT_KIND_REOPENED;
          break;

        default:
          {
            const FqTicketTransition *row = fq_ticket_machine_lookup (t->state, step->action);

            /* A step whose state has not come (a merge changed the course)
             * is dropped, as a person would not have taken it either. */
            if (row == NULL)
              continue;
            kind = row->event;
            switch ((FqTicketAction)step->action)
              {
              case FQ_TICKET_ACTION_ACCEPT:
                t->accepted_at = step->at;
                break;
              case FQ_TICKET_ACTION_RETURN:
                t->returned_count++;
                data = json_object_new ();
                json_object_set_string_member (
                    data, "reason", fq_enum_to_string (FQ_TYPE_RETURN_REASON, step->value));
                break;
              case FQ_TICKET_ACTION_REDISPATCH:
                data = json_object_new ();
                json_object_set_string_member (data, "from", t->lead_unit);
                json_object_set_string_member (data, "to", step->arg);
                t->lead_unit = (char *)step->arg;
                t->dispatched_at = step->at;
                t->accepted_at = 0;
                t->deadline = fq_sla_deadline (step->at, category->deadline_hours);
                t->sla_recorded = 0;
                break;
              case FQ_TICKET_ACTION_RESOLVE:
                t->resolved_at = step->at;
                break;
              case FQ_TICKET_ACTION_REJECT_RESOLUTION:
                t->resolved_at = 0;
                t->rejected_count++;
                break;
              case FQ_TICKET_ACTION_CLOSE:
                t->closed_at = step->at;
                t->satisfaction = step->value;
                data = json_object_new ();
                json_object_set_int_member (data, "satisfaction", step->value);
                break;
              case FQ_TICKET_ACTION_ESCALATE:
                data = json_object_new ();
                json_object_set_string_member (data, "from_tier",
                                               fq_enum_to_string (FQ_TYPE_TIER, t->tier));
                json_object_set_string_member (data, "to_tier",
                                               fq_enum_to_string (FQ_TYPE_TIER, step->value));
                t->tier = step->value;
                t->escalated_count++;
                break;
              case FQ_TICKET_ACTION_ASSIST:
                {
                  JsonArray *units = json_array_new ();

                  if (g_strcmp0 (step->arg, t->lead_unit) == 0)
                    {
                      json_array_unref (units);
                      continue;
                    }
                  g_ptr_array_add (t->assisting_units, (gpointer)step->arg);
                  json_array_add_string_element (units, step->arg);
                  data = json_object_new ();
                  json_object_set_array_member (data, "units", units);
                }
                break;
              case FQ_TICKET_ACTION_PROGRESS:
              case FQ_TICKET_ACTION_COMMENT:
              case FQ_TICKET_ACTION_REOPEN:
              default:
                break;
              }
            if (row->to != FQ_TICKET_STATE_SAME)
              t->state = row->to;
          }
          break;
        }

      history_event (history, ticket, step->at, kind, step->actor, step->unit, step->note, data);
    }

  replay_breaches (history, ticket, history->now);
  t->overdue
      = fq_sla_is_overdue (t->state, fq_ticket_breaches (t, history->accept_limit, history->now));
}

/* ---- writing ---- */

typedef struct
{
  gint64 at;
  guint  entity;  /* 0 incident, 1 ticket, 2 event, 3 session (of the ticket) */
  guint  index;
} ChangeRef;

static int
change_compare (gconstpointer a,
                gconstpointer b)
{
  const ChangeRef *ca = a;
  const ChangeRef *cb = b;

  if (ca->at != cb->at)
    return ca->at < cb->at ? -1 : 1;
  if (ca->entity != cb->entity)
    return ca->entity < cb->entity ? -1 : 1;
  return ca->index < cb->index ? -1 : ca->index > cb->index;
}

static int
event_compare (gconstpointer a,
               gconstpointer b)
{
  const FqEvent *ea = *(FqEvent * const *)a;
  const FqEvent *eb = *(FqEvent * const *)b;

  if (ea->at != eb->at)
    return ea->at < eb->at ? -1 : 1;
  return ea->id < eb->id ? -1 : ea->id > eb->id;
}

/* A change row as it is stored: its record's JSON and what it is filed
 * under. */
typedef struct
{
  gint64       at;
  const char  *entity;
  const char  *id;        /* the record's, or event_id */
  const char  *grid;
  const char **units;     /* owned array of borrowed strings */
  char        *event_id;
  char        *json;
} ChangeRow;

#define CHANGE_BLOCK    2048
#define CHANGE_BLOCKS   4       /* written ahead of the one being stored */

/* The changes' JSON is about a third of the time their rows take to store
 * (13 months: 350,000 rows, 220 MB of JSON). A second thread writes it, a
 * block of rows at a time and a few blocks ahead, while this one stores
 * the blocks before. It only reads the history, which nobody changes by
 * then. */
typedef struct
{
  History      *history;
  GArray       *refs;      /* ChangeRef, in time order */
  GAsyncQueue  *ready;     /* ChangeBlock, in order */
  GAsyncQueue  *free;      /* a token per block that may be written ahead */
  gint          stop;
} ChangeWriter;

typedef struct
{
  guint      n_rows;
  ChangeRow  rows[CHANGE_BLOCK];
} ChangeBlock;

static void
change_row_describe (History         *history,
                     const ChangeRef *ref,
                     GString         *json,
                     ChangeRow       *row)
{
  DemoTicket *ticket = NULL;

  g_string_truncate (json, 0);
  *row = (ChangeRow) { .at = ref->at };
  switch (ref->entity)
    {
    case 0:
      {
        FqIncident *incident = g_ptr_array_index (history->incidents, ref->index);

        if (incident->ticket != NULL)
          ticket = g_hash_table_lookup (history->ticket_by_id, incident->ticket);
        fq_incident_write_json (json, incident);
        row->entity = "incident";
        row->id = incident->id;
        row->grid = incident->grid;
      }
      break;
    case 1:
      ticket = g_ptr_array_index (history->tickets, ref->index);
      fq_ticket_write_json (json, &ticket->ticket, history->accept_limit, history->now);
      row->entity = "ticket";
      row->id = ticket->ticket.id;
      row->grid = ticket->ticket.grid;
      break;
    case 3:
      ticket = g_ptr_array_index (history->tickets, ref->index);
      g_string_append (json, ticket->session->json);
      row->entity = "session";
      row->id = ticket->session->id;
      row->grid = ticket->ticket.grid;
      break;
    default:
      {
        FqEvent *event = g_ptr_array_index (history->events, ref->index);

        ticket = g_hash_table_lookup (history->ticket_by_id, event->ticket);
        fq_event_write_json (json, event);
        row->entity = "event";
        row->id = row->event_id = fq_event_id_to_string (event->id);
        row->grid = ticket->ticket.grid;
      }
      break;
    }
  /* Without a ticket, no unit (NULL would be "any unit"). */
  row->units = ticket != NULL ? fq_ticket_units (&ticket->ticket) : g_new0 (const char *, 1);
  row->json = g_strndup (json->str, json->len);
}

static void
change_block_free (ChangeBlock *block)
{
  for (guint i = 0; i < block->n_rows; i++)
    {
      g_free (block->rows[i].units);
      g_free (block->rows[i].event_id);
      g_free (block->rows[i].json);
    }
  g_free (block);
}

static gpointer
change_writer_thread (gpointer data)
{
  ChangeWriter *writer = data;
  g_autoptr(GString) json = g_string_sized_new (4096);

  for (guint start = 0; start < writer->refs->len; start += CHANGE_BLOCK)
    {
      ChangeBlock *block;

      g_async_queue_pop (writer->free);
      if (g_atomic_int_get (&writer->stop))
        break;
      block = g_new (ChangeBlock, 1);
      block->n_rows = MIN (CHANGE_BLOCK, writer->refs->len - start);
      for (guint i = 0; i < block->n_rows; i++)
        change_row_describe (writer->history, &g_array_index (writer->refs, ChangeRef, start + i),
                             json, &block->rows[i]);
      g_async_queue_push (writer->ready, block);
    }

  return NULL;
}

static gboolean
write_changes (History  *history,
               GArray   *refs,
               GError  **error)
{
  ChangeWriter writer = { .history = history, .refs = refs };
  GThread *thread;
  ChangeBlock *block;
  gboolean ok = TRUE;

  writer.ready = g_async_queue_new ();
  writer.free = g_async_queue_new ();
  /* Any non-NULL pointer is a token. */
  for (guint i = 0; i < CHANGE_BLOCKS; i++)
    g_async_queue_push (writer.free, &writer);
  thread = g_thread_new ("fq-demo-json", change_writer_thread, &writer);

  for (guint start = 0; ok && start < refs->len; start += CHANGE_BLOCK)
    {
      block = g_async_queue_pop (writer.ready);
      for (guint i = 0; ok && i < block->n_rows; i++)
        {
          const ChangeRow *row = &block->rows[i];

          ok = fq_store_append_change (history->db, row->at, row->entity, row->id, "upsert",
                                       row->grid, row->units, row->json, error) > 0;
          if (!ok && error != NULL && *error == NULL)
            g_set_error (error, FQ_ERROR, FQ_ERROR_INTERNAL, "demo: could not append a change");
        }
      change_block_free (block);
      g_async_queue_push (writer.free, &writer);
    }

  /* After an error the thread may be waiting for a token, or about to. */
  g_atomic_int_set (&writer.stop, TRUE);
  g_async_queue_push (writer.free, &writer);
  g_thread_join (thread);
  while ((block = g_async_queue_try_pop (writer.ready)) != NULL)
    change_block_free (block);
  g_async_queue_unref (writer.ready);
  g_async_queue_unref (writer.free);

  return ok;
}

static gboolean
write_history (History  *history,
               GError  **error)
{
  g_autoptr(FqDb) db = fq_db_new (history->db);
  g_autoptr(GArray) changes = g_array_new (FALSE, FALSE, sizeof (ChangeRef));
  GHashTable *ticket_by_id = history->ticket_by_id;
  GHashTableIter iter;
  gpointer key, value;
  sqlite3_stmt *stmt;

  /* Incidents. */
  for (guint i = 0; i < history->incidents->len; i++)
    {
      FqIncident *incident = g_ptr_array_index (history->incidents, i);

      if (incident->ticket != NULL)
        {
          DemoTicket *ticket = g_hash_table_lookup (ticket_by_id, incident->ticket);

          if (ticket != NULL)
            g_ptr_array_add (ticket->ticket.incidents, incident->id);
        }
      if (!fq_incident_store (db, incident, error))
        return FALSE;
      g_array_append_val (changes, ((ChangeRef) { incident->updated_at, 0, i }));
    }

  /* Tickets. */
  for (guint i = 0; i < history->tickets->len; i++)
    {
      DemoTicket *ticket = g_ptr_array_index (history->tickets, i);

      if (!fq_ticket_store (db, &ticket->ticket, error))
        return FALSE;
      g_array_append_val (changes, ((ChangeRef) { ticket->ticket.updated_at, 1, i }));
    }

  /* Convening sessions, after their tickets. */
  for (guint i = 0; i < history->tickets->len; i++)
    {
      DemoTicket *ticket = g_ptr_array_index (history->tickets, i);
      g_autoptr(GString) text = NULL;

      if (ticket->session == NULL || ticket->session->record == NULL)
        continue;
      text = g_string_new (NULL);
      if (!fq_history_session_store (db, ticket->session->record, history->now, text, error))
        return FALSE;
      ticket->session->json = g_string_free (g_steal_pointer (&text), FALSE);
      g_array_append_val (changes, ((ChangeRef) {
        fq_history_session_get_updated_at (ticket->session->record), 3, i }));
    }

  /* Events, numbered in time order. */
  g_ptr_array_sort (history->events, event_compare);
  for (guint i = 0; i < history->events->len; i++)
    {
      FqEvent *event = g_ptr_array_index (history->events, i);

      event->id = i + 1;
      if (!fq_event_store (db, event, error))
        return FALSE;
      g_array_append_val (changes, ((ChangeRef) { event->at, 2, i }));
    }

  /* The id sequences go on from where the history stops. */
  stmt = fq_db_prepare (db, "INSERT OR REPLACE INTO domain_counters (name, value) VALUES (?, ?)",
                        error);
  if (stmt == NULL)
    return FALSE;
  g_hash_table_iter_init (&iter, history->counters);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      int rc;

      sqlite3_reset (stmt);
      fq_bind_text (stmt, 1, key);
      sqlite3_bind_int64 (stmt, 2, GPOINTER_TO_UINT (value));
      rc = sqlite3_step (stmt);
      if (!fq_sqlite_check (history->db, rc, error))
        {
          sqlite3_reset (stmt);
          return FALSE;
        }
    }
  sqlite3_reset (stmt);

  g_debug ("demo: records written (cpu %.2f s)", thread_cpu ());

  /* One change per record, in time order. */
  g_array_sort (changes, change_compare);
  return write_changes (history, changes, error);
}

static gint64
pragma_int (sqlite3    *db,
            const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value = 0;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

/* The tables the history fills. Their secondary indexes are dropped while
 * it is written and built again after: SQLite builds an index from sorted
 * keys in one pass, where a row at a time puts every key in a random place
 * of every index (most of the writing time at 200,000 incidents). They come
 * back from their own definitions in sqlite_schema: the same indexes as the
 * migrations made. */
static GPtrArray *
drop_history_indexes (sqlite3  *db,
                      GError  **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) definitions = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db,
                           "SELECT name, sql FROM sqlite_schema"
                           " WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN"
                           " ('incidents', 'tickets', 'ticket_units', 'events', 'changes')"
                           " ORDER BY rowid",
                           -1, &stmt, NULL);
  if (!fq_sqlite_check (db, rc, error))
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_ptr_array_add (names, g_strdup ((const char *)sqlite3_column_text (stmt, 0)));
      g_ptr_array_add (definitions, g_strdup ((const char *)sqlite3_column_text (stmt, 1)));
    }
  sqlite3_finalize (stmt);
  if (!fq_sqlite_check (db, rc, error))
    return NULL;

  for (guint i = 0; i < names->len; i++)
    {
      char *drop = sqlite3_mprintf ("DROP INDEX \"%w\"", g_ptr_array_index (names, i));
      gboolean dropped = fq_sqlite_exec (db, drop, error);

      sqlite3_free (drop);
      if (!dropped)
        return NULL;
    }

  return g_steal_pointer (&definitions);
}

static gboolean
create_history_indexes (sqlite3    *db,
                        GPtrArray  *definitions,
                        GError    **error)
{
  for (guint i = 0; i < definitions->len; i++)
    if (!fq_sqlite_exec (db, g_ptr_array_index (definitions, i), error))
      return FALSE;
  return TRUE;
}

static void
demo_ticket_free (gpointer data)
{
  DemoTicket *ticket = data;

  g_array_unref (ticket->steps);
  g_ptr_array_unref (ticket->ticket.assisting_units);
  g_ptr_array_unref (ticket->ticket.incidents);
  g_clear_pointer (&ticket->ticket.session_units, g_ptr_array_unref);
  if (ticket->session != NULL)
    {
      fq_history_session_free (ticket->session->record);
      g_free (ticket->session->json);
      g_free (ticket->session);
    }
  g_free (ticket);
}

gboolean
fq_demo_generate_history (sqlite3    *db,
                          FqRefData  *ref,
                          guint       months,
                          gint64      now,
                          GError    **error)
{
  History history = { 0, };
  g_autoptr(GDateTime) now_cst = NULL;
  g_autoptr(GDateTime) today = NULL;
  g_autoptr(GDateTime) first = NULL;
  FqServer *server = fq_server_get_default ();
  gboolean ok = FALSE;
  g_autoptr(GPtrArray) indexes = NULL;
  gint64 cache_size;
  gint64 day;
  gint64 started = g_get_monotonic_time ();
  double cpu_started = thread_cpu ();

  g_return_val_if_fail (db != NULL, FALSE);
  g_return_val_if_fail (ref != NULL, FALSE);

  if (months == 0)
    return TRUE;

  history.db = db;
  history.now = now;
  history.accept_limit = FQ_SLA_DEFAULT_ACCEPT_SECONDS;
  if (server != NULL && fq_server_get_config (server)->accept_limit_seconds > 0)
    history.accept_limit = fq_server_get_config (server)->accept_limit_seconds;
  if (!generator_init (&history.gen, ref, DEMO_SEED, error))
    goto out;

  history.incidents = g_ptr_array_new_with_free_func (g_free);
  history.tickets = g_ptr_array_new_with_free_func (demo_ticket_free);
  history.events = g_ptr_array_new_with_free_func (g_free);
  history.counters = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  history.recent = g_array_new (FALSE, FALSE, sizeof (guint));
  history.recent_ticketed = g_array_new (FALSE, FALSE, sizeof (guint));
  history.unit_actors = g_hash_table_new (g_str_hash, g_str_equal);
  history.actor_names = g_hash_table_new (g_str_hash, g_str_equal);
  history.id_day_index = -1;
  history.incident_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  history.ticket_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  history.address_keys = g_hash_table_new (g_str_hash, g_str_equal);

  /* Days are CST days: the first starts @months before today's midnight. */
  now_cst = g_date_time_new_from_unix_utc (now + FQ_CST_OFFSET_SECONDS);
  today = g_date_time_new_utc (g_date_time_get_year (now_cst), g_date_time_get_month (now_cst),
                               g_date_time_get_day_of_month (now_cst), 0, 0, 0);
  first = g_date_time_add_months (today, -(int)months);
  history.start = g_date_time_to_unix (first) - FQ_CST_OFFSET_SECONDS;

  for (day = history.start; day <= now; day += DAY)
    generate_day (&history, day);
  g_debug ("demo: generated in %.2f s (cpu %.2f s)", (g_get_monotonic_time () - started) / 1e6,
           thread_cpu () - cpu_started);

  for (guint i = 0; i < history.tickets->len; i++)
    replay_ticket (&history, g_ptr_array_index (history.tickets, i));
  g_debug ("demo: replayed in %.2f s (cpu %.2f s)", (g_get_monotonic_time () - started) / 1e6,
           thread_cpu () - cpu_started);

  /* The records' indexes take random inserts; with the connection's usual
   * cache they would go to disk and back for every few rows. */
  cache_size = pragma_int (db, "PRAGMA cache_size");
  if (!fq_sqlite_exec (db, "PRAGMA cache_size = -262144", error))
    goto out;
  indexes = drop_history_indexes (db, error);
  ok = indexes != NULL && write_history (&history, error);
  g_debug ("demo: rows written in %.2f s (cpu %.2f s)", (g_get_monotonic_time () - started) / 1e6,
           thread_cpu () - cpu_started);
  ok = ok && create_history_indexes (db, indexes, error);
  {
    g_autofree char *restore
        = g_strdup_printf ("PRAGMA cache_size = %" G_GINT64_FORMAT, cache_size);

    sqlite3_exec (db, restore, NULL, NULL, NULL);
  }
  if (!ok)
    goto out;

  g_message ("Demo history: %u incidents, %u tickets, %u events in %.1f s (cpu %.1f s)",
             history.incidents->len, history.tickets->len, history.events->len,
             (g_get_monotonic_time () - started) / 1e6, thread_cpu () - cpu_started);
  ok = TRUE;

out:
  g_clear_pointer (&history.incidents, g_ptr_array_unref);
  g_clear_pointer (&history.tickets, g_ptr_array_unref);
  g_clear_pointer (&history.events, g_ptr_array_unref);
  g_clear_pointer (&history.counters, g_hash_table_unref);
  g_clear_pointer (&history.recent, g_array_unref);
  g_clear_pointer (&history.recent_ticketed, g_array_unref);
  g_clear_pointer (&history.unit_actors, g_hash_table_unref);
  g_clear_pointer (&history.actor_names, g_hash_table_unref);
  g_clear_pointer (&history.incident_by_id, g_hash_table_unref);
  g_clear_pointer (&history.ticket_by_id, g_hash_table_unref);
  g_clear_pointer (&history.address_keys, g_hash_table_unref);
  generator_clear (&history.gen);
  return ok;
}

/* ---- the live feed ---- */

typedef struct
{
  FqServer   *server;
  double      per_minute;
  GSource    *source;
  Generator   gen;
  GPtrArray  *surnames;     /* the corpus's, owned, for the jobs (FeedWork) */
  GPtrArray  *given_names;
  gboolean    ready;
} Feed;

static Feed *the_feed;

static const FqUser demo_operator = {
  .username = (char *)"operator", .display_name = (char *)DEMO_NAME_OPERATOR,
  .role = FQ_ROLE_OPERATOR, .scope = (char *)"420200000000", .scope_prefix = (char *)"4202",
};
static const FqUser demo_grid = {
  .username = (char *)"grid", .display_name = (char *)DEMO_NAME_GRID, .role = FQ_ROLE_GRID_WORKER,
  .scope = (char *)"420200000000", .scope_prefix = (char *)"4202",
};
static const FqUser demo_coordinator = {
  .username = (char *)"coordinator", .display_name = (char *)DEMO_NAME_COORDINATOR,
  .role = FQ_ROLE_COORDINATOR, .scope = (char *)"420200000000", .scope_prefix = (char *)"4202",
};

typedef enum
{
  FEED_NEW_INCIDENT,
  FEED_TRIAGE,
  FEED_ADVANCE,
  FEED_UNIT_WORK,
} FeedKind;

typedef struct
{
  FeedKind    kind;
  JsonObject *body;      /* FEED_NEW_INCIDENT */
  gboolean    repeat;    /* FEED_NEW_INCIDENT: call about a recent matter */
  double      x;         /* a random draw for the job's choices */
  double      y;
  int         satisfaction;
  char       *demo_unit; /* the demo user's unit */
  char       *category;  /* FEED_TRIAGE: for an incident taken in without one */
  GPtrArray  *surnames;  /* FEED_ADVANCE: to name the staff (make_staff_name()) */
  GPtrArray  *given_names;
  GPtrArray  *bodies;    /* FEED_UNIT_WORK: JsonObject *, unit_work_bodies() */
} FeedWork;

static void
feed_work_free (gpointer data)
{
  FeedWork *work = data;

  g_clear_pointer (&work->body, json_object_unref);
  g_free (work->demo_unit);
  g_free (work->category);
  g_clear_pointer (&work->surnames, g_ptr_array_unref);
  g_clear_pointer (&work->given_names, g_ptr_array_unref);
  g_clear_pointer (&work->bodies, g_ptr_array_unref);
  g_free (work);
}

/* A recent matter called in again: the new body takes its caller, place
 * and category, so that repeat detection finds it as it would a real one. */
static gboolean
feed_make_repeat (FqDb        *db,
                  JsonObject  *body,
                  gint64       now,
                  GError     **error)
{
  static const char sql[] =
    "SELECT caller_name, caller_phone, address, grid, category, summary FROM incidents "
    "WHERE received_at >= ? AND caller_phone IS NOT NULL AND category IS NOT NULL "
    "AND decision IS NOT 'police' ORDER BY random () LIMIT 1";
  sqlite3_stmt *stmt = fq_db_prepare (db, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now - 5 * DAY);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      const char *names[] = { "caller_name", "caller_phone", "address", "grid", "category", "summary" };

      /* The description of the first call no longer fits: the caller says
       * what is new. */
      json_object_remove_member (body, "description");
      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        if (sqlite3_column_text (stmt, i) != NULL)
          json_object_set_string_member (body, names[i],
                                         (const char *)sqlite3_column_text (stmt, i));
    }
  sqlite3_reset (stmt);
  return fq_sqlite_check (fq_db_get_handle (db), rc, error);
}

static gboolean
feed_new_incident (FqJob     *job,
                   FqDb      *db,
                   FeedWork  *work,
                   GError   **error)
{
  g_autoptr(FqIncident) incident = NULL;
  gboolean existed = FALSE;

  if (work->repeat && !feed_make_repeat (db, work->body, fq_job_now (job), error))
    return FALSE;
  incident = fq_incident_create (job, db, work->body, &existed, error);
  return incident != NULL;
}

/* The desk's decision on incident @id; @x and @y are random draws. */
static gboolean
feed_triage_one (FqJob       *job,
                 FqDb        *db,
                 const char  *id,
                 const char  *found_category,
                 double       x,
                 double       y,
                 GError     **error)
{
  FqRefData *ref = fq_job_get_refdata (job);
  g_autoptr(FqIncident) incident = NULL;
  g_autoptr(FqTicket) ticket = NULL;
  g_autoptr(JsonObject) body = json_object_new ();
  const FqCategoryInfo *category = NULL;
  const char *decision;

  incident = fq_incident_load (db, id, error);
  if (incident == NULL)
    return FALSE;
  if (incident->category != NULL)
    category = fq_refdata_get_category (ref, incident->category);
  else if (x >= 0.6)
    category = fq_refdata_get_category (ref, found_category);

  /* As the desk decides: police matters stay with the police, a repeat of
   * a diverted matter joins its ticket, the rest mostly settled on the
   * spot or diverted. */
  if (category == NULL || category->police_only)
    decision = "police";
  else
    {
      g_autofree char *root_ticket = NULL;

      if (incident->repeat_of != NULL)
        {
          g_autoptr(FqIncident) root = fq_incident_load (db, incident->repeat_of, error);

          if (root == NULL && error != NULL && *error != NULL)
            return FALSE;
          if (root != NULL && root->ticket != NULL)
            root_ticket = g_strdup (root->ticket);
        }
      if (root_ticket != NULL)
        {
          decision = "merge";
          json_object_set_string_member (body, "ticket", root_ticket);
        }
      else
        decision = y < 0.45 ? "divert" : y < 0.55 ? "mediate" : "on_scene";
    }

  json_object_set_string_member (body, "decision", decision);
  json_object_set_int_member (body, "rev", incident->rev);
  if (category != NULL)
    json_object_set_string_member (body, "category", category->code);
  if (!fq_incident_triage (job, db, incident, body, &ticket, error))
    {
      /* A place without a responsible unit of that kind cannot be
       * diverted; the desk settles it another way. */
      if (error != NULL && g_error_matches (*error, FQ_ERROR, FQ_ERROR_INVALID_FIELD))
        {
          g_clear_error (error);
          json_object_set_string_member (body, "decision", "on_scene");
          return fq_incident_triage (job, db, incident, body, &ticket, error);
        }
      return FALSE;
    }
  return TRUE;
}

/* How long the desk lets the triage queue grow: past it, a colleague
 * takes the next calls too (one more for every ten waiting beyond it, at
 * most three in all). New calls come a little more often than the desk's
 * turn (feed_tick_cb()), so one call a turn let the queue grow all day;
 * now it settles about here. */
#define FEED_QUEUE_TARGET 12

/* The desk triages the oldest calls waiting. */
static gboolean
feed_triage (FqJob     *job,
             FqDb      *db,
             FeedWork  *work,
             GError   **error)
{
  static const char count_sql[] = "SELECT count(*) FROM incidents WHERE status = 'new'";
  static const char oldest_sql[] =
    "SELECT id FROM incidents WHERE status = 'new' ORDER BY received_at, id LIMIT ?";
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt;
  gint64 waiting = 0;
  guint n = 1;
  int rc;

  if ((stmt = fq_db_prepare (db, count_sql, error)) == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    waiting = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (!fq_sqlite_check (fq_db_get_handle (db), rc, error))
    return FALSE;
  if (waiting > FEED_QUEUE_TARGET)
    n = MIN (3, 2 + (waiting - FEED_QUEUE_TARGET - 1) / 10);

  if ((stmt = fq_db_prepare (db, oldest_sql, error)) == NULL)
    return FALSE;
  sqlite3_bind_int (stmt, 1, n);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (ids, g_strdup ((const char *)sqlite3_column_text (stmt, 0)));
  sqlite3_reset (stmt);
  if (!fq_sqlite_check (fq_db_get_handle (db), rc, error))
    return FALSE;

  /* Each call its own draws, made from the tick's. */
  for (guint i = 0; i < ids->len; i++)
    if (!feed_triage_one (job, db, g_ptr_array_index (ids, i), work->category,
                          fmod (work->x + 0.618 * i, 1.0), fmod (work->y + 0.382 * i, 1.0), error))
      return FALSE;
  return TRUE;
}

static gboolean
feed_advance (FqJob     *job,
              FqDb      *db,
              FeedWork  *work,
              GError   **error)
{
  static const char sql[] =
    "SELECT id FROM tickets WHERE state IN ('dispatched', 'accepted', 'resolved', 'returned') "
    "AND updated_at <= ? ORDER BY random () LIMIT 1";
  FqRefData *ref = fq_job_get_refdata (job);
  sqlite3_stmt *stmt = fq_db_prepare (db, sql, error);
  g_autoptr(FqTicket) ticket = NULL;
  g_autoptr(JsonObject) body = json_object_new ();
  g_autofree char *id = NULL;
  g_autofree char *staff_name = NULL;
  g_autofree char *staff_display_name = NULL;
  FqUser staff = { 0, };
  const FqUser *actor = &staff;
  const char *action;
  guint allowed = 0;
  int rc;

  if (stmt == NULL)
    return FALSE;
  /* Nobody acts on a ticket in the minute it moved. */
  sqlite3_bind_int64 (stmt, 1, fq_job_now (job) - MINUTE);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    id = g_strdup ((const char *)sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  if (!fq_sqlite_check (fq_db_get_handle (db), rc, error))
    return FALSE;
  if (id == NULL)
    return TRUE;
  ticket = fq_ticket_load (db, id, error);
  if (ticket == NULL)
    return FALSE;

  if (g_strcmp0 (ticket->lead_unit, work->demo_unit) == 0)
    {
      staff.username = (char *)"unit";
      staff.display_name = (char *)fq_demo_display_name (staff.username);
    }
  else
    {
      staff.username = staff_name = g_strdup_printf ("staff@%s", ticket->lead_unit);
      staff.display_name = staff_display_name
          = make_staff_name (work->surnames, work->given_names, ticket->lead_unit);
    }
  staff.role = FQ_ROLE_UNIT;
  staff.unit = ticket->lead_unit;
  staff.scope = (char *)"420200000000";
  staff.scope_prefix = (char *)"4202";

  switch (ticket->state)
    {
    case FQ_TICKET_STATE_DISPATCHED:
      if (work->x < 0.93)
        action = "accept";
      else
        {
          action = "return";
          json_object_set_string_member (body, "reason", "not_responsible");
          json_object_set_string_member (body, "note", return_notes[0]);
        }
      break;
    case FQ_TICKET_STATE_ACCEPTED:
      action = work->x < 0.55 ? "progress" : "resolve";
      json_object_set_string_member (
          body, "note",
          work->x < 0.55 ? progress_notes[(int)(work->y * G_N_ELEMENTS (progress_notes))]
                         : resolve_notes[(int)(work->y * G_N_ELEMENTS (resolve_notes))]);
      break;
    case FQ_TICKET_STATE_RESOLVED:
      actor = &demo_coordinator;
      if (work->x < 0.93)
        {
          action = "close";
          json_object_set_int_member (body, "satisfaction", work->satisfaction);
        }
      else
        {
          action = "reject_resolution";
          json_object_set_string_member (body, "note", reject_notes[0]);
        }
      break;
    case FQ_TICKET_STATE_RETURNED:
    default:
      {
        const FqUnitInfo *street = fq_refdata_find_unit (ref, "street_office", ticket->grid);

        actor = &demo_coordinator;
        action = "redispatch";
        json_object_set_string_member (body, "unit",
                                       street != NULL ? street->id : ticket->lead_unit);
        json_object_set_string_member (body, "note", "已核实，改派责任单位办理");
      }
      break;
    }

  json_object_set_string_member (body, "action", action);
  json_object_set_int_member (body, "rev", ticket->rev);
  return fq_ticket_apply_action (job, db, actor, ticket, body, &allowed, error);
}

/* The demo unit's waiting matters (unit_work_bodies()), taken in and
 * dispatched, as many as its office lacks of that many waiting: after a
 * restart it may have them still. */
static gboolean
feed_unit_work (FqJob     *job,
                FqDb      *db,
                FeedWork  *work,
                GError   **error)
{
  static const char waiting_sql[] =
    "SELECT count(*) FROM tickets WHERE lead_unit = ? AND state = 'dispatched'";
  sqlite3_stmt *stmt = fq_db_prepare (db, waiting_sql, error);
  gint64 waiting = 0;
  int rc;

  if (stmt == NULL)
    return FALSE;
  fq_bind_text (stmt, 1, work->demo_unit);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    waiting = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  if (!fq_sqlite_check (fq_db_get_handle (db), rc, error))
    return FALSE;
  for (guint i = (guint)MIN (waiting, (gint64)work->bodies->len); i < work->bodies->len; i++)
    {
      JsonObject *call = g_ptr_array_index (work->bodies, i);
      g_autoptr(FqIncident) incident = NULL;
      g_autoptr(FqTicket) ticket = NULL;
      g_autoptr(JsonObject) triage = json_object_new ();
      gboolean existed = FALSE;

      incident = fq_incident_create (job, db, call, &existed, error);
      if (incident == NULL)
        return FALSE;
      json_object_set_string_member (triage, "decision", "divert");
      json_object_set_string_member (triage, "category",
                                     json_object_get_string_member (call, "category"));
      json_object_set_int_member (triage, "rev", incident->rev);
      json_object_set_string_member (triage, "note", "转街道办事处牵头处置");
      if (!fq_incident_triage (job, db, incident, triage, &ticket, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
feed_job (FqJob     *job,
          gpointer   user_data,
          GError   **error)
{
  FeedWork *work = user_data;
  g_autoptr(FqDb) db = fq_db_new_for_job (job);
  gboolean ok = FALSE;

  switch (work->kind)
    {
    case FEED_NEW_INCIDENT:
      ok = feed_new_incident (job, db, work, error);
      break;
    case FEED_TRIAGE:
      ok = feed_triage (job, db, work, error);
      break;
    case FEED_UNIT_WORK:
      ok = feed_unit_work (job, db, work, error);
      break;
    case FEED_ADVANCE:
    default:
      ok = feed_advance (job, db, work, error);
      break;
    }
  if (ok)
    fq_job_respond (job, SOUP_STATUS_OK, NULL);
  return ok;
}

/* A call about @category in @community, as the desk takes it in. */
static JsonObject *
feed_call_body (Feed                 *feed,
                FqSource              source,
                const FqGridNodeInfo *community,
                const FqCategoryInfo *category)
{
  Generator *gen = &feed->gen;
  JsonObject *body = json_object_new ();
  const char *summary;
  const char *description;
  g_autofree char *address = make_address (gen, community);

  pick_call (gen, category->code, &summary, &description);
  json_object_set_string_member (body, "source", fq_enum_to_string (FQ_TYPE_SOURCE, source));
  json_object_set_string_member (body, "grid", community->code);
  json_object_set_string_member (body, "summary", summary);
  if (description != NULL)
    json_object_set_string_member (body, "description", description);
  json_object_set_string_member (body, "address", address);
  if (source != FQ_SOURCE_GRID || chance (gen, 0.5))
    {
      g_autofree char *name = make_name (gen);
      g_autofree char *phone = make_phone (gen);

      json_object_set_string_member (body, "caller_name", name);
      json_object_set_string_member (body, "caller_phone", phone);
    }
  return body;
}

static JsonObject *
feed_new_body (Feed *feed)
{
  Generator *gen = &feed->gen;
  gboolean police = chance (gen, POLICE_PER_DAY / (POLICE_PER_DAY + DISPUTES_PER_DAY));
  FqSource source = pick_source (gen, police);
  const FqGridNodeInfo *community = pick_community (gen);
  const FqCategoryInfo *category = pick_category (gen, police, FALSE);
  JsonObject *body = feed_call_body (feed, source, community, category);

  /* The desk records the category at intake for most calls. */
  if (chance (gen, 0.8))
    json_object_set_string_member (body, "category", category->code);
  return body;
}

/* Two matters for the demo unit account's street office to take up, so
 * that its console has work waiting from the start: calls from the
 * street's communities (not its villages, if it has any), of the
 * categories a street office leads (not the villages' land and forest
 * matters), which the desk takes in and dispatches as the demo starts
 * (feed_unit_work()). NULL if the grid has no such street. */
static GPtrArray *
unit_work_bodies (Feed *feed)
{
  Generator *gen = &feed->gen;
  g_autoptr(GPtrArray) communities = g_ptr_array_new ();
  g_autoptr(GPtrArray) categories = g_ptr_array_new ();
  GPtrArray *bodies;
  guint first;

  for (guint i = 0; i < gen->communities->len; i++)
    {
      const FqGridNodeInfo *community = g_ptr_array_index (gen->communities, i);

      if (g_strcmp0 (community->parent, DEMO_UNIT_STREET) == 0 && !is_village (community))
        g_ptr_array_add (communities, (gpointer)community);
    }
  for (guint i = 0; i < gen->dispute_categories->len; i++)
    {
      const FqCategoryInfo *category = g_ptr_array_index (gen->dispute_categories, i);

      if (g_strcmp0 (category->lead_unit_kind, "street_office") == 0
          && g_strcmp0 (category->group, "I") != 0)   /* land and forest: villages' */
        g_ptr_array_add (categories, (gpointer)category);
    }
  if (communities->len == 0 || categories->len == 0)
    return NULL;

  bodies = g_ptr_array_new_with_free_func ((GDestroyNotify)json_object_unref);
  first = g_rand_int_range (gen->rand, 0, categories->len);
  for (guint i = 0; i < 2; i++)
    {
      const FqCategoryInfo *category = g_ptr_array_index (categories,
                                                          (first + i) % categories->len);
      const FqGridNodeInfo *community = g_ptr_array_index (
          communities, g_rand_int_range (gen->rand, 0, communities->len));
      JsonObject *body = feed_call_body (feed, i == 0 ? FQ_SOURCE_12345 : FQ_SOURCE_110,
                                         community, category);

      json_object_set_string_member (body, "category", category->code);
      g_ptr_array_add (bodies, body);
    }
  return bodies;
}

/* A few current convening sessions (recent, in progress, later today,
 * tomorrow), so that a demo console has live sessions to run beside the
 * history's concluded ones. */
static gboolean
seed_sessions_job (FqJob     *job,
                   gpointer   user_data,
                   GError   **error)
{
  g_autoptr(FqDb) db = fq_db_new_for_job (job);

  if (!fq_sessions_demo_seed (job, db, error))
    return FALSE;
  fq_job_respond (job, SOUP_STATUS_OK, NULL);
  return TRUE;
}

static void feed_schedule (Feed *feed);

/* The jobs run on the writer's thread and may outlive the feed: they keep
 * copies of the corpus's strings, not the generator's. */
static GPtrArray *
strings_copy (GPtrArray *strings)
{
  GPtrArray *copy = g_ptr_array_new_full (strings->len, g_free);

  for (guint i = 0; i < strings->len; i++)
    g_ptr_array_add (copy, g_strdup (g_ptr_array_index (strings, i)));
  return copy;
}

static gboolean
feed_tick_cb (gpointer user_data)
{
  Feed *feed = user_data;
  Generator *gen = &feed->gen;
  FeedWork *work = g_new0 (FeedWork, 1);
  const FqUser *actor = &demo_operator;
  double x = uniform (gen);
  double s = uniform (gen);

  work->x = uniform (gen);
  work->y = uniform (gen);
  work->demo_unit = g_strdup (gen->demo_unit);
  work->satisfaction = s < 0.56 ? 5 : s < 0.86 ? 4 : s < 0.95 ? 3 : s < 0.98 ? 2 : 1;

  /* New calls, triage and casework in proportions that keep the triage
   * queue short and the open tickets moving. */
  if (x < 0.4)
    {
      work->kind = FEED_NEW_INCIDENT;
      work->body = feed_new_body (feed);
      work->repeat = chance (gen, 0.1);
      if (g_strcmp0 (json_object_get_string_member (work->body, "source"), "grid") == 0)
        actor = &demo_grid;
    }
  else if (x < 0.7)
    {
      /* What the desk finds out about a call taken in without a category:
       * drawn here, where the generator lives. */
      work->kind = FEED_TRIAGE;
      work->category = g_strdup (pick_category (gen, FALSE, FALSE)->code);
    }
  else
    {
      work->kind = FEED_ADVANCE;
      work->surnames = g_ptr_array_ref (feed->surnames);
      work->given_names = g_ptr_array_ref (feed->given_names);
    }

  fq_server_submit_write (feed->server, actor, feed_job, work, feed_work_free);

  g_clear_pointer (&feed->source, g_source_unref);
  feed_schedule (feed);
  return G_SOURCE_REMOVE;
}

static void
feed_schedule (Feed *feed)
{
  double mean_ms = 60000.0 / feed->per_minute;
  /* Exponential gaps make arrivals a Poisson process, as calls are. */
  double gap_ms = -log (1.0 - uniform (&feed->gen)) * mean_ms;
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();

  feed->source = g_timeout_source_new ((guint)CLAMP (gap_ms, 50, 3600000));
  g_source_set_callback (feed->source, feed_tick_cb, feed, NULL);
  g_source_set_name (feed->source, "[fengqiao] demo feed");
  g_source_attach (feed->source, context);
}

void
fq_demo_feed_start (FqServer *server,
                    double    per_minute)
{
  g_autoptr(GError) error = NULL;
  Feed *feed;

  g_return_if_fail (server != NULL);

  fq_demo_feed_stop (server);
  if (per_minute <= 0)
    return;

  feed = g_new0 (Feed, 1);
  feed->server = server;
  feed->per_minute = per_minute;
  /* A seed of its own, so that the feed does not replay the history. */
  if (!generator_init (&feed->gen, fq_server_get_refdata (server), (guint32)g_get_real_time (),
                       &error))
    {
      g_warning ("Demo feed not started: %s", error->message);
      generator_clear (&feed->gen);
      g_free (feed);
      return;
    }
  feed->surnames = strings_copy (feed->gen.corpus.surnames);
  feed->given_names = strings_copy (feed->gen.corpus.given_names);
  the_feed = feed;
  fq_server_submit_write (server, &demo_coordinator, seed_sessions_job, NULL, NULL);
  {
    g_autoptr(GPtrArray) bodies = unit_work_bodies (feed);

    if (bodies != NULL && feed->gen.demo_unit != NULL)
      {
        FeedWork *work = g_new0 (FeedWork, 1);

        work->kind = FEED_UNIT_WORK;
        work->demo_unit = g_strdup (feed->gen.demo_unit);
        work->bodies = g_steal_pointer (&bodies);
        fq_server_submit_write (server, &demo_operator, feed_job, work, feed_work_free);
      }
  }
  feed_schedule (feed);
}

void
fq_demo_feed_stop (FqServer *server)
{
  Feed *feed = the_feed;

  if (feed == NULL || (server != NULL && feed->server != server))
    return;
  the_feed = NULL;
  if (feed->source != NULL)
    {
      g_source_destroy (feed->source);
      g_source_unref (feed->source);
    }
  generator_clear (&feed->gen);
  g_clear_pointer (&feed->surnames, g_ptr_array_unref);
  g_clear_pointer (&feed->given_names, g_ptr_array_unref);
  g_free (feed);
}
