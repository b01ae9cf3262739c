"""Demo cases for a demo installation: every app that registered a demo seeder
(core/registry.py) writes its records through its own actions — a ledger and tickets in
every state today. `manage.py seed_demo_cases [--if-empty]` (after `seed_demo`; `make run`
runs both)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from qingfeng.core import registry


class DemoCasesExist(Exception):
    pass


class Command(BaseCommand):
    help = "为演示数据载入各模块的演示记录（整改台账问题、直通车工单等，覆盖各个环节）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="已有工单时不重复载入（不报错）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        seeders = registry.demo_seeders()
        if not all(s.ready() for s in seeders if s.ready is not None):
            message = "没有演示账号，未载入演示工单（请先运行 seed_demo）/ no demo accounts"
            if options["if_empty"]:  # an installation with its own units: nothing to do
                self.stdout.write(message)
                return
            raise CommandError(message)
        lines: list[str] = []
        try:
            with transaction.atomic():
                if any(s.has_data() for s in seeders if s.has_data is not None):
                    raise DemoCasesExist
                for seeder in seeders:
                    if seeder.seed is not None:
                        lines.extend(seeder.seed())
        except DemoCasesExist:
            message = "数据库中已有工单或台账问题，未重复载入 / tickets or problems exist already"
            if options["if_empty"]:
                self.stdout.write(message)
                return
            raise CommandError(message) from None
        for line in lines:
            self.stdout.write(line)
