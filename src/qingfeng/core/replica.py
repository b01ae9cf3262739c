"""Reads that may go to a PostgreSQL read replica: dashboards, statistics and reports.

With DATABASE_REPLICA_URL set (a streaming replica of the primary, docs/operations.md §5),
settings.py adds the database alias "replica" and this router. A read goes there only inside
`with replica.reads():` (or a function wrapped in `@replica.reading`) — the whole-table counts
of a dashboard, which may be a second or so behind the primary. Everything else reads the
primary: a page that writes and then reads what it wrote, a read inside a transaction (the
transaction is the primary's), every write and every migration. Without a replica configured
`reads()` changes nothing, so the code that uses it runs the same on one box.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
_reading: ContextVar[bool] = ContextVar("qf_replica_reads", default=False)

P = ParamSpec("P")
R = TypeVar("R")


def configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def reads() -> Iterator[None]:
    """The reads inside (not the writes) go to the replica, when there is one."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def reading(func: Callable[P, R]) -> Callable[P, R]:
    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with reads():
            return func(*args, **kwargs)

    return wrapper


class ReplicaRouter:
    """Django's database router (settings.DATABASE_ROUTERS). Both answers name the primary
    outright rather than leave the choice to Django: Django's own falls back to the database
    an object was read from, so a row read inside `reads()` and saved later (or a new row
    given it as a foreign key) would be written to the replica, and its related rows read
    from there outside `reads()`."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        if not configured():
            return None
        if not _reading.get() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS  # inside a transaction: read what it sees
        return REPLICA

    def db_for_write(self, model: type[Any], **hints: Any) -> str | None:
        return DEFAULT_DB_ALIAS  # every write: the primary

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        pair = {obj1._state.db, obj2._state.db}
        return True if pair <= {DEFAULT_DB_ALIAS, REPLICA} else None  # the same data on both

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db != REPLICA  # a replica follows the primary's schema by replication
