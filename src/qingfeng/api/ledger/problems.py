"""Ledger endpoints: the same selectors, policy and actions as the ledger pages.

Every problem is found through `selectors.get_problem_for_user`, so a problem outside the
caller's scope is a 404 with the same body as a missing id. A transition then asks
`permissions.can` (403), runs the pages' action, and turns its errors into JSON: a
`workflow.InvalidTransition` is 409, any other `ValidationError` is 400.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.errors import HttpError

from qingfeng.api.auth import api_user
from qingfeng.api.ledger.schemas import (
    ERRORS,
    ClosureRequestIn,
    CursorPageIn,
    LedgerFilterIn,
    OfflinePublicationDecisionIn,
    OfflinePublicationIn,
    ProblemAssignIn,
    ProblemDetailOut,
    ProblemFeedbackIn,
    ProblemIn,
    ProblemPage,
    ProblemWithdrawIn,
    ProgressReportIn,
    VerificationIn,
)
from qingfeng.api.payloads import ErrorOut, read_payload
from qingfeng.ledger import actions, selectors, workflow
from qingfeng.ledger.models import Category, Problem
from qingfeng.ledger.permissions import can
from qingfeng.orgs import selectors as org_selectors
from qingfeng.orgs.models import Person, Unit, User

router = Router(tags=["ledger"])

ACTION_LABELS = workflow.LABELS


# ---------------------------------------------------------------------------- helpers


def _problem(user: User, pk: int) -> Problem:
    """The scoped lookup; outside the scope the body is the same as for a missing id."""
    try:
        return selectors.get_problem_for_user(user, pk)
    except Http404:
        raise HttpError(404, _("问题不存在")) from None


def _allow(user: User, action: str, problem: Problem | None = None) -> None:
    if not can(user, action, problem):
        raise HttpError(403, _("无权执行“%(action)s”") % {"action": ACTION_LABELS[action]})


def _messages(exc: ValidationError) -> str:
    """One line of Chinese: a field's errors are prefixed by the field's name unless the
    message already starts with it (as the actions' own messages do)."""
    if not hasattr(exc, "error_dict"):
        return "；".join(exc.messages)
    lines = []
    for field, errors in exc.message_dict.items():
        try:
            label = str(getattr(Problem._meta.get_field(field), "verbose_name", ""))
        except FieldDoesNotExist:  # "__all__" and the like
            label = ""
        lines += [m if not label or m.startswith(label) else f"{label}：{m}" for m in errors]
    return "；".join(lines)


@contextmanager
def _action_errors() -> Iterator[None]:
    try:
        yield
    except workflow.InvalidTransition as exc:
        raise HttpError(409, _messages(exc)) from exc
    except ValidationError as exc:
        raise HttpError(400, _messages(exc)) from exc


def _cursor(text: str) -> selectors.Cursor | None:
    if not text:
        return None
    cursor = selectors.Cursor.decode(text)
    if cursor is None:
        raise HttpError(400, _("分页游标无效，请从第一页重新开始"))
    return cursor


def _report_body_schema() -> dict[str, Any]:
    fields = {
        "progress": {"type": "integer", "minimum": 0, "maximum": 100, "title": "整改进度（%）"},
        "text": {"type": "string", "title": "进展情况"},
        "phase": {
            "type": "string",
            "enum": ["before", "after", "other"],
            "default": "after",
            "title": "佐证材料类别（整改前/整改后/其他）",
        },
        "measures_done": {
            "type": "array",
            "items": {"type": "integer"},
            "title": "本次已完成的整改措施（措施 id；销号前须全部完成）",
        },
    }
    with_files = {
        **fields,
        "files": {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "title": "佐证材料（JPG、PNG、PDF、DOCX、XLSX，单个不超过 20 MB）",
        },
    }
    required = ["progress", "text"]
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "object", "properties": fields, "required": required}
                },
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": with_files, "required": required}
                },
            },
        }
    }


