/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "Fengqiao"

#include "config.h"

#include <string.h>

#include "fq-repeat.h"
#include "fq-repeat-address.h"

static const char *division_suffixes[] = {
  "居委会", "街道", "社区", "省", "市", "区", "县", "镇", "乡",
};

/* 区 ends these without naming a district. */
static const char *not_divisions[] = {
  "小区", "园区", "景区", "校区",
};

static const char *units[] = {
  "单元", "号", "栋", "幢", "楼", "室", "层", "组", "期",
};

static const char *trailing_positions[] = {
  "楼下", "门口", "附近", "旁边", "对面",
};

/* The length in bytes of the leading administrative division of @text (2–8
 * characters ending in one of division_suffixes), or 0. The shortest such
 * prefix is taken, so that "黄石市下陆区…" loses one division at a time. */
static gsize
division_prefix (const char *text)
{
  const char *p = text;

  for (guint n = 1; n <= 8 && *p != '\0'; n++)
    {
      p = g_utf8_next_char (p);
      if (n < 2)
        continue;

      for (guint i = 0; i < G_N_ELEMENTS (division_suffixes); i++)
        {
          gsize len = strlen (division_suffixes[i]);
          gsize end = p - text;
          gboolean excluded = FALSE;

          if (end < len || strncmp (p - len, division_suffixes[i], len) != 0)
            continue;

          for (guint k = 0; k < G_N_ELEMENTS (not_divisions); k++)
            {
              gsize klen = strlen (not_divisions[k]);

              if (end >= klen && strncmp (p - klen, not_divisions[k], klen) == 0)
                excluded = TRUE;
            }
          if (!excluded)
            return end;
        }
    }

  return 0;
}

static gint
digit_value (gunichar c)
{
  static const gunichar digits[] = { 0x3007 /* 〇 */, 0x4e00, 0x4e8c, 0x4e09, 0x56db,
                                     0x4e94, 0x516d, 0x4e03, 0x516b, 0x4e5d };

  for (guint i = 0; i < G_N_ELEMENTS (digits); i++)
    {
      if (c == digits[i])
        return i;
    }
  if (c == 0x96f6 /* 零 */)
    return 0;
  if (c == 0x4e24 /* 两 */)
    return 2;

  return -1;
}

static gboolean
unit_at (const char *p)
{
  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    {
      if (g_str_has_prefix (p, units[i]))
        return TRUE;
    }

  return FALSE;
}

/* Chinese numbers before a unit, in digits: 三栋 → 3栋, 十二号 → 12号,
 * 二十一组 → 21组, 一〇三室 → 103室. Others are left as they are (十五冶 is
 * a name). */
static char *
numbers_to_digits (const char *text)
{
  GString *out = g_string_new (NULL);
  const char *p = text;

  while (*p != '\0')
    {
      const char *q = p;
      gint value = 0, pending = -1, positional = 0;
      gboolean ten = FALSE, ok = TRUE;
      guint n_chars = 0;

      while (*q != '\0')
        {
          gunichar c = g_utf8_get_char (q);
          gint d = digit_value (c);

          if (c == 0x5341 /* 十 */)
            {
              if (ten)
                {
                  ok = FALSE;
                  break;
                }
              ten = TRUE;
              value = (pending < 0 ? 1 : pending) * 10;
              pending = -1;
            }
          else if (d >= 0)
            {
              if (pending >= 0 && !ten)
                positional = positional * 10 + pending;  /* 一〇三 */
              pending = d;
            }
          else
            break;
          q = g_utf8_next_char (q);
          n_chars++;
        }

      if (n_chars > 0 && ok && unit_at (q))
        {
          if (ten)
            g_string_append_printf (out, "%d", value + MAX (pending, 0));
          else
            g_string_append_printf (out, "%d", positional * 10 + pending);
          p = q;
          continue;
        }

      /* Not a number before a unit: copy one character and go on. */
      q = g_utf8_next_char (p);
      g_string_append_len (out, p, q - p);
      p = q;
    }

  return g_string_free (out, FALSE);
}

static char *
replace_all (char       *text,
             const char *from,
             const char *to)
{
  g_auto(GStrv) parts = g_strsplit (text, from, -1);

  g_free (text);
  return g_strjoinv (to, parts);
}

/**
 * fq_repeat_address_key:
 * @address: (nullable): an address as typed
 *
 * Returns: (transfer full) (nullable): the matching key of @address (see
 *   fq-repeat-address.h), or %NULL if nothing is left
 */
char *
fq_repeat_address_key (const char *address)
{
  g_autofree char *normalized = fq_repeat_normalize_address (address);
  char *key;
  const char *rest;
  gsize len;

  if (normalized == NULL)
    return NULL;

  rest = normalized;
  for (gsize skip; (skip = division_prefix (rest)) > 0 && rest[skip] != '\0';)
    rest += skip;

  key = numbers_to_digits (rest);
  key = replace_all (key, "号楼", "栋");
  key = replace_all (key, "幢", "栋");

  len = strlen (key);
  for (guint i = 0; i < G_N_ELEMENTS (trailing_positions); i++)
    {
      gsize tlen = strlen (trailing_positions[i]);

      if (len > tlen && strcmp (key + len - tlen, trailing_positions[i]) == 0)
        {
          key[len - tlen] = '\0';
          break;
        }
    }

  return key;
}
