from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from typing import Any
from unittest import mock

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import SimpleTestCase, override_settings
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from qingfeng.core.models import AuditEvent
from qingfeng.core.tests.work import last_job, post_and_run
from qingfeng.lib.masking import mask_phone
from qingfeng.lib.xlsx import cell_text, label_key
from qingfeng.orgs import actions, roster
from qingfeng.orgs.models import Person, RosterImport, Unit, User
from qingfeng.orgs.permissions import _RULES
from qingfeng.orgs.roster import importing, work
from qingfeng.orgs.roster.checking import LANDLINE_RE, MASKED_RE, MOBILE_RE
from qingfeng.test import BaseTestCase

UNIT_HEADER = [
    "单位编码",
    "单位名称",
    "简称",
    "别名",
    "单位类型",
    "单位类别",
    "学段",
    "城乡",
    "上级单位编码",
    "排序",
]
PEOPLE_HEADER = [
    "姓名",
    "所在单位编码",
    "所在单位",
    "岗位类型",
    "职务",
    "是否党员",
    "手机号",
    "在岗",
]


def workbook(
    units: list[list[Any]] | None = None,
    people: list[list[Any]] | None = None,
    *,
    unit_header: list[str] = UNIT_HEADER,
    people_header: list[str] = PEOPLE_HEADER,
) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, header, rows in (("单位", unit_header, units), ("人员", people_header, people)):
        if rows is None:
            continue
        ws = book.create_sheet(title)
        ws.append(header)
        for row in rows:
            ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


EXCEL_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/></Types>'
    ),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        '<sheet name="说明" sheetId="1" r:id="rId1"/><sheet name="人员" sheetId="2" r:id="rId2"/>'
        "</sheets></workbook>"
    ),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="/xl/worksheets/sheet2.xml"/>'
        '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
    ),
    # Excel keeps text in a shared table; rich text comes in runs, phonetic runs are not text.
    "xl/sharedStrings.xml": (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<si><t>姓名</t></si><si><t>所在单位编码</t></si><si><t>岗位类型</t></si>"
        "<si><t>手机号</t></si><si><t>是否党员</t></si>"
        "<si><r><t>王</t></r><r><rPr><b/></rPr><t>小明</t></r><rPh><t>wang</t></rPh></si>"
        "<si><t>S0001</t></si></sst>"
    ),
    "xl/worksheets/sheet1.xml": (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<sheetData/></worksheet>"
    ),
    "xl/worksheets/sheet2.xml": (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<dimension ref="A1"/><sheetData>'
        '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c>'
        '<c r="C2" t="s"><v>2</v></c><c r="E2" t="s"><v>3</v></c><c r="F2" t="s"><v>4</v></c></row>'
        '<row r="3"><c r="A3" t="s"><v>5</v></c><c r="B3" t="s"><v>6</v></c>'
        '<c r="C3" t="inlineStr"><is><t>专任教师</t></is></c><c r="E3"><v>13800009999</v></c>'
        '<c r="F3" t="b"><v>1</v></c></row>'
        '<row><c t="inlineStr"><is><t>赵敏</t></is></c><c t="str"><v>S0001</v></c>'
        '<c t="inlineStr"><is><t>教辅人员</t></is></c><c/><c/><c t="b"><v>0</v></c></row>'
        "</sheetData></worksheet>"
    ),
}


def excel_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, xml in EXCEL_PARTS.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + xml)
    return buffer.getvalue()


def sheet_rows(data: bytes, title: str) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(data))
    return [tuple(row) for row in book[title].iter_rows(values_only=True)]


mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
landlines = st.from_regex(r"0[1-9][0-9]{1,2}-[2-9][0-9]{6,7}", fullmatch=True)


