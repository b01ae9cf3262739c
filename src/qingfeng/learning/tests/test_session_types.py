"""The bureau configures the study types: the page, the rules, the audit, and the cadence
read again from the new values (calendar and gap notifications)."""

from __future__ import annotations

from datetime import date
from typing import Any

import time_machine
from django.urls import reverse

from qingfeng.core.calendar import get_calendar
from qingfeng.core.models import AuditEvent, Notification
from qingfeng.learning import actions, gaps, selectors
from qingfeng.learning.actions.types import FIELDS
from qingfeng.learning.cadence import State
from qingfeng.learning.models import GapNotice, SessionType
from qingfeng.learning.tests.base import LearningCase, at
from qingfeng.orgs.models import Person, Role
from qingfeng.test import make_user

P = Person.PostType


class SessionTypePagesTestCase(LearningCase):
    def post_new(self, **extra: object) -> Any:
        data = {
            "name": "青年教师理论学习小组",
            "cadence": "monthly",
            "minimum": "2",
            "audience": "all",
            "post_types": [P.TEACHER, P.PARTY_TEACHER],
            "alert_workdays": "4",
            "sort_order": "200",
        }
        data.update(extra)  # type: ignore[arg-type]
        return self.client.post(reverse("learning:type_new"), data)

    def test_the_campaign_office_adds_a_teachers_only_type(self) -> None:
        self.login(self.office_user)
        page = self.client.get(reverse("learning:types"))
        self.assertContains(page, "中心组专题研学")
        self.assertContains(page, "支部党员大会")
        response = self.post_new()
        self.assertRedirects(response, reverse("learning:types"))
        made = SessionType.objects.get(name="青年教师理论学习小组")
        self.assertEqual(
            (made.cadence, made.minimum, made.audience, made.alert_workdays),
            ("monthly", 2, "all", 4),
        )
        self.assertEqual(made.post_types, [P.PARTY_TEACHER, P.TEACHER])
        self.assertTrue(made.is_active)
        event = AuditEvent.objects.get(action="learning.session_type.create")
        self.assertEqual(event.actor, self.office_user)
        self.assertEqual((event.after or {}).get("minimum"), 2)
        listing = self.client.get(reverse("learning:types"))
        self.assertContains(listing, "青年教师理论学习小组")
        self.assertContains(listing, "专任教师")
        # The school's organiser can now plan it, and only teachers are expected.
        session = actions.check_plan_session(
            actor=self.school_admin,
            unit=self.school,
            type=made,
            starts_at=at("2026-12-10 15:00"),
            place="录播教室",
            chair="韩国栋",
            topic="研读《新时代中小学教师职业行为十项准则》",
        )
        expected = set(session.attendance.values_list("person__name", flat=True))
        self.assertEqual(expected, {"周小燕", "钟秀英"})

    def test_bad_input_gets_chinese_errors_and_changes_nothing(self) -> None:
        self.login(self.bureau_admin)
        before = SessionType.objects.count()
        response = self.post_new(name="中心组专题研学", minimum="0", alert_workdays="99")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "已有名为“中心组专题研学”的学习类型")
        self.assertContains(response, "每期至少次数须在 1 到 31 之间")
        self.assertContains(response, "提前提醒的工作日须在 0 到 60 之间")
        response = self.post_new(cadence="per_meeting")
        self.assertContains(response, "“每次会议”只用于第一议题")
        self.assertEqual(SessionType.objects.count(), before)
        self.assertFalse(AuditEvent.objects.filter(action__startswith="learning.session_type"))
        first = self.type("first_item")
        response = self.client.post(
            reverse("learning:type_edit", args=[first.pk]),
            {
                "name": "第一议题",
                "cadence": "monthly",
                "minimum": "1",
                "audience": "leaders",
                "alert_workdays": "0",
            },
        )
        self.assertContains(response, "第一议题随每次会议检查，频次不能修改")
        response = self.client.post(
            reverse("learning:type_active", args=[first.pk]), {"active": "0"}, follow=True
        )
        self.assertContains(response, "不能停用")
        first.refresh_from_db()
        self.assertEqual((first.cadence, first.is_active), ("per_meeting", True))

    def test_only_the_city_bureau_configures_types(self) -> None:
        county_office = make_user(
            "county_office", unit=self.county, role=Role.CAMPAIGN_OFFICE, name="陈思远"
        )
        center = self.type("center_group")
        for user in (self.school_admin, self.county_admin, county_office, self.teacher):
            self.login(user)
            for url in (
                reverse("learning:types"),
                reverse("learning:type_new"),
                reverse("learning:type_edit", args=[center.pk]),
            ):
                with self.subTest(user=user.username, url=url):
                    self.assertEqual(self.client.get(url).status_code, 403)
            self.client.post(reverse("learning:type_active", args=[center.pk]), {"active": "0"})
        center.refresh_from_db()
        self.assertTrue(center.is_active)
        self.login(self.office_user)
        self.assertEqual(
            self.client.get(reverse("learning:type_edit", args=[99999])).status_code, 404
        )


