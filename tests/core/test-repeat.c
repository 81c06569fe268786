/* SPDX-License-Identifier: GPL-3.0-or-later */

#include "config.h"

#include "fq-core.h"

#define DAY (24 * 3600)
#define T0  G_GINT64_CONSTANT (1795939200)

static void
assert_phone (const char *input,
              const char *expected)
{
  g_autofree char *normalized = fq_repeat_normalize_phone (input);

  g_assert_cmpstr (normalized, ==, expected);
}

static void
assert_address (const char *input,
                const char *expected)
{
  g_autofree char *normalized = fq_repeat_normalize_address (input);

  g_assert_cmpstr (normalized, ==, expected);
}

static void
test_normalize_phone (void)
{
  assert_phone ("13800138000", "13800138000");
  assert_phone ("138-0013-8000", "13800138000");
  assert_phone (" 138 0013 8000 ", "13800138000");
  assert_phone ("+86 138 0013 8000", "13800138000");
  assert_phone ("+8613800138000", "13800138000");
  assert_phone ("0086 13800138000", "13800138000");
  assert_phone ("008613800138000", "13800138000");
  assert_phone ("(0714) 625-1234", "07146251234");
  /* Full-width digits and plus, as a Chinese input method types them. */
  assert_phone ("＋８６１３８００１３８０００", "13800138000");
  assert_phone ("１３８００１３８０００", "13800138000");
  /* Only a leading +86 is a country code. */
  assert_phone ("86 13800138000", "8613800138000");
  /* Too short to identify anyone. */
  assert_phone ("1234", NULL);
  assert_phone ("12345", "12345");
  assert_phone ("+86 1234", NULL);
  assert_phone ("no number", NULL);
  assert_phone ("", NULL);
  assert_phone (NULL, NULL);
  assert_phone ("\xff\xfe", NULL);
}

static void
test_normalize_address (void)
{
  assert_address ("黄石市下陆区团城山街道广州路12号", "黄石市下陆区团城山街道广州路12号");
  assert_address ("黄石市 下陆区，团城山街道 广州路 12 号。", "黄石市下陆区团城山街道广州路12号");
  /* Full-width forms become plain ones (NFKC). */
  assert_address ("广州路１２号（东门）", "广州路12号东门");
  assert_address ("广州路12号(东门)", "广州路12号东门");
  /* Case folding. */
  assert_address ("Guangzhou Road No. 12, Block B", "guangzhouroadno12blockb");
  assert_address ("ＧＵＡＮＧＺＨＯＵ", "guangzhou");
  /* Symbols go with punctuation. */
  assert_address ("12#楼-3单元", "12楼3单元");
  /* Nothing left. */
  assert_address (" ，。！ ", NULL);
  assert_address ("", NULL);
  assert_address (NULL, NULL);
  assert_address ("\xff", NULL);
}

