"""`seed_demo_cases`: the demo's tickets, made through the channel's actions, in every state."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from io import StringIO

from django.core.management import CommandError, call_command
from django.test import TestCase
from django.utils import timezone

from qingfeng.core.audit import verify_chain
from qingfeng.core.models import AuditEvent
from qingfeng.intake import demo, receipts
from qingfeng.intake.models import Ticket, TicketEvent
from qingfeng.ledger.models import Evidence, Problem, Verification
from qingfeng.orgs.models import User

S = Ticket.Status


def this_month() -> datetime:
    """The first moment of this month, local time."""
    return timezone.make_aware(datetime.combine(timezone.localdate().replace(day=1), time.min))


class DemoCasesTestCase(TestCase):
    output: str

    @classmethod
    def setUpTestData(cls) -> None:
        call_command("seed_demo", "--size", "county", "--seed", "3", stdout=StringIO())
        out = StringIO()
        call_command("seed_demo_cases", stdout=out)
        cls.output = out.getvalue()

    def test_every_state_of_the_life_cycle_is_there(self) -> None:
        statuses = set(Ticket.objects.values_list("status", flat=True))
        self.assertEqual(
            statuses, {S.RECEIVED, S.ACCEPTED, S.HANDLING, S.REPLIED, S.CLOSED, S.DECLINED}
        )
        redo = Ticket.objects.get(title="教师节收受家长购物卡")
        self.assertEqual((redo.status, redo.redo_count, redo.rating), (S.HANDLING, 1, 2))
        call = Ticket.objects.get(channel=Ticket.Channel.PHONE)
        self.assertEqual(call.status, S.HANDLING)
        self.assertFalse(call.anonymous)
        self.assertEqual(call.entered_by_id, User.objects.get(username="demo_hotline").pk)
        problem = Problem.objects.get(source_ref__startswith="ZT")
        self.assertEqual(Ticket.objects.get(problem=problem).title, "假期组织有偿补课")

    def test_the_demo_ledger_shows_every_step_and_light(self) -> None:
        own = Problem.objects.exclude(source_ref__startswith="ZT")
        statuses = set(own.values_list("status", flat=True))
        self.assertTrue(
            {"draft", "assigned", "rectifying", "closure_requested", "closed"} <= statuses,
            statuses,
        )
        self.assertTrue({"red", "yellow", "green"} <= set(own.values_list("light", flat=True)))
        self.assertEqual(
            set(own.values_list("list_kind", flat=True)),
            {
                Problem.ListKind.LEADERSHIP,
                Problem.ListKind.DEPARTMENT_RISK,
                Problem.ListKind.PERSONAL,
            },
        )
        for problem in own.filter(status="closed"):
            verification = Verification.objects.get(problem=problem)
            responsible = problem.responsible_person.user if problem.responsible_person else None
            self.assertNotEqual(verification.decided_by, responsible)  # someone else closed it
            self.assertTrue(Evidence.objects.filter(problem=problem).exists())

    def test_it_went_through_the_actions(self) -> None:
        self.assertEqual(
            TicketEvent.objects.filter(action="submit").count(), Ticket.objects.count()
        )
        self.assertTrue(AuditEvent.objects.filter(action="intake.ticket.reply").exists())
        self.assertTrue(AuditEvent.objects.filter(action="intake.ticket.enter").exists())
        self.assertIsNone(verify_chain())

    def test_last_months_tickets_were_received_answered_and_rated_then(self) -> None:
        past = Ticket.objects.filter(created_at__lt=this_month())
        self.assertEqual(past.count(), len(demo.LAST_MONTH))
        last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
        for ticket in past:
            with self.subTest(ticket=ticket.title):
                self.assertIsNotNone(ticket.replied_at)
                assert ticket.replied_at is not None and ticket.reply_due is not None
                self.assertGreaterEqual(timezone.localdate(ticket.created_at), last_month)
                self.assertLess(ticket.created_at, ticket.replied_at)
                self.assertLessEqual(timezone.localdate(ticket.replied_at), ticket.reply_due)
                stamps = list(ticket.events.order_by("id").values_list("created_at", flat=True))
                self.assertEqual(stamps, sorted(stamps))
                self.assertLess(stamps[-1], this_month())
        self.assertEqual(past.filter(rating__isnull=False).count(), 3)

    def test_the_printed_codes_follow_their_tickets(self) -> None:
        codes = [
            line.split("：", 1)[1]
            for line in self.output.splitlines()
            if line.startswith("  ") and "：" in line
        ]
        # The channel's own demo tickets; an observer's suggestion (the oversight demo) is
        # filed by the observer's account and has no receipt code to print; last month's
        # tickets are history, their codes not printed.
        public = Ticket.objects.exclude(channel=Ticket.Channel.OBSERVER).filter(
            created_at__gte=this_month()
        )
        self.assertEqual(len(codes), public.count())
        for code in codes:
            self.assertIsNotNone(receipts.find_by_code(code))

    def test_it_loads_once(self) -> None:
        with self.assertRaises(CommandError):
            call_command("seed_demo_cases", stdout=StringIO())
        out = StringIO()
        call_command("seed_demo_cases", "--if-empty", stdout=out)
        self.assertIn("未重复载入", out.getvalue())


class NoDemoTestCase(TestCase):
    def test_an_installation_without_the_demo_gets_nothing(self) -> None:
        out = StringIO()
        call_command("seed_demo_cases", "--if-empty", stdout=out)  # as `make run` does
        self.assertIn("没有演示账号", out.getvalue())
        self.assertFalse(Ticket.objects.exists())
        with self.assertRaises(CommandError):
            call_command("seed_demo_cases", stdout=StringIO())
