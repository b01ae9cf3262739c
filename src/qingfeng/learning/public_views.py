"""The public pledge rating (/rate/pledge/u/<unit id>/): no login, phone first, seconds.

Nothing here stores or logs the client's address or browser: the address signal counts under
a salted hash in the cache, the device signal lives in the browser's own signed cookie; a
repeat from the same phone, or a busy address, must pass the human check first.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from qingfeng.core.policy import public
from qingfeng.core.publicform.views import add_errors
from qingfeng.learning import actions, publicform
from qingfeng.learning.models import Fulfilment, PledgeRating
from qingfeng.learning.publicform import HUMAN_CHECK
from qingfeng.orgs import selectors as org_selectors
from qingfeng.orgs.models import Unit


class PublicRatingForm(forms.Form):
    respondent = forms.ChoiceField(
        label=gettext_lazy("您的身份"),
        choices=PledgeRating.Respondent.choices,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("请选择您的身份")},
    )
    rating = forms.ChoiceField(
        label=gettext_lazy("评价"),
        choices=Fulfilment.Rating.choices,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("请选择评价")},
    )
    idempotency_key = forms.CharField(max_length=64, required=False)
    captcha_token = forms.CharField(required=False)
    captcha_answer = forms.CharField(required=False, max_length=10)
    work_solution = forms.CharField(required=False, max_length=2000)


def _context(request: HttpRequest, unit: Unit, form: PublicRatingForm) -> dict[str, Any]:
    period = actions.quarter()
    check = publicform.rate_limit().is_limited(request) or publicform.device_rated(
        request, unit, period
    )
    return {
        "unit": unit,
        "pledges": actions.pledges_in_force(unit, timezone.localdate().year),
        "period": period,
        "form": form,
        "idempotency_key": form.data.get("idempotency_key") or uuid.uuid4().hex,
        "check": check,
        **(HUMAN_CHECK.context() if check else {}),
    }


@public
@never_cache
@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = org_selectors.active_unit(unit_id)
    if unit is None:
        raise Http404
    if not actions.pledges_in_force(unit, timezone.localdate().year):
        return render(request, "learning/public/closed.html", {"unit": unit})
    if request.method == "GET":
        return render(
            request, "learning/public/rate.html", _context(request, unit, PublicRatingForm())
        )
    form = PublicRatingForm(request.POST)
    period = actions.quarter()
    busy = publicform.rate_limit().over_after_hit(request)
    repeat = publicform.device_rated(request, unit, period)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if busy or repeat:
                HUMAN_CHECK.require(data)
            actions.check_submit_public_rating(
                unit,
                rating=data["rating"],
                respondent=data["respondent"],
                idempotency_key=data["idempotency_key"],
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            page = render(request, "learning/public/thanks.html", {"unit": unit})
            publicform.remember_device(request, page, unit, period)
            return page
    return render(request, "learning/public/rate.html", _context(request, unit, form), status=400)
