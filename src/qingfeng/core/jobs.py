"""Work that must happen is a row (DESIGN.md §4); the queue only makes it prompt.

    enqueue_job("orgs.import_done", {"import_id": 7})   # inside the causing transaction

writes a `Job` row and, after commit, asks the worker to run it. `sweep_jobs()` (periodic)
runs whatever is still pending — a job whose worker was killed is retried after a lease.
Handlers must be idempotent.

A handler runs inside one transaction with the job's "done" mark, unless it is registered
with `atomic=False`: then it manages its own transactions — for work that reads and computes
a lot before it writes a little, so that on SQLite the database's single write lock is held
only for the writes (an IMMEDIATE transaction takes it at BEGIN), not while the web requests
that store new rows wait behind it.

On SQLite the task worker also gives way to the web's writes (`give_way`): it runs at a
lower processor priority (serve.py), so a transaction it holds while the web processes are
busy is stretched by every request that preempts it, and every submission waits for that
one lock behind it. Measured with `bench/serve.py` (100 submissions/s for 60 s, 2 cores):
with the worker running its jobs in the burst, 4,665–5,911 of 6,000 were taken and the
rest shed; with no worker, all 6,000 at p95 80 ms (bench/RESULTS.md, Real server). So before each task (a job, or a periodic task such as
the search index's refresh; core/tasks.py) the worker waits until no web process has begun a
write transaction for `QUIET` seconds (core/sqlite: the web's writes stamp their time in a
shared page), for at most `QF_WORKER_GIVE_WAY_SECONDS` (then it runs the task anyway): in a
burst of public submissions it catches up afterwards instead of during it; when nobody else
writes it does not wait at all.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core import progress
from qingfeng.core.attachments import unreferenced_files_removed
from qingfeng.core.models import Job
from qingfeng.core.progress import LimitExceeded, LongWork

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]
_HANDLERS: dict[str, Handler] = {}
_OWN_TRANSACTIONS: set[str] = set()
_LONG: dict[str, LongWork] = {}
MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=10)
QUIET = 0.25  # seconds since another process's last write transaction began: it has stopped
_background = False  # set in the task worker's processes (core/tasks.py start-up hook)


def running_in_worker() -> None:
    """Mark this process as the task worker (its start-up hook): its tasks give way."""
    global _background
    _background = True


def give_way() -> float:
    """In the task worker on SQLite: wait while the web keeps writing (a web process's write
    transaction began less than `QUIET` seconds ago; core/sqlite), at most
    QF_WORKER_GIVE_WAY_SECONDS; the seconds waited. Elsewhere (PostgreSQL has no single write
    lock; a job run inline in a request or a test) nothing."""
    limit = settings.QF_WORKER_GIVE_WAY_SECONDS
    if not _background or connection.vendor != "sqlite" or limit <= 0:
        return 0.0
    from qingfeng.core.sqlite.base import others_wrote_ago

    name = str(connection.settings_dict["NAME"])
    started = time.monotonic()
    while True:
        ago = others_wrote_ago(name)
        waited = time.monotonic() - started
        if ago is None or ago >= QUIET or waited >= limit:
            break
        time.sleep(min(QUIET - ago, limit - waited) + 0.001)
    if waited >= 1:
        log.info("gave way to the web's writes for %.1f s", waited)
    return waited


def register_handler(
    kind: str, handler: Handler, *, atomic: bool = True, long: LongWork | None = None
) -> None:
    """Apps register their kinds from `AppConfig.ready()` (core.registry.add_job_handler), so
    every process knows every kind without importing modules for their side effects."""
    _HANDLERS[kind] = handler
    if atomic and long is None:
        _OWN_TRANSACTIONS.discard(kind)
    else:
        _OWN_TRANSACTIONS.add(kind)
    if long is None:
        _LONG.pop(kind, None)
    else:
        _LONG[kind] = long


def _stale_running(now: datetime, **filters: Any) -> QuerySet[Job]:
    """Running jobs whose worker is presumed dead: past their kind's lease."""
    running = Job.objects.filter(status=Job.Status.RUNNING, **filters)
    query = running.filter(started_at__lt=now - LEASE).exclude(kind__in=list(_LONG))
    for kind, work in _LONG.items():
        query = query | running.filter(kind=kind, started_at__lt=now - work.lease)
    return query


