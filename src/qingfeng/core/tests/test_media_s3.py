"""Uploaded files in an S3-compatible bucket (QF_MEDIA_S3_BUCKET), as several app hosts share
them: stored, served through the scoped views, seen by another host, cleaned up after a failed
action and by the orphan sweep, and carried by the backup and the restore.

The bucket is moto's S3 server (its threaded HTTP server, spoken to by boto3 over HTTP on
127.0.0.1, as MinIO would be), not a mock of boto3: django-storages, botocore's signing, the
path-style addressing and the client settings in settings.py are all exercised."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from storages.backends.s3 import S3Storage

from qingfeng.core import attachments, backup, media
from qingfeng.core.models import Job
from qingfeng.core.progress import Progress
from qingfeng.ledger import actions
from qingfeng.ledger.models import Feedback, OfflinePublication, Problem
from qingfeng.ledger.tests.base import LedgerTestCase
from qingfeng.lib.tests.test_scrub import docx_by, unpacked
from qingfeng.settings import s3_storage

KEYS = {"access_key": "qingfeng-test", "secret_key": "qingfeng-test-secret"}


def s3_options(endpoint: str, bucket: str) -> dict[str, Any]:
    """The storage options settings.py builds from QF_MEDIA_S3_*, for this server."""
    built = s3_storage(bucket, endpoint=endpoint, region="us-east-1", **KEYS)
    options = built["OPTIONS"]
    assert isinstance(options, dict)
    return options


class S3MediaTestCase(LedgerTestCase):
    endpoint: str

    @classmethod
    def setUpClass(cls) -> None:
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        cls.addClassCleanup(server.stop)
        host, port = server.get_host_and_port()
        cls.endpoint = f"http://{host}:{port}"
        for bucket in ("qingfeng-media", "qingfeng-restored"):
            cls.s3().create_bucket(Bucket=bucket)
        storages_setting = {
            **settings.STORAGES,
            "default": s3_storage("qingfeng-media", endpoint=cls.endpoint, **KEYS),
        }
        cls.enterClassContext(override_settings(STORAGES=storages_setting))
        super().setUpClass()

    @classmethod
    def s3(cls) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=cls.endpoint,
            region_name="us-east-1",
            aws_access_key_id=KEYS["access_key"],
            aws_secret_access_key=KEYS["secret_key"],
        )

    def objects(self, bucket: str = "qingfeng-media", prefix: str = "") -> dict[str, bytes]:
        found = self.s3().list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        return {
            item["Key"]: self.s3().get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            for item in found
        }

    def tearDown(self) -> None:
        for bucket in ("qingfeng-media", "qingfeng-restored"):
            for key in self.objects(bucket):
                self.s3().delete_object(Bucket=bucket, Key=key)
        super().tearDown()

    def publication(self) -> OfflinePublication:
        problem = self.awaiting_verification(source=Problem.Source.HOTLINE, source_ref="R0042")
        actions.check_add_feedback(
            problem,
            actor=self.teacher,
            kind=Feedback.Kind.REPORTER_ANSWER,
            text="已电话答复反映人王女士",
        )
        return actions.check_record_offline_publication(
            problem,
            actor=self.school_admin,
            channel=OfflinePublication.Channel.PARENT_MEETING,
            published_on=timezone.localdate() - timedelta(days=1),
            summary="在三年级家长会上通报了整改情况，费用已全部退回。",
            upload=SimpleUploadedFile(
                "家长会记录.docx", docx_by("刘海燕", text="教辅费用已全部退回")
            ),
        )

    def test_an_upload_is_an_object_in_the_bucket_served_only_through_the_app(self) -> None:
        self.assertEqual(media.where(), "s3://qingfeng-media")
        publication = self.publication()
        stored = self.objects(prefix="ledger/publications/")
        self.assertEqual(list(stored), [publication.file.name])
        self.assertRegex(
            publication.file.name, r"^ledger/publications/\d{4}/\d{2}/[0-9a-f]{32}\.docx$"
        )
        kept = stored[publication.file.name]
        self.assertNotIn("刘海燕".encode(), unpacked(kept))  # scrubbed before it was sent
        self.assertEqual(publication.size, len(kept))

        url = reverse("ledger:publication", args=[publication.pk])
        response = self.login(self.school_admin).get(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(b"".join(response.streaming_content), kept)  # type: ignore[attr-defined]
        self.assertEqual(self.login(self.other_school_admin).get(url).status_code, 404)

        # Another host: its own storage object and client, the same bucket.
        other_host = S3Storage(**s3_options(self.endpoint, "qingfeng-media"))
        with other_host.open(publication.file.name, "rb") as fh:
            self.assertEqual(fh.read(), kept)
        self.assertIn(publication.file.name, list(media.walk("ledger", other_host)))

    def test_a_failed_action_and_the_sweep_leave_no_object_behind(self) -> None:
        with attachments.unreferenced_files_removed():
            try:
                with transaction.atomic():
                    self.publication()  # with the progress report's photo before it
                    self.assertEqual(len(self.objects()), 2)
                    raise RuntimeError("the action fails after the files were sent")
            except RuntimeError:
                pass
        self.assertEqual(self.objects(), {})

        kept = self.publication()
        default_storage.save("ledger/publications/2026/01/orphan.docx", ContentFile(b"PK\x03\x04"))
        # Everything modified before a minute from now counts as past the grace period here:
        # the bucket's modification times and listing are what this checks, not the clock.
        removed = attachments.sweep_orphans(grace=timedelta(minutes=-1))
        self.assertEqual(removed, ["ledger/publications/2026/01/orphan.docx"])
        self.assertEqual(list(self.objects(prefix="ledger/publications/")), [kept.file.name])

    def test_an_export_file_is_kept_in_the_bucket_for_its_owner(self) -> None:
        job = Job.objects.create(
            kind="ledger.export", payload={}, owner=self.county_admin, label="导出台账"
        )
        Progress(job, None).attach_file(b"PK\x03\x04export", "台账导出.xlsx", "已导出 3 行")
        Job.objects.filter(pk=job.pk).update(status=Job.Status.DONE)
        again = Job.objects.create(
            kind="ledger.export", payload={}, owner=self.county_admin, label="导出台账"
        )
        Progress(again, None).attach_file(b"PK\x03\x04second", "台账导出.xlsx", "已导出 4 行")
        job.refresh_from_db()
        again.refresh_from_db()
        # The same name twice in a month: the second is stored beside the first, not over it.
        self.assertNotEqual(job.result_file.name, again.result_file.name)
        self.assertEqual(len(self.objects()), 2)
        response = self.login(self.county_admin).get(reverse("core:job_file", args=[job.pk]))
        self.assertEqual(b"".join(response.streaming_content), b"PK\x03\x04export")  # type: ignore[attr-defined]

    def test_the_backup_carries_the_bucket_and_the_restore_fills_an_empty_one(self) -> None:
        publication = self.publication()
        default_storage.save("jobs/2026/11/导出.xlsx", ContentFile(b"PK\x03\x04rows"))
        before = self.objects()
        with tempfile.TemporaryDirectory() as work:
            staging = Path(work)
            files_dir = backup._media_for_backup(staging)
            names = sorted(
                p.relative_to(files_dir).as_posix() for p in files_dir.rglob("*") if p.is_file()
            )
            self.assertEqual(names, sorted(before))
            manifest: dict[str, Any] = {"files": {f"media/{name}": {} for name in names}}
            (staging / "content").mkdir()
            (staging / "content" / "media").symlink_to(files_dir)
            restored = {
                "default": s3_storage("qingfeng-restored", endpoint=self.endpoint, **KEYS),
                "staticfiles": settings.STORAGES["staticfiles"],
            }
            with override_settings(STORAGES=restored):
                self.assertEqual(list(media.walk()), [])  # what restore requires
                backup._restore_media(staging / "content", manifest)
                self.assertIn(publication.file.name, list(media.walk("ledger")))
        self.assertEqual(self.objects("qingfeng-restored"), before)