static void
test_similarity (void)
{
  /* Identical, and identical after cleaning. */
  g_assert_cmpfloat (fq_repeat_similarity ("楼上装修噪音扰民", "楼上装修噪音扰民"), ==, 1.0);
  g_assert_cmpfloat (fq_repeat_similarity ("楼上 装修，噪音扰民！", "楼上装修噪音扰民"), ==, 1.0);
  g_assert_cmpfloat (fq_repeat_similarity ("Noise Upstairs", "noise upstairs"), ==, 1.0);
  g_assert_cmpfloat (fq_repeat_similarity ("ＮＯＩＳＥ", "noise"), ==, 1.0);

  /* Nothing shared. */
  g_assert_cmpfloat (fq_repeat_similarity ("楼上装修", "停车纠纷"), ==, 0.0);
  g_assert_cmpfloat (fq_repeat_similarity ("abc", "xyz"), ==, 0.0);

  /* Empty (or nothing left after cleaning) is similar to nothing. */
  g_assert_cmpfloat (fq_repeat_similarity ("", ""), ==, 0.0);
  g_assert_cmpfloat (fq_repeat_similarity ("，。", "，。"), ==, 0.0);
  g_assert_cmpfloat (fq_repeat_similarity (NULL, "abc"), ==, 0.0);
  g_assert_cmpfloat (fq_repeat_similarity ("abc", NULL), ==, 0.0);
  g_assert_cmpfloat (fq_repeat_similarity (NULL, NULL), ==, 0.0);

  /* One character: unigrams. */
  g_assert_cmpfloat (fq_repeat_similarity ("吵", "吵"), ==, 1.0);
  g_assert_cmpfloat (fq_repeat_similarity ("吵", "闹"), ==, 0.0);
  g_assert_cmpfloat_with_epsilon (fq_repeat_similarity ("吵", "吵闹"), 2.0 / 3.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (fq_repeat_similarity ("吵闹", "吵"), 2.0 / 3.0, 1e-9);

  /* Bigrams as multisets: "aaaa" has aa three times, "aa" once. */
  g_assert_cmpfloat_with_epsilon (fq_repeat_similarity ("aaaa", "aa"), 0.5, 1e-9);
  /* Two characters, bigram order matters: "ab" and "ba" share none. */
  g_assert_cmpfloat (fq_repeat_similarity ("ab", "ba"), ==, 0.0);

  /* Symmetric. */
  g_assert_cmpfloat (fq_repeat_similarity ("楼上装修噪音扰民", "楼上装修噪音很大"), ==,
                     fq_repeat_similarity ("楼上装修噪音很大", "楼上装修噪音扰民"));

  /* The examples of fq-repeat.h: 5 of 7 + 7 bigrams shared, and 4 of 10 + 9. */
  g_assert_cmpfloat_with_epsilon (fq_repeat_similarity ("楼上装修噪音扰民", "楼上装修噪音很大"),
                                  10.0 / 14.0, 1e-9);
  g_assert_cmpfloat (fq_repeat_similarity ("楼上装修噪音扰民", "楼上装修噪音很大"), >=,
                     FQ_REPEAT_SIMILARITY_THRESHOLD);
  g_assert_cmpfloat_with_epsilon (fq_repeat_similarity ("广州路小区楼上装修噪音", "广州路小区停车位被占"),
                                  8.0 / 19.0, 1e-9);
  g_assert_cmpfloat (fq_repeat_similarity ("广州路小区楼上装修噪音", "广州路小区停车位被占"), <,
                     FQ_REPEAT_SIMILARITY_THRESHOLD);

  /* Invalid UTF-8 is treated as empty rather than read past. */
  g_assert_cmpfloat (fq_repeat_similarity ("\xff\xfe", "\xff\xfe"), ==, 0.0);
}

static void
test_community_of (void)
{
  static const struct
  {
    const char *code;
    const char *community;
  } cases[] = {
    { "420202002012", "420202002012" },   /* a community */
    { "42020200201201", "420202002012" }, /* a grid cell in it */
    { "420202002000", NULL },             /* a street */
    { "420202000000", NULL },             /* a district */
    { "420200000000", NULL },             /* the city */
    { "4202", NULL },
    { "42020200201", NULL },
    { "4202020020120", NULL },
    { "42020200201a", NULL },
    { "", NULL },
    { NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *community = fq_repeat_community_of (cases[i].code);

      g_assert_cmpstr (community, ==, cases[i].community);
    }
}

/* An earlier call from the same person at the same place about the same
 * matter; each test changes what it needs. */
static FqRepeatProbe
make_probe (gint64 received_at)
{
  FqRepeatProbe probe = {
    .phone = "13800138000",
    .community = "420204004011",
    .address = "广州路12号",
    .category = "noise_renovation",
    .summary = "楼上装修噪音扰民",
    .received_at = received_at,
  };

  return probe;
}

static void
test_match_rules (void)
{
  FqRepeatProbe incoming = make_probe (T0);
  FqRepeatProbe earlier = make_probe (T0 - DAY);
  double score = -1.0;

  /* All three rules. */
  g_assert_cmpuint (fq_repeat_match (&incoming, &earlier, &score), ==,
                    FQ_REPEAT_RULE_PHONE | FQ_REPEAT_RULE_ADDRESS | FQ_REPEAT_RULE_SUMMARY);
  g_assert_cmpfloat (score, >, 0.95);
  g_assert_cmpfloat (score, <=, 1.0);
  g_assert_cmpuint (fq_repeat_match (&incoming, &earlier, NULL), !=, FQ_REPEAT_RULE_NONE);

  /* Phone only: another address, another category. */
  earlier = make_probe (T0 - DAY);
  earlier.address = "武汉路3号";
  earlier.category = "parking";
  earlier.summary = "停车位被占";
  g_assert_cmpuint (fq_repeat_match (&incoming, &earlier, &score), ==, FQ_REPEAT_RULE_PHONE);
  g_assert_cmpfloat_with_epsilon (score, 0.9, 1e-9);

  /* The phone rule needs the same community. */
  earlier.community = "420204004012";
  g_assert_cmpuint (fq_repeat_match (&incoming, &earlier, &score), ==, FQ_REPEAT_RULE_NONE);
  g_assert_cmpfloat (score, ==, 0.0);
  earlier.community = NULL;
  g_assert_cmpuint (fq_repeat_match (&incoming, &earlier, &score), ==, FQ_REPEAT_RULE_NONE);

  /* Address only: another caller, same place, same category, other words. */
  earlier = make_probe (T0 - DAY);
  earlier.phone = "13900139000";
  earlier.summary = "有人在拆墙";
  g_assert_cmpuint (fq_repeat_match (&incoming, &earlier, &score), ==, FQ_REPEAT_RULE_ADDRESS);
  g_assert_cmpfloat_with_epsilon (score, 0.8, 1e-9);

  /* The address rule needs the same category. */
  earlier.category = "parking";
  g_assert_cmpuint (fq_repeat_match (&incoming, &earlier, &score), ==, FQ_REPEAT_RULE_NONE);

  /* Summary only: another caller, no address, similar words. */
  earlier = make_probe (T0 - DAY);
  earlier.phone = NULL;
  earlier.address = NULL;
  earlier.summary = "楼上装修噪音很大";
  g_assert_cmpuint (fq_repeat_match (&incoming, &earlier, &score), ==, FQ_REPEAT_RULE_SUMMARY);
  g_assert_cmpfloat_with_epsilon (score, 0.7 * 10.0 / 14.0, 1e-9);

  /* The summary rule needs the same category and community... */
  earlier.category = "parking";
  g_assert_cmpuint (fq_repeat_match (&incoming, &earlier, &score), ==, FQ_REPEAT_RULE_NONE);
  earlier.category = "noise_renovation";
  earlier.community = "420204004012";
  g_assert_cmpuint (fq_repeat_match (&incoming, &earlier, &score), ==, FQ_REPEAT_RULE_NONE);
  earlier.community = "420204004011";

  /* ...and the threshold. */
  earlier.summary = "广州路小区停车位被占";
  incoming.summary = "广州路小区楼上装修噪音";
  g_assert_cmpuint (fq_repeat_match (&incoming, &earlier, &score), ==, FQ_REPEAT_RULE_NONE);
  incoming = make_probe (T0);

  /* Phone and address together score above either alone. */
  earlier = make_probe (T0 - DAY);
  earlier.summary = "有人在拆墙";
  g_assert_cmpuint (fq_repeat_match (&incoming, &earlier, &score), ==,
                    FQ_REPEAT_RULE_PHONE | FQ_REPEAT_RULE_ADDRESS);
  g_assert_cmpfloat_with_epsilon (score, 0.95, 1e-9);

  /* Among phone matches, the closer summary ranks first. */
  {
    FqRepeatProbe close = make_probe (T0 - DAY);
    FqRepeatProbe far = make_probe (T0 - DAY);
    double close_score, far_score;

    close.address = far.address = NULL;
    close.summary = "楼上装修噪音很大";
    far.summary = "停车位被占";
    g_assert_cmpuint (fq_repeat_match (&incoming, &close, &close_score), ==,
                      FQ_REPEAT_RULE_PHONE | FQ_REPEAT_RULE_SUMMARY);
    g_assert_cmpuint (fq_repeat_match (&incoming, &far, &far_score), ==, FQ_REPEAT_RULE_PHONE);
    g_assert_cmpfloat (close_score, >, far_score);
  }

  /* Missing or empty values match nothing. */
  {
    FqRepeatProbe empty = { .summary = "", .received_at = T0 - DAY };
    FqRepeatProbe blank = { .phone = "", .community = "", .address = "", .category = "",
                            .summary = "", .received_at = T0 };

    g_assert_cmpuint (fq_repeat_match (&incoming, &empty, &score), ==, FQ_REPEAT_RULE_NONE);
    empty.received_at = T0 - DAY;
    g_assert_cmpuint (fq_repeat_match (&blank, &empty, &score), ==, FQ_REPEAT_RULE_NONE);
    blank.received_at = T0 - DAY;
    empty.received_at = T0;
    g_assert_cmpuint (fq_repeat_match (&empty, &blank, &score), ==, FQ_REPEAT_RULE_NONE);
  }
}

static void
test_match_windows (void)
{
  FqRepeatProbe incoming = make_probe (T0);
  FqRepeatProbe earlier;
  double score;

  /* The 30-day window, edges inclusive. */
  earlier = make_probe (T0 - FQ_REPEAT_WINDOW_SECONDS);
  g_assert_cmpuint (fq_repeat_match (&incoming, &earlier, &score) & FQ_REPEAT_RULE_PHONE, !=, 0);
  earlier = make_probe (T0 - FQ_REPEAT_WINDOW_SECONDS - 1);
  g_assert_cmpuint (fq_repeat_match (&incoming, &earlier, &score), ==, FQ_REPEAT_RULE_NONE);
  g_assert_cmpfloat (score, ==, 0.0);
  earlier = make_probe (T0);
  g_assert_cmpuint (fq_repeat_match (&incoming, &earlier, &score), !=, FQ_REPEAT_RULE_NONE);

  /* An "earlier" incident received after the incoming one is not earlier. */
  earlier = make_probe (T0 + 1);
  g_assert_cmpuint (fq_repeat_match (&incoming, &earlier, &score), ==, FQ_REPEAT_RULE_NONE);

  /* The summary rule has its own 7-day window; the others go on. */
  earlier = make_probe (T0 - FQ_REPEAT_SUMMARY_WINDOW_SECONDS);
  g_assert_cmpuint (fq_repeat_match (&incoming, &earlier, &score), ==,
                    FQ_REPEAT_RULE_PHONE | FQ_REPEAT_RULE_ADDRESS | FQ_REPEAT_RULE_SUMMARY);
  earlier = make_probe (T0 - FQ_REPEAT_SUMMARY_WINDOW_SECONDS - 1);
  g_assert_cmpuint (fq_repeat_match (&incoming, &earlier, &score), ==,
                    FQ_REPEAT_RULE_PHONE | FQ_REPEAT_RULE_ADDRESS);
  earlier.phone = NULL;
  earlier.address = NULL;
  g_assert_cmpuint (fq_repeat_match (&incoming, &earlier, &score), ==, FQ_REPEAT_RULE_NONE);

  g_assert_cmpint (FQ_REPEAT_WINDOW_SECONDS, ==, 30 * DAY);
  g_assert_cmpint (FQ_REPEAT_SUMMARY_WINDOW_SECONDS, ==, 7 * DAY);
}

static void
test_match_normalized (void)
{
  /* The server normalises before matching: numbers and addresses written
   * differently meet. */
  g_autofree char *phone_a = fq_repeat_normalize_phone ("+86 138-0013-8000");
  g_autofree char *phone_b = fq_repeat_normalize_phone ("１３８００１３８０００");
  g_autofree char *address_a = fq_repeat_normalize_address ("广州路 １２ 号");
  g_autofree char *address_b = fq_repeat_normalize_address ("广州路12号。");
  g_autofree char *community = fq_repeat_community_of ("42020400401101");
  FqRepeatProbe incoming = {
    .phone = phone_a, .community = community, .address = address_a,
    .category = "noise", .summary = "噪音", .received_at = T0,
  };
  FqRepeatProbe earlier = {
    .phone = phone_b, .community = "420204004011", .address = address_b,
    .category = "noise", .summary = "其他", .received_at = T0 - DAY,
  };

  g_assert_cmpuint (fq_repeat_match (&incoming, &earlier, NULL), ==,
                    FQ_REPEAT_RULE_PHONE | FQ_REPEAT_RULE_ADDRESS);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/core/repeat/normalize-phone", test_normalize_phone);
  g_test_add_func ("/core/repeat/normalize-address", test_normalize_address);
  g_test_add_func ("/core/repeat/similarity", test_similarity);
  g_test_add_func ("/core/repeat/community-of", test_community_of);
  g_test_add_func ("/core/repeat/match/rules", test_match_rules);
  g_test_add_func ("/core/repeat/match/windows", test_match_windows);
  g_test_add_func ("/core/repeat/match/normalized", test_match_normalized);

  return g_test_run ();
}
