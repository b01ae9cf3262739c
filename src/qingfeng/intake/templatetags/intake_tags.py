"""Template helpers of the staff pages."""

from __future__ import annotations

from functools import lru_cache

from django import template

from qingfeng.intake.actions.handling import masked_text
from qingfeng.intake.models import Ticket

register = template.Library()


@register.filter
def masked_for(text: str, ticket: Ticket) -> str:
    """Any text of a ticket in a staff page, masked as for the unit reported on — the strictest
    staff reading: numbers and every trace of the reporter hidden (`{{ m.body|masked_for:ticket
    }}`). The complaint's content itself is masked per viewer in the view."""
    text = text or ""
    if len(text) > _SHORT:  # a message or a reason: read on one ticket's page, once
        return masked_text(ticket, text)
    return _strictest(text, ticket.reporter_name or "")


_SHORT = 200  # titles (at most 100 characters) and other short texts


@lru_cache(maxsize=2048)
def _strictest(text: str, reporter_name: str) -> str:
    """The strictest reading depends on the text and the reporter's name alone, and finding
    names in it (jieba's tagging) cost ~1.5 ms a title: 30 titles were most of a queue page
    (issue 12). Kept per process for the short texts (titles) seen last, so a page read
    again does not tag the same titles again."""
    return masked_text(Ticket(reporter_name=reporter_name), text)


@register.filter
def reason_of(flagged: dict[int, str], pk: int) -> str:
    """What a queue row's suspected duplicate has in common with it (the badge's tooltip)."""
    return flagged.get(pk, "")
