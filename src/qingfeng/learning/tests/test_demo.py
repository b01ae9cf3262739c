"""The demo: sessions with cadence kept by some schools and missed by one, QR attendance and
make-ups, pledges, a self-examination in the ledger, a dozen searchable cases."""

from __future__ import annotations

from io import StringIO

import time_machine
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from qingfeng.core.calendar import get_calendar
from qingfeng.learning import selectors
from qingfeng.learning.models import Attendance, Case, Makeup, Session, Signature
from qingfeng.ledger.models import Problem
from qingfeng.orgs.models import User


class DemoLearningTestCase(TestCase):
    output: str

    @classmethod
    def setUpTestData(cls) -> None:
        call_command("seed_demo", "--size", "county", "--seed", "3", stdout=StringIO())
        out = StringIO()
        call_command("seed_demo_cases", stdout=out)
        cls.output = out.getvalue()

    def test_it_seeds_every_part(self) -> None:
        self.assertIn("演示学习", self.output)
        self.assertTrue(Attendance.objects.filter(via="scan").exists())
        self.assertTrue(Makeup.objects.exists())
        self.assertTrue(Signature.objects.exists())
        self.assertEqual(
            Problem.objects.filter(
                source=Problem.Source.SELF_CHECK, source_ref__startswith="ZC"
            ).count(),
            2,
        )
        self.assertEqual(Case.objects.filter(status=Case.Status.PUBLISHED).count(), 12)
        bureau = User.objects.get(username="demo_bureau")
        self.assertEqual(selectors.search_cases(bureau, "购物卡").count(), 2)

    def test_one_school_misses_its_cadence(self) -> None:
        units = {s.unit for s in Session.objects.select_related("unit")}
        missed = [
            sum(
                r.missed
                for r in selectors.unit_calendar(
                    u,
                    today=timezone.localdate(),
                    calendar=get_calendar(),
                    since=selectors.default_since(timezone.localdate()),
                )
                if r.type.code in {"party_day"}
            )
            for u in units
        ]
        self.assertGreaterEqual(len(units), 2)
        self.assertTrue(any(missed))


class DemoNearMidnightTestCase(TestCase):
    def test_the_demo_loads_in_the_last_minutes_of_a_day(self) -> None:
        # Sign-in is open on the session's day only: "five minutes from now" must stay today.
        with time_machine.travel("2026-12-06 23:57:30 +0800", tick=False):
            call_command("seed_demo", "--size", "county", "--seed", "3", stdout=StringIO())
            call_command("seed_demo_cases", stdout=StringIO())
        self.assertTrue(Attendance.objects.filter(via="scan").exists())
