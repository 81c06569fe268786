#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs one libFuzzer target for a bounded time over a copy of its seed
# corpus, so that the inputs it finds are not written into the source tree.
# Usage: run-fuzz.sh TARGET CORPUS_DIR [libFuzzer options…]
# FQ_FUZZ_TIME (seconds, default 20) bounds the run; a crashing input is
# kept in $FQ_FUZZ_ARTIFACTS (default: the current directory).
set -eu

target="$1"
corpus="$2"
shift 2

work="$(mktemp -d "${TMPDIR:-/tmp}/fq-fuzz-XXXXXX")"
trap 'rm -rf "$work"' EXIT INT TERM
cp -R "$corpus/." "$work/"

artifacts="${FQ_FUZZ_ARTIFACTS:-.}"
mkdir -p "$artifacts"

echo "$(basename "$target"): $(ls "$work" | wc -l) seed inputs, ${FQ_FUZZ_TIME:-20} s"
status=0
"$target" \
  -max_total_time="${FQ_FUZZ_TIME:-20}" \
  -timeout=5 \
  -rss_limit_mb=2048 \
  -print_final_stats=1 \
  -artifact_prefix="$artifacts/$(basename "$target")-" \
  "$@" \
  "$work" || status=$?
exit "$status"
