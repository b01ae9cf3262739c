from __future__ import annotations

from datetime import timedelta

import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from qingfeng.core.models import AuditEvent, Notification
from qingfeng.ledger import actions, workflow
from qingfeng.ledger.models import Feedback, Problem, Transition, Verification
from qingfeng.ledger.tests.base import PNG, LedgerTestCase, png

S = Problem.Status


class LifecycleTestCase(LedgerTestCase):
    def test_the_whole_way_to_closure(self) -> None:
        with time_machine.travel("2026-11-02 09:00 +0800"):
            problem = self.make_problem()
            self.assertEqual(problem.status, S.DRAFT)
            self.assertRegex(problem.number, r"^2026-01-GR-\d{6}$")
            actions.check_assign(problem, actor=self.county_admin)
        self.assertEqual(problem.status, S.ASSIGNED)
        self.assertEqual(str(problem.deadline), "2026-11-16")  # 10 working days
        requirement = Feedback.objects.get(problem=problem, kind=Feedback.Kind.REQUIREMENT)
        self.assertEqual(requirement.recipient, self.teacher_person)
        self.assertTrue(
            Notification.objects.filter(
                recipient=self.teacher, title__contains=problem.number
            ).exists()
        )
        actions.do_accept(problem, actor=self.teacher)
        actions.check_report_progress(
            problem, actor=self.teacher, progress=50, text="推进中", files=[(png(), "after")]
        )
        self.assertEqual(problem.status, S.RECTIFYING)
        with self.assertRaisesMessage(ValidationError, "尚有 2 项整改措施未完成"):
            actions.check_request_closure(problem, actor=self.teacher, text="已完成")
        first, second = problem.measures.all()
        actions.check_report_progress(
            problem, actor=self.teacher, progress=80, text="费用已退回", measures_done=[first.pk]
        )
        with self.assertRaisesMessage(ValidationError, "尚有 1 项整改措施未完成"):
            actions.check_request_closure(problem, actor=self.teacher, text="已完成")
        actions.check_report_progress(
            problem, actor=self.teacher, progress=90, text="已作检查", measures_done=[second.pk]
        )
        actions.check_request_closure(problem, actor=self.teacher, text="已完成")
        self.assertEqual(problem.progress, 100)
        actions.check_verify(
            problem,
            verifier=self.bureau_admin,
            outcome=Verification.Outcome.APPROVED,
            comment="核实无误",
        )
        problem.refresh_from_db()
        self.assertEqual(problem.status, S.CLOSED)
        self.assertIsNotNone(problem.closed_at)
        self.assertEqual(problem.light, "")
        steps = list(Transition.objects.filter(problem=problem).values_list("action", flat=True))
        self.assertEqual(steps, ["create", "assign", "accept", "start", "request_closure", "close"])
        audited = set(
            AuditEvent.objects.filter(
                object_id=str(problem.pk), object_type="ledger.problem"
            ).values_list("action", flat=True)
        )
        self.assertIn("ledger.problem.verify.approved", audited)

    def test_a_returned_item_goes_back_to_rectifying_with_the_reason(self) -> None:
        problem = self.awaiting_verification()
        actions.check_verify(
            problem,
            verifier=self.county_admin,
            outcome=Verification.Outcome.RETURNED,
            comment="佐证不足",
        )
        self.assertEqual(problem.status, S.RECTIFYING)
        self.assertEqual(Transition.objects.filter(problem=problem).last().reason, "佐证不足")  # type: ignore[union-attr]
        actions.check_report_progress(
            problem, actor=self.teacher, progress=100, text="补充了材料", files=[(png(), "after")]
        )
        actions.check_request_closure(problem, actor=self.teacher, text="补充了材料")
        actions.check_verify(
            problem,
            verifier=self.county_admin,
            outcome=Verification.Outcome.APPROVED,
            comment="同意",
        )
        self.assertEqual(problem.status, S.CLOSED)
        self.assertEqual(Verification.objects.filter(problem=problem).count(), 2)

    def test_long_term_items_are_stage_completed_and_stay_under_watch(self) -> None:
        problem = self.awaiting_verification(
            rectification_type=Problem.RectificationType.LONG_TERM, deadline_workdays=None
        )
        actions.check_verify(
            problem,
            verifier=self.county_admin,
            outcome=Verification.Outcome.STAGE_APPROVED,
            comment="阶段完成",
        )
        self.assertEqual(problem.status, S.STAGE_COMPLETED)
        # Not closed (销号): it stays on the ledger, without a deadline's light. (Nothing resumes
        # it yet: the workflow's 恢复整改 has no action, see test_workflow_machine.)
        self.assertIsNone(problem.closed_at)
        self.assertEqual(problem.light, "")

    def test_stage_completion_is_only_for_long_term_items(self) -> None:
        problem = self.awaiting_verification()
        with self.assertRaisesMessage(ValidationError, "只有“长期坚持”类问题"):
            actions.check_verify(
                problem,
                verifier=self.county_admin,
                outcome=Verification.Outcome.STAGE_APPROVED,
                comment="x",
            )

    def test_immediate_items_are_still_verified(self) -> None:
        problem = self.awaiting_verification(
            rectification_type=Problem.RectificationType.IMMEDIATE, deadline_workdays=None
        )
        self.assertEqual(problem.status, S.CLOSURE_REQUESTED)  # not closed by itself
        self.assertIsNotNone(problem.deadline)  # one working day from assignment
        actions.check_verify(
            problem,
            verifier=self.county_admin,
            outcome=Verification.Outcome.APPROVED,
            comment="现场核实",
        )
        self.assertEqual(problem.status, S.CLOSED)

    def test_closure_needs_after_evidence(self) -> None:
        problem = actions.do_accept(self.assigned(), actor=self.teacher)
        actions.check_report_progress(problem, actor=self.teacher, progress=90, text="口头完成")
        with self.assertRaisesMessage(ValidationError, "申请销号前请上传整改后的佐证材料"):
            actions.check_request_closure(problem, actor=self.teacher, text="已完成")
        self.assertEqual(Problem.objects.get(pk=problem.pk).status, S.RECTIFYING)

    def test_withdrawal_needs_a_reason(self) -> None:
        problem = self.assigned()
        with self.assertRaisesMessage(ValidationError, "撤回须填写原因"):
            actions.check_withdraw(problem, actor=self.bureau_admin, reason=" ")
        actions.check_withdraw(problem, actor=self.bureau_admin, reason="重复登记")
        self.assertEqual(problem.status, S.WITHDRAWN)
        with self.assertRaises(workflow.InvalidTransition):
            actions.check_withdraw(problem, actor=self.bureau_admin, reason="again")


