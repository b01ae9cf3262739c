"""The third-party indicator scheme: typed or pasted by the office, frozen and versioned when
the round opens, each score checked against its indicator's maximum (by hand and in the
assessor's workbook), the weighted total in the results, the scheme on pages and exports."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import xlwt
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from qingfeng.evaluation import actions, scheme, selectors
from qingfeng.evaluation.models import Round, ScoreImport, ThirdPartyScore
from qingfeng.evaluation.tests.base import EvaluationCase

# As an office pastes it from its spreadsheet: full-width digits, "分", mixed separators.
SCHEME_TEXT = """队伍建设｜师德师风建设｜４０｜20分
办学行为|规范收费|30|10
办学行为\t规范办学行为\t30\t１５分
"""


def indicators() -> list[scheme.Indicator]:
    rows, errors = scheme.parse_lines(SCHEME_TEXT)
    assert not errors, errors
    return rows


def wps_xlsx(rows: list[list[Any]]) -> bytes:
    """The way a WPS table is made: title, reporting line, the groups merged over their
    indicators on row 3 and "指标（满分）" below them on row 4, numbers typed as text."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["2026年第四季度作风建设第三方评估得分表"])
    ws.merge_cells("A1:G1")
    ws.append(["评估机构（盖章）：清河市某评估中心", None, None, None, "填报日期：2026年12月1日"])
    ws.append(["序号", "学校名称", "单位代码", "队伍建设", "办学行为", None, "扣分说明"])
    ws.append(
        [None, None, None, "师德师风建设（20分）", "规范收费(满分10分)", "规范办学行为 15分", None]
    )
    for cells in ("A3:A4", "B3:B4", "C3:C4", "E3:F3", "G3:G4"):
        ws.merge_cells(cells)
    for row in rows:
        ws.append(row)
    ws.append(["合计", None, None, None, None, None, None])
    ws.append(["填表人：司马东", None, None, "审核人："])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def libreoffice_xls(rows: list[list[Any]]) -> bytes:
    """One row per unit and indicator, saved by LibreOffice as Excel 97–2003 (.xls)."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("得分明细")
    for i, label in enumerate(["序号", "被评单位", "指标名称", "评分", "说明"]):
        sheet.write(0, i, label)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values):
            sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class SchemeRulesTestCase(EvaluationCase):
    def test_it_reads_what_the_office_pastes(self) -> None:
        rows = indicators()
        self.assertEqual(
            [(i.group, i.name, i.weight, i.max_score) for i in rows],
            [
                ("队伍建设", "师德师风建设", 40, Decimal(20)),
                ("办学行为", "规范收费", 30, Decimal(10)),
                ("办学行为", "规范办学行为", 30, Decimal(15)),
            ],
        )
        self.assertEqual(scheme.parse_lines(scheme.as_lines(rows)), (rows, []))
        self.assertEqual(scheme.check(rows), [])
        _rows, errors = scheme.parse_lines("师德师风｜四十｜20\n只有名称")
        self.assertEqual(len(errors), 2)
        self.assertIn("第 1 行的权重须是整数", errors[0])

    def test_it_refuses_a_scheme_that_does_not_add_up(self) -> None:
        rows, _e = scheme.parse_lines("甲｜60｜20\n甲｜30｜120\n乙｜0｜10")
        errors = " ".join(scheme.check(rows))
        self.assertIn("权重之和须为 100（现为 90）", errors)
        self.assertIn("“甲”重复", errors)
        self.assertIn("满分须在 0 到 100 分之间", errors)
        self.assertIn("“乙”的权重须大于 0", errors)

    def test_the_weighted_total(self) -> None:
        rows = indicators()
        full = {"师德师风建设": Decimal(18), "规范收费": Decimal(9), "规范办学行为": Decimal(12)}
        # 40 × 18/20 + 30 × 9/10 + 30 × 12/15 = 36 + 27 + 24
        self.assertEqual(scheme.weighted_total(rows, full), Decimal("87.00"))
        # An indicator not scored leaves its weight out: (36 + 27) / 70 × 100.
        part = {"师德师风建设": Decimal(18), "规范收费": Decimal(9)}
        self.assertEqual(scheme.weighted_total(rows, part), Decimal("90.00"))
        self.assertIsNone(scheme.weighted_total(rows, {}))

    def test_a_header_matches_its_indicator_with_or_without_the_maximum(self) -> None:
        rows = indicators()
        for label in (
            "师德师风建设（20分）",
            "师德师风建设(满分20分)",
            " 师德师风建设 ",
            "师德师风建设20分",
        ):
            self.assertEqual(scheme.find(rows, label), rows[0], label)
        self.assertIsNone(scheme.find(rows, "师德师风"))


class SchemeFrozenTestCase(EvaluationCase):
    def test_it_is_set_on_a_draft_and_frozen_with_a_version_when_the_round_opens(self) -> None:
        first = self.make_round(indicators=indicators())
        self.assertEqual(first.scheme_version, 0)
        actions.check_open_round(first, actor=self.office_user)
        self.assertEqual(first.scheme_version, 1)
        with self.assertRaisesMessage(ValidationError, "评议开始后指标体系不能再修改"):
            actions.check_set_scheme(first, actor=self.office_user, indicators=[])
        # The same scheme next quarter keeps its version; a changed one takes the next.
        same = self.open_round(name="第二轮", indicators=indicators())
        self.assertEqual(same.scheme_version, 1)
        changed = self.make_round(name="第三轮")
        rows = indicators()
        rows[0] = scheme.Indicator("师德师风建设", 40, Decimal(25), "队伍建设")
        actions.check_set_scheme(changed, actor=self.office_user, indicators=rows)
        actions.check_open_round(changed, actor=self.office_user)
        self.assertEqual(changed.scheme_version, 2)
        self.assertEqual(self.open_round(name="不设指标").scheme_version, 0)

    def test_a_bad_scheme_is_refused_and_nothing_changes(self) -> None:
        round_ = self.make_round(indicators=indicators())
        rows, _e = scheme.parse_lines("甲｜50｜20")
        with self.assertRaisesMessage(ValidationError, "权重之和须为 100"):
            actions.check_set_scheme(round_, actor=self.office_user, indicators=rows)
        round_.refresh_from_db()
        self.assertEqual(len(round_.indicators), 3)

    def test_the_scheme_page_edits_a_draft_only(self) -> None:
        round_ = self.make_round()
        url = reverse("evaluation:scheme", args=[round_.pk])
        self.login(self.school_admin)  # not the office: the guard refuses the page
        self.assertEqual(self.client.get(url).status_code, 403)
        self.login(self.office_user)
        bad = self.client.post(url, {"indicators": "甲｜50｜20"})
        self.assertContains(bad, "权重之和须为 100（现为 50）", status_code=400)
        self.client.post(url, {"indicators": SCHEME_TEXT})
        round_.refresh_from_db()
        self.assertEqual([i["name"] for i in round_.indicators][1], "规范收费")
        page = self.client.get(reverse("evaluation:round", args=[round_.pk]))
        self.assertContains(page, 'data-testid="scheme-row"', count=3)
        actions.check_open_round(round_, actor=self.office_user)
        self.assertNotContains(self.client.get(url), 'data-testid="scheme-form"')


class SchemeScoresTestCase(EvaluationCase):
    def setUp(self) -> None:
        self.round = self.open_round(area=self.county, indicators=indicators())

    def upload(self, data: bytes, name: str = "第三方评估得分.xlsx") -> ScoreImport:
        return actions.check_import_scores(
            self.round, SimpleUploadedFile(name, data), actor=self.assessor
        )

    def test_a_wps_workbook_is_matched_to_the_scheme_and_totalled(self) -> None:
        record = self.upload(
            wps_xlsx(
                [
                    [1, "东城区实验小学", "S0001", "１８", "9分", "12 分", "食堂公示不及时"],
                    ["２", "东城区第二中学", None, 20, "１０分", "", None],
                ]
            )
        )
        self.assertEqual(record.status, ScoreImport.Status.PENDING, record.errors)
        self.assertEqual(
            {(r["unit"], r["indicator"], r["score"]) for r in record.rows},
            {
                ("东城区实验小学", "师德师风建设", "18.00"),
                ("东城区实验小学", "规范收费", "9.00"),
                ("东城区实验小学", "规范办学行为", "12.00"),
                ("东城区第二中学", "师德师风建设", "20.00"),
                ("东城区第二中学", "规范收费", "10.00"),
            },
        )
        actions.check_confirm_scores(record, actor=self.office_user)
        results = {r.unit.pk: r for r in selectors.results(self.round)}
        self.assertEqual(results[self.school.pk].third_party, 87.0)
        self.assertEqual(results[self.school2.pk].third_party, 100.0)  # 2 of 3 scored, full

    def test_a_score_over_its_maximum_rejects_the_file_at_that_cell(self) -> None:
        record = self.upload(wps_xlsx([[1, "东城区实验小学", "S0001", 18, "１２分", 15, None]]))
        self.assertEqual(record.status, ScoreImport.Status.REJECTED)
        self.assertEqual(
            [(e["row"], e["column"], e["message"]) for e in record.errors],
            [(5, "规范收费(满分10分)", "“规范收费”满分 10 分，得分 12 超过满分")],
        )
        marked = load_workbook(io.BytesIO(record.error_file.read()))["Sheet1"]
        self.assertEqual(marked["E5"].fill.fgColor.rgb[-6:], "FFC7CE")
        self.assertFalse(ThirdPartyScore.objects.exists())

    def test_an_indicator_outside_the_scheme_is_named_once(self) -> None:
        data = libreoffice_xls(
            [
                [1, "东城区实验小学", "规范收费", "８分", ""],
                [2, "东城区实验小学", "校园安全", 9, ""],
                [3, "东城区第二中学", "校园安全", 7, ""],
            ]
        )
        record = self.upload(data, "得分明细.xls")
        self.assertEqual(record.status, ScoreImport.Status.REJECTED)
        self.assertEqual(len(record.errors), 1)
        self.assertIn("指标体系（第 1 版）中没有“校园安全”指标", record.errors[0]["message"])

    def test_a_legacy_xls_in_the_long_layout_is_accepted(self) -> None:
        data = libreoffice_xls(
            [[1, "东城区实验小学", "规范办学行为（15分）", "１３．５", "作业公示"]]
        )
        record = self.upload(data, "得分明细.xls")
        self.assertEqual(record.status, ScoreImport.Status.PENDING, record.errors)
        self.assertEqual(record.rows[0]["indicator"], "规范办学行为")

    def test_entry_by_hand_is_held_to_the_scheme(self) -> None:
        enter = actions.check_enter_third_party
        with self.assertRaisesMessage(ValidationError, "满分 10 分，得分 11 超过满分"):
            enter(
                self.round, actor=self.assessor, unit=self.school, indicator="规范收费", score="11"
            )
        with self.assertRaisesMessage(ValidationError, "没有“校园安全”指标"):
            enter(
                self.round, actor=self.assessor, unit=self.school, indicator="校园安全", score="5"
            )
        entry = enter(
            self.round,
            actor=self.assessor,
            unit=self.school,
            indicator="规范收费（10分）",
            score="９",
        )
        self.assertEqual((entry.indicator, entry.score), ("规范收费", Decimal("9.00")))

    def test_the_template_carries_the_scheme_and_reads_back(self) -> None:
        self.login(self.assessor)
        response = self.client.get(reverse("evaluation:score_template", args=[self.round.pk]))
        ws = load_workbook(io.BytesIO(response.content)).active
        self.assertEqual([c.value for c in ws[3]][3:5], ["队伍建设", "办学行为"])
        self.assertEqual(
            [c.value for c in ws[4]][3:6],
            ["师德师风建设（20分）", "规范收费（10分）", "规范办学行为（15分）"],
        )
        for row in ws.iter_rows(min_row=5):
            if row[1].value == "东城区实验小学":
                row[3].value, row[4].value = "１９分", 10
        buffer = io.BytesIO()
        ws.parent.save(buffer)
        record = self.upload(buffer.getvalue())
        self.assertEqual(record.status, ScoreImport.Status.PENDING, record.errors)
        self.assertEqual(len(record.rows), 2)

    def test_pages_exports_and_api_print_the_scheme(self) -> None:
        actions.check_enter_third_party(
            self.round, actor=self.assessor, unit=self.school, indicator="规范收费", score="9"
        )
        self.login(self.office_user)
        page = self.client.get(reverse("evaluation:unit", args=[self.round.pk, self.school.pk]))
        self.assertContains(page, "第三方评估指标体系（第 1 版）")
        self.assertContains(page, 'data-testid="scheme-row"', count=3)
        self.assertContains(page, "按指标体系第 1 版")
        export = self.client.get(reverse("evaluation:export", args=[self.round.pk]))
        book = load_workbook(io.BytesIO(export.content))
        self.assertIn("指标体系", book.sheetnames)
        rows = [[c.value for c in r] for r in book["指标体系"].iter_rows(min_row=5)]
        self.assertEqual(rows[1][:5], [2, "办学行为", "规范收费", 30, 10])
        text = " ".join(str(c.value) for r in book["评议结果"].iter_rows() for c in r if c.value)
        self.assertIn("按指标体系第 1 版（3 项指标", text)
        api = self.client.get(f"/api/evaluation/rounds/{self.round.pk}/results")
        self.assertEqual(api.json()["scheme_version"], 1)
        self.assertEqual(api.json()["scheme"][0]["max"], "20")
        self.assertEqual(api.json()["results"][0]["third_party"] is not None, True)
        self.assertEqual(Round.objects.get().scheme_version, 1)
