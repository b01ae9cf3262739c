from __future__ import annotations

import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from qingfeng.core.models import AuditEvent, Notification
from qingfeng.intake import workflow
from qingfeng.intake.actions import check_rate, handling
from qingfeng.intake.models import IdentityReveal, Ticket
from qingfeng.intake.tests.handling_base import REPORTER_NAME, REPORTER_PHONE, IntakeTestCase
from qingfeng.ledger import actions as ledger_actions
from qingfeng.ledger.models import Category, Problem
from qingfeng.ledger.tests.base import png
from qingfeng.orgs.models import Person

S = Ticket.Status


class LifeCycleTestCase(IntakeTestCase):
    def test_it_accepts_assigns_handles_replies_and_closes(self) -> None:
        with time_machine.travel("2026-11-23 10:00 +0800"):
            ticket = self.accepted()
        self.assertEqual(ticket.status, S.ACCEPTED)
        # 15 working days from Monday 23 November
        self.assertEqual(str(ticket.reply_due), "2026-12-14")
        handling.check_assign(ticket, actor=self.bureau_admin, unit=self.school, note="请核查")
        self.assertTrue(
            Notification.objects.filter(
                recipient=self.school_admin, title__contains=ticket.number
            ).exists()
        )
        # The notification carries the number, nothing of the report.
        note = Notification.objects.get(recipient=self.school_admin)
        self.assertNotIn("教辅", note.title + note.body)
        handling.do_start(ticket, actor=self.school_admin)
        message = handling.check_reply(ticket, actor=self.school_admin, body="已退还费用。")
        ticket = self.fresh(ticket)
        self.assertEqual(ticket.status, S.REPLIED)
        self.assertIsNotNone(ticket.replied_at)
        self.assertTrue(message.is_reply and not message.internal)
        self.assertEqual(ticket.light, "")
        with self.assertRaises(ValidationError):
            handling.check_close(ticket, actor=self.bureau_admin, note=" ")
        handling.check_close(ticket, actor=self.bureau_admin, note="电话回访，反映人满意")
        ticket = self.fresh(ticket)
        self.assertEqual(ticket.status, S.CLOSED)
        self.assertEqual(
            list(ticket.events.values_list("action", flat=True)),
            ["submit", "accept", "assign", "start", "reply", "close"],
        )
        self.assertTrue(ticket.messages.filter(internal=True, body__startswith="回访").exists())
        actions = set(
            AuditEvent.objects.filter(
                object_id=str(ticket.pk), action__startswith="intake."
            ).values_list("action", flat=True)
        )
        self.assertLessEqual(
            {"intake.ticket.accept", "intake.ticket.assign", "intake.ticket.reply"}, actions
        )

    def test_it_declines_only_with_a_reason_and_then_allows_nothing(self) -> None:
        ticket = self.make_ticket()
        with self.assertRaises(ValidationError):
            handling.check_decline(ticket, actor=self.bureau_admin, reason="  ")
        self.assertEqual(self.fresh(ticket).status, S.RECEIVED)
        handling.check_decline(ticket, actor=self.bureau_admin, reason="不属于教育系统管辖")
        event = ticket.events.get(action="decline")
        self.assertTrue(event.public)
        self.assertEqual(event.reason, "不属于教育系统管辖")
        with self.assertRaises(workflow.InvalidTransition):
            handling.do_accept(self.fresh(ticket), actor=self.bureau_admin)

    def test_a_stale_second_decision_is_refused(self) -> None:
        ticket = self.make_ticket()
        stale = self.fresh(ticket)
        handling.do_accept(ticket, actor=self.bureau_admin)
        with self.assertRaises(workflow.InvalidTransition):
            handling.check_decline(stale, actor=self.hotline, reason="重复")
        self.assertEqual(ticket.events.filter(action="accept").count(), 1)

    def test_a_unit_returns_a_wrongly_assigned_ticket_with_a_reason(self) -> None:
        ticket = self.assigned(unit=self.school2)
        with self.assertRaises(ValidationError):
            handling.check_return(ticket, actor=self.county_admin, reason="")
        handling.check_return(ticket, actor=self.county_admin, reason="反映的是实验小学，不是二中")
        ticket = self.fresh(ticket)
        self.assertEqual(ticket.status, S.ACCEPTED)
        self.assertIsNone(ticket.handling_unit)
        self.assertFalse(ticket.events.get(action="return").public)
        self.assertTrue(
            Notification.objects.filter(
                recipient=self.bureau_admin, title__contains="退回"
            ).exists()
        )
        handling.check_assign(ticket, actor=self.bureau_admin, unit=self.school)
        self.assertEqual(self.fresh(ticket).status, S.ASSIGNED)

    def test_a_redone_ticket_can_be_replied_again(self) -> None:
        ticket = self.replied()
        # 发回重办: the reporter is dissatisfied (the public side's rating).
        check_rate(self.fresh(ticket), rating=1, comment="费用没有退")
        ticket = self.fresh(ticket)
        self.assertEqual(ticket.status, S.HANDLING)
        handling.check_reply(ticket, actor=self.school_admin, body="重新核查，已全额退费。")
        ticket = self.fresh(ticket)
        self.assertEqual(ticket.status, S.REPLIED)
        self.assertIsNotNone(ticket.replied_at)
        self.assertEqual(ticket.messages.filter(is_reply=True).count(), 2)

    def test_internal_notes_are_marked_internal(self) -> None:
        ticket = self.assigned()
        with self.assertRaises(ValidationError):
            handling.check_add_note(ticket, actor=self.school_admin, body="")
        note = handling.check_add_note(ticket, actor=self.school_admin, body="已约谈当事教师")
        self.assertTrue(note.internal)
        self.assertFalse(note.is_reply)


