from __future__ import annotations

import io

from django.test import Client, override_settings
from django.urls import reverse
from docx import Document

from qingfeng.core.models import AuditEvent
from qingfeng.core.tests.machine import FILES_IN_MEMORY
from qingfeng.ledger.models import Problem
from qingfeng.lib import gbt9704
from qingfeng.oversight import actions
from qingfeng.oversight.models import Round, RoundFinding
from qingfeng.oversight.report import numeral
from qingfeng.oversight.tests import test_rounds
from qingfeng.oversight.tests.base import OversightCase


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


@override_settings(STORAGES=FILES_IN_MEMORY)
class RectificationReportTestCase(OversightCase):
    def close_through_the_ledger(self, problem: Problem) -> None:
        test_rounds.RoundTestCase.close_through_the_ledger(self, problem)  # type: ignore[arg-type]

    def handed_over(self) -> Round:
        round_ = self.staffed_round()
        actions.check_self_check(
            round_,
            actor=self.school_admin,
            unit=self.school,
            text="办公用房超标",
            fix_note="已腾退",
        )
        actions.check_advance_round(round_, actor=self.office_user)  # 了解情况
        for unit, text in ((self.school, "违规收取资料费"), (self.school2, "公车私用")):
            actions.check_add_round_finding(
                round_,
                actor=self.member,
                unit=unit,
                text=text,
                audience=RoundFinding.Audience.LEADERSHIP,
            )
        for _ in range(3):  # 报告 → 反馈 → 移交
            actions.check_advance_round(round_, actor=self.office_user)
        return round_

    def test_the_report_holds_findings_problems_status_and_closure(self) -> None:
        round_ = self.handed_over()
        fees = Problem.objects.get(source=Problem.Source.INSPECTION, unit=self.school)
        self.close_through_the_ledger(fees)
        url = reverse("oversight:round_report", args=[round_.pk])
        response = self.login(self.office_user, Client()).get(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn(".docx", response["Content-Disposition"])
        data = response.content
        self.assertEqual(gbt9704.check(data), [])
        text = docx_text(data)
        for expected in (
            "反馈问题整改情况的报告",
            "巡察反馈问题2个，已完成整改（销号）1个",
            "违规收取资料费",
            "公车私用",
            fees.number,
            "已销号",
            "办公用房超标",
            "已腾退",
            "东城区实验小学",
        ):
            self.assertIn(expected, text)
        audit = AuditEvent.objects.filter(action="oversight.round.report").latest("id")
        self.assertEqual(audit.actor, self.office_user)

    def test_a_unit_gets_its_own_report_only(self) -> None:
        round_ = self.handed_over()
        url = reverse("oversight:round_report", args=[round_.pk])
        school = self.login(self.school_admin, Client())
        text = docx_text(school.get(url).content)
        self.assertIn("违规收取资料费", text)
        self.assertNotIn("公车私用", text)
        own = school.get(f"{url}?unit={self.school.pk}")
        self.assertEqual(own.status_code, 200)
        self.assertIn("东城区实验小学文件", docx_text(own.content))
        self.assertEqual(school.get(f"{url}?unit={self.school2.pk}").status_code, 404)
        self.assertEqual(school.get(f"{url}?unit=x").status_code, 404)
        outsider = self.login(self.other_school_admin, Client())
        self.assertEqual(outsider.get(url).status_code, 404)

    def test_before_the_feedback_a_unit_sees_only_its_self_checks(self) -> None:
        round_ = self.staffed_round()
        actions.check_advance_round(round_, actor=self.office_user)  # 了解情况
        actions.check_add_round_finding(
            round_,
            actor=self.member,
            unit=self.school,
            text="违规收取资料费",
            audience=RoundFinding.Audience.PRINCIPAL,
        )
        url = reverse("oversight:round_report", args=[round_.pk])
        text = docx_text(self.login(self.school_admin, Client()).get(url).content)
        self.assertNotIn("违规收取资料费", text)
        self.assertIn("暂无巡察反馈问题", text)

    def test_the_workspace_links_the_reports(self) -> None:
        round_ = self.staffed_round()
        page = self.login(self.office_user, Client()).get(
            reverse("oversight:round", args=[round_.pk])
        )
        self.assertContains(page, reverse("oversight:round_report", args=[round_.pk]))
        self.assertContains(page, f"?unit={self.school.pk}")

    def test_numerals(self) -> None:
        self.assertEqual(
            [numeral(n) for n in (1, 10, 11, 20, 23)], ["一", "十", "十一", "二十", "二十三"]
        )
