"""The shared cache of a single-box installation (no Redis): one SQLite file of short-lived
entries — rate-limit counters, spent human-check and proof-of-work tokens, cached figures.

What the file-based cache did not give, and these entries need:
- atomic `add` and `incr` across the web processes (one statement each), so a spent token
  cannot be spent twice by two processes at once and no counted submission is lost;
- no eviction of live entries: expired ones are deleted, live ones never (the file cache
  culled a third of its files at random when full — spent tokens and counters among them);
- no file written and renamed per counter, no directory listed per write: a submission's
  counter costs an UPDATE on a file that is never flushed to disk per write (its entries are
  worth nothing after a power cut: counters restart, tokens expire within minutes).

Values that are integers are stored as integers (so `incr` is arithmetic in SQL); anything
else is pickled, as Django's own backends do. One connection per process, behind a lock: the
statements take microseconds, and under gevent a greenlet holds the lock only that long.
When another process holds the file's write lock, a statement is tried again after a short
Python sleep (cooperative under gevent) rather than inside SQLite's busy handler, which sleeps
in C and would stop every request of the process meanwhile (as core/sqlite/base.py does for
the database).
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS entry (key TEXT PRIMARY KEY, value, expires REAL NOT NULL)"
    " WITHOUT ROWID"
)
SWEEP_EVERY = 1000  # writes between deletions of expired entries
FOREVER = 10.0**12
BUSY_SECONDS = 10.0  # how long a statement waits for another process's write lock
FIRST_PAUSE, LONGEST_PAUSE = 0.0002, 0.002  # seconds between tries


class ScratchCache(BaseCache):
    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.path = Path(location)
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        self._writes = 0

    # -- the connection --

    def _db(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():  # a forked worker opens its own
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, timeout=10, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("PRAGMA busy_timeout=0")  # waits in _run, cooperatively
            conn.execute(SCHEMA)
            self._conn, self._pid = conn, os.getpid()
        return self._conn

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            conn = self._db()
            deadline = time.monotonic() + BUSY_SECONDS
            pause = FIRST_PAUSE
            while True:
                try:
                    return conn.execute(sql, params).fetchall()
                except sqlite3.OperationalError as error:
                    # Each statement is its own transaction: a refused one changed nothing.
                    if "locked" not in str(error) and "busy" not in str(error):
                        raise
                    if time.monotonic() + pause > deadline:
                        raise
                time.sleep(pause)
                pause = min(pause * 2, LONGEST_PAUSE)

    def _expiry(self, timeout: Any) -> float:
        moment = self.get_backend_timeout(timeout)  # an absolute time, or None for ever
        return FOREVER if moment is None else float(moment)

    @staticmethod
    def _pack(value: Any) -> Any:
        if type(value) is int and -(2**63) <= value < 2**63:
            return value
        return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)

    @staticmethod
    def _unpack(value: Any) -> Any:
        return pickle.loads(value) if isinstance(value, bytes) else value  # noqa: S301 - ours

    def _wrote(self) -> None:
        self._writes += 1
        if self._writes % SWEEP_EVERY == 0:
            self._run("DELETE FROM entry WHERE expires <= ?", (time.time(),))

    # -- the cache API --

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        rows = self._run(
            "SELECT value FROM entry WHERE key = ? AND expires > ?", (key, time.time())
        )
        return self._unpack(rows[0][0]) if rows else default

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        key = self.make_and_validate_key(key, version=version)
        self._run(
            "INSERT INTO entry (key, value, expires) VALUES (?, ?, ?) ON CONFLICT (key) DO "
            "UPDATE SET value = excluded.value, expires = excluded.expires",
            (key, self._pack(value), self._expiry(timeout)),
        )
        self._wrote()

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        """True only for the one caller that stored it (an expired entry counts as absent)."""
        key = self.make_and_validate_key(key, version=version)
        rows = self._run(
            "INSERT INTO entry (key, value, expires) VALUES (?, ?, ?) ON CONFLICT (key) DO "
            "UPDATE SET value = excluded.value, expires = excluded.expires "
            "WHERE entry.expires <= ? RETURNING 1",
            (key, self._pack(value), self._expiry(timeout), time.time()),
        )
        self._wrote()
        return bool(rows)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        key = self.make_and_validate_key(key, version=version)
        rows = self._run(
            "UPDATE entry SET value = value + ? WHERE key = ? AND expires > ? "
            "AND typeof(value) = 'integer' RETURNING value",
            (delta, key, time.time()),
        )
        if not rows:
            raise ValueError(f"Key '{key}' not found")
        return int(rows[0][0])

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        rows = self._run(
            "UPDATE entry SET expires = ? WHERE key = ? AND expires > ? RETURNING 1",
            (self._expiry(timeout), key, time.time()),
        )
        return bool(rows)

    def delete(self, key: Any, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return bool(self._run("DELETE FROM entry WHERE key = ? RETURNING 1", (key,)))

    def has_key(self, key: Any, version: int | None = None) -> bool:
        key = self.make_and_validate_key(key, version=version)
        return bool(
            self._run("SELECT 1 FROM entry WHERE key = ? AND expires > ?", (key, time.time()))
        )

    def clear(self) -> None:
        self._run("DELETE FROM entry")

    def close(self, **kwargs: Any) -> None:
        """Kept open for the process (Django calls this after every request)."""
