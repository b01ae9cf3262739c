"""Intake endpoints (/api/intake/): the public side (file a report, follow it by receipt code)
and the staff side (the queue, a ticket, its actions), through the same actions, selectors,
policy and rate limits as the pages.

Public operations need no account. They store nothing of the client: the rate limits count
under salted hashes in the cache (`intake.publicform`), and the human check of the form applies
here too (a question from GET /captcha, its answer in the submission) while
QF_INTAKE_HUMAN_CHECK is on; QF_INTAKE_API_SUBMIT=0 closes the submission to the API.

The receipt code is in the answer to the submission and nowhere else: it is never put in a
URL and never stored in clear. A retried submission with the same `Idempotency-Key` (and the
same report) answers with the same ticket number and no code, as the form does: the code was
in the first answer, and keeping it to give out again would make the key a second code.

Staff operations find every ticket through `selectors.get_ticket_for_user` (outside the scope:
404, the same as a missing id), ask `permissions.can` (403), run the pages' action and turn
its errors into JSON (an illegal move 409, any other refusal 400). The reporter's identity is
never in an answer: name and phone are masked as on the staff page, and personal data in the
texts is masked for everyone; the audited reveal stays on the page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, Literal

import pydantic
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.errors import HttpError

from qingfeng.api.ledger import _schema_error
from qingfeng.core.attachments import body_too_large
from qingfeng.intake import actions, receipts, selectors, workflow
from qingfeng.intake.actions import handling
from qingfeng.intake.forms import UNIT_REQUIRED, search_units
from qingfeng.intake.models import (
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketEvent,
    TicketMessage,
)
from qingfeng.intake.permissions import available_actions, can
from qingfeng.intake.public_views import _timeline
from qingfeng.intake.publicform import captcha, lookup_limit, submit_limit
from qingfeng.lib.masking import mask_name, mask_phone
from qingfeng.lib.redact import redact
from qingfeng.orgs import selectors as org_selectors
from qingfeng.orgs.models import Unit, User

router = Router(tags=["intake"])

MAX_PAGE = 200
FORM_TYPES = {"multipart/form-data", "application/x-www-form-urlencoded"}
API_ACTIONS = ("accept", "decline", "assign", "start", "return", "reply", "close", "merge", "note")
ACTION_LABELS = workflow.LABELS
# The actions' field names, as this API spells them.
API_FIELDS = {"category": "category_id", "unit": "unit_id", "handler": "handler_id"}


# ---------------------------------------------------------------------------- schemas


class ErrorOut(Schema):
    detail: str


class FieldErrorOut(Schema):
    field: str
    message: str
    type: str


class InvalidOut(Schema):
    detail: str
    errors: list[FieldErrorOut]


class CategoryOut(Schema):
    id: int
    name: str
    accept_days: int = Field(..., description="受理时限（工作日）")
    reply_days: int = Field(..., description="办结时限（工作日）")


class UnitChoiceOut(Schema):
    id: int
    name: str
    parent_name: str | None

    @staticmethod
    def resolve_parent_name(obj: Unit) -> str | None:
        return obj.parent.name if obj.parent is not None else None


class CaptchaOut(Schema):
    required: bool = Field(..., description="为 false 时提交无需填写验证题")
    token: str = Field("", description="提交时原样放入 captcha_token")
    image_url: str = Field("", description="验证题图片（SVG），请展示给反映人")
    expires_in: int = Field(0, description="有效秒数；每道题只能用一次")


class SubmitIn(Schema):
    kind: Literal["complaint", "report", "suggestion"] = Field(
        ..., description="complaint 投诉、report 举报、suggestion 意见建议"
    )
    category_id: int = Field(..., description="反映类别（GET /api/intake/categories）")
    unit_id: int | None = Field(
        None, description="反映对象单位（GET /api/intake/units）；投诉、举报必填"
    )
    title: str = Field(..., max_length=200)
    content: str = Field(..., max_length=10000, description="反映内容，10–5000 字")
    occurred: str = Field("", max_length=200, description="发生时间")
    named_person: str = Field("", max_length=200, description="被反映人（选填）")
    anonymous: bool = Field(True, description="匿名时不保存姓名和电话")
    reporter_name: str = Field("", max_length=200, description="实名反映时必填")
    reporter_phone: str = Field("", max_length=40, description="实名反映时必填")
    captcha_token: str = Field("", max_length=1000, description="GET /api/intake/captcha 的 token")
    captcha_answer: str = Field("", max_length=10, description="验证题答案")


class ReceiptOut(Schema):
    number: str = Field(..., description="工单编号")
    receipt_code: str | None = Field(
        ..., description="回执码（20 位数字，凭此查询办理进度）。只在第一次提交的答复中出现"
    )
    replayed: bool = Field(..., description="为 true 表示同一幂等键的重复提交，未新建工单")
    message: str
    accept_due: date | None
    reply_due: date | None


class CodeIn(Schema):
    code: str = Field(..., min_length=1, max_length=40, description="回执码（可含空格）")


class MessageIn(CodeIn):
    body: str = Field("", max_length=10000)


class RatingIn(CodeIn):
    rating: int = Field(..., description="5 满意、4 比较满意、3 基本满意、2 不满意、1 很不满意")
    comment: str = Field("", max_length=2000, description="不满意时必填")


class PublicEventOut(Schema):
    label: str
    at: datetime
    status: str
    unit: str
    reason: str


class PublicMessageOut(Schema):
    author: Literal["reporter", "staff"]
    is_reply: bool
    body: str
    created_at: datetime
    attachments: list[str]


class TrackOut(Schema):
    number: str
    kind: str
    kind_label: str
    category_name: str
    unit_name: str | None
    title: str
    status: str
    status_label: str
    created_at: datetime
    accept_due: date | None
    reply_due: date | None
    rating: int | None
    can_message: bool
    can_rate: bool
    attachments: list[str] = Field(..., description="提交时上传的附件（文件名）")
    timeline: list[PublicEventOut]
    messages: list[PublicMessageOut]


class TicketOut(Schema):
    id: int
    number: str
    kind: Ticket.Kind
    kind_label: str
    channel: Ticket.Channel
    channel_label: str
    category_id: int
    category_name: str
    unit_id: int | None
    unit_name: str | None
    handling_unit_id: int | None
    handling_unit_name: str | None
    title: str
    status: Ticket.Status
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


class EventOut(Schema):
    action: str
    action_label: str
    from_status: str
    to_status: str
    actor_name: str | None
    unit_name: str | None
    reason: str
    public: bool
    created_at: datetime


class AttachmentOut(Schema):
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
    attachments: list[AttachmentOut]


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
    attachments: list[AttachmentOut]
    timeline: list[EventOut]
    messages: list[StaffMessageOut]
    allowed_actions: list[str] = Field(
        ..., description="当前账号此刻可对该工单执行的操作（与页面按钮一致）"
    )


class QueueFilterIn(Schema):
    status: Ticket.Status | Literal["all"] | None = Field(
        None, description="不填时为在办工单；all 为全部状态"
    )
    light: Literal["red", "yellow", "green"] | None = None
    unit: int | None = Field(None, description="单位 ID（反映对象或承办单位，含下级）")
    category: int | None = Field(None, description="反映类别 ID")
    kind: Ticket.Kind | None = None
    channel: Ticket.Channel | None = None
    q: str = Field("", max_length=100, description="编号或标题中的文字（受理部门也搜内容）")
    cursor: str = Field("", description="上一页返回的 next_cursor")
    limit: int = Field(50, ge=1, le=MAX_PAGE)

    @pydantic.field_validator(
        "status", "light", "unit", "category", "kind", "channel", mode="before"
    )
    @classmethod
    def _blank_is_any(cls, value: object) -> object:
        return None if value == "" else value


class ReasonIn(Schema):
    reason: str = Field(..., max_length=5000)


class BodyIn(Schema):
    body: str = Field(..., max_length=5000)


class CloseIn(Schema):
    note: str = Field(..., max_length=5000, description="回访情况（内部）")


class AssignIn(Schema):
    unit_id: int = Field(..., description="承办单位，须在本人管辖范围内")
    handler_id: int | None = Field(None, description="承办人（账号 ID），可不指定")
    note: str = Field("", max_length=1000, description="转办要求（内部）")


class MergeIn(Schema):
    master_number: str = Field(..., max_length=20, description="主件工单编号")


ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
PUBLIC_ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    422: InvalidOut,
    429: ErrorOut,
}


# ---------------------------------------------------------------------------- helpers


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _masked(ticket: Ticket, text: str) -> str:
    """Phone and ID numbers masked, and the reporter's name wherever it was written."""
    return redact(text, names=[ticket.reporter_name] if ticket.reporter_name else [])


