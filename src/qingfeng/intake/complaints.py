"""The channel as the one place complaints go (`core.registry.ComplaintSink`): staff of
another app — a rating's dissatisfied comment in the evaluation, an observer's suggestion, a
matter raised at a principal's reception day — file it here as a ticket,
through the channel's own submission (stored, routed, deadlines and duplicate check as any
ticket), marked by its channel, with no name or phone of the person who wrote it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core.registry import ComplaintAnswer, FiledComplaint, ReceivedTicket
from qingfeng.intake.actions import check_submit_ticket
from qingfeng.intake.models import Ticket, TicketCategory, TicketEvent, TicketMessage
from qingfeng.intake.selectors import tickets_visible_to
from qingfeng.lib.dates import day_bounds

# The other apps' sources, the channel each files under, and the kind (a complaint unless said).
CHANNELS = {
    "evaluation": Ticket.Channel.EVALUATION,
    "observer": Ticket.Channel.OBSERVER,
    "reception": Ticket.Channel.RECEPTION,
}
KINDS = {"observer": Ticket.Kind.SUGGESTION}


class ForwardedComplaints:
    def categories(self) -> list[tuple[int, str]]:
        return list(
            TicketCategory.objects.filter(is_active=True)
            .order_by("sort_order", "id")
            .values_list("id", "name")
        )

    def file(
        self,
        *,
        actor: Any,
        unit: Any,
        category_id: int,
        title: str,
        text: str,
        source: str,
        ref: str,
        kind: str = "",
    ) -> FiledComplaint:
        if source not in CHANNELS:
            raise ValueError(f"unknown complaint source {source!r}")
        if kind and kind not in Ticket.Kind.values:
            raise ValidationError({"kind": _("请选择反映类型")})
        category = TicketCategory.objects.filter(pk=category_id, is_active=True).first()
        if category is None:
            raise ValidationError({"category": _("请选择反映类别")})
        ticket, code = check_submit_ticket(
            kind=kind or KINDS.get(source, Ticket.Kind.COMPLAINT),
            category=category,
            unit=unit,
            title=title,
            content=text,
            anonymous=True,
            channel=CHANNELS[source],
            entered_by=actor,
            idempotency_key=ref,
        )
        return FiledComplaint(ticket.number, self.url(ticket.number), receipt=code)

    def url(self, number: str) -> str:
        ticket = Ticket.objects.filter(number=number).only("pk").first()
        return reverse("intake:detail", args=[ticket.pk]) if ticket is not None else ""

    def states(self, numbers: list[str]) -> dict[str, str]:
        return {
            number: str(Ticket.Status(status).label)
            for number, status in Ticket.objects.filter(number__in=numbers).values_list(
                "number", "status"
            )
        }

    def answers(self, numbers: list[str]) -> dict[str, ComplaintAnswer]:
        """The reply of a ticket answered (办结, then perhaps closed after the follow-up) —
        its latest, after a redo — or the reason it was declined: what its reporter reads."""
        found: dict[str, ComplaintAnswer] = {}
        tickets = dict(
            Ticket.objects.filter(
                number__in=numbers,
                status__in=[Ticket.Status.REPLIED, Ticket.Status.CLOSED, Ticket.Status.DECLINED],
            ).values_list("pk", "number")
        )
        replies = TicketMessage.objects.filter(ticket_id__in=list(tickets), is_reply=True)
        declines = TicketEvent.objects.filter(ticket_id__in=list(tickets), action="decline")
        for rows in (
            replies.values_list("ticket_id", "created_at", "body"),
            declines.values_list("ticket_id", "created_at", "reason"),
        ):
            for ticket_id, at, text in rows.order_by("created_at", "id"):
                number = tickets[ticket_id]
                found[number] = ComplaintAnswer(number, at, text)
        return found

    def received(
        self, *, unit_ids: Sequence[int], start: date, end: date, viewer: Any
    ) -> list[ReceivedTicket]:
        """Read on the (unit, created_at) index; merged duplicates left out (their master is
        listed). A ticket links to its page only for who may open it there."""
        first, after = day_bounds(start, end, timezone.get_current_timezone())
        rows = list(
            Ticket.objects.filter(unit_id__in=unit_ids, created_at__gte=first, created_at__lt=after)
            .exclude(status=Ticket.Status.MERGED)
            .select_related("unit")
            .order_by("-created_at", "-id")[:200]
        )
        visible = set(
            tickets_visible_to(viewer)
            .filter(pk__in=[t.pk for t in rows])
            .values_list("pk", flat=True)
        )
        return [
            ReceivedTicket(
                number=t.number,
                title=t.title,
                unit=t.unit.name if t.unit else "",
                received_at=t.created_at,
                state=t.get_status_display(),
                url=reverse("intake:detail", args=[t.pk]) if t.pk in visible else "",
            )
            for t in rows
        ]
