"""How well the duplicate check finds one matter told twice: precision and recall, pairwise,
over a labelled set of parent complaints (bench/data/duplicates_labelled.json).

    .venv/bin/python bench/duplicates.py [--db sqlite|postgres] [--write]

A fresh SQLite file (bench/out/duplicates.sqlite3) or PostgreSQL database
(qingfeng_bench_duplicates), `migrate`, then in a child process: the set's units are created,
its complaints filed one after another through the public form's action, and after each the
very check the after-submit job runs (`similarity.record_duplicates`). A pair of complaints is
a true duplicate when the set gives them the same `group`; a flagged pair is counted right or
wrong against that. Targets: recall >= 90 % with precision >= 95 %
(`intake/tests/test_duplicates_bench.py` asserts them on every test run). With --write the
figures go to the "Duplicates" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import statistics
import subprocess
import sys
import time
from itertools import combinations
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
DATA = BENCH / "data" / "duplicates_labelled.json"
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/qingfeng_bench_duplicates"
START, END = "<!-- duplicates:start -->", "<!-- duplicates:end -->"
TARGETS = {"recall": 0.90, "precision": 0.95}


def load(path: Path = DATA) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def evaluate(data: dict[str, Any] | None = None) -> dict[str, Any]:
    """File the set's complaints and compare the flags with the labels (Django set up, an
    empty or test database). Returns the counts, precision, recall and the pairs missed or
    wrongly flagged, with the scores and reasons."""
    from qingfeng.intake import routing, similarity
    from qingfeng.intake.actions import check_submit_ticket
    from qingfeng.intake.models import Ticket, TicketCategory, TicketDuplicateFlag
    from qingfeng.orgs import actions
    from qingfeng.orgs.models import Unit

    data = data or load()
    units: dict[str, Unit] = {}
    for i, row in enumerate(data["units"]):
        kind = row["kind"]
        school = kind in (Unit.Kind.SCHOOL, Unit.Kind.KINDERGARTEN)
        units[row["key"]] = actions.do_create_unit(
            actor=None,
            parent=units[row["parent"]] if row["parent"] else None,
            name=row["name"],
            short_name=row.get("short_name", ""),
            aliases=row.get("aliases", ""),
            kind=kind,
            code=f"DUP{i:04d}",
            category=Unit.Category.SCHOOL if school else Unit.Category.ORGAN,
        )
    # The check reads unit names and kinds from the process's matcher, refreshed at most every
    # half minute: the units just created must be in it.
    routing.get_matcher(fresh=True)
    category = TicketCategory.objects.order_by("pk").first()
    ids: dict[int, dict[str, Any]] = {}
    for row in data["complaints"]:
        ticket, _code = check_submit_ticket(
            kind=Ticket.Kind.COMPLAINT,
            category=category,
            unit=units[row["unit"]],
            title=row["title"],
            content=row["content"],
            anonymous=True,
        )
        similarity.record_duplicates(Ticket.objects.select_related("unit").get(pk=ticket.pk))
        ids[ticket.pk] = row
    # The check of a stored ticket, timed once per complaint now that all are filed (its
    # family's tickets all in the window): the band lookup, the candidates, the comparison.
    timings: list[float] = []
    for ticket in Ticket.objects.filter(pk__in=ids).select_related("unit"):
        started = time.perf_counter()
        similarity.candidates_for(ticket)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    flags = {
        frozenset((ids[a]["id"], ids[b]["id"])): (score, reason)
        for a, b, score, reason in TicketDuplicateFlag.objects.filter(
            ticket_id__in=ids
        ).values_list("ticket_id", "candidate_id", "score", "reason")
    }
    rows = list(ids.values())
    truth = {
        frozenset((a["id"], b["id"])) for a, b in combinations(rows, 2) if a["group"] == b["group"]
    }
    found = set(flags)
    tp, fp, fn = len(found & truth), len(found - truth), len(truth - found)
    by_id = {r["id"]: r for r in rows}

    def described(pair: frozenset[str]) -> dict[str, Any]:
        a, b = sorted(pair)
        score, reason = flags.get(pair, (None, ""))
        return {
            "pair": [a, b],
            "titles": [by_id[a]["title"], by_id[b]["title"]],
            "score": score,
            "reason": reason,
        }

    groups = {r["group"] for r in rows}
    return {
        "complaints": len(rows),
        "groups": sum(1 for g in groups if sum(r["group"] == g for r in rows) > 1),
        "near_misses": sum(1 for r in rows if r.get("near_miss")),
        "true_pairs": len(truth),
        "flagged_pairs": len(found),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": tp / len(found) if found else 1.0,
        "recall": tp / len(truth) if truth else 1.0,
        "missed": [described(p) for p in sorted(truth - found, key=sorted)],
        "wrong": [described(p) for p in sorted(found - truth, key=sorted)],
        "right": [described(p) for p in sorted(found & truth, key=sorted)],
        "check_ms_median": statistics.median(timings),
        "check_ms_p95": timings[max(0, math.ceil(0.95 * len(timings)) - 1)],
        "load_average": os.getloadavg()[0],
        "threshold": similarity.FLAG_THRESHOLD,
        "version": similarity.VERSION,
    }


def _child() -> None:
    sys.path.insert(0, str(BENCH.parent / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qingfeng.settings")
    import django

    django.setup()
    print(json.dumps(evaluate(), ensure_ascii=False))


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def report(r: dict[str, Any], *, commit: str, database: str) -> str:
    lines = [
        START,
        "## Duplicates (issue 10)",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC at commit `{commit}` with "
        f"`bench/duplicates.py` on {database} (similarity VERSION {r['version']}, threshold "
        f"{r['threshold']}). The set `bench/data/duplicates_labelled.json`: {r['complaints']} "
        f"parent complaints written for it, {r['groups']} matters told two or three times "
        f"(to the school, to its county, in other words, at other lengths), {r['near_misses']} "
        "near-misses (the same school and another matter, the same teacher and another matter, "
        "the same story at a school outside the family). Each complaint is filed through the "
        "form's action, then checked as the after-submit job does; pairs are counted once.",
        "",
        "| true pairs | flagged pairs | right | wrong | missed | precision | recall | target |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
        f"| {r['true_pairs']} | {r['flagged_pairs']} | {r['tp']} | {r['fp']} | {r['fn']} | "
        f"{_pct(r['precision'])} | {_pct(r['recall'])} | recall ≥ 90 % with precision ≥ 95 % |",
        "",
        f"The check of one stored ticket against the others (`similarity.candidates_for`, "
        f"{r['complaints']} runs, one per complaint, unit matcher warm): median "
        f"{r['check_ms_median']:.1f} ms, p95 {r['check_ms_p95']:.1f} ms; load average (1 min) "
        f"{r['load_average']:.1f} on the machine's cores while measuring.",
        "",
    ]
    for label, key in (("Missed", "missed"), ("Wrongly flagged", "wrong")):
        if r[key]:
            lines.append(f"{label}:")
            lines.append("")
            for p in r[key]:
                score = f" ({p['score']} %: {p['reason']})" if p["score"] is not None else ""
                lines.append(
                    f"- {p['pair'][0]} “{p['titles'][0]}” / {p['pair'][1]} “{p['titles'][1]}”{score}"
                )
            lines.append("")
    lines.append(END)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("QF_BENCH_DUP_PG_URL", DEFAULT_PG))
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child()
        return
    sys.path.insert(0, str(BENCH))
    from run import OUT, PY, REPO, bench_env, fresh_postgres, manage

    OUT.mkdir(parents=True, exist_ok=True)
    if args.db == "sqlite":
        path = OUT / "duplicates.sqlite3"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        fresh_postgres(args.pg_url)
        url = args.pg_url
    env = bench_env(url)
    manage(env, "migrate", "--noinput")
    out = subprocess.run(
        [PY, __file__, "--child"], env=env, cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    r = json.loads(out.strip().splitlines()[-1])
    print(
        f"{r['complaints']} complaints, {r['true_pairs']} true pairs, {r['flagged_pairs']} flagged: "
        f"precision {_pct(r['precision'])}, recall {_pct(r['recall'])}; check median "
        f"{r['check_ms_median']:.1f} ms, p95 {r['check_ms_p95']:.1f} ms"
    )
    for key in ("missed", "wrong"):
        for p in r[key]:
            print(f"  {key}: {p['pair']} {p['titles']} {p['score']} {p['reason']}")
    if args.write:
        commit = subprocess.run(
            ["git", "log", "-1", "--format=%h"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        results = BENCH / "RESULTS.md"
        text = results.read_text(encoding="utf-8")
        section = report(r, commit=commit, database=args.db)
        if START in text:
            text = text[: text.index(START)] + section + text[text.index(END) + len(END) :]
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
        results.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
