"""Ledger pages: the list, a problem with its timeline and forms, my items, the leader's view.

Each view: scoped selector → form → action → redirect or render. The forms of the detail page
post to small views below; each re-checks the policy for that action.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qingfeng.core import registry
from qingfeng.core.attachments import download
from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.listing import KeysetList
from qingfeng.core.policy import guarded, signed_in
from qingfeng.core.transition_views import TransitionViews
from qingfeng.ledger import actions, selectors
from qingfeng.ledger.actions import rechecks
from qingfeng.ledger.figures import FIGURES
from qingfeng.ledger.forms import (
    ClosureForm,
    DisclosureForm,
    FeedbackForm,
    LedgerFilterForm,
    OfflinePublicationForm,
    ProblemEditForm,
    ProblemForm,
    PublicationDecisionForm,
    ReasonForm,
    ReportForm,
    VerifyForm,
)
from qingfeng.ledger.models import Problem, Recheck
from qingfeng.ledger.permissions import REGISTRARS, _roles, available_actions, can
from qingfeng.lib.redact import Audience, person_names, redact
from qingfeng.orgs import selectors as org_selectors
from qingfeng.orgs.models import Person, Unit, User

ACTIONS = (
    "assign",
    "accept",
    "report",
    "request_closure",
    "verify",
    "withdraw",
    "feedback",
    "disclose",
    "publish_offline",
    "approve_offline",
)


def _ledger_filter(user: User, data: dict[str, Any]) -> selectors.LedgerFilter:
    unit = org_selectors.get_unit_for_user(user, data["unit"]) if data.get("unit") else None
    category = data.get("category")
    return selectors.LedgerFilter(
        unit=unit,
        list_kind=data.get("list_kind") or "",
        source=data.get("source") or "",
        category=category.pk if category else None,
        status=data.get("status") or "",
        light=data.get("light") or "",
        deadline_from=data.get("deadline_from"),
        deadline_to=data.get("deadline_to"),
        responsible=data.get("responsible") or "",
        text=data.get("q") or "",
        figure=data.get("figure") or "",
        period_from=data.get("period_from"),
        period_to=data.get("period_to"),
        own=bool(data.get("own")) and unit is not None,
    )


LEDGER = KeysetList(
    form=LedgerFilterForm,
    parse=_ledger_filter,
    select=selectors.filter_problems,
    page=selectors.page_after,
    cursor=selectors.Cursor,
    lights=selectors.counts_by_light,
    kept_lights=selectors.list_lights,
    template="ledger/list.html",
    fragment="ledger/partials/problem_rows.html",
)


@guarded(can, "view_ledger")
def ledger_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    listing = LEDGER.read(request, user)
    return listing.render(
        request,
        unit=listing.filter.unit,
        can_register=can(user, "register"),
        figure=_figure_banner(user, listing.filter),
    )


def _figure_banner(user: User, flt: selectors.LedgerFilter) -> dict[str, Any] | None:
    """When the list is a dashboard number's records: which number, its period, and how many
    records (one count of a narrowed list, so that the number can be checked against it)."""
    if not flt.figure:
        return None
    label = next((f.label for f in FIGURES if f.key == flt.figure), flt.figure)
    return {
        "label": label,
        "first": flt.period_from,
        "last": flt.period_to,
        "total": selectors.filter_problems(user, flt).count(),
    }


def _problem_form(request: AuthenticatedHttpRequest, user: User, data: Any = None) -> ProblemForm:
    units = (
        org_selectors.units_visible_to(user)
        .filter(Q(pk__in=[]) | Q(is_active=True))
        .order_by("path")
    )
    unit_id = (data or {}).get("unit") or request.GET.get("unit")
    people = Person.objects.none()
    if unit_id and str(unit_id).isdigit():
        unit = units.filter(pk=int(unit_id)).first()
        if unit is not None:
            people = selectors.responsible_candidates(unit)
    parents = selectors.parent_candidates(user)
    # A link may suggest what to register (the dashboard's warnings: 立为督办问题); the person
    # still reads, completes and submits the form.
    suggested = {
        key: request.GET[key][:limit]
        for key, limit in (("source", 20), ("title", 200), ("description", 2000))
        if request.GET.get(key)
    }
    return ProblemForm(
        data, units=units, people=people, parents=parents, initial={"unit": unit_id, **suggested}
    )


@guarded(can, "register")
def problem_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    form = _problem_form(request, user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        unit: Unit = data.pop("unit")
        if not can(user, "register", Problem(unit=unit)):
            raise Http404
        measures = [line.strip() for line in data.pop("measures").splitlines() if line.strip()]
        try:
            problem = actions.check_create_problem(actor=user, unit=unit, measures=measures, **data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, _("已登记问题 %(n)s（草稿），交办后责任方才能看到") % {"n": problem.number}
            )
            return redirect("ledger:detail", pk=problem.pk)
    return render(request, "ledger/new.html", {"form": form})


@guarded(can, "register")
def people_options(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The responsible-person choices for the unit picked on the form (htmx)."""
    form = _problem_form(request, request.user, None)
    return render(request, "ledger/partials/people_options.html", {"form": form})


