"""Whether this host's connection pools fit under the PostgreSQL server's `max_connections`,
checked by `manage.py serve` when it starts (README, "多台服务器 / Several hosts").

Each process of a host — every gunicorn web worker and the task worker — borrows from a pool
of at most `QF_PG_POOL` connections per database it uses (the primary, and the read replica
when DATABASE_REPLICA_URL is set). So one host may hold (web workers + 1) × QF_PG_POOL
connections on each server, and all the hosts together must stay under the server's
`max_connections`, less the connections it keeps for superusers and a few for the people and
programs that connect beside the hosts (migrations, backups, psql): `HEADROOM`. A pool that
cannot fit is not an error at start — the connections are opened as the load asks for them —
but under a burst the server refuses some ("too many clients") and those requests fail, so
`serve` says so, in Chinese and English, before it starts its children."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from django.conf import settings
from django.db import connections

HEADROOM = 5  # connections left for migrations, backups and a person with psql


@dataclass(frozen=True)
class Budget:
    """One server's connections as one host's pools would use them."""

    alias: str
    processes: int  # web workers + the task worker
    pool: int  # QF_PG_POOL: connections per process at most
    max_connections: int
    reserved: int  # superuser_reserved_connections
    in_use: int  # client connections open now (other hosts, other programs)

    @property
    def wanted(self) -> int:
        return self.processes * self.pool

    @property
    def available(self) -> int:
        return self.max_connections - self.reserved - HEADROOM

    def warning(self) -> str | None:
        """A line for the console when this host's pools cannot fit, else None."""
        rule = (
            f"{self.processes} 个进程 × QF_PG_POOL {self.pool} = {self.wanted} 个连接；"
            f"数据库 {self.alias} 的 max_connections {self.max_connections}，"
            f"减去保留 {self.reserved} 和余量 {HEADROOM}，可用 {self.available}"
        )
        english = (
            f"{self.processes} processes × QF_PG_POOL {self.pool} = {self.wanted} connections; "
            f"database {self.alias}: max_connections {self.max_connections} less "
            f"{self.reserved} reserved and {HEADROOM} headroom leaves {self.available}"
        )
        if self.wanted > self.available:
            return (
                f"警告：本机的连接池超出数据库的连接上限（{rule}）。请减小 QF_PG_POOL 或 "
                f"--web-workers，或提高 max_connections。 Warning: this host's pools exceed "
                f"the server's connections ({english}): lower QF_PG_POOL or --web-workers, or "
                "raise max_connections."
            )
        if self.wanted + self.in_use > self.available:
            return (
                f"警告：加上其他主机和程序已占用的 {self.in_use} 个连接，本机的连接池放不下"
                f"（{rule}）。所有主机的进程数 × QF_PG_POOL 须小于可用连接数。 Warning: with "
                f"the {self.in_use} connections other hosts and programs hold now, this host's "
                f"pools do not fit ({english}): every host's processes × QF_PG_POOL must stay "
                "under what is available."
            )
        return None


def pool_size(alias: str) -> int:
    """The pool's size for a PostgreSQL alias, 0 without a pool (SQLite, QF_PG_POOL=0)."""
    database = settings.DATABASES.get(alias, {})
    if database.get("ENGINE") != "qingfeng.core.postgresql":
        return 0
    pool = database.get("OPTIONS", {}).get("pool")
    return int(pool.get("max_size", 0)) if isinstance(pool, dict) else 0


def budget(alias: str, processes: int, pool: int) -> Budget:
    """What the server behind `alias` allows, read from it on a connection of its own (not
    from the pool: `serve` itself keeps none open)."""
    params = connections[alias].get_connection_params()
    with psycopg.connect(**params, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT current_setting('max_connections')::int,"
            " current_setting('superuser_reserved_connections')::int,"
            " (SELECT count(*) FROM pg_stat_activity"
            "  WHERE backend_type = 'client backend' AND pid <> pg_backend_pid())"
        ).fetchone()
    assert row is not None
    max_connections, reserved, in_use = row
    return Budget(alias, processes, pool, int(max_connections), int(reserved), int(in_use))


def warnings(web_workers: int) -> list[str]:
    """The warnings for every pooled PostgreSQL database of this host's `serve`: its web
    workers and the task worker. A server that cannot be asked (down, a wrong address) is not
    checked: /healthz reports it."""
    found = []
    for alias in settings.DATABASES:
        pool = pool_size(alias)
        if not pool:
            continue
        try:
            message = budget(alias, web_workers + 1, pool).warning()
        except (psycopg.Error, OSError):
            message = None  # the server unreachable: serve starts all the same
        if message:
            found.append(message)
    return found
