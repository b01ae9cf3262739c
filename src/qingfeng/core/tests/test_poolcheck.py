"""`serve`'s check that one host's connection pools fit under the server's max_connections
(core/poolcheck.py), and the example nginx configuration's rules (deploy/nginx.conf): no
client address in what the public prefixes log, connections sized above a burst's backlog."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection

from qingfeng.core import poolcheck
from qingfeng.core.poolcheck import HEADROOM, Budget

ROOT = Path(__file__).resolve().parents[4]
POSTGRES = connection.vendor == "postgresql"


def test_pools_that_fit_say_nothing() -> None:
    # 2 hosts' worth: 4 processes × 10 under 100 less 3 reserved and the headroom.
    assert Budget("default", 4, 10, 100, 3, in_use=40).warning() is None


def test_one_host_over_the_limit_is_named_with_the_rule() -> None:
    # The first province run's setting: one worker of 1,000 connections on a 100-connection
    # server (each greenlet its own connection, as with QF_PG_POOL=1000).
    found = Budget("default", 2, 1000, 100, 3, in_use=0).warning()
    assert found is not None
    assert "2 个进程 × QF_PG_POOL 1000 = 2000" in found
    assert f"max_connections 100 less 3 reserved and {HEADROOM} headroom leaves 92" in found


def test_the_other_hosts_connections_count() -> None:
    # This host's 40 fit alone; with the 60 the other hosts hold they do not.
    budget = Budget("default", 4, 10, 100, 3, in_use=60)
    assert budget.wanted == 40 and budget.available == 92
    found = budget.warning()
    assert found is not None and "60" in found and "other hosts" in found


@pytest.mark.django_db
def test_the_server_is_asked_for_its_limits() -> None:
    if not POSTGRES:
        # SQLite has no server and no PostgreSQL pool: nothing to check, nothing said.
        assert poolcheck.pool_size("default") == 0
        assert poolcheck.warnings(3) == []
        return
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        limit = int(cursor.fetchone()[0])
    budget = poolcheck.budget("default", 4, limit)  # a pool as large as the server
    assert budget.max_connections == limit
    assert budget.in_use >= 1  # this test's own connection at least
    assert budget.warning() is not None
    assert poolcheck.budget("default", 1, 1).warning() is None


# --- deploy/nginx.conf ------------------------------------------------------------------------

ADDRESSES = (
    "$remote_addr",
    "$binary_remote_addr",
    "$realip_remote_addr",
    "$http_x_forwarded_for",
    "$proxy_add_x_forwarded_for",
    "$http_x_real_ip",
    "$http_user_agent",
    "$http_referer",
    "$request ",  # the request line, query string included ($request_method is fine)
    "$request'",
    '$request"',
    "$request_uri",
    "$args",
    "$query_string",
)


def _conf() -> str:
    text = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def _directives(text: str, name: str) -> list[str]:
    return re.findall(rf"(?m)^\s*{name}\s+([^;]+);", text)


def test_the_public_prefixes_log_no_address() -> None:
    text = _conf()
    formats = {m[1]: m[2] for m in re.finditer(r"log_format\s+(\S+)\s+((?:'[^']*'\s*)+);", text)}
    logs = _directives(text, "access_log")
    assert logs, "an access_log stated, not nginx's default combined format"
    for log in logs:
        words = log.split()
        if words == ["off"]:
            continue
        assert len(words) >= 2, f"access_log {log}: the default format writes the address"
        fmt = formats[words[1]]
        assert not [v for v in ADDRESSES if v in fmt + "'"], (words[1], fmt)
    for level in _directives(text, "error_log"):
        assert level.split()[-1] in ("crit", "alert", "emerg"), level
    # The address the hosts count limits on is passed on, not a client-sent list.
    assert "proxy_set_header X-Forwarded-For $remote_addr" in text


def test_connections_are_sized_above_a_bursts_backlog() -> None:
    text = _conf()
    [connections] = _directives(text, "worker_connections")
    [files] = _directives(text, "worker_rlimit_nofile")
    # 100 reports a second waiting up to QF_PG_POOL_WAIT (20 s): 2,000 in flight, two
    # descriptors each (client and upstream).
    assert int(connections) >= 4000
    assert int(files) >= 2 * int(connections)
