"""Staff intake endpoints (/api/intake/tickets): the queue, a ticket, its actions, through the
same selectors, policy and actions as the staff pages.

Staff operations find every ticket through `selectors.get_ticket_for_user` (outside the scope:
404, the same as a missing id), ask `permissions.can` (403), run the pages' action and turn
its errors into JSON (an illegal move 409, any other refusal 400). The reporter's identity is
never in an answer: name and phone are masked as on the staff page, and personal data in the
texts is masked for everyone; the audited reveal stays on the page.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Any, Literal

import pydantic
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from qingfeng.api.auth import api_user
from qingfeng.api.intake.errors import FieldErrors, action_errors
from qingfeng.api.payloads import ErrorOut, named
from qingfeng.intake import selectors, workflow
from qingfeng.intake.actions import handling
from qingfeng.intake.models import Ticket, TicketAttachment, TicketEvent, TicketMessage
from qingfeng.intake.permissions import available_actions, can, inside_reported_unit
from qingfeng.lib.masking import mask_name, mask_phone
from qingfeng.orgs import selectors as org_selectors
from qingfeng.orgs.models import User

router = Router(tags=["intake"])

MAX_PAGE = 200
API_ACTIONS = ("accept", "decline", "assign", "start", "return", "reply", "close", "merge", "note")
ACTION_LABELS = workflow.LABELS


# ---------------------------------------------------------------------------- schemas


TicketKind = Annotated[Ticket.Kind, named(Ticket.Kind, "TicketKind")]
TicketChannel = Annotated[Ticket.Channel, named(Ticket.Channel, "TicketChannel")]
TicketStatus = Annotated[Ticket.Status, named(Ticket.Status, "TicketStatus")]


class TicketOut(Schema):
    id: int
    number: str
    kind: TicketKind
    kind_label: str
    channel: TicketChannel
    channel_label: str
    category_id: int
    category_name: str
    unit_id: int | None
    unit_name: str | None
    handling_unit_id: int | None
    handling_unit_name: str | None
    title: str
    status: TicketStatus
    status_label: str
    light: str
    accept_due: date | None
    reply_due: date | None
    created_at: datetime
    updated_at: datetime


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None = Field(
        None, description="下一页游标，原样传回 cursor 参数；为空表示已到最后一页"
    )


class TicketEventOut(Schema):
    action: str
    action_label: str
    from_status: str
    to_status: str
    actor_name: str | None
    unit_name: str | None
    reason: str
    public: bool
    created_at: datetime


class TicketAttachmentOut(Schema):
    id: int
    original_name: str
    content_type: str
    size: int
    download_url: str = Field(..., description="由工单页面提供下载，同样检查范围")


class StaffMessageOut(Schema):
    id: int
    author_kind: str
    author_name: str | None
    body: str
    internal: bool
    is_reply: bool
    created_at: datetime
    attachments: list[TicketAttachmentOut]


class TicketDetailOut(TicketOut):
    content: str = Field(..., description="反映内容（手机号、身份证号和反映人姓名已隐去）")
    occurred: str
    named_person: str
    anonymous: bool
    reporter_name: str | None = Field(..., description="实名反映人姓名（已脱敏，如 张*）")
    reporter_phone: str | None = Field(..., description="实名反映人电话（已脱敏）")
    handler_id: int | None
    handler_name: str | None
    master_number: str | None
    duplicate_numbers: list[str]
    problem_number: str | None
    rating: int | None
    redo_count: int
    replied_at: datetime | None
    attachments: list[TicketAttachmentOut]
    timeline: list[TicketEventOut]
    messages: list[StaffMessageOut]
    allowed_actions: list[str] = Field(
        ..., description="当前账号此刻可对该工单执行的操作（与页面按钮一致）"
    )


class QueueFilterIn(Schema):
    status: TicketStatus | Literal["all"] | None = Field(
        None, description="不填时为在办工单；all 为全部状态"
    )
    light: Literal["red", "yellow", "green"] | None = None
    unit: int | None = Field(None, description="单位 ID（反映对象或承办单位，含下级）")
    category: int | None = Field(None, description="反映类别 ID")
    kind: TicketKind | None = None
    channel: TicketChannel | None = None
    q: str = Field("", max_length=100, description="编号或标题中的文字（受理部门也搜内容）")
    cursor: str = Field("", description="上一页返回的 next_cursor")
    limit: int = Field(50, ge=1, le=MAX_PAGE)

    @pydantic.field_validator(
        "status", "light", "unit", "category", "kind", "channel", mode="before"
    )
    @classmethod
    def _blank_is_any(cls, value: object) -> object:
        return None if value == "" else value


class TicketReasonIn(Schema):
    reason: str = Field(..., max_length=5000)


class TicketMessageIn(Schema):
    body: str = Field(..., max_length=5000)


class TicketCloseIn(Schema):
    note: str = Field(..., max_length=5000, description="回访情况（内部）")


class TicketAssignIn(Schema):
    unit_id: int = Field(..., description="承办单位，须在本人管辖范围内")
    handler_id: int | None = Field(None, description="承办人（账号 ID），可不指定")
    note: str = Field("", max_length=1000, description="转办要求（内部）")
    reason: str = Field(
        "", max_length=500, description="举报转办给被举报单位或其内设机构时必填的理由"
    )


class TicketMergeIn(Schema):
    master_number: str = Field(..., max_length=20, description="主件工单编号")


ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


# ---------------------------------------------------------------------------- helpers


def _masked(ticket: Ticket, text: str, user: User | None = None) -> str:
    """A ticket's text as `user` may read it (as the pages show it: intake.masked_text)."""
    return handling.masked_text(ticket, text, viewer=user)


