"""Uploaded files follow their rows: an action that fails leaves no file behind, and the daily
sweep removes a file no row refers to (core/attachments.py)."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError

from qingfeng.core import tasks
from qingfeng.core.attachments import sweep_orphans, unreferenced_files_removed
from qingfeng.core.models import AuditEvent
from qingfeng.intake import actions as intake_actions
from qingfeng.intake.models import Ticket, TicketAttachment, TicketCategory
from qingfeng.ledger import actions
from qingfeng.ledger.models import Evidence, Problem
from qingfeng.ledger.tests.base import LedgerTestCase, png
from qingfeng.test import OwnMedia, files_under

DISK_FULL = DatabaseError("disk full")


class FilesFollowRowsTestCase(OwnMedia, LedgerTestCase):
    def test_a_failed_progress_report_leaves_no_evidence_on_disk(self) -> None:
        problem = actions.do_accept(self.assigned(), actor=self.teacher)
        self.login(self.teacher)
        with (
            mock.patch("qingfeng.ledger.actions.problems.record_audit", side_effect=DISK_FULL),
            self.assertRaises(DatabaseError),
        ):
            self.client.post(
                f"/ledger/{problem.pk}/report/",
                {
                    "progress": 40,
                    "text": "已退还三名家长的资料费",
                    "phase": "after",
                    "files": [png("退费收据.png"), png("家长签字.png")],
                },
            )
        self.assertFalse(Evidence.objects.filter(problem=problem).exists())
        self.assertEqual(files_under(self.media), [])

    def test_a_report_that_succeeds_keeps_its_evidence(self) -> None:
        problem = actions.do_accept(self.assigned(), actor=self.teacher)
        self.login(self.teacher)
        self.client.post(
            f"/ledger/{problem.pk}/report/",
            {"progress": 40, "text": "已退还资料费", "phase": "after", "files": [png()]},
        )
        evidence = Evidence.objects.get(problem=problem)
        self.assertEqual(files_under(self.media), [evidence.file.name])

    def test_a_failed_public_report_leaves_no_attachment(self) -> None:
        category = TicketCategory.objects.get(name="乱收费乱办班乱订资料")
        with (
            mock.patch("qingfeng.intake.actions.submit.record_audit", side_effect=DISK_FULL),
            self.assertRaises(DatabaseError),
            unreferenced_files_removed(),
        ):
            intake_actions.check_submit_ticket(
                kind=Ticket.Kind.COMPLAINT,
                category=category,
                unit=self.school,
                title="我是孩子妈妈，反映资料费",
                content="班主任王老师要求每人交１２０元资料费，没有收据。",
                anonymous=True,
                files=[SimpleUploadedFile("收据.png", png().read())],
            )
        self.assertFalse(TicketAttachment.objects.exists())
        self.assertEqual(files_under(self.media), [])

    def test_the_sweep_removes_an_old_orphan_and_keeps_the_rest(self) -> None:
        problem = self.rectifying(title="违规收受家长礼品")  # one kept evidence file
        kept = Evidence.objects.get(problem=problem).file.name
        folder = self.media / "ledger" / "evidence" / "2026" / "11"
        folder.mkdir(parents=True, exist_ok=True)
        orphan = folder / "0f1e2d3c4b5a69788796a5b4c3d2e1f0.png"
        orphan.write_bytes(png().read())
        fresh = folder / "a1b2c3d4e5f60718293a4b5c6d7e8f90.jpg"
        fresh.write_bytes(b"\xff\xd8\xff" + b"\x00" * 32)
        two_days_ago = time.time() - 2 * 86400
        for path in (orphan, self.media / kept):
            os.utime(path, (two_days_ago, two_days_ago))

        removed = sweep_orphans()

        self.assertEqual(removed, ["ledger/evidence/2026/11/0f1e2d3c4b5a69788796a5b4c3d2e1f0.png"])
        self.assertFalse(orphan.exists())
        self.assertTrue(fresh.exists())  # within the grace period: its row may be on its way
        self.assertTrue((self.media / kept).exists())
        event = AuditEvent.objects.filter(action="core.attachments.sweep").get()
        self.assertEqual(event.after, {"removed": removed, "count": 1})
        # The scheduled task is the same sweep; with no grace even the fresh file goes.
        self.assertEqual(tasks.sweep_orphan_files.call_local(), 0)
        self.assertEqual(
            sweep_orphans(grace=timedelta(0)),
            ["ledger/evidence/2026/11/a1b2c3d4e5f60718293a4b5c6d7e8f90.jpg"],
        )
        self.assertTrue((self.media / kept).exists())
        self.assertEqual(Problem.objects.get(pk=problem.pk).evidence.count(), 1)
