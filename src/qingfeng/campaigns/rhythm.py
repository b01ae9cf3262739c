"""The weekly rhythm's dates, pure: a week runs Monday–Sunday; its report is due on the
campaign's weekday of the next week, or the first working day after it when that is none."""

from __future__ import annotations

from datetime import date, timedelta

from qingfeng.lib.dates import month_last_day
from qingfeng.lib.workdays import WorkCalendar


def week_of(day: date) -> date:
    """The Monday of the week `day` falls in."""
    return day - timedelta(days=day.weekday())


def week_end(week_start: date) -> date:
    return week_start + timedelta(days=6)


def due_on(week_start: date, *, weekday: int, calendar: WorkCalendar) -> date:
    day = week_start + timedelta(days=7 + weekday)
    while not calendar.is_workday(day):
        day += timedelta(days=1)
    return day


def month_bounds(month: date) -> tuple[date, date]:
    return month.replace(day=1), month_last_day(month)