def _add_errors(form: ProblemForm | ProblemEditForm, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@signed_in
def problem_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    problem = selectors.with_page_details(selectors.get_problem_for_user(user, pk), viewer=user)
    available = set(available_actions(user, problem))
    context = {
        "problem": problem,
        "measures": problem.measures.all(),
        "transitions": problem.transitions.all(),
        "reports": problem.reports.all(),
        "verifications": problem.verifications.all(),
        "feedback": problem.feedback.all(),
        "publications": problem.offline_publications.all(),
        "publication_form": OfflinePublicationForm(initial={"published_on": timezone.localdate()}),
        "children": problem.children.all(),
        "cooperating": problem.cooperating_units.all(),
        "source_groups": _source_groups(user, problem),
        # 建章立制: the rules other apps' registers link to this problem (the rules register).
        "rule_links": registry.problem_links("rules", [problem.pk], user).get(problem.pk, []),
        "show": {action: action in available for action in ACTIONS},
        "can_edit": can(user, "edit", problem),
        "report_form": ReportForm(initial={"progress": problem.progress}),
        "closure_form": ClosureForm(),
        "verify_form": VerifyForm(),
        "reason_form": ReasonForm(),
        "feedback_form": FeedbackForm(),
        "disclosure_form": DisclosureForm(
            initial={"public_text": problem.public_text or _suggest_public_text(problem)},
            names=_disclosure_names(problem),
        )
        if "disclose" in available
        else None,
        "today": timezone.localdate(),
    }
    return render(request, "ledger/detail.html", context)


def _source_groups(user: User, problem: Problem) -> list[tuple[Any, str, list[Any]]]:
    """The records this problem came from, by source (tickets, findings…): their numbers and
    states are shown to everyone who sees the problem — the feedback gate reads those states —
    and each links only where the viewer may open it."""
    groups = []
    for source in registry.problem_sources():
        records = source.records(problem, viewer=user)
        if records:
            groups.append((source.label, source.key, records))
    return groups


def _responsible_names(problem: Problem) -> list[str]:
    return [
        p.name for p in (problem.responsible_person, problem.responsible_leader) if p is not None
    ]


def _suggest_public_text(problem: Problem) -> str:
    """The problem as /progress/ would show it: every person hidden (lib.redact, public)."""
    return redact(
        f"{problem.title}。{problem.description}",
        names=_responsible_names(problem),
        audience=Audience.PUBLIC,
        roster=org_selectors.roster_names(problem.unit),
    )


def _disclosure_names(problem: Problem) -> list[str]:
    """The people the problem's text names, which the publisher may choose to show; the
    responsible person never."""
    hidden = set(_responsible_names(problem))
    found = person_names(
        f"{problem.title}。{problem.description}", roster=org_selectors.roster_names(problem.unit)
    )
    return [n for n in found if n not in hidden]


MOVES = TransitionViews(
    name="problem",
    lookup=selectors.get_problem_for_user,
    policy=can,
    redirect=lambda user, problem: reverse("ledger:detail", args=[problem.pk]),
)


def _assign(request: AuthenticatedHttpRequest, problem: Problem, user: User) -> str:
    actions.check_assign(problem, actor=user, requirement=request.POST.get("requirement", ""))
    return _("已交办，整改时限 %(d)s") % {
        "d": problem.deadline.isoformat() if problem.deadline else _("长期坚持")
    }


def _accept(request: AuthenticatedHttpRequest, problem: Problem, user: User) -> str:
    actions.do_accept(problem, actor=user)
    return _("已签收")


def _report(request: AuthenticatedHttpRequest, problem: Problem, user: User) -> str:
    form = ReportForm(request.POST)
    if not form.is_valid():
        raise ValidationError([str(e) for errors in form.errors.values() for e in errors])
    files = [(f, form.cleaned_data["phase"]) for f in request.FILES.getlist("files")]
    done = [int(v) for v in request.POST.getlist("measures_done") if v.isdigit()]
    actions.check_report_progress(
        problem,
        actor=user,
        progress=form.cleaned_data["progress"],
        text=form.cleaned_data["text"],
        files=files,
        measures_done=done,
    )
    return _("已报送进展")


def _request_closure(request: AuthenticatedHttpRequest, problem: Problem, user: User) -> str:
    actions.check_request_closure(problem, actor=user, text=request.POST.get("text", ""))
    return _("已申请销号，等待审核")


def _verify(request: AuthenticatedHttpRequest, problem: Problem, user: User) -> str:
    form = VerifyForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("请选择审核结论并填写审核意见"))
    verification = actions.check_verify(
        problem,
        verifier=user,
        outcome=form.cleaned_data["outcome"],
        comment=form.cleaned_data["comment"],
    )
    return _("审核完成：%(o)s") % {"o": verification.get_outcome_display()}


