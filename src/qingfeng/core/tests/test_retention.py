"""Retention rules (core/retention.py) with the apps' rules: GlobaLeaks' cleaning test as the
model — after the daily job, what expired has no personal data in any row and no file on
disk, what did not expire (or is still under rectification) is untouched, and each rule that
removed something wrote one audit row naming the rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from qingfeng.core import registry, retention, tasks
from qingfeng.core.fields import blind_index
from qingfeng.core.models import AuditEvent
from qingfeng.core.retention import Purged, RetentionRule
from qingfeng.intake.actions import handling
from qingfeng.intake.models import Ticket
from qingfeng.intake.tests.handling_base import REPORTER_PHONE, IntakeTestCase
from qingfeng.ledger.excel.importing import do_receive_ledger
from qingfeng.ledger.models import Category, LedgerImport, Problem
from qingfeng.orgs.models import RosterImport
from qingfeng.orgs.roster.importing import do_receive_roster

XLSX = b"PK\x03\x04 a workbook with 13766665555 in it"


def workbook(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, XLSX, content_type="application/octet-stream")


class RetentionTest(IntakeTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.closed = self.replied()
        handling.check_close(self.closed, actor=self.bureau_admin, note="电话回访，满意")
        self.declined = handling.check_decline(
            self.make_ticket(), actor=self.bureau_admin, reason="不属于受理范围"
        )
        self.open = self.assigned()
        # Closed, but its ledger problem is still being rectified: the identity stays.
        self.rectifying = self.assigned()
        self.problem = handling.check_create_problem_from_ticket(
            self.rectifying,
            actor=self.bureau_admin,
            category=Category.objects.get(name="教辅材料违规征订"),
        )
        Ticket.objects.filter(pk=self.rectifying.pk).update(status=Ticket.Status.CLOSED)
        self.roster = do_receive_roster(workbook("名册.xlsx"), actor=self.bureau_admin)
        self.ledger = do_receive_ledger(workbook("台账.xlsx"), actor=self.bureau_admin)
        self.files = [self.roster.file.name, self.ledger.file.name]
        for name in self.files:
            self.addCleanup(default_storage.delete, name)

    def run_rules(self, *, days_later: int) -> list[retention.RuleRun]:
        now: datetime = timezone.now() + timedelta(days=days_later)
        with self.captureOnCommitCallbacks(execute=True):
            return retention.run_all(now=now)

    def identity(self, ticket: Ticket) -> tuple[str, str, str]:
        t = Ticket.objects.get(pk=ticket.pk)
        return t.reporter_name, t.reporter_phone, t.reporter_phone_index

    def test_the_apps_register_their_rules(self) -> None:
        self.assertEqual(
            [r.key for r in registry.retention_rules()],
            ["intake.reporter_identity", "ledger.import_workbooks", "orgs.roster_workbooks"],
        )

    def test_nothing_expires_within_the_period(self) -> None:
        runs = self.run_rules(days_later=80)
        self.assertEqual([r.rows for r in runs], [0, 0, 0])
        self.assertFalse(AuditEvent.objects.filter(action="core.retention.purge").exists())
        self.assertTrue(all(default_storage.exists(n) for n in self.files))
        self.assertNotEqual(self.identity(self.closed), ("", "", ""))

    def test_what_expired_leaves_no_personal_data_and_no_file(self) -> None:
        runs = self.run_rules(days_later=731)

        self.assertEqual({r.rule.key: r.rows for r in runs}["intake.reporter_identity"], 2)
        self.assertEqual(self.identity(self.closed), ("", "", ""))
        self.assertEqual(self.identity(self.declined), ("", "", ""))
        # Still open, or its problem still under rectification: untouched.
        self.assertNotEqual(self.identity(self.open), ("", "", ""))
        self.assertNotEqual(self.identity(self.rectifying), ("", "", ""))
        self.assertEqual(
            set(
                Ticket.objects.filter(reporter_phone_index=blind_index(REPORTER_PHONE)).values_list(
                    "pk", flat=True
                )
            ),
            {self.open.pk, self.rectifying.pk},
        )
        # The workbooks are gone from disk; their import rows stay, without a file.
        self.assertFalse(any(default_storage.exists(n) for n in self.files))
        roster = RosterImport.objects.get(pk=self.roster.pk)
        ledger = LedgerImport.objects.get(pk=self.ledger.pk)
        self.assertEqual((roster.file.name, ledger.file.name), ("", ""))
        # Never read, now unreadable: closed as failed rather than left to be confirmed.
        self.assertEqual(ledger.status, LedgerImport.Status.FAILED)
        self.assertEqual(roster.status, RosterImport.Status.FAILED)

        events: dict[str, dict[str, Any]] = {
            e.object_repr: e.after or {}
            for e in AuditEvent.objects.filter(action="core.retention.purge")
        }
        self.assertEqual(
            events["intake.reporter_identity"]["ids"],
            sorted([self.closed.pk, self.declined.pk]),
        )
        self.assertEqual(events["orgs.roster_workbooks"]["ids"], [self.roster.pk])
        self.assertEqual(events["ledger.import_workbooks"]["files"], 1)
        self.assertEqual(events["intake.reporter_identity"]["days"], 730)

        # Once the problem is closed, its ticket's identity expires the next day; a second
        # run finds nothing else and writes no audit row for it.
        Problem.objects.filter(pk=self.problem.pk).update(status=Problem.Status.CLOSED)
        again = {r.rule.key: r.rows for r in self.run_rules(days_later=732)}
        self.assertEqual(again, dict.fromkeys(again, 0) | {"intake.reporter_identity": 1})
        self.assertEqual(self.identity(self.rectifying), ("", "", ""))

    @override_settings(QF_REPORTER_RETENTION_DAYS=0, QF_WORKBOOK_RETENTION_DAYS=0)
    def test_zero_keeps_for_ever(self) -> None:
        self.run_rules(days_later=10_000)
        self.assertNotEqual(self.identity(self.closed), ("", "", ""))
        self.assertTrue(all(default_storage.exists(n) for n in self.files))

    def test_a_purge_that_fails_deletes_nothing(self) -> None:
        from qingfeng.orgs.actions.retention import purge_roster_workbooks

        def failing(cutoff: datetime) -> Purged:
            purge_roster_workbooks(cutoff)
            raise RuntimeError("disk full")

        rule = RetentionRule("test.failing", "test", "QF_WORKBOOK_RETENTION_DAYS", failing)
        with self.captureOnCommitCallbacks(execute=True), self.assertRaises(RuntimeError):
            retention.run_rule(rule, now=timezone.now() + timedelta(days=91))
        self.assertTrue(default_storage.exists(self.roster.file.name))
        self.assertEqual(RosterImport.objects.get(pk=self.roster.pk).file.name, self.files[0])

    def test_the_daily_task_runs_every_rule(self) -> None:
        with (
            override_settings(QF_WORKBOOK_RETENTION_DAYS=1),
            self.captureOnCommitCallbacks(execute=True),
        ):
            RosterImport.objects.update(created_at=timezone.now() - timedelta(days=2))
            LedgerImport.objects.update(created_at=timezone.now() - timedelta(days=2))
            self.assertEqual(tasks.expire_personal_data.call_local(), 2)
        self.assertFalse(any(default_storage.exists(n) for n in self.files))
