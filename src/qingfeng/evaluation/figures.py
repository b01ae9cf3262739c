"""The evaluation's figures for the campaign's rhythm (core/registry.py `FigureSource`):
ratings accepted in the period, satisfied among them by the rate definition of the round each
rating belongs to (非常满意–基本满意 by default, 非常满意–满意 where the round says so; 不了解 is
no base), the unit's open remedial rounds (回炉补课), and its remedial rounds escalated in the
period (提级督办: the re-evaluation still below the threshold), which mark the unit for the
quarterly assessment; and the three-way composite (三评综合得分) of the rounds closed in the
period, as two counts — the composites' sum in hundredths of a point and the number of results
with a composite — so a county's mean composite is a ratio of sums, as the quarterly score's
"evaluation composite" indicator reads it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from functools import reduce
from operator import or_

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core import figurelist
from qingfeng.core.registry import Figure, FigureSource, Ratio
from qingfeng.evaluation.models import UNKNOWN, Remedial, Response, RoundUnit
from qingfeng.evaluation.selectors import SATISFIED_FROM
from qingfeng.lib.dates import day_bounds

FIGURES = (
    Figure("ratings_base", _("有效评议"), listed=True),
    Figure("ratings_satisfied", _("满意评议（按所属轮次的满意率口径）"), listed=True),
    Figure("remedials_open", _("回炉补课中"), listed=True),
    Figure("remedials_escalated", _("回炉复评未达标、提级督办"), listed=True),
    # The composite written down when a round closes (RoundUnit.composite, 0–100 with two
    # decimals), summed as whole hundredths so the figure stays an integer count.
    Figure("composite_results", _("三评有综合得分的评议结果")),
    Figure("composite_hundredths", _("三评综合得分之和"), scale=100),
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


def _conditions(start: date, end: date) -> figurelist.Conditions:
    """Per figure: the model counted, its unit, and the condition a record meets to be
    counted — one definition for the counts and for the list behind a count (`records`)."""
    first, after = day_bounds(start, end, timezone.get_current_timezone())
    rated = Q(
        status=Response.Status.ACCEPTED, submitted_at__gte=first, submitted_at__lt=after
    ) & ~Q(overall=UNKNOWN)
    return {
        "ratings_base": (Response, "unit_id", rated),
        "ratings_satisfied": (Response, "unit_id", rated & SATISFIED),
        "remedials_open": (Remedial, "unit_id", Q(status=Remedial.Status.OPEN)),
        "remedials_escalated": (Remedial, "unit_id", escalated(start, end)),
    }


# The counts per unit and the records behind one of them, from `_conditions`.
_count, records = figurelist.counted(_conditions)


def composites(unit_ids: Sequence[int], start: date, end: date) -> dict[int, dict[str, int]]:
    """Per unit, the results of the rounds closed on the days `start` … `end` that have a
    composite: how many, and their composites' sum in hundredths of a point."""
    first, after = day_bounds(start, end, timezone.get_current_timezone())
    rows = (
        RoundUnit.objects.filter(
            unit_id__in=unit_ids,
            round__closed_at__gte=first,
            round__closed_at__lt=after,
            composite__isnull=False,
        )
        .values("unit_id")
        .annotate(n=Count("id"), total=Sum("composite"))
        .order_by()
    )
    return {
        row["unit_id"]: {
            "composite_results": row["n"],
            "composite_hundredths": round(100 * row["total"]),
        }
        for row in rows
    }


def compute(unit_ids: Sequence[int], start: date, end: date) -> Mapping[int, Mapping[str, int]]:
    result = _count(unit_ids, start, end)
    for pk, row in composites(unit_ids, start, end).items():
        result.setdefault(pk, {}).update(row)
    return result


SOURCE = FigureSource(
    "evaluation",
    _("群众评议"),
    30,
    FIGURES,
    compute,
    records="evaluation:figures",
    own_records=True,
    stage="evaluate",
    ratios=(
        Ratio("ratings_satisfied_rate", _("评议满意率"), "ratings_satisfied", "ratings_base", 30),
        Ratio(
            "composite_mean",
            _("三评平均综合得分"),
            "composite_hundredths",
            "composite_results",
            scale=100,
        ),
    ),
)
