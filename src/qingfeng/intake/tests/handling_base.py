"""Personas and tickets for the staff side of intake.

A named parent (张小明, 13766665555) reports 东城区实验小学 and names its teacher 周小燕; the
hotline operator and the bureau admin handle intake, the school and the county handle it.
"""

from __future__ import annotations

from typing import Any

from qingfeng.intake import deadlines
from qingfeng.intake.actions import check_submit_ticket, handling
from qingfeng.intake.models import Ticket, TicketCategory
from qingfeng.orgs.models import Role, User
from qingfeng.test import BaseTestCase, make_user

REPORTER_NAME = "张小明"
REPORTER_PHONE = "13766665555"


def submit_ticket(**fields: Any) -> tuple[Ticket, str]:
    """Filed through the public side's submission, with the light the daily sweep gives it."""
    ticket, code = check_submit_ticket(**fields)
    deadlines.set_light(ticket)
    ticket.save(update_fields=["light", "urgency", "due_key"])
    return ticket, code


class IntakeTestCase(BaseTestCase):
    hotline: User
    category: TicketCategory

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.hotline = make_user(
            "hotline", unit=cls.bureau, role=Role.HOTLINE_OPERATOR, name="韩接线"
        )
        cls.category = TicketCategory.objects.get(name="乱收费乱办班乱订资料")

    def make_ticket(self, **overrides: Any) -> Ticket:
        fields: dict[str, Any] = {
            "kind": Ticket.Kind.COMPLAINT,
            "category": self.category,
            "unit": self.school,
            "title": "老师要求购买指定教辅",
            "content": "三年级周小燕老师要求每人购买120元教辅，我是张小明，电话13766665555。",
            "occurred": "2026年11月",
            "named_person": "周小燕",
            "anonymous": False,
            "reporter_name": REPORTER_NAME,
            "reporter_phone": REPORTER_PHONE,
            "channel": Ticket.Channel.WEB,
        }
        fields.update(overrides)
        ticket, _code = submit_ticket(**fields)
        return ticket

    def accepted(self, **overrides: Any) -> Ticket:
        return handling.do_accept(self.make_ticket(**overrides), actor=self.bureau_admin)

    def assigned(self, unit: Any = None, handler: User | None = None, **overrides: Any) -> Ticket:
        return handling.check_assign(
            self.accepted(**overrides),
            actor=self.bureau_admin,
            unit=unit or self.school,
            handler=handler,
        )

    def replied(self, **overrides: Any) -> Ticket:
        ticket = handling.do_start(self.assigned(**overrides), actor=self.school_admin)
        handling.check_reply(ticket, actor=self.school_admin, body="已责令退还费用，并在全校通报。")
        return ticket

    def fresh(self, ticket: Ticket) -> Ticket:
        return Ticket.objects.get(pk=ticket.pk)


__all__ = ["REPORTER_NAME", "REPORTER_PHONE", "IntakeTestCase", "submit_ticket"]
