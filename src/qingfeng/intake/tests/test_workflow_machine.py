"""The ticket life cycle under random legal and illegal moves by random personas.

A hypothesis state machine files tickets about 东城区实验小学, 东城区第二中学, 西山县第一中学 or
no unit in particular, and drives them through the real actions — accept, decline, assign,
start, return, reply, the reporter's rating (close, 发回重办, 提级), close after follow-up,
merge into another ticket, an internal note, and turning a ticket into a ledger problem, which
is then worked to its verification — each by one of the bureau admin, the hotline operator, the
county admin, the school's admin, another school's admin, a teacher or a supervisor, through
the page's gate (the scoped lookup and the policy, as the pages and the API do) or by calling
the action alone. Days pass, and the nightly sweep of lights and reminders runs.

After every step: a refused move changed nothing; an applied move wrote, for every ticket whose
status it moved, one event and one audit row; every ticket's events are a walk along the
workflow's moves (and the one system step, a merged duplicate answered with its master) ending
at its status; the reporters of a merged ticket have the master's answer; a problem made from
tickets was closed only once every ticket was answered and its progress was published (双反馈);
after the nightly sweep every light is the one the ticket's page would compute.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from itertools import pairwise
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, invariant, multiple, precondition, rule

from qingfeng.core.models import AuditEvent, Escalation, Job
from qingfeng.core.tests.machine import FILES_IN_MEMORY, DatabaseMachine, Step, run_machine
from qingfeng.intake import actions, deadlines, permissions, selectors, workflow
from qingfeng.intake.actions import handling
from qingfeng.intake.models import (
    TICKET_TALLY,
    IdentityReveal,
    Ticket,
    TicketAttachment,
    TicketEvent,
    TicketMessage,
)
from qingfeng.intake.tests.handling_base import IntakeTestCase
from qingfeng.ledger import actions as ledger_actions
from qingfeng.ledger.models import (
    Category,
    Evidence,
    Feedback,
    Measure,
    Problem,
    ProgressReport,
    Transition,
    Verification,
)
from qingfeng.ledger.tests.base import PNG
from qingfeng.orgs.models import Unit, User

S = Ticket.Status
P = Problem.Status
PAGE, ACTION = "page", "action"
PERSONAS = (
    "bureau_admin",
    "hotline",
    "county_admin",
    "school_admin",
    "other_school_admin",
    "teacher",
    "supervisor",
)
UNITS = ("school", "school2", "county", "other_school")
ANSWERED = {S.REPLIED, S.CLOSED}

personas = st.sampled_from(PERSONAS)
via = st.sampled_from((PAGE, ACTION, PAGE))  # mostly as a user reaches it
# Mostly what a user types; sometimes nothing (the actions require a text).
texts = st.sampled_from(("已核实，责令学校全额退费", "情况属实，已约谈当事教师", "", "  "))

Run = Callable[..., object]
# Each staff move: the strategy of its arguments (names of units and personas, resolved by the
# machine), and the action it calls. The key is also the move's name in the policy.
STEPS: dict[str, tuple[st.SearchStrategy[dict[str, Any]], Run]] = {
    "accept": (st.just({}), lambda t, u: handling.do_accept(t, actor=u)),
    "decline": (
        st.fixed_dictionaries({"reason": texts}),
        lambda t, u, reason: handling.check_decline(t, actor=u, reason=reason),
    ),
    "assign": (
        st.fixed_dictionaries(
            {
                "unit": st.sampled_from(UNITS),
                "handler": st.sampled_from((None, *PERSONAS)),
                "note": texts,
            }
        ),
        lambda t, u, unit, handler, note: handling.check_assign(
            t, actor=u, unit=unit, handler=handler, note=note
        ),
    ),
    "start": (st.just({}), lambda t, u: handling.do_start(t, actor=u)),
    "return": (
        st.fixed_dictionaries({"reason": texts}),
        lambda t, u, reason: handling.check_return(t, actor=u, reason=reason),
    ),
    "reply": (
        st.fixed_dictionaries({"body": texts}),
        lambda t, u, body: handling.check_reply(t, actor=u, body=body),
    ),
    "close": (
        st.fixed_dictionaries({"note": texts}),
        lambda t, u, note: handling.check_close(t, actor=u, note=note),
    ),
    "note": (
        st.fixed_dictionaries({"body": texts}),
        lambda t, u, body: handling.check_add_note(t, actor=u, body=body),
    ),
    "to_problem": (
        st.just({}),
        lambda t, u: handling.check_create_problem_from_ticket(
            t, actor=u, category=Category.objects.get(name="教辅材料违规征订")
        ),
    ),
}


class IntakeMachine(DatabaseMachine):
    watched = (
        Ticket,
        TicketEvent,
        TicketMessage,
        TicketAttachment,
        Escalation,
        IdentityReveal,
        Problem,
        Measure,
        Transition,
        ProgressReport,
        Evidence,
        Verification,
        Feedback,
    )
    start = "2026-11-02 09:00 +0800"  # a Monday
    applied: ClassVar[Counter[str]] = Counter()  # across examples: what the run really did

    tickets = Bundle("tickets")

    def __init__(self, case: IntakeWorkflowTestCase) -> None:
        super().__init__(case)
        self.t = case
        self.count = 0

    # ------------------------------------------------------------------ personas and gates

    def user(self, name: str) -> User:
        user: User = getattr(self.t, name)
        return user

    def unit(self, name: str) -> Unit:
        unit: Unit = getattr(self.t, name)
        return unit

    def admin_of(self, unit: Unit) -> User:
        """The unit admin whose scope holds the unit (东城二中 has none of its own)."""
        admins = {self.t.school.pk: "school_admin", self.t.other_school.pk: "other_school_admin"}
        return self.user(admins.get(unit.pk, "county_admin"))

    def gate(self, user: User, action: str, pk: int) -> Ticket:
        """What the pages and the API do before an action: the scoped lookup (404), then the
        policy (the pages answer 404, the API 403)."""
        ticket = selectors.get_ticket_for_user(user, pk)
        if not permissions.can(user, action, ticket):
            raise PermissionDenied
        return ticket

    def fetch(self, pk: int) -> Ticket:
        return Ticket.objects.select_related(
            "category", "unit", "handling_unit", "handler", "master", "problem"
        ).get(pk=pk)

    def move(self, name: str, pk: int, who: str, way: str, **args: Any) -> Step | None:
        """One staff move on a ticket by a persona: through the gate or by the action alone."""
        user = self.user(who)
        ticket = self.fetch(pk)
        # A unit and a handler are named by the test case's attribute ("school", "teacher").
        named = {"unit", "handler"}
        resolved = {k: getattr(self.t, v) if k in named and v else v for k, v in args.items()}

        def go() -> None:
            target = self.gate(user, name, pk) if way == PAGE else ticket
            STEPS[name][1](target, user, **resolved)

        return self.run(f"{name} {args} by {who} ({way})", pk, user, go)

    def run(self, what: str, pk: int, user: User | None, go: Callable[[], object]) -> Step | None:
        before = self.fetch(pk).status
        step = self.attempt(f"{what} on {before}", go)
        exc = self.refusal
        if isinstance(exc, workflow.InvalidTransition):
            # An illegal move says so, naming the state, only when there is no such move.
            self.t.assertNotIn(exc.status, workflow.MOVES[exc.action].sources, what)
            self.t.assertIn(str(S(exc.status).label), exc.messages[0])
        if step is not None:
            self.check_applied(step, user, what)
            self.applied[what.split(" ")[0]] += 1
        return step

    # ------------------------------------------------------------------ what an applied move wrote

    def check_applied(self, step: Step, user: User | None, what: str) -> None:
        """Every ticket whose status moved has events saying so, one a step, each with its
        audit row (merging into an answered master is two steps: merged, then answered);
        a ticket whose status stayed has at most one audit row; some row was audited."""
        before, after = step.before[Ticket._meta.label], step.after[Ticket._meta.label]
        events = [e for e in step.added(TicketEvent) if e["to_status"]]
        audit = step.added(AuditEvent)
        self.t.assertTrue(audit, f"{what}: no audit row")
        for pk, row in after.items():
            old = before.get(pk, {"status": ""})["status"]
            walk = [(e["from_status"], e["to_status"]) for e in events if e["ticket_id"] == pk]
            rows = [
                a for a in audit if (a["object_type"], a["object_id"]) == ("intake.ticket", str(pk))
            ]
            if walk:
                self.t.assertEqual(walk[0][0], old, f"{what}: ticket {pk} {walk}")
                self.t.assertEqual(walk[-1][1], row["status"], f"{what}: ticket {pk} {walk}")
                self.t.assertTrue(all(a[1] == b[0] for a, b in pairwise(walk)), walk)
                self.t.assertEqual(len(rows), len(walk), f"{what}: audit rows of ticket {pk}")
            else:
                self.t.assertEqual(row["status"], old, f"{what}: ticket {pk} moved silently")
                self.t.assertLessEqual(len(rows), 1, f"{what}: audit rows of ticket {pk}")
        actors = {e["actor_id"] for e in events}
        self.t.assertLessEqual(actors, {user.pk if user is not None else None}, what)

    # ------------------------------------------------------------------ rules

    @precondition(lambda self: self.count < 4)
    @rule(
        target=tickets,
        unit=st.sampled_from(("school", "school2", "other_school", None)),
        anonymous=st.booleans(),
        phone=st.booleans(),
        named=st.booleans(),
        photo=st.booleans(),
        content=st.sampled_from(
            (
                "老师要求每人购买120元教辅，张小明，13766665555。",
                "太短",
                "学校违规收取资料费每人两百元。",
            )
        ),
    )
    def submit(
        self,
        unit: str | None,
        anonymous: bool,
        phone: bool,
        named: bool,
        photo: bool,
        content: str,
    ) -> Any:
        """A report from the web form or the hotline (the public side's own checks, the human
        check and the throttle, are the form's; the action is the same)."""
        made: list[Ticket] = []
        channel = Ticket.Channel.PHONE if phone else Ticket.Channel.WEB
        files = [SimpleUploadedFile("photo.png", PNG, content_type="image/png")] if photo else []

        def go() -> None:
            ticket, _code = actions.check_submit_ticket(
                kind=Ticket.Kind.COMPLAINT,
                category=self.t.category,
                unit=self.unit(unit) if unit else None,
                title="老师要求购买指定教辅",
                content=content,
                named_person="周小燕" if named else "",
                anonymous=anonymous,
                reporter_name="" if anonymous else "张小明",
                reporter_phone="" if anonymous else "13766665555",
                channel=channel,
                entered_by=self.t.hotline if phone else None,
                files=files,
            )
            made.append(ticket)

        step = self.attempt(f"submit about {unit}", go)
        if step is None:
            return multiple()
        pk = made[0].pk
        # Stored first; the routing and duplicate check are a job row of the same transaction.
        self.t.assertEqual([j["kind"] for j in step.added(Job)], ["intake.after_submit"])
        self.t.assertEqual([e["action"] for e in step.added(TicketEvent)], ["submit"])
        self.t.assertEqual(len(step.added(AuditEvent)), 1)
        self.applied["submit"] += 1
        self.count += 1
        return pk

    @rule(pk=tickets, name=st.sampled_from(sorted(STEPS)), who=personas, way=via, data=st.data())
    def any_move(self, pk: int, name: str, who: str, way: str, data: st.DataObject) -> None:
        """Any staff move, by anyone, with whatever was chosen: legal or not."""
        self.move(name, pk, who, way, **data.draw(STEPS[name][0], label="input"))

    @rule(pk=tickets, master=tickets, who=personas, way=via)
    def merge(self, pk: int, master: int, who: str, way: str) -> None:
        user = self.user(who)

        def go() -> None:
            ticket = self.gate(user, "merge", pk) if way == PAGE else self.fetch(pk)
            found = self.fetch(master)
            # The page finds the master by its number among the tickets the user sees.
            if way == PAGE and not selectors.tickets_visible_to(user).filter(pk=master).exists():
                raise ValidationError(f"找不到编号为 {found.number} 的工单")
            handling.check_merge(ticket, actor=user, master=found)

        self.run(f"merge into {master} by {who} ({way})", pk, user, go)

    @rule(pk=tickets, rating=st.integers(1, 5), comment=texts)
    def rate(self, pk: int, rating: int, comment: str) -> None:
        """The reporter, on the follow-up page (found by the receipt code)."""
        ticket = self.fetch(pk)
        step = self.run(
            f"rate {rating} {comment!r}",
            pk,
            None,
            lambda: actions.check_rate(ticket, rating=rating, comment=comment),
        )
        if step is not None:
            event = next(e for e in step.added(TicketEvent) if e["ticket_id"] == pk)
            self.applied[f"rate:{event['action']}"] += 1

    @rule(pk=tickets, satisfied=st.booleans(), duplicate=st.sampled_from((False, True, False)))
    def advance(self, pk: int, satisfied: bool, duplicate: bool) -> None:
        """The ticket's next step, by the persona whose step it is, so that a short run also
        reaches merges, replies, ratings, escalation and closing."""
        ticket = self.fetch(pk)
        status = ticket.status
        handler = self.admin_of(ticket.handling_unit or self.t.school)
        who = next(k for k in PERSONAS if getattr(self.t, k) == handler)
        master = (
            Ticket.objects.filter(master__isnull=True)
            .exclude(pk=pk)
            .exclude(status__in=[S.MERGED, S.DECLINED])
            .order_by("id")
            .first()
        )
        if duplicate and master is not None and status in {S.RECEIVED, S.ACCEPTED}:
            self.merge(pk, master.pk, "bureau_admin", PAGE)
        elif status == S.RECEIVED:
            self.move("accept", pk, "bureau_admin", PAGE)
        elif status == S.ACCEPTED:
            unit = next(k for k in UNITS if self.unit(k) == (ticket.unit or self.t.county))
            self.move("assign", pk, "bureau_admin", PAGE, unit=unit, handler=None, note="")
        elif status == S.ASSIGNED:
            self.move("start", pk, who, PAGE)
        elif status == S.HANDLING:
            self.move("reply", pk, who, PAGE, body="已核实，责令全额退费")
        elif status == S.REPLIED:
            self.rate(pk, 5 if satisfied else 1, "" if satisfied else "费用没有退")

    @rule(pk=tickets, approve=st.booleans())
    def advance_problem(self, pk: int, approve: bool) -> None:
        """The problem made from the ticket, worked to its verification by the people whose
        step it is; the verification must wait for every reporter's answer (双反馈)."""
        problem_id = self.fetch(pk).problem_id
        if problem_id is None:
            return
        problem = Problem.objects.select_related("unit").get(pk=problem_id)
        admin = self.admin_of(problem.unit)
        bureau, supervisor = self.t.bureau_admin, self.t.supervisor
        # 双反馈's public half: the problem published on /progress/, not a note saying so.
        published = problem.disclosure == Problem.Disclosure.PUBLISHED
        measures = list(problem.measures.values_list("pk", flat=True))
        measures_open = problem.measures.exclude(status=Measure.Status.DONE).exists()
        steps: dict[str, tuple[User, Callable[[], object]]] = {
            P.DRAFT: (bureau, lambda: ledger_actions.check_assign(problem, actor=bureau)),
            P.ASSIGNED: (admin, lambda: ledger_actions.do_accept(problem, actor=admin)),
            P.ACCEPTED: (
                admin,
                lambda: ledger_actions.check_report_progress(
                    problem,
                    actor=admin,
                    progress=100,
                    text="已退费",
                    files=[(SimpleUploadedFile("after.png", PNG), "after")],
                    measures_done=measures,
                ),
            ),
            P.RECTIFYING: (
                admin,
                lambda: ledger_actions.check_request_closure(problem, actor=admin, text="已完成"),
            ),
            P.CLOSURE_REQUESTED: (
                supervisor,
                lambda: ledger_actions.check_verify(
                    problem,
                    verifier=supervisor,
                    outcome="approved" if approve else "returned",
                    comment="核实",
                ),
            ),
        }
        if problem.status == P.CLOSURE_REQUESTED and not published and approve:
            # Unpublished, the verifier's approval is refused (whatever notes were typed).
            early = self.attempt("approval before publication", steps[P.CLOSURE_REQUESTED][1])
            self.t.assertIsNone(early, "closed before its progress was published")
            steps[P.CLOSURE_REQUESTED] = (
                bureau,
                lambda: ledger_actions.check_set_disclosure(
                    problem, actor=bureau, public_text="已整改", publish=True
                ),
            )
        if problem.status not in steps:
            return
        actor, go = steps[problem.status]
        answered = all(
            t.status in ANSWERED for t in Ticket.objects.filter(problem=problem).only("status")
        )
        step = self.attempt(f"problem step on {problem.status}", go)
        closed = Problem.objects.get(pk=problem.pk).status == P.CLOSED
        if step is not None:
            self.t.assertEqual([a["actor_id"] for a in step.added(AuditEvent)], [actor.pk])
            self.applied[f"problem:{Problem.objects.get(pk=problem.pk).status}"] += 1
        if closed:  # 双反馈 and the measures, at the moment of closing
            self.t.assertTrue(answered and published, "closed before every reporter's answer")
            self.t.assertFalse(measures_open, "closed with measures open")
        elif step is None and problem.status == P.CLOSURE_REQUESTED and approve:
            # Refused for want of an answer: some reporter really has none yet.
            self.t.assertFalse(answered, self.refusal)

    @rule(days=st.integers(1, 12))
    def days_pass(self, days: int) -> None:
        """Days pass and the nightly tasks run: lights and reminders."""
        today = self.pass_days(days)
        deadlines.recompute_lights(today)
        deadlines.escalate(today)
        for ticket in Ticket.objects.all():
            stored = (ticket.light, ticket.due_key)
            deadlines.set_light(ticket, today)
            self.t.assertEqual(stored, (ticket.light, ticket.due_key), f"{ticket.status} {today}")

    # ------------------------------------------------------------------ for the fixed runs

    def make(self, unit: str | None) -> int:
        pk = self.submit(unit, False, False, True, False, "学校违规收取资料费每人两百元。")
        assert isinstance(pk, int)
        return pk

    def walk(self, pk: int, until: str, *, satisfied: bool = True) -> None:
        """Advance the ticket, with the reporter satisfied or not, until it is in `until`; the
        invariants are checked after each step."""
        for _step in range(8):
            if self.fetch(pk).status == until:
                return
            self.advance(pk, satisfied, duplicate=False)
            self.events_walk_the_workflow()
            self.merged_reporters_have_the_masters_answer()
        self.t.fail(f"{self.fetch(pk).status} is not {until}")

    # ------------------------------------------------------------------ invariants

    @invariant()
    def events_walk_the_workflow(self) -> None:
        """Each ticket's status events are a walk along the moves, from its submission to its
        status; the one step outside them: a merged duplicate answered with its master."""
        walks: dict[int, list[TicketEvent]] = {}
        for event in TicketEvent.objects.exclude(to_status="").order_by("id"):
            walks.setdefault(event.ticket_id, []).append(event)
        for ticket in Ticket.objects.all():
            walk = walks[ticket.pk]
            self.t.assertEqual((walk[0].action, walk[0].to_status), ("submit", S.RECEIVED))
            for previous, event in pairwise(walk):
                step = f"{ticket.number}: {event.action} {event.from_status}→{event.to_status}"
                self.t.assertEqual(event.from_status, previous.to_status, step)
                move = workflow.MOVES.get(event.action)
                legal = move is not None and (event.from_status, event.to_status) in {
                    (source, move.target) for source in move.sources
                }
                with_master = event.action == "reply" and event.to_status == S.REPLIED
                self.t.assertTrue(legal or (with_master and ticket.master_id is not None), step)
            self.t.assertEqual(ticket.status, walk[-1].to_status, ticket.number)

    @invariant()
    def the_kept_counts_equal_the_tickets(self) -> None:
        assert TICKET_TALLY.check() == []

    @invariant()
    def merged_reporters_have_the_masters_answer(self) -> None:
        for dup in Ticket.objects.filter(master__status__in=ANSWERED).select_related("master"):
            master = dup.master
            assert master is not None
            answer = master.messages.filter(is_reply=True).order_by("-created_at", "-id").first()
            assert answer is not None
            replies = set(dup.messages.filter(is_reply=True).values_list("body", flat=True))
            if dup.status == S.CLOSED:  # closed on its own answer, before the master's last
                self.t.assertTrue(replies, dup.number)
            else:
                self.t.assertIn(answer.body, replies, f"{dup.number} of {master.number}")


@override_settings(
    QF_NOTIFY_CHANNELS=["sms"],
    STORAGES=FILES_IN_MEMORY,
)
class IntakeWorkflowTestCase(IntakeTestCase):
    def test_random_moves_keep_the_workflows_rules(self) -> None:
        IntakeMachine.applied.clear()
        run_machine(lambda: IntakeMachine(self), examples=20, steps=40)
        # The run made moves, not only refusals (how far it gets varies from run to run;
        # the tour below makes every move).
        self.assertLessEqual({"submit", "accept", "assign"}, set(IntakeMachine.applied))

    def test_the_long_way_round(self) -> None:
        """One fixed run, with the machine's checks after each step, through every move the
        actions make: a ticket sent back twice by its reporter (redo, then escalation) and
        closed on a satisfied rating, with a duplicate merged in that gets each answer; a
        ticket returned by the wrong unit, answered and closed after the follow-up call; one
        declined; one turned into a problem that cannot be closed before its reporters are
        answered."""
        machine = IntakeMachine(self)
        try:
            master, dup = machine.make("school"), machine.make("school")
            machine.walk(master, S.ACCEPTED)
            machine.merge(dup, master, "bureau_admin", PAGE)
            machine.walk(master, S.REPLIED)
            machine.walk(master, S.HANDLING, satisfied=False)  # 发回重办
            machine.walk(master, S.REPLIED)
            machine.walk(master, S.ASSIGNED, satisfied=False)  # 提级: to the county
            machine.walk(master, S.CLOSED)
            wrong = machine.make("school2")
            machine.walk(wrong, S.ACCEPTED)
            machine.move(
                "assign", wrong, "bureau_admin", PAGE, unit="other_school", handler=None, note=""
            )
            machine.move("return", wrong, "other_school_admin", PAGE, reason="不是本校的事")
            machine.walk(wrong, S.REPLIED)
            machine.move("note", wrong, "bureau_admin", PAGE, body="电话回访，反映人认可")
            machine.move("close", wrong, "bureau_admin", PAGE, note="反映人满意")
            declined = machine.make(None)
            machine.move("decline", declined, "hotline", PAGE, reason="不属于教育系统管辖")
            linked = machine.make("other_school")
            machine.walk(linked, S.ASSIGNED)
            machine.move("to_problem", linked, "bureau_admin", PAGE)
            for _step in range(6):  # up to the verification, which waits for the answer
                machine.advance_problem(linked, approve=True)
            self.assertEqual(Problem.objects.get().status, P.CLOSURE_REQUESTED)
            machine.walk(linked, S.REPLIED)
            machine.advance_problem(linked, approve=True)
            self.assertEqual(Problem.objects.get().status, P.CLOSED)
            made = set(TicketEvent.objects.values_list("action", flat=True))
        finally:
            machine.teardown()
        self.assertLessEqual(set(workflow.MOVES), made)

    def test_each_action_refuses_exactly_the_states_its_move_does_not_leave(self) -> None:
        """Each action, with good input by the bureau, on a ticket in each state the actions
        reach: refused as an illegal move — naming the state, changing nothing — exactly when
        the workflow has no such move from that state."""
        attempts: dict[str, tuple[str, dict[str, Any]]] = {
            "accept": ("accept", {}),
            "decline": ("decline", {"reason": "不属于教育系统管辖"}),
            "assign": ("assign", {"unit": "county", "handler": None, "note": ""}),
            "start": ("start", {}),
            "return": ("return", {"reason": "转办有误"}),
            "reply": ("reply", {"body": "已核实，责令退费"}),
            "close": ("close", {"note": "反映人满意"}),
        }
        machine = IntakeMachine(self)
        try:
            states = {}
            for status in (S.RECEIVED, S.ACCEPTED, S.ASSIGNED, S.HANDLING, S.REPLIED, S.CLOSED):
                states[status] = machine.make("school")
                machine.walk(states[status], status)
            states[S.DECLINED] = machine.make(None)
            machine.move("decline", states[S.DECLINED], "bureau_admin", PAGE, reason="不属实")
            master = machine.make("school")
            states[S.MERGED] = machine.make("school")
            machine.merge(states[S.MERGED], master, "bureau_admin", PAGE)
            self.assertEqual(set(states), set(S.values))
            for status, pk in states.items():
                for name, (move, args) in [*attempts.items(), ("merge", ("merge", {}))]:
                    with self.subTest(status=status, action=name), transaction.atomic():
                        if name == "merge":
                            machine.merge(pk, master, "bureau_admin", ACTION)
                        else:
                            machine.move(name, pk, "bureau_admin", ACTION, **args)
                        refused = isinstance(machine.refusal, workflow.InvalidTransition)
                        self.assertEqual(refused, status not in workflow.MOVES[move].sources)
                        transaction.set_rollback(True)
                with self.subTest(status=status, action="rate"), transaction.atomic():
                    machine.rate(pk, 5, "")
                    refused = isinstance(machine.refusal, workflow.InvalidTransition)
                    self.assertEqual(refused, status not in workflow.MOVES["close"].sources)
                    transaction.set_rollback(True)
        finally:
            machine.teardown()


__all__ = ["IntakeMachine", "IntakeWorkflowTestCase"]
