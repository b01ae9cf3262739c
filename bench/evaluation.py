"""Time the three-way evaluation at city size: one round over every unit of the seeded city
(about 1,400) with 1,000,000 ratings.

    .venv/bin/python bench/evaluation.py [--db sqlite|postgres|both] [--ratings 1000000]
                                         [--repeat 20] [--submits 300]

For each database: a fresh SQLite file (bench/out/evaluation.sqlite3) or PostgreSQL database
(qingfeng_bench_evaluation), `migrate` and `seed_demo --size city`, then in a child process with
bench/run.py's production-like environment: a round over the whole city opened through the
action, `--ratings` ratings written with bulk_create (varied answers, a few flagged and 不了解),
then measured in process: the results of the whole city (rates, Wilson intervals, verdicts,
composite, ranks), a unit's result page as the bureau admin (Django's test client), and
`--submits` ratings one after another through the public action (the store path of a rating:
the rules, the burst query, the insert and the audit row).

Targets (issue 13): city results <= 2 s; a unit's result page p95 <= 150 ms. The burst of 100
ratings/s for 60 s through the real server is not measured here (see bench/RESULTS.md). Results
go to the terminal, bench/out/evaluation-<db>.json and the "Evaluation" section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import random
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


def child(ratings: int, repeat: int, submits: int) -> dict[str, Any]:
    _setup_django()
    from django.test import Client

    from qingfeng.evaluation import actions, selectors
    from qingfeng.evaluation.models import Response, RoundUnit
    from qingfeng.orgs.models import Role, RoleAssignment, Unit

    admin = RoleAssignment.objects.filter(role=Role.BUREAU_ADMIN, revoked_at=None).first()
    assert admin is not None
    user, root = admin.user, Unit.objects.get(parent=None)
    round_ = actions.check_create_round(actor=user, owner=root, name="全市群众满意度评议（基准）")
    actions.check_open_round(round_, actor=user)
    units = list(RoundUnit.objects.filter(round=round_).values_list("unit_id", flat=True))
    rng = random.Random(13)
    # Most units around 90 %, some lower, a few with too few ratings.
    quality = {u: rng.choice([0.95, 0.92, 0.9, 0.88, 0.8, 0.7]) for u in units}
    weights = [1 if i % 20 else 0.02 for i in range(len(units))]
    started = time.perf_counter()
    made = 0
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
    result: dict[str, Any] = {"units": len(units), "ratings": ratings, "build_s": build_s}
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

    def submit() -> None:
        i = next(counter)
        actions.check_submit_rating(
            school,
            respondent_type="parent",
            overall=[5, 4, 3, 2][i % 4],
            answers={round_.items[0]: [5, 4, 3][i % 3]},
            comment="",
            idempotency_key=f"bench-submit-{i:06d}",
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


def run_db(db: str, args: argparse.Namespace) -> dict[str, Any]:
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
    (OUT / f"evaluation-{db}.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    return found


def section(results: list[dict[str, Any]]) -> str:
    lines = [
        START,
        "## Evaluation (三评)",
        "",
        "`bench/evaluation.py`: one round over every unit of the seeded city, ratings written "
        "with bulk_create, measured in process (see the script's docstring). Targets: city "
        "results <= 2 s, a unit's result page p95 <= 150 ms. The 100 ratings/s burst through "
        "the real server is not measured yet.",
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
    lines.append(END)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--submits", type=int, default=300)
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.ratings, args.repeat, args.submits), ensure_ascii=False))
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
