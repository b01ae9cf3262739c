"""The channel's periodic work (the worker imports each app's `tasks` module; the job
handlers are registered in apps.py). The daily sweep sets every ticket's light and sends the
reminders now due."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from qingfeng.intake import deadlines, similarity


@db_periodic_task(crontab(minute="*/15"))
def intake_lights() -> int:
    """Every quarter hour: lights for tickets filed since (the web form stores a ticket
    before anything else; this gives it its light and its place in the queue soon after)."""
    return deadlines.recompute_lights(timezone.localdate())


@db_periodic_task(crontab(hour="0", minute="40"))
def intake_lights_and_escalation() -> tuple[int, int]:
    """Daily: every ticket's light for today, then the reminders now due (each once)."""
    today = timezone.localdate()
    return deadlines.recompute_lights(today), deadlines.escalate(today)


@db_periodic_task(crontab(hour="1", minute="10"))
def intake_prune_bands() -> int:
    """Daily: the near-duplicate band rows of tickets past the 90-day window go."""
    return similarity.prune_bands()
