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
    roots = scope_root_units(user)
    overview = len(roots) == 1 and roots[0].kind not in {"school", "kindergarten"}
    children = selectors.overview_children(roots[0]) if overview else []
    # The kept counts summed per subtree when the user's view is whole units (an
    # administrator's, at any size): one statement reading a row per unit shown and
    # combination. A teacher's few problems are counted as they are.
    kept = selectors.kept_sums(user, [None, *roots[:1], *children] if overview else [None])
    if kept is not None:
        lights = selectors.kept_lights(kept[0], exclude=selectors.NOT_COUNTED)
    else:
        problems = selectors.problems_visible_to(user)
        lights = selectors.counts_by_light(problems.exclude(status__in=selectors.NOT_COUNTED))
    context: dict[str, Any] = {"ledger_lights": lights}
    if overview:
        rows = selectors.overview_by_child_unit(
            user, roots[0], kept=kept[1:] if kept is not None else None, children=children
        )
        # The units that need attention first; a county has ~150 schools, most with nothing.
        busy = sorted(
            (r for r in rows if r["total"]),
            key=lambda r: (-int(r["red"]), -int(r["yellow"]), -int(r["total"])),
        )
        context["ledger_units"] = busy[:HOME_UNITS]
        context["ledger_units_more"] = max(0, len(busy) - HOME_UNITS)
    return context
