"""The life cycles of draws and rounds: every move from every state through the workflow
(a legal move writes its event and audit rows, an illegal one is refused with a Chinese
sentence and changes nothing), the actions that wrap them, and a state machine of rounds
under random moves by random personas.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.test import override_settings
from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

from qingfeng.core.lifecycle import InvalidTransition, target_of
from qingfeng.core.models import AuditEvent
from qingfeng.core.tests.machine import FILES_IN_MEMORY, DatabaseMachine, run_machine
from qingfeng.ledger.models import Problem
from qingfeng.oversight import actions
from qingfeng.oversight.models import Draw, DrawEvent, Round, RoundEvent, RoundFinding
from qingfeng.oversight.tests.base import OversightCase
from qingfeng.oversight.workflow import DRAW, DRAW_MOVES, PHASES, ROUND, ROUND_MOVES


def counts() -> tuple[int, int, int]:
    return DrawEvent.objects.count(), RoundEvent.objects.count(), AuditEvent.objects.count()


class TransitionTableTestCase(OversightCase):
    def test_every_round_move_from_every_phase(self) -> None:
        round_ = self.make_round()
        for status in Round.Status:
            for action in ROUND_MOVES:
                with self.subTest(status=status.value, action=action):
                    Round.objects.filter(pk=round_.pk).update(status=status)
                    before = counts()
                    target = target_of(ROUND_MOVES, status, action)
                    if target is None:
                        with self.assertRaises(InvalidTransition) as refused:
                            ROUND.apply(round_, action, actor=self.office_user)
                        self.assertIn(
                            f"巡察当前阶段为“{status.label}”", refused.exception.messages[0]
                        )
                        self.assertEqual(counts(), before)
                        round_.refresh_from_db()
                        self.assertEqual(round_.status, status)
                        continue
                    ROUND.apply(round_, action, actor=self.office_user)
                    round_.refresh_from_db()
                    self.assertEqual(round_.status, target)
                    event = round_.events.latest("id")
                    self.assertEqual((event.from_status, event.to_status), (status, target))
                    audit = AuditEvent.objects.latest("id")
                    self.assertEqual(audit.action, f"oversight.round.{action}")
                    self.assertEqual(counts()[1:], (before[1] + 1, before[2] + 1))

    def test_the_phases_follow_one_another(self) -> None:
        reached: list[str] = [Round.Status.PREPARING]
        while (moves := ROUND.allowed(reached[-1])) != []:
            self.assertEqual(len(moves), 1)
            reached.append(ROUND.target(reached[-1], moves[0]))
        self.assertEqual(reached, PHASES)

    def test_every_draw_move_from_every_state(self) -> None:
        draw = self.commit_draw()
        for status in Draw.Status:
            with self.subTest(status=status.value):
                Draw.objects.filter(pk=draw.pk).update(status=status)
                before = counts()
                if target_of(DRAW_MOVES, status, "draw") is None:
                    with self.assertRaisesMessage(
                        ValidationError, "随机抽取当前状态为“已抽取”，不能执行“抽取”"
                    ):
                        DRAW.apply(draw, "draw", actor=self.office_user)
                    self.assertEqual(counts(), before)
                else:
                    DRAW.apply(draw, "draw", actor=self.office_user)
                    draw.refresh_from_db()
                    self.assertEqual(draw.status, Draw.Status.DRAWN)
                    self.assertEqual(counts()[0::2], (before[0] + 1, before[2] + 1))

    def test_a_drawn_draw_takes_no_more_values_and_is_published_once(self) -> None:
        draw = self.run_draw(self.commit_draw())
        self.assertEqual(draw.status, Draw.Status.DRAWN)
        result, before = draw.result, counts()
        with self.assertRaisesMessage(ValidationError, "不能执行“抽取”"):
            actions.check_enter_value(
                draw, actor=self.bureau_admin, value="999", source="另一期开奖"
            )
        self.assertEqual(counts(), before)
        draw.refresh_from_db()
        self.assertEqual((draw.result, draw.values.count()), (result, 2))
        actions.check_publish_draw(draw, actor=self.office_user)
        before = counts()
        with self.assertRaisesMessage(ValidationError, "未公开的抽取结果"):
            actions.check_publish_draw(draw, actor=self.office_user)
        self.assertEqual(counts(), before)

    def test_the_last_phase_has_no_next_and_nothing_changes(self) -> None:
        round_ = self.make_round()
        Round.objects.filter(pk=round_.pk).update(status=Round.Status.REVIEW)
        before = counts()
        with self.assertRaisesMessage(ValidationError, "巡察已在最后阶段"):
            actions.check_advance_round(round_, actor=self.office_user)
        self.assertEqual(counts(), before)


PERSONAS = ("office_user", "supervisor", "member", "school_admin", "county_admin", "teacher")


class RoundMachine(DatabaseMachine):
    """Random personas advance a staffed round, record findings and self-checks.

    After every step: the events follow the phases in order, one per move, and the round's
    phase is the last event's; the round's findings are ledger problems (source 巡察) exactly
    once it has handed over, and self-checks at once (source 自查)."""

    watched = (Round, RoundEvent, RoundFinding, Problem)
    start = "2026-12-14 09:00 +0800"

    def __init__(self, case: OversightCase) -> None:
        super().__init__(case)
        self.t = case
        self.round = case.staffed_round()

    def user(self, name: str) -> Any:
        return getattr(self.t, name)

    def _check(self, step: Any, moved: bool) -> None:
        if step is None:
            self.case.assertRegex(str(self.refusal), r"[\u4e00-\u9fff]")
            return
        self.case.assertTrue(step.added(AuditEvent))
        self.case.assertEqual(len(step.added(RoundEvent)), 1 if moved else 0)

    @rule(who=st.sampled_from(PERSONAS))
    def advance(self, who: str) -> None:
        self.round.refresh_from_db()
        step = self.attempt(
            "advance", lambda: actions.check_advance_round(self.round, actor=self.user(who))
        )
        self._check(step, moved=True)

    @rule(who=st.sampled_from(PERSONAS), unit=st.sampled_from(["school", "school2"]))
    def add_finding(self, who: str, unit: str) -> None:
        step = self.attempt(
            "finding",
            lambda: actions.check_add_round_finding(
                self.round,
                actor=self.user(who),
                unit=getattr(self.t, unit),
                text="公务接待超标准",
                audience=RoundFinding.Audience.LEADERSHIP,
            ),
        )
        self._check(step, moved=False)

    @rule(who=st.sampled_from(PERSONAS))
    def self_check(self, who: str) -> None:
        step = self.attempt(
            "self_check",
            lambda: actions.check_self_check(
                self.round,
                actor=self.user(who),
                unit=self.t.school,
                text="办公室超标",
                fix_note="已腾退",
            ),
        )
        self._check(step, moved=False)

    @invariant()
    def phases_in_order(self) -> None:
        events = list(self.round.events.exclude(to_status="").order_by("id"))
        statuses = [e.to_status for e in events]
        self.case.assertEqual(statuses, PHASES[: len(statuses)])
        self.round.refresh_from_db()
        self.case.assertEqual(self.round.status, statuses[-1])

    @invariant()
    def findings_in_the_ledger_once_handed_over(self) -> None:
        handed = PHASES.index(Round.Status(self.round.status)) >= PHASES.index(
            Round.Status.HANDOVER
        )
        findings = self.round.findings.filter(kind=RoundFinding.Kind.FINDING)
        in_ledger = Problem.objects.filter(
            source_ref=self.round.number, source=Problem.Source.INSPECTION
        )
        self.case.assertEqual(in_ledger.count(), findings.count() if handed else 0)
        self.case.assertEqual(
            Problem.objects.filter(
                source_ref=self.round.number, source=Problem.Source.SELF_CHECK
            ).count(),
            self.round.findings.filter(kind=RoundFinding.Kind.SELF_CHECK).count(),
        )


@override_settings(STORAGES=FILES_IN_MEMORY)
class RoundWorkflowMachineTestCase(OversightCase):
    def test_random_moves_keep_the_rounds_rules(self) -> None:
        run_machine(lambda: RoundMachine(self), examples=8, steps=25)
