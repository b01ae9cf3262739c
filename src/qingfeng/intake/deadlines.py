"""Ticket deadlines in working days: lights and escalation, as the ledger does for problems.

A ticket has one running clock at a time: `accept_due` while it waits to be accepted
(received), `reply_due` while it is being handled (accepted, assigned, handling). The light is
green, yellow (due within the yellow window) or red (overdue); no light otherwise.
`recompute_lights` runs daily; `escalate` writes each stage once per ticket and due date.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core.actions import notify
from qingfeng.core.calendar import get_calendar
from qingfeng.intake.models import Ticket, TicketEscalation
from qingfeng.orgs.models import Role, User

S = Ticket.Status
URGENCY = {"red": 0, "yellow": 1, "green": 2, "": 3}
ACCEPTING = (S.RECEIVED,)
WORKING = (S.ACCEPTED, S.ASSIGNED, S.HANDLING)
BATCH = 2000


def yellow_days(stage: str) -> int:
    """Acceptance is due within a day or so: yellow on the due day itself. A reply is yellow
    within the ledger's window (QF_INTAKE_YELLOW_DAYS, else QF_LEDGER_YELLOW_DAYS)."""
    if stage == "accept":
        return 0
    return int(getattr(settings, "QF_INTAKE_YELLOW_DAYS", settings.QF_LEDGER_YELLOW_DAYS))


def running_due(ticket: Ticket) -> tuple[str, date | None]:
    if ticket.status in ACCEPTING:
        return "accept", ticket.accept_due
    if ticket.status in WORKING:
        return "reply", ticket.reply_due
    return "", None


def light_on(due: date | None, today: date, *, yellow: int) -> str:
    if due is None:
        return ""
    if today > due:
        return "red"
    if get_calendar().count_workdays(today, due) <= yellow:
        return "yellow"
    return "green"


def set_light(ticket: Ticket, today: date | None = None) -> None:
    """The light, urgency and sort key for the ticket's current status (not saved)."""
    today = today or timezone.localdate()
    stage, due = running_due(ticket)
    light = light_on(due, today, yellow=yellow_days(stage)) if stage else ""
    ticket.light = light
    ticket.urgency = URGENCY[light]
    ticket.due_key = due if (stage and due is not None) else date.max


def recompute_lights(today: date) -> int:
    """Set every ticket's light for `today`; returns how many rows changed."""
    calendar = get_calendar()
    changed = 0
    with transaction.atomic():
        for stage, statuses, field in (
            ("accept", ACCEPTING, "accept_due"),
            ("reply", WORKING, "reply_due"),
        ):
            # Yellow while at most n working days are left: before the (n+1)th working day
            # after today — the same rule as light_on, as a date.
            green_from = calendar.add_workdays(today, yellow_days(stage) + 1)
            windows = {
                "red": Q(**{f"{field}__lt": today}),
                "yellow": Q(**{f"{field}__gte": today, f"{field}__lt": green_from}),
                "green": Q(**{f"{field}__gte": green_from}),
            }
            for light, window in windows.items():
                changed += (
                    Ticket.objects.filter(window, status__in=statuses)
                    .exclude(light=light, due_key=F(field))
                    .update(light=light, urgency=URGENCY[light], due_key=F(field))
                )
        running = Q(status__in=ACCEPTING, accept_due__isnull=False) | Q(
            status__in=WORKING, reply_due__isnull=False
        )
        changed += (
            Ticket.objects.exclude(running)
            .exclude(light="", due_key=date.max)
            .update(light="", urgency=URGENCY[""], due_key=date.max)
        )
    return changed


def _intake_staff(ticket: Ticket) -> list[User]:
    """Intake roles whose unit is above (or is) the reported unit, else the bureau's."""
    unit = ticket.unit or ticket.handling_unit
    roles = [Role.BUREAU_ADMIN, Role.CAMPAIGN_OFFICE]
    users = User.objects.filter(
        roles__role__in=roles, roles__revoked_at__isnull=True, is_active=True
    )
    if unit is not None:
        users = users.filter(roles__unit_id__in=unit.ancestor_ids(include_self=True))
    return list(users.distinct().order_by("id"))


def _handlers(ticket: Ticket) -> list[User]:
    if ticket.handler is not None and ticket.handler.is_active:
        return [ticket.handler]
    if ticket.handling_unit_id is None:
        return []
    return list(
        User.objects.filter(
            roles__role=Role.UNIT_ADMIN,
            roles__revoked_at__isnull=True,
            roles__unit_id=ticket.handling_unit_id,
            is_active=True,
        )
        .distinct()
        .order_by("id")
    )


def _recipients(ticket: Ticket, stage: str, step: str) -> list[User]:
    if step == "accept" or stage == TicketEscalation.Stage.ESCALATE:
        return _intake_staff(ticket)
    if ticket.handling_unit_id is None:  # accepted, not yet assigned: the intake office's
        return _intake_staff(ticket)
    return _handlers(ticket) or _intake_staff(ticket)


def stage_for(ticket: Ticket, due: date, today: date, *, escalate_after: int) -> str | None:
    if ticket.light == "yellow":
        return TicketEscalation.Stage.REMIND
    if ticket.light == "red":
        overdue = get_calendar().count_workdays(due, today)
        if overdue > escalate_after:
            return TicketEscalation.Stage.ESCALATE
        return TicketEscalation.Stage.NOTICE
    return None


def escalate(today: date, *, escalate_after: int | None = None) -> int:
    """Write and send the escalation each yellow or red ticket is due; each stage once per
    ticket and due date, so running it twice sends nothing twice. Notifications carry the
    ticket number only, nothing of the report."""
    escalate_after = (
        settings.QF_LEDGER_ESCALATE_AFTER_DAYS if escalate_after is None else escalate_after
    )
    sent = 0
    due_now = (
        Ticket.objects.filter(light__in=["yellow", "red"], status__in=ACCEPTING + WORKING)
        .select_related("unit", "handling_unit", "handler")
        .order_by("id")
    )
    for ticket in due_now.iterator(chunk_size=BATCH):
        step, due = running_due(ticket)
        if due is None:
            continue
        stage = stage_for(ticket, due, today, escalate_after=escalate_after)
        if stage is None:
            continue
        try:
            with transaction.atomic():
                recipients = _recipients(ticket, stage, step)
                TicketEscalation.objects.create(
                    ticket=ticket, stage=stage, due=due, recipients=[u.pk for u in recipients]
                )
                what = _("受理") if step == "accept" else _("办结")
                title = _("【%(stage)s】工单 %(number)s %(what)s期限 %(due)s") % {
                    "stage": TicketEscalation.Stage(stage).label,
                    "number": ticket.number,
                    "what": what,
                    "due": due.isoformat(),
                }
                for user in recipients:
                    notify(recipient=user, title=title, link=f"/intake/{ticket.pk}/")
        except IntegrityError:
            continue  # this stage was already sent for this due date
        sent += 1
    return sent
