"""Oversight's API (/api/oversight/), registered from `apps.py`: reads of visits, draws, groups
and rounds, a draw's certificate and verification, the moves a team makes on site and a
round's next phase — through the same
selectors, policy and actions as the pages. A sealed visit's answer has no unit."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from qingfeng.core.api import answers, refusals, scoped
from qingfeng.core.scope import in_scope
from qingfeng.orgs.models import User
from qingfeng.oversight import actions, drawing, selectors
from qingfeng.oversight.actions.rounds import is_team
from qingfeng.oversight.models import Draw, Round, Visit
from qingfeng.oversight.permissions import OFFICE, can

router = Router(tags=["oversight"])


class OversightErrorOut(Schema):
    detail: str


class OversightFindingOut(Schema):
    item: str
    text: str
    fixed_on_spot: bool
    problem_number: str | None


class OversightVisitOut(Schema):
    id: int
    number: str
    group: str
    status: str
    planned_start: str
    unit_id: int | None = Field(..., description="密封期间为 null")
    unit_name: str | None
    commitment: str
    findings: list[OversightFindingOut]


class OversightDrawOut(Schema):
    id: int
    number: str
    name: str
    purpose: str
    status: str
    commitment: str
    pool_hash: str
    committed_at: str
    published: bool


class OversightValueIn(Schema):
    value: str = Field(..., max_length=100, description="约定的公开随机数")
    source: str = Field(..., max_length=200, description="来源（期号、日期）")


class OversightVerifyOut(Schema):
    ok: bool
    problems: list[str]


def _user(request: HttpRequest) -> User:
    return cast("User", request.user)


def _visit_out(visit: Visit) -> dict[str, Any]:
    findings = list(visit.findings.select_related("problem")) if visit.unit_id else []
    return {
        "id": visit.pk,
        "number": visit.number,
        "group": visit.group.name,
        "status": visit.status,
        "planned_start": visit.planned_start.isoformat(),
        "unit_id": visit.unit_id,
        "unit_name": visit.unit.name if visit.unit else None,
        "commitment": visit.commitment,
        "findings": [
            {
                "item": f.item,
                "text": f.text,
                "fixed_on_spot": f.fixed_on_spot,
                "problem_number": f.problem.number if f.problem else None,
            }
            for f in findings
        ],
    }


def _draw_out(draw: Draw) -> dict[str, Any]:
    return {
        "id": draw.pk,
        "number": draw.number,
        "name": draw.name,
        "purpose": draw.purpose,
        "status": draw.status,
        "commitment": draw.commitment,
        "pool_hash": draw.pool_hash,
        "committed_at": draw.committed_at.isoformat(),
        "published": draw.published_at is not None,
    }


def _visit(request: HttpRequest, visit_id: int) -> Visit:
    user = _user(request)
    if not can(user, "view"):
        raise HttpError(403, _("没有查看督导的权限"))
    return scoped(lambda: selectors.get_visit_for_user(user, visit_id), _("督导不存在"))


def _draw(request: HttpRequest, draw_id: int) -> Draw:
    user = _user(request)
    if not can(user, "manage"):
        raise HttpError(403, _("没有随机抽取的权限"))
    return scoped(lambda: selectors.get_draw_for_user(user, draw_id), _("抽取不存在"))


@router.get(
    "/visits",
    url_name="oversight_visits",
    response={200: list[OversightVisitOut], 403: OversightErrorOut},
    summary="督导（四不两直）",
)
def visits(request: HttpRequest) -> Any:
    if not can(_user(request), "view"):
        raise HttpError(403, _("没有查看督导的权限"))
    rows = selectors.visits_visible_to(_user(request))[:200]
    return [_visit_out(v) for v in rows]


@router.get(
    "/visits/{visit_id}",
    url_name="oversight_visit",
    response={200: OversightVisitOut, 403: OversightErrorOut, 404: OversightErrorOut},
    summary="一次督导",
)
def visit(request: HttpRequest, visit_id: int) -> Any:
    return _visit_out(_visit(request, visit_id))


@router.post(
    "/visits/{visit_id}/start",
    url_name="oversight_visit_start",
    response=answers(OversightVisitOut, OversightErrorOut),
    summary="到达现场，开始督导（解封）",
)
def visit_start(request: HttpRequest, visit_id: int) -> Any:
    found = _visit(request, visit_id)
    with refusals():
        actions.check_start_visit(found, actor=_user(request))
    return _visit_out(found)


@router.post(
    "/visits/{visit_id}/finish",
    url_name="oversight_visit_finish",
    response=answers(OversightVisitOut, OversightErrorOut),
    summary="结束督导，发现的问题转入台账",
)
def visit_finish(request: HttpRequest, visit_id: int) -> Any:
    found = _visit(request, visit_id)
    with refusals():
        actions.check_finish_visit(found, actor=_user(request))
    return _visit_out(found)


@router.get(
    "/draws",
    url_name="oversight_draws",
    response={200: list[OversightDrawOut], 403: OversightErrorOut},
    summary="双随机抽取",
)
def draws(request: HttpRequest) -> Any:
    if not can(_user(request), "manage"):
        raise HttpError(403, _("没有随机抽取的权限"))
    return [_draw_out(d) for d in selectors.draws_visible_to(_user(request))[:200]]


@router.post(
    "/draws/{draw_id}/values",
    url_name="oversight_draw_value",
    response=answers(OversightDrawOut, OversightErrorOut),
    summary="录入公开随机数（双人录入，第二个录入后抽取）",
)
def draw_value(request: HttpRequest, draw_id: int, payload: OversightValueIn) -> Any:
    found = _draw(request, draw_id)
    with refusals():
        actions.check_enter_value(
            found, actor=_user(request), value=payload.value, source=payload.source
        )
    return _draw_out(found)


@router.get(
    "/draws/{draw_id}/certificate",
    url_name="oversight_draw_certificate",
    response={200: dict[str, Any], 403: OversightErrorOut, 404: OversightErrorOut},
    summary="抽取证书（可用 verify_draw 复核）",
)
def draw_certificate(request: HttpRequest, draw_id: int) -> Any:
    found = _draw(request, draw_id)
    if found.status != Draw.Status.DRAWN:
        raise HttpError(404, _("尚未抽取"))
    return actions.certificate(found)


@router.get(
    "/draws/{draw_id}/verify",
    url_name="oversight_draw_verify",
    response={200: OversightVerifyOut, 403: OversightErrorOut, 404: OversightErrorOut},
    summary="由证书重新计算并核对抽取结果",
)
def draw_verify(request: HttpRequest, draw_id: int) -> Any:
    found = _draw(request, draw_id)
    if found.status != Draw.Status.DRAWN:
        raise HttpError(404, _("尚未抽取"))
    problems = drawing.verify(actions.certificate(found))
    return {"ok": not problems, "problems": problems}


class OversightPostingOut(Schema):
    supervisor: str
    school_id: int
    school_name: str


class OversightGroupOut(Schema):
    id: int
    name: str
    owner: str
    leader: str
    members: list[str]
    regions: list[str]
    stages: list[str]
    is_active: bool
    postings: list[OversightPostingOut]


class OversightRoundOut(Schema):
    id: int
    number: str
    name: str
    status: str
    phase: str
    starts_on: str
    ends_on: str
    targets: list[str]


class OversightRoundFindingOut(Schema):
    unit: str
    kind: str
    audience: str
    text: str
    fix_note: str
    problem_number: str | None
    problem_status: str | None


class OversightRequestOut(Schema):
    id: int
    unit: str
    what: str
    due_on: str
    status: str
    response: str


class OversightRoundDetailOut(OversightRoundOut):
    mandate: str
    duty_phone: str
    postbox: str
    findings: list[OversightRoundFindingOut]
    requests: list[OversightRequestOut]


def _group_out(group: Any) -> dict[str, Any]:
    return {
        "id": group.pk,
        "name": group.name,
        "owner": group.owner.name,
        "leader": str(group.leader),
        "members": [str(u) for u in group.members.all()],
        "regions": [r.name for r in group.regions.all()],
        "stages": group.stages,
        "is_active": group.is_active,
        "postings": [
            {
                "supervisor": str(p.supervisor),
                "school_id": p.school_id,
                "school_name": p.school.name,
            }
            for p in selectors.postings_of(group)
        ],
    }


def _round_out(found: Round) -> dict[str, Any]:
    return {
        "id": found.pk,
        "number": found.number,
        "name": found.name,
        "status": found.status,
        "phase": str(found.get_status_display()),
        "starts_on": found.starts_on.isoformat(),
        "ends_on": found.ends_on.isoformat(),
        "targets": [u.name for u in found.targets.all()],
    }


def _round(request: HttpRequest, round_id: int) -> Round:
    user = _user(request)
    if not can(user, "view_rounds"):
        raise HttpError(403, _("没有查看巡察的权限"))
    return scoped(lambda: selectors.get_round_for_user(user, round_id), _("巡察不存在"))


@router.get(
    "/groups",
    url_name="oversight_groups",
    response={200: list[OversightGroupOut], 403: OversightErrorOut},
    summary="督导组（含挂牌责任督学）",
)
def groups(request: HttpRequest) -> Any:
    if not can(_user(request), "view_groups"):
        raise HttpError(403, _("没有查看督导组的权限"))
    rows = selectors.groups_visible_to(_user(request)).prefetch_related("regions", "members")
    return [_group_out(g) for g in rows[:200]]


@router.get(
    "/groups/{group_id}",
    url_name="oversight_group",
    response={200: OversightGroupOut, 403: OversightErrorOut, 404: OversightErrorOut},
    summary="一个督导组",
)
def group(request: HttpRequest, group_id: int) -> Any:
    user = _user(request)
    if not can(user, "view_groups"):
        raise HttpError(403, _("没有查看督导组的权限"))
    found = scoped(lambda: selectors.get_group_for_user(user, group_id), _("督导组不存在"))
    return _group_out(found)


@router.get(
    "/rounds",
    url_name="oversight_rounds",
    response={200: list[OversightRoundOut], 403: OversightErrorOut},
    summary="巡察",
)
def rounds(request: HttpRequest) -> Any:
    if not can(_user(request), "view_rounds"):
        raise HttpError(403, _("没有查看巡察的权限"))
    rows = selectors.rounds_visible_to(_user(request)).prefetch_related("targets")
    return [_round_out(r) for r in rows[:200]]


@router.get(
    "/rounds/{round_id}",
    url_name="oversight_round",
    response={200: OversightRoundDetailOut, 403: OversightErrorOut, 404: OversightErrorOut},
    summary="一轮巡察：阶段、问题和调阅（被巡察单位只看到本单位的部分）",
)
def round_detail(request: HttpRequest, round_id: int) -> Any:
    user = _user(request)
    found = _round(request, round_id)
    whole = in_scope(user, found.owner.path, roles=OFFICE) or is_team(user, found)
    requests = found.requests.select_related("unit")
    if not whole:
        requests = requests.filter(selectors.unit_part(user, found))
    findings = selectors.round_findings(user, found, whole=whole)
    return {
        **_round_out(found),
        "mandate": found.mandate,
        "duty_phone": found.duty_phone,
        "postbox": found.postbox,
        "findings": [
            {
                "unit": f.unit.name,
                "kind": f.kind,
                "audience": f.audience,
                "text": f.text,
                "fix_note": f.fix_note,
                "problem_number": f.problem.number if f.problem else None,
                "problem_status": f.problem.status if f.problem else None,
            }
            for f in findings
        ],
        "requests": [
            {
                "id": q.pk,
                "unit": q.unit.name,
                "what": q.what,
                "due_on": q.due_on.isoformat(),
                "status": q.status,
                "response": q.response,
            }
            for q in requests
        ],
    }


@router.post(
    "/rounds/{round_id}/advance",
    url_name="oversight_round_advance",
    response=answers(OversightRoundOut, OversightErrorOut),
    summary="推进到下一阶段（移交时问题转入台账）",
)
def round_advance(request: HttpRequest, round_id: int) -> Any:
    found = _round(request, round_id)
    with refusals():
        actions.check_advance_round(found, actor=_user(request))
    return _round_out(found)