class FieldErrors(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def _invalid(errors: dict[str, list[str]]) -> Status[dict[str, Any]]:
    """A 422 in the shape of the API's other input errors, with the actions' own sentences."""
    items = [
        {"field": API_FIELDS.get(field, field), "message": message, "type": "value_error"}
        for field, messages in errors.items()
        for message in messages
    ]
    detail = _("请求参数不正确：%(fields)s") % {
        "fields": "；".join(f"{item['field']}：{item['message']}" for item in items)
    }
    return Status(422, {"detail": detail, "errors": items})


@contextmanager
def _action_errors() -> Iterator[None]:
    """An illegal move is 409; a refusal about fields is a 422 (raised as FieldErrors); any
    other refusal is 400."""
    try:
        yield
    except workflow.InvalidTransition as exc:
        raise HttpError(409, "；".join(exc.messages)) from exc
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise FieldErrors(exc.message_dict) from exc
        raise HttpError(400, "；".join(exc.messages)) from exc


def _staff_errors(exc: FieldErrors) -> HttpError:
    """Staff actions answer one line, like the ledger's endpoints."""
    return HttpError(400, "；".join(m for messages in exc.errors.values() for m in messages))


def _parse(request: HttpRequest, schema: type[Schema]) -> tuple[Any, list[UploadedFile]]:
    """JSON, or a multipart form with `files` (checked for size before the body is read)."""
    if body_too_large(request, max_bytes=settings.QF_INTAKE_MAX_REQUEST_BYTES):
        raise HttpError(413, _("提交的内容太大：最多 5 个附件，每个不超过 10 MB"))
    files: list[UploadedFile] = []
    if request.content_type in FORM_TYPES:
        data: Any = request.POST.dict()
        files = request.FILES.getlist("files")
    else:
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            raise HttpError(400, _("请求内容不是有效的 JSON")) from None
    try:
        return schema.model_validate(data), files
    except pydantic.ValidationError as exc:
        raise _schema_error(exc) from None


def _body_schema(schema: type[Schema], files_title: str) -> dict[str, Any]:
    """The request body as JSON, or as multipart with `files` (the operation parses it)."""
    fields = schema.model_json_schema()
    with_files = {
        **fields,
        "properties": {
            **fields["properties"],
            "files": {
                "type": "array",
                "items": {"type": "string", "format": "binary"},
                "title": files_title,
            },
        },
    }
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": fields},
                "multipart/form-data": {"schema": with_files},
            },
        }
    }


