"""Load the demo installation: `manage.py seed_demo --size county|city|province --seed N`."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qingfeng.orgs.demo import DEMO_LOGINS_HELP, SIZES, DemoAlreadySeeded, do_seed_demo

_SIZE_LABELS = {"county": "县级", "city": "市级", "province": "省级"}


class Command(BaseCommand):
    help = "载入演示数据（单位、人员、演示账号）；同一种子每次结果相同 / load the demo data"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=SIZES, default="county")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="已有单位时什么也不做（make run 每次启动都调用）/ do nothing if units exist",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        size, seed = options["size"], options["seed"]
        started = time.perf_counter()
        try:
            summary = do_seed_demo(size=size, seed=seed)
        except DemoAlreadySeeded:
            message = (
                "数据库中已有单位或演示账号，未重复载入 / units or demo accounts exist already"
            )
            if options["if_empty"]:
                self.stdout.write(message)
                return
            raise CommandError(message) from None
        seconds = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"已载入{_SIZE_LABELS[size]}演示数据（种子 {seed}）：{summary.units:,} 个单位，"
                f"{summary.people:,} 人，{len(summary.accounts)} 个演示账号，用时 {seconds:.1f} 秒"
                f" / loaded the {size} demo (seed {seed}): {summary.units:,} units, "
                f"{summary.people:,} people in {seconds:.1f} s"
            )
        )
        self.stdout.write(DEMO_LOGINS_HELP)
