"""Signatures made before re-signing existed are due a year after they were signed (the
pledges' default re-sign period), so their people are reminded like everyone else's."""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from django.db import migrations
from django.utils import timezone


def _plus_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def fill(apps: Any, schema_editor: Any) -> None:
    Signature = apps.get_model("learning", "Signature")
    rows = Signature.objects.filter(renew_on__isnull=True).select_related("pledge")
    for row in rows.iterator(chunk_size=2000):
        months = row.pledge.resign_months
        if months:
            row.renew_on = _plus_months(timezone.localdate(row.signed_at), months)
            row.save(update_fields=["renew_on"])


class Migration(migrations.Migration):
    dependencies = [("learning", "0007_add_pledge_resign")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
