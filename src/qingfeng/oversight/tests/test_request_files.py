"""Files with a unit's answer to a document request: checked by content, kept, and served to
the team, the office and the unit's own people only."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from qingfeng.core.models import AuditEvent
from qingfeng.core.tests.machine import FILES_IN_MEMORY
from qingfeng.oversight import actions
from qingfeng.oversight.models import DocumentRequest, ResponseFile
from qingfeng.oversight.tests.base import OversightCase

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "接待台账.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@override_settings(STORAGES=FILES_IN_MEMORY)
class RequestFilesTestCase(OversightCase):
    def requested(self) -> DocumentRequest:
        round_ = self.staffed_round()
        return actions.check_request_documents(
            round_,
            actor=self.member,
            unit=self.school,
            what="2025年以来公务接待台账",
            due_on=timezone.localdate() + timedelta(days=3),
        )

    def test_a_wrong_file_is_refused_and_nothing_is_kept(self) -> None:
        row = self.requested()
        before = AuditEvent.objects.count()
        fake = SimpleUploadedFile(
            "台账.pdf", b"MZ\x90\x00not a pdf", content_type="application/pdf"
        )
        with self.assertRaisesMessage(ValidationError, "内容与扩展名不符"):
            actions.check_answer_request(
                row, actor=self.school_admin, response="见附件", files=[pdf(), fake]
            )
        with self.assertRaisesMessage(ValidationError, "只能上传 PDF、Word、Excel 或图片文件"):
            actions.check_answer_request(
                row,
                actor=self.school_admin,
                response="见附件",
                files=[SimpleUploadedFile("a.exe", b"MZ", content_type="application/x-msdownload")],
            )
        row.refresh_from_db()
        self.assertEqual(row.status, DocumentRequest.Status.OPEN)
        self.assertFalse(ResponseFile.objects.exists())
        self.assertEqual(AuditEvent.objects.count(), before)

    def test_the_answer_files_reach_the_team_and_the_unit_only(self) -> None:
        row = self.requested()
        round_ = row.round
        school = self.login(self.school_admin, Client())
        school.post(
            reverse("oversight:request_answer", args=[round_.pk, row.pk]),
            {"response": "已提供台账 12 页", "documents": [pdf()]},
        )
        kept = ResponseFile.objects.get()
        self.assertEqual(kept.original_name, "接待台账.pdf")
        url = reverse("oversight:request_file", args=[round_.pk, row.pk, kept.pk])
        page = self.login(self.member, Client()).get(reverse("oversight:round", args=[round_.pk]))
        self.assertContains(page, url)
        for user in (self.member, self.office_user, self.school_admin):
            with self.subTest(user=str(user)):
                response = self.login(user, Client()).get(url)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(b"".join(response.streaming_content), PDF)  # type: ignore[attr-defined]
        self.assertEqual(self.login(self.other_school_admin, Client()).get(url).status_code, 404)
