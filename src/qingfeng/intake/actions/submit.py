"""Every change a reporter (or an operator on their behalf) makes to a ticket: one function
each, validating everything first, then writing in one transaction with its TicketEvent
and audit row. Routing, notifications and duplicate checks run only after commit, from a
Job row written in the same transaction (DESIGN.md §4: store first).

Nothing here records a network address: public actions have no actor, and `record_audit`
keeps the source address only for a signed-in actor.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qingfeng.core.actions import notify
from qingfeng.core.attachments import MB, AttachmentRules
from qingfeng.core.audit import record_audit
from qingfeng.core.calendar import get_calendar
from qingfeng.core.fields import blind_index
from qingfeng.core.jobs import enqueue_job
from qingfeng.intake import deadlines, receipts, similarity
from qingfeng.intake.models import (
    DeadlineChange,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketMessage,
)
from qingfeng.intake.workflow import WORKFLOW
from qingfeng.lib import filetypes as ft
from qingfeng.orgs.models import Role, RoleAssignment, Unit, User

# What a reporter may attach; photos, recordings and documents are kept without the GPS
# position, device and owner tags they carry.
ATTACHMENTS = AttachmentRules(
    types=(ft.JPEG, ft.PNG, ft.PDF, ft.MP3, ft.M4A, ft.AMR, ft.WAV),
    max_bytes=10 * MB,
    unsupported=gettext_lazy(
        "不支持的文件类型：%(name)s（可上传 JPG、PNG 图片，PDF，MP3、M4A、AMR、WAV 录音）"
    ),
)
MAX_ATTACHMENTS = 5
TITLE_MAX = 100
CONTENT_MIN, CONTENT_MAX = 10, 5000
MESSAGE_MAX = 2000
COMMENT_MAX = 500
NAME_MAX = 50
DISSATISFIED = 2  # ratings at or below this send the ticket back
RATING_LABELS = {
    5: gettext_lazy("满意"),
    4: gettext_lazy("比较满意"),
    3: gettext_lazy("基本满意"),
    2: gettext_lazy("不满意"),
    1: gettext_lazy("很不满意"),
}

INTAKE_ROLES = (Role.BUREAU_ADMIN, Role.CAMPAIGN_OFFICE, Role.HOTLINE_OPERATOR)
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
NO_MORE_MESSAGES = {Ticket.Status.CLOSED, Ticket.Status.MERGED, Ticket.Status.DECLINED}


def _check_files(files: Sequence[UploadedFile], errors: dict[str, list[str]]) -> list[str]:
    types: list[str] = []
    if len(files) > MAX_ATTACHMENTS:
        errors.setdefault("files", []).append(_("最多上传 %(n)d 个附件") % {"n": MAX_ATTACHMENTS})
        return types
    for upload in files:
        try:
            types.append(ATTACHMENTS.check(upload))
        except ValidationError as exc:
            errors.setdefault("files", []).extend(exc.messages)
    return types


def _store_attachment(
    ticket: Ticket, *, upload: UploadedFile, content_type: str, message: TicketMessage | None
) -> TicketAttachment:
    attachment = TicketAttachment(ticket=ticket, message=message)
    ATTACHMENTS.attach(attachment, upload, content_type=content_type)
    attachment.save()
    return attachment


def normalise_phone(text: str) -> str:
    """Spaces dropped, a +86 / 86 country prefix dropped; '' when it is not a Chinese number."""
    phone = re.sub(r"[\s\u3000()（）]", "", text).replace("—", "-").replace("－", "-")
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("86") and len(phone) == 13:
        phone = phone[2:]
    phone = phone.lstrip("-")
    if _MOBILE.match(phone) or _LANDLINE.match(phone):
        return phone
    return ""


def _text(value: str, *, field: str, label: str, max_len: int, errors: dict[str, list[str]]) -> str:
    value = (value or "").strip()
    if len(value) > max_len:
        errors.setdefault(field, []).append(
            _("%(label)s不能超过 %(n)d 个字") % {"label": label, "n": max_len}
        )
    return value


def submission_errors(**fields: Any) -> dict[str, list[str]]:
    """The field errors `check_submit_ticket` would raise, for a form that could not parse
    everything (a missing category is then reported with the rest, in one round)."""
    defaults: dict[str, Any] = {
        "kind": "",
        "category": None,
        "unit": None,
        "title": "",
        "content": "",
        "occurred": "",
        "named_person": "",
        "anonymous": True,
        "reporter_name": "",
        "reporter_phone": "",
        "channel": Ticket.Channel.WEB,
        "files": (),
        "idempotency_key": None,
    }
    return _validate_submission(**{**defaults, **fields})[0]


def _validate_submission(
    *,
    kind: str,
    category: TicketCategory | None,
    unit: Unit | None,
    title: str,
    content: str,
    occurred: str,
    named_person: str,
    anonymous: bool,
    reporter_name: str,
    reporter_phone: str,
    channel: str,
    files: Sequence[UploadedFile],
    idempotency_key: str | None,
) -> tuple[dict[str, list[str]], dict[str, Any]]:
    errors: dict[str, list[str]] = {}
    if kind not in Ticket.Kind.values:
        errors.setdefault("kind", []).append(_("请选择反映类型"))
    if channel not in Ticket.Channel.values:
        errors.setdefault("channel", []).append(_("请选择渠道"))
    if category is None or not category.is_active:
        errors.setdefault("category", []).append(_("请选择反映类别"))
    if unit is not None and not unit.is_active:
        errors.setdefault("unit", []).append(_("该单位已停用，请重新选择"))
    title = _text(title, field="title", label=_("标题"), max_len=TITLE_MAX, errors=errors)
    if not title:
        errors.setdefault("title", []).append(_("请填写标题"))
    content = (content or "").strip()
    if len(content) < CONTENT_MIN:
        errors.setdefault("content", []).append(
            _("请具体写明反映的问题（至少 %(n)d 个字）") % {"n": CONTENT_MIN}
        )
    elif len(content) > CONTENT_MAX:
        errors.setdefault("content", []).append(
            _("反映内容不能超过 %(n)d 个字") % {"n": CONTENT_MAX}
        )
    occurred = _text(occurred, field="occurred", label=_("发生时间"), max_len=50, errors=errors)
    named_person = _text(
        named_person, field="named_person", label=_("被反映人"), max_len=100, errors=errors
    )
    name, phone = "", ""
    if not anonymous:  # an anonymous ticket keeps no name and no phone, whatever was typed
        name = _text(
            reporter_name, field="reporter_name", label=_("姓名"), max_len=NAME_MAX, errors=errors
        )
        if not name:
            errors.setdefault("reporter_name", []).append(_("实名反映请填写姓名"))
        phone = normalise_phone(reporter_phone or "")
        if not phone:
            errors.setdefault("reporter_phone", []).append(
                _("请填写正确的手机号码（11 位）或固定电话（区号-号码）")
            )
    if idempotency_key is not None and not _IDEMPOTENCY_KEY.match(idempotency_key):
        errors.setdefault("idempotency_key", []).append(_("幂等键格式不正确"))
    types = _check_files(files, errors)
    return errors, {"texts": (title, content, occurred, named_person, name, phone), "types": types}


class IdempotencyConflict(ValidationError):
    """An idempotency key already used for another report; `ticket` is the one it made."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__(
            _("该幂等键已用于另一份反映，请为新的反映换一个幂等键"), code="idempotency_conflict"
        )
        self.ticket = ticket


