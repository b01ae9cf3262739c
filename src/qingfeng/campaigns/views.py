"""The staff pages of the campaign (/campaigns/): the campaign and its tasks, unit plans,
the weekly dispatch (fill, review, roll-up, reminders) and the burden meter. Thin."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qingfeng.campaigns import actions, figures, fixture, selectors
from qingfeng.campaigns.evidence import progress
from qingfeng.campaigns.files import PLAN_FILE, check_submit_plan_with_file, may_attach
from qingfeng.campaigns.forms import DecisionForm, NoteForm, PlanForm, ReportForm, TaskForm
from qingfeng.campaigns.models import Campaign, WeeklyReport
from qingfeng.campaigns.permissions import acts_for, can, decides_for, issues_from
from qingfeng.campaigns.rhythm import month_bounds, week_end, week_of
from qingfeng.campaigns.workflow import PLAN, REPORT
from qingfeng.core import figurelist
from qingfeng.core.attachments import MB, body_too_large
from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import guarded
from qingfeng.lib.dates import parse_date
from qingfeng.orgs.selectors import scope_root_units


def _errors(form: Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, msgs in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, msgs)
    else:
        form.add_error(None, exc.messages)


def _labelled(events: Any, labels: Mapping[str, object]) -> list[Any]:
    """Event rows with the name of what happened (the workflow's table), for the history."""
    rows = list(events.select_related("actor"))
    for row in rows:
        row.label = labels.get(row.action, row.action)
    return rows


def _week(request: AuthenticatedHttpRequest, campaign: Campaign) -> date:
    """?week=… (any day of it), else last week — the one whose reports are due now — or the
    campaign's first week when it began only this week."""
    day = parse_date(request.GET.get("week", ""))
    if day is not None:
        return week_of(day)
    return max(week_of(timezone.localdate() - timedelta(days=7)), week_of(campaign.starts_on))


@guarded(can, "view")
@require_GET
def campaign_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "campaigns/list.html",
        {
            "campaigns": selectors.campaigns_visible_to(request.user),
            "can_manage": can(request.user, "manage"),
            "seed_name": fixture.NAME,
        },
    )


