"""The audit chain held against its head anchored outside the database: rows cut from the
end, a wiped table, rows rewritten by someone who holds the key, and the re-chaining of a
trail begun before the chain was keyed."""

from __future__ import annotations

import importlib
from io import StringIO

from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import TestCase
from django.utils import timezone

from qingfeng.core import tasks
from qingfeng.core.audit import (
    GENESIS,
    RECHAIN,
    anchor_for_backup,
    check_chain,
    compute_hash,
    legacy_hash,
    read_anchors,
    record_audit,
)
from qingfeng.core.models import AuditEvent
from qingfeng.core.tests.test_audit import FreshAnchors, drop_append_only_triggers
from qingfeng.orgs import actions
from qingfeng.test import BaseTestCase

rechain = importlib.import_module("qingfeng.core.migrations.0009_fill_audit_rechain")


def verify(*args: str) -> str:
    out = StringIO()
    call_command("verify_audit", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def verify_error(*args: str) -> str:
    try:
        verify(*args)
    except CommandError as exc:
        return str(exc)
    raise AssertionError("verify_audit said OK")


def raw(sql: str, params: list[int | str] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


class AnchoredTestCase(FreshAnchors, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        # Changes made the way people make them; each commit anchors the new head.
        with self.captureOnCommitCallbacks(execute=True):
            actions.do_update_unit(self.school, actor=self.bureau_admin, short_name="东城实验")
        with self.captureOnCommitCallbacks(execute=True):
            actions.do_update_unit(self.school, actor=self.bureau_admin, short_name="东城实小")
        with self.captureOnCommitCallbacks(execute=True):
            actions.do_update_unit(self.county, actor=self.bureau_admin, short_name="东城区")
        self.last = AuditEvent.objects.order_by("-id")[0]

    def test_each_committed_change_appends_its_head(self) -> None:
        lines = self.anchor_file.read_text(encoding="ascii").splitlines()
        self.assertEqual(len(lines), 3)
        seq, head, at = lines[-1].split()
        self.assertEqual((int(seq), head), (self.last.pk, self.last.hash))
        self.assertTrue(at.endswith("+00:00"))
        self.assertIn("比对锚点 3 个", verify())

    def test_a_rolled_back_change_anchors_nothing(self) -> None:
        with (
            self.captureOnCommitCallbacks(execute=True),
            self.assertRaises(ValueError),
            transaction.atomic(),
        ):
            record_audit(actor=self.bureau_admin, action="orgs.unit.update")
            raise ValueError("the action failed after its audit row")
        self.assertEqual(len(read_anchors([self.anchor_file])[0]), 3)

    def test_rows_cut_from_the_end_are_reported(self) -> None:
        drop_append_only_triggers()
        newest = list(AuditEvent.objects.order_by("-id").values_list("id", flat=True)[:2])
        raw("DELETE FROM core_auditevent WHERE id >= %s", [newest[-1]])
        # The chain that is left holds: only the anchor shows what is gone.
        self.assertIsNone(check_chain().broken)
        message = verify_error()
        self.assertIn("末尾记录被截除", message)
        self.assertIn(f"anchors reach id {self.last.pk}", message)
        self.assertIn(f"the trail ends at id {newest[-1] - 1}", message)

    def test_a_wiped_table_is_reported(self) -> None:
        drop_append_only_triggers()
        raw("DELETE FROM core_auditevent")
        self.assertEqual(check_chain().checked, 0)
        message = verify_error()
        self.assertIn("审计表已被清空", message)
        self.assertIn(f"anchors reach event {self.last.pk}", message)

    def test_a_wipe_followed_by_new_events_is_reported(self) -> None:
        drop_append_only_triggers()
        raw("DELETE FROM core_auditevent")
        # A fresh chain from genesis on top of the wipe is a chain that holds by itself.
        record_audit(actor=None, action="intake.ticket.create", object_repr="新的记录")
        self.assertIsNone(check_chain().broken)
        self.assertIn("锚点记录过的事件不在数据库中", verify_error())

    def test_a_row_rewritten_with_the_key_differs_from_its_anchor(self) -> None:
        # An insider who holds QF_AUDIT_KEY can recompute the newest row; its anchor cannot.
        drop_append_only_triggers()
        self.last.object_repr = "西山县实验中学"
        self.last.hash = compute_hash(self.last.chain_payload())
        raw(
            "UPDATE core_auditevent SET object_repr = %s, hash = %s WHERE id = %s",
            [self.last.object_repr, self.last.hash, self.last.pk],
        )
        self.assertIsNone(check_chain().broken)
        message = verify_error()
        self.assertIn("记录与锚点的哈希不符", message)
        self.assertIn(f"id {self.last.pk}", message)

    def test_a_backup_anchor_catches_a_cut_when_the_anchor_file_is_lost(self) -> None:
        backup = self.anchor_file.with_name("backup-anchor.txt")
        backup.write_text(anchor_for_backup().line(), encoding="ascii")
        self.anchor_file.unlink()
        drop_append_only_triggers()
        raw("DELETE FROM core_auditevent WHERE id = %s", [self.last.pk])
        self.assertIn("末尾记录被截除", verify_error("--anchors", str(backup)))
        self.assertIn("OK", verify())  # the local file alone no longer knows

    def test_the_daily_job_writes_the_head_to_the_log_and_the_file(self) -> None:
        with self.assertLogs("qingfeng.core.audit", "WARNING") as logs:
            tasks.anchor_audit.call_local()
        self.assertIn(f"audit anchor (daily): {self.last.pk} {self.last.hash}", logs.output[0])
        self.assertEqual(read_anchors([self.anchor_file])[0][self.last.pk], self.last.hash)

    def test_an_unreadable_anchor_line_is_said_and_the_rest_still_count(self) -> None:
        with self.anchor_file.open("a", encoding="ascii") as handle:
            handle.write("garbled line\n")
        err = StringIO()
        call_command("verify_audit", stdout=StringIO(), stderr=err)
        self.assertIn("1 行无法识别", err.getvalue())


class RechainTestCase(FreshAnchors, TestCase):
    """A trail written before the chain was keyed, re-chained by the migration."""

    def setUp(self) -> None:
        super().setUp()
        previous = GENESIS
        self.legacy = []
        for n, (label, action) in enumerate(
            [("欧阳明", "orgs.unit.create"), ("司马婷", "orgs.person.create"), ("赵女士", "x")]
        ):
            event = AuditEvent(
                created_at=timezone.now(),
                actor_label=label,
                action=action,
                object_repr=f"旧记录{n}",
                prev_hash=previous,
            )
            event.hash = legacy_hash(event.chain_payload())
            event.save(force_insert=True)
            previous = event.hash
            self.legacy.append(event)

    def test_without_the_keyed_marker_unkeyed_rows_do_not_verify(self) -> None:
        report = check_chain()
        self.assertEqual((report.broken, report.reason), (self.legacy[0], "hash"))

    def test_the_migration_records_the_point_and_the_trail_verifies(self) -> None:
        rechain.forwards(apps, None)
        rechain.forwards(apps, None)  # a second run adds nothing
        marker = AuditEvent.objects.get(action=RECHAIN)
        self.assertEqual(
            marker.after,
            {"legacy_through": self.legacy[-1].pk, "legacy_head": self.legacy[-1].hash},
        )
        self.assertEqual(marker.hash, compute_hash(marker.chain_payload()))
        record_audit(actor=None, action="intake.ticket.create")
        self.assertIn("共校验 5 条记录", verify())

    def test_a_legacy_row_rewritten_later_breaks_at_the_marker(self) -> None:
        rechain.forwards(apps, None)
        drop_append_only_triggers()
        previous = GENESIS
        for event in self.legacy:  # the whole unkeyed part rewritten and recomputed
            event.object_repr = "改写"
            event.prev_hash = previous
            event.hash = legacy_hash(event.chain_payload())
            raw(
                "UPDATE core_auditevent SET object_repr = %s, prev_hash = %s, hash = %s "
                "WHERE id = %s",
                [event.object_repr, event.prev_hash, event.hash, event.pk],
            )
            previous = event.hash
        report = check_chain()
        assert report.broken is not None
        self.assertEqual((report.broken.action, report.reason), (RECHAIN, "link"))

    def test_a_forged_marker_without_the_key_counts_for_nothing(self) -> None:
        forged = AuditEvent(
            created_at=timezone.now(),
            actor_label="system",
            action=RECHAIN,
            after={"legacy_through": self.legacy[-1].pk + 1},
            prev_hash=self.legacy[-1].hash,
        )
        forged.hash = legacy_hash(forged.chain_payload())
        forged.save(force_insert=True)
        self.assertEqual(check_chain().broken, self.legacy[0])
