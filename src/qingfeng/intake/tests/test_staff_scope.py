"""The scoped selector and the policy say the same thing about every persona and ticket."""

from __future__ import annotations

from qingfeng.intake import selectors
from qingfeng.intake.actions import handling
from qingfeng.intake.models import Ticket
from qingfeng.intake.permissions import can
from qingfeng.intake.tests.handling_base import IntakeTestCase


class ScopeAgreementTestCase(IntakeTestCase):
    def test_the_selector_and_the_policy_agree_for_every_persona(self) -> None:
        tickets = [
            self.make_ticket(),
            self.make_ticket(unit=self.other_school),
            self.make_ticket(unit=None),
            self.accepted(unit=self.school2),
            self.assigned(),
            self.assigned(unit=self.county, handler=self.county_admin),
            self.replied(unit=self.other_school, named_person=""),
        ]
        merged = self.accepted()
        handling.check_merge(merged, actor=self.bureau_admin, master=tickets[4])
        tickets.append(merged)
        personas = [
            self.bureau_admin,
            self.hotline,
            self.county_admin,
            self.school_admin,
            self.other_school_admin,
            self.teacher,
            self.supervisor,
            self.leader,
            self.auditor,
            self.system_admin,
        ]
        for user in personas:
            visible = set(selectors.tickets_visible_to(user).values_list("pk", flat=True))
            for ticket in tickets:
                fresh = Ticket.objects.select_related("unit", "handling_unit").get(pk=ticket.pk)
                with self.subTest(user=user.username, ticket=fresh.title, status=fresh.status):
                    self.assertEqual(can(user, "view", fresh), fresh.pk in visible)
        # And the expected shape: the bureau sees all, the other county none of east's.
        self.assertEqual(
            set(selectors.tickets_visible_to(self.bureau_admin)), set(Ticket.objects.all())
        )
        self.assertFalse(selectors.tickets_visible_to(self.teacher).exists())
        self.assertFalse(selectors.tickets_visible_to(self.auditor).exists())
