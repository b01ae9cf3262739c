from __future__ import annotations

import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from unittest import mock

import xlwt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import override_settings
from openpyxl import Workbook, load_workbook

from qingfeng.core.models import AuditEvent, Notification
from qingfeng.ledger import actions
from qingfeng.ledger.excel import (
    build_ledger_template,
    export_ledger_workbook,
    get_ledger_import_for_user,
    import_ledger,
    read_ledger_workbook,
)
from qingfeng.ledger.excel import importing as importing_module
from qingfeng.ledger.excel.columns import (
    Completion,
    parse_completion,
    parse_deadline,
    parse_progress,
    split_measures,
)
from qingfeng.ledger.models import Feedback, LedgerImport, Measure, Problem, Transition
from qingfeng.ledger.tests.base import LedgerTestCase
from qingfeng.lib.xlsx import WorkbookError
from qingfeng.orgs import actions as org_actions
from qingfeng.orgs.models import Person, User

# The office layout: singles merged down rows 3-4, groups merged across row 3, columns not
# in the export's order, and a column the import does not read (佐证材料).
LAYOUT: list[tuple[str, str]] = [
    ("", "序号"),
    ("", "问题来源"),
    ("", "来源编号"),
    ("", "清单类别"),
    ("", "问题类别"),
    ("", "五查五看"),
    ("", "问题表现"),
    ("", "问题描述"),
    ("", "原因分析"),
    ("", "整改目标"),
    ("", "整改措施"),
    ("责任主体", "责任单位"),
    ("责任主体", "责任领导"),
    ("责任主体", "责任人"),
    ("责任主体", "配合单位"),
    ("", "整改类型"),
    ("", "整改时限"),
    ("", "整改进度"),
    ("", "是否建章立制"),
    ("", "追责问责"),
    ("", "佐证材料"),
    ("", "备注"),
]
COLUMN = {label: i for i, (_g, label) in enumerate(LAYOUT, start=1)}


def row(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "序号": 1,
        "问题来源": "自查",
        "清单类别": "个人整改清单",
        "问题类别": "教辅材料违规征订",
        "五查五看": "廉洁自律",
        "问题表现": "违规推荐教辅材料",
        "问题描述": "三年级推荐学生购买指定教辅。",
        "原因分析": "纪律意识淡薄",
        "整改目标": "全部退回",
        "整改措施": "1.退回费用\n2.书面检查",
        "责任单位": "东城区实验小学",
        "责任领导": "钱晓红",
        "责任人": "周小燕",
        "配合单位": "东城区第二中学",
        "整改类型": "限期整改",
        "整改时限": "2025年3月31日",
        "整改进度": "60%",
        "是否建章立制": "是",
        "追责问责": "否",
    }
    values.update({k.replace("_", ""): v for k, v in overrides.items()})
    return {k: v for k, v in values.items() if v is not None}


def office_xlsx(
    rows: list[dict[str, Any]],
    *,
    layout: list[tuple[str, str]] = LAYOUT,
    title: str = "东城区教育局作风问题整改台账",
    reporting: str = "东城区教育局",
    extra: Callable[[Any], None] | None = None,
) -> bytes:
    book = Workbook()
    ws = book.active
    ws.title = "整改台账"
    n = len(layout)
    ws.cell(1, 1, title)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=n)
    ws.cell(2, 1, f"填报单位：{reporting}")
    ws.cell(2, n - 3, "填报日期：2025年3月31日")
    i = 1
    while i <= n:
        group, label = layout[i - 1]
        if not group:
            ws.cell(3, i, label)
            ws.merge_cells(start_row=3, start_column=i, end_row=4, end_column=i)
            i += 1
            continue
        span = sum(1 for g, _l in layout[i - 1 :] if g == group)
        ws.cell(3, i, group)
        ws.merge_cells(start_row=3, start_column=i, end_row=3, end_column=i + span - 1)
        for j in range(span):
            ws.cell(4, i + j, layout[i - 1 + j][1])
        i += span
    labels = [label for _g, label in layout]
    for r, values in enumerate(rows, start=5):
        for label, value in values.items():
            if label in labels:
                ws.cell(r, labels.index(label) + 1, value)
    if extra is not None:
        extra(ws)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def office_xls(rows: list[dict[str, Any]]) -> bytes:
    """The same layout as a legacy .xls (BIFF8), as older offices still send."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("整改台账")
    n = len(LAYOUT)
    sheet.write_merge(0, 0, 0, n - 1, "东城区教育局作风问题整改台账")
    sheet.write(1, 0, "填报单位：东城区教育局")
    sheet.write(1, n - 4, "填报日期：2025年3月31日")
    i = 0
    while i < n:
        group, label = LAYOUT[i]
        if not group:
            sheet.write_merge(2, 3, i, i, label)
            i += 1
            continue
        span = sum(1 for g, _l in LAYOUT[i:] if g == group)
        sheet.write_merge(2, 2, i, i + span - 1, group)
        for j in range(span):
            sheet.write(3, i + j, LAYOUT[i + j][1])
        i += span
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    labels = [label for _g, label in LAYOUT]
    for r, values in enumerate(rows, start=4):
        for label, value in values.items():
            if isinstance(value, date):
                sheet.write(r, labels.index(label), value, date_style)
            else:
                sheet.write(r, labels.index(label), value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewrite_sheet(
    data: bytes, change: Callable[[str], str], extra: dict[str, str] | None = None
) -> bytes:
    """The workbook with its first sheet's XML changed and parts added (what WPS writes)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = change(content.decode()).encode()
            target.writestr(info, content)
        for name, text in (extra or {}).items():
            target.writestr(name, text)
    return out.getvalue()


