"""The working-day calendar in force, loaded from the database and cached per process.

The cache is keyed by a version stamp (the latest change to the calendar tables), so an
admin's edit to next year's schedule takes effect on every app server without a restart.
"""

from __future__ import annotations

import threading
from datetime import date

from django.db import connection
from django.http import HttpRequest

from qingfeng.core.models import CalendarDay, CalendarYear
from qingfeng.lib.workdays import WorkCalendar

_lock = threading.Lock()
_cache: dict[str, tuple[tuple[object, ...], WorkCalendar]] = {}


def _version() -> tuple[object, ...]:
    """Changes with any insert, edit or delete of either table (edits bump updated_at).

    One statement for both tables: every deadline computed asks for it, so it is one round
    trip to the database rather than two (the public form computes two deadlines per report)."""
    quote = connection.ops.quote_name
    parts = []
    for model in (CalendarDay, CalendarYear):
        table = quote(model._meta.db_table)
        parts.append(
            f"SELECT MAX({quote('id')}), COUNT(*), MAX({quote('updated_at')}) FROM {table}"  # noqa: S608
        )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({parts[0]}) d, ({parts[1]}) y")  # noqa: S608 - model names
        row = cursor.fetchone()
    return tuple(row) if row else ()


def get_calendar() -> WorkCalendar:
    version = _version()
    with _lock:
        cached = _cache.get("default")
        if cached and cached[0] == version:
            return cached[1]
    calendar = WorkCalendar(
        overrides=dict(CalendarDay.objects.values_list("date", "is_workday")),
        official_years=frozenset(CalendarYear.objects.values_list("year", flat=True)),
    )
    with _lock:
        _cache["default"] = (version, calendar)
    return calendar


def calendar_for(request: HttpRequest) -> WorkCalendar:
    """The calendar once per request, however many parts of a page ask for it."""
    calendar: WorkCalendar | None = getattr(request, "_qf_calendar", None)
    if calendar is None:
        calendar = get_calendar()
        request._qf_calendar = calendar  # type: ignore[attr-defined]
    return calendar


def add_workdays(start: date, n: int) -> date:
    return get_calendar().add_workdays(start, n)


def count_workdays(start: date, end: date) -> int:
    return get_calendar().count_workdays(start, end)