class MergeTestCase(IntakeTestCase):
    def test_the_masters_reply_reaches_every_merged_reporter(self) -> None:
        master = self.assigned()
        dup = self.accepted(reporter_name="李四", reporter_phone="13500001111")
        handling.check_merge(dup, actor=self.bureau_admin, master=master)
        dup = self.fresh(dup)
        self.assertEqual(dup.status, S.MERGED)
        self.assertEqual(dup.master, master)
        handling.check_reply(master, actor=self.school_admin, body="已统一退费。")
        dup = self.fresh(dup)
        self.assertEqual(dup.status, S.REPLIED)
        self.assertIsNotNone(dup.replied_at)
        self.assertEqual(dup.messages.get(is_reply=True).body, "已统一退费。")
        self.assertTrue(dup.events.filter(action="reply", public=True).exists())

    def test_merging_into_an_answered_master_answers_at_once(self) -> None:
        master = self.replied()
        dup = self.make_ticket(anonymous=True, reporter_name="", reporter_phone="")
        handling.check_merge(dup, actor=self.bureau_admin, master=master)
        dup = self.fresh(dup)
        self.assertEqual(dup.status, S.REPLIED)
        self.assertEqual(dup.messages.get(is_reply=True).body, "已责令退还费用，并在全校通报。")

    def test_a_ticket_is_not_merged_into_itself_or_a_duplicate(self) -> None:
        master = self.accepted()
        dup = self.accepted()
        with self.assertRaises(ValidationError):
            handling.check_merge(master, actor=self.bureau_admin, master=master)
        handling.check_merge(dup, actor=self.bureau_admin, master=master)
        third = self.accepted()
        with self.assertRaises(ValidationError):
            handling.check_merge(third, actor=self.bureau_admin, master=self.fresh(dup))

    def test_a_master_with_duplicates_is_not_declined(self) -> None:
        master, dup = self.make_ticket(), self.make_ticket()
        handling.check_merge(dup, actor=self.bureau_admin, master=master)
        with self.assertRaises(ValidationError):
            handling.check_decline(master, actor=self.bureau_admin, reason="不属实")
        self.assertEqual(self.fresh(master).status, S.RECEIVED)

    def test_a_duplicates_own_duplicates_follow_it_to_the_master(self) -> None:
        first, second, third = self.accepted(), self.accepted(), self.accepted()
        handling.check_merge(third, actor=self.bureau_admin, master=second)
        handling.check_merge(second, actor=self.bureau_admin, master=first)
        self.assertEqual(self.fresh(third).master, first)


