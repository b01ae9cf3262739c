"""`manage.py restore BACKUP`: restore a backup onto an empty instance (see
qingfeng.core.backup); nothing changes unless the file, its checksums and the keys hold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qingfeng.core import backup as backups


class Command(BaseCommand):
    help = "从备份恢复到空实例 (restore a backup onto an empty instance)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path)

    def handle(self, *args: Any, backup: Path, **options: Any) -> None:
        try:
            report = backups.restore_backup(backup)
        except backups.RestoredWrong as exc:
            raise CommandError(f"恢复后的数据与备份清单不符 (restored data differ): {exc}") from exc
        except backups.BackupError as exc:
            raise CommandError(f"恢复失败，未做任何改动 (restore refused): {exc}") from exc
        for note in report.notes:
            self.stdout.write(self.style.SUCCESS(f"OK {note}"))
        self.stdout.write(
            f"备份时间 (made at) {report.manifest['created_at']}，用时 (took) {report.seconds:.1f} s"
        )
