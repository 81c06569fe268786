#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds the tree with AddressSanitizer and UndefinedBehaviorSanitizer
# (build-sanitize, clang) and runs every test suite but the benchmarks
# under a private display and session bus: core, server, console data
# layer, widgets, end-to-end through AT-SPI and a bounded fuzzing run of
# each libFuzzer target. The servers and
# consoles the tests start are sanitized too. build-aux/check.sh runs it
# after the normal build's suites. Ends with the line
# "N passed, N failed, N skipped" and exits non-zero if a test failed or if
# any sanitizer report appears, also one from a child process whose exit
# status the test does not look at: a test whose output holds a report
# counts as failed, and so does each report file of the end-to-end tests'
# consoles and servers (meson-logs/sanitizer-e2e.PID).
#
#   FQ_SANITIZE_DIR   the build directory (default build-sanitize)
#   FQ_SKIP_DEPS=1    do not run the set-up scripts (check.sh ran them)
#   FQ_SANITIZE_ARGS  more arguments for meson test, e.g. "--no-suite e2e"
#                     to leave out the end-to-end tests (six of the run's
#                     twelve minutes; they wait on the display, not the CPU)
#   extra arguments   passed to meson test (e.g. --suite core)
#
# The test environment (tests/meson.build) sets ASAN_OPTIONS, LSAN_OPTIONS
# (with build-aux/lsan.supp) and UBSAN_OPTIONS=halt_on_error=1. For a leak
# report with every frame, run the test again with
# ASAN_OPTIONS=detect_leaks=1:intercept_tls_get_addr=0:fast_unwind_on_malloc=0.
set -uo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
cd "$top"

build_dir="${FQ_SANITIZE_DIR:-build-sanitize}"
start=$(date +%s)

if [ "${FQ_SKIP_DEPS:-0}" != 1 ]; then
  bash build-aux/install-deps.sh || exit 1
fi
# The sanitizer runtimes are only a recommendation of clang.
if ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q 'install ok installed'; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
    libclang-rt-14-dev || exit 1
fi

# b_lundef=false: the sanitizer runtimes are linked into executables only,
# so shared objects keep undefined references to them.
# The fuzz targets are built too: their suite runs each for a bounded time.
if [ ! -f "$build_dir/build.ninja" ]; then
  CC=clang meson setup "$build_dir" -Dtests=true -Dfuzzing=true \
    -Db_sanitize=address,undefined -Db_lundef=false || exit 1
else
  meson configure "$build_dir" -Dfuzzing=true || exit 1
fi
ninja -C "$build_dir" || exit 1
built=$(date +%s)

logs="$build_dir/meson-logs"
rm -f "$logs/testlog.json" "$logs/testlog.txt" "$logs"/sanitizer-e2e.*
# Every suite, fuzz included (20 s a target; benchmarks are not run by
# `meson test`). Sanitized code runs two to three times slower.
bash build-aux/with-display.sh \
  meson test -C "$build_dir" --print-errorlogs --num-processes 2 --timeout-multiplier 3 \
  ${FQ_SANITIZE_ARGS:-} "$@"
status=$?

# A report of a child (a server stopped with SIGTERM, a console run by an
# end-to-end test) reaches the log or a report file but not always the
# test's exit status.
pattern='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:'
e2e_reports=0
for f in "$logs"/sanitizer-e2e.*; do
  [ -e "$f" ] || continue
  e2e_reports=$((e2e_reports + 1))
  echo "check-sanitize: sanitizer report of an end-to-end test's process, $f:" >&2
  head -60 "$f" >&2
done

python3 build-aux/testlog.py summary "$logs/testlog.json" \
  --report-pattern "$pattern" --extra-failed "$e2e_reports"
summary=$?
[ $status -eq 0 ] && status=$summary
end=$(date +%s)
echo "check-sanitize: build $((built - start)) s, tests $((end - built)) s" >&2
exit $status
