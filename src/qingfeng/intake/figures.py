"""The channel's figures for the campaign's rhythm (core/registry.py `FigureSource`), by the
unit that handles the ticket: received, answered, rated and satisfied (4 or 5 of 5), open past
the answer deadline. Grouped queries, whatever the number of units."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core.registry import Figure, FigureSource, Ratio
from qingfeng.intake.models import Ticket
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


def _conditions(
    tickets: QuerySet[Ticket], start: date, end: date
) -> tuple[QuerySet[Ticket], dict[str, Q]]:
    """The tickets (aliased for a period that is over) and, per figure, the condition a ticket
    meets to be counted in it: one definition for the counts and for the queue of the records
    behind a count (`narrow`).

    A period that is over is read as it stood at its end: a ticket answered afterwards was
    still open then (its status from its events)."""
    first, after = day_bounds(start, end, timezone.get_current_timezone())
    tickets = tickets.exclude(status=T.MERGED)
    status = "status"
    if after <= timezone.now():
        tickets, status = tickets.alias(at_end=WORKFLOW.status_at(after)), "at_end"
    replied = Q(replied_at__gte=first, replied_at__lt=after)
    return tickets, {
        "tickets_received": Q(created_at__gte=first, created_at__lt=after),
        "tickets_replied": replied,
        "tickets_rated": replied & Q(rating__isnull=False),
        "tickets_satisfied": replied & Q(rating__gte=SATISFIED_FROM),
        "tickets_overdue": Q(created_at__lt=after, reply_due__lt=end, **{f"{status}__in": OPEN}),
    }


def narrow(
    tickets: QuerySet[Ticket], key: str, start: date, end: date, unit_ids: Any
) -> QuerySet[Ticket]:
    """The tickets counted in figure `key` for the days `start` … `end`, handled by one of
    `unit_ids` (the queue behind a dashboard number: `?figure=<key>&from=&to=`)."""
    if unit_ids is not None:
        tickets = tickets.filter(handling_unit_id__in=unit_ids)
    tickets, conditions = _conditions(tickets, start, end)
    return tickets.filter(conditions[key])


def compute(unit_ids: Sequence[int], start: date, end: date) -> Mapping[int, Mapping[str, int]]:
    result: dict[int, dict[str, int]] = defaultdict(dict)
    tickets, conditions = _conditions(
        Ticket.objects.filter(handling_unit_id__in=unit_ids), start, end
    )
    counts = {key: Count("id", filter=condition) for key, condition in conditions.items()}
    for row in tickets.values("handling_unit_id").annotate(**counts):
        result[row.pop("handling_unit_id")].update(row)
    return result


SOURCE = FigureSource(
    "intake",
    _("直通车"),
    20,
    FIGURES,
    compute,
    records="intake:queue?status=all",
    stage="check",
    ratios=(
        Ratio("tickets_satisfied_rate", _("工单满意率"), "tickets_satisfied", "tickets_rated", 30),
    ),
)
