/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "fq-enum-types.h"
#include "fq-error.h"
#include "fq-refdata.h"

/* The real data of data/, loaded once: every test only reads it. */
static FqRefData *real;

static const char *
datadir (void)
{
  const char *dir = g_getenv ("FQ_SOURCE_DATADIR");

  g_assert_nonnull (dir);
  return dir;
}

static guint
count_level (GPtrArray   *nodes,
             FqGridLevel  level)
{
  guint n = 0;

  for (guint i = 0; i < nodes->len; i++)
    {
      const FqGridNodeInfo *node = g_ptr_array_index (nodes, i);

      if (node->level == level)
        n++;
    }
  return n;
}

/* ---- the grid ---- */

static void
test_grid_counts (void)
{
  g_autoptr(GPtrArray) nodes = fq_refdata_get_nodes (real);
  g_autoptr(GPtrArray) districts = NULL;
  g_autoptr(GPtrArray) communities = NULL;
  g_autoptr(GPtrArray) none = NULL;
  const FqGridNodeInfo *root = fq_refdata_get_root (real);

  g_assert_cmpuint (nodes->len, ==, 1104);
  g_assert_cmpuint (count_level (nodes, FQ_GRID_LEVEL_CITY), ==, 1);
  g_assert_cmpuint (count_level (nodes, FQ_GRID_LEVEL_DISTRICT), ==, 6);
  g_assert_cmpuint (count_level (nodes, FQ_GRID_LEVEL_STREET), ==, 57);
  g_assert_cmpuint (count_level (nodes, FQ_GRID_LEVEL_COMMUNITY), ==, 1040);
  g_assert_cmpuint (count_level (nodes, FQ_GRID_LEVEL_GRID), ==, 0);

  g_assert_nonnull (root);
  g_assert_cmpstr (root->code, ==, "420200000000");
  g_assert_cmpstr (root->name, ==, "黄石市");
  g_assert_null (root->parent);
  g_assert_true (g_ptr_array_index (nodes, 0) == root);

  districts = fq_refdata_get_children (real, root->code);
  g_assert_cmpuint (districts->len, ==, 6);
  for (guint i = 0; i < districts->len; i++)
    {
      const FqGridNodeInfo *d = g_ptr_array_index (districts, i);

      g_assert_cmpint (d->level, ==, FQ_GRID_LEVEL_DISTRICT);
      g_assert_cmpstr (d->parent, ==, root->code);
    }

  communities = fq_refdata_get_children (real, "420204004000");
  g_assert_cmpuint (communities->len, ==, 13);

  none = fq_refdata_get_children (real, "420204004011");
  g_assert_cmpuint (none->len, ==, 0);
  g_clear_pointer (&none, g_ptr_array_unref);
  none = fq_refdata_get_children (real, "999999999999");
  g_assert_cmpuint (none->len, ==, 0);
}

static void
test_grid_nodes (void)
{
  const FqGridNodeInfo *node;

  node = fq_refdata_get_node (real, "420204004011");
  g_assert_nonnull (node);
  g_assert_cmpstr (node->name, ==, "广州路社区居委会");
  g_assert_cmpint (node->level, ==, FQ_GRID_LEVEL_COMMUNITY);
  g_assert_cmpstr (node->parent, ==, "420204004000");
  g_assert_cmpstr (node->prefix, ==, "420204004011");
  g_assert_cmpstr (node->path, ==, "黄石市 / 下陆区 / 团城山街道 / 广州路社区居委会");
  g_assert_cmpstr (node->short_name, ==, "广州路");
  g_assert_cmpstr (node->name_en, ==, "Guangzhoulu Community");

  node = fq_refdata_get_node (real, "420204004000");
  g_assert_cmpstr (node->name, ==, "团城山街道");
  g_assert_cmpint (node->level, ==, FQ_GRID_LEVEL_STREET);
  g_assert_cmpstr (node->prefix, ==, "420204004");
  g_assert_cmpstr (node->short_name, ==, "团城山");
  g_assert_cmpstr (node->name_en, ==, "Tuanchengshan Sub-district");

  /* County, county-level city and district keep their own names. */
  g_assert_cmpstr (fq_refdata_get_node (real, "420204000000")->name, ==, "下陆区");
  g_assert_cmpstr (fq_refdata_get_node (real, "420222000000")->name, ==, "阳新县");
  g_assert_cmpstr (fq_refdata_get_node (real, "420222000000")->name_en, ==, "Yangxin County");
  g_assert_cmpstr (fq_refdata_get_node (real, "420281000000")->name, ==, "大冶市");
  g_assert_cmpstr (fq_refdata_get_node (real, "420281000000")->prefix, ==, "420281");
  g_assert_cmpstr (fq_refdata_get_root (real)->prefix, ==, "4202");

  g_assert_null (fq_refdata_get_node (real, "420204004099"));
  g_assert_null (fq_refdata_get_node (real, NULL));
}

static void
test_grid_order (void)
{
  g_autoptr(GPtrArray) nodes = fq_refdata_get_nodes (real);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < nodes->len; i++)
    {
      const FqGridNodeInfo *node = g_ptr_array_index (nodes, i);

      if (node->parent != NULL)
        g_assert_true (g_hash_table_contains (seen, node->parent));
      g_assert_true (g_hash_table_add (seen, node->code));
      g_assert_true (fq_refdata_get_node (real, node->code) == node);
      g_assert_cmpuint (strlen (node->code), ==, 12);
    }
}

static void
test_grid_ancestors (void)
{
  const FqGridNodeInfo *node;

  node = fq_refdata_get_ancestor (real, "420204004011", FQ_GRID_LEVEL_DISTRICT);
  g_assert_nonnull (node);
  g_assert_cmpstr (node->code, ==, "420204000000");

  node = fq_refdata_get_ancestor (real, "420204004011", FQ_GRID_LEVEL_STREET);
  g_assert_cmpstr (node->code, ==, "420204004000");

  node = fq_refdata_get_ancestor (real, "420204004011", FQ_GRID_LEVEL_CITY);
  g_assert_cmpstr (node->code, ==, "420200000000");

  node = fq_refdata_get_ancestor (real, "420204004011", FQ_GRID_LEVEL_COMMUNITY);
  g_assert_cmpstr (node->code, ==, "420204004011");

  /* Nothing below the node, nothing for an unknown code. */
  g_assert_null (fq_refdata_get_ancestor (real, "420204000000", FQ_GRID_LEVEL_STREET));
  g_assert_null (fq_refdata_get_ancestor (real, "420204004099", FQ_GRID_LEVEL_CITY));
  g_assert_null (fq_refdata_get_ancestor (real, "420204004011", FQ_GRID_LEVEL_GRID));
}

