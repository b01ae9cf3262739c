"""The daily sweep of files no row refers to covers the folder of every file field of every
installed model — evidence and photos, and also import workbooks, their error reports, export
files and the evaluation's score imports — found through the app registry; it keeps every file
a row names, and every file younger than the grace period."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.apps import apps
from django.db import models

from qingfeng.core import tasks
from qingfeng.core.attachments import sweep_orphans, upload_folders
from qingfeng.core.models import AuditEvent
from qingfeng.core.tests.test_url_policy import objects
from qingfeng.test import BaseTestCase, OwnMedia, files_under

# Objects whose rows keep files, made through each app's actions (their tests/objects.py).
WITH_FILES = (
    "campaigns:file",
    "core:job_file",  # an export's result
    "evaluation:evidence",
    "evaluation:score_import",  # a rejected workbook: the upload and its error report
    "intake:attachment",
    "ledger:evidence",
    "ledger:import_result",
    "orgs:roster_result",
    "oversight:photo",
    "oversight:request_file",
    "reports:bulletin",
    "reports:manual_evidence",
)
TWO_DAYS = 2 * 86400


def file_fields() -> list[tuple[type[models.Model], models.FileField]]:
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    ]


def referenced() -> set[str]:
    names: set[str] = set()
    for model, field in file_fields():
        names.update(
            name for name in model._base_manager.values_list(field.name, flat=True) if name
        )
    return names


def age(path: Path, seconds: int = TWO_DAYS) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


class UploadFoldersTestCase(BaseTestCase):
    def test_every_file_field_stores_under_a_swept_folder(self) -> None:
        folders = upload_folders()
        for model, field in file_fields():
            with self.subTest(field=f"{model._meta.label}.{field.name}"):
                name = field.generate_filename(model(), "名单.xlsx")
                self.assertTrue(any(name.startswith(f"{f}/") for f in folders), name)
        # The folders the sweep once missed: import workbooks and their error reports (the
        # ledger's, the roster's, the evaluation's scores) and the jobs' export files.
        self.assertLessEqual(
            {"ledger/imports", "roster", "evaluation/imports", "jobs"}, set(folders)
        )
        # Never the whole storage, and no folder twice.
        self.assertNotIn("", folders)
        self.assertFalse([f for f in folders if any(f.startswith(f"{o}/") for o in folders)])


class OrphanSweepTestCase(OwnMedia, BaseTestCase):
    def test_an_orphan_in_each_folder_goes_and_every_referenced_file_stays(self) -> None:
        factories = objects()
        for key in WITH_FILES:
            factories[key](self)
        kept = referenced()
        folders = upload_folders()
        # Every kind of file the brief names has a row here: kept although old.
        kept_in = {f for f in folders for name in kept if name.startswith(f"{f}/")}
        self.assertLessEqual({"ledger/imports", "roster", "evaluation/imports", "jobs"}, kept_in)
        orphans = []
        for number, folder in enumerate(folders):
            orphan = self.media / folder / "2026" / "11" / f"{number:02d}a7c3e9f1b5d2468ace0.xlsx"
            orphan.parent.mkdir(parents=True, exist_ok=True)
            orphan.write_bytes(b"PK\x03\x04 a workbook whose row never committed")
            orphans.append(f"{folder}/2026/11/{orphan.name}")
        fresh = self.media / "ledger" / "imports" / "2026" / "12" / "fresh0123456789abcdef.xlsx"
        fresh.parent.mkdir(parents=True, exist_ok=True)
        fresh.write_bytes(b"PK\x03\x04 being imported right now")
        outside = self.media / "restore-notes.txt"  # not an upload folder: never the sweep's
        outside.write_text("restored 2026-11-30")
        for name in files_under(self.media):
            if self.media / name != fresh:
                age(self.media / name)

        removed = sweep_orphans()

        self.assertEqual(sorted(removed), sorted(orphans))
        on_disk = set(files_under(self.media))
        self.assertLessEqual(kept, on_disk)
        self.assertFalse(set(orphans) & on_disk)
        self.assertIn("ledger/imports/2026/12/fresh0123456789abcdef.xlsx", on_disk)  # grace
        self.assertIn("restore-notes.txt", on_disk)
        event = AuditEvent.objects.get(action="core.attachments.sweep")
        self.assertEqual(event.after, {"removed": removed, "count": len(orphans)})
        # The daily task is the same sweep: nothing is left for it but the fresh file.
        self.assertEqual(tasks.sweep_orphan_files.call_local(), 0)
        self.assertEqual(set(files_under(self.media)), on_disk)
