"""The quarterly assessment: the score reproduces a hand-computed example; units are ranked
within their category; a deduction and a veto need their reasons; a leader approves; a
unit sees only its own breakdown once published."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from qingfeng.campaigns import registers
from qingfeng.orgs.models import Unit
from qingfeng.reports import assessments, scoring
from qingfeng.reports.models import Score
from qingfeng.reports.tests.base import BulletinCase

SCHOOL = scoring.WEIGHTS["school"]


class ScoringTestCase(BulletinCase):
    def test_it_reproduces_a_hand_computed_example(self) -> None:
        figures = {
            "problems_closed": 4,
            "problems_closed_on_time": 3,  # 按期销号率 75
            "problems_overdue": 1,  # 逾期问题 100 − 20 = 80
            "tickets_rated": 5,
            "tickets_satisfied": 4,  # 工单满意率 80
            "weekly_due": 4,
            "weekly_on_time": 3,  # 周报及时率 75; no ratings: 群众评议 left out
            "activities": 2,  # 接待和下基层 2 ÷ 3 × 100 = 66.67
            "attendance_attended": 18,
            "attendance_expected": 20,  # 学习出席率 90
            "visit_findings": 2,
            "visit_findings_fixed": 1,  # 督导发现问题 100 − 10 × 1 = 90
        }
        values = scoring.values(figures)
        self.assertEqual(
            {k: None if v is None else round(v, 2) for k, v in values.items()},
            {
                "closure": 75.0,
                "overdue": 80.0,
                "tickets": 80.0,
                "ratings": None,
                "weekly": 75.0,
                "activities": 66.67,
                "study": 90.0,
                "oversight": 90.0,
                "remedial": None,  # no remedial round escalated: left out
            },
        )
        # (25×75 + 10×80 + 15×80 + 10×75 + 10×66.667 + 10×90 + 5×90)
        # ÷ (25 + 10 + 15 + 10 + 10 + 10 + 5) = 6641.667 ÷ 85 = 78.137…
        self.assertEqual(scoring.total(values, SCHOOL), Decimal("78.14"))
        self.assertEqual(scoring.total(values, SCHOOL, deduction=Decimal(2)), Decimal("76.14"))
        # More activities than asked for score no more than 100.
        self.assertEqual(scoring.values({"activities": 7})["activities"], 100.0)
        self.assertEqual(scoring.total(values, SCHOOL, vetoed=True), Decimal(0))
        # A re-evaluation still below the threshold in the quarter (提级督办): 回炉补课 0 with
        # its weight 10 — 6641.667 ÷ (85 + 10) = 69.912…
        escalated = scoring.values({**figures, "remedials_escalated": 1})
        self.assertEqual(escalated["remedial"], 0.0)
        self.assertEqual(scoring.total(escalated, SCHOOL), Decimal("69.91"))

    def test_ranks_are_shared_on_ties_and_vetoed_units_come_last(self) -> None:
        rows = [
            (1, Decimal(90), False),
            (2, Decimal(95), True),
            (3, Decimal(90), False),
            (4, Decimal(80), False),
        ]
        self.assertEqual(scoring.ranks(rows), {1: 1, 3: 1, 4: 3, 2: 4})

    def create(self) -> object:
        with time_machine.travel("2026-12-02 09:00 +0800", tick=False):
            return assessments.check_create_assessment(
                actor=self.office_user, issuer=self.bureau, quarter="2026-Q4"
            )

    def test_units_are_scored_and_ranked_within_their_category(self) -> None:
        # The school held a reception day each month of the quarter (one called off: no count).
        with time_machine.travel("2026-12-01 09:00 +0800", tick=False):
            for day in (date(2026, 10, 15), date(2026, 11, 12), date(2026, 11, 26)):
                registers.check_record_activity(
                    actor=self.school_admin, unit=self.school, kind="reception",
                    held_on=day, place="学校接待室", cadre="校长",
                )  # fmt: skip
            off = registers.check_plan_activity(
                actor=self.school_admin, unit=self.school, kind="reception",
                held_on=date(2026, 12, 1), starts_at=time(14), place="学校接待室",
                cadre="校长", how_to_come="无需预约",
            )  # fmt: skip
            registers.check_cancel_activity(off, actor=self.school_admin, reason="临时停电")
        assessment = self.create()
        scores = {s.unit_id: s for s in Score.objects.filter(assessment=assessment)}  # type: ignore[misc]
        self.assertEqual(scores[self.school.pk].category, Unit.Category.SCHOOL)
        self.assertEqual(scores[self.county.pk].category, Unit.Category.ORGAN)
        # Overdue (10), activities (10) and oversight findings (5) are the only indicators with
        # data: the school scores 100 on each, the two other schools 100, 0 and 100 —
        # (10 × 100 + 10 × 0 + 5 × 100) ÷ 25 = 60.
        self.assertEqual(scores[self.school.pk].values["activities"], 100.0)
        self.assertEqual(scores[self.school.pk].total, Decimal("100.00"))
        others = [s for s in scores.values() if s.category == "school" and s.unit != self.school]
        self.assertEqual([(s.total, s.rank) for s in others], [(Decimal("60.00"), 2)] * 2)
        self.assertEqual(scores[self.school.pk].rank, 1)
        self.assertEqual(assessment.scheme["version"], 3)  # type: ignore[attr-defined]
        with self.assertRaises(ValidationError):
            self.create()  # the same quarter twice

    def test_a_veto_and_a_deduction_with_reasons_and_only_in_draft(self) -> None:
        assessment = self.create()
        score = Score.objects.get(assessment=assessment, unit=self.school)  # type: ignore[misc]
        with self.assertRaises(ValidationError):
            assessments.check_adjust_score(
                score, actor=self.office_user, deduction="3", deduction_reason="", veto_reason=""
            )
        assessments.check_adjust_score(
            score,
            actor=self.office_user,
            deduction="0",
            deduction_reason="",
            veto_reason="发生违反中央八项规定精神问题",
        )
        score.refresh_from_db()
        self.assertEqual((score.total, score.rank), (Decimal(0), 3))
        other = Score.objects.get(assessment=assessment, unit=self.school2)  # type: ignore[misc]
        self.assertEqual(other.rank, 1)
        with self.assertRaises(ValidationError):
            assessments.check_approve_assessment(assessment, actor=self.office_user)  # type: ignore[arg-type]
        assessments.check_approve_assessment(assessment, actor=self.leader)  # type: ignore[arg-type]
        with self.assertRaises(ValidationError):
            assessments.check_adjust_score(
                other,
                actor=self.office_user,
                deduction="1",
                deduction_reason="迟报",
                veto_reason="",
            )

    def test_a_unit_sees_its_own_breakdown_once_published(self) -> None:
        assessment = self.create()
        url = reverse("reports:assessment", args=[assessment.pk])  # type: ignore[attr-defined]
        self.assertEqual(self.login(self.school_admin).get(url).status_code, 404)
        assessments.check_approve_assessment(assessment, actor=self.leader)  # type: ignore[arg-type]
        assessments.check_publish_assessment(assessment, actor=self.office_user)  # type: ignore[arg-type]
        page = self.login(self.school_admin).get(url)
        self.assertContains(page, self.school.name)
        self.assertNotContains(page, self.school2.name)
        self.assertContains(page, "计分公式")
        export = self.login(self.office_user).get(
            reverse("reports:assessment_export", args=[assessment.pk])  # type: ignore[attr-defined]
        )
        self.assertEqual(export.status_code, 200)

    def test_a_bad_quarter_is_refused(self) -> None:
        for quarter in ("2026Q4", "2026-Q5", "2031-Q1"):
            with self.assertRaises(ValidationError):
                assessments.check_create_assessment(
                    actor=self.office_user, issuer=self.bureau, quarter=quarter
                )
        self.assertEqual(
            assessments.quarter_bounds("2026-Q4"), (date(2026, 10, 1), date(2026, 12, 31))
        )
