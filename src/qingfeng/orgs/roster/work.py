"""The roster import as long work a person watches (core/progress.py): the page stores the
workbook and starts the job; the task worker checks and writes it, reporting progress; the
import always ends — imported, rejected with its errors, or failed with the reason."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from qingfeng.core.models import Job
from qingfeng.core.progress import LongWork, current, start_work
from qingfeng.orgs.models import RosterImport, User
from qingfeng.orgs.roster.importing import do_import_roster, mark_import_failed

IMPORT = "orgs.roster_import"
IMPORT_SECONDS = 900


def result_url(record: RosterImport) -> str:
    return f"/orgs/roster/{record.pk}/"


def job_of(record: RosterImport) -> Job | None:
    return Job.objects.filter(kind=IMPORT, payload__import_id=record.pk).order_by("-pk").first()


def start_import(record: RosterImport, *, actor: User) -> Job:
    """Inside the transaction that stored the upload: the import runs once it commits."""
    return start_work(
        IMPORT,
        {"import_id": record.pk, "actor_id": actor.pk},
        owner=actor,
        label=_("导入名册：%(name)s") % {"name": record.original_name},
    )


def run_import(payload: dict[str, Any]) -> None:
    record = RosterImport.objects.get(pk=payload["import_id"])
    if record.status != RosterImport.Status.RECEIVED:
        return  # already done by an earlier run: nothing twice
    actor = User.objects.get(pk=payload["actor_id"])
    current().result_at(result_url(record))
    record = do_import_roster(record, actor=actor)
    if record.status == RosterImport.Status.IMPORTED:
        told = _("名册已导入：新增 %(u)d 个单位、%(p)d 人，更新 %(v)d 个单位、%(q)d 人") % {
            "u": record.units_created,
            "p": record.people_created,
            "v": record.units_updated,
            "q": record.people_updated,
        }
    else:
        told = _("发现 %(n)d 处错误，未写入任何数据") % {"n": record.error_count}
    current().finish(told, url=result_url(record))


def import_failed(payload: dict[str, Any], reason: str) -> None:
    """The job will not finish: the import row ends with the reason instead of 已接收."""
    record = RosterImport.objects.filter(pk=payload["import_id"]).first()
    actor = User.objects.filter(pk=payload["actor_id"]).first()
    if record is not None and actor is not None and record.status == RosterImport.Status.RECEIVED:
        mark_import_failed(record, actor, reason)


def register() -> None:
    from qingfeng.core import registry

    work = LongWork(time_limit=IMPORT_SECONDS, on_failure=import_failed)
    registry.add_job_handler(IMPORT, run_import, long=work)
