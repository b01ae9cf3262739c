from __future__ import annotations

from datetime import date

import time_machine
from django.core.exceptions import ValidationError

from qingfeng.core.calendar import get_calendar
from qingfeng.core.models import AuditEvent
from qingfeng.learning import actions, cadence, selectors, tokens
from qingfeng.learning.models import Attendance, Makeup, Session
from qingfeng.learning.tests.base import LearningCase, at
from qingfeng.lib.workdays import WorkCalendar

A = Attendance.Status


class CadenceTestCase(LearningCase):
    def states(self, code: str, today: date, calendar: WorkCalendar | None = None) -> list[str]:
        rows = selectors.unit_calendar(
            self.school,
            today=today,
            calendar=calendar or get_calendar(),
            since=date(2026, 10, 1),
        )
        row = next(r for r in rows if r.type.code == code)
        return [str(c.state) for c in row.cells]

    def test_it_counts_gaps_on_working_days(self) -> None:
        with time_machine.travel(at("2026-11-05 16:00"), tick=False):
            session = self.plan("center_group", when="2026-11-05 15:00")
            actions.check_hold_session(session, actor=self.school_admin, minutes="学习并交流")
        # October: nothing (missed); November: held (kept); December: due or alert.
        self.assertEqual(self.states("center_group", date(2026, 12, 23)), ["missed", "kept", "due"])
        # From 24 December six working days are left (24, 25, 28 … 31): more than five.
        self.assertEqual(self.states("center_group", date(2026, 12, 24))[-1], "due")
        # A holiday on the 28th leaves five: the alert comes a day earlier.
        holiday = WorkCalendar(overrides={date(2026, 12, 28): False})
        self.assertEqual(self.states("center_group", date(2026, 12, 24), holiday)[-1], "alert")
        self.assertEqual(self.states("center_group", date(2026, 12, 28))[-1], "alert")

    def test_it_keeps_quarterly_cadence_per_quarter(self) -> None:
        with time_machine.travel(at("2026-10-20 16:00"), tick=False):
            session = self.plan("party_lesson", when="2026-10-20 15:00")
            actions.check_hold_session(session, actor=self.school_admin, minutes="党课")
        self.assertEqual(self.states("party_lesson", date(2026, 12, 1)), ["kept"])
        self.assertEqual(self.states("party_lesson", date(2027, 1, 5)), ["kept", "due"])

    def test_it_flags_meetings_without_a_first_item(self) -> None:
        with time_machine.travel(at("2026-11-05 16:00"), tick=False):
            with_item = self.plan(
                "committee", when="2026-11-03 09:00", first_item="学习总书记重要讲话"
            )
            without = self.plan("committee", when="2026-11-05 09:00")
            actions.check_hold_session(with_item, actor=self.school_admin, minutes="研究工作")
            actions.check_hold_session(without, actor=self.school_admin, minutes="研究工作")
        rows = selectors.unit_calendar(
            self.school, today=date(2026, 11, 20), calendar=get_calendar(), since=date(2026, 11, 1)
        )
        cell = next(r for r in rows if r.type.code == "first_item").cells[0]
        self.assertEqual((cell.state, cell.held), (cadence.State.MISSED, 1))
        self.assertIn("1", cell.note)

    def test_it_refuses_a_session_of_the_first_item_type(self) -> None:
        with self.assertRaises(ValidationError):
            self.plan("first_item")
        self.assertFalse(Session.objects.exists())

    def test_it_draws_the_expected_from_the_roster_by_audience(self) -> None:
        party = self.plan("party_day")
        names = set(party.attendance.values_list("person__name", flat=True))
        self.assertEqual(names, {"钟秀英", "周小燕", "韩国栋"})
        everyone = self.plan("all_staff")
        self.assertEqual(everyone.attendance.count(), 5)


class ScanTestCase(LearningCase):
    def setUp(self) -> None:
        self.travel = time_machine.travel(at("2026-12-10 14:55"), tick=False)
        self.clock = self.travel.start()
        self.session = self.plan("all_staff", when="2026-12-10 15:00")
        self.me = self.teacher.person

    def tearDown(self) -> None:
        self.travel.stop()

    def scan(self, token: str, person: object = None, device: str = "phone-1") -> Attendance:
        person = person or self.me
        return actions.check_scan(token, person=person, actor=self.teacher, device=device)  # type: ignore[arg-type]

    def test_it_signs_in_with_the_current_code(self) -> None:
        row = self.scan(tokens.make(self.session.pk))
        self.assertEqual((row.status, row.via), (A.PRESENT, "scan"))
        self.assertTrue(AuditEvent.objects.filter(action="learning.attendance.scan").exists())

    def test_it_rotates_and_refuses_an_expired_code(self) -> None:
        old = tokens.make(self.session.pk)
        self.clock.shift(tokens.WINDOW * 2 + 1)
        self.assertNotEqual(old, tokens.make(self.session.pk))
        with self.assertRaisesMessage(ValidationError, "签到码已过期"):
            self.scan(old)
        self.assertEqual(
            Attendance.objects.get(session=self.session, person=self.me).status, A.EXPECTED
        )

    def test_it_takes_the_code_that_just_turned(self) -> None:
        old = tokens.make(self.session.pk)
        self.clock.shift(tokens.WINDOW)
        self.assertEqual(self.scan(old).status, A.PRESENT)

    def test_it_refuses_a_second_scan_by_the_same_person(self) -> None:
        token = tokens.make(self.session.pk)
        self.scan(token)
        with self.assertRaisesMessage(ValidationError, "签到码不能重复使用"):
            self.scan(token, device="phone-2")

    def test_it_allows_one_device_per_person(self) -> None:
        token = tokens.make(self.session.pk)
        self.scan(token)
        other = self.party_teacher.person
        with self.assertRaisesMessage(ValidationError, "这台手机已为其他人签到"):
            self.scan(token, person=other)
        self.assertEqual(
            Attendance.objects.get(session=self.session, person=other).status, A.EXPECTED
        )

    def test_it_refuses_a_forged_code_and_someone_not_expected(self) -> None:
        with self.assertRaisesMessage(ValidationError, "签到码无效"):
            self.scan(tokens.make(self.session.pk) + "x")
        outsider = self.other_school_admin.person
        with self.assertRaisesMessage(ValidationError, "不在本次学习的应到人员名单中"):
            self.scan(tokens.make(self.session.pk), person=outsider)

    def test_it_marks_late_after_ten_minutes(self) -> None:
        self.clock.shift(60 * 20)
        self.assertEqual(self.scan(tokens.make(self.session.pk)).status, A.LATE)


