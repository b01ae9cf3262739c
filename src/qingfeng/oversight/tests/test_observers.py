from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.http.response import HttpResponseBase
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from qingfeng.core import registry
from qingfeng.core.models import AuditEvent, Notification
from qingfeng.core.scope import has_role
from qingfeng.core.tests.machine import FILES_IN_MEMORY
from qingfeng.orgs.models import Role, User
from qingfeng.oversight import actions
from qingfeng.oversight.figures import compute
from qingfeng.oversight.models import Observer, Participation, Round
from qingfeng.oversight.tests.base import OversightCase
from qingfeng.reports import compose
from qingfeng.test import make_user

KEY = "5f0c1d2e3a4b4c6d8e9fa0b1c2d3e4f5"


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
        # Not the staff's menu: the desk, the published evaluation, the calendar — never the
        # ledger's records, the roster, the campaign, learning records or the reports.
        shown = {e.key for _s, items in registry.visible_menu(self.deputy) for e in items}
        self.assertEqual(
            shown, {"oversight_observer", "evaluation", "remedials", "calendar", "my_study"}
        )
        for name in (
            "ledger:list",
            "ledger:mine",
            "orgs:people",
            "orgs:units",
            "campaigns:list",
            "campaigns:weekly_home",
            "learning:calendar",
            "learning:cases",
            "reports:bulletins",
        ):
            with self.subTest(name):
                self.assertEqual(client.get(reverse(name)).status_code, 403)
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
        # …and the month's bulletin says so, in a sentence of 一、总体情况.
        snapshot = compose.build_snapshot(self.bureau, day.replace(day=1), compose.DEFAULT_RULES)
        document = compose.document(
            snapshot=snapshot,
            mark="清河市教育局文件",
            number="清教作〔2026〕1号",
            title="通报",
            addressees="各县区教育局",
            copies_to=[],
            dated=day,
        )
        text = " ".join(getattr(block, "text", "") for block in document.body)
        self.assertIn("观察员参加督导巡察 2 人次，提出建议 0 条", text)

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
                idempotency_key=KEY,
            )
        client = self.login(self.deputy, Client())
        response = client.post(
            reverse("oversight:observer_suggest"),
            {
                "unit": self.school.pk,
                "category": category,
                "title": "校门口接送秩序",
                "text": "放学时段家长车辆拥堵，建议错峰放学",
                "idempotency_key": KEY,
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
                actor=self.teacher,
                unit=self.school,
                category_id=category,
                title="x",
                text="y",
                idempotency_key=KEY,
            )

    def test_the_figures_list_counts_a_suggestion_but_never_shows_what_it_says(self) -> None:
        """The school's own people read oversight's figures list of their school: they see a
        suggestion was raised, never its title (the ticket's content is the channel's
        need-to-know); the office sees the ticket's number to find it in the channel."""
        self.appoint()
        sink = registry.complaint_sink()
        assert sink is not None
        row = actions.check_raise_suggestion(
            actor=self.deputy,
            unit=self.school,
            category_id=sink.categories()[0][0],
            title="反映周老师有偿补课",
            text="周末在校外违规组织有偿补课并按课时收费",
            idempotency_key=KEY,
        )
        day = str(timezone.localdate(row.created_at))
        query = {"figure": "observer_suggestions", "period_from": day, "period_to": day}
        for user in (self.teacher, self.school_admin, self.county_admin, self.office_user):
            with self.subTest(user.username):
                page = self.login(user, Client()).get(reverse("oversight:figures"), query)
                self.assertEqual(page.status_code, 200)
                self.assertEqual(page.context["figure"]["total"], 1)
                self.assertContains(page, row.ticket)
                self.assertNotContains(page, "有偿补课")
                self.assertNotContains(page, "周老师")

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


@override_settings(STORAGES=FILES_IN_MEMORY)
class ObserverNoticesTestCase(OversightCase):
    """An observer is told when appointed, when invited, and when the channel answers a
    suggestion (once); the same suggestion form sent twice files one ticket."""

    def setUp(self) -> None:
        super().setUp()
        self.parent = make_user("parent_rep", unit=self.county, role=None, name="家长代表李晓梅")
        self.observer = actions.check_appoint_observer(
            actor=self.office_user, user=self.parent, area=self.county, kind="parent"
        )
        sink = registry.complaint_sink()
        assert sink is not None
        self.category = sink.categories()[0][0]

    def notices(self) -> list[Notification]:
        return list(Notification.objects.filter(recipient=self.parent).order_by("pk"))

    def suggest(self, client: Client, key: str = KEY, **data: object) -> HttpResponseBase:
        return client.post(
            reverse("oversight:observer_suggest"),
            {
                "unit": self.school.pk,
                "category": self.category,
                "title": "食堂菜价公示不全",
                "text": "一楼食堂未公示每周菜价，建议按月公示并接受家长监督。",
                "idempotency_key": key,
                **data,
            },
            follow=True,
        )

    def test_appointment_and_invitation_are_notified(self) -> None:
        (appointed,) = self.notices()
        self.assertEqual(appointed.title, "您已被聘为东城区教育局作风建设观察员")
        self.assertEqual(appointed.link, reverse("oversight:observer"))
        visit = self.plan_visit(planned_start=timezone.now() + timedelta(minutes=10))
        actions.check_start_visit(visit, actor=self.member)
        visit.refresh_from_db()
        actions.check_invite_observer(
            self.observer, actor=self.member, visit=visit, note="今天上午九点学校门口集合"
        )
        invited = self.notices()[-1]
        self.assertEqual(invited.title, f"邀请您参加：{visit.number}")
        self.assertEqual(invited.body, "今天上午九点学校门口集合")

    def test_the_same_form_sent_twice_files_one_ticket(self) -> None:
        client = self.login(self.parent, Client())
        form = client.get(reverse("oversight:observer"))
        key = form.context["form"]["idempotency_key"].value()
        self.assertRegex(key, r"^[0-9a-f]{32}$")
        self.assertContains(form, f'name="idempotency_key" value="{key}"')
        first = self.suggest(client, key)
        second = self.suggest(client, key)  # the double click
        row = Participation.objects.get(kind=Participation.Kind.SUGGESTION)
        for page in (first, second):
            self.assertContains(page, f"已提交，工单编号 {row.ticket}")
        self.assertEqual(AuditEvent.objects.filter(action="oversight.observer.suggest").count(), 1)
        # A new rendering is a new suggestion; the old form sent with other words is refused.
        fresh = client.get(reverse("oversight:observer")).context["form"]["idempotency_key"]
        self.assertNotEqual(fresh.value(), key)
        page = self.suggest(client, key, title="另一件事")
        self.assertContains(page, "这张表单已经提交过")
        self.assertEqual(Participation.objects.filter(kind="suggestion").count(), 1)
        for bad in ("", "短", "x" * 41, "'; drop table--"):
            with self.subTest(bad=bad), self.assertRaises(ValidationError):
                actions.check_raise_suggestion(
                    actor=self.parent,
                    unit=self.school,
                    category_id=self.category,
                    title="食堂菜价公示不全",
                    text="建议公示",
                    idempotency_key=bad,
                )
        self.assertEqual(Participation.objects.filter(kind="suggestion").count(), 1)

    def test_the_answer_is_told_once_and_shown(self) -> None:
        from qingfeng.intake.actions import handling
        from qingfeng.intake.models import Ticket

        still = actions.check_raise_suggestion(  # filed first, still being handled
            actor=self.parent,
            unit=self.school,
            category_id=self.category,
            title="校服征订",
            text="今年秋季校服征订是否自愿？家长群里有不同说法。",
            idempotency_key="0" * 32,
        )
        answered = actions.check_raise_suggestion(
            actor=self.parent,
            unit=self.school,
            category_id=self.category,
            title="食堂菜价公示不全",
            text="一楼食堂未公示每周菜价。",
            idempotency_key=KEY,
        )
        declined = actions.check_raise_suggestion(
            actor=self.parent,
            unit=self.school2,
            category_id=self.category,
            title="课后服务收费",
            text="课后服务收费标准不清楚。",
            idempotency_key=KEY[::-1],
        )
        before = len(self.notices())
        self.assertEqual(actions.do_tell_answered_suggestions(), 0)  # nothing answered yet
        ticket = Ticket.objects.get(number=answered.ticket)
        ticket = handling.do_accept(ticket, actor=self.bureau_admin)
        ticket = handling.check_assign(ticket, actor=self.bureau_admin, unit=self.school)
        ticket = handling.do_start(ticket, actor=self.school_admin)
        handling.check_reply(ticket, actor=self.school_admin, body="已在食堂门口公示本周菜价。")
        handling.check_decline(
            Ticket.objects.get(number=declined.ticket),
            actor=self.bureau_admin,
            reason="已由区教育局另案办理。",
        )
        # In batches of one: the answered ones are found whatever waits before them.
        self.assertEqual(actions.do_tell_answered_suggestions(batch=1), 2)
        self.assertEqual(actions.do_tell_answered_suggestions(), 0)  # each once
        new = self.notices()[before:]
        self.assertEqual(
            [(n.title, n.body) for n in new],
            [
                (f"您提出的建议已有答复（工单 {answered.ticket}）", "已在食堂门口公示本周菜价。"),
                (f"您提出的建议已有答复（工单 {declined.ticket}）", "已由区教育局另案办理。"),
            ],
        )
        self.assertTrue(all(n.link == reverse("oversight:observer") for n in new))
        self.assertEqual(
            set(Participation.objects.filter(told_at__isnull=False)), {answered, declined}
        )
        self.assertNotIn(still.ticket, " ".join(n.title for n in new))
        page = self.login(self.parent, Client()).get(reverse("oversight:observer"))
        self.assertContains(page, "已在食堂门口公示本周菜价。")
        self.assertContains(page, "已由区教育局另案办理。")
