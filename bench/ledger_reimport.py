"""Time the re-import of a 10,000-row ledger sent again with 5 % of its rows changed.

    .venv/bin/python bench/ledger_reimport.py [--db sqlite|postgres|both] [--rows 10000]
                                             [--every 20] [--repeat 5]

For each database: a fresh SQLite file (bench/out/ledger_reimport.sqlite3) or PostgreSQL
database (qingfeng_bench_ledger_reimport), `migrate`, then in a child process with the
benchmark's production-like environment (bench/run.py's): the county of
bench/ledger_import.py (40 schools, 400 people), its 10,000-row ledger imported once as
drafts, then `--repeat` months: the same ledger sent again — the office's own workbook, no
编号 column, so every row is matched by unit and description — with every `--every`-th row
changed (progress up, a remark), timed in two steps: the preview (read, check, match, store
the preview) and the confirmation of every changed row (read, check and match again, compare
with the preview, then one audited action per changed row, in one transaction). Medians and
p95 (nearest rank) are printed and written to bench/out/ledger_reimport-<db>.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from ledger_import import make_county, office_workbook, setup_django  # noqa: E402
from run import OUT, PY, REPO, bench_env, fresh_postgres, manage, postgres_version  # noqa: E402

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/qingfeng_bench_ledger_reimport"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def child(rows: int, every: int, repeat: int) -> None:
    setup_django()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from qingfeng.core.models import AuditEvent
    from qingfeng.ledger.excel import do_apply_reimport, import_ledger, preview_counts

    county = make_county()
    admin = county["admin"]
    first = import_ledger(
        SimpleUploadedFile("台账.xlsx", office_workbook(rows, county)), actor=admin
    )
    if not first.ok:
        sys.exit(f"first import rejected: {first.errors[:5]}")
    previews: list[float] = []
    applies: list[float] = []
    counts: dict[str, int] = {}
    for month in range(1, repeat + 1):
        data = office_workbook(rows, county, changed=every, month=month)
        gc.collect()
        started = time.perf_counter()
        outcome = import_ledger(SimpleUploadedFile(f"台账{month}月.xlsx", data), actor=admin)
        previews.append(time.perf_counter() - started)
        if not outcome.preview:
            sys.exit(f"month {month}: no preview: {outcome.errors[:5]}")
        counts = preview_counts(outcome.record)
        chosen = {e["key"] for e in outcome.record.preview["rows"] if e["kind"] == "changed"}
        audit = AuditEvent.objects.filter(action="ledger.problem.reimport").count()
        gc.collect()
        started = time.perf_counter()
        applied = do_apply_reimport(outcome.record, actor=admin, selected=chosen)
        applies.append(time.perf_counter() - started)
        if not applied.ok:
            sys.exit(f"month {month}: confirmation refused: {applied.errors[:5]}")
        written = AuditEvent.objects.filter(action="ledger.problem.reimport").count() - audit
        if written != len(chosen):
            sys.exit(f"month {month}: {written} audit rows for {len(chosen)} changed rows")
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "rows": rows,
                "changed": counts.get("changed", 0),
                "unchanged": counts.get("unchanged", 0),
                "preview_s": previews,
                "preview_median_s": statistics.median(previews),
                "preview_p95_s": p95(previews),
                "apply_s": applies,
                "apply_median_s": statistics.median(applies),
                "apply_p95_s": p95(applies),
            }
        )
    )


def run_database(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    if kind == "sqlite":
        path = OUT / "ledger_reimport.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        url = fresh_postgres(args.pg_url)
    env = bench_env(url)
    print(f"== {kind}: migrate", flush=True)
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    print(f"== {kind}: {args.rows} rows, then {args.repeat} months sent again", flush=True)
    command = [PY, __file__, "--child", "--rows", str(args.rows), "--every", str(args.every)]
    done = subprocess.run(
        [*command, "--repeat", str(args.repeat)],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"{kind} run failed:\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=20, help="every n-th row changed (5 %%)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg-url", default=os.environ.get("QF_BENCH_REIMPORT_PG_URL", DEFAULT_PG))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.rows, args.every, args.repeat)
        return
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    if "postgres" in kinds and postgres_version(args.pg_url).startswith("not reachable"):
        print(f"PostgreSQL is not reachable at {args.pg_url}: SQLite only", flush=True)
        kinds = ["sqlite"]
    OUT.mkdir(parents=True, exist_ok=True)
    for kind in kinds:
        r = run_database(kind, args)
        print(
            f"{kind}: {r['rows']} rows sent again, {r['changed']} changed: "
            f"preview median {r['preview_median_s']:.2f} s, p95 {r['preview_p95_s']:.2f} s; "
            f"confirmation median {r['apply_median_s']:.2f} s, p95 {r['apply_p95_s']:.2f} s",
            flush=True,
        )
        (OUT / f"ledger_reimport-{kind}.json").write_text(json.dumps(r, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
