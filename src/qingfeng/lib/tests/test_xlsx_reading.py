"""Reading workbooks as offices send them: WPS and LibreOffice forms with title rows and
merged two-row headers, legacy .xls, dates in every form, pictures, and broken files."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from unittest import mock

import xlwt
from django.test import SimpleTestCase
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from qingfeng.lib.xlsx import (
    Column,
    Columns,
    Sheet,
    TooManyRows,
    WorkbookError,
    cell_date,
    cell_text,
    find_header,
    fold,
    open_book,
    person_name,
    reading,
    unreadable,
    workbook_format,
)

# An attendance form as a county office lays it out: 联系方式 and 培训情况 are merged group
# labels over their columns, the other labels are merged down both header rows.
LAYOUT = Columns(
    (
        Column("seq", "序号"),
        Column("name", "姓名", required=True),
        Column("unit", "工作单位", ("单位名称", "所在单位")),
        Column("phone", "手机号", ("联系电话", "手机号码"), group="联系方式"),
        Column("office", "办公电话", ("座机",), group="联系方式"),
        Column("day", "培训日期", ("日期",), group="培训情况"),
        Column("attended", "是否参训", ("参训",), group="培训情况"),
        Column("remarks", "备注"),
    )
)
HEADER = [("", "序号"), ("", "姓名"), ("", "工作单位")]
HEADER += [("联系方式", "手机号"), ("联系方式", "办公电话")]
HEADER += [("培训情况", "培训日期"), ("培训情况", "是否参训"), ("", "备注")]
MARCH_5 = date(2026, 3, 5)
MARCH_5_SERIAL = (MARCH_5 - date(1899, 12, 30)).days
DATA: list[list[Any]] = [
    [
        1,
        "张  三",
        "东城区实验小学",
        "１３８００００１２３４",
        "0571-88886666",
        "2026年3月5日",
        "是",
    ],
    [2, "李四", "东城区第二中学", 13800005678, None, "2026.3.5", "否"],
    [3, "王五", "东城区第二中学", "13800009999", None, MARCH_5_SERIAL, "√", "补训"],
]


def office_sheet(ws: Worksheet, *, date_cell: bool = True) -> None:
    """The form filled in as WPS or LibreOffice saves it: a merged title, the 填报单位 row, a
    merged two-row header, then data (one 培训日期 a real date cell)."""
    width = len(HEADER)
    ws.cell(1, 1, "东城区2026年师德培训签到表")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(2, 1, "填报单位：东城区教育局")
    ws.cell(2, width - 2, "填报日期：2026年3月6日")
    for i, (group, label) in enumerate(HEADER, start=1):
        if not group:
            ws.cell(3, i, label)
            ws.merge_cells(start_row=3, start_column=i, end_row=4, end_column=i)
        else:
            if i == 1 or HEADER[i - 2][0] != group:
                ws.cell(3, i, group)
                span = sum(1 for g, _label in HEADER if g == group)
                ws.merge_cells(start_row=3, start_column=i, end_row=3, end_column=i + span - 1)
            ws.cell(4, i, label)
    for r, values in enumerate(DATA, start=5):
        for c, value in enumerate(values, start=1):
            ws.cell(r, c, value)
    if date_cell:
        ws.cell(8, 6, datetime(2026, 3, 5)).number_format = 'yyyy"年"m"月"d"日"'
        ws.cell(8, 2, "赵六")


def xlsx(build: Callable[[Worksheet], None], title: str = "表1") -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = title
    build(ws)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def office_xls() -> bytes:
    """The same form from an older office, saved as .xls (BIFF8)."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("签到表")
    width = len(HEADER)
    sheet.write_merge(0, 0, 0, width - 1, "东城区2026年师德培训签到表")
    sheet.write(1, 0, "填报单位：东城区教育局")
    for i, (group, label) in enumerate(HEADER):
        if not group:
            sheet.write_merge(2, 3, i, i, label)
        else:
            if i == 0 or HEADER[i - 1][0] != group:
                span = sum(1 for g, _label in HEADER if g == group)
                sheet.write_merge(2, 2, i, i + span - 1, group)
            sheet.write(3, i, label)
    for r, values in enumerate(DATA, start=4):
        for c, value in enumerate(values):
            if value is not None:
                sheet.write(r, c, value)
    sheet.write(7, 1, "赵六")
    sheet.write(7, 5, MARCH_5, xlwt.easyxf(num_format_str="YYYY-MM-DD"))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELS = 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def package(
    sheet: str, *, styles: str = "", book_pr: str = "", extra: dict[str, str] | None = None
) -> bytes:
    """A minimal .xlsx written part by part, as other producers than openpyxl do."""
    parts = {
        "_rels/.rels": f'<Relationships {RELS}><Relationship Id="rId1" '
        f'Type="{TYPE}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook {NS} xmlns:r="{TYPE}">{book_pr}'
        '<sheets><sheet name="表1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships {RELS}><Relationship Id="rId1" '
        f'Type="{TYPE}/worksheet" Target="worksheets/sheet1.xml"/>'
        + (f'<Relationship Id="rId2" Type="{TYPE}/styles" Target="styles.xml"/>' if styles else "")
        + "</Relationships>",
        "xl/worksheets/sheet1.xml": f"<worksheet {NS}><sheetData>{sheet}</sheetData></worksheet>",
        **({"xl/styles.xml": f"<styleSheet {NS}>{styles}</styleSheet>"} if styles else {}),
        **(extra or {}),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, xml in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + xml)
    return buffer.getvalue()


