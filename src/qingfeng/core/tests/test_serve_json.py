"""`manage.py serve` with QF_LOG_FORMAT=json: every line the processes write to the console
(serve's own, gunicorn's arbiter and access lines, Django's and the task worker's records)
is one JSON object with the log file's fields, and none of them names the client of a public
request. The real process, parsed line by line (test_serve.py does the same for plain text)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from qingfeng.core.tests.test_serve import (
    AGENT,
    FORWARDED,
    PUBLIC,
    Site,
    file_reports,
    serving,
)
from qingfeng.core.tests.test_serve import site as site  # the fixture, a module's own

pytestmark = pytest.mark.own_database

FIELDS = {"time", "level", "logger", "message", "pid"}


def parse(text: str) -> list[dict[str, Any]]:
    records = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON line: {line!r}")
        assert isinstance(record, dict), line
        assert record.keys() >= FIELDS, line
        records.append(record)
    return records


def test_the_console_writes_json_lines_and_no_client(site: Site, tmp_path: Path) -> None:
    json_site = Site(site.data_dir, {**site.env, "QF_LOG_FORMAT": "json"}, site.units)
    with serving(json_site, tmp_path) as running:
        file_reports(running.url, site.units)
        time.sleep(1)  # the worker's jobs after commit get to run
        assert running.stop() == 0, running.output()
    out = parse(running.stdout.read_text(encoding="utf-8"))
    err = parse(running.stderr.read_text(encoding="utf-8"))
    records = out + err
    messages = [r["message"] for r in records]

    # serve's own lines, gunicorn's access lines, its arbiter, Django's warnings.
    assert any(m.startswith("serve pid ") and "worker pid" in m for m in messages), messages
    access = [r for r in records if r["logger"] == "gunicorn.access"]
    assert any('"POST /api/intake/reports" 201' in r["message"] for r in access), access
    assert any(r["logger"] == "gunicorn.error" for r in records), records
    not_found = [r for r in records if r["message"] == "Not Found: /report/no-such-page/"]
    assert not_found and not_found[0]["level"] == "WARNING", records
    assert len({r["pid"] for r in records}) >= 3  # serve, gunicorn's arbiter and worker, …

    for record in records:
        line = json.dumps(record, ensure_ascii=False)
        assert AGENT not in line and "Marker-7f3a" not in line and FORWARDED not in line, line
        assert not (PUBLIC.search(line) and "127.0.0.1" in line), line
