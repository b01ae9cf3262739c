"""The bureau's page of study types (/learning/types/): list, add, edit, deactivate and
reactivate the types with their cadence and audience. Thin: the form, an action, a redirect."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import guarded
from qingfeng.learning import actions, selectors
from qingfeng.learning.actions.types import FIELDS
from qingfeng.learning.forms import SessionTypeForm
from qingfeng.learning.models import SessionType
from qingfeng.learning.permissions import can
from qingfeng.learning.views import _errors, _flash
from qingfeng.orgs.models import Person


@guarded(can, "configure")
@require_GET
def types(request: AuthenticatedHttpRequest) -> HttpResponse:
    labels = dict(Person.PostType.choices)
    rows = [(t, [labels.get(p, p) for p in t.post_types]) for t in selectors.all_types()]
    return render(request, "learning/types.html", {"rows": rows})


def _form_page(request: AuthenticatedHttpRequest, item: SessionType | None) -> HttpResponse:
    initial = {f: getattr(item, f) for f in FIELDS} if item else None
    form = SessionTypeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = actions.check_save_session_type(item, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("学习类型“%(n)s”已保存") % {"n": saved.name})
            return HttpResponseRedirect(reverse("learning:types"))
    return render(request, "learning/type_form.html", {"form": form, "item": item})


@guarded(can, "configure")
@require_http_methods(["GET", "POST"])
def type_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _form_page(request, None)


@guarded(can, "configure")
@require_http_methods(["GET", "POST"])
def type_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _form_page(request, selectors.get_type(pk))


@guarded(can, "configure")
@require_POST
def type_active(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_type(pk)
    active = request.POST.get("active") == "1"
    try:
        actions.check_set_session_type_active(item, actor=request.user, active=active)
        messages.success(
            request,
            (_("学习类型“%(n)s”已启用") if active else _("学习类型“%(n)s”已停用"))
            % {"n": item.name},
        )
    except ValidationError as exc:
        _flash(request, exc)
    return HttpResponseRedirect(reverse("learning:types"))
