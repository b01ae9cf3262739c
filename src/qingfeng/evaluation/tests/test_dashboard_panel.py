"""The evaluation's panel on the dashboard (evaluation/panels.py): the round's verdicts with
intervals for the units in view, 样本不足 greyed, and the units sent back (回炉补课) — those
whose re-evaluation escalated in the month shown (提级督办, the figure `remedials_escalated`)
counted and listed first — beside the figure's own column in the 评 stage."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from qingfeng.evaluation import actions
from qingfeng.evaluation.models import Remedial
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


@time_machine.travel("2026-11-02 09:00 +08:00", tick=False)
class EscalationOnTheDashboardTestCase(EvaluationCase):
    def escalated(self) -> Remedial:
        """东城区实验小学 below 85 % (20 of 30), sent back, and below again at its
        re-evaluation (22 of 30): escalated on the first day of the window."""
        round_ = self.open_round(area=self.county)
        self.rate(self.school, satisfied=20, dissatisfied=10)
        self.rate(self.school2, satisfied=31, dissatisfied=1)
        actions.check_close_round(round_, actor=self.office_user)
        remedial = Remedial.objects.get()
        with time_machine.travel(remedial.reeval_opens_on, tick=False):
            self.rate(self.school, satisfied=22, dissatisfied=8)
            return actions.check_decide_reevaluation(remedial, actor=self.office_user)

    def test_the_month_of_the_escalation_counts_and_marks_it(self) -> None:
        remedial = self.escalated()
        self.assertEqual(remedial.status, Remedial.Status.ESCALATED)
        decided = timezone.localdate(remedial.decided_at)
        with time_machine.travel(remedial.decided_at, tick=False):
            self.login(self.county_admin)
            body = self.client.get("/dashboard/").content.decode()
        counts = body[body.index('data-testid="remedial-counts"') :]
        counts = re.sub(r"<[^>]+>", "", counts[: counts.index("</span></span>")])
        self.assertIn("回炉补课中 0", counts)
        self.assertIn("本期回炉复评未达标、提级督办 1", counts)
        self.assertIn(f"本期提级督办（{decided.isoformat()}）", body)
        self.assertIn("data-escalated-now", body)
        # The figure's own column in the 评 stage's table, on the school's row.
        table = body[body.index('data-testid="dashboard-units-evaluation"') :]
        row = table[table.index(f'data-unit="{self.school.pk}"') :]
        row = row[: row.index("</tr>")]
        cell = re.search(r'data-label="回炉复评未达标、提级督办">(?:<a [^>]*>)?(\d+)', row)
        assert cell is not None
        self.assertEqual(cell[1], "1")

    def test_a_month_before_lists_the_unit_without_counting_it(self) -> None:
        remedial = self.escalated()
        with time_machine.travel(remedial.decided_at, tick=False):
            self.login(self.county_admin)
            body = self.client.get("/dashboard/?month=2026-11").content.decode()
        self.assertIn('data-testid="dashboard-remedials"', body)
        self.assertIn("本期回炉复评未达标、提级督办 <strong>0</strong>", body)
        self.assertNotIn("data-escalated-now", body)
