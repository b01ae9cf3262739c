"""On SQLite the task worker waits while the web keeps writing (core/jobs.py `give_way`,
core/sqlite's write stamps): a niced worker holding the single write lock stalls every
submission behind it."""

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
from qingfeng.core.sqlite import base
from qingfeng.core.sqlite.base import DatabaseWrapper, others_wrote_ago

pytestmark = [
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock"),
    pytest.mark.django_db,
]


@pytest.fixture
def file_db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "probe.sqlite3"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (n INTEGER)")
    yield path


class Writer:
    """Another process's write transactions every `every` seconds until stopped, through
    the project's SQLite backend: the web storing submissions."""

    def __init__(self, path: Path, every: float) -> None:
        self.every, self.path = every, path
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        base.start_stamping()  # as a web process does (core.gunicorn_conf)
        self.wrapper = DatabaseWrapper({**connection.settings_dict, "NAME": str(self.path)}, "w")
        while not self.stop.is_set():
            # BEGIN IMMEDIATE through the backend, as `transaction.atomic()` starts one
            self.wrapper.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
            self.wrapper.cursor().execute("INSERT INTO t VALUES (1)")
            self.wrapper.commit()
            self.wrapper.set_autocommit(True)
            time.sleep(self.every)
        self.wrapper.close()

    def __enter__(self) -> Writer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.thread.join()


@pytest.fixture(autouse=True)
def _stamping_put_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "_stamping", base._stamping)


@pytest.fixture
def worker(file_db: Path, monkeypatch: pytest.MonkeyPatch, settings: Any) -> Any:
    """The task worker's side: its connection on the file, its process marked."""
    reader = DatabaseWrapper({**connection.settings_dict, "NAME": str(file_db)}, "r")
    monkeypatch.setattr(jobs, "connection", reader)
    monkeypatch.setattr(jobs, "_background", True)
    settings.QF_WORKER_GIVE_WAY_SECONDS = 1
    yield reader
    reader.close()


def test_a_write_transaction_stamps_its_time_for_the_worker(file_db: Path) -> None:
    assert others_wrote_ago(str(file_db)) is None  # nobody wrote yet
    with Writer(file_db, every=0.01):
        time.sleep(0.1)
        ago = others_wrote_ago(str(file_db))
        assert ago is not None and ago < 0.1
    time.sleep(0.3)
    ago = others_wrote_ago(str(file_db))
    assert ago is not None and ago >= 0.3


def test_the_worker_waits_while_others_write_and_at_most_its_limit(
    file_db: Path, worker: Any, settings: Any
) -> None:
    assert jobs.give_way() < 0.01  # nobody writes: no wait at all
    with Writer(file_db, every=0.01):
        time.sleep(0.05)
        waited = jobs.give_way()
    assert 1 <= waited < 1.5  # it gave way for its whole limit, then went on

    settings.QF_WORKER_GIVE_WAY_SECONDS = 10
    writer = Writer(file_db, every=0.01)
    threading.Timer(0.6, writer.stop.set).start()
    with writer:
        time.sleep(0.05)
        waited = jobs.give_way()
    assert 0.6 <= waited < 2  # the writes stopped: it went on a quiet quarter second later


def test_the_workers_own_writes_and_commands_do_not_stamp(
    file_db: Path, worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(base, "_stamping", False)  # not a web process
    reader = worker  # the worker's own connection
    reader.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    reader.cursor().execute("INSERT INTO t VALUES (1)")
    reader.commit()
    reader.set_autocommit(True)
    assert others_wrote_ago(str(file_db)) is None
    assert jobs.give_way() < 0.01
    assert not Path(f"{file_db}-writes").exists()


def test_outside_the_worker_or_with_the_limit_at_zero_nothing_waits(
    file_db: Path, worker: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    with Writer(file_db, every=0.01):
        time.sleep(0.05)
        monkeypatch.setattr(jobs, "_background", False)
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
