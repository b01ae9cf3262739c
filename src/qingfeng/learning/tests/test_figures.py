"""Learning's figures for the weekly report and the bulletin (core/registry.py): a held
session counts for its unit with its attendance as two counts; the absentee's make-up is
open until done."""

from __future__ import annotations

from datetime import date

import time_machine

from qingfeng.core import registry
from qingfeng.learning import actions
from qingfeng.learning.figures import compute
from qingfeng.learning.models import Attendance
from qingfeng.learning.tests.base import LearningCase, at


class LearningFiguresTestCase(LearningCase):
    def test_a_held_session_counts_with_its_attendance_and_make_ups(self) -> None:
        session = self.plan(when="2026-12-10 15:00")
        rows = {r.person_id: r for r in Attendance.objects.filter(session=session)}
        self.assertGreaterEqual(len(rows), 3)
        people = sorted(rows)
        marks = {people[0]: "present", people[1]: "late", people[2]: "leave"}
        with time_machine.travel(at("2026-12-10 16:30"), tick=False):
            actions.check_mark_attendance(session, actor=self.school_admin, marks=marks)
            actions.check_hold_session(session, actor=self.school_admin, minutes="学习了精神")
        absent = len(rows) - 3  # everyone not marked is absent
        figures = compute([self.school.pk, self.school2.pk], date(2026, 12, 7), date(2026, 12, 13))
        self.assertEqual(
            figures[self.school.pk],
            {
                "sessions_held": 1,
                "attendance_attended": 2,
                "attendance_expected": len(rows) - 1,  # 应到 − 请假
                "makeups_done": 0,
                "makeups_open": absent + 1,  # the absentees and the one on leave
            },
        )
        self.assertNotIn(self.school2.pk, figures)
        self.assertIn("learning", {s.key for s in registry.figure_sources()})
