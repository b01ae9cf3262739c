"""The channel's figures for the campaign's rhythm (core/registry.py `FigureSource`), by the
unit that handles the ticket: received, answered, rated and satisfied (4 or 5 of 5), open past
the answer deadline. Grouped queries, whatever the number of units."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core.registry import Figure, FigureSource, Ratio
from qingfeng.intake.models import DeadlineChange, Ticket, TicketEvent
from qingfeng.intake.workflow import WORKFLOW
from qingfeng.lib.dates import day_bounds

T = Ticket.Status
OPEN = (T.RECEIVED, T.ACCEPTED, T.ASSIGNED, T.HANDLING)
SATISFIED_FROM = 4

FIGURES = (
    Figure("tickets_received", _("收到工单"), listed=True),
    Figure("tickets_replied", _("办结工单"), listed=True),
    Figure("tickets_rated", _("评价工单"), listed=True),
    Figure("tickets_satisfied", _("满意工单"), listed=True),
    Figure("tickets_overdue", _("超期未办结工单"), listed=True),
)


# The events that move a ticket between units (an assignment and an escalation name the new
# unit, a return the unit that gave it back), and the reporter's answers to a reply.
UNIT_MOVES = ("assign", "escalate", "return")
FEW_UNITS = 50  # up to this many units, a period's tickets are found by id first
RATINGS = ("close", "redo", "escalate")


def _unit_at(after: datetime) -> Case:
    """The handling unit a ticket had at `after`: the unit of its last assignment or
    escalation before then (none after a return); none before its first; its current one when
    untouched since, or when no event ever moved it (rows made without the workflow)."""
    moves = TicketEvent.objects.filter(ticket=OuterRef("pk"), action__in=UNIT_MOVES)
    last = moves.filter(created_at__lt=after).order_by("-created_at", "-id")
    held = Case(When(action="return", then=Value(None)), default=F("unit_id"))
    return Case(
        When(updated_at__lt=after, then=F("handling_unit_id")),
        When(Exists(last), then=Subquery(last.annotate(held=held).values("held")[:1])),
        When(Exists(moves), then=Value(None)),
        default=F("handling_unit_id"),
        output_field=IntegerField(),
    )


def reply_due_at(moment: datetime) -> Case:
    """The reply deadline in force at `moment`: the row's own when it has not changed since
    (most rows: no history read), else the old date of the first change made after then."""
    later = DeadlineChange.objects.filter(ticket=OuterRef("pk"), changed_at__gte=moment)
    return Case(
        When(
            Q(reply_due_changed_at__isnull=True) | Q(reply_due_changed_at__lt=moment),
            then=F("reply_due"),
        ),
        default=Subquery(later.order_by("changed_at", "id").values("old")[:1]),
        output_field=DateField(),
    )


def _event_in(actions: Sequence[str], first: datetime, after: datetime) -> Exists:
    return Exists(
        TicketEvent.objects.filter(
            ticket=OuterRef("pk"), action__in=actions, created_at__gte=first, created_at__lt=after
        )
    )


def _conditions(
    tickets: QuerySet[Ticket], unit_ids: Any, start: date, end: date
) -> tuple[QuerySet[Ticket], str, dict[str, Q]]:
    """The tickets handled by one of `unit_ids` (any unit for None) in the period, the field
    naming that unit, and per figure the condition a ticket meets to be counted in it: one
    definition for the counts and for the queue of the records behind a count (`narrow`).

    A period that is over is read as it stood at its end, from the tickets' events: the status
    and the handling unit then (a ticket answered, sent back or escalated afterwards stays
    where it was), the replies made in it (a reply later sent back for redo still counts), and
    the reporters' ratings given in it (one given after the period's end does not change it; a
    close is the last rating, so its value is the ticket's), and overdue by the reply deadline
    in force at the period's end (a redo or an escalation afterwards restarts the deadline, but
    not in the past: `DeadlineChange`)."""
    first, after = day_bounds(start, end, timezone.get_current_timezone())
    tickets = tickets.exclude(status=T.MERGED)
    received = Q(created_at__gte=first, created_at__lt=after)
    if after <= timezone.now():
        if unit_ids is not None:
            moved = TicketEvent.objects.filter(
                action__in=("assign", "escalate"), unit_id__in=unit_ids, created_at__lt=after
            ).values("ticket_id")
            held = Q(handling_unit_id__in=unit_ids) | Q(updated_at__gte=after, pk__in=moved)
            if len(unit_ids) <= FEW_UNITS:
                # A few units (one unit's weekly report): each half of the condition read
                # through its own index, as one subquery — as one OR, PostgreSQL reads the
                # whole table (1.6 s at 200,000 tickets for one school).
                mine = Ticket.objects.filter(handling_unit_id__in=unit_ids).values("pk")
                since = Ticket.objects.filter(updated_at__gte=after, pk__in=moved).values("pk")
                held = Q(pk__in=mine.union(since))
            tickets = tickets.filter(held)
        tickets = tickets.annotate(unit_at_end=_unit_at(after)).alias(
            at_end=WORKFLOW.status_at(after), due_at_end=reply_due_at(after)
        )
        status, unit, due = "at_end", "unit_at_end", "due_at_end"
        if unit_ids is not None:
            tickets = tickets.filter(unit_at_end__in=unit_ids)
        replied = Q(_event_in(("reply",), first, after))
        rated = replied & Q(_event_in(RATINGS, first, after), rating__isnull=False)
        satisfied = replied & Q(_event_in(("close",), first, after), rating__gte=SATISFIED_FROM)
    else:
        if unit_ids is not None:
            tickets = tickets.filter(handling_unit_id__in=unit_ids)
        status, unit, due = "status", "handling_unit_id", "reply_due"
        replied = Q(replied_at__gte=first, replied_at__lt=after)
        rated = replied & Q(rating__isnull=False)
        satisfied = replied & Q(rating__gte=SATISFIED_FROM)
    overdue = Q(created_at__lt=after, **{f"{due}__lt": end, f"{status}__in": OPEN})
    return (
        tickets,
        unit,
        {
            "tickets_received": received,
            "tickets_replied": replied,
            "tickets_rated": rated,
            "tickets_satisfied": satisfied,
            "tickets_overdue": overdue,
        },
    )


def narrow(
    tickets: QuerySet[Ticket], key: str, start: date, end: date, unit_ids: Any
) -> QuerySet[Ticket]:
    """The tickets counted in figure `key` for the days `start` … `end`, handled by one of
    `unit_ids` (any for None): the queue behind a dashboard number (`?figure=<key>&…`)."""
    tickets, _unit, conditions = _conditions(tickets, unit_ids, start, end)
    return tickets.filter(conditions[key])


def compute(unit_ids: Sequence[int], start: date, end: date) -> Mapping[int, Mapping[str, int]]:
    result: dict[int, dict[str, int]] = defaultdict(dict)
    tickets, unit, conditions = _conditions(Ticket.objects.all(), unit_ids, start, end)
    counts = {key: Count("id", filter=condition) for key, condition in conditions.items()}
    for row in tickets.values(unit).annotate(**counts):
        result[row.pop(unit)].update(row)
    return result


SOURCE = FigureSource(
    "intake",
    _("直通车"),
    20,
    FIGURES,
    compute,
    records="intake:queue?status=all",
    own_records=True,
    stage="check",
    ratios=(
        Ratio("tickets_satisfied_rate", _("工单满意率"), "tickets_satisfied", "tickets_rated", 30),
    ),
)
