"""Oversight's periodic work (the worker imports each app's `tasks` module)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from qingfeng.oversight import deadlines
from qingfeng.oversight.actions.observers import do_tell_answered_suggestions


@db_periodic_task(crontab(minute="*/10"))
def oversight_tell_observers() -> int:
    """Every ten minutes: observers told the channel's answers to their suggestions (each
    once; the mark on the suggestion is the record that it was done)."""
    return do_tell_answered_suggestions()


@db_periodic_task(crontab(hour="0", minute="40"))
def oversight_publication_reminders() -> int:
    """Daily: 催办, 督办 and 提级督办 of the visit draws whose results are due on their public
    notice (oversight/deadlines.py; each stage once per draw and due date)."""
    return deadlines.remind_publication(timezone.localdate())
