"""Absentees with their reasons in the minutes: 请假 with the reason asked, 缺席 with the
reason the organiser enters (while ticking the list, or after the record), shown on the
session's page and written in the exported minutes, attendance sheet and study archive."""

from __future__ import annotations

import io

import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from qingfeng.core.models import AuditEvent
from qingfeng.learning import actions
from qingfeng.learning.models import Attendance, Session
from qingfeng.learning.tests.base import LearningCase, at

A = Attendance.Status


class AbsenceReasonTestCase(LearningCase):
    def row(self, session: Session, name: str) -> Attendance:
        return session.attendance.get(person__name=name)

    def held_session(self) -> Session:
        """An all-staff session on 10 December: 周小燕 asked leave (granted), 钟秀英 asked leave
        too late to be answered, 甘丽 ticked absent with a reason, 韩国栋 present, the school
        admin 孙立平 never came (no reason yet)."""
        with time_machine.travel(at("2026-12-09 10:00"), tick=False):
            session = self.plan(
                "all_staff", when="2026-12-10 15:00", topic="学习《中国共产党纪律处分条例》"
            )
            granted = actions.check_ask_leave(
                session, person=self.teacher.person, actor=self.teacher, reason="带学生参加区运动会"
            )
            actions.check_decide_leave(granted, actor=self.school_admin, approve=True)
            actions.check_ask_leave(
                session,
                person=self.party_teacher.person,
                actor=self.party_teacher,
                reason="孩子发烧需就医",
            )
        with time_machine.travel(at("2026-12-10 15:05"), tick=False):
            actions.check_mark_attendance(
                session,
                actor=self.school_admin,
                marks={self.principal.pk: A.PRESENT, self.support.pk: A.ABSENT},
                reasons={self.support.pk: "  在区教育局参加财务培训 "},
            )
        with time_machine.travel(at("2026-12-10 17:00"), tick=False):
            actions.check_hold_session(session, actor=self.school_admin, minutes="逐条学习条例")
        session.refresh_from_db()
        return session

    def test_each_absentee_has_a_reason_in_the_record(self) -> None:
        session = self.held_session()
        self.assertEqual(self.row(session, "甘丽").absence_reason, "在区教育局参加财务培训")
        self.assertEqual(self.row(session, "周小燕").status, A.LEAVE)
        unanswered = self.row(session, "钟秀英")
        self.assertEqual(unanswered.status, A.ABSENT)
        self.assertEqual(unanswered.absence_reason, "请假未审批：孩子发烧需就医")
        self.assertEqual(self.row(session, "孙立平").absence_reason, "")
        # After the record the organiser fills in the one missing reason.
        admin = self.school_admin.person
        with time_machine.travel(at("2026-12-11 09:00"), tick=False):
            changed = actions.check_note_absence_reasons(
                session, actor=self.school_admin, reasons={admin.pk: "临时接待区督导组"}
            )
        self.assertEqual(changed, 1)
        self.assertEqual(self.row(session, "孙立平").absence_reason, "临时接待区督导组")
        event = AuditEvent.objects.filter(action="learning.attendance.reasons").get()
        self.assertEqual(event.after, {"reasons": {str(admin.pk): "临时接待区督导组"}})

    def test_bad_reasons_are_refused_and_nothing_changes(self) -> None:
        session = self.held_session()
        with self.assertRaisesMessage(ValidationError, "只能为缺席人员填写缺席原因"):
            actions.check_note_absence_reasons(
                session,
                actor=self.school_admin,
                reasons={self.support.pk: "改为病假", self.principal.pk: "出席了"},
            )
        self.assertEqual(self.row(session, "甘丽").absence_reason, "在区教育局参加财务培训")
        with self.assertRaisesMessage(ValidationError, "缺席原因不能超过 200 个字"):
            actions.check_note_absence_reasons(
                session, actor=self.school_admin, reasons={self.support.pk: "培训" * 101}
            )
        with time_machine.travel(at("2026-12-09 10:00"), tick=False):
            planned = self.plan("all_staff", when="2026-12-12 15:00", topic="警示教育")
            with self.assertRaisesMessage(ValidationError, "学习记录后才能补填缺席原因"):
                actions.check_note_absence_reasons(
                    planned, actor=self.school_admin, reasons={self.support.pk: "出差"}
                )
            with self.assertRaisesMessage(ValidationError, "缺席原因不能超过 200 个字"):
                actions.check_mark_attendance(
                    planned,
                    actor=self.school_admin,
                    marks={self.principal.pk: A.PRESENT, self.support.pk: A.ABSENT},
                    reasons={self.support.pk: "出差" * 101},
                )
        self.assertEqual(self.row(planned, "韩国栋").status, A.EXPECTED)

    def test_a_reason_is_kept_only_while_absent(self) -> None:
        with time_machine.travel(at("2026-12-10 15:05"), tick=False):
            session = self.plan("all_staff", when="2026-12-10 15:00")
            actions.check_mark_attendance(
                session,
                actor=self.school_admin,
                marks={self.support.pk: A.ABSENT},
                reasons={self.support.pk: "外出送检材料"},
            )
            self.assertEqual(self.row(session, "甘丽").absence_reason, "外出送检材料")
            # She arrives late after all: the reason goes.
            actions.check_mark_attendance(
                session, actor=self.school_admin, marks={self.support.pk: A.LATE}
            )
        self.assertEqual(self.row(session, "甘丽").absence_reason, "")

    def test_the_page_and_the_exports_show_the_reasons(self) -> None:
        session = self.held_session()
        self.login(self.school_admin)
        url = reverse("learning:session", args=[session.pk])
        page = self.client.get(url)
        self.assertContains(page, "缺席、请假人员及原因")
        self.assertContains(page, "周小燕（请假：带学生参加区运动会）")
        self.assertContains(page, "甘丽（缺席：在区教育局参加财务培训）")
        self.assertContains(page, "孙立平（缺席：未填写原因）")
        self.assertContains(page, 'data-testid="reasons-form"')
        admin = self.school_admin.person
        self.client.post(url, {"reasons": "1", f"reason-{admin.pk}": "临时接待区督导组"})
        self.assertContains(self.client.get(url), "孙立平（缺席：临时接待区督导组）")

        sheet = self.client.get(reverse("learning:session_sheet", args=[session.pk]))
        self.assertEqual(sheet.status_code, 200)
        book = load_workbook(io.BytesIO(sheet.content))
        minutes = {r[0]: r[1] for r in book["会议记录"].iter_rows(min_row=5, values_only=True)}
        self.assertIn("甘丽（缺席：在区教育局参加财务培训）", minutes["缺席、请假人员及原因"])
        self.assertIn("钟秀英（缺席：请假未审批：孩子发烧需就医）", minutes["缺席、请假人员及原因"])
        self.assertEqual(minutes["内容和主要观点"], "逐条学习条例")
        self.assertIn("应到 5 人", minutes["参加人员"])
        attendance = {r[1]: r for r in book["签到表"].iter_rows(min_row=5, values_only=True)}
        self.assertEqual(attendance["周小燕"][3], "请假")
        self.assertEqual(attendance["周小燕"][6], "请假：带学生参加区运动会")
        self.assertEqual(attendance["孙立平"][6], "缺席：临时接待区督导组")
        self.assertEqual(attendance["韩国栋"][3], "出席")
        self.assertFalse(attendance["韩国栋"][6])

        archive = self.client.get(reverse("learning:export", args=[self.school.pk]))
        cells = [
            c
            for row in load_workbook(io.BytesIO(archive.content)).active.iter_rows(values_only=True)
            for c in row
            if isinstance(c, str)
        ]
        listed = next(c for c in cells if "甘丽" in c)
        self.assertIn("甘丽（缺席：在区教育局参加财务培训）", listed)
        self.assertIn("周小燕（请假：带学生参加区运动会）", listed)

    def test_another_schools_admin_cannot_open_the_sheet(self) -> None:
        session = self.held_session()
        self.login(self.other_school_admin)
        response = self.client.get(reverse("learning:session_sheet", args=[session.pk]))
        self.assertEqual(response.status_code, 404)
