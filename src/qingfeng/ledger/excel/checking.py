"""Checking every ledger row against the importer's scope, before anything is written.

Units are looked up by full name, short name or alias among the units where the importer
may register problems (the "register" policy: REGISTRARS roles); people by name among the
people of that scope, in the responsible unit first, then its superiors, then the units
below it. Everything is preloaded in a handful of queries, so 10,000 rows check in memory.
Messages for a name that is not found never say whether it exists outside the scope.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.utils.translation import gettext as _

from qingfeng.core.progress import current
from qingfeng.core.scope import scope_q
from qingfeng.ledger.excel import columns as C
from qingfeng.ledger.excel.reading import LedgerSheet, ParsedLedger
from qingfeng.ledger.models import Category, Measure, Problem
from qingfeng.ledger.permissions import REGISTRARS, _roles
from qingfeng.lib.keywords import match_keywords
from qingfeng.lib.xlsx import RowError, cell_text, fold, person_name
from qingfeng.orgs.models import Person, Unit, User

MAX_MEASURES = 50
NAME_WITH_UNIT = re.compile(r"^(.+?)[(（](.+)[)）]$")
OPEN_ENDED = {Problem.RectificationType.LONG_TERM, Problem.RectificationType.IMMEDIATE}
# The category of a row that names none (the usual office layout has no 问题类别 column).
DEFAULT_CATEGORY = "其他"


@dataclass
class RowPlan:
    """One valid row, as the fields of a new Problem (foreign keys as ids)."""

    sheet: str
    row: int
    fields: dict[str, Any]
    measures: list[str]
    cooperating: list[int]
    user_id: int | None = None  # the responsible person's account, for the assignment notice
    measure_status: str = Measure.Status.TODO  # what 完成情况 says of the measures
    number: str = ""  # 编号: a problem's number in the ledger, when the row names one
    given: frozenset[str] = frozenset()  # the columns this row fills (a blank never clears)


@dataclass(frozen=True)
class _Unit:
    id: int
    name: str
    path: str


@dataclass(frozen=True)
class _Person:
    id: int
    name: str
    unit_id: int
    path: str
    user_id: int | None


@dataclass
class Checker:
    actor: User
    parsed: ParsedLedger
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)

    def __post_init__(self) -> None:
        roles = _roles(REGISTRARS)
        units = (
            Unit.objects.filter(scope_q(self.actor, "path", roles=roles), is_active=True)
            .order_by("path")
            .values_list("id", "name", "short_name", "aliases", "path")
        )
        self.units: dict[int, _Unit] = {}
        self.by_path: dict[str, _Unit] = {}
        self.unit_names: tuple[dict[str, list[_Unit]], ...] = (
            defaultdict(list),
            defaultdict(list),
            defaultdict(list),
        )
        for pk, name, short, aliases, path in units:
            unit = _Unit(pk, name, path)
            self.units[pk] = self.by_path[path] = unit
            self.unit_names[0][fold(name)].append(unit)
            if short:
                self.unit_names[1][fold(short)].append(unit)
            for alias in re.split(r"[,，、]", aliases):
                if alias.strip():
                    self.unit_names[2][fold(alias)].append(unit)
        self.categories = {
            fold(name): (pk, active)
            for pk, name, active in Category.objects.values_list("id", "name", "is_active")
        }
        self.people = self._load_people(roles)

    # -- lookups --

    def _load_people(self, roles: list[str]) -> dict[str, list[_Person]]:
        names: set[str] = set()
        for sheet in self.parsed.sheets:
            for _row, cells in sheet.records:
                for key in ("leader", "person"):
                    if key in cells:
                        names.add(self.split_person(cell_text(cells[key]))[0])
        people: dict[str, list[_Person]] = defaultdict(list)
        names.discard("")
        if not names:
            return people
        rows = (
            Person.objects.filter(
                scope_q(self.actor, "unit__path", roles=roles),
                name__in=sorted(names),
                is_active=True,
            )
            .order_by("unit__path", "id")
            .values_list("id", "name", "unit_id", "unit__path", "user_id")
        )
        for pk, name, unit_id, path, user_id in rows:
            people[name].append(_Person(pk, name, unit_id, path, user_id))
        return people

    @staticmethod
    def split_person(text: str) -> tuple[str, str]:
        """ "张伟（东城实小）" names 张伟 of that unit; "张伟" alone, anyone of that name."""
        match = NAME_WITH_UNIT.match(text.strip())
        if match:
            return person_name(match[1].strip()), match[2].strip()
        return person_name(text.strip()), ""

    def find_unit(self, text: str) -> tuple[_Unit | None, str]:
        """The unit a name means (full name, then short name, then alias), or an error."""
        key = fold(text)
        for table in self.unit_names:
            found = table.get(key, [])
            if len(found) == 1:
                return found[0], ""
            if found:
                names = "、".join(self.unit_label(u) for u in found[:5])
                return None, _(
                    "您的管辖范围内有多个单位叫『%(name)s』（%(units)s），请填写单位全称"
                ) % {"name": text, "units": names}
        return None, _("单位『%(name)s』不存在或不在您的管辖范围内") % {"name": text}

    def unit_label(self, unit: _Unit) -> str:
        parent = self.by_path.get(Unit.path_parent(unit.path))
        return f"{parent.name} {unit.name}" if parent is not None else unit.name

    def find_person(self, text: str, unit: _Unit, label: str) -> tuple[_Person | None, str]:
        name, hint = self.split_person(text)
        candidates = self.people.get(name, [])
        if hint:
            place, error = self.find_unit(hint)
            if place is None:
                return None, error
            candidates = [p for p in candidates if p.unit_id == place.id]
            if candidates and not (
                Unit.path_is_within(unit.path, place.path)
                or Unit.path_is_within(place.path, unit.path)
            ):
                return None, _(
                    "%(label)s『%(name)s』须是责任单位『%(unit)s』或其上下级单位的人员"
                ) % {"label": label, "name": text, "unit": unit.name}
            tiers = [candidates]
        else:
            # The responsible unit, then its superiors, then the units below it.
            others = [p for p in candidates if p.unit_id != unit.id]
            tiers = [
                [p for p in candidates if p.unit_id == unit.id],
                [p for p in others if Unit.path_is_within(unit.path, p.path)],
                [p for p in others if Unit.path_is_within(p.path, unit.path)],
            ]
        for tier in tiers:
            if len(tier) == 1:
                return tier[0], ""
            if tier:
                counts: dict[int, int] = defaultdict(int)
                for p in tier:
                    counts[p.unit_id] += 1
                units = "、".join(
                    self.units[u].name + (_("（%(n)d人）") % {"n": n} if n > 1 else "")
                    for u, n in counts.items()
                )
                return None, _(
                    "%(label)s『%(name)s』有多人同名：%(units)s，请写成“%(name)s（单位名称）”"
                ) % {"label": label, "name": name, "units": units}
        return None, _(
            "%(label)s『%(name)s』不是责任单位『%(unit)s』及其上下级单位的人员，"
            "或不在您的管辖范围内"
        ) % {"label": label, "name": text, "unit": unit.name}

    # -- rows --

    def error(self, sheet: LedgerSheet, row: int, key: str, message: str) -> None:
        self.errors.append(RowError(sheet.title, row, sheet.label(key), message))

    def check(self) -> list[RowPlan]:
        plans: list[RowPlan] = []
        progress = current()
        total = self.parsed.row_count
        done = 0
        for sheet in self.parsed.sheets:
            if not self.check_columns(sheet):
                continue
            default_unit = None
            if sheet.reporting_unit:
                # 填报单位 stands for the responsible unit of rows that leave it blank.
                default_unit, error = self.find_unit(sheet.reporting_unit)
                if default_unit is None and "unit" not in sheet.columns:
                    self.errors.append(RowError(sheet.title, 0, "", error))
                    continue
            for row, cells in sheet.records:
                done += 1
                progress.step(done, total, _("校验第 %(n)d 行") % {"n": done})
                plan = self.check_row(sheet, row, cells, default_unit)
                if plan is not None:
                    plans.append(plan)
        return plans

    def check_columns(self, sheet: LedgerSheet) -> bool:
        """Missing columns: an error for those every row needs, a warning for 问题来源."""
        missing: list[str] = []
        if "unit" not in sheet.columns and not sheet.reporting_unit:
            missing.append(_("缺少『责任单位』列（或在“填报单位：”后写明单位）"))
        if "list_kind" not in sheet.columns and sheet.list_kind is None:
            missing.append(_("缺少『清单类别』列（或在标题中写明，如“领导班子问题清单”）"))
        if "deadline" not in sheet.columns and "rtype" not in sheet.columns:
            missing.append(_("缺少『整改时限』列"))
        for message in missing:
            self.errors.append(RowError(sheet.title, sheet.header_number, "", message))
        if "source" not in sheet.columns:
            self.warnings.append(
                RowError(
                    sheet.title,
                    sheet.header_number,
                    "",
                    _("表中没有『问题来源』列，全部按『自查』导入"),
                )
            )
        return not missing

    def text(
        self, sheet: LedgerSheet, row: int, cells: dict[str, Any], key: str, limit: int = 0
    ) -> str:
        value = cell_text(cells.get(key))
        if limit and len(value) > limit:
            self.error(
                sheet,
                row,
                key,
                _("%(col)s不能超过 %(n)d 个字") % {"col": sheet.label(key), "n": limit},
            )
        return value

    def choice(self, sheet: LedgerSheet, row: int, cells: dict[str, Any], key: str) -> str:
        raw = cell_text(cells.get(key))
        if not raw:
            return ""
        value = C.choice_value(key, raw)
        if value is None:
            self.error(
                sheet,
                row,
                key,
                _("%(col)s『%(v)s』无效，可填：%(allowed)s")
                % {"col": sheet.label(key), "v": raw, "allowed": C.allowed_words(key)},
            )
            return ""
        return value

    def check_row(
        self, sheet: LedgerSheet, row: int, cells: dict[str, Any], default_unit: _Unit | None
    ) -> RowPlan | None:
        before = len(self.errors)
        fields: dict[str, Any] = {}
        # 清单类别 / 问题来源
        list_kind = self.choice(sheet, row, cells, "list_kind")
        if "list_kind" not in cells:
            list_kind = sheet.list_kind or ""
            if not list_kind:
                self.error(sheet, row, "list_kind", _("清单类别不能为空"))
        fields["list_kind"] = list_kind
        source = self.choice(sheet, row, cells, "source")
        if "source" not in cells:
            if "source" in sheet.columns:
                self.error(sheet, row, "source", _("问题来源不能为空"))
            source = Problem.Source.SELF_CHECK
        fields["source"] = source
        fields["source_ref"] = self.text(sheet, row, cells, "source_ref", 80)
        # 问题类别 / 五查五看
        category = self.text(sheet, row, cells, "category")
        if not category:
            category = self.suggest_category(cells)
            self.warnings.append(
                RowError(
                    sheet.title,
                    row,
                    sheet.label("category") if "category" in sheet.columns else "",
                    _("问题类别未填写，已按内容建议为“%(v)s”，请核对") % {"v": category},
                )
            )
        if (found := self.categories.get(fold(category))) is None:
            self.error(
                sheet,
                row,
                "category",
                _("问题类别『%(v)s』不在系统的问题类别中，可填：%(allowed)s")
                % {"v": category, "allowed": self.allowed_categories},
            )
        elif not found[1]:
            self.error(sheet, row, "category", _("问题类别『%(v)s』已停用") % {"v": category})
        else:
            fields["category_id"] = found[0]
        fields["dimension"] = self.choice(sheet, row, cells, "dimension")
        # 问题概述 / 问题描述: either may stand for both
        title = self.text(sheet, row, cells, "title")
        description = self.text(sheet, row, cells, "description")
        if not title and not description:
            key = "title" if "title" in sheet.columns else "description"
            self.error(sheet, row, key, _("问题概述和问题描述不能都为空"))
        if not description:
            description = title
        if not title:
            title = re.split(r"[。；;\n]", description, maxsplit=1)[0][:60] or description[:60]
        if len(title) > 200:
            if "description" in cells:
                self.error(sheet, row, "title", _("问题概述不能超过 200 个字"))
            title = title[:60] + "…"
        fields.update(title=title, description=description)
        for key, name in (("cause", "cause"), ("goal", "goal"), ("remarks", "remarks")):
            fields[name] = self.text(sheet, row, cells, key)
        rules = C.without_linked(self.text(sheet, row, cells, "rules"))
        fields["rules_adopted"] = C.yes_no_text(rules)
        fields["accountability"] = C.yes_no_text(self.text(sheet, row, cells, "accountability"))
        measures = C.split_measures(self.text(sheet, row, cells, "measures"))
        if len(measures) > MAX_MEASURES:
            self.error(sheet, row, "measures", _("整改措施最多 %(n)d 条") % {"n": MAX_MEASURES})
        # 责任单位 / 配合单位 / 责任领导 / 责任人
        unit = self.check_unit(sheet, row, cells, default_unit)
        if unit is not None:
            fields["unit_id"] = unit.id
        cooperating: list[int] = []
        for name in C.split_names(self.text(sheet, row, cells, "cooperating")):
            other, error = self.find_unit(name)
            if other is None:
                self.error(sheet, row, "cooperating", error)
            elif unit is None or other.id != unit.id:
                cooperating.append(other.id)
        user_id = None
        for key, field_name, label in (
            ("leader", "responsible_leader_id", _("责任领导")),
            ("person", "responsible_person_id", _("责任人")),
        ):
            fields[field_name] = None
            text = self.text(sheet, row, cells, key)
            if not text or unit is None:
                continue
            person, error = self.find_person(text, unit, label)
            if person is None:
                self.error(sheet, row, key, error)
                continue
            fields[field_name] = person.id
            if key == "person":
                user_id = person.user_id
        # 整改类型 / 整改时限 / 整改进度
        self.check_deadline(sheet, row, cells, fields)
        progress = 0
        if "progress" in cells:
            parsed = C.parse_progress(cells["progress"])
            if parsed is None:
                self.error(
                    sheet,
                    row,
                    "progress",
                    _("整改进度『%(v)s』无法识别，请填写 0～100 的百分比，如 60%%")
                    % {"v": cell_text(cells["progress"])},
                )
            else:
                progress = parsed
        fields["progress"] = progress
        measure_status = self.check_completion(sheet, row, cells, fields)
        if len(self.errors) > before:
            return None
        return RowPlan(
            sheet.title,
            row,
            fields,
            list(dict.fromkeys(measures)),
            cooperating,
            user_id,
            measure_status,
            cell_text(cells.get("number")),
            frozenset(cells),
        )

    def check_completion(
        self, sheet: LedgerSheet, row: int, cells: dict[str, Any], fields: dict[str, Any]
    ) -> str:
        """完成情况 sets the progress (unless a word defers to 整改进度) and the status of the
        measures; 阶段性完成 makes the row a long-term item at its stage."""
        if "completion" not in cells:
            return Measure.Status.TODO
        completion = C.parse_completion(cells["completion"])
        if completion is None:
            self.error(
                sheet,
                row,
                "completion",
                _("%(col)s『%(v)s』无法识别，可填：%(allowed)s")
                % {
                    "col": sheet.label("completion"),
                    "v": cell_text(cells["completion"]),
                    "allowed": "、".join((*C.ACCEPTED_COMPLETION, _("百分比（如 60%）"))),
                },
            )
            return Measure.Status.TODO
        if completion.progress is not None:
            fields["progress"] = completion.progress
        elif "progress" not in cells:
            fields["progress"] = completion.default
        if completion.long_term:
            fields.update(rectification_type=Problem.RectificationType.LONG_TERM)
        return completion.measures

    def check_unit(
        self, sheet: LedgerSheet, row: int, cells: dict[str, Any], default: _Unit | None
    ) -> _Unit | None:
        name = self.text(sheet, row, cells, "unit")
        if not name:
            if default is None:
                self.error(sheet, row, "unit", _("责任单位不能为空"))
            return default
        unit, error = self.find_unit(name)
        if unit is None:
            self.error(sheet, row, "unit", error)
        return unit

    def check_deadline(
        self, sheet: LedgerSheet, row: int, cells: dict[str, Any], fields: dict[str, Any]
    ) -> None:
        kind = self.choice(sheet, row, cells, "rtype")
        bad_kind = "rtype" in cells and not kind
        deadline = C.Deadline()
        if "deadline" in cells:
            raw = cells["deadline"]
            parsed = C.parse_deadline(raw, date1904=sheet.date1904)
            if parsed is None:
                if C.natural_days(raw):
                    message = _(
                        "整改时限『%(v)s』是自然日天数，系统按工作日计算时限，"
                        "请改为具体日期或“N个工作日”"
                    )
                else:
                    message = _(
                        "整改时限『%(v)s』无法识别，请填写日期（如 2025年3月31日、2025-03-31）"
                        "或“N个工作日”"
                    )
                self.error(sheet, row, "deadline", message % {"v": cell_text(raw)})
                return
            deadline = parsed
        if not kind:
            kind = deadline.kind or (
                Problem.RectificationType.TIME_LIMITED if deadline.day or deadline.workdays else ""
            )
        if not kind:
            if not bad_kind:
                self.error(
                    sheet,
                    row,
                    "deadline" if "deadline" in sheet.columns else "rtype",
                    _("整改时限不能为空（限期整改须填写日期或“N个工作日”）"),
                )
            return
        if kind not in OPEN_ENDED and deadline.day is None and deadline.workdays is None:
            self.error(
                sheet,
                row,
                "deadline" if "deadline" in sheet.columns else "rtype",
                _("限期整改须填写整改时限（日期或“N个工作日”）"),
            )
        fields.update(
            rectification_type=kind, deadline=deadline.day, deadline_workdays=deadline.workdays
        )

    def suggest_category(self, cells: dict[str, Any]) -> str:
        """The active category the row's text speaks of (the intake's keyword matcher over
        each category's name and keywords), else 其他."""
        text = "\n".join(cell_text(cells.get(k)) for k in ("title", "description"))
        matches = match_keywords(text, self.category_keywords)
        return matches[0].item if matches else DEFAULT_CATEGORY

    @cached_property
    def category_keywords(self) -> list[tuple[str, tuple[str, ...]]]:
        names = Category.objects.filter(is_active=True).values_list("name", flat=True)
        return [(n, (n, *C.CATEGORY_KEYWORDS.get(n, ()))) for n in names if n != DEFAULT_CATEGORY]

    @cached_property
    def allowed_categories(self) -> str:
        names = Category.objects.filter(is_active=True).values_list("name", flat=True)
        return "、".join(names)


def check_ledger(
    actor: User, parsed: ParsedLedger
) -> tuple[list[RowPlan], list[RowError], list[RowError]]:
    """Every row of the parsed workbook checked: (valid rows, errors, warnings).

    The rows are only written when the error list is empty (all or nothing)."""
    checker = Checker(actor, parsed)
    plans = checker.check()
    return plans, parsed.errors + checker.errors, parsed.warnings + checker.warnings
