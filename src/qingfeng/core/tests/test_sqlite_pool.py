"""The SQLite backend keeps closed connections open per process for the next request."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.db.utils import ConnectionHandler
from django.test import RequestFactory

from qingfeng.core import waits
from qingfeng.core.sqlite import base as pool
from qingfeng.core.unavailable import server_error


def wrapper(name: str, size: int = 2) -> Any:
    handler = ConnectionHandler(
        {
            "default": {"ENGINE": "django.db.backends.dummy"},
            "pooltest": {
                "ENGINE": "qingfeng.core.sqlite",
                "NAME": name,
                "OPTIONS": {"pool_size": size, "transaction_mode": "IMMEDIATE"},
            },
        }
    )
    return handler["pooltest"]


class TestPool:
    @pytest.fixture(autouse=True)
    def _setup(self, django_db_blocker):
        # A database of its own, beside the tests' database: the blocker guards that one.
        pool.drain()
        with tempfile.TemporaryDirectory() as folder, django_db_blocker.unblock():
            self.path = str(Path(folder) / "pool.sqlite3")
            yield
            pool.drain()

    def test_a_closed_connection_is_taken_again_by_the_next_request(self) -> None:
        first = wrapper(self.path)
        with first.cursor() as cursor:
            cursor.execute("CREATE TABLE t (x INTEGER)")
        raw = first.connection
        first.close()
        assert pool.idle_count() == 1
        second = wrapper(self.path)
        with second.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM t")
            assert cursor.fetchone() == (0,)
        assert second.connection is raw
        assert pool.idle_count() == 0
        assert second.get_autocommit()
        second.close()

    def test_an_open_transaction_is_rolled_back_before_the_connection_is_kept(self) -> None:
        setup = wrapper(self.path)
        with setup.cursor() as cursor:
            cursor.execute("CREATE TABLE t (x INTEGER)")
        setup.close()
        writer = wrapper(self.path)
        writer.set_autocommit(False)
        with writer.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (1)")
        assert writer.connection.in_transaction
        writer.close()
        reader = wrapper(self.path)
        with reader.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM t")
            assert cursor.fetchone() == (0,)
        assert not reader.connection.in_transaction
        reader.close()

    def test_the_pool_is_bounded_and_drain_closes_what_it_holds(self) -> None:
        opened = [wrapper(self.path, size=2) for _ in range(3)]
        for db in opened:
            db.ensure_connection()
        raws = [db.connection for db in opened]
        for db in opened:
            db.close()
        assert pool.idle_count() == 2
        assert pool.drain() == 2
        assert pool.idle_count() == 0
        for raw in raws:  # every one is closed: kept ones by drain, the third at once
            with pytest.raises(sqlite3.ProgrammingError):
                raw.execute("SELECT 1")

    def test_size_zero_and_memory_databases_are_not_pooled(self) -> None:
        off = wrapper(self.path, size=0)
        off.ensure_connection()
        off.close()
        memory = wrapper(":memory:")
        memory.ensure_connection()
        memory.close()
        assert pool.idle_count() == 0

    def test_a_writer_waits_for_the_lock_and_the_wait_is_seen(self) -> None:
        import threading
        import time

        from django.db import OperationalError

        setup = wrapper(self.path)
        with setup.cursor() as cursor:
            cursor.execute("CREATE TABLE t (x INTEGER)")
        setup.close()
        holder = wrapper(self.path)
        holder.ensure_connection()
        holder.set_autocommit(False)  # Django's atomic: autocommit off, BEGIN IMMEDIATE
        holder._start_transaction_under_autocommit()
        seen: list[float] = []
        done: list[str] = []

        def write() -> None:
            db = wrapper(self.path)
            db.ensure_connection()
            db._start_transaction_under_autocommit()
            with db.cursor() as cursor:
                cursor.execute("INSERT INTO t VALUES (2)")
            db.commit()
            db.close()
            done.append("written")

        thread = threading.Thread(target=write)
        thread.start()
        time.sleep(0.3)
        seen.append(waits.longest())
        with holder.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (1)")
        holder.commit()
        thread.join(5)
        assert done == ["written"]
        assert seen[0] > 0.2  # the second writer queued for as long as the first held the lock
        assert waits.longest() == 0.0
        # A writer that waits out its timeout behind a writer of its own process: the process
        # is over capacity, and the error says so (core.unavailable answers it as an overload).
        holder._start_transaction_under_autocommit()
        queued = wrapper(self.path)
        queued.ensure_connection()
        queued.busy_seconds = 0.2
        with pytest.raises(OperationalError) as refused:
            queued._start_transaction_under_autocommit()
        assert isinstance(refused.value.__cause__, waits.WaitedTooLong)
        assert "database is locked" in str(refused.value)
        try:
            raise refused.value
        except OperationalError:
            answer = server_error(RequestFactory().post("/api/intake/reports"))  # as handler500
        assert answer.status_code == 503 and answer["Retry-After"] == "5"  # not the outage's 30
        assert answer._has_been_logged  # type: ignore[attr-defined]  # no traceback apiece
        holder.rollback()
        queued.close()
        # Past the timeout the error is the usual one, and the lock is not left held.
        short = wrapper(self.path)
        short.busy_seconds = 0.2
        short.ensure_connection()
        short.busy_seconds = 0.2
        blocker = sqlite3.connect(self.path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        with pytest.raises(OperationalError):
            short._start_transaction_under_autocommit()
        blocker.rollback()
        blocker.close()
        short._start_transaction_under_autocommit()
        short.rollback()
        short.close()
        holder.set_autocommit(True)
        holder.close()
