"""Checking a roster against the importer's scope, every row before anything is written.

Units are looked up by code in a dict of the units the importer may write to (the
import_roster policy), people by (unit, name) in a dict of the people of those units, so a
60,000-row sheet is checked with a handful of queries.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from qingfeng.core.fields import blind_index
from qingfeng.core.progress import current
from qingfeng.lib.masking import mask_phone
from qingfeng.lib.xlsx import (
    RowError,
    chinese_labels,
    choice_words,
    compact,
    fold,
    person_name,
    yes_no,
)
from qingfeng.orgs import selectors
from qingfeng.orgs.models import Person, Unit, User
from qingfeng.orgs.permissions import can
from qingfeng.orgs.roster.columns import COLUMNS, PEOPLE, UNITS, derive_category
from qingfeng.orgs.roster.reading import SheetData

MAX_DEPTH = 27  # 28 levels of 9-character segments fill Unit.path (255 characters)
PARTY_WORDS = {"中共党员", "党员", "中共预备党员", "预备党员"}
NON_PARTY_WORDS = {"群众", "非党员", "共青团员", "团员", "民主党派", "无党派人士"}
ACTIVE_WORDS = {"在岗", "在职"}
INACTIVE_WORDS = {"离岗", "不在岗", "离职", "退休", "调离"}
MOBILE_RE = re.compile(r"1[3-9]\d{9}")
LANDLINE_RE = re.compile(r"0\d{2,3}-?\d{7,8}(?:-\d{1,6})?")
MASKED_RE = re.compile(r"[\d*]*\*[\d*-]*")


@dataclass
class UnitPlan:
    row: int
    code: str
    fields: dict[str, Any]
    parent_code: str | None  # None: keep the current parent
    existing: Unit | None
    depth: int = 0
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Known:
    """A person already in the database, as the import compares it."""

    id: int
    phone: str
    index: str
    post_type: str
    position: str
    is_party_member: bool
    is_active: bool
    taken: bool = False


@dataclass(slots=True)
class PersonPlan:
    row: int
    unit_code: str
    name: str
    phone: str
    masked: bool
    index: str  # blind index of a full phone; "" when blank or masked
    fields: dict[str, Any]
    existing: Known | None = None
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    units: list[UnitPlan]
    people: list[PersonPlan]
    unit_by_code: dict[str, Unit]


class Checker:
    """Validates every row of both sheets against the importer's writable scope."""

    def __init__(self, actor: User, sheets: list[SheetData]) -> None:
        self.actor = actor
        self.sheets = {s.kind: s for s in sheets}
        self.errors: list[RowError] = []
        # The units this user may import into (the import_roster policy, unit by unit).
        visible = selectors.units_visible_to(actor).order_by("path")
        self.scope = {u.code: u for u in visible if can(actor, "import_roster", u)}
        self.by_id = {u.pk: u for u in self.scope.values()}

    def error(self, kind: str, row: int, key: str, message: str) -> None:
        sheet = self.sheets[kind]
        self.errors.append(RowError(sheet.title, row, sheet.label(key), message))

    def not_found(self, code: str) -> str:
        # The same words whether the code does not exist or lies outside the scope.
        return _("单位编码 %(code)s 不存在或不在您的管辖范围内") % {"code": code}

    def text(self, kind: str, row: int, cells: dict[str, str], key: str, limit: int) -> str:
        value = cells.get(key, "")
        if len(value) > limit:
            self.error(
                kind,
                row,
                key,
                _("%(col)s不能超过 %(n)d 个字符") % {"col": COLUMNS[kind].label(key), "n": limit},
            )
        return value

    def required(self, kind: str, row: int, cells: dict[str, str], key: str, limit: int) -> str:
        value = self.text(kind, row, cells, key, limit)
        if not value:
            self.error(kind, row, key, _("%(col)s不能为空") % {"col": COLUMNS[kind].label(key)})
        return value

    def choice(
        self,
        kind: str,
        row: int,
        cells: dict[str, str],
        key: str,
        choices: type[models.TextChoices],
    ) -> str | None:
        raw = cells.get(key, "")
        if not raw:
            return ""
        value = choice_words(choices).get(fold(raw))
        if value is None:
            allowed = "、".join(chinese_labels(choices).values())
            self.error(
                kind,
                row,
                key,
                _("%(col)s“%(v)s”无效，可填：%(allowed)s")
                % {"col": COLUMNS[kind].label(key), "v": raw, "allowed": allowed},
            )
        return value

    def boolean(
        self, row: int, cells: dict[str, str], key: str, yes: set[str], no: set[str], default: bool
    ) -> bool:
        raw = cells.get(key, "")
        if not fold(raw):
            return default
        answer = yes_no(raw, yes=yes, no=no)
        if answer is not None:
            return answer
        self.error(
            PEOPLE,
            row,
            key,
            _("%(col)s“%(v)s”无法识别，请填写“是”或“否”")
            % {"col": COLUMNS[PEOPLE].label(key), "v": cells[key]},
        )
        return default

    # -- units --

    def plan_units(self) -> list[UnitPlan]:
        sheet = self.sheets.get(UNITS)
        if sheet is None:
            return []
        plans: dict[str, UnitPlan] = {}
        codes = {compact(c.get("code", "")) for _n, c in sheet.records} - set(self.scope)
        taken = set(Unit.objects.filter(code__in=codes).values_list("code", flat=True))
        for row, cells in sheet.records:
            plan = self.unit_row(row, cells, plans, taken)
            if plan is not None:
                plans[plan.code] = plan
        self.check_parents(plans)
        return sorted(plans.values(), key=lambda p: p.depth)

    def unit_row(
        self, row: int, cells: dict[str, str], plans: dict[str, UnitPlan], taken: set[str]
    ) -> UnitPlan | None:
        code = compact(cells.get("code", ""))
        if not code:
            self.error(UNITS, row, "code", _("单位编码不能为空"))
            return None
        if code in plans:
            self.error(
                UNITS,
                row,
                "code",
                _("单位编码 %(code)s 与第 %(row)d 行重复") % {"code": code, "row": plans[code].row},
            )
            return None
        if len(code) > 32:
            self.error(UNITS, row, "code", _("单位编码不能超过 32 个字符"))
        existing = self.scope.get(code)
        if existing is None and code in taken:
            # Codes are unique across the city, so this much cannot be hidden.
            self.error(UNITS, row, "code", _("单位编码 %(code)s 已被使用，请更换") % {"code": code})
        columns = self.sheets[UNITS].columns
        fields: dict[str, Any] = {
            "code": code,
            "name": self.required(UNITS, row, cells, "name", 100),
            "kind": self.choice(UNITS, row, cells, "kind", Unit.Kind),
        }
        if not cells.get("kind"):
            self.error(UNITS, row, "kind", _("单位类型不能为空"))
        for key, limit in (("short_name", 50), ("aliases", 300)):
            if key in columns or existing is None:
                fields[key] = self.text(UNITS, row, cells, key, limit)
        for key, choices in (("stage", Unit.Stage), ("locale", Unit.Locale)):
            if key in columns or existing is None:
                fields[key] = self.choice(UNITS, row, cells, key, choices)
        if cells.get("category"):
            fields["category"] = self.choice(UNITS, row, cells, "category", Unit.Category)
        elif "category" in columns or existing is None or existing.kind != fields["kind"]:
            fields["category"] = derive_category(fields["kind"] or "")
        if "sort_order" in columns or existing is None:
            fields["sort_order"] = self.integer(row, cells.get("sort_order", ""))
        parent = compact(cells.get("parent", "")) or None
        plan = UnitPlan(row, code, fields, parent, existing)
        if existing is not None:
            plan.changes = {
                k: v for k, v in fields.items() if v is not None and getattr(existing, k) != v
            }
        return plan

    def integer(self, row: int, raw: str) -> int:
        if not raw:
            return 0
        if re.fullmatch(r"-?\d{1,10}(\.0+)?", raw) and -(2**31) <= int(float(raw)) < 2**31:
            return int(float(raw))
        self.error(UNITS, row, "sort_order", _("排序须为整数"))
        return 0

    def current_parent(self, code: str) -> str | None:
        parent_id = self.scope[code].parent_id
        parent = self.by_id.get(parent_id) if parent_id is not None else None
        return parent.code if parent is not None else None

    def check_parents(self, plans: dict[str, UnitPlan]) -> None:
        final: dict[str, str | None] = {}
        for plan in plans.values():
            code, parent = plan.code, plan.parent_code
            if parent is None:
                if plan.existing is None:
                    self.error(UNITS, plan.row, "parent", _("新增单位须填写上级单位编码"))
            elif parent == code:
                self.error(UNITS, plan.row, "parent", _("上级单位不能是本单位"))
                plan.parent_code = parent = None
            elif parent not in plans and parent not in self.scope:
                self.error(UNITS, plan.row, "parent", self.not_found(parent))
                plan.parent_code = parent = None
            if parent is None and plan.existing is not None:
                parent = self.current_parent(code)
            final[code] = parent
        depth: dict[str, int] = {}
        for start in plans:
            chain: list[str] = []
            node: str | None = start
            while node is not None and node not in depth and node not in chain:
                chain.append(node)
                node = final[node] if node in final else self.current_parent(node)
            if node is not None and node in chain:
                self.report_cycle(plans, [*chain[chain.index(node) :], node])
                depth.update(dict.fromkeys(chain, 0))
                continue
            if node is None:  # the chain reached a root of the scope, which never moves
                node = chain.pop()
                unit = self.scope.get(node)
                depth[node] = unit.depth if unit is not None else 0
            level = depth[node]
            for c in reversed(chain):
                level += 1
                depth[c] = level
        for plan in plans.values():
            plan.depth = depth[plan.code]
            if plan.depth > MAX_DEPTH:
                self.error(
                    UNITS, plan.row, "parent", _("单位层级超过 %(n)d 级") % {"n": MAX_DEPTH + 1}
                )
            current = self.current_parent(plan.code) if plan.existing is not None else None
            if plan.parent_code is not None and plan.parent_code != current:
                plan.changes["parent"] = plan.parent_code

    def report_cycle(self, plans: dict[str, UnitPlan], cycle: list[str]) -> None:
        text = " → ".join(cycle)
        for code in dict.fromkeys(cycle):
            if code in plans:
                self.error(
                    UNITS,
                    plans[code].row,
                    "parent",
                    _("上级单位关系形成循环：%(chain)s") % {"chain": text},
                )

    # -- people --

    def plan_people(self, units: list[UnitPlan]) -> list[PersonPlan]:
        sheet = self.sheets.get(PEOPLE)
        if sheet is None:
            return []
        names: dict[str, set[str]] = defaultdict(set)
        planned = {p.code: p for p in units}
        for code, unit in self.scope.items():
            if code not in planned:
                names[unit.name].add(code)
        for p in units:
            names[p.fields["name"]].add(p.code)
        progress, total = current(), len(sheet.records)
        people = []
        for i, (row, cells) in enumerate(sheet.records, 1):
            progress.step(i, total, _("校验第 %(n)d 位人员") % {"n": i})
            plan = self.person_row(row, cells, planned, names)
            if plan is not None:
                people.append(plan)
        self.match_people(people)
        return people

    def person_row(
        self,
        row: int,
        cells: dict[str, str],
        planned: dict[str, UnitPlan],
        names: dict[str, set[str]],
    ) -> PersonPlan | None:
        name = person_name(self.required(PEOPLE, row, cells, "name", 50))
        code = compact(cells.get("unit_code", ""))
        if code:
            if code not in self.scope and code not in planned:
                self.error(PEOPLE, row, "unit_code", self.not_found(code))
                code = ""
        elif unit_name := cells.get("unit_name", ""):
            found = names.get(unit_name, set())
            if len(found) == 1:
                code = next(iter(found))
            elif found:
                self.error(
                    PEOPLE,
                    row,
                    "unit_name",
                    _("您的管辖范围内有多个名为“%(name)s”的单位，请填写所在单位编码")
                    % {"name": unit_name},
                )
            else:
                self.error(
                    PEOPLE,
                    row,
                    "unit_name",
                    _("单位“%(name)s”不存在或不在您的管辖范围内") % {"name": unit_name},
                )
        else:
            key = "unit_code" if "unit_code" in self.sheets[PEOPLE].columns else "unit_name"
            self.error(PEOPLE, row, key, _("所在单位编码和所在单位不能都为空"))
        post_type = self.choice(PEOPLE, row, cells, "post_type", Person.PostType)
        if not cells.get("post_type"):
            self.error(PEOPLE, row, "post_type", _("岗位类型不能为空"))
        columns = self.sheets[PEOPLE].columns
        fields: dict[str, Any] = {"post_type": post_type}
        if "position" in columns:
            fields["position"] = self.text(PEOPLE, row, cells, "position", 50)
        if "party" in columns:
            fields["is_party_member"] = self.boolean(
                row, cells, "party", PARTY_WORDS, NON_PARTY_WORDS, False
            )
        if "active" in columns:
            fields["is_active"] = self.boolean(
                row, cells, "active", ACTIVE_WORDS, INACTIVE_WORDS, True
            )
        phone, masked = self.phone(row, cells.get("phone", ""))
        if not name or not code:
            return None
        index = blind_index(phone) if phone and not masked else ""
        return PersonPlan(row, code, name, phone, masked, index, fields)

    def phone(self, row: int, raw: str) -> tuple[str, bool]:
        if not raw:
            return "", False
        text = fold(raw).replace("—", "-").replace("(", "").replace(")", "-")
        text = re.sub(r"^(\+?86)(?=1\d{10}$)", "", text)
        if "*" in text and MASKED_RE.fullmatch(text):
            return text, True
        if MOBILE_RE.fullmatch(text) or LANDLINE_RE.fullmatch(text):
            return text, False
        self.error(
            PEOPLE,
            row,
            "phone",
            _("手机号“%(v)s”格式不正确：应为 11 位手机号或带区号的固定电话") % {"v": raw},
        )
        return "", False

    def match_people(self, people: list[PersonPlan]) -> None:
        """People are matched by unit, name and phone; a masked phone (138****1234, as an
        export without phone rights gives) matches the person it masks and stays unchanged."""
        ids = {self.scope[p.unit_code].pk for p in people if p.unit_code in self.scope}
        code_of = {u.pk: code for code, u in self.scope.items()}
        known: dict[tuple[str, str], list[Known]] = defaultdict(list)
        rows = Person.objects.filter(unit_id__in=ids).order_by("id")
        for pk, unit_id, name, phone, index, post_type, position, party, active in rows.values_list(
            "id",
            "unit_id",
            "name",
            "phone",
            "phone_index",
            "post_type",
            "position",
            "is_party_member",
            "is_active",
        ):
            known[(code_of[unit_id], name)].append(
                Known(pk, phone, index, post_type, position, party, active)
            )

        def take(plan: PersonPlan, rule: Callable[[Known, PersonPlan], bool]) -> None:
            for candidate in known.get((plan.unit_code, plan.name), ()):
                if not candidate.taken and rule(candidate, plan):
                    candidate.taken, plan.existing = True, candidate
                    return

        # Exact matches first, so that a looser rule never takes a person another row names.
        for p in people:
            if p.index:
                take(p, _same_phone)
        for p in people:
            if p.masked:
                take(p, _same_mask)
                if p.existing is None:
                    self.error(
                        PEOPLE, p.row, "phone", _("脱敏手机号无法对应到已有人员，请填写完整手机号")
                    )
        for p in people:
            if p.existing is None and not p.masked:
                take(p, _without_phone)  # a phone added to someone who had none
                if p.existing is None and not p.phone:
                    take(p, _anyone)  # a blank phone says nothing about the phone
        self.compare_people(people)

    def compare_people(self, people: list[PersonPlan]) -> None:
        created: dict[tuple[str, str, str], int] = {}
        for p in people:
            if p.existing is None:
                key = (p.unit_code, p.name, p.index)
                if p.index and key in created:
                    self.error(
                        PEOPLE,
                        p.row,
                        "name",
                        _("与第 %(row)d 行重复（同一单位、姓名和手机号）") % {"row": created[key]},
                    )
                created.setdefault(key, p.row)
                continue
            known = p.existing
            p.changes = {k: v for k, v in p.fields.items() if v != getattr(known, k)}
            if p.index and p.index != known.index:
                p.changes["phone"] = p.phone


def _same_phone(known: Known, plan: PersonPlan) -> bool:
    return known.index == plan.index


def _same_mask(known: Known, plan: PersonPlan) -> bool:
    return bool(known.phone) and mask_phone(known.phone) == plan.phone


def _without_phone(known: Known, plan: PersonPlan) -> bool:
    return not known.phone


def _anyone(known: Known, plan: PersonPlan) -> bool:
    return True


def plan_import(actor: User, sheets: list[SheetData]) -> tuple[Plan, list[RowError]]:
    checker = Checker(actor, sheets)
    units = checker.plan_units()
    people = checker.plan_people(units)
    return Plan(units, people, dict(checker.scope)), checker.errors
