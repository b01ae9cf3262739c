"""The ticket life cycle as data.

received → accepted (受理) | declined (不予受理, with a reason)
accepted → assigned (转办) → handling → replied (办结) → closed (after follow-up 回访)
assigned/handling → accepted again when the unit returns a wrongly assigned ticket
replied → handling again when the reporter is dissatisfied (发回重办, once);
          a second dissatisfaction escalates to the level above (assigned to its parent)
any open state → merged into a master ticket (duplicate)
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from qingfeng.core import lifecycle
from qingfeng.core.lifecycle import Move, StrOrPromise
from qingfeng.intake import deadlines
from qingfeng.intake.models import Ticket, TicketEvent

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


def snapshot(ticket: Ticket) -> dict[str, Any]:
    """What an audit row records of a ticket before and after a change."""
    return {
        "status": ticket.status,
        "handling_unit_id": ticket.handling_unit_id,
        "handler_id": ticket.handler_id,
        "light": ticket.light,
        "reply_due": ticket.reply_due,
    }


WORKFLOW = lifecycle.Workflow(
    model=Ticket,
    statuses=S,
    moves=MOVES,
    error=InvalidTransition,
    event_model=TicketEvent,
    event_subject="ticket",
    audit_prefix="intake.ticket",
    # The events that are not moves. The reporter's page says 提交反映; staff pages and the
    # API say how the ticket came in (ENTRY_LABELS).
    labels={
        "submit": gettext_lazy("提交反映"),
        "merged_in": gettext_lazy("合并重复件"),
        "to_problem": gettext_lazy("转为台账问题"),
    },
    snapshot=snapshot,
    prepare=deadlines.set_light,  # the light and queue order follow the new status
)

# The names of intake's actions, in one table: every event it writes (the moves and the
# rest), and the other actions a user may be refused (the API's 403 names them).
LABELS: dict[str, StrOrPromise] = {
    **WORKFLOW.event_labels,
    "view_queue": gettext_lazy("查看工单"),
    "note": gettext_lazy("添加内部备注"),
}

ENTRY_LABELS: dict[str, StrOrPromise] = {
    Ticket.Channel.WEB: gettext_lazy("网上提交"),
    Ticket.Channel.PHONE: gettext_lazy("热线来电录入"),
    Ticket.Channel.LETTER: gettext_lazy("来信录入"),
    Ticket.Channel.VISIT: gettext_lazy("来访录入"),
    Ticket.Channel.EVALUATION: gettext_lazy("群众评议意见转办"),
    Ticket.Channel.RECEPTION: gettext_lazy("接待日当面反映录入"),
}


def event_label(action: str, *, channel: str = "") -> StrOrPromise:
    """An event's name; with the ticket's channel, a submission says how it came in."""
    if action == "submit" and channel in ENTRY_LABELS:
        return ENTRY_LABELS[channel]
    return LABELS.get(action, action)


def target_of(ticket: Ticket, action: str) -> str:
    return WORKFLOW.target(ticket.status, action)


def allowed_actions(status: str) -> list[str]:
    return WORKFLOW.allowed(status)
