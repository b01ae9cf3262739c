"""The task queue of a single-box installation: a doorbell, not a record.

Work that must happen is a `Job` row in the main database, written in the same transaction as
its cause (core/jobs.py); the queue only tells the worker to look now, and `sweep_jobs` runs
whatever a lost ring left pending. So the queue's own SQLite file need not be flushed to disk
on every ring: WAL with synchronous=NORMAL (a power cut may lose the last rings, never corrupt
the file) spares every submission a disk flush — about a seventh of its time on this kind of
machine (bench/README.md, section Real server)."""

from __future__ import annotations

import sqlite3

from huey import SqliteHuey
from huey.storage import SqliteStorage


class DoorbellStorage(SqliteStorage):  # type: ignore[misc]
    def _create_connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection = super()._create_connection()
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn


class DoorbellHuey(SqliteHuey):  # type: ignore[misc]
    storage_class = DoorbellStorage
