"""The demo campaign (`seed_demo_cases`, through the registry): the seed campaign and its
weekly rhythm, and the registers — two dispatch meetings whose items are tracked, a rule each
for the school and the county, the school's reception day held with a matter filed as a
ticket, its next one announced on the public notices, a county cadre's home visit."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from qingfeng.campaigns.models import (
    Activity,
    Campaign,
    Meeting,
    MeetingItem,
    Rule,
    Task,
    WeeklyReport,
)
from qingfeng.campaigns.rhythm import week_of
from qingfeng.campaigns.selectors import carried_items
from qingfeng.intake.models import Ticket


class DemoCampaignTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        call_command("seed_demo", "--size", "county", "--seed", "3", stdout=StringIO())
        call_command("seed_demo_cases", stdout=StringIO())

    def test_it_has_the_campaign_its_registers_and_a_public_notice(self) -> None:
        self.assertEqual(Campaign.objects.count(), 1)
        first, second = Meeting.objects.order_by("held_on")
        self.assertEqual(
            [(i.text, i.status) for i in carried_items(second)],
            [("公示课后服务收费标准", "done"), ("开展教辅材料征订自查并报送结果", "open")],
        )
        self.assertEqual(MeetingItem.objects.filter(meeting=first).count(), 2)
        self.assertEqual(set(Rule.objects.values_list("kind", flat=True)), {"new", "revised"})
        held = Activity.objects.get(kind="reception", status="held")
        [matter] = held.matters.all()
        self.assertEqual(Ticket.objects.get(number=matter.ticket).channel, "reception")
        announced = Activity.objects.get(status="planned")
        page = self.client.get(reverse("reception:unit", args=[announced.unit_id]))
        self.assertContains(page, "行政楼一楼接待室")
        self.assertTrue(Activity.objects.filter(kind="home_visit").exists())

    def test_the_seed_tasks_reach_units_by_category_and_the_county_has_reports_of_each_kind(
        self,
    ) -> None:
        campaign = Campaign.objects.get()
        # Tasks by category: each reaches only units of the categories it names.
        tasks = list(Task.objects.filter(campaign=campaign))
        for task in (t for t in tasks if t.categories):
            with self.subTest(task=task.title):
                got = set(task.assignments.values_list("unit__category", flat=True))
                self.assertTrue(got, "a seed task no unit receives is left out")
                self.assertLessEqual(got, set(task.categories))
        self.assertGreater(len({tuple(t.categories) for t in tasks}), 1)
        # The demo county's weeks: filed on time, filed late, and one the school still owes.
        last_week = week_of(timezone.localdate()) - timedelta(weeks=1)
        reports = WeeklyReport.objects.filter(campaign=campaign)
        self.assertTrue(reports.filter(late=False).exists())
        self.assertEqual(reports.filter(late=True).count(), 1)
        filed_last_week = reports.filter(week_start=last_week).count()
        self.assertEqual(reports.filter(week_start=last_week - timedelta(weeks=1)).count(), 2)
        self.assertEqual(filed_last_week, 1)  # the county's; its school's is missing
