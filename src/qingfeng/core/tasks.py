from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, on_startup, pre_execute

from qingfeng.core import jobs
from qingfeng.core.models import WorkerHeartbeat


@on_startup("qingfeng-warmup")
def warm_worker() -> None:
    """Each worker thread, before its first job: what the first job would load (core/warmup.py)."""
    from qingfeng.core.warmup import warm_worker

    jobs.running_in_worker()
    warm_worker()
    _beat()  # /healthz reports the worker up once it is ready to take jobs


@pre_execute("qingfeng-give-way")
def give_way(task: object) -> None:
    """Before each task but the heartbeat, on SQLite: wait while the web keeps writing
    (core/jobs.py `give_way`)."""
    if getattr(task, "name", "") != "heartbeat":
        jobs.give_way()


@db_task()
def run_job_task(job_id: int) -> bool:
    return jobs.run_job(job_id)


@db_periodic_task(crontab(minute="*"))
def heartbeat() -> None:
    _beat()


def _beat() -> None:
    from django.utils import timezone

    WorkerHeartbeat.objects.update_or_create(name="worker", defaults={"beat_at": timezone.now()})


@db_periodic_task(crontab(minute="*"))
def sweep() -> int:
    return jobs.sweep_jobs()


@db_periodic_task(crontab(hour="3", minute="15"))
def optimize_database(*tables: str) -> None:
    """Fresh planner statistics after a bulk load. SQLite plans queries from statistics that
    only ANALYZE gathers (`PRAGMA optimize` runs it where it is due): after a large import the
    path-prefix queries scan whole tables until it runs. PostgreSQL's autovacuum gets there
    too, but only after a delay in which a freshly loaded table is planned from its old
    statistics (the light counts then skip the covering index): the tables the load wrote are
    analysed at once."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA optimize")
        elif connection.vendor == "postgresql" and tables:
            names = ", ".join(connection.ops.quote_name(t) for t in tables)
            cursor.execute(f"ANALYZE {names}")


@db_periodic_task(crontab(minute="40"))
def daily_backup() -> bool:
    """The daily backup, at QF_BACKUP_HOUR local time (checked hourly, so a changed setting
    needs no restart); `/healthz` reports when the last good one was made. With several
    hosts, only QF_BACKUP_HOST's worker makes it; without that setting, the first host's
    worker to take the backup lock does, and the others find the lock held or this hour's
    backup made (core/backup.py). Whether this run made one."""
    import logging

    from django.conf import settings
    from django.utils import timezone

    from qingfeng.core import backup

    now = timezone.localtime()
    if now.hour != settings.QF_BACKUP_HOUR or not backup.is_backup_host():
        return False
    last = backup.last_backup_at()
    if last is not None and last >= now.replace(minute=0, second=0, microsecond=0):
        return False  # another host made this hour's backup
    try:
        backup.create_backup(settings.QF_BACKUP_DIR, keep=settings.QF_BACKUP_KEEP)
    except backup.BackupRunning as exc:
        logging.getLogger(__name__).info("daily backup left to another process: %s", exc)
        return False
    return True


@db_periodic_task(crontab(hour="0", minute="5"))
def anchor_audit() -> None:
    """At least daily the audit chain's head goes to the log too, outside the database and
    outside the data directory (core/audit.py)."""
    from qingfeng.core import audit

    audit.anchor_head(reason="daily")


@db_periodic_task(crontab(minute="25"))
def remove_leftovers() -> int:
    """Rows interrupted work left unseen and no running job will finish (core/leftovers.py)."""
    from qingfeng.core import leftovers

    return sum(leftovers.remove_leftovers().values())


@db_periodic_task(crontab(hour="3", minute="35"))
def sweep_orphan_files() -> int:
    """Uploaded files that no row refers to, past the grace period (core/attachments.py)."""
    from qingfeng.core import attachments

    return len(attachments.sweep_orphans())


@db_periodic_task(crontab(hour="3", minute="45"))
def prune_logs() -> int:
    """The log files older than QF_LOG_RETENTION_DAYS (core/logs.py)."""
    from pathlib import Path

    from django.conf import settings

    from qingfeng.core import logs

    if not settings.QF_LOG_DIR:
        return 0
    return len(logs.prune(Path(settings.QF_LOG_DIR), settings.QF_LOG_RETENTION_DAYS))


@db_periodic_task(crontab(minute="*"))
def refresh_search() -> int:
    """The search tokens of rows written or changed since (core/search.py): a batch per
    index a minute; until then those rows are found by the scan, so nothing is ever missed."""
    from qingfeng.core import search

    return search.refresh_all()


@db_periodic_task(crontab(minute="*"))
def fold_tallies() -> int:
    """The kept counts changed since into their subtree sums (core/tally.py Rollup): until
    then readers add those rows themselves, so no number is ever stale, only slower to read."""
    from qingfeng.core import tally

    return tally.fold_rollups()


@db_periodic_task(crontab(hour="3", minute="55"))
def expire_personal_data() -> int:
    """The retention rules (core/retention.py): expired workbooks and reporter identities."""
    from qingfeng.core import retention

    return sum(run.rows for run in retention.run_all())
