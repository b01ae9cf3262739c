"""Deadlines have a history: a problem's deadline extended (or brought forward) and a ticket's
reply deadline restarted after a period ended leave that period's on-time, overdue and red
figures as they were — a past period reads the deadline in force at its end — while the next
period reads the new one. Each change is a row (who, when, old, new, why) and is audited."""

from __future__ import annotations

from datetime import date, timedelta

import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from qingfeng.campaigns import selectors
from qingfeng.campaigns.tests.base import MONDAY, CampaignCase
from qingfeng.core.models import AuditEvent
from qingfeng.intake.actions import check_rate, check_submit_ticket, handling
from qingfeng.intake.models import DeadlineChange as TicketDeadlineChange
from qingfeng.intake.models import Ticket, TicketCategory
from qingfeng.ledger import actions as ledger_actions
from qingfeng.ledger import figures as ledger_figures
from qingfeng.ledger.actions import rechecks
from qingfeng.ledger.models import Category, DeadlineChange, Problem
from qingfeng.ledger.tests.base import PNG
from qingfeng.orgs.models import Person

SUNDAY = MONDAY + timedelta(days=6)
NEXT = MONDAY + timedelta(days=7)


def at(day: str) -> time_machine.travel:
    return time_machine.travel(f"{day} 10:00 +0800", tick=False)


class ProblemDeadlineHistoryTestCase(CampaignCase):
    def problem(self, deadline: date) -> Problem:
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
            deadline=deadline,
            responsible_person=Person.objects.get(user=self.teacher),
        )
        return ledger_actions.check_assign(problem, actor=self.county_admin)

    def close(self, problem: Problem) -> None:
        ledger_actions.do_accept(problem, actor=self.teacher)
        photo = SimpleUploadedFile("after.png", PNG, content_type="image/png")
        ledger_actions.check_report_progress(
            problem,
            actor=self.teacher,
            progress=100,
            text="已退费",
            files=[(photo, "after")],
            measures_done=list(problem.measures.values_list("pk", flat=True)),
        )
        ledger_actions.check_request_closure(problem, actor=self.teacher, text="已完成")
        ledger_actions.check_verify(
            problem, verifier=self.county_admin, outcome="approved", comment="同意"
        )

    def week(self, start: date) -> dict[str, int]:
        figures = selectors.figures_for([self.school.pk], start, start + timedelta(days=6))
        return dict(figures[self.school.pk])

    def test_an_extension_after_the_week_leaves_its_overdue_and_red_counts(self) -> None:
        with at("2026-11-03"):
            problem = self.problem(date(2026, 11, 4))
        with at("2026-11-09"):
            before = self.week(MONDAY)
        self.assertEqual((before["problems_overdue"], before["problems_red"]), (1, 1))
        with at("2026-11-10"):
            ledger_actions.check_update_problem(
                problem,
                actor=self.county_admin,
                deadline=date(2026, 11, 30),
                deadline_reason="需采购新设备，经局领导同意延期",
            )
            after = self.week(MONDAY)
            listed = ledger_figures.narrow(
                Problem.objects.filter(unit=self.school), "problems_overdue", MONDAY, SUNDAY
            )
            self.assertEqual(list(listed), [problem])  # the list behind the count agrees
        self.assertEqual(after, before)  # the past week did not move
        with at("2026-11-17"):
            next_week = self.week(NEXT)
        self.assertEqual((next_week["problems_overdue"], next_week["problems_red"]), (0, 0))
        self.assertEqual(next_week["problems_open"], 1)
        change = DeadlineChange.objects.get(problem=problem)
        self.assertEqual((change.old, change.new), (date(2026, 11, 4), date(2026, 11, 30)))
        self.assertEqual(change.changed_by, self.county_admin)
        self.assertEqual(change.reason, "需采购新设备，经局领导同意延期")
        audit = AuditEvent.objects.filter(action="ledger.problem.update").latest("id")
        assert audit.after is not None and audit.before is not None
        self.assertEqual(audit.after["deadline_reason"], "需采购新设备，经局领导同意延期")
        self.assertEqual(audit.before["deadline"], "2026-11-04")

    def test_two_extensions_each_period_reads_its_own_deadline(self) -> None:
        with at("2026-11-03"):
            problem = self.problem(date(2026, 11, 4))
        with at("2026-11-10"):
            ledger_actions.check_update_problem(
                problem,
                actor=self.county_admin,
                deadline=date(2026, 11, 20),
                deadline_reason="延期",
            )
        with at("2026-11-24"):
            ledger_actions.check_update_problem(
                problem,
                actor=self.county_admin,
                deadline=date(2026, 12, 31),
                deadline_reason="再延期",
            )
            weeks = [self.week(MONDAY + timedelta(days=7 * i)) for i in range(3)]
        # Week 1 against 4 Nov (overdue), week 2 against 20 Nov (not yet due by its Sunday),
        # week 3 against 20 Nov still (overdue: the second extension came after the week).
        self.assertEqual([w["problems_overdue"] for w in weeks], [1, 0, 1])
        self.assertEqual(problem.deadline_changes.count(), 2)

    def test_closed_on_time_stays_on_time_when_the_deadline_moves_later(self) -> None:
        with at("2026-11-03"):
            problem = self.problem(date(2026, 11, 20))
        with at("2026-11-05"):
            self.close(problem)
        with at("2026-11-09"):
            before = self.week(MONDAY)
        self.assertEqual((before["problems_closed"], before["problems_closed_on_time"]), (1, 1))
        # Re-checked and reopened a week later, its deadline then brought forward to 1 Nov.
        with at("2026-11-11"):
            (recheck,) = rechecks.check_add_rechecks(
                [problem.pk], label="回头看", actor=self.bureau_admin
            )
            rechecks.check_decide_recheck(
                recheck, actor=self.supervisor, passed=False, comment="费用未全部退回"
            )
            problem.refresh_from_db()
            ledger_actions.check_update_problem(
                problem, actor=self.county_admin, deadline=date(2026, 11, 1), deadline_reason="更正"
            )
            self.assertEqual(self.week(MONDAY), before)
        reasons = list(problem.deadline_changes.values_list("reason", flat=True))
        self.assertEqual(reasons, ["复查未通过，重新整改：费用未全部退回", "更正"])

    def test_moving_the_deadline_of_an_assigned_problem_needs_a_reason(self) -> None:
        with at("2026-11-03"):
            problem = self.problem(date(2026, 11, 4))
            with self.assertRaises(ValidationError) as raised:
                ledger_actions.check_update_problem(
                    problem, actor=self.county_admin, deadline=date(2026, 11, 30)
                )
        self.assertIn("变更整改时限须说明理由", raised.exception.messages)
        problem.refresh_from_db()
        self.assertEqual(problem.deadline, date(2026, 11, 4))
        self.assertIsNone(problem.deadline_changed_at)
        self.assertFalse(DeadlineChange.objects.exists())

    def test_the_edit_page_asks_for_the_reason_and_the_detail_page_shows_the_history(self) -> None:
        with at("2026-11-03"):
            problem = self.problem(date(2026, 11, 4))
            self.login(self.county_admin)
            url = f"/ledger/{problem.pk}/edit/"
            page = self.client.get(url)
            data = {
                k: ("" if v is None else getattr(v, "pk", v))
                for k, v in page.context["form"].initial.items()
            }
            data["deadline"] = "2026-11-30"
            refused = self.client.post(url, data)
            self.assertContains(refused, "变更整改时限须说明理由")
            data["deadline_reason"] = "等待设备到货"
            self.assertRedirects(self.client.post(url, data), f"/ledger/{problem.pk}/")
            detail = self.client.get(f"/ledger/{problem.pk}/")
        self.assertContains(detail, 'data-testid="deadline-history"')
        self.assertContains(detail, "2026-11-04 → 2026-11-30")
        self.assertContains(detail, "等待设备到货")


