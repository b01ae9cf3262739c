"""The evaluation's figures for the campaign's rhythm (core/registry.py `FigureSource`):
ratings accepted in the period, satisfied among them (4 or 5 of 5; 不了解 is no base), and
the unit's open remedial rounds (回炉补课)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core.registry import Figure, FigureSource, Ratio
from qingfeng.evaluation.models import UNKNOWN, Remedial, Response
from qingfeng.lib.dates import day_bounds

FIGURES = (
    Figure("ratings_base", _("有效评议")),
    Figure("ratings_satisfied", _("满意评议")),
    Figure("remedials_open", _("回炉补课中")),
)


def compute(unit_ids: Sequence[int], start: date, end: date) -> Mapping[int, Mapping[str, int]]:
    first, after = day_bounds(start, end, timezone.get_current_timezone())
    result: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        Response.objects.filter(
            unit_id__in=unit_ids,
            status=Response.Status.ACCEPTED,
            submitted_at__gte=first,
            submitted_at__lt=after,
        )
        .exclude(overall=UNKNOWN)
        .values("unit_id")
        .annotate(ratings_base=Count("id"), ratings_satisfied=Count("id", filter=Q(overall__gte=4)))
    )
    for row in rows:
        result[row.pop("unit_id")].update(row)
    remedials = (
        Remedial.objects.filter(unit_id__in=unit_ids, status=Remedial.Status.OPEN)
        .values("unit_id")
        .annotate(n=Count("id"))
    )
    for row in remedials:
        result[row["unit_id"]]["remedials_open"] = row["n"]
    return result


SOURCE = FigureSource(
    "evaluation",
    _("群众评议"),
    30,
    FIGURES,
    compute,
    stage="evaluate",
    ratios=(
        Ratio("ratings_satisfied_rate", _("评议满意率"), "ratings_satisfied", "ratings_base", 30),
    ),
)