def _people(unit: Unit, *ids: int | None) -> dict[int, Person]:
    """People of the responsible unit, its subtree or its ancestors, by id (the rule of
    `actions._validate_people`; anyone else reads as unknown)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return selectors.responsible_candidates(unit, below=True).in_bulk(wanted)


def _create_fields(user: User, unit: Unit, payload: ProblemIn) -> dict[str, Any]:
    """Turn the ids of the payload into objects, each looked up within what the caller
    may name; anything else is a 400 that does not say whether the id exists."""
    category = Category.objects.filter(pk=payload.category_id, is_active=True).first()
    if category is None:
        raise HttpError(400, _("问题类别不存在或已停用"))
    people = _people(unit, payload.responsible_person_id, payload.responsible_leader_id)
    for pk, label in (
        (payload.responsible_person_id, _("责任人")),
        (payload.responsible_leader_id, _("责任领导")),
    ):
        if pk is not None and pk not in people:
            raise HttpError(
                400, _("%(label)s须是责任单位或其上级单位的在岗人员") % {"label": label}
            )
    parent = None
    if payload.parent_id is not None:
        parent = selectors.parent_candidates(user).filter(pk=payload.parent_id).first()
        if parent is None:
            raise HttpError(400, _("上级问题不存在或不能挂接问题"))
    if payload.deadline is not None and payload.deadline_workdays is not None:
        raise HttpError(400, _("整改时限请填日期或工作日数，二选一"))
    if payload.deadline_workdays is not None and not 1 <= payload.deadline_workdays <= 250:
        raise HttpError(400, _("工作日数须在 1 到 250 之间"))
    if not [m for m in payload.measures if m.strip()]:
        raise HttpError(400, _("请填写整改措施"))
    return {
        "list_kind": payload.list_kind,
        "source": payload.source,
        "source_ref": payload.source_ref.strip(),
        "category": category,
        "dimension": payload.dimension or "",
        "title": payload.title.strip(),
        "description": payload.description.strip(),
        "cause": payload.cause.strip(),
        "goal": payload.goal.strip(),
        "responsible_person": people.get(payload.responsible_person_id or 0),
        "responsible_leader": people.get(payload.responsible_leader_id or 0),
        "rectification_type": payload.rectification_type,
        "deadline": payload.deadline,
        "deadline_workdays": payload.deadline_workdays,
        "parent": parent,
        "weight": payload.weight,
        "remarks": payload.remarks.strip(),
    }


# ---------------------------------------------------------------------------- reads


@router.get(
    "/problems",
    response={200: ProblemPage, 403: ErrorOut, 404: ErrorOut, 400: ErrorOut},
    summary="问题台账（按紧急程度排序，游标分页）",
    description="红灯、黄灯、绿灯、无灯依次在前，同灯按整改时限先后。"
    "翻页时把 next_cursor 作为 cursor 传回；每页最多 200 条。",
)
def list_problems(request: HttpRequest, filters: Query[LedgerFilterIn]) -> dict[str, object]:
    user = api_user(request)
    if not can(user, "view_ledger"):
        raise HttpError(403, _("无权查看问题台账"))
    if (
        filters.deadline_from
        and filters.deadline_to
        and filters.deadline_from > filters.deadline_to
    ):
        raise HttpError(400, _("截止日期不能早于起始日期"))
    cursor = _cursor(filters.cursor)
    unit = None
    if filters.unit is not None:
        try:
            unit = org_selectors.get_unit_for_user(user, filters.unit)
        except Http404:
            raise HttpError(404, _("单位不存在")) from None
    flt = selectors.LedgerFilter(
        unit=unit,
        list_kind=filters.list_kind or "",
        source=filters.source or "",
        category=filters.category,
        status=filters.status or "",
        light=filters.light or "",
        deadline_from=filters.deadline_from,
        deadline_to=filters.deadline_to,
        responsible=filters.responsible,
        text=filters.q,
    )
    rows, next_cursor = selectors.page_after(
        selectors.filter_problems(user, flt), cursor, filters.limit
    )
    return {"items": rows, "next_cursor": next_cursor.encode() if next_cursor else None}


@router.get(
    "/problems/{problem_id}",
    response={200: ProblemDetailOut, 404: ErrorOut},
    summary="问题详情（含措施、流转记录、进展、佐证材料、审核与反馈）",
)
def get_problem(request: HttpRequest, problem_id: int) -> Problem:
    return selectors.with_details(_problem(api_user(request), problem_id))


@router.get(
    "/mine",
    response={200: ProblemPage, 400: ErrorOut, 403: ErrorOut},
    summary="我的整改事项（本人为责任人，按紧急程度排序，游标分页）",
    description="本人为责任人的问题（不含草稿和已撤回的），不论所在单位是否在本人管辖范围内。"
    "监督员、第三方评估员等不作为整改责任人的角色为 403，与页面相同。",
)
def my_items(request: HttpRequest, page: Query[CursorPageIn]) -> dict[str, object]:
    user = api_user(request)
    if not can(user, "view_own"):  # as the page 我的整改
        raise HttpError(403, _("无权访问"))
    rows, next_cursor = selectors.page_after(
        selectors.my_items(user), _cursor(page.cursor), page.limit
    )
    return {"items": rows, "next_cursor": next_cursor.encode() if next_cursor else None}


# ---------------------------------------------------------------------------- writes


@router.post("/problems", response={201: ProblemDetailOut, **ERRORS}, summary="登记问题（草稿）")
def create_problem(request: HttpRequest, payload: ProblemIn) -> Status[Problem]:
    user = api_user(request)
    _allow(user, "register")
    try:
        unit = org_selectors.get_unit_for_user(user, payload.unit_id)
    except Http404:
        raise HttpError(404, _("单位不存在")) from None
    _allow(user, "register", Problem(unit=unit))
    fields = _create_fields(user, unit, payload)
    cooperating = list(
        org_selectors.units_visible_to(user).filter(
            pk__in=payload.cooperating_unit_ids, is_active=True
        )
    )
    if len(cooperating) != len(set(payload.cooperating_unit_ids)):
        raise HttpError(400, _("配合单位不存在或不在本人管辖范围内"))
    with _action_errors():
        problem = actions.check_create_problem(
            actor=user, unit=unit, measures=payload.measures, cooperating=cooperating, **fields
        )
    return Status(201, selectors.with_details(_problem(user, problem.pk)))


def _transition(request: HttpRequest, problem_id: int, action: str) -> tuple[User, Problem]:
    user = api_user(request)
    problem = _problem(user, problem_id)
    _allow(user, action, problem)
    return user, problem


@router.post(
    "/problems/{problem_id}/assign",
    response={200: ProblemDetailOut, **ERRORS},
    summary="交办（同时记录整改要求告知）",
)
def assign(
    request: HttpRequest, problem_id: int, payload: ProblemAssignIn | None = None
) -> Problem:
    user, problem = _transition(request, problem_id, "assign")
    with _action_errors():
        actions.check_assign(
            problem, actor=user, requirement=payload.requirement if payload else ""
        )
    return selectors.with_details(_problem(user, problem.pk))


@router.post(
    "/problems/{problem_id}/accept", response={200: ProblemDetailOut, **ERRORS}, summary="签收"
)
def accept(request: HttpRequest, problem_id: int) -> Problem:
    user, problem = _transition(request, problem_id, "accept")
    with _action_errors():
        actions.do_accept(problem, actor=user)
    return selectors.with_details(_problem(user, problem.pk))


@router.post(
    "/problems/{problem_id}/report",
    response={200: ProblemDetailOut, **ERRORS},
    summary="报送整改进展（可用 multipart 的 files 字段上传佐证材料）",
    description="JSON：{progress, text, measures_done}；需上传佐证材料时改用 multipart/form-data，"
    "字段 progress、text、phase（before/after/other，默认 after）、measures_done（可重复）"
    "和一个或多个 files。"
    "文件类型按扩展名和文件头双重检查，单个不超过 20 MB。首次报送即进入“整改中”。",
    openapi_extra=_report_body_schema(),
)
def report(request: HttpRequest, problem_id: int) -> Problem:
    user, problem = _transition(request, problem_id, "report")
    payload, uploads = read_payload(request, ProgressReportIn)
    with _action_errors():
        actions.check_report_progress(
            problem,
            actor=user,
            progress=payload.progress,
            text=payload.text,
            files=[(upload, payload.phase) for upload in uploads],
            measures_done=payload.measures_done,
        )
    return selectors.with_details(_problem(user, problem.pk))


@router.post(
    "/problems/{problem_id}/request-closure",
    response={200: ProblemDetailOut, **ERRORS},
    summary="申请销号（须已上传整改后佐证材料，措施均已完成）",
)
def request_closure(request: HttpRequest, problem_id: int, payload: ClosureRequestIn) -> Problem:
    user, problem = _transition(request, problem_id, "request_closure")
    with _action_errors():
        actions.check_request_closure(problem, actor=user, text=payload.text)
    return selectors.with_details(_problem(user, problem.pk))


@router.post(
    "/problems/{problem_id}/verify",
    response={200: ProblemDetailOut, **ERRORS},
    summary="销号审核（同意销号、退回重改或阶段性完成）",
    description="审核人不能是整改责任人，也不能是责任单位的人员。",
)
def verify(request: HttpRequest, problem_id: int, payload: VerificationIn) -> Problem:
    user, problem = _transition(request, problem_id, "verify")
    with _action_errors():
        actions.check_verify(
            problem, verifier=user, outcome=payload.outcome, comment=payload.comment
        )
    return selectors.with_details(_problem(user, problem.pk))


@router.post(
    "/problems/{problem_id}/withdraw",
    response={200: ProblemDetailOut, **ERRORS},
    summary="撤回问题（限局级角色，须填写原因）",
)
def withdraw(request: HttpRequest, problem_id: int, payload: ProblemWithdrawIn) -> Problem:
    user, problem = _transition(request, problem_id, "withdraw")
    with _action_errors():
        actions.check_withdraw(problem, actor=user, reason=payload.reason)
    return selectors.with_details(_problem(user, problem.pk))


@router.post(
    "/problems/{problem_id}/feedback",
    response={200: ProblemDetailOut, **ERRORS},
    summary="记录反馈（整改要求告知、公开整改进度、答复反映人）",
    description="公开整改进度的内容会自动隐去手机号和身份证号。",
)
def feedback(request: HttpRequest, problem_id: int, payload: ProblemFeedbackIn) -> Problem:
    user, problem = _transition(request, problem_id, "feedback")
    with _action_errors():
        actions.check_add_feedback(problem, actor=user, kind=payload.kind, text=payload.text)
    return selectors.with_details(_problem(user, problem.pk))


def _publication_body_schema() -> dict[str, Any]:
    fields = {
        "channel": {
            "type": "string",
            "enum": ["notice_board", "school_affairs", "parent_meeting", "other"],
            "title": "公开方式（公示栏/校务公开/家长会通报/其他）",
        },
        "published_on": {"type": "string", "format": "date", "title": "公开日期"},
        "summary": {"type": "string", "title": "公开内容摘要"},
    }
    with_file = {
        **fields,
        "files": {
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "maxItems": 1,
            "title": "佐证（一个文件：JPG、PNG、PDF、DOCX，不超过 20 MB）",
        },
    }
    required = ["channel", "published_on", "summary"]
    return {
        "requestBody": {
            "required": True,
            "content": {
                # JSON has no file: it is refused with the reason (400), as the page would.
                "application/json": {
                    "schema": {"type": "object", "properties": fields, "required": required}
                },
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": with_file,
                        "required": [*required, "files"],
                    }
                },
            },
        }
    }


@router.post(
    "/problems/{problem_id}/offline-publications",
    response={200: ProblemDetailOut, **ERRORS},
    summary="登记线下公开（公示栏、校务公开、家长会通报等，附佐证，待局审核）",
    description="multipart/form-data：channel、published_on、summary 和一个 files 文件。"
    "经局级角色认可后，与在“整改进度公开”页面公开一样满足双反馈的公开要求。",
    openapi_extra=_publication_body_schema(),
)
def publish_offline(request: HttpRequest, problem_id: int) -> Problem:
    user, problem = _transition(request, problem_id, "publish_offline")
    payload, uploads = read_payload(request, OfflinePublicationIn)
    if len(uploads) != 1:
        raise HttpError(400, _("请上传一个佐证文件（公示照片、会议记录等）"))
    with _action_errors():
        actions.check_record_offline_publication(
            problem,
            actor=user,
            channel=payload.channel,
            published_on=payload.published_on,
            summary=payload.summary,
            upload=uploads[0],
        )
    return selectors.with_details(_problem(user, problem.pk))


@router.post(
    "/problems/{problem_id}/offline-publications/{publication_id}/decision",
    response={200: ProblemDetailOut, **ERRORS},
    summary="审核线下公开（限局级角色：认可或不认可）",
)
def decide_offline_publication(
    request: HttpRequest,
    problem_id: int,
    publication_id: int,
    payload: OfflinePublicationDecisionIn,
) -> Problem:
    user, problem = _transition(request, problem_id, "approve_offline")
    publication = problem.offline_publications.filter(pk=publication_id).first()
    if publication is None:
        raise HttpError(404, _("线下公开记录不存在"))
    with _action_errors():
        actions.check_decide_offline_publication(
            publication, actor=user, approve=payload.approve, comment=payload.comment
        )
    return selectors.with_details(_problem(user, problem.pk))
