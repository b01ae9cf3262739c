"""Working-day arithmetic on the official Chinese calendar.

The calendar is data: a mapping of the days that differ from the plain Monday–Friday rule
(public holidays that fall on weekdays, and make-up working days that fall on weekends),
plus the set of years for which an official schedule is known. A year without a schedule
falls back to weekends only; callers can ask `is_official(year)` to say so on screen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class WorkCalendar:
    overrides: Mapping[date, bool] = field(default_factory=dict)  # day -> is a working day
    official_years: frozenset[int] = frozenset()

    def is_official(self, year: int) -> bool:
        return year in self.official_years

    def is_workday(self, day: date) -> bool:
        override = self.overrides.get(day)
        if override is not None:
            return override
        return day.weekday() < 5

    def add_workdays(self, start: date, n: int) -> date:
        """The date n working days after `start` (n=0: start itself if it is a working day,
        else the next working day). Negative n counts backwards."""
        step = 1 if n >= 0 else -1
        day = start
        if n == 0:
            while not self.is_workday(day):
                day += timedelta(days=1)
            return day
        remaining = abs(n)
        while remaining:
            day += timedelta(days=step)
            if self.is_workday(day):
                remaining -= 1
        return day

    def count_workdays(self, start: date, end: date) -> int:
        """Working days in the half-open interval (start, end]: the days a deadline at `end`
        leaves after `start`. Negative when end is before start."""
        if end < start:
            return -self.count_workdays(end, start)
        weeks, extra = divmod((end - start).days, 7)
        count = weeks * 5
        for offset in range(1, extra + 1):
            if (start + timedelta(days=offset)).weekday() < 5:
                count += 1
        for day, is_work in self.overrides.items():
            if start < day <= end:
                plain = day.weekday() < 5
                if is_work and not plain:
                    count += 1
                elif plain and not is_work:
                    count -= 1
        return count

    def workdays_between(self, start: date, end: date) -> Iterable[date]:
        day = start
        while day < end:
            day += timedelta(days=1)
            if self.is_workday(day):
                yield day
