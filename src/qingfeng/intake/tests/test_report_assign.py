"""A 举报 about a unit (or a person in it) is not handled by that unit itself: the assign form
preselects the level above, and sending it to the unit or a unit inside it needs a stated
reason, kept on the event and in the audit row. Complaints may go to the unit as before."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.urls import reverse

from qingfeng.core.models import AuditEvent
from qingfeng.intake.actions import handling
from qingfeng.intake.models import Ticket
from qingfeng.intake.tests.handling_base import IntakeTestCase
from qingfeng.orgs.models import Role, Unit
from qingfeng.test import make_unit, make_user

S = Ticket.Status
REPORT = {
    "kind": Ticket.Kind.REPORT,
    "title": "举报周小燕老师收受家长礼品",
    "content": "东城区实验小学三年级周小燕老师教师节收受家长购物卡，每张500元。",
}
REFUSED = "举报不由被举报单位自行办理：转办给被举报单位或其内设机构，须填写理由"
REASON = "县局纪检组已介入，由学校配合自查后报县局"


class ReportAssignActionTestCase(IntakeTestCase):
    academic: Unit

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.academic = make_unit("教务处", Unit.Kind.DEPARTMENT, cls.school, "D0021")

    def test_a_report_to_the_reported_unit_or_inside_it_needs_a_reason(self) -> None:
        ticket = self.accepted(**REPORT)
        for unit in (self.school, self.academic):
            with self.assertRaises(ValidationError) as caught:
                handling.check_assign(ticket, actor=self.bureau_admin, unit=unit, reason="  ")
            self.assertEqual(caught.exception.message_dict, {"reason": [REFUSED]})
            ticket = self.fresh(ticket)
            self.assertEqual((ticket.status, ticket.handling_unit), (S.ACCEPTED, None))
        self.assertFalse(ticket.events.filter(action="assign").exists())

    def test_the_reason_is_kept_on_the_event_and_in_the_audit_row(self) -> None:
        ticket = handling.check_assign(
            self.accepted(**REPORT), actor=self.bureau_admin, unit=self.school, reason=REASON
        )
        self.assertEqual((ticket.status, ticket.handling_unit), (S.ASSIGNED, self.school))
        event = ticket.events.get(action="assign")
        self.assertEqual((event.reason, event.unit), (REASON, self.school))
        audit = AuditEvent.objects.filter(action="intake.ticket.assign").latest("id")
        self.assertEqual((audit.after or {}).get("reason"), REASON)

    def test_the_level_above_and_other_units_need_no_reason(self) -> None:
        for unit in (self.county, self.bureau, self.school2, self.other_school):
            ticket = handling.check_assign(
                self.accepted(**REPORT), actor=self.bureau_admin, unit=unit
            )
            self.assertEqual(ticket.handling_unit, unit)
            self.assertEqual(ticket.events.get(action="assign").reason, "")

    def test_a_report_about_a_county_needs_a_reason_for_its_schools(self) -> None:
        ticket = self.accepted(**{**REPORT, "unit": self.county})
        with self.assertRaises(ValidationError):
            handling.check_assign(ticket, actor=self.bureau_admin, unit=self.school2)
        handling.check_assign(ticket, actor=self.bureau_admin, unit=self.bureau)
        self.assertEqual(self.fresh(ticket).handling_unit, self.bureau)

    def test_complaints_and_suggestions_may_go_to_the_unit(self) -> None:
        ticket = handling.check_assign(self.accepted(), actor=self.bureau_admin, unit=self.school)
        self.assertEqual(ticket.handling_unit, self.school)
        suggestion = self.accepted(
            kind=Ticket.Kind.SUGGESTION,
            title="建议增设课后托管",
            content="建议学校开设课后托管服务，方便双职工家庭。",
        )
        handling.check_assign(suggestion, actor=self.bureau_admin, unit=self.academic)
        self.assertEqual(self.fresh(suggestion).handling_unit, self.academic)

    def test_a_long_reason_is_refused(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            handling.check_assign(
                self.accepted(**REPORT),
                actor=self.bureau_admin,
                unit=self.school,
                reason="理" * 501,
            )
        self.assertIn("reason", caught.exception.message_dict)


def selected_unit(html: str) -> int | None:
    select = re.search(r'<select[^>]*id="aunit".*?</select>', html, re.S)
    assert select is not None
    chosen = re.search(r'<option value="(\d+)" selected>', select.group(0))
    return int(chosen.group(1)) if chosen else None


class ReportAssignPageTestCase(IntakeTestCase):
    def page(self, ticket: Ticket, query: str = "") -> str:
        self.login(self.bureau_admin)
        response = self.client.get(reverse("intake:detail", args=[ticket.pk]) + query)
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_the_form_preselects_the_level_above_for_a_report(self) -> None:
        html = self.page(self.accepted(**REPORT))
        self.assertEqual(selected_unit(html), self.county.pk)
        self.assertIn('data-testid="assign-reason"', html)
        self.assertIn("举报不由被举报单位自行办理，建议由上级单位办理", html)
        routing = html[html.index('data-testid="routing"') :]
        self.assertLess(routing.index(self.county.name), routing.index(self.school.name))
        county = self.accepted(**{**REPORT, "unit": self.county})
        self.assertEqual(selected_unit(self.page(county)), self.bureau.pk)

    def test_nothing_is_preselected_when_the_level_above_is_out_of_reach(self) -> None:
        # A county's campaign office, for a report about the county: the bureau is not among
        # its units, and the first of them (the county itself) must not be chosen by default.
        office = make_user(
            "county_office", unit=self.county, role=Role.CAMPAIGN_OFFICE, name="冯办"
        )
        ticket = self.accepted(**{**REPORT, "unit": self.county})
        self.login(office)
        html = self.client.get(reverse("intake:detail", args=[ticket.pk])).content.decode()
        self.assertIn(f'<option value="{self.county.pk}">', html)
        self.assertIsNone(selected_unit(html))
        # With no option selected the browser shows the first: the empty one, so a choice is
        # required (the select is `required`).
        self.assertIn('name="unit" required><option value="">', html)

    def test_a_unit_chosen_from_the_suggestions_is_preselected(self) -> None:
        ticket = self.accepted(**REPORT)
        html = self.page(ticket, f"?assign_unit={self.school.pk}")
        self.assertEqual(selected_unit(html), self.school.pk)

    def test_a_complaint_preselects_the_unit_and_asks_no_reason(self) -> None:
        html = self.page(self.accepted())
        self.assertEqual(selected_unit(html), self.school.pk)
        self.assertNotIn('data-testid="assign-reason"', html)

    def test_assigning_a_report_to_its_unit_through_the_page(self) -> None:
        ticket = self.accepted(**REPORT)
        self.login(self.bureau_admin)
        url = reverse("intake:assign", args=[ticket.pk])
        response = self.client.post(url, {"unit": self.school.pk}, follow=True)
        self.assertContains(response, REFUSED)
        self.assertEqual(self.fresh(ticket).status, S.ACCEPTED)
        self.client.post(url, {"unit": self.school.pk, "reason": REASON})
        ticket = self.fresh(ticket)
        self.assertEqual((ticket.status, ticket.handling_unit), (S.ASSIGNED, self.school))
        self.assertEqual(ticket.events.get(action="assign").reason, REASON)
        # The school's admin reads why it handles a report about itself.
        self.login(self.school_admin)
        page = self.client.get(reverse("intake:detail", args=[ticket.pk]))
        self.assertContains(page, REASON)

    def test_assigning_a_report_to_the_county_through_the_page_needs_no_reason(self) -> None:
        ticket = self.accepted(**REPORT)
        self.login(self.bureau_admin)
        self.client.post(reverse("intake:assign", args=[ticket.pk]), {"unit": self.county.pk})
        self.assertEqual(self.fresh(ticket).handling_unit, self.county)
