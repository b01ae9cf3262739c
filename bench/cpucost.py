"""Processor time per request through the real server, and statements per request: the cost
of a public rating (issue 13) and of an attendance scan (issue 16), on SQLite and PostgreSQL.

    .venv/bin/python bench/cpucost.py [--db sqlite|postgres|both] [--kind rating|scan|both]
                                      [--requests 300] [--rate 20] [--runs 3] [--reuse]

Wall-clock latency on a shared machine measures the other tenants as much as the code; the
processor time a request costs does not depend on them (within a few per cent: caches and
frequency scaling still do). This bench therefore reads processor time, not latency:

1. build (unless `--reuse`): a fresh SQLite file (bench/out/cpucost.sqlite3) or PostgreSQL
   database (qingfeng_cpucost), `migrate`, `seed_demo --size county` (101 schools), and a
   round over every unit opened with 2,000 ratings (bench/evaluation.py's builder);
2. statements per request, in process (Django's test client, production-like settings): one
   rating `POST /api/evaluation/units/<id>/ratings`, one scan's confirmation page
   `GET /learning/scan/<code>/` and its sign-in `POST`, each counted with Django's
   CaptureQueriesContext after a warm-up request, and the in-process processor time of each;
3. served, `--runs` times: `manage.py serve` (gunicorn gevent web workers and the task worker,
   as deployed, `QF_PG_POOL` as shipped) started, warmed up, then `--requests` ratings (or
   scans: GET then POST, each a phone of its own on new connections, bench/learning.py's
   scans) at `--rate` per second, open loop, at a rate the server keeps up with. Before and
   after, utime + stime (children included) of every process of the server's process group
   from /proc/<pid>/stat, and of the PostgreSQL backends connected to the bench database
   (pg_stat_activity → /proc); the difference divided by the requests = ms of processor per
   request, server (web + task worker) and database apart. Medians over the runs.

Conditions: the load generator (this process) shares the machine and is not counted; a
PostgreSQL backend that exits during a run loses its processor time (with the pool they
stay). Results go to the terminal and bench/out/cpucost-<db>.json; nothing is written to
RESULTS.md (figures there are copied by hand with their conditions).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from ledger import _fresh_postgres, _setup_django  # noqa: E402
from run import OUT, PY, REPO, bench_env, manage  # noqa: E402
from serve import free_port, http, open_loop, start  # noqa: E402

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/qingfeng_cpucost"
SQLITE_PATH = OUT / "cpucost.sqlite3"
TICK = os.sysconf("SC_CLK_TCK")
IDLE_SECONDS = 5.0


def _cpu_ms(pid: int) -> float | None:
    """utime + stime + cutime + cstime of one process, in ms (None: gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) * 1000 / TICK


def _group(pgid: int) -> dict[int, str]:
    """The processes of a process group: pid → command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                found[int(entry.name)] = (
                    (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
                )
        except OSError:
            continue
    return found


def _backends(url: str) -> list[int]:
    import psycopg

    dbname = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [dbname],
        ).fetchall()
    return [r[0] for r in rows]


class Meter:
    """Processor time of the server's process group and of its database backends."""

    def __init__(self, pgid: int, url: str) -> None:
        self.pgid, self.url = pgid, url
        self.postgres = url.startswith("postgres")

    def snapshot(self) -> dict[str, dict[int, float]]:
        """ms of processor so far: "web" (the gunicorn processes), "task" (the task worker
        and `manage.py serve` itself), "db" (the backends), each by pid."""
        found: dict[str, dict[int, float]] = {"web": {}, "task": {}, "db": {}}
        for pid, command in _group(self.pgid).items():
            found["web" if "gunicorn" in command else "task"][pid] = _cpu_ms(pid) or 0.0
        if self.postgres:
            found["db"] = {pid: _cpu_ms(pid) or 0.0 for pid in _backends(self.url)}
        return found

    @staticmethod
    def spent(
        before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]
    ) -> dict[str, float]:
        return {
            side: sum(v - before[side].get(p, 0.0) for p, v in after[side].items())
            for side in after
        }

    def measure(self, work: Any) -> tuple[Any, dict[str, Any]]:
        """Run `work()`; the processor it cost, less what the same processes spend idle (the
        task worker's polling, the pool's upkeep) over as long, measured just before."""
        idle_before = self.snapshot()
        time.sleep(IDLE_SECONDS)
        idle = self.spent(idle_before, self.snapshot())
        before = self.snapshot()
        started = time.perf_counter()
        result = work()
        time.sleep(1)  # after-commit jobs
        elapsed = time.perf_counter() - started
        spent = self.spent(before, self.snapshot())
        # Not the task worker's: it may still be finishing its start-up (reported as is).
        net = {
            side: spent[side] - (0 if side == "task" else idle[side] * elapsed / IDLE_SECONDS)
            for side in spent
        }
        return result, {**net, "idle_per_s": {k: v / IDLE_SECONDS for k, v in idle.items()}}


