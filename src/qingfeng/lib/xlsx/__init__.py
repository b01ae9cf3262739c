"""Office workbooks: reading the layouts offices use, and writing them back.

Knows no domain: an app describes its layout with `Columns` of `Column`s and keeps its own
checks; this package reads the file, finds the header, normalises what the cells say, and
writes exports, templates and the error workbook that marks the wrong cells.

    cells.py    what a cell says: text, folded labels and words, dates
    columns.py  column specs, choice words, 是/否 words
    reading.py  .xlsx / .xls reading, the header search, RowError and WorkbookError
    writing.py  safe cells, the office layout, the error workbook
"""

from __future__ import annotations

from qingfeng.lib.xlsx.cells import (
    cell_date,
    cell_text,
    compact,
    excel_serial_date,
    fold,
    label_key,
    person_name,
)
from qingfeng.lib.xlsx.columns import (
    FALSE_WORDS,
    TRUE_WORDS,
    Column,
    Columns,
    chinese_labels,
    choice_words,
    yes_no,
)
from qingfeng.lib.xlsx.reading import (
    HEADER_SCAN_ROWS,
    Book,
    Picture,
    Row,
    RowError,
    Sheet,
    TooManyRows,
    WorkbookError,
    find_header,
    open_book,
    unreadable,
    workbook_format,
)
from qingfeng.lib.xlsx.writing import (
    BAD_FILL,
    BAD_FONT,
    BODY_FONT,
    BORDER,
    DATE_FORMAT,
    ERROR_LABEL,
    HEADER_FILL,
    HEADER_FONT,
    OFFICE_ERRORS,
    PLAIN_ERRORS,
    TITLE_FONT,
    WARN_FILL,
    ColumnStyles,
    ErrorLook,
    Style,
    cell_value,
    chinese_date,
    office_sheet,
    safe,
    save,
    styled,
    write_error_sheet,
    write_error_summary,
)

__all__ = [
    "BAD_FILL",
    "BAD_FONT",
    "BODY_FONT",
    "BORDER",
    "DATE_FORMAT",
    "ERROR_LABEL",
    "FALSE_WORDS",
    "HEADER_FILL",
    "HEADER_FONT",
    "HEADER_SCAN_ROWS",
    "OFFICE_ERRORS",
    "PLAIN_ERRORS",
    "TITLE_FONT",
    "TRUE_WORDS",
    "WARN_FILL",
    "Book",
    "Column",
    "ColumnStyles",
    "Columns",
    "ErrorLook",
    "Picture",
    "Row",
    "RowError",
    "Sheet",
    "Style",
    "TooManyRows",
    "WorkbookError",
    "cell_date",
    "cell_text",
    "cell_value",
    "chinese_date",
    "chinese_labels",
    "choice_words",
    "compact",
    "excel_serial_date",
    "find_header",
    "fold",
    "label_key",
    "office_sheet",
    "open_book",
    "person_name",
    "safe",
    "save",
    "styled",
    "unreadable",
    "workbook_format",
    "write_error_sheet",
    "write_error_summary",
    "yes_no",
]
