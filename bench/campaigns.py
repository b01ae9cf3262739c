"""Time the campaign's rhythm at city size: the seeded city (about 1,400 units) with the ledger,
intake and evaluation benches' data, then the three city-wide computations of issue 15.

    .venv/bin/python bench/campaigns.py [--db sqlite|postgres|both] [--problems 500000]
        [--tickets 200000] [--ratings 1000000] [--copies 1] [--repeat 3]
        [--build-only | --reuse] [--no-write] [--write-only] [--pg-url URL]
    .venv/bin/python bench/campaigns.py --db both --reuse   # measure the last build again

For each database: a fresh SQLite file (bench/out/campaigns.sqlite3) or PostgreSQL database
(qingfeng_bench_campaigns), `migrate` and `seed_demo --size city`, then the records of the other
benches, each written by that bench's own builder in a child process with bench/run.py's
production-like environment:

- bench/ledger.py: `--problems` problems (its city size, 500,000), registered over 13 months;
- bench/intake.py: `--tickets` tickets (its city size, 200,000) over 12 months, with events;
- bench/evaluation.py: one round over the whole city, `--ratings` ratings (issue 13's
  1,000,000), written now by its builder, then moved back over the 61 days before today (pk
  ranges, one day each; the round's start with them), so that last week, last month and the
  quarter all have ratings.

Then planner statistics (ANALYZE; VACUUM ANALYZE on PostgreSQL). The build's times go to
bench/out/campaigns-<db>-built.json; `--build-only` stops there, `--reuse` skips the build and
measures the database the last build left (e.g. again on a quiet machine after a change).

The measuring child (one process per database) takes the seed campaign over the city
(`check_create_seed_campaign`, made once and kept), then `--repeat` times each, every run inside
a transaction rolled back (so each run does the same work and `--reuse` finds the database as
built), the load average (1 min) read before and after each run:

- prefill: the weekly report's pre-fill for every unit of the city, last week: what
  `selectors.prefill` computes for one unit (`figures_for(..., own=False)`, every registered
  figure source), asked once for all the units, as a job over the city would ask it;
- week freeze: `monthly.freeze_week` of last week, the worker's job that keeps every active
  unit's figures of a week that is over (the weekly trend) — the production job over a week;
- bulletin: last month's bulletin for the city (`check_create_bulletin`: the snapshot from
  every registered figure source, the document, the GB/T 9704 check, the stored version);
- scores: this quarter's scores of every unit (`check_create_assessment`: figures, scores,
  ranks by category);
- and, only reading, one unit's pre-fill (`selectors.prefill`, as the fill page and
  `check_file_report` ask it) for `--per-unit` units spread over the city.

Targets (issue 15): prefill <= 30 s, bulletin <= 20 s, scores <= 30 s (max of the runs).
Results go to the terminal, bench/out/campaigns-<db>.json and the "Campaigns" section of
bench/RESULTS.md (a database not run this time keeps its last figures there).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from evaluation import ROUND_NAME  # noqa: E402
from ledger import _fresh_postgres, _setup_django  # noqa: E402
from measure import summarise  # noqa: E402
from run import OUT, PY, REPO, bench_env, manage, pg_connect  # noqa: E402

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/qingfeng_bench_campaigns"
SQLITE_PATH = OUT / "campaigns.sqlite3"
DAYS = 395  # problems over about 13 months: the quarter and last month both have records
SPREAD_DAYS = 61  # the ratings over the two months before today
TARGETS = {"prefill": 30.0, "bulletin": 20.0, "scores": 30.0}
OPS = ("prefill", "week freeze", "bulletin", "scores")
START, END = "<!-- campaigns:start -->", "<!-- campaigns:end -->"


class Rollback(Exception):
    pass


# --- Measuring (child process) ---------------------------------------------------------------
def measure(repeat: int, per_unit: int) -> dict[str, Any]:
    _setup_django()
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from qingfeng.campaigns import actions as campaign_actions
    from qingfeng.campaigns import fixture, selectors
    from qingfeng.campaigns.models import Campaign
    from qingfeng.campaigns.rhythm import week_end, week_of
    from qingfeng.evaluation.models import Response
    from qingfeng.intake.models import Ticket
    from qingfeng.ledger.models import Problem
    from qingfeng.orgs.models import Role, RoleAssignment, Unit
    from qingfeng.reports import actions as report_actions
    from qingfeng.reports import assessments, monthly

    root = Unit.objects.get(parent=None)
    office = RoleAssignment.objects.filter(
        unit=root, role=Role.BUREAU_ADMIN, revoked_at=None
    ).first()
    if office is None:
        sys.exit("no bureau admin at the root: seed_demo --size city first")
    actor = office.user
    today = timezone.localdate()
    week = week_of(today) - timedelta(days=7)
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    campaign = Campaign.objects.filter(owner=root, name=fixture.NAME).order_by(
        "pk"
    ).first() or campaign_actions.check_create_seed_campaign(
        actor=actor, owner=root, start=week - timedelta(weeks=8)
    )
    units = [u.pk for u in selectors.reporting_units(campaign)]

    def timed(run: Any) -> dict[str, float]:
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        try:
            with transaction.atomic():
                run()
                raise Rollback
        except Rollback:
            pass
        return {
            "s": time.perf_counter() - started,
            "load_before": load_before,
            "load_after": os.getloadavg()[0],
        }

    runs: dict[str, list[dict[str, float]]] = {name: [] for name in OPS}
    for i in range(repeat):
        runs["prefill"].append(
            timed(lambda: selectors.figures_for(units, week, week_end(week), own=False))
        )
        runs["week freeze"].append(timed(lambda: monthly.freeze_week(week)))
        runs["bulletin"].append(
            timed(
                lambda i=i: report_actions.check_create_bulletin(
                    actor=actor, issuer=root, month=month,
                    number=f"清教作〔{month.year}〕{900 + i}号", addressees="各县区教育局，局属各单位",
                )
            )
        )  # fmt: skip
        runs["scores"].append(
            timed(
                lambda: assessments.check_create_assessment(
                    actor=actor, issuer=root, quarter=quarter
                )
            )
        )
    # One unit at a time, as the fill page and `check_file_report` ask it: units spread over
    # the city (not rolled back: it only reads).
    step = max(1, len(units) // per_unit)
    one = []
    for pk in units[::step][:per_unit]:
        unit = Unit.objects.get(pk=pk)
        started = time.perf_counter()
        selectors.prefill(unit, week)
        one.append((time.perf_counter() - started) * 1000)
    ops: dict[str, Any] = {}
    for name, samples in runs.items():
        ops[name] = {
            **summarise([r["s"] for r in samples]),
            "runs": samples,
            "load_before": samples[0]["load_before"],
            "load_after": samples[-1]["load_after"],
        }
    return {
        "units": len(units),
        "problems": Problem.objects.count(),
        "tickets": Ticket.objects.count(),
        "ratings": Response.objects.count(),
        "week": week.isoformat(),
        "month": month.isoformat(),
        "quarter": quarter,
        "ops": ops,
        "prefill one unit ms": summarise(one),
    }


def spread(days: int) -> dict[str, Any]:
    """The evaluation builder writes every rating now; a round is rated over weeks. Move the
    bench round's ratings back over the `days` days before today (pk ranges, one day each)
    and its start with them, so that last week's pre-fill, last month's bulletin and the
    quarter's scores all count ratings."""
    _setup_django()
    from datetime import timedelta

    from django.db import connection, transaction
    from django.db.models import F, Max, Min
    from django.utils import timezone

    from qingfeng.evaluation.models import Response, Round

    started = time.perf_counter()
    round_ = Round.objects.filter(name=ROUND_NAME).latest("pk")
    rows = Response.objects.filter(round=round_)
    low, high = rows.aggregate(low=Min("pk"), high=Max("pk")).values()
    if low is None:
        return {"spread_s": 0.0, "days": 0}
    width = (high - low) // days + 1
    with transaction.atomic():
        for back in range(1, days + 1):
            first = low + (back - 1) * width
            shift = timedelta(days=back)
            rows.filter(pk__gte=first, pk__lt=first + width).update(
                submitted_at=F("submitted_at") - shift
            )
        Round.objects.filter(pk=round_.pk).update(
            starts_on=min(round_.starts_on, timezone.localdate() - timedelta(days=days))
        )
    with connection.cursor() as cursor:  # the moved rows' statistics (and PostgreSQL's vacuum)
        vacuum = "VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE"
        cursor.execute(f"{vacuum} evaluation_response")
    return {"spread_s": time.perf_counter() - started, "days": days}


