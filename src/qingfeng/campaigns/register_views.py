"""The registers' pages: dispatch meetings and their agreed items, the rules register and the
open-door activities — a list of the caller's scope and, for a unit's own admin (or the
campaign office for the bureau), the form that adds to it. Thin."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms import Form, formset_factory
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qingfeng.campaigns import registers, selectors
from qingfeng.campaigns.forms import ActivityForm, ItemForm, MeetingForm, NoteForm, RuleForm
from qingfeng.campaigns.models import Campaign, MeetingItem
from qingfeng.campaigns.permissions import acts_for, can, records_for
from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import guarded
from qingfeng.orgs.models import Unit
from qingfeng.orgs.selectors import scope_root_units

ITEMS = formset_factory(ItemForm, extra=4, max_num=20)


def _own_unit(request: AuthenticatedHttpRequest) -> Unit | None:
    return next((u for u in scope_root_units(request.user) if records_for(request.user, u)), None)


def _errors(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, msgs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, msgs)
    else:
        form.add_error(None, exc.messages)


def _campaign(request: AuthenticatedHttpRequest) -> Campaign | None:
    return selectors.campaigns_visible_to(request.user).first()


@guarded(can, "view")
@require_http_methods(["GET", "POST"])
def meetings(request: AuthenticatedHttpRequest) -> HttpResponse:
    unit, campaign = _own_unit(request), _campaign(request)
    form = MeetingForm(request.POST or None)
    items = ITEMS(request.POST or None, prefix="items")
    if unit is not None:
        # The unit itself and the units right below it (a county's schools, the bureau's counties).
        owners = Unit.objects.filter(Q(pk=unit.pk) | Q(parent=unit), is_active=True)
        for item in items:
            item.fields["unit"].queryset = owners.order_by("path")  # type: ignore[attr-defined]
    if request.method == "POST":
        if unit is None or campaign is None:
            raise Http404
        if form.is_valid() and items.is_valid():
            rows = [
                (d["text"], d["unit"], d["due_on"])
                for d in items.cleaned_data
                if d.get("text") and d.get("unit") and d.get("due_on")
            ]
            try:
                meeting = registers.check_hold_meeting(
                    campaign, actor=request.user, unit=unit, items=rows, **form.cleaned_data
                )
            except ValidationError as exc:
                _errors(form, exc)
            else:
                messages.success(request, _("调度会已登记"))
                return HttpResponseRedirect(reverse("campaigns:meeting", args=[meeting.pk]))
    listed = selectors.meetings_in_scope(request.user)[:100]
    return render(
        request,
        "campaigns/meetings.html",
        {"rows": listed, "form": form, "items": items, "unit": unit, "campaign": campaign},
    )


@guarded(can, "view")
@require_GET
def meeting_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.get_meeting_for_user(request.user, pk)
    items = list(meeting.items.select_related("unit"))
    carried = list(selectors.carried_items(meeting))
    closable = {
        i.pk
        for i in [*items, *carried]
        if i.status == MeetingItem.Status.OPEN
        and (acts_for(request.user, i.unit) or records_for(request.user, meeting.unit))
    }
    return render(
        request,
        "campaigns/meeting.html",
        {"meeting": meeting, "items": items, "carried": carried, "closable": closable},
    )


@guarded(can, "report")
@require_POST
def item_done(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    item = selectors.get_item_for_user(request.user, pk)
    form = NoteForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("请用 200 字以内说明落实情况"))
        registers.check_close_item(item, actor=request.user, note=form.cleaned_data["note"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已报告落实"))
    return HttpResponseRedirect(reverse("campaigns:meeting", args=[item.meeting_id]))


@guarded(can, "view")
@require_http_methods(["GET", "POST"])
def rules(request: AuthenticatedHttpRequest) -> HttpResponse:
    unit = _own_unit(request)
    form = RuleForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if unit is None:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                registers.check_adopt_rule(
                    actor=request.user,
                    unit=unit,
                    title=data["title"],
                    kind=data["kind"],
                    adopted_on=data["adopted_on"],
                    answers=data["answers"],
                    upload=data["file"],
                )
            except ValidationError as exc:
                _errors(form, exc)
            else:
                messages.success(request, _("制度已登记"))
                return HttpResponseRedirect(reverse("campaigns:rules"))
    rows = selectors.rules_in_scope(request.user)[:200]
    return render(request, "campaigns/rules.html", {"rows": rows, "form": form, "unit": unit})


@guarded(can, "view")
@require_http_methods(["GET", "POST"])
def activities(request: AuthenticatedHttpRequest) -> HttpResponse:
    unit = _own_unit(request)
    form = ActivityForm(request.POST or None)
    if request.method == "POST":
        if unit is None:
            raise Http404
        if form.is_valid():
            try:
                registers.check_record_activity(actor=request.user, unit=unit, **form.cleaned_data)
            except ValidationError as exc:
                _errors(form, exc)
            else:
                messages.success(request, _("活动已登记"))
                return HttpResponseRedirect(reverse("campaigns:activities"))
    rows = selectors.activities_in_scope(request.user)[:200]
    return render(request, "campaigns/activities.html", {"rows": rows, "form": form, "unit": unit})
