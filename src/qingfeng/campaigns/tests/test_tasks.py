"""Tasks reach exactly the units of their category and stage (分类指导); a county adds tasks
for its own schools; tasks are done by the evidence the system holds; plans go to the level
above."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from qingfeng.campaigns import actions
from qingfeng.campaigns.models import Assignment, Task, UnitPlan
from qingfeng.campaigns.tests.base import CampaignCase
from qingfeng.core.models import AuditEvent
from qingfeng.orgs.models import Unit


class TaskTestCase(CampaignCase):
    def units_of(self, task: Task) -> set[int]:
        return set(task.assignments.values_list("unit_id", flat=True))

    def test_it_reaches_exactly_the_units_of_the_category(self) -> None:
        schools = self.issue(categories=[Unit.Category.SCHOOL])
        self.assertEqual(
            self.units_of(schools), {self.school.pk, self.school2.pk, self.other_school.pk}
        )
        research = self.issue(categories=[Unit.Category.RESEARCH])
        self.assertEqual(self.units_of(research), {self.institute.pk})
        organs = self.issue(categories=[Unit.Category.ORGAN])
        self.assertEqual(
            self.units_of(organs), {self.office.pk, self.county.pk, self.other_county.pk}
        )

    def test_it_narrows_by_stage(self) -> None:
        junior = self.issue(categories=[Unit.Category.SCHOOL], stages=[Unit.Stage.JUNIOR])
        self.assertEqual(self.units_of(junior), {self.school2.pk})

    def test_a_county_issues_to_its_own_schools_only(self) -> None:
        task = self.issue(
            actor=self.county_admin, issuer=self.county, categories=[Unit.Category.SCHOOL]
        )
        self.assertEqual(self.units_of(task), {self.school.pk, self.school2.pk})
        with self.assertRaises(ValidationError):
            self.issue(actor=self.county_admin, issuer=self.bureau)
        with self.assertRaises(ValidationError):
            self.issue(actor=self.school_admin, issuer=self.school)

    def test_it_refuses_a_task_nobody_would_receive_and_writes_nothing(self) -> None:
        before = Task.objects.count()
        with self.assertRaises(ValidationError) as caught:
            self.issue(categories=[Unit.Category.RESEARCH], stages=[Unit.Stage.SENIOR])
        self.assertIn("没有单位", str(caught.exception))
        with self.assertRaises(ValidationError):
            self.issue(title=" ", due_workdays=0)
        self.assertEqual(Task.objects.count(), before)

    def test_the_deadline_counts_working_days(self) -> None:
        task = self.issue(due_workdays=5)  # Monday 2 November + 5 working days
        self.assertEqual(task.due_on.isoformat(), "2026-11-09")

    def test_a_plan_task_is_done_when_the_level_above_approves_the_plan(self) -> None:
        task = self.issue(evidence=Task.Evidence.PLAN)
        plan = actions.check_submit_plan(
            self.campaign,
            unit=self.school,
            actor=self.school_admin,
            points="成立工作专班，每月接待日",
        )
        with self.assertRaises(ValidationError):  # not its own unit's, not the school itself
            actions.check_decide_plan(plan, actor=self.school_admin, approve=True, reason="")
        with self.assertRaises(ValidationError):
            actions.check_decide_plan(plan, actor=self.county_admin, approve=False, reason="")
        actions.check_decide_plan(plan, actor=self.county_admin, approve=False, reason="要点太少")
        plan.refresh_from_db()
        self.assertEqual(plan.status, UnitPlan.Status.RETURNED)
        plan = actions.check_submit_plan(
            self.campaign,
            unit=self.school,
            actor=self.school_admin,
            points="成立专班；接待日；自查",
        )
        actions.check_decide_plan(plan, actor=self.county_admin, approve=True, reason="")
        done = task.assignments.get(unit=self.school)
        self.assertEqual(done.status, Assignment.Status.DONE)
        self.assertEqual(task.assignments.filter(status=Assignment.Status.DONE).count(), 1)
        self.assertEqual(
            list(plan.events.values_list("action", flat=True)),
            ["submit", "return", "resubmit", "approve"],
        )
        self.assertTrue(AuditEvent.objects.filter(action="campaigns.plan.approve").exists())

    def test_a_task_the_system_can_show_is_not_confirmed_by_hand(self) -> None:
        task = self.issue(evidence=Task.Evidence.WEEKLY, categories=[Unit.Category.SCHOOL])
        row = task.assignments.get(unit=self.school)
        with self.assertRaises(ValidationError) as caught:
            actions.check_confirm_assignment(row, actor=self.school_admin, note="已完成")
        self.assertIn("自动判定", str(caught.exception))

    def test_only_the_unit_confirms_its_task(self) -> None:
        task = self.issue(categories=[Unit.Category.SCHOOL])
        row = task.assignments.get(unit=self.school)
        with self.assertRaises(ValidationError):
            actions.check_confirm_assignment(row, actor=self.other_school_admin, note="完成")
        actions.check_confirm_assignment(row, actor=self.school_admin, note="已召开专题会")
        row.refresh_from_db()
        self.assertEqual((row.status, row.done_by), (Assignment.Status.DONE, self.school_admin))