FILES_TITLE = "附件（JPG、PNG、PDF、MP3、M4A、AMR、WAV，最多 5 个，单个不超过 10 MB）"


# ---------------------------------------------------------------------------- public: filing


@router.get(
    "/categories",
    url_name="intake_categories",
    auth=None,
    response=list[CategoryOut],
    summary="反映类别（公开）",
    description="启用的反映类别及其受理、办结时限。",
)
def categories(request: HttpRequest) -> list[TicketCategory]:
    return list(TicketCategory.objects.filter(is_active=True))


@router.get(
    "/units",
    url_name="intake_units",
    auth=None,
    response=list[UnitChoiceOut],
    summary="搜索反映对象单位（公开）",
    description="按名称、简称或别名搜索启用的单位，最多 20 个。",
)
def units(request: HttpRequest, q: str = Query("", max_length=30)) -> list[Unit]:
    return search_units(q)


@router.get(
    "/captcha",
    url_name="intake_captcha",
    auth=None,
    response=CaptchaOut,
    summary="取一道验证题（公开）",
    description="网上提交须先回答一道算术题（与网页表单相同）：展示 image_url 的图片，"
    "把 token 和答案随提交一起发送。每道题只能用一次，10 分钟内有效。",
)
def new_captcha(request: HttpRequest, response: HttpResponse) -> dict[str, Any]:
    response["Cache-Control"] = "no-store"
    if not captcha.enabled:
        return {"required": False}
    token = captcha.new_token()
    return {
        "required": True,
        "token": token,
        "image_url": reverse("report:captcha", args=[token]),
        "expires_in": captcha.ttl,
    }


