"""Routing suggestions for a ticket: which unit it is about and which category it belongs to,
read from its words. They are suggestions: a person confirms by assigning.

Units: the names, short names and aliases of every active unit, matched in the normalised
text (lib.keywords.normalise) by a matcher built once per process. It is rebuilt when the unit
table's stamp changes (count, highest id, active count, total length of the names — one
aggregate query) and at least every `MAX_AGE`, which catches a rename to a name of the same
length. A scan looks up each position's first two characters in a dict and tries only the few
lengths of the terms starting with them, so its cost follows the text, not the size of the
tree.

Where matches overlap the longest wins ("东城区实验小学" is one school, not the county
"东城区" too); a unit whose ancestor is also mentioned gains, the ancestor loses (the school
before its county), and a term several units share counts for each a share only.

Departments (科室) are named with common words (办公室, 财务科, 教务处): "学校办公室" in a
parent's complaint is the school's office, not the bureau's. A department's own name counts
only in a qualified form — its parent's name, short name or alias written before it
("市教育局办公室", one term for the matcher) — or when the text names no school or county.
Schools and counties named in the text come before departments and the bureau.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Length
from django.utils.translation import gettext as _

from qingfeng.intake.models import Ticket, TicketCategory
from qingfeng.lib.keywords import match_keywords, normalise
from qingfeng.orgs.models import Unit

MAX_AGE = 300.0  # seconds: rebuilt at least this often
STALE_AFTER = 30.0  # seconds: how old a stamp the duplicate check accepts
MIN_TERM = 2  # a one-character "name" would match everywhere
KIND_WEIGHT = {"name": 3.0, "qualified": 3.0, "short": 2.5, "alias": 2.0}
# Kinds that are not "a school or a county named in the text": they rank after those, and a
# department's bare name does not count when one of those is named.
_OFFICES = frozenset({Unit.Kind.DEPARTMENT, Unit.Kind.BUREAU})
ANCESTOR_BONUS = 1.0
DEPTH_BONUS = 0.1


@dataclass(frozen=True)
class _UnitInfo:
    pk: int
    name: str
    path: str
    depth: int
    kind: str

    @property
    def is_place(self) -> bool:
        """A school, a county or another unit people name, rather than an office."""
        return self.kind not in _OFFICES


@dataclass
class _Term:
    text: str  # as stored, for the explanation
    owners: list[tuple[int, str]] = field(default_factory=list)  # (unit id, kind)


@dataclass(frozen=True)
class UnitSuggestion:
    unit_id: int
    name: str
    score: float
    reason: str


@dataclass(frozen=True)
class CategorySuggestion:
    category: TicketCategory
    score: float
    reason: str
    keywords: tuple[str, ...]


class UnitMatcher:
    """Every active unit's names, by their first two (normalised) characters."""

    def __init__(self, units: list[tuple[int, str, str, str, str, int, str]]) -> None:
        """`units`: (id, name, short name, aliases, path, depth, kind) of each active unit."""
        self.units: dict[int, _UnitInfo] = {}
        terms: dict[str, _Term] = {}
        names: dict[int, list[tuple[str, str]]] = {}
        for pk, name, short_name, aliases, path, depth, unit_kind in units:
            self.units[pk] = _UnitInfo(pk, name, path, depth, unit_kind)
            alias_list = Unit(aliases=aliases).alias_list()
            names[pk] = [("name", name), ("short", short_name), *(("alias", a) for a in alias_list)]
        by_path = {info.path: pk for pk, info in self.units.items()}
        for pk, info in self.units.items():
            spelled = list(names[pk])
            parent = by_path.get(Unit.path_parent(info.path))
            if info.kind == Unit.Kind.DEPARTMENT and parent is not None:
                # "市教育局办公室": the parent's every name before the department's.
                spelled += [
                    ("qualified", above + own)
                    for _k, above in names[parent]
                    if above
                    for _kind, own in names[pk]
                    if own
                ]
            for kind, text in spelled:
                key = normalise(text)
                if len(key) < MIN_TERM:
                    continue
                term = terms.setdefault(key, _Term(text))
                if not any(owner == pk for owner, _kind in term.owners):
                    term.owners.append((pk, kind))
        self.terms = terms
        # Per first two characters, the lengths of the terms starting with them, longest
        # first: a county's schools share its prefix, so comparing term by term would not do.
        lengths: dict[str, set[int]] = defaultdict(set)
        for key in terms:
            lengths[key[:MIN_TERM]].add(len(key))
        self._lengths = {prefix: sorted(ns, reverse=True) for prefix, ns in lengths.items()}

    def find(self, text: str) -> list[tuple[int, str]]:
        """(position, term) of the terms in the normalised text, overlaps resolved in favour
        of the longer term."""
        found: list[tuple[int, str]] = []
        for i in range(len(text) - MIN_TERM + 1):
            for n in self._lengths.get(text[i : i + MIN_TERM], ()):  # longest first
                if text[i : i + n] in self.terms:
                    found.append((i, text[i : i + n]))
                    break
        taken: list[tuple[int, int]] = []
        kept: list[tuple[int, str]] = []
        for start, key in sorted(found, key=lambda m: (-len(m[1]), m[0])):
            end = start + len(key)
            if all(end <= s or start >= e for s, e in taken):
                taken.append((start, end))
                kept.append((start, key))
        return sorted(kept)

    def terms_in(self, text: str) -> list[str]:
        """The unit names the text mentions (normalised), for the duplicate check to ignore."""
        return sorted({key for _pos, key in self.find(normalise(text))})

    def _counts(self, pk: int, kind: str, places_named: bool) -> bool:
        """A department's bare name counts only when no school or county is named."""
        info = self.units[pk]
        return not (places_named and info.kind == Unit.Kind.DEPARTMENT and kind != "qualified")

    def suggest(self, text: str, limit: int) -> list[UnitSuggestion]:
        matches = self.find(normalise(text))
        places_named = any(
            self.units[pk].is_place for _pos, key in matches for pk, _k in self.terms[key].owners
        )
        scores: dict[int, float] = defaultdict(float)
        best: dict[int, tuple[float, str, str, int]] = {}  # unit → (points, kind, term, owners)
        for _pos, key in matches:
            term = self.terms[key]
            share = len(term.owners)
            for pk, kind in term.owners:
                if not self._counts(pk, kind, places_named):
                    continue
                points = KIND_WEIGHT[kind] * (1 + len(key) / 10) / share
                if pk in best:
                    scores[pk] += 0.5  # mentioned again
                if pk not in best or points > best[pk][0]:
                    best[pk] = (points, kind, term.text, share)
        for pk, (points, *_rest) in best.items():
            scores[pk] += points + DEPTH_BONUS * self.units[pk].depth
        ancestors: dict[int, list[int]] = {
            pk: [
                other
                for other in best
                if other != pk and Unit.path_is_within(self.units[pk].path, self.units[other].path)
            ]
            for pk in best
        }
        demoted = {a for above in ancestors.values() for a in above}
        for pk, above in ancestors.items():
            scores[pk] += ANCESTOR_BONUS * len(above)
        for pk in demoted:
            scores[pk] /= 2
        ranked = sorted(
            best,
            key=lambda pk: (not self.units[pk].is_place, -scores[pk], self.units[pk].path),
        )[:limit]
        return [
            UnitSuggestion(
                unit_id=pk,
                name=self.units[pk].name,
                score=round(scores[pk], 2),
                reason=self._reason(best[pk], [self.units[a].name for a in ancestors[pk]]),
            )
            for pk in ranked
        ]

    @staticmethod
    def _reason(match: tuple[float, str, str, int], above: list[str]) -> str:
        _points, kind, text, share = match
        if kind in {"name", "qualified"}:
            reason = _("正文提到“%(t)s”") % {"t": text}
        elif kind == "short":
            reason = _("正文提到简称“%(t)s”") % {"t": text}
        else:
            reason = _("正文提到别名“%(t)s”") % {"t": text}
        if share > 1:
            reason += _("（%(n)d 个单位有此名称）") % {"n": share}
        if above:
            reason += _("，并提到上级单位“%(u)s”") % {"u": "、".join(above)}
        return reason


