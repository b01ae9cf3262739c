"""One backup at a time across hosts (core/backup.py): the lock in the shared database, and
QF_BACKUP_HOST naming the host whose worker makes the daily backup."""

from __future__ import annotations

import socket
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from unittest import mock

import time_machine
from django.core.management import CommandError, call_command
from django.test import TransactionTestCase, override_settings
from django.utils import timezone

from qingfeng.core import backup, tasks
from qingfeng.core.models import WorkerHeartbeat


class BackupLockTestCase(TransactionTestCase):
    # Its flush at the end then leaves the database as the migrations made it (content types
    # with their first ids) for a later test that restores it (test_escalation_migration).
    serialized_rollback = True

    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="qf-lock-"))

    def made(self) -> list[Path]:
        return sorted(self.dir.glob(f"{backup.PREFIX}*"))

    def test_one_holder_at_a_time_and_only_the_holder_gives_it_back(self) -> None:
        first = backup.acquire_lock()
        self.assertIsNotNone(first)
        self.assertIsNone(backup.acquire_lock())  # another host, meanwhile
        assert first is not None
        self.assertEqual(backup.lock_held_until(), first)
        backup.release_lock(first)
        self.assertIsNone(backup.lock_held_until())
        second = backup.acquire_lock()
        self.assertIsNotNone(second)
        backup.release_lock(first)  # a stale token frees nothing
        self.assertEqual(backup.lock_held_until(), second)

    def test_a_dead_holder_s_lock_runs_out(self) -> None:
        self.assertIsNotNone(backup.acquire_lock(minutes=180))
        with time_machine.travel(timezone.now() + timedelta(minutes=181)):
            self.assertIsNotNone(backup.acquire_lock())

    def test_a_backup_while_another_runs_is_refused_and_writes_nothing(self) -> None:
        held = backup.acquire_lock()  # "another host" holds it
        assert held is not None
        with self.assertRaises(backup.BackupRunning):
            backup.create_backup(self.dir)
        with self.assertRaisesMessage(CommandError, "另一个进程正在备份"):
            call_command("backup", "--to", str(self.dir), stdout=mock.MagicMock())
        self.assertEqual(self.made(), [])
        backup.release_lock(held)
        report = backup.create_backup(self.dir)
        self.assertEqual(self.made(), [report.path])
        self.assertIsNone(backup.lock_held_until())  # given back after the backup

    def test_a_failed_backup_gives_the_lock_back(self) -> None:
        with (
            mock.patch.object(backup, "_create_backup", side_effect=backup.BackupError("x")),
            self.assertRaises(backup.BackupError),
        ):
            backup.create_backup(self.dir)
        self.assertIsNone(backup.lock_held_until())


AT_TWO = datetime(2026, 12, 7, 2, 40, tzinfo=timezone.get_default_timezone())


@override_settings(QF_BACKUP_HOUR=2)
class DailyBackupTestCase(TransactionTestCase):
    serialized_rollback = True  # as above

    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="qf-daily-"))

    def run_daily(self, *, host: str, moment: datetime = AT_TWO) -> bool:
        with (
            override_settings(QF_BACKUP_HOST=host, QF_BACKUP_DIR=self.dir),
            time_machine.travel(moment, tick=False),
        ):
            return bool(tasks.daily_backup.call_local())

    def test_only_the_configured_host_makes_it(self) -> None:
        self.assertFalse(self.run_daily(host="backup-host.example"))
        self.assertEqual(list(self.dir.iterdir()), [])
        self.assertTrue(self.run_daily(host=socket.gethostname()))
        self.assertEqual(len(list(self.dir.glob(f"{backup.PREFIX}*"))), 1)

    def test_without_a_configured_host_the_second_host_finds_it_done(self) -> None:
        self.assertTrue(self.run_daily(host=""))
        # Host B's worker, a minute later in the same hour: this hour's backup exists.
        self.assertFalse(self.run_daily(host="", moment=AT_TWO + timedelta(minutes=1)))
        # And while host A's backup still runs, B finds the lock held and leaves it.
        WorkerHeartbeat.objects.filter(name=backup.HEARTBEAT).delete()
        with time_machine.travel(AT_TWO + timedelta(minutes=2), tick=False):
            self.assertIsNotNone(backup.acquire_lock())
        self.assertFalse(self.run_daily(host="", moment=AT_TWO + timedelta(minutes=2)))
        self.assertEqual(len(list(self.dir.glob(f"{backup.PREFIX}*"))), 1)
        # Outside QF_BACKUP_HOUR nothing is due.
        self.assertFalse(self.run_daily(host="", moment=AT_TWO + timedelta(hours=1)))
