"""What the channel shows on the home page (core/registry.py HomeCard): the open tickets in
the user's queue by light, and how many wait to be accepted — from the kept counts
(intake.TicketTally), one grouped query however many tickets there are."""

from __future__ import annotations

from typing import Any

from django.db.models import Sum

from qingfeng.core.deadlines import URGENCY
from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.intake import selectors
from qingfeng.intake.models import Ticket
from qingfeng.intake.permissions import can


def overview_card(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    user = request.user
    if not can(user, "view_queue"):
        return None
    lights = dict.fromkeys(("red", "yellow", "green"), 0)
    names = {code: light for light, code in URGENCY.items()}
    waiting = 0
    rows = (
        selectors.tallies_visible_to(user)
        .filter(status__in=selectors.OPEN)
        .values("status", "urgency")
        .annotate(total=Sum("n"))
        .order_by()
    )
    for row in rows:
        light = names.get(row["urgency"])
        if light in lights:
            lights[light] += row["total"]
        if row["status"] == Ticket.Status.RECEIVED:
            waiting += row["total"]
    return {"intake_lights": lights, "intake_waiting": waiting}
