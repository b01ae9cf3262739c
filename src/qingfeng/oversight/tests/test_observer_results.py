"""§1b: an observer (作风建设观察员) reads the evaluation's results of their area as the
evaluation publishes them — each unit's rate, 95 % interval, number of valid ratings and
verdict — through the evaluation's published panel (core/registry.py `PublishedPanel`), and
nothing of a round before it is published, here or on the evaluation's own pages."""

from __future__ import annotations

import re

from django.test import Client, override_settings
from django.urls import reverse

from qingfeng.core.tests.machine import FILES_IN_MEMORY
from qingfeng.evaluation import actions as evaluation
from qingfeng.evaluation.stats import Verdict
from qingfeng.evaluation.tests.base import EvaluationCase
from qingfeng.oversight import actions
from qingfeng.oversight.models import Observer
from qingfeng.test import make_user


def rows_of(html: str) -> dict[str, list[str]]:
    """The published table's rows: the unit's name → its cells' texts."""
    table = html[html.index('data-testid="published-results"') :]
    table = table[: table.index("</table>")]
    found = {}
    for row in re.findall(r"<tr [^>]*data-verdict=[^>]*>(.*?)</tr>", table, re.S):
        cells = [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        found[cells[0]] = cells[1:]
    return found


@override_settings(STORAGES=FILES_IN_MEMORY)
class ObserverResultsTestCase(EvaluationCase):
    def setUp(self) -> None:
        super().setUp()
        self.deputy = make_user("deputy", unit=self.county, role=None, name="人大代表王芳")
        actions.check_appoint_observer(
            actor=self.office_user, user=self.deputy, area=self.county, kind=Observer.Kind.DEPUTY
        )
        # The whole city's schools: 东城区 is the observer's area, 西山县 is not.
        self.round = self.open_round(name="2026年第四季度学校群众满意度评议")
        self.rate(self.school, satisfied=20, dissatisfied=10)  # 66.7 %, confirmed low
        self.rate(self.school2, satisfied=3)  # too few
        self.rate(self.other_school, satisfied=30)  # passed, another county
        evaluation.check_close_round(self.round, actor=self.office_user)
        self.client = self.login(self.deputy, Client())

    def page(self) -> str:
        response = self.client.get(reverse("oversight:observer"))
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_nothing_of_a_round_before_it_is_published(self) -> None:
        html = self.page()
        self.assertNotIn('data-testid="published-results"', html)
        self.assertIn("本区域暂无已发布的群众评议结果", html)
        # Nor on the evaluation's own pages, though the observer role reads rounds there.
        unit = reverse("evaluation:unit", args=[self.round.pk, self.school.pk])
        self.assertEqual(self.client.get(unit).status_code, 404)
        detail = self.client.get(reverse("evaluation:round", args=[self.round.pk]))
        self.assertNotContains(detail, "66.7%", status_code=detail.status_code)
        # Nor the school it sends back (回炉补课), on the list of remedial rounds or the home
        # page's card, as the county's staff would see it.
        remedials = self.client.get(reverse("evaluation:remedials"))
        self.assertNotContains(remedials, self.school.name, status_code=remedials.status_code)
        self.assertNotContains(self.client.get(reverse("home")), "66.7%")
        staff = self.login(self.county_admin, Client())
        self.assertContains(staff.get(reverse("evaluation:remedials")), self.school.name)
        self.assertContains(staff.get(reverse("home")), "66.7%")

    def test_each_unit_of_the_area_as_published(self) -> None:
        evaluation.check_publish_round(self.round, actor=self.office_user)
        html = self.page()
        self.assertIn("2026年第四季度学校群众满意度评议", html)
        rows = rows_of(html)
        self.assertEqual(set(rows), {self.school.name, self.school2.name})  # not 西山县's
        # 20 of 30 satisfied: Wilson 95 % interval 48.8 %–80.8 %, upper bound below 85 %.
        self.assertEqual(rows[self.school.name], ["30", "66.7%", "48.8%–80.8%", "确认低于85%"])
        self.assertEqual(rows[self.school2.name][:2], ["3", "100.0%"])
        self.assertEqual(rows[self.school2.name][3], "样本不足")
        self.assertIn(f'data-verdict="{Verdict.TOO_FEW}"', html)
        # The confirmed-low school first; how the numbers are made printed beside them.
        self.assertLess(html.index(self.school.name), html.index(self.school2.name))
        self.assertIn("Wilson", html)
        self.assertNotIn(self.other_school.name, html)
        # The same numbers as the evaluation's own page of the unit, now open to the observer.
        unit = self.client.get(reverse("evaluation:unit", args=[self.round.pk, self.school.pk]))
        self.assertContains(unit, "66.7%")
        other = reverse("evaluation:unit", args=[self.round.pk, self.other_school.pk])
        self.assertEqual(self.client.get(other).status_code, 404)
        self.assertContains(self.client.get(reverse("evaluation:remedials")), self.school.name)
        self.assertContains(self.client.get(reverse("home")), "66.7%")
