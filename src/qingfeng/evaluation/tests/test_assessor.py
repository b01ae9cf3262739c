"""The third-party assessor (第三方评估员) reads on need-to-know: the opened rounds covering the
units inside their scope, those units' pages where they score, their own score workbooks —
and nothing of the staff's (the ledger's records, 我的整改, the roster and units, the campaign,
learning records, weekly reports, bulletins, the remedial rounds, the evaluation's figures).
Every other page and API operation answers 403 by role, whatever the id (the id-walk of every
route is in core/tests/test_url_policy.py)."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from qingfeng.core import registry
from qingfeng.core.tests.test_url_policy import API_PUBLIC, API_PUBLIC_OPERATIONS, walk
from qingfeng.evaluation.tests.base import AssessorCase
from qingfeng.orgs.models import Role, Unit
from qingfeng.test import make_user

# What the assessor opens without an id: their work, and what every account has (the home
# page, the calendar, notices, their own account, their own learning as a person on the roster).
OPENS = {
    "home",
    "core:calendar",
    "core:notifications",
    "core:notifications_read",
    "accounts:second_factor",
    "accounts:password_change",
    "accounts:profile",
    "accounts:totp_enable",
    "evaluation:rounds",
    "learning:mine",
    "learning:self_exams",
    "learning:self_exam_new",
    "api:me",
    "api:learning_me",
    "api:evaluation_rounds",
}


class AssessorTestCase(AssessorCase):
    def test_the_menu_holds_their_work_only(self) -> None:
        shown = {e.key for _s, items in registry.visible_menu(self.county_assessor) for e in items}
        self.assertEqual(shown, {"evaluation", "calendar", "my_study"})
        # The home page names their area, without the roster's counts or a link to the unit.
        home = self.login(self.county_assessor, Client()).get("/")
        self.assertContains(home, "我的管辖范围")
        self.assertContains(home, "东城区教育局")
        self.assertNotContains(home, 'data-testid="scope-counts"')
        self.assertNotContains(home, reverse("orgs:unit", args=[self.county.pk]))

    def test_every_page_and_operation_without_an_id_outside_their_work_is_403(self) -> None:
        client = self.login(self.county_assessor, Client())
        checked = 0
        for route in walk():
            name = route.name
            if route.has_parameters or route.namespace == "admin":
                continue
            if route.namespace == "api":
                if name.removeprefix("api:") in API_PUBLIC | API_PUBLIC_OPERATIONS:
                    continue
            elif route.callback.qf_policy == "public":  # type: ignore[attr-defined]
                continue
            response = client.get(route.route)
            if response.status_code == 405:  # a POST-only view asks the same question
                response = client.post(route.route)
            with self.subTest(route=route.route, name=name):
                if name in OPENS:
                    self.assertIn(response.status_code, {200, 302})
                else:
                    self.assertEqual(response.status_code, 403)
            checked += 1
        self.assertGreater(checked, 60)
        for name in (
            "ledger:list",
            "ledger:mine",
            "orgs:people",
            "orgs:units",
            "reports:bulletins",
        ):
            self.assertIn(name, {r.name for r in walk()})

    def test_their_rounds_and_units_only(self) -> None:
        """A round of the city shows the assessor of 东城区 its schools only; another county's
        school and a round of 西山县 answer as a missing one; the remedial rounds are closed."""
        city = self.open_round()
        west = self.open_round(owner=self.other_county, name="西山县学校满意度评议")
        client = self.login(self.county_assessor, Client())
        listed = client.get(reverse("evaluation:rounds"))
        self.assertContains(listed, city.name)
        self.assertNotContains(listed, west.name)
        page = client.get(reverse("evaluation:round", args=[city.pk]))
        self.assertEqual([r.unit for r in page.context["rows"]], [self.school, self.school2])
        self.assertTrue(page.context["scores"])
        unit = client.get(reverse("evaluation:unit", args=[city.pk, self.school.pk]))
        self.assertEqual(unit.status_code, 200)
        self.assertIsNotNone(unit.context["third_party_form"])
        for url in (
            reverse("evaluation:unit", args=[city.pk, self.other_school.pk]),
            reverse("evaluation:round", args=[west.pk]),
            reverse("evaluation:unit", args=[west.pk, self.other_school.pk]),
        ):
            with self.subTest(url):
                self.assertEqual(client.get(url).status_code, 404)
        missing = reverse("evaluation:unit", args=[2_000_000_000, self.school.pk])
        self.assertEqual(client.get(missing).status_code, 404)
        api = client.get(f"/api/evaluation/rounds/{city.pk}/results")
        self.assertEqual(api.status_code, 200)
        self.assertEqual(
            {row["unit_id"] for row in api.json()["results"]}, {self.school.pk, self.school2.pk}
        )
        self.assertEqual(client.get(f"/api/evaluation/rounds/{west.pk}/results").status_code, 404)
        self.assertEqual(client.get(reverse("evaluation:remedials")).status_code, 403)
        self.assertEqual(client.get("/api/evaluation/remedials").status_code, 403)

    def test_they_score_the_units_of_their_round(self) -> None:
        city = self.open_round()
        client = self.login(self.county_assessor, Client())
        url = reverse("evaluation:third_party", args=[city.pk, self.school.pk])
        response = client.post(url, {"indicator": "规范收费", "score": "88", "comment": "现场核查"})
        self.assertEqual(response.status_code, 302)
        page = client.get(reverse("evaluation:unit", args=[city.pk, self.school.pk]))
        self.assertContains(page, "现场核查")
        outside = reverse("evaluation:third_party", args=[city.pk, self.other_school.pk])
        self.assertEqual(
            client.post(outside, {"indicator": "规范收费", "score": "88"}).status_code, 404
        )

    def test_the_ledger_roster_and_campaign_api_are_closed(self) -> None:
        client = self.login(self.county_assessor, Client())
        for url in (
            "/api/ledger/problems",
            "/api/ledger/mine",
            "/api/orgs/units",
            "/api/orgs/people",
            "/api/campaigns/",
            "/api/reports/bulletins",
            "/api/learning/cases",
        ):
            with self.subTest(url):
                self.assertEqual(client.get(url).status_code, 403)
        self.assertEqual(client.get("/api/orgs/me").status_code, 200)

    def test_a_school_is_never_their_own_unit_to_score(self) -> None:
        """An assessor placed at a school (a misassignment) scores nothing there and reads no
        result of it: the assessor reads units strictly inside their scope."""
        at_school = make_user("school_assessor", unit=self.school, role=Role.THIRD_PARTY, name="甲")
        city = self.open_round(kinds=[Unit.Kind.SCHOOL])
        client = self.login(at_school, Client())
        url = reverse("evaluation:unit", args=[city.pk, self.school.pk])
        self.assertEqual(client.get(url).status_code, 404)
