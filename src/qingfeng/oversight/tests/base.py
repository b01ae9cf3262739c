"""Oversight's test city: the base personas, plus two campaign-office officials (the four
eyes of a draw), supervisors in the bureau and one from 东城区 (recused there), and helpers
that go through the actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from qingfeng.orgs.models import Role, Unit, User
from qingfeng.oversight import actions
from qingfeng.oversight.models import Draw, Group, Visit
from qingfeng.test import BaseTestCase, make_user


class OversightCase(BaseTestCase):
    office_user: User
    office_user2: User
    member: User
    member2: User
    county_supervisor: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.office_user = make_user(
            "office", unit=cls.bureau, role=Role.CAMPAIGN_OFFICE, name="欧阳晓燕"
        )
        cls.office_user2 = make_user(
            "office2", unit=cls.bureau, role=Role.CAMPAIGN_OFFICE, name="上官文静"
        )
        cls.member = make_user("member", unit=cls.bureau, role=Role.SUPERVISOR, name="慕容海")
        cls.member2 = make_user("member2", unit=cls.bureau, role=Role.SUPERVISOR, name="皇甫青")
        # Works in 东城区: never drawn for its schools.
        cls.county_supervisor = make_user(
            "county_sup", unit=cls.county, role=Role.SUPERVISOR, name="东方明"
        )

    def make_group(self, **fields: Any) -> Group:
        fields.setdefault("name", "第一督导组")
        fields.setdefault("leader", self.supervisor)
        fields.setdefault("members", [self.member, self.member2])
        fields.setdefault("regions", [self.county, self.other_county])
        fields.setdefault("stages", [])
        return actions.check_create_group(actor=self.office_user, owner=self.bureau, **fields)

    def plan_visit(
        self, group: Group | None = None, *, unit: Unit | None = None, **fields: Any
    ) -> Visit:
        fields.setdefault("planned_start", timezone.now() + timedelta(hours=2))
        fields.setdefault("team", [self.member])
        fields.setdefault("checklist_items", ["discipline", "fees"])
        return actions.check_plan_visit(
            actor=self.office_user,
            group=group or self.make_group(),
            unit=unit or self.school,
            **fields,
        )

    def commit_draw(self, **fields: Any) -> Draw:
        fields.setdefault("name", "东城区学校四不两直抽查")
        fields.setdefault("purpose", Draw.Purpose.VISIT)
        fields.setdefault("value_note", "2026-12-08 福彩3D 开奖号码；当日上证指数收盘")
        fields.setdefault("count", 2)
        return actions.check_commit_draw(actor=self.office_user, owner=self.bureau, **fields)

    def run_draw(self, draw: Draw, values: tuple[str, str] = ("371", "3389.42")) -> Draw:
        actions.check_enter_value(
            draw, actor=self.office_user, value=values[0], source="福彩3D 第2026331期"
        )
        return actions.check_enter_value(
            draw, actor=self.office_user2, value=values[1], source="上证指数 2026-12-08 收盘"
        )
