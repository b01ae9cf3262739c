"""The third-party assessor's score workbook, as offices make it (WPS, LibreOffice, Excel;
.xlsx or .xls): read, checked as a whole, and the error workbook that marks the wrong cells.

Two layouts are read, on any sheet, below any title rows:

- wide (the usual one): 单位名称 (and/or 单位代码), then one column per indicator, often under a
  merged "评估得分" header row, then 备注; every header cell that names no known column is an
  indicator;
- long: one row per unit and indicator, with the columns 评估指标, 得分 and 评估说明.

A score is a number 0–100 as a number cell or text: "85", "８５", "85分", "85.5 分"; a blank
cell (or —, /, 无) means not scored. The 合计 / 总分 / 平均分 columns and rows, and the
signature lines below the table (填表人：…), are not imported. Reading the file and finding
the header is qingfeng.lib.xlsx; here is what a score sheet is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from qingfeng.lib.xlsx import (
    OFFICE_ERRORS,
    Column,
    Columns,
    RowError,
    Sheet,
    TooManyRows,
    WorkbookError,
    cell_text,
    compact,
    find_header,
    fold,
    new_workbook,
    office_sheet,
    open_book,
    save,
    unreadable,
    workbook_format,
    write_error_sheet,
    write_error_summary,
)
from qingfeng.lib.xlsx.writing import ColumnStyles

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 5000
INDICATOR_MAX = 100
COMMENT_MAX = 1000

LAYOUT = Columns(
    [
        Column("seq", "序号", aliases=("编号", "No"), width=6, center=True),
        Column(
            "unit", "单位名称", aliases=("被评单位", "被评估单位", "学校名称", "单位"), width=28
        ),
        Column("code", "单位代码", aliases=("单位编码", "代码", "统一社会信用代码"), width=14),
        Column("indicator", "评估指标", aliases=("指标", "指标名称", "评估项目"), width=20),
        Column("score", "得分", aliases=("分数", "评分"), width=10, center=True),
        Column("comment", "评估说明", aliases=("说明", "备注", "评价说明", "扣分说明"), width=40),
        Column("total", "合计", aliases=("总分", "综合得分", "平均分", "总计"), width=10),
    ]
)
# Rows that end the table or sum it up: not units.
_FOOTER = re.compile(r"^(填表人|填报人|审核人|负责人|制表|联系人|联系电话|说明|注|备注)[:：\s]")
_SUMMARY = {"合计", "总计", "平均", "平均分"}
_NOT_SCORED = {"", "-", "—", "——", "/", "／", "无", "未评"}
_POINTS = re.compile(r"^(\d+(?:\.\d+)?)分?$")


@dataclass
class ScoreSheet(Sheet):
    indicators: dict[int, str] = field(default_factory=dict)  # position -> indicator name


@dataclass(frozen=True)
class Entry:
    """One score as read: where it is in the file, and what it says."""

    sheet: str
    row: int
    column: str  # the label of the cell the score is in
    unit_text: str
    code_text: str
    indicator: str
    score: Decimal
    comment: str


@dataclass
class ParsedScores:
    sheets: list[ScoreSheet]
    entries: list[Entry]
    errors: list[RowError]


def score_value(value: Any) -> Decimal | None:
    """A score cell: a Decimal, None when it says "not scored"; ValueError when it is no
    score at all or outside 0–100."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        number = Decimal(str(value))
    else:
        text = compact(cell_text(value))
        if text in _NOT_SCORED:
            return None
        match = _POINTS.match(text)
        if match is None:
            raise ValueError
        try:
            number = Decimal(match[1])
        except InvalidOperation:
            raise ValueError from None
    if not Decimal(0) <= number <= Decimal(100):
        raise ValueError
    return number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _second_header_row(sheet: ScoreSheet) -> None:
    """A merged group ("评估得分") over the indicators leaves their names one row down, a row
    with no unit of its own and only words: that row is part of the header."""
    below = sheet.header_at + 1
    if below >= len(sheet.rows) or sheet.rows[below][0] != sheet.header_number + 1:
        return
    values = sheet.rows[below][1]
    at = sheet.columns.get("unit", sheet.columns.get("code", 0))
    words = [v for v in values if v not in (None, "")]
    if (at < len(values) and values[at] not in (None, "")) or not words:
        return
    if any(isinstance(v, int | float) for v in words):
        return
    sheet.header_at = below
    for pos, value in enumerate(values):
        if value not in (None, ""):
            sheet.labels[pos] = cell_text(value).replace("\n", "")
            key = LAYOUT.key_of(value)
            if key is not None and key not in sheet.columns:
                sheet.columns[key] = pos


def _indicators(sheet: ScoreSheet) -> None:
    known = set(sheet.columns.values()) | {pos for pos, _key in sheet.repeated}
    for pos, label in sorted(sheet.labels.items()):
        if pos not in known and LAYOUT.key_of(label) is None and label.strip():
            sheet.indicators[pos] = label.strip()[:INDICATOR_MAX]


