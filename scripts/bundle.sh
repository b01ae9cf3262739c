#!/usr/bin/env bash
# make bundle: a release tarball that installs with no network (政务内网).
#
#   dist/qingfeng-<version>-<python>-<platform>.tar.gz
#     wheels/               every locked runtime dependency (constraints.txt) and Qingfeng
#                           itself as wheels; Qingfeng's wheel carries the vendored front-end
#                           assets (Tabler, Alpine.js, ECharts, htmx) and compiled translations
#     constraints.txt       the versions, so the installer takes exactly these
#     install.sh            ./install.sh [PREFIX]: venv, wheels, keys, migrate, static files
#     system-packages.txt   the Debian packages to install from the intranet's mirror or media
#     deploy/               the systemd units, the nginx example, the log rotation
#     docs/                 operations.md, deploy-nginx.md, postgresql-roles.md
#     drill.py              the restore drill for real backups (drill.py --backup FILE)
#
# Wheels are built for the Python that builds the bundle (its minor version and platform: the
# name says which); build on the release of the target machine. The dependencies' wheels are
# kept in a cache keyed by the lock (below), so a second build needs no network and no
# dependency resolution, only Qingfeng's own wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
VERSION="$("$PY" -c 'import tomllib; print(tomllib.load(open("pyproject.toml","rb"))["project"]["version"])')"
TAG="$("$PY" -c 'import sys, sysconfig; print(f"cp{sys.version_info[0]}{sys.version_info[1]}-" + sysconfig.get_platform().replace("-", "_"))')"
NAME="qingfeng-$VERSION-$TAG"
OUT="${BUNDLE_DIR:-dist}"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
ROOT="$STAGE/$NAME"
mkdir -p "$ROOT/wheels" "$ROOT/deploy" "$ROOT/docs"

test -f src/qingfeng/static/vendor/.built || { echo "front-end assets not built: make assets" >&2; exit 1; }
ls src/qingfeng/locale/*/LC_MESSAGES/django.mo >/dev/null || { echo "translations not compiled: make assets" >&2; exit 1; }

echo "== wheels (runtime dependencies, locked by constraints.txt, and Qingfeng)"
started=$SECONDS
cp constraints.txt "$ROOT/constraints.txt"
# The dependencies' wheels are kept between builds (BUNDLE_WHEEL_CACHE, default
# ~/.cache/qingfeng/bundle-wheels/, outside the work tree so a fresh clone reuses them), under a
# key of the Python tag and the lock: the same constraints and dependencies give the same
# wheels, so a rebuild only makes Qingfeng's own wheel.
DEPS="$("$PY" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml","rb"))["project"]["dependencies"]))')"
KEY="$TAG-$(printf '%s\n' "$DEPS" | cat - constraints.txt | sha256sum | cut -c1-16)"
CACHE="${BUNDLE_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qingfeng/bundle-wheels}/$KEY"
if [ ! -f "$CACHE/.complete" ]; then
  rm -rf "$CACHE" && mkdir -p "$CACHE"
  printf '%s\n' "$DEPS" > "$STAGE/requirements.txt"
  "$PY" -m pip wheel --quiet --wheel-dir "$CACHE" -c constraints.txt -r "$STAGE/requirements.txt"
  touch "$CACHE/.complete"
  echo "   dependencies built into the wheel cache $CACHE"
else
  echo "   dependencies from the wheel cache $CACHE"
fi
cp "$CACHE"/*.whl "$ROOT/wheels/"
"$PY" -m pip wheel --quiet --no-deps --wheel-dir "$ROOT/wheels" .
echo "   $(ls "$ROOT/wheels" | wc -l) wheels in $((SECONDS - started)) s"
# Qingfeng's own wheel must carry what is not Python.
"$PY" - "$ROOT/wheels" <<'PY'
import sys, zipfile
from pathlib import Path

[wheel] = Path(sys.argv[1]).glob("qingfeng-*.whl")
names = zipfile.ZipFile(wheel).namelist()
for needed in ("qingfeng/static/vendor/", "qingfeng/locale/en/LC_MESSAGES/django.mo", "qingfeng/templates/"):
    if not any(n.startswith(needed) for n in names):
        sys.exit(f"{wheel.name} lacks {needed}")
PY

cp scripts/bundle-install.sh "$ROOT/install.sh"
chmod +x "$ROOT/install.sh"
cp scripts/drill.py "$ROOT/drill.py"
cp deploy/* "$ROOT/deploy/"
cp docs/operations.md docs/deploy-nginx.md docs/postgresql-roles.md "$ROOT/docs/"
cat > "$ROOT/system-packages.txt" <<'TXT'
# Debian packages Qingfeng uses (apt-get install from the intranet's mirror or install media):
fonts-wqy-microhei    # the TrueType Chinese font the unit posters embed in their PDF
postgresql-client     # pg_dump / pg_restore: backup and restore on PostgreSQL (not for SQLite)
nginx                 # the reverse proxy of docs/deploy-nginx.md (optional)
TXT
echo "$VERSION $TAG $(git rev-parse --short HEAD 2>/dev/null || echo unknown)" > "$ROOT/VERSION"

mkdir -p "$OUT"
tar -C "$STAGE" -czf "$OUT/$NAME.tar.gz" "$NAME"
echo "== $OUT/$NAME.tar.gz ($(du -h "$OUT/$NAME.tar.gz" | cut -f1))"