static void
test_grid_scope (void)
{
  g_autoptr(GPtrArray) nodes = fq_refdata_get_nodes (real);
  const char * const scopes[] = { "420200000000", "420204000000", "420222000000",
                                  "420204004000", "420204004011" };
  g_autofree char *p1 = fq_grid_scope_prefix ("420204004011", FQ_GRID_LEVEL_CITY);
  g_autofree char *p2 = fq_grid_scope_prefix ("420204004011", FQ_GRID_LEVEL_DISTRICT);
  g_autofree char *p3 = fq_grid_scope_prefix ("420204004011", FQ_GRID_LEVEL_STREET);
  g_autofree char *p4 = fq_grid_scope_prefix ("420204004011", FQ_GRID_LEVEL_COMMUNITY);
  g_autofree char *p5 = fq_grid_scope_prefix ("42020400401103", FQ_GRID_LEVEL_GRID);
  g_autofree char *p0 = fq_grid_scope_prefix ("420000000000", FQ_GRID_LEVEL_PROVINCE);

  g_assert_cmpstr (p1, ==, "4202");
  g_assert_cmpstr (p2, ==, "420204");
  g_assert_cmpstr (p3, ==, "420204004");
  g_assert_cmpstr (p4, ==, "420204004011");
  g_assert_cmpstr (p5, ==, "42020400401103");
  g_assert_cmpstr (p0, ==, "42");

  /* For every scope and every node, in_scope agrees with the tree. */
  for (guint s = 0; s < G_N_ELEMENTS (scopes); s++)
    {
      const FqGridNodeInfo *scope = fq_refdata_get_node (real, scopes[s]);
      guint inside = 0;

      for (guint i = 0; i < nodes->len; i++)
        {
          const FqGridNodeInfo *node = g_ptr_array_index (nodes, i);
          const FqGridNodeInfo *up = fq_refdata_get_ancestor (real, node->code, scope->level);
          gboolean expected = up == scope;

          g_assert_cmpint (fq_refdata_in_scope (real, scope->code, node->code), ==, expected);
          inside += expected;
        }
      g_assert_cmpuint (inside, >, 0);
      if (s == 0)
        g_assert_cmpuint (inside, ==, nodes->len);
    }

  /* 团城山街道 has its 13 communities and itself. */
  {
    guint n = 0;

    for (guint i = 0; i < nodes->len; i++)
      n += fq_refdata_in_scope (real, "420204004000",
                                ((FqGridNodeInfo *)g_ptr_array_index (nodes, i))->code);
    g_assert_cmpuint (n, ==, 14);
  }

  /* A grid cell the data does not list is placed by its digits. */
  g_assert_true (fq_refdata_in_scope (real, "420204004000", "42020400401101"));
  g_assert_true (fq_refdata_in_scope (real, "420204004011", "42020400401101"));
  g_assert_false (fq_refdata_in_scope (real, "420204004012", "42020400401101"));
  g_assert_false (fq_refdata_in_scope (real, "420204000000", "4202040041"));
  g_assert_false (fq_refdata_in_scope (real, "420204000000", "42020400401x"));
  g_assert_false (fq_refdata_in_scope (real, "420204000000", NULL));
  g_assert_false (fq_refdata_in_scope (real, "420299000000", "420204004011"));
  g_assert_false (fq_refdata_in_scope (real, "420204004011", "420204004000"));
}

/* ---- categories ---- */

static void
test_categories (void)
{
  g_autoptr(GPtrArray) categories = fq_refdata_get_categories (real);
  g_autoptr(GPtrArray) groups = fq_refdata_get_groups (real);
  g_autoptr(GPtrArray) police = g_ptr_array_new ();
  const FqCategoryInfo *c;

  g_assert_cmpuint (categories->len, ==, 81);
  g_assert_cmpuint (groups->len, >=, 10);
  g_assert_cmpuint (groups->len, <=, 15);

  for (guint i = 0; i < categories->len; i++)
    {
      const FqCategoryInfo *cat = g_ptr_array_index (categories, i);
      gboolean group_found = FALSE;

      for (guint g = 0; g < groups->len; g++)
        group_found |= g_strcmp0 (((FqCategoryGroupInfo *)g_ptr_array_index (groups, g))->code,
                                  cat->group) == 0;
      g_assert_true (group_found);
      g_assert_true (g_str_has_prefix (cat->code, cat->group));
      g_assert_nonnull (cat->name_en);
      g_assert_nonnull (cat->support_unit_kinds);
      g_assert_nonnull (cat->keywords);
      g_assert_cmpuint (g_strv_length (cat->keywords), >=, 3);
      g_assert_cmpuint (cat->deadline_hours, >=, 1);

      if (cat->police_only)
        {
          g_ptr_array_add (police, (gpointer)cat);
          g_assert_cmpstr (cat->lead_unit_kind, ==, "police_station");
        }
      else
        {
          /* The street centre's 12 hours are the shortest limit to act. */
          g_assert_cmpuint (cat->deadline_hours, >=, 12);
          g_assert_cmpstr (cat->lead_unit_kind, !=, "police_station");
        }
    }

  /* Violence, threat to life or safety, crime in progress, mass incidents. */
  g_assert_cmpuint (police->len, ==, 5);
  for (guint i = 0; i < police->len; i++)
    g_assert_cmpstr (((FqCategoryInfo *)g_ptr_array_index (police, i))->group, ==, "P");

  c = fq_refdata_get_category (real, "B05");
  g_assert_nonnull (c);
  g_assert_cmpstr (c->name, ==, "加装电梯纠纷");
  g_assert_cmpstr (c->lead_unit_kind, ==, "street_office");
  g_assert_cmpint (c->tier, ==, FQ_TIER_STREET);
  g_assert_false (c->police_only);
  g_assert_true (g_strv_contains ((const char * const *)c->support_unit_kinds, "housing"));

  c = fq_refdata_get_category (real, "B03");
  g_assert_cmpstr (c->name, ==, "养宠纠纷");
  g_assert_cmpint (c->tier, ==, FQ_TIER_COMMUNITY);

  c = fq_refdata_get_category (real, "M01");
  g_assert_cmpstr (c->name, ==, "消防通道占用纠纷");
  g_assert_cmpuint (c->deadline_hours, ==, 12);
  g_assert_true (g_strv_contains ((const char * const *)c->support_unit_kinds, "fire_rescue"));

  c = fq_refdata_get_category (real, "P02");
  g_assert_true (c->police_only);

  g_assert_null (fq_refdata_get_category (real, "Z99"));
  g_assert_null (fq_refdata_get_category (real, NULL));
}

/* Every lead and supporting unit kind of every category has a unit for
 * every community, in a district and in a county alike. */
static void
test_categories_have_units (void)
{
  g_autoptr(GPtrArray) categories = fq_refdata_get_categories (real);
  g_autoptr(GPtrArray) nodes = fq_refdata_get_nodes (real);

  for (guint i = 0; i < categories->len; i++)
    {
      const FqCategoryInfo *cat = g_ptr_array_index (categories, i);

      for (guint n = 0; n < nodes->len; n++)
        {
          const FqGridNodeInfo *node = g_ptr_array_index (nodes, n);
          const FqUnitInfo *lead;

          if (node->level != FQ_GRID_LEVEL_COMMUNITY)
            continue;

          lead = fq_refdata_lead_unit (real, cat->code, node->code);
          if (lead == NULL)
            g_error ("no lead unit for %s at %s", cat->code, node->code);
          g_assert_cmpstr (lead->function, ==, cat->lead_unit_kind);
          g_assert_true (fq_refdata_in_scope (real, lead->grid, node->code));

          for (guint s = 0; cat->support_unit_kinds[s] != NULL; s++)
            g_assert_nonnull (fq_refdata_find_unit (real, cat->support_unit_kinds[s], node->code));
        }
    }
}

