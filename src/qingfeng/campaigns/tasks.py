from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from qingfeng.campaigns import reminders


@db_periodic_task(crontab(hour="8", minute="30"))
def daily_weekly_reminders() -> int:
    """The weekly report's reminders (催报, 逾期通知), in the morning of office hours."""
    return reminders.do_send_weekly_reminders(timezone.localdate())
