"""Backfill the duplicate check for tickets stored before it existed (or by an older
algorithm version): `manage.py intake_signatures [--all] [--flags] [--prune]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Q

from qingfeng.intake import similarity
from qingfeng.intake.models import Ticket


class Command(BaseCommand):
    help = "计算工单的相似度签名（用于疑似重复提示），可同时标记疑似重复工单"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="重新计算所有工单的签名")
        parser.add_argument(
            "--flags", action="store_true", help="同时检查并标记疑似重复工单（90 天内、同一单位）"
        )
        parser.add_argument(
            "--prune",
            action="store_true",
            help="删除超过 90 天的工单的分桶（签名保留），宜每日运行",
        )
        parser.add_argument("--batch", type=int, default=500, help="每批处理的工单数")

    def handle(self, *args: Any, **options: Any) -> None:
        tickets = Ticket.objects.order_by("created_at", "id")
        if not options["all"]:
            tickets = tickets.filter(
                Q(signature__isnull=True) | Q(signature__version__lt=similarity.VERSION)
            )
        batch = max(1, options["batch"])
        done = flagged = 0
        last: tuple[Any, int] | None = None
        while True:
            page = tickets
            if last is not None:  # keyset: a ticket that got its signature stays in order
                page = page.filter(
                    Q(created_at__gt=last[0]) | Q(created_at=last[0], id__gt=last[1])
                )
            rows = list(page.only("id", "title", "content", "unit_id", "created_at")[:batch])
            if not rows:
                break
            if options["flags"]:  # one by one: each is compared with those before it
                for ticket in rows:
                    flagged += len(similarity.record_duplicates(ticket))
            else:  # bands only for tickets a new one may still resemble
                similarity.store_signatures(rows, bands_since=similarity.band_cutoff())
            done += len(rows)
            last = (rows[-1].created_at, rows[-1].pk)
            if done % 10000 < len(rows):
                self.stdout.write(f"signatures: {done}")
        pruned = similarity.prune_bands() if options["prune"] else 0
        self.stdout.write(
            f"signatures computed: {done}; flags found: {flagged}; bands pruned: {pruned}"
        )
