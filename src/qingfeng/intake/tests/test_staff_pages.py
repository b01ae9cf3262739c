from __future__ import annotations

import re
from dataclasses import replace
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qingfeng.core.models import AuditEvent
from qingfeng.intake.actions import check_rate, handling
from qingfeng.intake.models import IdentityReveal, Ticket
from qingfeng.intake.tests.handling_base import REPORTER_NAME, REPORTER_PHONE, IntakeTestCase
from qingfeng.ledger.models import Category, Problem

S = Ticket.Status
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class QueuePageTestCase(IntakeTestCase):
    def test_a_ticket_sent_back_by_its_reporter_is_marked_in_the_queue(self) -> None:
        ticket = self.replied()
        self.login(self.school_admin)
        self.assertNotContains(self.client.get(reverse("intake:queue")), 'data-testid="redo-badge"')
        check_rate(self.fresh(ticket), rating=1, comment="费用没有退")
        self.assertContains(self.client.get(reverse("intake:queue")), 'data-testid="redo-badge"')

    def test_the_timeline_says_how_a_ticket_came_in(self) -> None:
        web = self.make_ticket()
        call = self.make_ticket(channel=Ticket.Channel.PHONE, entered_by=self.hotline)
        self.login(self.bureau_admin)
        self.assertContains(self.client.get(reverse("intake:detail", args=[web.pk])), "网上提交")
        self.assertContains(
            self.client.get(reverse("intake:detail", args=[call.pk])), "热线来电录入"
        )

    def test_intake_roles_see_the_queue_with_lights_and_filters(self) -> None:
        ticket = self.make_ticket()
        other = self.make_ticket(unit=self.other_school, title="西山县的收费问题")
        self.login(self.bureau_admin)
        response = self.client.get(reverse("intake:queue"))
        self.assertContains(response, ticket.number)
        self.assertContains(response, other.number)
        self.assertContains(response, 'data-testid="light-counts"')
        response = self.client.get(reverse("intake:queue"), {"unit": self.county.pk})
        self.assertContains(response, ticket.number)
        self.assertNotContains(response, other.number)
        response = self.client.get(reverse("intake:queue"), {"q": "西山县"})
        self.assertNotContains(response, ticket.number)
        self.assertContains(response, other.number)
        # A free-text search shows the rows with their lights, not the counts over the scope.
        self.assertNotContains(response, 'data-testid="light-counts"')
        response = self.client.get(reverse("intake:queue"), {"status": "accepted"})
        self.assertNotContains(response, ticket.number)

    def test_a_unit_sees_only_what_was_assigned_to_it(self) -> None:
        waiting = self.make_ticket()
        assigned = self.assigned(title="已转办的工单")
        self.login(self.school_admin)
        response = self.client.get(reverse("intake:queue"))
        self.assertContains(response, assigned.number)
        self.assertNotContains(response, waiting.number)
        self.assertEqual(
            self.client.get(reverse("intake:detail", args=[waiting.pk])).status_code, 404
        )

    def test_other_countys_queue_does_not_list_it(self) -> None:
        # Its pages answer 404 to the other county (the URL-policy test, for every route).
        ticket = self.assigned()
        self.login(self.other_school_admin)
        self.assertNotContains(self.client.get(reverse("intake:queue")), ticket.number)

    def test_teachers_and_leaders_have_no_queue(self) -> None:
        self.login(self.teacher)
        self.assertEqual(self.client.get(reverse("intake:queue")).status_code, 403)
        self.login(self.supervisor)
        self.assertEqual(self.client.get(reverse("intake:queue")).status_code, 403)

    def test_keyset_paging_walks_the_whole_queue_in_urgency_order(self) -> None:
        tickets = [self.make_ticket(title=f"工单{i}") for i in range(5)]
        self.login(self.bureau_admin)
        from qingfeng.intake import views

        seen: list[str] = []
        url = reverse("intake:queue")
        params: dict[str, str] = {}
        with mock.patch.object(views, "QUEUE", replace(views.QUEUE, page_size=2)):
            for _ in range(5):
                response = self.client.get(url, params)
                seen += [r.number for r in response.context["rows"]]
                cursor = response.context["next_cursor"]
                if not cursor:
                    break
                params = {"after": cursor}
        self.assertEqual(sorted(seen), sorted(t.number for t in tickets))

    def test_the_queue_query_count_does_not_grow_with_rows(self) -> None:
        self.login(self.bureau_admin)
        self.make_ticket()
        self.client.get(reverse("intake:queue"))  # warm the calendar and session caches
        with CaptureQueriesContext(connection) as few:
            self.client.get(reverse("intake:queue"))
        for _ in range(12):
            self.assigned()
        with CaptureQueriesContext(connection) as many:
            response = self.client.get(reverse("intake:queue"))
        self.assertEqual(len(response.context["rows"]), 13)
        self.assertEqual(len(few), len(many))
        # session, user, roles, the page (tickets with both units and the category in one
        # join), counts by light, the unit filter, notifications, the user's person, categories
        # (count + list), suspected duplicates; a read does not save the session
        with self.assertNumQueries(11):
            self.client.get(reverse("intake:queue"))


