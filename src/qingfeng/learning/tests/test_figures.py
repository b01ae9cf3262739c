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


class CadenceFiguresTestCase(LearningCase):
    """The cadence kept (学习规定动作落实率, the quarterly score's study indicator): each study
    type's periods within the days asked for, once decided, by the cadence calendar's rule."""

    def hold(self, code: str, when: str, **extra: str) -> None:
        session = self.plan(code, when=when, **extra)
        with time_machine.travel(at(when), tick=False):
            actions.check_hold_session(session, actor=self.school_admin, minutes="学习了精神")

    def test_periods_are_counted_once_decided(self) -> None:
        self.hold("all_staff", "2026-10-15 15:00")
        self.hold("all_staff", "2026-11-12 15:00")  # none in December: missed
        self.hold("warning", "2026-11-20 15:00")  # the quarter's 警示教育: kept
        # A 支委会 without 第一议题: the committee meeting kept, November's first item missed.
        self.hold("branch_committee", "2026-11-05 15:00", first_item="")
        self.hold("branch_committee", "2026-12-03 15:00", first_item="学习中央八项规定精神")
        quarter = (date(2026, 10, 1), date(2026, 12, 31))
        with time_machine.travel(at("2027-01-05 09:00"), tick=False):
            figures = compute([self.school.pk, self.school2.pk], *quarter)
            october = compute([self.school.pk], date(2026, 10, 1), date(2026, 10, 31))
            week = compute([self.school.pk], date(2026, 11, 9), date(2026, 11, 15))
        # Five monthly types × 3 months, three quarterly types, 第一议题 in each month: 21.
        # Kept: all_staff 2, 支委会 2, 警示教育 1, 第一议题 in October and December 2 = 7.
        self.assertEqual(figures[self.school.pk]["cadence_due"], 21)
        self.assertEqual(figures[self.school.pk]["cadence_kept"], 7)
        # The other school held nothing: only the months without a meeting to precede count.
        self.assertEqual(
            {k: figures[self.school2.pk][k] for k in ("cadence_due", "cadence_kept")},
            {"cadence_due": 21, "cadence_kept": 3},
        )
        # October alone: five monthly types and 第一议题; all_staff and 第一议题 kept.
        self.assertEqual(october[self.school.pk]["cadence_due"], 6)
        self.assertEqual(october[self.school.pk]["cadence_kept"], 2)
        # A week holds no whole period: the weekly report shows none.
        self.assertNotIn("cadence_due", week.get(self.school.pk, {}))

    def test_a_period_not_over_counts_only_once_kept(self) -> None:
        self.hold("all_staff", "2026-12-03 15:00")
        with time_machine.travel(at("2026-12-10 09:00"), tick=False):
            figures = compute([self.school.pk], date(2026, 12, 1), date(2026, 12, 31))
        # December is running: all_staff kept counts, 第一议题 (no meeting yet, could still
        # come) and the other monthly types not yet due are left out.
        self.assertEqual(figures[self.school.pk]["cadence_due"], 1)
        self.assertEqual(figures[self.school.pk]["cadence_kept"], 1)
