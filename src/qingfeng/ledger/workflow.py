"""The problem life cycle as data: which action moves a problem from which states to which.

draft → assigned (交办) → accepted (签收) → rectifying → closure requested (申请销号)
      → closed (销号) | returned (退回重改 → rectifying) | stage completed (长期坚持)
any open state → withdrawn (bureau roles, with a reason)
closed / stage completed → rectifying again when a re-check (回头看) fails
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qingfeng.ledger.models import Problem

S = Problem.Status
StrOrPromise = str | Promise


@dataclass(frozen=True)
class Move:
    label: StrOrPromise
    sources: frozenset[str]
    target: str


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


class InvalidTransition(ValidationError):
    def __init__(self, status: str, action: str) -> None:
        self.status, self.action = status, action
        super().__init__(
            _("问题当前状态为“%(status)s”，不能执行“%(action)s”")
            % {
                "status": S(status).label,
                "action": MOVES[action].label if action in MOVES else action,
            },
            code="invalid_transition",
        )


def target_of(problem: Problem, action: str) -> str:
    move = MOVES.get(action)
    if move is None or problem.status not in move.sources:
        raise InvalidTransition(problem.status, action)
    return move.target


def allowed_actions(status: str) -> list[str]:
    return [name for name, move in MOVES.items() if status in move.sources]
