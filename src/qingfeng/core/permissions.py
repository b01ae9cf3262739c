"""Who may use core's own pages: the audit trail and the system settings (三权分立).

Roles are named by their stored values; the role table itself belongs to `orgs`, which
builds its own policy on these rules.
"""

from __future__ import annotations

from typing import Any

from qingfeng.core.scope import has_role

AUDITOR = "auditor"
SYSTEM_ADMIN = "system_admin"

RULES: dict[str, frozenset[str]] = {
    "view_audit": frozenset({AUDITOR}),
    "manage_settings": frozenset({SYSTEM_ADMIN}),
}


def can(user: Any, action: str) -> bool:
    roles = RULES.get(action)
    if roles is None:
        raise KeyError(f"unknown action {action!r}")
    return bool(user.is_authenticated) and has_role(user, *roles)