def _withdraw(request: AuthenticatedHttpRequest, problem: Problem, user: User) -> str:
    actions.check_withdraw(problem, actor=user, reason=request.POST.get("reason", ""))
    return _("已撤回")


def _feedback(request: AuthenticatedHttpRequest, problem: Problem, user: User) -> str:
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("请选择反馈类型并填写内容"))
    actions.check_add_feedback(
        problem, actor=user, kind=form.cleaned_data["kind"], text=form.cleaned_data["text"]
    )
    return _("已记录反馈")


def _disclose(request: AuthenticatedHttpRequest, problem: Problem, user: User) -> str:
    form = DisclosureForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("请填写公开内容"))
    actions.check_set_disclosure(
        problem,
        actor=user,
        public_text=form.cleaned_data["public_text"],
        publish=form.cleaned_data["publish"],
        keep_names=request.POST.getlist("keep_names"),
    )
    return _("已公开") if form.cleaned_data["publish"] else _("已保存，暂不公开")


def _publish_offline(request: AuthenticatedHttpRequest, problem: Problem, user: User) -> str:
    form = OfflinePublicationForm(request.POST, request.FILES)
    if not form.is_valid():
        raise ValidationError([str(e) for errors in form.errors.values() for e in errors])
    actions.check_record_offline_publication(
        problem,
        actor=user,
        channel=form.cleaned_data["channel"],
        published_on=form.cleaned_data["published_on"],
        summary=form.cleaned_data["summary"],
        upload=form.cleaned_data["file"],
    )
    return _("已登记线下公开，待局审核认可")


def _approve_offline(request: AuthenticatedHttpRequest, problem: Problem, user: User) -> str:
    form = PublicationDecisionForm(request.POST)
    if not form.is_valid():
        raise ValidationError(_("请选择审核结论"))
    publication = problem.offline_publications.filter(pk=form.cleaned_data["publication"]).first()
    if publication is None:
        raise Http404
    actions.check_decide_offline_publication(
        publication,
        actor=user,
        approve=form.cleaned_data["approve"],
        comment=form.cleaned_data["comment"],
    )
    return _("已认可线下公开") if form.cleaned_data["approve"] else _("已退回线下公开")


