"""A dissatisfied rating's comment turned into an intake ticket by staff (never by itself):
through the registered complaint sink, once, anonymous, audited, linked both ways."""

from __future__ import annotations

from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from qingfeng.core import registry
from qingfeng.core.models import AuditEvent
from qingfeng.evaluation import actions
from qingfeng.evaluation.models import Response
from qingfeng.evaluation.tests.base import EvaluationCase

COMPLAINT = "班主任要求家长在指定书店购买教辅资料，每本加价二十元，已经连续两个学期"


class CommentToTicketTestCase(EvaluationCase):
    def setUp(self) -> None:
        self.round = self.open_round(area=self.county)
        self.rate(self.school, satisfied=2, dissatisfied=1, comment=COMPLAINT)
        self.response = Response.objects.get(overall__in=[1, 2])
        sink = registry.complaint_sink()
        assert sink is not None
        self.category = sink.categories()[0][0]
        self.Ticket = apps.get_model("intake", "Ticket")

    def test_staff_turn_a_comment_into_one_anonymous_ticket(self) -> None:
        self.assertFalse(self.Ticket.objects.exists())  # nothing happens by itself
        number = actions.check_comment_to_ticket(
            self.response, actor=self.office_user, category_id=self.category
        )
        ticket = self.Ticket.objects.get()
        self.assertEqual(ticket.number, number)
        self.assertEqual(
            (ticket.channel, ticket.kind, ticket.unit_id, ticket.content),
            ("evaluation", "complaint", self.school.pk, COMPLAINT),
        )
        self.assertTrue(ticket.anonymous)
        self.assertEqual((ticket.reporter_name, ticket.reporter_phone), ("", ""))
        self.assertIn("东城区实验小学", ticket.title)
        self.response.refresh_from_db()
        self.assertEqual(self.response.ticket_number, number)
        audit = AuditEvent.objects.get(action="evaluation.response.to_ticket")
        self.assertEqual(audit.after, {"ticket": number})
        # Asked again (a double click, a second member of staff): the same ticket.
        again = actions.check_comment_to_ticket(
            self.response, actor=self.bureau_admin, category_id=self.category
        )
        self.assertEqual(again, number)
        self.assertEqual(self.Ticket.objects.count(), 1)

    def test_only_a_dissatisfied_comment_can_become_a_ticket(self) -> None:
        satisfied = Response.objects.filter(overall__gte=3).first()
        assert satisfied is not None
        with self.assertRaisesMessage(ValidationError, "才能转为工单"):
            actions.check_comment_to_ticket(
                satisfied, actor=self.office_user, category_id=self.category
            )
        short = Response.objects.create(
            round=self.round,
            unit=self.school,
            respondent_type="parent",
            overall=1,
            comment="太差",
            via="open",
            status="accepted",
            rule="accepted",
            answer_key="x",
            idempotency_key="short-comment-1",
        )
        with self.assertRaisesMessage(ValidationError, "至少 10 个字"):
            actions.check_comment_to_ticket(
                short, actor=self.office_user, category_id=self.category
            )
        short.refresh_from_db()
        self.assertEqual(short.ticket_number, "")
        self.assertFalse(self.Ticket.objects.exists())

    def test_the_page_lists_comments_and_links_the_ticket(self) -> None:
        self.login(self.office_user)
        url = reverse("evaluation:comments", args=[self.round.pk])
        page = self.client.get(url)
        self.assertContains(page, COMPLAINT)
        post = reverse("evaluation:comment_ticket", args=[self.round.pk, self.response.pk])
        self.client.post(post, {"category": self.category})
        ticket = self.Ticket.objects.get()
        page = self.client.get(url)
        self.assertContains(page, reverse("intake:detail", args=[ticket.pk]))
        # The school rated is not staff of the campaign office: no page, no action.
        self.login(self.school_admin)
        self.assertEqual(self.client.get(url).status_code, 403)
        self.assertIn(self.client.post(post, {"category": self.category}).status_code, {403, 404})
        self.assertEqual(self.Ticket.objects.count(), 1)
