"""A sealed visit is invisible to its target unit and everyone in its subtree through every
page, API answer and export until it starts — over every persona of the test city, and over
every page and API answer of the site for the target's own people and the county above it;
and no page or answer about the visit names the target to anyone before then (the leader's
audited reveal page is the one place, and only from the reveal time)."""

from __future__ import annotations

import zipfile
from datetime import timedelta
from io import BytesIO

import openpyxl
import time_machine
from django.test import Client, override_settings
from django.urls import reverse

from qingfeng.core.tests.machine import FILES_IN_MEMORY
from qingfeng.core.tests.test_url_policy import walk
from qingfeng.orgs.models import Role, User
from qingfeng.oversight import actions
from qingfeng.oversight.models import Visit
from qingfeng.oversight.tests.base import OversightCase
from qingfeng.test import make_user

# Pages that are not about the data: signing in and out, the language switch, the probe.
NOT_PAGES = ("accounts", "admin", "set_language", "healthz")


def site_pages() -> list[str]:
    """Every page and API answer of the site that takes no id (GET)."""
    return sorted(
        {
            route.route
            for route in walk()
            if not route.has_parameters
            and "^" not in route.route
            and not any(route.name.startswith(n) for n in NOT_PAGES)
        }
    )


def text_of(response: object) -> str:
    content = response.content  # type: ignore[attr-defined]
    kind = response["Content-Type"]  # type: ignore[index]
    if kind.startswith("application/vnd.openxmlformats-officedocument.spreadsheetml"):
        book = openpyxl.load_workbook(BytesIO(content), read_only=True)
        return " ".join(
            str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
        )
    if kind.startswith("application/vnd.openxml"):  # a Word file: the text of its parts
        with zipfile.ZipFile(BytesIO(content)) as parts:
            return " ".join(
                parts.read(name).decode("utf-8", "replace")
                for name in parts.namelist()
                if name.endswith(".xml")
            )
    return content.decode("utf-8", "replace")


@override_settings(STORAGES=FILES_IN_MEMORY)
class SealedVisitTestCase(OversightCase):
    def personas(self) -> dict[str, User]:
        names = (
            "bureau_admin county_admin school_admin other_school_admin teacher supervisor leader"
            " auditor system_admin office_user office_user2 member member2 county_supervisor"
        )
        return {name: getattr(self, name) for name in names.split()}

    def pages(self, visit_id: int) -> list[str]:
        return [
            reverse("oversight:visits"),
            reverse("oversight:visit", args=[visit_id]),
            reverse("oversight:visits_export"),
            reverse("oversight:groups"),
            reverse("oversight:draws"),
            reverse("oversight:liaison"),
            "/api/oversight/visits",
            f"/api/oversight/visits/{visit_id}",
            reverse("core:notifications"),
            reverse("ledger:list"),
            "/",
            reverse("notice:index"),
        ]

    def test_nobody_learns_the_target_before_the_visit_starts(self) -> None:
        target = self.school2
        visit = self.plan_visit(unit=target, team=[self.member])
        inside = {"county_admin"}  # 东城区's admin: the target's tree above it
        inside |= {"school_admin", "teacher"}  # another school of the same county, for contrast
        about_visits = set(self.pages(visit.pk)[:3] + self.pages(visit.pk)[6:9])
        for name, user in self.personas().items():
            client = self.login(user, Client())
            for url in self.pages(visit.pk):
                with self.subTest(persona=name, url=url):
                    response = client.get(url)
                    if response.status_code != 200:
                        continue
                    body = text_of(response)
                    if url in about_visits:
                        self.assertNotIn(target.name, body)
                    if name in inside:
                        self.assertNotIn(visit.number, body)
                        self.assertNotIn(visit.commitment, body)
        # The target's own people: the visit's page and answer are a 404, as a missing id.
        for user in (self.county_admin,):
            client = self.login(user, Client())
            self.assertEqual(
                client.get(reverse("oversight:visit", args=[visit.pk])).status_code, 404
            )
            self.assertEqual(client.get(f"/api/oversight/visits/{visit.pk}").status_code, 404)

    def test_the_targets_own_people_find_no_trace_on_any_page_or_answer(self) -> None:
        target = self.school2
        inside = {
            "target_admin": make_user(
                "target_admin", unit=target, role=Role.UNIT_ADMIN, name="尉迟静"
            ),
            "target_staff": make_user("target_staff", unit=target, role=Role.STAFF, name="闻人勇"),
            "county_admin": self.county_admin,
        }
        pages = site_pages()
        self.assertGreater(len(pages), 100)  # the whole site, not a chosen few

        def look() -> dict[tuple[str, str], tuple[int, int, str]]:
            seen = {}
            for name, user in inside.items():
                client = self.login(user, Client())
                for url in pages:
                    response = client.get(url)
                    body = text_of(response) if response.status_code == 200 else ""
                    seen[name, url] = (response.status_code, body.count(target.name), body)
            return seen

        before = look()
        visit = self.plan_visit(unit=target, team=[self.member])
        after = look()
        for key, (status, mentions, body) in after.items():
            with self.subTest(persona=key[0], url=key[1]):
                # The same answer, naming the target no more often than before the plan.
                self.assertEqual((status, mentions), before[key][:2])
                self.assertNotIn(visit.number, body)
                self.assertNotIn(visit.commitment, body)
        # Every route of the visit answers as it would for an id that does not exist.
        visit_routes = [r.route for r in walk() if r.route.startswith("/oversight/visits/<int:pk>")]
        self.assertGreater(len(visit_routes), 3)
        for name, user in inside.items():
            client = self.login(user, Client())
            for route in visit_routes:
                real, missing = (route.replace("<int:pk>", str(pk)) for pk in (visit.pk, 10**6))
                for method in (client.get, client.post):
                    with self.subTest(persona=name, url=real, method=method.__name__):
                        self.assertEqual(method(real).status_code, method(missing).status_code)
        visit.refresh_from_db()
        self.assertEqual(visit.status, Visit.Status.SEALED)
        self.assertIsNone(visit.unit_id)

    def test_the_leader_sees_it_only_from_the_reveal_time_and_then_it_is_a_visit_of_the_unit(
        self,
    ) -> None:
        target = self.school2
        visit = self.plan_visit(unit=target, team=[self.member], reveal_minutes=30)
        client = self.login(self.supervisor, Client())
        url = reverse("oversight:visit_reveal", args=[visit.pk])
        response = client.post(url, follow=True)
        self.assertNotContains(response, target.name)
        self.assertContains(response, "尚未到解封时间")
        with time_machine.travel(visit.planned_start - timedelta(minutes=30)):
            client = self.login(self.supervisor, Client())
            self.assertContains(client.post(url), target.name)
            member = self.login(self.member, Client())
            page = member.get(reverse("oversight:visit", args=[visit.pk]))
            self.assertNotContains(page, target.name)  # the team learns it on starting
            member.post(reverse("oversight:visit_start", args=[visit.pk]))
            self.assertContains(
                member.get(reverse("oversight:visit", args=[visit.pk])), target.name
            )
            actions.check_finish_visit(visit, actor=self.member)
        school = self.login(self.county_admin, Client())
        self.assertContains(school.get(reverse("oversight:visit", args=[visit.pk])), target.name)