problem_assign = MOVES.view("assign", _assign)
problem_accept = MOVES.view("accept", _accept)
problem_report = MOVES.view("report", _report)
problem_request_closure = MOVES.view("request_closure", _request_closure)
problem_verify = MOVES.view("verify", _verify)
problem_withdraw = MOVES.view("withdraw", _withdraw)
problem_feedback = MOVES.view("feedback", _feedback)
problem_disclose = MOVES.view("disclose", _disclose)
problem_publish_offline = MOVES.view("publish_offline", _publish_offline)
problem_approve_offline = MOVES.view("approve_offline", _approve_offline)


@require_POST
@guarded(can, "register")
def bulk_assign(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()]
    problems = (
        selectors.problems_visible_to(user)
        .filter(pk__in=ids, status=Problem.Status.DRAFT)
        .select_related("unit")
    )
    done, failed = 0, []
    for problem in problems:
        if not can(user, "assign", problem):
            continue
        try:
            actions.check_assign(problem, actor=user)
            done += 1
        except ValidationError as exc:
            failed.append(f"{problem.number}：{'；'.join(exc.messages)}")
    messages.success(request, _("已交办 %(n)d 个问题") % {"n": done})
    for line in failed:
        messages.error(request, line)
    return redirect(request.POST.get("next") or "ledger:list")


@signed_in
def evidence_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """Evidence is served only through the problem's scope: outside it, a 404."""
    return download(selectors.get_evidence_for_user(request.user, pk))


@signed_in
def publication_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """An offline publication's evidence, through the problem's scope as evidence is."""
    return download(selectors.get_publication_for_user(request.user, pk))


@guarded(can, "view_own")
def my_items(request: AuthenticatedHttpRequest) -> HttpResponse:
    problems = selectors.my_items(request.user)
    return render(
        request,
        "ledger/mine.html",
        {"rows": problems[:200], "lights": selectors.counts_by_light(problems)},
    )


@guarded(can, "view_liaison")
def liaison_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A leader's counties: lights per county and the red items first."""
    rows = selectors.liaison_overview(request.user)
    if not rows:  # no liaison area
        raise Http404
    return render(request, "ledger/liaison.html", {"rows": rows})


def registrar_roles() -> list[str]:
    return _roles(REGISTRARS)


@guarded(can, "view_ledger")
def recheck_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """回头看: the re-checks drawn in the user's scope, pending first."""
    user = request.user
    items = (
        selectors.rechecks_visible_to(user)
        .select_related("problem__unit", "decided_by__person")
        .order_by("outcome", "-created_at")[:300]
    )
    rows = [
        {
            "recheck": r,
            "can_decide": r.outcome == Recheck.Outcome.PENDING and can(user, "verify", r.problem),
        }
        for r in items
    ]
    return render(request, "ledger/rechecks.html", {"rows": rows})


@require_POST
@guarded(can, "view_ledger")
def recheck_decide(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    recheck = selectors.get_recheck_for_user(user, pk)
    problem = recheck.problem
    if not can(user, "verify", problem):
        raise Http404
    try:
        rechecks.check_decide_recheck(
            recheck,
            actor=user,
            passed=request.POST.get("outcome") == "passed",
            comment=request.POST.get("comment", ""),
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("复查结论已记录"))
    return redirect("ledger:rechecks")


EDIT_FIELDS = (
    "category",
    "dimension",
    "title",
    "description",
    "cause",
    "goal",
    "responsible_person",
    "responsible_leader",
    "rectification_type",
    "deadline",
    "rules_adopted",
    "accountability",
    "remarks",
)


@signed_in
def problem_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    user = request.user
    problem = selectors.get_problem_for_user(user, pk)
    if not can(user, "edit", problem):
        raise Http404
    people = selectors.responsible_candidates(problem.unit)
    initial = {f: getattr(problem, f) for f in EDIT_FIELDS}
    form = ProblemEditForm(request.POST or None, people=people, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {f: form.cleaned_data[f] for f in form.changed_data if f in EDIT_FIELDS}
        try:
            if changes:
                actions.check_update_problem(
                    problem,
                    actor=user,
                    deadline_reason=form.cleaned_data["deadline_reason"],
                    **changes,
                )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("已保存修改") if changes else _("没有修改"))
            return redirect("ledger:detail", pk=problem.pk)
    return render(request, "ledger/new.html", {"form": form, "editing": problem})
