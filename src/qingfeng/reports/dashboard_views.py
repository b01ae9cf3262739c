"""The dashboard's page (reports/dashboard.py): `/dashboard/`, `?scope=<unit id>` for a unit
inside the user's scope, `?month=YYYY-MM` for a past month (the current month by default)."""

from __future__ import annotations

from datetime import date

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import guarded
from qingfeng.lib.dates import month_last_day
from qingfeng.reports import dashboard


def _month(value: str, today: date) -> date:
    try:
        year, month = (int(part) for part in value.split("-", 1))
        first = date(year, month, 1)
    except (TypeError, ValueError):
        return today.replace(day=1)
    return first if first <= today else today.replace(day=1)


def _scope(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) < 12 else None


@guarded(lambda user, _action: dashboard.can_view(user), "dashboard")
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    first = _month(request.GET.get("month", ""), today)
    last = min(month_last_day(first), today)
    board = dashboard.board(request.user, _scope(request.GET.get("scope", "")), first, last)
    tables = []
    for source in board.sources:
        tables.append(
            {
                "key": source["key"],
                "label": source["label"],
                "figures": source["figures"],
                "totals": [
                    {"label": f.label, "value": board.totals.get(f.key, 0)}
                    for f in source["figures"]
                ],
                "rows": [
                    {
                        "row": row,
                        "values": [
                            {"label": f.label, "value": row.figures.get(f.key, 0)}
                            for f in source["figures"]
                        ],
                        "records": ""
                        if row.drill
                        else dashboard.records_url(source["records"], row.unit),
                    }
                    for row in board.rows
                ],
            }
        )
    return render(
        request,
        "reports/dashboard.html",
        {
            "board": board,
            "tables": tables,
            "month": first.strftime("%Y-%m"),
            "this_month": today.strftime("%Y-%m"),
        },
    )
