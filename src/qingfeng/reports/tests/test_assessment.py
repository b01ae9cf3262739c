"""The quarterly assessment: the score reproduces a hand-computed example; units are ranked
within their category; a deduction and a veto need their reasons; a leader approves; a
unit sees only its own breakdown once published."""

from __future__ import annotations

import io
from datetime import date, time
from decimal import Decimal
from typing import Any

import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from qingfeng.campaigns import registers
from qingfeng.core.models import AuditEvent
from qingfeng.ledger.tests.base import PNG
from qingfeng.orgs.models import Unit
from qingfeng.reports import assessments, scoring
from qingfeng.reports.models import Assessment, ManualScore, Score
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
            # Two rounds closed in the quarter, composites 85.23 and 79.11: 三评综合得分
            # (85.23 + 79.11) ÷ 2 = 82.17 — not the ratings' satisfaction rate (60 here).
            "composite_results": 2,
            "composite_hundredths": 8523 + 7911,
            "ratings_base": 40,
            "ratings_satisfied": 24,
            "weekly_due": 4,
            "weekly_on_time": 3,  # 周报及时率 75
            "activities": 2,  # 接待和下基层 2 ÷ 3 × 100 = 66.67
            # Three study types a month over the quarter, one month of one type missed:
            # 学习规定动作落实率 8 ÷ 9 × 100 = 88.89 — not the attendance (90 here).
            "cadence_due": 9,
            "cadence_kept": 8,
            "attendance_attended": 18,
            "attendance_expected": 20,
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
                "composite": 82.17,
                "weekly": 75.0,
                "activities": 66.67,
                "cadence": 88.89,
                "oversight": 90.0,
                "remedial": None,  # no remedial round escalated: left out
            },
        )
        # (25×75 + 10×80 + 15×80 + 15×82.17 + 10×75 + 10×66.667 + 10×88.889 + 5×90)
        # ÷ (25 + 10 + 15 + 15 + 10 + 10 + 10 + 5) = 7863.106 ÷ 100 = 78.631…
        self.assertEqual(scoring.total(values, SCHOOL), Decimal("78.63"))
        self.assertEqual(scoring.total(values, SCHOOL, deduction=Decimal(2)), Decimal("76.63"))
        # More activities than asked for score no more than 100.
        self.assertEqual(scoring.values({"activities": 7})["activities"], 100.0)
        self.assertEqual(scoring.total(values, SCHOOL, vetoed=True), Decimal(0))
        # A re-evaluation still below the threshold in the quarter (提级督办): 回炉补课 0 with
        # its weight 10 — 7863.106 ÷ (100 + 10) = 71.482…
        escalated = scoring.values({**figures, "remedials_escalated": 1})
        self.assertEqual(escalated["remedial"], 0.0)
        self.assertEqual(scoring.total(escalated, SCHOOL), Decimal("71.48"))
        # No round closed in the quarter, no study type decided: both left out, their weights
        # shared out over the rest — 5741.667 ÷ 75 = 76.555…
        bare = scoring.values(
            {k: v for k, v in figures.items() if not k.startswith(("composite", "cadence"))}
        )
        self.assertIsNone(bare["composite"])
        self.assertIsNone(bare["cadence"])
        self.assertEqual(scoring.total(bare, SCHOOL), Decimal("76.56"))

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
        # Overdue (10), activities (10), oversight findings (5) and the study cadence (10) are
        # the only indicators with data. No school held a study session: by December 2nd,
        # October's and November's five monthly types are missed and their 第一议题 kept (no
        # meeting to precede) — 2 ÷ 12 = 16.67. The school scores 100 on the other three,
        # the two other schools 100, 0 and 100 —
        # (10 × 100 + 10 × 100 + 5 × 100 + 10 × 16.667) ÷ 35 = 76.19 and
        # (10 × 100 + 10 × 0 + 5 × 100 + 10 × 16.667) ÷ 35 = 47.62.
        self.assertEqual(scores[self.school.pk].values["activities"], 100.0)
        self.assertEqual(scores[self.school.pk].figures["cadence_due"], 12)
        self.assertEqual(scores[self.school.pk].figures["cadence_kept"], 2)
        self.assertEqual(scores[self.school.pk].total, Decimal("76.19"))
        others = [s for s in scores.values() if s.category == "school" and s.unit != self.school]
        self.assertEqual([(s.total, s.rank) for s in others], [(Decimal("47.62"), 2)] * 2)
        self.assertEqual(scores[self.school.pk].rank, 1)
        self.assertEqual(assessment.scheme["version"], 4)  # type: ignore[attr-defined]
        with self.assertRaises(ValidationError):
            self.create()  # the same quarter twice

    def test_a_quarter_scored_with_an_earlier_scheme_keeps_it(self) -> None:
        assessment = self.create()
        score = Score.objects.get(assessment=assessment, unit=self.school)  # type: ignore[misc]
        # As a quarter scored with scheme 3 was kept: its indicators (群众评议满意率, 学习出席率)
        # and weights on the row, its values on each score.
        v3_weights = {
            "closure": 25, "overdue": 10, "tickets": 15, "ratings": 15, "weekly": 10,
            "activities": 10, "study": 10, "oversight": 5, "remedial": 10,
            "commend": 5, "practice": 5,
        }  # fmt: skip
        kept = {k: v for k, v in assessment.scheme.items() if k != "version"}  # type: ignore[attr-defined]
        kept["indicators"] = [
            {"key": k, "label": k, "formula": "", "manual": k in ("commend", "practice")}
            for k in v3_weights
        ]
        Assessment.objects.filter(pk=assessment.pk).update(  # type: ignore[attr-defined]
            scheme={**kept, "version": 3, "weights": {"school": v3_weights}}
        )
        Score.objects.filter(pk=score.pk).update(
            values={"closure": 75.0, "overdue": 80.0, "ratings": 60.0, "study": 90.0}
        )
        score.refresh_from_db()
        assessments.check_adjust_score(
            score, actor=self.office_user, deduction="1", deduction_reason="材料迟报",
            veto_reason="",
        )  # fmt: skip
        score.refresh_from_db()
        # By scheme 3's weights: (25×75 + 10×80 + 15×60 + 10×90) ÷ 60 − 1 = 74.58 − 1.
        self.assertEqual(score.total, Decimal("73.58"))
        keys = [i["key"] for i in scoring.kept_indicators(score.assessment.scheme)]
        self.assertIn("ratings", keys)
        self.assertNotIn("composite", keys)

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


