"""The records behind the evaluation's dashboard numbers (core/figurelist.py): for each
persona, every evaluation number on the dashboard links to a list that counts exactly that
number (ratings by the round's own rate definition, remedial rounds); nothing outside the
persona's scope is listed, and a rating never shows its comment."""

from __future__ import annotations

import pytest
import time_machine
from django.core.cache import cache

from qingfeng.evaluation import actions
from qingfeng.evaluation.models import Remedial
from qingfeng.evaluation.tests.base import EvaluationCase

URL = "/evaluation/figures/"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@time_machine.travel("2026-11-20 09:00 +08:00", tick=False)
class EvaluationFigureRecordsTestCase(EvaluationCase):
    def setUp(self) -> None:
        super().setUp()
        east = self.open_round(name="东城区学校评议", area=self.county)
        self.open_round(name="西山县学校评议", area=self.other_county, rate_definition="top2")
        self.rate(self.school, satisfied=20, dissatisfied=10, unknown=2)
        self.rate(self.school2, satisfied=31, dissatisfied=1)
        self.rate(self.other_school, satisfied=12, dissatisfied=9)
        actions.check_close_round(east, actor=self.office_user)

    def test_every_evaluation_number_equals_the_count_of_its_list_for_each_persona(self) -> None:
        self.assertEqual(Remedial.objects.count(), 1)
        views = [
            (self.county_admin, {}),
            (self.school_admin, {}),
            (self.bureau_admin, {"scope": str(self.county.pk)}),
        ]
        nonzero = self.check_figure_links("evaluation", views, hidden="西山县学校评议")
        self.assertGreater(nonzero, 5)
        self.assertGreater(self.check_figure_links("evaluation", [(self.bureau_admin, {})]), 3)

    def test_the_list_shows_no_comment_and_refuses_a_unit_outside_the_scope(self) -> None:
        query = {"figure": "ratings_base", "period_from": "2026-11-01", "period_to": "2026-11-20"}
        self.login(self.county_admin)
        page = self.client.get(URL, {**query, "unit": str(self.school.pk)})
        self.assertEqual(page.context["figure"]["total"], 30)  # 不了解 is no base
        self.assertNotContains(page, "西山县学校评议")
        other = self.client.get(URL, {**query, "unit": str(self.other_school.pk)})
        self.assertEqual(other.status_code, 404)
        remedial = Remedial.objects.get()
        listed = self.client.get(URL, {**query, "figure": "remedials_open"})
        self.assertContains(listed, remedial.number)
        self.assertEqual(self.client.get(URL, {**query, "figure": "nonsense"}).status_code, 400)
