"""Ratings through the real server (`manage.py serve`, gunicorn and the task worker, as
production runs it), from the rating page and from the API, with marked headers: afterwards
no table, no file under the data directory and no line the processes wrote holds the
client's address, its user agent or the referrer (core/tests/test_serve.py does the same for
the intake channel)."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from qingfeng.core.tests.liveserver import run_python
from qingfeng.core.tests.test_serve import (
    AGENT,
    FORWARDED,
    PROBE_HEADERS,
    Probe,
    Site,
    hidden,
    serving,
)
from qingfeng.core.tests.test_serve import (
    site as site,  # the module's fixture: a migrated small city
)

pytestmark = pytest.mark.own_database  # SQLite of its own: once, in the SQLite pass

PUBLIC = re.compile(r"/(rate|api/evaluation)/")
COMMENT = "食堂饭菜分量不足，孩子反映经常吃不饱，希望学校核实整改。"
OPEN_ROUND = """
from qingfeng.evaluation import actions
from qingfeng.orgs.models import Role, RoleAssignment, Unit
admin = RoleAssignment.objects.filter(role=Role.BUREAU_ADMIN, revoked_at=None).first().user
county = Unit.objects.get(pk={county})
round_ = actions.check_create_round(actor=admin, owner=county, name="隐私测试评议", kinds=["school"])
actions.check_open_round(round_, actor=admin)
"""


def rate(url: str, school: int) -> None:
    """One rating through the page (a phone keeps its cookie), one through the API."""
    probe = Probe(url)
    page_url = f"/rate/u/{school}/"
    status, form = probe.send(page_url)
    assert status == 200, form
    fields = {
        "csrfmiddlewaretoken": hidden(form, "csrfmiddlewaretoken"),
        "idempotency_key": hidden(form, "idempotency_key"),
        "form_token": hidden(form, "form_token"),
        "respondent_type": "parent",
        "overall": "2",
        "comment": COMMENT,
    }
    status, thanks = probe.send(page_url, data=urllib.parse.urlencode(fields).encode())
    assert status == 200 and "感谢您的评价" in thanks, thanks

    body = json.dumps({"respondent_type": "student", "overall": 5}).encode()
    request = urllib.request.Request(  # noqa: S310 - the test's own server
        f"{url}/api/evaluation/units/{school}/ratings",
        data=body,
        headers={
            **PROBE_HEADERS,
            "Content-Type": "application/json",
            "Idempotency-Key": "privacy-probe-0001",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:  # noqa: S310
            assert answer.status == 201, answer.read()
    except urllib.error.HTTPError as error:  # pragma: no cover - the failure's text
        raise AssertionError(error.read().decode()) from error
    assert probe.send(f"/rate/u/{school}/")[0] == 200  # the page again, the cookie sent back
    assert probe.send("/rate/u/999999/")[0] == 404


def test_no_network_metadata_of_a_rating_is_written_anywhere(site: Site, tmp_path: Path) -> None:
    run_python(
        ["manage.py", "shell", "-c", OPEN_ROUND.format(county=site.units["county"])], site.env
    )
    with serving(site, tmp_path) as running:
        rate(running.url, site.units["school"])
        time.sleep(1)
        assert running.stop() == 0, running.output()
    output = running.output()
    assert f'"POST /api/evaluation/units/{site.units["school"]}/ratings" 201' in output, output

    secrets = (AGENT, "Marker-7f3a", FORWARDED, "127.0.0.1")
    found = []
    database = sqlite3.connect(site.data_dir / "qingfeng.sqlite3")
    # The two ratings this test sent (the browser tests' data holds a published round too).
    stored = database.execute(
        "SELECT comment FROM evaluation_response WHERE round_id IN "
        "(SELECT id FROM evaluation_round WHERE name = '隐私测试评议')"
    ).fetchall()
    assert (COMMENT,) in stored and len(stored) == 2, stored
    tables = [r[0] for r in database.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    for table in tables:
        for row in database.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - names from the schema
            for value in row:
                text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
                if any(s in text for s in secrets):
                    found.append(f"{table}: {text[:200]}")
    database.close()
    # Every file under the data directory raw, except the log files: they hold what the
    # processes wrote, and are read line by line with it below (as core/tests/test_serve.py).
    logs = site.data_dir / "logs"
    for path in site.data_dir.rglob("*"):
        if path.is_file() and path.parent != logs:
            raw = path.read_bytes()
            found += [f"{path} holds {s}" for s in secrets if s.encode() in raw]
    logged = "\n".join(p.read_text(encoding="utf-8") for p in sorted(logs.glob("*.log")))
    assert "/ratings" in logged, logged  # the access lines are kept, without the address
    # No marker anywhere; no address at all on a line about a public request (the server's
    # own "Listening at" address may be in the log).
    for line in [*output.splitlines(), *logged.splitlines()]:
        if any(s in line for s in secrets[:3]) or (PUBLIC.search(line) and "127.0.0.1" in line):
            found.append(line)
    assert not found, "\n".join(found)
