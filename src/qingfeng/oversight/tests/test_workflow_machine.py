"""The sealed visit's life cycle under random legal and illegal moves by random personas:
plan (the office), time passing, reveal (the leader, from the reveal time), start, findings,
finish and cancel — through the page's gate (the scoped lookup and the policy) or the action
alone.

After every step: a refused move changed nothing; an applied move wrote its audit row, and an
event row when it moved the status; a visit has a unit exactly when it has started; a sealed
visit was started only from its reveal time; a finished visit has one ledger problem per
finding, of source 督导, and nothing else of it is in the ledger.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.utils import timezone
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, invariant, rule

from qingfeng.core.models import AuditEvent
from qingfeng.core.tests.machine import FILES_IN_MEMORY, DatabaseMachine, run_machine
from qingfeng.ledger.models import Problem
from qingfeng.oversight import actions, selectors
from qingfeng.oversight.models import Finding, Visit, VisitEvent
from qingfeng.oversight.permissions import can
from qingfeng.oversight.tests.base import OversightCase
from qingfeng.oversight.workflow import VISIT_MOVES

PERSONAS = ("office_user", "supervisor", "member", "member2", "school_admin", "county_admin")


class VisitMachine(DatabaseMachine):
    watched = (Visit, VisitEvent, Finding, Problem)
    start = "2026-12-14 09:00 +0800"
    visits = Bundle("visits")

    def __init__(self, case: OversightCase) -> None:
        super().__init__(case)
        self.t = case
        self.group = case.make_group()

    def user(self, name: str) -> Any:
        return getattr(self.t, name)

    def gate(self, name: str, visit: Visit, action: str) -> Visit:
        user = self.user(name)
        found = selectors.get_visit_for_user(user, visit.pk)
        if not can(user, action, found):
            raise PermissionDenied
        return found

    @rule(target=visits, hours=st.integers(1, 5), unit=st.sampled_from(["school", "school2"]))
    def plan(self, hours: int, unit: str) -> Visit:
        visit = self.t.plan_visit(
            self.group,
            unit=getattr(self.t, unit),
            team=[self.t.member],
            planned_start=timezone.now() + timedelta(hours=hours),
        )
        return visit

    @rule(minutes=st.integers(10, 180))
    def time_passes(self, minutes: int) -> None:
        self._travel.shift(timedelta(minutes=minutes))

    def _audited(self, step: Any, moved: bool) -> None:
        if step is None:
            return
        self.case.assertTrue(step.added(AuditEvent))
        events = step.added(VisitEvent)
        if moved:
            self.case.assertTrue(any(e["to_status"] for e in events))

    @rule(visit=visits, who=st.sampled_from(PERSONAS), through_page=st.booleans())
    def start_visit(self, visit: Visit, who: str, through_page: bool) -> None:
        visit.refresh_from_db()
        opens = visit.planned_start - timedelta(minutes=visit.reveal_minutes)
        early = timezone.now() < opens

        def move() -> None:
            found = self.gate(who, visit, "record") if through_page else visit
            actions.check_start_visit(found, actor=self.user(who))

        step = self.attempt("start", move)
        if step is not None:
            self.case.assertFalse(early, "started before its reveal time")
        self._audited(step, moved=True)

    @rule(visit=visits, who=st.sampled_from(PERSONAS), fixed=st.booleans())
    def add_finding(self, visit: Visit, who: str, fixed: bool) -> None:
        step = self.attempt(
            "finding",
            lambda: actions.check_add_finding(
                self.gate(who, visit, "record"),
                actor=self.user(who),
                item="fees",
                text="收费未公示",
                fixed_on_spot=fixed,
                fix_note="已整改" if fixed else "",
            ),
        )
        self._audited(step, moved=False)

    @rule(visit=visits, who=st.sampled_from(PERSONAS), through_page=st.booleans())
    def finish(self, visit: Visit, who: str, through_page: bool) -> None:
        def move() -> None:
            found = self.gate(who, visit, "record") if through_page else visit
            actions.check_finish_visit(found, actor=self.user(who))

        self._audited(self.attempt("finish", move), moved=True)

    @rule(visit=visits, who=st.sampled_from(PERSONAS))
    def cancel(self, visit: Visit, who: str) -> None:
        step = self.attempt(
            "cancel",
            lambda: actions.do_cancel_visit(
                self.gate(who, visit, "cancel"), actor=self.user(who), reason="天气原因"
            ),
        )
        self._audited(step, moved=True)

    @invariant()
    def unit_only_once_started(self) -> None:
        for visit in Visit.objects.all():
            started = visit.status in {Visit.Status.STARTED, Visit.Status.FINISHED}
            self.case.assertEqual(visit.unit_id is not None, started)
            moves = list(visit.events.exclude(to_status="").values_list("action", flat=True))
            self.case.assertTrue(all(m in VISIT_MOVES for m in moves[1:]))

    @invariant()
    def findings_are_problems_once_finished(self) -> None:
        for visit in Visit.objects.all():
            problems = Problem.objects.filter(source_ref=visit.number)
            findings = visit.findings.count()
            expected = findings if visit.status == Visit.Status.FINISHED else 0
            self.case.assertEqual(problems.count(), expected)
            self.case.assertTrue(all(p.source == Problem.Source.SUPERVISION for p in problems))


@override_settings(STORAGES=FILES_IN_MEMORY)
class VisitWorkflowMachineTestCase(OversightCase):
    def test_random_moves_keep_the_workflows_rules(self) -> None:
        run_machine(lambda: VisitMachine(self), examples=8, steps=20)
