"""Reading a ledger workbook (.xlsx or legacy .xls) in the usual office layout.

A sheet has a title row ("××县教育局作风问题整改台账"), a "填报单位：×× 填报日期：…" row,
then one or two header rows: a merged label ("责任主体") over the labels of its columns
(责任领导 / 责任单位 / 责任人), the other labels merged down both rows. qingfeng.lib.xlsx
reads the file and finds the header; this module reads what a ledger has besides (the title,
the reporting unit), skips what is not a problem (a numbering row, the footer, the
template's example row), and reports pictures and columns it does not import, so that
nothing is dropped silently. Every sheet with a ledger header is read, so a workbook with
one sheet per list works too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _

from qingfeng.ledger.excel.columns import BY_KEY, LAYOUT, list_kind_in
from qingfeng.lib.xlsx import (
    RowError,
    Sheet,
    TooManyRows,
    WorkbookError,
    cell_date,
    cell_text,
    find_header,
    fold,
    open_book,
    unreadable,
    workbook_format,
)

MAX_ROWS = 50_000  # data rows in a workbook
MAX_BYTES = 20 * 1024 * 1024
MIN_HITS = 3  # known labels a row needs to be taken for a header
FOOTER = re.compile(
    r"^(?:填表人|填报人|制表人|审核人|审核|负责人|单位负责人|主要负责人|联系人|联系电话|分管领导签字)[:：]"
)
EXAMPLE = re.compile(r"^[(（]示例")
REPORTING_UNIT = re.compile(r"(?:填报|报送|填表)单位(?:[(（][^)）]*[)）])?[:：]\s*(\S*)")
REPORT_DATE = re.compile(r"(?:填报|报送|填表)?(?:日期|时间)[:：]\s*(\S+)")


@dataclass
class LedgerSheet(Sheet):
    heading: str = ""  # the title row
    reporting_unit: str = ""  # 填报单位
    report_date: date | None = None  # 填报日期
    records: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # example rows, by Excel row number

    @property
    def list_kind(self) -> str | None:
        """The list the sheet's title row or name speaks of, for a sheet without that column."""
        return list_kind_in(self.heading) or list_kind_in(self.title)


@dataclass
class ParsedLedger:
    """What `read_ledger_workbook` found: the ledger sheets, and what is wrong with the file
    as a whole (errors block the import; warnings are shown and recorded)."""

    filename: str
    format: str  # "xlsx" or "xls"
    sheets: list[LedgerSheet]
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)

    @property
    def row_count(self) -> int:
        return sum(len(s.records) for s in self.sheets)


# -- headers --


def too_many_rows(title: str) -> str:
    return _("『%(sheet)s』工作表超过 %(n)d 行的上限，请分批导入") % {"sheet": title, "n": MAX_ROWS}


def _find_header(sheet: LedgerSheet, errors: list[RowError]) -> bool:
    """Locate the header rows by their labels; False when the sheet has no ledger header
    (a sheet of instructions or of people names no 问题概述 or 问题描述 near its header)."""
    if not find_header(sheet, LAYOUT, min_hits=MIN_HITS, needs=("title", "description")):
        return False
    for pos, key in sheet.repeated:
        errors.append(
            RowError(
                sheet.title,
                sheet.header_number,
                sheet.labels[pos],
                _("表头中『%(l)s』列重复出现（与『%(o)s』是同一列）")
                % {"l": sheet.labels[pos], "o": sheet.labels[sheet.columns[key]]},
            )
        )
    _read_preamble(sheet)
    return True


def _read_preamble(sheet: LedgerSheet) -> None:
    """The title row and the 填报单位 / 填报日期 row above the header."""
    for _number, values in sheet.rows[: sheet.header_top]:
        texts = [cell_text(v) if not isinstance(v, datetime | date) else v for v in values]
        words = [t for t in texts if isinstance(t, str) and t]
        line = "  ".join(words)
        if not sheet.heading and len(words) == 1 and not REPORTING_UNIT.search(line):
            sheet.heading = words[0]
        if match := REPORTING_UNIT.search(line):
            unit = match[1]
            if not re.match(r"(?:填报|报送|填表)?(?:日期|时间)", unit):
                sheet.reporting_unit = re.split(r"(?:填报|报送|填表)?(?:日期|时间)", unit)[0]
        for value in texts:
            if isinstance(value, datetime | date) and sheet.report_date is None:
                sheet.report_date = value.date() if isinstance(value, datetime) else value
        if sheet.report_date is None and (match := REPORT_DATE.search(line)):
            sheet.report_date = cell_date(match[1])


