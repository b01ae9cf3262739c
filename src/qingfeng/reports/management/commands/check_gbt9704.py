"""manage.py check_gbt9704 FILE.docx — exit status 0 when the file follows the GB/T 9704-2012
layout, else 1 with each deviation on its own line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qingfeng.lib import gbt9704


class Command(BaseCommand):
    help = "Check a .docx against the GB/T 9704-2012 official document layout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"没有这个文件：{path}")
        found = gbt9704.check(path.read_bytes())
        for deviation in found:
            self.stdout.write(str(deviation))
        if found:
            raise SystemExit(1)
        self.stdout.write("符合 GB/T 9704-2012 版式")
