#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The test command: installs what is missing, builds everything and runs
# every test suite under a private display and session bus. Ends with the
# line "N passed, N failed" and exits with meson's status.
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

python3 - "$build_dir/meson-logs/testlog.json" <<'PY'
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
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $status
