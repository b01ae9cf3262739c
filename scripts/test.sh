#!/usr/bin/env bash
# The whole suite on SQLite, then on PostgreSQL when it is reachable (required when
# QF_REQUIRE_POSTGRES=1, as in CI). Browser tests run in the SQLite pass where Chromium exists.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG_URL="${QF_TEST_POSTGRES_URL:-${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}}"
WORKERS="${QF_TEST_WORKERS:-2}"

echo "== tests on SQLite"
env -u DATABASE_URL "$PY" -m pytest -n "$WORKERS" -q "$@"

if "$PY" scripts/pg_reachable.py "$PG_URL"; then
  echo "== tests on PostgreSQL"
  # Browser tests and the real-server tests run on their own SQLite database whatever
  # DATABASE_URL says: the SQLite pass ran them.
  DATABASE_URL="$PG_URL" "$PY" -m pytest -n "$WORKERS" -q -m "not e2e and not own_database" "$@"
elif [ "${QF_REQUIRE_POSTGRES:-0}" = "1" ]; then
  echo "PostgreSQL is required (QF_REQUIRE_POSTGRES=1) but not reachable at $PG_URL" >&2
  exit 1
else
  echo "== PostgreSQL not reachable at $PG_URL: skipped the PostgreSQL pass"
fi
