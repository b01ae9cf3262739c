"""Traffic lights and escalation (催办 → 督办 → 提级督办) of problems, on the working-day
calendar: the ledger's clocks and its ladder for the mechanism in `core.deadlines`.

A problem's deadline runs while it is assigned, accepted or being rectified (yellow within
QF_LEDGER_YELLOW_DAYS working days); a closure request stays green while it waits.
`recompute_lights` runs daily (and `light_for` on every change); `escalate` writes each stage
once per problem and deadline, then notifies.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from qingfeng.core.deadlines import Clock, Ladder, Lights, Reminder
from qingfeng.core.models import Escalation
from qingfeng.core.tasks import optimize_database
from qingfeng.ledger.models import PROBLEM_TALLY, Problem
from qingfeng.orgs.models import Liaison, Role, User

S = Problem.Status


def _yellow_days() -> int:
    return int(settings.QF_LEDGER_YELLOW_DAYS)


def _escalate_after() -> int:
    return int(settings.QF_LEDGER_ESCALATE_AFTER_DAYS)


LIGHTS = Lights(
    model=Problem,
    clocks=(
        Clock(
            "deadline",
            frozenset({S.ASSIGNED, S.ACCEPTED, S.RECTIFYING}),
            "deadline",
            yellow_days=_yellow_days,
        ),
        Clock("verification", frozenset({S.CLOSURE_REQUESTED}), "deadline", steady="green"),
    ),
    due_key=False,  # the list sorts by the deadline whatever the status (Problem.set_light)
)


def light_on(deadline: date | None, status: str, today: date, *, yellow_days: int) -> str:
    """The light of a problem in `status` with `deadline`: none when it is not being worked
    on or has no deadline."""
    clock = LIGHTS.clock_for(status)
    return clock.light(deadline, today, yellow_days=yellow_days) if clock is not None else ""


# Lights changed by one recomputation past which the problems' statistics are gathered again.
ANALYSE_AFTER = 10_000


def recompute_lights(today: date) -> int:
    """Set every problem's light for `today`; returns how many changed. The kept counts it
    changed are folded into their subtree sums at once (the home page reads those), and on
    PostgreSQL the problems' statistics are gathered again after a large change (the list's
    plans were chosen from the lights before)."""
    changed = LIGHTS.recompute(today)
    if changed:
        PROBLEM_TALLY.fold()
    if changed >= ANALYSE_AFTER:
        # The worker gathers the statistics once this is committed (core/tasks.py).
        transaction.on_commit(lambda: optimize_database("ledger_problem"))
    return changed


def _unit_admins(problem: Problem) -> list[User]:
    return list(
        User.objects.filter(
            roles__role=Role.UNIT_ADMIN,
            roles__revoked_at__isnull=True,
            roles__unit=problem.unit,
            is_active=True,
        ).distinct()
    )


def _liaison_leaders(problem: Problem) -> list[User]:
    above = problem.unit.ancestor_ids(include_self=True)
    leader_ids = Liaison.objects.filter(county_id__in=above).values_list("leader_id", flat=True)
    return list(User.objects.filter(pk__in=leader_ids, is_active=True))


def _recipients(problem: Problem, stage: str, _clock: Clock) -> list[User]:
    if stage == Escalation.Stage.REMIND:
        person = problem.responsible_person
        users = [person.user] if person is not None and person.user is not None else []
        return users or _unit_admins(problem)
    if stage == Escalation.Stage.NOTICE:
        return _unit_admins(problem)
    return _liaison_leaders(problem) or list(
        User.objects.filter(
            roles__role=Role.BUREAU_ADMIN, roles__revoked_at__isnull=True
        ).distinct()
    )


def _reminder(problem: Problem, stage: str, _clock: Clock, deadline: date) -> Reminder:
    return Reminder(
        title=_("【%(stage)s】%(number)s 整改时限 %(deadline)s")
        % {
            "stage": Escalation.Stage(stage).label,
            "number": problem.number,
            "deadline": deadline.isoformat(),
        },
        body=problem.title,
        link=f"/ledger/{problem.pk}/",
    )


def _late_problems() -> QuerySet[Problem]:
    return Problem.objects.select_related("unit", "responsible_person__user")


LADDER = Ladder(
    lights=LIGHTS,
    rows=_late_problems,
    recipients=_recipients,
    reminder=_reminder,
    escalate_after=_escalate_after,
)


def escalate(today: date, *, escalate_after: int | None = None) -> int:
    """Write and send the escalation each yellow or red problem is due; each stage once per
    problem and deadline, so running it twice sends nothing twice."""
    return LADDER.escalate(today, escalate_after=escalate_after)
