"""The third-party assessor's workbook, made the way offices make it: a title row, the
reporting line, a merged "评估得分" header over the indicators, full-width digits and "85分",
a signature line; .xlsx and legacy .xls. All rows or none; the office confirms."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import xlwt
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from qingfeng.core.models import AuditEvent
from qingfeng.evaluation import actions, excel
from qingfeng.evaluation.models import Round, ScoreImport, ThirdPartyScore
from qingfeng.evaluation.tests.base import EvaluationCase

INDICATORS = ["师德师风建设", "规范办学行为", "整改落实成效"]


def office_xlsx(rows: list[list[Any]], *, indicators: list[str] = INDICATORS) -> bytes:
    """序号 | 单位名称 | 评估得分 (merged over the indicators) | 备注, title and footer rows."""
    wb = Workbook()
    ws = wb.active
    ws.title = "评估得分"
    width = 3 + len(indicators)
    ws.append(["2026年第四季度作风建设第三方评估得分汇总表"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.append(["评估机构（盖章）：清河市某评估中心", None, None, "填报日期：2026年12月1日"])
    ws.append(["序号", "单位名称", "评估得分", *[None] * (len(indicators) - 1), "备注"])
    ws.append([None, None, *indicators, None])
    ws.merge_cells("A3:A4")
    ws.merge_cells("B3:B4")
    ws.merge_cells(start_row=3, start_column=3, end_row=3, end_column=2 + len(indicators))
    ws.merge_cells(start_row=3, start_column=width, end_row=4, end_column=width)
    for row in rows:
        ws.append(row)
    ws.append([])
    ws.append(["填表人：张评估", None, "审核人：", None])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def office_xls(rows: list[list[Any]]) -> bytes:
    """The long layout as a legacy .xls: one row per unit and indicator."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    sheet.write_merge(0, 0, 0, 4, "第三方评估得分明细表")
    for i, label in enumerate(["序号", "被评单位", "评估指标", "得分", "扣分说明"]):
        sheet.write(1, i, label)
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values):
            sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class ScoreImportTestCase(EvaluationCase):
    def setUp(self) -> None:
        self.round = self.open_round(area=self.county)

    def upload(self, data: bytes, name: str = "第三方评估得分.xlsx") -> ScoreImport:
        return actions.check_import_scores(
            self.round, SimpleUploadedFile(name, data), actor=self.assessor
        )

    def test_an_office_workbook_is_read_and_waits_for_the_office(self) -> None:
        data = office_xlsx(
            [
                [1, "东城区实验小学", "８５", "90分", 78.5, "食堂公示不及时"],
                ["２", " 东城区第二中学 ", 92, "", "８８．５ 分", None],
            ]
        )
        record = self.upload(data)
        self.assertEqual(record.status, ScoreImport.Status.PENDING, record.errors)
        got = {(r["unit"], r["indicator"], r["score"]) for r in record.rows}
        self.assertEqual(
            got,
            {
                ("东城区实验小学", "师德师风建设", "85.00"),
                ("东城区实验小学", "规范办学行为", "90.00"),
                ("东城区实验小学", "整改落实成效", "78.50"),
                ("东城区第二中学", "师德师风建设", "92.00"),
                ("东城区第二中学", "整改落实成效", "88.50"),
            },
        )
        self.assertFalse(ThirdPartyScore.objects.exists())  # nothing counts before the office

        actions.check_confirm_scores(record, actor=self.office_user)
        scores = ThirdPartyScore.objects.filter(unit=self.school, superseded=False)
        self.assertEqual(
            sorted(s.score for s in scores), [Decimal("78.50"), Decimal("85.00"), Decimal("90")]
        )
        self.assertEqual(scores.get(indicator="整改落实成效").comment, "食堂公示不及时")
        self.assertTrue(
            AuditEvent.objects.filter(action="evaluation.third_party.import_confirm").exists()
        )
        with self.assertRaisesMessage(Exception, "不能确认"):
            actions.check_confirm_scores(record, actor=self.office_user)
        self.assertEqual(ThirdPartyScore.objects.count(), 5)

    def test_one_wrong_cell_rejects_the_whole_file_with_an_error_workbook(self) -> None:
        data = office_xlsx(
            [
                [1, "东城区实验小学", 85, 90, 80, None],
                [2, "东城区第二中学", "优", 101, 80, None],
                [3, "西山县第一中学", 70, 70, 70, None],  # not in this round
                [4, "东城区实验小学", 60, None, None, None],  # scored twice
            ]
        )
        record = self.upload(data)
        self.assertEqual(record.status, ScoreImport.Status.REJECTED)
        self.assertEqual(record.rows, [])
        messages = [(e["row"], e["column"], e["message"]) for e in record.errors]
        self.assertIn(
            (6, "师德师风建设", "“优”不是 0 到 100 之间的分数（可写 85、85.5 或 85分）"), messages
        )
        self.assertTrue(
            any(row == 7 and "没有名为“西山县第一中学”" in m for row, _c, m in messages)
        )
        self.assertTrue(any(row == 8 and "第5行已有分数" in m for row, _c, m in messages))
        self.assertFalse(ThirdPartyScore.objects.exists())
        marked = load_workbook(io.BytesIO(record.error_file.read()))
        sheet = marked["评估得分"]
        self.assertEqual(sheet["B6"].value, "东城区第二中学")  # the same rows, same numbers
        self.assertIn("“优”不是", sheet["G6"].value)  # the notes, after the last column
        self.assertIn("“101”不是", sheet["G6"].value)
        self.assertEqual(sheet["C6"].fill.fgColor.rgb[-6:], "FFC7CE")  # the wrong cell, red
        self.assertIn("错误汇总", marked.sheetnames)

    def test_a_legacy_xls_in_the_long_layout(self) -> None:
        data = office_xls(
            [
                [1, "东城区实验小学", "师德师风建设", "８６分", ""],
                [2, "东城区实验小学", "规范办学行为", 91, "作业公示规范"],
            ]
        )
        record = self.upload(data, "得分明细.xls")
        self.assertEqual(record.status, ScoreImport.Status.PENDING, record.errors)
        self.assertEqual(
            [(r["indicator"], r["score"], r["comment"]) for r in record.rows],
            [("师德师风建设", "86.00", ""), ("规范办学行为", "91.00", "作业公示规范")],
        )

    def test_a_file_that_is_no_score_sheet_is_refused_clearly(self) -> None:
        record = self.upload(b"<html>not a workbook</html>", "得分.xls")
        self.assertEqual(record.status, ScoreImport.Status.REJECTED)
        self.assertIn("不是有效的 Excel 工作簿", record.errors[0]["message"])
        wb = Workbook()
        wb.active.append(["姓名", "电话"])
        buffer = io.BytesIO()
        wb.save(buffer)
        record = self.upload(buffer.getvalue())
        self.assertIn("没有找到评分表头", record.errors[0]["message"])

    def test_the_office_returns_an_import_and_nothing_is_scored(self) -> None:
        record = self.upload(office_xlsx([[1, "东城区实验小学", 85, 90, 80, None]]))
        with self.assertRaisesMessage(Exception, "请填写退回理由"):
            actions.check_return_scores(record, actor=self.office_user, reason=" ")
        actions.check_return_scores(record, actor=self.office_user, reason="指标名称与方案不一致")
        with self.assertRaisesMessage(Exception, "不能确认"):
            actions.check_confirm_scores(record, actor=self.office_user)
        self.assertFalse(ThirdPartyScore.objects.exists())

    def test_the_template_reads_back_as_an_empty_form(self) -> None:
        data = excel.template_workbook(
            title="评估得分表",
            units=[("东城区实验小学", "S0001")],
            indicators=[(i, "") for i in INDICATORS],
        )
        sheet = load_workbook(io.BytesIO(data)).active
        self.assertEqual([c.value for c in sheet[4]][3:6], INDICATORS)
        with self.assertRaisesMessage(Exception, "评分表中没有分数"):
            excel.read_scores(data, "模板.xlsx")

    def test_the_pages_upload_confirm_and_scope(self) -> None:
        url = reverse("evaluation:score_imports", args=[self.round.pk])
        self.login(self.assessor)
        self.assertEqual(self.client.get(url).status_code, 200)
        template = self.client.get(reverse("evaluation:score_template", args=[self.round.pk]))
        self.assertEqual(template.status_code, 200)
        filled = load_workbook(io.BytesIO(template.content))
        ws = filled.active
        for row in ws.iter_rows(min_row=5):
            if row[1].value == "东城区实验小学":
                row[3].value = "８８分"
        buffer = io.BytesIO()
        filled.save(buffer)
        big = self.client.post(
            url, {"file": SimpleUploadedFile("得分.xlsx", b"x")}, CONTENT_LENGTH=str(20 * 2**20)
        )
        self.assertContains(big, "文件超过 10 MB", status_code=400)
        self.assertFalse(ScoreImport.objects.exists())  # refused before the body is read
        page = self.client.post(
            url, {"file": SimpleUploadedFile("得分.xlsx", buffer.getvalue())}, follow=True
        )
        self.assertContains(page, "待专项办确认")
        record = ScoreImport.objects.get()
        detail = reverse("evaluation:score_import", args=[self.round.pk, record.pk])
        self.assertEqual(self.client.post(detail, {"decision": "confirm"}).status_code, 404)
        # Another school's admin, and the school itself, reach none of it.
        for user in (self.school_admin, self.other_school_admin):
            self.login(user)
            self.assertEqual(self.client.get(detail).status_code, 404)
        self.login(self.office_user)
        self.client.post(detail, {"decision": "confirm"})
        record.refresh_from_db()
        self.assertEqual(record.status, ScoreImport.Status.CONFIRMED)
        self.assertEqual(
            ThirdPartyScore.objects.get(unit=self.school, indicator="师德师风").score,
            Decimal("88"),
        )

    def test_nothing_is_imported_after_publication(self) -> None:
        record = self.upload(office_xlsx([[1, "东城区实验小学", 85, 90, 80, None]]))
        actions.check_close_round(self.round, actor=self.office_user)
        actions.check_publish_round(self.round, actor=self.office_user)
        self.round.refresh_from_db()
        self.assertEqual(self.round.status, Round.Status.CLOSED)
        with self.assertRaisesMessage(Exception, "结果发布前才能录入评分"):
            actions.check_confirm_scores(record, actor=self.office_user)
        self.assertFalse(ThirdPartyScore.objects.exists())
        record.refresh_from_db()
        self.assertEqual(record.status, ScoreImport.Status.PENDING)