def wps_picture(data: bytes, ref: str) -> bytes:
    """Turn the cell at `ref` into a WPS in-cell picture: =DISPIMG("ID_…",1), as WPS saves it
    (a formula with its text as the cached value)."""

    def change(xml: str) -> str:
        cell = re.compile(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)')
        picture = (
            f'<c r="{ref}" t="str"><f>_xlfn.DISPIMG("ID_4F5D3B0C",1)</f>'
            '<v>=DISPIMG("ID_4F5D3B0C",1)</v></c>'
        )
        assert cell.search(xml), ref
        return cell.sub(picture, xml, count=1)

    return rewrite_sheet(data, change, {"xl/cellimages.xml": "<cellImages/>"})


def floating_picture(data: bytes, row0: int, col0: int) -> bytes:
    """A picture anchored over a cell (a drawing part), as Excel and WPS both write."""
    drawing = (
        '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        f"<xdr:twoCellAnchor><xdr:from><xdr:col>{col0}</xdr:col><xdr:colOff>0</xdr:colOff>"
        f"<xdr:row>{row0}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>"
        f"<xdr:to><xdr:col>{col0 + 1}</xdr:col><xdr:colOff>0</xdr:colOff>"
        f"<xdr:row>{row0 + 1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>"
        '<xdr:pic><xdr:nvPicPr><xdr:cNvPr id="2" name="图片 1"/><xdr:cNvPicPr/></xdr:nvPicPr>'
        "</xdr:pic><xdr:clientData/></xdr:twoCellAnchor></xdr:wsDr>"
    )
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/drawing" Target="../drawings/drawing1.xml"/></Relationships>'
    )
    return rewrite_sheet(
        data,
        lambda xml: xml,
        {"xl/drawings/drawing1.xml": drawing, "xl/worksheets/_rels/sheet1.xml.rels": rels},
    )


class LedgerExcelTestCase(LedgerTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        media = tempfile.mkdtemp(prefix="qf-ledger-xls-")
        cls.addClassCleanup(shutil.rmtree, media, ignore_errors=True)
        storages = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": media},
            },
        }
        cls.enterClassContext(override_settings(STORAGES=storages))
        super().setUpClass()

    def run_import(
        self, data: bytes, *, user: User | None = None, name: str = "台账.xlsx", **options: Any
    ) -> importing_module.ImportOutcome:
        return import_ledger(
            SimpleUploadedFile(name, data), actor=user or self.county_admin, **options
        )

    def errors_of(self, outcome: importing_module.ImportOutcome) -> list[tuple[int, str, str]]:
        return [(e.row, e.column, e.message) for e in outcome.errors]

    def new_problems(self) -> list[Problem]:
        return list(
            Problem.objects.filter(created_by=self.county_admin)
            .select_related("unit", "category", "responsible_person", "responsible_leader")
            .order_by("id")
        )


class ReadingTestCase(LedgerExcelTestCase):
    def test_it_finds_merged_two_row_headers_below_title_rows(self) -> None:
        parsed = read_ledger_workbook(office_xlsx([row(), row(序号=2)]), "台账.xlsx")
        [sheet] = parsed.sheets
        self.assertEqual(sheet.heading, "东城区教育局作风问题整改台账")
        self.assertEqual(sheet.reporting_unit, "东城区教育局")
        self.assertEqual(sheet.report_date, date(2025, 3, 31))
        self.assertEqual(sheet.header_number, 4)
        self.assertEqual(sheet.columns["title"], COLUMN["问题表现"] - 1)
        self.assertEqual(sheet.columns["unit"], COLUMN["责任单位"] - 1)
        self.assertEqual(sheet.columns["person"], COLUMN["责任人"] - 1)
        self.assertEqual(sheet.columns["rules"], COLUMN["是否建章立制"] - 1)
        self.assertEqual([n for n, _c in sheet.records], [5, 6])
        # 佐证材料 is not an import column: said so, not silently ignored.
        [warning] = parsed.warnings
        self.assertIn("佐证材料", warning.message)

    def test_it_finds_a_one_row_header_with_synonyms_in_any_order(self) -> None:
        book = Workbook()
        ws = book.active
        ws.append(["西山县第一中学领导班子问题清单"])
        ws.append(["备注", "完成时限", "责任部门", "具体表现", "问题类型", "* 整改措施（必填）"])
        ws.append(["无", "2025-06-30", "西山县第一中学", "会议多", "工作纪律", "合并会议"])
        buffer = io.BytesIO()
        book.save(buffer)
        parsed = read_ledger_workbook(buffer.getvalue(), "x.xlsx")
        [sheet] = parsed.sheets
        self.assertEqual(
            sheet.columns,
            {
                "remarks": 0,
                "deadline": 1,
                "unit": 2,
                "description": 3,
                "category": 4,
                "measures": 5,
            },
        )
        self.assertEqual(sheet.list_kind, Problem.ListKind.LEADERSHIP)  # from the title

    def test_it_skips_a_numbering_row_prenumbered_blank_rows_and_the_footer(self) -> None:
        def decorate(ws: Any) -> None:
            for i in range(1, len(LAYOUT) + 1):
                ws.cell(5, i, i)  # 1 2 3 … under the header
            ws.cell(7, 1, 2)  # a pre-numbered empty row
            ws.cell(8, 1, 3)
            ws.cell(9, 1, "填表人：周小燕")
            ws.cell(9, 5, "审核人：孙立平")
            for label, value in row().items():
                ws.cell(6, COLUMN[label], value)

        data = office_xlsx([], extra=decorate)
        parsed = read_ledger_workbook(data, "x.xlsx")
        self.assertEqual([n for n, _c in parsed.sheets[0].records], [6])

    def test_it_refuses_files_that_are_not_what_they_claim(self) -> None:
        xlsx = office_xlsx([row()])
        cases = [
            (xlsx, "台账.xls", "扩展名与内容不符"),
            (b"<html><table></table></html>", "台账.xls", "不是有效的 Excel"),
            (xlsx, "台账.csv", "请上传 Excel 文件"),
            (b"PK\x03\x04broken", "台账.xlsx", "无法读取"),
        ]
        for data, name, words in cases:
            with self.subTest(name=name, words=words):
                with self.assertRaises(WorkbookError) as caught:
                    read_ledger_workbook(data, name)
                self.assertIn(words, caught.exception.message)

    def test_a_sheet_without_a_ledger_header_is_explained(self) -> None:
        book = Workbook()
        book.active.append(["姓名", "手机号"])
        book.active.append(["张三", "13800001111"])
        buffer = io.BytesIO()
        book.save(buffer)
        with self.assertRaises(WorkbookError) as caught:
            read_ledger_workbook(buffer.getvalue(), "x.xlsx")
        self.assertIn("没有找到台账表头", caught.exception.message)

    def test_value_parsers(self) -> None:
        self.assertEqual(
            split_measures("①退回费用②书面检查③全校通报"), ["退回费用", "书面检查", "全校通报"]
        )
        self.assertEqual(split_measures("1. 退回费用 2. 书面检查"), ["退回费用", "书面检查"])
        self.assertEqual(split_measures("一是退回费用；二是书面检查"), ["退回费用", "书面检查"])
        self.assertEqual(split_measures("退回费用 2.5 万元"), ["退回费用 2.5 万元"])
        self.assertEqual(parse_deadline("2025年6月底前").day, date(2025, 6, 30))  # type: ignore[union-attr]
        self.assertEqual(parse_deadline("十五个工作日内").workdays, 15)  # type: ignore[union-attr]
        self.assertIsNone(parse_deadline("尽快"))
        self.assertEqual(
            [parse_progress(v) for v in ("60%", 0.6, 60, "0.6", "已完成")], [60] * 4 + [100]
        )
        self.assertIsNone(parse_progress("120%"))


