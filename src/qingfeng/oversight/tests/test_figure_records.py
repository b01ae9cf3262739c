"""The records behind oversight's dashboard numbers (core/figurelist.py): for each persona,
every oversight number on the dashboard links to a list that counts exactly that number; no
list shows a visit outside the persona's scope, nor a sealed visit's target."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from qingfeng.orgs.models import Unit
from qingfeng.oversight import actions
from qingfeng.oversight.models import Group, Visit
from qingfeng.oversight.tests.base import OversightCase

URL = "/oversight/figures/"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


class OversightFigureRecordsTestCase(OversightCase):
    group: Group

    def finished(self, unit: Unit, finding: str, *, fixed: bool = False) -> Visit:
        now = timezone.now()
        if not hasattr(self, "group"):
            self.group = self.make_group()
        with time_machine.travel(now - timedelta(hours=4), tick=False):
            visit = self.plan_visit(self.group, unit=unit, planned_start=now - timedelta(hours=3))
        with time_machine.travel(now - timedelta(hours=2), tick=False):
            actions.check_start_visit(visit, actor=self.member)
            actions.check_add_finding(visit, actor=self.member, item="fees", text=finding)
            if fixed:
                actions.check_add_finding(
                    visit,
                    actor=self.member,
                    item="discipline",
                    text=f"{finding}（已整改）",
                    fixed_on_spot=True,
                    fix_note="当场整改",
                )
            actions.check_finish_visit(visit, actor=self.member)
        return visit

    def test_every_oversight_number_equals_the_count_of_its_list_for_each_persona(self) -> None:
        self.finished(self.school, "本校收费未公示", fixed=True)
        self.finished(self.school2, "二中作业超量")
        self.finished(self.other_school, "外县违规补课")
        self.plan_visit(
            self.group, unit=self.school2, planned_start=timezone.now() + timedelta(days=2)
        )
        month = timezone.localdate().strftime("%Y-%m")
        views = [
            (self.county_admin, {"month": month}),
            (self.school_admin, {"month": month}),
            (self.bureau_admin, {"month": month, "scope": str(self.county.pk)}),
        ]
        nonzero = self.check_figure_links("oversight", views, hidden="外县违规补课")
        self.assertGreater(nonzero, 5)
        self.check_figure_links("oversight", [(self.bureau_admin, {"month": month})])

    def test_the_list_refuses_a_unit_outside_the_scope_and_bad_periods(self) -> None:
        visit = self.finished(self.school, "本校收费未公示")
        day = str(timezone.localdate(visit.finished_at))
        query = {"figure": "visit_findings", "period_from": day, "period_to": day}
        self.login(self.school_admin)
        page = self.client.get(URL, query)
        self.assertContains(page, "本校收费未公示")
        self.assertContains(page, visit.number)
        self.assertEqual(page.context["figure"]["total"], 1)
        other = self.client.get(URL, {**query, "unit": str(self.other_school.pk)})
        self.assertEqual(other.status_code, 404)
        bad = self.client.get(URL, {**query, "period_to": "2020-01-01"})
        self.assertContains(bad, "统计期间止不能早于统计期间起", status_code=400)
