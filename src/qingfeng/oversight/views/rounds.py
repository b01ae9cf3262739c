"""巡察 rounds: the list, a new round, and the round's workspace — the clock and the phases,
the team and its declarations, document requests, interviews (the team's only), the units'
reception groups and self-checks, the findings. A unit sees only its own part."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qingfeng.core.attachments import download
from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.policy import guarded
from qingfeng.core.scope import in_scope
from qingfeng.lib.filetypes import DOCX
from qingfeng.orgs.models import Unit, User
from qingfeng.orgs.selectors import scope_root_units
from qingfeng.oversight import actions, export, selectors
from qingfeng.oversight.actions.rounds import is_team, round_units
from qingfeng.oversight.forms import (
    AnswerForm,
    DeclarationForm,
    InterviewForm,
    LinkDrawForm,
    ReceptionForm,
    RequestForm,
    ReviewDrawForm,
    RoundFindingForm,
    RoundForm,
    SelfCheckForm,
    TeamForm,
)
from qingfeng.oversight.models import Draw, Round
from qingfeng.oversight.permissions import OFFICE, UNIT_READERS, can
from qingfeng.oversight.views.common import form_errors, refused
from qingfeng.oversight.views.groups import supervisors_under
from qingfeng.oversight.workflow import NEXT_MOVE, PHASES, ROUND_MOVES


@guarded(can, "view_rounds")
@require_GET
def rounds(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "oversight/rounds.html",
        {
            "rounds": selectors.rounds_visible_to(request.user)[:100],
            "can_create": can(request.user, "manage"),
        },
    )


@guarded(can, "manage")
@require_http_methods(["GET", "POST"])
def round_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    roots = scope_root_units(request.user)
    if not roots:
        raise Http404
    owner = roots[0]
    units = Unit.objects.within(owner).filter(is_active=True).exclude(pk=owner.pk)
    form = RoundForm(request.POST or None, units=units.filter(depth__lte=owner.depth + 2))
    if request.method == "POST" and form.is_valid():
        try:
            found = actions.check_create_round(actor=request.user, owner=owner, **form.cleaned_data)
        except ValidationError as exc:
            form_errors(form, exc)
        else:
            return HttpResponseRedirect(reverse("oversight:round", args=[found.pk]))
    return render(request, "oversight/form.html", {"form": form, "title": _("新建巡察")})


def _clock(found: Round) -> dict[str, int]:
    total = (found.ends_on - found.starts_on).days + 1
    elapsed = min(max((timezone.localdate() - found.starts_on).days + 1, 0), total)
    return {
        "total": total,
        "elapsed": elapsed,
        "left": total - elapsed,
        "percent": elapsed * 100 // total,
    }


def _mine(request: AuthenticatedHttpRequest, found: Round) -> list[Unit]:
    return [u for u in round_units(found) if in_scope(request.user, u.path, roles=UNIT_READERS)]


@guarded(can, "view_rounds")
@require_GET
def round_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_round_for_user(request.user, pk)
    office = in_scope(request.user, found.owner.path, roles=OFFICE)
    team = is_team(request.user, found)
    whole = office or team
    mine = _mine(request, found)
    units = Unit.objects.filter(pk__in=[u.pk for u in round_units(found)])
    scope_units = Unit.objects.within(found.owner).filter(is_active=True)
    member = found.members.filter(user=request.user).first()
    requests = found.requests.select_related("unit").prefetch_related("files")
    if not whole:
        requests = requests.filter(selectors.unit_part(request.user, found))
    mine_qs = Unit.objects.filter(pk__in=[u.pk for u in mine])
    context: dict[str, Any] = {
        "round": found,
        "clock": _clock(found),
        "phases": [
            (p, p.label, PHASES.index(p) <= PHASES.index(Round.Status(found.status)))
            for p in PHASES
        ],
        "next_move": ROUND_MOVES[NEXT_MOVE[found.status]].label
        if found.status in NEXT_MOVE
        else None,
        "can_advance": office or (member is not None and member.role == "leader"),
        "office": office,
        "team": team,
        "whole": whole,
        "members": found.members.select_related("user__person"),
        "member": member,
        "units": round_units(found) if whole else mine,
        "requests": requests,
        "interviews": found.interviews.all() if team else [],
        "reception": found.reception.select_related("unit").filter(
            unit__in=units if whole else mine_qs
        ),
        "findings": selectors.round_findings(request.user, found, whole=whole),
        "tickets": selectors.round_tickets(request.user, found, round_units(found))
        if whole
        else [],
        "team_form": TeamForm(people=supervisors_under(found.owner), auto_id="team_%s")
        if office and found.status == "preparing"
        else None,
        "declaration_form": DeclarationForm(units=units, auto_id="declare_%s")
        if member and member.declared_at is None
        else None,
        "request_form": RequestForm(units=scope_units, auto_id="request_%s") if team else None,
        "interview_form": InterviewForm(auto_id="interview_%s") if team else None,
        "finding_form": RoundFindingForm(units=scope_units, auto_id="finding_%s") if team else None,
        "reception_form": ReceptionForm(units=mine_qs, auto_id="reception_%s") if mine else None,
        "self_check_form": SelfCheckForm(units=mine_qs, auto_id="selfcheck_%s") if mine else None,
        "answer_form": AnswerForm(),
        "draw_form": LinkDrawForm(
            auto_id="draw_%s",
            draws=selectors.draws_visible_to(request.user).filter(
                purpose=Draw.Purpose.ROUND, status=Draw.Status.DRAWN
            ),
        )
        if office and found.draw_id is None
        else None,
        "notice_url": reverse("notice:round", args=[found.number]),
        "review_form": ReviewDrawForm(auto_id="review_%s")
        if office and found.status == Round.Status.REVIEW and found.review_draw_id is None
        else None,
    }
    return render(request, "oversight/round.html", context)


def _post(
    request: AuthenticatedHttpRequest,
    pk: int,
    form_class: Callable[..., Form],
    run: Callable[[Round, dict[str, Any]], object],
    done: str,
    **form_args: Any,
) -> HttpResponse:
    found = selectors.get_round_for_user(request.user, pk)
    form = form_class(request.POST, **{k: v(found) for k, v in form_args.items()})
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    else:
        try:
            run(found, form.cleaned_data)
        except ValidationError as exc:
            refused(request, exc)
        else:
            messages.success(request, done)
    return HttpResponseRedirect(reverse("oversight:round", args=[found.pk]))


def _scope_units(found: Round) -> Any:
    return Unit.objects.within(found.owner).filter(is_active=True)


def _people(found: Round) -> Any:
    return User.objects.filter(is_active=True)


@guarded(can, "manage")
@require_POST
def round_team(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _post(
        request,
        pk,
        TeamForm,
        lambda r, d: actions.check_set_team(r, actor=request.user, **d),
        _("巡察组人员已确定"),
        people=_people,
    )


@guarded(can, "view_rounds")
@require_POST
def round_declare(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _post(
        request,
        pk,
        DeclarationForm,
        lambda r, d: actions.check_sign_declaration(r, user=request.user, **d),
        _("已签署回避声明"),
        units=_scope_units,
    )


@guarded(can, "view_rounds")
@require_POST
def round_advance(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _post(
        request,
        pk,
        Form,
        lambda r, d: actions.check_advance_round(r, actor=request.user),
        _("已进入下一阶段"),
    )


@guarded(can, "view_rounds")
@require_POST
def round_request(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _post(
        request,
        pk,
        RequestForm,
        lambda r, d: actions.check_request_documents(r, actor=request.user, **d),
        _("已发出调阅通知"),
        units=_scope_units,
    )


@guarded(can, "view_rounds")
@require_POST
def request_answer(request: AuthenticatedHttpRequest, pk: int, request_id: int) -> HttpResponse:
    found = selectors.get_round_for_user(request.user, pk)
    row = get_object_or_404(
        found.requests.filter(selectors.unit_part(request.user, found)), pk=request_id
    )
    form = AnswerForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请填写提供情况"))
    else:
        try:
            actions.check_answer_request(
                row,
                actor=request.user,
                response=form.cleaned_data["response"],
                files=request.FILES.getlist("documents"),
            )
        except ValidationError as exc:
            refused(request, exc)
        else:
            messages.success(request, _("已提交"))
    return HttpResponseRedirect(reverse("oversight:round", args=[found.pk]))


@guarded(can, "view_rounds")
@require_POST
def round_interview(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _post(
        request,
        pk,
        InterviewForm,
        lambda r, d: actions.check_schedule_interview(r, actor=request.user, **d),
        _("已安排谈话"),
    )


@guarded(can, "view_rounds")
@require_POST
def round_reception(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _post(
        request,
        pk,
        ReceptionForm,
        lambda r, d: actions.check_add_reception_member(r, actor=request.user, **d),
        _("已添加"),
        units=_scope_units,
    )


@guarded(can, "view_rounds")
@require_POST
def round_self_check(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _post(
        request,
        pk,
        SelfCheckForm,
        lambda r, d: actions.check_self_check(r, actor=request.user, **d),
        _("已登记，并作为立行立改问题转入台账"),
        units=_scope_units,
    )


@guarded(can, "view_rounds")
@require_POST
def round_finding(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _post(
        request,
        pk,
        RoundFindingForm,
        lambda r, d: actions.check_add_round_finding(r, actor=request.user, **d),
        _("已登记巡察发现"),
        units=_scope_units,
    )


@guarded(can, "manage")
@require_POST
def round_draw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _post(
        request,
        pk,
        LinkDrawForm,
        lambda r, d: actions.check_link_draw(r, actor=request.user, **d),
        _("已关联随机抽查"),
        draws=lambda r: selectors.draws_visible_to(request.user),
    )


@guarded(can, "manage")
@require_POST
def round_review_draw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _post(
        request,
        pk,
        ReviewDrawForm,
        lambda r, d: actions.check_commit_review_draw(r, actor=request.user, **d),
        _("承诺值已公布，请在抽取页录入公开随机数"),
    )


@guarded(can, "manage")
@require_POST
def round_review_start(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _post(
        request,
        pk,
        Form,
        lambda r, d: actions.check_start_review(r, actor=request.user),
        _("抽中的问题已转入台账“回头看”"),
    )


@guarded(can, "view_rounds")
@require_GET
def round_findings_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    found = selectors.get_round_for_user(request.user, pk)
    whole = in_scope(request.user, found.owner.path, roles=OFFICE) or is_team(request.user, found)
    rows = selectors.round_findings(request.user, found, whole=whole)
    return export.response(export.round_findings_workbook(found, rows), f"{found.number}.xlsx")


@guarded(can, "view_rounds")
@require_GET
def round_report(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """整改报告 (.docx) of the findings the viewer may see; `?unit=` narrows it to one unit of
    theirs (any other unit is a 404, as a missing one)."""
    found = selectors.get_round_for_user(request.user, pk)
    whole = in_scope(request.user, found.owner.path, roles=OFFICE) or is_team(request.user, found)
    findings = selectors.round_findings(request.user, found, whole=whole)
    unit = None
    if request.GET.get("unit"):
        allowed = round_units(found) if whole else _mine(request, found)
        unit = next((u for u in allowed if str(u.pk) == request.GET["unit"]), None)
        if unit is None:
            raise Http404
        findings = findings.filter(unit=unit)
    data = actions.do_issue_rectification_report(
        found, actor=request.user, findings=list(findings), unit=unit
    )
    name = f"{found.number}-{unit.code if unit else 'all'}.docx"
    response = HttpResponse(data, content_type=DOCX.content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@guarded(can, "view_rounds")
@require_GET
def request_file(
    request: AuthenticatedHttpRequest, pk: int, request_id: int, file_id: int
) -> HttpResponseBase:
    """A file of a unit's answer: for the team and the office, or the unit's own people."""
    found = selectors.get_round_for_user(request.user, pk)
    rows = found.requests.all()
    if not (in_scope(request.user, found.owner.path, roles=OFFICE) or is_team(request.user, found)):
        rows = rows.filter(selectors.unit_part(request.user, found))
    row = get_object_or_404(rows, pk=request_id)
    return download(get_object_or_404(row.files.all(), pk=file_id))