def _lookups(payload: SubmitIn) -> tuple[dict[str, list[str]], TicketCategory | None, Unit | None]:
    errors: dict[str, list[str]] = {}
    category = TicketCategory.objects.filter(pk=payload.category_id, is_active=True).first()
    unit = None
    if payload.unit_id is not None:
        unit = Unit.objects.filter(pk=payload.unit_id, is_active=True).first()
        if unit is None:
            errors["unit"] = [_("单位不存在或已停用，请重新选择")]
    elif payload.kind in {kind.value for kind in UNIT_REQUIRED}:
        errors["unit"] = [_("请选择所反映的单位")]
    return errors, category, unit


def _action_fields(
    payload: SubmitIn, category: TicketCategory | None, unit: Unit | None
) -> dict[str, Any]:
    return {
        "kind": payload.kind,
        "category": category,
        "unit": unit,
        "title": payload.title,
        "content": payload.content,
        "occurred": payload.occurred,
        "named_person": payload.named_person,
        "anonymous": payload.anonymous,
        "reporter_name": payload.reporter_name,
        "reporter_phone": payload.reporter_phone,
    }


def _same_report(ticket: Ticket, payload: SubmitIn) -> bool:
    return (
        ticket.kind == payload.kind
        and ticket.category_id == payload.category_id
        and ticket.unit_id == payload.unit_id
        and ticket.title == payload.title.strip()
        and ticket.content == payload.content.strip()
    )


def _receipt(ticket: Ticket, code: str) -> dict[str, Any]:
    if code:
        message = _("提交成功。请记下回执码，凭它查询办理进度；回执码只显示这一次。")
    else:
        message = _(
            "这份反映已经提交过（编号 %(n)s），没有重复登记。回执码只在第一次提交的答复中显示。"
        ) % {"n": ticket.number}
    return {
        "number": ticket.number,
        "receipt_code": code or None,
        "replayed": not code,
        "message": message,
        "accept_due": ticket.accept_due,
        "reply_due": ticket.reply_due,
    }


@router.post(
    "/reports",
    url_name="intake_submit",
    auth=None,
    response={201: ReceiptOut, 200: ReceiptOut, 403: ErrorOut, **PUBLIC_ERRORS},
    summary="提交反映（公开，可带附件）",
    description="JSON，或需上传附件时用 multipart/form-data（同名字段加一个或多个 files）。"
    "成功（201）时答复中有回执码，只出现这一次，请提示反映人记下。"
    "请带上 Idempotency-Key 请求头（8–64 位字母、数字或 _.:-，建议每份反映一个 UUID）："
    "网络中断后用同一个键重试不会重复登记，答复 200，给出同一个工单编号，但不再给回执码；"
    "同一个键用于另一份内容时答复 409。与网页表单同样计入每小时提交次数限制（429），"
    "开启人机验证时须带 captcha_token 和 captcha_answer。",
    openapi_extra=_body_schema(SubmitIn, FILES_TITLE),
)
def submit(
    request: HttpRequest,
    response: HttpResponse,
    idempotency_key: str | None = Header(
        None, alias="Idempotency-Key", description="幂等键：重试时原样带上"
    ),
) -> Any:
    response["Cache-Control"] = "no-store"
    if not settings.QF_INTAKE_API_SUBMIT:
        raise HttpError(403, _("本平台未开放接口提交，请通过网页表单反映"))
    if submit_limit().hit(request) > settings.QF_INTAKE_SUBMITS_PER_HOUR:
        raise HttpError(429, _("同一网络提交次数过多，请一小时后再试"))
    payload, files = _parse(request, SubmitIn)
    key = (idempotency_key or "").strip() or None
    if key and (done := Ticket.objects.filter(idempotency_key=key).first()) is not None:
        if not _same_report(done, payload):
            raise HttpError(409, _("该幂等键已用于另一份反映，请为新的反映换一个幂等键"))
        return Status(200, _receipt(done, ""))
    errors, category, unit = _lookups(payload)
    fields = _action_fields(payload, category, unit)
    # Every rule first, so a wrong field does not spend the human check.
    for name, messages in actions.submission_errors(
        **fields, files=files, idempotency_key=key
    ).items():
        errors.setdefault(name, []).extend(messages)
    if errors:
        return _invalid(errors)
    if not captcha.passes(payload.captcha_token, payload.captcha_answer):
        return _invalid({"captcha_answer": [_("验证答案不正确或已过期，请重新获取验证题")]})
    try:
        ticket, code = actions.check_submit_ticket(**fields, files=files, idempotency_key=key)
    except ValidationError as exc:
        return _invalid(exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages})
    return Status(201 if code else 200, _receipt(ticket, code))


