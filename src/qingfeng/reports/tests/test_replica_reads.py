"""With a read replica configured, the dashboard's figures, its export, the live summary's
counts, the monthly bulletin's and the quarterly assessment's figures and the assessment's
export are read from the replica; whatever they write (a month frozen on first sight, the
bulletin, the scores, the live summary) goes to the primary, and the replica runs nothing but
reads. The replica here is Django's TEST MIRROR of the test database (core/tests/mirror.py):
a connection of its own, so every statement is counted where it ran. PostgreSQL only: a
replica is PostgreSQL's (docs/operations.md §5), and SQLite's append-only audit trail cannot
be emptied between the tests of a TransactionTestCase."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from unittest import skipUnless

import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import TransactionTestCase
from django.urls import reverse
from django.utils import timezone

from qingfeng.core.tests.mirror import ReplicaMirror, Statements
from qingfeng.orgs.models import Unit, User
from qingfeng.reports import assessments, monthly
from qingfeng.reports.models import Assessment, Bulletin, FrozenMonth, LiveFigure
from qingfeng.reports.tests.base import BulletinCase

PROBLEMS = "ledger_problem"


class _City(BulletinCase):
    """BulletinCase's personas, made by its setUpTestData for a TransactionTestCase."""

    __test__ = False


@skipUnless(connection.vendor == "postgresql", "a read replica is PostgreSQL's")
class ReplicaReadsTestCase(ReplicaMirror, TransactionTestCase):
    serialized_rollback = True
    databases = {"default", "replica"}
    bureau: Unit
    school: Unit
    bureau_admin: User
    office_user: User

    def setUp(self) -> None:
        super().setUp()
        cache.clear()
        _City.setUpTestData()
        for name, value in vars(_City).items():
            if not name.startswith("_") and hasattr(value, "_state"):
                setattr(self, name, value)
        BulletinCase.problem(self, self.school)  # type: ignore[arg-type]

    def login(self, user: Any) -> None:
        BulletinCase.login(self, user)  # type: ignore[arg-type]

    def assert_read_there(self, run: Statements, table: str = PROBLEMS) -> None:
        self.assertTrue(run.reads_of(run.replica, table), run.replica)
        self.assertEqual(run.reads_of(run.primary, table), [])
        self.assertEqual(run.writes(run.replica), [])

    def test_the_dashboard_and_its_export_read_the_replica(self) -> None:
        self.login(self.bureau_admin)
        with Statements() as run:
            page = self.client.get("/dashboard/")
        self.assertEqual(page.status_code, 200)
        self.assertEqual(page.context["board"].totals.get("problems_new"), 1)  # the mirror's
        self.assert_read_there(run)
        cache.clear()  # the page's figures are kept two minutes: the export counts anew
        with Statements() as run:
            sheet = self.client.get("/dashboard/export/")
        self.assertEqual(sheet.status_code, 200)
        self.assert_read_there(run)

    def test_a_month_frozen_on_first_sight_is_written_to_the_primary(self) -> None:
        self.login(self.bureau_admin)
        past = timezone.localdate().replace(day=1) - timedelta(days=1)
        with Statements() as run:
            page = self.client.get("/dashboard/", {"month": past.strftime("%Y-%m")})
        self.assertEqual(page.status_code, 200)
        self.assertTrue(FrozenMonth.objects.filter(month=past.replace(day=1)).exists())
        self.assertTrue([s for s in run.writes(run.primary) if "reports_frozenmonth" in s])
        self.assertEqual(run.writes(run.replica), [])
        # Read back where it was just written: a replica a moment behind has not replayed the
        # freeze and would show the month empty (scripts/multihost.py, lag under writes).
        self.assertTrue(run.reads_of(run.primary, "reports_subtreefigure"))
        # Once the replica holds the month as the primary does, it is read there.
        cache.clear()
        with Statements() as run:
            again = self.client.get("/dashboard/", {"month": past.strftime("%Y-%m")})
        self.assertEqual(again.status_code, 200)
        self.assertEqual(again.context["board"].totals, page.context["board"].totals)
        self.assertTrue(run.reads_of(run.replica, "reports_subtreefigure"))
        self.assertEqual(run.reads_of(run.primary, "reports_subtreefigure"), [])

    def test_the_live_summary_counts_on_the_replica_and_writes_the_primary(self) -> None:
        with Statements() as run:
            written = monthly.warm()
        self.assertGreater(written, 0)
        self.assertEqual(LiveFigure.objects.count(), written)
        self.assert_read_there(run)
        self.assertTrue([s for s in run.writes(run.primary) if "reports_livefigure" in s])

    def test_the_bulletin_reads_its_figures_there_and_is_kept_on_the_primary(self) -> None:
        with Statements() as run:
            bulletin = BulletinCase.draft(self)  # type: ignore[arg-type]
        self.assert_read_there(run)
        self.assertTrue(Bulletin.objects.filter(pk=bulletin.pk).exists())
        self.assertTrue([s for s in run.writes(run.primary) if "reports_bulletin" in s])

    def test_the_assessment_reads_its_figures_there_and_its_export_too(self) -> None:
        with Statements() as run, time_machine.travel("2026-12-02 09:00 +0800", tick=False):
            made = assessments.check_create_assessment(
                actor=self.office_user, issuer=self.bureau, quarter="2026-Q4"
            )
        self.assert_read_there(run)
        self.assertTrue([s for s in run.writes(run.primary) if "reports_score" in s])
        below = Unit.objects.within(self.bureau).exclude(pk=self.bureau.pk).count()
        self.assertEqual(Assessment.objects.get(pk=made.pk).scores.count(), below)
        self.login(self.office_user)
        with Statements() as run:
            sheet = self.client.get(reverse("reports:assessment_export", args=[made.pk]))
        self.assertEqual(sheet.status_code, 200)
        self.assert_read_there(run, "reports_score")

    def test_a_number_taken_meanwhile_is_refused_with_nothing_made(self) -> None:
        first = BulletinCase.draft(self)  # type: ignore[arg-type]
        with self.assertRaisesMessage(Exception, "已被使用"):
            BulletinCase.draft(self, number=first.number)  # type: ignore[arg-type]
        self.assertEqual(Bulletin.objects.count(), 1)
        self.assertIsInstance(first.month, date)
