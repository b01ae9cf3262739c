from __future__ import annotations

import tempfile
from io import StringIO
from pathlib import Path
from unittest import mock

from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import SimpleTestCase, TestCase, override_settings

from qingfeng.core.audit import (
    GENESIS,
    check_chain,
    compute_hash,
    legacy_hash,
    record_audit,
    verify_chain,
)
from qingfeng.core.context import RequestInfo, current_request
from qingfeng.core.models import AuditEvent
from qingfeng.orgs import actions
from qingfeng.orgs.models import Unit
from qingfeng.test import BaseTestCase

DROP_TRIGGERS = {
    "sqlite": [
        "DROP TRIGGER core_auditevent_no_update",
        "DROP TRIGGER core_auditevent_no_delete",
    ],
    "postgresql": ["DROP TRIGGER core_auditevent_no_change ON core_auditevent"],
}


def drop_append_only_triggers() -> None:
    """What an intruder with database access would do; rolled back with the test."""
    with connection.cursor() as cursor:
        for sql in DROP_TRIGGERS[connection.vendor]:
            cursor.execute(sql)


def verify_output() -> str:
    out = StringIO()
    call_command("verify_audit", stdout=out, stderr=StringIO())
    return out.getvalue()


class FreshAnchors(SimpleTestCase):
    """An anchor file of this test's own: the process's file holds the anchors of tests whose
    database is long gone, which verify_audit rightly reports as a cut trail."""

    def setUp(self) -> None:
        super().setUp()
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.anchor_file = Path(folder.name) / "audit-anchors.log"
        override = override_settings(QF_AUDIT_ANCHOR_FILE=self.anchor_file)
        override.enable()
        self.addCleanup(override.disable)


class AuditChainTestCase(FreshAnchors, BaseTestCase):
    def test_it_verifies_the_chain_built_by_actions(self) -> None:
        count = AuditEvent.objects.count()
        self.assertGreater(count, 10)  # the personas' city was built through actions
        self.assertIsNone(verify_chain())
        first = AuditEvent.objects.order_by("id").first()
        assert first is not None
        self.assertEqual(first.prev_hash, GENESIS)
        output = verify_output()
        self.assertIn("OK", output)
        self.assertIn(f"共校验 {count} 条记录", output)

    def test_each_event_links_to_the_one_before(self) -> None:
        actions.do_update_unit(self.school, actor=self.bureau_admin, short_name="实验小学")
        last_two = list(AuditEvent.objects.order_by("-id")[:2])
        self.assertEqual(last_two[0].prev_hash, last_two[1].hash)
        self.assertEqual(last_two[0].hash, compute_hash(last_two[0].chain_payload()))
        self.assertEqual(
            last_two[0].before, {**(last_two[0].before or {}), "short_name": "东城实小"}
        )
        self.assertEqual(last_two[0].after, {**(last_two[0].after or {}), "short_name": "实验小学"})


class EmptyTrailTestCase(FreshAnchors, TestCase):
    def test_a_fresh_database_has_an_empty_chain_that_verifies(self) -> None:
        self.assertEqual(AuditEvent.objects.count(), 0)
        self.assertEqual(check_chain().checked, 0)
        self.assertIn("共校验 0 条记录", verify_output())


class AppendOnlyTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.event = AuditEvent.objects.order_by("id")[0]
        self.original_action = self.event.action

    def assert_refused(self, change: object) -> None:
        with self.assertRaises(DatabaseError), transaction.atomic():
            change()  # type: ignore[operator]

    def test_the_database_refuses_updates_through_the_orm(self) -> None:
        self.assert_refused(
            lambda: AuditEvent.objects.filter(pk=self.event.pk).update(action="x.forged")
        )
        self.event.action = "x.forged"
        self.assert_refused(self.event.save)
        self.assertEqual(AuditEvent.objects.get(pk=self.event.pk).action, self.original_action)

    def test_the_database_refuses_deletes_through_the_orm(self) -> None:
        count = AuditEvent.objects.count()
        self.assert_refused(self.event.delete)
        self.assert_refused(lambda: AuditEvent.objects.all().delete())
        self.assertEqual(AuditEvent.objects.count(), count)

    def test_the_database_refuses_raw_sql(self) -> None:
        count = AuditEvent.objects.count()

        def raw(sql: str) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql, [self.event.pk])

        self.assert_refused(lambda: raw("UPDATE core_auditevent SET action = 'x' WHERE id = %s"))
        self.assert_refused(lambda: raw("DELETE FROM core_auditevent WHERE id = %s"))
        self.assert_refused(lambda: raw("DELETE FROM core_auditevent WHERE id >= %s"))
        self.assertEqual(AuditEvent.objects.count(), count)
        self.assertEqual(AuditEvent.objects.get(pk=self.event.pk).action, self.original_action)


