"""Reading office workbooks (.xlsx, legacy .xls) as WPS, LibreOffice and Excel write them.

A sheet is read as its non-empty rows, values only; `find_header` then finds the header by
its labels under any title rows ("××单位问题台账", "填报单位：…  填报日期：…"), including a
merged two-row header (a group label such as "责任主体" over the labels of its columns, the
other labels merged down both rows: only a merge's top-left cell holds a value). Columns may
come in any order; unknown ones are left alone.

.xlsx is read with the standard library's streaming XML parser, about five times faster than
openpyxl's read-only mode (openpyxl spends about 25 µs on each cell), which is what a
60,000-row roster needs. Date cells are told by their number format. Pictures the import
cannot read — WPS in-cell pictures (=DISPIMG(…)) and pictures floating over cells — are
listed per cell, so the caller can say so instead of dropping them silently.
"""

from __future__ import annotations

import contextlib
import io
import posixpath
import xml.etree.ElementTree as ET
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import xlrd
from django.utils.translation import gettext as _
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from qingfeng.lib import filetypes
from qingfeng.lib.inputs import strip_controls
from qingfeng.lib.xlsx.cells import cell_text
from qingfeng.lib.xlsx.columns import Columns

Row = tuple[int, tuple[Any, ...]]  # (Excel row number, values from column A on)

MAX_COLUMNS = 200  # cells past this column are ignored
MAX_UNZIPPED = 200 * 1024 * 1024  # a 20 MB upload must not expand into gigabytes
# Office files compress 5 to 20 times; a part far beyond that past a few MB is a zip bomb
# (327 KB of repeated rows that unpack to 100 MB), refused before any of it is parsed.
MAX_RATIO = 100
RATIO_FROM = 8 * 1024 * 1024
# Cells read (empty ones and those past MAX_COLUMNS too) per row the reader may take: a sheet
# of a million empty or one-cell-wide rows is refused while it is read, not after.
CELLS_PER_ROW = 60
HEADER_SCAN_ROWS = 30  # the header is looked for in this many non-empty rows
# Chinese Excel's built-in date formats (年月日) are locale ids missing from openpyxl's table.
CJK_DATE_FORMATS = frozenset(range(27, 37)) | frozenset(range(50, 59))
_DISPIMG = "=DISPIMG("


@dataclass(frozen=True)
class RowError:
    """A problem with one cell, row, sheet or the whole file (row 0, no column)."""

    sheet: str
    row: int  # as Excel numbers it; 0 for the sheet or the workbook as a whole
    column: str  # the column's label as the file has it; "" for the whole row
    message: str

    def as_dict(self) -> dict[str, Any]:
        """The error as JSON, as an import row keeps its error list."""
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class WorkbookError(Exception):
    """The file cannot be read as the workbook asked for; `message` says why, for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TooManyRows(WorkbookError):
    """A sheet has more rows than the reader was told to take."""

    def __init__(self, sheet: str, limit: int) -> None:
        super().__init__(
            _("“%(sheet)s”工作表超过 %(n)d 行的上限，请分批导入") % {"sheet": sheet, "n": limit}
        )
        self.sheet = sheet
        self.limit = limit


@dataclass(frozen=True)
class Picture:
    """A picture in a sheet, by the cell of its top-left corner."""

    row: int  # Excel row number
    position: int  # column, from 0
    in_cell: bool  # a WPS =DISPIMG() cell; False: a picture floating over the cell


@dataclass
class Sheet:
    """One worksheet as read; `find_header` fills in where its header is.

    Subclass it to keep what a layout reads besides (a title row, a reporting unit …):
    `Book.read` builds the subclass it is given.
    """

    title: str
    rows: list[Row]  # the non-empty rows
    pictures: list[Picture] = field(default_factory=list)
    date1904: bool = False  # serial numbers count from 1904 (old Mac workbooks)
    layout: Columns | None = None
    header_top: int = -1  # index in `rows` of the first header row, -1 when not found
    header_at: int = -1  # index in `rows` of the last header row
    columns: dict[str, int] = field(default_factory=dict)  # column key -> position
    labels: dict[int, str] = field(default_factory=dict)  # position -> header text in the file
    repeated: list[tuple[int, str]] = field(default_factory=list)  # (position, key) named twice

    def label(self, key: str) -> str:
        """A column's label as the file writes it, or as the layout does."""
        position = self.columns.get(key)
        text = self.labels.get(position) if position is not None else None
        if text:
            return text
        return self.layout.label(key) if self.layout is not None else key

    @property
    def header_number(self) -> int:
        """The Excel row number of the last header row; 0 without a header."""
        return self.rows[self.header_at][0] if self.header_at >= 0 else 0

    @property
    def width(self) -> int:
        """The number of columns up to the last one with a value in any row."""
        return max((len(values) for _n, values in self.rows), default=0)

    def data_rows(self) -> list[Row]:
        """The rows below the header."""
        return self.rows[self.header_at + 1 :]

    def cells(self, values: tuple[Any, ...]) -> dict[str, Any]:
        """A row's non-blank values in the layout's columns, by column key."""
        return {
            key: values[pos]
            for key, pos in self.columns.items()
            if pos < len(values) and values[pos] not in (None, "")
        }


