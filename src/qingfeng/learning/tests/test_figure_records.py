"""The records behind learning's dashboard numbers (core/figurelist.py): for each persona,
every learning number on the dashboard links to a list that counts exactly that number, and
no list shows a session outside the persona's scope."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from qingfeng.learning import actions
from qingfeng.learning.models import Attendance, Session
from qingfeng.learning.tests.base import LearningCase
from qingfeng.orgs import actions as org_actions
from qingfeng.orgs.models import Person, Unit, User

URL = "/learning/figures/"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


class LearningFigureRecordsTestCase(LearningCase):
    def hold(self, unit: Unit, actor: User, topic: str) -> Session:
        """A session held two days ago, its first person present, the second on leave, the
        rest absent (each absentee gets a make-up)."""
        start = timezone.now() - timedelta(days=2)
        with time_machine.travel(start - timedelta(hours=2), tick=False):
            session = actions.check_plan_session(
                actor=actor,
                unit=unit,
                type=self.type("all_staff"),
                starts_at=start,
                place="会议室",
                chair="校长",
                topic=topic,
            )
        people = sorted(
            Attendance.objects.filter(session=session).values_list("person_id", flat=True)
        )
        marks = {people[0]: "present"}
        if len(people) > 1:
            marks[people[1]] = "leave"
        with time_machine.travel(start + timedelta(hours=1), tick=False):
            actions.check_mark_attendance(session, actor=actor, marks=marks)
            actions.check_hold_session(session, actor=actor, minutes="学习了精神")
        return session

    def test_every_learning_number_equals_the_count_of_its_list_for_each_persona(self) -> None:
        self.hold(self.school, self.school_admin, "本校学习")
        for name in ("甲老师", "乙老师"):
            org_actions.do_create_person(
                actor=None,
                unit=self.school2,
                name=name,
                post_type=Person.PostType.TEACHER,
                phone="",
            )
        self.hold(self.school2, self.county_admin, "二中学习")
        self.hold(self.other_school, self.other_school_admin, "外县学习")
        month = timezone.localtime(timezone.now() - timedelta(days=2)).strftime("%Y-%m")
        nonzero = self.check_figure_links(
            "learning",
            [
                (self.county_admin, {"month": month}),
                (self.school_admin, {"month": month}),
                (self.bureau_admin, {"month": month, "scope": self.county.pk}),
            ],
            hidden="外县学习",
        )
        self.assertGreater(nonzero, 10)
        self.check_figure_links("learning", [(self.bureau_admin, {"month": month})])

    def test_the_list_shows_the_records_and_refuses_what_is_outside_the_scope(self) -> None:
        session = self.hold(self.school, self.school_admin, "本校学习")
        self.hold(self.other_school, self.other_school_admin, "外县学习")
        day = str(timezone.localdate(session.starts_at))
        query = {"figure": "sessions_held", "period_from": day, "period_to": day}
        self.login(self.county_admin)
        page = self.client.get(URL, query)
        self.assertContains(page, "本校学习")
        self.assertNotContains(page, "外县学习")
        self.assertEqual(page.context["figure"]["total"], 1)
        absent = self.client.get(
            URL, {**query, "figure": "makeups_open", "unit": str(self.school.pk)}
        )
        self.assertEqual(
            absent.context["figure"]["total"],
            Attendance.objects.filter(session=session).count() - 1,
        )
        # A unit outside the scope is not found; a period without its end is refused.
        self.assertEqual(
            self.client.get(URL, {**query, "unit": str(self.other_school.pk)}).status_code, 404
        )
        bad = self.client.get(URL, {"figure": "sessions_held", "period_from": day})
        self.assertEqual(bad.status_code, 400)
        self.assertContains(bad, "统计期间止", status_code=400)
        # Without a figure (a number no list shows), the page offers this month's lists.
        self.assertContains(self.client.get(URL, {"unit": self.school.pk}), "figure=makeups_open")
