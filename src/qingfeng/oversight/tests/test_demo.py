"""The demo oversight: a group, a verified draw whose targets are sealed visits, and one
visit done with its findings in the ledger."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.test import TestCase

from qingfeng.ledger.models import Problem
from qingfeng.oversight import actions, drawing
from qingfeng.oversight.models import Draw, Group, Round, Visit


class DemoOversightTestCase(TestCase):
    output: str

    @classmethod
    def setUpTestData(cls) -> None:
        call_command("seed_demo", "--size", "county", "--seed", "3", stdout=StringIO())
        out = StringIO()
        call_command("seed_demo_cases", stdout=out)
        cls.output = out.getvalue()

    def test_it_has_a_verified_draw_sealed_visits_and_one_done(self) -> None:
        self.assertEqual(Group.objects.count(), 1)
        draw = Draw.objects.get()
        self.assertEqual(draw.status, Draw.Status.DRAWN)
        self.assertEqual(drawing.verify(actions.certificate(draw)), [])
        assert draw.result is not None
        sealed = Visit.objects.filter(status=Visit.Status.SEALED)
        self.assertEqual(sealed.count(), len(draw.result["targets"]))
        self.assertTrue(all(v.unit_id is None for v in sealed))
        done = Visit.objects.get(status=Visit.Status.FINISHED)
        problems = Problem.objects.filter(source=Problem.Source.SUPERVISION, unit=done.unit)
        self.assertEqual(problems.count(), 2)
        self.assertIn("督导", self.output)
        round_ = Round.objects.get()
        self.assertEqual(round_.status, Round.Status.INVESTIGATING)
        self.assertEqual(round_.members.filter(declared_at__isnull=False).count(), 5)
        self.assertTrue(
            Problem.objects.filter(
                source_ref=round_.number, rectification_type="immediate"
            ).exists()
        )
