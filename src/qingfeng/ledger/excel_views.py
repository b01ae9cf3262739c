"""Ledger Excel pages: import (stored first, all or nothing), the preview and confirmation of
a ledger sent again, export of the filtered set, the blank template and the error workbook
of a rejected import."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qingfeng.core.attachments import MB, AttachmentRules
from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import guarded
from qingfeng.ledger import excel, selectors
from qingfeng.ledger.excel.matching import Kind
from qingfeng.ledger.models import LedgerImport
from qingfeng.ledger.permissions import can
from qingfeng.ledger.views import LEDGER
from qingfeng.lib import filetypes
from qingfeng.orgs import selectors as org_selectors
from qingfeng.orgs.models import Unit, User

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LEDGER_FILE = AttachmentRules(
    types=(filetypes.XLSX, filetypes.XLS),
    max_bytes=20 * MB,
    unsupported=gettext_lazy("请上传 .xlsx 或 .xls 格式的 Excel 文件"),
    too_large=gettext_lazy("文件不能超过 20 MB"),
    mismatch=gettext_lazy("文件内容不是有效的 Excel 工作簿"),
)
EXPORT_LIMIT = 50_000  # about 20 s to write; more would outrun the web worker's timeout


class LedgerImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("台账文件（.xlsx 或 .xls）"))
    assign = forms.BooleanField(label=gettext_lazy("导入后直接交办"), required=False)
    requirement = forms.CharField(label=gettext_lazy("交办要求"), required=False, max_length=500)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        LEDGER_FILE.check(upload)
        return upload


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@guarded(can, "register")
def import_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = LedgerImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        record = excel.do_receive_ledger(
            form.cleaned_data["file"], actor=user, assign=form.cleaned_data["assign"]
        )
        outcome = excel.do_import_ledger(
            record, actor=user, requirement=form.cleaned_data["requirement"]
        )
        if outcome.ok:
            messages.success(
                request, _("导入成功：新增 %(n)d 个问题") % {"n": record.created_count}
            )
        elif outcome.preview:
            messages.info(
                request, _("表中有系统里已有的问题：请核对新增和变更的内容，勾选后确认更新")
            )
        else:
            messages.error(request, _("导入未通过校验，未写入任何数据，请按错误清单修改后重新上传"))
        return redirect("ledger:import_result", pk=record.pk)
    imports = excel.ledger_imports_of(user)[:20]
    return render(request, "ledger/import.html", {"form": form, "imports": imports})


@guarded(can, "register")
def import_result(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    record = excel.get_ledger_import_for_user(request.user, pk)
    context: dict[str, Any] = {"record": record}
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
    try:
        outcome = excel.do_apply_reimport(record, actor=request.user, selected=selected)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("ledger:import_result", pk=pk)
    if outcome.ok:
        messages.success(
            request,
            _("已确认：新增 %(c)d 个问题，更新 %(u)d 个问题")
            % {"c": record.created_count, "u": record.updated_count},
        )
    else:
        messages.error(request, _("未写入任何数据：%(why)s") % {"why": outcome.errors[0].message})
    return redirect("ledger:import_result", pk=pk)


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
        return _xlsx(handle.read(), f"错误清单-{record.original_name.rsplit('.', 1)[0]}.xlsx")


@guarded(can, "register")
def template_download(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _xlsx(excel.build_ledger_template(), "整改台账模板.xlsx")


@guarded(can, "view_ledger")
def export(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    _form, flt = LEDGER.filter(request, user)
    problems = selectors.filter_problems(user, flt).order_by(*selectors.URGENT_FIRST)
    count = problems.count()
    if count > EXPORT_LIMIT:
        messages.error(
            request,
            _("筛选结果有 %(n)d 条，超过单次导出上限 %(max)d 条，请缩小范围")
            % {"n": count, "max": EXPORT_LIMIT},
        )
        return redirect(f"/ledger/?{request.GET.urlencode()}")
    label = flt.unit.name if flt.unit else "、".join(r.name for r in _roots(user))
    data = excel.export_ledger_workbook(
        problems, title=_("作风问题整改台账"), unit_label=label, actor=user
    )
    return _xlsx(data, f"整改台账-{timezone.localdate():%Y%m%d}.xlsx")


def _roots(user: User) -> list[Unit]:
    return list(org_selectors.scope_roots(user))
