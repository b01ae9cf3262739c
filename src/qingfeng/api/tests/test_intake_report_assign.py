"""The assign endpoint applies the 举报 rule of the pages: to the reported unit (or inside it)
only with a `reason`, else 400 with the action's message."""

from __future__ import annotations

from qingfeng.api.tests.test_intake_api import IntakeApiTestCase
from qingfeng.core.models import AuditEvent
from qingfeng.intake.models import Ticket
from qingfeng.intake.tests.test_report_assign import REASON, REFUSED, REPORT


class ReportAssignApiTestCase(IntakeApiTestCase):
    def test_a_report_goes_to_its_unit_only_with_a_reason(self) -> None:
        ticket = self.accepted(**REPORT)
        url = f"/tickets/{ticket.pk}/assign"
        refused = self.post(self.bureau_admin, url, {"unit_id": self.school.pk})
        self.assertEqual((refused.status_code, refused.json()["detail"]), (400, REFUSED))
        self.assertEqual(self.fresh(ticket).status, Ticket.Status.ACCEPTED)
        assigned = self.post(self.bureau_admin, url, {"unit_id": self.school.pk, "reason": REASON})
        self.assertEqual(assigned.status_code, 200, assigned.content)
        self.assertEqual(assigned.json()["handling_unit_name"], self.school.name)
        self.assertEqual(self.fresh(ticket).events.get(action="assign").reason, REASON)
        audit = AuditEvent.objects.filter(action="intake.ticket.assign").latest("id")
        self.assertEqual((audit.after or {}).get("reason"), REASON)

    def test_a_report_to_the_county_and_a_complaint_to_the_school_need_none(self) -> None:
        report = self.accepted(**REPORT)
        response = self.post(
            self.bureau_admin, f"/tickets/{report.pk}/assign", {"unit_id": self.county.pk}
        )
        self.assertEqual(response.json()["handling_unit_name"], self.county.name)
        complaint = self.accepted()
        response = self.post(
            self.bureau_admin, f"/tickets/{complaint.pk}/assign", {"unit_id": self.school.pk}
        )
        self.assertEqual(response.json()["handling_unit_name"], self.school.name)
