"""Export the audit trail as verifiable JSON lines: `manage.py export_audit --to FILE`.

One line per event with its chained columns, id and hash, between a start and an end line
sealed with QF_AUDIT_KEY (core/audit.py, "A verifiable export"). `verify_audit --export FILE`
checks such a file offline — with the key, without the database — and names the first edited,
deleted, reordered or inserted line. The export is itself an audit event (core.audit.export),
written after the events exported, so it is in the next export.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from qingfeng.core.audit import AuditFilter, export_lines, filter_audit_events, record_audit
from qingfeng.core.models import AuditEvent


class Command(BaseCommand):
    help = "导出可校验的审计日志（JSON Lines）(export the audit trail as verifiable JSON lines)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to",
            type=Path,
            required=True,
            help="导出文件，- 为标准输出 (the file to write; - for standard output)",
        )
        parser.add_argument(
            "--since",
            type=date.fromisoformat,
            help="从这一天（YYYY-MM-DD，本地时间）起 (from this local day on)",
        )

    def handle(self, *args: Any, to: Path, since: date | None, **options: Any) -> None:
        events = AuditEvent.objects.all()
        if since is not None:
            events = filter_audit_events(events, AuditFilter(start=since))
        with transaction.atomic():
            # Fix the set before the export's own event joins the trail.
            newest = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
            events = events.filter(id__lte=newest)
            count = events.count()
            record_audit(
                actor=None,
                action="core.audit.export",
                after={
                    "format": "jsonl",
                    "rows": count,
                    "filters": {"since": since.isoformat()} if since else {},
                },
            )
        if str(to) == "-":
            for line in export_lines(events):
                sys.stdout.write(line)
            return
        if to.exists():
            raise CommandError(f"文件已存在，不覆盖 (the file exists; not overwritten): {to}")
        partial = to.with_name(f".{to.name}.partial")
        with partial.open("w", encoding="utf-8") as out:
            for line in export_lines(events):
                out.write(line)
        os.replace(partial, to)  # the export is there whole or not at all
        self.stdout.write(
            self.style.SUCCESS(
                f"已导出 {count} 条审计记录到 {to} (exported {count} audit events); "
                f"校验 (verify): qingfeng verify_audit --export {to}"
            )
        )