/* ---- units ---- */

static void
assert_unit (const char *id,
             const char *name,
             const char *name_en,
             FqUnitKind  kind)
{
  const FqUnitInfo *unit = fq_refdata_get_unit (real, id);

  if (unit == NULL)
    g_error ("no unit %s", id);
  g_assert_cmpstr (unit->id, ==, id);
  g_assert_cmpstr (unit->name, ==, name);
  if (name_en != NULL)
    g_assert_cmpstr (unit->name_en, ==, name_en);
  g_assert_cmpint (unit->kind, ==, kind);
  g_assert_true (g_str_has_prefix (id, unit->function));
  g_assert_true (g_str_has_suffix (id, unit->grid));
  g_assert_nonnull (fq_refdata_get_node (real, unit->grid));
}

static void
test_units (void)
{
  g_autoptr(GPtrArray) units = fq_refdata_get_units (real);
  guint police = 0, communities = 0;

  /* 17 departments in the city and each of its 6 districts, 3 units per
   * street, 1 per community. */
  g_assert_cmpuint (units->len, ==, 17 * 7 + 3 * 57 + 1040);

  for (guint i = 0; i < units->len; i++)
    {
      const FqUnitInfo *unit = g_ptr_array_index (units, i);
      g_autofree char *id = g_strdup_printf ("%s-%s", unit->function, unit->grid);

      g_assert_cmpstr (unit->id, ==, id);
      g_assert_true (fq_refdata_get_unit (real, unit->id) == unit);
      g_assert_cmpstr (unit->name, !=, "");
      g_assert_cmpstr (unit->name_en, !=, "");
      g_assert_null (strchr (unit->name, '{'));
      g_assert_null (strchr (unit->name_en, '{'));
      police += unit->kind == FQ_UNIT_KIND_POLICE_STATION;
      communities += unit->kind == FQ_UNIT_KIND_COMMUNITY;
    }
  g_assert_cmpuint (police, ==, 57);
  g_assert_cmpuint (communities, ==, 1040);

  assert_unit ("street_office-420204004000", "团城山街道办事处",
               "Tuanchengshan Sub-district Office", FQ_UNIT_KIND_STREET_OFFICE);
  assert_unit ("police_station-420204004000", "团城山派出所",
               "Tuanchengshan Police Station", FQ_UNIT_KIND_POLICE_STATION);
  assert_unit ("mediation-420204004000", "团城山街道人民调解委员会", NULL, FQ_UNIT_KIND_MEDIATION);
  assert_unit ("community-420204004011", "广州路社区居委会",
               "Guangzhoulu Community Residents' Committee", FQ_UNIT_KIND_COMMUNITY);
  /* A community listed without its committee gets the committee's name. */
  assert_unit ("community-420202005001", "桂花湾社区居民委员会", NULL, FQ_UNIT_KIND_COMMUNITY);
  assert_unit ("street_office-420222100000", "兴国镇人民政府",
               "Xingguo Town Government", FQ_UNIT_KIND_STREET_OFFICE);
  assert_unit ("street_office-420281200000", "茗山乡人民政府", NULL, FQ_UNIT_KIND_STREET_OFFICE);
  assert_unit ("street_office-420203400000", "冶钢农场", NULL, FQ_UNIT_KIND_STREET_OFFICE);
  assert_unit ("police_station-420203400000", "冶钢农场派出所", NULL, FQ_UNIT_KIND_POLICE_STATION);
  assert_unit ("hrss-420204000000", "下陆区人力资源和社会保障局",
               "Xialu District Human Resources and Social Security Bureau",
               FQ_UNIT_KIND_DEPARTMENT);
  assert_unit ("housing-420222000000", "阳新县住房和城乡建设局", NULL, FQ_UNIT_KIND_DEPARTMENT);
  assert_unit ("urban_management-420281000000", "大冶市城市管理执法局", NULL,
               FQ_UNIT_KIND_DEPARTMENT);
  assert_unit ("ecology_environment-420204000000", "黄石市生态环境局下陆分局",
               "Huangshi Ecology and Environment Bureau Xialu Branch", FQ_UNIT_KIND_DEPARTMENT);
  assert_unit ("fire_rescue-420200000000", "黄石市消防救援支队", NULL, FQ_UNIT_KIND_DEPARTMENT);
  assert_unit ("fire_rescue-420202000000", "黄石港区消防救援大队", NULL, FQ_UNIT_KIND_DEPARTMENT);
  assert_unit ("women_federation-420204000000", "下陆区妇女联合会", NULL, FQ_UNIT_KIND_OTHER);

  g_assert_null (fq_refdata_get_unit (real, "street_office-420204004011"));
  g_assert_null (fq_refdata_get_unit (real, "community-420204004000"));
  g_assert_null (fq_refdata_get_unit (real, NULL));
}

static void
assert_lead (const char *category,
             const char *grid,
             const char *unit_id)
{
  const FqUnitInfo *unit = fq_refdata_lead_unit (real, category, grid);

  if (unit_id == NULL)
    {
      g_assert_null (unit);
      return;
    }
  if (unit == NULL)
    g_error ("no lead unit for %s at %s", category, grid);
  g_assert_cmpstr (unit->id, ==, unit_id);
}

static void
test_lead_units (void)
{
  const FqUnitInfo *unit;

  /* A noise dispute in 广州路社区 goes to its community committee. */
  assert_lead ("B01", "420204004011", "community-420204004011");
  /* Wage arrears there: 下陆区's human resources bureau. */
  assert_lead ("E02", "420204004011", "hrss-420204000000");
  assert_lead ("E01", "420222100001", "hrss-420222000000");
  /* An elevator retrofit and a blocked fire passage: the street office. */
  assert_lead ("B05", "420204004011", "street_office-420204004000");
  assert_lead ("M01", "420204004011", "street_office-420204004000");
  /* A debt: the street's mediation committee; a homestead: the town. */
  assert_lead ("J01", "420204004011", "mediation-420204004000");
  assert_lead ("I02", "420222100001", "street_office-420222100000");
  /* Restaurant fumes in 大冶: the county-level city's bureau. */
  assert_lead ("G03", "420281001001", "urban_management-420281000000");
  assert_lead ("P01", "420204004011", "police_station-420204004000");

  /* Reported at the street: the street office has no community above it. */
  assert_lead ("B05", "420204004000", "street_office-420204004000");
  assert_lead ("B01", "420204004000", NULL);
  /* Reported at the city: the city's bureau. */
  assert_lead ("E02", "420200000000", "hrss-420200000000");
  /* A grid cell the data does not list belongs to its community. */
  assert_lead ("B01", "42020400401107", "community-420204004011");
  assert_lead ("E02", "42020400401107", "hrss-420204000000");

  assert_lead ("Z99", "420204004011", NULL);
  assert_lead ("B01", "999999999999", NULL);
  assert_lead ("B01", "not a code", NULL);

  unit = fq_refdata_find_unit (real, "civil_affairs", "420204004011");
  g_assert_cmpstr (unit->id, ==, "civil_affairs-420204000000");
  g_assert_null (fq_refdata_find_unit (real, "no_such_function", "420204004011"));
  g_assert_null (fq_refdata_find_unit (real, "housing", NULL));
}

