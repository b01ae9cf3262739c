"""The reports' periodic work (the worker imports each app's `tasks` module; the job handler
is registered in apps.py)."""

from __future__ import annotations

from django.db import transaction
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from qingfeng.core.jobs import enqueue_job
from qingfeng.reports import monthly


@db_periodic_task(crontab(hour="0", minute="50"))
def reports_freeze_months() -> None:
    """Nightly: freeze the month that ended (and any earlier one not yet frozen), as a job row
    (retried if a worker dies; freezing a month again gives the same rows)."""
    with transaction.atomic():
        enqueue_job(monthly.JOB, {})


@db_periodic_task(crontab(minute=f"*/{monthly.WARM_MINUTES}"))
def reports_warm_live() -> None:
    """Every `monthly.WARM_MINUTES`: the current month's figures of every unit, so that a
    dashboard reads a summary (no job row: a missed run is simply the next one, and the page
    computes for itself when the summary is older than `monthly.STALE_SECONDS`)."""
    monthly.warm()
