"""The channel's figures for the campaign's rhythm (core/registry.py `FigureSource`), by the
unit that handles the ticket: received, answered, rated and satisfied (4 or 5 of 5), open past
the answer deadline. Grouped queries, whatever the number of units."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date

from django.db.models import Count, Q
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
    Figure("tickets_received", _("收到工单")),
    Figure("tickets_replied", _("办结工单")),
    Figure("tickets_rated", _("评价工单")),
    Figure("tickets_satisfied", _("满意工单")),
    Figure("tickets_overdue", _("超期未办结工单")),
)


def compute(unit_ids: Sequence[int], start: date, end: date) -> Mapping[int, Mapping[str, int]]:
    first, after = day_bounds(start, end, timezone.get_current_timezone())
    result: dict[int, dict[str, int]] = defaultdict(dict)
    received = Q(created_at__gte=first, created_at__lt=after)
    tickets = Ticket.objects.filter(handling_unit_id__in=unit_ids).exclude(status=T.MERGED)
    # A period that is over is read as it stood at its end: a ticket answered afterwards was
    # still open then (its status from its events).
    status = "status"
    if after <= timezone.now():
        tickets, status = tickets.alias(at_end=WORKFLOW.status_at(after)), "at_end"
    overdue = Q(created_at__lt=after, reply_due__lt=end, **{f"{status}__in": OPEN})
    replied = Q(replied_at__gte=first, replied_at__lt=after)
    rows = tickets.values("handling_unit_id").annotate(
        tickets_received=Count("id", filter=received),
        tickets_replied=Count("id", filter=replied),
        tickets_rated=Count("id", filter=replied & Q(rating__isnull=False)),
        tickets_satisfied=Count("id", filter=replied & Q(rating__gte=SATISFIED_FROM)),
        tickets_overdue=Count("id", filter=overdue),
    )
    for row in rows:
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