class SeparationOfDutiesTestCase(LedgerTestCase):
    def test_the_responsible_person_cannot_verify(self) -> None:
        problem = self.awaiting_verification()
        with self.assertRaisesMessage(ValidationError, "整改责任人不能审核自己的销号申请"):
            actions.check_verify(
                problem, verifier=self.teacher, outcome=Verification.Outcome.APPROVED, comment="ok"
            )
        self.assertEqual(Problem.objects.get(pk=problem.pk).status, S.CLOSURE_REQUESTED)

    def test_someone_of_the_responsible_unit_cannot_verify(self) -> None:
        problem = self.awaiting_verification()
        with self.assertRaisesMessage(ValidationError, "责任单位的人员不能审核本单位的销号申请"):
            actions.check_verify(
                problem,
                verifier=self.school_admin,
                outcome=Verification.Outcome.APPROVED,
                comment="ok",
            )

    def test_the_county_verifies_a_school(self) -> None:
        problem = self.awaiting_verification()
        actions.check_verify(
            problem, verifier=self.county_admin, outcome=Verification.Outcome.APPROVED, comment="ok"
        )
        self.assertEqual(problem.status, S.CLOSED)


class FeedbackGateTestCase(LedgerTestCase):
    def test_a_public_problem_closes_only_after_both_feedbacks(self) -> None:
        problem = self.awaiting_verification(
            source=Problem.Source.CHANNEL, source_ref="T2026000123"
        )
        with self.assertRaisesMessage(ValidationError, "须先答复反映人"):
            actions.check_verify(
                problem,
                verifier=self.county_admin,
                outcome=Verification.Outcome.APPROVED,
                comment="ok",
            )
        actions.check_add_feedback(
            problem, actor=self.county_admin, kind=Feedback.Kind.REPORTER_ANSWER, text="已答复"
        )
        refused = "须先在“整改进度公开”页面公开整改进度"
        with self.assertRaisesMessage(ValidationError, refused):
            actions.check_verify(
                problem,
                verifier=self.county_admin,
                outcome=Verification.Outcome.APPROVED,
                comment="ok",
            )
        # A note typed as public progress is not publication: nobody outside can read it.
        entry = actions.check_add_feedback(
            problem,
            actor=self.county_admin,
            kind=Feedback.Kind.PUBLIC_PROGRESS,
            text="已整改，联系电话 13812345678",
        )
        self.assertIn("联系电话 ***********", entry.text)  # public: nothing of it is left
        with self.assertRaisesMessage(ValidationError, refused):
            actions.check_verify(
                problem,
                verifier=self.county_admin,
                outcome=Verification.Outcome.APPROVED,
                comment="ok",
            )
        # Published, then withdrawn from /progress/ again: still not public.
        actions.check_set_disclosure(
            problem, actor=self.bureau_admin, public_text="已整改", publish=True
        )
        actions.check_set_disclosure(
            problem, actor=self.bureau_admin, public_text="已整改", publish=False
        )
        with self.assertRaisesMessage(ValidationError, refused):
            actions.check_verify(
                problem,
                verifier=self.county_admin,
                outcome=Verification.Outcome.APPROVED,
                comment="ok",
            )
        actions.check_set_disclosure(
            problem, actor=self.bureau_admin, public_text="费用已全部退回", publish=True
        )
        actions.check_verify(
            problem, verifier=self.county_admin, outcome=Verification.Outcome.APPROVED, comment="ok"
        )
        self.assertEqual(problem.status, S.CLOSED)

    def test_a_self_check_problem_needs_no_public_feedback(self) -> None:
        problem = self.awaiting_verification()
        actions.check_verify(
            problem, verifier=self.county_admin, outcome=Verification.Outcome.APPROVED, comment="ok"
        )
        self.assertEqual(problem.status, S.CLOSED)


