"""Requests of this process waiting inside it for what it hands out one at a time: on SQLite
the database's write lock (core.sqlite), on PostgreSQL a connection of the process's pool
(core.postgresql). Such waiters sleep, so they leave the gevent loop on time and its lateness
does not show them; the load shedding (core.capacity) reads their queue here instead, as the
longest current wait, in seconds like the rest of its queue time.

Nothing but the standard library is imported: the database backends import this.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

_since: dict[object, float] = {}  # each wait of this process going on now: since when


@contextmanager
def waiting() -> Iterator[None]:
    """Count the block's time as a request of this process waiting in a queue."""
    token = object()
    _since[token] = time.monotonic()
    try:
        yield
    finally:
        del _since[token]


def longest() -> float:
    """How long the longest-waiting request of this process has waited so far (0: none)."""
    since = min(tuple(_since.values()), default=None)
    return 0.0 if since is None else max(0.0, time.monotonic() - since)


class WaitedTooLong(Exception):
    """Marks a database error raised because a request waited its longest in such a queue:
    the process is over capacity, the database itself is fine (core.unavailable)."""
