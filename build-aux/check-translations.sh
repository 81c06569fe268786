#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Fails unless every catalogue in po/LINGUAS is valid (msgfmt --check) and
# complete: against the strings the sources mark today, not only against the
# strings it happened to contain when it was last merged.
# Usage: check-translations.sh [SRCDIR]

srcdir=${1:-$(dirname "$0")/..}
cd "$srcdir" || exit 1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

grep -v '^[[:space:]]*#' po/POTFILES.in | sed '/^[[:space:]]*$/d' > "$tmp/files"

# The keywords of meson's 'glib' preset.
xgettext --from-code=UTF-8 --add-comments --package-name=fengqiao \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3 \
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format \
  --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format \
  --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format \
  --flag=g_error_new:3:c-format --flag=g_set_error:4:c-format \
  --files-from="$tmp/files" --output="$tmp/fengqiao.pot" || exit 1

status=0
for lang in $(grep -v '^[[:space:]]*#' po/LINGUAS); do
  po="po/$lang.po"
  if ! msgfmt --check --output-file=/dev/null "$po"; then
    echo "$po: msgfmt --check failed" >&2
    status=1
    continue
  fi
  msgmerge --quiet --no-fuzzy-matching --output-file="$tmp/$lang.po" "$po" "$tmp/fengqiao.pot" || exit 1
  stats=$(LC_ALL=C msgfmt --check --statistics --output-file=/dev/null "$tmp/$lang.po" 2>&1)
  echo "$lang: $stats"
  case "$stats" in
    *untranslated*|*fuzzy*)
      echo "$po is incomplete; untranslated or fuzzy:" >&2
      msgattrib --untranslated --no-obsolete "$tmp/$lang.po" | grep '^msgid' | grep -v '^msgid ""$' | head -n 40 >&2
      msgattrib --only-fuzzy --no-obsolete "$tmp/$lang.po" | grep '^msgid' | grep -v '^msgid ""$' | head -n 40 >&2
      status=1
      ;;
  esac
done

exit $status