class MeasuresGateTestCase(LedgerTestCase):
    """A problem closes once each of its measures is done; a long-term item (长期坚持) is
    judged by stage instead."""

    def test_a_long_term_item_asks_and_closes_with_measures_open(self) -> None:
        problem = self.rectifying(rectification_type=Problem.RectificationType.LONG_TERM)
        actions.check_request_closure(problem, actor=self.teacher, text="阶段任务完成")
        actions.check_verify(
            problem, verifier=self.county_admin, outcome="stage_approved", comment="阶段完成"
        )
        self.assertEqual(problem.status, S.STAGE_COMPLETED)
        self.assertEqual(problem.measures.exclude(status="done").count(), 2)

    def test_a_verifier_cannot_close_an_item_reclassified_with_measures_open(self) -> None:
        problem = self.rectifying(rectification_type=Problem.RectificationType.LONG_TERM)
        actions.check_request_closure(problem, actor=self.teacher, text="已完成")
        actions.check_update_problem(
            problem,
            actor=self.county_admin,
            rectification_type=Problem.RectificationType.TIME_LIMITED,
        )
        with self.assertRaisesMessage(ValidationError, "尚有 2 项整改措施未完成，不能销号"):
            actions.check_verify(
                problem, verifier=self.county_admin, outcome="approved", comment="ok"
            )
        self.assertEqual(problem.status, S.CLOSURE_REQUESTED)
        actions.check_verify(problem, verifier=self.county_admin, outcome="returned", comment="补")
        self.finish_measures(problem)
        actions.check_report_progress(
            problem, actor=self.teacher, progress=100, text="补拍", files=[(png(), "after")]
        )
        actions.check_request_closure(problem, actor=self.teacher, text="措施均已完成")
        actions.check_verify(problem, verifier=self.county_admin, outcome="approved", comment="ok")
        self.assertEqual(problem.status, S.CLOSED)


class ResubmissionTestCase(LedgerTestCase):
    """After 退回重改, the same photos again show nothing new: a closure request needs new
    after-rectification evidence, and a file identical to one the verifier returned is refused."""

    def test_a_returned_problem_needs_new_evidence_before_it_asks_again(self) -> None:
        photo = PNG + b"classroom"
        problem = actions.check_request_closure(
            self._rectifying_with(photo), actor=self.teacher, text="已整改"
        )
        with time_machine.travel(timezone.now() + timedelta(minutes=5)):
            actions.check_verify(
                problem, verifier=self.county_admin, outcome="returned", comment="照片看不出整改"
            )
        with time_machine.travel(timezone.now() + timedelta(minutes=10)):
            with self.assertRaisesMessage(ValidationError, "须上传新的整改后佐证材料"):
                actions.check_request_closure(problem, actor=self.teacher, text="再次申请")
            with self.assertRaisesMessage(ValidationError, "与退回重改前提交的佐证相同"):
                actions.check_report_progress(
                    problem,
                    actor=self.teacher,
                    progress=90,
                    text="重新拍照",
                    files=[(png("again.png", content=photo), "after")],
                )
            self.assertEqual(problem.reports.count(), 1)  # the refused report wrote nothing
            actions.check_report_progress(
                problem,
                actor=self.teacher,
                progress=95,
                text="补拍整改后照片",
                files=[(png(), "after")],
            )
            actions.check_request_closure(problem, actor=self.teacher, text="再次申请")
        self.assertEqual(problem.status, S.CLOSURE_REQUESTED)

    def _rectifying_with(self, photo: bytes) -> Problem:
        problem = actions.do_accept(self.assigned(), actor=self.teacher)
        actions.check_report_progress(
            problem,
            actor=self.teacher,
            progress=80,
            text="已整改",
            files=[(png("after.png", content=photo), "after")],
            measures_done=list(problem.measures.values_list("pk", flat=True)),
        )
        return problem
