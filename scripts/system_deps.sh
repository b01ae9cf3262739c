#!/usr/bin/env bash
# The Debian packages the project uses, installed when missing:
#   chromium            the browser tests (e2e/)
#   fonts-noto-cjk      Chinese in the browser tests' screenshots
#   fonts-wqy-microhei  the TrueType Chinese font the unit posters embed in their PDF
#   gettext             the check that the English catalogue has every message (CI)
#   postgresql-client   pg_dump / pg_restore: backup, restore and the drill on PostgreSQL
#   libreoffice-writer-nogui  the monthly bulletin's PDF rendering (docx → PDF)
#   poppler-utils       pdftoppm: the bulletin's PDF pages as PNG in its rendering test
#
#   scripts/system_deps.sh PACKAGE...      (make run and make test call it)
#
# Installs with apt-get as root or through sudo without a password prompt. When that is not
# possible (no apt, no such sudo) it says what is missing and what that costs, and exits 0 —
# the tests that need a missing package are then skipped with that reason — unless
# QF_REQUIRE_SYSTEM_PACKAGES=1 (CI), when it fails.
set -euo pipefail

REQUIRE="${QF_REQUIRE_SYSTEM_PACKAGES:-0}"

missing=()
for package in "$@"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO="none"; fi
fi
if [ "$SUDO" = "none" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system packages not installed: ${missing[*]}" >&2
  echo "  install them with: sudo apt-get install ${missing[*]}   (or: make system-deps)" >&2
  echo "  without them the browser tests and the PDF poster tests are skipped," >&2
  echo "  and the poster page answers that the font is missing" >&2
  [ "$REQUIRE" = "1" ] && exit 1
  exit 0
fi
echo "installing system packages: ${missing[*]}"
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
    $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
  echo "could not install: ${missing[*]} (see apt-get's message above)" >&2
  [ "$REQUIRE" = "1" ] && exit 1
fi
exit 0
