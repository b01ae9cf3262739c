"""Staged rows that no import will show are removed (core/leftovers.py): hourly, those whose
import has no job left pending or running; after a restore of a backup taken mid-import, all
of them, the snapshot's running job ended with the import and its owner told."""

from __future__ import annotations

from qingfeng.core import leftovers
from qingfeng.core.models import AuditEvent, Job, Notification
from qingfeng.ledger.excel import work
from qingfeng.ledger.models import PROBLEM_TALLY, STAGED, LedgerImport, Problem, ProblemTally
from qingfeng.ledger.tests.test_excel import LedgerExcelTestCase, office_xlsx
from qingfeng.ledger.tests.test_import_batches import meanwhile, rows, small_batches


class Killed(BaseException):
    """A worker killed between two staged batches (SIGKILL, out of memory)."""


class LeftoversTestCase(LedgerExcelTestCase):
    def staged(self) -> int:
        return Problem.with_staged.filter(status__startswith=STAGED).count()

    def interrupted_import(self) -> tuple[LedgerImport, Job]:
        """An import whose worker died after staging four rows, its job still RUNNING."""

        def kill() -> None:
            raise Killed

        with small_batches(), meanwhile("写入 4 /", kill), self.assertRaises(Killed):
            self.run_import(office_xlsx(rows(5, "（中断）")))
        record = LedgerImport.objects.get()
        job = Job.objects.create(
            kind=work.IMPORT,
            payload={"import_id": record.pk, "actor_id": self.county_admin.pk},
            status=Job.Status.RUNNING,
            owner=self.county_admin,
        )
        self.assertEqual((record.status, self.staged()), (LedgerImport.Status.RECEIVED, 4))
        return record, job

    def test_the_hourly_sweep_leaves_an_import_still_writing_and_removes_an_abandoned_one(
        self,
    ) -> None:
        _record, job = self.interrupted_import()
        self.assertEqual(leftovers.remove_leftovers(), {})
        self.assertEqual(self.staged(), 4)  # its job may still be writing
        self.assertFalse(AuditEvent.objects.filter(action="core.leftovers.remove").exists())
        # The job ended without its on_failure cleaning up (ended by hand, or it failed too).
        Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED)
        self.assertEqual(leftovers.remove_leftovers(), {"ledger.staged": 4})
        self.assertEqual(self.staged(), 0)
        self.assertFalse(ProblemTally.objects.filter(status__startswith=STAGED).exists())
        self.assertEqual(PROBLEM_TALLY.check(), [])
        event = AuditEvent.objects.get(action="core.leftovers.remove")
        self.assertEqual(event.after, {"removed": {"ledger.staged": 4}, "after_restore": False})
        self.assertEqual(leftovers.remove_leftovers(), {})  # nothing left, nothing recorded

    def test_rows_of_an_import_that_is_gone_are_removed(self) -> None:
        record, job = self.interrupted_import()
        job.delete()
        LedgerImport.objects.filter(pk=record.pk).update(status=LedgerImport.Status.IMPORTED)
        self.assertEqual(leftovers.remove_leftovers(), {"ledger.staged": 4})
        self.assertEqual(self.staged(), 0)

    def test_after_a_restore_the_running_import_ends_and_its_rows_go(self) -> None:
        record, job = self.interrupted_import()
        short = Job.objects.create(kind="core.test.short", payload={}, status=Job.Status.RUNNING)
        ended, removed = leftovers.after_restore()
        self.assertEqual(ended, 2)
        job.refresh_from_db()
        record.refresh_from_db()
        self.assertEqual(job.status, Job.Status.FAILED)
        self.assertIn("恢复备份时该处理正在进行", job.outcome)
        self.assertEqual(record.status, LedgerImport.Status.FAILED)  # the import's on_failure
        self.assertEqual(self.staged(), 0)
        self.assertEqual(removed, {})  # the import's own clean-up took its rows
        self.assertEqual(Job.objects.get(pk=short.pk).status, Job.Status.PENDING)  # run again
        self.assertTrue(
            Notification.objects.filter(
                recipient=self.county_admin, title__startswith="未完成"
            ).exists()
        )
        self.assertEqual(PROBLEM_TALLY.check(), [])

    def test_after_a_restore_staged_rows_go_even_with_their_job_pending(self) -> None:
        _record, job = self.interrupted_import()
        Job.objects.filter(pk=job.pk).update(status=Job.Status.PENDING)
        ended, removed = leftovers.after_restore()
        self.assertEqual((ended, removed), (0, {"ledger.staged": 4}))
        self.assertEqual(self.staged(), 0)
