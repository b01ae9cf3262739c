"""The records behind the campaign's dashboard numbers (core/figurelist.py): for each persona,
every campaign and activity number on the dashboard links to a list that counts exactly that
number — task assignments, weekly reports filed, the weekly reports owed — and nothing outside
the persona's scope is listed."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.cache import cache

from qingfeng.campaigns import actions, registers
from qingfeng.campaigns.models import Activity, Assignment
from qingfeng.campaigns.tests.base import MONDAY, CampaignCase

URL = "/campaigns/figures/"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@time_machine.travel("2026-11-20 10:00 +0800", tick=False)
class CampaignFigureRecordsTestCase(CampaignCase):
    def setUp(self) -> None:
        super().setUp()
        with time_machine.travel("2026-11-02 10:00 +0800", tick=False):
            self.issue(title="制定实施方案")
        done = Assignment.objects.get(unit=self.school)
        with time_machine.travel("2026-11-05 10:00 +0800", tick=False):
            actions.check_confirm_assignment(done, actor=self.school_admin, note="已制定")
        for day, unit, actor in (
            ("2026-11-06", self.school, self.school_admin),
            ("2026-11-11", self.institute, self.institute_admin),
            ("2026-11-06", self.other_school, self.other_school_admin),
        ):
            with time_machine.travel(f"{day} 10:00 +0800", tick=False):
                actions.check_file_report(self.campaign, unit=unit, week_start=MONDAY, actor=actor)
        for unit, actor, place in (
            (self.school, self.school_admin, "学校会议室"),
            (self.other_school, self.other_school_admin, "外县学校会议室"),
        ):
            registers.check_record_activity(
                actor=actor, unit=unit, kind=Activity.Kind.RECEPTION,
                held_on=date(2026, 11, 4), place=place, cadre="校长",
            )  # fmt: skip

    def test_every_campaign_number_equals_the_count_of_its_list_for_each_persona(self) -> None:
        views = [
            (self.county_admin, {}),
            (self.school_admin, {}),
            (self.bureau_admin, {"scope": str(self.county.pk)}),
        ]
        self.assertGreater(self.check_figure_links("campaigns", views, hidden="西山县"), 10)
        self.assertGreater(self.check_figure_links("activities", views, hidden="外县学校"), 2)
        self.check_figure_links("campaigns", [(self.bureau_admin, {})])

    def test_the_weekly_reports_owed_are_listed_one_a_unit_and_week(self) -> None:
        self.login(self.county_admin)
        query = {"period_from": "2026-11-01", "period_to": "2026-11-20"}
        owed = self.client.get(URL, {**query, "figure": "weekly_due", "unit": str(self.school.pk)})
        # Due in November up to the 20th (Tuesdays 3, 10, 17): three weeks.
        self.assertEqual(owed.context["figure"]["total"], 3)
        late = self.client.get(URL, {**query, "figure": "weekly_late"})
        self.assertEqual(late.context["figure"]["total"], 1)
        self.assertContains(late, self.institute.name)
        other = self.client.get(
            URL, {**query, "figure": "tasks_done", "unit": str(self.other_school.pk)}
        )
        self.assertEqual(other.status_code, 404)
