"""A visit draw's results are due on its public notice within QF_OVERSIGHT_PUBLISH_WORKDAYS
working days of its last visit ending: the draw's page says by when, with the light, and the
daily sweep reminds the office on the ladder of core.deadlines (催办, 督办, 提级督办), each
stage once."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from qingfeng.core.calendar import get_calendar
from qingfeng.core.models import Escalation, Notification
from qingfeng.core.tests.machine import FILES_IN_MEMORY
from qingfeng.oversight import actions, deadlines, selectors, tasks
from qingfeng.oversight.models import Draw
from qingfeng.oversight.tests.base import OversightCase


@override_settings(STORAGES=FILES_IN_MEMORY, QF_OVERSIGHT_PUBLISH_WORKDAYS=5)
@time_machine.travel("2026-12-07 09:00 +08:00", tick=False)  # a Monday
class PublicationDueTestCase(OversightCase):
    def visited(self, *, finish: bool = True) -> Draw:
        """A visit draw whose two visits were made today (finished, unless said)."""
        draw = self.run_draw(self.commit_draw(count=2, inspectors_per_target=2))
        visits = actions.plan_visits_from_draw(
            draw,
            actor=self.office_user,
            group=self.make_group(),
            planned_start=timezone.now() + timedelta(minutes=5),
            checklist_items=["fees"],
        )
        for visit in visits:
            member = visit.team.order_by("pk").first()
            assert member is not None
            actions.check_start_visit(visit, actor=member)
            if finish:
                actions.check_finish_visit(visit, actor=member)
        return draw

    def told(self, draw: Draw) -> dict[str, set[str]]:
        """Each stage sent for the draw, with the names of the people it was sent to."""
        found: dict[str, set[str]] = {}
        for row in Escalation.objects.filter(subject="oversight.draw", object_id=draw.pk):
            names = Notification.objects.filter(
                recipient_id__in=row.recipients, title__contains=row.get_stage_display()
            ).values_list("recipient__person__name", flat=True)
            found[row.stage] = set(names)
        return found

    def test_the_office_reminded_then_noticed_then_the_leader_each_once(self) -> None:
        calendar = get_calendar()
        today = timezone.localdate()
        draw = self.visited(finish=False)
        self.assertEqual(deadlines.remind_publication(calendar.add_workdays(today, 30)), 0)
        for visit in draw.visits.all():  # started, still under way: no deadline yet
            actions.check_finish_visit(visit, actor=visit.team.order_by("pk")[0])
        due = calendar.add_workdays(today, 5)
        self.assertEqual(deadlines.remind_publication(today), 0)  # green: nothing yet
        office = {"欧阳晓燕", "上官文静", "赵建国"}  # the bureau's 专项办 and 局管理员
        self.assertEqual(deadlines.remind_publication(due), 1)  # yellow on the due day: 催办
        self.assertEqual(deadlines.remind_publication(due), 0)  # once
        self.assertEqual(self.told(draw), {"remind": office})
        late = calendar.add_workdays(due, 1)
        self.assertEqual(deadlines.remind_publication(late), 1)  # red: 督办
        self.assertEqual(deadlines.remind_publication(late), 0)
        self.assertEqual(self.told(draw)["notice"], office)
        # More than QF_LEDGER_ESCALATE_AFTER_DAYS (3) working days overdue: the 分管领导.
        self.assertEqual(deadlines.remind_publication(calendar.add_workdays(due, 3)), 0)
        self.assertEqual(deadlines.remind_publication(calendar.add_workdays(due, 4)), 1)
        self.assertEqual(self.told(draw)["escalate"], {"郑志强"})
        note = Notification.objects.filter(recipient=self.leader).get()
        self.assertEqual(
            note.title, f"【提级督办】{draw.number} 抽查结果应于 {due.isoformat()} 前公开"
        )
        self.assertEqual(note.link, reverse("oversight:draw", args=[draw.pk]))
        # The worker's daily task runs the same sweep for its day: nothing is sent twice.
        with time_machine.travel(calendar.add_workdays(due, 5), tick=False):
            self.assertEqual(tasks.oversight_publication_reminders.call_local(), 0)
        self.assertEqual(Escalation.objects.filter(object_id=draw.pk).count(), 3)

    def test_a_published_draw_hears_nothing(self) -> None:
        draw = self.visited()
        due = get_calendar().add_workdays(timezone.localdate(), 5)
        actions.check_publish_draw(draw, actor=self.office_user)
        self.assertEqual(deadlines.remind_publication(due), 0)
        self.assertEqual(deadlines.remind_publication(due + timedelta(days=30)), 0)
        self.assertFalse(Escalation.objects.filter(subject="oversight.draw").exists())

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
