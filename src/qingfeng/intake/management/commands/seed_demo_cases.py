"""Demo cases for a demo installation — a ledger and tickets in every state, made through the
actions: `manage.py seed_demo_cases [--if-empty]` (after `seed_demo`; `make run` runs both)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from qingfeng.intake.demo import DemoTicketsExist, seed_demo_tickets
from qingfeng.intake.receipts import grouped
from qingfeng.ledger.demo import seed_demo_ledger
from qingfeng.ledger.models import Problem
from qingfeng.orgs.models import User


class Command(BaseCommand):
    help = "为演示数据载入整改台账问题和直通车工单（覆盖各个环节）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="已有工单时不重复载入（不报错）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not User.objects.filter(username="demo_bureau").exists():
            message = "没有演示账号，未载入演示工单（请先运行 seed_demo）/ no demo accounts"
            if options["if_empty"]:  # an installation with its own units: nothing to do
                self.stdout.write(message)
                return
            raise CommandError(message)
        try:
            with transaction.atomic():
                if Problem.objects.exists():
                    raise DemoTicketsExist
                problems = seed_demo_ledger()
                result = seed_demo_tickets()
        except DemoTicketsExist:
            message = "数据库中已有工单或台账问题，未重复载入 / tickets or problems exist already"
            if options["if_empty"]:
                self.stdout.write(message)
                return
            raise CommandError(message) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"已载入 {len(problems)} 个演示台账问题、{len(result.codes)} 件演示工单 / loaded "
                f"{len(problems)} demo problems and {len(result.codes)} demo tickets"
            )
        )
        self.stdout.write(
            "演示回执码（在 /report/track/ 查询）/ receipt codes to try at /report/track/:"
        )
        for label, code in result.codes.items():
            self.stdout.write(f"  {label}：{grouped(code)}")
        if result.problem:
            self.stdout.write(f"转为台账问题 / became ledger problem {result.problem}")
