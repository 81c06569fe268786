#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The demo command: installs what is missing, builds everything and opens the
# console on a local demo server (the Huangshi grid, 13 months of history and
# a live feed). Extra arguments go to the console, e.g. --role coordinator.
set -euo pipefail
top="$(cd "$(dirname "$0")/.." && pwd)"
cd "$top"

build_dir="${FQ_BUILD_DIR:-build}"

bash build-aux/install-deps.sh
if [ ! -f "$build_dir/build.ninja" ]; then
  meson setup "$build_dir"
fi
ninja -C "$build_dir"

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "No display: run this from a desktop session (or set DISPLAY)." >&2
  exit 1
fi
exec "$build_dir/src/console/fengqiao" --demo "$@"
