"""Offline publication (线下公开): the public half of 双反馈 on a notice board, in 校务公开 or at
a parents' meeting, recorded by the unit with its evidence and counted once the bureau
approves it."""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from qingfeng.core.models import AuditEvent, Notification
from qingfeng.ledger import actions
from qingfeng.ledger.models import Feedback, OfflinePublication, Problem, Verification
from qingfeng.ledger.tests.base import PNG, LedgerTestCase, png
from qingfeng.lib.tests.test_scrub import docx_by, unpacked

S = Problem.Status
MINUTES = "%PDF-1.4\n% 家长会记录\n".encode()


class PublicationBase(LedgerTestCase):
    @classmethod
    def setUpClass(cls) -> None:
        media = tempfile.mkdtemp(prefix="qf-ledger-pub-")
        cls.addClassCleanup(shutil.rmtree, media, ignore_errors=True)
        storages = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": media},
            },
        }
        cls.enterClassContext(override_settings(STORAGES=storages))
        super().setUpClass()

    def hotline_awaiting(self) -> Problem:
        """A hotline complaint, fixed, its reporter answered, waiting for the closure."""
        problem = self.awaiting_verification(source=Problem.Source.HOTLINE, source_ref="R0042")
        actions.check_add_feedback(
            problem,
            actor=self.teacher,
            kind=Feedback.Kind.REPORTER_ANSWER,
            text="已电话答复反映人王女士，对整改结果表示认可",
        )
        return problem

    def record(self, problem: Problem, **overrides: Any) -> OfflinePublication:
        fields: dict[str, Any] = {
            "channel": OfflinePublication.Channel.PARENT_MEETING,
            "published_on": timezone.localdate() - timedelta(days=2),
            "summary": "在三年级家长会上通报了违规推荐教辅的整改情况，费用已全部退回。",
            "upload": SimpleUploadedFile("家长会记录.pdf", MINUTES),
        }
        fields.update(overrides)
        return actions.check_record_offline_publication(problem, actor=self.school_admin, **fields)

    def close(self, problem: Problem) -> Verification:
        return actions.check_verify(
            problem, verifier=self.supervisor, outcome="approved", comment="核实无误"
        )


class PublicationTestCase(PublicationBase):
    def test_an_approved_offline_publication_is_the_public_half_of_the_feedback(self) -> None:
        problem = self.hotline_awaiting()
        publication = self.record(problem)
        self.assertEqual(publication.status, OfflinePublication.Status.PENDING)
        self.assertEqual(publication.original_name, "家长会记录.pdf")
        self.assertEqual(publication.content_type, "application/pdf")
        # Recorded, not yet approved: the closure still waits.
        with self.assertRaisesMessage(ValidationError, "登记线下公开并经局审核认可"):
            self.close(problem)
        actions.check_decide_offline_publication(
            publication, actor=self.bureau_admin, approve=True, comment="照片与记录齐全"
        )
        publication.refresh_from_db()
        self.assertEqual(
            (publication.status, publication.decided_by, publication.comment),
            (OfflinePublication.Status.APPROVED, self.bureau_admin, "照片与记录齐全"),
        )
        entry = problem.feedback.filter(kind=Feedback.Kind.PUBLIC_PROGRESS).get()
        self.assertIn("家长会通报", entry.text)
        self.assertEqual(problem.disclosure, Problem.Disclosure.PRIVATE)  # not on /progress/
        self.close(problem)
        self.assertEqual(Problem.objects.get(pk=problem.pk).status, S.CLOSED)
        self.assertEqual(
            list(
                AuditEvent.objects.filter(action__startswith="ledger.publication.")
                .order_by("id")
                .values_list("action", "actor")
            ),
            [
                ("ledger.publication.record", self.school_admin.pk),
                ("ledger.publication.approve", self.bureau_admin.pk),
            ],
        )
        self.assertTrue(
            Notification.objects.filter(
                recipient=self.teacher, title__startswith="线下公开审核结果"
            ).exists()
        )

    def test_a_rejected_one_does_not_count_and_needs_a_reason(self) -> None:
        problem = self.hotline_awaiting()
        publication = self.record(
            problem,
            channel=OfflinePublication.Channel.NOTICE_BOARD,
            summary="已公示",
            upload=png("公示栏.png"),
        )
        with self.assertRaisesMessage(ValidationError, "不认可时请填写原因"):
            actions.check_decide_offline_publication(
                publication, actor=self.bureau_admin, approve=False, comment=" "
            )
        actions.check_decide_offline_publication(
            publication, actor=self.bureau_admin, approve=False, comment="照片看不清公示内容"
        )
        with self.assertRaisesMessage(ValidationError, "已审核过"):
            actions.check_decide_offline_publication(
                publication, actor=self.bureau_admin, approve=True, comment=""
            )
        with self.assertRaisesMessage(ValidationError, "整改进度公开"):
            self.close(problem)
        self.assertFalse(problem.feedback.filter(kind=Feedback.Kind.PUBLIC_PROGRESS).exists())

    def test_the_minutes_as_a_word_file_are_kept_without_their_author(self) -> None:
        """The school's minutes written in WPS: the teacher's name, the school as company and
        the dates go; the text stays; the digest and size are of what is kept."""
        problem = self.hotline_awaiting()
        original = docx_by("班主任刘海燕", text="三年级家长会记录：教辅费用已全部退回")
        publication = self.record(problem, upload=SimpleUploadedFile("家长会记录.docx", original))
        with publication.file.open("rb") as stored:
            kept = stored.read()
        self.assertIn("刘海燕".encode(), unpacked(original))
        for told in ("刘海燕", "东城区实验小学", "KSOProductBuildVer"):
            self.assertNotIn(told.encode(), unpacked(kept))
        self.assertIn("教辅费用已全部退回".encode(), unpacked(kept))
        self.assertEqual(publication.size, len(kept))
        self.assertEqual(publication.original_name, "家长会记录.docx")

    def test_what_a_recording_needs(self) -> None:
        problem = self.hotline_awaiting()
        tomorrow = timezone.localdate() + timedelta(days=1)
        refusals: list[tuple[dict[str, Any], str]] = [
            ({"published_on": tomorrow}, "公开日期不能晚于今天"),
            ({"summary": "   "}, "请填写公开内容摘要"),
            ({"channel": "wechat"}, "请选择公开方式"),
            ({"upload": None}, "请上传公开的佐证"),
            (
                {"upload": SimpleUploadedFile("公示.xlsx", PNG)},
                "不支持的文件类型：公示.xlsx（可上传 JPG、PNG、PDF、DOCX）",
            ),
            ({"upload": SimpleUploadedFile("公示.pdf", PNG)}, "内容与扩展名不符"),
        ]
        for overrides, message in refusals:
            with self.subTest(message=message), self.assertRaisesMessage(ValidationError, message):
                self.record(problem, **overrides)
        self.assertFalse(OfflinePublication.objects.exists())
        draft = self.make_problem(source=Problem.Source.CHANNEL)
        with self.assertRaisesMessage(ValidationError, "不能登记线下公开"):
            self.record(draft)

    def test_whoever_recorded_it_does_not_approve_it(self) -> None:
        problem = self.hotline_awaiting()
        publication = actions.check_record_offline_publication(
            problem,
            actor=self.bureau_admin,
            channel=OfflinePublication.Channel.SCHOOL_AFFAIRS,
            published_on=timezone.localdate(),
            summary="已在校务公开栏公开",
            upload=png(),
        )
        with self.assertRaisesMessage(ValidationError, "不能审核本人登记的线下公开"):
            actions.check_decide_offline_publication(
                publication, actor=self.bureau_admin, approve=True, comment=""
            )