class RosterCellsTestCase(SimpleTestCase):
    @given(mobiles)
    def test_a_phone_excel_stored_as_a_number_reads_back_as_text(self, phone: str) -> None:
        self.assertEqual(cell_text(float(phone)), phone)
        self.assertEqual(cell_text(int(phone)), phone)
        self.assertTrue(MOBILE_RE.fullmatch(cell_text(float(phone))))

    @given(st.one_of(mobiles, landlines))
    def test_every_phone_we_export_masked_reads_as_masked(self, phone: str) -> None:
        self.assertTrue(MOBILE_RE.fullmatch(phone) or LANDLINE_RE.fullmatch(phone))
        self.assertTrue(MASKED_RE.fullmatch(mask_phone(phone)))
        self.assertFalse(MASKED_RE.fullmatch(phone))

    def test_header_labels_ignore_marks_and_notes(self) -> None:
        for label in ("手机号", " * 手机号（必填）", "手机号:", "手 机 号", "手机号\n"):
            self.assertEqual(label_key(label), "手机号", label)


class RosterTestCase(BaseTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        media = tempfile.mkdtemp(prefix="qf-roster-")
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

    def run_import(self, data: bytes, user: User | None = None) -> RosterImport:
        user = user or self.county_admin
        record = roster.do_receive_roster(SimpleUploadedFile("名册.xlsx", data), actor=user)
        return roster.do_import_roster(record, actor=user)

    def assert_rejected(self, record: RosterImport) -> list[tuple[str, int, str, str]]:
        self.assertEqual(record.status, RosterImport.Status.REJECTED, record.errors)
        return [(e["sheet"], e["row"], e["column"], e["message"]) for e in record.errors]

    def snapshot(self) -> tuple[Any, ...]:
        units = list(
            Unit.objects.order_by("pk").values_list(
                "code",
                "name",
                "short_name",
                "aliases",
                "kind",
                "category",
                "stage",
                "locale",
                "parent_id",
                "path",
                "sort_order",
            )
        )
        people = list(
            Person.objects.order_by("pk").values_list(
                "unit_id", "name", "post_type", "position", "is_party_member", "phone", "is_active"
            )
        )
        return units, people


class RosterImportTestCase(RosterTestCase):
    def test_it_creates_and_updates_units_and_people(self) -> None:
        data = workbook(
            units=[
                # A child may come before its parent in the sheet.
                ["S0101", "东城区实验小学分校", "", "", "学校", "", "小学", "农村", "S0100", 2],
                [
                    "S0100",
                    "东城区第三中学",
                    "东城三中",
                    "三中、东三中",
                    "学校",
                    "",
                    "初中",
                    "城区",
                    "C0001",
                    1,
                ],
                [
                    "S0001",
                    "东城区实验小学",
                    "实小",
                    "实验小学,东实小",
                    "学校",
                    "学校",
                    "小学",
                    "城区",
                    "",
                    0,
                ],
            ],
            people=[
                ["王芳", "S0100", "", "专任教师", "语文教师", "是", "13700001111", "是"],
                ["李强", "", "东城区第二中学", "中层干部", "教务主任", "群众", "0571-88886666", ""],
                ["刘洋", "S0101", "", "教辅人员", "", "", "", "否"],
                ["周小燕", "S0001", "", "专任教师", "班主任", "否", "13912345678", "是"],
            ],
        )
        record = self.run_import(data)
        self.assertEqual(record.status, RosterImport.Status.IMPORTED, record.errors)
        self.assertEqual(
            (
                record.units_created,
                record.units_updated,
                record.people_created,
                record.people_updated,
            ),
            (2, 1, 3, 1),
        )
        third = Unit.objects.get(code="S0100")
        branch = Unit.objects.get(code="S0101")
        self.assertEqual(third.parent, self.county)
        self.assertEqual(third.path, self.county.path + Unit.segment(third.pk))
        self.assertEqual(branch.path, third.path + Unit.segment(branch.pk))
        self.assertEqual((third.category, third.stage, third.locale), ("school", "junior", "urban"))
        self.assertEqual(third.aliases, "三中、东三中")
        self.assertEqual(branch.locale, Unit.Locale.RURAL)
        self.assertEqual(Unit.objects.get(pk=self.school.pk).short_name, "实小")

        wang = Person.objects.get(name="王芳")
        self.assertEqual(
            (wang.unit, wang.post_type, wang.is_party_member), (third, "teacher", True)
        )
        self.assertEqual(wang.phone, "13700001111")
        self.assertEqual(
            Person.objects.filter(phone_index=wang.phone_index).get(), wang
        )  # the blind index is set, so search by phone finds her
        li = Person.objects.get(name="李强")
        self.assertEqual((li.unit, li.phone, li.is_active), (self.school2, "0571-88886666", True))
        self.assertFalse(Person.objects.get(name="刘洋").is_active)
        teacher = Person.objects.get(user=self.teacher)
        self.assertEqual((teacher.position, teacher.post_type), ("班主任", "teacher"))
        self.assertEqual(Person.objects.filter(name="周小燕").count(), 1)

        actions_written = set(
            AuditEvent.objects.filter(actor=self.county_admin).values_list("action", flat=True)
        )
        self.assertLessEqual(
            {
                "orgs.unit.create",
                "orgs.unit.update",
                "orgs.person.create",
                "orgs.person.update",
                "orgs.roster.import",
            },
            actions_written,
        )
        summary = AuditEvent.objects.get(action="orgs.roster.import")
        assert summary.after is not None
        self.assertEqual(summary.after["people_created"], 3)
        self.assertEqual(summary.object_id, str(record.pk))

    def test_it_moves_a_unit_under_a_changed_parent(self) -> None:
        group = actions.do_create_unit(
            actor=None,
            parent=self.school2,
            name="初一年级组",
            kind="other",
            code="X0001",
            category="organ",
        )
        data = workbook(
            units=[
                ["X0001", "初一年级组", "", "", "其他单位", "机关", "", "", "S0001", 0],
                ["D0100", "东城区教育局办公室", "", "", "科室", "", "", "", "C0001", 0],
                ["S0002", "东城区第二中学", "", "", "学校", "", "初中", "", "D0100", 0],
            ]
        )
        record = self.run_import(data)
        self.assertEqual(record.status, RosterImport.Status.IMPORTED, record.errors)
        office = Unit.objects.get(code="D0100")
        school2 = Unit.objects.get(pk=self.school2.pk)
        group.refresh_from_db()
        self.assertEqual(school2.parent, office)
        self.assertEqual(school2.path, office.path + Unit.segment(school2.pk))
        self.assertEqual(group.parent_id, self.school.pk)
        self.assertEqual(group.path, self.school.path + Unit.segment(group.pk))
        for unit in Unit.objects.all():
            expected = (unit.parent.path if unit.parent else "") + Unit.segment(unit.pk)
            self.assertEqual(unit.path, expected, unit.name)
        self.assertEqual(AuditEvent.objects.filter(action="orgs.unit.move").count(), 2)

    def test_it_finds_the_header_below_a_title_row_with_merged_cells(self) -> None:
        book = Workbook()
        ws = book.active
        ws.title = "人员"
        ws.append(["东城区教职工花名册"])
        ws.merge_cells("A1:H1")
        ws.append(["填报单位：东城区教育局", None, None, None, "填报日期：2026年5月8日"])
        ws.merge_cells("A2:D2")
        # A two-level header: "联系方式" spans the phone column, the others span both rows.
        ws.append(
            ["序号", "岗位类型", "* 姓名", "所在单位（全称）", "联系方式", "备注", "是否党员"]
        )
        ws.append([None, None, None, None, "手机号码"])
        for col in "ABCDFG":
            ws.merge_cells(f"{col}3:{col}4")
        ws.append([1, "专任教师", "张  伟", "东城区实验小学", 13800005678.0, "新调入", "中共党员"])
        ws.append([2, "普通教职工", "赵敏", "东城区第二中学", None, None, None])
        buffer = io.BytesIO()
        book.save(buffer)
        record = self.run_import(buffer.getvalue())
        self.assertEqual(record.status, RosterImport.Status.IMPORTED, record.errors)
        self.assertEqual(record.people_created, 2)
        zhang = Person.objects.get(name="张伟")
        self.assertEqual(
            (zhang.unit, zhang.phone, zhang.is_party_member), (self.school, "13800005678", True)
        )
        self.assertEqual(Person.objects.get(name="赵敏").unit, self.school2)

    def test_it_reads_workbooks_as_excel_writes_them(self) -> None:
        record = self.run_import(excel_workbook(), self.school_admin)
        self.assertEqual(record.status, RosterImport.Status.IMPORTED, record.errors)
        wang = Person.objects.get(name="王小明")
        self.assertEqual(
            (wang.unit, wang.phone, wang.is_party_member), (self.school, "13800009999", True)
        )
        zhao = Person.objects.get(name="赵敏")
        self.assertEqual((zhao.post_type, zhao.is_party_member), ("support", False))

    def test_it_reports_every_error_with_row_and_column(self) -> None:
        data = workbook(
            units=[
                ["", "无编码学校", "", "", "学校", "", "", "", "C0001", 0],  # 2
                ["S0200", "新学校", "", "", "学校", "", "", "", "C0001", 0],  # 3
                ["S0200", "重复编码", "", "", "学校", "", "", "", "C0001", 0],  # 4
                ["S0201", "类型错", "", "", "大学", "", "大专", "郊区", "C0001", "第一"],  # 5
                ["S0202", "", "", "", "", "", "", "", "", ""],  # 6
                ["S0203", "自己的上级", "", "", "学校", "", "", "", "S0203", 0],  # 7
                ["S0204", "甲", "", "", "科室", "", "", "", "S0205", 0],  # 8
                ["S0205", "乙", "", "", "科室", "", "", "", "S0204", 0],  # 9
                ["S0003", "占用编码", "", "", "学校", "", "", "", "C0001", 0],  # 10
            ],
            people=[
                ["", "S0001", "", "专任教师", "", "", "", ""],  # 2
                ["王五", "S0001", "", "校长", "", "也许", "1380000", "在"],  # 3
                ["赵六", "S0999", "", "专任教师", "", "", "", ""],  # 4
                ["钱七", "", "", "专任教师", "", "", "", ""],  # 5
                ["孙八", "", "不存在的学校", "", "", "", "", ""],  # 6
                ["周九", "S0001", "", "专任教师", "", "", "13700002222", ""],  # 7
                ["周九", "S0001", "", "专任教师", "", "", "137 0000 2222", ""],  # 8
                ["吴十", "S0001", "", "专任教师", "", "", "139****0000", ""],  # 9
            ],
        )
        errors = self.assert_rejected(self.run_import(data))
        expected = {
            ("单位", 2, "单位编码", "单位编码不能为空"),
            ("单位", 4, "单位编码", "单位编码 S0200 与第 3 行重复"),
            ("单位", 5, "单位类型", "单位类型“大学”无效，可填："),
            ("单位", 5, "学段", "学段“大专”无效"),
            ("单位", 5, "城乡", "城乡“郊区”无效"),
            ("单位", 5, "排序", "排序须为整数"),
            ("单位", 6, "单位名称", "单位名称不能为空"),
            ("单位", 6, "单位类型", "单位类型不能为空"),
            ("单位", 6, "上级单位编码", "新增单位须填写上级单位编码"),
            ("单位", 7, "上级单位编码", "上级单位不能是本单位"),
            ("单位", 8, "上级单位编码", "上级单位关系形成循环：S0204 → S0205 → S0204"),
            ("单位", 9, "上级单位编码", "上级单位关系形成循环"),
            ("单位", 10, "单位编码", "单位编码 S0003 已被使用"),
            ("人员", 2, "姓名", "姓名不能为空"),
            ("人员", 3, "岗位类型", "岗位类型“校长”无效"),
            ("人员", 3, "是否党员", "是否党员“也许”无法识别"),
            ("人员", 3, "手机号", "手机号“1380000”格式不正确"),
            ("人员", 3, "在岗", "在岗“在”无法识别"),
            ("人员", 4, "所在单位编码", "单位编码 S0999 不存在或不在您的管辖范围内"),
            ("人员", 5, "所在单位编码", "所在单位编码和所在单位不能都为空"),
            ("人员", 6, "所在单位", "单位“不存在的学校”不存在或不在您的管辖范围内"),
            ("人员", 6, "岗位类型", "岗位类型不能为空"),
            ("人员", 8, "姓名", "与第 7 行重复"),
            ("人员", 9, "手机号", "脱敏手机号无法对应到已有人员"),
        }
        for sheet, row, column, message in expected:
            self.assertTrue(
                any(e[:3] == (sheet, row, column) and message in e[3] for e in errors),
                f"missing {sheet} row {row} {column}: {message}\n{errors}",
            )
        self.assertEqual(len(errors), len(expected), errors)

    def test_it_reports_missing_required_columns(self) -> None:
        data = workbook(people=[["张三", "专任教师"]], people_header=["姓名", "岗位类型"])
        errors = self.assert_rejected(self.run_import(data))
        self.assertEqual(errors, [("人员", 1, "所在单位编码", "缺少“所在单位编码”或“所在单位”列")])
        data = workbook(units=[["S0300", "某校"]], unit_header=["单位编码", "单位名称"])
        errors = self.assert_rejected(self.run_import(data))
        self.assertEqual(errors, [("单位", 1, "单位类型", "缺少必填列“单位类型”")])

    def test_it_writes_nothing_when_one_row_is_bad(self) -> None:
        before = self.snapshot()
        events = AuditEvent.objects.count()
        people = [[f"新人{i}", "S0001", "", "专任教师", "", "否", "", "是"] for i in range(30)]
        people.append(["坏人", "S0001", "", "专任教师", "", "否", "12345", "是"])  # row 32
        data = workbook(
            units=[["S0400", "新学校", "", "", "学校", "", "", "", "C0001", 0]], people=people
        )
        record = self.run_import(data)
        errors = self.assert_rejected(record)
        self.assertEqual(len(errors), 1)
        self.assertEqual(errors[0][:3], ("人员", 32, "手机号"))
        self.assertEqual(self.snapshot(), before)
        # Only the failure itself is audited.
        self.assertEqual(AuditEvent.objects.count(), events + 1)
        failure = AuditEvent.objects.latest("id")
        self.assertEqual((failure.action, failure.outcome), ("orgs.roster.import", "failure"))
        self.assertEqual((record.unit_rows, record.people_rows), (1, 31))

        # The error workbook: the same rows, the bad cell highlighted, a "错误说明" column.
        with record.error_file.open("rb") as handle:
            book = load_workbook(handle)
        ws = book["人员"]
        self.assertEqual(ws.cell(row=1, column=9).value, "错误说明")
        self.assertEqual(ws.cell(row=32, column=1).value, "坏人")
        self.assertIn("手机号", ws.cell(row=32, column=9).value)
        self.assertEqual(ws.cell(row=32, column=7).fill.fgColor.rgb, "00FFC7CE")
        self.assertIsNone(ws.cell(row=31, column=9).value)
        self.assertEqual(book["单位"].cell(row=2, column=1).value, "S0400")

    def test_it_rejects_an_out_of_scope_parent_with_the_same_message_as_a_missing_one(self) -> None:
        data = workbook(
            units=[
                ["S0500", "越界学校", "", "", "学校", "", "", "", "C0002", 0],
                ["S0501", "无主学校", "", "", "学校", "", "", "", "C9999", 0],
            ],
            people=[["张三", "S0003", "", "专任教师", "", "", "", ""]],
        )
        errors = self.assert_rejected(self.run_import(data))
        self.assertEqual(
            [e[3] for e in errors],
            [
                "单位编码 C0002 不存在或不在您的管辖范围内",
                "单位编码 C9999 不存在或不在您的管辖范围内",
                "单位编码 S0003 不存在或不在您的管辖范围内",
            ],
        )
        self.assertFalse(Unit.objects.filter(code__in=["S0500", "S0501"]).exists())

    def test_other_school_admin_cannot_import_into_another_county(self) -> None:
        data = workbook(
            units=[["S0001", "改名小学", "", "", "学校", "", "", "", "", 0]],
            people=[["张三", "", "东城区实验小学", "专任教师", "", "", "", ""]],
        )
        errors = self.assert_rejected(self.run_import(data, self.other_school_admin))
        self.assertIn(("单位", 2, "单位编码", "单位编码 S0001 已被使用，请更换"), errors)
        self.assertIn(
            ("人员", 2, "所在单位", "单位“东城区实验小学”不存在或不在您的管辖范围内"), errors
        )
        self.assertEqual(Unit.objects.get(pk=self.school.pk).name, "东城区实验小学")

    def test_masked_phones_are_unchanged(self) -> None:
        data = workbook(
            people=[["周小燕", "S0001", "", "专任教师", "教研组长", "否", "139****5678", "是"]]
        )
        record = self.run_import(data, self.school_admin)
        self.assertEqual(record.status, RosterImport.Status.IMPORTED, record.errors)
        self.assertEqual((record.people_created, record.people_updated), (0, 1))
        teacher = Person.objects.get(user=self.teacher)
        self.assertEqual((teacher.position, teacher.phone), ("教研组长", "13912345678"))

    def test_a_phone_is_added_to_someone_who_had_none(self) -> None:
        person = actions.do_create_person(
            actor=None, unit=self.school, name="陈静", post_type="teacher"
        )
        data = workbook(people=[["陈静", "S0001", "", "专任教师", "", "否", "13600001111", "是"]])
        record = self.run_import(data, self.school_admin)
        self.assertEqual((record.people_created, record.people_updated), (0, 1))
        person.refresh_from_db()
        self.assertEqual(person.phone, "13600001111")
        event = AuditEvent.objects.filter(action="orgs.person.update").latest("id")
        assert event.after is not None
        self.assertTrue(event.after["phone_changed"])
        self.assertNotIn("13600001111", str(event.after))

    def test_it_rejects_files_that_are_not_workbooks(self) -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("hello.txt", "not a workbook")
        record = self.run_import(buffer.getvalue())
        errors = self.assert_rejected(record)
        self.assertIn("不是有效的 Excel 工作簿", errors[0][3])
        self.assertTrue(default_storage.exists(record.file.name))
        self.assertFalse(record.error_file)

        record = self.run_import(workbook(units=[]))
        self.assertIn("没有数据行", self.assert_rejected(record)[0][3])

    def test_a_crash_leaves_nothing_written_and_the_import_marked_failed(self) -> None:
        before = self.snapshot()
        data = workbook(
            units=[["S0600", "新学校", "", "", "学校", "", "", "", "C0001", 0]],
            people=[["王芳", "S0600", "", "专任教师", "", "", "", ""]],
        )
        record = roster.do_receive_roster(
            SimpleUploadedFile("名册.xlsx", data), actor=self.county_admin
        )
        with (
            mock.patch.object(importing, "_write_people", side_effect=RuntimeError("boom")),
            self.assertRaises(RuntimeError),
        ):
            roster.do_import_roster(record, actor=self.county_admin)
        record.refresh_from_db()
        self.assertEqual(record.status, RosterImport.Status.FAILED)
        self.assertIn("系统错误", record.errors[0]["message"])
        self.assertEqual(self.snapshot(), before)

    def test_bulk_writes_for_large_rosters_keep_one_summary_event(self) -> None:
        chen = actions.do_create_person(
            actor=None, unit=self.school, name="陈静", post_type="teacher"
        )
        rows = [
            [f"教师{i:03d}", "S0002", "", "专任教师", "", "否", f"1370000{i:04d}", "是"]
            for i in range(50)
        ]
        rows.append(["周小燕", "S0001", "", "党员教师", "", "是", "13912345678", "是"])
        rows.append(["陈静", "S0001", "", "专任教师", "", "否", "13600001111", "是"])
        with mock.patch.object(importing, "PER_ROW_LIMIT", 10):
            record = self.run_import(workbook(people=rows))
        self.assertEqual(record.status, RosterImport.Status.IMPORTED, record.errors)
        self.assertEqual((record.people_created, record.people_updated), (50, 2))
        self.assertFalse(
            AuditEvent.objects.filter(action__startswith="orgs.person.")
            .exclude(actor=None)
            .exists()
        )
        summary = AuditEvent.objects.get(action="orgs.roster.import")
        assert summary.after is not None
        self.assertTrue(summary.after["people_bulk"])
        teacher = Person.objects.get(user=self.teacher)
        self.assertEqual(
            summary.after["updated_people"],
            {str(teacher.pk): ["is_party_member", "post_type"], str(chen.pk): ["phone"]},
        )
        chen.refresh_from_db()
        self.assertEqual(chen.phone, "13600001111")
        self.assertEqual(Person.objects.filter(phone_index=chen.phone_index).get(), chen)
        self.assertEqual((teacher.post_type, teacher.is_party_member), ("party_teacher", True))
        self.assertEqual(teacher.phone, "13912345678")
        created = Person.objects.get(name="教师007")
        self.assertEqual(created.phone, "13700000007")
        self.assertEqual(Person.objects.filter(phone_index=created.phone_index).count(), 1)
        first, last = summary.after["created_people_ids"]
        self.assertEqual(Person.objects.filter(pk__range=(first, last)).count(), 50)


class RosterExportTestCase(RosterTestCase):
    def test_export_then_import_is_a_no_op(self) -> None:
        actions.do_create_person(actor=None, unit=self.school, name="陈静", post_type="teacher")
        actions.do_create_person(actor=None, unit=self.school, name="陈静", post_type="staff")
        actions.do_create_person(
            actor=None,
            unit=self.school2,
            name="=1+1",
            post_type="other",
            position="兼职",
            phone="0571-88886666",
            is_active=False,
            is_party_member=True,
        )
        for user in (self.bureau_admin, self.county_admin, self.school_admin):
            with self.subTest(user=user.username):
                before = self.snapshot()
                events = AuditEvent.objects.count()
                record = self.run_import(roster.export_roster(user), user)
                self.assertEqual(record.status, RosterImport.Status.IMPORTED, record.errors)
                self.assertEqual(
                    (
                        record.units_created,
                        record.units_updated,
                        record.people_created,
                        record.people_updated,
                    ),
                    (0, 0, 0, 0),
                )
                self.assertEqual(self.snapshot(), before)
                # The export and the import's summary, nothing else.
                self.assertEqual(AuditEvent.objects.count(), events + 2)

    def test_export_of_a_subtree_leaves_the_root_parent_blank(self) -> None:
        data = roster.export_roster(self.bureau_admin, root=self.county)
        units = sheet_rows(data, "单位")
        self.assertEqual(units[2][:2], ("单位编码", "单位名称"))
        self.assertEqual([r[0] for r in units[3:]], ["C0001", "S0001", "S0002"])
        self.assertEqual(units[3][8], None)
        self.assertEqual(units[4][8], "C0001")
        names = [r[0] for r in sheet_rows(data, "人员")[3:]]
        self.assertIn("周小燕", names)
        self.assertNotIn("李明", names)

    def test_phones_are_masked_for_staff_without_view_phone(self) -> None:
        full = sheet_rows(
            roster.check_export_roster_clear(self.county_admin, root=None, reason="核对联系方式"),
            "人员",
        )
        self.assertIn("13912345678", [r[6] for r in full])
        with mock.patch.dict(_RULES, {"export_roster": {"unit_admin", "staff"}}):
            self.login(self.teacher)
            response = self.client.get(reverse("orgs:roster_export"))
        self.assertEqual(response.status_code, 200)
        rows = sheet_rows(response.content, "人员")
        phones = [r[6] for r in rows[3:]]
        self.assertIn("139****5678", phones)
        self.assertIn("138****1234", phones)
        self.assertNotIn(b"13912345678", response.content)
        for row in rows:
            self.assertNotIn("13912345678", [str(v) for v in row])

    def test_template_has_instructions_and_imports_as_empty(self) -> None:
        self.login(self.school_admin)
        response = self.client.get(reverse("orgs:roster_template"))
        self.assertEqual(response.status_code, 200)
        book = load_workbook(io.BytesIO(response.content))
        self.assertEqual(book.sheetnames, ["单位", "人员", "填写说明"])
        notes = [r[1] for r in book["填写说明"].iter_rows(values_only=True)]
        self.assertIn("单位类型", notes)
        self.assertEqual([c.value for c in book["人员"][3]], PEOPLE_HEADER)
        record = self.run_import(response.content, self.school_admin)
        self.assertIn("没有数据行", self.assert_rejected(record)[0][3])


class RosterPagesTestCase(RosterTestCase):
    def test_it_shows_the_page_to_unit_admins_only(self) -> None:
        self.login(self.school_admin)
        response = self.client.get(reverse("orgs:roster_import"))
        self.assertContains(response, "名册导入与导出")
        self.assertContains(response, reverse("orgs:roster_template"))
        self.assertContains(response, f'href="{reverse("orgs:roster_import")}"')  # nav item
        self.login(self.teacher)
        self.assertEqual(self.client.get(reverse("orgs:roster_import")).status_code, 403)
        self.assertEqual(self.client.get(reverse("orgs:roster_export")).status_code, 403)

    def test_the_page_query_count_does_not_grow_with_imports(self) -> None:
        self.login(self.county_admin)
        data = workbook(people=[["王芳", "S0001", "", "专任教师", "", "", "", ""]])
        self.run_import(data)
        self.client.get(reverse("orgs:roster_import"))  # warm caches
        # session, user, roles, export choices, unread notifications, the user's person,
        # recent imports; a read does not save the session
        with self.assertNumQueries(7):
            self.client.get(reverse("orgs:roster_import"))
        for _i in range(5):
            self.run_import(data)
        with self.assertNumQueries(7):
            response = self.client.get(reverse("orgs:roster_import"))
        self.assertEqual(len(response.context["imports"]), 6)

    def test_it_imports_an_upload_and_shows_the_counts(self) -> None:
        self.login(self.county_admin)
        data = workbook(people=[["王芳", "S0001", "", "专任教师", "", "否", "", "是"]])
        with self.captureOnCommitCallbacks(execute=True):
            started = self.client.post(
                reverse("orgs:roster_import"), {"file": SimpleUploadedFile("名册.xlsx", data)}
            )
        job = last_job(work.IMPORT)
        self.assertRedirects(started, f"/core/jobs/{job.pk}/", fetch_redirect_response=False)
        record = RosterImport.objects.get()
        status = self.client.get(f"/core/jobs/{job.pk}/status/")
        self.assertEqual(status["HX-Redirect"], reverse("orgs:roster_result", args=[record.pk]))
        response = self.client.get(status["HX-Redirect"])
        self.assertContains(response, "名册已导入")
        self.assertContains(response, 'data-testid="roster-counts"')
        self.assertEqual(record.people_created, 1)
        self.assertEqual(record.uploaded_by, self.county_admin)

    def test_it_stores_the_upload_even_when_the_import_fails(self) -> None:
        self.login(self.county_admin)
        data = workbook(people=[["王芳", "S0003", "", "专任教师", "", "否", "", "是"]])
        response = post_and_run(
            self, reverse("orgs:roster_import"), {"file": SimpleUploadedFile("西山.xlsx", data)}
        )
        record = RosterImport.objects.get()
        self.assertEqual(record.status, RosterImport.Status.REJECTED)
        self.assertEqual(record.original_name, "西山.xlsx")
        with record.file.open("rb") as handle:
            self.assertEqual(handle.read(), data)
        self.assertContains(response, "单位编码 S0003 不存在或不在您的管辖范围内")
        self.assertContains(response, reverse("orgs:roster_errors", args=[record.pk]))
        errors = self.client.get(reverse("orgs:roster_errors", args=[record.pk]))
        self.assertEqual(errors.status_code, 200)
        self.assertIn("attachment", errors["Content-Disposition"])
        self.assertEqual(sheet_rows(errors.content, "人员")[0][-1], "错误说明")

    def test_other_users_get_404_for_an_import_and_an_out_of_scope_export(self) -> None:
        record = self.run_import(
            workbook(people=[["王芳", "S0001", "", "专任教师", "", "", "", ""]])
        )
        self.login(self.other_school_admin)
        self.assertEqual(
            self.client.get(reverse("orgs:roster_result", args=[record.pk])).status_code, 404
        )
        self.assertEqual(
            self.client.get(reverse("orgs:roster_errors", args=[record.pk])).status_code, 404
        )
        response = self.client.get(reverse("orgs:roster_export"), {"unit": self.county.pk})
        self.assertEqual(response.status_code, 404)

    def test_the_form_rejects_a_file_that_is_not_xlsx(self) -> None:
        self.login(self.county_admin)
        response = self.client.post(
            reverse("orgs:roster_import"),
            {"file": SimpleUploadedFile("名册.xlsx", b"\xd0\xcf\x11\xe0 old excel")},
        )
        self.assertContains(response, "文件内容不是有效的 Excel 工作簿")
        self.assertFalse(RosterImport.objects.exists())