def first_sheet(data: bytes, *, xls: bool = False, max_rows: int = 1000) -> Sheet:
    with open_book(data, xls=xls, max_rows=max_rows) as book:
        return book.read(0, Sheet)


@dataclass
class FormSheet(Sheet):
    """A layout's own sheet type, as an app keeps what it reads besides."""

    heading: str = ""


class HeaderTestCase(SimpleTestCase):
    def test_it_finds_a_merged_two_row_header_under_the_title_rows(self) -> None:
        sheet = first_sheet(xlsx(office_sheet))
        self.assertTrue(find_header(sheet, LAYOUT))
        self.assertEqual((sheet.rows[sheet.header_top][0], sheet.header_number), (3, 4))
        self.assertEqual(
            sheet.columns,
            {
                **{"seq": 0, "name": 1, "unit": 2, "phone": 3, "office": 4},
                **{"day": 5, "attended": 6, "remarks": 7},
            },
        )
        # The header rows' text by position: a column's own label over its group's.
        self.assertEqual(sheet.labels[3], "手机号")
        self.assertEqual(sheet.labels[7], "备注")
        self.assertEqual(sheet.label("remarks"), "备注")
        self.assertEqual([n for n, _values in sheet.data_rows()], [5, 6, 7, 8])
        first = sheet.cells(sheet.data_rows()[0][1])
        self.assertEqual(person_and_phone(first), ("张三", "13800001234"))
        self.assertNotIn("remarks", first)  # blank cells are left out

    def test_the_same_form_as_a_legacy_xls_reads_the_same(self) -> None:
        sheet = first_sheet(office_xls(), xls=True)
        self.assertTrue(find_header(sheet, LAYOUT))
        expected = first_sheet(xlsx(office_sheet))
        find_header(expected, LAYOUT)
        self.assertEqual(sheet.columns, expected.columns)
        self.assertEqual(sheet.header_number, 4)
        rows = [sheet.cells(values) for _n, values in sheet.data_rows()]
        self.assertEqual(rows[1]["phone"], 13800005678)  # a number cell, read as an int
        self.assertEqual(rows[3]["day"], datetime(2026, 3, 5))  # a date cell, by its format
        self.assertEqual([cell_date(r["day"]) for r in rows], [MARCH_5] * 4)

    def test_the_lower_header_row_may_name_more_columns_than_the_upper(self) -> None:
        def build(ws: Worksheet) -> None:
            ws.append(["人员名册"])
            ws.append(["姓名", "联系方式", None, None, "备注"])
            ws.append([None, "手机号", "办公电话", "工作单位"])
            ws.append(["张三", "13800001234", "88886666", "东城区实验小学", "无"])

        sheet = first_sheet(xlsx(build))
        self.assertTrue(find_header(sheet, LAYOUT))
        self.assertEqual((sheet.header_top, sheet.header_at), (1, 2))
        self.assertEqual(set(sheet.columns), {"name", "phone", "office", "unit", "remarks"})

    def test_a_row_of_data_under_a_one_row_header_is_not_taken_for_header(self) -> None:
        def build(ws: Worksheet) -> None:
            ws.append(["* 姓名（必填）", "手机号码", "日期"])
            ws.append(["张三", "13800001234", "2026-03-05"])

        sheet = first_sheet(xlsx(build))
        self.assertTrue(find_header(sheet, LAYOUT))
        self.assertEqual((sheet.header_top, sheet.header_at), (0, 0))
        self.assertEqual(sheet.label("name"), "* 姓名（必填）")  # as the file writes it
        self.assertEqual(sheet.label("unit"), "工作单位")  # not in the file: the layout's

    def test_a_column_named_twice_is_kept_once_and_reported(self) -> None:
        def build(ws: Worksheet) -> None:
            ws.append(["姓名", "手机号", "联系电话", "整改\n时限"])

        sheet = first_sheet(xlsx(build))
        self.assertTrue(find_header(sheet, LAYOUT))
        self.assertEqual(sheet.columns["phone"], 1)
        self.assertEqual(sheet.repeated, [(2, "phone")])
        self.assertEqual(sheet.labels[3], "整改时限")  # a wrapped label, without its break

    def test_a_sheet_without_the_layouts_labels_has_no_header(self) -> None:
        def build(ws: Worksheet) -> None:
            ws.append(["填写说明"])
            ws.append(["姓名", "请填写全名"])

        sheet = first_sheet(xlsx(build))
        self.assertTrue(find_header(sheet, LAYOUT))
        self.assertFalse(find_header(first_sheet(xlsx(build)), LAYOUT, min_hits=2))
        self.assertFalse(find_header(first_sheet(xlsx(build)), LAYOUT, needs=("phone",)))
        empty = Sheet("空", [])
        self.assertFalse(find_header(empty, LAYOUT))
        self.assertEqual((empty.header_number, empty.width, empty.label("name")), (0, 0, "姓名"))


