"""Long work a person starts and watches: an import, a big export (DESIGN.md §4).

    job = start_work("ledger.import", {"import_id": 7}, owner=user, label="导入台账 a.xlsx")
    return redirect(job_url(job))       # the progress page: a bar, rows done, an estimate

The work is a job (core/jobs.py) registered with `long=LongWork(time_limit=…)`: it runs in
the task worker, never in a web request, so nothing is killed by the web server's timeout and
a slow import holds no web worker. Inside the handler:

    progress = current()
    for i, row in enumerate(rows):
        progress.step(i, len(rows), _("校验第 %(n)d 行") % …)   # written at most twice a second
    progress.finish(_("已导入 12 个问题"), url="/ledger/import/7/")   # or attach_file(...)

`step` raises `TimeLimitExceeded` past the kind's time limit, and `MemoryLimitExceeded` once
the process has grown by more than the kind's memory limit since the work started (what the
reader's bounds on unpacked size, rows and cells let through still cannot take the worker's
memory). Every such job ends: done, or failed with a reason the person can read (`outcome`) —
an error, a limit, or a worker that died holding it (the sweep finds it after the kind's lease and does not run it again).
The kind's `on_failure(payload, reason)` lets the app end its own record too (an import row
"导入出错"). The owner is notified either way, with a link to the progress page.

Progress is written outside the handler's transactions (long work manages its own), in
short autocommit UPDATEs of the job row, so a page that polls it sees it move.
"""

from __future__ import annotations

import contextvars
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core.models import Job

WRITE_EVERY = 0.5  # seconds between progress writes
MEMORY_EVERY = 0.1  # seconds between looks at the process's memory
MB = 1024 * 1024


class LimitExceeded(Exception):
    """The work passed one of its kind's limits; the job fails with the reason (str()), and
    nothing retries it."""


class TimeLimitExceeded(LimitExceeded):
    """The work ran past its kind's time limit."""


class MemoryLimitExceeded(LimitExceeded):
    """The process grew past the kind's memory limit while doing the work."""


def resident_bytes() -> int | None:
    """The process's resident memory now (Linux's /proc); None where it cannot be read."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class LongWork:
    """How a kind of long work is run: at most `time_limit` seconds and `memory_limit` MB more
    than the process held when it started, tried once (a second try of an import that killed
    its worker would kill it again), and `on_failure` to end the app's own record with the
    reason."""

    time_limit: int = 600
    memory_limit: int = 1024
    on_failure: Callable[[dict[str, Any], str], None] | None = None

    @property
    def lease(self) -> timedelta:
        """After this long a running job's worker is presumed dead."""
        return timedelta(seconds=self.time_limit + 120)


class Progress:
    def __init__(
        self, job: Job | None, time_limit: float | None, memory_limit: int | None = None
    ) -> None:
        self.job = job
        self.started = time.monotonic()
        self.time_limit = time_limit
        self.memory_limit = memory_limit  # MB above what the process held at the start
        self.memory_at_start = resident_bytes() if memory_limit is not None else None
        self._written = 0.0
        self._weighed = 0.0
        self.done = 0
        self.total = 0

    def step(self, done: int, total: int | None = None, note: str = "") -> None:
        """Say how far the work got; raise TimeLimitExceeded past the time limit and
        MemoryLimitExceeded past the memory limit."""
        self.done = done
        if total is not None:
            self.total = total
        now = time.monotonic()
        if self.time_limit is not None and now - self.started > self.time_limit:
            raise TimeLimitExceeded(
                _("处理时间超过 %(n)d 秒的上限，已停止") % {"n": int(self.time_limit)}
            )
        if self.memory_at_start is not None and now - self._weighed >= MEMORY_EVERY:
            self._weighed = now
            self.check_memory()
        if self.job is not None and now - self._written >= WRITE_EVERY:
            self._written = now
            self._save(note=note[:200])

    def check_memory(self) -> None:
        """MemoryLimitExceeded when the process has grown past the limit since the start."""
        if self.memory_at_start is None or self.memory_limit is None:
            return
        now = resident_bytes()
        if now is not None and now - self.memory_at_start > self.memory_limit * MB:
            raise MemoryLimitExceeded(
                _("处理所需内存超过 %(n)d MB 的上限，已停止，请分批处理") % {"n": self.memory_limit}
            )

    def result_at(self, url: str) -> None:
        """Where the work's record is (an import's page), shown even if the work fails."""
        if self.job is not None:
            self._save(result_url=url[:300])

    def finish(self, outcome: str, *, url: str = "") -> None:
        """What the person reads when the work is done, and where its result is."""
        if self.job is None:
            return
        self.done = max(self.done, self.total)
        self._save(outcome=outcome[:500], result_url=url[:300], note="")

    def attach_file(self, data: bytes, name: str, outcome: str) -> None:
        """A produced file (an export): kept on the job, downloaded by its owner only."""
        if self.job is None:
            return
        job = self.job
        with transaction.atomic():
            job.result_file.save(name, ContentFile(data), save=False)
            job.result_name = name[:200]
            job.save(update_fields=["result_file", "result_name"])
        self.finish(outcome, url=f"/core/jobs/{job.pk}/file/")

    def _save(self, **fields: Any) -> None:
        assert self.job is not None
        fields.update(done=self.done, total=self.total)
        # Autocommit when the handler holds no transaction; inside one (a short job that runs
        # atomically) the numbers show when it commits.
        Job.objects.filter(pk=self.job.pk).update(**fields)
        for name, value in fields.items():
            setattr(self.job, name, value)


_current: contextvars.ContextVar[Progress | None] = contextvars.ContextVar(
    "qingfeng_progress", default=None
)


def current() -> Progress:
    """The running job's progress; outside a job (a management command, a test calling the
    work directly) one that records nothing, so the same code runs everywhere."""
    found = _current.get()
    return found if found is not None else Progress(None, None)


@contextmanager
def running(job: Job, work: LongWork | None) -> Iterator[Progress]:
    progress = Progress(job, work.time_limit if work else None, work.memory_limit if work else None)
    token = _current.set(progress)
    try:
        yield progress
    finally:
        _current.reset(token)


def start_work(kind: str, payload: dict[str, Any], *, owner: Any, label: str) -> Job:
    """Enqueue long work for a person (inside the causing transaction, like any job)."""
    from qingfeng.core.jobs import enqueue_job

    job = enqueue_job(kind, payload)
    Job.objects.filter(pk=job.pk).update(owner=owner, label=label[:200])
    job.owner = owner
    job.label = label[:200]
    return job


def job_url(job: Job) -> str:
    return f"/core/jobs/{job.pk}/"


def estimate_seconds(job: Job) -> int | None:
    """Seconds left, from the pace so far; None before there is a pace to go by."""
    if job.status != Job.Status.RUNNING or not job.started_at or not job.total or not job.done:
        return None
    elapsed = (timezone.now() - job.started_at).total_seconds()
    left = elapsed * (job.total - job.done) / job.done
    return max(1, round(left))
