"""Time the dashboard (驾驶舱) at city size with all the benches' data.

    .venv/bin/python bench/dashboard.py [--db sqlite|postgres|both] [--problems 500000]
        [--tickets 200000] [--ratings 1000000] [--sessions 200000] [--per-session 15] [--copies N]
        [--repeat 20] [--reuse | --build-only | --explain] [--no-write] [--write-only]
        [--pg-url URL]

For each database: a fresh SQLite file (bench/out/dashboard.sqlite3) or PostgreSQL database
(qingfeng_bench_dashboard), `migrate` and `seed_demo --size city` (as bench/run.py does), then
the records of the other benches, each written by that bench's own `build` in a child process
with bench/run.py's production-like environment:

- bench/ledger.py: `--problems` problems, registered over the last 13 months;
- bench/intake.py: `--tickets` tickets over the last 12 months, with their events;
- bench/evaluation.py: one round over the whole city opened now, `--ratings` ratings (all in
  the current month: a round is rated while it is open);
- bench/learning.py: `--sessions` study sessions over the last 13 months with `--per-session`
  attendance rows each (no cases: the dashboard does not read them).

Then planner statistics (ANALYZE; VACUUM ANALYZE on PostgreSQL) and the nightly job
(`monthly.freeze_due`: on a fresh database it freezes the 24 months it looks back over and the
last 13 weeks, timed as a whole and per month). Then, in another child process: `freeze_due`
again (what a database built before still needs) and the job that keeps the current month
warm (`monthly.warm`, 3 times, timed; re-run between rounds outside the timings, as the worker
does every 2 minutes), and with the test client as in bench/measure.py (warm-up, round robin,
median and nearest-rank p95, CPU time, query count and slowest statement of one more run):

- the bureau admin's /dashboard/, cold (the cache cleared before each sample: the live month
  computed from the records, the trend read from the frozen table) and cached;
- a county admin's, cold and cached; the bureau admin drilling to that county and to a school
  (`?scope=`), cold; last month's dashboard (frozen), cold;
- the large screen (/dashboard/screen/) and the Excel export, cold and cached;
- the bureau admin's and the county admin's page cold without the warm summary (the page's
  fallback: the current month computed from the records);
- `monthly.freeze` of last month (what the nightly job does each month), `--freeze-repeat`
  times.

A cProfile of one cold bureau request and its ten slowest statements go to
bench/out/dashboard-profile-<db>.txt. Targets (issue 18): the bureau's dashboard cold
<= 800 ms and cached <= 100 ms, a county's cold <= 300 ms, drill-down to a school <= 300 ms
(p95). Results go to the terminal, bench/out/dashboard-<db>.json and the "Dashboard" section
of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from ledger import _fresh_postgres, _setup_django  # noqa: E402
from measure import WARMUP, summarise  # noqa: E402
from run import OUT, PY, REPO, bench_env, fmt_ms, machine, manage, pg_connect  # noqa: E402

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/qingfeng_bench_dashboard"
SQLITE_PATH = OUT / "dashboard.sqlite3"
DAYS = 395  # about 13 months: the trend's months all have records
# (operation name prefix, statistic, limit in ms)
TARGETS = (
    ("bureau admin, cold", "p95", 800),
    ("bureau admin, cached", "p95", 100),
    ("county admin, cold", "p95", 300),
    ("bureau admin → school", "p95", 300),
)
START, END = "<!-- dashboard:start -->", "<!-- dashboard:end -->"


# --- Building: the other benches' own builders, one child process each -----------------------
def builders(args: argparse.Namespace) -> list[tuple[str, list[str]]]:
    return [
        (
            "ledger.py",
            [
                "--child", "build", "--problems", str(args.problems), "--oldest-days", str(DAYS),
                "--copies", str(args.copies),
            ],
        ),
        (
            "intake.py",
            ["--child", "build", "--tickets", str(args.tickets), "--copies", str(args.copies)],
        ),
        ("evaluation.py", ["--child", "--build-only", "--ratings", str(args.ratings)]),
        (
            "learning.py",
            [
                "--child", "--build-only", "--sessions", str(args.sessions),
                "--per-session", str(args.per_session), "--cases", "0", "--days", str(DAYS),
            ],
        ),
    ]  # fmt: skip


def _run_json(env: dict[str, str], script: Path, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [PY, str(script), *args], env=env, cwd=REPO, capture_output=True, text=True, check=False
    )
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        sys.exit(f"bench/{script.name} {' '.join(args)} failed:\n{done.stdout}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def freeze_all() -> dict[str, Any]:
    """The nightly job on a database that has never run it: every month of the look-back."""
    _setup_django()
    from django.core.cache import cache

    from qingfeng.reports import monthly
    from qingfeng.reports.models import MonthFigure

    cache.clear()  # bench/out/data/scratch.sqlite3 is shared by the runs of both databases
    started = time.perf_counter()
    months = monthly.freeze_due()
    seconds = time.perf_counter() - started
    return {
        "months": len(months),
        "seconds": seconds,
        "rows": MonthFigure.objects.count(),
    }


def explain() -> str:
    """The plans of the ledger's and the evaluation's figure counts (`compute` of the current
    month) for the whole city and for one county; on PostgreSQL the city's also with
    `enable_seqscan = off` (what the index would cost)."""
    _setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from qingfeng.evaluation import figures as evaluation_figures
    from qingfeng.ledger import figures as ledger_figures
    from qingfeng.orgs.models import Unit

    today = timezone.localdate()
    first = today.replace(day=1)
    county = Unit.objects.filter(depth=1, kind="county").order_by("path").first()
    assert county is not None
    scopes = {
        "city": list(Unit.objects.filter(is_active=True).values_list("pk", flat=True)),
        f"county {county.name}": list(Unit.objects.within(county).values_list("pk", flat=True)),
    }
    pg = connection.vendor == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if pg else "EXPLAIN QUERY PLAN "
    out = []
    for name, source in (("ledger", ledger_figures), ("evaluation", evaluation_figures)):
        for scope, ids in scopes.items():
            with CaptureQueriesContext(connection) as queries:
                source.compute(ids, first, today)
            sql = queries.captured_queries[0]["sql"]
            settings = [""] + (["SET enable_seqscan = off"] if pg and scope == "city" else [])
            for setting in settings:
                with connection.cursor() as cursor:
                    if setting:
                        cursor.execute(setting)
                    cursor.execute(prefix + sql)
                    plan = [" | ".join(str(c) for c in row)[:200] for row in cursor.fetchall()]
                    if setting:
                        cursor.execute("RESET enable_seqscan")
                out.append(f"== {name}, {scope} ({len(ids)} units) {setting}")
                out += [*plan, ""]
    return "\n".join(out)


# --- Measuring ------------------------------------------------------------------------------
def measure(repeat: int, freeze_repeat: int) -> dict[str, Any]:
    _setup_django()
    from django.core.cache import cache
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from qingfeng.evaluation.models import Response
    from qingfeng.intake.models import Ticket
    from qingfeng.learning.models import Attendance
    from qingfeng.ledger.models import Problem
    from qingfeng.orgs.middleware import SESSION_STARTED, SESSION_VERIFIED
    from qingfeng.orgs.models import Role, RoleAssignment, Unit, User
    from qingfeng.reports import monthly
    from qingfeng.reports.models import LiveRun, MonthFigure

    cache.clear()
    # The nightly job as the database needs it now (a database built before this code froze
    # no weeks), then the job that keeps the current month warm, as the worker runs it.
    started = time.perf_counter()
    monthly.freeze_due()
    due_s = time.perf_counter() - started
    warm_samples, warm_rows = [], []
    for _ in range(3):
        started = time.perf_counter()
        warm_rows.append(monthly.warm())
        warm_samples.append((time.perf_counter() - started) * 1000)

    def signed_in(username: str) -> Client:
        client = Client()
        client.force_login(User.objects.get(username=username))
        session = client.session
        session[SESSION_STARTED] = time.time()
        session[SESSION_VERIFIED] = True
        session.save()
        return client

    def unit_of(username: str) -> Unit:
        return RoleAssignment.objects.get(
            user__username=username, role=Role.UNIT_ADMIN, revoked_at=None
        ).unit

    county, school = unit_of("demo_county"), unit_of("demo_school")
    bureau, county_admin = signed_in("demo_bureau"), signed_in("demo_county")
    today = timezone.localdate()
    last_month = monthly.add_months(monthly.month_start(today), -1)

    def get(client: Client, url: str) -> Callable[[], Any]:
        def request() -> Any:
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} answered {response.status_code}")
            return response

        return request

    pages = [
        ("bureau admin", bureau, "/dashboard/"),
        ("county admin", county_admin, "/dashboard/"),
        (f"bureau admin → county ({county.name})", bureau, f"/dashboard/?scope={county.pk}"),
        (f"bureau admin → school ({school.name})", bureau, f"/dashboard/?scope={school.pk}"),
        ("county admin → school", county_admin, f"/dashboard/?scope={school.pk}"),
        (
            f"bureau admin, last month ({last_month:%Y-%m}, frozen)",
            bureau,
            f"/dashboard/?month={last_month:%Y-%m}",
        ),
        ("large screen, bureau admin", bureau, "/dashboard/screen/"),
        ("Excel export, bureau admin", bureau, "/dashboard/export/"),
    ]
    cached_too = {"bureau admin", "county admin", "large screen, bureau admin"}
    cached_too.add("Excel export, bureau admin")
    # (name, operation, cold: the cache is cleared before each sample, outside the timing)
    operations: list[tuple[str, Callable[[], Any], bool]] = []
    for label, client, url in pages:
        operations.append((f"{label}, cold", get(client, url), True))
        if label in cached_too:
            operations.append((f"{label}, cached", get(client, url), False))

    def without_summary(request: Callable[[], Any]) -> Callable[[], Any]:
        """The page when the warm summary is missing or stale (the worker stopped): it
        computes the current month from the records (the covering indexes' case)."""

        def run() -> Any:
            with transaction.atomic():
                LiveRun.objects.update(last=dt.date(2000, 1, 1))
                try:
                    return request()
                finally:
                    transaction.set_rollback(True)

        return run

    for label, client in (("bureau admin", bureau), ("county admin", county_admin)):
        name = f"{label}, cold, no warm summary"
        operations.append((name, without_summary(get(client, "/dashboard/")), True))

    for _name, operation, cold in operations:
        for _ in range(WARMUP):
            if cold:
                cache.clear()
            operation()
    samples: dict[str, list[float]] = {name: [] for name, _op, _cold in operations}
    cpu: dict[str, list[float]] = {name: [] for name, _op, _cold in operations}
    load = [os.getloadavg()[0]]

    def keep_warm() -> None:
        """The worker's job every 2 minutes, outside the timings: the summary never goes
        stale (STALE_SECONDS) while the bench runs."""
        run = LiveRun.objects.first()
        if run is None or (timezone.now() - run.computed_at).total_seconds() > 240:
            monthly.warm()

    for _ in range(repeat):
        keep_warm()
        for name, operation, cold in operations:
            if cold:
                cache.clear()
            else:
                operation()  # the cold samples in between emptied it: one request fills it
            started, started_cpu = time.perf_counter(), time.process_time()
            operation()
            samples[name].append((time.perf_counter() - started) * 1000)
            cpu[name].append((time.process_time() - started_cpu) * 1000)
    load.append(os.getloadavg()[0])
    results = []
    keep_warm()
    for name, operation, cold in operations:
        if cold:
            cache.clear()
        else:
            operation()
        with CaptureQueriesContext(connection) as queries:
            operation()
        slowest = max((float(q["time"]) * 1000 for q in queries.captured_queries), default=0.0)
        results.append(
            {
                "name": name,
                "queries": len(queries),
                "slowest_query_ms": slowest,
                "cpu_median": statistics.median(cpu[name]),
                **summarise(samples[name]),
            }
        )

    # The nightly job's monthly work: last month frozen again (it replaces its rows).
    freeze_samples = []
    for _ in range(freeze_repeat):
        started = time.perf_counter()
        rows = monthly.freeze(last_month)
        freeze_samples.append((time.perf_counter() - started) * 1000)
    results.append(
        {
            "name": f"freeze one month ({last_month:%Y-%m}, {rows:,} rows)",
            "queries": None,
            "slowest_query_ms": None,
            "cpu_median": None,
            **summarise(freeze_samples),
        }
    )

    results.append(
        {
            "name": f"keep the current month warm (monthly.warm, {warm_rows[0]:,} rows first)",
            "queries": None,
            "slowest_query_ms": None,
            "cpu_median": None,
            **summarise(warm_samples),
        }
    )
    results.append(
        {
            "name": "nightly freeze_due before timing (what this database still needed)",
            "queries": None,
            "slowest_query_ms": None,
            "cpu_median": None,
            **summarise([due_s * 1000]),
        }
    )

    keep_warm()
    profile = _profile(bureau, "/dashboard/", "bureau admin, cold", cache, connection)
    profile += _profile(county_admin, "/dashboard/", "county admin, cached", None, connection)
    (OUT / f"dashboard-profile-{connection.vendor}.txt").write_text(profile, encoding="utf-8")

    if connection.vendor == "postgresql":
        major, minor = divmod(connection.pg_version, 10000)  # type: ignore[attr-defined]
        version = f"PostgreSQL {major}.{minor}"
    else:
        import sqlite3

        version = f"SQLite {sqlite3.sqlite_version}"
    return {
        "database": version,
        "units": Unit.objects.count(),
        "problems": Problem.objects.count(),
        "tickets": Ticket.objects.count(),
        "ratings": Response.objects.count(),
        "attendance": Attendance.objects.count(),
        "month_figures": MonthFigure.objects.count(),
        "county": county.name,
        "school": school.name,
        "load_timing": load,
        "operations": results,
        "profile_head": profile[:3000],
    }


def _profile(client: Any, url: str, label: str, cache: Any, connection: Any) -> str:
    """A cProfile of one request, and its ten slowest statements: cold (the cache emptied
    first) when given the cache, else cached (the page asked once more before)."""
    from django.test.utils import CaptureQueriesContext

    if cache is not None:
        cache.clear()
    else:
        client.get(url)
    profiler = cProfile.Profile()
    with CaptureQueriesContext(connection) as queries:
        profiler.enable()
        client.get(url)
        profiler.disable()
    slug = label.split(",")[0].replace(" ", "-")
    profiler.dump_stats(OUT / f"dashboard-{slug}-{connection.vendor}.prof")  # for pstats
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)
    statements = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))
    total = sum(float(q["time"]) for q in statements) * 1000
    lines = [
        f"== {label}: {url}",
        f"{len(statements)} statements, {total:.0f} ms in the driver",
        "",
    ]
    for q in statements[:10]:
        lines.append(f"{float(q['time']) * 1000:8.1f} ms  {q['sql'][:1500]}")
        lines.append("")
    return "\n".join(lines) + "\n\n" + out.getvalue()


