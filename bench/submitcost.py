"""Processor time per public submission on the real server (issue 11), independent of how
loaded the machine is: what the 100 submissions/s target costs in CPU.

    .venv/bin/python bench/submitcost.py [--count 600] [--rate 20] [--web-workers 1]
                                         [--py-spy bench/out/submit.txt]

Starts `manage.py serve` on a fresh SQLite database as bench/serve.py does, sends `--count`
`POST /api/intake/reports` at `--rate` per second (well under capacity, so nothing queues or
is shed), waits for the task worker to finish their after-submit jobs, and reads each
process's user + system time from /proc before and after: web workers (gunicorn's), the task
worker, everything else. Divided by the count: CPU milliseconds per submission, the figure
the wall-clock burst cannot give on a shared machine. `--py-spy FILE`: the web worker is
sampled meanwhile (py-spy's collapsed stacks, then the functions with the most samples).

`--in-process N`: instead, in one process with Django set up on the same fresh database, the
SQL statements of one submission (as the driver receives them), then N submissions through
Django's test client (the whole middleware stack, no HTTP server) timed in processor time and
profiled with cProfile: where the web side's milliseconds go, without gunicorn or load.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from run import PY, REPO, bench_env  # noqa: E402
from serve import bodies, free_port, open_loop, start, summary, tickets  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def tree(root: int) -> dict[int, str]:
    """Every process under `root` (itself included): pid → its command line."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children[ppid].append(int(entry.name))
    found, todo = {}, [root]
    while todo:
        pid = todo.pop()
        try:
            found[pid] = (Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")).decode()
        except OSError:
            continue
        todo.extend(children.get(pid, []))
    return found


def cpu_ms(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / TICK  # utime + stime


def kind(cmdline: str) -> str:
    if "run_huey" in cmdline or "task" in cmdline.split("manage.py")[-1][:40]:
        return "task worker"
    if "gunicorn" in cmdline or "webworker" in cmdline:
        return "web"
    return "other"


def pending_jobs(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        return int(
            conn.execute("SELECT COUNT(*) FROM core_job WHERE finished_at IS NULL").fetchone()[0]
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--web-workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--py-spy", help="sample the web worker with py-spy into this file")
    parser.add_argument("--in-process", type=int, default=0, metavar="N")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        in_process(json.loads(args.child), args.in_process, args.seed)
        return

    data = Path(tempfile.mkdtemp(prefix="qf-bench-cost-"))
    database = data / "qingfeng.sqlite3"
    env = bench_env(f"sqlite:///{database}")
    env.update(
        QF_DATA_DIR=str(data),
        QF_INTAKE_SUBMITS_PER_HOUR=str(10**7),
        QF_INTAKE_HUMAN_CHECK="0",
        # The cost of a submission, not the capacity: on a shared machine the loop runs late
        # and the shedding would answer some with a cheap 503.
        QF_SHED_QUEUE_MS="0",
        PYTHONPATH=str(REPO / "src"),
    )
    subprocess.run([PY, "manage.py", "migrate", "-v", "0"], cwd=REPO, env=env, check=True)
    setup = subprocess.run(
        [PY, "e2e/setup_data.py"], cwd=REPO, env=env, check=True, capture_output=True, text=True
    )
    units = json.loads(setup.stdout.strip().splitlines()[-1])["units"]
    with sqlite3.connect(database) as conn:
        categories = [
            row[0] for row in conn.execute("SELECT id FROM intake_ticketcategory WHERE is_active")
        ]
    if args.in_process:
        child = json.dumps({"units": units, "categories": categories})
        argv = [PY, __file__, "--in-process", str(args.in_process), "--child", child]
        subprocess.run(argv, cwd=REPO, env=env, check=True)
        return
    port = free_port()
    server = start(env, port, args.web_workers, data / "serve.log")
    spy = None
    try:
        # Warm every worker on a few submissions first: the figures are the steady state's.
        asyncio.run(open_loop(port, bodies(units, categories, 20, args.seed + 7), 10))
        time.sleep(3)
        procs = tree(server.pid)
        before = {pid: cpu_ms(pid) for pid in procs}
        stored = tickets(database)
        if args.py_spy:
            web = [pid for pid, cmd in procs.items() if kind(cmd) == "web"]
            worker = max(web, key=lambda pid: before[pid])  # the busiest: a worker, not master
            spy = subprocess.Popen(
                [
                    str(Path(PY).parent / "py-spy"),
                    "record",
                    "--pid",
                    str(worker),
                    "--format",
                    "raw",
                    "--rate",
                    "200",
                    "--output",
                    args.py_spy,
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1)
        load = os.getloadavg()[0]
        results = asyncio.run(
            open_loop(port, bodies(units, categories, args.count, args.seed), args.rate)
        )
        for _ in range(120):
            if pending_jobs(database) == 0:
                break
            time.sleep(0.5)
        time.sleep(1)
        after = {pid: cpu_ms(pid) for pid in procs if Path(f"/proc/{pid}").exists()}
    finally:
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(30)
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    per: dict[str, float] = collections.defaultdict(float)
    for pid, cmd in procs.items():
        per[kind(cmd)] += after.get(pid, before[pid]) - before[pid]
    row = summary(results, args.rate)
    print(
        json.dumps(
            {
                "count": args.count,
                "rate": args.rate,
                "statuses": row["statuses"],
                "stored": tickets(database) - stored,
                "p50_ms": round(row["p50"]),
                "load_before": round(load, 2),
                "cpu_ms_per_submission": {k: round(v / args.count, 2) for k, v in per.items()},
            }
        )
    )
    if args.py_spy and Path(args.py_spy).exists():
        top(Path(args.py_spy))


def in_process(setup: dict[str, Any], count: int, seed: int) -> None:
    import cProfile
    import pstats

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingfeng.settings")
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(REMOTE_ADDR="10.1.2.3")
    sent = bodies(setup["units"], setup["categories"], count + 21, seed)

    def post(body: bytes) -> None:
        response = client.post("/api/intake/reports", body, content_type="application/json")
        assert response.status_code == 201, response.content

    for body in sent[:20]:  # warm: caches, the calendar, the first connection
        post(body)
    with CaptureQueriesContext(connection) as queries:
        post(sent[20])
    print(f"{len(queries.captured_queries)} statements for one submission:")
    for query in queries.captured_queries:
        print("  ", query["sql"][:160])
    started = time.process_time()
    for body in sent[21:]:
        post(body)
    print(
        f"CPU {1000 * (time.process_time() - started) / count:.2f} ms per submission (test client)"
    )
    profile = cProfile.Profile()
    profile.enable()
    for body in bodies(setup["units"], setup["categories"], count, seed + 1):
        post(body)
    profile.disable()
    stats = pstats.Stats(profile)
    stats.sort_stats("cumulative").print_stats(60)


def top(path: Path, lines: int = 40) -> None:
    """The functions with the most samples anywhere on the stack, and at its top."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _sep, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    print(f"{total} samples")
    print("-- inclusive")
    for frame, n in inclusive.most_common(lines):
        print(f"{100 * n / total:5.1f}%  {frame[:150]}")
    print("-- own")
    for frame, n in own.most_common(lines // 2):
        print(f"{100 * n / total:5.1f}%  {frame[:150]}")


if __name__ == "__main__":
    main()
