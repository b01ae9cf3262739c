"""PostgreSQL keeps the application role from rewriting the audit trail (triggers, ownership,
grants — docs/postgresql-roles.md), and says so loudly when it does not."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from unittest import skipUnless

from django.db import DatabaseError, connection, transaction

from qingfeng.core import auditguard
from qingfeng.core.models import AuditEvent
from qingfeng.test import BaseTestCase

on_postgresql = skipUnless(connection.vendor == "postgresql", "PostgreSQL only")


def execute(sql: str, params: list[int | str] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


class AuditRolesTestCase(BaseTestCase):
    def assert_refused(self, sql: str, params: list[int | str] | None = None) -> str:
        with self.assertRaises(DatabaseError) as caught, transaction.atomic():
            execute(sql, params)
        return str(caught.exception)

    def as_application_role(self, test: Callable[[], None]) -> None:
        """Run `test` as a role set up the way docs/postgresql-roles.md says (created in this
        test's transaction, so it is gone with it)."""
        role = f"qf_app_{uuid.uuid4().hex[:12]}"
        execute(f"CREATE ROLE {role} NOLOGIN")
        execute(f"GRANT SELECT, INSERT ON core_auditevent TO {role}")
        execute(f"GRANT USAGE ON SEQUENCE core_auditevent_id_seq TO {role}")
        execute(f"SET ROLE {role}")
        try:
            test()
        finally:
            execute("RESET ROLE")

    @on_postgresql
    def test_update_delete_and_truncate_are_refused_even_to_the_owner(self) -> None:
        event = AuditEvent.objects.order_by("id")[0]
        count = AuditEvent.objects.count()
        # The test databases let the owner truncate (the flush between tests); an
        # installation does not.
        execute("SET LOCAL qingfeng.audit_truncate = ''")
        self.assertIn(
            "append-only",
            self.assert_refused(
                "UPDATE core_auditevent SET action = 'x' WHERE id = %s", [event.pk]
            ),
        )
        self.assertIn("append-only", self.assert_refused("DELETE FROM core_auditevent"))
        self.assertIn("TRUNCATE refused", self.assert_refused("TRUNCATE core_auditevent"))
        self.assertIn("TRUNCATE refused", self.assert_refused("TRUNCATE core_auditevent CASCADE"))
        self.assertEqual(AuditEvent.objects.count(), count)
        self.assertEqual(AuditEvent.objects.get(pk=event.pk).action, event.action)

    @on_postgresql
    def test_the_application_role_can_neither_change_nor_unprotect_the_table(self) -> None:
        count = AuditEvent.objects.count()

        def attempts() -> None:
            execute("SET LOCAL qingfeng.audit_truncate = 'allow'")  # asks for nothing it lacks
            for sql in [
                "UPDATE core_auditevent SET action = 'x'",
                "DELETE FROM core_auditevent",
                "TRUNCATE core_auditevent",
            ]:
                self.assertIn("permission denied", self.assert_refused(sql))
            for sql in [
                "DROP TRIGGER core_auditevent_no_change ON core_auditevent",
                "ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_no_truncate",
                "DROP TABLE core_auditevent",
            ]:
                self.assertIn("must be owner", self.assert_refused(sql))
            # What it may do: read the trail and append to it.
            execute(
                "INSERT INTO core_auditevent (created_at, actor_label, action, object_type, "
                "object_id, object_repr, outcome, request_id, source_ip, prev_hash, hash) "
                "VALUES (now(), 'system', 'x.appended', '', '', '', 'success', '', '', %s, %s)",
                ["0" * 64, uuid.uuid4().hex * 2],
            )
            self.assertEqual(auditguard.protection_gaps(connection), [])
            self.assertEqual(auditguard.check_audit_protection(databases=["default"]), [])

        self.as_application_role(attempts)
        self.assertEqual(AuditEvent.objects.count(), count + 1)

    @on_postgresql
    def test_an_owning_or_superuser_role_is_warned_about(self) -> None:
        gaps = auditguard.protection_gaps(connection)
        assert gaps is not None
        self.assertTrue(any("superuser" in gap or "owns" in gap for gap in gaps), gaps)
        warnings = auditguard.check_audit_protection(databases=["default"])
        self.assertEqual([w.id for w in warnings], ["qingfeng.W010"])
        self.assertIn("docs/postgresql-roles.md", str(warnings[0].hint))
        auditguard._checked.discard("default")
        with self.assertLogs("qingfeng.core.auditguard", "WARNING") as logs:
            auditguard.warn_once(None, connection=connection)
            auditguard.warn_once(None, connection=connection)  # once per process
        self.assertEqual(len(logs.output), 1)
        self.assertIn("not protected", logs.output[0])

    @on_postgresql
    def test_a_dropped_trigger_is_named(self) -> None:
        execute("DROP TRIGGER core_auditevent_no_truncate ON core_auditevent")
        gaps = auditguard.protection_gaps(connection) or []
        self.assertIn("trigger core_auditevent_no_truncate is missing or disabled", gaps)

    @skipUnless(connection.vendor == "sqlite", "SQLite only")
    def test_sqlite_has_no_roles_to_check(self) -> None:
        self.assertIsNone(auditguard.protection_gaps(connection))
        self.assertEqual(auditguard.check_audit_protection(databases=["default"]), [])
