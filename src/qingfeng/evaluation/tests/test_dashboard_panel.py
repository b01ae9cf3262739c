"""The evaluation's panel on the dashboard (evaluation/panels.py): the round's verdicts with
intervals for the units in view, 样本不足 greyed, and the units sent back (回炉补课)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from qingfeng.evaluation import actions
from qingfeng.evaluation.stats import Verdict
from qingfeng.evaluation.tests.base import EvaluationCase


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


class DashboardPanelTestCase(EvaluationCase):
    def setUp(self) -> None:
        self.round = self.open_round(area=self.county)
        # 东城区实验小学: 20 of 30 satisfied (confirmed low); 东城区第二中学: 3 of 3 (too few).
        self.rate(self.school, satisfied=20, dissatisfied=10)
        self.rate(self.school2, satisfied=3)

    def test_the_county_sees_each_verdict_with_its_interval_and_the_low_unit_sent_back(
        self,
    ) -> None:
        actions.check_close_round(self.round, actor=self.office_user)
        self.login(self.county_admin)
        response = self.client.get("/dashboard/")
        self.assertContains(response, 'data-testid="dashboard-panel-evaluation"')
        self.assertContains(response, f'data-verdict="{Verdict.CONFIRMED_LOW}"')
        self.assertContains(response, f'class="qf-too-few" data-verdict="{Verdict.TOO_FEW}"')
        self.assertContains(response, "66.7%")  # 20 of 30, with its interval beside it
        self.assertContains(response, 'data-testid="dashboard-remedials"')
        # The confirmed-low school comes first.
        body = response.content.decode()
        self.assertLess(
            body.index(self.school.name, body.index("dashboard-verdicts")),
            body.index(self.school2.name, body.index("dashboard-verdicts")),
        )

    def test_nothing_of_another_county_shows(self) -> None:
        self.login(self.county_admin)
        other = self.client.get("/dashboard/")
        self.assertNotContains(other, self.other_school.name)
        self.login(self.school_admin)
        # A school sees the round's result of itself only after publication (sees_result).
        response = self.client.get("/dashboard/")
        self.assertNotContains(response, 'data-testid="dashboard-verdicts"')
