#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Installs what Fengqiao needs to build, run and test on Debian 12.
# Run as root (or with sudo). Safe to run again: it only adds what is missing.
set -euo pipefail

packages=(
  build-essential meson ninja-build pkg-config gettext
  libglib2.0-dev libgtk-4-dev libadwaita-1-dev libsoup-3.0-dev libjson-glib-dev
  libsqlite3-dev libsodium-dev glib-networking sqlite3 openssl
  desktop-file-utils appstream-util
  xvfb xauth dbus-x11 at-spi2-core python3 python3-dogtail python3-pyatspi
  python3-yaml python3-jsonschema
  imagemagick fonts-noto-cjk poppler-utils locales clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# The Chinese locale, for the console's first language and its screenshots.
if ! locale -a 2>/dev/null | grep -qi '^zh_CN\.utf8$'; then
  $SUDO localedef -i zh_CN -f UTF-8 zh_CN.UTF-8 || echo "warning: could not generate zh_CN.UTF-8" >&2
fi