class DetailPageTestCase(IntakeTestCase):
    def test_the_lifecycle_through_the_pages(self) -> None:
        ticket = self.make_ticket()
        self.login(self.bureau_admin)
        page = self.client.get(reverse("intake:detail", args=[ticket.pk]))
        self.assertContains(page, reverse("intake:accept", args=[ticket.pk]))
        self.assertNotContains(page, reverse("intake:reply", args=[ticket.pk]))
        self.client.post(reverse("intake:accept", args=[ticket.pk]))
        response = self.client.post(
            reverse("intake:assign", args=[ticket.pk]), {"unit": self.school.pk, "note": "请核查"}
        )
        self.assertRedirects(response, reverse("intake:detail", args=[ticket.pk]))
        self.assertEqual(self.fresh(ticket).status, S.ASSIGNED)
        self.login(self.school_admin)
        self.client.post(reverse("intake:start", args=[ticket.pk]))
        self.client.post(reverse("intake:note", args=[ticket.pk]), {"text": "已约谈当事教师"})
        self.client.post(reverse("intake:reply", args=[ticket.pk]), {"text": "已退还费用。"})
        self.assertEqual(self.fresh(ticket).status, S.REPLIED)
        page = self.client.get(reverse("intake:detail", args=[ticket.pk]))
        self.assertContains(page, "内部备注")
        self.assertContains(page, "已约谈当事教师")
        self.assertContains(page, "办结答复")
        self.login(self.bureau_admin)
        self.client.post(reverse("intake:close", args=[ticket.pk]), {"text": "回访满意"})
        self.assertEqual(self.fresh(ticket).status, S.CLOSED)

    def test_an_illegal_or_invalid_action_says_why_and_changes_nothing(self) -> None:
        ticket = self.make_ticket()
        self.login(self.bureau_admin)
        response = self.client.post(
            reverse("intake:decline", args=[ticket.pk]), {"text": ""}, follow=True
        )
        self.assertContains(response, "不予受理须填写理由")
        self.assertEqual(self.fresh(ticket).status, S.RECEIVED)

    def test_a_unit_returns_and_loses_sight_of_the_ticket(self) -> None:
        ticket = self.assigned()
        self.login(self.school_admin)
        response = self.client.post(
            reverse("intake:return", args=[ticket.pk]), {"text": "不属于本校"}
        )
        self.assertRedirects(response, reverse("intake:queue"))
        self.assertEqual(self.fresh(ticket).status, S.ACCEPTED)

    def test_merge_through_the_page_by_number(self) -> None:
        master = self.accepted()
        dup = self.accepted()
        self.login(self.bureau_admin)
        self.client.post(reverse("intake:merge", args=[dup.pk]), {"master": master.number})
        self.assertEqual(self.fresh(dup).master, master)

    def test_attachments_download_within_scope_only(self) -> None:
        from qingfeng.intake.tests.handling_base import submit_ticket

        ticket, _code = submit_ticket(
            kind=Ticket.Kind.COMPLAINT,
            category=self.category,
            unit=self.school,
            title="附件工单",
            content="请看照片，学校要求购买资料。",
            anonymous=True,
            files=[SimpleUploadedFile("photo.png", PNG, content_type="image/png")],
        )
        attachment = ticket.attachments.get()
        self.login(self.bureau_admin)
        response = self.client.get(reverse("intake:attachment", args=[attachment.pk]))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(b"".join(response.streaming_content), PNG)  # type: ignore[attr-defined]
        self.login(self.other_school_admin)
        response = self.client.get(reverse("intake:attachment", args=[attachment.pk]))
        self.assertEqual(response.status_code, 404)

    def test_turning_a_ticket_into_a_ledger_problem_links_both_pages(self) -> None:
        ticket = self.accepted()
        category = Category.objects.get(name="教辅材料违规征订")
        self.login(self.bureau_admin)
        self.client.post(
            reverse("intake:to_problem", args=[ticket.pk]),
            {"category": category.pk, "list_kind": Problem.ListKind.DEPARTMENT_RISK},
        )
        problem = Problem.objects.get(source_ref=ticket.number)
        page = self.client.get(reverse("intake:detail", args=[ticket.pk]))
        self.assertContains(page, reverse("ledger:detail", args=[problem.pk]))
        ledger_page = self.client.get(reverse("ledger:detail", args=[problem.pk]))
        self.assertContains(ledger_page, reverse("intake:detail", args=[ticket.pk]))
        self.assertNotContains(ledger_page, REPORTER_PHONE)
        # The school responsible for the problem sees where it came from, but the ticket (not
        # assigned to it) stays closed to it: its number without a link.
        self.login(self.school_admin)
        ledger_page = self.client.get(reverse("ledger:detail", args=[problem.pk]))
        self.assertEqual(ledger_page.status_code, 200)
        self.assertContains(ledger_page, ticket.number)
        self.assertNotContains(ledger_page, reverse("intake:detail", args=[ticket.pk]))


