#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Tooling from the npm registry used by the test suite only (never by the
# product): @redocly/cli lints docs/openapi.yaml. Installed into
# build-aux/npm/ (ignored by git).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -x "$here/npm/node_modules/.bin/redocly" ]; then
  mkdir -p "$here/npm"
  npm install --prefix "$here/npm" --no-audit --no-fund --loglevel=error @redocly/cli@2.77.0 >/dev/null
fi
