"""The campaign's test city: the base personas, a research institute under 东城区 and the
campaign office; a campaign owned by the bureau and helpers that act as users would."""

from __future__ import annotations

from datetime import date
from typing import Any

from qingfeng.campaigns import actions
from qingfeng.campaigns.models import Campaign, Task
from qingfeng.orgs.models import Role, Unit, User
from qingfeng.test import BaseTestCase, make_unit, make_user

# A Monday; the week after has no holiday in the default calendar.
MONDAY = date(2026, 11, 2)


class CampaignCase(BaseTestCase):
    office_user: User
    institute: Unit
    institute_admin: User
    campaign: Campaign

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.office_user = make_user(
            "office", unit=cls.bureau, role=Role.CAMPAIGN_OFFICE, name="欧阳晓燕"
        )
        cls.institute = make_unit("东城区教研室", Unit.Kind.RESEARCH, cls.county, "R0001")
        cls.institute_admin = make_user(
            "institute_admin", unit=cls.institute, role=Role.UNIT_ADMIN, name="上官明"
        )
        cls.campaign = actions.check_create_campaign(
            actor=cls.office_user,
            owner=cls.bureau,
            name="深入贯彻中央八项规定精神学习教育",
            starts_on=date(2026, 10, 1),
            ends_on=date(2027, 3, 31),
            phases=[("学习研讨", date(2026, 10, 1), date(2026, 10, 31))],
            projects=[("靶向攻坚", "", [("三张清单", "")])],
        )

    def issue(
        self, *, actor: User | None = None, issuer: Unit | None = None, **fields: Any
    ) -> Task:
        fields.setdefault("kind", Task.Kind.COMMON)
        fields.setdefault("title", "制定实施方案")
        fields.setdefault("requirement", "结合实际制定")
        fields.setdefault("due_workdays", 10)
        fields.setdefault("evidence", Task.Evidence.CONFIRM)
        fields.setdefault("today", MONDAY)
        return actions.check_issue_task(
            self.campaign,
            actor=actor or self.office_user,
            issuer=issuer or self.bureau,
            **fields,
        )
