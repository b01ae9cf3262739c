"""The life cycles of a study session and of a typical case, as data.

session: planned → held (学习记录, attendance closed, make-ups set) | cancelled
case:    draft (待脱敏) → pending (提交审核) → published (入库) | rejected; pending → draft (退回修改)
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from qingfeng.core import lifecycle
from qingfeng.core.lifecycle import Move
from qingfeng.learning.models import Case, CaseEvent, Session, SessionEvent

S = Session.Status
SESSION_MOVES: dict[str, Move] = {
    "hold": Move(gettext_lazy("记录学习情况"), frozenset({S.PLANNED}), S.HELD),
    "cancel": Move(gettext_lazy("取消学习"), frozenset({S.PLANNED}), S.CANCELLED),
}


class SessionTransition(lifecycle.InvalidTransition):
    def __init__(self, status: str, action: str) -> None:
        super().__init__(
            statuses=S,
            moves=SESSION_MOVES,
            message=gettext_lazy("学习活动当前状态为“%(status)s”，不能执行“%(action)s”"),
            status=status,
            action=action,
        )


SESSION = lifecycle.Workflow(
    model=Session,
    statuses=S,
    moves=SESSION_MOVES,
    error=SessionTransition,
    event_model=SessionEvent,
    event_subject="session",
    audit_prefix="learning.session",
    labels={"create": gettext_lazy("安排学习")},
    snapshot=lambda s: {"status": s.status, "topic": s.topic},
)

C = Case.Status
CASE_MOVES: dict[str, Move] = {
    "submit": Move(gettext_lazy("提交审核"), frozenset({C.DRAFT}), C.PENDING),
    "approve": Move(gettext_lazy("审核入库"), frozenset({C.PENDING}), C.PUBLISHED),
    "return": Move(gettext_lazy("退回修改"), frozenset({C.PENDING}), C.DRAFT),
    "reject": Move(gettext_lazy("不予采用"), frozenset({C.PENDING}), C.REJECTED),
}


class CaseTransition(lifecycle.InvalidTransition):
    def __init__(self, status: str, action: str) -> None:
        super().__init__(
            statuses=C,
            moves=CASE_MOVES,
            message=gettext_lazy("案例当前状态为“%(status)s”，不能执行“%(action)s”"),
            status=status,
            action=action,
        )


CASE = lifecycle.Workflow(
    model=Case,
    statuses=C,
    moves=CASE_MOVES,
    error=CaseTransition,
    event_model=CaseEvent,
    event_subject="case",
    audit_prefix="learning.case",
    labels={"create": gettext_lazy("录入案例"), "edit": gettext_lazy("修改案例")},
    snapshot=lambda c: {"status": c.status, "title": c.title},
)
