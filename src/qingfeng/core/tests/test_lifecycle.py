"""The locked state move on its own, with a throwaway app's workflow (tests/scratch.py)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import TextChoices
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from qingfeng.core import lifecycle
from qingfeng.core.lifecycle import Move, Workflow
from qingfeng.core.models import AuditEvent
from qingfeng.core.tests.scratch import Case, CaseEvent, ScratchTables, make_case


class CaseStatus(TextChoices):
    NEW = "new", "新建"
    OPEN = "open", "办理中"
    DONE = "done", "已办结"


MOVES = {
    "open": Move("开始办理", frozenset({"new"}), "open"),
    "finish": Move("办结", frozenset({"open"}), "done"),
    "reopen": Move("重新办理", frozenset({"done"}), "open"),
}


class CaseTransitionError(lifecycle.InvalidTransition):
    def __init__(self, status: str, action: str) -> None:
        super().__init__(
            statuses=CaseStatus,
            moves=MOVES,
            message="案件当前状态为“%(status)s”，不能执行“%(action)s”",
            status=status,
            action=action,
        )


def snapshot(case: Case) -> dict[str, Any]:
    return {"status": case.status, "note": case.note}


WORKFLOW = Workflow(
    model=Case,
    statuses=CaseStatus,
    moves=MOVES,
    error=CaseTransitionError,
    event_model=CaseEvent,
    event_subject="case",
    audit_prefix="core.case",
    labels={"filed": "登记"},
    snapshot=snapshot,
)


def stored(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


class LockedMoveTestCase(ScratchTables, TestCase):
    def test_it_moves_and_writes_the_event_row_and_the_audit_row(self) -> None:
        case = make_case()
        touched = case.updated_at
        with WORKFLOW.move(case, "open", actor=None, reason="受理") as step:
            self.assertEqual(case.status, "open")  # the action works on the new status
            case.note = "已分派"
            step.note["why"] = "首次"
        self.assertEqual((stored(case).status, stored(case).note), ("open", "已分派"))
        self.assertGreater(stored(case).updated_at, touched)
        event = CaseEvent.objects.get(case=case)
        self.assertEqual(
            (event.action, event.from_status, event.to_status, event.reason),
            ("open", "new", "open", "受理"),
        )
        audit = AuditEvent.objects.get(action="core.case.open")
        self.assertEqual(audit.object_id, str(case.pk))
        self.assertEqual(audit.before, {"status": "new", "note": ""})
        self.assertEqual(audit.after, {"status": "open", "note": "已分派", "why": "首次"})

    def test_it_refuses_an_illegal_move_and_changes_nothing(self) -> None:
        case = make_case()
        ran = []
        with (
            self.assertRaises(CaseTransitionError) as caught,
            WORKFLOW.move(case, "finish", actor=None),
        ):
            ran.append(True)
        self.assertEqual(caught.exception.messages, ["案件当前状态为“新建”，不能执行“办结”"])
        self.assertEqual(caught.exception.code, "invalid_transition")
        self.assertEqual(ran, [])
        self.assertEqual(stored(case).status, "new")
        self.assertFalse(CaseEvent.objects.exists())
        self.assertFalse(AuditEvent.objects.filter(action__startswith="core.case").exists())

    def test_an_error_in_the_action_undoes_the_whole_move(self) -> None:
        case = make_case()
        with self.assertRaises(ValidationError), WORKFLOW.move(case, "open", actor=None):
            case.note = "写到一半"
            raise ValidationError("请填写办理意见")
        self.assertEqual((stored(case).status, stored(case).note), ("new", ""))
        self.assertFalse(CaseEvent.objects.exists())
        self.assertFalse(AuditEvent.objects.filter(action__startswith="core.case").exists())

    def test_two_moves_of_one_row_in_sequence_see_the_stored_state(self) -> None:
        case = make_case()
        first, second = stored(case), stored(case)  # two people opened the same page
        WORKFLOW.apply(first, "open", actor=None)
        with self.assertRaises(CaseTransitionError) as caught:
            WORKFLOW.apply(second, "open", actor=None)
        self.assertEqual(caught.exception.status, "open")  # decided on the stored status
        self.assertEqual(second.status, "open")
        WORKFLOW.apply(second, "finish", actor=None)  # legal from what is stored
        self.assertEqual(stored(case).status, "done")
        self.assertEqual(
            list(CaseEvent.objects.values_list("action", "from_status", "to_status")),
            [("open", "new", "open"), ("finish", "open", "done")],
        )

    def test_a_move_from_a_stale_copy_keeps_what_others_changed_meanwhile(self) -> None:
        case = make_case()
        stale = stored(case)  # read before someone else's edit
        Case.objects.filter(pk=case.pk).update(note="他人刚刚补充的说明")
        WORKFLOW.apply(stale, "open", actor=None)
        self.assertEqual((stored(case).status, stored(case).note), ("open", "他人刚刚补充的说明"))

    def test_it_locks_the_row_before_it_decides(self) -> None:
        case = make_case()
        with CaptureQueriesContext(connection) as queries:
            WORKFLOW.apply(case, "open", actor=None)
        reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
        self.assertIn("core_scratch_case", reads[0])
        if connection.features.has_select_for_update:  # SQLite locks the whole database
            self.assertIn("FOR UPDATE", reads[0])

    def test_the_audit_row_can_be_named_or_left_to_the_action(self) -> None:
        case = make_case()
        WORKFLOW.apply(case, "open", actor=None, audit="core.case.recheck")
        WORKFLOW.apply(case, "finish", actor=None, audit=False)
        self.assertEqual(
            list(
                AuditEvent.objects.filter(action__startswith="core.case")
                .order_by("id")
                .values_list("action", flat=True)
            ),
            ["core.case.recheck"],
        )
        self.assertEqual(CaseEvent.objects.count(), 2)  # an event row for every move

    def test_the_action_sets_more_event_columns(self) -> None:
        case = make_case()
        with WORKFLOW.move(case, "open", actor=None, public=False) as step:
            step.reason = "内部分派"
        event = CaseEvent.objects.get()
        self.assertEqual((event.public, event.reason), (False, "内部分派"))

    def test_events_that_are_not_moves_need_a_label(self) -> None:
        case = make_case()
        WORKFLOW.record_event(case, "filed", actor=None, to_status="new")
        with self.assertRaises(ValueError), transaction.atomic():
            WORKFLOW.record_event(case, "mystery", actor=None)
        self.assertEqual(list(CaseEvent.objects.values_list("action", flat=True)), ["filed"])
        self.assertEqual(
            {name: str(label) for name, label in WORKFLOW.event_labels.items()},
            {"open": "开始办理", "finish": "办结", "reopen": "重新办理", "filed": "登记"},
        )

    def test_allowed_lists_the_moves_a_status_permits(self) -> None:
        self.assertEqual(WORKFLOW.allowed("done"), ["reopen"])
        self.assertEqual(WORKFLOW.target("done", "reopen"), "open")
        with self.assertRaises(CaseTransitionError):
            WORKFLOW.target("new", "reopen")