def _staff_errors(exc: FieldErrors) -> HttpError:
    """Staff actions answer one line, like the ledger's endpoints."""
    return HttpError(400, "；".join(m for messages in exc.errors.values() for m in messages))


# ---------------------------------------------------------------------------- staff: reads


def _ticket(user: User, pk: int) -> Ticket:
    try:
        return selectors.get_ticket_for_user(user, pk)
    except Http404:
        raise HttpError(404, _("工单不存在")) from None


def _allow(user: User, action: str, ticket: Ticket | None = None) -> None:
    if not can(user, action, ticket):
        raise HttpError(403, _("无权执行“%(action)s”") % {"action": ACTION_LABELS[action]})


def _attachment(a: TicketAttachment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "original_name": a.original_name,
        "content_type": a.content_type,
        "size": a.size,
        "download_url": reverse("intake:attachment", args=[a.pk]),
    }


def _event(ticket: Ticket, e: TicketEvent, user: User) -> dict[str, Any]:
    label = workflow.event_label(e.action, channel=ticket.channel)
    return {
        "action": e.action,
        "action_label": str(label),
        "from_status": e.from_status,
        "to_status": e.to_status,
        "actor_name": str(e.actor) if e.actor is not None else None,
        "unit_name": e.unit.name if e.unit is not None else None,
        "reason": _masked(ticket, e.reason, user),
        "public": e.public,
        "created_at": e.created_at,
    }


def _message(ticket: Ticket, m: TicketMessage, user: User) -> dict[str, Any]:
    return {
        "id": m.pk,
        "author_kind": m.author_kind,
        "author_name": str(m.author) if m.author is not None else None,
        "body": _masked(ticket, m.body, user),
        "internal": m.internal,
        "is_reply": m.is_reply,
        "created_at": m.created_at,
        "attachments": [_attachment(a) for a in m.attachments.all()],
    }


def _row(ticket: Ticket, user: User | None = None) -> dict[str, Any]:
    """A ticket in the queue (the category and both units come with the page's query)."""
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "kind": ticket.kind,
        "kind_label": ticket.get_kind_display(),
        "channel": ticket.channel,
        "channel_label": ticket.get_channel_display(),
        "category_id": ticket.category_id,
        "category_name": ticket.category.name,
        "unit_id": ticket.unit_id,
        "unit_name": ticket.unit.name if ticket.unit is not None else None,
        "handling_unit_id": ticket.handling_unit_id,
        "handling_unit_name": ticket.handling_unit.name if ticket.handling_unit else None,
        "title": _masked(ticket, ticket.title, user),
        "status": ticket.status,
        "status_label": ticket.get_status_display(),
        "light": ticket.light,
        "accept_due": ticket.accept_due,
        "reply_due": ticket.reply_due,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
    }


