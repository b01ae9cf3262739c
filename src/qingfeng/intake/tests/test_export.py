"""The queue as a workbook: what the viewer may see, as filtered, the identity masked for
everyone, each export audited."""

from __future__ import annotations

import io
from unittest import mock

from django.urls import reverse
from openpyxl import load_workbook

from qingfeng.core.models import AuditEvent
from qingfeng.intake import export
from qingfeng.intake.actions import handling
from qingfeng.intake.tests.handling_base import REPORTER_NAME, REPORTER_PHONE, IntakeTestCase
from qingfeng.intake.tests.test_protection import LEAKS


def sheet_text(data: bytes) -> tuple[list[list[object]], str]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    return rows, "\n".join(str(v) for row in rows for v in row if v is not None)


class QueueExportTestCase(IntakeTestCase):
    def test_the_bureau_exports_its_filtered_queue_with_identity_masked(self) -> None:
        ticket = self.make_ticket(title="张小明（13766665555）反映教辅问题")
        other = self.make_ticket(unit=self.other_school, title="西山县的收费问题")
        self.login(self.bureau_admin)
        response = self.client.get(reverse("intake:export"), {"unit": self.county.pk})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Cache-Control"], "no-store")
        self.assertIn("attachment;", response["Content-Disposition"])
        rows, text = sheet_text(response.content)
        self.assertEqual(rows[1][:3], ["序号", "工单编号", "提交时间"])
        self.assertEqual([r[1] for r in rows[2:]], [ticket.number])  # the filter holds
        self.assertNotIn(other.number, text)
        self.assertIn("张*明", text)
        self.assertIn("137****5555", text)
        for leak in LEAKS:
            self.assertNotIn(leak, text, leak)
        event = AuditEvent.objects.filter(action="intake.ticket.export").get()
        self.assertEqual(event.actor, self.bureau_admin)
        self.assertEqual((event.after or {}).get("rows"), 1)

    def test_what_a_reporter_typed_is_never_a_formula_in_the_workbook(self) -> None:
        title = '=HYPERLINK("http://example.invalid/x","点此查看")'
        ticket = self.make_ticket(title=title, content="+1+1 @SUM(A1:A9) =cmd|' /C calc'!A0")
        self.login(self.bureau_admin)
        response = self.client.get(reverse("intake:export"))
        book = load_workbook(io.BytesIO(response.content))
        cells = [c for row in book.worksheets[0].iter_rows() for c in row if c.value]
        typed = [c for c in cells if isinstance(c.value, str) and c.value[:1] in "=+@"]
        self.assertTrue(typed)
        self.assertEqual({c.data_type for c in typed}, {"s"})  # text, not a formula
        self.assertIn(ticket.number, [c.value for c in cells])

    def test_the_reported_school_exports_only_its_own_handling_and_no_identity(self) -> None:
        ticket = self.assigned()
        handling.do_start(ticket, actor=self.school_admin)
        self.make_ticket()  # received, not assigned: the school does not see it
        self.make_ticket(unit=self.other_school)
        self.login(self.school_admin)
        response = self.client.get(reverse("intake:export"), {"status": "all"})
        self.assertEqual(response.status_code, 200)
        rows, text = sheet_text(response.content)
        self.assertEqual([r[1] for r in rows[2:]], [ticket.number])
        self.assertNotIn(REPORTER_NAME, text)
        self.assertNotIn(REPORTER_PHONE, text)
        for leak in LEAKS:
            self.assertNotIn(leak, text, leak)

    def test_people_without_a_queue_cannot_export(self) -> None:
        self.login(self.teacher)
        self.assertEqual(self.client.get(reverse("intake:export")).status_code, 403)

    def test_more_than_the_limit_is_refused_with_a_message(self) -> None:
        self.make_ticket()
        self.make_ticket()
        self.login(self.bureau_admin)
        with mock.patch.object(export, "EXPORT_LIMIT", 1):
            response = self.client.get(reverse("intake:export"), follow=True)
        self.assertContains(response, "超过单次导出上限")
        self.assertFalse(AuditEvent.objects.filter(action="intake.ticket.export").exists())