# --- Orchestration --------------------------------------------------------------------------
def run_database(kind: str, args: argparse.Namespace) -> dict[str, Any] | None:
    url = f"sqlite:///{SQLITE_PATH}" if kind == "sqlite" else args.pg_url
    env = bench_env(url)
    built: dict[str, Any] = {"load_before": os.getloadavg()[0], "copies": args.copies}
    built_path = OUT / f"dashboard-{kind}-built.json"  # what the build recorded, for --reuse
    if not args.reuse:
        print(f"== {kind}: building the city and the other benches' records", flush=True)
        if kind == "sqlite":
            OUT.mkdir(parents=True, exist_ok=True)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        else:
            _fresh_postgres(url)
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        built["seed_s"], _out = manage(env, "seed_demo", "--size", "city", "--seed", "1")
        for script, script_args in builders(args):
            started = time.perf_counter()
            found = _run_json(env, BENCH / script, *script_args)
            found.pop("unit_ids", None)
            found["wall_s"] = time.perf_counter() - started
            built[script] = found
            print(f"   {script}: {found['wall_s']:.0f} s {found}", flush=True)
        started = time.perf_counter()
        if kind == "sqlite":
            import sqlite3

            with sqlite3.connect(SQLITE_PATH) as conn:
                conn.execute("ANALYZE")
        else:
            with pg_connect(url) as conn:
                conn.execute("VACUUM ANALYZE")
        built["analyse_s"] = time.perf_counter() - started
        built["freeze"] = _run_json(env, Path(__file__), "--child", "freeze")
        print(f"   freeze_due: {built['freeze']}", flush=True)
        built_path.write_text(json.dumps(built, indent=2), encoding="utf-8")
        if args.build_only:
            return None
    else:
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        kept = OUT / f"dashboard-{kind}.json"
        if built_path.exists():  # what the run that built it recorded
            before = json.loads(built_path.read_text(encoding="utf-8"))
            built = {**before, **built, "note": "built by an earlier run"}
        elif kept.exists():
            before = json.loads(kept.read_text(encoding="utf-8")).get("built", {})
            built = {**before, **built, "note": "built by an earlier run"}
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    built["load_after_build"] = os.getloadavg()[0]
    print(f"== {kind}: timing ({args.repeat} runs each)", flush=True)
    result = _run_json(
        env,
        Path(__file__),
        "--child", "measure", "--repeat", str(args.repeat),
        "--freeze-repeat", str(args.freeze_repeat),
    )  # fmt: skip
    result["built"] = built
    result["kind"] = kind
    result["measured_at"] = f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"
    result["commit"] = _commit()
    result["args"] = {k: getattr(args, k) for k in ("problems", "tickets", "ratings", "sessions")}
    result["args"]["per_session"] = args.per_session
    result["args"]["copies"] = built.get("copies", args.copies)
    result["args"]["repeat"] = args.repeat
    (OUT / f"dashboard-{kind}.json").write_text(
        json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return result


def _target(name: str) -> tuple[str, float] | None:
    for prefix, stat, limit in TARGETS:
        if name.startswith(prefix) and "no warm summary" not in name:
            return stat, limit
    return None


def table(result: dict[str, Any]) -> list[str]:
    built = result.get("built") or {}
    freeze = built.get("freeze")
    a = result["args"]
    lines = [
        f"### {result['database']}",
        "",
        f"Measured {result.get('measured_at', '?')} at commit `{result.get('commit', '?')}`: "
        f"`--db {result['kind']} --problems {a['problems']} --tickets {a['tickets']} "
        f"--ratings {a['ratings']} --sessions {a['sessions']} --per-session "
        f"{a['per_session']} --copies {a.get('copies', 1)} --repeat {a['repeat']}`.",
        "",
        f"{result['units']:,} units; {result['problems']:,} problems, {result['tickets']:,} "
        f"tickets, {result['ratings']:,} ratings, {result['attendance']:,} attendance rows; "
        f"{result['month_figures']:,} rows in the frozen table. Load average (1 min) "
        f"{built.get('load_before', 0):.1f} at the start of the run, "
        f"{built.get('load_after_build', 0):.1f} before timing, "
        f"{result['load_timing'][1]:.1f} after the page timings.",
        "",
    ]
    if freeze:
        steps = ", ".join(
            f"{name.removesuffix('.py')} {built[name]['wall_s']:.0f} s"
            for name in ("ledger.py", "intake.py", "evaluation.py", "learning.py")
            if name in built
        )
        lines += [
            f"Built{' (by an earlier run)' if built.get('note') else ''} with the benches' own "
            f"builders ({steps}; seed_demo "
            f"{built['seed_s']:.0f} s, ANALYZE {built['analyse_s']:.0f} s). The nightly job on "
            f"the fresh database (`freeze_due`, {freeze['months']} months, "
            f"{freeze['rows']:,} rows): {freeze['seconds']:.1f} s, "
            f"{freeze['seconds'] / max(1, freeze['months']):.1f} s a month.",
            "",
        ]
    lines += [
        "| operation | runs | median | p95 | min | max | CPU median | queries | slowest query "
        "| target | vs target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for op in result["operations"]:
        stats = [fmt_ms(op[k]) for k in ("median", "p95", "min", "max")]
        cpu = fmt_ms(op["cpu_median"]) if op["cpu_median"] is not None else ""
        slowest = fmt_ms(op["slowest_query_ms"]) if op["slowest_query_ms"] is not None else ""
        queries = "" if op["queries"] is None else str(op["queries"])
        row = [op["name"], str(op["n"]), *stats, cpu, queries, slowest]
        target = _target(op["name"])
        if target is None:
            row += ["—", "—"]
        else:
            stat, limit = target
            row += [f"≤ {limit:.0f} ms ({stat})", f"{op[stat] / limit:.2f}"]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    return lines


def _commit() -> str:
    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True).stdout

    commit = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    if git("status", "--porcelain", "--untracked-files=no").strip():
        commit += " plus uncommitted changes"
    return commit


def write_results(args: argparse.Namespace, results: list[dict[str, Any]]) -> None:
    info = machine(args.pg_url, any(r["kind"] == "postgres" for r in results))
    machine_line = ", ".join(
        f"{info[k]}" if k == "CPU" else f"{k} {info[k]}"
        for k in ("CPU", "cores", "RAM", "SQLite", "PostgreSQL", "Python", "Django")
    )
    lines = [
        START,
        "## Dashboard (issue 18)",
        "",
        "Measured with `bench/dashboard.py` (when, at which commit and with which arguments: "
        "with each table). Machine: "
        f"{machine_line}. Requests through Django's test client as in the tables above; each "
        "page ran twice untimed, then in turn with the others; p95 is nearest-rank. *cold*: "
        "the cache emptied before each sample; *cached*: the page asked once more right "
        "before. The issue's city is 500,000 problems, 200,000 tickets, 1,000,000 ratings and "
        "3,000,000 attendance rows; what was built is given with each table. What is measured "
        "and what the numbers showed: `bench/README.md`, section Dashboard.",
        "",
    ]
    for result in results:
        lines += table(result)
    lines.append(END)
    path = BENCH / "RESULTS.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    section = "\n".join(lines)
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")
    print(f"wrote the Dashboard section of {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--problems", type=int, default=500_000)
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=200_000)
    parser.add_argument("--per-session", type=int, default=15)
    parser.add_argument(
        "--copies",
        type=int,
        default=1,
        help="problems and tickets: draw 1/N, copy the rest in the database (bench/ledger.py)",
    )
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--freeze-repeat", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="measure the database built before")
    parser.add_argument(
        "--build-only", action="store_true", help="build the database, time it later (--reuse)"
    )
    parser.add_argument("--no-write", action="store_true", help="leave RESULTS.md alone")
    parser.add_argument(
        "--write-only", action="store_true", help="rewrite the section from the saved results"
    )
    parser.add_argument("--pg-url", default=os.environ.get("QF_BENCH_DASHBOARD_PG_URL", DEFAULT_PG))
    parser.add_argument(
        "--explain", action="store_true", help="print the figure counts' plans, time nothing"
    )
    parser.add_argument("--child", choices=("freeze", "measure", "explain"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "explain":
        print(explain())
        return
    if args.explain:
        for kind in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
            url = f"sqlite:///{SQLITE_PATH}" if kind == "sqlite" else args.pg_url
            subprocess.run(
                [PY, __file__, "--child", "explain"], env=bench_env(url), cwd=REPO, check=True
            )
        return
    if args.child == "freeze":
        print(json.dumps(freeze_all()))
        return
    if args.child == "measure":
        print(json.dumps(measure(args.repeat, args.freeze_repeat), ensure_ascii=False))
        return
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = []
    for kind in ("sqlite", "postgres"):  # a database not run this time keeps its last figures
        kept = OUT / f"dashboard-{kind}.json"
        if kind in kinds and not args.write_only:
            result = run_database(kind, args)
            if result is None:  # --build-only
                continue
            results.append(result)
        elif kept.exists():
            results.append(json.loads(kept.read_text(encoding="utf-8")))
    if args.build_only:
        return
    for result in results:
        print("\n".join(table(result)))
    if not args.no_write:
        write_results(args, results)


if __name__ == "__main__":
    main()
