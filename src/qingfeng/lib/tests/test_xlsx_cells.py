"""What a cell says, as offices type it: phones stored as numbers, full-width digits, padded
names, marked labels, dates in every form; and the column specs and words built on them."""

from __future__ import annotations

from datetime import date, datetime, time

from django.db import models
from django.test import SimpleTestCase
from django.utils.translation import gettext_lazy as _
from hypothesis import given
from hypothesis import strategies as st

from qingfeng.lib.xlsx import (
    Column,
    Columns,
    cell_date,
    cell_text,
    chinese_labels,
    choice_words,
    compact,
    excel_serial_date,
    fold,
    label_key,
    person_name,
    yes_no,
)

FULL_WIDTH = str.maketrans("0123456789-./", "０１２３４５６７８９－．／")
any_date = st.dates(min_value=date(1911, 1, 1), max_value=date(2199, 12, 31))


def serial(day: date) -> int:
    """The number Excel stores for a day (the 1900 date system)."""
    return (day - date(1899, 12, 30)).days


class CellTextTestCase(SimpleTestCase):
    @given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
    def test_a_phone_stored_as_a_number_reads_as_its_digits(self, phone: str) -> None:
        self.assertEqual(cell_text(float(phone)), phone)
        self.assertEqual(cell_text(int(phone)), phone)

    def test_each_kind_of_value_reads_as_text(self) -> None:
        cases: list[tuple[object, str]] = [
            (None, ""),
            (True, "是"),
            (False, "否"),
            (2.5, "2.5"),
            (datetime(2026, 3, 5), "2026-03-05"),  # a date cell: no midnight
            (datetime(2026, 3, 5, 9, 30), "2026-03-05T09:30:00"),
            (date(2026, 3, 5), "2026-03-05"),
            (time(9, 30), "09:30:00"),
            ("\ufeff 张三\u200b ", "张三"),  # a BOM and zero-width spaces from a web form
        ]
        for value, text in cases:
            with self.subTest(value=value):
                self.assertEqual(cell_text(value), text)

    def test_folding_for_comparison(self) -> None:
        self.assertEqual(fold("１３８ ００００ １２３４"), "13800001234")
        self.assertEqual(fold("  YES "), "yes")
        self.assertEqual(compact("ｓ ０００１"), "s0001")
        self.assertEqual(compact("S 0001"), "S0001")  # codes keep their case

    def test_labels_ignore_marks_notes_and_line_breaks(self) -> None:
        for label in (
            "手机号",
            " * 手机号（必填）",
            "※手机号",
            "手机号：",
            "手 机\n号",
            "手机号(选填)",
        ):
            with self.subTest(label=label):
                self.assertEqual(label_key(label), "手机号")

    def test_padded_chinese_names_are_squeezed_others_are_not(self) -> None:
        self.assertEqual(person_name("张  三"), "张三")
        self.assertEqual(person_name("阿依古丽 · 买买提"), "阿依古丽·买买提")
        self.assertEqual(person_name("Anna Li"), "Anna Li")


class CellDateTestCase(SimpleTestCase):
    def test_the_forms_offices_write_a_date_in(self) -> None:
        day = date(2026, 3, 5)
        for value in (
            day,
            datetime(2026, 3, 5, 14, 0),
            serial(day),
            float(serial(day)),
            "2026年3月5日",
            "2026 年 3 月 5 日",
            "２０２６年３月５日",
            "2026.3.5",
            "2026/3/5",
            "2026-03-05",
            "2026-03-05 10:00",
            "2026-03-05T10:00:00",
            "20260305",
        ):
            with self.subTest(value=value):
                self.assertEqual(cell_date(value), day)

    def test_what_is_not_a_date(self) -> None:
        for value in (None, True, 12, 250_000, "", "尽快", "2026年2月30日", "3月5日", "2026-13-01"):
            with self.subTest(value=value):
                self.assertIsNone(cell_date(value))

    def test_a_1904_workbook_counts_from_1904(self) -> None:
        self.assertEqual(cell_date(44624, date1904=True), date(2026, 3, 5))
        self.assertEqual(excel_serial_date(44624, date1904=True), date(2026, 3, 5))

    @given(any_date)
    def test_every_spelling_and_the_serial_give_the_same_day(self, day: date) -> None:
        spellings = [f"{day.year}年{day.month}月{day.day}日", f"{day.year}.{day.month}.{day.day}"]
        spellings += [s.translate(FULL_WIDTH) for s in spellings]
        for text in spellings:
            self.assertEqual(cell_date(text), day, text)
        self.assertEqual(cell_date(serial(day)), day)


class Kind(models.TextChoices):
    SCHOOL = "school", _("学校")
    OTHER = "other", _("错误")  # a label the English catalogue has ("Errors")
    NONE = "", _("不适用")


class ColumnsTestCase(SimpleTestCase):
    layout = Columns(
        (
            Column("name", "姓名", required=True),
            Column("phone", "手机号", ("联系电话", "手机")),
            Column("unit", "单位名称", ("工作单位",), required=True),
        )
    )

    def test_labels_and_aliases_name_the_columns(self) -> None:
        self.assertEqual(self.layout.key_of("* 联系电话（必填）"), "phone")
        self.assertEqual(self.layout.key_of("手  机"), "phone")
        self.assertEqual(self.layout.key_of("工作单位："), "unit")
        self.assertIsNone(self.layout.key_of("备注"))
        self.assertIsNone(self.layout.key_of(None))
        self.assertEqual(self.layout.label("unit"), "单位名称")
        self.assertEqual([c.key for c in self.layout.required], ["name", "unit"])
        self.assertEqual([c.key for c in self.layout], ["name", "phone", "unit"])
        self.assertEqual(len(self.layout), 3)

    def test_an_alias_never_takes_a_label_of_an_earlier_column(self) -> None:
        layout = Columns((Column("a", "单位编码"), Column("b", "所在单位编码", ("单位编码",))))
        self.assertEqual(layout.key_of("单位编码"), "a")

    def test_choice_words_are_the_chinese_and_english_labels_and_the_codes(self) -> None:
        words = choice_words(Kind)
        self.assertEqual(words["学校"], "school")
        self.assertEqual(words["school"], "school")
        self.assertEqual(words["errors"], "other")  # English, folded
        self.assertEqual(words["错误"], "other")
        self.assertNotIn("", words)
        self.assertEqual(chinese_labels(Kind), {"school": "学校", "other": "错误"})

    def test_yes_and_no_in_the_usual_words_and_a_layouts_own(self) -> None:
        for text in ("是", "Y", "yes", "TRUE", "1", "√", "✓", "对", " 是 "):
            self.assertIs(yes_no(text), True, text)
        for text in ("否", "n", "No", "false", "0", "×", "✗", "无"):
            self.assertIs(yes_no(text), False, text)
        self.assertIsNone(yes_no("也许"))
        self.assertIsNone(yes_no(""))
        self.assertIs(yes_no("中共党员", yes={"中共党员"}), True)
        self.assertIs(yes_no("群众", no={"群众"}), False)
