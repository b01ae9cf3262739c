"""What a cell says: its text, a label or a choice word folded for comparison, a date.

Offices type the same thing many ways: full-width digits (１３８…), a phone Excel stored as
a number (13800001234.0), padded names (张  三), labels with marks (* 手机号（必填）), and dates
as date cells, Excel serial numbers, 2026年3月5日, 2026.3.5 or 2026-03-05 10:00. These
functions turn each into one form, so a comparison or a parser sees one thing.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta

from qingfeng.lib.dates import parse_date

_SPACE = re.compile(r"\s+")
_ISO_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]?\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
# The range a serial number is taken for a date in: 1910-01-01 … 2199-12-31.
_SERIAL_RANGE = (3653, 109575)


def cell_text(value: object) -> str:
    """A cell as text: 13800001234.0 (a phone Excel stored as a number) is "13800001234",
    True is 是, a date cell is 2026-03-05, zero-width marks and outer spaces are dropped."""
    if isinstance(value, str):  # most cells: the fast path
        return value.replace("\u200b", "").replace("\ufeff", "").strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, datetime) and value.time() == time.min:
        return value.date().isoformat()
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).replace("\u200b", "").replace("\ufeff", "").strip()


def fold(text: str) -> str:
    """Full-width to half-width, no spaces, lower case: for phones and choice words."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text)).lower()


def compact(text: str) -> str:
    """Full-width to half-width and no spaces, case kept: for codes and identifiers."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def label_key(value: object) -> str:
    """A header label folded: "* 手机号（必填）", "※手机号", "手 机\\n号" and "手机号：" are one."""
    text = fold(cell_text(value)).replace("*", "").replace("※", "").rstrip(":")
    return re.sub(r"\(.*?\)$", "", text)


def person_name(text: str) -> str:
    """A Chinese name without the spaces offices pad it with ("张  三" is 张三); a name in
    other letters keeps its spaces."""
    squeezed = _SPACE.sub("", text)
    return squeezed if all("\u4e00" <= ch <= "\u9fff" or ch == "·" for ch in squeezed) else text


def excel_serial_date(number: float, *, date1904: bool = False) -> date | None:
    """A date from an Excel serial number (a date cell without its style), in a sane range."""
    if not _SERIAL_RANGE[0] <= number <= _SERIAL_RANGE[1]:
        return None
    epoch = date(1904, 1, 1) if date1904 else date(1899, 12, 30)
    return epoch + timedelta(days=int(number))


def cell_date(value: object, *, date1904: bool = False) -> date | None:
    """The date a cell holds or says, or None.

    A date cell, an Excel serial number, or text in any form people type in China:
    2026年3月5日, 2026.3.5, 2026/3/5, 20260305, 2026-03-05 10:00, in full-width digits too.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return excel_serial_date(value, date1904=date1904)
    text = compact(str(value))
    if match := _ISO_TIME.match(text):
        text = match[1]
    return parse_date(text)