def _is_numbering(values: tuple[Any, ...]) -> bool:
    """A row of column numbers (1, 2, 3 …) under the header, as some offices print."""
    numbers = [v for v in values if v not in (None, "")]
    return len(numbers) >= 5 and all(cell_text(v) == str(i) for i, v in enumerate(numbers, start=1))


def _collect_records(sheet: LedgerSheet) -> None:
    data = sheet.data_rows()
    if data and _is_numbering(data[0][1]):
        data = data[1:]
    ignored = {"seq", "number", "status", "light"}
    for number, values in data:
        cells = sheet.cells(values)
        if not set(cells) - ignored:
            continue  # blank, or a pre-numbered empty row of a template
        words = [cell_text(v) for v in values if v not in (None, "")]
        if len(words) <= 3 and FOOTER.match(fold(words[0])):
            continue  # 填表人：… 审核人：…
        if any(EXAMPLE.match(cell_text(cells.get(k))) for k in ("title", "description")):
            sheet.skipped.append(number)  # the template's example row, left in
            continue
        sheet.records.append((number, cells))


def _check_pictures(sheet: LedgerSheet, errors: list[RowError], warnings: list[RowError]) -> None:
    imported = {pos: key for key, pos in sheet.columns.items() if BY_KEY[key].imported}
    first_data = sheet.header_number
    for picture in sorted(sheet.pictures, key=lambda p: (p.row, p.position)):
        if picture.row <= first_data:
            continue
        label = sheet.labels.get(picture.position) or _("第%(n)d列") % {"n": picture.position + 1}
        if picture.in_cell:
            message = _(
                "第%(row)d行『%(col)s』列含有 WPS 单元格图片，系统无法读取，请改为单独上传佐证材料"
            )
        else:
            message = _(
                "第%(row)d行『%(col)s』列有一张浮动图片，系统无法读取，请改为单独上传佐证材料"
            )
        found = RowError(
            sheet.title, picture.row, label, message % {"row": picture.row, "col": label}
        )
        # A picture where the import reads text leaves that text wrong: an error. Anywhere
        # else (佐证材料, 照片 …) the rows still import, and the warning says what was left.
        if picture.in_cell and picture.position in imported:
            errors.append(found)
        else:
            warnings.append(found)


def _unknown_columns(sheet: LedgerSheet, warnings: list[RowError]) -> None:
    # A merged group label ("责任主体") shares its position with the label below it, which
    # `labels` keeps, so only columns with labels of their own are listed here.
    known = set(sheet.columns.values())
    unknown = [
        label
        for pos, label in sorted(sheet.labels.items())
        if pos not in known and LAYOUT.key_of(label) is None
    ]
    if unknown:
        warnings.append(
            RowError(
                sheet.title,
                sheet.header_number,
                "",
                _("以下列不是台账的导入列，内容未导入：%(cols)s") % {"cols": "、".join(unknown)},
            )
        )


def read_ledger_workbook(data: bytes, filename: str) -> ParsedLedger:
    """The ledger sheets of an .xlsx or .xls workbook, with what is wrong with the file.

    Raises WorkbookError when the file cannot be read as a ledger at all (not a workbook,
    not the type its name claims, no ledger header on any sheet, too large).
    """
    kind = workbook_format(data, filename, max_bytes=MAX_BYTES)
    errors: list[RowError] = []
    warnings: list[RowError] = []
    sheets: list[LedgerSheet] = []
    broken = _("文件无法读取，可能已损坏；请用 Excel 或 WPS 打开后另存为 .xlsx 再上传")
    try:
        with unreadable(broken), open_book(data, xls=kind == "xls", max_rows=MAX_ROWS) as book:
            names = book.titles
            for sheet in book.sheets(LedgerSheet):
                if sheet.rows and _find_header(sheet, errors):
                    _collect_records(sheet)
                    for number in sheet.skipped:
                        warnings.append(
                            RowError(
                                sheet.title,
                                number,
                                "",
                                _("第%(row)d行是模板的示例行，未导入") % {"row": number},
                            )
                        )
                    _check_pictures(sheet, errors, warnings)
                    _unknown_columns(sheet, warnings)
                    sheets.append(sheet)
    except TooManyRows as exc:
        raise WorkbookError(too_many_rows(exc.sheet)) from exc
    if not sheets:
        raise WorkbookError(
            _(
                "没有找到台账表头（现有工作表：%(names)s）：表头须包含『问题概述』或『问题描述』"
                "以及『责任单位』『整改时限』等列名"
            )
            % {"names": "、".join(names) or "-"}
        )
    if sum(len(s.records) for s in sheets) > MAX_ROWS:
        raise WorkbookError(too_many_rows(sheets[0].title))
    if not errors and not any(s.records for s in sheets):
        raise WorkbookError(_("台账中没有数据行"))
    return ParsedLedger(filename, kind, sheets, errors, warnings)
