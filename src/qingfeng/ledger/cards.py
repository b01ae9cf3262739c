"""What the ledger shows on the home page (core/registry.py HomeCard): the lights in the
user's scope, and the units below that need attention first."""

from __future__ import annotations

from typing import Any

from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.ledger import selectors
from qingfeng.ledger.permissions import can
from qingfeng.orgs.selectors import scope_root_units

HOME_UNITS = 15


def overview_card(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    user = request.user
    if not can(user, "view_ledger"):
        return None
    problems = selectors.problems_visible_to(user)
    context: dict[str, Any] = {
        "ledger_lights": selectors.counts_by_light(
            problems.exclude(status__in=["withdrawn", "draft"])
        )
    }
    roots = scope_root_units(user)
    if len(roots) == 1 and roots[0].kind not in {"school", "kindergarten"}:
        rows = selectors.overview_by_child_unit(user, roots[0])
        # The units that need attention first; a county has ~150 schools, most with nothing.
        busy = sorted(
            (r for r in rows if r["total"]),
            key=lambda r: (-int(r["red"]), -int(r["yellow"]), -int(r["total"])),
        )
        context["ledger_units"] = busy[:HOME_UNITS]
        context["ledger_units_more"] = max(0, len(busy) - HOME_UNITS)
    return context
