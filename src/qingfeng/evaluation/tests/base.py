"""The evaluation's test city: the base personas, plus the campaign office, a third-party
assessor and a discipline inspector at the bureau, and helpers that rate through the action."""

from __future__ import annotations

import itertools
from typing import Any

from qingfeng.evaluation import actions
from qingfeng.evaluation.models import Response, Round
from qingfeng.orgs.models import Role, Unit, User
from qingfeng.test import BaseTestCase, make_user

_keys = itertools.count()
TYPES = list(Response.RespondentType.values)


class EvaluationCase(BaseTestCase):
    office_user: User
    assessor: User
    inspector: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.office_user = make_user(
            "office", unit=cls.bureau, role=Role.CAMPAIGN_OFFICE, name="欧阳晓燕"
        )
        cls.assessor = make_user("assessor", unit=cls.bureau, role=Role.THIRD_PARTY, name="司马东")
        cls.inspector = make_user(
            "inspector", unit=cls.bureau, role=Role.DISCIPLINE_INSPECTOR, name="诸葛文"
        )

    def make_round(self, *, owner: Unit | None = None, **fields: Any) -> Round:
        fields.setdefault("name", "2026年第四季度学校群众满意度评议")
        fields.setdefault("kinds", [Unit.Kind.SCHOOL])
        return actions.check_create_round(
            actor=self.office_user, owner=owner or self.bureau, **fields
        )

    def open_round(self, **fields: Any) -> Round:
        round_ = self.make_round(**fields)
        return actions.check_open_round(round_, actor=self.office_user)

    def rate(
        self, unit: Unit, *, satisfied: int, dissatisfied: int = 0, unknown: int = 0, **extra: Any
    ) -> None:
        """Ratings with varied answers (no burst): satisfied ones 5/4/3, the rest 2/1."""
        plan = [5, 4, 3] * satisfied
        rows = plan[:satisfied] + [2, 1] * dissatisfied
        rows = rows[: satisfied + dissatisfied] + [0] * unknown
        for i, overall in enumerate(rows):
            actions.check_submit_rating(
                unit,
                respondent_type=TYPES[i % 4],
                overall=overall,
                answers={"师德师风": [5, 4, 3, 2, 1][i % 5]} if overall else {},
                comment=extra.get("comment", "") if overall in (1, 2) else "",
                idempotency_key=f"test-key-{next(_keys):08d}",
                seconds=20 + i % 30,
            )


class AssessorCase(EvaluationCase):
    """With the third-party assessor over 东城区 (the body the bureau contracts for a county):
    they score its schools, never the county's bureau itself."""

    county_assessor: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.county_assessor = make_user(
            "county_assessor", unit=cls.county, role=Role.THIRD_PARTY, name="评估机构东城组"
        )
