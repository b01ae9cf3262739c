"""The channel as the one place complaints go (`core.registry.ComplaintSink`): staff of
another app — a rating's dissatisfied comment in the evaluation — file it here as a ticket,
through the channel's own submission (stored, routed, deadlines and duplicate check as any
ticket), marked by its channel, with no name or phone of the person who wrote it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from qingfeng.core.registry import FiledComplaint
from qingfeng.intake.actions import check_submit_ticket
from qingfeng.intake.models import Ticket, TicketCategory

# The other apps' sources and the channel each files under.
CHANNELS = {"evaluation": Ticket.Channel.EVALUATION}


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
    ) -> FiledComplaint:
        if source not in CHANNELS:
            raise ValueError(f"unknown complaint source {source!r}")
        category = TicketCategory.objects.filter(pk=category_id, is_active=True).first()
        if category is None:
            raise ValidationError({"category": _("请选择反映类别")})
        ticket, _code = check_submit_ticket(
            kind=Ticket.Kind.COMPLAINT,
            category=category,
            unit=unit,
            title=title,
            content=text,
            anonymous=True,
            channel=CHANNELS[source],
            entered_by=actor,
            idempotency_key=ref,
        )
        return FiledComplaint(ticket.number, self.url(ticket.number))

    def url(self, number: str) -> str:
        ticket = Ticket.objects.filter(number=number).only("pk").first()
        return reverse("intake:detail", args=[ticket.pk]) if ticket is not None else ""
