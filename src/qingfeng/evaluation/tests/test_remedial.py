from __future__ import annotations

from datetime import date

import time_machine
from django.core.exceptions import ValidationError

from qingfeng.core.models import AuditEvent, Notification
from qingfeng.core.registry import problem_sources
from qingfeng.evaluation import actions, selectors
from qingfeng.evaluation.models import Remedial, RoundUnit
from qingfeng.evaluation.stats import Verdict
from qingfeng.evaluation.tests.base import EvaluationCase
from qingfeng.ledger.models import Problem


@time_machine.travel("2026-11-02 09:00 +08:00", tick=False)
class RemedialTestCase(EvaluationCase):
    def setUp(self) -> None:
        self.round = self.open_round(area=self.county)
        # 东城区实验小学: 20 of 30 satisfied (confirmed low); 东城区第二中学: 31 of 32.
        self.rate(
            self.school, satisfied=20, dissatisfied=10, comment="学校要求统一购买教辅，价格偏高"
        )
        self.rate(self.school2, satisfied=31, dissatisfied=1)

    def test_closing_sends_the_low_unit_back_with_problems_and_notices(self) -> None:
        actions.check_close_round(self.round, actor=self.office_user)
        remedial = Remedial.objects.get()
        self.assertEqual(remedial.unit, self.school)
        self.assertEqual((remedial.base, str(remedial.rate)), (30, "0.6667"))
        problems = Problem.objects.filter(source=Problem.Source.REMEDIAL)
        self.assertTrue(problems.exists())
        for problem in problems:
            self.assertEqual(problem.unit, self.school)
            self.assertEqual(problem.source_ref, remedial.number)
            self.assertEqual(problem.status, Problem.Status.ASSIGNED)
            self.assertEqual(problem.list_kind, Problem.ListKind.LEADERSHIP)
            self.assertIsNotNone(problem.deadline)
            self.assertIn("群众满意率 66.7%", problem.description)
            self.assertIn("学校要求统一购买教辅", problem.description)
        self.assertIn("师德师风", " ".join(problems.values_list("title", flat=True)))
        told = set(
            Notification.objects.filter(link__contains="/evaluation/remedial/").values_list(
                "recipient__username", flat=True
            )
        )
        self.assertEqual(told, {"school_admin", "leader"})  # the unit admin, the liaison leader
        self.assertGreater(remedial.reeval_opens_on, date(2026, 11, 2))
        snapshot = RoundUnit.objects.get(round=self.round, unit=self.school)
        self.assertEqual((snapshot.base, snapshot.verdict), (30, Verdict.CONFIRMED_LOW))

    def test_it_is_created_once(self) -> None:
        actions.check_close_round(self.round, actor=self.office_user)
        count = Problem.objects.count()
        with self.assertRaises(ValidationError):
            actions.check_close_round(self.round, actor=self.office_user)
        rows = [r for r in selectors.results(self.round) if r.triggers]
        self.assertEqual(actions.open_remedials(self.round, rows, actor=self.office_user), [])
        self.assertEqual((Remedial.objects.count(), Problem.objects.count()), (1, count))

    def test_the_ledger_lists_the_remedial_round_as_the_source(self) -> None:
        actions.check_close_round(self.round, actor=self.office_user)
        problem = Problem.objects.filter(source=Problem.Source.REMEDIAL).first()
        source = next(s for s in problem_sources() if s.key == "remedials")
        (record,) = source.records(problem, viewer=self.school_admin)
        self.assertEqual(record.number, Remedial.objects.get().number)
        self.assertTrue(record.url)
        self.assertEqual(source.records(problem, viewer=self.other_school_admin)[0].url, "")
        self.assertIsNone(source.reporters_answered(problem))

    def test_a_failure_inside_closing_leaves_nothing_half_written(self) -> None:
        from unittest import mock

        with (
            mock.patch(
                "qingfeng.evaluation.actions.remedial.notify", side_effect=RuntimeError("网关")
            ),
            self.assertRaises(RuntimeError),
        ):
            actions.check_close_round(self.round, actor=self.office_user)
        self.round.refresh_from_db()
        self.assertEqual(self.round.status, "open")
        self.assertFalse(Remedial.objects.exists())
        self.assertFalse(Problem.objects.exists())

    def reevaluate(self, *, satisfied: int, dissatisfied: int) -> Remedial:
        actions.check_close_round(self.round, actor=self.office_user)
        remedial = Remedial.objects.get()
        with time_machine.travel(remedial.reeval_opens_on, tick=False):
            self.rate(self.school, satisfied=satisfied, dissatisfied=dissatisfied)
            return actions.check_decide_reevaluation(remedial, actor=self.office_user)

    def test_a_good_re_evaluation_closes_it(self) -> None:
        remedial = self.reevaluate(satisfied=29, dissatisfied=1)
        self.assertEqual(remedial.status, Remedial.Status.PASSED)
        self.assertEqual((remedial.reeval_base, remedial.for_assessment), (30, False))
        self.assertTrue(AuditEvent.objects.filter(action="evaluation.remedial.pass"))

    def test_a_bad_re_evaluation_escalates_it(self) -> None:
        remedial = self.reevaluate(satisfied=22, dissatisfied=8)
        self.assertEqual(remedial.status, Remedial.Status.ESCALATED)
        self.assertTrue(remedial.for_assessment)
        told = set(
            Notification.objects.filter(title__startswith="提级督办").values_list(
                "recipient__username", flat=True
            )
        )
        self.assertEqual(told, {"school_admin", "leader", "office", "bureau_admin"})
        # The round's own result stays what it was.
        (result,) = selectors.results(self.round, [self.school])
        self.assertEqual(result.base, 30)

    def test_a_re_evaluation_with_too_few_ratings_is_not_decided(self) -> None:
        actions.check_close_round(self.round, actor=self.office_user)
        remedial = Remedial.objects.get()
        with self.assertRaisesMessage(ValidationError, "少于最低样本量"):
            actions.check_decide_reevaluation(remedial, actor=self.office_user)
        remedial.refresh_from_db()
        self.assertEqual(remedial.status, Remedial.Status.OPEN)
