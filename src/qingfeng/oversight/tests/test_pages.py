from __future__ import annotations

from datetime import timedelta

import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from qingfeng.core.tests.machine import FILES_IN_MEMORY
from qingfeng.ledger.models import Problem
from qingfeng.orgs.models import Unit
from qingfeng.oversight import actions
from qingfeng.oversight.models import Draw, Group, LiaisonLog, Visit
from qingfeng.oversight.tests.base import OversightCase
from qingfeng.oversight.tests.objects import _finished_visit
from qingfeng.oversight.tests.test_visits import JPEG
from qingfeng.test import make_unit


@override_settings(STORAGES=FILES_IN_MEMORY)
class PagesTestCase(OversightCase):
    def test_the_office_creates_a_group_and_attaches_a_school(self) -> None:
        self.login(self.office_user)
        response = self.client.post(
            reverse("oversight:group_new"),
            {
                "name": "第二督导组",
                "leader": self.supervisor.pk,
                "members": [self.member.pk],
                "regions": [self.county.pk],
                "stages": ["primary"],
            },
        )
        group = Group.objects.get()
        self.assertRedirects(response, reverse("oversight:group", args=[group.pk]))
        page = self.client.get(response["Location"])
        self.assertContains(page, "小学")
        self.client.post(
            reverse("oversight:group_attach", args=[group.pk]),
            {"supervisor": self.member.pk, "school": self.school.pk},
        )
        self.assertContains(self.client.get(response["Location"]), self.school.name)

    def test_bad_group_input_is_refused_with_a_reason(self) -> None:
        self.login(self.office_user)
        url = reverse("oversight:group_new")
        for data in (
            {"name": "错组", "leader": self.teacher.pk, "regions": [self.county.pk]},
            {"name": "  ", "leader": self.supervisor.pk, "regions": [self.county.pk]},
            {"name": "无区域", "leader": self.supervisor.pk},
        ):
            with self.subTest(data=data):
                self.assertEqual(self.client.post(url, data).status_code, 200)
        self.assertFalse(Group.objects.exists())
        with self.assertRaisesMessage(ValidationError, "督导（巡察）角色"):
            self.make_group(members=[self.teacher])
        group = self.make_group()
        response = self.client.post(
            reverse("oversight:group_attach", args=[group.pk]),
            {"supervisor": self.supervisor.pk, "school": self.office.pk},
            follow=True,
        )
        self.assertContains(response, "学校或幼儿园")
        for school in (self.school, self.school2):
            actions.check_attach_school(
                group, actor=self.office_user, supervisor=self.member, school=school
            )
        with self.assertRaisesMessage(ValidationError, "已有责任督学"):
            actions.check_attach_school(
                group, actor=self.office_user, supervisor=self.member2, school=self.school
            )
        with (
            self.settings(QF_OVERSIGHT_SCHOOLS_PER_SUPERVISOR=2),
            self.assertRaisesMessage(ValidationError, "至多挂牌 2 所"),
        ):
            actions.check_attach_school(
                group, actor=self.office_user, supervisor=self.member, school=self.other_school
            )
        # 东城区 holds two posted schools: an area of at most two takes no third.
        third = make_unit("东城区第三小学", Unit.Kind.SCHOOL, self.county, "S0099")
        with (
            self.settings(QF_OVERSIGHT_SCHOOLS_PER_AREA=2),
            self.assertRaisesMessage(
                ValidationError, "已有 2 所学校挂牌督导，每个督导责任区至多 2 所"
            ),
        ):
            actions.check_attach_school(
                group, actor=self.office_user, supervisor=self.member2, school=third
            )
        actions.check_attach_school(
            group, actor=self.office_user, supervisor=self.member2, school=self.other_school
        )

    def test_the_draw_pages_from_commitment_to_verified_certificate(self) -> None:
        self.login(self.office_user)
        response = self.client.post(
            reverse("oversight:draw_new"),
            {
                "name": "东城区抽查",
                "purpose": "spot",
                "count": 2,
                "inspectors_per_target": 2,
                "exclude_visited_months": 0,
                "value_note": "福彩3D 下一期",
            },
        )
        draw = Draw.objects.get()
        self.assertRedirects(response, reverse("oversight:draw", args=[draw.pk]))
        notice = self.client.get(reverse("notice:draw", args=[draw.number]))
        self.assertContains(notice, draw.commitment)
        self.assertNotContains(notice, self.school.name)
        self.client.post(
            reverse("oversight:draw_value", args=[draw.pk]), {"value": "371", "source": "3D"}
        )
        self.login(self.office_user2)
        self.client.post(
            reverse("oversight:draw_value", args=[draw.pk]), {"value": "3389", "source": "指数"}
        )
        draw.refresh_from_db()
        self.assertEqual(draw.status, Draw.Status.DRAWN)
        verified = self.client.post(reverse("oversight:draw_verify", args=[draw.pk]), follow=True)
        self.assertContains(verified, "验证通过")
        cert = self.client.get(reverse("oversight:draw_certificate", args=[draw.pk]))
        self.assertEqual(cert.json()["commitment"], draw.commitment)
        xlsx = self.client.get(reverse("oversight:draw_export", args=[draw.pk]))
        self.assertEqual(xlsx.status_code, 200)
        self.client.post(reverse("oversight:draw_publish", args=[draw.pk]))
        public = self.client.get(reverse("notice:certificate", args=[draw.number]))
        self.assertEqual(public.json()["result"], draw.result)
        api = self.client.get(f"/api/oversight/draws/{draw.pk}/verify")
        self.assertEqual(api.json(), {"ok": True, "problems": []})

    def test_a_bad_draw_form_shows_the_reason_and_writes_nothing(self) -> None:
        self.login(self.office_user)
        response = self.client.post(
            reverse("oversight:draw_new"),
            {
                "name": "x",
                "purpose": "spot",
                "count": 99,
                "inspectors_per_target": 0,
                "exclude_visited_months": 0,
                "value_note": "x",
            },
        )
        self.assertContains(response, "少于要抽取的 99 个")
        self.assertFalse(Draw.objects.exists())

    def test_a_visit_on_the_phone_from_reveal_to_ledger(self) -> None:
        visit = self.plan_visit(team=[self.member])
        with time_machine.travel(visit.planned_start - timedelta(minutes=5)):
            self.login(self.member)
            url = reverse("oversight:visit", args=[visit.pk])
            self.client.post(reverse("oversight:visit_start", args=[visit.pk]))
            self.client.post(
                reverse("oversight:visit_record", args=[visit.pk]),
                {
                    "met": "校长",
                    "summary": "查看公示栏",
                    "check_fees": "problem",
                    "check_discipline": "ok",
                },
            )
            self.client.post(
                reverse("oversight:visit_finding", args=[visit.pk]),
                {
                    "item": "fees",
                    "text": "收费未公示",
                    "photos": [SimpleUploadedFile("p.jpg", JPEG, content_type="image/jpeg")],
                },
            )
            bad = self.client.post(
                reverse("oversight:visit_finding", args=[visit.pk]),
                {
                    "item": "fees",
                    "text": "x",
                    "photos": [SimpleUploadedFile("p.exe", b"MZ", content_type="image/jpeg")],
                },
                follow=True,
            )
            self.assertContains(bad, "不支持的文件类型")
            self.client.post(reverse("oversight:visit_finish", args=[visit.pk]))
        visit.refresh_from_db()
        self.assertEqual(visit.status, Visit.Status.FINISHED)
        self.assertEqual(visit.checklist, {"fees": "problem", "discipline": "ok"})
        self.assertEqual(visit.findings.count(), 1)
        problem = Problem.objects.get(source=Problem.Source.SUPERVISION)
        self.login(self.school_admin)
        self.assertContains(self.client.get(reverse("ledger:list")), problem.number)
        page = self.client.get(url)
        self.assertContains(page, problem.number)
        photo = visit.findings.get().photos.get()
        self.assertEqual(
            self.client.get(reverse("oversight:photo", args=[visit.pk, photo.pk])).status_code, 200
        )
        xlsx = self.client.get(reverse("oversight:visits_export"))
        self.assertEqual(xlsx.status_code, 200)
        self.login(self.other_school_admin)
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_the_visit_page_costs_the_same_however_many_findings(self) -> None:
        visit = self.plan_visit(team=[self.member])
        with time_machine.travel(visit.planned_start):
            actions.check_start_visit(visit, actor=self.member)
            actions.check_add_finding(visit, actor=self.member, item="fees", text="一")
            actions.check_finish_visit(visit, actor=self.member)
        other = self.plan_visit(team=[self.member])
        with time_machine.travel(other.planned_start):
            actions.check_start_visit(other, actor=self.member)
            for i in range(4):
                actions.check_add_finding(other, actor=self.member, item="fees", text=f"问题{i}")
            actions.check_finish_visit(other, actor=self.member)
        self.login(self.school_admin)
        self.client.get(reverse("oversight:visit", args=[visit.pk]))
        with self.assertNumQueries(self._count(visit.pk)):
            self.client.get(reverse("oversight:visit", args=[other.pk]))

    def _count(self, pk: int) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            self.client.get(reverse("oversight:visit", args=[pk]))
        return len(queries)

    def test_the_leader_logs_liaison_work_in_their_counties_only(self) -> None:
        self.login(self.leader)
        url = reverse("oversight:liaison")
        today = timezone.localdate().isoformat()
        self.client.post(
            url,
            {
                "unit": self.school.pk,
                "kind": "research",
                "happened_on": today,
                "notes": "调研课后服务收费",
            },
        )
        self.assertEqual(LiaisonLog.objects.count(), 1)
        response = self.client.post(
            url,
            {"unit": self.other_school.pk, "kind": "research", "happened_on": today, "notes": "x"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(LiaisonLog.objects.count(), 1)
        self.assertContains(self.client.get(url), "调研课后服务收费")
        self.login(self.school_admin)
        self.assertEqual(self.client.get(url).status_code, 403)

    def test_the_leaders_page_shows_their_counties_at_a_glance(self) -> None:
        """Per county of the leader's: open problems by light and by source (from tickets, from
        oversight) and the visits finished there — another county's nothing."""
        _finished_visit(self)  # a finding at 东城实验小学: one open problem of source 督导
        Problem.objects.filter(source=Problem.Source.SUPERVISION).update(light=Problem.Light.RED)
        self.login(self.leader)
        glance = self.client.get(reverse("oversight:liaison")).context["glance"]
        self.assertEqual([row["county"] for row in glance], [self.county])
        row = glance[0]
        self.assertEqual(
            (row["visits"], row["total"], row["oversight"], row["red"], row["tickets"]),
            (1, 1, 1, 1, 0),
        )
