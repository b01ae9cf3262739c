from __future__ import annotations

import tempfile
from datetime import timedelta
from typing import Any

import time_machine
from django.db import connection, transaction
from django.test import TestCase, TransactionTestCase
from django.utils import timezone

from qingfeng.core import jobs
from qingfeng.core.doorbell import DoorbellHuey
from qingfeng.core.models import Job

calls: list[dict[str, Any]] = []


def _record(payload: dict[str, Any]) -> None:
    calls.append(payload)


jobs.register_handler("test.record", _record)


def _fail(payload: dict[str, Any]) -> None:
    raise RuntimeError("gateway down")


jobs.register_handler("test.fail", _fail)


class JobsTestCase(TestCase):
    def setUp(self) -> None:
        calls.clear()

    def test_a_job_is_a_row_and_runs_after_commit(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            job = jobs.enqueue_job("test.record", {"n": 1})
            self.assertEqual(calls, [])  # not before commit
        job.refresh_from_db()
        self.assertEqual(job.status, Job.Status.DONE)
        self.assertEqual(calls, [{"n": 1}])

    def test_a_finished_job_does_not_run_twice(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            job = jobs.enqueue_job("test.record", {"n": 2})
        self.assertFalse(jobs.run_job(job.pk))
        self.assertEqual(len(calls), 1)

    def test_the_sweeper_finishes_what_the_queue_missed(self) -> None:
        job = jobs.enqueue_job("test.record", {"n": 3})  # on_commit never fires in this test
        self.assertEqual(jobs.sweep_jobs(), 1)
        job.refresh_from_db()
        self.assertEqual(job.status, Job.Status.DONE)

    def test_a_job_held_by_a_killed_worker_is_retried_after_the_lease(self) -> None:
        job = Job.objects.create(
            kind="test.record",
            payload={"n": 4},
            status=Job.Status.RUNNING,
            started_at=timezone.now(),
        )
        self.assertEqual(jobs.sweep_jobs(), 0)
        with time_machine.travel(timezone.now() + jobs.LEASE + timedelta(seconds=1)):
            self.assertEqual(jobs.sweep_jobs(), 1)
        job.refresh_from_db()
        self.assertEqual(job.status, Job.Status.DONE)
        self.assertEqual(job.attempts, 1)

    def test_a_failing_job_backs_off_then_gives_up(self) -> None:
        job = jobs.enqueue_job("test.fail", {})
        now = timezone.now()
        for attempt in range(1, jobs.MAX_ATTEMPTS + 1):
            with time_machine.travel(now + timedelta(hours=attempt * 2)):
                jobs.sweep_jobs()
            job.refresh_from_db()
            self.assertEqual(job.attempts, attempt)
            self.assertIn("gateway down", job.last_error)
        self.assertEqual(job.status, Job.Status.FAILED)

    def test_an_unknown_kind_is_refused_at_enqueue(self) -> None:
        with self.assertRaises(ValueError):
            jobs.enqueue_job("test.nope", {})
        self.assertFalse(Job.objects.exists())


seen_in_transaction: list[bool] = []


def _inside(payload: dict[str, Any]) -> None:
    seen_in_transaction.append(connection.in_atomic_block)


jobs.register_handler("test.in_job_transaction", _inside)


def _own(payload: dict[str, Any]) -> None:
    seen_in_transaction.append(connection.in_atomic_block)
    with transaction.atomic():  # the handler's own, short write
        Job.objects.filter(pk=payload["mark"]).update(last_error="written by the handler")


jobs.register_handler("test.own_transactions", _own, atomic=False)


class JobTransactionsTestCase(TransactionTestCase):
    """Outside a test's wrapping transaction, to see the transactions a job runs in."""

    # Every transactional test restores the database it found: one that flushes without it
    # lets post_migrate make the content types again under new ids, and the next one that
    # restores (test_tally_remake, test_escalation_migration, …) then fails on them.
    serialized_rollback = True

    def setUp(self) -> None:
        seen_in_transaction.clear()

    def test_a_handler_runs_in_the_jobs_transaction_unless_it_keeps_its_own(self) -> None:
        mark = Job.objects.create(kind="test.record", payload={}, status=Job.Status.DONE)
        # Outside a transaction each job runs at once (on_commit fires immediately).
        jobs.enqueue_job("test.in_job_transaction", {})
        own = jobs.enqueue_job("test.own_transactions", {"mark": mark.pk})
        self.assertEqual(seen_in_transaction, [True, False])
        own.refresh_from_db()
        mark.refresh_from_db()
        self.assertEqual((own.status, mark.last_error), (Job.Status.DONE, "written by the handler"))


class DoorbellTestCase(TestCase):
    def test_the_single_box_queue_does_not_flush_to_disk_on_every_ring(self) -> None:
        """Its rings are not the record (the Job rows are), so NORMAL, not FULL (2)."""
        with tempfile.TemporaryDirectory() as folder:
            queue = DoorbellHuey("test", filename=f"{folder}/queue.sqlite3")
            mode = queue.storage.conn.execute("PRAGMA synchronous").fetchone()[0]
            journal = queue.storage.conn.execute("PRAGMA journal_mode").fetchone()[0]
            queue.storage.close()
        self.assertEqual((mode, journal), (1, "wal"))