def _row_entries(
    sheet: ScoreSheet, number: int, values: tuple[Any, ...], errors: list[RowError]
) -> list[Entry]:
    """The scores of one data row (none for a footer, sum or blank row); every cell that is
    no score goes to `errors`."""
    cells = sheet.cells(values)
    unit_text = cell_text(cells.get("unit", ""))
    code_text = compact(cell_text(cells.get("code", "")))
    first = next((cell_text(v) for v in values if v not in (None, "")), "")
    if not unit_text and not code_text:
        return []
    if _FOOTER.match(first + " ") or compact(unit_text) in _SUMMARY:
        return []
    comment = cell_text(cells.get("comment", ""))[:COMMENT_MAX]
    out: list[Entry] = []
    if "indicator" in sheet.columns and "score" in sheet.columns:
        places = [(sheet.columns["score"], cell_text(cells.get("indicator", "")))]
    else:
        places = list(sheet.indicators.items())
    for pos, indicator in places:
        value = values[pos] if pos < len(values) else None
        label = sheet.labels.get(pos, indicator)
        try:
            score = score_value(value)
        except ValueError:
            errors.append(
                RowError(
                    sheet.title,
                    number,
                    label,
                    _("“%(v)s”不是 0 到 100 之间的分数（可写 85、85.5 或 85分）")
                    % {"v": cell_text(value)},
                )
            )
            continue
        if score is None:
            continue
        if not indicator:
            errors.append(
                RowError(sheet.title, number, sheet.label("indicator"), _("请填写评估指标"))
            )
            continue
        out.append(
            Entry(sheet.title, number, label, unit_text, code_text, indicator, score, comment)
        )
    return out


def read_scores(data: bytes, filename: str) -> ParsedScores:
    """Every score in the workbook, with the cells that are no score.

    Raises WorkbookError when the file cannot be read as a score workbook at all."""
    kind = workbook_format(data, filename, max_bytes=MAX_BYTES)
    broken = _("文件无法读取，可能已损坏；请用 Excel 或 WPS 打开后另存为 .xlsx 再上传")
    sheets: list[ScoreSheet] = []
    entries: list[Entry] = []
    errors: list[RowError] = []
    names: list[str] = []
    try:
        with unreadable(broken), open_book(data, xls=kind == "xls", max_rows=MAX_ROWS) as book:
            for sheet in book.sheets(ScoreSheet):
                names.append(sheet.title)
                if not sheet.rows or not find_header(sheet, LAYOUT, needs=("unit", "code")):
                    continue
                _second_header_row(sheet)
                _indicators(sheet)
                long = "indicator" in sheet.columns and "score" in sheet.columns
                if not long and not sheet.indicators:
                    continue
                sheets.append(sheet)
                for number, values in sheet.data_rows():
                    entries += _row_entries(sheet, number, values, errors)
    except TooManyRows as exc:
        raise WorkbookError(
            _("“%(sheet)s”工作表超过 %(n)d 行，请分批导入") % {"sheet": exc.sheet, "n": MAX_ROWS}
        ) from exc
    if not sheets:
        raise WorkbookError(
            _(
                "没有找到评分表头（现有工作表：%(names)s）：表头须有『单位名称』或『单位代码』列，"
                "以及各评估指标列（或『评估指标』『得分』两列）"
            )
            % {"names": "、".join(names) or "-"}
        )
    if not entries and not errors:
        raise WorkbookError(_("评分表中没有分数"))
    return ParsedScores(sheets, entries, errors)


def error_workbook(parsed: ParsedScores | None, errors: list[RowError]) -> bytes:
    """The uploaded sheets again at the same row numbers, the wrong cells red and a
    "错误说明" column; then a "错误汇总" sheet with every error."""
    workbook = new_workbook()
    for sheet in parsed.sheets if parsed is not None else []:
        by_label = {label: pos for pos, label in sheet.labels.items()}
        write_error_sheet(
            workbook,
            name=sheet.title[:31],
            rows=sheet.rows,
            width=sheet.width,
            errors=[e for e in errors if e.sheet == sheet.title],
            locate=lambda e, by_label=by_label: by_label.get(e.column),  # type: ignore[misc]
            label_row=sheet.rows[sheet.header_top][0] if sheet.header_top >= 0 else 0,
            look=OFFICE_ERRORS,
            freeze=f"A{sheet.header_number + 1}" if sheet.header_at >= 0 else None,
        )
    write_error_summary(workbook, errors)
    return save(workbook)


def template_workbook(
    *, title: str, units: list[tuple[str, str]], indicators: list[tuple[str, str]]
) -> bytes:
    """The blank form for the assessor in the office layout: the units to score (name,
    code) and one column per indicator (label, group) under its merged group header
    ("评估得分" when the indicator has no group)."""
    columns = [
        LAYOUT.by_key["seq"],
        LAYOUT.by_key["unit"],
        LAYOUT.by_key["code"],
        *[
            Column(f"i{i}", label, width=12, group=group or "评估得分", center=True)
            for i, (label, group) in enumerate(indicators)
        ],
        LAYOUT.by_key["comment"],
    ]
    workbook = new_workbook()
    ws = office_sheet(
        workbook,
        columns,
        name="第三方评估得分",
        title=title,
        left=_("评估机构（盖章）："),
        right=_("填报日期：    年  月  日"),
    )
    styles = ColumnStyles(ws, columns)
    for i, (name, code) in enumerate(units, start=1):
        ws.append(styles.row([i, name, code, *[""] * len(indicators), ""]))
    return save(workbook)


def unit_key(text: str) -> str:
    """A unit's name as compared: full-width folded, no spaces, any case."""
    return fold(text)
