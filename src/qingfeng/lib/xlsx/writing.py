"""Writing office workbooks: the one export workbook, the office layout, the error workbook.

Every workbook the system produces is a `new_workbook()` and leaves through `save()`. Every
string in it is written as text, never as a formula: a title like "=1+1" or "=HYPERLINK(…)"
from a form or an upload stays what it says, without the control characters XML cannot
hold; one that starts like a formula (= + - @, a tab or a carriage return) also carries
Excel's quote prefix, so editing the cell in Excel or WPS does not turn it into one. Sheets
are written in openpyxl's write-only mode, which streams rows to disk, so a 50,000-row
export holds one chunk of rows in memory.

The office layout is what offices print and exchange: a title row, a "填报单位 / 填报日期"
row, two header rows with merged group labels, borders, widths, wrapped text, a frozen
header, and A4 landscape with the header rows repeated on every printed page.

The error workbook gives an upload back row for row at the same row numbers, with the wrong
cells highlighted and a "错误说明" column saying what is wrong with each row.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from qingfeng.lib.xlsx.columns import Column
from qingfeng.lib.xlsx.reading import Row, RowError

ERROR_LABEL = "错误说明"
FONT = "宋体"
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
TITLE_FONT = Font(name=FONT, bold=True, size=16)
HEADER_FONT = Font(name=FONT, bold=True, size=10)
BODY_FONT = Font(name=FONT, size=10)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
BAD_FONT = Font(color="9C0006")
WARN_FILL = PatternFill("solid", fgColor="FFEB9C")
DATE_FORMAT = 'yyyy"年"m"月"d"日"'
OFFICE_TOP_ROWS = 4  # title, 填报单位/日期, two header rows


# What spreadsheet programs take for the start of a formula, in a cell or once exported to CSV.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe(value: Any) -> Any:
    """A value openpyxl will write: text without the control characters XML cannot hold, line
    ends as "\n" (what a reader of the file gets for a carriage return anyway)."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value).replace("\r\n", "\n").replace("\r", "\n")
    return value


def as_text(cell: Any) -> None:
    """Make a cell holding a string hold it as text: XML-illegal characters removed, never a
    formula, and the quote prefix where it starts like one. A style shared with other cells
    (ColumnStyles' prototypes) is copied before the prefix is set."""
    cell.value = safe(cell.value)
    cell.data_type = "s"
    if cell.value.startswith(FORMULA_START):
        cell._style = copy(cell._style)
        cell.quotePrefix = True


class _TextSheet(WriteOnlyWorksheet):  # type: ignore[misc]  # openpyxl ships no types
    """A write-only sheet whose every appended string, plain or in a cell, is text."""

    def _values_to_row(self, values: Sequence[Any], row_idx: int) -> Iterator[Any]:
        values = [safe(v) if isinstance(v, str) else v for v in values]
        for cell in super()._values_to_row(values, row_idx):
            if isinstance(cell.value, str):
                as_text(cell)
            yield cell


class _TextMemorySheet(Worksheet):  # type: ignore[misc]
    """An in-memory sheet that takes strings with XML-illegal characters (removed); `save`
    makes its strings text."""

    def append(self, iterable: Any) -> None:
        if isinstance(iterable, dict):
            super().append({k: safe(v) for k, v in iterable.items()})
        else:
            super().append([safe(v) for v in iterable])

    def cell(self, row: int, column: int, value: Any = None) -> Any:
        return super().cell(row, column, safe(value))

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, safe(value))


class ExportWorkbook(Workbook):  # type: ignore[misc]
    """The workbook every export writes: its sheets keep every string text."""

    def __init__(self, *, write_only: bool = True) -> None:
        super().__init__(write_only=write_only)
        if not write_only:  # openpyxl's first sheet, made in its __init__
            self._sheets = [_TextMemorySheet(self)]

    def create_sheet(self, title: str | None = None, index: int | None = None) -> Any:
        kind = _TextSheet if self.write_only else _TextMemorySheet
        sheet = kind(parent=self, title=title)
        self._add_sheet(sheet=sheet, index=index)
        return sheet


def new_workbook(*, write_only: bool = True) -> ExportWorkbook:
    """A workbook to export: write-only (streamed) unless a sheet needs merged cells written
    after the fact; `save` makes the strings of an in-memory one text."""
    return ExportWorkbook(write_only=write_only)


@dataclass(frozen=True)
class Style:
    """What a written cell looks like; None leaves openpyxl's default."""

    font: Font | None = None
    fill: PatternFill | None = None
    border: Border | None = None
    alignment: Alignment | None = None
    number_format: str | None = None

    def cell(self, ws: Any, value: Any) -> Any:
        """A write-only cell with this style; a string is always text, never a formula."""
        cell = WriteOnlyCell(ws, value=safe(value))
        if isinstance(value, str):
            as_text(cell)
        if self.font is not None:
            cell.font = self.font
        if self.fill is not None:
            cell.fill = self.fill
        if self.border is not None:
            cell.border = self.border
        if self.alignment is not None:
            cell.alignment = self.alignment
        if self.number_format is not None:
            cell.number_format = self.number_format
        return cell


