"""On SQLite the task worker waits while the web keeps committing (core/jobs.py `give_way`):
a niced worker holding the single write lock stalls every submission behind it."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from huey.contrib.djhuey import HUEY

from qingfeng.core import jobs, tasks
from qingfeng.core.sqlite.base import DatabaseWrapper, quiet_for

pytestmark = [
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock"),
    pytest.mark.django_db,
]


@pytest.fixture
def file_db(tmp_path: Path) -> Iterator[tuple[DatabaseWrapper, Path]]:
    path = tmp_path / "probe.sqlite3"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (n INTEGER)")
    wrapper = DatabaseWrapper({**connection.settings_dict, "NAME": str(path)}, alias="probe")
    yield wrapper, path
    wrapper.close()


class Writer:
    """Another connection committing every `every` seconds until stopped: the web storing
    submissions."""

    def __init__(self, path: Path, every: float) -> None:
        self.path, self.every = path, every
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None)
        while not self.stop.is_set():
            conn.execute("INSERT INTO t VALUES (1)")
            time.sleep(self.every)
        conn.close()

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.thread.join()


def test_quiet_is_told_from_another_connections_commits(file_db: Any) -> None:
    wrapper, path = file_db
    assert quiet_for(wrapper, 0.1) is True
    with Writer(path, every=0.01):
        assert quiet_for(wrapper, 0.1) is False


def test_the_worker_waits_while_others_commit_and_at_most_its_limit(
    file_db: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    wrapper, path = file_db
    monkeypatch.setattr(jobs, "connection", wrapper)
    monkeypatch.setattr(jobs, "_background", True)
    settings.QF_WORKER_GIVE_WAY_SECONDS = 1
    assert jobs.give_way() < 0.5  # nobody writes: one quiet window
    with Writer(path, every=0.01):
        waited = jobs.give_way()
    assert 1 <= waited < 1.6  # it gave way for its whole limit, then went on

    settings.QF_WORKER_GIVE_WAY_SECONDS = 10
    writer = Writer(path, every=0.01)
    threading.Timer(0.6, writer.stop.set).start()
    with writer:
        waited = jobs.give_way()
    assert 0.6 <= waited < 5  # the writes stopped: it went on a quiet window or two later


def test_outside_the_worker_or_with_the_limit_at_zero_nothing_waits(
    file_db: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    wrapper, path = file_db
    monkeypatch.setattr(jobs, "connection", wrapper)
    settings.QF_WORKER_GIVE_WAY_SECONDS = 5
    with Writer(path, every=0.01):
        assert jobs.give_way() == 0.0  # a job run inline (a request, a test) never waits
        monkeypatch.setattr(jobs, "_background", True)
        settings.QF_WORKER_GIVE_WAY_SECONDS = 0
        assert jobs.give_way() == 0.0


def test_every_task_but_the_heartbeat_gives_way(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def recorded() -> float:
        calls.append("waited")
        return 0.0

    monkeypatch.setattr(jobs, "give_way", recorded)
    hook = HUEY._pre_execute["qingfeng-give-way"]
    hook(tasks.run_job_task.s(1))
    hook(tasks.fold_tallies.s())
    assert calls == ["waited", "waited"]
    hook(tasks.heartbeat.s())
    assert calls == ["waited", "waited"]
