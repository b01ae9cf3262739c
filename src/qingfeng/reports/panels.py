"""The reports' own panel on the dashboard (报, core/registry.py `DashboardPanel`): the
bulletins issued in the month by a unit at or above the view, and the latest published
quarterly assessment's ranking within each category for the units in view (the first and the
last three of each category)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from qingfeng.orgs.models import Unit, User
from qingfeng.reports.models import Assessment, Bulletin, Score

EACH_END = 3  # units shown at the top and at the bottom of each category


def _above(paths: Sequence[str]) -> list[int]:
    """The units at or above every subtree in view (their bulletins and assessments cover it)."""
    ids: set[int] | None = None
    for path in paths:
        chain = {int(part) for part in path.split("/") if part}
        ids = chain if ids is None else ids & chain
    return sorted(ids or ())


def rhythm(user: User, paths: Sequence[str], first: date, last: date) -> Mapping[str, Any] | None:
    above = _above(paths)
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(first, time.min), zone)
    end = timezone.make_aware(datetime.combine(last, time.max), zone)
    bulletins = list(
        Bulletin.objects.filter(
            status=Bulletin.Status.ISSUED, issuer_id__in=above, issued_at__range=(start, end)
        )
        .select_related("issuer")
        .order_by("-issued_at")
    )
    assessment = (
        Assessment.objects.filter(
            status=Assessment.Status.PUBLISHED, issuer_id__in=above, published_at__lte=end
        )
        .select_related("issuer")
        .order_by("-ends_on", "-pk")
        .first()
    )
    ranking: list[dict[str, Any]] = []
    if assessment is not None:
        under = Q(pk__in=[])
        for path in paths:
            under |= Q(unit__path__startswith=path)
        scores = (
            Score.objects.filter(under, assessment=assessment, rank__gt=0)
            .select_related("unit")
            .order_by("category", "rank")
        )
        by_category: dict[str, list[Score]] = defaultdict(list)
        for score in scores:
            by_category[score.category].append(score)
        labels = dict(Unit.Category.choices)
        for category, rows in by_category.items():
            shown = rows if len(rows) <= 2 * EACH_END else rows[:EACH_END] + rows[-EACH_END:]
            ranking.append(
                {
                    "key": category,
                    "category": labels.get(category, category),
                    "rows": shown,
                    "count": len(rows),
                    "cut": len(rows) > 2 * EACH_END,
                }
            )
    if not bulletins and assessment is None:
        return None
    # Where the numbers lead: the assessment's page narrowed to the view's top units (a
    # leader's counties each), a category's ranked units, or a unit's own score.
    tops = "&".join(f"unit={int(path.rstrip('/').rsplit('/', 1)[-1])}" for path in paths)
    if assessment is not None:
        url = reverse("reports:assessment", args=[assessment.pk])
        for group in ranking:
            group["link"] = f"{url}?category={group['key']}&ranked=1&{tops}"
            group["rows"] = [(s, f"{url}?unit={s.unit_id}#score-{s.pk}") for s in group["rows"]]
    return {
        "rhythm_bulletins": bulletins,
        "rhythm_assessment": assessment,
        "rhythm_ranking": ranking,
    }
