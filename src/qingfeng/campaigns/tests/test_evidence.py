"""A task done by what the system already holds: a study session of the type held (learning),
the problems of a list closed (the ledger), an upload only where nothing else can show it.
The unit that holds the session or closes the problems sees its task done; another does not."""

from __future__ import annotations

from datetime import date, datetime

import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from qingfeng.campaigns import evidence
from qingfeng.campaigns.models import Assignment, Task
from qingfeng.campaigns.tests.base import CampaignCase
from qingfeng.core.models import AuditEvent
from qingfeng.learning import actions as learning_actions
from qingfeng.learning.models import Session, SessionType
from qingfeng.ledger import actions as ledger_actions
from qingfeng.ledger.actions import rechecks
from qingfeng.ledger.models import Category, Problem
from qingfeng.ledger.tests.base import png
from qingfeng.orgs import actions as org_actions
from qingfeng.orgs.models import Person, Role, Unit, User
from qingfeng.test import make_user


def at(moment: str) -> time_machine.travel:
    return time_machine.travel(f"{moment} +0800", tick=False)


class EvidenceCase(CampaignCase):
    school2_admin: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.school2_admin = make_user(
            "school2_admin", unit=cls.school2, role=Role.UNIT_ADMIN, name="周敏"
        )

    def admin_of(self, unit: Unit) -> User:
        return {self.school.pk: self.school_admin, self.school2.pk: self.school2_admin}[unit.pk]

    def held(self, unit: Unit, code: str, when: str) -> Session:
        """A session planned the day before and recorded as held, as the unit's admin does."""
        admin = self.admin_of(unit)
        with at("2026-11-02 09:00"):
            session = learning_actions.check_plan_session(
                actor=admin,
                unit=unit,
                type=SessionType.objects.get(code=code),
                starts_at=datetime.fromisoformat(f"{when}+08:00"),
                place="学校会议室",
                chair="韩国栋",
                topic="以案为鉴，警钟长鸣",
            )
        with at("2026-11-06 17:00"):
            return learning_actions.check_hold_session(
                session, actor=admin, minutes="观看警示教育片并交流"
            )

    def row(self, task: Task, unit: Unit) -> Assignment:
        return task.assignments.get(unit=unit)

    def shown(self, task: Task, unit: Unit) -> evidence.Progress:
        rows = list(task.assignments.select_related("task__campaign"))
        return evidence.progress(rows, date(2026, 11, 9))[self.row(task, unit).pk]


class SessionEvidenceTestCase(EvidenceCase):
    def warning_task(self, target: int = 1) -> Task:
        return self.issue(
            title="开展警示教育",
            categories=[Unit.Category.SCHOOL],
            evidence="session",
            evidence_option="warning",
            evidence_target=target,
        )

    def test_the_school_that_held_the_session_sees_its_task_done_another_does_not(self) -> None:
        task = self.warning_task()
        self.held(self.school, "warning", "2026-11-05 15:00")
        self.held(self.school2, "all_staff", "2026-11-05 15:00")  # another type: not counted
        self.assertEqual(self.shown(task, self.school), evidence.Progress(1, 1, True, True))
        self.assertEqual(self.shown(task, self.school2), evidence.Progress(0, 1, False, True))
        with at("2026-11-09 10:00"):
            mine = self.login(self.school_admin).get(
                reverse("campaigns:detail", args=[self.campaign.pk])
            )
            theirs = self.login(self.school2_admin).get(
                reverse("campaigns:detail", args=[self.campaign.pk])
            )
        self.assertContains(mine, "举行学习：警示教育（至少 1 次）")
        self.assertContains(mine, 'data-state="done"')
        self.assertNotContains(theirs, 'data-state="done"')
        self.assertContains(theirs, "0 / 1")
        # The hourly sweep writes it done, for the school only, with its audit row.
        with at("2026-11-09 10:20"):
            self.assertEqual(evidence.do_record_all_evidence(), 1)
            self.assertEqual(evidence.do_record_all_evidence(), 0)  # nothing twice
        self.assertEqual(self.row(task, self.school).status, Assignment.Status.DONE)
        self.assertIsNone(self.row(task, self.school).done_by)
        self.assertEqual(self.row(task, self.school2).status, Assignment.Status.OPEN)
        event = AuditEvent.objects.get(action="campaigns.task.evidence")
        self.assertEqual((event.after or {})["units"], [self.school.pk])

    def test_a_planned_session_is_not_evidence_and_the_task_sets_how_many(self) -> None:
        task = self.warning_task(target=2)
        self.held(self.school, "warning", "2026-11-04 15:00")
        with at("2026-11-02 09:00"):
            learning_actions.check_plan_session(
                actor=self.school_admin,
                unit=self.school,
                type=SessionType.objects.get(code="warning"),
                starts_at=datetime.fromisoformat("2026-11-20 15:00+08:00"),
                place="学校会议室",
                chair="韩国栋",
                topic="第二次警示教育",
            )
        self.assertEqual(self.shown(task, self.school), evidence.Progress(1, 2, False, True))
        with at("2026-11-09 10:00"):
            self.assertEqual(evidence.do_record_all_evidence(), 0)

    def test_a_task_issued_after_the_session_is_done_at_once(self) -> None:
        self.held(self.school, "warning", "2026-11-05 15:00")
        with at("2026-11-09 10:00"):
            task = self.issue(
                title="开展警示教育",
                categories=[Unit.Category.SCHOOL],
                evidence="session",
                evidence_option="warning",
                today=date(2026, 11, 9),
            )
        self.assertEqual(self.row(task, self.school).status, Assignment.Status.DONE)
        self.assertEqual(self.row(task, self.other_school).status, Assignment.Status.OPEN)

    def test_an_evidence_the_system_cannot_read_is_refused_and_nothing_is_written(self) -> None:
        before = Task.objects.count()
        for key, option, message in (
            ("session", "no_such_type", "请选择“举行学习”针对的对象"),
            ("photos", "", "请选择完成依据"),
        ):
            with self.subTest(key=key), self.assertRaises(ValidationError) as caught:
                self.issue(evidence=key, evidence_option=option)
            self.assertIn(message, caught.exception.message_dict["evidence"][0])
        self.assertEqual(Task.objects.count(), before)

    def test_the_form_offers_each_session_type_and_issues_the_task(self) -> None:
        url = reverse("campaigns:task_new", args=[self.campaign.pk])
        page = self.login(self.county_admin).get(url)
        self.assertContains(page, 'value="session:warning"')
        self.assertContains(page, 'value="closed:leadership"')
        response = self.login(self.county_admin).post(
            url,
            {
                "kind": "common",
                "title": "开展两次主题党日",
                "requirement": "本季度开展两次主题党日",
                "categories": ["school"],
                "due_workdays": "20",
                "evidence": "session:party_day",
                "evidence_target": "2",
            },
        )
        task = Task.objects.get(title="开展两次主题党日")
        self.assertRedirects(response, reverse("campaigns:task", args=[task.pk]))
        self.assertEqual(
            (task.evidence, task.evidence_option, task.evidence_target), ("session", "party_day", 2)
        )
        page = self.login(self.county_admin).get(reverse("campaigns:task", args=[task.pk]))
        self.assertContains(page, "举行学习：主题党日（至少 2 次）")


