"""The demo's documents (`seed_demo_cases`, through the registry): last month's bulletin issued
with its .docx downloadable, reading a month of work (problems registered and closed, tickets
received and answered, weekly reports on time), and this quarter's assessment in draft, scored
for every unit below the city and open to the office."""

from __future__ import annotations

import time
from collections import Counter
from io import StringIO

from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from qingfeng.core import registry
from qingfeng.core.audit import verify_chain
from qingfeng.ledger.models import PROBLEM_TALLY
from qingfeng.ledger.tests.base import subtree_sums_against_counts
from qingfeng.lib.dates import month_last_day
from qingfeng.orgs.middleware import SESSION_STARTED, SESSION_VERIFIED
from qingfeng.orgs.models import Unit, User
from qingfeng.reports import monthly
from qingfeng.reports.models import Assessment, Bulletin

# Counted from the records alone (not as of the snapshot's moment, like the open make-ups).
RECORDED = ("ledger", "intake", "campaigns")


class DemoDocumentsTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        call_command("seed_demo", "--size", "county", "--seed", "3", stdout=StringIO())
        call_command("seed_demo_cases", stdout=StringIO())

    def test_last_months_bulletin_is_issued_and_this_quarters_assessment_is_a_draft(self) -> None:
        bulletin = Bulletin.objects.get()
        self.assertEqual(bulletin.status, Bulletin.Status.ISSUED)
        version = bulletin.versions.order_by("-pk").first()
        assert version is not None
        self.assertTrue(version.file.name.endswith(".docx"))

        assessment = Assessment.objects.get()
        today = timezone.localdate()
        self.assertEqual(assessment.quarter, f"{today.year}-Q{(today.month - 1) // 3 + 1}")
        self.assertEqual(assessment.status, Assessment.Status.DRAFT)
        below = Unit.objects.within(assessment.issuer).exclude(pk=assessment.issuer_id)
        self.assertEqual(assessment.scores.count(), below.filter(is_active=True).count())
        self.assertTrue(assessment.scores.filter(total__gt=0).exists())

        # The office opens both: the bulletin's .docx and the draft to adjust.
        self.client.force_login(User.objects.get(username="demo_bureau"))
        session = self.client.session
        session[SESSION_STARTED] = time.time()
        session[SESSION_VERIFIED] = True
        session.save()
        docx = self.client.get(reverse("reports:docx", args=[bulletin.pk, version.pk]))
        self.assertEqual(docx.status_code, 200)
        page = self.client.get(reverse("reports:assessment", args=[assessment.pk]))
        self.assertContains(page, assessment.quarter)

    def test_last_months_bulletin_reads_a_month_of_work(self) -> None:
        bulletin = Bulletin.objects.get()
        today = timezone.localdate()
        self.assertEqual(bulletin.month, monthly.add_months(today.replace(day=1), -1))
        totals = bulletin.snapshot["totals"]
        for key in (
            "problems_new",
            "problems_closed",
            "problems_closed_on_time",
            "tickets_received",
            "tickets_replied",
            "tickets_rated",
            "weekly_on_time",
        ):
            self.assertGreater(totals.get(key, 0), 0, key)
        # One problem was closed after its deadline: the on-time rate is not a flat 100%.
        self.assertLess(totals["problems_closed_on_time"], totals["problems_closed"])

        # The bulletin's figures are the records' own: a direct count of the month equals them.
        units = list(
            Unit.objects.within(bulletin.issuer).filter(is_active=True).values_list("pk", flat=True)
        )
        keys = {
            f.key
            for source in registry.figure_sources()
            if source.key in RECORDED
            for f in source.figures
        }
        counted: Counter[str] = Counter()
        for row in monthly.compute(units, bulletin.month, month_last_day(bulletin.month)).values():
            counted.update({k: v for k, v in row.items() if k in keys})
        self.assertEqual(counted, Counter({k: v for k, v in totals.items() if k in keys}))

        # This month still has live work: problems and tickets of today.
        now = monthly.compute(units, today.replace(day=1), today)
        self.assertTrue(any(row.get("problems_new") for row in now.values()))
        self.assertTrue(any(row.get("tickets_received") for row in now.values()))

    def test_the_kept_sums_and_the_audit_chain_hold_after_the_history(self) -> None:
        for tally in registry.tallies():
            self.assertEqual(tally.check(), [], tally.table)
        self.assertIsNone(verify_chain())
        # The ledger's subtree sums, folded or not, equal a count of the problems below.
        units = list(
            Unit.objects.filter(problems__isnull=False).distinct().values_list("pk", "path")
        )
        units += list(Unit.objects.filter(parent=None).values_list("pk", "path"))
        for path, kept, counted in subtree_sums_against_counts(units):
            self.assertEqual(kept, counted, path)
        assert PROBLEM_TALLY.rollup is not None
        PROBLEM_TALLY.rollup.fold(PROBLEM_TALLY)
        for path, kept, counted in subtree_sums_against_counts(units):
            self.assertEqual(kept, counted, path)
