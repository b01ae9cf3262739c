"""The verifiable export of the audit trail: `export_audit` writes JSON lines that
`verify_audit --export` checks offline, finding an edited, deleted, reordered or inserted line,
a cut end or start, and a file checked with another key."""

from __future__ import annotations

import base64
import json
import tempfile
from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from qingfeng.core.audit import compute_hash, record_audit
from qingfeng.core.models import AuditEvent
from qingfeng.core.tests.test_audit import FreshAnchors
from qingfeng.orgs import actions
from qingfeng.test import BaseTestCase


class AuditExportTestCase(FreshAnchors, BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        with self.captureOnCommitCallbacks(execute=True):
            actions.do_update_unit(self.school, actor=self.bureau_admin, short_name="东城实验")
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.folder = Path(folder.name)
        self.exported = AuditEvent.objects.count()
        self.path = self.folder / "audit.jsonl"
        out = StringIO()
        call_command("export_audit", "--to", str(self.path), stdout=out)
        self.assertIn(f"已导出 {self.exported} 条审计记录", out.getvalue())
        self.lines = self.path.read_text(encoding="utf-8").splitlines(keepends=True)

    def verify(self, lines: list[str] | None = None, *extra: str) -> str:
        path = self.path
        if lines is not None:
            path = self.folder / "changed.jsonl"
            path.write_text("".join(lines), encoding="utf-8")
        out = StringIO()
        # Offline: the check reads the file and the key, never the database.
        with self.assertNumQueries(0):
            call_command("verify_audit", "--export", str(path), *extra, stdout=out)
        return out.getvalue()

    def rejected(self, lines: list[str], *extra: str) -> str:
        with self.assertRaises(CommandError) as caught:
            self.verify(lines, *extra)
        return str(caught.exception)

    def event(self, index: int) -> dict[str, Any]:
        return json.loads(self.lines[index])

    def test_the_export_holds_every_event_and_verifies(self) -> None:
        self.assertEqual(len(self.lines), self.exported + 2)  # start, events, end
        first, last = self.event(1), self.event(-2)
        self.assertEqual(first["id"], AuditEvent.objects.order_by("id")[0].pk)
        self.assertEqual(json.loads(self.lines[-1])["head"], last["hash"])
        self.assertIn(f"OK 导出文件完整，共 {self.exported} 条记录", self.verify())
        # The export is itself in the trail, after what it exported.
        newest = AuditEvent.objects.order_by("-id")[0]
        self.assertEqual(newest.action, "core.audit.export")
        self.assertEqual((newest.after or {})["rows"], self.exported)
        self.assertGreater(newest.pk, int(last["id"]))

    def test_an_edited_line_is_found(self) -> None:
        lines = list(self.lines)
        lines[3] = lines[3].replace(self.event(3)["action"], "core.nothing.happened")
        message = self.rejected(lines)
        self.assertIn("第 4 行", message)
        self.assertIn("内容与哈希不符", message)

    def test_an_edit_with_a_recomputed_plain_hash_is_found(self) -> None:
        # Without the key the edited row's hash cannot be remade: a SHA-256 is not the HMAC.
        import hashlib

        row = self.event(2)
        row["object_repr"] = "改过的对象"
        payload = {k: v for k, v in row.items() if k not in ("kind", "id", "hash")}
        row["hash"] = hashlib.sha256(json.dumps(payload).encode()).hexdigest()
        lines = list(self.lines)
        lines[2] = json.dumps(row, ensure_ascii=False) + "\n"
        self.assertIn("第 3 行", self.rejected(lines))

    def test_a_deleted_line_is_found(self) -> None:
        lines = self.lines[:4] + self.lines[5:]
        message = self.rejected(lines)
        self.assertIn("第 5 行", message)
        self.assertIn("链接断开", message)

    def test_the_last_event_deleted_is_found_by_the_end_line(self) -> None:
        lines = self.lines[:-2] + self.lines[-1:]
        self.assertIn("结束行记有", self.rejected(lines))

    def test_reordered_lines_are_found(self) -> None:
        lines = list(self.lines)
        lines[3], lines[4] = lines[4], lines[3]
        self.assertIn("第 4 行", self.rejected(lines))

    def test_an_inserted_line_is_found(self) -> None:
        forged = self.event(4)
        forged["id"] = int(forged["id"]) + 1
        forged["prev_hash"] = forged["hash"]
        lines = [*self.lines[:5], json.dumps(forged, ensure_ascii=False) + "\n", *self.lines[5:]]
        self.assertIn("第 6 行", self.rejected(lines))
        duplicated = [*self.lines[:5], self.lines[4], *self.lines[5:]]
        self.assertIn("第 6 行", self.rejected(duplicated))

    def test_a_cut_end_and_a_cut_start_are_found(self) -> None:
        self.assertIn("文件末尾被截掉", self.rejected(self.lines[:-1]))
        self.assertIn("文件末尾被截掉", self.rejected(self.lines[:10]))
        self.assertIn("不是审计导出文件的开头", self.rejected(self.lines[1:]))
        self.assertIn("结束行之后还有内容", self.rejected([*self.lines, self.lines[2]]))

    def test_another_key_does_not_verify(self) -> None:
        other = base64.b64decode(base64.b64encode(b"k" * 32))
        with override_settings(QF_AUDIT_KEY=other):
            self.assertIn("开头行的校验码不符", self.rejected(list(self.lines)))

    def test_a_row_rewritten_with_the_key_differs_from_its_anchor(self) -> None:
        # Whoever holds the key can rewrite the file whole; the anchors kept apart cannot be.
        anchors = self.folder / "anchors.txt"
        last = self.event(-2)
        anchors.write_text(f"{last['id']} {last['hash']} 2026-01-01T00:00:00+00:00\n")
        self.assertIn("比对锚点 1 个", self.verify(None, "--anchors", str(anchors)))
        anchors.write_text(f"{last['id']} {'f' * 64} 2026-01-01T00:00:00+00:00\n")
        self.assertIn(
            "记录与锚点的哈希不符", self.rejected(list(self.lines), "--anchors", str(anchors))
        )

    def test_an_export_since_a_day_starts_where_the_chain_says(self) -> None:
        event = record_audit(actor=None, action="core.test.later", object_repr="之后的记录")
        path = self.folder / "since.jsonl"
        day = timezone.localdate(event.created_at).isoformat()
        call_command("export_audit", "--to", str(path), "--since", day, stdout=StringIO())
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        start = json.loads(lines[0])
        self.assertEqual(start["prev_hash"], json.loads(lines[1])["prev_hash"])
        self.assertIn("OK", self.verify(lines))
        self.assertEqual(compute_hash(event.chain_payload()), event.hash)

    def test_an_existing_file_is_not_overwritten(self) -> None:
        with self.assertRaises(CommandError):
            call_command("export_audit", "--to", str(self.path), stdout=StringIO())
