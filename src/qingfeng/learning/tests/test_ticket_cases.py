"""A closed item of another app (intake's tickets, reached through the registry) proposed as a
typical case: redacted like a closed problem, its source kept privately, approved by the bureau.
Here the source is a stand-in registered for the test; intake's own is tested in intake."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError

from qingfeng.core import registry
from qingfeng.core.registry import CaseMaterial
from qingfeng.learning import actions, selectors
from qingfeng.learning.models import Case
from qingfeng.learning.tests.base import LearningCase


class StandIn:
    key = "test.ticket"
    label = "工单"

    def __init__(self, material: CaseMaterial, *, visible_to: set[int]) -> None:
        self.material, self.visible_to = material, visible_to

    def closed(self, viewer: Any, *, exclude: Iterable[int], limit: int) -> list[CaseMaterial]:
        ok = viewer.pk in self.visible_to and self.material.pk not in set(exclude)
        return [self.material] if ok else []

    def get(self, viewer: Any, pk: int) -> CaseMaterial | None:
        return self.material if viewer.pk in self.visible_to and pk == self.material.pk else None

    def visible(self, viewer: Any, pk: int) -> bool:
        return viewer.pk in self.visible_to

    def url(self, pk: int) -> str:
        return f"/intake/{pk}/"


class TicketCaseTestCase(LearningCase):
    def setUp(self) -> None:
        super().setUp()
        self.material = CaseMaterial(
            key="test.ticket",
            pk=41,
            number="TS20261120-0007",
            title="东城区实验小学老师要求购买指定教辅",
            text="2026年11月3日，三年级周小燕老师要求每人购买120元教辅，我是张小明，"
            "电话13766665555。校长韩国栋知情。",
            outcome="已责令退还费用，钟秀英负责跟踪，在东城实小全校通报。",
            unit=self.school,
            closed_on=date(2026, 11, 20),
            names=("张小明", "周小燕"),
            link="/intake/41/",
        )
        self.source = StandIn(self.material, visible_to={self.county_admin.pk})
        registry.add_case_source(self.source)
        self.addCleanup(registry._registry.case_sources.pop, "test.ticket", None)

    def test_a_closed_ticket_becomes_a_redacted_case_approved_by_the_bureau(self) -> None:
        listed = selectors.closed_items_to_propose(self.county_admin)
        self.assertIn(self.material, listed)
        self.assertEqual(selectors.closed_items_to_propose(self.school_admin), [])
        case = actions.check_propose_case_from(
            self.material, actor=self.county_admin, owner=self.county
        )
        text = " ".join([case.title, case.facts, case.outcome, case.source_document])
        for secret in (
            "张小明",
            "周小燕",
            "韩国栋",
            "钟秀英",
            "13766665555",
            "东城区实验小学",
            "东城实小",
            "3日",
            "TS20261120",
        ):
            with self.subTest(secret=secret):
                self.assertNotIn(secret, text)
        self.assertIn("某校", case.title)
        self.assertEqual(case.occurred_on, date(2026, 11, 1))
        self.assertEqual((case.source_kind, case.source_id), ("test.ticket", 41))
        self.assertEqual((case.source_unit, case.status), (self.school, Case.Status.DRAFT))
        # Proposed once: no longer offered, and refused a second time.
        self.assertEqual(selectors.closed_items_to_propose(self.county_admin), [])
        with self.assertRaisesMessage(ValidationError, "已推荐为案例"):
            actions.check_propose_case_from(
                self.material, actor=self.county_admin, owner=self.county
            )
        # The private link: for those who may open the ticket only.
        self.assertEqual(selectors.source_link(self.county_admin, case), "/intake/41/")
        self.assertEqual(selectors.source_link(self.bureau_admin, case), "")
        # A name put back by hand is caught before submission.
        actions.check_edit_case(case, actor=self.county_admin, lessons="周小燕应引以为戒")
        with self.assertRaisesMessage(ValidationError, "周小燕"):
            actions.check_submit_case(case, actor=self.county_admin)
        actions.check_edit_case(case, actor=self.county_admin, lessons="教师应引以为戒")
        actions.check_submit_case(case, actor=self.county_admin)
        actions.check_decide_case(case, actor=self.office_user, action="approve")
        case.refresh_from_db()
        self.assertEqual((case.status, case.approved_by), (Case.Status.PUBLISHED, self.office_user))

    def test_the_pages_propose_it_and_only_for_the_organiser_who_sees_it(self) -> None:
        url = "/learning/cases/propose/test.ticket/41/"
        self.assertEqual(self.login(self.school_admin).post(url).status_code, 404)
        client = self.login(self.county_admin)
        page = client.get("/learning/cases/")
        self.assertContains(page, "从已办结工单推荐案例")
        self.assertContains(page, url)
        done = client.post(url)
        case = Case.objects.get(source_kind="test.ticket")
        self.assertRedirects(done, f"/learning/cases/{case.pk}/")
        self.assertContains(client.get(done["Location"]), 'data-testid="source-ticket"')
        self.assertNotContains(
            self.login(self.bureau_admin).get(done["Location"]), 'data-testid="source-ticket"'
        )