class ImportTestCase(LedgerExcelTestCase):
    def test_it_imports_every_row_as_a_draft(self) -> None:
        outcome = self.run_import(
            office_xlsx(
                [
                    row(),
                    row(
                        序号=2,
                        问题表现="收受家长礼品",
                        问题类别="师德师风",
                        整改措施="①退回礼品②书面检查③全校通报",
                    ),
                ]
            )
        )
        self.assertTrue(outcome.ok, outcome.errors)
        first, second = self.new_problems()
        self.assertEqual(first.status, Problem.Status.DRAFT)
        self.assertEqual(first.list_kind, Problem.ListKind.PERSONAL)
        self.assertEqual(first.source, Problem.Source.SELF_CHECK)
        self.assertEqual(first.category, self.category)
        self.assertEqual(first.dimension, Problem.Dimension.INTEGRITY)
        self.assertEqual(first.title, "违规推荐教辅材料")
        self.assertEqual(first.unit, self.school)
        self.assertEqual(first.responsible_person, self.teacher_person)
        self.assertEqual(first.responsible_leader, Person.objects.get(user=self.county_admin))
        self.assertEqual(list(first.cooperating_units.all()), [self.school2])
        self.assertEqual(first.rectification_type, Problem.RectificationType.TIME_LIMITED)
        self.assertEqual(first.deadline, date(2025, 3, 31))
        self.assertEqual(first.progress, 60)
        self.assertEqual(first.rules_adopted, "是")
        self.assertEqual(first.accountability, "")
        self.assertEqual(first.light, "")
        self.assertRegex(first.number, r"^\d{4}-01-GR-\d{6}$")
        self.assertEqual([m.text for m in first.measures.all()], ["退回费用", "书面检查"])
        self.assertEqual(
            [m.text for m in second.measures.all()], ["退回礼品", "书面检查", "全校通报"]
        )
        self.assertEqual(
            list(first.transitions.values_list("action", "to_status")), [("create", "draft")]
        )
        record = outcome.record
        self.assertEqual(record.status, LedgerImport.Status.IMPORTED)
        self.assertEqual((record.row_count, record.created_count), (2, 2))
        self.assertEqual((record.first_problem, record.last_problem), (first, second))
        self.assertTrue(record.file.name.startswith("ledger/imports/"))
        self.assertEqual(
            AuditEvent.objects.filter(action="ledger.problem.import", object_id=str(record.pk))
            .get()
            .after,
            {
                "file": "台账.xlsx",
                "rows": 2,
                "created": 2,
                "updated": 0,
                "assign": False,
                "bulk": False,
                "warnings": 1,
                "problem_ids": [first.pk, second.pk],
            },
        )
        self.assertEqual(AuditEvent.objects.filter(action="ledger.problem.create").count(), 2)

    def test_it_reads_dates_in_every_common_form(self) -> None:
        forms: list[Any] = [
            "2025年3月31日",
            "2025-03-31",
            "2025.3.31",
            "2025/3/31",
            datetime(2025, 3, 31),  # a date cell
            "2025年3月底前",
        ]
        rows = [row(序号=i, 整改时限=v) for i, v in enumerate(forms, start=1)]
        rows.append(row(序号=9, 整改时限="10个工作日"))
        rows.append(row(序号=10, 整改时限="立行立改", 整改类型=None))
        rows.append(row(序号=11, 整改时限=None, 整改类型="长期坚持"))
        outcome = self.run_import(office_xlsx(rows))
        self.assertTrue(outcome.ok, outcome.errors)
        problems = self.new_problems()
        self.assertEqual([p.deadline for p in problems[:6]], [date(2025, 3, 31)] * 6)
        workdays = problems[6]
        self.assertEqual((workdays.deadline, workdays.deadline_workdays), (None, 10))
        self.assertEqual(problems[7].rectification_type, Problem.RectificationType.IMMEDIATE)
        self.assertEqual(problems[8].rectification_type, Problem.RectificationType.LONG_TERM)

    def test_it_keeps_id_like_text_and_reads_yes_no(self) -> None:
        outcome = self.run_import(
            office_xlsx(
                [
                    row(来源编号="00123", 追责问责="是", 是否建章立制="否", 备注=13800001234),
                    row(序号=2, 来源编号=20250001, 追责问责="诫勉谈话 1 人", 是否建章立制="无"),
                ]
            )
        )
        self.assertTrue(outcome.ok, outcome.errors)
        first, second = self.new_problems()
        self.assertEqual(first.source_ref, "00123")
        self.assertEqual(second.source_ref, "20250001")
        self.assertEqual(first.remarks, "13800001234")
        self.assertEqual((first.accountability, first.rules_adopted), ("是", ""))
        self.assertEqual((second.accountability, second.rules_adopted), ("诫勉谈话 1 人", ""))

    def test_it_finds_units_by_short_name_or_alias_and_people_by_unit(self) -> None:
        org_actions.do_create_person(
            actor=None, unit=self.school2, name="周小燕", post_type=Person.PostType.TEACHER
        )
        outcome = self.run_import(
            office_xlsx(
                [
                    row(责任单位="东城实小"),  # short name: 周小燕 of that school
                    row(序号=2, 责任单位="东实小", 配合单位="东城区第二中学、东城区教育局"),
                    row(序号=3, 责任单位="东城区第二中学", 责任人="周小燕"),
                    row(序号=4, 责任单位="东城区教育局", 责任人="周小燕（东城实小）"),
                ]
            )
        )
        self.assertTrue(outcome.ok, outcome.errors)
        problems = self.new_problems()
        self.assertEqual(
            [p.unit for p in problems], [self.school, self.school, self.school2, self.county]
        )
        people = [p.responsible_person for p in problems]
        self.assertEqual(people[0], self.teacher_person)
        self.assertEqual(people[1], self.teacher_person)
        self.assertEqual(people[2].unit, self.school2)  # type: ignore[union-attr]
        self.assertEqual(people[3], self.teacher_person)
        self.assertEqual(set(problems[1].cooperating_units.all()), {self.school2, self.county})

    def test_an_ambiguous_name_is_an_error_naming_the_units(self) -> None:
        org_actions.do_create_person(
            actor=None, unit=self.school, name="李强", post_type=Person.PostType.TEACHER
        )
        org_actions.do_create_person(
            actor=None, unit=self.school2, name="李强", post_type=Person.PostType.TEACHER
        )
        outcome = self.run_import(office_xlsx([row(责任单位="东城区教育局", 责任人="李强")]))
        [(number, column, message)] = self.errors_of(outcome)
        self.assertEqual((number, column), (5, "责任人"))
        self.assertIn("东城区实验小学", message)
        self.assertIn("东城区第二中学", message)
        self.assertIn("李强（单位名称）", message)

    def test_a_person_named_with_a_unit_must_belong_to_the_responsible_units(self) -> None:
        outcome = self.run_import(
            office_xlsx([row(责任单位="东城区第二中学", 责任人="周小燕（东城实小）")])
        )
        self.assertEqual(
            self.errors_of(outcome),
            [
                (
                    5,
                    "责任人",
                    "责任人『周小燕（东城实小）』须是责任单位『东城区第二中学』或其上下级单位的人员",
                )
            ],
        )

    def test_the_templates_example_row_left_in_is_skipped(self) -> None:
        outcome = self.run_import(
            office_xlsx([row(问题表现="（示例，导入前请删除本行）会议多"), row(序号=2)])
        )
        self.assertTrue(outcome.ok, outcome.errors)
        self.assertEqual(len(self.new_problems()), 1)
        self.assertIn(
            "第5行是模板的示例行，未导入", [w["message"] for w in outcome.record.warnings]
        )

    def test_a_unit_out_of_scope_reads_as_not_found(self) -> None:
        outcome = self.run_import(
            office_xlsx(
                [
                    row(责任单位="西山县第一中学", 配合单位=None, 责任领导=None),
                    row(序号=2, 责任单位="不存在的学校", 配合单位=None, 责任领导=None),
                    row(序号=3, 配合单位="西山县第一中学", 责任领导=None),
                    row(序号=4, 配合单位=None, 责任领导="钱晓红"),  # of the county, above
                ]
            ),
            user=self.school_admin,
        )
        self.assertEqual(
            self.errors_of(outcome),
            [
                (5, "责任单位", "单位『西山县第一中学』不存在或不在您的管辖范围内"),
                (6, "责任单位", "单位『不存在的学校』不存在或不在您的管辖范围内"),
                (7, "配合单位", "单位『西山县第一中学』不存在或不在您的管辖范围内"),
                (
                    8,
                    "责任领导",
                    "责任领导『钱晓红』不是责任单位『东城区实验小学』及其上下级单位的人员，"
                    "或不在您的管辖范围内",
                ),
            ],
        )

    def test_every_error_names_row_column_and_reason(self) -> None:
        rows = [
            row(序号=1, 清单类别="部门清单"),
            row(序号=2, 问题来源="网上看到"),
            row(序号=3, 问题类别="不存在的类别"),
            row(序号=4, 五查五看="看手机"),
            row(序号=5, 问题表现=None, 问题描述=None),
            row(序号=6, 整改类型="马上改"),
            row(序号=7, 整改时限="尽快"),
            row(序号=8, 整改时限="15天"),
            row(序号=9, 整改进度="150%"),
            row(序号=10, 责任人="王不在"),
            row(序号=11, 责任单位=None),
            row(序号=12, 整改时限=None),
            row(序号=13, 问题表现="长" * 201),
            row(序号=14, 来源编号="X" * 81),
        ]
        outcome = self.run_import(office_xlsx(rows, reporting=""))
        self.assertFalse(outcome.ok)
        found = {(n, col): message for n, col, message in self.errors_of(outcome)}
        expected = {
            (
                5,
                "清单类别",
            ): "清单类别『部门清单』无效，可填：领导班子问题清单、科室风险清单、个人整改清单",
            (6, "问题来源"): "问题来源『网上看到』无效",
            (7, "问题类别"): "问题类别『不存在的类别』不在系统的问题类别中",
            (8, "五查五看"): "五查五看『看手机』无效",
            (9, "问题表现"): "问题概述和问题描述不能都为空",
            (10, "整改类型"): "整改类型『马上改』无效",
            (11, "整改时限"): "整改时限『尽快』无法识别",
            (12, "整改时限"): "整改时限『15天』是自然日天数",
            (13, "整改进度"): "整改进度『150%』无法识别",
            (14, "责任人"): "责任人『王不在』不是责任单位『东城区实验小学』及其上下级单位的人员",
            (15, "责任单位"): "责任单位不能为空",
            (16, "整改时限"): "限期整改须填写整改时限",
            (17, "问题表现"): "问题概述不能超过 200 个字",
            (18, "来源编号"): "来源编号不能超过 80 个字",
        }
        self.assertEqual(set(found), set(expected))
        for key, words in expected.items():
            self.assertIn(words, found[key], key)
        self.assertEqual(Problem.objects.count(), 0)
        record = outcome.record
        self.assertEqual(record.status, LedgerImport.Status.REJECTED)
        self.assertEqual(record.error_count, 14)
        self.assertEqual(record.errors[0]["row"], 5)
        self.assertTrue(record.error_file.name)

    def test_one_bad_row_writes_nothing_and_gives_an_error_workbook(self) -> None:
        rows = [row(序号=i) for i in range(1, 6)] + [row(序号=6, 问题类别="乱写")]
        problems, measures = Problem.objects.count(), Measure.objects.count()
        outcome = self.run_import(office_xlsx(rows))
        self.assertEqual(self.errors_of(outcome)[0][:2], (10, "问题类别"))
        self.assertEqual((Problem.objects.count(), Measure.objects.count()), (problems, measures))
        self.assertEqual(Transition.objects.count(), 0)
        assert outcome.error_workbook is not None
        book = load_workbook(io.BytesIO(outcome.error_workbook))
        ws = book["整改台账"]
        note_column = len(LAYOUT) + 1
        self.assertEqual(ws.cell(3, note_column).value, "错误说明")
        self.assertEqual(ws.cell(1, 1).value, "东城区教育局作风问题整改台账")  # rows kept in place
        self.assertEqual(ws.cell(10, COLUMN["问题类别"]).value, "乱写")
        self.assertEqual(ws.cell(10, COLUMN["问题类别"]).fill.fgColor.rgb, "00FFC7CE")
        self.assertIn("问题类别『乱写』", ws.cell(10, note_column).value)
        self.assertIsNone(ws.cell(9, note_column).value)
        summary = book["错误汇总"]
        self.assertEqual([c.value for c in summary[2]][:4], ["错误", "整改台账", 10, "问题类别"])
        # The stored error workbook is the same file.
        with outcome.record.error_file.open("rb") as handle:
            self.assertEqual(handle.read(), outcome.error_workbook)

    def test_a_missing_required_column_is_one_error_for_the_sheet(self) -> None:
        # 问题类别 is not required (see the office-layout tests below); 清单类别 is.
        layout = [c for c in LAYOUT if c[1] not in ("问题类别", "清单类别")]
        outcome = self.run_import(office_xlsx([row()], layout=layout, title="整改台账"))
        self.assertEqual(
            [(n, m) for n, _c, m in self.errors_of(outcome)],
            [(4, "缺少『清单类别』列（或在标题中写明，如“领导班子问题清单”）")],
        )

    def test_the_title_names_the_list_and_the_reporting_unit_fills_blank_units(self) -> None:
        layout = [c for c in LAYOUT if c[1] not in ("清单类别", "问题来源")]
        outcome = self.run_import(
            office_xlsx(
                [row(责任单位=None, 责任人=None)],
                layout=layout,
                title="东城区实验小学科室风险清单",
                reporting="东城实小",
            )
        )
        self.assertTrue(outcome.ok, outcome.errors)
        [problem] = self.new_problems()
        self.assertEqual(problem.list_kind, Problem.ListKind.DEPARTMENT_RISK)
        self.assertEqual(problem.unit, self.school)
        self.assertEqual(problem.source, Problem.Source.SELF_CHECK)
        self.assertIn("问题来源", outcome.record.warnings[-1]["message"])

    def test_it_reads_a_legacy_xls(self) -> None:
        data = office_xls(
            [row(整改时限=date(2025, 3, 31), 来源编号="0012"), row(序号=2, 整改时限="10个工作日")]
        )
        self.assertTrue(data.startswith(b"\xd0\xcf\x11\xe0"))
        outcome = self.run_import(data, name="台账.xls")
        self.assertTrue(outcome.ok, outcome.errors)
        first, second = self.new_problems()
        self.assertEqual(first.deadline, date(2025, 3, 31))
        self.assertEqual(first.source_ref, "0012")
        self.assertEqual(first.responsible_person, self.teacher_person)
        self.assertEqual(list(first.cooperating_units.all()), [self.school2])
        self.assertEqual(second.deadline_workdays, 10)
        self.assertTrue(outcome.record.file.name.endswith(".xls"))

    def test_a_wps_picture_in_an_evidence_column_is_a_warning(self) -> None:
        ref = f"{chr(64 + COLUMN['佐证材料'])}5"
        data = wps_picture(office_xlsx([row(佐证材料="x")]), ref)
        outcome = self.run_import(data)
        self.assertTrue(outcome.ok, outcome.errors)
        messages = [w["message"] for w in outcome.record.warnings]
        self.assertIn(
            "第5行『佐证材料』列含有 WPS 单元格图片，系统无法读取，请改为单独上传佐证材料", messages
        )

    def test_a_wps_picture_where_text_is_read_is_an_error(self) -> None:
        ref = f"{chr(64 + COLUMN['问题描述'])}6"
        data = wps_picture(office_xlsx([row(), row(序号=2)]), ref)
        outcome = self.run_import(data)
        self.assertEqual(
            self.errors_of(outcome),
            [
                (
                    6,
                    "问题描述",
                    "第6行『问题描述』列含有 WPS 单元格图片，系统无法读取，请改为单独上传佐证材料",
                )
            ],
        )
        self.assertEqual(Problem.objects.count(), 0)

    def test_a_floating_picture_is_a_warning(self) -> None:
        data = floating_picture(office_xlsx([row()]), row0=4, col0=COLUMN["佐证材料"] - 1)
        outcome = self.run_import(data)
        self.assertTrue(outcome.ok, outcome.errors)
        self.assertIn(
            "第5行『佐证材料』列有一张浮动图片，系统无法读取，请改为单独上传佐证材料",
            [w["message"] for w in outcome.record.warnings],
        )

    def test_an_import_runs_once(self) -> None:
        outcome = self.run_import(office_xlsx([row()]))
        with self.assertRaises(ValidationError):
            importing_module.do_import_ledger(outcome.record, actor=self.county_admin)
        self.assertEqual(len(self.new_problems()), 1)

    def test_the_import_is_seen_only_by_its_uploader(self) -> None:
        outcome = self.run_import(office_xlsx([row()]))
        self.assertEqual(
            get_ledger_import_for_user(self.county_admin, outcome.record.pk), outcome.record
        )
        with self.assertRaises(Http404):
            get_ledger_import_for_user(self.school_admin, outcome.record.pk)


