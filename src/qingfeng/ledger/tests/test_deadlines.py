from __future__ import annotations

from datetime import date

import time_machine
from django.core.exceptions import ValidationError

from qingfeng.core.models import Escalation, Notification
from qingfeng.ledger import actions, deadlines
from qingfeng.ledger.actions import rechecks
from qingfeng.ledger.models import Problem, Recheck, Transition, Verification
from qingfeng.ledger.tests.base import LedgerTestCase, d

L = Problem.Light


class LightsTestCase(LedgerTestCase):
    def test_the_deadline_counts_working_days_across_national_day_and_a_make_up_day(self) -> None:
        with time_machine.travel("2026-09-30 10:00 +0800"):
            problem = self.assigned(deadline_workdays=3)
        # 10月1日–7日 放假; 8日、9日 working; 10日 (Saturday) is a make-up working day
        self.assertEqual(problem.deadline, d("2026-10-10"))

    def test_lights_follow_the_official_calendar(self) -> None:
        problem = self.assigned(deadline_workdays=None, deadline=d("2026-10-09"))
        # Without the holiday, 9月30日 → 10月9日 would be 7 working days (green); it is 2.
        deadlines.recompute_lights(d("2026-09-30"))
        problem.refresh_from_db()
        self.assertEqual(problem.light, L.YELLOW)
        deadlines.recompute_lights(d("2026-09-18"))
        problem.refresh_from_db()
        self.assertEqual(problem.light, L.GREEN)
        deadlines.recompute_lights(d("2026-10-10"))  # the make-up Saturday, one day late
        problem.refresh_from_db()
        self.assertEqual(problem.light, L.RED)
        self.assertEqual(problem.urgency, 0)

    def test_closed_and_draft_problems_have_no_light(self) -> None:
        draft = self.make_problem(deadline_workdays=None, deadline=d("2026-01-05"))
        deadlines.recompute_lights(d("2026-03-01"))
        draft.refresh_from_db()
        self.assertEqual(draft.light, "")

    def test_the_nightly_sweep_gives_the_light_the_page_computes(self) -> None:
        # A deadline typed by hand may be a rest day: due Saturday, seen on the Tuesday before,
        # three working days are left (yellow), though Saturday is after the third one (Friday).
        with time_machine.travel("2026-12-07 09:00 +0800"):
            problem = self.assigned(deadline_workdays=None, deadline=d("2026-12-19"))
        for day in range(7, 22):
            today = date(2026, 12, day)
            deadlines.recompute_lights(today)
            problem.refresh_from_db()
            with self.subTest(today=today):
                self.assertEqual(problem.light, actions.light_for(problem, today))
        deadlines.recompute_lights(d("2026-12-15"))
        problem.refresh_from_db()
        self.assertEqual(problem.light, L.YELLOW)

    def test_recompute_is_idempotent(self) -> None:
        self.assigned(deadline_workdays=None, deadline=d("2026-10-09"))
        deadlines.recompute_lights(d("2026-10-20"))
        self.assertEqual(deadlines.recompute_lights(d("2026-10-20")), 0)


class EscalationTestCase(LedgerTestCase):
    def test_remind_then_notice_then_escalate_each_once(self) -> None:
        problem = self.assigned(deadline_workdays=None, deadline=d("2026-11-20"))
        deadlines.recompute_lights(d("2026-11-18"))
        self.assertEqual(deadlines.escalate(d("2026-11-18")), 1)
        self.assertEqual(deadlines.escalate(d("2026-11-18")), 0)  # once per stage
        self.assertTrue(
            Notification.objects.filter(
                recipient=self.teacher, title__startswith="【催办】"
            ).exists()
        )
        deadlines.recompute_lights(d("2026-11-23"))
        deadlines.escalate(d("2026-11-23"))
        self.assertTrue(
            Notification.objects.filter(
                recipient=self.school_admin, title__startswith="【督办】"
            ).exists()
        )
        deadlines.recompute_lights(d("2026-11-30"))
        deadlines.escalate(d("2026-11-30"))  # 6 working days overdue → the liaison leader
        self.assertTrue(
            Notification.objects.filter(
                recipient=self.leader, title__startswith="【提级督办】"
            ).exists()
        )
        stages = list(
            Escalation.objects.filter(subject="ledger.problem", object_id=problem.pk)
            .order_by("id")
            .values_list("stage", flat=True)
        )
        self.assertEqual(stages, ["remind", "notice", "escalate"])


