"""The pages that the action tests do not reach: filing a self-examination, asking and
deciding leave, finishing a make-up — through the forms, as a browser posts them."""

from __future__ import annotations

import time_machine
from django.urls import reverse

from qingfeng.learning import actions
from qingfeng.learning.models import Attendance, Makeup, SelfExam
from qingfeng.learning.tests.base import LearningCase, at
from qingfeng.ledger.models import Problem

A = Attendance.Status


def self_exam_form(kind: str, **extra: str) -> dict[str, str]:
    data = {
        "kind": kind,
        "title": "2026年五查五看自查",
        "comparisons": "对照党章党规、对照先进典型、对照群众期盼",
        "prob-0-dimension": Problem.Dimension.INTEGRITY,
        "prob-0-title": "接受家长赠送的购物卡未及时退还",
        "prob-0-description": "教师节期间接受家长购物卡一张",
        "prob-0-measures": "退还购物卡\n签订廉洁从教承诺",
        "prob-0-deadline": "2026-12-31",
    }
    data.update({f"answer_{key}": "对照检查，查摆出的问题见下" for key in actions.CHECKS})
    data.update(extra)
    return data


class SelfExamPageTestCase(LearningCase):
    @time_machine.travel(at("2026-12-01 10:00"), tick=False)
    def test_a_teacher_files_a_personal_self_examination_into_the_ledger(self) -> None:
        self.login(self.teacher)
        url = reverse("learning:self_exam_new")
        page = self.client.get(url)
        self.assertContains(page, "查廉洁自律")
        response = self.client.post(url, self_exam_form(SelfExam.Kind.PERSON))
        exam = SelfExam.objects.get()
        self.assertRedirects(response, reverse("learning:self_exam", args=[exam.pk]))
        problem = Problem.objects.get(source_ref=exam.number)
        self.assertEqual(
            (problem.source, problem.list_kind, problem.responsible_person),
            (Problem.Source.SELF_CHECK, Problem.ListKind.PERSONAL, self.teacher.person),
        )
        self.assertContains(
            self.client.get(reverse("learning:self_exam", args=[exam.pk])), problem.title
        )

    @time_machine.travel(at("2026-12-01 10:00"), tick=False)
    def test_bad_input_is_refused_in_chinese_and_nothing_is_written(self) -> None:
        self.login(self.teacher)
        url = reverse("learning:self_exam_new")
        cases = [
            (self_exam_form(SelfExam.Kind.LEADERSHIP), "只有单位管理员可以填报班子或科室自查"),
            (
                self_exam_form(SelfExam.Kind.PERSON, **{"prob-0-deadline": "年底"}),
                "第 1 个问题的整改时限格式不对",
            ),
        ]
        for data, message in cases:
            with self.subTest(message=message):
                self.assertContains(self.client.post(url, data), message)
        self.assertFalse(SelfExam.objects.exists())
        self.assertFalse(Problem.objects.exists())


class LeaveAndMakeupPagesTestCase(LearningCase):
    def test_leave_is_asked_decided_and_made_up_on_the_pages(self) -> None:
        me = self.teacher.person
        with time_machine.travel(at("2026-12-09 10:00"), tick=False):
            session = self.plan("all_staff", when="2026-12-10 15:00")
            page = reverse("learning:session", args=[session.pk])
            leave = reverse("learning:leave", args=[session.pk])
            self.login(self.teacher)
            self.client.post(leave, {"reason": ""})
            self.assertContains(self.client.get(page), "请填写请假事由")
            self.assertIsNone(session.attendance.get(person=me).leave_asked_at)
            self.assertRedirects(self.client.post(leave, {"reason": "带学生参加比赛"}), page)
            row = session.attendance.get(person=me)
            self.assertEqual(row.leave_reason, "带学生参加比赛")
            decide = reverse("learning:leave_decide", args=[session.pk, row.pk])
            # Only the organiser decides: the teacher cannot approve their own leave.
            self.assertEqual(self.client.post(decide, {"approve": "1"}).status_code, 403)
            row.refresh_from_db()
            self.assertIsNone(row.leave_approved)
            self.login(self.school_admin)
            self.assertContains(self.client.get(page), "带学生参加比赛")
            self.client.post(decide, {"approve": "1"})
            row.refresh_from_db()
            self.assertIs(row.leave_approved, True)
        with time_machine.travel(at("2026-12-10 16:30"), tick=False):
            actions.check_hold_session(session, actor=self.school_admin, minutes="传达学习")
        row.refresh_from_db()
        self.assertEqual(row.status, A.LEAVE)
        mine = Makeup.objects.get(person=me)
        url = reverse("learning:makeup", args=[mine.pk])
        with time_machine.travel(at("2026-12-11 09:00"), tick=False):
            self.login(self.party_teacher)  # someone else's make-up: as a missing one
            self.assertEqual(self.client.post(url, {"note": "x" * 40}).status_code, 404)
            self.login(self.teacher)
            self.assertContains(self.client.get(reverse("learning:mine")), "待补课")
            note = "自学了中央八项规定及其实施细则精神，对照检查了自身作风问题。"
            self.assertRedirects(self.client.post(url, {"note": note}), reverse("learning:mine"))
        mine.refresh_from_db()
        self.assertEqual((mine.status, mine.note), (Makeup.Status.DONE, note))
