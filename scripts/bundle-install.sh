#!/bin/sh
# Install Qingfeng from this bundle with no network: ./install.sh [PREFIX]   (default /opt/qingfeng)
#
#   PREFIX/venv/          the Python environment, from the bundle's wheels only (--no-index)
#   PREFIX/qingfeng.env   settings and fresh keys (made once, never replaced; keep a copy of the
#                         keys apart from the backups: docs/operations.md)
#   PREFIX/var/           data: the SQLite database, uploads, backups, logs, drill records
#   PREFIX/qingfeng       the command: `PREFIX/qingfeng serve` runs the web server and the task
#                         worker; any manage.py command works the same (backup, restore, …)
#
# Then:  PREFIX/qingfeng serve --host 127.0.0.1 --port 8000
#   or:  cp PREFIX/deploy/qingfeng.service /etc/systemd/system/ && systemctl enable --now qingfeng
# Set PYTHON to choose the interpreter (Python 3.11+, the minor version the bundle was built for).
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
PREFIX="${1:-/opt/qingfeng}"
PYTHON="${PYTHON:-python3}"
read -r VERSION TAG COMMIT < "$HERE/VERSION"

command -v "$PYTHON" >/dev/null 2>&1 || { echo "需要 Python 3.11 以上 (Python 3.11+ needed): $PYTHON not found" >&2; exit 1; }
HAVE="$("$PYTHON" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')"
WANT="${TAG%%-*}"
if [ "$HAVE" != "$WANT" ]; then
  echo "此安装包为 $WANT 构建，本机 $PYTHON 是 $HAVE；请用对应版本的 Python（PYTHON=python3.x ./install.sh）" >&2
  echo "(this bundle was built for $WANT, $PYTHON is $HAVE: set PYTHON, or build the bundle with that Python)" >&2
  exit 1
fi

echo "== 清风 $VERSION ($COMMIT) → $PREFIX"
mkdir -p "$PREFIX/var"
[ -x "$PREFIX/venv/bin/python" ] || "$PYTHON" -m venv "$PREFIX/venv"
# Only the bundle's wheels: no index, no network. The bytecode is compiled afterwards on every
# core at once (pip compiles file by file, which took most of the install's time); compiled
# here because the service's user may not be allowed to write it beside the sources later.
"$PREFIX/venv/bin/python" -m pip install --quiet --no-index --no-cache-dir --disable-pip-version-check \
  --no-compile --find-links "$HERE/wheels" -c "$HERE/constraints.txt" --upgrade qingfeng
"$PREFIX/venv/bin/python" -m compileall -q -j 0 "$PREFIX/venv/lib" >/dev/null \
  || echo "   (some files of the dependencies did not compile; pip skips those too)"

ENV_FILE="$PREFIX/qingfeng.env"
if [ ! -f "$ENV_FILE" ]; then
  umask 077
  "$PREFIX/venv/bin/python" - "$ENV_FILE" "$PREFIX/var" <<'PY'
import base64, secrets, sys
path, data = sys.argv[1], sys.argv[2]
key = lambda: base64.b64encode(secrets.token_bytes(32)).decode()
lines = [
    "# Qingfeng settings (README: Configuration). The keys decrypt personal data and sign the",
    "# audit chain: keep a copy apart from the backups (`qingfeng backup --export-keys FILE`).",
    f"SECRET_KEY={secrets.token_urlsafe(50)}",
    f"QF_FIELD_KEY={key()}",
    f"QF_INDEX_KEY={key()}",
    f"QF_AUDIT_KEY={key()}",
    f"QF_DATA_DIR={data}",
    "ALLOWED_HOSTS=127.0.0.1,localhost",
    "# DATABASE_URL=postgres://qingfeng@db.example/qingfeng   REDIS_URL=redis://cache.example:6379/0",
    "# QF_HTTPS=1   QF_BEHIND_PROXY=1   QF_PUBLIC_BASE_URL=https://jyj.example.gov.cn",
]
open(path, "w", encoding="utf-8").write("\n".join(lines) + "\n")
PY
  umask 022
  echo "   wrote $ENV_FILE (fresh keys)"
fi

cat > "$PREFIX/qingfeng" <<SH
#!/bin/sh
# Qingfeng's command (manage.py) with this installation's settings.
export QF_ENV_FILE="$ENV_FILE"
exec "$PREFIX/venv/bin/qingfeng" "\$@"
SH
chmod +x "$PREFIX/qingfeng"
mkdir -p "$PREFIX/deploy" "$PREFIX/docs"
for file in "$HERE"/deploy/*; do  # the examples name this installation's place
  sed "s|/opt/qingfeng|$PREFIX|g" "$file" > "$PREFIX/deploy/$(basename "$file")"
done
cp "$HERE"/docs/* "$PREFIX/docs/"
cp "$HERE/drill.py" "$PREFIX/drill.py"

"$PREFIX/qingfeng" migrate --noinput
"$PREFIX/qingfeng" collectstatic --noinput --verbosity 0
"$PREFIX/qingfeng" check

missing=""
for package in fonts-wqy-microhei; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing="$missing $package"
done
[ -z "$missing" ] || echo "   缺少系统软件包 (system packages missing):$missing — see system-packages.txt; posters need the font"

cat <<TXT
== 安装完成 (installed)
   启动 (start):      $PREFIX/qingfeng serve --host 127.0.0.1 --port 8000
   演示数据 (demo):    $PREFIX/qingfeng seed_demo --size county --if-empty && $PREFIX/qingfeng seed_demo_cases --if-empty
   systemd:           $PREFIX/deploy/qingfeng.service  (docs/operations.md)
TXT
