"""The problem life cycle under random legal and illegal moves by random personas.

A hypothesis state machine registers problems of 东城区实验小学 or 东城区教育局 and drives them
through the real actions — assign, accept, progress with evidence (the first report starts the
rectification), request closure, verify (approve, return, stage-complete), withdraw, feedback,
disclosure, offline publication and its approval, and the quarterly re-check that reopens a
closed problem — each by one of the responsible person, their unit's admin, the county
admin, the bureau admin, a supervisor or another school's admin, either through the page's
gate (the scoped lookup and the policy, as the pages and the API do) or by calling the action
alone (as an import or a later entry point would). Days pass, and the nightly sweep of lights, reminders and re-checks runs.

After every step: a refused move changed nothing; an applied move wrote one audit row, and one
event row exactly when it moved the status; every problem's events are a walk along the
workflow's moves ending at its status; a problem was closed only by a verification of someone
neither responsible for it nor inside its unit; a problem from the public was closed only
after the reporter was answered and its progress published, on /progress/ or offline with
the bureau's approval (双反馈); after the nightly sweep every light is the one the problem's
page would compute.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from itertools import pairwise
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import Http404
from django.test import override_settings
from django.utils import timezone
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, invariant, multiple, precondition, rule

from qingfeng.core.models import AuditEvent, Escalation
from qingfeng.core.tests.machine import FILES_IN_MEMORY, DatabaseMachine, Step, run_machine
from qingfeng.ledger import actions, deadlines, permissions, selectors, workflow
from qingfeng.ledger.actions import rechecks
from qingfeng.ledger.models import (
    PROBLEM_TALLY,
    Evidence,
    Feedback,
    Measure,
    OfflinePublication,
    Problem,
    ProgressReport,
    Recheck,
    Transition,
    Verification,
)
from qingfeng.ledger.tests.base import PNG, LedgerTestCase
from qingfeng.orgs.models import Unit, User

S = Problem.Status
PAGE, ACTION = "page", "action"
PERSONAS = (
    "responsible",
    "unit_admin",
    "county_admin",
    "bureau_admin",
    "supervisor",
    "other_school_admin",
)
PUBLIC = {Problem.Source.CHANNEL, Problem.Source.HOTLINE}

# What a verifier decides on the way, mostly approval.
VERDICTS = ("approved", "returned", "approved", "stage_approved")

personas = st.sampled_from(PERSONAS)
via = st.sampled_from((PAGE, ACTION, PAGE))  # mostly as a user reaches it
# Mostly what a user types; sometimes nothing (the actions require a text).
texts = st.sampled_from(("已按要求整改", "已退回全部费用并作书面检查", "", "  "))
# Evidence: a photo after or before the fix, none, or a file whose content is not its type.
uploads = st.sampled_from(("after", "none", "before", "fake"))
# The measures a report ticks done: none, the first, or all of them.
ticks = st.sampled_from(("none", "first", "all"))


def upload(kind: str) -> list[tuple[SimpleUploadedFile, str]]:
    if kind == "none":
        return []
    name = "scan.pdf" if kind == "fake" else f"{kind}.png"
    phase = "after" if kind == "fake" else kind
    return [(SimpleUploadedFile(name, PNG, content_type="image/png"), phase)]


def _report(
    problem: Problem, user: User, progress: int, text: str, evidence: str, done: str = "none"
) -> object:
    measures = list(problem.measures.values_list("pk", flat=True))
    ticked = {"none": [], "first": measures[:1], "all": measures}[done]
    return actions.check_report_progress(
        problem,
        actor=user,
        progress=progress,
        text=text,
        files=upload(evidence),
        measures_done=ticked,
    )


def _publish_offline(
    problem: Problem, user: User, channel: str, summary: str, evidence: str
) -> object:
    files = upload(evidence)
    return actions.check_record_offline_publication(
        problem,
        actor=user,
        channel=channel,
        published_on=timezone.localdate(),
        summary=summary,
        upload=files[0][0] if files else None,
    )


def _decide_offline(problem: Problem, user: User, approve: bool, comment: str) -> object:
    """The latest offline publication decided (as the page names one); none: a 404."""
    publication = problem.offline_publications.order_by("-id").first()
    if publication is None:
        raise Http404
    return actions.check_decide_offline_publication(
        publication, actor=user, approve=approve, comment=comment
    )


Run = Callable[..., object]
# Each move: the strategy of its arguments (what a user may type, valid or not), and the
# action it calls. The key is also the move's name in the policy.
STEPS: dict[str, tuple[st.SearchStrategy[dict[str, Any]], Run]] = {
    "assign": (
        st.fixed_dictionaries({"requirement": texts}),
        lambda p, u, requirement: actions.check_assign(p, actor=u, requirement=requirement),
    ),
    "accept": (st.just({}), lambda p, u: actions.do_accept(p, actor=u)),
    "report": (
        st.fixed_dictionaries(
            {"progress": st.integers(-1, 101), "text": texts, "evidence": uploads, "done": ticks}
        ),
        _report,
    ),
    "request_closure": (
        st.fixed_dictionaries({"text": texts}),
        lambda p, u, text: actions.check_request_closure(p, actor=u, text=text),
    ),
    "verify": (
        st.fixed_dictionaries(
            {"outcome": st.sampled_from([*Verification.Outcome.values, "bogus"]), "comment": texts}
        ),
        lambda p, u, outcome, comment: actions.check_verify(
            p, verifier=u, outcome=outcome, comment=comment
        ),
    ),
    "withdraw": (
        st.fixed_dictionaries({"reason": texts}),
        lambda p, u, reason: actions.check_withdraw(p, actor=u, reason=reason),
    ),
    "feedback": (
        st.fixed_dictionaries({"kind": st.sampled_from(Feedback.Kind.values), "text": texts}),
        lambda p, u, kind, text: actions.check_add_feedback(p, actor=u, kind=kind, text=text),
    ),
    "disclose": (
        st.fixed_dictionaries({"public_text": texts, "publish": st.booleans()}),
        lambda p, u, public_text, publish: actions.check_set_disclosure(
            p, actor=u, public_text=public_text, publish=publish
        ),
    ),
    "publish_offline": (
        st.fixed_dictionaries(
            {
                "channel": st.sampled_from([*OfflinePublication.Channel.values, "bogus"]),
                "summary": texts,
                "evidence": uploads,
            }
        ),
        _publish_offline,
    ),
    "approve_offline": (
        st.fixed_dictionaries({"approve": st.booleans(), "comment": texts}),
        _decide_offline,
    ),
}


class LedgerMachine(DatabaseMachine):
    watched = (
        Problem,
        Measure,
        Transition,
        ProgressReport,
        Evidence,
        Verification,
        Feedback,
        OfflinePublication,
        Recheck,
        Escalation,
    )
    start = "2026-12-14 09:00 +0800"  # a Monday, a little over two weeks before a quarter ends
    applied: ClassVar[Counter[str]] = Counter()  # across examples: what the run really did

    problems = Bundle("problems")

    def __init__(self, case: LedgerWorkflowTestCase) -> None:
        super().__init__(case)
        self.t = case
        self.count = 0

    # ------------------------------------------------------------------ personas and gates

    def unit_admin(self, unit: Unit) -> User:
        return self.t.school_admin if unit.pk == self.t.school.pk else self.t.county_admin

    def persona(self, name: str, problem: Problem) -> User:
        if name == "responsible":
            person = problem.responsible_person
            assert person is not None and person.user is not None
            return person.user
        if name == "unit_admin":
            return self.unit_admin(problem.unit)
        user: User = getattr(self.t, name)
        return user

    def gate(self, user: User, action: str, pk: int) -> Problem:
        """What the pages and the API do before an action: the scoped lookup (404), then the
        policy (the pages answer 404, the API 403)."""
        problem = selectors.get_problem_for_user(user, pk)
        if not permissions.can(user, action, problem):
            raise PermissionDenied
        return problem

    def fetch(self, pk: int) -> Problem:
        return Problem.objects.select_related("unit", "responsible_person__user").get(pk=pk)

    def move(self, name: str, pk: int, who: str, way: str, **args: Any) -> Step | None:
        """One move on a problem by a persona: through the gate or by the action alone."""
        problem = self.fetch(pk)
        user = self.persona(who, problem)
        before = problem.status
        run = STEPS[name][1]

        def go() -> None:
            run(self.gate(user, name, pk) if way == PAGE else problem, user, **args)

        step = self.attempt(f"{name} {args} by {who} ({way}) on {before}", go)
        if step is not None:
            self.check_applied(step, pk, user, before, name)
        self.check_refusal(before)
        return step

    def check_refusal(self, before: str) -> None:
        """An illegal move says so, naming the state, only when the workflow really has no
        such move from that state."""
        exc = self.refusal
        if isinstance(exc, workflow.InvalidTransition):
            self.t.assertEqual(exc.status, before)
            self.t.assertNotIn(before, workflow.MOVES[exc.action].sources, exc.action)
            self.t.assertIn(str(S(before).label), exc.messages[0])
            self.t.assertIn("不能执行", exc.messages[0])

    # ------------------------------------------------------------------ what an applied move wrote

    def check_applied(self, step: Step, pk: int, user: User, before: str, name: str) -> None:
        """One audit row, and one event exactly when the status moved; nothing else of any
        other problem."""
        after = step.after[Problem._meta.label][pk]["status"]
        events = step.added(Transition)
        audit = step.added(AuditEvent)
        what = f"{name} by {user.username} on {before}"
        self.t.assertEqual(
            [(a["object_type"], a["object_id"], a["actor_id"]) for a in audit],
            [("ledger.problem", str(pk), user.pk)],
            what,
        )
        self.t.assertEqual(
            [(e["problem_id"], e["from_status"], e["to_status"], e["actor_id"]) for e in events],
            [(pk, before, after, user.pk)] if after != before else [],
            what,
        )
        others = [
            {k: row for k, row in rows[Problem._meta.label].items() if k != pk}
            for rows in (step.before, step.after)
        ]
        self.t.assertEqual(others[0], others[1], f"{what}: another problem changed")
        if after == S.CLOSED:
            self.check_closable(step, pk)
        self.applied[events[0]["action"] if events else name] += 1

    def check_closable(self, step: Step, pk: int) -> None:
        """What a closure needs, as it stood when the problem closed (publication may be
        withdrawn later): 双反馈's public half is the problem published on /progress/, and
        every measure is done unless the item is long-term."""
        problem = step.after[Problem._meta.label][pk]
        if problem["source"] in PUBLIC:
            approved = [
                row
                for row in step.after[OfflinePublication._meta.label].values()
                if row["problem_id"] == pk and row["status"] == OfflinePublication.Status.APPROVED
            ]
            self.t.assertTrue(
                problem["disclosure"] == Problem.Disclosure.PUBLISHED or approved,
                f"{problem['number']} from the public closed without its progress published "
                "on /progress/ or offline with the bureau's approval",
            )
        if problem["rectification_type"] != Problem.RectificationType.LONG_TERM:
            measures = step.after[Measure._meta.label].values()
            self.t.assertEqual(
                {m["status"] for m in measures if m["problem_id"] == pk},
                {Measure.Status.DONE},
                f"{problem['number']} closed with measures open",
            )

    # ------------------------------------------------------------------ rules

    @precondition(lambda self: self.count < 3)
    @rule(
        target=problems,
        registrar=st.sampled_from(
            ("county_admin", "bureau_admin", "supervisor", "school_admin", "other_school_admin")
        ),
        way=via,
        at_school=st.booleans(),
        teacher_responsible=st.booleans(),
        source=st.sampled_from(Problem.Source.values),
        kind=st.sampled_from(Problem.RectificationType.values),
        workdays=st.none() | st.integers(1, 25),
        # A date set by hand may fall on a weekend or a holiday, unlike a working-day count.
        days=st.none() | st.integers(1, 12),
    )
    def create(
        self,
        registrar: str,
        way: str,
        at_school: bool,
        teacher_responsible: bool,
        source: str,
        kind: str,
        workdays: int | None,
        days: int | None,
    ) -> Any:
        user: User = getattr(self.t, registrar)
        unit = self.t.school if at_school else self.t.county
        person = self.t.teacher_person if teacher_responsible else self.unit_admin(unit).person
        created: list[Problem] = []

        def go() -> None:
            if way == PAGE and not permissions.can(user, "register"):
                raise PermissionDenied
            if way == PAGE and not permissions.can(user, "register", Problem(unit=unit)):
                raise Http404
            created.append(
                actions.check_create_problem(
                    actor=user,
                    unit=unit,
                    measures=["退回费用", "书面检查"],
                    list_kind=Problem.ListKind.PERSONAL,
                    source=source,
                    category=self.t.category,
                    title="违规推荐教辅材料",
                    description="三年级推荐学生购买指定教辅。",
                    rectification_type=kind,
                    deadline_workdays=workdays,
                    deadline=timezone.localdate() + timedelta(days=days) if days else None,
                    responsible_person=person,
                )
            )

        step = self.attempt(f"create by {registrar} ({way})", go)
        if step is None:
            return multiple()
        pk = created[0].pk
        self.t.assertEqual(len(step.added(AuditEvent)), 1)
        self.t.assertEqual(
            [(e["action"], e["to_status"]) for e in step.added(Transition)], [("create", S.DRAFT)]
        )
        self.applied["create"] += 1
        self.count += 1
        return pk

    @rule(pk=problems, name=st.sampled_from(sorted(STEPS)), who=personas, way=via, data=st.data())
    def any_move(self, pk: int, name: str, who: str, way: str, data: st.DataObject) -> None:
        """Any move, by anyone, with whatever was typed: legal or not."""
        self.move(name, pk, who, way, **data.draw(STEPS[name][0], label="input"))

    @rule(
        pk=problems,
        verdict=st.sampled_from(VERDICTS),
        judge=personas,
        way=via,
        passed=st.booleans(),
    )
    def advance(self, pk: int, verdict: str, judge: str, way: str, passed: bool) -> None:
        """The next step along the way to closure, by the persona whose step it is, so that a
        short run also reaches verification, the re-check and the reopening. Anyone may try
        to verify or decide the re-check: the separation of duties must hold."""
        problem = self.fetch(pk)
        status = problem.status
        given = {str(kind) for kind in problem.feedback.values_list("kind", flat=True)}
        public = problem.source in PUBLIC
        unanswered = public and Feedback.Kind.REPORTER_ANSWER not in given
        unpublished = public and not actions.publicly_fed_back(problem)
        after_photo = problem.evidence.filter(phase=Evidence.Phase.AFTER).exists()
        measures_open = problem.rectification_type != Problem.RectificationType.LONG_TERM and (
            problem.measures.exclude(status=Measure.Status.DONE).exists()
        )
        if status == S.DRAFT:
            self.move("assign", pk, "county_admin", PAGE, requirement="")
        elif status == S.ASSIGNED:
            self.move("accept", pk, "responsible", PAGE)
        elif status in {S.ACCEPTED, S.RECTIFYING} and not after_photo:
            self.move(
                "report", pk, "responsible", PAGE, progress=80, text="已退费", evidence="after"
            )
        elif status in {S.ACCEPTED, S.RECTIFYING} and measures_open:
            # Asked with measures open: refused, saying how many; the unit ticks them.
            self.move("request_closure", pk, "responsible", PAGE, text="已完成")
            self.t.assertIn("项整改措施未完成", str(self.refusal))
            self.move(
                "report",
                pk,
                "responsible",
                PAGE,
                progress=90,
                text="已作检查",
                evidence="none",
                done="all",
            )
        elif status in {S.ACCEPTED, S.RECTIFYING}:
            self.move("request_closure", pk, "responsible", PAGE, text="已完成")
        elif status == S.CLOSURE_REQUESTED and unanswered:
            self.move("feedback", pk, "responsible", PAGE, kind="reporter_answer", text="已答复")
        elif status == S.CLOSURE_REQUESTED and unpublished:
            # A note typed as public progress is no publication: the approval is refused.
            self.move("feedback", pk, "responsible", PAGE, kind="public_progress", text="已公开")
            self.move("verify", pk, "supervisor", PAGE, outcome="approved", comment="核实")
            self.t.assertIn("整改进度公开", str(self.refusal))
            # The first time offline (公示栏, approved by the bureau), else on /progress/.
            offline = problem.offline_publications
            if not offline.exists():
                self.move(
                    "publish_offline",
                    pk,
                    "responsible",
                    PAGE,
                    channel="notice_board",
                    summary="整改情况已在校门口公示栏公示",
                    evidence="after",
                )
            if offline.filter(status=OfflinePublication.Status.PENDING).exists():
                # Recorded is not approved: the closure still waits.
                self.move("verify", pk, "supervisor", PAGE, outcome="approved", comment="核实")
                self.t.assertIn("线下公开", str(self.refusal))
                self.move("approve_offline", pk, "bureau_admin", PAGE, approve=True, comment="")
            else:
                self.move("disclose", pk, "bureau_admin", PAGE, public_text="已整改", publish=True)
        elif status == S.CLOSURE_REQUESTED:
            self.move("verify", pk, judge, way, outcome=verdict, comment="核实")
        elif problem.rechecks.filter(outcome=Recheck.Outcome.PENDING).exists():
            self.decide_recheck(pk, judge, way, passed, "复查")

    @precondition(lambda self: Recheck.objects.exists())
    @rule(data=st.data(), who=personas, way=via, passed=st.booleans(), comment=texts)
    def any_recheck(
        self, data: st.DataObject, who: str, way: str, passed: bool, comment: str
    ) -> None:
        """A re-check decided, pending or already decided, by anyone."""
        drawn = list(Recheck.objects.order_by("id").values_list("problem_id", flat=True))
        pk = data.draw(st.sampled_from(drawn), label="problem")
        self.decide_recheck(pk, who, way, passed, comment)

    def decide_recheck(self, pk: int, who: str, way: str, passed: bool, comment: str) -> None:
        problem = self.fetch(pk)
        user = self.persona(who, problem)
        recheck = problem.rechecks.order_by("-id").first()
        assert recheck is not None
        before = problem.status

        def go() -> None:
            if way == PAGE:  # the page: scope and policy, then the action
                self.gate(user, "verify", pk)
            # The action itself keeps the separation of duties, whichever way it is reached.
            rechecks.check_decide_recheck(recheck, actor=user, passed=passed, comment=comment)

        step = self.attempt(f"re-check {passed} by {who} ({way}) on {before}", go)
        self.check_refusal(before)
        if step is None:
            return
        self.check_applied(step, pk, user, before, "recheck")
        self.assert_independent(problem, user.pk, "re-check")

    @rule(days=st.integers(1, 12))
    def days_pass(self, days: int) -> None:
        """Days pass and the nightly tasks run: lights, reminders, the quarter's draw (of
        every closure, so that re-checks happen in a short run)."""
        today = self.pass_days(days)
        deadlines.recompute_lights(today)
        deadlines.escalate(today)
        rechecks.draw_rechecks(today, percent=100)
        for problem in Problem.objects.all():
            self.t.assertEqual(
                problem.light,
                actions.light_for(problem, today),
                f"{problem.status} problem due {problem.deadline}, on {today}",
            )

    # ------------------------------------------------------------------ for the fixed runs

    def make(
        self,
        registrar: str,
        way: str,
        at_school: bool,
        teacher_responsible: bool,
        source: str,
        kind: str = "time_limited",
        workdays: int | None = 10,
    ) -> int:
        pk = self.create(
            registrar, way, at_school, teacher_responsible, source, kind, workdays, None
        )
        assert isinstance(pk, int)
        return pk

    def walk(self, pk: int, until: str, verdict: str = "approved") -> None:
        """Advance the problem, by the supervisor's verdicts, until it is in `until`; the
        invariants are checked after each step."""
        for _step in range(12):
            if self.fetch(pk).status == until:
                return
            self.advance(pk, verdict, "supervisor", PAGE, passed=False)
            self.events_walk_the_workflow()
            self.closed_only_after_someone_else_verified()
        self.t.fail(f"{self.fetch(pk).status} is not {until}")

    # ------------------------------------------------------------------ invariants

    def assert_independent(self, problem: Problem, verifier_id: int, what: str) -> None:
        verifier = User.objects.select_related("person__unit").get(pk=verifier_id)
        person = problem.responsible_person
        self.t.assertFalse(
            person is not None and person.user_id == verifier_id,
            f"the responsible person decided the {what} of {problem.number}",
        )
        self.t.assertFalse(
            verifier.person.unit.path.startswith(problem.unit.path),
            f"{verifier.username}, inside the responsible unit, decided the {what}",
        )

    @invariant()
    def the_tallies_count_the_problems(self) -> None:
        """The per-unit counts the home page reads equal a count of the problems, after every
        move, the nightly light recomputation included (core/tally.py)."""
        self.t.assertEqual(PROBLEM_TALLY.check(), [])

    @invariant()
    def events_walk_the_workflow(self) -> None:
        """Each problem's events are a walk along the moves, from the draft to its status."""
        walks: dict[int, list[Transition]] = {}
        for event in Transition.objects.order_by("id"):
            walks.setdefault(event.problem_id, []).append(event)
        for problem in Problem.objects.all():
            walk = walks[problem.pk]
            self.t.assertEqual((walk[0].action, walk[0].to_status), ("create", S.DRAFT))
            for previous, event in pairwise(walk):
                move = workflow.MOVES[event.action]
                self.t.assertEqual(event.from_status, previous.to_status, problem.number)
                self.t.assertIn(event.from_status, move.sources, event.action)
                self.t.assertEqual(event.to_status, move.target, event.action)
            self.t.assertEqual(problem.status, walk[-1].to_status, problem.number)
            self.t.assertEqual(problem.closed_at is not None, problem.status == S.CLOSED)

    @invariant()
    def closed_only_after_someone_else_verified(self) -> None:
        closures = Transition.objects.filter(to_status=S.CLOSED).select_related(
            "problem__unit", "problem__responsible_person"
        )
        for event in closures:
            problem = event.problem
            assert event.actor_id is not None
            self.assert_independent(problem, event.actor_id, "closure")
            self.t.assertEqual(
                problem.verifications.filter(outcome=Verification.Outcome.APPROVED).count(),
                problem.transitions.filter(to_status=S.CLOSED).count(),
            )
            if problem.source in PUBLIC:  # 双反馈: the publication is checked as it closes
                kinds = set(problem.feedback.values_list("kind", flat=True))
                self.t.assertIn(
                    Feedback.Kind.REPORTER_ANSWER,
                    kinds,
                    f"{problem.number} from the public closed without its reporter answered",
                )


