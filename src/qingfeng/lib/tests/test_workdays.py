"""WorkCalendar on hand-made and random calendars: the fast counting agrees with walking
day by day, and adding and counting working days are inverse to each other."""

from __future__ import annotations

from datetime import date, timedelta
from unittest import TestCase

from hypothesis import given
from hypothesis import strategies as st

from qingfeng.lib.workdays import WorkCalendar

START = date(2030, 1, 1)
END = date(2030, 12, 31)
days = st.dates(min_value=START, max_value=END)
# Random schedules: any day may be declared a holiday or a make-up working day.
calendars = st.dictionaries(days, st.booleans(), max_size=40).map(
    lambda overrides: WorkCalendar(overrides=overrides, official_years=frozenset({2030}))
)

# A week in 2030 with a holiday on Wednesday 2 Oct and a make-up Saturday 5 Oct.
OCT = WorkCalendar(
    overrides={date(2030, 10, 2): False, date(2030, 10, 5): True},
    official_years=frozenset({2030}),
)


class WorkCalendarTestCase(TestCase):
    def test_it_follows_overrides_then_weekdays(self) -> None:
        self.assertFalse(OCT.is_workday(date(2030, 10, 2)))  # Wednesday, holiday
        self.assertTrue(OCT.is_workday(date(2030, 10, 5)))  # Saturday, make-up day
        self.assertFalse(OCT.is_workday(date(2030, 10, 6)))  # Sunday
        self.assertTrue(OCT.is_workday(date(2030, 10, 7)))  # Monday

    def test_it_adds_across_a_holiday_and_a_make_up_day(self) -> None:
        # Tue 1 Oct + 1 skips the Wednesday holiday; + 4 lands on the make-up Saturday.
        self.assertEqual(OCT.add_workdays(date(2030, 10, 1), 1), date(2030, 10, 3))
        self.assertEqual(OCT.add_workdays(date(2030, 10, 1), 3), date(2030, 10, 5))
        self.assertEqual(OCT.add_workdays(date(2030, 10, 1), 4), date(2030, 10, 7))
        self.assertEqual(OCT.add_workdays(date(2030, 10, 7), -4), date(2030, 10, 1))

    def test_zero_rolls_forward_to_a_working_day(self) -> None:
        self.assertEqual(OCT.add_workdays(date(2030, 10, 1), 0), date(2030, 10, 1))
        self.assertEqual(OCT.add_workdays(date(2030, 10, 2), 0), date(2030, 10, 3))
        self.assertEqual(OCT.add_workdays(date(2030, 10, 6), 0), date(2030, 10, 7))

    def test_it_counts_the_half_open_interval(self) -> None:
        self.assertEqual(OCT.count_workdays(date(2030, 10, 1), date(2030, 10, 1)), 0)
        self.assertEqual(OCT.count_workdays(date(2030, 9, 30), date(2030, 10, 7)), 5)
        self.assertEqual(OCT.count_workdays(date(2030, 10, 7), date(2030, 9, 30)), -5)

    def test_a_year_without_a_schedule_is_not_official(self) -> None:
        self.assertTrue(OCT.is_official(2030))
        self.assertFalse(OCT.is_official(2031))

    @given(calendars, days, days)
    def test_count_agrees_with_walking_day_by_day(
        self, calendar: WorkCalendar, a: date, b: date
    ) -> None:
        lo, hi = min(a, b), max(a, b)
        walked = sum(
            calendar.is_workday(lo + timedelta(days=i)) for i in range(1, (hi - lo).days + 1)
        )
        self.assertEqual(calendar.count_workdays(lo, hi), walked)
        self.assertEqual(len(list(calendar.workdays_between(lo, hi))), walked)

    @given(calendars, days, st.integers(min_value=1, max_value=60))
    def test_adding_lands_on_a_workday_that_counts_back(
        self, calendar: WorkCalendar, start: date, n: int
    ) -> None:
        end = calendar.add_workdays(start, n)
        self.assertTrue(calendar.is_workday(end))
        self.assertEqual(calendar.count_workdays(start, end), n)
        # No working day is skipped: the day before `end` leaves one fewer.
        self.assertEqual(calendar.count_workdays(start, end - timedelta(days=1)), n - 1)

    @given(calendars, days, days, days)
    def test_count_is_antisymmetric_and_additive(
        self, calendar: WorkCalendar, a: date, b: date, c: date
    ) -> None:
        self.assertEqual(calendar.count_workdays(a, b), -calendar.count_workdays(b, a))
        self.assertEqual(
            calendar.count_workdays(a, b) + calendar.count_workdays(b, c),
            calendar.count_workdays(a, c),
        )
