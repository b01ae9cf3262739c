"""Re-importing a ledger (台账每月再次报送): which rows are problems already in the ledger,
and what each would change.

A row is the problem whose 编号 it gives (a number the ledger issued, 2026-01-LD-000012,
also in full-width characters), else the problem of the same responsible unit whose
description reads the same once full-width/half-width forms, punctuation and whitespace are
folded away. An office's own numbering (1, 2, 3 …) is not a ledger number and is ignored.

Only what a unit reports month by month may change: progress and the measures' status
(forward only: what was reported in the system stands), measures added, the deadline and
its kind, the responsible people, and the texts of 原因分析 / 整改目标 / 建章立制 / 追责问责 /
备注. Not the unit, list, source, category or description (they say which problem it is).
A blank cell never clears a value. The problem's status never changes: a problem that is closed,
withdrawn or under verification is reported as not updated.

Scope: numbers are looked up only among problems of units where the importer may register
problems; a number outside that scope reads exactly as a number that does not exist.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qingfeng.core.calendar import get_calendar
from qingfeng.core.lifecycle import StrOrPromise
from qingfeng.core.scope import scope_q
from qingfeng.ledger.excel.checking import RowPlan
from qingfeng.ledger.models import Measure, Problem
from qingfeng.ledger.permissions import REGISTRARS, _roles
from qingfeng.lib.xlsx import RowError
from qingfeng.orgs.models import Person, Unit, User

SYSTEM_NUMBER = re.compile(r"^\d{4}-\d{2}-(?:LD|KS|GR)-\d{6}$")
CHUNK = 900  # ids per IN (…), well inside SQLite's limit on parameters
S = Problem.Status
# A re-import never changes a problem's status, and leaves these as they are.
NOT_UPDATED: dict[str, StrOrPromise] = {
    S.CLOSED: gettext_lazy("已销号，未更新"),
    S.WITHDRAWN: gettext_lazy("已撤回，未更新"),
    S.CLOSURE_REQUESTED: gettext_lazy("销号审核中，未更新"),
    S.STAGE_COMPLETED: gettext_lazy("阶段性完成，未更新"),
}
MEASURE_RANK: dict[str, int] = {
    Measure.Status.TODO: 0,
    Measure.Status.DOING: 1,
    Measure.Status.DONE: 2,
}
TEXTS = (
    ("cause", "cause", gettext_lazy("原因分析")),
    ("goal", "goal", gettext_lazy("整改目标")),
    ("rules", "rules_adopted", gettext_lazy("建章立制")),
    ("accountability", "accountability", gettext_lazy("追责问责")),
    ("remarks", "remarks", gettext_lazy("备注")),
)
LOADED = (
    "id",
    "number",
    "title",
    "unit_id",
    "unit__name",
    "status",
    "progress",
    "rectification_type",
    "deadline",
    "deadline_workdays",
    "assigned_at",
    "responsible_person_id",
    "responsible_leader_id",
    "cause",
    "goal",
    "rules_adopted",
    "accountability",
    "remarks",
)


class Kind:
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    NOT_UPDATED = "not_updated"


def normalise_number(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()


def normalise_text(text: str) -> str:
    """A description as compared: full-width forms folded (ＡＢＣ１２３ → abc123), and only
    letters and digits kept (no punctuation, spaces, line breaks or symbols)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


@dataclass
class Change:
    """One field a row changes: raw values (compared when the change is confirmed) and the
    words shown in the preview."""

    field: str
    label: str
    before: Any
    after: Any
    shown_before: str
    shown_after: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "label": self.label,
            "before": self.before,
            "after": self.after,
            "shown_before": self.shown_before,
            "shown_after": self.shown_after,
        }