# ---------------------------------------------------------------------------- public: follow-up


def _ticket_for_code(request: HttpRequest, code: str) -> Ticket:
    """The ticket of a receipt code. A wrong code and a code of no ticket get one answer, and
    failed look-ups from one network are limited as on the follow-up page."""
    limit = lookup_limit()
    if limit.is_limited(request):
        raise HttpError(
            429,
            _("查询失败次数过多，请 %(n)d 分钟后再试")
            % {"n": settings.QF_INTAKE_LOOKUP_WINDOW_MINUTES},
        )
    ticket = receipts.find_by_code(code)
    if ticket is None:
        limit.hit(request)
        raise HttpError(404, _("回执码不正确，或没有对应的反映"))
    return ticket


def _track(ticket: Ticket) -> dict[str, Any]:
    """What the follow-up page shows: public events without who did them, the replies and
    the reporter's own messages (never internal notes)."""
    ticket = Ticket.objects.select_related("category", "unit").get(pk=ticket.pk)
    messages = ticket.messages.filter(internal=False).prefetch_related("attachments")
    return {
        "number": ticket.number,
        "kind": ticket.kind,
        "kind_label": ticket.get_kind_display(),
        "category_name": ticket.category.name,
        "unit_name": ticket.unit.name if ticket.unit is not None else None,
        "title": ticket.title,
        "status": ticket.status,
        "status_label": ticket.get_status_display(),
        "created_at": ticket.created_at,
        "accept_due": ticket.accept_due,
        "reply_due": ticket.reply_due,
        "rating": ticket.rating,
        "can_message": ticket.status not in actions.NO_MORE_MESSAGES,
        "can_rate": ticket.status == Ticket.Status.REPLIED,
        "attachments": [a.original_name for a in ticket.attachments.filter(message__isnull=True)],
        "timeline": [
            {**row, "label": str(row["label"]), "status": str(row["status"])}
            for row in _timeline(ticket)
        ],
        "messages": [
            {
                "author": m.author_kind,
                "is_reply": m.is_reply,
                "body": m.body,
                "created_at": m.created_at,
                "attachments": [a.original_name for a in m.attachments.all()],
            }
            for m in messages
        ],
    }


TRACK_NOTE = "回执码放在请求体中，不要放在网址里。回执码错误和不存在答复相同（404）；同一网络查询失败次数过多时答复 429。"


@router.post(
    "/track",
    url_name="intake_track",
    auth=None,
    response={200: TrackOut, **PUBLIC_ERRORS},
    summary="凭回执码查询办理进度（公开）",
    description=TRACK_NOTE,
)
def track(request: HttpRequest, response: HttpResponse, payload: CodeIn) -> dict[str, Any]:
    response["Cache-Control"] = "no-store"
    return _track(_ticket_for_code(request, payload.code))


@router.post(
    "/track/messages",
    url_name="intake_track_message",
    auth=None,
    response={200: TrackOut, **PUBLIC_ERRORS},
    summary="凭回执码补充留言或材料（公开）",
    description=TRACK_NOTE + "需上传附件时用 multipart/form-data（code、body 和 files）。"
    "工单已关闭、合并或不予受理时不能再留言（400）。",
    openapi_extra=_body_schema(MessageIn, FILES_TITLE),
)
def add_message(request: HttpRequest, response: HttpResponse) -> Any:
    response["Cache-Control"] = "no-store"
    payload, files = _parse(request, MessageIn)
    ticket = _ticket_for_code(request, payload.code)
    try:
        with _action_errors():
            actions.check_add_reporter_message(ticket, body=payload.body, files=files)
    except FieldErrors as exc:
        return _invalid(exc.errors)
    return _track(ticket)


