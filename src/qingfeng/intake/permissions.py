"""Who may see and handle a ticket (one policy for the staff side of intake).

Two kinds of staff reach a ticket:
- intake roles (局管理员, 专项办, 热线接线员) over the reported unit or the handling unit: the
  whole ticket, with the reporter's identity shown only after an explicit, audited reveal;
- handlers (单位管理员 over the handling unit, or the person it was assigned to): the content,
  with the reporter's personal data masked, and never the identity.

Nobody inside the unit reported on may see the identity or be assigned as the handler, and a
person named in the ticket cannot handle it. Object checks assume the ticket came through a
scoped selector (`selectors.get_ticket_for_user`).
"""

from __future__ import annotations

import re

from qingfeng.core.scope import active_roles, has_role, in_scope, scope_paths
from qingfeng.intake import workflow
from qingfeng.intake.models import Ticket
from qingfeng.orgs.models import Person, Role, Unit, User

R = Role
INTAKE = frozenset({R.BUREAU_ADMIN.value, R.CAMPAIGN_OFFICE.value, R.HOTLINE_OPERATOR.value})
# Who may turn a ticket into a ledger problem (the ledger's registrars at the bureau).
BUREAU = frozenset({R.BUREAU_ADMIN.value, R.CAMPAIGN_OFFICE.value})
UNIT_HANDLERS = frozenset({R.UNIT_ADMIN.value})
# Who prints QR posters: a unit's own admin (a county's admin also for its schools), and the
# bureau's intake office.
POSTER_ROLES = frozenset({R.BUREAU_ADMIN.value, R.CAMPAIGN_OFFICE.value, R.UNIT_ADMIN.value})
# Once assigned, a ticket is the handling unit's to see (also after it is answered).
HANDLED = frozenset(
    {
        Ticket.Status.ASSIGNED,
        Ticket.Status.HANDLING,
        Ticket.Status.REPLIED,
        Ticket.Status.CLOSED,
    }
)
_NAME_SPLIT = re.compile(r"[\s,，、;；/]+")


def is_root_path(path: str) -> bool:
    return path.count("/") == 1


def intake_covers(user: User, ticket: Ticket, roles: frozenset[str] = INTAKE) -> bool:
    """An intake role over the reported unit or the handling unit; a ticket about no unit in
    particular belongs to the intake roles of a whole tree (the bureau)."""
    paths = [u.path for u in (ticket.unit, ticket.handling_unit) if u is not None]
    if not paths:
        return any(is_root_path(p) for p in scope_paths(user, roles=roles))
    return any(in_scope(user, p, roles=roles) for p in paths)


def handler_covers(user: User, ticket: Ticket) -> bool:
    if ticket.status not in HANDLED and ticket.status != Ticket.Status.MERGED:
        return False
    if ticket.handler_id is not None and ticket.handler_id == user.pk:
        return True
    unit = ticket.handling_unit
    return unit is not None and in_scope(user, unit.path, roles=UNIT_HANDLERS)


def inside_reported_unit(user: User, ticket: Ticket) -> bool:
    """The user works in the unit reported on (by their person record or by any role there)."""
    if ticket.unit is None:
        return False
    person = getattr(user, "person", None)
    if person is not None and person.unit.is_within(ticket.unit):
        return True
    root = ticket.unit.path
    return any(Unit.path_is_within(path, root) for _role, path, _unit in active_roles(user))


def named_in(ticket: Ticket, name: str) -> bool:
    """Whether `name` is one of the people the ticket names (被反映人, separated by 、，or
    spaces)."""
    name = name.strip()
    if not name or not ticket.named_person.strip():
        return False
    return name in {part for part in _NAME_SPLIT.split(ticket.named_person) if part}


def handler_refusal(ticket: Ticket, person: Person | None) -> str | None:
    """Why this person cannot be the ticket's handler, or None when they can."""
    from django.utils.translation import gettext as _

    if person is None:
        return _("承办人须是已登记人员")
    if ticket.unit is not None and person.unit.is_within(ticket.unit):
        return _("被反映单位的人员不能作为本工单的承办人")
    if named_in(ticket, person.name):
        return _("工单中被反映的人员不能作为本工单的承办人")
    return None


def can(user: User, action: str, ticket: Ticket | None = None) -> bool:
    if not user.is_authenticated:
        return False
    if action == "view_queue":
        if has_role(user, *INTAKE, *UNIT_HANDLERS):
            return True
        # Staff see the queue only once a ticket was assigned to them personally.
        return has_role(user, R.STAFF.value) and Ticket.objects.filter(handler=user).exists()
    if action == "hotline":
        return has_role(user, R.HOTLINE_OPERATOR.value, R.BUREAU_ADMIN.value)
    if action == "posters":  # the list, the codes and the PDFs of the units in scope
        return has_role(user, *POSTER_ROLES)
    if ticket is None:
        raise ValueError(f"{action} needs a ticket")
    intake = intake_covers(user, ticket)
    if action == "view":
        return intake or handler_covers(user, ticket)
    if action in {"accept", "decline", "assign", "merge", "close"}:
        return intake
    if action == "reveal":
        # Only the bureau's intake roles, and never anyone inside the unit reported on.
        return intake and not ticket.anonymous and not inside_reported_unit(user, ticket)
    if action == "to_problem":
        return intake_covers(user, ticket, BUREAU) and ticket.problem_id is None
    if action in {"start", "reply"}:
        return intake or handler_covers(user, ticket)
    if action == "return":
        return handler_covers(user, ticket)
    if action == "note":
        return intake or handler_covers(user, ticket)
    raise KeyError(f"unknown intake action {action!r}")


def available_actions(user: User, ticket: Ticket) -> list[str]:
    """What the user can do to the ticket now: both the policy and the life cycle allow it."""
    moves = set(workflow.allowed_actions(ticket.status))
    possible = {
        "accept": "accept" in moves,
        "decline": "decline" in moves,
        "assign": "assign" in moves,
        "start": "start" in moves,
        "return": "return" in moves,
        "reply": "reply" in moves,
        "close": "close" in moves,
        "merge": "merge" in moves,
        "note": True,
        "reveal": True,
        "to_problem": ticket.status
        not in {Ticket.Status.DECLINED, Ticket.Status.MERGED, Ticket.Status.RECEIVED},
    }
    return [name for name, ok in possible.items() if ok and can(user, name, ticket)]
