"""The life cycles of a unit's plan and of a weekly report, as data.

plan:   submitted → approved | returned;  returned → submitted (resubmitted)
report: filed → approved | returned;  filed → filed (corrected before the lock);
        returned → filed (filed again, as the reviewer asked)
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from qingfeng.campaigns.models import PlanEvent, ReportEvent, UnitPlan, WeeklyReport
from qingfeng.core import lifecycle
from qingfeng.core.lifecycle import Move

P = UnitPlan.Status
PLAN_MOVES: dict[str, Move] = {
    "approve": Move(gettext_lazy("批准"), frozenset({P.SUBMITTED}), P.APPROVED),
    "return": Move(gettext_lazy("退回修改"), frozenset({P.SUBMITTED}), P.RETURNED),
    "resubmit": Move(gettext_lazy("重新报送"), frozenset({P.RETURNED}), P.SUBMITTED),
}


class PlanTransition(lifecycle.InvalidTransition):
    def __init__(self, status: str, action: str) -> None:
        super().__init__(
            statuses=P,
            moves=PLAN_MOVES,
            message=gettext_lazy("实施方案当前状态为“%(status)s”，不能执行“%(action)s”"),
            status=status,
            action=action,
        )


PLAN = lifecycle.Workflow(
    model=UnitPlan,
    statuses=P,
    moves=PLAN_MOVES,
    error=PlanTransition,
    event_model=PlanEvent,
    event_subject="plan",
    audit_prefix="campaigns.plan",
    labels={"submit": gettext_lazy("报送实施方案")},
    snapshot=lambda p: {"status": p.status},
)

R = WeeklyReport.Status
REPORT_MOVES: dict[str, Move] = {
    "correct": Move(gettext_lazy("修改周报"), frozenset({R.FILED}), R.FILED),
    "refile": Move(gettext_lazy("重新报送"), frozenset({R.RETURNED}), R.FILED),
    "approve": Move(gettext_lazy("审核通过"), frozenset({R.FILED}), R.APPROVED),
    "return": Move(gettext_lazy("退回"), frozenset({R.FILED}), R.RETURNED),
}


class ReportTransition(lifecycle.InvalidTransition):
    def __init__(self, status: str, action: str) -> None:
        super().__init__(
            statuses=R,
            moves=REPORT_MOVES,
            message=gettext_lazy("周报当前状态为“%(status)s”，不能执行“%(action)s”"),
            status=status,
            action=action,
        )


REPORT = lifecycle.Workflow(
    model=WeeklyReport,
    statuses=R,
    moves=REPORT_MOVES,
    error=ReportTransition,
    event_model=ReportEvent,
    event_subject="report",
    audit_prefix="campaigns.report",
    labels={"file": gettext_lazy("报送周报")},
    snapshot=lambda r: {"status": r.status, "late": r.late},
)
