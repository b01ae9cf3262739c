"""The human check's two pages, for any public form: the question as an SVG image, and a new
question (the "换一题" link swaps the block in place with htmx).

    HUMAN_CHECK = HumanCheckViews(check=HumanCheck(namespace="evaluation", switch=...),
                                  work=WorkCheck(namespace="evaluation", switch=...),
                                  url_namespace="rate")
    urlpatterns = [..., *HUMAN_CHECK.urls()]          # in the form's public URLconf
    context = {**HUMAN_CHECK.context(level=n), ...}   # on the form's page
    {% include "core/partials/human_check.html" with error=form.captcha_answer.errors %}
    {% include "core/partials/work_check.html" with error=form.work_solution.errors %}

`level` is how much harder the proof of work is made for this address (see `work.py`).
When the form asks for the checks (a busy address, a repeat from the same phone), the view
calls `HUMAN_CHECK.require(form.cleaned_data)` before its action, and shows what it raises
with `add_errors(form, exc)` next to the two partials.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from qingfeng.core.policy import public
from qingfeng.core.publicform.captcha import HumanCheck
from qingfeng.core.publicform.work import WorkCheck

TEMPLATE = "core/partials/human_check.html"


@dataclass(frozen=True)
class HumanCheckViews:
    check: HumanCheck
    url_namespace: str  # the form's URLconf namespace, where urls() are mounted
    work: WorkCheck | None = None

    def context(self, *, level: int = 0) -> dict[str, Any]:
        """What the form's page needs to show the checks (nothing of one switched off)."""
        context: dict[str, Any] = {"human_check": False, "captcha_token": "", "work_check": False}
        if self.check.enabled:
            context.update(human_check=True, **self._question())
        if self.work is not None and self.work.enabled:
            challenge = json.dumps(self.work.challenge(level=level), separators=(",", ":"))
            context.update(work_check=True, work_challenge_json=challenge)
        return context

    def require(self, data: Mapping[str, Any]) -> None:
        """Refuse a submission that did not pass the checks the page showed: a ValidationError
        on `work_solution` and/or `captcha_answer` (the partials' fields), both at once so the
        person fixes everything in one round. A check that is switched off passes."""
        errors = {}
        if self.work is not None and not self.work.passes(data.get("work_solution", "")):
            errors["work_solution"] = _("安全校验未完成或已过期，请待页面提示校验完成后再提交")
        if not self.check.passes(data.get("captcha_token", ""), data.get("captcha_answer", "")):
            errors["captcha_answer"] = _("验证答案不正确或已过期，请重新计算")
        if errors:
            raise ValidationError(errors)

    def _question(self) -> dict[str, Any]:
        token = self.check.new_token()
        return {
            "captcha_token": token,
            "captcha_image_url": reverse(f"{self.url_namespace}:captcha", args=[token]),
            "captcha_new_url": reverse(f"{self.url_namespace}:captcha_new"),
        }

    def urls(self) -> list[URLPattern]:
        @public
        @never_cache
        @require_GET
        def captcha_image(request: HttpRequest, token: str) -> HttpResponse:
            svg = self.check.render_svg(token)
            if svg is None:
                raise Http404
            return HttpResponse(svg, content_type="image/svg+xml")

        @public
        @never_cache
        @require_GET
        def captcha_new(request: HttpRequest) -> HttpResponse:
            return render(request, TEMPLATE, self._question())

        return [
            path("check/new/", captcha_new, name="captcha_new"),
            path("check/<str:token>.svg", captcha_image, name="captcha"),
        ]


def add_errors(
    form: forms.Form,
    exc: ValidationError,
    *,
    field_name: Callable[[str], str | None] | None = None,
) -> None:
    """An action's ValidationError shown on the public form: each message under its field when
    the form has one (`field_name` maps an action's name to the form's), else at the top."""

    def placed(name: str) -> str | None:
        field = field_name(name) if field_name is not None else name
        return field if field in form.fields else None

    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, messages in exc.message_dict.items():
        form.add_error(placed(name), messages)
