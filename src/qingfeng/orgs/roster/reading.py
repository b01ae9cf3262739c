"""Reading a roster workbook: find each sheet's header row by its labels, keep every row.

Title rows, a "填报单位/日期" row, merged cells (only the top-left cell holds a value), columns
in any order and extra columns are all fine. Sheets are streamed, values only.
"""

from __future__ import annotations

import io
import posixpath
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.utils.translation import gettext as _

from qingfeng.orgs.roster.columns import (
    COLUMNS,
    ERROR_LABEL,
    LABELS,
    PEOPLE,
    SHEET_NAMES,
    cell_text,
    label_key,
)

MAX_ROWS = 100_000  # data rows per sheet
MAX_COLUMNS = 200  # cells past this column are ignored
MAX_UNZIPPED = 400 * 1024 * 1024  # a 20 MB upload must not expand into gigabytes
HEADER_SCAN_ROWS = 30


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int  # as Excel numbers it; 0 for the workbook as a whole
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class WorkbookError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class SheetData:
    kind: str
    title: str
    rows: list[tuple[int, tuple[Any, ...]]]  # non-empty rows: (Excel row number, values)
    header_at: int = -1  # index in `rows` of the last header row
    columns: dict[str, int] = field(default_factory=dict)  # column key -> position
    labels: dict[str, str] = field(default_factory=dict)  # column key -> label in the file
    error_position: int = 0  # where "错误说明" goes in the error workbook

    def label(self, key: str) -> str:
        return self.labels.get(key) or LABELS[self.kind][key]

    @cached_property
    def records(self) -> list[tuple[int, dict[str, str]]]:
        """Data rows as {column key: text}; rows blank in every known column are skipped."""
        return list(self._records())

    def _records(self) -> Iterator[tuple[int, dict[str, str]]]:
        for number, values in self.rows[self.header_at + 1 :]:
            cells = {
                key: cell_text(values[pos]) if pos < len(values) else ""
                for key, pos in self.columns.items()
            }
            if any(cells.values()):
                yield number, cells


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


def _value(cell: ET.Element, shared: list[str]) -> Any:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        return next((_text(c) for c in cell if _local(c.tag) == "is"), None)
    raw = next((c.text for c in cell if _local(c.tag) == "v"), None)
    if raw is None:
        return None
    if kind == "s":
        return shared[int(raw)]
    if kind == "b":
        return raw == "1"
    if kind != "n":  # "str" (a formula's text), "e" (#N/A …), "d" (an ISO date)
        return raw
    return int(raw) if raw.lstrip("-").isdigit() else float(raw)


class _Package:
    """The parts of an .xlsx we need, read with the standard library's streaming parser.

    openpyxl spends about 25 µs on each cell of a read-only sheet; this reads values only,
    about five times faster, which is what a 60,000-row roster needs.
    """

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        book = self._target("", "_rels/.rels", "/officeDocument")[0][1]
        folder, _slash, name = book.rpartition("/")
        rels = self._target(folder, f"{folder}/_rels/{name}.rels", "")
        shared = [path for rel_type, path, _id in rels if rel_type.endswith("/sharedStrings")]
        self.shared = self._shared_strings(shared[0]) if shared else []
        paths = {rel_id: path for rel_type, path, rel_id in rels if rel_type.endswith("/worksheet")}
        self.sheets = [
            (el.get("name", ""), paths[rel_id])
            for el in self._tree(book).iter()
            if _local(el.tag) == "sheet"
            and (rel_id := next((v for k, v in el.attrib.items() if _local(k) == "id"), ""))
            in paths
        ]

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
                strings.append(_text(element))
                element.clear()
        return strings

    def rows(self, path: str, title: str) -> list[tuple[int, tuple[Any, ...]]]:
        """The non-empty rows of a sheet as (Excel row number, values)."""
        rows: list[tuple[int, tuple[Any, ...]]] = []
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
                value = _value(cell, self.shared) if position < MAX_COLUMNS else None
                if value is not None and value != "":
                    values[position] = value
            element.clear()
            if values:
                rows.append((number, tuple(values.get(i) for i in range(max(values) + 1))))
                if len(rows) > MAX_ROWS + HEADER_SCAN_ROWS:
                    raise WorkbookError(
                        _("“%(sheet)s”工作表超过 %(n)d 行的上限，请分批导入")
                        % {"sheet": title, "n": MAX_ROWS}
                    )
        return rows