@override_settings(QF_NOTIFY_CHANNELS=["sms"], STORAGES=FILES_IN_MEMORY)
class LedgerWorkflowTestCase(LedgerTestCase):
    def test_random_moves_keep_the_workflows_rules(self) -> None:
        LedgerMachine.applied.clear()
        run_machine(lambda: LedgerMachine(self), examples=20, steps=40)
        # The run made moves, not only refusals (how far it gets varies from run to run;
        # the tour below makes every move).
        self.assertLessEqual({"create", "assign", "accept"}, set(LedgerMachine.applied))

    def test_the_long_way_round(self) -> None:
        """One fixed run, with the machine's checks after each step, through every move the
        actions make: returned once, then closed after both feedbacks (a problem from the
        hotline, its public half on the school's notice board, approved by the bureau), drawn for the re-check next quarter and reopened; a long-term item is
        stage-completed; a draft is withdrawn."""
        machine = LedgerMachine(self)
        try:
            hotline = machine.make("county_admin", PAGE, True, True, "hotline", "time_limited", 10)
            machine.walk(hotline, S.CLOSURE_REQUESTED)
            machine.walk(hotline, S.RECTIFYING, verdict="returned")
            machine.walk(hotline, S.CLOSED)
            machine.days_pass(20)  # into the next quarter: the draw
            machine.walk(hotline, S.RECTIFYING)  # the re-check fails
            long_term = machine.make(
                "bureau_admin", ACTION, False, False, "self_check", "long_term"
            )
            machine.walk(long_term, S.STAGE_COMPLETED, verdict="stage_approved")
            draft = machine.make("supervisor", PAGE, True, False, "inspection", "immediate")
            machine.move("withdraw", draft, "bureau_admin", PAGE, reason="重复登记")
            made = set(Transition.objects.values_list("action", flat=True))
        finally:
            machine.teardown()
        # Every move of the workflow is made by an action, but one: nothing resumes a
        # stage-completed item yet (恢复整改).
        self.assertEqual(set(workflow.MOVES) - made, {"resume"})

    def test_each_action_refuses_exactly_the_states_its_move_does_not_leave(self) -> None:
        """Each action, with good input by someone who may make it, on a problem in each state
        the actions reach: refused as an illegal move — naming the state, changing nothing —
        exactly when the workflow has no such move from that state."""
        attempts: dict[str, tuple[str, str, dict[str, Any]]] = {
            "assign": ("assign", "bureau_admin", {"requirement": ""}),
            "accept": ("accept", "responsible", {}),
            "request_closure": ("request_closure", "responsible", {"text": "已完成"}),
            "verify": ("close", "supervisor", {"outcome": "approved", "comment": "核实"}),
            "withdraw": ("withdraw", "bureau_admin", {"reason": "重复登记"}),
        }
        machine = LedgerMachine(self)
        try:
            states = {}
            for status in (S.DRAFT, S.ASSIGNED, S.ACCEPTED, S.RECTIFYING, S.CLOSURE_REQUESTED):
                states[status] = machine.make("county_admin", PAGE, True, True, "self_check")
                machine.walk(states[status], status)
            states[S.CLOSED] = states[S.CLOSURE_REQUESTED]
            states[S.CLOSURE_REQUESTED] = machine.make(
                "county_admin", PAGE, True, True, "self_check"
            )
            machine.walk(states[S.CLOSURE_REQUESTED], S.CLOSURE_REQUESTED)
            machine.walk(states[S.CLOSED], S.CLOSED)
            states[S.STAGE_COMPLETED] = machine.make(
                "bureau_admin", ACTION, True, True, "self_check", "long_term"
            )
            machine.walk(states[S.STAGE_COMPLETED], S.STAGE_COMPLETED, verdict="stage_approved")
            states[S.WITHDRAWN] = machine.make("county_admin", PAGE, True, True, "self_check")
            machine.move("withdraw", states[S.WITHDRAWN], "bureau_admin", PAGE, reason="重复")
            self.assertEqual(set(states), set(S.values))
            for status, pk in states.items():
                for action, (move, who, args) in attempts.items():
                    with self.subTest(status=status, action=action), transaction.atomic():
                        machine.move(action, pk, who, ACTION, **args)
                        refused = isinstance(machine.refusal, workflow.InvalidTransition)
                        self.assertEqual(refused, status not in workflow.MOVES[move].sources)
                        transaction.set_rollback(True)
        finally:
            machine.teardown()


__all__ = ["LedgerMachine", "LedgerWorkflowTestCase"]
