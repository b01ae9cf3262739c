"""作风建设观察员: the office's list (appoint, invite, end) and the observer's own page."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qingfeng.core import registry
from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import guarded
from qingfeng.orgs.models import Unit, User
from qingfeng.orgs.selectors import scope_root_units
from qingfeng.oversight import actions, selectors
from qingfeng.oversight.actions.observers import OPEN_PHASES
from qingfeng.oversight.forms import InviteForm, ObserverForm, SuggestionForm
from qingfeng.oversight.models import Observer, Participation
from qingfeng.oversight.permissions import can
from qingfeng.oversight.views.common import refused


def _root(request: AuthenticatedHttpRequest) -> Unit:
    roots = scope_root_units(request.user)
    if not roots:
        raise Http404
    return roots[0]


def _forms(request: AuthenticatedHttpRequest, data: Any = None) -> tuple[ObserverForm, InviteForm]:
    root = _root(request)
    users = (
        User.objects.filter(is_active=True, person__unit__path__startswith=root.path)
        .exclude(pk__in=Observer.objects.filter(ended_at__isnull=True).values("user_id"))
        .select_related("person")
        .order_by("pk")
    )
    areas = Unit.objects.within(root).filter(is_active=True, depth__lte=root.depth + 1)
    invite = InviteForm(
        data,
        observers=selectors.observers_visible_to(request.user).filter(ended_at__isnull=True),
        visits=selectors.visits_to_invite(request.user),
        rounds=selectors.rounds_visible_to(request.user).filter(status__in=OPEN_PHASES),
    )
    return ObserverForm(data, users=users, areas=areas), invite


@guarded(can, "manage_observers")
@require_GET
def observers(request: AuthenticatedHttpRequest) -> HttpResponse:
    appoint, invite = _forms(request)
    rows = selectors.observers_visible_to(request.user).annotate(
        joined=Count("participations", filter=~Q(participations__kind="suggestion")),
        suggested=Count("participations", filter=Q(participations__kind="suggestion")),
    )
    return render(
        request,
        "oversight/observers.html",
        {"observers": rows, "appoint_form": appoint, "invite_form": invite},
    )


@guarded(can, "manage_observers")
@require_POST
def observer_appoint(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, _invite = _forms(request, request.POST)
    if form.is_valid():
        try:
            actions.check_appoint_observer(actor=request.user, **form.cleaned_data)
            messages.success(request, _("已聘任观察员"))
        except ValidationError as exc:
            refused(request, exc)
    else:
        messages.error(request, _("请检查填写的内容"))
    return HttpResponseRedirect(reverse("oversight:observers"))


@guarded(can, "manage_observers")
@require_POST
def observer_invite(request: AuthenticatedHttpRequest) -> HttpResponse:
    _appoint, form = _forms(request, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.check_invite_observer(
                data["observer"],
                actor=request.user,
                visit=data["visit"],
                round_=data["round"],
                note=data["note"],
            )
            messages.success(request, _("已邀请观察员"))
        except ValidationError as exc:
            refused(request, exc)
    else:
        messages.error(request, _("请检查填写的内容"))
    return HttpResponseRedirect(reverse("oversight:observers"))


@guarded(can, "manage_observers")
@require_POST
def observer_end(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    actions.do_end_observer(selectors.get_observer_for_user(request.user, pk), actor=request.user)
    messages.success(request, _("已解聘"))
    return HttpResponseRedirect(reverse("oversight:observers"))


def _suggestion_form(observer: Observer, data: object = None) -> SuggestionForm:
    sink = registry.complaint_sink()
    units = Unit.objects.within(observer.area).filter(is_active=True).order_by("path")
    return SuggestionForm(data, units=units, categories=sink.categories() if sink else [])


def _published(area: Unit) -> list[str]:
    """What the apps published about the area (core/registry.py `PublishedPanel`: the
    evaluation's results of its published rounds), each rendered by its app."""
    rendered = []
    for panel in registry.published_panels():
        context = panel.context(area.path)
        if context is not None:
            rendered.append(get_template(panel.template).render(dict(context)))
    return rendered


@guarded(can, "observe")
@require_GET
def observer(request: AuthenticatedHttpRequest) -> HttpResponse:
    found = selectors.observer_of(request.user)
    if found is None:
        raise Http404
    today = timezone.localdate()
    start = date(today.year, 1, 1)
    return render(
        request,
        "oversight/observer.html",
        {
            "observer": found,
            "since": start,
            "figures": selectors.area_figures(found.area, start, today),
            "progress": selectors.area_progress(found.area),
            "published": _published(found.area),
            "participations": selectors.participations_of(found),
            "form": _suggestion_form(found),
            "suggestion": Participation.Kind.SUGGESTION,
        },
    )


@guarded(can, "observe")
@require_POST
def observer_suggest(request: AuthenticatedHttpRequest) -> HttpResponse:
    found = selectors.observer_of(request.user)
    if found is None:
        raise Http404
    form = _suggestion_form(found, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            row = actions.check_raise_suggestion(
                actor=request.user,
                unit=data["unit"],
                category_id=data["category"],
                title=data["title"],
                text=data["text"],
                idempotency_key=data["idempotency_key"],
            )
            messages.success(request, _("已提交，工单编号 %(n)s") % {"n": row.ticket})
        except ValidationError as exc:
            refused(request, exc)
    else:
        messages.error(request, _("请检查填写的内容"))
    return HttpResponseRedirect(reverse("oversight:observer"))
