"""The monthly bulletin: its figures are the month's data as the registered sources give them,
kept as a snapshot that the document is made from (the document's table equals it); it
conforms to GB/T 9704; an upload that is not a .docx is refused; a leader approves only a
conforming text; issuing notifies the units below; another school never sees a draft."""

from __future__ import annotations

import io
import subprocess
import tempfile
import unittest
from pathlib import Path

import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from docx import Document
from docx.shared import Mm

from qingfeng.core.models import Notification
from qingfeng.lib import gbt9704
from qingfeng.reports import actions, compose, render
from qingfeng.reports.models import Bulletin, BulletinVersion
from qingfeng.reports.tests.base import NOVEMBER, BulletinCase


def docx_upload(data: bytes, name: str = "修改稿.docx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


class BulletinTestCase(BulletinCase):
    def test_its_figures_are_the_months_data_and_the_document_shows_them(self) -> None:
        with time_machine.travel("2026-11-10 10:00 +0800", tick=False):
            self.problem(self.school)
            self.problem(self.school2)
        with time_machine.travel("2026-10-20 10:00 +0800", tick=False):
            self.problem(self.school)  # October's: not this month's
        bulletin = self.draft()
        snapshot = bulletin.snapshot
        self.assertEqual(snapshot["totals"]["problems_new"], 2)
        self.assertEqual(snapshot["totals"]["problems_new_leadership"], 2)
        self.assertEqual(snapshot["totals"]["problems_open"], 3)
        county = next(c for c in snapshot["counties"] if c["id"] == self.county.pk)
        self.assertEqual(county["figures"]["problems_new"], 2)
        self.assertEqual(snapshot["units"][str(self.school.pk)]["problems_new"], 1)
        version = bulletin.versions.get()
        doc = Document(version.file.open("rb"))
        table = doc.tables[0]
        shown = [[cell.text for cell in row.cells] for row in table.rows[1:]]
        self.assertEqual(shown, compose.county_rows(snapshot))
        text = "\n".join(p.text for p in doc.paragraphs)
        for line in compose.overview(snapshot):
            self.assertIn(line, text)
        self.assertEqual(version.deviations, [])

    def test_a_later_change_does_not_change_an_archived_bulletin(self) -> None:
        bulletin = self.draft()
        with time_machine.travel("2026-11-12 10:00 +0800", tick=False):
            self.problem(self.school)  # entered late, dated in November
        bulletin.refresh_from_db()
        self.assertEqual(bulletin.snapshot["totals"].get("problems_new", 0), 0)

    def test_bad_input_is_refused_and_nothing_is_written(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            self.draft(number="清教作[2026]12号")
        self.assertIn("发文字号格式", str(caught.exception))
        with self.assertRaises(ValidationError):
            actions.check_create_bulletin(
                actor=self.school_admin,
                issuer=self.bureau,
                month=NOVEMBER,
                number="清教作〔2026〕12号",
                addressees="各县区教育局",
            )
        self.assertFalse(Bulletin.objects.exists())
        bulletin = self.draft()
        with self.assertRaises(ValidationError):
            self.draft()  # the same number again
        with self.assertRaises(ValidationError) as caught:
            actions.check_upload_edited(
                bulletin, actor=self.office_user, upload=docx_upload(b"%PDF-1.7", "通报.pdf")
            )
        self.assertIn(".docx", str(caught.exception))
        with self.assertRaises(ValidationError):
            actions.check_upload_edited(
                bulletin, actor=self.office_user, upload=docx_upload(b"PK\x03\x04broken")
            )
        bulletin.refresh_from_db()
        self.assertEqual((bulletin.status, bulletin.versions.count()), ("draft", 1))

    def test_an_edited_text_is_kept_and_checked_and_only_a_conforming_one_is_approved(self) -> None:
        bulletin = self.draft()
        doc = Document(bulletin.versions.get().file.open("rb"))
        doc.sections[0].top_margin = Mm(25)
        out = io.BytesIO()
        doc.save(out)
        version = actions.check_upload_edited(
            bulletin, actor=self.office_user, upload=docx_upload(out.getvalue())
        )
        self.assertEqual(version.kind, BulletinVersion.Kind.EDITED)
        self.assertIn("页面：天头应为 37 mm，实为 25.0 mm", version.deviations)
        with self.assertRaises(ValidationError) as caught:
            actions.check_approve_bulletin(bulletin, actor=self.leader)
        self.assertIn("天头", str(caught.exception))
        fixed = gbt9704.write(
            compose.document(
                snapshot=bulletin.snapshot,
                mark="清河市教育局文件",
                number=bulletin.number,
                title=bulletin.title,
                addressees=bulletin.addressees,
                copies_to=[],
                dated=NOVEMBER,
            )
        )
        actions.check_upload_edited(bulletin, actor=self.office_user, upload=docx_upload(fixed))
        with self.assertRaises(ValidationError):
            actions.check_approve_bulletin(bulletin, actor=self.office_user)  # not a leader
        actions.check_approve_bulletin(bulletin, actor=self.leader)
        actions.check_issue_bulletin(bulletin, actor=self.office_user)
        bulletin.refresh_from_db()
        self.assertEqual(bulletin.status, Bulletin.Status.ISSUED)
        notified = set(Notification.objects.values_list("recipient_id", flat=True))
        self.assertEqual(
            notified, {self.county_admin.pk, self.school_admin.pk, self.other_school_admin.pk}
        )
        self.assertEqual(
            list(bulletin.events.order_by("id").values_list("action", flat=True)),
            ["create", "edit", "edit", "approve", "issue"],
        )

    def test_drafts_are_the_bureaus_and_issued_ones_everyones(self) -> None:
        bulletin = self.draft()
        url = reverse("reports:bulletin", args=[bulletin.pk])
        self.assertEqual(self.login(self.school_admin).get(url).status_code, 404)
        page = self.login(self.office_user).get(url)
        self.assertContains(page, "符合公文格式")
        download = self.client.get(
            reverse("reports:docx", args=[bulletin.pk, bulletin.versions.get().pk])
        )
        self.assertEqual(download.status_code, 200)
        actions.check_approve_bulletin(bulletin, actor=self.leader)
        with self.captureOnCommitCallbacks(execute=False):
            actions.check_issue_bulletin(bulletin, actor=self.office_user)
        self.assertContains(self.login(self.other_school_admin).get(url), bulletin.number)

    def test_the_command_checks_a_file(self) -> None:
        bulletin = self.draft()
        out = io.StringIO()
        call_command("check_gbt9704", bulletin.versions.get().file.path, stdout=out)
        self.assertIn("符合", out.getvalue())
        with tempfile.TemporaryDirectory() as folder:
            broken = Path(folder) / "broken.docx"
            doc = Document(bulletin.versions.get().file.open("rb"))
            doc.sections[0].left_margin = Mm(20)
            doc.save(str(broken))
            with self.assertRaises(SystemExit) as exit_:
                call_command("check_gbt9704", str(broken), stdout=out)
            self.assertEqual(exit_.exception.code, 1)
        self.assertIn("订口应为 28 mm", out.getvalue())


@unittest.skipUnless(render.soffice(), "LibreOffice is not installed (libreoffice-writer-nogui)")
class RenderTestCase(BulletinCase):
    def test_the_bulletin_renders_to_pdf_and_png(self) -> None:
        bulletin = self.draft(signer="张明远")
        self.assertEqual(bulletin.versions.get().deviations, [])
        version = bulletin.versions.get()
        actions.render_pdf({"version_id": version.pk})
        version.refresh_from_db()
        self.assertTrue(version.pdf.name)
        data = version.pdf.open("rb").read()
        self.assertTrue(data.startswith(b"%PDF"))
        folder = Path(version.pdf.path).parent
        subprocess.run(  # noqa: S603
            ["pdftoppm", "-r", "50", "-png", version.pdf.path, str(folder / "bulletin")],  # noqa: S607
            check=True,
            timeout=60,
        )
        self.assertTrue(list(folder.glob("bulletin-*.png")))
