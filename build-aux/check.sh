#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The test command: installs what is missing, builds everything and runs
# every test suite under a private display and session bus, then the same
# suites (but fuzz and e2e) in an AddressSanitizer + UndefinedBehaviorSanitizer
# build (build-aux/check-sanitize.sh, in build-sanitize). Ends with the line
# "N passed, N failed, N skipped" counting both runs, and exits non-zero if
# either failed. FQ_SKIP_SANITIZE=1 runs the normal build's suites only.
set -uo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
cd "$top"

build_dir="${FQ_BUILD_DIR:-build}"

bash build-aux/install-deps.sh || exit 1
bash build-aux/install-tools.sh || echo "warning: npm tooling not installed; the OpenAPI lint will be skipped" >&2

if [ ! -f "$build_dir/build.ninja" ]; then
  meson setup "$build_dir" -Dtests=true || exit 1
fi
ninja -C "$build_dir" || exit 1

rm -f "$build_dir/meson-logs/testlog.json"
bash build-aux/with-display.sh \
  meson test -C "$build_dir" --print-errorlogs --num-processes 2 "$@"
status=$?

summary="$(python3 build-aux/testlog.py summary "$build_dir/meson-logs/testlog.json")"
echo "normal build: $summary"
if [ "${FQ_SKIP_SANITIZE:-0}" = 1 ]; then
  python3 build-aux/testlog.py failures "$build_dir/meson-logs/testlog.json" "normal build"
  echo "$summary"
  exit $status
fi

# The end-to-end suite is left out of the sanitizer run by default: its
# consoles run without a leak check there (see tests/e2e/meson.build) and it
# doubles the run's time; FQ_SANITIZE_ARGS= (empty) runs it too.
sanitize_out="$(mktemp)"
FQ_SANITIZE_ARGS="${FQ_SANITIZE_ARGS---no-suite e2e}" FQ_SKIP_DEPS=1 \
  bash build-aux/check-sanitize.sh "$@" | tee "$sanitize_out"
sanitize_status=${PIPESTATUS[0]}
sanitize_summary="$(tail -n 1 "$sanitize_out")"
rm -f "$sanitize_out"
# A CI log often keeps only its end: name what failed, and why, there.
python3 build-aux/testlog.py failures "$build_dir/meson-logs/testlog.json" "normal build"
python3 build-aux/testlog.py failures \
  "${FQ_SANITIZE_DIR:-build-sanitize}/meson-logs/testlog.json" "sanitizer build"
echo "normal build: $summary"
echo "sanitizer build: $sanitize_summary"
python3 - "$summary" "$sanitize_summary" <<'PY'
import re, sys
totals = [0, 0, 0]
for line in sys.argv[1:]:
    m = re.fullmatch(r"(\d+) passed, (\d+) failed, (\d+) skipped", line.strip())
    counts = (0, 1, 0) if m is None else tuple(int(n) for n in m.groups())
    totals = [a + b for a, b in zip(totals, counts)]
print(f"{totals[0]} passed, {totals[1]} failed, {totals[2]} skipped")
PY
[ $status -eq 0 ] && status=$sanitize_status
exit $status
