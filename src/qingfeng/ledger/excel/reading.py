"""Reading a ledger workbook (.xlsx or legacy .xls) in the usual office layout.

A sheet has a title row ("××县教育局作风问题整改台账"), a "填报单位：×× 填报日期：…" row,
then one or two header rows: a merged label ("责任主体") over the labels of its columns
(责任领导 / 责任单位 / 责任人), the other labels merged down both rows. Headers are found by
their labels, columns may come in any order, unknown columns are reported and left alone.
Every sheet with a ledger header is read, so a workbook with one sheet per list works too.

The .xlsx reader is the roster's streaming one (values only, about five times faster than
openpyxl's read-only mode), extended with what a ledger needs: date cells by their style,
and pictures — WPS in-cell pictures (=DISPIMG(…)) and pictures anchored over cells — which
are reported per cell instead of being silently dropped.
"""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import xlrd
from django.utils.translation import gettext as _
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from qingfeng.ledger.excel.columns import BY_KEY, label_key, label_lookup, list_kind_in
from qingfeng.lib.dates import parse_date
from qingfeng.orgs.roster.columns import cell_text, fold
from qingfeng.orgs.roster.reading import (
    HEADER_SCAN_ROWS,
    MAX_COLUMNS,
    MAX_UNZIPPED,
    RowError,
    WorkbookError,
    _column,
    _local,
    _Package,
    _value,
)

MAX_ROWS = 50_000  # data rows in a workbook
MAX_BYTES = 20 * 1024 * 1024
MIN_HITS = 3  # known labels a row needs to be taken for a header
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2, the container of .xls
# Chinese Excel's built-in date formats (年月日) are locale ids missing from openpyxl's table.
CJK_DATE_FORMATS = frozenset(range(27, 37)) | frozenset(range(50, 59))
FOOTER = re.compile(
    r"^(?:填表人|填报人|制表人|审核人|审核|负责人|单位负责人|主要负责人|联系人|联系电话|分管领导签字)[:：]"
)
EXAMPLE = re.compile(r"^[(（]示例")
REPORTING_UNIT = re.compile(r"(?:填报|报送|填表)单位(?:[(（][^)）]*[)）])?[:：]\s*(\S*)")
REPORT_DATE = re.compile(r"(?:填报|报送|填表)?(?:日期|时间)[:：]\s*(\S+)")


@dataclass(frozen=True)
class Picture:
    row: int
    position: int
    in_cell: bool  # a WPS =DISPIMG() cell; False: a picture floating over the cell


@dataclass
class LedgerSheet:
    title: str
    rows: list[tuple[int, tuple[Any, ...]]]  # non-empty rows: (Excel row number, values)
    pictures: list[Picture] = field(default_factory=list)
    header_top: int = -1  # index in `rows` of the first header row
    header_at: int = -1  # index in `rows` of the last header row
    columns: dict[str, int] = field(default_factory=dict)  # column key -> position
    labels: dict[int, str] = field(default_factory=dict)  # position -> label in the file
    heading: str = ""  # the title row
    reporting_unit: str = ""  # 填报单位
    report_date: date | None = None  # 填报日期
    records: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # example rows, by Excel row number
    date1904: bool = False

    def label(self, key: str) -> str:
        position = self.columns.get(key)
        if position is not None and position in self.labels:
            return self.labels[position]
        return BY_KEY[key].label

    @property
    def header_number(self) -> int:
        return self.rows[self.header_at][0] if self.header_at >= 0 else 0

    @property
    def width(self) -> int:
        return max((len(values) for _n, values in self.rows), default=0)

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


# -- .xlsx --


