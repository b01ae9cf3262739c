"""A web worker loads, before its first connection, what its first request would pay for
(core.warmup), and does so without touching the database."""

from __future__ import annotations

import json
import subprocess
import sys
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
}))
"""


def test_a_worker_loads_the_url_modules_before_its_first_request_without_a_database() -> None:
    # A fresh interpreter: this test process has long imported everything.
    out = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["before_api"] is False  # django.setup() alone leaves the URL modules unloaded
    assert result["api"] is True
    assert result["populated"] is True
    assert result["connected"] == []  # no database connection opened, nothing written
    assert len(result["logged"]) == 1 and result["logged"][0].startswith("warmed up in ")