@router.post(
    "/track/rating",
    url_name="intake_track_rating",
    auth=None,
    response={200: TrackOut, **PUBLIC_ERRORS},
    summary="凭回执码评价办理结果（公开）",
    description=TRACK_NOTE + "只能评价已办结的工单。3–5 分关闭工单；1–2 分须说明原因，"
    "第一次发回重办，再次不满意则提级办理。",
)
def rate(request: HttpRequest, response: HttpResponse, payload: RatingIn) -> Any:
    response["Cache-Control"] = "no-store"
    ticket = _ticket_for_code(request, payload.code)
    try:
        with _action_errors():
            actions.check_rate(ticket, rating=payload.rating, comment=payload.comment)
    except FieldErrors as exc:
        return _invalid(exc.errors)
    return _track(ticket)


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


def _event(ticket: Ticket, e: TicketEvent) -> dict[str, Any]:
    label = workflow.event_label(e.action, channel=ticket.channel)
    return {
        "action": e.action,
        "action_label": str(label),
        "from_status": e.from_status,
        "to_status": e.to_status,
        "actor_name": str(e.actor) if e.actor is not None else None,
        "unit_name": e.unit.name if e.unit is not None else None,
        "reason": _masked(ticket, e.reason),
        "public": e.public,
        "created_at": e.created_at,
    }


def _message(ticket: Ticket, m: TicketMessage) -> dict[str, Any]:
    return {
        "id": m.pk,
        "author_kind": m.author_kind,
        "author_name": str(m.author) if m.author is not None else None,
        "body": _masked(ticket, m.body),
        "internal": m.internal,
        "is_reply": m.is_reply,
        "created_at": m.created_at,
        "attachments": [_attachment(a) for a in m.attachments.all()],
    }


def _row(ticket: Ticket) -> dict[str, Any]:
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
        "title": _masked(ticket, ticket.title),
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
    prefetch_related_objects(
        [ticket],
        Prefetch("events", queryset=TicketEvent.objects.select_related("actor__person", "unit")),
        Prefetch(
            "messages",
            queryset=TicketMessage.objects.select_related("author__person").prefetch_related(
                "attachments"
            ),
        ),
        Prefetch("attachments", queryset=TicketAttachment.objects.filter(message__isnull=True)),
        Prefetch("duplicates", queryset=Ticket.objects.order_by("id").only("id", "number")),
    )
    named = not ticket.anonymous
    return {
        **_row(ticket),
        "content": handling.masked_content(ticket),
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
        "timeline": [_event(ticket, e) for e in ticket.events.all()],
        "messages": [_message(ticket, m) for m in ticket.messages.all()],
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
    user = _user(request)
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
    user = _user(request)
    return _detail(user, _ticket(user, ticket_id))


# ---------------------------------------------------------------------------- staff: actions


def _act(request: HttpRequest, ticket_id: int, action: str) -> tuple[User, Ticket]:
    user = _user(request)
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
        with _action_errors():
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
def decline(request: HttpRequest, ticket_id: int, payload: ReasonIn) -> Any:
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
def assign(request: HttpRequest, ticket_id: int, payload: AssignIn) -> Any:
    user, ticket = _act(request, ticket_id, "assign")
    unit = org_selectors.units_visible_to(user).filter(pk=payload.unit_id, is_active=True).first()
    if unit is None:
        raise HttpError(400, _("承办单位不存在或不在本人管辖范围内"))
    handler = None
    if payload.handler_id is not None:
        handler = (
            User.objects.filter(pk=payload.handler_id, is_active=True)
            .select_related("person__unit")
            .first()
        )
        if handler is None:
            raise HttpError(400, _("承办人不存在或账号已停用"))
    with _staff_action():
        handling.check_assign(ticket, actor=user, unit=unit, handler=handler, note=payload.note)
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
def return_ticket(request: HttpRequest, ticket_id: int, payload: ReasonIn) -> Any:
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
def reply(request: HttpRequest, ticket_id: int, payload: BodyIn) -> Any:
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
def close(request: HttpRequest, ticket_id: int, payload: CloseIn) -> Any:
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
def merge(request: HttpRequest, ticket_id: int, payload: MergeIn) -> Any:
    user, ticket = _act(request, ticket_id, "merge")
    number = payload.master_number.strip()
    master = selectors.tickets_visible_to(user).filter(number=number).first()
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
def add_note(request: HttpRequest, ticket_id: int, payload: BodyIn) -> Any:
    user, ticket = _act(request, ticket_id, "note")
    with _staff_action():
        handling.check_add_note(ticket, actor=user, body=payload.body)
    return _after(user, ticket)
