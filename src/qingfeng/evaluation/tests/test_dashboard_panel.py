"""The evaluation's panel on the dashboard (evaluation/panels.py): the round's verdicts with
intervals for the units in view, 样本不足 greyed, and the units sent back (回炉补课) — those
whose re-evaluation escalated in the month shown (提级督办, the figure `remedials_escalated`)
counted and listed first — beside the figure's own column in the 评 stage."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from qingfeng.evaluation import actions
from qingfeng.evaluation.models import Remedial, Response
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


def escalate(case: EvaluationCase) -> Remedial:
    """东城区实验小学 below 85 % (20 of 30), sent back, and below again at its
    re-evaluation (22 of 30): escalated on the first day of the window."""
    round_ = case.open_round(area=case.county)
    case.rate(case.school, satisfied=20, dissatisfied=10)
    case.rate(case.school2, satisfied=31, dissatisfied=1)
    actions.check_close_round(round_, actor=case.office_user)
    remedial = Remedial.objects.get()
    with time_machine.travel(remedial.reeval_opens_on, tick=False):
        case.rate(case.school, satisfied=22, dissatisfied=8)
        return actions.check_decide_reevaluation(remedial, actor=case.office_user)


@time_machine.travel("2026-11-02 09:00 +08:00", tick=False)
class EscalationOnTheDashboardTestCase(EvaluationCase):
    def escalated(self) -> Remedial:
        return escalate(self)

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
        counts = body[body.index('data-testid="remedial-counts"') :]
        counts = re.sub(r"<[^>]+>", "", counts[: counts.index("</span></span>")])
        self.assertIn("本期回炉复评未达标、提级督办 0", counts)
        self.assertNotIn("data-escalated-now", body)


def panel_numbers(response: Any) -> list[tuple[str, str]] | None:
    """Every number printed in the evaluation's panel (a count, a rate, a score, a rank),
    with the address it links to ("" for a number that links nowhere); None without it."""
    extras = [html for stage in response.context["panels"] for html in stage["extras"]]
    panel = next((html for html in extras if "dashboard-panel-evaluation" in html), None)
    if panel is None:
        return None
    linked = r'<a [^>]*href="([^"]*)"[^>]*>(?:<strong>)?([\d.]+%?)(?:</strong>)?</a>'
    found = [(m[1], m[2]) for m in re.finditer(linked, panel)]
    bare = r">(?:<strong>)?([\d.]+%?)(?:</strong>)?[ <]"
    return found + [("", m[1]) for m in re.finditer(bare, re.sub(linked, "", panel))]


@time_machine.travel("2026-11-02 09:00 +08:00", tick=False)
class PanelLinksTestCase(EvaluationCase):
    def escalated(self) -> Remedial:
        return escalate(self)

    def test_every_number_of_the_panel_opens_its_records_and_counts_the_same(self) -> None:
        remedial = self.escalated()
        # A second round still open, so that the panel has verdicts beside the remedial.
        self.open_round(area=self.county, name="东城区第二轮评议")
        self.rate(self.school2, satisfied=4)
        views = [
            (self.county_admin, {}),
            (self.bureau_admin, {}),
            (self.bureau_admin, {"scope": self.county.pk}),
            (self.bureau_admin, {"scope": self.other_county.pk}),
            (self.office_user, {}),
        ]
        checked = nonzero = 0
        with time_machine.travel(remedial.decided_at, tick=False):
            for user, query in views:
                self.login(user)
                cache.clear()
                numbers = panel_numbers(self.client.get("/dashboard/", query))
                for link, number in numbers or []:
                    with self.subTest(user=user.username, query=query, number=number):
                        self.assertTrue(link, "a number that links nowhere")
                        page = self.client.get(link.replace("&amp;", "&"))
                        self.assertEqual(page.status_code, 200)
                        if "?verdict=" in link:
                            self.assertEqual(page.context["narrowed"]["total"], int(number))
                        elif "figure=" in link:
                            self.assertEqual(page.context["figure"]["total"], int(number))
                        else:  # a unit's own result: its base is the number of ratings
                            self.assertIn("/u/", link)
                        if user == self.county_admin:  # nothing of another county
                            self.assertNotContains(page, self.other_school.name)
                        checked += 1
                        nonzero += number not in ("0", "0.0%")
        self.assertGreater(checked, 10)
        self.assertGreater(nonzero, 5)
        self.assertTrue(Response.objects.exists())

    def test_a_verdict_list_outside_the_scope_is_not_found(self) -> None:
        self.escalated()
        round_ = self.open_round(area=self.county, name="东城区第二轮评议")
        self.login(self.county_admin)
        url = f"/evaluation/{round_.pk}/"
        self.assertEqual(self.client.get(url, {"verdict": "nonsense"}).status_code, 404)
        self.assertEqual(self.client.get(url, {"verdict": "passed", "unit": "x"}).status_code, 404)
        narrowed = self.client.get(url, {"verdict": "too_few", "unit": str(self.other_county.pk)})
        # Another county's units are not in this user's results: the list is empty.
        self.assertEqual(narrowed.status_code, 200)
        self.assertEqual(narrowed.context["narrowed"]["total"], 0)