class HandlerRulesTestCase(IntakeTestCase):
    def test_a_handler_named_in_the_ticket_cannot_be_assigned(self) -> None:
        ticket = self.accepted(unit=self.school2, named_person="钱晓红")
        with self.assertRaises(ValidationError) as caught:
            handling.check_assign(
                ticket, actor=self.bureau_admin, unit=self.county, handler=self.county_admin
            )
        self.assertIn("被反映的人员", str(caught.exception))
        self.assertEqual(self.fresh(ticket).status, S.ACCEPTED)

    def test_nobody_in_the_reported_unit_can_be_the_handler(self) -> None:
        ticket = self.accepted(named_person="")
        with self.assertRaises(ValidationError) as caught:
            handling.check_assign(
                ticket, actor=self.bureau_admin, unit=self.school, handler=self.school_admin
            )
        self.assertIn("被反映单位", str(caught.exception))

    def test_the_reported_school_may_handle_its_ticket_and_the_county_a_named_handler(
        self,
    ) -> None:
        ticket = self.accepted()
        handling.check_assign(
            ticket, actor=self.bureau_admin, unit=self.county, handler=self.county_admin
        )
        ticket = self.fresh(ticket)
        self.assertEqual(ticket.handler, self.county_admin)
        other = self.accepted()
        handling.check_assign(other, actor=self.bureau_admin, unit=self.school)
        self.assertEqual(self.fresh(other).handling_unit, self.school)

    def test_a_handler_outside_the_handling_unit_is_refused(self) -> None:
        ticket = self.accepted()
        with self.assertRaises(ValidationError):
            handling.check_assign(
                ticket, actor=self.bureau_admin, unit=self.county, handler=self.other_school_admin
            )


class RevealTestCase(IntakeTestCase):
    def test_reveal_needs_a_reason_and_is_recorded_and_audited(self) -> None:
        ticket = self.make_ticket()
        with self.assertRaises(ValidationError):
            handling.check_reveal_identity(ticket, actor=self.bureau_admin, reason=" ")
        self.assertFalse(IdentityReveal.objects.exists())
        name, phone = handling.check_reveal_identity(
            ticket, actor=self.bureau_admin, reason="需电话核实情况"
        )
        self.assertEqual((name, phone), (REPORTER_NAME, REPORTER_PHONE))
        reveal = IdentityReveal.objects.get()
        self.assertEqual((reveal.actor, reveal.reason), (self.bureau_admin, "需电话核实情况"))
        event = AuditEvent.objects.get(action="intake.ticket.reveal_identity")
        self.assertEqual(event.actor, self.bureau_admin)
        self.assertNotIn(REPORTER_PHONE, str(event.after) + str(event.before))

    def test_nobody_in_the_reported_unit_can_reveal(self) -> None:
        ticket = self.make_ticket()
        with self.assertRaises(ValidationError):
            handling.check_reveal_identity(ticket, actor=self.school_admin, reason="核实")
        with self.assertRaises(ValidationError):
            handling.check_reveal_identity(ticket, actor=self.county_admin, reason="核实")

    def test_handlers_see_the_content_with_personal_data_masked(self) -> None:
        ticket = self.make_ticket()
        # The bureau's intake staff: numbers masked as in lists, the reporter's name hidden.
        text = handling.masked_content(ticket, viewer=self.bureau_admin)
        self.assertNotIn(REPORTER_PHONE, text)
        self.assertNotIn(REPORTER_NAME, text)
        self.assertIn("137****5555", text)
        # Without a viewer (lists), the strictest reading: nothing of the number is left.
        strict = handling.masked_content(ticket)
        self.assertNotIn("5555", strict)
        self.assertNotIn(REPORTER_NAME, strict)


