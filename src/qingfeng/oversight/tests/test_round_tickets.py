"""Tickets tagged to a round: received during the round about a unit under inspection (or one
below it), shown in the round's workspace to the team and the office, never to the unit."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from qingfeng.core.tests.machine import FILES_IN_MEMORY
from qingfeng.intake.actions import check_submit_ticket
from qingfeng.intake.models import Ticket, TicketCategory
from qingfeng.orgs.models import Unit
from qingfeng.oversight import selectors
from qingfeng.oversight.tests.base import OversightCase


@override_settings(STORAGES=FILES_IN_MEMORY)
class RoundTicketsTestCase(OversightCase):
    def submit(self, unit: Unit, title: str) -> Ticket:
        ticket, _code = check_submit_ticket(
            kind=Ticket.Kind.REPORT,
            category=TicketCategory.objects.filter(is_active=True).first(),
            unit=unit,
            title=title,
            content=f"{title}，请巡察组核实。",
            anonymous=True,
        )
        return ticket

    def test_tickets_during_the_round_about_its_units_are_in_the_workspace(self) -> None:
        with time_machine.travel(timezone.now() - timedelta(days=3)):
            self.submit(self.school, "巡察前的旧工单")
        round_ = self.make_round(targets=[self.school])
        during = self.submit(self.school, "校长违规收受礼品")
        self.submit(self.school2, "另一学校的工单")
        found = selectors.round_tickets(self.office_user, round_, [self.school])
        self.assertEqual([t.number for t in found], [during.number])
        url = reverse("oversight:round", args=[round_.pk])
        office = self.login(self.bureau_admin, Client()).get(url)
        self.assertContains(office, during.number)
        self.assertContains(office, "校长违规收受礼品")
        self.assertNotContains(office, "巡察前的旧工单")
        self.assertNotContains(office, "另一学校的工单")
        self.assertContains(office, reverse("intake:detail", args=[during.pk]))
        unit_page = self.login(self.school_admin, Client()).get(url)
        self.assertEqual(unit_page.status_code, 200)
        self.assertNotContains(unit_page, "校长违规收受礼品")
        self.assertNotContains(unit_page, during.number)

    def test_a_county_target_tags_its_schools_tickets_and_the_team_sees_them(self) -> None:
        round_ = self.staffed_round()  # targets: the county and the school
        ticket = self.submit(self.school2, "教辅征订收回扣")
        page = self.login(self.member, Client()).get(reverse("oversight:round", args=[round_.pk]))
        self.assertContains(page, ticket.number)
        self.assertContains(page, "教辅征订收回扣")
