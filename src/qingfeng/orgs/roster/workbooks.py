"""The workbooks we write: the annotated error workbook, the export and the blank template.

An export has exactly the import layout, so exporting and importing again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from qingfeng.core.audit import record_audit
from qingfeng.lib.masking import mask_phone
from qingfeng.lib.xlsx import (
    RowError,
    Style,
    cell_value,
    chinese_labels,
    new_workbook,
    save,
    write_error_sheet,
)
from qingfeng.orgs import selectors
from qingfeng.orgs.models import Person, Unit, User
from qingfeng.orgs.permissions import can
from qingfeng.orgs.roster.columns import COLUMNS, PEOPLE, SHEET_TITLES, UNITS
from qingfeng.orgs.roster.reading import SheetData

HEADER_FONT = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)


def _locator(sheet: SheetData) -> Callable[[RowError], int | None]:
    """The cell an error is about; none in the header row, whose errors are about columns."""
    positions = {sheet.label(k): pos for k, pos in sheet.columns.items()}
    header = sheet.header_number
    return lambda e: None if e.row == header else positions.get(e.column)


def build_error_workbook(sheets: list[SheetData], errors: list[RowError]) -> bytes:
    """The uploaded rows again, with a "错误说明" column and the wrong cells highlighted."""
    workbook = new_workbook()
    for sheet in sheets:
        write_error_sheet(
            workbook,
            name=sheet.title,
            rows=sheet.rows,
            width=sheet.error_position,
            errors=[e for e in errors if e.sheet == sheet.title],
            locate=_locator(sheet),
            label_row=sheet.header_number,
        )
    return save(workbook)


def _write_sheet(
    workbook: Workbook, kind: str, title: str, subtitle: str, rows: Iterable[list[Any]]
) -> None:
    ws = workbook.create_sheet(SHEET_TITLES[kind])
    columns = COLUMNS[kind]
    for i, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = column.width
    ws.append([Style(font=TITLE_FONT).cell(ws, title)])
    ws.append([subtitle])
    ws.append([Style(font=HEADER_FONT).cell(ws, c.label) for c in columns])
    for values in rows:
        ws.append([cell_value(ws, v) for v in values])


def export_roster(user: User, *, root: Unit | None = None, clear_reason: str = "") -> bytes:
    """The units and people the user may export (or one subtree of them), in the import layout.

    Phones are masked (a masked phone in an import means "unchanged"). Only an export with a
    reason (`check_export_roster_clear`) writes them in full, and only for the units where
    `can(user, "export_clear_phones", unit)`. A parent outside the export is left blank, which
    an import reads as "keep the current parent".
    """
    units = selectors.units_visible_to(user).select_related("parent").order_by("path")
    if root is not None:
        units = units.filter(root.subtree_q(""))
    allowed = [u for u in units if can(user, "export_roster", u)]
    ids = {u.pk for u in allowed}
    # What the policy allows is a union of subtrees; their tops bound the people query.
    subtrees = Q(pk__in=[])
    for top in (u for u in allowed if u.parent_id not in ids):
        subtrees |= top.subtree_q()
    people = selectors.people_visible_to(user).filter(subtrees)
    kinds, categories = chinese_labels(Unit.Kind), chinese_labels(Unit.Category)
    stages, locales = chinese_labels(Unit.Stage), chinese_labels(Unit.Locale)
    post_types = chinese_labels(Person.PostType)
    codes: set[str] = set()
    unit_rows: list[list[Any]] = []
    phones_shown: dict[int, bool] = {}
    for u in allowed:
        codes.add(u.code)
        phones_shown[u.pk] = bool(clear_reason) and can(user, "export_clear_phones", u)
        parent = u.parent.code if u.parent is not None and u.parent.code in codes else ""
        unit_rows.append(
            [
                u.code,
                u.name,
                u.short_name,
                u.aliases,
                kinds.get(u.kind, u.kind),
                categories.get(u.category, u.category),
                stages.get(u.stage, ""),
                locales.get(u.locale, ""),
                parent,
                u.sort_order,
            ]
        )
    person_rows = [
        [
            name,
            code,
            unit_name,
            post_types.get(post_type, post_type),
            position,
            "是" if party else "否",
            phone if phones_shown.get(unit_id) else mask_phone(phone),
            "是" if active else "否",
        ]
        for name, unit_id, code, unit_name, post_type, position, party, phone, active in people.order_by(
            "unit__path", "id"
        ).values_list(
            "name",
            "unit_id",
            "unit__code",
            "unit__name",
            "post_type",
            "position",
            "is_party_member",
            "phone",
            "is_active",
        )
    ]
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    subtitle = _("导出范围：%(scope)s　导出时间：%(time)s　导出人：%(user)s") % {
        "scope": root.name if root else _("全部管辖单位"),
        "time": stamp,
        "user": user,
    }
    workbook = new_workbook()
    _write_sheet(workbook, UNITS, "单位名册", subtitle, unit_rows)
    _write_sheet(workbook, PEOPLE, "人员名册", subtitle, person_rows)
    masked = sum(1 for shown in phones_shown.values() if not shown)
    facts: dict[str, Any] = {
        "units": len(unit_rows),
        "people": len(person_rows),
        "masked_units": masked,
    }
    record_audit(
        actor=user,
        action="orgs.roster.export_clear" if clear_reason else "orgs.roster.export",
        obj=root,
        object_repr=root.name if root else _("全部管辖单位"),
        after={**facts, "reason": clear_reason} if clear_reason else facts,
    )
    return save(workbook)


CLEAR_REASON_MIN = 5


def check_export_roster_clear(user: User, *, root: Unit | None, reason: str) -> bytes:
    """The roster with clear mobile numbers: a separate action for the roles that need them
    (`export_clear_phones`), with the reason written to the audit trail beside the export."""
    if not can(user, "export_clear_phones") or (
        root is not None and not can(user, "export_clear_phones", root)
    ):
        raise PermissionDenied(_("无权导出明文手机号"))
    reason = " ".join(reason.split())
    if len(reason) < CLEAR_REASON_MIN:
        raise ValidationError(
            _("请填写导出明文手机号的事由（至少 %(n)d 个字）") % {"n": CLEAR_REASON_MIN}
        )
    return export_roster(user, root=root, clear_reason=reason[:200])


def instructions() -> list[tuple[str, str, str, str]]:
    """(sheet, column, required, what to write): the template's "填写说明" and the page's."""

    def listed(choices: type[models.TextChoices]) -> str:
        return "、".join(chinese_labels(choices).values())

    required, optional = _("必填"), _("选填")
    return [
        ("单位", "单位编码", required, _("唯一标识单位：已有的编码更新该单位，新的编码新增单位")),
        ("单位", "单位名称", required, _("单位全称，最多 100 字")),
        ("单位", "简称", optional, _("最多 50 字")),
        ("单位", "别名", optional, _("多个别名用逗号或顿号分隔")),
        ("单位", "单位类型", required, listed(Unit.Kind)),
        (
            "单位",
            "单位类别",
            optional,
            listed(Unit.Category)
            + _("；留空时按单位类型确定：学校、幼儿园为学校，教研机构为教研机构，其余为机关"),
        ),
        ("单位", "学段", optional, listed(Unit.Stage)),
        ("单位", "城乡", optional, listed(Unit.Locale)),
        (
            "单位",
            "上级单位编码",
            _("新增单位必填"),
            _("您管辖范围内已有单位的编码，或本表中其他行的编码；已有单位留空表示不调整上级"),
        ),
        ("单位", "排序", optional, _("整数，越小越靠前；留空为 0")),
        ("人员", "姓名", required, _("最多 50 字")),
        ("人员", "所在单位编码", _("二选一"), _("优先使用；可以是本次“单位”表中新增的单位")),
        ("人员", "所在单位", _("二选一"), _("单位全称，须在您的管辖范围内唯一")),
        ("人员", "岗位类型", required, listed(Person.PostType)),
        ("人员", "职务", optional, _("最多 50 字")),
        ("人员", "是否党员", optional, _("是、否（也可填中共党员、群众）；留空为否")),
        ("人员", "手机号", optional, _("11 位手机号，或带区号的固定电话，如 0571-88886666")),
        ("人员", "在岗", optional, _("是、否；留空为是")),
        (
            "",
            _("匹配规则"),
            "",
            _(
                "人员按“所在单位 + 姓名 + 手机号”对应已有人员：对应上的更新，对应不上的新增；"
                "导出文件中的脱敏手机号（如 138****1234）表示不修改手机号"
            ),
        ),
        (
            "",
            _("全部或全不"),
            "",
            _("任何一行有错时不写入任何数据，并给出逐行错误说明；改正后重新上传整个文件即可"),
        ),
    ]


def _dropdown(key: str) -> list[str]:
    choices: dict[str, type[models.TextChoices]] = {
        "kind": Unit.Kind,
        "category": Unit.Category,
        "stage": Unit.Stage,
        "locale": Unit.Locale,
        "post_type": Person.PostType,
    }
    if key in choices:
        return list(chinese_labels(choices[key]).values())
    return ["是", "否"] if key in ("party", "active") else []


def build_template() -> bytes:
    """A blank workbook in the import layout, with dropdowns and a "填写说明" sheet."""
    workbook = new_workbook(write_only=False)
    workbook.remove(workbook.active)
    for kind, title in ((UNITS, "单位名册"), (PEOPLE, "人员名册")):
        ws = workbook.create_sheet(SHEET_TITLES[kind])
        columns = COLUMNS[kind]
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
        ws["A1"].font, ws["A1"].alignment = TITLE_FONT, Alignment(horizontal="center")
        ws.append(["填报单位：", None, None, "填报日期："])
        ws.append([c.label for c in columns])
        for i, column in enumerate(columns, start=1):
            letter = get_column_letter(i)
            ws.column_dimensions[letter].width = column.width
            ws.column_dimensions[letter].number_format = "@"  # codes and phones stay text
            ws.cell(row=3, column=i).font = HEADER_FONT
            if words := _dropdown(column.key):
                check = DataValidation(type="list", formula1='"' + ",".join(words) + '"')
                check.add(f"{letter}4:{letter}5000")
                ws.add_data_validation(check)
        ws.freeze_panes = "A4"
    notes = workbook.create_sheet("填写说明")
    notes.append(["工作表", "列名", "是否必填", "填写要求"])
    for row in instructions():
        notes.append(list(row))
    for letter, width in zip("ABCD", (10, 16, 14, 90), strict=True):
        notes.column_dimensions[letter].width = width
    return save(workbook)


def export_choices(user: User, *, limit: int = 300) -> list[Unit]:
    """Units worth exporting on their own: the roots of the scope and units with sub-units."""
    roots = selectors.scope_roots(user).values("pk")
    units = (
        selectors.units_visible_to(user)
        .filter(Q(pk__in=roots) | Q(children__isnull=False))
        .distinct()
        .order_by("path")
    )
    return [u for u in units[: limit * 2] if can(user, "export_roster", u)][:limit]