class HotlinePageTestCase(IntakeTestCase):
    def form(self, **overrides: str) -> dict[str, str]:
        data = {
            "channel": Ticket.Channel.PHONE,
            "kind": Ticket.Kind.COMPLAINT,
            "category": str(self.category.pk),
            "unit": str(self.school.pk),
            "title": "学校收取资料费",
            "content": "来电人反映学校每学期收取资料费二百元。",
            "reporter_name": "王大妈",
            "reporter_phone": "13912340000",
        }
        data.update(overrides)
        return data

    def test_only_the_hotline_item_of_the_menu_is_current_on_its_page(self) -> None:
        self.login(self.hotline)
        page = self.client.get(reverse("intake:hotline")).content.decode()
        current = re.findall(r'<a class="[^"]*" href="([^"]+)" aria-current="page">', page)
        self.assertEqual(current, [reverse("intake:hotline")])
        page = self.client.get(reverse("intake:queue")).content.decode()
        current = re.findall(r'<a class="[^"]*" href="([^"]+)" aria-current="page">', page)
        self.assertEqual(current, [reverse("intake:queue")])

    def test_an_operator_enters_a_call_and_reads_the_code_once(self) -> None:
        self.login(self.hotline)
        self.assertContains(self.client.get(reverse("home")), reverse("intake:hotline"))
        response = self.client.post(reverse("intake:hotline"), self.form())
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Cache-Control"], "no-store")
        ticket = Ticket.objects.get(title="学校收取资料费")
        self.assertEqual((ticket.channel, ticket.entered_by), (Ticket.Channel.PHONE, self.hotline))
        code = response.context["code"]
        self.assertEqual(len(code.replace(" ", "")), 20)
        self.assertContains(response, code)
        # The code is not kept anywhere to show again.
        page = self.client.get(reverse("intake:detail", args=[ticket.pk]))
        self.assertNotContains(page, code)
        self.assertNotContains(page, "13912340000")

    def test_bad_input_shows_errors_and_stores_nothing(self) -> None:
        self.login(self.hotline)
        response = self.client.post(
            reverse("intake:hotline"), self.form(content="太短", reporter_phone="")
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "invalid-feedback")
        self.assertFalse(Ticket.objects.exists())

    def test_only_operators_and_the_bureau_enter_calls(self) -> None:
        self.login(self.school_admin)
        self.assertEqual(self.client.get(reverse("intake:hotline")).status_code, 403)


