"""The ticket life cycle as data.

received → accepted (受理) | declined (不予受理, with a reason)
accepted → assigned (转办) → handling → replied (办结) → closed (after follow-up 回访)
assigned/handling → accepted again when the unit returns a wrongly assigned ticket
replied → handling again when the reporter is dissatisfied (发回重办, once);
          a second dissatisfaction escalates to the level above (assigned to its parent)
any open state → merged into a master ticket (duplicate)
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from qingfeng.core import lifecycle
from qingfeng.core.lifecycle import Move
from qingfeng.intake.models import Ticket

S = Ticket.Status
OPEN = frozenset({S.RECEIVED, S.ACCEPTED, S.ASSIGNED, S.HANDLING, S.REPLIED})


MOVES: dict[str, Move] = {
    "accept": Move(gettext_lazy("受理"), frozenset({S.RECEIVED}), S.ACCEPTED),
    "decline": Move(gettext_lazy("不予受理"), frozenset({S.RECEIVED}), S.DECLINED),
    "assign": Move(gettext_lazy("转办"), frozenset({S.ACCEPTED}), S.ASSIGNED),
    "start": Move(gettext_lazy("开始办理"), frozenset({S.ASSIGNED}), S.HANDLING),
    "return": Move(
        gettext_lazy("退回（转办有误）"), frozenset({S.ASSIGNED, S.HANDLING}), S.ACCEPTED
    ),
    "reply": Move(gettext_lazy("办结答复"), frozenset({S.ASSIGNED, S.HANDLING}), S.REPLIED),
    "redo": Move(gettext_lazy("发回重办"), frozenset({S.REPLIED}), S.HANDLING),
    "escalate": Move(gettext_lazy("提级办理"), frozenset({S.REPLIED}), S.ASSIGNED),
    "close": Move(gettext_lazy("回访后关闭"), frozenset({S.REPLIED}), S.CLOSED),
    "merge": Move(gettext_lazy("合并为重复件"), OPEN, S.MERGED),
}


ILLEGAL = gettext_lazy("工单当前状态为“%(status)s”，不能执行“%(action)s”")


class InvalidTransition(lifecycle.InvalidTransition):
    def __init__(self, status: str, action: str) -> None:
        super().__init__(statuses=S, moves=MOVES, message=ILLEGAL, status=status, action=action)


def target_of(ticket: Ticket, action: str) -> str:
    target = lifecycle.target_of(MOVES, ticket.status, action)
    if target is None:
        raise InvalidTransition(ticket.status, action)
    return target


def allowed_actions(status: str) -> list[str]:
    return lifecycle.allowed(MOVES, status)
