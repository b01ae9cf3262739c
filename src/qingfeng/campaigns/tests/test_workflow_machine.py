"""The weekly report's life cycle driven at random (core/tests/machine.py): filing,
correcting, returning and approving by the school, another school and the county, with and
without reasons, while the days pass the due day. A refused move changes no watched row; an
applied one writes its event row and its audit row; a filed report is never changed after
its due day unless it was returned; a late first filing is marked late."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from hypothesis import strategies as st
from hypothesis.stateful import rule

from qingfeng.campaigns import actions
from qingfeng.campaigns.models import ReportEvent, WeeklyReport
from qingfeng.campaigns.tests.base import MONDAY, CampaignCase
from qingfeng.core.models import AuditEvent
from qingfeng.core.tests.machine import DatabaseMachine, run_machine

PERSONAS = ("school_admin", "other_school_admin", "county_admin")


class WeeklyMachine(DatabaseMachine):
    watched = (WeeklyReport, ReportEvent)
    start = "2026-11-04 10:00 +0800"  # the Wednesday of the week of 2 November; due 10 Nov

    def __init__(self, case: Any) -> None:
        super().__init__(case)
        self.c = case

    def report(self) -> WeeklyReport | None:
        return WeeklyReport.objects.filter(unit=self.c.school, week_start=MONDAY).first()

    @rule(
        who=st.sampled_from(PERSONAS),
        value=st.integers(-1, 3),
        reason=st.sampled_from(["", "线下自查发现"]),
        text=st.sampled_from(["", "进展", "字" * 501]),
    )
    def file(self, who: str, value: int, reason: str, text: str) -> None:
        before = self.report()
        step = self.attempt(
            "file",
            lambda: actions.check_file_report(
                self.c.campaign,
                unit=self.c.school,
                week_start=MONDAY,
                actor=getattr(self.c, who),
                corrections={"problems_new": (value, reason)},
                narrative=text,
            ),
        )
        if step is None:
            return
        after = self.report()
        assert after is not None
        self.case.assertEqual(who, "school_admin")
        today = timezone.localdate()
        if before is None:
            self.case.assertEqual(after.late, today > after.due_on)
        else:
            self.case.assertTrue(before.status == "returned" or today <= before.due_on)
            self.case.assertEqual(after.late, before.late)  # a late mark stays
        self.case.assertEqual(len(step.added(ReportEvent)), 1)
        self.case.assertEqual(len(step.added(AuditEvent)), 1)

    @rule(
        who=st.sampled_from(PERSONAS), approve=st.booleans(), reason=st.sampled_from(["", "补充"])
    )
    def review(self, who: str, approve: bool, reason: str) -> None:
        report = self.report()
        if report is None:
            return
        step = self.attempt(
            "review",
            lambda: actions.check_review_report(
                report, actor=getattr(self.c, who), approve=approve, reason=reason
            ),
        )
        if step is None:
            return
        self.case.assertEqual(who, "county_admin")
        self.case.assertEqual(len(step.added(ReportEvent)), 1)

    @rule(days=st.integers(1, 4))
    def wait(self, days: int) -> None:
        self.pass_days(days)


class WeeklyMachineTestCase(CampaignCase):
    def test_random_moves_keep_the_weekly_reports_rules(self) -> None:
        run_machine(lambda: WeeklyMachine(self), examples=10, steps=15)
