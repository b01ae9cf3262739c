"""A load test at province size through nginx to two application hosts (issue 17 §5).

    .venv/bin/python scripts/province_load.py --database qingfeng_bench_ops_province \\
        [--postgres postgres://postgres@127.0.0.1:5432/postgres] [--seconds 30] [--rate 100]

The database is a province built by `bench/ledger.py --size province --build-only` (seed_demo's
four cities: 5,600 units, 240,000 people; 2,000,000 problems, 800,000 tickets), best a copy
made for the run (`CREATE DATABASE … TEMPLATE …`): the submissions stay in it. Two hosts as in
scripts/multihost.py — each a `serve` (one gunicorn web worker and a task worker) with a data
directory of its own, both on that database and one Redis database — behind nginx (the same
configuration: an upstream of the two). With `--replica URL` (a streaming replica of the
server holding the database) the hosts read their dashboards there.

With `--own-replica` the run has a primary and a streaming replica of its own, as
scripts/multihost.py makes them (scripts/pgreplica.py: `initdb` on a free port, run as the
`postgres` user with Debian's /usr/lib/postgresql/<version>/bin, `pg_basebackup -R -X stream`),
because the machine's shared server allows no replication connections. The province is copied
into the primary before the base backup (`pg_dump -Fc` of `--database` on `--postgres`, then
`pg_restore`), or with `--seed county|city` built straight into it (migrate and seed_demo, to
try the mode at a small size); the hosts write to the primary and read the dashboards and
reports from the replica (DATABASE_REPLICA_URL), and the replica's lag is sampled through the
submissions phase. Both are deleted at the end.

Each host's web worker holds at most `--worker-connections` connections (serve's 1,000 by
default) and each process at most `--pool` database connections (QF_PG_POOL): two hosts, each
a web worker and a task worker, hold at most 4 × pool on each server, which must stay under
its max_connections (`serve` warns at start when it cannot, core/poolcheck.py).

Through nginx, one phase after the other, each `--seconds` long:
- the ledger list (/ledger/), the staff queue (/intake/) and the dashboard (/dashboard/), each
  asked for in a closed loop by `--clients` signed-in clients (the province bureau's admin and
  a county's, alternately; the dashboard the bureau's admin): requests, statuses, median,
  p95, max and requests per second;
- public submissions (POST /api/intake/reports) in an open loop at `--rate` a second, each from
  an address of its own (one hop of X-Forwarded-For trusted, as behind an outer proxy): the
  same figures and how many were stored.
The load average (1 minute) is read at the end of each phase. The figures go to the terminal,
bench/out/province-load.json and bench/RESULTS.md ("Several hosts, province").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent / "bench"))
import pgreplica
from drill import PY, free_port, fresh_keys, get, instance_env, manage, pg, pg_url, stop
from multihost import lag_figures, query, sample_lag, sign_in, start_nginx
from run import OUT
from serve import open_loop

HERE = Path(__file__).resolve().parent
START, END = "<!-- multihost-province:start -->", "<!-- multihost-province:end -->"
MARK = "省级负载"  # in the titles of the submissions this run files


def serve(env: dict[str, str], log: Path, connections: int) -> tuple[Any, int]:
    """`serve` with one web worker holding at most `connections` connections (their requests
    borrow from the process's pool of QF_PG_POOL database connections), once /healthz
    answers."""
    import subprocess

    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and package
            [PY, "-m", "qingfeng", "serve", "--port", str(port), "--web-workers", "1",
             "--worker-connections", str(connections)],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"serve exited early:\n{log.read_text(errors='replace')}")
        try:
            if get(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                return process, port
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    stop(process)
    raise SystemExit(f"serve did not answer /healthz:\n{log.read_text(errors='replace')}")


def sizes(database: str) -> dict[str, int]:
    [(units, people, problems, tickets)] = query(
        database,
        "SELECT (SELECT COUNT(*) FROM orgs_unit), (SELECT COUNT(*) FROM orgs_person),"
        " (SELECT COUNT(*) FROM ledger_problem), (SELECT COUNT(*) FROM intake_ticket)",
    )
    return {"units": units, "people": people, "problems": problems, "tickets": tickets}


def figures(times: list[float], statuses: dict[str, int], seconds: float) -> dict[str, Any]:
    ordered = sorted(times)
    return {
        "requests": len(times),
        "statuses": statuses,
        "errors": sum(n for status, n in statuses.items() if status not in ("200", "201")),
        "median_ms": round(statistics.median(ordered)) if ordered else None,
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95 + 0.5) - 1)]) if ordered else None,
        "max_ms": round(ordered[-1]) if ordered else None,
        "per_second": round(len(times) / seconds, 1),
        "load_1min": round(os.getloadavg()[0], 1),
    }


def closed_loop(
    front: str, path: str, browsers: list[urllib.request.OpenerDirector], seconds: float
) -> dict[str, Any]:
    """Each browser asks for `path` again as soon as it has its answer, for `seconds`."""
    times: list[float] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(browser: urllib.request.OpenerDirector) -> None:
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                with browser.open(f"{front}{path}", timeout=120) as response:
                    response.read()
                    status = str(response.status)
                    if urllib.parse.urlsplit(response.geturl()).path != path.split("?")[0]:
                        status = "sent elsewhere"  # the sign-in page: not the page asked for
            except urllib.error.HTTPError as exc:
                status = str(exc.code)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                status = "no answer"
            with lock:
                times.append((time.monotonic() - started) * 1000)
                statuses[status] = statuses.get(status, 0) + 1

    began = time.monotonic()
    threads = [threading.Thread(target=client, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return figures(times, statuses, time.monotonic() - began)


def submissions(front_port: int, database: str, rate: float, seconds: float) -> dict[str, Any]:
    [(unit, category)] = query(
        database,
        "SELECT (SELECT id FROM orgs_unit WHERE kind = 'school' AND is_active ORDER BY id"
        " LIMIT 1), (SELECT id FROM intake_ticketcategory WHERE is_active ORDER BY id LIMIT 1)",
    )
    rng = random.Random(17)  # noqa: S311 - made-up report texts
    count = int(rate * seconds)
    bodies, headers = [], []
    for number in range(count):
        bodies.append(
            json.dumps(
                {
                    "kind": "complaint",
                    "category_id": category,
                    "unit_id": unit,
                    "title": f"{MARK}第{number}份：食堂饭菜质量问题",
                    "content": f"学校食堂饭菜质量差，价格偏高，{rng.randint(1, 10**6)}号反映。",
                },
                ensure_ascii=False,
            ).encode()
        )
        headers.append(f"X-Forwarded-For: 100.{64 + number // 65000}.{number // 250 % 250}."
                       f"{number % 250 + 1}\r\n")  # fmt: skip
    [(before,)] = query(database, f"SELECT COUNT(*) FROM intake_ticket WHERE title LIKE '{MARK}%'")  # noqa: S608
    began = time.monotonic()
    results = asyncio.run(open_loop(front_port, bodies, rate, headers=headers))
    elapsed = time.monotonic() - began
    statuses: dict[str, int] = {}
    for status, _ms in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    out = figures([ms for _s, ms in results], statuses, elapsed)
    out["per_second"] = round(statuses.get("201", 0) / elapsed, 1)  # accepted a second
    time.sleep(3)
    [(after,)] = query(database, f"SELECT COUNT(*) FROM intake_ticket WHERE title LIKE '{MARK}%'")  # noqa: S608
    out["stored"] = after - before
    out["rate"] = rate
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="qingfeng_bench_ops_province")
    parser.add_argument("--replica", default="", help="DATABASE_REPLICA_URL for both hosts")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument(
        "--keys",
        default=str(OUT / "bench.env"),
        help="the keys the database was built with (bench/out/bench.env of the worktree that "
        "built it): its personal fields are encrypted with them",
    )
    parser.add_argument(
        "--worker-connections",
        type=int,
        default=1000,
        help="connections each host's web worker holds at most (serve's default)",
    )
    parser.add_argument(
        "--pool",
        type=int,
        default=10,
        help="QF_PG_POOL: database connections each process holds at most (2 hosts × 2 "
        "processes × pool must stay under max_connections)",
    )
    parser.add_argument(
        "--own-replica",
        action="store_true",
        help="a primary and a streaming replica of the run's own (scripts/pgreplica.py), the "
        "database copied into the primary from --postgres (or built, --seed)",
    )
    parser.add_argument(
        "--seed",
        choices=("county", "city"),
        default="",
        help="with --own-replica: build the database in the primary (migrate, seed_demo of "
        "this size) instead of copying --database",
    )
    parser.add_argument("--no-write", action="store_true", help="leave bench/RESULTS.md alone")
    args = parser.parse_args()

    pair = None
    if args.own_replica:
        started = time.monotonic()
        pair = pgreplica.start_pair(load=lambda primary: fill(primary, args))
        print(
            f"own primary on port {pair.primary.port}, streaming replica on port "
            f"{pair.replica.port}; filled and backed up in {time.monotonic() - started:.0f} s",
            flush=True,
        )
        args.postgres, args.replica = pair.primary.url(), pair.replica.url()
    try:
        run(args, pair)
    finally:
        if pair is not None:
            pair.stop()


def seed_keys(args: argparse.Namespace) -> dict[str, str]:
    """The keys the database's personal fields are encrypted with: the builder's, or, for a
    database this run seeds, new ones (kept for the hosts in bench/out/province-seed.env)."""
    if not args.seed:
        keys = Path(args.keys).read_text(encoding="utf-8").splitlines()
        return dict(line.split("=", 1) for line in keys if "=" in line)
    saved = OUT / "province-seed.env"
    if not saved.exists():
        OUT.mkdir(exist_ok=True)
        saved.write_text("".join(f"{k}={v}\n" for k, v in fresh_keys().items()), "utf-8")
    return dict(line.split("=", 1) for line in saved.read_text("utf-8").splitlines() if line)


def fill(primary: pgreplica.Server, args: argparse.Namespace) -> None:
    """The run's database in the own primary: copied from --postgres, or seeded."""
    import subprocess

    pg(primary.url(), f'CREATE DATABASE "{args.database}"')
    target = primary.url(args.database)
    if args.seed:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("QF_", "DATABASE_URL"))}
        folder = Path(tempfile.mkdtemp(prefix="qingfeng-seed-"))
        base.update(seed_keys(args), QF_ENV_FILE=str(folder / "absent.env"))
        env = instance_env(base, folder, target)
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "seed_demo", "--size", args.seed, "--seed", "1")
        return
    binaries = pgreplica.binaries()
    source = pg_url(args.postgres, args.database)
    dump = subprocess.Popen(  # noqa: S603 - the server's own client
        [str(binaries / "pg_dump"), "-Fc", "-Z", "0", "-d", source], stdout=subprocess.PIPE
    )
    restored = subprocess.run(  # noqa: S603 - the server's own client
        [str(binaries / "pg_restore"), "--no-owner", "--no-acl", "-d", target],
        stdin=dump.stdout,
        check=False,
    )
    assert dump.stdout is not None
    dump.stdout.close()
    if dump.wait() != 0 or restored.returncode != 0:
        raise SystemExit(f"copying {args.database} into the own primary failed")
    pg(target, "ANALYZE")


