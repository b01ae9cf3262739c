"""The auditor's view of the audit trail: search, keyset pages, CSV and Excel export.

Only the auditor role reads the trail (三权分立): not the system admin, not the bureau.
Exports are themselves audited, in the same transaction as the count they report.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

from django import forms
from django.db import transaction
from django.db.models import QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qingfeng.core.audit import (
    AuditFilter,
    audit_events_visible_to,
    filter_audit_events,
    record_audit,
)
from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.models import AuditEvent
from qingfeng.core.permissions import can
from qingfeng.core.policy import guarded
from qingfeng.lib.dates import parse_date
from qingfeng.lib.xlsx import Style, new_workbook, save

PAGE_SIZE = 50
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
# Cells starting with these are formulas to Excel and WPS ("CSV injection"); failed sign-ins
# put whatever was typed as the user name into the trail.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class AuditFilterForm(forms.Form):
    start = forms.CharField(label=gettext_lazy("起始日期"), required=False, max_length=20)
    end = forms.CharField(label=gettext_lazy("截止日期"), required=False, max_length=20)
    actor = forms.CharField(label=gettext_lazy("操作人"), required=False, max_length=150)
    action = forms.CharField(label=gettext_lazy("操作（前缀）"), required=False, max_length=80)
    object_type = forms.CharField(label=gettext_lazy("对象类型"), required=False, max_length=80)
    object_id = forms.CharField(label=gettext_lazy("对象编号"), required=False, max_length=64)
    outcome = forms.ChoiceField(
        label=gettext_lazy("结果"),
        required=False,
        choices=[("", gettext_lazy("全部")), *AuditEvent.Outcome.choices],
    )

    def _date(self, name: str) -> date | None:
        text = self.cleaned_data[name].strip()
        if not text:
            return None
        parsed = parse_date(text)
        if parsed is None:
            raise forms.ValidationError(_("日期格式不正确，请按 2026年11月5日 或 2026-11-05 填写"))
        return parsed

    def clean_start(self) -> date | None:
        return self._date("start")

    def clean_end(self) -> date | None:
        return self._date("end")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("截止日期不能早于起始日期"))
        return data

    def audit_filter(self) -> AuditFilter:
        data = self.cleaned_data
        return AuditFilter(
            start=data["start"],
            end=data["end"],
            actor=data["actor"].strip(),
            action=data["action"].strip(),
            object_type=data["object_type"].strip(),
            object_id=data["object_id"].strip(),
            outcome=data["outcome"],
        )


def _filtered(request: AuthenticatedHttpRequest) -> tuple[AuditFilterForm, QuerySet[AuditEvent]]:
    user = request.user
    form = AuditFilterForm(request.GET)
    events = audit_events_visible_to(user)
    if form.is_valid():
        return form, filter_audit_events(events, form.audit_filter())
    return form, events.none()


def _int_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


def _query(request: HttpRequest, **changes: object) -> str:
    params: QueryDict = request.GET.copy()
    for key in ("before", "after"):
        params.pop(key, None)
    for key, value in changes.items():
        params[key] = str(value)
    return params.urlencode()


@guarded(can, "view_audit")
def audit_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Newest first, in keyset pages: `before=<id>` goes back in time, `after=<id>` forward."""
    form, events = _filtered(request)
    before, after = _int_param(request, "before"), _int_param(request, "after")
    if after is not None:
        page = list(events.filter(id__gt=after).order_by("id")[: PAGE_SIZE + 1])
        newer_exist = len(page) > PAGE_SIZE
        page = page[:PAGE_SIZE][::-1]
        older_exist = bool(page) and events.filter(id__lt=page[-1].pk).exists()
    else:
        upto = events.filter(id__lt=before) if before is not None else events
        page = list(upto.order_by("-id")[: PAGE_SIZE + 1])
        older_exist = len(page) > PAGE_SIZE
        page = page[:PAGE_SIZE]
        newer_exist = (
            before is not None and bool(page) and events.filter(id__gt=page[0].pk).exists()
        )
    context = {
        "form": form,
        "events": page,
        "active_nav": "audit",
        "older_url": f"?{_query(request, before=page[-1].pk)}" if older_exist else "",
        "newer_url": f"?{_query(request, after=page[0].pk)}" if newer_exist else "",
        "first_url": f"?{_query(request)}" if before is not None or after is not None else "",
        "export_query": _query(request),
    }
    return render(request, "core/audit_list.html", context)


