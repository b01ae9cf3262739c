"""Oversight's figures for the weekly report and the bulletin (core/registry.py): finished
visits and their findings count for the unit visited; a sealed visit counts nowhere."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from qingfeng.core import registry
from qingfeng.oversight import actions
from qingfeng.oversight.figures import compute
from qingfeng.oversight.tests.objects import _finished_visit, _group
from qingfeng.test import BaseTestCase


class OversightFiguresTestCase(BaseTestCase):
    def test_a_finished_visit_counts_for_the_unit_visited_and_a_sealed_one_nowhere(self) -> None:
        visit = _finished_visit(self)
        actions.check_plan_visit(  # sealed: its target stays unknown to every figure
            actor=self.bureau_admin,
            group=_group(self),
            unit=self.school2,
            planned_start=timezone.now() + timedelta(days=3),
            team=[self.supervisor],
            checklist_items=["fees"],
        )
        day = timezone.localdate(visit.finished_at)
        figures = compute([self.school.pk, self.school2.pk], day, day)
        self.assertEqual(
            figures[self.school.pk],
            {"visits_finished": 1, "visit_findings": 1, "visit_findings_fixed": 0},
        )
        self.assertNotIn(self.school2.pk, figures)
        self.assertEqual(
            compute([self.school.pk], day - timedelta(days=9), day - timedelta(days=1)), {}
        )
        self.assertIn("oversight", {s.key for s in registry.figure_sources()})