PLAIN = Style()
BAD = Style(font=BAD_FONT, fill=BAD_FILL)
WARNED = Style(font=Font(), fill=WARN_FILL)


def cell_value(ws: Any, value: Any) -> Any:
    """A value to append to a write-only sheet: as it is where openpyxl writes it as data, a
    text cell where openpyxl would take text for a formula or an error value (#N/A)."""
    if isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES):
        return PLAIN.cell(ws, value)
    return safe(value)


def styled(
    ws: Any,
    value: Any,
    *,
    font: Font,
    fill: PatternFill | None = None,
    horizontal: str = "center",
    border: bool = True,
) -> Any:
    """A cell of the office layout: the font, centred (or `horizontal`), wrapped, bordered."""
    look = Style(
        font=font,
        fill=fill,
        border=BORDER if border else None,
        alignment=Alignment(horizontal=horizontal, vertical="center", wrap_text=True),
    )
    return look.cell(ws, value)


def save(workbook: Workbook) -> bytes:
    """The workbook (a `new_workbook()`) as the bytes of an .xlsx file."""
    if not isinstance(workbook, ExportWorkbook):
        raise TypeError("export workbooks come from lib.xlsx.new_workbook()")
    if not workbook.write_only:  # an in-memory sheet's cells were set freely: make them safe
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        as_text(cell)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def chinese_date(day: date | None) -> str:
    """2026年3月5日, as dates are written on office forms; "" for none."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


# -- the office layout --


def office_sheet(
    workbook: Workbook,
    columns: Sequence[Column],
    *,
    name: str,
    title: str,
    left: str,
    right: str,
    freeze: str = "A5",
) -> Any:
    """A write-only sheet with the office layout's four top rows, ready for data from row 5.

    Row 1 is `title`, merged across; row 2 has `left` (填报单位：…) and `right` (填报日期：…),
    each merged over half the width; rows 3 and 4 the header: a column's `group` merged
    over the columns that share it, with their labels below, and every other label merged
    down both rows.
    """
    ws = workbook.create_sheet(name)
    last = get_column_letter(len(columns))
    for i, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = column.width
    ws.freeze_panes = freeze
    # Print: A4 landscape, all columns on the page width, the header rows on every page.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = "3:4"
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.row_dimensions[1].height = 32
    ws.row_dimensions[3].height = 22
    ws.row_dimensions[4].height = 30

    ws.append([styled(ws, title, font=TITLE_FONT, border=False)])
    ws.merged_cells.add(f"A1:{last}1")
    half = max(1, len(columns) // 2)
    ws.append(
        [
            styled(ws, left, font=BODY_FONT, horizontal="left", border=False),
            *[None] * (half - 1),
            styled(ws, right, font=BODY_FONT, horizontal="right", border=False),
        ]
    )
    ws.merged_cells.add(f"A2:{get_column_letter(half)}2")
    ws.merged_cells.add(f"{get_column_letter(half + 1)}2:{last}2")

    top: list[Any] = []
    bottom: list[Any] = []
    i = 0
    while i < len(columns):
        column = columns[i]
        letter = get_column_letter(i + 1)
        if not column.group:
            top.append(styled(ws, column.label, font=HEADER_FONT, fill=HEADER_FILL))
            bottom.append(styled(ws, None, font=HEADER_FONT, fill=HEADER_FILL))
            ws.merged_cells.add(f"{letter}3:{letter}4")
            i += 1
            continue
        span = 1
        while i + span < len(columns) and columns[i + span].group == column.group:
            span += 1
        for j in range(span):
            value = column.group if j == 0 else None
            top.append(styled(ws, value, font=HEADER_FONT, fill=HEADER_FILL))
            bottom.append(styled(ws, columns[i + j].label, font=HEADER_FONT, fill=HEADER_FILL))
        ws.merged_cells.add(f"{letter}3:{get_column_letter(i + span)}3")
        i += span
    ws.append(top)
    ws.append(bottom)
    return ws


class ColumnStyles:
    """The office layout's data cells: one styled prototype cell per column (body font,
    border, wrapped, centred for `Column.center`, the column's number format); each written
    cell shares its prototype's style array, far cheaper than styling cell by cell."""

    def __init__(self, ws: Any, columns: Sequence[Column]) -> None:
        self.ws = ws
        self.body = [
            self.prototype(
                alignment=Alignment(
                    horizontal="center" if column.center else "left",
                    vertical="center",
                    wrap_text=True,
                ),
                number_format=column.number_format,
            )
            for column in columns
        ]

    def prototype(
        self, *, alignment: Alignment, fill: PatternFill | None = None, number_format: str = ""
    ) -> Any:
        """A bordered body-font cell to style other cells after (e.g. a coloured light)."""
        cell = WriteOnlyCell(self.ws)
        cell.font, cell.border, cell.alignment = BODY_FONT, BORDER, alignment
        if fill is not None:
            cell.fill = fill
        if number_format:
            cell.number_format = number_format
        return cell

    def cell(self, index: int, value: Any, prototype: Any = None) -> Any:
        """Column `index`'s cell for `value` ("" is an empty cell with its border)."""
        cell = WriteOnlyCell(self.ws)
        if value == "":
            pass
        elif isinstance(value, str):
            cell.value = safe(value)
        else:
            cell.value = value
        cell._style = (prototype if prototype is not None else self.body[index])._style
        if isinstance(cell.value, str):
            as_text(cell)  # text stays text: what looks like a formula is never one
        return cell

    def row(self, values: Sequence[Any], special: Mapping[int, Any] | None = None) -> list[Any]:
        """A row's cells; `special` gives other prototypes for some positions."""
        special = special or {}
        return [self.cell(i, value, special.get(i)) for i, value in enumerate(values)]


