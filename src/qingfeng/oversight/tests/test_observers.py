from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from qingfeng.core import registry
from qingfeng.core.models import AuditEvent
from qingfeng.core.scope import has_role
from qingfeng.core.tests.machine import FILES_IN_MEMORY
from qingfeng.orgs.models import Role, User
from qingfeng.oversight import actions
from qingfeng.oversight.figures import compute
from qingfeng.oversight.models import Observer, Participation, Round
from qingfeng.oversight.tests.base import OversightCase
from qingfeng.test import make_user


@override_settings(STORAGES=FILES_IN_MEMORY)
class ObserverTestCase(OversightCase):
    def setUp(self) -> None:
        super().setUp()
        self.deputy = make_user("deputy", unit=self.county, role=None, name="人大代表王芳")

    def appoint(self) -> Observer:
        return actions.check_appoint_observer(
            actor=self.office_user,
            user=self.deputy,
            area=self.county,
            kind=Observer.Kind.DEPUTY,
            affiliation="区人大代表",
        )

    def test_an_observer_gets_the_role_over_the_area_and_only_their_page(self) -> None:
        with self.assertRaisesMessage(ValidationError, "专项办或管理员"):
            actions.check_appoint_observer(
                actor=self.school_admin, user=self.deputy, area=self.county, kind="deputy"
            )
        observer = self.appoint()
        self.assertTrue(has_role(self.deputy, Role.OBSERVER))
        with self.assertRaisesMessage(ValidationError, "已是观察员"):
            self.appoint()
        client = self.login(self.deputy, Client())
        page = client.get(reverse("oversight:observer"))
        self.assertContains(page, "整改台账公开进度")
        self.assertContains(page, "东城区")
        for name in ("oversight:visits", "oversight:rounds", "oversight:draws", "oversight:groups"):
            with self.subTest(name):
                self.assertEqual(client.get(reverse(name)).status_code, 403)
        self.assertEqual(client.get(reverse("oversight:observers")).status_code, 403)
        actions.do_end_observer(observer, actor=self.office_user)
        self.assertFalse(has_role(User.objects.get(pk=self.deputy.pk), Role.OBSERVER))

    def test_invited_to_a_started_visit_never_a_sealed_one_and_to_an_open_round(self) -> None:
        observer = self.appoint()
        visit = self.plan_visit(planned_start=timezone.now() + timedelta(minutes=10))
        before = AuditEvent.objects.count()
        with self.assertRaisesMessage(ValidationError, "密封中的督导不能邀请观察员"):
            actions.check_invite_observer(observer, actor=self.office_user, visit=visit)
        self.assertEqual(AuditEvent.objects.count(), before)
        self.assertFalse(Participation.objects.exists())
        actions.check_start_visit(visit, actor=self.member)
        visit.refresh_from_db()
        actions.check_invite_observer(observer, actor=self.member, visit=visit, note="现场观察")
        with self.assertRaisesMessage(ValidationError, "已邀请过"):
            actions.check_invite_observer(observer, actor=self.member, visit=visit)
        round_ = self.make_round()
        with self.assertRaisesMessage(ValidationError, "进驻至反馈阶段"):
            actions.check_invite_observer(observer, actor=self.office_user, round_=round_)
        Round.objects.filter(pk=round_.pk).update(status=Round.Status.STATIONED)
        round_.refresh_from_db()
        actions.check_invite_observer(observer, actor=self.office_user, round_=round_)
        page = self.login(self.deputy, Client()).get(reverse("oversight:observer"))
        self.assertContains(page, visit.number)
        self.assertContains(page, round_.name)
        day = timezone.localdate()
        figures = compute([self.county.pk, self.school.pk], day, day)
        self.assertEqual(sum(f.get("observer_joined", 0) for f in figures.values()), 2)

    def test_a_visit_outside_the_area_is_refused(self) -> None:
        observer = self.appoint()
        visit = self.plan_visit(
            unit=self.other_school, planned_start=timezone.now() + timedelta(minutes=10)
        )
        actions.check_start_visit(visit, actor=self.member)
        visit.refresh_from_db()
        with self.assertRaisesMessage(ValidationError, "观察区域"):
            actions.check_invite_observer(observer, actor=self.office_user, visit=visit)

    def test_a_suggestion_becomes_a_ticket_and_its_state_shows(self) -> None:
        self.appoint()
        sink = registry.complaint_sink()
        assert sink is not None
        category = sink.categories()[0][0]
        with self.assertRaisesMessage(ValidationError, "观察区域"):
            actions.check_raise_suggestion(
                actor=self.deputy,
                unit=self.other_school,
                category_id=category,
                title="x",
                text="y",
            )
        client = self.login(self.deputy, Client())
        response = client.post(
            reverse("oversight:observer_suggest"),
            {
                "unit": self.school.pk,
                "category": category,
                "title": "校门口接送秩序",
                "text": "放学时段家长车辆拥堵，建议错峰放学",
            },
            follow=True,
        )
        row = Participation.objects.get(kind=Participation.Kind.SUGGESTION)
        self.assertTrue(row.ticket)
        self.assertContains(response, row.ticket)
        self.assertEqual(sink.states([row.ticket]), {row.ticket: "已提交"})
        self.assertContains(response, "已提交")
        with self.assertRaisesMessage(ValidationError, "在聘观察员"):
            actions.check_raise_suggestion(
                actor=self.teacher, unit=self.school, category_id=category, title="x", text="y"
            )

    def test_the_office_page_lists_and_appoints(self) -> None:
        client = self.login(self.office_user, Client())
        client.post(
            reverse("oversight:observer_appoint"),
            {"user": self.deputy.pk, "area": self.county.pk, "kind": "parent"},
        )
        observer = Observer.objects.get(user=self.deputy)
        self.assertEqual(observer.kind, Observer.Kind.PARENT)
        page = client.get(reverse("oversight:observers"))
        self.assertContains(page, "人大代表王芳")
        self.assertContains(page, "家长代表")
