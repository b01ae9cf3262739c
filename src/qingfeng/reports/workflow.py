"""The bulletin's life cycle, as data:
draft → edited (an edited .docx uploaded; again and again) → approved (a bureau leader) →
issued (to the units, archived with its data)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from qingfeng.core import lifecycle
from qingfeng.core.lifecycle import Move
from qingfeng.reports.models import Assessment, AssessmentEvent, Bulletin, BulletinEvent

B = Bulletin.Status
MOVES: dict[str, Move] = {
    "edit": Move(gettext_lazy("上传修改稿"), frozenset({B.DRAFT, B.EDITED}), B.EDITED),
    "approve": Move(gettext_lazy("审定"), frozenset({B.DRAFT, B.EDITED}), B.APPROVED),
    "issue": Move(gettext_lazy("印发"), frozenset({B.APPROVED}), B.ISSUED),
}


class BulletinTransition(lifecycle.InvalidTransition):
    def __init__(self, status: str, action: str) -> None:
        super().__init__(
            statuses=B,
            moves=MOVES,
            message=gettext_lazy("通报当前状态为“%(status)s”，不能执行“%(action)s”"),
            status=status,
            action=action,
        )


BULLETIN = lifecycle.Workflow(
    model=Bulletin,
    statuses=B,
    moves=MOVES,
    error=BulletinTransition,
    event_model=BulletinEvent,
    event_subject="bulletin",
    audit_prefix="reports.bulletin",
    labels={"create": gettext_lazy("生成草稿")},
    snapshot=lambda b: {"status": b.status, "number": b.number},
)

A = Assessment.Status
ASSESSMENT_MOVES: dict[str, Move] = {
    "approve": Move(gettext_lazy("审定"), frozenset({A.DRAFT}), A.APPROVED),
    "publish": Move(gettext_lazy("发布"), frozenset({A.APPROVED}), A.PUBLISHED),
}


class AssessmentTransition(lifecycle.InvalidTransition):
    def __init__(self, status: str, action: str) -> None:
        super().__init__(
            statuses=A,
            moves=ASSESSMENT_MOVES,
            message=gettext_lazy("季度考评当前状态为“%(status)s”，不能执行“%(action)s”"),
            status=status,
            action=action,
        )


ASSESSMENT = lifecycle.Workflow(
    model=Assessment,
    statuses=A,
    moves=ASSESSMENT_MOVES,
    error=AssessmentTransition,
    event_model=AssessmentEvent,
    event_subject="assessment",
    audit_prefix="reports.assessment",
    labels={
        "create": gettext_lazy("计算得分"),
        "adjust": gettext_lazy("扣分或一票否决"),
        "manual": gettext_lazy("手工指标评分"),
    },
    snapshot=lambda a: {"status": a.status, "quarter": a.quarter},
)
