"""Reading a roster workbook: its "单位" and "人员" sheets, each header found by its labels.

Title rows, a "填报单位/日期" row, merged cells, columns in any order and extra columns are
all fine (qingfeng.lib.xlsx reads them). Only the roster's sheets are read, values only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from django.utils.translation import gettext as _

from qingfeng.lib.xlsx import (
    ERROR_LABEL,
    RowError,
    Sheet,
    WorkbookError,
    cell_text,
    find_header,
    label_key,
    open_book,
    unreadable,
)
from qingfeng.orgs.roster.columns import COLUMNS, PEOPLE, SHEET_NAMES

MAX_ROWS = 100_000  # data rows per sheet


@dataclass
class SheetData(Sheet):
    kind: str = ""
    error_position: int = 0  # where "错误说明" goes in the error workbook

    @cached_property
    def records(self) -> list[tuple[int, dict[str, str]]]:
        """Data rows as {column key: text}; rows blank in every known column are skipped."""
        return list(self._records())

    def _records(self) -> Iterator[tuple[int, dict[str, str]]]:
        for number, values in self.data_rows():
            cells = {key: cell_text(value) for key, value in self.cells(values).items()}
            if any(cells.values()):
                yield number, cells


def _check_header(sheet: SheetData, errors: list[RowError]) -> None:
    layout = COLUMNS[sheet.kind]
    if not find_header(sheet, layout):
        sheet.error_position = sheet.width
        required = "、".join(c.label for c in layout.required)
        errors.append(
            RowError(
                sheet.title, 0, "", _("未找到表头行，表头须包含：%(cols)s") % {"cols": required}
            )
        )
        return
    number = sheet.header_number
    for pos, _key in sheet.repeated:
        label = sheet.labels[pos]
        errors.append(
            RowError(sheet.title, number, label, _("表头中“%(l)s”列重复出现") % {"l": label})
        )
    # A re-uploaded error workbook: its notes column is where the new notes go.
    headers = [values for _n, values in sheet.rows[sheet.header_top : sheet.header_at + 1]]
    last = [pos for h in headers for pos in range(len(h)) if label_key(h[pos]) == ERROR_LABEL]
    sheet.error_position = last[0] if last else max(len(h) for h in headers)
    for column in layout.required:
        if column.key not in sheet.columns:
            errors.append(
                RowError(
                    sheet.title, number, column.label, _("缺少必填列“%(l)s”") % {"l": column.label}
                )
            )
    if sheet.kind == PEOPLE and not {"unit_code", "unit_name"} & set(sheet.columns):
        errors.append(
            RowError(sheet.title, number, "所在单位编码", _("缺少“所在单位编码”或“所在单位”列"))
        )


def read_roster(data: bytes) -> tuple[list[SheetData], list[RowError]]:
    """The "单位" and "人员" sheets of a workbook, with header errors (missing columns …)."""
    sheets: list[SheetData] = []
    errors: list[RowError] = []
    invalid = _("文件不是有效的 Excel 工作簿（.xlsx），请用 Excel 或 WPS 另存为 .xlsx 后再上传")
    with unreadable(invalid), open_book(data, max_rows=MAX_ROWS) as book:
        for index, title in enumerate(book.titles):
            kind = next((k for k, names in SHEET_NAMES.items() if title.strip() in names), None)
            if kind is None or any(s.kind == kind for s in sheets):
                continue
            sheet = book.read(index, SheetData)
            sheet.kind = kind
            if sheet.rows:
                _check_header(sheet, errors)
                sheets.append(sheet)
        names = "、".join(book.titles)
    if not sheets:
        raise WorkbookError(
            _("工作簿中没有填写内容的“单位”或“人员”工作表（现有工作表：%(names)s）")
            % {"names": names}
        )
    if not errors and not any(s.records for s in sheets):
        raise WorkbookError(_("“单位”和“人员”工作表中都没有数据行"))
    return sheets, errors
