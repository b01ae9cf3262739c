"""A sealed visit is invisible to its target unit and everyone in its subtree through every
page, API answer and export until it starts — over every persona of the test city; and no
page or answer about the visit names the target to anyone before then (the leader's audited
reveal page is the one place, and only from the reveal time)."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import openpyxl
import time_machine
from django.test import Client, override_settings
from django.urls import reverse

from qingfeng.core.tests.machine import FILES_IN_MEMORY
from qingfeng.orgs.models import User
from qingfeng.oversight import actions
from qingfeng.oversight.tests.base import OversightCase


def text_of(response: object) -> str:
    content = response.content  # type: ignore[attr-defined]
    if response["Content-Type"].startswith("application/vnd.openxml"):  # type: ignore[index]
        book = openpyxl.load_workbook(BytesIO(content), read_only=True)
        return " ".join(
            str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
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
