"""Time the three-way evaluation at city size: one round over every unit of the seeded city
(about 1,400) with 1,000,000 ratings.

    .venv/bin/python bench/evaluation.py [--db sqlite|postgres|both] [--ratings 1000000]
                                         [--repeat 20] [--submits 300]
                                         [--burst-rate 100] [--burst-seconds 60]
    .venv/bin/python bench/evaluation.py --db sqlite --reuse   # measure the last build again

For each database: a fresh SQLite file (bench/out/evaluation.sqlite3) or PostgreSQL database
(qingfeng_bench_evaluation), `migrate` and `seed_demo --size city`, then in a child process with
bench/run.py's production-like environment: a round over the whole city opened through the
action, `--ratings` ratings written with bulk_create (varied answers, a few flagged and 不了解),
then measured in process: the results of the whole city (rates, Wilson intervals, verdicts,
composite, ranks), a unit's result page as the bureau admin (Django's test client), and
`--submits` ratings one after another through the public action (the store path of a rating:
the rules, the burst query, the insert and the audit row).

Then, unless `--burst-seconds 0`, the burst on the same database: `manage.py serve` started
as deployed (`--web-workers`, gevent workers and the task worker), `--burst-rate` public
ratings a second for `--burst-seconds` through `POST /api/evaluation/units/<id>/ratings`
(bench/serve.py's open loop: request i leaves at i / rate s, each on a new connection, spread
over every unit of the city, with an Idempotency-Key), the per-address signal and human check
off (one generator stands for many raters). Reported: statuses, p50/p95/max, the ratings
stored against the 201s, and how often "database is locked" appears in the server's log.

Targets (issue 13): city results <= 2 s; a unit's result page p95 <= 150 ms; the burst of 100
ratings/s for 60 s at p95 <= 100 ms with no "database is locked" and every accepted rating
stored. The load generator shares the machine with the server. Results go to the terminal,
bench/out/evaluation-<db>.json and the "Evaluation" section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from ledger import _fresh_postgres, _setup_django  # noqa: E402
from measure import WARMUP, summarise  # noqa: E402
from run import OUT, PY, REPO, bench_env, fmt_ms, manage  # noqa: E402
from serve import free_port, http, open_loop, start, summary  # noqa: E402

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/qingfeng_bench_evaluation"
SQLITE_PATH = OUT / "evaluation.sqlite3"
BATCH = 10_000
START, END = "<!-- evaluation:start -->", "<!-- evaluation:end -->"


def _timed(run: Any, repeat: int) -> dict[str, float]:
    for _ in range(WARMUP):
        run()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return summarise(samples)


ROUND_NAME = "全市群众满意度评议（基准）"


def child(
    ratings: int, repeat: int, submits: int, build_only: bool = False, reuse: bool = False
) -> dict[str, Any]:
    """Build the round and its ratings (or, with `reuse`, take the round the last build left)
    and measure."""
    _setup_django()
    from django.test import Client

    from qingfeng.evaluation import actions, selectors
    from qingfeng.evaluation.models import Response, Round, RoundUnit
    from qingfeng.orgs.models import Role, RoleAssignment, Unit

    admin = RoleAssignment.objects.filter(role=Role.BUREAU_ADMIN, revoked_at=None).first()
    assert admin is not None
    user, root = admin.user, Unit.objects.get(parent=None)
    if reuse:
        round_ = Round.objects.filter(name=ROUND_NAME).latest("pk")
    else:
        round_ = actions.check_create_round(actor=user, owner=root, name=ROUND_NAME)
        actions.check_open_round(round_, actor=user)
    units = list(RoundUnit.objects.filter(round=round_).values_list("unit_id", flat=True))
    rng = random.Random(13)
    # Most units around 90 %, some lower, a few with too few ratings.
    quality = {u: rng.choice([0.95, 0.92, 0.9, 0.88, 0.8, 0.7]) for u in units}
    weights = [1 if i % 20 else 0.02 for i in range(len(units))]
    started = time.perf_counter()
    made = ratings if reuse else 0
    while made < ratings:
        rows = []
        for unit_id in rng.choices(units, weights=weights, k=min(BATCH, ratings - made)):
            happy = rng.random() < quality[unit_id]
            overall = rng.choice([5, 4, 3]) if happy else rng.choice([2, 1])
            if rng.random() < 0.03:
                overall = 0
            status, rule = ("accepted", "accepted") if overall else ("excluded", "unknown")
            if rng.random() < 0.01:
                status, rule = "flagged", "too_fast"
            answers = {item: rng.choice([5, 4, 3, 2]) for item in round_.items[:2]}
            rows.append(
                Response(
                    round=round_,
                    unit_id=unit_id,
                    respondent_type=rng.choice(["parent", "student", "staff", "public"]),
                    overall=overall,
                    answers=answers,
                    via="open",
                    status=status,
                    rule=rule,
                    answer_key=f"{made:x}",
                    seconds=rng.randint(8, 90),
                    idempotency_key=f"bench-{made:09d}",
                )
            )
            made += 1
        Response.objects.bulk_create(rows)
    build_s = time.perf_counter() - started
    result: dict[str, Any] = {
        "units": len(units),
        "ratings": Response.objects.filter(round=round_).count() if reuse else ratings,
        "build_s": build_s,
        "unit_ids": units,
    }
    if build_only:  # bench/dashboard.py builds with it and measures on its own
        return result
    if not reuse:
        # As after any bulk load (core.tasks.optimize_database; a table that grows rating by
        # rating is analysed by autovacuum as it goes): planner statistics for the new rows,
        # and on PostgreSQL the visibility map an index-only scan needs.
        from django.db import connection

        started = time.perf_counter()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("VACUUM ANALYZE evaluation_response")
            else:
                cursor.execute("ANALYZE")
        result["analyze_s"] = time.perf_counter() - started
    rows_out: list[Any] = []

    def city() -> None:
        rows_out[:] = selectors.results(round_)

    result["city results"] = _timed(city, max(5, repeat // 4))
    result["verdicts"] = {
        v: sum(r.verdict == v for r in rows_out) for v in {r.verdict for r in rows_out}
    }
    client = Client()
    client.force_login(user)
    from qingfeng.orgs.middleware import SESSION_STARTED, SESSION_VERIFIED

    session = client.session
    session[SESSION_STARTED] = time.time()
    session[SESSION_VERIFIED] = True
    session.save()
    unit_id = max(units, key=lambda u: weights[units.index(u)] * quality[u])
    url = f"/evaluation/{round_.pk}/u/{unit_id}/"
    assert client.get(url).status_code == 200
    result["unit result page"] = _timed(lambda: client.get(url), repeat)
    school = Unit.objects.get(pk=units[len(units) // 2])
    counter = iter(range(10**9))
    run = f"{time.time_ns():x}"  # keys of their own each run: a reused key is a replay, not a store

    def submit() -> None:
        i = next(counter)
        actions.check_submit_rating(
            school,
            respondent_type="parent",
            overall=[5, 4, 3, 2][i % 4],
            answers={round_.items[0]: [5, 4, 3][i % 3]},
            comment="",
            idempotency_key=f"bench-submit-{run}-{i:06d}",
            seconds=20,
        )

    result["rating submit (action)"] = _timed(submit, submits)
    return result


def _child(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [PY, __file__, *args], env=env, cwd=REPO, capture_output=True, text=True, check=False
    )
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        sys.exit(f"bench/evaluation.py {' '.join(args)} failed:\n{done.stdout}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def burst_again(db: str, args: argparse.Namespace) -> dict[str, Any]:
    """`--burst-only`: the burst again on the database the last full run left (its figures
    kept, the burst's replaced), e.g. at another rate."""
    url = f"sqlite:///{SQLITE_PATH}" if db == "sqlite" else args.pg
    env = bench_env(url)
    _s, out = manage(
        env,
        "shell",
        "-c",
        "from qingfeng.evaluation.models import RoundUnit; import json; "
        "print(json.dumps(list(RoundUnit.objects.values_list('unit_id', flat=True))))",
    )
    found: dict[str, Any] = json.loads((OUT / f"evaluation-{db}.json").read_text())
    found["burst"] = burst(env, json.loads(out.strip().splitlines()[-1]), args)
    (OUT / f"evaluation-{db}.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    return found


def measure_again(db: str, args: argparse.Namespace) -> dict[str, Any]:
    """`--reuse`: the in-process measures and the burst again on the database the last full
    run built (e.g. built on a busy machine, measured on a quiet one); its build time kept."""
    url = f"sqlite:///{SQLITE_PATH}" if db == "sqlite" else args.pg
    env = bench_env(url)
    kept: dict[str, Any] = json.loads((OUT / f"evaluation-{db}.json").read_text())
    found = _child(
        env,
        "--child",
        "--reuse",
        "--repeat",
        str(args.repeat),
        "--submits",
        str(args.submits),
    )
    found["db"], found["seed_s"], found["build_s"] = db, kept.get("seed_s"), kept["build_s"]
    if args.burst_seconds:
        found["burst"] = burst(env, found.pop("unit_ids"), args)
    found.pop("unit_ids", None)
    (OUT / f"evaluation-{db}.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    return found


def run_db(db: str, args: argparse.Namespace) -> dict[str, Any]:
    if args.burst_only:
        return burst_again(db, args)
    if args.reuse:
        return measure_again(db, args)
    if db == "sqlite":
        SQLITE_PATH.unlink(missing_ok=True)
        url = f"sqlite:///{SQLITE_PATH}"
    else:
        url = _fresh_postgres(args.pg)
    env = bench_env(url)
    manage(env, "migrate", "--noinput")
    seed_s, _out = manage(env, "seed_demo", "--size", "city", "--seed", "1")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    found = _child(
        env,
        "--child",
        "--ratings",
        str(args.ratings),
        "--repeat",
        str(args.repeat),
        "--submits",
        str(args.submits),
    )
    found["db"], found["seed_s"] = db, seed_s
    if args.burst_seconds:
        found["burst"] = burst(env, found.pop("unit_ids"), args)
    found.pop("unit_ids", None)
    (OUT / f"evaluation-{db}.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    return found


def stored_ratings(env: dict[str, str]) -> int:
    _s, out = manage(
        env,
        "shell",
        "-c",
        "from qingfeng.evaluation.models import Response; print(Response.objects.count())",
    )
    return int(out.strip().splitlines()[-1])


async def warm_up(port: int, units: list[int]) -> None:
    """Each web worker imports the API on its first request (seconds): a few rounds of
    concurrent form reads, answered, before the clock starts."""
    for _round in range(3):
        await asyncio.gather(
            *(http(port, "GET", f"/api/evaluation/units/{u}/form") for u in units[:12])
        )


def burst(env: dict[str, str], units: list[int], args: argparse.Namespace) -> dict[str, Any]:
    """The real server (`manage.py serve`, as deployed) on the city database just measured:
    `--burst-rate` public ratings a second for `--burst-seconds` through
    `POST /api/evaluation/units/<id>/ratings`, open loop, each on a new connection, spread
    over the city's units, once every worker has answered (warm_up); then the stored ratings
    counted against the 201s and the server's log searched for "database is locked"."""
    env = {
        **env,
        # One load generator stands for many raters: the per-address signal (which asks for
        # the human check) would otherwise stop it after 30.
        "QF_EVALUATION_RATES_PER_HOUR": str(10**7),
        "QF_EVALUATION_HUMAN_CHECK": "0",
        "PYTHONPATH": str(REPO / "src"),
    }
    rng = random.Random(args.burst_seed)
    count = int(args.burst_rate * args.burst_seconds)
    paths, bodies, headers = [], [], []
    for i in range(count):
        paths.append(f"/api/evaluation/units/{rng.choice(units)}/ratings")
        body = {
            "respondent_type": rng.choice(["parent", "student", "staff", "public"]),
            "overall": rng.choice([5, 5, 4, 4, 3, 2, 1, 0]),
            "answers": {"师德师风": rng.choice([5, 4, 3, 2])},
            "comment": rng.choice(["", "", "", "老师很负责，希望作业再少一些。"]),
        }
        bodies.append(json.dumps(body, ensure_ascii=False).encode())
        headers.append(f"Idempotency-Key: burst-{args.burst_seed}-{i:07d}\r\n")
    before = stored_ratings(env)
    port = free_port()
    log = OUT / "evaluation-serve.log"
    load_before = os.getloadavg()[0]
    server = start(env, port, args.web_workers, log)
    try:
        asyncio.run(warm_up(port, units))
        answers = asyncio.run(
            open_loop(port, bodies, args.burst_rate, paths=paths, headers=headers)
        )
        time.sleep(2)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(60)
    text = log.read_text(errors="replace")
    found = {
        "rate": args.burst_rate,
        "seconds": args.burst_seconds,
        "web_workers": args.web_workers,
        **summary(answers, args.burst_rate),
        "stored": stored_ratings(env) - before,
        "locked": text.count("database is locked"),
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
    }
    print(json.dumps(found), file=sys.stderr, flush=True)
    return found


def section(results: list[dict[str, Any]]) -> str:
    lines = [
        START,
        "## Evaluation (三评)",
        "",
        "`bench/evaluation.py`: one round over every unit of the seeded city, ratings written "
        "with bulk_create, measured in process (see the script's docstring). Targets: city "
        "results <= 2 s, a unit's result page p95 <= 150 ms. Then the burst: the real server "
        "(`manage.py serve`, gunicorn with gevent workers and the task worker) on the same "
        "database, public ratings through `POST /api/evaluation/units/<id>/ratings` at a fixed "
        "rate, open loop, each on a new connection, from a load generator on the same machine; "
        'target p95 <= 100 ms, no "database is locked", every 201 stored.',
        "",
    ]
    for found in results:
        lines += [
            f"### {found['db']}: {found['units']:,} units, {found['ratings']:,} ratings "
            f"(written in {found['build_s']:.0f} s); verdicts {found['verdicts']}",
            "",
            "| operation | runs | median | p95 | max |",
            "|---|---:|---:|---:|---:|",
        ]
        for name in ("city results", "unit result page", "rating submit (action)"):
            s = found[name]
            lines.append(
                f"| {name} | {s['n']} | {fmt_ms(s['median'])} | {fmt_ms(s['p95'])} | "
                f"{fmt_ms(s['max'])} |"
            )
        lines.append("")
        b = found.get("burst")
        if b:
            statuses = ", ".join(f"{k}: {v}" for k, v in sorted(b["statuses"].items()))
            lines += [
                "| burst (real server) | requests | statuses | p50 | p95 | max | stored / 201 "
                "| database is locked | load average before / after |",
                "|---|---:|---|---:|---:|---:|---:|---:|---|",
                f"| {b['rate']:g}/s for {b['seconds']:g} s, {b['web_workers']} web workers "
                f"| {b['requests']} | {statuses} | {fmt_ms(b['p50'])} | {fmt_ms(b['p95'])} "
                f"| {fmt_ms(b['max'])} | {b['stored']} / {b['statuses'].get('201', 0)} "
                f"| {b['locked']} | {b['load_before']:.1f} / {b['load_after']:.1f} |",
                "",
            ]
    lines.append(END)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--submits", type=int, default=300)
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--burst-rate", type=float, default=100)
    parser.add_argument("--burst-seconds", type=float, default=60, help="0: no burst")
    parser.add_argument("--burst-seed", type=int, default=1)
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument(
        "--burst-only", action="store_true", help="the burst again on the last run's database"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure again (in process and the burst) on the last run's database",
    )
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        found = child(args.ratings, args.repeat, args.submits, args.build_only, args.reuse)
        print(json.dumps(found, ensure_ascii=False))
        return
    OUT.mkdir(exist_ok=True)
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = []
    for db in ("sqlite", "postgres"):  # a database not run this time keeps its last figures
        kept = OUT / f"evaluation-{db}.json"
        if db in dbs:
            results.append(run_db(db, args))
        elif kept.exists():
            results.append(json.loads(kept.read_text()))
    text = section(results)
    print(text)
    path = BENCH / "RESULTS.md"
    current = path.read_text()
    if START in current:
        current = current[: current.index(START)] + text + current[current.index(END) + len(END) :]
    else:
        current = current.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(current)


if __name__ == "__main__":
    main()
