from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from qingfeng.ledger import deadlines
from qingfeng.ledger.actions import rechecks


@db_periodic_task(crontab(hour="0", minute="30"))
def daily_lights_and_escalation() -> tuple[int, int]:
    today = timezone.localdate()
    return deadlines.recompute_lights(today), deadlines.escalate(today)


@db_periodic_task(crontab(month="1,4,7,10", day="1", hour="1", minute="0"))
def quarterly_rechecks() -> int:
    return len(
        rechecks.draw_rechecks(timezone.localdate(), percent=settings.QF_LEDGER_RECHECK_SHARE)
    )