class ClosedEvidenceTestCase(EvidenceCase):
    def person_of(self, unit: Unit) -> Person:
        if unit == self.school:
            return Person.objects.get(user=self.teacher)
        return org_actions.do_create_person(
            actor=None, unit=unit, name="欧阳娜", post_type=Person.PostType.TEACHER, phone=""
        )

    def problem(self, unit: Unit, list_kind: str, title: str) -> Problem:
        problem = ledger_actions.check_create_problem(
            actor=self.county_admin,
            unit=unit,
            measures=["退回费用"],
            list_kind=list_kind,
            source=Problem.Source.SELF_CHECK,
            category=Category.objects.get(name="教辅材料违规征订"),
            dimension=Problem.Dimension.INTEGRITY,
            title=title,
            description=f"{title}，经自查发现。",
            rectification_type=Problem.RectificationType.TIME_LIMITED,
            deadline=date(2026, 12, 4),
            responsible_person=self.person_of(unit),
        )
        return ledger_actions.check_assign(problem, actor=self.county_admin)

    def close(self, problem: Problem) -> None:
        ledger_actions.do_accept(problem, actor=self.teacher)
        self.redo(problem)

    def redo(self, problem: Problem) -> None:
        """Rectified (again) and closed by the county."""
        ledger_actions.check_report_progress(
            problem,
            actor=self.teacher,
            progress=100,
            text="已退费并书面检查",
            files=[(png(), "after")],
            measures_done=list(problem.measures.values_list("pk", flat=True)),
        )
        ledger_actions.check_request_closure(problem, actor=self.teacher, text="已完成")
        ledger_actions.check_verify(
            problem, verifier=self.county_admin, outcome="approved", comment="同意销号"
        )

    def test_the_unit_that_closed_its_list_sees_its_task_done_another_does_not(self) -> None:
        with at("2026-11-02 09:00"):
            task = self.issue(
                title="个人整改清单整改销号",
                categories=[Unit.Category.SCHOOL],
                evidence="closed",
                evidence_option=Problem.ListKind.PERSONAL,
            )
            first = self.problem(self.school, Problem.ListKind.PERSONAL, "违规推荐教辅材料")
            second = self.problem(self.school, Problem.ListKind.PERSONAL, "收受家长礼品")
            self.problem(self.school2, Problem.ListKind.PERSONAL, "有偿补课")
            # Another list of the school, closed: not this task's.
            self.close(self.problem(self.school, Problem.ListKind.LEADERSHIP, "会议过多"))
            self.close(first)
        self.assertEqual(self.shown(task, self.school), evidence.Progress(1, 2, False, True))
        with at("2026-11-03 09:00"):
            self.close(second)
        self.assertEqual(self.shown(task, self.school), evidence.Progress(2, 2, True, True))
        self.assertEqual(self.shown(task, self.school2), evidence.Progress(0, 1, False, True))
        # No problem on the list yet is nothing shown, not a task done.
        self.assertEqual(self.shown(task, self.other_school), evidence.Progress(0, 0, False, True))
        with at("2026-11-09 10:00"):
            page = self.login(self.county_admin).get(reverse("campaigns:task", args=[task.pk]))
            self.assertEqual(evidence.do_record_all_evidence(), 1)
        self.assertContains(page, "2 / 2")
        self.assertContains(page, "0 / 1")
        self.assertContains(page, "完成 1 / 2")  # the county sees its two schools
        self.assertEqual(self.row(task, self.school).status, Assignment.Status.DONE)
        self.assertEqual(self.row(task, self.school2).status, Assignment.Status.OPEN)
        other = self.login(self.other_school_admin).get(
            reverse("campaigns:detail", args=[self.campaign.pk])
        )
        self.assertContains(other, "台账中尚无此类问题")

    def test_a_list_reopened_by_a_failed_recheck_reopens_the_task(self) -> None:
        with at("2026-11-02 09:00"):
            task = self.issue(
                title="个人整改清单整改销号",
                categories=[Unit.Category.SCHOOL],
                evidence="closed",
                evidence_option=Problem.ListKind.PERSONAL,
            )
            first = self.problem(self.school, Problem.ListKind.PERSONAL, "违规推荐教辅材料")
            self.close(first)
            self.close(self.problem(self.school, Problem.ListKind.PERSONAL, "收受家长礼品"))
            self.assertEqual(evidence.do_record_all_evidence(), 1)
        self.assertEqual(self.row(task, self.school).status, Assignment.Status.DONE)
        with at("2027-01-04 10:00"):  # the quarterly re-check of last quarter's closures
            drawn = {r.problem_id: r for r in rechecks.draw_rechecks(date(2027, 1, 4), percent=100)}
            rechecks.check_decide_recheck(
                drawn[first.pk], actor=self.supervisor, passed=False, comment="又出现推荐教辅"
            )
            # Nothing else moved: the sweep changes nothing until the records change.
            self.assertEqual(evidence.do_record_all_evidence(), 1)
            self.assertEqual(evidence.do_record_all_evidence(), 0)
            page = self.login(self.school_admin).get(reverse("campaigns:task", args=[task.pk]))
        row = self.row(task, self.school)
        self.assertEqual((row.status, row.done_at, row.note), (Assignment.Status.OPEN, None, ""))
        rows = list(task.assignments.select_related("task__campaign"))
        shown = evidence.progress(rows, date(2027, 1, 4))[row.pk]
        self.assertEqual(shown, evidence.Progress(1, 2, False, True))
        self.assertContains(page, "1 / 2")
        lost = AuditEvent.objects.get(action="campaigns.task.evidence_lost")
        self.assertEqual((lost.after or {})["units"], [self.school.pk])
        self.assertEqual((lost.after or {})["done_of_whole"], {str(self.school.pk): [1, 2]})
        # Closed again after its new rectification: done again by the next sweep.
        with at("2027-01-05 10:00"):
            self.redo(first)
            self.assertEqual(evidence.do_record_all_evidence(), 1)
        self.assertEqual(self.row(task, self.school).status, Assignment.Status.DONE)


