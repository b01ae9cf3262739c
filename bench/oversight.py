"""Time the 双随机 draw at city size: a stratified (county × stage), risk-weighted draw of 10 %
of 1,400 units with an inspector pair per target and computed recusal over 60,000 people, and
its verification from the certificate.

    .venv/bin/python bench/oversight.py [--repeat 10] [--seed 1]

The draw is computed from the frozen pool alone (qingfeng/oversight/drawing.py, the standard
library only), so no database takes part: the pool is built here as the snapshot the commitment
freezes — 1,400 units in 14 counties and 6 stages with integer risk weights, 60,000 people
each with the units they work or worked in (most inside one county, some at the bureau) and
one in twenty with a declared conflict. Measured, each `--repeat` times after one untimed run:

- commit: the refusal check (every unit has two eligible inspectors), the pool's hash and the
  commitment — the work done before anything is written;
- draw: the result from the pool, the parameters, the seed and two public values;
- verify: what `verify_draw` and the stand-alone script do with a certificate (pool hash,
  commitment, the draw again, the comparison).

Building the snapshot from the database (`pool_units`, `pool_inspectors`) is not measured here.
Targets (issue 14): draw <= 2 s; verification <= 2 s. Results go to the terminal and the
"Oversight" section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "src"))
sys.path.insert(0, str(BENCH))
from measure import summarise  # noqa: E402
from run import fmt_ms  # noqa: E402

from qingfeng.oversight import drawing  # noqa: E402

START, END = "<!-- oversight:start -->", "<!-- oversight:end -->"
STAGES = ["primary", "junior", "senior", "nine_year", "preschool", "vocational"]


def make_pool(rng: random.Random, *, units: int, people: int, counties: int) -> dict[str, Any]:
    rows = [
        {
            "id": 1000 + i,
            "code": f"S{i:05d}",
            "county": 1 + i % counties,
            "stage": STAGES[(i // counties) % len(STAGES)],
            "weight": 1 + (rng.randint(0, 6) if rng.random() < 0.3 else 0),
        }
        for i in range(units)
    ]
    inspectors = []
    for n in range(people):
        worked = [rng.choice(rows)] if rng.random() < 0.9 else []
        history = [rng.choice(rows)] if rng.random() < 0.2 else []
        declared = [rng.choice(rows)["id"]] if rng.random() < 0.05 else []
        inspectors.append(
            {
                "id": 100_000 + n,
                "units": sorted({u["id"] for u in worked + history} | set(declared)),
                "counties": sorted({u["county"] for u in worked + history}),
            }
        )
    return {"units": rows, "inspectors": inspectors}


def timed(run: Any, repeat: int) -> tuple[dict[str, float], Any]:
    result = run()  # untimed
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        samples.append(time.perf_counter() - started)
    return summarise(samples), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pool = make_pool(rng, units=1400, people=60_000, counties=14)
    params = {"percent": 10, "stratify": True, "weighted": True, "inspectors_per_target": 2}
    seed, values = "ab" * 32, ["371", "3389.42"]

    def commit() -> str:
        drawing.check_satisfiable(pool, params)
        return drawing.commitment(params=params, pool_digest=drawing.pool_hash(pool), seed=seed)

    commit_stats, commitment = timed(commit, args.repeat)
    draw_stats, result = timed(
        lambda: drawing.draw(pool, params, seed=seed, values=values), args.repeat
    )
    certificate = {
        "algorithm": drawing.ALGORITHM,
        "params": params,
        "pool": pool,
        "pool_hash": drawing.pool_hash(pool),
        "commitment": commitment,
        "seed": seed,
        "values": values,
        "result": json.loads(json.dumps(result)),
    }
    verify_stats, problems = timed(lambda: drawing.verify(certificate), args.repeat)
    if problems:  # the benchmark must measure a draw that verifies
        raise SystemExit(f"the certificate does not verify: {problems}")
    recusals = len(result["replaced"])
    lines = [
        START,
        "## Oversight (issue 14): 双随机 draw and verification",
        "",
        f"`bench/oversight.py --repeat {args.repeat} --seed {args.seed}`: the draw computed from "
        "a frozen city-size pool in Python (no database; see the script's docstring). "
        f"{len(pool['units']):,} units, {len(pool['inspectors']):,} people; "
        f"{len(result['targets'])} targets drawn (10 %, 14 counties × 6 stages, risk-weighted), "
        f"2 inspectors each, {recusals} recused picks replaced; "
        f"{result['values_used']} values of the sequence used. Targets: draw <= 2 s, "
        "verification <= 2 s.",
        "",
        "| operation | runs | median | p95 | max | target | vs target |",
        "|---|---:|---:|---:|---:|---|---:|",
    ]
    for name, stats, target in (
        ("commit (refusal check, pool hash, commitment)", commit_stats, None),
        ("draw", draw_stats, 2.0),
        ("verify (certificate)", verify_stats, 2.0),
    ):
        ratio = f"{stats['p95'] / target:.2f}" if target else "—"
        lines.append(
            f"| {name} | {stats['n']} | {fmt_ms(stats['median'] * 1000)} | "
            f"{fmt_ms(stats['p95'] * 1000)} | {fmt_ms(stats['max'] * 1000)} | {'≤ 2 s (p95)' if target else '—'} | {ratio} |"
        )
    lines.append(END)
    text = "\n".join(lines)
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
