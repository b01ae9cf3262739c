"""Learning's figures for the campaign's rhythm (core/registry.py `FigureSource`), by the unit
that held the session: sessions held in the period, and their attendance as two counts —
attended (出席 + 迟到) and expected less leave (应到 − 请假) — so a county's rate is a ratio of
sums, never an average of rates; make-ups done in the period and still open. Photos and notes
are never counted (the 2024 rules against formalism). Grouped queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingfeng.core.registry import Figure, FigureSource, Ratio
from qingfeng.learning.models import Attendance, Makeup, Session
from qingfeng.lib.dates import day_bounds

A = Attendance.Status

FIGURES = (
    Figure("sessions_held", _("举行学习")),
    Figure("attendance_attended", _("学习出席人次")),
    Figure("attendance_expected", _("学习应到人次（除请假）")),
    Figure("makeups_done", _("完成补课")),
    Figure("makeups_open", _("待补课")),
)


def compute(unit_ids: Sequence[int], start: date, end: date) -> Mapping[int, Mapping[str, int]]:
    first, after = day_bounds(start, end, timezone.get_current_timezone())
    held = Q(status=Session.Status.HELD, starts_at__gte=first, starts_at__lt=after)
    result: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        Session.objects.filter(held, unit_id__in=unit_ids)
        .values("unit_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        result[row["unit_id"]]["sessions_held"] = row["n"]
    in_period = Q(
        session__status=Session.Status.HELD,
        session__starts_at__gte=first,
        session__starts_at__lt=after,
        session__unit_id__in=unit_ids,
    )
    for row in (
        Attendance.objects.filter(in_period)
        .values("session__unit_id")
        .annotate(
            attended=Count("id", filter=Q(status__in=(A.PRESENT, A.LATE))),
            expected=Count("id", filter=~Q(status=A.LEAVE)),
        )
        .order_by()
    ):
        counts = result[row["session__unit_id"]]
        counts["attendance_attended"] = row["attended"]
        counts["attendance_expected"] = row["expected"]
    for row in (
        Makeup.objects.filter(attendance__session__unit_id__in=unit_ids)
        .values("attendance__session__unit_id")
        .annotate(
            done=Count(
                "id",
                filter=Q(status=Makeup.Status.DONE, done_at__gte=first, done_at__lt=after),
            ),
            open=Count("id", filter=Q(status=Makeup.Status.OPEN)),
        )
        .order_by()
    ):
        counts = result[row["attendance__session__unit_id"]]
        counts["makeups_done"] = row["done"]
        counts["makeups_open"] = row["open"]
    return result


SOURCE = FigureSource(
    "learning",
    _("学习教育"),
    5,
    FIGURES,
    compute,
    stage="learn",
    ratios=(
        Ratio("attendance_rate", _("学习出席率"), "attendance_attended", "attendance_expected"),
    ),
)