class SessionTypeCadenceTestCase(LearningCase):
    def edit(self, item: SessionType, **changes: object) -> SessionType:
        values = {f: getattr(item, f) for f in FIELDS}
        values.update(changes)
        return actions.check_save_session_type(item, actor=self.office_user, **values)

    def center_row(self, today: date) -> list[State]:
        rows = selectors.unit_calendar(
            self.school, today=today, calendar=get_calendar(), since=date(2026, 10, 1)
        )
        row = next(r for r in rows if r.type.code == "center_group")
        return [c.state for c in row.cells]

    def hold(self, code: str, day: str) -> None:
        with time_machine.travel(at(f"{day} 16:00"), tick=False):
            session = self.plan(code, when=f"{day} 15:00")
            actions.check_hold_session(session, actor=self.school_admin, minutes="学习交流")

    def test_a_changed_minimum_or_cadence_is_the_calendar_at_once(self) -> None:
        self.hold("center_group", "2026-10-15")
        self.hold("center_group", "2026-11-12")
        self.hold("center_group", "2026-11-26")
        today = date(2026, 12, 10)
        self.assertEqual(self.center_row(today), [State.KEPT, State.KEPT, State.DUE])
        center = self.edit(self.type("center_group"), minimum=2, alert_workdays=20)
        # October had one session: missed under the new minimum; November's two keep it;
        # December has 16 working days left, inside the new 20-day alert window.
        self.assertEqual(self.center_row(today), [State.MISSED, State.KEPT, State.ALERT])
        event = AuditEvent.objects.get(action="learning.session_type.edit")
        self.assertEqual(event.before, {"minimum": 1, "alert_workdays": 5})
        self.assertEqual(event.after, {"minimum": 2, "alert_workdays": 20})
        # Quarterly, at least three: the fourth quarter holds three sessions.
        self.edit(center, cadence="quarterly", minimum=3)
        self.assertEqual(self.center_row(today), [State.KEPT])
        # Deactivated: gone from the calendar; its held sessions stay.
        actions.check_set_session_type_active(center, actor=self.office_user, active=False)
        rows = selectors.unit_calendar(self.school, today=today, calendar=get_calendar())
        self.assertNotIn("center_group", [r.type.code for r in rows])
        self.assertEqual(
            AuditEvent.objects.get(action="learning.session_type.deactivate").after,
            {"is_active": False},
        )

    def test_the_gap_notifications_follow_the_new_values(self) -> None:
        center = self.type("center_group")
        # 14 December 2026: 14 working days left in December, nothing held: no alert at 5.
        gaps.notify_gaps(date(2026, 12, 14))
        key = f"cadence:{self.school.pk}:{center.pk}:2026-12-01:alert"
        self.assertFalse(GapNotice.objects.filter(key=key).exists())
        self.edit(center, alert_workdays=15)
        gaps.notify_gaps(date(2026, 12, 15))
        self.assertTrue(GapNotice.objects.filter(key=key).exists())
        titles = Notification.objects.filter(recipient=self.school_admin).values_list(
            "title", flat=True
        )
        self.assertTrue(any("中心组专题研学" in t and "即将逾期" in t for t in titles))
        # A deactivated type is no longer a gap.
        party_day = self.type("party_day")
        actions.check_set_session_type_active(party_day, actor=self.office_user, active=False)
        gaps.notify_gaps(date(2026, 12, 28))
        self.assertFalse(
            GapNotice.objects.filter(key__contains=f":{party_day.pk}:2026-12").exists()
        )
        # Reactivated, it is counted again.
        actions.check_set_session_type_active(party_day, actor=self.office_user, active=True)
        gaps.notify_gaps(date(2026, 12, 29))
        self.assertTrue(GapNotice.objects.filter(key__contains=f":{party_day.pk}:2026-12").exists())


class SessionTypeApiTestCase(LearningCase):
    """/api/learning/types: read by readers, configured by the city bureau, same actions."""

    def test_the_api_lists_adds_edits_and_deactivates(self) -> None:
        self.login(self.school_admin)
        listed = self.client.get(reverse("api:learning_types")).json()
        self.assertIn("中心组专题研学", [t["name"] for t in listed])
        body = {
            "name": "教辅人员业务学习",
            "cadence": "quarterly",
            "audience": "all",
            "post_types": ["support"],
            "alert_workdays": 10,
        }
        refused = self.client.post(
            reverse("api:learning_type_new"), body, content_type="application/json"
        )
        self.assertEqual(refused.status_code, 403)
        self.login(self.office_user)
        made = self.client.post(
            reverse("api:learning_type_new"), body, content_type="application/json"
        )
        self.assertEqual(made.status_code, 201, made.content)
        item = made.json()
        self.assertEqual((item["post_types"], item["minimum"]), (["support"], 1))
        bad = self.client.put(
            reverse("api:learning_type", args=[item["id"]]),
            {**body, "minimum": 40},
            content_type="application/json",
        )
        self.assertEqual(bad.status_code, 400)
        self.assertIn("每期至少次数须在 1 到 31 之间", bad.json()["detail"])
        self.assertEqual(SessionType.objects.get(pk=item["id"]).minimum, 1)
        edited = self.client.put(
            reverse("api:learning_type", args=[item["id"]]),
            {**body, "minimum": 2},
            content_type="application/json",
        )
        self.assertEqual(edited.json()["minimum"], 2)
        off = self.client.post(
            reverse("api:learning_type_active", args=[item["id"]]),
            {"active": False},
            content_type="application/json",
        )
        self.assertFalse(off.json()["is_active"])
        missing = self.client.put(
            reverse("api:learning_type", args=[99999]), body, content_type="application/json"
        )
        self.assertEqual(missing.status_code, 404)