@guarded(can, "manage")
@require_POST
def campaign_seed(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The seed campaign (the campaign speech's plan), from today, owned by the user's unit."""
    roots = [u for u in scope_root_units(request.user) if can(request.user, "manage")]
    if not roots:
        raise Http404
    try:
        campaign = actions.check_create_seed_campaign(
            actor=request.user, owner=roots[0], start=timezone.localdate()
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(reverse("campaigns:list"))
    return HttpResponseRedirect(reverse("campaigns:detail", args=[campaign.pk]))


@guarded(can, "view")
@require_GET
def campaign_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.get_campaign_for_user(request.user, pk)
    user = request.user
    own = [u for u in scope_root_units(user) if acts_for(user, u)]
    unit = own[0] if own else None
    issuers = [u for u in scope_root_units(user) if issues_from(user, u)]
    mine = list(selectors.assignments_of(unit, campaign)) if unit else []
    shown = progress(mine)
    return render(
        request,
        "campaigns/detail.html",
        {
            "campaign": campaign,
            "files": campaign.files.all(),
            "files_title": _("专项工作实施方案"),
            "files_accept": ".docx,.pdf",
            "upload_url": reverse("campaigns:file_upload", args=["campaign", campaign.pk])
            if may_attach(user, campaign)
            else "",
            "phases": campaign.phases.all(),
            "projects": campaign.projects.filter(parent=None).prefetch_related("actions"),
            "unit": unit,
            "assignments": [(a, shown[a.pk]) for a in mine],
            "plan": selectors.plan_of(campaign, unit) if unit else None,
            "issued": selectors.tasks_issued(user, campaign) if issuers else [],
            "can_issue": bool(issuers),
            "plans": [
                p for p in selectors.plans_in_scope(user, campaign) if decides_for(user, p.unit)
            ],
        },
    )


@guarded(can, "issue")
@require_http_methods(["GET", "POST"])
def task_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.get_campaign_for_user(request.user, pk)
    issuers = [u for u in scope_root_units(request.user) if issues_from(request.user, u)]
    if not issuers:
        raise Http404
    projects = campaign.projects.filter(parent=None)
    form = TaskForm(request.POST or None, projects=projects)
    if request.method == "POST" and form.is_valid():
        try:
            task = actions.check_issue_task(
                campaign, actor=request.user, issuer=issuers[0], **form.cleaned_data
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            return HttpResponseRedirect(reverse("campaigns:task", args=[task.pk]))
    return render(
        request,
        "campaigns/task_new.html",
        {"form": form, "campaign": campaign, "issuer": issuers[0]},
    )


@guarded(can, "view")
@require_GET
def task_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    task = selectors.get_task_for_user(request.user, pk)
    rows = list(selectors.assignments_of_task(request.user, task))
    shown = progress(rows)
    done = sum(1 for a in rows if shown[a.pk].reached)
    return render(
        request,
        "campaigns/task.html",
        {
            "task": task,
            "rows": [(a, shown[a.pk]) for a in rows],
            "done": done,
            "rate": selectors.percent(done, len(rows)),
            "form": NoteForm(),
            "mine": {a.pk for a in rows if acts_for(request.user, a.unit)},
        },
    )


@guarded(can, "report")
@require_POST
def assignment_confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.get_assignment_for_user(request.user, pk)
    form = NoteForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("请用 200 字以内说明完成情况"))
        actions.check_confirm_assignment(
            assignment, actor=request.user, note=form.cleaned_data["note"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已确认完成"))
    return HttpResponseRedirect(reverse("campaigns:task", args=[assignment.task_id]))


@guarded(can, "report")
@require_http_methods(["GET", "POST"])
def plan_submit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.get_campaign_for_user(request.user, pk)
    own = [u for u in scope_root_units(request.user) if acts_for(request.user, u)]
    if not own:
        raise Http404
    plan = selectors.plan_of(campaign, own[0])
    if request.method == "POST" and body_too_large(request, max_bytes=PLAN_FILE.max_bytes + MB):
        messages.error(request, _("文件超过 %(mb)d MB") % {"mb": PLAN_FILE.max_bytes // MB})
        return HttpResponseRedirect(reverse("campaigns:plan_submit", args=[campaign.pk]))
    form = PlanForm(
        request.POST or None,
        request.FILES or None,
        initial={"points": plan.points if plan else ""},
    )
    if request.method == "POST" and form.is_valid():
        try:
            check_submit_plan_with_file(
                campaign,
                unit=own[0],
                actor=request.user,
                points=form.cleaned_data["points"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("实施方案已报送，等待上一级审核"))
            return HttpResponseRedirect(reverse("campaigns:detail", args=[campaign.pk]))
    return render(
        request,
        "campaigns/plan_form.html",
        {"form": form, "campaign": campaign, "unit": own[0], "plan": plan},
    )


@guarded(can, "view")
@require_http_methods(["GET", "POST"])
def plan_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    plan = selectors.get_plan_for_user(request.user, pk)
    decides = decides_for(request.user, plan.unit)
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        if not decides:
            raise Http404
        if form.is_valid():
            try:
                actions.check_decide_plan(
                    plan,
                    actor=request.user,
                    approve=form.cleaned_data["decision"] == "approve",
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("已完成"))
            return HttpResponseRedirect(reverse("campaigns:plan", args=[plan.pk]))
    return render(
        request,
        "campaigns/plan.html",
        {
            "plan": plan,
            "decides": decides,
            "events": _labelled(plan.events, PLAN.event_labels),
            "files": plan.files.all(),
            "files_accept": ".docx,.pdf",
            "upload_url": reverse("campaigns:file_upload", args=["plan", plan.pk])
            if may_attach(request.user, plan)
            else "",
        },
    )


def _current_campaign(request: AuthenticatedHttpRequest) -> Campaign | None:
    campaign_id = request.GET.get("campaign", "")
    campaigns = selectors.campaigns_visible_to(request.user)
    campaign = (
        campaigns.filter(pk=int(campaign_id)).first()
        if campaign_id.isdigit()
        else campaigns.first()
    )
    return campaign


def _none_yet(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "campaigns/list.html", {"campaigns": []})


@guarded(can, "view")
@require_GET
def weekly_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    campaign = _current_campaign(request)
    if campaign is None:
        return _none_yet(request)
    week = _week(request, campaign)
    units = selectors.scope_units(request.user, campaign)
    roll = selectors.rollup(campaign, units, week)
    return render(
        request,
        "campaigns/weekly.html",
        {
            "campaign": campaign,
            "week": week,
            "week_end": week_end(week),
            "due": actions.report_due(campaign, week),
            "previous": week - timedelta(days=7),
            "next": week + timedelta(days=7),
            "roll": roll,
            "groups": [
                (label, [(f.label, roll.totals.get(f.key, 0)) for f in figures])
                for label, figures in selectors.report_figures()
            ],
            "own": {u.pk for u in units if acts_for(request.user, u)},
            "remindable": sum(1 for u in roll.missing if decides_for(request.user, u)),
        },
    )


@guarded(can, "report")
@require_POST
def weekly_remind(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = selectors.get_campaign_for_user(request.user, pk)
    week = _week(request, campaign)
    units = list(selectors.scope_units(request.user, campaign))
    sent = actions.do_remind_missing(campaign, actor=request.user, week_start=week, units=units)
    messages.success(request, _("已向未报送单位发出 %(n)s 条催报提醒") % {"n": sent})
    url = reverse("campaigns:weekly_home")
    return HttpResponseRedirect(f"{url}?campaign={campaign.pk}&week={week.isoformat()}")


@guarded(can, "report")
@require_http_methods(["GET", "POST"])
def weekly_fill(
    request: AuthenticatedHttpRequest, pk: int, unit_id: int, week: str
) -> HttpResponse:
    campaign = selectors.get_campaign_for_user(request.user, pk)
    unit = selectors.get_unit_in_campaign(request.user, campaign, unit_id)
    week_start = parse_date(week)
    if week_start is None or not acts_for(request.user, unit):
        raise Http404
    report = selectors.report_of(campaign, unit, week_start)
    figures = selectors.prefill(unit, week_start)
    labels = selectors.label_table()
    initial = {}
    if report is not None:
        initial = {"narrative": report.narrative, "next_week": report.next_week}
        for key, c in report.corrections.items():
            initial |= {f"v_{key}": c["value"], f"r_{key}": c["reason"]}
    form = ReportForm(request.POST or None, figures=figures, labels=labels, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            report = actions.check_file_report(
                campaign,
                unit=unit,
                week_start=week_start,
                actor=request.user,
                corrections=form.corrections(),
                narrative=form.cleaned_data["narrative"],
                next_week=form.cleaned_data["next_week"],
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("周报已报送"))
            return HttpResponseRedirect(reverse("campaigns:report", args=[report.pk]))
    today = timezone.localdate()
    return render(
        request,
        "campaigns/weekly_fill.html",
        {
            "campaign": campaign,
            "unit": unit,
            "week": week_start,
            "week_end": week_end(week_start),
            "due": actions.report_due(campaign, week_start),
            "report": report,
            "locked": report is not None and actions.locked(report, today),
            "form": form,
            "cap": campaign.narrative_cap,
        },
    )


@guarded(can, "view")
@require_http_methods(["GET", "POST"])
def report_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    report = selectors.get_report_for_user(request.user, pk)
    decides = decides_for(request.user, report.unit)
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if not decides:
            raise Http404
        if form.is_valid():
            try:
                actions.check_review_report(
                    report,
                    actor=request.user,
                    approve=form.cleaned_data["decision"] == "approve",
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("已完成"))
        return HttpResponseRedirect(reverse("campaigns:report", args=[report.pk]))
    shown = selectors.shown_figures(report)
    labels = selectors.label_table()
    return render(
        request,
        "campaigns/report.html",
        {
            "report": report,
            "week_end": week_end(report.week_start),
            "rows": [
                (labels.get(k, k), report.figures.get(k), v, report.corrections.get(k))
                for k, v in shown.items()
            ],
            "decides": decides and report.status == WeeklyReport.Status.FILED,
            "own": acts_for(request.user, report.unit),
            "events": _labelled(report.events, REPORT.event_labels),
            "files": report.files.all(),
            "upload_url": reverse("campaigns:file_upload", args=["report", report.pk])
            if may_attach(request.user, report)
            else "",
        },
    )


@guarded(can, "manage")
@require_GET
def burden(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The burden meter: per unit, the forms the system asked its people to fill this month."""
    campaign = _current_campaign(request)
    if campaign is None:
        return _none_yet(request)
    month = parse_date(request.GET.get("month", "")) or timezone.localdate()
    first, last = month_bounds(month)
    units = list(selectors.scope_units(request.user, campaign))
    counts = selectors.burden([u.pk for u in units], first, last)
    kinds = selectors.burden_labels()
    rows = [
        (unit, [counts[unit.pk].get(k.key, 0) for k in kinds], sum(counts[unit.pk].values()))
        for unit in units
    ]
    return render(
        request,
        "campaigns/burden.html",
        {
            "campaign": campaign,
            "first": first,
            "last": last,
            "kinds": kinds,
            "rows": rows,
            "total": sum(r[2] for r in rows),
            "previous": (first - timedelta(days=1)).replace(day=1),
        },
    )


@guarded(can, "view")
@require_GET
def figure_records(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The records behind a campaign number of the dashboard (core/figurelist.py)."""
    return figurelist.figure_records(
        request,
        figures.SOURCE,
        selectors.figure_units(request.user),
        selectors.figure_listing,
        title=_("专项工作统计明细"),
    )
