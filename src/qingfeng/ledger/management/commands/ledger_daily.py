"""Run the daily ledger sweep by hand (the worker runs it at 00:30): lights and escalation."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from qingfeng.ledger import deadlines


class Command(BaseCommand):
    help = "重新计算台账预警灯并发送催办、督办、提级督办"

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.localdate()
        changed = deadlines.recompute_lights(today)
        sent = deadlines.escalate(today)
        self.stdout.write(f"lights changed: {changed}; escalations sent: {sent}")
