"""/notice/: the public notices of draws — the commitment before the draw, the public values
and the algorithm after it, and the units checked with their outcome once published — and the
stand-alone verifier script. Nothing about a draw's targets is shown before publication."""

from __future__ import annotations

import json
from pathlib import Path

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from qingfeng.core.policy import public
from qingfeng.orgs.models import Unit
from qingfeng.oversight import drawing
from qingfeng.oversight.actions import certificate
from qingfeng.oversight.models import Draw, Round, Visit


@public
@require_GET
def notices(request: HttpRequest) -> HttpResponse:
    draws = Draw.objects.select_related("owner").order_by("-committed_at", "-id")[:50]
    return render(request, "oversight/public/notices.html", {"draws": draws})


@public
@require_GET
def draw_notice(request: HttpRequest, number: str) -> HttpResponse:
    draw = get_object_or_404(Draw.objects.select_related("owner"), number=number)
    checked: list[dict[str, object]] = []
    if draw.published_at is not None and draw.result and draw.purpose != Draw.Purpose.REVIEW:
        ids = [t["unit"] for t in draw.result["targets"]]
        units = Unit.objects.in_bulk(ids)
        outcomes = {
            v["unit_id"]: v
            for v in Visit.objects.filter(draw=draw, status=Visit.Status.FINISHED)
            .values("unit_id")
            .annotate(
                found=Count("findings"),
                fixed=Count("findings", filter=Q(findings__fixed_on_spot=True)),
            )
        }
        checked = [{"unit": units[i], "outcome": outcomes.get(i)} for i in ids]
    return render(
        request,
        "oversight/public/draw.html",
        {
            "draw": draw,
            "values": list(draw.values.all()) if draw.status == Draw.Status.DRAWN else [],
            "algorithm": drawing.ALGORITHM,
            "checked": checked,
            "pool_size": len(draw.pool["units"]),
            "inspector_count": len(draw.pool["inspectors"]),
        },
    )


@public
@require_GET
def verifier(request: HttpRequest) -> HttpResponse:
    source = Path(drawing.__file__).read_text(encoding="utf-8")
    response = HttpResponse(source, content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="verify_draw.py"'
    return response


@public
@require_GET
def draw_certificate(request: HttpRequest, number: str) -> HttpResponse:
    """The certificate, for anyone to verify, once the results are published."""
    draw = get_object_or_404(Draw, number=number, published_at__isnull=False)
    body = json.dumps(certificate(draw), ensure_ascii=False, indent=1)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{draw.number}.json"'
    return response


@public
@require_GET
def round_notice(request: HttpRequest, number: str) -> HttpResponse:
    """A round's public notice: dates, fixed targets, the duty phone and postbox (the random
    checks are not announced)."""
    found = get_object_or_404(Round.objects.select_related("owner"), number=number)
    return render(
        request,
        "oversight/public/round.html",
        {"round": found, "targets": found.targets.order_by("path")},
    )