class LedgerLinkTestCase(IntakeTestCase):
    def setUp(self) -> None:
        self.ledger_category = Category.objects.get(name="教辅材料违规征订")

    def test_a_ticket_and_its_duplicates_become_one_problem_linked_both_ways(self) -> None:
        master = self.assigned(channel=Ticket.Channel.PHONE)
        dup = self.accepted()
        handling.check_merge(dup, actor=self.bureau_admin, master=master)
        problem = handling.check_create_problem_from_ticket(
            dup, actor=self.bureau_admin, category=self.ledger_category
        )
        self.assertEqual(problem.source, Problem.Source.HOTLINE)
        self.assertEqual(problem.source_ref, master.number)
        self.assertEqual(problem.unit, self.school)
        self.assertIn(dup.number, problem.description)
        self.assertNotIn(REPORTER_PHONE, problem.description)
        self.assertNotIn(REPORTER_NAME, problem.description)
        self.assertEqual(set(problem.tickets.all()), {self.fresh(master), self.fresh(dup)})
        with self.assertRaises(ValidationError):
            handling.check_create_problem_from_ticket(
                master, actor=self.bureau_admin, category=self.ledger_category
            )

    def test_the_ledger_feedback_gate_reads_the_tickets_reply_state(self) -> None:
        ticket = self.assigned()
        problem = handling.check_create_problem_from_ticket(
            ticket, actor=self.bureau_admin, category=self.ledger_category
        )
        self.assertEqual(problem.source, Problem.Source.CHANNEL)
        teacher = Person.objects.get(user=self.teacher)
        ledger_actions.check_update_problem(
            problem, actor=self.county_admin, responsible_person=teacher
        )
        ledger_actions.check_assign(problem, actor=self.county_admin)
        ledger_actions.do_accept(problem, actor=self.teacher)
        ledger_actions.check_report_progress(
            problem, actor=self.teacher, progress=100, text="已退费", files=[(png(), "after")]
        )
        ledger_actions.check_request_closure(problem, actor=self.teacher, text="已完成")
        ledger_actions.check_set_disclosure(
            problem, actor=self.bureau_admin, public_text="已整改", publish=True
        )
        # The ticket is not answered yet: no closing, whatever Feedback rows say.
        ledger_actions.check_add_feedback(
            problem, actor=self.county_admin, kind="reporter_answer", text="已电话答复"
        )
        with self.assertRaisesMessage(ValidationError, "答复反映人"):
            ledger_actions.check_verify(
                problem, verifier=self.supervisor, outcome="approved", comment="同意"
            )
        handling.check_reply(ticket, actor=self.school_admin, body="已退费。")
        ledger_actions.check_verify(
            problem, verifier=self.supervisor, outcome="approved", comment="同意销号"
        )
        self.assertEqual(problem.status, Problem.Status.CLOSED)

    def test_a_received_ticket_is_accepted_first(self) -> None:
        with self.assertRaises(ValidationError):
            handling.check_create_problem_from_ticket(
                self.make_ticket(), actor=self.bureau_admin, category=self.ledger_category
            )


class HotlineEntryTestCase(IntakeTestCase):
    def test_an_operator_enters_a_call_with_the_callers_number_encrypted(self) -> None:
        ticket, code = handling.check_enter_call(
            actor=self.hotline,
            channel=Ticket.Channel.PHONE,
            kind=Ticket.Kind.REPORT,
            category=self.category,
            unit=self.school,
            title="学校违规收费",
            content="来电反映学校收取资料费。",
            anonymous=False,
            reporter_name="王大妈",
            reporter_phone="13912340000",
        )
        self.assertEqual(len(code), 20)
        ticket = self.fresh(ticket)
        self.assertEqual((ticket.channel, ticket.entered_by), (Ticket.Channel.PHONE, self.hotline))
        self.assertEqual(ticket.reporter_phone, "13912340000")
        with connection.cursor() as cursor:
            cursor.execute("SELECT reporter_phone FROM intake_ticket WHERE id = %s", [ticket.pk])
            stored = cursor.fetchone()[0]
        self.assertNotIn("13912340000", stored)
        self.assertTrue(
            AuditEvent.objects.filter(action="intake.ticket.enter", actor=self.hotline).exists()
        )

    def test_a_web_channel_is_not_hotline_entry(self) -> None:
        with self.assertRaises(ValidationError):
            handling.check_enter_call(
                actor=self.hotline,
                channel=Ticket.Channel.WEB,
                kind=Ticket.Kind.REPORT,
                category=self.category,
                unit=self.school,
                title="x",
                content="y",
                anonymous=True,
            )