def _replayed(
    key: str,
    *,
    kind: str,
    category: TicketCategory | None,
    unit: Unit | None,
    title: str,
    content: str,
) -> Ticket | None:
    """The ticket this key already made if the submission is the same report sent again,
    None for a new key; the key sent with another report is an IdempotencyConflict."""
    existing = Ticket.objects.filter(idempotency_key=key).first()
    if existing is None:
        return None
    if (
        existing.kind != kind
        or existing.category_id != (category.pk if category is not None else None)
        or existing.unit_id != (unit.pk if unit is not None else None)
        or existing.title != (title or "").strip()
        or existing.content != (content or "").strip()
    ):
        raise IdempotencyConflict(existing)
    return existing


def check_submit_ticket(
    *,
    kind: str,
    category: TicketCategory | None,
    unit: Unit | None,
    title: str,
    content: str,
    occurred: str = "",
    named_person: str = "",
    anonymous: bool,
    reporter_name: str = "",
    reporter_phone: str = "",
    channel: str = Ticket.Channel.WEB,
    entered_by: User | None = None,
    files: Sequence[UploadedFile] = (),
    idempotency_key: str | None = None,
    input_errors: Mapping[str, Sequence[str]] | None = None,
    human_check: Callable[[], None] | None = None,
) -> tuple[Ticket, str]:
    """File a ticket; returns it with the receipt code in clear, to be shown once.

    Everything is validated before anything is written (a ValidationError carries a dict of
    field errors, with `input_errors` the caller found in what it parsed); only then is
    `human_check` called, so a wrong field does not spend the question (it raises
    ValidationError to refuse). The same report sent again with a used idempotency key
    returns the ticket it made and an EMPTY code, before any check: the code was shown with
    the first answer and is not kept anywhere, so a retried request can only say "already
    filed, number …". Another report under a used key is an IdempotencyConflict.
    """
    report: dict[str, Any] = {
        "kind": kind,
        "category": category,
        "unit": unit,
        "title": title,
        "content": content,
    }
    if idempotency_key and (existing := _replayed(idempotency_key, **report)) is not None:
        return existing, ""
    errors, clean = _validate_submission(
        kind=kind,
        category=category,
        unit=unit,
        title=title,
        content=content,
        occurred=occurred,
        named_person=named_person,
        anonymous=anonymous,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        channel=channel,
        files=files,
        idempotency_key=idempotency_key,
    )
    # The caller's errors first: they are about the fields its sender filled in first.
    found = {name: list(messages) for name, messages in (input_errors or {}).items()}
    for name, messages in errors.items():
        found.setdefault(name, []).extend(messages)
    if found or category is None:  # no category is one of the errors
        raise ValidationError(found)
    if human_check is not None:
        human_check()
    title, content, occurred, named_person, name, phone = clean["texts"]
    types = clean["types"]
    try:
        return _store_ticket(
            kind=kind,
            category=category,
            unit=unit,
            title=title,
            content=content,
            occurred=occurred,
            named_person=named_person,
            anonymous=anonymous,
            name=name,
            phone=phone,
            channel=channel,
            entered_by=entered_by,
            files=list(zip(files, types, strict=True)),
            idempotency_key=idempotency_key or None,
        )
    except IntegrityError:
        # Two requests with one key at the same moment: the other one made the ticket.
        if idempotency_key and (existing := _replayed(idempotency_key, **report)) is not None:
            return existing, ""
        raise


