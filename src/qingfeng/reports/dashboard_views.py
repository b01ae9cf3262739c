"""The dashboard's pages (reports/dashboard.py): `/dashboard/`, `?scope=<unit id>` for a unit
inside the user's scope, `?month=YYYY-MM` for a past month (the current month by default);
`/dashboard/export/` the same view as an Excel workbook (`?source=<key>` for one panel);
`/dashboard/screen/` the large-screen mode for a meeting room (refreshes itself); `?trend=week`
shows the trend week by week instead of month by month.

The figures are read inside `replica.reads()`: from the read replica when one is configured
(DATABASE_REPLICA_URL, core/replica.py), the primary otherwise. The page's own writes (a past
month frozen on first sight, monthly.py) are transactions of the primary's."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core import registry, replica
from qingfeng.core.http import AuthenticatedHttpRequest, xlsx_response
from qingfeng.core.policy import guarded
from qingfeng.lib.dates import month_last_day
from qingfeng.lib.xlsx.columns import Column
from qingfeng.lib.xlsx.writing import new_workbook, office_sheet, save
from qingfeng.orgs.models import User
from qingfeng.reports import actions, dashboard, monthly
from qingfeng.reports.permissions import drafts

SCREEN_REFRESH_SECONDS = 120  # the live figures' summary is refreshed every 2 minutes


def _month(value: str, today: date) -> date:
    try:
        year, month = (int(part) for part in value.split("-", 1))
        first = date(year, month, 1)
    except (TypeError, ValueError):
        return today.replace(day=1)
    return first if first <= today else today.replace(day=1)


def _scope(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 12 else None


def _board(request: AuthenticatedHttpRequest) -> tuple[dashboard.Board, date]:
    today = timezone.localdate()
    first = _month(request.GET.get("month", ""), today)
    last = min(month_last_day(first), today)
    trend_by = "week" if request.GET.get("trend") == "week" else "month"
    scope = _scope(request.GET.get("scope", ""))
    return dashboard.board(request.user, scope, first, last, trend_by=trend_by), today


def _context(board: dashboard.Board, today: date, user: User) -> dict[str, Any]:
    panels = dashboard.panels(board, user)
    return {
        "board": board,
        "panels": panels,
        # The charts' numbers, the same as the tables beside them (static/qingfeng/dashboard.js).
        "chart_data": {
            table["key"]: {
                "months": table["trend"]["months"],
                "series": [
                    {"name": s["label"], "values": s["values"]} for s in table["trend"]["series"]
                ],
            }
            for panel in panels
            for table in panel["sources"]
            if table["trend"]
        },
        "month": board.first.strftime("%Y-%m"),
        "this_month": today.strftime("%Y-%m"),
        "partial": board.last < month_last_day(board.first),
        "scope_query": f"scope={board.scope.pk}&" if board.scope else "",
        "by_week": board.trend_by == "week",
        "warm_minutes": monthly.WARM_MINUTES,
    }


def _page(request: AuthenticatedHttpRequest, board: dashboard.Board, today: date) -> dict[str, Any]:
    context = _context(board, today, request.user)
    # A warning opens a 督办 problem on the ledger's form, for those who may register one.
    context["can_open_item"] = registry.allows("ledger:new", request.user)
    return context


@guarded(lambda user, _action: dashboard.can_view(user), "dashboard")
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    with replica.reads():
        board, today = _board(request)
        context = _page(request, board, today)
    return render(request, "reports/dashboard.html", context)


@guarded(lambda user, _action: dashboard.can_view(user), "dashboard")
def screen(request: AuthenticatedHttpRequest) -> HttpResponse:
    """大屏: the same figures, large, dark, refreshing every `SCREEN_REFRESH_SECONDS`."""
    with replica.reads():
        board, today = _board(request)
        context = _context(board, today, request.user)
    context["refresh"] = SCREEN_REFRESH_SECONDS
    context["now"] = timezone.localtime()
    return render(request, "reports/dashboard_screen.html", context)


@guarded(lambda user, _action: dashboard.can_view(user), "dashboard")
def export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The panels in view as a workbook in the office layout, one sheet a source: the units'
    rows, counts and rates as on the page, and the totals."""
    with replica.reads():
        board, today = _board(request)
        shown = dashboard.panels(board, request.user)
    wanted = request.GET.get("source", "")
    workbook = new_workbook()
    scope_name = board.scope.name if board.scope else _("本人负责的单位")
    for panel in shown:
        for table in panel["sources"]:
            if wanted and table["key"] != wanted:
                continue
            columns = [
                Column("unit", _("单位"), width=28),
                *(Column(f.key, str(f.label), width=14) for f in table["figures"]),
                *(Column(r.key, str(r.label), width=14) for r in table["ratios"]),
            ]
            sheet = office_sheet(
                workbook,
                columns,
                name=str(table["label"])[:31],
                title=_("%(scope)s驾驶舱 · %(source)s（%(first)s至%(last)s）")
                % {
                    "scope": scope_name,
                    "source": table["label"],
                    "first": board.first.isoformat(),
                    "last": board.last.isoformat(),
                },
                left=_("单位：%(name)s") % {"name": scope_name},
                right=_("导出日期：%(day)s") % {"day": today.isoformat()},
            )
            for item in table["rows"]:
                name = item["row"].unit.name + (_("（本级）") if item["row"].own else "")
                sheet.append(_cells(name, item["values"], item["rates"]))
            sheet.append(_cells(_("合计"), table["totals"], table["total_rates"]))
    if not workbook.sheetnames:
        return HttpResponse(_("没有这个统计项"), status=404, content_type="text/plain")
    name = _("驾驶舱_%(scope)s_%(month)s.xlsx") % {
        "scope": scope_name,
        "month": board.first.strftime("%Y-%m"),
    }
    return xlsx_response(save(workbook), name)


def _cells(name: str, values: list[dict[str, Any]], rates: list[dict[str, Any]]) -> list[Any]:
    return [name, *(c["value"] for c in values), *(str(c["rate"]) for c in rates)]


@guarded(lambda user, _action: dashboard.can_view(user), "dashboard")
def rules(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The warning rules of the scope's unit: shown to every viewer, set by its office."""
    board, _today = _board(request)
    unit = board.scope
    if unit is None:
        raise Http404
    editable = drafts(request.user, unit)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = dict(board.rules)
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        values = {f.key: request.POST.get(f.key, "") for f in dashboard.RULE_FIELDS}
        try:
            actions.check_set_warning_rules(unit, actor=request.user, values=values)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("预警规则已保存"))
            return redirect(f"{reverse('dashboard:index')}?scope={unit.pk}")
    fields = [
        {"field": f, "value": values.get(f.key, f.default), "errors": errors.get(f.key, [])}
        for f in dashboard.RULE_FIELDS
    ]
    return render(
        request,
        "reports/dashboard_rules.html",
        {"board": board, "unit": unit, "fields": fields, "editable": editable},
        status=400 if errors else 200,
    )
