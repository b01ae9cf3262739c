"""Every event intake writes has a name, the same on the staff page, the reporter's page and in
the API: the actions are driven through every kind of event, then the stored rows are read."""

from __future__ import annotations

from qingfeng.intake import actions, workflow
from qingfeng.intake.models import Ticket, TicketEvent
from qingfeng.intake.tests.handling_base import IntakeTestCase
from qingfeng.ledger.models import Category


class EventLabelsTestCase(IntakeTestCase):
    def drive_every_event(self) -> None:
        closed = self.replied()
        actions.check_close(closed, actor=self.bureau_admin, note="电话回访，反映人满意")
        actions.check_decline(self.make_ticket(), actor=self.bureau_admin, reason="不属于管辖范围")
        actions.check_return(self.assigned(), actor=self.school_admin, reason="转错了单位")
        master, dup = self.assigned(), self.accepted()
        actions.check_merge(dup, actor=self.bureau_admin, master=master)  # merge, merged_in
        actions.check_reply(master, actor=self.school_admin, body="已统一退费。")  # dup: reply
        actions.check_create_problem_from_ticket(
            self.assigned(),
            actor=self.bureau_admin,
            category=Category.objects.get(name="教辅材料违规征订"),
        )
        actions.check_enter_call(
            actor=self.hotline,
            channel=Ticket.Channel.PHONE,
            kind=Ticket.Kind.COMPLAINT,
            category=self.category,
            unit=self.school,
            title="食堂饭菜分量不足",
            content="学生反映食堂饭菜分量明显不足，已有一个月。",
            anonymous=True,
        )
        rated = self.replied()
        actions.check_rate(rated, rating=2, comment="费用没有退")  # redo
        actions.check_reply(rated, actor=self.school_admin, body="已全额退费。")
        actions.check_rate(rated, rating=1, comment="还是没退")  # escalate
        actions.check_rate(self.replied(), rating=5, comment="")  # close

    def test_every_event_written_has_a_label(self) -> None:
        self.drive_every_event()
        written = set(TicketEvent.objects.values_list("action", flat=True))
        self.assertLessEqual(
            {"submit", "merged_in", "to_problem", "redo", "escalate", "merge", "return"}, written
        )
        self.assertLessEqual(set(workflow.MOVES), written)  # every move was reached
        for action in written:
            with self.subTest(action=action):
                self.assertIn(action, workflow.LABELS)
                self.assertNotEqual(str(workflow.event_label(action)), action)

    def test_a_submission_is_named_by_how_it_came_in_for_staff(self) -> None:
        web = self.make_ticket()
        call = self.make_ticket(channel=Ticket.Channel.PHONE)
        self.assertEqual(str(workflow.event_label("submit", channel=web.channel)), "网上提交")
        self.assertEqual(str(workflow.event_label("submit", channel=call.channel)), "热线来电录入")
        self.assertEqual(str(workflow.event_label("submit")), "提交反映")  # the reporter's page
