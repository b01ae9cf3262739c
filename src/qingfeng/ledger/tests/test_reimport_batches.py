"""A confirmed re-import of many changed rows: checked and computed before the writing
transaction, written in it in a fixed number of statements whatever the number of rows (the
SQLite write lock is held for statements, not for a round trip per row), all or none, and a
problem changed while the rows were being prepared refuses the whole confirmation."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from qingfeng.core.audit import check_chain
from qingfeng.core.models import AuditEvent
from qingfeng.core.tests.test_audit import FreshAnchors
from qingfeng.ledger import actions
from qingfeng.ledger.excel import do_apply_reimport
from qingfeng.ledger.models import LedgerImport, Problem
from qingfeng.ledger.tests.test_excel import LedgerExcelTestCase, office_xlsx, row
from qingfeng.ledger.tests.test_import_batches import meanwhile
from qingfeng.ledger.tests.test_reimport import MONTHLY

WRITES = ("INSERT", "UPDATE", "DELETE")


def month(n: int, tag: str, progress: int | None = None) -> list[dict[str, Any]]:
    extra = {"完成情况": f"推进中（{progress}%）"} if progress is not None else {}
    return [
        row(序号=i + 1, 问题描述=f"{tag}第{i + 1}项：三年级推荐学生购买指定教辅。", **extra)
        for i in range(n)
    ]


class ReimportBatchesTestCase(FreshAnchors, LedgerExcelTestCase):
    def preview(self, n: int, tag: str) -> LedgerImport:
        first = self.run_import(office_xlsx(month(n, tag)), name=f"{tag}3月.xlsx")
        self.assertTrue(first.ok, first.errors)
        again = self.run_import(
            office_xlsx(month(n, tag, progress=80), layout=MONTHLY), name=f"{tag}4月.xlsx"
        )
        self.assertTrue(again.preview, again.errors)
        again.record.refresh_from_db()
        self.assertEqual([e["kind"] for e in again.record.preview["rows"]], ["changed"] * n)
        return again.record

    def confirm(self, record: LedgerImport) -> tuple[Any, list[str]]:
        keys = {e["key"] for e in record.preview["rows"]}
        with CaptureQueriesContext(connection) as queries:
            outcome = do_apply_reimport(record, actor=self.county_admin, selected=keys)
        writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]
        return outcome, writes

    def test_the_writes_do_not_grow_with_the_rows(self) -> None:
        small, small_writes = self.confirm(self.preview(6, "（甲）"))
        large, large_writes = self.confirm(self.preview(36, "（乙）"))
        self.assertTrue(small.ok and large.ok, (small.errors, large.errors))
        self.assertEqual(large.record.updated_count, 36)
        # One statement per kind of write and batch, not per row: six rows or thirty-six,
        # the confirmation writes the same number of statements.
        self.assertEqual(len(large_writes), len(small_writes))
        self.assertLess(len(large_writes), 20)
        progress = Problem.objects.filter(description__startswith="（乙）").values_list(
            "progress", flat=True
        )
        self.assertEqual(set(progress), {80})
        # One audit event per problem, chained as if written one by one.
        events = AuditEvent.objects.filter(action="ledger.problem.reimport")
        self.assertEqual(events.count(), 6 + 36)
        ids = Problem.objects.filter(description__startswith="（乙）").values_list("pk", flat=True)
        event = events.filter(object_id__in=[str(pk) for pk in ids]).latest("id")
        self.assertEqual(event.before, {"progress": 60})  # what the first month said
        self.assertEqual((event.after or {})["import"], large.record.pk)
        report = check_chain()
        self.assertTrue(report.ok, report)
        self.assertEqual(report.checked, AuditEvent.objects.count())

    def test_a_problem_changed_while_the_rows_are_prepared_refuses_everything(self) -> None:
        record = self.preview(8, "（丙）")
        target = Problem.objects.filter(description__startswith="（丙）第3项").get()
        before = target.progress
        self.assertNotEqual(before, 80)

        def edit() -> None:
            actions.check_update_problem(
                Problem.objects.get(pk=target.pk),
                actor=self.county_admin,
                deadline=date(2027, 5, 10),
            )

        with meanwhile("核对更新", edit) as fired:
            outcome, _writes = self.confirm(record)
        self.assertEqual(fired, [0])
        self.assertEqual(outcome.record.status, LedgerImport.Status.REJECTED)
        self.assertEqual(
            [e.message for e in outcome.errors],
            [f"编号 {target.number} 的问题在预览之后已被修改，本次未写入任何数据，请重新上传核对"],
        )
        progress = Problem.objects.filter(description__startswith="（丙）").values_list(
            "progress", flat=True
        )
        self.assertEqual(set(progress), {before})  # nothing of the confirmation was written
        self.assertFalse(AuditEvent.objects.filter(action="ledger.problem.reimport").exists())