@dataclass
class _Cached:
    stamp: tuple[object, ...]
    built: float
    checked: float
    matcher: UnitMatcher


_lock = threading.Lock()
_cached: _Cached | None = None


def _stamp() -> tuple[object, ...]:
    row = Unit.objects.aggregate(
        n=Count("id"),
        top=Max("id"),
        active=Count("id", filter=Q(is_active=True)),
        chars=Sum(Length("name") + Length("short_name") + Length("aliases")),
    )
    return (row["n"], row["top"], row["active"], row["chars"])


def get_matcher(*, fresh: bool = True) -> UnitMatcher:
    """The process's matcher, rebuilt when the unit table changed. `fresh` checks the stamp
    (one aggregate query over the units) on every call, as the staff page does; without it
    the stamp is checked at most every `STALE_AFTER` seconds — the duplicate check uses the
    names only to ignore them, and a unit named a minute ago changes nothing there."""
    global _cached
    now = time.monotonic()
    cached = _cached
    if cached is not None and now - cached.built < MAX_AGE:
        if not fresh and now - cached.checked < STALE_AFTER:
            return cached.matcher
        stamp = _stamp()
        if stamp == cached.stamp:
            cached.checked = now
            return cached.matcher
    else:
        stamp = _stamp()
    with _lock:
        rows = list(
            Unit.objects.filter(is_active=True).values_list(
                "pk", "name", "short_name", "aliases", "path", "depth", "kind"
            )
        )
        matcher = UnitMatcher(rows)
        _cached = _Cached(stamp, now, now, matcher)
    return matcher


def mentioned_terms(text: str) -> list[str]:
    return get_matcher().terms_in(text)


def suggest_units(text: str, limit: int = 3) -> list[UnitSuggestion]:
    """The units the text is most likely about, most specific first, each with the reason
    ("正文提到“东城区实验小学”")."""
    return get_matcher().suggest(text, limit)


def suggest_categories(text: str, limit: int = 3) -> list[CategorySuggestion]:
    """Categories whose keywords (one per line) occur in the text, best first."""
    categories = TicketCategory.objects.filter(is_active=True).order_by("sort_order", "pk")
    matches = match_keywords(text, ((c, c.keywords.splitlines()) for c in categories))
    return [
        CategorySuggestion(
            m.item, m.score, _("关键词：%(k)s") % {"k": "、".join(m.keywords)}, m.keywords
        )
        for m in matches[:limit]
    ]


def handles_own_report(ticket: Ticket, unit: Unit) -> bool:
    """A 举报 about a unit (or a person in it) sent to that unit or a unit inside it: it would
    investigate itself, which needs a stated reason. A complaint (投诉) or a suggestion may go
    to the unit, as practice does."""
    return (
        ticket.kind == Ticket.Kind.REPORT
        and ticket.unit is not None
        and unit.is_within(ticket.unit)
    )


def report_unit_above(ticket: Ticket) -> Unit | None:
    """Who a 举报 goes to by default: the level above the unit reported on (the county for a
    school, the bureau for a county); None for anything else, or when nothing is above."""
    if ticket.kind != Ticket.Kind.REPORT or ticket.unit is None:
        return None
    return ticket.unit.parent
