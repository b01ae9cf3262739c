"""The life cycles of a draw and of a visit, as data.

draw:  committed (承诺已公布) → drawn (两名人员录入公开随机数后抽取)
visit: sealed (密封) → started (到达现场，解封) → finished (离开，发现转入台账)
       sealed → cancelled
round: 准备 → 进驻 → 了解情况 → 报告 → 反馈 → 移交 (findings into the ledger) → 整改 → 回头看
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from qingfeng.core import lifecycle
from qingfeng.core.lifecycle import Move
from qingfeng.oversight.models import Draw, DrawEvent, Round, RoundEvent, Visit, VisitEvent

D = Draw.Status
DRAW_MOVES: dict[str, Move] = {
    "draw": Move(gettext_lazy("抽取"), frozenset({D.COMMITTED}), D.DRAWN),
}


class DrawTransition(lifecycle.InvalidTransition):
    def __init__(self, status: str, action: str) -> None:
        super().__init__(
            statuses=D,
            moves=DRAW_MOVES,
            message=gettext_lazy("随机抽取当前状态为“%(status)s”，不能执行“%(action)s”"),
            status=status,
            action=action,
        )


DRAW = lifecycle.Workflow(
    model=Draw,
    statuses=D,
    moves=DRAW_MOVES,
    error=DrawTransition,
    event_model=DrawEvent,
    event_subject="draw",
    audit_prefix="oversight.draw",
    labels={
        "commit": gettext_lazy("公布承诺值"),
        "value": gettext_lazy("录入公开随机数"),
        "publish": gettext_lazy("公开抽查结果"),
    },
    snapshot=lambda d: {"status": d.status},
    # What the commitment froze: a value entered or the draw made never reads them again
    # through the lock, nor writes the pool (tens of thousands of people) back.
    frozen=("params", "pool", "pool_hash", "seed", "commitment"),
)

V = Visit.Status
VISIT_MOVES: dict[str, Move] = {
    "start": Move(gettext_lazy("到达现场，开始督导"), frozenset({V.SEALED}), V.STARTED),
    "finish": Move(gettext_lazy("结束督导，问题转入台账"), frozenset({V.STARTED}), V.FINISHED),
    "cancel": Move(gettext_lazy("取消督导"), frozenset({V.SEALED}), V.CANCELLED),
}


class VisitTransition(lifecycle.InvalidTransition):
    def __init__(self, status: str, action: str) -> None:
        super().__init__(
            statuses=V,
            moves=VISIT_MOVES,
            message=gettext_lazy("督导当前状态为“%(status)s”，不能执行“%(action)s”"),
            status=status,
            action=action,
        )


VISIT = lifecycle.Workflow(
    model=Visit,
    statuses=V,
    moves=VISIT_MOVES,
    error=VisitTransition,
    event_model=VisitEvent,
    event_subject="visit",
    audit_prefix="oversight.visit",
    labels={"plan": gettext_lazy("密封督导计划"), "finding": gettext_lazy("记录发现问题")},
    snapshot=lambda v: {"status": v.status},
)

P = Round.Status
PHASES = list(P)
ROUND_MOVES: dict[str, Move] = {
    "station": Move(gettext_lazy("进驻"), frozenset({P.PREPARING}), P.STATIONED),
    "investigate": Move(gettext_lazy("开始了解情况"), frozenset({P.STATIONED}), P.INVESTIGATING),
    "report": Move(gettext_lazy("形成巡察报告"), frozenset({P.INVESTIGATING}), P.REPORTING),
    "feedback": Move(gettext_lazy("反馈"), frozenset({P.REPORTING}), P.FEEDBACK),
    "handover": Move(gettext_lazy("移交整改（问题转入台账）"), frozenset({P.FEEDBACK}), P.HANDOVER),
    "rectify": Move(gettext_lazy("进入整改"), frozenset({P.HANDOVER}), P.RECTIFYING),
    "review": Move(gettext_lazy("回头看"), frozenset({P.RECTIFYING}), P.REVIEW),
}
NEXT_MOVE = {next(iter(m.sources)): name for name, m in ROUND_MOVES.items()}


class RoundTransition(lifecycle.InvalidTransition):
    def __init__(self, status: str, action: str) -> None:
        super().__init__(
            statuses=P,
            moves=ROUND_MOVES,
            message=gettext_lazy("巡察当前阶段为“%(status)s”，不能执行“%(action)s”"),
            status=status,
            action=action,
        )


ROUND = lifecycle.Workflow(
    model=Round,
    statuses=P,
    moves=ROUND_MOVES,
    error=RoundTransition,
    event_model=RoundEvent,
    event_subject="round",
    audit_prefix="oversight.round",
    labels={"create": gettext_lazy("创建巡察")},
    snapshot=lambda r: {"status": r.status},
)