def _store_ticket(
    *,
    kind: str,
    category: TicketCategory,
    unit: Unit | None,
    title: str,
    content: str,
    occurred: str,
    named_person: str,
    anonymous: bool,
    name: str,
    phone: str,
    channel: str,
    entered_by: User | None,
    files: list[tuple[UploadedFile, str]],
    idempotency_key: str | None,
) -> tuple[Ticket, str]:
    # Everything that needs no lock is worked out before the transaction: on SQLite its
    # BEGIN IMMEDIATE takes the one write lock every other submission waits for, so only
    # the number (serialised), the rows and the audit are done holding it.
    code = receipts.new_receipt_code()
    today = timezone.localdate()
    calendar = get_calendar()
    ticket = Ticket(
        receipt_hash=receipts.receipt_hash(code),
        kind=kind,
        channel=channel,
        category=category,
        unit=unit,
        title=title,
        content=content,
        occurred=occurred,
        named_person=named_person,
        anonymous=anonymous,
        reporter_name=name,
        reporter_phone=phone,
        reporter_phone_index=blind_index(phone),
        accept_due=calendar.add_workdays(today, category.accept_days),
        reply_due=calendar.add_workdays(today, category.reply_days),
        entered_by=entered_by,
        idempotency_key=idempotency_key,
    )
    # Green, in the queue's order, from the first moment.
    deadlines.set_light(ticket, today, calendar=calendar)
    after = {
        "kind": kind,
        "channel": channel,
        "category": category.pk,
        "anonymous": anonymous,
        "attachments": len(files),
    }
    with transaction.atomic():
        ticket.number = receipts.next_number()
        ticket.save(force_insert=True)
        for upload, content_type in files:
            _store_attachment(ticket, upload=upload, content_type=content_type, message=None)
        WORKFLOW.record_event(
            ticket, "submit", actor=entered_by, to_status=ticket.status, unit=unit
        )
        record_audit(
            actor=entered_by,
            action="intake.ticket.submit",
            obj=ticket,
            object_repr=ticket.number,
            after={"number": ticket.number, **after},
        )
        enqueue_job("intake.after_submit", {"ticket_id": ticket.pk})
    return ticket, code


