"""Draws: commit, the two public values, the certificate and its verification, publication,
and the visits made from a draw."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import guarded
from qingfeng.orgs.models import Unit
from qingfeng.orgs.selectors import scope_root_units
from qingfeng.oversight import actions, drawing, export, selectors
from qingfeng.oversight.forms import DrawForm, PlanFromDrawForm, ValueForm
from qingfeng.oversight.models import Draw
from qingfeng.oversight.permissions import can
from qingfeng.oversight.views.common import form_errors, refused


@guarded(can, "manage")
@require_GET
def draws(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request, "oversight/draws.html", {"draws": selectors.draws_visible_to(request.user)[:100]}
    )


@guarded(can, "manage")
@require_http_methods(["GET", "POST"])
def draw_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    roots = scope_root_units(request.user)
    if not roots:
        raise Http404
    owner = roots[0]
    counties = Unit.objects.within(owner).filter(kind=Unit.Kind.COUNTY, is_active=True)
    form = DrawForm(request.POST or None, counties=counties)
    if request.method == "POST" and form.is_valid():
        try:
            draw = actions.check_commit_draw(
                actor=request.user, owner=owner, **form.action_kwargs()
            )
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("承诺值已公布，请按约定录入公开随机数"))
            return HttpResponseRedirect(reverse("oversight:draw", args=[draw.pk]))
    return render(request, "oversight/form.html", {"form": form, "title": _("新建双随机抽取")})


def _draw(request: AuthenticatedHttpRequest, pk: int) -> Draw:
    return selectors.get_draw_for_user(request.user, pk)


@guarded(can, "manage")
@require_GET
def draw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _draw(request, pk)
    entered = list(found.values.select_related("entered_by__person"))
    groups = selectors.groups_visible_to(request.user).filter(is_active=True)
    return render(
        request,
        "oversight/draw.html",
        {
            "draw": found,
            "values": entered,
            "rows": export.draw_rows(found),
            "value_form": ValueForm() if found.status == Draw.Status.COMMITTED else None,
            "entered_by_me": any(v.entered_by_id == request.user.pk for v in entered),
            "plan_form": PlanFromDrawForm(groups=groups)
            if found.status == Draw.Status.DRAWN
            and found.purpose == Draw.Purpose.VISIT
            and not found.visits.exists()
            else None,
            "visits": found.visits.all(),
            "notice_url": reverse("notice:draw", args=[found.number]),
            "publication": selectors.publication_due(found),
            "publish_workdays": settings.QF_OVERSIGHT_PUBLISH_WORKDAYS,
        },
    )


@guarded(can, "manage")
@require_POST
def draw_value(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _draw(request, pk)
    form = ValueForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写公开随机数及其来源"))
    else:
        try:
            actions.check_enter_value(found, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            refused(request, exc)
        else:
            messages.success(request, _("已录入"))
    return HttpResponseRedirect(reverse("oversight:draw", args=[found.pk]))


@guarded(can, "manage")
@require_GET
def draw_certificate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _draw(request, pk)
    if found.status != Draw.Status.DRAWN:
        raise Http404
    body = json.dumps(actions.certificate(found), ensure_ascii=False, indent=1)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{found.number}.json"'
    return response


@guarded(can, "manage")
@require_POST
def draw_verify(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _draw(request, pk)
    if found.status != Draw.Status.DRAWN:
        raise Http404
    problems = drawing.verify(actions.certificate(found))
    if problems:
        messages.error(request, _("验证未通过：%(p)s") % {"p": "；".join(problems)})
    else:
        messages.success(request, _("验证通过：由抽取证书重新计算的结果与记录一致"))
    return HttpResponseRedirect(reverse("oversight:draw", args=[found.pk]))


@guarded(can, "manage")
@require_POST
def draw_publish(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _draw(request, pk)
    try:
        actions.check_publish_draw(found, actor=request.user)
    except ValidationError as exc:
        refused(request, exc)
    else:
        messages.success(request, _("抽查结果已公开"))
    return HttpResponseRedirect(reverse("oversight:draw", args=[found.pk]))


@guarded(can, "manage")
@require_POST
def draw_plan(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _draw(request, pk)
    groups = selectors.groups_visible_to(request.user).filter(is_active=True)
    form = PlanFromDrawForm(request.POST, groups=groups)
    if not form.is_valid():
        messages.error(request, _("请选择督导组、时间和检查项目"))
    else:
        try:
            made = actions.plan_visits_from_draw(found, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            refused(request, exc)
        else:
            messages.success(request, _("已生成 %(n)d 个密封督导计划") % {"n": len(made)})
    return HttpResponseRedirect(reverse("oversight:draw", args=[found.pk]))


@guarded(can, "manage")
@require_GET
def draw_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _draw(request, pk)
    if found.status != Draw.Status.DRAWN:
        raise Http404
    return export.response(export.draw_workbook(found), f"{found.number}.xlsx")
