from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path
from unittest import mock

from django.db.utils import OperationalError
from django.utils import timezone

from qingfeng.core import backup
from qingfeng.core.models import WorkerHeartbeat
from qingfeng.test import BaseTestCase


class HealthzTestCase(BaseTestCase):
    def test_it_reports_database_and_stale_worker(self) -> None:
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["status"], "ok")
        self.assertEqual(response.json()["worker"], "stale")

    def test_it_reports_a_live_worker(self) -> None:
        WorkerHeartbeat.objects.create(name="worker", beat_at=timezone.now())
        self.assertEqual(self.client.get("/healthz").json()["worker"], "ok")

    def test_it_is_503_when_the_database_is_unreachable(self) -> None:
        with mock.patch(
            "qingfeng.core.views.connection.cursor", side_effect=OperationalError("down")
        ):
            response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json()["database"], "unreachable")

    def test_it_says_when_the_last_good_backup_was_made(self) -> None:
        """`create_backup` records its success last (test_backup runs the real command)."""
        self.assertIsNone(self.client.get("/healthz").json()["last_backup_at"])
        backup.record_success()
        reported = self.client.get("/healthz").json()["last_backup_at"]
        self.assertLess(
            abs((datetime.fromisoformat(reported) - timezone.now()).total_seconds()), 60
        )

    def test_a_backup_inside_a_transaction_is_refused(self) -> None:
        with self.assertRaisesMessage(backup.BackupError, "事务之外"):
            backup.create_backup(Path(tempfile.gettempdir()) / "qf-never")