def _header_hits(values: tuple[Any, ...], lookup: dict[str, str]) -> dict[int, str]:
    return {pos: lookup[k] for pos, v in enumerate(values) if (k := label_key(v)) in lookup}


def _find_header(sheet: SheetData, errors: list[RowError]) -> None:
    lookup: dict[str, str] = {}
    for column in COLUMNS[sheet.kind]:
        for word in (column.label, *column.aliases):
            lookup.setdefault(label_key(word), column.key)
    best, hits = -1, dict[int, str]()
    for index, (_number, values) in enumerate(sheet.rows[:HEADER_SCAN_ROWS]):
        found = _header_hits(values, lookup)
        if len(found) > len(hits):
            best, hits = index, found
    if best < 0:
        sheet.error_position = max(len(values) for _n, values in sheet.rows)
        required = "、".join(c.label for c in COLUMNS[sheet.kind] if c.required)
        errors.append(
            RowError(
                sheet.title, 0, "", _("未找到表头行，表头须包含：%(cols)s") % {"cols": required}
            )
        )
        return
    number, values = sheet.rows[best]
    sheet.header_at = best
    # A two-level header (e.g. "联系方式" over "手机号"): the next row adds labels only in
    # columns the first header row leaves unnamed, and is empty under the named ones.
    if best + 1 < len(sheet.rows) and sheet.rows[best + 1][0] == number + 1:
        below = sheet.rows[best + 1][1]
        extra = _header_hits(below, lookup)
        if extra and not any(pos < len(below) and below[pos] not in (None, "") for pos in hits):
            hits = {**extra, **hits}
            sheet.header_at = best + 1
    headers = [sheet.rows[i][1] for i in range(best, sheet.header_at + 1)]
    header_number = sheet.rows[sheet.header_at][0]
    for pos, key in sorted(hits.items()):
        label = next(
            cell_text(h[pos]) for h in headers if pos < len(h) and label_key(h[pos]) in lookup
        )
        if key in sheet.columns:
            errors.append(
                RowError(
                    sheet.title, header_number, label, _("表头中“%(l)s”列重复出现") % {"l": label}
                )
            )
        sheet.columns.setdefault(key, pos)
        sheet.labels.setdefault(key, label)
    width = max(len(h) for h in headers)
    last = [pos for h in headers for pos in range(len(h)) if label_key(h[pos]) == ERROR_LABEL]
    sheet.error_position = last[0] if last else width
    for column in COLUMNS[sheet.kind]:
        if column.required and column.key not in sheet.columns:
            errors.append(
                RowError(
                    sheet.title,
                    header_number,
                    column.label,
                    _("缺少必填列“%(l)s”") % {"l": column.label},
                )
            )
    if sheet.kind == PEOPLE and not {"unit_code", "unit_name"} & set(sheet.columns):
        errors.append(
            RowError(
                sheet.title, header_number, "所在单位编码", _("缺少“所在单位编码”或“所在单位”列")
            )
        )


def read_roster(data: bytes) -> tuple[list[SheetData], list[RowError]]:
    """The "单位" and "人员" sheets of a workbook, with header errors (missing columns …)."""
    sheets: list[SheetData] = []
    errors: list[RowError] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED:
                raise WorkbookError(_("文件解压后过大，请删除无关的工作表或分批导入"))
            package = _Package(archive)
            for title, path in package.sheets:
                kind = next((k for k, names in SHEET_NAMES.items() if title.strip() in names), None)
                if kind is None or any(s.kind == kind for s in sheets):
                    continue
                sheet = SheetData(kind=kind, title=title, rows=package.rows(path, title))
                if sheet.rows:
                    _find_header(sheet, errors)
                    sheets.append(sheet)
    except WorkbookError:
        raise
    except Exception as exc:  # a damaged or foreign file fails in many ways
        raise WorkbookError(
            _("文件不是有效的 Excel 工作簿（.xlsx），请用 Excel 或 WPS 另存为 .xlsx 后再上传")
        ) from exc
    if not sheets:
        names = "、".join(title for title, _path in package.sheets)
        raise WorkbookError(
            _("工作簿中没有填写内容的“单位”或“人员”工作表（现有工作表：%(names)s）")
            % {"names": names}
        )
    if not errors and not any(s.records for s in sheets):
        raise WorkbookError(_("“单位”和“人员”工作表中都没有数据行"))
    return sheets, errors
