"""Uploads in the campaign: a unit's plan file and the evidence of its tasks and weekly
reports — checked by content, scrubbed of their author, audited, downloaded only within scope,
refused once the plan is approved or the report locked."""

from __future__ import annotations

import io

import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from docx import Document

from qingfeng.campaigns import actions, files
from qingfeng.campaigns.models import CampaignFile
from qingfeng.campaigns.tests.base import MONDAY, CampaignCase
from qingfeng.core.models import AuditEvent


def docx_by(author: str) -> SimpleUploadedFile:
    doc = Document()
    doc.add_paragraph("成立专班，每月接待日")
    doc.core_properties.author = author
    out = io.BytesIO()
    doc.save(out)
    return SimpleUploadedFile("实施方案.docx", out.getvalue(), content_type="application/msword")


class FilesTestCase(CampaignCase):
    def plan(self) -> object:
        return actions.check_submit_plan(
            self.campaign,
            unit=self.school,
            actor=self.school_admin,
            points="成立专班，每月一次校长接待日",
        )

    def test_a_plan_file_is_scrubbed_audited_and_reached_only_within_scope(self) -> None:
        plan = self.plan()
        row = files.check_attach_file(plan, actor=self.school_admin, upload=docx_by("孙立平"))  # type: ignore[arg-type]
        self.assertEqual(
            (row.kind, row.unit_id, row.original_name), ("plan", self.school.pk, "实施方案.docx")
        )
        kept = Document(row.file.open("rb"))
        self.assertEqual(kept.core_properties.author, "")
        self.assertTrue(AuditEvent.objects.filter(action="campaigns.file.upload").exists())
        url = reverse("campaigns:file", args=[row.pk])
        for user in (self.school_admin, self.county_admin, self.bureau_admin):
            response = self.login(user).get(url)
            self.assertEqual(response.status_code, 200, user)
            self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.assertEqual(self.login(self.other_school_admin).get(url).status_code, 404)
        page = self.login(self.county_admin).get(reverse("campaigns:plan", args=[plan.pk]))  # type: ignore[attr-defined]
        self.assertContains(page, "实施方案.docx")
        self.assertNotContains(page, 'name="file"')  # the county reads, the school uploads

    def test_a_wrong_type_or_the_wrong_person_is_refused_and_nothing_is_kept(self) -> None:
        plan = self.plan()
        fake = SimpleUploadedFile(
            "方案.pdf", b"\x89PNG\r\n\x1a\n....", content_type="application/pdf"
        )
        with self.assertRaises(ValidationError):
            files.check_attach_file(plan, actor=self.school_admin, upload=fake)  # type: ignore[arg-type]
        exe = SimpleUploadedFile("方案.exe", b"MZ....", content_type="application/octet-stream")
        with self.assertRaises(ValidationError):
            files.check_attach_file(plan, actor=self.school_admin, upload=exe)  # type: ignore[arg-type]
        with self.assertRaises(ValidationError):
            files.check_attach_file(plan, actor=self.county_admin, upload=docx_by("钱晓红"))  # type: ignore[arg-type]
        self.assertFalse(CampaignFile.objects.exists())
        # Through the page: the school's admin, another school's 404.
        url = reverse("campaigns:file_upload", args=["plan", plan.pk])  # type: ignore[attr-defined]
        self.assertEqual(
            self.login(self.other_school_admin).post(url, {"file": docx_by("x")}).status_code, 404
        )
        self.login(self.school_admin).post(url, {"file": docx_by("孙立平")})
        self.assertEqual(CampaignFile.objects.count(), 1)

    def test_an_approved_plan_and_a_locked_report_take_no_more_files(self) -> None:
        plan = self.plan()
        actions.check_decide_plan(plan, actor=self.county_admin, approve=True, reason="")  # type: ignore[arg-type]
        with self.assertRaises(ValidationError):
            files.check_attach_file(plan, actor=self.school_admin, upload=docx_by("孙立平"))  # type: ignore[arg-type]
        with time_machine.travel("2026-11-06 10:00 +0800", tick=False):
            report = actions.check_file_report(
                self.campaign, unit=self.school, week_start=MONDAY, actor=self.school_admin
            )
            files.check_attach_file(report, actor=self.school_admin, upload=docx_by("孙立平"))
        with time_machine.travel("2026-11-11 10:00 +0800", tick=False):
            with self.assertRaises(ValidationError) as caught:
                files.check_attach_file(report, actor=self.school_admin, upload=docx_by("孙立平"))
            self.assertIn("锁定", str(caught.exception))
        self.assertEqual(report.files.count(), 1)
