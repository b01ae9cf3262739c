"""A web worker loads, before its first connection, what its first request would pay for
(core.warmup), and writes nothing doing so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

PROBE = """
import json, sys
import django
django.setup()
from django.db import connections
from django.urls import get_resolver
before = {"api": "qingfeng.api.urls" in sys.modules}
from qingfeng.core.gunicorn_conf import post_worker_init

class Log:
    lines = []
    def debug(self, msg, *args):
        self.lines.append(msg % args)

class Worker:
    log = Log()

post_worker_init(Worker())
print(json.dumps({
    **{"before_" + k: v for k, v in before.items()},
    "api": "qingfeng.api.urls" in sys.modules,
    "populated": get_resolver()._populated,
    "logged": Worker.log.lines,
    "connected": [alias for alias in connections if connections[alias].connection is not None],
    "pooled": __import__("qingfeng.core.sqlite.base", fromlist=["idle_count"]).idle_count(),
    "tables": __import__("sqlite3").connect(
        connections["default"].settings_dict["NAME"]
    ).execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0],
}))
"""


def test_a_worker_loads_the_url_modules_before_its_first_request(tmp_path: Path) -> None:
    # A fresh interpreter (this test process has long imported everything), on an SQLite file
    # of its own: the connection pool is SQLite's.
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["QF_DATA_DIR"] = str(tmp_path)
    out = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", PROBE],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["before_api"] is False  # django.setup() alone leaves the URL modules unloaded
    assert result["api"] is True
    assert result["populated"] is True
    # The connection it opened is closed again, into the process's pool, where the first
    # request finds it; nothing was written (no table made in the empty database).
    assert result["connected"] == [] and result["pooled"] == 1
    assert result["tables"] == 0
    assert len(result["logged"]) == 1 and result["logged"][0].startswith("warmed up in ")
