"""The session and case life cycles under random legal and illegal moves by random personas.

A hypothesis state machine plans sessions of 东城区实验小学 and drives them through the real
actions — ask and decide leave, tick attendance, scan, hold, cancel, complete make-ups — and
cases through submit / approve / return / reject, each by the school's admin, a teacher or
another school's admin through the page's gate (the scoped lookup and the policy). After every
step: a refused move changed nothing; a held session has no one left "expected" and exactly one
make-up per absence or leave; every session's and case's events walk the workflow's moves
ending at its status.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, invariant, rule

from qingfeng.core.tests.machine import DatabaseMachine, run_machine
from qingfeng.learning import actions, selectors, tokens, workflow
from qingfeng.learning.models import Attendance, Case, CaseEvent, Makeup, Session, SessionEvent
from qingfeng.learning.permissions import can
from qingfeng.learning.tests.base import LearningCase
from qingfeng.orgs.models import User

A = Attendance.Status
PERSONAS = ("school_admin", "teacher", "other_school_admin")


class LearningMachine(DatabaseMachine):
    watched: ClassVar = (Session, SessionEvent, Attendance, Makeup, Case, CaseEvent)
    start = "2026-12-14 09:00 +0800"
    sessions = Bundle("sessions")
    cases = Bundle("cases")

    def __init__(self, case: LearningCase) -> None:
        super().__init__(case)
        self.tc = case

    def user(self, name: str) -> User:
        return getattr(self.tc, name)

    def session(self, user: User, pk: int, *, organise: bool) -> Session:
        """The page's gate: the scoped lookup, then the policy."""
        if organise:
            return selectors.get_session_to_organise(user, pk)
        return selectors.get_session_for_user(user, pk)

    @rule(target=sessions, hours=st.sampled_from([-2, 3, 30]))
    def plan(self, hours: int) -> int:
        session = actions.check_plan_session(
            actor=self.tc.school_admin,
            unit=self.tc.school,
            type=self.tc.type("all_staff"),
            starts_at=timezone.now() + timedelta(hours=hours),
            place="会议室",
            chair="校长",
            topic="学习",
        )
        return session.pk

    @rule(pk=sessions, who=st.sampled_from(PERSONAS))
    def ask_leave(self, pk: int, who: str) -> None:
        user = self.user(who)

        def go() -> None:
            person = user.person
            session = self.session(user, pk, organise=False)
            actions.check_ask_leave(session, person=person, actor=user, reason="外出")

        self.attempt("ask_leave", go)

    @rule(pk=sessions, who=st.sampled_from(PERSONAS), approve=st.booleans())
    def decide_leave(self, pk: int, who: str, approve: bool) -> None:
        user = self.user(who)

        def go() -> None:
            session = self.session(user, pk, organise=True)
            row = session.attendance.filter(leave_asked_at__isnull=False).first()
            if row is None:
                raise Http404
            actions.check_decide_leave(row, actor=user, approve=approve)

        self.attempt("decide_leave", go)

    @rule(pk=sessions, who=st.sampled_from(PERSONAS), status=st.sampled_from(A.values))
    def mark(self, pk: int, who: str, status: str) -> None:
        user = self.user(who)

        def go() -> None:
            session = self.session(user, pk, organise=True)
            person = self.tc.principal
            actions.check_mark_attendance(session, actor=user, marks={person.pk: status})

        self.attempt("mark", go)

    @rule(pk=sessions, who=st.sampled_from(PERSONAS), device=st.sampled_from(["a", "b"]))
    def scan(self, pk: int, who: str, device: str) -> None:
        user = self.user(who)

        def go() -> None:
            if not can(user, "study"):
                raise Http404
            actions.check_scan(
                tokens.make(pk),
                person=user.person,
                actor=user,
                device=device,
            )

        self.attempt("scan", go)

    @rule(target=cases, pk=sessions, who=st.sampled_from(PERSONAS), cancel=st.booleans())
    def close(self, pk: int, who: str, cancel: bool) -> int:
        user = self.user(who)

        def go() -> None:
            session = self.session(user, pk, organise=True)
            if cancel:
                actions.check_cancel_session(session, actor=user, reason="改期")
            else:
                actions.check_hold_session(session, actor=user, minutes="学习内容")

        self.attempt("close", go)
        return actions.check_enter_case(
            actor=self.tc.office_user,
            owner=self.tc.bureau,
            title="案例",
            facts="违规收费",
            category=Case.Category.FEES,
            level=Case.Level.LOCAL,
        ).pk

    @rule(
        who=st.sampled_from(PERSONAS),
        note=st.sampled_from(["短", "认真自学了八项规定精神，对照查摆了自身不足之处。"]),
    )
    def make_up(self, who: str, note: str) -> None:
        user = self.user(who)
        open_ = Makeup.objects.filter(status=Makeup.Status.OPEN).order_by("pk").first()
        if open_ is None:
            return

        def go() -> None:
            makeup = selectors.get_makeup_for_user(user, open_.pk)
            actions.check_complete_makeup(makeup, actor=user, note=note)

        self.attempt("make_up", go)

    @rule(pk=cases, action=st.sampled_from(["submit", "approve", "return", "reject"]))
    def move_case(self, pk: int, action: str) -> None:
        actor = self.tc.office_user

        def go() -> None:
            case = Case.objects.get(pk=pk)
            if action == "submit":
                actions.check_submit_case(case, actor=actor)
            else:
                actions.check_decide_case(case, actor=actor, action=action, reason="理由")

        self.attempt("move_case", go)

    @rule(days=st.sampled_from([1, 2]))
    def days_pass(self, days: int) -> None:
        self.pass_days(days)

    @invariant()
    def held_sessions_are_complete(self) -> None:
        for session in Session.objects.filter(status=Session.Status.HELD):
            rows = list(session.attendance.all())
            self.case.assertFalse([r for r in rows if r.status == A.EXPECTED])
            missed = {r.pk for r in rows if r.status in (A.ABSENT, A.LEAVE)}
            made = set(
                Makeup.objects.filter(attendance__session=session).values_list(
                    "attendance_id", flat=True
                )
            )
            self.case.assertEqual(missed, made)
        self.case.assertFalse(
            Makeup.objects.filter(attendance__session__status=Session.Status.PLANNED).exists()
        )

    @invariant()
    def events_walk_the_workflow(self) -> None:
        for model, flow, subject in (
            (Session, workflow.SESSION, "session"),
            (Case, workflow.CASE, "case"),
        ):
            for obj in model.objects.all():
                events: list[Any] = list(obj.events.order_by("pk"))
                statuses = [e.to_status for e in events if e.to_status]
                self.case.assertEqual(statuses[-1], obj.status, subject)
                for before, after in pairwise(e for e in events if e.from_status):
                    self.case.assertEqual(before.to_status, after.from_status)
                for e in events:
                    if e.action in flow.moves:
                        self.case.assertEqual(flow.target(e.from_status, e.action), e.to_status)


class LearningWorkflowTestCase(LearningCase):
    def test_random_moves_keep_the_workflows_rules(self) -> None:
        run_machine(lambda: LearningMachine(self), examples=8, steps=25)

    def test_a_refused_move_says_why(self) -> None:
        session = self.plan("all_staff", when="2026-12-10 15:00")
        actions.check_cancel_session(session, actor=self.school_admin, reason="改期")
        with self.assertRaisesMessage(ValidationError, "已取消"):
            actions.check_hold_session(session, actor=self.school_admin, minutes="x")