class AssignAndBulkTestCase(LedgerExcelTestCase):
    def compare(self, *, assign: bool) -> None:
        rows = [
            row(),
            row(序号=2, 整改时限="10个工作日"),
            row(序号=3, 整改时限="立行立改", 整改类型=None, 责任人="孙立平"),
            row(序号=4, 整改时限=None, 整改类型="长期坚持", 责任人=None),
        ]
        # The second import must not take the first one's rows for the same problems sent again.
        batches = ("（第一批）", "（第二批）")
        each_data, bulk_data = (
            office_xlsx([{**r, "问题描述": r["问题描述"] + b} for r in rows]) for b in batches
        )
        fields = (
            "list_kind",
            "source",
            "category_id",
            "dimension",
            "title",
            "description",
            "cause",
            "goal",
            "unit_id",
            "responsible_leader_id",
            "responsible_person_id",
            "rectification_type",
            "deadline",
            "deadline_workdays",
            "progress",
            "status",
            "light",
            "urgency",
            "due_key",
            "rules_adopted",
            "accountability",
            "round_no",
        )

        def snapshot(ids: list[int]) -> list[tuple[Any, ...]]:
            result = []
            for p in Problem.objects.filter(pk__in=ids).order_by("id"):
                p.description = re.sub("（第.批）$", "", p.description)
                result.append(
                    (
                        *(getattr(p, f) for f in fields),
                        p.assigned_at is not None,
                        p.number.split("-")[:3],
                        [m.text for m in p.measures.all()],
                        sorted(p.cooperating_units.values_list("id", flat=True)),
                        list(
                            p.transitions.values_list("action", "from_status", "to_status", "actor")
                        ),
                        list(p.feedback.values_list("kind", "text", "recipient", "created_by")),
                        Notification.objects.filter(link=f"/ledger/{p.pk}/").count(),
                    )
                )
            return result

        each = self.run_import(each_data, assign=assign)
        with mock.patch.object(importing_module, "PER_ROW_LIMIT", 0):
            bulk = self.run_import(bulk_data, assign=assign)
        self.assertTrue(each.ok and bulk.ok, (each.errors, bulk.errors))
        self.assertEqual(snapshot(each.problem_ids), snapshot(bulk.problem_ids))
        serials = list(
            Problem.objects.filter(pk__in=each.problem_ids + bulk.problem_ids)
            .order_by("id")
            .values_list("serial", flat=True)
        )
        self.assertEqual(serials, list(range(serials[0], serials[0] + 8)))
        events = AuditEvent.objects.filter(action="ledger.problem.import").order_by("id")
        self.assertEqual([(e.after or {}).get("bulk") for e in events], [False, True])

    def test_bulk_writes_what_the_actions_write_for_drafts(self) -> None:
        self.compare(assign=False)

    def test_bulk_writes_what_the_actions_write_when_assigning(self) -> None:
        self.compare(assign=True)
        assigned = Problem.objects.filter(deadline_workdays=10).first()
        assert assigned is not None
        self.assertEqual(assigned.status, Problem.Status.ASSIGNED)
        self.assertIsNotNone(assigned.deadline)
        self.assertTrue(
            Feedback.objects.filter(problem=assigned, kind=Feedback.Kind.REQUIREMENT).exists()
        )
        self.assertEqual(
            Notification.objects.filter(
                recipient=self.teacher, title__startswith="新交办问题"
            ).count(),
            4,  # rows 1 and 2 of each import name the teacher
        )

    def test_a_custom_requirement_notice_is_used(self) -> None:
        outcome = self.run_import(office_xlsx([row()]), assign=True, requirement="请于月底前整改")
        [problem] = self.new_problems()
        self.assertTrue(outcome.ok)
        self.assertEqual(problem.feedback.get().text, "请于月底前整改")


