"""The calendar in force, as migration core/0004_fill_calendar loads it, checked against the
State Council's published schedules for 2025 (国办发明电〔2024〕12号) and 2026
(国办发明电〔2025〕7号)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from qingfeng.core import calendar as calendar_module
from qingfeng.core.calendar import add_workdays, count_workdays, get_calendar
from qingfeng.core.models import CalendarDay, CalendarYear
from qingfeng.lib.workdays import WorkCalendar


def span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


class CalendarTestCase(HypothesisTestCase):
    def setUp(self) -> None:
        # Ids are reused after a test's rollback, so a calendar cached by an earlier test
        # could carry the same version stamp as this test's data.
        calendar_module._cache.clear()

    def assert_off(self, days: list[date]) -> None:
        cal = get_calendar()
        self.assertEqual([d for d in days if cal.is_workday(d)], [])

    def assert_working(self, *days: date) -> None:
        cal = get_calendar()
        self.assertEqual([d for d in days if not cal.is_workday(d)], [])

    def test_2025_matches_the_official_schedule(self) -> None:
        self.assertTrue(get_calendar().is_official(2025))
        self.assert_off([date(2025, 1, 1)])
        self.assert_off(span(date(2025, 1, 28), date(2025, 2, 4)))  # 春节
        self.assert_working(date(2025, 1, 26), date(2025, 2, 8))  # Sun, Sat
        self.assert_off(span(date(2025, 4, 4), date(2025, 4, 6)))  # 清明
        self.assert_off(span(date(2025, 5, 1), date(2025, 5, 5)))  # 劳动节
        self.assert_working(date(2025, 4, 27))  # Sun
        self.assert_off(span(date(2025, 5, 31), date(2025, 6, 2)))  # 端午
        self.assert_off(span(date(2025, 10, 1), date(2025, 10, 8)))  # 国庆 + 中秋
        self.assert_working(date(2025, 9, 28), date(2025, 10, 11))  # Sun, Sat
        self.assert_working(date(2025, 10, 9), date(2025, 10, 10))

    def test_2026_matches_the_official_schedule(self) -> None:
        self.assertTrue(get_calendar().is_official(2026))
        self.assert_off(span(date(2026, 1, 1), date(2026, 1, 3)))  # 元旦
        self.assert_working(date(2026, 1, 4))  # Sun
        self.assert_off(span(date(2026, 2, 15), date(2026, 2, 23)))  # 春节, nine days
        self.assert_working(date(2026, 2, 14), date(2026, 2, 28))  # Sat, Sat
        self.assert_off(span(date(2026, 4, 4), date(2026, 4, 6)))  # 清明
        self.assert_off(span(date(2026, 5, 1), date(2026, 5, 5)))  # 劳动节
        self.assert_working(date(2026, 5, 9))  # Sat
        self.assert_off(span(date(2026, 6, 19), date(2026, 6, 21)))  # 端午
        self.assert_off(span(date(2026, 9, 25), date(2026, 9, 27)))  # 中秋
        self.assert_off(span(date(2026, 10, 1), date(2026, 10, 7)))  # 国庆
        self.assert_working(date(2026, 9, 20), date(2026, 10, 10))  # Sun, Sat
        self.assert_working(date(2026, 10, 8), date(2026, 10, 9))

    def test_2026_has_exactly_the_published_make_up_days(self) -> None:
        make_up = CalendarDay.objects.filter(date__year=2026, is_workday=True)
        self.assertEqual(
            sorted(make_up.values_list("date", flat=True)),
            [
                date(2026, 1, 4),
                date(2026, 2, 14),
                date(2026, 2, 28),
                date(2026, 5, 9),
                date(2026, 9, 20),
                date(2026, 10, 10),
            ],
        )

    def test_rows_carry_chinese_names(self) -> None:
        self.assertEqual(CalendarDay.objects.get(date=date(2026, 2, 17)).name, "春节")
        self.assertEqual(CalendarDay.objects.get(date=date(2026, 2, 14)).name, "春节调休上班")

    def test_it_adds_across_the_spring_festival(self) -> None:
        # Fri 2026-02-13 + 1: the make-up Saturday 14th.  + 2: Tue 24th, after nine days off.
        self.assertEqual(add_workdays(date(2026, 2, 13), 1), date(2026, 2, 14))
        self.assertEqual(add_workdays(date(2026, 2, 13), 2), date(2026, 2, 24))
        self.assertEqual(count_workdays(date(2026, 2, 13), date(2026, 2, 28)), 6)
        # 2025: Fri 24 Jan + 1 is the make-up Sunday 26th; + 3 crosses 春节 to Wed 5 Feb.
        self.assertEqual(add_workdays(date(2025, 1, 24), 1), date(2025, 1, 26))
        self.assertEqual(add_workdays(date(2025, 1, 24), 3), date(2025, 2, 5))

    def test_it_adds_across_national_day(self) -> None:
        # 15 working days from Mon 2025-09-22 (the deadline a task gets in late September).
        self.assertEqual(add_workdays(date(2025, 9, 22), 15), date(2025, 10, 17))
        self.assertEqual(count_workdays(date(2025, 9, 30), date(2025, 10, 9)), 1)
        self.assertEqual(count_workdays(date(2026, 9, 30), date(2026, 10, 10)), 3)

    def test_a_year_without_data_falls_back_to_weekends(self) -> None:
        cal = get_calendar()
        self.assertFalse(cal.is_official(2031))
        self.assertTrue(cal.is_workday(date(2031, 1, 1)))  # a Wednesday, no schedule yet
        self.assertTrue(cal.is_workday(date(2031, 10, 1)))
        self.assertFalse(cal.is_workday(date(2031, 10, 4)))  # Saturday
        self.assertEqual(add_workdays(date(2031, 9, 30), 1), date(2031, 10, 1))

    def test_a_new_year_entered_by_an_admin_takes_effect(self) -> None:
        before = get_calendar()
        self.assertIs(get_calendar(), before)  # cached while nothing changes
        CalendarYear.objects.create(year=2031, source="国办发明电")
        CalendarDay.objects.create(date=date(2031, 1, 1), is_workday=False, name="元旦")
        CalendarDay.objects.create(date=date(2031, 1, 4), is_workday=True, name="元旦调休上班")
        after = get_calendar()
        self.assertTrue(after.is_official(2031))
        self.assertFalse(after.is_workday(date(2031, 1, 1)))
        self.assertTrue(after.is_workday(date(2031, 1, 4)))  # Saturday
        self.assertEqual(add_workdays(date(2030, 12, 31), 1), date(2031, 1, 2))

    def test_a_deleted_day_stops_counting(self) -> None:
        get_calendar()
        CalendarDay.objects.filter(date=date(2026, 10, 10)).delete()
        self.assertFalse(get_calendar().is_workday(date(2026, 10, 10)))

    def test_an_edited_day_takes_effect(self) -> None:
        get_calendar()
        day = CalendarDay.objects.get(date=date(2026, 10, 10))
        day.is_workday = False
        day.save()
        self.assertFalse(get_calendar().is_workday(date(2026, 10, 10)))


WINDOW = st.dates(min_value=date(2024, 12, 1), max_value=date(2027, 2, 28))


class OfficialCalendarPropertiesTestCase(HypothesisTestCase):
    """Properties over 2025–2026 (official) and the fallback years either side."""

    cal: WorkCalendar

    @classmethod
    def setUpTestData(cls) -> None:
        calendar_module._cache.clear()
        cls.cal = get_calendar()

    @given(WINDOW, st.integers(min_value=1, max_value=250))
    def test_adding_lands_on_a_workday(self, start: date, n: int) -> None:
        self.assertTrue(self.cal.is_workday(self.cal.add_workdays(start, n)))

    @given(WINDOW, st.integers(min_value=0, max_value=250))
    def test_counting_undoes_adding(self, start: date, n: int) -> None:
        end = self.cal.add_workdays(start, n)
        # n = 0 rolls a weekend or holiday forward to the next working day (documented), so
        # that day is the one working day after `start`.
        expected = n if n or self.cal.is_workday(start) else 1
        self.assertEqual(self.cal.count_workdays(start, end), expected)

    @given(WINDOW, WINDOW)
    def test_count_is_antisymmetric(self, a: date, b: date) -> None:
        self.assertEqual(self.cal.count_workdays(a, b), -self.cal.count_workdays(b, a))

    @given(WINDOW, WINDOW, WINDOW)
    def test_count_is_additive(self, a: date, b: date, c: date) -> None:
        self.assertEqual(
            self.cal.count_workdays(a, b) + self.cal.count_workdays(b, c),
            self.cal.count_workdays(a, c),
        )

    @given(WINDOW, WINDOW)
    def test_count_agrees_with_the_day_by_day_walk(self, a: date, b: date) -> None:
        lo, hi = min(a, b), max(a, b)
        self.assertEqual(
            self.cal.count_workdays(lo, hi), len(list(self.cal.workdays_between(lo, hi)))
        )
