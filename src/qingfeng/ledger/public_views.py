"""Public progress (/progress/): disclosed problems per unit, redacted, no login.

Only what a bureau role published appears; the cards show the reviewed public text, never
the internal description, names or phone numbers.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control

from qingfeng.core.policy import public
from qingfeng.ledger import selectors
from qingfeng.orgs import selectors as org_selectors


@public
@cache_control(public=True, max_age=60)
def progress_index(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:50]
    units = selectors.published_units(q)
    return render(request, "ledger/public/index.html", {"units": units[:300], "q": q})


@public
@cache_control(public=True, max_age=60)
def progress_unit(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = org_selectors.active_unit(unit_id)
    if unit is None:
        raise Http404
    problems = selectors.published_problems(unit)[:200]
    return render(request, "ledger/public/unit.html", {"unit": unit, "problems": problems})
