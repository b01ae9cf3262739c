"""The learning API (/api/learning/), registered from `apps.py`: a unit's study calendar,
a person's own study record, the case-library search, and the study types (read by every
reader, configured by the city bureau) — through the same selectors, actions and policy as
the pages."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from qingfeng.core.api import answers, refusals, scoped
from qingfeng.core.calendar import get_calendar
from qingfeng.learning import actions, selectors
from qingfeng.learning.models import SessionType
from qingfeng.learning.permissions import can, person_of
from qingfeng.orgs.models import User

router = Router(tags=["learning"])


class LearningErrorOut(Schema):
    detail: str


class LearningCellOut(Schema):
    period: str
    state: str = Field(..., description="kept 已落实 / due 待开展 / alert 即将逾期 / missed 未落实")
    state_label: str
    held: int
    planned: int
    workdays_left: int


class LearningCadenceOut(Schema):
    type_code: str
    type_name: str
    cadence: str
    cells: list[LearningCellOut]


class LearningCalendarOut(Schema):
    unit_id: int
    unit_name: str
    attendance_rate: float | None = Field(..., description="(出席+迟到)/(应到−请假)，已举行的学习")
    makeups_open: int
    cadence: list[LearningCadenceOut]


class LearningRecordOut(Schema):
    expected: int
    present: int
    late: int
    leave: int
    absent: int
    makeups_open: int
    attendance_rate: float | None


class LearningCaseOut(Schema):
    id: int
    number: str
    title: str
    category: str
    category_label: str
    level: str
    occurred_on: str | None
    facts: str


class LearningTypeIn(Schema):
    name: str
    cadence: str = Field(..., description="monthly 每月 / quarterly 每季度 / free 不定期")
    minimum: int = Field(1, description="每期至少次数（1–31）")
    audience: str = Field(
        ...,
        description="all 全体干部职工 / party 全体党员 / leaders 领导班子成员 / committee 支委委员",
    )
    post_types: list[str] = Field(
        default_factory=list,
        description="限定岗位类型（leader, middle, party_teacher, teacher, support, staff, civil, "
        "other）；空为不限",
    )
    first_item_required: bool = False
    alert_workdays: int = Field(5, description="本期剩余几个工作日仍未举行时提醒（0–60）")
    sort_order: int = 0


class LearningTypeActiveIn(Schema):
    active: bool


class LearningTypeOut(Schema):
    id: int
    code: str
    name: str
    cadence: str
    minimum: int
    audience: str
    post_types: list[str]
    first_item_required: bool
    alert_workdays: int
    sort_order: int
    is_active: bool


def _type_out(item: SessionType) -> dict[str, Any]:
    return {f: getattr(item, f) for f in LearningTypeOut.model_fields if f != "id"} | {
        "id": item.pk
    }


def _user(request: HttpRequest) -> User:
    return cast("User", request.user)


@router.get(
    "/units/{unit_id}/calendar",
    url_name="learning_calendar",
    response={200: LearningCalendarOut, 403: LearningErrorOut, 404: LearningErrorOut},
    summary="单位学习日历（按类型和周期的落实情况）",
)
def unit_calendar(request: HttpRequest, unit_id: int) -> Any:
    user = _user(request)
    if not can(user, "view"):
        raise HttpError(403, _("没有查看学习情况的权限"))
    unit = scoped(lambda: selectors.get_unit_for_user(user, unit_id), _("单位不存在"))
    today = timezone.localdate()
    rows = selectors.unit_calendar(unit, today=today, calendar=get_calendar())
    record = selectors.unit_record(unit, since=selectors.default_since(today))
    return {
        "unit_id": unit.pk,
        "unit_name": unit.name,
        "attendance_rate": record.rate,
        "makeups_open": record.makeups_open,
        "cadence": [
            {
                "type_code": r.type.code,
                "type_name": r.type.name,
                "cadence": r.type.cadence,
                "cells": [
                    {
                        "period": c.period.label,
                        "state": str(c.state),
                        "state_label": c.label,
                        "held": c.held,
                        "planned": c.planned,
                        "workdays_left": c.workdays_left,
                    }
                    for c in r.cells
                ],
            }
            for r in rows
        ],
    }


@router.get(
    "/me",
    url_name="learning_me",
    response={200: LearningRecordOut, 403: LearningErrorOut},
    summary="本人学习记录",
)
def my_record(request: HttpRequest) -> Any:
    person = person_of(_user(request))
    if person is None:
        raise HttpError(403, _("账号未关联花名册人员"))
    record = selectors.person_record(person)
    return {**record.__dict__, "attendance_rate": record.rate}


@router.get(
    "/cases",
    url_name="learning_cases",
    response={200: list[LearningCaseOut], 403: LearningErrorOut},
    summary="典型案例检索",
    description="q 为检索词（空格分隔的多个词须同时出现），结果与逐条包含匹配一致。",
)
def cases(request: HttpRequest, q: str = "", category: str = "") -> Any:
    user = _user(request)
    if not can(user, "view"):
        raise HttpError(403, _("没有查看案例库的权限"))
    found = selectors.search_cases(user, q[:100], category=category)[:100]
    return [
        {
            "id": c.pk,
            "number": c.number,
            "title": c.title,
            "category": c.category,
            "category_label": c.get_category_display(),
            "level": c.level,
            "occurred_on": c.occurred_on.isoformat() if c.occurred_on else None,
            "facts": c.facts,
        }
        for c in found
    ]


@router.get(
    "/types",
    url_name="learning_types",
    response={200: list[LearningTypeOut], 403: LearningErrorOut},
    summary="学习类型（频次、参加人员）",
)
def session_types(request: HttpRequest) -> Any:
    if not can(_user(request), "view"):
        raise HttpError(403, _("没有查看学习情况的权限"))
    return [_type_out(t) for t in selectors.all_types()]


def _to_configure(request: HttpRequest) -> User:
    user = _user(request)
    if not can(user, "configure"):
        raise HttpError(403, _("只有市教育局管理员或专项办可以设置学习类型"))
    return user


@router.post(
    "/types",
    url_name="learning_type_new",
    response=answers(LearningTypeOut, LearningErrorOut, status=201),
    summary="新增学习类型",
)
def session_type_new(request: HttpRequest, payload: LearningTypeIn) -> Any:
    user = _to_configure(request)
    with refusals():
        item = actions.check_save_session_type(None, actor=user, **payload.dict())
    return Status(201, _type_out(item))


@router.put(
    "/types/{type_id}",
    url_name="learning_type",
    response=answers(LearningTypeOut, LearningErrorOut),
    summary="修改学习类型",
    description="修改后单位学习日历和次日的提醒按新的频次、次数和提醒天数计算；已安排的学习保留原有应到人员。",
)
def session_type_edit(request: HttpRequest, type_id: int, payload: LearningTypeIn) -> Any:
    user = _to_configure(request)
    item = scoped(lambda: selectors.get_type(type_id), _("学习类型不存在"))
    with refusals():
        item = actions.check_save_session_type(item, actor=user, **payload.dict())
    return _type_out(item)


@router.post(
    "/types/{type_id}/active",
    url_name="learning_type_active",
    response=answers(LearningTypeOut, LearningErrorOut),
    summary="停用或启用学习类型",
)
def session_type_active(request: HttpRequest, type_id: int, payload: LearningTypeActiveIn) -> Any:
    user = _to_configure(request)
    item = scoped(lambda: selectors.get_type(type_id), _("学习类型不存在"))
    with refusals():
        item = actions.check_set_session_type_active(item, actor=user, active=payload.active)
    return _type_out(item)
