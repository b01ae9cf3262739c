"""The registers' pages: dispatch meetings and their agreed items, the rules register and the
open-door activities — a list of the caller's scope and, for a unit's own admin (or the
campaign office for the bureau), the form that adds to it. Thin."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms import Form, formset_factory
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qingfeng.campaigns import figures, registers, selectors
from qingfeng.campaigns.forms import (
    ActivityForm,
    CancelActivityForm,
    HoldActivityForm,
    ItemForm,
    MatterForm,
    MeetingForm,
    NoteForm,
    PlanActivityForm,
    RuleForm,
    RuleLinkForm,
)
from qingfeng.campaigns.models import Activity, Campaign, MeetingItem
from qingfeng.campaigns.permissions import acts_for, can, records_for
from qingfeng.campaigns.registers import FiledMatter
from qingfeng.core import figurelist, registry
from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import guarded
from qingfeng.lib.dates import month_last_day
from qingfeng.orgs.models import Unit
from qingfeng.orgs.selectors import scope_root_units

ITEMS = formset_factory(ItemForm, extra=4, max_num=20)


def quarter_of(day: date) -> tuple[date, date]:
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return first, month_last_day(date(day.year, first.month + 2, 1))


def _own_unit(request: AuthenticatedHttpRequest) -> Unit | None:
    return next((u for u in scope_root_units(request.user) if records_for(request.user, u)), None)


def _errors(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, msgs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, msgs)
    else:
        form.add_error(None, exc.messages)


def _step(
    request: AuthenticatedHttpRequest, run: Callable[[], object], *, done: str, back: str
) -> HttpResponse:
    """A small form on a register's page: run the action, say how it went, go back."""
    try:
        run()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return HttpResponseRedirect(back)


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
    note = form.cleaned_data["note"] if form.is_valid() else ""  # refused by the action
    return _step(
        request,
        lambda: registers.check_close_item(item, actor=request.user, note=note),
        done=_("已报告落实"),
        back=reverse("campaigns:meeting", args=[item.meeting_id]),
    )


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
                    problem_numbers=data["problems"],
                    upload=data["file"],
                )
            except ValidationError as exc:
                _errors(form, exc)
            else:
                messages.success(request, _("制度已登记"))
                return HttpResponseRedirect(reverse("campaigns:rules"))
    rows = list(selectors.rules_in_scope(request.user)[:200])
    context = {
        "rows": rows,
        "form": form,
        "unit": unit,
        "openable": selectors.openable_problems(request.user, rows),
        "keeps": {r.pk for r in rows if records_for(request.user, r.unit)},
    }
    return render(request, "campaigns/rules.html", context)