S = TypeVar("S", bound=Sheet)


# -- .xlsx --


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]  # transitional and strict OOXML differ only in namespaces


def _text(element: ET.Element) -> str:
    """The text of a shared or inline string: plain, or rich-text runs (phonetic runs left out)."""
    parts: list[str] = []
    for child in element:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _column(ref: str) -> int:
    number = 0
    for ch in ref:
        if not "A" <= ch <= "Z":
            break
        number = number * 26 + ord(ch) - 64
    return number - 1


def _cell(cell: ET.Element, shared: list[str]) -> tuple[Any, str]:
    """A cell's value and its formula ("" for none), in one pass over its children."""
    raw: str | None = None
    formula = ""
    inline: ET.Element | None = None
    for child in cell:
        name = _local(child.tag)
        if name == "v":
            raw = child.text
        elif name == "f":
            formula = child.text or ""
        elif name == "is":
            inline = child
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return (strip_controls(_text(inline)) if inline is not None else None), formula
    if raw is None:
        return None, formula
    if kind == "s":
        return shared[int(raw)], formula
    if kind == "b":
        return raw == "1", formula
    if kind != "n":  # "str" (a formula's text), "e" (#N/A …), "d" (an ISO date)
        return strip_controls(raw), formula
    return (int(raw) if raw.lstrip("-").isdigit() else float(raw)), formula


def _is_picture(value: Any, formula: str) -> bool:
    """A WPS in-cell picture: =DISPIMG("ID_…",1), as the formula or as its cached text."""
    if formula and "DISPIMG" in formula.upper():
        return True
    # The cheap test first: nearly every text cell of a sheet has no "=" at all.
    return isinstance(value, str) and "=" in value and value.lstrip().upper().startswith(_DISPIMG)


class Book(ABC):
    """An open workbook: its sheet titles, and each sheet read on demand."""

    titles: list[str]

    @abstractmethod
    def read(self, index: int, into: type[S]) -> S:
        """The sheet at `index` as an `into` (a `Sheet` or a subclass)."""

    def sheets(self, into: type[S]) -> Iterator[S]:
        """Every sheet in order, each read when it is reached."""
        for index in range(len(self.titles)):
            yield self.read(index, into)


