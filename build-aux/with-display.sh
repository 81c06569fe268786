#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs a command under a private X server and a private session bus, as the
# display and accessibility tests need (see TESTING.md). Xvfb picks a free
# display itself (-displayfd), so parallel runs do not race for one.
set -euo pipefail

if ! command -v Xvfb >/dev/null 2>&1; then
  exec "$@"
fi

fifo="$(mktemp -u)"
mkfifo "$fifo"
Xvfb -displayfd 3 -screen 0 1600x1000x24 -nolisten tcp 3>"$fifo" >/dev/null 2>&1 &
xvfb_pid=$!
read -r display <"$fifo"
rm -f "$fifo"
trap 'kill "$xvfb_pid" 2>/dev/null || true' EXIT

export DISPLAY=":$display"
export GSK_RENDERER=cairo
export GDK_DEBUG=gl-disable
dbus-run-session -- "$@"
