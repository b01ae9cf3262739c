"""Oversight's API (/api/oversight/), registered from `apps.py`: reads of visits and draws, a
draw's certificate and verification, and the moves a team makes on site — through the same
selectors, policy and actions as the pages. A sealed visit's answer has no unit."""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from qingfeng.orgs.models import User
from qingfeng.oversight import actions, drawing, selectors
from qingfeng.oversight.models import Draw, Visit
from qingfeng.oversight.permissions import can

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
    if not can(_user(request), "view"):
        raise HttpError(403, _("没有查看督导的权限"))
    try:
        return selectors.get_visit_for_user(_user(request), visit_id)
    except Http404:
        raise HttpError(404, _("督导不存在")) from None


def _draw(request: HttpRequest, draw_id: int) -> Draw:
    if not can(_user(request), "manage"):
        raise HttpError(403, _("没有随机抽取的权限"))
    try:
        return selectors.get_draw_for_user(_user(request), draw_id)
    except Http404:
        raise HttpError(404, _("抽取不存在")) from None


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
    response={
        200: OversightVisitOut,
        400: OversightErrorOut,
        403: OversightErrorOut,
        404: OversightErrorOut,
    },
    summary="到达现场，开始督导（解封）",
)
def visit_start(request: HttpRequest, visit_id: int) -> Any:
    found = _visit(request, visit_id)
    try:
        actions.check_start_visit(found, actor=_user(request))
    except ValidationError as exc:
        raise HttpError(400, " ".join(exc.messages)) from None
    return _visit_out(found)


@router.post(
    "/visits/{visit_id}/finish",
    url_name="oversight_visit_finish",
    response={
        200: OversightVisitOut,
        400: OversightErrorOut,
        403: OversightErrorOut,
        404: OversightErrorOut,
    },
    summary="结束督导，发现的问题转入台账",
)
def visit_finish(request: HttpRequest, visit_id: int) -> Any:
    found = _visit(request, visit_id)
    try:
        actions.check_finish_visit(found, actor=_user(request))
    except ValidationError as exc:
        raise HttpError(400, " ".join(exc.messages)) from None
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
    response={
        200: OversightDrawOut,
        400: OversightErrorOut,
        403: OversightErrorOut,
        404: OversightErrorOut,
    },
    summary="录入公开随机数（双人录入，第二个录入后抽取）",
)
def draw_value(request: HttpRequest, draw_id: int, payload: OversightValueIn) -> Any:
    found = _draw(request, draw_id)
    try:
        actions.check_enter_value(
            found, actor=_user(request), value=payload.value, source=payload.source
        )
    except ValidationError as exc:
        raise HttpError(400, " ".join(exc.messages)) from None
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
