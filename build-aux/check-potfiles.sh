#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Fails when a source file with translatable strings is missing from
# po/POTFILES.in, or when POTFILES.in names a file that does not exist
# (after Nautilus's check-potfiles.sh). Usage: check-potfiles.sh [SRCDIR]

srcdir=${1:-$(dirname "$0")/..}
cd "$srcdir" || exit 1

potfiles=po/POTFILES.in
if [ ! -f "$potfiles" ]; then
  echo "$potfiles is missing" >&2
  exit 1
fi

listed=$(mktemp)
found=$(mktemp)
trap 'rm -f "$listed" "$found"' EXIT

grep -v '^[[:space:]]*#' "$potfiles" | sed '/^[[:space:]]*$/d' | sort > "$listed"

status=0

# The list is kept sorted so that merges stay simple.
if ! grep -v '^[[:space:]]*#' "$potfiles" | sed '/^[[:space:]]*$/d' | LC_ALL=C sort -c 2>/dev/null; then
  echo "$potfiles is not sorted (LC_ALL=C sort)" >&2
  status=1
fi

while read -r f; do
  if [ ! -f "$f" ]; then
    echo "$potfiles names $f, which does not exist" >&2
    status=1
  fi
done < "$listed"

{
  find src -name '*.c' -print | while read -r f; do
    if grep -qE '(^|[^A-Za-z0-9_])(N?C?_|g_dngettext|ngettext)[[:space:]]*\(' "$f"; then
      echo "$f"
    fi
  done
  find ui -name '*.ui' -print | while read -r f; do
    if grep -q 'translatable="yes"' "$f"; then
      echo "$f"
    fi
  done
  for f in data/*.desktop.in.in data/*.metainfo.xml.in.in data/*.gschema.xml; do
    [ -f "$f" ] && echo "$f"
  done
} | sort > "$found"

missing=$(comm -13 "$listed" "$found")
if [ -n "$missing" ]; then
  echo "These files have translatable strings but are not in $potfiles:" >&2
  echo "$missing" | sed 's/^/  /' >&2
  status=1
fi

exit $status
