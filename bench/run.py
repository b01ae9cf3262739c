"""Build a demo database of a given size and time what users wait for.

    bench/run.py --size city [--db sqlite|postgres|both] [--repeat N]

For each database: a fresh SQLite file under bench/out/ or a fresh PostgreSQL database
(qingfeng_bench), `migrate` and `seed_demo` in subprocesses with DATABASE_URL set (the
seeding is timed), then bench/measure.py times the operations. Settings are production
ones (QF_DEBUG=0, real keys in bench/out/bench.env, manifest static files), with
"testserver" allowed for the test client. Results go to the terminal and bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import platform
import re
import secrets
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
OUT = BENCH / "out"
PY = sys.executable
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/qingfeng_bench"

# The targets: (operation name prefix, statistic, limit in ms, where it applies).
TARGETS = (
    ("seed city", "wall", 60_000, "SQLite"),
    ("people list page", "p95", 150, "both"),
)


def target_for(name: str) -> tuple[str, float, str] | None:
    for prefix, stat, limit, applies in TARGETS:
        if name.startswith(prefix):
            return stat, limit, applies
    return None


# --- Environment --------------------------------------------------------------------------
def bench_keys() -> dict[str, str]:
    """Keys stay the same across runs, so a database built earlier can be measured again."""
    path = OUT / "bench.env"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        lines = [
            f"SECRET_KEY={secrets.token_urlsafe(50)}",
            f"QF_FIELD_KEY={base64.b64encode(secrets.token_bytes(32)).decode()}",
            f"QF_INDEX_KEY={base64.b64encode(secrets.token_bytes(32)).decode()}",
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    if not any(line.startswith("QF_AUDIT_KEY=") for line in lines):  # a bench.env from before
        lines.append(f"QF_AUDIT_KEY={base64.b64encode(secrets.token_bytes(32)).decode()}")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dict(line.split("=", 1) for line in lines if "=" in line)


def bench_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"QF_TESTING", "QF_DEBUG"}}
    env.update(bench_keys())
    env.update(
        DATABASE_URL=database_url,
        QF_DEBUG="0",
        QF_ENV_FILE=os.devnull,  # the local .env of `make run` must not leak in
        QF_DATA_DIR=str(OUT / "data"),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [PY, str(REPO / "manage.py"), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return seconds, done.stdout


# --- Databases ----------------------------------------------------------------------------
def fresh_sqlite(size: str) -> str:
    path = OUT / f"{size}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def pg_connect(url: str, dbname: str | None = None) -> Any:
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    return psycopg.connect(
        host=cfg["HOST"] or None,
        port=cfg["PORT"] or None,
        user=cfg["USER"] or None,
        password=cfg["PASSWORD"] or None,
        dbname=dbname or cfg["NAME"],
        autocommit=True,
        connect_timeout=5,
    )


def fresh_postgres(url: str) -> str:
    import dj_database_url
    from psycopg import sql

    name = dj_database_url.parse(url)["NAME"]
    with pg_connect(url, "postgres") as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url


def postgres_version(url: str) -> str:
    import psycopg

    try:
        with pg_connect(url, "postgres") as conn:
            version = str(conn.execute("SHOW server_version").fetchone()[0])
            # The settings the README's table names that change what is measured most: with
            # autovacuum off the kept-count tables bloat, and the planner's choices follow
            # random_page_cost and jit (README, PostgreSQL settings).
            settings = ", ".join(
                f"{name} {conn.execute(f'SHOW {name}').fetchone()[0]}"
                for name in ("autovacuum", "random_page_cost", "jit", "shared_buffers")
            )
            return f"{version} ({settings})"
    except psycopg.Error as exc:
        return f"not reachable ({exc.__class__.__name__})"


# --- One database -------------------------------------------------------------------------
def run_database(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"== {kind}: building a {args.size} database", flush=True)
    url = fresh_sqlite(args.size) if kind == "sqlite" else fresh_postgres(args.pg_url)
    env = bench_env(url)
    if not (OUT / "data" / "static" / "staticfiles.json").exists():
        manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    migrate_s, _out = manage(env, "migrate", "--noinput", "--verbosity", "0")
    load_before = os.getloadavg()[0]
    seed_s, out = manage(env, "seed_demo", "--size", args.size, "--seed", str(args.seed))
    inner = re.search(r"in ([\d.]+) s", out)
    print(f"   migrate {migrate_s:.1f} s, seed_demo {seed_s:.1f} s", flush=True)
    if kind == "postgres":
        # Autovacuum would visit the freshly loaded tables within a minute or so; do it now,
        # so that it does not run in the middle of the timings.
        with pg_connect(url) as conn:
            conn.execute("VACUUM ANALYZE")
    print(f"== {kind}: timing operations ({args.repeat} runs each)", flush=True)
    done = subprocess.run(
        [PY, str(BENCH / "measure.py"), "--repeat", str(args.repeat)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"measure.py failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    seed_op = {
        "name": f"seed {args.size}",
        "n": 1,
        "wall": seed_s * 1000,
        "inner": float(inner.group(1)) * 1000 if inner else None,
    }
    result["operations"].insert(0, seed_op)
    result["migrate_s"] = migrate_s
    result["load"] = (load_before, os.getloadavg()[0])
    return result


# --- Report -------------------------------------------------------------------------------
def machine(pg_url: str, with_pg: bool) -> dict[str, str]:
    import django
    import psycopg

    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem_kb = int(line.split()[1])
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "SQLite": sqlite3.sqlite_version,
        "PostgreSQL": postgres_version(pg_url) if with_pg else "not measured",
        "psycopg": psycopg.__version__,
    }


def fmt_ms(ms: float) -> str:
    return f"{ms / 1000:.1f} s" if ms >= 10_000 else f"{ms:.1f} ms"


def table(kind: str, result: dict[str, Any]) -> list[str]:
    lines = [
        f"## {result['database']}",
        "",
        f"{result['units']:,} units, {result['people']:,} people; the county admin's subtree "
        f"({result['county']}) holds {result['county_people']:,} people. "
        f"`migrate` took {result['migrate_s']:.1f} s. Load average (1 min) "
        f"{result['load'][0]:.1f} before seeding, {result['load'][1]:.1f} after measuring.",
        "",
        "| operation | runs | median | p95 | min | max | CPU median | queries | target | vs target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for op in result["operations"]:
        if op["name"].startswith("seed"):
            value = op["wall"]
            inner = f" (command: {op['inner'] / 1000:.1f} s)" if op.get("inner") else ""
            row = [op["name"], "1", f"{value / 1000:.1f} s{inner}", "", "", "", "", ""]
        else:
            value = op["p95"]
            stats = [fmt_ms(op[key]) for key in ("median", "p95", "min", "max", "cpu_median")]
            row = [op["name"], str(op["n"]), *stats, str(op["queries"])]
        target = target_for(op["name"])
        if target is not None and target[2] in {"both", SQLITE_ONLY.get(kind)}:
            stat, limit, _where = target
            limit_text = f"{limit / 1000:.0f} s" if limit >= 10_000 else f"{limit:.0f} ms"
            row += [f"≤ {limit_text} ({stat})", f"{value / limit:.2f}"]
        else:
            row += ["—", "—"]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    return lines


SQLITE_ONLY = {"sqlite": "SQLite"}


def write_results(args: argparse.Namespace, results: dict[str, dict[str, Any]]) -> None:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout

    commit = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    if git("status", "--porcelain", "--untracked-files=no").strip():
        commit += " plus uncommitted changes"
    now = dt.datetime.now().astimezone()
    info = machine(args.pg_url, "postgres" in results)
    lines = [
        "# Benchmark results",
        "",
        f"Measured {now:%Y-%m-%d %H:%M %Z} at commit `{commit}` with "
        f"`bench/run.py --size {args.size} --db {args.db} --repeat {args.repeat} "
        f"--seed {args.seed}`. Each operation ran twice untimed, then `--repeat` times, "
        "in turn with the others; "
        "p95 is the nearest-rank "
        "95th percentile. Times are wall-clock in one process with Django's test client "
        "(no network, no web server), production settings (`QF_DEBUG=0`). *vs target* is "
        "p95 (for the seeding: its wall time) divided by the target; *CPU median* is the CPU time "
        "of the measuring process, which load from elsewhere on the machine hardly changes "
        "(PostgreSQL's own work is not in it). What each operation does, "
        "and what the numbers showed, is in `bench/README.md`.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in info.items()),
        "",
    ]
    for kind, result in results.items():
        lines += table(kind, result)
    (BENCH / "RESULTS.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {BENCH / 'RESULTS.md'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=("county", "city", "province"), default="city")
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("QF_BENCH_POSTGRES_URL", DEFAULT_PG),
        help=f"the database to recreate for the PostgreSQL run (default {DEFAULT_PG})",
    )
    parser.add_argument("--no-write", action="store_true", help="do not rewrite RESULTS.md")
    args = parser.parse_args()
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if "postgres" in kinds and postgres_version(args.pg_url).startswith("not reachable"):
        if args.db == "postgres":
            sys.exit(f"PostgreSQL is not reachable at {args.pg_url}")
        print(f"PostgreSQL is not reachable at {args.pg_url}: SQLite only", flush=True)
        kinds = ["sqlite"]
    results = {kind: run_database(kind, args) for kind in kinds}
    for kind, result in results.items():
        print("\n".join(table(kind, result)))
    if not args.no_write:
        write_results(args, results)


if __name__ == "__main__":
    main()