class RecheckTestCase(LedgerTestCase):
    def test_a_failed_recheck_reopens_the_problem_as_overdue(self) -> None:
        with time_machine.travel("2026-11-10 10:00 +0800"):
            problem = self.awaiting_verification()
            actions.check_verify(
                problem,
                verifier=self.county_admin,
                outcome=Verification.Outcome.APPROVED,
                comment="ok",
            )
        with time_machine.travel("2027-01-02 10:00 +0800"):
            drawn = rechecks.draw_rechecks(d("2027-01-02"), percent=10)
            self.assertEqual([r.problem_id for r in drawn], [problem.pk])
            self.assertEqual(
                rechecks.draw_rechecks(d("2027-01-02"), percent=10), []
            )  # once a quarter
            recheck = Recheck.objects.get(problem=problem)
            rechecks.check_decide_recheck(
                recheck, actor=self.supervisor, passed=False, comment="又出现推荐教辅"
            )
        problem.refresh_from_db()
        self.assertEqual(problem.status, Problem.Status.RECTIFYING)
        self.assertEqual(problem.light, L.RED)
        self.assertIsNone(problem.closed_at)
        self.assertEqual(Transition.objects.filter(problem=problem).last().action, "reopen")  # type: ignore[union-attr]

    def test_a_passed_recheck_keeps_it_closed(self) -> None:
        problem, recheck = self.closed_and_drawn()
        rechecks.check_decide_recheck(
            recheck, actor=self.supervisor, passed=True, comment="巩固良好"
        )
        problem.refresh_from_db()
        self.assertEqual(problem.status, Problem.Status.CLOSED)

    def closed_and_drawn(self) -> tuple[Problem, Recheck]:
        with time_machine.travel("2026-11-10 10:00 +0800"):
            problem = self.awaiting_verification()
            actions.check_verify(
                problem,
                verifier=self.county_admin,
                outcome=Verification.Outcome.APPROVED,
                comment="ok",
            )
        return problem, rechecks.draw_rechecks(d("2027-01-05"), percent=50)[0]

    def test_nobody_of_the_responsible_unit_decides_its_recheck(self) -> None:
        problem, recheck = self.closed_and_drawn()
        for actor, message in (
            (self.teacher, "整改责任人不能审核自己的销号申请"),
            (self.school_admin, "责任单位的人员不能审核本单位的销号申请"),
        ):
            with self.subTest(actor=actor.username), self.assertRaises(ValidationError) as caught:
                rechecks.check_decide_recheck(
                    recheck, actor=actor, passed=True, comment="自查没有反弹"
                )
            self.assertEqual(caught.exception.messages, [message])
        self.assertEqual(Recheck.objects.get(pk=recheck.pk).outcome, Recheck.Outcome.PENDING)
        self.assertEqual(Problem.objects.get(pk=problem.pk).status, Problem.Status.CLOSED)

    def test_a_recheck_is_decided_once_even_from_a_stale_page(self) -> None:
        problem, recheck = self.closed_and_drawn()
        stale = Recheck.objects.get(pk=recheck.pk)
        rechecks.check_decide_recheck(recheck, actor=self.supervisor, passed=True, comment="巩固")
        with self.assertRaises(ValidationError) as caught:
            rechecks.check_decide_recheck(
                stale, actor=self.county_admin, passed=False, comment="反弹"
            )
        self.assertEqual(caught.exception.messages, ["该复查已有结论"])
        self.assertEqual(Problem.objects.get(pk=problem.pk).status, Problem.Status.CLOSED)
        self.assertFalse(Transition.objects.filter(problem=problem, action="reopen").exists())