def person_and_phone(cells: dict[str, Any]) -> tuple[str, str]:
    return person_name(cell_text(cells["name"])), fold(cell_text(cells["phone"]))


class ValuesTestCase(SimpleTestCase):
    def test_dates_come_as_the_office_wrote_them(self) -> None:
        sheet = first_sheet(xlsx(office_sheet))
        find_header(sheet, LAYOUT)
        days = [sheet.cells(values)["day"] for _n, values in sheet.data_rows()]
        self.assertEqual(days, ["2026年3月5日", "2026.3.5", MARCH_5_SERIAL, datetime(2026, 3, 5)])
        self.assertEqual({cell_date(d) for d in days}, {MARCH_5})

    def test_chinese_excels_built_in_date_formats_are_dates(self) -> None:
        # numFmtId 31 is "yyyy年m月d日" in Chinese Excel; openpyxl's table does not know it.
        styles = '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="31"/></cellXfs>'
        row = f'<row r="1"><c r="A1" s="1"><v>{MARCH_5_SERIAL}</v></c><c r="B1"><v>7</v></c></row>'
        sheet = first_sheet(package(row, styles=styles))
        self.assertEqual(sheet.rows, [(1, (datetime(2026, 3, 5), 7))])

    def test_a_1904_workbook_counts_its_dates_from_1904(self) -> None:
        styles = '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs>'
        row = '<row r="1"><c r="A1" s="1"><v>44624</v></c></row>'
        sheet = first_sheet(package(row, styles=styles, book_pr='<workbookPr date1904="1"/>'))
        self.assertTrue(sheet.date1904)
        self.assertEqual(sheet.rows, [(1, (datetime(2026, 3, 5),))])

    def test_cells_of_every_type_and_rows_without_references(self) -> None:
        rows = (
            '<row r="2"><c r="A2" t="inlineStr"><is><r><t>王</t></r><r><t>小明</t></r>'
            '<rPh><t>wang</t></rPh></is></c><c r="C2" t="b"><v>1</v></c>'
            '<c r="D2" t="e"><v>#N/A</v></c><c r="E2"><v>-3</v></c><c r="F2"><v>2.5</v></c></row>'
            '<row><c t="str"><v>S0001</v></c><c/><c t="inlineStr"><is><t></t></is></c></row>'
        )
        sheet = first_sheet(package(rows))
        self.assertEqual(
            sheet.rows, [(2, ("王小明", None, True, "#N/A", -3, 2.5)), (3, ("S0001",))]
        )

    def test_pictures_are_listed_by_cell(self) -> None:
        drawing = (
            '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing">'
            "<xdr:twoCellAnchor><xdr:from><xdr:col>2</xdr:col><xdr:row>4</xdr:row></xdr:from>"
            "<xdr:pic/></xdr:twoCellAnchor>"
            "<xdr:twoCellAnchor><xdr:from><xdr:col>1</xdr:col><xdr:row>1</xdr:row></xdr:from>"
            "<xdr:graphicFrame/></xdr:twoCellAnchor></xdr:wsDr>"
        )
        extra = {
            "xl/worksheets/_rels/sheet1.xml.rels": f'<Relationships {RELS}><Relationship Id="rId9" '
            f'Type="{TYPE}/drawing" Target="../drawings/drawing1.xml"/></Relationships>',
            "xl/drawings/drawing1.xml": drawing,
        }
        # WPS saves an in-cell picture as a formula with its own text as the cached value.
        row = (
            '<row r="2"><c r="A2" t="str"><f>_xlfn.DISPIMG("ID_4F5D",1)</f>'
            '<v>=DISPIMG("ID_4F5D",1)</v></c><c r="B2" t="str"><f>_xlfn.DISPIMG("ID_1",1)</f>'
            "</c></row>"
        )
        sheet = first_sheet(package(row, extra=extra))
        self.assertEqual(
            [(p.row, p.position, p.in_cell) for p in sheet.pictures],
            [(2, 0, True), (2, 1, True), (5, 2, False)],  # the chart is not a picture
        )
        self.assertEqual(sheet.rows, [(2, ('=DISPIMG("ID_4F5D",1)', '=DISPIMG("ID_1",1)'))])

    def test_a_book_reads_each_sheet_into_the_layouts_own_type(self) -> None:
        book = Workbook()
        book.active.title = "说明"
        office_sheet(book.create_sheet("签到表"))
        buffer = io.BytesIO()
        book.save(buffer)
        with open_book(buffer.getvalue(), max_rows=100) as opened:
            self.assertEqual(opened.titles, ["说明", "签到表"])
            sheets = list(opened.sheets(FormSheet))
        self.assertEqual([(s.title, len(s.rows)) for s in sheets], [("说明", 0), ("签到表", 8)])
        self.assertIsInstance(sheets[1], FormSheet)


