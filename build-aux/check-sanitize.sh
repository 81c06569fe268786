#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds the tree with AddressSanitizer and UndefinedBehaviorSanitizer
# (build-asan, clang) and runs every test suite but the benchmarks and the
# fuzz suite under a private display and session bus. The servers and
# consoles the tests start are sanitized too. Ends with the line
# "N passed, N failed, N skipped" and exits non-zero if a test failed or if
# any sanitizer report appears in the log, also one from a child process
# whose exit status the test does not look at.
#
#   FQ_ASAN_DIR       the build directory (default build-asan)
#   extra arguments   passed to meson test (e.g. --suite core)
#
# The test environment (tests/meson.build) sets ASAN_OPTIONS, LSAN_OPTIONS
# (with build-aux/lsan.supp) and UBSAN_OPTIONS=halt_on_error=1. For a leak
# report with every frame, run the test again with
# ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0.
set -uo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
cd "$top"

build_dir="${FQ_ASAN_DIR:-build-asan}"
start=$(date +%s)

bash build-aux/install-deps.sh || exit 1
# The sanitizer and libFuzzer runtimes are only a recommendation of clang.
if ! dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q 'install ok installed'; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
    libclang-rt-14-dev || exit 1
fi

if [ ! -f "$build_dir/build.ninja" ]; then
  CC=clang meson setup "$build_dir" -Dtests=true \
    -Db_sanitize=address,undefined -Db_lundef=false || exit 1
fi
ninja -C "$build_dir" || exit 1
built=$(date +%s)

rm -f "$build_dir/meson-logs/testlog.json" "$build_dir/meson-logs/testlog.txt"
# Every suite but fuzz (benchmarks are not run by `meson test`). Sanitized
# code runs two to three times slower.
bash build-aux/with-display.sh \
  meson test -C "$build_dir" --print-errorlogs --num-processes 2 --timeout-multiplier 3 \
  --no-suite fuzz "$@"
status=$?

# A report of a child (a server stopped with SIGTERM, a console run by an
# end-to-end test) reaches the log but not always the test's exit status.
reports=0
if [ -f "$build_dir/meson-logs/testlog.txt" ]; then
  reports=$(grep -cE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' \
            "$build_dir/meson-logs/testlog.txt")
fi
if [ "$reports" -gt 0 ]; then
  echo "check-sanitize: $reports sanitizer report(s) in $build_dir/meson-logs/testlog.txt:" >&2
  grep -nE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|^SUMMARY: ' \
    "$build_dir/meson-logs/testlog.txt" | head -40 >&2
  [ $status -eq 0 ] && status=1
fi

python3 - "$build_dir/meson-logs/testlog.json" "$reports" <<'PY'
import json, sys
passed = failed = skipped = 0
try:
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            result = json.loads(line).get("result")
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
except FileNotFoundError:
    failed += 1
print(f"sanitizer build: {sys.argv[2]} sanitizer report(s) in the log")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
end=$(date +%s)
echo "check-sanitize: build $((built - start)) s, tests $((end - built)) s"
exit $status
