"""Several application hosts sharing PostgreSQL and Redis, run on one machine.

    .venv/bin/python scripts/multihost.py [--postgres URL] [--redis URL] [--reports 40]

Two "hosts", each a `manage.py serve` (gunicorn with its web workers, and a task worker) with
a data directory of its own — nothing shared on disk — and the same DATABASE_URL (PostgreSQL)
and REDIS_URL (the task queue, the cache with the rate-limit counters). It shows:

1. sessions are shared: signed in through host A, the same cookie opens the staff home page
   through host B (sessions live in the database);
2. rate limits are shared: one citizen's address (X-Forwarded-For behind a trusted proxy)
   filing alternately through A and B is refused after QF_INTAKE_SUBMITS_PER_HOUR in all,
   not that many per host (atomic counters in Redis);
3. jobs run once: reports filed through both hosts queue their after-submit jobs in Redis;
   both workers take from the queue and every job ends done after exactly one attempt, each
   ticket's staff notifications made once;
4. a host lost keeps the site up: host A is killed (SIGKILL, web and worker), reports go on
   through B, and B's worker finishes every job, those A had queued included.

It uses a database of its own on the PostgreSQL server (dropped at the end) and a Redis
database number of its own (emptied at the start and the end). docs/operations.md, section
"Province scale", says how the hosts are laid out in production.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from drill import (
    fresh_keys,
    instance_env,
    manage,
    pg,
    pg_url,
    serve_until_healthy,
    stop,
)

PASSWORD = "Qingfeng@Demo2026"  # noqa: S105 - the demo logins' published password


def request(
    url: str,
    data: dict[str, Any] | None = None,
    *,
    opener: urllib.request.OpenerDirector | None = None,
    form: bool = False,
    headers: dict[str, str] | None = None,
) -> tuple[int, str]:
    body = None
    headers = dict(headers or {})
    if data is not None and form:
        body = urllib.parse.urlencode(data).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif data is not None:
        body = json.dumps(data, ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310 - 127.0.0.1
    try:
        with (opener or urllib.request.build_opener()).open(req, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()  # type: ignore[arg-type]


def report(unit: int, category: int, number: int) -> dict[str, Any]:
    return {
        "kind": "complaint",
        "category_id": category,
        "unit_id": unit,
        "title": f"食堂饭菜质量问题{number}",
        "content": f"学校食堂饭菜质量差，价格偏高，第{number}次反映，请核查处理。",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--reports", type=int, default=40)
    args = parser.parse_args()

    import redis

    queue = redis.Redis.from_url(args.redis)
    queue.flushdb()  # this script's own database number
    work = Path(tempfile.mkdtemp(prefix="qingfeng-multihost-"))
    name = f"qf_multihost_{os.getpid()}"
    pg(args.postgres, f'CREATE DATABASE "{name}"')
    database = pg_url(args.postgres, name)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("QF_", "DATABASE_URL"))}
    base.update(fresh_keys(), QF_ENV_FILE=str(work / "absent.env"))
    hosts = {}
    for host in ("a", "b"):
        (work / host).mkdir()
        env = instance_env(base, work / host, database)
        env.update(
            REDIS_URL=args.redis,
            QF_TRUSTED_PROXY_HOPS="1",  # as behind the balancer
            QF_INTAKE_HUMAN_CHECK="0",  # the script files reports as a program would
            QF_INTAKE_SUBMITS_PER_HOUR="6",
            QF_SHED_QUEUE_MS="0",
        )
        hosts[host] = env
    results: dict[str, Any] = {}
    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    try:
        manage(hosts["a"], "migrate", "--noinput", "-v", "0")
        manage(hosts["a"], "seed_demo", "--size", "county", "--seed", "1")
        for host, env in hosts.items():
            manage(env, "collectstatic", "--noinput", "-v", "0")
            servers[host] = serve_until_healthy(env, work / f"serve-{host}.log")
            print(f"host {host}: serve on port {servers[host][1]}", flush=True)
        url = {host: f"http://127.0.0.1:{port}" for host, (_p, port) in servers.items()}
        [(unit, category)] = query(
            database,
            "SELECT (SELECT id FROM orgs_unit WHERE parent_id IS NOT NULL ORDER BY id LIMIT 1),"
            " (SELECT id FROM intake_ticketcategory ORDER BY id LIMIT 1)",
        )

        # 1. Sessions: signed in through A, the cookie works through B.
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        _status, page = request(f"{url['a']}/accounts/login/", opener=browser)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, "no CSRF token on the sign-in page"
        status, _ = request(
            f"{url['a']}/accounts/login/",
            {"username": "demo_school", "password": PASSWORD, "csrfmiddlewaretoken": token[1]},
            opener=browser,
            form=True,
            headers={"Referer": f"{url['a']}/accounts/login/"},
        )
        with browser.open(f"{url['b']}/", timeout=30) as response:
            home_b, landed = response.status, response.geturl()
        results["session"] = {
            "signed in through A": status,
            "home through B": home_b,
            "B did not send to sign-in": "/accounts/login/" not in landed,
        }
        print("1. sessions:", results["session"], flush=True)

        # 2. Rate limits: one address, alternating hosts; 6 an hour in all.
        statuses = []
        for number in range(10):
            host = "ab"[number % 2]
            status, _ = request(
                f"{url[host]}/api/intake/reports",
                report(unit, category, number),
                headers={"X-Forwarded-For": "203.0.113.7"},
            )
            statuses.append(f"{host}:{status}")
        results["rate_limit"] = statuses
        print("2. rate limit (6/hour, one address):", " ".join(statuses), flush=True)

        # 3. Jobs run once: reports from many addresses through both hosts.
        for number in range(args.reports):
            host = "ab"[number % 2]
            status, body = request(
                f"{url[host]}/api/intake/reports",
                report(unit, category, 100 + number),
                headers={"X-Forwarded-For": f"198.51.100.{number % 250}"},
            )
            assert status == 201, (status, body)
        results["jobs"] = wait_for_jobs(database)
        print("3. jobs:", results["jobs"], flush=True)

        # 4. Host A killed, web and worker at once: B answers and finishes the work.
        process, _port = servers.pop("a")
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        filed_after = 0
        for number in range(args.reports // 2):
            status, _ = request(
                f"{url['b']}/api/intake/reports",
                report(unit, category, 500 + number),
                headers={"X-Forwarded-For": f"192.0.2.{number % 250}"},
            )
            filed_after += status == 201
        health, _ = request(f"{url['b']}/healthz")
        results["host_lost"] = {
            "reports through B after A died": f"{filed_after}/{args.reports // 2}",
            "B /healthz": health,
            **wait_for_jobs(database),
        }
        print("4. host A killed:", results["host_lost"], flush=True)
    finally:
        for process, _port in servers.values():
            stop(process)
        queue.flushdb()
        pg(args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    session_ok = (
        results["session"]["home through B"] == 200
        and results["session"]["B did not send to sign-in"]
    )
    accepted = sum(s.endswith(":201") for s in results["rate_limit"])
    ok = (
        session_ok
        and accepted == 6
        and results["jobs"]["not done"] == 0
        and results["jobs"]["retried"] == 0
        and results["jobs"]["duplicate notifications"] == 0
        and results["host_lost"]["not done"] == 0
        and results["host_lost"]["B /healthz"] == 200
    )
    print("multi-host run", "PASSED" if ok else "FAILED", flush=True)
    write_results(results, ok, args.reports)
    if not ok:
        raise SystemExit(1)


def write_results(results: dict[str, Any], ok: bool, reports: int) -> None:
    start, end = "<!-- multihost:start -->", "<!-- multihost:end -->"
    path = Path(__file__).resolve().parent.parent / "bench" / "RESULTS.md"
    jobs, lost = results["jobs"], results["host_lost"]
    lines = [
        start,
        "## Several hosts (issue 17 §5)",
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with `scripts/multihost.py`: two "
        "hosts on one machine (two `serve`, each a gunicorn web server and a task worker, with "
        "data directories of their own), one PostgreSQL database, one Redis database. "
        f"{'PASSED' if ok else 'FAILED'}.",
        "",
        "| check | result |",
        "|---|---|",
        f"| session signed in through A, staff home through B | {results['session']} |",
        "| one address filing through A and B alternately, 6 an hour | "
        f"{' '.join(results['rate_limit'])} |",
        f"| {reports} reports through both hosts: jobs | {jobs['jobs']}, not done "
        f"{jobs['not done']}, retried {jobs['retried']}, duplicate notifications "
        f"{jobs['duplicate notifications']} |",
        f"| host A killed (SIGKILL, web and worker), reports through B | "
        f"{lost['reports through B after A died']} filed, B /healthz {lost['B /healthz']}, "
        f"jobs {lost['jobs']}, not done {lost['not done']} |",
        "",
        "A worker killed in the middle of a job is `core/tests/test_job_takeover.py` (two worker "
        "processes on the shared database, one killed holding the job; run by the suite on "
        "both databases). Not measured here: a load balancer in front, load at province size "
        "(docs/operations.md §5).",
        end,
    ]
    text = path.read_text(encoding="utf-8")
    block = "\n".join(lines)
    if start in text:
        head, rest = text.split(start, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def wait_for_jobs(database: str, timeout: float = 180) -> dict[str, Any]:
    """Until no job is pending or running (or the timeout): how they ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        [(open_jobs,)] = query(
            database, "SELECT COUNT(*) FROM core_job WHERE status IN ('pending', 'running')"
        )
        if open_jobs == 0:
            break
        time.sleep(0.5)
    rows = query(database, "SELECT status, attempts, COUNT(*) FROM core_job GROUP BY 1, 2")
    [(duplicates,)] = query(
        database,
        "SELECT COUNT(*) FROM (SELECT recipient_id, link FROM core_notification "
        "GROUP BY recipient_id, link, title HAVING COUNT(*) > 1) AS twice",
    )
    return {
        "jobs": {f"{status} after {attempts} attempt(s)": n for status, attempts, n in rows},
        "not done": sum(n for status, _a, n in rows if status != "done"),
        "retried": sum(n for _s, attempts, n in rows if attempts > 1),
        "duplicate notifications": duplicates,
    }


if __name__ == "__main__":
    main()
