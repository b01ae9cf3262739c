"""Recall and false masking of lib.redact over bench/data/masking_corpus.json, and its speed.

    .venv/bin/python bench/masking.py [--repeat 5]

For each audience (the public page without and with a roster of the staff the texts name, the
unit reported on with that roster): the share of planted numbers and names that no longer
appear (recall; a number counts as found when its digits are gone, whatever the width and
separators), the share of ordinary words that were masked (false masking), and the time per
text (median and p95 over every text and repeat). For the unit reported on, the staff it
knows are shown by design, so its name recall counts the other people only. No database.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "src"))

from qingfeng.lib.redact import Audience, normalise, redact  # noqa: E402

CORPUS = BENCH / "data" / "masking_corpus.json"


def digits_gone(number: str, out: str) -> bool:
    digits = re.sub(r"\D", "", normalise(number))
    return digits not in re.sub(r"\D", "", normalise(out))


def staff_names(entry: dict) -> list[str]:
    """The staff a text names by full name (a roster would list them)."""
    return [
        n
        for n in entry["names"]
        if re.search(re.escape(n) + "(老师|校长|主任|副校长)", entry["text"])
        or re.search("(班主任|举报|调查|请教育局调查)" + re.escape(n), entry["text"])
    ]


def measure(corpus: list[dict], *, audience: Audience, with_roster: bool, repeat: int) -> dict:
    numbers = numbers_found = names = names_found = words = words_masked = 0
    misses: list[str] = []
    times: list[float] = []
    for entry in corpus:
        roster = staff_names(entry) if with_roster else []
        for _ in range(repeat):
            start = time.perf_counter()
            out = redact(entry["text"], audience=audience, roster=roster)
            times.append((time.perf_counter() - start) * 1000)
        for number in entry["numbers"]:
            numbers += 1
            numbers_found += digits_gone(number, out)
        for name in entry["names"]:
            if audience == Audience.REPORTED_UNIT and name in roster:
                continue
            if audience == Audience.REPORTED_UNIT and re.fullmatch(
                r".+(老师|校长|主任|副校长)", name
            ):
                continue  # a member of staff by title: the unit knows its own
            names += 1
            if name not in out:
                names_found += 1
            else:
                misses.append(f"{name}: {out}")
        for word in entry["words"]:
            words += 1
            if word not in out:
                words_masked += 1
                misses.append(f"[word] {word}: {out}")
    times.sort()
    return {
        "numbers": (numbers_found, numbers),
        "names": (names_found, names),
        "words": (words_masked, words),
        "median": statistics.median(times),
        "p95": times[max(0, round(0.95 * len(times)) - 1)],
        "misses": misses,
    }


def pct(pair: tuple[int, int]) -> str:
    found, total = pair
    return f"{100 * found / total:.1f} % ({found}/{total})" if total else "—"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    corpus = json.loads(CORPUS.read_text(encoding="utf-8"))
    redact("预热", audience=Audience.PUBLIC)  # load jieba outside the timings
    rows = [
        ("public, no roster", Audience.PUBLIC, False),
        ("public, staff on roster", Audience.PUBLIC, True),
        ("reported unit, staff on roster", Audience.REPORTED_UNIT, True),
    ]
    print(f"{len(corpus)} texts, {args.repeat} runs each\n")
    print(
        "| audience | numbers recall | names recall | ordinary words masked | median ms | p95 ms |"
    )
    print("|---|---|---|---|---|---|")
    for label, audience, with_roster in rows:
        r = measure(corpus, audience=audience, with_roster=with_roster, repeat=args.repeat)
        print(
            f"| {label} | {pct(r['numbers'])} | {pct(r['names'])} | {pct(r['words'])} "
            f"| {r['median']:.2f} | {r['p95']:.2f} |"
        )
        if args.show_misses:
            for miss in r["misses"]:
                print("    ", miss)


if __name__ == "__main__":
    main()
