from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
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


class SystemCardTestCase(BaseTestCase):
    """The system administrator's home card says what /healthz says, in words: when the last
    good backup was made, whether the worker beats, where the files and backups are."""

    def card(self, user: object) -> str:
        self.login(user)  # type: ignore[arg-type]
        return self.client.get("/").content.decode()

    def test_it_warns_of_no_backup_and_no_worker(self) -> None:
        page = self.card(self.system_admin)
        self.assertIn("系统状态", page)
        self.assertIn("尚无备份", page)
        self.assertIn("超过一天没有成功备份", page)
        self.assertIn("没有心跳", page)

    def test_it_shows_the_last_good_backup_and_a_live_worker(self) -> None:
        made = timezone.now() - timedelta(hours=3)
        WorkerHeartbeat.objects.create(name=backup.HEARTBEAT, beat_at=made)
        WorkerHeartbeat.objects.create(name="worker", beat_at=timezone.now())
        page = self.card(self.system_admin)
        self.assertIn(timezone.localtime(made).strftime("%Y-%m-%d %H:%M"), page)
        self.assertNotIn("超过一天没有成功备份", page)
        self.assertIn("运行中", page)
        # A backup of two days ago is overdue.
        WorkerHeartbeat.objects.filter(name=backup.HEARTBEAT).update(
            beat_at=timezone.now() - timedelta(days=2)
        )
        self.assertIn("超过一天没有成功备份", self.card(self.system_admin))

    def test_only_the_system_administrator_sees_it(self) -> None:
        for user in (self.bureau_admin, self.county_admin, self.auditor, self.school_admin):
            with self.subTest(user=user.username):
                self.assertNotIn("系统状态", self.card(user))
