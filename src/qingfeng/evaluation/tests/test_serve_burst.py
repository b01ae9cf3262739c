"""Ratings through the real server (`manage.py serve`, as production runs it) while its web
process's writers queue for SQLite's write lock: the ratings that come in while the queue is
long are turned away at once with 503 (core/capacity.py), the ones let in are stored when the
lock comes free, none fails with "database is locked", and every 201 is a stored rating.

The write lock is held from this test for a few seconds, as a long write transaction of
another process would hold it. Before the public rating API was shed, every rating of such a
queue waited for the lock, and past the busy timeout (10 s) failed with "database is locked"
(the burst of 100 ratings a second in bench/RESULTS.md, "Evaluation")."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from qingfeng.core.tests.liveserver import run_python
from qingfeng.core.tests.test_serve import Site, serving
from qingfeng.core.tests.test_serve import (
    site as site,  # the module's fixture: a migrated small city
)
from qingfeng.evaluation.tests.test_serve_privacy import OPEN_ROUND

pytestmark = pytest.mark.own_database  # SQLite of its own: once, in the SQLite pass

HOLD = 4.0  # seconds the write lock is held
RATINGS = 40  # sent one every SPACING seconds while it is held
SPACING = 0.075


def post_rating(url: str, school: int, key: str) -> tuple[int, float]:
    """One rating through the API: its status and how long its answer took."""
    body = json.dumps({"respondent_type": "parent", "overall": 4}).encode()
    request = urllib.request.Request(  # noqa: S310 - the test's own server
        f"{url}/api/evaluation/units/{school}/ratings",
        data=body,
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            status = int(answer.status)
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.monotonic() - started


def test_ratings_queued_for_the_write_lock_are_shed_never_locked(
    site: Site, tmp_path: Path
) -> None:
    run_python(
        ["manage.py", "shell", "-c", OPEN_ROUND.format(county=site.units["county"])], site.env
    )
    env = {
        **site.env,
        "QF_SHED_QUEUE_MS": "1000",  # the module's fixture turns shedding off
        # One test client stands for many raters: the address signal would ask for the check.
        "QF_EVALUATION_RATES_PER_HOUR": "100000",
        "QF_EVALUATION_HUMAN_CHECK": "0",
    }
    school = site.units["school"]
    with serving(Site(site.data_dir, env, site.units), tmp_path) as running:
        # The first rating loads the API in the web process (a busy test machine may shed it).
        for _try in range(10):
            if post_rating(running.url, school, "burst-warm-0001")[0] in (200, 201):
                break
            time.sleep(1)
        else:
            raise AssertionError(running.output())
        holder = sqlite3.connect(site.data_dir / "qingfeng.sqlite3", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        answers: dict[str, tuple[int, float]] = {}

        def send(key: str) -> None:
            answers[key] = post_rating(running.url, school, key)

        threads = []
        held = time.monotonic()
        for i in range(RATINGS):
            thread = threading.Thread(target=send, args=(f"burst-held-{i:04d}",))
            thread.start()
            threads.append(thread)
            time.sleep(SPACING)
        time.sleep(max(0.0, held + HOLD - time.monotonic()))
        holder.execute("COMMIT")
        holder.close()
        for thread in threads:
            thread.join(60)
        time.sleep(0.5)
        assert running.stop() == 0, running.output()
    output = running.output()
    assert "database is locked" not in output, output

    statuses = sorted({status for status, _seconds in answers.values()})
    assert statuses == [201, 503], (statuses, output)
    # Turned away at once: not after waiting for the lock (HOLD), nor for the busy timeout.
    refused = [seconds for status, seconds in answers.values() if status == 503]
    assert max(refused) < HOLD, refused
    database = sqlite3.connect(site.data_dir / "qingfeng.sqlite3")
    stored = {
        key
        for (key,) in database.execute(
            "SELECT idempotency_key FROM evaluation_response WHERE idempotency_key LIKE ?",
            ("burst-held-%",),
        )
    }
    database.close()
    assert stored == {key for key, (status, _s) in answers.items() if status == 201}