class ExportTestCase(LedgerExcelTestCase):
    def make_variety(self) -> list[Problem]:
        leader = Person.objects.get(user=self.county_admin)
        first = actions.check_create_problem(
            actor=self.county_admin,
            unit=self.school,
            measures=["退回费用", "书面检查"],
            cooperating=[self.school2, self.county],
            list_kind=Problem.ListKind.LEADERSHIP,
            source=Problem.Source.INSPECTION,
            source_ref="0012",
            category=self.category,
            dimension=Problem.Dimension.RULES,
            title="=SUM(A1) 不是公式",
            description="描述\n第二行",
            cause="原因",
            goal="目标",
            responsible_leader=leader,
            responsible_person=self.teacher_person,
            rectification_type=Problem.RectificationType.TIME_LIMITED,
            deadline=date(2025, 3, 31),
            progress=45,
            rules_adopted="会议审批制度",
            accountability="诫勉谈话",
            remarks="00123",
        )
        second = self.make_problem(deadline_workdays=10)
        third = self.make_problem(
            rectification_type=Problem.RectificationType.LONG_TERM,
            deadline_workdays=None,
            list_kind=Problem.ListKind.DEPARTMENT_RISK,
            unit=self.school2,
            responsible_person=None,
        )
        assigned = actions.check_assign(
            self.make_problem(deadline=date(2030, 1, 10), deadline_workdays=None),
            actor=self.county_admin,
        )
        return [first, second, third, assigned]

    def test_the_export_has_the_office_layout(self) -> None:
        problems = self.make_variety()
        data = export_ledger_workbook(
            Problem.objects.filter(pk__in=[p.pk for p in problems]).order_by("id"),
            title="东城区教育局作风问题整改台账",
            unit_label="东城区教育局",
            actor=self.county_admin,
            day=date(2025, 3, 31),
        )
        ws = load_workbook(io.BytesIO(data))["问题台账"]
        self.assertEqual(ws["A1"].value, "东城区教育局作风问题整改台账")
        self.assertEqual(ws["A2"].value, "填报单位：东城区教育局")
        merged = {str(r) for r in ws.merged_cells.ranges}
        self.assertIn("A1:X1", merged)
        self.assertIn("A3:A4", merged)  # 序号 down both header rows
        self.assertIn("M3:P3", merged)  # 责任主体 over its four columns
        self.assertEqual(ws.freeze_panes, "C5")
        self.assertEqual(ws.print_title_rows, "$3:$4")
        self.assertEqual(ws.page_setup.orientation, "landscape")
        self.assertEqual(str(ws.page_setup.paperSize), "9")
        header = [c.value for c in ws[4]]
        self.assertEqual(header[12:16], ["责任领导", "责任单位", "配合单位", "责任人"])
        first = {ws.cell(4, i).value or ws.cell(3, i).value: ws.cell(5, i) for i in range(1, 25)}
        self.assertEqual(first["编号"].data_type, "s")
        self.assertEqual(first["来源编号"].value, "0012")
        self.assertEqual(first["问题概述"].value, "=SUM(A1) 不是公式")
        self.assertEqual(first["问题概述"].data_type, "s")
        self.assertEqual(first["整改时限"].value, datetime(2025, 3, 31))
        self.assertEqual(first["整改时限"].number_format, 'yyyy"年"m"月"d"日"')
        self.assertEqual(first["整改进度"].value, 0.45)
        self.assertEqual(first["状态"].value, "草稿")
        self.assertEqual(first["整改措施"].value, "1. 退回费用\n2. 书面检查")
        self.assertEqual(first["配合单位"].value, "东城区教育局、东城区第二中学")
        self.assertEqual(ws.cell(6, 18).value, "10个工作日")
        self.assertEqual(ws.cell(8, 21).value, "绿")
        self.assertEqual(ws.cell(8, 20).value, "已交办")
        self.assertEqual(
            AuditEvent.objects.filter(action="ledger.problem.export").get().after,
            {"rows": 4, "unit": "东城区教育局"},
        )

    def test_the_export_imported_again_is_the_same_problems_unchanged(self) -> None:
        problems = self.make_variety()
        ids = [p.pk for p in problems]
        data = export_ledger_workbook(
            Problem.objects.filter(pk__in=ids).order_by("id"),
            title="东城区教育局作风问题整改台账",
            unit_label="东城区教育局",
        )
        audit = AuditEvent.objects.count()
        outcome = self.run_import(data, name="导出.xlsx")
        self.assertTrue(outcome.preview, outcome.errors)
        rows = outcome.record.preview["rows"]
        # Each row is its problem by 编号, and what the export wrote reads back as it is.
        self.assertEqual([(e["problem"], e["kind"]) for e in rows], [(i, "unchanged") for i in ids])
        self.assertEqual(Problem.objects.count(), len(ids))
        self.assertEqual(AuditEvent.objects.count(), audit + 1)  # the preview's own event

    def test_the_template_has_drop_downs_instructions_and_imports(self) -> None:
        data = build_ledger_template()
        book = load_workbook(io.BytesIO(data))
        ws = book["问题台账"]
        self.assertEqual(book.sheetnames, ["问题台账", "填写说明", "可选值"])
        self.assertEqual(book["可选值"].sheet_state, "hidden")
        header = [ws.cell(4, i).value or ws.cell(3, i).value for i in range(1, ws.max_column + 1)]
        self.assertNotIn("编号", header)
        lists = {dv.formula1 for dv in ws.data_validations.dataValidation}
        self.assertIn("'可选值'!$A$2:$A$8", lists)  # 问题来源
        self.assertIn('"是,否"', lists)
        notes = [r[0] for r in book["填写说明"].iter_rows(min_row=2, values_only=True)]
        self.assertIn("整改时限", notes)
        # Filled in (unit and title of the example row), the template imports.
        ws.cell(5, header.index("责任单位") + 1, "东城区实验小学")
        ws.cell(5, header.index("问题概述") + 1, "会议文件过多，基层负担重")
        buffer = io.BytesIO()
        book.save(buffer)
        outcome = self.run_import(buffer.getvalue())
        self.assertTrue(outcome.ok, outcome.errors)
        [problem] = self.new_problems()
        self.assertEqual(problem.measures.count(), 3)
        self.assertEqual(problem.deadline_workdays, 20)


