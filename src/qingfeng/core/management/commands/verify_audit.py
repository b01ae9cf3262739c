"""Check the audit trail: `manage.py verify_audit [--anchors FILE ...]`, or an export of it
offline: `manage.py verify_audit --export FILE [--anchors FILE ...]` (no database is read).

Walks the keyed hash chain and holds it against the heads anchored outside the database (the
anchor file, and the anchor lines of backups given with --anchors). Prints OK with the number
of events, or says what is wrong — the first broken event, rows cut from the end, a wiped
table, rows that differ from their anchor — and exits non-zero, so it can run from cron or a
monitoring probe.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from qingfeng.core.audit import ChainReport, check_chain, read_anchors, verify_export

REASONS = {
    "hash": "记录内容与哈希不符，该记录被修改过或系伪造 (the row does not match its hash: "
    "altered or forged)",
    "link": "与上一条记录的链接断开，之前的记录被删除、插入或修改过 "
    "(the link to the previous row is broken: a row before it was removed, inserted or altered)",
}


def _ids(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:10])
    return shown + (f" …（共 {len(ids)} 条 / {len(ids)} in all）" if len(ids) > 10 else "")


def problems(report: ChainReport) -> list[str]:
    """What is wrong, one sentence each, Chinese first."""
    found: list[str] = []
    if report.wiped:
        found.append(
            f"审计表已被清空：锚点记录到第 {report.cut_to} 条，数据库中一条也没有 "
            f"(the audit table was wiped/TRUNCATEd: anchors reach event {report.cut_to}, "
            "the table holds none)"
        )
    if report.cut_after is not None:
        found.append(
            f"末尾记录被截除：数据库止于第 {report.cut_after} 条，锚点记录到第 {report.cut_to} 条 "
            f"(rows cut from the end: the trail ends at id {report.cut_after}, "
            f"anchors reach id {report.cut_to})"
        )
    if report.missing:
        found.append(
            f"锚点记录过的事件不在数据库中 (anchored events absent): id {_ids(report.missing)}"
        )
    if report.forged:
        found.append(
            f"记录与锚点的哈希不符，系重写或伪造 (rows differ from their anchor: rewritten "
            f"or forged): id {_ids(report.forged)}"
        )
    event = report.broken
    if event is not None:
        when = timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M:%S")
        found.append(
            f"审计链已被破坏 (audit chain broken): 第一条异常记录 (first broken event) "
            f"id={event.pk} 时间 (time)={when} 操作 (action)={event.action} — "
            f"{REASONS[report.reason]}；此前 {report.checked} 条记录完好 "
            f"({report.checked} events before it hold)"
        )
    return found


class Command(BaseCommand):
    help = "校验审计日志哈希链及其外部锚点 (verify the audit chain and its anchors)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument(
            "--anchors",
            action="append",
            default=[],
            type=Path,
            help="备份中的锚点文件，可多次给出 (an anchor file from a backup; repeatable)",
        )
        parser.add_argument(
            "--export",
            type=Path,
            help="校验 export_audit 导出的文件，不读数据库 (verify a file written by "
            "export_audit, offline)",
        )

    def handle(
        self,
        *args: Any,
        batch_size: int,
        anchors: list[Path],
        export: Path | None,
        **options: Any,
    ) -> None:
        for path in anchors:
            if not path.is_file():
                raise CommandError(f"锚点文件不存在 (no such anchor file): {path}")
        if export is not None:
            self.verify_export(export, anchors)
            return
        report = check_chain(batch_size=batch_size, anchor_files=anchors)
        if report.unreadable_anchors:
            self.stderr.write(
                f"锚点文件中有 {report.unreadable_anchors} 行无法识别 "
                f"({report.unreadable_anchors} anchor lines unreadable)"
            )
        found = problems(report)
        if found:
            raise CommandError("\n".join(found))
        if not report.anchored and report.last_id:
            self.stderr.write(
                f"没有锚点可供比对，无法发现末尾截除 (no anchors to compare with; a cut tail "
                f"would not show): {settings.QF_AUDIT_ANCHOR_FILE}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"OK 审计链完整，共校验 {report.checked} 条记录，比对锚点 {report.anchored} 个 "
                f"(audit chain intact, {report.checked} events, {report.anchored} anchors)"
            )
        )

    def verify_export(self, path: Path, anchor_files: list[Path]) -> None:
        if not path.is_file():
            raise CommandError(f"导出文件不存在 (no such export file): {path}")
        anchors, _unreadable = read_anchors(anchor_files)
        with path.open(encoding="utf-8", errors="replace", newline="") as lines:
            report = verify_export(lines, anchors)
        if not report.ok:
            raise CommandError(
                f"审计导出文件未通过校验 (the audit export does not verify): {path}\n"
                f"{report.problem}；此前 {report.checked} 条记录完好 "
                f"({report.checked} events before it hold)"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"OK 导出文件完整，共 {report.checked} 条记录（id {report.from_id}–"
                f"{report.last_id}），比对锚点 {report.anchored} 个，最新哈希 {report.head} "
                f"(the export holds: {report.checked} events, {report.anchored} anchors)"
            )
        )
