"""The demo round: the demo county's schools rated through the action, closed, with one
remedial round in the ledger."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.test import TestCase

from qingfeng.evaluation import selectors
from qingfeng.evaluation.models import Remedial, Round
from qingfeng.evaluation.stats import Verdict
from qingfeng.ledger.models import Problem


class DemoRoundTestCase(TestCase):
    output: str

    @classmethod
    def setUpTestData(cls) -> None:
        call_command("seed_demo", "--size", "county", "--seed", "3", stdout=StringIO())
        out = StringIO()
        call_command("seed_demo_cases", stdout=out)
        cls.output = out.getvalue()

    def test_it_has_passed_a_confirmed_low_and_a_too_few(self) -> None:
        round_ = Round.objects.get()
        self.assertEqual(round_.status, Round.Status.CLOSED)
        verdicts = [r.verdict for r in selectors.results(round_)]
        self.assertIn(Verdict.PASSED, verdicts)
        self.assertEqual(verdicts.count(Verdict.CONFIRMED_LOW), 1)
        self.assertIn(Verdict.TOO_FEW, verdicts)
        self.assertIn("演示评议", self.output)

    def test_the_low_school_has_its_remedial_problems_in_the_ledger(self) -> None:
        remedial = Remedial.objects.get()
        problems = Problem.objects.filter(source=Problem.Source.REMEDIAL, unit=remedial.unit)
        self.assertTrue(problems.exists())
        self.assertEqual(set(problems.values_list("source_ref", flat=True)), {remedial.number})
