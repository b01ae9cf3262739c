"""Who may do what with the bulletins (one policy).

- the campaign office and the bureau admin draft, edit and issue them;
- a bureau leader (分管领导) approves them (审定);
- every staff role reads the bulletins issued by a unit above or at its own; drafts only
  the office and the leaders see. Rows come through the scoped selectors.
"""

from __future__ import annotations

from qingfeng.core.scope import active_roles, has_role
from qingfeng.orgs.models import Role, Unit, User

R = Role
OFFICE = frozenset({R.BUREAU_ADMIN.value, R.CAMPAIGN_OFFICE.value})
APPROVERS = frozenset({R.LEADER.value})
DRAFTERS = OFFICE | APPROVERS
# Not an observer (监督员): their own desk and the published evaluation only (oversight);
# not a third-party assessor (第三方评估员): their scores in the evaluation only.
READERS = frozenset(
    {r.value for r in Role}
    - {R.AUDITOR, R.SYSTEM_ADMIN, R.HOTLINE_OPERATOR, R.OBSERVER, R.THIRD_PARTY}
)


def can(user: User, action: str) -> bool:
    if not user.is_authenticated:
        return False
    if action == "view":
        return has_role(user, *READERS)
    if action == "draft":
        return has_role(user, *OFFICE)
    raise KeyError(f"unknown reports action {action!r}")


def _at(user: User, unit: Unit, roles: frozenset[str]) -> bool:
    return any(role in roles and path == unit.path for role, path, _unit in active_roles(user))


def drafts(user: User, issuer: Unit) -> bool:
    return _at(user, issuer, OFFICE)


def approves(user: User, issuer: Unit) -> bool:
    return _at(user, issuer, APPROVERS)


def sees_drafts(user: User, issuer: Unit) -> bool:
    return _at(user, issuer, DRAFTERS)
