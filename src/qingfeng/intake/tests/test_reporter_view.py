"""intake.selectors.public_timeline: what the follow-up page and the API show a reporter."""

from __future__ import annotations

from qingfeng.intake import selectors
from qingfeng.intake.actions import handling
from qingfeng.intake.models import Ticket
from qingfeng.intake.tests.handling_base import IntakeTestCase


class PublicTimelineTestCase(IntakeTestCase):
    def test_it_shows_the_reporter_only_what_is_meant_for_them(self) -> None:
        ticket = self.accepted()
        handling.check_add_note(ticket, actor=self.bureau_admin, body="内部：先核实周小燕情况")
        handling.check_assign(ticket, actor=self.bureau_admin, unit=self.school, note="限期核查")
        handling.check_return(ticket, actor=self.school_admin, reason="应由县局核查")
        handling.check_assign(ticket, actor=self.bureau_admin, unit=self.school, note="仍请核查")
        handling.do_start(ticket, actor=self.school_admin)
        handling.check_reply(ticket, actor=self.school_admin, body="已责令退还费用。")
        seen = selectors.public_timeline(ticket)
        self.assertEqual([m.body for m in seen.messages], ["已责令退还费用。"])
        public = ticket.events.filter(public=True).count()
        self.assertEqual(len(seen.events), public)
        self.assertLess(public, ticket.events.count())  # the return and its reason are internal
        for row in seen.events:
            self.assertEqual(set(row), {"label", "at", "status", "unit", "reason"})  # no actor
            self.assertNotIn("核", str(row["reason"]))
        self.assertIn(self.school.name, [row["unit"] for row in seen.events])
        self.assertEqual(seen.files, [])

    def test_it_reads_the_ticket_afresh_in_a_fixed_number_of_queries(self) -> None:
        ticket = self.replied()
        stale = Ticket.objects.get(pk=ticket.pk)
        handling.check_add_note(ticket, actor=self.bureau_admin, body="回访前备注")
        # the ticket with its category and unit, the public events, the messages, their files,
        # the report's own files
        with self.assertNumQueries(5):
            seen = selectors.public_timeline(stale)
        self.assertEqual(seen.ticket.status, Ticket.Status.REPLIED)
        self.assertEqual(len(seen.messages), 1)
