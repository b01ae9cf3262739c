"""The demo's history (`seed_demo_cases`): a step of a story written now through the app's own
actions, then moved back to the day the story says it happened, so last month's dashboard and
bulletin read a month of work and not one of zeros.

Every time stamp written since the step began (each `DateTimeField` of the given models, for
the rows whose stamp is at or after `since`) moves back by the same `delta`: the step's records
keep their order, and the past periods' figures read them as the real flow would have left them
(created, replied, closed, filed then). Dates a step computed from today (a deadline, a due
day) are the caller's to move, by whole days. The tallies kept by triggers stay exact (they
count columns, not times, and an UPDATE fires them), and the audit trail is not touched: its
events are chained over their stamps and say truthfully when the seeding wrote them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import models
from django.db.models import F


def shift_since(
    since: datetime, delta: timedelta, model_types: Iterable[type[models.Model]]
) -> None:
    """Move back by `delta` every time stamp of `model_types` written at or after `since`."""
    for model in model_types:
        for field in model._meta.concrete_fields:
            if isinstance(field, models.DateTimeField):
                model._default_manager.filter(**{f"{field.attname}__gte": since}).update(
                    **{field.attname: F(field.attname) - delta}
                )
