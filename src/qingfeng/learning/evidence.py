"""Learning's evidence of a campaign task (core/registry.py `TaskEvidence`): study sessions of
one type held by the unit in the period — the record of the session held, never a photo or the
minutes' length (the 2024 rules against formalism)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core.registry import TaskEvidence
from qingfeng.learning.models import Session, SessionType
from qingfeng.lib.dates import day_bounds


def type_options() -> list[tuple[str, str]]:
    return list(SessionType.objects.filter(is_active=True).values_list("code", "name"))


def held_progress(
    option: str, unit_ids: Sequence[int], start: date, end: date
) -> Mapping[int, tuple[int, int | None]]:
    """Per unit: its sessions of type `option` held in the days `start` … `end` (the number
    to reach is the task's); one grouped query."""
    first, after = day_bounds(start, end, timezone.get_current_timezone())
    rows = (
        Session.objects.filter(
            unit_id__in=unit_ids,
            type__code=option,
            status=Session.Status.HELD,
            starts_at__gte=first,
            starts_at__lt=after,
        )
        .values("unit_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["unit_id"]: (row["n"], None) for row in rows}


EVIDENCE = TaskEvidence("session", _("举行学习"), type_options, held_progress, counted=True)
