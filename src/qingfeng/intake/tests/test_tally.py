"""The queue's kept counts (intake.TicketTally, core/tally.py) equal a count of the tickets
after every kind of write, and the queue's light counts from them equal the rows counted, for
every persona and every filter the counts hold."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from qingfeng.intake import deadlines, selectors
from qingfeng.intake.actions import handling
from qingfeng.intake.models import TICKET_TALLY, Ticket, TicketTally
from qingfeng.intake.tests.handling_base import IntakeTestCase


class TicketTallyTestCase(IntakeTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.new = self.make_ticket(title="新件")
        self.no_unit = self.make_ticket(title="未指明单位", unit=None)
        self.assigned_one = self.assigned(title="已交办")
        self.other = self.assigned(unit=self.other_school, title="他校")
        self.personal = self.assigned(title="交给个人", unit=self.county, handler=self.county_admin)
        self.answered = self.replied(title="已答复")

    def test_every_kind_of_write_keeps_the_counts_exact(self) -> None:
        self.assertEqual(TICKET_TALLY.check(), [])
        # NULL columns are kept as 0: the ticket with no unit is one row, not a new one per change.
        self.assertEqual(sum(TicketTally.objects.filter(unit_id=0).values_list("n", flat=True)), 1)
        handling.do_accept(self.no_unit, actor=self.bureau_admin)
        self.assertEqual(TICKET_TALLY.check(), [])
        # The nightly light sweep: one UPDATE over many rows.
        deadlines.recompute_lights(timezone.localdate() + timedelta(days=30))
        self.assertEqual(TICKET_TALLY.check(), [])
        Ticket.objects.filter(pk=self.other.pk).update(handling_unit=None, handler=None)
        Ticket.objects.filter(pk=self.new.pk).delete()
        self.assertEqual(TICKET_TALLY.check(), [])

    def test_a_rebuild_repairs_counts_written_around_the_triggers(self) -> None:
        TicketTally.objects.update(n=5)
        self.assertNotEqual(TICKET_TALLY.check(), [])
        TICKET_TALLY.rebuild()
        self.assertEqual(TICKET_TALLY.check(), [])

    def test_the_queues_light_counts_from_the_counts_equal_the_rows_counted(self) -> None:
        deadlines.recompute_lights(timezone.localdate() + timedelta(days=9))
        filters = [
            selectors.TicketFilter(),
            selectors.TicketFilter(status="all"),
            selectors.TicketFilter(status=Ticket.Status.ASSIGNED),
            selectors.TicketFilter(status=Ticket.Status.RECEIVED),
            selectors.TicketFilter(unit=self.school),
            selectors.TicketFilter(unit=self.county, status="all"),
        ]
        personas = [
            self.bureau_admin,
            self.hotline,
            self.county_admin,
            self.school_admin,
            self.other_school_admin,
            self.teacher,
            self.auditor,
        ]
        for user in personas:
            for f in filters:
                with self.subTest(user=user.username, f=f):
                    kept = selectors.queue_lights(user, f)
                    counted = selectors.counts_by_light(selectors.filter_tickets(user, f))
                    self.assertEqual(kept, counted)
        # Some persona sees something, or the comparison above proved little.
        everything = selectors.queue_lights(self.bureau_admin, filters[1])
        assert everything is not None
        self.assertGreater(sum(everything.values()), 4)

    def test_filters_the_counts_do_not_hold_are_counted_from_the_tickets(self) -> None:
        for f in (
            selectors.TicketFilter(text="教辅"),
            selectors.TicketFilter(kind=Ticket.Kind.REPORT),
            selectors.TicketFilter(category=self.category.pk),
            selectors.TicketFilter(light="red"),
        ):
            with self.subTest(f=f):
                self.assertIsNone(selectors.queue_lights(self.bureau_admin, f))

    def test_the_queue_page_shows_the_kept_counts(self) -> None:
        self.login(self.bureau_admin)
        response = self.client.get("/intake/")
        self.assertEqual(response.status_code, 200)
        counted = selectors.counts_by_light(
            selectors.filter_tickets(self.bureau_admin, selectors.TicketFilter())
        )
        self.assertEqual(response.context["lights"], counted)

    def test_the_home_card_counts_the_open_tickets_of_the_queue(self) -> None:
        for user in (self.bureau_admin, self.county_admin, self.school_admin):
            with self.subTest(user=user.username):
                self.login(user)
                response = self.client.get("/")
                card = response.context["intake_lights"]
                queue = selectors.counts_by_light(
                    selectors.filter_tickets(user, selectors.TicketFilter())
                )
                self.assertEqual(card, queue)
                waiting = (
                    selectors.tickets_visible_to(user).filter(status=Ticket.Status.RECEIVED).count()
                )
                self.assertEqual(response.context["intake_waiting"], waiting)
                self.assertContains(response, 'data-testid="intake-overview"')
        self.login(self.teacher)
        self.assertNotContains(self.client.get("/"), 'data-testid="intake-overview"')
