"""The real server under load: `manage.py serve` (gunicorn with gevent workers and the task
worker) on a fresh SQLite database, driven over TCP from this process.

    .venv/bin/python bench/serve.py [--rate 100] [--seconds 60] [--web-workers 3]
                                    [--no-write]

Phases, each against the running server:

1. submissions: `POST /api/intake/reports` at `--rate` per second for `--seconds`, open loop
   (request i leaves at i / rate seconds whether or not earlier ones were answered, each on a
   new connection, as citizens' phones do): p50/p95/max latency, status counts, and the
   tickets stored against the 201s answered;
2. over capacity: the same at twice `--rate` for 20 s — how many are turned away with 503
   and how fast;
3. keep-alive: 50 clients each reusing one connection for `GET /api/intake/categories` as
   fast as answered for 10 s: requests per second;
4. slow clients: 200 connections that send their headers a byte a second (or a body that
   never ends) while one client reads `/progress/` once a second: its latencies.

Results go to the terminal, bench/out/serve.json and the "Real server" section of
bench/RESULTS.md. The load generator shares the machine with the server (2 cores here): the
figures are for both on one box.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from intake import complaint  # noqa: E402
from measure import percentile  # noqa: E402
from run import OUT, PY, REPO, bench_env, machine  # noqa: E402

START, END = "<!-- serve:start -->", "<!-- serve:end -->"
SETTLE = 5.0  # seconds between the first answer of /healthz and the first measured request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def http(
    port: int,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    timeout: float = 30.0,
    headers: str = "",
) -> tuple[int, float]:
    """One request on a new connection: (status, milliseconds); status 0 on a failure.
    `headers`: extra header lines, each ending in CRLF."""
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{headers}\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()
        reply = await asyncio.wait_for(reader.read(), timeout)
        writer.close()
        status = int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else 0
    except (OSError, TimeoutError, ValueError, IndexError):
        status = 0
    return status, (time.perf_counter() - started) * 1000


async def open_loop(
    port: int,
    bodies: list[bytes],
    rate: float,
    *,
    paths: list[str] | None = None,
    headers: list[str] | None = None,
) -> list[tuple[int, float]]:
    """Request i leaves at i / rate seconds (POST `paths[i]`, default the intake's reports)."""
    tasks = []
    begin = time.perf_counter() + 0.2
    for i, body in enumerate(bodies):
        pause = begin + i / rate - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
        path = paths[i] if paths else "/api/intake/reports"
        extra = headers[i] if headers else ""
        tasks.append(asyncio.create_task(http(port, "POST", path, body, headers=extra)))
    return list(await asyncio.gather(*tasks))


async def keep_alive(port: int, clients: int, seconds: float) -> dict[str, Any]:
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    errors = 0
    statuses: dict[str, int] = {}

    async def client() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        request = b"GET /api/intake/categories HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)content-length: *(\d+)", head)
            await reader.readexactly(int(length[1]) if length else 0)
            status_line = head.split(b"\r\n", 1)[0]
            if b" 200 " not in status_line:
                errors += 1
            code = status_line.split(b" ")[1].decode() if b" " in status_line else "?"
            statuses[code] = statuses.get(code, 0) + 1
            latencies.append((time.perf_counter() - started) * 1000)
        writer.close()

    begin = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - begin
    return {
        "clients": clients,
        "requests": len(latencies),
        "per_second": len(latencies) / elapsed,
        "errors": errors,
        "statuses": statuses,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
    }


async def slow_clients(port: int, count: int, seconds: float) -> dict[str, Any]:
    writers = []
    for i in range(count):
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        if i % 2:
            writer.write(b"GET /progress/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: ")
        else:
            writer.write(
                b"POST /api/intake/reports HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
            )
        writers.append(writer)
    latencies, statuses = [], []
    for _ in range(int(seconds)):
        for writer in writers:
            if not writer.is_closing():
                writer.write(b"a")
        status, ms = await http(port, "GET", "/progress/")
        statuses.append(status)
        latencies.append(ms)
        await asyncio.sleep(1)
    still_open = sum(not w.is_closing() for w in writers)
    for writer in writers:
        writer.close()
    return {
        "slow_connections": count,
        "requests": len(latencies),
        "answered_200": statuses.count(200),
        "p50": percentile(latencies, 50),
        "max": max(latencies),
        "slow_still_open_at_end": still_open,
    }