def pdf(name: str, body: bytes = b"") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n" + body, content_type="application/pdf")


class ManualIndicatorTestCase(BulletinCase):
    """What no figure shows (a commendation from above, a practice of its own) is scored by
    the campaign office, each score with a document or record as evidence and a note,
    audited, on the score page and in the export; the same material counts once."""

    def setUp(self) -> None:
        with time_machine.travel("2026-12-02 09:00 +0800", tick=False):
            self.assessment = assessments.check_create_assessment(
                actor=self.office_user, issuer=self.bureau, quarter="2026-Q4"
            )
        self.score = Score.objects.get(assessment=self.assessment, unit=self.school)

    def manual(self, upload: SimpleUploadedFile | None, **fields: str) -> ManualScore:
        values = {"indicator": "commend", "value": "80", "note": "市教育局发文推广其家校共治做法"}
        values.update(fields)
        return assessments.check_score_manual(
            self.score, actor=self.office_user, upload=upload, **values
        )

    def test_a_manual_score_with_its_evidence_joins_the_total(self) -> None:
        # Before: overdue 100 (10), activities 0 (10), oversight 100 (5), study cadence
        # 16.667 (10) — 1666.667 ÷ 35 = 47.62.
        self.assertEqual(self.score.total, Decimal("47.62"))
        self.assertNotIn("commend", self.score.values)  # not scored: left out, not 0
        made = self.manual(pdf("清教发〔2026〕12号.pdf", b"commend"))
        self.score.refresh_from_db()
        # (1666.667 + 5 × 80) ÷ (35 + 5) = 51.67
        self.assertEqual(self.score.values["commend"], 80.0)
        self.assertEqual(self.score.total, Decimal("51.67"))
        self.assertEqual(self.score.rank, 1)
        audit = AuditEvent.objects.get(action="reports.assessment.manual")
        assert audit.after is not None
        self.assertEqual(audit.actor, self.office_user)
        self.assertEqual(audit.after["evidence"], "清教发〔2026〕12号.pdf")
        self.assertEqual(audit.after["note"], "市教育局发文推广其家校共治做法")
        self.assertEqual(made.content_type, "application/pdf")
        # Scored again on a new document: the old score is kept, superseded.
        self.manual(pdf("清教发〔2026〕15号.pdf", b"again"), value="100")
        self.score.refresh_from_db()
        self.assertEqual(self.score.total, Decimal("54.17"))  # (1666.667 + 500) ÷ 40
        rows = ManualScore.objects.filter(score=self.score, indicator="commend")
        self.assertEqual(rows.count(), 2)
        self.assertEqual(rows.filter(superseded_at__isnull=True).get().value, Decimal(100))

    def test_bad_input_is_refused_and_changes_nothing(self) -> None:
        cases: list[tuple[dict[str, Any], str]] = [
            ({"upload": SimpleUploadedFile("现场.png", PNG)}, "不以照片评判工作"),
            ({"upload": None}, "请上传佐证材料"),
            ({"upload": pdf("a.pdf"), "value": "120"}, "0 到 100"),
            ({"upload": pdf("a.pdf"), "value": "八十"}, "0 到 100"),
            ({"upload": pdf("a.pdf"), "note": "  "}, "请填写评分说明"),
            ({"upload": pdf("a.pdf"), "indicator": "closure"}, "由数据计算"),
        ]
        for fields, message in cases:
            upload = fields.pop("upload")
            with self.subTest(message), self.assertRaises(ValidationError) as raised:
                self.manual(upload, **fields)
            self.assertIn(message, " ".join(raised.exception.messages))
        self.assertFalse(ManualScore.objects.exists())
        self.assertFalse(AuditEvent.objects.filter(action="reports.assessment.manual").exists())
        self.score.refresh_from_db()
        self.assertEqual(self.score.total, Decimal("47.62"))

    def test_the_same_material_counts_once(self) -> None:
        first = self.manual(pdf("制度汇编.pdf", b"rules"))
        with self.assertRaises(ValidationError) as raised:
            self.manual(pdf("制度汇编（副本）.pdf", b"rules"), indicator="practice")
        self.assertIn("同一材料只报送一次", " ".join(raised.exception.messages))
        # The same file again for the same indicator (a corrected score): stored once.
        again = self.manual(pdf("制度汇编.pdf", b"rules"), value="90")
        self.assertEqual(again.file.name, first.file.name)
        # Another unit named in the same document may give it too.
        other = Score.objects.get(assessment=self.assessment, unit=self.school2)
        assessments.check_score_manual(
            other, actor=self.office_user, indicator="commend", value="70",
            note="同一文件表扬", upload=pdf("制度汇编.pdf", b"rules"),
        )  # fmt: skip

    def test_only_the_office_scores_and_only_in_draft(self) -> None:
        with self.assertRaises(ValidationError):
            assessments.check_score_manual(
                self.score, actor=self.school_admin, indicator="commend", value="80",
                note="自评", upload=pdf("a.pdf"),
            )  # fmt: skip
        assessments.check_approve_assessment(self.assessment, actor=self.leader)
        with self.assertRaises(ValidationError) as raised:
            self.manual(pdf("a.pdf"))
        self.assertIn("已审定", " ".join(raised.exception.messages))

    def test_the_page_and_the_export_show_the_note_and_the_evidence(self) -> None:
        office = self.login(self.office_user)
        url = reverse("reports:assessment", args=[self.assessment.pk])
        response = office.post(
            reverse("reports:score_manual", args=[self.assessment.pk, self.score.pk]),
            {
                "indicator": "practice",
                "value": "85",
                "note": "推行教辅征订备案制度",
                "file": pdf("备案制度.pdf", b"practice"),
            },
        )
        self.assertRedirects(response, url)
        made = ManualScore.objects.get()
        page = office.get(url)
        self.assertContains(page, "特色做法：推行教辅征订备案制度")
        evidence = reverse("reports:manual_evidence", args=[self.assessment.pk, made.pk])
        self.assertContains(page, evidence)
        self.assertContains(page, 'data-testid="manual-form"')
        export = office.get(reverse("reports:assessment_export", args=[self.assessment.pk]))
        sheet = load_workbook(io.BytesIO(export.content)).active
        cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
        self.assertIn("特色做法：推行教辅征订备案制度（佐证：备案制度.pdf）", cells)
        # Published: the school downloads its own evidence, not another school's.
        assessments.check_approve_assessment(self.assessment, actor=self.leader)
        assessments.check_publish_assessment(self.assessment, actor=self.office_user)
        school = self.login(self.school_admin)
        download: Any = school.get(evidence)
        self.assertEqual(download.status_code, 200)
        self.assertEqual(b"".join(download.streaming_content), b"%PDF-1.4\npractice")
        self.assertNotContains(school.get(url), 'data-testid="manual-form"')
        other = self.login(self.other_school_admin)
        self.assertEqual(other.get(evidence).status_code, 404)
        self.assertEqual(Assessment.objects.get().status, Assessment.Status.PUBLISHED)