@guarded(can, "view_audit")
def audit_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponseBase:
    form, events = _filtered(request)
    if not form.is_valid():
        return redirect(f"{reverse('core:audit')}?{_query(request)}")
    with transaction.atomic():
        # Fix the set before the export's own event joins the trail.
        newest = events.order_by("-id").values_list("id", flat=True).first() or 0
        events = events.filter(id__lte=newest).order_by("id")
        count = events.count()
        if fmt == "xlsx" and count > XLSX_MAX_ROWS:
            return render(
                request,
                "core/audit_list.html",
                {
                    "form": form,
                    "events": [],
                    "active_nav": "audit",
                    "export_query": _query(request),
                    "export_error": _("结果超过 Excel 的行数上限，请缩小时间范围或导出 CSV"),
                },
                status=400,
            )
        record_audit(
            actor=request.user,
            action="core.audit.export",
            after={"format": fmt, "rows": count, "filters": _filters_for_audit(form)},
        )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    if fmt == "csv":
        response: HttpResponseBase = StreamingHttpResponse(
            _csv_lines(events), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(
            _xlsx_bytes(events),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{fmt}"'
    return response


def _filters_for_audit(form: AuditFilterForm) -> dict[str, str]:
    return {k: str(v) for k, v in form.cleaned_data.items() if v not in (None, "")}


def _headers() -> list[str]:
    return [
        _("编号"),
        _("时间"),
        _("操作人"),
        _("单位"),
        _("操作"),
        _("对象类型"),
        _("对象编号"),
        _("对象"),
        _("结果"),
        _("来源地址"),
        _("请求编号"),
        _("变更前"),
        _("变更后"),
        _("哈希"),
    ]


def _row(event: AuditEvent) -> list[Any]:
    def as_json(value: Any) -> str:
        return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    return [
        event.pk,
        timezone.localtime(event.created_at).replace(tzinfo=None),
        event.actor_label,
        event.unit.name if event.unit is not None else "",
        event.action,
        event.object_type,
        event.object_id,
        event.object_repr,
        event.get_outcome_display(),
        event.source_ip,
        event.request_id,
        as_json(event.before),
        as_json(event.after),
        event.hash,
    ]


def _events(events: QuerySet[AuditEvent]) -> Iterator[AuditEvent]:
    return events.select_related("unit").iterator(chunk_size=2000)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    """UTF-8 with a BOM, so Excel and WPS open the Chinese text correctly."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(_headers())
    for event in _events(events):
        cells = _row(event)
        cells[1] = cells[1].strftime("%Y-%m-%d %H:%M:%S")
        yield writer.writerow(
            [f"'{c}" if isinstance(c, str) and c.startswith(_FORMULA_START) else c for c in cells]
        )


def _xlsx_bytes(events: QuerySet[AuditEvent]) -> bytes:
    workbook = new_workbook()
    sheet = workbook.create_sheet(_("审计日志"))
    sheet.append(_headers())
    for event in _events(events):
        sheet.append([_xlsx_cell(sheet, value) for value in _row(event)])
    return save(workbook)


MOMENT = Style(number_format="yyyy-mm-dd hh:mm:ss")
TEXT = Style()


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    """Text is written as text, never a formula (lib.xlsx); moments with their time."""
    if hasattr(value, "hour"):
        return MOMENT.cell(sheet, value)
    return TEXT.cell(sheet, value) if isinstance(value, str) else value