class PublicationPagesTestCase(PublicationBase):
    def test_the_school_records_it_on_the_page_and_the_bureau_approves_it(self) -> None:
        problem = self.hotline_awaiting()
        url = f"/ledger/{problem.pk}/"
        self.login(self.school_admin)
        page = self.client.get(url)
        self.assertContains(page, "登记线下公开")
        self.assertNotContains(page, "不认可")
        page = self.client.post(
            f"/ledger/{problem.pk}/publish-offline/",
            {
                "channel": "notice_board",
                "published_on": timezone.localdate().isoformat(),
                "summary": "整改情况已在校门口公示栏公示一周",
                "file": png("公示栏照片.png"),
            },
            follow=True,
        )
        self.assertContains(page, "已登记线下公开，待局审核认可")
        self.assertContains(page, "公示栏照片.png")
        publication = OfflinePublication.objects.get()
        self.assertEqual(
            self.client.get(f"/ledger/publications/{publication.pk}/").status_code, 200
        )
        # The school may not approve its own publication; the page does not offer it.
        response = self.client.post(
            f"/ledger/{problem.pk}/approve-offline/",
            {"publication": publication.pk, "approve": "1"},
        )
        self.assertEqual(response.status_code, 404)
        self.login(self.bureau_admin)
        page = self.client.get(url)
        self.assertContains(page, "不认可")
        page = self.client.post(
            f"/ledger/{problem.pk}/approve-offline/",
            {"publication": publication.pk, "approve": "1", "comment": "公示照片清晰"},
            follow=True,
        )
        self.assertContains(page, "已认可线下公开")
        publication.refresh_from_db()
        self.assertEqual(publication.status, OfflinePublication.Status.APPROVED)

    def test_another_county_sees_neither_the_forms_nor_the_file(self) -> None:
        problem = self.hotline_awaiting()
        publication = self.record(problem)
        self.login(self.other_school_admin)
        self.assertEqual(
            self.client.get(f"/ledger/publications/{publication.pk}/").status_code, 404
        )
        response = self.client.post(
            f"/ledger/{problem.pk}/publish-offline/",
            {"channel": "notice_board", "published_on": "2026-12-01", "summary": "x"},
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(OfflinePublication.objects.count(), 1)
