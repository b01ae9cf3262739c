"""`manage.py backup [--to DIR] [--keep N] [--export-keys FILE]`: one backup of the whole
instance (see qingfeng.core.backup); the task worker runs it daily."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qingfeng.core import backup


class Command(BaseCommand):
    help = "备份数据库、文件和清单 (back up the database, the files and a manifest)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to", type=Path, default=None, help="备份目录 (default QF_BACKUP_DIR)"
        )
        parser.add_argument("--keep", type=int, default=None, help="保留最近几份 (QF_BACKUP_KEEP)")
        parser.add_argument(
            "--export-keys",
            type=Path,
            default=None,
            help="把解密个人信息所需的密钥另存到此文件（权限 600），须与备份分开保管",
        )

    def handle(
        self,
        *args: Any,
        to: Path | None,
        keep: int | None,
        export_keys: Path | None,
        **options: Any,
    ) -> None:
        if export_keys is not None:
            self._export_keys(export_keys)
        directory = to or Path(settings.QF_BACKUP_DIR)
        try:
            report = backup.create_backup(
                directory, keep=keep if keep is not None else settings.QF_BACKUP_KEEP
            )
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = report.manifest
        self.stdout.write(
            self.style.SUCCESS(
                f"OK {report.path} ({report.path.stat().st_size} bytes, {report.seconds:.1f} s): "
                f"{len(manifest['tables'])} 张表 (tables), {sum(manifest['tables'].values())} 行 "
                f"(rows), {sum(1 for n in manifest['files'] if n.startswith('media/'))} 个文件 "
                f"(files); 审计链最新 (audit head) #{manifest['audit_head']['id']}"
            )
        )
        for note in report.notes:
            self.stdout.write(note)
        self.stdout.write(
            "密钥不在备份中：恢复时须配置相同的 QF_FIELD_KEY / QF_INDEX_KEY / QF_AUDIT_KEY，请另行保管 "
            "(the keys are not in the backup; keep them apart)"
        )

    def _export_keys(self, path: Path) -> None:
        import base64

        data = {
            "QF_FIELD_KEY": base64.b64encode(settings.QF_FIELD_KEY).decode(),
            "QF_INDEX_KEY": base64.b64encode(settings.QF_INDEX_KEY).decode(),
            "QF_AUDIT_KEY": base64.b64encode(settings.QF_AUDIT_KEY).decode(),
            "fingerprints": backup.key_fingerprints(),
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1)
        self.stdout.write(f"密钥已另存 (keys written) {path}")
