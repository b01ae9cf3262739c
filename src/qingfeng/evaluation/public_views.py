"""The public rating page (/rate/u/<unit id>/): no login, phone first, under 30 seconds.

Nothing here stores or logs the client's address or user agent: the address signal counts
under a salted hash in the cache, the device signal lives in the browser's own signed
cookie, and the rating is stored with the name of the rule that judged it, nothing more.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from qingfeng.core.policy import public
from qingfeng.core.publicform.views import add_errors
from qingfeng.evaluation import actions, export, publicform, scheme, selectors
from qingfeng.evaluation.forms import RatingForm
from qingfeng.evaluation.models import Remedial, Round
from qingfeng.evaluation.publicform import HUMAN_CHECK
from qingfeng.orgs.models import Unit


def _context(
    request: HttpRequest, unit: Unit, round_: Round, remedial: Remedial | None, form: RatingForm
) -> dict[str, Any]:
    key = form.data.get("idempotency_key") or uuid.uuid4().hex
    check = publicform.address_busy(request) or publicform.device_rated(request, round_, unit)
    return {
        "unit": unit,
        "round": round_,
        "remedial": remedial,
        "form": form,
        "needs_code": round_.mode == Round.Mode.FRAME and remedial is None,
        "idempotency_key": key,
        "form_token": publicform.form_token(key),
        "check": check,
        **(HUMAN_CHECK.context() if check else {}),
    }


@public
@never_cache
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, unit_id: int) -> HttpResponse:
    target = selectors.rating_target(unit_id, timezone.localdate())
    if target is None:
        raise Http404
    unit, round_, remedial = target.unit, target.round, target.remedial
    if round_ is None:
        return render(request, "evaluation/public/closed.html", {"unit": unit})
    if request.method == "GET":
        form = RatingForm(items=round_.items)
        context = _context(request, unit, round_, remedial, form)
        return render(request, "evaluation/public/rate.html", context)
    form = RatingForm(request.POST, items=round_.items)
    busy = publicform.rate_limit().over_after_hit(request)
    repeat = publicform.device_rated(request, round_, unit)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if busy or repeat:
                HUMAN_CHECK.require(data)
            response = actions.check_submit_rating(
                unit,
                respondent_type=data["respondent_type"],
                overall=data["overall"],
                answers=form.item_answers(),
                comment=data["comment"],
                code=data["code"],
                idempotency_key=data["idempotency_key"],
                seconds=publicform.seconds_taken(data["form_token"], data["idempotency_key"]),
                signals=actions.Signals(device_repeat=repeat, address_burst=busy),
                target=(round_, remedial),
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            page = render(
                request,
                "evaluation/public/thanks.html",
                {"unit": unit, "round": round_, "response": response},
            )
            publicform.remember_device(request, page, round_, unit)
            return page
    context = _context(request, unit, round_, remedial, form)
    return render(request, "evaluation/public/rate.html", context, status=400)


@public
@require_GET
def ranking(request: HttpRequest, round_id: int) -> HttpResponse:
    """The published ranking by category, when the round says it is public; units with too
    few ratings are greyed and not ranked. Numbers only: no comment, no discipline review."""
    round_ = (
        Round.objects.filter(pk=round_id, publish_ranking=True, published_at__isnull=False)
        .select_related("owner")
        .first()
    )
    if round_ is None:
        raise Http404
    rows = selectors.results(round_)
    groups: dict[str, list[Any]] = {}
    for row in sorted(rows, key=lambda r: (r.rank is None, r.rank or 0, r.unit.path)):
        groups.setdefault(row.unit.get_category_display(), []).append(row)
    return render(
        request,
        "evaluation/public/ranking.html",
        {
            "round": round_,
            "groups": groups,
            "definition": export.definition_lines(round_),
            **scheme.context(round_.indicators),
        },
    )
