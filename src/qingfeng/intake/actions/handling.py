"""The staff side of a ticket's life: accept, decline, assign, start, return, reply, close,
merge, internal notes, revealing the reporter's identity, hotline entry, and turning a ticket
(with its merged duplicates) into a ledger problem.

Each function runs in one transaction and moves the status through the workflow's locked
move (`WORKFLOW.move`), which writes the TicketEvent and the audit event. Notifications are
rows written in the same transaction and carry the ticket number only, nothing of the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qingfeng.core.actions import notify
from qingfeng.core.audit import record_audit
from qingfeng.core.calendar import get_calendar
from qingfeng.core.notify import queue_message
from qingfeng.intake import deadlines, routing, workflow
from qingfeng.intake.actions.submit import check_submit_ticket, record_reply_due_change
from qingfeng.intake.models import (
    IdentityReveal,
    Ticket,
    TicketCategory,
    TicketMessage,
)
from qingfeng.intake.permissions import handler_refusal, inside_reported_unit, intake_covers
from qingfeng.intake.workflow import WORKFLOW
from qingfeng.lib.redact import Audience, redact
from qingfeng.orgs.models import Person, Role, Unit, User
from qingfeng.orgs.selectors import roster_names

S = Ticket.Status
ENTRY_CHANNELS = (Ticket.Channel.PHONE, Ticket.Channel.LETTER, Ticket.Channel.VISIT)


def _required(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(message)
    return text


def _save(ticket: Ticket, action: str, *, actor: User, before: dict[str, Any]) -> None:
    deadlines.set_light(ticket)
    ticket.save()
    record_audit(
        actor=actor,
        action=f"intake.ticket.{action}",
        obj=ticket,
        before=before,
        after=workflow.snapshot(ticket),
    )


def _internal_note(ticket: Ticket, *, actor: User, body: str) -> TicketMessage:
    return TicketMessage.objects.create(
        ticket=ticket,
        author_kind=TicketMessage.Author.STAFF,
        author=actor,
        body=body,
        internal=True,
    )


@transaction.atomic
def do_accept(ticket: Ticket, *, actor: User) -> Ticket:
    """受理: the reply clock starts (the category's working days from today)."""
    with WORKFLOW.move(ticket, "accept", actor=actor):
        old_due = ticket.reply_due
        ticket.reply_due = get_calendar().add_workdays(
            timezone.localdate(), ticket.category.reply_days
        )
        record_reply_due_change(
            ticket, old_due, actor=actor, reason=_("受理，办结期限自受理之日起算")
        )
    return ticket


@transaction.atomic
def check_decline(ticket: Ticket, *, actor: User, reason: str) -> Ticket:
    """不予受理: the reason is shown to the reporter."""
    workflow.target_of(ticket, "decline")
    reason = _required(reason, _("不予受理须填写理由（将告知反映人）"))
    if Ticket.objects.filter(master=ticket).exists():
        # Its duplicates wait for this ticket's answer; declining it would strand them.
        raise ValidationError(_("该工单已合并了重复件，不能不予受理"))
    return WORKFLOW.apply(ticket, "decline", actor=actor, reason=reason)


def _check_handler(ticket: Ticket, unit: Unit, handler: User | None) -> None:
    if handler is None:
        return
    person: Person | None = getattr(handler, "person", None)
    refusal = handler_refusal(ticket, person)
    if refusal is None and person is not None and not person.unit.is_within(unit):
        refusal = _("承办人须是承办单位的人员")
    if refusal is None and not handler.is_active:
        refusal = _("承办人账号已停用")
    if refusal is not None:
        raise ValidationError({"handler": refusal})


def _unit_admins(unit: Unit) -> list[User]:
    return list(
        User.objects.filter(
            roles__role=Role.UNIT_ADMIN,
            roles__revoked_at__isnull=True,
            roles__unit=unit,
            is_active=True,
        )
        .distinct()
        .order_by("id")
    )


ASSIGN_REASON_MAX = 500


def _assign_reason(ticket: Ticket, unit: Unit, reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) > ASSIGN_REASON_MAX:
        raise ValidationError({"reason": _("转办理由不能超过 500 字")})
    if not reason and routing.handles_own_report(ticket, unit):
        raise ValidationError(
            {"reason": _("举报不由被举报单位自行办理：转办给被举报单位或其内设机构，须填写理由")}
        )
    return reason


@transaction.atomic
def check_assign(
    ticket: Ticket,
    *,
    actor: User,
    unit: Unit,
    handler: User | None = None,
    note: str = "",
    reason: str = "",
) -> Ticket:
    """转办 to a unit, optionally to a named handler — never someone inside the unit reported
    on, nor someone the ticket names. The note to the unit is internal. A complaint may go to
    the reported school itself; a 举报 goes there (or inside it) only with a stated reason,
    kept on the event and in the audit row."""
    workflow.target_of(ticket, "assign")
    if not unit.is_active:
        raise ValidationError({"unit": _("承办单位已停用")})
    _check_handler(ticket, unit, handler)
    reason = _assign_reason(ticket, unit, reason)
    with WORKFLOW.move(ticket, "assign", actor=actor, unit=unit, reason=reason) as step:
        if reason:
            step.note["reason"] = reason
        ticket.handling_unit = unit
        ticket.handler = handler
        if ticket.reply_due is None:  # assigned straight after an import, say
            ticket.reply_due = get_calendar().add_workdays(
                timezone.localdate(), ticket.category.reply_days
            )
            record_reply_due_change(ticket, None, actor=actor, reason=_("转办时确定办结期限"))
    if note.strip():
        _internal_note(ticket, actor=actor, body=_("转办要求：%(n)s") % {"n": note.strip()})
    for user in [handler] if handler is not None else _unit_admins(unit):
        notify(
            recipient=user,
            title=_("新转办工单：%(n)s，请于 %(d)s 前办结")
            % {"n": ticket.number, "d": ticket.reply_due.isoformat() if ticket.reply_due else ""},
            link=f"/intake/{ticket.pk}/",
        )
    return ticket


@transaction.atomic
def do_start(ticket: Ticket, *, actor: User) -> Ticket:
    return WORKFLOW.apply(ticket, "start", actor=actor)


@transaction.atomic
def check_return(ticket: Ticket, *, actor: User, reason: str) -> Ticket:
    """退回: a wrongly assigned ticket goes back to the intake office (accepted, unassigned);
    the reason is internal."""
    workflow.target_of(ticket, "return")
    reason = _required(reason, _("退回须填写理由"))
    unit = ticket.handling_unit
    with WORKFLOW.move(ticket, "return", actor=actor, reason=reason, public=False, unit=unit):
        ticket.handling_unit = None
        ticket.handler = None
    for user in deadlines._intake_staff(ticket):
        notify(
            recipient=user,
            title=_("工单 %(n)s 被承办单位退回，请重新转办") % {"n": ticket.number},
            link=f"/intake/{ticket.pk}/",
        )
    return ticket


def _mark_replied(ticket: Ticket, *, actor: User, body: str, reason: str = "") -> TicketMessage:
    message = TicketMessage.objects.create(
        ticket=ticket,
        author_kind=TicketMessage.Author.STAFF,
        author=actor,
        body=body,
        is_reply=True,
    )
    ticket.replied_at = timezone.now()
    if not ticket.anonymous and ticket.reporter_phone:
        # An SMS after commit (when SMS is on), in the default language, with the number
        # only: never the title, the content, the unit or the receipt code.
        with translation.override(settings.LANGUAGE_CODE):
            text = _("您反映的事项（编号 %(n)s）已有答复，请凭回执码查询。") % {"n": ticket.number}
        queue_message(
            channel="sms",
            address=ticket.reporter_phone,
            text=text,
            key=f"intake.reply:{message.pk}",
        )
    return message


def _reply_duplicates(master: Ticket, *, actor: User, body: str) -> int:
    """The master's answer reaches every reporter of a merged duplicate: the same reply on
    each, and each marked replied (a system step, outside the normal moves: merged → replied)."""
    count = 0
    duplicates = Ticket.objects.select_for_update().filter(master=master).exclude(status=S.CLOSED)
    for dup in duplicates.order_by("id"):
        before = workflow.snapshot(dup)
        WORKFLOW.record_event(
            dup,
            "reply",
            from_status=dup.status,
            to_status=S.REPLIED,
            actor=actor,
            reason=_("与工单 %(n)s 合并办理，一并答复") % {"n": master.number},
        )
        _mark_replied(dup, actor=actor, body=body)
        dup.status = S.REPLIED
        dup.updated_at = timezone.now()
        _save(dup, "reply_merged", actor=actor, before=before)
        count += 1
    return count


@transaction.atomic
def check_reply(ticket: Ticket, *, actor: User, body: str) -> TicketMessage:
    """办结: the answer the reporter reads on the follow-up page (and every merged reporter)."""
    workflow.target_of(ticket, "reply")
    body = _required(body, _("请填写答复内容"))
    with WORKFLOW.move(ticket, "reply", actor=actor):
        message = _mark_replied(ticket, actor=actor, body=body)
    _reply_duplicates(ticket, actor=actor, body=body)
    return message


@transaction.atomic
def check_close(ticket: Ticket, *, actor: User, note: str) -> Ticket:
    """回访后关闭: the follow-up record is internal."""
    workflow.target_of(ticket, "close")
    note = _required(note, _("请填写回访情况"))
    WORKFLOW.apply(ticket, "close", actor=actor)
    _internal_note(ticket, actor=actor, body=_("回访：%(n)s") % {"n": note})
    return ticket


@transaction.atomic
def check_merge(ticket: Ticket, *, actor: User, master: Ticket) -> Ticket:
    """合并为重复件: one matter handled once. The ticket's own duplicates follow it to the
    master; if the master is already answered, the answer reaches this reporter now."""
    workflow.target_of(ticket, "merge")
    master = Ticket.objects.select_for_update().get(pk=master.pk)
    if master.pk == ticket.pk:
        raise ValidationError(_("不能把工单合并到它自己"))
    if master.master_id is not None or master.status in {S.MERGED, S.DECLINED}:
        raise ValidationError(_("主件须是未被合并、未被不予受理的工单"))
    reason = _("并入工单 %(n)s") % {"n": master.number}
    with WORKFLOW.move(ticket, "merge", actor=actor, reason=reason):
        ticket.master = master
        if ticket.problem_id is None and master.problem_id is not None:
            ticket.problem_id = master.problem_id
    Ticket.objects.filter(master=ticket).update(master=master)
    WORKFLOW.record_event(
        master,
        "merged_in",
        actor=actor,
        reason=_("合并重复件 %(n)s") % {"n": ticket.number},
        public=False,
    )
    if master.status in {S.REPLIED, S.CLOSED}:
        answer = master.messages.filter(is_reply=True).order_by("-created_at", "-id").first()
        if answer is not None:
            _reply_duplicates(master, actor=actor, body=answer.body)
    return ticket


@transaction.atomic
def check_add_note(ticket: Ticket, *, actor: User, body: str) -> TicketMessage:
    """An internal note: staff only, never on the reporter's page."""
    body = _required(body, _("请填写备注内容"))
    note = _internal_note(ticket, actor=actor, body=body)
    record_audit(actor=actor, action="intake.ticket.note", obj=ticket)
    return note


@transaction.atomic
def check_reveal_identity(ticket: Ticket, *, actor: User, reason: str) -> tuple[str, str]:
    """The reporter's name and phone, for this look only: the reason is required and each look
    is a row and an audit event (which never hold the identity itself)."""
    if ticket.anonymous:
        raise ValidationError(_("匿名工单没有反映人身份信息"))
    if inside_reported_unit(actor, ticket):
        raise ValidationError(_("被反映单位的人员不能查看反映人身份"))
    if not intake_covers(actor, ticket):
        raise ValidationError(_("只有受理部门可以查看反映人身份"))
    reason = _required(reason, _("查看反映人身份须填写原因"))
    if len(reason) > 200:
        raise ValidationError(_("原因不能超过 200 字"))
    IdentityReveal.objects.create(ticket=ticket, actor=actor, reason=reason)
    record_audit(
        actor=actor, action="intake.ticket.reveal_identity", obj=ticket, after={"reason": reason}
    )
    return ticket.reporter_name, ticket.reporter_phone


def text_audience(viewer: User | None, ticket: Ticket) -> Audience:
    """Who reads a ticket's text: the unit it reports on (or a list that anyone on staff may
    see, `viewer` None) gets every trace of the reporter replaced; the intake roles above it
    get phone numbers and the reporter's name masked and the rest as written."""
    if viewer is None or inside_reported_unit(viewer, ticket):
        return Audience.REPORTED_UNIT
    return Audience.STAFF


def masked_text(
    ticket: Ticket, text: str, *, viewer: User | None = None, roster: Sequence[str] = ()
) -> str:
    """A text of the ticket (title, content, a message, a reason) as `viewer` may read it
    (lib.redact): numbers, the reporter's own name wherever it was written and, for the unit
    reported on, everything that points to the reporter. Without a viewer, the strictest."""
    names = [ticket.reporter_name] if ticket.reporter_name else []
    return redact(text, names=names, audience=text_audience(viewer, ticket), roster=roster)


def masked_content(ticket: Ticket, *, viewer: User | None = None) -> str:
    """The content for a detail page: the people the system knows around the unit are shown to
    the unit itself (its own staff), every other person hidden."""
    roster = roster_names(ticket.unit) if ticket.unit is not None else []
    return masked_text(ticket, ticket.content, viewer=viewer, roster=roster)


@transaction.atomic
def check_create_problem_from_ticket(
    ticket: Ticket,
    *,
    actor: User,
    category: Any,
    list_kind: str = "",
    rectification_type: str = "",
    deadline_workdays: int | None = None,
) -> Any:
    """One ledger problem for a ticket and the duplicates merged into it, linked both ways:
    source 直通车 or 热线, source_ref the master's number, every ticket pointing at it."""
    from qingfeng.ledger.actions import check_create_problem
    from qingfeng.ledger.models import Problem

    master = ticket.master or ticket
    master = Ticket.objects.select_for_update().get(pk=master.pk)
    if master.problem_id is not None:
        raise ValidationError(_("该工单已转为台账问题"))
    if master.status in {S.DECLINED, S.RECEIVED}:
        raise ValidationError(_("未受理或不予受理的工单不能转为台账问题"))
    unit = master.unit or master.handling_unit
    if unit is None:
        raise ValidationError(_("请先转办到责任单位，再转为台账问题"))
    group = list(Ticket.objects.filter(master=master).order_by("id"))
    names = [t.reporter_name for t in [master, *group] if t.reporter_name]
    # The problem is read by the unit reported on: nothing that points to the reporter.
    roster = roster_names(unit)
    description = redact(
        master.content, names=names, audience=Audience.REPORTED_UNIT, roster=roster
    )
    title = redact(master.title, names=names, audience=Audience.REPORTED_UNIT, roster=roster)
    if group:
        description += "\n" + _("（合并重复件：%(n)s）") % {"n": "、".join(t.number for t in group)}
    source = (
        Problem.Source.HOTLINE if master.channel == Ticket.Channel.PHONE else Problem.Source.CHANNEL
    )
    problem = check_create_problem(
        actor=actor,
        unit=unit,
        list_kind=list_kind or Problem.ListKind.DEPARTMENT_RISK,
        source=source,
        source_ref=master.number,
        category=category,
        title=title,
        description=description,
        rectification_type=rectification_type or Problem.RectificationType.TIME_LIMITED,
        deadline_workdays=deadline_workdays
        if deadline_workdays is not None
        else master.category.reply_days,
    )
    Ticket.objects.filter(pk__in=[master.pk, *(t.pk for t in group)]).update(problem=problem)
    master.problem = problem
    for t in [master, *group]:
        WORKFLOW.record_event(t, "to_problem", actor=actor, reason=problem.number, public=False)
    record_audit(
        actor=actor,
        action="intake.ticket.to_problem",
        obj=master,
        after={"problem": problem.number, "tickets": [master.number, *(t.number for t in group)]},
    )
    if ticket.pk == master.pk:
        ticket.problem = problem
    else:
        ticket.problem_id = problem.pk
    return problem


def check_enter_call(
    *,
    actor: User,
    channel: str,
    kind: str,
    category: TicketCategory,
    unit: Unit | None,
    title: str,
    content: str,
    occurred: str = "",
    named_person: str = "",
    anonymous: bool,
    reporter_name: str = "",
    reporter_phone: str = "",
) -> tuple[Ticket, str]:
    """热线录入: a call, letter or visit entered by an operator, through the same submission as
    the web form (stored first, with a receipt code the operator reads to the caller)."""
    if channel not in ENTRY_CHANNELS:
        raise ValidationError({"channel": _("请选择来电、来信或来访")})
    fields: dict[str, Any] = {
        "kind": kind,
        "category": category,
        "unit": unit,
        "title": title,
        "content": content,
        "occurred": occurred,
        "named_person": named_person,
        "anonymous": anonymous,
        "reporter_name": "" if anonymous else reporter_name,
        "reporter_phone": "" if anonymous else reporter_phone,
        "channel": channel,
    }
    ticket, code = check_submit_ticket(entered_by=actor, **fields)
    with transaction.atomic():
        deadlines.set_light(ticket)
        ticket.save(update_fields=["light", "urgency", "due_key"])
        record_audit(
            actor=actor,
            action="intake.ticket.enter",
            obj=ticket,
            after={"number": ticket.number, "channel": channel},
        )
    return ticket, code
