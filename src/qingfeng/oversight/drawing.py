"""The 双随机 draw, and its verifier: Python's standard library only, so that anyone can run
this one file against a draw certificate without the project:

    python3 verify_draw.py certificate.json   (this file, as /notice/verify_draw.py serves it)

Commit–reveal. Before the draw the pool (units and inspectors, as frozen), the parameters and
a fresh server seed are fixed and the commitment SHA-256(algorithm, parameters, pool hash,
seed) is published. At draw time two officials enter public random values that did not exist
at commitment time (a stated lottery result, an index close). The draw key is
SHA-256(commitment, seed, values); the sequence is SHA-256 in counter mode: value i is
SHA-256(key ‖ i as 8 bytes big-endian) read as a 256-bit integer, taken modulo the size of
what is picked from (the bias is below 2^-200 for any pool here).

Picking. Units are split into strata (county × stage, or one stratum), sorted by key; a total
(a count, or a percentage rounded half up) is shared out in proportion to the strata's sizes
by largest remainder (ties by stratum order) — or, with `per_stratum`, the count or the
percentage (rounded half up) is taken in every stratum. In a stratum each pick takes the next value
modulo the remaining total weight and walks the remaining units (in code order) until the
cumulative weight passes it; weights are integers (1 when unweighted). Then, for each target
in pick order, inspectors are picked by the next value modulo the inspector count; a pick who
is recused for the target (works or worked there, declared a conflict there, or belongs to
the target's county) or already picked for it is skipped and the next value taken — the
replacement is in the same sequence, so it is verifiable too.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import chain
from typing import Any

ALGORITHM = "qingfeng-draw-sha256-ctr-v1"


class DrawError(ValueError):
    """A draw that cannot be satisfied, or a certificate that does not verify."""


def canonical(value: Any) -> bytes:
    """The one byte form hashed: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pool_hash(pool: Mapping[str, Any]) -> str:
    return sha256_hex(canonical(pool))


def commitment(*, params: Mapping[str, Any], pool_digest: str, seed: str) -> str:
    return sha256_hex(
        canonical(
            {"algorithm": ALGORITHM, "params": params, "pool_hash": pool_digest, "seed": seed}
        )
    )


class Sequence:
    """SHA-256 in counter mode under the draw key; `used` says how many values were read."""

    def __init__(self, *, commitment_hex: str, seed: str, values: Iterable[str]) -> None:
        material = {"commitment": commitment_hex, "seed": seed, "values": list(values)}
        self.key = hashlib.sha256(canonical(material)).digest()
        self.used = 0

    def below(self, n: int) -> int:
        if n <= 0:
            raise DrawError("empty choice")
        digest = hashlib.sha256(self.key + self.used.to_bytes(8, "big")).digest()
        self.used += 1
        return int.from_bytes(digest, "big") % n


def total_for(params: Mapping[str, Any], size: int) -> int:
    if params.get("count"):
        return int(params["count"])
    percent = int(params.get("percent") or 0)
    return (percent * size * 2 + 100) // 200  # percent of size, rounded half up


def strata_of(units: list[Mapping[str, Any]], stratify: bool) -> dict[str, list[Any]]:
    strata: dict[str, list[Any]] = {}
    for unit in sorted(units, key=lambda u: u["code"]):
        key = f"{unit['county']}|{unit['stage']}" if stratify else "*"
        strata.setdefault(key, []).append(unit)
    return dict(sorted(strata.items()))


