"""A visit draw's results are due on its public notice within QF_OVERSIGHT_PUBLISH_WORKDAYS
working days of its last visit ending: the draw's page says by when, with the light."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from qingfeng.core.calendar import get_calendar
from qingfeng.core.tests.machine import FILES_IN_MEMORY
from qingfeng.oversight import actions, selectors
from qingfeng.oversight.tests.base import OversightCase


@override_settings(STORAGES=FILES_IN_MEMORY, QF_OVERSIGHT_PUBLISH_WORKDAYS=5)
@time_machine.travel("2026-12-07 09:00 +08:00", tick=False)  # a Monday
class PublicationDueTestCase(OversightCase):
    def test_due_after_the_last_visit_with_its_light_until_published(self) -> None:
        draw = self.run_draw(self.commit_draw(count=2, inspectors_per_target=2))
        visits = actions.plan_visits_from_draw(
            draw,
            actor=self.office_user,
            group=self.make_group(),
            planned_start=timezone.now() + timedelta(minutes=5),
            checklist_items=["fees"],
        )
        self.assertIsNone(selectors.publication_due(draw))  # sealed visits still to come
        for visit in visits:
            member = visit.team.order_by("pk").first()
            assert member is not None
            actions.check_start_visit(visit, actor=member)
            self.assertIsNone(selectors.publication_due(draw))
            actions.check_finish_visit(visit, actor=member)
        due = get_calendar().add_workdays(timezone.localdate(), 5)
        self.assertEqual(selectors.publication_due(draw), (due, "green"))
        page = self.login(self.office_user, Client()).get(reverse("oversight:draw", args=[draw.pk]))
        self.assertContains(page, f"应于 {due.isoformat()} 前公开（结束后 5 个工作日内）")
        with time_machine.travel(due + timedelta(days=1), tick=False):
            self.assertEqual(selectors.publication_due(draw), (due, "red"))
            page = self.login(self.office_user, Client()).get(
                reverse("oversight:draw", args=[draw.pk])
            )
            self.assertContains(page, "已逾期")
        actions.check_publish_draw(draw, actor=self.office_user)
        self.assertIsNone(selectors.publication_due(draw))
