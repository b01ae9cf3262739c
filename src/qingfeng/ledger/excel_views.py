"""Ledger Excel pages: import (stored first, all or nothing), the preview and confirmation of
a ledger sent again, export of the filtered set, the blank template and the error workbook
of a rejected import."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qingfeng.core.attachments import MB, AttachmentRules
from qingfeng.core.http import AuthenticatedHttpRequest, xlsx_response
from qingfeng.core.policy import guarded
from qingfeng.core.progress import job_url
from qingfeng.ledger import excel, selectors
from qingfeng.ledger.excel import work
from qingfeng.ledger.excel.matching import Kind
from qingfeng.ledger.models import LedgerImport, Problem
from qingfeng.ledger.permissions import can
from qingfeng.ledger.views import LEDGER
from qingfeng.lib import filetypes
from qingfeng.orgs import selectors as org_selectors
from qingfeng.orgs.models import Unit, User

LEDGER_FILE = AttachmentRules(
    types=(filetypes.XLSX, filetypes.XLS),
    max_bytes=20 * MB,
    unsupported=gettext_lazy("请上传 .xlsx 或 .xls 格式的 Excel 文件"),
    too_large=gettext_lazy("文件不能超过 20 MB"),
    mismatch=gettext_lazy("文件内容不是有效的 Excel 工作簿"),
)
EXPORT_INLINE = 2_000  # written in the request; more rows are a job with progress
EXPORT_LIMIT = 100_000  # rows of one export (a job: about a minute per 50,000 rows)


class LedgerImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("台账文件（.xlsx 或 .xls）"))
    assign = forms.BooleanField(label=gettext_lazy("导入后直接交办"), required=False)
    requirement = forms.CharField(label=gettext_lazy("交办要求"), required=False, max_length=500)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        LEDGER_FILE.check(upload)
        return upload


@guarded(can, "register")
def import_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Store the upload and start the import as a job (core/progress.py): the person watches
    its progress and lands on the result; nothing runs inside this request."""
    user = request.user
    form = LedgerImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            record = excel.do_receive_ledger(
                form.cleaned_data["file"], actor=user, assign=form.cleaned_data["assign"]
            )
            job = work.start_import(
                record, actor=user, requirement=form.cleaned_data["requirement"]
            )
        return redirect(job_url(job))
    imports = excel.ledger_imports_of(user)[:20]
    return render(request, "ledger/import.html", {"form": form, "imports": imports})


@guarded(can, "register")
def import_result(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    record = excel.get_ledger_import_for_user(request.user, pk)
    context: dict[str, Any] = {"record": record}
    job = work.job_of(record)
    if record.status == LedgerImport.Status.RECEIVED and job is not None:
        context.update(job=job, percent=None, ended=False)  # still running: polled
    elif job is not None and job.outcome:
        context["told"] = job.outcome  # what the last run of its work said
    if record.preview.get("rows"):
        context["groups"] = preview_groups(record)
        context["counts"] = excel.preview_counts(record)
    return render(request, "ledger/import_result.html", context)


@require_POST
@guarded(can, "register")
def import_apply(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The confirmation of a re-import preview: the rows ticked (and, for a group longer than
    the page shows, the rows not shown when the group's box is ticked)."""
    record = excel.get_ledger_import_for_user(request.user, pk)
    selected = set(request.POST.getlist("row"))
    ticked = set(request.POST.getlist("group"))
    for group in preview_groups(record):
        if group.kind in ticked:
            selected.update(e["key"] for e in group.hidden)
    if not any(k in selected for k in (e["key"] for e in record.preview.get("rows", []))):
        messages.error(request, _("请至少勾选一行要新增或更新的问题"))
        return redirect("ledger:import_result", pk=pk)
    with transaction.atomic():
        job = work.start_apply(record, actor=request.user, selected=selected)
    return redirect(job_url(job))


SHOWN = 300  # rows of each group listed on the preview page


@dataclass
class PreviewGroup:
    kind: str
    title: str
    rows: list[dict[str, Any]]
    hidden: list[dict[str, Any]]
    selectable: bool

    @property
    def total(self) -> int:
        return len(self.rows) + len(self.hidden)


def preview_groups(record: LedgerImport) -> list[PreviewGroup]:
    """The preview's rows by kind, in the order they are checked: changed, new, not updated,
    unchanged. Each group lists its first SHOWN rows; the rest go with the group's box."""
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for entry in record.preview.get("rows", []):
        by_kind.setdefault(entry["kind"], []).append(entry)
    groups = []
    for kind, title, selectable in (
        (Kind.CHANGED, _("有变更的问题"), True),
        (Kind.NEW, _("新增的问题"), True),
        (Kind.NOT_UPDATED, _("不更新的问题"), False),
        (Kind.UNCHANGED, _("无变化的问题"), False),
    ):
        rows = by_kind.get(kind, [])
        if rows:
            groups.append(PreviewGroup(kind, title, rows[:SHOWN], rows[SHOWN:], selectable))
    return groups


@guarded(can, "register")
def import_errors(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    record = excel.get_ledger_import_for_user(request.user, pk)
    if not record.error_file:
        return redirect("ledger:import_result", pk=pk)
    with record.error_file.open("rb") as handle:
        return xlsx_response(
            handle.read(), f"错误清单-{record.original_name.rsplit('.', 1)[0]}.xlsx"
        )


@guarded(can, "register")
def template_download(request: AuthenticatedHttpRequest) -> HttpResponse:
    return xlsx_response(excel.build_ledger_template(), "整改台账模板.xlsx")


def filtered_for_export(user: User, query: QueryDict) -> tuple[QuerySet[Problem], Any]:
    """The ledger list's filter, as the query string sets it, in urgency order."""
    _form, flt = LEDGER.filter_data(query, user)
    return selectors.filter_problems(user, flt).order_by(*selectors.URGENT_FIRST), flt


def export_label(user: User, flt: Any) -> str:
    return flt.unit.name if flt.unit else "、".join(r.name for r in _roots(user))


@guarded(can, "view_ledger")
def export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A few thousand rows at once; more as a job with progress and a download link."""
    user = request.user
    problems, flt = filtered_for_export(user, request.GET)
    count = problems.count()
    if count > EXPORT_LIMIT:
        messages.error(
            request,
            _("筛选结果有 %(n)d 条，超过单次导出上限 %(max)d 条，请缩小范围")
            % {"n": count, "max": EXPORT_LIMIT},
        )
        return redirect(f"/ledger/?{request.GET.urlencode()}")
    if count > EXPORT_INLINE:
        with transaction.atomic():
            job = work.start_export(actor=user, query=request.GET.urlencode(), count=count)
        return redirect(job_url(job))
    data = excel.export_ledger_workbook(
        problems, title=_("作风问题整改台账"), unit_label=export_label(user, flt), actor=user
    )
    return xlsx_response(data, f"整改台账-{timezone.localdate():%Y%m%d}.xlsx")


def _roots(user: User) -> list[Unit]:
    return list(org_selectors.scope_roots(user))
