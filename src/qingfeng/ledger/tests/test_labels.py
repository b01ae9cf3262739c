"""Every event the ledger writes has a name, the same on the pages and in the API: the actions
are driven through every kind of event, then the stored rows are read."""

from __future__ import annotations

import time_machine

from qingfeng.ledger import actions, workflow
from qingfeng.ledger.models import Problem, Transition, Verification
from qingfeng.ledger.tests.base import LedgerTestCase, d


class EventLabelsTestCase(LedgerTestCase):
    def verify(self, problem: Problem, outcome: str) -> None:
        actions.check_verify(problem, verifier=self.county_admin, outcome=outcome, comment="审核")

    def drive_every_event(self) -> None:
        with time_machine.travel("2026-11-10 10:00 +0800"):
            closed = self.awaiting_verification()
            self.verify(closed, Verification.Outcome.APPROVED)
            self.verify(self.awaiting_verification(), Verification.Outcome.RETURNED)
            long_term = self.awaiting_verification(
                rectification_type=Problem.RectificationType.LONG_TERM, deadline_workdays=None
            )
            self.verify(long_term, Verification.Outcome.STAGE_APPROVED)
            actions.check_withdraw(self.assigned(), actor=self.bureau_admin, reason="重复登记")
        with time_machine.travel("2027-01-04 10:00 +0800"):
            for recheck in actions.draw_rechecks(d("2027-01-04"), percent=100):
                actions.check_decide_recheck(
                    recheck, actor=self.supervisor, passed=False, comment="问题反弹"
                )

    def test_every_event_written_has_a_label(self) -> None:
        self.drive_every_event()
        written = set(Transition.objects.values_list("action", flat=True))
        self.assertLessEqual(
            {"create", "assign", "accept", "start", "request_closure", "close", "return"}, written
        )
        self.assertLessEqual({"complete_stage", "withdraw", "reopen"}, written)
        for action in written:
            with self.subTest(action=action):
                self.assertIn(action, workflow.LABELS)
                self.assertNotEqual(str(workflow.LABELS[action]), action)
