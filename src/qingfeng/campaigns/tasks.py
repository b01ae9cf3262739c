from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from qingfeng.campaigns import evidence, reminders


@db_periodic_task(crontab(hour="8", minute="30"))
def daily_weekly_reminders() -> int:
    """The weekly report's reminders (催报, 逾期通知), in the morning of office hours."""
    return reminders.do_send_weekly_reminders(timezone.localdate())


@db_periodic_task(crontab(minute="20"))
def hourly_task_evidence() -> int:
    """Tasks done by the records other apps hold (a session held, a list's problems closed),
    written done within the hour the evidence appears, and open again within the hour it is
    lost — a problem reopened (the pages show either at once)."""
    return evidence.do_record_all_evidence(timezone.localdate())
