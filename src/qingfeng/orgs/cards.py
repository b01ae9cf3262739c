"""What the organisation app shows on the home page (core/registry.py HomeCard)."""

from __future__ import annotations

from typing import Any

from qingfeng.core.http import AuthenticatedHttpRequest
from qingfeng.core.scope import has_role
from qingfeng.orgs import selectors
from qingfeng.orgs.models import Role
from qingfeng.orgs.permissions import can, has_scope


def scope_card(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    """The user's scope — its top units and what they hold — or 无 for a role without one."""
    user = request.user
    if not has_scope(user):
        return {"roots": [], "counts": None}
    roots = selectors.scope_root_units(user)
    if not can(user, "view_units"):  # an observer, an assessor: the area's name, no roster
        return {"roots": roots, "counts": None, "plain": True}
    return {"roots": roots, "counts": selectors.scope_counts(user)}


def liaison_card(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    if not has_role(request.user, Role.LEADER):
        return None
    counties = list(selectors.liaison_counties(request.user))
    return {"liaison_counties": counties} if counties else None
