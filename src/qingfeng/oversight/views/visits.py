"""Sealed visits: the list, planning, the reveal, and the record on site (phone first)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qingfeng.core import figurelist
from qingfeng.core.attachments import download
from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import guarded
from qingfeng.orgs.models import Unit, User
from qingfeng.oversight import actions, export, figures, selectors
from qingfeng.oversight.forms import CancelForm, FindingForm, RecordForm, VisitForm
from qingfeng.oversight.models import CHECKLIST, FindingPhoto, Visit
from qingfeng.oversight.permissions import can, on_team, reveal_open
from qingfeng.oversight.views.common import form_errors, refused


@guarded(can, "view")
@require_GET
def visits(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "oversight/visits.html",
        {
            "visits": selectors.visits_visible_to(request.user)[:100],
            "can_plan": can(request.user, "manage"),
        },
    )


@guarded(can, "manage")
@require_http_methods(["GET", "POST"])
def visit_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    group = selectors.get_group_for_user(request.user, pk)
    if not can(request.user, "manage", group):
        raise Http404
    people = User.objects.filter(
        pk__in=[group.leader_id, *group.members.values_list("pk", flat=True)]
    )
    units = Unit.objects.filter(
        kind__in=[Unit.Kind.SCHOOL, Unit.Kind.KINDERGARTEN], is_active=True
    ).filter(parent__in=group.regions.all())
    if group.stages:
        units = units.filter(stage__in=group.stages)
    form = VisitForm(request.POST or None, people=people.select_related("person"), units=units)
    if request.method == "POST" and form.is_valid():
        try:
            visit = actions.check_plan_visit(actor=request.user, group=group, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            messages.success(request, _("督导计划已密封"))
            return HttpResponseRedirect(reverse("oversight:visit", args=[visit.pk]))
    title = _("安排四不两直督导 · %(g)s") % {"g": group.name}
    return render(request, "oversight/form.html", {"form": form, "title": title})


def _visit(request: AuthenticatedHttpRequest, pk: int) -> Visit:
    return selectors.get_visit_for_user(request.user, pk)


@guarded(can, "view")
@require_GET
def visit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _visit(request, pk)
    team = on_team(request.user, found)
    recording = found.status == Visit.Status.STARTED and team
    return render(
        request,
        "oversight/visit.html",
        {
            "visit": found,
            "team": found.team.select_related("person").order_by("pk"),
            "findings": selectors.findings_of(found),
            "checklist": [
                (k, CHECKLIST.get(k, k), found.checklist.get(k, "")) for k in found.checklist_items
            ],
            "can_reveal": can(request.user, "reveal", found),
            "can_start": team and found.status == Visit.Status.SEALED and reveal_open(found),
            "can_cancel": can(request.user, "cancel", found),
            "record_form": RecordForm(
                initial={
                    "met": found.met,
                    "summary": found.summary,
                    **{f"check_{k}": v for k, v in found.checklist.items()},
                },
                items=found.checklist_items,
            )
            if recording
            else None,
            "finding_form": FindingForm(items=found.checklist_items) if recording else None,
            "cancel_form": CancelForm(),
        },
    )


@guarded(can, "reveal")
@require_POST
def visit_reveal(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _visit(request, pk)
    try:
        unit = actions.reveal_target(found, viewer=request.user)
    except ValidationError as exc:
        refused(request, exc)
        return HttpResponseRedirect(reverse("oversight:visit", args=[found.pk]))
    return render(request, "oversight/reveal.html", {"visit": found, "unit": unit})


def _act(request: AuthenticatedHttpRequest, pk: int, run: object, done: str) -> HttpResponse:
    found = _visit(request, pk)
    try:
        run(found)  # type: ignore[operator]
    except ValidationError as exc:
        refused(request, exc)
    else:
        messages.success(request, done)
    return HttpResponseRedirect(reverse("oversight:visit", args=[found.pk]))


@guarded(can, "record")
@require_POST
def visit_start(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _act(
        request, pk, lambda v: actions.check_start_visit(v, actor=request.user), _("已开始督导")
    )


@guarded(can, "record")
@require_POST
def visit_finish(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        lambda v: actions.check_finish_visit(v, actor=request.user),
        _("督导已结束，发现的问题已转入台账"),
    )


@guarded(can, "manage")
@require_POST
def visit_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _visit(request, pk)
    if not can(request.user, "cancel", found):
        raise Http404
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _act(
        request,
        pk,
        lambda v: actions.do_cancel_visit(v, actor=request.user, reason=reason),
        _("已取消"),
    )


@guarded(can, "record")
@require_POST
def visit_record(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _visit(request, pk)
    form = RecordForm(request.POST, items=found.checklist_items)
    if not form.is_valid():
        messages.error(request, _("请检查填写的内容"))
        return HttpResponseRedirect(reverse("oversight:visit", args=[found.pk]))
    return _act(
        request,
        pk,
        lambda v: actions.check_save_record(
            v,
            actor=request.user,
            met=form.cleaned_data["met"],
            summary=form.cleaned_data["summary"],
            checklist=form.checklist(),
        ),
        _("已保存"),
    )


@guarded(can, "record")
@require_POST
def visit_finding(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = _visit(request, pk)
    form = FindingForm(request.POST, request.FILES, items=found.checklist_items)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return HttpResponseRedirect(reverse("oversight:visit", args=[found.pk]))
    return _act(
        request,
        pk,
        lambda v: actions.check_add_finding(v, actor=request.user, **form.cleaned_data),
        _("已记录问题"),
    )


@guarded(can, "view")
@require_GET
def photo(request: AuthenticatedHttpRequest, pk: int, photo_id: int) -> HttpResponseBase:
    found = _visit(request, pk)
    return download(get_object_or_404(FindingPhoto, finding__visit=found, pk=photo_id))


@guarded(can, "view")
@require_GET
def visits_export(request: AuthenticatedHttpRequest) -> HttpResponse:
    rows = selectors.visits_visible_to(request.user).prefetch_related("findings__problem")
    return export.response(export.visits_workbook(rows[:2000]), "visits.xlsx")


@guarded(can, "view")
@require_GET
def figure_records(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The records behind an oversight number of the dashboard (core/figurelist.py)."""
    return figurelist.figure_records(
        request,
        figures.SOURCE,
        selectors.figure_units(request.user),
        selectors.figure_listing(request.user),
        title=_("督导巡察统计明细"),
    )
