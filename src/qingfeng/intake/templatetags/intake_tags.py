"""Template helpers of the staff pages."""

from __future__ import annotations

from django import template

from qingfeng.intake.actions.handling import masked_text
from qingfeng.intake.models import Ticket

register = template.Library()


@register.filter
def masked_for(text: str, ticket: Ticket) -> str:
    """Any text of a ticket in a staff page, masked as for the unit reported on — the strictest
    staff reading: numbers and every trace of the reporter hidden (`{{ m.body|masked_for:ticket
    }}`). The complaint's content itself is masked per viewer in the view."""
    return masked_text(ticket, text or "")


@register.filter
def reason_of(flagged: dict[int, str], pk: int) -> str:
    """What a queue row's suspected duplicate has in common with it (the badge's tooltip)."""
    return flagged.get(pk, "")
