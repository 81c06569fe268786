#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds the libFuzzer targets of tests/fuzz (build-fuzz: clang,
# -Dfuzzing=true, AddressSanitizer and UndefinedBehaviorSanitizer) and runs
# the suite "fuzz": each target for a bounded time (FQ_FUZZ_TIME seconds,
# default 20) over a copy of its seed corpus. A crashing input is kept in
# build-fuzz/tests/fuzz/<target>-crash-…; reproduce it with
#   build-fuzz/tests/fuzz/<target> build-fuzz/tests/fuzz/<target>-crash-…
# Ends with the line "N passed, N failed, N skipped".
#
#   FQ_FUZZ_DIR       the build directory (default build-fuzz)
#   FQ_FUZZ_TIME      seconds of fuzzing per target (default 20)
#   extra arguments   passed to meson test
set -uo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
cd "$top"

build_dir="${FQ_FUZZ_DIR:-build-fuzz}"
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
  CC=clang meson setup "$build_dir" -Dtests=true -Dfuzzing=true \
    -Db_sanitize=address,undefined -Db_lundef=false || exit 1
fi
# Only what the fuzz suite needs: the rest of the tree is check-sanitize.sh's.
targets=$(meson introspect "$build_dir" --targets 2>/dev/null | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["type"] == "executable" and t["name"].startswith("fuzz-"):
        for f in t["filename"]:
            print(f)
')
if [ -z "$targets" ]; then
  echo "check-fuzz: $build_dir has no fuzz targets (set up with -Dfuzzing=true?)" >&2
  exit 1
fi
# shellcheck disable=SC2086
ninja -C "$build_dir" $(for t in $targets; do realpath --relative-to="$build_dir" "$t"; done) || exit 1
built=$(date +%s)

rm -f "$build_dir/meson-logs/testlog.json"
meson test -C "$build_dir" --no-rebuild --print-errorlogs --num-processes 2 --suite fuzz "$@"
status=$?

python3 - "$build_dir/meson-logs/testlog.json" <<'PY'
import json, re, sys
passed = failed = skipped = 0
try:
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            test = json.loads(line)
            result = test.get("result")
            if result in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif result == "SKIP":
                skipped += 1
            else:
                failed += 1
            # libFuzzer's final statistics, from the test's output.
            out = (test.get("stdout") or "") + (test.get("stderr") or "")
            runs = re.search(r"stat::number_of_executed_units:\s*(\d+)", out)
            rate = re.search(r"stat::average_exec_per_sec:\s*(\d+)", out)
            cov = re.findall(r"cov: (\d+)", out)
            print(f"{test.get('name')}: {result}, "
                  f"{runs.group(1) if runs else '?'} inputs, "
                  f"{rate.group(1) if rate else '?'}/s, "
                  f"coverage {cov[-1] if cov else '?'}")
except FileNotFoundError:
    failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
end=$(date +%s)
echo "check-fuzz: build $((built - start)) s, fuzzing $((end - built)) s"
exit $status
