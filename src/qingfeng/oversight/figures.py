"""Oversight's figures for the campaign's rhythm (core/registry.py `FigureSource`), by the
unit visited: unannounced visits finished in the period, their findings, and the findings
fixed on the spot; observers' participation (visits and rounds joined, suggestions raised)
by the unit concerned. A sealed visit has no unit until it starts, so a planned target is never
counted (nor revealed) here. Grouped queries, whatever the number of units."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core.registry import Figure, FigureSource
from qingfeng.lib.dates import day_bounds
from qingfeng.oversight.models import Finding, Participation, Visit

FIGURES = (
    Figure("visits_finished", _("督导（四不两直）次数")),
    Figure("visit_findings", _("督导发现问题")),
    Figure("visit_findings_fixed", _("督导现场立行立改")),
    Figure("observer_joined", _("观察员参加督导巡察")),
    Figure("observer_suggestions", _("观察员提出建议")),
)


def compute(unit_ids: Sequence[int], start: date, end: date) -> Mapping[int, Mapping[str, int]]:
    first, after = day_bounds(start, end, timezone.get_current_timezone())
    finished = Q(status=Visit.Status.FINISHED, finished_at__gte=first, finished_at__lt=after)
    result: dict[int, dict[str, int]] = defaultdict(dict)
    visits = (
        Visit.objects.filter(finished, unit_id__in=unit_ids)
        .values("unit_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in visits:
        result[row["unit_id"]]["visits_finished"] = row["n"]
    findings = (
        Finding.objects.filter(
            visit__status=Visit.Status.FINISHED,
            visit__finished_at__gte=first,
            visit__finished_at__lt=after,
            visit__unit_id__in=unit_ids,
        )
        .values("visit__unit_id")
        .annotate(n=Count("id"), fixed=Count("id", filter=Q(fixed_on_spot=True)))
        .order_by()
    )
    for row in findings:
        counts = result[row["visit__unit_id"]]
        counts["visit_findings"] = row["n"]
        counts["visit_findings_fixed"] = row["fixed"]
    observers = (
        Participation.objects.filter(
            unit_id__in=unit_ids, created_at__gte=first, created_at__lt=after
        )
        .values("unit_id")
        .annotate(
            joined=Count("id", filter=~Q(kind=Participation.Kind.SUGGESTION)),
            suggested=Count("id", filter=Q(kind=Participation.Kind.SUGGESTION)),
        )
        .order_by()
    )
    for row in observers:
        counts = result[row["unit_id"]]
        counts["observer_joined"] = row["joined"]
        counts["observer_suggestions"] = row["suggested"]
    return result


SOURCE = FigureSource("oversight", _("督导巡察"), 40, FIGURES, compute, stage="check")