class TamperingTestCase(FreshAnchors, BaseTestCase):
    def test_an_edited_row_is_named(self) -> None:
        target = AuditEvent.objects.order_by("id")[3]
        drop_append_only_triggers()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE core_auditevent SET object_repr = %s WHERE id = %s", ["改过", target.pk]
            )
        report = check_chain()
        assert report.broken is not None
        self.assertEqual(report.broken.pk, target.pk)
        self.assertEqual(report.reason, "hash")
        self.assertEqual(report.checked, 3)
        with self.assertRaises(CommandError) as caught:
            verify_output()
        message = str(caught.exception)
        self.assertIn(f"id={target.pk}", message)
        self.assertIn(f"操作 (action)={target.action}", message)
        self.assertIn("被修改过", message)

    def test_a_removed_row_breaks_the_link_of_the_next(self) -> None:
        rows = list(AuditEvent.objects.order_by("id")[5:7])
        drop_append_only_triggers()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [rows[0].pk])
        report = check_chain()
        assert report.broken is not None
        self.assertEqual(report.broken.pk, rows[1].pk)
        self.assertEqual(report.reason, "link")

    def test_a_forged_row_with_a_wrong_hash_is_named(self) -> None:
        last = AuditEvent.objects.order_by("-id").first()
        assert last is not None
        # Inserting is allowed (it is how the trail grows), so a forger can append a row;
        # without the right hash it does not verify.
        forged = AuditEvent.objects.create(
            actor_label="intruder", action="orgs.unit.update", prev_hash=last.hash, hash="f" * 64
        )
        record_audit(actor=self.bureau_admin, action="orgs.after_the_forgery")
        self.assertEqual(verify_chain(), forged)
        with self.assertRaises(CommandError) as caught:
            verify_output()
        self.assertIn(f"id={forged.pk}", str(caught.exception))
        self.assertIn("orgs.unit.update", str(caught.exception))

    def test_a_row_rewritten_with_the_whole_chain_recomputed_without_the_key_is_named(
        self,
    ) -> None:
        # What a database writer could do to an unkeyed chain: alter a row and recompute it
        # and every hash after it. Without QF_AUDIT_KEY the altered row is the first to fail.
        rows = list(AuditEvent.objects.order_by("id"))
        drop_append_only_triggers()
        previous = rows[3].prev_hash
        rows[3].object_repr = "西山县第二中学"
        with connection.cursor() as cursor:
            for row in rows[3:]:
                row.prev_hash = previous
                row.hash = legacy_hash(row.chain_payload())
                cursor.execute(
                    "UPDATE core_auditevent SET object_repr = %s, prev_hash = %s, hash = %s "
                    "WHERE id = %s",
                    [row.object_repr, row.prev_hash, row.hash, row.pk],
                )
                previous = row.hash
        report = check_chain()
        assert report.broken is not None
        self.assertEqual((report.broken.pk, report.reason), (rows[3].pk, "hash"))

    def test_a_forged_row_with_a_recomputed_hash_still_breaks_the_next_link(self) -> None:
        rows = list(AuditEvent.objects.order_by("id")[2:4])
        drop_append_only_triggers()
        rows[0].action = "orgs.forged"
        rows[0].hash = compute_hash(rows[0].chain_payload())
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE core_auditevent SET action = %s, hash = %s WHERE id = %s",
                [rows[0].action, rows[0].hash, rows[0].pk],
            )
        report = check_chain()
        assert report.broken is not None
        self.assertEqual((report.broken.pk, report.reason), (rows[1].pk, "link"))


class AuditInTheTransactionTestCase(BaseTestCase):
    def test_a_failed_audit_write_undoes_the_action(self) -> None:
        count = AuditEvent.objects.count()
        with (
            mock.patch.object(AuditEvent, "save", side_effect=DatabaseError("disk full")),
            self.assertRaises(DatabaseError),
        ):
            actions.do_update_unit(self.school, actor=self.bureau_admin, name="改名后的学校")
        stored = Unit.objects.get(pk=self.school.pk)
        self.assertEqual(stored.name, "东城区实验小学")
        self.assertEqual(AuditEvent.objects.count(), count)

    def test_a_failed_audit_write_undoes_a_new_unit(self) -> None:
        with (
            mock.patch.object(AuditEvent, "save", side_effect=DatabaseError("disk full")),
            self.assertRaises(DatabaseError),
        ):
            actions.do_create_unit(
                actor=self.bureau_admin,
                parent=self.county,
                name="新建学校",
                kind=Unit.Kind.SCHOOL,
                code="S0099",
                category=Unit.Category.SCHOOL,
            )
        self.assertFalse(Unit.objects.filter(code="S0099").exists())


class RequestFactsTestCase(BaseTestCase):
    def test_staff_actions_record_address_and_request_id(self) -> None:
        self.login(self.teacher)
        self.client.post(
            "/accounts/profile/",
            {"name": "对接"},
            REMOTE_ADDR="10.1.2.3",
            headers={"x-request-id": "req-0123456789"},
        )
        event = AuditEvent.objects.get(action="orgs.api_token.create")
        self.assertEqual(event.actor, self.teacher)
        self.assertEqual(event.source_ip, "10.1.2.3")
        self.assertEqual(event.request_id, "req-0123456789")

    def test_an_unusable_request_id_is_replaced(self) -> None:
        self.login(self.teacher)
        response = self.client.post(
            "/accounts/profile/", {"name": "对接"}, headers={"x-request-id": "bad id\n"}
        )
        event = AuditEvent.objects.get(action="orgs.api_token.create")
        self.assertRegex(event.request_id, r"^[0-9a-f]{32}$")
        self.assertEqual(response["X-Request-ID"], event.request_id)

    def test_actions_without_an_actor_record_no_address(self) -> None:
        token = current_request.set(RequestInfo(request_id="req-anon-0001", source_ip="10.9.9.9"))
        try:
            event = record_audit(actor=None, action="intake.ticket.create")
        finally:
            current_request.reset(token)
        self.assertEqual(event.source_ip, "")
        self.assertEqual(event.request_id, "req-anon-0001")
        self.assertEqual(event.actor_label, "system")

    def test_an_unknown_name_at_sign_in_records_no_address(self) -> None:
        self.client.post(
            "/accounts/login/", {"username": "nobody", "password": "x"}, REMOTE_ADDR="10.7.7.7"
        )
        event = AuditEvent.objects.get(action="orgs.login.failure")
        self.assertIsNone(event.actor)
        self.assertTrue(event.object_repr.startswith("name:"))  # a keyed hash, not the name typed
        self.assertEqual(event.source_ip, "")
