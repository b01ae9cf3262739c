"""Who may do what in the three-way evaluation (one policy).

- the campaign office (专项办) and the bureau admin run rounds: create, open, close, publish,
  draw codes, review flagged ratings, decide re-evaluations;
- the third-party assessor (第三方评估员, an outside body) enters third-party scores, the
  discipline inspector the review. The assessor reads only their work: the opened rounds
  covering units inside their scope, those units' pages (where they score) and their own
  score workbooks — not the remedial rounds, the figures or the home card of results. Until
  a round's results are published the assessor sees none of the served people's numbers
  (rates, intervals, verdicts, counts, and the composite and rank made from them), so their
  own scoring is not anchored on them (`withholds_rates`);
- staff read results: above a unit (its county, the bureau) at any time; the unit itself
  only once the round is published, and an observer (over an area) only what is published.
  Everything else is a 404 through the selectors.
- the discipline comment is shown only to the discipline inspector and the office above the
  unit, never to anyone of the rated unit itself.
"""

from __future__ import annotations

from qingfeng.core.scope import active_roles, has_role, in_scope
from qingfeng.evaluation.models import Round
from qingfeng.orgs.models import Role, Unit, User

R = Role
OFFICE = frozenset({R.BUREAU_ADMIN.value, R.CAMPAIGN_OFFICE.value})
# Staff who read results; not the third-party assessor, whose reading is their work only.
READERS = frozenset(
    {r.value for r in Role} - {R.AUDITOR, R.SYSTEM_ADMIN, R.HOTLINE_OPERATOR, R.THIRD_PARTY}
)
ASSESSORS = frozenset({R.THIRD_PARTY.value})
# Who opens a round's pages: the readers, and the assessor for the units they score.
ROUND_READERS = READERS | ASSESSORS
# An observer (作风建设观察员, over an area) reads what is published only.
OBSERVERS = frozenset({R.OBSERVER.value})
CONFIDENTIAL = OFFICE | {R.DISCIPLINE_INSPECTOR.value}
ENTRY = {
    "enter_third_party": frozenset({R.THIRD_PARTY.value}),
    "enter_discipline": frozenset({R.DISCIPLINE_INSPECTOR.value}),
}


def can(user: User, action: str, obj: Round | None = None) -> bool:
    """Page-level checks (the guards) and round-level ones (`obj` a round)."""
    if not user.is_authenticated:
        return False
    if action == "view_rounds":
        return has_role(user, *ROUND_READERS)
    if action in {"manage", "view_remedials"}:
        roles = OFFICE if action == "manage" else READERS
        if obj is None:
            return has_role(user, *roles)
        return in_scope(user, obj.owner.path, roles=roles)
    if action in ENTRY:
        return has_role(user, *ENTRY[action]) and (
            obj is None or (obj.status != Round.Status.DRAFT and obj.published_at is None)
        )
    raise KeyError(f"unknown evaluation action {action!r}")


def sees_result(user: User, round_: Round, unit: Unit) -> bool:
    """Above the unit at any time; at the unit itself only after publication; an observer
    (作风建设观察员, over an area) only what is published, wherever in the area; the assessor
    the units they score (inside their scope, never their own unit)."""
    for role, path, _unit_id in active_roles(user):
        if role not in ROUND_READERS or not unit.path.startswith(path):
            continue
        if role in ASSESSORS:
            if path != unit.path:
                return True
            continue
        if round_.published_at is not None:
            return True
        if path != unit.path and role not in OBSERVERS:
            return True
    return False


def withholds_rates(user: User, round_: Round) -> bool:
    """The served people's numbers of the round are withheld from this user: an assessor,
    until the results are published. Holding any other role beside does not lift it (the
    person who scores stays independent of the ratings)."""
    return round_.published_at is None and has_role(user, *ASSESSORS)


def published_only(user: User) -> bool:
    """The user reads results as an observer only (no other reading role)."""
    held = {role for role, _path, _unit_id in active_roles(user) if role in READERS}
    return bool(held) and held <= OBSERVERS


def sees_confidential(user: User, unit: Unit) -> bool:
    """The discipline comment: the inspector or the office, from above the unit only."""
    return any(
        role in CONFIDENTIAL and unit.path.startswith(path) and path != unit.path
        for role, path, _unit_id in active_roles(user)
    )


def enters(user: User, action: str, unit: Unit) -> bool:
    """A third-party or discipline entry for a unit inside the user's scope (not their own)."""
    return any(
        role in ENTRY[action] and unit.path.startswith(path) and path != unit.path
        for role, path, _unit_id in active_roles(user)
    )
