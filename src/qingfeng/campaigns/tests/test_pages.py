"""The campaign's pages: each unit sees its own task list; a school fills its weekly report on
the pre-filled form; the county reviews it; another school gets a 404; the query counts of
the weekly roll-up and the report's page do not grow with the number of units or figures."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from qingfeng.campaigns import actions
from qingfeng.campaigns.models import Task, WeeklyReport
from qingfeng.campaigns.rhythm import week_of
from qingfeng.campaigns.tests.base import CampaignCase
from qingfeng.orgs.models import Unit
from qingfeng.test import make_unit


class PagesTestCase(CampaignCase):
    def setUp(self) -> None:
        self.task = self.issue(title="校长接待日", categories=[Unit.Category.SCHOOL])
        self.organ_task = self.issue(title="机关开放周", categories=[Unit.Category.ORGAN])
        self.week = week_of(timezone.localdate())

    def test_each_unit_sees_its_own_task_list(self) -> None:
        page = self.login(self.school_admin).get(
            reverse("campaigns:detail", args=[self.campaign.pk])
        )
        self.assertContains(page, "校长接待日")
        self.assertNotContains(page, "机关开放周")
        page = self.login(self.county_admin).get(
            reverse("campaigns:detail", args=[self.campaign.pk])
        )
        self.assertContains(page, "机关开放周")

    def test_a_school_confirms_its_task_and_another_school_gets_404(self) -> None:
        mine = self.task.assignments.get(unit=self.school)
        url = reverse("campaigns:confirm", args=[mine.pk])
        self.assertEqual(
            self.login(self.other_school_admin).post(url, {"note": "x"}).status_code, 404
        )
        self.login(self.school_admin).post(url, {"note": "本月 12 日接待家长 6 人"})
        mine.refresh_from_db()
        self.assertEqual(mine.note, "本月 12 日接待家长 6 人")

    def test_a_school_files_the_prefilled_report_and_the_county_returns_it(self) -> None:
        url = reverse("campaigns:weekly_fill", args=[self.campaign.pk, self.school.pk, self.week])
        client = self.login(self.school_admin)
        page = client.get(url)
        self.assertContains(page, "problems_new")
        response = client.post(
            url, {"v_problems_new": "2", "r_problems_new": "", "narrative": "开展自查"}
        )
        self.assertContains(response, "须说明理由")
        self.assertFalse(WeeklyReport.objects.exists())
        response = client.post(
            url, {"v_problems_new": "2", "r_problems_new": "线下发现", "narrative": "开展自查"}
        )
        report = WeeklyReport.objects.get()
        self.assertRedirects(response, reverse("campaigns:report", args=[report.pk]))
        self.assertEqual(report.corrections["problems_new"]["value"], 2)
        report_url = reverse("campaigns:report", args=[report.pk])
        self.assertEqual(self.login(self.other_school_admin).get(report_url).status_code, 404)
        self.login(self.county_admin).post(report_url, {"decision": "return", "reason": "请补充"})
        report.refresh_from_db()
        self.assertEqual(report.status, WeeklyReport.Status.RETURNED)

    def test_the_weekly_rollup_counts_queries_once_whatever_the_units(self) -> None:
        url = reverse("campaigns:weekly_home") + f"?week={self.week}"
        client = self.login(self.bureau_admin)
        client.get(url)  # warm the per-process caches (calendar, menu)
        before = self.count_queries(client, url)
        for i in range(3):
            make_unit(f"东城区第{i + 3}小学", Unit.Kind.SCHOOL, self.county, f"S9{i:03d}")
        self.assertEqual(self.count_queries(client, url), before)
        self.assertLessEqual(before, 12)

    def count_queries(self, client: object, url: str) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            client.get(url)  # type: ignore[attr-defined]
        return len(ctx.captured_queries)

    def test_the_burden_meter_is_the_bureaus(self) -> None:
        url = reverse("campaigns:burden")
        self.assertEqual(self.login(self.school_admin).get(url).status_code, 403)
        page = self.login(self.office_user).get(url)
        self.assertContains(page, "周报填写项")
        self.assertContains(page, self.school.name)

    def test_a_county_issues_a_task_through_the_form(self) -> None:
        url = reverse("campaigns:task_new", args=[self.campaign.pk])
        response = self.login(self.county_admin).post(
            url,
            {
                "kind": "individual",
                "title": "跟一次家访",
                "requirement": "每名中层干部跟一次家访",
                "categories": ["school"],
                "stages": ["primary", "junior"],
                "post_types": ["middle", "party_teacher"],
                "due_workdays": "15",
                "evidence": "confirm",
            },
        )
        task = Task.objects.get(title="跟一次家访")
        self.assertRedirects(response, reverse("campaigns:task", args=[task.pk]))
        # Who it reaches, in the pages' words, not the stored codes.
        page = self.client.get(reverse("campaigns:task", args=[task.pk]))
        self.assertContains(page, '<span data-testid="post-types">中层干部、党员教师</span>')
        self.assertNotContains(page, "party_teacher")
        listed = self.client.get(reverse("campaigns:detail", args=[self.campaign.pk]))
        self.assertContains(listed, "学校 · 小学、初中")
        self.assertNotContains(listed, "primary、junior")
        self.assertEqual(task.issuer, self.county)
        self.assertEqual(task.assignments.count(), 2)
        self.assertEqual(task.due_on, actions.get_calendar().add_workdays(timezone.localdate(), 15))
        self.assertLess(task.due_on - timezone.localdate(), timedelta(days=30))

    def test_the_office_sets_up_the_seed_campaign_in_one_step(self) -> None:
        response = self.login(self.office_user).post(reverse("campaigns:seed"))
        campaign = self.campaign.__class__.objects.exclude(pk=self.campaign.pk).get()
        self.assertRedirects(response, reverse("campaigns:detail", args=[campaign.pk]))
        self.assertEqual(campaign.projects.filter(parent=None).count(), 4)
        titles = set(campaign.tasks.values_list("title", flat=True))
        self.assertIn("教研成果廉洁审查", titles)  # the city has a research institute
        research = campaign.tasks.get(title="教研成果廉洁审查")
        self.assertEqual(
            list(research.assignments.values_list("unit", flat=True)), [self.institute.pk]
        )
        self.assertEqual(
            self.login(self.school_admin).post(reverse("campaigns:seed")).status_code, 403
        )

    def test_a_seed_task_no_unit_would_receive_is_left_out(self) -> None:
        self.institute.is_active = False
        self.institute.save(update_fields=["is_active"])
        self.login(self.office_user).post(reverse("campaigns:seed"))
        campaign = self.campaign.__class__.objects.exclude(pk=self.campaign.pk).get()
        self.assertNotIn("教研成果廉洁审查", set(campaign.tasks.values_list("title", flat=True)))
