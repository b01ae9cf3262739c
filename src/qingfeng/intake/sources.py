"""Tickets as a source of ledger problems (core/registry.py ProblemSource): the ledger asks
here whether the reporters were answered (双反馈) and which tickets to list on a problem's
page, instead of importing the channel."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qingfeng.core.registry import SourceRecord
from qingfeng.intake.models import Ticket
from qingfeng.intake.selectors import tickets_visible_to
from qingfeng.ledger.models import Problem

ANSWERED = frozenset({Ticket.Status.REPLIED, Ticket.Status.CLOSED})


class TicketSource:
    key = "tickets"
    label = _("来源工单")

    def reporters_answered(self, problem: Problem) -> bool | None:
        """Answered when every ticket the problem was made from is (a merged duplicate's
        reporters are answered with its master)."""
        states = set(Ticket.objects.filter(problem=problem).values_list("status", flat=True))
        return states <= ANSWERED if states else None

    def records(self, problem: Problem, *, viewer: Any) -> list[SourceRecord]:
        tickets = list(
            Ticket.objects.filter(problem=problem).only("id", "number", "status").order_by("id")
        )
        if not tickets:
            return []
        visible = set(
            tickets_visible_to(viewer)
            .filter(pk__in=[t.pk for t in tickets])
            .values_list("pk", flat=True)
        )
        return [
            SourceRecord(
                number=t.number,
                state=t.get_status_display(),
                url=reverse("intake:detail", args=[t.pk]) if t.pk in visible else "",
            )
            for t in tickets
        ]