@transaction.atomic
def check_add_reporter_message(
    ticket: Ticket, *, body: str, files: Sequence[UploadedFile] = ()
) -> TicketMessage:
    """The reporter adds to their ticket from the follow-up page (not once it is closed,
    merged or declined)."""
    WORKFLOW.lock(ticket)
    if ticket.status in NO_MORE_MESSAGES:
        raise ValidationError(
            _("工单当前状态为“%(status)s”，不能再补充留言")
            % {"status": Ticket.Status(ticket.status).label}
        )
    errors: dict[str, list[str]] = {}
    body = _text(body, field="body", label=_("留言"), max_len=MESSAGE_MAX, errors=errors)
    if not body and not files:
        errors.setdefault("body", []).append(_("请填写留言内容或上传附件"))
    types = _check_files(files, errors)
    if errors:
        raise ValidationError(errors)
    message = TicketMessage.objects.create(
        ticket=ticket, author_kind=TicketMessage.Author.REPORTER, body=body or _("（补充附件）")
    )
    for upload, content_type in zip(files, types, strict=True):
        _store_attachment(ticket, upload=upload, content_type=content_type, message=message)
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["updated_at"])
    record_audit(
        actor=None,
        action="intake.ticket.reporter_message",
        obj=ticket,
        object_repr=ticket.number,
        after={"message": message.pk, "attachments": len(files)},
    )
    enqueue_job(
        "intake.after_followup", {"ticket_id": ticket.pk, "what": "message", "ref": message.pk}
    )
    return message


@transaction.atomic
def check_rate(ticket: Ticket, *, rating: int, comment: str) -> Ticket:
    """The reporter rates the reply: 5 满意 … 1 很不满意.

    Satisfied (3–5) closes the ticket. Dissatisfied (1–2) sends it back for redo (发回重办)
    the first time, and escalates it to the handling unit's parent (提级) after that; a reason
    is required then, so the next handler knows what was wrong.
    """
    errors: dict[str, list[str]] = {}
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        errors.setdefault("rating", []).append(_("请选择满意度（1 到 5）"))
    comment = _text(comment, field="comment", label=_("评价"), max_len=COMMENT_MAX, errors=errors)
    dissatisfied = isinstance(rating, int) and rating <= DISSATISFIED
    if dissatisfied and not comment and "rating" not in errors:
        errors.setdefault("comment", []).append(_("请说明不满意的原因"))
    if errors:
        raise ValidationError(errors)
    if not dissatisfied:
        action = "close"
    elif ticket.redo_count == 0:
        action = "redo"
    else:
        action = "escalate"
    reason = f"{RATING_LABELS[rating]}（{rating}）" + (f"：{comment}" if comment else "")
    # No actor: the reporter is nobody's account, and the audit row names the ticket by its
    # number only (the title is the reporter's own words).
    with WORKFLOW.move(
        ticket, action, actor=None, reason=reason, object_repr=ticket.number
    ) as step:
        ticket.rating = rating
        if action in {"redo", "escalate"}:
            old_due = ticket.reply_due
            ticket.reply_due = get_calendar().add_workdays(
                timezone.localdate(), ticket.category.reply_days
            )
            why = (
                _("发回重办，重新计算办结期限")
                if action == "redo"
                else _("提级办理，重新计算办结期限")
            )
            record_reply_due_change(ticket, old_due, actor=None, reason=why)
            ticket.replied_at = None
        if action == "redo":
            ticket.redo_count += 1
        elif action == "escalate":
            current = ticket.handling_unit or ticket.unit
            ticket.handling_unit = (current.parent if current is not None else None) or current
            ticket.handler = None  # the unit above picks its own handler
            step.columns["unit"] = ticket.handling_unit
        step.note["rating"] = rating
    if action != "close":
        enqueue_job(
            "intake.after_followup", {"ticket_id": ticket.pk, "what": action, "ref": rating}
        )
    return ticket


