"""回头看: each quarter a share of the problems closed in the previous quarter is drawn for
re-verification; a failed re-check reopens the problem, overdue (red)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core.audit import record_audit
from qingfeng.ledger.actions.problems import record_deadline_change, separation_of_duties
from qingfeng.ledger.models import Problem, Recheck
from qingfeng.ledger.workflow import WORKFLOW
from qingfeng.orgs.models import User


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def previous_quarter_bounds(day: date) -> tuple[date, date]:
    first_month = ((day.month - 1) // 3) * 3 + 1
    start_this = date(day.year, first_month, 1)
    start_prev = (
        date(day.year - 1, 10, 1) if first_month == 1 else date(day.year, first_month - 3, 1)
    )
    return start_prev, start_this


@transaction.atomic
def draw_rechecks(today: date, *, percent: int) -> list[Recheck]:
    """Draw `percent` % (at least one, when any) of last quarter's closures; the draw is
    seeded by the quarter, so running it again draws nothing new."""
    quarter = quarter_of(today)
    start, end = previous_quarter_bounds(today)
    candidates = list(
        Problem.objects.filter(
            status=Problem.Status.CLOSED, closed_at__date__gte=start, closed_at__date__lt=end
        )
        .exclude(rechecks__quarter=quarter)
        .order_by("id")
        .values_list("id", flat=True)
    )
    if not candidates or Recheck.objects.filter(quarter=quarter).exists():
        return []
    count = max(1, round(len(candidates) * percent / 100))
    chosen = random.Random(quarter).sample(candidates, min(count, len(candidates)))  # noqa: S311 - a draw, not a secret
    rechecks = Recheck.objects.bulk_create(
        Recheck(problem_id=pk, quarter=quarter) for pk in sorted(chosen)
    )
    record_audit(
        actor=None,
        action="ledger.recheck.draw",
        after={"quarter": quarter, "drawn": len(rechecks), "of": len(candidates)},
    )
    return rechecks


@transaction.atomic
def check_add_rechecks(problem_ids: Sequence[int], *, label: str, actor: User) -> list[Recheck]:
    """回头看 of closed problems chosen elsewhere (an inspection round's verifiable sample),
    under `label` (at most 7 characters, shown where the quarter is); once per problem and
    label."""
    if not label or len(label) > 7:
        raise ValidationError(_("回头看批次名称须为 1 至 7 个字符"))
    closed = set(
        Problem.objects.filter(pk__in=problem_ids, status=Problem.Status.CLOSED).values_list(
            "pk", flat=True
        )
    )
    if closed != set(problem_ids):
        raise ValidationError(_("只有已销号的问题可以回头看"))
    done = set(
        Recheck.objects.filter(quarter=label, problem_id__in=closed).values_list(
            "problem_id", flat=True
        )
    )
    rechecks = Recheck.objects.bulk_create(
        Recheck(problem_id=pk, quarter=label) for pk in sorted(closed - done)
    )
    record_audit(
        actor=actor,
        action="ledger.recheck.draw",
        after={"quarter": label, "drawn": len(rechecks), "of": len(problem_ids)},
    )
    return rechecks


@transaction.atomic
def check_decide_recheck(recheck: Recheck, *, actor: User, passed: bool, comment: str) -> Recheck:
    """复查: someone else than the responsible unit decides; a failed re-check reopens the
    problem through the same locked move as every other change of its status."""
    problem = recheck.problem
    separation_of_duties(problem, actor)
    # Of two people deciding one re-check at once, the second is told it has a conclusion.
    stored = (
        Recheck.objects.select_for_update()
        .filter(pk=recheck.pk)
        .values_list("outcome", flat=True)
        .first()
    )
    if stored is not None:
        recheck.outcome = stored
    if recheck.outcome != Recheck.Outcome.PENDING:
        raise ValidationError(_("该复查已有结论"))
    if not comment.strip():
        raise ValidationError(_("请填写复查意见"))
    recheck.outcome = Recheck.Outcome.PASSED if passed else Recheck.Outcome.FAILED
    recheck.comment = comment.strip()
    recheck.decided_by = actor
    recheck.decided_at = timezone.now()
    recheck.save()
    audit = f"ledger.recheck.{recheck.outcome}"
    if passed:
        record_audit(actor=actor, action=audit, obj=problem, after={"quarter": recheck.quarter})
        return recheck
    with WORKFLOW.move(problem, "reopen", actor=actor, reason=comment, audit=audit) as step:
        problem.closed_at = None
        problem.progress = min(problem.progress, 90)
        if problem.deadline is None or problem.deadline >= timezone.localdate():
            old_deadline = problem.deadline
            problem.deadline = timezone.localdate() - timedelta(days=1)
            record_deadline_change(
                problem,
                old_deadline,
                actor=actor,
                reason=_("复查未通过，重新整改：%(c)s") % {"c": comment.strip()},
            )
        problem.set_light(Problem.Light.RED)  # reopened as overdue
        step.note["quarter"] = recheck.quarter
    return recheck