class LimitsTestCase(SimpleTestCase):
    def test_a_sheet_over_the_row_limit_is_refused(self) -> None:
        rows = reading.HEADER_SCAN_ROWS + 4  # up to 30 title and header rows, 4 data rows

        def build(ws: Worksheet) -> None:
            for i in range(rows):
                ws.append([i + 1])

        old = xlwt.Workbook()
        sheet = old.add_sheet("表1")
        for i in range(rows):
            sheet.write(i, 0, i + 1)
        buffer = io.BytesIO()
        old.save(buffer)
        for data, xls in ((xlsx(build), False), (buffer.getvalue(), True)):
            with self.subTest(xls=xls), self.assertRaises(TooManyRows) as caught:
                first_sheet(data, xls=xls, max_rows=3)
            self.assertEqual(caught.exception.message, "“表1”工作表超过 3 行的上限，请分批导入")
            self.assertEqual(first_sheet(data, xls=xls, max_rows=4).rows[-1], (rows, (rows,)))

    def test_a_file_that_unpacks_too_large_is_refused(self) -> None:
        with mock.patch.object(reading, "MAX_UNZIPPED", 1000), self.assertRaises(WorkbookError):
            first_sheet(xlsx(office_sheet))

    def test_a_zip_bomb_is_refused_before_it_is_parsed(self) -> None:
        # ~330 KB of one repeated row that unpacks to ~100 MB, as an attacker uploaded it.
        honest = zipfile.ZipFile(io.BytesIO(xlsx(office_sheet)))
        bomb = io.BytesIO()
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for info in honest.infolist():
                if info.filename != "xl/worksheets/sheet1.xml":
                    archive.writestr(info.filename, honest.read(info.filename))
            row = '<row><c t="inlineStr"><is><t>欧阳</t></is></c></row>'
            rows = row * (100 * 1024 * 1024 // len(row.encode()))
            archive.writestr(
                "xl/worksheets/sheet1.xml",
                f"<worksheet {NS}><sheetData>{rows}</sheetData></worksheet>",
            )
        data = bomb.getvalue()
        self.assertLess(len(data), 400 * 1024)
        with (
            self.assertRaises(WorkbookError) as caught,
            mock.patch.object(reading, "_XlsxBook", side_effect=AssertionError("parsed")),
        ):
            first_sheet(data, max_rows=100_000)
        self.assertEqual(caught.exception.message, "文件解压后过大，请删除无关的工作表或分批导入")

    def test_a_sheet_of_endless_empty_rows_is_refused_while_it_is_read(self) -> None:
        # Compressed only a little (no bomb), but thousands of rows with nothing in them.
        sheet = (
            '<row><c r="A1"/><c r="B1"/></row>' * 5000
            + '<row><c t="inlineStr"><is><t>1</t></is></c></row>'
        )
        with self.assertRaises(TooManyRows):
            first_sheet(package(sheet), max_rows=10)
        self.assertEqual(len(first_sheet(package(sheet), max_rows=1000).rows), 1)

    def test_control_characters_in_cells_are_removed_and_text_composed(self) -> None:
        # What XML lets through: C1 controls, DEL, bidi overrides, decomposed accents.
        sheet = (
            '<row><c r="A1" t="inlineStr"><is><t>司马\u0085光\u202e</t></is></c>'
            '<c r="B1" t="str"><v>诸葛\u007f亮e\u0301</v></c></row>'
        )
        self.assertEqual(first_sheet(package(sheet)).rows, [(1, ("司马光", "诸葛亮é"))])

    def test_the_format_is_checked_against_the_name(self) -> None:
        data = xlsx(office_sheet)
        self.assertEqual(workbook_format(data, "签到表.XLSX", max_bytes=10**6), "xlsx")
        self.assertEqual(workbook_format(office_xls(), "签到表.xls", max_bytes=10**6), "xls")
        cases = [
            (data, "签到表.csv", 10**6, "请上传 Excel 文件"),
            (data, "签到表.xlsx", 100, "文件超过 0 MB"),
            (data, "签到表.xls", 10**6, "扩展名与内容不符"),
            (b"<html><table></table></html>", "签到表.xls", 10**6, "可能是网页或文本格式"),
        ]
        for content, name, limit, words in cases:
            with self.subTest(name=name, words=words), self.assertRaises(WorkbookError) as caught:
                workbook_format(content, name, max_bytes=limit)
            self.assertIn(words, caught.exception.message)

    def test_a_damaged_file_becomes_one_sentence(self) -> None:
        with self.assertRaises(WorkbookError) as caught, unreadable("文件已损坏"):
            first_sheet(b"PK\x03\x04broken")
        self.assertEqual(caught.exception.message, "文件已损坏")
        self.assertIsNotNone(caught.exception.__cause__)
        # A WorkbookError keeps its own words.
        with self.assertRaises(TooManyRows), unreadable("文件已损坏"):
            raise TooManyRows("表1", 10)
