"""`manage.py serve` on PostgreSQL, as a city or a province runs it: a burst of public reports
at once is served from each process's pool of connections (QF_PG_POOL) — the server never
holds more connections than the pools allow — every report is stored, and the audit chain,
written by all of them at once in its lanes, holds afterwards."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

from qingfeng.core.publicform import work
from qingfeng.core.tests.liveserver import ROOT, free_port, run_python, server_env, wait_for
from qingfeng.core.tests.test_serve import CONTENT, Probe, Running

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="PostgreSQL's connections and advisory locks",
)

POOL = 3
REPORTS = 30

SETUP = """
from qingfeng.orgs.models import Unit
from qingfeng.test import make_unit
city = make_unit("清风市教育局", Unit.Kind.BUREAU, None, "PGSRV0")
school = make_unit("清风市第一中学", Unit.Kind.SCHOOL, city, "PGSRV1")
print(school.pk)
"""


def _admin_url() -> str:
    db = settings.DATABASES["default"]
    return (
        f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} "
        f"user={db['USER']} dbname=postgres"
        + (f" password={db['PASSWORD']}" if db["PASSWORD"] else "")
    )


@pytest.fixture
def database() -> Iterator[str]:
    """A database of the test's own on the test server, dropped afterwards."""
    name = f"qf_serve_{secrets.token_hex(4)}"
    with psycopg.connect(_admin_url(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    db = settings.DATABASES["default"]
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    yield f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    with psycopg.connect(_admin_url(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _connections(name: str) -> int:
    with psycopg.connect(_admin_url(), autocommit=True) as admin:
        row = admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name])
        return int(row.fetchone()[0])  # type: ignore[index]


def test_a_burst_is_served_from_the_pools_and_the_chain_holds(
    database: str, tmp_path: Path
) -> None:
    env = server_env(tmp_path)
    env.update(
        DATABASE_URL=database,
        QF_PG_POOL=str(POOL),
        QF_SHED_QUEUE_MS="60000",  # a busy test machine must not turn the burst away
        QF_INTAKE_SUBMITS_PER_HOUR="1000",  # one test client stands for many citizens
    )
    run_python(["manage.py", "migrate", "--noinput", "-v", "0"], env)
    school = int(run_python(["manage.py", "shell", "-c", SETUP], env).strip().splitlines()[-1])
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", "serve", "--port", str(port), "--web-workers", "2"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    running = Running(process, port, log, log)
    name = database.rsplit("/", 1)[1]
    try:
        wait_for(running.url + "/healthz", process, log)
        probe = Probe(running.url)
        status, categories = probe.send("/api/intake/categories")
        assert status == 200, categories
        category = json.loads(categories)[0]["id"]
        bodies = []
        for n in range(REPORTS):
            status, question = Probe(running.url).send("/api/intake/captcha")
            assert status == 200, question
            bodies.append(
                {
                    "kind": "complaint",
                    "category_id": category,
                    "unit_id": school,
                    "title": f"收费问题之{n}",
                    "content": CONTENT + f"（第{n}份）",
                    "work_solution": work.solve(json.loads(question)["work"]),
                }
            )
        most = 0
        done = threading.Event()

        def watch() -> None:
            nonlocal most
            while not done.is_set():
                most = max(most, _connections(name))
                time.sleep(0.02)

        watcher = threading.Thread(target=watch)
        watcher.start()
        barrier = threading.Barrier(REPORTS)

        def submit(body: dict[str, object]) -> tuple[int, str]:
            barrier.wait(timeout=60)
            return Probe(running.url).send("/api/intake/reports", json_body=body)

        try:
            with ThreadPoolExecutor(REPORTS) as pool:
                answers = list(pool.map(submit, bodies))
        finally:
            done.set()
            watcher.join()
        assert [status for status, _ in answers] == [201] * REPORTS, answers
        codes = {json.loads(answer)["receipt_code"] for _, answer in answers}
        assert len(codes) == REPORTS
        # Two web processes and the task worker, each with its pool, and serve's own check.
        assert most <= 3 * POOL + 1, most
    finally:
        running.stop()
    verified = run_python(["manage.py", "verify_audit"], env)
    assert "审计链完整" in verified, verified
    served = log.read_text(errors="replace")
    assert "Traceback" not in served and "too many clients" not in served, served