/* ---- building by hand ---- */

static void
test_add (void)
{
  g_autoptr(FqRefData) ref = fq_refdata_new ();
  g_autoptr(GPtrArray) children = NULL;
  FqCategoryGroupInfo group = { (char *)"A", (char *)"组", (char *)"Group" };
  const char *support[] = { "housing", NULL };
  FqCategoryInfo category = {
    .code = (char *)"A01", .name = (char *)"类", .name_en = (char *)"Category",
    .group = (char *)"A", .lead_unit_kind = (char *)"street_office",
    .support_unit_kinds = (GStrv)support, .police_only = FALSE,
    .tier = FQ_TIER_STREET, .deadline_hours = 48,
  };
  FqUnitInfo office = {
    .id = (char *)"office-a", .name = (char *)"甲办事处", .kind = FQ_UNIT_KIND_STREET_OFFICE,
    .function = (char *)"street_office", .grid = (char *)"420204004000",
  };
  FqUnitInfo second = office;
  const FqGridNodeInfo *node;
  const FqCategoryInfo *copy;

  fq_refdata_add_node (ref, "420200000000", "黄石市", FQ_GRID_LEVEL_CITY, NULL);
  fq_refdata_add_node (ref, "420204000000", "下陆区", FQ_GRID_LEVEL_DISTRICT, "420200000000");
  fq_refdata_add_node (ref, "420204004000", "团城山街道", FQ_GRID_LEVEL_STREET, "420204000000");
  fq_refdata_add_node (ref, "420204004011", "广州路社区居委会", FQ_GRID_LEVEL_COMMUNITY,
                       "420204004000");
  fq_refdata_add_node (ref, "42020400401101", "一网格", FQ_GRID_LEVEL_GRID, "420204004011");
  fq_refdata_add_group (ref, &group);
  fq_refdata_add_category (ref, &category);
  fq_refdata_add_unit (ref, &office);
  second.id = (char *)"office-b";
  fq_refdata_add_unit (ref, &second);

  node = fq_refdata_get_node (ref, "42020400401101");
  g_assert_cmpstr (node->prefix, ==, "42020400401101");
  g_assert_cmpstr (node->path, ==, "黄石市 / 下陆区 / 团城山街道 / 广州路社区居委会 / 一网格");
  g_assert_cmpstr (node->short_name, ==, "一网格");
  g_assert_null (node->name_en);
  g_assert_cmpstr (fq_refdata_get_root (ref)->code, ==, "420200000000");

  children = fq_refdata_get_children (ref, "420204004011");
  g_assert_cmpuint (children->len, ==, 1);
  g_assert_true (g_ptr_array_index (children, 0) == node);

  /* Copies were taken. */
  copy = fq_refdata_get_category (ref, "A01");
  g_assert_true (copy->code != category.code);
  g_assert_cmpstr (copy->support_unit_kinds[0], ==, "housing");
  g_assert_nonnull (copy->keywords);
  g_assert_cmpuint (g_strv_length (copy->keywords), ==, 0);

  /* The first unit of a function at a node wins; ancestors are walked. */
  g_assert_cmpstr (fq_refdata_lead_unit (ref, "A01", "42020400401101")->id, ==, "office-a");
  g_assert_cmpstr (fq_refdata_find_unit (ref, "street_office", "420204004000")->id, ==, "office-a");
  g_assert_null (fq_refdata_find_unit (ref, "street_office", "420204000000"));
  g_assert_cmpstr (fq_refdata_get_unit (ref, "office-b")->name, ==, "甲办事处");
  g_assert_true (fq_refdata_in_scope (ref, "420204000000", "42020400401101"));
}

static void
test_threads_worker (gpointer data,
                     gpointer user_data)
{
  FqRefData *ref = data;

  for (guint i = 0; i < 2000; i++)
    {
      const FqUnitInfo *unit = fq_refdata_lead_unit (ref, "E02", "420204004011");

      g_assert_cmpstr (unit->id, ==, "hrss-420204000000");
      g_assert_true (fq_refdata_in_scope (ref, "420204000000", "420204004011"));
    }
  fq_refdata_unref (ref);
}

/* Many threads read at once, each holding and dropping its own reference. */
static void
test_threads (void)
{
  GThreadPool *pool = g_thread_pool_new (test_threads_worker, NULL, 4, TRUE, NULL);

  for (guint i = 0; i < 8; i++)
    g_thread_pool_push (pool, fq_refdata_ref (real), NULL);
  g_thread_pool_free (pool, FALSE, TRUE);
  g_assert_nonnull (fq_refdata_get_node (real, "420204004011"));
}

/* ---- malformed files ---- */

typedef struct
{
  char *dir;
} TempDir;

static void
temp_dir_setup (TempDir       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("fq-refdata-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
temp_dir_teardown (TempDir       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GDir) dir = g_dir_open (fixture->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->dir, name, NULL);

      g_assert_cmpint (g_unlink (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (fixture->dir), ==, 0);
  g_free (fixture->dir);
}

static char *
write_file (TempDir    *fixture,
            const char *name,
            const char *contents,
            gssize      length)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (fixture->dir, name, NULL);

  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);
  return path;
}

#define HEADER "code\tname\tlevel\tparent\n"
#define CITY "420200000000\t黄石市\tcity\t\n"
#define DISTRICT "420204000000\t下陆区\tdistrict\t420200000000\n"
#define PROVINCE "420000000000\t湖北省\tprovince\t\n"
#define CITY_IN_PROVINCE "420200000000\t黄石市\tcity\t420000000000\n"
#define COUNTRY "000000000000\t全国\tcountry\t\n"
#define PROVINCE_IN_COUNTRY "420000000000\t湖北省\tprovince\t000000000000\n"

