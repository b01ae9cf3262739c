"""A period that is over is read as it stood at its end: a problem withdrawn, a ticket answered,
moved to another unit or rated, or a task done after the week (or the quarter) leaves that
period's figures as they were, while the next period sees the change."""

from __future__ import annotations

from datetime import date, timedelta

import time_machine

from qingfeng.campaigns import actions, selectors
from qingfeng.campaigns.tests.base import MONDAY, CampaignCase
from qingfeng.intake.actions import check_rate, check_submit_ticket, handling
from qingfeng.intake.models import Ticket, TicketCategory
from qingfeng.ledger import actions as ledger_actions
from qingfeng.ledger.models import Category, Problem
from qingfeng.orgs.models import Person, Unit

SUNDAY = MONDAY + timedelta(days=6)
NEXT = MONDAY + timedelta(days=7)


def at(day: str) -> time_machine.travel:
    return time_machine.travel(f"{day} 10:00 +0800", tick=False)


class PeriodEndTestCase(CampaignCase):
    def problem(self) -> Problem:
        problem = ledger_actions.check_create_problem(
            actor=self.county_admin,
            unit=self.school,
            measures=["退回费用"],
            list_kind=Problem.ListKind.PERSONAL,
            source=Problem.Source.SELF_CHECK,
            category=Category.objects.get(name="教辅材料违规征订"),
            dimension=Problem.Dimension.INTEGRITY,
            title="违规推荐教辅材料",
            description="三年级推荐学生购买指定教辅。",
            rectification_type=Problem.RectificationType.TIME_LIMITED,
            deadline=date(2026, 11, 4),
            responsible_person=Person.objects.get(user=self.teacher),
        )
        return ledger_actions.check_assign(problem, actor=self.county_admin)

    def week(self, week_start: date) -> dict[str, int]:
        return selectors.prefill(self.school, week_start)

    def test_a_problem_withdrawn_after_the_week_stays_open_in_that_week(self) -> None:
        with at("2026-11-03"):
            problem = self.problem()
        with at("2026-11-09"):
            before = self.week(MONDAY)
        for key in ("problems_new", "problems_open", "problems_overdue", "problems_red"):
            self.assertEqual(before[key], 1, key)
        with at("2026-11-10"):
            ledger_actions.check_withdraw(problem, actor=self.county_admin, reason="重复登记")
            after = self.week(MONDAY)
            next_week = self.week(NEXT)
        self.assertEqual(after, before)  # the past week did not move
        self.assertEqual((next_week["problems_open"], next_week["problems_overdue"]), (0, 0))
        # The quarter, read after it ended, as it stood on 31 December: withdrawn within it
        # (not a new problem), while another one registered on 28 December and withdrawn in
        # January was still open.
        with at("2026-12-28"):
            late = self.problem()
        with at("2027-01-04"):
            ledger_actions.check_withdraw(late, actor=self.county_admin, reason="重复登记")
        with at("2027-01-05"):
            quarter = selectors.figures_for([self.school.pk], date(2026, 10, 1), date(2026, 12, 31))
        self.assertEqual(quarter[self.school.pk]["problems_new"], 1)
        self.assertEqual(quarter[self.school.pk]["problems_open"], 1)
        self.assertEqual(quarter[self.school.pk]["problems_overdue"], 1)

    def test_a_week_still_running_reads_todays_state(self) -> None:
        with at("2026-11-03"):
            problem = self.problem()
            ledger_actions.check_withdraw(problem, actor=self.county_admin, reason="重复登记")
            self.assertEqual(self.week(MONDAY)["problems_open"], 0)
            self.assertEqual(self.week(MONDAY)["problems_new"], 0)

    def test_a_task_done_after_the_week_was_overdue_in_it(self) -> None:
        task = self.issue(due_workdays=2, categories=[Unit.Category.SCHOOL])
        assignment = task.assignments.get(unit=self.school)
        with at("2026-11-09"):
            self.assertEqual(
                selectors.figures_for([self.school.pk], MONDAY, SUNDAY)[self.school.pk][
                    "tasks_overdue"
                ],
                1,
            )
        with at("2026-11-10"):
            actions.check_confirm_assignment(assignment, actor=self.school_admin, note="已完成")
            figures = selectors.figures_for([self.school.pk], MONDAY, SUNDAY)[self.school.pk]
            self.assertEqual(figures["tasks_overdue"], 1)
            later = selectors.figures_for([self.school.pk], NEXT, NEXT + timedelta(days=6))
            self.assertEqual(later[self.school.pk]["tasks_overdue"], 0)


