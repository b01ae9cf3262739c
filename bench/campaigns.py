"""Time the campaign's rhythm at city size: the seeded city (about 1,400 units) with the ledger
bench's problems and the intake bench's tickets, then the three city-wide computations.

    .venv/bin/python bench/campaigns.py [--problems 100000] [--tickets 100000] [--repeat 3]

A fresh SQLite file (bench/out/campaigns.sqlite3): `migrate`, `seed_demo --size city`, the
problems through bench/ledger.py's `build` and the tickets through bench/intake.py's `build`,
then in a child process with bench/run.py's production-like environment, each `--repeat` times
inside a transaction that is rolled back (so every run does the same work):

- prefill: the weekly report's pre-fill for every unit of the city, one week (the job a
  dispatch would run: `selectors.figures_for` over all the units at once);
- bulletin: the month's bulletin for the city (`check_create_bulletin`: the snapshot from every
  registered figure source, the document, the GB/T 9704 check, the stored version);
- scores: the quarterly scores of every unit (`check_create_assessment`: figures, scores, ranks).

Targets (issue 15): prefill <= 30 s, bulletin <= 20 s, scores <= 30 s. Results go to the
terminal, bench/out/campaigns-sqlite.json and the "Campaigns" section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from ledger import _setup_django  # noqa: E402
from measure import summarise  # noqa: E402
from run import OUT, PY, REPO, bench_env, manage  # noqa: E402

SQLITE_PATH = OUT / "campaigns.sqlite3"
TARGETS = {"prefill": 30.0, "bulletin": 20.0, "scores": 30.0}
START, END = "<!-- campaigns:start -->", "<!-- campaigns:end -->"


class Rollback(Exception):
    pass


def measure(repeat: int) -> dict[str, Any]:
    _setup_django()
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from qingfeng.campaigns import actions as campaign_actions
    from qingfeng.campaigns import selectors
    from qingfeng.campaigns.rhythm import week_of
    from qingfeng.orgs.models import Role, RoleAssignment, Unit
    from qingfeng.reports import actions as report_actions
    from qingfeng.reports import assessments

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
    campaign = campaign_actions.check_create_seed_campaign(
        actor=actor, owner=root, start=week - timedelta(weeks=8)
    )
    units = [u.pk for u in selectors.reporting_units(campaign)]

    def timed(run: Any) -> float:
        started = time.perf_counter()
        try:
            with transaction.atomic():
                run()
                raise Rollback
        except Rollback:
            pass
        return time.perf_counter() - started

    samples: dict[str, list[float]] = {"prefill": [], "bulletin": [], "scores": []}
    for i in range(repeat):
        samples["prefill"].append(
            timed(lambda: selectors.figures_for(units, week, week + timedelta(days=6), own=False))
        )
        samples["bulletin"].append(
            timed(
                lambda i=i: report_actions.check_create_bulletin(
                    actor=actor, issuer=root, month=month,
                    number=f"清教作〔{month.year}〕{900 + i}号", addressees="各县区教育局，局属各单位",
                )
            )
        )  # fmt: skip
        samples["scores"].append(
            timed(
                lambda: assessments.check_create_assessment(
                    actor=actor, issuer=root, quarter=quarter
                )
            )
        )
    return {
        "units": len(units),
        "week": week.isoformat(),
        "month": month.isoformat(),
        "quarter": quarter,
        "ops": {name: summarise(values) for name, values in samples.items()},
        "date": today.isoformat(),
    }


def _child(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [PY, __file__, *args], env=env, cwd=REPO, capture_output=True, text=True, check=False
    )
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        sys.exit(f"bench/campaigns.py {' '.join(args)} failed:\n{done.stdout}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def table(result: dict[str, Any]) -> list[str]:
    lines = [
        f"SQLite, {result['units']:,} units, {result['problems']:,} problems, "
        f"{result['tickets']:,} tickets; {result['ops']['prefill']['n']} runs each, seconds.",
        "",
        "| operation | median | max | target | met |",
        "|---|---|---|---|---|",
    ]
    for name, stats in result["ops"].items():
        target = TARGETS[name]
        met = "yes" if stats["max"] <= target else "no"
        lines.append(
            f"| {name} | {stats['median']:.2f} | {stats['max']:.2f} | ≤ {target:.0f} | {met} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", choices=("measure",), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "measure":
        print(json.dumps(measure(args.repeat)))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
    env = bench_env(f"sqlite:///{SQLITE_PATH}")
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "seed_demo", "--size", "city", "--seed", str(args.seed))
    for script, flag, count in (
        ("ledger.py", "--problems", args.problems),
        ("intake.py", "--tickets", args.tickets),
    ):
        done = subprocess.run(
            [PY, str(BENCH / script), "--child", "build", flag, str(count)],
            env=env, cwd=REPO, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            sys.exit(f"bench/{script} build failed:\n{done.stdout}\n{done.stderr}")
    result = _child(env, "--child", "measure", "--repeat", str(args.repeat))
    result["problems"], result["tickets"] = args.problems, args.tickets
    (OUT / "campaigns-sqlite.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    lines = table(result)
    print("\n".join(lines))
    if args.no_write:
        return
    path = BENCH / "RESULTS.md"
    text = path.read_text(encoding="utf-8")
    section = "\n".join(
        [START, "## Campaigns (weekly pre-fill, bulletin, quarterly scores)", "", *lines, END]
    )
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