static void
test_grid_errors (TempDir       *fixture,
                  gconstpointer  data)
{
  static const struct
  {
    const char *contents;
    const char *message;
  } cases[] = {
    { "", "file: the header is missing" },
    { "code\tname\tlevel\n" CITY, "line[1]: the header must start with code, name, level, parent" },
    { "name\tcode\tlevel\tparent\n" CITY,
      "line[1]: the header must start with code, name, level, parent" },
    { "code\tname\tlevel\tparent\tpinyin\n", "line[1]: unknown column \"pinyin\"" },
    { "code\tname\tlevel\tparent\tshort\tshort\n", "line[1]: column \"short\" appears twice" },
    { HEADER, "file: " },
    { HEADER CITY "420204000000\t下陆区\ttown\t420200000000\n",
      "line[3].level: \"town\" is not a grid level" },
    { HEADER "42020000000\t黄石市\tcity\t\n", "line[2].code: \"42020000000\" is not 12 digits" },
    { HEADER "4202000000AB\t黄石市\tcity\t\n", "line[2].code: \"4202000000AB\" is not 12 digits" },
    { HEADER CITY "420204001000\t下陆区\tdistrict\t420200000000\n",
      "line[3].code: 420204001000 is a district: it must end in 6 zeros" },
    { HEADER CITY "420204000000\t下陆区\tdistrict\t420299000000\n",
      "line[3].parent: 420299000000 is not a node of an earlier line" },
    { HEADER CITY "420204004000\t团城山街道\tstreet\t420200000000\n",
      "line[3].level: a street cannot be the child of a city" },
    { HEADER CITY "420304000000\t下陆区\tdistrict\t420200000000\n",
      "line[3].code: 420304000000 does not start with 4202, the scope prefix of its parent" },
    { HEADER CITY DISTRICT DISTRICT, "line[4].code: 420204000000 appears twice" },
    { HEADER CITY "420300000000\t十堰市\tcity\t\n",
      "line[3].parent: empty, but there is a root already" },
    { HEADER CITY "420204000000\t下陆区\tdistrict\n", "line[3]: 3 columns, the header has 4" },
    { HEADER CITY "420204000000\t\tdistrict\t420200000000\n", "line[3].name: empty" },
    { HEADER CITY "\n# a comment\n" DISTRICT
      "420204004001\t社区\tcommunity\t420204000000\n",
      "line[6].level: a community cannot be the child of a district" },
    /* Province files: a province is 2 digits and 10 zeros, its children
     * are cities that start with its 2 digits. */
    { HEADER "420100000000\t湖北省\tprovince\t\n",
      "line[2].code: 420100000000 is a province: it must end in 10 zeros" },
    { HEADER PROVINCE "430200000000\t株洲市\tcity\t420000000000\n",
      "line[3].code: 430200000000 does not start with 42, the scope prefix of its parent" },
    { HEADER PROVINCE "420204000000\t下陆区\tdistrict\t420000000000\n",
      "line[3].level: a district cannot be the child of a province" },
    { HEADER CITY "420000000000\t湖北省\tprovince\t420200000000\n",
      "line[3].level: a province cannot be the child of a city" },
    { HEADER PROVINCE CITY_IN_PROVINCE "420300000000\t十堰市\tcity\t420200000000\n",
      "line[4].level: a city cannot be the child of a city" },
    { HEADER PROVINCE "420200000000\t黄石市\tcity\t430000000000\n",
      "line[3].parent: 430000000000 is not a node of an earlier line" },
    /* Country files: the country is 12 zeros, its children provinces. A
     * street may hang right below a city only where the city has no
     * districts, its district digits 00. */
    { HEADER "000000000001\t全国\tcountry\t\n",
      "line[2].code: 000000000001 is a country: it must end in 12 zeros" },
    { HEADER CITY "000000000000\t全国\tcountry\t420200000000\n",
      "line[3].level: a country cannot be the child of a city" },
    { HEADER COUNTRY "420200000000\t黄石市\tcity\t000000000000\n",
      "line[3].level: a city cannot be the child of a country" },
    { HEADER COUNTRY PROVINCE_IN_COUNTRY "420000001000\t某镇\tstreet\t420000000000\n",
      "line[4].level: a street cannot be the child of a province" },
    { HEADER CITY "420200001001\t某村\tcommunity\t420200000000\n",
      "line[3].level: a community cannot be the child of a city" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(FqRefData) ref = fq_refdata_new ();
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) nodes = NULL;
      g_autofree char *path = write_file (fixture, "grid.tsv", cases[i].contents, -1);

      g_test_message ("case %u", i);
      g_assert_false (fq_refdata_load_grid (ref, path, &error));
      g_assert_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD);
      if (cases[i].message[strlen (cases[i].message) - 1] == ' ')
        g_assert_true (g_str_has_prefix (error->message, cases[i].message));
      else
        g_assert_cmpstr (error->message, ==, cases[i].message);

      /* Nothing of a rejected file is kept. */
      nodes = fq_refdata_get_nodes (ref);
      g_assert_cmpuint (nodes->len, ==, 0);
      g_assert_null (fq_refdata_get_root (ref));
    }

  {
    g_autoptr(FqRefData) ref = fq_refdata_new ();
    g_autoptr(GError) error = NULL;
    g_autofree char *path = write_file (fixture, "grid.tsv", HEADER "4202\xff\n", -1);
    g_autofree char *field = NULL;

    g_assert_false (fq_refdata_load_grid (ref, path, &error));
    g_assert_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD);
    field = fq_error_get_field (error);
    g_assert_cmpstr (field, ==, "file");
  }

  {
    g_autoptr(FqRefData) ref = fq_refdata_new ();
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_build_filename (fixture->dir, "missing.tsv", NULL);

    g_assert_false (fq_refdata_load_grid (ref, path, &error));
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  }

  /* The error names the line as its field. */
  {
    g_autoptr(FqRefData) ref = fq_refdata_new ();
    g_autoptr(GError) error = NULL;
    g_autofree char *path = write_file (fixture, "grid.tsv", HEADER CITY "x\ty\tcity\t\n", -1);
    g_autofree char *field = NULL;

    g_assert_false (fq_refdata_load_grid (ref, path, &error));
    field = fq_error_get_field (error);
    g_assert_cmpstr (field, ==, "line[3].code");
  }

  /* Four columns, CRLF line ends, comments and a grid cell load. */
  {
    g_autoptr(FqRefData) ref = fq_refdata_new ();
    g_autoptr(GError) error = NULL;
    g_autofree char *path = write_file (fixture, "grid.tsv",
                                        "# Huangshi\r\n"
                                        "code\tname\tlevel\tparent\r\n"
                                        "420200000000\t黄石市\tcity\t\r\n"
                                        "\r\n"
                                        "420204000000\t下陆区\tdistrict\t420200000000\r\n"
                                        "420204004000\t团城山街道\tstreet\t420204000000\r\n"
                                        "420204004011\t广州路社区居委会\tcommunity\t420204004000\r\n"
                                        "42020400401101\t第一网格\tgrid\t420204004011", -1);
    const FqGridNodeInfo *cell;

    g_assert_true (fq_refdata_load_grid (ref, path, &error));
    g_assert_no_error (error);
    cell = fq_refdata_get_node (ref, "42020400401101");
    g_assert_nonnull (cell);
    g_assert_cmpint (cell->level, ==, FQ_GRID_LEVEL_GRID);
    g_assert_cmpstr (cell->short_name, ==, "第一网格");
    g_assert_cmpstr (fq_refdata_get_node (ref, "420204004000")->short_name, ==, "团城山街道");

    /* A second file may add below the loaded nodes, but no second root. */
    g_clear_pointer (&path, g_free);
    path = write_file (fixture, "more.tsv",
                       HEADER "420204004012\t白马山社区居委会\tcommunity\t420204004000\n", -1);
    g_assert_true (fq_refdata_load_grid (ref, path, &error));
    g_assert_no_error (error);
    g_assert_nonnull (fq_refdata_get_node (ref, "420204004012"));

    g_clear_pointer (&path, g_free);
    path = write_file (fixture, "more.tsv", HEADER CITY, -1);
    g_assert_false (fq_refdata_load_grid (ref, path, &error));
    g_assert_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD);
  }
}