class RevealPageTestCase(IntakeTestCase):
    def test_reveal_needs_a_reason_and_shows_the_identity_for_this_look_only(self) -> None:
        ticket = self.make_ticket()
        self.login(self.bureau_admin)
        page = self.client.get(reverse("intake:detail", args=[ticket.pk]))
        self.assertContains(page, "查看身份（需填写原因）")
        self.assertNotContains(page, REPORTER_PHONE)
        self.assertContains(page, "137****5555")
        response = self.client.post(reverse("intake:reveal", args=[ticket.pk]), {"reason": ""})
        self.assertEqual(response.status_code, 302)
        self.assertFalse(IdentityReveal.objects.exists())
        response = self.client.post(
            reverse("intake:reveal", args=[ticket.pk]), {"reason": "需电话核实"}
        )
        self.assertContains(response, REPORTER_PHONE)
        self.assertContains(response, REPORTER_NAME)
        self.assertEqual(response["Cache-Control"], "no-store")
        self.assertEqual(IdentityReveal.objects.get().reason, "需电话核实")
        self.assertTrue(AuditEvent.objects.filter(action="intake.ticket.reveal_identity").exists())
        # The next look is masked again.
        page = self.client.get(reverse("intake:detail", args=[ticket.pk]))
        self.assertNotContains(page, REPORTER_PHONE)


class AssignPageTestCase(IntakeTestCase):
    def test_a_named_handler_is_assigned_through_the_page(self) -> None:
        ticket = self.accepted()
        self.login(self.bureau_admin)
        self.client.post(
            reverse("intake:assign", args=[ticket.pk]),
            {"unit": self.county.pk, "handler": self.county_admin.pk},
        )
        ticket = self.fresh(ticket)
        self.assertEqual((ticket.status, ticket.handler), (S.ASSIGNED, self.county_admin))


class PageCostTestCase(IntakeTestCase):
    def test_the_ticket_page_costs_the_same_with_a_long_history(self) -> None:
        ticket = self.assigned()
        handling.check_add_note(ticket, actor=self.school_admin, body="备注")
        self.login(self.bureau_admin)
        url = reverse("intake:detail", args=[ticket.pk])
        self.client.get(url)
        with CaptureQueriesContext(connection) as short:
            self.client.get(url)
        for i in range(6):
            handling.check_add_note(ticket, actor=self.school_admin, body=f"备注{i}")
        handling.check_return(ticket, actor=self.school_admin, reason="转错了")
        handling.check_assign(ticket, actor=self.bureau_admin, unit=self.school)
        with CaptureQueriesContext(connection) as long:
            self.client.get(url)
        self.assertEqual(len(short), len(long))

    def test_load_more_returns_only_the_rows(self) -> None:
        for i in range(3):
            self.make_ticket(title=f"工单{i}")
        self.login(self.bureau_admin)
        from qingfeng.intake import views

        with mock.patch.object(views, "QUEUE", replace(views.QUEUE, page_size=2)):
            first = self.client.get(reverse("intake:queue"))
            cursor = first.context["next_cursor"]
            more = self.client.get(
                reverse("intake:queue"), {"after": cursor}, headers={"HX-Request": "true"}
            )
            # session, user, roles, the page, suspected duplicates: no menu (so no count of
            # unread notifications) and no filter form
            with self.assertNumQueries(5):
                self.client.get(
                    reverse("intake:queue"), {"after": cursor}, headers={"HX-Request": "true"}
                )
        self.assertNotContains(more, "<html")
        self.assertEqual(len(more.context["rows"]), 1)
