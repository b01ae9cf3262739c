"""A large import writes in short transactions (staged batches, then one that shows them all),
so other writers never wait for the whole import; what changed meanwhile is found and named,
never overwritten, and nothing of a failed import is ever seen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from unittest import mock

from django.core.exceptions import ValidationError

from qingfeng.core.models import AuditEvent, Notification
from qingfeng.ledger import actions, selectors
from qingfeng.ledger.excel import do_apply_reimport, work
from qingfeng.ledger.excel import importing as importing_module
from qingfeng.ledger.models import (
    PROBLEM_TALLY,
    STAGED,
    LedgerImport,
    Problem,
    ProblemTally,
)
from qingfeng.ledger.tests.test_excel import LedgerExcelTestCase, office_xlsx, row
from qingfeng.ledger.tests.test_reimport import ReimportBase


def rows(n: int, tag: str) -> list[dict[str, Any]]:
    return [
        row(序号=i + 1, 问题描述=f"{tag}第{i + 1}项：三年级推荐学生购买指定教辅。")
        for i in range(n)
    ]


@contextmanager
def meanwhile(note: str, callback: Callable[[], None]) -> Iterator[list[int]]:
    """Run `callback` once, as someone else would, when the import reports `note` (between
    its short transactions)."""
    fired: list[int] = []
    real = importing_module.current

    class Hooked:
        def __init__(self) -> None:
            self.inner = real()

        def step(self, done: int, total: int | None = None, note_: str = "") -> None:
            if note_.startswith(note) and not fired:
                fired.append(done)
                callback()
            self.inner.step(done, total, note_)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

    with mock.patch.object(importing_module, "current", Hooked):
        yield fired


def small_batches() -> Any:
    return mock.patch.multiple(importing_module, PER_ROW_LIMIT=0, STAGE_BATCH=2)


class StagedImportTestCase(LedgerExcelTestCase):
    def lights(self) -> dict[str, int]:
        tallies = selectors.tallies_visible_to(self.county_admin)
        assert tallies is not None  # the county admin's view is whole units
        return selectors.tally_lights(tallies)

    def staged(self) -> int:
        return Problem.with_staged.filter(status__startswith=STAGED).count()

    def test_rows_being_written_are_seen_by_no_one_until_all_are_shown_at_once(self) -> None:
        lights = self.lights()
        seen: dict[str, Any] = {}

        def look() -> None:
            seen["ledger"] = Problem.objects.filter(created_by=self.county_admin).count()
            seen["staged"] = self.staged()
            seen["lights"] = self.lights()
            seen["page"] = self.login(self.county_admin).get("/ledger/").content.decode()

        with small_batches(), meanwhile("写入 2 /", look) as fired:
            outcome = self.run_import(office_xlsx(rows(5, "（甲）")))
        self.assertTrue(outcome.ok, outcome.errors)
        self.assertEqual(fired, [2])
        self.assertEqual((seen["ledger"], seen["staged"]), (0, 2))
        self.assertEqual(seen["lights"], lights)  # the kept counts leave them out too
        self.assertNotIn("（甲）", seen["page"])
        problems = self.new_problems()
        self.assertEqual([p.status for p in problems], [Problem.Status.DRAFT] * 5)
        self.assertEqual(self.staged(), 0)
        self.assertFalse(ProblemTally.objects.filter(status__startswith=STAGED).exists())
        self.assertEqual(PROBLEM_TALLY.check(), [])
        stages = AuditEvent.objects.filter(action="ledger.problem.import.stage").order_by("id")
        self.assertEqual([e.after["staged"] for e in stages], [2, 2, 1])  # type: ignore[index]
        self.assertEqual(
            [e.after["rows"] for e in stages],  # type: ignore[index]
            [[5, 6], [7, 8], [9, 9]],  # the sheet's rows (the data start on row 5)
        )
        summary = AuditEvent.objects.get(action="ledger.problem.import")
        self.assertEqual(summary.after["created"], 5)  # type: ignore[index]

    def test_assigned_rows_are_notified_only_once_shown(self) -> None:
        def look() -> None:
            self.assertFalse(Notification.objects.filter(title__startswith="新交办问题").exists())

        with small_batches(), meanwhile("写入 2 /", look) as fired:
            outcome = self.run_import(office_xlsx(rows(3, "（乙）")), assign=True)
        self.assertTrue(outcome.ok, outcome.errors)
        self.assertEqual(fired, [2])
        self.assertEqual({p.status for p in self.new_problems()}, {Problem.Status.ASSIGNED})
        self.assertEqual(
            Notification.objects.filter(
                recipient=self.teacher, title__startswith="新交办问题"
            ).count(),
            3,
        )
        self.assertEqual(PROBLEM_TALLY.check(), [])

    def test_a_problem_registered_meanwhile_is_named_and_nothing_is_written(self) -> None:
        def register() -> None:
            self.make_problem(
                title="违规推荐教辅材料",
                description="（丙）第3项：三年级推荐学生购买指定教辅。",
            )

        before = Problem.objects.count()
        with small_batches(), meanwhile("写入 2 /", register):
            outcome = self.run_import(office_xlsx(rows(5, "（丙）")))
        self.assertEqual(outcome.record.status, LedgerImport.Status.REJECTED)
        self.assertEqual(
            [(e.row, e.message) for e in outcome.errors],
            [(7, "本行的问题在核对之后已由他人登记到台账，本次未写入任何数据，请重新上传核对")],
        )
        self.assertEqual(Problem.objects.count(), before + 1)  # theirs, kept
        self.assertEqual(Problem.with_staged.count(), before + 1)  # ours, removed
        self.assertEqual(PROBLEM_TALLY.check(), [])
        self.assertIsNotNone(outcome.error_workbook)

    def test_a_person_who_left_meanwhile_is_named(self) -> None:
        person = self.teacher.person

        def leave() -> None:
            type(person).objects.filter(pk=person.pk).update(is_active=False)

        with small_batches(), meanwhile("写入 2 /", leave):
            outcome = self.run_import(office_xlsx(rows(3, "（丁）")))
        self.assertEqual(outcome.record.status, LedgerImport.Status.REJECTED)
        self.assertEqual(
            {e.message for e in outcome.errors},
            {"本行的责任领导或责任人在核对之后已调离或停用，本次未写入任何数据"},
        )
        self.assertEqual(self.staged(), 0)

    def test_a_failure_between_batches_leaves_nothing(self) -> None:
        def fail() -> None:
            raise RuntimeError("disk full")

        with small_batches(), meanwhile("写入 4 /", fail), self.assertRaises(RuntimeError):
            self.run_import(office_xlsx(rows(5, "（戊）")))
        record = LedgerImport.objects.get()
        self.assertEqual(record.status, LedgerImport.Status.FAILED)
        self.assertEqual(self.staged(), 0)
        self.assertEqual(self.new_problems(), [])
        self.assertEqual(PROBLEM_TALLY.check(), [])

    def test_a_worker_killed_between_batches_leaves_nothing_once_the_job_ends(self) -> None:
        class Killed(BaseException):
            pass

        def kill() -> None:
            raise Killed

        with small_batches(), meanwhile("写入 4 /", kill), self.assertRaises(Killed):
            self.run_import(office_xlsx(rows(5, "（己）")))
        record = LedgerImport.objects.get()
        self.assertEqual((record.status, self.staged()), (LedgerImport.Status.RECEIVED, 4))
        self.assertEqual(self.new_problems(), [])
        # The sweep finds the dead job and ends it (core/progress.py): so does the import.
        work.import_failed(
            {"import_id": record.pk, "actor_id": self.county_admin.pk}, "后台进程意外退出"
        )
        record.refresh_from_db()
        self.assertEqual(record.status, LedgerImport.Status.FAILED)
        self.assertEqual(self.staged(), 0)
        self.assertEqual(PROBLEM_TALLY.check(), [])

    def test_a_second_run_that_finds_the_import_done_leaves_its_outcome_alone(self) -> None:
        def finished_elsewhere() -> None:
            LedgerImport.objects.update(status=LedgerImport.Status.IMPORTED)

        with (
            meanwhile("核对完成", finished_elsewhere),
            self.assertRaisesMessage(ValidationError, "该文件已经处理过"),
        ):
            self.run_import(office_xlsx(rows(2, "（庚）")))
        self.assertEqual(LedgerImport.objects.get().status, LedgerImport.Status.IMPORTED)
        self.assertEqual(self.new_problems(), [])


class ConfirmedMeanwhileTestCase(ReimportBase):
    def test_a_problem_edited_while_the_confirmation_runs_is_named_not_overwritten(
        self,
    ) -> None:
        record = self.preview(self.second_month())
        entries = self.by_problem(record)

        def edit() -> None:
            actions.check_update_problem(
                Problem.objects.get(pk=self.gift.pk),
                actor=self.county_admin,
                deadline=date(2027, 5, 10),
            )

        with meanwhile("核对完成", edit) as fired:
            outcome = do_apply_reimport(
                record, actor=self.county_admin, selected={e["key"] for e in entries.values()}
            )
        self.assertEqual(fired, [0])
        self.assertEqual(outcome.record.status, LedgerImport.Status.REJECTED)
        self.assertEqual(
            [e.message for e in outcome.errors],
            [
                f"编号 {self.gift.number} 的问题在预览之后已被修改，本次未写入任何数据，请重新上传核对"
            ],
        )
        gift = Problem.objects.get(pk=self.gift.pk)
        self.assertEqual(gift.deadline, date(2027, 5, 10))  # theirs stands
        self.assertEqual(Problem.objects.get(pk=self.books.pk).progress, 60)  # nothing of ours
        self.assertFalse(AuditEvent.objects.filter(action="ledger.problem.reimport").exists())