# --- After commit: notifications carrying only the ticket number -----------------------------


def record_reply_due_change(
    ticket: Ticket, old: date | None, *, actor: User | None, reason: str
) -> None:
    """Inside an action that has just set `ticket.reply_due`: the change as a history row and
    the ticket's mark (saved with it by the caller); nothing when the date is the same. A past
    period's figures read the deadline then in force from these rows (intake/figures.py)."""
    if ticket.reply_due == old:
        return
    now = timezone.now()
    DeadlineChange.objects.create(
        ticket=ticket,
        old=old,
        new=ticket.reply_due,
        reason=reason[:200],
        changed_by=actor,
        changed_at=now,
    )
    ticket.reply_due_changed_at = now


def intake_recipients(unit: Unit | None) -> list[User]:
    """Users holding an intake role over a unit above the one reported on (never the unit
    itself: the reported unit must not learn of a report about it from us), or over a root
    unit when there is no such ancestor."""
    above_ids = unit.ancestor_ids() if unit is not None else []
    assignments = RoleAssignment.objects.filter(
        role__in=INTAKE_ROLES, revoked_at__isnull=True, user__is_active=True
    )
    above = assignments.filter(unit_id__in=above_ids)
    # The root is an ancestor of every unit; it answers alone only for a root or no unit.
    assignments = above if above_ids else assignments.filter(unit__parent__isnull=True)
    ids = sorted(set(assignments.values_list("user_id", flat=True)))
    return list(User.objects.filter(pk__in=ids).order_by("pk"))


def _notify_once(user: User, *, title: str, link: str) -> None:
    # A job re-run after a lost lease must not notify twice.
    if not user.notifications.filter(title=title[:200], link=link[:300]).exists():
        notify(recipient=user, title=title, link=link)


def after_submit(payload: dict[str, Any]) -> None:
    """Runs in its own short transactions: the duplicate check reads and computes before it
    writes, and on SQLite the write lock must not be held meanwhile while the form keeps
    storing new tickets (both steps are idempotent, so a re-run after a crash is harmless)."""
    ticket = Ticket.objects.select_related("unit").filter(pk=payload["ticket_id"]).first()
    if ticket is None:
        return
    title = _("新反映工单：%(n)s") % {"n": ticket.number}
    recipients = intake_recipients(ticket.unit)
    with transaction.atomic():
        for user in recipients:
            _notify_once(user, title=title, link=reverse("intake:detail", args=[ticket.pk]))
    # The duplicate check, on the stored ticket (web form and hotline entry alike).
    similarity.record_duplicates(ticket)


FOLLOWUP_TITLES = {
    "message": gettext_lazy("工单 %(n)s 收到反映人补充留言"),
    "redo": gettext_lazy("工单 %(n)s 反映人不满意，已发回重办"),
    "escalate": gettext_lazy("工单 %(n)s 反映人再次不满意，已提级办理"),
}


def after_followup(payload: dict[str, Any]) -> None:
    ticket = Ticket.objects.select_related("unit").filter(pk=payload["ticket_id"]).first()
    what = payload.get("what", "")
    if ticket is None or what not in FOLLOWUP_TITLES:
        return
    title = str(FOLLOWUP_TITLES[what]) % {"n": ticket.number}
    link = reverse("intake:detail", args=[ticket.pk]) + f"#{what}-{payload.get('ref', '')}"
    recipients = {u.pk: u for u in intake_recipients(ticket.unit)}
    if ticket.handler is not None and ticket.handler.is_active:
        recipients.setdefault(ticket.handler.pk, ticket.handler)
    for user in recipients.values():
        _notify_once(user, title=title, link=link)
