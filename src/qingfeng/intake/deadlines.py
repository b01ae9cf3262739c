"""Ticket deadlines in working days: lights and escalation, as the ledger does for problems,
with the mechanism in `core.deadlines`.

A ticket has one running clock at a time: `accept_due` while it waits to be accepted
(received), `reply_due` while it is being handled (accepted, assigned, handling). The light is
green, yellow (due within the yellow window) or red (overdue); no light otherwise.
`recompute_lights` runs daily; `escalate` writes each stage once per ticket and due date.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from qingfeng.core.deadlines import Clock, Ladder, Lights, Reminder
from qingfeng.core.models import Escalation
from qingfeng.intake.models import TICKET_TALLY, Ticket
from qingfeng.lib.workdays import WorkCalendar
from qingfeng.orgs.models import Role, User

S = Ticket.Status
ACCEPTING = (S.RECEIVED,)
WORKING = (S.ACCEPTED, S.ASSIGNED, S.HANDLING)


def _reply_yellow_days() -> int:
    """Acceptance is due within a day or so: yellow on the due day itself (the clock's
    default). A reply is yellow within QF_INTAKE_YELLOW_DAYS, else the ledger's window."""
    return int(getattr(settings, "QF_INTAKE_YELLOW_DAYS", settings.QF_LEDGER_YELLOW_DAYS))


def _escalate_after() -> int:
    return int(settings.QF_LEDGER_ESCALATE_AFTER_DAYS)


LIGHTS = Lights(
    model=Ticket,
    clocks=(
        Clock("accept", frozenset(ACCEPTING), "accept_due"),
        Clock("reply", frozenset(WORKING), "reply_due", yellow_days=_reply_yellow_days),
    ),
)


def set_light(
    ticket: Ticket, today: date | None = None, *, calendar: WorkCalendar | None = None
) -> None:
    """The light, urgency and sort key for the ticket's current status (not saved)."""
    LIGHTS.set_light(ticket, today, calendar=calendar)


def recompute_lights(today: date) -> int:
    """Set every ticket's light for `today`; returns how many rows changed. The kept counts
    it changed are folded into their subtree sums at once (the home card reads those)."""
    changed = LIGHTS.recompute(today)
    if changed:
        TICKET_TALLY.fold()
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


def _recipients(ticket: Ticket, stage: str, clock: Clock) -> list[User]:
    if clock.name == "accept" or stage == Escalation.Stage.ESCALATE:
        return _intake_staff(ticket)
    if ticket.handling_unit_id is None:  # accepted, not yet assigned: the intake office's
        return _intake_staff(ticket)
    return _handlers(ticket) or _intake_staff(ticket)


def _reminder(ticket: Ticket, stage: str, clock: Clock, due: date) -> Reminder:
    """The ticket number only, nothing of the report."""
    what = _("受理") if clock.name == "accept" else _("办结")
    title = _("【%(stage)s】工单 %(number)s %(what)s期限 %(due)s") % {
        "stage": Escalation.Stage(stage).label,
        "number": ticket.number,
        "what": what,
        "due": due.isoformat(),
    }
    return Reminder(title=title, link=f"/intake/{ticket.pk}/")


def _late_tickets() -> QuerySet[Ticket]:
    return Ticket.objects.select_related("unit", "handling_unit", "handler")


LADDER = Ladder(
    lights=LIGHTS,
    rows=_late_tickets,
    recipients=_recipients,
    reminder=_reminder,
    escalate_after=_escalate_after,
)


def escalate(today: date, *, escalate_after: int | None = None) -> int:
    """Write and send the escalation each yellow or red ticket is due; each stage once per
    ticket and due date, so running it twice sends nothing twice."""
    return LADDER.escalate(today, escalate_after=escalate_after)
