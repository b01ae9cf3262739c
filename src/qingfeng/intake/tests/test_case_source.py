"""Closed tickets offered to the typical-case library (through the registry): only replied or
closed ones, only to those who see them, and as the asking viewer may read them."""

from __future__ import annotations

from qingfeng.core import registry
from qingfeng.intake.tests.handling_base import REPORTER_NAME, REPORTER_PHONE, IntakeTestCase


class TicketCaseSourceTestCase(IntakeTestCase):
    def test_it_offers_closed_tickets_masked_for_the_viewer(self) -> None:
        source = registry.case_source("intake.ticket")
        assert source is not None
        open_ticket = self.assigned()
        done = self.replied()
        offered = [m.pk for m in source.closed(self.school_admin, exclude=[], limit=10)]
        self.assertEqual(offered, [done.pk])
        self.assertEqual(source.closed(self.school_admin, exclude=[done.pk], limit=10), [])
        self.assertIsNone(source.get(self.school_admin, open_ticket.pk))
        self.assertIsNone(source.get(self.other_school_admin, done.pk))
        self.assertFalse(source.visible(self.other_school_admin, done.pk))
        material = source.get(self.school_admin, done.pk)
        assert material is not None
        self.assertEqual((material.unit, material.number), (self.school, done.number))
        self.assertIn("教辅", material.text)
        self.assertIn("退还费用", material.outcome)
        # The unit reported on never reads the reporter, whatever the case does after.
        for secret in (REPORTER_NAME, REPORTER_PHONE):
            self.assertNotIn(secret, material.text + material.title + material.outcome)
        self.assertIn(REPORTER_NAME, material.names)
        self.assertEqual(source.url(done.pk), f"/intake/{done.pk}/")
