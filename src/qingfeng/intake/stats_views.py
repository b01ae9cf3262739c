"""The public statistics page (/report/stats/): the whole city, or one county."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from qingfeng.core.policy import public
from qingfeng.intake import stats
from qingfeng.intake.models import Ticket
from qingfeng.orgs.models import Unit


def _chart_data(data: stats.Stats) -> dict[str, Any]:
    """What the charts draw: the same numbers as the tables (json_script, no inline code)."""
    return {
        "months": {
            "labels": [m for m, _n in data.by_month],
            "values": [n for _m, n in data.by_month],
        },
        "categories": {
            "labels": [c for c, _n in data.by_category],
            "values": [n for _c, n in data.by_category],
        },
        "statuses": {
            "labels": [str(Ticket.Status(s).label) for s, _n in data.by_status],
            "values": [n for _s, n in data.by_status],
        },
        "names": {"count": _("件数")},
    }


@public
@require_GET
@cache_control(public=True, max_age=60)
def stats_page(request: HttpRequest) -> HttpResponse:
    counties = stats.counties()
    county: Unit | None = None
    value = request.GET.get("county", "")
    if value:
        county = next((c for c in counties if str(c.pk) == value), None)
        if county is None:
            notice = {
                "title": _("未找到该县区"),
                "text": _("请从列表中选择县区，或查看全市统计。"),
            }
            return render(request, "intake/public/notice.html", notice, status=404)
    data = stats.cached(county)
    hidden = stats.suppressed(data, county)
    context: dict[str, Any] = {
        "counties": counties,
        "county": county,
        "stats": data,
        "hidden": hidden,
        "min_count": settings.QF_STATS_MIN_COUNT,
        "statuses": [(Ticket.Status(s).label, n) for s, n in data.by_status],
        "chart": None if hidden else _chart_data(data),
    }
    return render(request, "intake/public/stats.html", context)
