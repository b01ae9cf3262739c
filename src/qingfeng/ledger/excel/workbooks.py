"""The workbooks we write: the ledger export, the blank template and the error workbook.

The export and the template share the office layout of qingfeng.lib.xlsx (a title row, a
填报单位/填报日期 row, two header rows with merged group labels, printed A4 landscape), so
an exported ledger imports again as the same problems. All are written in openpyxl's
write-only mode: a 50,000-row export holds one chunk of problems in memory.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from qingfeng.core import registry
from qingfeng.core.audit import record_audit
from qingfeng.core.progress import current
from qingfeng.ledger.excel.columns import (
    BY_KEY,
    CHOICES,
    COLUMNS,
    IMPORTED,
    with_linked,
)
from qingfeng.ledger.excel.reading import LedgerSheet, ParsedLedger
from qingfeng.ledger.models import Category, Measure, Problem
from qingfeng.lib.xlsx import (
    BODY_FONT,
    HEADER_FILL,
    HEADER_FONT,
    OFFICE_ERRORS,
    Column,
    ColumnStyles,
    RowError,
    chinese_date,
    chinese_labels,
    new_workbook,
    office_sheet,
    save,
    styled,
    write_error_sheet,
    write_error_summary,
)
from qingfeng.orgs.models import User

LIGHT_FILLS = {
    "红": PatternFill("solid", fgColor="FF7C80"),
    "黄": PatternFill("solid", fgColor="FFD966"),
    "绿": PatternFill("solid", fgColor="A9D08E"),
}
LIGHT_WORDS = {"red": "红", "yellow": "黄", "green": "绿", "": ""}
CHUNK = 2000
SHEET_TITLE = "问题台账"
# 完成情况 is read from offices' own ledgers only: what we write has 整改进度 and 状态.
EXPORT_COLUMNS = tuple(c for c in COLUMNS if c.key != "completion")
TEMPLATE_COLUMNS = tuple(c for c in IMPORTED if c.key != "completion")
TEMPLATE_ROWS = 2000  # rows of the template that get the drop-downs
CHOICES_SHEET = "可选值"


def _layout(
    workbook: Workbook,
    columns: Sequence[Column],
    *,
    title: str,
    unit_label: str,
    day: date | None,
) -> Any:
    """A sheet with the office layout's four top rows, ready for data rows from row 5."""
    return office_sheet(
        workbook,
        columns,
        name=SHEET_TITLE,
        title=title,
        left=f"填报单位：{unit_label}",
        right=f"填报日期：{chinese_date(day)}",
        freeze="C5",  # 序号 and 编号 stay in view
    )


def _light_styles(styles: ColumnStyles) -> dict[str, Any]:
    """The 预警灯 cell for each light word, filled in its colour."""
    centred = Alignment(horizontal="center", vertical="center")
    return {
        word: styles.prototype(alignment=centred, fill=fill) for word, fill in LIGHT_FILLS.items()
    }


EXPORT_FIELDS = (
    "id",
    "number",
    "source",
    "source_ref",
    "list_kind",
    "category__name",
    "dimension",
    "title",
    "description",
    "cause",
    "goal",
    "responsible_leader__name",
    "unit__name",
    "responsible_person__name",
    "rectification_type",
    "deadline",
    "deadline_workdays",
    "progress",
    "status",
    "light",
    "rules_adopted",
    "accountability",
    "remarks",
)


