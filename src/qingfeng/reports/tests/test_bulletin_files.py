"""A bulletin version keeps its PDF beside its .docx, in the same folder, under a field of its
own: the daily sweep of unreferenced uploads (core/attachments.py) must count that field too.
It once asked only `file`, and deleted every bulletin's PDF a day after it was rendered."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.core.files.base import ContentFile

from qingfeng.core.attachments import sweep_orphans
from qingfeng.reports.models import BulletinVersion
from qingfeng.reports.tests.base import BulletinCase
from qingfeng.test import OwnMedia


class BulletinFilesSweepTestCase(OwnMedia, BulletinCase):
    def test_the_sweep_keeps_a_versions_pdf_and_removes_a_pdf_no_version_has(self) -> None:
        version = BulletinVersion.objects.get(bulletin=self.draft())
        version.pdf.save(f"{version.sha256[:16]}.pdf", ContentFile(b"%PDF-1.4 rendered"))
        stray = self.media / Path(version.pdf.name).with_name("0123456789abcdef.pdf")
        stray.write_bytes(b"%PDF-1.4 left by a failed render")
        two_days_ago = time.time() - 2 * 86400
        for name in (version.file.name, version.pdf.name, str(stray.relative_to(self.media))):
            os.utime(self.media / name, (two_days_ago, two_days_ago))

        removed = sweep_orphans()

        self.assertEqual(removed, [str(stray.relative_to(self.media))])
        self.assertTrue((self.media / version.file.name).exists())
        self.assertTrue((self.media / version.pdf.name).exists())
