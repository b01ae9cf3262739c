"""Parsing of the dates people type in China: 2026年11月5日, 2026-11-05, 2026.11.5, 2026/11/5."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo

_DATE = re.compile(r"^\s*(\d{4})\s*(?:年|-|\.|/)\s*(\d{1,2})\s*(?:月|-|\.|/)\s*(\d{1,2})\s*日?\s*$")
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")


def parse_date(text: str) -> date | None:
    """A date from any of the common forms, or None when the text is not one."""
    match = _DATE.match(text) or _COMPACT.match(text)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def day_bounds(start: date, end: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The aware instants from the start of `start` to the start of the day after `end` in
    `zone`: the half-open range of timestamps that fall on those days."""
    first = datetime.combine(start, time.min, tzinfo=zone)
    after = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone)
    return first, after


def month_last_day(day: date) -> date:
    """The last day of the month `day` falls in."""
    after = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return after - timedelta(days=1)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day when it has no such day
    (2024-02-29 plus 12 months is 2025-02-28; 01-31 plus one month is the end of February)."""
    index = day.month - 1 + months
    first = date(day.year + index // 12, index % 12 + 1, 1)
    return min(first + timedelta(days=day.day - 1), month_last_day(first))
