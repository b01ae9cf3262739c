"""Read replica routing (core/replica.py): only the reads inside `reads()` go to the replica,
and only when one is configured; writes, reads inside a transaction and migrations never."""

from __future__ import annotations

from unittest import mock

from django.db import transaction
from django.test import SimpleTestCase, TestCase

from qingfeng.core import replica
from qingfeng.core.models import AuditEvent

# As if DATABASE_REPLICA_URL were set (overriding DATABASES itself is not supported by Django).
WITH_REPLICA = mock.patch.object(replica, "configured", return_value=True)


class ReplicaRoutingTestCase(SimpleTestCase):
    """`.db` asks the router without running a query (outside a transaction, where a request's
    reads are: ATOMIC_REQUESTS is off)."""

    def test_without_a_replica_everything_reads_the_primary(self) -> None:
        with replica.reads():
            self.assertEqual(AuditEvent.objects.all().db, "default")

    @WITH_REPLICA
    def test_only_the_marked_reads_go_to_the_replica(self, _configured: mock.Mock) -> None:
        self.assertEqual(AuditEvent.objects.all().db, "default")
        with replica.reads():
            self.assertEqual(AuditEvent.objects.all().db, "replica")
        self.assertEqual(AuditEvent.objects.all().db, "default")

        @replica.reading
        def dashboard() -> str:
            return AuditEvent.objects.all().db

        self.assertEqual(dashboard(), "replica")

    @WITH_REPLICA
    def test_writes_stay_on_the_primary_and_the_replica_is_never_migrated(
        self, _configured: mock.Mock
    ) -> None:
        router = replica.ReplicaRouter()
        read_there = AuditEvent()
        read_there._state.db = "replica"  # a row read inside reads()
        with replica.reads():
            self.assertEqual(router.db_for_write(AuditEvent), "default")
        # Saved later, or given to a new row as its foreign key: still the primary (Django's
        # own choice would be the database the row came from).
        self.assertEqual(router.db_for_write(AuditEvent, instance=read_there), "default")
        # Its related rows, read outside reads(): the primary too.
        self.assertEqual(router.db_for_read(AuditEvent, instance=read_there), "default")
        self.assertFalse(router.allow_migrate("replica", "core"))
        self.assertTrue(router.allow_migrate("default", "core"))


class ReplicaInTransactionTestCase(TestCase):
    @WITH_REPLICA
    def test_reads_inside_a_transaction_stay_on_the_primary(self, _configured: mock.Mock) -> None:
        with replica.reads(), transaction.atomic():
            self.assertEqual(AuditEvent.objects.all().db, "default")