def _detail(user: User, ticket: Ticket) -> dict[str, Any]:
    """Everything the staff page shows, in a fixed number of queries, with the reporter's
    name and phone masked (the reveal is a page action, audited there)."""
    selectors.with_staff_details(ticket)
    # The unit reported on gets no trace of the reporter, not even a masked name.
    named = not ticket.anonymous and not inside_reported_unit(user, ticket)
    return {
        **_row(ticket, user),
        "content": handling.masked_content(ticket, viewer=user),
        "occurred": ticket.occurred,
        "named_person": ticket.named_person,
        "anonymous": ticket.anonymous,
        "reporter_name": mask_name(ticket.reporter_name) if named else None,
        "reporter_phone": mask_phone(ticket.reporter_phone) if named else None,
        "handler_id": ticket.handler_id,
        "handler_name": str(ticket.handler) if ticket.handler is not None else None,
        "master_number": ticket.master.number if ticket.master is not None else None,
        "duplicate_numbers": [d.number for d in ticket.duplicates.all()],
        "problem_number": ticket.problem.number if ticket.problem is not None else None,
        "rating": ticket.rating,
        "redo_count": ticket.redo_count,
        "replied_at": ticket.replied_at,
        "attachments": [_attachment(a) for a in ticket.attachments.all()],
        "timeline": [_event(ticket, e, user) for e in ticket.events.all()],
        "messages": [_message(ticket, m, user) for m in ticket.messages.all()],
        "allowed_actions": [a for a in available_actions(user, ticket) if a in API_ACTIONS],
    }