class TicketsAtPeriodEndTestCase(CampaignCase):
    """The channel's figures of a past week: by the unit that handled the ticket then, the
    replies made in it (even one sent back for redo later), the ratings given in it."""

    def ticket(self) -> Ticket:
        ticket, _code = check_submit_ticket(
            kind=Ticket.Kind.COMPLAINT,
            category=TicketCategory.objects.get(name="乱收费乱办班乱订资料"),
            unit=self.school,
            title="老师要求购买指定教辅",
            content="三年级老师要求每人购买１２０元教辅。",
            anonymous=True,
        )
        handling.do_accept(ticket, actor=self.bureau_admin)
        return handling.check_assign(ticket, actor=self.bureau_admin, unit=self.school)

    def week(self, week_start: date) -> dict[int, dict[str, int]]:
        return selectors.figures_for(
            [self.school.pk, self.school2.pk, self.county.pk],
            week_start,
            week_start + timedelta(days=6),
        )

    def test_a_ticket_moved_after_the_week_stays_with_its_unit_then(self) -> None:
        with at("2026-11-03"):
            moved = self.ticket()
        with at("2026-11-09"):
            before = self.week(MONDAY)
        self.assertEqual(before[self.school.pk]["tickets_received"], 1)
        with at("2026-11-10"):
            handling.check_return(moved, actor=self.school_admin, reason="不属于本校")
            handling.check_assign(moved, actor=self.bureau_admin, unit=self.school2)
            after = self.week(MONDAY)
        self.assertEqual(after, before)
        with at("2026-11-17"):
            next_week = self.week(NEXT)
        self.assertEqual(next_week[self.school2.pk]["tickets_received"], 0)  # received before
        tickets = {k: v for k, v in next_week[self.school.pk].items() if k.startswith("tickets_")}
        self.assertEqual(tickets, dict.fromkeys(tickets, 0))
        self.assertEqual(len(tickets), 5)

    def test_a_late_rating_and_a_later_redo_leave_the_week_as_it_was(self) -> None:
        with at("2026-11-03"):
            rated_late = self.ticket()
            redone = self.ticket()
            handling.do_start(rated_late, actor=self.school_admin)
            handling.do_start(redone, actor=self.school_admin)
            handling.check_reply(rated_late, actor=self.school_admin, body="已退回全部费用。")
            handling.check_reply(redone, actor=self.school_admin, body="已退回全部费用。")
        with at("2026-11-09"):
            before = self.week(MONDAY)[self.school.pk]
        self.assertEqual((before["tickets_replied"], before["tickets_rated"]), (2, 0))
        with at("2026-11-10"):
            check_rate(Ticket.objects.get(pk=rated_late.pk), rating=5, comment="")
            check_rate(Ticket.objects.get(pk=redone.pk), rating=1, comment="费用没有退")
            after = self.week(MONDAY)[self.school.pk]
        self.assertEqual(after, before)
        # While the week runs it reads today's state; once over, its own events.
        with at("2026-11-17"):
            next_week = self.week(NEXT)[self.school.pk]
        self.assertEqual((next_week["tickets_replied"], next_week["tickets_rated"]), (0, 0))
        self.assertEqual(next_week["tickets_received"], 0)