# --- in process: statements and processor per request --------------------------------------
def child_inprocess(kind: str, repeat: int) -> dict[str, Any]:
    _setup_django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from qingfeng.evaluation.models import RoundUnit

    out: dict[str, Any] = {}
    if kind in ("rating", "both"):
        units = list(RoundUnit.objects.values_list("unit_id", flat=True)[:50])
        client = Client()
        run = f"{time.time_ns():x}"
        samples, counts = [], []
        for i in range(repeat + 3):
            body = {"respondent_type": "parent", "overall": 5 - i % 3, "answers": {}}
            url = f"/api/evaluation/units/{units[i % len(units)]}/ratings"
            started = time.process_time()
            with CaptureQueriesContext(connection) as queries:
                got = client.post(
                    url,
                    json.dumps(body),
                    content_type="application/json",
                    headers={"Idempotency-Key": f"cpu-{run}-{i:05d}"},
                )
            spent = (time.process_time() - started) * 1000
            assert got.status_code == 201, (got.status_code, got.content[:300])
            if i >= 3:
                samples.append(spent)
                counts.append(len(queries))
        out["rating"] = {
            "statements": statistics.median(counts),
            "statements_max": max(counts),
            "sql": [q["sql"][:160] for q in queries.captured_queries],
            "cpu_ms": statistics.median(samples),
        }
    if kind in ("scan", "both"):
        import re

        sys.path.insert(0, str(BENCH))
        from learning import prepare_scans

        plan = prepare_scans(repeat + 3, per_session=20)
        from collections import Counter

        get_s, post_s, get_n, post_n = [], [], [], []
        outcomes: Counter[str] = Counter()
        sqls: dict[str, list[str]] = {}
        from http.cookies import SimpleCookie

        from qingfeng.learning import tokens

        client = Client()  # one handler (a new Client loads the middleware again)
        for i, scan in enumerate(plan["scans"]):
            client.cookies = SimpleCookie()  # each scan a phone of its own
            client.cookies[plan["cookie"]] = scan["cookie"]
            path = f"/learning/scan/{tokens.make(scan['session'])}/"
            started = time.process_time()
            with CaptureQueriesContext(connection) as got_q:
                page = client.get(path)
            got_ms = (time.process_time() - started) * 1000
            assert page.status_code == 200, page.status_code
            form = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
            assert form is not None
            started = time.process_time()
            with CaptureQueriesContext(connection) as post_q:
                answer = client.post(path, {"csrfmiddlewaretoken": form[1]})
            post_ms = (time.process_time() - started) * 1000
            ok = b'data-testid="scan-ok"' in answer.content
            outcomes["ok" if ok else f"POST {answer.status_code} refused"] += 1
            if i >= 3 and ok:
                get_s.append(got_ms)
                post_s.append(post_ms)
                get_n.append(len(got_q))
                post_n.append(len(post_q))
            sqls = {
                "get": [q["sql"][:160] for q in got_q.captured_queries],
                "post": [q["sql"][:160] for q in post_q.captured_queries],
            }
        out["scan"] = {
            "outcomes": dict(outcomes),  # a refused scan (a code past its window) not counted
            "get_statements": statistics.median(get_n),
            "post_statements": statistics.median(post_n),
            "get_cpu_ms": statistics.median(get_s),
            "post_cpu_ms": statistics.median(post_s),
            "sql": sqls,
        }
    return out


