"""Public progress (/progress/): disclosed problems per unit, redacted, no login.

Only what a bureau role published appears; the cards show the reviewed public text, never
the internal description, names or phone numbers.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control

from qingfeng.core.policy import public
from qingfeng.ledger.models import Problem
from qingfeng.orgs.models import Unit

PUBLISHED = Q(disclosure=Problem.Disclosure.PUBLISHED) & ~Q(status=Problem.Status.WITHDRAWN)
ON_UNIT = Q(problems__disclosure=Problem.Disclosure.PUBLISHED) & ~Q(
    problems__status=Problem.Status.WITHDRAWN
)


@public
@cache_control(public=True, max_age=60)
def progress_index(request: HttpRequest) -> HttpResponse:
    units = (
        Unit.objects.filter(is_active=True, problems__disclosure=Problem.Disclosure.PUBLISHED)
        .annotate(
            published=Count("problems", filter=ON_UNIT, distinct=True),
            closed=Count(
                "problems",
                filter=ON_UNIT & Q(problems__status=Problem.Status.CLOSED),
                distinct=True,
            ),
        )
        .filter(published__gt=0)
        .order_by("path")
    )
    q = request.GET.get("q", "").strip()[:50]
    if q:
        units = units.filter(Q(name__contains=q) | Q(short_name__contains=q))
    return render(request, "ledger/public/index.html", {"units": units[:300], "q": q})


@public
@cache_control(public=True, max_age=60)
def progress_unit(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = get_object_or_404(Unit, pk=unit_id, is_active=True)
    problems = (
        Problem.objects.filter(PUBLISHED, unit=unit)
        .select_related("category")
        .only(
            "number",
            "public_text",
            "status",
            "progress",
            "updated_at",
            "category__name",
            "light",
            "deadline",
        )
        .order_by("-updated_at")[:200]
    )
    return render(request, "ledger/public/unit.html", {"unit": unit, "problems": problems})
