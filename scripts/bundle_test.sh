#!/usr/bin/env bash
# make bundle-test: install the offline bundle where there is no network and reach /healthz.
#
#   scripts/bundle_test.sh [dist/qingfeng-….tar.gz]     (default: the newest bundle in dist/)
#
# The bundle is unpacked and ./install.sh runs inside a new network namespace (`unshare -n` as
# root, else `unshare -rn` in a user namespace): only a loopback interface, no route anywhere,
# so pip can reach no index and nothing else can be fetched. In the same namespace the
# installed `qingfeng serve` starts and must answer /healthz, the sign-in page and a static file.
set -euo pipefail
cd "$(dirname "$0")/.."
BUNDLE="${1:-$(ls -t dist/qingfeng-*.tar.gz 2>/dev/null | head -1)}"
[ -n "$BUNDLE" ] && [ -f "$BUNDLE" ] || { echo "no bundle: make bundle first" >&2; exit 1; }
BUNDLE="$(realpath "$BUNDLE")"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
tar -C "$WORK" -xzf "$BUNDLE"
DIR="$(find "$WORK" -mindepth 1 -maxdepth 1 -type d)"
PYTHON="${PYTHON:-python3}"
if [ "$(id -u)" = "0" ]; then UNSHARE=(unshare -n); else UNSHARE=(unshare -rn); fi
started=$SECONDS
"${UNSHARE[@]}" env -i PATH="$PATH" HOME="$WORK" LANG=C.UTF-8 PYTHON="$PYTHON" \
  bash -euo pipefail -s "$DIR" "$WORK/prefix" <<'INNER'
DIR="$1"; PREFIX="$2"
ip link set lo up 2>/dev/null || true
echo "== inside a network namespace: $(ip -o link | wc -l) interface(s), routes: $(ip route | wc -l)"
if "$PYTHON" -c 'import socket; socket.create_connection(("1.1.1.1", 443), timeout=3)' 2>/dev/null; then
  echo "the namespace reaches the internet: not an offline test" >&2; exit 1
fi
"$DIR/install.sh" "$PREFIX"
PORT=18431
"$PREFIX/qingfeng" serve --host 127.0.0.1 --port $PORT --web-workers 1 > "$PREFIX/serve.log" 2>&1 &
SERVE=$!
"$PREFIX/venv/bin/python" - "$PORT" <<'PY' || { cat "$PREFIX/serve.log"; kill $SERVE; exit 1; }
import json, sys, time, urllib.request
base = f"http://127.0.0.1:{sys.argv[1]}"
deadline = time.monotonic() + 120
while True:
    try:
        health = json.load(urllib.request.urlopen(base + "/healthz", timeout=3))
        break
    except Exception:
        if time.monotonic() > deadline:
            sys.exit("no answer from /healthz")
        time.sleep(0.3)
print("== /healthz:", health)
assert health["status"] == "ok", health
assert urllib.request.urlopen(base + "/accounts/login/", timeout=10).status == 200
page = urllib.request.urlopen(base + "/accounts/login/", timeout=10).read().decode()
css = next(p.split('"')[0] for p in page.split('href="/static/')[1:] if ".css" in p.split('"')[0])
assert urllib.request.urlopen(f"{base}/static/{css}", timeout=10).status == 200
print("== sign-in page and /static/" + css + " answer 200")
PY
kill $SERVE; wait $SERVE || true
INNER
echo "== bundle test passed: installed offline and served in $((SECONDS - started)) s"