class UploadEvidenceTestCase(EvidenceCase):
    def test_an_upload_task_is_done_by_the_units_file_only(self) -> None:
        task = self.issue(title="报送自查报告", evidence=Task.Evidence.UPLOAD)
        mine = self.row(task, self.school)
        url = reverse("campaigns:file_upload", args=["assignment", mine.pk])
        pdf = SimpleUploadedFile("自查报告.pdf", b"%PDF-1.4\n%%EOF\n")
        self.login(self.school_admin).post(url, {"file": pdf})
        mine.refresh_from_db()
        self.assertEqual((mine.status, mine.done_by), (Assignment.Status.DONE, self.school_admin))
        self.assertEqual(self.row(task, self.school2).status, Assignment.Status.OPEN)
        # Another school's admin cannot reach this assignment at all.
        other = self.login(self.other_school_admin).post(
            url, {"file": SimpleUploadedFile("x.pdf", b"%PDF-1.4\n%%EOF\n")}
        )
        self.assertEqual(other.status_code, 404)


class TasksApiTestCase(EvidenceCase):
    def test_each_unit_reads_its_own_progress(self) -> None:
        with at("2026-11-02 09:00"):
            self.issue(
                title="开展警示教育",
                categories=[Unit.Category.SCHOOL],
                evidence="session",
                evidence_option="warning",
            )
        self.held(self.school, "warning", "2026-11-05 15:00")
        url = f"/api/campaigns/{self.campaign.pk}/tasks"
        with at("2026-11-09 10:00"):
            mine = self.login(self.school_admin).get(url).json()
            theirs = self.login(self.school2_admin).get(url).json()
            county = self.login(self.county_admin).get(url).json()
        self.assertEqual(
            [(t["title"], t["done"], t["whole"], t["reached"]) for t in mine],
            [("开展警示教育", 1, 1, True)],
        )
        self.assertEqual([(t["done"], t["reached"]) for t in theirs], [(0, False)])
        self.assertEqual(county, [])  # the task was for schools
