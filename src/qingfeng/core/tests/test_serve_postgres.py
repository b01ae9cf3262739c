"""`manage.py serve` on PostgreSQL, as a city or a province runs it: a burst of public reports
at once is served from each process's pool of connections (QF_PG_POOL) — the server never
holds more connections than the pools allow — every report is stored, and the audit chain,
written by all of them at once in its lanes, holds afterwards. With the pool exhausted, the
public channel is turned away at once (core/postgresql) and what was taken is stored."""

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
from django.db import connection

from qingfeng.core.publicform import work
from qingfeng.core.tests.liveserver import ROOT, free_port, run_python, server_env, wait_for
from qingfeng.core.tests.test_serve import CONTENT, Probe, Running
from qingfeng.intake.models import Ticket, TicketCategory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
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


def _serve(
    database: str, tmp_path: Path, *, pool: int, workers: int, **settings_env: str
) -> tuple[Running, dict[str, str], int]:
    """`serve` on the test's database with a pool of `pool` connections per process: the
    running server, its environment and the school's id."""
    env = server_env(tmp_path)
    env.update(
        DATABASE_URL=database,
        QF_PG_POOL=str(pool),
        QF_INTAKE_SUBMITS_PER_HOUR="1000",  # one test client stands for many citizens
        **settings_env,
    )
    run_python(["manage.py", "migrate", "--noinput", "-v", "0"], env)
    school = int(run_python(["manage.py", "shell", "-c", SETUP], env).strip().splitlines()[-1])
    port = free_port()
    log = tmp_path / "serve.log"
    command = ["manage.py", "serve", "--port", str(port), "--web-workers", str(workers)]
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, *command],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    running = Running(process, port, log, log)
    try:
        wait_for(running.url + "/healthz", process, log)
    except BaseException:
        running.stop()
        raise
    return running, env, school


def _public(running: Running, path: str) -> str:
    """A public GET answered 200. A server just started on a busy machine may run late for a
    while (its warm-up, the task worker's) and shed the public channel with 503 meanwhile, as
    it should; the test's set-up waits that out instead of failing on it."""
    deadline = time.monotonic() + 60
    while True:
        status, answer = Probe(running.url).send(path)
        if status != 503 or time.monotonic() > deadline:
            assert status == 200, answer
            return answer
        time.sleep(0.5)


def _reports(running: Running, school: int, count: int) -> list[dict[str, object]]:
    """`count` public reports, each with its proof of work solved."""
    categories = _public(running, "/api/intake/categories")
    category = json.loads(categories)[0]["id"]
    bodies = []
    for n in range(count):
        question = _public(running, "/api/intake/captcha")
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
    return bodies


def test_a_burst_is_served_from_the_pools_and_the_chain_holds(
    database: str, tmp_path: Path
) -> None:
    running, env, school = _serve(
        database,
        tmp_path,
        pool=POOL,
        workers=2,
        QF_SHED_QUEUE_MS="60000",  # a busy test machine must not turn the burst away
    )
    name = database.rsplit("/", 1)[1]
    try:
        bodies = _reports(running, school, REPORTS)
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
    served = running.output()
    assert "Traceback" not in served and "too many clients" not in served, served


HOLD = 3.0  # seconds the pool's one connection is kept waiting on a lock
SHED_MS = 300


def test_with_the_pool_exhausted_the_public_channel_is_turned_away_at_once(
    database: str, tmp_path: Path
) -> None:
    """One web process with one pooled connection; a report that holds it waits on a table
    another program locked, so every report after it waits for the pool. Once the longest
    of them has waited QF_SHED_QUEUE_MS the rest are answered 503 at once, not after the
    pool's 20 s; the reports taken are all stored once the lock goes."""
    running, _, school = _serve(
        database, tmp_path, pool=1, workers=1, QF_SHED_QUEUE_MS=str(SHED_MS)
    )
    sent = 40
    try:
        bodies = _reports(running, school, sent)
        with psycopg.connect(database) as blocker:
            blocker.execute(f"LOCK TABLE {TicketCategory._meta.db_table} IN ACCESS EXCLUSIVE MODE")
            began = time.monotonic()

            def submit(n: int) -> tuple[int, str, float]:
                # One report every HOLD / sent seconds while the lock is held.
                time.sleep(max(0.0, began + n * HOLD / sent - time.monotonic()))
                started = time.monotonic()
                status, answer = Probe(running.url).send("/api/intake/reports", json_body=bodies[n])
                return status, answer, time.monotonic() - started

            with ThreadPoolExecutor(sent) as pool:
                futures = [pool.submit(submit, n) for n in range(sent)]
                time.sleep(max(0.0, began + HOLD - time.monotonic()))
                blocker.rollback()  # the lock goes: the reports taken are served
                answers = [future.result() for future in futures]
        taken = [json.loads(answer)["number"] for status, answer, _ in answers if status == 201]
        shed = [(answer, took) for status, answer, took in answers if status == 503]
        assert len(taken) + len(shed) == sent, answers
        assert taken and shed, answers
        for answer, took in shed:
            assert json.loads(answer) == {"detail": "访问人数过多，系统繁忙，请稍后再试。"}
            assert took < 5, took  # at once, not after QF_PG_POOL_WAIT (20 s)
        with psycopg.connect(database) as reader:
            stored = reader.execute(
                f"SELECT number FROM {Ticket._meta.db_table}"  # noqa: S608 - our table's name
            ).fetchall()
        assert sorted(number for (number,) in stored) == sorted(taken)
    finally:
        running.stop()
    served = running.output()
    assert "Traceback" not in served and "PoolTimeout" not in served, served
