"""Who may do what in the campaign (one policy).

- the campaign office and the bureau admin create campaigns; they, and a county's unit admin,
  issue tasks to the units below their own;
- a unit's admin submits its own plan, files its own weekly report and confirms its tasks;
- the level above decides: a unit admin, the bureau admin or the campaign office whose unit
  is above the unit approves or returns its plan and its weekly reports;
- everyone with a working role reads the campaign; rows come through the scoped selectors.
"""

from __future__ import annotations

from qingfeng.core.scope import active_roles, has_role
from qingfeng.orgs.models import Role, Unit, User

R = Role
OFFICE = frozenset({R.BUREAU_ADMIN.value, R.CAMPAIGN_OFFICE.value})
ISSUERS = OFFICE | {R.UNIT_ADMIN.value}
# Not an observer (监督员): their own desk and the published evaluation only (oversight);
# not a third-party assessor (第三方评估员): their scores in the evaluation only.
READERS = frozenset(
    {r.value for r in Role}
    - {R.AUDITOR, R.SYSTEM_ADMIN, R.HOTLINE_OPERATOR, R.OBSERVER, R.THIRD_PARTY}
)


def can(user: User, action: str) -> bool:
    """The page-level checks (the guards)."""
    if not user.is_authenticated:
        return False
    if action == "view":
        return has_role(user, *READERS)
    if action == "manage":
        return has_role(user, *OFFICE)
    if action in {"issue", "report"}:
        return has_role(user, *ISSUERS)
    raise KeyError(f"unknown campaigns action {action!r}")


def acts_for(user: User, unit: Unit) -> bool:
    """The unit's own admin: plans, weekly reports and task confirmations of that unit."""
    return any(
        role == R.UNIT_ADMIN and path == unit.path for role, path, _unit in active_roles(user)
    )


def decides_for(user: User, unit: Unit) -> bool:
    """The level above the unit: its plan and its weekly reports."""
    return any(
        role in ISSUERS and unit.path.startswith(path) and path != unit.path
        for role, path, _unit in active_roles(user)
    )


def issues_from(user: User, unit: Unit) -> bool:
    """Tasks issued in the name of `unit` (to the units below it)."""
    return any(
        role in ISSUERS and path == unit.path and unit.kind != Unit.Kind.SCHOOL
        for role, path, _unit in active_roles(user)
    )


def records_for(user: User, unit: Unit) -> bool:
    """The unit's own registers — its dispatch meetings, rules and open-door activities: its
    admin, or the bureau admin and campaign office for the bureau itself."""
    return any(role in ISSUERS and path == unit.path for role, path, _unit in active_roles(user))