class _XlsxBook(Book):
    """The parts of an .xlsx we need: workbook, shared strings, styles, sheets, drawings."""

    def __init__(self, archive: zipfile.ZipFile, max_rows: int) -> None:
        self.archive = archive
        self.max_rows = max_rows
        book = self._target("", "_rels/.rels", "/officeDocument")[0][1]
        folder, _slash, name = book.rpartition("/")
        rels = self._target(folder, f"{folder}/_rels/{name}.rels", "")
        shared = [path for rel_type, path, _id in rels if rel_type.endswith("/sharedStrings")]
        self.shared = self._shared_strings(shared[0]) if shared else []
        paths = {rel_id: path for rel_type, path, rel_id in rels if rel_type.endswith("/worksheet")}
        tree = self._tree(book)
        sheets = [
            (el.get("name", ""), paths[rel_id])
            for el in tree.iter()
            if _local(el.tag) == "sheet"
            and (rel_id := next((v for k, v in el.attrib.items() if _local(k) == "id"), ""))
            in paths
        ]
        self.titles = [title for title, _path in sheets]
        self.paths = [path for _title, path in sheets]
        pr = next((el for el in tree.iter() if _local(el.tag) == "workbookPr"), None)
        self.date1904 = pr is not None and pr.get("date1904", "").lower() in ("1", "true")
        styles = [path for rel_type, path, _id in rels if rel_type.endswith("/styles")]
        self.date_styles = self._date_styles(styles[0]) if styles else frozenset()

    # The same parser openpyxl uses when defusedxml is absent: ElementTree fetches no external
    # entities, and expat (>= 2.4) refuses entity-expansion bombs.
    def _tree(self, path: str) -> ET.Element:
        return ET.fromstring(self.archive.read(path))  # noqa: S314

    def _elements(self, path: str) -> Iterator[ET.Element]:
        for _event, element in ET.iterparse(self.archive.open(path)):  # noqa: S314
            yield element

    def _target(self, folder: str, rels: str, wanted: str) -> list[tuple[str, str, str]]:
        found = []
        for rel in self._tree(rels):
            target, rel_type = rel.get("Target", ""), rel.get("Type", "")
            # Targets are relative to the part's folder, or absolute from the package root.
            path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            if rel_type.endswith(wanted):
                found.append((rel_type, posixpath.normpath(path), rel.get("Id", "")))
        return found

    def _shared_strings(self, path: str) -> list[str]:
        strings: list[str] = []
        for element in self._elements(path):
            if _local(element.tag) == "si":
                strings.append(strip_controls(_text(element)))
                element.clear()
        return strings

    def _date_styles(self, path: str) -> frozenset[str]:
        """The cell styles (as a cell's s="…" names them) whose number format shows a date."""
        tree = self._tree(path)
        custom = {
            int(el.get("numFmtId", "0")): el.get("formatCode", "")
            for el in tree.iter()
            if _local(el.tag) == "numFmt"
        }
        xfs = next((el for el in tree if _local(el.tag) == "cellXfs"), None)
        dates: set[str] = set()
        for index, xf in enumerate(xfs if xfs is not None else ()):
            fmt = int(xf.get("numFmtId", "0"))
            code = custom.get(fmt, BUILTIN_FORMATS.get(fmt, ""))
            if fmt in CJK_DATE_FORMATS or (code and is_date_format(code)):
                dates.add(str(index))
        return frozenset(dates)

    def read(self, index: int, into: type[S]) -> S:
        title, path = self.titles[index], self.paths[index]
        rows, pictures = self._rows(path, title)
        pictures += self._floating_pictures(path)
        return into(title=title, rows=rows, pictures=pictures, date1904=self.date1904)

    def _rows(self, path: str, title: str) -> tuple[list[Row], list[Picture]]:
        """Non-empty rows as (Excel row number, values), and the WPS in-cell pictures."""
        rows: list[Row] = []
        pictures: list[Picture] = []
        epoch = CALENDAR_MAC_1904 if self.date1904 else CALENDAR_WINDOWS_1900
        number = 0
        budget = (self.max_rows + HEADER_SCAN_ROWS) * CELLS_PER_ROW  # rows and cells read
        for element in self._elements(path):
            if _local(element.tag) != "row":
                continue
            budget -= 1 + len(element)
            if budget < 0:
                raise TooManyRows(title, self.max_rows)
            number = int(element.get("r") or number + 1)
            values: dict[int, Any] = {}
            position = -1
            for cell in element:
                ref = cell.get("r")
                position = _column(ref) if ref else position + 1
                if position >= MAX_COLUMNS:
                    continue
                value, formula = _cell(cell, self.shared)
                if _is_picture(value, formula):
                    pictures.append(Picture(number, position, in_cell=True))
                    value = value or f"={formula.removeprefix('_xlfn.')}"
                elif (
                    type(value) in (int, float)  # not a bool
                    and cell.get("s", "0") in self.date_styles
                ):
                    # Out of range: left as the number; the column's check says what is wrong.
                    with contextlib.suppress(ValueError, OverflowError):
                        value = from_excel(value, epoch)
                if value is not None and value != "":
                    values[position] = value
            element.clear()
            if values:
                rows.append((number, tuple(values.get(i) for i in range(max(values) + 1))))
                if len(rows) > self.max_rows + HEADER_SCAN_ROWS:
                    raise TooManyRows(title, self.max_rows)
        return rows, pictures

    def _floating_pictures(self, path: str) -> list[Picture]:
        """Pictures anchored over cells (the sheet's drawing), by their top-left corner."""
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


