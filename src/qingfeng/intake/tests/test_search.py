"""The queue's free-text filter through the index (core/search.py) answers exactly what the
substring scan answers: over title and content for intake roles, over the title for others."""

from __future__ import annotations

from django.db.models import Q

from qingfeng.core import search
from qingfeng.intake.models import Ticket
from qingfeng.intake.selectors import TicketFilter, filter_tickets
from qingfeng.intake.tests.handling_base import IntakeTestCase
from qingfeng.orgs.models import User

TEXTS = [
    ("学校食堂乱收费", "学校食堂每月向学生多收伙食费。"),
    ("暑期违规补课", "老师暑期组织学生有偿补课，收费800元。"),
    ("老师收受购物卡", "班主任在节日收受家长送的购物卡。"),
    ("要求购买指定教辅", "每人购买120元教辅材料。"),
    ("食品卫生", "学校堂食区域长期不干净，无人打扫。"),
]
QUERIES = [
    "食堂",
    "补课",
    "收费",
    "购物卡",
    "教辅",
    "教辅材料",
    "食",
    "堂食",
    "120",
    "卡",
    "不存在",
]


class TicketSearchTestCase(IntakeTestCase):
    def scan(self, user: User, text: str, *, content: bool) -> set[int]:
        rows = filter_tickets(user, TicketFilter(status="all"))
        match = Q(number__icontains=text) | Q(title__contains=text)
        if content:
            match |= Q(content__contains=text)
        return set(rows.filter(match).values_list("pk", flat=True))

    def found(self, user: User, text: str) -> set[int]:
        rows = filter_tickets(user, TicketFilter(status="all", text=text))
        return set(rows.values_list("pk", flat=True))

    def assert_same(self) -> None:
        for user, content in ((self.hotline, True), (self.county_admin, False)):
            for text in QUERIES:
                with self.subTest(user=user.username, text=text):
                    self.assertEqual(self.found(user, text), self.scan(user, text, content=content))

    def test_the_filter_equals_the_substring_scan(self) -> None:
        made = [self.accepted(title=t, content=c) for t, c in TEXTS]
        self.assert_same()
        search.refresh_all()
        self.assertFalse(Ticket.objects.filter(search_tokens__isnull=True).exists())
        self.assert_same()
        Ticket.objects.filter(pk=made[4].pk).update(title="食堂卫生")
        self.assertIsNone(Ticket.objects.get(pk=made[4].pk).search_tokens)
        self.assert_same()
        search.refresh_all()
        self.assertIn(made[4].pk, self.found(self.hotline, "食堂"))
        self.assert_same()