class LeaveAndMakeupTestCase(LearningCase):
    def test_it_follows_leave_to_a_makeup_done(self) -> None:
        me = self.teacher.person
        with time_machine.travel(at("2026-12-09 10:00"), tick=False):
            session = self.plan("all_staff", when="2026-12-10 15:00")
            with self.assertRaises(ValidationError):
                actions.check_ask_leave(session, person=me, actor=self.teacher, reason=" ")
            row = actions.check_ask_leave(
                session, person=me, actor=self.teacher, reason="带学生参加比赛"
            )
            actions.check_decide_leave(row, actor=self.school_admin, approve=True)
        with time_machine.travel(at("2026-12-10 16:30"), tick=False):
            principal = self.principal
            actions.check_mark_attendance(
                session, actor=self.school_admin, marks={principal.pk: A.PRESENT}
            )
            actions.check_hold_session(session, actor=self.school_admin, minutes="传达学习")
        statuses = dict(session.attendance.values_list("person__name", "status"))
        self.assertEqual(statuses["周小燕"], A.LEAVE)
        self.assertEqual(statuses["韩国栋"], A.PRESENT)
        self.assertEqual(statuses["甘丽"], A.ABSENT)
        makeups = Makeup.objects.filter(attendance__session=session)
        self.assertEqual(makeups.count(), 4)  # everyone but the principal
        mine = makeups.get(person=me)
        self.assertEqual(mine.attendance.session, session)
        with self.assertRaises(ValidationError):
            actions.check_complete_makeup(mine, actor=self.teacher, note="已学习")
        with time_machine.travel(at("2026-12-11 09:00"), tick=False):
            actions.check_complete_makeup(
                mine,
                actor=self.teacher,
                note="自学了中央八项规定及其实施细则精神，对照检查了自身作风问题。",
            )
        mine.refresh_from_db()
        self.assertEqual(mine.status, Makeup.Status.DONE)
        record = selectors.person_record(me)
        self.assertEqual((record.leave, record.makeups_open, record.rate), (1, 0, None))
        unit = selectors.unit_record(self.school, since=date(2026, 10, 1))
        self.assertEqual((unit.present, unit.absent, unit.leave, unit.makeups_open), (1, 3, 1, 3))
        self.assertEqual(unit.rate, 0.25)

    def test_it_completes_a_makeup_by_a_later_session(self) -> None:
        me = self.teacher.person
        with time_machine.travel(at("2026-12-10 16:30"), tick=False):
            missed = self.plan("all_staff", when="2026-12-10 15:00")
            actions.check_hold_session(missed, actor=self.school_admin, minutes="学习")
        makeup = Makeup.objects.get(attendance__session=missed, person=me)
        with time_machine.travel(at("2026-12-17 16:30"), tick=False):
            later = self.plan("all_staff", when="2026-12-17 15:00")
            with self.assertRaises(ValidationError):
                actions.check_complete_makeup(makeup, actor=self.teacher, later_session=later)
            actions.check_mark_attendance(later, actor=self.school_admin, marks={me.pk: A.PRESENT})
            actions.check_hold_session(later, actor=self.school_admin, minutes="学习")
            actions.check_complete_makeup(makeup, actor=self.teacher, later_session=later)
        makeup.refresh_from_db()
        self.assertEqual((makeup.status, makeup.kind), (Makeup.Status.DONE, Makeup.Kind.LATER))

    def test_it_refuses_leave_after_the_start_and_marks_after_holding(self) -> None:
        me = self.teacher.person
        with time_machine.travel(at("2026-12-10 15:30"), tick=False):
            session = self.plan("all_staff", when="2026-12-10 15:00")
            with self.assertRaisesMessage(ValidationError, "请假须在学习开始前提出"):
                actions.check_ask_leave(session, person=me, actor=self.teacher, reason="事假")
            actions.check_hold_session(session, actor=self.school_admin, minutes="学习")
            with self.assertRaises(ValidationError):
                actions.check_mark_attendance(
                    session, actor=self.school_admin, marks={me.pk: A.PRESENT}
                )
            with self.assertRaises(ValidationError):
                actions.check_hold_session(session, actor=self.school_admin, minutes="again")
        self.assertEqual(Makeup.objects.filter(attendance__session=session).count(), 5)
