from __future__ import annotations

from datetime import date

import time_machine

from qingfeng.core.models import Escalation, Notification
from qingfeng.intake import actions, deadlines
from qingfeng.intake.actions import handling
from qingfeng.intake.models import Ticket
from qingfeng.intake.tests.handling_base import IntakeTestCase


def d(text: str) -> date:
    return date.fromisoformat(text)


class TicketLightsTestCase(IntakeTestCase):
    def light(self, ticket: Ticket) -> str:
        return Ticket.objects.get(pk=ticket.pk).light

    def test_acceptance_is_due_after_national_day_not_during_it(self) -> None:
        with time_machine.travel("2026-09-30 10:00 +0800"):
            ticket = self.make_ticket()
        # 10月1日–7日 放假: one working day after 30 September is 8 October.
        self.assertEqual(ticket.accept_due, d("2026-10-08"))
        self.assertEqual(ticket.light, "green")
        deadlines.recompute_lights(d("2026-10-05"))
        self.assertEqual(self.light(ticket), "green")
        deadlines.recompute_lights(d("2026-10-08"))
        self.assertEqual(self.light(ticket), "yellow")
        deadlines.recompute_lights(d("2026-10-09"))
        self.assertEqual(self.light(ticket), "red")
        self.assertEqual(Ticket.objects.get(pk=ticket.pk).urgency, 0)

    def test_the_reply_clock_counts_the_make_up_saturday(self) -> None:
        with time_machine.travel("2026-09-28 10:00 +0800"):
            ticket = self.assigned()
        # 9/29, 9/30, 10/8, 10/9, 10/10 (make-up Saturday), then two weeks: 23 October.
        self.assertEqual(ticket.reply_due, d("2026-10-23"))
        deadlines.recompute_lights(d("2026-10-19"))
        self.assertEqual(self.light(ticket), "green")
        deadlines.recompute_lights(d("2026-10-20"))
        self.assertEqual(self.light(ticket), "yellow")
        deadlines.recompute_lights(d("2026-10-26"))
        self.assertEqual(self.light(ticket), "red")

    def test_recompute_agrees_with_the_light_set_on_each_change(self) -> None:
        for day in ("2026-09-25", "2026-09-30", "2026-10-07", "2026-10-10", "2026-12-31"):
            deadlines.recompute_lights(d(day))  # the earlier days' tickets move on first
            with time_machine.travel(f"{day} 09:00 +0800"):
                self.make_ticket()
                self.assigned()
            self.assertEqual(deadlines.recompute_lights(d(day)), 0, day)

    def test_answered_and_closed_tickets_have_no_light(self) -> None:
        ticket = self.replied()
        deadlines.recompute_lights(d("2027-06-01"))
        self.assertEqual(self.light(ticket), "")
        self.assertEqual(Ticket.objects.get(pk=ticket.pk).due_key, date.max)


class TicketEscalationTestCase(IntakeTestCase):
    def test_each_stage_is_sent_once_per_due_date(self) -> None:
        with time_machine.travel("2026-11-23 10:00 +0800"):
            ticket = self.make_ticket()  # acceptance due 24 November
        deadlines.recompute_lights(d("2026-11-24"))
        self.assertEqual(deadlines.escalate(d("2026-11-24")), 1)
        self.assertEqual(deadlines.escalate(d("2026-11-24")), 0)
        self.assertTrue(
            Notification.objects.filter(
                recipient=self.bureau_admin, title__startswith="【催办】"
            ).exists()
        )
        deadlines.recompute_lights(d("2026-11-25"))
        deadlines.escalate(d("2026-11-25"))
        deadlines.recompute_lights(d("2026-12-01"))
        deadlines.escalate(d("2026-12-01"))
        self.assertEqual(
            set(
                Escalation.objects.filter(subject="intake.ticket", object_id=ticket.pk).values_list(
                    "stage", flat=True
                )
            ),
            {"remind", "notice", "escalate"},
        )
        # Nothing of the report in any reminder: the number only.
        for note in Notification.objects.all():
            self.assertNotIn("教辅", note.title + note.body)

    def test_a_late_reply_reminds_the_handling_unit(self) -> None:
        with time_machine.travel("2026-11-02 10:00 +0800"):
            ticket = self.assigned()
        handling.do_start(ticket, actor=self.school_admin)
        due = Ticket.objects.get(pk=ticket.pk).reply_due
        assert due is not None
        deadlines.recompute_lights(due)
        deadlines.escalate(due)
        self.assertTrue(
            Notification.objects.filter(
                recipient=self.school_admin, title__startswith="【催办】"
            ).exists()
        )

    def test_the_periodic_task_runs_both(self) -> None:
        from qingfeng.intake import tasks

        ticket = self.make_ticket()
        Ticket.objects.filter(pk=ticket.pk).update(light="", urgency=3)  # as filed on the web
        self.assertEqual(tasks.intake_lights.call_local(), 1)
        self.assertEqual(Ticket.objects.get(pk=ticket.pk).light, "green")
        result = tasks.intake_lights_and_escalation.call_local()
        self.assertEqual(len(result), 2)