def _child(env: dict[str, str], *args: str, script: Path | None = None) -> dict[str, Any]:
    done = subprocess.run(
        [PY, str(script or __file__), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    sys.stderr.write(done.stderr[-3000:])
    if done.returncode != 0:
        sys.exit(f"{script or __file__} {' '.join(args)} failed:\n{done.stdout[-3000:]}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


# --- served -------------------------------------------------------------------------------
def served_ratings(
    env: dict[str, str], url: str, units: list[int], args: argparse.Namespace
) -> dict[str, Any]:
    rng = random.Random(time.time_ns())
    run = f"{time.time_ns():x}"
    paths, bodies, headers = [], [], []
    for i in range(args.requests):
        paths.append(f"/api/evaluation/units/{rng.choice(units)}/ratings")
        body = {
            "respondent_type": rng.choice(["parent", "student", "staff", "public"]),
            "overall": rng.choice([5, 5, 4, 4, 3, 2, 1, 0]),
            "answers": {},
            "comment": rng.choice(["", "", "", "老师很负责，希望作业再少一些。"]),
        }
        bodies.append(json.dumps(body, ensure_ascii=False).encode())
        headers.append(f"Idempotency-Key: cpu-{run}-{i:07d}\r\n")
    port = free_port()
    server = start(env, port, args.web_workers, OUT / "cpucost-serve.log")
    try:

        async def warm() -> None:
            for _ in range(3):
                await asyncio.gather(
                    *(http(port, "GET", f"/api/evaluation/units/{u}/form") for u in units[:12])
                )

        asyncio.run(warm())
        time.sleep(1)
        meter = Meter(server.pid, url)
        load = os.getloadavg()[0]
        answers, spent = meter.measure(
            lambda: asyncio.run(open_loop(port, bodies, args.rate, paths=paths, headers=headers))
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(60)
    statuses: dict[str, int] = {}
    for status, _ms in answers:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    lat = sorted(ms for _s, ms in answers)
    return {
        "requests": len(answers),
        "statuses": statuses,
        "web_ms": spent["web"] / len(answers),
        "task_ms": spent["task"] / len(answers),
        "db_ms": spent["db"] / len(answers),
        "idle_per_s": spent["idle_per_s"],
        "p50_ms": lat[len(lat) // 2],
        "load": [load, os.getloadavg()[0]],
    }


def served_scans(env: dict[str, str], url: str, args: argparse.Namespace) -> dict[str, Any]:
    from learning import _scans_open_loop

    plan = _child(env, "--child", "--kind", "prepare", "--repeat", str(args.requests))
    port = free_port()
    server = start(env, port, args.web_workers, OUT / "cpucost-serve.log")
    try:
        # Every worker imports the scan page once before the clock starts.
        asyncio.run(_warm_scans(port))
        meter = Meter(server.pid, url)
        load = os.getloadavg()[0]
        results, spent = meter.measure(lambda: asyncio.run(_scans_open_loop(port, plan, args.rate)))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(60)
    outcomes: dict[str, int] = {}
    for r in results:
        outcomes[r["outcome"]] = outcomes.get(r["outcome"], 0) + 1
    posts = sorted(r["post_ms"] for r in results if "post_ms" in r)
    return {
        "scans": len(results),
        "outcomes": outcomes,
        "web_ms": spent["web"] / len(results),
        "task_ms": spent["task"] / len(results),
        "db_ms": spent["db"] / len(results),
        "idle_per_s": spent["idle_per_s"],
        "post_p50_ms": posts[len(posts) // 2] if posts else None,
        "load": [load, os.getloadavg()[0]],
    }


async def _warm_scans(port: int) -> None:
    for _ in range(3):
        await asyncio.gather(*(http(port, "GET", "/learning/scan/x/") for _ in range(12)))


def build(db: str, url: str) -> None:
    env = bench_env(url)
    if db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
    else:
        _fresh_postgres(url)
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo", "--size", "county", "--seed", "1")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    _child(env, "--child", "--build-only", "--ratings", "2000", script=BENCH / "evaluation.py")


def run_db(db: str, args: argparse.Namespace) -> dict[str, Any]:
    url = f"sqlite:///{SQLITE_PATH}" if db == "sqlite" else args.pg
    if not args.reuse:
        build(db, url)
    env = {
        **bench_env(url),
        "QF_EVALUATION_RATES_PER_HOUR": str(10**7),
        "QF_EVALUATION_HUMAN_CHECK": "0",
        "PYTHONPATH": str(REPO / "src"),
    }
    found: dict[str, Any] = {"db": db, "measured_at": time.strftime("%Y-%m-%d %H:%M UTC")}
    found["in process"] = _child(env, "--child", "--kind", args.kind, "--repeat", "20")
    _s, out = manage(
        env,
        "shell",
        "-c",
        "from qingfeng.evaluation.models import RoundUnit; import json; "
        "print(json.dumps(list(RoundUnit.objects.values_list('unit_id', flat=True))))",
    )
    units = json.loads(out.strip().splitlines()[-1])
    for kind in ("rating", "scan"):
        if args.kind not in (kind, "both"):
            continue
        runs = []
        for _ in range(args.runs):
            one = (
                served_ratings(env, url, units, args)
                if kind == "rating"
                else served_scans(env, url, args)
            )
            print(db, kind, json.dumps(one, ensure_ascii=False), file=sys.stderr, flush=True)
            runs.append(one)
        found[f"served {kind}"] = {
            "runs": runs,
            **{
                f"{side}_ms": statistics.median(r[f"{side}_ms"] for r in runs)
                for side in ("web", "task", "db")
            },
        }
    (OUT / f"cpucost-{db}.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--kind", choices=["rating", "scan", "both", "prepare"], default="both")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--reuse", action="store_true", help="measure the last build again")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=20, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child and args.kind == "prepare":
        from learning import prepare_scans

        print(json.dumps(prepare_scans(args.repeat, per_session=20), ensure_ascii=False))
        return
    if args.child:
        print(json.dumps(child_inprocess(args.kind, args.repeat), ensure_ascii=False))
        return
    OUT.mkdir(exist_ok=True)
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        found = run_db(db, args)
        brief = {k: v for k, v in found.items() if k != "in process"}
        inproc = {
            k: {kk: vv for kk, vv in v.items() if kk != "sql"}
            for k, v in found["in process"].items()
        }
        print(db, json.dumps({"in process": inproc, **brief}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
