"""What interrupted work leaves behind, removed: hourly, and by a restore.

Long work writes in short transactions (a large import stages its rows, seen by no one, and
shows them at once at the end: ledger/excel/importing.py). A worker killed in between leaves
its job RUNNING and its rows staged; the job sweep ends the job past its lease and the app's
`on_failure` removes the rows. Two cases escape that:

- **a restore** of a backup taken mid-import brings back the job as RUNNING and the rows as
  staged, but no worker of the restored instance runs it: `after_restore()` ends every job the
  snapshot caught running (long work failed with a reason and its owner told, like a dead
  worker's; short jobs back to pending, they are idempotent), then removes every app's
  leftovers;
- **rows no job will ever clean** (an import ended by hand, a failure inside `on_failure`):
  the hourly task `remove_leftovers()` removes the rows whose work is no longer pending or
  running.

Apps say what their leftovers are (core/registry.py `add_leftovers`); core knows no app. One
audit event (`core.leftovers.remove`) records what was removed, when anything was.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from qingfeng.core import jobs, registry
from qingfeng.core.audit import record_audit
from qingfeng.core.models import Job

log = logging.getLogger(__name__)


def remove_leftovers(*, after_restore: bool = False) -> dict[str, int]:
    """Every app's leftovers removed: {key: rows removed} for those that had any."""
    removed: dict[str, int] = {}
    for item in registry.leftovers():
        count = item.remove(after_restore)
        if count:
            removed[item.key] = count
    if removed:
        with transaction.atomic():
            record_audit(
                actor=None,
                action="core.leftovers.remove",
                after={"removed": removed, "after_restore": after_restore},
            )
        log.warning("removed the leftovers of interrupted work: %s", removed)
    return removed


def end_interrupted_jobs() -> int:
    """After a restore: the jobs the snapshot caught running have no worker. Long work ends
    with a reason (and its app's on_failure); a short job is run again from the start."""
    ended = 0
    reason = _("恢复备份时该处理正在进行，已中断，请重新提交")
    for job in Job.objects.filter(status=Job.Status.RUNNING).order_by("id"):
        with transaction.atomic():
            if jobs.is_long(job.kind):
                jobs.give_up(job, reason)
            else:
                job.status = Job.Status.PENDING
                job.save(update_fields=["status"])
        ended += 1
    return ended


def after_restore() -> tuple[int, dict[str, int]]:
    """What restore runs once the database is back and checked."""
    return end_interrupted_jobs(), remove_leftovers(after_restore=True)
