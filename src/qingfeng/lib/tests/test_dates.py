"""Dates as people type them, both through lib.dates and through Django's DateField with the
project's FORMAT_MODULE_PATH formats, in Chinese and in English."""

from __future__ import annotations

from datetime import date

from django import forms
from django.test import SimpleTestCase
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from qingfeng.lib.dates import add_months, parse_date

TYPED = ["2026年11月5日", "2026-11-05", "2026.11.5", "2026/11/5", "2026年11月05日", "20261105"]
INVALID = ["2026年2月30日", "2026-13-01", "2026/0/5", "2026.11.31", "26-11-5", "明天", "2026年11月"]
any_date = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


def spellings(d: date) -> list[str]:
    return [
        f"{d.year}年{d.month}月{d.day}日",
        f"{d:%Y-%m-%d}",
        f"{d.year}.{d.month}.{d.day}",
        f"{d.year}/{d.month}/{d.day}",
        f"{d:%Y年%m月%d日}",
    ]


class DateFieldTestCase(SimpleTestCase):
    def test_it_accepts_what_offices_type(self) -> None:
        field = forms.DateField()
        for language in ("zh-hans", "en"):
            for text in TYPED:
                with self.subTest(language=language, text=text), translation.override(language):
                    self.assertEqual(field.clean(text), date(2026, 11, 5))

    def test_it_rejects_impossible_dates(self) -> None:
        field = forms.DateField()
        for language in ("zh-hans", "en"):
            for text in INVALID:
                with (
                    self.subTest(language=language, text=text),
                    translation.override(language),
                    self.assertRaises(forms.ValidationError),
                ):
                    field.clean(text)

    def test_the_error_is_in_the_active_language(self) -> None:
        with translation.override("zh-hans"), self.assertRaises(forms.ValidationError) as ctx:
            forms.DateField().clean("2026年2月30日")
        self.assertIn("日期", ctx.exception.messages[0])

    def test_dates_are_shown_the_chinese_way(self) -> None:
        from django.utils.formats import date_format

        with translation.override("zh-hans"):
            self.assertEqual(date_format(date(2026, 11, 5)), "2026年11月5日")
            self.assertEqual(date_format(date(2026, 11, 5), "SHORT_DATE_FORMAT"), "2026-11-05")

    @given(any_date)
    def test_every_spelling_of_every_date_is_accepted(self, d: date) -> None:
        field = forms.DateField()
        with translation.override("zh-hans"):
            for text in spellings(d):
                self.assertEqual(field.clean(text), d)


class ParseDateTestCase(SimpleTestCase):
    def test_it_reads_the_common_forms(self) -> None:
        for text in [*TYPED, " 2026 年 11 月 5 日 ", "2026-11-5"]:
            with self.subTest(text=text):
                self.assertEqual(parse_date(text), date(2026, 11, 5))

    def test_it_returns_none_for_anything_else(self) -> None:
        for text in [*INVALID, "", "2026-11-05 10:00", "05/11/2026"]:
            with self.subTest(text=text):
                self.assertIsNone(parse_date(text))

    @given(any_date)
    def test_every_spelling_round_trips(self, d: date) -> None:
        for text in spellings(d):
            self.assertEqual(parse_date(text), d)

    @given(st.text(max_size=20))
    def test_it_never_raises(self, text: str) -> None:
        result = parse_date(text)
        self.assertTrue(result is None or isinstance(result, date))


class AddMonthsTestCase(SimpleTestCase):
    def test_it_keeps_the_day_or_takes_the_month_end(self) -> None:
        cases = [
            (date(2026, 3, 15), 12, date(2027, 3, 15)),
            (date(2024, 2, 29), 12, date(2025, 2, 28)),
            (date(2026, 1, 31), 1, date(2026, 2, 28)),
            (date(2026, 11, 30), 3, date(2027, 2, 28)),
            (date(2026, 8, 31), 6, date(2027, 2, 28)),
            (date(2027, 12, 1), 6, date(2028, 6, 1)),
        ]
        for start, months, expected in cases:
            with self.subTest(start=start, months=months):
                self.assertEqual(add_months(start, months), expected)

    @given(st.dates(min_value=date(1900, 1, 1), max_value=date(2090, 12, 31)), st.integers(0, 60))
    def test_it_lands_in_the_right_month_never_earlier(self, start: date, months: int) -> None:
        out = add_months(start, months)
        self.assertEqual(out.year * 12 + out.month, start.year * 12 + start.month + months)
        self.assertLessEqual(out.day, start.day)
