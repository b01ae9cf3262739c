"""Oversight's test city: the base personas, plus two campaign-office officials (the four
eyes of a draw), supervisors in the bureau and one from 东城区 (recused there), and helpers
that go through the actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from qingfeng.orgs.models import Role, Unit, User
from qingfeng.oversight import actions
from qingfeng.oversight.models import Draw, Group, Round, Visit
from qingfeng.test import BaseTestCase, make_user


class OversightCase(BaseTestCase):
    office_user: User
    office_user2: User
    member: User
    member2: User
    county_supervisor: User
    inspectors: list[User]

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
        cls.inspectors = [
            make_user(f"insp{i}", unit=cls.bureau, role=Role.INSPECTOR, name=n)
            for i, n in enumerate(("司徒方", "欧阳军", "诸葛红"))
        ]
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

    def make_round(self, **fields: Any) -> Round:
        fields.setdefault("name", "市委第一巡察组对东城区教育系统巡察")
        fields.setdefault("mandate", "了解落实中央八项规定精神情况")
        fields.setdefault("starts_on", timezone.localdate())
        fields.setdefault("ends_on", timezone.localdate() + timedelta(days=39))
        fields.setdefault("duty_phone", "0421-1234567")
        fields.setdefault("postbox", "东城区教育局一楼大厅")
        fields.setdefault("targets", [self.county, self.school])
        return actions.check_create_round(actor=self.office_user, owner=self.bureau, **fields)

    def staffed_round(self, **fields: Any) -> Round:
        """A round stationed with a full team whose declarations are signed."""
        round_ = self.make_round(**fields)
        actions.check_set_team(
            round_,
            actor=self.office_user,
            leader=self.supervisor,
            deputies=[self.member],
            members=[self.member2, *self.inspectors],
        )
        for member in round_.members.all():
            actions.check_sign_declaration(round_, user=member.user, text="无利害关系")
        return actions.check_advance_round(round_, actor=self.office_user)
