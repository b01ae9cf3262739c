"""Long work a person watches (core/progress.py): progress, the time limit, one try, an end
that is always told — done, or failed with a reason — and a progress page only its owner
opens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.utils import timezone

from qingfeng.core import jobs, progress
from qingfeng.core.models import Job, Notification
from qingfeng.core.progress import LongWork, TimeLimitExceeded, current, start_work
from qingfeng.test import BaseTestCase

ran: list[dict[str, Any]] = []
ended: list[tuple[dict[str, Any], str]] = []


def _count(payload: dict[str, Any]) -> None:
    ran.append(payload)
    work = current()
    for i in range(payload["rows"]):
        work.step(i + 1, payload["rows"], f"第 {i + 1} 行")
    work.finish(f"已处理 {payload['rows']} 行", url="/somewhere/")


def _endless(payload: dict[str, Any]) -> None:
    ran.append(payload)
    raise TimeLimitExceeded("处理时间超过 1 秒的上限，已停止")


def _broken(payload: dict[str, Any]) -> None:
    ran.append(payload)
    raise KeyError("internal detail")


def _greedy(payload: dict[str, Any]) -> None:
    ran.append(payload)
    held = b"x" * (64 * progress.MB)  # written, so resident: a sheet that unpacks too large
    current().step(1, 2, "第 1 行")
    ran.append({"held": len(held)})  # never reached


def _export(payload: dict[str, Any]) -> None:
    current().attach_file(b"PK\x03\x04 rows", "名单.xlsx", "已导出 3 条")


def _ended(payload: dict[str, Any], reason: str) -> None:
    ended.append((payload, reason))


WORK = LongWork(time_limit=1, on_failure=_ended)
jobs.register_handler("test.long.count", _count, long=WORK)
jobs.register_handler("test.long.endless", _endless, long=WORK)
jobs.register_handler("test.long.broken", _broken, long=WORK)
jobs.register_handler("test.long.export", _export, long=WORK)
jobs.register_handler(
    "test.long.greedy", _greedy, long=LongWork(time_limit=60, memory_limit=16, on_failure=_ended)
)


class LongWorkTestCase(BaseTestCase):
    def setUp(self) -> None:
        ran.clear()
        ended.clear()

    def start(self, kind: str, **payload: Any) -> Job:
        with self.captureOnCommitCallbacks(execute=True):
            job = start_work(kind, payload, owner=self.school_admin, label="导入名册")
        job.refresh_from_db()
        return job

    def test_work_reports_progress_and_ends_done_with_its_result_and_a_notice(self) -> None:
        job = self.start("test.long.count", rows=3)
        self.assertEqual(job.status, Job.Status.DONE)
        self.assertEqual((job.done, job.total), (3, 3))
        self.assertEqual((job.outcome, job.result_url), ("已处理 3 行", "/somewhere/"))
        notice = Notification.objects.get(recipient=self.school_admin)
        self.assertEqual(notice.title, "已完成：导入名册")
        self.assertEqual(notice.link, f"/core/jobs/{job.pk}/")

    def test_past_the_time_limit_the_work_fails_once_with_the_reason(self) -> None:
        job = self.start("test.long.endless")
        self.assertEqual(job.status, Job.Status.FAILED)
        self.assertEqual(job.outcome, "处理时间超过 1 秒的上限，已停止")
        self.assertEqual(ended, [({}, job.outcome)])
        self.assertEqual(jobs.sweep_jobs(), 0)  # never tried again
        self.assertEqual(len(ran), 1)
        notice = Notification.objects.get(recipient=self.school_admin)
        self.assertEqual((notice.title, notice.body), ("未完成：导入名册", job.outcome))

    def test_the_step_itself_stops_work_that_runs_past_its_limit(self) -> None:
        job = Job.objects.create(kind="test.long.count", owner=self.school_admin, label="x")
        with progress.running(job, WORK) as work:
            work.step(1, 10)
            work.started -= 5  # five seconds in, against a limit of one
            with self.assertRaises(TimeLimitExceeded):
                work.step(2, 10)

    def test_past_the_memory_limit_the_work_fails_once_with_the_reason(self) -> None:
        job = self.start("test.long.greedy")
        self.assertEqual(job.status, Job.Status.FAILED)
        self.assertEqual(job.outcome, "处理所需内存超过 16 MB 的上限，已停止，请分批处理")
        self.assertEqual(ran, [{}])  # stopped at its first step
        self.assertEqual(ended, [({}, job.outcome)])
        self.assertEqual(jobs.sweep_jobs(), 0)  # never tried again
        notice = Notification.objects.get(recipient=self.school_admin)
        self.assertEqual(notice.body, job.outcome)

    def test_the_limits_apply_to_long_work_by_default(self) -> None:
        self.assertEqual((LongWork().time_limit, LongWork().memory_limit), (600, 1024))
        job = Job.objects.create(kind="test.long.count", owner=self.school_admin, label="x")
        with progress.running(job, WORK) as work:
            start = work.memory_at_start
            assert start is not None  # Linux: read from /proc
            work.memory_at_start = start - 2 * 1024 * progress.MB  # as if 2 GB taken since
            with self.assertRaises(progress.MemoryLimitExceeded):
                work.step(1, 10)

    def test_a_system_error_fails_with_a_reason_a_person_can_read(self) -> None:
        job = self.start("test.long.broken")
        self.assertEqual(job.status, Job.Status.FAILED)
        self.assertEqual(job.outcome, "处理时发生系统错误，未完成，请联系管理员")
        self.assertIn("internal detail", job.last_error)  # for the administrator's log
        self.assertEqual(len(ended), 1)

    def test_work_whose_worker_died_ends_failed_after_its_lease_and_is_not_run_again(
        self,
    ) -> None:
        job = Job.objects.create(
            kind="test.long.count",
            payload={"rows": 2},
            owner=self.school_admin,
            label="导入名册",
            status=Job.Status.RUNNING,
            started_at=timezone.now(),
            attempts=1,
        )
        self.assertEqual(jobs.sweep_jobs(), 0)  # within its lease: still someone's
        with time_machine.travel(timezone.now() + WORK.lease + timedelta(seconds=1)):
            jobs.sweep_jobs()
        job.refresh_from_db()
        self.assertEqual(job.status, Job.Status.FAILED)
        self.assertIn("处理进程意外退出", job.outcome)
        self.assertEqual(ran, [])
        self.assertEqual(ended, [({"rows": 2}, job.outcome)])

    def test_outside_a_job_the_same_code_records_nothing(self) -> None:
        _count({"rows": 2})
        self.assertFalse(Job.objects.exists())


class ProgressPageTestCase(BaseTestCase):
    def test_the_owner_watches_the_work_and_is_taken_to_its_result(self) -> None:
        job = Job.objects.create(
            kind="test.long.count", owner=self.school_admin, label="导入名册", total=200
        )
        now = timezone.now()
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.RUNNING, started_at=now - timedelta(seconds=10), done=50
        )
        self.login(self.school_admin)
        with time_machine.travel(now, tick=False):  # 50 of 200 in 10 s: 30 s to go
            page = self.client.get(f"/core/jobs/{job.pk}/")
        self.assertContains(page, "导入名册")
        self.assertContains(page, "50 / 200")
        self.assertContains(page, 'hx-trigger="every 1s"')
        self.assertContains(page, "约剩 30 秒")
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.DONE, done=200, outcome="已导入", result_url="/ledger/import/1/"
        )
        status = self.client.get(f"/core/jobs/{job.pk}/status/")
        self.assertEqual(status["HX-Redirect"], "/ledger/import/1/")
        self.assertNotContains(status, "hx-trigger")  # an ended job is not polled

    def test_a_made_file_is_downloaded_by_its_owner_only(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            job = start_work("test.long.export", {}, owner=self.school_admin, label="导出名单")
        self.login(self.school_admin)
        page = self.client.get(f"/core/jobs/{job.pk}/")
        self.assertContains(page, "下载文件")
        self.assertNotIn("HX-Redirect", self.client.get(f"/core/jobs/{job.pk}/status/"))
        download = self.client.get(f"/core/jobs/{job.pk}/file/")
        self.assertEqual(download.getvalue(), b"PK\x03\x04 rows")
        self.assertIn("attachment", download["Content-Disposition"])
        self.login(self.other_school_admin)
        for path in ("", "status/", "file/"):
            self.assertEqual(self.client.get(f"/core/jobs/{job.pk}/{path}").status_code, 404)

    def test_a_failed_job_says_why(self) -> None:
        job = Job.objects.create(
            kind="test.long.count",
            owner=self.school_admin,
            label="导入名册",
            status=Job.Status.FAILED,
            outcome="处理时间超过 900 秒的上限，已停止",
        )
        self.login(self.school_admin)
        page = self.client.get(f"/core/jobs/{job.pk}/")
        self.assertContains(page, "处理时间超过 900 秒的上限，已停止")
        self.assertNotContains(page, "hx-trigger")