@router.get(
    "/tickets",
    url_name="intake_tickets",
    response={200: TicketPage, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="工单队列（按紧急程度排序，游标分页）",
    description="本人范围内的工单：红灯、黄灯、绿灯依次在前，同灯按期限先后。"
    "翻页时把 next_cursor 作为 cursor 传回；每页最多 200 条。",
)
def list_tickets(request: HttpRequest, filters: Query[QueueFilterIn]) -> dict[str, Any]:
    user = api_user(request)
    _allow(user, "view_queue")
    cursor = None
    if filters.cursor:
        cursor = selectors.Cursor.decode(filters.cursor)
        if cursor is None:
            raise HttpError(400, _("分页游标无效，请从第一页重新开始"))
    unit = None
    if filters.unit is not None:
        try:
            unit = org_selectors.get_unit_for_user(user, filters.unit)
        except Http404:
            raise HttpError(404, _("单位不存在")) from None
    flt = selectors.TicketFilter(
        status=filters.status or "",
        light=filters.light or "",
        category=filters.category,
        kind=filters.kind or "",
        channel=filters.channel or "",
        unit=unit,
        text=filters.q,
    )
    rows, next_cursor = selectors.page_after(
        selectors.filter_tickets(user, flt), cursor, filters.limit
    )
    return {
        "items": [_row(t) for t in rows],
        "next_cursor": next_cursor.encode() if next_cursor else None,
    }


@router.get(
    "/tickets/{ticket_id}",
    url_name="intake_ticket",
    response={200: TicketDetailOut, 404: ErrorOut},
    summary="工单详情（流转记录、留言与答复、附件；反映人身份已脱敏）",
)
def get_ticket(request: HttpRequest, ticket_id: int) -> dict[str, Any]:
    user = api_user(request)
    return _detail(user, _ticket(user, ticket_id))


# ---------------------------------------------------------------------------- staff: actions


def _act(request: HttpRequest, ticket_id: int, action: str) -> tuple[User, Ticket]:
    user = api_user(request)
    ticket = _ticket(user, ticket_id)
    _allow(user, action, ticket)
    return user, ticket


def _after(user: User, ticket: Ticket) -> Any:
    """The ticket as it is now, or 204 when the action took it out of the caller's sight
    (a unit that returns a ticket no longer sees it)."""
    try:
        return _detail(user, selectors.get_ticket_for_user(user, ticket.pk))
    except Http404:
        return Status(204, None)


@contextmanager
def _staff_action() -> Iterator[None]:
    try:
        with action_errors():
            yield
    except FieldErrors as exc:
        raise _staff_errors(exc) from exc


STAFF_RESPONSES: dict[int, Any] = {200: TicketDetailOut, 204: None, **ERRORS}


@router.post(
    "/tickets/{ticket_id}/accept",
    url_name="intake_accept",
    response=STAFF_RESPONSES,
    summary="受理",
)
def accept(request: HttpRequest, ticket_id: int) -> Any:
    user, ticket = _act(request, ticket_id, "accept")
    with _staff_action():
        handling.do_accept(ticket, actor=user)
    return _after(user, ticket)


@router.post(
    "/tickets/{ticket_id}/decline",
    url_name="intake_decline",
    response=STAFF_RESPONSES,
    summary="不予受理（理由将告知反映人）",
)
def decline(request: HttpRequest, ticket_id: int, payload: TicketReasonIn) -> Any:
    user, ticket = _act(request, ticket_id, "decline")
    with _staff_action():
        handling.check_decline(ticket, actor=user, reason=payload.reason)
    return _after(user, ticket)


@router.post(
    "/tickets/{ticket_id}/assign",
    url_name="intake_assign",
    response=STAFF_RESPONSES,
    summary="转办（可指定承办人；被反映单位的人员和被反映人不能承办）",
)
def assign(request: HttpRequest, ticket_id: int, payload: TicketAssignIn) -> Any:
    user, ticket = _act(request, ticket_id, "assign")
    unit = org_selectors.units_visible_to(user).filter(pk=payload.unit_id, is_active=True).first()
    if unit is None:
        raise HttpError(400, _("承办单位不存在或不在本人管辖范围内"))
    handler = None
    if payload.handler_id is not None:
        handler = org_selectors.active_accounts().filter(pk=payload.handler_id).first()
        if handler is None:
            raise HttpError(400, _("承办人不存在或账号已停用"))
    with _staff_action():
        handling.check_assign(
            ticket,
            actor=user,
            unit=unit,
            handler=handler,
            note=payload.note,
            reason=payload.reason,
        )
    return _after(user, ticket)


@router.post(
    "/tickets/{ticket_id}/start",
    url_name="intake_start",
    response=STAFF_RESPONSES,
    summary="开始办理",
)
def start(request: HttpRequest, ticket_id: int) -> Any:
    user, ticket = _act(request, ticket_id, "start")
    with _staff_action():
        handling.do_start(ticket, actor=user)
    return _after(user, ticket)


@router.post(
    "/tickets/{ticket_id}/return",
    url_name="intake_return",
    response=STAFF_RESPONSES,
    summary="退回受理部门（转办有误；理由为内部信息）",
    description="退回后本单位不再能看到该工单时答复 204。",
)
def return_ticket(request: HttpRequest, ticket_id: int, payload: TicketReasonIn) -> Any:
    user, ticket = _act(request, ticket_id, "return")
    with _staff_action():
        handling.check_return(ticket, actor=user, reason=payload.reason)
    return _after(user, ticket)


@router.post(
    "/tickets/{ticket_id}/reply",
    url_name="intake_reply",
    response=STAFF_RESPONSES,
    summary="办结答复（反映人凭回执码可见；合并的重复件一并答复）",
)
def reply(request: HttpRequest, ticket_id: int, payload: TicketMessageIn) -> Any:
    user, ticket = _act(request, ticket_id, "reply")
    with _staff_action():
        handling.check_reply(ticket, actor=user, body=payload.body)
    return _after(user, ticket)


@router.post(
    "/tickets/{ticket_id}/close",
    url_name="intake_close",
    response=STAFF_RESPONSES,
    summary="回访后关闭（回访情况为内部信息）",
)
def close(request: HttpRequest, ticket_id: int, payload: TicketCloseIn) -> Any:
    user, ticket = _act(request, ticket_id, "close")
    with _staff_action():
        handling.check_close(ticket, actor=user, note=payload.note)
    return _after(user, ticket)


@router.post(
    "/tickets/{ticket_id}/merge",
    url_name="intake_merge",
    response=STAFF_RESPONSES,
    summary="合并为重复件（并入本人范围内的另一工单）",
)
def merge(request: HttpRequest, ticket_id: int, payload: TicketMergeIn) -> Any:
    user, ticket = _act(request, ticket_id, "merge")
    number = payload.master_number.strip()
    master = selectors.ticket_by_number(user, number)
    if master is None:
        raise HttpError(400, _("找不到编号为 %(n)s 的工单") % {"n": number or "—"})
    with _staff_action():
        handling.check_merge(ticket, actor=user, master=master)
    return _after(user, ticket)


@router.post(
    "/tickets/{ticket_id}/notes",
    url_name="intake_note",
    response=STAFF_RESPONSES,
    summary="添加内部备注（反映人看不到）",
)
def add_note(request: HttpRequest, ticket_id: int, payload: TicketMessageIn) -> Any:
    user, ticket = _act(request, ticket_id, "note")
    with _staff_action():
        handling.check_add_note(ticket, actor=user, body=payload.body)
    return _after(user, ticket)