def allocate(sizes: Mapping[str, int], total: int) -> dict[str, int]:
    """Largest remainder: each stratum's share of `total` in proportion to its size."""
    size = sum(sizes.values())
    if size == 0:
        return {}
    shares = {key: total * n // size for key, n in sizes.items()}
    rest = total - sum(shares.values())
    order = sorted(sizes, key=lambda k: (-(total * sizes[k] % size), list(sizes).index(k)))
    for key in order[:rest]:
        shares[key] += 1
    return shares


def shares_for(sizes: Mapping[str, int], params: Mapping[str, Any]) -> dict[str, int]:
    """How many units each stratum gives: the total shared out by largest remainder, or
    (`per_stratum`) the count or the percentage of its own size taken in every stratum."""
    if params.get("per_stratum"):
        return {key: total_for(params, n) for key, n in sizes.items()}
    return allocate(sizes, total_for(params, sum(sizes.values())))


def recused(person: Mapping[str, Any], unit: Mapping[str, Any]) -> bool:
    return unit["id"] in person["units"] or (
        bool(unit["county"]) and unit["county"] in person["counties"]
    )


def eligible_counts(
    units: list[Mapping[str, Any]], inspectors: list[Mapping[str, Any]]
) -> dict[int, int]:
    """For each unit, how many inspectors may be drawn for it — without comparing every pair
    (a county recuses its people at once; a unit named outside one's counties counts once)."""
    county_of = {u["id"]: u["county"] for u in units}
    # Counted from generators in one go each (a city's pool has tens of thousands of people).
    by_county = Counter(chain.from_iterable(set(p["counties"]) for p in inspectors))
    extra = Counter(
        unit_id
        for person in inspectors
        for unit_id in set(person["units"])
        if unit_id in county_of and county_of[unit_id] not in person["counties"]
    )
    total = len(inspectors)
    return {
        u["id"]: total - (by_county[u["county"]] if u["county"] else 0) - extra[u["id"]]
        for u in units
    }


def check_satisfiable(pool: Mapping[str, Any], params: Mapping[str, Any]) -> None:
    """Refuse, before anything is committed, a draw that cannot be made."""
    units, inspectors = pool["units"], pool["inspectors"]
    strata = strata_of(list(units), bool(params.get("stratify")))
    shares = shares_for({k: len(v) for k, v in strata.items()}, params)
    total = sum(shares.values())
    if total <= 0:
        raise DrawError("nothing to draw")
    if total > len(units):
        raise DrawError(f"pool of {len(units)} units is smaller than {total}")
    small = [key for key, members in strata.items() if shares[key] > len(members)]
    if small:
        raise DrawError(f"strata smaller than their share: {small[:5]}")
    per = int(params.get("inspectors_per_target") or 0)
    if per:
        short = [u for u, n in eligible_counts(units, inspectors).items() if n < per]
        if short:
            raise DrawError(f"units without {per} eligible inspectors: {short[:5]}")


def pick_weighted(weights: list[int], point: int) -> int:
    """The index whose cumulative weight first passes `point` (0 <= point < sum)."""
    for index, weight in enumerate(weights):
        if point < weight:
            return index
        point -= weight
    raise DrawError("point beyond the total weight")


def _check_inspectors(
    units: list[Mapping[str, Any]], inspectors: list[Mapping[str, Any]], per: int, picked: list[int]
) -> None:
    """Before the inspectors are drawn: every target has `per` people who may go there, so
    the skipping below ends. A committed pool always has them (`check_satisfiable`); an
    edited certificate may not, and its verification fails instead of running for ever."""
    if len({p["id"] for p in inspectors}) != len(inspectors):
        raise DrawError("an inspector is listed twice in the pool")
    eligible = eligible_counts(units, inspectors)
    short = [u for u in picked if eligible.get(u, 0) < per]
    if short:
        raise DrawError(f"units without {per} eligible inspectors: {short[:5]}")


def draw(
    pool: Mapping[str, Any], params: Mapping[str, Any], *, seed: str, values: list[str]
) -> dict[str, Any]:
    """The result, from the frozen inputs alone: the same inputs give the same result."""
    units, inspectors = pool["units"], pool["inspectors"]
    sequence = Sequence(
        commitment_hex=commitment(params=params, pool_digest=pool_hash(pool), seed=seed),
        seed=seed,
        values=values,
    )
    strata = strata_of(list(units), bool(params.get("stratify")))
    shares = shares_for({k: len(v) for k, v in strata.items()}, params)
    weighted = bool(params.get("weighted"))
    targets: list[dict[str, Any]] = []
    for key, members in strata.items():
        remaining = list(members)
        if shares.get(key, 0) > len(remaining):
            raise DrawError(f"stratum {key} has fewer units than its share")
        for _ in range(shares.get(key, 0)):
            weights = [int(u["weight"]) if weighted else 1 for u in remaining]
            picked = remaining.pop(pick_weighted(weights, sequence.below(sum(weights))))
            targets.append({"unit": picked["id"], "stratum": key, "inspectors": []})
    per = int(params.get("inspectors_per_target") or 0)
    if inspectors and per:
        _check_inspectors(units, inspectors, per, [t["unit"] for t in targets])
    replaced: list[dict[str, Any]] = []
    by_id = {u["id"]: u for u in units}
    for target in targets if inspectors and per else []:
        unit = by_id[target["unit"]]
        while len(target["inspectors"]) < per:
            person = inspectors[sequence.below(len(inspectors))]
            if person["id"] in target["inspectors"]:
                continue
            if recused(person, unit):
                replaced.append({"unit": unit["id"], "skipped": person["id"]})
                continue
            target["inspectors"].append(person["id"])
    return {"targets": targets, "replaced": replaced, "values_used": sequence.used}


def verify(certificate: Mapping[str, Any]) -> list[str]:
    """What does not hold in a certificate; an empty list means it verifies."""
    problems: list[str] = []
    if certificate.get("algorithm") != ALGORITHM:
        problems.append(f"unknown algorithm {certificate.get('algorithm')!r}")
        return problems
    try:
        pool, params, seed = certificate["pool"], certificate["params"], certificate["seed"]
        digest = pool_hash(pool)
        if digest != certificate["pool_hash"]:
            problems.append("the pool does not match its hash")
        if commitment(params=params, pool_digest=digest, seed=seed) != certificate["commitment"]:
            problems.append("the parameters, pool or seed do not match the published commitment")
    except (KeyError, TypeError) as exc:
        return [*problems, f"the certificate lacks a field or holds a wrong value: {exc}"]
    try:
        result = draw(pool, params, seed=seed, values=list(certificate["values"]))
    except (DrawError, KeyError, TypeError, ValueError, AttributeError) as exc:
        # An edited certificate may lack a field or hold the wrong kind of value.
        problems.append(f"the draw cannot be recomputed: {exc}")
        return problems
    if canonical(result) != canonical(certificate.get("result")):
        problems.append("the recomputed result differs from the certificate's result")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python3 verify_draw.py certificate.json")
        return 2
    with open(argv[1], encoding="utf-8") as file:
        certificate = json.load(file)
    problems = verify(certificate)
    for line in problems:
        print("FAILED:", line)
    if not problems:
        count = len(certificate["result"]["targets"])
        print(f"OK: {certificate.get('number', '')} verifies ({count} targets)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
