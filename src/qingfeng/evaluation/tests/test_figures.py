"""The evaluation's figures for the rhythm (core/registry.py `FigureSource`): the satisfied
ratings by each round's own rate definition, so the figure's rate is the round's; open and
escalated remedial rounds, the escalation counted in the period it was decided and scored by
the quarterly assessment of that quarter (回炉补课)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import time_machine
from django.utils import timezone
from docx import Document

from qingfeng.core import registry
from qingfeng.evaluation import actions, selectors
from qingfeng.evaluation.figures import compute
from qingfeng.evaluation.models import Remedial
from qingfeng.evaluation.tests.base import EvaluationCase
from qingfeng.reports import actions as bulletins
from qingfeng.reports import assessments, scoring
from qingfeng.reports.models import Score

DAY = date(2026, 11, 2)


@time_machine.travel("2026-11-02 09:00 +08:00", tick=False)
class EvaluationFiguresTestCase(EvaluationCase):
    def test_satisfied_follows_each_rounds_rate_definition(self) -> None:
        top3 = self.open_round(name="东城区学校评议", area=self.county)
        top2 = self.open_round(
            name="西城区学校评议", area=self.other_county, rate_definition="top2"
        )
        # The same answers at both schools: 5, 4, 3 repeated, then 2 and 1, and 不了解.
        self.rate(self.school, satisfied=21, dissatisfied=9, unknown=2)
        self.rate(self.other_school, satisfied=21, dissatisfied=9, unknown=2)
        figures = compute([self.school.pk, self.other_school.pk], DAY, DAY)
        (east,) = selectors.results(top3, [self.school])
        (west,) = selectors.results(top2, [self.other_school])
        self.assertEqual((east.base, east.satisfied), (30, 21))  # 5, 4 and 3
        self.assertEqual((west.base, west.satisfied), (30, 14))  # 5 and 4 only
        for unit, result in ((self.school, east), (self.other_school, west)):
            self.assertEqual(
                (figures[unit.pk]["ratings_base"], figures[unit.pk]["ratings_satisfied"]),
                (result.base, result.satisfied),
            )
        source = next(s for s in registry.figure_sources() if s.key == "evaluation")
        label = str(next(f.label for f in source.figures if f.key == "ratings_satisfied"))
        self.assertIn("口径", label)

    def reevaluate(self, *, satisfied: int, dissatisfied: int) -> Remedial:
        round_ = self.open_round(area=self.county)
        self.rate(self.school, satisfied=20, dissatisfied=10)
        self.rate(self.school2, satisfied=31, dissatisfied=1)
        actions.check_close_round(round_, actor=self.office_user)
        remedial = Remedial.objects.get()
        self.assertEqual(compute([self.school.pk], DAY, DAY)[self.school.pk]["remedials_open"], 1)
        with time_machine.travel(remedial.reeval_opens_on, tick=False):
            self.rate(self.school, satisfied=satisfied, dissatisfied=dissatisfied)
            return actions.check_decide_reevaluation(remedial, actor=self.office_user)

    def test_an_escalation_counts_in_the_period_it_was_decided(self) -> None:
        remedial = self.reevaluate(satisfied=22, dissatisfied=8)
        self.assertEqual(remedial.status, Remedial.Status.ESCALATED)
        decided = timezone.localdate(remedial.decided_at)
        quarter = compute([self.school.pk, self.school2.pk], DAY, decided)
        self.assertEqual(quarter[self.school.pk]["remedials_escalated"], 1)
        self.assertEqual(quarter[self.school.pk].get("remedials_open", 0), 0)
        self.assertNotIn("remedials_escalated", quarter.get(self.school2.pk, {}))
        before = compute([self.school.pk], DAY, decided - timedelta(days=1))
        self.assertNotIn("remedials_escalated", before.get(self.school.pk, {}))

    def test_the_months_bulletin_names_the_escalated_unit(self) -> None:
        remedial = self.reevaluate(satisfied=22, dissatisfied=8)
        decided = timezone.localdate(remedial.decided_at)
        with time_machine.travel(remedial.decided_at, tick=False):
            bulletin = bulletins.check_create_bulletin(
                actor=self.office_user,
                issuer=self.bureau,
                month=decided.replace(day=1),
                number="清教作〔2026〕12号",
                addressees="各县区教育局，局属各单位",
            )
        snapshot = bulletin.snapshot
        self.assertEqual(snapshot["totals"]["remedials_escalated"], 1)
        self.assertEqual(snapshot["remedial"], {"open": [], "escalated": [self.school.name]})
        text = "\n".join(
            p.text for p in Document(bulletin.versions.get().file.open("rb")).paragraphs
        )
        self.assertIn(f"本月复评仍未达标、提级督办的单位 1 个（{self.school.name}）", text)
        self.assertIn(f"{self.school.name}：群众评议回炉复评仍未达标、提级督办", text)
        self.assertNotIn(self.school2.name, text)  # passed its round: neither open nor escalated

    def test_a_passed_re_evaluation_is_no_escalation(self) -> None:
        remedial = self.reevaluate(satisfied=29, dissatisfied=1)
        decided = timezone.localdate(remedial.decided_at)
        figures = compute([self.school.pk], DAY, decided)[self.school.pk]
        self.assertNotIn("remedials_escalated", figures)
        self.assertNotIn("remedials_open", figures)

    def test_the_quarter_of_an_escalation_scores_it(self) -> None:
        remedial = self.reevaluate(satisfied=22, dissatisfied=8)
        with time_machine.travel(remedial.decided_at, tick=False):
            assessment = assessments.check_create_assessment(
                actor=self.office_user, issuer=self.bureau, quarter="2026-Q4"
            )
        scores = {s.unit_id: s for s in Score.objects.filter(assessment=assessment)}
        escalated, passed = scores[self.school.pk], scores[self.school2.pk]
        self.assertEqual(escalated.figures["remedials_escalated"], 1)
        self.assertEqual(escalated.values["remedial"], 0.0)
        self.assertIsNone(passed.values["remedial"])
        # 回炉补课 0 with its weight: below the score the same values make without it.
        weights = scoring.WEIGHTS["school"]
        self.assertEqual(escalated.total, scoring.total(escalated.values, weights))
        without = scoring.total({**escalated.values, "remedial": None}, weights)
        self.assertLess(escalated.total, without)
        self.assertEqual(passed.total, scoring.total(passed.values, weights))

    def test_the_composite_of_a_closed_round_is_the_quarters_evaluation_indicator(self) -> None:
        round_ = self.open_round(area=self.county)
        self.rate(self.school, satisfied=27, dissatisfied=3)  # 90 %
        self.rate(self.school2, satisfied=24, dissatisfied=6)  # 80 %
        actions.check_enter_third_party(
            round_, actor=self.assessor, unit=self.school, indicator="规范办学行为", score="80"
        )
        actions.check_enter_discipline(
            round_, actor=self.inspector, unit=self.school2, rating="excellent"
        )
        self.assertNotIn("composite_results", compute([self.school.pk], DAY, DAY)[self.school.pk])
        actions.check_close_round(round_, actor=self.office_user)
        figures = compute([self.school.pk, self.school2.pk], DAY, DAY)
        composite = {
            ru.unit_id: ru.composite or Decimal(0)
            for ru in round_.covered.filter(composite__isnull=False)
        }
        # 50 × 90 + 30 × 80 over 80 (no discipline review): 86.25, as the round closed it.
        self.assertEqual(str(composite[self.school.pk]), "86.25")
        for unit in (self.school, self.school2):
            self.assertEqual(figures[unit.pk]["composite_results"], 1)
            self.assertEqual(
                figures[unit.pk]["composite_hundredths"], int(composite[unit.pk] * 100)
            )
        assessment = assessments.check_create_assessment(
            actor=self.office_user, issuer=self.bureau, quarter="2026-Q4"
        )
        scores = {s.unit_id: s for s in Score.objects.filter(assessment=assessment)}
        # The quarter's evaluation indicator is the composite, not the satisfaction rate.
        self.assertEqual(scores[self.school.pk].values["composite"], 86.25)
        self.assertEqual(
            scores[self.school2.pk].values["composite"], float(composite[self.school2.pk])
        )
        self.assertNotIn("ratings", scores[self.school.pk].values)
        # A day before the round closed, nothing: the composite counts when it is written down.
        before = compute([self.school.pk], DAY - timedelta(days=1), DAY - timedelta(days=1))
        self.assertNotIn("composite_results", before.get(self.school.pk, {}))
