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
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from qingfeng.core.attachments import unreferenced_files_removed
from qingfeng.core.models import Job

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]
_HANDLERS: dict[str, Handler] = {}
_OWN_TRANSACTIONS: set[str] = set()
MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=10)


def register_handler(kind: str, handler: Handler, *, atomic: bool = True) -> None:
    """Apps register their kinds from `AppConfig.ready()` (core.registry.add_job_handler), so
    every process knows every kind without importing modules for their side effects."""
    _HANDLERS[kind] = handler
    if atomic:
        _OWN_TRANSACTIONS.discard(kind)
    else:
        _OWN_TRANSACTIONS.add(kind)


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
    claimable = Job.objects.filter(pk=job_id, not_before__lte=now).filter(
        status=Job.Status.PENDING
    ) | Job.objects.filter(pk=job_id, status=Job.Status.RUNNING, started_at__lt=now - LEASE)
    with transaction.atomic():
        job = claimable.select_for_update().first()
        if job is None:
            return False
        job.status = Job.Status.RUNNING
        job.started_at = now
        job.attempts += 1
        job.save(update_fields=["status", "started_at", "attempts"])
    handler = _HANDLERS.get(job.kind)
    try:
        if handler is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        with unreferenced_files_removed():  # a failed handler leaves no upload behind
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
        if job.attempts >= MAX_ATTEMPTS:
            job.status = Job.Status.FAILED
        else:
            job.status = Job.Status.PENDING
            job.not_before = timezone.now() + timedelta(minutes=2**job.attempts)
        job.save(update_fields=["status", "last_error", "not_before"])
        return False
    return True


def _mark_done(job: Job) -> None:
    job.status = Job.Status.DONE
    job.finished_at = timezone.now()
    job.last_error = ""
    job.save(update_fields=["status", "finished_at", "last_error"])


def sweep_jobs(*, limit: int = 500) -> int:
    """Run what is due: pending jobs and jobs whose worker died holding them."""
    now = timezone.now()
    due = (
        (
            Job.objects.filter(status=Job.Status.PENDING, not_before__lte=now)
            | Job.objects.filter(status=Job.Status.RUNNING, started_at__lt=now - LEASE)
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    return sum(1 for job_id in list(due) if run_job(job_id))
