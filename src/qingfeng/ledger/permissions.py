"""Who may do what to a problem (one policy for the ledger).

Object checks assume the problem came through a scoped selector (or is the user's own item).
"""

from __future__ import annotations

from qingfeng.core.scope import has_role, in_scope, role_names
from qingfeng.ledger.models import Problem
from qingfeng.orgs.models import Role, User

R = Role
REGISTRARS = {
    R.BUREAU_ADMIN,
    R.CAMPAIGN_OFFICE,
    R.UNIT_ADMIN,
    R.SUPERVISOR,
    R.INSPECTOR,
    R.DISCIPLINE_INSPECTOR,
}
HANDLERS = {R.UNIT_ADMIN, R.STAFF}
VERIFIERS = {
    R.BUREAU_ADMIN,
    R.CAMPAIGN_OFFICE,
    R.UNIT_ADMIN,
    R.SUPERVISOR,
    R.INSPECTOR,
    R.DISCIPLINE_INSPECTOR,
}
BUREAU = {R.BUREAU_ADMIN, R.CAMPAIGN_OFFICE}
# Not an observer (监督员): their own desk and the published evaluation only (oversight);
# not a third-party assessor (第三方评估员): their scores in the evaluation only.
READERS = {r.value for r in Role} - {
    R.AUDITOR,
    R.SYSTEM_ADMIN,
    R.HOTLINE_OPERATOR,
    R.OBSERVER,
    R.THIRD_PARTY,
}
# Roles that are never made responsible for a problem (我的整改 is not theirs).
NEVER_RESPONSIBLE = {R.AUDITOR.value, R.SYSTEM_ADMIN.value, R.OBSERVER.value, R.THIRD_PARTY.value}
# A personal rectification item (个人整改清单) is need-to-know: the person it names, the
# admins of their unit and those above — not colleagues (staff), observers or assessors.
PERSONAL_READERS = {
    R.BUREAU_ADMIN.value,
    R.CAMPAIGN_OFFICE.value,
    R.LEADER.value,
    R.SUPERVISOR.value,
    R.INSPECTOR.value,
    R.UNIT_ADMIN.value,
    R.DISCIPLINE_INSPECTOR.value,
}


def _roles(values: set[Role] | set[str]) -> list[str]:
    return [str(v) for v in values]


def is_responsible(user: User, problem: Problem) -> bool:
    return problem.responsible_person is not None and problem.responsible_person.user_id == user.pk


def can(user: User, action: str, problem: Problem | None = None) -> bool:
    if not user.is_authenticated:
        return False
    if action == "view_ledger":
        return has_role(user, *_roles(READERS))
    if action == "view_own":  # 我的整改: anyone who may be made responsible for a problem
        return bool(role_names(user) - NEVER_RESPONSIBLE)
    if action == "view_liaison":  # 包片县区: a leader with counties assigned
        return has_role(user, R.LEADER) and user.liaisons.exists()
    if action == "register":
        if problem is None:
            return has_role(user, *_roles(REGISTRARS))
        return in_scope(user, problem.unit.path, roles=_roles(REGISTRARS))
    if problem is None:
        raise ValueError(f"{action} needs a problem")
    path = problem.unit.path
    if action == "view":
        readers = PERSONAL_READERS if problem.list_kind == Problem.ListKind.PERSONAL else READERS
        return is_responsible(user, problem) or in_scope(user, path, roles=_roles(readers))
    if action in {"assign", "edit"}:
        return in_scope(user, path, roles=_roles(REGISTRARS)) and problem.status in {
            Problem.Status.DRAFT,
            Problem.Status.ASSIGNED,
            Problem.Status.ACCEPTED,
            Problem.Status.RECTIFYING,
        }
    if action in {"accept", "report", "request_closure", "publish_offline"}:
        return is_responsible(user, problem) or in_scope(user, path, roles=[R.UNIT_ADMIN])
    if action == "verify":
        return in_scope(user, path, roles=_roles(VERIFIERS)) and not is_responsible(user, problem)
    if action in {"withdraw", "disclose", "approve_offline"}:
        return in_scope(user, path, roles=_roles(BUREAU))
    if action == "feedback":
        return is_responsible(user, problem) or in_scope(
            user, path, roles=_roles(REGISTRARS | HANDLERS)
        )
    raise KeyError(f"unknown ledger action {action!r}")


def available_actions(user: User, problem: Problem) -> list[str]:
    """What the user can do to the problem now: both the policy and the life cycle allow it.
    The problem page shows these forms; the API lists them."""
    from qingfeng.ledger import workflow
    from qingfeng.ledger.actions.problems import PUBLIC_SOURCES
    from qingfeng.ledger.actions.publications import RECORDABLE as RECORDABLE_OFFLINE

    moves = set(workflow.allowed_actions(problem.status))
    possible = {
        "assign": "assign" in moves,
        "accept": "accept" in moves,
        "report": problem.status in {Problem.Status.ACCEPTED, Problem.Status.RECTIFYING},
        "request_closure": "request_closure" in moves,
        # Separation of duties: nobody of the responsible unit verifies. The action says so
        # clearly if they try; the page does not offer them the form.
        "verify": problem.status == Problem.Status.CLOSURE_REQUESTED and not _inside(user, problem),
        "withdraw": "withdraw" in moves,
        "feedback": problem.status != Problem.Status.DRAFT,
        "disclose": problem.status != Problem.Status.DRAFT,
        # 线下公开: where the feedback gate asks for the public half (a public source).
        "publish_offline": problem.source in PUBLIC_SOURCES
        and problem.status in RECORDABLE_OFFLINE,
        "approve_offline": problem.source in PUBLIC_SOURCES,
    }
    return [action for action, ok in possible.items() if ok and can(user, action, problem)]


def _inside(user: User, problem: Problem) -> bool:
    person = getattr(user, "person", None)
    return person is not None and person.unit.is_within(problem.unit)
