"""Closed tickets offered to the typical-case library through the registry (learning imports
no other domain app). The text is what the asking viewer may read (`masked_text`: the reporter
never shows), and learning redacts it further before anyone edits it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core.registry import CaseMaterial
from qingfeng.intake.actions.handling import masked_text
from qingfeng.intake.models import Ticket, TicketMessage
from qingfeng.intake.selectors import tickets_visible_to
from qingfeng.orgs.selectors import roster_names

DONE = (Ticket.Status.REPLIED, Ticket.Status.CLOSED)


class TicketCases:
    key = "intake.ticket"
    label = _("已办结工单")

    def _closed(self, viewer: Any) -> Any:
        return (
            tickets_visible_to(viewer)
            .filter(status__in=DONE, unit__isnull=False)
            .select_related("unit")
        )

    def _material(self, viewer: Any, ticket: Ticket, *, full: bool) -> CaseMaterial:
        roster = roster_names(ticket.unit) if full and ticket.unit is not None else []

        def mask(text: str) -> str:
            return masked_text(ticket, text, viewer=viewer, roster=roster) if full else ""

        reply = ""
        if full:
            last = (
                TicketMessage.objects.filter(ticket=ticket, is_reply=True, internal=False)
                .order_by("-created_at", "-id")
                .first()
            )
            reply = last.body if last is not None else ""
        closed = ticket.replied_at or ticket.updated_at
        return CaseMaterial(
            key=self.key,
            pk=ticket.pk,
            number=ticket.number,
            title=masked_text(ticket, ticket.title, viewer=viewer),
            text=mask(ticket.content),
            outcome=mask(reply),
            unit=ticket.unit,
            closed_on=timezone.localdate(closed) if closed else None,
            names=tuple(n for n in (ticket.reporter_name, ticket.named_person) if n),
            link=self.url(ticket.pk),
        )

    def closed(self, viewer: Any, *, exclude: Iterable[int], limit: int) -> list[CaseMaterial]:
        rows = self._closed(viewer).exclude(pk__in=list(exclude)).order_by("-replied_at", "-id")
        return [self._material(viewer, t, full=False) for t in rows[:limit]]

    def get(self, viewer: Any, pk: int) -> CaseMaterial | None:
        ticket = self._closed(viewer).filter(pk=pk).first()
        return self._material(viewer, ticket, full=True) if ticket is not None else None

    def visible(self, viewer: Any, pk: int) -> bool:
        return tickets_visible_to(viewer).filter(pk=pk).exists()

    def url(self, pk: int) -> str:
        return reverse("intake:detail", args=[pk])
