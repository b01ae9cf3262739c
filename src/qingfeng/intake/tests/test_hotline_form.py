"""The hotline entry form: the unit is found through the public form's search, narrowed to the
operator's scope; a call is stored with its channel and the caller's number encrypted; bad
input is reported field by field and stores nothing."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.urls import reverse

from qingfeng.core.models import AuditEvent
from qingfeng.intake.models import Ticket
from qingfeng.intake.tests.handling_base import IntakeTestCase
from qingfeng.orgs.models import Role, User
from qingfeng.test import make_user

CALLER_PHONE = "13912340000"


class HotlineFormTestCase(IntakeTestCase):
    county_hotline: User

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        # An operator of the county's own line: 东城's schools, not 西山's.
        cls.county_hotline = make_user(
            "county_hotline", unit=cls.county, role=Role.HOTLINE_OPERATOR, name="东城接线员"
        )

    def form(self, **overrides: Any) -> dict[str, Any]:
        data = {
            "channel": Ticket.Channel.PHONE,
            "kind": Ticket.Kind.COMPLAINT,
            "category": str(self.category.pk),
            "unit": str(self.school2.pk),
            "unit_q": "第二中学",
            "title": "学校收取资料费",
            "content": "来电人反映学校每学期收取资料费二百元，没有收据。",
            "reporter_name": "王女士",
            "reporter_phone": CALLER_PHONE,
        }
        data.update(overrides)
        return {k: v for k, v in data.items() if v is not None}

    def search(self, user: User, text: str) -> Any:
        self.login(user)
        return self.client.get(reverse("intake:hotline_units"), {"unit_q": text})

    def test_it_searches_units_like_the_public_form_within_the_operators_scope(self) -> None:
        response = self.search(self.county_hotline, "中学")
        self.assertTemplateUsed(response, "intake/public/partials/unit_options.html")
        self.assertContains(response, f'name="unit" value="{self.school2.pk}"')
        self.assertNotContains(response, "西山县第一中学")
        # A short name or an alias finds the school as on the public form.
        self.assertContains(self.search(self.county_hotline, "东实小"), "东城区实验小学")

    def test_the_citys_operator_finds_every_county(self) -> None:
        response = self.search(self.hotline, "中学")
        self.assertContains(response, "东城区第二中学")
        self.assertContains(response, "西山县第一中学")

    def test_a_search_without_a_match_says_so(self) -> None:
        response = self.search(self.county_hotline, "西山县")
        self.assertContains(response, "没有找到名称相符的单位")
        self.assertNotContains(response, 'name="unit"')

    def test_only_those_who_enter_calls_may_search(self) -> None:
        self.assertEqual(self.search(self.school_admin, "中学").status_code, 403)
        self.client.logout()
        response = self.client.get(reverse("intake:hotline_units"), {"unit_q": "中学"})
        self.assertEqual(response.status_code, 302)

    def test_the_page_offers_the_search_instead_of_a_list_of_every_unit(self) -> None:
        self.login(self.hotline)
        page = self.client.get(reverse("intake:hotline"))
        self.assertContains(page, f'hx-get="{reverse("intake:hotline_units")}"')
        self.assertNotContains(page, '<select class="form-select" id="id_unit"')
        self.assertNotContains(page, "西山县第一中学")

    def test_it_stores_a_call_with_channel_phone_and_the_number_encrypted(self) -> None:
        self.login(self.county_hotline)
        response = self.client.post(reverse("intake:hotline"), self.form())
        self.assertTemplateUsed(response, "intake/hotline_done.html")
        ticket = Ticket.objects.get()
        self.assertEqual(ticket.channel, Ticket.Channel.PHONE)
        self.assertEqual((ticket.unit, ticket.entered_by), (self.school2, self.county_hotline))
        self.assertEqual((ticket.reporter_name, ticket.reporter_phone), ("王女士", CALLER_PHONE))
        self.assertFalse(ticket.anonymous)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reporter_phone, reporter_name FROM intake_ticket WHERE id = %s",
                [ticket.pk],
            )
            stored_phone, stored_name = cursor.fetchone()
        self.assertNotIn(CALLER_PHONE, stored_phone)
        self.assertNotIn("王女士", stored_name)
        self.assertContains(response, response.context["code"])
        self.assertContains(response, "请向来电人宣读工单编号和回执码")

    def test_a_typed_full_name_in_scope_is_taken_as_the_pick(self) -> None:
        self.login(self.county_hotline)
        self.client.post(reverse("intake:hotline"), self.form(unit=None, unit_q="东城区第二中学"))
        self.assertEqual(Ticket.objects.get().unit, self.school2)

    def test_a_unit_outside_the_scope_is_refused_and_nothing_is_stored(self) -> None:
        self.login(self.county_hotline)
        response = self.client.post(
            reverse("intake:hotline"), self.form(unit=str(self.other_school.pk))
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "该单位不在您的录入范围内，请从搜索结果中选择")
        # Typed by name instead of picked: not found within the scope either.
        response = self.client.post(
            reverse("intake:hotline"), self.form(unit=None, unit_q="西山县第一中学")
        )
        self.assertContains(response, "未找到“西山县第一中学”，请从搜索结果中选择单位")
        self.assertFalse(Ticket.objects.exists())
        self.assertFalse(AuditEvent.objects.filter(action="intake.ticket.enter").exists())

    def test_a_complaint_needs_a_unit_a_suggestion_does_not(self) -> None:
        self.login(self.hotline)
        response = self.client.post(reverse("intake:hotline"), self.form(unit=None, unit_q=""))
        self.assertContains(response, "投诉、举报须选择所反映的单位")
        self.assertFalse(Ticket.objects.exists())
        self.client.post(
            reverse("intake:hotline"),
            self.form(unit=None, unit_q="", kind=Ticket.Kind.SUGGESTION),
        )
        self.assertIsNone(Ticket.objects.get().unit)

    def test_bad_input_reports_every_field_at_once_and_stores_nothing(self) -> None:
        self.login(self.hotline)
        response = self.client.post(
            reverse("intake:hotline"),
            self.form(category="", content="太短", reporter_phone="12345"),
        )
        self.assertEqual(response.status_code, 200)
        errors = response.context["form"].errors
        self.assertEqual(errors["category"], ["请选择反映类别"])
        self.assertIn("content", errors)
        self.assertIn("reporter_phone", errors)
        self.assertContains(response, "请按提示修改后重新提交")
        # The unit picked stays picked for the second try.
        self.assertContains(response, f'value="{self.school2.pk}" checked')
        self.assertFalse(Ticket.objects.exists())

    def test_a_web_channel_cannot_be_entered_by_hand(self) -> None:
        self.login(self.hotline)
        response = self.client.post(reverse("intake:hotline"), self.form(channel="web"))
        self.assertContains(response, "请选择来电、来信或来访")
        self.assertFalse(Ticket.objects.exists())