/* A province file (gen-grid.mjs --prefix 42) loads: its root is the
 * province, the cities are its children, and scopes nest. */
static void
test_grid_province (TempDir       *fixture,
                    gconstpointer  data)
{
  g_autoptr(FqRefData) ref = fq_refdata_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) cities = NULL;
  g_autofree char *path = write_file (fixture, "grid-42.tsv",
                                      HEADER PROVINCE CITY_IN_PROVINCE DISTRICT
                                      "420204004000\t团城山街道\tstreet\t420204000000\n"
                                      "420300000000\t十堰市\tcity\t420000000000\n"
                                      "420302000000\t茅箭区\tdistrict\t420300000000\n",
                                      -1);
  const FqGridNodeInfo *root, *node;

  g_assert_true (fq_refdata_load_grid (ref, path, &error));
  g_assert_no_error (error);

  root = fq_refdata_get_root (ref);
  g_assert_nonnull (root);
  g_assert_cmpstr (root->code, ==, "420000000000");
  g_assert_cmpint (root->level, ==, FQ_GRID_LEVEL_PROVINCE);
  g_assert_cmpstr (root->prefix, ==, "42");
  g_assert_null (root->parent);
  g_assert_cmpstr (fq_enum_to_string (FQ_TYPE_GRID_LEVEL, root->level), ==, "province");

  cities = fq_refdata_get_children (ref, root->code);
  g_assert_nonnull (cities);
  g_assert_cmpuint (cities->len, ==, 2);
  for (guint i = 0; i < cities->len; i++)
    g_assert_cmpint (((FqGridNodeInfo *)cities->pdata[i])->level, ==, FQ_GRID_LEVEL_CITY);

  node = fq_refdata_get_node (ref, "420204004000");
  g_assert_cmpstr (node->path, ==, "湖北省 / 黄石市 / 下陆区 / 团城山街道");
  g_assert_true (fq_refdata_get_ancestor (ref, "420204004000", FQ_GRID_LEVEL_PROVINCE) == root);

  /* The levels compare by depth. */
  g_assert_cmpint (FQ_GRID_LEVEL_PROVINCE, <, FQ_GRID_LEVEL_CITY);

  /* The province's scope holds both cities; a city's only its own. */
  g_assert_true (fq_refdata_in_scope (ref, "420000000000", "420204004000"));
  g_assert_true (fq_refdata_in_scope (ref, "420000000000", "420302000000"));
  g_assert_true (fq_refdata_in_scope (ref, "420200000000", "420204004000"));
  g_assert_false (fq_refdata_in_scope (ref, "420200000000", "420302000000"));
  g_assert_false (fq_refdata_in_scope (ref, "420300000000", "420204004000"));
  g_assert_false (fq_refdata_in_scope (ref, "420000000000", "430200000000"));
}

/* A country file (gen-grid.mjs --all) loads: its root is the country,
 * whose empty scope prefix holds every code; a city without districts
 * (东莞) has its towns right below it. */
static void
test_grid_country (TempDir       *fixture,
                   gconstpointer  data)
{
  g_autoptr(FqRefData) ref = fq_refdata_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) provinces = NULL;
  g_autofree char *path = write_file (fixture, "grid-all.tsv",
                                      HEADER COUNTRY PROVINCE_IN_COUNTRY CITY_IN_PROVINCE DISTRICT
                                      "440000000000\t广东省\tprovince\t000000000000\n"
                                      "441900000000\t东莞市\tcity\t440000000000\n"
                                      "441900003000\t东城街道\tstreet\t441900000000\n"
                                      "441900003001\t东城社区居委会\tcommunity\t441900003000\n",
                                      -1);
  const FqGridNodeInfo *root, *city, *street;

  g_assert_true (fq_refdata_load_grid (ref, path, &error));
  g_assert_no_error (error);

  root = fq_refdata_get_root (ref);
  g_assert_nonnull (root);
  g_assert_cmpstr (root->code, ==, "000000000000");
  g_assert_cmpint (root->level, ==, FQ_GRID_LEVEL_COUNTRY);
  g_assert_cmpstr (fq_enum_to_string (FQ_TYPE_GRID_LEVEL, root->level), ==, "country");
  g_assert_cmpstr (root->prefix, ==, "");
  g_assert_cmpint (FQ_GRID_LEVEL_COUNTRY, <, FQ_GRID_LEVEL_PROVINCE);

  provinces = fq_refdata_get_children (ref, root->code);
  g_assert_cmpuint (provinces->len, ==, 2);

  city = fq_refdata_get_node (ref, "441900000000");
  street = fq_refdata_get_node (ref, "441900003000");
  g_assert_cmpstr (street->parent, ==, city->code);
  g_assert_cmpstr (street->prefix, ==, "441900003");
  g_assert_cmpstr (fq_refdata_get_node (ref, "441900003001")->path, ==,
                   "全国 / 广东省 / 东莞市 / 东城街道 / 东城社区居委会");
  g_assert_true (fq_refdata_get_ancestor (ref, "441900003001", FQ_GRID_LEVEL_CITY) == city);
  g_assert_null (fq_refdata_get_ancestor (ref, "441900003001", FQ_GRID_LEVEL_DISTRICT));

  /* Every code is in the country's scope; a province's holds its own. */
  g_assert_true (fq_refdata_in_scope (ref, "000000000000", "420204000000"));
  g_assert_true (fq_refdata_in_scope (ref, "000000000000", "441900003001"));
  g_assert_true (fq_refdata_in_scope (ref, "440000000000", "441900003001"));
  g_assert_false (fq_refdata_in_scope (ref, "420000000000", "441900003001"));
}

/* A categories file with one valid group and category, where @member of the
 * category is replaced by @value (JSON), or removed if @value is NULL. */
static char *
categories_with (const char *member,
                 const char *value)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  JsonObject *category;

  json_parser_load_from_data (parser,
                              "{\"groups\": [{\"code\": \"A\", \"name\": \"家庭\", \"name_en\": \"Family\"}],"
                              " \"categories\": [{\"code\": \"A01\", \"name\": \"婚姻纠纷\","
                              " \"name_en\": \"Marital dispute\", \"group\": \"A\","
                              " \"lead_unit_kind\": \"community\", \"support_unit_kinds\": [\"mediation\"],"
                              " \"police_only\": false, \"tier\": \"community\", \"deadline_hours\": 12,"
                              " \"keywords\": [\"夫妻\"]}]}", -1, &error);
  g_assert_no_error (error);

  category = json_array_get_object_element (
    json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                  "categories"), 0);
  if (member != NULL && value == NULL)
    {
      json_object_remove_member (category, member);
    }
  else if (member != NULL)
    {
      g_autoptr(JsonParser) value_parser = json_parser_new ();

      json_parser_load_from_data (value_parser, value, -1, &error);
      g_assert_no_error (error);
      json_object_set_member (category, member,
                              json_node_copy (json_parser_get_root (value_parser)));
    }

  json_generator_set_root (generator, json_parser_get_root (parser));
  return json_generator_to_data (generator, NULL);
}

