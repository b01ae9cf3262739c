"""The instance's state as an operator checks it: the database, the task worker's heartbeat, the
work due, the last good backup and where the files are. `/healthz` answers it to a monitor
(JSON); the system administrator's home card shows it (the system page an assessor asks for:
when the last good backup was made)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

from qingfeng.core import backup, media, permissions
from qingfeng.core.models import Job, WorkerHeartbeat

# A daily backup older than this is overdue (a day and the two hours a large one may take).
BACKUP_OVERDUE = timedelta(hours=26)


@dataclass(frozen=True)
class Status:
    database: str
    worker_age: float | None  # seconds since the worker's last heartbeat
    jobs_due: int
    last_backup_at: datetime | None

    @property
    def worker_ok(self) -> bool:
        return (
            self.worker_age is not None and self.worker_age <= settings.QF_HEARTBEAT_STALE_SECONDS
        )

    @property
    def backup_overdue(self) -> bool:
        """No good backup within a day while daily backups are on (QF_BACKUP_HOUR ≥ 0)."""
        if settings.QF_BACKUP_HOUR < 0:
            return False
        last = self.last_backup_at
        return last is None or timezone.now() - last > BACKUP_OVERDUE


def read() -> Status:
    """Three small reads; raises if the database cannot be reached."""
    now = timezone.now()
    beat = WorkerHeartbeat.objects.filter(name="worker").values_list("beat_at", flat=True).first()
    return Status(
        database=connection.vendor,
        worker_age=(now - beat).total_seconds() if beat else None,
        jobs_due=Job.objects.filter(status=Job.Status.PENDING, not_before__lte=now).count(),
        last_backup_at=backup.last_backup_at(),
    )


def card(request: HttpRequest) -> dict[str, object] | None:
    """The system administrator's home card."""
    if not permissions.can(request.user, "manage_settings"):
        return None
    return {"status": read(), "files": media.where(), "backup_dir": settings.QF_BACKUP_DIR}