@dataclass
class RowMatch:
    """What the re-import would do with one valid row."""

    plan: RowPlan
    kind: str
    problem_id: int | None = None
    number: str = ""
    unit: str = ""
    note: str = ""
    changes: list[Change] = field(default_factory=list)
    # What the action writes, when the row is confirmed (recomputed then, never stored).
    updates: dict[str, Any] = field(default_factory=dict)
    measures_added: list[tuple[str, str]] = field(default_factory=list)
    measures_raised: dict[int, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return row_key(self.plan.sheet, self.plan.row)

    def as_dict(self) -> dict[str, Any]:
        """The preview entry; `compared` is what must hold again when the row is applied."""
        data: dict[str, Any] = {
            "key": self.key,
            "sheet": self.plan.sheet,
            "row": self.plan.row,
            "kind": self.kind,
            "title": self.plan.fields.get("title", ""),
        }
        data["unit"] = self.unit
        if self.problem_id is not None:
            data.update(problem=self.problem_id, number=self.number)
        if self.note:
            data["note"] = self.note
        if self.changes:
            data["changes"] = [c.as_dict() for c in self.changes]
        return data


def row_key(sheet: str, row: int) -> str:
    return f"{sheet}!{row}"


def compared(entry: dict[str, Any]) -> tuple[Any, ...]:
    """What a preview entry and its recomputation must agree on for the row to be applied."""
    # As stored: a fresh entry holds enum members and tuples where the stored one has text.
    changes = tuple(
        (c["field"], json.dumps(c["before"]), json.dumps(c["after"]))
        for c in entry.get("changes", ())
    )
    return (entry["kind"], entry.get("problem"), changes)


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


class Matcher:
    """Match valid rows (`check_ledger`'s plans) to the problems in the importer's scope, and
    say what each matched row changes. With `lock`, the matched problems are locked for the
    rest of the transaction (the confirmation, which writes what it compared)."""

    def __init__(self, actor: User, plans: list[RowPlan], *, lock: bool = False) -> None:
        self.actor = actor
        self.plans = plans
        self.lock = lock
        self.errors: list[RowError] = []
        self.people: dict[int, str] = {}

    def _scoped(self) -> QuerySet[Problem]:
        return Problem.objects.filter(scope_q(self.actor, "unit__path", roles=_roles(REGISTRARS)))

    def match(self) -> list[RowMatch]:
        found = self._find()
        problems = self._load({pk for pk in found.values() if pk is not None})
        measures = self._measures(list(problems))
        self._load_people(problems.values())
        units = dict(
            Unit.objects.filter(pk__in={p.fields["unit_id"] for p in self.plans}).values_list(
                "id", "name"
            )
        )
        results: list[RowMatch] = []
        seen: dict[int, int] = {}
        for plan in self.plans:
            pk = found.get(id(plan))
            if pk is None:
                results.append(RowMatch(plan, Kind.NEW, unit=units[plan.fields["unit_id"]]))
                continue
            problem = problems[pk]
            if pk in seen:
                self._error(
                    plan,
                    _("本行与第%(row)d行是同一个问题（编号 %(n)s），请删去重复的行")
                    % {"row": seen[pk], "n": problem["number"]},
                )
                continue
            seen[pk] = plan.row
            if plan.fields.get("unit_id") != problem["unit_id"]:
                self._error(
                    plan,
                    _(
                        "编号 %(n)s 的问题责任单位是『%(unit)s』，与本行不一致；"
                        "更改责任单位请在系统中办理"
                    )
                    % {"n": problem["number"], "unit": problem["unit__name"]},
                    column="责任单位",
                )
                continue
            results.append(self._compare(plan, problem, measures.get(pk, [])))
        return results

    def _error(self, plan: RowPlan, message: str, column: str = "") -> None:  # column: its label
        self.errors.append(RowError(plan.sheet, plan.row, column, message))

    # -- finding the problem of each row --

    def _find(self) -> dict[int, int | None]:
        """id(plan) → the problem it is (None: a new problem)."""
        found: dict[int, int | None] = {}
        numbers = {
            id(p): normalise_number(p.number)
            for p in self.plans
            if SYSTEM_NUMBER.match(normalise_number(p.number))
        }
        by_number: dict[str, int] = {}
        for chunk in _chunks(sorted(set(numbers.values()))):
            by_number.update(
                self._scoped().filter(number__in=chunk).values_list("number", "id").iterator()
            )
        rest: list[RowPlan] = []
        for plan in self.plans:
            number = numbers.get(id(plan))
            if number is None:
                rest.append(plan)
            elif number in by_number:
                found[id(plan)] = by_number[number]
            else:
                # Out of scope reads exactly as unknown: never say such a problem exists.
                self._error(
                    plan,
                    _("编号『%(n)s』不是您管辖范围内的问题，或编号有误；新问题请将编号留空")
                    % {"n": plan.number},
                    column="编号",
                )
        units = sorted({p.fields["unit_id"] for p in rest})
        by_text: dict[tuple[int, str], list[tuple[int, str]]] = defaultdict(list)
        for chunk in _chunks(units):
            rows = (
                Problem.objects.filter(unit_id__in=chunk)
                .order_by("id")
                .values_list("id", "unit_id", "description", "status")
                .iterator(chunk_size=2000)
            )
            for pk, unit_id, description, status in rows:
                by_text[(unit_id, normalise_text(description))].append((pk, status))
        for plan in rest:
            text = normalise_text(plan.fields.get("description", ""))
            found_text = by_text.get((plan.fields["unit_id"], text), []) if text else []
            # A problem withdrawn (registered twice) and registered again: the live one.
            live = [pk for pk, status in found_text if status != S.WITHDRAWN]
            candidates = live if len(found_text) > 1 else [pk for pk, _s in found_text]
            if len(candidates) > 1:
                self._error(
                    plan,
                    _(
                        "本行与系统中该单位的 %(n)d 个问题描述相同，"
                        "请在『编号』列填写要更新的问题编号"
                    )
                    % {"n": len(candidates)},
                    column="问题描述",
                )
                continue
            found[id(plan)] = candidates[0] if candidates else None
        return found

    def _load(self, ids: set[int]) -> dict[int, dict[str, Any]]:
        problems: dict[int, dict[str, Any]] = {}
        for chunk in _chunks(sorted(ids)):
            query = Problem.objects.filter(pk__in=chunk)
            if self.lock:
                query = query.select_for_update(of=("self",))
            for values in query.values(*LOADED):
                problems[values["id"]] = values
        return problems

    def _measures(self, ids: list[int]) -> dict[int, list[tuple[int, str, str]]]:
        measures: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
        for chunk in _chunks(sorted(ids)):
            rows = (
                Measure.objects.filter(problem_id__in=chunk)
                .order_by("problem_id", "sort_order", "id")
                .values_list("problem_id", "id", "text", "status")
            )
            for problem_id, pk, text, status in rows:
                measures[problem_id].append((pk, text, status))
        return measures

    def _load_people(self, problems: Iterable[dict[str, Any]]) -> None:
        ids = {
            pk
            for p in problems
            for pk in (p["responsible_person_id"], p["responsible_leader_id"])
            if pk is not None
        }
        ids |= {
            pk
            for plan in self.plans
            for pk in (
                plan.fields.get("responsible_person_id"),
                plan.fields.get("responsible_leader_id"),
            )
            if pk is not None
        }
        for chunk in _chunks(sorted(ids)):
            self.people.update(Person.objects.filter(pk__in=chunk).values_list("id", "name"))

    # -- what a matched row changes --

    def _compare(
        self, plan: RowPlan, problem: dict[str, Any], measures: list[tuple[int, str, str]]
    ) -> RowMatch:
        result = RowMatch(
            plan,
            Kind.UNCHANGED,
            problem_id=problem["id"],
            number=problem["number"],
            unit=problem["unit__name"],
        )
        if (note := NOT_UPDATED.get(problem["status"])) is not None:
            result.kind, result.note = Kind.NOT_UPDATED, str(note)
            return result
        fields, given = plan.fields, plan.given
        if given & {"progress", "completion"} and fields["progress"] > problem["progress"]:
            result.changes.append(
                Change(
                    "progress",
                    _("整改进度"),
                    problem["progress"],
                    fields["progress"],
                    f"{problem['progress']}%",
                    f"{fields['progress']}%",
                )
            )
            result.updates["progress"] = fields["progress"]
        self._compare_deadline(result, problem)
        for key, name, label in (
            ("leader", "responsible_leader_id", _("责任领导")),
            ("person", "responsible_person_id", _("责任人")),
        ):
            if key in given and fields.get(name) != problem[name]:
                result.changes.append(
                    Change(
                        name,
                        label,
                        problem[name],
                        fields[name],
                        self.people.get(problem[name], "") if problem[name] else "—",
                        self.people.get(fields[name], ""),
                    )
                )
                result.updates[name] = fields[name]
        for key, name, text_label in TEXTS:
            if key in given and fields[name] != problem[name]:
                result.changes.append(
                    Change(
                        name,
                        str(text_label),
                        problem[name],
                        fields[name],
                        problem[name] or "—",
                        fields[name] or "—",
                    )
                )
                result.updates[name] = fields[name]
        self._compare_measures(result, measures)
        if result.changes:
            result.kind = Kind.CHANGED
        return result

    def _compare_deadline(self, result: RowMatch, problem: dict[str, Any]) -> None:
        fields = result.plan.fields
        if not result.plan.given & {"deadline", "rtype"} or "rectification_type" not in fields:
            return
        kind = fields["rectification_type"]
        if kind != problem["rectification_type"]:
            labels = Problem.RectificationType
            result.changes.append(
                Change(
                    "rectification_type",
                    _("整改类型"),
                    problem["rectification_type"],
                    kind,
                    str(labels(problem["rectification_type"]).label),
                    str(labels(kind).label),
                )
            )
            result.updates["rectification_type"] = kind
        day, workdays = fields.get("deadline"), fields.get("deadline_workdays")
        if day is None and workdays is None:
            return  # 长期坚持 / 立行立改 without a date: the deadline stays as it is
        assigned = problem["assigned_at"]
        before: Any
        after: Any
        if assigned is not None:
            # Assigned: the deadline is a date; "N个工作日" counts from the assignment.
            if day is None and workdays is not None:
                day = get_calendar().add_workdays(timezone.localdate(assigned), workdays)
            if day == problem["deadline"]:
                return
            before, after = _iso(problem["deadline"]), _iso(day)
            result.updates["deadline"] = day
        else:
            if (day, workdays) == (problem["deadline"], problem["deadline_workdays"]):
                return
            before = [_iso(problem["deadline"]), problem["deadline_workdays"]]
            after = [_iso(day), workdays]
            result.updates.update(deadline=day, deadline_workdays=workdays)
        result.changes.append(
            Change(
                "deadline",
                _("整改时限"),
                before,
                after,
                _shown_deadline(problem["deadline"], problem["deadline_workdays"]),
                _shown_deadline(day, workdays),
            )
        )

    def _compare_measures(self, result: RowMatch, existing: list[tuple[int, str, str]]) -> None:
        plan = result.plan
        target = plan.measure_status if "completion" in plan.given else None
        known = {normalise_text(text) for _pk, text, _status in existing}
        after: list[list[str]] = []
        for pk, text, status in existing:
            if target is not None and MEASURE_RANK[target] > MEASURE_RANK[status]:
                result.measures_raised[pk] = target
            after.append([text, result.measures_raised.get(pk, status)])
        for text in plan.measures:
            norm = normalise_text(text)
            if norm and norm not in known:
                known.add(norm)
                status = target or Measure.Status.TODO
                result.measures_added.append((text, status))
                after.append([text, status])
        before = [[text, status] for _pk, text, status in existing]
        if after != before:
            result.changes.append(
                Change(
                    "measures",
                    _("整改措施"),
                    before,
                    after,
                    _shown_measures(before),
                    _shown_measures(after),
                )
            )


def _shown_deadline(day: date | None, workdays: int | None) -> str:
    if day is not None:
        return f"{day.year}年{day.month}月{day.day}日"
    if workdays is not None:
        return _("%(n)d个工作日") % {"n": workdays}
    return "—"


def _shown_measures(items: list[list[str]]) -> str:
    if not items:
        return "—"
    labels = dict(Measure.Status.choices)
    return "\n".join(
        f"{i}. {text}（{labels[status]}）" for i, (text, status) in enumerate(items, start=1)
    )


def match_rows(
    actor: User, plans: list[RowPlan], *, lock: bool = False
) -> tuple[list[RowMatch], list[RowError]]:
    """Every valid row as new, changed, unchanged or not updated, with the errors of rows
    that cannot be matched (an unknown number, two rows for one problem, an ambiguous
    description)."""
    matcher = Matcher(actor, plans, lock=lock)
    return matcher.match(), matcher.errors
