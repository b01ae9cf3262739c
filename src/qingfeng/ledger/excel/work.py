"""The ledger's long work as jobs a person watches (core/progress.py): an import, the
confirmation of a re-import, an export of many rows. The pages store what was sent and start
the job; the task worker does the work, reports its progress, and the person lands on the
result. Each ends: done, or failed with the reason on the import row as well."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qingfeng.core.models import Job
from qingfeng.core.progress import LongWork, current, start_work
from qingfeng.ledger.excel.importing import (
    ImportOutcome,
    do_apply_reimport,
    do_import_ledger,
    mark_import_failed,
    unstage,
    unstage_status,
)
from qingfeng.ledger.models import STAGED, LedgerImport, Problem
from qingfeng.orgs.models import User

IMPORT = "ledger.import"
APPLY = "ledger.import_apply"
EXPORT = "ledger.export"
IMPORT_SECONDS = 900
EXPORT_SECONDS = 900


def result_url(record: LedgerImport) -> str:
    return f"/ledger/import/{record.pk}/"


def job_of(record: LedgerImport) -> Job | None:
    """The import's latest job (the import itself, or a confirmation)."""
    return (
        Job.objects.filter(kind__in=(IMPORT, APPLY), payload__import_id=record.pk)
        .order_by("-pk")
        .first()
    )


def start_import(record: LedgerImport, *, actor: User, requirement: str) -> Job:
    """Inside the transaction that stored the upload: the import runs once it commits."""
    return start_work(
        IMPORT,
        {"import_id": record.pk, "actor_id": actor.pk, "requirement": requirement},
        owner=actor,
        label=_("导入台账：%(name)s") % {"name": record.original_name},
    )


def start_apply(record: LedgerImport, *, actor: User, selected: set[str]) -> Job:
    return start_work(
        APPLY,
        {"import_id": record.pk, "actor_id": actor.pk, "selected": sorted(selected)},
        owner=actor,
        label=_("确认更新台账：%(name)s") % {"name": record.original_name},
    )


def start_export(*, actor: User, query: str, count: int) -> Job:
    return start_work(
        EXPORT,
        {"actor_id": actor.pk, "query": query},
        owner=actor,
        label=_("导出整改台账（%(n)d 条）") % {"n": count},
    )


def _told(outcome: ImportOutcome) -> str:
    record = outcome.record
    if outcome.ok:
        return _("导入成功：新增 %(c)d 个问题，更新 %(u)d 个问题") % {
            "c": record.created_count,
            "u": record.updated_count,
        }
    if outcome.preview:
        return _("表中有系统里已有的问题：请核对新增和变更的内容，勾选后确认更新")
    return _("导入未通过校验（%(n)d 处错误），未写入任何数据，请按错误清单修改后重新上传") % {
        "n": record.error_count
    }


def run_import(payload: dict[str, Any]) -> None:
    record = LedgerImport.objects.get(pk=payload["import_id"])
    if record.status != LedgerImport.Status.RECEIVED:
        return  # already done by an earlier run: nothing twice
    actor = User.objects.get(pk=payload["actor_id"])
    current().result_at(result_url(record))
    outcome = do_import_ledger(record, actor=actor, requirement=payload.get("requirement", ""))
    current().finish(_told(outcome), url=result_url(record))


def run_apply(payload: dict[str, Any]) -> None:
    record = LedgerImport.objects.get(pk=payload["import_id"])
    progress = current()
    if record.status != LedgerImport.Status.PREVIEW:
        progress.finish(_("该文件已经处理过"), url=result_url(record))
        return
    actor = User.objects.get(pk=payload["actor_id"])
    progress.result_at(result_url(record))
    try:
        outcome = do_apply_reimport(record, actor=actor, selected=set(payload["selected"]))
    except ValidationError as exc:
        progress.finish("；".join(exc.messages), url=result_url(record))
        return
    if outcome.ok:
        told = _("已确认：新增 %(c)d 个问题，更新 %(u)d 个问题") % {
            "c": record.created_count,
            "u": record.updated_count,
        }
    else:
        told = _("未写入任何数据：%(why)s") % {"why": outcome.errors[0].message}
    progress.finish(told, url=result_url(record))


def import_failed(payload: dict[str, Any], reason: str) -> None:
    """The job will not finish (time limit, a system error, a worker that died): the import
    row ends too, with the reason, instead of staying 已接收 for ever, and the rows it had
    staged are removed (no one saw them)."""
    record = LedgerImport.objects.filter(pk=payload["import_id"]).first()
    actor = User.objects.filter(pk=payload["actor_id"]).first()
    if record is None or actor is None:
        return
    if record.status in (LedgerImport.Status.RECEIVED, LedgerImport.Status.PREVIEW):
        unstage(record)  # rows a killed worker staged and never showed
        mark_import_failed(record, actor, reason)


def run_export(payload: dict[str, Any]) -> None:
    from qingfeng.ledger.excel.workbooks import export_ledger_workbook
    from qingfeng.ledger.excel_views import export_label, filtered_for_export

    actor = User.objects.get(pk=payload["actor_id"])
    problems, flt = filtered_for_export(actor, QueryDict(payload["query"]))
    progress = current()
    total = problems.count()
    progress.step(0, total, _("正在导出"))
    data = export_ledger_workbook(
        problems, title=_("作风问题整改台账"), unit_label=export_label(actor, flt), actor=actor
    )
    progress.attach_file(
        data,
        f"整改台账-{timezone.localdate():%Y%m%d}.xlsx",
        _("已导出 %(n)d 条") % {"n": total},
    )


IMPORT_WORK = LongWork(time_limit=IMPORT_SECONDS, on_failure=import_failed)
EXPORT_WORK = LongWork(time_limit=EXPORT_SECONDS)


def remove_abandoned_staged(after_restore: bool) -> int:
    """The staged rows no running import will show (core/leftovers.py): those of an import
    that has ended or is gone, or whose job is neither pending nor running — after a restore,
    all of them (the snapshot's jobs have no worker)."""
    statuses = list(
        Problem.with_staged.filter(status__startswith=STAGED)
        .values_list("status", flat=True)
        .distinct()
    )
    removed = 0
    for status in statuses:
        number = status.removeprefix(STAGED)
        if not after_restore and number.isdigit() and _still_writing(int(number)):
            continue
        removed += unstage_status(status)
    return removed


def _still_writing(import_id: int) -> bool:
    live = (LedgerImport.Status.RECEIVED, LedgerImport.Status.PREVIEW)
    return (
        LedgerImport.objects.filter(pk=import_id, status__in=live).exists()
        and Job.objects.filter(
            kind__in=(IMPORT, APPLY),
            status__in=(Job.Status.PENDING, Job.Status.RUNNING),
            payload__import_id=import_id,
        ).exists()
    )


def register() -> None:
    from qingfeng.core import registry

    registry.add_job_handler(IMPORT, run_import, long=IMPORT_WORK)
    registry.add_job_handler(APPLY, run_apply, long=IMPORT_WORK)
    registry.add_job_handler(EXPORT, run_export, long=EXPORT_WORK)
    registry.add_leftovers(
        registry.Leftovers(
            "ledger.staged", gettext_lazy("未完成导入的暂存问题"), remove_abandoned_staged
        )
    )
