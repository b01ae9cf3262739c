"""Oversight's figures for the campaign's rhythm (core/registry.py `FigureSource`), by the
unit visited: unannounced visits finished in the period, their findings, and the findings
fixed on the spot; observers' participation (visits and rounds joined, suggestions raised)
by the unit concerned. A sealed visit has no unit until it starts, so a planned target is never
counted (nor revealed) here. Grouped queries, whatever the number of units."""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core import figurelist
from qingfeng.core.registry import Figure, FigureSource
from qingfeng.lib.dates import day_bounds
from qingfeng.oversight.models import Finding, Participation, Visit

FIGURES = (
    Figure("visits_finished", _("督导（四不两直）次数"), listed=True),
    Figure("visit_findings", _("督导发现问题"), listed=True),
    Figure("visit_findings_fixed", _("督导现场立行立改"), listed=True),
    Figure("observer_joined", _("观察员参加督导巡察"), listed=True),
    Figure("observer_suggestions", _("观察员提出建议"), listed=True),
)


def _conditions(start: date, end: date) -> figurelist.Conditions:
    """Per figure: the model counted, the path from it to the unit concerned, and the
    condition a record meets to be counted — one definition for the counts and for the list
    of the records behind a count (`records`), so the two are equal by construction. Only
    finished visits count, so no list reveals a sealed target."""
    first, after = day_bounds(start, end, timezone.get_current_timezone())
    finished = Q(status=Visit.Status.FINISHED, finished_at__gte=first, finished_at__lt=after)
    found = Q(
        visit__status=Visit.Status.FINISHED,
        visit__finished_at__gte=first,
        visit__finished_at__lt=after,
    )
    joined = Q(created_at__gte=first, created_at__lt=after)
    suggestion = Q(kind=Participation.Kind.SUGGESTION)
    return {
        "visits_finished": (Visit, "unit_id", finished),
        "visit_findings": (Finding, "visit__unit_id", found),
        "visit_findings_fixed": (Finding, "visit__unit_id", found & Q(fixed_on_spot=True)),
        "observer_joined": (Participation, "unit_id", joined & ~suggestion),
        "observer_suggestions": (Participation, "unit_id", joined & suggestion),
    }


# The counts per unit and the records behind one of them, from `_conditions`.
compute, records = figurelist.counted(_conditions)


SOURCE = FigureSource(
    "oversight",
    _("督导巡察"),
    40,
    FIGURES,
    compute,
    records="oversight:figures",
    own_records=True,
    stage="check",
)
