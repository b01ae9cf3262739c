"""The demo's documents (`seed_demo_cases`, through the registry): last month's bulletin issued
with its .docx downloadable, and this quarter's assessment in draft, scored for every unit below
the city and open to the office."""

from __future__ import annotations

import time
from io import StringIO

from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from qingfeng.orgs.middleware import SESSION_STARTED, SESSION_VERIFIED
from qingfeng.orgs.models import Unit, User
from qingfeng.reports.models import Assessment, Bulletin


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
