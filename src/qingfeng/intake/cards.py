"""What the channel shows on the home page (core/registry.py HomeCard): the open tickets in
the user's queue by light, and how many wait to be accepted — from the kept counts summed
per subtree (intake.TicketSubtreeTally, selectors.kept_open): two statements reading a row per
unit in view and combination, however many tickets or units there are."""

from __future__ import annotations

from typing import Any

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
    for (status, urgency), n in selectors.kept_open(user).items():
        light = names.get(urgency)
        if light in lights:
            lights[light] += n
        if status == Ticket.Status.RECEIVED:
            waiting += n
    return {"intake_lights": lights, "intake_waiting": waiting}