class _LedgerPackage(_Package):
    """The roster's package reader, plus date styles, formulas and drawings."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        super().__init__(archive)
        book = self._target("", "_rels/.rels", "/officeDocument")[0][1]
        folder, _slash, name = book.rpartition("/")
        self.book_folder, self.book_rels = folder, f"{folder}/_rels/{name}.rels"
        pr = next((el for el in self._tree(book).iter() if _local(el.tag) == "workbookPr"), None)
        self.date1904 = pr is not None and pr.get("date1904", "").lower() in ("1", "true")
        self.date_styles = self._date_styles()

    def _date_styles(self) -> frozenset[int]:
        rels = self._target(self.book_folder, self.book_rels, "/styles")
        if not rels:
            return frozenset()
        tree = self._tree(rels[0][1])
        custom = {
            int(el.get("numFmtId", "0")): el.get("formatCode", "")
            for el in tree.iter()
            if _local(el.tag) == "numFmt"
        }
        xfs = next((el for el in tree if _local(el.tag) == "cellXfs"), None)
        dates: set[int] = set()
        for index, xf in enumerate(xfs if xfs is not None else ()):
            fmt = int(xf.get("numFmtId", "0"))
            code = custom.get(fmt, BUILTIN_FORMATS.get(fmt, ""))
            if fmt in CJK_DATE_FORMATS or (code and is_date_format(code)):
                dates.add(index)
        return frozenset(dates)

    def sheet_rows(
        self, path: str, title: str
    ) -> tuple[list[tuple[int, tuple[Any, ...]]], list[Picture]]:
        """Non-empty rows as (Excel row number, values), and the WPS in-cell pictures."""
        rows: list[tuple[int, tuple[Any, ...]]] = []
        pictures: list[Picture] = []
        epoch = CALENDAR_MAC_1904 if self.date1904 else CALENDAR_WINDOWS_1900
        number = 0
        for element in self._elements(path):
            if _local(element.tag) != "row":
                continue
            number = int(element.get("r") or number + 1)
            values: dict[int, Any] = {}
            position = -1
            for cell in element:
                ref = cell.get("r")
                position = _column(ref) if ref else position + 1
                if position >= MAX_COLUMNS:
                    continue
                value = _value(cell, self.shared)
                formula = next((c.text for c in cell if _local(c.tag) == "f"), None) or ""
                if "DISPIMG" in formula.upper() or (
                    isinstance(value, str) and value.lstrip().upper().startswith("=DISPIMG(")
                ):
                    pictures.append(Picture(number, position, in_cell=True))
                    value = value or f"={formula.removeprefix('_xlfn.')}"
                elif (
                    isinstance(value, int | float)
                    and not isinstance(value, bool)
                    and int(cell.get("s", "0")) in self.date_styles
                ):
                    # Out of range: left as the number; the column's check says what is wrong.
                    with contextlib.suppress(ValueError, OverflowError):
                        value = from_excel(value, epoch)
                if value is not None and value != "":
                    values[position] = value
            element.clear()
            if values:
                rows.append((number, tuple(values.get(i) for i in range(max(values) + 1))))
                if len(rows) > MAX_ROWS + HEADER_SCAN_ROWS:
                    raise WorkbookError(too_many_rows(title))
        return rows, pictures

    def floating_pictures(self, path: str) -> list[Picture]:
        """Pictures anchored over cells (the sheet's drawing), as (row, column) of their
        top-left corner."""
        folder, _slash, name = path.rpartition("/")
        rels = f"{folder}/_rels/{name}.rels"
        if rels not in self.archive.namelist():
            return []
        found: list[Picture] = []
        for _type, drawing, _id in self._target(folder, rels, "/drawing"):
            for anchor in self._tree(drawing):
                if _local(anchor.tag) not in ("twoCellAnchor", "oneCellAnchor"):
                    continue
                if not any(_local(el.tag) == "pic" for el in anchor.iter()):
                    continue  # a chart or a shape, not a picture
                start = next((el for el in anchor if _local(el.tag) == "from"), None)
                if start is None:
                    continue
                spot = {_local(el.tag): int(el.text or 0) for el in start}
                found.append(Picture(spot.get("row", 0) + 1, spot.get("col", 0), in_cell=False))
        return found


def too_many_rows(title: str) -> str:
    return _("『%(sheet)s』工作表超过 %(n)d 行的上限，请分批导入") % {"sheet": title, "n": MAX_ROWS}


def _read_xlsx(data: bytes) -> Iterator[LedgerSheet]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED:
            raise WorkbookError(_("文件解压后过大，请删除无关的工作表或分批导入"))
        package = _LedgerPackage(archive)
        for title, path in package.sheets:
            rows, pictures = package.sheet_rows(path, title)
            pictures += package.floating_pictures(path)
            yield LedgerSheet(title, rows, pictures, date1904=package.date1904)


# -- .xls (BIFF, Excel 97-2003) --


def _xls_value(cell: xlrd.sheet.Cell, datemode: int) -> Any:
    kind = cell.ctype
    if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return None
    if kind == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, datemode)
        except (xlrd.xldate.XLDateError, ValueError, OverflowError):
            return cell.value
    if kind == xlrd.XL_CELL_NUMBER:
        value = float(cell.value)
        return int(value) if value.is_integer() else value
    if kind == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERR")
    return cell.value


def _read_xls(data: bytes) -> Iterator[LedgerSheet]:
    # Pictures in a .xls live in drawing records xlrd does not read; DISPIMG text still shows.
    book = xlrd.open_workbook(file_contents=data, on_demand=True)
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            rows: list[tuple[int, tuple[Any, ...]]] = []
            pictures: list[Picture] = []
            for r in range(sheet.nrows):
                values = [_xls_value(c, book.datemode) for c in sheet.row(r)[:MAX_COLUMNS]]
                for position, value in enumerate(values):
                    if isinstance(value, str) and value.lstrip().upper().startswith("=DISPIMG("):
                        pictures.append(Picture(r + 1, position, in_cell=True))
                while values and values[-1] in (None, ""):
                    values.pop()
                if values:
                    rows.append((r + 1, tuple(None if v == "" else v for v in values)))
                    if len(rows) > MAX_ROWS + HEADER_SCAN_ROWS:
                        raise WorkbookError(too_many_rows(sheet.name))
            book.unload_sheet(index)
            yield LedgerSheet(sheet.name, rows, pictures, date1904=book.datemode == 1)
    finally:
        book.release_resources()


# -- headers --


def _hits(values: tuple[Any, ...]) -> dict[int, str]:
    lookup = label_lookup()
    return {pos: lookup[k] for pos, v in enumerate(values) if (k := label_key(v)) in lookup}


def _blank(values: tuple[Any, ...], position: int) -> bool:
    return position >= len(values) or values[position] in (None, "")


def _find_header(sheet: LedgerSheet, errors: list[RowError]) -> bool:
    """Locate the header rows by their labels; False when the sheet has no ledger header."""
    scan = sheet.rows[:HEADER_SCAN_ROWS]
    hits = [_hits(values) for _n, values in scan]
    best = max(range(len(scan)), key=lambda i: len(hits[i]), default=-1)
    if best < 0 or len(hits[best]) < MIN_HITS:
        return False
    near = [hits[i] for i in (best - 1, best, best + 1) if 0 <= i < len(hits)]
    if not any({"title", "description"} & set(h.values()) for h in near):
        return False  # a sheet of instructions or of people, not a ledger
    top = bottom = best
    merged = dict(hits[best])
    # A two-row header: the other row names the columns under merged group labels, and is
    # blank under the labels merged down both rows (only a merge's top-left cell has a value).
    for upper, lower in ((best - 1, best), (best, best + 1)):
        if upper < 0 or lower >= len(scan) or scan[lower][0] != scan[upper][0] + 1:
            continue
        above, below = hits[upper], hits[lower]
        if not above or not below or set(above) & set(below):
            continue
        if all(_blank(scan[lower][1], pos) for pos in above):
            top, bottom = upper, lower
            merged = {**above, **below}
            break
    sheet.header_top, sheet.header_at = top, bottom
    for index in range(top, bottom + 1):
        for pos, value in enumerate(scan[index][1]):
            if value not in (None, ""):
                sheet.labels[pos] = cell_text(value).replace("\n", "")
    for pos, key in sorted(merged.items()):
        if key in sheet.columns:
            errors.append(
                RowError(
                    sheet.title,
                    sheet.header_number,
                    sheet.labels[pos],
                    _("表头中『%(l)s』列重复出现（与『%(o)s』是同一列）")
                    % {"l": sheet.labels[pos], "o": sheet.labels[sheet.columns[key]]},
                )
            )
            continue
        sheet.columns[key] = pos
    _read_preamble(sheet)
    return True


def _date_in(text: str) -> date | None:
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"[T ]?\d{2}:\d{2}(:\d{2})?$", "", text)
    return parse_date(text)


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
            sheet.report_date = _date_in(match[1])


def _is_numbering(values: tuple[Any, ...]) -> bool:
    """A row of column numbers (1, 2, 3 …) under the header, as some offices print."""
    numbers = [v for v in values if v not in (None, "")]
    return len(numbers) >= 5 and all(cell_text(v) == str(i) for i, v in enumerate(numbers, start=1))


def _collect_records(sheet: LedgerSheet) -> None:
    data = sheet.rows[sheet.header_at + 1 :]
    if data and _is_numbering(data[0][1]):
        data = data[1:]
    ignored = {"seq", "number", "status", "light"}
    for number, values in data:
        cells = {
            key: values[pos]
            for key, pos in sheet.columns.items()
            if pos < len(values) and values[pos] not in (None, "")
        }
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
    lookup = label_lookup()
    unknown = [
        label
        for pos, label in sorted(sheet.labels.items())
        if pos not in known and label_key(label) not in lookup
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
    name = filename.lower()
    if not name.endswith((".xlsx", ".xls")):
        raise WorkbookError(_("请上传 Excel 文件（.xlsx 或 .xls）"))
    if len(data) > MAX_BYTES:
        raise WorkbookError(_("文件超过 %(n)d MB，请分批导入") % {"n": MAX_BYTES // (1024 * 1024)})
    is_xls = name.endswith(".xls")
    magic = XLS_MAGIC if is_xls else XLSX_MAGIC
    if not data.startswith(magic):
        other = XLSX_MAGIC if is_xls else XLS_MAGIC
        if data.startswith(other):
            raise WorkbookError(
                _("文件扩展名与内容不符：内容是 %(real)s 格式，请改正扩展名后重新上传")
                % {"real": ".xlsx" if is_xls else ".xls"}
            )
        raise WorkbookError(
            _(
                "文件不是有效的 Excel 工作簿（可能是网页或文本格式），请用 Excel 或 WPS 打开后另存为 .xlsx 再上传"
            )
        )
    errors: list[RowError] = []
    warnings: list[RowError] = []
    sheets: list[LedgerSheet] = []
    names: list[str] = []
    try:
        for sheet in _read_xls(data) if is_xls else _read_xlsx(data):
            names.append(sheet.title)
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
    except WorkbookError:
        raise
    except Exception as exc:  # a damaged or foreign file fails in many ways
        raise WorkbookError(
            _("文件无法读取，可能已损坏；请用 Excel 或 WPS 打开后另存为 .xlsx 再上传")
        ) from exc
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
    return ParsedLedger(filename, "xls" if is_xls else "xlsx", sheets, errors, warnings)
