"""The evaluation's figures for the campaign's rhythm (core/registry.py `FigureSource`):
ratings accepted in the period, satisfied among them by the rate definition of the round each
rating belongs to (非常满意–基本满意 by default, 非常满意–满意 where the round says so; 不了解 is
no base), the unit's open remedial rounds (回炉补课), and its remedial rounds escalated in the
period (提级督办: the re-evaluation still below the threshold), which mark the unit for the
quarterly assessment."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from functools import reduce
from operator import or_

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core.registry import Figure, FigureSource, Ratio
from qingfeng.evaluation.models import UNKNOWN, Remedial, Response
from qingfeng.evaluation.selectors import SATISFIED_FROM
from qingfeng.lib.dates import day_bounds

FIGURES = (
    Figure("ratings_base", _("有效评议")),
    Figure("ratings_satisfied", _("满意评议（按所属轮次的满意率口径）")),
    Figure("remedials_open", _("回炉补课中")),
    Figure("remedials_escalated", _("回炉复评未达标、提级督办")),
)

# A rating is satisfied by its own round's definition, so the figure's rate is the rate the
# round's result page prints (a round's definition is frozen when it opens).
SATISFIED = reduce(
    or_,
    (Q(round__rate_definition=d, overall__gte=level) for d, level in SATISFIED_FROM.items()),
)


def escalated(start: date, end: date) -> Q:
    """The remedial rounds escalated (提级督办) on the days `start` … `end`: the figure
    `remedials_escalated`, which the dashboard's panel and the quarterly score read too."""
    first, after = day_bounds(start, end, timezone.get_current_timezone())
    return Q(status=Remedial.Status.ESCALATED, decided_at__gte=first, decided_at__lt=after)


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
        .annotate(ratings_base=Count("id"), ratings_satisfied=Count("id", filter=SATISFIED))
        .order_by()
    )
    for row in rows:
        result[row.pop("unit_id")].update(row)
    escalated_now = escalated(start, end)
    remedials = (
        Remedial.objects.filter(
            Q(status=Remedial.Status.OPEN) | escalated_now, unit_id__in=unit_ids
        )
        .values("unit_id")
        .annotate(
            remedials_open=Count("id", filter=Q(status=Remedial.Status.OPEN)),
            remedials_escalated=Count("id", filter=escalated_now),
        )
        .order_by()
    )
    for row in remedials:
        counts = result[row.pop("unit_id")]
        counts.update({k: v for k, v in row.items() if v})
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
