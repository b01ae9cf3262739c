"""Traffic lights and escalation (催办 → 督办 → 提级督办) on the working-day calendar.

`recompute_lights` runs daily (and `light_for` on every change); it updates only the rows
whose light changed, in batches, so the whole city takes one pass over the open problems.
`escalate` writes each stage once per problem and deadline (a unique row), then notifies.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from qingfeng.core.actions import notify
from qingfeng.core.calendar import get_calendar
from qingfeng.ledger import workflow
from qingfeng.ledger.models import Escalation, Problem
from qingfeng.orgs.models import Liaison, Role, User

URGENCY = Problem.URGENCY
BATCH = 2000


def light_on(deadline: date | None, status: str, today: date, *, yellow_days: int) -> str:
    if status not in workflow.OPEN or status == Problem.Status.STAGE_COMPLETED or deadline is None:
        return ""
    if status == Problem.Status.CLOSURE_REQUESTED:
        return Problem.Light.GREEN
    if today > deadline:
        return Problem.Light.RED
    if get_calendar().count_workdays(today, deadline) <= yellow_days:
        return Problem.Light.YELLOW
    return Problem.Light.GREEN


def recompute_lights(today: date, *, yellow_days: int | None = None) -> int:
    """Set every problem's light for `today`; returns how many changed."""
    yellow_days = settings.QF_LEDGER_YELLOW_DAYS if yellow_days is None else yellow_days
    calendar = get_calendar()
    # Yellow while at most n working days are left: before the (n+1)th working day after
    # today — light_on's rule as a date, also for a deadline set on a rest day.
    green_from = calendar.add_workdays(today, yellow_days + 1)
    changed = 0
    targets = {
        Problem.Light.RED: Q(deadline__lt=today),
        Problem.Light.YELLOW: Q(deadline__gte=today, deadline__lt=green_from),
        Problem.Light.GREEN: Q(deadline__gte=green_from),
    }
    working = Q(
        status__in=[Problem.Status.ASSIGNED, Problem.Status.ACCEPTED, Problem.Status.RECTIFYING]
    )
    with transaction.atomic():
        for light, window in targets.items():
            changed += (
                Problem.objects.filter(working & window)
                .exclude(light=light)
                .update(light=light, urgency=URGENCY[light])
            )
        changed += (
            Problem.objects.filter(status=Problem.Status.CLOSURE_REQUESTED)
            .exclude(light=Problem.Light.GREEN)
            .update(light=Problem.Light.GREEN, urgency=URGENCY[Problem.Light.GREEN])
        )
        changed += (
            Problem.objects.filter(
                ~working & ~Q(status=Problem.Status.CLOSURE_REQUESTED) | Q(deadline__isnull=True)
            )
            .exclude(light="")
            .update(light="", urgency=URGENCY[""])
        )
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
    ancestors = [int(seg) for seg in problem.unit.path.strip("/").split("/")]
    leader_ids = Liaison.objects.filter(county_id__in=ancestors).values_list("leader_id", flat=True)
    return list(User.objects.filter(pk__in=leader_ids, is_active=True))


def _recipients(problem: Problem, stage: str) -> list[User]:
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


def stage_for(problem: Problem, today: date, *, escalate_after: int) -> str | None:
    if problem.light == Problem.Light.YELLOW:
        return Escalation.Stage.REMIND
    if problem.light == Problem.Light.RED and problem.deadline is not None:
        overdue = get_calendar().count_workdays(problem.deadline, today)
        return Escalation.Stage.ESCALATE if overdue > escalate_after else Escalation.Stage.NOTICE
    return None


def escalate(today: date, *, escalate_after: int | None = None) -> int:
    """Write and send the escalation each yellow or red problem is due; each stage once per
    problem and deadline, so running it twice sends nothing twice."""
    escalate_after = (
        settings.QF_LEDGER_ESCALATE_AFTER_DAYS if escalate_after is None else escalate_after
    )
    sent = 0
    due = (
        Problem.objects.filter(
            light__in=[Problem.Light.YELLOW, Problem.Light.RED], deadline__isnull=False
        )
        .select_related("unit", "responsible_person__user")
        .order_by("id")
    )
    for problem in due.iterator(chunk_size=BATCH):
        stage = stage_for(problem, today, escalate_after=escalate_after)
        if stage is None or problem.deadline is None:
            continue
        try:
            with transaction.atomic():
                recipients = _recipients(problem, stage)
                Escalation.objects.create(
                    problem=problem,
                    stage=stage,
                    deadline=problem.deadline,
                    recipients=[u.pk for u in recipients],
                )
                label = Escalation.Stage(stage).label
                for user in recipients:
                    notify(
                        recipient=user,
                        title=_("【%(stage)s】%(number)s 整改时限 %(deadline)s")
                        % {
                            "stage": label,
                            "number": problem.number,
                            "deadline": problem.deadline.isoformat(),
                        },
                        body=problem.title,
                        link=f"/ledger/{problem.pk}/",
                    )
        except IntegrityError:
            continue  # this stage was already sent for this deadline
        sent += 1
    return sent
