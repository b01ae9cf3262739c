"""The ledger's figures for the campaign's rhythm (core/registry.py `FigureSource`): problems
new, closed, closed on time, overdue and red by unit, and the forms the ledger asked people
to fill (progress reports, evidence uploads). A few grouped queries, whatever the units."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date

from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from qingfeng.core.registry import Figure, FigureSource
from qingfeng.ledger.models import Evidence, Problem, ProgressReport
from qingfeng.lib.dates import day_bounds

S = Problem.Status
NOT_REGISTERED = (S.DRAFT, S.WITHDRAWN)
OPEN = (S.ASSIGNED, S.ACCEPTED, S.RECTIFYING, S.CLOSURE_REQUESTED)

FIGURES = (
    Figure("problems_new", _("新增问题")),
    *(
        Figure(f"problems_new_{kind.value}", format_lazy("{}：{}", _("新增"), kind.label))
        for kind in Problem.ListKind
    ),
    Figure("problems_closed", _("销号问题")),
    Figure("problems_closed_on_time", _("按期销号")),
    Figure("problems_open", _("在改问题")),
    Figure("problems_overdue", _("逾期未改")),
    Figure("problems_red", _("红灯问题")),
    Figure("progress_reports", _("报送整改进展"), burden=True),
    Figure("evidence_uploads", _("上传佐证材料"), burden=True),
)


def compute(unit_ids: Sequence[int], start: date, end: date) -> Mapping[int, Mapping[str, int]]:
    """Per unit: registered in the period (by list), closed in it (on time: by the deadline),
    open now, open past a deadline that fell before the period's last day, red now."""
    first, after = day_bounds(start, end, timezone.get_current_timezone())
    result: dict[int, dict[str, int]] = defaultdict(dict)
    problems = Problem.objects.filter(unit_id__in=unit_ids)
    new = Q(created_at__gte=first, created_at__lt=after) & ~Q(status__in=NOT_REGISTERED)
    closed = Q(closed_at__gte=first, closed_at__lt=after, status=S.CLOSED)
    on_time = closed & (Q(deadline__isnull=True) | Q(deadline__gte=F("closed_at__date")))
    counts = {
        "problems_new": Count("id", filter=new),
        **{
            f"problems_new_{kind.value}": Count("id", filter=new & Q(list_kind=kind))
            for kind in Problem.ListKind
        },
        "problems_closed": Count("id", filter=closed),
        "problems_closed_on_time": Count("id", filter=on_time),
        "problems_open": Count("id", filter=Q(status__in=OPEN)),
        "problems_overdue": Count("id", filter=Q(status__in=OPEN, deadline__lt=end)),
        "problems_red": Count("id", filter=Q(status__in=OPEN, light=Problem.Light.RED)),
    }
    for row in problems.values("unit_id").annotate(**counts):
        result[row.pop("unit_id")].update(row)
    for model, key, stamp in (
        (ProgressReport, "progress_reports", "created_at"),
        (Evidence, "evidence_uploads", "uploaded_at"),
    ):
        rows = (
            model.objects.filter(
                problem__unit_id__in=unit_ids, **{f"{stamp}__gte": first, f"{stamp}__lt": after}
            )
            .values("problem__unit_id")
            .annotate(n=Count("id"))
        )
        for row in rows:
            result[row["problem__unit_id"]][key] = row["n"]
    return result


SOURCE = FigureSource("ledger", _("整改台账"), 10, FIGURES, compute, records="ledger:list")