def _chunks(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _related(chunk: list[dict[str, Any]]) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    """The measures (in their order) and cooperating units' names of a chunk of problems."""
    ids = [p["id"] for p in chunk]
    measures: dict[int, list[str]] = defaultdict(list)
    for pk, text in (
        Measure.objects.filter(problem_id__in=ids)
        .order_by("problem_id", "sort_order", "id")
        .values_list("problem_id", "text")
    ):
        measures[pk].append(text)
    cooperating: dict[int, list[str]] = defaultdict(list)
    through = Problem.cooperating_units.through
    for pk, name in (
        through.objects.filter(problem_id__in=ids)
        .order_by("problem_id", "unit__path")
        .values_list("problem_id", "unit__name")
    ):
        cooperating[pk].append(name)
    return measures, cooperating


def _measures_text(measures: Iterable[str]) -> str:
    return "\n".join(f"{i}. {text}" for i, text in enumerate(measures, start=1))


def _deadline_value(deadline: date | None, workdays: int | None) -> date | str | None:
    if deadline is not None:
        return deadline
    if workdays is not None:
        return f"{workdays}个工作日"
    return None


def export_ledger_workbook(
    problems: QuerySet[Problem],
    *,
    title: str,
    unit_label: str,
    actor: User | None = None,
    day: date | None = None,
) -> bytes:
    """The problems (already scoped and filtered by the caller) in the office layout.

    Rows keep the queryset's order (urgency order when it has none). Deadlines are date
    cells; a draft's "N个工作日" is written as such. With `actor`, the export is audited.
    """
    sources, kinds = chinese_labels(Problem.Source), chinese_labels(Problem.ListKind)
    dimensions, types = chinese_labels(Problem.Dimension), chinese_labels(Problem.RectificationType)
    statuses = chinese_labels(Problem.Status)
    columns = EXPORT_COLUMNS
    light_at = [c.key for c in columns].index("light")
    if not problems.ordered:
        problems = problems.order_by("urgency", "due_key", "id")
    workbook = new_workbook()
    ws = _layout(
        workbook, columns, title=title, unit_label=unit_label, day=day or timezone.localdate()
    )
    styles = ColumnStyles(ws, columns)
    lights = _light_styles(styles)
    count = 0
    # Plain values, not model instances: no phone decrypted for a name, no model built per
    # measure; measures and cooperating units come per chunk, two queries each.
    progress = current()
    for chunk in _chunks(problems.values(*EXPORT_FIELDS).iterator(chunk_size=CHUNK), CHUNK):
        progress.step(count, None, _("已写出 %(n)d 行") % {"n": count})
        measures, cooperating = _related(chunk)
        # 建章立制: the rules register's entries that answer the problem, after its own text.
        linked = registry.problem_links("rules", [p["id"] for p in chunk], None)
        for p in chunk:
            count += 1
            values: dict[str, Any] = {
                "seq": count,
                "number": p["number"],
                "source": sources.get(p["source"], p["source"]),
                "source_ref": p["source_ref"],
                "list_kind": kinds.get(p["list_kind"], p["list_kind"]),
                "category": p["category__name"],
                "dimension": dimensions.get(p["dimension"], ""),
                "title": p["title"],
                "description": p["description"],
                "cause": p["cause"],
                "goal": p["goal"],
                "measures": _measures_text(measures.get(p["id"], ())),
                "leader": p["responsible_leader__name"] or "",
                "unit": p["unit__name"],
                "cooperating": "、".join(cooperating.get(p["id"], ())),
                "person": p["responsible_person__name"] or "",
                "rtype": types.get(p["rectification_type"], ""),
                "deadline": _deadline_value(p["deadline"], p["deadline_workdays"]),
                "progress": p["progress"] / 100,
                "status": statuses.get(p["status"], p["status"]),
                "light": LIGHT_WORDS.get(p["light"], ""),
                "rules": with_linked(
                    p["rules_adopted"], [link.text for link in linked.get(p["id"], ())]
                ),
                "accountability": p["accountability"],
                "remarks": p["remarks"],
            }
            light = lights.get(values["light"])
            ws.append(styles.row([values[c.key] for c in columns], {light_at: light}))
    if actor is not None:
        record_audit(
            actor=actor,
            action="ledger.problem.export",
            object_repr=title[:200],
            after={"rows": count, "unit": unit_label},
        )
    return save(workbook)


# -- the blank template --


def choice_lists() -> dict[str, list[str]]:
    """The words each choice column takes, as the template's drop-downs offer them."""
    lists = {key: list(chinese_labels(choices).values()) for key, choices in CHOICES.items()}
    lists["category"] = list(Category.objects.filter(is_active=True).values_list("name", flat=True))
    return lists


def ledger_instructions() -> list[tuple[str, str, str]]:
    """(column, required, what to write): the template's "填写说明" sheet and the page's."""
    lists = choice_lists()
    required, optional = _("必填"), _("选填")
    return [
        ("序号", optional, _("仅供查看，导入时不使用")),
        ("问题来源", required, "、".join(lists["source"]) + _("；没有这一列时按“自查”导入")),
        ("来源编号", optional, _("巡察、督导、工单等的编号，按文本保存（如 0012 不会变成 12）")),
        (
            "清单类别",
            required,
            "、".join(lists["list_kind"])
            + _("；也可简写为 领导班子、科室风险、个人；整张表是同一清单时可在标题中写明"),
        ),
        ("问题类别", required, "、".join(lists["category"])),
        ("五查五看", optional, "、".join(lists["dimension"])),
        ("问题概述", _("二选一"), _("一句话概括问题，最多 200 字；留空时取问题描述的第一句")),
        ("问题描述", _("二选一"), _("问题的具体表现；留空时与问题概述相同")),
        ("原因分析", optional, ""),
        ("整改目标", optional, ""),
        (
            "整改措施",
            optional,
            _("多条措施可分行填写，或按 1. 2. 3.、①②③、一是二是 编号，导入后每条措施单独跟踪"),
        ),
        ("责任领导", optional, _("姓名；须是责任单位或其上级单位的人员")),
        (
            "责任单位",
            required,
            _("单位全称、简称或别名，须在您的管辖范围内；留空时用表头“填报单位”"),
        ),
        ("配合单位", optional, _("多个单位用顿号或逗号分隔")),
        (
            "责任人",
            optional,
            _("姓名；重名时写成“姓名（单位名称）”"),
        ),
        ("整改类型", _("选填"), "、".join(lists["rtype"]) + _("；留空时按整改时限判断")),
        (
            "整改时限",
            _("限期整改必填"),
            _(
                "日期（如 2025年3月31日、2025-03-31、2025.3.31、2025年6月底）或“N个工作日”"
                "（从交办之日起按工作日计算）；立行立改、长期坚持可不填"
            ),
        ),
        ("整改进度", optional, _("0～100 的百分比，如 60% 或 60；留空为 0")),
        ("建章立制", optional, _("填写建立的制度名称，或填 是/否")),
        ("追责问责", optional, _("填写追责问责情况，或填 是/否")),
        ("备注", optional, ""),
        (
            _("全部或全不"),
            "",
            _("任何一行有错时不写入任何数据，并给出逐行错误说明；改正后重新上传整个文件即可"),
        ),
        (
            _("图片"),
            "",
            _("单元格中的图片（WPS 嵌入单元格图片）无法导入，佐证材料请在系统中单独上传"),
        ),
    ]


def _example(columns: Sequence[Column], lists: dict[str, list[str]]) -> list[Any]:
    example: dict[str, Any] = {
        "seq": 1,
        "source": "自查",
        "source_ref": "",
        "list_kind": "领导班子问题清单",
        "category": lists["category"][0] if lists["category"] else "",
        "dimension": "工作落实",
        "title": "（示例，导入前请删除本行）会议文件过多，基层负担重",
        "description": "本学期召开全体教师会议 12 次，部分会议内容重复。",
        "cause": "统筹不够，会议审批把关不严",
        "goal": "会议数量压减三分之一",
        "measures": "1. 建立会议计划审批制度\n2. 合并同类会议\n3. 每月通报会议数量",
        "leader": "",
        "unit": "",
        "cooperating": "",
        "person": "",
        "rtype": "限期整改",
        "deadline": "20个工作日",
        "progress": 0,
        "rules": "会议计划审批制度",
        "accountability": "否",
        "remarks": "",
    }
    return [example.get(c.key, "") for c in columns]


def build_ledger_template(*, unit_label: str = "") -> bytes:
    """A blank ledger in the import layout: one example row, drop-downs for the choice
    columns (from a hidden "可选值" sheet, so long category lists work too) and a
    "填写说明" sheet listing what each column takes."""
    columns = TEMPLATE_COLUMNS
    lists = choice_lists()
    workbook = new_workbook()
    ws = _layout(
        workbook,
        columns,
        title="××单位作风问题整改台账",
        unit_label=unit_label,
        day=None,
    )
    styles = ColumnStyles(ws, columns)
    ws.append(styles.row(_example(columns, lists)))
    # Drop-downs: a list from the hidden sheet; free text still allowed in 建章立制 / 追责问责.
    keys = [c.key for c in columns]
    for n, key in enumerate(("source", "list_kind", "category", "dimension", "rtype")):
        if key not in keys or not lists[key]:
            continue
        letter = get_column_letter(keys.index(key) + 1)
        source = get_column_letter(n + 1)
        check = DataValidation(
            type="list",
            formula1=f"'{CHOICES_SHEET}'!${source}$2:${source}${len(lists[key]) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=BY_KEY[key].label,
            error=_("请从下拉列表中选择"),
        )
        check.add(f"{letter}5:{letter}{TEMPLATE_ROWS + 4}")
        ws.data_validations.append(check)
    for key in ("rules", "accountability"):
        letter = get_column_letter(keys.index(key) + 1)
        check = DataValidation(type="list", formula1='"是,否"', showErrorMessage=False)
        check.add(f"{letter}5:{letter}{TEMPLATE_ROWS + 4}")
        ws.data_validations.append(check)

    notes = workbook.create_sheet("填写说明")
    for letter, width in zip("ABC", (14, 14, 90), strict=True):
        notes.column_dimensions[letter].width = width
    notes.append(
        [
            styled(notes, v, font=HEADER_FONT, fill=HEADER_FILL)
            for v in ("列名", "是否必填", "填写要求")
        ]
    )
    for row in ledger_instructions():
        notes.append([styled(notes, v, font=BODY_FONT, horizontal="left") for v in row])

    options = workbook.create_sheet(CHOICES_SHEET)
    options.sheet_state = "hidden"
    order = ("source", "list_kind", "category", "dimension", "rtype")
    options.append([BY_KEY[k].label for k in order])
    depth = max(len(lists[k]) for k in order)
    for i in range(depth):
        options.append([lists[k][i] if i < len(lists[k]) else None for k in order])
    return save(workbook)


# -- the error workbook --


def build_error_workbook(
    parsed: ParsedLedger, errors: Sequence[RowError], warnings: Sequence[RowError] = ()
) -> bytes:
    """The uploaded sheets again, row for row at the same row numbers, with a "错误说明"
    column and the wrong cells highlighted; then a "错误汇总" sheet listing every error
    and warning (including those about the file as a whole)."""
    workbook = new_workbook()
    for sheet in parsed.sheets:
        _error_sheet(workbook, sheet, errors, warnings)
    write_error_summary(workbook, errors, warnings)
    return save(workbook)


def _error_sheet(
    workbook: Workbook,
    sheet: LedgerSheet,
    errors: Sequence[RowError],
    warnings: Sequence[RowError],
) -> None:
    # A cell is named by its label in the file; a column's own label wins over a group's.
    by_label = {label: pos for pos, label in sheet.labels.items()}
    by_label.update({sheet.label(k): pos for k, pos in sheet.columns.items()})
    widths = {pos: BY_KEY[k].width for k, pos in sheet.columns.items()}
    write_error_sheet(
        workbook,
        name=sheet.title[:31] or SHEET_TITLE,
        rows=sheet.rows,
        width=sheet.width,
        errors=[e for e in errors if e.sheet == sheet.title],
        warnings=[w for w in warnings if w.sheet == sheet.title],
        locate=lambda e: by_label.get(e.column),
        label_row=sheet.rows[sheet.header_top][0] if sheet.header_top >= 0 else 0,
        look=OFFICE_ERRORS,
        widths={pos: widths.get(pos, 12) for pos in range(sheet.width)},
        freeze=f"A{sheet.header_number + 1}" if sheet.header_at >= 0 else None,
    )
