"""SQLite with open connections kept per process, so a request does not pay for opening one.

Under `serve` each connection's greenlet has its own database connection, closed at the end
of its request (`CONN_MAX_AGE` 0: kept, they would be one per connection ever served). On
SQLite, opening one is not free: the file is opened, the schema of every table and index is
read and parsed, and the connection's PRAGMAs run — a few milliseconds, measured as the
largest single cost of a small API request (`bench/serve.py`, `bench/README.md`). This
backend is Django's, except that closing a file database's connection hands it to a small
per-process pool (at most `QF_SQLITE_POOL` connections; 0 turns it off) and the next request
of the process takes it from there. A connection goes back only when no transaction is open
on it (one left open is rolled back first, and dropped if that fails); a pool inherited
across a fork is never used (SQLite forbids carrying a connection into a child process); an
in-memory database is never pooled. `drain()` closes the idle connections: a restore calls
it before it replaces the file.

Waiting for the write lock. Write transactions are IMMEDIATE (they take SQLite's one write
lock at BEGIN). SQLite's own busy handler waits by sleeping 1, 2, 5, 10 … up to 100 ms
between tries inside the C call: under `serve` that sleep stops every connection of the
gevent process, not only the one waiting, and the lock stays free while its waiters sleep
(measured: 70 % of a web process's time spent inside BEGIN during a burst of submissions).
Here one connection per process at a time waits for the lock (the others queue on a lock
of the process, a greenlet's lock under gevent), and it tries again every 0.2–1 ms with
Python's sleep, which under gevent lets the process's other requests run meanwhile. The
total wait is bounded by the connection's `timeout` as before; past it the error is the
same "database is locked".

Telling the task worker that the web writes. Every write transaction of a web process
(`start_stamping`, from gunicorn's post_worker_init) stamps the time it began
(`time.monotonic()`, the same clock in every process of the machine) into a small file beside
the database (`<name>-writes`, mapped in memory: a store, no system call). The worker reads it
before each task and waits while it is fresh (core/jobs.py `give_way`); its own writes and
those of commands do not stamp, so its threads never wait for each other.
"""

from __future__ import annotations

import mmap
import os
import sqlite3
import struct
import threading
import time
from typing import Any

from django.db.backends.sqlite3 import base

from qingfeng.core import waits

POOL_OPTION = "pool_size"

_lock = threading.Lock()  # a greenlet's lock under gevent's monkey patching
_pid = os.getpid()
_idle: dict[str, list[sqlite3.Connection]] = {}
_forked: list[sqlite3.Connection] = []  # kept, never closed, never used
# One per database file, each made at first use: after gevent's monkey patching.
_writers: dict[str, threading.Lock] = {}
FIRST_PAUSE, LONGEST_PAUSE = 0.0002, 0.001  # seconds between tries for the write lock


_stamps: dict[str, mmap.mmap | None] = {}
_stamping = False


def start_stamping() -> None:
    """This process's write transactions stamp their time (a web process: core.gunicorn_conf)."""
    global _stamping
    _stamping = True


def _stamp_map(name: str, *, create: bool) -> mmap.mmap | None:
    found = _stamps.get(name)
    if found is not None or (name in _stamps and not create):
        return found
    if name == ":memory:" or name.startswith("file:") or not os.path.isabs(name):
        _stamps[name] = None
        return None
    path = f"{name}-writes"
    try:
        fd = os.open(path, os.O_RDWR | (os.O_CREAT if create else 0), 0o600)
    except FileNotFoundError:
        return None  # nobody has written yet
    try:
        if os.fstat(fd).st_size < 8:
            os.ftruncate(fd, 8)
        mapped = mmap.mmap(fd, 8)
    finally:
        os.close(fd)
    _stamps[name] = mapped
    return mapped


def _stamp(name: str) -> None:
    mapped = _stamp_map(name, create=True)
    if mapped is not None:
        struct.pack_into("d", mapped, 0, time.monotonic())


