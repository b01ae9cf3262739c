"""The reported school never learns who reported it: not on any page, not in the HTML, not
through a form that would unmask it."""

from __future__ import annotations

from django.urls import reverse

from qingfeng.intake import actions
from qingfeng.intake.actions import handling
from qingfeng.intake.tests.handling_base import REPORTER_NAME, REPORTER_PHONE, IntakeTestCase

# Clear text, and the forms a page could carry it in (spaced, dashed, escaped).
LEAKS = (
    REPORTER_NAME,
    REPORTER_PHONE,
    "137 6666 5555",
    "137-6666-5555",
    "&#x5f20;&#x5c0f;&#x660e;",
    "小明",
    "6666",
)


class ReporterProtectionTestCase(IntakeTestCase):
    def assertNoIdentity(self, html: str) -> None:
        for leak in LEAKS:
            self.assertNotIn(leak, html, leak)

    def test_the_reported_schools_admin_sees_no_identity_on_any_page(self) -> None:
        ticket = self.assigned()  # handled by the reported school itself, as is usual
        handling.do_start(ticket, actor=self.school_admin)
        self.login(self.school_admin)
        # Searching the queue for the reporter's name finds nothing (the content is not
        # searched for handlers, so a hit cannot confirm who wrote in).
        search = self.client.get(reverse("intake:queue"), {"q": REPORTER_NAME})
        self.assertEqual(search.context["rows"], [])
        pages = [
            self.client.get(reverse("intake:queue")),
            self.client.get(reverse("intake:detail", args=[ticket.pk])),
        ]
        for page in pages:
            self.assertEqual(page.status_code, 200)
            html = page.content.decode()
            self.assertNoIdentity(html)
            self.assertNotIn("查看身份", html)
            self.assertNotIn(reverse("intake:reveal", args=[ticket.pk]), html)
        detail = pages[-1].content.decode()
        # Not even masked: the unit reported on reads a placeholder, never 张*明 or 137****5555.
        self.assertIn("反映人信息已隐去", detail)
        for partial in ("张*明", "137****5555", "5555"):
            self.assertNotIn(partial, detail)
        # Even a direct POST to the reveal form gets nothing.
        response = self.client.post(
            reverse("intake:reveal", args=[ticket.pk]), {"reason": "想知道是谁"}
        )
        self.assertEqual(response.status_code, 404)
        self.assertNoIdentity(response.content.decode())

    def test_the_identity_written_into_title_messages_and_reasons_is_masked_too(self) -> None:
        ticket = self.assigned(title="张小明（13766665555）反映教辅问题")
        ticket = handling.do_start(ticket, actor=self.school_admin)
        actions.check_add_reporter_message(
            ticket, body="补充：我是张小明，可打 137-6666-5555 联系我。"
        )
        handling.check_reply(ticket, actor=self.school_admin, body="已电话联系张小明家长说明。")
        self.login(self.school_admin)
        for page in (
            self.client.get(reverse("intake:queue"), {"status": "all"}),
            self.client.get(reverse("intake:detail", args=[ticket.pk])),
        ):
            self.assertEqual(page.status_code, 200)
            html = page.content.decode()
            self.assertIn("某某", html)  # replaced whole, the surname too
            self.assertNotIn("张*明", html)
            self.assertNoIdentity(html)

    def test_the_reported_schools_teacher_named_as_nothing_sees_nothing(self) -> None:
        ticket = self.assigned()
        self.login(self.teacher)
        self.assertEqual(
            self.client.get(reverse("intake:detail", args=[ticket.pk])).status_code, 404
        )

    def test_the_county_handling_a_school_ticket_sees_it_masked(self) -> None:
        ticket = self.assigned(unit=self.county, handler=self.county_admin)
        self.login(self.county_admin)
        page = self.client.get(reverse("intake:detail", args=[ticket.pk]))
        self.assertEqual(page.status_code, 200)
        self.assertNoIdentity(page.content.decode())

    def test_the_reported_unit_is_refused_as_handler_through_the_page(self) -> None:
        ticket = self.accepted()
        self.login(self.bureau_admin)
        page = self.client.get(reverse("intake:detail", args=[ticket.pk]))
        # The picker does not offer anyone inside the reported school.
        offered = set(page.context["handler_choices"])
        self.assertIn(self.county_admin, offered)
        self.assertNotIn(self.school_admin, offered)
        self.assertNotIn(self.teacher, offered)
        response = self.client.post(
            reverse("intake:assign", args=[ticket.pk]),
            {"unit": self.school.pk, "handler": self.school_admin.pk},
            follow=True,
        )
        self.assertEqual(self.fresh(ticket).status, "accepted")
        self.assertContains(response, "被反映单位的人员不能作为本工单的承办人")
