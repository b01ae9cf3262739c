"""Public intake endpoints (/api/intake/): file a report, follow it by receipt code, through
the same actions and rate limits as the public pages.

Public operations need no account. They store nothing of the client: the rate limits count
under salted hashes in the cache (`intake.publicform`), and the human check of the form applies
here too (a proof of work and a question from GET /captcha, their answers in the submission)
while QF_INTAKE_HUMAN_CHECK is on; QF_INTAKE_API_SUBMIT=0 closes the submission to the API.

The receipt code is in the answer to the submission and nowhere else: it is never put in a
URL and never stored in clear. A retried submission with the same `Idempotency-Key` (and the
same report) answers with the same ticket number and no code, as the form does: the code was
in the first answer, and keeping it to give out again would make the key a second code.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.errors import HttpError

from qingfeng.api.intake.errors import FieldErrors, action_errors
from qingfeng.api.payloads import ErrorOut, InvalidOut, read_payload
from qingfeng.core.attachments import body_too_large
from qingfeng.intake import actions, receipts, selectors
from qingfeng.intake.actions.submit import CONTENT_MAX, CONTENT_MIN, NAME_MAX, TITLE_MAX
from qingfeng.intake.forms import UNIT_REQUIRED, search_units
from qingfeng.intake.models import Ticket, TicketCategory
from qingfeng.intake.publicform import captcha, lookup_limit, submit_limit, work, work_level
from qingfeng.orgs import selectors as org_selectors
from qingfeng.orgs.models import Unit

router = Router(tags=["intake"])

# The actions' field names, as this API spells them.
API_FIELDS = {"category": "category_id", "unit": "unit_id", "handler": "handler_id"}


# ---------------------------------------------------------------------------- schemas


class TicketCategoryOut(Schema):
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


class WorkChallengeOut(Schema):
    algorithm: str = Field(..., description="SHA-256")
    challenge: str = Field(..., description="sha256(salt + 十进制的 number)，十六进制")
    salt: str
    maxnumber: int = Field(..., description="number 在 0 到 maxnumber 之间")
    signature: str


class CaptchaOut(Schema):
    required: bool = Field(..., description="为 false 时提交无需填写验证题")
    token: str = Field("", description="提交时原样放入 captcha_token")
    image_url: str = Field("", description="验证题图片（SVG），请展示给反映人；不需要时为空")
    expires_in: int = Field(0, description="有效秒数；每道题只能用一次")
    work: WorkChallengeOut | None = Field(
        None,
        description="工作量证明：找出 0–maxnumber 之间使 sha256(salt + number) 等于 challenge 的"
        " number，把 {algorithm, challenge, salt, signature, number} 的 JSON 做 base64 后放入"
        " work_solution。同一网络一小时内提交越多，maxnumber 越大。",
    )


def _limits(low: int, high: int) -> dict[str, Any]:
    """minLength / maxLength as the document states them (characters after trimming)."""
    return {"minLength": low, "maxLength": high}


class SubmitIn(Schema):
    kind: Literal["complaint", "report", "suggestion"] = Field(
        ..., description="complaint 投诉、report 举报、suggestion 意见建议"
    )
    category_id: int = Field(..., description="反映类别（GET /api/intake/categories）")
    unit_id: int | None = Field(
        None, description="反映对象单位（GET /api/intake/units）；投诉、举报必填"
    )
    # The limits documented are the ones the action enforces (its 422 names every field
    # wrong at once); the looser max_length only keeps a huge body from reaching it.
    title: str = Field(..., max_length=200, json_schema_extra=_limits(1, TITLE_MAX))
    content: str = Field(
        ...,
        max_length=10000,
        description="反映内容，10–5000 字",
        json_schema_extra=_limits(CONTENT_MIN, CONTENT_MAX),
    )
    occurred: str = Field(
        "", max_length=200, description="发生时间", json_schema_extra=_limits(0, 50)
    )
    named_person: str = Field(
        "", max_length=200, description="被反映人（选填）", json_schema_extra=_limits(0, 100)
    )
    anonymous: bool = Field(True, description="匿名时不保存姓名和电话")
    reporter_name: str = Field(
        "",
        max_length=200,
        description="实名反映时必填",
        json_schema_extra=_limits(0, NAME_MAX),
    )
    reporter_phone: str = Field("", max_length=40, description="实名反映时必填")
    captcha_token: str = Field("", max_length=1000, description="GET /api/intake/captcha 的 token")
    captcha_answer: str = Field("", max_length=10, description="验证题答案")
    work_solution: str = Field("", max_length=1000, description="工作量证明的解（见 /captcha）")


class ReceiptOut(Schema):
    number: str = Field(..., description="工单编号")
    receipt_code: str | None = Field(
        ..., description="回执码（20 位数字，凭此查询办理进度）。只在第一次提交的答复中出现"
    )
    replayed: bool = Field(..., description="为 true 表示同一幂等键的重复提交，未新建工单")
    message: str
    accept_due: date | None
    reply_due: date | None


class TrackCodeIn(Schema):
    code: str = Field(..., min_length=1, max_length=40, description="回执码（可含空格）")


class TrackMessageIn(TrackCodeIn):
    body: str = Field("", max_length=10000, json_schema_extra=_limits(0, actions.MESSAGE_MAX))


class TrackRatingIn(TrackCodeIn):
    rating: int = Field(..., description="5 满意、4 比较满意、3 基本满意、2 不满意、1 很不满意")
    comment: str = Field(
        "",
        max_length=2000,
        description="不满意时必填",
        json_schema_extra=_limits(0, actions.COMMENT_MAX),
    )


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


PUBLIC_ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    422: InvalidOut,
    429: ErrorOut,
}

# ---------------------------------------------------------------------------- helpers


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


def _parse(request: HttpRequest, schema: type[Schema]) -> tuple[Any, list[UploadedFile]]:
    """JSON, or a multipart form with `files` (checked for size before the body is read)."""
    if body_too_large(request, max_bytes=settings.QF_INTAKE_MAX_REQUEST_BYTES):
        raise HttpError(413, _("提交的内容太大：最多 5 个附件，每个不超过 10 MB"))
    return read_payload(request, schema)


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
    response=list[TicketCategoryOut],
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
    description="网上提交须先完成验证（与网页表单相同）：work 是一次工作量证明，把解放入 "
    "work_solution；有 image_url 时还须回答图中的算术题，把 token 和答案随提交一起发送。"
    "每道题只能用一次，在 expires_in 秒内有效。",
)
def new_captcha(request: HttpRequest, response: HttpResponse) -> dict[str, Any]:
    response["Cache-Control"] = "no-store"
    answer: dict[str, Any] = {"required": captcha.enabled or work.enabled}
    if work.enabled:
        answer.update(work=work.challenge(level=work_level(request)), expires_in=work.ttl)
    if captcha.enabled:
        token = captcha.new_token()
        answer.update(
            token=token,
            image_url=reverse("report:captcha", args=[token]),
            expires_in=captcha.ttl,
        )
    return answer


def _lookups(payload: SubmitIn) -> tuple[dict[str, list[str]], TicketCategory | None, Unit | None]:
    errors: dict[str, list[str]] = {}
    # Active or not: the action refuses a closed category, and a retry still names its own.
    category = TicketCategory.objects.filter(pk=payload.category_id).first()
    unit = None
    if payload.unit_id is not None:
        unit = org_selectors.active_unit(payload.unit_id)
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
    if submit_limit().over_after_hit(request):
        raise HttpError(429, _("同一网络提交次数过多，请一小时后再试"))
    payload, files = _parse(request, SubmitIn)
    errors, category, unit = _lookups(payload)
    try:
        ticket, code = actions.check_submit_ticket(
            **_action_fields(payload, category, unit),
            files=files,
            idempotency_key=(idempotency_key or "").strip() or None,
            input_errors=errors,
            human_check=lambda: _human_check(payload),
        )
    except actions.IdempotencyConflict as exc:
        raise HttpError(409, "；".join(exc.messages)) from None
    except ValidationError as exc:
        return _invalid(exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages})
    return Status(201 if code else 200, _receipt(ticket, code))


def _human_check(payload: SubmitIn) -> None:
    errors = {}
    if not work.passes(payload.work_solution):
        errors["work_solution"] = [_("工作量证明不正确或已过期，请重新获取验证题")]
    if not captcha.passes(payload.captcha_token, payload.captcha_answer):
        errors["captcha_answer"] = [_("验证答案不正确或已过期，请重新获取验证题")]
    if errors:
        raise ValidationError(errors)


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
    """What the follow-up page shows (intake.selectors.public_timeline), as JSON."""
    seen = selectors.public_timeline(ticket)
    ticket = seen.ticket
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
        "attachments": [a.original_name for a in seen.files],
        "timeline": [
            {**row, "label": str(row["label"]), "status": str(row["status"])} for row in seen.events
        ],
        "messages": [
            {
                "author": m.author_kind,
                "is_reply": m.is_reply,
                "body": m.body,
                "created_at": m.created_at,
                "attachments": [a.original_name for a in m.attachments.all()],
            }
            for m in seen.messages
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
def track(request: HttpRequest, response: HttpResponse, payload: TrackCodeIn) -> dict[str, Any]:
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
    openapi_extra=_body_schema(TrackMessageIn, FILES_TITLE),
)
def add_message(request: HttpRequest, response: HttpResponse) -> Any:
    response["Cache-Control"] = "no-store"
    payload, files = _parse(request, TrackMessageIn)
    ticket = _ticket_for_code(request, payload.code)
    try:
        with action_errors():
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
def rate(request: HttpRequest, response: HttpResponse, payload: TrackRatingIn) -> Any:
    response["Cache-Control"] = "no-store"
    ticket = _ticket_for_code(request, payload.code)
    try:
        with action_errors():
            actions.check_rate(ticket, rating=payload.rating, comment=payload.comment)
    except FieldErrors as exc:
        return _invalid(exc.errors)
    return _track(ticket)
