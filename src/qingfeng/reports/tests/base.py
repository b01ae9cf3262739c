"""The bulletin's test city: the base personas (the leader is the bureau's 分管领导) plus the
campaign office, and a helper that drafts November 2026's bulletin."""

from __future__ import annotations

from datetime import date
from typing import Any

import time_machine

from qingfeng.orgs.models import Role, User
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

    def draft(self, **fields: Any) -> Bulletin:
        fields.setdefault("number", "清教作〔2026〕12号")
        fields.setdefault("addressees", "各县区教育局，局属各单位")
        with time_machine.travel("2026-12-02 09:00 +0800", tick=False):
            return actions.check_create_bulletin(
                actor=self.office_user, issuer=self.bureau, month=NOVEMBER, **fields
            )
