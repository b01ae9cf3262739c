"""A PostgreSQL primary and a streaming read replica of it, made on this machine with the
Debian server binaries (/usr/lib/postgresql/<version>/bin), for scripts/multihost.py.

    .venv/bin/python scripts/pgreplica.py            (start both, print their URLs, wait)

The primary is a fresh cluster (`initdb`) in a temporary directory on a free port, set up as
a primary must be for streaming replication (wal_level replica, WAL senders, a `replication`
line in pg_hba.conf). The replica is `pg_basebackup -R -X stream` of it into another
temporary directory, started on a port of its own: a hot standby that replays the primary's
WAL as it is streamed and answers read-only queries. Both load pg_stat_statements, so what
each server ran can be read from it (`statements`). Both run as the `postgres` user
(PostgreSQL refuses to run as root) and are stopped and deleted by `stop()`.

The machine's shared server (port 5432) is not used as the primary: its pg_hba.conf allows
no replication connections, and a base backup of it would copy every other engineer's
databases. In production the primary is the bureau's database server and the replica a
second server made the same way (docs/operations.md §5).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from drill import free_port

USER = "postgres"
PRIMARY_CONF = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{sockets}'
wal_level = replica
max_wal_senders = 5
wal_keep_size = '512MB'
hot_standby = on
hot_standby_feedback = on
max_connections = 200
shared_buffers = '256MB'
fsync = off
synchronous_commit = off
full_page_writes = off
shared_preload_libraries = 'pg_stat_statements'
"""
HBA = """
local all all trust
host all all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
"""


def binaries() -> Path:
    """The newest installed server's bin directory."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4])
    )
    if not found:
        raise SystemExit("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    return Path(found[-1]).parent


def _as_postgres(*command: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    prefix: list[str] = []
    if os.geteuid() == 0:
        prefix = ["runuser", "-u", USER, "--"]
    return subprocess.run(  # noqa: S603 - the server's own binaries
        [*prefix, *command], check=True, capture_output=True, text=True, **kwargs
    )


@dataclass
class Server:
    data: Path
    port: int
    log: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgres://{USER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        _as_postgres(
            str(binaries() / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
            "-t", "120", "start",
        )  # fmt: skip

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            _as_postgres(str(binaries() / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")


@dataclass
class Pair:
    """The primary and its replica; `work` holds both data directories."""

    work: Path
    primary: Server
    replica: Server
    started: list[Server] = field(default_factory=list)

    def stop(self) -> None:
        for server in reversed(self.started):
            try:
                server.stop()
            except subprocess.CalledProcessError as exc:
                print(f"stopping {server.data}: {exc.stderr}", file=sys.stderr)
        shutil.rmtree(self.work, ignore_errors=True)


def start_pair(load: Callable[[Server], None] | None = None) -> Pair:
    """A fresh primary and a streaming replica of it, both answering. `load(primary)`, when
    given, fills the primary before the base backup is taken (a restored dump: the replica
    starts with it rather than replaying all of it from the WAL)."""
    work = Path(tempfile.mkdtemp(prefix="qingfeng-pg-"))
    owner = pwd.getpwnam(USER)
    os.chown(work, owner.pw_uid, owner.pw_gid)
    primary = Server(work / "primary", free_port(), work / "primary.log")
    replica = Server(work / "replica", free_port(), work / "replica.log")
    pair = Pair(work, primary, replica)
    try:
        _as_postgres(
            str(binaries() / "initdb"), "-D", str(primary.data), "-U", USER, "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        with open(primary.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(PRIMARY_CONF.format(port=primary.port, sockets=work))
        (primary.data / "pg_hba.conf").write_text(HBA, encoding="utf-8")
        primary.start()
        pair.started.append(primary)
        if load is not None:
            load(primary)
        # The base backup, streamed with the WAL it needs (-X stream), written with the
        # settings that make it a standby following the primary (-R: standby.signal and
        # primary_conninfo in postgresql.auto.conf).
        _as_postgres(
            str(binaries() / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
            "-U", USER, "-D", str(replica.data), "-R", "-X", "stream", "-c", "fast",
        )  # fmt: skip
        with open(replica.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(f"port = {replica.port}\n")
        replica.start()
        pair.started.append(replica)
        wait_streaming(pair)
    except BaseException:
        pair.stop()
        raise
    return pair


def query(url: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(sql, params)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []


def wait_streaming(pair: Pair, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = query(pair.primary.url(), "SELECT state FROM pg_stat_replication")
        if rows and rows[0][0] == "streaming":
            return
        time.sleep(0.3)
    raise SystemExit(f"the replica is not streaming: {pair.replica.log.read_text()[-2000:]}")


def lag(pair: Pair) -> dict[str, Any]:
    """How far the replica is behind, as the primary sees it (bytes of WAL not yet replayed,
    the replay lag of the last WAL it confirmed) and as the replica sees it (the time since
    the last transaction it replayed was committed, and whether it is in recovery)."""
    [(state, behind, replay_lag)] = query(
        pair.primary.url(),
        "SELECT state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint,"
        " COALESCE(EXTRACT(EPOCH FROM replay_lag) * 1000, 0)::int FROM pg_stat_replication",
    )
    [(recovering, since_replay)] = query(
        pair.replica.url(),
        "SELECT pg_is_in_recovery(),"
        " COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)",
    )
    return {
        "state": state,
        "bytes behind": int(behind),
        "replay lag ms": int(replay_lag),
        "in recovery": bool(recovering),
        "seconds since last replayed commit": round(float(since_replay), 2),
    }


def counters(url: str, database: str) -> dict[str, int]:
    """The server's counters for one database (pg_stat_database): what it served."""
    [(commits, returned, fetched, blocks)] = query(
        url,
        "SELECT xact_commit, tup_returned, tup_fetched, blks_hit + blks_read"
        " FROM pg_stat_database WHERE datname = %s",
        (database,),
    )
    return {
        "transactions": int(commits),
        "rows returned": int(returned),
        "rows fetched": int(fetched),
        "blocks": int(blocks),
    }


def statements(url: str, limit: int = 12) -> list[dict[str, Any]]:
    """The statements this server ran most often since the last reset (pg_stat_statements,
    per server: on the replica, only what was read from it). Needs the extension created in
    the database on the primary (`CREATE EXTENSION pg_stat_statements`; replicated)."""
    rows = query(
        url,
        "SELECT calls, rows, round(total_exec_time)::bigint, left(regexp_replace(query,"
        " '\\s+', ' ', 'g'), 160) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM"
        " pg_database WHERE datname = current_database()) ORDER BY calls DESC LIMIT %s",
        (limit,),
    )
    return [{"calls": c, "rows": r, "ms": t, "query": q} for c, r, t, q in rows]


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stopped as by Ctrl-C
    pair = start_pair()
    print("primary:", pair.primary.url(), flush=True)
    print("replica:", pair.replica.url(), flush=True)
    print("lag:", lag(pair), flush=True)
    try:
        while True:
            time.sleep(3600)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        pair.stop()


if __name__ == "__main__":
    main()
