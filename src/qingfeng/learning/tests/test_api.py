from __future__ import annotations

import time_machine
from django.urls import reverse

from qingfeng.learning import actions, selectors
from qingfeng.learning.models import Attendance, Case
from qingfeng.learning.tests.base import LearningCase, at

A = Attendance.Status


class LearningApiTestCase(LearningCase):
    """/api/learning/: the same selectors and scope as the pages."""

    def hold(self) -> None:
        with time_machine.travel(at("2026-12-10 16:30"), tick=False):
            session = self.plan("all_staff", when="2026-12-10 15:00")
            actions.check_mark_attendance(
                session, actor=self.school_admin, marks={self.principal.pk: A.PRESENT}
            )
            actions.check_hold_session(session, actor=self.school_admin, minutes="传达学习")

    @time_machine.travel(at("2026-12-11 09:00"), tick=False)
    def test_the_calendar_and_the_record_say_what_the_pages_say(self) -> None:
        self.hold()
        self.login(self.school_admin)
        url = reverse("api:learning_calendar", args=[self.school.pk])
        body = self.client.get(url).json()
        record = selectors.unit_record(
            self.school, since=selectors.default_since(at("2026-12-11 09:00").date())
        )
        self.assertEqual(body["unit_id"], self.school.pk)
        self.assertEqual((body["attendance_rate"], body["makeups_open"]), (record.rate, 4))
        self.assertEqual(record.rate, 0.2)  # the principal of five
        codes = {row["type_code"]: row for row in body["cadence"]}
        self.assertIn("center_group", codes)
        december = codes["all_staff"]["cells"][-1]
        self.assertEqual((december["held"], december["state"]), (1, "kept"))
        self.login(self.other_school_admin)
        refused = self.client.get(url)
        self.assertEqual(refused.status_code, 404)
        self.assertEqual(refused.json(), {"detail": "单位不存在"})

        self.login(self.teacher)
        mine = self.client.get(reverse("api:learning_me")).json()
        self.assertEqual(
            (mine["expected"], mine["absent"], mine["makeups_open"], mine["attendance_rate"]),
            (1, 1, 1, 0.0),
        )

    def test_the_case_search_answers_as_the_library(self) -> None:
        for title, publish in (("学校食堂违规收费", True), ("食堂承包草稿", False)):
            case = actions.check_enter_case(
                actor=self.office_user,
                owner=self.bureau,
                title=title,
                facts="某校食堂问题。",
                category=Case.Category.FEES,
                level=Case.Level.LOCAL,
            )
            if publish:
                actions.check_submit_case(case, actor=self.office_user)
                actions.check_decide_case(case, actor=self.bureau_admin, action="approve")
        self.login(self.teacher)
        found = self.client.get(reverse("api:learning_cases"), {"q": "食堂"}).json()
        self.assertEqual([c["title"] for c in found], ["学校食堂违规收费"])  # drafts not shown
        self.assertEqual(found[0]["category_label"], "违规收费")
        expected = set(selectors.search_cases(self.teacher, "食堂").values_list("pk", flat=True))
        self.assertEqual({c["id"] for c in found}, expected)
        self.assertEqual(self.client.get(reverse("api:learning_cases"), {"q": "无此词"}).json(), [])
