"""The demo oversight: a group, a verified draw whose targets are sealed visits, and one
visit done with its findings in the ledger."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.test import Client, TestCase
from django.urls import reverse

from qingfeng.ledger.models import Problem
from qingfeng.orgs.demo import DEMO_PASSWORD
from qingfeng.oversight import actions, drawing
from qingfeng.oversight.models import Draw, Group, Observer, Participation, Round, Visit


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

    def test_the_county_has_its_three_observers_and_the_deputy_signs_in(self) -> None:
        observers = Observer.objects.filter(ended_at=None)
        self.assertEqual(sorted(observers.values_list("kind", flat=True)), sorted(Observer.Kind))
        county = Round.objects.get().targets.order_by("depth").first()  # the county bureau
        self.assertEqual({o.area for o in observers}, {county})
        deputy = observers.get(kind=Observer.Kind.DEPUTY)
        self.assertEqual(
            sorted(deputy.participations.values_list("kind", flat=True)),
            [Participation.Kind.ROUND, Participation.Kind.VISIT],
        )
        (suggestion,) = Participation.objects.filter(kind=Participation.Kind.SUGGESTION)
        self.assertTrue(suggestion.ticket)
        client = Client()
        signed_in = client.post(
            "/accounts/login/", {"username": "demo_observer", "password": DEMO_PASSWORD}
        )
        self.assertRedirects(signed_in, "/", fetch_redirect_response=False)
        page = client.get(reverse("oversight:observer"))
        self.assertContains(page, "随督导组到校观察")
        # The county's published evaluation, school by school (the demo round is published).
        self.assertContains(page, 'data-testid="published-results"')
        self.assertContains(page, 'data-verdict="confirmed_low"')
        self.assertIn("观察员 3 名", self.output)