class TicketDeadlineHistoryTestCase(CampaignCase):
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

    def week(self, start: date) -> dict[str, int]:
        figures = selectors.figures_for([self.school.pk], start, start + timedelta(days=6))
        return dict(figures[self.school.pk])

    def test_a_redo_after_the_week_leaves_its_overdue_count(self) -> None:
        week, sunday = NEXT, NEXT + timedelta(days=6)
        with at("2026-10-19"):
            ticket = self.ticket()
        due = Ticket.objects.get(pk=ticket.pk).reply_due
        assert due is not None and due < sunday
        with at("2026-11-10"):
            handling.do_start(ticket, actor=self.school_admin)
        with at("2026-11-16"):
            before = self.week(week)
        self.assertEqual(before["tickets_overdue"], 1)
        with at("2026-11-17"):
            handling.check_reply(ticket, actor=self.school_admin, body="已退回全部费用。")
            check_rate(Ticket.objects.get(pk=ticket.pk), rating=1, comment="费用没有退")
            after = self.week(week)
        self.assertEqual(after, before)
        change = TicketDeadlineChange.objects.filter(ticket=ticket).latest("id")
        self.assertEqual(change.old, due)
        assert change.new is not None
        self.assertGreater(change.new, sunday)
        self.assertEqual(change.reason, "发回重办，重新计算办结期限")
        self.assertIsNone(change.changed_by)  # the reporter's rating
        with at("2026-11-24"):
            # The week of the redo: the new deadline, not yet due.
            self.assertEqual(self.week(week + timedelta(days=7))["tickets_overdue"], 0)

    def test_acceptance_restarts_the_reply_deadline_and_says_so(self) -> None:
        with at("2026-11-03"):
            ticket = self.ticket()
        rows = TicketDeadlineChange.objects.filter(ticket=ticket)
        # Filed and accepted the same day: the same date, nothing recorded.
        self.assertFalse(rows.exists())
        with at("2026-11-04"):
            other, _code = check_submit_ticket(
                kind=Ticket.Kind.COMPLAINT,
                category=TicketCategory.objects.get(name="乱收费乱办班乱订资料"),
                unit=self.school,
                title="食堂收费不透明",
                content="食堂每月收费没有公示。",
                anonymous=True,
            )
        with at("2026-11-06"):
            handling.do_accept(other, actor=self.bureau_admin)
        change = TicketDeadlineChange.objects.get(ticket=other)
        self.assertEqual(change.changed_by, self.bureau_admin)
        self.assertEqual(change.reason, "受理，办结期限自受理之日起算")
        audit = AuditEvent.objects.filter(action="intake.ticket.accept").latest("id")
        assert audit.after is not None and change.new is not None
        self.assertEqual(audit.after["reply_due"], change.new.isoformat())
