"""Check the audit trail's hash chain: `manage.py verify_audit`.

Prints OK with the number of events, or names the first broken event and exits non-zero, so
it can run from cron or a monitoring probe.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from qingfeng.core.audit import check_chain

REASONS = {
    "hash": "记录内容与哈希不符，该记录被修改过或系伪造 (the row does not match its hash: "
    "altered or forged)",
    "link": "与上一条记录的链接断开，之前的记录被删除、插入或修改过 "
    "(the link to the previous row is broken: a row before it was removed, inserted or altered)",
}


class Command(BaseCommand):
    help = "校验审计日志哈希链 (verify the audit trail's hash chain)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        report = check_chain(batch_size=batch_size)
        if report.broken is None:
            self.stdout.write(
                self.style.SUCCESS(
                    f"OK 审计链完整，共校验 {report.checked} 条记录 "
                    f"(audit chain intact, {report.checked} events)"
                )
            )
            return
        event = report.broken
        when = timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M:%S")
        raise CommandError(
            f"审计链已被破坏 (audit chain broken): 第一条异常记录 (first broken event) "
            f"id={event.pk} 时间 (time)={when} 操作 (action)={event.action} — "
            f"{REASONS[report.reason]}；此前 {report.checked} 条记录完好 "
            f"({report.checked} events before it hold)"
        )