# -- .xls (BIFF, Excel 97-2003) --


def _xls_value(cell: Any, datemode: int) -> Any:
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
    return strip_controls(cell.value) if isinstance(cell.value, str) else cell.value


class _XlsBook(Book):
    """A legacy .xls through xlrd, one sheet in memory at a time. Pictures live in drawing
    records xlrd does not read; a DISPIMG formula's text still shows."""

    def __init__(self, book: Any, max_rows: int) -> None:
        self.book = book
        self.max_rows = max_rows
        self.titles = list(book.sheet_names())

    def read(self, index: int, into: type[S]) -> S:
        sheet = self.book.sheet_by_index(index)
        if (
            sheet.nrows * (1 + min(sheet.ncols, MAX_COLUMNS))
            > (self.max_rows + HEADER_SCAN_ROWS) * CELLS_PER_ROW
        ):
            raise TooManyRows(sheet.name, self.max_rows)
        rows: list[Row] = []
        pictures: list[Picture] = []
        for r in range(sheet.nrows):
            values = [_xls_value(c, self.book.datemode) for c in sheet.row(r)[:MAX_COLUMNS]]
            for position, value in enumerate(values):
                if _is_picture(value, ""):
                    pictures.append(Picture(r + 1, position, in_cell=True))
            while values and values[-1] in (None, ""):
                values.pop()
            if values:
                rows.append((r + 1, tuple(None if v == "" else v for v in values)))
                if len(rows) > self.max_rows + HEADER_SCAN_ROWS:
                    raise TooManyRows(sheet.name, self.max_rows)
        self.book.unload_sheet(index)
        return into(
            title=sheet.name, rows=rows, pictures=pictures, date1904=self.book.datemode == 1
        )


@contextlib.contextmanager
def open_book(data: bytes, *, xls: bool = False, max_rows: int) -> Iterator[Book]:
    """An .xlsx (or, with `xls`, a legacy .xls) workbook opened for reading.

    Raises TooManyRows when a sheet read has more than `max_rows` rows below its header
    rows (or more rows and cells, empty ones too, than such a sheet has), WorkbookError when
    an .xlsx would unpack to more than MAX_UNZIPPED bytes or one of its parts is compressed
    far more than office files are, and
    whatever the file's parser raises when it is damaged (see `unreadable`).
    """
    if xls:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
        try:
            yield _XlsBook(book, max_rows)
        finally:
            book.release_resources()
        return
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        # The sizes a zip declares bound what it unpacks to: zipfile reads no further.
        parts = archive.infolist()
        if sum(info.file_size for info in parts) > MAX_UNZIPPED or any(
            info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * info.compress_size
            for info in parts
        ):
            raise WorkbookError(_("文件解压后过大，请删除无关的工作表或分批导入"))
        yield _XlsxBook(archive, max_rows)


@contextlib.contextmanager
def unreadable(message: str) -> Iterator[None]:
    """Any failure inside but a WorkbookError becomes WorkbookError(message): a damaged or
    foreign file fails in many ways, and the user needs one sentence about it."""
    try:
        yield
    except WorkbookError:
        raise
    except Exception as exc:
        raise WorkbookError(message) from exc