def enqueue_job(kind: str, payload: dict[str, Any], *, not_before: datetime | None = None) -> Job:
    if kind not in _HANDLERS:
        raise ValueError(f"no handler for job kind {kind!r}")
    job = Job.objects.create(kind=kind, payload=payload, not_before=not_before or timezone.now())
    if not_before is None:
        from qingfeng.core.tasks import run_job_task  # the task module imports this one

        transaction.on_commit(lambda: run_job_task(job.pk))
    return job


def run_job(job_id: int) -> bool:
    """Claim the job (pending, or running past its lease) and run it. False if another
    worker has it or it is finished."""
    now = timezone.now()
    claimable = Job.objects.filter(
        pk=job_id, not_before__lte=now, status=Job.Status.PENDING
    ) | _stale_running(now, pk=job_id)
    with transaction.atomic():
        job = claimable.select_for_update().first()
        if job is None:
            return False
        long = _LONG.get(job.kind)
        if long is not None and job.status == Job.Status.RUNNING:
            # Its worker died holding it (killed, out of memory): long work is not run a
            # second time — it would most likely end the same way. It ends here, with a reason.
            _give_up(job, _("后台处理中断（处理进程意外退出），请重新提交；如再次出现请联系管理员"))
            return False
        job.status = Job.Status.RUNNING
        job.started_at = now
        job.attempts += 1
        job.save(update_fields=["status", "started_at", "attempts"])
    handler = _HANDLERS.get(job.kind)
    try:
        if handler is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        with unreferenced_files_removed(), progress.running(job, long):
            if job.kind in _OWN_TRANSACTIONS:
                handler(job.payload)
                _mark_done(job)
            else:
                with transaction.atomic():
                    handler(job.payload)
                    _mark_done(job)
    except Exception as exc:
        log.exception("job %s (%s) failed", job.pk, job.kind)
        job.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if long is not None:
            reason = (
                str(exc)
                if isinstance(exc, LimitExceeded)
                else _("处理时发生系统错误，未完成，请联系管理员")
            )
            job.save(update_fields=["last_error"])
            with transaction.atomic():
                _give_up(job, reason)
            return False
        if job.attempts >= MAX_ATTEMPTS:
            job.status = Job.Status.FAILED
        else:
            job.status = Job.Status.PENDING
            job.not_before = timezone.now() + timedelta(minutes=2**job.attempts)
        job.save(update_fields=["status", "last_error", "not_before"])
        return False
    if long is not None and job.owner_id is not None:
        _tell_owner(job)
    return True


def is_long(kind: str) -> bool:
    """Whether the kind is long work (one try, an end that is always told)."""
    return kind in _LONG


def give_up(job: Job, reason: str) -> None:
    """Long work that will not finish, ended with the reason (inside a transaction)."""
    _give_up(job, reason)


def _give_up(job: Job, reason: str) -> None:
    """Long work that will not finish: failed with the reason, the app's record ended with
    it too, the owner told (inside the caller's transaction)."""
    job.status = Job.Status.FAILED
    job.finished_at = timezone.now()
    job.outcome = reason[:500]
    job.save(update_fields=["status", "finished_at", "outcome"])
    long = _LONG.get(job.kind)
    if long is not None and long.on_failure is not None:
        long.on_failure(job.payload, reason)
    if job.owner_id is not None:
        _tell_owner(job)


def _tell_owner(job: Job) -> None:
    from qingfeng.core.actions import notify
    from qingfeng.core.progress import job_url

    if job.status == Job.Status.DONE:
        title = _("已完成：%(label)s") % {"label": job.label}
    else:
        title = _("未完成：%(label)s") % {"label": job.label}
    assert job.owner is not None
    notify(recipient=job.owner, title=title, body=job.outcome, link=job_url(job))


def _mark_done(job: Job) -> None:
    job.status = Job.Status.DONE
    job.finished_at = timezone.now()
    job.last_error = ""
    job.save(update_fields=["status", "finished_at", "last_error"])


def sweep_jobs(*, limit: int = 500) -> int:
    """Run what is due: pending jobs and jobs whose worker died holding them."""
    now = timezone.now()
    due = (
        (Job.objects.filter(status=Job.Status.PENDING, not_before__lte=now) | _stale_running(now))
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    return sum(1 for job_id in list(due) if run_job(job_id))
