"""Who may do what in oversight (one policy).

- the campaign office and the bureau admin (the office) set up groups, attach responsible
  supervisors, run draws and plan sealed visits, over their scope;
- a group's leader and members see their group; the leader alone opens a sealed visit's
  target, and only from its reveal time; the team records the visit once it has started;
- a liaison leader (分管领导) keeps the log of their counties;
- an observer (监督员 role over an area) sees their own page only: the area's figures, the
  ledger's progress, their invitations and suggestions — never a visit, round or draw page;
- a unit sees only what is addressed to it: a finished visit of itself. A sealed visit has no
  unit at all until it starts, so no unit-scoped read reaches it.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from qingfeng.core.scope import has_role, in_scope
from qingfeng.orgs.models import Role, User
from qingfeng.oversight.models import Group, Visit

R = Role
OFFICE = frozenset({R.BUREAU_ADMIN.value, R.CAMPAIGN_OFFICE.value})
SUPERVISORS = frozenset({R.SUPERVISOR.value, R.INSPECTOR.value})
UNIT_READERS = frozenset({R.UNIT_ADMIN.value, R.STAFF.value})
READERS = OFFICE | SUPERVISORS | UNIT_READERS | {R.LEADER.value}


def can(user: User, action: str, obj: object = None) -> bool:
    """Page-level checks (the guards, `obj` None) and object-level ones."""
    if not user.is_authenticated:
        return False
    if action == "view":
        return has_role(user, *READERS)
    if action == "view_groups":
        return has_role(user, *OFFICE, *SUPERVISORS, R.LEADER)
    if action == "manage":
        if isinstance(obj, Group):
            return in_scope(user, obj.owner.path, roles=OFFICE)
        return has_role(user, *OFFICE)
    if action == "view_rounds":
        return has_role(user, *READERS)
    if action == "liaison":
        return has_role(user, R.LEADER)
    if action == "manage_observers":
        return has_role(user, *OFFICE)
    if action == "observe":
        return has_role(user, R.OBSERVER)
    if isinstance(obj, Visit):
        return _visit(user, action, obj)
    if action in {"reveal", "record"}:
        return has_role(user, *OFFICE, *SUPERVISORS)
    raise KeyError(f"unknown oversight action {action!r}")


def _visit(user: User, action: str, visit: Visit) -> bool:
    if action == "reveal":
        return visit.group.leader_id == user.pk and reveal_open(visit)
    if action == "record":
        return visit.status == Visit.Status.STARTED and on_team(user, visit)
    if action == "cancel":
        return visit.status == Visit.Status.SEALED and in_scope(
            user, visit.group.owner.path, roles=OFFICE
        )
    raise KeyError(f"unknown visit action {action!r}")


def reveal_open(visit: Visit) -> bool:
    """The reveal window: from `reveal_minutes` before the planned start."""
    opens = visit.planned_start - timedelta(minutes=visit.reveal_minutes)
    return visit.status == Visit.Status.SEALED and timezone.now() >= opens


def on_team(user: User, visit: Visit) -> bool:
    return visit.group.leader_id == user.pk or visit.team.filter(pk=user.pk).exists()