def workbook_format(data: bytes, filename: str, *, max_bytes: int) -> str:
    """ "xlsx" or "xls", by the file's name, checked against its content.

    Raises WorkbookError for another kind of file, one larger than `max_bytes`, or one whose
    content is not what its name says (a renamed file, a web page saved as .xls).
    """
    name = filename.lower()
    if not name.endswith((".xlsx", ".xls")):
        raise WorkbookError(_("请上传 Excel 文件（.xlsx 或 .xls）"))
    if len(data) > max_bytes:
        raise WorkbookError(_("文件超过 %(n)d MB，请分批导入") % {"n": max_bytes // (1024 * 1024)})
    is_xls = name.endswith(".xls")
    claimed, other = (filetypes.XLS, filetypes.XLSX) if is_xls else (filetypes.XLSX, filetypes.XLS)
    head = data[: filetypes.HEAD]
    if not claimed.matches(head):
        if other.matches(head):
            raise WorkbookError(
                _("文件扩展名与内容不符：内容是 %(real)s 格式，请改正扩展名后重新上传")
                % {"real": ".xlsx" if is_xls else ".xls"}
            )
        raise WorkbookError(
            _(
                "文件不是有效的 Excel 工作簿（可能是网页或文本格式），请用 Excel 或 WPS 打开后另存为 .xlsx 再上传"
            )
        )
    return "xls" if is_xls else "xlsx"


# -- the header --


def _blank(values: tuple[Any, ...], position: int) -> bool:
    return position >= len(values) or values[position] in (None, "")


def find_header(
    sheet: Sheet, layout: Columns, *, min_hits: int = 1, needs: Collection[str] = ()
) -> bool:
    """Find the header rows by their labels; False when the sheet has none.

    The header is the row among the first HEADER_SCAN_ROWS that names the most columns (at
    least `min_hits`; with `needs`, one of those keys must be named in it or a row next to
    it). With the row above or below it, it is a two-row header when that row names other
    columns and is blank under this row's labels, as merged cells leave it. Sets the sheet's
    header rows, `columns` (the first of a column named twice; the others in `repeated`)
    and `labels` (every header cell's text, without line breaks).
    """
    sheet.layout = layout
    rows = sheet.rows

    def hits(index: int) -> dict[int, str]:
        values = rows[index][1]
        found = {pos: layout.key_of(v) for pos, v in enumerate(values) if v not in (None, "")}
        return {pos: key for pos, key in found.items() if key is not None}

    scanned = [hits(i) for i in range(min(len(rows), HEADER_SCAN_ROWS))]
    best = max(range(len(scanned)), key=lambda i: len(scanned[i]), default=-1)
    if best < 0 or len(scanned[best]) < max(min_hits, 1):
        return False
    near = {
        i: scanned[i] if i < len(scanned) else hits(i)
        for i in (best - 1, best, best + 1)
        if 0 <= i < len(rows)
    }
    if needs and not any(set(needs) & set(h.values()) for h in near.values()):
        return False  # a sheet of instructions or of something else, not this layout
    top = bottom = best
    merged = dict(near[best])
    for upper, lower in ((best - 1, best), (best, best + 1)):
        if upper not in near or lower not in near or rows[lower][0] != rows[upper][0] + 1:
            continue
        above, below = near[upper], near[lower]
        if above and below and all(_blank(rows[lower][1], pos) for pos in above):
            top, bottom = upper, lower
            merged = {**above, **below}
            break
    sheet.header_top, sheet.header_at = top, bottom
    for _number, values in rows[top : bottom + 1]:
        for pos, value in enumerate(values):
            if value not in (None, ""):
                sheet.labels[pos] = cell_text(value).replace("\n", "")
    for pos, key in sorted(merged.items()):
        if key in sheet.columns:
            sheet.repeated.append((pos, key))
        else:
            sheet.columns[key] = pos
    return True