# -- the error workbook --


@dataclass(frozen=True)
class ErrorLook:
    """How an error sheet's own cells look: the "错误说明" header cell, a row's notes when
    the row has errors, and when it has only warnings."""

    label: Style
    note: Style
    hint: Style
    note_width: int = 50


PLAIN_ERRORS = ErrorLook(
    label=Style(font=Font(bold=True)), note=Style(font=BAD_FONT), hint=Style(font=Font())
)
_TOP_WRAPPED = Alignment(wrap_text=True, vertical="top")
OFFICE_ERRORS = ErrorLook(
    label=Style(
        font=HEADER_FONT,
        fill=HEADER_FILL,
        border=BORDER,
        alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
    ),
    note=Style(font=BAD_FONT, alignment=_TOP_WRAPPED),
    hint=Style(font=Font(), alignment=_TOP_WRAPPED),
    note_width=60,
)


def _by_row(items: Iterable[RowError]) -> dict[int, list[RowError]]:
    found: dict[int, list[RowError]] = defaultdict(list)
    for item in items:
        found[item.row].append(item)
    return found


def write_error_sheet(
    workbook: Workbook,
    *,
    name: str,
    rows: Iterable[Row],
    width: int,
    errors: Iterable[RowError],
    warnings: Iterable[RowError] = (),
    locate: Callable[[RowError], int | None],
    label_row: int,
    look: ErrorLook = PLAIN_ERRORS,
    widths: Mapping[int, int] | None = None,
    freeze: str | None = None,
) -> None:
    """An uploaded sheet again, at the same row numbers, with what is wrong marked.

    `rows` are the sheet's rows as read, `errors` and `warnings` those of this sheet. The
    first `width` columns are copied; the notes ("列：说明；…", warnings after "提示：") go
    in the column after them, which `label_row` heads with "错误说明". `locate` gives the
    position of the cell an error or warning is about, or None: that cell is filled red
    (an error) or yellow (a warning).
    """
    ws = workbook.create_sheet(name)
    for pos, column_width in (widths or {}).items():
        ws.column_dimensions[get_column_letter(pos + 1)].width = column_width
    ws.column_dimensions[get_column_letter(width + 1)].width = look.note_width
    if freeze:
        ws.freeze_panes = freeze
    found, noted = _by_row(errors), _by_row(warnings)
    current = 1
    for number, values in rows:
        for _gap in range(number - current):
            ws.append([])
        current = number + 1
        here, hints = found.get(number, []), noted.get(number, [])
        bad = {at for e in here if (at := locate(e)) is not None}
        warn = {at for e in hints if (at := locate(e)) is not None}
        cells: list[Any] = []
        for pos in range(width):
            value = values[pos] if pos < len(values) else None
            if pos in bad or pos in warn:
                cells.append((BAD if pos in bad else WARNED).cell(ws, value))
            else:
                cells.append(cell_value(ws, value))
        notes = [f"{e.column}：{e.message}" if e.column else e.message for e in here]
        notes += [_("提示：") + e.message for e in hints]
        if number == label_row:
            cells.append(look.label.cell(ws, "；".join([ERROR_LABEL, *notes])))
        elif notes:
            cells.append((look.note if here else look.hint).cell(ws, "；".join(notes)))
        ws.append(cells)


def write_error_summary(
    workbook: Workbook, errors: Iterable[RowError], warnings: Iterable[RowError] = ()
) -> None:
    """A "错误汇总" sheet listing every error and warning, those about the whole file too."""
    summary = workbook.create_sheet("错误汇总")
    for letter, column_width in zip("ABCDE", (8, 14, 8, 16, 90), strict=True):
        summary.column_dimensions[letter].width = column_width
    summary.append(
        [
            styled(summary, v, font=HEADER_FONT, fill=HEADER_FILL)
            for v in ("类型", "工作表", "行号", "列", "说明")
        ]
    )
    for kind, items in ((_("错误"), errors), (_("提示"), warnings)):
        for e in items:
            summary.append(
                [
                    kind,
                    *(
                        cell_value(summary, v)
                        for v in (e.sheet, e.row or None, e.column, e.message)
                    ),
                ]
            )