static void
test_category_errors (TempDir       *fixture,
                      gconstpointer  data)
{
  static const struct
  {
    const char *member;
    const char *value;
    const char *message;
  } cases[] = {
    { "tier", "\"town\"", "categories[0].tier: unknown tier \"town\"" },
    { "tier", "3", "categories[0].tier: not a string" },
    { "group", "\"Z\"", "categories[0].group: unknown group \"Z\"" },
    { "code", "\"A1\"", "categories[0].code: \"A1\" is not the group code A followed by two digits" },
    { "code", "\"B01\"", "categories[0].code: \"B01\" is not the group code A followed by two digits" },
    { "deadline_hours", "0", "categories[0].deadline_hours: not an integer from 1 to 8760" },
    { "deadline_hours", "12.5", "categories[0].deadline_hours: not an integer from 1 to 8760" },
    { "deadline_hours", "\"12\"", "categories[0].deadline_hours: not an integer from 1 to 8760" },
    { "deadline_hours", NULL, "categories[0].deadline_hours: missing" },
    { "police_only", "\"no\"", "categories[0].police_only: not a boolean" },
    { "name_en", NULL, "categories[0].name_en: missing" },
    { "name", "\"\"", "categories[0].name: empty" },
    { "lead_unit_kind", "\"Street Office\"",
      "categories[0].lead_unit_kind: \"Street Office\" is not a unit function ([a-z_]+)" },
    { "support_unit_kinds", "[\"mediation\", \"Housing\"]",
      "categories[0].support_unit_kinds[1]: \"Housing\" is not a unit function ([a-z_]+)" },
    { "support_unit_kinds", "[\"mediation\", \"mediation\"]",
      "categories[0].support_unit_kinds[1]: \"mediation\" is listed twice" },
    { "support_unit_kinds", "[\"community\"]",
      "categories[0].support_unit_kinds: lists the lead unit kind community" },
    { "support_unit_kinds", "\"mediation\"", "categories[0].support_unit_kinds: not an array" },
    { "keywords", "[\"\"]", "categories[0].keywords[0]: not a non-empty string" },
    { "dealine_hours", "12", "categories[0]: unknown member \"dealine_hours\"" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(FqRefData) ref = fq_refdata_new ();
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) categories = NULL;
      g_autoptr(GPtrArray) groups = NULL;
      g_autofree char *json = categories_with (cases[i].member, cases[i].value);
      g_autofree char *path = write_file (fixture, "categories.json", json, -1);

      g_test_message ("case %u: %s", i, json);
      g_assert_false (fq_refdata_load_categories (ref, path, &error));
      g_assert_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD);
      g_assert_cmpstr (error->message, ==, cases[i].message);

      categories = fq_refdata_get_categories (ref);
      groups = fq_refdata_get_groups (ref);
      g_assert_cmpuint (categories->len, ==, 0);
      g_assert_cmpuint (groups->len, ==, 0);
    }

  /* The unchanged file loads, so each case failed for its own reason. */
  {
    g_autoptr(FqRefData) ref = fq_refdata_new ();
    g_autoptr(GError) error = NULL;
    g_autofree char *json = categories_with (NULL, NULL);
    g_autofree char *path = write_file (fixture, "categories.json", json, -1);
    g_autofree char *field = NULL;

    g_assert_true (fq_refdata_load_categories (ref, path, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (fq_refdata_get_category (ref, "A01")->deadline_hours, ==, 12);
    g_assert_cmpstr (fq_refdata_get_category (ref, "A01")->keywords[0], ==, "夫妻");

    /* Loading it again: every code is taken now. */
    g_assert_false (fq_refdata_load_categories (ref, path, &error));
    g_assert_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD);
    field = fq_error_get_field (error);
    g_assert_cmpstr (field, ==, "groups[0].code");
  }

  {
    static const struct
    {
      const char *json;
      FqErrorCode code;
      const char *message;
    } files[] = {
      { "{\"groups\": [], \"categories\": [], \"extra\": 1}", FQ_ERROR_INVALID_FIELD,
        "root: unknown member \"extra\"" },
      { "{\"groups\": []}", FQ_ERROR_INVALID_FIELD, "categories: missing" },
      { "{\"groups\": [], \"categories\": []}", FQ_ERROR_INVALID_FIELD, "categories: empty" },
      { "{\"groups\": [\"A\"], \"categories\": [1]}", FQ_ERROR_INVALID_FIELD,
        "groups[0]: not an object" },
      { "{\"groups\": [{\"code\": \"a\", \"name\": \"x\", \"name_en\": \"x\"}], \"categories\": [1]}",
        FQ_ERROR_INVALID_FIELD, "groups[0].code: \"a\" is not 1 to 4 capital letters" },
      { "{\"groups\": [{\"code\": \"A\", \"name\": \"x\", \"name_en\": \"x\"},"
        " {\"code\": \"A\", \"name\": \"y\", \"name_en\": \"y\"}], \"categories\": [1]}",
        FQ_ERROR_INVALID_FIELD, "groups[1].code: group A appears twice" },
      { "{\"groups\": [], \"categories\": [1],}", FQ_ERROR_BAD_JSON, NULL },
      { "[1, 2]", FQ_ERROR_BAD_JSON, NULL },
    };

    for (guint i = 0; i < G_N_ELEMENTS (files); i++)
      {
        g_autoptr(FqRefData) ref = fq_refdata_new ();
        g_autoptr(GError) error = NULL;
        g_autofree char *path = write_file (fixture, "categories.json", files[i].json, -1);

        g_test_message ("file %u", i);
        g_assert_false (fq_refdata_load_categories (ref, path, &error));
        g_assert_error (error, FQ_ERROR, (int)files[i].code);
        if (files[i].message != NULL)
          g_assert_cmpstr (error->message, ==, files[i].message);
      }
  }
}