# The usual office ledger (as WPS and LibreOffice save it): no 问题类别 column, and a
# 完成情况 column beside 整改进度 under a merged 整改落实 group.
OFFICE_LAYOUT: list[tuple[str, str]] = [
    *((g, label) for g, label in LAYOUT if label not in ("问题类别", "整改进度", "是否建章立制")),
    ("整改落实", "整改进度"),
    ("整改落实", "完成情况"),
]


class OfficeLedgerTestCase(LedgerExcelTestCase):
    def import_rows(self, *rows: dict[str, Any]) -> importing_module.ImportOutcome:
        return self.run_import(office_xlsx(list(rows), layout=OFFICE_LAYOUT))

    def test_rows_without_a_category_get_one_suggested_from_the_text_with_a_warning(self) -> None:
        outcome = self.import_rows(
            row(完成情况="推进中"),  # 违规推荐教辅材料
            row(序号=2, 问题表现="班主任收受家长红包", 问题描述=None, 完成情况="已完成"),
            row(序号=3, 问题表现="会议太多", 问题描述="基层负担重。", 完成情况="未启动"),
        )
        self.assertTrue(outcome.ok, outcome.errors)
        problems = self.new_problems()
        self.assertEqual(
            [p.category.name for p in problems], ["教辅材料违规征订", "师德师风", "其他"]
        )
        marked = [(w.row, w.message) for w in outcome.warnings if w.message.startswith("问题类别")]
        message = "问题类别未填写，已按内容建议为“%s”，请核对"
        self.assertEqual(
            marked,
            [(5, message % "教辅材料违规征订"), (6, message % "师德师风"), (7, message % "其他")],
        )
        self.assertEqual(
            [w["message"] for w in outcome.record.warnings if w["row"] == 7], [message % "其他"]
        )

    def test_an_empty_category_cell_is_marked_and_a_given_one_is_kept(self) -> None:
        outcome = self.run_import(
            office_xlsx([row(问题类别="", 问题表现="作风问题", 问题描述=None), row(序号=2)])
        )
        self.assertTrue(outcome.ok, outcome.errors)
        first, second = self.new_problems()
        self.assertEqual((first.category.name, second.category), ("其他", self.category))
        self.assertEqual(
            [(w.row, w.column) for w in outcome.warnings if w.message.startswith("问题类别")],
            [(5, "问题类别")],
        )

    def test_completion_words_set_progress_and_measure_status(self) -> None:
        outcome = self.import_rows(
            row(完成情况="已完成", 整改进度=None),
            row(序号=2, 完成情况="推进中", 整改进度=None),
            row(序号=3, 完成情况="推进中", 整改进度="60%"),
            row(序号=4, 完成情况="推进中（３０％）", 整改进度=None),
            row(序号=5, 完成情况="未启动", 整改进度=None),
            row(序号=6, 完成情况="５０％", 整改进度=None),
            row(序号=7, 完成情况="阶段性完成", 整改进度="70%"),
        )
        self.assertTrue(outcome.ok, outcome.errors)
        problems = self.new_problems()
        self.assertEqual([p.progress for p in problems], [100, 50, 60, 30, 0, 50, 70])
        self.assertEqual(
            [sorted(set(p.measures.values_list("status", flat=True))) for p in problems],
            [["done"], ["doing"], ["doing"], ["doing"], ["todo"], ["doing"], ["doing"]],
        )
        self.assertEqual(
            [p.rectification_type for p in problems],
            [Problem.RectificationType.TIME_LIMITED] * 6 + [Problem.RectificationType.LONG_TERM],
        )
        # One audit event per problem, as for any import of a few rows.
        self.assertEqual(
            AuditEvent.objects.filter(action="ledger.problem.create").count(), len(problems)
        )

    def test_an_unknown_completion_word_rejects_the_whole_import(self) -> None:
        outcome = self.import_rows(row(完成情况="已完成"), row(序号=2, 完成情况="差不多了"))
        self.assertFalse(outcome.ok)
        self.assertEqual(Problem.objects.filter(created_by=self.county_admin).count(), 0)
        self.assertEqual(
            self.errors_of(outcome),
            [
                (
                    6,
                    "完成情况",
                    "完成情况『差不多了』无法识别，可填：已完成、推进中、阶段性完成、未启动、"
                    "百分比（如 60%）",
                )
            ],
        )

    def test_many_rows_write_measure_status_in_bulk(self) -> None:
        rows = [row(序号=i, 完成情况="已完成") for i in range(1, 4)]
        with mock.patch.object(importing_module, "PER_ROW_LIMIT", 2):
            outcome = self.import_rows(*rows)
        self.assertTrue(outcome.ok, outcome.errors)
        statuses = Measure.objects.filter(problem_id__in=outcome.problem_ids)
        self.assertEqual(set(statuses.values_list("status", flat=True)), {"done"})
        self.assertEqual(statuses.count(), 6)


class CompletionTestCase(LedgerTestCase):
    def test_parse_completion(self) -> None:
        self.assertEqual(parse_completion("已完成"), Completion(100, "done"))
        self.assertEqual(parse_completion("５０％"), Completion(50, "doing"))
        self.assertEqual(parse_completion(1), Completion(100, "done"))
        self.assertEqual(parse_completion("推进中(40%)"), Completion(40, "doing", 50))
        self.assertEqual(parse_completion("阶段性完成"), Completion(None, "doing", 50, True))
        self.assertEqual(parse_completion("0%"), Completion(0, "todo"))
        self.assertIsNone(parse_completion("差不多了"))
        self.assertIsNone(parse_completion("120%"))
