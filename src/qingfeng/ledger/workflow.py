"""The problem life cycle as data: which action moves a problem from which states to which.

draft → assigned (交办) → accepted (签收) → rectifying → closure requested (申请销号)
      → closed (销号) | returned (退回重改 → rectifying) | stage completed (长期坚持)
any open state → withdrawn (bureau roles, with a reason)
closed / stage completed → rectifying again when a re-check (回头看) fails
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from qingfeng.core import lifecycle
from qingfeng.core.lifecycle import Move, StrOrPromise
from qingfeng.ledger.models import Problem, Transition

S = Problem.Status


OPEN = frozenset({S.ASSIGNED, S.ACCEPTED, S.RECTIFYING, S.CLOSURE_REQUESTED, S.STAGE_COMPLETED})

MOVES: dict[str, Move] = {
    "assign": Move(gettext_lazy("交办"), frozenset({S.DRAFT}), S.ASSIGNED),
    "accept": Move(gettext_lazy("签收"), frozenset({S.ASSIGNED}), S.ACCEPTED),
    "start": Move(gettext_lazy("开始整改"), frozenset({S.ACCEPTED}), S.RECTIFYING),
    "request_closure": Move(
        gettext_lazy("申请销号"), frozenset({S.ACCEPTED, S.RECTIFYING}), S.CLOSURE_REQUESTED
    ),
    "close": Move(gettext_lazy("销号"), frozenset({S.CLOSURE_REQUESTED}), S.CLOSED),
    "return": Move(gettext_lazy("退回重改"), frozenset({S.CLOSURE_REQUESTED}), S.RECTIFYING),
    "complete_stage": Move(
        gettext_lazy("阶段性完成"), frozenset({S.CLOSURE_REQUESTED}), S.STAGE_COMPLETED
    ),
    "resume": Move(gettext_lazy("恢复整改"), frozenset({S.STAGE_COMPLETED}), S.RECTIFYING),
    "reopen": Move(
        gettext_lazy("复查未通过，重新整改"), frozenset({S.CLOSED, S.STAGE_COMPLETED}), S.RECTIFYING
    ),
    "withdraw": Move(gettext_lazy("撤回"), frozenset({S.DRAFT} | OPEN), S.WITHDRAWN),
}


ILLEGAL = gettext_lazy("问题当前状态为“%(status)s”，不能执行“%(action)s”")


class InvalidTransition(lifecycle.InvalidTransition):
    def __init__(self, status: str, action: str) -> None:
        super().__init__(statuses=S, moves=MOVES, message=ILLEGAL, status=status, action=action)


def snapshot(problem: Problem) -> dict[str, Any]:
    """What an audit row records of a problem before and after a change."""
    data = {f: getattr(problem, f) for f in ("status", "progress", "deadline", "light", "unit_id")}
    data["responsible_person_id"] = problem.responsible_person_id
    return data


WORKFLOW = lifecycle.Workflow(
    model=Problem,
    statuses=S,
    moves=MOVES,
    error=InvalidTransition,
    event_model=Transition,
    event_subject="problem",
    audit_prefix="ledger.problem",
    # The events that are not moves (the Excel import writes `create` rows too).
    labels={"create": gettext_lazy("登记")},
    snapshot=snapshot,
)

# The names of the ledger's actions, in one table: every event it writes (the moves and the
# rest), and the other actions a user may be refused (the API's 403 names them).
LABELS: dict[str, StrOrPromise] = {
    **WORKFLOW.event_labels,
    "register": gettext_lazy("登记问题"),
    "report": gettext_lazy("报送进展"),
    "verify": gettext_lazy("销号审核"),
    "feedback": gettext_lazy("记录反馈"),
    "publish_offline": gettext_lazy("登记线下公开"),
    "approve_offline": gettext_lazy("审核线下公开"),
}


def target_of(problem: Problem, action: str) -> str:
    return WORKFLOW.target(problem.status, action)


def allowed_actions(status: str) -> list[str]:
    return WORKFLOW.allowed(status)
