"""The queue's kept counts (intake.TicketTally, core/tally.py) equal a count of the tickets
after every kind of write, and the queue's light counts from them equal the rows counted, for
every persona and every filter the counts hold."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from qingfeng.core.tally import fold_rollups
from qingfeng.intake import deadlines, selectors
from qingfeng.intake.actions import handling
from qingfeng.intake.models import TICKET_TALLY, Ticket, TicketSubtreeTally, TicketTally
from qingfeng.intake.tests.handling_base import IntakeTestCase
from qingfeng.orgs.actions import check_move_unit, do_grant_role
from qingfeng.orgs.models import Role, User
from qingfeng.test import make_user


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


class TicketSubtreeTallyTestCase(IntakeTestCase):
    """The home card's counts from the subtree sums (selectors.kept_open: TicketSubtreeTally
    and what is not folded into it yet) equal a count of the open tickets the user may see —
    "about or handled in the scope", each ticket once — after writes of every kind, folded
    or not."""

    def setUp(self) -> None:
        super().setUp()
        # An intake office over one county, who also handles for the other county's school.
        self.county_office = make_user(
            "county_office", unit=self.county, role=Role.CAMPAIGN_OFFICE, name="孙办事"
        )
        do_grant_role(self.county_office, actor=None, role=Role.UNIT_ADMIN, unit=self.other_school)
        self.personas = [
            self.bureau_admin,
            self.hotline,
            self.county_office,
            self.county_admin,
            self.school_admin,
            self.teacher,
        ]

    def counted(self, user: User) -> dict[tuple[str, int], int]:
        rows = (
            selectors.tickets_visible_to(user)
            .filter(status__in=selectors.OPEN)
            .values("status", "urgency")
            .annotate(n=Count("id"))
            .order_by()
        )
        return {(r["status"], r["urgency"]): r["n"] for r in rows}

    def assert_exact(self, step: str) -> None:
        for folded in (False, True):
            if folded:
                fold_rollups()
            for user in self.personas:
                with self.subTest(step=step, folded=folded, user=user.username):
                    self.assertEqual(selectors.kept_open(user), self.counted(user))

    def test_the_counts_stay_exact_after_every_kind_of_change(self) -> None:
        self.assert_exact("none")
        new = self.make_ticket(title="新件")
        no_unit = self.make_ticket(title="未指明单位", unit=None)
        # Reported in one county, handled in the other: counted once by the bureau.
        across = self.assigned(unit=self.other_school, title="跨县交办")
        self.assigned(title="交给个人", unit=self.county, handler=self.county_admin)
        # Handled by the office's own person elsewhere (a plain UPDATE, as a repair would).
        mine = self.assigned(unit=self.other_school, title="外县")
        Ticket.objects.filter(pk=mine.pk).update(handler=self.county_office)
        self.replied(title="已答复")
        self.assert_exact("created")
        handling.do_accept(no_unit, actor=self.bureau_admin)
        deadlines.recompute_lights(timezone.localdate() + timedelta(days=30))
        self.assert_exact("accepted, lights")
        Ticket.objects.filter(pk=across.pk).update(handling_unit=self.school2, handler=None)
        Ticket.objects.filter(pk=new.pk).update(unit=None)
        self.assert_exact("moved between units")
        Ticket.objects.filter(pk=mine.pk).update(handler=self.county_office, handling_unit=None)
        self.assert_exact("handled by a person alone")
        Ticket.objects.filter(pk=new.pk).delete()
        Ticket.objects.filter(pk=across.pk).update(status=Ticket.Status.CLOSED)
        self.assert_exact("deleted, closed")
        # A county moved under another unit: every sum above it changes.
        check_move_unit(self.other_county, actor=self.system_admin, new_parent=self.office)
        self.assert_exact("unit moved")
        # Something was counted, or the comparisons proved little.
        self.assertGreater(sum(selectors.kept_open(self.bureau_admin).values()), 3)
        self.assertGreater(sum(selectors.kept_open(self.county_office).values()), 1)

    def test_a_rebuild_sums_the_subtrees_again(self) -> None:
        self.assigned(unit=self.other_school, title="跨县交办")
        fold_rollups()
        TicketSubtreeTally.objects.update(n=7)
        TICKET_TALLY.rebuild()
        self.assertEqual(selectors.kept_open(self.bureau_admin), self.counted(self.bureau_admin))

    def test_the_bureaus_card_reads_two_statements_however_many_tickets(self) -> None:
        """The subtree sums of the tree's root (one statement), and the tally rows of the
        tickets about no unit (one statement, by the tally's key)."""
        for _i in range(3):
            self.assigned(unit=self.other_school, title="跨县交办")
        fold_rollups()
        selectors.kept_open(self.bureau_admin)  # its roles read and kept on the user
        with self.assertNumQueries(2):
            selectors.kept_open(self.bureau_admin)
