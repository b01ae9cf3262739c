"""Files attached by reporters are stored without what identifies them (tags, positions,
authors, devices); the cleaning itself is tested with `lib.scrub`."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from qingfeng.intake.models import TicketAttachment
from qingfeng.intake.tests.test_submit_actions import SubmitBase
from qingfeng.lib.tests.test_scrub import JPEG, PNG, m4a, pdf_with_history


class StoredScrubTestCase(SubmitBase):
    def test_stored_photos_are_scrubbed(self) -> None:
        ticket, _code = self.submit(
            files=[SimpleUploadedFile("现场.jpg", JPEG), SimpleUploadedFile("截图.png", PNG)]
        )
        for attachment in TicketAttachment.objects.filter(ticket=ticket):
            with attachment.file.open("rb") as handle:
                data = handle.read()
            self.assertNotIn(b"OWNERTAG", data)
            self.assertEqual(attachment.size, len(data))
        ticket.refresh_from_db()
        self.assertEqual(ticket.light, "green")
        self.assertEqual(ticket.due_key, ticket.accept_due)

    def test_stored_recordings_and_documents_are_scrubbed(self) -> None:
        ticket, _code = self.submit(
            files=[
                SimpleUploadedFile("录音.m4a", m4a(movie_first=True)),
                SimpleUploadedFile("通知.pdf", pdf_with_history()),
            ]
        )
        stored = TicketAttachment.objects.filter(ticket=ticket)
        self.assertEqual(sorted(a.content_type for a in stored), ["application/pdf", "audio/mp4"])
        for attachment in stored:
            with attachment.file.open("rb") as handle:
                data = handle.read()
            self.assertNotIn(b"OWNERTAG", data)
            self.assertEqual(attachment.size, len(data))