# --- Building and running (parent) -----------------------------------------------------------
def builders(args: argparse.Namespace) -> list[tuple[str, list[str]]]:
    copies = ["--copies", str(args.copies)]
    return [
        (
            "ledger.py",
            ["--child", "build", "--problems", str(args.problems), "--oldest-days", str(DAYS),
             *copies],
        ),
        ("intake.py", ["--child", "build", "--tickets", str(args.tickets), *copies]),
        ("evaluation.py", ["--child", "--build-only", "--ratings", str(args.ratings)]),
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


def _stamp() -> str:
    return f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"


def _commit() -> str:
    def git(*a: str) -> str:
        return subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True).stdout.strip()

    dirty = " plus uncommitted changes" if git("status", "--porcelain", "--", "src") else ""
    return f"{git('rev-parse', '--short', 'HEAD')}{dirty}"


def build(kind: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    env = bench_env(url)
    built: dict[str, Any] = {
        "started": _stamp(),
        "load_before": os.getloadavg()[0],
        "copies": args.copies,
    }
    print(f"== {kind}: building the city and the other benches' records", flush=True)
    started_all = time.perf_counter()
    if kind == "sqlite":
        OUT.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
    else:
        _fresh_postgres(url)
    built["migrate_s"], _out = manage(env, "migrate", "--noinput", "--verbosity", "0")
    built["seed_s"], _out = manage(env, "seed_demo", "--size", "city", "--seed", str(args.seed))
    for script, script_args in builders(args):
        started = time.perf_counter()
        found = _run_json(env, BENCH / script, *script_args)
        found.pop("unit_ids", None)
        found["wall_s"] = time.perf_counter() - started
        built[script] = found
        print(f"   {kind} {script}: {found['wall_s']:.0f} s", flush=True)
    started = time.perf_counter()
    if kind == "sqlite":
        import sqlite3

        with sqlite3.connect(SQLITE_PATH) as conn:
            conn.execute("ANALYZE")
    else:
        with pg_connect(url) as conn:
            conn.execute("VACUUM ANALYZE")
    built["analyse_s"] = time.perf_counter() - started
    built["total_s"] = time.perf_counter() - started_all
    built["finished"] = _stamp()
    built["load_after"] = os.getloadavg()[0]
    built["sizes"] = {"problems": args.problems, "tickets": args.tickets, "ratings": args.ratings}
    (OUT / f"campaigns-{kind}-built.json").write_text(json.dumps(built, indent=2))
    print(f"== {kind}: built in {built['total_s']:.0f} s", flush=True)
    return built


def run_database(kind: str, args: argparse.Namespace) -> dict[str, Any] | None:
    url = f"sqlite:///{SQLITE_PATH}" if kind == "sqlite" else args.pg_url
    env = bench_env(url)
    built_path = OUT / f"campaigns-{kind}-built.json"
    if args.reuse:
        if not built_path.exists():
            sys.exit(f"no earlier build of {kind} ({built_path}): run without --reuse first")
        built = {**json.loads(built_path.read_text()), "note": "built by an earlier run"}
        manage(env, "migrate", "--noinput", "--verbosity", "0")  # code changed since
    else:
        built = build(kind, url, args)
    if "spread" not in built:  # a build made before the ratings were spread over the days
        built["spread"] = _run_json(env, Path(__file__), "--child", "spread")
        built_path.write_text(json.dumps({k: v for k, v in built.items() if k != "note"}))
    if args.build_only:
        return None
    print(f"== {kind}: timing ({args.repeat} runs each)", flush=True)
    result = _run_json(
        env,
        Path(__file__),
        "--child", "measure", "--repeat", str(args.repeat), "--per-unit", str(args.per_unit),
    )  # fmt: skip
    result.update(db=kind, built=built, measured_at=_stamp(), commit=_commit())
    (OUT / f"campaigns-{kind}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    return result


# --- The RESULTS.md section ------------------------------------------------------------------
def table(result: dict[str, Any]) -> list[str]:
    built = result["built"]
    parts = [
        f"{built[s]['wall_s']:.0f} s ({s.removesuffix('.py')})"
        for s in ("ledger.py", "intake.py", "evaluation.py")
        if s in built
    ]
    name = {"sqlite": "SQLite", "postgres": "PostgreSQL"}[result["db"]]
    copies = built.get("copies", 1)
    spread_ = built.get("spread") or {}
    moved = (
        f"; the ratings moved back over {spread_['days']} days in {spread_['spread_s']:.0f} s"
        if spread_.get("days")
        else ""
    )
    copied = (
        f"; problems and tickets drawn 1/{copies} and copied in the database" if copies > 1 else ""
    )
    lines = [
        f"### {name}: {result['units']:,} units, {result['problems']:,} problems, "
        f"{result['tickets']:,} tickets, {result['ratings']:,} ratings",
        "",
        f"Built {built.get('started', '?')} – {built.get('finished', '?')} in "
        f"{built.get('total_s', 0) / 60:.0f} min (migrate {built.get('migrate_s', 0):.0f} s, seed_demo {built.get('seed_s', 0):.0f} s, "
        f"{', '.join(parts)}, ANALYZE {built.get('analyse_s', 0):.0f} s{copied}{moved}), "
        f"load average "
        f"{built.get('load_before', 0):.1f} at the start, {built.get('load_after', 0):.1f} at the "
        f"end. Measured {result['measured_at']} at commit `{result['commit']}`: week of "
        f"{result['week']}, month {result['month'][:7]}, quarter {result['quarter']}; "
        f"{result['ops']['prefill']['n']} runs each, seconds of wall time.",
        "",
        "| operation | median | p95 | max | load average before / after (each run) "
        "| target | met |",
        "|---|---:|---:|---:|---|---|---|",
    ]
    for op, stats in result["ops"].items():
        target = TARGETS.get(op)
        loads = ", ".join(f"{r['load_before']:.1f}/{r['load_after']:.1f}" for r in stats["runs"])
        met = "—" if target is None else ("yes" if stats["max"] <= target else "**no**")
        goal = "—" if target is None else f"≤ {target:.0f} s"
        lines.append(
            f"| {op} | {stats['median']:.2f} | {stats['p95']:.2f} | {stats['max']:.2f} "
            f"| {loads} | {goal} | {met} |"
        )
    one = result.get("prefill one unit ms")
    if one:
        lines += [
            "",
            f"One unit's pre-fill (`selectors.prefill`, as the fill page and `check_file_report` "
            f"ask it), {one['n']} units spread over the city: median {one['median']:.0f} ms, "
            f"p95 {one['p95']:.0f} ms, max {one['max']:.0f} ms — unit by unit, the city's "
            f"{result['units']:,} units would take about "
            f"{one['median'] * result['units'] / 1000:.0f} s.",
        ]
    return [*lines, ""]


def write_results(results: list[dict[str, Any]]) -> None:
    lines = [
        START,
        "## Campaigns (weekly pre-fill, bulletin, quarterly scores)",
        "",
        "`bench/campaigns.py` (see its docstring): the seeded city with the ledger, intake and "
        "evaluation benches' data written by their own builders, then each operation through "
        "the production code inside a transaction rolled back. Targets (issue 15): the weekly "
        "pre-fill of every unit <= 30 s, the month's bulletin <= 20 s, the quarter's scores "
        "<= 30 s (max of the runs). *week freeze* is the worker's job over a week that is over "
        "(no target; shown beside the pre-fill, which computes the same sources). The machine "
        "has 2 cores shared with other sessions' test suites and builds: the load average "
        "column says how busy it was, and the figures are upper bounds.",
        "",
    ]
    for result in results:
        lines += table(result)
    lines.append(END)
    section = "\n".join(lines)
    path = BENCH / "RESULTS.md"
    text = path.read_text(encoding="utf-8")
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--problems", type=int, default=500_000, help="the ledger bench's city")
    parser.add_argument("--tickets", type=int, default=200_000, help="the intake bench's city")
    parser.add_argument("--ratings", type=int, default=1_000_000, help="the evaluation bench's")
    parser.add_argument(
        "--copies",
        type=int,
        default=1,
        help="problems and tickets: draw 1/N, copy the rest in the database (bench/ledger.py)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--per-unit", type=int, default=50, help="units of the one-unit pre-fill")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="measure the database built before")
    parser.add_argument(
        "--build-only", action="store_true", help="build the database, time it later (--reuse)"
    )
    parser.add_argument("--no-write", action="store_true", help="leave RESULTS.md alone")
    parser.add_argument(
        "--write-only", action="store_true", help="rewrite the section from the saved results"
    )
    parser.add_argument("--pg-url", default=os.environ.get("QF_BENCH_CAMPAIGNS_PG_URL", DEFAULT_PG))
    parser.add_argument("--child", choices=("measure", "spread"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "spread":
        print(json.dumps(spread(SPREAD_DAYS)))
        return
    if args.child == "measure":
        print(json.dumps(measure(args.repeat, args.per_unit), ensure_ascii=False))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = []
    for kind in ("sqlite", "postgres"):  # a database not run this time keeps its last figures
        kept = OUT / f"campaigns-{kind}.json"
        if kind in kinds and not args.write_only:
            result = run_database(kind, args)
            if result is not None:
                results.append(result)
        elif kept.exists():
            results.append(json.loads(kept.read_text(encoding="utf-8")))
    if args.build_only:
        return
    for result in results:
        print("\n".join(table(result)))
    if not args.no_write:
        write_results(results)


if __name__ == "__main__":
    main()
