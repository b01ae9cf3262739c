"""The life cycles of a round and of a remedial round, as data.

round:    draft → open (开始评议, everything that defines it frozen) → closed (结束评议)
remedial: open (回炉整改中) → passed (复评达标) | escalated (提级督办)
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from qingfeng.core import lifecycle
from qingfeng.core.lifecycle import Move
from qingfeng.evaluation.models import Remedial, RemedialEvent, Round, RoundEvent

R = Round.Status
ROUND_MOVES: dict[str, Move] = {
    "open": Move(gettext_lazy("开始评议"), frozenset({R.DRAFT}), R.OPEN),
    "close": Move(gettext_lazy("结束评议"), frozenset({R.OPEN}), R.CLOSED),
}


class RoundTransition(lifecycle.InvalidTransition):
    def __init__(self, status: str, action: str) -> None:
        super().__init__(
            statuses=R,
            moves=ROUND_MOVES,
            message=gettext_lazy("评议轮次当前状态为“%(status)s”，不能执行“%(action)s”"),
            status=status,
            action=action,
        )


def round_snapshot(round_: Round) -> dict[str, Any]:
    return {"status": round_.status, "name": round_.name}


ROUND = lifecycle.Workflow(
    model=Round,
    statuses=R,
    moves=ROUND_MOVES,
    error=RoundTransition,
    event_model=RoundEvent,
    event_subject="round",
    audit_prefix="evaluation.round",
    labels={"create": gettext_lazy("创建"), "publish": gettext_lazy("发布结果")},
    snapshot=round_snapshot,
)

S = Remedial.Status
REMEDIAL_MOVES: dict[str, Move] = {
    "pass": Move(gettext_lazy("复评达标，结束回炉"), frozenset({S.OPEN}), S.PASSED),
    "escalate": Move(gettext_lazy("复评仍未达标，提级督办"), frozenset({S.OPEN}), S.ESCALATED),
}


class RemedialTransition(lifecycle.InvalidTransition):
    def __init__(self, status: str, action: str) -> None:
        super().__init__(
            statuses=S,
            moves=REMEDIAL_MOVES,
            message=gettext_lazy("回炉补课当前状态为“%(status)s”，不能执行“%(action)s”"),
            status=status,
            action=action,
        )


REMEDIAL = lifecycle.Workflow(
    model=Remedial,
    statuses=S,
    moves=REMEDIAL_MOVES,
    error=RemedialTransition,
    event_model=RemedialEvent,
    event_subject="remedial",
    audit_prefix="evaluation.remedial",
    labels={"create": gettext_lazy("启动回炉补课")},
    snapshot=lambda r: {"status": r.status},
)
