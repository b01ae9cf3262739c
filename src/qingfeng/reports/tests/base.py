"""The bulletin's test city: the base personas (the leader is the bureau's 分管领导) plus the
campaign office, and a helper that drafts November 2026's bulletin."""

from __future__ import annotations

from datetime import date
from typing import Any

import time_machine

from qingfeng.ledger import actions as ledger_actions
from qingfeng.ledger.models import Category, Problem
from qingfeng.orgs.models import Person, Role, Unit, User
from qingfeng.reports import actions
from qingfeng.reports.models import Bulletin
from qingfeng.test import BaseTestCase, make_user

NOVEMBER = date(2026, 11, 1)


class BulletinCase(BaseTestCase):
    office_user: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.office_user = make_user(
            "office", unit=cls.bureau, role=Role.CAMPAIGN_OFFICE, name="欧阳晓燕"
        )

    def problem(self, unit: Unit) -> Problem:
        """An assigned problem of the unit, registered now (travel in time around the call)."""
        problem = ledger_actions.check_create_problem(
            actor=self.county_admin,
            unit=unit,
            measures=["退回费用"],
            list_kind=Problem.ListKind.LEADERSHIP,
            source=Problem.Source.SELF_CHECK,
            category=Category.objects.get(name="教辅材料违规征订"),
            dimension=Problem.Dimension.INTEGRITY,
            title="违规推荐教辅材料",
            description="三年级推荐学生购买指定教辅。",
            rectification_type=Problem.RectificationType.TIME_LIMITED,
            deadline_workdays=10,
            responsible_person=Person.objects.get(user=self.county_admin),
        )
        return ledger_actions.check_assign(problem, actor=self.county_admin)

    def draft(self, **fields: Any) -> Bulletin:
        fields.setdefault("number", "清教作〔2026〕12号")
        fields.setdefault("addressees", "各县区教育局，局属各单位")
        with time_machine.travel("2026-12-02 09:00 +0800", tick=False):
            return actions.check_create_bulletin(
                actor=self.office_user, issuer=self.bureau, month=NOVEMBER, **fields
            )