def run(args: argparse.Namespace, pair: pgreplica.Pair | None) -> None:
    import redis

    database = pg_url(args.postgres, args.database)
    size = sizes(database)
    print("sizes:", size, flush=True)
    queue = redis.Redis.from_url(args.redis)
    queue.flushdb()  # this script's own database number
    work = Path(tempfile.mkdtemp(prefix="qingfeng-province-"))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("QF_", "DATABASE_URL"))}
    base.update(seed_keys(args))  # the builder's
    base["QF_ENV_FILE"] = str(work / "absent.env")
    servers: dict[str, tuple[Any, int]] = {}
    results: dict[str, Any] = {"sizes": size, "load_before": os.getloadavg()}
    balancer = None
    try:
        for host in ("a", "b"):
            (work / host).mkdir()
            env = instance_env(base, work / host, database)
            env.update(
                REDIS_URL=args.redis,
                QF_TRUSTED_PROXY_HOPS="1",
                QF_INTAKE_HUMAN_CHECK="0",  # a program files the reports
                QF_INTAKE_SUBMITS_PER_HOUR=str(10**7),  # one generator stands for many people
                QF_TOTP_REQUIRED_ROLES="",  # the generator signs in with passwords only
                QF_PG_POOL=str(args.pool),
            )
            if args.replica:
                env["DATABASE_REPLICA_URL"] = pg_url(args.replica, args.database)
            manage(env, "collectstatic", "--noinput", "-v", "0")
            servers[host] = serve(env, work / f"serve-{host}.log", args.worker_connections)
            print(f"host {host}: serve on port {servers[host][1]}", flush=True)
        balancer, front = start_nginx(work, servers["a"][1], servers["b"][1])
        port = int(front.rsplit(":", 1)[1])
        bureau = [sign_in(front, "demo_bureau") for _ in range(args.clients // 2 or 1)]
        county = [sign_in(front, "demo_county") for _ in range(args.clients - len(bureau))]
        mixed = [b for pair in zip(bureau, county, strict=False) for b in pair] or bureau
        phases = {
            "ledger list": ("/ledger/", mixed),
            "staff queue": ("/intake/", mixed),
            "dashboard": ("/dashboard/", bureau * max(1, args.clients // len(bureau) // 2)),
        }
        for label, (path, browsers) in phases.items():
            results[label] = closed_loop(front, path, browsers, args.seconds)
            print(f"{label}:", results[label], flush=True)
        done = threading.Event()
        samples: list[dict[str, float]] = []
        sampler = None
        if pair is not None:
            sampler = threading.Thread(target=sample_lag, args=(pair, args.database, done, samples))
            sampler.start()
        try:
            results["public submissions"] = submissions(port, database, args.rate, args.seconds)
        finally:
            done.set()
            if sampler is not None:
                sampler.join()
        print("public submissions:", results["public submissions"], flush=True)
        if pair is not None:
            results["replica lag"] = lag_figures(samples)
            print("replica lag during the submissions:", results["replica lag"], flush=True)
    finally:
        if balancer is not None:
            balancer.terminate()
            balancer.wait()
        for process, _port in servers.values():
            stop(process)
        queue.flushdb()
    # What serve said at start about the pools (core/poolcheck.py), and nginx's complaints.
    results["pool warnings"] = sum(
        (work / f"serve-{host}.log").read_text(errors="replace").count("QF_PG_POOL")
        for host in servers
    )
    errors = work / "nginx" / "nginx-error.log"
    text = errors.read_text(errors="replace") if errors.exists() else ""
    results["nginx worker_connections not enough"] = text.count("worker_connections are not")
    results["load_after"] = os.getloadavg()
    results["measured_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results["replica"] = bool(args.replica)
    results["seconds"] = args.seconds
    results["clients"] = args.clients
    results["worker_connections"] = args.worker_connections
    results["pool"] = args.pool
    results["own replica"] = pair is not None
    OUT.mkdir(exist_ok=True)
    (OUT / "province-load.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    if not args.no_write:
        write_results(results)


def write_results(results: dict[str, Any]) -> None:
    size = results["sizes"]
    lines = [
        START,
        "### Several hosts, province (issue 17 §5)",
        "",
        f"Run {results['measured_at']} with `scripts/province_load.py`: nginx in front of two "
        "hosts (each a `serve` with one gunicorn web worker and a task worker), one PostgreSQL "
        f"database ({size['units']:,} units, {size['people']:,} people, {size['problems']:,} "
        f"problems, {size['tickets']:,} tickets before the run), one Redis; "
        + (
            "the run's own primary and streaming replica (scripts/pgreplica.py), the dashboards "
            "and reports read from the replica"
            if results.get("own replica")
            else "dashboards read from a streaming replica"
            if results["replica"]
            else "no replica"
        )
        + f". Each phase {results['seconds']:.0f} s through nginx, one after the other; "
        f"{results['clients']} signed-in clients in a closed loop for the pages; each host's "
        f"web worker held at most {results.get('worker_connections', 1000)} connections and "
        f"each process at most {results.get('pool', 10)} database connections (QF_PG_POOL; "
        f"serve's warnings that the pools cannot fit: {results.get('pool warnings', 0)}); "
        'nginx with worker_connections 8192 ("worker_connections are not enough": '
        f"{results.get('nginx worker_connections not enough', 0)}). "
        '"Per '
        'second": pages answered a second; for the submissions, those accepted (201) a '
        "second from the first sent to the last answered. Errors: anything but 200 (201).",
        "",
        "| phase | requests | statuses | median | p95 | max | per second | load (1 min) at end |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label in ("ledger list", "staff queue", "dashboard", "public submissions"):
        found = results.get(label)
        if found is None:
            continue
        name = label
        if label == "public submissions":
            name = (
                f"public submissions, open loop at {found['rate']:.0f}/s (stored {found['stored']})"
            )
        lines.append(
            f"| {name} | {found['requests']} | {found['statuses']} | {found['median_ms']} ms | "
            f"{found['p95_ms']} ms | {found['max_ms']} ms | {found['per_second']} | "
            f"{found['load_1min']} |"
        )
    lag = results.get("replica lag")
    if lag:
        lines.append(
            f"| replica lag during the submissions ({lag['samples']} samples, every 0.25 s) | "
            + "; ".join(
                f"{label} p50/p95/max {lag[label]['p50']:g}/{lag[label]['p95']:g}/"
                f"{lag[label]['max']:g}"
                for label in (
                    "replay lag ms",
                    "write lag ms",
                    "flush lag ms",
                    "last replayed commit age ms",
                    "bytes behind",
                )
            )
            + " |  |  |  |  |  |  |"
        )
    before = tuple(round(x, 1) for x in results["load_before"])
    after = tuple(round(x, 1) for x in results["load_after"])
    lines += [
        "",
        f"Load average (1, 5, 15 min) before {before}, after {after}, on a machine of "
        f"{os.cpu_count()} cores that also runs the database servers, nginx and the load "
        "generator (anything else running then is in the load average): the figures are what "
        "these hosts cost on it, not a capacity. Reproduce: build the province with "
        "`bench/ledger.py --size province --build-only` (and its tickets, bench/README.md), "
        "then `.venv/bin/python scripts/province_load.py --database "
        "qingfeng_bench_ledger_province --own-replica` (the database copied into a primary "
        "and replica of the run's own), or without `--own-replica` on a copy made for the "
        "run (`CREATE DATABASE qingfeng_bench_ops_province TEMPLATE "
        "qingfeng_bench_ledger_province`) on the shared server, no replica.",
        END,
    ]
    path = HERE.parent / "bench" / "RESULTS.md"
    text = path.read_text(encoding="utf-8")
    block = "\n".join(lines)
    if START in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        marker = "<!-- multihost:end -->"
        if marker in text:
            head, rest = text.split(marker, 1)
            text = head + marker + "\n\n" + block + rest
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