def others_wrote_ago(name: str) -> float | None:
    """Seconds since a web process's write transaction began on the database file `name`;
    None if none ever did (or an in-memory database)."""
    mapped = _stamp_map(name, create=False)
    if mapped is None:
        return None
    (stamped,) = struct.unpack_from("d", mapped, 0)
    return None if stamped == 0 else max(0.0, time.monotonic() - stamped)


def _writer_lock(name: str) -> threading.Lock:
    with _lock:
        if name not in _writers:
            _writers[name] = threading.Lock()
        return _writers[name]


def _pool_for(name: str) -> list[sqlite3.Connection]:
    global _pid
    if os.getpid() != _pid:
        # A child of a fork: its parent's connections must not be used or closed here.
        for idle in _idle.values():
            _forked.extend(idle)
        _idle.clear()
        _pid = os.getpid()
    return _idle.setdefault(name, [])


def drain() -> int:
    """Close every idle connection of this process; the number closed."""
    with _lock:
        connections = [conn for idle in _idle.values() for conn in idle]
        _idle.clear()
    for conn in connections:
        conn.close()
    return len(connections)


def idle_count() -> int:
    with _lock:
        return sum(len(idle) for idle in _idle.values())


class WriterQueueTimeout(sqlite3.OperationalError, waits.WaitedTooLong):
    """A writer that waited its longest behind the other writers of its own process: the
    process is over capacity, not the database unreachable, and the site answers it as the
    load shedding does (core.unavailable). A wait for a lock another process holds (a
    migration, a restore) past the timeout stays the plain "database is locked"."""


class DatabaseWrapper(base.DatabaseWrapper):
    pool_size = 0
    busy_seconds = 5.0
    holds_writer = False

    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        self.pool_size = int(params.pop(POOL_OPTION, 0) or 0)
        self.busy_seconds = float(params.get("timeout", self.busy_seconds))
        return params

    def _start_transaction_under_autocommit(self) -> None:
        if getattr(self, "transaction_mode", None) != "IMMEDIATE":
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
            return
        lock = _writer_lock(str(self.settings_dict["NAME"]))
        deadline = time.monotonic() + self.busy_seconds
        # A queue of writers is a queue of requests: the load shedding sees it (core.waits).
        with waits.waiting():
            if not lock.acquire(timeout=self.busy_seconds):
                with self.wrap_database_errors:
                    raise WriterQueueTimeout("database is locked")
            try:
                with self.wrap_database_errors:
                    self._begin_immediate(deadline)
            except BaseException:
                lock.release()
                raise
        self.holds_writer = True
        if _stamping:
            _stamp(str(self.settings_dict["NAME"]))

    def _begin_immediate(self, deadline: float) -> None:
        assert self.connection is not None
        conn: sqlite3.Connection = self.connection
        conn.execute("PRAGMA busy_timeout=0")
        try:
            pause = FIRST_PAUSE
            while True:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as error:
                    if "locked" not in str(error) and "busy" not in str(error):
                        raise
                    if time.monotonic() + pause > deadline:
                        raise
                time.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE)
        finally:
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_seconds * 1000)}")

    def _release_writer(self) -> None:
        if self.holds_writer:
            self.holds_writer = False
            _writer_lock(str(self.settings_dict["NAME"])).release()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer()

    def _pooled(self) -> bool:
        return self.pool_size > 0 and not self.is_in_memory_db()

    def get_new_connection(self, conn_params: dict[str, Any]) -> sqlite3.Connection:
        if self._pooled():
            with _lock:
                idle = _pool_for(str(conn_params["database"]))
                if idle:
                    return idle.pop()
        conn: sqlite3.Connection = super().get_new_connection(conn_params)
        return conn

    def _close(self) -> None:
        self._release_writer()
        conn = self.connection
        if conn is None or not self._pooled():
            super()._close()  # type: ignore[misc]
            return
        try:
            if conn.in_transaction:
                conn.rollback()
        except sqlite3.Error:
            super()._close()  # type: ignore[misc]
            return
        with _lock:
            idle = _pool_for(str(self.settings_dict["NAME"]))
            if len(idle) < self.pool_size:
                idle.append(conn)
                return
        super()._close()  # type: ignore[misc]
