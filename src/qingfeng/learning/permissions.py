"""Who may do what in learning (one policy).

- organisers (the unit admin, and the bureau admin and campaign office above) plan and record
  the sessions of units in their scope, tick attendance, decide leave, run self-examinations
  and propose cases;
- the bureau (bureau admin, campaign office) issues pledges and approves cases;
- the bureau at the top of the tree (a bureau admin or the campaign office whose scope is a
  root unit, the city) configures the study types, which are the whole city's;
- everyone with a person record studies: scans in, asks leave, does make-ups, signs and
  reports on pledges, fills a personal self-examination;
- readers (staff roles except the auditor, the system admin and hotline operators) see the
  calendar of their scope and the published case library.
"""

from __future__ import annotations

from typing import Any

from qingfeng.core.scope import has_role, in_scope, scope_paths
from qingfeng.orgs.models import Person, Role, Unit, User

R = Role
BUREAU = frozenset({R.BUREAU_ADMIN.value, R.CAMPAIGN_OFFICE.value})
ORGANISERS = BUREAU | {R.UNIT_ADMIN.value}
# Not an observer (监督员): their own desk and the published evaluation only (oversight);
# not a third-party assessor (第三方评估员): their scores in the evaluation only.
READERS = frozenset(
    {r.value for r in Role}
    - {R.AUDITOR, R.SYSTEM_ADMIN, R.HOTLINE_OPERATOR, R.OBSERVER, R.THIRD_PARTY}
)


def person_of(user: User) -> Person | None:
    try:
        return user.person
    except Person.DoesNotExist:
        return None


def can(user: User, action: str, obj: Any = None) -> bool:
    """Page-level checks (`obj` None) and unit-level ones (`obj` a unit)."""
    if not user.is_authenticated:
        return False
    if action == "view":
        return has_role(user, *READERS)
    if action == "study":
        person = person_of(user)
        return person is not None and person.is_active
    if action == "configure":
        return any(Unit.path_parent(p) == "" for p in scope_paths(user, roles=BUREAU))
    if action in {"organise", "bureau"}:
        roles = ORGANISERS if action == "organise" else BUREAU
        if obj is None:
            return has_role(user, *roles)
        assert isinstance(obj, Unit)
        return in_scope(user, obj.path, roles=roles)
    raise KeyError(f"unknown learning action {action!r}")
