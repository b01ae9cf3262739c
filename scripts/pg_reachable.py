"""Exit 0 when the PostgreSQL server named by the URL accepts a connection."""

from __future__ import annotations

import sys

import dj_database_url
import psycopg

url = sys.argv[1]
if not url.startswith(("postgres://", "postgresql://")):
    sys.exit(1)
cfg = dj_database_url.parse(url)
try:
    psycopg.connect(
        host=cfg["HOST"] or None,
        port=cfg["PORT"] or None,
        user=cfg["USER"] or None,
        password=cfg["PASSWORD"] or None,
        dbname=cfg["NAME"] or "postgres",
        connect_timeout=3,
    ).close()
except psycopg.Error:
    sys.exit(1)
