"""The dashboard's pages (reports/dashboard.py): `/dashboard/`, `?scope=<unit id>` for a unit
inside the user's scope, `?month=YYYY-MM` for a past month (the current month by default);
`/dashboard/export/` the same view as an Excel workbook (`?source=<key>` for one panel);
`/dashboard/screen/` the large-screen mode for a meeting room (refreshes itself); `?trend=week`
shows the trend week by week instead of month by month.

The figures are read inside `replica.reads()`: from the read replica when one is configured
(DATABASE_REPLICA_URL, core/replica.py), the primary otherwise. The page's own writes (a past
month frozen on first sight, monthly.py) are transactions of the primary's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import json_script
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from qingfeng.core import registry, replica
from qingfeng.core.http import AuthenticatedHttpRequest, xlsx_response
from qingfeng.core.policy import guarded
from qingfeng.lib.dates import month_last_day
from qingfeng.lib.xlsx.columns import Column
from qingfeng.lib.xlsx.writing import new_workbook, office_sheet, save
from qingfeng.orgs.models import Unit, User
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


@dataclass(frozen=True)
class _Asked:
    """What a dashboard request asks for, its scope already checked (`dashboard.checked_scope`,
    on every request: a kept view is never served outside the asker's scope)."""

    scope_id: int | None
    scope: Unit | None
    first: date
    last: date
    today: date
    trend_by: str

    def key(self, user: User, kind: str, *more: Any) -> str:
        """The cache key of the whole computed view: per person (and the scope their roles
        give them now), unit, period, trend, language, and the generations of the figures it
        was read from (monthly.views_generation), so a frozen month, a new warm summary or
        new warning rules replace it at once; otherwise it is kept `monthly.LIVE_SECONDS`,
        the staleness the live figures already have."""
        return monthly.cache_key(
            "view",
            kind,
            user.pk,
            dashboard.viewer_paths(user),
            self.scope_id,
            self.first,
            self.last,
            self.trend_by,
            self.today,
            get_language(),
            monthly.views_generation(),
            *more,
        )


def _asked(request: AuthenticatedHttpRequest) -> _Asked:
    today = timezone.localdate()
    first = _month(request.GET.get("month", ""), today)
    last = min(month_last_day(first), today)
    trend_by = "week" if request.GET.get("trend") == "week" else "month"
    scope_id = _scope(request.GET.get("scope", ""))
    with replica.reads():
        scope = dashboard.checked_scope(request.user, scope_id)
    return _Asked(scope_id, scope, first, last, today, trend_by)


def _board(request: AuthenticatedHttpRequest, asked: _Asked | None = None) -> dashboard.Board:
    asked = asked or _asked(request)
    return dashboard.board(
        request.user,
        asked.scope_id,
        asked.first,
        asked.last,
        trend_by=asked.trend_by,
        checked=asked.scope,
    )


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


LIGHTS = "<!--qf-lights-->"  # where the page's live lights go between the kept parts


def _lights(request: AuthenticatedHttpRequest, asked: _Asked, kept: dict[str, Any]) -> None:
    """The ledger's lights, read on every request (its kept counts are exact at every moment,
    one statement), beside a view kept a few minutes."""
    if "lights" not in kept:
        with replica.reads():
            kept["lights"] = dashboard.lights(request.user, asked.scope)


@guarded(lambda user, _action: dashboard.can_view(user), "dashboard")
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    asked = _asked(request)
    key = asked.key(request.user, "page", registry.allows("ledger:new", request.user))
    context: dict[str, Any] = {}
    kept = cache.get(key)
    if kept is None:
        with replica.reads():
            board = _board(request, asked)
            context = _page(request, board, asked.today)
        head, _marker, body = render_to_string(
            "reports/partials/dashboard_body.html", context
        ).partition(LIGHTS)
        kept = {"head": head, "body": body, "lights_unit": board.scope.pk if board.scope else None}
        cache.set(key, kept, monthly.LIVE_SECONDS)
        context["lights"] = board.lights
    _lights(request, asked, context)
    context.update(
        {
            "head": mark_safe(kept["head"]),  # noqa: S308 - rendered by the template above
            "body": mark_safe(kept["body"]),  # noqa: S308 - rendered by the template above
            "lights_unit": kept["lights_unit"],
        }
    )
    return render(request, "reports/dashboard.html", context)


@guarded(lambda user, _action: dashboard.can_view(user), "dashboard")
def screen(request: AuthenticatedHttpRequest) -> HttpResponse:
    """大屏: the same figures, large, dark, refreshing every `SCREEN_REFRESH_SECONDS`."""
    asked = _asked(request)
    key = asked.key(request.user, "screen")
    context: dict[str, Any] = {}
    kept = cache.get(key)
    if kept is None:
        with replica.reads():
            board = _board(request, asked)
            context = _context(board, asked.today, request.user)
        kept = {
            "body": render_to_string("reports/partials/screen_body.html", context),
            "charts": json_script(context["chart_data"], "qf-dashboard-data"),
            "scope_name": board.scope.name if board.scope else "",
            "scope_query": context["scope_query"],
        }
        cache.set(key, kept, monthly.LIVE_SECONDS)
        context["lights"] = board.lights
    _lights(request, asked, context)
    context.update(
        {
            "body": mark_safe(kept["body"]),  # noqa: S308 - rendered by the template above
            "charts": mark_safe(kept["charts"]),  # noqa: S308 - json_script's own escaping
            "scope_name": kept["scope_name"],
            "scope_query": kept["scope_query"],
            "first": asked.first,
            "last": asked.last,
            "month": asked.first.strftime("%Y-%m"),
            "refresh": SCREEN_REFRESH_SECONDS,
            "now": timezone.localtime(),
        }
    )
    return render(request, "reports/dashboard_screen.html", context)


@guarded(lambda user, _action: dashboard.can_view(user), "dashboard")
def export(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The panels in view as a workbook in the office layout, one sheet a source: the units'
    rows, counts and rates as on the page, and the totals (kept as the page is)."""
    asked = _asked(request)
    wanted = request.GET.get("source", "")[:100]
    key = asked.key(request.user, "export", wanted)
    kept = cache.get(key)
    if kept is None:
        kept = _workbook(request, asked, wanted)
        cache.set(key, kept, monthly.LIVE_SECONDS)
    content, name = kept
    if content is None:
        return HttpResponse(_("没有这个统计项"), status=404, content_type="text/plain")
    return xlsx_response(content, name)


def _workbook(
    request: AuthenticatedHttpRequest, asked: _Asked, wanted: str
) -> tuple[bytes | None, str]:
    with replica.reads():
        board = _board(request, asked)
        shown = dashboard.panels(board, request.user)
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
                right=_("导出日期：%(day)s") % {"day": asked.today.isoformat()},
            )
            for item in table["rows"]:
                name = item["row"].unit.name + (_("（本级）") if item["row"].own else "")
                sheet.append(_cells(name, item["values"], item["rates"]))
            sheet.append(_cells(_("合计"), table["totals"], table["total_rates"]))
    name = _("驾驶舱_%(scope)s_%(month)s.xlsx") % {
        "scope": scope_name,
        "month": board.first.strftime("%Y-%m"),
    }
    return (save(workbook) if workbook.sheetnames else None), name


def _cells(name: str, values: list[dict[str, Any]], rates: list[dict[str, Any]]) -> list[Any]:
    return [name, *(c["number"] for c in values), *(str(c["rate"]) for c in rates)]


@guarded(lambda user, _action: dashboard.can_view(user), "dashboard")
def rules(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The warning rules of the scope's unit: shown to every viewer, set by its office."""
    board = _board(request)
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