def summary(results: list[tuple[int, float]], rate: float) -> dict[str, Any]:
    """Statuses and latencies of an open-loop run; `refused_at`: the 503s by the second of
    the run their requests left in (request i leaves at i / rate s), to tell a start-up
    queue from a steady shortfall."""
    statuses: dict[str, int] = {}
    refused_at: dict[int, int] = {}
    for i, (status, _ms) in enumerate(results):
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        if status == 503:
            refused_at[int(i / rate)] = refused_at.get(int(i / rate), 0) + 1
    created = [ms for status, ms in results if status == 201]
    every = [ms for _status, ms in results]
    refused = [ms for status, ms in results if status == 503]
    return {
        "requests": len(results),
        "statuses": statuses,
        "p50": percentile(every, 50),
        "p95": percentile(every, 95),
        "max": max(every),
        "p95_201": percentile(created, 95) if created else None,
        "p95_503": percentile(refused, 95) if refused else None,
        "refused_at": sorted(refused_at.items()),
    }


def tickets(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM intake_ticket").fetchone()[0])


def catch_up(database: Path, *, limit: float) -> dict[str, Any]:
    """After the phases, how long the task worker takes to finish the jobs they left (the
    duplicate check of every stored report, its notices): it gives way to the web's writes
    during a burst (core/jobs.py) and catches up afterwards."""
    query = "SELECT COUNT(*) FROM core_job WHERE status IN ('pending', 'running')"
    with sqlite3.connect(database) as conn:
        left = int(conn.execute(query).fetchone()[0])
    started = time.monotonic()
    remaining = left
    while remaining and time.monotonic() - started < limit:
        time.sleep(5)
        with sqlite3.connect(database) as conn:
            remaining = int(conn.execute(query).fetchone()[0])
    with sqlite3.connect(database) as conn:
        failed = int(
            conn.execute("SELECT COUNT(*) FROM core_job WHERE status = 'failed'").fetchone()[0]
        )
    return {
        "jobs_left": left,
        "seconds": round(time.monotonic() - started, 1),
        "remaining": remaining,
        "failed": failed,
    }


TICK = os.sysconf("SC_CLK_TCK")


def descendants(root: int) -> list[int]:
    """Every process under `root` (serve's children: gunicorn's master, its web workers, the
    task worker), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        children = [child for child, parent in parents.items() if parent == pid]
        found += children
        frontier += children
    return found


def processor(root: int) -> dict[str, float]:
    """Seconds of processor (user + system) used so far by serve's web workers and its task
    worker, each kind summed, read from /proc/<pid>/stat."""
    spent = {"web": 0.0, "worker": 0.0, "machine": 0.0}
    for pid in descendants(root):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds = (int(fields[11]) + int(fields[12])) / TICK
        if b"gunicorn" in command:
            spent["web"] += seconds  # the master's share is its own start-up, before the run
        elif b"run_huey" in command:
            spent["worker"] += seconds
    with open("/proc/stat") as stat:
        ticks = [int(n) for n in stat.readline().split()[1:]]
    # user, nice, system, irq, softirq, steal: every process of the machine, this one too
    spent["machine"] = (sum(ticks[:3]) + sum(ticks[5:8])) / TICK
    return spent


class Sampler:
    """Processor of the server's processes every `every` seconds while a phase runs, to see
    whether a request's cost grows through the phase (issue 11: it did, at 100/s)."""

    def __init__(self, root: int, every: float = 5.0) -> None:
        self.root, self.every = root, every
        self.samples: list[tuple[float, dict[str, float]]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append((time.perf_counter(), processor(self.root)))
            self.stop.wait(self.every)

    def __enter__(self) -> Sampler:
        self.begin = time.perf_counter()
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self.samples.append((time.perf_counter(), processor(self.root)))

    def slices(self, rate: float) -> list[dict[str, float]]:
        """Per interval between samples: its start (s into the phase), the web processes'
        processor in cores and in ms per request sent in that interval (`rate` a second), the
        task worker's, and the whole machine's (every process, the load generator's too)."""
        out = []
        for (t0, a), (t1, b) in zip(self.samples, self.samples[1:], strict=False):
            span = t1 - t0
            if span <= 0:
                continue
            web = b["web"] - a["web"]
            out.append(
                {
                    "at": round(t0 - self.begin, 1),
                    "web_cores": round(web / span, 2),
                    "worker_cores": round((b["worker"] - a["worker"]) / span, 2),
                    "machine_cores": round((b["machine"] - a["machine"]) / span, 2),
                    "web_ms_per_request": round(web * 1000 / (span * rate), 1),
                }
            )
        return out


def bodies(units: dict[str, int], categories: list[int], count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    schools = [(units["school"], "城关第一小学"), (units["county"], "祥泉区教育局")]
    out = []
    for _ in range(count):
        unit, name = rng.choice(schools)
        title, content = complaint(rng, name)
        body = {
            "kind": rng.choice(["complaint", "report", "suggestion"]),
            "category_id": rng.choice(categories),
            "unit_id": unit,
            "title": title,
            "content": content,
        }
        out.append(json.dumps(body, ensure_ascii=False).encode())
    return out


def worker_up(port: int) -> bool:
    """Whether /healthz reports the task worker up: it beats once it has loaded what its
    jobs need (core/tasks.py), about 4 s of processor after a start."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
            return bool(json.loads(reply.read()).get("worker") == "ok")
    except (OSError, ValueError):
        return False


def start(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [PY, "manage.py", "serve", "--port", str(port), "--web-workers", str(workers)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    for _ in range(600):
        # Up when a worker answers: each one loads the application and warms up
        # (core.warmup) before it accepts, the master's socket accepts before that.
        if asyncio.run(http(port, "GET", "/healthz", timeout=2))[0] == 200 and worker_up(port):
            # The other web processes finish starting (a few seconds of CPU each, on the
            # cores the first requests need): measured is the running server.
            time.sleep(SETTLE)
            return process
        time.sleep(0.1)
    process.kill()
    sys.exit(f"the server did not start:\n{log.read_text()}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--catch-up",
        type=float,
        default=900,
        help="seconds to wait at the end for the task worker to finish the jobs left (0: none)",
    )
    parser.add_argument(
        "--from-json",
        help="write RESULTS.md from a run saved before (bench/out/serve.json), measuring nothing",
    )
    args = parser.parse_args()
    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text())
        write_results(args, saved)
        return

    data = Path(tempfile.mkdtemp(prefix="qf-bench-serve-"))
    database = data / "qingfeng.sqlite3"
    env = bench_env(f"sqlite:///{database}")
    env.update(
        QF_DATA_DIR=str(data),
        # One load generator stands for many citizens: the per-address limit and the human
        # check (a picture a person reads) would otherwise refuse it.
        QF_INTAKE_SUBMITS_PER_HOUR=str(10**7),
        QF_INTAKE_HUMAN_CHECK="0",
        PYTHONPATH=str(REPO / "src"),
    )
    subprocess.run([PY, "manage.py", "migrate", "-v", "0"], cwd=REPO, env=env, check=True)
    setup = subprocess.run(
        [PY, "e2e/setup_data.py"], cwd=REPO, env=env, check=True, capture_output=True, text=True
    )
    units = json.loads(setup.stdout.strip().splitlines()[-1])["units"]
    env["QF_STATIC_ROOT"] = str(data / "static")
    subprocess.run(
        [PY, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=REPO, env=env, check=True
    )
    with sqlite3.connect(database) as conn:
        categories = [
            row[0] for row in conn.execute("SELECT id FROM intake_ticketcategory WHERE is_active")
        ]
    port = free_port()
    log = data / "serve.log"
    server = start(env, port, args.web_workers, log)
    results: dict[str, Any] = {"load_before": os.getloadavg()[0]}
    try:
        before = tickets(database)
        sent = bodies(units, categories, int(args.rate * args.seconds), args.seed)
        with Sampler(server.pid) as sampler:
            load = asyncio.run(open_loop(port, sent, args.rate))
        time.sleep(2)
        results["submissions"] = {
            "rate": args.rate,
            "seconds": args.seconds,
            **summary(load, args.rate),
            "stored": tickets(database) - before,
            "processor": sampler.slices(args.rate),
        }
        print(json.dumps(results["submissions"]), flush=True)
        before = tickets(database)
        over = asyncio.run(
            open_loop(
                port,
                bodies(units, categories, int(args.rate * 2 * 20), args.seed + 1),
                args.rate * 2,
            )
        )
        time.sleep(2)
        results["over_capacity"] = {
            "rate": args.rate * 2,
            "seconds": 20,
            **summary(over, args.rate * 2),
            "stored": tickets(database) - before,
        }
        print(json.dumps(results["over_capacity"]), flush=True)
        results["keep_alive"] = asyncio.run(keep_alive(port, 50, 10))
        print(json.dumps(results["keep_alive"]), flush=True)
        results["slow_clients"] = asyncio.run(slow_clients(port, 200, 15))
        print(json.dumps(results["slow_clients"]), flush=True)
        results["catch_up"] = catch_up(database, limit=args.catch_up)
        print(json.dumps(results["catch_up"]), flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    results["load_after"] = os.getloadavg()[0]
    results["measured_at"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    results["commit"] = subprocess.run(
        ["git", "log", "-1", "--format=%h %s"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()[:60]
    OUT.mkdir(exist_ok=True)
    (OUT / "serve.json").write_text(json.dumps(results, indent=2))
    if not args.no_write:
        write_results(args, results)


def fmt(ms: float | None) -> str:
    return "—" if ms is None else f"{ms:,.0f} ms"


def catch_up_line(done: dict[str, Any] | None) -> list[str]:
    if not done or not done["jobs_left"]:
        return []
    end = (
        f"all done {done['seconds']:,.0f} s after the last phase"
        if not done["remaining"]
        else f"{done['remaining']:,} still waiting after {done['seconds']:,.0f} s"
    )
    return [
        "",
        f"Task worker: {done['jobs_left']:,} jobs left when the phases ended (it gives way to "
        f"the web's writes during a burst, `core/jobs.py`); {end}; {done['failed']} failed.",
    ]


def write_results(args: argparse.Namespace, results: dict[str, Any]) -> None:
    info = machine("", False)
    commit = results["commit"]
    now = results["measured_at"]
    after = results.get("load_after")
    sub, over = results["submissions"], results["over_capacity"]
    ka, slow = results["keep_alive"], results["slow_clients"]
    lines = [
        START,
        "## Real server (issue 11)",
        "",
        f"Measured {now} at commit `{commit}` with `bench/serve.py --rate {args.rate:g} "
        f"--seconds {args.seconds:g} --web-workers {args.web_workers}`: `manage.py serve` "
        f"(gunicorn, gevent workers, plus the task worker) on a fresh SQLite database, the "
        f"load generator on the same machine ({info.get('cores', '?')} cores; load average "
        f"{results['load_before']:.1f} before, "
        f"{'not recorded' if after is None else format(after, '.1f')} after). What each "
        "phase does: `bench/README.md`, section Real server.",
        "",
        "| phase | requests | statuses | p50 | p95 | max | stored / 201 |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for name, row in (
        (f"submissions, {sub['rate']:g}/s for {sub['seconds']:g} s", sub),
        (f"over capacity, {over['rate']:g}/s for 20 s", over),
    ):
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(row["statuses"].items()))
        lines.append(
            f"| {name} | {row['requests']} | {statuses} | {fmt(row['p50'])} | "
            f"{fmt(row['p95'])} | {fmt(row['max'])} | {row['stored']} / "
            f"{row['statuses'].get('201', 0)} |"
        )
    if sub.get("processor"):
        cost = ", ".join(
            f"{row['at']:g} s: {row['web_ms_per_request']:g} ms ({row['web_cores']:g} of "
            f"{row.get('machine_cores', '?')} cores busy)"
            for row in sub["processor"]
        )
        lines.append(
            "\nThe web processes' processor per request sent during the submissions phase, by "
            f"interval (its start: ms a request, cores in use): {cost}."
        )
    for name, row in (("submissions", sub), ("over capacity", over)):
        if row.get("refused_at"):
            seconds = ", ".join(f"{second}: {count}" for second, count in row["refused_at"])
            lines.append(f"\n503s of the {name} phase by second of the run: {seconds}.")
    lines += [
        "",
        f"Keep-alive: {ka['clients']} clients reusing their connections answered "
        f"{ka['per_second']:,.0f} requests/s (`GET /api/intake/categories`, p50 "
        f"{fmt(ka['p50'])}, p95 {fmt(ka['p95'])}, {ka['errors']} answers other than 200"
        + (f": {ka['statuses']}" if ka.get("statuses") else ", statuses not recorded by this run")
        + "; `/api/intake/` is a shed prefix: the load shedding answers 503 once the process "
        "runs late).",
        "",
        f"Slow clients: with {slow['slow_connections']} connections trickling their headers "
        f"or bodies, `GET /progress/` answered {slow['answered_200']} of {slow['requests']} "
        f"times with 200, p50 {fmt(slow['p50'])}, max {fmt(slow['max'])}.",
        *catch_up_line(results.get("catch_up")),
        END,
    ]
    path = BENCH / "RESULTS.md"
    text = path.read_text()
    block = "\n".join(lines)
    if START in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text)


if __name__ == "__main__":
    main()