static void
test_unit_errors (TempDir       *fixture,
                  gconstpointer  data)
{
  static const struct
  {
    const char *json;
    const char *message;
  } cases[] = {
    { "{\"templates\": [{\"function\": \"x\", \"kind\": \"department\", \"level\": \"city\","
      " \"name\": \"{nmae}局\", \"name_en\": \"X\"}]}",
      "templates[0].name: unknown placeholder {nmae}" },
    { "{\"templates\": [{\"function\": \"x\", \"kind\": \"department\", \"level\": \"city\","
      " \"name\": \"{name}局\", \"name_en\": \"{town.name_en}\"}]}",
      "templates[0].name_en: {town.name_en}: \"town\" is not a grid level" },
    { "{\"templates\": [{\"function\": \"x\", \"kind\": \"department\", \"level\": \"city\","
      " \"name\": \"{name局\", \"name_en\": \"X\"}]}",
      "templates[0].name: unclosed \"{\"" },
    { "{\"templates\": [{\"function\": \"x\", \"kind\": \"department\", \"level\": \"city\","
      " \"name\": \"name}局\", \"name_en\": \"X\"}]}",
      "templates[0].name: a single \"}\" (write \"}}\" for a brace)" },
    { "{\"templates\": [{\"function\": \"x\", \"kind\": \"department\", \"level\": \"city\","
      " \"name\": \"{district.name}局\", \"name_en\": \"X\"}]}",
      "templates[0].name: {district.name}: node 420200000000 has no ancestor of that level" },
    { "{\"templates\": [{\"function\": \"x\", \"kind\": \"bureau\", \"level\": \"city\","
      " \"name\": \"局\", \"name_en\": \"X\"}]}",
      "templates[0].kind: unknown unit kind \"bureau\"" },
    { "{\"templates\": [{\"function\": \"x\", \"kind\": \"department\", \"level\": \"county\","
      " \"name\": \"局\", \"name_en\": \"X\"}]}",
      "templates[0].level: unknown grid level \"county\"" },
    { "{\"templates\": [{\"function\": \"X-1\", \"kind\": \"department\", \"level\": \"city\","
      " \"name\": \"局\", \"name_en\": \"X\"}]}",
      "templates[0].function: \"X-1\" is not a unit function ([a-z_]+)" },
    { "{\"templates\": [{\"function\": \"x\", \"kind\": \"department\", \"level\": \"city\","
      " \"name\": \"局\", \"name_en\": \"X\", \"suffix\": \"市\"}]}",
      "templates[0]: unknown member \"suffix\"" },
    { "{\"templates\": [{\"function\": \"x\", \"kind\": \"department\", \"level\": \"city\","
      " \"name\": \"局\"}]}",
      "templates[0].name_en: missing" },
    { "{\"templates\": {}}", "templates: not an array" },
  };
  g_autofree char *grid = write_file (fixture, "grid.tsv",
                                      HEADER CITY DISTRICT
                                      "420204004000\t团城山街道\tstreet\t420204000000\n", -1);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(FqRefData) ref = fq_refdata_new ();
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) units = NULL;
      g_autofree char *path = write_file (fixture, "units.json", cases[i].json, -1);

      g_test_message ("case %u", i);
      g_assert_true (fq_refdata_load_grid (ref, grid, &error));
      g_assert_no_error (error);
      g_assert_false (fq_refdata_load_units (ref, path, &error));
      g_assert_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD);
      g_assert_cmpstr (error->message, ==, cases[i].message);
      units = fq_refdata_get_units (ref);
      g_assert_cmpuint (units->len, ==, 0);
    }

  /* Suffix choice, fallback, braces, ancestors, English fallback. */
  {
    g_autoptr(FqRefData) ref = fq_refdata_new ();
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) units = NULL;
    g_autofree char *path = write_file (fixture, "units.json",
      "{\"templates\": ["
      " {\"function\": \"office\", \"kind\": \"street_office\", \"level\": \"street\","
      "  \"name_suffix\": \"镇\", \"name\": \"{name}人民政府\", \"name_en\": \"{short_en} Town\"},"
      " {\"function\": \"office\", \"kind\": \"street_office\", \"level\": \"street\","
      "  \"name_suffix\": \"街道\", \"name\": \"{name}办事处\", \"name_en\": \"{name_en} Office\"},"
      " {\"function\": \"office\", \"kind\": \"street_office\", \"level\": \"street\","
      "  \"name\": \"never\", \"name_en\": \"never\"},"
      " {\"function\": \"bureau\", \"kind\": \"department\", \"level\": \"street\","
      "  \"name\": \"{{{city.short}}}{district.name}{short}\", \"name_en\": \"{district.short_en}\"}"
      "]}", -1);
    const FqUnitInfo *unit;

    g_assert_true (fq_refdata_load_grid (ref, grid, &error));
    g_assert_true (fq_refdata_load_units (ref, path, &error));
    g_assert_no_error (error);
    units = fq_refdata_get_units (ref);
    g_assert_cmpuint (units->len, ==, 2);

    unit = fq_refdata_get_unit (ref, "office-420204004000");
    g_assert_cmpstr (unit->name, ==, "团城山街道办事处");
    /* No English in a four-column grid: the Chinese stands in. */
    g_assert_cmpstr (unit->name_en, ==, "团城山街道 Office");
    g_assert_cmpint (unit->kind, ==, FQ_UNIT_KIND_STREET_OFFICE);

    unit = fq_refdata_get_unit (ref, "bureau-420204004000");
    g_assert_cmpstr (unit->name, ==, "{黄石市}下陆区团城山街道");
    g_assert_cmpstr (unit->name_en, ==, "下陆区");

    /* Generating again would duplicate every id. */
    g_assert_false (fq_refdata_load_units (ref, path, &error));
    g_assert_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD);
    g_assert_true (strstr (error->message, "exists already") != NULL);
  }

  {
    g_autoptr(FqRefData) ref = fq_refdata_new ();
    g_autoptr(GError) error = NULL;
    g_autofree char *path = write_file (fixture, "units.json", "{\"templates\": []}", -1);

    g_assert_false (fq_refdata_load_units (ref, path, &error));
    g_assert_error (error, FQ_ERROR, FQ_ERROR_INVALID_FIELD);
    g_assert_cmpstr (error->message, ==, "templates: no grid is loaded to generate units for");
  }
}

static void
test_new_from_dir_errors (TempDir       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FqRefData) ref = NULL;

  g_free (write_file (fixture, "grid-4202.tsv", HEADER CITY, -1));
  /* categories.json is missing. */
  ref = fq_refdata_new_from_dir (fixture->dir, &error);
  g_assert_null (ref);
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);

  real = fq_refdata_new_from_dir (datadir (), &error);
  g_assert_no_error (error);

  g_test_add_func ("/refdata/grid/counts", test_grid_counts);
  g_test_add_func ("/refdata/grid/nodes", test_grid_nodes);
  g_test_add_func ("/refdata/grid/order", test_grid_order);
  g_test_add_func ("/refdata/grid/ancestors", test_grid_ancestors);
  g_test_add_func ("/refdata/grid/scope", test_grid_scope);
  g_test_add_func ("/refdata/categories/list", test_categories);
  g_test_add_func ("/refdata/categories/units", test_categories_have_units);
  g_test_add_func ("/refdata/units/generated", test_units);
  g_test_add_func ("/refdata/units/lead", test_lead_units);
  g_test_add_func ("/refdata/add", test_add);
  g_test_add_func ("/refdata/threads", test_threads);
  g_test_add ("/refdata/grid/province", TempDir, NULL,
              temp_dir_setup, test_grid_province, temp_dir_teardown);
  g_test_add ("/refdata/grid/country", TempDir, NULL,
              temp_dir_setup, test_grid_country, temp_dir_teardown);
  g_test_add ("/refdata/errors/grid", TempDir, NULL,
              temp_dir_setup, test_grid_errors, temp_dir_teardown);
  g_test_add ("/refdata/errors/categories", TempDir, NULL,
              temp_dir_setup, test_category_errors, temp_dir_teardown);
  g_test_add ("/refdata/errors/units", TempDir, NULL,
              temp_dir_setup, test_unit_errors, temp_dir_teardown);
  g_test_add ("/refdata/errors/dir", TempDir, NULL,
              temp_dir_setup, test_new_from_dir_errors, temp_dir_teardown);

  ret = g_test_run ();
  fq_refdata_unref (real);
  return ret;
}