@guarded(can, "report")
@require_POST
def rule_link(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """More ledger problems a rule answers (its 建章立制), by number."""
    rule = selectors.get_rule_for_user(request.user, pk)
    form = RuleLinkForm(request.POST)
    numbers = form.cleaned_data["problems"] if form.is_valid() else []  # refused by the action
    return _step(
        request,
        lambda: registers.check_link_rule_problems(
            rule, actor=request.user, problem_numbers=numbers
        ),
        done=_("已关联台账问题"),
        back=f"{reverse('campaigns:rules')}#rule-{rule.pk}",
    )


@guarded(can, "view")
@require_http_methods(["GET", "POST"])
def activities(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The activities of the caller's scope, the per-cadre count of this quarter, and for the
    unit's own admin two forms: announce one ahead (a public notice) or record one held."""
    unit = _own_unit(request)
    posted = request.POST.get("form") if request.method == "POST" else None
    plan = PlanActivityForm(request.POST if posted == "plan" else None, prefix="plan")
    record = ActivityForm(request.POST if posted == "record" else None, prefix="record")
    if posted in {"plan", "record"}:
        if unit is None:
            raise Http404
        form, write = (
            (plan, registers.check_plan_activity)
            if posted == "plan"
            else (record, registers.check_record_activity)
        )
        if form.is_valid():
            try:
                activity = write(actor=request.user, unit=unit, **form.cleaned_data)
            except ValidationError as exc:
                _errors(form, exc)
            else:
                messages.success(request, _("活动已登记"))
                return HttpResponseRedirect(reverse("campaigns:activity", args=[activity.pk]))
    first, last = quarter_of(timezone.localdate())
    context = {
        "rows": selectors.activities_in_scope(request.user)[:200],
        "tally": selectors.activity_tally(request.user, first, last),
        "quarter": (first, last),
        "kinds": Activity.Kind.choices,
        "plan": plan,
        "record": record,
        "unit": unit,
    }
    return render(request, "campaigns/activities.html", context)


def _matter_form(data: Any = None) -> MatterForm | None:
    sink = registry.complaint_sink()
    return None if sink is None else MatterForm(data, categories=sink.categories())


@guarded(can, "view")
@require_GET
def activity_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    activity = selectors.get_activity_for_user(request.user, pk)
    return _activity_page(request, activity)


def _activity_page(
    request: AuthenticatedHttpRequest,
    activity: Activity,
    *,
    matter: MatterForm | None = None,
    receipt: FiledMatter | None = None,
    status: int = 200,
) -> HttpResponse:
    own = records_for(request.user, activity.unit)
    open_ = activity.status != Activity.Status.CANCELLED
    started = activity.held_on <= timezone.localdate()
    context = {
        "activity": activity,
        "matters": selectors.matters_of(activity),
        "own": own,
        "hold": HoldActivityForm() if own and activity.status == "planned" and started else None,
        "cancel": (
            CancelActivityForm()
            if own and activity.status == "planned" and activity.held_on >= timezone.localdate()
            else None
        ),
        "matter": (matter or _matter_form()) if own and open_ and started else None,
        "filed": receipt,
        "notice": activity.is_public and bool(activity.how_to_come),
    }
    return render(request, "campaigns/activity.html", context, status=status)


@guarded(can, "report")
@require_POST
def activity_hold(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    activity = selectors.get_activity_for_user(request.user, pk)
    form = HoldActivityForm(request.POST)
    found = form.cleaned_data["found"] if form.is_valid() else ""
    return _step(
        request,
        lambda: registers.check_hold_activity(activity, actor=request.user, found=found),
        done=_("已登记举行情况"),
        back=reverse("campaigns:activity", args=[pk]),
    )


@guarded(can, "report")
@require_POST
def activity_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    activity = selectors.get_activity_for_user(request.user, pk)
    form = CancelActivityForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""  # refused by the action
    return _step(
        request,
        lambda: registers.check_cancel_activity(activity, actor=request.user, reason=reason),
        done=_("活动已取消，公告已更新"),
        back=reverse("campaigns:activity", args=[pk]),
    )


@guarded(can, "report")
@require_POST
def activity_matter(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """File one raised matter as a ticket; the answer shows its receipt code once (the page is
    not redirected: the code is kept nowhere to show it again)."""
    activity = selectors.get_activity_for_user(request.user, pk)
    form = _matter_form(request.POST)
    if form is None:
        raise Http404
    if form.is_valid():
        data = form.cleaned_data
        try:
            filed = registers.check_file_matter(
                activity, actor=request.user, category_id=data["category"], kind=data["kind"],
                title=data["title"], text=data["text"],
            )  # fmt: skip
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return _activity_page(request, activity, receipt=filed)
    return _activity_page(request, activity, matter=form, status=400)


@guarded(can, "view")
@require_GET
def activity_figures(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The activities behind a dashboard number (core/figurelist.py)."""
    return figurelist.figure_records(
        request,
        figures.ACTIVITIES,
        selectors.figure_units(request.user),
        selectors.activity_listing,
        title=_("接待和下基层活动统计明细"),
    )
