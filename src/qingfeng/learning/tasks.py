"""Learning's periodic work (the worker imports each app's `tasks` module; the job handler is
registered in apps.py)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from qingfeng.core.jobs import enqueue_job
from qingfeng.learning import gaps


@db_periodic_task(crontab(hour="7", minute="20"))
def learning_gaps() -> None:
    """Daily: the gap notifications of the day, as a job row (retried if a worker dies; each
    gap is notified once however often it runs)."""
    with transaction.atomic():
        enqueue_job(gaps.JOB, {"day": timezone.localdate().isoformat()})