class RedoDeadlineTestCase(IntakeTestCase):
    """A redo (发回重办) or an escalation (提级办理) starts a new reply clock from that day, with
    the category's working days; the light and the queue order follow it."""

    def replied_on(self, day: str) -> Ticket:
        with time_machine.travel(f"{day} 10:00 +0800"):
            ticket = self.replied()
        return self.fresh(ticket)

    def rate(self, ticket: Ticket, day: str, comment: str) -> Ticket:
        with time_machine.travel(f"{day} 10:00 +0800"):
            actions.check_rate(ticket, rating=1, comment=comment)
        return self.fresh(ticket)

    def test_a_redo_over_national_day_gets_a_new_reply_deadline(self) -> None:
        ticket = self.replied_on("2026-09-01")
        self.assertEqual(ticket.reply_due, d("2026-09-21"))  # 20 Sept is a make-up day
        with time_machine.travel("2026-09-15 10:00 +0800"):
            sooner = self.assigned()  # due between the old date and the new one
        ticket = self.rate(ticket, "2026-09-29", "教辅费没有退")
        self.assertEqual(ticket.status, Ticket.Status.HANDLING)
        # 9/30, the holiday skipped, 10/8–10/10 (make-up Saturday), then 10/12–10/26: 15 days.
        self.assertEqual(ticket.reply_due, d("2026-10-26"))
        self.assertEqual((ticket.light, ticket.due_key), ("green", d("2026-10-26")))
        self.assertIsNone(ticket.replied_at)
        # The old date has passed, the new one has not: green, and queued behind a ticket due
        # sooner.
        deadlines.recompute_lights(d("2026-10-08"))
        self.assertEqual(self.light(ticket), "green")
        assert sooner.reply_due is not None
        self.assertLess(d("2026-09-21"), sooner.reply_due)
        self.assertLess(self.fresh(sooner).due_key, self.fresh(ticket).due_key)
        deadlines.recompute_lights(d("2026-10-27"))
        self.assertEqual(self.light(ticket), "red")

    def test_an_escalation_gets_a_new_reply_deadline_at_the_level_above(self) -> None:
        ticket = self.replied_on("2026-09-01")
        ticket = self.rate(ticket, "2026-09-03", "教辅费没有退")
        with time_machine.travel("2026-09-10 10:00 +0800"):
            handling.check_reply(ticket, actor=self.school_admin, body="已再次核查。")
        ticket = self.rate(ticket, "2026-09-29", "还是没有退")
        self.assertEqual(ticket.status, Ticket.Status.ASSIGNED)
        self.assertEqual(ticket.handling_unit, self.county)
        self.assertEqual(ticket.reply_due, d("2026-10-26"))
        self.assertEqual((ticket.light, ticket.due_key), ("green", d("2026-10-26")))
        self.assertEqual(deadlines.recompute_lights(d("2026-09-29")), 0)

    def light(self, ticket: Ticket) -> str:
        return Ticket.objects.get(pk=ticket.pk).light
