"""An uploaded roster workbook (phone numbers in clear) is written before its row is saved, not
through `core.attachments.attach`: a request or job whose action fails after that leaves no
file behind, as for attachments (core/attachments.py `note_saved_files`)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from qingfeng.core.attachments import unreferenced_files_removed
from qingfeng.orgs import roster
from qingfeng.orgs.models import RosterImport
from qingfeng.test import BaseTestCase, OwnMedia, files_under

WORKBOOK = b"PK\x03\x04 a roster with 13800001234 in clear"


class Failed(Exception):
    pass


class RosterUploadFilesTestCase(OwnMedia, BaseTestCase):
    def receive(self) -> RosterImport:
        upload = SimpleUploadedFile("名册.xlsx", WORKBOOK)
        return roster.do_receive_roster(upload, actor=self.county_admin)

    def test_a_receipt_rolled_back_leaves_no_workbook(self) -> None:
        with unreferenced_files_removed():
            try:
                with transaction.atomic():
                    self.receive()
                    self.assertEqual(len(files_under(self.media)), 1)  # written meanwhile
                    raise Failed  # the action fails after the row was saved
            except Failed:
                pass
        self.assertFalse(RosterImport.objects.exists())
        self.assertEqual(files_under(self.media), [])

    def test_a_receipt_that_commits_keeps_its_workbook(self) -> None:
        with unreferenced_files_removed():
            record = self.receive()
            record.save(update_fields=["status"])  # saved again, the file left as it was
        self.assertEqual(files_under(self.media), [record.file.name])
