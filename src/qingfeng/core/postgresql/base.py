"""PostgreSQL as Django has it, except that a request waiting for a connection of the process's
pool is seen by the load shedding.

With the pool on (QF_PG_POOL, Django's `OPTIONS["pool"]`), a request borrows one of at most
QF_PG_POOL connections of its process and waits, up to QF_PG_POOL_WAIT seconds, while all are
lent. Those waiters sleep, so the gevent loop stays on time: under a burst of public
submissions the pool's queue grew to thousands of requests, each answered 503 only after its
20 s (a traceback apiece), and staff pages of the process waited behind them. Here the wait
for a pooled connection is counted in `core.waits`, as SQLite's writers waiting for the write
lock are: past QF_SHED_QUEUE_MS the public prefixes are turned away at once (core.capacity).
A wait that still times out raises `PoolExhausted`, marked as the process's overload
(`core.waits.WaitedTooLong`), which `core.unavailable` answers as the shedding does.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base
from psycopg_pool import PoolTimeout

from qingfeng.core import waits


class PoolExhausted(PoolTimeout, waits.WaitedTooLong):
    """No connection of the pool was free within its timeout."""


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        if self.pool is None:  # type: ignore[attr-defined]  # not in django-stubs yet
            return super().get_new_connection(conn_params)
        with waits.waiting():
            try:
                return super().get_new_connection(conn_params)
            except PoolTimeout as error:
                raise PoolExhausted(*error.args) from error
